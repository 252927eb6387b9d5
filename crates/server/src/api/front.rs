//! `GET /v1/lookup` answered in front of the router: the one read that
//! integrators call per page view or per call-centre call, and whose answer
//! is ready when it is asked (no body to read, nothing to wait on).
//!
//! Through the router each request pays its route match, a `MatchedPath`
//! inserted into the request (a map allocated), and three boxed services
//! cloned and three boxed futures allocated (axum boxes a route, its
//! layers and its handler); that was a sixth of a lookup's instructions.
//! [`Front`] sends `GET /v1/lookup` straight to the same answer
//! ([`super::lookup::areas_of`]) behind the same CORS policy, and every
//! other request (`HEAD` and `OPTIONS /v1/lookup` too) to the router,
//! where `/v1/lookup` keeps its route, its description in `/api` and its
//! request timeout. The lookup needs no timeout of its own: its answer is
//! made inside `call`, so there is no wait for one to bound. The layers
//! that wrap the whole application (trace span, caught panics, rate limit)
//! wrap both.

use super::lookup::Lookup;
use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use axum::Router;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tower::{Layer, Service};
use tower_http::cors::{Cors, CorsLayer};

/// The path answered in front of the router (for `GET`).
pub const PATH: &str = "/v1/lookup";

/// The router with `GET` [`PATH`] answered in front of it.
#[derive(Clone)]
pub struct Front {
    lookup: Cors<Lookup>,
    router: Router,
}

impl Front {
    /// `lookup` behind `cors` (the public reads' policy for answers) in
    /// front of `router`.
    pub fn new(cors: CorsLayer, lookup: Lookup, router: Router) -> Front {
        Front {
            lookup: cors.layer(lookup),
            router,
        }
    }
}

pin_project_lite::pin_project! {
    /// The answer of [`Front`]: the lookup's or the router's.
    #[project = FrontProj]
    #[allow(missing_docs)]
    pub enum FrontFuture<L, R> {
        Lookup { #[pin] inner: L },
        Router { #[pin] inner: R },
    }
}

impl<L, R> Future for FrontFuture<L, R>
where
    L: Future<Output = Result<Response, Infallible>>,
    R: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            FrontProj::Lookup { inner } => inner.poll(cx),
            FrontProj::Router { inner } => inner.poll(cx),
        }
    }
}

impl Service<Request> for Front {
    type Response = Response;
    type Error = Infallible;
    type Future = FrontFuture<
        <Cors<Lookup> as Service<Request>>::Future,
        <Router as Service<Request>>::Future,
    >;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Both are always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        if req.method() == Method::GET && req.uri().path() == PATH {
            FrontFuture::Lookup {
                inner: self.lookup.call(req),
            }
        } else {
            FrontFuture::Router {
                inner: self.router.call(req),
            }
        }
    }
}
