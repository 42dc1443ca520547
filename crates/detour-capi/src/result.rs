//! The match result as C receives it: plain fields, and the strings copied into the caller's
//! output buffer (spans into it), so nothing is allocated and nothing points into the blob.

use detour_runtime::Outcome;

use crate::output::{copy_strings, needed};
use crate::request::DetourSpan;
use crate::status::Error;

/// [`DetourResult::outcome`]: no rule applies.
pub const DETOUR_NO_MATCH: u32 = 0;
/// A rule applies: the other fields describe it.
pub const DETOUR_MATCHED: u32 = 1;
/// A `Role` rule denied access and no later rule applied: answer 404.
pub const DETOUR_DENIED: u32 = 2;
/// A rule applies but its substituted target would pass 16 KiB (SPEC §4): answer 414.
/// `rule`, `line` and `file` name the rule.
pub const DETOUR_TOO_LONG: u32 = 3;

/// The decision for one request. The spans point into the output buffer of the call.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DetourResult {
    /// `DETOUR_NO_MATCH`, `DETOUR_MATCHED`, `DETOUR_DENIED` or `DETOUR_TOO_LONG`.
    pub outcome: u32,
    /// HTTP status of the rule (matched only).
    pub status: u32,
    /// The rule is forced (matched only).
    pub force: u32,
    /// An earlier `Role` rule was denied (matched only).
    pub negative: u32,
    /// 0-based rule index (matched and too long).
    pub rule: u32,
    /// 1-based source line (matched and too long).
    pub line: u32,
    /// The target after substitution, captures decoded (matched only).
    pub to: DetourSpan,
    /// The wire-safe target for `Location` or a proxy request (matched only).
    pub target: DetourSpan,
    /// The rule's source file name (matched and too long).
    pub file: DetourSpan,
    /// Bytes of output buffer the strings need; on `DETOUR_ERR_BUFFER_TOO_SMALL` call again
    /// with at least this many.
    pub needed: usize,
}

/// Fills `result` and copies its strings into `out`.
pub(crate) fn write_outcome(outcome: &Outcome<'_>, result: &mut DetourResult, out: &mut [u8]) -> Result<(), Error> {
    *result = DetourResult::default();
    let strings: [&[u8]; 3] = match outcome {
        Outcome::NoMatch => return Ok(()),
        Outcome::Denied => {
            result.outcome = DETOUR_DENIED;
            return Ok(());
        }
        Outcome::TooLong(r) => {
            (result.outcome, result.rule, result.line) = (DETOUR_TOO_LONG, r.rule, r.line);
            [b"", b"", r.file.as_bytes()]
        }
        Outcome::Matched(d) => {
            result.outcome = DETOUR_MATCHED;
            (result.status, result.force, result.negative) = (d.status.into(), d.force.into(), d.negative.into());
            (result.rule, result.line) = (d.rule, d.line);
            [d.to, d.target.as_bytes(), d.file.as_bytes()]
        }
    };
    result.needed = needed(&strings);
    [result.to, result.target, result.file] = copy_strings(out, strings)?;
    Ok(())
}
