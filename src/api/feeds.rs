//! Feed endpoints: single lookup, streaming batch, the feed list, and
//! (in [`edit`]) adding, editing and retiring feeds.

use super::problem::ApiProblem;
use super::problem::Path;
use super::{AppState, Params};
use crate::batch::{self, Format};
use crate::query::{Query, QueryError};
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::json;
use std::io::{BufRead, Read, Write};
use std::sync::Arc;

impl From<QueryError> for ApiProblem {
    fn from(e: QueryError) -> Self {
        if e.is_bad_request() {
            ApiProblem::bad_parameter(e.to_string())
        } else {
            ApiProblem::not_found(e.to_string())
        }
    }
}

/// The query given by exactly one of `lat`+`lon`, `postcode` or `q`.
fn query_param(params: &Params) -> Result<Query, ApiProblem> {
    params.only(&["lat", "lon", "postcode", "q"])?;
    let forms = [
        params.get("lat")?.is_some() || params.get("lon")?.is_some(),
        params.get("postcode")?.is_some(),
        params.get("q")?.is_some(),
    ];
    match forms.iter().filter(|&&f| f).count() {
        0 => {
            return Err(ApiProblem::bad_parameter(
                "give lat and lon, or postcode, or q",
            ))
        }
        1 => {}
        _ => {
            return Err(ApiProblem::bad_parameter(
                "give only one of: lat and lon, postcode, q",
            ))
        }
    }
    if let Some(p) = params.get("postcode")? {
        return Ok(Query::Postcode(p.to_string()));
    }
    if let Some(q) = params.get("q")? {
        return Ok(Query::Text(q.to_string()));
    }
    let p = super::point_param(params)?;
    Ok(Query::Point {
        lat: p.lat,
        lon: p.lon,
    })
}

/// `GET /v1/feeds/lookup?lat=&lon=` | `?postcode=` | `?q=`.
pub async fn lookup(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let query = query_param(&Params::parse(q))?;
    let served = state.served.load();
    Ok(Json(served.feeds_for(&query)?).into_response())
}

/// `GET /v1/feeds`: every feed, active, planned and retired, as the store
/// has them now.
pub async fn list(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    Params::parse(q).only(&[])?;
    let s = state.clone();
    let _ = tokio::task::spawn_blocking(move || s.sync_for_read()).await;
    let served = state.served.load();
    Ok(
        Json(json!({ "count": served.feeds.feeds.len(), "feeds": served.feeds.feeds }))
            .into_response(),
    )
}

/// `GET /v1/feeds/{feed_id}`.
pub async fn one(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiProblem> {
    let s = state.clone();
    let _ = tokio::task::spawn_blocking(move || s.sync_for_read()).await;
    let served = state.served.load();
    let f = served
        .feeds
        .get(&id)
        .ok_or_else(|| ApiProblem::not_found(format!("no feed {id:?}")))?;
    let mut r = Json(f).into_response();
    r.headers_mut()
        .insert(axum::http::header::ETAG, super::write::etag(f.version));
    Ok(r)
}

/// The batch's output, spooled to an anonymous temporary file that the
/// response tails. The batch never waits for the client, so a client that
/// uploads its whole body before reading the answer (many do) cannot
/// deadlock against it, and memory stays flat: the spool lives on disk and
/// is gone when the response ends.
struct Spool {
    written: std::sync::atomic::AtomicU64,
    finished: std::sync::atomic::AtomicBool,
    failed: std::sync::Mutex<Option<String>>,
    wake: tokio::sync::Notify,
}

/// The batch's end of the spool.
struct SpoolWriter {
    file: std::io::BufWriter<std::fs::File>,
    spool: Arc<Spool>,
}

impl Write for SpoolWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.file.write_all(data)?;
        if self.file.buffer().len() + data.len() >= 64 * 1024 {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()?;
        let len = self.file.get_ref().metadata()?.len();
        self.spool
            .written
            .store(len, std::sync::atomic::Ordering::Release);
        self.spool.wake.notify_one();
        Ok(())
    }
}

impl Spool {
    fn finish(&self, error: Option<String>) {
        *self.failed.lock().unwrap_or_else(|e| e.into_inner()) = error;
        self.finished
            .store(true, std::sync::atomic::Ordering::Release);
        self.wake.notify_one();
    }
}

/// Streams the spool file as it grows, until the batch has finished and
/// everything written has been sent.
fn tail(
    file: std::fs::File,
    spool: Arc<Spool>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    use std::os::unix::fs::FileExt;
    use std::sync::atomic::Ordering;
    futures_util::stream::unfold((file, spool, 0u64), |(file, spool, pos)| async move {
        loop {
            let finished = spool.finished.load(Ordering::Acquire);
            let written = spool.written.load(Ordering::Acquire);
            if pos < written {
                let n = (written - pos).min(256 * 1024) as usize;
                let mut buf = vec![0u8; n];
                return match file.read_exact_at(&mut buf, pos) {
                    Ok(()) => Some((Ok(Bytes::from(buf)), (file, spool, pos + n as u64))),
                    Err(e) => Some((Err(e), (file, spool, u64::MAX))),
                };
            }
            if finished {
                let failed = spool
                    .failed
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take();
                return failed
                    .map(|msg| (Err(std::io::Error::other(msg)), (file, spool, u64::MAX)));
            }
            spool.wake.notified().await;
        }
    })
}

fn body_format(headers: &HeaderMap) -> Result<Format, ApiProblem> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match ct.as_str() {
        "text/csv" => Ok(Format::Csv),
        "application/x-ndjson" | "application/jsonl" | "application/json-lines" | "application/jsonlines" => {
            Ok(Format::JsonLines)
        }
        other => Err(ApiProblem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            format!("Content-Type {other:?} is not accepted: send text/csv or application/x-ndjson (JSON Lines)"),
        )),
    }
}

