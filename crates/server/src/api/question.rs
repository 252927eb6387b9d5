//! The public question over HTTP: residents say what they call the place
//! they live and whether they would follow a local feed; what is kept is
//! counts per small area ([`crate::voice`]), shown only where they reach
//! the region's minimum ([`feedmap_domain::voice::figures`]). Planners
//! review held bursts and leave windows of answers out.

use super::problem::{ApiProblem, Path};
use super::write::{self, bad_field, if_match, store_write, with_etag, Body, Planner};
use super::{AppState, GEOJSON};
use crate::voice::{unix_now, CountError, Desk};
use axum::extract::{FromRequestParts, Query as QueryString, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use feedmap_domain::served::Served;
use feedmap_domain::voice::{self, AnswerForm, Counts, Figures, Question};
use feedmap_geography::lookup::LatLon;
use feedmap_geography::manifest::Role;
use feedmap_geography::region::Region;
use feedmap_store::{HoldStatus, NewExclusion, StoreError, VoiceExclusion, VoiceHold, VoiceTally};
use geo::InteriorPoint;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// What is and is not stored, in one paragraph: shown beside the
/// question and in the docs for a force's data protection officer, with
/// the length of the buckets answers are counted in and the region's
/// minimum count.
pub fn stored(bucket: std::time::Duration, min_count: u32) -> String {
    let per = match bucket.as_secs() {
        3600 => "hour".to_string(),
        86_400 => "day".to_string(),
        s => humantime::format_duration(std::time::Duration::from_secs(s)).to_string(),
    };
    format!("Your answer is added to counts for the small area your postcode or point falls in (a Census output area or the smallest area the force uses), in totals per {per}: how many answered, each place name given (in lower case), how many would follow and on which platforms, and the choices you picked. Your postcode, your position, your address, your IP address and the words exactly as you typed them are not stored or logged, and no cookie is set. Figures are published only where at least {min_count} residents gave the same answer.")
}

/// The client address of a request: the peer, as the listener recorded
/// it. The listener names every remote peer and leaves loopback ones
/// unnamed unless the rate limit covers them, so an unnamed peer is
/// loopback.
pub struct Peer(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip()),
        ))
    }
}

/// The region's question, or 404 when it asks none.
fn question(served: &Served) -> Result<Question, ApiProblem> {
    let spec = served.region().question.clone().ok_or_else(|| {
        ApiProblem::not_found(
            "this region asks residents no question: add a [question] section to its region.toml (see the planners' guide, The resident question)",
        )
    })?;
    Question::from_spec(&spec)
        .map_err(|e| ApiProblem::not_found(format!("the region's [question] cannot be asked: {e}")))
}

/// The answers counted so far, as the plan's evidence; `None` when the
/// region asks no question (the plan is then the plan without one).
pub fn evidence(state: &AppState, served: &Served) -> Option<feedmap_domain::plan::VoiceEvidence> {
    let desk = state.question.as_ref()?;
    feedmap_domain::plan::VoiceEvidence::of(served.region(), &desk.ledger())
}

fn desk(state: &AppState) -> Result<&Desk, ApiProblem> {
    state.question.as_ref().ok_or_else(|| {
        ApiProblem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store-unavailable",
            "Store unavailable",
            "the answers' store could not be read when the server started",
        )
    })
}

/// `GET /v1/question`: what residents are asked.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct QuestionView {
    /// Whether the question is open.
    pub enabled: bool,
    /// The region's name.
    pub region: String,
    /// The question itself: platforms, the force's own questions, limits.
    #[serde(flatten)]
    pub question: Question,
    /// Longest place name accepted, in characters.
    pub max_name_chars: usize,
    /// What is and is not stored.
    pub stored: String,
}

/// `GET /v1/question`.
pub async fn read(State(state): State<Arc<AppState>>) -> Result<Json<QuestionView>, ApiProblem> {
    let served = state.served();
    let question = question(&served)?;
    let stored = stored(desk(&state)?.settings().bucket, question.min_count());
    Ok(Json(QuestionView {
        enabled: true,
        region: served.region().name.clone(),
        question,
        max_name_chars: voice::MAX_NAME_CHARS,
        stored,
    }))
}

