//! The JSONL request interface of `detour match --requests` (SPEC §5).

/// One request as the CLI reads it (a JSONL line or a URL and options), owned; the engines
/// borrow it in their own request types (`engine.rs`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// `http` or `https` (lower-case).
    pub scheme: String,
    /// Host, lower-case, without userinfo and port. Empty when unknown.
    pub host: String,
    /// The raw, percent-encoded path, starting with `/`.
    pub path: Vec<u8>,
    /// The raw query string, without `?`.
    pub query: Vec<u8>,
    /// Country code from GeoIP.
    pub country: Option<String>,
    /// The `Accept-Language` header.
    pub language: Option<String>,
    /// Cookies, name and value.
    pub cookies: Vec<(String, String)>,
    /// A static file exists at this path (SPEC §3.11).
    pub asset_exists: bool,
}

impl Request {
    /// A request for a URL, normalised first ([`normalize_url`]): `https://host[:port]/path?query`
    /// or a bare `/path?query` (no host, scheme `https`). The fragment is dropped.
    pub fn from_url(url: &str) -> Request {
        let url = normalize_url(url);
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
        let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
        Request {
            scheme,
            host: host_of(host),
            path: if path.is_empty() { b"/".to_vec() } else { path.as_bytes().to_vec() },
            query: query.as_bytes().to_vec(),
            ..Request::default()
        }
    }
}

/// The request options of `match` and `explain`: what a URL alone does not say.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct RequestArgs {
    /// The request's country code.
    #[arg(long)]
    pub country: Option<String>,
    /// The request's `Accept-Language`.
    #[arg(long)]
    pub language: Option<String>,
    /// A cookie `NAME=VALUE`; repeatable.
    #[arg(long = "cookie", value_name = "NAME=VALUE")]
    pub cookies: Vec<String>,
    /// A static file exists at the path: unforced rules do not apply.
    #[arg(long)]
    pub asset_exists: bool,
    /// The site's JWT secret, for Role conditions; or set DETOUR_JWT_SECRET, which keeps it out of
    /// the process list and the shell history.
    #[arg(long, env = "DETOUR_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Dotted path of the roles claim in the JWT (default `app_metadata.roles`).
    #[arg(long)]
    pub jwt_role_claim: Option<String>,
}

impl RequestArgs {
    /// The role-check settings.
    pub fn roles(&self) -> crate::engine::RoleSettings {
        crate::engine::RoleSettings { secret: self.jwt_secret.clone(), claim: self.jwt_role_claim.clone() }
    }

    /// The request for `url` with these options.
    pub fn request(&self, url: &str) -> Result<Request, crate::Failure> {
        let mut req = Request::from_url(url);
        req.country = self.country.clone();
        req.language = self.language.clone();
        req.asset_exists = self.asset_exists;
        for c in &self.cookies {
            let (k, v) =
                c.split_once('=').ok_or_else(|| crate::Failure::Usage(format!("--cookie `{c}`: write NAME=VALUE")))?;
            req.cookies.push((k.to_string(), v.to_string()));
        }
        Ok(req)
    }
}

/// A URL's authority as the matcher compares it: userinfo and port dropped, lower-case.
fn host_of(authority: &str) -> String {
    let host = authority.rsplit('@').next().unwrap_or_default();
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.find(']').map_or(host, |end| &host[..end + 2]),
        None => {
            host.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h)
        }
    };
    host.to_ascii_lowercase()
}
use serde_json::Value;

/// Parses one line of a request log: a JSONL request (SPEC §5) when it starts with `{`, else an
/// nginx or Apache access-log line in the common or combined format, whose quoted request line
/// (`"GET /path?query HTTP/1.1"`) gives the request target. Such a log has no host or scheme:
/// the request is `https` without a host, as a bare path given to `match` is.
pub fn parse_log_line(line: &str) -> Result<Request, String> {
    if line.trim_start().starts_with('{') {
        return parse_request_line(line);
    }
    let (_, after_quote) = line.split_once('"').ok_or("neither a JSON request nor an access-log line")?;
    let request_line = unescape_quoted(after_quote).ok_or("the access-log request line is not closed by \"")?;
    let mut words = request_line.split_ascii_whitespace();
    let _method = words.next().ok_or("the access-log request line is empty")?;
    let target = words.next().ok_or("the access-log request line has no target")?;
    if !(target.starts_with('/') || target.contains("://")) {
        return Err(format!("the access-log request target `{target}` is not a path or URL"));
    }
    Ok(Request::from_url(target))
}

/// The quoted request line that starts `quoted` (after its opening `"`), up to the closing `"`,
/// with the escapes of nginx and Apache logs undone: `\xHH` (the bytes they do not write as
/// is: not printable ASCII, and `"` and `\`), Apache's `\"` and `\\`. A byte that is not
/// printable ASCII becomes `%HH`, which is how a URL parser reads that raw byte in a target.
/// `None` when the line is not closed.
fn unescape_quoted(quoted: &str) -> Option<String> {
    let bytes = quoted.as_bytes();
    let mut out = String::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let (decoded, width) = match (byte, bytes.get(at + 1)) {
            (b'"', _) => return Some(out),
            (b'\\', Some(b'x')) => match bytes.get(at + 2..at + 4).and_then(hex_byte) {
                Some(b) => (b, 4),
                None => (byte, 1),
            },
            (b'\\', Some(&escaped @ (b'"' | b'\\'))) => (escaped, 2),
            _ => (byte, 1),
        };
        if width == 1 {
            // A byte written as is (spaces between the words, raw UTF-8): the whole character.
            let ch = quoted.get(at..)?.chars().next()?;
            out.push(ch);
            at += ch.len_utf8();
            continue;
        }
        if decoded.is_ascii_graphic() {
            out.push(char::from(decoded));
        } else {
            out.push_str(&format!("%{decoded:02X}"));
        }
        at += width;
    }
    None
}

