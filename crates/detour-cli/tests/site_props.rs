//! Whole sites, not single parsers (issue 11): arbitrary `_redirects`, `netlify.toml` and JSON
//! built from every token kind, with non-ASCII text and URLs, through the check the
//! `check_site` fuzz target runs (parse, merge, lint, loop-guard warnings, source lines,
//! compile, load, match). A modest case count keeps `cargo test` fast; the fuzzer goes deeper.

use detour_cli::load::Texts;
use detour_rules::SourceKind;
use proptest::prelude::*;

/// `from`: paths and URLs, every segment kind, non-ASCII, encodings, and mistakes.
const FROM: &[&str] = &[
    "/a",
    "/a/",
    "/a/:x",
    "/:x/:y",
    "/a/*",
    "/*",
    "/px/pre*",
    "/café/:x",
    "/日本/*",
    "/a%2Fb",
    "/%C3%A9",
    "https://h.test/a",
    "https://h.test/a/",
    "http://H.test:8080/*",
    "https://éxample.com/a",
    "http://[::1]/x",
    "/.netlify/x",
    "/a?b=1",
    "a",
    "*",
    ":x",
    "https://",
];
/// `to`: paths, URLs (one with a two-byte character right after the scheme), captures.
const TO: &[&str] = &[
    "/b",
    "/a",
    "/a/",
    "/t/:splat",
    "/:x/:y",
    "/:splatter",
    "/s/:x:xy",
    "https://h.test/a",
    "http://éxample.com/a",
    "https://é.test/:splat",
    "/ü?x=1#f",
    "/b?q=:q",
    "example.com",
    "http://",
];
const QUERY: &[&str] = &["q=1", "q=:q", "x=:x", "q=a+b", "=1", "k", "é=ü"];
const STATUS: &[&str] = &["301", "302", "200", "404", "301!", "200!", "30x", "1000", "!", "099", "3001"];
const CONDITIONS: &[&str] = &[
    "Country=us",
    "Country=us,de",
    "country=US",
    "Language=fr",
    "Role=admin",
    "Cookie=c",
    "Sign=S",
    "Planet=mars",
    "Country=",
    "Country=us,,de",
    "Language=é",
];
const NOISE: &[&str] = &["#", "# comment", "\t", "\u{a0}", "\u{feff}", "é", "!"];

fn pick(items: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    prop::sample::select(items)
}

/// One `_redirects` line: FROM, query tokens, TO, status, conditions, in that order or not.
fn redirects_line() -> impl Strategy<Value = String> {
    (
        pick(FROM),
        prop::collection::vec(pick(QUERY), 0..2),
        prop::option::of(pick(TO)),
        prop::option::of(pick(STATUS)),
        prop::collection::vec(pick(CONDITIONS), 0..3),
        prop::option::of(pick(NOISE)),
        any::<bool>(),
    )
        .prop_map(|(from, query, to, status, conditions, noise, shuffle)| {
            let mut tokens: Vec<&str> = vec![from];
            tokens.extend(query);
            tokens.extend(to);
            tokens.extend(status);
            tokens.extend(conditions);
            tokens.extend(noise);
            if shuffle {
                tokens.reverse();
            }
            tokens.join(" ")
        })
}

const SCHEMES: &[&str] = &["http", "https", "HTTPS"];
const HOSTS: &[&str] = &["h.test", "éxample.com", "é.test", "H.Test:8080", "日本.jp", "xn--e.test"];
const PATHS: &[&str] = &["", "/", "/a", "/a/", "/é", "/:x", "/*", "/t/:splat"];

/// A host rule to a URL: schemes of both lengths, hosts with a multi-byte character right
/// after the scheme (the issue 11 panic), paths with and without a trailing slash.
fn url_line() -> impl Strategy<Value = String> {
    let url = || (pick(SCHEMES), pick(HOSTS), pick(PATHS)).prop_map(|(s, h, p)| format!("{s}://{h}{p}"));
    (url(), url(), pick(STATUS)).prop_map(|(from, to, status)| format!("{from} {to} {status}"))
}

fn redirects_file() -> impl Strategy<Value = String> {
    let line = prop_oneof![6 => redirects_line(), 3 => url_line(), 1 => Just(String::new()), 1 => ".{0,40}"];
    (prop::collection::vec(line, 0..12), any::<bool>(), any::<bool>()).prop_map(|(lines, crlf, bom)| {
        let body = lines.join(if crlf { "\r\n" } else { "\n" });
        if bom {
            format!("\u{feff}{body}")
        } else {
            body
        }
    })
}

