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
use feedmap_domain::feeds::{check, Feed};
use feedmap_store::{FeedEntry, FeedFields, FeedStatus};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
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

/// The body of `POST /v1/feeds`: the id and the feed's fields (a
/// force-wide feed leaves out `layer` and `area_id`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct NewFeedBody {
    /// Unique id.
    pub feed_id: String,
    /// The feed's fields.
    #[serde(flatten)]
    pub fields: FeedFields,
    /// Any other key: refused, naming it.
    #[serde(flatten)]
    #[schemars(skip)]
    pub other: Map<String, Value>,
}

/// The body of `PATCH /v1/feeds/{id}`: any of a feed's fields, each
/// replacing its value (a JSON merge patch; `layer` and `area_id` both
/// `""` or `null` make it force-wide).
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct FeedPatchBody(pub Map<String, Value>);

/// The schema of a feed's fields with none required: generated from
/// [`FeedFields`], so a new field is patchable without a change here.
impl schemars::JsonSchema for FeedPatchBody {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FeedPatchBody".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = FeedFields::json_schema(generator);
        if let Some(o) = schema.as_object_mut() {
            o.remove("required");
            // A field left out keeps its value: a new feed's defaults
            // do not apply.
            if let Some(props) = o.get_mut("properties").and_then(Value::as_object_mut) {
                for p in props.values_mut().filter_map(Value::as_object_mut) {
                    p.remove("default");
                }
            }
            o.insert("additionalProperties".into(), Value::Bool(false));
            o.insert(
                "description".into(),
                "Fields to change, each replacing its value (a JSON merge patch).".into(),
            );
        }
        schema
    }
}

/// A feed's fields as a JSON object (every field present, `null` for none).
fn as_object(f: &FeedFields) -> Map<String, Value> {
    match serde_json::to_value(f) {
        Ok(Value::Object(o)) => o,
        _ => Map::new(),
    }
}

/// The names of a feed's fields, from the schema of [`FeedFields`].
static FIELD_NAMES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    schemars::schema_for!(FeedFields)
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
});

/// Refuses keys that are not feed fields, naming them and the fields.
fn only_fields(keys: impl Iterator<Item = String>) -> Result<(), ApiProblem> {
    let unknown: Vec<String> = keys.filter(|k| !FIELD_NAMES.contains(k)).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(write::bad_field(
        &unknown.join(", "),
        format!("not a feed field (the fields: {})", FIELD_NAMES.join(", ")),
    ))
}

/// A blank layer or area id is none (force-wide).
fn blank_none(f: &mut FeedFields) {
    for v in [&mut f.layer, &mut f.area_id] {
        if v.as_deref() == Some("") {
            *v = None;
        }
    }
}

