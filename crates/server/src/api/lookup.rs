//! Lookups: the areas of every layer at a point (`/v1/lookup`), and the
//! feeds for a point, postcode or place, most specific first
//! (`/v1/feeds/lookup`).

use super::params::{point_param, Params};
use super::problem::ApiProblem;
use super::state::AppState;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use feedmap_domain::generations::is_date;
use feedmap_domain::query::{Query, QueryError};
use feedmap_domain::served::{Dated, Served, Upcoming, View};
use std::borrow::Cow;
use std::convert::Infallible;
use std::future::{ready, Ready};
use std::sync::Arc;
use std::task::{Context, Poll};

/// The `at` parameter: the date asked for (default today) and the view
/// of it. Without `at`, today's date and view are borrowed from `served`
/// (the hot path pays nothing for dates: no copy, no count of references
/// the other cores share).
pub fn at_param<'s>(
    params: &Params,
    served: &'s Served,
) -> Result<(Cow<'s, str>, Cow<'s, Arc<View>>), ApiProblem> {
    match params.get("at")? {
        None => Ok((Cow::Borrowed(served.day()), Cow::Borrowed(served.today()))),
        Some(d) if is_date(d) => Ok((Cow::Owned(d.to_string()), Cow::Owned(served.view_at(d)))),
        Some(d) => Err(ApiProblem::bad_parameter(format!(
            "at={d:?} is not a date YYYY-MM-DD"
        ))),
    }
}

/// `GET /v1/lookup?lat=&lon=[&at=]`: the areas of every layer at a point.
pub async fn areas(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    areas_of(&state, q.as_deref())
}

/// The answer of `GET /v1/lookup` to the query string `query`: what
/// [`areas`] answers through the router and [`Lookup`] in front of it.
pub fn areas_of(state: &AppState, query: Option<&str>) -> Result<Response, ApiProblem> {
    let params = Params::parse(query);
    params.only(&["lat", "lon", "at"])?;
    let point = point_param(&params)?;
    let served = state.served.load();
    let (at, view) = at_param(&params, &served)?;
    let upcoming = served.upcoming_at(&at, point);
    let Some(json) = view.geo().answer_json() else {
        return Ok(Json(Dated {
            answer: view.region().answer(point),
            upcoming,
            at: at.into_owned(),
        })
        .into_response());
    };
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        dated_json(json, view.region(), point, &at, upcoming.as_ref())
            .map_err(|e| ApiProblem::internal(format!("the answer did not serialise: {e}")))?,
    )
        .into_response())
}

/// `GET /v1/lookup` as a plain service whose answer is made when it is
/// called (`api::front`).
#[derive(Clone)]
pub struct Lookup {
    state: Arc<AppState>,
}

impl Lookup {
    /// Lookups over `state`.
    pub fn new(state: Arc<AppState>) -> Lookup {
        Lookup { state }
    }
}

impl<B> tower::Service<axum::http::Request<B>> for Lookup {
    type Response = Response;
    type Error = Infallible;
    type Future = Ready<Result<Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: axum::http::Request<B>) -> Self::Future {
        ready(Ok(areas_of(&self.state, req.uri().query()).into_response()))
    }
}

/// The bytes of `Json(Dated { answer: region.answer(point), at, upcoming })`
/// written from `json`'s fragments ([`feedmap_geography::lookup::AnswerJson`]).
pub fn dated_json(
    json: &feedmap_geography::lookup::AnswerJson,
    region: &feedmap_geography::region::Region,
    point: feedmap_geography::lookup::LatLon,
    at: &str,
    upcoming: Option<&Upcoming>,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(1024);
    out.push(b'{');
    json.write_fields(region, point, &mut out);
    out.extend_from_slice(b",\"at\":");
    serde_json::to_writer(&mut out, at)?;
    if let Some(u) = upcoming {
        out.extend_from_slice(b",\"upcoming\":");
        serde_json::to_writer(&mut out, u)?;
    }
    out.push(b'}');
    Ok(out)
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
    params.only(&["lat", "lon", "postcode", "q", "at"])?;
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

/// `GET /v1/feeds/lookup?lat=&lon=` | `?postcode=` | `?q=`, `[&at=]`.
pub async fn feeds(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q.as_deref());
    let query = query_param(&params)?;
    let served = state.served.load();
    let (at, view) = at_param(&params, &served)?;
    let answer = view.feeds_for(&query)?;
    Ok(Json(Dated {
        upcoming: served.upcoming_at(&at, answer.point),
        answer,
        at: at.into_owned(),
    })
    .into_response())
}

/// This resource's operations: its routes and their description, which
/// the API's operation table gathers for the router and `/api`.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::{query, required, schema, with_example};
    use axum::routing;
    use serde_json::json;
    // The feed lookup's example: a postcode where the region has them,
    // else a place name.
    let (postcode, place) = match &cx.ex.postcode {
        Some(pc) => (Some(json!(pc)), None),
        None => (None, Some(json!(cx.ex.community_name))),
    };
    vec![
        cx.get("/v1/lookup", "The areas of every layer at a point", routing::get(areas))
            .answers(schema::<Dated<feedmap_geography::lookup::LookupAnswer>>)
            .params(vec![required(cx.lat(), json!(cx.ex.lat)), required(cx.lon(), json!(cx.ex.lon)), cx.at()]),
        cx.get("/v1/feeds/lookup", "The feeds for a point, postcode or place, most specific first (give lat and lon, or postcode, or q)", routing::get(feeds))
            .answers(schema::<Dated<feedmap_domain::query::FeedAnswer>>)
            .params(vec![
                cx.at(),
                cx.lat(),
                cx.lon(),
                with_example(query("postcode", "a UK postcode, any case or spacing", json!({"type": "string"})), postcode),
                with_example(query("q", "a place name or address", json!({"type": "string"})), place),
            ]),
    ]
}
