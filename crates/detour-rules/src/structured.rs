//! `netlify.toml` `[[redirects]]` tables and JSON rule objects (SPEC §1.2). Both are turned into
//! one neutral [`Field`] tree and validated by the same function, so they cannot drift apart.

use std::sync::Arc;

use rayon::prelude::*;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::build::{self, ConditionKey};
use crate::diagnostics::{Diagnostic, Problem};
use crate::limits;
use crate::line_index::LineIndex;
use crate::model::{Conditions, QueryConstraint, Rule, Source};
use crate::Parsed;
use crate::{toml_split, toml_table};

/// A value from TOML or JSON, reduced to what a rule table can hold.
#[derive(Debug, Clone)]
pub(crate) enum Field<'a> {
    Str(&'a str),
    Int(i64),
    Bool(bool),
    Table(Vec<Entry<'a>>),
    Array(Vec<Field<'a>>),
    Other,
}

/// One key of a table and its value. `at` is the byte offset of the key in the text, where
/// the parser knows it (TOML); a problem with the value is reported there. Keys and strings
/// borrow from the parsed document: only what a rule keeps is copied.
#[derive(Debug, Clone)]
pub(crate) struct Entry<'a> {
    pub(crate) key: &'a str,
    pub(crate) at: Option<usize>,
    pub(crate) value: Field<'a>,
}

/// A problem and the byte offset it belongs to; `None` is the rule's own line.
type Located = (Option<usize>, Problem);

/// A TOML value as a [`Field`]; `base` is where the parsed text starts in the file.
fn toml_field<'a>(v: &'a DeValue<'_>, base: usize) -> Field<'a> {
    match v {
        DeValue::String(s) => Field::Str(s),
        // Out of `i64` range reads as "not an integer": the status check names the field.
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).map_or(Field::Other, Field::Int),
        DeValue::Boolean(b) => Field::Bool(*b),
        DeValue::Array(a) => Field::Array(a.iter().map(|item| toml_field(item.get_ref(), base)).collect()),
        DeValue::Table(t) => Field::Table(toml_entries(t, base)),
        DeValue::Float(_) | DeValue::Datetime(_) => Field::Other,
    }
}

fn toml_entries<'a>(table: &'a DeTable<'_>, base: usize) -> Vec<Entry<'a>> {
    table
        .iter()
        .map(|(k, v)| Entry { key: k.get_ref(), at: Some(base + k.span().start), value: toml_field(v.get_ref(), base) })
        .collect()
}

impl<'a> From<&'a serde_json::Value> for Field<'a> {
    fn from(v: &'a serde_json::Value) -> Field<'a> {
        match v {
            serde_json::Value::String(s) => Field::Str(s),
            serde_json::Value::Number(n) => n.as_i64().map_or(Field::Other, Field::Int),
            serde_json::Value::Bool(b) => Field::Bool(*b),
            serde_json::Value::Array(a) => Field::Array(a.iter().map(Field::from).collect()),
            serde_json::Value::Object(o) => {
                Field::Table(o.iter().map(|(k, v)| Entry { key: k, at: None, value: v.into() }).collect())
            }
            serde_json::Value::Null => Field::Other,
        }
    }
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
            let line = LineIndex::new(text).line_of(e.valid_up_to());
            parsed.diagnostics.push(Diagnostic::new(file, line, None, Problem::InvalidUtf8, None));
            None
        }
    }
}

/// One rule file's text and its line index, to place and show diagnostics.
struct Place<'t> {
    file: &'t str,
    /// The file name every rule of the file shares.
    shared_file: Arc<str>,
    lines: LineIndex<'t>,
}

impl Place<'_> {
    /// A diagnostic at byte `at` (line and column), or on `line` when there is no offset.
    fn diagnostic(&self, at: Option<usize>, line: u32, problem: Problem) -> Diagnostic {
        let (line, column) = match at {
            Some(offset) => {
                let (line, column) = self.lines.line_column(offset);
                (line, Some(column))
            }
            None => (line, None),
        };
        Diagnostic::new(self.file, line, column, problem, self.lines.line_str(line))
    }
}

