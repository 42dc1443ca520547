//! The check behind the `differential` fuzz target, and the alphabets it and the property test
//! build rules and requests from: tiny, so literals, placeholders, splats, hosts, query
//! constraints and conditions collide.

use arbitrary::Unstructured;
use detour_compiler::CompileOptions;
use detour_reference::Request;
use detour_runtime::{Blob, Matcher};

use crate::engines::{self, Roles};

/// `from` path segments.
pub const FROM_SEGMENTS: &[&str] = &["a", "b", "ab", ":x", ":y", ":splat", "*", "a*", "b*", "%61", ":", "st*r", ""];
/// `to` values.
pub const TO: &[&str] = &[
    "/t/:splat",
    "/a/:x",
    "/:splat",
    "/b",
    "/a/:x/:splat",
    "/t/:splat/b",
    "https://h.test/t/:splat",
    "/t?z=1",
    "/:x:y",
    "/s/:splatter",
    "/q/:q",
    "/a/:splat/",
    "/a",
    "/t",
    "/:y/:x#f",
    "https://o.test/:x",
];
/// Query constraints.
pub const QUERY: &[&str] = &["q=1", "q=:q", "x=:x", "q=a+b", "r="];
/// Conditions.
pub const CONDITIONS: &[&str] = &[
    "Country=us",
    "Language=fr",
    "Cookie=c",
    "Role=admin",
    "Country=us,de",
    "Sign=S",
    "Role=editor",
    "Role=admin,editor",
];
/// Statuses.
pub const STATUS: &[&str] = &["301", "302", "200", "404", "301!", "200!"];
/// Request path segments.
pub const REQUEST_SEGMENTS: &[&str] =
    &["a", "b", "ab", "t", "", "x:y", "%61", "%2F", "abc", "st*r", ":x", "%3A", "%0D%0A", "%00"];
/// Request query strings.
pub const QUERIES: &[&str] =
    &["", "q=1", "q=2", "r=5&q=1", "q=a%20b", "x=%3A1&q=", "q", "r=", "q=1&q=2", "q=2&q=1&x=b", "x=a&x=:b&", "q=a+b&r"];
/// Request origins.
pub const ORIGINS: &[&str] = &["https://h.test", "http://h.test", "https://o.test", "https://H.Test:8443", ""];

/// The role settings of the differential checks, and a token that grants `admin` under them.
pub fn roles() -> (Roles, &'static str) {
    // HS256, secret "s", {"exp": 4102444800, "app_metadata": {"roles": ["admin"]}}.
    const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\
eyJleHAiOjQxMDI0NDQ4MDAsImFwcF9tZXRhZGF0YSI6eyJyb2xlcyI6WyJhZG1pbiJdfX0.\
01yHIUtu_E5imPV_vd9wQDNuMTBGAixroeLZacby_3Q";
    (Roles { secret: Some("s".to_string()), claim: None }, TOKEN)
}

/// One `_redirects` line from choices.
pub fn rule_line(host: bool, segments: &[&str], query: &[&str], to: &str, status: &str, conditions: &[&str]) -> String {
    let mut line = format!("{}/{}", if host { "https://h.test" } else { "" }, segments.join("/"));
    for q in query {
        line.push(' ');
        line.push_str(q);
    }
    line.push_str(&format!(" {to} {status}"));
    for c in conditions {
        line.push(' ');
        line.push_str(c);
    }
    line
}

/// Countries a request may come from (`None`: no GeoIP).
pub const COUNTRIES: &[Option<&str>] = &[None, Some("US"), Some("de"), Some("fr")];
/// `Accept-Language` values (`None`: no header).
pub const LANGUAGES: &[Option<&str>] = &[None, Some("fr-FR"), Some("en"), Some("de-AT,fr;q=0.5"), Some("")];
/// Cookies a request may carry (the admin token is chosen apart).
pub const COOKIES: &[(&str, &str)] = &[("c", "1"), ("c", ""), ("nf_country", "us"), ("nf_lang", "fr"), ("x", "y")];

/// Request choices.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    /// The URL as a client sends it: the host may have upper case and a port.
    pub url: String,
    /// GeoIP country.
    pub country: Option<&'static str>,
    /// `Accept-Language`.
    pub language: Option<&'static str>,
    /// Cookies, in order.
    pub cookies: Vec<(&'static str, &'static str)>,
    /// A valid admin token in `nf_jwt`.
    pub admin: bool,
    /// The asset hint.
    pub asset: bool,
    /// The compiled engine reads the cookies from one `Cookie` header, as a server does.
    pub cookie_header: bool,
}

impl RequestSpec {
    /// The request as the reference sees it (host normalised).
    pub fn request(&self, token: &str) -> Request {
        let mut req = Request::from_url(&self.url);
        req.country = self.country.map(str::to_string);
        req.language = self.language.map(str::to_string);
        req.cookies = self.cookies.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        if self.admin {
            req.cookies.push(("nf_jwt".to_string(), token.to_string()));
        }
        req.asset_exists = self.asset;
        req
    }

    /// What a server hands the compiled engine: the host as sent (upper case and port kept),
    /// and the cookies as one header when `cookie_header`.
    pub fn raw(&self, token: &str) -> engines::Raw {
        let authority = self.url.split_once("://").map_or("", |(_, rest)| rest.split(['/', '?']).next().unwrap_or(""));
        let header = self.cookie_header.then(|| {
            let mut pairs: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            if self.admin {
                pairs.push(format!("nf_jwt={token}"));
            }
            pairs.join("; ")
        });
        engines::Raw { host: authority.to_string(), cookie_header: header }
    }
}

