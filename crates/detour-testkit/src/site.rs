//! The check behind the `check_site` fuzz target and the whole-site property test: rule files
//! in all three formats go the whole way `detour check` and `detour compile` take them (parse,
//! merge, lint, loop-guard warnings, source lines, compile, load, match). Never a panic; every
//! diagnostic names one of the files and a line (and column) inside it; the output stays
//! bounded; the valid rules always compile, load, and answer like the reference.

use detour_rules::{Diagnostic, LineIndex, SourceKind};
use detour_runtime::{Blob, Matcher};

use crate::engines;

/// Rule files: kind, bytes and the name they are reported under.
pub type Texts = Vec<(SourceKind, Vec<u8>, String)>;

/// The file names the three formats are read under.
pub const FILES: [(SourceKind, &str); 3] = [
    (SourceKind::Redirects, "_redirects"),
    (SourceKind::NetlifyToml, "netlify.toml"),
    (SourceKind::Json, "rules.json"),
];

/// Most diagnostics per input byte: a `_redirects` token can draw a few errors, a rule a few
/// warnings; far more would mean a diagnostic explosion.
const DIAGNOSTICS_PER_BYTE: usize = 8;
/// Longest rendered diagnostic: message with the values it quotes, and a shortened line.
const MAX_RENDERED: usize = 64 * 1024;
/// Rules whose own path is matched, compiled against the reference.
const MATCHED_RULES: usize = 32;

/// Splits fuzz bytes into rule files: `NUL` separates `_redirects`, `netlify.toml` and
/// `rules.json`, in that order; a missing part is a missing file.
pub fn texts_of(data: &[u8]) -> Texts {
    data.split(|&b| b == 0)
        .zip(FILES)
        .filter(|(text, _)| !text.is_empty())
        .map(|(text, (kind, name))| (kind, text.to_vec(), name.to_string()))
        .collect()
}

/// Runs fuzz bytes through [`check_site_texts`]. Panics on any failure (for the fuzzer).
pub fn check_site(data: &[u8]) {
    if let Err(failure) = check_site_texts(&texts_of(data)) {
        panic!("{failure}");
    }
}

/// The whole-site check on rule files already split. Returns what went wrong.
pub fn check_site_texts(texts: &Texts) -> Result<(), String> {
    let sources: Vec<(SourceKind, &[u8], &str)> =
        texts.iter().map(|(k, t, f)| (*k, t.as_slice(), f.as_str())).collect();
    let (site, diagnostics) = detour_check::site(&sources);
    let input_bytes: usize = texts.iter().map(|(_, t, _)| t.len()).sum();
    if diagnostics.len() > DIAGNOSTICS_PER_BYTE * (input_bytes + 1) {
        return Err(format!("{} diagnostics for {input_bytes} bytes", diagnostics.len()));
    }
    let indexes: Vec<(&str, LineIndex<'_>)> = texts.iter().map(|(_, t, f)| (f.as_str(), LineIndex::new(t))).collect();
    for d in &diagnostics {
        check_place(d, &indexes)?;
    }
    if texts.iter().any(|(_, t, _)| !t.is_empty()) && site.rules.is_empty() && diagnostics.is_empty() {
        // Nothing to say is fine only for text that holds no rule: blank lines, comments,
        // a TOML file without `[[redirects]]`, an empty JSON array.
        check_holds_no_rule(texts)?;
    }
    let blob = detour_compiler::compile(&site.rules).map_err(|e| format!("valid rules do not compile: {e}"))?;
    let blob = Blob::from_bytes(&blob).map_err(|e| format!("the compiled blob does not load: {e}"))?;
    answers_like_the_reference(&site.rules, blob)
}

/// A diagnostic names a given file, a line inside it, a column inside that line, and renders
/// to a bounded text.
fn check_place(d: &Diagnostic, indexes: &[(&str, LineIndex<'_>)]) -> Result<(), String> {
    let Some((_, index)) = indexes.iter().find(|(f, _)| *f == d.file) else {
        return Err(format!("diagnostic for an unknown file: {d}"));
    };
    let lines = index.line_count();
    if d.line == 0 || d.line as usize > lines {
        return Err(format!("line {} outside the file's {lines} lines: {d}", d.line));
    }
    if let Some(column) = d.column {
        let chars = index.line_text(d.line).map_or(0, |l| String::from_utf8_lossy(l).chars().count());
        if column == 0 || column as usize > chars + 1 {
            return Err(format!("column {column} outside the line's {chars} characters: {d}"));
        }
    }
    let rendered = d.to_string();
    if rendered.len() > MAX_RENDERED {
        return Err(format!("a diagnostic of {} bytes", rendered.len()));
    }
    Ok(())
}

fn check_holds_no_rule(texts: &Texts) -> Result<(), String> {
    for (kind, text, file) in texts {
        let silent = match kind {
            SourceKind::Redirects => {
                let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
                String::from_utf8_lossy(text).lines().all(|l| l.trim().is_empty() || l.trim().starts_with('#'))
            }
            // Structured files parse cleanly here; any `redirects` or array element would be a
            // rule or an error.
            SourceKind::NetlifyToml | SourceKind::Json => true,
        };
        if !silent {
            return Err(format!("{file}: rule text gave neither a rule nor a diagnostic"));
        }
    }
    Ok(())
}

/// For the first rules, a request on the rule's own path (and a miss): the compiled engine
/// answers exactly as the reference does.
fn answers_like_the_reference(rules: &[detour_rules::Rule], blob: Blob) -> Result<(), String> {
    let (roles, _) = crate::differential::roles();
    let matcher = Matcher::new(blob, roles.runtime());
    let head = rules.get(..MATCHED_RULES).unwrap_or(rules);
    for request in crate::workload::requests_for(head) {
        let expected = engines::reference(rules, &request, &roles);
        let actual = engines::compiled(&matcher, &request);
        if actual != expected {
            return Err(format!("request {request:?}\ncompiled:  {actual}\nreference: {expected}"));
        }
    }
    Ok(())
}
