//! `detour serve` over real sockets on 127.0.0.1: redirects, rewrites, proxy to a local upstream,
//! shadowing forced and unforced, custom 404, role denial, country and language, reload.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use detour_cli::serve::{serve, ServeOptions};
use http::{Request, Response};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

fn site_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("detour-site-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, body) in [
        ("index.html", "home"),
        ("404.html", "custom not found"),
        ("page/index.html", "the page file"),
        ("forced/index.html", "forced file"),
        ("app/index.html", "the app"),
        ("gone.html", "gone page"),
        ("fr/index.html", "bonjour"),
        ("new-page/index.html", "new page"),
    ] {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    dir
}

/// An upstream that echoes the request: method, path and query, chosen headers, body.
async fn upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(|req: Request<Incoming>| async move {
                    let (parts, body) = req.into_parts();
                    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                    let header =
                        |n: &str| parts.headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("-").to_string();
                    let text = format!(
                        "{} {} x-from={} signed={} body={}",
                        parts.method,
                        parts.uri,
                        header("x-from"),
                        parts.headers.contains_key("x-nf-sign"),
                        String::from_utf8_lossy(&body)
                    );
                    Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from(text))))
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
            });
        }
    });
    addr
}

async fn start(dir: &Path, options: ServeOptions) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(dir.to_path_buf(), listener, options));
    addr
}

struct Reply {
    status: u16,
    location: Option<String>,
    body: String,
}

async fn send(req: Request<Full<Bytes>>) -> Reply {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let resp = client.request(req).await.expect("request");
    let status = resp.status().as_u16();
    let location = resp.headers().get("location").map(|v| v.to_str().unwrap().to_string());
    let body = String::from_utf8_lossy(&resp.into_body().collect().await.unwrap().to_bytes()).into_owned();
    Reply { status, location, body }
}

async fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut b = Request::get(format!("http://{addr}{path}"));
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    send(b.body(Full::new(Bytes::new())).unwrap()).await
}

fn rules(up: SocketAddr) -> String {
    format!(
        "/old /new-page 301\n\
         /page /elsewhere 302\n\
         /forced /elsewhere 302!\n\
         /app/* /app/index.html 200\n\
         /proxy/* http://{up}/up/:splat 200 Sign=DETOUR_TEST_SIGNING_SECRET\n\
         /gone /gone.html 410\n\
         /admin/* /admin/:splat 200! Role=admin\n\
         / /fr/ 302! Language=fr\n\
         / /de/ 302! Country=de\n\
         /tls/* https://{up}/tls/:splat 200\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_a_site_with_its_rules() {
    // The signing secret of the proxy rule, read from the environment as in production.
    std::env::set_var("DETOUR_TEST_SIGNING_SECRET", "s3cret");
    let up = upstream().await;
    let dir = site_dir("rules");
    std::fs::write(dir.join("_redirects"), rules(up)).unwrap();
    std::fs::write(
        dir.join("netlify.toml"),
        format!("[[redirects]]\nfrom = \"/headers/*\"\nto = \"http://{up}/h/:splat\"\nstatus = 200\nheaders = {{ X-From = \"detour\" }}\n"),
    )
    .unwrap();
    let addr = start(&dir, ServeOptions::default()).await;

    let r = get(addr, "/old?x=1", &[]).await;
    assert_eq!((r.status, r.location.as_deref()), (301, Some("/new-page?x=1")));
    // `ServeDir` redirects `/page` to `/page/` itself; the rule `/page` matches both.
    let r = get(addr, "/page/", &[]).await;
    assert_eq!((r.status, r.body.as_str()), (200, "the page file"), "an unforced rule is shadowed by the file");
    let r = get(addr, "/forced/", &[]).await;
    assert_eq!((r.status, r.location.as_deref()), (302, Some("/elsewhere")), "a forced rule applies over the file");
    let r = get(addr, "/app/settings/profile", &[]).await;
    assert_eq!((r.status, r.body.as_str()), (200, "the app"), "rewrite");
    let r = get(addr, "/gone", &[]).await;
    assert_eq!((r.status, r.body.as_str()), (410, "gone page"), "status page");
    let r = get(addr, "/nothing/here", &[]).await;
    assert_eq!((r.status, r.body.as_str()), (404, "custom not found"));
    let r = get(addr, "/admin/panel", &[]).await;
    assert_eq!((r.status, r.body.as_str()), (404, "custom not found"), "role denied");
    let r = get(addr, "/", &[("accept-language", "fr-CH, en;q=0.5")]).await;
    assert_eq!((r.status, r.location.as_deref()), (302, Some("/fr/")));
    let r = get(addr, "/", &[("x-country", "DE")]).await;
    assert_eq!((r.status, r.location.as_deref()), (302, Some("/de/")));
    let r = get(addr, "/", &[("x-country", "us"), ("cookie", "nf_country=de")]).await;
    assert_eq!(r.location.as_deref(), Some("/de/"), "nf_country overrides the header");
    let r = get(addr, "/", &[]).await;
    assert_eq!((r.status, r.body.as_str()), (200, "home"));

    let post = Request::post(format!("http://{addr}/proxy/a/b?q=1")).body(Full::new(Bytes::from("payload"))).unwrap();
    let r = send(post).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "POST /up/a/b?q=1 x-from=- signed=true body=payload");
    let r = get(addr, "/headers/x", &[]).await;
    assert_eq!(r.body, "GET /h/x x-from=detour signed=false body=");
    // An https:// target goes through TLS: this upstream speaks plain HTTP, so the handshake fails.
    let r = get(addr, "/tls/x", &[]).await;
    assert_eq!((r.status, r.body.as_str()), (502, "upstream unreachable\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

async fn eventually(addr: SocketAddr, path: &str, want: Option<&str>) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if get(addr, path, &[]).await.location.as_deref() == want {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_on_change_and_keeps_old_rules_when_new_ones_are_bad() {
    let dir = site_dir("reload");
    std::fs::write(dir.join("_redirects"), "/r /one 302\n").unwrap();
    let options = ServeOptions { reload_interval: Duration::from_millis(50), ..ServeOptions::default() };
    let addr = start(&dir, options).await;
    assert_eq!(get(addr, "/r", &[]).await.location.as_deref(), Some("/one"));
    std::fs::write(dir.join("_redirects"), "/r /two 302\n# a longer file\n").unwrap();
    assert!(eventually(addr, "/r", Some("/two")).await, "the new rules are swapped in");
    std::fs::write(dir.join("_redirects"), "/r /three 30x\n/other /x\n").unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(get(addr, "/r", &[]).await.location.as_deref(), Some("/two"), "bad rules leave the old ones serving");
    std::fs::write(dir.join("_redirects"), "/r /four 302\n").unwrap();
    assert!(eventually(addr, "/r", Some("/four")).await);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_files_without_rules() {
    let dir = site_dir("plain");
    std::fs::write(dir.join("_redirects"), "/old /new-page 301\n").unwrap();
    let addr = start(&dir, ServeOptions { no_rules: true, ..ServeOptions::default() }).await;
    let r = get(addr, "/old", &[]).await;
    assert_eq!((r.status, r.body.as_str()), (404, "custom not found"));
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let resp = client.get(format!("http://{addr}/new-page/").parse().unwrap()).await.unwrap();
    assert_eq!(resp.status(), 200);
    let _ = std::fs::remove_dir_all(&dir);
}
