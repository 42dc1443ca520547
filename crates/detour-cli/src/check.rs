//! `detour check`: every error and warning of a site's rules, in one run.

use std::path::PathBuf;

use detour_rules::Diagnostic;

use crate::{load, Failure};

/// All diagnostics of a site, the loop-guard warnings included, in file and line order.
pub fn diagnostics(files: &[PathBuf]) -> Result<(Vec<Diagnostic>, usize), Failure> {
    let (mut site, texts) = load::read_rules(files)?;
    site.diagnostics.extend(detour_reference::loop_guard::warnings(&site.rules));
    let sources = load::as_sources(&texts);
    detour_rules::fill_source_lines(&mut site.diagnostics, &sources);
    detour_rules::sort_diagnostics(&mut site.diagnostics, sources.iter().map(|s| s.2));
    Ok((site.diagnostics, site.rules.len()))
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
