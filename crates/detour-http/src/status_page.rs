//! Content served with a rule's status (404, 410, 451 pages): always the whole page, never a
//! 304 or a 206 under that status, and never an empty body.

use http::header::{
    HeaderName, ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_TYPE, IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE,
    IF_UNMODIFIED_SINCE, RANGE,
};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body::Body as _;

use crate::body::{full, Body};

/// The request headers with which the content's server could answer "not modified", a part, or
/// "precondition failed": under a rule's status those would become an empty 410 or a partial one.
const PARTIAL_OR_CONDITIONAL: [HeaderName; 6] =
    [IF_NONE_MATCH, IF_MODIFIED_SINCE, IF_MATCH, IF_UNMODIFIED_SINCE, IF_RANGE, RANGE];

/// Asks for the whole content, unconditionally.
pub(crate) fn ask_whole<B>(req: &mut Request<B>) {
    for name in &PARTIAL_OR_CONDITIONAL {
        req.headers_mut().remove(name);
    }
}

/// The content's answer under the rule's `status`: ranges are not offered, and an empty answer
/// (a missing page) becomes [`default_page`].
pub(crate) fn under_status(mut r: Response<Body>, status: StatusCode) -> Response<Body> {
    if status.is_client_error() || status.is_server_error() {
        if is_missing(&r) {
            return default_page(status);
        }
        r.headers_mut().remove(ACCEPT_RANGES);
    }
    *r.status_mut() = status;
    r
}

/// Whether the content's answer has no content at all (a missing page, as `ServeDir` answers
/// it). The answer to HEAD has an empty body too, but its `content-length` describes the page
/// GET would get, so it is not missing.
fn is_missing(r: &Response<Body>) -> bool {
    let declared = r.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    r.body().size_hint().exact() == Some(0) && declared.is_none_or(|len| len == 0)
}

/// The answer of a rule with status 204 or 205: RFC 9110 §15.3.5 and §15.3.6 forbid content
/// (and a `content-length` on 204), so the target is not asked for any (docs/semantics.md).
pub(crate) fn without_content(status: StatusCode) -> Response<Body> {
    let mut r = Response::new(crate::body::empty());
    *r.status_mut() = status;
    if status == StatusCode::RESET_CONTENT {
        r.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(0));
    }
    r
}

/// A small HTML page naming the status, for a status page the site does not have.
pub fn default_page(status: StatusCode) -> Response<Body> {
    let title = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or(""));
    let title = title.trim_end();
    let page = format!("<!doctype html>\n<title>{title}</title>\n<h1>{title}</h1>\n");
    let mut r = Response::new(full(page.clone()));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    r.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(page.len()));
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::empty;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn an_empty_status_page_becomes_the_default_page() {
        let r = under_status(Response::new(empty()), StatusCode::GONE);
        assert_eq!(r.status(), 410);
        let body = r.into_body().collect().await.unwrap().to_bytes();
        assert!(String::from_utf8_lossy(&body).contains("410 Gone"));
        let kept = under_status(Response::new(full("page")), StatusCode::GONE);
        let body = kept.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"page");
    }

    #[test]
    fn the_answer_to_head_of_a_status_page_keeps_its_headers() {
        let mut head = Response::new(empty());
        head.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(9));
        let r = under_status(head, StatusCode::GONE);
        assert_eq!((r.status(), r.headers().get(CONTENT_LENGTH)), (StatusCode::GONE, Some(&HeaderValue::from(9))));
        let mut empty_page = Response::new(empty());
        empty_page.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(0));
        let r = under_status(empty_page, StatusCode::GONE);
        assert_ne!(r.headers().get(CONTENT_LENGTH), Some(&HeaderValue::from(0)), "a 0-byte page is missing");
    }
}
