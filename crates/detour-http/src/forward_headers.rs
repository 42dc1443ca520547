//! What a proxied request must not carry upstream, and what an upstream's answer must not carry
//! back: headers of one connection, and the client's own credentials for this site.

use http::header::{HeaderName, HeaderValue, CONNECTION, COOKIE};
use http::HeaderMap;

/// Headers that describe one connection and are not forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The cookie that carries the visitor's role token for this site: it is not the upstream's.
const JWT_COOKIE: &[u8] = b"nf_jwt";

/// The header that proves a request came through this proxy: only the proxy may set it.
pub(crate) const SIGNATURE_HEADER: &str = "x-nf-sign";

/// Removes the hop-by-hop headers and every header the `Connection` header names.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .filter_map(|token| HeaderName::from_bytes(token.trim_ascii()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

/// Readies a client's headers for an upstream: no hop-by-hop headers, no forged signature, and
/// no `nf_jwt` cookie (the other cookies stay, in order).
pub(crate) fn sanitize_request(headers: &mut HeaderMap) {
    strip_hop_by_hop(headers);
    headers.remove(SIGNATURE_HEADER);
    remove_cookie(headers, JWT_COOKIE);
}

fn remove_cookie(headers: &mut HeaderMap, name: &[u8]) {
    if !headers.contains_key(COOKIE) {
        return;
    }
    let kept: Vec<Vec<u8>> = headers
        .get_all(COOKIE)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b';'))
        .map(<[u8]>::trim_ascii)
        .filter(|pair| !pair.is_empty() && cookie_name(pair) != name)
        .map(<[u8]>::to_vec)
        .collect();
    headers.remove(COOKIE);
    if kept.is_empty() {
        return;
    }
    // The pairs come from valid header values joined by "; ", so this cannot fail; if it did,
    // sending no cookie is the safe side.
    if let Ok(value) = HeaderValue::from_bytes(&kept.join(&b"; "[..])) {
        headers.insert(COOKIE, value);
    }
}

fn cookie_name(pair: &[u8]) -> &[u8] {
    pair.split(|&b| b == b'=').next().unwrap_or(pair).trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn connection_named_and_hop_by_hop_headers_go() {
        let mut h = headers(&[
            ("connection", "keep-alive, X-Secret-Hop"),
            ("connection", "x-other"),
            ("x-secret-hop", "1"),
            ("x-other", "1"),
            ("te", "trailers"),
            ("upgrade", "websocket"),
            ("x-kept", "1"),
        ]);
        strip_hop_by_hop(&mut h);
        assert_eq!(h.keys().map(|k| k.as_str()).collect::<Vec<_>>(), ["x-kept"]);
    }

    #[test]
    fn the_jwt_cookie_and_a_client_signature_go() {
        let mut h = headers(&[
            ("cookie", "a=1; nf_jwt=secret.token.x;b=2"),
            ("cookie", " nf_jwt = t2 ; c=3"),
            ("x-nf-sign", "forged"),
        ]);
        sanitize_request(&mut h);
        assert_eq!(h.get_all(COOKIE).iter().collect::<Vec<_>>(), ["a=1; b=2; c=3"]);
        assert!(!h.contains_key(SIGNATURE_HEADER));
        let mut only_jwt = headers(&[("cookie", "nf_jwt=x")]);
        sanitize_request(&mut only_jwt);
        assert!(!only_jwt.contains_key(COOKIE));
        let mut similar = headers(&[("cookie", "nf_jwt2=x; xnf_jwt=y")]);
        sanitize_request(&mut similar);
        assert_eq!(similar[COOKIE], "nf_jwt2=x; xnf_jwt=y", "only the exact name goes");
    }
}
