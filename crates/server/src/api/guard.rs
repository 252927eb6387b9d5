//! The guards a request passes before its handler, as plain tower layers:
//! the per-client rate limit ([`Limited`]; 429 with `Retry-After`) and the
//! request timeout ([`Timed`]; 408 with a problem when the answer's head is
//! not ready in time). Each is a small service with a named future — no
//! boxed future and no clone of the stack inside it per request — since
//! every lookup passes them.

use super::listen::{peer_of, too_many};
use super::problem::ApiProblem;
use super::state::AppState;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tower::{Layer, Service};

/// The per-client rate limit of [`AppState::rate`] (nothing when it is
/// off).
#[derive(Clone)]
pub struct Limited {
    state: Arc<AppState>,
}

impl Limited {
    /// The rate limit `state` holds.
    pub fn new(state: Arc<AppState>) -> Limited {
        Limited { state }
    }
}

/// A request timeout of `limit`, the request body's reading included.
#[derive(Debug, Clone, Copy)]
pub struct Timed {
    limit: Duration,
}

impl Timed {
    /// Answers 408 after `limit`.
    pub fn new(limit: Duration) -> Timed {
        Timed { limit }
    }
}

/// A service behind one of the guards.
#[derive(Debug, Clone)]
pub struct Guarded<S, G> {
    inner: S,
    guard: G,
}

impl<S> Layer<S> for Limited {
    type Service = Guarded<S, Limited>;
    fn layer(&self, inner: S) -> Self::Service {
        Guarded {
            inner,
            guard: self.clone(),
        }
    }
}

impl<S> Layer<S> for Timed {
    type Service = Guarded<S, Timed>;
    fn layer(&self, inner: S) -> Self::Service {
        Guarded {
            inner,
            guard: *self,
        }
    }
}

pin_project_lite::pin_project! {
    /// The answer of a guarded service: `Refused` with the guard's own
    /// answer (taken when polled), `Passed` with the inner service's, or
    /// `Timed`: the inner service's within `limit`.
    #[project = GuardProj]
    #[allow(missing_docs)]
    pub enum GuardFuture<F> {
        Refused { response: Option<Response> },
        Passed { #[pin] inner: F },
        Timed { #[pin] inner: tokio::time::Timeout<F>, limit: Duration },
    }
}

impl<F> Future for GuardFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            GuardProj::Refused { response } => {
                Poll::Ready(Ok(response.take().unwrap_or_else(|| {
                    ApiProblem::internal("a refused request was polled twice").into_response()
                })))
            }
            GuardProj::Passed { inner } => inner.poll(cx),
            GuardProj::Timed { inner, limit } => match inner.poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Ok(answer)) => Poll::Ready(answer),
                Poll::Ready(Err(_)) => Poll::Ready(Ok(timed_out(*limit))),
            },
        }
    }
}

/// The 408 problem after `limit`.
fn timed_out(limit: Duration) -> Response {
    ApiProblem::new(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        "request-timeout",
        "Request timeout",
        format!(
            "the request was not received and answered within {} s; send it again",
            limit.as_secs_f64()
        ),
    )
    .into_response()
}

impl<S> Service<Request> for Guarded<S, Limited>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = GuardFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        if let (Some(rate), Some(peer)) = (&self.guard.state.rate, peer_of(&req)) {
            if let Err(wait) = rate.check(peer.ip()) {
                return GuardFuture::Refused {
                    response: Some(too_many(wait)),
                };
            }
        }
        GuardFuture::Passed {
            inner: self.inner.call(req),
        }
    }
}

impl<S> Service<Request> for Guarded<S, Timed>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = GuardFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let limit = self.guard.limit;
        GuardFuture::Timed {
            inner: tokio::time::timeout(limit, self.inner.call(req)),
            limit,
        }
    }
}
