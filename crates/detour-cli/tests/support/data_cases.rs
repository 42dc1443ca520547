//! Data cases kept one per directory under `fixtures/KIND/`, each run through one check function.

use std::path::{Path, PathBuf};

use super::cases::fixtures;

/// The case directories of `fixtures/KIND/`, sorted.
pub fn case_dirs(kind: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures().join(kind))
        .unwrap_or_else(|e| panic!("fixtures/{kind}: {e}"))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Runs `check` on every case of `fixtures/KIND/` (at least `min` of them) and fails with every
/// failure at once.
pub fn run_cases(kind: &str, min: usize, check: impl Fn(&Path) -> Result<(), String>) {
    let dirs = case_dirs(kind);
    assert!(dirs.len() >= min, "only {} {kind} cases", dirs.len());
    let failures: Vec<String> =
        dirs.iter().filter_map(|d| check(d).err().map(|why| format!("{}: {why}", d.display()))).collect();
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n\n"));
}

/// Writes `expected` at `path` when it is missing and `DETOUR_BLESS` is set (a new case's
/// expectation, to be read by a human before it is committed), then reads the expectation.
pub fn expected(path: &Path, got: &str) -> Result<String, String> {
    if !path.exists() && std::env::var_os("DETOUR_BLESS").is_some() {
        std::fs::write(path, got).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}
