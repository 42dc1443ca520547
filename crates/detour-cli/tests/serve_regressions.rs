//! Regression tests for `detour serve`, each named after the bug it caught (the tester's
//! findings on branch `break`, /work/notes/break-report.md bugs 1, 4, 5 and 11).

mod server;

use detour_cli::serve::ServeOptions;
use server::{exchange, get, site, start};

/// `detour check` warns that for status 101 "`serve` answers 500 instead" (it does for 100),
/// but `serve` sends `101 Switching Protocols` (with the page's `content-length` and no body):
/// the connection is then treated as upgraded and dies (curl: "Empty reply from server";
/// a pipelined request gets no answer; over HTTP/2 the stream is reset).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_status_101_sent_though_check_promises_500() {
    let dir =
        site("break-101", &[("_redirects", "/s100 /page.html 100\n/s101 /page.html 101\n"), ("page.html", "page")]);
    let addr = start(&dir, ServeOptions::default()).await;
    assert_eq!(get(addr, "/s100", "").await.status, 500);
    let r = get(addr, "/s101", "").await;
    assert_eq!(r.status, 500, "{r:?}");
}

/// RFC 9110 §9.3.2: HEAD answers with the headers GET would send. For a status page rule
/// (`/gone /gone.html 410`, or a `/* /404.html 404` catch-all) GET serves the site's page, but
/// HEAD answers with the built-in default page's headers (`content-length: 58`,
/// `text/html; charset=utf-8`) as if the page were missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_head_of_status_page_describes_default_page() {
    let dir = site("break-head-410", &[("_redirects", "/gone /gone.html 410\n"), ("gone.html", "gone page")]);
    let addr = start(&dir, ServeOptions::default()).await;
    let r = get(addr, "/gone", "").await;
    assert_eq!((r.status, r.body.as_str()), (410, "gone page"));
    let head = exchange(addr, "HEAD /gone HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n").await;
    assert_eq!(head.status, 410);
    assert_eq!(head.header("content-length"), Some("9"), "{head:?}");
}

/// A file name with a trailing slash (`/style.css/`) counts as "a file exists at the path", so
/// the unforced SPA rule `/* /index.html 200` is skipped; but no file is served either, and the
/// visitor gets the built-in 404 page instead of the rule's answer (SPEC §3.11: the rule only
/// yields to a file that is served).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_file_with_trailing_slash_skips_rule_and_serves_default_404() {
    let dir = site(
        "break-trailing-slash",
        &[("_redirects", "/* /index.html 200\n"), ("index.html", "spa index"), ("style.css", "css")],
    );
    let addr = start(&dir, ServeOptions::default()).await;
    assert_eq!(get(addr, "/missing", "").await.body, "spa index");
    let r = get(addr, "/style.css/", "").await;
    assert!(r.status == 200 && (r.body == "spa index" || r.body == "css"), "{r:?}");
}

/// README: a rule file that disappears does not drop the rules (the previous ones keep
/// serving, with an error logged). A `_redirects` replaced by a directory of that name is
/// instead read as "no rule files": every rule is dropped, logged at INFO as a normal reload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_reload_drops_every_rule_when_redirects_becomes_a_directory() {
    let dir = site("break-dir-redirects", &[("_redirects", "/c /target 302\n"), ("index.html", "home")]);
    let addr = start(&dir, ServeOptions::default()).await;
    assert_eq!(get(addr, "/c", "").await.status, 302);
    let rules = dir.join("_redirects");
    std::fs::rename(&rules, dir.join("old-rules")).unwrap();
    std::fs::create_dir(&rules).unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let r = get(addr, "/c", "").await;
    assert_eq!(r.status, 302, "the rules were dropped: {r:?}");
}

