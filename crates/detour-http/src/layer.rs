//! The tower layer: a matcher in front of any service, applied as SPEC §4 describes.

use std::cell::RefCell;
use std::convert::Infallible;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use arc_swap::ArcSwap;
use bytes::Bytes;
use http::header::{HeaderName, ACCEPT_LANGUAGE, HOST, LOCATION};
use http::{HeaderValue, Request, Response, StatusCode, Uri};
use tower::{Layer, Service, ServiceExt};

use crate::assets::{AssetLookup, StaticFiles};
use crate::body::{boxed, empty, full, Body, BoxError};
use crate::cookies::cookie_header;
use crate::proxy::{self, ProxyExtras, Upstream};
use crate::status_page::{self, ask_whole, under_status};
use detour_runtime::{Cookies, Matcher, Outcome, Scratch};
use detour_sites::{Lookup, Registry, SiteCache};

thread_local! {
    // One scratch per worker thread; borrowed only while matching, never across an await.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::new());
    // One site cache per worker thread; borrowed only for a lookup.
    static SITES: RefCell<SiteCache> = RefCell::new(SiteCache::new());
}

/// Settings of the layer.
#[derive(Debug, Clone)]
pub struct Options {
    /// The request header that carries the country code (from a GeoIP lookup in front).
    pub country_header: HeaderName,
    /// How long a proxied request may take.
    pub proxy_timeout: Duration,
    /// A path the inner service answers with the site's "not found" page (served with 404 for
    /// role denials); `None` answers a plain 404.
    pub not_found_path: Option<String>,
    /// The scheme of the listener requests arrive on (behind a TLS terminator: `https`). A
    /// scheme in the request line is the client's claim and is not used.
    pub scheme: &'static str,
    /// How many times one request may pass through this server's proxy rules (a proxy rule
    /// that points back at the server); the next pass answers 508 Loop Detected.
    pub max_proxy_hops: usize,
    /// Proxied requests in flight at once (at least 1); more answer 503 at once.
    pub max_upstream_requests: usize,
    /// Log each decision (rule applied, pass through, denial) at `info`; otherwise at `debug`,
    /// with the rest of the per-request logging.
    pub log_decisions: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            country_header: HeaderName::from_static("x-country"),
            proxy_timeout: Duration::from_secs(30),
            not_found_path: None,
            scheme: "http",
            max_proxy_hops: 4,
            max_upstream_requests: 256,
            log_decisions: false,
        }
    }
}

struct Shared {
    /// The rules of a single-site layer; in a layer over sites, those of hosts no site claims.
    matcher: ArcSwap<Matcher>,
    /// The site registry of a layer over many sites ([`DetourLayer::over_sites`]).
    sites: Option<Registry>,
    options: Options,
    assets: Option<Arc<dyn AssetLookup>>,
    upstream: Upstream,
}

/// Puts a matcher in front of a service. Clone it freely; all clones share one matcher, which
/// [`ReloadHandle::swap`] replaces atomically.
#[derive(Clone)]
pub struct DetourLayer {
    shared: Arc<Shared>,
}

impl DetourLayer {
    /// A layer over `matcher`. Must be used inside a Tokio runtime (proxy rules use hyper).
    ///
    /// It does not look at files: an unforced rule applies even where the inner service has a
    /// file (so `/app/* /app/index.html 200` also answers `/app/style.css` with the page). In
    /// front of a static directory use [`DetourLayer::with_static_dir`]; in front of anything
    /// else that has files, [`DetourLayer::with_assets`].
    pub fn new(matcher: Matcher, options: Options) -> DetourLayer {
        DetourLayer::build(matcher, options, None)
    }

    /// A layer in front of the static files in `dir` (served, say, by
    /// `tower_http::services::ServeDir::new(dir)`): an unforced rule never hides a file that
    /// exists there (SPEC §3.11). Dot-files and the rule files count as absent, as
    /// [`StaticFiles::new`] describes.
    pub fn with_static_dir(matcher: Matcher, options: Options, dir: impl Into<PathBuf>) -> DetourLayer {
        DetourLayer::with_assets(matcher, options, StaticFiles::new(dir))
    }

    /// A layer that asks `assets` whether a file exists before applying unforced rules.
    pub fn with_assets(matcher: Matcher, options: Options, assets: impl AssetLookup) -> DetourLayer {
        DetourLayer::build(matcher, options, Some(Arc::new(assets)))
    }