/// An area as an answer names it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AreaRef {
    /// Layer id.
    pub layer: String,
    /// Area id.
    pub id: String,
    /// Area name.
    pub name: String,
}

/// The answer to `POST /v1/question/answers`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Counted {
    /// True when the answer is in the counts; false when its area is held
    /// for review (the answer waits, kept, for a planner to release it).
    pub counted: bool,
    /// The small area it was counted in.
    pub area: AreaRef,
    /// A thank-you to show the resident.
    pub message: String,
}

/// The finest layer holding `p` (most areas; ties by layer order) and its
/// area there.
pub fn finest(region: &Region, p: LatLon) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    region.each_hit(p, |layer, areas, _| {
        if let Some(&a) = areas.first() {
            let n = region.layers[layer].areas.len();
            if best.is_none_or(|(l, _)| region.layers[l].areas.len() < n) {
                best = Some((layer, a));
            }
        }
    });
    best
}

/// `POST /v1/question/answers`: counts one answer.
pub async fn answer(
    State(state): State<Arc<AppState>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Body(form): Body<AnswerForm>,
) -> Result<Response, ApiProblem> {
    let served = state.served();
    let q = question(&served)?;
    let desk = desk(&state)?;
    let answer = voice::check(&q, &form).map_err(|e| field_problem(&e.field, &e.message))?;
    let region = served.region();
    let point = match (&form.postcode, form.lon, form.lat) {
        (Some(pc), _, _) if !pc.trim().is_empty() => {
            let found = region
                .locate(&feedmap_geography::locate::Query::Postcode(pc.clone()))
                .map_err(|e| unlocated("postcode", e.to_string()))?;
            found.point
        }
        (_, Some(lon), Some(lat)) => LatLon::new(lat, lon).map_err(|e| field_problem("lat", e))?,
        (_, Some(_), None) => return Err(field_problem("lat", "give lat with lon")),
        (_, None, Some(_)) => return Err(field_problem("lon", "give lon with lat")),
        _ => {
            return Err(field_problem(
                "postcode",
                "give your postcode, or the point where you live as lon and lat",
            ))
        }
    };
    let Some((li, ai)) = finest(region, point) else {
        return Err(unlocated(
            if form.postcode.is_some() {
                "postcode"
            } else {
                "lat"
            },
            format!(
                "that place is outside {}, which this question is about",
                region.name
            ),
        ));
    };
    let layer = &region.layers[li];
    let area = &layer.areas[ai];
    let now = unix_now();
    if let Some(new) = desk.attempt(&layer.id, &area.id, now) {
        let (attempts, usual) = (new.attempts, new.usual);
        // Requests arriving together may each see the burst: the store
        // records one hold, the others find it there.
        let held = store_write(&state, move |s| match s.hold_voice("burst detector", new) {
            Ok(h) => Ok(Some(h)),
            Err(StoreError::Conflict { .. }) => Ok(None),
            Err(e) => Err(e),
        })
        .await?;
        if let Some(h) = held {
            tracing::warn!(
                layer = %h.layer,
                area = %h.area_id,
                hold = h.id,
                attempts,
                usual,
                "question: a burst of answers; the area is held for a planner's review"
            );
        }
        desk.reload().await.map_err(count_problem)?;
    }
    let client = desk.client(
        Some(peer),
        headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()),
    );
    desk.admit(client).map_err(count_problem)?;
    let hold = desk.open_hold(&layer.id, &area.id).map_or(0, |h| h.id);
    desk.count(VoiceTally {
        layer: layer.id.clone(),
        area_id: area.id.clone(),
        bucket: desk.bucket(now),
        hold,
        cells: answer.cells(),
    })
    .await
    .map_err(count_problem)?;
    state.metrics.question_answer();
    let body = Counted {
        counted: hold == 0,
        area: AreaRef {
            layer: layer.id.clone(),
            id: area.id.clone(),
            name: area.name.clone(),
        },
        message: if hold == 0 {
            format!(
                "Thank you: your answer is counted for {}. Nothing that identifies you was kept.",
                area.name
            )
        } else {
            format!(
                "Thank you: your answer for {} is received. Many answers came from there at once, so they are checked before they are counted. Nothing that identifies you was kept.",
                area.name
            )
        },
    };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

