//! Plan endpoints: the plan as JSON, as GeoJSON of the suggested feed areas,
//! and as CSV, each tuned by the same query parameters.

use super::problem::ApiProblem;
use super::{AppState, Params};
use crate::plan::{self, Plan, PlanError, PlanParams};
use crate::region::Region;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;

impl From<PlanError> for ApiProblem {
    fn from(e: PlanError) -> Self {
        ApiProblem::bad_parameter(e.to_string())
    }
}

/// Parses the parameters and plans off the async threads (a national plan
/// takes a while), handing the region along for the exports.
async fn planned(
    state: Arc<AppState>,
    query: Option<String>,
) -> Result<(Plan, Arc<Region>), ApiProblem> {
    let params = Params::parse(query);
    let params = PlanParams::from_pairs(params.0.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| ApiProblem::from(PlanError::from(e)))?;
    let region = state.region.load_full();
    tokio::task::spawn_blocking(move || {
        let p = plan::plan(&region, &params)?;
        Ok((p, region))
    })
    .await
    .map_err(|e| ApiProblem::internal(format!("planning failed: {e}")))?
    .map_err(|e: PlanError| ApiProblem::from(e))
}

fn internal(detail: String) -> Response {
    ApiProblem::internal(detail).into_response()
}

/// `GET /v1/plan?…`: the whole plan as JSON.
pub async fn json(State(state): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Response {
    match planned(state, q).await {
        Ok((p, _)) => Json(p).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /v1/plan.geojson?…`: the suggested feed areas.
pub async fn geojson(State(state): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Response {
    match planned(state, q).await {
        Ok((p, region)) => {
            let mut body = Vec::new();
            match plan::export::write_geojson(&p, &region, &mut body) {
                Ok(()) => ([(header::CONTENT_TYPE, "application/geo+json")], body).into_response(),
                Err(e) => internal(format!("writing the GeoJSON failed: {e}")),
            }
        }
        Err(e) => e.into_response(),
    }
}

/// `GET /v1/plan.csv?…`: one row per suggestion.
pub async fn csv(State(state): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Response {
    match planned(state, q).await {
        Ok((p, _)) => match plan::export::csv(&p) {
            Ok(body) => (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"feedmap-plan.csv\"",
                    ),
                ],
                body,
            )
                .into_response(),
            Err(e) => internal(format!("writing the CSV failed: {e}")),
        },
        Err(e) => e.into_response(),
    }
}
