//! The loop guard's compile-time half (SPEC §3.10): which rules it applies to and their prefix P,
//! stored in the blob for the runtime.

use detour_rules::{url_scheme_len, Rule};

/// The loop prefix P of a rule's `to` (SPEC §3.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopPrefix<'r> {
    /// No guard: an absolute `to` without the `P/:splat` shape.
    None,
    /// P, for any request.
    Relative(&'r str),
    /// P, only for requests whose `scheme://host` equals `origin`.
    Absolute {
        /// `scheme://host` of `to`, as written.
        origin: &'r str,
        /// P.
        prefix: &'r str,
    },
}

/// P when `path` has the shape `P/:splat` or `P/:splat/REST` (P and REST non-empty).
fn splat_shape(path: &str) -> Option<&str> {
    let at = path.find("/:splat")?;
    let after = &path[at + "/:splat".len()..];
    (at > 0 && (after.is_empty() || (after.starts_with('/') && after.len() >= 2))).then(|| &path[..at])
}

/// The loop prefix of `to`: `P` of `P/:splat[/REST]`, else the whole relative `to`; an absolute
/// `to` has a guard only with that shape.
pub fn loop_prefix(to: &str) -> LoopPrefix<'_> {
    match url_scheme_len(to) {
        Some(n) => {
            let host_end = to[n..].find('/').map_or(to.len(), |i| n + i);
            match splat_shape(&to[host_end..]) {
                Some(prefix) => LoopPrefix::Absolute { origin: &to[..host_end], prefix },
                None => LoopPrefix::None,
            }
        }
        None => LoopPrefix::Relative(splat_shape(to).unwrap_or(to)),
    }
}

/// True when the loop guard is considered for this rule: status not 200 and a wildcard in
/// `from` (SPEC §3.10).
pub fn is_guarded(rule: &Rule) -> bool {
    rule.status != 200 && rule.path.has_wildcard()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_prefixes() {
        assert_eq!(loop_prefix("/t/:splat"), LoopPrefix::Relative("/t"));
        assert_eq!(loop_prefix("/docs/v2/:splat/x"), LoopPrefix::Relative("/docs/v2"));
        assert_eq!(loop_prefix("/a/:splat/"), LoopPrefix::Relative("/a/:splat/"));
        assert_eq!(loop_prefix("/:splat"), LoopPrefix::Relative("/:splat"));
        assert_eq!(loop_prefix("/a/:splatter"), LoopPrefix::Relative("/a/:splatter"));
        assert_eq!(
            loop_prefix("https://e.com/t/:splat"),
            LoopPrefix::Absolute { origin: "https://e.com", prefix: "/t" }
        );
        assert_eq!(loop_prefix("https://e.com/x"), LoopPrefix::None);
    }
}
