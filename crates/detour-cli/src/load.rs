//! Reading rule sources from disk.

use std::path::{Path, PathBuf};

use detour_rules::{parse_site, Parsed, SourceKind};

use crate::Failure;

/// The rule files of a path: the file itself, or a site directory's `_redirects` then
/// `netlify.toml` (SPEC §1 priority order).
pub fn expand(path: &Path) -> Vec<PathBuf> {
    if path.is_dir() {
        ["_redirects", "netlify.toml"].iter().map(|f| path.join(f)).filter(|p| p.is_file()).collect()
    } else {
        vec![path.to_path_buf()]
    }
}

/// Rule files read from disk: kind, bytes and the name they are reported under.
pub type Texts = Vec<(SourceKind, Vec<u8>, String)>;

/// Reads and parses rule files in the order given, as one site.
pub fn load_rules(paths: &[PathBuf]) -> Result<Parsed, Failure> {
    Ok(parse_site(&as_sources(&read_texts(paths)?)))
}

/// Reads rule files (a site directory's in priority order), each with its kind and name.
pub fn read_texts(paths: &[PathBuf]) -> Result<Texts, Failure> {
    let mut texts = Vec::new();
    for path in paths.iter().flat_map(|p| expand(p)) {
        let text = std::fs::read(&path).map_err(|e| Failure::io(&path, e))?;
        texts.push((SourceKind::from_path(&path), text, path.display().to_string()));
    }
    if texts.is_empty() {
        let named = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
        return Err(Failure::Usage(format!("no rule files found in {named}")));
    }
    Ok(texts)
}

/// Borrows texts in the shape `detour_rules` takes.
pub fn as_sources(texts: &Texts) -> Vec<(SourceKind, &[u8], &str)> {
    texts.iter().map(|(k, t, f)| (*k, t.as_slice(), f.as_str())).collect()
}
