//! Issue 10 over real sockets on 127.0.0.1: proxy loops and the upstream cap, paths the file
//! service must not read differently from the matcher, hidden files, the JWT secret, and
//! hostile headers. Each test fails on the code before the fix.

mod server;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use detour_cli::serve::{serve, ServeOptions};
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use server::{exchange, get, site, start};
use tokio::net::TcpListener;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_loop_to_itself_answers_508_and_the_server_stays_up() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let dir = site("loop", &[("index.html", "home"), ("_redirects", &format!("/p/* http://{addr}/p/:splat 200\n"))]);
    tokio::spawn(serve(dir.clone(), listener, ServeOptions::default()));
    let r = get(addr, "/p/x", "").await;
    assert_eq!((r.status, r.body.as_str()), (508, "proxy loop detected\n"));
    let r = get(addr, "/", "").await;
    assert_eq!((r.status, r.body.as_str()), (200, "home"), "the server still answers");
    let _ = std::fs::remove_dir_all(&dir);
}

/// An upstream that holds every request until `release` is notified, counting arrivals.
async fn held_upstream(arrived: Arc<AtomicUsize>, release: Arc<tokio::sync::Notify>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (arrived, release) = (Arc::clone(&arrived), Arc::clone(&release));
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |_req: Request<Incoming>| {
                    let (arrived, release) = (Arc::clone(&arrived), Arc::clone(&release));
                    async move {
                        let waiting = release.notified();
                        arrived.fetch_add(1, Ordering::SeqCst);
                        waiting.await;
                        Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from("upstream"))))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxied_requests_over_the_upstream_cap_answer_503() {
    let (arrived, release) = (Arc::new(AtomicUsize::new(0)), Arc::new(tokio::sync::Notify::new()));
    let up = held_upstream(Arc::clone(&arrived), Arc::clone(&release)).await;
    let dir = site("cap", &[("_redirects", &format!("/up/* http://{up}/:splat 200\n"))]);
    let mut options = ServeOptions::default();
    options.layer.max_upstream_requests = 2;
    let addr = start(&dir, options).await;
    let held: Vec<_> = (0..2).map(|_| tokio::spawn(async move { get(addr, "/up/a", "").await })).collect();
    while arrived.load(Ordering::SeqCst) < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let third = tokio::time::timeout(Duration::from_secs(5), get(addr, "/up/b", "")).await;
    release.notify_waiters();
    let third = third.expect("the request over the cap must not wait for a free upstream slot");
    assert_eq!(third.status, 503);
    for h in held {
        assert_eq!(h.await.unwrap().body, "upstream");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_protected_and_hidden_files_are_not_served_under_other_spellings() {
    let dir = site(
        "spellings",
        &[
            ("index.html", "home"),
            ("404.html", "not found page"),
            ("admin/panel.html", "SECRET PANEL"),
            ("private/data.txt", "SECRET DATA"),
            ("_redirects", "/admin/* /admin/:splat 200! Role=admin\n/private/* /404.html 404!\n"),
        ],
    );
    let addr = start(&dir, ServeOptions::default()).await;
    for path in [
        "/admin/panel.html",
        "//admin/panel.html",
        "/./admin/panel.html",
        "/%2e/admin/panel.html",
        "/.%2fadmin/panel.html",
        "/.%2Fadmin/panel.html",
        "/x/../admin/panel.html",
        "/x/%2e%2e/admin/panel.html",
        "/admin//panel.html",
        "//private/data.txt",
        "/private/data.txt",
        "/./private/data.txt",
        "/%2fprivate/data.txt",
    ] {
        let r = get(addr, path, "").await;
        assert_eq!((r.status, r.body.as_str()), (404, "not found page"), "{path}");
    }
    assert_eq!(get(addr, "/", "").await.body, "home");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_files_and_dot_files_are_not_served_unless_asked() {
    let files = [
        ("index.html", "home"),
        ("404.html", "not found page"),
        ("_redirects", "/old /new 301\n"),
        ("netlify.toml", "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\n[redirects.headers]\nX-Api-Key = \"k\"\n"),
        (".env", "API_KEY=secret"),
        (".git/config", "[remote]"),
        ("docs/.draft.html", "draft"),
        (".well-known/security.txt", "contact"),
    ];
    let dir = site("hidden", &files);
    let addr = start(&dir, ServeOptions::default()).await;
    for path in ["/_redirects", "/netlify.toml", "/.env", "/.git/config", "/.git/", "/docs/.draft.html", "/%2eenv"] {
        let r = get(addr, path, "").await;
        assert_eq!((r.status, r.body.as_str()), (404, "not found page"), "{path}");
    }
    assert_eq!(get(addr, "/.well-known/security.txt", "").await.body, "contact", "RFC 8615 paths are served");
    let mut options = ServeOptions::default();
    options.files.serve_hidden = true;
    let open = start(&dir, options).await;
    assert_eq!(get(open, "/.env", "").await.body, "API_KEY=secret", "--serve-hidden serves them");
    assert_eq!(get(open, "/_redirects", "").await.body, "/old /new 301\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_or_short_jwt_secret_is_refused() {
    let dir = site("jwt", &[("index.html", "home"), ("_redirects", "/admin/* /admin/:splat 200! Role=admin\n")]);
    for secret in ["", "short-secret"] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut options = ServeOptions::default();
        options.match_options.jwt_secret = Some(secret.as_bytes().to_vec());
        let ended = tokio::time::timeout(Duration::from_secs(10), serve(dir.clone(), listener, options)).await;
        let err = ended.expect("serve must refuse the secret at once").expect_err("serve must fail");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
        assert!(err.to_string().contains("JWT secret"), "{err}");
        assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "nothing listens");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_host_is_a_400() {
    let dir = site("dup-host", &[("index.html", "home"), ("_redirects", "http://a.test/x /from-a 302\n")]);
    let addr = start(&dir, ServeOptions::default()).await;
    let r = exchange(addr, "GET /x HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\nConnection: close\r\n\r\n").await;
    assert_eq!(r.status, 400);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absolute_form_authority_wins_over_host_and_the_scheme_is_the_listeners() {
    let rules = "http://a.test/x /from-a 302\nhttp://b.test/x /from-b 302\nhttps://a.test/s /secure 302\n";
    let dir = site("absolute", &[("index.html", "home"), ("_redirects", rules)]);
    let addr = start(&dir, ServeOptions::default()).await;
    let r = exchange(addr, "GET http://a.test/x HTTP/1.1\r\nHost: b.test\r\nConnection: close\r\n\r\n").await;
    assert_eq!((r.status, r.header("location")), (302, Some("/from-a")));
    let r = exchange(addr, "GET https://a.test/s HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n").await;
    assert_eq!(r.status, 404, "a plain-HTTP listener does not match https:// rules, whatever the client claims");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxying_drops_client_signature_hop_headers_and_the_jwt_cookie() {
    let up = server::echo_upstream().await;
    let dir = site("forward", &[("_redirects", &format!("/up/* http://{up}/:splat 200\n"))]);
    let addr = start(&dir, ServeOptions::default()).await;
    let headers = "x-nf-sign: forged\r\nx-hop: 1\r\nte: trailers\r\nkeep-alive: timeout=5\r\n\
                   cookie: a=1; nf_jwt=role.token.sig; b=2\r\nx-kept: yes\r\nConnection: x-hop\r\n";
    let r = get(addr, "/up/path", headers).await;
    assert_eq!(r.status, 200, "{r:?}");
    let seen = r.body.to_lowercase();
    assert!(seen.starts_with("get /path\n"), "{seen}");
    assert!(seen.contains("x-kept: yes\n"), "{seen}");
    assert!(seen.contains("cookie: a=1; b=2\n"), "{seen}");
    assert!(seen.contains(&format!("host: {up}\n")), "{seen}");
    assert!(seen.contains("via: 1.1 detour-"), "{seen}");
    for gone in ["x-nf-sign", "x-hop", "te:", "keep-alive", "nf_jwt"] {
        assert!(!seen.contains(gone), "{gone} reached the upstream: {seen}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_segment_over_the_name_limit_is_a_404() {
    let dir = site("long-name", &[("index.html", "home"), ("404.html", "not found page")]);
    let addr = start(&dir, ServeOptions::default()).await;
    for path in [format!("/{}", "a".repeat(300)), format!("/d/{}.html", "%61".repeat(300)), "/a".repeat(3000)] {
        let r = get(addr, &path, "").await;
        assert_eq!((r.status, r.body.as_str()), (404, "not found page"), "{} bytes", path.len());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
