//! Building `to` and `target` (SPEC §4) in scratch buffers.
//!
//! Usually the compiler's pre-split parts are exact and the runtime only copies. When a path
//! capture contains `:` (it could create a `:name` for a later capture) or the compiler flagged
//! the rule, the textual replace-all runs here, pass by pass, tracking each byte's origin.

use crate::encoding::{encode_appended_query, encode_path_capture, encode_rule_text};
use detour_format::{part_kind, ArchivedRule, ArchivedRuleSet, ArchivedToPart};

/// The longest `to` a substitution may produce (SPEC §4): past it the outcome is *target too
/// long*. Captures that hold `:name` text are substituted again, so without a bound a short
/// request could grow `to` cubically.
pub const MAX_TO_BYTES: usize = 16 * 1024;

/// The substitution would make `to` longer than [`MAX_TO_BYTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong;

const FROM_RULE: u8 = 0;
const FROM_PATH: u8 = 1;
const FROM_QUERY: u8 = 2;

/// The captures of a match: path captures first (`path_count` of them), then query captures.
pub struct Captures<'a> {
    pub ranges: &'a [(u32, u32)],
    pub bytes: &'a [u8],
    pub path_count: usize,
}

impl Captures<'_> {
    fn value(&self, i: usize) -> &[u8] {
        self.ranges.get(i).and_then(|&(s, e)| self.bytes.get(s as usize..e as usize)).unwrap_or_default()
    }

    fn origin(&self, i: usize) -> u8 {
        if i < self.path_count {
            FROM_PATH
        } else {
            FROM_QUERY
        }
    }

    /// True when a path capture contains `:`, so pre-split parts may not be exact.
    pub fn path_value_has_colon(&self) -> bool {
        (0..self.ranges.len()).any(|i| self.origin(i) == FROM_PATH && self.value(i).contains(&b':'))
    }
}

/// `to` and the (unfinished) target from pre-split parts; [`TooLong`] (with nothing more
/// written) as soon as `to` would pass [`MAX_TO_BYTES`].
pub fn from_parts(
    set: &ArchivedRuleSet,
    rule: &ArchivedRule,
    parts: &[ArchivedToPart],
    caps: &Captures<'_>,
    to: &mut Vec<u8>,
    target: &mut Vec<u8>,
) -> Result<(), TooLong> {
    to.clear();
    target.clear();
    for p in parts {
        if p.kind == part_kind::TEXT {
            let text = set.part_text(rule, p);
            fits(to.len(), text.len())?;
            to.extend_from_slice(text);
            encode_rule_text(text, target);
        } else {
            let i = usize::from(p.capture);
            let value = caps.value(i);
            fits(to.len(), value.len())?;
            to.extend_from_slice(value);
            if caps.origin(i) == FROM_PATH {
                encode_path_capture(value, target);
            } else {
                encode_rule_text(value, target);
            }
        }
    }
    Ok(())
}

/// Checks that `more` bytes after `len` keep `to` within [`MAX_TO_BYTES`], before they are
/// written, so no buffer ever grows past the bound.
fn fits(len: usize, more: usize) -> Result<(), TooLong> {
    if len.saturating_add(more) > MAX_TO_BYTES {
        Err(TooLong)
    } else {
        Ok(())
    }
}

/// Text buffers for the textual substitution: the text, each byte's origin, and a second pair.
pub struct TextBuffers<'a> {
    pub text: &'a mut Vec<u8>,
    pub origin: &'a mut Vec<u8>,
    pub text2: &'a mut Vec<u8>,
    pub origin2: &'a mut Vec<u8>,
}

/// Applies the first `count` captures of `rule` to its `to` textually; the result is in
/// `bufs.text` and `bufs.origin`. Stops with [`TooLong`] as soon as the text would pass
/// [`MAX_TO_BYTES`], so the work is bounded by the limit, not by the size the text would reach.
pub fn textual(
    set: &ArchivedRuleSet,
    rule: &ArchivedRule,
    caps: &Captures<'_>,
    count: usize,
    bufs: &mut TextBuffers<'_>,
) -> Result<(), TooLong> {
    let to = set.to(rule);
    bufs.text.clear();
    bufs.text.extend_from_slice(to);
    bufs.origin.clear();
    bufs.origin.resize(to.len(), FROM_RULE);
    for i in 0..count {
        let Some((name, _)) = set.capture_name(rule, i) else { break };
        let (value, origin) = (caps.value(i), caps.origin(i));
        bufs.text2.clear();
        bufs.origin2.clear();
        let mut j = 0;
        while j < bufs.text.len() {
            if bufs.text[j] == b':' && bufs.text[j + 1..].starts_with(name) {
                fits(bufs.text2.len(), value.len())?;
                bufs.text2.extend_from_slice(value);
                bufs.origin2.resize(bufs.origin2.len() + value.len(), origin);
                j += 1 + name.len();
            } else {
                fits(bufs.text2.len(), 1)?;
                bufs.text2.push(bufs.text[j]);
                bufs.origin2.push(bufs.origin[j]);
                j += 1;
            }
        }
        std::mem::swap(bufs.text, bufs.text2);
        std::mem::swap(bufs.origin, bufs.origin2);
    }
    Ok(())
}

/// The (unfinished) target of textually substituted text.
pub fn encode_by_origin(text: &[u8], origin: &[u8], target: &mut Vec<u8>) {
    target.clear();
    for (&b, &o) in text.iter().zip(origin) {
        if o == FROM_PATH {
            encode_path_capture(&[b], target);
        } else {
            encode_rule_text(&[b], target);
        }
    }
}

/// Appends the request query when `to` has no `?` (before a `#fragment`), and collapses
/// leading slashes and backslashes so a relative target never starts with `//` or `/\`.
pub fn finish_target(target: &mut Vec<u8>, to_has_query: bool, query: &[u8], tail: &mut Vec<u8>) {
    if !to_has_query && !query.is_empty() {
        let at = target.iter().position(|&b| b == b'#').unwrap_or(target.len());
        tail.clear();
        tail.extend_from_slice(&target[at..]);
        target.truncate(at);
        target.push(b'?');
        encode_appended_query(query, target);
        target.extend_from_slice(tail);
    }
    let slashes = target.iter().take_while(|&&b| b == b'/' || b == b'\\').count();
    if slashes > 1 || target.first() == Some(&b'\\') {
        target[0] = b'/';
        target.drain(1..slashes);
    }
}
