//! Path matching (SPEC §2–§3.5): segments compared byte-exact, one trailing slash ignored,
//! placeholders take one non-empty segment, splats zero or more, the first splat greedy.

use detour_rules::Segment;

/// A byte range of the decoded path.
pub type Span = (usize, usize);

/// The segments of a decoded path: after the leading `/` (if any), split on `/`, with one
/// trailing empty segment dropped (so `/a/` is `/a`, and `/` has no segments).
pub fn segments(path: &[u8]) -> Vec<Span> {
    let body_start = usize::from(path.first() == Some(&b'/'));
    let mut spans = Vec::new();
    let mut start = body_start;
    for i in body_start..=path.len() {
        if i == path.len() || path[i] == b'/' {
            spans.push((start, i));
            start = i + 1;
        }
    }
    if spans.last().is_some_and(|&(s, e)| s == e) {
        spans.pop();
    }
    spans
}

/// A capture of a path match: its name (`splat` for wildcards) and its decoded bytes.
pub type Capture<'p> = (&'p str, Vec<u8>);

/// Matches a decoded path against a pattern. Returns the captures in pattern order.
pub fn match_path<'p>(pattern: &'p [Segment], path: &[u8]) -> Option<Vec<Capture<'p>>> {
    match_segments(pattern, path, &segments(path))
}

/// Like [`match_path`], with the path's [`segments`] already split.
///
/// `can[p][s]` says whether `pattern[p..]` matches `segments[s..]`; it is filled from the end,
/// then the captures are read off front to back, each wildcard taking as much as it can.
pub fn match_segments<'p>(pattern: &'p [Segment], path: &[u8], segs: &[Span]) -> Option<Vec<Capture<'p>>> {
    let n = segs.len();
    let fixed = pattern.iter().filter(|s| !matches!(s, Segment::Splat)).count();
    let has_wildcard = pattern.iter().any(Segment::is_wildcard);
    if n < fixed || (!has_wildcard && n != pattern.len()) {
        return None;
    }
    let seg = |s: usize| &path[segs[s].0..segs[s].1];
    let width = n + 1;
    let mut can = vec![false; (pattern.len() + 1) * width];
    can[pattern.len() * width + n] = true;
    for p in (0..pattern.len()).rev() {
        // any_from[s]: pattern[p+1..] matches segments[k..] for some k >= s.
        let mut any_from = vec![false; width + 1];
        for s in (0..=n).rev() {
            any_from[s] = any_from[s + 1] || can[(p + 1) * width + s];
        }
        for s in 0..=n {
            let next = |k: usize| can[(p + 1) * width + k];
            can[p * width + s] = match &pattern[p] {
                Segment::Literal(lit) => s < n && seg(s) == &**lit && next(s + 1),
                Segment::Placeholder(_) => s < n && !seg(s).is_empty() && next(s + 1),
                Segment::Splat => any_from[s],
                Segment::PrefixSplat(prefix) => s < n && seg(s).starts_with(prefix) && any_from[s + 1],
            };
        }
    }
    if !can[0] {
        return None;
    }
    let mut captures = Vec::new();
    let mut s = 0;
    for (p, element) in pattern.iter().enumerate() {
        let last_fit = |from: usize| (from..=n).rev().find(|&k| can[(p + 1) * width + k]);
        match element {
            Segment::Literal(_) => s += 1,
            Segment::Placeholder(name) => {
                captures.push((&**name, seg(s).to_vec()));
                s += 1;
            }
            Segment::Splat => {
                let k = last_fit(s)?;
                let text = match (k > s, k == n) {
                    (false, _) => &[][..],
                    (true, true) => &path[segs[s].0..],
                    (true, false) => &path[segs[s].0..segs[k - 1].1],
                };
                captures.push(("splat", text.to_vec()));
                s = k;
            }
            Segment::PrefixSplat(prefix) => {
                let k = last_fit(s + 1)?;
                let after = segs[s].0 + prefix.len();
                let end = if k == n { path.len() } else { segs[k - 1].1 };
                let text = &path[after..end];
                captures.push(("splat", text.strip_prefix(b"/").unwrap_or(text).to_vec()));
                s = k;
            }
        }
    }
    Some(captures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use detour_rules::PathPattern;

    fn m(pattern: &str, path: &str) -> Option<Vec<(String, String)>> {
        let p = PathPattern::parse(pattern).unwrap();
        match_path(&p.segments, path.as_bytes())
            .map(|caps| caps.into_iter().map(|(n, v)| (n.to_string(), String::from_utf8(v).unwrap())).collect())
    }

    fn splat(pattern: &str, path: &str) -> Option<String> {
        m(pattern, path).map(|c| c.into_iter().find(|(n, _)| n == "splat").unwrap().1)
    }

    #[test]
    fn segments_drop_one_trailing_slash() {
        assert_eq!(segments(b"/"), vec![]);
        assert_eq!(segments(b"/a/"), vec![(1, 2)]);
        assert_eq!(segments(b"/a//"), vec![(1, 2), (3, 3)]);
        assert_eq!(segments(b"//"), vec![(1, 1)]);
    }

    #[test]
    fn splats() {
        assert_eq!(splat("/blog/*", "/blog").as_deref(), Some(""));
        assert_eq!(splat("/blog/*", "/blog/").as_deref(), Some(""));
        assert_eq!(splat("/blog/*", "/blog/a/b/").as_deref(), Some("a/b/"));
        assert_eq!(splat("/blog/*", "/blogx"), None);
        assert_eq!(splat("/tail/*/x", "/tail/x").as_deref(), Some(""));
        assert_eq!(splat("/tail/*/x", "/tail/a/b/x").as_deref(), Some("a/b"));
        assert_eq!(splat("/two/*/b/*", "/two/x/b/y").as_deref(), Some("x"));
        assert_eq!(splat("/b/x*", "/b/x").as_deref(), Some(""));
        assert_eq!(splat("/b/x*", "/b/xyz").as_deref(), Some("yz"));
        assert_eq!(splat("/b/x*", "/b/x/y/z").as_deref(), Some("y/z"));
        assert_eq!(splat("/b/x*/c", "/b/xy/c").as_deref(), Some("y"));
        assert_eq!(m("/star*x", "/starzx"), None);
        assert!(m("/star*x", "/star*x").is_some());
    }

    #[test]
    fn placeholders_and_empty_segments() {
        assert_eq!(m("/news/:y/:m", "/news/2024/05/").unwrap().len(), 2);
        assert_eq!(m("/news/:y/:m", "/news/2024"), None);
        assert_eq!(m("/ph/:id", "/ph/"), None);
        assert_eq!(m("/a", "//a"), None);
        assert_eq!(m("/a", "/a//"), None);
        assert_eq!(m("/t/:p/*", "/t//b"), None);
    }
}
