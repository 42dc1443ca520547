//! The `detour` command line as a library: the binary is a thin `main`, and the tests drive the
//! same code (the conformance harness compares engines through [`answer::Answer`]).

#![forbid(unsafe_code)]

pub mod answer;
pub mod bench_cmd;
pub mod check;
pub mod cli;
pub mod compile_cmd;
pub mod compile_sites;
pub mod diff_cmd;
pub mod engine;
pub mod explain_cmd;
pub mod load;
pub mod loaded;
pub mod match_cmd;
pub mod progress;
pub mod report;
pub mod requests;
pub mod serve;
pub mod snippet;

use std::path::Path;

use clap::ValueEnum;

/// Which matcher answers `detour match`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Engine {
    /// The compiled engine.
    Compiled,
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
    /// `detour diff` found requests whose outcome changes (exit 1); the report was printed.
    OutcomesChanged,
    /// `detour match --exit-code`: some request matched no rule (exit 1); the results were printed.
    NothingMatched,
}

/// Writes `text` and a newline to standard output: a closed or full stdout is a
/// [`Failure::Io`] (exit 2), not the panic of `println!`.
pub fn print_line(text: &str) -> Result<(), Failure> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").and_then(|()| out.flush()).map_err(|e| Failure::Io(format!("stdout: {e}")))
}

impl Failure {
    /// An I/O failure naming the file.
    pub fn io(path: &Path, e: std::io::Error) -> Failure {
        Failure::Io(format!("{}: {e}", path.display()))
    }
}
