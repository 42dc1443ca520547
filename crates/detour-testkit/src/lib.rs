//! Test support for detour, a dev-only crate that nothing ships: the checks behind every fuzz
//! target (`cargo test` replays them on seeds and saved regressions), the alphabets the property
//! tests draw competing rules from, the workload generator of the benchmarks, and an adapter that
//! answers one request with both engines in one comparable form.
//!
//! ```
//! use detour_testkit::engines::{compiled, reference, Roles};
//! use detour_reference::Request;
//!
//! let rules = detour_rules::parse_redirects(b"/blog/* /news/:splat 301\n", "_redirects").rules;
//! let matcher = detour_testkit::engines::matcher(&rules, &Default::default(), &Roles::default());
//! let req = Request::from_url("/blog/a?x=1");
//! assert_eq!(compiled(&matcher, &req), reference(&rules, &req, &Roles::default()));
//! ```

#![forbid(unsafe_code)]

pub mod blob;
pub mod differential;
pub mod engines;
pub mod parse;
pub mod site;
pub mod workload;
