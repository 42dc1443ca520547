//! Random deploys, removals, alias moves and rescans, with lookups in every spelling between
//! them: the cached lookups must answer as `Registry::lookup` at every step.

mod common;

use common::*;
use detour_runtime::Scratch;
use detour_sites::{Registry, RegistryOptions, SiteCache};

/// A small deterministic generator (no dependency), xorshift64*.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

fn spellings(host: &str) -> Vec<String> {
    vec![
        host.to_string(),
        host.to_ascii_uppercase(),
        format!("{host}:8080"),
        format!("{host}."),
        format!("{}.:80", host.to_ascii_uppercase()),
    ]
}

/// `lookup`'s answer, then the two cached ways', then `lookup`'s again. A lookup may open a
/// site and so learn the hosts of a blob deployed while it was closed, which can send the host
/// to another site, to be opened in turn: lookups are repeated until the answer settles, so
/// that nothing changes the directory between the answers compared.
fn answers(registry: &Registry, cache: &mut SiteCache, host: &str) -> [String; 4] {
    let plain = || answer(&registry.lookup(host), host, "/probe", &mut Scratch::new());
    let mut before = plain();
    for _ in 0..8 {
        let again = plain();
        if again == before {
            break;
        }
        before = again;
    }
    let with = registry
        .with_matcher_cached(cache, host, |m| answer_of(m, host, "/probe", &mut Scratch::new()))
        .unwrap_or_else(|lookup| answer(&lookup, host, "/probe", &mut Scratch::new()));
    let lookup = answer(&registry.lookup_cached(cache, host), host, "/probe", &mut Scratch::new());
    [before, with, lookup, plain()]
}

#[test]
fn cached_lookups_answer_as_lookup_through_random_directory_changes() {
    for seed in 1..=20u64 {
        random_changes(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    }
}

fn random_changes(seed: u64) {
    let dir = fresh_dir(&format!("cache-random-{seed}"));
    let long = format!("{}.example", "l".repeat(70));
    let aliases: Vec<String> = ["a0.example", "a1.example", "x.a1.example", long.as_str(), "a3.example"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let sites: Vec<String> = (0..4).map(|i| format!("s{i}.example")).collect();
    let mut hosts: Vec<String> = aliases.iter().chain(&sites).flat_map(|h| spellings(h)).collect();
    hosts.push("unknown.example".to_string());
    let mut rng = Rng(seed);
    let registry =
        Registry::open(&dir, RegistryOptions { max_open: 2, watch: false, ..RegistryOptions::default() }).unwrap();
    let mut cache = SiteCache::new();
    let mut version = 0;
    for step in 0..400 {
        match rng.below(10) {
            0..=2 => {
                version += 1;
                let site = &sites[rng.below(sites.len())];
                let mine: Vec<&str> = aliases.iter().filter(|_| rng.below(3) == 0).map(String::as_str).collect();
                deploy(&dir, site, &versioned(site, &mine, version));
                if rng.below(2) == 0 {
                    registry.rescan();
                }
            }
            3 => {
                let site = &sites[rng.below(sites.len())];
                let _ = std::fs::remove_file(dir.join(format!("{site}.detour")));
                registry.rescan();
            }
            4 => registry.rescan(),
            _ => {
                for _ in 0..6 {
                    let host = &hosts[rng.below(hosts.len())];
                    let [plain, with, lookup, after] = answers(&registry, &mut cache, host);
                    assert_eq!(plain, with, "seed {seed} step {step}: {host} through with_matcher_cached");
                    assert_eq!(plain, lookup, "seed {seed} step {step}: {host} through lookup_cached");
                    assert_eq!(plain, after, "seed {seed} step {step}: {host} through lookup, again");
                    assert!(
                        registry.open_sites() <= 2,
                        "seed {seed} step {step}: {} sites open",
                        registry.open_sites()
                    );
                }
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
