//! Warnings that need the whole site's rule list (SPEC §1.1, §4): loops, shadowed rules and
//! capture names that overlap in `to`. The loop-guard warning (§3.10) needs the matcher and lives
//! in `detour-reference`.

use crate::diagnostics::{Diagnostic, Problem};
use crate::model::{url_scheme_len, QueryValue, Rule};
use crate::shadow::shadowed;

/// All site-wide warnings, in rule order.
pub fn lint(rules: &[Rule]) -> Vec<Diagnostic> {
    let mut found: Vec<(usize, Problem)> = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        if rule.from == rule.to {
            found.push((index, Problem::RedirectsToItself));
        } else if is_trailing_slash_loop(rule) {
            found.push((index, Problem::TrailingSlashLoop));
        }
        if let Some(serve) = not_final(rule.status) {
            found.push((index, Problem::StatusNotFinal { status: rule.status, serve }));
        }
        for (short, long) in overlapping_names(rule) {
            found.push((index, Problem::NamePrefix { short, long }));
        }
        for name in uncaptured_names(rule) {
            found.push((index, Problem::UncapturedPlaceholder(name)));
        }
    }
    found.extend(shadowed(rules));
    // Stable: a rule's own warnings keep their order, its shadowing warning comes last.
    found.sort_by_key(|&(index, _)| index);
    found
        .into_iter()
        .filter_map(|(index, problem)| {
            let source = &rules.get(index)?.source;
            Some(Diagnostic::new(&source.file, source.line, None, problem, None))
        })
        .collect()
}

/// What `detour serve` does with a status that no server sends as a final answer, or `None`
/// for a status clients understand (any 2xx, 4xx or 5xx is read by its class, RFC 9110 §15).
fn not_final(status: u16) -> Option<&'static str> {
    match status {
        100..=199 => Some("an informational status cannot end a response; `serve` answers 500 instead"),
        306 | 309..=399 => Some(
            "`serve` sends it with a Location header, but clients read an unknown 3xx as 300 and need not follow it",
        ),
        600..=999 => Some("`serve` sends it, but it has no HTTP status class and clients may reject the response"),
        _ => None,
    }
}

/// A redirect whose `to` is its `from` with a trailing slash added or removed: both forms match
/// the rule (SPEC §3.3), so the browser is sent round forever.
fn is_trailing_slash_loop(rule: &Rule) -> bool {
    if !(300..400).contains(&rule.status) || rule.to_is_absolute() != rule.host.is_some() {
        return false;
    }
    let (from, to) = (&*rule.from, &*rule.to);
    // Bytes, not `str` slices: `to` may hold a multi-byte character right after its scheme.
    let same_origin = match url_scheme_len(from) {
        Some(n) => match (from.as_bytes().get(..n), to.as_bytes().get(..n)) {
            (Some(a), Some(b)) => to.len() > n && a.eq_ignore_ascii_case(b),
            _ => false,
        },
        None => true,
    };
    same_origin && (from.strip_suffix('/') == Some(to) || to.strip_suffix('/') == Some(from))
}

/// The capture names of a rule: path placeholders and the splat, then query captures.
fn capture_names(rule: &Rule) -> Vec<&str> {
    let mut captures: Vec<&str> = rule.path.capture_names().collect();
    captures.extend(rule.query.iter().filter_map(|q| match &q.value {
        QueryValue::Capture(name) => Some(name.as_str()),
        QueryValue::Literal(_) => None,
    }));
    captures
}

