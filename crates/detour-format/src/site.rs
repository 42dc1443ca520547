//! The site section: which hosts a blob answers for when it is one site of many in a directory
//! (`detour compile --sites`, served by `detour-sites`). It follows the payload: the primary
//! host, then its aliases, each a normalized host ([`normalize_host`]), joined by `\n`. The
//! header records its length and checksum, and the site's input hash.
//!
//! Host normalization is defined here, once, for the compiler (folder names and `aliases`
//! files) and the registry (request `Host` headers): ASCII case folded to lower case, a port
//! and one trailing dot removed. A host with any other byte than ASCII letters, digits, `-`,
//! `_` and `.` (or an IPv6 literal in brackets) is not a host: HTTP carries internationalized
//! names as A-labels (`xn--…`), so a raw UTF-8 `Host` names no site.

use crate::{Header, HeaderError, HEADER_LEN};

/// The longest host name (DNS: 253 bytes written without the trailing dot).
pub const MAX_HOST_BYTES: usize = 253;
/// The most hosts (the primary and its aliases) one site may answer for.
pub const MAX_SITE_HOSTS: usize = 256;
/// The longest site section: every host at its longest, and the separators.
pub const MAX_SITE_SECTION: usize = MAX_SITE_HOSTS * (MAX_HOST_BYTES + 1);

/// Why a site section (or a host written into one) was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiteError {
    /// A host that is not a valid, normalized host name.
    #[error(
        "`{0}` is not a host name (ASCII letters, digits, `-`, `_`, `.`; internationalized names as xn-- A-labels)"
    )]
    InvalidHost(String),
    /// A host listed twice.
    #[error("host `{0}` is listed twice")]
    DuplicateHost(String),
    /// More hosts than [`MAX_SITE_HOSTS`].
    #[error("{0} hosts; a site answers for at most {MAX_SITE_HOSTS}")]
    TooManyHosts(usize),
    /// A section without a primary host.
    #[error("the site section names no host")]
    Empty,
    /// The header does not match the section.
    #[error("site section: {0}")]
    Header(#[from] HeaderError),
}

/// The longest a `Host` header may be with a port (`:65535`).
const MAX_RAW_HOST: usize = MAX_HOST_BYTES + 1 + 6;

/// The normal form of a request's `Host` (or a configured host name), written into `buffer`:
/// lower case, without port and trailing dot. `None` when it is no host name (empty, too long,
/// a byte outside the host alphabet, an empty label, a port that is not digits). Allocates
/// nothing.
pub fn normalize_host<'b>(raw: &'b str, buffer: &'b mut [u8; MAX_HOST_BYTES]) -> Option<&'b str> {
    std::str::from_utf8(normalize_host_bytes(raw.as_bytes(), buffer)?).ok()
}

/// What a host name byte normalizes to (ASCII lower case), or 0 for a byte no name may hold.
const NAME_BYTES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = if b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.') {
            b
        } else if b.is_ascii_uppercase() {
            b.to_ascii_lowercase()
        } else {
            0
        };
        i += 1;
    }
    table
};

/// [`normalize_host`] on bytes, for the registry's per-request lookup: the result is ASCII, so
/// it needs no UTF-8 check.
/// A host that is normalized already (the usual case: clients send lower-case names without a
/// port) is returned as it is, checked in one pass and never copied.
#[inline]
pub fn normalize_host_bytes<'b>(raw: &'b [u8], buffer: &'b mut [u8; MAX_HOST_BYTES]) -> Option<&'b [u8]> {
    if is_normal_name(raw) {
        return Some(raw);
    }
    normalize_host_slow(raw, buffer)
}

/// Whether `raw` is a normalized name already: lower-case name bytes only, no empty label, no
/// trailing dot, no port. One pass without early exits, so short names check in a few cycles.
#[inline]
fn is_normal_name(raw: &[u8]) -> bool {
    let mut changed = false;
    let mut after_dot = true;
    for &b in raw {
        let dot = b == b'.';
        // A byte no name may hold maps to 0, which a NUL byte would equal.
        let name_byte = NAME_BYTES[usize::from(b)];
        changed |= name_byte != b || name_byte == 0 || (dot && after_dot);
        after_dot = dot;
    }
    !changed && !after_dot && raw.len() <= MAX_HOST_BYTES
}

