//! Proxy rules: the request forwarded to an absolute target with hyper, at most so many at
//! once, and never around a loop back into this server more than a few times.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::header::{HeaderName, HeaderValue, HOST, VIA};
use http::{HeaderMap, Request, Response, StatusCode, Uri};
use http_body::{Frame, SizeHint};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::body::{boxed, full, Body, BoxError};
use crate::forward_headers::{sanitize_request, strip_hop_by_hop, SIGNATURE_HEADER};

/// The HTTP client proxy rules use: plain HTTP, and HTTPS with rustls and the Mozilla roots.
#[cfg(feature = "rustls")]
pub type ProxyClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Body>;

/// The HTTP client proxy rules use: plain HTTP only (the `rustls` feature is off).
#[cfg(not(feature = "rustls"))]
pub type ProxyClient = Client<HttpConnector, Body>;

/// A new client.
#[cfg(feature = "rustls")]
pub fn client() -> ProxyClient {
    let https = hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots().https_or_http().enable_http1().build();
    Client::builder(TokioExecutor::new()).build(https)
}

/// A new client.
#[cfg(not(feature = "rustls"))]
pub fn client() -> ProxyClient {
    Client::builder(TokioExecutor::new()).build(HttpConnector::new())
}

/// The schemes the client can reach.
const SCHEMES: &[&str] = if cfg!(feature = "rustls") { &["http", "https"] } else { &["http"] };

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

/// The upstream side of the layer: the client, the cap on requests in flight, and the name this
/// server gives itself in the `Via` header of the requests it forwards.
pub(crate) struct Upstream {
    client: ProxyClient,
    permits: Arc<Semaphore>,
    via_name: String,
    max_hops: usize,
    timeout: Duration,
}

impl Upstream {
    pub(crate) fn new(max_in_flight: usize, max_hops: usize, timeout: Duration) -> Upstream {
        // A random name per server, so it recognises its own requests and no other server's.
        let id = RandomState::new().hash_one(std::process::id());
        Upstream {
            client: client(),
            permits: Arc::new(Semaphore::new(max_in_flight)),
            via_name: format!("detour-{id:016x}"),
            max_hops,
            timeout,
        }
    }

    /// How many times this request has already passed through this server's proxy.
    fn hops(&self, headers: &HeaderMap) -> usize {
        let entries = headers.get_all(VIA).iter().flat_map(|v| v.as_bytes().split(|&b| b == b','));
        // An entry is `protocol received-by [comment]`; the second word names the proxy.
        entries
            .filter(|entry| {
                entry.split(u8::is_ascii_whitespace).filter(|w| !w.is_empty()).nth(1) == Some(self.via_name.as_bytes())
            })
            .count()
    }

    /// Forwards `req` to `target` (method, headers and body), with a timeout.
    pub(crate) async fn forward(
        &self,
        mut req: Request<Body>,
        target: &str,
        extras: ProxyExtras,
    ) -> Result<Response<Body>, BoxError> {
        let uri: Uri = match target.split('#').next().unwrap_or(target).parse() {
            Ok(u) => u,
            Err(_) => return Ok(plain(StatusCode::BAD_GATEWAY, "invalid proxy target\n")),
        };
        if !uri.scheme_str().is_some_and(|s| SCHEMES.contains(&s)) {
            let text = if cfg!(feature = "rustls") {
                "a proxy target must be an http:// or https:// URL\n"
            } else {
                "a proxy target must be an http:// URL (built without the rustls feature)\n"
            };
            return Ok(plain(StatusCode::BAD_GATEWAY, text));
        }
        let hops = self.hops(req.headers());
        if hops >= self.max_hops {
            tracing::warn!(hops, %target, "proxy loop: the request came through this server too often");
            return Ok(plain(StatusCode::LOOP_DETECTED, "proxy loop detected\n"));
        }
        let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() else {
            tracing::warn!(%target, "too many proxied requests in flight");
            return Ok(plain(StatusCode::SERVICE_UNAVAILABLE, "too many proxied requests in flight\n"));
        };
        let authority = uri.authority().map(|a| a.to_string()).unwrap_or_default();
        *req.uri_mut() = uri;
        self.prepare_headers(req.headers_mut(), &authority, extras);
        match tokio::time::timeout(self.timeout, self.client.request(req)).await {
            Err(_) => Ok(plain(StatusCode::GATEWAY_TIMEOUT, "upstream timed out\n")),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "proxy request failed");
                Ok(plain(StatusCode::BAD_GATEWAY, "upstream unreachable\n"))
            }
            Ok(Ok(mut resp)) => {
                strip_hop_by_hop(resp.headers_mut());
                // The permit goes back when the answer's body has been passed on.
                Ok(resp.map(|body| boxed(Permitted { body: boxed(body), _permit: permit })))
            }
        }
    }

    fn prepare_headers(&self, headers: &mut HeaderMap, authority: &str, extras: ProxyExtras) {
        sanitize_request(headers);
        if let Ok(host) = HeaderValue::from_str(authority) {
            headers.insert(HOST, host);
        }
        if let Ok(via) = HeaderValue::from_str(&format!("1.1 {}", self.via_name)) {
            headers.append(VIA, via);
        }
        for (name, value) in &extras.headers {
            if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
                headers.insert(n, v);
            }
        }
        if let Some(sig) = extras.signature.and_then(|s| HeaderValue::from_str(&s).ok()) {
            headers.insert(SIGNATURE_HEADER, sig);
        }
    }
}

/// A body that holds an upstream permit until it is dropped.
struct Permitted {
    body: Body,
    _permit: OwnedSemaphorePermit,
}

impl http_body::Body for Permitted {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
