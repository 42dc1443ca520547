//! `detour`: check, compile, inspect and match Netlify redirect rules.
//!
//! Exit codes: 0 ok, 1 rule errors (for `diff`: changed outcomes), 2 usage or I/O errors.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use detour_cli::{bench_cmd, check, compile_cmd, diff_cmd, explain_cmd, match_cmd, Failure};

/// Counts allocations, so `detour bench` can report allocations per match; only in a build with
/// the `count-allocations` feature (`cargo xtask bench` turns it on), never in `serve`'s default.
#[cfg(feature = "count-allocations")]
#[global_allocator]
static GLOBAL: &stats_alloc::StatsAlloc<std::alloc::System> = &stats_alloc::INSTRUMENTED_SYSTEM;

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
        /// How to print the diagnostics.
        #[arg(long, value_enum, default_value = "plain")]
        format: detour_cli::report::Format,
        /// Exit 1 on warnings too.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Compile rule files into a blob; exit 1 with every diagnostic on rule errors. With
    /// `--sites SITES`, compile every site folder `SITES/<host>/` into `OUT/<host>.detour`.
    Compile {
        /// `_redirects`, `netlify.toml` or `*.json` files (or site directories), in priority order.
        #[arg(required_unless_present = "sites", conflicts_with = "sites")]
        files: Vec<PathBuf>,
        /// A directory of site folders (`SITES/<host>/` with `_redirects` and/or `netlify.toml`,
        /// and an optional `aliases` file); `--out` is then the directory of blobs.
        #[arg(long, value_name = "SITES")]
        sites: Option<PathBuf>,
        /// Where to write the blob (with `--sites`: the directory of blobs).
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
    /// Show the rules a URL reaches, why each did or did not apply, and the outcome.
    Explain(explain_cmd::ExplainArgs),
    /// Replay requests through two rule sets; report every request whose outcome changes; exit 1 if any.
    Diff(diff_cmd::DiffArgs),
    /// Serve a static site with its `_redirects` and `netlify.toml`, reloading them on change.
    Serve(ServeArgs),
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
        Command::Bench { rules, requests, json } => bench_cmd::run(&rules, requests.as_ref(), json, allocations),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::RuleErrors | Failure::OutcomesChanged) => ExitCode::from(1),
        Err(Failure::Usage(msg) | Failure::Io(msg)) => {
            eprintln!("detour: {msg}");
            ExitCode::from(2)
        }
    }
}

#[derive(clap::Args)]
struct ServeArgs {
    /// The site directory.
    #[arg(required_unless_present = "sites", conflicts_with = "sites")]
    dir: Option<PathBuf>,
    /// Serve every site of a directory of blobs (`detour compile --sites`), routing by Host.
    #[arg(long, value_name = "OUT")]
    sites: Option<PathBuf>,
    /// With `--sites`: where requests no rule handles are proxied (else they answer 404).
    #[arg(long, value_name = "URL", requires = "sites")]
    origin: Option<String>,
    /// With `--sites`: the most sites whose rules are held in memory at once.
    #[arg(long, default_value_t = 1024)]
    max_open_sites: usize,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// The request header that carries the country code.
    #[arg(long, default_value = "x-country")]
    country_header: String,
    /// The site's JWT secret, for Role rules (at least 16 bytes).
    #[arg(long)]
    jwt_secret: Option<String>,
    /// Serve the files without the rules (a baseline for load tests).
    #[arg(long)]
    no_rules: bool,
    /// Also serve dot-files, dot-directories and the rule files (hidden by default).
    #[arg(long)]
    serve_hidden: bool,
    /// Connections served at once; more wait in the listen backlog.
    #[arg(long, default_value_t = 512)]
    max_connections: usize,
    /// Seconds a client may take to send a request's headers (and stay silent between requests).
    #[arg(long, default_value_t = 10.0)]
    header_timeout: f64,
    /// Seconds a connection may move no byte while no request on it awaits its answer.
    #[arg(long, default_value_t = 30.0)]
    idle_timeout: f64,
    /// Proxied requests in flight at once; more answer 503.
    #[arg(long, default_value_t = 256)]
    max_upstream_requests: usize,
    /// Do not log each request.
    #[arg(long)]
    quiet: bool,
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
    options.connections.max_connections = args.max_connections;
    options.connections.header_read_timeout = seconds("header-timeout", args.header_timeout)?;
    options.connections.idle_timeout = seconds("idle-timeout", args.idle_timeout)?;
    Ok(options)
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
