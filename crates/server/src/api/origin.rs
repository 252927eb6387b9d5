//! Where a browser's request comes from, against the public reads' CORS
//! policy (`--cors-origins`), so that a page on another site can read
//! every answer meant for it — errors and 429s included — and is told
//! plainly when its site is not allowed, rather than the browser hiding
//! both behind one opaque network failure.
//!
//! The routes' own CORS layers (`api::cors`) answer preflights and
//! mark the public reads' answers. [`Origin::of`] and [`Origin::mark`] add
//! the allowed origin to whatever answer lacks it (a 404 of an unknown
//! route, a 408, the rate limit's 429), and [`refused`] answers a `GET` or
//! `HEAD` from a site not allowed with a 403 that site's page can read.
//! Writes and token-only reads gain nothing: their answers need a token,
//! which a browser on another site only sends after a preflight these
//! routes refuse.

use super::problem::ApiProblem;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

/// The problem type of [`refused`].
pub const NOT_ALLOWED: &str = "origin-not-allowed";

/// Headers a page on another site may read from an answer (the rate
/// limit's, so a widget can say how long to wait).
const EXPOSED: &str =
    "Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy";

/// A request's origin, as the policy sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// No `Origin` header (not a browser's cross-site request), or the
    /// server's own origin.
    Own,
    /// An origin the policy allows: `*` when any may, else the origin.
    Allowed(HeaderValue),
    /// An origin the policy does not list.
    Refused(HeaderValue),
}

impl Origin {
    /// The origin of a request with `headers`, against `allowed` (the
    /// `--cors-origins` list: `*` or origins) and the server's public URL
    /// (`--public-url`), if set.
    pub fn of(
        headers: &axum::http::HeaderMap,
        allowed: &[String],
        public_url: Option<&str>,
    ) -> Origin {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return Origin::Own;
        };
        if allowed.iter().any(|o| o == "*") {
            return Origin::Allowed(HeaderValue::from_static("*"));
        }
        let text = origin.to_str().unwrap_or_default().trim_end_matches('/');
        if allowed.iter().any(|o| o.trim_end_matches('/') == text) {
            return Origin::Allowed(origin.clone());
        }
        // The server's own pages (the map, the widget's iframe page): the
        // origin names the host the request was sent to, or the public URL.
        let authority = text.split_once("://").map_or("", |(_, a)| a);
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        if host == Some(authority) || public_url.map(origin_of) == Some(text) {
            return Origin::Own;
        }
        Origin::Refused(origin.clone())
    }

    /// Adds the allowed origin to `answer` where it lacks one (with `Vary:
    /// Origin` for a listed origin, and the rate limit's headers exposed).
    pub fn mark(&self, answer: &mut Response) {
        let Origin::Allowed(o) = self else { return };
        let h = answer.headers_mut();
        if h.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
            return;
        }
        if o != "*" {
            h.append(header::VARY, HeaderValue::from_static("Origin"));
        }
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o.clone());
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED),
        );
    }
}

/// The origin (`scheme://host[:port]`) of a URL.
fn origin_of(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    match url[start..].find('/') {
        Some(end) => &url[..start + end],
        None => url,
    }
}

/// Whether `method` is one a refused origin is answered for (reads; a
/// preflight is left to the CORS layers, which do not allow it).
pub fn is_read(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

/// 403 to a read from `origin`, which the policy does not list, readable
/// by that origin's page so it can say why.
pub fn refused(origin: &HeaderValue) -> Response {
    let site = origin.to_str().unwrap_or("this site");
    let mut r = ApiProblem::new(
        StatusCode::FORBIDDEN,
        NOT_ALLOWED,
        "Site not allowed",
        format!(
            "pages on {site} may not use this service's public reads; the force's operator can allow it with --cors-origins"
        ),
    )
    .into_response();
    let h = r.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    r
}