/// A TOML string literal.
fn quoted(s: &str) -> String {
    format!("{s:?}")
}

/// One `[[redirects]]` table: fields under their names and legacy names, right and wrong types.
fn toml_table() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        pick(FROM).prop_map(|f| format!("from = {}", quoted(f))),
        pick(FROM).prop_map(|f| format!("origin = {}", quoted(f))),
        pick(TO).prop_map(|t| format!("to = {}", quoted(t))),
        pick(TO).prop_map(|t| format!("destination = {}", quoted(t))),
        pick(STATUS).prop_map(|s| format!("status = {}", quoted(s))),
        prop_oneof![Just(301i64), Just(200), Just(1000), Just(-1), Just(99_999_999_999)]
            .prop_map(|s| format!("status = {s}")),
        Just("status = 99999999999999999999".to_string()),
        any::<bool>().prop_map(|b| format!("force = {b}")),
        Just("force = \"yes\"".to_string()),
        Just("query = { q = \":q\", n = 1 }".to_string()),
        Just("query = \"id=1\"".to_string()),
        Just("conditions = { Country = [\"US\", \"é\"], Language = \"fr, de\" }".to_string()),
        Just("conditions = { Planet = [\"mars\"] }".to_string()),
        Just("conditions = { Role = [] }".to_string()),
        Just("headers = { X-From = \"detour\" }".to_string()),
        Just("signed = \"SECRET\"".to_string()),
        Just("rate_limit = { window_limit = 1 }".to_string()),
        Just("ünknown = 1".to_string()),
        Just("to = 1.5".to_string()),
    ];
    prop::collection::vec(field, 0..6).prop_map(|fields| format!("[[redirects]]\n{}\n", fields.join("\n")))
}

fn toml_file() -> impl Strategy<Value = String> {
    let table = prop_oneof![
        8 => toml_table(),
        1 => Just("[build]\ncommand = \"make\"\n".to_string()),
        1 => Just("redirects = \"not an array\"\n".to_string()),
        1 => Just("[[redirects]]\nfrom = \"/a\n".to_string()),
        1 => ".{0,30}",
    ];
    prop::collection::vec(table, 0..6).prop_map(|tables| tables.concat())
}

/// One JSON element: a rule object, or something that is not one.
fn json_element() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (pick(FROM), prop::option::of(pick(TO)), prop::option::of(pick(STATUS)), any::<bool>()).prop_map(
            |(from, to, status, force)| {
                let mut fields = vec![format!("\"from\": {}", quoted(from))];
                fields.extend(to.map(|t| format!("\"to\": {}", quoted(t))));
                fields.extend(status.map(|s| format!("\"status\": {}", quoted(s))));
                fields.push(format!("\"force\": {force}"));
                format!("{{{}}}", fields.join(", "))
            }
        ),
        1 => Just("{\"from\": \"/c\", \"destination\": \"/d\", \"to\": \"/e\"}".to_string()),
        1 => Just("{\"from\": \"/c\", \"conditions\": {\"Country\": \"us,,de\"}}".to_string()),
        1 => Just("\"not an object\"".to_string()),
        1 => Just("{\"from\": \"/c\" \"to\": \"/d\"}".to_string()),
    ]
}

fn json_file() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::collection::vec(json_element(), 0..6).prop_map(|items| format!("[\n  {}\n]\n", items.join(",\n  "))),
        1 => Just("{\"from\": \"/a\"}".to_string()),
        1 => ".{0,30}",
    ]
}

fn site() -> impl Strategy<Value = Texts> {
    (prop::option::of(redirects_file()), prop::option::of(toml_file()), prop::option::of(json_file())).prop_map(
        |(redirects, toml, json)| {
            let files = [
                (SourceKind::Redirects, redirects, "_redirects"),
                (SourceKind::NetlifyToml, toml, "netlify.toml"),
                (SourceKind::Json, json, "rules.json"),
            ];
            files
                .into_iter()
                .filter_map(|(kind, text, name)| Some((kind, text?.into_bytes(), name.to_string())))
                .collect()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_site_checks_and_compiles_without_a_panic(texts in site()) {
        if let Err(failure) = detour_testkit::site::check_site_texts(&texts) {
            let shown: Vec<String> = texts.iter().map(|(_, t, f)| format!("== {f}\n{}", String::from_utf8_lossy(t))).collect();
            prop_assert!(false, "{failure}\n{}", shown.join("\n"));
        }
    }
}