/// The index layouts every answer is checked in: everything keyed through placeholders and
/// every list of two or more rules split; the default; nothing keyed through placeholders and
/// nothing split.
pub fn layouts() -> [CompileOptions; 3] {
    [
        CompileOptions { placeholder_bucket: 0, split_min: 2 },
        CompileOptions::default(),
        CompileOptions { placeholder_bucket: usize::MAX, split_min: usize::MAX },
    ]
}

/// Compiles `lines`, and checks that the compiled engine answers every request exactly as the
/// reference does, with the default index layout and with the two extreme ones, and that
/// compiling twice gives the same bytes. Returns a description of the first difference.
pub fn compare(lines: &[String], requests: &[RequestSpec]) -> Result<(), String> {
    let text = lines.join("\n");
    let rules = detour_rules::parse_redirects(text.as_bytes(), "_redirects").rules;
    let (roles, token) = roles();
    let first = detour_compiler::compile(&rules).map_err(|e| e.to_string())?;
    if first != detour_compiler::compile(&rules).map_err(|e| e.to_string())? {
        return Err(format!("compiling twice differs:\n{text}"));
    }
    let expected: Vec<_> = requests.iter().map(|r| engines::reference(&rules, &r.request(token), &roles)).collect();
    for options in layouts() {
        let bytes = detour_compiler::compile_with(&rules, &options).map_err(|e| e.to_string())?;
        let blob = Blob::from_bytes(&bytes).map_err(|e| format!("the compiled blob does not load: {e}"))?;
        let matcher = Matcher::new(blob, roles.runtime());
        for (r, expected) in requests.iter().zip(&expected) {
            let actual = engines::compiled_raw(&matcher, &r.request(token), &r.raw(token));
            if actual != *expected {
                return Err(format!(
                    "rules:\n{text}\nrequest: {r:?}\n{options:?}\ncompiled:  {actual}\nreference: {expected}"
                ));
            }
        }
    }
    Ok(())
}

fn pick<'a>(u: &mut Unstructured<'_>, items: &[&'a str]) -> arbitrary::Result<&'a str> {
    Ok(items[u.choose_index(items.len())?])
}

fn build(u: &mut Unstructured<'_>) -> arbitrary::Result<(Vec<String>, Vec<RequestSpec>)> {
    let mut lines = Vec::new();
    for _ in 0..u.int_in_range(1..=8)? {
        let host = u.ratio(1, 6)?;
        let segments = (0..u.int_in_range(0..=3)?).map(|_| pick(u, FROM_SEGMENTS)).collect::<Result<Vec<_>, _>>()?;
        let query = (0..u.int_in_range(0..=3)?).map(|_| pick(u, QUERY)).collect::<Result<Vec<_>, _>>()?;
        let conditions = (0..u.int_in_range(0..=3)?).map(|_| pick(u, CONDITIONS)).collect::<Result<Vec<_>, _>>()?;
        lines.push(rule_line(host, &segments, &query, pick(u, TO)?, pick(u, STATUS)?, &conditions));
    }
    let mut requests = Vec::new();
    for _ in 0..u.int_in_range(1..=12)? {
        let segments = (0..u.int_in_range(0..=4)?).map(|_| pick(u, REQUEST_SEGMENTS)).collect::<Result<Vec<_>, _>>()?;
        let mut url = format!("{}/{}", pick(u, ORIGINS)?, segments.join("/"));
        if u.arbitrary()? {
            url.push('/');
        }
        let query = pick(u, QUERIES)?;
        if !query.is_empty() {
            url.push('?');
            url.push_str(query);
        }
        let cookies = (0..u.int_in_range(0..=3)?)
            .map(|_| Ok(COOKIES[u.choose_index(COOKIES.len())?]))
            .collect::<arbitrary::Result<Vec<_>>>()?;
        requests.push(RequestSpec {
            url,
            country: COUNTRIES[u.choose_index(COUNTRIES.len())?],
            language: LANGUAGES[u.choose_index(LANGUAGES.len())?],
            cookies,
            admin: u.arbitrary()?,
            asset: u.ratio(1, 5)?,
            cookie_header: u.arbitrary()?,
        });
    }
    Ok((lines, requests))
}

/// Builds a rule set and requests from fuzz bytes and panics if the engines disagree.
pub fn check_differential(data: &[u8]) {
    let mut u = Unstructured::new(data);
    if let Ok((lines, requests)) = build(&mut u) {
        if let Err(difference) = compare(&lines, &requests) {
            panic!("compiled != reference\n{difference}");
        }
    }
}

/// The matcher of the `match_request` fuzz target: the hostile substitution rules in front of a
/// fixed 10k-rule workload. `cargo test` replays the target's seeds on the same matcher.
pub fn match_request_matcher() -> Matcher {
    let w = crate::workload::generate(10_000, 0, 42);
    let text = format!("{}{}", crate::blob::HOSTILE_RULES, w.rules);
    let rules = detour_rules::parse_redirects(text.as_bytes(), "_redirects").rules;
    let blob = Blob::from_bytes(&detour_compiler::compile(&rules).expect("compile")).expect("load");
    let options = detour_runtime::MatchOptions { jwt_secret: Some(b"s".to_vec()), ..Default::default() };
    Matcher::new(blob, options)
}
