//! `POST /v1/feeds/lookup/batch`: CSV or JSON Lines in, the same format
//! out, one row per input row, in order, streamed as it is computed.

use super::problem::ApiProblem;
use super::AppState;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use feedmap_domain::batch::{self, Format};
use futures_util::StreamExt;
use std::io::{BufRead, Read, Write};
use std::sync::Arc;

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
    RawQuery(q): RawQuery,
    body: Body,
) -> Result<Response, ApiProblem> {
    let format = body_format(&headers)?;
    let params = super::Params::parse(q.as_deref());
    params.only(&["at"])?;
    let served = state.served();
    // Every row is answered as of one date (`at`, default today).
    let view = super::lookup::at_param(&params, &served)?.1.into_owned();
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
        let result = batch::run(&view, full, &mut out, format, &mut |_| {});
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
                ApiProblem::bad_body(msg)
            });
        }
        Err(_) => return Err(ApiProblem::bad_body("the batch could not start")),
    }
    let body = Body::from_stream(tail(read_side, spool));
    let ct = match format {
        Format::Csv => "text/csv; charset=utf-8",
        Format::JsonLines => "application/x-ndjson",
    };
    Ok(([(header::CONTENT_TYPE, ct)], body).into_response())
}

/// This resource's operations: its routes and their description, which
/// the API's operation table gathers for the router and `/api`.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::Verb::*;
    use super::operation::{Operation, RequestBody};
    use axum::routing;
    use serde_json::json;
    vec![
        Operation {
            body: Some(RequestBody {
                media: "text/csv",
                schema: None,
                example: json!(format!("id,lat,lon\n1,{},{}\n", cx.ex.lat, cx.ex.lon)),
                more: vec![(
                    "application/x-ndjson",
                    json!(format!("{{\"id\": 1, \"lat\": {}, \"lon\": {}}}\n", cx.ex.lat, cx.ex.lon)),
                )],
            }),
            media: "text/csv",
            more_media: &["application/x-ndjson"],
            ..Operation::new(Post, "/v1/feeds/lookup/batch", "Many lookups: CSV (text/csv) or JSON Lines (application/x-ndjson) in, the same out, streamed", routing::post(batch).layer(axum::extract::DefaultBodyLimit::disable()))
                .params(vec![cx.at()])
                .untimed()
        },
    ]
}
