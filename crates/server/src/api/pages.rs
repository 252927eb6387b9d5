//! A neighbourhood's published contacts and priorities over HTTP (see
//! [`feedmap_domain::published`]). Reading is public (everything in a page
//! is published on purpose); setting a list needs a planner token and the
//! `If-Match` of the page read (`"v0"` for a page not yet recorded).

use super::problem::{ApiProblem, Path};
use super::write::{self, if_match, store_write, with_etag, Body, Planner};
use super::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use feedmap_domain::publish::{self as published, PageError, PageView};
use feedmap_store::{Contact, PagePart, Priority};
use serde::Deserialize;
use std::sync::Arc;

impl From<PageError> for ApiProblem {
    fn from(e: PageError) -> ApiProblem {
        match e {
            PageError::NotANeighbourhood(m) => ApiProblem::not_found(m),
            PageError::Invalid(i) => write::bad_field(&i.field, i.message),
            PageError::Store(s) => s.into(),
        }
    }
}

/// `GET /v1/neighbourhoods/{layer}/{id}/page`: the page, with its ETag.
pub async fn read(
    State(state): State<Arc<AppState>>,
    Path((layer, id)): Path<(String, String)>,
) -> Result<Response, ApiProblem> {
    state.fresh().await;
    let p = published::page(&state.served(), &layer, &id)?;
    Ok(with_etag(StatusCode::OK, p.version, p))
}

/// The body of `PUT /v1/neighbourhoods/{layer}/{id}/people`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeopleBody {
    /// Every contact to publish, in order (replaces the list; `[]`
    /// publishes none).
    pub people: Vec<Contact>,
}

/// The body of `PUT /v1/neighbourhoods/{layer}/{id}/priorities`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrioritiesBody {
    /// Every priority, in order (replaces the list).
    pub priorities: Vec<Priority>,
}

async fn set(
    state: Arc<AppState>,
    who: String,
    layer: String,
    id: String,
    headers: &HeaderMap,
    part: PagePart,
) -> Result<Response, ApiProblem> {
    let expect = if_match(headers)?;
    let served = state.served();
    let p = store_write(&state, move |store| {
        match published::set(&served, store, &who, &layer, &id, expect, part) {
            Ok(p) => Ok(Ok(p)),
            Err(PageError::Store(e)) => Err(e),
            Err(e) => Ok(Err(e)),
        }
    })
    .await??;
    Ok(with_etag(StatusCode::OK, p.version, p))
}

/// `PUT /v1/neighbourhoods/{layer}/{id}/people`.
pub async fn people(
    State(state): State<Arc<AppState>>,
    Path((layer, id)): Path<(String, String)>,
    headers: HeaderMap,
    Planner(caller): Planner,
    Body(body): Body<PeopleBody>,
) -> Result<Response, ApiProblem> {
    let part = PagePart::People(body.people);
    set(state, caller.name, layer, id, &headers, part).await
}

/// `PUT /v1/neighbourhoods/{layer}/{id}/priorities`.
pub async fn priorities(
    State(state): State<Arc<AppState>>,
    Path((layer, id)): Path<(String, String)>,
    headers: HeaderMap,
    Planner(caller): Planner,
    Body(body): Body<PrioritiesBody>,
) -> Result<Response, ApiProblem> {
    let part = PagePart::Priorities(body.priorities);
    set(state, caller.name, layer, id, &headers, part).await
}

/// This resource's operations: their routes and description, which the
/// API's operation table gathers for the router and `/api`.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::Verb::*;
    use super::operation::{path, schema, Operation};
    use axum::routing;
    use serde_json::json;
    let params = || {
        vec![
            path(
                "layer",
                "a neighbourhood layer id",
                json!(cx.ex.neighbourhood_layer),
            ),
            path("id", "a neighbourhood id", json!(cx.ex.neighbourhood)),
        ]
    };
    vec![
        cx.get("/v1/neighbourhoods/{layer}/{id}/page", "A neighbourhood's published contacts and priorities, with its ETag (v0 when none are recorded)", routing::get(read))
            .answers(schema::<PageView>)
            .params(params()),
        Operation::new(Put, "/v1/neighbourhoods/{layer}/{id}/people", "Publish a neighbourhood's contacts (the Guarantee's named officers), replacing the list", routing::put(people).layer(cx.limit()))
            .answers(schema::<PageView>)
            .params(params())
            .write(200, Some((schema::<PeopleBody>, json!({ "people": [{
                "name": "PC Sam Ahmed", "rank": "Police Constable",
                "contact_details": { "email": "neighbourhood.team@police.example", "telephone": "0161 872 5050" }
            }] }))), true),
        Operation::new(Put, "/v1/neighbourhoods/{layer}/{id}/priorities", "Publish a neighbourhood's priorities (issue, action, dates), replacing the list", routing::put(priorities).layer(cx.limit()))
            .answers(schema::<PageView>)
            .params(params())
            .write(200, Some((schema::<PrioritiesBody>, json!({ "priorities": [{
                "issue": "Speeding on the main road at school times",
                "issue_date": feedmap_geography::calendar::today(),
                "action": "Speed checks with the community speed watch, twice a week"
            }] }))), true),
    ]
}
