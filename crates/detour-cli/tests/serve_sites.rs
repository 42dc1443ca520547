//! `detour serve --sites` over real sockets on 127.0.0.1: sites compiled by `compile --sites`,
//! routed by Host (primary hosts and aliases in any spelling), an unknown host, the `--origin`
//! fallback to a local upstream (the client's Host kept), a corrupt blob answering 503 while
//! every other site serves, and a corrupt redeploy that leaves the site's rules serving.

mod server;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use detour_cli::serve::{serve_sites, SitesOptions};
use server::{echo_upstream, exchange, Reply};
use tokio::net::TcpListener;

/// SITES with three sites, compiled into OUT, plus a corrupt blob for `broken.example`.
fn compiled_sites(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("detour-serve-sites-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for (site, file, text) in [
        ("a.example", "_redirects", "/old /new 301\n/shop/* /store/:splat 302\n"),
        ("a.example", "aliases", "www.a.example\nxn--bcher-kva.example\n"),
        ("b.example", "netlify.toml", "[[redirects]]\nfrom = \"/b-only\"\nto = \"/b-target\"\nstatus = 308\n"),
        ("c.example", "_redirects", "/old /c-new 302\n"),
    ] {
        let dir = root.join("sites").join(site);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(file), text).unwrap();
    }
    let out = root.join("out");
    detour_cli::compile_sites::compile_sites(&root.join("sites"), &out, false).unwrap();
    std::fs::write(out.join("broken.example.detour"), b"DETOUR\0\x1a but not a blob").unwrap();
    out
}

async fn start(out: &Path, origin: Option<String>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut options = SitesOptions { origin, ..SitesOptions::default() };
    options.registry.poll_interval = Duration::from_millis(100);
    tokio::spawn(serve_sites(out.to_path_buf(), listener, options));
    addr
}

async fn get(addr: SocketAddr, host: &str, path: &str) -> Reply {
    exchange(addr, &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")).await
}

#[tokio::test]
async fn sites_are_routed_by_host_and_the_rest_goes_to_the_origin() {
    let out = compiled_sites("origin");
    let upstream = echo_upstream().await;
    let addr = start(&out, Some(format!("http://{upstream}"))).await;
    for host in ["a.example", "WWW.A.example:8080", "a.example.", "xn--bcher-kva.example"] {
        let reply = get(addr, host, "/old?x=1").await;
        assert_eq!((reply.status, reply.header("location")), (301, Some("/new?x=1")), "{host}");
    }
    assert_eq!(get(addr, "c.example", "/old").await.header("location"), Some("/c-new"));
    let reply = get(addr, "b.example", "/b-only").await;
    assert_eq!((reply.status, reply.header("location")), (308, Some("/b-target")));
    // b has no rule for /old: the origin gets it, with b's Host.
    let reply = get(addr, "b.example", "/old?q=2").await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(reply.body.starts_with("GET /old?q=2\n"), "{}", reply.body);
    assert!(reply.body.contains("host: b.example\n"), "{}", reply.body);
    // A host no site claims has no rules: to the origin as well.
    let reply = get(addr, "unknown.example", "/old").await;
    assert!(reply.body.contains("host: unknown.example\n"), "{}", reply.body);
    // The corrupt blob's site answers 503, alone.
    let reply = get(addr, "broken.example", "/old").await;
    assert_eq!(reply.status, 503, "{reply:?}");
    assert_eq!(get(addr, "a.example", "/shop/x").await.header("location"), Some("/store/x"));
}

#[tokio::test]
async fn without_an_origin_unhandled_requests_are_404_and_a_bad_redeploy_keeps_the_rules() {
    let out = compiled_sites("no-origin");
    let addr = start(&out, None).await;
    assert_eq!(get(addr, "a.example", "/old").await.status, 301);
    assert_eq!(get(addr, "a.example", "/nothing-here").await.status, 404);
    assert_eq!(get(addr, "unknown.example", "/old").await.status, 404);
    assert_eq!(get(addr, "bücher.example", "/old").await.status, 404, "a raw UTF-8 host is unknown");
    assert_eq!(get(addr, "broken.example", "/old").await.status, 503);
    // A corrupt blob renamed over a's, then a new rule for c: once c's is served, the watcher
    // has looked at a's too.
    let corrupt = out.join(".a.tmp");
    std::fs::write(&corrupt, b"not a blob").unwrap();
    std::fs::rename(&corrupt, out.join("a.example.detour")).unwrap();
    let (sites, next) = (out.parent().unwrap().join("sites"), out.parent().unwrap().join("next"));
    std::fs::write(sites.join("c.example/_redirects"), "/old /c-newer 302\n").unwrap();
    detour_cli::compile_sites::compile_sites(&sites, &next, false).unwrap();
    std::fs::rename(next.join("c.example.detour"), out.join("c.example.detour")).unwrap();
    let mut served = false;
    for _ in 0..500 {
        if get(addr, "c.example", "/old").await.header("location") == Some("/c-newer") {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(served, "c's new rules were never served");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reply = get(addr, "a.example", "/old").await;
    assert_eq!((reply.status, reply.header("location")), (301, Some("/new")), "a keeps its rules");
}
