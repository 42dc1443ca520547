//! Issue 10, item 6, over real sockets: a rule file rewritten in place is read only once it is
//! complete, and an emptied or deleted rule file keeps the old rules serving.

mod server;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use detour_cli::serve::ServeOptions;
use server::{deploy, get, site, start};

fn options(debounce_ms: u64) -> ServeOptions {
    ServeOptions {
        reload_interval: Duration::from_millis(10),
        reload_debounce: Duration::from_millis(debounce_ms),
        ..ServeOptions::default()
    }
}

async fn location(addr: std::net::SocketAddr, path: &str) -> Option<String> {
    get(addr, path, "").await.header("location").map(str::to_string)
}

async fn eventually(addr: std::net::SocketAddr, path: &str, want: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if location(addr, path).await.as_deref() == Some(want) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_file_rewritten_in_place_is_not_read_half_written() {
    let dir = site("half-written", &[("_redirects", "/r /one 302\n")]);
    let addr = start(&dir, options(500)).await;
    assert_eq!(location(addr, "/r").await.as_deref(), Some("/one"));

    let (stop, seen) = (Arc::new(AtomicBool::new(false)), Arc::new(Mutex::new(Vec::new())));
    let watcher = {
        let (stop, seen) = (Arc::clone(&stop), Arc::clone(&seen));
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let l = location(addr, "/r").await;
                seen.lock().unwrap().push(l);
            }
        })
    };
    // An editor writing in place, in two steps: a cut-off permanent redirect, then the rest.
    let mut file = std::fs::File::create(dir.join("_redirects")).unwrap();
    file.write_all(b"/r /tw").unwrap();
    file.flush().unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    file.write_all(b"o-complete 302\n").unwrap();
    drop(file);
    assert!(eventually(addr, "/r", "/two-complete").await, "the complete file is read");
    stop.store(true, Ordering::Relaxed);
    watcher.await.unwrap();
    let seen = seen.lock().unwrap();
    let wrong: Vec<_> = seen.iter().filter(|l| !matches!(l.as_deref(), Some("/one" | "/two-complete"))).collect();
    assert!(wrong.is_empty(), "{} of {} answers came from a half-written file: {wrong:?}", wrong.len(), seen.len());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emptied_or_deleted_rule_file_keeps_the_old_rules() {
    let dir = site("emptied", &[("_redirects", "/r /one 302\n")]);
    let addr = start(&dir, options(50)).await;
    assert_eq!(location(addr, "/r").await.as_deref(), Some("/one"));
    let rules = dir.join("_redirects");
    std::fs::File::create(&rules).unwrap();
    // Several polls and debounces pass; the old rules must still serve.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(location(addr, "/r").await.as_deref(), Some("/one"), "an empty file keeps the old rules");
    std::fs::remove_file(&rules).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(location(addr, "/r").await.as_deref(), Some("/one"), "a deleted file keeps the old rules");
    deploy(&rules, "/r /three 302\n");
    assert!(eventually(addr, "/r", "/three").await, "a complete file deployed by rename is read");
    let _ = std::fs::remove_dir_all(&dir);
}
