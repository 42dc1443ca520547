//! `detour check`: every error and warning of a site's rules, in one run.

use std::path::PathBuf;

use detour_rules::Diagnostic;

use crate::{load, Failure};

/// All diagnostics of a site, the loop-guard warnings included, in file and line order.
pub fn diagnostics(files: &[PathBuf]) -> Result<(Vec<Diagnostic>, usize), Failure> {
    let (site, diagnostics) = site(files)?;
    Ok((diagnostics, site.rules.len()))
}

/// The site's valid rules, and all its diagnostics in file and line order.
pub fn site(files: &[PathBuf]) -> Result<(detour_rules::Parsed, Vec<Diagnostic>), Failure> {
    let (mut site, texts) = load::read_rules(files)?;
    let mut diagnostics = std::mem::take(&mut site.diagnostics);
    diagnostics.extend(detour_reference::loop_guard::warnings(&site.rules));
    diagnostics.extend(linear_rules(&site.rules));
    let sources = load::as_sources(&texts);
    detour_rules::fill_source_lines(&mut diagnostics, &sources);
    detour_rules::sort_diagnostics(&mut diagnostics, sources.iter().map(|s| s.2));
    Ok((site, diagnostics))
}

/// A warning for each long run of rules that the compiled index cannot divide (SPEC-silent
/// cost, `docs/limits.md`), at the first rule of the run, naming the others' lines.
fn linear_rules(rules: &[detour_rules::Rule]) -> Vec<Diagnostic> {
    let Ok(lists) = detour_compiler::linear_lists(rules, &detour_compiler::CompileOptions::default()) else {
        return Vec::new();
    };
    lists
        .iter()
        .filter_map(|list| {
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
        })
        .collect()
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
