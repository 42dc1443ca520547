//! `cargo xtask fuzz`: every cargo-fuzz target for a bounded time, seeded from the fixtures;
//! a crash is minimized into `fixtures/fuzz-regressions/<target>/`, where `cargo test` replays it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{root, run};

pub const TARGETS: [&str; 6] =
    ["parse_redirects", "parse_toml", "load_blob", "differential", "match_request", "check_site"];

/// One target's figures.
pub struct Report {
    pub target: &'static str,
    pub seconds: u64,
    pub executions: u64,
    pub per_second: u64,
    pub finding: Option<PathBuf>,
}

fn ensure_cargo_fuzz() -> Result<(), String> {
    let ok = Command::new("cargo").args(["+nightly", "fuzz", "--version"]).output().is_ok_and(|o| o.status.success());
    if !ok {
        run("cargo", &["install", "cargo-fuzz", "--locked"])?;
    }
    Ok(())
}

fn files_under(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, keep, out);
        } else if keep(&p) {
            out.push(p);
        }
    }
}

/// Rule texts of the conformance cases (the lines between `===` and `---`) for one file kind.
fn case_rule_texts(toml: bool) -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    files_under(&root().join("fixtures/cases"), &|p| p.extension().is_some_and(|e| e == "cases"), &mut files);
    let mut texts = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for case in text.split("\n=== ").skip(1) {
            let rules = case.split("\n---").next().unwrap_or_default();
            let is_toml = rules.contains("@file netlify.toml");
            if is_toml == toml {
                let body: Vec<&str> = rules.lines().skip(1).filter(|l| !l.starts_with('@')).collect();
                texts.push(body.join("\n").into_bytes());
            }
        }
    }
    texts
}

