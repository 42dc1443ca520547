//! The loop guard (SPEC §3.10), reproduced with its quirks, and the `detour check` warning for
//! every rule it can fire for.

use detour_rules::encoding::percent_decode;
use detour_rules::{url_scheme_len, Diagnostic, Problem, Rule, Segment};

use crate::path_match::{match_path, Capture};
use crate::substitute::{plain, substitute, Origin};
use crate::Request;

/// The loop prefix P of a rule's `TO`.
#[derive(Debug, PartialEq, Eq)]
enum LoopPrefix<'r> {
    /// No guard (an absolute `TO` without the `P/:splat` shape).
    None,
    /// P, for any request.
    Relative(&'r str),
    /// P, only for requests whose `scheme://host` equals `origin`.
    Absolute { origin: &'r str, prefix: &'r str },
}

/// P when `path` has the shape `P/:splat` or `P/:splat/REST` (P non-empty, REST non-empty).
fn splat_shape(path: &str) -> Option<&str> {
    let at = path.find("/:splat")?;
    let after = &path[at + "/:splat".len()..];
    (at > 0 && (after.is_empty() || (after.starts_with('/') && after.len() >= 2))).then(|| &path[..at])
}

fn loop_prefix(to: &str) -> LoopPrefix<'_> {
    match url_scheme_len(to) {
        Some(n) => {
            let host_end = to[n..].find('/').map_or(to.len(), |i| n + i);
            match splat_shape(&to[host_end..]) {
                Some(prefix) => LoopPrefix::Absolute { origin: &to[..host_end], prefix },
                None => LoopPrefix::None,
            }
        }
        None => LoopPrefix::Relative(splat_shape(to).unwrap_or(to)),
    }
}

/// True when the guard refuses this rule for this request. `path` is the decoded request path
/// and `captures` the rule's path captures on it.
pub fn fires(rule: &Rule, captures: &[Capture<'_>], req: &Request, path: &[u8]) -> bool {
    if rule.status == 200 || !rule.path.has_wildcard() {
        return false;
    }
    let prefix = match loop_prefix(&rule.to) {
        LoopPrefix::None => return false,
        LoopPrefix::Relative(p) => p,
        LoopPrefix::Absolute { origin, prefix } => {
            if !origin.eq_ignore_ascii_case(&format!("{}://{}", req.scheme, req.host)) {
                return false;
            }
            prefix
        }
    };
    if !path.starts_with(prefix.as_bytes()) {
        return false;
    }
    let captures: Vec<_> = captures.iter().map(|(n, v)| (*n, v.clone(), Origin::Path)).collect();
    let again = percent_decode(&plain(&substitute(&rule.to, &captures)));
    // A text that does not start with `/` (an absolute URL) only fits a FROM that opens with `*`.
    if !again.starts_with(b"/") && rule.path.segments.first() != Some(&Segment::Splat) {
        return false;
    }
    match_path(&rule.path.segments, &again).is_some()
}

/// A warning for every rule the guard can fire for, with the prefix and one request path it
/// ignores. Candidate paths are built around P; each is checked with the guard itself.
pub fn warnings(rules: &[Rule]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for rule in rules {
        if rule.status == 200 || !rule.path.has_wildcard() {
            continue;
        }
        let (prefix, url) = match loop_prefix(&rule.to) {
            LoopPrefix::None => continue,
            LoopPrefix::Relative(p) => (
                p,
                rule.host.as_ref().map_or_else(
                    || "https://example.com".to_string(),
                    |h| format!("{}://{}", h.scheme.as_str(), h.host),
                ),
            ),
            LoopPrefix::Absolute { origin, prefix } => (prefix, origin.to_string()),
        };
        let candidates = ["", "/x", "x", "/x/y", "x/y", "/"].map(|tail| format!("{prefix}{tail}"));
        let example = candidates.into_iter().find(|path| {
            let req = Request::from_url(&format!("{url}{path}"));
            let decoded = percent_decode(&req.path);
            let host_ok = rule.host.as_ref().is_none_or(|h| h.host == req.host && h.scheme.as_str() == req.scheme);
            host_ok && match_path(&rule.path.segments, &decoded).is_some_and(|caps| fires(rule, &caps, &req, &decoded))
        });
        if let Some(example) = example {
            let problem = Problem::LoopGuard { prefix: prefix.to_string(), example };
            out.push(Diagnostic::new(&rule.source.file, rule.source.line, None, problem, None));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(loop_prefix("/t/:splat"), LoopPrefix::Relative("/t"));
        assert_eq!(loop_prefix("/docs/v2/:splat/x"), LoopPrefix::Relative("/docs/v2"));
        assert_eq!(loop_prefix("/a/:splat/"), LoopPrefix::Relative("/a/:splat/"));
        assert_eq!(loop_prefix("/:splat"), LoopPrefix::Relative("/:splat"));
        assert_eq!(loop_prefix("/a/:splatter"), LoopPrefix::Relative("/a/:splatter"));
        assert_eq!(
            loop_prefix("https://e.com/t/:splat"),
            LoopPrefix::Absolute { origin: "https://e.com", prefix: "/t" }
        );
        assert_eq!(loop_prefix("https://e.com/x"), LoopPrefix::None);
    }
}
