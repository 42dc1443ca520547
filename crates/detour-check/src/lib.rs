//! What a site's rules have wrong, in one run: the parsers' errors and warnings, the lint's, and
//! the warnings only the compiled engine can give (the loop guard's, SPEC §3.10, and runs of rules
//! its index cannot divide). `detour check`, `compile` and `serve` all report through here; so do
//! the `check_site` fuzz target and the whole-site property test.
//!
//! ```
//! use detour_rules::SourceKind;
//!
//! let redirects = b"/* /t/:splat 301\n/old /new 30x\n";
//! let (site, diagnostics) = detour_check::site(&[(SourceKind::Redirects, &redirects[..], "_redirects")]);
//! assert_eq!(site.rules.len(), 1);
//! let shown: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
//! assert!(shown[0].starts_with("_redirects:1: warning: the loop guard"), "{shown:?}");
//! assert!(shown[1].starts_with("_redirects:2:11: error: invalid status `30x`"), "{shown:?}");
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod loop_warnings;
pub mod redirect_chains;

use detour_rules::{Diagnostic, Parsed, SourceKind};

/// Parses a site's sources (in priority order) and returns its valid rules and every diagnostic,
/// each with its source line, in file and line order.
pub fn site(sources: &[(SourceKind, &[u8], &str)]) -> (Parsed, Vec<Diagnostic>) {
    let checked = compiled(sources);
    (checked.site, checked.diagnostics)
}

/// A site checked and compiled in one run.
#[derive(Debug)]
pub struct Checked {
    /// The valid rules (the site's diagnostics are moved to `diagnostics`).
    pub site: Parsed,
    /// Every diagnostic, each with its source line, in file and line order.
    pub diagnostics: Vec<Diagnostic>,
    /// The blob of the valid rules, or why they could not be compiled.
    pub blob: Result<Vec<u8>, detour_compiler::CompileError>,
}

/// [`site`], keeping the blob its engine warnings were computed from: `detour compile` writes
/// that blob rather than compiling the rules a second time.
pub fn compiled(sources: &[(SourceKind, &[u8], &str)]) -> Checked {
    let mut site = detour_rules::parse_site(sources);
    let mut diagnostics = std::mem::take(&mut site.diagnostics);
    let blob = engine_warnings(&site.rules, &mut diagnostics);
    detour_rules::fill_source_lines(&mut diagnostics, sources);
    detour_rules::sort_diagnostics(&mut diagnostics, sources.iter().map(|s| s.2));
    Checked { site, diagnostics, blob }
}

/// Compiles the rules and adds the warnings only the compiled engine can give: the loop guard's
/// (SPEC §3.10), redirect loops and chains across rules, and the runs of rules its index cannot
/// divide (`docs/limits.md`).
fn engine_warnings(
    rules: &[detour_rules::Rule],
    out: &mut Vec<Diagnostic>,
) -> Result<Vec<u8>, detour_compiler::CompileError> {
    let options = detour_compiler::CompileOptions::default();
    let (blob, lists) = detour_compiler::compile_with_report(rules, &options)?;
    out.extend(lists.iter().filter_map(|list| linear_warning(rules, list)));
    if let Ok(validated) = detour_runtime::Blob::from_bytes(&blob) {
        let matcher = detour_runtime::Matcher::new(validated, detour_runtime::MatchOptions::default());
        out.extend(loop_warnings::warnings(rules, &matcher));
        out.extend(redirect_chains::warnings(rules, &matcher));
    }
    Ok(blob)
}

/// The warning for a run of rules the index cannot divide, at its first rule, naming the others.
fn linear_warning(rules: &[detour_rules::Rule], list: &detour_compiler::LinearList) -> Option<Diagnostic> {
    let first = rules.get(*list.rules.first()? as usize)?;
    let shown: Vec<String> = list
        .rules
        .iter()
        .take(10)
        .filter_map(|&r| rules.get(r as usize))
        .map(|r| format!("{}:{}", r.source.file, r.source.line))
        .collect();
    let more = list.rules.len().saturating_sub(shown.len());
    let lines = if more > 0 { format!("{} and {more} more", shown.join(", ")) } else { shown.join(", ") };
    let key = format!("/{}", String::from_utf8_lossy(&list.key));
    let problem = detour_rules::Problem::LinearRules { key, count: list.rules.len(), lines };
    Some(Diagnostic::new(&first.source.file, first.source.line, None, problem, None))
}
