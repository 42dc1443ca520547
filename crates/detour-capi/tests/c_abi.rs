//! The C ABI from C: `tests/c/stale_handles.c`, compiled with the system C compiler against
//! `include/detour.h` and the static library cargo built for this test run, then run.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory this test binary is in (`target/<profile>/deps`): cargo builds the crate's
/// static library there for this run (the copy in `target/<profile>` is only refreshed by
/// `cargo build`, so it may be stale).
fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent().expect("target/<profile>/deps/<test>").to_path_buf()
}

fn blob_file(dir: &Path) -> PathBuf {
    let rules = detour_rules::parse_redirects(b"/blog/* /news/:splat 301\n/old /new 302\n", "_redirects").rules;
    let path = dir.join("stale_handles.detour");
    std::fs::write(&path, detour_compiler::compile(&rules).expect("compile")).expect("write blob");
    path
}

#[test]
fn every_entry_point_reports_freed_zero_and_random_handles_as_stale_from_c() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let lib = library_dir().join("libdetour_capi.a");
    assert!(lib.is_file(), "{} is missing: cargo builds it with the crate", lib.display());
    let exe = tmp.join("stale_handles");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let compiled = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pthread", "-o"])
        .arg(&exe)
        .arg("-I")
        .arg(crate_dir.join("include"))
        .arg(crate_dir.join("tests/c/stale_handles.c"))
        .arg(&lib)
        .args(["-ldl", "-lm"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler `{cc}` (set CC): {e}"));
    assert!(compiled.status.success(), "the C test does not compile:\n{}", String::from_utf8_lossy(&compiled.stderr));
    let run = Command::new(&exe).arg(blob_file(tmp)).output().expect("run the C test");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "the C test failed:\n{stdout}{}", String::from_utf8_lossy(&run.stderr));
    assert!(stdout.contains(", 0 failures"), "{stdout}");
}