fn normalize_host_slow<'b>(raw: &[u8], buffer: &'b mut [u8; MAX_HOST_BYTES]) -> Option<&'b [u8]> {
    if raw.len() > MAX_RAW_HOST {
        return None;
    }
    let host = strip_port(raw)?;
    let host = host.strip_suffix(b".").unwrap_or(host);
    let out = buffer.get_mut(..host.len())?;
    if host.first() == Some(&b'[') {
        return normalize_ip_literal(host, out);
    }
    // One pass: lower-case through the table, and check that no label is empty.
    let mut label_start = true;
    for (o, &b) in out.iter_mut().zip(host) {
        let c = NAME_BYTES[usize::from(b)];
        if c == 0 || (c == b'.' && label_start) {
            return None;
        }
        label_start = c == b'.';
        *o = c;
    }
    (!out.is_empty() && !label_start).then_some(&*out)
}

/// A bracketed IPv6 literal, lower-cased.
fn normalize_ip_literal<'b>(host: &[u8], out: &'b mut [u8]) -> Option<&'b [u8]> {
    for (o, &b) in out.iter_mut().zip(host) {
        *o = b.to_ascii_lowercase();
        if !(o.is_ascii_hexdigit() || matches!(*o, b':' | b'.' | b'[' | b']')) {
            return None;
        }
    }
    Some(out)
}

/// The host without its `:port` (digits only), keeping an IPv6 literal's brackets.
fn strip_port(raw: &[u8]) -> Option<&[u8]> {
    let (host, port) = if raw.first() == Some(&b'[') {
        let close = raw.iter().position(|&b| b == b']')?;
        let (host, rest) = raw.split_at(close + 1);
        (host, rest)
    } else {
        match raw.iter().position(|&b| b == b':') {
            Some(colon) => raw.split_at(colon),
            None => (raw, &[][..]),
        }
    };
    match port.split_first() {
        None => Some(host),
        Some((b':', digits)) if digits.len() <= 5 && digits.iter().all(u8::is_ascii_digit) => Some(host),
        Some(_) => None,
    }
}

/// True when `host` is already a normalized host without port.
fn is_normal(host: &str) -> bool {
    let mut buffer = [0u8; MAX_HOST_BYTES];
    normalize_host(host, &mut buffer) == Some(host)
}

/// A validated site section: the primary host, then the aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteHosts<'a> {
    text: &'a str,
}

impl<'a> SiteHosts<'a> {
    /// Checks a site section: at least one host, each normalized, none twice, at most
    /// [`MAX_SITE_HOSTS`].
    pub fn parse(section: &'a [u8]) -> Result<SiteHosts<'a>, SiteError> {
        let text = std::str::from_utf8(section).map_err(|_| SiteError::InvalidHost(lossy(section)))?;
        if text.is_empty() {
            return Err(SiteError::Empty);
        }
        let count = text.split('\n').count();
        if count > MAX_SITE_HOSTS {
            return Err(SiteError::TooManyHosts(count));
        }
        for (i, host) in text.split('\n').enumerate() {
            if !is_normal(host) {
                return Err(SiteError::InvalidHost(host.to_string()));
            }
            if text.split('\n').take(i).any(|earlier| earlier == host) {
                return Err(SiteError::DuplicateHost(host.to_string()));
            }
        }
        Ok(SiteHosts { text })
    }

    /// The site's primary host (its blob's file name).
    pub fn primary(&self) -> &'a str {
        self.text.split('\n').next().unwrap_or_default()
    }

