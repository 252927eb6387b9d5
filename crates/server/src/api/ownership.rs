//! Who owns each feed, over HTTP: a feed's owner (names need a token) and
//! its change, handovers and their checklist, activity (a platform's CSV
//! export, or days posted per feed), feed health and the Neighbourhood
//! Policing Guarantee view, public verification and the open register of
//! official accounts, and the consolidation plan. The logic is in the
//! library (`health`, `verify`, `handover`, `consolidate`, `activity`);
//! these handlers only read parameters and shape answers.

use super::problem::{ApiProblem, Path};
use super::write::{bad_field, blocking, if_match, store_write, with_etag, Body, Planner, Viewer};
use super::{AppState, Params};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use feedmap_domain::consolidate::{self, ConsolidationParams};
use feedmap_domain::handover::{self, HandoverError, HandoverView, StartRequest};
use feedmap_domain::health::{self, HealthParams};
use feedmap_domain::settings;
use feedmap_domain::verify;
use feedmap_store::{ActivityDay, Handover, HandoverStatus, Ownership, Verification};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Largest activity CSV accepted.
pub const MAX_ACTIVITY_BYTES: usize = 64 * 1024 * 1024;

impl From<HandoverError> for ApiProblem {
    fn from(e: HandoverError) -> ApiProblem {
        match e {
            HandoverError::NotFound(what) => ApiProblem::not_found(what),
            HandoverError::Invalid(problems) => ApiProblem::new(
                StatusCode::BAD_REQUEST,
                "bad-body",
                "Invalid body",
                problems.join("; "),
            )
            .with_member("problems", serde_json::json!(problems)),
            HandoverError::Store(s) => s.into(),
        }
    }
}

fn health_params(
    served: &feedmap_domain::served::Served,
    params: &Params,
) -> Result<HealthParams, ApiProblem> {
    HealthParams::from_pairs(served.day(), &params.owned()).map_err(ApiProblem::bad_parameter)
}

/// `GET /v1/feeds/health`: every feed's findings (JSON, or `format=csv`
/// one row per finding); administrators' names only with a token.
pub async fn health(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q.as_deref());
    let mut allowed = settings::names(HealthParams::SETTINGS);
    allowed.push("format");
    params.only(&allowed)?;
    let format = params.format(&["csv"])?;
    state.fresh().await;
    let served = state.served();
    let p = health_params(&served, &params)?;
    let report = health::report(&served, &p, viewer.sees_names());
    Ok(match format {
        "csv" => super::csv_download("feed-health.csv", health::csv(&report)),
        _ => Json(report).into_response(),
    })
}

/// `GET /v1/guarantee`: per neighbourhood, an active feed, a published
/// contact residents can reach, an update within `update_days` (default
/// 90) and priorities within `priority_days` (default 92).
pub async fn guarantee(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q.as_deref());
    params.only(&["at", "update_days", "priority_days"])?;
    state.fresh().await;
    let served = state.served();
    let p = health_params(&served, &params)?;
    Ok(Json(health::guarantee(&served, &p)).into_response())
}

/// `GET /v1/verify?handle=@x[&platform=x]`: whether a handle is one of the
/// force's accounts. An unknown handle is a normal answer.
pub async fn verify(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q.as_deref());
    params.only(&["handle", "platform", "at"])?;
    let handle = params
        .get("handle")?
        .map(str::trim)
        .filter(|h| !h.is_empty() && h.chars().count() <= 200)
        .ok_or_else(|| {
            ApiProblem::bad_parameter(
                "handle is required (1 to 200 characters), e.g. handle=@GMPTrafford",
            )
        })?
        .to_string();
    let platform = params
        .get("platform")?
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty());
    state.fresh().await;
    let served = state.served();
    let view = super::lookup::at_param(&params, &served)?.1;
    Ok(Json(verify::verify(&view, &handle, platform.as_deref())).into_response())
}

/// The answer of `GET /v1/register`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Register {
    /// As of.
    pub at: String,
    /// How many.
    pub count: usize,
    /// Every active and retired account, active first.
    pub accounts: Vec<verify::Account>,
}

