//! Proxy rules: the request forwarded to an absolute target with hyper.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use http::header::{HeaderName, HeaderValue, HOST};
use http::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::body::{boxed, full, Body, BoxError};

/// The HTTP client proxy rules use: plain HTTP, and HTTPS with rustls and the Mozilla roots.
pub type ProxyClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Body>;

/// A new client.
pub fn client() -> ProxyClient {
    let https = hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots().https_or_http().enable_http1().build();
    Client::builder(TokioExecutor::new()).build(https)
}

/// Headers that describe one connection and are not forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// An HS256 JWT for the `x-nf-sign` header: who signs (`detour`), for which site, for 5 minutes.
pub fn signature(secret: &[u8], site_url: &str) -> String {
    let exp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) + 300;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = serde_json::json!({"iss": "detour", "site_url": site_url, "exp": exp});
    let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// What the proxy adds to the forwarded request.
pub struct ProxyExtras {
    /// The rule's `headers`.
    pub headers: Vec<(String, String)>,
    /// The `x-nf-sign` token, when the rule is signed and its secret is set.
    pub signature: Option<String>,
}

fn plain(status: StatusCode, text: &str) -> Response<Body> {
    let mut r = Response::new(full(text.to_string()));
    *r.status_mut() = status;
    r
}

/// Forwards `req` to `target` (method, headers and body), with a timeout.
pub async fn forward(
    client: &ProxyClient,
    mut req: Request<Body>,
    target: &str,
    extras: ProxyExtras,
    timeout: Duration,
) -> Result<Response<Body>, BoxError> {
    let uri: Uri = match target.split('#').next().unwrap_or(target).parse() {
        Ok(u) => u,
        Err(_) => return Ok(plain(StatusCode::BAD_GATEWAY, "invalid proxy target\n")),
    };
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Ok(plain(StatusCode::BAD_GATEWAY, "a proxy target must be an http:// or https:// URL\n"));
    }
    let authority = uri.authority().map(|a| a.to_string()).unwrap_or_default();
    *req.uri_mut() = uri;
    let headers = req.headers_mut();
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
    if let Ok(host) = HeaderValue::from_str(&authority) {
        headers.insert(HOST, host);
    }
    for (name, value) in &extras.headers {
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            headers.insert(n, v);
        }
    }
    if let Some(sig) = extras.signature.and_then(|s| HeaderValue::from_str(&s).ok()) {
        headers.insert("x-nf-sign", sig);
    }
    match tokio::time::timeout(timeout, client.request(req)).await {
        Err(_) => Ok(plain(StatusCode::GATEWAY_TIMEOUT, "upstream timed out\n")),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "proxy request failed");
            Ok(plain(StatusCode::BAD_GATEWAY, "upstream unreachable\n"))
        }
        Ok(Ok(resp)) => Ok(resp.map(boxed)),
    }
}
