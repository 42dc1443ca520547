//! Redirect loops and chains across rules (`/a /b 301` + `/b /a 301`; `/a → /b → /c`), found by
//! following each rule's concrete target through the compiled rules ([`Matcher::find`]), as a
//! browser would: what the warning says is what serving does.
//!
//! A rule starts a walk when a browser follows its status (301, 302, 303, 307, 308), its `to`
//! uses none of its captures (so the target is known without a request), and it has no query
//! constraint or condition (so the next request carries nothing the walk does not know: it has
//! no country, language or cookies, and the host the rule names, or none). Each walk makes at
//! most [`MAX_HOPS`] matches, so a site of n rules costs at most `MAX_HOPS × n` matches.
//! A walk stops at an absolute URL on a host no rule of this site names: that is another site,
//! whose rules are unknown (host-less rules of this site answer any host, so following them
//! there would report chains and loops that do not exist).
//! A loop is reported once, at its first rule; a chain of two redirects or more at every rule
//! that starts one.

use std::collections::HashSet;

use detour_rules::{Diagnostic, Problem, QueryValue, Rule};
use detour_runtime::{Matcher, Outcome, Request, Scratch};

/// The most requests one walk makes.
pub const MAX_HOPS: usize = 8;

/// The statuses a browser follows to their `Location`.
const FOLLOWED: [u16; 5] = [301, 302, 303, 307, 308];

/// A loop or chain warning for every rule that starts one.
pub fn warnings(rules: &[Rule], matcher: &Matcher) -> Vec<Diagnostic> {
    let mut scratch = matcher.scratch();
    // A set: one entry per host, looked up per hop (a list of every host-scoped rule's host made
    // each hop cost the number of such rules).
    let site_hosts: HashSet<&str> = rules.iter().filter_map(|r| r.host.as_deref()).map(|h| h.host.as_str()).collect();
    let mut out = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        if !starts_walk(rule) {
            continue;
        }
        let origin = match &rule.host {
            Some(h) => Url { scheme: h.scheme.as_str(), host: h.host.clone(), path: String::new() },
            None => Url { scheme: "https", host: String::new(), path: String::new() },
        };
        let walk = walk(matcher, &mut scratch, &site_hosts, origin.resolve(&rule.to));
        if let Some(problem) = problem(rules, index, &walk) {
            out.push(Diagnostic::new(&rule.source.file, rule.source.line, None, problem, None));
        }
    }
    out
}

/// A redirect whose target is known without a request, from a request that carries nothing a
/// later rule could read.
fn starts_walk(rule: &Rule) -> bool {
    let captures = rule.path.capture_names().chain(rule.query.iter().filter_map(|q| match &q.value {
        QueryValue::Capture(name) => Some(name.as_str()),
        QueryValue::Literal(_) => None,
    }));
    let mut uses_capture = false;
    for name in captures {
        let at_name = |(at, _): (usize, &str)| rule.to.get(at + 1..).is_some_and(|t| t.starts_with(name));
        uses_capture |= rule.to.match_indices(':').any(at_name);
    }
    FOLLOWED.contains(&rule.status) && !uses_capture && rule.query.is_empty() && rule.conditions.is_empty()
}

/// Where a walk went: the URL each request was for, and the redirect rule that answered it.
struct Walk {
    hops: Vec<(Url, usize)>,
    /// The URL the last redirect sent to.
    end: Url,
    /// `end` was requested before: its position in `hops`.
    repeats: Option<usize>,
}

/// Follows redirects from `start` until no redirect answers, a URL repeats, the URL is on
/// another site (a host not in `site_hosts`), or [`MAX_HOPS`].
fn walk(matcher: &Matcher, scratch: &mut Scratch, site_hosts: &HashSet<&str>, start: Url) -> Walk {
    let mut hops: Vec<(Url, usize)> = Vec::new();
    let mut url = start;
    while hops.len() < MAX_HOPS {
        if let Some(at) = hops.iter().position(|(seen, _)| *seen == url) {
            return Walk { hops, end: url, repeats: Some(at) };
        }
        if !url.host.is_empty() && !site_hosts.contains(url.host.as_str()) {
            break;
        }
        let Some((rule, target)) = redirect(matcher, scratch, &url) else { break };
        let next = url.resolve(&target);
        hops.push((url, rule));
        url = next;
    }
    Walk { hops, end: url, repeats: None }
}

/// The rule and wire target of the redirect the compiled rules answer `url` with, if any.
fn redirect(matcher: &Matcher, scratch: &mut Scratch, url: &Url) -> Option<(usize, String)> {
    let mut req = Request::new(&url.path);
    (req.scheme, req.host) = (url.scheme, &url.host);
    match matcher.find(&req, scratch) {
        Outcome::Matched(d) if FOLLOWED.contains(&d.status) => Some((d.rule as usize, d.target.to_string())),
        _ => None,
    }
}

