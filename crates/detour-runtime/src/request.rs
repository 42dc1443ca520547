//! The request as the runtime sees it: borrowed from the server's own request, never copied.

/// The request's cookies, as the server has them.
#[derive(Debug, Clone, Copy, Default)]
pub enum Cookies<'a> {
    /// No cookies.
    #[default]
    None,
    /// A `Cookie` header: `a=1; b=2`.
    Header(&'a str),
    /// Name/value pairs.
    Pairs(&'a [(&'a str, &'a str)]),
}

impl<'a> Cookies<'a> {
    /// Calls `f` with each cookie until it returns true; returns whether it did.
    pub fn any(&self, mut f: impl FnMut(&'a str, &'a str) -> bool) -> bool {
        match *self {
            Cookies::None => false,
            Cookies::Pairs(pairs) => pairs.iter().any(|&(n, v)| f(n, v)),
            Cookies::Header(h) => h.split(';').any(|c| c.split_once('=').is_some_and(|(n, v)| f(n.trim(), v.trim()))),
        }
    }

    /// The value of the first cookie with this name.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        let mut found = None;
        self.any(|n, v| {
            if n == name {
                found = Some(v);
            }
            found.is_some()
        });
        found
    }
}

/// One request. Nothing is decoded or normalised in advance; the matcher does that in its
/// scratch space.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `http` or `https`.
    pub scheme: &'a str,
    /// The `Host`, as sent (compared case-insensitively, port ignored). Empty when unknown.
    pub host: &'a str,
    /// The raw path, percent-encoded, starting with `/`.
    pub path: &'a [u8],
    /// The raw query string, without `?`.
    pub query: &'a [u8],
    /// Country code from GeoIP (the `nf_country` cookie overrides it).
    pub country: Option<&'a str>,
    /// The `Accept-Language` header (the `nf_lang` cookie overrides it).
    pub accept_language: Option<&'a str>,
    /// The cookies.
    pub cookies: Cookies<'a>,
    /// Hint: a static file exists at this path, so unforced rules do not apply.
    pub asset_exists: bool,
}

impl<'a> Request<'a> {
    /// A request for a path (and optional query) on no particular host, over `https`.
    pub fn new(path: &'a str) -> Request<'a> {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        Request {
            scheme: "https",
            host: "",
            path: path.as_bytes(),
            query: query.as_bytes(),
            country: None,
            accept_language: None,
            cookies: Cookies::None,
            asset_exists: false,
        }
    }
}

/// The host without userinfo and port.
pub(crate) fn host_without_port(host: &str) -> &str {
    let b = host.as_bytes();
    let start = b.iter().rposition(|&c| c == b'@').map_or(0, |i| i + 1);
    let host = &host[start..];
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    let digits = host.bytes().rev().take_while(u8::is_ascii_digit).count();
    match host.len().checked_sub(digits + 1) {
        Some(colon) if host.as_bytes()[colon] == b':' => &host[..colon],
        _ => host,
    }
}
