//! Boundary releases over HTTP: list every layer's generations, stage a
//! new one (planner token), compare it with the generation it replaces
//! (JSON, CSV, GeoJSON; the postcodes that move), the successor proposals
//! for feeds and decisions with planners' confirmations, activation (now
//! or from a date) and withdrawal; and an area's lineage across
//! generations. The operations themselves are [`feedmap_domain::releases`], shared
//! with the command line.

use super::problem::{ApiProblem, Path};
use super::write::{blocking, if_match, store_write, with_etag, Body, Planner};

use super::{AppState, Params};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use feedmap_domain::diff::Diff;
use feedmap_domain::releases::{
    self, diff_csv, diff_geojson, Choice, GenerationView, ReleaseError, StageRequest,
};
use feedmap_domain::served::Served;
use feedmap_domain::successors::{self, ProposalError, Proposals, DEFAULT_SUCCESSOR_SHARE};
use feedmap_store::Expect;
use serde::{Deserialize, Deserializer, Serialize};
use std::sync::Arc;

/// Largest release body accepted (the files travel inside the JSON).
pub const MAX_RELEASE_BYTES: usize = 256 * 1024 * 1024;

impl From<ReleaseError> for ApiProblem {
    fn from(e: ReleaseError) -> ApiProblem {
        match e {
            ReleaseError::UnknownLayer(..) => ApiProblem::bad_parameter(e.to_string()),
            ReleaseError::BadField { field, detail } => super::write::bad_field(field, detail),
            ReleaseError::Invalid(problems) => ApiProblem::new(
                StatusCode::BAD_REQUEST,
                "invalid-release",
                "Invalid boundary files",
                format!(
                    "{} problem(s) in the release; nothing was stored",
                    problems.len()
                ),
            )
            .with_member(
                "problems",
                serde_json::to_value(&problems).unwrap_or_default(),
            ),
            ReleaseError::Proposal(p) => p.into(),
            ReleaseError::NotFound(what) => ApiProblem::not_found(what),
            ReleaseError::Store(s) => s.into(),
        }
    }
}

impl From<ProposalError> for ApiProblem {
    fn from(e: ProposalError) -> ApiProblem {
        match e {
            ProposalError::NotFound(_) => ApiProblem::not_found(e.to_string()),
            ProposalError::Unusable(..) => ApiProblem::new(
                StatusCode::CONFLICT,
                "conflict",
                "Release unusable",
                e.to_string(),
            ),
        }
    }
}

/// `GET /v1/releases[?layer=]`.
pub async fn list(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q.as_deref());
    params.only(&["layer"])?;
    let only = params.get("layer")?.map(str::to_string);
    state.fresh().await;
    let served = state.served.load();
    if let Some(l) = &only {
        if served.region().layer(l).is_none() {
            return Err(ApiProblem::bad_parameter(format!("unknown layer {l:?}")));
        }
    }
    Ok(Json(releases::list(&served, only.as_deref())).into_response())
}

fn generation_of(served: &Served, id: i64) -> Result<GenerationView, ApiProblem> {
    let (li, g) = served
        .generations()
        .release(id)
        .ok_or_else(|| ApiProblem::not_found(format!("no release {id}")))?;
    Ok(GenerationView::of(served, li, g))
}

fn release_id(raw: &str) -> Result<i64, ApiProblem> {
    raw.parse()
        .map_err(|_| ApiProblem::not_found(format!("no release {raw:?}")))
}

