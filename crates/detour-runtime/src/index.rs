//! Finding candidate rules: the lowest-index rule above a bound whose host and path can match,
//! from the segment tries and the ordered side list.

use std::cmp::Ordering;

use detour_format::{edge_hash, host_hash, span, ArchivedRuleSet, NONE};
use rkyv::rend::u32_le;

/// Deepest trie level walked; no rule pattern is deeper (`detour_rules::limits`).
const MAX_DEPTH: usize = 256;

/// The index of `scheme://host` (host without port, any case) in the host table.
pub fn find_host(set: &ArchivedRuleSet, scheme: &str, host: &str) -> Option<u32> {
    if set.hosts.is_empty() {
        return None;
    }
    let scheme = match scheme {
        s if s.eq_ignore_ascii_case("https") => 1u8,
        s if s.eq_ignore_ascii_case("http") => 0u8,
        _ => return None,
    };
    let host = host.as_bytes();
    let mut buffer = [0u8; 256];
    let Some(lower) = buffer.get_mut(..host.len()) else {
        // Longer than any DNS name: compare with every host instead of hashing.
        return set
            .hosts
            .iter()
            .position(|h| h.scheme == scheme && set.str(&h.host).eq_ignore_ascii_case(host))
            .map(|i| i as u32);
    };
    for (l, h) in lower.iter_mut().zip(host) {
        *l = h.to_ascii_lowercase();
    }
    let slots = &set.host_slots;
    let mask = slots.len().wrapping_sub(1);
    let mut i = (host_hash(scheme, lower) as usize) & mask;
    for _ in 0..slots.len() {
        let slot = slots.get(i)?.to_native();
        let h = set.hosts.get((slot as usize).checked_sub(1)?)?;
        if h.scheme == scheme && set.str(&h.host) == lower {
            return Some(slot - 1);
        }
        i = (i + 1) & mask;
    }
    None
}

fn child(set: &ArchivedRuleSet, parent: u32, label: &[u8]) -> Option<u32> {
    let slots = &set.edge_slots;
    let mask = slots.len().wrapping_sub(1);
    let mut i = (edge_hash(parent, label) as usize) & mask;
    for _ in 0..slots.len() {
        let slot = slots.get(i)?.to_native();
        if slot == 0 {
            return None;
        }
        let e = set.edges.get(slot as usize - 1)?;
        if e.parent.to_native() == parent && set.str(&e.label) == label {
            return Some(e.child.to_native());
        }
        i = (i + 1) & mask;
    }
    None
}

/// The first id `>= min` of an ascending id list.
fn first_at_least(ids: &[u32_le], min: u32) -> Option<u32> {
    let at = ids.partition_point(|id| id.to_native().cmp(&min) == Ordering::Less);
    ids.get(at).map(|id| id.to_native())
}

/// A trie walk for one request path.
pub struct Walk<'a> {
    pub set: &'a ArchivedRuleSet,
    pub path: &'a [u8],
    pub segs: &'a [(u32, u32)],
}

impl Walk<'_> {
    /// Lowers `best` to the lowest rule `>= min` under `node` that matches the path from
    /// segment `depth` on.
    pub fn lowest(&self, node: u32, depth: usize, min: u32, best: &mut u32) {
        let Some(n) = self.set.nodes.get(node as usize) else { return };
        if n.max_rule.to_native() < min || n.min_rule.to_native() >= *best {
            return;
        }
        let mut offer = |ids: &[u32_le]| {
            if let Some(id) = first_at_least(ids, min) {
                *best = (*best).min(id);
            }
        };
        offer(span(&self.set.rule_ids, &n.splat));
        if depth == self.segs.len() {
            offer(span(&self.set.rule_ids, &n.terminal));
            return;
        }
        if depth >= MAX_DEPTH {
            return;
        }
        let (s, e) = self.segs[depth];
        let seg = &self.path[s as usize..e as usize];
        if let Some(c) = child(self.set, node, seg) {
            self.lowest(c, depth + 1, min, best);
        }
        let placeholder = n.placeholder.to_native();
        if !seg.is_empty() && placeholder != NONE {
            self.lowest(placeholder, depth + 1, min, best);
        }
    }
}
