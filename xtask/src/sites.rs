//! `cargo xtask sites [--sites N] [--rules M] [--long] [--keep]`: the many-sites figures of
//! BENCHMARKS.md. Generates N site folders of M rules each (default 200 × 100; `--long`
//! 10,000 × 1,000) under `target/sites-bench/`, then measures with release builds:
//! `detour compile --sites` (sites per second on every core, and the rerun that skips every
//! unchanged site), and the `touch_sites` example of `detour-sites` (registry start, first
//! answer of each cold site, a second pass) under `/usr/bin/time -v` for the peak RSS, once with
//! an open-site budget of a tenth of the sites and once with every site open. The data is
//! deleted afterwards unless `--keep` (at 10,000 × 1,000 it is about 1.3 GB).
//!
//! `cargo xtask stress [--long]`: the registry's reload stress test (`crates/detour-sites/tests/
//! reload_stress.rs`), 1,000 replaced sites with `--long` (CI runs its smoke size).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde_json::{json, Value};

use crate::{gen, option, root, run};

pub fn command(args: &[String]) -> Result<(), String> {
    let long = args.iter().any(|a| a == "--long");
    let sites: usize = option(args, "--sites")?.unwrap_or(if long { 10_000 } else { 200 });
    let rules: usize = option(args, "--rules")?.unwrap_or(if long { 1_000 } else { 100 });
    let base = root().join("target/sites-bench");
    let _ = std::fs::remove_dir_all(&base);
    let result = measure(&base, sites, rules);
    if !args.iter().any(|a| a == "--keep") {
        let _ = std::fs::remove_dir_all(&base);
    }
    let results = result?;
    println!("{}", serde_json::to_string_pretty(&results).unwrap_or_default());
    Ok(())
}

pub fn stress(args: &[String]) -> Result<(), String> {
    let replaced = if args.iter().any(|a| a == "--long") { "1000" } else { "40" };
    std::env::set_var("DETOUR_STRESS_SITES", replaced);
    run("cargo", &["test", "--release", "-p", "detour-sites", "--test", "reload_stress", "--", "--nocapture"])
}

fn measure(base: &Path, sites: usize, rules: usize) -> Result<Value, String> {
    let (input, out) = (base.join("sites"), base.join("out"));
    let start = Instant::now();
    let input_bytes = generate(&input, sites, rules)?;
    eprintln!("xtask: {sites} sites x {rules} rules generated ({:.1?})", start.elapsed());
    run("cargo", &["build", "--release", "-q", "-p", "detour-cli"])?;
    run("cargo", &["build", "--release", "-q", "-p", "detour-sites", "--example", "touch_sites"])?;
    let detour = root().join("target/release/detour");
    let compile = |label: &str| -> Result<(f64, u64), String> {
        let mut cmd = Command::new(&detour);
        cmd.args(["compile", "--sites"]).arg(&input).arg("-o").arg(&out);
        let (seconds, rss, _) = timed(cmd)?;
        eprintln!("xtask: compile --sites ({label}): {seconds:.2} s, peak RSS {} MB", rss / 1024);
        Ok((seconds, rss))
    };
    let (first, compile_rss) = compile("all sites")?;
    let (rerun, _) = compile("unchanged")?;
    let blob_bytes = dir_bytes(&out);
    let touch = root().join("target/release/examples/touch_sites");
    let mut touched = Vec::new();
    for budget in [(sites / 10).max(1), sites] {
        let mut cmd = Command::new(&touch);
        cmd.arg(&out).args(["--max-open", &budget.to_string()]);
        let (seconds, rss, stdout) = timed(cmd)?;
        let mut figures: Value = serde_json::from_str(stdout.trim()).map_err(|e| format!("touch_sites: {e}"))?;
        figures["peak_rss_mb"] = json!(rss / 1024);
        figures["wall_s"] = json!(seconds);
        eprintln!("xtask: touch_sites --max-open {budget}: {figures}");
        touched.push(figures);
    }
    Ok(json!({
        "sites": sites, "rules_per_site": rules,
        "input_mb": input_bytes as f64 / 1e6, "blobs_mb": blob_bytes as f64 / 1e6,
        "compile_s": first, "compile_sites_per_s": sites as f64 / first, "compile_peak_rss_mb": compile_rss / 1024,
        "rerun_unchanged_s": rerun,
        "touch": touched,
    }))
}

/// Writes `SITES/siteNNNNN.example/` with `_redirects` (the generated workload of seed N) and
/// an `aliases` file; returns the bytes written.
fn generate(input: &Path, sites: usize, rules: usize) -> Result<u64, String> {
    let mut bytes = 0;
    for i in 0..sites {
        let host = format!("site{i:05}.example");
        let dir = input.join(&host);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let text = gen::generate(rules, 0, i as u64 + 1).rules;
        bytes += text.len() as u64;
        std::fs::write(dir.join("_redirects"), text).map_err(|e| format!("{}: {e}", dir.display()))?;
        std::fs::write(dir.join("aliases"), format!("www.{host}\n")).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    Ok(bytes)
}

/// Runs a command under `/usr/bin/time -v`: wall seconds, peak RSS in KB, standard output.
fn timed(cmd: Command) -> Result<(f64, u64, String), String> {
    let program = cmd.get_program().to_os_string();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_os_string()).collect();
    let start = Instant::now();
    let output = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(&program)
        .args(&args)
        .output()
        .map_err(|e| format!("cannot run /usr/bin/time: {e}"))?;
    let seconds = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("{} failed: {stderr}", program.to_string_lossy()));
    }
    let rss = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes): "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    Ok((seconds, rss, String::from_utf8_lossy(&output.stdout).into_owned()))
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map_or(0, |entries| entries.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
}