/// `GET /v1/register[?format=csv]`: the open register of the force's
/// accounts (public fields only).
pub async fn register(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q.as_deref());
    params.only(&["format", "at"])?;
    let format = params.format(&["csv"])?;
    state.fresh().await;
    let served = state.served();
    let (at, view) = super::lookup::at_param(&params, &served)?;
    let accounts = verify::register(&view);
    Ok(match format {
        "csv" => super::csv_download("official-accounts.csv", verify::register_csv(&accounts)),
        _ => Json(Register {
            at: at.into_owned(),
            count: accounts.len(),
            accounts,
        })
        .into_response(),
    })
}

/// The answer of `GET /v1/feeds/{feed_id}/owner`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct OwnerAnswer {
    /// The feed.
    pub feed_id: String,
    /// Who holds it, with names.
    pub owner: Ownership,
    /// Its handovers, oldest first: the history of owners.
    pub handovers: Vec<HandoverView>,
    /// The feed's version (its ETag): send it as `If-Match` to change the
    /// owner.
    pub version: i64,
}

/// `GET /v1/feeds/{feed_id}/owner` (a token): who holds the feed, by name,
/// and its history of handovers.
pub async fn owner(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Path(feed_id): Path<String>,
) -> Result<Response, ApiProblem> {
    viewer.required("a feed's owner")?;
    state.fresh().await;
    let served = state.served();
    let f = served
        .feeds()
        .get(&feed_id)
        .ok_or_else(|| ApiProblem::not_found(format!("no feed {feed_id:?}")))?;
    let handovers = served
        .store()
        .handovers
        .values()
        .filter(|h| h.feed_id == feed_id)
        .map(|h| HandoverView::of(&served, h, true))
        .collect();
    Ok(with_etag(
        StatusCode::OK,
        f.version,
        OwnerAnswer {
            feed_id: f.feed_id.clone(),
            owner: f.owner.clone(),
            handovers,
            version: f.version,
        },
    ))
}

/// The body of `PUT /v1/feeds/{feed_id}/owner`: the whole record (omitted
/// fields are cleared, except `status_since`, which keeps its value).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnerBody {
    /// The owning team (a unit or role).
    pub team: Option<String>,
    /// Administrators by name.
    #[serde(default)]
    pub administrators: Vec<String>,
    /// Where the credentials are held.
    pub credentials: Option<String>,
    /// `verified`, `pending` or `unverified` (default).
    #[serde(default)]
    pub verification: Option<Verification>,
    /// When the verification was last seen (`YYYY-MM-DD`).
    pub verified_on: Option<String>,
    /// When the account was last checked (`YYYY-MM-DD`).
    pub checked_on: Option<String>,
}

/// `PUT /v1/feeds/{feed_id}/owner` (planner, `If-Match` of the feed):
/// records who holds the feed.
pub async fn set_owner(
    State(state): State<Arc<AppState>>,
    Planner(caller): Planner,
    headers: HeaderMap,
    Path(feed_id): Path<String>,
    Body(body): Body<OwnerBody>,
) -> Result<Response, ApiProblem> {
    let expect = if_match(&headers)?;
    let served = state.served();
    let f = served
        .feeds()
        .get(&feed_id)
        .ok_or_else(|| ApiProblem::not_found(format!("no feed {feed_id:?}")))?;
    let owner = Ownership {
        team: body.team.map(|t| t.trim().to_string()),
        administrators: body
            .administrators
            .iter()
            .map(|a| a.trim().to_string())
            .collect(),
        credentials: body.credentials,
        verification: body.verification.unwrap_or_default(),
        verified_on: body.verified_on,
        checked_on: body.checked_on,
        status_since: f.owner.status_since.clone(),
    };
    if let Some(p) = feedmap_domain::feeds::check_owner(&owner)
        .into_iter()
        .next()
    {
        return Err(bad_field(p.field, p.detail));
    }
    let file = served.source().feeds.get(&feed_id).map(|f| f.entry());
    let mut entry = f.entry();
    entry.owner = owner;
    let id = feed_id.clone();
    let stored = store_write(&state, move |s| {
        s.update_feed(&caller.name, &id, expect, entry, file.as_ref())
    })
    .await?;
    Ok(with_etag(
        StatusCode::OK,
        stored.meta.version,
        OwnerAnswer {
            feed_id,
            owner: stored.entry.owner,
            handovers: Vec::new(),
            version: stored.meta.version,
        },
    ))
}

