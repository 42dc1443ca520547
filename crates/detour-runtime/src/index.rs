//! Finding candidate rules: the index entries whose key the request path starts with, in the
//! host-less scope and the request host's.

use detour_format::{
    host_hash, prefix_hash, slot_of, slot_tag, span, ArchivedKeyTable, ArchivedRuleSet, ArchivedSpan, MAX_KEY_DEPTH,
    NONE, PREFIX_SEED, SLOT_ENTRY_MASK,
};

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
    /// The lowest rule its lists can offer the request ([`NONE`] for none, or once its lists
    /// are open): lists are opened only when their turn in rule order may have come.
    pub first: u32,
    /// Where the entry's lists (exact, prefix) lie in the rule ids, as `prepare` read them for
    /// `first`, so opening the entry does not read them again; `None` for a single-rule entry.
    pub lists: Option<[(u32, u32); 2]>,
    /// The split numbers of those lists ([`NONE`] for none), read with them.
    pub splits: [u32; 2],
}

/// The first `depth` segments of a path as the index keys them: joined by `/`.
pub fn key_text<'p>(path: &'p [u8], segs: &[(u32, u32)], depth: usize) -> &'p [u8] {
    match depth.checked_sub(1).and_then(|last| segs.get(last)) {
        Some(&(_, end)) => path.get(segs[0].0 as usize..end as usize).unwrap_or_default(),
        None => &[],
    }
}

/// The deepest prefix of a path of `n` segments that a table may have an entry for.
fn deepest(table: &ArchivedKeyTable, n: usize) -> Option<usize> {
    let reach = n.min(MAX_KEY_DEPTH);
    let mut deepest = match table.prefix_depths.to_native().checked_ilog2() {
        Some(63) => Some(reach),
        Some(bit) => Some((bit as usize).min(reach)),
        None => None,
    };
    if n <= MAX_KEY_DEPTH && table.exact_depths.to_native() & (1 << n.min(63)) != 0 {
        deepest = Some(n);
    }
    deepest
}

fn is_placeholder(mask: u64, position: usize) -> bool {
    position < 64 && mask & (1 << position) != 0
}

/// Whether the first `depth` segments of a path fit a key with placeholders at `mask`.
fn key_fits(key: &[u8], mask: u64, path: &[u8], segs: &[(u32, u32)], depth: usize) -> bool {
    if mask == 0 {
        return key == key_text(path, segs, depth);
    }
    let mut parts = key.split(|&b| b == b'/');
    segs[..depth].iter().enumerate().all(|(i, &(s, e))| {
        let (seg, part) = (&path[s as usize..e as usize], parts.next().unwrap_or_default());
        if is_placeholder(mask, i) {
            !seg.is_empty()
        } else {
            seg == part
        }
    })
}

/// One request path and the hashes of its plain prefixes (`hashes[d]` covers `d` segments).
struct Prefixes<'a> {
    path: &'a [u8],
    segs: &'a [(u32, u32)],
    hashes: &'a mut Vec<u64>,
}

impl Prefixes<'_> {
    fn seg(&self, i: usize) -> &[u8] {
        let (s, e) = self.segs[i];
        &self.path[s as usize..e as usize]
    }

    fn plain(&mut self, depth: usize) -> u64 {
        while self.hashes.len() <= depth {
            let d = self.hashes.len();
            let h = if d == 0 { PREFIX_SEED } else { prefix_hash(self.hashes[d - 1], self.seg(d - 1)) };
            self.hashes.push(h);
        }
        self.hashes[depth]
    }
}

/// The last key verified in one table's probe: where it is in the pool and how long. Keys are
/// probed shallowest first, and the compiler stores a key inside a deeper key of the same table
/// that extends it, so a deeper key found at the same place needs only its tail compared: a path
/// of D nested keys costs O(D) bytes of comparison, not O(D²).
#[derive(Clone, Copy)]
struct Verified {
    start: u32,
    len: usize,
    depth: usize,
}

/// Equal tails: the one segment a deeper key adds is usually a few bytes, compared in place
/// rather than through a call to `memcmp`.
#[inline]
fn same_tail(a: Option<&[u8]>, b: Option<&[u8]>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) if a.len() == b.len() && a.len() <= 16 => a.iter().zip(b).all(|(x, y)| x == y),
        (a, b) => a == b,
    }
}

