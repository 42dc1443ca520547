//! `detour check`: every error and warning of a site's rules, in one run.

use std::path::PathBuf;

use crate::{load, Failure};

pub fn run(files: &[PathBuf]) -> Result<(), Failure> {
    let mut site = load::load_rules(files)?;
    site.diagnostics.extend(detour_reference::loop_guard::warnings(&site.rules));
    let order: Vec<String> = files.iter().flat_map(|p| load::expand(p)).map(|p| p.display().to_string()).collect();
    detour_rules::sort_diagnostics(&mut site.diagnostics, order.iter().map(String::as_str));
    for d in &site.diagnostics {
        println!("{d}");
    }
    let errors = site.diagnostics.iter().filter(|d| d.is_error()).count();
    if !site.diagnostics.is_empty() {
        let warnings = site.diagnostics.len() - errors;
        eprintln!("detour check: {errors} error(s), {warnings} warning(s), {} valid rule(s)", site.rules.len());
    }
    if errors > 0 {
        Err(Failure::RuleErrors)
    } else {
        Ok(())
    }
}
