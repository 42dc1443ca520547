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

fn check_signature(alg: Alg, key: &[u8], input: &[u8], signature: &[u8]) -> bool {
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

/// A verified token: where its decoded claims lie in the buffer, and its roles claim within them.
#[derive(Debug, Clone, Copy)]
pub struct Verified {
    claims: (usize, usize),
    roles: (usize, usize),
}

/// Verifies `token` (HS256/384/512 under `secret`, `exp` in the future, `nbf` if present in the
/// past) and finds its roles claim, decoding into `buf`. Done once per request; each Role rule
/// then only compares role names ([`grants`]).
pub fn verify(token: &str, secret: &[u8], claim_path: &str, now: i64, buf: &mut Vec<u8>) -> Option<Verified> {
    buf.clear();
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let h = decode(header, buf)?;
    let s = decode(signature, buf)?;
    let p = decode(payload, buf)?;
    let b = buf.as_slice();
    let header_json = &b[h.0..h.1];
    let alg_value = json::get(header_json, json::document(header_json)?, b"alg")?;
    let named = |name: &[u8]| json::string_eq(header_json, alg_value, name);
    let alg = if named(b"HS256") {
        Alg::Hs256
    } else if named(b"HS384") {
        Alg::Hs384
    } else if named(b"HS512") {
        Alg::Hs512
    } else {
        return None;
    };
    let signed_part = &token.as_bytes()[..header.len() + 1 + payload.len()];
    if !check_signature(alg, secret, signed_part, &b[s.0..s.1]) {
        return None;
    }
    let claims = &b[p.0..p.1];
    let root = json::document(claims)?;
    let exp = json::get(claims, root, b"exp").and_then(|v| json::as_i64(claims, v))?;
    if exp <= now {
        return None;
    }
    if let Some(nbf) = json::get(claims, root, b"nbf") {
        match json::as_i64(claims, nbf) {
            Some(nbf) if nbf <= now => {}
            _ => return None,
        }
    }
    let mut claim = root;
    for key in claim_path.split('.') {
        claim = json::get(claims, claim, key.as_bytes())?;
    }
    Some(Verified { claims: p, roles: claim })
}

/// The most roles kept as plain byte ranges per token; a token with more (or with escapes in a
/// role) is answered by walking its JSON for each rule instead.
pub const MAX_PLAIN_ROLES: usize = 64;

/// The roles a verified token grants, as ranges of `buf` (the string contents), when each is a
/// plain JSON string (no escapes) and there are at most [`MAX_PLAIN_ROLES`]: then every Role rule
/// compares bytes only. `false` when the slow path ([`grants`]) must answer instead.
pub fn plain_roles(buf: &[u8], token: Verified, out: &mut Vec<(u32, u32)>) -> bool {
    out.clear();
    let Some(claims) = buf.get(token.claims.0..token.claims.1) else { return false };
    let base = token.claims.0;
    let mut plain = true;
    let mut take = |v: (usize, usize)| {
        let content = (v.0 + 1, v.1.saturating_sub(1));
        let escaped = claims.get(content.0..content.1).is_none_or(|c| c.contains(&b'\\'));
        if !json::is_string(claims, v) {
            return; // entries that are not strings are ignored (SPEC §3.7)
        }
        if escaped || out.len() == MAX_PLAIN_ROLES {
            plain = false;
            return;
        }
        out.push(((base + content.0) as u32, (base + content.1) as u32));
    };
    if json::is_string(claims, token.roles) {
        take(token.roles);
    } else {
        json::elements(claims, token.roles, &mut take);
    }
    plain
}

/// True when one of the plain roles ([`plain_roles`]) is one of `wanted`.
pub fn grants_plain<'r>(buf: &[u8], roles: &[(u32, u32)], mut wanted: impl Iterator<Item = &'r [u8]>) -> bool {
    wanted.any(|w| roles.iter().any(|&(s, e)| buf.get(s as usize..e as usize).is_some_and(|role| same_short(role, w))))
}

/// Byte equality without a call into `memcmp`: role names are a few bytes, and a Role rule
/// that is walked past compares one or two of them.
fn same_short(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// True when a verified token's roles claim (a string or an array) holds one of `wanted`.
pub fn grants<'r>(buf: &[u8], token: Verified, wanted: impl Iterator<Item = &'r [u8]> + Clone) -> bool {
    let Some(claims) = buf.get(token.claims.0..token.claims.1) else { return false };
    let granted = |v: (usize, usize)| wanted.clone().any(|role| json::string_eq(claims, v, role));
    if json::is_string(claims, token.roles) {
        return granted(token.roles);
    }
    let mut any = false;
    json::elements(claims, token.roles, |v| any |= granted(v));
    any
}
