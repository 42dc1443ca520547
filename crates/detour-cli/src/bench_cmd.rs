//! `detour bench RULES [--requests FILE] [--json]`: compile, load and match figures.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use detour_format::{Header, HEADER_LEN};
use detour_reference::{match_request, RoleConfig};

use crate::requests::Request;
use detour_rules::{Rule, Segment};
use detour_runtime::{Blob, MatchOptions, Matcher, Outcome};
use serde_json::json;

use crate::{load, requests, Failure};

/// Allocation counter of the running binary (the `detour` binary installs a counting global
/// allocator; elsewhere it reads 0).
pub type AllocCounter = fn() -> u64;

/// A request for each rule that it matches (placeholders and splats filled in), plus as many
/// that match nothing: used when no request file is given.
pub fn requests_for(rules: &[Rule]) -> Vec<Request> {
    let mut out = Vec::with_capacity(rules.len() * 2);
    for (i, rule) in rules.iter().enumerate() {
        let mut path = String::new();
        for s in &rule.path.segments {
            path.push('/');
            match s {
                Segment::Literal(l) => {
                    let mut enc = Vec::new();
                    detour_runtime::encoding::encode_path_capture(l, &mut enc);
                    path.push_str(&String::from_utf8_lossy(&enc));
                }
                Segment::Placeholder(_) => path.push_str("p1"),
                Segment::Splat => path.push_str("a/b"),
                Segment::PrefixSplat(p) => {
                    path.push_str(&String::from_utf8_lossy(p));
                    path.push('x');
                }
            }
        }
        let origin = rule.host.as_ref().map_or(String::new(), |h| format!("{}://{}", h.scheme.as_str(), h.host));
        let query: Vec<String> = rule
            .query
            .iter()
            .map(|q| match &q.value {
                detour_rules::QueryValue::Capture(_) => format!("{}=v", q.key),
                detour_rules::QueryValue::Literal(v) => format!("{}={}", q.key, String::from_utf8_lossy(v)),
            })
            .collect();
        let mut url = format!("{origin}{}", if path.is_empty() { "/".to_string() } else { path });
        if !query.is_empty() {
            url = format!("{url}?{}", query.join("&"));
        }
        let mut req = Request::from_url(&url);
        req.country = rule.conditions.country.first().cloned();
        req.language = rule.conditions.language.first().cloned();
        out.push(req);
        out.push(Request::from_url(&format!("/no-such-path-{i}/x")));
    }
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Repeats `f` (one round) for at least `budget`, returns the median round time.
fn rounds(budget: Duration, min_rounds: usize, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    let mut times = Vec::new();
    while times.len() < min_rounds || start.elapsed() < budget {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
    }
    Duration::from_secs_f64(median(times))
}

/// Peak resident memory of this process so far, from `/proc/self/status` (Linux), in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kb| kb * 1024)
}

fn input_bytes(rules: &Path) -> u64 {
    load::expand(rules).iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum()
}

