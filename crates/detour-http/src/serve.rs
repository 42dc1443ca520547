//! `detour serve`: a static site with its `_redirects` and `netlify.toml`, like a local preview.

use std::convert::Infallible;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use http::header::CONTENT_TYPE;
use http::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::{Layer, Service};
use tower_http::services::ServeDir;

use crate::body::{boxed, full, Body, BoxError};
use crate::{DetourLayer, Options, ReloadHandle, StaticFiles};
use detour_rules::{parse_site, SourceKind};
use detour_runtime::{Blob, MatchOptions, Matcher};

/// Settings of [`serve`].
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Serve the files only, without the rules (a baseline for load tests).
    pub no_rules: bool,
    /// How often to look for changed rule files.
    pub reload_interval: Duration,
    /// Role-check settings.
    pub match_options: MatchOptions,
    /// Layer settings (`not_found_path` is set to `/404.html` when the site has one).
    pub layer: Options,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            no_rules: false,
            reload_interval: Duration::from_millis(300),
            match_options: MatchOptions::default(),
            layer: Options::default(),
        }
    }
}

/// The site's files: `ServeDir`, and the site's own `404.html` (with status 404) for paths
/// that have no file.
#[derive(Clone)]
pub struct SiteFiles {
    dir: ServeDir,
    not_found: PathBuf,
}

impl SiteFiles {
    /// The files of `root`.
    pub fn new(root: &Path) -> SiteFiles {
        SiteFiles { dir: ServeDir::new(root), not_found: root.join("404.html") }
    }
}

impl<B: Send + 'static> Service<Request<B>> for SiteFiles {
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        <ServeDir as Service<Request<B>>>::poll_ready(&mut self.dir, cx).map_err(|e| match e {})
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let future = self.dir.call(req);
        let not_found = self.not_found.clone();
        Box::pin(async move {
            let resp = future.await.map_err(|e: Infallible| -> BoxError { match e {} })?;
            if resp.status() != StatusCode::NOT_FOUND {
                return Ok(resp.map(boxed));
            }
            match tokio::fs::read(&not_found).await {
                Ok(page) => {
                    let mut r = Response::new(full(page));
                    *r.status_mut() = StatusCode::NOT_FOUND;
                    r.headers_mut().insert(CONTENT_TYPE, "text/html; charset=utf-8".parse()?);
                    Ok(r)
                }
                Err(_) => Ok(resp.map(boxed)),
            }
        })
    }
}

/// The rule files of a site directory, in priority order.
pub struct Site;

impl Site {
    /// `_redirects`, then `netlify.toml`, those that exist.
    pub fn rule_files(dir: &Path) -> Vec<PathBuf> {
        ["_redirects", "netlify.toml"].iter().map(|f| dir.join(f)).filter(|p| p.is_file()).collect()
    }

    /// Parses and compiles a site's rules. Returns the matcher, the number of rules, and every
    /// diagnostic as text; `strict` refuses rules with errors (for reloads).
    pub fn load(
        dir: &Path,
        options: &MatchOptions,
        strict: bool,
    ) -> Result<(Matcher, usize, Vec<String>), Vec<String>> {
        let mut texts = Vec::new();
        for path in Site::rule_files(dir) {
            match std::fs::read(&path) {
                Ok(t) => texts.push((SourceKind::from_path(&path), t, path.display().to_string())),
                Err(e) => return Err(vec![format!("{}: {e}", path.display())]),
            }
        }
        let sources: Vec<(SourceKind, &[u8], &str)> =
            texts.iter().map(|(k, t, f)| (*k, t.as_slice(), f.as_str())).collect();
        let site = parse_site(&sources);
        let diagnostics: Vec<String> = site.diagnostics.iter().map(|d| d.to_string()).collect();
        if strict && site.has_errors() {
            return Err(diagnostics);
        }
        let bytes = detour_compiler::compile(&site.rules).map_err(|e| vec![e.to_string()])?;
        let blob = Blob::from_bytes(&bytes).map_err(|e| vec![e.to_string()])?;
        Ok((Matcher::new(blob, options.clone()), site.rules.len(), diagnostics))
    }
}

type Fingerprint = Vec<(PathBuf, Option<(SystemTime, u64)>)>;

fn fingerprint(dir: &Path) -> Fingerprint {
    ["_redirects", "netlify.toml"]
        .iter()
        .map(|f| {
            let p = dir.join(f);
            let meta = std::fs::metadata(&p).ok().and_then(|m| Some((m.modified().ok()?, m.len())));
            (p, meta)
        })
        .collect()
}

/// Recompiles when a rule file changes; keeps the old rules when the new ones have errors.
async fn watch(dir: PathBuf, handle: ReloadHandle, options: ServeOptions) {
    let mut last = fingerprint(&dir);
    loop {
        tokio::time::sleep(options.reload_interval).await;
        let now = fingerprint(&dir);
        if now == last {
            continue;
        }
        last = now;
        match Site::load(&dir, &options.match_options, true) {
            Ok((matcher, rules, diagnostics)) => {
                for d in &diagnostics {
                    tracing::warn!("{d}");
                }
                handle.swap(matcher);
                tracing::info!(rules, "rules changed: recompiled and swapped in");
            }
            Err(diagnostics) => {
                for d in &diagnostics {
                    tracing::error!("{d}");
                }
                tracing::error!("the new rules have errors; still serving the previous rules");
            }
        }
    }
}

/// Serves the static site in `dir` on `listener`, with its rules in front, until the returned
/// future is dropped or accepting fails.
pub async fn serve(dir: PathBuf, listener: TcpListener, mut options: ServeOptions) -> std::io::Result<()> {
    let files = SiteFiles::new(&dir);
    if options.no_rules {
        return accept_loop(listener, files).await;
    }
    let (matcher, rules, diagnostics) = match Site::load(&dir, &options.match_options, false) {
        Ok(loaded) => loaded,
        Err(errors) => {
            for e in &errors {
                tracing::error!("{e}");
            }
            return Err(std::io::Error::other("the site's rules could not be loaded"));
        }
    };
    for d in &diagnostics {
        tracing::warn!("{d}");
    }
    tracing::info!(rules, dir = %dir.display(), "serving");
    if options.layer.not_found_path.is_none() && dir.join("404.html").is_file() {
        options.layer.not_found_path = Some("/404.html".to_string());
    }
    let layer = DetourLayer::with_assets(matcher, options.layer.clone(), StaticFiles::new(&dir));
    tokio::spawn(watch(dir, layer.reload_handle(), options));
    accept_loop(listener, layer.layer(files)).await
}

async fn accept_loop<S>(listener: TcpListener, service: S) -> std::io::Result<()>
where
    S: Service<Request<hyper::body::Incoming>, Response = Response<Body>, Error = BoxError>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    loop {
        let (stream, _) = listener.accept().await?;
        // Small responses must not wait for Nagle's algorithm and the peer's delayed ACK.
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let conn = auto::Builder::new(TokioExecutor::new());
            if let Err(e) = conn.serve_connection(TokioIo::new(stream), service).await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}
