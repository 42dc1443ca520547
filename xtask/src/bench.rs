//! `cargo xtask bench [--large | --check]`: every benchmark figure in one run (`--check`: only
//! the check and compile bench of issue 11). `detour bench --json` on the
//! 1k, 10k, 100k and 1M workloads, then the criterion benches (`--large` adds the 1M site to
//! them), then a summary in `target/bench/results.json` and the chart `docs/benchmarks.png`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use crate::{gen, root, run};

const SIZES: [(&str, usize, usize); 4] = [
    ("fixtures/workloads/1k", 1_000, 2_000),
    ("target/workloads/10k", 10_000, 100_000),
    ("target/workloads/100k", 100_000, 100_000),
    ("target/workloads/1m", 1_000_000, 100_000),
];

/// Criterion's medians: (group, function, parameter, ns per element).
fn criterion_results(dir: &Path) -> Vec<Value> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() && p.file_name().is_some_and(|n| n != "report" && n != "base" && n != "change") {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "benchmark.json") && d.ends_with("new") {
                let read =
                    |f: &PathBuf| std::fs::read_to_string(f).ok().and_then(|t| serde_json::from_str::<Value>(&t).ok());
                let (Some(b), Some(est)) = (read(&p), read(&d.join("estimates.json"))) else { continue };
                let median = est["median"]["point_estimate"].as_f64().unwrap_or(0.0);
                let elements = b["throughput"]["Elements"].as_f64().unwrap_or(1.0);
                out.push(json!({
                    "group": b["group_id"], "function": b["function_id"], "parameter": b["value_str"],
                    "median_ns": median, "ns_per_element": median / elements,
                }));
            }
        }
    }
    out.sort_by_key(|v| v.to_string());
    out
}

/// `--check`: only the `check` bench (check and compile over the three formats and a file with
/// many warnings, 10k and 100k rules), then its medians per rule.
fn check_only() -> Result<(), String> {
    let criterion_dir = root().join("target/criterion");
    run("cargo", &["bench", "-p", "detour-benches", "--bench", "check"])?;
    println!("| benchmark | ns per rule (median) |\n|---|---|");
    for c in criterion_results(&criterion_dir) {
        if c["group"] == "check" || c["group"] == "compile" {
            let name = format!(
                "{}/{}/{}",
                c["group"].as_str().unwrap_or(""),
                c["function"].as_str().unwrap_or(""),
                c["parameter"].as_str().unwrap_or("")
            );
            println!("| {name} | {:.0} |", c["ns_per_element"].as_f64().unwrap_or(0.0));
        }
    }
    Ok(())
}

pub fn command(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "--check") {
        return check_only();
    }
    let large = args.iter().any(|a| a == "--large");
    run("cargo", &["build", "--release", "-q", "-p", "detour-cli", "--features", "count-allocations"])?;
    let mut cli = Vec::new();
    for (dir, rules, requests) in SIZES {
        let path = root().join(dir);
        if !path.join("_redirects").is_file() {
            gen::write(&path, rules, requests, 42)?;
        }
        let out = Command::new(root().join("target/release/detour"))
            .args(["bench", &format!("{dir}/_redirects"), "--requests", &format!("{dir}/requests.jsonl"), "--json"])
            .current_dir(root())
            .output()
            .map_err(|e| format!("detour bench: {e}"))?;
        let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
        eprintln!("xtask: detour bench {dir}: {line}");
        cli.push(serde_json::from_str::<Value>(&line).map_err(|e| format!("detour bench output: {e}: {line}"))?);
    }
    let criterion_dir = root().join("target/criterion");
    let _ = std::fs::remove_dir_all(&criterion_dir);
    let mut bench = Command::new("cargo");
    bench.args(["bench", "-p", "detour-benches"]).current_dir(root());
    if large {
        bench.env("DETOUR_BENCH_1M", "1");
    }
    let status = bench.status().map_err(|e| format!("cargo bench: {e}"))?;
    if !status.success() {
        return Err("cargo bench failed".to_string());
    }
    let results = json!({ "detour_bench": cli, "criterion": criterion_results(&criterion_dir) });
    let out_dir = root().join("target/bench");
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let results_path = out_dir.join("results.json");
    std::fs::write(&results_path, serde_json::to_string_pretty(&results).unwrap_or_default())
        .map_err(|e| e.to_string())?;
    println!("| rules | compile ms | blob / text | load+validate us | compiled ns/match | reference ns/match | speed-up | allocs/match |");
    println!("|---|---|---|---|---|---|---|---|");
    for r in &results["detour_bench"].as_array().cloned().unwrap_or_default() {
        let f = |k: &str| r[k].as_f64().unwrap_or(0.0);
        println!(
            "| {} | {:.0} | {:.2}x | {:.0} | {:.0} | {:.0} | {:.0}x | {} |",
            r["rules"],
            f("compile_ms"),
            f("blob_bytes") / f("input_bytes"),
            f("load_us"),
            f("compiled_ns_per_match"),
            f("reference_ns_per_match"),
            f("speedup"),
            r["allocs_per_match"]
        );
    }
    println!("\n| benchmark | ns per element (median) |\n|---|---|");
    for c in results["criterion"].as_array().cloned().unwrap_or_default() {
        println!(
            "| {}/{}/{} | {:.1} |",
            c["group"].as_str().unwrap_or(""),
            c["function"].as_str().unwrap_or(""),
            c["parameter"].as_str().unwrap_or(""),
            c["ns_per_element"].as_f64().unwrap_or(0.0)
        );
    }
    let chart = root().join("docs/benchmarks.png");
    run(
        "cargo",
        &[
            "run",
            "-q",
            "-p",
            "xtask",
            "--features",
            "chart",
            "--",
            "chart",
            &results_path.display().to_string(),
            &chart.display().to_string(),
        ],
    )?;
    eprintln!("xtask: wrote {} and {}", results_path.display(), chart.display());
    Ok(())
}
