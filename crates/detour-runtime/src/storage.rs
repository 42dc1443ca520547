//! The only `unsafe` code of the runtime: mapping a blob file, and reading an archive that was
//! validated. A [`Validated`] can only be made by [`Validated::check`], so the unchecked access
//! is reachable only for bytes that passed every check.

use std::fs::File;

use detour_format::{ArchivedRuleSet, Header, HEADER_LEN};
use rkyv::util::AlignedVec;

use crate::blob::{LoadError, MAX_BLOB_BYTES};
use crate::Blob;

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
    ///
    /// # Safety
    ///
    /// The file must not be modified or truncated while the map (and so the blob) is alive.
    pub(crate) unsafe fn map(file: &File) -> std::io::Result<Storage> {
        // SAFETY: `Mmap::map` makes a read-only `MAP_SHARED` mapping: another process writing or
        // truncating the file would change (or unmap) these bytes under us, which is why the
        // caller promises it does not happen (blobs are replaced by rename, never edited in
        // place). Given that, the bytes are immutable for the map's lifetime, as `&[u8]` needs.
        let map = unsafe { memmap2::Mmap::map(file)? };
        Ok(Storage::Mapped(map))
    }

    /// Reads a file into aligned memory.
    pub(crate) fn read(file: &mut File, len: u64) -> std::io::Result<Storage> {
        use std::io::Read;
        let mut v = AlignedVec::with_capacity(usize::try_from(len).unwrap_or(0));
        let mut chunk = [0u8; 64 * 1024];
        loop {
            let n = file.read(&mut chunk)?;
            if n == 0 {
                break;
            }
            v.extend_from_slice(&chunk[..n]);
        }
        Ok(Storage::Owned(v))
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

impl Blob {
    /// Memory-maps a blob file and validates it, without copying it.
    ///
    /// # Safety
    ///
    /// The file must not be modified or truncated while the returned blob (or any clone of the
    /// `Arc` it is shared through) is alive: the map is `MAP_SHARED`, so a write to the file would
    /// change bytes that were validated and are being read, and a truncation would unmap them
    /// (a `SIGBUS` on the next read). Deploy a new blob by writing a new file and renaming it
    /// over the old one: the old mapping keeps the old inode.
    pub unsafe fn map(path: impl AsRef<std::path::Path>) -> Result<Blob, LoadError> {
        let path = path.as_ref();
        let io = |source| LoadError::Io { path: path.to_path_buf(), source };
        let file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len > MAX_BLOB_BYTES {
            return Err(LoadError::TooLarge { size: len });
        }
        if len < HEADER_LEN as u64 {
            // An empty file cannot be mapped; a short one is not a blob either way.
            return Blob::from_bytes(&std::fs::read(path).map_err(io)?);
        }
        // SAFETY: the caller promises the file is not changed while the blob lives (see above).
        let storage = unsafe { Storage::map(&file) }.map_err(io)?;
        Blob::validate(storage)
    }
}

/// Blob bytes that passed every check: header, length, checksum, rkyv's validation, the index
/// validation, the rule count. Only [`Validated::check`] makes one.
pub(crate) struct Validated {
    storage: Storage,
    header: Header,
}

impl Validated {
    /// Checks everything once; the bytes are immutable from here on.
    pub(crate) fn check(storage: Storage) -> Result<Validated, LoadError> {
        let bytes = storage.bytes();
        let header = Header::read(bytes)?;
        let (payload, site) = split_payload(bytes, &header);
        header.check_payload(payload)?;
        header.check_site(site)?;
        if !site.is_empty() {
            detour_format::SiteHosts::parse(site).map_err(|e| LoadError::InvalidSite(e.to_string()))?;
        }
        let set = detour_format::access(payload).map_err(LoadError::InvalidArchive)?;
        if set.rules.len() != header.rule_count as usize {
            return Err(LoadError::InvalidArchive(format!(
                "the header counts {} rules, the archive holds {}",
                header.rule_count,
                set.rules.len()
            )));
        }
        Ok(Validated { storage, header })
    }

    pub(crate) fn header(&self) -> &Header {
        &self.header
    }

    pub(crate) fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The validated site section (empty when the blob has none).
    pub(crate) fn site(&self) -> &[u8] {
        split_payload(self.storage.bytes(), &self.header).1
    }

    /// The root of the validated archive.
    pub(crate) fn root(&self) -> &ArchivedRuleSet {
        let payload = split_payload(self.storage.bytes(), &self.header).0;
        // SAFETY: a `Validated` exists only after `detour_format::access` returned `Ok` for
        // exactly this payload (in `check`), and the storage is immutable for its lifetime (owned
        // memory, or a map whose file the caller of `Blob::map` promised not to change), so the
        // validation still holds: every relative pointer is in bounds and aligned, every value
        // well-formed.
        unsafe { rkyv::access_unchecked::<ArchivedRuleSet>(payload) }
    }
}

/// The payload and the site section after it, as the header places them (the header has
/// checked that they add up to the blob's length).
fn split_payload<'b>(bytes: &'b [u8], header: &Header) -> (&'b [u8], &'b [u8]) {
    let rest = bytes.get(HEADER_LEN..).unwrap_or_default();
    rest.split_at(usize::try_from(header.payload_len).unwrap_or(usize::MAX).min(rest.len()))
}

