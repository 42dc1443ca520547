//! The `_redirects` file format (SPEC §1.1): one rule per line,
//! `FROM [KEY=VALUE ...] [TO] [STATUS[!]] [KEY=VALUE ...]`.

use std::sync::Arc;

use thin_vec::ThinVec;

use crate::build::{self, ConditionKey};
use crate::diagnostics::{CappedDiagnostics, Diagnostic, Problem};
use crate::limits;
use crate::model::{Conditions, Rule, Source};
use crate::Parsed;

/// A whitespace-separated token and its 1-based column.
#[derive(Clone, Copy)]
struct Token<'a> {
    text: &'a str,
    column: u32,
}

/// Parses a whole `_redirects` file. Every line is parsed; every problem is reported.
pub fn parse_redirects(text: &[u8], file: &str) -> Parsed {
    let mut parsed = Parsed::default();
    if text.len() > limits::MAX_FILE_BYTES {
        let problem = Problem::FileTooLarge(text.len());
        parsed.diagnostics.push(Diagnostic::new(file, 1, None, problem, None));
        return parsed;
    }
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let shared_file: Arc<str> = file.into();
    let mut diagnostics = CappedDiagnostics::new(file);
    for (index, raw_line) in text.split(|&b| b == b'\n').enumerate() {
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let mut report = |column: Option<u32>, problem: Problem, shown: Option<&str>| {
            diagnostics.report(line_no, column, problem, shown);
        };
        if raw_line.len() > limits::MAX_LINE_BYTES {
            let shown = String::from_utf8_lossy(&raw_line[..256]);
            report(None, Problem::LineTooLong(raw_line.len()), Some(&shown));
            continue;
        }
        let Ok(line) = std::str::from_utf8(raw_line) else {
            let shown = String::from_utf8_lossy(raw_line);
            report(None, Problem::InvalidUtf8, Some(&shown));
            continue;
        };
        let tokens = tokenize(line);
        if tokens.is_empty() {
            continue;
        }
        if parsed.rules.len() >= limits::MAX_RULES {
            report(None, Problem::TooManyRules, Some(line));
            break;
        }
        let source = Source { file: Arc::clone(&shared_file), line: line_no };
        let mut warnings = Vec::new();
        match parse_line(&tokens, source, &mut warnings) {
            Ok(rule) => parsed.rules.push(rule),
            Err(errors) => {
                for (column, problem) in errors {
                    report(column, problem, Some(line));
                }
            }
        }
        for problem in warnings {
            report(None, problem, Some(line));
        }
    }
    parsed.diagnostics = diagnostics.finish();
    parsed
}

/// Splits a line into tokens; a token starting with `#` ends the line (inline comment).
fn tokenize(line: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut column = 0u32;
    let mut start: Option<(usize, u32)> = None;
    for (i, c) in line.char_indices().chain(std::iter::once((line.len(), ' '))) {
        column += 1;
        if c.is_whitespace() {
            if let Some((s, col)) = start.take() {
                tokens.push(Token { text: &line[s..i], column: col });
            }
        } else if start.is_none() {
            start = Some((i, column));
        }
    }
    if let Some(comment) = tokens.iter().position(|t| t.text.starts_with('#')) {
        tokens.truncate(comment);
    }
    tokens
}

type LineErrors = Vec<(Option<u32>, Problem)>;

/// Parses one rule line. Collects every independent error of the line.
fn parse_line(tokens: &[Token<'_>], source: Source, warnings: &mut Vec<Problem>) -> Result<Rule, LineErrors> {
    let mut errors: LineErrors = Vec::new();
    let from = tokens[0];
    let parsed_from = build::parse_from(from.text).map_err(|p| vec![(Some(from.column), p)])?;
    let (host, path) = parsed_from;
    let rest = &tokens[1..];

    // TO is the first token that can be a destination; what precedes it is query constraints.
    let to_index = rest.iter().position(|t| build::is_destination(t.text));
    let (query_tokens, to, after_to) = match to_index {
        Some(i) => (&rest[..i], Some(rest[i]), &rest[i + 1..]),
        None => {
            // Only a forward rule (`/app/* 200`) may omit TO; its status comes right after FROM.
            match rest.first() {
                Some(t) if build::looks_like_status(t.text) => (&rest[..0], None, rest),
                Some(t) if !t.text.contains('=') => {
                    return Err(vec![(Some(t.column), Problem::InvalidTo(t.text.to_string()))]);
                }
                _ => return Err(vec![(None, Problem::MissingTo)]),
            }
        }
    };

    let mut query = Vec::new();
    for t in query_tokens {
        if build::looks_like_status(t.text) {
            errors.push((Some(t.column), Problem::StatusBeforeTo(t.text.to_string())));
            continue;
        }
        let Some((key, value)) = t.text.split_once('=') else {
            errors.push((Some(t.column), Problem::QueryWithoutEquals(t.text.to_string())));
            continue;
        };
        match build::query_constraint(key, value) {
            Ok(c) => build::push_query(&mut query, c, warnings),
            Err(p) => errors.push((Some(t.column), p)),
        }
    }

    let mut status = 301;
    let mut force = false;
    let mut status_written = false;
    let mut condition_tokens = after_to;
    if let Some(first) = after_to.first() {
        if build::looks_like_status(first.text) || !first.text.contains('=') {
            condition_tokens = &after_to[1..];
            status_written = true;
            match build::parse_status_token(first.text) {
                Ok((s, f)) => (status, force) = (s, f),
                Err(p) => errors.push((Some(first.column), p)),
            }
        } else {
            errors.push((Some(first.column), Problem::ConditionWithoutStatus(first.text.to_string())));
            condition_tokens = &[];
        }
    }

    let mut conditions = Conditions::default();
    let mut signed = None;
    for t in condition_tokens {
        if t.text == "!" {
            errors.push((Some(t.column), Problem::DetachedForce));
            continue;
        }
        if build::looks_like_status(t.text) {
            errors.push((Some(t.column), Problem::SecondStatus(t.text.to_string())));
            continue;
        }
        let Some((key, value)) = t.text.split_once('=') else {
            errors.push((Some(t.column), Problem::ConditionWithoutEquals(t.text.to_string())));
            continue;
        };
        let Some(kind) = ConditionKey::parse(key) else {
            errors.push((Some(t.column), Problem::UnknownCondition(key.to_string())));
            continue;
        };
        let applied = build::split_values(t.text, value, false)
            .and_then(|values| build::set_condition(&mut conditions, &mut signed, kind, values, warnings));
        if let Err(p) = applied {
            errors.push((Some(t.column), p));
        }
    }

    let to = match to {
        Some(t) => match build::check_to(t.text) {
            Ok(()) => t.text.to_string(),
            Err(p) => {
                errors.push((Some(t.column), p));
                String::new()
            }
        },
        None => match build::forward_to(from.text, status) {
            Some(to) => to,
            None => {
                errors.push((None, Problem::MissingTo));
                String::new()
            }
        },
    };
    if let Err(p) = build::check_captures(&path, &query) {
        errors.push((Some(from.column), p));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Rule {
        source,
        from: from.text.into(),
        host: host.map(Box::new),
        path,
        query: query.into(),
        to: to.into_boxed_str(),
        status,
        status_written,
        force,
        conditions,
        headers: ThinVec::new(),
        signed: signed.map(String::into_boxed_str),
    })
}
