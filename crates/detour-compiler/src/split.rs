//! Splits: second-level indexes over long rule lists (format v5), so that rules sharing an index
//! key are found by something else the request offers (its last segment, the start of the
//! segment after the key, a query value, its country or language) instead of being tried one by
//! one. A rule is put in a bucket only when it cannot match a request whose value differs; every
//! other rule of the list stays in the split's `rest`, which is always tried.

use std::collections::{BTreeMap, HashMap};

use detour_format::split_kind;
use detour_rules::{QueryValue, Rule, Segment};

use crate::guard::{is_guarded, loop_prefix, LoopPrefix};

/// The most distinct prefix lengths a [`split_kind::SEGMENT_PREFIX`] split looks up: a request
/// pays one hash lookup per length.
pub const MAX_PREFIX_LENGTHS: usize = 8;

/// The longest condition value a split keys; longer values stay in `rest` (the runtime lower-cases
/// the request's value on the stack).
pub const MAX_CONDITION_VALUE: usize = 64;

/// A split, before layout.
#[derive(Debug, Default)]
pub struct SplitPlan {
    pub kind: u8,
    /// For [`split_kind::QUERY`]: the key.
    pub key: Vec<u8>,
    /// For [`split_kind::SEGMENT_PREFIX`]: the prefix lengths, ascending.
    pub lengths: Vec<u32>,
    /// Rules without a value, ascending.
    pub rest: Vec<u32>,
    /// For [`split_kind::ROLE`]: the rules with a value, ascending, and the forced ones.
    pub members: Vec<u32>,
    pub forced: Vec<u32>,
    /// Values and their rules (ascending), in value order so the layout is deterministic.
    pub buckets: Vec<(Vec<u8>, Vec<u32>)>,
}

/// Whether the loop guard (SPEC §3.10) can fire for this rule on a request whose decoded path
/// starts with `head` (the literal head of the entry's key, as a path): the path must start
/// with the guard's prefix P too, so one of the two must be a prefix of the other.
fn guard_possible(rule: &Rule, head: &[u8]) -> bool {
    if !is_guarded(rule) {
        return false;
    }
    let p = match loop_prefix(&rule.to) {
        LoopPrefix::None => return false,
        LoopPrefix::Relative(p) | LoopPrefix::Absolute { prefix: p, .. } => p.as_bytes(),
    };
    p.starts_with(head) || head.starts_with(p)
}

/// The values of one rule for one kind of split; empty when it has none (or must stay in `rest`).
fn values(kind: u8, rule: &Rule, depth: usize, head: &[u8], query_key: &[u8]) -> Vec<Vec<u8>> {
    // Query constraints are checked after the loop guard, which ends the scan when it fires;
    // conditions after the role check too, which flags the scan: rules for which these can
    // happen are always tried.
    let guarded = guard_possible(rule, head);
    let checked_late = guarded || !rule.conditions.role.is_empty();
    let segments = &rule.path.segments;
    match kind {
        // A pattern that ends in a literal: the request's last segment must equal it (the
        // matcher's last block, wildcards or not).
        split_kind::LAST_SEGMENT => match segments.last() {
            Some(Segment::Literal(text)) if segments.len() > depth => vec![text.to_vec()],
            _ => Vec::new(),
        },
        split_kind::SEGMENT_PREFIX => match segments.get(depth) {
            Some(Segment::PrefixSplat(text)) => vec![text.to_vec()],
            _ => Vec::new(),
        },
        split_kind::QUERY if !guarded => rule
            .query
            .iter()
            .filter(|q| q.key.as_bytes() == query_key)
            .filter_map(|q| match &q.value {
                QueryValue::Literal(value) => Some(value.clone()),
                QueryValue::Capture(_) => None,
            })
            .collect(),
        // Keyed only where the role check is reached on every request under the key (see
        // `split_kind::ROLE`): the first rule in the list whose role is not granted is then
        // where the search was denied, found without trying the rules before it.
        split_kind::ROLE if !guarded && rule.query.is_empty() && path_matched_by_key(rule, depth) => {
            let mut roles: Vec<Vec<u8>> = rule.conditions.role.iter().map(|r| r.as_bytes().to_vec()).collect();
            roles.sort();
            roles.dedup();
            roles
        }
        split_kind::COUNTRY | split_kind::LANGUAGE if !checked_late => {
            let c = &rule.conditions;
            let list = if kind == split_kind::LANGUAGE { &c.language } else { &c.country };
            if list.iter().any(|v| v.len() > MAX_CONDITION_VALUE) {
                return Vec::new();
            }
            let mut lower: Vec<Vec<u8>> = list.iter().map(|v| v.to_ascii_lowercase().into_bytes()).collect();
            lower.sort();
            lower.dedup();
            lower
        }
        _ => Vec::new(),
    }
}

