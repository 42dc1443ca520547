//! `netlify.toml` `[[redirects]]` tables and JSON rule objects (SPEC §1.2). Both are turned into
//! one neutral [`Field`] tree and validated by the same function, so they cannot drift apart.

use crate::build::{self, ConditionKey};
use crate::diagnostics::{Diagnostic, Problem};
use crate::limits;
use crate::model::{Conditions, Rule, Source};
use crate::Parsed;

/// A value from TOML or JSON, reduced to what a rule table can hold.
#[derive(Debug, Clone)]
enum Field {
    Str(String),
    Int(i64),
    Bool(bool),
    Table(Vec<(String, Field)>),
    Array(Vec<Field>),
    Other,
}

impl From<&toml::Value> for Field {
    fn from(v: &toml::Value) -> Field {
        match v {
            toml::Value::String(s) => Field::Str(s.clone()),
            toml::Value::Integer(i) => Field::Int(*i),
            toml::Value::Boolean(b) => Field::Bool(*b),
            toml::Value::Array(a) => Field::Array(a.iter().map(Field::from).collect()),
            toml::Value::Table(t) => Field::Table(t.iter().map(|(k, v)| (k.clone(), v.into())).collect()),
            _ => Field::Other,
        }
    }
}

impl From<&serde_json::Value> for Field {
    fn from(v: &serde_json::Value) -> Field {
        match v {
            serde_json::Value::String(s) => Field::Str(s.clone()),
            serde_json::Value::Number(n) => n.as_i64().map_or(Field::Other, Field::Int),
            serde_json::Value::Bool(b) => Field::Bool(*b),
            serde_json::Value::Array(a) => Field::Array(a.iter().map(Field::from).collect()),
            serde_json::Value::Object(o) => Field::Table(o.iter().map(|(k, v)| (k.clone(), v.into())).collect()),
            serde_json::Value::Null => Field::Other,
        }
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> u32 {
    let offset = offset.min(text.len());
    let newlines = text.as_bytes()[..offset].iter().filter(|&&b| b == b'\n').count();
    u32::try_from(newlines + 1).unwrap_or(u32::MAX)
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line_of(text, offset), u32::try_from(column).unwrap_or(u32::MAX))
}

fn nth_line(text: &str, line: u32) -> Option<&str> {
    text.lines().nth(usize::try_from(line).ok()?.checked_sub(1)?)
}

fn decode_text<'a>(text: &'a [u8], file: &str, parsed: &mut Parsed) -> Option<&'a str> {
    if text.len() > limits::MAX_FILE_BYTES {
        parsed.diagnostics.push(Diagnostic::new(file, 1, None, Problem::FileTooLarge(text.len()), None));
        return None;
    }
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    match std::str::from_utf8(text) {
        Ok(s) => Some(s),
        Err(e) => {
            let line =
                u32::try_from(text[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1).unwrap_or(u32::MAX);
            parsed.diagnostics.push(Diagnostic::new(file, line, None, Problem::InvalidUtf8, None));
            None
        }
    }
}

/// Parses the `[[redirects]]` of a `netlify.toml`. Other sections are not redirects and are
/// ignored. A rule's location is the line of its `[[redirects]]` header.
pub fn parse_netlify_toml(text: &[u8], file: &str) -> Parsed {
    #[derive(serde::Deserialize)]
    struct NetlifyToml {
        #[serde(default)]
        redirects: Vec<toml::Spanned<toml::Table>>,
    }
    let mut parsed = Parsed::default();
    let Some(text) = decode_text(text, file, &mut parsed) else { return parsed };
    let doc: NetlifyToml = match toml::from_str(text) {
        Ok(doc) => doc,
        Err(e) => {
            let (line, column) = e.span().map_or((1, None), |s| {
                let (l, c) = line_column(text, s.start);
                (l, Some(c))
            });
            let message = e.message().trim().to_string();
            let problem = Problem::TomlSyntax(message);
            parsed.diagnostics.push(Diagnostic::new(file, line, column, problem, nth_line(text, line)));
            return parsed;
        }
    };
    for table in &doc.redirects {
        let line = header_line(text, table.span().start);
        let fields: Vec<(String, Field)> = table.get_ref().iter().map(|(k, v)| (k.clone(), v.into())).collect();
        add_rule(&mut parsed, &fields, file, line, nth_line(text, line));
    }
    parsed
}

