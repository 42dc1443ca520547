//! `detour check`'s loop-guard warnings come from the compiled engine (`Matcher::verdict`); the
//! reference scan derives them independently. On every conformance case's rules, and on a
//! rule set built to exercise every prefix shape, both name the same rules and the same paths.

mod support;

use detour_runtime::{Blob, MatchOptions, Matcher};
use support::cases::load_cases;

fn both(rules: &[detour_rules::Rule]) -> (Vec<String>, Vec<String>) {
    let blob = Blob::from_bytes(&detour_compiler::compile(rules).unwrap()).unwrap();
    let matcher = Matcher::new(blob, MatchOptions::default());
    let compiled = detour_check::loop_warnings::warnings(rules, &matcher).iter().map(|d| d.to_string()).collect();
    let reference = detour_reference::loop_guard::warnings(rules).iter().map(|d| d.to_string()).collect();
    (compiled, reference)
}

#[test]
fn the_compiled_engine_warns_where_the_reference_does() {
    let mut warned = 0;
    for case in load_cases() {
        let (compiled, reference) = both(&case.parse().rules);
        assert_eq!(compiled, reference, "{}:{} `{}`", case.file, case.line, case.name);
        warned += compiled.len();
    }
    assert!(warned >= 10, "only {warned} loop-guard warnings over the conformance cases");
}

#[test]
fn every_prefix_shape_is_warned_about() {
    let text = "/* /t/:splat 301\n/docs/* /docs/v2/:splat 301\n/a/* /a/:splat/ 301\n\
                /* https://e.com/t/:splat 301\n/x/* https://E.com/x/:splat 301\n/t/:p/* /t/:splat/b 301\n\
                https://h.example/g/* /g/x/:splat 302\n/never/* /elsewhere/:splat 301\n";
    let rules = detour_rules::parse_redirects(text.as_bytes(), "_redirects").rules;
    let (compiled, reference) = both(&rules);
    assert_eq!(compiled, reference);
    assert!(compiled.len() >= 4, "{compiled:#?}");
}