    /// A layer over many sites: each request is matched against the rules of the site its
    /// `Host` names ([`Registry::lookup`]); a site with no valid rules answers 503, and a host
    /// no site claims is matched against `unknown_hosts` (an empty rule set passes it to the
    /// inner service). [`ReloadHandle::swap`] replaces `unknown_hosts`; sites reload from
    /// their directory by themselves.
    pub fn over_sites(registry: Registry, unknown_hosts: Matcher, options: Options) -> DetourLayer {
        DetourLayer::build_with(unknown_hosts, Some(registry), options, None)
    }

    fn build(matcher: Matcher, options: Options, assets: Option<Arc<dyn AssetLookup>>) -> DetourLayer {
        DetourLayer::build_with(matcher, None, options, assets)
    }

    fn build_with(
        matcher: Matcher,
        sites: Option<Registry>,
        options: Options,
        assets: Option<Arc<dyn AssetLookup>>,
    ) -> DetourLayer {
        let upstream =
            Upstream::new(options.max_upstream_requests.max(1), options.max_proxy_hops, options.proxy_timeout);
        let shared = Shared { matcher: ArcSwap::from_pointee(matcher), sites, options, assets, upstream };
        DetourLayer { shared: Arc::new(shared) }
    }

    /// A handle that swaps in new rules while requests are in flight.
    pub fn reload_handle(&self) -> ReloadHandle {
        ReloadHandle { shared: Arc::clone(&self.shared) }
    }
}

/// Replaces the layer's matcher. Requests already matching keep the old one (and its mapping)
/// until they finish.
#[derive(Clone)]
pub struct ReloadHandle {
    shared: Arc<Shared>,
}

impl ReloadHandle {
    /// Swaps in a new matcher atomically.
    pub fn swap(&self, matcher: Matcher) {
        self.shared.matcher.store(Arc::new(matcher));
    }

    /// The matcher requests use now.
    pub fn current(&self) -> Arc<Matcher> {
        self.shared.matcher.load_full()
    }
}

impl<S> Layer<S> for DetourLayer {
    type Service = Detour<S>;

    fn layer(&self, inner: S) -> Detour<S> {
        Detour { inner, shared: Arc::clone(&self.shared), not_ready: None }
    }
}

/// The service the layer builds. It never fails: every failure (an inner service's error, a
/// rule target that is no valid URI) is logged and answered, mostly with 500, so it fits where
/// a service must be infallible (axum's `Router::layer`).
pub struct Detour<S> {
    inner: S,
    shared: Arc<Shared>,
    /// Why the inner service could not get ready; the next call answers 500 with it.
    not_ready: Option<String>,
}

impl<S: Clone> Clone for Detour<S> {
    fn clone(&self) -> Detour<S> {
        Detour { inner: self.inner.clone(), shared: Arc::clone(&self.shared), not_ready: None }
    }
}

/// What the rules decided, owned so the scratch can be released before any await.
enum Decided {
    Pass,
    Denied,
    /// The host's site has no valid rules (a layer over sites): 503.
    Unavailable,
    /// The rule's target would pass 16 KiB (SPEC §4): 414.
    TooLong {
        rule: u32,
        line: u32,
    },
    Rule {
        status: u16,
        target: String,
        force: bool,
        negative: bool,
        rule: u32,
        line: u32,
        extras: ProxyExtras,
    },
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqB, ResB> Service<Request<ReqB>> for Detour<S>
where
    S: Service<Request<Body>, Response = Response<ResB>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    ReqB: http_body::Body<Data = Bytes> + Send + 'static,
    ReqB::Error: Into<BoxError>,
    ResB: http_body::Body<Data = Bytes> + Send + 'static,
    ResB::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        match self.inner.poll_ready(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(e)) => {
                self.not_ready = Some(e.into().to_string());
                Poll::Ready(Ok(()))
            }
        }
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        if let Some(error) = self.not_ready.take() {
            tracing::error!(%error, "the inner service failed to get ready: 500");
            return Box::pin(std::future::ready(Ok(internal_error())));
        }
        // The service that was polled ready handles this request; a fresh clone takes its place.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let answer = respond(&self.shared, inner, req.map(boxed));
        Box::pin(async move {
            Ok(answer.await.unwrap_or_else(|error| {
                tracing::error!(%error, "answering failed: 500");
                internal_error()
            }))
        })
    }
}