/// Parses the `[[redirects]]` of a `netlify.toml`. Other sections are not redirects and are
/// ignored. A rule's location is the line of its `[[redirects]]` header; a problem with one of
/// its keys is reported at that key.
pub fn parse_netlify_toml(text: &[u8], file: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let Some(text) = decode_text(text, file, &mut parsed) else { return parsed };
    let place = Place { file, shared_file: file.into(), lines: LineIndex::new(text.as_bytes()) };
    match parse_toml_by_table(text, &place) {
        Some(by_table) => by_table,
        None => parse_toml_whole(text, &place),
    }
}

/// A `netlify.toml` parsed as one document.
fn parse_toml_whole(text: &str, place: &Place<'_>) -> Parsed {
    let mut parsed = Parsed::default();
    let doc = match DeTable::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let problem = Problem::TomlSyntax(e.message().trim().to_string());
            parsed.diagnostics.push(place.diagnostic(e.span().map(|s| s.start), 1, problem));
            return parsed;
        }
    };
    let Some((key, redirects)) = doc.get_ref().iter().find(|(k, _)| k.get_ref() == "redirects") else {
        return parsed;
    };
    let DeValue::Array(tables) = redirects.get_ref() else {
        let problem = Problem::BadShape("`redirects` must be an array of tables: write `[[redirects]]`".to_string());
        parsed.diagnostics.push(place.diagnostic(Some(key.span().start), 1, problem));
        return parsed;
    };
    parsed.rules.reserve_exact(tables.len());
    for table in tables.iter() {
        add_toml_rule(&mut parsed, place, table, 0);
    }
    parsed
}

/// One element of `redirects`, parsed from text starting at byte `base` of the file.
fn add_toml_rule(parsed: &mut Parsed, place: &Place<'_>, table: &Spanned<DeValue<'_>>, base: usize) {
    // The span of a `[[redirects]]` table is its header; of an inline table, its `{`.
    let line = place.lines.line_of(base + table.span().start);
    match table.get_ref() {
        DeValue::Table(t) => add_rule(parsed, place, &toml_entries(t, base), line),
        _ => {
            let problem = Problem::BadShape("each element of `redirects` must be a table".to_string());
            parsed.diagnostics.push(place.diagnostic(None, line, problem));
        }
    }
}

/// How many `[[redirects]]` tables one task of the parallel parse takes.
const TABLES_PER_TASK: usize = 512;

/// A `netlify.toml` parsed one `[[redirects]]` table at a time ([`toml_split`]), which keeps the
/// parser's buffers small and lets the tables be parsed on every core; `None` (parse the whole
/// document instead) when the document does not split, any part of it does not parse alone, or
/// it has more rules than a site may, so every error and the rule limit are found and placed by
/// the whole-document parse.
fn parse_toml_by_table(text: &str, place: &Place<'_>) -> Option<Parsed> {
    let split = toml_split::split(text)?;
    if split.tables.len() > limits::MAX_RULES {
        return None;
    }
    let rest = DeTable::parse(&split.rest).ok()?;
    if rest.get_ref().iter().any(|(k, _)| k.get_ref() == "redirects") {
        return None;
    }
    if split.tables.len() <= TABLES_PER_TASK {
        // One task's worth: parsed here, without starting (or waking) rayon's thread pool.
        return parse_tables(&split.tables, place);
    }
    let parts: Vec<Parsed> =
        split.tables.par_chunks(TABLES_PER_TASK).map(|tables| parse_tables(tables, place)).collect::<Option<_>>()?;
    let mut parsed = Parsed::default();
    parsed.rules.reserve_exact(split.tables.len());
    for part in parts {
        parsed.rules.extend(part.rules);
        parsed.diagnostics.extend(part.diagnostics);
    }
    Some(parsed)
}

/// `[[redirects]]` sections, each parsed alone, in order.
fn parse_tables(sections: &[(usize, &str)], place: &Place<'_>) -> Option<Parsed> {
    let mut parsed = Parsed::default();
    for &(base, section) in sections {
        if let Some(entries) = toml_table::read(section, base) {
            add_rule(&mut parsed, place, &entries, place.lines.line_of(base));
            continue;
        }
        let doc = DeTable::parse(section).ok()?;
        let (_, redirects) = doc.get_ref().iter().find(|(k, _)| k.get_ref() == "redirects")?;
        let DeValue::Array(tables) = redirects.get_ref() else { return None };
        for table in tables.iter() {
            add_toml_rule(&mut parsed, place, table, base);
        }
    }
    Some(parsed)
}

