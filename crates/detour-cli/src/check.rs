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
    diagnostics.extend(detour_reference::loop_guard::warnings(&site.rules));
    detour_rules::fill_source_lines(&mut diagnostics, &sources);
    detour_rules::sort_diagnostics(&mut diagnostics, sources.iter().map(|s| s.2));
    (site, diagnostics)
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
