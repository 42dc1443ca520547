//! `detour`: check, compile, inspect and match Netlify redirect rules.
//!
//! Exit codes: 0 ok, 1 rule errors, 2 usage or I/O errors.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use detour_cli::{check, compile_cmd, match_cmd, Failure};

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { files } => check::run(&files),
        Command::Compile { files, out, allow_invalid } => compile_cmd::compile(&files, &out, allow_invalid),
        Command::Inspect { blob } => compile_cmd::inspect(&blob),
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
