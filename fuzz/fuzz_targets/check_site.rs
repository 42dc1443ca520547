//! Arbitrary `_redirects`, `netlify.toml` and JSON (split on NUL) through the whole of `detour
//! check` and `detour compile`: no panic, every diagnostic at a real line, the output bounded,
//! the valid rules compiled, loaded and answering like the reference.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| detour_testkit::site::check_site(data));