/// The line of the `[[redirects]]` header a table's span belongs to. The span may start at the
/// header or at the first key, so walk back to the nearest line that opens a table.
fn header_line(text: &str, offset: usize) -> u32 {
    let mut line = line_of(text, offset);
    while line > 1 {
        match nth_line(text, line) {
            Some(l) if l.trim_start().starts_with("[[") => break,
            Some(l) if l.trim_start().starts_with('[') && !l.trim_start().starts_with("[[") => break,
            _ => line -= 1,
        }
    }
    if nth_line(text, line).is_some_and(|l| l.trim_start().starts_with("[[")) {
        line
    } else {
        line_of(text, offset)
    }
}

/// Parses a JSON array of rule objects. A rule's location is the line its object starts on.
pub fn parse_json(text: &[u8], file: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let Some(text) = decode_text(text, file, &mut parsed) else { return parsed };
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let line = u32::try_from(e.line()).unwrap_or(1).max(1);
            let column = u32::try_from(e.column()).ok().filter(|&c| c > 0);
            let problem = Problem::JsonSyntax(e.to_string());
            parsed.diagnostics.push(Diagnostic::new(file, line, column, problem, nth_line(text, line)));
            return parsed;
        }
    };
    let serde_json::Value::Array(items) = value else {
        let problem = Problem::BadShape("a JSON rule file must be an array of rule objects".to_string());
        parsed.diagnostics.push(Diagnostic::new(file, 1, None, problem, None));
        return parsed;
    };
    let starts = top_level_element_offsets(text);
    for (i, item) in items.iter().enumerate() {
        let line = starts.get(i).map_or(1, |&o| line_of(text, o));
        match Field::from(item) {
            Field::Table(fields) => add_rule(&mut parsed, &fields, file, line, nth_line(text, line)),
            _ => {
                let problem = Problem::BadShape("each element of the array must be a rule object".to_string());
                parsed.diagnostics.push(Diagnostic::new(file, line, None, problem, nth_line(text, line)));
            }
        }
    }
    parsed
}

/// Byte offsets where the elements of a top-level JSON array start (the text is valid JSON).
fn top_level_element_offsets(text: &str) -> Vec<usize> {
    let mut offsets = Vec::new();
    let (mut depth, mut in_string, mut escaped, mut expect_element) = (0usize, false, false, false);
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if b.is_ascii_whitespace() {
            continue;
        }
        if expect_element && depth == 1 && b != b']' {
            offsets.push(i);
        }
        expect_element = false;
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                expect_element = depth == 1;
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => expect_element = true,
            _ => {}
        }
    }
    offsets
}

fn add_rule(parsed: &mut Parsed, fields: &[(String, Field)], file: &str, line: u32, shown: Option<&str>) {
    if parsed.rules.len() >= limits::MAX_RULES {
        if !parsed.diagnostics.iter().any(|d| d.problem == Problem::TooManyRules) {
            parsed.diagnostics.push(Diagnostic::new(file, line, None, Problem::TooManyRules, shown));
        }
        return;
    }
    let source = Source { file: file.to_string(), line };
    let mut warnings = Vec::new();
    match rule_from_fields(fields, source, &mut warnings) {
        Ok(rule) => parsed.rules.push(rule),
        Err(errors) => {
            for p in errors {
                parsed.diagnostics.push(Diagnostic::new(file, line, None, p, shown));
            }
        }
    }
    for p in warnings {
        parsed.diagnostics.push(Diagnostic::new(file, line, None, p, shown));
    }
}

/// The canonical name of a rule field, with the legacy names folded in.
fn canonical_field(key: &str) -> Option<&'static str> {
    Some(match key {
        "from" | "origin" => "from",
        "to" | "destination" => "to",
        "status" => "status",
        "force" => "force",
        "query" | "params" | "parameters" => "query",
        "conditions" => "conditions",
        "headers" => "headers",
        "signed" | "sign" | "signing" => "signed",
        "rate_limit" => "rate_limit",
        _ => return None,
    })
}

fn wrong(field: &str, expected: &'static str) -> Problem {
    Problem::WrongType { field: field.to_string(), expected }
}

fn scalar_string(field: &str, value: &Field) -> Result<String, Problem> {
    match value {
        Field::Str(s) => Ok(s.clone()),
        Field::Int(i) => Ok(i.to_string()),
        Field::Bool(b) => Ok(b.to_string()),
        _ => Err(wrong(field, "a string")),
    }
}

fn string_table(field: &str, value: &Field) -> Result<Vec<(String, String)>, Problem> {
    let Field::Table(entries) = value else { return Err(wrong(field, "a table of strings")) };
    entries.iter().map(|(k, v)| Ok((k.clone(), scalar_string(&format!("{field}.{k}"), v)?))).collect()
}

