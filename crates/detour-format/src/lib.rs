//! The detour blob: a fixed header, then an rkyv archive of a compiled rule set.
//!
//! This crate is shared by the compiler (which writes blobs) and the runtime (which reads them);
//! a change to anything here bumps [`FORMAT_VERSION`].
//!
//! ```
//! use detour_format::{Header, RuleSet, HEADER_LEN};
//!
//! let set = RuleSet {
//!     edge_slots: vec![0],
//!     host_slots: vec![0],
//!     nodes: vec![Default::default()],
//!     ..RuleSet::default()
//! };
//! let blob = detour_format::write_blob(&set).unwrap();
//! let header = Header::read(&blob).unwrap();
//! header.check_payload(&blob[HEADER_LEN..]).unwrap();
//! let archived = detour_format::access(&blob[HEADER_LEN..]).unwrap();
//! assert_eq!(archived.rules.len(), 0);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod encoding;
mod header;
mod schema;
mod validate;

pub use header::{Header, HeaderError, FORMAT_VERSION, HEADER_LEN, MAGIC, PAYLOAD_ALIGN, RKYV_FORMAT};
pub use schema::*;
pub use validate::{span, InvalidIndex, MAX_WILDCARDS, SPLAT};

use xxhash_rust::xxh3::xxh3_64_with_seed;

impl Default for Node {
    fn default() -> Node {
        Node { placeholder: NONE, terminal: Span::default(), splat: Span::default(), min_rule: NONE, max_rule: 0 }
    }
}

/// The hash of a trie edge, used by [`RuleSet::edge_slots`].
pub fn edge_hash(parent: u32, label: &[u8]) -> u64 {
    xxh3_64_with_seed(label, u64::from(parent))
}

/// The hash of a host entry, used by [`RuleSet::host_slots`]: the lower-case host, seeded by
/// the scheme (0 `http`, 1 `https`).
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
    // Sized from the tables up front, so serializing a large set does not regrow (and re-zero)
    // its buffer many times.
    let estimate = set.pool.len()
        + 64 * (set.rules.len() + set.nodes.len() + set.edges.len() + set.segments.len() + set.parts.len())
        + 4 * (set.edge_slots.len() + set.rule_ids.len() + set.host_slots.len())
        + 4096;
    let payload = rkyv::api::high::to_bytes_in::<_, rkyv::rancor::Error>(
        set,
        rkyv::util::AlignedVec::<16>::with_capacity(estimate),
    )?;
    let rule_count = u32::try_from(set.rules.len()).unwrap_or(u32::MAX);
    let mut blob = Vec::with_capacity(HEADER_LEN + payload.len());
    blob.extend_from_slice(&Header::for_payload(&payload, rule_count).to_bytes());
    blob.extend_from_slice(&payload);
    Ok(blob)
}

/// Validates an archive (rkyv's structural checks, then every index) and returns its root.
/// `payload` must be aligned to [`PAYLOAD_ALIGN`].
pub fn access(payload: &[u8]) -> Result<&ArchivedRuleSet, String> {
    let set = rkyv::access::<ArchivedRuleSet, rkyv::rancor::Error>(payload).map_err(|e| e.to_string())?;
    set.validate().map_err(|e| e.to_string())?;
    Ok(set)
}
