//! Golden diagnostics: each folder of `fixtures/diagnostics/` holds rule files and
//! `expected.txt`, the exact `detour check` output for them (files in name order).
//! `UPDATE_EXPECT=1 cargo test --test diagnostics` rewrites the expectations after review.

mod support;

use std::path::PathBuf;

use support::cases::fixtures;

fn render(dir: &std::path::Path) -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "expected.txt")
        .collect();
    files.sort();
    let (diagnostics, _) = detour_cli::check::diagnostics(&files).unwrap();
    let prefix = format!("{}/", dir.parent().unwrap().display());
    let mut out: String = diagnostics.iter().map(|d| format!("{d}\n")).collect();
    out = out.replace(&prefix, "");
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    out.push_str(&format!("-- {} error(s), {} warning(s)\n", errors, diagnostics.len() - errors));
    out
}

#[test]
fn golden_diagnostics() {
    let root = fixtures().join("diagnostics");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    let mut mismatches = Vec::new();
    for dir in &dirs {
        let actual = render(dir);
        let expected_path = dir.join("expected.txt");
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if actual != expected {
            mismatches.push(format!("== {}\n-- expected:\n{expected}-- actual:\n{actual}", dir.display()));
        }
    }
    assert!(dirs.len() >= 7);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn ten_kinds_of_mistakes_give_ten_diagnostics_on_their_lines() {
    let file = fixtures().join("diagnostics/ten-mistakes/_redirects");
    let (diagnostics, valid) = detour_cli::check::diagnostics(&[file]).unwrap();
    let lines: Vec<u32> = diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(lines, (3..=12).collect::<Vec<u32>>());
    assert!(diagnostics.iter().all(|d| d.is_error()));
    let kinds: std::collections::HashSet<_> = diagnostics.iter().map(|d| std::mem::discriminant(&d.problem)).collect();
    assert_eq!(kinds.len(), 10, "ten different kinds of mistakes");
    assert_eq!(valid, 2);
}
