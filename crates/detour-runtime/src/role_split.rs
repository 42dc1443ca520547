//! Role splits (format 7): the Role rules of one long list keyed by role, so a request tries
//! only the rules its token grants, and still learns where the search was denied (SPEC §3.9)
//! without trying the others. A keyed rule matches every request under its key on path and query
//! (the compiler keys no other), so the first keyed rule that the token does not grant, and that
//! is not skipped for an existing file, is where a role check failed. That is worked out once the
//! search has stopped, over the rules before the one it stopped at: each of those was either
//! tried already (its role is granted) or ends the walk. For a request whose path names an
//! existing file only the forced rules are reached, so only they are walked.

use detour_format::{span, ArchivedRule, ArchivedRuleSet, ArchivedSplit};

use crate::candidates::{push_span, Stream};
use crate::jwt;

/// What a request's token grants, for Role splits.
pub enum Grant<'g> {
    /// Plain roles: byte ranges of `buf`.
    Plain { buf: &'g [u8], roles: &'g [(u32, u32)] },
    /// Roles that are not plain (escapes, or more than [`jwt::MAX_PLAIN_ROLES`]): the split's
    /// whole list is walked rule by rule instead, as without a split.
    Opaque,
    /// No valid token (or no secret): no role is granted.
    Nothing,
}

/// Verifies the request's token, at most once per request, when a Role split is first opened.
pub trait Grants {
    fn grant(&mut self) -> Grant<'_>;
}

/// How many Role splits a request keeps track of; a request under more walks the further
/// ones' lists whole (as without a split).
const MAX_OPEN: usize = 8;

/// The members (keyed rules) of the Role splits a request opened: all of them, or only the
/// forced ones for a request whose path names an existing file (no other rule is reached).
#[derive(Default)]
pub struct RoleSplits {
    members: [(u32, u32); MAX_OPEN],
    open: usize,
}

fn start_len(span: &detour_format::ArchivedSpan) -> (u32, u32) {
    (span.start.to_native(), span.len.to_native())
}

impl RoleSplits {
    /// Opens `split` for a request: cursors on its rest and on the buckets of the roles the
    /// token grants. `false` when the entry's whole list must be walked instead (roles that are
    /// not plain, or too many Role splits).
    pub fn open(
        &mut self,
        set: &ArchivedRuleSet,
        split: &ArchivedSplit,
        depth: u32,
        grants: &mut dyn Grants,
        asset_exists: bool,
        streams: &mut Vec<Stream>,
    ) -> bool {
        let (buf, roles) = match grants.grant() {
            Grant::Opaque => return false,
            Grant::Plain { buf, roles } => (buf, roles),
            Grant::Nothing => (&[][..], &[][..]),
        };
        let Some(slot) = self.members.get_mut(self.open) else { return false };
        *slot = start_len(if asset_exists { &split.forced } else { &split.members });
        self.open += 1;
        push_span(set, &split.rest, depth, streams);
        for &(start, end) in roles {
            if let Some(b) = buf.get(start as usize..end as usize).and_then(|role| set.split_bucket(split, role)) {
                push_span(set, &b.rules, depth, streams);
            }
        }
        true
    }

    /// Whether a keyed rule before `stop` (the rule the search stopped at, or none) was denied:
    /// one the token does not grant (among the forced ones for an existing file).
    pub fn denied_before(&self, set: &ArchivedRuleSet, stop: u32, grants: &mut dyn Grants) -> bool {
        if self.open == 0 {
            return false;
        }
        let (buf, roles) = match grants.grant() {
            Grant::Plain { buf, roles } => (buf, roles),
            Grant::Nothing => (&[][..], &[][..]),
            Grant::Opaque => return false,
        };
        let granted = |rule: &ArchivedRule| {
            let wanted = set.extra(rule).map_or(&[][..], |e| span(&set.values, &e.role));
            jwt::grants_plain(buf, roles, wanted.iter().map(|v| set.str(v)))
        };
        self.members.iter().take(self.open).any(|&(start, len)| {
            let ids = set.rule_ids.get(start as usize..start.saturating_add(len) as usize).unwrap_or_default();
            ids.iter()
                .map(|id| id.to_native())
                .take_while(|&id| id < stop)
                .any(|id| set.rules.get(id as usize).is_some_and(|rule| !granted(rule)))
        })
    }
}
