//! Issue 12's structural bound, independent of timing: on every adversarial family and on the
//! migration site, no request has to try more than a handful of rules one by one, because the
//! compiled index leaves no long list undivided (`detour_compiler::linear_lists` is empty). A
//! shape it cannot divide is reported instead.

use detour_benches::adversarial::{families, migration_site};
use detour_compiler::{linear_lists, CompileOptions, LINEAR_WARN};

fn linear(text: &str) -> Vec<detour_compiler::LinearList> {
    let rules = detour_rules::parse_redirects(text.as_bytes(), "_redirects").rules;
    linear_lists(&rules, &CompileOptions::default()).expect("compile")
}

#[test]
fn every_adversarial_family_is_fully_indexed() {
    for family in families(10_000) {
        let lists = linear(&family.rules);
        assert!(lists.is_empty(), "{}: {} rules walked one by one", family.name, lists[0].rules.len());
    }
}

#[test]
fn the_migration_site_is_fully_indexed() {
    let (text, _) = migration_site(10_000, 10);
    assert!(linear(&text).is_empty());
}

#[test]
fn a_shape_the_index_cannot_divide_is_reported() {
    // Cookie conditions are not keyed: 100 rules on one path, told apart only by their cookie.
    let text: String = (0..100).map(|i| format!("/p /t/{i} 302 Cookie=c{i}\n")).collect();
    let lists = linear(&text);
    assert_eq!(lists.len(), 1);
    assert_eq!((lists[0].key.as_slice(), lists[0].rules.len()), (&b"p"[..], 100));
    let short: String = (0..LINEAR_WARN - 1).map(|i| format!("/p /t/{i} 302 Cookie=c{i}\n")).collect();
    assert!(linear(&short).is_empty());
}
