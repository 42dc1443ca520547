//! A blob from an untrusted source cannot cause a panic or undefined behaviour: every single-byte
//! change gives a `LoadError` or a blob that still matches safely. Changes with the checksum
//! recomputed reach rkyv's validation and the index checks behind it.

use detour_format::{Header, HEADER_LEN};
use detour_runtime::{Blob, Cookies, LoadError, MatchOptions, Matcher, Request, Scratch};

const RULES: &str = "/blog/* /news/:splat 301\n/store id=:id /p/:id 302\n/ /fr 302 Language=fr\n\
/a/:b/c* /x/:b/:splat\n/*/amp/:x /y/:x 302 Country=us,de\nhttps://h.test/* /h/:splat 200!\n\
/admin/* /area/:splat 200! Role=admin\n/api/* https://api.test/:splat 200 Sign=S\n/t/*/x /t/:splat 301\n";

fn blob() -> Vec<u8> {
    let rules = detour_rules::parse_redirects(RULES.as_bytes(), "_redirects").rules;
    assert_eq!(rules.len(), 9);
    detour_compiler::compile(&rules).unwrap()
}

fn exercise(blob: Blob) {
    let options = MatchOptions { jwt_secret: Some(b"s".to_vec()), ..MatchOptions::default() };
    let matcher = Matcher::new(blob, options);
    let mut scratch = Scratch::new();
    let cookies = [("nf_jwt", "a.b.c"), ("nf_lang", "fr")];
    for path in ["/blog/a/b", "/store?id=5", "/", "/a/q/cz", "/m/amp/1", "/admin/x", "/api/v1", "/t/1/2/x", "/"] {
        let mut req = Request::new(path);
        req.host = "h.test";
        req.cookies = Cookies::Pairs(&cookies);
        let _ = matcher.find(&req, &mut scratch);
    }
}

fn with_checksum(mut bytes: Vec<u8>) -> Vec<u8> {
    let header = Header::read(&bytes).unwrap();
    let fixed = Header::for_payload(&bytes[HEADER_LEN..], header.rule_count);
    bytes[..HEADER_LEN].copy_from_slice(&fixed.to_bytes());
    bytes
}

#[test]
fn the_valid_blob_loads() {
    exercise(Blob::from_bytes(&blob()).unwrap());
}

#[test]
fn every_single_byte_flip_is_rejected_or_safe() {
    let original = blob();
    let mut loaded_after_flip = 0;
    for i in 0..original.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut bytes = original.clone();
            bytes[i] ^= mask;
            if let Ok(b) = Blob::from_bytes(&bytes) {
                loaded_after_flip += 1;
                exercise(b);
            }
        }
    }
    assert_eq!(loaded_after_flip, 0, "every change is detected: header fields, reserved bytes, checksum");
}

#[test]
fn every_single_byte_flip_of_a_site_blob_is_rejected() {
    let hosts = ["a.example".to_string(), "www.a.example".to_string()];
    let original = detour_format::with_site(blob(), &hosts, 0x1234_5678_9abc_def0).unwrap();
    assert_eq!(Blob::from_bytes(&original).unwrap().site().unwrap().primary(), "a.example");
    for i in 0..original.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut bytes = original.clone();
            bytes[i] ^= mask;
            assert!(Blob::from_bytes(&bytes).is_err(), "a flip of byte {i} by {mask:#x} went unnoticed");
        }
    }
}

/// Changes every payload byte of `original` by each of `masks` behind a recomputed checksum, and
/// runs `exercise` on each blob that loads: (rejected, loaded).
fn flip_behind_checksum(original: &[u8], masks: &[u8], exercise: fn(Blob)) -> (usize, usize) {
    let (mut rejected, mut loaded) = (0, 0);
    for i in HEADER_LEN..original.len() {
        for &mask in masks {
            let mut bytes = original.to_vec();
            bytes[i] ^= mask;
            match Blob::from_bytes(&with_checksum(bytes)) {
                Ok(b) => {
                    loaded += 1;
                    exercise(b);
                }
                Err(LoadError::InvalidArchive(_)) => rejected += 1,
                Err(other) => panic!("unexpected error {other}"),
            }
        }
    }
    (rejected, loaded)
}

