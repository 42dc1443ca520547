//! `detour`: check, compile, inspect and match Netlify redirect rules.
//!
//! Exit codes: 0 ok, 1 rule errors, 2 usage or I/O errors.

mod answer;
mod check;
mod load;
mod match_cmd;
mod requests;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

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
    /// Match one URL, or a JSONL file of requests, against rules.
    Match(match_cmd::MatchArgs),
}

/// Which matcher answers `detour match`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Engine {
    /// The naive linear scan, the oracle.
    Reference,
}

/// Why a command failed, and so its exit code.
#[derive(Debug)]
pub enum Failure {
    /// The rules have errors (exit 1); the diagnostics were already printed.
    RuleErrors,
    /// Bad usage (exit 2).
    Usage(String),
    /// A file could not be read or written (exit 2).
    Io(String),
}

impl Failure {
    /// An I/O failure naming the file.
    pub fn io(path: &Path, e: std::io::Error) -> Failure {
        Failure::Io(format!("{}: {e}", path.display()))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { files } => check::run(&files),
        Command::Match(args) => match_cmd::run(&args),
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
