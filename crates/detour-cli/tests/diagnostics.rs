//! Golden diagnostics: each folder of `fixtures/diagnostics/` holds rule files and
//! `expected.txt`, the exact `detour check` output for them (files in name order).
//! `UPDATE_EXPECT=1 cargo test --test diagnostics` rewrites the expectations after review.

mod support;

use std::path::PathBuf;

use support::cases::fixtures;

/// The rule files of a folder (all but the `expected.*` files), in name order.
fn rule_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with("expected."))
        .collect();
    files.sort();
    files
}

fn render(dir: &std::path::Path) -> String {
    let (diagnostics, _) = detour_cli::check::diagnostics(&rule_files(dir)).unwrap();
    let prefix = format!("{}/", dir.parent().unwrap().display());
    let mut out = detour_cli::report::render(&diagnostics, detour_cli::report::Format::Plain, false);
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

/// `expected.jsonl` and `expected.sarif`, where a folder has them: the `--format json` and
/// `--format sarif` output of `detour check` (paths relative to `fixtures/diagnostics`).
#[test]
fn golden_json_and_sarif() {
    use detour_cli::report::{render, Format};
    let root = fixtures().join("diagnostics");
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for (name, format) in [("expected.jsonl", Format::Json), ("expected.sarif", Format::Sarif)] {
        for dir in ["slips", "every-error", "warnings", "lint"] {
            let dir = root.join(dir);
            let (diagnostics, _) = detour_cli::check::diagnostics(&rule_files(&dir)).unwrap();
            let actual = render(&diagnostics, format, false).replace(&format!("{}/", root.display()), "");
            let path = dir.join(name);
            if std::env::var_os("UPDATE_EXPECT").is_some() {
                std::fs::write(&path, &actual).unwrap();
            }
            let expected = std::fs::read_to_string(&path).unwrap_or_default();
            checked += 1;
            if actual != expected {
                mismatches.push(format!("== {}\n-- expected:\n{expected}-- actual:\n{actual}", path.display()));
            }
        }
    }
    assert_eq!(checked, 8);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// The fields code-scanning services read, on every result.
#[test]
fn sarif_carries_what_code_scanning_reads() {
    let text = std::fs::read_to_string(fixtures().join("diagnostics/slips/expected.sarif")).unwrap();
    let log: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "detour");
    let rules: Vec<&str> =
        run["tool"]["driver"]["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 10);
    for r in results {
        assert!(rules.contains(&r["ruleId"].as_str().unwrap()), "{r}");
        assert!(["error", "warning"].contains(&r["level"].as_str().unwrap()), "{r}");
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        let location = &r["locations"][0]["physicalLocation"];
        assert!(location["artifactLocation"]["uri"].as_str().unwrap().starts_with("slips/"));
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(location["region"]["startColumn"].as_u64().unwrap() >= 1);
    }
}

/// `fixtures/diagnostics/lint` holds one mistake of every kind the site-wide lint finds; each
/// is reported on its line, naming the other rule's line where there is one.
#[test]
fn the_lint_fixture_has_one_warning_of_every_kind() {
    let (diagnostics, _) = detour_cli::check::diagnostics(&[fixtures().join("diagnostics/lint/_redirects")]).unwrap();
    let found: Vec<(u32, String)> = diagnostics.iter().map(|d| (d.line, detour_cli::report::code(d))).collect();
    let expected = [
        (3, "shadowed"),
        (5, "shadowed"),
        (6, "redirect-loop"),
        (8, "redirect-chain"),
        (9, "redirect-chain"),
        (11, "uncaptured-placeholder"),
        (12, "query-in-from"),
        (13, "redirects-to-itself"),
        (14, "trailing-slash-loop"),
        (15, "name-prefix"),
        (16, "status-not-final"),
    ];
    assert_eq!(found, expected.map(|(l, c)| (l, c.to_string())));
    let named = |line: u32| diagnostics.iter().find(|d| d.line == line).unwrap().problem.to_string();
    assert!(named(3).contains("lint/_redirects:2 (`/blog/*`)"), "{}", named(3));
    assert!(named(5).contains("lint/_redirects:4 (`/:lang/about`)"), "{}", named(5));
    assert!(named(6).contains("(") && named(6).contains("_redirects:7)"), "{}", named(6));
    assert!(named(8).starts_with("redirect chain of 3 redirects"), "{}", named(8));
}