/// RFC 9110 §15.3.5 and §15.3.6: a 204 has no content and no `content-length`, a 205 no
/// content. For `/s204 /page.html 204` serve sent the page's `content-length: 4` (hyper drops
/// the body of a 204 but not the header), and for 205 the page itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_status_204_and_205_sent_with_content() {
    let dir =
        site("regr-204-205", &[("_redirects", "/s204 /page.html 204\n/s205 /page.html 205\n"), ("page.html", "page")]);
    let addr = start(&dir, ServeOptions::default()).await;
    let r = get(addr, "/s204", "").await;
    assert_eq!((r.status, r.header("content-length"), r.body.as_str()), (204, None, ""), "{r:?}");
    let r = get(addr, "/s205", "").await;
    assert_eq!((r.status, r.header("content-length"), r.body.as_str()), (205, Some("0"), ""), "{r:?}");
}

/// The same HEAD bug through a role-denial-free catch-all: `/* /404.html 404` answers HEAD of
/// a missing path with the site's page headers, not the default page's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_head_of_catch_all_404_page_describes_default_page() {
    let dir = site("regr-head-404", &[("_redirects", "/* /404.html 404\n"), ("404.html", "not here, sorry")]);
    let addr = start(&dir, ServeOptions::default()).await;
    let r = get(addr, "/nowhere", "").await;
    assert_eq!((r.status, r.body.as_str()), (404, "not here, sorry"));
    let head = exchange(addr, "HEAD /nowhere HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n").await;
    assert_eq!((head.status, head.header("content-length")), (404, Some("15")), "{head:?}");
}

/// `[build] publish = "/"` (or `".."`) served the whole file system, or the projects next to
/// the site: a publish directory outside the site directory is refused at startup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_publish_outside_the_site_directory_serves_it() {
    let dir = site("regr-publish-outside", &[("index.html", "home")]);
    for publish in ["/", "..", "../regr-elsewhere"] {
        std::fs::write(dir.join("netlify.toml"), format!("[build]\npublish = {publish:?}\n")).unwrap();
        std::fs::create_dir_all(dir.join(publish)).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let serving = detour_cli::serve::serve(dir.clone(), listener, ServeOptions::default());
        // The old code served (forever): give it 10 s to refuse.
        let failed = tokio::time::timeout(std::time::Duration::from_secs(10), serving).await;
        let error = failed.expect("refused at once").expect_err("a publish directory outside the site is refused");
        let error = error.to_string();
        assert!(error.contains("outside the site directory"), "{publish}: {error}");
    }
}

/// A symlink in the site to a file outside it (`secret.txt -> /elsewhere/secret.txt`) was
/// served, and shadowed rules, as if it were the site's file. A symlink that stays inside the
/// site is still served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_symlink_out_of_the_publish_directory_followed() {
    let outside = site(
        "regr-symlink-outside",
        &[("secret.txt", "secret"), ("pages/index.html", "outside index"), ("doc.html", "outside doc")],
    );
    let dir = site(
        "regr-symlink-site",
        &[("_redirects", "/spa/* /index.html 200\n"), ("index.html", "home"), ("page.html", "page")],
    );
    std::fs::create_dir_all(dir.join("spa")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), dir.join("secret.txt")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), dir.join("spa/secret.txt")).unwrap();
    std::os::unix::fs::symlink(outside.join("pages"), dir.join("pages")).unwrap();
    std::os::unix::fs::symlink(outside.join("doc.html"), dir.join("doc.html")).unwrap();
    std::os::unix::fs::symlink(dir.join("page.html"), dir.join("alias.html")).unwrap();
    let addr = start(&dir, ServeOptions::default()).await;
    for path in ["/secret.txt", "/pages/", "/pages/index.html", "/doc", "/doc.html"] {
        let r = get(addr, path, "").await;
        assert!(r.status == 404 && !r.body.contains("secret") && !r.body.contains("outside"), "{path}: {r:?}");
    }
    let r = get(addr, "/spa/secret.txt", "").await;
    assert_eq!((r.status, r.body.as_str()), (200, "home"), "the file outside does not shadow the rule");
    assert_eq!(get(addr, "/alias.html", "").await.body, "page", "a symlink inside the site is served");
}
