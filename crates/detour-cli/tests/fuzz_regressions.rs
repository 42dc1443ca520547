//! Every fuzz target's check, run by `cargo test` on seeds built from the conformance cases and
//! on every minimized crash saved in `fixtures/fuzz-regressions/<target>/` (replayed forever).

mod support;

use std::path::PathBuf;

use support::cases::{fixtures, load_cases};

/// The saved inputs of a target.
fn regressions(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = fixtures().join("fuzz-regressions").join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut inputs: Vec<(PathBuf, Vec<u8>)> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    inputs.sort();
    inputs
}

fn replay(target: &str, seeds: Vec<Vec<u8>>, check: impl Fn(&[u8])) -> usize {
    let saved = regressions(target);
    for (path, bytes) in &saved {
        eprintln!("replaying {}", path.display());
        check(bytes);
    }
    for seed in &seeds {
        check(seed);
    }
    saved.len() + seeds.len()
}

fn case_sources(ext: &str) -> Vec<Vec<u8>> {
    load_cases()
        .iter()
        .flat_map(|c| {
            c.sources.iter().filter(|(n, _)| n.ends_with(ext)).map(|(_, t)| t.as_bytes().to_vec()).collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn parse_redirects() {
    let n = replay("parse_redirects", case_sources("_redirects"), detour_testkit::parse::check_parse_redirects);
    assert!(n > 100);
}

#[test]
fn parse_toml() {
    let mut seeds = case_sources(".toml");
    seeds.push(std::fs::read(fixtures().join("sites/demo/netlify.toml")).unwrap());
    let n = replay("parse_toml", seeds, detour_testkit::parse::check_parse_toml);
    assert!(n > 10);
}

#[test]
fn load_blob() {
    let seeds: Vec<Vec<u8>> =
        load_cases().iter().map(|c| detour_compiler::compile(&c.parse().rules).unwrap()).take(40).collect();
    let n = replay("load_blob", seeds, detour_testkit::blob::check_load_blob);
    assert!(n >= 40);
}

#[test]
fn differential() {
    let seeds: Vec<Vec<u8>> =
        (0u8..64).map(|i| (0..256u32).map(|j| (j as u8).wrapping_mul(i | 1) ^ i).collect()).collect();
    replay("differential", seeds, detour_testkit::differential::check_differential);
}

#[test]
fn match_request() {
    let matcher = detour_testkit::differential::match_request_matcher();
    let mut seeds: Vec<Vec<u8>> = load_cases()
        .iter()
        .flat_map(|c| c.requests.iter().map(|(r, _)| [&[0u8][..], &r.request.path, &[0xFF], &r.request.query].concat()))
        .collect();
    seeds.extend(detour_testkit::blob::hostile_seeds());
    let n = replay("match_request", seeds, |d| detour_testkit::blob::check_match_request(&matcher, d));
    assert!(n > 300);
}

/// The request of issue 10: `:month`/`:day` text in the captures of an ordinary date rule grew
/// `to` cubically (64 MB from 4.4 KB); now the outcome is *target too long*, at bounded cost.
#[test]
fn cubic_substitution_is_bounded() {
    let matcher = detour_testkit::differential::match_request_matcher();
    let growth = ":month:day".repeat(440);
    let path = format!("/news/{growth}/{growth}/{growth}");
    let mut scratch = detour_runtime::Scratch::new();
    let outcome = matcher.find(&detour_runtime::Request::new(&path), &mut scratch);
    assert!(matches!(outcome, detour_runtime::Outcome::TooLong(t) if t.rule == 0 && t.line == 1), "{outcome:?}");
    detour_testkit::blob::check_match_request(&matcher, &[&[0u8][..], path.as_bytes()].concat());
}

/// Whole sites: the cases' `_redirects` texts, their TOML texts (after a NUL), both together,
/// and every saved regression, among them the issue 11 panic line.
#[test]
fn check_site() {
    let redirects = case_sources("_redirects");
    let toml = case_sources(".toml");
    let mut seeds: Vec<Vec<u8>> = redirects.clone();
    seeds.extend(toml.iter().map(|t| [&[0u8][..], t].concat()));
    seeds.extend(redirects.iter().zip(&toml).map(|(r, t)| [&r[..], &[0], t].concat()));
    let n = replay("check_site", seeds, detour_testkit::site::check_site);
    assert!(n > 100);
    assert!(!regressions("check_site").is_empty(), "the issue 11 line is saved");
}