/// 400 naming the field in `detail` and as the member `field`, so a form
/// can mark it.
fn field_problem(field: &str, detail: impl std::fmt::Display) -> ApiProblem {
    bad_field(field, detail).with_member("field", serde_json::json!(field))
}

/// 422 naming the field: the place cannot be found or is not the region's.
fn unlocated(field: &'static str, detail: String) -> ApiProblem {
    ApiProblem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "not-located",
        "Place not found",
        format!("{field}: {detail}"),
    )
    .with_member("field", serde_json::json!(field))
}

fn count_problem(e: CountError) -> ApiProblem {
    match e {
        CountError::Throttled(n) => {
            let now = unix_now();
            let wait = 86_400 - now.rem_euclid(86_400);
            ApiProblem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many answers",
                format!("this connection has answered {n} times today, the most counted from one place a day; thank you — try again tomorrow if something changed"),
            )
            .with_header(header::RETRY_AFTER, HeaderValue::from(wait))
        }
        CountError::Store(e) => e.into(),
        CountError::Stopping => ApiProblem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "stopping",
            "Stopping",
            "the server is stopping; try again in a moment",
        ),
    }
}

/// `?layer=`: the layer to show counts by.
#[derive(Debug, Deserialize)]
pub struct LayerParam {
    /// A layer id of the region (default: the plan's community layer).
    pub layer: Option<String>,
}

/// The layer asked for, or the first community layer.
fn layer_of(region: &Region, asked: Option<&str>) -> Result<usize, ApiProblem> {
    match asked {
        Some(id) => region.layer(id).map(|(i, _)| i).ok_or_else(|| {
            ApiProblem::bad_parameter(format!(
                "layer: {id:?} is not a layer of the region; its layers are {}",
                region.layer_ids()
            ))
        }),
        None => Ok(region
            .layers
            .iter()
            .position(|l| l.role == Role::Community)
            .unwrap_or(0)),
    }
}

/// One area's public figures.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AreaFigures {
    /// Area id.
    pub id: String,
    /// Area name.
    pub name: String,
    /// What residents answered there, each figure at least the minimum.
    #[serde(flatten)]
    pub figures: Figures,
}

/// `GET /v1/question/areas`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AreasView {
    /// The layer the figures are summed in.
    pub layer: String,
    /// The smallest count shown.
    pub min_count: u32,
    /// Answers in the region (absent when showing it would reveal a
    /// smaller count by subtraction).
    pub answers: Option<u64>,
    /// Areas with answers shown, by id.
    pub areas: Vec<AreaFigures>,
}

/// The public figures of every area of layer `li`, and the region total
/// when it reveals nothing below the minimum.
fn areas_view(served: &Served, desk: &Desk, q: &Question, li: usize) -> AreasView {
    let region = served.region();
    let min = q.min_count();
    let counted = desk.ledger().counted();
    let summed = voice::by_layer(region, &counted, li);
    let layer = &region.layers[li];
    let mut areas = Vec::new();
    for (a, c) in &summed {
        let figures = voice::figures(c, min);
        if figures.answers.is_some() {
            areas.push(AreaFigures {
                id: layer.areas[*a].id.clone(),
                name: layer.areas[*a].name.clone(),
                figures,
            });
        }
    }
    areas.sort_by(|a, b| a.id.cmp(&b.id));
    AreasView {
        layer: layer.id.clone(),
        min_count: min,
        answers: voice::total_answers(summed.values().map(|c| c.answers), min),
        areas,
    }
}

