//! One engine-neutral answer per request, rendered as a JSONL result line (SPEC §5) or as text.

use std::path::Path;

use detour_reference::Outcome;
use detour_rules::Rule;
use serde_json::{Map, Value};

/// What an engine decided, in the terms of the JSONL interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// No rule applies.
    NoMatch,
    /// Role denied: answer 404.
    Denied,
    /// A rule applies.
    Matched(Box<Applied>),
    /// A rule applies but its target would pass 16 KiB (SPEC §4): answer 414.
    TooLong {
        /// The rule's file (base name).
        file: String,
        /// The rule's 1-based line.
        line: u32,
        /// The rule's 0-based index.
        rule: usize,
    },
}

/// The fields of a matched result line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub file: String,
    pub line: u32,
    pub rule: usize,
    pub status: u16,
    pub force: bool,
    pub negative: bool,
    pub to: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub signed: Option<String>,
}

/// The file name shown in results: the base name, so results and blobs do not depend on the
/// directory the rules were read from.
pub fn display_file(file: &str) -> String {
    Path::new(file).file_name().map_or_else(|| file.to_string(), |f| f.to_string_lossy().into_owned())
}

impl Answer {
    /// From the reference matcher's outcome.
    pub fn from_reference(outcome: Outcome, rules: &[Rule]) -> Answer {
        match outcome {
            Outcome::NoMatch => Answer::NoMatch,
            Outcome::Denied => Answer::Denied,
            Outcome::TooLong { rule } => {
                let source = &rules[rule].source;
                Answer::TooLong { file: display_file(&source.file), line: source.line, rule }
            }
            Outcome::Matched(d) => {
                let rule = &rules[d.rule];
                Answer::Matched(Box::new(Applied {
                    file: display_file(&rule.source.file),
                    line: rule.source.line,
                    rule: d.rule,
                    status: rule.status,
                    force: rule.force,
                    negative: d.negative,
                    to: String::from_utf8_lossy(&d.to).into_owned(),
                    target: d.target,
                    headers: rule.headers.to_vec(),
                    signed: rule.signed.as_deref().map(str::to_string),
                }))
            }
        }
    }

    /// From the compiled engine's outcome.
    pub fn from_runtime(outcome: detour_runtime::Outcome<'_>) -> Answer {
        match outcome {
            detour_runtime::Outcome::NoMatch => Answer::NoMatch,
            detour_runtime::Outcome::Denied => Answer::Denied,
            detour_runtime::Outcome::TooLong(t) => {
                Answer::TooLong { file: t.file.to_string(), line: t.line, rule: t.rule as usize }
            }
            detour_runtime::Outcome::Matched(d) => Answer::Matched(Box::new(Applied {
                file: d.file.to_string(),
                line: d.line,
                rule: d.rule as usize,
                status: d.status,
                force: d.force,
                negative: d.negative,
                to: String::from_utf8_lossy(d.to).into_owned(),
                target: d.target.to_string(),
                headers: d.headers().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                signed: d.signed.map(str::to_string),
            })),
        }
    }

    /// The JSONL result line.
    pub fn to_json(&self) -> Value {
        match self {
            Answer::NoMatch => Value::Null,
            Answer::Denied => serde_json::json!({ "denied": true }),
            Answer::TooLong { file, line, rule } => {
                serde_json::json!({ "too_long": true, "file": file, "line": line, "rule": rule })
            }
            Answer::Matched(a) => {
                let mut m = Map::new();
                m.insert("file".into(), a.file.clone().into());
                m.insert("line".into(), a.line.into());
                m.insert("rule".into(), a.rule.into());
                m.insert("status".into(), a.status.into());
                m.insert("force".into(), a.force.into());
                m.insert("negative".into(), a.negative.into());
                m.insert("to".into(), a.to.clone().into());
                m.insert("target".into(), a.target.clone().into());
                if !a.headers.is_empty() {
                    let headers: Map<String, Value> =
                        a.headers.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect();
                    m.insert("headers".into(), headers.into());
                }
                if let Some(s) = &a.signed {
                    m.insert("signed".into(), s.clone().into());
                }
                Value::Object(m)
            }
        }
    }

    /// A human-readable description.
    pub fn to_text(&self) -> String {
        match self {
            Answer::NoMatch => "no rule matches".to_string(),
            Answer::Denied => "role denied: a Role rule matched but the request lacks the role; answer 404".to_string(),
            Answer::TooLong { file, line, rule } => {
                format!("target too long: rule {rule} at {file}:{line} would make a target over 16 KiB; answer 414")
            }
            Answer::Matched(a) => {
                let kind = match a.status {
                    300..=399 => "redirect",
                    200 if a.target.starts_with("http://") || a.target.starts_with("https://") => "proxy",
                    200 => "rewrite",
                    _ => "serve target content",
                };
                let mut s = format!("{} {kind} -> {}\n", a.status, a.target);
                s.push_str(&format!("  rule {} at {}:{}", a.rule, a.file, a.line));
                s.push_str(&format!(" (force: {}, negative: {})\n", a.force, a.negative));
                s.push_str(&format!("  to: {}", a.to));
                for (k, v) in &a.headers {
                    s.push_str(&format!("\n  header: {k}: {v}"));
                }
                if let Some(signed) = &a.signed {
                    s.push_str(&format!("\n  signed with ${signed}"));
                }
                s
            }
        }
    }
}
