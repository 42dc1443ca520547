//! Site directories for the registry's tests: blobs written as `detour compile --sites` does.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use detour_runtime::{Outcome, Request, Scratch};
use detour_sites::Lookup;

/// A fresh, empty directory under the system's temporary directory.
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("detour-sites-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A site blob: `_redirects` text compiled, with its hosts (primary first).
pub fn site_blob(rules: &str, hosts: &[&str]) -> Vec<u8> {
    let rules = detour_rules::parse_redirects(rules.as_bytes(), "_redirects").rules;
    let blob = detour_compiler::compile(&rules).expect("compile");
    let hosts: Vec<String> = hosts.iter().map(|h| h.to_string()).collect();
    detour_format::with_site(blob, &hosts, 1).expect("site section")
}

/// Deploys bytes as a site's blob the way a deploy should: a temporary file, then a rename.
pub fn deploy(dir: &Path, primary: &str, bytes: &[u8]) {
    let tmp = dir.join(format!(".{primary}.detour.tmp"));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, dir.join(format!("{primary}.detour"))).unwrap();
}

/// A site whose `/probe` redirects to `/<primary>/v<version>`, and `/stable` to `/<primary>`.
pub fn versioned(primary: &str, aliases: &[&str], version: u32) -> Vec<u8> {
    let rules = format!("/probe /{primary}/v{version} 301\n/stable /{primary} 302\n");
    let mut hosts = vec![primary];
    hosts.extend_from_slice(aliases);
    site_blob(&rules, &hosts)
}

/// What a path answers under a lookup: the redirect target, or a word for anything else.
pub fn answer(lookup: &Lookup, host: &str, path: &str, scratch: &mut Scratch) -> String {
    match lookup {
        Lookup::Site(matcher) => answer_of(matcher, host, path, scratch),
        Lookup::Unavailable => "unavailable".to_string(),
        Lookup::Unknown => "unknown".to_string(),
    }
}

/// What one site's matcher answers for `path` on `host`.
pub fn answer_of(matcher: &detour_runtime::Matcher, host: &str, path: &str, scratch: &mut Scratch) -> String {
    let mut request = Request::new(path);
    request.host = host;
    match matcher.find(&request, scratch) {
        Outcome::Matched(d) => d.target.to_string(),
        other => format!("{other:?}"),
    }
}

/// Waits (up to 20 s) until `done` holds; false if it never did.
pub fn eventually(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..2000 {
        if done() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    false
}
