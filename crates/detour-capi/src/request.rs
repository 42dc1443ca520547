//! The request as C passes it: spans into one text buffer, no pointers inside structs (so Go and
//! Ruby can pass their own memory without pinning), turned into a borrowed runtime request.

use detour_runtime::{Cookies, Request};

use crate::status::Error;

/// `len` bytes at `offset` of a buffer named by the call (the request text, or the caller's
/// output buffer).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DetourSpan {
    /// Byte offset into the buffer.
    pub offset: u32,
    /// Length in bytes.
    pub len: u32,
}

/// [`DetourRequest::flags`]: `country` is given (an empty country is then a value).
pub const DETOUR_REQUEST_COUNTRY: u32 = 1;
/// [`DetourRequest::flags`]: `language` is given.
pub const DETOUR_REQUEST_LANGUAGE: u32 = 2;
/// [`DetourRequest::flags`]: a static file exists at the path, so unforced rules do not apply.
pub const DETOUR_REQUEST_ASSET_EXISTS: u32 = 4;

/// One request. Every span points into the `text` buffer passed with it.
///
/// Either `url` is non-empty (`https://host/path?query`, or `/path?query`; split as
/// `detour match` does, the fragment dropped, nothing normalised) and `scheme`, `host`, `path`
/// and `query` are empty, or `url` is empty and those four are given (`scheme` empty means
/// `https`, `path` empty means `/`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct DetourRequest {
    /// The whole request URL, or empty.
    pub url: DetourSpan,
    /// `http` or `https` (any case).
    pub scheme: DetourSpan,
    /// The `Host` as sent (port and case ignored).
    pub host: DetourSpan,
    /// The raw, percent-encoded path.
    pub path: DetourSpan,
    /// The raw query, without `?`.
    pub query: DetourSpan,
    /// Country code (with `DETOUR_REQUEST_COUNTRY`).
    pub country: DetourSpan,
    /// The `Accept-Language` value (with `DETOUR_REQUEST_LANGUAGE`).
    pub language: DetourSpan,
    /// `DETOUR_REQUEST_*` bits.
    pub flags: u32,
}

/// One cookie: name and value, spans into the request text.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct DetourCookie {
    /// The cookie's name.
    pub name: DetourSpan,
    /// The cookie's value.
    pub value: DetourSpan,
}

/// Requests with up to this many cookies are matched without allocating.
pub(crate) const INLINE_COOKIES: usize = 32;

fn bytes<'t>(text: &'t [u8], span: DetourSpan, what: &str) -> Result<&'t [u8], Error> {
    let start = span.offset as usize;
    start
        .checked_add(span.len as usize)
        .and_then(|end| text.get(start..end))
        .ok_or_else(|| Error::invalid(format!("{what}: span {}+{} is outside the text", span.offset, span.len)))
}

pub(crate) fn span_text<'t>(text: &'t [u8], span: DetourSpan, what: &str) -> Result<&'t str, Error> {
    std::str::from_utf8(bytes(text, span, what)?).map_err(|_| Error::invalid(format!("{what} is not UTF-8")))
}

/// The parts of a URL, split as `detour match` splits a request line's `url` (its reference
/// model's `Request::from_url`), borrowing instead of copying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UrlParts<'u> {
    pub(crate) scheme: &'u [u8],
    pub(crate) host: &'u [u8],
    pub(crate) path: &'u [u8],
    pub(crate) query: &'u [u8],
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

pub(crate) fn split_url(url: &[u8]) -> UrlParts<'_> {
    let url = url.split(|&b| b == b'#').next().unwrap_or_default();
    let (scheme, rest): (&[u8], &[u8]) = match find(url, b"://") {
        Some(at) if at > 0 && !url[..at].contains(&b'/') => (&url[..at], &url[at + 3..]),
        _ => (b"https", url),
    };
    let (host, path_query) = if rest.starts_with(b"/") || rest.len() == url.len() {
        (&b""[..], rest)
    } else {
        let end = rest.iter().position(|&b| b == b'/' || b == b'?').unwrap_or(rest.len());
        rest.split_at(end)
    };
    let (path, query) = match path_query.iter().position(|&b| b == b'?') {
        Some(at) => (&path_query[..at], &path_query[at + 1..]),
        None => (path_query, &b""[..]),
    };
    UrlParts { scheme, host, path: if path.is_empty() { b"/" } else { path }, query }
}

fn utf8<'t>(bytes: &'t [u8], what: &str) -> Result<&'t str, Error> {
    std::str::from_utf8(bytes).map_err(|_| Error::invalid(format!("{what} is not UTF-8")))
}

/// The URL parts of a request: from `url`, or from the four separate spans.
fn url_parts<'t>(req: &DetourRequest, text: &'t [u8]) -> Result<UrlParts<'t>, Error> {
    if req.url.len > 0 {
        if [req.scheme, req.host, req.path, req.query].iter().any(|s| s.len > 0) {
            return Err(Error::invalid("give either url or scheme/host/path/query, not both"));
        }
        return Ok(split_url(bytes(text, req.url, "url")?));
    }
    let scheme = bytes(text, req.scheme, "scheme")?;
    let path = bytes(text, req.path, "path")?;
    Ok(UrlParts {
        scheme: if scheme.is_empty() { b"https" } else { scheme },
        host: bytes(text, req.host, "host")?,
        path: if path.is_empty() { b"/" } else { path },
        query: bytes(text, req.query, "query")?,
    })
}

