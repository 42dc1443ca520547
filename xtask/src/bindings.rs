//! `cargo xtask bindings` (part of `ci`): builds the C library and the CLI in release, installs
//! Go and Ruby when they are missing (as root or in CI), then runs `go test -race ./...` in
//! `bindings/go` and the Ruby tests. Without the tools and without the right to install them,
//! it skips loudly instead of failing a developer's run.

use std::process::Command;

use crate::{run, run_in};

/// True when the command runs and exits 0.
fn works(program: &str, args: &[&str]) -> bool {
    Command::new(program).args(args).output().is_ok_and(|o| o.status.success())
}

fn tools_present() -> bool {
    works("go", &["version"]) && works("ruby", &["-e", "require 'ffi'"])
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Installs golang-go, ruby and ruby-ffi with apt-get when allowed; false when not.
fn install_tools() -> Result<bool, String> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let packages = ["install", "-y", "-q", "golang-go", "ruby", "ruby-ffi"];
    if is_root() {
        run("apt-get", &["update", "-q"])?;
        run("apt-get", &packages)?;
    } else if ci {
        run("sudo", &["-n", "apt-get", "update", "-q"])?;
        let mut sudo = vec!["-n", "apt-get"];
        sudo.extend_from_slice(&packages);
        run("sudo", &sudo)?;
    } else {
        return Ok(false);
    }
    Ok(tools_present())
}

pub(crate) fn command() -> Result<(), String> {
    run("cargo", &["build", "--release", "-q", "-p", "detour-capi", "-p", "detour-cli"])?;
    if !tools_present() && !install_tools()? {
        eprintln!("xtask: ################################################################");
        eprintln!("xtask: SKIPPED the Go and Ruby binding tests: go, ruby or ruby-ffi is");
        eprintln!("xtask: missing, and this is neither root nor CI=true. Install them with");
        eprintln!("xtask:   apt-get install -y golang-go ruby ruby-ffi");
        eprintln!("xtask: ################################################################");
        return Ok(());
    }
    run_in("bindings/go", "go", &["test", "-race", "-count=1", "./..."])?;
    run("ruby", &["-I", "bindings/ruby/lib", "bindings/ruby/test/test_detour.rb"])
}