/// The answer of `GET /v1/handovers`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct HandoverList {
    /// How many.
    pub count: usize,
    /// How many are open.
    pub open: usize,
    /// The handovers, newest first.
    pub handovers: Vec<HandoverView>,
}

/// `GET /v1/handovers[?status=open&feed_id=]`: handovers, newest first;
/// names only with a token.
pub async fn handovers(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q.as_deref());
    params.only(&["status", "feed_id"])?;
    let status = match params.get("status")? {
        None => None,
        Some("open") => Some(HandoverStatus::Open),
        Some("completed") => Some(HandoverStatus::Completed),
        Some("cancelled") => Some(HandoverStatus::Cancelled),
        Some(s) => {
            return Err(ApiProblem::bad_parameter(format!(
                "status={s:?}: use open, completed or cancelled"
            )))
        }
    };
    let feed = params.get("feed_id")?.map(str::to_string);
    state.fresh().await;
    let served = state.served();
    let all: Vec<&Handover> = served.store().handovers.values().rev().collect();
    let handovers: Vec<HandoverView> = all
        .iter()
        .filter(|h| status.is_none_or(|s| h.status == s))
        .filter(|h| feed.as_ref().is_none_or(|f| &h.feed_id == f))
        .map(|h| HandoverView::of(&served, h, viewer.sees_names()))
        .collect();
    Ok(Json(HandoverList {
        count: handovers.len(),
        open: all
            .iter()
            .filter(|h| h.status == HandoverStatus::Open)
            .count(),
        handovers,
    })
    .into_response())
}

fn handover_id(id: &str) -> Result<i64, ApiProblem> {
    id.parse::<i64>().ok().filter(|&i| i > 0).ok_or_else(|| {
        ApiProblem::not_found(format!("no handover {id:?} (ids are positive numbers)"))
    })
}

