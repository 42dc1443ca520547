//! Diagnostics: every error and warning about a rule file, with file, line and column.

use std::fmt;

use crate::line_index::LineIndex;
use crate::SourceKind;

/// Whether a diagnostic drops the rule (error) or only reports it (warning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The rule is invalid and is not compiled.
    Error,
    /// The rule is kept, but probably not what the author meant.
    Warning,
}

/// What is wrong. Each variant is one kind of mistake; its message tells a site owner what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    // ---- errors: the rule is dropped ----
    /// `from` is neither a path nor an `http(s)://` URL.
    #[error("`{0}` is not a path or URL: `from` must start with `/`, `http://` or `https://`")]
    InvalidFrom(String),
    /// No destination and not a forward rule.
    #[error("missing destination: only a `/*` rule with a 2xx status (`/app/* 200`) may omit `to`")]
    MissingTo,
    /// `to` does not start with `/`, `http://` or `https://`.
    #[error("`{0}` is not a valid destination: `to` must start with `/`, `http://` or `https://`")]
    InvalidTo(String),
    /// A status token that is not three digits with an optional `!`.
    #[error("invalid status `{0}`: write three digits with an optional `!`, like `301` or `200!`")]
    InvalidStatus(String),
    /// A status below 100.
    #[error("status `{0}` is out of range: use 100 to 999")]
    StatusOutOfRange(String),
    /// `!` separated from its status.
    #[error("`!` must be attached to the status, as in `301!`")]
    DetachedForce,
    /// A status where a condition belongs.
    #[error("second status `{0}`: a rule has exactly one status")]
    SecondStatus(String),
    /// A status before the destination.
    #[error("status `{0}` comes before the destination: write `FROM TO STATUS`")]
    StatusBeforeTo(String),
    /// Conditions without an explicit status.
    #[error("condition `{0}` needs an explicit status before it, as in `/a /b 302 {0}`")]
    ConditionWithoutStatus(String),
    /// A condition token without `=`.
    #[error("condition `{0}` has no `=`: write `Key=value1,value2`")]
    ConditionWithoutEquals(String),
    /// A condition value list with an empty item.
    #[error("condition `{0}` has an empty value: separate values with a single `,` and no spaces")]
    EmptyConditionItem(String),
    /// A condition key that is not Country, Language, Role, Cookie or Sign.
    #[error("unknown condition `{0}`: use Country, Language, Role, Cookie or Sign{hint}", hint = crate::suggest::did_you_mean(.0, crate::suggest::CONDITION_NAMES))]
    UnknownCondition(String),
    /// A query constraint without `=`.
    #[error("query constraint `{0}` has no `=`: write `key=value` or `key=:name` between `from` and `to`")]
    QueryWithoutEquals(String),
    /// A query constraint with an empty key.
    #[error("query constraint `{0}` has an empty key")]
    EmptyQueryKey(String),
    /// A path under `/.netlify`.
    #[error("`from` is under `/.netlify`, which Netlify reserves for itself")]
    ReservedPath,
    /// A `?` inside `from`: a request path never holds a literal `?` (it starts the query), so
    /// the rule could never match (SPEC §1.1 makes it an error).
    #[error("`from` contains `?`, so the rule could never match (a request's path ends where its query starts): write query constraints as `key=value` tokens after `from`, as in `/store id=:id /blog/:id`")]
    QueryInFrom,
    /// A file or line that is not UTF-8.
    #[error("not valid UTF-8 text")]
    InvalidUtf8,
    /// A syntax error reported by the TOML parser.
    #[error("TOML syntax: {0}")]
    TomlSyntax(String),
    /// A syntax error reported by the JSON parser.
    #[error("JSON syntax: {0}")]
    JsonSyntax(String),
    /// The file's top level is not what was expected.
    #[error("{0}")]
    BadShape(String),
    /// A field that a rule table must not have.
    #[error("unknown field `{0}`: a redirect has from, to, status, force, query, conditions, headers and signed{hint}", hint = crate::suggest::did_you_mean(.0, crate::suggest::FIELD_NAMES))]
    UnknownField(String),
    /// A field given twice, possibly under a legacy name.
    #[error("`{0}` is given twice (legacy names count: origin=from, destination=to, params/parameters=query, sign/signing=signed)")]
    DuplicateField(String),
    /// A required field is missing.
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    /// A field of the wrong type.
    #[error("field `{field}` must be {expected}")]
    WrongType {
        /// The field.
        field: String,
        /// What it must be.
        expected: &'static str,
    },
    /// A line longer than [`crate::limits::MAX_LINE_BYTES`].
    #[error("line is {0} bytes long; the limit is {max} bytes", max = crate::limits::MAX_LINE_BYTES)]
    LineTooLong(usize),
    /// A `from` or `to` longer than [`crate::limits::MAX_URL_BYTES`].
    #[error("`{field}` is {len} bytes long; the limit is {max} bytes", max = crate::limits::MAX_URL_BYTES)]
    UrlTooLong {
        /// `from` or `to`.
        field: &'static str,
        /// Its length.
        len: usize,
    },
    /// A pattern with more than [`crate::limits::MAX_PATTERN_SEGMENTS`] segments.
    #[error("`from` has {0} segments; the limit is {max}", max = crate::limits::MAX_PATTERN_SEGMENTS)]
    TooManySegments(usize),
    /// A pattern with more than [`crate::limits::MAX_WILDCARDS`] wildcards.
    #[error("`from` has {0} wildcards; the limit is {max}", max = crate::limits::MAX_WILDCARDS)]
    TooManyWildcards(usize),
    /// A rule with more than [`crate::limits::MAX_CAPTURES`] captures.
    #[error("the rule captures {0} values; the limit is {max}", max = crate::limits::MAX_CAPTURES)]
    TooManyCaptures(usize),
    /// A list longer than [`crate::limits::MAX_LIST_ITEMS`].
    #[error("`{field}` has {len} items; the limit is {max}", max = crate::limits::MAX_LIST_ITEMS)]
    TooManyItems {
        /// Which list.
        field: String,
        /// Its length.
        len: usize,
    },
    /// More rules than [`crate::limits::MAX_RULES`].
    #[error("the site has more than {max} rules; the rest are not read", max = crate::limits::MAX_RULES)]
    TooManyRules,
    /// A file larger than [`crate::limits::MAX_FILE_BYTES`]; the bytes read of it (readers stop
    /// one byte past the limit: [`crate::limits::read_limited`]).
    #[error("file is over the limit of {max} bytes", max = crate::limits::MAX_FILE_BYTES)]
    FileTooLarge(usize),
    /// More diagnostics in one file than [`crate::limits::MAX_DIAGNOSTICS_PER_FILE`]: the rest
    /// are counted by line, not kept. An error when any of them was one.
    #[error(
        "{lines} more line(s) from here on have problems not shown: only the first {max} diagnostics of a file are kept; fix those and check again",
        max = crate::limits::MAX_DIAGNOSTICS_PER_FILE
    )]
    DiagnosticsOmitted {
        /// Lines with a diagnostic past the cap.
        lines: usize,
        /// Some of them were errors.
        errors: bool,
    },

    // ---- warnings: the rule is kept ----
    /// `from` equals `to`.
    #[error("`to` equals `from`: this rule sends the request back to itself")]
    RedirectsToItself,
    /// An exact copy of a later rule: only the last copy is kept (SPEC §1).
    #[error(
        "duplicate rule: dropped in favour of its last copy at {file}:{line}, which keeps that place in the order"
    )]
    DuplicateRule {
        /// File of the kept copy.
        file: String,
        /// Line of the kept copy.
        line: u32,
    },
    /// Many rules that share an index key and nothing else the index can key on: a request under
    /// the key may try them one by one (see `docs/limits.md`).
    #[error(
        "{count} rules share the index key `{key}` and nothing else the index can key on (a last segment, the \
         start of the next segment, a query value, a country or language): a request under it may check them \
         one by one, up to {count} rule checks (about {count} x 20 ns); rules at lines {lines}"
    )]
    LinearRules {
        /// The key, as a path.
        key: String,
        /// How many rules.
        count: usize,
        /// Their lines (the first ones).
        lines: String,
    },
    /// A rule that an earlier rule always wins over.
    #[error(
        "this rule can never match: the rule at {file}:{line} (`{from}`) matches every request it matches and comes first"
    )]
    Shadowed {
        /// File of the earlier rule.
        file: String,
        /// Line of the earlier rule.
        line: u32,
        /// The earlier rule's `from`.
        from: String,
    },
    /// A placeholder in `to` that `from` does not capture: it stays in the target as written.
    #[error(
        "`:{0}` in `to` is not captured by `from` (no placeholder or query capture of that name): it is sent literally"
    )]
    UncapturedPlaceholder(String),
    /// Redirects that lead back to where they started.
    #[error("redirect loop {path}: a browser following these redirects never stops")]
    RedirectLoop {
        /// The hops, `` `/a` (file:line) → `/b` (file:line) → `/a` ``.
        path: String,
    },
    /// Redirects that lead to another redirect.
    #[error("redirect chain of {hops} redirects {path}: point the first rule at the end of the chain")]
    RedirectChain {
        /// How many redirects a client follows.
        hops: usize,
        /// The hops, as for [`Problem::RedirectLoop`].
        path: String,
    },
    /// A redirect that only adds or removes a trailing slash.
    #[error(
        "this redirect only adds or removes a trailing slash; both forms match the same rule, so it loops forever"
    )]
    TrailingSlashLoop,
    /// The loop guard (SPEC §3.10) can refuse this rule.
    #[error("the loop guard ignores this rule for some requests under `{prefix}`, e.g. `{example}`: no rule applies to them")]
    LoopGuard {
        /// The loop prefix P.
        prefix: String,
        /// A request path the guard fires for.
        example: String,
    },
    /// A capture name that is a prefix of another name used in `to`.
    #[error("`:{short}` is a prefix of `:{long}` in `to`: substitution replaces `:{short}` inside `:{long}` too")]
    NamePrefix {
        /// The shorter name.
        short: String,
        /// The longer name.
        long: String,
    },
    /// A condition given twice on one rule.
    #[error("condition `{0}` is given twice; only the last one counts")]
    DuplicateCondition(String),
    /// A query key constrained twice on one rule.
    #[error("query key `{0}` is constrained twice; only the last one counts")]
    DuplicateQueryKey(String),
    /// A status no server sends as a final answer (1xx, an undefined 3xx, 600 and above).
    #[error("status {status} is not a final HTTP answer: {serve}")]
    StatusNotFinal {
        /// The status.
        status: u16,
        /// What `detour serve` does with it.
        serve: &'static str,
    },
    /// `rate_limit`, which is not a redirect.
    #[error("`rate_limit` is a Netlify extension, not a redirect; it is ignored")]
    RateLimitIgnored,
}

