//! Reading rule sources from disk.

use std::path::{Path, PathBuf};

use detour_rules::limits::read_limited;
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
        if path.as_os_str() == STDIN {
            texts.push(read_stdin()?);
            continue;
        }
        let text = read_file(&path)?;
        texts.push((SourceKind::from_path(&path), text, path.display().to_string()));
    }
    if texts.is_empty() {
        let named = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
        return Err(Failure::Usage(format!("no rule files found in {named}")));
    }
    Ok(texts)
}

/// A rule file's bytes, at most one past the file size limit ([`read_limited`]).
pub fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::File::open(path).and_then(read_limited).map_err(|e| Failure::io(path, e))
}

/// The path that stands for standard input (or output).
pub const STDIN: &str = "-";

/// The name rules read from standard input are reported under.
pub const STDIN_NAME: &str = "<stdin>";

/// Rules from standard input, their kind told by their text ([`sniff`]).
fn read_stdin() -> Result<(SourceKind, Vec<u8>, String), Failure> {
    let text = read_limited(std::io::stdin().lock()).map_err(|e| Failure::Io(format!("standard input: {e}")))?;
    Ok((sniff(&text), text, STDIN_NAME.to_string()))
}

/// The kind of rule text without a file name: JSON when it starts with `{`, or with `[` and
/// then `{` or `]`; `netlify.toml` when a line is `[[redirects]]`; otherwise `_redirects`.
pub fn sniff(text: &[u8]) -> SourceKind {
    let mut start = text.iter().copied().filter(|b| !b.is_ascii_whitespace());
    match (start.next(), start.next()) {
        (Some(b'{'), _) | (Some(b'['), Some(b'{' | b']')) => return SourceKind::Json,
        _ => {}
    }
    let toml = text.split(|&b| b == b'\n').any(|line| line.trim_ascii() == b"[[redirects]]");
    if toml {
        SourceKind::NetlifyToml
    } else {
        SourceKind::Redirects
    }
}

/// Borrows texts in the shape `detour_rules` takes.
pub fn as_sources(texts: &Texts) -> Vec<(SourceKind, &[u8], &str)> {
    texts.iter().map(|(k, t, f)| (*k, t.as_slice(), f.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_input_is_read_as_the_kind_its_text_shows() {
        assert_eq!(sniff(b"/a /b 301\n"), SourceKind::Redirects);
        assert_eq!(sniff(b"# comment\n[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\n"), SourceKind::NetlifyToml);
        assert_eq!(sniff(b"  [ {\"from\": \"/a\", \"to\": \"/b\"} ]"), SourceKind::Json);
        assert_eq!(sniff(b"[]"), SourceKind::Json);
        assert_eq!(sniff(b""), SourceKind::Redirects);
    }
}
