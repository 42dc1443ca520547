//! Fully shadowed rules (SPEC §1.1): a rule every one of whose requests an earlier rule takes
//! first, across pattern shapes (`/blog/*` before `/blog/2023/recap`, `/:lang/x` before `/en/x`).
//!
//! Decided soundly, never by guess: a warning needs a proof that the earlier rule matches every
//! request the later one matches, on host, path, query and conditions, and that nothing lets the
//! later rule through (a forced later rule behind an unforced one is reached when a file exists;
//! an earlier `Role` rule lets requests pass when its role check fails). What the proof cannot
//! show (a splat in the middle of the earlier pattern against other shapes) is not warned about.
//!
//! Bounded work: rules are filed in buckets (one sort of a hash and an index a rule). Every rule
//! is filed by host and whole pattern, so rules of the same pattern (SPEC §1.1: a repeat is
//! shadowed) meet however many other patterns there are; a rule with a placeholder or wildcard
//! is also filed by host and first segment (one bucket for patterns starting with a placeholder
//! or wildcard). Each rule is compared with at most the first and the last [`CANDIDATES`] earlier
//! rules of each of the (at most five) buckets it can be covered from, so a site of n rules costs
//! at most `5 × 2 × CANDIDATES × n` pattern comparisons, each linear in the pattern's segments.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::diagnostics::Problem;
use crate::model::{HostMatch, QueryValue, Rule};
use crate::pattern::Segment;

/// How many of the first, and of the latest, earlier rules of one bucket each rule is compared
/// with.
pub(crate) const CANDIDATES: usize = 64;

/// Where a rule is filed for the rules after it: every rule by host and whole pattern (an
/// all-literal pattern can only cover the same path; any pattern covers its repeats), the others
/// also by host (or none) and first segment.
#[derive(Hash)]
enum Bucket<'r> {
    Same(Option<&'r HostMatch>, &'r [Segment]),
    General(Option<&'r HostMatch>, Head<'r>),
}

/// A pattern's first segment, as far as covering goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Head<'r> {
    /// The pattern `/`.
    Root,
    /// A literal first segment.
    Literal(&'r [u8]),
    /// A placeholder or wildcard first segment.
    Open,
}

/// Every rule an earlier rule always wins over, with the earliest such rule found.
pub(crate) fn shadowed(rules: &[Rule]) -> Vec<(usize, Problem)> {
    let filed = Filed::new(rules);
    let mut out = Vec::new();
    for index in 0..rules.len() {
        let Some(w) = filed.covering(rules, index).and_then(|w| rules.get(w)) else { continue };
        let problem =
            Problem::Shadowed { file: w.source.file.to_string(), line: w.source.line, from: w.from.to_string() };
        out.push((index, problem));
    }
    out
}

/// Every rule's index, grouped by bucket: `runs` maps a bucket's hash to its run of `indices`,
/// in rule order. Two buckets that share a hash only cost comparisons, never a wrong warning:
/// every candidate is checked in full.
struct Filed {
    indices: Vec<u32>,
    runs: HashMap<u64, (u32, u32)>,
}

impl Filed {
    fn new(rules: &[Rule]) -> Filed {
        let mut filed: Vec<(u64, u32)> = rules
            .iter()
            .enumerate()
            .flat_map(|(i, r)| own_buckets(r).into_iter().flatten().map(move |b| (bucket_hash(&b), i as u32)))
            .collect();
        filed.sort_unstable();
        let mut runs = HashMap::new();
        let mut start = 0;
        for run in filed.chunk_by(|a, b| a.0 == b.0) {
            let end = start + run.len();
            runs.insert(run[0].0, (start as u32, end as u32));
            start = end;
        }
        Filed { indices: filed.into_iter().map(|(_, i)| i).collect(), runs }
    }

