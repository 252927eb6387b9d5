//! The append-only audit log (`/v1/audit`) and who a token is (`/v1/me`).

use super::params::Params;
use super::problem::ApiProblem;
use super::state::AppState;
use super::write::{self, blocking};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;

/// `GET /v1/audit?after=SEQ&limit=N`: the append-only log, oldest first
/// (default 100 entries, at most 1,000); `next` continues after the last.
///
/// Anonymous readers see the records without people's names (feed
/// administrators, handover administrators); a token shows them.
pub async fn audit(
    State(state): State<Arc<AppState>>,
    viewer: write::Viewer,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q.as_deref());
    params.only(&["after", "limit"])?;
    let after = params.whole("after", 0, 0, i64::MAX)?;
    let limit = params.whole("limit", 100, 0, 1000)?;
    let s = state.clone();
    let mut entries = blocking(move || Ok(s.store.audit(after, limit as usize)?)).await?;
    if !viewer.sees_names() {
        for e in &mut entries {
            for v in [&mut e.before, &mut e.after].into_iter().flatten() {
                write::without_names(v);
            }
        }
    }
    let next = (entries.len() as i64 == limit)
        .then(|| {
            entries
                .last()
                .map(|e| format!("/v1/audit?after={}&limit={limit}", e.seq))
        })
        .flatten();
    Ok(Json(AuditPage {
        count: entries.len(),
        entries,
        next,
    })
    .into_response())
}

/// `GET /v1/me`: who a bearer token is (its name and role), so the map can
/// check a token before using it; 401 for a missing or unknown token.
pub async fn me(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiProblem> {
    let c = write::bearer(&headers)
        .and_then(|t| state.tokens.check(t))
        .ok_or_else(|| {
            ApiProblem::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Authentication required",
                "send a valid Authorization: Bearer <token> header",
            )
        })?;
    Ok(Json(Me {
        name: c.name.clone(),
        role: c.role.as_str(),
    })
    .into_response())
}

/// The answer of `GET /v1/audit`.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct AuditPage {
    /// Entries on this page.
    pub count: usize,
    /// The entries, oldest first.
    pub entries: Vec<feedmap_store::AuditEntry>,
    /// The next page, when this one is full.
    pub next: Option<String>,
}

/// The answer of `GET /v1/me`.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Me {
    /// The token's name.
    pub name: String,
    /// `planner` or `reader`.
    pub role: &'static str,
}

/// This resource's operations: its routes and their description, which
/// the API's operation table gathers for the router and `/api`.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::{query, schema, Operation};
    use axum::routing;
    use serde_json::json;
    vec![
        cx.get(
            "/v1/audit",
            "The append-only log of every change",
            routing::get(audit),
        )
        .answers(schema::<AuditPage>)
        .params(vec![
            query(
                "after",
                "continue after this seq",
                json!({"type": "integer", "minimum": 0}),
            ),
            query(
                "limit",
                "entries",
                json!({"type": "integer", "minimum": 0, "maximum": 1000, "default": 100}),
            ),
        ]),
        Operation {
            secured: true,
            ..cx.get(
                "/v1/me",
                "Who a bearer token is (name and role)",
                routing::get(me),
            )
            .answers(schema::<Me>)
        },
    ]
}
