//! `detour`: check, compile, inspect and match Netlify redirect rules.
//!
//! Exit codes: 0 ok, 1 rule errors (for `diff`: changed outcomes), 2 usage or I/O errors.

use std::process::ExitCode;

use clap::Parser;
use detour_cli::cli::{Cli, Command, ServeArgs};
use detour_cli::{bench_cmd, check, compile_cmd, diff_cmd, explain_cmd, match_cmd, Failure};

/// Counts allocations, so `detour bench` can report allocations per match; only in a build with
/// the `count-allocations` feature (`cargo xtask bench` turns it on), never in `serve`'s default.
#[cfg(feature = "count-allocations")]
#[global_allocator]
static GLOBAL: &stats_alloc::StatsAlloc<std::alloc::System> = &stats_alloc::INSTRUMENTED_SYSTEM;

/// jemalloc otherwise: glibc's malloc kept the large buffers a compile frees resident, so a
/// million-rule compile peaked 16% higher with it (`BENCHMARKS.md`, issue 11).
#[cfg(all(not(feature = "count-allocations"), not(target_env = "msvc")))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[cfg(feature = "count-allocations")]
fn allocations() -> u64 {
    let stats = GLOBAL.stats();
    (stats.allocations + stats.reallocations) as u64
}

/// Without the counting allocator there is nothing to count: `detour bench` reports 0.
#[cfg(not(feature = "count-allocations"))]
fn allocations() -> u64 {
    0
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { files, format, deny_warnings } => check::run(&files, format, deny_warnings),
        Command::Compile { files, sites: None, out, allow_invalid } => {
            compile_cmd::compile(&files, &out, allow_invalid)
        }
        Command::Compile { sites: Some(sites), out, allow_invalid, .. } => {
            detour_cli::compile_sites::compile_sites(&sites, &out, allow_invalid)
        }
        Command::Inspect { blob } => compile_cmd::inspect(&blob),
        Command::Match(args) => match_cmd::run(&args),
        Command::Explain(args) => explain_cmd::run(&args),
        Command::Diff(args) => diff_cmd::run(&args),
        Command::Serve(args) => serve(args),
        Command::Completions { shell } => {
            let script = detour_cli::cli::completions(shell);
            detour_cli::print_line(script.strip_suffix('\n').unwrap_or(&script))
        }
        Command::Bench { rules, requests, json } => bench_cmd::run(&rules, requests.as_ref(), json, allocations),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::RuleErrors | Failure::OutcomesChanged | Failure::NothingMatched) => ExitCode::from(1),
        Err(Failure::Usage(msg) | Failure::Io(msg)) => {
            eprintln!("detour: {msg}");
            ExitCode::from(2)
        }
    }
}

fn seconds(flag: &str, value: f64) -> Result<std::time::Duration, Failure> {
    std::time::Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| Failure::Usage(format!("--{flag} must be a positive number of seconds, not {value}")))
}

fn serve_options(args: &ServeArgs) -> Result<detour_cli::serve::ServeOptions, Failure> {
    let mut options = detour_cli::serve::ServeOptions { no_rules: args.no_rules, ..Default::default() };
    let country_header = &args.country_header;
    options.layer.country_header = country_header
        .parse()
        .map_err(|_| Failure::Usage(format!("--country-header `{country_header}` is not a header name")))?;
    options.layer.max_upstream_requests = args.max_upstream_requests;
    if let Some(secret) = &args.jwt_secret {
        detour_http::check_jwt_secret(secret.as_bytes()).map_err(|e| Failure::Usage(format!("--jwt-secret: {e}")))?;
    }
    options.match_options.jwt_secret = args.jwt_secret.clone().map(String::into_bytes);
    options.files.serve_hidden = args.serve_hidden;
    options.files.pretty_urls = !args.no_pretty_urls;
    options.layer.log_decisions = args.log_decisions;
    options.reload_on_events = !args.poll;
    options.visitor.country = visitor_value("country", args.country.as_deref())?;
    options.visitor.language = visitor_value("language", args.language.as_deref())?;
    options.connections.max_connections = args.max_connections;
    options.connections.header_read_timeout = seconds("header-timeout", args.header_timeout)?;
    options.connections.idle_timeout = seconds("idle-timeout", args.idle_timeout)?;
    Ok(options)
}

/// A `--country` or `--language` value as a header value: letters, digits and `-` only.
fn visitor_value(flag: &str, value: Option<&str>) -> Result<Option<http::HeaderValue>, Failure> {
    let Some(value) = value else { return Ok(None) };
    let valid = !value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    match http::HeaderValue::from_str(value) {
        Ok(v) if valid => Ok(Some(v)),
        _ => Err(Failure::Usage(format!("--{flag} `{value}`: use letters, digits and `-` only (like DE or fr-CA)"))),
    }
}

fn serve(args: ServeArgs) -> Result<(), Failure> {
    let level = if args.quiet { "warn" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| level.into());
    use std::io::IsTerminal;
    let ansi = std::io::stderr().is_terminal();
    tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(ansi).init();
    let options = serve_options(&args)?;
    if let Some(sites) = &args.sites {
        return serve_sites(sites, &args, options);
    }
    let dir = args.dir.clone().unwrap_or_default();
    if !dir.is_dir() {
        return Err(Failure::Usage(format!("{}: not a directory", dir.display())));
    }
    let addr = args.addr;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| Failure::Io(format!("tokio runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| Failure::Io(format!("{addr}: {e}")))?;
        // The port the system chose for `--addr HOST:0`.
        let addr = listener.local_addr().unwrap_or(addr);
        let without = if options.no_rules { ", without rules" } else { "" };
        eprintln!("detour serve: http://{addr}/ ({}{without})", dir.display());
        detour_cli::serve::serve(dir, listener, options).await.map_err(|e| Failure::Io(e.to_string()))
    })
}

/// `detour serve --sites OUT [--origin URL]`.
fn serve_sites(
    dir: &std::path::Path,
    args: &ServeArgs,
    options: detour_cli::serve::ServeOptions,
) -> Result<(), Failure> {
    if !dir.is_dir() {
        return Err(Failure::Usage(format!("{}: not a directory", dir.display())));
    }
    let mut sites = detour_cli::serve::SitesOptions {
        origin: args.origin.clone(),
        layer: options.layer,
        connections: options.connections,
        ..Default::default()
    };
    sites.registry.max_open = args.max_open_sites;
    sites.registry.match_options = options.match_options;
    let (dir, addr) = (dir.to_path_buf(), args.addr);
    let runtime = tokio::runtime::Runtime::new().map_err(|e| Failure::Io(format!("tokio runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| Failure::Io(format!("{addr}: {e}")))?;
        eprintln!("detour serve: http://{addr}/ (sites of {})", dir.display());
        detour_cli::serve::serve_sites(dir, listener, sites).await.map_err(|e| Failure::Io(e.to_string()))
    })
}