/// Seeds for each target from the fixtures.
fn write_seeds(target: &str, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let fixtures = root().join("fixtures");
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    match target {
        "parse_redirects" => {
            seeds = case_rule_texts(false);
            let mut files = Vec::new();
            files_under(&fixtures, &|p| p.file_name().is_some_and(|n| n == "_redirects"), &mut files);
            seeds.extend(files.iter().filter_map(|f| std::fs::read(f).ok()));
        }
        "parse_toml" => {
            seeds = case_rule_texts(true);
            let mut files = Vec::new();
            files_under(&fixtures, &|p| p.extension().is_some_and(|e| e == "toml"), &mut files);
            seeds.extend(files.iter().filter_map(|f| std::fs::read(f).ok()));
        }
        "load_blob" => {
            let mut files = Vec::new();
            files_under(&fixtures.join("blobs"), &|p| p.extension().is_some_and(|e| e == "detour"), &mut files);
            seeds.extend(files.iter().filter_map(|f| std::fs::read(f).ok()));
            for text in case_rule_texts(false).iter().take(60) {
                let rules = detour_rules::parse_redirects(text, "_redirects").rules;
                seeds.extend(detour_compiler::compile(&rules).ok());
            }
        }
        "check_site" => {
            // Every saved regression (the issue 11 panic line first), then the cases' rule
            // texts as `_redirects`, then as `netlify.toml` (after a NUL), then the JSON files.
            let mut saved = Vec::new();
            files_under(&fixtures.join("fuzz-regressions/check_site"), &|p| !p.ends_with("README.md"), &mut saved);
            seeds.extend(saved.iter().filter_map(|f| std::fs::read(f).ok()));
            seeds.extend(case_rule_texts(false));
            seeds.extend(case_rule_texts(true).into_iter().map(|t| [&[0u8][..], &t].concat()));
            let mut json = Vec::new();
            files_under(&fixtures, &|p| p.extension().is_some_and(|e| e == "json"), &mut json);
            seeds.extend(json.iter().filter_map(|f| std::fs::read(f).ok()).map(|t| [&[0u8, 0][..], &t].concat()));
        }
        "match_request" => {
            let requests = std::fs::read_to_string(fixtures.join("workloads/1k/requests.jsonl")).unwrap_or_default();
            for line in requests.lines().take(200) {
                if let Ok(req) = detour_cli::requests::parse_request_line(line) {
                    seeds.push([&[0u8][..], &req.path, &[0xFF], &req.query, &[0xFF], req.host.as_bytes()].concat());
                }
            }
            seeds.extend(detour_testkit::blob::hostile_seeds());
        }
        _ => {
            let mut rng = detour_testkit::workload::Rng::new(1);
            seeds = (0..32).map(|_| (0..512).map(|_| rng.next_u64() as u8).collect()).collect();
        }
    }
    for (i, seed) in seeds.iter().enumerate() {
        let path = dir.join(format!("seed-{i:04}"));
        std::fs::write(&path, seed).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn stat(output: &str, name: &str) -> u64 {
    output
        .lines()
        .filter_map(|l| l.strip_prefix(name))
        .filter_map(|v| v.trim_start_matches(':').trim().parse().ok())
        .next_back()
        .unwrap_or(0)
}

/// Runs one target for `seconds`.
fn fuzz_target(target: &'static str, seconds: u64) -> Result<Report, String> {
    let fuzz = root().join("fuzz");
    let corpus = fuzz.join("corpus").join(target);
    write_seeds(target, &corpus)?;
    let artifacts = fuzz.join("artifacts").join(target);
    let _ = std::fs::remove_dir_all(&artifacts);
    eprintln!("xtask: fuzzing {target} for {seconds}s");
    let out = Command::new("cargo")
        .args(["+nightly", "fuzz", "run", "-O", target, "--"])
        .arg(format!("-max_total_time={seconds}"))
        .args(["-print_final_stats=1", "-timeout=10", "-rss_limit_mb=4096", "-max_len=65536"])
        .current_dir(&fuzz)
        .output()
        .map_err(|e| format!("cannot run cargo fuzz: {e}"))?;
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = |finding| Report {
        target,
        seconds,
        executions: stat(&log, "stat::number_of_executed_units"),
        per_second: stat(&log, "stat::average_exec_per_sec"),
        finding,
    };
    if out.status.success() {
        return Ok(report(None));
    }
    let mut found = Vec::new();
    files_under(&artifacts, &|_| true, &mut found);
    let Some(artifact) = found.first() else {
        return Err(format!("cargo fuzz run {target} failed without an artifact:\n{log}"));
    };
    let name = artifact.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let _ = Command::new("cargo")
        .args(["+nightly", "fuzz", "tmin", "-O", target])
        .arg(artifact)
        .current_dir(&fuzz)
        .output();
    let mut minimized = Vec::new();
    files_under(
        &artifacts,
        &|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("minimized")),
        &mut minimized,
    );
    let keep = minimized.first().unwrap_or(artifact);
    let dest = root().join("fixtures/fuzz-regressions").join(target);
    std::fs::create_dir_all(&dest).map_err(|e| e.to_string())?;
    let saved = dest.join(name);
    std::fs::copy(keep, &saved).map_err(|e| e.to_string())?;
    eprintln!("{log}");
    Ok(report(Some(saved)))
}

/// `--smoke` (10 s a target), or `--time SECS`, optionally for named targets only.
pub fn command(args: &[String]) -> Result<(), String> {
    ensure_cargo_fuzz()?;
    let seconds: u64 = match args.iter().position(|a| a == "--time") {
        Some(i) => args.get(i + 1).and_then(|v| v.parse().ok()).ok_or("--time needs seconds")?,
        None if args.iter().any(|a| a == "--smoke") => 10,
        None => 60,
    };
    let named: Vec<&str> = args.iter().map(String::as_str).filter(|a| TARGETS.contains(a)).collect();
    run("cargo", &["+nightly", "fuzz", "build", "-O", "--fuzz-dir", "fuzz"])?;
    let mut reports = Vec::new();
    for target in TARGETS.into_iter().filter(|t| named.is_empty() || named.contains(t)) {
        reports.push(fuzz_target(target, seconds)?);
    }
    println!("| target | seconds | executions | exec/s | result |");
    println!("|---|---|---|---|---|");
    for r in &reports {
        let result = r.finding.as_ref().map_or("no finding".to_string(), |p| format!("FOUND: {}", p.display()));
        println!("| {} | {} | {} | {} | {} |", r.target, r.seconds, r.executions, r.per_second, result);
    }
    if reports.iter().any(|r| r.finding.is_some()) {
        return Err("the fuzzers found failures; minimized inputs are in fixtures/fuzz-regressions/".to_string());
    }
    Ok(())
}
