//! Compile time, and load time: full validation from bytes, mmap + full validation, and
//! mmap + header check only.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use detour_runtime::Blob;

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    for n in [1_000usize, 10_000, 100_000] {
        let w = detour_testkit::workload::generate(n, 0, 42);
        let rules = detour_rules::parse_redirects(w.rules.as_bytes(), "_redirects").rules;
        group.bench_function(BenchmarkId::new("rules", n), |b| b.iter(|| black_box(detour_compiler::compile(&rules))));
        group.bench_function(BenchmarkId::new("parse_and_compile", n), |b| {
            b.iter(|| {
                let rules = detour_rules::parse_redirects(w.rules.as_bytes(), "_redirects").rules;
                black_box(detour_compiler::compile(&rules))
            })
        });
    }
    group.finish();
}

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load/10000");
    let w = detour_testkit::workload::generate(10_000, 0, 42);
    let rules = detour_rules::parse_redirects(w.rules.as_bytes(), "_redirects").rules;
    let bytes = detour_compiler::compile(&rules).expect("compile");
    let path = std::env::temp_dir().join(format!("detour-bench-{}.detour", std::process::id()));
    std::fs::write(&path, &bytes).expect("write blob");
    group.bench_function("bytes_full_validation", |b| b.iter(|| black_box(Blob::from_bytes(&bytes).is_ok())));
    group.bench_function("read_full_validation", |b| b.iter(|| black_box(Blob::open(&path).is_ok())));
    group.bench_function("read_header_only", |b| b.iter(|| black_box(Blob::read_header(&path).is_ok())));
    group.finish();
    let _ = std::fs::remove_file(&path);
}

criterion_group!(benches, compile, load);
criterion_main!(benches);
