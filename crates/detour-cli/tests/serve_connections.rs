//! Issue 10, item 3, over real sockets: slow and silent clients are cut off by the header-read
//! and idle timeouts, and connections over the cap wait in the backlog (small limits, so the
//! tests stay fast).

mod server;

use std::time::Duration;

use detour_cli::serve::ServeOptions;
use detour_http::ConnectionLimits;
use server::{site, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn options(limits: ConnectionLimits) -> ServeOptions {
    ServeOptions { connections: limits, ..ServeOptions::default() }
}

/// True when the server closes the connection within 10 s (end of stream, a reset, or an
/// answer such as 408 followed by the end).
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    let read_to_end = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read_to_end).await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_loris_headers_are_cut_off_by_the_header_timeout() {
    let dir = site("slowloris", &[("index.html", "home")]);
    let limits = ConnectionLimits { header_read_timeout: Duration::from_secs(1), ..ConnectionLimits::default() };
    let addr = start(&dir, options(limits)).await;
    let mut loris = TcpStream::connect(addr).await.unwrap();
    loris.write_all(b"GET / HTTP/1.1\r\nHost: site.test\r\nX-a: ").await.unwrap();
    assert!(closed_by_server(&mut loris).await, "a client that never finishes its headers is cut off");
    assert_eq!(server::get(addr, "/", "").await.body, "home");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_are_closed_by_the_idle_timeout() {
    let dir = site("silent", &[("index.html", "home")]);
    let limits = ConnectionLimits {
        idle_timeout: Duration::from_secs(1),
        header_read_timeout: Duration::from_secs(60),
        ..ConnectionLimits::default()
    };
    let addr = start(&dir, options(limits)).await;
    let mut silent = TcpStream::connect(addr).await.unwrap();
    assert!(closed_by_server(&mut silent).await, "a connection that sends nothing is closed");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_wait_until_one_closes() {
    let dir = site("conncap", &[("index.html", "home")]);
    let limits = ConnectionLimits {
        max_connections: 4,
        header_read_timeout: Duration::from_secs(60),
        idle_timeout: Duration::from_secs(60),
    };
    let addr = start(&dir, options(limits)).await;
    let mut holders = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        holders.push(s);
    }
    let mut fifth = TcpStream::connect(addr).await.unwrap();
    fifth.write_all(b"GET / HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    let early = tokio::time::timeout(Duration::from_millis(500), fifth.read_to_end(&mut answer)).await;
    assert!(early.is_err(), "a fifth connection is not served while four are open: {answer:?}");
    drop(holders.pop());
    tokio::time::timeout(Duration::from_secs(10), fifth.read_to_end(&mut answer)).await.unwrap().unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer));
    let _ = std::fs::remove_dir_all(&dir);
}
