//! What every write endpoint shares: the bearer-token check, JSON bodies
//! with clear 400s (and 413 past the size limit), `ETag` / `If-Match`, and
//! store errors as problems.

use super::problem::ApiProblem;
use super::AppState;
use crate::auth::{Caller, TokenRole};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use feedmap_store::{Expect, StoreError};
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// A caller allowed to write: a planner token. Missing or unknown token →
/// 401; a reader token → 403.
pub struct Planner(pub Caller);

fn unauthorized(detail: &str) -> ApiProblem {
    ApiProblem::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Authentication required",
        detail,
    )
    .with_header(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"feedmap\""),
    )
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in
/// any case), if there is one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
}

impl FromRequestParts<Arc<AppState>> for Planner {
    type Rejection = ApiProblem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        if state.tokens.is_empty() {
            return Err(unauthorized(
                "this server has no write tokens; start it with --tokens FILE (or FEEDMAP_TOKENS_FILE)",
            ));
        }
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Err(unauthorized(
                "writes need an Authorization: Bearer <token> header",
            ));
        }
        let Some(caller) = bearer(&parts.headers).and_then(|t| state.tokens.check(t)) else {
            return Err(unauthorized("the bearer token is not valid"));
        };
        if caller.role != TokenRole::Planner {
            return Err(forbidden(format!(
                "token {:?} is {}; this write needs a planner token",
                caller.name,
                match caller.role {
                    TokenRole::Integrator =>
                        "an integrator's (it may read and manage its own webhooks)",
                    _ => "read-only",
                }
            )));
        }
        Ok(Planner(caller.clone()))
    }
}

/// 403 with `detail`.
pub fn forbidden(detail: String) -> ApiProblem {
    ApiProblem::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", detail)
}

/// The caller of a webhook write: a planner, or an integrator (on its own
/// webhooks only: see `api::webhooks`).
pub struct HookManager(pub Caller);

impl FromRequestParts<Arc<AppState>> for HookManager {
    type Rejection = ApiProblem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        if state.tokens.is_empty() || !parts.headers.contains_key(header::AUTHORIZATION) {
            // The same 401 as any write's.
            return Planner::from_request_parts(parts, state)
                .await
                .map(|p| HookManager(p.0));
        }
        let Some(caller) = bearer(&parts.headers).and_then(|t| state.tokens.check(t)) else {
            return Err(unauthorized("the bearer token is not valid"));
        };
        if caller.role == TokenRole::Reader {
            return Err(forbidden(format!(
                "token {:?} is read-only; webhooks are managed with a planner or integrator token",
                caller.name
            )));
        }
        Ok(HookManager(caller.clone()))
    }
}

/// Who is reading: anonymous, or the caller of a valid token (reader or
/// planner). Personal data (administrators' names) is answered only to a
/// caller; an `Authorization` header with an unknown token is 401, not
/// quietly read as anonymous.
pub struct Viewer(pub Option<Caller>);

impl Viewer {
    /// Whether answers may carry personal names.
    pub fn sees_names(&self) -> bool {
        self.0.is_some()
    }

    /// The caller, or 401 naming what needs a token.
    pub fn required(self, what: &str) -> Result<Caller, ApiProblem> {
        self.or_401(&format!("{what} names people"))
    }

    /// The caller, or 401 saying why a token is needed.
    pub fn or_401(self, why: &str) -> Result<Caller, ApiProblem> {
        self.0.ok_or_else(|| {
            unauthorized(&format!(
                "{why}; send an Authorization: Bearer <token> header (a reader token will do)"
            ))
        })
    }
}

impl FromRequestParts<Arc<AppState>> for Viewer {
    type Rejection = ApiProblem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(Viewer(None));
        }
        match bearer(&parts.headers).and_then(|t| state.tokens.check(t)) {
            Some(c) => Ok(Viewer(Some(c.clone()))),
            None => Err(unauthorized("the bearer token is not valid")),
        }
    }
}

/// Keys whose values are people's names in stored records (feed owners,
/// handovers): removed from what an anonymous reader sees of them.
pub const PERSONAL_KEYS: &[&str] = &["administrators", "from_administrators", "to_administrators"];

/// `v` without the values of [`PERSONAL_KEYS`], at any depth.
pub fn without_names(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(o) => {
            o.retain(|k, _| !PERSONAL_KEYS.contains(&k.as_str()));
            o.values_mut().for_each(without_names);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(without_names),
        _ => {}
    }
}

