//! detour in front of a plain hyper server: `ServeDir` for the files of a directory, the
//! directory's `_redirects` applied first, HTTP/1.1 and HTTP/2 on one port. Run with
//! `cargo run -p detour-http --example hyper -- DIR`, then open http://127.0.0.1:3000/.

use std::path::Path;

use detour_http::{Blob, Detour, DetourLayer, MatchOptions, Matcher, Options};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::services::ServeDir;

/// The rules of `dist/_redirects` (none when it is missing), compiled into a matcher.
pub fn matcher(dist: &Path) -> Matcher {
    let text = std::fs::read(dist.join("_redirects")).unwrap_or_default();
    let bytes = detour_compiler::compile(&detour_rules::parse_redirects(&text, "_redirects").rules)
        .expect("valid rules compile");
    Matcher::new(Blob::from_bytes(&bytes).expect("a fresh blob opens"), MatchOptions::default())
}

/// The service: `dist`'s files with the rules in front.
pub fn service(dist: &Path) -> Detour<ServeDir> {
    DetourLayer::with_static_dir(matcher(dist), Options::default(), dist).layer(ServeDir::new(dist))
}

/// Serves `service` on `listener`, one task per connection.
pub async fn run(listener: TcpListener, service: Detour<ServeDir>) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let served = auto::Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(stream), service).await;
            if let Err(e) = served {
                eprintln!("connection: {e}");
            }
        });
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let dist = std::env::args().nth(1).unwrap_or_else(|| "dist".to_string());
    run(TcpListener::bind("127.0.0.1:3000").await?, service(Path::new(&dist))).await
}
