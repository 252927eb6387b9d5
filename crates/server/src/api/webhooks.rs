//! Webhooks over HTTP: planners register, change, pause, resume and
//! remove them, and so does an integrator's token with the webhooks it
//! registered (and no other); anyone with a token sees them with where
//! their deliveries are (a paused hook and why; an integrator sees its
//! own). `POST /v1/webhooks/{id}/test` sends a signed `ping` at once and
//! says what the receiver answered. Delivery itself is
//! [`crate::webhooks`]. The secret is answered once, when the hook is
//! created (or given).

use super::problem::{ApiProblem, Path};
use super::write::{
    bad_field, blocking, forbidden, if_match, store_write, text, with_etag, Body, HookManager,
    Viewer,
};
use super::AppState;
use crate::auth::{Caller, TokenRole};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use feedmap_store::{
    AreaKey, DeliveryState, EventKind, NewWebhook, Store, StoreError, Webhook, WebhookPatch,
    WebhookRow, WebhookStatus,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 1_000;
/// Most areas one hook names.
pub const MAX_AREAS: usize = 10_000;

/// A webhook as the API shows it (never its secret).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct WebhookView {
    /// The registration.
    #[serde(flatten)]
    pub hook: Webhook,
    /// Where its deliveries are.
    pub delivery: DeliveryState,
    /// Audit entries after its cursor not yet looked at: an upper bound on
    /// the events waiting for it.
    pub entries_behind: i64,
}

fn view(row: WebhookRow, last_seq: i64) -> WebhookView {
    WebhookView {
        entries_behind: (last_seq - row.delivery.after_seq).max(0),
        hook: row.hook,
        delivery: row.delivery,
    }
}

/// The answer of `POST /v1/webhooks`: the hook and, this once, its secret.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Created {
    /// The hook.
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// The signing secret: keep it; it is not shown again.
    pub secret: String,
}

/// The answer of `GET /v1/webhooks`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct WebhookList {
    /// How many.
    pub count: usize,
    /// How many are paused.
    pub paused: usize,
    /// Every hook, by id.
    pub webhooks: Vec<WebhookView>,
}

/// The body of `POST /v1/webhooks`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    /// Where to POST events (`https://`, or `http://`).
    pub url: String,
    /// The kinds wanted (default: every kind).
    #[serde(default)]
    pub events: Vec<EventKind>,
    /// The areas wanted, each `{ "layer": …, "id": … }` (default:
    /// everywhere); a neighbourhood's hook hears about the communities in
    /// it too.
    #[serde(default)]
    pub areas: Vec<AreaKey>,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    /// The signing secret (16 to 256 printable ASCII characters); default:
    /// a random one, answered once.
    pub secret: Option<String>,
}

/// The body of `PATCH /v1/webhooks/{id}`: fields left out keep their
/// value.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatchBody {
    /// A new URL.
    pub url: Option<String>,
    /// New kinds (empty: every kind).
    pub events: Option<Vec<EventKind>>,
    /// New areas (empty: everywhere).
    pub areas: Option<Vec<AreaKey>>,
    /// A new description.
    pub description: Option<String>,
    /// `paused` stops deliveries (events keep queueing); `active` resumes
    /// them from where they stopped, failures cleared.
    pub status: Option<WebhookStatus>,
    /// Why it is paused (with `status: paused`).
    pub paused_reason: Option<String>,
    /// A new signing secret.
    pub secret: Option<String>,
}

fn check_url(url: &str) -> Result<(), ApiProblem> {
    crate::webhooks::check_url(url).map_err(|e| bad_field("url", e))
}

fn check_secret(secret: &str) -> Result<(), ApiProblem> {
    let n = secret.chars().count();
    if !(16..=256).contains(&n) {
        return Err(bad_field(
            "secret",
            format!("is {n} characters; give 16 to 256"),
        ));
    }
    if !secret.chars().all(|c| c.is_ascii_graphic()) {
        return Err(bad_field(
            "secret",
            "must be printable ASCII without spaces",
        ));
    }
    Ok(())
}

/// Checks each area against the region served now; duplicates dropped.
fn check_areas(state: &AppState, areas: Vec<AreaKey>) -> Result<Vec<AreaKey>, ApiProblem> {
    if areas.len() > MAX_AREAS {
        return Err(bad_field(
            "areas",
            format!("{} areas; at most {MAX_AREAS}", areas.len()),
        ));
    }
    let served = state.served();
    let region = served.region();
    let mut out: Vec<AreaKey> = Vec::with_capacity(areas.len());
    for (n, a) in areas.into_iter().enumerate() {
        let Some((_, layer)) = region.layer(&a.layer) else {
            let known: Vec<&str> = region.layers.iter().map(|l| l.id.as_str()).collect();
            return Err(bad_field(
                &format!("areas[{n}].layer"),
                format!(
                    "{:?} is not a layer (layers: {})",
                    a.layer,
                    known.join(", ")
                ),
            ));
        };
        if layer.area_index(&a.id).is_none() {
            return Err(bad_field(
                &format!("areas[{n}].id"),
                format!("{:?} is not an area of layer {:?}", a.id, a.layer),
            ));
        }
        if !out.contains(&a) {
            out.push(a);
        }
    }
    Ok(out)
}

