//! RFC 9457 problem responses: every client error is a JSON body with
//! `type`, `title`, `status` and `detail`, never a bare text or a 5xx.

use axum::http::{header, StatusCode};
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
        }
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
        let body = json!({
            "type": format!("urn:feedmap:problem:{}", self.kind),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response()
    }
}