/// A JSON body, refused with a problem naming what is wrong: 415 without a
/// JSON content type, 400 for bad JSON or a wrong, missing or unknown field
/// (serde names it, with line and column), 413 past the size limit.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiProblem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(v) = axum::Json::<T>::from_request(req, state).await?;
        Ok(Body(v))
    }
}

/// 400 naming a body field.
pub fn bad_field(field: &str, detail: impl std::fmt::Display) -> ApiProblem {
    ApiProblem::new(
        StatusCode::BAD_REQUEST,
        "bad-body",
        "Invalid body",
        format!("{field}: {detail}"),
    )
}

/// Checks a text field: at most `max` characters and no NUL (PostgreSQL
/// cannot store one, so both stores refuse it alike). Anything else —
/// quotes, SQL, markup — is stored verbatim.
pub fn text(field: &str, value: &str, max: usize) -> Result<(), ApiProblem> {
    if value.contains('\0') {
        return Err(bad_field(field, "contains a NUL character"));
    }
    let n = value.chars().count();
    if n > max {
        return Err(bad_field(
            field,
            format!("is {n} characters; at most {max}"),
        ));
    }
    Ok(())
}

/// The ETag of a version.
pub fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"v{version}\"")).expect("ASCII")
}

/// A JSON answer with the `ETag` of `version`.
pub fn with_etag(status: StatusCode, version: i64, body: impl serde::Serialize) -> Response {
    let mut r = (status, axum::Json(body)).into_response();
    r.headers_mut().insert(header::ETAG, etag(version));
    r
}

/// What `If-Match` asks for. A write that changes or removes a record must
/// say which version it read (or `*`): without it, 428.
pub fn if_match(headers: &HeaderMap) -> Result<Expect, ApiProblem> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Err(ApiProblem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition-required",
            "If-Match required",
            "send If-Match with the ETag you read (or * to overwrite whatever is there)",
        ));
    };
    let v = v.to_str().unwrap_or("").trim();
    if v == "*" {
        return Ok(Expect::Any);
    }
    v.trim_start_matches("W/")
        .strip_prefix("\"v")
        .and_then(|s| s.strip_suffix('"'))
        .and_then(|s| s.parse::<i64>().ok())
        .map(Expect::Version)
        .ok_or_else(|| {
            ApiProblem::new(
                StatusCode::BAD_REQUEST,
                "bad-header",
                "Invalid If-Match",
                format!("If-Match {v:?} is not an ETag this server gave (like \"v3\") or *"),
            )
        })
}

/// A store error as a problem (and 412s carry the current ETag).
impl From<StoreError> for ApiProblem {
    fn from(e: StoreError) -> ApiProblem {
        match e {
            StoreError::NotFound { .. } => ApiProblem::not_found(e.to_string()),
            StoreError::Stale { current, .. } => ApiProblem::new(
                StatusCode::PRECONDITION_FAILED,
                "stale",
                "Changed since read",
                format!("{e}; read it again and reapply the change"),
            )
            .with_header(header::ETAG, etag(current)),
            StoreError::Exists { .. } | StoreError::NotEmpty(_) => ApiProblem::new(
                StatusCode::CONFLICT,
                "conflict",
                "Already exists",
                e.to_string(),
            ),
            StoreError::Conflict { .. } => ApiProblem::new(
                StatusCode::CONFLICT,
                "conflict",
                "Conflicts with the current state",
                e.to_string(),
            ),
            StoreError::SchemaTooNew { .. } | StoreError::Backend { .. } => {
                tracing::error!("store: {e}");
                ApiProblem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store-unavailable",
                    "Store unavailable",
                    format!("the store failed: {e}"),
                )
            }
        }
    }
}

/// Runs one store write off the async threads, then brings this server up
/// to date with it, so the answer (and the next read) reflects it.
pub async fn store_write<T: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce(&dyn feedmap_store::Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiProblem> {
    let s = state.clone();
    blocking(move || {
        let out = f(&*s.store)?;
        s.sync_or_stale();
        Ok(out)
    })
    .await
}

/// Runs blocking store work off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiProblem> + Send + 'static,
) -> Result<T, ApiProblem> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiProblem::internal(format!("store task failed: {e}")))?
}