    /// The earliest of the compared earlier rules that always wins over rule `index`.
    fn covering(&self, rules: &[Rule], index: usize) -> Option<usize> {
        let later = rules.get(index)?;
        let mut best: Option<usize> = None;
        for bucket in lookups(later).iter().flatten() {
            let Some(&(start, end)) = self.runs.get(&bucket_hash(bucket)) else { continue };
            let run = self.indices.get(start as usize..end as usize).unwrap_or_default();
            let earlier = run.get(..run.partition_point(|&i| (i as usize) < index)).unwrap_or_default();
            // The first rules of a bucket are the broad ones (`/blog/*` before its many
            // `/blog/post-N/*`), the last the nearest.
            let first = earlier.get(..CANDIDATES).unwrap_or(earlier);
            let last = earlier.get(earlier.len().saturating_sub(CANDIDATES).max(first.len())..).unwrap_or_default();
            for &e in first.iter().chain(last) {
                let e = e as usize;
                if best.is_none_or(|b| e < b) && rules.get(e).is_some_and(|earlier| always_wins(earlier, later)) {
                    best = Some(e);
                }
            }
        }
        best
    }
}

/// The one or two buckets a rule is filed in.
fn own_buckets(rule: &Rule) -> [Option<Bucket<'_>>; 2] {
    let host = rule.host.as_deref();
    let general = (!is_literal(rule)).then(|| Bucket::General(host, head(&rule.path.segments)));
    [Some(Bucket::Same(host, &rule.path.segments)), general]
}

/// The buckets an earlier rule covering `later` can be in: the same host and pattern, and host
/// none or `later`'s × `later`'s own first segment or an open one. At most five.
fn lookups(later: &Rule) -> [Option<Bucket<'_>>; 5] {
    let own = head(&later.path.segments);
    let open = (own != Head::Open).then_some(Head::Open);
    let host = later.host.as_deref();
    [
        Some(Bucket::Same(host, &later.path.segments)),
        Some(Bucket::General(None, own)),
        open.map(|h| Bucket::General(None, h)),
        host.map(|h| Bucket::General(Some(h), own)),
        host.and(open).map(|h| Bucket::General(host, h)),
    ]
}

fn bucket_hash(bucket: &Bucket<'_>) -> u64 {
    let mut h = DefaultHasher::new();
    bucket.hash(&mut h);
    h.finish()
}

fn head(segments: &[Segment]) -> Head<'_> {
    match segments.first() {
        None => Head::Root,
        Some(Segment::Literal(l)) => Head::Literal(l),
        Some(_) => Head::Open,
    }
}

fn is_literal(rule: &Rule) -> bool {
    rule.path.segments.iter().all(|s| matches!(s, Segment::Literal(_)))
}

/// True when `earlier` matches every request `later` matches and nothing lets a request past
/// it, so `later` can never be the outcome.
fn always_wins(earlier: &Rule, later: &Rule) -> bool {
    // An unforced rule is skipped where a file exists, a forced one is not (SPEC §3.11); a
    // failed role check lets the search go on (§3.9).
    if (!earlier.force && later.force) || !earlier.conditions.role.is_empty() {
        return false;
    }
    let host_covers = earlier.host.is_none() || earlier.host == later.host;
    host_covers
        && path_covers(&earlier.path.segments, &later.path.segments)
        && query_implied(earlier, later)
        && conditions_implied(earlier, later)
}

/// True when every path `later` matches, `earlier` matches too (SPEC §3.2–§3.5).
fn path_covers(earlier: &[Segment], later: &[Segment]) -> bool {
    match (earlier.split_first(), later.split_first()) {
        (None, None) => true,
        // A trailing splat matches its prefix and everything below it.
        (Some((Segment::Splat, [])), _) => true,
        // A trailing prefix wildcard matches a segment starting with its prefix, and anything below.
        (Some((Segment::PrefixSplat(p), [])), Some((first, _))) => match first {
            Segment::Literal(l) => l.starts_with(p),
            Segment::PrefixSplat(q) => q.starts_with(p),
            Segment::Placeholder(_) | Segment::Splat => false,
        },
        (Some((e, e_rest)), Some((l, l_rest))) => segment_covers(e, l) && path_covers(e_rest, l_rest),
        (None, Some(_)) | (Some(_), None) => false,
    }
}

