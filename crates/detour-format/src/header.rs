//! The fixed 64-byte header in front of every blob.
//!
//! ```text
//! offset size field
//!      0    8 magic            b"DETOUR\0\x1a"
//!      8    4 format_version   u32 LE, FORMAT_VERSION
//!     12    4 rkyv_format      u32 LE, RKYV_FORMAT (endianness, alignment, pointer width)
//!     16    8 payload_offset   u64 LE, HEADER_LEN
//!     24    8 payload_len      u64 LE
//!     32    8 checksum         u64 LE, xxh3-64 of the payload
//!     40    4 rule_count       u32 LE
//!     44    8 input_hash       u64 LE, the site's input hash (0: not recorded)
//!     52    4 site_len         u32 LE, bytes of the site section after the payload (0: none)
//!     56    8 site_checksum    u64 LE, xxh3-64 of the site section seeded by input_hash
//!                              (0, like input_hash, when there is no site section)
//! ```
//! The payload (the rkyv archive) starts at offset 64, so it is 16-byte aligned in an mmap. The
//! site section (`crate::site`: the hosts of a site served from a directory of blobs) follows
//! the payload, so a registry reads a site's hosts from the header and the file's last bytes
//! without reading the payload.

use xxhash_rust::xxh3::xxh3_64;

/// The first bytes of every blob.
pub const MAGIC: [u8; 8] = *b"DETOUR\0\x1a";
/// The blob format version. Any change to the schema or the header bumps it.
pub const FORMAT_VERSION: u32 = 7;
/// Length of the header; the payload follows it.
pub const HEADER_LEN: usize = 64;
/// The payload's required alignment.
pub const PAYLOAD_ALIGN: usize = 16;
/// The rkyv format the payload is written in: little-endian (bit 0), aligned (bit 1), 32-bit
/// relative pointers (bit 2). Pinned by the workspace's rkyv features.
pub const RKYV_FORMAT: u32 = 0b111;

/// Why a header was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Fewer bytes than a header.
    #[error("truncated: {0} bytes is shorter than the {HEADER_LEN}-byte header")]
    Truncated(usize),
    /// Not a detour blob.
    #[error("wrong magic bytes: not a detour blob")]
    WrongMagic,
    /// A blob of another format version.
    #[error("unsupported format version {found} (this build reads version {FORMAT_VERSION}); recompile the rules")]
    UnsupportedVersion {
        /// The version in the blob.
        found: u32,
    },
    /// A blob written with other rkyv format settings.
    #[error("unsupported archive format flags {0:#x} (expected {RKYV_FORMAT:#x})")]
    UnsupportedFormat(u32),
    /// The payload does not fit the bytes given.
    #[error("truncated: the header promises {expected} bytes, the blob has {found}")]
    Length {
        /// Header length plus payload length from the header.
        expected: u64,
        /// Actual length.
        found: u64,
    },
    /// Reserved header bytes that are not zero.
    #[error("reserved header bytes are not zero: the header is corrupt")]
    Reserved,
    /// A site section longer than [`crate::MAX_SITE_SECTION`].
    #[error("the site section is {0} bytes; the limit is {max} bytes", max = crate::MAX_SITE_SECTION)]
    SiteTooLarge(u32),
    /// The payload's bytes changed since it was written.
    #[error("checksum mismatch: the payload is corrupt (expected {expected:#018x}, found {found:#018x})")]
    Checksum {
        /// Checksum in the header.
        expected: u64,
        /// Checksum of the bytes.
        found: u64,
    },
}

/// A decoded header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Format version.
    pub format_version: u32,
    /// rkyv format flags.
    pub rkyv_format: u32,
    /// Payload length in bytes.
    pub payload_len: u64,
    /// xxh3-64 of the payload.
    pub checksum: u64,
    /// Number of rules.
    pub rule_count: u32,
    /// The hash of the site's input files when the blob was compiled from a site folder (0 when
    /// not recorded): a bulk compile skips a site whose hash is unchanged.
    pub input_hash: u64,
    /// Bytes of the site section after the payload (0: none).
    pub site_len: u32,
    /// xxh3-64 of the site section, seeded by `input_hash` (0 when there is none).
    pub site_checksum: u64,
}

/// The site section's checksum: seeded by the input hash, so a change to either is caught.
pub(crate) fn site_checksum(section: &[u8], input_hash: u64) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(section, input_hash)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

impl Header {
    /// Builds the header for a payload.
    pub fn for_payload(payload: &[u8], rule_count: u32) -> Header {
        Header {
            format_version: FORMAT_VERSION,
            rkyv_format: RKYV_FORMAT,
            payload_len: payload.len() as u64,
            checksum: xxh3_64(payload),
            rule_count,
            input_hash: 0,
            site_len: 0,
            site_checksum: 0,
        }
    }

    /// Where the site section starts: right after the payload.
    pub fn site_offset(&self) -> u64 {
        HEADER_LEN as u64 + self.payload_len
    }

