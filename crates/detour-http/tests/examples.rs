//! The examples, served on 127.0.0.1 and asked over real sockets: an existing asset is served
//! untouched, a single-page app's rewrite answers the missing paths, a redirect, and a proxy
//! rule forwarding to a local upstream.

#[allow(dead_code)]
#[path = "../examples/axum.rs"]
mod axum_example;
#[allow(dead_code)]
#[path = "../examples/hyper.rs"]
mod hyper_example;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A site whose SPA rule would also answer `/app/style.css` if files were not looked at.
fn site(name: &str, upstream: SocketAddr) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("detour-example-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::write(dir.join("index.html"), "home").unwrap();
    std::fs::write(dir.join("app/index.html"), "the app").unwrap();
    std::fs::write(dir.join("app/style.css"), "body { color: teal }").unwrap();
    let rules = format!("/old /new 301\n/api/* http://{upstream}/v1/:splat 200\n/app/* /app/index.html 200\n");
    std::fs::write(dir.join("_redirects"), rules).unwrap();
    dir
}

/// An upstream that answers with the request line it received.
async fn upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0; 4096];
                let n = stream.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]);
                let line = head.lines().next().unwrap_or("").to_string();
                let answer =
                    format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{line}", line.len());
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    addr
}

/// `GET path` over HTTP/1.1; the status line, the headers (lower-cased) and the body.
async fn get(addr: SocketAddr, path: &str) -> (u16, String, String) {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(Duration::from_secs(10), exchange).await.expect("answer in 10 s").expect("io");
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_string())
}

async fn check_site(addr: SocketAddr) {
    let (status, head, body) = get(addr, "/app/style.css").await;
    assert_eq!((status, body.as_str()), (200, "body { color: teal }"), "the asset, untouched");
    assert!(head.contains("content-type: text/css"), "{head}");
    let (status, head, body) = get(addr, "/app/settings/profile").await;
    assert_eq!((status, body.as_str()), (200, "the app"), "the SPA rewrite for a missing path");
    assert!(head.contains("content-type: text/html"), "{head}");
    let (status, head, _) = get(addr, "/old?x=1").await;
    assert_eq!(status, 301);
    assert!(head.contains("location: /new?x=1"), "{head}");
    let (status, _, body) = get(addr, "/api/users?page=2").await;
    assert_eq!((status, body.as_str()), (200, "GET /v1/users?page=2 HTTP/1.1"), "proxied");
}

#[tokio::test]
async fn the_axum_example_serves_assets_spa_redirects_and_proxies() {
    let dist = site("axum", upstream().await);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum_example::app(&dist);
    tokio::spawn(async move { axum::serve(listener, app).await });
    check_site(addr).await;
}

#[tokio::test]
async fn the_hyper_example_serves_assets_spa_redirects_and_proxies() {
    let dist = site("hyper", upstream().await);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(hyper_example::run(listener, hyper_example::service(&dist)));
    check_site(addr).await;
}