/// Whether `key` (an entry's key at `depth`, starting in the pool at `start`) fits the path,
/// reusing a shallower key of the same table already verified at the same place.
#[inline]
fn key_fits_after(
    key: &[u8],
    start: u32,
    mask: u64,
    verified: Option<Verified>,
    p: &Prefixes<'_>,
    depth: usize,
) -> bool {
    let Some(v) = verified.filter(|v| v.start == start && v.len < key.len() && key.get(v.len) == Some(&b'/')) else {
        return key_fits(key, mask, p.path, p.segs, depth);
    };
    if mask == 0 {
        let text = key_text(p.path, p.segs, depth);
        return text.len() == key.len() && same_tail(key.get(v.len..), text.get(v.len..));
    }
    // The verified key covers segments `..v.depth`; the rest of `key` must fit the rest.
    let mut parts = key.get(v.len + 1..).unwrap_or_default().split(|&b| b == b'/');
    (v.depth..depth).all(|i| {
        let (part, seg) = (parts.next().unwrap_or_default(), p.seg(i));
        if is_placeholder(mask, i) {
            !seg.is_empty()
        } else {
            seg == part
        }
    }) && parts.next().is_none()
}

fn lookup(
    set: &ArchivedRuleSet,
    table: &ArchivedKeyTable,
    hash: u64,
    depth: usize,
    p: &Prefixes<'_>,
    verified: &mut Option<Verified>,
) -> Option<u32> {
    let slots = span(&set.slots, &table.slots);
    if slots.is_empty() {
        return None;
    }
    let tag = slot_tag(hash);
    let mask = table.mask.to_native();
    let mut i = slot_of(hash, slots.len());
    for _ in 0..slots.len() {
        let slot = slots.get(i)?.to_native();
        if slot == 0 {
            return None;
        }
        if slot & !SLOT_ENTRY_MASK == tag {
            let e = (slot & SLOT_ENTRY_MASK).checked_sub(1)?;
            if let Some(e) = fitting(set, e, mask, depth, p, verified) {
                return Some(e);
            }
        }
        i = if i + 1 == slots.len() { 0 } else { i + 1 };
    }
    None
}

/// Entry `e` when its key fits the path at `depth` (noted as the table's last verified key).
fn fitting(
    set: &ArchivedRuleSet,
    e: u32,
    mask: u64,
    depth: usize,
    p: &Prefixes<'_>,
    verified: &mut Option<Verified>,
) -> Option<u32> {
    let entry = set.entries.get(e as usize)?;
    let (key, start) = (set.key(entry), entry.key.to_native());
    let fits = usize::from(entry.depth) == depth && key_fits_after(key, start, mask, *verified, p, depth);
    fits.then(|| {
        *verified = Some(Verified { start, len: key.len(), depth });
        e
    })
}

/// Appends to `found` the entry of every key the path fits, in each key table of the scopes:
/// the plain prefix hashes are computed once and shared; a table with placeholders continues
/// them from its first placeholder, hashing each placeholder segment as empty.
pub fn probe(
    set: &ArchivedRuleSet,
    scopes: &[&ArchivedSpan],
    path: &[u8],
    segs: &[(u32, u32)],
    hashes: &mut Vec<u64>,
    found: &mut Vec<Found>,
) {
    let n = segs.len();
    hashes.clear();
    let mut p = Prefixes { path, segs, hashes };
    for &scope in scopes {
        for table in span(&set.tables, scope) {
            let Some(last) = deepest(table, n) else { continue };
            let mask = table.mask.to_native();
            let shared = (mask.trailing_zeros() as usize).min(last);
            let mut hash = 0;
            let mut verified = None;
            // The entry the last one found links to: this table's only entry that can fit the
            // path at the next depth (`Entry::child`).
            let mut chained = NONE;
            for depth in 0..=last {
                let bit = 1u64 << depth.min(63);
                let wanted = table.prefix_depths.to_native() & bit != 0
                    || (depth == n && table.exact_depths.to_native() & bit != 0);
                let linked = std::mem::replace(&mut chained, NONE);
                let hit = if linked != NONE {
                    // The only entry that can fit here. Without placeholders a table's keys are
                    // hashed from the plain prefixes, computed when a later depth asks for them.
                    wanted.then(|| fitting(set, linked, mask, depth, &p, &mut verified)).flatten()
                } else {
                    if depth <= shared {
                        hash = p.plain(depth);
                    } else if is_placeholder(mask, depth - 1) {
                        if p.seg(depth - 1).is_empty() {
                            break;
                        }
                        hash = prefix_hash(hash, b"");
                    } else {
                        hash = prefix_hash(hash, p.seg(depth - 1));
                    }
                    wanted.then(|| lookup(set, table, hash, depth, &p, &mut verified)).flatten()
                };
                let Some(entry) = hit else { continue };
                found.push(Found { entry, depth: depth as u32, first: NONE, lists: None, splits: [NONE; 2] });
                // Only plain tables link (a placeholder table's hash is carried from depth to
                // depth, so none may be skipped).
                chained = set.entries.get(entry as usize).filter(|_| mask == 0).map_or(NONE, |e| e.child.to_native());
            }
        }
    }
}
