//! Touches every site of a registry directory once, then again, and prints the figures
//! `cargo xtask sites` records (run under `/usr/bin/time -v` for the peak RSS):
//!
//! ```text
//! cargo run --release -p detour-sites --example touch_sites -- DIR [--max-open N]
//! ```
//!
//! One JSON line: sites, the registry's start (hosts of every blob read), the first answer of
//! each cold site (lookup, read and validate the blob, match) as median / p99 / max, a second
//! pass over all sites (reopening those the budget closed), and the sites open at the end.

use std::time::{Duration, Instant};

use detour_runtime::{Request, Scratch};
use detour_sites::{Lookup, Registry, RegistryOptions};

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e6)
}

fn touch_all(registry: &Registry, hosts: &[String], scratch: &mut Scratch) -> Vec<Duration> {
    let mut times = Vec::with_capacity(hosts.len());
    for host in hosts {
        let start = Instant::now();
        let Lookup::Site(matcher) = registry.lookup(host) else { panic!("{host}: no rules") };
        let mut request = Request::new("/blog/first-answer");
        request.host = host;
        std::hint::black_box(matcher.find(&request, scratch));
        times.push(start.elapsed());
    }
    times.sort();
    times
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args.first().expect("usage: touch_sites DIR [--max-open N]");
    let max_open = args
        .iter()
        .position(|a| a == "--max-open")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX);
    let mut hosts: Vec<String> = std::fs::read_dir(dir)
        .expect("the directory")
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".detour").map(str::to_string))
        .filter(|h| !h.starts_with('.'))
        .collect();
    hosts.sort();
    let start = Instant::now();
    let options = RegistryOptions { max_open, watch: false, ..RegistryOptions::default() };
    let registry = Registry::open(dir, options).expect("registry");
    let open_ms = start.elapsed().as_secs_f64() * 1e3;
    let mut scratch = Scratch::new();
    let cold = touch_all(&registry, &hosts, &mut scratch);
    let again = touch_all(&registry, &hosts, &mut scratch);
    println!(
        "{{\"sites\": {}, \"max_open\": {}, \"registry_open_ms\": {open_ms:.1}, \
         \"cold_first_answer_us\": {{\"median\": {:.1}, \"p99\": {:.1}, \"max\": {:.1}}}, \
         \"second_pass_us\": {{\"median\": {:.2}, \"p99\": {:.1}}}, \"open_at_end\": {}, \"problems\": {}}}",
        hosts.len(),
        max_open.min(hosts.len()),
        percentile(&cold, 0.5),
        percentile(&cold, 0.99),
        percentile(&cold, 1.0),
        percentile(&again, 0.5),
        percentile(&again, 0.99),
        registry.open_sites(),
        registry.problems().len(),
    );
}
