//! detour in front of an axum app: the static files of a directory, with the directory's
//! `_redirects` applied first. Run with `cargo run -p detour-http --example axum -- DIR`, then
//! open http://127.0.0.1:3000/.

use std::path::Path;

use axum::Router;
use detour_http::{Blob, DetourLayer, MatchOptions, Matcher, Options};
use tower_http::services::ServeDir;

/// The rules of `dist/_redirects` (none when it is missing), compiled into a matcher. A server
/// that ships precompiled rules would use `Blob::open` on the output of `detour compile`.
pub fn matcher(dist: &Path) -> Matcher {
    let text = std::fs::read(dist.join("_redirects")).unwrap_or_default();
    let parsed = detour_rules::parse_redirects(&text, "_redirects");
    for problem in &parsed.diagnostics {
        eprintln!("{problem}");
    }
    let bytes = detour_compiler::compile(&parsed.rules).expect("valid rules compile");
    Matcher::new(Blob::from_bytes(&bytes).expect("a fresh blob opens"), MatchOptions::default())
}

/// The app: `dist`'s files, the rules in front. An unforced rule never hides a file of `dist`.
pub fn app(dist: &Path) -> Router {
    Router::new().fallback_service(ServeDir::new(dist)).layer(DetourLayer::with_static_dir(
        matcher(dist),
        Options::default(),
        dist,
    ))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let dist = std::env::args().nth(1).unwrap_or_else(|| "dist".to_string());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    axum::serve(listener, app(Path::new(&dist))).await
}
