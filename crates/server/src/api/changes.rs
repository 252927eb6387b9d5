//! `GET /v1/changes`: the public change feed (see [`feedmap_domain::changes`]),
//! polled or held open (long-poll with `wait`).

use super::params::Params;
use super::problem::ApiProblem;
use super::state::AppState;
use super::write::blocking;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use feedmap_domain::changes::Change;
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest `wait`, in seconds.
pub const MAX_WAIT_S: u64 = 60;

/// Audit entries read per store query while looking for public changes,
/// and at most this many pages per request (the answer's `last_seq` then
/// lets the client go on).
const PAGE: usize = 1000;
const PAGES: usize = 20;

/// A page of the change feed.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ChangePage {
    /// How many changes.
    pub count: usize,
    /// The changes, oldest first.
    pub changes: Vec<Change>,
    /// Where the feed has been read to: ask again with `after` set to it
    /// (it passes entries that are not public changes too).
    pub last_seq: i64,
    /// The next request.
    pub next: String,
    /// Why nothing can come, when `after` is beyond the end of the log
    /// (a seq saved from another server's store, or from before the store
    /// was restored from a backup); null otherwise.
    pub note: Option<String>,
}

/// Reads public changes after `after`: up to `limit`, and where it stopped.
fn scan(
    store: &dyn feedmap_store::Store,
    after: i64,
    limit: usize,
) -> Result<(Vec<Change>, i64), feedmap_store::StoreError> {
    let mut found = Vec::new();
    let mut last = after;
    for _ in 0..PAGES {
        let entries = store.audit(last, PAGE)?;
        for e in &entries {
            if let Some(c) = Change::of(e) {
                found.push(c);
            }
            last = e.seq;
            if found.len() == limit {
                return Ok((found, last));
            }
        }
        if entries.len() < PAGE {
            break;
        }
    }
    Ok((found, last))
}

/// `GET /v1/changes?after=SEQ&limit=N&wait=S`: public changes to feeds and
/// boundaries after `after` (default 0), oldest first, at most `limit`
/// (default 100, at most 1,000). With `wait` (seconds, at most 60), an
/// empty answer is held until a change comes or the time is up.
pub async fn list(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q.as_deref());
    params.only(&["after", "limit", "wait"])?;
    let after = params.whole("after", 0, 0, i64::MAX)?;
    let limit = params.whole("limit", 100, 1, 1000)? as usize;
    let wait = params.whole("wait", 0, 0, MAX_WAIT_S as i64)? as u64;
    let deadline = Instant::now() + Duration::from_secs(wait);
    let mut from = after;
    loop {
        let s = state.clone();
        let (found, last, end) = blocking(move || {
            let (found, last) = scan(s.store.as_ref(), from, limit)?;
            Ok((found, last, s.store.last_seq()?))
        })
        .await?;
        from = last;
        // Beyond the end of the log: said at once, not waited on.
        let beyond = (after > end).then(|| {
            format!(
                "after={after} is beyond the end of the change log (its last seq is {end}): no change has that seq yet; a seq saved from another store, or from before a restore, never will — start again from after={end} (or after=0 for everything)"
            )
        });
        if !found.is_empty() || beyond.is_some() || Instant::now() >= deadline {
            return Ok(Json(ChangePage {
                count: found.len(),
                changes: found,
                last_seq: last,
                next: format!("/v1/changes?after={last}&limit={limit}"),
                note: beyond,
            })
            .into_response());
        }
        // Nothing yet: wait until what is served has moved past what was
        // read (this server's writes at once, other servers' at the next
        // store poll) or the time is up.
        let mut seq = state.seq();
        let left = deadline.saturating_duration_since(Instant::now());
        let _ = tokio::time::timeout(left, seq.wait_for(|&s| s > from)).await;
    }
}

/// This resource's operations: its routes and their description, which
/// the API's operation table gathers for the router and `/api`.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::{query, schema};
    use axum::routing;
    use serde_json::json;
    vec![
        cx.get("/v1/changes", "Public changes to feeds and boundaries (added, changed, retired, handed over, moved; releases activated), oldest first; poll with after, or hold open with wait", routing::get(list))
            .answers(schema::<ChangePage>)
            .params(vec![
                query("after", "continue after this seq (the last answer's last_seq)", json!({"type": "integer", "minimum": 0})),
                query("limit", "changes", json!({"type": "integer", "minimum": 1, "maximum": 1000, "default": 100})),
                query("wait", "seconds to hold an empty answer open for the next change (long-poll)", json!({"type": "integer", "minimum": 0, "maximum": MAX_WAIT_S, "default": 0})),
            ])
            .untimed(),
    ]
}
