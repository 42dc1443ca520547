//! `detour diff`: data cases from `fixtures/diff/*/` (`old/` and `new/` rule sets, a request log
//! `requests.*` in JSONL or access-log form, and `expected.jsonl`: each change and the summary,
//! as `--json` prints them), each run through one `check` function; exit codes end to end.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use detour_cli::answer::Answer;
use detour_cli::diff_cmd::{classify, replay, ChangeKind, Pair};
use detour_cli::engine::RoleSettings;
use detour_cli::loaded;
use support::cases::fixtures;
use support::data_cases::{expected, run_cases};

fn requests_file(dir: &Path) -> PathBuf {
    let found = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_stem().is_some_and(|s| s == "requests"));
    found.unwrap_or_else(|| panic!("{}: no requests.* file", dir.display()))
}

/// The `--json` report of a case: one line per change, then the summary.
fn report(dir: &Path) -> Result<String, String> {
    let roles = RoleSettings::default();
    let old = loaded::load(&dir.join("old"), &roles, "diff").map_err(|e| format!("{e:?}"))?.matcher;
    let new = loaded::load(&dir.join("new"), &roles, "diff").map_err(|e| format!("{e:?}"))?.matcher;
    let log = std::fs::read(requests_file(dir)).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let pair = Pair { old: &old, new: &new };
    let summary = replay(pair, log.as_slice(), "requests", &mut out, true).map_err(|e| format!("{e:?}"))?;
    let summary_line = serde_json::json!({
        "replayed": summary.replayed, "changed": summary.total_changed(), "bad_lines": summary.bad_lines,
    });
    Ok(format!("{}{summary_line}\n", String::from_utf8(out).unwrap()))
}

/// Runs one case; `DETOUR_BLESS=1` writes a missing `expected.jsonl` (to be read by a human).
fn check(dir: &Path) -> Result<(), String> {
    let got = report(dir)?;
    let expected = expected(&dir.join("expected.jsonl"), &got)?;
    let parse = |text: &str| -> Vec<serde_json::Value> {
        text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
    };
    if parse(&got) != parse(&expected) {
        return Err(format!("got\n{got}expected\n{expected}"));
    }
    Ok(())
}

#[test]
fn diff_cases() {
    run_cases("diff", 2, check);
}

#[test]
fn the_same_answer_from_another_line_is_no_change() {
    let dir = fixtures().join("diff/every-kind");
    let report = report(&dir).unwrap();
    assert!(!report.contains("\"/m\""), "moving a rule changed nothing: {report}");
    assert!(classify(&Answer::NoMatch, &Answer::NoMatch).is_none());
    assert_eq!(classify(&Answer::NoMatch, &Answer::Denied), Some(ChangeKind::OtherChanged));
}

fn detour(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_detour")).args(args).output().unwrap()
}

#[test]
fn diff_exits_1_on_changes_and_0_without() {
    let case = fixtures().join("diff/every-kind");
    let (old, new) = (case.join("old").display().to_string(), case.join("new").display().to_string());
    let log = case.join("requests.jsonl").display().to_string();
    let changed = detour(&["diff", &old, &new, "--requests", &log]);
    assert_eq!(changed.status.code(), Some(1), "{}", String::from_utf8_lossy(&changed.stderr));
    let stdout = String::from_utf8_lossy(&changed.stdout);
    assert!(stdout.contains("requests.jsonl:2 /b?keep=1: target_changed"), "{stdout}");
    assert!(stdout.contains("  old: 301 /y?keep=1 (_redirects:2)"), "{stdout}");
    assert!(stdout.contains("  new: 301 /y2?keep=1 (_redirects:2)"), "{stdout}");
    assert!(stdout.contains("10 request(s) replayed, 5 changed (2 new_redirect, 1 redirect_removed, 1 target_changed, 1 status_changed)"), "{stdout}");
    let same = detour(&["diff", &old, &old, "--requests", &log]);
    assert_eq!(same.status.code(), Some(0), "{}", String::from_utf8_lossy(&same.stderr));
    assert!(String::from_utf8_lossy(&same.stdout).contains("10 request(s) replayed, 0 changed"));
}

#[test]
fn diff_reports_bad_log_lines_with_their_number_and_exits_2() {
    let case = fixtures().join("diff/access-log");
    let (old, new) = (case.join("old").display().to_string(), case.join("new").display().to_string());
    let out = detour(&["diff", &old, &new, "--requests", &case.join("requests.log").display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("requests.log:6: neither a JSON request nor an access-log line"), "{stderr}");
    assert!(stderr.contains("requests.log:7: the access-log request line has no target"), "{stderr}");
}
