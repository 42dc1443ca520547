//! Validation shared by every rule source: `from`, `to`, status, query constraints and
//! conditions mean the same whether they came from `_redirects`, `netlify.toml` or JSON.

use crate::diagnostics::Problem;
use crate::encoding::form_decode;
use crate::limits;
use crate::model::{url_scheme_len, Conditions, HostMatch, QueryConstraint, QueryValue, Scheme};
use crate::pattern::{PathPattern, Segment};

/// Parses and validates `from`: a path, or an `http(s)://host/path` URL (SPEC §1.1, §3.8).
pub(crate) fn parse_from(from: &str) -> Result<(Option<HostMatch>, PathPattern), Problem> {
    if from.len() > limits::MAX_URL_BYTES {
        return Err(Problem::UrlTooLong { field: "from", len: from.len() });
    }
    let path = crate::model::path_of(from);
    let (host, path) = if from.starts_with('/') {
        (None, path)
    } else if let Some(scheme_len) = url_scheme_len(from) {
        let scheme = if scheme_len == 7 { Scheme::Http } else { Scheme::Https };
        let rest = &from[scheme_len..];
        let host = strip_port(rest.split('/').next().unwrap_or_default());
        if host.is_empty() || host.contains(['@', '?', '#']) {
            return Err(Problem::InvalidFrom(from.to_string()));
        }
        (Some(HostMatch { scheme, host: host.to_ascii_lowercase() }), path)
    } else {
        return Err(Problem::InvalidFrom(from.to_string()));
    };
    if from.contains('?') {
        return Err(Problem::QueryInFrom);
    }
    let pattern = PathPattern::parse(path)?;
    let reserved = |seg: Option<&Segment>| matches!(seg, Some(Segment::Literal(l)) if **l == *b".netlify");
    if reserved(pattern.segments.first()) || path == "/.netlify" || path.starts_with("/.netlify/") {
        return Err(Problem::ReservedPath);
    }
    Ok((host, pattern))
}

/// Drops a `:port` from a host (an IPv6 literal keeps its brackets).
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.rfind(':') {
        Some(i) if host[i + 1..].bytes().all(|b| b.is_ascii_digit()) => &host[..i],
        _ => host,
    }
}

/// True when a token can be a destination: it starts with `/`, `http://` or `https://`.
pub(crate) fn is_destination(token: &str) -> bool {
    token.starts_with('/') || url_scheme_len(token).is_some()
}

/// Validates `to`.
pub(crate) fn check_to(to: &str) -> Result<(), Problem> {
    if to.len() > limits::MAX_URL_BYTES {
        return Err(Problem::UrlTooLong { field: "to", len: to.len() });
    }
    if !is_destination(to) || url_scheme_len(to) == Some(to.len()) {
        return Err(Problem::InvalidTo(to.to_string()));
    }
    Ok(())
}

/// The implied `to` of a forward rule (`/app/* 200` means `/app/:splat`), if this is one:
/// the path ends in `/*` and the status is 2xx. For a domain-level rule the forward target is
/// the path, so the rule rewrites on the same site instead of proxying to itself.
pub(crate) fn forward_to(from: &str, status: u16) -> Option<String> {
    let prefix = crate::model::path_of(from).strip_suffix('*')?;
    (prefix.ends_with('/') && (200..300).contains(&status)).then(|| format!("{prefix}:splat"))
}

/// Parses a status: three digits, 100..=999, optionally followed by one `!` (force).
pub(crate) fn parse_status_token(token: &str) -> Result<(u16, bool), Problem> {
    let (digits, force) = match token.strip_suffix('!') {
        Some(d) => (d, true),
        None => (token, false),
    };
    if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Problem::InvalidStatus(token.to_string()));
    }
    let status: u16 = digits.parse().map_err(|_| Problem::InvalidStatus(token.to_string()))?;
    if status < 100 {
        return Err(Problem::StatusOutOfRange(token.to_string()));
    }
    Ok((status, force))
}

/// True for a token made only of digits and `!`: it was meant as a status.
pub(crate) fn looks_like_status(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit() || b == b'!') && token != "!"
}

