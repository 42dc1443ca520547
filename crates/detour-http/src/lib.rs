//! detour as an HTTP component: [`DetourLayer`] puts compiled redirect rules in front of any
//! tower service (axum, hyper, tower-http's `ServeDir`), and [`ReloadHandle`] swaps in new rules
//! under load. The pieces of a server around it ([`SiteFiles`], [`accept_loop`] with its
//! [`ConnectionLimits`]) are here too; `detour serve` (in `detour-cli`) wires them to the rule
//! files. This crate depends on the runtime only: blobs come compiled.
//!
//! In front of a static directory, use [`DetourLayer::with_static_dir`] so an unforced rule
//! never hides a file; the service never fails (`Error = Infallible`), so it fits axum's
//! `Router::layer` as is (`examples/axum.rs`, `examples/hyper.rs`). Features (default on):
//! `proxy` (proxy rules; without it they answer 502) and `rustls` (`https://` proxy targets).
//!
//! ```
//! use detour_http::{Blob, DetourLayer, MatchOptions, Matcher, Options};
//! use tower::{Layer, ServiceExt};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let rules = detour_rules::parse_redirects(b"/old /new 301\n", "_redirects").rules;
//! let blob = Blob::from_bytes(&detour_compiler::compile(&rules).unwrap()).unwrap();
//! let layer = DetourLayer::new(Matcher::new(blob, MatchOptions::default()), Options::default());
//!
//! // Any inner service: here one that answers 200 to everything.
//! let site = tower::service_fn(|_req: http::Request<detour_http::Body>| async {
//!     Ok::<_, std::convert::Infallible>(http::Response::new(detour_http::full("page")))
//! });
//! let req = http::Request::get("/old?x=1").body(detour_http::empty()).unwrap();
//! let resp = layer.layer(site).oneshot(req).await.unwrap();
//! assert_eq!(resp.status(), 301);
//! assert_eq!(resp.headers()["location"], "/new?x=1");
//! # });
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod assets;
mod body;
mod cookies;
#[cfg(feature = "proxy")]
mod forward_headers;
mod jwt_secret;
mod layer;
mod listener;
mod origin;
#[cfg_attr(not(feature = "proxy"), path = "proxy_disabled.rs")]
mod proxy;
mod site_files;
mod status_page;

pub use assets::{AssetLookup, FilePolicy, StaticFiles, MAX_FILE_PATH_BYTES, MAX_NAME_BYTES};
pub use body::{boxed, empty, full, Body, BoxError};
pub use cookies::cookie_header;
/// The runtime types a user of the layer names: build a [`Matcher`] from a compiled [`Blob`].
pub use detour_runtime::{Blob, MatchOptions, Matcher};
pub use jwt_secret::{check_jwt_secret, JwtSecretError, MIN_JWT_SECRET_BYTES, RECOMMENDED_JWT_SECRET_BYTES};
pub use layer::{Detour, DetourLayer, Options, ReloadHandle};
pub use listener::{accept_loop, ConnectionLimits};
pub use origin::{InvalidOrigin, Origin};
pub use site_files::SiteFiles;
pub use status_page::default_page;