/// `HH` (two hex digits) as a byte.
fn hex_byte(hex: &[u8]) -> Option<u8> {
    std::str::from_utf8(hex).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
}

/// The fields of a JSONL request line (SPEC §5); any other is an error, so a misspelt
/// `"contry"` is not silently a request without a country.
pub const REQUEST_FIELDS: [&str; 5] = ["url", "country", "language", "cookies", "asset_exists"];

/// Parses one request line: `{"url": ..., "country": ..., "language": ..., "cookies": {...},
/// "asset_exists": false}`; everything but `url` is optional. `cookies` may also be a `Cookie`
/// header string (`a=1; b=2`).
pub fn parse_request_line(line: &str) -> Result<Request, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let Value::Object(fields) = value else { return Err("a request must be a JSON object".to_string()) };
    if let Some(unknown) = fields.keys().find(|k| !REQUEST_FIELDS.contains(&k.as_str())) {
        return Err(format!("unknown field \"{unknown}\": a request has {}", REQUEST_FIELDS.join(", ")));
    }
    let url = fields.get("url").and_then(Value::as_str).ok_or("a request needs a string \"url\"")?;
    let mut req = Request::from_url(url);
    let text = |key: &str| -> Result<Option<String>, String> {
        match fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("\"{key}\" must be a string")),
        }
    };
    req.country = text("country")?;
    req.language = text("language")?;
    req.cookies = match fields.get("cookies") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Ok((k.clone(), other.to_string())),
            })
            .collect::<Result<_, String>>()?,
        Some(Value::String(header)) => parse_cookie_header(header),
        Some(_) => return Err("\"cookies\" must be an object".to_string()),
    };
    req.asset_exists = match fields.get("asset_exists") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("\"asset_exists\" must be true or false".to_string()),
    };
    Ok(req)
}

/// A request URL normalised as a WHATWG URL parser does (SPEC §2), as browsers and
/// `netlify dev` do before a rule sees it: host lower-cased, dot segments resolved, and the bytes
/// that parser percent-encodes in the path and the query encoded (`café` → `caf%C3%A9`, a
/// query's `'` → `%27`); the fragment dropped. A bare path (`/a/../b?x`) is resolved the same way
/// and stays a bare path, so `//x` remains a path and never becomes a host. A URL that parser
/// rejects is used as written.
pub fn normalize_url(raw: &str) -> String {
    const BARE_ORIGIN: &str = "http://detour.invalid";
    let bare = raw.starts_with('/');
    let parsed = if bare { url::Url::parse(&format!("{BARE_ORIGIN}{raw}")) } else { url::Url::parse(raw) };
    match parsed {
        Ok(u) if bare => u[url::Position::BeforePath..url::Position::AfterQuery].to_string(),
        Ok(u) => u[..url::Position::AfterQuery].to_string(),
        Err(_) => raw.to_string(),
    }
}

/// Splits a `Cookie` header (`a=1; b=2`) into name/value pairs.
pub fn parse_cookie_header(header: &str) -> Vec<(String, String)> {
    header
        .split(';')
        .filter_map(|c| {
            let (name, value) = c.split_once('=')?;
            Some((name.trim().to_string(), value.trim().to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{normalize_url, parse_log_line, Request};

    #[test]
    fn splits_urls() {
        let r = Request::from_url("HTTPS://Example.COM:8443/a%20b/?x=1&y#frag");
        assert_eq!((r.scheme.as_str(), r.host.as_str()), ("https", "example.com"));
        assert_eq!((r.path.as_slice(), r.query.as_slice()), (&b"/a%20b/"[..], &b"x=1&y"[..]));
        let r = Request::from_url("/only/path?q");
        assert_eq!((r.host.as_str(), r.path.as_slice(), r.query.as_slice()), ("", &b"/only/path"[..], &b"q"[..]));
        let r = Request::from_url("http://u:p@[::1]:80/x");
        assert_eq!(r.host, "[::1]");
    }

    #[test]
    fn access_log_escapes_are_undone() {
        let path = |target: &str| {
            let line = format!("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET {target} HTTP/1.1\" 200 0");
            String::from_utf8(parse_log_line(&line).unwrap().path).unwrap()
        };
        assert_eq!(path("/caf\\xC3\\xA9"), "/caf%C3%A9");
        assert_eq!(path("/café"), "/caf%C3%A9");
        // nginx's `\x22` and Apache's `\"` are a `"` of the target, not the line's end.
        assert_eq!(path("/a\\x22b\\\"c"), "/a%22b%22c");
        assert_eq!(path("/a\\x01"), "/a%01");
    }

    #[test]
    fn urls_are_normalised_as_a_browser_does() {
        assert_eq!(
            normalize_url("https://Example.COM/a/./b/../c?café=1&a'b=2#frag"),
            "https://example.com/a/c?caf%C3%A9=1&a%27b=2"
        );
        assert_eq!(normalize_url("/caf\u{e9}/%2e%2e/x?q=a b"), "/x?q=a%20b");
        assert_eq!(normalize_url("//exact"), "//exact");
        assert_eq!(normalize_url("/a%2Fb/%zz"), "/a%2Fb/%zz");
        assert_eq!(normalize_url("https://h.example:8443"), "https://h.example:8443/");
        assert_eq!(normalize_url("not a url"), "not a url");
    }
}
