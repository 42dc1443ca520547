//! The command line as people expect it (issue 15, item 5): `-` for standard input and output,
//! the JWT secret from `DETOUR_JWT_SECRET`, unknown request fields rejected with their line,
//! `match --exit-code`, shell completions, and no progress bar in piped output.

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn detour_with(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_detour"));
    command.args(args).env_remove("DETOUR_JWT_SECRET");
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    // Written from a thread: a large input must not block while the child fills its stdout.
    let writer = std::thread::spawn(move || input.write_all(&stdin));
    let out = child.wait_with_output().unwrap();
    let _ = writer.join().unwrap();
    out
}

fn detour(args: &[&str], stdin: &str) -> Output {
    detour_with(args, stdin.as_bytes(), &[])
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A temporary directory removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("detour-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, content: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn check_reads_rules_from_standard_input_as_the_kind_their_text_shows() {
    let out = detour(&["check", "-"], "/a /b 30x\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("<stdin>:1:7: error: invalid status `30x`"), "{}", text(&out.stdout));
    let toml = detour(&["check", "-"], "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = 301\nforse = true\n");
    assert_eq!(toml.status.code(), Some(1));
    assert!(text(&toml.stdout).contains("<stdin>:5:1: error: unknown field `forse`"), "{}", text(&toml.stdout));
}

#[test]
fn compile_writes_the_blob_to_standard_output_for_dash() {
    let out = detour(&["compile", "-", "-o", "-"], "/a /b 301\n/c/* /d/:splat 302\n");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(out.stdout.get(..8), Some(&detour_format::MAGIC[..]), "the blob, not a message, is on stdout");
    assert!(text(&out.stderr).contains("2 rule(s)"), "{}", text(&out.stderr));
    // The blob matches as the rules do.
    let dir = Scratch::new("stdout-blob");
    let blob = dir.0.join("site.detour");
    std::fs::write(&blob, &out.stdout).unwrap();
    let matched = detour(&["match", &blob.display().to_string(), "/c/x", "--json"], "");
    let result: serde_json::Value = serde_json::from_slice(&matched.stdout).unwrap();
    assert_eq!((result["status"].as_u64(), result["to"].as_str()), (Some(302), Some("/d/x")));
}

#[test]
fn match_reads_rules_or_requests_from_standard_input_but_not_both() {
    let out = detour(&["match", "-", "/a", "--json"], "/a /b 301\n");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("\"to\":\"/b\""), "{}", text(&out.stdout));
    let both = detour(&["match", "-", "--requests", "-"], "/a /b 301\n");
    assert_eq!(both.status.code(), Some(2));
    assert!(text(&both.stderr).contains("cannot both be read from standard input"), "{}", text(&both.stderr));
    let dir = Scratch::new("diff-stdin");
    let new = dir.file("_redirects", "/a /c 301\n");
    let requests = dir.file("requests.jsonl", "{\"url\": \"/a\"}\n");
    let diff = detour(&["diff", "-", &new, "--requests", &requests], "/a /b 301\n");
    assert_eq!(diff.status.code(), Some(1), "{}", text(&diff.stderr));
    assert!(text(&diff.stdout).contains("target_changed"), "{}", text(&diff.stdout));
    let twice = detour(&["diff", "-", &new, "--requests", "-"], "");
    assert_eq!(twice.status.code(), Some(2));
}

#[test]
fn the_jwt_secret_comes_from_the_environment() {
    let dir = Scratch::new("jwt-env");
    let rules = dir.file("_redirects", "/admin/* /staff/:splat 200 Role=admin\n");
    let secret = "an environment secret";
    let claims = serde_json::json!({"claims": {"exp": 4102444800u64, "app_metadata": {"roles": ["admin"]}}});
    let cookie = format!("nf_jwt={}", support::jwt::token(&claims, secret));
    let args = ["match", rules.as_str(), "/admin/x", "--cookie", cookie.as_str(), "--json"];
    let with_env = detour_with(&args, b"", &[("DETOUR_JWT_SECRET", secret)]);
    let without = detour_with(&args, b"", &[]);
    assert!(text(&with_env.stdout).contains("\"to\":\"/staff/x\""), "{}", text(&with_env.stdout));
    assert_eq!(text(&without.stdout).trim(), "{\"denied\":true}");
    // The option still wins over the environment, and `--help` never shows the secret.
    let wrong = detour_with(
        &[&args[..], &["--jwt-secret", "another secret!!"]].concat(),
        b"",
        &[("DETOUR_JWT_SECRET", secret)],
    );
    assert_eq!(text(&wrong.stdout).trim(), "{\"denied\":true}");
    let help = detour_with(&["match", "--help"], b"", &[("DETOUR_JWT_SECRET", secret)]);
    assert!(text(&help.stdout).contains("DETOUR_JWT_SECRET") && !text(&help.stdout).contains(secret));
}

#[test]
fn serve_refuses_a_short_secret_from_the_environment() {
    let site = support::cases::fixtures().join("sites/demo").display().to_string();
    let out = detour_with(&["serve", &site, "--addr", "127.0.0.1:0"], b"", &[("DETOUR_JWT_SECRET", "short")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--jwt-secret"), "{}", text(&out.stderr));
}

#[test]
fn unknown_request_fields_are_rejected_with_their_line_number() {
    let dir = Scratch::new("unknown-field");
    let rules = dir.file("_redirects", "/a /b 301 Country=us\n");
    let requests =
        dir.file("requests.jsonl", "{\"url\": \"/a\", \"country\": \"us\"}\n{\"url\": \"/a\", \"contry\": \"us\"}\n");
    let out = detour(&["match", &rules, "--requests", &requests], "");
    assert_eq!(out.status.code(), Some(2));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert!(lines[0].contains("\"to\":\"/b\""), "{lines:?}");
    assert!(lines[1].contains("line 2: unknown field \\\"contry\\\""), "{lines:?}");
    assert!(text(&out.stderr).contains("requests.jsonl:2: unknown field \"contry\""), "{}", text(&out.stderr));
    let diff = detour(&["diff", &rules, &rules, "--requests", &requests], "");
    assert_eq!(diff.status.code(), Some(2));
    assert!(text(&diff.stderr).contains("requests.jsonl:2: unknown field \"contry\""), "{}", text(&diff.stderr));
}

#[test]
fn match_exit_code_is_1_only_when_asked_and_a_request_matched_nothing() {
    let dir = Scratch::new("exit-code");
    let rules = dir.file("_redirects", "/a /b 301\n/r /s 200 Role=admin\n");
    let code = |args: &[&str], stdin: &str| detour(&[&["match", rules.as_str()], args].concat(), stdin).status.code();
    assert_eq!(code(&["/nothing"], ""), Some(0), "without --exit-code, no match is no failure");
    assert_eq!(code(&["/nothing", "--exit-code"], ""), Some(1));
    assert_eq!(code(&["/a", "--exit-code"], ""), Some(0));
    assert_eq!(code(&["/r", "--exit-code"], ""), Some(0), "a role denial is a rule's answer");
    let jsonl = "{\"url\": \"/a\"}\n{\"url\": \"/nothing\"}\n";
    assert_eq!(code(&["--requests", "-", "--exit-code"], jsonl), Some(1));
    assert_eq!(code(&["--requests", "-", "--exit-code"], "{\"url\": \"/a\"}\n"), Some(0));
    assert_eq!(code(&["--requests", "-"], jsonl), Some(0));
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = detour(&["completions", shell], "");
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = text(&out.stdout);
        assert!(script.contains("detour") && script.contains("explain"), "{shell}: {script}");
    }
    assert_eq!(detour(&["completions", "tcsh"], "").status.code(), Some(2));
}

#[test]
fn a_long_piped_replay_prints_no_progress() {
    let requests: String = (0..20_000).map(|i| format!("{{\"url\": \"/p/{i}\"}}\n")).collect();
    let dir = Scratch::new("progress");
    let rules = dir.file("_redirects", "/p/:n /q/:n 301\n");
    let out = detour(&["match", &rules, "--requests", "-"], &requests);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout).lines().count(), 20_000);
    assert_eq!(text(&out.stderr), "", "nothing but results when piped");
}
