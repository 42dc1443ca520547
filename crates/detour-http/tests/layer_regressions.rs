//! Regression tests for what the tester found while trying to break issue 16 (branch `break`).

#[allow(dead_code)]
#[path = "../examples/axum.rs"]
mod axum_example;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// `DetourLayer::with_static_dir`: a request for an existing file with a trailing slash
/// (`/app/style.css/`) counts as "a file exists", so the unforced SPA rule is skipped; then
/// `ServeDir` finds no such file and answers an empty 404. The SPA rewrite (or the file) was due.
#[tokio::test]
async fn layer_file_with_trailing_slash_skips_spa_rule_and_answers_empty_404() {
    let dist = std::env::temp_dir().join(format!("detour-break-layer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dist);
    std::fs::create_dir_all(dist.join("app")).unwrap();
    std::fs::write(dist.join("app/index.html"), "the app").unwrap();
    std::fs::write(dist.join("app/style.css"), "css").unwrap();
    std::fs::write(dist.join("_redirects"), "/app/* /app/index.html 200\n").unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum_example::app(&dist);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        stream.write_all(b"GET /app/style.css/ HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n").await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(Duration::from_secs(10), exchange).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    assert!(head.starts_with("HTTP/1.1 200") && (body == "the app" || body == "css"), "{text}");
}

/// The layer sends a rule's status 101 as `101 Switching Protocols` with the page's headers;
/// the connection is then dead (curl: "Empty reply from server"). `detour check` says such a
/// rule is answered 500 (as status 100 is).
#[tokio::test]
async fn layer_status_101_sent_as_switching_protocols() {
    let dist = std::env::temp_dir().join(format!("detour-break-layer-101-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dist);
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("page.html"), "page").unwrap();
    std::fs::write(dist.join("_redirects"), "/s101 /page.html 101\n").unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum_example::app(&dist);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        stream.write_all(b"GET /s101 HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n").await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(Duration::from_secs(10), exchange).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    assert!(text.starts_with("HTTP/1.1 500"), "{text}");
}
