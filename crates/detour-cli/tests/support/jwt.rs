//! Builds JWTs for role cases. Test-only: the engines verify tokens, this signs them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;

/// `spec`: `{"claims": {...}, "alg": "HS256", "secret": "...", "header": {...}, "signature": "..."}`.
pub fn token(spec: &Value, default_secret: &str) -> String {
    let alg = spec.get("alg").and_then(Value::as_str).unwrap_or("HS256");
    let header = spec.get("header").cloned().unwrap_or_else(|| serde_json::json!({"alg": alg, "typ": "JWT"}));
    let claims = spec.get("claims").cloned().unwrap_or_else(|| serde_json::json!({}));
    let secret = spec.get("secret").and_then(Value::as_str).unwrap_or(default_secret);
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    if let Some(sig) = spec.get("signature").and_then(Value::as_str) {
        return format!("{input}.{sig}");
    }
    macro_rules! sign {
        ($hash:ty) => {{
            let mut mac = Hmac::<$hash>::new_from_slice(secret.as_bytes()).unwrap();
            mac.update(input.as_bytes());
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        }};
    }
    let sig = match alg {
        "HS384" => sign!(sha2::Sha384),
        "HS512" => sign!(sha2::Sha512),
        "none" => String::new(),
        _ => sign!(sha2::Sha256),
    };
    format!("{input}.{sig}")
}