    /// The 64 header bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..8].copy_from_slice(&MAGIC);
        b[8..12].copy_from_slice(&self.format_version.to_le_bytes());
        b[12..16].copy_from_slice(&self.rkyv_format.to_le_bytes());
        b[16..24].copy_from_slice(&(HEADER_LEN as u64).to_le_bytes());
        b[24..32].copy_from_slice(&self.payload_len.to_le_bytes());
        b[32..40].copy_from_slice(&self.checksum.to_le_bytes());
        b[40..44].copy_from_slice(&self.rule_count.to_le_bytes());
        b[44..52].copy_from_slice(&self.input_hash.to_le_bytes());
        b[52..56].copy_from_slice(&self.site_len.to_le_bytes());
        b[56..64].copy_from_slice(&self.site_checksum.to_le_bytes());
        b
    }

    /// Reads and checks the header only: magic, version, format flags and length. Cheap; the
    /// checksum is checked by [`Header::check_payload`].
    pub fn read(blob: &[u8]) -> Result<Header, HeaderError> {
        Header::read_start(blob, blob.len() as u64)
    }

    /// Reads and checks the header from the start of a blob of `total_len` bytes (at least the
    /// first 64 bytes; more are ignored), so a file's header can be checked without reading it all.
    pub fn read_start(blob: &[u8], total_len: u64) -> Result<Header, HeaderError> {
        if blob.len() < HEADER_LEN {
            if blob.len() >= 8 && blob[..8] != MAGIC {
                return Err(HeaderError::WrongMagic);
            }
            return Err(HeaderError::Truncated(blob.len()));
        }
        if blob[..8] != MAGIC {
            return Err(HeaderError::WrongMagic);
        }
        let format_version = u32_at(blob, 8);
        if format_version != FORMAT_VERSION {
            return Err(HeaderError::UnsupportedVersion { found: format_version });
        }
        let rkyv_format = u32_at(blob, 12);
        if rkyv_format != RKYV_FORMAT {
            return Err(HeaderError::UnsupportedFormat(rkyv_format));
        }
        let offset = u64_at(blob, 16);
        let payload_len = u64_at(blob, 24);
        let site_len = u32_at(blob, 52);
        if site_len as usize > crate::MAX_SITE_SECTION {
            return Err(HeaderError::SiteTooLarge(site_len));
        }
        let expected = offset.saturating_add(payload_len).saturating_add(u64::from(site_len));
        if offset != HEADER_LEN as u64 || expected != total_len {
            return Err(HeaderError::Length { expected, found: total_len });
        }
        let site_checksum = u64_at(blob, 56);
        let input_hash = u64_at(blob, 44);
        if site_len == 0 && (site_checksum != 0 || input_hash != 0) {
            // Without a site section its fields are reserved.
            return Err(HeaderError::Reserved);
        }
        Ok(Header {
            format_version,
            rkyv_format,
            payload_len,
            checksum: u64_at(blob, 32),
            rule_count: u32_at(blob, 40),
            input_hash,
            site_len,
            site_checksum,
        })
    }

    /// Checks the site section's checksum (`section` is the blob's bytes after the payload).
    pub fn check_site(&self, section: &[u8]) -> Result<(), HeaderError> {
        if section.len() != self.site_len as usize {
            let expected = self.site_offset() + u64::from(self.site_len);
            return Err(HeaderError::Length { expected, found: self.site_offset() + section.len() as u64 });
        }
        let found = if section.is_empty() { 0 } else { site_checksum(section, self.input_hash) };
        if found != self.site_checksum {
            return Err(HeaderError::Checksum { expected: self.site_checksum, found });
        }
        Ok(())
    }

    /// Checks the payload's checksum.
    pub fn check_payload(&self, payload: &[u8]) -> Result<(), HeaderError> {
        let found = xxh3_64(payload);
        if found != self.checksum {
            return Err(HeaderError::Checksum { expected: self.checksum, found });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let payload = [7u8; 32];
        let mut blob = Header::for_payload(&payload, 3).to_bytes().to_vec();
        blob.extend_from_slice(&payload);
        let h = Header::read(&blob).unwrap();
        assert_eq!((h.rule_count, h.payload_len), (3, 32));
        h.check_payload(&blob[HEADER_LEN..]).unwrap();
        assert_eq!(Header::read(&blob[..10]), Err(HeaderError::Truncated(10)));
        assert!(matches!(Header::read(&blob[..70]), Err(HeaderError::Length { .. })));
        let mut next = blob.clone();
        next[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        assert_eq!(Header::read(&next), Err(HeaderError::UnsupportedVersion { found: FORMAT_VERSION + 1 }));
        let mut bad = blob.clone();
        bad[0] = b'X';
        assert_eq!(Header::read(&bad), Err(HeaderError::WrongMagic));
        let mut corrupt = blob;
        corrupt[HEADER_LEN] ^= 1;
        assert!(matches!(h.check_payload(&corrupt[HEADER_LEN..]), Err(HeaderError::Checksum { .. })));
    }
}
