//! `detour`: check, compile, inspect and match Netlify redirect rules.
//!
//! Exit codes: 0 ok, 1 rule errors, 2 usage or I/O errors.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use detour_cli::{bench_cmd, check, compile_cmd, match_cmd, Failure};

/// Counts allocations, so `detour bench` can report allocations per match.
#[global_allocator]
static GLOBAL: &stats_alloc::StatsAlloc<std::alloc::System> = &stats_alloc::INSTRUMENTED_SYSTEM;

fn allocations() -> u64 {
    let stats = GLOBAL.stats();
    (stats.allocations + stats.reallocations) as u64
}

/// Netlify-compatible redirect rules: check, compile and match them.
#[derive(Parser)]
#[command(name = "detour", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and lint rule files; print every error and warning; exit 1 on any error.
    Check {
        /// `_redirects`, `netlify.toml` or `*.json` files (or site directories), in priority order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Compile rule files into a blob; exit 1 with every diagnostic on rule errors.
    Compile {
        /// `_redirects`, `netlify.toml` or `*.json` files (or site directories), in priority order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Where to write the blob.
        #[arg(short, long)]
        out: PathBuf,
        /// Drop invalid rules (reporting them) and write the blob anyway, as Netlify's deploy does.
        #[arg(long)]
        allow_invalid: bool,
    },
    /// Show a blob's header, format version, checksum, rule count and sizes.
    Inspect {
        /// The blob.
        blob: PathBuf,
    },
    /// Match one URL, or a JSONL file of requests, against rules or a blob.
    Match(match_cmd::MatchArgs),
    /// Serve a static site with its `_redirects` and `netlify.toml`, reloading them on change.
    Serve {
        /// The site directory.
        dir: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// The request header that carries the country code.
        #[arg(long, default_value = "x-country")]
        country_header: String,
        /// The site's JWT secret, for Role rules.
        #[arg(long)]
        jwt_secret: Option<String>,
        /// Serve the files without the rules (a baseline for load tests).
        #[arg(long)]
        no_rules: bool,
        /// Do not log each request.
        #[arg(long)]
        quiet: bool,
    },
    /// Compile, load and match, and print the figures.
    Bench {
        /// Rules (`_redirects`, `netlify.toml`, `*.json` or a site directory).
        rules: PathBuf,
        /// JSONL requests (default: one hit and one miss per rule).
        #[arg(long)]
        requests: Option<PathBuf>,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { files } => check::run(&files),
        Command::Compile { files, out, allow_invalid } => compile_cmd::compile(&files, &out, allow_invalid),
        Command::Inspect { blob } => compile_cmd::inspect(&blob),
        Command::Match(args) => match_cmd::run(&args),
        Command::Serve { dir, addr, country_header, jwt_secret, no_rules, quiet } => {
            serve(dir, addr, &country_header, jwt_secret, no_rules, quiet)
        }
        Command::Bench { rules, requests, json } => bench_cmd::run(&rules, requests.as_ref(), json, allocations),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::RuleErrors) => ExitCode::from(1),
        Err(Failure::Usage(msg) | Failure::Io(msg)) => {
            eprintln!("detour: {msg}");
            ExitCode::from(2)
        }
    }
}

fn serve(
    dir: PathBuf,
    addr: std::net::SocketAddr,
    country_header: &str,
    jwt_secret: Option<String>,
    no_rules: bool,
    quiet: bool,
) -> Result<(), Failure> {
    let level = if quiet { "warn" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| level.into());
    use std::io::IsTerminal;
    let ansi = std::io::stderr().is_terminal();
    tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(ansi).init();
    if !dir.is_dir() {
        return Err(Failure::Usage(format!("{}: not a directory", dir.display())));
    }
    let mut options = detour_http::ServeOptions { no_rules, ..Default::default() };
    options.layer.country_header = country_header
        .parse()
        .map_err(|_| Failure::Usage(format!("--country-header `{country_header}` is not a header name")))?;
    options.match_options.jwt_secret = jwt_secret.map(String::into_bytes);
    let runtime = tokio::runtime::Runtime::new().map_err(|e| Failure::Io(format!("tokio runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| Failure::Io(format!("{addr}: {e}")))?;
        eprintln!("detour serve: http://{addr}/ ({}{})", dir.display(), if no_rules { ", without rules" } else { "" });
        detour_http::serve(dir, listener, options).await.map_err(|e| Failure::Io(e.to_string()))
    })
}
