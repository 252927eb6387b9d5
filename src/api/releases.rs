//! Boundary releases over HTTP: list every layer's generations, stage a
//! new one (planner token), compare it with the generation it replaces
//! (JSON, CSV, GeoJSON; the postcodes that move), the successor proposals
//! for feeds and decisions with planners' confirmations, activation (now
//! or from a date) and withdrawal; and an area's lineage across
//! generations. The operations themselves are [`crate::releases`], shared
//! with the command line.

use super::problem::{ApiProblem, Path};
use super::write::{blocking, if_match, store_write, with_etag, Body, Planner};

use super::{AppState, Params};
use crate::diff::{Diff, Side};
use crate::generations::Generation;
use crate::releases::{self, Choice, ReleaseError, StageRequest};
use crate::served::Served;
use crate::store::{Expect, Release, ReleaseStatus};
use crate::successors::{self, ProposalError, Proposals, DEFAULT_SUCCESSOR_SHARE};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
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

/// One generation of one layer, as listed.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct GenerationView {
    /// Layer id.
    pub layer: String,
    /// Generation number (1: the manifest's file).
    pub generation: i64,
    /// The release it comes from (`None`: the manifest).
    pub release: Option<i64>,
    /// Label.
    pub label: String,
    /// Staged, active or withdrawn.
    pub status: ReleaseStatus,
    /// From when lookups use it (`None` for the manifest's: always).
    pub valid_from: Option<String>,
    /// Until when (the next active generation's `valid_from`).
    pub valid_to: Option<String>,
    /// Whether lookups use it today.
    pub in_effect: bool,
    /// The generation it replaces.
    pub follows: Option<i64>,
    /// How many areas.
    pub areas: Option<usize>,
    /// The file names.
    pub files: Vec<String>,
    /// How many successors planners confirmed.
    pub confirmed: usize,
    /// Why it cannot be used, if it cannot.
    pub problem: Option<String>,
    /// When it was staged.
    pub staged_at: Option<String>,
    /// The release's version: its ETag.
    pub version: i64,
}

impl GenerationView {
    fn of(served: &Served, li: usize, g: &Generation) -> GenerationView {
        let layer = &served.source().region.layers[li];
        let r: Option<&Release> = g.release.as_ref();
        GenerationView {
            layer: layer.id.clone(),
            generation: g.number,
            release: r.map(|r| r.id),
            label: r.map_or_else(
                || format!("{} (region manifest)", layer.title),
                |r| r.label.clone(),
            ),
            status: g.status(),
            valid_from: g.valid_from().map(str::to_string),
            valid_to: g.valid_to.clone(),
            in_effect: served.today().key.get(li) == Some(&g.number),
            follows: r.map(|r| r.follows),
            areas: g.layer.as_ref().ok().map(|l| l.areas.len()),
            files: r.map_or_else(
                || vec![layer.source.display().to_string()],
                |r| r.files.clone(),
            ),
            confirmed: r.map_or(0, |r| r.confirmations.len()),
            problem: g.layer.as_ref().err().cloned(),
            staged_at: r.map(|r| r.created_at.clone()),
            version: r.map_or(0, |r| r.version),
        }
    }
}

/// The answer of `GET /v1/releases`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ReleaseList {
    /// Today's date, as lookups take it (UTC).
    pub today: String,
    /// Every generation of every layer, layer by layer, oldest first.
    pub generations: Vec<GenerationView>,
}

async fn fresh(state: &Arc<AppState>) {
    let s = state.clone();
    let _ = tokio::task::spawn_blocking(move || s.sync_for_read()).await;
}

