//! The origin behind an edge: every request it gets is forwarded to one base URL, with the
//! client's `Host` kept (the origin serves many sites too), through the same proxy path as proxy
//! rules (hop-by-hop headers dropped, `Via` loop limit, in-flight cap, timeout).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::HOST;
use http::{Request, Response, StatusCode, Uri};
use tower::Service;

use crate::body::{full, Body, BoxError};
use crate::layer::Options;
use crate::proxy::{ProxyExtras, Upstream};

/// Why an origin URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidOrigin {
    /// Not an absolute `http://` or `https://` URL with a host.
    #[error("`{0}` is not an http:// or https:// URL with a host")]
    NotHttp(String),
    /// A URL with a query or fragment: the request's own path and query are appended to it.
    #[error("`{0}` has a query or fragment; give the origin as scheme://host[:port][/base-path]")]
    QueryOrFragment(String),
}

/// A service forwarding every request to an origin server: `base` + the request's path and
/// query; or, without an origin ([`Origin::none`]), answering 404. Clone it freely (clones
/// share the client and the in-flight cap).
#[derive(Clone)]
pub struct Origin {
    server: Option<(Arc<str>, Arc<Upstream>)>,
}

impl Origin {
    /// An origin at `base` (`http://127.0.0.1:3000`, `https://origin.example/prefix`), with the
    /// layer's proxy settings (timeout, in-flight cap, hop limit). Needs a Tokio runtime.
    pub fn new(base: &str, options: &Options) -> Result<Origin, InvalidOrigin> {
        let uri: Uri = base.parse().map_err(|_| InvalidOrigin::NotHttp(base.to_string()))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(InvalidOrigin::NotHttp(base.to_string()));
        }
        if uri.query().is_some() || base.contains('#') {
            return Err(InvalidOrigin::QueryOrFragment(base.to_string()));
        }
        let upstream =
            Upstream::new(options.max_upstream_requests.max(1), options.max_proxy_hops, options.proxy_timeout);
        Ok(Origin { server: Some((base.trim_end_matches('/').into(), Arc::new(upstream))) })
    }

    /// No origin: every request answers 404 Not Found.
    pub fn none() -> Origin {
        Origin { server: None }
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl Service<Request<Body>> for Origin {
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = BoxFuture<Result<Response<Body>, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let Some((base, upstream)) = &self.server else {
            let mut response = Response::new(full("Not Found\n"));
            *response.status_mut() = StatusCode::NOT_FOUND;
            return Box::pin(std::future::ready(Ok(response)));
        };
        let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
        let target = format!("{base}{path}");
        // The client's host goes on: the origin tells its sites apart by it.
        let host = req
            .uri()
            .host()
            .map(str::to_string)
            .or_else(|| req.headers().get(HOST).and_then(|h| h.to_str().ok()).map(str::to_string));
        let extras =
            ProxyExtras { headers: host.map(|h| ("host".to_string(), h)).into_iter().collect(), signature: None };
        let upstream = Arc::clone(upstream);
        Box::pin(async move { upstream.forward(req, &target, extras).await })
    }
}
