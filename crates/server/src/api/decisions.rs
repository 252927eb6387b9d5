//! Planners' decisions over HTTP. Reads are public and always current (each checks the store's
//! generation first); writes need a planner token and, to change or
//! withdraw something, the `If-Match` of the version read.

use super::problem::ApiProblem;
use super::problem::Path;
use super::write::{self, blocking, if_match, store_write, text, with_etag, Body, Planner};
use super::{AppState, Params};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use feedmap_domain::decision::{self, DecisionKind, Target};
use feedmap_domain::plan::PlanParams;
use feedmap_domain::served::Served;
use feedmap_store::{Decision, DecisionPatch, NewDecision};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Longest note, in characters.
pub const MAX_NOTE: usize = 10_000;
/// Longest other text field, in characters.
pub const MAX_TEXT: usize = 1_000;

/// A decision as the API shows it: the stored record plus what it is
/// about in the region being served now.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DecisionView {
    /// The stored decision.
    #[serde(flatten)]
    pub decision: Decision,
    /// The area's (or cluster members') name(s), when still in the region.
    pub area_name: Option<String>,
    /// Whether the area (or a cluster member) has gone from the region
    /// after a boundary update.
    pub vanished: bool,
    /// What is missing, when vanished.
    pub problem: Option<String>,
}

/// Describes a decision against today's region. A decision a boundary
/// release moved to a successor area is shown on that area.
pub fn view(served: &Served, d: Decision) -> DecisionView {
    let d = feedmap_domain::decide::as_today(served, d);
    let region = served.region();
    let (area_name, problem) = match decision::resolve(region, &d.layer, &d.area_id) {
        _ if d.layer == decision::FEEDS_LAYER => match served.feeds().get(&d.area_id) {
            Some(f) => (Some(f.fields.name.clone()), None),
            None => (None, Some(format!("feed {:?} is gone", d.area_id))),
        },
        _ if d.layer == decision::SETTLEMENTS_LAYER => {
            match served.geo().settlements().by_id(&d.area_id) {
                Some(s) => (Some(s.name.clone()), None),
                None => (None, Some(format!("settlement {:?} is gone", d.area_id))),
            }
        }
        Ok(Target::Area(at)) => (
            Some(region.layers[at.layer].areas[at.area].name.clone()),
            None,
        ),
        Ok(Target::Cluster(l, members)) => (
            Some(feedmap_domain::plan::explain::list(
                members
                    .iter()
                    .map(|&a| region.layers[l].areas[a].name.as_str()),
            )),
            None,
        ),
        Err(e) => (None, Some(e.to_string())),
    };
    DecisionView {
        decision: d,
        area_name,
        vanished: problem.is_some(),
        problem,
    }
}

/// `GET /v1/decisions[?layer=]`: every decision, with `vanished` flags.
pub async fn list(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q.as_deref());
    params.only(&["layer"])?;
    let layer = params.get("layer")?.map(str::to_string);
    state.fresh().await;
    let served = state.served();
    let views: Vec<DecisionView> = served
        .store()
        .decisions
        .iter()
        .filter(|d| layer.as_ref().is_none_or(|l| &d.layer == l))
        .map(|d| view(&served, d.clone()))
        .collect();
    let vanished = views.iter().filter(|v| v.vanished).count();
    Ok(Json(DecisionList {
        count: views.len(),
        vanished,
        decisions: views,
    })
    .into_response())
}

/// The answer of `GET /v1/decisions`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DecisionList {
    /// How many.
    pub count: usize,
    /// How many of them are vanished.
    pub vanished: usize,
    /// The decisions, by id.
    pub decisions: Vec<DecisionView>,
}

/// The answer of `DELETE /v1/decisions/{id}`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Withdrawn {
    /// The decision withdrawn.
    pub withdrawn: DecisionView,
}

