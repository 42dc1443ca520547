//! `normalize_host_bytes` returns an already-normal host without copying (the fast path); every
//! other host takes the slow path. A host with `:80` appended, or in upper case, always takes
//! the slow path, so both paths are compared on every odd host here: they must agree.

use detour_format::{normalize_host_bytes, MAX_HOST_BYTES};

fn normal(raw: &[u8]) -> Option<Vec<u8>> {
    let mut buffer = [0u8; MAX_HOST_BYTES];
    normalize_host_bytes(raw, &mut buffer).map(<[u8]>::to_vec)
}

fn odd_hosts() -> Vec<Vec<u8>> {
    let mut hosts: Vec<Vec<u8>> = [
        "",
        ".",
        "..",
        "a",
        "a.",
        "a..",
        ".a",
        "a..b",
        "a.b.",
        "a.b..",
        "_",
        "_a._b",
        "-",
        "a-",
        "0",
        "1.2.3.4",
        "xn--bcher-kva.example",
        "b\u{fc}cher.example",
        "a b",
        "a\tb",
        "a/b",
        "a@b",
        "a:b",
        "a:",
        ":",
        ":80",
        "[::1]",
        "[",
        "]",
        "[]",
        "[::1",
        "a]",
        "\u{0}",
        "\u{7f}",
        "ñ",
        "e\u{301}",
        "A",
        "a.B",
    ]
    .iter()
    .map(|h| h.as_bytes().to_vec())
    .collect();
    for len in [62, 63, 64, 65, 251, 252, 253, 254, 255, 260] {
        hosts.push(vec![b'a'; len]);
        let mut labels = "ab.".repeat(len / 3).into_bytes();
        labels.truncate(len);
        hosts.push(labels);
    }
    hosts
}

#[test]
fn the_fast_path_answers_as_the_slow_path_on_odd_hosts() {
    for raw in odd_hosts() {
        let fast = normal(&raw);
        let mut with_port = raw.clone();
        with_port.extend_from_slice(b":80");
        let upper = raw.to_ascii_uppercase();
        let shown = String::from_utf8_lossy(&raw);
        if !raw.contains(&b':') {
            assert_eq!(fast, normal(&with_port), "{shown:?} and with :80");
        }
        assert_eq!(fast, normal(&upper), "{shown:?} and in upper case");
        if let Some(host) = &fast {
            assert_eq!(normal(host).as_ref(), Some(host), "{shown:?}: its normal form is normal");
        }
    }
}

/// Regression: the fast path took a NUL byte for a normal host byte (the table maps every
/// byte no name may hold to 0), so `a\0b` was a host name, and an `aliases` file could give a
/// site one.
#[test]
fn a_nul_byte_is_no_host_name() {
    for raw in ["\0", "a\0b", "example.com\0", "\0.example"] {
        let mut buffer = [0u8; MAX_HOST_BYTES];
        assert_eq!(detour_format::normalize_host(raw, &mut buffer), None, "{raw:?}");
        assert!(detour_format::normal_host(raw).is_err(), "{raw:?}");
    }
}