/// `GET /v1/releases/{id}`.
pub async fn one(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiProblem> {
    let id = release_id(&id)?;
    state.fresh().await;
    let view = generation_of(&state.served.load(), id)?;
    Ok(with_etag(StatusCode::OK, view.version, view))
}

/// `POST /v1/releases`: stage a new generation (201). Invalid files are
/// refused whole, every problem listed.
pub async fn stage(
    State(state): State<Arc<AppState>>,
    Planner(who): Planner,
    Body(req): Body<StageRequest>,
) -> Result<Response, ApiProblem> {
    let s = state.clone();
    let release = blocking(move || {
        s.sync_or_stale();
        let served = s.served();
        let r = releases::stage(&served, &*s.store, &who.name, req)?;
        s.sync_or_stale();
        Ok(r)
    })
    .await?;
    let view = generation_of(&state.served.load(), release.id)?;
    let mut r = with_etag(StatusCode::CREATED, view.version, view);
    if let Ok(v) = format!("/v1/releases/{}", release.id).parse() {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

/// `GET /v1/releases/{id}/diff[?format=json|csv|geojson]`.
pub async fn diff(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let id = release_id(&id)?;
    let params = Params::parse(q.as_deref());
    params.only(&["format"])?;
    let format = params.format(&["csv", "geojson"])?;
    state.fresh().await;
    let served = state.served();
    let (li, d) = blocking({
        let served = served.clone();
        move || Ok(successors::release_diff(&served, id)?)
    })
    .await?;
    let gen = served
        .generations()
        .get_release(id)
        .ok_or_else(|| ApiProblem::not_found(format!("no release {id}")))?;
    match format {
        "csv" => Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            diff_csv(&d),
        )
            .into_response()),
        "geojson" => {
            let old = served.generations().get(li, gen.follows);
            let new = served.generations().get(li, gen.generation);
            let (Some(Ok(old)), Some(Ok(new))) = (old.map(|g| &g.layer), new.map(|g| &g.layer))
            else {
                return Err(ApiProblem::not_found(format!(
                    "release {id} does not build"
                )));
            };
            Ok((
                [(header::CONTENT_TYPE, super::GEOJSON)],
                diff_geojson(&d, old, new, gen).to_string(),
            )
                .into_response())
        }
        _ => Ok(Json(DiffAnswer {
            release: id,
            from_generation: gen.follows,
            to_generation: gen.generation,
            diff: &d,
        })
        .into_response()),
    }
}

/// The answer of `GET /v1/releases/{id}/diff`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DiffAnswer<'a> {
    /// Release id.
    pub release: i64,
    /// The generation replaced.
    pub from_generation: i64,
    /// The generation compared.
    pub to_generation: i64,
    /// The diff.
    #[serde(flatten)]
    pub diff: &'a Diff,
}

/// `GET /v1/releases/{id}/postcodes`: CSV of every postcode whose area
/// changes (postcode, old area, new area).
pub async fn postcodes(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiProblem> {
    let id = release_id(&id)?;
    state.fresh().await;
    let served = state.served();
    let (_, d) = blocking(move || Ok(successors::release_diff(&served, id)?)).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["postcode", "from", "to"]);
    for m in &d.postcode_moves {
        let _ = w.write_record([
            m.postcode.as_str(),
            m.from.as_deref().unwrap_or(""),
            m.to.as_deref().unwrap_or(""),
        ]);
    }
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        w.into_inner().unwrap_or_default(),
    )
        .into_response())
}

fn share_param(params: &Params) -> Result<f64, ApiProblem> {
    match params.get("successor_share")? {
        None => Ok(DEFAULT_SUCCESSOR_SHARE),
        Some(v) => v
            .parse::<f64>()
            .ok()
            .filter(|x| (0.5..=1.0).contains(x))
            .ok_or_else(|| {
                ApiProblem::bad_parameter(format!("successor_share={v:?}: a share from 0.5 to 1"))
            }),
    }
}

/// `GET /v1/releases/{id}/proposals[?successor_share=]`.
pub async fn proposals(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let id = release_id(&id)?;
    let params = Params::parse(q.as_deref());
    params.only(&["successor_share"])?;
    let share = share_param(&params)?;
    state.fresh().await;
    let served = state.served();
    let p: Proposals = blocking(move || Ok(successors::proposals(&served, id, share)?)).await?;
    Ok(Json(p).into_response())
}

fn explicit<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The body of `PUT /v1/releases/{id}/proposals/{subject}`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    /// The successor: an area (or `+`-joined cluster) id of the new
    /// generation; `null` for none (it stays listed with its problem);
    /// absent to confirm the proposal.
    #[serde(default, deserialize_with = "explicit")]
    #[schemars(with = "Option<String>")]
    pub to: Option<Option<String>>,
}

