//! A diagnostic drawn as rustc draws one (with `annotate-snippets`): the SPEC §1.3 line
//! `FILE:LINE[:COL]: error|warning: MESSAGE` first, then the offending line with a caret under
//! the token the column points at, and a `help:` line with what to do.

use annotate_snippets::{Level, Renderer, Snippet};
use detour_rules::{Diagnostic, Severity};

/// The diagnostic's SPEC line, then its snippet when the source line is known. `styled` adds
/// ANSI colour (callers write through `anstream`, which strips it off a terminal or with
/// `NO_COLOR`).
pub fn draw(d: &Diagnostic, styled: bool) -> String {
    let message = d.problem.to_string();
    let mut out = first_line(d, &message);
    let Some(source) = d.source_line.as_deref() else { return out };
    let (what, help) = split_message(&message);
    let level = match d.severity() {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
    };
    let span = d.column.and_then(|c| token_span(source, c)).map(|span| past_expanded_tabs(source, span));
    // The renderer draws a tab as 4 spaces but does not move spans: expand them here.
    let source = source.replace('\t', TAB);
    let mut snippet = Snippet::source(&source).line_start(d.line as usize).origin(&d.file);
    if let Some(span) = span {
        snippet = snippet.annotation(level.span(span).label(what));
    }
    let mut report = level.title("").snippet(snippet);
    if let Some(help) = help {
        report = report.footer(Level::Help.title(help));
    }
    let renderer = if styled { Renderer::styled() } else { Renderer::plain() };
    let drawn = renderer.render(report).to_string();
    // The title is the SPEC line above: drop the renderer's own (empty) one.
    for line in drawn.lines().skip(1) {
        out.push('\n');
        out.push_str(line.trim_end());
    }
    out
}

/// `FILE:LINE[:COL]: error|warning: MESSAGE` (SPEC §1.3).
fn first_line(d: &Diagnostic, message: &str) -> String {
    let column = d.column.map_or_else(String::new, |c| format!(":{c}"));
    let kind = match d.severity() {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    format!("{}:{}{column}: {kind}: {message}", d.file, d.line)
}

/// A message `what is wrong: what to do` split at its first `: ` outside backticks; the second
/// part is the help. A message without one is all "what".
fn split_message(message: &str) -> (&str, Option<&str>) {
    let mut in_code = false;
    for (i, c) in message.char_indices() {
        match c {
            '`' => in_code = !in_code,
            ':' if !in_code && message.get(i + 1..).is_some_and(|rest| rest.starts_with(' ')) => {
                let (what, rest) = (message.get(..i), message.get(i + 2..));
                if let (Some(what), Some(rest)) = (what, rest) {
                    return (what, Some(rest));
                }
            }
            _ => {}
        }
    }
    (message, None)
}

/// How a tab is drawn (as `annotate-snippets` draws one).
const TAB: &str = "    ";

/// `span` of `source` moved to where it lies once each tab is [`TAB`] (a token holds no tab).
fn past_expanded_tabs(source: &str, span: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let tabs = source.get(..span.start).map_or(0, |before| before.matches('\t').count());
    let shift = tabs * (TAB.len() - 1);
    span.start + shift..span.end + shift
}

/// The byte range of the token starting at 1-based character column `column`: up to the next
/// space or `=` (a condition's or constraint's key is the token), at least one character.
/// `None` past the end of the line.
fn token_span(source: &str, column: u32) -> Option<std::ops::Range<usize>> {
    let skip = usize::try_from(column).ok()?.checked_sub(1)?;
    let (start, _) = source.char_indices().nth(skip)?;
    let rest = source.get(start..)?;
    let len = rest.find(|c: char| c.is_whitespace() || c == '=').filter(|&n| n > 0).unwrap_or(rest.len());
    Some(start..start + len)
}

#[cfg(test)]
mod tests {
    use super::{past_expanded_tabs, split_message, token_span};

    #[test]
    fn messages_split_outside_backticks() {
        assert_eq!(split_message("invalid status `30x`: write 301"), ("invalid status `30x`", Some("write 301")));
        assert_eq!(split_message("unknown `a: b` here"), ("unknown `a: b` here", None));
        assert_eq!(split_message("no colon"), ("no colon", None));
    }

    #[test]
    fn tokens_are_found_by_character_column() {
        assert_eq!(token_span("/a /b 30x", 7), Some(6..9));
        assert_eq!(token_span("/é /b Contry=us", 7), Some(7..13), "columns count characters, not bytes");
        assert_eq!(token_span("/a /b =x", 7), Some(6..8), "a token is at least one character");
        assert_eq!(token_span("/a", 9), None);
        assert_eq!(token_span("/a", 0), None);
    }

    #[test]
    fn spans_move_past_expanded_tabs() {
        let source = "/a\t/b\t301\tlangauge=fr";
        let span = token_span(source, 11).unwrap();
        assert_eq!(source.get(span.clone()), Some("langauge"));
        let expanded = source.replace('\t', super::TAB);
        assert_eq!(expanded.get(past_expanded_tabs(source, span)), Some("langauge"));
    }
}
