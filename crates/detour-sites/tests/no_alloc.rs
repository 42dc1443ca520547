//! Matching through the registry allocates nothing once a site is open: a counting global
//! allocator (`stats_alloc`) counts every allocation while requests to several sites, by their
//! primary hosts and aliases in any case and with ports, are looked up and matched. Runs on the
//! main thread (`harness = false`): the counter is process-wide.

use detour_runtime::{Outcome, Request, Scratch};
use detour_sites::{Lookup, Registry, RegistryOptions, SiteCache};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

fn site_blob(rules: &str, hosts: &[&str]) -> Vec<u8> {
    let rules = detour_rules::parse_redirects(rules.as_bytes(), "_redirects").rules;
    let blob = detour_compiler::compile(&rules).expect("compile");
    let hosts: Vec<String> = hosts.iter().map(|h| h.to_string()).collect();
    detour_format::with_site(blob, &hosts, 1).expect("site section")
}

fn lookups(registry: &Registry, requests: &[(&str, &str)], scratch: &mut Scratch) -> usize {
    let mut matched = 0;
    for (host, path) in requests {
        let Lookup::Site(matcher) = registry.lookup(host) else { panic!("{host}: no site") };
        let mut request = Request::new(path);
        request.host = host;
        if let Outcome::Matched(_) = matcher.find(&request, scratch) {
            matched += 1;
        }
    }
    matched
}

fn main() {
    let dir = std::env::temp_dir().join(format!("detour-sites-no-alloc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, name) in ["a.example", "b.example", "c.example"].iter().enumerate() {
        let rules = format!("/old/* /new-{i}/:splat 301\n/blog/:year/:slug /posts/:slug?y=:year 302\n");
        let alias = format!("www.{name}");
        std::fs::write(dir.join(format!("{name}.detour")), site_blob(&rules, &[name, &alias])).unwrap();
    }
    let options = RegistryOptions { watch: false, max_open: 3, ..RegistryOptions::default() };
    let registry = Registry::open(&dir, options).unwrap();
    let requests = [
        ("a.example", "/old/x/y"),
        ("WWW.A.example:8080", "/blog/2024/hello"),
        ("b.example.", "/old/%C3%A9"),
        ("www.b.example", "/nothing"),
        ("C.EXAMPLE:443", "/old/z"),
        ("www.c.example", "/blog/1999/party"),
    ];
    let mut scratch = Scratch::new();
    // Opens the sites and warms the scratch.
    let warm = lookups(&registry, &requests, &mut scratch);
    assert_eq!(warm, 5);
    let region = Region::new(GLOBAL);
    let mut matched = 0;
    for _ in 0..100 {
        matched += lookups(&registry, &requests, &mut scratch);
        assert!(matches!(registry.lookup("unknown.example"), Lookup::Unknown));
        assert!(matches!(registry.lookup("bücher.example"), Lookup::Unknown));
    }
    let stats = region.change();
    assert_eq!(matched, 500);
    assert_eq!((stats.allocations, stats.reallocations), (0, 0), "lookups and matches through the registry allocated");
    // Through a per-thread cache, from empty (its first lookups fill it) to warm.
    let mut cache = SiteCache::new();
    let region = Region::new(GLOBAL);
    let mut matched = 0;
    for _ in 0..100 {
        for (host, path) in requests {
            let mut request = Request::new(path);
            request.host = host;
            let found = registry.with_matcher_cached(&mut cache, host, |m| {
                matches!(m.find(&request, &mut scratch), Outcome::Matched(_))
            });
            matched += usize::from(matches!(found, Ok(true)));
        }
        assert!(registry.with_matcher_cached(&mut cache, "unknown.example", |_| ()).is_err());
    }
    let stats = region.change();
    assert_eq!(matched, 500);
    assert_eq!((stats.allocations, stats.reallocations), (0, 0), "matching through a site cache allocated");
    drop(registry);
    std::fs::remove_dir_all(&dir).unwrap();
    println!("no_alloc: 600 lookups and matches through the registry, and 600 through a site cache, 0 allocations");
}
