//! Deterministic, realistic workloads: rule sets (about 60% exact paths, 25% splats, 10%
//! placeholders, 5% query or condition rules, some host rules; statuses and forced rules mixed)
//! and requests that hit early, middle and late rules, or miss.

use std::fmt::Write as _;
use std::path::Path;

/// splitmix64: a tiny deterministic generator, so workloads are the same on every machine.
pub struct Rng(u64);

impl Default for Rng {
    fn default() -> Rng {
        Rng::new(42)
    }
}

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// One of `items`.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "products",
    "blog",
    "docs",
    "shop",
    "news",
    "help",
    "about",
    "careers",
    "press",
    "guides",
    "api",
    "store",
    "events",
    "team",
    "legal",
    "support",
    "pricing",
    "features",
    "download",
    "community",
];

/// What a rule is, so requests can be made for it.
enum Kind {
    Exact(String),
    Splat(String),
    Placeholder(String, String),
    Query(String),
    Condition(String, &'static str),
    Host(String),
}

fn status(rng: &mut Rng) -> String {
    let s = match rng.below(100) {
        0..=49 => "301",
        50..=79 => "302",
        80..=89 => "200",
        90..=94 => "404",
        _ => "410",
    };
    if rng.below(10) == 0 {
        format!("{s}!")
    } else {
        s.to_string()
    }
}

/// The `_redirects` text and what each rule is.
fn rules(n: usize, rng: &mut Rng) -> (String, Vec<Kind>) {
    let mut text = String::with_capacity(n * 48);
    let mut kinds = Vec::with_capacity(n);
    for i in 0..n {
        let (w, w2, w3) = (rng.pick(WORDS), rng.pick(WORDS), rng.pick(WORDS));
        let first = format!("/{w}-{i}");
        let kind = match rng.below(100) {
            0..=1 => {
                let host = format!("h{i}.example.com");
                let _ = writeln!(text, "https://{host}/* https://www.example.com/{w}/:splat 301!");
                Kind::Host(host)
            }
            2..=61 => {
                let path = if rng.below(2) == 0 { first.clone() } else { format!("{first}/{w2}-{}", rng.below(1000)) };
                let _ = writeln!(text, "{path} /{w3}{path} {}", status(rng));
                Kind::Exact(path)
            }
            62..=86 => {
                let line = match rng.below(10) {
                    0 => format!("{first}/* https://backend.example.com/{w2}/:splat 200"),
                    1 => format!("{first}/* /{w3}/index.html 200"),
                    _ => format!("{first}/* /{w3}/{w}/:splat 301"),
                };
                let _ = writeln!(text, "{line}");
                Kind::Splat(first)
            }
            87..=96 => {
                let _ = writeln!(text, "{first}/:id/{w2} /{w3}/:id/{w2} 302");
                Kind::Placeholder(first, w2.to_string())
            }
            97..=98 => {
                let _ = writeln!(text, "{first} q=:q /search/:q 302");
                Kind::Query(first)
            }
            _ => {
                let (cond, country) = if rng.below(2) == 0 { ("Country=us,ca", "us") } else { ("Language=fr", "") };
                let _ = writeln!(text, "{first} {first}/local 302 {cond}");
                Kind::Condition(first, country)
            }
        };
        kinds.push(kind);
    }
    (text, kinds)
}

/// One JSONL request that the rule `kind` matches.
fn hit(kind: &Kind, rng: &mut Rng) -> String {
    let n = rng.below(10_000);
    let utm = if rng.below(5) == 0 { "?utm_source=mail" } else { "" };
    match kind {
        Kind::Exact(p) => format!(r#"{{"url": "https://www.example.com{p}{utm}"}}"#),
        Kind::Splat(p) => format!(r#"{{"url": "https://www.example.com{p}/a/item-{n}{utm}"}}"#),
        Kind::Placeholder(p, w) => format!(r#"{{"url": "https://www.example.com{p}/{n}/{w}"}}"#),
        Kind::Query(p) => format!(r#"{{"url": "https://www.example.com{p}?q=term-{n}"}}"#),
        Kind::Condition(p, "") => format!(r#"{{"url": "https://www.example.com{p}", "language": "fr-FR"}}"#),
        Kind::Condition(p, c) => format!(r#"{{"url": "https://www.example.com{p}", "country": "{c}"}}"#),
        Kind::Host(h) => format!(r#"{{"url": "https://{h}/x/{n}"}}"#),
    }
}

fn miss(n_rules: usize, rng: &mut Rng) -> String {
    let w = rng.pick(WORDS);
    let k = n_rules as u64 + rng.below(1_000_000);
    format!(r#"{{"url": "https://www.example.com/{w}-{k}/missing"}}"#)
}

/// Request categories: which rules a request hits.
pub const CATEGORIES: [&str; 4] = ["early", "middle", "late", "miss"];

/// A generated workload: `_redirects` text and JSONL request lines by category.
pub struct Workload {
    /// The `_redirects` text.
    pub rules: String,
    /// Request lines, all categories interleaved.
    pub mixed: Vec<String>,
    /// Request lines per [`CATEGORIES`] entry.
    pub by_category: [Vec<String>; 4],
}

/// Generates `n_rules` rules and `n_requests` requests (a quarter per category).
pub fn generate(n_rules: usize, n_requests: usize, seed: u64) -> Workload {
    let mut rng = Rng::new(seed);
    let n_rules = n_rules.max(1);
    let (rules, kinds) = rules(n_rules, &mut rng);
    let tenth = (n_rules / 10).max(1);
    let mut by_category: [Vec<String>; 4] = Default::default();
    let mut mixed = Vec::with_capacity(n_requests);
    for i in 0..n_requests {
        let category = i % 4;
        let line = match category {
            0 => hit(&kinds[rng.below(tenth as u64) as usize], &mut rng),
            1 => hit(&kinds[(n_rules / 2).saturating_sub(tenth / 2) + rng.below(tenth as u64) as usize], &mut rng),
            2 => hit(&kinds[n_rules - 1 - rng.below(tenth as u64) as usize], &mut rng),
            _ => miss(n_rules, &mut rng),
        };
        mixed.push(line.clone());
        by_category[category].push(line);
    }
    Workload { rules, mixed, by_category }
}

/// A workload whose rules compete, so priority decides answers: rules that share prefixes
/// (`/docs`, `/shop`, `/files`, `/blog`), nested and mid-path splats, placeholders before
/// wildcards, query values and captures on one path, country and language groups on one path,
/// host rules over the same paths, and a catch-all last. Requests draw from the same shapes with
/// numbers that may or may not have a rule, with queries, countries, languages and cookies.
/// `cargo xtask differential` runs it through both engines.
pub fn competing(n_rules: usize, n_requests: usize, seed: u64) -> Workload {
    let mut rng = Rng::new(seed);
    let mut rules = String::with_capacity(n_rules * 40);
    let span = (n_rules / 10).max(1) as u64;
    for i in 0..n_rules.saturating_sub(1) {
        let k = rng.below(span);
        let line = match i % 12 {
            0 => format!("/docs/v{}/* /docs/latest/:splat 301", k % 7),
            1 => format!("/docs/*/page-{k} /pages/{k} 301"),
            2 => format!("/docs/:lang/guide-{k} /:lang/guides/{k} 302"),
            3 => format!("/shop/item.php id={k} /items/{k} 301"),
            4 => "/shop/item.php id=:id /items/other/:id 302".to_string(),
            5 => format!("/files/report-{k}-* /reports/{k}/:splat 200"),
            6 => format!("/blog/:y/:m/post-{k} /posts/{k}/:y-:m 301"),
            7 => format!("/a/*/b/*/c{k} /nested/:splat 302"),
            8 => format!("/promo /promo/{k} 302 Country={}", ["us", "de", "fr", "jp"][(k % 4) as usize]),
            9 => format!("/promo /promo-lang/{k} 302 Language={}", ["fr", "de-AT", "en"][(k % 3) as usize]),
            10 => format!("https://h{}.example.com/docs/* https://docs.example.com/:splat 301", k % 5),
            _ => format!("/p{k}/* /q{k}/:splat 301 Cookie=session"),
        };
        rules.push_str(&line);
        rules.push('\n');
    }
    rules.push_str("/* /index.html 200\n");
    let mut mixed = Vec::with_capacity(n_requests);
    for _ in 0..n_requests {
        let k = rng.below(span + span / 4);
        let url = match rng.below(12) {
            0 => format!("/docs/v{}/a/b", k % 9),
            1 => format!("/docs/x/y/page-{k}"),
            2 => format!("/docs/{}/guide-{k}", ["en", "de", ""][(k % 3) as usize]),
            3 => format!("/shop/item.php?id={k}&utm=x"),
            4 => format!("/files/report-{k}-q{}", ["", "/deep", "/"][(k % 3) as usize]),
            5 => format!("/blog/2024/05/post-{k}"),
            6 => format!("/a/x/b/y/z/c{k}"),
            7 => "/promo".to_string(),
            8 => format!("https://h{}.example.com/docs/{k}", k % 7),
            9 => format!("/p{k}/a?x=1"),
            10 => format!("/docs/v1/page-{k}/"),
            _ => format!("/nothing/{k}"),
        };
        let url = if url.starts_with('/') { format!("https://www.example.com{url}") } else { url };
        let mut fields = vec![format!(r#""url": "{url}""#)];
        match rng.below(4) {
            0 => fields.push(format!(r#""country": "{}""#, ["US", "de", "jp", "br"][rng.below(4) as usize])),
            1 => fields.push(format!(r#""language": "{}""#, ["fr-FR", "de-AT", "en-GB", "es"][rng.below(4) as usize])),
            2 => fields.push(r#""cookies": "session=1; nf_country=fr""#.to_string()),
            _ => {}
        }
        mixed.push(format!("{{{}}}", fields.join(", ")));
    }
    Workload { rules, by_category: Default::default(), mixed }
}

/// Writes a workload's `_redirects` and `requests.jsonl` (nothing else).
pub fn write_workload(dir: &Path, w: &Workload) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let lines: String = w.mixed.iter().map(|s| format!("{s}\n")).collect();
    for (name, body) in [("_redirects", &w.rules), ("requests.jsonl", &lines)] {
        std::fs::write(dir.join(name), body).map_err(|e| format!("{}: {e}", dir.join(name).display()))?;
    }
    Ok(())
}

/// Writes `_redirects`, `requests.jsonl` (all categories mixed) and `requests-<category>.jsonl`;
/// from 10k to 100k rules also `netlify.toml`, `rules.json` and `warnings/_redirects`.
pub fn write(dir: &Path, n_rules: usize, n_requests: usize, seed: u64) -> Result<(), String> {
    let w = generate(n_rules, n_requests, seed);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let write = |name: &str, body: &str| {
        std::fs::write(dir.join(name), body).map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    let lines = |l: &[String]| l.iter().map(|s| format!("{s}\n")).collect::<String>();
    write("_redirects", &w.rules)?;
    // The other formats and the many-warnings file, for `detour check` at the sizes benchmarked.
    if (10_000..=100_000).contains(&n_rules) {
        let warnings = dir.join("warnings");
        std::fs::create_dir_all(&warnings).map_err(|e| format!("{}: {e}", warnings.display()))?;
        write("netlify.toml", &as_netlify_toml(&w.rules))?;
        write("rules.json", &as_json(&w.rules))?;
        write("warnings/_redirects", &with_warnings(&w.rules))?;
    }
    write("requests.jsonl", &lines(&w.mixed))?;
    for (name, body) in CATEGORIES.iter().zip(&w.by_category) {
        write(&format!("requests-{name}.jsonl"), &lines(body))?;
    }
    Ok(())
}

/// The same rules as a `netlify.toml`: one `[[redirects]]` table each, in order.
pub fn as_netlify_toml(redirects: &str) -> String {
    let rules = detour_rules::parse_redirects(redirects.as_bytes(), "_redirects").rules;
    rules.iter().map(|r| r.to_netlify_toml() + "\n").collect()
}

/// The same rules as a JSON array of rule objects, one object a line.
pub fn as_json(redirects: &str) -> String {
    let rules = detour_rules::parse_redirects(redirects.as_bytes(), "_redirects").rules;
    let objects: Vec<String> = rules.iter().map(|r| rule_object(r).to_string()).collect();
    format!("[\n{}\n]\n", objects.join(",\n"))
}

/// One rule as a JSON object with the fields of a `[[redirects]]` table.
fn rule_object(rule: &detour_rules::Rule) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let mut o = Map::new();
    o.insert("from".into(), json!(rule.from));
    o.insert("to".into(), json!(rule.to));
    o.insert("status".into(), json!(rule.status));
    o.insert("force".into(), json!(rule.force));
    if !rule.query.is_empty() {
        let query = rule.query.iter().map(|q| {
            let value = match &q.value {
                detour_rules::QueryValue::Capture(name) => format!(":{name}"),
                detour_rules::QueryValue::Literal(v) => String::from_utf8_lossy(v).into_owned(),
            };
            (q.key.clone(), Value::String(value))
        });
        o.insert("query".into(), Value::Object(query.collect()));
    }
    let conditions: Map<String, Value> =
        rule.conditions.named().iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k.to_string(), json!(v))).collect();
    if !conditions.is_empty() {
        o.insert("conditions".into(), Value::Object(conditions));
    }
    if let Some(signed) = &rule.signed {
        o.insert("signed".into(), json!(signed));
    }
    Value::Object(o)
}

/// The rules with every tenth one changed to draw a warning: alternately a redirect to
/// itself, and a rule shadowed by the one before it (same `FROM`, another `TO`).
pub fn with_warnings(redirects: &str) -> String {
    let mut out = String::with_capacity(redirects.len() + redirects.len() / 8);
    let mut previous_from = "/";
    for (i, line) in redirects.lines().enumerate() {
        let from = line.split_whitespace().next().unwrap_or("/");
        match i % 20 {
            9 => writeln!(out, "{from} {from} 301"),
            19 => writeln!(out, "{previous_from} /shadowed-{i} 301"),
            _ => writeln!(out, "{line}"),
        }
        .unwrap_or_default();
        previous_from = from;
    }
    out
}

/// A request for each rule that it matches (placeholders and splats filled in), plus as many
/// that match nothing: used when no request file is given.
pub fn requests_for(rules: &[detour_rules::Rule]) -> Vec<detour_reference::Request> {
    let mut out = Vec::with_capacity(rules.len() * 2);
    for (i, rule) in rules.iter().enumerate() {
        let mut path = String::new();
        for s in &rule.path.segments {
            path.push('/');
            match s {
                detour_rules::Segment::Literal(l) => {
                    let mut enc = Vec::new();
                    enc.extend(l.iter().flat_map(|&b| {
                        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                            vec![b]
                        } else {
                            format!("%{b:02X}").into_bytes()
                        }
                    }));
                    path.push_str(&String::from_utf8_lossy(&enc));
                }
                detour_rules::Segment::Placeholder(_) => path.push_str("p1"),
                detour_rules::Segment::Splat => path.push_str("a/b"),
                detour_rules::Segment::PrefixSplat(p) => {
                    path.push_str(&String::from_utf8_lossy(p));
                    path.push('x');
                }
            }
        }
        let origin = rule.host.as_ref().map_or(String::new(), |h| format!("{}://{}", h.scheme.as_str(), h.host));
        let query: Vec<String> = rule
            .query
            .iter()
            .map(|q| match &q.value {
                detour_rules::QueryValue::Capture(_) => format!("{}=v", q.key),
                detour_rules::QueryValue::Literal(v) => format!("{}={}", q.key, String::from_utf8_lossy(v)),
            })
            .collect();
        let mut url = format!("{origin}{}", if path.is_empty() { "/".to_string() } else { path });
        if !query.is_empty() {
            url = format!("{url}?{}", query.join("&"));
        }
        let mut req = detour_reference::Request::from_url(&url);
        req.country = rule.conditions.country.first().cloned();
        req.language = rule.conditions.language.first().cloned();
        out.push(req);
        out.push(detour_reference::Request::from_url(&format!("/no-such-path-{i}/x")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use detour_rules::{parse_json, parse_netlify_toml, parse_redirects, Rule};

    fn without_source(rules: Vec<Rule>) -> Vec<Rule> {
        rules.into_iter().map(|r| Rule { source: detour_rules::Source { file: "".into(), line: 0 }, ..r }).collect()
    }

    #[test]
    fn the_three_formats_hold_the_same_rules() {
        let redirects = generate(500, 0, 7).rules;
        let expected = without_source(parse_redirects(redirects.as_bytes(), "_redirects").rules);
        assert_eq!(expected.len(), 500);
        for parsed in [
            parse_netlify_toml(as_netlify_toml(&redirects).as_bytes(), "netlify.toml"),
            parse_json(as_json(&redirects).as_bytes(), "rules.json"),
        ] {
            assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics.first());
            assert_eq!(without_source(parsed.rules), expected);
        }
    }

    #[test]
    fn every_tenth_rule_draws_a_warning() {
        let text = with_warnings(&generate(1_000, 0, 7).rules);
        let site = detour_rules::parse_site(&[(detour_rules::SourceKind::Redirects, text.as_bytes(), "_redirects")]);
        assert_eq!(site.rules.len(), 1_000);
        let warned: std::collections::BTreeSet<u32> = site.diagnostics.iter().map(|d| d.line).collect();
        assert!(warned.len() >= 90, "{} rules warned", warned.len());
    }
}