/// One position of two patterns: a literal covers itself, a placeholder any non-empty segment
/// or placeholder; a mid-path wildcard only the same wildcard (or a longer prefix), since both
/// then span the same segments and the rest decides.
fn segment_covers(earlier: &Segment, later: &Segment) -> bool {
    match (earlier, later) {
        (Segment::Literal(a), Segment::Literal(b)) => a == b,
        (Segment::Placeholder(_), Segment::Literal(b)) => !b.is_empty(),
        (Segment::Placeholder(_), Segment::Placeholder(_)) | (Segment::Splat, Segment::Splat) => true,
        (Segment::PrefixSplat(p), Segment::PrefixSplat(q)) => q.starts_with(p),
        _ => false,
    }
}

/// Every query constraint of `earlier` holds whenever `later`'s do (SPEC §3.6).
fn query_implied(earlier: &Rule, later: &Rule) -> bool {
    earlier.query.iter().all(|e| {
        later.query.iter().any(|l| l.key == e.key && (matches!(e.value, QueryValue::Capture(_)) || l.value == e.value))
    })
}

/// Each condition is "any of": `earlier`'s holds whenever `later`'s does if every value `later`
/// accepts is one `earlier` accepts too (SPEC §3.7).
fn conditions_implied(earlier: &Rule, later: &Rule) -> bool {
    fn implied(e: &[String], l: &[String], same: impl Fn(&str, &str) -> bool) -> bool {
        e.is_empty() || (!l.is_empty() && l.iter().all(|v| e.iter().any(|w| same(w, v))))
    }
    let (ec, lc) = (&earlier.conditions, &later.conditions);
    implied(&ec.country, &lc.country, |a, b| a.eq_ignore_ascii_case(b))
        && implied(&ec.language, &lc.language, |a, b| a.eq_ignore_ascii_case(b))
        && implied(&ec.cookie, &lc.cookie, |a, b| a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shadowed_lines(text: &str) -> Vec<(u32, u32)> {
        let parsed = crate::parse_redirects(text.as_bytes(), "_redirects");
        shadowed(&parsed.rules)
            .into_iter()
            .filter_map(|(i, p)| match p {
                Problem::Shadowed { line, .. } => Some((parsed.rules[i].source.line, line)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn shadowing_across_pattern_shapes_is_found() {
        let text = "/blog/* /news 301\n/blog/2023/recap /r 301\n/:lang/x /l 301\n/en/x /e 301\n\
                    /docs/v* /d 301\n/docs/v2/a /v 301\n/docs/va* /w 301\n/* /all 302\n/late /never\n";
        assert_eq!(shadowed_lines(text), [(2, 1), (4, 3), (6, 5), (7, 5), (9, 8)]);
    }

    #[test]
    fn what_lets_the_later_rule_through_is_respected() {
        let text = "/blog/* /news 301 Country=us\n/blog/a /a 301\n\
                    /p/* /p2 301\n/p/x /x 301!\n\
                    /r/* /r2 301 Role=admin\n/r/x /x 301\n\
                    /q/* id=:id /q2 301\n/q/x /x 301\n\
                    https://h.test/h/* /h2 301\n/h/x /x 301\n\
                    /:a /one 301\n/ /root 301\n/e/:a /e 301\n/e// /empty 301\n";
        assert_eq!(shadowed_lines(text), Vec::<(u32, u32)>::new());
    }

    #[test]
    fn the_later_rule_with_narrower_constraints_is_shadowed() {
        let text = "/s/* /s2 301\n/s/x id=1 /x 301 Country=us\n/t/* id=:id /t2 301\n/t/x id=1 /x 301\n\
                    /f/* /f2 301!\n/f/x /x 301!\nhttps://h.test/* /h 301\nhttps://h.test/a /a 301\n";
        assert_eq!(shadowed_lines(text), [(2, 1), (4, 3), (6, 5), (8, 7)]);
    }
}
