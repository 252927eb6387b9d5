//! `GET /metrics` (Prometheus text format, a token needed) and what counts
//! every HTTP answer for it: [`Metered`] around the whole application,
//! and [`Mark`] around each route, which tags its answers with the
//! route's template ([`RouteTag`], in the response's extensions) so the
//! count is by route, not by raw path. The metrics themselves are
//! [`crate::metrics`].

use super::problem::ApiProblem;
use super::state::AppState;
use super::write::Viewer;
use crate::metrics::{Lookup, Snapshot, UNMATCHED};
use axum::extract::State;
use axum::http::{header, Method, Request, Response};
use axum::response::IntoResponse;
use feedmap_store::WebhookStatus;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;
use tower::{Layer, Service};

/// `GET /metrics`: every metric, in the Prometheus text format 0.0.4. A
/// reader, planner or integrator token is needed (as for the other
/// token-only reads); without a tokens file nobody is answered.
pub async fn metrics(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
) -> Result<axum::response::Response, ApiProblem> {
    viewer.or_401(if state.tokens.is_empty() {
        "the metrics need a token, and this server has no tokens file (start it with --tokens FILE holding a reader token for the scraper)"
    } else {
        "the metrics need a token"
    })?;
    let s = state.clone();
    let now = super::write::blocking(move || Ok(snapshot(&s))).await?;
    Ok((
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        state.metrics.render(&now),
    )
        .into_response())
}

/// The state the gauges show, now. Blocking (the webhook backlog is read
/// from the store).
fn snapshot(state: &AppState) -> Snapshot {
    let check = state.store_check();
    let served = state.served();
    let generations = served
        .region()
        .layers
        .iter()
        .zip(&served.today().key)
        .map(|(l, g)| (l.id.clone(), *g))
        .collect();
    let webhooks = state
        .store
        .last_seq()
        .and_then(|last| Ok((last, state.store.webhooks()?)))
        .map(|(last, hooks)| {
            let behind: Vec<i64> = hooks
                .iter()
                .filter(|h| h.hook.status == WebhookStatus::Active)
                .map(|h| (last - h.delivery.after_seq).max(0))
                .filter(|&n| n > 0)
                .collect();
            (behind.iter().sum(), behind.len() as i64)
        })
        .inspect_err(|e| tracing::warn!("metrics: reading the webhooks from the store: {e}"))
        .ok();
    Snapshot {
        store_lag_seconds: check.last_ok.elapsed().as_secs_f64(),
        store_reachable: check.error.is_none(),
        generations,
        webhooks,
    }
}

/// What else an answer of a route counts as, when it succeeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tally {
    Lookup(Lookup),
    Plan,
}

/// A route's template and what its answers count as, put in the
/// extensions of each answer it gives by [`Mark`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteTag {
    /// The route template, as the router knows it.
    pub path: &'static str,
    tally: Option<Tally>,
}

impl RouteTag {
    /// The tag of the route `path`.
    pub fn of(path: &'static str) -> RouteTag {
        let tally = match path {
            "/v1/lookup" => Some(Tally::Lookup(Lookup::Areas)),
            "/v1/feeds/lookup" => Some(Tally::Lookup(Lookup::Feeds)),
            "/police-api/locate-neighbourhood" => Some(Tally::Lookup(Lookup::Police)),
            "/v1/plan"
            | "/v1/plan.geojson"
            | "/v1/plan.csv"
            | "/v1/plan/summary"
            | "/v1/plan/neighbourhoods/{id}" => Some(Tally::Plan),
            _ => None,
        };
        RouteTag { path, tally }
    }
}

/// The tag of `GET /v1/lookup`, answered in front of the router
/// ([`super::front`]), whose answers carry no tag.
const FRONT: RouteTag = RouteTag {
    path: super::front::PATH,
    tally: Some(Tally::Lookup(Lookup::Areas)),
};

/// The method as a label: the methods the API knows, else `other` (a
/// label set stays small whatever clients send).
fn method_label(m: &Method) -> &'static str {
    match m.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