/// Builds a query constraint from `key` and `value` as written.
pub(crate) fn query_constraint(key: &str, value: &str) -> Result<QueryConstraint, Problem> {
    if key.is_empty() {
        return Err(Problem::EmptyQueryKey(format!("{key}={value}")));
    }
    let value = match value.strip_prefix(':') {
        Some(name) if !name.is_empty() => QueryValue::Capture(name.to_string()),
        _ => QueryValue::Literal(form_decode(value.as_bytes())),
    };
    Ok(QueryConstraint { key: key.to_string(), value })
}

/// Adds a query constraint; a repeated key replaces the earlier one, with a warning.
pub(crate) fn push_query(query: &mut Vec<QueryConstraint>, constraint: QueryConstraint, warnings: &mut Vec<Problem>) {
    if let Some(i) = query.iter().position(|q| q.key == constraint.key) {
        warnings.push(Problem::DuplicateQueryKey(constraint.key.clone()));
        query.remove(i);
    }
    query.push(constraint);
}

/// The condition keys (case-insensitive on input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConditionKey {
    Country,
    Language,
    Role,
    Cookie,
    Sign,
}

impl ConditionKey {
    pub(crate) fn parse(key: &str) -> Option<ConditionKey> {
        Some(match key.to_ascii_lowercase().as_str() {
            "country" => ConditionKey::Country,
            "language" => ConditionKey::Language,
            "role" => ConditionKey::Role,
            "cookie" => ConditionKey::Cookie,
            "sign" | "signed" => ConditionKey::Sign,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            ConditionKey::Country => "Country",
            ConditionKey::Language => "Language",
            ConditionKey::Role => "Role",
            ConditionKey::Cookie => "Cookie",
            ConditionKey::Sign => "Sign",
        }
    }
}

/// Applies one condition as written (`token` is shown in messages). A repeated condition
/// replaces the earlier one, with a warning, as Netlify's own parser keeps the last.
pub(crate) fn set_condition(
    conditions: &mut Conditions,
    signed: &mut Option<String>,
    key: ConditionKey,
    values: Vec<String>,
    warnings: &mut Vec<Problem>,
) -> Result<(), Problem> {
    if values.len() > limits::MAX_LIST_ITEMS {
        return Err(Problem::TooManyItems { field: key.name().to_string(), len: values.len() });
    }
    let slot = match key {
        ConditionKey::Country => &mut conditions.country,
        ConditionKey::Language => &mut conditions.language,
        ConditionKey::Role => &mut conditions.role,
        ConditionKey::Cookie => &mut conditions.cookie,
        ConditionKey::Sign => {
            if signed.is_some() {
                warnings.push(Problem::DuplicateCondition(key.name().to_string()));
            }
            *signed = Some(values.join(","));
            return Ok(());
        }
    };
    if !slot.is_empty() {
        warnings.push(Problem::DuplicateCondition(key.name().to_string()));
    }
    *slot = values.into();
    Ok(())
}

/// Splits a condition value list on `,`; an empty item is an error (SPEC §1.1).
pub(crate) fn split_values(token: &str, value: &str, trim: bool) -> Result<Vec<String>, Problem> {
    let mut values = Vec::new();
    for item in value.split(',') {
        let item = if trim { item.trim() } else { item };
        if item.is_empty() || item.contains(char::is_whitespace) {
            return Err(Problem::EmptyConditionItem(token.to_string()));
        }
        values.push(item.to_string());
    }
    Ok(values)
}

/// Checks the number of captures a rule makes.
pub(crate) fn check_captures(path: &PathPattern, query: &[QueryConstraint]) -> Result<(), Problem> {
    let captures =
        path.capture_names().count() + query.iter().filter(|q| matches!(q.value, QueryValue::Capture(_))).count();
    if captures > limits::MAX_CAPTURES {
        return Err(Problem::TooManyCaptures(captures));
    }
    if query.len() > limits::MAX_LIST_ITEMS {
        return Err(Problem::TooManyItems { field: "query".to_string(), len: query.len() });
    }
    Ok(())
}
