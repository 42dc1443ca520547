//! Hot reload under load: many concurrent requests go through the layer while the rules are
//! replaced thousands of times. Every answer must be right under either the old or the new
//! rules, and every swapped-out matcher must be freed once its last request ends.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use detour_http::{empty, full, Body, DetourLayer, Options};
use detour_runtime::{Blob, MatchOptions, Matcher};
use tower::{Layer, Service, ServiceExt};

fn matcher(rules: &str) -> Matcher {
    let rules = detour_rules::parse_redirects(rules.as_bytes(), "_redirects").rules;
    Matcher::new(Blob::from_bytes(&detour_compiler::compile(&rules).unwrap()).unwrap(), MatchOptions::default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn answers_stay_right_while_rules_are_swapped() {
    // Under A, /x redirects to /a and /y passes; under B, /x goes to /b and /y redirects to /yb.
    let a = "/x /a 301\n/z/* /za/:splat 302\n";
    let b = "/x /b 301\n/y /yb 302\n/z/* /zb/:splat 302\n";
    let layer = DetourLayer::new(matcher(a), Options::default());
    let handle = layer.reload_handle();
    let site = tower::service_fn(|_req: http::Request<Body>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(full("file")))
    });
    let service = layer.layer(site);
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));

    let mut workers = Vec::new();
    for w in 0..8 {
        let (mut service, stop, answered) = (service.clone(), Arc::clone(&stop), Arc::clone(&answered));
        workers.push(tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let (path, allowed): (String, &[Option<&str>]) = match (i + w) % 3 {
                    0 => ("/x".to_string(), &[Some("/a"), Some("/b")]),
                    1 => ("/y".to_string(), &[None, Some("/yb")]),
                    _ => (format!("/z/{i}"), &[]),
                };
                let req: http::Request<Body> = http::Request::get(&path).body(empty()).unwrap();
                let ready = ServiceExt::<http::Request<Body>>::ready(&mut service).await.unwrap();
                let resp = ready.call(req).await.unwrap();
                let location = resp.headers().get("location").map(|v| v.to_str().unwrap().to_string());
                if path.starts_with("/z/") {
                    let ok = [format!("/za/{i}"), format!("/zb/{i}")];
                    assert!(location.as_ref().is_some_and(|l| ok.contains(l)), "{path} -> {location:?}");
                } else {
                    assert!(allowed.contains(&location.as_deref()), "{path} -> {location:?}");
                }
                answered.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }

    let (ma, mb) = (Arc::new(matcher(a)), Arc::new(matcher(b)));
    let swaps = 5_000;
    for i in 0..swaps {
        let next = if i % 2 == 0 { &mb } else { &ma };
        // A fresh matcher each time, as a deploy would load a new blob.
        handle.swap(matcher(if Arc::ptr_eq(next, &mb) { b } else { a }));
        if i % 64 == 0 {
            tokio::task::yield_now().await;
        }
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    let answered = answered.load(Ordering::Relaxed);
    eprintln!("{answered} requests answered during {swaps} swaps");
    assert!(answered > 1_000, "only {answered} requests ran during the swaps");

    // The current matcher is only held by the layer and this handle: older ones are gone.
    let current = handle.current();
    assert_eq!(Arc::strong_count(&current), 2, "no swapped-out matcher is still referenced");
}
