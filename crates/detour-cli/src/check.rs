//! `detour check`: every error and warning of a site's rules, in one run.

use std::path::PathBuf;

use detour_rules::Diagnostic;

use crate::load::{self, Texts};
use crate::Failure;

/// All diagnostics of a site, the loop-guard warnings included, in file and line order.
pub fn diagnostics(files: &[PathBuf]) -> Result<(Vec<Diagnostic>, usize), Failure> {
    let (site, diagnostics) = site(files)?;
    Ok((diagnostics, site.rules.len()))
}

/// The site's valid rules, and all its diagnostics in file and line order.
pub fn site(files: &[PathBuf]) -> Result<(detour_rules::Parsed, Vec<Diagnostic>), Failure> {
    Ok(site_of(&load::read_texts(files)?))
}

/// [`site`] for rule files already read: parse, lint, loop-guard warnings, every diagnostic
/// with its source line.
pub fn site_of(texts: &Texts) -> (detour_rules::Parsed, Vec<Diagnostic>) {
    let sources = load::as_sources(texts);
    let mut site = detour_rules::parse_site(&sources);
    let mut diagnostics = std::mem::take(&mut site.diagnostics);
    diagnostics.extend(engine_warnings(&site.rules));
    detour_rules::fill_source_lines(&mut diagnostics, &sources);
    detour_rules::sort_diagnostics(&mut diagnostics, sources.iter().map(|s| s.2));
    (site, diagnostics)
}

/// The warnings only the compiled engine can give: the loop guard's (SPEC §3.10), and the runs of
/// rules its index cannot divide (`docs/limits.md`).
fn engine_warnings(rules: &[detour_rules::Rule]) -> Vec<Diagnostic> {
    let options = detour_compiler::CompileOptions::default();
    let Ok((blob, lists)) = detour_compiler::compile_with_report(rules, &options) else { return Vec::new() };
    let mut out: Vec<Diagnostic> = lists.iter().filter_map(|list| linear_warning(rules, list)).collect();
    if let Ok(blob) = detour_runtime::Blob::from_bytes(&blob) {
        let matcher = detour_runtime::Matcher::new(blob, detour_runtime::MatchOptions::default());
        out.extend(crate::loop_warnings::warnings(rules, &matcher));
    }
    out
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

/// Prints every diagnostic; fails with exit code 1 on any error.
pub fn run(files: &[PathBuf]) -> Result<(), Failure> {
    let (diagnostics, valid) = diagnostics(files)?;
    for d in &diagnostics {
        println!("{d}");
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if !diagnostics.is_empty() {
        let warnings = diagnostics.len() - errors;
        eprintln!("detour check: {errors} error(s), {warnings} warning(s), {valid} valid rule(s)");
    }
    if errors > 0 {
        Err(Failure::RuleErrors)
    } else {
        Ok(())
    }
}