/// `GET /v1/question/areas?layer=`: answers per area, each figure at
/// least the minimum.
pub async fn areas(
    State(state): State<Arc<AppState>>,
    QueryString(p): QueryString<LayerParam>,
) -> Result<Json<AreasView>, ApiProblem> {
    let served = state.served();
    let q = question(&served)?;
    let li = layer_of(served.region(), p.layer.as_deref())?;
    Ok(Json(areas_view(&served, desk(&state)?, &q, li)))
}

/// `GET /v1/question/names.geojson?layer=`: residents' names for places,
/// one point per area where a name reaches the minimum.
pub async fn names(
    State(state): State<Arc<AppState>>,
    QueryString(p): QueryString<LayerParam>,
) -> Result<Response, ApiProblem> {
    let served = state.served();
    let q = question(&served)?;
    let region = served.region();
    let li = layer_of(region, p.layer.as_deref())?;
    let view = areas_view(&served, desk(&state)?, &q, li);
    let layer = &region.layers[li];
    let known: Vec<&str> = region
        .layers
        .iter()
        .flat_map(|l| l.areas.iter().map(|a| a.name.as_str()))
        .collect();
    let mut features = Vec::new();
    for a in &view.areas {
        let (Some(top), Some(answers)) = (a.figures.names.first(), a.figures.answers) else {
            continue;
        };
        let Some(point) = layer
            .area_index(&a.id)
            .and_then(|i| layer.areas[i].geometry.interior_point())
        else {
            continue;
        };
        // Figures carry names normalised already: normalising again keeps them.
        let Ok(Some(name)) = voice::normalise_name(&top.name) else {
            continue;
        };
        features.push(serde_json::json!({
            "type": "Feature",
            "id": a.id,
            "geometry": { "type": "Point", "coordinates": [point.x(), point.y()] },
            "properties": {
                "id": a.id,
                "area_name": a.name,
                "name": voice::display_name(&name, known.iter().copied()),
                "count": top.count,
                "share": (top.count as f64 / answers as f64 * 100.0).round() / 100.0,
                "answers": answers,
            }
        }));
    }
    let body = serde_json::json!({ "type": "FeatureCollection", "features": features });
    Ok(([(header::CONTENT_TYPE, GEOJSON)], body.to_string()).into_response())
}

/// `GET /v1/question/counts.csv?layer=`: every figure shown, one a row.
pub async fn csv(
    State(state): State<Arc<AppState>>,
    QueryString(p): QueryString<LayerParam>,
) -> Result<Response, ApiProblem> {
    let served = state.served();
    let q = question(&served)?;
    let li = layer_of(served.region(), p.layer.as_deref())?;
    let view = areas_view(&served, desk(&state)?, &q, li);
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| ApiProblem::internal(format!("writing the counts: {e}"));
    w.write_record([
        "layer",
        "area_id",
        "area_name",
        "answers",
        "kind",
        "value",
        "count",
    ])
    .map_err(io)?;
    for a in &view.areas {
        let answers = a.figures.answers.unwrap_or(0).to_string();
        let mut row = |kind: &str, value: &str, n: u64| {
            w.write_record([
                &view.layer,
                &a.id,
                &a.name,
                &answers,
                kind,
                value,
                &n.to_string(),
            ])
        };
        row("answers", "", a.figures.answers.unwrap_or(0)).map_err(io)?;
        for n in &a.figures.names {
            row("name", &n.name, n.count).map_err(io)?;
        }
        for (k, v) in [
            ("yes", a.figures.follow.yes),
            ("no", a.figures.follow.no),
            ("not_sure", a.figures.follow.not_sure),
        ] {
            if let Some(v) = v {
                row("follow", k, v).map_err(io)?;
            }
        }
        for pf in &a.figures.platforms {
            row("platform", &pf.platform, pf.count).map_err(io)?;
        }
        for c in &a.figures.choices {
            row("choice", &format!("{}/{}", c.question, c.choice), c.count).map_err(io)?;
        }
    }
    let body = w
        .into_inner()
        .map_err(|e| ApiProblem::internal(format!("writing the counts: {e}")))?;
    Ok(super::csv_download("question-counts.csv", body))
}

