//! Netlify redirect rules: the rule model, the parsers for `_redirects`, `netlify.toml` and
//! JSON, and the diagnostics that explain every rejected or suspicious rule.
//!
//! ```
//! use detour_rules::{parse_site, SourceKind};
//!
//! let redirects = b"/blog/* /news/:splat 301\n/old /new 30x\n";
//! let toml = b"[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = 302\n";
//! let site = parse_site(&[
//!     (SourceKind::Redirects, &redirects[..], "_redirects"),
//!     (SourceKind::NetlifyToml, &toml[..], "netlify.toml"),
//! ]);
//! // `_redirects` comes first; the bad line is reported with its line, not dropped silently.
//! assert_eq!(site.rules.len(), 2);
//! assert_eq!(&*site.rules[1].to, "/b");
//! let error = &site.diagnostics[0];
//! assert_eq!((error.file.as_str(), error.line), ("_redirects", 2));
//! assert!(error.to_string().starts_with("_redirects:2:11: error: invalid status `30x`"));
//! ```
//!
//! The crate only parses and validates; matching lives in `detour-reference` (the naive oracle)
//! and in the compiled engine.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod build;
mod dedup;
mod diagnostics;
pub mod encoding;
pub mod limits;
mod line_index;
mod lint;
mod model;
mod pattern;
mod redirects_file;
mod shadow;
mod structured;
mod suggest;
mod toml_split;
mod toml_table;

use std::path::Path;

pub use diagnostics::{fill_source_lines, Diagnostic, Problem, Severity};
pub use line_index::LineIndex;
pub use lint::lint;
pub use model::{url_scheme_len, Conditions, HostMatch, QueryConstraint, QueryValue, Rule, Scheme, Source};
pub use pattern::{PathPattern, Segment};
pub use redirects_file::parse_redirects;
pub use structured::{parse_json, parse_netlify_toml};
pub use thin_vec::{thin_vec, ThinVec};

/// Rules and diagnostics from one or more sources.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// The valid rules, in priority order.
    pub rules: Vec<Rule>,
    /// Every error and warning, in file and line order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// The format of a rule source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A `_redirects` file.
    Redirects,
    /// A `netlify.toml` (its `[[redirects]]`).
    NetlifyToml,
    /// A JSON array of rule objects.
    Json,
}

impl SourceKind {
    /// Guesses the format from a file name: `*.toml` is TOML, `*.json` is JSON, anything else
    /// is a `_redirects` file.
    pub fn from_path(path: &Path) -> SourceKind {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("toml") => SourceKind::NetlifyToml,
            Some("json") => SourceKind::Json,
            _ => SourceKind::Redirects,
        }
    }
}

/// Parses one source.
pub fn parse(kind: SourceKind, text: &[u8], file: &str) -> Parsed {
    match kind {
        SourceKind::Redirects => parse_redirects(text, file),
        SourceKind::NetlifyToml => parse_netlify_toml(text, file),
        SourceKind::Json => parse_json(text, file),
    }
}

/// Parses a site's sources in priority order into one rule list, drops duplicate rules (only the
/// last copy of a rule is kept, SPEC §1), then adds the site-wide warnings of [`lint`].
pub fn parse_site(sources: &[(SourceKind, &[u8], &str)]) -> Parsed {
    let mut site = Parsed::default();
    for &(kind, text, file) in sources {
        let mut parsed = parse(kind, text, file);
        if site.rules.is_empty() {
            // Moved, not copied: a million rules would be held twice.
            std::mem::swap(&mut site.rules, &mut parsed.rules);
        }
        site.rules.append(&mut parsed.rules);
        site.diagnostics.extend(parsed.diagnostics);
    }
    let duplicates = dedup::drop_duplicates(&mut site.rules);
    site.diagnostics.extend(duplicates);
    if site.rules.len() > limits::MAX_RULES {
        site.rules.truncate(limits::MAX_RULES);
        let last = sources.last().map_or("", |s| s.2);
        site.diagnostics.push(Diagnostic::new(last, 1, None, Problem::TooManyRules, None));
    }
    let warnings = lint(&site.rules);
    site.diagnostics.extend(warnings);
    fill_source_lines(&mut site.diagnostics, sources);
    sort_diagnostics(&mut site.diagnostics, sources.iter().map(|s| s.2));
    site
}

/// Orders diagnostics by file (in the given order), then line; stable, so a line's own order of
/// problems is kept.
pub fn sort_diagnostics<'a>(diagnostics: &mut [Diagnostic], files: impl Iterator<Item = &'a str>) {
    let files: Vec<&str> = files.collect();
    diagnostics.sort_by_key(|d| (files.iter().position(|f| *f == d.file).unwrap_or(usize::MAX), d.line));
}
