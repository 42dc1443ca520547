//! Issue 10, item 3: an `accept()` error (here: out of file descriptors) must not end the
//! server. Alone in its binary because it lowers the process's descriptor limit.

mod server;

use std::io::{Read, Write};
use std::time::Duration;

use detour_cli::serve::ServeOptions;
use server::{site, start};

/// Opens `/dev/null` until the process has no descriptor left.
fn exhaust_descriptors() -> Vec<std::fs::File> {
    let mut held = Vec::new();
    loop {
        match std::fs::File::open("/dev/null") {
            Ok(f) => held.push(f),
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "{e}");
                return held;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_survives_accept_failing_for_lack_of_descriptors() {
    let dir = site("emfile", &[("index.html", "home")]);
    let addr = start(&dir, ServeOptions::default()).await;
    assert_eq!(server::get(addr, "/", "").await.body, "home");
    // The server closes its side of that connection after answering: let it, so no descriptor
    // comes free later.
    tokio::time::sleep(Duration::from_millis(200)).await;

    // A low limit keeps the exhaustion cheap.
    let limit = libc::rlimit { rlim_cur: 256, rlim_max: 256 };
    // SAFETY: setrlimit reads the struct it is given; lowering the limit is always allowed.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
    let mut held = exhaust_descriptors();
    // One descriptor for the client: the server's accept() then finds none for its side.
    drop(held.pop());
    let mut client = std::net::TcpStream::connect(addr).expect("connect");
    client.write_all(b"GET / HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n").unwrap();
    // Let the server try (and fail) to accept while no descriptor is free.
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(held);

    client.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut answer = Vec::new();
    client.read_to_end(&mut answer).expect("the server answers once descriptors are free again");
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer));
    assert_eq!(server::get(addr, "/", "").await.body, "home");
    let _ = std::fs::remove_dir_all(&dir);
}
