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

/// [`site`] for rule files already read ([`detour_check::site`]).
pub fn site_of(texts: &Texts) -> (detour_rules::Parsed, Vec<Diagnostic>) {
    detour_check::site(&load::as_sources(texts))
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
