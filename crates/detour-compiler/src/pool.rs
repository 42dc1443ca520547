//! The string pool: every string of the blob, each distinct byte string stored once.

use hashbrown::HashTable;

use detour_format::Str;
use xxhash_rust::xxh3::xxh3_64;

use crate::CompileError;

#[derive(Default)]
pub struct Pool {
    bytes: Vec<u8>,
    /// Every distinct string once, found by the xxh3 of its bytes and compared byte for byte:
    /// 8 bytes a string, where a map to a list of candidates cost ten times that.
    seen: HashTable<Str>,
}

fn bytes_of(bytes: &[u8], s: Str) -> &[u8] {
    &bytes[s.start as usize..(s.start + s.len) as usize]
}

impl Pool {
    /// A pool sized for about `bytes` bytes of `strings` distinct strings, so neither table
    /// grows by doubling (and holds twice its size for a moment) on a large site.
    pub fn with_capacity(bytes: usize, strings: usize) -> Pool {
        Pool { bytes: Vec::with_capacity(bytes), seen: HashTable::with_capacity(strings) }
    }

    pub fn get(&self, s: Str) -> &[u8] {
        bytes_of(&self.bytes, s)
    }

    fn find(&self, hash: u64, s: &[u8]) -> Option<Str> {
        self.seen.find(hash, |&c| self.get(c) == s).copied()
    }

    fn remember(&mut self, hash: u64, str: Str) {
        let bytes = &self.bytes;
        self.seen.insert_unique(hash, str, |&c| xxh3_64(bytes_of(bytes, c)));
    }

    /// Adds a string (or finds it) and returns where it is.
    pub fn add(&mut self, s: &[u8]) -> Result<Str, CompileError> {
        let hash = xxh3_64(s);
        if let Some(found) = self.find(hash, s) {
            return Ok(found);
        }
        let start = u32::try_from(self.bytes.len()).map_err(|_| CompileError::TooLarge("string pool"))?;
        let len = u32::try_from(s.len()).map_err(|_| CompileError::TooLarge("string"))?;
        start.checked_add(len).ok_or(CompileError::TooLarge("string pool"))?;
        self.bytes.extend_from_slice(s);
        let str = Str { start, len };
        self.remember(hash, str);
        Ok(str)
    }

    /// Adds a string, pointing into `container` (a string already in the pool) when it occurs
    /// there: an index key usually repeats part of its rule's `to`.
    pub fn add_within(&mut self, s: &[u8], container: Str) -> Result<Str, CompileError> {
        let hash = xxh3_64(s);
        if let Some(found) = self.find(hash, s) {
            return Ok(found);
        }
        let Some(at) = memchr::memmem::find(self.get(container), s).filter(|_| !s.is_empty()) else {
            return self.add(s);
        };
        let str = Str { start: container.start + at as u32, len: s.len() as u32 };
        self.remember(hash, str);
        Ok(str)
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}