/// Tags a route's answers with its [`RouteTag`].
#[derive(Debug, Clone, Copy)]
pub struct Mark(RouteTag);

impl Mark {
    /// Marks the answers of the route `path`.
    pub fn new(path: &'static str) -> Mark {
        Mark(RouteTag::of(path))
    }
}

/// A route's service whose answers carry its tag.
#[derive(Debug, Clone)]
pub struct Marked<S> {
    inner: S,
    tag: RouteTag,
}

impl<S> Layer<S> for Mark {
    type Service = Marked<S>;
    fn layer(&self, inner: S) -> Marked<S> {
        Marked { inner, tag: self.0 }
    }
}

pin_project_lite::pin_project! {
    /// The answer of a [`Marked`] service.
    pub struct MarkedFuture<F> {
        #[pin]
        inner: F,
        tag: RouteTag,
    }
}

impl<F, B, E> Future for MarkedFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match this.inner.poll(cx) {
            Poll::Ready(Ok(mut answer)) => {
                answer.extensions_mut().insert(*this.tag);
                Poll::Ready(Ok(answer))
            }
            other => other,
        }
    }
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for Marked<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>>,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = MarkedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        MarkedFuture {
            inner: self.inner.call(req),
            tag: self.tag,
        }
    }
}

/// Counts every answer of the service it wraps, by method, route and
/// status, with its duration (to the answer's head), and the lookups and
/// plans among them.
#[derive(Debug, Clone)]
pub struct Metered<S> {
    inner: S,
    metrics: Arc<crate::metrics::Metrics>,
}

/// The layer of [`Metered`].
#[derive(Debug, Clone)]
pub struct MeteredLayer {
    metrics: Arc<crate::metrics::Metrics>,
}

impl MeteredLayer {
    /// Counting into `metrics`.
    pub fn new(metrics: Arc<crate::metrics::Metrics>) -> MeteredLayer {
        MeteredLayer { metrics }
    }
}

impl<S> Layer<S> for MeteredLayer {
    type Service = Metered<S>;
    fn layer(&self, inner: S) -> Metered<S> {
        Metered {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

pin_project_lite::pin_project! {
    /// The answer of a [`Metered`] service.
    pub struct MeteredFuture<F> {
        #[pin]
        inner: F,
        started: Instant,
        method: &'static str,
        front: bool,
        metrics: Arc<crate::metrics::Metrics>,
    }
}

impl<F, B, E> Future for MeteredFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let answer = std::task::ready!(this.inner.poll(cx));
        if let Ok(answer) = &answer {
            let tag = answer
                .extensions()
                .get::<RouteTag>()
                .copied()
                .or(this.front.then_some(FRONT));
            let status = answer.status();
            this.metrics.request(
                this.method,
                tag.map_or(UNMATCHED, |t| t.path),
                status.as_u16(),
                this.started.elapsed().as_secs_f64(),
            );
            if status.is_success() {
                match tag.and_then(|t| t.tally) {
                    Some(Tally::Lookup(kind)) => this.metrics.lookup(kind),
                    Some(Tally::Plan) => this.metrics.plan(),
                    None => {}
                }
            }
        }
        Poll::Ready(answer)
    }
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for Metered<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>>,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = MeteredFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        let front = req.method() == Method::GET && req.uri().path() == super::front::PATH;
        MeteredFuture {
            started: Instant::now(),
            method: method_label(req.method()),
            front,
            metrics: self.metrics.clone(),
            inner: self.inner.call(req),
        }
    }
}

/// This resource's operations: its routes and their description, which
/// the API's operation table gathers for the router and `/api`.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::Operation;
    use axum::routing;
    vec![Operation {
        secured: true,
        ..cx.get(
            "/metrics",
            "Prometheus metrics (text format 0.0.4): requests by route and status, durations, lookups, plans, store lag, webhook backlog and failures, boundary generations, reloads; a reader, planner or integrator token",
            routing::get(metrics),
        )
        .media(crate::metrics::CONTENT_TYPE)
    }]
}