fn dedup(mut events: Vec<EventKind>) -> Vec<EventKind> {
    events.sort();
    events.dedup();
    events
}

fn parse_id(id: &str) -> Result<i64, ApiProblem> {
    id.parse::<i64>().ok().filter(|&i| i > 0).ok_or_else(|| {
        ApiProblem::not_found(format!("no webhook {id:?} (ids are positive numbers)"))
    })
}

const WHY: &str = "webhooks name their receivers";

/// `GET /v1/webhooks` (a token): every hook with where its deliveries are.
pub async fn list(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
) -> Result<Response, ApiProblem> {
    let caller = viewer.or_401(WHY)?;
    let s = state.clone();
    let (rows, last) = blocking(move || Ok((s.store.webhooks()?, s.store.last_seq()?))).await?;
    let webhooks: Vec<WebhookView> = rows
        .into_iter()
        .filter(|r| owns(&caller, &r.hook).is_ok())
        .map(|r| view(r, last))
        .collect();
    Ok(Json(WebhookList {
        count: webhooks.len(),
        paused: webhooks
            .iter()
            .filter(|w| w.hook.status == WebhookStatus::Paused)
            .count(),
        webhooks,
    })
    .into_response())
}

/// Whether `caller` may see and manage `hook`: any planner or reader
/// token, an integrator's only the hooks it registered.
fn owns(caller: &Caller, hook: &Webhook) -> Result<(), ApiProblem> {
    if caller.role == TokenRole::Integrator && hook.meta.created_by != caller.name {
        return Err(forbidden(format!(
            "webhook {} was registered by another token; an integrator's token manages only its own",
            hook.id
        )));
    }
    Ok(())
}

/// The hook `id`, checked to be `caller`'s to manage.
async fn owned(state: &Arc<AppState>, caller: &Caller, id: i64) -> Result<(), ApiProblem> {
    if caller.role != TokenRole::Integrator {
        return Ok(());
    }
    let s = state.clone();
    let (row, _) = blocking(move || Ok(read_one(&*s.store, id)?)).await?;
    owns(caller, &row.hook)
}

/// Reads one hook and the last audit `seq`.
fn read_one(store: &dyn Store, id: i64) -> Result<(WebhookRow, i64), StoreError> {
    let row = store.webhook(id)?.ok_or(StoreError::NotFound {
        entity: "webhook",
        id: id.to_string(),
    })?;
    Ok((row, store.last_seq()?))
}

/// `GET /v1/webhooks/{id}` (a token), with its `ETag`.
pub async fn one(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    viewer: Viewer,
) -> Result<Response, ApiProblem> {
    let caller = viewer.or_401(WHY)?;
    let id = parse_id(&id)?;
    let s = state.clone();
    let (row, last) = blocking(move || Ok(read_one(&*s.store, id)?)).await?;
    owns(&caller, &row.hook)?;
    Ok(with_etag(
        StatusCode::OK,
        row.hook.meta.version,
        view(row, last),
    ))
}

