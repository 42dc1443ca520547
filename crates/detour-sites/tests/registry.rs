//! The registry's behaviour: hosts and aliases, lazy opening under a budget, per-site reload,
//! bad blobs confined to their site, unknown hosts, and the directory changing under it.

mod common;

use common::*;
use detour_runtime::Scratch;
use std::cell::RefCell;

use detour_sites::{Lookup, Registry, RegistryOptions, SiteCache};

fn manual() -> RegistryOptions {
    RegistryOptions { watch: false, ..RegistryOptions::default() }
}

thread_local! {
    /// One cache per test (each test runs on its own thread), kept across its probes, so every
    /// change a test makes to the directory is also checked against hosts cached before it.
    static CACHE: RefCell<SiteCache> = RefCell::new(SiteCache::new());
}

/// The answer for `/probe` on `host`, through the four ways of matching via the registry
/// (which must agree): `lookup`, `with_matcher`, `with_matcher_cached` and `lookup_cached`.
fn probe(registry: &Registry, host: &str) -> String {
    let mut scratch = Scratch::new();
    let through_lookup = answer(&registry.lookup(host), host, "/probe", &mut scratch);
    let through_with_matcher = registry
        .with_matcher(host, |m| answer_of(m, host, "/probe", &mut scratch))
        .unwrap_or_else(|lookup| answer(&lookup, host, "/probe", &mut Scratch::new()));
    assert_eq!(through_lookup, through_with_matcher, "{host}");
    let through_cache = CACHE.with_borrow_mut(|cache| {
        registry
            .with_matcher_cached(cache, host, |m| answer_of(m, host, "/probe", &mut scratch))
            .unwrap_or_else(|lookup| answer(&lookup, host, "/probe", &mut Scratch::new()))
    });
    assert_eq!(through_lookup, through_cache, "{host} through the cache");
    let through_cached_lookup =
        CACHE.with_borrow_mut(|cache| answer(&registry.lookup_cached(cache, host), host, "/probe", &mut scratch));
    assert_eq!(through_lookup, through_cached_lookup, "{host} through lookup_cached");
    through_lookup
}