/// `PUT /v1/releases/{id}/proposals/{subject}`: confirm or override one
/// proposal (`If-Match`: the proposal's version, `"v0"` before any).
pub async fn confirm(
    State(state): State<Arc<AppState>>,
    Planner(who): Planner,
    Path((id, subject)): Path<(String, String)>,
    headers: HeaderMap,
    Body(body): Body<ConfirmBody>,
) -> Result<Response, ApiProblem> {
    let id = release_id(&id)?;
    let expect = if_match(&headers)?;
    let choice = match body.to {
        None => Choice::Proposal,
        Some(None) => Choice::None,
        Some(Some(to)) => Choice::Area(to),
    };
    let s = state.clone();
    let sub = subject.clone();
    blocking(move || {
        s.sync_or_stale();
        let served = s.served();
        let r = releases::confirm(&served, &*s.store, &who.name, id, &sub, expect, choice)?;
        s.sync_or_stale();
        Ok(r)
    })
    .await?;
    let served = state.served();
    let p = successors::proposals(&served, id, DEFAULT_SUCCESSOR_SHARE)?;
    let one = p
        .proposals
        .into_iter()
        .find(|p| p.subject == subject)
        .ok_or_else(|| ApiProblem::not_found(format!("no proposal {subject}")))?;
    Ok(with_etag(StatusCode::OK, one.version, one))
}

/// The body of `POST /v1/releases/{id}/activate`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivateBody {
    /// From when lookups use it (`YYYY-MM-DD`); default today. A later
    /// date schedules it: until then answers say what will change.
    #[serde(default)]
    pub valid_from: Option<String>,
}

/// The answer of `POST /v1/releases/{id}/activate`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Activated {
    /// The generation, now active.
    pub release: GenerationView,
    /// Feeds and decisions moved to their confirmed successors.
    pub moved: usize,
    /// Feeds and decisions with no confirmed successor, still attached to
    /// their old areas and listed with their problem: what needs a person.
    pub waiting: Vec<String>,
}

/// `POST /v1/releases/{id}/activate` (`If-Match`: the release's ETag).
pub async fn activate(
    State(state): State<Arc<AppState>>,
    Planner(who): Planner,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body<ActivateBody>,
) -> Result<Response, ApiProblem> {
    let id = release_id(&id)?;
    let expect = if_match(&headers)?;
    let s = state.clone();
    let (release, waiting) = blocking(move || {
        s.sync_or_stale();
        let served = s.served();
        let out = releases::activate(
            &served,
            &*s.store,
            &who.name,
            id,
            expect,
            body.valid_from.as_deref(),
        )?;
        s.sync_or_stale();
        Ok(out)
    })
    .await?;
    let served = state.served();
    let view = generation_of(&served, id)?;
    Ok(with_etag(
        StatusCode::OK,
        view.version,
        Activated {
            release: view,
            moved: release.migrations.len(),
            waiting,
        },
    ))
}

