//! Arbitrary request bytes (path, query, host, scheme, cookies, country, language) against a
//! fixed blob (the hostile substitution rules, then a 10k-rule workload): never panics, never
//! an unsafe target, never an output or a match time past its bound.
#![no_main]

use std::sync::OnceLock;

use detour_runtime::Matcher;

fn matcher() -> &'static Matcher {
    static MATCHER: OnceLock<Matcher> = OnceLock::new();
    MATCHER.get_or_init(detour_testkit::differential::match_request_matcher)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| detour_testkit::blob::check_match_request(matcher(), data));