/// Whether every path under a key of `depth` segments that this rule is listed for matches it:
/// the key is the whole pattern (the exact list) or the pattern is the key and a splat (the
/// prefix list).
fn path_matched_by_key(rule: &Rule, depth: usize) -> bool {
    let segments = &rule.path.segments;
    let literal_key = segments.iter().take(depth).all(|s| matches!(s, Segment::Literal(_)));
    literal_key && matches!(segments.get(depth..), Some([] | [Segment::Splat]))
}

/// The query key most rules of the list constrain to a literal.
fn common_query_key<'a>(list: &[u32], rules: &'a [Rule]) -> Option<&'a [u8]> {
    let mut counts: BTreeMap<&[u8], usize> = BTreeMap::new();
    for rule in list.iter().filter_map(|&id| rules.get(id as usize)) {
        for q in &rule.query {
            if matches!(q.value, QueryValue::Literal(_)) {
                *counts.entry(q.key.as_bytes()).or_default() += 1;
            }
        }
    }
    counts.into_iter().max_by_key(|&(key, n)| (n, std::cmp::Reverse(key))).map(|(key, _)| key)
}

/// Lays out a split of `list` by `kind`.
fn plan_kind(kind: u8, list: &[u32], rules: &[Rule], (depth, head): (usize, &[u8]), query_key: &[u8]) -> SplitPlan {
    let mut buckets: BTreeMap<Vec<u8>, Vec<u32>> = BTreeMap::new();
    let mut rest = Vec::new();
    let per_rule: Vec<Vec<Vec<u8>>> = list
        .iter()
        .map(|&id| rules.get(id as usize).map_or_else(Vec::new, |r| values(kind, r, depth, head, query_key)))
        .collect();
    let mut lengths = Vec::new();
    if kind == split_kind::SEGMENT_PREFIX {
        // The most common lengths, so a request looks up a bounded number of prefixes.
        let mut by_length: HashMap<usize, usize> = HashMap::new();
        for v in per_rule.iter().flatten() {
            *by_length.entry(v.len()).or_default() += 1;
        }
        let mut common: Vec<(usize, usize)> = by_length.into_iter().collect();
        common.sort_by_key(|&(len, n)| (std::cmp::Reverse(n), len));
        lengths = common.iter().take(MAX_PREFIX_LENGTHS).map(|&(len, _)| len as u32).collect();
        lengths.sort_unstable();
    }
    let (mut members, mut forced) = (Vec::new(), Vec::new());
    for (&id, vals) in list.iter().zip(per_rule) {
        let keyed = !vals.is_empty() && vals.iter().all(|v| lengths.is_empty() || lengths.contains(&(v.len() as u32)));
        if keyed && kind == split_kind::ROLE {
            members.push(id);
            if rules.get(id as usize).is_some_and(|r| r.force) {
                forced.push(id);
            }
        }
        if keyed {
            for v in vals {
                buckets.entry(v).or_default().push(id);
            }
        } else {
            rest.push(id);
        }
    }
    SplitPlan { kind, key: query_key.to_vec(), lengths, rest, members, forced, buckets: buckets.into_iter().collect() }
}

/// The best split of an entry's list (`exact` or prefix) whose key has `depth` segments and
/// starts with the literal path `head`: the kind that leaves the fewest rules in `rest`. `None`
/// when no kind keys at least two rules.
pub fn plan(list: &[u32], exact: bool, (depth, head): (usize, &[u8]), rules: &[Rule]) -> Option<SplitPlan> {
    let query_key = common_query_key(list, rules).unwrap_or_default();
    let mut kinds = vec![split_kind::QUERY, split_kind::COUNTRY, split_kind::LANGUAGE, split_kind::ROLE];
    if !exact {
        kinds.extend([split_kind::LAST_SEGMENT, split_kind::SEGMENT_PREFIX]);
    }
    kinds
        .into_iter()
        .map(|kind| plan_kind(kind, list, rules, (depth, head), query_key))
        .filter(|p| list.len() - p.rest.len() >= 2)
        .min_by_key(|p| (p.rest.len(), p.kind))
}