/// `POST /v1/releases/{id}/withdraw` (`If-Match`).
pub async fn withdraw(
    State(state): State<Arc<AppState>>,
    Planner(who): Planner,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiProblem> {
    let id = release_id(&id)?;
    let expect: Expect = if_match(&headers)?;
    store_write(&state, move |store| {
        store.withdraw_release(&who.name, id, expect)
    })
    .await?;
    let view = generation_of(&state.served.load(), id)?;
    Ok(with_etag(StatusCode::OK, view.version, view))
}

/// `GET /v1/areas/{layer}/{id}/lineage`: predecessors and successors of
/// an area across generations.
pub async fn lineage(
    State(state): State<Arc<AppState>>,
    Path((layer, id)): Path<(String, String)>,
) -> Result<Response, ApiProblem> {
    state.fresh().await;
    let served = state.served();
    let answer = blocking(move || Ok(releases::lineage(&served, &layer, &id)?)).await?;
    Ok(Json(answer).into_response())
}

/// This resource's operations: its routes and their description, which
/// the API's operation table gathers for the router and `/api`.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::Verb::*;
    use super::operation::{path, query, schema, Operation};
    use axum::routing;
    use serde_json::json;
    vec![
        cx.get("/v1/releases", "Every layer's boundary generations: the manifest's, staged, active (scheduled) and withdrawn releases", routing::get(list))
            .answers(schema::<feedmap_domain::releases::ReleaseList>)
            .params(vec![query("layer", "only this layer", json!({"type": "string", "enum": cx.ex.layers}))]),
        Operation::new(Post, "/v1/releases", "Stage a new generation of a layer's boundaries (201): validated whole, stored, not used by lookups until activated", routing::post(stage).layer(axum::extract::DefaultBodyLimit::max(MAX_RELEASE_BYTES)))
            .untimed()
            .answers(schema::<feedmap_domain::releases::GenerationView>)
            .write(201, Some((schema::<feedmap_domain::releases::StageRequest>, cx.ex.release_body())), false),
        cx.get("/v1/releases/{id}", "One generation, with its ETag", routing::get(one))
            .answers(schema::<feedmap_domain::releases::GenerationView>)
            .params(vec![path("id", "a release id", json!(cx.ex.release_id("read")))]),
        cx.get("/v1/releases/{id}/diff", "What the release changes against the generation it replaces, per area: kind, ground and resident shares, postcodes", routing::get(diff))
            .answers(schema::<DiffAnswer>)
            .params(vec![
                path("id", "a release id", json!(cx.ex.release_id("read"))),
                query("format", "json (default), csv (one row per old → new pair) or geojson (old and new areas)", json!({"type": "string", "enum": ["json", "csv", "geojson"]})),
            ]),
        cx.get("/v1/releases/{id}/postcodes", "Every postcode whose area the release changes (CSV)", routing::get(postcodes))
            .media("text/csv")
            .params(vec![path("id", "a release id", json!(cx.ex.release_id("read")))]),
        cx.get("/v1/releases/{id}/proposals", "The proposed successor of every feed, decision and neighbourhood page on the layer, with planners' confirmations", routing::get(proposals))
            .answers(schema::<feedmap_domain::successors::Proposals>)
            .params(vec![
                path("id", "a release id", json!(cx.ex.release_id("read"))),
                query("successor_share", "share of residents a new area must receive to be proposed (default 0.75)", json!({"type": "number", "minimum": 0.5, "maximum": 1})),
            ]),
        Operation::new(Put, "/v1/releases/{id}/proposals/{subject}", "Confirm a proposal, or choose another successor (or none)", routing::put(confirm).layer(cx.limit()))
            .answers(schema::<feedmap_domain::successors::Proposal>)
            .params(vec![
                path("id", "a release id", json!(cx.ex.release_id("confirm"))),
                path("subject", "feed:ID, decision:ID or page:AREA", json!(cx.ex.subject())),
            ])
            .write(200, Some((schema::<ConfirmBody>, cx.ex.confirm_body())), true),
        Operation::new(Post, "/v1/releases/{id}/activate", "Activate a staged release, now or from valid_from, moving the confirmed successors in one transaction", routing::post(activate).layer(cx.limit()))
            .answers(schema::<Activated>)
            .params(vec![path("id", "a release id", json!(cx.ex.release_id("activate")))])
            .write(200, Some((schema::<ActivateBody>, json!({}))), true),
        Operation::new(Post, "/v1/releases/{id}/withdraw", "Withdraw a staged release (it stays listed, never used)", routing::post(withdraw).layer(cx.limit()))
            .answers(schema::<feedmap_domain::releases::GenerationView>)
            .params(vec![path("id", "a release id", json!(cx.ex.release_id("withdraw")))])
            .write(200, None, true),
        cx.get("/v1/areas/{layer}/{id}/lineage", "An area's predecessors and successors across boundary generations", routing::get(lineage))
            .answers(schema::<feedmap_domain::releases::Lineage>)
            .params(vec![cx.layer("layer"), path("id", "an area id", json!(cx.ex.community))]),
    ]
}
