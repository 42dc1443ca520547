//! Path segments and pattern matching (SPEC §2–§3.5) without allocation.
//!
//! A pattern is fixed blocks (literals and placeholders) separated by wildcards. Walking from
//! the right, each wildcard's end is the *largest* position at which the rest of the pattern
//! still matches; reading captures left to right with those ends gives exactly the reference's
//! greedy choice, in O(segments × pattern) time and O(wildcards) stack space.

use detour_format::{segment_kind, ArchivedPatternSegment, ArchivedRuleSet, PatternShape, MAX_WILDCARDS};

use crate::index::key_text;

/// Splits a decoded path into segment ranges: after the leading `/`, on `/`, with one trailing
/// empty segment dropped. Paths over 4 GiB have no segments (and so match nothing but `/`).
pub fn segments(path: &[u8], out: &mut Vec<(u32, u32)>) {
    out.clear();
    if u32::try_from(path.len()).is_err() {
        return;
    }
    let body_start = usize::from(path.first() == Some(&b'/'));
    let mut start = body_start;
    for (i, &b) in path.iter().enumerate().skip(body_start) {
        if b == b'/' {
            out.push((start as u32, i as u32));
            start = i + 1;
        }
    }
    out.push((start as u32, path.len() as u32));
    if out.last().is_some_and(|&(s, e)| s == e) {
        out.pop();
    }
}

fn is_wildcard(kind: u8) -> bool {
    kind == segment_kind::SPLAT || kind == segment_kind::PREFIX
}

struct Subject<'a> {
    set: &'a ArchivedRuleSet,
    path: &'a [u8],
    segs: &'a [(u32, u32)],
}

impl Subject<'_> {
    fn seg(&self, i: usize) -> &[u8] {
        let (s, e) = self.segs[i];
        &self.path[s as usize..e as usize]
    }

    fn block_matches(&self, block: &[ArchivedPatternSegment], at: usize) -> bool {
        at + block.len() <= self.segs.len()
            && block.iter().enumerate().all(|(i, el)| {
                let seg = self.seg(at + i);
                if el.kind == segment_kind::LITERAL {
                    seg == self.set.segment_text(el)
                } else {
                    !seg.is_empty()
                }
            })
    }

    /// Whether wildcard `w`, starting at segment `q`, can end at `end`.
    fn wildcard_fits(&self, w: &ArchivedPatternSegment, q: usize, end: usize) -> bool {
        if w.kind == segment_kind::SPLAT {
            q <= end
        } else {
            q < self.segs.len() && q < end && self.seg(q).starts_with(self.set.segment_text(w))
        }
    }

    /// Text of a splat spanning segments `[q, end)`; to the end of the path when it reaches it.
    fn splat_text(&self, q: usize, end: usize) -> &[u8] {
        if end <= q {
            &[]
        } else if end == self.segs.len() {
            &self.path[self.segs[q].0 as usize..]
        } else {
            &self.path[self.segs[q].0 as usize..self.segs[end - 1].1 as usize]
        }
    }

    /// Text of a prefix wildcard at segment `q` ending at `end`, one leading `/` dropped.
    fn prefix_text(&self, q: usize, prefix_len: usize, end: usize) -> &[u8] {
        let after = self.segs[q].0 as usize + prefix_len;
        let stop = if end == self.segs.len() { self.path.len() } else { self.segs[end - 1].1 as usize };
        let text = &self.path[after..stop];
        text.strip_prefix(b"/").unwrap_or(text)
    }
}

/// Matches a decoded path (and its segments) whose first `depth` segments are known to equal
/// the rule's index key against the rule's pattern shape. On a match, calls `capture` with each
/// capture's bytes in pattern order and returns true.
pub fn match_after_key(
    set: &ArchivedRuleSet,
    shape: PatternShape<'_>,
    depth: usize,
    path: &[u8],
    segs: &[(u32, u32)],
    mut capture: impl FnMut(&[u8]),
) -> bool {
    match shape {
        PatternShape::Exact => segs.len() == depth,
        PatternShape::SplatTail => {
            if segs.len() < depth {
                return false;
            }
            // The rest of the path, trailing slash included; nothing when no segment is left.
            capture(segs.get(depth).map_or(&[][..], |&(start, _)| &path[start as usize..]));
            true
        }
        PatternShape::Stored(pattern) => match_pattern(set, pattern, path, segs, capture),
    }
}

/// Whether a path starts with the `depth` segments of `key`.
pub fn starts_with_key(path: &[u8], segs: &[(u32, u32)], key: &[u8], depth: usize) -> bool {
    segs.len() >= depth && key_text(path, segs, depth) == key
}

/// Matches a decoded path (and its segments) against stored pattern segments. On a match,
/// calls `capture` with each capture's bytes in pattern order and returns true.
pub fn match_pattern(
    set: &ArchivedRuleSet,
    pattern: &[ArchivedPatternSegment],
    path: &[u8],
    segs: &[(u32, u32)],
    mut capture: impl FnMut(&[u8]),
) -> bool {
    let sub = Subject { set, path, segs };
    let n = segs.len();
    let mut wild = [0usize; MAX_WILDCARDS];
    let mut m = 0;
    for (i, el) in pattern.iter().enumerate() {
        if is_wildcard(el.kind) {
            if m == MAX_WILDCARDS {
                return false;
            }
            wild[m] = i;
            m += 1;
        }
    }
    if m == 0 {
        if n != pattern.len() || !sub.block_matches(pattern, 0) {
            return false;
        }
    } else {
        // ends[i]: where wildcard i ends, i.e. where the block after it starts. The fixed
        // first and last blocks are checked first: they reject most paths in O(1).
        let mut ends = [0usize; MAX_WILDCARDS];
        let first = &pattern[..wild[0]];
        let last = &pattern[wild[m - 1] + 1..];
        if n < last.len() || !sub.block_matches(first, 0) || !sub.block_matches(last, n - last.len()) {
            return false;
        }
        ends[m - 1] = n - last.len();
        for i in (0..m - 1).rev() {
            let block = &pattern[wild[i] + 1..wild[i + 1]];
            let next = &pattern[wild[i + 1]];
            let mut q = ends[i + 1];
            let found = loop {
                if q >= block.len()
                    && sub.wildcard_fits(next, q, ends[i + 1])
                    && sub.block_matches(block, q - block.len())
                {
                    break Some(q - block.len());
                }
                if q == 0 {
                    break None;
                }
                q -= 1;
            };
            let Some(end) = found else { return false };
            ends[i] = end;
        }
        if !sub.wildcard_fits(&pattern[wild[0]], first.len(), ends[0]) {
            return false;
        }
        let mut s = 0;
        let mut w = 0;
        for el in pattern {
            match el.kind {
                segment_kind::LITERAL => s += 1,
                segment_kind::PLACEHOLDER => {
                    capture(sub.seg(s));
                    s += 1;
                }
                kind => {
                    let end = ends[w];
                    if kind == segment_kind::SPLAT {
                        capture(sub.splat_text(s, end));
                    } else {
                        capture(sub.prefix_text(s, set.segment_text(el).len(), end));
                    }
                    s = end;
                    w += 1;
                }
            }
        }
        return true;
    }
    for (i, el) in pattern.iter().enumerate() {
        if el.kind == segment_kind::PLACEHOLDER {
            capture(sub.seg(i));
        }
    }
    true
}
