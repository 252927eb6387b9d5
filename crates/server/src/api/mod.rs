//! The HTTP API: a thin axum layer that turns requests into library calls
//! and library answers (or errors) into JSON.
//!
//! The current [`Served`](feedmap_domain::served::Served) value sits in an
//! [`ArcSwap`](arc_swap::ArcSwap): each request takes
//! it once, so neither a reload (SIGHUP) nor a store change swapping in a
//! new one ever mixes two regions or two store generations inside one
//! answer, and a failed reload leaves the old one serving.

pub mod audit;
pub mod basemap;
pub mod batch;
pub mod changes;
pub mod decisions;
pub mod embed;
pub mod feeds;
pub mod front;
pub mod guard;
pub mod health;
pub mod listen;
pub mod lookup;
pub mod map;
pub mod metrics;
pub mod ogc;
pub mod openapi;
pub mod operation;
pub mod origin;
pub mod ownership;
pub mod pages;
pub mod params;
pub mod plan;
pub mod police;
pub mod problem;
pub mod question;
pub mod releases;
pub mod request_id;
pub mod server;
pub mod settlements;
pub mod starting;
pub mod state;
pub mod webhooks;
pub mod write;

pub use params::{point_param, Params};
pub use server::{open_store, serve, ServeError};
pub use state::{AppState, LoadStatus, ReloadError};

use axum::response::IntoResponse;
use axum::Router;
use problem::ApiProblem;
use std::sync::Arc;
use tower::Layer;

/// GeoJSON's media type.
pub const GEOJSON: &str = "application/geo+json";

/// A CSV answer offered as a download named `filename`.
pub(crate) fn csv_download(
    filename: &str,
    body: impl Into<axum::body::Body>,
) -> axum::response::Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body.into(),
    )
        .into_response()
}

/// CORS for the public reads: `origins` holds `*` (any origin) or the
/// origins allowed; GET and HEAD, no credentials, preflights cached an
/// hour. Two layers: the whole policy for preflights (`OPTIONS`), and for
/// the reads themselves only what an answer carries (the allowed origin,
/// `Vary`) — the same headers, from a layer that copies no shared header
/// values when axum clones a route's stack for each request.
pub(crate) fn cors(
    origins: &[String],
) -> (tower_http::cors::CorsLayer, tower_http::cors::CorsLayer) {
    use tower_http::cors::{AllowOrigin, Any, CorsLayer};
    let any = origins.iter().any(|o| o == "*");
    let allow = if any {
        AllowOrigin::from(Any)
    } else {
        // Checked by the config: every one is a valid header value.
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| axum::http::HeaderValue::from_str(o).ok()),
        )
    };
    let mut read = CorsLayer::new().allow_origin(allow);
    // With any origin allowed the answer does not vary by origin, so
    // caches need no Vary header (and lookups send fewer bytes).
    if any {
        read = read.vary([]);
    }
    let preflight = read
        .clone()
        .allow_methods([axum::http::Method::GET, axum::http::Method::HEAD])
        .allow_headers([axum::http::header::ACCEPT])
        .max_age(std::time::Duration::from_secs(3600));
    (read, preflight)
}

/// The whole HTTP application: [`router`], with `GET /v1/lookup` answered
/// in front of it ([`front::Front`]), behind what every request passes
/// first — the trace layer (its span, [`request_id::RequestSpan`],
/// recorded only when its lines are logged), the count of every answer for
/// `/metrics` ([`metrics::Metered`]), panics caught as 500 problems, the
/// per-client rate limit ([`guard::Limited`]). These wrap the router as
/// one service rather than being layered onto it, since axum layers a
/// router's every route separately (another boxed service cloned, another
/// boxed future, per request). The request id is set in front of this,
/// where the server listens ([`request_id::with_ids`]).
pub type App = tower_http::trace::Trace<
    metrics::Metered<
        tower_http::catch_panic::CatchPanic<
            guard::Guarded<front::Front, guard::Limited>,
            PanicProblem,
        >,
    >,
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    request_id::RequestSpan,
>;

