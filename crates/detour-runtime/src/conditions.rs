//! Query constraints and the Country, Language and Cookie conditions (SPEC §3.6, §3.7).

use crate::encoding::{decode_into, encode_query_capture};
use detour_format::{span, ArchivedExtra, ArchivedQueryConstraint, ArchivedRuleSet};

use crate::Request;

/// The raw value of the last `key=value` parameter with this key (bare keys are ignored).
pub(crate) fn last_param<'q>(query: &'q [u8], key: &[u8]) -> Option<&'q [u8]> {
    let mut found = None;
    for param in query.split(|&b| b == b'&') {
        if let Some(eq) = param.iter().position(|&b| b == b'=') {
            if &param[..eq] == key {
                found = Some(&param[eq + 1..]);
            }
        }
    }
    found
}

/// Checks every constraint; appends query captures (re-encoded) to `capbuf`/`caps`.
pub fn query_holds(
    set: &ArchivedRuleSet,
    constraints: &[ArchivedQueryConstraint],
    query: &[u8],
    qbuf: &mut Vec<u8>,
    capbuf: &mut Vec<u8>,
    caps: &mut Vec<(u32, u32)>,
) -> bool {
    for c in constraints {
        let Some(raw) = last_param(query, set.str(&c.key)) else { return false };
        qbuf.clear();
        decode_into(raw, true, qbuf);
        if c.capture == 1 {
            let start = capbuf.len() as u32;
            encode_query_capture(qbuf, capbuf);
            caps.push((start, capbuf.len() as u32));
        } else if qbuf.as_slice() != set.str(&c.value) {
            return false;
        }
    }
    true
}

/// The request's country: the `nf_country` cookie, else GeoIP.
fn country<'a>(req: &Request<'a>) -> Option<&'a str> {
    req.cookies.get("nf_country").filter(|c| !c.is_empty()).or(req.country)
}

/// The request's language tag: the `nf_lang` cookie, else the first `Accept-Language` entry.
fn language<'a>(req: &Request<'a>) -> Option<&'a str> {
    let header = req.accept_language.map(|h| h.split(',').next().unwrap_or("").split(';').next().unwrap_or("").trim());
    req.cookies.get("nf_lang").filter(|c| !c.is_empty()).or(header).filter(|t| !t.is_empty())
}

/// The request's country and language, each read from its cookies and headers at most once
/// per request, when a rule first asks.
pub struct RequestContext<'a> {
    req: &'a Request<'a>,
    country: Option<Option<&'a str>>,
    language: Option<Option<&'a str>>,
}

impl<'a> RequestContext<'a> {
    /// Nothing read yet.
    pub fn new(req: &'a Request<'a>) -> RequestContext<'a> {
        RequestContext { req, country: None, language: None }
    }

    /// The country (the `nf_country` cookie, else GeoIP).
    pub fn country(&mut self) -> Option<&'a str> {
        let req = self.req;
        *self.country.get_or_insert_with(|| country(req))
    }

    /// The language tag (the `nf_lang` cookie, else the first `Accept-Language` entry).
    pub fn language(&mut self) -> Option<&'a str> {
        let req = self.req;
        *self.language.get_or_insert_with(|| language(req))
    }
}

/// True when the Country, Language and Cookie conditions hold.
pub fn conditions_hold(set: &ArchivedRuleSet, extra: &ArchivedExtra, context: &mut RequestContext<'_>) -> bool {
    let values = |s| span(&set.values, s).iter().map(|v| set.str(v));
    let country_ok = extra.country.len == 0
        || context.country().is_some_and(|c| values(&extra.country).any(|v| v.eq_ignore_ascii_case(c.as_bytes())));
    let language_ok = extra.language.len == 0
        || context.language().is_some_and(|tag| {
            let primary = tag.split('-').next().unwrap_or(tag);
            values(&extra.language)
                .any(|v| v.eq_ignore_ascii_case(tag.as_bytes()) || v.eq_ignore_ascii_case(primary.as_bytes()))
        });
    let cookies = &context.req.cookies;
    let cookie_ok = extra.cookie.len == 0
        || values(&extra.cookie).any(|name| cookies.any(|n, v| n.as_bytes() == name && !v.is_empty()));
    country_ok && language_ok && cookie_ok
}
