//! `cargo xtask TASK`: the project's tasks, in Rust so they run the same everywhere.
//!
//! - `ci`: formatting, clippy with warnings denied, then every test. `.ci/run` calls this.
//! - `golden`: compiles `fixtures/blobs/site` into `fixtures/blobs/v<FORMAT>.detour` and records
//!   the reference engine's answers to `fixtures/blobs/requests.jsonl` beside it. Run it only when
//!   the blob format version changes; older golden blobs stay, to prove they are rejected cleanly.

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("golden") => golden(),
        _ => {
            eprintln!("usage: cargo xtask ci | golden");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs a command from the workspace root; fails with its name if it fails.
fn run(program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("xtask: $ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

fn ci() -> Result<(), String> {
    run("cargo", &["fmt", "--all", "--", "--check"])?;
    run("cargo", &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    run("cargo", &["test", "--workspace"])?;
    Ok(())
}

fn golden() -> Result<(), String> {
    let dir = root().join("fixtures/blobs");
    let tmp = dir.join("new.detour");
    let tmp_arg = tmp.display().to_string();
    run("cargo", &["run", "-q", "-p", "detour-cli", "--", "compile", "fixtures/blobs/site", "-o", &tmp_arg])?;
    let bytes = std::fs::read(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let version = u32::from_le_bytes(bytes[8..12].try_into().map_err(|_| "short blob")?);
    let blob = dir.join(format!("v{version}.detour"));
    std::fs::rename(&tmp, &blob).map_err(|e| format!("{}: {e}", blob.display()))?;
    let output = Command::new("cargo")
        .args(["run", "-q", "-p", "detour-cli", "--", "match", "fixtures/blobs/site"])
        .args(["--requests", "fixtures/blobs/requests.jsonl", "--engine", "reference"])
        .current_dir(root())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("detour match failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    let expected = dir.join(format!("v{version}.expected.jsonl"));
    std::fs::write(&expected, &output.stdout).map_err(|e| format!("{}: {e}", expected.display()))?;
    eprintln!("xtask: wrote {} and {}", blob.display(), expected.display());
    Ok(())
}
