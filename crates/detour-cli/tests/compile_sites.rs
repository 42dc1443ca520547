//! `detour compile --sites`: one blob per site folder with its hosts, failures confined to
//! their site and named at the end, unchanged sites skipped, atomic writes.

use std::path::{Path, PathBuf};
use std::process::Command;

use detour_runtime::Blob;

fn fresh(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("detour-compile-sites-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn site(sites: &Path, folder: &str, files: &[(&str, &str)]) {
    let dir = sites.join(folder);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

/// Runs `detour compile --sites`; returns the exit code and standard error.
fn compile(sites: &Path, out: &Path) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_detour"))
        .args(["compile", "--sites"])
        .arg(sites)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn hosts(out: &Path, primary: &str) -> Vec<String> {
    Blob::read_site(out.join(format!("{primary}.detour"))).unwrap().1
}

#[test]
fn every_good_site_is_compiled_and_the_bad_ones_are_named_at_the_end() {
    let root = fresh("mixed");
    let (sites, out) = (root.join("sites"), root.join("out"));
    site(
        &sites,
        "a.example",
        &[("_redirects", "/old /new 301\n"), ("aliases", "www.a.example\n# note\nA.Example.\n\n")],
    );
    site(&sites, "B.Example", &[("netlify.toml", "[[redirects]]\nfrom = \"/x\"\nto = \"/y\"\n")]);
    site(&sites, "bad.example", &[("_redirects", "/ok /fine\n/no-target\n")]);
    site(&sites, "steals.example", &[("_redirects", "/s /t\n"), ("aliases", "www.a.example\n")]);
    site(&sites, "bücher.example", &[("_redirects", "/s /t\n")]);
    site(&sites, "empty.example", &[]);
    let (code, stderr) = compile(&sites, &out);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("bad.example: "), "diagnostics carry the site's name: {stderr}");
    assert!(stderr.contains("steals.example: alias `www.a.example` is already a host of site `a.example`"), "{stderr}");
    let last = stderr.lines().last().unwrap();
    assert_eq!(last, "detour compile: failed: bad.example, bücher.example, steals.example");
    assert!(stderr.contains("6 site(s): 3 compiled, 0 unchanged, 3 failed"), "{stderr}");
    assert_eq!(hosts(&out, "a.example"), ["a.example", "www.a.example"]);
    assert_eq!(hosts(&out, "b.example"), ["b.example"]);
    assert_eq!(hosts(&out, "empty.example"), ["empty.example"], "a site without rule files has no rules");
    let mut written: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    written.sort();
    assert_eq!(written, ["a.example.detour", "b.example.detour", "empty.example.detour"], "no temporary file left");
    assert!(!stderr.contains("sites ("), "no progress bar when standard error is no terminal: {stderr}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn an_unchanged_site_is_skipped_and_a_changed_one_recompiled() {
    let root = fresh("skip");
    let (sites, out) = (root.join("sites"), root.join("out"));
    site(&sites, "a.example", &[("_redirects", "/old /new 301\n")]);
    site(&sites, "b.example", &[("_redirects", "/old /new 301\n")]);
    let (code, stderr) = compile(&sites, &out);
    assert_eq!(code, 0, "{stderr}");
    let before = std::fs::read(out.join("b.example.detour")).unwrap();
    let (_, stderr) = compile(&sites, &out);
    assert!(stderr.contains("2 site(s): 0 compiled, 2 unchanged, 0 failed"), "{stderr}");
    std::fs::write(sites.join("a.example/_redirects"), "/old /newer 301\n").unwrap();
    std::fs::write(sites.join("b.example/aliases"), "www.b.example\n").unwrap();
    let (_, stderr) = compile(&sites, &out);
    assert!(stderr.contains("2 site(s): 2 compiled, 0 unchanged, 0 failed"), "{stderr}");
    assert_ne!(std::fs::read(out.join("b.example.detour")).unwrap(), before, "a new alias is a new blob");
    assert_eq!(hosts(&out, "b.example"), ["b.example", "www.b.example"]);
    // A blob damaged in OUT is not "unchanged", wherever the damage is.
    std::fs::write(out.join("a.example.detour"), b"garbage").unwrap();
    let mut damaged = std::fs::read(out.join("b.example.detour")).unwrap();
    damaged[100] ^= 1;
    std::fs::write(out.join("b.example.detour"), damaged).unwrap();
    let (_, stderr) = compile(&sites, &out);
    assert!(stderr.contains("2 compiled, 0 unchanged"), "{stderr}");
    Blob::from_bytes(&std::fs::read(out.join("b.example.detour")).unwrap()).unwrap();
    std::fs::remove_dir_all(&root).unwrap();
}
