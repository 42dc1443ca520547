//! `cargo xtask load --soak [--seconds S]`: `detour serve` under good, hostile and slow clients
//! while its rules are redeployed by atomic rename every second (the clients are
//! `crates/detour-cli/examples/soak.rs`).

use std::path::Path;
use std::process::{Command, Stdio};

use crate::{field, root, wait_listening};

const ADDR: &str = "127.0.0.1:18400";
/// How much slower the good clients' p99 may be under the soak than alone.
const MAX_P99_RATIO: f64 = 3.0;

pub fn run(seconds: u64) -> Result<(), String> {
    run_cargo_builds()?;
    let site = root().join("target/soak-site");
    let _ = std::fs::remove_dir_all(&site);
    copy_dir(&root().join("fixtures/sites/demo"), &site)?;
    let log_path = root().join("target/soak-server.log");
    let log = std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let site_arg = site.display().to_string();
    // A short header timeout so the slow clients are cut off (and come back) during the run.
    let mut server = Command::new(root().join("target/release/detour"))
        .args(["serve", &site_arg, "--addr", ADDR, "--quiet", "--header-timeout", "2"])
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start detour serve: {e}"))?;
    wait_listening(&mut server, ADDR)?;
    let quiet = clients(seconds, &site_arg, "quiet");
    let soak = quiet.as_ref().ok().map(|_| clients(seconds, &site_arg, "soak"));
    let alive = matches!(server.try_wait(), Ok(None));
    let _ = server.kill();
    let _ = server.wait();
    let (quiet, soak) = (quiet?, soak.unwrap_or_else(|| Err("not run".to_string()))?);
    report(&quiet, &soak, alive, &log_path)
}

fn run_cargo_builds() -> Result<(), String> {
    crate::run("cargo", &["build", "--release", "-q", "-p", "detour-cli", "--example", "soak"])?;
    crate::run("cargo", &["build", "--release", "-q", "-p", "detour-cli"])
}

fn clients(seconds: u64, site: &str, mode: &str) -> Result<String, String> {
    let out = Command::new(root().join("target/release/examples/soak"))
        .args([ADDR, &seconds.to_string(), site, mode])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run the soak clients: {e}"))?;
    if !out.status.success() {
        return Err(format!("the soak clients failed ({})", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn report(quiet: &str, soak: &str, alive: bool, log: &Path) -> Result<(), String> {
    println!("| run | good answers | wrong | errors | req/s | p50 us | p99 us | hostile answered (unanswered) | slow cut off | deploys (live) |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (name, r) in [("good clients alone", quiet), ("soak", soak)] {
        println!(
            "| {name} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} ({:.0}) | {:.0} | {:.0} ({:.0}) |",
            field(r, "good"),
            field(r, "wrong"),
            field(r, "errors"),
            field(r, "rps"),
            field(r, "p50_us"),
            field(r, "p99_us"),
            field(r, "hostile"),
            field(r, "hostile_unanswered"),
            field(r, "slow_cut_off"),
            field(r, "reloads"),
            field(r, "reloads_live"),
        );
    }
    let ratio = field(soak, "p99_us") / field(quiet, "p99_us").max(1.0);
    println!("\np99 under the soak / alone: {ratio:.2}x (limit {MAX_P99_RATIO}x); server log: {}", log.display());
    let mut failures = Vec::new();
    if !alive {
        failures.push("the server exited".to_string());
    }
    for r in [quiet, soak] {
        if field(r, "wrong") > 0.0 || field(r, "errors") > 0.0 || field(r, "good") == 0.0 {
            failures.push(format!("good clients got wrong answers or errors: {r}"));
        }
    }
    if field(soak, "reloads_live") == 0.0 {
        failures.push("no deploy took effect".to_string());
    }
    if ratio > MAX_P99_RATIO {
        failures.push(format!("p99 grew {ratio:.2}x under the soak"));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| format!("{}: {e}", target.display()))?;
        }
    }
    Ok(())
}
