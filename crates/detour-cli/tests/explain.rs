//! `detour explain`: data cases from `fixtures/explain/*/` (rule files, `request.json` — one
//! SPEC §5 request line — and `expected.json`), each run through one `check` function; and, on
//! every conformance case, the winner `explain` names is the rule `match` answers with.

mod support;

use std::path::Path;

use detour_cli::answer::Answer;
use detour_cli::engine::RoleSettings;
use detour_cli::explain_cmd::explain;
use detour_cli::loaded::{self, Loaded};
use detour_cli::requests::parse_request_line;
use detour_runtime::{Blob, Matcher, Verdict};
use serde_json::Value;
use support::cases::load_cases;
use support::data_cases::{expected, run_cases};
use support::engines::roles;

/// Runs one case; `DETOUR_BLESS=1` writes a missing `expected.json` (to be read by a human).
fn check(dir: &Path) -> Result<(), String> {
    let loaded = loaded::load(dir, &RoleSettings::default(), "explain").map_err(|e| format!("{e:?}"))?;
    let line = std::fs::read_to_string(dir.join("request.json")).map_err(|e| e.to_string())?;
    let req = parse_request_line(line.trim())?;
    let got = explain(&loaded, &req).to_json();
    let text = expected(&dir.join("expected.json"), &(serde_json::to_string_pretty(&got).unwrap() + "\n"))?;
    let expected: Value = serde_json::from_str(&text).map_err(|e| format!("expected.json: {e}"))?;
    if got != expected {
        return Err(format!("got\n{}\nexpected\n{}", serde_json::to_string_pretty(&got).unwrap(), text));
    }
    Ok(())
}

#[test]
fn explain_cases() {
    run_cases("explain", 8, check);
}

#[test]
fn a_wrong_expectation_fails_the_check() {
    let dir = std::env::temp_dir().join(format!("detour-explain-wrong-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("_redirects"), "/a /b 301\n").unwrap();
    std::fs::write(dir.join("request.json"), r#"{"url": "/a"}"#).unwrap();
    std::fs::write(dir.join("expected.json"), r#"{"rules": [], "outcome": null}"#).unwrap();
    let result = check(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(result.is_err());
}

/// On every request of every conformance case, explain's last step applies exactly when `match`
/// answers with that rule, and every earlier step does not apply.
#[test]
fn explain_agrees_with_match_on_the_conformance_cases() {
    let mut failures = Vec::new();
    let mut explained = 0usize;
    for case in load_cases() {
        let site = case.parse();
        let bytes = detour_compiler::compile(&site.rules).expect("compile");
        let matcher = Matcher::new(Blob::from_bytes(&bytes).expect("blob"), roles(&case).runtime());
        let loaded = Loaded { matcher, rules: Some(site.rules.clone()) };
        for (request, _) in &case.requests {
            let e = explain(&loaded, &request.request);
            explained += 1;
            let winner = match &e.answer {
                Answer::Matched(a) => Some(a.rule),
                Answer::TooLong { rule, .. } => Some(*rule),
                Answer::NoMatch | Answer::Denied => None,
            };
            let applies: Vec<usize> =
                e.steps.iter().filter(|s| s.verdict == Verdict::Applies).map(|s| s.rule).collect();
            let last_applies = e.steps.last().filter(|s| s.verdict == Verdict::Applies).map(|s| s.rule);
            if applies.len() > 1 || last_applies != winner {
                failures.push(format!(
                    "{}:{} {}: steps {:?}, answer {:?}",
                    case.file, case.line, request.url, e.steps, e.answer
                ));
            }
            let denied = e.steps.iter().any(|s| s.verdict == Verdict::RoleDenied);
            if (e.answer == Answer::Denied) && !denied {
                failures.push(format!("{}:{} {}: denied without a denied step", case.file, case.line, request.url));
            }
        }
    }
    assert!(explained > 400, "only {explained} requests explained");
    assert!(failures.is_empty(), "{} disagreement(s):\n{}", failures.len(), failures.join("\n"));
}
