//! What answers while the server starts: it listens before its region
//! and store are loaded, and says so — `/health/live` 200,
//! `/health/ready` and everything else 503 with a problem naming what is
//! not ready yet. (Once it serves, the health module answers both.)

use super::problem::ApiProblem;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::convert::Infallible;
use std::task::{Context, Poll};

/// The 503 of a server not ready: `what` is not, `detail` says why.
pub fn not_ready(what: &[&str], detail: impl Into<String>) -> Response {
    ApiProblem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "not-ready",
        "Not ready",
        detail,
    )
    .with_member("not_ready", serde_json::json!(what))
    .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
    .into_response()
}

/// What answers while the region and the store are loading: liveness
/// yes, readiness and everything else 503.
#[derive(Debug, Clone, Copy, Default)]
pub struct Starting;

impl<B> tower::Service<axum::http::Request<B>> for Starting {
    type Response = Response;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: axum::http::Request<B>) -> Self::Future {
        const LOADING: &str = "the server is starting: its region and store are loading";
        let mut answer = match req.uri().path() {
            "/health/live" => Json(serde_json::json!({ "status": "live" })).into_response(),
            "/health/ready" => not_ready(&["region", "store"], LOADING),
            _ => not_ready(
                &["region", "store"],
                format!("{LOADING}; try again shortly (GET /health/ready says when it is ready)"),
            ),
        };
        // The next request comes on a new connection, which the whole
        // application answers once it is there.
        answer
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        std::future::ready(Ok(answer))
    }
}
