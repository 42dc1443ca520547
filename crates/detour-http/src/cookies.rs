//! The request's cookies as one `Cookie` header value, whatever number of fields carried them.

use std::borrow::Cow;

use http::header::COOKIE;
use http::HeaderMap;

/// Every `cookie` header field of a request, joined with `"; "` as one `Cookie` value. An HTTP/2
/// client may send each cookie in a field of its own (RFC 9113 §8.2.3); an HTTP/1 client sends
/// one field. Borrowed when there is a single field; fields that are not visible ASCII are
/// skipped (as a lone such field always was). `None` when no field is usable.
pub fn cookie_header(headers: &HeaderMap) -> Option<Cow<'_, str>> {
    let mut fields = headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).filter(|v| !v.is_empty());
    let first = fields.next()?;
    let Some(second) = fields.next() else { return Some(Cow::Borrowed(first)) };
    let mut joined = format!("{first}; {second}");
    for field in fields {
        joined.push_str("; ");
        joined.push_str(field);
    }
    Some(Cow::Owned(joined))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn split_cookie_fields_are_joined_in_order() {
        let mut h = HeaderMap::new();
        assert_eq!(cookie_header(&h), None);
        h.append(COOKIE, HeaderValue::from_static("a=1"));
        assert!(matches!(cookie_header(&h), Some(Cow::Borrowed("a=1"))));
        h.append(COOKIE, HeaderValue::from_bytes(b"x=\xff").unwrap());
        h.append(COOKIE, HeaderValue::from_static("nf_lang=fr"));
        h.append(COOKIE, HeaderValue::from_static(""));
        h.append(COOKIE, HeaderValue::from_static("b=2; c=3"));
        assert_eq!(cookie_header(&h).as_deref(), Some("a=1; nf_lang=fr; b=2; c=3"));
    }
}
