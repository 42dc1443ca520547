//! `include/detour.h` is generated from the source by cbindgen and checked in; this test fails
//! when it is stale. `DETOUR_BLESS=1 cargo test -p detour-capi --test header` rewrites it.

use std::path::Path;

#[test]
fn the_checked_in_header_matches_the_source() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::generate_with_config(crate_dir, config).expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let path = crate_dir.join("include/detour.h");
    if std::env::var_os("DETOUR_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/detour.h");
    }
    let checked_in = std::fs::read(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "include/detour.h is stale: run `DETOUR_BLESS=1 cargo test -p detour-capi --test header` and commit it"
    );
}
