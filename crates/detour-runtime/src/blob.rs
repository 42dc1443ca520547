//! Loading a blob: header, version, length, checksum and validation, once.

use std::path::{Path, PathBuf};

use detour_format::{ArchivedRuleSet, Header, HeaderError, FORMAT_VERSION, HEADER_LEN};

use crate::storage::{validated_root, Storage};

/// The largest blob accepted (1 GiB): far above any site (a million rules compile to about
/// 100 MB), far below where 32-bit archive offsets end.
pub const MAX_BLOB_BYTES: u64 = 1 << 30;

/// Why a blob could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be opened or mapped.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Not a detour blob.
    #[error("wrong magic bytes: not a detour blob")]
    WrongMagic,
    /// Larger than [`MAX_BLOB_BYTES`].
    #[error("blob is {size} bytes; the limit is {MAX_BLOB_BYTES} bytes")]
    TooLarge {
        /// The blob's size.
        size: u64,
    },
    /// A blob from another format version.
    #[error("unsupported format version {found} (this build reads version {supported}); recompile the rules")]
    UnsupportedVersion {
        /// The blob's version.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// A blob written with other archive settings (endianness, alignment, pointer width).
    #[error("unsupported archive format flags {0:#x}")]
    UnsupportedFormat(u32),
    /// Fewer (or more) bytes than the header promises.
    #[error("truncated blob: expected {expected} bytes, found {found}")]
    Truncated {
        /// Bytes the header promises.
        expected: u64,
        /// Bytes found.
        found: u64,
    },
    /// The payload's checksum does not match.
    #[error("checksum mismatch: the blob is corrupt (expected {expected:#018x}, found {found:#018x})")]
    ChecksumMismatch {
        /// Checksum in the header.
        expected: u64,
        /// Checksum of the payload.
        found: u64,
    },
    /// The payload is not a valid archive of a rule set.
    #[error("invalid archive: {0}")]
    InvalidArchive(String),
}

impl From<HeaderError> for LoadError {
    fn from(e: HeaderError) -> LoadError {
        match e {
            HeaderError::Truncated(found) => LoadError::Truncated { expected: HEADER_LEN as u64, found: found as u64 },
            HeaderError::WrongMagic => LoadError::WrongMagic,
            HeaderError::UnsupportedVersion { found } => {
                LoadError::UnsupportedVersion { found, supported: FORMAT_VERSION }
            }
            HeaderError::UnsupportedFormat(f) => LoadError::UnsupportedFormat(f),
            HeaderError::Length { expected, found } => LoadError::Truncated { expected, found },
            HeaderError::Checksum { expected, found } => LoadError::ChecksumMismatch { expected, found },
            HeaderError::Reserved => LoadError::InvalidArchive("reserved header bytes are not zero".to_string()),
        }
    }
}

/// A loaded, fully validated blob.
pub struct Blob {
    storage: Storage,
    header: Header,
}

impl Blob {
    /// Maps a blob file and validates it.
    ///
    /// The file must not be modified or truncated while the blob is alive: write new blobs to a
    /// new file and rename it into place (the old mapping stays valid). Use
    /// [`Blob::from_bytes`] for a copy that does not depend on the file.
    pub fn open(path: impl AsRef<Path>) -> Result<Blob, LoadError> {
        let path = path.as_ref();
        let io = |source| LoadError::Io { path: path.to_path_buf(), source };
        let file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len > MAX_BLOB_BYTES {
            return Err(LoadError::TooLarge { size: len });
        }
        if len < HEADER_LEN as u64 {
            // An empty file cannot be mapped; a short one is not a blob either way.
            let bytes = std::fs::read(path).map_err(io)?;
            return Blob::from_bytes(&bytes);
        }
        Blob::from_storage(Storage::map(&file).map_err(io)?)
    }

    /// Maps a blob file and reads its header only (magic, version, format, length): the cheap
    /// check a server can make before deciding to load a new blob. Nothing else is validated.
    pub fn read_header(path: impl AsRef<Path>) -> Result<Header, LoadError> {
        let path = path.as_ref();
        let io = |source| LoadError::Io { path: path.to_path_buf(), source };
        let file = std::fs::File::open(path).map_err(io)?;
        if file.metadata().map_err(io)?.len() < HEADER_LEN as u64 {
            return Ok(Header::read(&std::fs::read(path).map_err(io)?)?);
        }
        let storage = Storage::map(&file).map_err(io)?;
        Ok(Header::read(storage.bytes())?)
    }

    /// Validates a blob held in memory (copied once into aligned memory).
    pub fn from_bytes(bytes: &[u8]) -> Result<Blob, LoadError> {
        if bytes.len() as u64 > MAX_BLOB_BYTES {
            return Err(LoadError::TooLarge { size: bytes.len() as u64 });
        }
        Blob::from_storage(Storage::copy(bytes))
    }

    fn from_storage(storage: Storage) -> Result<Blob, LoadError> {
        let bytes = storage.bytes();
        let header = Header::read(bytes)?;
        let payload = &bytes[HEADER_LEN..];
        header.check_payload(payload)?;
        let set = detour_format::access(payload).map_err(LoadError::InvalidArchive)?;
        if set.rules.len() != header.rule_count as usize {
            return Err(LoadError::InvalidArchive(format!(
                "the header counts {} rules, the archive holds {}",
                header.rule_count,
                set.rules.len()
            )));
        }
        Ok(Blob { storage, header })
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The whole blob's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.storage.bytes()
    }

    /// True when the blob is memory-mapped from a file.
    pub fn is_mapped(&self) -> bool {
        matches!(self.storage, Storage::Mapped(_))
    }

    /// The validated rule set.
    pub fn rule_set(&self) -> &ArchivedRuleSet {
        validated_root(&self.storage.bytes()[HEADER_LEN..])
    }
}