/// Checks an entry as the feed file's rows are checked, plus length and
/// NUL limits on every text field; every problem in one 400. The feed as
/// checked: a blank area is none, an empty name the handle.
fn validate(state: &AppState, feed_id: &str, e: &FeedEntry) -> Result<Feed, ApiProblem> {
    text("feed_id", feed_id, MAX_TEXT)?;
    for (field, value) in as_object(&e.fields) {
        if let Value::String(v) = value {
            text(&field, &v, MAX_TEXT)?;
        }
    }
    let served = state.served.load();
    check(feed_id, e, &served.region().layers).map_err(|problems| {
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

/// `POST /v1/feeds`: adds a feed (status `planned` unless given); 201
/// with the feed and its `ETag`; 409 if the id is taken.
pub async fn create(
    State(state): State<Arc<AppState>>,
    Planner(caller): Planner,
    Body(body): Body<NewFeedBody>,
) -> Result<Response, ApiProblem> {
    only_fields(body.other.keys().cloned())?;
    let mut entry = FeedEntry {
        fields: body.fields,
        owner: feedmap_store::Ownership {
            status_since: Some(feedmap_geography::calendar::today()),
            ..Default::default()
        },
    };
    let feed_id = body.feed_id;
    let s = state.clone();
    blocking(move || {
        entry.fields = validate(&s, &feed_id, &entry)?.fields;
        if s.served.load().source().feeds.get(&feed_id).is_some() {
            return Err(feedmap_store::StoreError::Exists {
                entity: "feed",
                id: format!("{feed_id} (in the region's feed file; PATCH it to edit)"),
                existing: None,
            }
            .into());
        }
        s.store.create_feed(&caller.name, &feed_id, entry)?;
        s.sync_or_stale();
        answer(&s, StatusCode::CREATED, &feed_id)
    })
    .await
}

/// The current entry with the patch merged into its fields; a change of
/// status restarts `status_since`.
fn apply(current: &Feed, patch: FeedPatchBody) -> Result<FeedEntry, ApiProblem> {
    let mut merged = as_object(&current.fields);
    merged.extend(patch.0);
    let mut fields: FeedFields =
        serde_json::from_value(Value::Object(merged)).map_err(|e| write::bad_field("feed", e))?;
    blank_none(&mut fields);
    let mut entry = current.entry();
    if fields.status != entry.fields.status {
        entry.owner.status_since = Some(feedmap_geography::calendar::today());
    }
    entry.fields = fields;
    Ok(entry)
}

async fn change(
    state: Arc<AppState>,
    feed_id: String,
    headers: HeaderMap,
    who: String,
    patch: FeedPatchBody,
) -> Result<Response, ApiProblem> {
    // A body problem is told first, as when the body is read.
    only_fields(patch.0.keys().cloned())?;
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
        let entry = apply(&current, patch)?;
        validate(&s, &feed_id, &entry)?;
        let file = s
            .served
            .load()
            .source()
            .feeds
            .get(&feed_id)
            .map(Feed::entry);
        let base = (current.source == feedmap_domain::feeds::FeedSource::File)
            .then_some(file)
            .flatten();
        s.store
            .update_feed(&who, &feed_id, expect, entry, base.as_ref())?;
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
    let mut patch = FeedPatchBody::default();
    patch
        .0
        .insert("status".into(), FeedStatus::Retired.as_str().into());
    change(state, feed_id, headers, caller.name, patch).await
}

/// This resource's operations: its routes and their description, which
/// the API's operation table gathers for the router and `/api`.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::Verb::*;
    use super::operation::{path, schema, Operation};
    use axum::routing;
    use serde_json::json;
    let new_feed = json!({
        "feed_id": "example-community-feed", "platform": "x", "handle": "@ExampleCommunity",
        "url": "https://x.example/ExampleCommunity", "layer": cx.ex.community_layer,
        "area_id": cx.ex.community, "name": format!("{} community feed", cx.ex.community_name),
        "status": "planned",
    });
    vec![
        cx.get(
            "/v1/feeds",
            "Every feed (active, planned, retired)",
            routing::get(list).layer(cx.limit()),
        )
        .answers(schema::<FeedList>),
        Operation::new(
            Post,
            "/v1/feeds",
            "Add a feed (201)",
            routing::post(create).layer(cx.limit()),
        )
        .answers(schema::<feedmap_domain::feeds::Feed>)
        .write(201, Some((schema::<NewFeedBody>, new_feed)), false),
        cx.get(
            "/v1/feeds/{feed_id}",
            "One feed, with its ETag",
            routing::get(one).layer(cx.limit()),
        )
        .answers(schema::<feedmap_domain::feeds::Feed>)
        .params(vec![path("feed_id", "a feed id", json!(cx.feed_id()))]),
        Operation::new(
            Patch,
            "/v1/feeds/{feed_id}",
            "Change a feed",
            routing::patch(update).layer(cx.limit()),
        )
        .answers(schema::<feedmap_domain::feeds::Feed>)
        .params(vec![path("feed_id", "a feed id", json!(cx.feed_id()))])
        .write(
            200,
            Some((schema::<FeedPatchBody>, json!({ "name": "Renamed feed" }))),
            true,
        ),
        Operation::new(
            Delete,
            "/v1/feeds/{feed_id}",
            "Retire a feed (it stays listed, retired)",
            routing::delete(retire).layer(cx.limit()),
        )
        .answers(schema::<feedmap_domain::feeds::Feed>)
        .params(vec![path("feed_id", "a feed id", json!(cx.feed_id()))])
        .write(200, None, true),
    ]
}
