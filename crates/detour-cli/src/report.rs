//! How `detour check` prints diagnostics: plain text (SPEC §1.3), JSON lines, or SARIF 2.1.0 for
//! code-scanning services that annotate pull requests.

use clap::ValueEnum;
use detour_rules::{Diagnostic, Severity};
use serde_json::{json, Value};

/// The output format of `detour check`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `FILE:LINE[:COL]: error|warning: MESSAGE`, then the offending line.
    #[default]
    Plain,
    /// One JSON object per diagnostic, one a line.
    Json,
    /// One SARIF 2.1.0 log.
    Sarif,
}

/// All diagnostics in `format`, ending with a newline when there are any; `styled` colours the
/// plain format (for a terminal).
pub fn render(diagnostics: &[Diagnostic], format: Format, styled: bool) -> String {
    match format {
        Format::Plain => diagnostics.iter().map(|d| format!("{}\n", crate::snippet::draw(d, styled))).collect(),
        Format::Json => diagnostics.iter().map(|d| format!("{}\n", to_json(d))).collect(),
        Format::Sarif => format!("{:#}\n", sarif(diagnostics)),
    }
}

/// A diagnostic's kind, stable across messages: the problem's name in kebab case
/// (`UnknownCondition` → `unknown-condition`).
pub fn code(d: &Diagnostic) -> String {
    let debug = format!("{:?}", d.problem);
    let name = debug.split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap_or_default();
    let mut code = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            code.push('-');
        }
        code.push(c.to_ascii_lowercase());
    }
    code
}

fn level(d: &Diagnostic) -> &'static str {
    match d.severity() {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn to_json(d: &Diagnostic) -> Value {
    json!({
        "file": d.file, "line": d.line, "column": d.column, "severity": level(d), "code": code(d),
        "message": d.problem.to_string(), "source_line": d.source_line,
    })
}

/// A file name as a relative URI reference (SARIF 2.1.0 §3.4.3): `\\` becomes `/`, and every
/// byte but letters, digits, `-._~` and `/` is percent-encoded, so a `#`, `?`, space or
/// non-ASCII letter in a name is not read as a fragment, query or invalid URI.
fn uri_reference(file: &str) -> String {
    let mut uri = String::with_capacity(file.len());
    for byte in file.replace('\\', "/").bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

/// One run of the `detour` tool: its rules (one per code found) and a result per diagnostic.
fn sarif(diagnostics: &[Diagnostic]) -> Value {
    let mut codes: Vec<String> = diagnostics.iter().map(code).collect();
    codes.sort();
    codes.dedup();
    let rules: Vec<Value> = codes.iter().map(|c| json!({ "id": c, "name": c })).collect();
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            json!({
                "ruleId": code(d),
                "level": level(d),
                "message": { "text": d.problem.to_string() },
                "locations": [{ "physicalLocation": {
                    "artifactLocation": { "uri": uri_reference(&d.file) },
                    "region": { "startLine": d.line, "startColumn": d.column.unwrap_or(1) },
                }}],
            })
        })
        .collect();
    json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": { "driver": {
                "name": "detour", "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}
