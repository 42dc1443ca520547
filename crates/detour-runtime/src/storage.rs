//! The only `unsafe` code in detour: mapping a blob file, and reading an archive that was
//! already validated.

use std::fs::File;

use detour_format::ArchivedRuleSet;
use rkyv::util::AlignedVec;

/// Where a blob's bytes live. Both forms start 16-byte aligned, so the payload (at offset 64)
/// is aligned for rkyv.
pub(crate) enum Storage {
    /// A read-only memory map of the blob file.
    Mapped(memmap2::Mmap),
    /// A copy in memory.
    Owned(AlignedVec),
}

impl Storage {
    /// Maps a file read-only.
    pub(crate) fn map(file: &File) -> std::io::Result<Storage> {
        // SAFETY: the map is read-only and private to this process. The contract of `Blob::open`
        // (documented there) is that the file is not modified or truncated while mapped: blobs
        // are written once and replaced by rename, never edited in place. Every byte is then
        // checked (length, checksum, rkyv validation, index validation) before it is read
        // through any reference.
        let map = unsafe { memmap2::Mmap::map(file)? };
        Ok(Storage::Mapped(map))
    }

    /// Copies bytes into aligned memory.
    pub(crate) fn copy(bytes: &[u8]) -> Storage {
        let mut v = AlignedVec::with_capacity(bytes.len());
        v.extend_from_slice(bytes);
        Storage::Owned(v)
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Storage::Mapped(m) => m,
            Storage::Owned(v) => v,
        }
    }
}

/// The root of an archive that [`detour_format::access`] has validated.
pub(crate) fn validated_root(payload: &[u8]) -> &ArchivedRuleSet {
    // SAFETY: callers pass only a payload for which `detour_format::access` returned `Ok`
    // (`Blob::from_storage` is the only place a `Blob` is built, and it validates first). The
    // bytes are immutable for the blob's lifetime, so the validation still holds: every
    // relative pointer is in bounds and aligned and every value well-formed.
    unsafe { rkyv::access_unchecked::<ArchivedRuleSet>(payload) }
}
