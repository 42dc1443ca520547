//! The string pool: every string of the blob, each distinct byte string stored once.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use detour_format::Str;
use xxhash_rust::xxh3::xxh3_64;

use crate::CompileError;

/// A hasher for keys that are already hashes.
#[derive(Default)]
pub struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxh3_64(bytes);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A map from hashes, without hashing again.
pub type HashIndex<V> = HashMap<u64, V, BuildHasherDefault<Prehashed>>;

#[derive(Default)]
pub struct Pool {
    bytes: Vec<u8>,
    /// Strings by the xxh3 of their bytes; collisions are resolved by comparing the bytes.
    seen: HashIndex<Vec<Str>>,
}

impl Pool {
    pub fn with_capacity(bytes: usize) -> Pool {
        Pool { bytes: Vec::with_capacity(bytes), seen: HashIndex::default() }
    }

    pub fn get(&self, s: Str) -> &[u8] {
        &self.bytes[s.start as usize..(s.start + s.len) as usize]
    }

    /// Adds a string (or finds it) and returns where it is.
    pub fn add(&mut self, s: &[u8]) -> Result<Str, CompileError> {
        let hash = xxh3_64(s);
        if let Some(found) = self.seen.get(&hash).and_then(|c| c.iter().find(|&&c| self.get(c) == s)) {
            return Ok(*found);
        }
        let start = u32::try_from(self.bytes.len()).map_err(|_| CompileError::TooLarge("string pool"))?;
        let len = u32::try_from(s.len()).map_err(|_| CompileError::TooLarge("string"))?;
        start.checked_add(len).ok_or(CompileError::TooLarge("string pool"))?;
        self.bytes.extend_from_slice(s);
        let str = Str { start, len };
        self.seen.entry(hash).or_default().push(str);
        Ok(str)
    }

    /// Adds a string, pointing into `container` (a string already in the pool) when it occurs
    /// there: an index key usually repeats part of its rule's `to`.
    pub fn add_within(&mut self, s: &[u8], container: Str) -> Result<Str, CompileError> {
        let hash = xxh3_64(s);
        if let Some(found) = self.seen.get(&hash).and_then(|c| c.iter().find(|&&c| self.get(c) == s)) {
            return Ok(*found);
        }
        let Some(at) = memchr::memmem::find(self.get(container), s).filter(|_| !s.is_empty()) else {
            return self.add(s);
        };
        let str = Str { start: container.start + at as u32, len: s.len() as u32 };
        self.seen.entry(hash).or_default().push(str);
        Ok(str)
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}