#[cfg(test)]
mod tests {
    use crate::{Blob, LoadError};

    fn blob_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("detour-storage-{name}-{}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn empty_rule_set() -> Vec<u8> {
        detour_format::write_blob(&detour_format::RuleSet { host_slots: vec![0], ..Default::default() }).unwrap()
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri cannot call mmap; the read path below runs under Miri")]
    fn a_mapped_blob_is_validated_and_outlives_its_name() {
        let path = blob_file("mapped", &empty_rule_set());
        // SAFETY: this test owns the file and does not write to it while the blob lives; it
        // only removes the name, which leaves the mapped inode in place.
        let blob = unsafe { Blob::map(&path) }.unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(blob.is_mapped());
        assert_eq!(blob.rule_set().rules.len(), 0);
    }

    #[test]
    fn validation_comes_before_any_access() {
        let mut bytes = empty_rule_set();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        assert!(matches!(Blob::from_bytes(&bytes), Err(LoadError::ChecksumMismatch { .. })));
        let good = Blob::from_bytes(&empty_rule_set()).unwrap();
        assert!(!good.is_mapped());
        assert_eq!(good.rule_set().hostless.len, 0);
    }

    #[test]
    fn a_site_section_is_validated_with_the_blob() {
        let hosts = ["a.example".to_string(), "www.a.example".to_string()];
        let site = detour_format::with_site(empty_rule_set(), &hosts, 7).unwrap();
        let blob = Blob::from_bytes(&site).unwrap();
        assert_eq!(blob.header().input_hash, 7);
        assert_eq!(blob.site().unwrap().all().collect::<Vec<_>>(), ["a.example", "www.a.example"]);
        assert_eq!(blob.rule_set().rules.len(), 0);
        assert!(Blob::from_bytes(&empty_rule_set()).unwrap().site().is_none());
        let mut corrupt = site.clone();
        *corrupt.last_mut().unwrap() ^= 1;
        assert!(matches!(Blob::from_bytes(&corrupt), Err(LoadError::ChecksumMismatch { .. })));
        // A section whose checksum is right but whose hosts are not normalized.
        let mut upper = site.clone();
        let at = upper.len() - 1;
        upper[at] = b'E';
        let mut header = detour_format::Header::read(&upper).unwrap();
        header.site_checksum =
            xxhash_rust::xxh3::xxh3_64_with_seed(&upper[header.site_offset() as usize..], header.input_hash);
        upper[..64].copy_from_slice(&header.to_bytes());
        assert!(matches!(Blob::from_bytes(&upper), Err(LoadError::InvalidSite(_))));
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri has no file system by default")]
    fn read_site_reads_the_hosts_without_the_payload() {
        let hosts = ["a.example".to_string()];
        let path = blob_file("site", &detour_format::with_site(empty_rule_set(), &hosts, 9).unwrap());
        let (header, read) = Blob::read_site(&path).unwrap();
        assert_eq!((header.input_hash, read), (9, hosts.to_vec()));
        std::fs::write(&path, empty_rule_set()).unwrap();
        assert!(matches!(Blob::read_site(&path), Err(LoadError::InvalidSite(_))));
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri has no file system by default")]
    fn open_reads_and_read_header_reads_64_bytes() {
        let path = blob_file("read", &empty_rule_set());
        let blob = Blob::open(&path).unwrap();
        assert!(!blob.is_mapped());
        let header = Blob::read_header(&path).unwrap();
        assert_eq!(header.rule_count, 0);
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(Blob::read_header(&path), Err(LoadError::Io { .. })));
    }
}