fn internal_error() -> Response<Body> {
    status_page::default_page(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Logs a decision at `info` when the options ask for it, else at `debug`.
macro_rules! decision {
    ($shared:expr, $($field:tt)+) => {
        if $shared.options.log_decisions {
            tracing::info!($($field)+)
        } else {
            tracing::debug!($($field)+)
        }
    };
}

fn header<'a>(req: &'a Request<Body>, name: &HeaderName) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

fn decide(shared: &Shared, req: &Request<Body>) -> Decided {
    let uri = req.uri();
    // In an absolute-form request the URI's authority is the host (RFC 9112 §3.2.2).
    let host = uri.host().or(header(req, &HOST)).unwrap_or("");
    let path = uri.path().as_bytes();
    let cookies = cookie_header(req.headers());
    let mut request = detour_runtime::Request {
        scheme: shared.options.scheme,
        host,
        path,
        query: uri.query().unwrap_or("").as_bytes(),
        country: header(req, &shared.options.country_header),
        accept_language: header(req, &ACCEPT_LANGUAGE),
        cookies: cookies.as_deref().map_or(Cookies::None, Cookies::Header),
        asset_exists: false,
    };
    let matcher = match select(shared, host) {
        Some(matcher) => matcher,
        None => return Decided::Unavailable,
    };
    let first = find(&matcher, &request);
    // The file check only skips unforced rules, so it cannot change "no match" or a forced
    // match that no earlier role denial flagged: most requests need no filesystem lookup.
    let settled = match &first {
        Decided::Pass => true,
        Decided::Rule { force, negative, .. } => *force && !*negative,
        Decided::Denied | Decided::TooLong { .. } | Decided::Unavailable => false,
    };
    let Some(assets) = shared.assets.as_ref().filter(|_| !settled) else { return first };
    let mut decoded = Vec::with_capacity(path.len());
    detour_runtime::encoding::decode_into(path, false, &mut decoded);
    if !assets.exists(&decoded) {
        return first;
    }
    request.asset_exists = true;
    find(&matcher, &request)
}

/// The rules for a request: the layer's own, or those of the site its host names. `None` when
/// that site has no valid rules.
fn select(shared: &Shared, host: &str) -> Option<Selected> {
    let lookup = |sites: &Registry| SITES.with_borrow_mut(|cache| sites.lookup_cached(cache, host));
    match shared.sites.as_ref().map(lookup) {
        None | Some(Lookup::Unknown) => Some(Selected::Own(shared.matcher.load())),
        Some(Lookup::Site(matcher)) => Some(Selected::Site(matcher)),
        Some(Lookup::Unavailable) => None,
    }
}

/// A request's rules, held until it is decided.
enum Selected {
    Own(arc_swap::Guard<Arc<Matcher>>),
    Site(Arc<Matcher>),
}

impl std::ops::Deref for Selected {
    type Target = Matcher;

    fn deref(&self) -> &Matcher {
        match self {
            Selected::Own(guard) => guard,
            Selected::Site(matcher) => matcher,
        }
    }
}

fn find(matcher: &Matcher, request: &detour_runtime::Request<'_>) -> Decided {
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        match matcher.find(request, &mut scratch) {
            Outcome::NoMatch => Decided::Pass,
            Outcome::Denied => Decided::Denied,
            Outcome::TooLong(t) => Decided::TooLong { rule: t.rule, line: t.line },
            Outcome::Matched(d) => {
                let signature = d.signed.and_then(|name| std::env::var(name).ok()).map(|secret| {
                    proxy::signature(secret.as_bytes(), &format!("{}://{}", request.scheme, request.host))
                });
                let headers = d.headers().map(|(k, v)| (k.to_string(), v.to_string())).collect();
                Decided::Rule {
                    status: d.status,
                    target: d.target.to_string(),
                    force: d.force,
                    negative: d.negative,
                    rule: d.rule,
                    line: d.line,
                    extras: ProxyExtras { headers, signature },
                }
            }
        }
    })
}

fn with_status(mut r: Response<Body>, status: u16) -> Response<Body> {
    if let Ok(s) = StatusCode::from_u16(status) {
        *r.status_mut() = s;
    }
    r
}

/// `req` re-addressed to `target` (path and query; a fragment never goes to a server).
fn readdress(mut req: Request<Body>, target: &str) -> Result<Request<Body>, BoxError> {
    let target = target.split('#').next().unwrap_or(target);
    let uri: Uri = target.parse()?;
    *req.uri_mut() = uri;
    Ok(req)
}

/// The inner service's answer, boxed where its type is concrete.
fn call_inner<S, ResB>(inner: S, req: Request<Body>) -> BoxFuture<Result<Response<Body>, BoxError>>
where
    S: Service<Request<Body>, Response = Response<ResB>> + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    ResB: http_body::Body<Data = Bytes> + Send + 'static,
    ResB::Error: Into<BoxError>,
{
    let answer: BoxFuture<Result<Response<ResB>, S::Error>> = Box::pin(inner.oneshot(req));
    Box::pin(async move { answer.await.map(|r| r.map(boxed)).map_err(Into::into) })
}

