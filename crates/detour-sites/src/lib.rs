//! Many sites in one process: a [`Registry`] maps a request's `Host` to its site's
//! [`Matcher`](detour_runtime::Matcher), over a directory of blobs written by
//! `detour compile --sites SITES -o DIR`.
//!
//! ```
//! use detour_sites::{Lookup, Registry, RegistryOptions};
//! # let dir = std::env::temp_dir().join(format!("detour-sites-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! # let rules = detour_rules::parse_redirects(b"/old /new 301\n", "_redirects").rules;
//! # let blob = detour_compiler::compile(&rules).unwrap();
//! # let hosts = ["example.com".to_string(), "www.example.com".to_string()];
//! # std::fs::write(dir.join("example.com.detour"), detour_format::with_site(blob, &hosts, 1).unwrap()).unwrap();
//! // DIR/example.com.detour answers for example.com and its alias www.example.com.
//! let registry = Registry::open(&dir, RegistryOptions { watch: false, ..RegistryOptions::default() }).unwrap();
//! let mut scratch = detour_runtime::Scratch::new();
//! match registry.lookup("WWW.Example.com:8080") {
//!     Lookup::Site(matcher) => {
//!         let found = matcher.find(&detour_runtime::Request::new("/old"), &mut scratch);
//!         assert!(matches!(found, detour_runtime::Outcome::Matched(d) if d.status == 301));
//!     }
//!     other => panic!("{other:?}"),
//! }
//! assert!(matches!(registry.lookup("other.example"), Lookup::Unknown));
//!
//! // The fast way, one cache per thread: a host seen before goes straight to its site.
//! let mut cache = detour_sites::SiteCache::new();
//! let request = detour_runtime::Request::new("/old");
//! let status = registry.with_matcher_cached(&mut cache, "www.example.com", |m| match m.find(&request, &mut scratch) {
//!     detour_runtime::Outcome::Matched(d) => d.status,
//!     _ => 0,
//! });
//! assert_eq!(status.ok(), Some(301));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```
//!
//! # Design
//!
//! - **One blob per site**, `DIR/<primary host>.detour`. The blob's site section (after its
//!   payload; `detour_format`'s `site` module) lists the primary host and its aliases, and its
//!   header the hash of the site's input files. At start the registry reads only each file's
//!   header and site section, so it knows every host without reading any rules.
//! - **Lazy, bounded**: a site's rules are read and validated on the first request for one of
//!   its hosts, on the requesting thread. At most [`RegistryOptions::max_open`] sites are open;
//!   opening one more closes the least recently used (by epoch: a counter that advances at each
//!   open, stamped on a site when a request uses it). A closed site reopens on its next request.
//!   Requests in flight keep their own `Arc<Matcher>`, so closing never frees rules in use.
//! - **Read, not mapped**: a site's blob is read into memory ([`detour_runtime::Blob::open`]),
//!   not mapped. A mapped blob that a deploy tool rewrites in place would crash the whole
//!   process (`SIGBUS`); read, it is a checksum error for that one site. The budget bounds the
//!   memory instead: the open sites' blob bytes.
//! - **Per-site reload**: a watcher thread gets file events from `notify` and, as a fallback,
//!   scans the directory every [`RegistryOptions::poll_interval`]. A replaced blob (by rename)
//!   of an open site is read and validated while the old rules serve, then swapped in; a closed
//!   site only has its hosts re-read. A blob that fails keeps the site's previous rules, is
//!   logged and listed by [`Registry::problems`]; a site that never had valid rules answers
//!   [`Lookup::Unavailable`] (503). No other site is touched.
//! - **Hosts**: normalized by [`detour_runtime::normalize_host`] (lower case, no port, no
//!   trailing dot). A host that is no host name (a raw UTF-8 name, not its `xn--` A-label) or
//!   that no site claims is [`Lookup::Unknown`]; the caller decides what that answers (the
//!   layer passes it to its inner service, as for a site without a matching rule). A host two
//!   sites claim belongs to the site whose primary host it is, else to the first site in host
//!   order that lists it as an alias; the conflict is listed by [`Registry::problems`].
//! - **No allocation per lookup**: normalizing uses a stack buffer, the host table is read
//!   through an `ArcSwap` guard, and a hit clones an `Arc`.
//! - **A caller-owned cache** ([`SiteCache`], one per thread, like a `Scratch`): with
//!   [`Registry::with_matcher_cached`], a host seen before (byte for byte) goes straight to its
//!   site. The cache holds sites, never rules, and empties itself whenever the host table
//!   changes, so it changes no answer and pins no blob.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cache;
mod directory;
mod registry;
mod site;
mod watch;

pub use cache::SiteCache;
pub use registry::{Lookup, OpenError, Registry, RegistryOptions};

/// The file name extension of a site's blob in a registry directory.
pub const BLOB_EXTENSION: &str = "detour";

#[cfg(test)]
mod tests {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn registry_is_send_and_sync() {
        assert_send_sync::<crate::Registry>();
        assert_send_sync::<crate::Lookup>();
        fn assert_send<T: Send>() {}
        assert_send::<crate::SiteCache>();
    }
}
