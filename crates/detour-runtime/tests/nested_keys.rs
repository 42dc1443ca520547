//! Keys that extend one another (`s`, `s/s`, `s/s/s`) share one text in the pool, so a request
//! under a chain of them compares each key's new tail only (O(D) bytes for D nested keys, where
//! it was O(D²)): the sharing happens, and every answer is still the one a full comparison gives,
//! in plain and placeholder tables, on paths that leave the chain at every depth.

use detour_runtime::{Blob, MatchOptions, Matcher, Outcome, Request};

fn matcher(text: &str) -> Matcher {
    let rules = detour_rules::parse_redirects(text.as_bytes(), "_redirects").rules;
    let bytes = detour_compiler::compile(&rules).expect("compile");
    Matcher::new(Blob::from_bytes(&bytes).expect("load"), MatchOptions::default())
}

fn answer(m: &Matcher, path: &str) -> Option<String> {
    let mut scratch = m.scratch();
    match m.find(&Request::new(path), &mut scratch) {
        Outcome::Matched(d) => Some(d.target.to_string()),
        _ => None,
    }
}

#[test]
fn a_chain_of_keys_is_stored_once() {
    let m = matcher("/s/s/s/* /three 301\n/s/s/* /two 301\n/s/* /one 301\n/t/* /t 301\n");
    let set = m.blob().rule_set();
    let start_of = |key: &[u8]| {
        let e = set.entries.iter().find(|e| set.key(e) == key).expect("entry");
        e.key.to_native()
    };
    assert_eq!(start_of(b"s"), start_of(b"s/s/s"));
    assert_eq!(start_of(b"s/s"), start_of(b"s/s/s"));
    // Each key of the chain links to the one that extends it; the last to none.
    let entry = |key: &[u8]| set.entries.iter().position(|e| set.key(e) == key).expect("entry") as u32;
    let child = |key: &[u8]| set.entries[entry(key) as usize].child.to_native();
    assert_eq!(child(b"s"), entry(b"s/s"));
    assert_eq!(child(b"s/s"), entry(b"s/s/s"));
    assert_eq!(child(b"s/s/s"), detour_format::NONE);
}

#[test]
fn a_key_with_two_extensions_links_to_neither_and_both_are_found() {
    let m = matcher(
        "/s/a/* /a/:splat 301
/s/b/* /b/:splat 301
/s/* /top 301
/s/b/c/* /c/:splat 301
",
    );
    let set = m.blob().rule_set();
    let e = set.entries.iter().find(|e| set.key(e) == b"s").expect("entry");
    assert_eq!(e.child.to_native(), detour_format::NONE);
    let cases =
        [("/s/a/x", Some("/a/x")), ("/s/b/x", Some("/b/x")), ("/s/b/c/x", Some("/b/c/x")), ("/s/c/x", Some("/top"))];
    for (path, want) in cases {
        assert_eq!(answer(&m, path).as_deref(), want, "{path}");
    }
}

#[test]
fn paths_that_leave_a_chain_at_any_depth_get_the_right_rule() {
    let m = matcher("/s/s/s/* /three 301\n/s/s/* /two 301\n/s/* /one 301\n/s/s/s/s /exact 301\n");
    let cases = [
        ("/s/s/s/x", Some("/three")),
        ("/s/s/s", Some("/three")),
        ("/s/s/x", Some("/two")),
        ("/s/x/s/x", Some("/one")),
        ("/s/ss/s", Some("/one")),
        ("/s/s/ss/x", Some("/two")),
        ("/ss/s/s", None),
        ("/x/s/s/s", None),
        ("/s/s/s/s", Some("/three")),
    ];
    for (path, want) in cases {
        assert_eq!(answer(&m, path).as_deref(), want, "{path}");
    }
}

#[test]
fn placeholder_tables_check_each_new_segment() {
    let m = matcher("/:a/s/s/* /three/:a 301\n/:a/s/* /two/:a 301\n/:a/* /one/:a 301\n");
    let cases = [
        ("/q/s/s/x", Some("/three/q")),
        ("/q/s/x", Some("/two/q")),
        ("/q/x/s/x", Some("/one/q")),
        ("/q/s/t/s", Some("/two/q")),
        ("//s/s/x", None),
    ];
    for (path, want) in cases {
        assert_eq!(answer(&m, path).as_deref(), want, "{path}");
    }
}
