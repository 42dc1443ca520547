//! Security properties, for the reference and the compiled engine alike:
//! - a decoded CR, LF or NUL (or any control byte or space) never reaches `target`;
//! - a splat or placeholder never turns a relative target into `//host` or `/\host`;
//! - a JWT with `alg: none`, a wrong signature, or no `exp` never satisfies a Role condition.
//!
//! Untrusted blobs: `crates/detour-runtime/tests/corruption.rs` and the `load_blob` fuzzer.

mod support;

use detour_cli::answer::Answer;
use detour_cli::engine::{match_compiled, match_reference, RoleSettings};
use detour_cli::requests::Request;
use detour_runtime::{Blob, Matcher, Scratch};
use proptest::prelude::*;

const RULES: &str = "/go/* /:splat 302\n/p/:a/:b /:a/:b 301\n/s/* /x/:splat 200\n/q q=:q /:q 302\n\
/h/* https://h.test/:splat 302\n/*/end /:splat 302\n/b/x* /:splat 301\n/m/:p /m/:p#frag 302\n";

fn engines(rules_text: &str, roles: &RoleSettings) -> (Vec<detour_rules::Rule>, Matcher) {
    let rules = detour_rules::parse_redirects(rules_text.as_bytes(), "_redirects").rules;
    let blob = Blob::from_bytes(&detour_compiler::compile(&rules).unwrap()).unwrap();
    (rules, Matcher::new(blob, roles.runtime()))
}

fn both(rules: &[detour_rules::Rule], matcher: &Matcher, req: &Request, roles: &RoleSettings) -> [Answer; 2] {
    [match_reference(rules, req, &roles.reference()), match_compiled(matcher, req, &mut Scratch::new())]
}

fn hostile_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("%0D%0A".to_string()),
        Just("%00".to_string()),
        Just("%2F%2F".to_string()),
        Just("%5C".to_string()),
        Just("\\".to_string()),
        Just("//".to_string()),
        Just("%20".to_string()),
        Just("%09".to_string()),
        Just("evil.example".to_string()),
        Just("%E2%80%A8".to_string()),
        Just("%22%3C%3E".to_string()),
        Just("a".to_string()),
        "[ -~]{0,4}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn targets_are_wire_safe_and_never_protocol_relative(
        prefix in prop::sample::select(&["/go/", "/p/", "/s/", "/q", "/h/", "/x/", "/b/x", "/m/", "/"][..]),
        pieces in prop::collection::vec(hostile_piece(), 0..6),
        query in prop::collection::vec(hostile_piece(), 0..3),
    ) {
        let roles = RoleSettings::default();
        let (rules, matcher) = engines(RULES, &roles);
        let path: String = prefix.to_string() + &pieces.join("");
        let url = if query.is_empty() { path } else { format!("{path}?q={}", query.join("")) };
        let mut req = Request::from_url("/");
        req.path = url.split('?').next().unwrap().as_bytes().to_vec();
        req.query = url.split_once('?').map(|(_, q)| q.as_bytes().to_vec()).unwrap_or_default();
        for answer in both(&rules, &matcher, &req, &roles) {
            if let Answer::Matched(a) = answer {
                let t = a.target.as_bytes();
                prop_assert!(!t.iter().any(|&b| b <= 0x20 || b >= 0x7f || b"\"<>\\^`{|}".contains(&b)), "{}", a.target);
                if !a.target.starts_with("http") {
                    prop_assert!(t.first() == Some(&b'/') && t.get(1) != Some(&b'/'), "{}", a.target);
                }
            }
        }
    }
}

#[test]
fn forged_or_expired_tokens_never_grant_a_role() {
    let roles = RoleSettings { secret: Some("s3cret".to_string()), claim: None };
    let (rules, matcher) = engines("/admin/* /area/:splat 200! Role=admin\n", &roles);
    let good = serde_json::json!({"exp": 4102444800u64, "app_metadata": {"roles": ["admin"]}});
    let token = |spec: serde_json::Value| support::jwt::token(&spec, "s3cret");
    let forged = [
        token(serde_json::json!({"alg": "none", "claims": good})),
        token(serde_json::json!({"alg": "none", "header": {"alg": "none"}, "signature": "", "claims": good})),
        token(serde_json::json!({"header": {"alg": "None", "typ": "JWT"}, "claims": good})),
        token(serde_json::json!({"secret": "wrong", "claims": good})),
        token(serde_json::json!({"signature": "", "claims": good})),
        token(serde_json::json!({"claims": {"app_metadata": {"roles": ["admin"]}}})),
        token(serde_json::json!({"claims": {"exp": 1, "app_metadata": {"roles": ["admin"]}}})),
        token(serde_json::json!({"claims": {"exp": null, "app_metadata": {"roles": ["admin"]}}})),
        token(serde_json::json!({"header": {"alg": "HS256", "typ": "JWT"}, "signature": "e30", "claims": good})),
    ];
    let valid = token(serde_json::json!({"claims": good}));
    for (i, t) in forged.iter().chain(std::iter::once(&valid)).enumerate() {
        let mut req = Request::from_url("/admin/x");
        req.cookies.push(("nf_jwt".to_string(), t.clone()));
        for answer in both(&rules, &matcher, &req, &roles) {
            if i < forged.len() {
                assert_eq!(answer, Answer::Denied, "forged token {i} was accepted");
            } else {
                assert!(matches!(answer, Answer::Matched(_)), "the valid token was refused");
            }
        }
    }
}
