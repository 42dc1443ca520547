//! No request panics or hangs the reference matcher: a 1 MB path, 100,000 segments, 10,000 query
//! parameters, malformed escapes and invalid UTF-8 all give a defined outcome.

use std::time::Instant;

use detour_reference::{match_request, Outcome, Request, RoleConfig};
use detour_rules::parse_redirects;

const RULES: &str =
    "/blog/* /news/:splat 301\n/*/x/*/y /mid/:splat 302\n/a/:b/c* /p/:b/:splat\n/q id=:id /q/:id\n/* /all/:splat 200\n";

fn outcome(req: &Request) -> Outcome {
    let rules = parse_redirects(RULES.as_bytes(), "_redirects").rules;
    match_request(&rules, req, &RoleConfig::default())
}

#[test]
fn a_one_megabyte_path_with_many_segments_is_answered() {
    let mut path = "/blog".to_string();
    path.push_str(&"/a".repeat(500_000));
    let start = Instant::now();
    // A 1 MB splat makes a `to` far past 16 KiB: *target too long* (SPEC §4).
    let got = outcome(&Request { path: path.clone().into_bytes(), ..Request::from_url("/") });
    assert_eq!(got, Outcome::TooLong { rule: 0 });
    let shorter = format!("/blog{}", "/a".repeat(8000));
    let Outcome::Matched(d) = outcome(&Request { path: shorter.clone().into_bytes(), ..Request::from_url("/") }) else {
        panic!("expected a match");
    };
    assert_eq!(d.to.len(), "/news/".len() + shorter.len() - "/blog/".len());
    // The naive matcher is polynomial, not exponential: a generous bound for debug builds.
    assert!(start.elapsed().as_secs() < 60);
    let deep = format!("{}/x/q/y", "/s".repeat(100_000));
    assert_eq!(outcome(&Request::from_url(&deep)), Outcome::TooLong { rule: 1 });
}

#[test]
fn many_query_parameters_and_odd_bytes() {
    let query: String = (0..10_000).map(|i| format!("k{i}=v&")).collect::<String>() + "id=7";
    let req = Request::from_url(&format!("/q?{query}"));
    let Outcome::Matched(d) = outcome(&req) else { panic!("expected a match") };
    assert_eq!(d.to, b"/q/7");
    for path in [&b"/%"[..], b"/%4", b"/%zz/%", b"/\xff\xfe", b"/%FF%00", b"", b"no-slash", b"//\\"] {
        let req = Request { path: path.to_vec(), ..Request::from_url("/") };
        assert!(matches!(outcome(&req), Outcome::Matched(_)), "the catch-all rule matches {path:?}");
    }
}

#[test]
fn decoded_controls_never_reach_the_target() {
    let req = Request::from_url("/blog/a%0D%0ALocation:%20evil%00");
    let Outcome::Matched(d) = outcome(&req) else { panic!("expected a match") };
    assert!(!d.target.bytes().any(|b| b.is_ascii_control() || b == b' '), "{}", d.target);
}
