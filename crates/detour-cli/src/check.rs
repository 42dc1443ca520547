//! `detour check`: every error and warning of a site's rules, in one run.

use std::io::Write;
use std::path::PathBuf;

use detour_rules::Diagnostic;

use crate::load::{self, Texts};
use crate::report::{render, Format};
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

/// Prints every diagnostic in `format` on standard output and a count on standard error; fails
/// with exit code 1 on any error, or on any warning with `deny_warnings`.
pub fn run(files: &[PathBuf], format: Format, deny_warnings: bool) -> Result<(), Failure> {
    let spinner = crate::progress::Spinner::start("checking the rules");
    let (diagnostics, valid) = diagnostics(files)?;
    drop(spinner);
    // Colour for the plain format; anstream strips it when stdout is no terminal or NO_COLOR is set.
    let shown = render(&diagnostics, format, format == Format::Plain);
    let mut out = anstream::stdout().lock();
    out.write_all(shown.as_bytes()).and_then(|()| out.flush()).map_err(|e| Failure::Io(format!("stdout: {e}")))?;
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    if !diagnostics.is_empty() {
        eprintln!("detour check: {errors} error(s), {warnings} warning(s), {valid} valid rule(s)");
    }
    if errors > 0 || (deny_warnings && warnings > 0) {
        Err(Failure::RuleErrors)
    } else {
        Ok(())
    }
}