/// `POST /v1/webhooks` (planner or integrator): registers a hook, active,
/// for events after now; 201 with its secret (this once) and `Location`.
pub async fn create(
    State(state): State<Arc<AppState>>,
    HookManager(caller): HookManager,
    Body(body): Body<WebhookBody>,
) -> Result<Response, ApiProblem> {
    check_url(&body.url)?;
    text("description", &body.description, MAX_DESCRIPTION)?;
    let secret = match body.secret {
        Some(s) => {
            check_secret(&s)?;
            s
        }
        None => crate::webhooks::new_secret().map_err(ApiProblem::internal)?,
    };
    let new = NewWebhook {
        url: body.url,
        events: dedup(body.events),
        areas: check_areas(&state, body.areas)?,
        description: body.description,
        secret: secret.clone(),
    };
    let row = store_write(&state, move |store| store.create_webhook(&caller.name, new)).await?;
    let (id, version, last) = (row.hook.id, row.hook.meta.version, row.delivery.after_seq);
    let mut r = with_etag(
        StatusCode::CREATED,
        version,
        Created {
            webhook: view(row, last),
            secret,
        },
    );
    if let Ok(v) = format!("/v1/webhooks/{id}").parse() {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

/// `PATCH /v1/webhooks/{id}` (planner, or the integrator that registered
/// it; `If-Match`): changes, pauses or resumes a hook.
pub async fn update(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    HookManager(caller): HookManager,
    Body(body): Body<WebhookPatchBody>,
) -> Result<Response, ApiProblem> {
    let id = parse_id(&id)?;
    let expect = if_match(&headers)?;
    owned(&state, &caller, id).await?;
    if let Some(u) = &body.url {
        check_url(u)?;
    }
    if let Some(d) = &body.description {
        text("description", d, MAX_DESCRIPTION)?;
    }
    if let Some(s) = &body.secret {
        check_secret(s)?;
    }
    if let Some(r) = &body.paused_reason {
        text("paused_reason", r, MAX_DESCRIPTION)?;
        if body.status != Some(WebhookStatus::Paused) {
            return Err(bad_field(
                "paused_reason",
                "goes with \"status\": \"paused\"",
            ));
        }
    }
    let patch = WebhookPatch {
        url: body.url,
        events: body.events.map(dedup),
        areas: body.areas.map(|a| check_areas(&state, a)).transpose()?,
        description: body.description,
        status: body.status.map(|s| (s, body.paused_reason)),
        secret: body.secret,
    };
    let (row, last) = store_write(&state, move |store| {
        let row = store.update_webhook(&caller.name, id, expect, patch)?;
        Ok((row, store.last_seq()?))
    })
    .await?;
    Ok(with_etag(
        StatusCode::OK,
        row.hook.meta.version,
        view(row, last),
    ))
}

/// The answer of `DELETE /v1/webhooks/{id}`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Removed {
    /// The hook removed (the audit log keeps it).
    pub removed: Webhook,
}

/// `DELETE /v1/webhooks/{id}` (planner, or the integrator that
/// registered it; `If-Match`): removes a hook; no more deliveries.
pub async fn delete(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    HookManager(caller): HookManager,
) -> Result<Response, ApiProblem> {
    let id = parse_id(&id)?;
    let expect = if_match(&headers)?;
    owned(&state, &caller, id).await?;
    let removed = store_write(&state, move |store| {
        store.delete_webhook(&caller.name, id, expect)
    })
    .await?;
    Ok(Json(Removed { removed }).into_response())
}

/// `POST /v1/webhooks/{id}/test` (planner, or the integrator that
/// registered it): POSTs a signed `ping` to the hook's URL now — paused or
/// not, outside its delivery queue, changing nothing of its state — and
/// answers what the receiver said.
pub async fn test(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    HookManager(caller): HookManager,
) -> Result<Response, ApiProblem> {
    let id = parse_id(&id)?;
    let s = state.clone();
    let claim = blocking(move || {
        Ok(s.store
            .webhook_with_secret(id)?
            .ok_or(StoreError::NotFound {
                entity: "webhook",
                id: id.to_string(),
            })?)
    })
    .await?;
    owns(&caller, &claim.row.hook)?;
    let answer = crate::webhooks::ping(
        &claim.row.hook,
        &claim.secret,
        state.config.webhooks.timeout,
    )
    .await;
    Ok(Json(answer).into_response())
}

/// This resource's operations: its routes and their description, which
/// the API's operation table gathers for the router and `/api`.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::Verb::*;
    use super::operation::{path, schema, Operation};
    use axum::routing;
    use serde_json::json;
    vec![
        Operation::new(Post, "/v1/webhooks", "Register a webhook (201): events after now, signed with its secret (answered this once), retried with backoff, paused after repeated failures", routing::post(create).layer(cx.limit()))
            .answers(schema::<Created>)
            .delivering()
            .write(201, Some((schema::<WebhookBody>, json!({ "url": "https://hooks.example.org/feedmap", "events": ["feed.added", "feed.retired", "feed.handed_over", "boundary.activated"], "areas": [{ "layer": cx.ex.community_layer, "id": cx.ex.community }], "description": "Example council: new and retired feeds in our area" }))), false),
        Operation {
            secured: true,
            ..cx.get("/v1/webhooks", "Every webhook with where its deliveries are (paused ones and why); a token", routing::get(list))
                .answers(schema::<WebhookList>)
        },
        Operation {
            secured: true,
            ..cx.get("/v1/webhooks/{id}", "One webhook with its delivery state and ETag; a token", routing::get(one))
                .answers(schema::<WebhookView>)
                .params(vec![path("id", "a webhook id", json!(1))])
        },
        Operation::new(Patch, "/v1/webhooks/{id}", "Change a webhook; status paused stops its deliveries (events keep queueing), active resumes them from where they stopped", routing::patch(update).layer(cx.limit()))
            .answers(schema::<WebhookView>)
            .params(vec![path("id", "a webhook id", json!(1))])
            .write(200, Some((schema::<WebhookPatchBody>, json!({ "status": "active" }))), true),
        Operation::new(Post, "/v1/webhooks/{id}/test", "Send a signed ping to a webhook's URL now (Feedmap-Event: ping), and answer what its receiver said; nothing of the hook changes", routing::post(test))
            .answers(schema::<crate::webhooks::PingAnswer>)
            .params(vec![path("id", "a webhook id", json!(2))])
            .write(200, None, false),
        Operation::new(Delete, "/v1/webhooks/{id}", "Remove a webhook (the audit log keeps it)", routing::delete(delete))
            .answers(schema::<Removed>)
            .params(vec![path("id", "a webhook id", json!(1))])
            .write(200, None, true),
    ]
}
