//! The file service of `detour serve`: `ServeDir` behind the [`FilePolicy`], and the site's own
//! `404.html` for everything it does not serve.

use std::convert::Infallible;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, Response, StatusCode};
use tower::Service;
use tower_http::services::ServeDir;

use crate::assets::FilePolicy;
use crate::body::{boxed, full, Body, BoxError};

/// The site's files: `ServeDir` for the paths the policy allows, and the site's own `404.html`
/// (with status 404) for every other path and for paths without a file.
#[derive(Clone)]
pub struct SiteFiles {
    dir: ServeDir,
    not_found: PathBuf,
    policy: FilePolicy,
}

impl SiteFiles {
    /// The files of `root`, hidden files hidden.
    pub fn new(root: &Path) -> SiteFiles {
        SiteFiles::with_policy(root, FilePolicy::default())
    }

    /// The files of `root`, served under `policy`.
    pub fn with_policy(root: &Path, policy: FilePolicy) -> SiteFiles {
        SiteFiles { dir: ServeDir::new(root), not_found: root.join("404.html"), policy }
    }

    fn servable<B>(&self, req: &Request<B>) -> bool {
        // `ServeDir` decodes the path the same way; on a servable path both read the same names.
        let mut decoded = Vec::with_capacity(req.uri().path().len());
        detour_runtime::encoding::decode_into(req.uri().path().as_bytes(), false, &mut decoded);
        self.policy.servable(&decoded).is_some()
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<B: Send + 'static> Service<Request<B>> for SiteFiles {
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = BoxFuture<Result<Response<Body>, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        <ServeDir as Service<Request<B>>>::poll_ready(&mut self.dir, cx).map_err(|e| match e {})
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let not_found = self.not_found.clone();
        if !self.servable(&req) {
            return Box::pin(async move { Ok(not_found_page(&not_found).await.unwrap_or_else(plain_not_found)) });
        }
        let future = self.dir.call(req);
        Box::pin(async move {
            let resp = future.await.map_err(|e: Infallible| -> BoxError { match e {} })?;
            if resp.status() != StatusCode::NOT_FOUND {
                return Ok(resp.map(boxed));
            }
            Ok(not_found_page(&not_found).await.unwrap_or_else(|| resp.map(boxed)))
        })
    }
}

/// The site's `404.html` with status 404, if it has one.
async fn not_found_page(page: &Path) -> Option<Response<Body>> {
    let page = tokio::fs::read(page).await.ok()?;
    let mut r = Response::new(full(page));
    *r.status_mut() = StatusCode::NOT_FOUND;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    Some(r)
}

fn plain_not_found() -> Response<Body> {
    let mut r = Response::new(full("Not Found\n"));
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
}