pub fn run(
    rules_path: &Path,
    requests_path: Option<&PathBuf>,
    as_json: bool,
    allocations: AllocCounter,
) -> Result<(), Failure> {
    let start = Instant::now();
    let site = load::load_rules(std::slice::from_ref(&rules_path.to_path_buf()))?;
    let parse_ms = start.elapsed().as_secs_f64() * 1e3;
    let start = Instant::now();
    let blob_bytes = detour_compiler::compile(&site.rules).map_err(|e| Failure::Usage(e.to_string()))?;
    let compile_ms = start.elapsed().as_secs_f64() * 1e3;
    let peak_rss = peak_rss_bytes();

    let load_time = rounds(Duration::from_millis(300), 5, || {
        std::hint::black_box(Blob::from_bytes(&blob_bytes).map(|b| b.header().rule_count).ok());
    });
    let header_time = rounds(Duration::from_millis(100), 5, || {
        let h = Header::read(&blob_bytes).ok();
        std::hint::black_box((h, &blob_bytes[HEADER_LEN..]));
    });
    let blob = Blob::from_bytes(&blob_bytes).map_err(|e| Failure::Usage(e.to_string()))?;
    let matcher = Matcher::new(blob, MatchOptions::default());

    let reqs: Vec<Request> = match requests_path {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Failure::io(path, e))?;
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    requests::parse_request_line(l).map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))
                })
                .collect::<Result<_, _>>()?
        }
        None => requests_for(&site.rules),
    };
    if reqs.is_empty() {
        return Err(Failure::Usage("no requests to match".to_string()));
    }
    let pairs: Vec<Vec<(&str, &str)>> = reqs.iter().map(crate::engine::cookie_pairs).collect();
    let runtime: Vec<detour_runtime::Request<'_>> =
        reqs.iter().zip(&pairs).map(|(r, p)| crate::engine::runtime_request(r, p)).collect();
    // Sized from the blob and the largest request, so the timed rounds never allocate.
    let largest = reqs
        .iter()
        .map(|r| r.path.len() + r.query.len() + r.cookies.iter().map(|(k, v)| k.len() + v.len() + 2).sum::<usize>())
        .max()
        .unwrap_or(0);
    let mut scratch = matcher.scratch_for(largest);
    let mut matched = 0usize;
    for r in &runtime {
        matched += usize::from(matches!(matcher.find(r, &mut scratch), Outcome::Matched(_)));
    }
    let before = allocations();
    let round = rounds(Duration::from_millis(1500), 5, || {
        for r in &runtime {
            std::hint::black_box(matches!(matcher.find(r, &mut scratch), Outcome::Matched(_)));
        }
    });
    let rounds_allocs = allocations() - before;
    let compiled_ns = round.as_secs_f64() * 1e9 / runtime.len() as f64;

    // The reference is slow on large sets: time a sample of requests, spread over the file. The
    // stride is odd, so a file that interleaves request kinds (as the generated ones do, in
    // fours) is sampled across all of them, not just one.
    let config = RoleConfig::default();
    let step = (reqs.len() / 200).max(1) | 1;
    let sample: Vec<detour_reference::Request> =
        reqs.iter().step_by(step).map(crate::engine::reference_request).collect();
    let reference_round = rounds(Duration::from_millis(500), 1, || {
        for r in &sample {
            std::hint::black_box(match_request(&site.rules, r, &config));
        }
    });
    let reference_ns = reference_round.as_secs_f64() * 1e9 / sample.len() as f64;

    let report = json!({
        "rules": site.rules.len(),
        "requests": reqs.len(),
        "matched": matched,
        "parse_ms": parse_ms,
        "compile_ms": compile_ms,
        "compile_peak_rss_bytes": peak_rss,
        "input_bytes": input_bytes(rules_path),
        "blob_bytes": blob_bytes.len(),
        "load_us": load_time.as_secs_f64() * 1e6,
        "header_check_us": header_time.as_secs_f64() * 1e6,
        "compiled_ns_per_match": compiled_ns,
        "reference_ns_per_match": reference_ns,
        "reference_sampled_requests": sample.len(),
        "speedup": reference_ns / compiled_ns,
        "allocs_per_match": rounds_allocs as f64 / (runtime.len() as f64),
    });
    if as_json {
        println!("{report}");
    } else {
        let f = |k: &str| report[k].as_f64().unwrap_or(0.0);
        println!("rules:            {}", report["rules"]);
        println!("requests:         {} ({} matched)", report["requests"], report["matched"]);
        println!("parse:            {:.1} ms", f("parse_ms"));
        println!("compile:          {:.1} ms", f("compile_ms"));
        println!(
            "blob:             {} bytes ({:.2}x the rule files)",
            report["blob_bytes"],
            f("blob_bytes") / f("input_bytes").max(1.0)
        );
        println!("load + validate:  {:.1} us (header check only: {:.2} us)", f("load_us"), f("header_check_us"));
        println!(
            "match (compiled): {:.1} ns/request, {} allocations/request",
            f("compiled_ns_per_match"),
            report["allocs_per_match"]
        );
        println!(
            "match (reference):{:.1} ns/request (sampled {} requests)",
            f("reference_ns_per_match"),
            report["reference_sampled_requests"]
        );
        println!("speed-up:         {:.0}x", f("speedup"));
    }
    Ok(())
}
