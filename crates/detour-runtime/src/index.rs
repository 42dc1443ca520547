//! Finding candidate rules: the index entries whose key the request path starts with, in the
//! host-less scope and the request host's.

use std::cmp::Ordering;

use detour_format::{
    host_hash, prefix_hash, slot_of, slot_tag, span, ArchivedRuleSet, ArchivedScope, MAX_KEY_DEPTH, PREFIX_SEED,
    SLOT_ENTRY_MASK,
};
use rkyv::rend::u32_le;

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

/// An entry whose key the request path starts with, and the key's depth.
#[derive(Debug, Clone, Copy)]
pub struct Found {
    pub entry: u32,
    pub depth: u32,
}

/// The first `depth` segments of a path as the index keys them: joined by `/`.
pub fn key_text<'p>(path: &'p [u8], segs: &[(u32, u32)], depth: usize) -> &'p [u8] {
    match depth.checked_sub(1).and_then(|last| segs.get(last)) {
        Some(&(_, end)) => path.get(segs[0].0 as usize..end as usize).unwrap_or_default(),
        None => &[],
    }
}

/// The deepest prefix of a path of `n` segments that a scope may have an entry for.
fn deepest(scope: &ArchivedScope, n: usize) -> Option<usize> {
    let reach = n.min(MAX_KEY_DEPTH);
    let prefix = scope.prefix_depths.to_native();
    let mut deepest = match prefix.checked_ilog2() {
        Some(63) => Some(reach),
        Some(bit) => Some((bit as usize).min(reach)),
        None => None,
    };
    if n <= MAX_KEY_DEPTH && scope.exact_depths.to_native() & (1 << n.min(63)) != 0 {
        deepest = Some(n);
    }
    deepest
}

fn lookup(set: &ArchivedRuleSet, scope: &ArchivedScope, hash: u64, depth: usize, key: &[u8]) -> Option<u32> {
    let slots = span(&set.slots, &scope.slots);
    if slots.is_empty() {
        return None;
    }
    let tag = slot_tag(hash);
    let mut i = slot_of(hash, slots.len());
    for _ in 0..slots.len() {
        let slot = slots.get(i)?.to_native();
        if slot == 0 {
            return None;
        }
        if slot & !SLOT_ENTRY_MASK == tag {
            let e = (slot & SLOT_ENTRY_MASK) - 1;
            let entry = set.entries.get(e as usize)?;
            if usize::from(entry.depth) == depth && set.key(entry) == key {
                return Some(e);
            }
        }
        i = if i + 1 == slots.len() { 0 } else { i + 1 };
    }
    None
}

/// Appends to `found` the entry of every prefix of the path (segments `segs`) in each scope:
/// one hash pass over the segments, one probe per scope at each depth it has entries for.
pub fn probe(
    set: &ArchivedRuleSet,
    scopes: &[&ArchivedScope],
    path: &[u8],
    segs: &[(u32, u32)],
    found: &mut Vec<Found>,
) {
    let n = segs.len();
    let Some(last) = scopes.iter().filter_map(|s| deepest(s, n)).max() else { return };
    let mut hash = PREFIX_SEED;
    for depth in 0..=last {
        if depth > 0 {
            let (s, e) = segs[depth - 1];
            hash = prefix_hash(hash, &path[s as usize..e as usize]);
        }
        let bit = 1u64 << depth.min(63);
        for scope in scopes {
            let wanted =
                scope.prefix_depths.to_native() & bit != 0 || (depth == n && scope.exact_depths.to_native() & bit != 0);
            if wanted {
                if let Some(entry) = lookup(set, scope, hash, depth, key_text(path, segs, depth)) {
                    found.push(Found { entry, depth: depth as u32 });
                }
            }
        }
    }
}

/// The first id `>= min` of an ascending id list.
pub fn first_at_least(ids: &[u32_le], min: u32) -> Option<u32> {
    let at = ids.partition_point(|id| id.to_native().cmp(&min) == Ordering::Less);
    ids.get(at).map(|id| id.to_native())
}
