//! The feeds resource: the list and one feed (reads, always current),
//! and adding, editing and retiring feeds (planner token; `If-Match` to
//! edit or retire). The region's feed file is never written: an edited
//! file feed is kept in the store and replaces the file's row.

use super::decisions::MAX_TEXT;
use super::problem::{ApiProblem, Path};
use super::write::{self, blocking, if_match, text, Body, Planner};
use super::{AppState, Params};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use feedmap_domain::feeds::{check, Feed, FeedInput};
use feedmap_store::FeedFields;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// `GET /v1/feeds`: every feed, active, planned and retired, as the store
/// has them now.
pub async fn list(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    Params::parse(q.as_deref()).only(&[])?;
    state.fresh().await;
    let served = state.served.load();
    Ok(Json(FeedList {
        count: served.feeds().feeds.len(),
        feeds: &served.feeds().feeds,
    })
    .into_response())
}

/// The answer of `GET /v1/feeds`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FeedList<'a> {
    /// How many.
    pub count: usize,
    /// Every feed, in the feed file's order, then those added.
    pub feeds: &'a [Feed],
}

/// `GET /v1/feeds/{feed_id}`.
pub async fn one(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiProblem> {
    state.fresh().await;
    let served = state.served.load();
    let f = served
        .feeds()
        .get(&id)
        .ok_or_else(|| ApiProblem::not_found(format!("no feed {id:?}")))?;
    Ok(write::with_etag(StatusCode::OK, f.version, f))
}

/// The body of `POST /v1/feeds`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFeedBody {
    /// Unique id.
    pub feed_id: String,
    /// Platform word.
    pub platform: String,
    /// Account handle.
    pub handle: String,
    /// Public URL.
    pub url: String,
    /// Layer served (omit for force-wide).
    pub layer: Option<String>,
    /// Area served (omit for force-wide).
    pub area_id: Option<String>,
    /// Display name (default: the handle).
    #[serde(default)]
    pub name: String,
    /// `active`, `planned` (default) or `retired`.
    pub status: Option<String>,
}

/// The body of `PATCH /v1/feeds/{id}`: fields to change (`layer` and
/// `area_id` both `""` make it force-wide).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedPatchBody {
    /// Platform word.
    pub platform: Option<String>,
    /// Account handle.
    pub handle: Option<String>,
    /// Public URL.
    pub url: Option<String>,
    /// Layer served.
    pub layer: Option<String>,
    /// Area served.
    pub area_id: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// `active`, `planned` or `retired`.
    pub status: Option<String>,
}

/// Checks fields as the feed file's rows are checked, plus length and
/// NUL limits; every problem in one 400.
fn validate(state: &AppState, feed_id: &str, f: &FeedFields) -> Result<(), ApiProblem> {
    let texts = [
        ("feed_id", feed_id),
        ("platform", f.platform.as_str()),
        ("handle", f.handle.as_str()),
        ("url", f.url.as_str()),
        ("layer", f.layer.as_deref().unwrap_or("")),
        ("area_id", f.area_id.as_deref().unwrap_or("")),
        ("name", f.name.as_str()),
        ("status", f.status.as_str()),
    ];
    for (field, value) in texts {
        text(field, value, MAX_TEXT)?;
    }
    let served = state.served.load();
    let region = served.region();
    let input = FeedInput {
        feed_id,
        platform: &f.platform,
        handle: &f.handle,
        url: &f.url,
        layer: f.layer.as_deref().unwrap_or(""),
        area_id: f.area_id.as_deref().unwrap_or(""),
        name: &f.name,
        status: &f.status,
        owner: &f.owner,
    };
    check(&input, &region.layers)
        .map(|_| ())
        .map_err(|problems| {
            let detail = problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.detail))
                .collect::<Vec<_>>()
                .join("; ");
            write::bad_field("feed", detail)
        })
}

fn answer(state: &AppState, status: StatusCode, feed_id: &str) -> Result<Response, ApiProblem> {
    let served = state.served.load();
    let f = served.feeds().get(feed_id).ok_or_else(|| {
        write::bad_field("feed_id", "written, but not yet visible; read it again")
    })?;
    let mut r = write::with_etag(status, f.version, f);
    if status == StatusCode::CREATED {
        if let Ok(v) = format!("/v1/feeds/{feed_id}").parse() {
            r.headers_mut().insert(header::LOCATION, v);
        }
    }
    Ok(r)
}

