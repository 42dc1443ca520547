//! Proxy rules when the `proxy` feature is off: the same interface as `proxy.rs`, answering
//! 502 Bad Gateway, so the layer reads the same with and without the feature.

use std::time::Duration;

use http::{Request, Response, StatusCode};

use crate::body::{full, Body, BoxError};

/// What the proxy would add to the forwarded request: the layer builds it, nothing reads it.
#[allow(dead_code)]
pub struct ProxyExtras {
    /// The rule's `headers`.
    pub headers: Vec<(String, String)>,
    /// The `x-nf-sign` token.
    pub signature: Option<String>,
}

/// No signature is made: nothing is forwarded.
pub fn signature(_secret: &[u8], _site_url: &str) -> String {
    String::new()
}

/// Stands where the upstream client would.
pub(crate) struct Upstream;

impl Upstream {
    pub(crate) fn new(_max_in_flight: usize, _max_hops: usize, _timeout: Duration) -> Upstream {
        Upstream
    }

    /// Answers 502: this build cannot forward requests.
    pub(crate) async fn forward(
        &self,
        _req: Request<Body>,
        target: &str,
        _extras: ProxyExtras,
    ) -> Result<Response<Body>, BoxError> {
        tracing::warn!(%target, "a proxy rule applies, but detour-http was built without the `proxy` feature");
        let mut r = Response::new(full("proxying is not available in this build\n"));
        *r.status_mut() = StatusCode::BAD_GATEWAY;
        Ok(r)
    }
}