/// A hold as planners review it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct HoldView {
    /// The hold.
    #[serde(flatten)]
    pub hold: VoiceHold,
    /// The area's name.
    pub area_name: String,
    /// `since`, as a UTC time (RFC 3339).
    pub since_utc: String,
    /// `detected`, as a UTC time (RFC 3339).
    pub detected_utc: String,
    /// Answers waiting under it (figures below the minimum withheld, as
    /// everywhere).
    pub held: Figures,
}

/// `GET /v1/question/holds`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Holds {
    /// Every hold, open ones first, newest first.
    pub holds: Vec<HoldView>,
}

fn area_name(region: &Region, layer: &str, id: &str) -> String {
    region
        .layers
        .iter()
        .find(|l| l.id == layer)
        .and_then(|l| l.area_index(id).map(|a| l.areas[a].name.clone()))
        .unwrap_or_else(|| id.to_string())
}

/// Unix seconds as an RFC 3339 UTC time.
fn utc(t: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.max(0) as u64);
    humantime::format_rfc3339_seconds(at).to_string()
}

/// `GET /v1/question/holds`: areas held by the burst detector.
pub async fn holds(
    State(state): State<Arc<AppState>>,
    Planner(_): Planner,
) -> Result<Json<Holds>, ApiProblem> {
    let served = state.served();
    let q = question(&served)?;
    let desk = desk(&state)?;
    let ledger = desk.ledger();
    let held = ledger.held();
    let mut holds: Vec<HoldView> = ledger
        .holds()
        .map(|h| HoldView {
            area_name: area_name(served.region(), &h.layer, &h.area_id),
            since_utc: utc(h.since),
            detected_utc: utc(h.detected),
            held: voice::figures(held.get(&h.id).unwrap_or(&Counts::default()), q.min_count()),
            hold: h.clone(),
        })
        .collect();
    holds.sort_by_key(|h| (h.hold.status != HoldStatus::Held, -h.hold.id));
    Ok(Json(Holds { holds }))
}

/// The body of `POST /v1/question/holds/{id}`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldDecision {
    /// `release` (the held answers count) or `exclude` (they never count,
    /// nor do the area's answers since the burst began).
    pub decision: HoldChoice,
}

/// A planner's decision on a hold.
#[derive(Debug, Clone, Copy, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HoldChoice {
    /// The answers are genuine: count them.
    Release,
    /// The answers are not genuine: leave them out.
    Exclude,
}

/// `POST /v1/question/holds/{id}`: release or exclude a held area.
pub async fn decide(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Planner(caller): Planner,
    Body(body): Body<HoldDecision>,
) -> Result<Response, ApiProblem> {
    let expect = if_match(&headers)?;
    let desk = desk(&state)?;
    let release = matches!(body.decision, HoldChoice::Release);
    // An exclusion leaves whole buckets out: up to the end of this one.
    let now = desk.bucket(unix_now()) + desk.settings().bucket.as_secs() as i64;
    let (hold, _) = store_write(&state, move |s| {
        s.decide_voice_hold(&caller.name, id, expect, release, now)
    })
    .await?;
    desk.reload().await.map_err(count_problem)?;
    desk.decided(&hold.layer, &hold.area_id);
    Ok(with_etag(StatusCode::OK, hold.version, hold))
}

/// `GET /v1/question/exclusions`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Exclusions {
    /// Every window left out, newest first.
    pub exclusions: Vec<VoiceExclusion>,
}

/// `GET /v1/question/exclusions`: windows of answers planners left out.
pub async fn exclusions(
    State(state): State<Arc<AppState>>,
    Planner(_): Planner,
) -> Result<Json<Exclusions>, ApiProblem> {
    let desk = desk(&state)?;
    let mut exclusions = desk.ledger().exclusions().to_vec();
    exclusions.sort_by_key(|e| -e.id);
    Ok(Json(Exclusions { exclusions }))
}

/// A time as `POST /v1/question/exclusions` takes it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Instant {
    /// Unix seconds.
    Unix(i64),
    /// `YYYY-MM-DDTHH:MM[:SS]Z` (UTC).
    Text(String),
}

