//! The cost of routing by host: a request matched on one site's matcher, against the same
//! request looked up through a `detour-sites` registry first, in the same run. One iteration
//! matches a batch of `BATCH` requests (the 1,000-rule workload's mixed requests); divide by
//! `BATCH` for ns per request. Issue 17's target: the lookup adds at most 20 ns.
//!
//! - `single_site`: `Matcher::find` on one matcher.
//! - `registry_one_host`: `Registry::lookup(host)` then `find`, the same host every time.
//! - `direct_100_sites` / `registry_100_hosts`: the requests spread over 100 open sites (the
//!   same rules, so only the lookup differs): matchers picked from a slice, or looked up by host
//!   (case as sent, with a port); `registry_100_hosts_cached` through a per-thread `SiteCache`.
//! - `lookup_only_100_hosts`: the lookup alone.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use detour_benches::{runtime_requests, site};
use detour_runtime::{Matcher, Outcome, Scratch};
use detour_sites::{Lookup, Registry, RegistryOptions, SiteCache};

const BATCH: usize = 1000;
const SITES: usize = 100;

fn registry_of(blob: &[u8]) -> (std::path::PathBuf, Registry, Vec<String>) {
    let dir = std::env::temp_dir().join(format!("detour-bench-sites-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench dir");
    let mut hosts = Vec::new();
    for i in 0..SITES {
        let primary = format!("site{i:03}.example");
        let site = detour_format::with_site(blob.to_vec(), std::slice::from_ref(&primary), 1).expect("site blob");
        std::fs::write(dir.join(format!("{primary}.detour")), site).expect("write blob");
        hosts.push(format!("Site{i:03}.Example:443"));
    }
    let options = RegistryOptions { watch: false, max_open: SITES, ..RegistryOptions::default() };
    (dir.clone(), Registry::open(&dir, options).expect("registry"), hosts)
}

fn open(registry: &Registry, host: &str) -> Arc<Matcher> {
    match registry.lookup(host) {
        Lookup::Site(matcher) => matcher,
        other => panic!("{host}: {other:?}"),
    }
}

fn sites_benches(c: &mut Criterion) {
    let site = site(1_000, BATCH / 4);
    let mixed = &site.requests.last().expect("mixed").1;
    let requests = runtime_requests(&mixed[..BATCH.min(mixed.len())]);
    let (dir, registry, hosts) = registry_of(&site.blob);
    let matchers: Vec<Arc<Matcher>> = hosts.iter().map(|h| open(&registry, h)).collect();
    let mut group = c.benchmark_group("sites");
    group.throughput(Throughput::Elements(requests.len() as u64));
    group.sample_size(30).measurement_time(std::time::Duration::from_secs(2));
    let mut scratch = Scratch::new();
    group.bench_function(BenchmarkId::new("match", "single_site"), |b| {
        b.iter(|| {
            for r in &requests {
                black_box(matches!(site.matcher.find(r, &mut scratch), Outcome::Matched(_)));
            }
        })
    });
    group.bench_function(BenchmarkId::new("match", "registry_one_host"), |b| {
        b.iter(|| {
            for r in &requests {
                let Lookup::Site(matcher) = registry.lookup(&hosts[0]) else { unreachable!() };
                black_box(matches!(matcher.find(r, &mut scratch), Outcome::Matched(_)));
            }
        })
    });
    group.bench_function(BenchmarkId::new("match", "direct_100_sites"), |b| {
        b.iter(|| {
            for (k, r) in requests.iter().enumerate() {
                let matcher = &matchers[k % SITES];
                black_box(matches!(matcher.find(r, &mut scratch), Outcome::Matched(_)));
            }
        })
    });
    group.bench_function(BenchmarkId::new("match", "registry_100_hosts"), |b| {
        b.iter(|| {
            for (k, r) in requests.iter().enumerate() {
                let Lookup::Site(matcher) = registry.lookup(&hosts[k % SITES]) else { unreachable!() };
                black_box(matches!(matcher.find(r, &mut scratch), Outcome::Matched(_)));
            }
        })
    });
    group.bench_function(BenchmarkId::new("match", "registry_100_hosts_with_matcher"), |b| {
        b.iter(|| {
            for (k, r) in requests.iter().enumerate() {
                let found = registry
                    .with_matcher(&hosts[k % SITES], |m| matches!(m.find(r, &mut scratch), Outcome::Matched(_)));
                black_box(found.is_ok());
            }
        })
    });
    let mut cache = SiteCache::new();
    group.bench_function(BenchmarkId::new("match", "registry_100_hosts_cached"), |b| {
        b.iter(|| {
            for (k, r) in requests.iter().enumerate() {
                let found = registry.with_matcher_cached(&mut cache, &hosts[k % SITES], |m| {
                    matches!(m.find(r, &mut scratch), Outcome::Matched(_))
                });
                black_box(found.is_ok());
            }
        })
    });
    group.bench_function(BenchmarkId::new("lookup", "lookup_only_100_hosts"), |b| {
        b.iter(|| {
            for k in 0..requests.len() {
                black_box(matches!(registry.lookup(&hosts[k % SITES]), Lookup::Site(_)));
            }
        })
    });
    group.finish();
    drop(registry);
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group!(benches, sites_benches);
criterion_main!(benches);
