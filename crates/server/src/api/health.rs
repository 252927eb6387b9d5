//! `/health`: liveness, what is loaded and what the server last saw of the
//! store.

use super::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;

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
    use axum::routing;
    vec![cx.get(
        "/health",
        "Liveness, what is loaded, what was last seen of the store",
        routing::get(health),
    )]
}
