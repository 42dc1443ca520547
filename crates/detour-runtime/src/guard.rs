//! The loop guard (SPEC §3.10): refuse a rule whose substituted `to` would match its own `from`.

use crate::encoding::decode_into;
use detour_format::{rule_flags, segment_kind, ArchivedRuleSet, PatternShape};

use crate::path::{match_after_key, match_pattern, segments, starts_with_key};
use crate::substitute::{textual, Captures, TextBuffers};

/// The request's `scheme://host` (host without port), for absolute guards.
pub struct Origin<'a> {
    pub scheme: &'a str,
    pub host: &'a str,
}

impl Origin<'_> {
    /// SPEC §3.10: an absolute `TO`'s `SCHEME://HOST`, as written, counts only when it equals
    /// the request's byte for byte, the request's host being lower-case: a `TO` host with an
    /// upper-case letter or a port never counts.
    fn equals(&self, origin: &[u8]) -> bool {
        let (scheme, host) = (self.scheme.as_bytes(), self.host.as_bytes());
        let Some((to_scheme, to_host)) = origin.len().checked_sub(host.len()).map(|at| origin.split_at(at)) else {
            return false;
        };
        let lower_equal = |to: &[u8], req: &[u8]| {
            to.len() == req.len() && to.iter().zip(req).all(|(&t, &r)| t == r.to_ascii_lowercase())
        };
        to_scheme.strip_suffix(b"://").is_some_and(|s| lower_equal(s, scheme)) && lower_equal(to_host, host)
    }
}

/// Scratch for the guard's own match.
pub struct GuardBuffers<'a> {
    pub text: TextBuffers<'a>,
    pub path: &'a mut Vec<u8>,
    pub segs: &'a mut Vec<(u32, u32)>,
}

/// A rule and the index key it was found under: the key's text and number of segments.
pub struct Candidate<'a> {
    pub rule: usize,
    pub key: &'a [u8],
    pub depth: usize,
}

/// True when the guard refuses the candidate rule for this request. `path` is the decoded
/// request path; `caps` holds the rule's path captures (first) and `path_captures` counts them.
pub fn fires(
    set: &ArchivedRuleSet,
    candidate: &Candidate<'_>,
    path: &[u8],
    origin: &Origin<'_>,
    caps: &Captures<'_>,
    path_captures: usize,
    bufs: &mut GuardBuffers<'_>,
) -> bool {
    let Some(rule) = set.rules.get(candidate.rule) else { return false };
    if rule.flags & rule_flags::GUARD == 0 {
        return false;
    }
    let to = set.to(rule);
    let (start, len) = set.guard(rule);
    let (guard_origin, prefix) = (&to[..start.min(to.len())], to.get(start..start + len).unwrap_or_default());
    if rule.flags & rule_flags::GUARD_ABSOLUTE != 0 && !origin.equals(guard_origin) {
        return false;
    }
    if !path.starts_with(prefix) {
        return false;
    }
    // A substitution past the `to` bound is no loop we can tell: the guard does not fire, and
    // the rule, if it applies, ends as *target too long* (its own substitution starts with the
    // same passes, so it overflows too).
    if textual(set, rule, caps, path_captures, &mut bufs.text).is_err() {
        return false;
    }
    bufs.path.clear();
    decode_into(bufs.text.text, false, bufs.path);
    let shape = set.shape(rule);
    // A text that does not start with `/` (an absolute URL) only fits a FROM opening with `*`.
    let opens_with_splat = match shape {
        PatternShape::Exact => false,
        PatternShape::SplatTail => candidate.depth == 0,
        PatternShape::Stored(pattern) => pattern.first().is_some_and(|s| s.kind == segment_kind::SPLAT),
    };
    if !bufs.path.starts_with(b"/") && !opens_with_splat {
        return false;
    }
    segments(bufs.path, bufs.segs);
    match shape {
        // A stored pattern is matched in full; its key may have placeholders.
        PatternShape::Stored(pattern) => match_pattern(set, pattern, bufs.path, bufs.segs, |_| {}),
        _ => {
            starts_with_key(bufs.path, bufs.segs, candidate.key, candidate.depth)
                && match_after_key(set, shape, candidate.depth, bufs.path, bufs.segs, |_| {})
        }
    }
}
