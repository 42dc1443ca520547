//! The string pool: every string of the blob, each distinct byte string stored once.

use std::collections::HashMap;

use detour_format::Str;

use crate::CompileError;

#[derive(Default)]
pub struct Pool {
    bytes: Vec<u8>,
    seen: HashMap<Vec<u8>, Str>,
}

impl Pool {
    /// Adds a string (or finds it) and returns where it is.
    pub fn add(&mut self, s: &[u8]) -> Result<Str, CompileError> {
        if let Some(&found) = self.seen.get(s) {
            return Ok(found);
        }
        let start = u32::try_from(self.bytes.len()).map_err(|_| CompileError::TooLarge("string pool"))?;
        let len = u32::try_from(s.len()).map_err(|_| CompileError::TooLarge("string"))?;
        self.bytes.extend_from_slice(s);
        let str = Str { start, len };
        self.seen.insert(s.to_vec(), str);
        Ok(str)
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}