/// The application over shared state; see [`App`].
pub fn app(state: Arc<AppState>) -> App {
    tower::ServiceBuilder::new()
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(request_id::RequestSpan),
        )
        .layer(metrics::MeteredLayer::new(state.metrics.clone()))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            PanicProblem,
        ))
        .layer(guard::Limited::new(state.clone()))
        .service(front::Front::new(
            cors(&state.config.cors_origins).0,
            lookup::Lookup::new(state.clone()),
            router(state),
        ))
}

/// A panic's answer: a 500 problem (the panic's message goes to standard
/// error as Rust prints it; the problem's constructor logs, through
/// `tracing`, that one was answered).
#[derive(Debug, Clone, Copy)]
pub struct PanicProblem;

impl tower_http::catch_panic::ResponseForPanic for PanicProblem {
    type ResponseBody = axum::body::Body;

    fn response_for_panic(
        &mut self,
        _panic: Box<dyn std::any::Any + Send + 'static>,
    ) -> axum::http::Response<axum::body::Body> {
        ApiProblem::internal("the server failed on this request; it has been logged")
            .into_response()
    }
}

/// Builds the router over shared state: every operation of
/// [`openapi::operations`] (the same table `/api` describes), and problems
/// for unknown routes and methods. [`app`] puts it behind the layers every
/// request passes.
pub fn router(state: Arc<AppState>) -> Router {
    let examples = operation::Examples::of(&state.served());
    let mut router = Router::new();
    let limit = state.config.request_timeout;
    let (cors, preflight) = cors(&state.config.cors_origins);
    for mut op in openapi::operations(&state.config, &examples) {
        // Pages on other origins may call the public reads (the widget,
        // integrators' sites), never the writes or the secured reads.
        // (An OPTIONS route of their own, so a preflight reaches the CORS
        // layer rather than the router's 405.) The layers of a route are
        // composed into one service before axum boxes it: each `.layer`
        // on a route or router is another boxed service cloned and
        // another boxed future allocated per request. Outermost, the
        // route's template is put on its answers, for `/metrics`.
        let public = !op.write && !op.secured;
        let mark = metrics::Mark::new(op.path);
        op.handler = match (public, op.untimed) {
            (true, false) => op.handler.layer(
                tower::ServiceBuilder::new()
                    .layer(mark)
                    .layer(guard::Timed::new(limit))
                    .layer(cors.clone()),
            ),
            (true, true) => op
                .handler
                .layer(tower::ServiceBuilder::new().layer(mark).layer(cors.clone())),
            (false, false) => op.handler.layer(
                tower::ServiceBuilder::new()
                    .layer(mark)
                    .layer(guard::Timed::new(limit)),
            ),
            (false, true) => op.handler.layer(mark),
        };
        if public {
            use axum::handler::HandlerWithoutStateExt;
            let answer = || async { axum::http::StatusCode::NO_CONTENT };
            // A public write that takes no token (the question's answers,
            // the batch) is preflighted for POST with its body's type: a
            // widget on a force's site sends it.
            let preflight = match op.verb {
                operation::Verb::Post => preflight
                    .clone()
                    .allow_methods([axum::http::Method::POST])
                    .allow_headers([axum::http::header::ACCEPT, axum::http::header::CONTENT_TYPE]),
                _ => preflight.clone(),
            };
            op.handler = op
                .handler
                .options_service(mark.layer(preflight.layer(answer.into_service())));
        }
        router = router.route(op.path, op.handler);
    }
    router
        .fallback(|uri: axum::http::Uri| async move {
            // Under /police-api/, data.police.uk's 404: an empty body.
            if uri.path().starts_with("/police-api/") {
                axum::http::StatusCode::NOT_FOUND.into_response()
            } else {
                ApiProblem::not_found("no such resource; see / for the API's links").into_response()
            }
        })
        .method_not_allowed_fallback(|| async { ApiProblem::method_not_allowed() })
        .with_state(state)
}
