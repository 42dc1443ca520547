//! The command line's shape: every subcommand and option, in one place, so the binary parses
//! it, `detour completions` writes completion scripts for it and `cargo xtask man` writes its
//! man pages from it.

use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand};

use crate::{diff_cmd, explain_cmd, match_cmd};

/// Netlify-compatible redirect rules: check, compile and match them.
#[derive(Parser)]
#[command(name = "detour", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Parse and lint rule files; print every error and warning; exit 1 on any error.
    Check {
        /// `_redirects`, `netlify.toml` or `*.json` files (or site directories), in priority order;
        /// `-` reads rules from standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// How to print the diagnostics.
        #[arg(long, value_enum, default_value = "plain")]
        format: crate::report::Format,
        /// Exit 1 on warnings too.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Compile rule files into a blob; exit 1 with every diagnostic on rule errors. With
    /// `--sites SITES`, compile every site folder `SITES/<host>/` into `OUT/<host>.detour`.
    Compile {
        /// `_redirects`, `netlify.toml` or `*.json` files (or site directories), in priority order;
        /// `-` reads rules from standard input.
        #[arg(required_unless_present = "sites", conflicts_with = "sites")]
        files: Vec<PathBuf>,
        /// A directory of site folders (`SITES/<host>/` with `_redirects` and/or `netlify.toml`,
        /// and an optional `aliases` file); `--out` is then the directory of blobs.
        #[arg(long, value_name = "SITES")]
        sites: Option<PathBuf>,
        /// Where to write the blob; `-` writes it to standard output (with `--sites`: the
        /// directory of blobs).
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
    /// Print a completion script for SHELL on standard output.
    ///
    /// For example `detour completions bash > ~/.local/share/bash-completion/completions/detour`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
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

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The site directory.
    #[arg(required_unless_present = "sites", conflicts_with = "sites")]
    pub dir: Option<PathBuf>,
    /// Serve every site of a directory of blobs (`detour compile --sites`), routing by Host.
    #[arg(long, value_name = "OUT")]
    pub sites: Option<PathBuf>,
    /// With `--sites`: where requests no rule handles are proxied (else they answer 404).
    #[arg(long, value_name = "URL", requires = "sites")]
    pub origin: Option<String>,
    /// With `--sites`: the most sites whose rules are held in memory at once.
    #[arg(long, default_value_t = 1024)]
    pub max_open_sites: usize,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
    /// The request header that carries the country code.
    #[arg(long, default_value = "x-country")]
    pub country_header: String,
    /// The site's JWT secret, for Role rules (at least 16 bytes); or set DETOUR_JWT_SECRET, which
    /// keeps it out of the process list and the shell history.
    #[arg(long, env = "DETOUR_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Serve the files without the rules (a baseline for load tests).
    #[arg(long)]
    pub no_rules: bool,
    /// Also serve dot-files, dot-directories and the rule files (hidden by default).
    #[arg(long)]
    pub serve_hidden: bool,
    /// Connections served at once; more wait in the listen backlog.
    #[arg(long, default_value_t = 512)]
    pub max_connections: usize,
    /// Seconds a client may take to send a request's headers (and stay silent between requests).
    #[arg(long, default_value_t = 10.0)]
    pub header_timeout: f64,
    /// Seconds a connection may move no byte while no request on it awaits its answer.
    #[arg(long, default_value_t = 30.0)]
    pub idle_timeout: f64,
    /// Proxied requests in flight at once; more answer 503.
    #[arg(long, default_value_t = 256)]
    pub max_upstream_requests: usize,
    /// Log warnings and errors only.
    #[arg(long)]
    pub quiet: bool,
    /// Log each request's decision (rule applied, pass through, denial) at info level; by
    /// default decisions are logged at debug level (`RUST_LOG=debug`).
    #[arg(long)]
    pub log_decisions: bool,
    /// Simulate a visitor from this country (ISO 3166 code, as `netlify dev --geo=mock --country`):
    /// every request carries it in the country header.
    #[arg(long)]
    pub country: Option<String>,
    /// Simulate a visitor with this language: every request carries `Accept-Language: LANGUAGE`.
    #[arg(long)]
    pub language: Option<String>,
    /// Serve `/about` only from `about` or `about/index.html`, never from `about.html`.
    #[arg(long)]
    pub no_pretty_urls: bool,
    /// Look for changed rule files by polling only, without file-system events.
    #[arg(long)]
    pub poll: bool,
}

/// The whole command line as clap describes it (for completions and man pages).
pub fn command() -> clap::Command {
    Cli::command()
}

/// Writes the completion script for `shell` to `out`.
/// The completion script for `shell`. Generated into memory: clap_complete panics when its
/// writer fails, so the caller writes the script and reports a failed write.
pub fn completions(shell: clap_complete::Shell) -> String {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command(), "detour", &mut script);
    String::from_utf8_lossy(&script).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn completions_name_every_subcommand() {
        for shell in [clap_complete::Shell::Bash, clap_complete::Shell::Zsh, clap_complete::Shell::Fish] {
            let script = completions(shell);
            for sub in ["check", "compile", "match", "explain", "diff", "serve", "completions"] {
                assert!(script.contains(sub), "{shell:?} completions lack `{sub}`");
            }
        }
    }
}
