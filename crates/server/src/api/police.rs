//! The data.police.uk-compatible endpoints under `/police-api/` (see
//! [`feedmap_domain::police_api`]): today's boundaries and feeds in data.police.uk's
//! shapes, and its errors: an unknown force or neighbourhood, or a point
//! in no neighbourhood, is a 404 with an empty body.

use super::params::Params;
use super::problem::ApiProblem;
use super::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use feedmap_domain::police_api;
use std::sync::Arc;

/// A found answer as JSON, or data.police.uk's 404: an empty body.
fn found<T: serde::Serialize>(answer: Option<T>) -> Response {
    match answer {
        Some(a) => Json(a).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /police-api/forces`.
pub async fn forces(State(state): State<Arc<AppState>>) -> Response {
    let served = state.served.load();
    Json(police_api::forces(served.today().region())).into_response()
}

/// `GET /police-api/forces/{force}`.
pub async fn force(State(state): State<Arc<AppState>>, Path(force): Path<String>) -> Response {
    let served = state.served.load();
    let view = served.today();
    found(police_api::force_detail(
        view.region(),
        view.feeds(),
        &force,
    ))
}

/// `GET /police-api/{force}/neighbourhoods`.
pub async fn neighbourhoods(
    State(state): State<Arc<AppState>>,
    Path(force): Path<String>,
) -> Response {
    let served = state.served.load();
    found(police_api::neighbourhoods(served.today().region(), &force))
}

/// `GET /police-api/{force}/{neighbourhood}`.
pub async fn neighbourhood(
    State(state): State<Arc<AppState>>,
    Path((force, id)): Path<(String, String)>,
) -> Response {
    let served = state.served.load();
    let view = served.today();
    found(police_api::neighbourhood(
        view.region(),
        view.feeds(),
        &force,
        &id,
    ))
}

/// `GET /police-api/{force}/{neighbourhood}/events`: `[]` for a
/// neighbourhood there is (feedmap holds no events), data.police.uk's
/// empty 404 otherwise.
pub async fn events(
    State(state): State<Arc<AppState>>,
    Path((force, id)): Path<(String, String)>,
) -> Response {
    let served = state.served.load();
    let view = served.today();
    let known = police_api::neighbourhood(view.region(), view.feeds(), &force, &id).is_some();
    found(known.then(Vec::<Event>::new))
}

/// `GET /police-api/{force}/{neighbourhood}/people`: the contacts
/// planners published for it (`[]` when none are).
pub async fn people(
    State(state): State<Arc<AppState>>,
    Path((force, id)): Path<(String, String)>,
) -> Response {
    let served = state.served.load();
    found(police_api::people(served.today(), &force, &id))
}

/// `GET /police-api/{force}/{neighbourhood}/priorities`: the priorities
/// planners published for it (`[]` when none are).
pub async fn priorities(
    State(state): State<Arc<AppState>>,
    Path((force, id)): Path<(String, String)>,
) -> Response {
    let served = state.served.load();
    found(police_api::priorities(served.today(), &force, &id))
}

/// An event as data.police.uk lists one. feedmap holds none, so
/// `/events` is always empty; the shape says what a client would get.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct Event {
    /// Its title.
    pub title: String,
    /// What it is.
    pub description: Option<String>,
    /// Where.
    pub address: Option<String>,
    /// The kind of event (`meeting`, …).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// When it starts (ISO 8601).
    pub start_date: String,
    /// When it ends (ISO 8601).
    pub end_date: Option<String>,
}

/// `GET /police-api/{force}/{neighbourhood}/boundary`.
pub async fn boundary(
    State(state): State<Arc<AppState>>,
    Path((force, id)): Path<(String, String)>,
) -> Response {
    let served = state.served.load();
    found(police_api::boundary(served.today().region(), &force, &id))
}

/// `GET /police-api/locate-neighbourhood?q=lat,lng`: a malformed `q` is a
/// 400 problem (data.police.uk documents no error body for it). Other
/// parameters (a cache-buster `_`, `utm_source`) are ignored, as
/// data.police.uk ignores them.
pub async fn locate(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q.as_deref());
    let q = params
        .get("q")?
        .ok_or_else(|| ApiProblem::bad_parameter("give q=latitude,longitude"))?;
    let point = police_api::parse_q(q).map_err(|e| ApiProblem::bad_parameter(e.to_string()))?;
    let served = state.served.load();
    Ok(found(police_api::locate(served.today().region(), point)))
}

/// This resource's operations (the data.police.uk-compatible reads, with
/// data.police.uk's shapes and its empty-bodied 404): their routes and
/// description, which the API's operation table gathers for the router
/// and `/api`.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::{path, query, required, schema};
    use axum::routing;
    use feedmap_domain::police_api as p;
    use serde_json::json;
    let force_id = || {
        path(
            "force",
            "the force id ([force].id in region.toml)",
            json!(cx
                .ex
                .force
                .clone()
                .unwrap_or_else(|| "example-force".into())),
        )
    };
    let hood = || {
        path(
            "neighbourhood",
            "a neighbourhood id",
            json!(cx.ex.neighbourhood),
        )
    };
    vec![
        cx.get("/police-api/forces", "data.police.uk-compatible: the force this region belongs to (none without [force])", routing::get(forces))
            .answers(schema::<Vec<p::ForceBrief>>),
        cx.get("/police-api/forces/{force}", "data.police.uk-compatible: the force, its force-wide feeds as engagement methods", routing::get(force))
            .answers(schema::<p::ForceDetail>)
            .params(vec![force_id()])
            .bare_404(),
        cx.get("/police-api/{force}/neighbourhoods", "data.police.uk-compatible: the force's neighbourhoods", routing::get(neighbourhoods))
            .answers(schema::<Vec<p::NeighbourhoodBrief>>)
            .params(vec![force_id()])
            .bare_404(),
        cx.get("/police-api/{force}/{neighbourhood}", "data.police.uk-compatible: one neighbourhood, contact_details from its active feeds, community feeds added under `feedmap`", routing::get(neighbourhood))
            .answers(schema::<p::Neighbourhood>)
            .params(vec![force_id(), hood()])
            .bare_404(),
        cx.get("/police-api/{force}/{neighbourhood}/boundary", "data.police.uk-compatible: the neighbourhood's boundary as a list of points", routing::get(boundary))
            .answers(schema::<Vec<p::Coordinates>>)
            .params(vec![force_id(), hood()])
            .bare_404(),
        cx.get("/police-api/{force}/{neighbourhood}/people", "data.police.uk-compatible: the contacts planners published for the neighbourhood (bios as HTML)", routing::get(people))
            .answers(schema::<Vec<p::Person>>)
            .params(vec![force_id(), hood()])
            .bare_404(),
        cx.get("/police-api/{force}/{neighbourhood}/priorities", "data.police.uk-compatible: the neighbourhood's published priorities (texts as HTML)", routing::get(priorities))
            .answers(schema::<Vec<p::PriorityOut>>)
            .params(vec![force_id(), hood()])
            .bare_404(),
        cx.get("/police-api/{force}/{neighbourhood}/events", "data.police.uk-compatible: the neighbourhood's events; always [] (feedmap holds no events)", routing::get(events))
            .answers(schema::<Vec<Event>>)
            .params(vec![force_id(), hood()])
            .bare_404(),
        cx.get("/police-api/locate-neighbourhood", "data.police.uk-compatible: the force and neighbourhood at a point", routing::get(locate))
            .answers(schema::<p::Located>)
            .params(vec![required(
                query("q", "latitude,longitude in decimal degrees", json!({"type": "string"})),
                json!(format!("{},{}", cx.ex.lat, cx.ex.lon)),
            )])
            .bare_404(),
    ]
}
