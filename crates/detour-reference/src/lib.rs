//! The naive reference matcher: a linear scan over the rules, written straight from SPEC.md §2–§4.
//!
//! It is the oracle of detour's differential tests, so it is kept short and obviously right and
//! is never optimised. Use the compiled engine (`detour-runtime`) to serve traffic.
//!
//! ```
//! use detour_reference::{match_request, Outcome, Request, RoleConfig};
//! use detour_rules::parse_redirects;
//!
//! let rules = parse_redirects(b"/blog/* /news/:splat 301\n", "_redirects").rules;
//! let req = Request::from_url("https://example.com/blog/a%3Fb?x=1");
//! match match_request(&rules, &req, &RoleConfig::default()) {
//!     Outcome::Matched(d) => {
//!         assert_eq!((d.rule, d.to.as_slice()), (0, &b"/news/a?b"[..]));
//!         assert_eq!(d.target, "/news/a%3Fb?x=1");
//!     }
//!     other => panic!("expected a match, got {other:?}"),
//! }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod conditions;
mod encoding;
mod jwt;
pub mod loop_guard;
pub mod path_match;
mod query;
mod request;
pub mod substitute;

use detour_rules::Rule;
use encoding::{encode_query_capture, percent_decode};

pub use jwt::{token_roles, RoleConfig};
pub use request::{normalize_host, Request};
use substitute::Origin;

/// What the rules decide for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// No rule applies (or the loop guard refused the first rule that matched).
    NoMatch,
    /// A Role rule matched but its role check failed, and no later rule matched: answer 404.
    Denied,
    /// A rule applies.
    Matched(Decision),
    /// Rule `rule` applies, but its `to` would be longer than 16 KiB (SPEC §4).
    TooLong {
        /// 0-based index of the rule.
        rule: usize,
    },
}

/// The rule that applies and the target it produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// 0-based index of the rule in the rule list.
    pub rule: usize,
    /// True when an earlier Role rule was denied before this rule matched.
    pub negative: bool,
    /// The target after substitution, as the reference engine produces it (decoded captures).
    pub to: Vec<u8>,
    /// The wire-safe target: what goes in `Location` or the proxy request.
    pub target: String,
}

/// Finds the first rule, in order, that applies to `req` (SPEC §3).
pub fn match_request(rules: &[Rule], req: &Request, roles: &RoleConfig) -> Outcome {
    let path = percent_decode(&req.path);
    let segments = path_match::segments(&path);
    let params = query::parse_query(&req.query);
    let mut denied = false;
    for (index, rule) in rules.iter().enumerate() {
        if let Some(h) = &rule.host {
            if h.scheme.as_str() != req.scheme || h.host != req.host {
                continue;
            }
        }
        let Some(path_captures) = path_match::match_segments(&rule.path.segments, &path, &segments) else {
            continue;
        };
        if req.asset_exists && !rule.force {
            continue;
        }
        if loop_guard::fires(rule, &path_captures, req, &path) {
            break;
        }
        let Some(query_captures) = query::match_query(&rule.query, &params) else { continue };
        if !rule.conditions.role.is_empty() && !jwt::role_holds(&rule.conditions.role, req.cookie("nf_jwt"), roles) {
            denied = true;
            continue;
        }
        if !conditions::hold(&rule.conditions, req) {
            continue;
        }
        let mut captures: Vec<(&str, Vec<u8>, Origin)> =
            path_captures.into_iter().map(|(n, v)| (n, v, Origin::Path)).collect();
        for (name, value) in query_captures {
            captures.push((name, encode_query_capture(&value), Origin::Query));
        }
        let Some(text) = substitute::substitute(&rule.to, &captures) else {
            return Outcome::TooLong { rule: index };
        };
        let target = substitute::target(&text, rule.to.contains('?'), &req.query);
        return Outcome::Matched(Decision { rule: index, negative: denied, to: substitute::plain(&text), target });
    }
    if denied {
        Outcome::Denied
    } else {
        Outcome::NoMatch
    }
}
