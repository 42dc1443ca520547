//! A caller-owned cache of the sites of recent hosts, one per thread like a
//! [`Scratch`](detour_runtime::Scratch): a host seen before (byte for byte, as the client sent
//! it) skips normalizing, hashing into the host table and reading the table through its
//! `ArcSwap`. It holds sites, never their rules, so it pins no blob: a site the budget closes
//! is closed for cached hosts too, and any change to the host table (a site or alias added,
//! removed or moved) empties every cache at its next use.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use xxhash_rust::xxh3::xxh3_64;

use crate::site::Site;

/// Raw hosts longer than this are not cached (they take the uncached path).
const MAX_CACHED_HOST: usize = 64;

/// How many hosts a cache holds: two-way, a host has the two slots of its pair, so a few hundred
/// hosts served in turn by one thread stay cached.
const SLOTS: usize = 512;
const _: () = assert!(SLOTS.is_power_of_two());

/// Gives every registry its own number, so a cache used with two registries never answers
/// one's hosts with the other's sites.
static REGISTRY_IDS: AtomicU64 = AtomicU64::new(1);

/// A fresh registry number.
pub(crate) fn next_registry_id() -> u64 {
    REGISTRY_IDS.fetch_add(1, Ordering::Relaxed)
}

struct Slot {
    host: [u8; MAX_CACHED_HOST],
    len: usize,
    site: Arc<Site>,
}

/// Recent hosts and their sites, for [`Registry::with_matcher_cached`](crate::Registry::with_matcher_cached).
/// Keep one per thread (it is `Send`, not shared); a few kilobytes.
pub struct SiteCache {
    /// The registry and host-table generation the slots were filled under.
    registry: u64,
    generation: u64,
    slots: Box<[Option<Slot>]>,
    /// Each slot's host tag ([`SiteCache::tag_of`]), 0 when empty: a miss reads no slot.
    tags: Box<[u64]>,
    /// For each pair, which of its two slots was used last (0 or 1).
    recent: Box<[u8]>,
}

impl Default for SiteCache {
    fn default() -> SiteCache {
        SiteCache::new()
    }
}

impl std::fmt::Debug for SiteCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self.slots.iter().filter(|s| s.is_some()).count();
        f.debug_struct("SiteCache").field("registry", &self.registry).field("hosts", &held).finish()
    }
}

impl SiteCache {
    /// An empty cache.
    pub fn new() -> SiteCache {
        SiteCache {
            registry: 0,
            generation: 0,
            slots: (0..SLOTS).map(|_| None).collect(),
            tags: vec![0; SLOTS].into(),
            recent: vec![0; SLOTS / 2].into(),
        }
    }

    /// `host`'s tag (never 0, the empty slot's) from its length and its first and last eight
    /// bytes, where hosts differ; two hosts with one tag are told apart by their bytes.
    fn tag_of(host: &[u8]) -> u64 {
        let word = |bytes: Option<&[u8]>| {
            let mut w = [0u8; 8];
            if let Some(b) = bytes {
                w.copy_from_slice(b);
            }
            u64::from_le_bytes(w)
        };
        let hash = if host.len() >= 8 {
            word(host.get(..8)) ^ word(host.get(host.len() - 8..)).rotate_left(29) ^ host.len() as u64
        } else {
            xxh3_64(host)
        };
        hash.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1
    }

    /// The first slot of the pair of a host with this tag: the tag's top bits, which depend on
    /// every bit of the hash.
    fn pair_of(tag: u64) -> usize {
        (tag >> (64 - SLOTS.trailing_zeros())) as usize & !1
    }

    /// Empties the cache unless it was filled under this registry's current host table.
    pub(crate) fn sync(&mut self, registry: u64, generation: u64) {
        if (self.registry, self.generation) != (registry, generation) {
            self.slots.iter_mut().for_each(|s| *s = None);
            self.tags.iter_mut().for_each(|t| *t = 0);
            (self.registry, self.generation) = (registry, generation);
        }
    }

    /// The slot of `host` if it is cached (after [`SiteCache::sync`]).
    pub(crate) fn find(&mut self, host: &[u8]) -> Option<usize> {
        if host.len() > MAX_CACHED_HOST {
            return None;
        }
        let tag = Self::tag_of(host);
        let pair = Self::pair_of(tag);
        let hit = (pair..pair + 2).find(|&i| {
            self.tags.get(i) == Some(&tag)
                && self.slots.get(i).and_then(Option::as_ref).is_some_and(|s| s.host.get(..s.len) == Some(host))
        })?;
        // The pair's other slot is the one a new host replaces.
        self.newer_of_pair(pair, hit);
        Some(hit)
    }

    /// The site in a slot [`SiteCache::find`] returned.
    pub(crate) fn site(&self, slot: usize) -> Option<&Arc<Site>> {
        self.slots.get(slot)?.as_ref().map(|s| &s.site)
    }

    /// Remembers `host`'s site in the pair's older slot.
    pub(crate) fn put(&mut self, host: &[u8], site: &Arc<Site>) {
        let mut bytes = [0u8; MAX_CACHED_HOST];
        let Some(to) = bytes.get_mut(..host.len()) else { return };
        to.copy_from_slice(host);
        let tag = Self::tag_of(host);
        let pair = Self::pair_of(tag);
        let older = pair + usize::from(self.recent.get(pair / 2).copied() == Some(0));
        if let (Some(slot), Some(t)) = (self.slots.get_mut(older), self.tags.get_mut(older)) {
            *slot = Some(Slot { host: bytes, len: host.len(), site: Arc::clone(site) });
            *t = tag;
        }
        self.newer_of_pair(pair, older);
    }

    fn newer_of_pair(&mut self, pair: usize, slot: usize) {
        if let Some(r) = self.recent.get_mut(pair / 2) {
            *r = (slot - pair) as u8;
        }
    }
}
