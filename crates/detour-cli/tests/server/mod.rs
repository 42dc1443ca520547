//! Helpers of the socket tests: a site on disk, `serve` on 127.0.0.1, raw HTTP/1.1 exchanges
//! (the path is sent exactly as written), and an upstream that reports what it received.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use detour_cli::serve::{serve, ServeOptions};
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A fresh site directory with these files.
pub fn site(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("detour-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, body) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    dir
}

/// `serve` on a new loopback port.
pub async fn start(dir: &Path, options: ServeOptions) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(dir.to_path_buf(), listener, options));
    addr
}

/// Writes `content` to a temporary file and renames it over `path`: how rules are deployed.
pub fn deploy(path: &Path, content: &str) {
    let tmp = path.with_extension("tmp-deploy");
    std::fs::write(&tmp, content).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// An answer read off the wire.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Sends `request` as written on a new connection and reads the answer until the server
/// closes (the request should say `Connection: close`). Panics after 10 s.
pub async fn exchange(addr: SocketAddr, request: &str) -> Reply {
    let io = async {
        let mut stream = TcpStream::connect(addr).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(Duration::from_secs(10), io).await.expect("no answer within 10 s").expect("io");
    parse(&raw)
}

fn parse(raw: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Reply { status, head: head.to_string(), body: body.to_string() }
}

/// `GET path` with extra header lines (each ending in `\r\n`).
pub async fn get(addr: SocketAddr, path: &str, headers: &str) -> Reply {
    exchange(addr, &format!("GET {path} HTTP/1.1\r\nHost: site.test\r\n{headers}Connection: close\r\n\r\n")).await
}

/// An upstream that answers every request with its request line and headers, one per line.
pub async fn echo_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(|req: Request<Incoming>| async move {
                    let mut text = format!("{} {}\n", req.method(), req.uri());
                    for (k, v) in req.headers() {
                        text.push_str(&format!("{k}: {}\n", String::from_utf8_lossy(v.as_bytes())));
                    }
                    let _ = req.into_body().collect().await;
                    Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from(text))))
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
            });
        }
    });
    addr
}

/// `GET path` over HTTP/2 without TLS (prior knowledge, as `curl --http2-prior-knowledge`),
/// each of `cookies` in a `cookie` header field of its own, as HTTP/2 clients send them.
/// Returns the status, the `location` header and the response's HTTP version.
pub async fn h2_get(addr: SocketAddr, path: &str, cookies: &[&str]) -> (u16, Option<String>, http::Version) {
    let exchange = async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) =
            hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), TokioIo::new(stream))
                .await
                .unwrap();
        tokio::spawn(conn);
        let mut req = Request::get(format!("http://site.test{path}"));
        for cookie in cookies {
            req = req.header(http::header::COOKIE, *cookie);
        }
        let resp = sender.send_request(req.body(http_body_util::Empty::<Bytes>::new()).unwrap()).await.unwrap();
        let location = resp.headers().get("location").map(|v| v.to_str().unwrap().to_string());
        (resp.status().as_u16(), location, resp.version())
    };
    tokio::time::timeout(Duration::from_secs(10), exchange).await.expect("no HTTP/2 answer within 10 s")
}

/// Asks `path` until its answer (head or body) contains `wanted`, for up to 20 s (a reload is
/// asynchronous); true when it did.
pub async fn eventually_answers(addr: SocketAddr, path: &str, wanted: &str) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        let r = get(addr, path, "").await;
        if r.head.contains(wanted) || r.body.contains(wanted) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    false
}
