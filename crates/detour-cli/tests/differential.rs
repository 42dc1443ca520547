//! Property test: random rule sets over a tiny alphabet, so literals, placeholders, splats,
//! hosts, query constraints and conditions collide, and requests near them. The compiled engine
//! (in memory and through bytes) must answer exactly as the reference on every request.
//! `PROPTEST_CASES` sets the number of rule sets (default 10,000).

mod support;

use detour_cli::engine::{match_compiled, match_reference, RoleSettings};
use detour_reference::Request;
use detour_rules::parse_redirects;
use detour_runtime::{Blob, Matcher, Scratch};
use proptest::prelude::*;

const FROM_SEGMENTS: &[&str] = &["a", "b", "ab", ":x", ":y", ":splat", "*", "a*", "b*", "%61", ":", "st*r", ""];
const TO: &[&str] = &[
    "/t/:splat",
    "/a/:x",
    "/:splat",
    "/b",
    "/a/:x/:splat",
    "/t/:splat/b",
    "https://h.test/t/:splat",
    "/t?z=1",
    "/:x:y",
    "/s/:splatter",
    "/q/:q",
    "/a/:splat/",
    "/a",
    "/t",
    "/:y/:x#f",
    "https://o.test/:x",
];
const QUERY: &[&str] = &["q=1", "q=:q", "x=:x", "q=a+b", "r="];
const CONDITIONS: &[&str] = &["Country=us", "Language=fr", "Cookie=c", "Role=admin", "Country=us,de", "Sign=S"];
const STATUS: &[&str] = &["301", "302", "200", "404", "301!", "200!"];
const REQUEST_SEGMENTS: &[&str] = &["a", "b", "ab", "t", "", "x:y", "%61", "%2F", "abc", "st*r", ":x", "%3A"];
const QUERIES: &[&str] =
    &["", "q=1", "q=2", "r=5&q=1", "q=a%20b", "x=%3A1&q=", "q", "r=", "q=1&q=2", "q=2&q=1&x=b", "x=a&x=:b&", "q=a+b&r"];

fn rule_line() -> impl Strategy<Value = String> {
    (
        prop::bool::weighted(0.15),
        prop::collection::vec(prop::sample::select(FROM_SEGMENTS), 0..4),
        prop::collection::vec(prop::sample::select(QUERY), 0..2),
        prop::sample::select(TO),
        prop::sample::select(STATUS),
        prop::collection::vec(prop::sample::select(CONDITIONS), 0..2),
    )
        .prop_map(|(host, segs, query, to, status, conds)| {
            let host = if host { "https://h.test" } else { "" };
            let mut line = format!("{host}/{}", segs.join("/"));
            for q in query {
                line.push(' ');
                line.push_str(q);
            }
            line.push_str(&format!(" {to} {status}"));
            for c in conds {
                line.push(' ');
                line.push_str(c);
            }
            line
        })
}

#[derive(Debug, Clone)]
struct Req {
    url: String,
    country: bool,
    french: bool,
    cookie: bool,
    admin: bool,
    asset: bool,
}

fn request() -> impl Strategy<Value = Req> {
    (
        prop::sample::select(&["https://h.test", "http://h.test", "https://o.test", ""][..]),
        prop::collection::vec(prop::sample::select(REQUEST_SEGMENTS), 0..5),
        prop::bool::ANY,
        prop::sample::select(QUERIES),
        (prop::bool::ANY, prop::bool::ANY, prop::bool::ANY, prop::bool::ANY, prop::bool::weighted(0.2)),
    )
        .prop_map(|(origin, segs, slash, query, (country, french, cookie, admin, asset))| {
            let mut url = format!("{origin}/{}", segs.join("/"));
            if slash {
                url.push('/');
            }
            if !query.is_empty() {
                url.push('?');
                url.push_str(query);
            }
            Req { url, country, french, cookie, admin, asset }
        })
}

fn to_request(r: &Req, token: &str) -> Request {
    let mut req = Request::from_url(&r.url);
    req.country = Some(if r.country { "US" } else { "de" }.to_string());
    req.language = Some(if r.french { "fr-FR" } else { "en" }.to_string());
    if r.cookie {
        req.cookies.push(("c".to_string(), "1".to_string()));
    }
    if r.admin {
        req.cookies.push(("nf_jwt".to_string(), token.to_string()));
    }
    req.asset_exists = r.asset;
    req
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(10_000),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn compiled_equals_reference(
        lines in prop::collection::vec(rule_line(), 1..8),
        requests in prop::collection::vec(request(), 1..12),
    ) {
        let text = lines.join("\n");
        let rules = parse_redirects(text.as_bytes(), "_redirects").rules;
        let roles = RoleSettings { secret: Some("s".to_string()), claim: None };
        let token = support::jwt::token(
            &serde_json::json!({"claims": {"exp": 4102444800u64, "app_metadata": {"roles": ["admin"]}}}),
            "s",
        );
        let bytes = detour_compiler::compile(&rules).unwrap();
        prop_assert_eq!(&bytes, &detour_compiler::compile(&rules).unwrap(), "compiling is deterministic");
        let matcher = Matcher::new(Blob::from_bytes(&bytes).unwrap(), roles.runtime());
        let mut scratch = Scratch::new();
        let config = roles.reference();
        for r in &requests {
            let req = to_request(r, &token);
            let expected = match_reference(&rules, &req, &config);
            let actual = match_compiled(&matcher, &req, &mut scratch);
            prop_assert_eq!(actual.to_json(), expected.to_json(), "rules:\n{}\nrequest: {:?}", text, r);
        }
    }
}
