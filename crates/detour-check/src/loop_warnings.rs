//! `detour check`'s loop-guard warnings (SPEC §3.10), decided by the compiled engine itself: for
//! every rule the guard applies to, a few request paths built around its prefix P are put to
//! [`Matcher::verdict`]; the first the guard refuses is named in the warning. What serving does
//! is what the warning says, since it is the same code.

use detour_format::rule_flags;
use detour_rules::{Diagnostic, Problem, Rule};
use detour_runtime::{Matcher, Verdict};

/// Paths tried after P, in order: P itself, then below it and run on from it.
const TAILS: [&str; 6] = ["", "/x", "x", "/x/y", "x/y", "/"];

/// A warning for every rule the loop guard can fire for, with one request path it refuses.
pub fn warnings(rules: &[Rule], matcher: &Matcher) -> Vec<Diagnostic> {
    let set = matcher.blob().rule_set();
    let mut scratch = matcher.scratch();
    let mut out = Vec::new();
    for (index, (rule, record)) in rules.iter().zip(set.rules.iter()).enumerate() {
        if record.flags & rule_flags::GUARD == 0 {
            continue;
        }
        let to = set.to(record);
        let (origin_len, prefix_len) = set.guard(record);
        let prefix = String::from_utf8_lossy(to.get(origin_len..origin_len + prefix_len).unwrap_or_default());
        let origin = if record.flags & rule_flags::GUARD_ABSOLUTE != 0 {
            String::from_utf8_lossy(to.get(..origin_len).unwrap_or_default()).into_owned()
        } else {
            rule.host
                .as_ref()
                .map_or("https://example.com".to_string(), |h| format!("{}://{}", h.scheme.as_str(), h.host))
        };
        let (scheme, host) = origin.split_once("://").unwrap_or(("https", ""));
        let refused = TAILS.iter().map(|tail| format!("{prefix}{tail}")).find(|path| {
            let mut req = detour_runtime::Request::new(path);
            (req.scheme, req.host) = (scheme, host);
            matcher.verdict(index as u32, &req, &mut scratch) == Verdict::Guarded
        });
        if let Some(example) = refused {
            let problem = Problem::LoopGuard { prefix: prefix.into_owned(), example };
            out.push(Diagnostic::new(&rule.source.file, rule.source.line, None, problem, None));
        }
    }
    out
}
