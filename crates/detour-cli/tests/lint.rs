//! The lint's claims checked against what the engines do: a rule the lint calls shadowed never
//! answers a conformance request, nor a request of the competing workload (whose rules share
//! prefixes, splats, placeholders, queries, conditions and hosts); the generated 10k-rule
//! workload draws no warning at all.

mod support;

use std::collections::HashSet;

use detour_cli::answer::Answer;
use detour_rules::{Problem, Rule};
use support::cases::load_cases;
use support::engines::{answers, EngineKind};

/// The indices of the rules the lint calls shadowed.
fn shadowed(rules: &[Rule]) -> HashSet<usize> {
    let line_of =
        |d: &detour_rules::Diagnostic| rules.iter().position(|r| *r.source.file == *d.file && r.source.line == d.line);
    detour_rules::lint(rules)
        .iter()
        .filter(|d| matches!(d.problem, Problem::Shadowed { .. }))
        .filter_map(line_of)
        .collect()
}

fn winner(answer: &Answer) -> Option<usize> {
    match answer {
        Answer::Matched(a) => Some(a.rule),
        Answer::TooLong { rule, .. } => Some(*rule),
        Answer::NoMatch | Answer::Denied => None,
    }
}

#[test]
fn no_rule_called_shadowed_wins_a_conformance_request() {
    let mut warned = 0;
    let mut false_positives = Vec::new();
    for case in load_cases() {
        let rules = case.parse().rules;
        let shadowed = shadowed(&rules);
        warned += shadowed.len();
        let got = answers(EngineKind::Compiled, &rules, &case);
        for ((request, _), answer) in case.requests.iter().zip(&got) {
            if let Some(rule) = winner(answer).filter(|r| shadowed.contains(r)) {
                false_positives.push(format!(
                    "{}:{} `{}`: rule {rule} (line {}) is called shadowed but answers {}",
                    case.file, case.line, case.name, rules[rule].source.line, request.url
                ));
            }
        }
    }
    assert!(false_positives.is_empty(), "{}", false_positives.join("\n"));
    assert!(warned >= 5, "only {warned} shadowing warnings over the conformance cases");
}

#[test]
fn no_rule_called_shadowed_wins_a_competing_workload_request() {
    let workload = detour_testkit::workload::competing(3_000, 30_000, 11);
    let rules = detour_rules::parse_redirects(workload.rules.as_bytes(), "_redirects").rules;
    let shadowed = shadowed(&rules);
    let blob = detour_runtime::Blob::from_bytes(&detour_compiler::compile(&rules).unwrap()).unwrap();
    let matcher = detour_runtime::Matcher::new(blob, detour_runtime::MatchOptions::default());
    let mut scratch = matcher.scratch();
    let mut winners = HashSet::new();
    for line in &workload.mixed {
        let req = detour_cli::requests::parse_request_line(line).unwrap();
        if let Some(rule) = winner(&detour_cli::engine::match_compiled(&matcher, &req, &mut scratch)) {
            winners.insert(rule);
        }
    }
    let wrong: Vec<_> = shadowed.intersection(&winners).map(|&r| rules[r].to_redirects_line()).collect();
    assert!(wrong.is_empty(), "called shadowed, yet answers requests: {wrong:#?}");
    assert!(winners.len() > 100, "the requests reach only {} rules", winners.len());
}

#[test]
fn the_generated_10k_workload_draws_no_warning() {
    let workload = detour_testkit::workload::generate(10_000, 0, 42);
    let sources = [(detour_rules::SourceKind::Redirects, workload.rules.as_bytes(), "_redirects")];
    let (site, diagnostics) = detour_check::site(&sources);
    assert_eq!(site.rules.len(), 10_000);
    let shown: Vec<String> = diagnostics.iter().take(5).map(|d| d.to_string()).collect();
    assert!(diagnostics.is_empty(), "{} diagnostics, first: {shown:#?}", diagnostics.len());
}
