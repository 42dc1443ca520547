//! `cargo xtask TASK`: the project's tasks, in Rust so they run the same everywhere.
//!
//! - `ci`: formatting, clippy with warnings denied, `detour-http` checked without its default
//!   features, every test, `differential`, `bindings`, then the fuzz smoke run. `.ci/run` calls this.
//! - `bindings`: builds the C library in release and runs the Go (`go test -race`) and Ruby
//!   binding tests, installing Go and Ruby with apt-get when missing (as root or with CI=true).
//! - `gen [--rules N --requests M --out DIR --seed S]`: writes a workload (see `gen.rs`); with no
//!   options, the standard ones: 1k rules in `fixtures/workloads/1k`, 10k, 100k and 1M rules in
//!   `target/workloads/`.
//! - `differential`: on a generated 10k-rule set with 100k requests, `detour match` gives
//!   identical JSONL with the compiled and the reference engine, and compiling twice gives
//!   byte-identical blobs.
//! - `fuzz --smoke | --time SECS [TARGET...]`: runs every cargo-fuzz target (installing cargo-fuzz
//!   if needed, with `cargo +nightly`), seeded from the fixtures; prints executions per target and
//!   saves minimized findings in `fixtures/fuzz-regressions/`.
//! - `load [--seconds S]`: drives `detour serve` on the demo site with 32 concurrent connections,
//!   with and without the rules, and reports requests per second, p50/p99 and the overhead.
//! - `load --soak [--seconds S]`: one `detour serve` on a copy of the demo site; good clients
//!   alone, then good, hostile and slow clients with a deploy by rename every second; fails
//!   unless every good answer is right, the server stays up, and p99 stays within 3x (`soak.rs`).
//! - `bench [--large | --check]`: `detour bench --json` on 1k to 1M rules, the criterion benches, a summary
//!   in `target/bench/results.json` and the chart `docs/benchmarks.png` (see `BENCHMARKS.md`).
//! - `man [--out DIR]`: the `detour` man pages (`clap_mangen`), `target/man/detour.1` and one
//!   page per subcommand (see `man.rs`).
//! - `sites [--sites N --rules M] [--long] [--keep]`: many sites in one process: bulk compile
//!   throughput, cold-site first answer, RSS against the open-site budget (`sites.rs`);
//!   `stress [--long]`: the registry's reload stress, 1,000 replaced sites with `--long`.
//! - `miri`: the runtime's unit tests under Miri (Tree Borrows), installing Miri when missing.
//! - `golden`: compiles `fixtures/blobs/site` into `fixtures/blobs/v<FORMAT>.detour` and records
//!   the reference engine's answers to `fixtures/blobs/requests.jsonl` beside it. Run it only when
//!   the blob format version changes; older golden blobs stay, to prove they are rejected cleanly.

mod bench;
mod bindings;
#[cfg(feature = "chart")]
mod chart;
mod fuzz;
mod man;
mod sites;
mod soak;

