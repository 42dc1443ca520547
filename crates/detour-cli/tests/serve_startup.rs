//! The `detour serve` binary at startup: one line summing up the rules loaded, bad rules
//! reported exactly as `detour check` reports them, and decisions logged at info only when
//! `--log-decisions` asks.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running `detour serve`, killed when dropped; its standard error and output (where the
/// log goes) arrive line by line.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Server {
    fn start(dir: &PathBuf, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_detour"))
            .arg("serve")
            .arg(dir)
            .args(["--addr", "127.0.0.1:0"])
            .args(extra)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (send, lines) = mpsc::channel();
        let streams: [Box<dyn Read + Send>; 2] =
            [Box::new(child.stderr.take().unwrap()), Box::new(child.stdout.take().unwrap())];
        for stream in streams {
            let send = send.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = send.send(line);
                }
            });
        }
        Server { child, lines, seen: Vec::new() }
    }

    /// Waits (up to 20 s) for a line containing `wanted`; everything read so far is kept.
    fn wait_for(&mut self, wanted: &str) -> String {
        loop {
            if let Some(line) = self.seen.iter().find(|l| l.contains(wanted)) {
                return line.clone();
            }
            match self.lines.recv_timeout(Duration::from_secs(20)) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!("no line with {wanted:?} in:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// The port from the `http://127.0.0.1:PORT/` line.
    fn port(&mut self) -> u16 {
        let line = self.wait_for("http://127.0.0.1:");
        let rest = line.split("http://127.0.0.1:").nth(1).unwrap();
        rest.split('/').next().unwrap().parse().unwrap()
    }

    /// Whatever arrives within `wait`.
    fn drain(&mut self, wait: Duration) -> String {
        while let Ok(line) = self.lines.recv_timeout(wait) {
            self.seen.push(line);
        }
        self.seen.join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn site(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("detour-startup-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "home").unwrap();
    std::fs::write(dir.join("_redirects"), "/a /b 301\n/bad\n/c /d 102\n/e /f 302\n").unwrap();
    let toml = "[[redirects]]\nfrom = \"/t\"\nto = \"/u\"\n";
    std::fs::write(dir.join("netlify.toml"), toml).unwrap();
    dir
}

fn get(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn startup_sums_up_the_rules_and_reports_bad_ones_as_check_does() {
    let dir = site("summary");
    let check = Command::new(env!("CARGO_BIN_EXE_detour")).arg("check").arg(&dir).output().unwrap();
    let check_report = String::from_utf8(check.stdout).unwrap();
    assert!(check_report.contains("error") && check_report.contains("warning"), "{check_report}");

    let mut server = Server::start(&dir, &[]);
    let summary = server.wait_for("rule(s)");
    let redirects = dir.join("_redirects").display().to_string();
    let toml = dir.join("netlify.toml").display().to_string();
    assert!(summary.contains(&format!("4 rule(s) ({redirects}: 3, {toml}: 1)")), "{summary}");
    assert!(summary.contains("1 error(s) (invalid rules dropped), 1 warning(s)"), "{summary}");
    let shown = server.seen.join("\n");
    // The same diagnostics, line for line, as `detour check` prints them (no colour: a pipe).
    for line in check_report.lines().filter(|l| !l.trim().is_empty()) {
        assert!(shown.contains(line), "missing {line:?} in:\n{shown}");
    }
    let port = server.port();
    assert!(get(port, "/a").starts_with("HTTP/1.1 301"));
    let logged = server.drain(Duration::from_millis(300));
    assert!(!logged.contains("rule applies"), "decisions are not logged at info unasked:\n{logged}");
}

#[test]
fn log_decisions_logs_each_decision_at_info() {
    let dir = site("decisions");
    let mut server = Server::start(&dir, &["--log-decisions"]);
    let port = server.port();
    assert!(get(port, "/a").starts_with("HTTP/1.1 301"));
    let line = server.wait_for("rule applies");
    assert!(line.contains("INFO") && line.contains("path=/a") && line.contains("status=301"), "{line}");
}
