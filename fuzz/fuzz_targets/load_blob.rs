//! Arbitrary bytes and mutated blobs: a `LoadError` or a matcher that never panics.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| detour_testkit::blob::check_load_blob(data));
