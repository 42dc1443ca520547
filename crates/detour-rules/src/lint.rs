//! Warnings that need the whole site's rule list (SPEC §1.1, §4): loops, shadowed rules and
//! capture names that overlap in `to`. The loop-guard warning (§3.10) needs the matcher and lives
//! in `detour-reference`.

use std::hash::{DefaultHasher, Hash, Hasher};

use crate::diagnostics::{Diagnostic, Problem};
use crate::model::{url_scheme_len, QueryValue, Rule};
use crate::pattern::Segment;

/// How many earlier rules with the same pattern are compared with each rule; bounds the work on
/// sites with thousands of rules sharing one pattern.
const SHADOW_COMPARISONS: usize = 64;

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

/// The rules an earlier rule of the same pattern and host always wins over. Rules are grouped
/// by a hash of their pattern's shape (sorting 16 bytes a rule, not copying every pattern into
/// a map); within a group, equal shapes are confirmed before comparing.
fn shadowed(rules: &[Rule]) -> Vec<(usize, Problem)> {
    let mut by_shape: Vec<(u64, usize)> = rules.iter().enumerate().map(|(i, r)| (shape_hash(r), i)).collect();
    by_shape.sort_unstable();
    let mut out = Vec::new();
    for group in by_shape.chunk_by(|a, b| a.0 == b.0) {
        for (k, &(_, later)) in group.iter().enumerate() {
            let Some(rule) = rules.get(later) else { continue };
            let earlier = group.get(..k).unwrap_or_default().iter().rev().filter_map(|&(_, e)| rules.get(e));
            let winner =
                earlier.filter(|e| same_shape(e, rule)).take(SHADOW_COMPARISONS).find(|e| always_wins(e, rule));
            if let Some(w) = winner {
                out.push((later, Problem::Shadowed { file: w.source.file.to_string(), line: w.source.line }));
            }
        }
    }
    out
}

/// A hash of the host and the pattern with placeholder names erased: `/a/:x` and `/a/:y` match
/// the same requests.
fn shape_hash(rule: &Rule) -> u64 {
    let mut h = DefaultHasher::new();
    rule.host.hash(&mut h);
    for segment in &rule.path.segments {
        match segment {
            Segment::Placeholder(_) => 0u8.hash(&mut h),
            Segment::Literal(l) => (1u8, l).hash(&mut h),
            Segment::Splat => 2u8.hash(&mut h),
            Segment::PrefixSplat(p) => (3u8, p).hash(&mut h),
        }
    }
    rule.path.segments.len().hash(&mut h);
    h.finish()
}

/// Same host, and the same pattern up to placeholder names.
fn same_shape(a: &Rule, b: &Rule) -> bool {
    let same =
        |x: &Segment, y: &Segment| matches!((x, y), (Segment::Placeholder(_), Segment::Placeholder(_))) || x == y;
    a.host == b.host
        && a.path.segments.len() == b.path.segments.len()
        && a.path.segments.iter().zip(&b.path.segments).all(|(x, y)| same(x, y))
}

/// True when `earlier` matches every request `later` matches (same pattern and host assumed),
/// so `later` can never be the outcome.
fn always_wins(earlier: &Rule, later: &Rule) -> bool {
    if (!earlier.force && later.force) || !earlier.conditions.role.is_empty() {
        return false;
    }
    let query_implied = earlier.query.iter().all(|e| {
        later.query.iter().any(|l| l.key == e.key && (matches!(e.value, QueryValue::Capture(_)) || l.value == e.value))
    });
    // Each condition is "any of": `earlier` holds whenever `later` does if every value `later`
    // accepts is one `earlier` accepts too.
    fn implied(e: &[String], l: &[String], same: impl Fn(&str, &str) -> bool) -> bool {
        e.is_empty() || (!l.is_empty() && l.iter().all(|v| e.iter().any(|w| same(w, v))))
    }
    let (ec, lc) = (&earlier.conditions, &later.conditions);
    query_implied
        && implied(&ec.country, &lc.country, |a, b| a.eq_ignore_ascii_case(b))
        && implied(&ec.language, &lc.language, |a, b| a.eq_ignore_ascii_case(b))
        && implied(&ec.cookie, &lc.cookie, |a, b| a == b)
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

/// Pairs `(short, long)` of names used in `to` where `:short` is a prefix of `:long`: textual
/// substitution (SPEC §4) would rewrite the start of `:long`.
fn overlapping_names(rule: &Rule) -> Vec<(String, String)> {
    let mut captures: Vec<&str> = rule.path.capture_names().collect();
    captures.extend(rule.query.iter().filter_map(|q| match &q.value {
        QueryValue::Capture(name) => Some(name.as_str()),
        QueryValue::Literal(_) => None,
    }));
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

    /// `to` has a two-byte character across the length of `from`'s scheme.
    #[test]
    fn non_ascii_after_the_scheme_does_not_panic_the_trailing_slash_lint() {
        let parsed = crate::parse_redirects("https://h.test/a http://éxample.com/a 301".as_bytes(), "_redirects");
        assert_eq!(parsed.rules.len(), 1);
        assert!(lint(&parsed.rules).is_empty());
    }

    #[test]
    fn trailing_slash_loop_of_a_host_rule_is_still_found() {
        let parsed = crate::parse_redirects("https://h.test/a/ https://h.test/a 301".as_bytes(), "_redirects");
        assert_eq!(lint(&parsed.rules).len(), 1);
        assert_eq!(lint(&parsed.rules)[0].problem, Problem::TrailingSlashLoop);
    }
}
