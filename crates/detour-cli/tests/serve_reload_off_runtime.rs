//! Issue 10, item 5: a reload parses and compiles off the async runtime, and the old rules
//! answer meanwhile. The server runs on a single-threaded runtime, so a compile on it would
//! stall every request; the log shows what happened in between. Alone in its binary because
//! it installs the global log subscriber.

mod server;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use detour_cli::serve::ServeOptions;
use server::{deploy, get, site, start};

/// Log lines and test events, in the order they happened.
#[derive(Clone, Default)]
struct Journal(Arc<Mutex<Vec<String>>>);

impl Journal {
    fn note(&self, line: String) {
        self.0.lock().unwrap().push(line);
    }
}

impl std::io::Write for Journal {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.note(String::from_utf8_lossy(buf).into_owned());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn large_rules(n: usize) -> String {
    let mut rules = String::from("/r /new 302\n");
    for i in 0..n {
        rules.push_str(&format!("/gen/{i}/:lang/* /t/{i}/:lang/:splat 301\n"));
    }
    rules
}

#[tokio::test(flavor = "current_thread")]
async fn old_rules_answer_while_a_reload_compiles() {
    let journal = Journal::default();
    let writer = journal.clone();
    tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).init();
    let dir = site("off-runtime", &[("_redirects", "/r /old 302\n")]);
    let options = ServeOptions {
        reload_interval: Duration::from_millis(20),
        reload_debounce: Duration::from_millis(20),
        ..ServeOptions::default()
    };
    let addr = start(&dir, options).await;
    assert_eq!(get(addr, "/r", "").await.header("location"), Some("/old"));

    deploy(&dir.join("_redirects"), &large_rules(30_000));
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let location = get(addr, "/r", "").await.header("location").map(str::to_string);
        journal.note(format!("answered {location:?}"));
        if location.as_deref() == Some("/new") || Instant::now() > deadline {
            break;
        }
    }
    let lines = journal.0.lock().unwrap().clone();
    let started = lines.iter().position(|l| l.contains("rule files changed: compiling")).expect("reload started");
    let swapped = lines.iter().position(|l| l.contains("swapped in")).expect("reload finished");
    let answered_meanwhile = lines[started..swapped].iter().filter(|l| l.contains("answered Some(\"/old\")")).count();
    assert!(answered_meanwhile > 0, "no request was answered while the new rules compiled");
    let _ = std::fs::remove_dir_all(&dir);
}
