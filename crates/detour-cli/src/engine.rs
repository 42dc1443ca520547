//! The engines behind `detour match`: the compiled matcher (default) and the reference scan.

use detour_reference::{match_request, RoleConfig};
use detour_rules::Rule;
use detour_runtime::{Cookies, MatchOptions, Matcher, Scratch};

use crate::answer::Answer;
use crate::requests::Request;

/// Role-check settings given on the command line.
#[derive(Debug, Clone, Default)]
pub struct RoleSettings {
    /// `--jwt-secret`.
    pub secret: Option<String>,
    /// `--jwt-role-claim`.
    pub claim: Option<String>,
}

impl RoleSettings {
    /// For the reference matcher.
    pub fn reference(&self) -> RoleConfig {
        let mut c = RoleConfig { secret: self.secret.as_ref().map(|s| s.as_bytes().to_vec()), ..RoleConfig::default() };
        if let Some(claim) = &self.claim {
            c.claim_path = claim.clone();
        }
        c
    }

    /// For the compiled matcher.
    pub fn runtime(&self) -> MatchOptions {
        let mut o =
            MatchOptions { jwt_secret: self.secret.as_ref().map(|s| s.as_bytes().to_vec()), ..MatchOptions::default() };
        if let Some(claim) = &self.claim {
            o.role_claim = claim.clone();
        }
        o
    }
}

/// The cookies of a request, borrowed as the runtime takes them.
pub fn cookie_pairs(req: &Request) -> Vec<(&str, &str)> {
    req.cookies.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// A request, borrowed as the runtime takes it (`cookies` from [`cookie_pairs`]).
pub fn runtime_request<'a>(req: &'a Request, cookies: &'a [(&'a str, &'a str)]) -> detour_runtime::Request<'a> {
    detour_runtime::Request {
        scheme: &req.scheme,
        host: &req.host,
        path: &req.path,
        query: &req.query,
        country: req.country.as_deref(),
        accept_language: req.language.as_deref(),
        cookies: Cookies::Pairs(cookies),
        asset_exists: req.asset_exists,
    }
}

/// Answers a request with the compiled matcher.
pub fn match_compiled(matcher: &Matcher, req: &Request, scratch: &mut Scratch) -> Answer {
    let pairs = cookie_pairs(req);
    Answer::from_runtime(matcher.find(&runtime_request(req, &pairs), scratch))
}

/// Answers a request with the reference matcher (`--engine reference`, tests and benches only).
pub fn match_reference(rules: &[Rule], req: &Request, roles: &RoleConfig) -> Answer {
    Answer::from_reference(match_request(rules, &reference_request(req), roles), rules)
}

/// The reference matcher's own copy of a request.
pub fn reference_request(req: &Request) -> detour_reference::Request {
    detour_reference::Request {
        scheme: req.scheme.clone(),
        host: req.host.clone(),
        path: req.path.clone(),
        query: req.query.clone(),
        country: req.country.clone(),
        language: req.language.clone(),
        cookies: req.cookies.clone(),
        asset_exists: req.asset_exists,
    }
}
