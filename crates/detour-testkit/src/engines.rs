//! One request through either engine, in one comparable form: the JSON result line of SPEC §5.
//! Written here, apart from the CLI's renderer, so the fuzz targets need no CLI.

use detour_compiler::CompileOptions;
use detour_reference::{match_request, Outcome, Request, RoleConfig};
use detour_rules::Rule;
use detour_runtime::{Blob, Cookies, MatchOptions, Matcher};
use serde_json::{json, Value};

/// Role-check settings for both engines.
#[derive(Debug, Clone, Default)]
pub struct Roles {
    /// The site's JWT secret.
    pub secret: Option<String>,
    /// The roles claim path (default `app_metadata.roles`).
    pub claim: Option<String>,
}

impl Roles {
    /// For the reference.
    pub fn reference(&self) -> RoleConfig {
        let mut c = RoleConfig { secret: self.secret.as_ref().map(|s| s.as_bytes().to_vec()), ..RoleConfig::default() };
        if let Some(claim) = &self.claim {
            c.claim_path = claim.clone();
        }
        c
    }

    /// For the runtime.
    pub fn runtime(&self) -> MatchOptions {
        let mut o =
            MatchOptions { jwt_secret: self.secret.as_ref().map(|s| s.as_bytes().to_vec()), ..Default::default() };
        if let Some(claim) = &self.claim {
            o.role_claim = claim.clone();
        }
        o
    }
}

/// Compiles `rules` in `layout` into a matcher.
pub fn matcher(rules: &[Rule], layout: &CompileOptions, roles: &Roles) -> Matcher {
    let bytes = detour_compiler::compile_with(rules, layout).expect("compile");
    Matcher::new(Blob::from_bytes(&bytes).expect("load"), roles.runtime())
}

/// The reference's answer, as a result line.
pub fn reference(rules: &[Rule], req: &Request, roles: &Roles) -> Value {
    match match_request(rules, req, &roles.reference()) {
        Outcome::NoMatch => Value::Null,
        Outcome::Denied => json!({ "denied": true }),
        Outcome::TooLong { rule } => json!({ "too_long": true, "rule": rule }),
        Outcome::Matched(d) => {
            let r = &rules[d.rule];
            json!({
                "rule": d.rule, "status": r.status, "force": r.force, "negative": d.negative,
                "to": String::from_utf8_lossy(&d.to), "target": d.target,
                "headers": r.headers, "signed": r.signed, "line": r.source.line,
            })
        }
    }
}

/// What a server hands the runtime that the reference's request has normalised away.
#[derive(Debug, Clone, Default)]
pub struct Raw {
    /// The `Host` as sent: any case, maybe a port.
    pub host: String,
    /// The cookies as one `Cookie` header, instead of pairs.
    pub cookie_header: Option<String>,
}

/// The compiled engine's answer, as a result line.
pub fn compiled(matcher: &Matcher, req: &Request) -> Value {
    compiled_raw(matcher, req, &Raw { host: req.host.clone(), cookie_header: None })
}

/// The compiled engine's answer to a request as a server sees it (`raw`), as a result line.
pub fn compiled_raw(matcher: &Matcher, req: &Request, raw: &Raw) -> Value {
    let pairs: Vec<(&str, &str)> = req.cookies.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let cookies = match &raw.cookie_header {
        Some(header) => Cookies::Header(header),
        None => Cookies::Pairs(&pairs),
    };
    let runtime = detour_runtime::Request {
        scheme: &req.scheme,
        host: &raw.host,
        path: &req.path,
        query: &req.query,
        country: req.country.as_deref(),
        accept_language: req.language.as_deref(),
        cookies,
        asset_exists: req.asset_exists,
    };
    let mut scratch = matcher.scratch_for(req.path.len() + req.query.len() + 256);
    match matcher.find(&runtime, &mut scratch) {
        detour_runtime::Outcome::NoMatch => Value::Null,
        detour_runtime::Outcome::Denied => json!({ "denied": true }),
        detour_runtime::Outcome::TooLong(t) => json!({ "too_long": true, "rule": t.rule }),
        detour_runtime::Outcome::Matched(d) => {
            let headers: Vec<(&str, &str)> = d.headers().collect();
            json!({
                "rule": d.rule, "status": d.status, "force": d.force, "negative": d.negative,
                "to": String::from_utf8_lossy(d.to), "target": d.target,
                "headers": headers, "signed": d.signed, "line": d.line,
            })
        }
    }
}
