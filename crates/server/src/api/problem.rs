//! RFC 9457 problem responses: every client error is a JSON body with
//! `type`, `title`, `status` and `detail`, never a bare text or a 5xx.
//! Handlers return `Result<_, ApiProblem>`; the rejections of axum's
//! extractors (JSON bodies, path segments) become problems here, in one
//! place.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A client-facing error.
#[derive(Debug, Clone)]
pub struct ApiProblem {
    /// HTTP status.
    pub status: StatusCode,
    /// Short stable slug, becomes the `type` URN.
    pub kind: &'static str,
    /// Short human summary.
    pub title: &'static str,
    /// What exactly was wrong, naming the parameter and the allowed values.
    pub detail: String,
    /// Headers the answer carries besides the body (`WWW-Authenticate` on
    /// a 401, the current `ETag` on a 412).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Extension members of the body (RFC 9457 §3.2), e.g. every problem
    /// found in a refused file.
    pub members: Vec<(&'static str, serde_json::Value)>,
}

impl ApiProblem {
    /// Any problem.
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        ApiProblem {
            status,
            kind,
            title,
            detail: detail.into(),
            headers: Vec::new(),
            members: Vec::new(),
        }
    }

    /// The same problem with one more member in its body.
    pub fn with_member(mut self, name: &'static str, value: serde_json::Value) -> Self {
        self.members.push((name, value));
        self
    }

    /// The same problem, answered with one more header.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// 400: the request's body cannot be read as its media type says
    /// (a CSV header without the columns needed, JSON that does not
    /// parse).
    pub fn bad_body(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-body", "Invalid body", detail)
    }

    /// 400: a query parameter is missing, malformed or out of range.
    pub fn bad_parameter(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-parameter",
            "Invalid query parameter",
            detail,
        )
    }

    /// 404: no such layer, area or route.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// 500: the server failed on a valid request (logged; never expected).
    pub fn internal(detail: impl Into<String>) -> Self {
        let detail = detail.into();
        tracing::error!("{detail}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            detail,
        )
    }

    /// 405: the route exists but not for this method.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            "this resource does not answer this method (reads are GET; see /api for the writes each resource takes)",
        )
    }
}

impl IntoResponse for ApiProblem {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": format!("urn:feedmap:problem:{}", self.kind),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        for (name, value) in self.members {
            body[name] = value;
        }
        let mut r = (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response();
        for (name, value) in self.headers {
            r.headers_mut().insert(name, value);
        }
        r
    }
}

/// A JSON body axum could not take: 413 past the size limit, 415 without
/// a JSON content type, 400 naming what is wrong (serde names the field,
/// with line and column).
impl From<axum::extract::rejection::JsonRejection> for ApiProblem {
    fn from(r: axum::extract::rejection::JsonRejection) -> ApiProblem {
        let status = r.status();
        let text = r.body_text();
        match status {
            StatusCode::PAYLOAD_TOO_LARGE => ApiProblem::new(
                status,
                "too-large",
                "Body too large",
                format!("the body is larger than this server accepts for writes ({text})"),
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiProblem::new(
                status,
                "unsupported-media-type",
                "JSON expected",
                "send the body as JSON with Content-Type: application/json",
            ),
            _ => ApiProblem::bad_body(text),
        }
    }
}

/// A path segment axum could not take (not UTF-8 once decoded, or not of
/// the type the route wants): 400 (or 404 where axum says so).
impl From<axum::extract::rejection::PathRejection> for ApiProblem {
    fn from(r: axum::extract::rejection::PathRejection) -> ApiProblem {
        let status = r.status();
        let text = r.body_text();
        if status == StatusCode::NOT_FOUND {
            ApiProblem::not_found(text)
        } else if status.is_client_error() {
            ApiProblem::new(status, "bad-path", "Invalid path", text)
        } else {
            ApiProblem::internal(text)
        }
    }
}

/// A path extractor whose rejection is a problem document, like every
/// other error (axum's own answers in plain text).
pub struct Path<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for Path<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiProblem;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(v) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Path(v))
    }
}
