//! Property test: random rule sets over the tiny alphabets of `detour_testkit::differential`, so
//! literals, placeholders, splats, hosts, up to 3 query constraints and 3 conditions per rule
//! collide, and requests near them: optional country and language, cookies (`nf_country`,
//! `nf_lang`, empty values) as pairs or as one `Cookie` header, hosts with upper case and ports. The compiled engine must answer exactly as the reference on every request, in the
//! default index layout and the two extremes of `CompileOptions`, and compiling twice must give
//! the same bytes. `PROPTEST_CASES` sets the number of rule sets
//! (default 10,000).

use detour_testkit::differential::*;
use proptest::prelude::*;

fn rule_line_strategy() -> impl Strategy<Value = String> {
    (
        prop::bool::weighted(0.15),
        prop::collection::vec(prop::sample::select(FROM_SEGMENTS), 0..4),
        prop::collection::vec(prop::sample::select(QUERY), 0..4),
        prop::sample::select(TO),
        prop::sample::select(STATUS),
        prop::collection::vec(prop::sample::select(CONDITIONS), 0..4),
    )
        .prop_map(|(host, segs, query, to, status, conds)| rule_line(host, &segs, &query, to, status, &conds))
}

fn request_strategy() -> impl Strategy<Value = RequestSpec> {
    (
        prop::sample::select(ORIGINS),
        prop::collection::vec(prop::sample::select(REQUEST_SEGMENTS), 0..5),
        prop::bool::ANY,
        prop::sample::select(QUERIES),
        (
            prop::sample::select(COUNTRIES),
            prop::sample::select(LANGUAGES),
            prop::collection::vec(prop::sample::select(COOKIES), 0..4),
        ),
        (prop::bool::ANY, prop::bool::weighted(0.2), prop::bool::ANY),
    )
        .prop_map(|(origin, segs, slash, query, (country, language, cookies), (admin, asset, cookie_header))| {
            let mut url = format!("{origin}/{}", segs.join("/"));
            if slash {
                url.push('/');
            }
            if !query.is_empty() {
                url.push('?');
                url.push_str(query);
            }
            RequestSpec { url, country, language, cookies, admin, asset, cookie_header }
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(10_000),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn compiled_equals_reference(
        lines in prop::collection::vec(rule_line_strategy(), 1..8),
        requests in prop::collection::vec(request_strategy(), 1..12),
    ) {
        if let Err(difference) = compare(&lines, &requests) {
            prop_assert!(false, "{}", difference);
        }
    }
}

#[test]
fn the_admin_token_is_valid() {
    let (roles, token) = roles();
    let granted = detour_reference::token_roles(token, &roles.reference());
    assert_eq!(granted, Some(vec!["admin".to_string()]));
}
