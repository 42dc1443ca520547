//! The checks behind the `parse_redirects` and `parse_toml` fuzz targets. `cargo test` runs
//! them on seeds and on every saved regression (`fixtures/fuzz-regressions/`).

use detour_rules::{parse_netlify_toml, parse_redirects, Rule};

fn same_rule(a: &Rule, b: &Rule) -> bool {
    let mut b = b.clone();
    b.source = a.source.clone();
    *a == b
}

/// Any bytes parse without panicking, and every rule renders to a `_redirects` line that parses
/// back to the same rule. Panics (for the fuzzer) when that does not hold.
pub fn check_parse_redirects(data: &[u8]) {
    let parsed = parse_redirects(data, "_redirects");
    for rule in &parsed.rules {
        if !rule.headers.is_empty() {
            continue;
        }
        let line = rule.to_redirects_line();
        let again = parse_redirects(line.as_bytes(), "_redirects");
        assert!(
            again.rules.len() == 1 && same_rule(rule, &again.rules[0]),
            "round trip changed the rule:\n  {rule:?}\n  rendered {line:?}\n  {:?}",
            again.rules.first()
        );
    }
}

/// Any bytes parse as `netlify.toml` without panicking, and every rule renders to a TOML table
/// that parses back to the same rule.
pub fn check_parse_toml(data: &[u8]) {
    let parsed = parse_netlify_toml(data, "netlify.toml");
    for rule in &parsed.rules {
        let table = rule.to_netlify_toml();
        let again = parse_netlify_toml(table.as_bytes(), "netlify.toml");
        assert!(
            again.rules.len() == 1 && same_rule(rule, &again.rules[0]),
            "round trip changed the rule:\n  {rule:?}\n  rendered {table:?}\n  {:?} {:?}",
            again.rules.first(),
            again.diagnostics
        );
    }
}
