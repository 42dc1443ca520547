//! The `detour` binary: exit codes, output streams and the JSONL interface end to end.

mod support;

use std::process::{Command, Output, Stdio};

use support::cases::fixtures;
use support::run::detour;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fixture(path: &str) -> String {
    fixtures().join(path).display().to_string()
}

#[test]
fn check_reports_ten_mistakes_and_exits_1() {
    let out = detour(&["check", &fixture("diagnostics/ten-mistakes/_redirects")], "");
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().filter(|l| l.contains(": error: ")).count(), 10);
    assert!(stdout.contains("_redirects:3:11: error: invalid status `30x`"));
}

#[test]
fn check_on_a_clean_site_is_silent_and_exits_0() {
    let out =
        detour(&["check", &fixture("diagnostics/clean/_redirects"), &fixture("diagnostics/clean/netlify.toml")], "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn io_and_usage_errors_exit_2_naming_the_file() {
    let out = detour(&["check", "/definitely/not/here/_redirects"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/definitely/not/here/_redirects"));
    assert_eq!(detour(&["match"], "").status.code(), Some(2));
    assert_eq!(detour(&["frobnicate"], "").status.code(), Some(2));
}

#[test]
fn match_jsonl_on_redirects_and_toml() {
    let site = fixture("sites/demo");
    let requests = concat!(
        "{\"url\": \"https://example.com/blog/a/b?x=1\"}\n",
        "{\"url\": \"/nothing-here\"}\n",
        "\n",
        "{\"url\": \"/legacy\"}\n",
    );
    let redirects = format!("{site}/_redirects");
    let out = detour(&["match", &redirects, "--requests", "-", "--engine", "reference"], requests);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[0],
        r#"{"file":"_redirects","line":2,"rule":0,"status":301,"force":false,"negative":false,"to":"/news/a/b.html","target":"/news/a/b.html?x=1"}"#
    );
    assert_eq!(lines[1], "null");

    // The site directory: `_redirects` first, then `netlify.toml`.
    let out = detour(&["match", &site, "--requests", "-", "--engine", "reference"], requests);
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert!(lines[2].contains(r#""file":"netlify.toml""#), "{}", lines[2]);

    // netlify.toml on its own.
    let toml = format!("{site}/netlify.toml");
    let out = detour(&["match", &toml, "/legacy", "--json", "--engine", "reference"], "");
    assert!(text(&out.stdout).starts_with(r#"{"file":"netlify.toml","line":"#), "{}", text(&out.stdout));
}

#[test]
fn match_reports_bad_request_lines_in_place() {
    let redirects = fixture("sites/demo/_redirects");
    let out = detour(
        &["match", &redirects, "--requests", "-", "--engine", "reference"],
        "{\"url\": \"/x\"}\nnot json\n{\"nourl\": 1}\n",
    );
    assert_eq!(out.status.code(), Some(2));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[1].starts_with("{\"error\":\"line 2"));
    assert!(lines[2].starts_with("{\"error\":\"line 3"));
}

#[test]
fn match_single_url_with_conditions() {
    let redirects = fixture("sites/demo/_redirects");
    let out =
        detour(&["match", &redirects, "/", "--language", "fr-FR,fr;q=0.9", "--json", "--engine", "reference"], "");
    assert!(text(&out.stdout).contains(r#""to":"/fr/""#), "{}", text(&out.stdout));
    let out = detour(&["match", &redirects, "/", "--country", "de", "--engine", "reference"], "");
    assert!(text(&out.stdout).starts_with("302 redirect -> /de/"), "{}", text(&out.stdout));
    let out = detour(&["match", &redirects, "/", "--country", "de"], "");
    assert!(text(&out.stdout).starts_with("302 redirect -> /de/"), "compiled: {}", text(&out.stdout));
    let out = detour(&["match", &redirects, "/", "--cookie", "nf_lang=fr", "--json", "--engine", "reference"], "");
    assert!(text(&out.stdout).contains(r#""to":"/fr/""#), "{}", text(&out.stdout));
}

/// `detour serve` with these arguments, which must exit within 20 s (a server that starts
/// instead is killed and the test fails).
fn serve_must_exit(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_detour"))
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("detour serve {args:?} started instead of refusing");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn serve_refuses_an_empty_or_short_jwt_secret() {
    let site = fixture("sites/demo");
    for (secret, says) in [("", "empty"), ("0123456789", "10 bytes long")] {
        let out = serve_must_exit(&[&site, "--addr", "127.0.0.1:0", "--jwt-secret", secret]);
        assert_eq!(out.status.code(), Some(2));
        let err = text(&out.stderr);
        assert!(err.contains("--jwt-secret") && err.contains(says), "{err}");
    }
    let out = serve_must_exit(&[&site, "--addr", "127.0.0.1:0", "--header-timeout", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

/// Issue 11: a two-byte character right after `to`'s scheme made the lint slice a `str`
/// inside it, and `check`, `compile` and `serve` panicked.
#[test]
fn check_and_compile_survive_a_non_ascii_host_after_the_scheme() {
    let dir = std::env::temp_dir().join(format!("detour-cli-non-ascii-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("_redirects");
    std::fs::write(&file, "https://h.test/a http://éxample.com/a 301\n").unwrap();
    let file = file.display().to_string();
    let check = detour(&["check", &file], "");
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
    let blob = dir.join("site.detour").display().to_string();
    let compile = detour(&["compile", &file, "-o", &blob], "");
    assert_eq!(compile.status.code(), Some(0), "{}", text(&compile.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn explain_on_a_blob_names_each_rule_and_the_outcome() {
    let dir = std::env::temp_dir().join(format!("detour-explain-blob-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let blob = dir.join("site.detour");
    let rules = fixture("explain/conditions-then-winner/_redirects");
    let compiled = detour(&["compile", &rules, "--out", &blob.display().to_string()], "");
    assert_eq!(compiled.status.code(), Some(0), "{}", text(&compiled.stderr));
    let out = detour(&["explain", &blob.display().to_string(), "/blog/a", "--country", "de"], "");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("_redirects:2  (blob) /news/:splat 301"), "{stdout}");
    assert!(stdout.contains("a Country, Language or Cookie condition does not hold"), "{stdout}");
    assert!(stdout.contains("the rule applies: the winner"), "{stdout}");
    assert!(stdout.contains("outcome: 302 redirect -> /news/a"), "{stdout}");
    assert!(!stdout.contains("/old"), "a rule whose key differs is not listed: {stdout}");
}

#[test]
fn explain_json_with_a_cookie_option() {
    let rules = fixture("explain/non-ascii-and-cookie/_redirects");
    let out = detour(&["explain", &rules, "/café/x", "--cookie", "vip=1", "--json"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rules"][0]["verdict"], "applies");
    assert_eq!(v["outcome"]["target"], "/menu/x");
    let bad = detour(&["explain", &rules, "/x", "--cookie", "novalue"], "");
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn check_deny_warnings_turns_warnings_into_exit_1() {
    let dir = std::env::temp_dir().join(format!("detour-deny-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("_redirects");
    std::fs::write(&file, "/a /b 102\n").unwrap();
    let file = file.display().to_string();
    let plain = detour(&["check", &file], "");
    let denied = detour(&["check", "--deny-warnings", &file], "");
    let json = detour(&["check", "--format", "json", &file], "");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(plain.status.code(), Some(0), "a warning alone passes");
    assert!(text(&plain.stdout).contains("_redirects:1: warning: status 102 is not a final HTTP answer"));
    assert!(text(&plain.stdout).contains("= help: an informational status cannot end a response"));
    assert!(!plain.stdout.contains(&0x1b), "no colour when piped");
    assert_eq!(denied.status.code(), Some(1));
    let line: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!((line["severity"].as_str(), line["code"].as_str()), (Some("warning"), Some("status-not-final")));
}