/// Resolves the cookies into `pairs` (the caller's storage: inline or a Vec).
pub(crate) fn cookie_pairs<'t>(
    cookies: &[DetourCookie],
    text_bytes: &'t [u8],
    pairs: &mut [(&'t str, &'t str)],
) -> Result<(), Error> {
    for (c, pair) in cookies.iter().zip(pairs.iter_mut()) {
        *pair = (span_text(text_bytes, c.name, "cookie name")?, span_text(text_bytes, c.value, "cookie value")?);
    }
    Ok(())
}

/// The runtime request for a C request.
pub(crate) fn runtime_request<'t>(
    req: &DetourRequest,
    text_bytes: &'t [u8],
    cookies: &'t [(&'t str, &'t str)],
) -> Result<Request<'t>, Error> {
    let parts = url_parts(req, text_bytes)?;
    let optional = |flag: u32, span: DetourSpan, what: &str| -> Result<Option<&'t str>, Error> {
        if req.flags & flag == 0 {
            return Ok(None);
        }
        span_text(text_bytes, span, what).map(Some)
    };
    Ok(Request {
        scheme: utf8(parts.scheme, "scheme")?,
        host: utf8(parts.host, "host")?,
        path: parts.path,
        query: parts.query,
        country: optional(DETOUR_REQUEST_COUNTRY, req.country, "country")?,
        accept_language: optional(DETOUR_REQUEST_LANGUAGE, req.language, "language")?,
        cookies: if cookies.is_empty() { Cookies::None } else { Cookies::Pairs(cookies) },
        asset_exists: req.flags & DETOUR_REQUEST_ASSET_EXISTS != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(url: &str) -> (String, String, String, String) {
        let p = split_url(url.as_bytes());
        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (s(p.scheme), s(p.host), s(p.path), s(p.query))
    }

    #[test]
    fn urls_split_as_detour_match_splits_them() {
        let t = |a: &str, b: &str, c: &str, d: &str| (a.to_string(), b.to_string(), c.to_string(), d.to_string());
        assert_eq!(parts("https://Example.com:8443/a/b?x=1#frag"), t("https", "Example.com:8443", "/a/b", "x=1"));
        assert_eq!(parts("/a?b?c"), t("https", "", "/a", "b?c"));
        assert_eq!(parts("http://h.example?q"), t("http", "h.example", "/", "q"));
        assert_eq!(parts("//exact/x"), t("https", "", "//exact/x", ""));
        assert_eq!(parts("a/b://c"), t("https", "", "a/b://c", ""));
        assert_eq!(parts(""), t("https", "", "/", ""));
        assert_eq!(parts("://x/y"), t("https", "", "://x/y", ""));
    }

    #[test]
    fn the_split_agrees_with_the_reference_model() {
        let urls = [
            "https://www.example.com/blog/a?x=1",
            "HTTP://H.example:80/p",
            "/caf%C3%A9/%2e%2e?q=a b",
            "x://",
            "no scheme at all",
            "https://h/é?ü#f",
            "?only=query",
        ];
        for url in urls {
            let reference = detour_reference::Request::from_url(url);
            let (scheme, host, path, query) = parts(url);
            assert_eq!(scheme.to_ascii_lowercase(), reference.scheme, "{url}");
            assert_eq!(detour_reference::normalize_host(&host), reference.host, "{url}");
            assert_eq!((path.into_bytes(), query.into_bytes()), (reference.path, reference.query), "{url}");
        }
    }

    #[test]
    fn a_span_outside_the_text_is_an_error_not_a_panic() {
        let req = DetourRequest { url: DetourSpan { offset: u32::MAX, len: u32::MAX }, ..Default::default() };
        assert!(runtime_request(&req, b"/x", &[]).is_err());
        let req = DetourRequest { url: DetourSpan { offset: 1, len: 2 }, ..Default::default() };
        assert!(runtime_request(&req, b"/x", &[]).is_err());
    }

    #[test]
    fn url_and_parts_together_are_rejected() {
        let req = DetourRequest {
            url: DetourSpan { offset: 0, len: 2 },
            path: DetourSpan { offset: 0, len: 2 },
            ..Default::default()
        };
        assert!(runtime_request(&req, b"/x", &[]).is_err());
    }

    #[test]
    fn a_non_utf8_host_is_an_error_while_a_non_utf8_path_is_matched() {
        let text = b"https://\xff/p\xfe";
        let req = DetourRequest { url: DetourSpan { offset: 0, len: text.len() as u32 }, ..Default::default() };
        assert!(runtime_request(&req, text, &[]).is_err());
        let text = b"/p\xfe";
        let req = DetourRequest { url: DetourSpan { offset: 0, len: 3 }, ..Default::default() };
        assert_eq!(runtime_request(&req, text, &[]).unwrap().path, b"/p\xfe");
    }
}
