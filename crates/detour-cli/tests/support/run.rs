//! Running the `detour` binary in tests.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// `detour ARGS` with `stdin` on standard input, without colour or a JWT secret from the
/// environment; its exit status and both streams.
pub fn detour(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_detour"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("DETOUR_JWT_SECRET")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}
