//! `detour serve` as a Netlify preview (issue 16): pretty URLs, `[build] publish`, a simulated
//! visitor (`--country`, `--language`), and reloads woken by file-system events or by polling.

mod server;

use std::time::Duration;

use detour_cli::serve::ServeOptions;
use http::HeaderValue;
use server::{deploy, eventually_answers, get, site, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pretty_urls_serve_page_html_and_directory_indexes() {
    let dir = site(
        "pretty",
        &[
            ("_redirects", "/team /elsewhere 302\n/missing /found 302\n/gone /gone.html 410\n"),
            ("team.html", "team page"),
            ("gone.html", "gone page"),
            ("about.html", "about page"),
            ("docs/index.html", "docs index"),
            ("both.html", "both page"),
            ("both/index.html", "both index"),
            ("café.html", "café page"),
        ],
    );
    let addr = start(&dir, ServeOptions::default()).await;
    let r = get(addr, "/about", "").await;
    assert_eq!((r.status, r.body.as_str()), (200, "about page"), "about.html");
    assert!(r.header("content-type").is_some_and(|t| t.starts_with("text/html")), "{r:?}");
    assert_eq!(get(addr, "/about?x=1", "").await.body, "about page");
    assert_eq!(get(addr, "/docs/", "").await.body, "docs index");
    assert_eq!(get(addr, "/both", "").await.body, "both page", "the .html page before the directory");
    assert_eq!(get(addr, "/both/", "").await.body, "both index");
    assert_eq!(get(addr, "/caf%C3%A9", "").await.body, "café page");
    assert_eq!(get(addr, "/about.html", "").await.body, "about page");
    let r = get(addr, "/missing", "").await;
    assert_eq!((r.status, r.header("location")), (302, Some("/found")), "no page: the rule applies");
    assert_eq!(get(addr, "/about/", "").await.status, 404, "a trailing slash asks for a directory");
    // A pretty URL's page is the file service's fallback: it shadows no rule, so the
    // status-page idiom `/gone /gone.html 410` keeps working.
    let r = get(addr, "/team", "").await;
    assert_eq!((r.status, r.header("location")), (302, Some("/elsewhere")), "the rule, not team.html");
    let r = get(addr, "/gone", "").await;
    assert_eq!((r.status, r.body.as_str()), (410, "gone page"));

    let plain = ServeOptions { files: detour_http::FilePolicy::default(), ..ServeOptions::default() };
    let addr = start(&dir, plain).await;
    assert_eq!(get(addr, "/about", "").await.status, 404, "pretty URLs off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_publish_directory_of_netlify_toml_is_served() {
    let toml = "[build]\npublish = \"dist\"\n\n[[redirects]]\nfrom = \"/t\"\nto = \"/from-toml\"\nstatus = 301\n";
    let dir = site(
        "publish",
        &[
            ("netlify.toml", toml),
            ("index.html", "the source tree"),
            ("_redirects", "/r /from-source-redirects 301\n"),
            ("dist/index.html", "the published site"),
            ("dist/_redirects", "/r /from-published-redirects 301\n"),
            ("dist/404.html", "published not found"),
        ],
    );
    let addr = start(&dir, ServeOptions::default()).await;
    assert_eq!(get(addr, "/", "").await.body, "the published site");
    assert_eq!(get(addr, "/r", "").await.header("location"), Some("/from-published-redirects"));
    assert_eq!(get(addr, "/t", "").await.header("location"), Some("/from-toml"), "netlify.toml of the base");
    let r = get(addr, "/nothing", "").await;
    assert_eq!((r.status, r.body.as_str()), (404, "published not found"));

    std::fs::write(dir.join("netlify.toml"), "[build]\npublish = \"no-such-dir\"\n").unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let failed = detour_cli::serve::serve(dir.clone(), listener, ServeOptions::default()).await;
    let error = failed.expect_err("a missing publish directory is refused").to_string();
    assert!(error.contains("no-such-dir") && error.contains("not a directory"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn country_and_language_simulate_a_visitor() {
    let rules = "/ /de/ 302! Country=de\n/hello /bonjour 302 Language=fr\n";
    let dir = site("visitor", &[("_redirects", rules), ("index.html", "home")]);
    let mut options = ServeOptions::default();
    options.visitor.country = Some(HeaderValue::from_static("DE"));
    options.visitor.language = Some(HeaderValue::from_static("fr-CA"));
    let addr = start(&dir, options).await;
    let r = get(addr, "/", "").await;
    assert_eq!((r.status, r.header("location")), (302, Some("/de/")), "--country without any header");
    assert_eq!(get(addr, "/", "x-country: us\r\n").await.header("location"), Some("/de/"), "the visitor wins");
    assert_eq!(get(addr, "/hello", "Accept-Language: en\r\n").await.header("location"), Some("/bonjour"));
    let r = get(addr, "/", "Cookie: nf_country=us\r\n").await;
    assert_eq!((r.status, r.body.as_str()), (200, "home"), "the nf_country cookie still overrides");

    let addr = start(&dir, ServeOptions::default()).await;
    assert_eq!(get(addr, "/", "").await.status, 200, "no visitor: no country");
}

/// Rules deployed by rename are picked up by a file-system event long before the next poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_is_woken_by_file_system_events() {
    let dir = site("notify", &[("_redirects", "/a /one 301\n"), ("index.html", "home")]);
    let options = ServeOptions {
        reload_interval: Duration::from_secs(3600),
        reload_debounce: Duration::from_millis(20),
        ..ServeOptions::default()
    };
    let addr = start(&dir, options).await;
    assert_eq!(get(addr, "/a", "").await.header("location"), Some("/one"));
    // The watch starts as the server does; give it a moment before the deploy it must see.
    tokio::time::sleep(Duration::from_millis(200)).await;
    deploy(&dir.join("_redirects"), "/a /two 301\n");
    assert!(eventually_answers(addr, "/a", "/two").await, "no reload without polling");
}

/// Without events (`--poll`), polling alone reloads, with the same protections. The deploy
/// comes right after the start: the files were fingerprinted after the rules were read, so a
/// deploy in between was never seen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_falls_back_to_polling() {
    let dir = site("poll", &[("_redirects", "/a /one 301\n"), ("index.html", "home")]);
    let options = ServeOptions {
        reload_interval: Duration::from_millis(30),
        reload_debounce: Duration::from_millis(20),
        reload_on_events: false,
        ..ServeOptions::default()
    };
    let addr = start(&dir, options).await;
    deploy(&dir.join("_redirects"), "/a /two 301\n");
    assert!(eventually_answers(addr, "/a", "/two").await);
    std::fs::write(dir.join("_redirects"), "").unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(get(addr, "/a", "").await.header("location"), Some("/two"), "an emptied file keeps the rules");
}