/// Validates one rule table. Returns every error of the table, not just the first.
fn rule_from_fields(
    fields: &[(String, Field)],
    source: Source,
    warnings: &mut Vec<Problem>,
) -> Result<Rule, Vec<Problem>> {
    let mut errors = Vec::new();
    let mut seen: Vec<&'static str> = Vec::new();
    let (mut from, mut to, mut status, mut force) = (None, None, 301u16, false);
    let (mut query, mut conditions, mut headers, mut signed) = (Vec::new(), Conditions::default(), Vec::new(), None);

    for (key, value) in fields {
        let Some(name) = canonical_field(key) else {
            errors.push(Problem::UnknownField(key.clone()));
            continue;
        };
        if seen.contains(&name) {
            errors.push(Problem::DuplicateField(name.to_string()));
            continue;
        }
        seen.push(name);
        let result: Result<(), Problem> = match name {
            "from" => match value {
                Field::Str(s) => {
                    from = Some(s.clone());
                    Ok(())
                }
                _ => Err(wrong(key, "a string")),
            },
            "to" => match value {
                Field::Str(s) => build::check_to(s).map(|()| to = Some(s.clone())),
                _ => Err(wrong(key, "a string")),
            },
            "status" => match value {
                Field::Int(i) => match u16::try_from(*i) {
                    Ok(s) if (100..=999).contains(&s) => {
                        status = s;
                        Ok(())
                    }
                    _ => Err(Problem::StatusOutOfRange(i.to_string())),
                },
                Field::Str(s) if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() => {
                    build::parse_status_token(s).map(|(s, _)| status = s)
                }
                Field::Str(s) => Err(Problem::InvalidStatus(s.clone())),
                _ => Err(wrong(key, "an integer such as 301")),
            },
            "force" => match value {
                Field::Bool(b) => {
                    force = *b;
                    Ok(())
                }
                _ => Err(wrong(key, "true or false")),
            },
            "query" => string_table(key, value).and_then(|pairs| {
                for (k, v) in pairs {
                    build::push_query(&mut query, build::query_constraint(&k, &v)?, warnings);
                }
                Ok(())
            }),
            "conditions" => conditions_from(value, &mut conditions, &mut signed, warnings),
            "headers" => string_table(key, value).map(|h| headers = h),
            "signed" => match value {
                Field::Str(s) if !s.is_empty() => {
                    signed = Some(s.clone());
                    Ok(())
                }
                _ => Err(wrong(key, "the name of an environment variable")),
            },
            _ => {
                warnings.push(Problem::RateLimitIgnored);
                Ok(())
            }
        };
        if let Err(p) = result {
            errors.push(p);
        }
    }

    let Some(from_text) = from else {
        errors.push(Problem::MissingField("from"));
        return Err(errors);
    };
    let (host, path) = match build::parse_from(&from_text) {
        Ok(v) => v,
        Err(p) => {
            errors.push(p);
            return Err(errors);
        }
    };
    let to = match to {
        Some(t) => t,
        None => match build::forward_to(&path, status) {
            Some(t) => t,
            None => {
                if !seen.contains(&"to") {
                    errors.push(Problem::MissingTo);
                }
                String::new()
            }
        },
    };
    if let Err(p) = build::check_captures(&path, &query) {
        errors.push(p);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let status_written = seen.contains(&"status");
    Ok(Rule {
        source,
        from: from_text,
        host,
        path,
        query,
        to,
        status,
        status_written,
        force,
        conditions,
        headers,
        signed,
    })
}

fn conditions_from(
    value: &Field,
    conditions: &mut Conditions,
    signed: &mut Option<String>,
    warnings: &mut Vec<Problem>,
) -> Result<(), Problem> {
    let Field::Table(entries) = value else { return Err(wrong("conditions", "a table")) };
    for (key, v) in entries {
        let kind = ConditionKey::parse(key).ok_or_else(|| Problem::UnknownCondition(key.clone()))?;
        let shown = key.clone();
        let values = match v {
            Field::Str(s) => build::split_values(&shown, s, true)?,
            Field::Array(items) => {
                let mut values = Vec::new();
                for item in items {
                    let Field::Str(s) = item else { return Err(wrong(key, "an array of strings")) };
                    if s.trim().is_empty() {
                        return Err(Problem::EmptyConditionItem(shown));
                    }
                    values.push(s.trim().to_string());
                }
                if values.is_empty() {
                    return Err(Problem::EmptyConditionItem(shown));
                }
                values
            }
            _ => return Err(wrong(key, "an array of strings or a comma-separated string")),
        };
        build::set_condition(conditions, signed, kind, values, warnings)?;
    }
    Ok(())
}
