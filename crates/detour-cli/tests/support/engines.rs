//! The engines every conformance case runs through.

use detour_cli::answer::Answer;
use detour_reference::{match_request, RoleConfig};
use detour_rules::Rule;

use super::cases::Case;

/// An engine under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// The naive linear scan.
    Reference,
}

/// Every engine, in the order they are run.
pub const ENGINES: [EngineKind; 1] = [EngineKind::Reference];

/// The role settings of a case.
pub fn role_config(case: &Case) -> RoleConfig {
    RoleConfig {
        secret: case.secret.as_ref().map(|s| s.as_bytes().to_vec()),
        claim_path: case.claim.clone().unwrap_or_else(|| "app_metadata.roles".to_string()),
        ..RoleConfig::default()
    }
}

/// The answers of one engine to every request of a case.
pub fn answers(engine: EngineKind, rules: &[Rule], case: &Case) -> Vec<Answer> {
    let roles = role_config(case);
    case.requests
        .iter()
        .map(|(r, _)| match engine {
            EngineKind::Reference => Answer::from_reference(match_request(rules, &r.request, &roles), rules),
        })
        .collect()
}
