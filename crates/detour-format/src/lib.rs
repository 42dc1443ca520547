//! The detour blob: a fixed header, then an rkyv archive of a compiled rule set.
//!
//! This crate is shared by the compiler (which writes blobs) and the runtime (which reads them);
//! a change to anything here bumps [`FORMAT_VERSION`].
//!
//! ```
//! use detour_format::{Header, RuleSet, HEADER_LEN};
//!
//! let set = RuleSet { host_slots: vec![0], ..RuleSet::default() };
//! let blob = detour_format::write_blob(&set).unwrap();
//! let header = Header::read(&blob).unwrap();
//! header.check_payload(&blob[HEADER_LEN..]).unwrap();
//! let archived = detour_format::access(&blob[HEADER_LEN..]).unwrap();
//! assert_eq!(archived.rules.len(), 0);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod header;
mod schema;
mod site;
mod validate;

pub use header::{Header, HeaderError, FORMAT_VERSION, HEADER_LEN, MAGIC, PAYLOAD_ALIGN, RKYV_FORMAT};
pub use schema::*;
pub use site::{
    normal_host, normalize_host, normalize_host_bytes, with_site, SiteError, SiteHosts, MAX_HOST_BYTES, MAX_SITE_HOSTS,
    MAX_SITE_SECTION,
};
pub use validate::{span, EntryLists, InvalidIndex, PatternShape, MAX_WILDCARDS, SPLAT};

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The deepest index key: keys hold at most this many leading literal segments of a pattern
/// (`detour_rules` allows 128 segments in all).
pub const MAX_KEY_DEPTH: usize = 128;

/// The hash of a key of no segments; [`prefix_hash`] extends it one segment at a time.
pub const PREFIX_SEED: u64 = 0x6465_746f_7572;

/// The hash of a key one segment longer: a request's prefixes are hashed in one pass.
#[inline]
pub fn prefix_hash(previous: u64, segment: &[u8]) -> u64 {
    xxh3_64_with_seed(segment, previous)
}

/// The first slot to probe for `hash` in a table of `len` slots (any length, not only powers
/// of two, so tables can be filled to their load factor).
#[inline]
pub fn slot_of(hash: u64, len: usize) -> usize {
    (((hash >> 32) * len as u64) >> 32) as usize
}

/// The low bits of an index slot: the entry number + 1 (0 for an empty slot).
pub const SLOT_ENTRY_MASK: u32 = 0x00ff_ffff;

/// The high bits of an index slot: a tag from the key's hash, so a probe for another key
/// mostly stops at the slot without reading the entry.
#[inline]
pub fn slot_tag(hash: u64) -> u32 {
    (hash as u32 & 0xff) << 24
}

/// Builds a linear-probing table for [`slot_of`] (index + 1, 0 empty) with `len` slots over
/// items with these hashes, in order, so the result is deterministic. `len` must exceed the
/// number of items.
pub fn probe_table(hashes: impl ExactSizeIterator<Item = u64>, len: usize) -> Vec<u32> {
    let mut slots = vec![0u32; len];
    for (i, hash) in hashes.enumerate() {
        let mut slot = slot_of(hash, len);
        while slots[slot] != 0 {
            slot = if slot + 1 == len { 0 } else { slot + 1 };
        }
        slots[slot] = u32::try_from(i + 1).unwrap_or(u32::MAX);
    }
    slots
}

/// The hash of a [`SplitBucket`]'s value, seeded by the split's kind.
#[inline]
pub fn split_hash(kind: u8, value: &[u8]) -> u64 {
    xxh3_64_with_seed(value, 0x7370_6c69_7400 + u64::from(kind))
}

/// Builds the open-addressing table of a [`Split`] over its buckets' hashes: power-of-two length,
/// load at most one half, bucket number + 1 (0 empty).
pub fn split_table(hashes: impl ExactSizeIterator<Item = u64>) -> Vec<u32> {
    slot_table(hashes)
}

