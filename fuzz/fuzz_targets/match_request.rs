//! Arbitrary request bytes (path, query, host, scheme, cookies, country, language) against a
//! fixed 10k-rule blob: never panics, never an unsafe target.
#![no_main]

use std::sync::OnceLock;

use detour_runtime::{Blob, MatchOptions, Matcher};

fn matcher() -> &'static Matcher {
    static MATCHER: OnceLock<Matcher> = OnceLock::new();
    MATCHER.get_or_init(|| {
        let w = detour_cli::workload::generate(10_000, 0, 42);
        let rules = detour_rules::parse_redirects(w.rules.as_bytes(), "_redirects").rules;
        let blob = Blob::from_bytes(&detour_compiler::compile(&rules).expect("compile")).expect("load");
        Matcher::new(blob, MatchOptions { jwt_secret: Some(b"s".to_vec()), ..MatchOptions::default() })
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| detour_runtime::fuzz::check_match_request(matcher(), data));
