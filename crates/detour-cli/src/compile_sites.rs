//! `detour compile --sites SITES -o OUT`: every site folder `SITES/<host>/` (its `_redirects`
//! and/or `netlify.toml`, and an optional `aliases` file of more hostnames, one per line) into
//! `OUT/<host>.detour`, the directory `detour serve --sites` and `detour-sites` serve.
//!
//! Sites compile in parallel (rayon). Each blob is written to a temporary file in `OUT` and
//! renamed over the old one, so a server never reads half a blob. A site whose input hash
//! (its rule files, its aliases, the format version) is the one its blob records is skipped.
//! Diagnostics are printed per site, prefixed with its name; a failing site never stops the
//! others, and the command exits 1 at the end naming every site that failed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use detour_format::{normal_host, with_site, Header, FORMAT_VERSION, HEADER_LEN};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use xxhash_rust::xxh3::Xxh3;

use crate::{check, load, Failure};

/// The optional file of a site folder listing more hostnames, one per line (`#` comments).
pub const ALIASES_FILE: &str = "aliases";

/// A site's blob is `OUT/<primary host>.detour` (`detour_sites::BLOB_EXTENSION`).
const BLOB_EXTENSION: &str = detour_sites::BLOB_EXTENSION;

/// A site folder found under `SITES`, with its hosts once they are read.
struct SiteInput {
    /// The primary host (the folder's name, normalized).
    name: String,
    dir: PathBuf,
    /// Aliases, normalized, without the primary host and without repeats.
    aliases: Vec<String>,
    /// Problems found before compiling (bad names, bad or colliding aliases).
    errors: Vec<String>,
}

/// What became of one site.
enum Outcome {
    Compiled,
    Unchanged,
    Failed,
}

struct SiteReport {
    name: String,
    outcome: Outcome,
    lines: Vec<String>,
}

/// Compiles every site folder of `sites` into `out`; exit 1 (after all sites) if any failed.
pub fn compile_sites(sites: &Path, out: &Path, allow_invalid: bool) -> Result<(), Failure> {
    let mut inputs = find_sites(sites)?;
    check_host_collisions(&mut inputs);
    std::fs::create_dir_all(out).map_err(|e| Failure::io(out, e))?;
    let progress = progress_bar(inputs.len());
    let reports: Vec<SiteReport> = inputs
        .par_iter()
        .map(|site| {
            let report = compile_site(site, out, allow_invalid);
            progress.inc(1);
            report
        })
        .collect();
    progress.finish_and_clear();
    summarize(&reports, out)
}

/// A progress bar of sites done, drawn only when standard error is a terminal.
fn progress_bar(sites: usize) -> ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(sites as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} sites ({per_sec}, {eta} left)") {
        bar.set_style(style);
    }
    bar
}

/// The site folders of `sites`, in name order, with their aliases read.
fn find_sites(sites: &Path) -> Result<Vec<SiteInput>, Failure> {
    let entries = std::fs::read_dir(sites).map_err(|e| Failure::io(sites, e))?;
    let mut inputs = Vec::new();
    for entry in entries {
        let dir = entry.map_err(|e| Failure::io(sites, e))?.path();
        if !dir.is_dir() {
            continue;
        }
        let folder = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut input = SiteInput { name: folder.clone(), dir, aliases: Vec::new(), errors: Vec::new() };
        match normal_host(&folder) {
            Ok(host) => input.name = host,
            Err(e) => input.errors.push(format!("the folder name is no host: {e}")),
        }
        read_aliases(&mut input);
        inputs.push(input);
    }
    inputs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(inputs)
}

/// Reads `SITES/<host>/aliases`, if there is one.
fn read_aliases(input: &mut SiteInput) {
    let path = input.dir.join(ALIASES_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => return input.errors.push(format!("{}: {e}", path.display())),
    };
    for (number, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        match normal_host(line) {
            Ok(host) if host == input.name || input.aliases.contains(&host) => {}
            Ok(host) => input.aliases.push(host),
            Err(e) => input.errors.push(format!("{}:{}: {e}", path.display(), number + 1)),
        }
    }
    if input.aliases.len() >= detour_format::MAX_SITE_HOSTS {
        let limit = detour_format::MAX_SITE_HOSTS - 1;
        input.errors.push(format!("{}: {} aliases; a site has at most {limit}", path.display(), input.aliases.len()));
    }
}

/// A host two sites claim is an error of the later one (in name order; a primary host always
/// stays its own site's), so no blob pair in `OUT` claims one host.
fn check_host_collisions(inputs: &mut [SiteInput]) {
    let mut owners: BTreeMap<String, String> = inputs.iter().map(|s| (s.name.clone(), s.name.clone())).collect();
    for input in inputs.iter_mut() {
        for alias in &input.aliases {
            match owners.get(alias) {
                Some(owner) => input.errors.push(format!("alias `{alias}` is already a host of site `{owner}`")),
                None => {
                    owners.insert(alias.clone(), input.name.clone());
                }
            }
        }
    }
}

