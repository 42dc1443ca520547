//! `detour serve` and the HTTP details of issue 16: cookies split over several header fields
//! (HTTP/2, through a real HTTP/2 client), conditional and range requests on a status page, and
//! the default page when the site has no `404.html`.

#[path = "support/jwt.rs"]
mod jwt;
mod server;

use detour_cli::serve::ServeOptions;
use server::{get, h2_get, site, start};

const SECRET: &str = "a-test-secret-of-32-bytes-length";

/// Issue 16: only the first `cookie` field was read, so a cookie in any later field (how
/// HTTP/2 clients send cookies) did not count for `Cookie=`, `Role`, `nf_country` or `nf_lang`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_split_over_http2_header_fields_are_all_read() {
    let rules = "/cookie /has-cookie 302 Cookie=b\n\
                 /admin/* /admin-granted 302! Role=admin\n\
                 /geo /de/ 302 Country=de\n\
                 /lang /fr/ 302 Language=fr\n";
    let dir = site("h2-cookies", &[("_redirects", rules), ("index.html", "home")]);
    let mut options = ServeOptions::default();
    options.match_options.jwt_secret = Some(SECRET.as_bytes().to_vec());
    let addr = start(&dir, options).await;
    let claims = serde_json::json!({"claims": {"exp": 4102444800u64, "app_metadata": {"roles": ["admin"]}}});
    let jwt = format!("nf_jwt={}", jwt::token(&claims, SECRET));

    let (status, location, version) = h2_get(addr, "/cookie", &["a=1", "b=2"]).await;
    assert_eq!(version, http::Version::HTTP_2, "serve speaks h2c");
    assert_eq!((status, location.as_deref()), (302, Some("/has-cookie")), "Cookie= in the second field");
    let (status, location, _) = h2_get(addr, "/admin/x", &["theme=dark", &jwt]).await;
    assert_eq!((status, location.as_deref()), (302, Some("/admin-granted")), "nf_jwt in the second field");
    let (status, location, _) = h2_get(addr, "/geo", &["a=1", "nf_country=de"]).await;
    assert_eq!((status, location.as_deref()), (302, Some("/de/")), "nf_country in the second field");
    let (status, location, _) = h2_get(addr, "/lang", &["a=1", "x=2; nf_lang=fr"]).await;
    assert_eq!((status, location.as_deref()), (302, Some("/fr/")), "nf_lang in the second field");
    let (status, _, _) = h2_get(addr, "/cookie", &["a=1", "c=3"]).await;
    assert_eq!(status, 404, "no cookie b in any field: no rule");
    let (status, _, _) = h2_get(addr, "/admin/x", &["theme=dark"]).await;
    assert_eq!(status, 404, "no token: denied");
}

/// Issue 16: a conditional or range request for a page served with a rule's status reached the
/// file service as it came, which answered 304 or 206: the client got an empty or partial 410.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_and_range_requests_on_a_410_page_get_the_whole_page() {
    let page = "this page is gone for good";
    let dir = site("status-conditional", &[("_redirects", "/gone /pages/gone.html 410\n"), ("pages/gone.html", page)]);
    let addr = start(&dir, ServeOptions::default()).await;
    let direct = get(addr, "/pages/gone.html", "").await;
    let modified = direct.header("last-modified").expect("ServeDir sends Last-Modified").to_string();
    let etag = direct.header("etag").unwrap_or("\"x\"").to_string();
    assert_eq!(get(addr, "/pages/gone.html", &format!("If-Modified-Since: {modified}\r\n")).await.status, 304);
    for headers in [
        format!("If-Modified-Since: {modified}\r\n"),
        format!("If-None-Match: {etag}\r\n"),
        "If-None-Match: *\r\n".to_string(),
        "Range: bytes=0-3\r\n".to_string(),
        format!("Range: bytes=5-\r\nIf-Range: {modified}\r\n"),
        "If-Match: \"other\"\r\n".to_string(),
        "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n".to_string(),
    ] {
        let r = get(addr, "/gone", &headers).await;
        assert_eq!((r.status, r.body.as_str()), (410, page), "{headers}");
        assert_eq!(r.header("content-range"), None, "{headers}");
        assert_eq!(r.header("accept-ranges"), None, "no ranges offered on a status page: {headers}");
    }
}

/// Issue 16: with no `404.html`, a missing path (and a status rule whose page is missing)
/// answered with an empty body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_without_404_html_gets_a_default_page_never_an_empty_body() {
    let rules = "/old-offer /offer.html 410\n/secret/* /secret/:splat 200! Role=admin\n";
    let dir = site("default-404", &[("_redirects", rules), ("index.html", "home")]);
    let addr = start(&dir, ServeOptions::default()).await;
    let r = get(addr, "/no/such/page", "").await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("404 Not Found"), "{r:?}");
    assert!(r.header("content-type").is_some_and(|t| t.starts_with("text/html")), "{r:?}");
    let r = get(addr, "/old-offer", "").await;
    assert_eq!(r.status, 410);
    assert!(r.body.contains("<h1>"), "the not-found page, under the rule's status: {r:?}");
    let r = get(addr, "/secret/x", "").await;
    assert_eq!(r.status, 404);
    assert!(!r.body.is_empty(), "{r:?}");
    let r = get(addr, "/.env", "").await;
    assert_eq!(r.status, 404, "a hidden path");
    assert!(r.body.contains("404 Not Found"), "{r:?}");
}
