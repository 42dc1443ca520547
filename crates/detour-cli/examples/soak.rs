//! The `serve` soak of `cargo xtask load --soak`: good clients that check every answer, and in
//! `soak` mode hostile clients, slow-loris clients and a deploy by atomic rename every second,
//! all at once against one `detour serve` of a copy of the demo site. Prints one JSON line.
//! Loopback only.
//!
//! `soak ADDR SECONDS SITE_DIR quiet|soak`

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Good requests on the demo site and their one right answer: status and `Location`.
const GOOD: [(&str, u16, Option<&str>); 8] = [
    ("/", 200, None),
    ("/old-page", 301, Some("/new-page/")),
    ("/blog/2024/hello", 301, Some("/news/2024/hello.html")),
    ("/store?id=42", 302, Some("/products/42?id=42")),
    ("/gone", 410, None),
    ("/app/settings", 200, None),
    ("/admin/panel", 404, None),
    ("/nothing/here", 404, None),
];

const GOOD_CONNECTIONS: usize = 8;
const HOSTILE_CLIENTS: usize = 4;
const SLOW_CLIENTS: usize = 64;

#[derive(Default)]
struct Counters {
    good: AtomicU64,
    wrong: AtomicU64,
    errors: AtomicU64,
    hostile: AtomicU64,
    hostile_unanswered: AtomicU64,
    slow_cut_off: AtomicU64,
    reloads: AtomicU64,
    reloads_live: AtomicU64,
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: soak ADDR SECONDS SITE_DIR quiet|soak";
    let addr: SocketAddr = args.first().and_then(|a| a.parse().ok()).expect(usage);
    assert!(addr.ip().is_loopback(), "the soak targets loopback addresses only");
    let seconds: u64 = args.get(1).and_then(|a| a.parse().ok()).expect(usage);
    let site = PathBuf::from(args.get(2).expect(usage));
    let soak = match args.get(3).map(String::as_str) {
        Some("quiet") => false,
        Some("soak") => true,
        _ => panic!("{usage}"),
    };
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let counters = Arc::new(Counters::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut others = Vec::new();
    if soak {
        for i in 0..HOSTILE_CLIENTS {
            others.push(tokio::spawn(hostile(addr, i, Arc::clone(&counters), Arc::clone(&stop))));
        }
        for _ in 0..SLOW_CLIENTS {
            others.push(tokio::spawn(slow(addr, Arc::clone(&counters), Arc::clone(&stop))));
        }
        others.push(tokio::spawn(deploy_every_second(addr, site, Arc::clone(&counters), Arc::clone(&stop))));
    }
    let good: Vec<_> =
        (0..GOOD_CONNECTIONS).map(|c| tokio::spawn(good_client(addr, c, deadline, Arc::clone(&counters)))).collect();
    let mut latencies = Vec::new();
    for g in good {
        latencies.extend(g.await.expect("good client"));
    }
    stop.store(true, Ordering::Relaxed);
    for o in others {
        o.abort();
    }
    report(&mut latencies, &counters, seconds);
}

fn report(latencies: &mut [u64], c: &Counters, seconds: u64) {
    latencies.sort_unstable();
    let pct = |p: f64| latencies.get(((latencies.len() as f64 - 1.0) * p) as usize).copied().unwrap_or(0);
    let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
    println!(
        "{{\"good\": {}, \"wrong\": {}, \"errors\": {}, \"rps\": {:.0}, \"p50_us\": {}, \"p99_us\": {}, \
         \"hostile\": {}, \"hostile_unanswered\": {}, \"slow_cut_off\": {}, \"reloads\": {}, \"reloads_live\": {}}}",
        n(&c.good),
        n(&c.wrong),
        n(&c.errors),
        n(&c.good) as f64 / seconds as f64,
        pct(0.50),
        pct(0.99),
        n(&c.hostile),
        n(&c.hostile_unanswered),
        n(&c.slow_cut_off),
        n(&c.reloads),
        n(&c.reloads_live)
    );
}

/// One keep-alive connection sending the good requests in turn; every answer is checked.
async fn good_client(addr: SocketAddr, c: usize, deadline: Instant, counters: Arc<Counters>) -> Vec<u64> {
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.set_nodelay(true);
    let client: Client<_, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).pool_max_idle_per_host(1).build(connector);
    let mut latencies = Vec::new();
    let mut i = c;
    while Instant::now() < deadline {
        let (path, status, location) = GOOD[i % GOOD.len()];
        i += 1;
        let uri = format!("http://{addr}{path}").parse().expect("uri");
        let start = Instant::now();
        let answer = match client.get(uri).await {
            Ok(resp) => {
                let got = (resp.status().as_u16(), resp.headers().get("location").cloned());
                resp.into_body().collect().await.map(|_| got)
            }
            Err(_) => {
                counters.errors.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        let Ok((got_status, got_location)) = answer else {
            counters.errors.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        latencies.push(start.elapsed().as_micros() as u64);
        let right = got_status == status && got_location.as_ref().map(|l| l.as_bytes()) == location.map(str::as_bytes);
        if right {
            counters.good.fetch_add(1, Ordering::Relaxed);
        } else {
            eprintln!("soak: wrong answer to {path}: {got_status} {got_location:?}");
            counters.wrong.fetch_add(1, Ordering::Relaxed);
        }
    }
    latencies
}

/// Requests a careful server must refuse or answer narrowly, each on its own connection.
fn hostile_requests() -> Vec<Vec<u8>> {
    let long = "/x".repeat(10_000);
    [
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n".to_string(),
        "GET //admin/panel HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".to_string(),
        "GET /%2e/admin/panel HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".to_string(),
        "GET /.env HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".to_string(),
        "GET /netlify.toml HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".to_string(),
        "GET https://evil.test/old-page HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".to_string(),
        format!("GET {long} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
        format!("GET /{} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "n".repeat(300)),
        "\x00\x01GARBAGE \r\n\r\n".to_string(),
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_string(),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect()
}

/// One request on its own connection; the answer is read until the server closes.
async fn exchange(addr: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(request).await?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).await?;
    Ok(answer)
}

async fn hostile(addr: SocketAddr, i: usize, counters: Arc<Counters>, stop: Arc<AtomicBool>) {
    let requests = hostile_requests();
    let mut k = i;
    while !stop.load(Ordering::Relaxed) {
        let request = &requests[k % requests.len()];
        k += 1;
        match tokio::time::timeout(Duration::from_secs(5), exchange(addr, request)).await {
            Ok(Ok(answer)) if answer.starts_with(b"HTTP/1.1 ") => counters.hostile.fetch_add(1, Ordering::Relaxed),
            _ => counters.hostile_unanswered.fetch_add(1, Ordering::Relaxed),
        };
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// A slow-loris client: headers one byte every 200 ms, reconnecting when cut off.
async fn slow(addr: SocketAddr, counters: Arc<Counters>, stop: Arc<AtomicBool>) {
    let request =
        b"GET / HTTP/1.1\r\nHost: a\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut s) = TcpStream::connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        for byte in request.iter().cycle() {
            if stop.load(Ordering::Relaxed) || s.write_all(&[*byte]).await.is_err() {
                break;
            }
            let mut probe = [0u8; 64];
            match tokio::time::timeout(Duration::from_millis(200), s.read(&mut probe)).await {
                Err(_) => {}
                Ok(_) => break,
            }
        }
        counters.slow_cut_off.fetch_add(1, Ordering::Relaxed);
    }
}

/// Deploys `_redirects` by writing a temporary file and renaming it over the old one, once a
/// second; the two versions answer the good requests alike.
async fn deploy_every_second(addr: SocketAddr, site: PathBuf, counters: Arc<Counters>, stop: Arc<AtomicBool>) {
    let original = std::fs::read_to_string(site.join("_redirects")).expect("the site's _redirects");
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        n += 1;
        let text = format!("{original}\n# deploy {n}\n/soak-{n} /soak-target-{n} 301\n");
        let tmp = site.join(".redirects.soak-tmp");
        if std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, site.join("_redirects"))).is_ok() {
            counters.reloads.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(count_when_live(addr, n, Arc::clone(&counters)));
        }
    }
}

/// Counts deploy `n` as live once its own rule answers (within 5 s).
async fn count_when_live(addr: SocketAddr, n: u64, counters: Arc<Counters>) {
    let request = format!("GET /soak-{n} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    let want = format!("location: /soak-target-{n}\r\n");
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Ok(answer)) = tokio::time::timeout(Duration::from_secs(2), exchange(addr, request.as_bytes())).await {
            if String::from_utf8_lossy(&answer).contains(&want) {
                counters.reloads_live.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