/// `GET /v1/decisions/{id}`, with its `ETag`.
pub async fn one(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiProblem> {
    let id = parse_id(&id)?;
    let s = state.clone();
    let d = blocking(move || Ok(s.store.decision(id)?))
        .await?
        .ok_or_else(|| ApiProblem::not_found(format!("no decision {id}")))?;
    let served = state.served();
    let version = d.meta.version;
    Ok(with_etag(StatusCode::OK, version, view(&served, d)))
}

fn parse_id(id: &str) -> Result<i64, ApiProblem> {
    id.parse::<i64>().ok().filter(|&i| i > 0).ok_or_else(|| {
        ApiProblem::not_found(format!("no decision {id:?} (ids are positive numbers)"))
    })
}

/// The body of `POST /v1/decisions`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDecisionBody {
    /// Community layer id, or `@feeds` for a decision about a feed in
    /// the consolidation plan.
    pub layer: String,
    /// A community's id, or a cluster's id (member ids joined by `+`), or
    /// (with layer `@feeds`) a feed id.
    pub area_id: Option<String>,
    /// A cluster's id, as the plan gives it (instead of `area_id`).
    pub cluster_id: Option<String>,
    /// `accept`, `reject` or `defer`; may be left out when a `name` is
    /// given (renaming a suggestion not yet decided records it as
    /// deferred: named, still to decide).
    pub decision: Option<DecisionKind>,
    /// Why (optional).
    #[serde(default)]
    pub note: String,
    /// The planner's name for the suggestion (one line, at most 120
    /// characters), shown in the plan instead of the one it made.
    pub name: Option<String>,
    /// The plan parameters (query string) the planner was looking at.
    pub params: Option<String>,
}

/// A planner's name for a suggestion as a body gives it, checked by the
/// domain's rule (`""` removes it).
fn checked_name(name: Option<&str>) -> Result<Option<String>, ApiProblem> {
    decision::name_change(name).map_err(|e| write::bad_field("name", e))
}

