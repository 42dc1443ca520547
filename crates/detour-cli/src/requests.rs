//! The JSONL request interface of `detour match --requests` (SPEC §5).

use detour_reference::Request;
use serde_json::Value;

/// Parses one request line: `{"url": ..., "country": ..., "language": ..., "cookies": {...},
/// "asset_exists": false}`; everything but `url` is optional. `cookies` may also be a `Cookie`
/// header string (`a=1; b=2`).
pub fn parse_request_line(line: &str) -> Result<Request, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let Value::Object(fields) = value else { return Err("a request must be a JSON object".to_string()) };
    let url = fields.get("url").and_then(Value::as_str).ok_or("a request needs a string \"url\"")?;
    let mut req = Request::from_url(&normalize_url(url));
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
    use super::normalize_url;

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