#[test]
fn flips_behind_a_valid_checksum_reach_validation_and_stay_safe() {
    let (rejected, loaded) = flip_behind_checksum(&blob(), &[0x01, 0x10, 0x80, 0xff], exercise);
    assert!(rejected > 0 && loaded > 0, "rejected {rejected}, loaded {loaded}");
}

/// Nested plain keys (`s`, `s/s`, `s/s/s`) link parent to child (`Entry::child`), and the
/// matcher follows a link instead of probing: changed links and keys behind a valid checksum are
/// rejected by validation or stay safe on paths that follow, leave and overrun the chains
/// (break4 attempt: no panic found).
#[test]
fn child_links_changed_behind_a_valid_checksum_are_rejected_or_safe() {
    let mut text = String::from("/s/s/s/* /three 301\n/s/s/* /two 301\n/s/* /one 301\n/s/s/s/s /exact 301\n");
    text.push_str("https://h.test/s/s/* /h 301\n/q/* /q 302\n/q/r/* /qr 302\n");
    for i in 0..8 {
        text.push_str(&format!("/r/* /t{i} 301 Role=r{i}\n"));
    }
    let rules = detour_rules::parse_redirects(text.as_bytes(), "_redirects").rules;
    let original = detour_compiler::compile(&rules).unwrap();
    let chains = |blob: Blob| {
        let options = MatchOptions { jwt_secret: Some(b"s".to_vec()), ..MatchOptions::default() };
        let matcher = Matcher::new(blob, options);
        let mut scratch = Scratch::new();
        let cookies = [("nf_jwt", "a.b.c")];
        let deep = format!("/{}", vec!["s"; 140].join("/"));
        for path in ["/s/s/s/s", "/s/s/s/x", "/s/s", "/s/x/s", "/q/r/x", "/q/x", "/r/x", "/s//s", deep.as_str()] {
            for host in ["h.test", ""] {
                let mut req = Request::new(path);
                req.host = host;
                req.cookies = Cookies::Pairs(&cookies);
                let _ = matcher.find(&req, &mut scratch);
            }
        }
    };
    chains(Blob::from_bytes(&original).unwrap());
    let (rejected, loaded) = flip_behind_checksum(&original, &[0x01, 0x02, 0x10, 0x80, 0xff], chains);
    assert!(rejected > 0 && loaded > 0, "rejected {rejected}, loaded {loaded}");
}

#[test]
fn load_errors_are_typed() {
    let good = blob();
    assert!(matches!(Blob::from_bytes(&good[..10]), Err(LoadError::Truncated { .. })));
    assert!(matches!(Blob::from_bytes(&good[..good.len() - 1]), Err(LoadError::Truncated { .. })));
    assert!(matches!(
        Blob::from_bytes(b"not a blob at all, not at all, no, not a blob at all, really no."),
        Err(LoadError::WrongMagic)
    ));
    let mut v = good.clone();
    v[8] = 99;
    assert!(matches!(
        Blob::from_bytes(&v),
        Err(LoadError::UnsupportedVersion { found: 99, supported: detour_format::FORMAT_VERSION })
    ));
    let mut c = good.clone();
    let last = c.len() - 1;
    c[last] ^= 1;
    assert!(matches!(Blob::from_bytes(&c), Err(LoadError::ChecksumMismatch { .. })));
    let payload = [0xABu8; 256];
    let garbage = [&Header::for_payload(&payload, 9).to_bytes()[..], &payload[..]].concat();
    assert!(matches!(Blob::from_bytes(&garbage), Err(LoadError::InvalidArchive(_))));
    let mut count = good.clone();
    count[40] ^= 1;
    assert!(matches!(Blob::from_bytes(&count), Err(LoadError::InvalidArchive(_))));
    assert!(matches!(Blob::open("/no/such/blob.detour"), Err(LoadError::Io { .. })));
    assert!(Blob::from_bytes(&[]).is_err());
}

#[test]
fn a_blob_over_the_size_limit_is_refused_before_it_is_read() {
    // A sparse file: 2 GiB long, no data written, so the test costs no disk space or time.
    let path = std::env::temp_dir().join(format!("detour-huge-{}.detour", std::process::id()));
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(2 * detour_runtime::MAX_BLOB_BYTES).unwrap();
    let result = Blob::open(&path);
    let _ = std::fs::remove_file(&path);
    assert!(matches!(result, Err(LoadError::TooLarge { size }) if size == 2 * detour_runtime::MAX_BLOB_BYTES));
}
