//! Loading a blob: header, version, length, checksum and validation, once.

use std::path::{Path, PathBuf};

use detour_format::{ArchivedRuleSet, Header, HeaderError, SiteHosts, FORMAT_VERSION, HEADER_LEN};

use crate::storage::{Storage, Validated};

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
    /// The site section (the hosts of a site blob) is not valid.
    #[error("invalid site section: {0}")]
    InvalidSite(String),
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
            HeaderError::SiteTooLarge(len) => {
                LoadError::InvalidSite(format!("{len} bytes; the limit is {}", detour_format::MAX_SITE_SECTION))
            }
        }
    }
}

/// A loaded, fully validated blob.
pub struct Blob {
    validated: Validated,
}

impl Blob {
    /// Reads a blob file into memory and validates it. Safe whatever happens to the file
    /// afterwards; [`Blob::map`] avoids the copy for servers that replace blobs by rename.
    pub fn open(path: impl AsRef<Path>) -> Result<Blob, LoadError> {
        let path = path.as_ref();
        let io = |source| LoadError::Io { path: path.to_path_buf(), source };
        let mut file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len > MAX_BLOB_BYTES {
            return Err(LoadError::TooLarge { size: len });
        }
        Blob::validate(Storage::read(&mut file, len).map_err(io)?)
    }

    /// Reads a blob file's header only (magic, version, format, length: the first 64 bytes),
    /// the cheap check a server can make before loading a new blob. Nothing else is validated.
    pub fn read_header(path: impl AsRef<Path>) -> Result<Header, LoadError> {
        use std::io::Read;
        let path = path.as_ref();
        let io = |source| LoadError::Io { path: path.to_path_buf(), source };
        let file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let mut header = Vec::with_capacity(HEADER_LEN);
        file.take(HEADER_LEN as u64).read_to_end(&mut header).map_err(io)?;
        Ok(Header::read_start(&header, len)?)
    }

    /// Reads a site blob's header and site section only (the primary host, then the aliases),
    /// checked against the header's checksum, without reading the payload: how a registry learns
    /// which hosts a directory of blobs answers for. A blob without a site section is an error.
    pub fn read_site(path: impl AsRef<Path>) -> Result<(Header, Vec<String>), LoadError> {
        use std::io::{Read, Seek, SeekFrom};
        let path = path.as_ref();
        let io = |source| LoadError::Io { path: path.to_path_buf(), source };
        let mut file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let mut start = Vec::with_capacity(HEADER_LEN);
        (&mut file).take(HEADER_LEN as u64).read_to_end(&mut start).map_err(io)?;
        let header = Header::read_start(&start, len)?;
        file.seek(SeekFrom::Start(header.site_offset())).map_err(io)?;
        let mut section = Vec::with_capacity(header.site_len as usize);
        file.take(u64::from(header.site_len)).read_to_end(&mut section).map_err(io)?;
        header.check_site(&section)?;
        let hosts = SiteHosts::parse(&section).map_err(|e| LoadError::InvalidSite(e.to_string()))?;
        Ok((header, hosts.all().map(str::to_string).collect()))
    }

    /// Validates a blob held in memory (copied once into aligned memory).
    pub fn from_bytes(bytes: &[u8]) -> Result<Blob, LoadError> {
        if bytes.len() as u64 > MAX_BLOB_BYTES {
            return Err(LoadError::TooLarge { size: bytes.len() as u64 });
        }
        Blob::validate(Storage::copy(bytes))
    }

    pub(crate) fn validate(storage: Storage) -> Result<Blob, LoadError> {
        Ok(Blob { validated: Validated::check(storage)? })
    }

    /// The header.
    pub fn header(&self) -> &Header {
        self.validated.header()
    }

    /// The whole blob's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.validated.storage().bytes()
    }

    /// True when the blob is memory-mapped from a file.
    pub fn is_mapped(&self) -> bool {
        matches!(self.validated.storage(), Storage::Mapped(_))
    }

    /// The hosts a site blob answers for (`None` for a blob compiled without a site section).
    pub fn site(&self) -> Option<SiteHosts<'_>> {
        let section = self.validated.site();
        // Validated in `Validated::check`; parsing again only finds the line breaks.
        (!section.is_empty()).then(|| SiteHosts::parse(section).ok()).flatten()
    }

    /// The validated rule set.
    pub fn rule_set(&self) -> &ArchivedRuleSet {
        self.validated.root()
    }
}