fn blank_none(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

/// `POST /v1/feeds`: adds a feed (status `planned` unless given); 201
/// with the feed and its `ETag`; 409 if the id is taken.
pub async fn create(
    State(state): State<Arc<AppState>>,
    Planner(caller): Planner,
    Body(body): Body<NewFeedBody>,
) -> Result<Response, ApiProblem> {
    let fields = FeedFields {
        platform: body.platform,
        handle: body.handle,
        url: body.url,
        layer: blank_none(body.layer),
        area_id: blank_none(body.area_id),
        name: body.name,
        status: body.status.unwrap_or_else(|| "planned".into()),
        owner: feedmap_store::Ownership {
            status_since: Some(feedmap_geography::calendar::today()),
            ..Default::default()
        },
    };
    let feed_id = body.feed_id;
    let s = state.clone();
    blocking(move || {
        validate(&s, &feed_id, &fields)?;
        let mut fields = fields;
        if fields.name.is_empty() {
            fields.name = fields.handle.clone();
        }
        if s.served.load().source().feeds.get(&feed_id).is_some() {
            return Err(feedmap_store::StoreError::Exists {
                entity: "feed",
                id: format!("{feed_id} (in the region's feed file; PATCH it to edit)"),
                existing: None,
            }
            .into());
        }
        s.store.create_feed(&caller.name, &feed_id, fields)?;
        s.sync_or_stale();
        answer(&s, StatusCode::CREATED, &feed_id)
    })
    .await
}

fn apply(current: &Feed, patch: FeedPatchBody) -> FeedFields {
    let mut f = current.fields();
    let set = |slot: &mut String, v: Option<String>| {
        if let Some(v) = v {
            *slot = v;
        }
    };
    set(&mut f.platform, patch.platform);
    set(&mut f.handle, patch.handle);
    set(&mut f.url, patch.url);
    set(&mut f.name, patch.name);
    if patch.status.as_ref().is_some_and(|s| *s != f.status) {
        f.owner.status_since = Some(feedmap_geography::calendar::today());
    }
    set(&mut f.status, patch.status);
    if let Some(l) = patch.layer {
        f.layer = blank_none(Some(l));
    }
    if let Some(a) = patch.area_id {
        f.area_id = blank_none(Some(a));
    }
    f
}

async fn change(
    state: Arc<AppState>,
    feed_id: String,
    headers: HeaderMap,
    who: String,
    patch: FeedPatchBody,
) -> Result<Response, ApiProblem> {
    let expect = if_match(&headers)?;
    let s = state.clone();
    blocking(move || {
        s.sync_or_stale();
        let current = s
            .served
            .load()
            .feeds()
            .get(&feed_id)
            .cloned()
            .ok_or_else(|| ApiProblem::not_found(format!("no feed {feed_id:?}")))?;
        let fields = apply(&current, patch);
        validate(&s, &feed_id, &fields)?;
        let file = s
            .served
            .load()
            .source()
            .feeds
            .get(&feed_id)
            .map(Feed::fields);
        let base = (current.source == feedmap_domain::feeds::FeedSource::File)
            .then_some(file)
            .flatten();
        s.store
            .update_feed(&who, &feed_id, expect, fields, base.as_ref())?;
        s.sync_or_stale();
        answer(&s, StatusCode::OK, &feed_id)
    })
    .await
}

/// `PATCH /v1/feeds/{id}` with `If-Match`: changes fields (e.g. assigns
/// the handle of an accepted suggestion's feed, or makes it active).
pub async fn update(
    State(state): State<Arc<AppState>>,
    Path(feed_id): Path<String>,
    headers: HeaderMap,
    Planner(caller): Planner,
    Body(patch): Body<FeedPatchBody>,
) -> Result<Response, ApiProblem> {
    change(state, feed_id, headers, caller.name, patch).await
}

/// `DELETE /v1/feeds/{id}` with `If-Match`: retires the feed. It stays
/// listed (status `retired`) and lookups stop returning it.
pub async fn retire(
    State(state): State<Arc<AppState>>,
    Path(feed_id): Path<String>,
    headers: HeaderMap,
    Planner(caller): Planner,
) -> Result<Response, ApiProblem> {
    let patch = FeedPatchBody {
        status: Some("retired".into()),
        ..FeedPatchBody::default()
    };
    change(state, feed_id, headers, caller.name, patch).await
}
