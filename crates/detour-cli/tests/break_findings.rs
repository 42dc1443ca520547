//! Regression tests for what the tester found while trying to break issues 15 and 16 (branch
//! `break`). Each test is named after its bug and fails on the code it was written against.

mod server;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use detour_cli::serve::ServeOptions;
use server::{exchange, get, site, start};

fn detour(args: &[&str], stdin: &str) -> Output {
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

/// `detour check --format json -` on `rules`: one JSON object a diagnostic.
fn json_diagnostics(rules: &str) -> Vec<serde_json::Value> {
    let out = detour(&["check", "--format", "json", "-"], rules);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn lines_with_code(diags: &[serde_json::Value], code: &str) -> Vec<u64> {
    diags.iter().filter(|d| d["code"] == code).map(|d| d["line"].as_u64().unwrap()).collect()
}

/// `/blog/*` before 100 `/blog/post-N/*` rules: every one of them is shadowed (the issue's own
/// example across shapes), but the lint stops reporting after the 64th sibling pattern.
#[test]
fn lint_shadowing_missed_after_64_sibling_patterns() {
    let mut rules = String::from("/blog/* /news/:splat 301\n");
    for i in 0..100 {
        rules.push_str(&format!("/blog/post-{i}/* /articles/{i}/:splat 301\n"));
    }
    let shadowed = lines_with_code(&json_diagnostics(&rules), "shadowed");
    assert_eq!(shadowed.len(), 100, "shadowed lines reported: {shadowed:?}");
}

/// SPEC §1.1: a rule with the same pattern as an earlier one (different target) is fully
/// shadowed and warned about. With 65 or more distinct sibling patterns `/s/N/*`, none of the
/// 65 second copies is reported (64 siblings: all 64 are).
#[test]
fn lint_same_pattern_shadowing_missed_with_65_siblings() {
    let k = 65;
    let rules: String = (0..2 * k).map(|i| format!("/s/{}/* /t/{i}/:splat 301\n", i % k)).collect();
    let shadowed = lines_with_code(&json_diagnostics(&rules), "shadowed");
    assert_eq!(shadowed.len(), k, "shadowed lines reported: {shadowed:?}");
}

/// A redirect to another site (`https://discord.gg/...`) is followed through this site's own
/// host-less rules, as if discord.gg served them: a false redirect chain.
#[test]
fn lint_false_chain_through_an_external_host() {
    let rules = "/discord https://discord.gg/abc123 301\n/* /en/:splat 302\n";
    let diags = json_diagnostics(rules);
    let chains = lines_with_code(&diags, "redirect-chain");
    let loops = lines_with_code(&diags, "redirect-loop");
    assert!(chains.is_empty() && loops.is_empty(), "{diags:#?}");
}

/// The same: `/a → https://other.example/b` and `/b → /a` is called a loop, though
/// other.example is not this site.
#[test]
fn lint_false_loop_through_an_external_host() {
    let diags = json_diagnostics("/a https://other.example/b 301\n/b /a 301\n");
    assert!(lines_with_code(&diags, "redirect-loop").is_empty(), "{diags:#?}");
}

/// SPEC §1.1 allows tabs between tokens; the caret must still sit under the bad token. With a
/// tab before it, it is drawn 3 columns early per tab (the line is drawn with 4 spaces a tab,
/// the caret is not moved).
#[test]
fn check_caret_misplaced_after_tabs() {
    let out = detour(&["check", "-"], "/a\t/b\t301\tlangauge=fr\n");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let source = text.lines().find(|l| l.starts_with("1 |")).unwrap_or_else(|| panic!("{text}"));
    let carets = text.lines().find(|l| l.trim_start().starts_with('|') && l.contains('^')).unwrap();
    let token_at = source.find("langauge").unwrap();
    let caret_at = carets.find('^').unwrap();
    assert_eq!(caret_at, token_at, "caret under the wrong token:\n{source}\n{carets}");
}

/// `explain` prints each rule it weighs, but drops its `!`, its query constraints and its
/// conditions, the very things its verdict talks about ("a Country, Language or Cookie condition
/// does not hold" under a rule shown as `/c /us 302`).
#[test]
fn explain_drops_force_query_and_conditions_from_the_rule_shown() {
    let out = detour(&["explain", "-", "/c?id=1"], "/c id=:id /us 302! Country=us Cookie=a\n/c /x 301\n");
    let text = String::from_utf8_lossy(&out.stdout);
    let shown = text.lines().find(|l| l.contains("<stdin>:1")).unwrap_or_else(|| panic!("{text}"));
    for part in ["id=:id", "302!", "Country=us", "Cookie=a"] {
        assert!(shown.contains(part), "`{part}` missing from the rule shown: {shown}");
    }
}

/// A file name with a trailing slash (`/style.css/`) counts as "a file exists at the path", so
/// the unforced SPA rule `/* /index.html 200` is skipped; but no file is served either, and the
/// visitor gets the built-in 404 page instead of the rule's answer (SPEC §3.11: the rule only
/// yields to a file that is served).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_file_with_trailing_slash_skips_rule_and_serves_default_404() {
    let dir = site(
        "break-trailing-slash",
        &[("_redirects", "/* /index.html 200\n"), ("index.html", "spa index"), ("style.css", "css")],
    );
    let addr = start(&dir, ServeOptions::default()).await;
    assert_eq!(get(addr, "/missing", "").await.body, "spa index");
    let r = get(addr, "/style.css/", "").await;
    assert!(r.status == 200 && (r.body == "spa index" || r.body == "css"), "{r:?}");
}

/// docs/limits.md: a rule file is at most 256 MiB. For standard input (`check -`) and a
/// `_redirects` that is a symlink to `/dev/zero` the limit is checked only after everything was
/// read: `yes | detour check -` grows until the allocator fails ("out of memory" after 2 GB
/// under `ulimit -v 6000000`). Fed 400 MB, `check -` must stop reading near the limit.
#[test]
fn check_stdin_reads_past_rule_file_size_limit() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_detour"))
        .args(["check", "-"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let chunk = "# comment\n".repeat(100_000); // 1 MB
        let mut written = 0;
        for _ in 0..400 {
            if input.write_all(chunk.as_bytes()).is_err() {
                break; // the reader stopped early: what is wanted
            }
            written += 1;
        }
        written
    });
    let _ = child.wait().unwrap();
    let written = writer.join().unwrap();
    assert!(written < 300, "the reader took {written} MB of standard input; the limit is 268 MB");
}

