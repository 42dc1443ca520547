//! Arbitrary text as `_redirects`: never panics; what parses renders back to the same rules.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| detour_testkit::parse::check_parse_redirects(data));
