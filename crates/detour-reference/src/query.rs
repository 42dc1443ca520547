//! Query constraints (SPEC §3.6).

use crate::encoding::form_decode;
use detour_rules::{QueryConstraint, QueryValue};

/// The request's query parameters: raw key, form-decoded value; the last occurrence of a key
/// counts, bare keys without `=` and empty parameters are ignored.
pub fn parse_query(raw: &[u8]) -> Vec<(&[u8], Vec<u8>)> {
    let mut params: Vec<(&[u8], Vec<u8>)> = Vec::new();
    for param in raw.split(|&b| b == b'&') {
        let Some(eq) = param.iter().position(|&b| b == b'=') else { continue };
        let (key, value) = (&param[..eq], form_decode(&param[eq + 1..]));
        params.retain(|(k, _)| *k != key);
        params.push((key, value));
    }
    params
}

/// Checks every constraint; returns the query captures in the order written.
pub fn match_query<'r>(
    constraints: &'r [QueryConstraint],
    params: &[(&[u8], Vec<u8>)],
) -> Option<Vec<(&'r str, Vec<u8>)>> {
    let mut captures = Vec::new();
    for c in constraints {
        let (_, value) = params.iter().find(|(k, _)| *k == c.key.as_bytes())?;
        match &c.value {
            QueryValue::Capture(name) => captures.push((name.as_str(), value.clone())),
            QueryValue::Literal(literal) if literal == value => {}
            QueryValue::Literal(_) => return None,
        }
    }
    Some(captures)
}