/// The warning for rule `start`'s walk: a loop when the walk came back to a URL and `start` is
/// the first rule of the loop; a chain when a client follows two redirects or more.
fn problem(rules: &[Rule], start: usize, walk: &Walk) -> Option<Problem> {
    let line =
        |rule: usize| rules.get(rule).map_or_else(String::new, |r| format!("{}:{}", r.source.file, r.source.line));
    let from = rules.get(start)?;
    let mut path = format!("`{}` ({})", from.from, line(start));
    for (url, rule) in &walk.hops {
        path.push_str(&format!(" → `{url}` ({})", line(*rule)));
    }
    path.push_str(&format!(" → `{}`", walk.end));
    match walk.repeats {
        Some(at) => {
            let cycle: Vec<usize> = walk.hops.iter().skip(at).map(|&(_, r)| r).collect();
            let first = cycle.iter().copied().min()?;
            // A rule sent back to itself alone is what the lint's own warnings already name.
            let said = cycle.len() == 1 && from.from.trim_end_matches('/') == from.to.trim_end_matches('/');
            (cycle.contains(&start) && first == start && !said).then_some(Problem::RedirectLoop { path })
        }
        None if walk.hops.len() == MAX_HOPS => {
            Some(Problem::RedirectChain { hops: walk.hops.len() + 1, path: format!("{path} → …") })
        }
        None => (!walk.hops.is_empty()).then_some(Problem::RedirectChain { hops: walk.hops.len() + 1, path }),
    }
}

/// A request URL of a walk: scheme, host (empty: none) and the path with its query.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Url {
    scheme: &'static str,
    host: String,
    path: String,
}

impl Url {
    /// Where `target` (a `Location`: an absolute URL, or a path on this URL's host) leads.
    fn resolve(&self, target: &str) -> Url {
        let target = target.split('#').next().unwrap_or_default();
        let absolute = [("https", "https://"), ("http", "http://")].iter().find_map(|&(scheme, prefix)| {
            let rest = target
                .get(..prefix.len())
                .filter(|s| s.eq_ignore_ascii_case(prefix))
                .and(target.get(prefix.len()..))?;
            let end = rest.find(['/', '?']).unwrap_or(rest.len());
            let (host, path) = (rest.get(..end)?, rest.get(end..)?);
            let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
            Some(Url { scheme, host: host.to_ascii_lowercase(), path })
        });
        absolute.unwrap_or_else(|| Url { path: target.to_string(), ..self.clone() })
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.is_empty() {
            write!(f, "{}", self.path)
        } else {
            write!(f, "{}://{}{}", self.scheme, self.host, self.path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(u32, String)> {
        let sources = [(detour_rules::SourceKind::Redirects, text.as_bytes(), "_redirects")];
        let (_, diagnostics) = crate::site(&sources);
        diagnostics
            .into_iter()
            .filter(|d| matches!(d.problem, Problem::RedirectLoop { .. } | Problem::RedirectChain { .. }))
            .map(|d| (d.line, d.problem.to_string()))
            .collect()
    }

    #[test]
    fn a_loop_across_two_rules_is_reported_once_at_its_first_rule() {
        let got = found("/a /b 301\n/b /a 301\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, 1);
        assert!(got[0].1.contains("`/a` (_redirects:1) → `/b` (_redirects:2) → `/a` (_redirects:1) → `/b`"), "{got:?}");
    }

    #[test]
    fn a_chain_is_reported_with_its_length() {
        let got = found("/a /b 301\n/b /c 302\n/c /d 308\n/unrelated /e 301\n");
        let lines: Vec<u32> = got.iter().map(|g| g.0).collect();
        assert_eq!(lines, [1, 2], "{got:?}");
        assert!(got[0].1.starts_with("redirect chain of 3 redirects `/a` (_redirects:1) → `/b` (_redirects:2)"));
        assert!(got[1].1.starts_with("redirect chain of 2 redirects"), "{got:?}");
    }

    #[test]
    fn walks_follow_the_compiled_rules_across_shapes_and_hosts() {
        // `/b` is answered by the splat rule; the absolute target is matched on its host.
        let got = found("/a /b/x 301\n/b/* https://h.test/c 301\nhttps://h.test/c /a 302\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].1.starts_with("redirect loop `/a` (_redirects:1) → `/b/x` (_redirects:2)"), "{got:?}");
    }

    #[test]
    fn what_a_browser_does_not_follow_is_no_chain() {
        // A rewrite, a conditional rule, a captured target and a loop guard stop the walk.
        let text = "/a /b 200\n/b /c 301\n/c /d 301 Country=us\n/d /e 301\n/x/:p /y/:p 301\n/y/* /y/z/:splat 301\n";
        assert_eq!(found(text), Vec::<(u32, String)>::new());
    }

    #[test]
    fn another_sites_host_ends_the_walk() {
        // discord.gg and other.example are not this site: its host-less rules do not answer there.
        assert_eq!(found("/discord https://discord.gg/abc 301\n/* /en/:splat 302\n"), Vec::<(u32, String)>::new());
        // `/b → /a → other.example` is a real chain of two redirects, but no loop.
        let got = found("/a https://other.example/b 301\n/b /a 301\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].1.starts_with("redirect chain of 2 redirects `/b`"), "{got:?}");
    }

    #[test]
    fn a_rule_sent_back_to_itself_is_left_to_the_lint() {
        let got = found("/same /same 301\n/:one /x 301\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].1.starts_with("redirect loop `/:one` (_redirects:2) → `/x` (_redirects:2) → `/x`"));
    }
}
