//! `detour compile` and `detour inspect`.

use std::path::{Path, PathBuf};

use detour_format::{Header, HEADER_LEN};
use detour_runtime::Blob;

use crate::{load, Failure};

/// Compiles rule files into a blob at `out`. On any rule error, prints every diagnostic and
/// writes nothing, unless `allow_invalid` (then invalid rules are dropped, as Netlify does).
pub fn compile(files: &[PathBuf], out: &Path, allow_invalid: bool) -> Result<(), Failure> {
    let spinner = crate::progress::Spinner::start("checking and compiling the rules");
    let checked = detour_check::compiled(&load::as_sources(&load::read_texts(files)?));
    drop(spinner);
    let (site, diagnostics) = (checked.site, checked.diagnostics);
    for d in &diagnostics {
        eprintln!("{d}");
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 && !allow_invalid {
        eprintln!("detour compile: {errors} error(s); no blob written (use --allow-invalid to drop invalid rules)");
        return Err(Failure::RuleErrors);
    }
    // The blob the check compiled: the rules are compiled once.
    let blob = checked.blob.map_err(|e| Failure::Usage(e.to_string()))?;
    write_blob(&blob, out)?;
    if errors > 0 {
        eprintln!("detour compile: dropped {errors} invalid rule(s)");
    }
    eprintln!("detour compile: {} rule(s), {} bytes -> {}", site.rules.len(), blob.len(), out.display());
    Ok(())
}

/// Writes the blob to `out`, or to standard output for `-`. A file is written beside the target
/// and renamed, so a server mapping the old blob never sees a half-written file.
fn write_blob(blob: &[u8], out: &Path) -> Result<(), Failure> {
    if out.as_os_str() == crate::load::STDIN {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        return stdout.write_all(blob).and_then(|()| stdout.flush()).map_err(|e| Failure::Io(format!("stdout: {e}")));
    }
    let tmp = out.with_extension("detour-tmp");
    std::fs::write(&tmp, blob).map_err(|e| Failure::io(&tmp, e))?;
    std::fs::rename(&tmp, out).map_err(|e| Failure::io(out, e))
}

/// Prints what a blob holds, after full validation.
pub fn inspect(path: &Path) -> Result<(), Failure> {
    let bytes = std::fs::read(path).map_err(|e| Failure::io(path, e))?;
    let header = Header::read(&bytes).map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
    let blob = Blob::from_bytes(&bytes).map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
    let set = blob.rule_set();
    println!("file:            {}", path.display());
    println!("magic:           ok");
    println!("format version:  {}", header.format_version);
    println!("archive format:  {:#x} (little-endian, aligned, 32-bit offsets)", header.rkyv_format);
    println!("checksum:        {:#018x} (xxh3-64, verified)", header.checksum);
    println!("rules:           {}", header.rule_count);
    println!(
        "blob size:       {} bytes (header {HEADER_LEN}, payload {}, site section {})",
        bytes.len(),
        header.payload_len,
        header.site_len
    );
    if let Some(site) = blob.site() {
        println!("site hosts:      {}", site.all().collect::<Vec<_>>().join(", "));
        println!("input hash:      {:#018x}", header.input_hash);
    }
    println!("string pool:     {} bytes", set.pool.len());
    println!("index entries:   {} ({} hosts with rules of their own)", set.entries.len(), set.hosts.len());
    println!("tables (bytes):");
    fn row<T>(name: &str, items: &[T]) {
        println!("  {name:<14} {:>10} ({} x {})", std::mem::size_of_val(items), items.len(), std::mem::size_of::<T>());
    }
    row("pool", &set.pool);
    row("rules", &set.rules);
    row("details", &set.details);
    row("segments", &set.segments);
    row("parts", &set.parts);
    row("extras", &set.extras);
    row("queries", &set.queries);
    row("values", &set.values);
    row("headers", &set.headers);
    row("entries", &set.entries);
    row("key tables", &set.tables);
    row("slots", &set.slots);
    row("rule ids", &set.rule_ids);
    row("splits", &set.splits);
    row("split buckets", &set.split_buckets);
    row("split slots", &set.split_slots);
    row("hosts", &set.hosts);
    row("host slots", &set.host_slots);
    let files: Vec<String> = set.files.iter().map(|f| String::from_utf8_lossy(set.str(&f.name)).into_owned()).collect();
    println!("source files:    {}", files.join(", "));
    Ok(())
}

/// True when the file starts with the blob magic.
pub fn is_blob(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 8];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && magic == detour_format::MAGIC
}