/// `GET /v1/releases[?layer=]`.
pub async fn list(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q);
    params.only(&["layer"])?;
    let only = params.get("layer")?.map(str::to_string);
    fresh(&state).await;
    let served = state.served.load();
    if let Some(l) = &only {
        if served.region().layer(l).is_none() {
            return Err(ApiProblem::bad_parameter(format!("unknown layer {l:?}")));
        }
    }
    let generations = served
        .generations()
        .layers
        .iter()
        .enumerate()
        .flat_map(|(li, gens)| gens.iter().map(move |g| (li, g)))
        .map(|(li, g)| GenerationView::of(&served, li, g))
        .filter(|g| only.as_ref().is_none_or(|l| *l == g.layer))
        .collect();
    Ok(Json(ReleaseList {
        today: served.day().to_string(),
        generations,
    })
    .into_response())
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
    fresh(&state).await;
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
    let params = Params::parse(q);
    params.only(&["format"])?;
    let format = params.get("format")?.unwrap_or("json").to_string();
    if !matches!(format.as_str(), "json" | "csv" | "geojson") {
        return Err(ApiProblem::bad_parameter(format!(
            "format={format:?}: use json, csv or geojson"
        )));
    }
    fresh(&state).await;
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
    match format.as_str() {
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
                [(header::CONTENT_TYPE, super::openapi::GEOJSON)],
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

fn diff_csv(d: &Diff) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "from",
        "from_name",
        "from_kind",
        "to",
        "to_name",
        "to_kind",
        "ground_share",
        "resident_share",
        "residents",
        "share_of_new",
        "ground_m2",
        "postcodes",
    ]);
    let kind = |side, id: &str| d.area(side, id).map_or("", |a| a.kind.as_str());
    let num = |v: Option<f64>, places: usize| v.map_or(String::new(), |v| format!("{v:.places$}"));
    for p in &d.pairs {
        let _ = w.write_record([
            p.from.as_str(),
            &p.from_name,
            kind(Side::Old, &p.from),
            &p.to,
            &p.to_name,
            kind(Side::New, &p.to),
            &format!("{:.4}", p.ground_share),
            &num(p.resident_share, 4),
            &num(p.residents, 0),
            &format!("{:.4}", p.share_of_new),
            &format!("{:.0}", p.ground_m2),
            &p.postcodes.to_string(),
        ]);
    }
    // Areas in no pair (wholly added or removed) get a row too.
    for a in &d.areas {
        let paired = d.pairs.iter().any(|p| match a.side {
            Side::Old => p.from == a.id,
            Side::New => p.to == a.id,
        });
        if !paired {
            let (from, to) = match a.side {
                Side::Old => ([a.id.as_str(), &a.name, a.kind.as_str()], ["", "", ""]),
                Side::New => (["", "", ""], [a.id.as_str(), &a.name, a.kind.as_str()]),
            };
            let _ = w.write_record(
                from.iter()
                    .chain(to.iter())
                    .chain(["", "", "", "", "", ""].iter()),
            );
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn diff_geojson(
    d: &Diff,
    old: &crate::boundary::Layer,
    new: &crate::boundary::Layer,
    r: &Release,
) -> serde_json::Value {
    let feature = |side: Side, generation: i64, a: &crate::boundary::Area| {
        let change = d.area(side, &a.id);
        let links: Vec<_> = match side {
            Side::Old => d.successors(&a.id).map(|p| serde_json::json!({"id": p.to, "name": p.to_name, "ground_share": p.ground_share, "resident_share": p.resident_share})).collect(),
            Side::New => d.predecessors(&a.id).map(|p| serde_json::json!({"id": p.from, "name": p.from_name, "ground_share": p.ground_share, "resident_share": p.resident_share})).collect(),
        };
        serde_json::json!({
            "type": "Feature",
            "id": format!("{}:{}", generation, a.id),
            "geometry": geojson::Geometry::new(geojson::GeometryValue::from(&a.geometry)),
            "properties": {
                "side": side,
                "generation": generation,
                "id": a.id,
                "name": a.name,
                "kind": change.map(|c| c.kind),
                "residents": change.and_then(|c| c.residents),
                if side == Side::Old { "successors" } else { "predecessors" }: links,
            },
        })
    };
    let features: Vec<_> = old
        .areas
        .iter()
        .map(|a| feature(Side::Old, r.follows, a))
        .chain(
            new.areas
                .iter()
                .map(|a| feature(Side::New, r.generation, a)),
        )
        .collect();
    serde_json::json!({ "type": "FeatureCollection", "layer": d.layer, "features": features })
}

/// `GET /v1/releases/{id}/postcodes`: CSV of every postcode whose area
/// changes (postcode, old area, new area).
pub async fn postcodes(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiProblem> {
    let id = release_id(&id)?;
    fresh(&state).await;
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
    let params = Params::parse(q);
    params.only(&["successor_share"])?;
    let share = share_param(&params)?;
    fresh(&state).await;
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

/// One step of an area's lineage.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Link {
    /// Generation of the linked area.
    pub generation: i64,
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Share of the old area's ground passed.
    pub ground_share: f64,
    /// Share of the old area's residents passed.
    pub resident_share: Option<f64>,
}

/// The area in one generation where it exists.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Incarnation {
    /// Generation number.
    pub generation: i64,
    /// Its status.
    pub status: ReleaseStatus,
    /// The area's name in it.
    pub name: String,
    /// In effect from (`None`: from the start).
    pub valid_from: Option<String>,
    /// Until.
    pub valid_to: Option<String>,
    /// Areas of the previous generation it took ground from.
    pub predecessors: Vec<Link>,
    /// Areas of the next generation its ground went to.
    pub successors: Vec<Link>,
}

/// The answer of `GET /v1/areas/{layer}/{id}/lineage`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Lineage {
    /// Layer id.
    pub layer: String,
    /// Area id.
    pub id: String,
    /// Every generation (staged and active) holding an area with this id.
    pub generations: Vec<Incarnation>,
}

/// `GET /v1/areas/{layer}/{id}/lineage`: predecessors and successors of
/// an area across generations.
pub async fn lineage(
    State(state): State<Arc<AppState>>,
    Path((layer, id)): Path<(String, String)>,
) -> Result<Response, ApiProblem> {
    fresh(&state).await;
    let served = state.served();
    let answer = blocking(move || lineage_of(&served, &layer, &id)).await?;
    Ok(Json(answer).into_response())
}

fn lineage_of(served: &Served, layer: &str, id: &str) -> Result<Lineage, ApiProblem> {
    let (li, _) = served
        .source()
        .region
        .layer(layer)
        .ok_or_else(|| ApiProblem::not_found(format!("no layer {layer:?}")))?;
    let g = served.generations();
    let gens = &g.layers[li];
    let link = |generation: i64, id: &str, name: &str, p: &crate::diff::Pair| Link {
        generation,
        id: id.to_string(),
        name: name.to_string(),
        ground_share: p.ground_share,
        resident_share: p.resident_share,
    };
    let mut out = Vec::new();
    for gen in gens
        .iter()
        .filter(|x| x.status() != ReleaseStatus::Withdrawn)
    {
        let Ok(l) = &gen.layer else { continue };
        let Some(ai) = l.area_index(id) else { continue };
        let predecessors = gen
            .release
            .as_ref()
            .and_then(|r| g.diff(li, r.follows, r.generation).map(|d| (r.follows, d)))
            .map(|(from, d)| {
                d.predecessors(id)
                    .map(|p| link(from, &p.from, &p.from_name, p))
                    .collect()
            })
            .unwrap_or_default();
        let successors = gens
            .iter()
            .filter(|next| {
                next.status() != ReleaseStatus::Withdrawn
                    && next
                        .release
                        .as_ref()
                        .is_some_and(|r| r.follows == gen.number)
            })
            .filter_map(|next| {
                g.diff(li, gen.number, next.number)
                    .map(|d| (next.number, d))
            })
            .flat_map(|(to, d)| {
                d.successors(id)
                    .map(|p| link(to, &p.to, &p.to_name, p))
                    .collect::<Vec<_>>()
            })
            .collect();
        out.push(Incarnation {
            generation: gen.number,
            status: gen.status(),
            name: l.areas[ai].name.clone(),
            valid_from: gen.valid_from().map(str::to_string),
            valid_to: gen.valid_to.clone(),
            predecessors,
            successors,
        });
    }
    if out.is_empty() {
        return Err(ApiProblem::not_found(format!(
            "no area {id:?} in any generation of layer {layer:?}"
        )));
    }
    Ok(Lineage {
        layer: layer.to_string(),
        id: id.to_string(),
        generations: out,
    })
}
