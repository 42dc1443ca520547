//! `detour check` and `detour compile` in process (issue 11): the same generated rules as
//! `_redirects`, `netlify.toml` and JSON, and as `_redirects` with a warning on every tenth
//! rule, at 10k and 100k rules. Throughput is per rule, so the figures compare across sizes.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use detour_cli::load::Texts;
use detour_rules::SourceKind;
use detour_testkit::workload;

/// The allocator the `detour` binary ships with (`crates/detour-cli/src/main.rs`): what is
/// measured here is what `detour check` and `detour compile` do.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Every input of one size: (name, texts).
fn inputs(n: usize) -> Vec<(&'static str, Texts)> {
    let redirects = workload::generate(n, 0, 42).rules;
    let one = |kind, text: String, name: &str| vec![(kind, text.into_bytes(), name.to_string())];
    vec![
        ("redirects", one(SourceKind::Redirects, redirects.clone(), "_redirects")),
        ("toml", one(SourceKind::NetlifyToml, workload::as_netlify_toml(&redirects), "netlify.toml")),
        ("json", one(SourceKind::Json, workload::as_json(&redirects), "rules.json")),
        ("warnings", one(SourceKind::Redirects, workload::with_warnings(&redirects), "_redirects")),
    ]
}

fn sizes() -> Vec<usize> {
    let mut sizes = vec![10_000, 100_000];
    if std::env::var_os("DETOUR_BENCH_20K").is_some() {
        sizes.insert(1, 20_000);
    }
    sizes
}

fn check_and_compile(c: &mut Criterion) {
    for n in sizes() {
        let inputs = inputs(n);
        for (group, compile) in [("check", false), ("compile", true)] {
            let mut g = c.benchmark_group(group);
            g.sample_size(10);
            g.throughput(Throughput::Elements(n as u64));
            for (name, texts) in &inputs {
                g.bench_function(BenchmarkId::new(*name, n), |b| {
                    b.iter(|| {
                        if compile {
                            // What `detour compile` runs: the check, keeping its blob.
                            let checked = detour_check::compiled(&detour_cli::load::as_sources(texts));
                            black_box(checked.blob.map(|blob| blob.len()).ok());
                            black_box((checked.site.rules.len(), checked.diagnostics.len()))
                        } else {
                            let (site, diagnostics) = detour_cli::check::site_of(texts);
                            black_box((site.rules.len(), diagnostics.len()))
                        }
                    })
                });
            }
            g.finish();
        }
    }
}

/// The parsers alone, so the cost a format adds to `check` shows apart from what every format
/// shares (lint, engine warnings).
fn parse_only(c: &mut Criterion) {
    for n in sizes() {
        let mut g = c.benchmark_group("parse");
        g.sample_size(10);
        g.throughput(Throughput::Elements(n as u64));
        for (name, texts) in &inputs(n) {
            g.bench_function(BenchmarkId::new(*name, n), |b| {
                b.iter(|| {
                    let parsed = detour_rules::parse_site(&detour_cli::load::as_sources(texts));
                    black_box((parsed.rules.len(), parsed.diagnostics.len()))
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, check_and_compile, parse_only);
criterion_main!(benches);