fn ready(result: Result<Response<Body>, BoxError>) -> BoxFuture<Result<Response<Body>, BoxError>> {
    Box::pin(std::future::ready(result))
}

/// The content's answer under the rule's `status` (see [`under_status`]).
fn restatus(
    answer: BoxFuture<Result<Response<Body>, BoxError>>,
    status: u16,
) -> BoxFuture<Result<Response<Body>, BoxError>> {
    let Ok(status) = StatusCode::from_u16(status) else { return answer };
    Box::pin(async move { answer.await.map(|r| under_status(r, status)) })
}

/// `req` asking for the whole content, for an answer under another status than the content's.
fn whole(mut req: Request<Body>) -> Request<Body> {
    ask_whole(&mut req);
    req
}

/// Decides (synchronously, with the thread's scratch), then answers.
fn respond<S, ResB>(shared: &Arc<Shared>, inner: S, req: Request<Body>) -> BoxFuture<Result<Response<Body>, BoxError>>
where
    S: Service<Request<Body>, Response = Response<ResB>> + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    ResB: http_body::Body<Data = Bytes> + Send + 'static,
    ResB::Error: Into<BoxError>,
{
    if req.headers().get_all(HOST).iter().nth(1).is_some() {
        // Two hosts: which one a rule saw and which one a cache or upstream sees could differ.
        decision!(shared, path = %req.uri(), "duplicate Host header: 400");
        return ready(Ok(with_status(Response::new(full("Bad Request: duplicate Host header\n")), 400)));
    }
    let decided = decide(shared, &req);
    let (method, path) = (req.method().clone(), req.uri().to_string());
    tracing::debug!(%method, %path, "request");
    match decided {
        Decided::Pass => {
            decision!(shared, %method, %path, "no rule: pass through");
            call_inner(inner, req)
        }
        Decided::Denied => {
            decision!(shared, %method, %path, "role denied: 404");
            match &shared.options.not_found_path {
                Some(page) => match readdress(req, page).map(whole) {
                    Ok(req) => restatus(call_inner(inner, req), 404),
                    Err(e) => ready(Err(e)),
                },
                None => ready(Ok(with_status(Response::new(full("Not Found\n")), 404))),
            }
        }
        Decided::Unavailable => {
            tracing::warn!(%method, %path, "the host's site has no valid rules: 503");
            ready(Ok(with_status(
                Response::new(full("Service Unavailable: this site's rules are not available\n")),
                503,
            )))
        }
        Decided::TooLong { rule, line } => {
            decision!(shared, %method, %path, rule, line, "target too long: 414");
            ready(Ok(with_status(Response::new(full("URI Too Long\n")), 414)))
        }
        Decided::Rule { status, target, force, rule, line, extras, .. } => {
            decision!(shared, %method, %path, rule, line, status, force, %target, "rule applies");
            if status < 200 {
                // An informational status cannot end a response (101 would switch protocols and
                // kill the connection): the 500 that `detour check` announces for it.
                tracing::error!(%method, %path, rule, line, status, "a rule's status is informational: 500");
                return ready(Ok(internal_error()));
            }
            match status {
                204 => return ready(Ok(status_page::without_content(StatusCode::NO_CONTENT))),
                205 => return ready(Ok(status_page::without_content(StatusCode::RESET_CONTENT))),
                _ => {}
            }
            if (300..400).contains(&status) {
                let mut r = with_status(Response::new(empty()), status);
                return match HeaderValue::from_str(&target) {
                    Ok(location) => {
                        r.headers_mut().insert(LOCATION, location);
                        ready(Ok(r))
                    }
                    Err(e) => ready(Err(e.into())),
                };
            }
            // 200 keeps what the target answered (a rewrite may still be a 404); any other
            // status serves the target's whole content with the rule's status.
            let req = if status == 200 { req } else { whole(req) };
            let answer = if target.starts_with("http://") || target.starts_with("https://") {
                let shared = Arc::clone(shared);
                Box::pin(async move { shared.upstream.forward(req, &target, extras).await })
            } else {
                match readdress(req, &target) {
                    Ok(req) => call_inner(inner, req),
                    Err(e) => return ready(Err(e)),
                }
            };
            if status == 200 {
                answer
            } else {
                restatus(answer, status)
            }
        }
    }
}
