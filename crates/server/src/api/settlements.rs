//! `GET /v1/settlements`: where people live, as discovered from the
//! region's residential points ([`feedmap_geography::settlements`]).

use super::params::Params;
use super::problem::ApiProblem;
use super::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The settlements of the region served today (default discovery
/// parameters), as GeoJSON, most points first. An empty collection when
/// the region has no residential points.
pub async fn list(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    Params::parse(q.as_deref()).only(&[])?;
    let served = state.served.load();
    let body = axum::body::Bytes::from_owner(served.geo().settlements_geojson().clone());
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body).into_response())
}

/// This resource's operations: its routes and their description, which
/// the API's operation table gathers for the router and `/api`.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::schema;
    use axum::routing;
    vec![
        cx.get("/v1/settlements", "Settlements discovered from the region's residential points (postcodes chained within 200 m, at least 5): outline, residents, gap and isolation, name and where it came from; GeoJSON", routing::get(list))
            .answers(schema::<feedmap_geography::settlements::SettlementCollection>)
            .media("application/geo+json"),
    ]
}
