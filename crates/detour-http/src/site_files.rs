//! The file service of `detour serve`: `ServeDir` behind the [`FilePolicy`], pretty URLs, and
//! the site's own `404.html` (or a small default page) for everything it does not serve.

use std::convert::Infallible;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, Response, StatusCode, Uri};
use tower::Service;
use tower_http::services::ServeDir;

use crate::assets::{FilePolicy, StaticFiles};
use crate::body::{boxed, full, Body, BoxError};
use crate::status_page::default_page;

/// The site's files: `ServeDir` for the paths the policy allows (`/about` from `about.html`
/// under pretty URLs), and the site's own `404.html` (with status 404) for every other path and
/// for paths without a file; a small default page when the site has no `404.html`.
#[derive(Clone)]
pub struct SiteFiles {
    dir: ServeDir,
    files: StaticFiles,
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
        SiteFiles {
            dir: ServeDir::new(root),
            files: StaticFiles::with_policy(root, policy),
            not_found: root.join("404.html"),
            policy,
        }
    }

    /// `ServeDir` decodes the path the same way; on a servable path both read the same names.
    fn decoded<B>(req: &Request<B>) -> Vec<u8> {
        let mut decoded = Vec::with_capacity(req.uri().path().len());
        detour_runtime::encoding::decode_into(req.uri().path().as_bytes(), false, &mut decoded);
        decoded
    }

    /// Under pretty URLs, `/about` asks `ServeDir` for `/about.html` when that is the file.
    fn pretty<B>(&self, req: &mut Request<B>, decoded: &[u8]) {
        if !self.policy.pretty_urls || !self.files.serves_pretty_page(decoded) {
            return;
        }
        let uri = req.uri();
        let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
        if let Ok(page) = format!("{}.html{query}", uri.path()).parse::<Uri>() {
            *req.uri_mut() = page;
        }
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

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let not_found = self.not_found.clone();
        let decoded = SiteFiles::decoded(&req);
        if self.policy.servable(&decoded).is_none() {
            return Box::pin(async move { Ok(not_found_page(&not_found).await) });
        }
        let files = self.files.clone();
        self.pretty(&mut req, &decoded);
        let mut dir = self.dir.clone();
        Box::pin(async move {
            // `ServeDir` follows symlinks anywhere; only what resolves inside the site is served.
            let served = tokio::task::spawn_blocking(move || files.served_file(&decoded).is_some()).await?;
            if !served {
                return Ok(not_found_page(&not_found).await);
            }
            let future = dir.call(req);
            let resp = future.await.map_err(|e: Infallible| -> BoxError { match e {} })?;
            if resp.status() != StatusCode::NOT_FOUND {
                return Ok(resp.map(boxed));
            }
            Ok(not_found_page(&not_found).await)
        })
    }
}

/// The site's `404.html` with status 404, or the default page when it has none.
async fn not_found_page(page: &Path) -> Response<Body> {
    let Ok(page) = tokio::fs::read(page).await else { return default_page(StatusCode::NOT_FOUND) };
    let mut r = Response::new(full(page));
    *r.status_mut() = StatusCode::NOT_FOUND;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    r
}
