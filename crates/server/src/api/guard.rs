//! The guards a request passes before its handler, as plain tower layers:
//! the per-client rate limit and the sites allowed to read ([`Limited`];
//! 429 with `Retry-After` and the RateLimit fields, 403 to a site not
//! allowed, the allowed origin on every read's answer; see
//! [`super::origin`]) and the
//! request timeout ([`Timed`]; 408 with a problem when the answer's head is
//! not ready in time). Each is a small service with a named future — no
//! boxed future and no clone of the stack inside it per request — since
//! every lookup passes them.

use super::listen::{peer_of, too_many};
use super::origin::Origin;
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
        Marked { #[pin] inner: F, origin: Origin },
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
            GuardProj::Marked { inner, origin } => match inner.poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Ok(mut answer)) => {
                    origin.mark(&mut answer);
                    Poll::Ready(Ok(answer))
                }
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            },
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
        let config = &self.guard.state.config;
        let origin = Origin::of(
            req.headers(),
            &config.cors_origins,
            config.public_url.as_deref(),
        );
        // A read without a token: a token-only read is answered to no
        // other site, and a browser elsewhere cannot send one anyway.
        let read = super::origin::is_read(req.method())
            && !req
                .headers()
                .contains_key(axum::http::header::AUTHORIZATION);
        if let (Origin::Refused(o), true) = (&origin, read) {
            return GuardFuture::Refused {
                response: Some(super::origin::refused(o)),
            };
        }
        if let (Some(rate), Some(peer)) = (&self.guard.state.rate, peer_of(&req)) {
            if let Err(wait) = rate.check(peer.ip()) {
                let mut response = too_many(wait, rate);
                origin.mark(&mut response);
                return GuardFuture::Refused {
                    response: Some(response),
                };
            }
        }
        match origin {
            Origin::Allowed(_) if read => GuardFuture::Marked {
                inner: self.inner.call(req),
                origin,
            },
            _ => GuardFuture::Passed {
                inner: self.inner.call(req),
            },
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