/// The hash of a host entry, used by [`RuleSet::host_slots`]: the lower-case host, seeded by
/// the scheme (0 `http`, 1 `https`).
#[inline]
pub fn host_hash(scheme: u8, lower_host: &[u8]) -> u64 {
    xxh3_64_with_seed(lower_host, 0x686f_7374 + u64::from(scheme))
}

/// Builds an open-addressing table (index + 1, 0 empty; power-of-two length, load at most
/// one half) over items with these hashes, in order, so the result is deterministic.
pub fn slot_table(hashes: impl ExactSizeIterator<Item = u64>) -> Vec<u32> {
    let size = (hashes.len() * 2).next_power_of_two().max(1);
    let mut slots = vec![0u32; size];
    for (i, hash) in hashes.enumerate() {
        let mut slot = (hash as usize) & (size - 1);
        while slots[slot] != 0 {
            slot = (slot + 1) & (size - 1);
        }
        slots[slot] = u32::try_from(i + 1).unwrap_or(u32::MAX);
    }
    slots
}

/// Serializes a rule set into a complete blob: header, then the archive.
pub fn write_blob(set: &RuleSet) -> Result<Vec<u8>, rkyv::rancor::Error> {
    let payload = archive(set)?;
    Ok(with_header(&payload, set.rules.len()))
}

/// [`write_blob`] for a rule set the caller no longer needs: the set is dropped as soon as it is
/// archived, so a large site never holds the set, the archive and the blob at once.
pub fn write_blob_from(set: RuleSet) -> Result<Vec<u8>, rkyv::rancor::Error> {
    let payload = archive(&set)?;
    let rule_count = set.rules.len();
    drop(set);
    Ok(with_header(&payload, rule_count))
}

fn with_header(payload: &[u8], rule_count: usize) -> Vec<u8> {
    let rule_count = u32::try_from(rule_count).unwrap_or(u32::MAX);
    let mut blob = Vec::with_capacity(HEADER_LEN + payload.len());
    blob.extend_from_slice(&Header::for_payload(payload, rule_count).to_bytes());
    blob.extend_from_slice(payload);
    blob
}

fn archive(set: &RuleSet) -> Result<rkyv::util::AlignedVec<16>, rkyv::rancor::Error> {
    let buffer = rkyv::util::AlignedVec::<16>::with_capacity(archived_size_estimate(set));
    rkyv::api::high::to_bytes_in::<_, rkyv::rancor::Error>(set, buffer)
}

/// The archive's size, from its tables (every table archives as its records, which are plain
/// data of the same size), plus room for the root and alignment: the buffer is allocated once,
/// neither regrown nor twice too large.
fn archived_size_estimate(set: &RuleSet) -> usize {
    fn table<T>(items: &[T]) -> usize {
        std::mem::size_of_val(items) + std::mem::align_of::<T>()
    }
    table(&set.pool)
        + table(&set.files)
        + table(&set.rules)
        + table(&set.details)
        + table(&set.segments)
        + table(&set.parts)
        + table(&set.queries)
        + table(&set.extras)
        + table(&set.values)
        + table(&set.headers)
        + table(&set.entries)
        + table(&set.tables)
        + table(&set.slots)
        + table(&set.rule_ids)
        + table(&set.splits)
        + table(&set.split_buckets)
        + table(&set.split_slots)
        + table(&set.hosts)
        + table(&set.host_slots)
        + 4096
}

/// Validates an archive (rkyv's structural checks, then every index) and returns its root.
/// `payload` must be aligned to [`PAYLOAD_ALIGN`].
pub fn access(payload: &[u8]) -> Result<&ArchivedRuleSet, String> {
    let set = rkyv::access::<ArchivedRuleSet, rkyv::rancor::Error>(payload).map_err(|e| e.to_string())?;
    set.validate().map_err(|e| e.to_string())?;
    Ok(set)
}
