//! A bounded load generator for `cargo xtask load`: N keep-alive connections send GETs for the
//! given paths to one address for S seconds; prints one JSON line with requests per second and
//! latency percentiles. Loopback only.
//!
//! `load ADDR SECONDS CONNECTIONS PATH...`

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: load ADDR SECONDS CONNECTIONS PATH...";
    let addr: std::net::SocketAddr = args.first().and_then(|a| a.parse().ok()).expect(usage);
    assert!(addr.ip().is_loopback(), "load targets loopback addresses only");
    let seconds: u64 = args.get(1).and_then(|a| a.parse().ok()).expect(usage);
    let connections: usize = args.get(2).and_then(|a| a.parse().ok()).expect(usage);
    let paths: Vec<String> = args[3..].to_vec();
    assert!(!paths.is_empty(), "{usage}");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..connections {
        let paths = paths.clone();
        tasks.push(tokio::spawn(async move {
            // One client per task, one pooled connection each: N concurrent connections.
            let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
            connector.set_nodelay(true);
            let client: Client<_, Empty<Bytes>> =
                Client::builder(TokioExecutor::new()).pool_max_idle_per_host(1).build(connector);
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut i = c;
            while Instant::now() < deadline {
                let uri = format!("http://{addr}{}", paths[i % paths.len()]).parse().expect("uri");
                i += 1;
                let start = Instant::now();
                match client.get(uri).await {
                    Ok(resp) => {
                        let ok = resp.into_body().collect().await.is_ok();
                        if ok {
                            latencies.push(start.elapsed().as_micros() as u64);
                        } else {
                            errors += 1;
                        }
                    }
                    Err(_) => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.expect("task");
        all.extend(l);
        errors += e;
    }
    all.sort_unstable();
    let pct = |p: f64| all.get(((all.len() as f64 - 1.0) * p) as usize).copied().unwrap_or(0);
    println!(
        "{{\"requests\": {}, \"errors\": {errors}, \"rps\": {:.0}, \"p50_us\": {}, \"p99_us\": {}}}",
        all.len(),
        all.len() as f64 / seconds as f64,
        pct(0.50),
        pct(0.99)
    );
}
