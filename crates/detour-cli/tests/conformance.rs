//! Conformance cases from `fixtures/cases/*.cases`, each run through one `check` function.
//!
//! Case format (see `fixtures/cases/README.md`):
//!
//! ```text
//! === name of the case
//! @file _redirects          (optional; also netlify.toml or rules.json; default _redirects)
//! /blog/* /news/:splat 301  (rule lines of the current file)
//! ---
//! /blog/a?x=1 => {"to": "/news/a", "target": "/news/a?x=1"}
//! /other {"country": "us"} => none
//! ```

mod support;

use support::cases::{load_cases, Case, Expect};
use support::engines::{answers, ENGINES};

use detour_cli::answer::Answer;

fn check(case: &Case) -> Vec<String> {
    let mut failures = Vec::new();
    let site = case.parse();
    let errors = site.diagnostics.iter().filter(|d| d.is_error()).count();
    if errors != case.expected_errors {
        let shown: Vec<String> = site.diagnostics.iter().map(|d| d.to_string()).collect();
        failures.push(format!("expected {} rule error(s), got {errors}:\n{}", case.expected_errors, shown.join("\n")));
    }
    for engine in ENGINES {
        let got = answers(engine, &site.rules, case);
        for ((request, expect), answer) in case.requests.iter().zip(got) {
            if let Err(why) = expect.verify(&answer) {
                failures.push(format!("[{engine:?}] {} (line {}): {why}", request.url, request.line));
            }
        }
    }
    failures
}

#[test]
fn conformance_cases() {
    let cases = load_cases();
    let mut report = Vec::new();
    for case in &cases {
        for failure in check(case) {
            report.push(format!("{}:{} `{}`: {failure}", case.file, case.line, case.name));
        }
    }
    assert!(cases.len() >= 150, "only {} conformance cases", cases.len());
    let requests: usize = cases.iter().map(|c| c.requests.len()).sum();
    eprintln!("{} conformance cases, {requests} requests", cases.len());
    assert!(report.is_empty(), "{} failure(s):\n{}", report.len(), report.join("\n"));
}

#[test]
fn expectations_are_checked() {
    // The harness itself must be able to fail: a wrong expectation is reported.
    let wrong = Expect::parse("/nowhere").unwrap();
    assert!(wrong.verify(&Answer::NoMatch).is_err());
    assert!(Expect::parse("none").unwrap().verify(&Answer::Denied).is_err());
}
