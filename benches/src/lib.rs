//! Shared set-up for the benchmarks: workloads, engines, and the alternatives a Rust developer
//! might pick instead (a per-rule regex scan, a `RegexSet`, `matchit`).

use detour_cli::requests::Request as RefRequest;
use detour_rules::{Rule, Segment};
use detour_runtime::{Blob, MatchOptions, Matcher, Request};

/// A generated site at one size, compiled.
pub struct Site {
    pub n: usize,
    pub rules: Vec<Rule>,
    pub blob: Vec<u8>,
    pub matcher: Matcher,
    /// Requests per category (early, middle, late, miss), then all of them mixed.
    pub requests: Vec<(&'static str, Vec<RefRequest>)>,
}

/// Generates and compiles a site of `n` rules with `per_category` requests per category.
pub fn site(n: usize, per_category: usize) -> Site {
    let w = detour_testkit::workload::generate(n, per_category * 4, 42);
    let rules = detour_rules::parse_redirects(w.rules.as_bytes(), "_redirects").rules;
    let blob = detour_compiler::compile(&rules).expect("compile");
    let matcher = Matcher::new(Blob::from_bytes(&blob).expect("load"), MatchOptions::default());
    let parse = |lines: &[String]| -> Vec<RefRequest> {
        lines.iter().map(|l| detour_cli::requests::parse_request_line(l).expect("request")).collect()
    };
    let mut requests: Vec<(&'static str, Vec<RefRequest>)> =
        detour_testkit::workload::CATEGORIES.iter().zip(&w.by_category).map(|(c, l)| (*c, parse(l))).collect();
    requests.push(("mixed", parse(&w.mixed)));
    Site { n, rules, blob, matcher, requests }
}

/// Borrowed runtime requests for owned reference requests (the workloads have no cookies).
pub fn runtime_requests(reqs: &[RefRequest]) -> Vec<Request<'_>> {
    reqs.iter().map(|r| detour_cli::engine::runtime_request(r, &[])).collect()
}

/// Rules the alternatives can express: host-less, no query constraints, no conditions, and a
/// path of literals, placeholders and at most a trailing `*`.
pub fn simple_subset(rules: &[Rule]) -> Vec<&Rule> {
    rules
        .iter()
        .filter(|r| r.host.is_none() && r.query.is_empty() && r.conditions.is_empty())
        .filter(|r| {
            let n = r.path.segments.len();
            r.path.segments.iter().enumerate().all(|(i, s)| match s {
                Segment::Literal(_) | Segment::Placeholder(_) => true,
                Segment::Splat => i + 1 == n,
                Segment::PrefixSplat(_) => false,
            })
        })
        .collect()
}

/// The regular expression of a simple pattern, as a regex-based router would write it.
pub fn to_regex(rule: &Rule) -> String {
    let mut re = String::from("^");
    for s in &rule.path.segments {
        match s {
            Segment::Literal(l) => {
                re.push('/');
                re.push_str(&regex::escape(&String::from_utf8_lossy(l)));
            }
            Segment::Placeholder(_) => re.push_str("/([^/]+)"),
            Segment::Splat => re.push_str("(?:/(.*))?"),
            Segment::PrefixSplat(_) => {}
        }
    }
    re.push_str("/?$");
    re
}

/// The matchit route of a simple pattern.
pub fn to_matchit(rule: &Rule) -> String {
    let mut route = String::new();
    for (i, s) in rule.path.segments.iter().enumerate() {
        route.push('/');
        match s {
            Segment::Literal(l) => {
                let lit = String::from_utf8_lossy(l).replace('{', "{{").replace('}', "}}");
                route.push_str(&lit);
            }
            Segment::Placeholder(_) => route.push_str(&format!("{{p{i}}}")),
            Segment::Splat => route.push_str("{*rest}"),
            Segment::PrefixSplat(_) => {}
        }
    }
    if route.is_empty() {
        route.push('/');
    }
    route
}

pub mod adversarial;

/// Compiles `_redirects` text into a matcher with default options.
pub fn compile_text(text: &str) -> (Vec<Rule>, Matcher) {
    let rules = detour_rules::parse_redirects(text.as_bytes(), "_redirects").rules;
    let blob = detour_compiler::compile(&rules).expect("compile");
    (rules, Matcher::new(Blob::from_bytes(&blob).expect("load"), MatchOptions::default()))
}
