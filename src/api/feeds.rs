//! Feed endpoints: single lookup, streaming batch, and the feed list.

use super::problem::ApiProblem;
use super::{AppState, Params};
use crate::batch::{self, Format};
use crate::query::{Query, QueryError};
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
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
        0 => return Err(ApiProblem::bad_parameter("give lat and lon, or postcode, or q")),
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
    Ok(Query::Point { lat: p.lat, lon: p.lon })
}

/// `GET /v1/feeds/lookup?lat=&lon=` | `?postcode=` | `?q=`.
pub async fn lookup(State(state): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q);
    let query = match query_param(&params) {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    let region = state.region.load();
    match region.feeds_for(&query) {
        Ok(answer) => Json(answer).into_response(),
        Err(e) => ApiProblem::from(e).into_response(),
    }
}

/// `GET /v1/feeds`: every feed, active and planned.
pub async fn list(State(state): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Response {
    if let Err(e) = Params::parse(q).only(&[]) {
        return e.into_response();
    }
    let region = state.region.load();
    Json(json!({ "count": region.feeds.feeds.len(), "feeds": region.feeds.feeds })).into_response()
}

/// `GET /v1/feeds/{feed_id}`.
pub async fn one(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    let region = state.region.load();
    match region.feeds.get(&id) {
        Some(f) => Json(f).into_response(),
        None => ApiProblem::not_found(format!("no feed {id:?}")).into_response(),
    }
}

/// Sends written bytes to the response body in 64 KiB chunks; the bounded
/// channel makes the batch wait for a slow client instead of buffering.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 64 * 1024 {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
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
        other => Err(ApiProblem {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            kind: "unsupported-media-type",
            title: "Unsupported media type",
            detail: format!(
                "Content-Type {other:?} is not accepted: send text/csv or application/x-ndjson (JSON Lines)"
            ),
        }),
    }
}

fn too_large(limit: u64) -> ApiProblem {
    ApiProblem {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        kind: "payload-too-large",
        title: "Payload too large",
        detail: format!("the batch body is over the limit of {limit} bytes; split it into smaller batches"),
    }
}

/// `POST /v1/feeds/lookup/batch`: CSV or JSON Lines in, the same format out,
/// one row per input row, in order, streamed as it is computed.
pub async fn batch(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    let format = match body_format(&headers) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let limit = state.config.batch_max_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return too_large(limit).into_response();
    }
    // A body without a declared length is cut off at the limit: the stream
    // then fails and the response ends early (its status is already sent).
    let mut seen = 0u64;
    let stream = body.into_data_stream().map(move |chunk| {
        let chunk = chunk.map_err(std::io::Error::other)?;
        seen += chunk.len() as u64;
        if seen > limit {
            return Err(std::io::Error::other(format!("batch body over the limit of {limit} bytes")));
        }
        Ok(chunk)
    });
    let reader = tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(stream));
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<Result<(), String>>();
    let region = state.region.load_full();
    tokio::task::spawn_blocking(move || {
        let mut input = std::io::BufReader::with_capacity(1 << 16, reader);
        // Check a CSV header before answering, so a bad one is a 400.
        let mut header_line = String::new();
        if format == Format::Csv {
            let checked = input
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
        let mut out = ChannelWriter { tx: tx.clone(), buf: Vec::with_capacity(64 * 1024) };
        let full = std::io::Cursor::new(header_line.into_bytes()).chain(input);
        match batch::run(&region, full, &mut out, format, &mut |_| {}) {
            Ok(stats) => tracing::info!(rows = stats.rows, errors = stats.errors, "batch done"),
            Err(e) => {
                tracing::warn!("batch stopped: {e}");
                let _ = out.flush();
                let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
            }
        }
    });
    match ready_rx.await {
        Ok(Ok(())) => {}
        Ok(Err(msg)) => {
            return if msg.contains("over the limit") {
                too_large(limit).into_response()
            } else {
                ApiProblem::bad_parameter(msg).into_response()
            }
        }
        Err(_) => return ApiProblem::bad_parameter("the batch could not start").into_response(),
    }
    let body = Body::from_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    let ct = match format {
        Format::Csv => "text/csv; charset=utf-8",
        Format::JsonLines => "application/x-ndjson",
    };
    ([(header::CONTENT_TYPE, ct)], body).into_response()
}