fn too_large(limit: u64) -> ApiProblem {
    ApiProblem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        "Payload too large",
        format!("the batch body is over the limit of {limit} bytes; split it into smaller batches"),
    )
}

/// `POST /v1/feeds/lookup/batch`: CSV or JSON Lines in, the same format out,
/// one row per input row, in order, streamed as it is computed.
pub async fn batch(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiProblem> {
    let format = body_format(&headers)?;
    let limit = state.config.batch_max_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    // A body without a declared length is cut off at the limit: the stream
    // then fails and the response ends early (its status is already sent).
    let mut seen = 0u64;
    let stream = body.into_data_stream().map(move |chunk| {
        let chunk = chunk.map_err(std::io::Error::other)?;
        seen += chunk.len() as u64;
        if seen > limit {
            return Err(std::io::Error::other(format!(
                "batch body over the limit of {limit} bytes"
            )));
        }
        Ok(chunk)
    });
    let reader = tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(stream));
    let (file, read_side) = match tempfile::tempfile().and_then(|f| Ok((f.try_clone()?, f))) {
        Ok(pair) => pair,
        Err(e) => {
            tracing::error!("cannot create the batch spool file: {e}");
            return Err(ApiProblem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "the server cannot spool a batch now; try again later",
            ));
        }
    };
    let spool = Arc::new(Spool {
        written: Default::default(),
        finished: Default::default(),
        failed: Default::default(),
        wake: tokio::sync::Notify::new(),
    });
    let writer_spool = spool.clone();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<Result<(), String>>();
    let served = state.served();
    tokio::task::spawn_blocking(move || {
        let mut input = std::io::BufReader::with_capacity(1 << 16, reader);
        // Check a CSV header before answering, so a bad one is a 400.
        let mut header_line = String::new();
        if format == Format::Csv {
            let checked = (&mut input)
                .take(batch::MAX_LINE as u64)
                .read_line(&mut header_line)
                .map_err(|e| e.to_string())
                .and_then(|_| batch::check_csv_header(&header_line).map_err(|e| e.to_string()));
            let failed = checked.is_err();
            let _ = ready_tx.send(checked);
            if failed {
                return;
            }
        } else {
            let _ = ready_tx.send(Ok(()));
        }
        let mut out = SpoolWriter {
            file: std::io::BufWriter::with_capacity(64 * 1024, file),
            spool: writer_spool.clone(),
        };
        let full = std::io::Cursor::new(header_line.into_bytes()).chain(input);
        let result = batch::run(&served, full, &mut out, format, &mut |_| {});
        let flushed = out.flush();
        match result
            .map_err(|e| e.to_string())
            .and_then(|s| flushed.map(|_| s).map_err(|e| e.to_string()))
        {
            Ok(stats) => {
                tracing::info!(rows = stats.rows, errors = stats.errors, "batch done");
                writer_spool.finish(None);
            }
            Err(e) => {
                tracing::warn!("batch stopped: {e}");
                writer_spool.finish(Some(e));
            }
        }
    });
    match ready_rx.await {
        Ok(Ok(())) => {}
        Ok(Err(msg)) => {
            return Err(if msg.contains("over the limit") {
                too_large(limit)
            } else {
                ApiProblem::bad_parameter(msg)
            });
        }
        Err(_) => return Err(ApiProblem::bad_parameter("the batch could not start")),
    }
    let body = Body::from_stream(tail(read_side, spool));
    let ct = match format {
        Format::Csv => "text/csv; charset=utf-8",
        Format::JsonLines => "application/x-ndjson",
    };
    Ok(([(header::CONTENT_TYPE, ct)], body).into_response())
}

/// Writes: add, edit and retire feeds (planner token; `If-Match` to edit or
/// retire). The region's feed file is never written: an edited file feed
/// is kept in the store and replaces the file's row.
pub mod edit {
    use super::super::decisions::MAX_TEXT;
    use super::super::problem::{ApiProblem, Path};
    use super::super::write::{self, blocking, etag, if_match, text, Body, Planner};
    use super::super::AppState;
    use crate::feeds::{check, Feed, FeedInput};
    use crate::store::FeedFields;
    use axum::extract::State;
    use axum::http::{header, HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::Json;
    use serde::Deserialize;
    use std::sync::Arc;

    /// The body of `POST /v1/feeds`.
    #[derive(Debug, Deserialize)]
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
    #[derive(Debug, Default, Deserialize)]
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
        let f = served.feeds.get(feed_id).ok_or_else(|| {
            write::bad_field("feed_id", "written, but not yet visible; read it again")
        })?;
        let mut r = (status, Json(f)).into_response();
        r.headers_mut().insert(header::ETAG, etag(f.version));
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
        };
        let feed_id = body.feed_id;
        let s = state.clone();
        blocking(move || {
            validate(&s, &feed_id, &fields)?;
            let mut fields = fields;
            if fields.name.is_empty() {
                fields.name = fields.handle.clone();
            }
            if s.served.load().source.feeds.get(&feed_id).is_some() {
                return Err(crate::store::StoreError::Exists {
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
                .feeds
                .get(&feed_id)
                .cloned()
                .ok_or_else(|| ApiProblem::not_found(format!("no feed {feed_id:?}")))?;
            let fields = apply(&current, patch);
            validate(&s, &feed_id, &fields)?;
            let file = s.served.load().source.feeds.get(&feed_id).map(Feed::fields);
            let base = (current.source == crate::feeds::FeedSource::File)
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
}