/// Parses a JSON array of rule objects. A rule's location is the line its object starts on.
pub fn parse_json(text: &[u8], file: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let Some(text) = decode_text(text, file, &mut parsed) else { return parsed };
    let place = Place { file, shared_file: file.into(), lines: LineIndex::new(text.as_bytes()) };
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            // serde_json counts columns in bytes; the line index turns them into characters.
            let line = u32::try_from(e.line()).unwrap_or(1).max(1);
            let line_len = place.lines.line_text(line).map_or(0, <[u8]>::len);
            let offset =
                place.lines.start_of(line).zip(e.column().checked_sub(1)).map(|(start, c)| start + c.min(line_len));
            let problem = Problem::JsonSyntax(e.to_string());
            parsed.diagnostics.push(place.diagnostic(offset, line, problem));
            return parsed;
        }
    };
    let serde_json::Value::Array(items) = value else {
        let problem = Problem::BadShape("a JSON rule file must be an array of rule objects".to_string());
        parsed.diagnostics.push(Diagnostic::new(file, 1, None, problem, None));
        return parsed;
    };
    parsed.rules.reserve_exact(items.len());
    let starts = top_level_element_offsets(text);
    for (i, item) in items.iter().enumerate() {
        let line = starts.get(i).map_or(1, |&o| place.lines.line_of(o));
        match Field::from(item) {
            Field::Table(fields) => add_rule(&mut parsed, &place, &fields, line),
            _ => {
                let problem = Problem::BadShape("each element of the array must be a rule object".to_string());
                parsed.diagnostics.push(place.diagnostic(None, line, problem));
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

fn add_rule(parsed: &mut Parsed, place: &Place<'_>, fields: &[Entry<'_>], line: u32) {
    if parsed.rules.len() >= limits::MAX_RULES {
        if !parsed.diagnostics.iter().any(|d| d.problem == Problem::TooManyRules) {
            parsed.diagnostics.push(place.diagnostic(None, line, Problem::TooManyRules));
        }
        return;
    }
    let source = Source { file: Arc::clone(&place.shared_file), line };
    let mut warnings = Vec::new();
    match rule_from_fields(fields, source, &mut warnings) {
        Ok(rule) => parsed.rules.push(rule),
        Err(errors) => parsed.diagnostics.extend(errors.into_iter().map(|(at, p)| place.diagnostic(at, line, p))),
    }
    parsed.diagnostics.extend(warnings.into_iter().map(|(at, p)| place.diagnostic(at, line, p)));
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
        Field::Str(s) => Ok(s.to_string()),
        Field::Int(i) => Ok(i.to_string()),
        Field::Bool(b) => Ok(b.to_string()),
        _ => Err(wrong(field, "a string")),
    }
}

/// A table of strings (`query`, `headers`); a bad value is reported at its own key.
fn string_table(field: &str, at: Option<usize>, value: &Field) -> Result<Vec<(String, String)>, Located> {
    let Field::Table(entries) = value else { return Err((at, wrong(field, "a table of strings"))) };
    entries
        .iter()
        .map(|e| {
            let text = scalar_string(&format!("{field}.{}", e.key), &e.value).map_err(|p| (e.at.or(at), p))?;
            Ok((e.key.to_string(), text))
        })
        .collect()
}

/// The fields of one rule table as read so far.
#[derive(Default)]
struct RuleFields {
    from: Option<(String, Option<usize>)>,
    to: Option<String>,
    status: Option<u16>,
    force: bool,
    query: Vec<QueryConstraint>,
    conditions: Conditions,
    headers: Vec<(String, String)>,
    signed: Option<String>,
}

/// Validates one rule table. Returns every error of the table, not just the first, each at the
/// key it is about where the text gives one.
fn rule_from_fields(fields: &[Entry<'_>], source: Source, warnings: &mut Vec<Located>) -> Result<Rule, Vec<Located>> {
    let mut errors = Vec::new();
    let mut seen: Vec<&'static str> = Vec::new();
    let mut read = RuleFields::default();
    for entry in fields {
        let Some(name) = canonical_field(entry.key) else {
            errors.push((entry.at, Problem::UnknownField(entry.key.to_string())));
            continue;
        };
        if seen.contains(&name) {
            errors.push((entry.at, Problem::DuplicateField(name.to_string())));
            continue;
        }
        seen.push(name);
        let mut field_warnings = Vec::new();
        if let Err(located) = read_field(&mut read, name, entry, &mut field_warnings) {
            errors.push(located);
        }
        warnings.extend(field_warnings.into_iter().map(|p| (entry.at, p)));
    }

    let Some((from_text, from_at)) = read.from else {
        errors.push((None, Problem::MissingField("from")));
        return Err(errors);
    };
    let (host, path) = match build::parse_from(&from_text) {
        Ok(v) => v,
        Err(p) => {
            errors.push((from_at, p));
            return Err(errors);
        }
    };
    let status = read.status.unwrap_or(301);
    let to = match read.to {
        Some(t) => t,
        None => build::forward_to(&from_text, status).unwrap_or_else(|| {
            if !seen.contains(&"to") {
                errors.push((None, Problem::MissingTo));
            }
            String::new()
        }),
    };
    if let Err(p) = build::check_captures(&path, &read.query) {
        errors.push((from_at, p));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let status_written = seen.contains(&"status");
    let RuleFields { force, query, conditions, headers, signed, .. } = read;
    Ok(Rule {
        source,
        from: from_text.into_boxed_str(),
        host: host.map(Box::new),
        path,
        query: query.into(),
        to: to.into_boxed_str(),
        status,
        status_written,
        force,
        conditions,
        headers: headers.into(),
        signed: signed.map(String::into_boxed_str),
    })
}

/// Reads one field (`name` is its canonical name) into `read`.
fn read_field(
    read: &mut RuleFields,
    name: &str,
    entry: &Entry<'_>,
    warnings: &mut Vec<Problem>,
) -> Result<(), Located> {
    let (key, at, value) = (entry.key, entry.at, &entry.value);
    let here = |p: Problem| (at, p);
    match (name, value) {
        ("from", Field::Str(s)) => read.from = Some((s.to_string(), at)),
        ("to", Field::Str(s)) => {
            build::check_to(s).map_err(here)?;
            read.to = Some(s.to_string());
        }
        ("status", _) => read.status = Some(status_of(key, value).map_err(here)?),
        ("force", Field::Bool(b)) => read.force = *b,
        ("force", _) => return Err(here(wrong(key, "true or false"))),
        ("query", _) => {
            for (k, v) in string_table(key, at, value)? {
                build::push_query(&mut read.query, build::query_constraint(&k, &v).map_err(here)?, warnings);
            }
        }
        ("conditions", _) => conditions_from(value, at, &mut read.conditions, &mut read.signed, warnings)?,
        ("headers", _) => read.headers = string_table(key, at, value)?,
        ("signed", Field::Str(s)) if !s.is_empty() => read.signed = Some(s.to_string()),
        ("signed", _) => return Err(here(wrong(key, "the name of an environment variable"))),
        ("rate_limit", _) => warnings.push(Problem::RateLimitIgnored),
        _ => return Err(here(wrong(key, "a string"))),
    }
    Ok(())
}

/// A status: an integer, or a string of digits.
fn status_of(key: &str, value: &Field) -> Result<u16, Problem> {
    match value {
        Field::Int(i) => match u16::try_from(*i) {
            Ok(s) if (100..=999).contains(&s) => Ok(s),
            _ => Err(Problem::StatusOutOfRange(i.to_string())),
        },
        Field::Str(s) if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() => {
            build::parse_status_token(s).map(|(s, _)| s)
        }
        Field::Str(s) => Err(Problem::InvalidStatus(s.to_string())),
        _ => Err(wrong(key, "an integer such as 301")),
    }
}

fn conditions_from(
    value: &Field,
    at: Option<usize>,
    conditions: &mut Conditions,
    signed: &mut Option<String>,
    warnings: &mut Vec<Problem>,
) -> Result<(), Located> {
    let Field::Table(entries) = value else { return Err((at, wrong("conditions", "a table"))) };
    for entry in entries {
        let here = |p: Problem| (entry.at.or(at), p);
        let key = entry.key;
        let kind = ConditionKey::parse(key).ok_or_else(|| here(Problem::UnknownCondition(key.to_string())))?;
        let values = condition_values(key, &entry.value).map_err(here)?;
        build::set_condition(conditions, signed, kind, values, warnings).map_err(here)?;
    }
    Ok(())
}

/// A condition's values: an array of strings, or a comma-separated string; items are trimmed.
fn condition_values(key: &str, value: &Field) -> Result<Vec<String>, Problem> {
    match value {
        Field::Str(s) => build::split_values(key, s, true),
        Field::Array(items) => {
            let mut values = Vec::new();
            for item in items {
                let Field::Str(s) = item else { return Err(wrong(key, "an array of strings")) };
                if s.trim().is_empty() {
                    return Err(Problem::EmptyConditionItem(key.to_string()));
                }
                values.push(s.trim().to_string());
            }
            if values.is_empty() {
                return Err(Problem::EmptyConditionItem(key.to_string()));
            }
            Ok(values)
        }
        _ => Err(wrong(key, "an array of strings or a comma-separated string")),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The table-by-table parse and the whole-document parse agree: same rules, same
    /// diagnostics at the same lines and columns.
    fn check_same_as_whole(text: &str) {
        let by_table = parse_netlify_toml(text.as_bytes(), "netlify.toml");
        let place =
            Place { file: "netlify.toml", shared_file: "netlify.toml".into(), lines: LineIndex::new(text.as_bytes()) };
        let whole = parse_toml_whole(text, &place);
        assert_eq!(by_table.rules, whole.rules, "{text}");
        assert_eq!(by_table.diagnostics, whole.diagnostics, "{text}");
    }

    #[test]
    fn table_by_table_parse_equals_whole_parse() {
        let docs = [
            "[build]\npublish = \"dist\"\n\n[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = 302\n\n[[redirects]]\n  from = \"/c/*\"\n  to = \"/d/:splat\"\n  [redirects.conditions]\n  Country = [\"de\"]\n",
            "[[redirects]]\nfrom = \"/a\"\nto = 5\nstatus = \"x\"\nfrce = true\n[[redirects]]\nfrom = \"/é\"\nto = \"/ü\"\n",
            "# c\n[[redirects]] # rule one\nfrom = \"/a\" # x\nto = \"\"\"/b\n\"\"\"\n[[redirects]]\nfrom = '/x'\nto = '''/y'''\nquery = {id = \":id\"}\n",
            "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\n[build]\n[redirects.conditions]\nRole = [\"a\"]\n",
            "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\n[[redirects]]\nfrom = \"/a\"\nfrom = \"/b\"\n",
            "redirects = [{from = \"/a\", to = \"/b\"}]\n[[redirects]]\nfrom = \"/c\"\nto = \"/d\"\n",
            "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\n[build]\npublish = \n",
            "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nheaders = {X-A = \"1\"}\n[redirects.headers]\nX-B = \"2\"\n",
        ];
        for doc in docs {
            check_same_as_whole(doc);
        }
        // The ordinary shapes take the table-by-table path (the others fall back).
        for doc in [docs[0], docs[1], docs[2]] {
            let place = Place { file: "f", shared_file: "f".into(), lines: LineIndex::new(doc.as_bytes()) };
            assert!(parse_toml_by_table(doc, &place).is_some(), "{doc}");
        }
    }

    #[test]
    fn tables_parsed_in_parallel_keep_their_order_and_lines() {
        let mut text = String::from("[build]\npublish = \"dist\"\n");
        for i in 0..(3 * TABLES_PER_TASK + 7) {
            let status = if i % 97 == 0 { "\"bad\"".to_string() } else { (301 + i % 2).to_string() };
            text.push_str(&format!("[[redirects]]\nfrom = \"/a{i}\"\nto = \"/b{i}\"\nstatus = {status}\n"));
        }
        check_same_as_whole(&text);
        let place = Place { file: "f", shared_file: "f".into(), lines: LineIndex::new(text.as_bytes()) };
        assert!(parse_toml_by_table(&text, &place).is_some());
    }

    #[test]
    fn the_fast_reader_takes_the_plain_shapes() {
        let rules =
            "/a /b 301\n/c id=:id /d/:id 302! Country=us,de Language=en\n/e https://x.example/f 200 Role=admin\n";
        for rule in crate::parse_redirects(rules.as_bytes(), "_redirects").rules {
            let section = rule.to_netlify_toml();
            assert!(toml_table::read(&section, 0).is_some(), "{section}");
            check_fast_reader(&section);
        }
        let inline = "[[redirects]]\nfrom = '/a' # c\nto = \"/é\"\nquery = {id = \":id\"}\nconditions = {Language = [\"en\"]}\nstatus = -5\nforce = true\n";
        assert!(toml_table::read(inline, 0).is_some());
        check_fast_reader(inline);
    }

    /// Pieces a `netlify.toml` is made of, including the ones the split must see through.
    const PIECES: &[&str] = &[
        "[[redirects]]\n",
        "  [[redirects]] # c\n",
        "[redirects.conditions]\n",
        "[redirects.query]\n",
        "[build]\n",
        "[[plugins]]\n",
        "[ redirects ]\n",
        "from = \"/a/:x\"\n",
        "from = \"/b/*\"\n",
        "to = \"/c/:x\"\n",
        "to = \"https://é.example/:splat\"\n",
        "status = 301\n",
        "status = \"x\"\n",
        "force = true\n",
        "Country = [\"de\", \"at\"]\n",
        "id = \":id\"\n",
        "x = \"\"\"\n[[redirects]]\n\"\"\"\n",
        "y = '''\n[build]'''\n",
        "z = [\n[1],\n]\n",
        "w = \"a # b [[redirects]]\"\n",
        "# [[redirects]]\n",
        "v = \"unterminated\n",
        "\n",
        "to = \"/a\\u00e9\"\n",
        "query = {id = \":id\", p = \"2\"}\n",
        "conditions = {Language = [\"en\", 'de'], Country = []}\n",
        "headers = {X-A = \"1\",}\n",
        "status = 0301\n",
        "status = +302 # c\n",
        "status = 1_000\n",
        "force = false\n",
        "force = truex\n",
        "\"quoted\" = \"x\"\n",
        "a.b = \"x\"\n",
        "[redirects.headers]\n",
        "[ redirects.query ]\n",
        "X-From = \"é\"\n",
        "Role = [\"admin\",\n\"x\"]\n",
        "t = 1979-05-27\n",
        "e = \"\"\n",
        "l = 'a\\b'\n",
    ];

    /// The fast reader answers exactly what the `toml` crate answers, or leaves the table to it.
    fn check_fast_reader(section: &str) {
        let Some(fast) = toml_table::read(section, 7) else { return };
        let doc = DeTable::parse(section).expect("a table the fast reader takes is valid TOML");
        let (_, redirects) = doc.get_ref().iter().find(|(k, _)| k.get_ref() == "redirects").expect("redirects");
        let DeValue::Array(tables) = redirects.get_ref() else { panic!("not an array: {section}") };
        assert_eq!(tables.len(), 1, "{section}");
        let DeValue::Table(t) = tables[0].get_ref() else { panic!("not a table: {section}") };
        assert_eq!(format!("{fast:?}"), format!("{:?}", toml_entries(t, 7)), "{section}");
    }

    proptest! {
        #[test]
        fn table_by_table_parse_equals_whole_parse_on_any_mix(picks in prop::collection::vec(0..PIECES.len(), 0..24)) {
            let text: String = picks.iter().map(|&i| PIECES[i]).collect();
            check_same_as_whole(&text);
        }

        #[test]
        fn the_fast_table_reader_agrees_with_the_toml_crate(picks in prop::collection::vec(0..PIECES.len(), 0..12)) {
            let body: String = picks.iter().map(|&i| PIECES[i]).filter(|p| !p.contains("[[")).collect();
            check_fast_reader(&format!("[[redirects]]\n{body}"));
            check_fast_reader(&format!("[[redirects]] # c\r\n{body}"));
        }
    }
}
