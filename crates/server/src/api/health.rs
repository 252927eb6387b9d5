//! `/health`: liveness, what is loaded and what the server last saw of the
//! store; `/health/live` and `/health/ready` for a process supervisor or
//! a load balancer.
//!
//! The server listens before it has loaded its region (see
//! [`super::server::serve`]): until then [`super::starting::Starting`]
//! answers every request — `/health/live` 200, `/health/ready` and everything else 503
//! with a problem saying what is not ready yet. Once the region and the
//! store are loaded the router answers, and `/health/ready` is 200 while
//! the store can be read ([`AppState::store_check`]). A failed reload
//! does not make the server unready: the previous region keeps serving.

use super::starting::not_ready;
use super::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;

/// `GET /health/live`: 200 while the process answers HTTP.
pub async fn live() -> Json<LiveAnswer> {
    Json(LiveAnswer { status: "live" })
}

/// The answer of `GET /health/live`.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct LiveAnswer {
    /// Always `live`.
    pub status: &'static str,
}

/// The answer of `GET /health/ready` when ready.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct ReadyAnswer {
    /// Always `ready`.
    pub status: &'static str,
    /// The name of the region served.
    pub region: String,
    /// Always `reachable`: the last read of the store succeeded.
    pub store: &'static str,
    /// Seconds since the store was last read successfully.
    pub store_checked_seconds_ago: f64,
}

/// `GET /health/ready`: 200 while the region is served and the store can
/// be read; 503 with a problem naming what is not (`not_ready`). With the
/// store poll off (`--store-poll 0`) the store is read here; otherwise
/// the poll's last outcome is answered.
pub async fn readiness(State(state): State<Arc<AppState>>) -> Response {
    if state.config.store_poll.is_zero() {
        let s = state.clone();
        let _ = tokio::task::spawn_blocking(move || s.sync_or_stale()).await;
    }
    let check = state.store_check();
    match check.error {
        None => Json(ReadyAnswer {
            status: "ready",
            region: state.served.load().region().name.clone(),
            store: "reachable",
            store_checked_seconds_ago: check.last_ok.elapsed().as_secs_f64(),
        })
        .into_response(),
        Some(e) => not_ready(
            &["store"],
            format!(
                "the store cannot be read ({e}); lookups answer from what was last read, writes and fresh reads fail until it recovers"
            ),
        ),
    }
}

/// `GET /health`: liveness plus what is loaded.
pub async fn health(State(state): State<Arc<AppState>>) -> Response {
    let served = state.served.load();
    let region = served.region();
    let status = state
        .status
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    Json(serde_json::json!({
        "status": "ok",
        "region": region.name,
        "layers": region.layers.len(),
        "areas": region.layers.iter().map(|l| l.areas.len()).sum::<usize>(),
        "load": status,
        "store": {
            "at": state.store.describe(),
            "generation_seen": served.generation(),
            "decisions": served.store().decisions.len(),
        },
        "readiness": feedmap_domain::readiness::of_served(&served),
        "writes": if state.tokens.is_empty() { "disabled: no tokens file" } else { "enabled" },
        "boundaries": {
            "today": served.day(),
            "generations": region
                .layers
                .iter()
                .zip(&served.today().key)
                .map(|(l, n)| (l.id.clone(), serde_json::json!(n)))
                .collect::<serde_json::Map<_, _>>(),
            "next_change": served.generations().next_change_after(served.day()),
        },
    }))
    .into_response()
}

/// This resource's operations: its routes and their description, which
/// the API's operation table gathers for the router and `/api`.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::schema;
    use axum::routing;
    vec![
        cx.get(
            "/health",
            "Liveness, what is loaded, what was last seen of the store",
            routing::get(health),
        ),
        cx.get(
            "/health/live",
            "200 while the process answers HTTP (also while it is starting)",
            routing::get(live),
        )
        .answers(schema::<LiveAnswer>),
        cx.get(
            "/health/ready",
            "200 once the region is served and while the store can be read; else 503 with a problem naming what is not ready",
            routing::get(readiness),
        )
        .answers(schema::<ReadyAnswer>),
    ]
}