/// `GET /v1/handovers/{id}`, with its `ETag`.
pub async fn handover(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, ApiProblem> {
    let id = handover_id(&id)?;
    state.fresh().await;
    let served = state.served();
    let h = served
        .store()
        .handovers
        .get(&id)
        .ok_or_else(|| ApiProblem::not_found(format!("no handover {id}")))?;
    Ok(with_etag(
        StatusCode::OK,
        h.meta.version,
        HandoverView::of(&served, h, viewer.sees_names()),
    ))
}

/// `POST /v1/feeds/{feed_id}/handovers` (planner): starts a handover;
/// 201, 409 when one is already open.
pub async fn start_handover(
    State(state): State<Arc<AppState>>,
    Planner(caller): Planner,
    Path(feed_id): Path<String>,
    Body(body): Body<StartRequest>,
) -> Result<Response, ApiProblem> {
    let s = state.clone();
    blocking(move || {
        let served = s.served();
        let h = handover::start(&served, &*s.store, &caller.name, &feed_id, body)?;
        s.sync_or_stale();
        let served = s.served();
        let mut r = with_etag(
            StatusCode::CREATED,
            h.meta.version,
            HandoverView::of(&served, &h, true),
        );
        if let Ok(v) = header::HeaderValue::from_str(&format!("/v1/handovers/{}", h.id)) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        Ok(r)
    })
    .await
}

/// `PUT /v1/handovers/{id}/steps/{step}` (planner, `If-Match`): confirms
/// one step; the last completes the handover and moves the feed.
pub async fn confirm_step(
    State(state): State<Arc<AppState>>,
    Planner(caller): Planner,
    headers: HeaderMap,
    Path((id, step)): Path<(String, String)>,
) -> Result<Response, ApiProblem> {
    let id = handover_id(&id)?;
    let expect = if_match(&headers)?;
    let s = state.clone();
    blocking(move || {
        let served = s.served();
        let (h, _) = handover::confirm(&served, &*s.store, &caller.name, id, &step, expect)?;
        s.sync_or_stale();
        Ok(with_etag(
            StatusCode::OK,
            h.meta.version,
            HandoverView::of(&s.served(), &h, true),
        ))
    })
    .await
}

/// `POST /v1/handovers/{id}/cancel` (planner, `If-Match`).
pub async fn cancel_handover(
    State(state): State<Arc<AppState>>,
    Planner(caller): Planner,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiProblem> {
    let id = handover_id(&id)?;
    let expect = if_match(&headers)?;
    let s = state.clone();
    blocking(move || {
        let served = s.served();
        let h = handover::cancel(&served, &*s.store, &caller.name, id, expect)?;
        s.sync_or_stale();
        Ok(with_etag(
            StatusCode::OK,
            h.meta.version,
            HandoverView::of(&s.served(), &h, true),
        ))
    })
    .await
}

/// What an activity import recorded.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Recorded {
    /// Days recorded (a day already recorded for a feed is replaced).
    pub recorded: usize,
    /// Feeds they are about.
    pub feeds: usize,
    /// The earliest day.
    pub from: Option<String>,
    /// The latest day.
    pub to: Option<String>,
}

fn recorded(days: &[ActivityDay]) -> Recorded {
    let feeds: std::collections::BTreeSet<&str> = days.iter().map(|d| d.feed_id.as_str()).collect();
    Recorded {
        recorded: days.len(),
        feeds: feeds.len(),
        from: days.iter().map(|d| d.date.clone()).min(),
        to: days.iter().map(|d| d.date.clone()).max(),
    }
}

/// `POST /v1/activity` (planner, `text/csv`): records a platform's export
/// (columns in the activity module). Every bad row is reported by line in
/// `problems` and nothing is recorded while any remain.
pub async fn import_activity(
    State(state): State<Arc<AppState>>,
    Planner(caller): Planner,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q.as_deref());
    params.only(&["name"])?;
    let name = params.get("name")?.unwrap_or("upload.csv").to_string();
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("text/csv") {
        return Err(ApiProblem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            format!("send the activity as Content-Type: text/csv, not {ct:?}"),
        ));
    }
    state.fresh().await;
    let served = state.served();
    let days =
        feedmap_domain::activity::read_csv(&name, &body, served.feeds()).map_err(|problems| {
            ApiProblem::new(
                StatusCode::BAD_REQUEST,
                "invalid-activity",
                "Invalid activity file",
                format!(
                    "{} problem(s) in {name}; nothing was recorded",
                    problems.len()
                ),
            )
            .with_member(
                "problems",
                serde_json::to_value(&problems).unwrap_or_default(),
            )
        })?;
    let answer = recorded(&days);
    store_write(&state, move |s| {
        s.record_activity(&caller.name, &name, &days)
    })
    .await?;
    Ok(Json(answer).into_response())
}

/// One day of a feed's activity, as `POST /v1/feeds/{feed_id}/activity`
/// takes it.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DayBody {
    /// The day (`YYYY-MM-DD`).
    pub date: String,
    /// Posts published that day.
    pub posts: i64,
    /// Followers at the end of the day.
    pub followers: Option<i64>,
}

/// `POST /v1/feeds/{feed_id}/activity` (planner): records one day, or an
/// array of days, of a feed's activity.
pub async fn post_activity(
    State(state): State<Arc<AppState>>,
    Planner(caller): Planner,
    Path(feed_id): Path<String>,
    Body(body): Body<serde_json::Value>,
) -> Result<Response, ApiProblem> {
    let list: Vec<DayBody> = match body {
        serde_json::Value::Array(_) => serde_json::from_value(body),
        _ => serde_json::from_value(body).map(|d| vec![d]),
    }
    .map_err(|e| bad_field("body", e))?;
    if state.served().feeds().get(&feed_id).is_none() {
        return Err(ApiProblem::not_found(format!("no feed {feed_id:?}")));
    }
    let mut days = Vec::new();
    for (i, d) in list.into_iter().enumerate() {
        if !feedmap_geography::calendar::is_date(&d.date) {
            return Err(bad_field(
                &format!("[{i}].date"),
                format!("{:?} is not a date (YYYY-MM-DD)", d.date),
            ));
        }
        if d.posts < 0 || d.followers.is_some_and(|f| f < 0) {
            return Err(bad_field(
                &format!("[{i}]"),
                "posts and followers are counts of 0 or more",
            ));
        }
        days.push(ActivityDay {
            feed_id: feed_id.clone(),
            date: d.date,
            posts: d.posts,
            followers: d.followers,
        });
    }
    let answer = recorded(&days);
    store_write(&state, move |s| {
        s.record_activity(&caller.name, "api", &days)
    })
    .await?;
    Ok(Json(answer).into_response())
}

