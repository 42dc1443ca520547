//! Issue 10, item 1, over a real socket: on the ordinary rule
//! `/news/:year/:month/:day /archive/:year/:month/:day 301`, captures holding `:month`/`:day`
//! text grew the `Location` cubically (a 4.4 KB URL gave 64 MB; 11 KB aborted the process).
//! SPEC §4 bounds `to` at 16 KiB: the answer is `414 URI Too Long`, and the server stays up.

use std::net::SocketAddr;

use detour_cli::serve::{serve, ServeOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn start_site() -> SocketAddr {
    let dir = std::env::temp_dir().join(format!("detour-target-bound-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("_redirects"), "/news/:year/:month/:day /archive/:year/:month/:day 301\n").unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(dir, listener, ServeOptions::default()));
    addr
}

/// Sends one raw GET and returns the status code and the whole response's length.
async fn get(addr: SocketAddr, path: &str) -> (u16, usize) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let status = std::str::from_utf8(response.get(9..12).unwrap_or_default()).unwrap_or("0").parse().unwrap_or(0);
    (status, response.len())
}

#[tokio::test]
async fn a_cubically_growing_target_is_a_414_and_the_server_stays_up() {
    let addr = start_site().await;
    for repeat in [150, 440, 1100] {
        let growth = ":month:day".repeat(repeat);
        let path = format!("/news/{growth}/{growth}/{growth}");
        let (status, len) = get(addr, &path).await;
        assert_eq!(status, 414, "a {} byte URL", path.len());
        assert!(len < 4096, "a 414 of {len} bytes");
    }
    let (status, _) = get(addr, "/news/2024/05/01").await;
    assert_eq!(status, 301, "the server still answers");
}
