//! `--country` and `--language`: every request made to come from one visitor, as
//! `netlify dev --geo=mock --country=XX` does, to preview country and language rules.

use std::sync::Arc;

use http::header::{HeaderName, ACCEPT_LANGUAGE};
use http::{HeaderValue, Request};
use tower::util::MapRequestLayer;

/// The simulated visitor. `None` keeps what the request says.
#[derive(Debug, Clone, Default)]
pub struct Visitor {
    /// The country code, set in the layer's country header (the `nf_country` cookie still
    /// overrides it, as on Netlify).
    pub country: Option<HeaderValue>,
    /// The language, set as the `Accept-Language` header (the `nf_lang` cookie still overrides).
    pub language: Option<HeaderValue>,
}

impl Visitor {
    /// A layer that sets the visitor's headers on each request, replacing the client's.
    pub fn layer<B>(&self, country_header: &HeaderName) -> MapRequestLayer<impl Fn(Request<B>) -> Request<B> + Clone> {
        let visitor = Arc::new((self.clone(), country_header.clone()));
        MapRequestLayer::new(move |mut req: Request<B>| {
            let (visitor, country_header) = &*visitor;
            if let Some(country) = &visitor.country {
                req.headers_mut().insert(country_header.clone(), country.clone());
            }
            if let Some(language) = &visitor.language {
                req.headers_mut().insert(ACCEPT_LANGUAGE, language.clone());
            }
            req
        })
    }
}