use detour_testkit::workload as gen;
use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("golden") => golden(),
        Some("gen") => gen_command(&args[1..]),
        Some("differential") => differential(),
        Some("bindings") => bindings::command(),
        Some("fuzz") => fuzz::command(&args[1..]),
        Some("load") => load(&args[1..]),
        Some("bench") => bench::command(&args[1..]),
        Some("miri") => miri(),
        Some("man") => man::command(&args[1..]),
        Some("sites") => sites::command(&args[1..]),
        Some("stress") => sites::stress(&args[1..]),
        #[cfg(feature = "chart")]
        Some("chart") => chart::draw(&args[1], &args[2]),
        _ => {
            eprintln!(
                "usage: cargo xtask ci | gen [--rules N --requests M --out DIR --seed S] | differential | bindings | golden | man [--out DIR]"
            );
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

pub fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs a command from the workspace root; fails with its name if it fails.
pub(crate) fn run(program: &str, args: &[&str]) -> Result<(), String> {
    run_in(".", program, args)
}

/// Runs a command from a directory of the workspace; fails with its name if it fails.
pub(crate) fn run_in(dir: &str, program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("xtask: $ (cd {dir} && {program} {})", args.join(" "));
    let started = std::time::Instant::now();
    let status = Command::new(program)
        .args(args)
        .current_dir(root().join(dir))
        // `cargo xtask` runs under `cargo run`, which puts target/debug on the library path: a
        // binding test would then load a stale debug `libdetour_capi.so` ahead of the release
        // one its rpath names, and write blobs of an older format.
        .env_remove("LD_LIBRARY_PATH")
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    // Each step's time, so CI's budget can be followed step by step.
    eprintln!("xtask: ({program} took {:.1} s)", started.elapsed().as_secs_f64());
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

fn ci() -> Result<(), String> {
    run("cargo", &["fmt", "--all", "--", "--check"])?;
    run("cargo", &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    // The layer without proxying and rustls, for servers that only redirect.
    run("cargo", &["check", "-p", "detour-http", "--no-default-features"])?;
    run("cargo", &["test", "--workspace"])?;
    differential()?;
    bindings::command()?;
    fuzz::command(&["--smoke".to_string()])?;
    Ok(())
}

/// The runtime's unit tests (archive access, index, splits, substitution, encoders) under Miri,
/// installing the component when missing. Tree Borrows: rkyv's relative pointers derive a
/// pointer from a reference to the pointer field, which Stacked Borrows rejects inside rkyv's own
/// `ArchivedVec::as_slice`; Tree Borrows accepts it. File and mmap tests are skipped under Miri.
fn miri() -> Result<(), String> {
    let installed =
        Command::new("cargo").args(["+nightly", "miri", "--version"]).output().is_ok_and(|o| o.status.success());
    if !installed {
        run("rustup", &["+nightly", "component", "add", "miri", "rust-src"])?;
    }
    std::env::set_var("MIRIFLAGS", "-Zmiri-tree-borrows");
    run("cargo", &["+nightly", "miri", "test", "-p", "detour-runtime", "--lib"])
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

/// The value after `--name`, parsed.
pub(crate) fn option<T: std::str::FromStr>(args: &[String], name: &str) -> Result<Option<T>, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(None),
        Some(i) => {
            let v = args.get(i + 1).ok_or(format!("{name} needs a value"))?;
            v.replace('_', "").parse().map(Some).map_err(|_| format!("{name}: cannot read `{v}`"))
        }
    }
}

fn gen_command(args: &[String]) -> Result<(), String> {
    let seed = option(args, "--seed")?.unwrap_or(42);
    if let Some(rules) = option::<usize>(args, "--rules")? {
        let requests = option(args, "--requests")?.unwrap_or(10_000);
        let out: String = option(args, "--out")?.ok_or("--out DIR is required with --rules")?;
        return gen::write(std::path::Path::new(&out), rules, requests, seed);
    }
    for (dir, rules, requests) in [
        ("fixtures/workloads/1k", 1_000, 2_000),
        ("target/workloads/10k", 10_000, 100_000),
        ("target/workloads/100k", 100_000, 100_000),
        ("target/workloads/1m", 1_000_000, 100_000),
    ] {
        let start = Instant::now();
        gen::write(&root().join(dir), rules, requests, seed)?;
        eprintln!("xtask: {dir}: {rules} rules, {requests} requests ({:.1?})", start.elapsed());
    }
    Ok(())
}

/// Runs `target/release/detour` and returns its standard output.
fn detour(args: &[&str]) -> Result<Vec<u8>, String> {
    let bin = root().join("target/release/detour");
    let out =
        Command::new(&bin).args(args).current_dir(root()).output().map_err(|e| format!("{}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!("detour {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr)));
    }
    Ok(out.stdout)
}

fn differential() -> Result<(), String> {
    run("cargo", &["build", "--release", "-q", "-p", "detour-cli"])?;
    let dir = root().join("target/workloads/differential-10k");
    // Rules that compete (shared prefixes, nested splats, a catch-all), so priority decides.
    gen::write_workload(&dir, &gen::competing(10_000, 50_000, 7))?;
    let d = |name: &str| dir.join(name).display().to_string();
    detour(&["compile", &d("_redirects"), "-o", &d("a.detour")])?;
    detour(&["compile", &d("_redirects"), "-o", &d("b.detour")])?;
    let (a, b) = (std::fs::read(d("a.detour")), std::fs::read(d("b.detour")));
    if a.map_err(|e| e.to_string())? != b.map_err(|e| e.to_string())? {
        return Err("compiling the same rules twice gave different blobs".to_string());
    }
    eprintln!("xtask: compiled twice, byte-identical");
    print!("{}", String::from_utf8_lossy(&detour(&["inspect", &d("a.detour")])?));
    let start = Instant::now();
    let compiled = detour(&["match", &d("a.detour"), "--requests", &d("requests.jsonl")])?;
    let compiled_time = start.elapsed();
    let start = Instant::now();
    let reference = detour(&["match", &d("_redirects"), "--requests", &d("requests.jsonl"), "--engine", "reference"])?;
    let reference_time = start.elapsed();
    let lines = compiled.iter().filter(|&&b| b == b'\n').count();
    let matched = compiled.split(|&b| b == b'\n').filter(|l| l.starts_with(b"{")).count();
    eprintln!(
        "xtask: {lines} results ({matched} matches): compiled {compiled_time:.2?}, reference {reference_time:.2?}"
    );
    if compiled != reference {
        let first = compiled.split(|&b| b == b'\n').zip(reference.split(|&b| b == b'\n')).position(|(x, y)| x != y);
        return Err(format!(
            "compiled and reference JSONL differ, first at result line {}",
            first.map_or(0, |i| i + 1)
        ));
    }
    eprintln!("xtask: compiled and reference JSONL are identical");
    Ok(())
}

/// One load run: starts `detour serve` (with or without rules), drives it, stops it.
fn load_run(no_rules: bool, port: u16, seconds: u64, paths: &[&str]) -> Result<String, String> {
    let addr = format!("127.0.0.1:{port}");
    let mut args = vec!["serve", "fixtures/sites/demo", "--addr", &addr, "--quiet"];
    if no_rules {
        args.push("--no-rules");
    }
    let mut server = Command::new(root().join("target/release/detour"))
        .args(&args)
        .current_dir(root())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start detour serve: {e}"))?;
    wait_listening(&mut server, &addr)?;
    let secs = seconds.to_string();
    let mut load_args = vec![addr.as_str(), secs.as_str(), "32"];
    load_args.extend_from_slice(paths);
    let out = Command::new(root().join("target/release/examples/load")).args(&load_args).output();
    let _ = server.kill();
    let _ = server.wait();
    let out = out.map_err(|e| format!("cannot run the load generator: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Waits up to 10 s for `server` to accept connections on `addr`; kills it if it does not.
pub(crate) fn wait_listening(server: &mut std::process::Child, addr: &str) -> Result<(), String> {
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(addr).is_err() {
        if Instant::now() > deadline {
            let _ = server.kill();
            return Err(format!("detour serve did not listen on {addr}"));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Ok(())
}

pub(crate) fn field(json: &str, name: &str) -> f64 {
    json.split(&format!("\"{name}\": "))
        .nth(1)
        .and_then(|r| r.split([',', '}']).next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

fn load(args: &[String]) -> Result<(), String> {
    let seconds: u64 = option(args, "--seconds")?.unwrap_or(5);
    if args.iter().any(|a| a == "--soak") {
        return soak::run(seconds);
    }
    run("cargo", &["build", "--release", "-q", "-p", "detour-cli", "--bin", "detour", "--example", "load"])?;
    run("cargo", &["build", "--release", "-q", "-p", "detour-cli"])?;
    // Paths no rule applies to, so both servers do the same file serving; with rules, every
    // request is also matched (and checked for a file) first.
    let paths = ["/", "/news/2024/hello.html", "/fr/", "/new-page/", "/gone.html", "/app/index.html"];
    let mut baseline = Vec::new();
    let mut layered = Vec::new();
    for round in 0..3u16 {
        baseline.push(load_run(true, 18_300 + round * 2, seconds, &paths)?);
        layered.push(load_run(false, 18_301 + round * 2, seconds, &paths)?);
    }
    let median = |runs: &[String], f: &str| {
        let mut v: Vec<f64> = runs.iter().map(|r| field(r, f)).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!("| server | req/s (median of 3) | p50 us | p99 us |");
    println!("|---|---|---|---|");
    for (name, runs) in [("files only (--no-rules)", &baseline), ("files + detour layer", &layered)] {
        println!(
            "| {name} | {:.0} | {:.0} | {:.0} |",
            median(runs, "rps"),
            median(runs, "p50_us"),
            median(runs, "p99_us")
        );
    }
    let overhead = 100.0 * (1.0 - median(&layered, "rps") / median(&baseline, "rps"));
    println!("\nthroughput overhead of the layer: {overhead:.1}%");
    for r in baseline.iter().chain(&layered) {
        eprintln!("xtask: run {r}");
    }
    Ok(())
}
