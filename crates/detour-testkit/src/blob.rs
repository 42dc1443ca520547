//! The checks behind the `load_blob` and `match_request` fuzz targets. `cargo test` runs them on
//! seeds and on every saved regression (`fixtures/fuzz-regressions/`).

use detour_format::{Header, HEADER_LEN};

use detour_runtime::{Blob, Cookies, MatchOptions, Matcher, Outcome, Request, Scratch};

const PATHS: [&str; 8] = ["/", "/blog/a/b", "/store?id=5", "/a/b/c/d", "/x%20y/", "//", "/admin/x", "/t/1/2/x?q=1"];

fn exercise(matcher: &Matcher) {
    let mut scratch = Scratch::new();
    let cookies = [("nf_jwt", "eyJhbGciOiJIUzI1NiJ9.e30.x"), ("nf_lang", "fr"), ("session", "1")];
    for path in PATHS {
        let mut req = Request::new(path);
        req.host = "h.test";
        req.cookies = Cookies::Pairs(&cookies);
        req.country = Some("us");
        let _ = matcher.find(&req, &mut scratch);
    }
}

/// Any bytes give a `LoadError` or a blob that matches requests without panicking. Bytes with a
/// plausible header are tried a second time with their length and checksum repaired, so mutations
/// reach rkyv's validation and the index checks.
pub fn check_load_blob(data: &[u8]) {
    let options = MatchOptions { jwt_secret: Some(b"s".to_vec()), now: Some(0), ..MatchOptions::default() };
    if let Ok(blob) = Blob::from_bytes(data) {
        exercise(&Matcher::new(blob, options.clone()));
    }
    if data.len() >= HEADER_LEN {
        let payload = &data[HEADER_LEN..];
        let rule_count = Header::read(data).map_or(0, |h| h.rule_count);
        let mut repaired = Header::for_payload(payload, rule_count).to_bytes().to_vec();
        repaired.extend_from_slice(payload);
        if let Ok(blob) = Blob::from_bytes(&repaired) {
            exercise(&Matcher::new(blob, options));
        }
    }
}

/// Splits fuzz bytes into a request: fields separated by `0xFF` (path, query, host, scheme,
/// cookie header, country, accept-language), the first byte's low bit the asset hint.
pub fn request_from_bytes(data: &[u8]) -> Request<'_> {
    let (flags, rest) = data.split_first().map_or((0, data), |(f, r)| (*f, r));
    let mut fields = rest.split(|&b| b == 0xFF);
    let mut next = || fields.next().unwrap_or_default();
    let (path, query) = (next(), next());
    let text = |f| std::str::from_utf8(f).unwrap_or("");
    let (host, scheme, cookies, country, language) = (next(), next(), next(), next(), next());
    Request {
        scheme: if scheme.is_empty() { "https" } else { std::str::from_utf8(scheme).unwrap_or("https") },
        host: text(host),
        path,
        query,
        country: std::str::from_utf8(country).ok().filter(|c| !c.is_empty()),
        accept_language: std::str::from_utf8(language).ok().filter(|c| !c.is_empty()),
        cookies: Cookies::Header(text(cookies)),
        asset_exists: flags & 1 == 1,
    }
}

/// Rules that make substitution work hard, for the `match_request` target to put in front of its
/// workload: captures whose text is re-substituted (SPEC §4), names that prefix each other,
/// repeated names, query captures, and splats inserted many times.
pub const HOSTILE_RULES: &str = "\
/news/:year/:month/:day /archive/:year/:month/:day 301
/x/:id/:idx /t/:idx/:id/:idx/:id 301
/rep/:a/:a/:a /r/:a:a:a/:a 302
/qq/:id id=:id /q/:id/:id/:id 301
/s/* /s2/:splat/:splat/:splat/:splat 301
/m/:a/:b/* /:a:b:splat/:splat:b:a 200
";

/// Request seeds for [`HOSTILE_RULES`] (the fuzz input layout of [`request_from_bytes`]).
pub fn hostile_seeds() -> Vec<Vec<u8>> {
    let growth = ":month:day".repeat(50);
    let paths = [
        format!("/news/{growth}/{growth}/{growth}"),
        "/x/:idx:id/:id:idx".to_string(),
        "/rep/:a:a/:a:a/:a".to_string(),
        format!("/s/{}", ":splat".repeat(200)),
        "/m/:b:splat/:a/x/y".to_string(),
    ];
    let mut seeds: Vec<Vec<u8>> = paths.iter().map(|p| [&[0u8][..], p.as_bytes()].concat()).collect();
    seeds.push(b"\0/qq/:id\xffid=:id:id".to_vec());
    seeds
}

/// The longest a match may take: far above any honest match (microseconds), far below what an
/// unbounded substitution or scan costs on a hostile request.
pub const MATCH_TIME_BOUND: std::time::Duration = std::time::Duration::from_secs(1);

/// Arbitrary request bytes never make the matcher panic, and what it returns is bounded: `to`
/// at most [`detour_runtime::MAX_TO_BYTES`], the target at most that encoded plus the encoded query, the
/// match within [`MATCH_TIME_BOUND`], and the scratch no larger than its bound for the request.
pub fn check_match_request(matcher: &Matcher, data: &[u8]) {
    let req = request_from_bytes(data);
    let mut scratch = Scratch::with_capacity(data.len());
    let started = std::time::Instant::now();
    let outcome = matcher.find(&req, &mut scratch);
    let elapsed = started.elapsed();
    assert!(elapsed < MATCH_TIME_BOUND, "a match took {elapsed:?} for {} request bytes", data.len());
    if let Outcome::Matched(d) = outcome {
        assert!(d.to.len() <= detour_runtime::MAX_TO_BYTES, "`to` of {} bytes", d.to.len());
        let bound = 3 * detour_runtime::MAX_TO_BYTES + 3 * req.query.len() + 1;
        assert!(d.target.len() <= bound, "target of {} bytes (bound {bound})", d.target.len());
        assert!(!d.target.bytes().any(|b| b.is_ascii_control() || b == b' '), "unsafe target {:?}", d.target);
        assert!(!d.target.starts_with("//") && !d.target.starts_with("/\\"), "open redirect {:?}", d.target);
    }
}