/// `GET /v1/consolidation[?format=csv|geojson]`: which feeds to merge or
/// retire, ranked and explained.
pub async fn consolidation(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q.as_deref());
    let mut allowed = settings::names(ConsolidationParams::SETTINGS);
    allowed.push("format");
    params.only(&allowed)?;
    let format = params.format(&["csv", "geojson"])?;
    state.fresh().await;
    let served = state.served();
    let p = ConsolidationParams::from_pairs(served.day(), &params.owned())
        .map_err(ApiProblem::bad_parameter)?;
    let s = served.clone();
    let plan = blocking(move || Ok(consolidate::plan(&s, &p))).await?;
    Ok(match format {
        "csv" => super::csv_download("consolidation.csv", consolidate::csv(&plan)),
        "geojson" => (
            [(header::CONTENT_TYPE, "application/geo+json")],
            consolidate::geojson(&served, &plan).to_string(),
        )
            .into_response(),
        _ => Json(plan).into_response(),
    })
}

/// This resource's operations: its routes and their description, which
/// the API's operation table gathers for the router and `/api`.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::Verb::*;
    use super::operation::{path, query, required, schema, settings_and, Operation, RequestBody};
    use axum::routing;
    use serde_json::json;
    vec![
        cx.get("/v1/feeds/health", "Feed health: each rule that fires on each feed, explained (JSON, or format=csv one row per finding); administrators' names only with a token", routing::get(health))
            .answers(schema::<feedmap_domain::health::HealthReport>)
            .params(settings_and(feedmap_domain::health::HealthParams::SETTINGS, query("format", "json (default) or csv", json!({"type": "string", "enum": ["json", "csv"]})))),
        cx.get("/v1/guarantee", "The Neighbourhood Policing Guarantee per neighbourhood: an active feed, a published contact residents can reach, an update within 90 days, priorities within three months", routing::get(guarantee))
            .answers(schema::<feedmap_domain::health::Guarantee>)
            .params(vec![
                cx.at(),
                query("update_days", "the update window in days (default 90)", json!({"type": "integer", "minimum": 1, "maximum": 3650})),
                query("priority_days", "days within which priorities are set or reported on (default 92: three months)", json!({"type": "integer", "minimum": 1, "maximum": 3650})),
            ]),
        cx.get("/v1/verify", "Is this handle an official account of the force? An unknown handle answers official: false; look-alikes name the account they imitate", routing::get(verify))
            .answers(schema::<feedmap_domain::verify::Verdict>)
            .params(vec![
                required(query("handle", "the handle, with or without @, or the account's URL", json!({"type": "string"})), json!(cx.ex.handle.clone().unwrap_or_else(|| "@example".into()))),
                query("platform", "x, facebook, … (default: any)", json!({"type": "string"})),
                cx.at(),
            ]),
        cx.get("/v1/register", "The open register of official accounts (active and retired), public fields only (JSON, or format=csv)", routing::get(register))
            .answers(schema::<Register>)
            .params(vec![cx.at(), query("format", "json (default) or csv", json!({"type": "string", "enum": ["json", "csv"]}))]),
        Operation {
            secured: true,
            ..cx.get("/v1/feeds/{feed_id}/owner", "Who holds a feed, by name, with its handovers (a reader or planner token)", routing::get(owner))
                .answers(schema::<OwnerAnswer>)
                .params(vec![path("feed_id", "a feed id", json!(cx.feed_id()))])
        },
        Operation::new(Put, "/v1/feeds/{feed_id}/owner", "Record who holds a feed: owning team, administrators, credentials, verification", routing::put(set_owner).layer(cx.limit()))
            .answers(schema::<OwnerAnswer>)
            .params(vec![path("feed_id", "a feed id", json!(cx.feed_id()))])
            .write(200, Some((schema::<OwnerBody>, json!({ "team": "Example Neighbourhood Team", "administrators": ["PC A. Example", "PCSO B. Example"], "credentials": "force social media management platform", "verification": "verified", "verified_on": "2026-11-01" }))), true),
        cx.get("/v1/handovers", "Handovers of feeds to new teams, newest first; names only with a token", routing::get(handovers))
            .answers(schema::<HandoverList>)
            .params(vec![
                query("status", "open, completed or cancelled", json!({"type": "string", "enum": ["open", "completed", "cancelled"]})),
                query("feed_id", "only this feed's", json!({"type": "string"})),
            ]),
        Operation::new(Post, "/v1/feeds/{feed_id}/handovers", "Start handing a feed to a new team (201); 409 when one is open", routing::post(start_handover).layer(cx.limit()))
            .answers(schema::<feedmap_domain::handover::HandoverView>)
            .params(vec![path("feed_id", "a feed id", json!(cx.ex.handover_feed()))])
            .write(201, Some((schema::<feedmap_domain::handover::StartRequest>, json!({ "to_team": "Example Neighbourhood Team", "to_administrators": ["PC C. Example", "PCSO D. Example"], "note": "PC A. Example moves to another team" }))), false),
        cx.get("/v1/handovers/{id}", "One handover with its checklist and ETag", routing::get(handover))
            .answers(schema::<feedmap_domain::handover::HandoverView>)
            .params(vec![path("id", "a handover id", json!(cx.ex.handover_id("read")))]),
        Operation::new(Put, "/v1/handovers/{id}/steps/{step}", "Confirm one step of a handover; the last one completes it and gives the feed to the new team", routing::put(confirm_step).layer(cx.limit()))
            .answers(schema::<feedmap_domain::handover::HandoverView>)
            .params(vec![
                path("id", "a handover id", json!(cx.ex.handover_id("confirm"))),
                {
                    let mut p = path("step", "the step", json!("credentials_changed"));
                    p.schema = json!({"type": "string", "enum": feedmap_store::HandoverStep::ALL.map(feedmap_store::HandoverStep::as_str)});
                    p
                },
            ])
            .write(200, None, true),
        Operation::new(Post, "/v1/handovers/{id}/cancel", "Cancel an open handover (the feed stays with its team)", routing::post(cancel_handover).layer(cx.limit()))
            .answers(schema::<feedmap_domain::handover::HandoverView>)
            .params(vec![path("id", "a handover id", json!(cx.ex.handover_id("cancel")))])
            .write(200, None, true),
        Operation {
            body: Some(RequestBody {
                media: "text/csv",
                schema: None,
                example: json!(format!("handle,platform,date,posts,followers\n{},{},2026-11-20,3,1520\n", cx.ex.handle.clone().unwrap_or_else(|| "@example".into()), cx.ex.platform.clone().unwrap_or_else(|| "x".into()))),
                more: Vec::new(),
            }),
            ..Operation::new(Post, "/v1/activity", "Record activity from a platform's CSV export (handle or feed_id, platform, date, posts, followers); every bad row reported by line, nothing recorded while any remain", routing::post(import_activity).layer(axum::extract::DefaultBodyLimit::max(MAX_ACTIVITY_BYTES)))
                .answers(schema::<Recorded>)
                .params(vec![query("name", "the file's name, for the audit log and messages", json!({"type": "string"}))])
                .write(200, None, false)
        },
        Operation::new(Post, "/v1/feeds/{feed_id}/activity", "Record one day (or an array of days) of a feed's activity", routing::post(post_activity).layer(cx.limit()))
            .answers(schema::<Recorded>)
            .params(vec![path("feed_id", "a feed id", json!(cx.feed_id()))])
            .write(200, Some((schema::<DayBody>, json!({ "date": "2026-11-20", "posts": 2, "followers": 1520 }))), false),
        cx.get("/v1/consolidation", "The consolidation plan: feeds to merge or retire, with residents affected, coverage lost and reasons (JSON, CSV or GeoJSON)", routing::get(consolidation))
            .answers(schema::<feedmap_domain::consolidate::Consolidation>)
            .params(settings_and(feedmap_domain::consolidate::ConsolidationParams::SETTINGS, query("format", "json (default), csv or geojson", json!({"type": "string", "enum": ["json", "csv", "geojson"]})))),
    ]
}
