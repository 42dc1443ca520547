//! Regression tests for the tower layer, each named after the bug it caught (the tester's
//! findings on branch `break`, /work/notes/break-report.md bugs 1, 4 and 5).

#[allow(dead_code)]
#[path = "../examples/axum.rs"]
mod axum_example;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A fresh directory with these files.
fn dist(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dist = std::env::temp_dir().join(format!("detour-layer-regr-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dist);
    for (path, body) in files {
        let file = dist.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, body).unwrap();
    }
    dist
}

/// The axum example app over `dist` on a new loopback port.
async fn serve_example(dist: &std::path::Path) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum_example::app(dist);
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// Sends `request` (which says `Connection: close`) and reads the whole answer.
async fn exchange(addr: SocketAddr, request: &str) -> String {
    let io = async {
        let mut stream = TcpStream::connect(addr).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(Duration::from_secs(10), io).await.unwrap().unwrap();
    String::from_utf8_lossy(&raw).to_string()
}

/// `DetourLayer::with_static_dir`: a request for an existing file with a trailing slash
/// (`/app/style.css/`) counts as "a file exists", so the unforced SPA rule is skipped; then
/// `ServeDir` finds no such file and answers an empty 404. The SPA rewrite (or the file) was due.
#[tokio::test]
async fn layer_file_with_trailing_slash_skips_spa_rule_and_answers_empty_404() {
    let dist = dist(
        "trailing-slash",
        &[("app/index.html", "the app"), ("app/style.css", "css"), ("_redirects", "/app/* /app/index.html 200\n")],
    );
    let addr = serve_example(&dist).await;
    let text = exchange(addr, "GET /app/style.css/ HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n").await;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    assert!(head.starts_with("HTTP/1.1 200") && (body == "the app" || body == "css"), "{text}");
}

/// The layer sends a rule's status 101 as `101 Switching Protocols` with the page's headers;
/// the connection is then dead (curl: "Empty reply from server"). `detour check` says such a
/// rule is answered 500 (as status 100 is).
#[tokio::test]
async fn layer_status_101_sent_as_switching_protocols() {
    let dist = dist("101", &[("page.html", "page"), ("_redirects", "/s101 /page.html 101\n")]);
    let addr = serve_example(&dist).await;
    let text = exchange(addr, "GET /s101 HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n").await;
    assert!(text.starts_with("HTTP/1.1 500"), "{text}");
}

/// RFC 9110 §9.3.2: HEAD answers with GET's headers. With `/gone /gone.html 410` in front of
/// `ServeDir`, HEAD got the default page's `content-length` (the empty HEAD body was taken for
/// a missing page).
#[tokio::test]
async fn layer_head_of_status_page_describes_default_page() {
    let dist = dist("head-410", &[("gone.html", "gone page"), ("_redirects", "/gone /gone.html 410\n")]);
    let addr = serve_example(&dist).await;
    let get = exchange(addr, "GET /gone HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n").await;
    assert!(get.starts_with("HTTP/1.1 410") && get.ends_with("\r\n\r\ngone page"), "{get}");
    let head = exchange(addr, "HEAD /gone HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n").await;
    let length =
        head.lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string()));
    assert!(head.starts_with("HTTP/1.1 410") && length.as_deref() == Some("9"), "{head}");
}