impl Problem {
    /// Errors drop the rule; warnings keep it.
    pub fn severity(&self) -> Severity {
        match self {
            Problem::RedirectsToItself
            | Problem::DuplicateRule { .. }
            | Problem::LinearRules { .. }
            | Problem::Shadowed { .. }
            | Problem::TrailingSlashLoop
            | Problem::LoopGuard { .. }
            | Problem::NamePrefix { .. }
            | Problem::UncapturedPlaceholder(_)
            | Problem::RedirectLoop { .. }
            | Problem::RedirectChain { .. }
            | Problem::DuplicateCondition(_)
            | Problem::DuplicateQueryKey(_)
            | Problem::RateLimitIgnored
            | Problem::StatusNotFinal { .. }
            | Problem::DiagnosticsOmitted { errors: false, .. } => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// One diagnostic: a problem at a place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file name as given.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in characters), where it helps.
    pub column: Option<u32>,
    /// What is wrong.
    pub problem: Problem,
    /// The offending line, shortened if very long.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// Builds a diagnostic; `source_line` is shortened to a readable length.
    pub fn new(file: &str, line: u32, column: Option<u32>, problem: Problem, source_line: Option<&str>) -> Diagnostic {
        Diagnostic { file: file.to_string(), line, column, problem, source_line: source_line.map(shorten) }
    }

    /// Error or warning.
    pub fn severity(&self) -> Severity {
        self.problem.severity()
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}

/// One file's parse diagnostics, capped at [`crate::limits::MAX_DIAGNOSTICS_PER_FILE`]: past
/// the cap a diagnostic only counts its line, and [`CappedDiagnostics::finish`] adds one
/// [`Problem::DiagnosticsOmitted`] at the first line left out.
pub(crate) struct CappedDiagnostics<'f> {
    file: &'f str,
    kept: Vec<Diagnostic>,
    omitted: Option<Omitted>,
}

/// What was left out past the cap.
struct Omitted {
    first_line: u32,
    /// The first line left out, as shown: given here, so the line need not be found again
    /// ([`fill_source_lines`] would index the whole file's lines for it).
    first_shown: Option<String>,
    last_line: u32,
    lines: usize,
    errors: bool,
}

impl<'f> CappedDiagnostics<'f> {
    pub(crate) fn new(file: &'f str) -> Self {
        CappedDiagnostics { file, kept: Vec::new(), omitted: None }
    }

    /// Keeps `problem` at `line`, or counts it once the cap is reached.
    pub(crate) fn report(&mut self, line: u32, column: Option<u32>, problem: Problem, shown: Option<&str>) {
        if self.kept.len() < crate::limits::MAX_DIAGNOSTICS_PER_FILE {
            self.kept.push(Diagnostic::new(self.file, line, column, problem, shown));
            return;
        }
        let omitted = self.omitted.get_or_insert_with(|| Omitted {
            first_line: line,
            first_shown: shown.map(shorten),
            last_line: line,
            lines: 1,
            errors: false,
        });
        if omitted.last_line != line {
            (omitted.last_line, omitted.lines) = (line, omitted.lines + 1);
        }
        omitted.errors |= problem.severity() == Severity::Error;
    }

    /// The kept diagnostics, then the count of those left out.
    pub(crate) fn finish(mut self) -> Vec<Diagnostic> {
        if let Some(o) = self.omitted {
            let problem = Problem::DiagnosticsOmitted { lines: o.lines, errors: o.errors };
            self.kept.push(Diagnostic::new(self.file, o.first_line, None, problem, o.first_shown.as_deref()));
        }
        self.kept
    }
}

const SHOWN_LINE_CHARS: usize = 160;
/// A character is at most four bytes, so this many bytes hold every shown character.
const SHOWN_LINE_BYTES: usize = 4 * SHOWN_LINE_CHARS + 4;

/// The first [`SHOWN_LINE_CHARS`] characters of a line, and `…` when it goes on. Reads only
/// the start of the line: a minified JSON file is one line of megabytes, and each of its
/// diagnostics shows it.
fn shorten(line: &str) -> String {
    let line = line.trim_end_matches(['\r', '\n']);
    match line.char_indices().nth(SHOWN_LINE_CHARS) {
        None => line.to_string(),
        Some((cut, _)) => {
            let mut s = line.get(..cut).unwrap_or_default().to_string();
            s.push('…');
            s
        }
    }
}

/// [`shorten`] for bytes that may not be UTF-8.
fn shorten_bytes(line: &[u8]) -> String {
    let head = line.get(..SHOWN_LINE_BYTES).unwrap_or(line);
    let mut shown = shorten(&String::from_utf8_lossy(head));
    if head.len() < line.len() && !shown.ends_with('…') {
        shown.push('…');
    }
    shown
}

/// Gives every diagnostic that lacks one the text of its line, read from its source. A source
/// is indexed once (see [`LineIndex`]), when the first of its diagnostics needs a line.
pub fn fill_source_lines(diagnostics: &mut [Diagnostic], sources: &[(SourceKind, &[u8], &str)]) {
    let mut indexes: Vec<Option<LineIndex<'_>>> = sources.iter().map(|_| None).collect();
    for d in diagnostics.iter_mut().filter(|d| d.source_line.is_none()) {
        let Some(at) = sources.iter().position(|s| s.2 == d.file) else { continue };
        let (Some(slot), Some(&(_, text, _))) = (indexes.get_mut(at), sources.get(at)) else { continue };
        // A file over the limit was not parsed: its lines are not indexed (8 bytes a line).
        if text.len() > crate::limits::MAX_FILE_BYTES {
            continue;
        }
        if let Some(line) = slot.get_or_insert_with(|| LineIndex::new(text)).line_text(d.line) {
            d.source_line = Some(shorten_bytes(line));
        }
    }
}

impl fmt::Display for Diagnostic {
    /// `FILE:LINE[:COL]: error|warning: MESSAGE`, then the offending line indented.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(col) = self.column {
            write!(f, ":{col}")?;
        }
        let kind = match self.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, ": {kind}: {}", self.problem)?;
        if let Some(src) = &self.source_line {
            write!(f, "\n    {src}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_after_160_characters() {
        let long = "é".repeat(1000);
        let shown = shorten(&long);
        assert_eq!(shown.chars().count(), SHOWN_LINE_CHARS + 1);
        assert!(shown.ends_with('…'));
        assert_eq!(shorten("short\r\n"), "short");
        assert_eq!(shorten_bytes(long.as_bytes()), shown, "bytes are cut the same way");
        assert_eq!(shorten_bytes(b"a\xFFb"), "a\u{FFFD}b");
    }

    #[test]
    fn a_file_keeps_its_first_diagnostics_and_counts_the_rest_by_line() {
        let max = crate::limits::MAX_DIAGNOSTICS_PER_FILE;
        let junk = "y\n".repeat(max + 500);
        let parsed = crate::parse_redirects(junk.as_bytes(), "_redirects");
        assert_eq!(parsed.diagnostics.len(), max + 1);
        let last = parsed.diagnostics.last().unwrap();
        assert_eq!(
            (last.line, &last.problem),
            (max as u32 + 1, &Problem::DiagnosticsOmitted { lines: 500, errors: true })
        );
        assert!(last.is_error());
        assert!(last.problem.to_string().starts_with("500 more line(s)"), "{}", last.problem);
        let warned_only = Problem::DiagnosticsOmitted { lines: 1, errors: false };
        assert_eq!(warned_only.severity(), Severity::Warning);
    }

    #[test]
    fn a_line_of_exactly_160_characters_is_whole() {
        let line = "x".repeat(SHOWN_LINE_CHARS);
        assert_eq!(shorten(&line), line);
        assert_eq!(shorten_bytes(line.as_bytes()), line);
    }

    #[test]
    fn source_lines_come_from_their_file() {
        let mut diagnostics = vec![
            Diagnostic::new("b", 2, None, Problem::MissingTo, None),
            Diagnostic::new("a", 1, None, Problem::MissingTo, None),
            Diagnostic::new("a", 9, None, Problem::MissingTo, None),
            Diagnostic::new("c", 1, None, Problem::MissingTo, None),
        ];
        let sources = [(SourceKind::Redirects, &b"a1\na2"[..], "a"), (SourceKind::Redirects, &b"b1\nb2\r\n"[..], "b")];
        fill_source_lines(&mut diagnostics, &sources);
        let shown: Vec<Option<&str>> = diagnostics.iter().map(|d| d.source_line.as_deref()).collect();
        assert_eq!(shown, [Some("b2"), Some("a1"), None, None]);
    }
}
