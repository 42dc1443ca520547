//! Country, Language and Cookie conditions (SPEC §3.7). Role lives in [`crate::jwt`].

use detour_rules::Conditions;

use crate::Request;

/// The country a request comes from: the `nf_country` cookie, else GeoIP.
fn country(req: &Request) -> Option<&str> {
    req.cookie("nf_country").filter(|c| !c.is_empty()).or(req.country.as_deref())
}

/// The request's language tag: the `nf_lang` cookie, else the first `Accept-Language` entry.
fn language(req: &Request) -> Option<&str> {
    let header_tag =
        req.language.as_deref().map(|h| h.split(',').next().unwrap_or("").split(';').next().unwrap_or("").trim());
    req.cookie("nf_lang").filter(|c| !c.is_empty()).or(header_tag).filter(|t| !t.is_empty())
}

/// True when the Country, Language and Cookie conditions all hold.
pub fn hold(conditions: &Conditions, req: &Request) -> bool {
    let country_ok = conditions.country.is_empty()
        || country(req).is_some_and(|c| conditions.country.iter().any(|v| v.eq_ignore_ascii_case(c)));
    let language_ok = conditions.language.is_empty()
        || language(req).is_some_and(|tag| {
            let primary = tag.split('-').next().unwrap_or(tag);
            conditions.language.iter().any(|v| v.eq_ignore_ascii_case(tag) || v.eq_ignore_ascii_case(primary))
        });
    let cookie_ok = conditions.cookie.is_empty()
        || conditions.cookie.iter().any(|name| req.cookies.iter().any(|(n, v)| n == name && !v.is_empty()));
    country_ok && language_ok && cookie_ok
}
