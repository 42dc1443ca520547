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
        if r.body().size_hint().exact() == Some(0) {
            return default_page(status);
        }
        r.headers_mut().remove(ACCEPT_RANGES);
    }
    *r.status_mut() = status;
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
}
