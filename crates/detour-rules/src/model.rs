//! The rule model: what one redirect rule means, independent of the file it came from.

use std::sync::Arc;

use thin_vec::ThinVec;

use crate::pattern::PathPattern;

/// Where a rule was written: the file name as the caller gave it and the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Source {
    /// File name as given to the parser (for `netlify.toml`, JSON: the file; the line is the
    /// rule's `[[redirects]]` header or object start). Shared by every rule of the file.
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
}

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// `http://`
    Http,
    /// `https://`
    Https,
}

impl Scheme {
    /// The scheme's name, without `://`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// The scheme and host a domain-level rule is restricted to (SPEC §3.8).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostMatch {
    /// Scheme the request must use.
    pub scheme: Scheme,
    /// Host, lower-case, without port.
    pub host: String,
}

/// The value side of a query constraint `key=value` (SPEC §3.6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum QueryValue {
    /// `key=:name`: the key must be present; its form-decoded value is captured as `name`.
    Capture(String),
    /// `key=literal`: the form-decoded value must equal this (form-decoded) literal.
    Literal(Vec<u8>),
}

/// One query constraint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueryConstraint {
    /// The key, compared literally (not decoded).
    pub key: String,
    /// What the key's value must be.
    pub value: QueryValue,
}

/// The conditions of a rule (SPEC §3.7). An empty list means "no such condition".
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Conditions {
    /// Country codes, any of which matches (case-insensitive).
    pub country: ThinVec<String>,
    /// Language tags, any of which matches (whole tag or primary subtag, case-insensitive).
    pub language: ThinVec<String>,
    /// Roles from the `nf_jwt` token, any of which matches.
    pub role: ThinVec<String>,
    /// Cookie names, any of which must be present with a non-empty value.
    pub cookie: ThinVec<String>,
}

impl Conditions {
    /// The condition lists with their canonical key names, in the order rules are written.
    pub fn named(&self) -> [(&'static str, &ThinVec<String>); 4] {
        [("Country", &self.country), ("Language", &self.language), ("Role", &self.role), ("Cookie", &self.cookie)]
    }

    /// True when the rule has no condition at all.
    pub fn is_empty(&self) -> bool {
        self.country.is_empty() && self.language.is_empty() && self.role.is_empty() && self.cookie.is_empty()
    }
}

/// One redirect rule, parsed and validated.
///
/// A site may hold a million of these at once, so the fields a rule rarely has cost a pointer
/// each when empty ([`ThinVec`], a boxed host) and the file name is shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Where it was written.
    pub source: Source,
    /// `from` exactly as written (host included for domain-level rules).
    pub from: Box<str>,
    /// The scheme and host a domain-level rule is restricted to; `None` matches every host.
    pub host: Option<Box<HostMatch>>,
    /// The path pattern of `from`.
    pub path: PathPattern,
    /// Query constraints, in the order written.
    pub query: ThinVec<QueryConstraint>,
    /// `to` exactly as written (for a forward rule: derived from `from`).
    pub to: Box<str>,
    /// HTTP status, 100..=999.
    pub status: u16,
    /// The status was written (an omitted one is 301). Two rules that differ only here are
    /// not duplicates (SPEC §1).
    pub status_written: bool,
    /// `!` / `force = true`: applies even when a file exists at the path.
    pub force: bool,
    /// Conditions on the request.
    pub conditions: Conditions,
    /// Extra request headers for proxy rules, in the order written.
    pub headers: ThinVec<(String, String)>,
    /// Name of the environment variable holding the signing secret, for proxy rules.
    pub signed: Option<Box<str>>,
}

/// The path part of a rule's `from` as written: all of it, or what follows the host of an
/// `http(s)://host/path` URL (`/` when the URL has no path).
pub(crate) fn path_of(from: &str) -> &str {
    let Some(scheme_len) = url_scheme_len(from).filter(|_| !from.starts_with('/')) else { return from };
    let rest = from.get(scheme_len..).unwrap_or_default();
    rest.find('/').and_then(|at| rest.get(at..)).unwrap_or("/")
}

impl Rule {
    /// The path of `from` as written (after the host, for domain-level rules).
    pub fn path_as_written(&self) -> &str {
        path_of(&self.from)
    }

    /// True when `to` is an absolute `http(s)://` URL.
    pub fn to_is_absolute(&self) -> bool {
        url_scheme_len(&self.to).is_some()
    }

    /// Renders the rule as one `_redirects` line that parses back to the same rule (headers,
    /// which `_redirects` cannot express, are left out).
    pub fn to_redirects_line(&self) -> String {
        let mut line = self.from.to_string();
        for q in &self.query {
            line.push(' ');
            line.push_str(&q.key);
            line.push('=');
            match &q.value {
                QueryValue::Capture(name) => {
                    line.push(':');
                    line.push_str(name);
                }
                QueryValue::Literal(v) => {
                    line.push_str(&crate::encoding::encode_query_value(v));
                }
            }
        }
        line.push(' ');
        line.push_str(&self.to);
        if self.status_written {
            line.push_str(&format!(" {}", self.status));
            if self.force {
                line.push('!');
            }
        }
        for (key, values) in self.conditions.named() {
            if !values.is_empty() {
                line.push_str(&format!(" {key}={}", values.join(",")));
            }
        }
        if let Some(signed) = &self.signed {
            line.push_str(&format!(" Sign={signed}"));
        }
        line
    }
}

impl Rule {
    /// Renders the rule as one `[[redirects]]` table of a `netlify.toml` that parses back to the
    /// same rule.
    pub fn to_netlify_toml(&self) -> String {
        use toml::{Table, Value};
        let strings = |items: &[String]| Value::Array(items.iter().map(|s| Value::String(s.clone())).collect());
        let mut t = Table::new();
        t.insert("from".into(), Value::String(self.from.to_string()));
        t.insert("to".into(), Value::String(self.to.to_string()));
        if self.status_written {
            t.insert("status".into(), Value::Integer(i64::from(self.status)));
        }
        t.insert("force".into(), Value::Boolean(self.force));
        if !self.query.is_empty() {
            let mut q = Table::new();
            for c in &self.query {
                let value = match &c.value {
                    QueryValue::Capture(name) => format!(":{name}"),
                    QueryValue::Literal(v) => crate::encoding::encode_query_value(v),
                };
                q.insert(c.key.clone(), Value::String(value));
            }
            t.insert("query".into(), Value::Table(q));
        }
        let mut conditions = Table::new();
        for (key, values) in self.conditions.named() {
            if !values.is_empty() {
                conditions.insert(key.into(), strings(values));
            }
        }
        if !conditions.is_empty() {
            t.insert("conditions".into(), Value::Table(conditions));
        }
        if !self.headers.is_empty() {
            let h = self.headers.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
            t.insert("headers".into(), Value::Table(h));
        }
        if let Some(signed) = &self.signed {
            t.insert("signed".into(), Value::String(signed.to_string()));
        }
        let mut doc = Table::new();
        doc.insert("redirects".into(), Value::Array(vec![Value::Table(t)]));
        toml::to_string(&doc).unwrap_or_default()
    }
}

/// Length of the `http://` or `https://` prefix of `s` (case-insensitive), if it has one.
pub fn url_scheme_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.len() >= 7 && b[..7].eq_ignore_ascii_case(b"http://") {
        Some(7)
    } else if b.len() >= 8 && b[..8].eq_ignore_ascii_case(b"https://") {
        Some(8)
    } else {
        None
    }
}
