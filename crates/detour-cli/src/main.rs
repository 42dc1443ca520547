//! `detour`: check, compile, inspect and match Netlify redirect rules.
//!
//! Exit codes: 0 ok, 1 rule errors, 2 usage or I/O errors.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use detour_cli::{check, match_cmd, Failure};

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
