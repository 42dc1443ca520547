//! Issue 12's bounds, measured: every adversarial family's worst request at 10k and 100k rules,
//! compiled and reference in the same run; 50 Role rules on one path next to one; and typical
//! sites (the generated workload and a migration site) hot and cold next to the floor (one
//! hash-map lookup of the exact path) and `matchit` on the rules it can express.
//! `cargo xtask bench` prints the ratios from `target/criterion`.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use detour_benches::adversarial::{families, migration_site};
use detour_benches::{compile_text, runtime_requests, simple_subset, site, to_matchit};
use detour_cli::requests::Request as RefRequest;
use detour_reference::{match_request, RoleConfig};
use detour_rules::Rule;
use detour_runtime::{Cookies, MatchOptions, Matcher, Outcome, Request};

fn runtime<'a>(r: &'a RefRequest, cookies: &'a [(&'a str, &'a str)]) -> Request<'a> {
    let mut req = detour_cli::engine::runtime_request(r, &[]);
    req.cookies = Cookies::Pairs(cookies);
    req
}

fn worst_requests(c: &mut Criterion) {
    for n in [10_000, 100_000] {
        let mut group = c.benchmark_group(format!("adversarial/{n}"));
        group.sample_size(20).measurement_time(Duration::from_secs(1)).warm_up_time(Duration::from_millis(300));
        for family in families(n) {
            let (rules, matcher) = compile_text(&family.rules);
            let req = runtime(&family.worst, &[]);
            let mut scratch = matcher.scratch();
            group.bench_function(BenchmarkId::new("compiled", family.name), |b| {
                b.iter(|| black_box(matches!(matcher.find(&req, &mut scratch), Outcome::Matched(_))))
            });
            let config = RoleConfig::default();
            let worst = detour_cli::engine::reference_request(&family.worst);
            // The reference takes up to seconds a request at 100k rules: the fewest samples.
            group.sample_size(10);
            group.bench_function(BenchmarkId::new("reference", family.name), |b| {
                b.iter(|| black_box(match_request(&rules, &worst, &config)))
            });
            group.sample_size(20);
        }
        group.finish();
    }
}

/// An HS256 token granting `role`, valid until 2100.
fn token(secret: &[u8], role: &str) -> String {
    use base64::Engine as _;
    use hmac::Mac as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = b64.encode(format!(r#"{{"exp":4102444800,"app_metadata":{{"roles":["{role}"]}}}}"#));
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).expect("key");
    mac.update(format!("{header}.{claims}").as_bytes());
    format!("{header}.{claims}.{}", b64.encode(mac.finalize().into_bytes()))
}

fn roles(c: &mut Criterion) {
    let mut group = c.benchmark_group("roles");
    group.sample_size(30).measurement_time(Duration::from_secs(1)).warm_up_time(Duration::from_millis(300));
    let secret = b"a-site-secret-of-some-length";
    let jwt = token(secret, "r49");
    let cookies = [("nf_jwt", jwt.as_str())];
    for count in [1usize, 50] {
        let text: String = (50 - count..50).map(|i| format!("/r /t{i} 302 Role=r{i}\n")).collect();
        let (_, plain) = compile_text(&text);
        let options = MatchOptions { jwt_secret: Some(secret.to_vec()), ..MatchOptions::default() };
        let matcher = Matcher::new(detour_runtime::Blob::from_bytes(plain.blob().as_bytes()).expect("load"), options);
        let reference = RefRequest::from_url("/r");
        let req = runtime(&reference, &cookies);
        let mut scratch = matcher.scratch();
        assert!(matches!(matcher.find(&req, &mut scratch), Outcome::Matched(_)));
        group.bench_function(BenchmarkId::new("role_rules_on_one_path", count), |b| {
            b.iter(|| black_box(matches!(matcher.find(&req, &mut scratch), Outcome::Matched(_))))
        });
    }
    group.finish();
}

/// The alternatives of one site: the floor (exact path in a hash map) and `matchit`.
struct Alternatives {
    floor: HashMap<Vec<u8>, usize>,
    router: matchit::Router<usize>,
}

fn alternatives(rules: &[Rule]) -> Alternatives {
    let floor = rules.iter().enumerate().map(|(i, r)| (r.path_as_written().as_bytes().to_vec(), i)).collect();
    let mut router = matchit::Router::new();
    for (i, r) in simple_subset(rules).iter().enumerate() {
        let _ = router.insert(to_matchit(r), i);
    }
    Alternatives { floor, router }
}

/// Hot: the same 1,000 requests again and again. Cold: a stream of `cold` distinct requests.
fn typical(c: &mut Criterion, name: &str, rules: &[Rule], matcher: &Matcher, requests: &[RefRequest]) {
    let alt = alternatives(rules);
    let mut group = c.benchmark_group(format!("typical/{name}"));
    group.sample_size(20).measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    let paths: Vec<String> = requests.iter().map(|r| String::from_utf8_lossy(&r.path).into_owned()).collect();
    let reqs = runtime_requests(requests);
    for (temperature, len) in [("hot", 1000.min(reqs.len())), ("cold", reqs.len())] {
        group.throughput(Throughput::Elements(len as u64));
        let mut scratch = matcher.scratch();
        group.bench_function(BenchmarkId::new("detour", temperature), |b| {
            b.iter(|| {
                for r in &reqs[..len] {
                    black_box(matches!(matcher.find(r, &mut scratch), Outcome::Matched(_)));
                }
            })
        });
        group.bench_function(BenchmarkId::new("floor", temperature), |b| {
            b.iter(|| {
                for r in &requests[..len] {
                    black_box(alt.floor.get(r.path.as_slice()));
                }
            })
        });
        group.bench_function(BenchmarkId::new("matchit", temperature), |b| {
            b.iter(|| {
                for p in &paths[..len] {
                    black_box(alt.router.at(p).ok().map(|m| *m.value));
                }
            })
        });
    }
    group.finish();
}

fn typical_sites(c: &mut Criterion) {
    let mut sizes = vec![10_000];
    if std::env::var_os("DETOUR_BENCH_1M").is_some() {
        sizes.push(1_000_000);
    }
    for n in sizes {
        let s = site(n, 25_000);
        let mixed = &s.requests.last().expect("mixed").1;
        typical(c, &format!("workload-{n}"), &s.rules, &s.matcher, mixed);
        let (text, requests) = migration_site(n, 100_000);
        let (rules, matcher) = compile_text(&text);
        typical(c, &format!("migration-{n}"), &rules, &matcher, &requests);
    }
}

criterion_group!(benches, worst_requests, roles, typical_sites);
criterion_main!(benches);
