//! Matches requests against a compiled detour blob: the blob is memory-mapped (or copied),
//! validated once, then matched in place with a caller-owned [`Scratch`] and no allocation.
//!
//! ```
//! use detour_runtime::{Blob, MatchOptions, Matcher, Outcome, Request, Scratch};
//!
//! // At deploy time: `detour compile _redirects -o site.detour`. Here, in memory:
//! let rules = detour_rules::parse_redirects(b"/blog/* /news/:splat 301\n", "_redirects").rules;
//! let bytes = detour_compiler::compile(&rules).unwrap();
//!
//! // In the server: load once (`Blob::open(path)` maps a file), share the matcher by `Arc`,
//! // keep one `Scratch` per thread.
//! let matcher = Matcher::new(Blob::from_bytes(&bytes).unwrap(), MatchOptions::default());
//! let mut scratch = Scratch::new();
//! let req = Request::new("/blog/a%3Fb?x=1");
//! match matcher.find(&req, &mut scratch) {
//!     Outcome::Matched(d) => {
//!         assert_eq!((d.status, d.to), (301, &b"/news/a?b"[..]));
//!         assert_eq!(d.target, "/news/a%3Fb?x=1");
//!         assert_eq!((d.file, d.line), ("_redirects", 1));
//!     }
//!     other => panic!("expected a redirect, got {other:?}"),
//! }
//! ```
//!
//! The only `unsafe` code is in `storage.rs`: mapping the file and reading the archive after
//! [`detour_format::access`] has validated it.

#![deny(unsafe_code)]
#![warn(missing_docs)]

mod blob;
mod candidates;
mod conditions;
pub mod encoding;
mod guard;
mod index;
mod json;
mod jwt;
mod matcher;
mod outcome;
mod path;
mod request;
mod role_split;
mod scratch;
#[allow(unsafe_code)]
mod storage;
mod substitute;

pub use blob::{Blob, LoadError, MAX_BLOB_BYTES};
/// Site blobs (one site of many in a directory): the host normal form and the site section.
pub use detour_format::{normalize_host, normalize_host_bytes, Header, SiteHosts, MAX_HOST_BYTES, MAX_SITE_HOSTS};
pub use matcher::{MatchOptions, Matcher, Verdict};
pub use outcome::{Decision, Outcome, TooLongRule};
pub use request::{Cookies, Request};
pub use scratch::Scratch;
pub use substitute::MAX_TO_BYTES;

#[cfg(test)]
mod tests {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn matcher_is_send_and_sync() {
        assert_send_sync::<crate::Matcher>();
    }
}