#[test]
fn hosts_and_aliases_route_to_their_site_in_any_spelling() {
    let dir = fresh_dir("routing");
    deploy(&dir, "a.example", &versioned("a.example", &["www.a.example", "xn--bcher-kva.example"], 1));
    deploy(&dir, "b.example", &versioned("b.example", &[], 1));
    let registry = Registry::open(&dir, manual()).unwrap();
    assert_eq!(registry.sites(), 2);
    assert_eq!(registry.open_sites(), 0, "nothing is opened before a request");
    for host in ["a.example", "A.Example", "a.example:8080", "a.example.", "WWW.A.EXAMPLE.:80", "xn--bcher-kva.example"]
    {
        assert_eq!(probe(&registry, host), "/a.example/v1", "{host}");
    }
    assert_eq!(probe(&registry, "b.example"), "/b.example/v1");
    for host in ["c.example", "", "bücher.example", "a.example:x", "www.b.example", "a..example", "[::1]"] {
        assert_eq!(probe(&registry, host), "unknown", "{host:?}");
    }
    assert_eq!(registry.open_sites(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_budget_closes_the_least_recently_used_site_and_it_reopens() {
    let dir = fresh_dir("budget");
    for name in ["a.example", "b.example", "c.example"] {
        deploy(&dir, name, &versioned(name, &[], 1));
    }
    let registry = Registry::open(&dir, RegistryOptions { max_open: 2, ..manual() }).unwrap();
    let held = registry.lookup("a.example");
    probe(&registry, "b.example");
    probe(&registry, "a.example");
    // Opening c closes the least recently used: b (a was used after it).
    assert_eq!(probe(&registry, "c.example"), "/c.example/v1");
    assert_eq!(registry.open_sites(), 2);
    // A request holding a's rules keeps them whatever happens to the site.
    assert_eq!(answer(&held, "a.example", "/probe", &mut Scratch::new()), "/a.example/v1");
    // b reopens on its next request, and the budget holds.
    assert_eq!(probe(&registry, "b.example"), "/b.example/v1");
    assert_eq!(registry.open_sites(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_blob_keeps_its_sites_rules_and_touches_no_other_site() {
    let dir = fresh_dir("bad-blob");
    deploy(&dir, "a.example", &versioned("a.example", &["www.a.example"], 1));
    deploy(&dir, "b.example", &versioned("b.example", &[], 1));
    let registry = Registry::open(&dir, manual()).unwrap();
    assert_eq!(probe(&registry, "a.example"), "/a.example/v1");
    assert_eq!(probe(&registry, "b.example"), "/b.example/v1");
    let mut corrupt = versioned("a.example", &["www.a.example"], 2);
    let middle = corrupt.len() / 2;
    corrupt[middle] ^= 0xff;
    deploy(&dir, "a.example", &corrupt);
    registry.rescan();
    assert_eq!(probe(&registry, "a.example"), "/a.example/v1", "the previous rules keep serving");
    assert_eq!(probe(&registry, "www.a.example"), "/a.example/v1");
    assert_eq!(probe(&registry, "b.example"), "/b.example/v1");
    let problems = registry.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, "a.example");
    assert!(problems[0].1.contains("checksum"), "{problems:?}");
    // The fix is taken, and the problem cleared.
    deploy(&dir, "a.example", &versioned("a.example", &["www.a.example"], 3));
    registry.rescan();
    assert_eq!(probe(&registry, "a.example"), "/a.example/v3");
    assert!(registry.problems().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_site_that_never_had_valid_rules_is_unavailable() {
    let dir = fresh_dir("never-valid");
    deploy(&dir, "a.example", b"not a blob at all");
    // A valid blob in a file named for another site.
    deploy(&dir, "b.example", &versioned("c.example", &[], 1));
    deploy(&dir, "d.example", &versioned("d.example", &[], 1));
    let registry = Registry::open(&dir, manual()).unwrap();
    assert_eq!(probe(&registry, "a.example"), "unavailable");
    assert_eq!(probe(&registry, "b.example"), "unavailable");
    assert_eq!(probe(&registry, "c.example"), "unknown");
    assert_eq!(probe(&registry, "d.example"), "/d.example/v1");
    let names: Vec<String> = registry.problems().into_iter().map(|(site, _)| site).collect();
    assert_eq!(names, ["a.example", "b.example"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn closed_sites_learn_new_aliases_and_new_and_removed_sites_are_seen() {
    let dir = fresh_dir("directory-changes");
    deploy(&dir, "a.example", &versioned("a.example", &[], 1));
    let registry = Registry::open(&dir, manual()).unwrap();
    assert_eq!(probe(&registry, "new.a.example"), "unknown");
    deploy(&dir, "a.example", &versioned("a.example", &["new.a.example"], 2));
    deploy(&dir, "b.example", &versioned("b.example", &[], 1));
    registry.rescan();
    assert_eq!(probe(&registry, "new.a.example"), "/a.example/v2");
    assert_eq!(probe(&registry, "b.example"), "/b.example/v1");
    // An open site's new blob drops an alias.
    deploy(&dir, "a.example", &versioned("a.example", &[], 3));
    registry.rescan();
    assert_eq!(probe(&registry, "new.a.example"), "unknown");
    assert_eq!(probe(&registry, "a.example"), "/a.example/v3");
    std::fs::remove_file(dir.join("b.example.detour")).unwrap();
    registry.rescan();
    assert_eq!(probe(&registry, "b.example"), "unknown");
    assert_eq!(registry.open_sites(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_alias_two_sites_claim_goes_to_the_first_and_is_reported() {
    let dir = fresh_dir("alias-conflict");
    deploy(&dir, "a.example", &versioned("a.example", &["shared.example", "b.example"], 1));
    deploy(&dir, "b.example", &versioned("b.example", &["shared.example"], 1));
    let registry = Registry::open(&dir, manual()).unwrap();
    assert_eq!(probe(&registry, "shared.example"), "/a.example/v1");
    assert_eq!(probe(&registry, "b.example"), "/b.example/v1", "a primary host names its own site");
    let problems = registry.problems();
    assert_eq!(problems.len(), 2, "{problems:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_watcher_takes_a_renamed_blob_without_a_rescan() {
    let dir = fresh_dir("watcher");
    deploy(&dir, "a.example", &versioned("a.example", &[], 1));
    let options =
        RegistryOptions { poll_interval: std::time::Duration::from_millis(100), ..RegistryOptions::default() };
    let registry = Registry::open(&dir, options).unwrap();
    assert_eq!(probe(&registry, "a.example"), "/a.example/v1");
    deploy(&dir, "a.example", &versioned("a.example", &[], 2));
    // While the watcher may swap rules, one way at a time; once swapped, all four agree.
    let one_way = |host: &str| answer(&registry.lookup(host), host, "/probe", &mut Scratch::new());
    assert!(eventually(|| one_way("a.example") == "/a.example/v2"));
    assert_eq!(probe(&registry, "a.example"), "/a.example/v2");
    deploy(&dir, "b.example", &versioned("b.example", &[], 1));
    assert!(eventually(|| one_way("b.example") == "/b.example/v1"));
    assert_eq!(probe(&registry, "b.example"), "/b.example/v1");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn matching_through_the_registry_is_sync_across_threads() {
    let dir = fresh_dir("threads");
    for i in 0..8 {
        let name = format!("s{i}.example");
        deploy(&dir, &name, &versioned(&name, &[], 1));
    }
    let registry = Registry::open(&dir, RegistryOptions { max_open: 3, ..manual() }).unwrap();
    std::thread::scope(|scope| {
        for t in 0..4 {
            let registry = &registry;
            scope.spawn(move || {
                let mut scratch = Scratch::new();
                for n in 0..400 {
                    let host = format!("s{}.example", (n * 7 + t) % 8);
                    let got = answer(&registry.lookup(&host), &host, "/probe", &mut scratch);
                    assert_eq!(got, format!("/{host}/v1"));
                }
            });
        }
    });
    assert!(registry.open_sites() <= 3);
    assert!(matches!(registry.lookup("s0.example"), Lookup::Site(_)));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_cache_used_with_two_registries_answers_each_from_its_own_sites() {
    let (one, two) = (fresh_dir("cache-one"), fresh_dir("cache-two"));
    deploy(&one, "a.example", &versioned("a.example", &[], 1));
    deploy(&two, "a.example", &versioned("a.example", &[], 2));
    let (first, second) = (Registry::open(&one, manual()).unwrap(), Registry::open(&two, manual()).unwrap());
    for _ in 0..3 {
        assert_eq!(probe(&first, "a.example"), "/a.example/v1");
        assert_eq!(probe(&second, "a.example"), "/a.example/v2");
    }
    std::fs::remove_dir_all(&one).unwrap();
    std::fs::remove_dir_all(&two).unwrap();
}

#[test]
fn a_cache_of_many_hosts_holds_no_site_open_past_the_budget() {
    let dir = fresh_dir("cache-budget");
    let names: Vec<String> = (0..40).map(|i| format!("s{i}.example")).collect();
    for name in &names {
        deploy(&dir, name, &versioned(name, &[], 1));
    }
    let registry = Registry::open(&dir, RegistryOptions { max_open: 3, ..manual() }).unwrap();
    for round in 0..3 {
        for name in &names {
            assert_eq!(probe(&registry, name), format!("/{name}/v1"), "round {round}");
            assert!(registry.open_sites() <= 3, "{} sites open", registry.open_sites());
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