    /// The other hosts the site answers for.
    pub fn aliases(&self) -> impl Iterator<Item = &'a str> {
        self.text.split('\n').skip(1)
    }

    /// The primary host, then the aliases.
    pub fn all(&self) -> impl Iterator<Item = &'a str> {
        self.text.split('\n')
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Normalizes a host given at compile time (a site folder's name, a line of its `aliases`).
pub fn normal_host(host: &str) -> Result<String, SiteError> {
    let mut buffer = [0u8; MAX_HOST_BYTES];
    normalize_host(host.trim(), &mut buffer).map(str::to_string).ok_or_else(|| SiteError::InvalidHost(host.to_string()))
}

/// Appends a site section to a blob that has none, and records it and `input_hash` in the
/// header. `hosts` are the primary host, then the aliases, each normalized ([`normal_host`]).
pub fn with_site(mut blob: Vec<u8>, hosts: &[String], input_hash: u64) -> Result<Vec<u8>, SiteError> {
    let mut header = Header::read(&blob)?;
    if header.site_len != 0 {
        return Err(SiteError::Header(HeaderError::Reserved));
    }
    let section = hosts.join("\n");
    SiteHosts::parse(section.as_bytes())?;
    header.input_hash = input_hash;
    header.site_len = u32::try_from(section.len()).map_err(|_| SiteError::TooManyHosts(hosts.len()))?;
    header.site_checksum = crate::header::site_checksum(section.as_bytes(), input_hash);
    blob[..HEADER_LEN].copy_from_slice(&header.to_bytes());
    blob.extend_from_slice(section.as_bytes());
    Ok(blob)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(raw: &str) -> Option<String> {
        let mut buffer = [0u8; MAX_HOST_BYTES];
        normalize_host(raw, &mut buffer).map(str::to_string)
    }

    #[test]
    fn hosts_are_lower_case_without_port_and_trailing_dot() {
        assert_eq!(norm("Example.COM:8080").as_deref(), Some("example.com"));
        assert_eq!(norm("example.com.").as_deref(), Some("example.com"));
        assert_eq!(norm("example.com.:443").as_deref(), Some("example.com"));
        assert_eq!(norm("[::1]:8080").as_deref(), Some("[::1]"));
        assert_eq!(norm("xn--bcher-kva.example").as_deref(), Some("xn--bcher-kva.example"));
        assert_eq!(norm("my_host.local").as_deref(), Some("my_host.local"));
    }

    #[test]
    fn non_hosts_are_none() {
        for raw in [
            "",
            ".",
            "a..b",
            ".a",
            "bücher.example",
            "a b",
            "a/b",
            "a:b",
            "a:1:2",
            "a:123456",
            "[::1",
            "[::1]x",
            "[zz]",
            &"a".repeat(254),
        ] {
            assert_eq!(norm(raw), None, "{raw:?}");
        }
        assert_eq!(norm(&"a".repeat(253)).map(|h| h.len()), Some(253));
    }

    #[test]
    fn a_site_section_round_trips_and_rejects_bad_hosts() {
        let hosts = ["example.com".to_string(), "www.example.com".to_string()];
        let section = hosts.join("\n");
        let site = SiteHosts::parse(section.as_bytes()).unwrap();
        assert_eq!(site.primary(), "example.com");
        assert_eq!(site.aliases().collect::<Vec<_>>(), ["www.example.com"]);
        assert!(matches!(SiteHosts::parse(b"a.com\na.com"), Err(SiteError::DuplicateHost(_))));
        assert!(matches!(SiteHosts::parse(b"A.com"), Err(SiteError::InvalidHost(_))));
        assert!(matches!(SiteHosts::parse(b"a.com:80"), Err(SiteError::InvalidHost(_))));
        assert!(matches!(SiteHosts::parse(b"a.com\n"), Err(SiteError::InvalidHost(_))));
        assert!(matches!(SiteHosts::parse(b""), Err(SiteError::Empty)));
        assert!(matches!(SiteHosts::parse(b"\xff"), Err(SiteError::InvalidHost(_))));
        let many = (0..=MAX_SITE_HOSTS).map(|i| format!("h{i}.com")).collect::<Vec<_>>().join("\n");
        assert!(matches!(SiteHosts::parse(many.as_bytes()), Err(SiteError::TooManyHosts(_))));
    }

    #[test]
    fn with_site_records_the_section_and_the_hash_in_the_header() {
        let blob = crate::write_blob(&crate::RuleSet { host_slots: vec![0], ..Default::default() }).unwrap();
        let plain = Header::read(&blob).unwrap();
        assert_eq!((plain.input_hash, plain.site_len, plain.site_checksum), (0, 0, 0));
        let site = with_site(blob, &["a.example".to_string(), "b.example".to_string()], 42).unwrap();
        let header = Header::read(&site).unwrap();
        assert_eq!((header.input_hash, header.site_len), (42, 19));
        let section = &site[header.site_offset() as usize..];
        header.check_site(section).unwrap();
        assert_eq!(SiteHosts::parse(section).unwrap().primary(), "a.example");
        let mut corrupt = site.clone();
        *corrupt.last_mut().unwrap() ^= 1;
        assert!(matches!(
            header.check_site(&corrupt[header.site_offset() as usize..]),
            Err(HeaderError::Checksum { .. })
        ));
        let mut rehashed = site.clone();
        rehashed[44] ^= 1;
        let flipped = Header::read(&rehashed).unwrap();
        assert!(matches!(flipped.check_site(section), Err(HeaderError::Checksum { .. })), "the input hash is covered");
        assert!(matches!(with_site(site, &["c.example".to_string()], 1), Err(SiteError::Header(_))));
    }
}
