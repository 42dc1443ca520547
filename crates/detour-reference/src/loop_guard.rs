//! The loop guard (SPEC §3.10), reproduced with its quirks, and the `detour check` warning for
//! every rule it can fire for.

use crate::encoding::percent_decode;
use detour_rules::{Diagnostic, Problem, Rule, Segment};

use crate::path_match::{match_path, Capture};
use crate::substitute::{plain, substitute, Origin};
use crate::Request;

/// The loop prefix P of a rule's `TO` (SPEC §3.10, step 1), written from the contract's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoopPrefix<'a> {
    /// An absolute `TO` without the `P/:splat` shape: no guard.
    None,
    /// P, whatever the request's host.
    Relative(&'a str),
    /// P, counted only when the request's `SCHEME://HOST` is `origin` byte for byte.
    Absolute {
        /// `SCHEME://HOST` of `TO`, as written.
        origin: &'a str,
        /// P.
        prefix: &'a str,
    },
}

/// P when `path` is `P/:splat` or `P/:splat/REST`: P non-empty, ending right before the first
/// `/:splat`, and REST at least one character.
fn splat_shape(path: &str) -> Option<&str> {
    let first = path.find("/:splat")?;
    let p = &path[..first];
    let after = &path[first + "/:splat".len()..];
    let rest_ok = after.is_empty() || (after.len() > 1 && after.starts_with('/'));
    (!p.is_empty() && rest_ok).then_some(p)
}

/// SPEC §3.10 step 1.
pub fn loop_prefix(to: &str) -> LoopPrefix<'_> {
    let lower = to.to_ascii_lowercase();
    let scheme = ["http://", "https://"].into_iter().find(|s| lower.starts_with(s));
    match scheme {
        None => LoopPrefix::Relative(splat_shape(to).unwrap_or(to)),
        Some(scheme) => {
            let host_end = to[scheme.len()..].find('/').map_or(to.len(), |i| scheme.len() + i);
            match splat_shape(&to[host_end..]) {
                Some(prefix) => LoopPrefix::Absolute { origin: &to[..host_end], prefix },
                None => LoopPrefix::None,
            }
        }
    }
}

/// SPEC §3.10: the guard is considered only for a rule whose status is not 200 and whose `FROM`
/// has a wildcard (a splat or a prefix wildcard; a `*` inside a segment is literal).
fn considered(rule: &Rule) -> bool {
    rule.status != 200 && rule.path.segments.iter().any(|s| matches!(s, Segment::Splat | Segment::PrefixSplat(_)))
}

/// True when the guard refuses this rule for this request. `path` is the decoded request path
/// and `captures` the rule's path captures on it.
pub fn fires(rule: &Rule, captures: &[Capture<'_>], req: &Request, path: &[u8]) -> bool {
    if !considered(rule) {
        return false;
    }
    let prefix = match loop_prefix(&rule.to) {
        LoopPrefix::None => return false,
        LoopPrefix::Relative(p) => p,
        LoopPrefix::Absolute { origin, prefix } => {
            // Byte for byte: the request's scheme and host are lower-case (SPEC §3.10).
            if origin != format!("{}://{}", req.scheme, req.host) {
                return false;
            }
            prefix
        }
    };
    if !path.starts_with(prefix.as_bytes()) {
        return false;
    }
    let captures: Vec<_> = captures.iter().map(|(n, v)| (*n, v.clone(), Origin::Path)).collect();
    // Past the `to` bound the guard cannot tell: it does not fire (docs/semantics.md).
    let Some(substituted) = substitute(&rule.to, &captures) else { return false };
    let again = percent_decode(&plain(&substituted));
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
        if !considered(rule) {
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
