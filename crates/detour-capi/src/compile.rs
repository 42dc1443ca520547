//! Compiling rules to a blob from C: the blob and every diagnostic, kept behind a handle until
//! the caller has read them.

use std::path::Path;

use detour_rules::{parse_site, Diagnostic, SourceKind};

use crate::output::{copy_strings, needed};
use crate::request::DetourSpan;
use crate::status::{Error, DETOUR_ERR_IO, DETOUR_ERR_RULES};

/// [`DetourDiagnostic::severity`]: an error (the rule is dropped; no blob is written).
pub const DETOUR_SEVERITY_ERROR: u32 = 0;
/// A warning (the rule is kept).
pub const DETOUR_SEVERITY_WARNING: u32 = 1;

/// One diagnostic; spans point into the output buffer of the call.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DetourDiagnostic {
    /// `DETOUR_SEVERITY_ERROR` or `DETOUR_SEVERITY_WARNING`.
    pub severity: u32,
    /// 1-based line.
    pub line: u32,
    /// 1-based column in characters, or 0 when the whole line is meant.
    pub column: u32,
    /// The file name as given.
    pub file: DetourSpan,
    /// What is wrong.
    pub message: DetourSpan,
    /// Bytes of output buffer the strings need.
    pub needed: usize,
}

/// The outcome of a compilation: the blob (empty when a rule has an error) and the diagnostics.
pub(crate) struct Compilation {
    pub(crate) blob: Vec<u8>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl Compilation {
    /// Parses the sources as one site and compiles the valid rules, unless any has an error.
    fn from_sources(sources: &[(SourceKind, &[u8], &str)]) -> Result<Compilation, Error> {
        let site = parse_site(sources);
        let blob = if site.has_errors() {
            Vec::new()
        } else {
            detour_compiler::compile(&site.rules).map_err(|e| Error::new(DETOUR_ERR_RULES, e.to_string()))?
        };
        Ok(Compilation { blob, diagnostics: site.diagnostics })
    }

    /// Compiles rule text; its format follows the file name (`*.toml`, `*.json`, else
    /// `_redirects`).
    pub(crate) fn from_text(text: &[u8], file_name: &str) -> Result<Compilation, Error> {
        Compilation::from_sources(&[(SourceKind::from_path(Path::new(file_name)), text, file_name)])
    }

    /// Reads and compiles rule files, in priority order.
    pub(crate) fn from_files(paths: &[&str]) -> Result<Compilation, Error> {
        let mut texts = Vec::with_capacity(paths.len());
        for path in paths {
            let text = std::fs::read(path).map_err(|e| Error::new(DETOUR_ERR_IO, format!("{path}: {e}")))?;
            texts.push((SourceKind::from_path(Path::new(path)), text, *path));
        }
        let sources: Vec<_> = texts.iter().map(|(k, t, f)| (*k, t.as_slice(), *f)).collect();
        Compilation::from_sources(&sources)
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Fills a diagnostic and copies its file name and message into `out`.
pub(crate) fn write_diagnostic(d: &Diagnostic, result: &mut DetourDiagnostic, out: &mut [u8]) -> Result<(), Error> {
    let message = d.problem.to_string();
    let strings = [d.file.as_bytes(), message.as_bytes()];
    *result = DetourDiagnostic {
        severity: if d.is_error() { DETOUR_SEVERITY_ERROR } else { DETOUR_SEVERITY_WARNING },
        line: d.line,
        column: d.column.unwrap_or(0),
        needed: needed(&strings),
        ..DetourDiagnostic::default()
    };
    [result.file, result.message] = copy_strings(out, strings)?;
    Ok(())
}