/// The hash of everything a site's blob is made from: the format version, the compile mode,
/// each rule file's name and bytes, the aliases.
fn input_hash(texts: &load::Texts, aliases: &[String], allow_invalid: bool) -> u64 {
    let mut hash = Xxh3::new();
    hash.update(&FORMAT_VERSION.to_le_bytes());
    hash.update(env!("CARGO_PKG_VERSION").as_bytes());
    hash.update(&[u8::from(allow_invalid)]);
    for (_, bytes, name) in texts {
        let base = Path::new(name).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        for part in [base.as_bytes(), bytes.as_slice()] {
            hash.update(&(part.len() as u64).to_le_bytes());
            hash.update(part);
        }
    }
    for alias in aliases {
        hash.update(alias.as_bytes());
        hash.update(b"\n");
    }
    hash.digest()
}

fn read_site_texts(dir: &Path) -> Result<load::Texts, String> {
    let mut texts = Vec::new();
    for path in load::expand(dir) {
        let text = std::fs::File::open(&path)
            .and_then(detour_rules::limits::read_limited)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        texts.push((detour_rules::SourceKind::from_path(&path), text, path.display().to_string()));
    }
    Ok(texts)
}

/// Compiles one site, unless its blob is up to date; never fails the others.
fn compile_site(site: &SiteInput, out: &Path, allow_invalid: bool) -> SiteReport {
    let mut report = SiteReport { name: site.name.clone(), outcome: Outcome::Failed, lines: site.errors.clone() };
    if !site.errors.is_empty() {
        return report;
    }
    match build_site(site, out, allow_invalid, &mut report.lines) {
        Ok(outcome) => report.outcome = outcome,
        Err(message) => report.lines.push(message),
    }
    report
}

fn build_site(site: &SiteInput, out: &Path, allow_invalid: bool, lines: &mut Vec<String>) -> Result<Outcome, String> {
    let texts = read_site_texts(&site.dir)?;
    let hash = input_hash(&texts, &site.aliases, allow_invalid);
    let target = out.join(format!("{}.{BLOB_EXTENSION}", site.name));
    if is_up_to_date(&target, hash) {
        return Ok(Outcome::Unchanged);
    }
    let (parsed, diagnostics) = check::site_of(&texts);
    lines.extend(diagnostics.iter().map(|d| d.to_string()));
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 && !allow_invalid {
        return Err(format!("{errors} error(s); no blob written (use --allow-invalid to drop invalid rules)"));
    }
    let blob = detour_compiler::compile(&parsed.rules).map_err(|e| e.to_string())?;
    let mut hosts = vec![site.name.clone()];
    hosts.extend(site.aliases.iter().cloned());
    let blob = with_site(blob, &hosts, hash).map_err(|e| e.to_string())?;
    write_atomically(out, &target, &blob)?;
    Ok(Outcome::Compiled)
}

/// True when `target` is a blob of these inputs and intact (both checksums; the archive's
/// structure is left to the server's validation): anything else is recompiled.
fn is_up_to_date(target: &Path, hash: u64) -> bool {
    let Ok(bytes) = std::fs::read(target) else { return false };
    let Ok(header) = Header::read(&bytes) else { return false };
    let payload_end = usize::try_from(header.site_offset()).unwrap_or(usize::MAX);
    let (Some(payload), Some(section)) = (bytes.get(HEADER_LEN..payload_end), bytes.get(payload_end..)) else {
        return false;
    };
    header.input_hash == hash && header.check_payload(payload).is_ok() && header.check_site(section).is_ok()
}

/// Writes to a temporary file in `out` (same file system, so the rename is atomic; a name the
/// registry does not take for a site) and renames it over `target`.
fn write_atomically(out: &Path, target: &Path, bytes: &[u8]) -> Result<(), String> {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = out.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, target).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", target.display())
    })
}

/// Prints each site's lines (prefixed with its name) in name order, then the totals; fails
/// naming the sites that failed.
fn summarize(reports: &[SiteReport], out: &Path) -> Result<(), Failure> {
    let (mut compiled, mut unchanged, mut failed) = (0, 0, Vec::new());
    for report in reports {
        for line in report.lines.iter().flat_map(|l| l.lines()) {
            eprintln!("{}: {line}", report.name);
        }
        match report.outcome {
            Outcome::Compiled => compiled += 1,
            Outcome::Unchanged => unchanged += 1,
            Outcome::Failed => failed.push(report.name.as_str()),
        }
    }
    eprintln!(
        "detour compile: {} site(s): {compiled} compiled, {unchanged} unchanged, {} failed -> {}",
        reports.len(),
        failed.len(),
        out.display()
    );
    if failed.is_empty() {
        Ok(())
    } else {
        eprintln!("detour compile: failed: {}", failed.join(", "));
        Err(Failure::RuleErrors)
    }
}
