//! Lookups: the areas of every layer at a point (`/v1/lookup`), and the
//! feeds for a point, postcode or place, most specific first
//! (`/v1/feeds/lookup`).

use super::params::{point_param, Params};
use super::problem::ApiProblem;
use super::state::AppState;
use crate::query::{Query, QueryError};
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;

/// `GET /v1/lookup?lat=&lon=`: the areas of every layer at a point.
pub async fn areas(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q);
    params.only(&["lat", "lon"])?;
    let point = point_param(&params)?;
    let served = state.served.load();
    Ok(Json(served.region().answer(point)).into_response())
}

impl From<QueryError> for ApiProblem {
    fn from(e: QueryError) -> Self {
        if e.is_bad_request() {
            ApiProblem::bad_parameter(e.to_string())
        } else {
            ApiProblem::not_found(e.to_string())
        }
    }
}

/// The query given by exactly one of `lat`+`lon`, `postcode` or `q`.
fn query_param(params: &Params) -> Result<Query, ApiProblem> {
    params.only(&["lat", "lon", "postcode", "q"])?;
    let forms = [
        params.get("lat")?.is_some() || params.get("lon")?.is_some(),
        params.get("postcode")?.is_some(),
        params.get("q")?.is_some(),
    ];
    match forms.iter().filter(|&&f| f).count() {
        0 => {
            return Err(ApiProblem::bad_parameter(
                "give lat and lon, or postcode, or q",
            ))
        }
        1 => {}
        _ => {
            return Err(ApiProblem::bad_parameter(
                "give only one of: lat and lon, postcode, q",
            ))
        }
    }
    if let Some(p) = params.get("postcode")? {
        return Ok(Query::Postcode(p.to_string()));
    }
    if let Some(q) = params.get("q")? {
        return Ok(Query::Text(q.to_string()));
    }
    let p = point_param(params)?;
    Ok(Query::Point {
        lat: p.lat,
        lon: p.lon,
    })
}

/// `GET /v1/feeds/lookup?lat=&lon=` | `?postcode=` | `?q=`.
pub async fn feeds(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let query = query_param(&Params::parse(q))?;
    let served = state.served.load();
    Ok(Json(served.feeds_for(&query)?).into_response())
}