impl Instant {
    fn seconds(&self, field: &str) -> Result<i64, ApiProblem> {
        match self {
            Instant::Unix(s) => Ok(*s),
            Instant::Text(t) => parse_utc(t).ok_or_else(|| {
                field_problem(
                    field,
                    format!("{t:?} is not a time like 2026-12-07T14:00:00Z (UTC) or unix seconds"),
                )
            }),
        }
    }
}

/// `YYYY-MM-DDTHH:MM[:SS][Z]` as unix seconds (UTC).
fn parse_utc(t: &str) -> Option<i64> {
    let t = t.trim().trim_end_matches('Z');
    let (date, time) = t.split_once('T')?;
    let day = feedmap_geography::calendar::day_number(date)?;
    let mut parts = time.split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    // Seconds, with any fraction (a browser's `.000`) dropped.
    let s: i64 = parts.next().map_or(Some(0), |s| {
        s.split('.').next().and_then(|s| s.parse().ok())
    })?;
    if parts.next().is_some()
        || !(0..24).contains(&h)
        || !(0..60).contains(&m)
        || !(0..60).contains(&s)
    {
        return None;
    }
    Some(day * 86_400 + h * 3600 + m * 60 + s)
}

/// The body of `POST /v1/question/exclusions`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExclusionBody {
    /// Layer id of the area.
    pub layer: String,
    /// Area id: answers counted in it, or in the small areas inside it.
    pub area: String,
    /// Start of the window (included).
    pub from: Instant,
    /// End of the window (not included).
    pub to: Instant,
    /// Why, for the audit log.
    pub reason: String,
}

/// `POST /v1/question/exclusions`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Excluded {
    /// One window per small area whose answers it leaves out.
    pub exclusions: Vec<VoiceExclusion>,
}

/// `POST /v1/question/exclusions`: leaves a window of an area's answers
/// out (each small area inside it, when it is a larger area), widened to
/// the whole buckets it touches (the answer gives the window kept).
pub async fn exclude(
    State(state): State<Arc<AppState>>,
    Planner(caller): Planner,
    Body(body): Body<ExclusionBody>,
) -> Result<Response, ApiProblem> {
    let served = state.served();
    let desk = desk(&state)?;
    let (from, to) = (body.from.seconds("from")?, body.to.seconds("to")?);
    if to <= from {
        return Err(field_problem("to", "must be after from"));
    }
    // Answers are counted in whole buckets (an hour by default): the
    // window is widened to the buckets it touches, and the answer says so.
    let (from, to) = desk.whole_buckets(from, to);
    write::text("reason", &body.reason, 500)?;
    if body.reason.trim().is_empty() {
        return Err(field_problem("reason", "say why, for the audit log"));
    }
    let region = served.region();
    let li = region
        .layers
        .iter()
        .position(|l| l.id == body.layer)
        .ok_or_else(|| {
            field_problem(
                "layer",
                format!("{:?} is not a layer of the region", body.layer),
            )
        })?;
    let target = region.layers[li].area_index(&body.area).ok_or_else(|| {
        field_problem(
            "area",
            format!("{:?} is not an area of layer {}", body.area, body.layer),
        )
    })?;
    // The small areas with answers inside it (itself when answers are
    // counted in its layer).
    let counted: Vec<(String, String)> = desk.ledger().counted().into_keys().collect();
    let mut inside = Vec::new();
    for (layer, area_id) in counted {
        let key: BTreeMap<(String, String), Counts> =
            [((layer.clone(), area_id.clone()), Counts::default())].into();
        if voice::by_layer(region, &key, li).contains_key(&target) {
            inside.push((layer, area_id));
        }
    }
    if inside.is_empty() {
        inside.push((body.layer.clone(), body.area.clone()));
    }
    let reason = body.reason.trim().to_string();
    let made = store_write(&state, move |s| {
        inside
            .into_iter()
            .map(|(layer, area_id)| {
                s.exclude_voice(
                    &caller.name,
                    NewExclusion {
                        layer,
                        area_id,
                        from,
                        to,
                        reason: reason.clone(),
                    },
                )
            })
            .collect::<Result<Vec<_>, StoreError>>()
    })
    .await?;
    desk.reload().await.map_err(count_problem)?;
    Ok((StatusCode::CREATED, Json(Excluded { exclusions: made })).into_response())
}

