//! ARCHITECTURE.md's invariants, checked: each test is named after the invariant it checks and
//! reads the facts from `cargo metadata` (the real dependency graph) or from the sources.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Each workspace package's normal (non-dev, non-build) dependencies on other packages, by name,
/// with the features `cargo metadata` resolves for the default build.
fn normal_dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1"])
        .current_dir(workspace())
        .output()
        .expect("cargo metadata");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: BTreeMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let members: BTreeSet<&str> =
        meta["workspace_members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    let mut out = BTreeMap::new();
    for node in meta["resolve"]["nodes"].as_array().unwrap() {
        let id = node["id"].as_str().unwrap();
        if !members.contains(id) {
            continue;
        }
        let deps = node["deps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].is_null()))
            .map(|d| names[d["pkg"].as_str().unwrap()].to_string())
            .collect();
        out.insert(names[id].to_string(), deps);
    }
    out
}

fn detour_deps(deps: &BTreeMap<String, BTreeSet<String>>, name: &str) -> BTreeSet<String> {
    deps[name].iter().filter(|d| d.starts_with("detour-")).cloned().collect()
}

#[test]
fn runtime_depends_on_format_only() {
    let deps = normal_dependencies();
    assert_eq!(detour_deps(&deps, "detour-runtime"), BTreeSet::from(["detour-format".to_string()]));
    assert!(detour_deps(&deps, "detour-format").is_empty());
}

#[test]
fn the_layer_pulls_in_neither_parsers_nor_compiler() {
    let deps = normal_dependencies();
    // The site registry is runtime-only too (checked below), so the layer over sites still
    // takes compiled blobs only.
    assert_eq!(
        detour_deps(&deps, "detour-http"),
        BTreeSet::from(["detour-runtime".to_string(), "detour-sites".to_string()])
    );
}

#[test]
fn the_site_registry_depends_on_the_runtime_only() {
    let deps = normal_dependencies();
    assert_eq!(detour_deps(&deps, "detour-sites"), BTreeSet::from(["detour-runtime".to_string()]));
}

#[test]
fn nothing_ships_the_reference_but_match_engine_reference() {
    let deps = normal_dependencies();
    let users: BTreeSet<&str> =
        deps.iter().filter(|(_, d)| d.contains("detour-reference")).map(|(n, _)| n.as_str()).collect();
    // The CLI for `match --engine reference` and `bench` only (tested in tests/cli.rs); the rest
    // are never shipped.
    assert_eq!(users, BTreeSet::from(["detour-benches", "detour-cli", "detour-testkit"]));
}

#[test]
fn test_support_never_ships() {
    let deps = normal_dependencies();
    for shipped in [
        "detour-cli",
        "detour-http",
        "detour-sites",
        "detour-capi",
        "detour-runtime",
        "detour-compiler",
        "detour-check",
    ] {
        for forbidden in ["detour-testkit", "arbitrary", "stats_alloc", "proptest"] {
            assert!(!deps[shipped].contains(forbidden), "{shipped} depends on {forbidden}");
        }
    }
}

#[test]
fn rules_know_nothing_of_the_blob() {
    let deps = normal_dependencies();
    assert!(detour_deps(&deps, "detour-rules").is_empty());
    assert_eq!(detour_deps(&deps, "detour-reference"), BTreeSet::from(["detour-rules".to_string()]));
}

/// Files that contain the word `unsafe` as code (not in a comment or a string).
fn unsafe_users(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            unsafe_users(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.lines().map(|l| l.split("//").next().unwrap_or("")).any(|l| {
                l.contains("unsafe {")
                    || l.contains("unsafe fn")
                    || l.contains("unsafe extern")
                    || l.contains("unsafe impl")
            });
            if code {
                out.push(path);
            }
        }
    }
}

#[test]
fn unsafe_lives_in_the_runtime_storage_and_the_ffi_boundary() {
    let mut found = Vec::new();
    unsafe_users(&workspace().join("crates"), &mut found);
    let found: BTreeSet<String> = found
        .iter()
        .map(|p| p.strip_prefix(workspace().join("crates")).unwrap().display().to_string())
        .filter(|p| !p.contains("/tests/"))
        .collect();
    assert_eq!(
        found,
        BTreeSet::from(["detour-capi/src/ffi.rs".to_string(), "detour-runtime/src/storage.rs".to_string()])
    );
}

#[test]
fn the_cli_reaches_the_reference_only_for_engine_reference_and_bench() {
    let src = workspace().join("crates/detour-cli/src");
    let mut users = BTreeSet::new();
    for entry in std::fs::read_dir(&src).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        if text.contains("detour_reference") {
            users.insert(entry.file_name().to_string_lossy().into_owned());
        }
    }
    // engine.rs: `match --engine reference`; answer.rs renders its outcome; bench_cmd.rs: `bench`.
    assert_eq!(users, BTreeSet::from(["answer.rs", "bench_cmd.rs", "engine.rs"].map(String::from)));
}
