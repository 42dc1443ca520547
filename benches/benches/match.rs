//! Match latency per request category for the compiled engine, and on the mixed requests for
//! the reference scan and the alternatives (per-rule regex scan, `RegexSet`, `matchit`, on the
//! subset of rules they can express), measured in the same run. One iteration matches a batch
//! of `BATCH` requests; divide the time by `BATCH` for ns per request.
//! Set `DETOUR_BENCH_1M=1` to include the 1M-rule site.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use detour_benches::{runtime_requests, simple_subset, site, to_matchit, to_regex};
use detour_reference::{match_request, RoleConfig};
use detour_runtime::{Outcome, Scratch};

const BATCH: usize = 1000;

fn sizes() -> Vec<usize> {
    let mut sizes = vec![1_000, 10_000, 100_000];
    if std::env::var_os("DETOUR_BENCH_1M").is_some() {
        sizes.push(1_000_000);
    }
    sizes
}

fn match_benches(c: &mut Criterion) {
    for n in sizes() {
        let site = site(n, BATCH);
        let mut group = c.benchmark_group(format!("match/{n}"));
        group.throughput(Throughput::Elements(BATCH as u64));
        group
            .sample_size(30)
            .measurement_time(std::time::Duration::from_secs(2))
            .warm_up_time(std::time::Duration::from_millis(500));
        let mut scratch = Scratch::new();
        for (category, reqs) in &site.requests {
            let reqs = runtime_requests(&reqs[..BATCH.min(reqs.len())]);
            group.bench_function(BenchmarkId::new("compiled", category), |b| {
                b.iter(|| {
                    for r in &reqs {
                        black_box(matches!(site.matcher.find(r, &mut scratch), Outcome::Matched(_)));
                    }
                })
            });
        }
        let mixed = &site.requests.last().expect("mixed").1;
        let paths: Vec<String> = mixed.iter().map(|r| String::from_utf8_lossy(&r.path).into_owned()).collect();
        if n <= 10_000 {
            let config = RoleConfig::default();
            let sample: Vec<_> = mixed[..100].iter().map(detour_cli::engine::reference_request).collect();
            group.throughput(Throughput::Elements(sample.len() as u64));
            group.sample_size(10);
            group.bench_function(BenchmarkId::new("reference", "mixed"), |b| {
                b.iter(|| {
                    for r in &sample {
                        black_box(match_request(&site.rules, r, &config));
                    }
                })
            });
            let subset = simple_subset(&site.rules);
            let regexes: Vec<regex::Regex> =
                subset.iter().map(|r| regex::Regex::new(&to_regex(r)).expect("regex")).collect();
            let sample_paths = &paths[..100];
            group.bench_function(BenchmarkId::new("regex_scan", "mixed"), |b| {
                b.iter(|| {
                    for p in sample_paths {
                        black_box(regexes.iter().position(|re| re.is_match(p)));
                    }
                })
            });
            let set = regex::RegexSetBuilder::new(subset.iter().map(|r| to_regex(r)))
                .size_limit(1 << 30)
                .dfa_size_limit(1 << 30)
                .build();
            if let Ok(set) = set {
                group.bench_function(BenchmarkId::new("regex_set", "mixed"), |b| {
                    b.iter(|| {
                        for p in sample_paths {
                            black_box(set.matches(p).iter().next());
                        }
                    })
                });
            }
            group.throughput(Throughput::Elements(BATCH as u64));
            group.sample_size(30);
        }
        let subset = simple_subset(&site.rules);
        let mut router = matchit::Router::new();
        for (i, r) in subset.iter().enumerate() {
            let _ = router.insert(to_matchit(r), i);
        }
        let batch = &paths[..BATCH.min(paths.len())];
        group.bench_function(BenchmarkId::new("matchit", "mixed"), |b| {
            b.iter(|| {
                for p in batch {
                    black_box(router.at(p).ok().map(|m| *m.value));
                }
            })
        });
        group.finish();
    }
}

fn threads(c: &mut Criterion) {
    let site = site(10_000, BATCH);
    let matcher = Arc::new(site.matcher);
    let mixed = &site.requests.last().expect("mixed").1;
    let reqs = runtime_requests(mixed);
    let mut group = c.benchmark_group("threads/10000");
    group.sample_size(20);
    for threads in [1usize, 2] {
        group.throughput(Throughput::Elements((threads * reqs.len()) as u64));
        group.bench_function(BenchmarkId::new("compiled_mixed", threads), |b| {
            b.iter(|| {
                std::thread::scope(|s| {
                    for _ in 0..threads {
                        let (m, reqs) = (Arc::clone(&matcher), &reqs);
                        s.spawn(move || {
                            let mut scratch = Scratch::new();
                            for r in reqs.iter() {
                                black_box(matches!(m.find(r, &mut scratch), Outcome::Matched(_)));
                            }
                        });
                    }
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, match_benches, threads);
criterion_main!(benches);
