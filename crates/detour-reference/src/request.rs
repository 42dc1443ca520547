//! The request as the matcher sees it (SPEC §2).

/// One request. Everything is as it came on the wire; the matcher decodes what it compares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// `http` or `https` (lower-case).
    pub scheme: String,
    /// Host, lower-case, without port. Empty when unknown: only host-less rules can match.
    pub host: String,
    /// The raw, percent-encoded path, starting with `/`.
    pub path: Vec<u8>,
    /// The raw query string, without `?`.
    pub query: Vec<u8>,
    /// Country code from GeoIP (the `nf_country` cookie overrides it).
    pub country: Option<String>,
    /// The `Accept-Language` header (its first tag counts; the `nf_lang` cookie overrides it).
    pub language: Option<String>,
    /// Cookies, name and value.
    pub cookies: Vec<(String, String)>,
    /// Hint: a static file exists at this path, so unforced rules do not apply (SPEC §3.11).
    pub asset_exists: bool,
}

impl Request {
    /// A request for a URL: `https://host[:port]/path?query`, or a bare `/path?query` (host
    /// unknown, scheme `https`). A `#fragment` is never sent to a server and is dropped.
    pub fn from_url(url: &str) -> Request {
        let url = url.split('#').next().unwrap_or_default();
        let (scheme, rest) = match url.split_once("://") {
            Some((s, r)) if !s.is_empty() && !s.contains('/') => (s.to_ascii_lowercase(), r),
            _ => ("https".to_string(), url),
        };
        let (host, path_query) = if rest.starts_with('/') || url == rest {
            ("", rest)
        } else {
            let end = rest.find(['/', '?']).unwrap_or(rest.len());
            (&rest[..end], &rest[end..])
        };
        let (path, query) = match path_query.split_once('?') {
            Some((p, q)) => (p, q),
            None => (path_query, ""),
        };
        let path = if path.is_empty() { "/" } else { path };
        Request {
            scheme,
            host: normalize_host(host),
            path: path.as_bytes().to_vec(),
            query: query.as_bytes().to_vec(),
            ..Request::default()
        }
    }

    /// The value of the first cookie with this name.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Lower-cases a host and drops userinfo and port.
pub fn normalize_host(host: &str) -> String {
    let host = host.rsplit('@').next().unwrap_or_default();
    let host = if host.starts_with('[') {
        host.find(']').map_or(host, |end| &host[..=end])
    } else {
        match host.rfind(':') {
            Some(i) if host[i + 1..].bytes().all(|b| b.is_ascii_digit()) => &host[..i],
            _ => host,
        }
    };
    host.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_urls() {
        let r = Request::from_url("HTTPS://Example.COM:8443/a%20b/?x=1&y#frag");
        assert_eq!((r.scheme.as_str(), r.host.as_str()), ("https", "example.com"));
        assert_eq!((r.path.as_slice(), r.query.as_slice()), (&b"/a%20b/"[..], &b"x=1&y"[..]));
        let r = Request::from_url("/only/path?q");
        assert_eq!((r.host.as_str(), r.path.as_slice(), r.query.as_slice()), ("", &b"/only/path"[..], &b"q"[..]));
        let r = Request::from_url("http://h.example?a=1");
        assert_eq!((r.host.as_str(), r.path.as_slice()), ("h.example", &b"/"[..]));
    }
}
