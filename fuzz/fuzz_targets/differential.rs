//! Structured rule sets and requests from fuzz bytes: compiled engine == reference matcher.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| detour_testkit::differential::check_differential(data));