/// The `:name`s of `to` that no capture replaces (SPEC §4: they stay as written). A name is
/// what follows `:` up to the first byte that is not a letter, digit or `_`, and starts with a
/// letter or `_` (so a port, `:8080`, is not one); it is replaced when a capture name starts it
/// (`:tag.rss` for a placeholder `tag.rss`; `:idx` for `id` is the prefix warning's case).
fn uncaptured_names(rule: &Rule) -> Vec<String> {
    let captures = capture_names(rule);
    let mut names: Vec<String> = Vec::new();
    let userinfo = userinfo_span(&rule.to);
    for (at, _) in rule.to.match_indices(':') {
        // `user:pass@` and a text fragment's `:~:text=` are URL syntax, not names.
        if userinfo.contains(&at) || rule.to.get(..at).is_some_and(|before| before.ends_with('~')) {
            continue;
        }
        let Some(after) = rule.to.get(at + 1..) else { continue };
        let len = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
        let name = after.get(..len).unwrap_or_default();
        let starts_as_name = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
        let captured = captures.iter().any(|c| !c.is_empty() && after.starts_with(c));
        if starts_as_name && !captured && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    names
}

/// Where the userinfo (`user:pass` before `@`) of an absolute `to` is, or an empty range.
fn userinfo_span(to: &str) -> std::ops::Range<usize> {
    let Some(start) = url_scheme_len(to) else { return 0..0 };
    let rest = to.get(start..).unwrap_or_default();
    let authority = rest.find(['/', '?', '#']).and_then(|end| rest.get(..end)).unwrap_or(rest);
    authority.rfind('@').map_or(0..0, |at| start..start + at)
}

/// Pairs `(short, long)` of names used in `to` where `:short` is a prefix of `:long`: textual
/// substitution (SPEC §4) would rewrite the start of `:long`.
fn overlapping_names(rule: &Rule) -> Vec<(String, String)> {
    let captures = capture_names(rule);
    let used: Vec<&str> = captures.iter().copied().filter(|c| rule.to.contains(&format!(":{c}"))).collect();
    let mut names: Vec<&str> = rule
        .to
        .split(':')
        .skip(1)
        .map(|s| s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().unwrap_or(""))
        .filter(|s| !s.is_empty())
        .collect();
    names.extend(used.iter().copied());
    let mut pairs = Vec::new();
    for short in &used {
        for long in &names {
            let pair = (short.to_string(), long.to_string());
            if long.len() > short.len() && long.starts_with(short) && !pairs.contains(&pair) {
                pairs.push(pair);
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Break finding: `user:pass@` in an absolute `to` and a text fragment's `#:~:text=` were
    /// reported as placeholders missing from `from`.
    #[test]
    fn userinfo_and_text_fragments_are_not_uncaptured_names() {
        let rules =
            "/a https://user:pass@h.example/x 301\n/b /page#:~:text=hello 301\n/c https://h.example/:missing 301\n";
        let parsed = crate::parse_redirects(rules.as_bytes(), "_redirects");
        let names: Vec<Vec<String>> = parsed.rules.iter().map(uncaptured_names).collect();
        assert_eq!(names, [vec![], vec![], vec!["missing".to_string()]]);
    }

    /// `to` has a two-byte character across the length of `from`'s scheme.
    #[test]
    fn non_ascii_after_the_scheme_does_not_panic_the_trailing_slash_lint() {
        let parsed = crate::parse_redirects("https://h.test/a http://éxample.com/a 301".as_bytes(), "_redirects");
        assert_eq!(parsed.rules.len(), 1);
        assert!(lint(&parsed.rules).is_empty());
    }

    #[test]
    fn placeholders_absent_from_from_are_found() {
        let text = "/a/:id /b/:id/:name/:nam 301\n/p:8080 https://h.test:8080/:x 301\n\
                    /:tag.rss /f/:tag.rss 301\n/q k=:key /s/:key 301\n/*/x /t/:splat/:splatter 301\n/é /:é 301\n";
        let parsed = crate::parse_redirects(text.as_bytes(), "_redirects");
        let found: Vec<(u32, String)> = lint(&parsed.rules)
            .into_iter()
            .filter_map(|d| match d.problem {
                Problem::UncapturedPlaceholder(name) => Some((d.line, name)),
                _ => None,
            })
            .collect();
        let expected = [(1, "name"), (1, "nam"), (2, "x")].map(|(l, n)| (l, n.to_string()));
        assert_eq!(found, expected);
    }

    #[test]
    fn trailing_slash_loop_of_a_host_rule_is_still_found() {
        let parsed = crate::parse_redirects("https://h.test/a/ https://h.test/a 301".as_bytes(), "_redirects");
        assert_eq!(lint(&parsed.rules).len(), 1);
        assert_eq!(lint(&parsed.rules)[0].problem, Problem::TrailingSlashLoop);
    }
}
