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
    .map_err(|e| {
        ApiProblem::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            format!("planning failed: {e}"),
        )
    })?
    .map_err(|e: PlanError| ApiProblem::from(e))
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
        Ok((p, region)) => (
            [(header::CONTENT_TYPE, "application/geo+json")],
            plan::export::geojson(&p, &region).to_string(),
        )
            .into_response(),
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
            Err(e) => ApiProblem::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                format!("writing the CSV failed: {e}"),
            )
            .into_response(),
        },
        Err(e) => e.into_response(),
    }
}