/// Runs `command` to its end, sampling its peak resident memory (VmHWM) meanwhile.
fn peak_rss_kb(command: &mut Command) -> (std::process::ExitStatus, u64) {
    let mut child = command.spawn().unwrap();
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", child.id())) {
            if let Some(kb) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak = peak.max(kb);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status, peak);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A `_redirects` of junk (here 1 MB of `y` lines, 500k errors) costs `detour check` about
/// 450 bytes of memory and 4 µs... per input byte: 460 MB and 4 s for 1 MB, 7.4 GB and 95 s
/// for 20 MB, so a file within the 256 MiB limit (a log or a binary checked by mistake, or a
/// broken `_redirects` at `serve` startup) needs ~100 GB. Linear, but the constant makes it
/// unbounded in practice.
#[test]
fn check_memory_blowup_on_a_file_of_junk_lines() {
    let dir = std::env::temp_dir().join(format!("detour-break-junk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("_redirects");
    std::fs::write(&file, "y\n".repeat(500_000)).unwrap();
    let (status, rss) = peak_rss_kb(
        Command::new(env!("CARGO_BIN_EXE_detour"))
            .args(["check", file.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    assert_eq!(status.code(), Some(1));
    assert!(rss < 150_000, "detour check of 1 MB of junk peaked at {rss} KB");
}

/// README: a rule file that disappears does not drop the rules (the previous ones keep
/// serving, with an error logged). A `_redirects` replaced by a directory of that name is
/// instead read as "no rule files": every rule is dropped, logged at INFO as a normal reload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_reload_drops_every_rule_when_redirects_becomes_a_directory() {
    let dir = site("break-dir-redirects", &[("_redirects", "/c /target 302\n"), ("index.html", "home")]);
    let addr = start(&dir, ServeOptions::default()).await;
    assert_eq!(get(addr, "/c", "").await.status, 302);
    let rules = dir.join("_redirects");
    std::fs::rename(&rules, dir.join("old-rules")).unwrap();
    std::fs::create_dir(&rules).unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let r = get(addr, "/c", "").await;
    assert_eq!(r.status, 302, "the rules were dropped: {r:?}");
}

/// nginx and Apache write the bytes of a request line that are not printable ASCII (and `"`,
/// `\`) as `\xHH` in their access logs. `diff` replays `/caf\xC3\xA9` as the literal path
/// `/caf\xC3\xA9`, so a rule change for `/café` is not seen and the gate exits 0.
#[test]
fn diff_access_log_hex_escapes_not_decoded() {
    let dir = std::env::temp_dir().join(format!("detour-break-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let old = dir.join("old");
    let new = dir.join("new");
    std::fs::write(&old, "/café /x 301\n").unwrap();
    std::fs::write(&new, "/café /y 301\n").unwrap();
    let log = "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET /caf\\xC3\\xA9 HTTP/1.1\" 200 0 \"-\" \"curl/8\"\n";
    let out = detour(&["diff", old.to_str().unwrap(), new.to_str().unwrap(), "--requests", "-"], log);
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "the /café change was missed:\n{text}");
}

/// SARIF 2.1.0 §3.4.3: `artifactLocation.uri` is a URI reference. A file name with a space, a
/// non-ASCII letter or a `#` is written as is (`dir with space/rüles#1`), so a code-scanning
/// service reads `#1` as a fragment and annotates a file that does not exist.
#[test]
fn sarif_artifact_uri_not_percent_encoded() {
    let dir = std::env::temp_dir().join(format!("detour-break-sarif-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("dir with space")).unwrap();
    std::fs::write(dir.join("dir with space/rüles#1"), "/a /b 30x\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_detour"))
        .args(["check", "--format", "sarif", "dir with space/rüles#1"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!uri.contains(' ') && !uri.contains('#') && uri.is_ascii(), "not a URI reference: {uri:?}");
}

/// `check`, `compile -o -` and `match --requests` report a failed write to standard output as
/// `detour: stdout: ...` and exit 2; `match URL`, `explain` and `completions` panic instead
/// (`failed printing to stdout`, exit 101, with a backtrace), e.g. under `| head -0` or `| true`.
#[test]
fn cli_panics_when_stdout_is_closed_or_full() {
    for args in [
        &["match", "-", "/a"][..],
        &["explain", "-", "/a"][..],
        &["explain", "--json", "-", "/a"][..],
        &["completions", "bash"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_detour"))
            .args(args)
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::piped())
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"/a /b 301\n").unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked") && out.status.code() == Some(2), "{args:?}: {:?}\n{stderr}", out.status);
    }
}

/// `detour check` warns that for status 101 "`serve` answers 500 instead" (it does for 100),
/// but `serve` sends `101 Switching Protocols` (with the page's `content-length` and no body):
/// the connection is then treated as upgraded and dies (curl: "Empty reply from server";
/// a pipelined request gets no answer; over HTTP/2 the stream is reset).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_status_101_sent_though_check_promises_500() {
    let dir =
        site("break-101", &[("_redirects", "/s100 /page.html 100\n/s101 /page.html 101\n"), ("page.html", "page")]);
    let addr = start(&dir, ServeOptions::default()).await;
    assert_eq!(get(addr, "/s100", "").await.status, 500);
    let r = get(addr, "/s101", "").await;
    assert_eq!(r.status, 500, "{r:?}");
}

/// RFC 9110 §9.3.2: HEAD answers with the headers GET would send. For a status page rule
/// (`/gone /gone.html 410`, or a `/* /404.html 404` catch-all) GET serves the site's page, but
/// HEAD answers with the built-in default page's headers (`content-length: 58`,
/// `text/html; charset=utf-8`) as if the page were missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_head_of_status_page_describes_default_page() {
    let dir = site("break-head-410", &[("_redirects", "/gone /gone.html 410\n"), ("gone.html", "gone page")]);
    let addr = start(&dir, ServeOptions::default()).await;
    let r = get(addr, "/gone", "").await;
    assert_eq!((r.status, r.body.as_str()), (410, "gone page"));
    let head = exchange(addr, "HEAD /gone HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n").await;
    assert_eq!(head.status, 410);
    assert_eq!(head.header("content-length"), Some("9"), "{head:?}");
}

/// Issue 15: `explain` must say what serving does, including "shadowed by an existing file".
/// Given a site directory, it does not look at the site's files: for `/about.html` (a file of
/// the site) under a catch-all `/* /404.html 404` it reports the 404 rule as the winner, while
/// `detour serve` of the same directory answers 200 with the file.
#[test]
fn explain_of_site_dir_ignores_existing_files() {
    let dir = site(
        "break-explain-files",
        &[("_redirects", "/* /404.html 404\n"), ("about.html", "about"), ("404.html", "nf")],
    );
    let out = detour(&["explain", dir.to_str().unwrap(), "/about.html"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    let outcome = text.lines().find(|l| l.starts_with("outcome:")).unwrap_or_else(|| panic!("{text}"));
    assert!(!outcome.contains("404"), "serve answers 200 with about.html; explain says:\n{text}");
}