pub(crate) fn check_params(query: &str, field: &str) -> Result<(), ApiProblem> {
    text(field, query, MAX_TEXT)?;
    let pairs = Params::parse(Some(query));
    PlanParams::from_pairs(pairs.0.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
        .map(|_| ())
        .map_err(|e| write::bad_field(field, e))
}

/// `POST /v1/decisions`: 201 with the stored decision, its `id`, `ETag`
/// and `Location`; 409 if the area already has a decision (change that one).
pub async fn create(
    State(state): State<Arc<AppState>>,
    Planner(caller): Planner,
    Body(body): Body<NewDecisionBody>,
) -> Result<Response, ApiProblem> {
    let area_id = match (body.area_id, body.cluster_id) {
        (Some(a), None) | (None, Some(a)) => a,
        _ => {
            return Err(write::bad_field(
                "area_id",
                "give exactly one of area_id and cluster_id",
            ))
        }
    };
    text("layer", &body.layer, MAX_TEXT)?;
    text("area_id", &area_id, MAX_TEXT)?;
    text("note", &body.note, MAX_NOTE)?;
    if let Some(p) = &body.params {
        check_params(p, "params")?;
    }
    let name = body
        .name
        .as_deref()
        .map(decision::check_name)
        .transpose()
        .map_err(|e| write::bad_field("name", e))?;
    let kind = decision::new_kind(body.decision, name.is_some()).ok_or_else(|| {
        write::bad_field(
            "decision",
            "give accept, reject or defer (or only a name, to rename a suggestion still to decide)",
        )
    })?;
    let members = match feedmap_domain::decide::new_target(&state.served(), &body.layer, &area_id) {
        Ok(m) => m,
        // A decision a boundary release moved onto this area is its
        // decision now, though stored under the area it was made for.
        Err(e) if e.existing.is_some() => {
            return Err(feedmap_store::StoreError::Exists {
                entity: "decision",
                id: format!("for {}/{area_id}", body.layer),
                existing: e.existing,
            }
            .into())
        }
        Err(e) => return Err(write::bad_field(e.field, e.message)),
    };
    let new = NewDecision {
        layer: body.layer,
        area_id,
        members,
        decision: kind,
        note: body.note,
        name,
        params: body.params,
    };
    let d = store_write(&state, move |store| {
        store.create_decision(&caller.name, new)
    })
    .await?;
    let version = d.meta.version;
    let location = format!("/v1/decisions/{}", d.id);
    let served = state.served();
    let mut r = with_etag(StatusCode::CREATED, version, view(&served, d));
    if let Ok(v) = location.parse() {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

/// The body of `PATCH /v1/decisions/{id}`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionPatchBody {
    /// A new decision.
    pub decision: Option<DecisionKind>,
    /// A new note.
    pub note: Option<String>,
    /// A new name for the suggestion; `""` removes it (the plan's own
    /// name is shown again).
    pub name: Option<String>,
}

/// `PATCH /v1/decisions/{id}` with `If-Match`: changes the decision, its
/// note or its name; 412 if it changed since read.
pub async fn update(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Planner(caller): Planner,
    Body(body): Body<DecisionPatchBody>,
) -> Result<Response, ApiProblem> {
    let id = parse_id(&id)?;
    let expect = if_match(&headers)?;
    if let Some(n) = &body.note {
        text("note", n, MAX_NOTE)?;
    }
    let name = checked_name(body.name.as_deref())?;
    let patch = DecisionPatch {
        decision: body.decision,
        note: body.note,
        name,
    };
    let d = store_write(&state, move |store| {
        store.update_decision(&caller.name, id, expect, patch)
    })
    .await?;
    let served = state.served();
    Ok(with_etag(StatusCode::OK, d.meta.version, view(&served, d)))
}

/// `DELETE /v1/decisions/{id}` with `If-Match`: withdraws the decision
/// (the audit log keeps it); answers with what was withdrawn.
pub async fn delete(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Planner(caller): Planner,
) -> Result<Response, ApiProblem> {
    let id = parse_id(&id)?;
    let expect = if_match(&headers)?;
    let d = store_write(&state, move |store| {
        store.delete_decision(&caller.name, id, expect)
    })
    .await?;
    let served = state.served();
    Ok(Json(Withdrawn {
        withdrawn: view(&served, d),
    })
    .into_response())
}

/// This resource's operations: its routes and their description, which
/// the API's operation table gathers for the router and `/api`.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::Verb::*;
    use super::operation::{path, query, schema, Operation};
    use axum::routing;
    use serde_json::json;
    vec![
        cx.get("/v1/decisions", "Planners' decisions, with vanished flags", routing::get(list).layer(cx.limit()))
            .answers(schema::<DecisionList>)
            .params(vec![query("layer", "only this community layer", json!({"type": "string"}))]),
        Operation::new(Post, "/v1/decisions", "Record a decision about a community or cluster (201)", routing::post(create).layer(cx.limit()))
            .answers(schema::<DecisionView>)
            .write(201, Some((schema::<NewDecisionBody>, json!({ "layer": cx.ex.community_layer, "area_id": cx.ex.community, "decision": "defer", "note": "ask the neighbourhood team" }))), false),
        cx.get("/v1/decisions/{id}", "One decision, with its ETag", routing::get(one).layer(cx.limit()))
            .answers(schema::<DecisionView>)
            .params(vec![path("id", "a decision id", json!("1"))]),
        Operation::new(Patch, "/v1/decisions/{id}", "Change a decision", routing::patch(update).layer(cx.limit()))
            .answers(schema::<DecisionView>)
            .params(vec![path("id", "a decision id", json!("1"))])
            .write(200, Some((schema::<DecisionPatchBody>, json!({ "decision": "accept", "note": "agreed with the team", "name": "Partington" }))), true),
        Operation::new(Delete, "/v1/decisions/{id}", "Withdraw a decision", routing::delete(delete).layer(cx.limit()))
            .answers(schema::<Withdrawn>)
            .params(vec![path("id", "a decision id", json!("1"))])
            .write(200, None, true),
    ]
}
