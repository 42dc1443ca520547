//! Duplicate rules, as Netlify's build treats them (SPEC §1): a rule equal to another after
//! normalisation is kept only in its last copy, at that copy's place; every earlier copy is
//! dropped with a warning naming the kept one.

use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

use crate::diagnostics::{Diagnostic, Problem};
use crate::model::{Conditions, QueryConstraint, Rule};

/// What makes two rules the same rule: `from` with its host, the query constraints as a set,
/// `to`, the status as written, force, the conditions (each key's values in order), the signing
/// secret's name and the headers as a set.
#[derive(PartialEq, Eq, Hash)]
struct Identity<'a> {
    from: &'a str,
    query: Vec<&'a QueryConstraint>,
    to: &'a str,
    status: Option<u16>,
    force: bool,
    conditions: &'a Conditions,
    signed: Option<&'a str>,
    headers: Vec<&'a (String, String)>,
}

impl<'a> Identity<'a> {
    fn of(rule: &'a Rule) -> Identity<'a> {
        let mut query: Vec<&QueryConstraint> = rule.query.iter().collect();
        query.sort_by(|a, b| (&a.key, format!("{:?}", a.value)).cmp(&(&b.key, format!("{:?}", b.value))));
        let mut headers: Vec<&(String, String)> = rule.headers.iter().collect();
        headers.sort();
        Identity {
            from: &rule.from,
            query,
            to: &rule.to,
            status: rule.status_written.then_some(rule.status),
            force: rule.force,
            conditions: &rule.conditions,
            signed: rule.signed.as_deref(),
            headers,
        }
    }
}

/// Drops every rule that has a later copy; returns a warning per dropped rule. Linear: one hash
/// of each rule, and a table of rule numbers (4 bytes a rule, where a map of identities cost 250
/// bytes a rule on a million-rule site).
pub fn drop_duplicates(rules: &mut Vec<Rule>) -> Vec<Diagnostic> {
    let state = RandomState::new();
    let hash_of = |rule: &Rule| state.hash_one(Identity::of(rule));
    // From the last rule back: the first copy met is the one kept.
    let mut kept: HashTable<u32> = HashTable::with_capacity(rules.len());
    let mut dropped_for: Vec<(usize, usize)> = Vec::new();
    for (index, rule) in rules.iter().enumerate().rev() {
        let identity = Identity::of(rule);
        let hash = state.hash_one(&identity);
        match kept.find(hash, |&k| Identity::of(&rules[k as usize]) == identity) {
            Some(&k) => dropped_for.push((index, k as usize)),
            None => {
                kept.insert_unique(hash, index as u32, |&k| hash_of(&rules[k as usize]));
            }
        }
    }
    if dropped_for.is_empty() {
        return Vec::new();
    }
    dropped_for.reverse();
    let mut keep = vec![true; rules.len()];
    let mut warnings = Vec::with_capacity(dropped_for.len());
    for &(index, kept) in &dropped_for {
        keep[index] = false;
        let (rule, k) = (&rules[index].source, &rules[kept].source);
        let problem = Problem::DuplicateRule { file: k.file.to_string(), line: k.line };
        warnings.push(Diagnostic::new(&rule.file, rule.line, None, problem, None));
    }
    let mut keep = keep.into_iter();
    rules.retain(|_| keep.next().unwrap_or(true));
    warnings
}

#[cfg(test)]
mod tests {
    use crate::{parse_site, SourceKind};

    fn kept(redirects: &str, toml: &str) -> Vec<(String, u32)> {
        let site = parse_site(&[
            (SourceKind::Redirects, redirects.as_bytes(), "_redirects"),
            (SourceKind::NetlifyToml, toml.as_bytes(), "netlify.toml"),
        ]);
        site.rules.iter().map(|r| (r.source.file.to_string(), r.source.line)).collect()
    }

    #[test]
    fn the_last_copy_is_kept_at_its_place() {
        let toml = "[[redirects]]\nfrom = \"/dup\"\nto = \"/first\"\nstatus = 301\n";
        let rules = kept("/dup /first 301\n/* /second 302\n", toml);
        assert_eq!(rules, [("_redirects".to_string(), 2), ("netlify.toml".to_string(), 1)]);
    }

    #[test]
    fn an_omitted_status_differs_from_a_written_301() {
        assert_eq!(kept("/a /b\n/a /b 301\n", "").len(), 2);
        assert_eq!(kept("/a /b\n/a /b\n", "").len(), 1);
        let toml = "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = \"301\"\n[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = 301\n";
        assert_eq!(kept("", toml), [("netlify.toml".to_string(), 5)]);
    }

    #[test]
    fn query_is_a_set_and_condition_values_keep_their_order() {
        assert_eq!(kept("/q a=1 b=2 /t 302\n/q b=2 a=1 /t 302\n", "").len(), 1);
        assert_eq!(kept("/c /t 302 Country=us,de\n/c /t 302 Country=de,us\n", "").len(), 2);
        assert_eq!(kept("/c /t 302 Country=us Language=fr\n/c /t 302 Language=fr Country=us\n", "").len(), 1);
    }

    #[test]
    fn each_dropped_copy_is_reported_naming_the_kept_one() {
        let site = parse_site(&[(SourceKind::Redirects, b"/a /b 302\n/a /b 302\n/a /b 302\n", "_redirects")]);
        let shown: Vec<String> = site.diagnostics.iter().map(|d| d.to_string()).collect();
        assert_eq!(site.rules.len(), 1);
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(shown.iter().all(|s| s.contains("last copy at _redirects:3")), "{shown:?}");
    }
}
