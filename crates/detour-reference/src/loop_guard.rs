//! The loop guard (SPEC §3.10), reproduced with its quirks, and the `detour check` warning for
//! every rule it can fire for.

use detour_rules::encoding::percent_decode;
use detour_rules::{loop_prefix, Diagnostic, LoopPrefix, Problem, Rule, Segment};

use crate::path_match::{match_path, Capture};
use crate::substitute::{plain, substitute, Origin};
use crate::Request;

/// True when the guard refuses this rule for this request. `path` is the decoded request path
/// and `captures` the rule's path captures on it.
pub fn fires(rule: &Rule, captures: &[Capture<'_>], req: &Request, path: &[u8]) -> bool {
    if !rule.is_guarded() {
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
        if !rule.is_guarded() {
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