/// `DELETE /v1/question/exclusions/{id}`: counts a window again.
pub async fn restore(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
    Planner(caller): Planner,
) -> Result<Json<VoiceExclusion>, ApiProblem> {
    let desk = desk(&state)?;
    let e = store_write(&state, move |s| s.restore_voice(&caller.name, id)).await?;
    desk.reload().await.map_err(count_problem)?;
    Ok(Json(e))
}

/// The public page.
const QUESTION_HTML: &str = include_str!("../../../../web/question.html");

/// `GET /question`: the public page (its script and style are map assets).
pub async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        QUESTION_HTML,
    )
        .into_response()
}

/// This resource's operations.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::Verb::*;
    use super::operation::{path, query, schema, Operation, RequestBody};
    use axum::routing;
    use serde_json::json;
    let layer = || {
        vec![query(
            "layer",
            "the layer to sum answers in (default: the first community layer)",
            json!({ "type": "string", "enum": cx.ex.layers }),
        )]
    };
    vec![
        cx.get("/question", "The public question's page: residents say what they call where they live", routing::get(page))
            .media("text/html"),
        cx.get("/v1/question", "What residents are asked (404 when the region asks nothing), and what is stored", routing::get(read))
            .answers(schema::<QuestionView>),
        Operation {
            ok: 202,
            body: Some(RequestBody {
                media: "application/json",
                schema: Some(schema::<AnswerForm>),
                example: json!({ "lon": cx.ex.lon, "lat": cx.ex.lat, "name": cx.ex.community_name, "follow": "yes", "platforms": ["facebook"] }),
                more: Vec::new(),
            }),
            ..Operation::new(Post, "/v1/question/answers", "Answer the question: counted in the small area of the postcode or point, nothing identifying kept (429 past the answers one client may give a day)", routing::post(answer).layer(cx.limit()))
                .answers(schema::<Counted>)
        },
        cx.get("/v1/question/areas", "Answers per area, each figure at least the region's minimum", routing::get(areas))
            .answers(schema::<AreasView>)
            .params(layer()),
        cx.get("/v1/question/names.geojson", "Residents' names for places: a point per area where a name reaches the minimum", routing::get(names))
            .media(GEOJSON)
            .params(layer()),
        cx.get("/v1/question/counts.csv", "Every figure shown, one a row, as CSV", routing::get(csv))
            .media("text/csv")
            .params(layer()),
        Operation {
            secured: true,
            ..cx.get("/v1/question/holds", "Areas held for review after a burst of answers (planners)", routing::get(holds))
                .answers(schema::<Holds>)
        },
        Operation::new(Post, "/v1/question/holds/{id}", "Release a held area's answers, or exclude them and the area's answers since the burst began", routing::post(decide).layer(cx.limit()))
            .answers(schema::<VoiceHold>)
            .params(vec![path("id", "a hold id", json!(1))])
            .write(200, Some((schema::<HoldDecision>, json!({ "decision": "release" }))), true),
        Operation {
            secured: true,
            ..cx.get("/v1/question/exclusions", "Windows of answers planners left out", routing::get(exclusions))
                .answers(schema::<Exclusions>)
        },
        Operation::new(Post, "/v1/question/exclusions", "Leave a window of an area's answers out (each small area inside a larger one)", routing::post(exclude).layer(cx.limit()))
            .answers(schema::<Excluded>)
            .write(201, Some((schema::<ExclusionBody>, json!({ "layer": cx.ex.community_layer, "area": cx.ex.community, "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z", "reason": "answers from a leaflet drop counted twice" }))), false),
        Operation::new(Delete, "/v1/question/exclusions/{id}", "Count a window of answers again", routing::delete(restore))
            .answers(schema::<VoiceExclusion>)
            .params(vec![path("id", "an exclusion id", json!(1))])
            .write(200, None, false),
    ]
}
