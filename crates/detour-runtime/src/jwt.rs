//! Role checks (SPEC §3.7) without allocation: an HS256/384/512 JWT, verified with the site's
//! secret, unexpired, whose roles claim lists one of the rule's roles. `alg: none` never passes.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, Engine};
use hmac::{Hmac, Mac};

use crate::json;

const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes base64url into the end of `buf`; returns the decoded range.
fn decode(input: &str, buf: &mut Vec<u8>) -> Option<(usize, usize)> {
    let start = buf.len();
    buf.resize(start + input.len().div_ceil(4) * 3 + 3, 0);
    let n = BASE64URL.decode_slice(input, &mut buf[start..]).ok()?;
    buf.truncate(start + n);
    Some((start, start + n))
}

#[derive(Clone, Copy)]
enum Alg {
    Hs256,
    Hs384,
    Hs512,
}

fn verify(alg: Alg, key: &[u8], input: &[u8], signature: &[u8]) -> bool {
    macro_rules! check {
        ($hash:ty) => {{
            let Ok(mut mac) = Hmac::<$hash>::new_from_slice(key) else { return false };
            mac.update(input);
            mac.verify_slice(signature).is_ok()
        }};
    }
    match alg {
        Alg::Hs256 => check!(sha2::Sha256),
        Alg::Hs384 => check!(sha2::Sha384),
        Alg::Hs512 => check!(sha2::Sha512),
    }
}

/// True when `token` verifies and grants one of the roles `wanted` yields.
pub fn grants_role<'r>(
    token: &str,
    secret: &[u8],
    claim_path: &str,
    now: i64,
    buf: &mut Vec<u8>,
    wanted: impl Iterator<Item = &'r [u8]> + Clone,
) -> bool {
    buf.clear();
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Some(h) = decode(header, buf) else { return false };
    let Some(s) = decode(signature, buf) else { return false };
    let Some(p) = decode(payload, buf) else { return false };
    let b = buf.as_slice();
    let header_json = &b[h.0..h.1];
    let Some(root) = json::document(header_json) else { return false };
    let Some(alg_value) = json::get(header_json, root, b"alg") else { return false };
    let named = |name: &[u8]| json::string_eq(header_json, alg_value, name);
    let alg = if named(b"HS256") {
        Alg::Hs256
    } else if named(b"HS384") {
        Alg::Hs384
    } else if named(b"HS512") {
        Alg::Hs512
    } else {
        return false;
    };
    let signed_part = &token.as_bytes()[..header.len() + 1 + payload.len()];
    if !verify(alg, secret, signed_part, &b[s.0..s.1]) {
        return false;
    }
    let claims = &b[p.0..p.1];
    let Some(root) = json::document(claims) else { return false };
    let Some(exp) = json::get(claims, root, b"exp").and_then(|v| json::as_i64(claims, v)) else { return false };
    if exp <= now {
        return false;
    }
    if let Some(nbf) = json::get(claims, root, b"nbf") {
        match json::as_i64(claims, nbf) {
            Some(nbf) if nbf <= now => {}
            _ => return false,
        }
    }
    let mut claim = root;
    for key in claim_path.split('.') {
        match json::get(claims, claim, key.as_bytes()) {
            Some(v) => claim = v,
            None => return false,
        }
    }
    let granted = |v: (usize, usize)| wanted.clone().any(|role| json::string_eq(claims, v, role));
    if json::is_string(claims, claim) {
        return granted(claim);
    }
    let mut any = false;
    json::elements(claims, claim, |v| any |= granted(v));
    any
}
