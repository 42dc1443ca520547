//! Role checks (SPEC §3.7): an HS256/384/512 JWT from the `nf_jwt` cookie, signed with the
//! site's secret, unexpired (integer `exp` in the future, `nbf` if present in the past), whose
//! roles claim (a dotted path) lists one of the rule's roles. `alg: none` never passes.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, Engine};
use hmac::{Hmac, Mac};
use serde_json::Value;

/// Role-check settings: they belong to the server, never to the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleConfig {
    /// The site's JWT secret; without one no role condition holds.
    pub secret: Option<Vec<u8>>,
    /// Dotted path of the roles claim.
    pub claim_path: String,
    /// The current time, Unix seconds.
    pub now: i64,
}

impl Default for RoleConfig {
    fn default() -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        RoleConfig { secret: None, claim_path: "app_metadata.roles".to_string(), now }
    }
}

const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn verify(alg: &str, key: &[u8], input: &[u8], signature: &[u8]) -> bool {
    macro_rules! check {
        ($hash:ty) => {{
            let Ok(mut mac) = Hmac::<$hash>::new_from_slice(key) else { return false };
            mac.update(input);
            mac.verify_slice(signature).is_ok()
        }};
    }
    match alg {
        "HS256" => check!(sha2::Sha256),
        "HS384" => check!(sha2::Sha384),
        "HS512" => check!(sha2::Sha512),
        _ => false,
    }
}

/// The roles a valid token grants, or `None` when the token does not verify.
pub fn token_roles(token: &str, config: &RoleConfig) -> Option<Vec<String>> {
    let secret = config.secret.as_deref()?;
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&BASE64URL.decode(header).ok()?).ok()?;
    let alg = header.get("alg")?.as_str()?;
    let signature = BASE64URL.decode(signature).ok()?;
    let signed_part = &token[..token.len() - token.rsplit('.').next()?.len() - 1];
    if !verify(alg, secret, signed_part.as_bytes(), &signature) {
        return None;
    }
    let claims: Value = serde_json::from_slice(&BASE64URL.decode(payload).ok()?).ok()?;
    let exp = claims.get("exp")?.as_i64()?;
    if exp <= config.now {
        return None;
    }
    if let Some(nbf) = claims.get("nbf") {
        if nbf.as_i64()? > config.now {
            return None;
        }
    }
    let mut claim = &claims;
    for key in config.claim_path.split('.') {
        claim = claim.get(key)?;
    }
    Some(match claim {
        Value::String(role) => vec![role.clone()],
        Value::Array(items) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    })
}

/// True when the request's `nf_jwt` token grants one of `roles`.
pub fn role_holds(roles: &[String], jwt: Option<&str>, config: &RoleConfig) -> bool {
    let Some(granted) = jwt.and_then(|t| token_roles(t, config)) else { return false };
    roles.iter().any(|r| granted.contains(r))
}
