//! Batch resolution: many queries in, one answer row per input row out, in
//! order, streaming.
//!
//! Input is read in chunks of [`CHUNK_ROWS`] rows, each chunk resolved on
//! all cores and written before the next is read, so memory stays bounded
//! whatever the input size, and one bad row only ever produces an `error`
//! in its own output row.
//!
//! CSV input has a header with `id` and at least one of `postcode`,
//! `lat`+`lon`, `q`; each row uses the first of those it fills. JSON Lines
//! input has one object per line with the same keys.

use crate::feeds::Resolution;
use crate::query::{Query, QueryError};
use crate::served::View;
use serde::Deserialize;
use serde_json::{json, Value};
use std::io::{BufRead, Read, Write};

/// Longest accepted JSON line or CSV header line, in bytes: a line without
/// an end must not be read whole into memory.
pub const MAX_LINE: usize = 1 << 20;

/// Rows per chunk: large enough to amortise thread start-up, small enough
/// to keep memory flat (a few MB of text).
pub const CHUNK_ROWS: usize = 16_384;

/// Input and output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV with a header row.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

/// Why a batch could not run at all (as opposed to a bad row).
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The CSV header lacks the required columns.
    #[error("{0}")]
    Header(String),
    /// Reading input or writing output failed.
    #[error("batch I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The CSV input is malformed beyond one row.
    #[error("malformed CSV: {0}")]
    Csv(#[from] csv::Error),
}

/// What a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchStats {
    /// Rows answered.
    pub rows: u64,
    /// Rows answered with an error.
    pub errors: u64,
}

/// The CSV output columns.
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "via",
    "lat",
    "lon",
    "coverage",
    "neighbourhood_id",
    "neighbourhood_name",
    "community_id",
    "community_name",
    "feed_ids",
    "first_feed_id",
    "first_feed_platform",
    "first_feed_handle",
    "first_feed_url",
    "error",
];

struct Columns {
    id: usize,
    postcode: Option<usize>,
    latlon: Option<(usize, usize)>,
    q: Option<usize>,
}

impl Columns {
    fn from_header(h: &csv::StringRecord) -> Result<Columns, BatchError> {
        let find = |name: &str| h.iter().position(|c| c.trim().eq_ignore_ascii_case(name));
        let id = find("id").ok_or_else(|| {
            BatchError::Header(format!(
                "the CSV header needs an \"id\" column; it has: {}",
                h.iter().collect::<Vec<_>>().join(", ")
            ))
        })?;
        let cols = Columns {
            id,
            postcode: find("postcode"),
            latlon: find("lat").zip(find("lon")),
            q: find("q"),
        };
        if cols.postcode.is_none() && cols.latlon.is_none() && cols.q.is_none() {
            return Err(BatchError::Header(
                "the CSV header needs one of: \"postcode\", \"lat\" and \"lon\", \"q\"".into(),
            ));
        }
        Ok(cols)
    }

    fn query(&self, r: &csv::StringRecord) -> Result<Query, String> {
        let get = |i: usize| r.get(i).map(str::trim).filter(|s| !s.is_empty());
        if let Some(p) = self.postcode.and_then(get) {
            return Ok(Query::Postcode(p.to_string()));
        }
        if let Some((la, lo)) = self.latlon {
            if let (Some(la), Some(lo)) = (get(la), get(lo)) {
                let parse = |s: &str, n: &str| {
                    s.parse::<f64>()
                        .map_err(|_| format!("{n} {s:?} is not a number"))
                };
                return Ok(Query::Point {
                    lat: parse(la, "lat")?,
                    lon: parse(lo, "lon")?,
                });
            }
        }
        if let Some(q) = self.q.and_then(get) {
            return Ok(Query::Text(q.to_string()));
        }
        Err("the row has no postcode, lat/lon or q".into())
    }
}

/// Runs a batch. `on_rows` is called after each chunk with the rows done so
/// far (for progress display).
pub fn run(
    view: &View,
    input: impl Read,
    output: impl Write,
    format: Format,
    on_rows: &mut dyn FnMut(u64),
) -> Result<BatchStats, BatchError> {
    match format {
        Format::Csv => run_csv(view, input, output, on_rows),
        Format::JsonLines => run_jsonl(view, input, output, on_rows),
    }
}

/// Checks a CSV header without consuming more (for answering a bad header
/// with a 400 before a streamed response starts).
pub fn check_csv_header(header_line: &str) -> Result<(), BatchError> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(header_line.as_bytes());
    let mut rec = csv::StringRecord::new();
    r.read_record(&mut rec)?;
    Columns::from_header(&rec).map(|_| ())
}

/// Resolves one chunk: splits `rows` over the available cores, has `f`
/// write each part's answers and return how many were errors, then writes
/// the parts to `output` in input order and updates `stats`.
fn write_chunk<T: Sync>(
    rows: &[T],
    output: &mut impl Write,
    stats: &mut BatchStats,
    on_rows: &mut dyn FnMut(u64),
    f: impl Fn(&[T], &mut Vec<u8>) -> u64 + Sync,
) -> std::io::Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let part = rows.len().div_ceil(threads).max(1);
    let parts: Vec<(Vec<u8>, u64)> = std::thread::scope(|s| {
        let handles: Vec<_> = rows
            .chunks(part)
            .map(|chunk| {
                let f = &f;
                s.spawn(move || {
                    let mut buf = Vec::with_capacity(chunk.len() * 96);
                    let errors = f(chunk, &mut buf);
                    (buf, errors)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("batch worker panicked"))
            .collect()
    });
    for (buf, errors) in parts {
        output.write_all(&buf)?;
        stats.errors += errors;
    }
    stats.rows += rows.len() as u64;
    on_rows(stats.rows);
    Ok(())
}

/// Writes one CSV answer row straight from the resolution (no intermediate
/// JSON-shaped answer: this is the batch hot path).
fn csv_answer<W: Write>(
    w: &mut csv::Writer<W>,
    view: &View,
    id: &str,
    answer: Result<(crate::query::Located, Resolution), String>,
) -> csv::Result<()> {
    let (located, r) = match answer {
        Err(e) => {
            w.write_field(id)?;
            for _ in 1..CSV_COLUMNS.len() - 1 {
                w.write_field("")?;
            }
            w.write_field(e)?;
            return w.write_record(None::<&[u8]>);
        }
        Ok(x) => x,
    };
    let area = |x: Option<&crate::area::AreaRef>| {
        x.map(|at| {
            let area = &view.region().layers[at.layer].areas[at.area];
            (area.id.as_str(), area.name.as_str())
        })
        .unwrap_or(("", ""))
    };
    let (nid, nname) = area(r.neighbourhoods.first());
    let (cid, cname) = area(r.communities.first());
    let feed = |i: usize| &view.feeds().feeds[r.feeds[i].feed];
    let mut ids = String::new();
    for (i, hit) in r.feeds.iter().enumerate() {
        if i > 0 {
            ids.push(' ');
        }
        ids.push_str(&view.feeds().feeds[hit.feed].feed_id);
    }
    let mut lat = ryu_like(located.point.lat);
    let lon = ryu_like(located.point.lon);
    w.write_field(id)?;
    w.write_field(located.via.as_str())?;
    w.write_field(std::mem::take(&mut lat))?;
    w.write_field(lon)?;
    w.write_field(r.coverage.as_str())?;
    w.write_field(nid)?;
    w.write_field(nname)?;
    w.write_field(cid)?;
    w.write_field(cname)?;
    w.write_field(&ids)?;
    if r.feeds.is_empty() {
        for _ in 0..4 {
            w.write_field("")?;
        }
    } else {
        let f = feed(0);
        w.write_field(&f.feed_id)?;
        w.write_field(&f.platform)?;
        w.write_field(&f.handle)?;
        w.write_field(&f.url)?;
    }
    w.write_field("")?;
    w.write_record(None::<&[u8]>)
}

/// Shortest text that reads back as the same number.
fn ryu_like(v: f64) -> String {
    v.to_string()
}

fn run_csv(
    view: &View,
    input: impl Read,
    mut output: impl Write,
    on_rows: &mut dyn FnMut(u64),
) -> Result<BatchStats, BatchError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let cols = Columns::from_header(reader.headers()?)?;
    let mut header = csv::Writer::from_writer(Vec::new());
    header.write_record(CSV_COLUMNS)?;
    output.write_all(&header.into_inner().map_err(|e| e.into_error())?)?;
    let mut stats = BatchStats::default();
    let mut chunk: Vec<Result<csv::StringRecord, String>> = Vec::with_capacity(CHUNK_ROWS);
    let mut records = reader.records();
    loop {
        chunk.clear();
        for rec in records.by_ref().take(CHUNK_ROWS) {
            chunk.push(rec.map_err(|e| format!("malformed CSV row: {e}")));
        }
        if chunk.is_empty() {
            break;
        }
        write_chunk(&chunk, &mut output, &mut stats, on_rows, |part, buf| {
            let mut errors = 0;
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(buf);
            for rec in part {
                let (id, answer) = match rec {
                    Err(e) => ("", Err(e.clone())),
                    Ok(r) => {
                        let answer = cols.query(r).and_then(|q| {
                            let located = view
                                .region()
                                .locate(&q)
                                .map_err(|e: QueryError| e.to_string())?;
                            let resolution = view.resolve(located.point);
                            Ok((located, resolution))
                        });
                        (r.get(cols.id).unwrap_or(""), answer)
                    }
                };
                errors += u64::from(answer.is_err());
                // Writing to a Vec cannot fail.
                let _ = csv_answer(&mut w, view, id, answer);
            }
            let _ = w.flush();
            errors
        })?;
    }
    output.flush()?;
    Ok(stats)
}

#[derive(Deserialize)]
struct JsonRow {
    #[serde(default)]
    id: Value,
    #[serde(default)]
    postcode: Option<String>,
    #[serde(default)]
    lat: Option<f64>,
    #[serde(default)]
    lon: Option<f64>,
    #[serde(default)]
    q: Option<String>,
}

fn json_query(row: &JsonRow) -> Result<Query, String> {
    if let Some(p) = row.postcode.as_deref().filter(|s| !s.trim().is_empty()) {
        return Ok(Query::Postcode(p.to_string()));
    }
    if let (Some(lat), Some(lon)) = (row.lat, row.lon) {
        return Ok(Query::Point { lat, lon });
    }
    if let Some(q) = row.q.as_deref().filter(|s| !s.trim().is_empty()) {
        return Ok(Query::Text(q.to_string()));
    }
    Err("the row has no postcode, lat/lon or q".into())
}

fn run_jsonl(
    view: &View,
    input: impl Read,
    mut output: impl Write,
    on_rows: &mut dyn FnMut(u64),
) -> Result<BatchStats, BatchError> {
    let mut reader = std::io::BufReader::with_capacity(1 << 16, input);
    let mut stats = BatchStats::default();
    let mut lines: Vec<Vec<u8>> = Vec::with_capacity(CHUNK_ROWS);
    loop {
        lines.clear();
        // Empty entries in `lines` stand for lines over MAX_LINE bytes.
        while lines.len() < CHUNK_ROWS {
            let mut line = Vec::new();
            if reader
                .by_ref()
                .take(MAX_LINE as u64)
                .read_until(b'\n', &mut line)?
                == 0
            {
                break;
            }
            if line.len() == MAX_LINE && line.last() != Some(&b'\n') {
                // Skip the rest of the over-long line; it becomes an error row.
                let mut rest = Vec::new();
                while reader
                    .by_ref()
                    .take(MAX_LINE as u64)
                    .read_until(b'\n', &mut rest)?
                    == MAX_LINE
                    && rest.last() != Some(&b'\n')
                {
                    rest.clear();
                }
                lines.push(Vec::new());
                continue;
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            lines.push(line);
        }
        if lines.is_empty() {
            break;
        }
        write_chunk(&lines, &mut output, &mut stats, on_rows, |part, buf| {
            let mut errors = 0;
            for line in part {
                // An empty line stands for one that was too long to read.
                let parsed: Result<JsonRow, String> = if line.is_empty() {
                    Err(format!("line longer than {MAX_LINE} bytes"))
                } else {
                    serde_json::from_slice(line).map_err(|e| format!("not a JSON object: {e}"))
                };
                let id = parsed.as_ref().map(|r| r.id.clone()).unwrap_or(Value::Null);
                let answer = parsed
                    .and_then(|r| json_query(&r))
                    .and_then(|q| view.feeds_for(&q).map_err(|e| e.to_string()));
                let value = match answer {
                    Ok(a) => {
                        let mut v = serde_json::to_value(&a).unwrap_or(Value::Null);
                        if let Value::Object(m) = &mut v {
                            m.insert("id".into(), id);
                            m.insert("error".into(), Value::Null);
                        }
                        v
                    }
                    Err(e) => {
                        errors += 1;
                        json!({ "id": id, "error": e })
                    }
                };
                let _ = serde_json::to_writer(&mut *buf, &value);
                buf.push(b'\n');
            }
            errors
        })?;
    }
    output.flush()?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An over-long JSON line becomes one error row; the rows around it are
    /// answered, in order.
    #[test]
    fn over_long_json_line_is_one_error_row() {
        let served = crate::Served::without_store(
            crate::Source::load(std::path::Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/boundaries/demo"
            )))
            .unwrap(),
        );
        let long = format!("{{\"id\":2,\"q\":\"{}\"}}", "x".repeat(MAX_LINE * 2 + 10));
        let input = format!("{{\"id\":1,\"postcode\":\"DV1 1AA\"}}\n{long}\n{{\"id\":3,\"postcode\":\"DV1 1AA\"}}\n");
        let mut out = Vec::new();
        let stats = run(
            served.today(),
            input.as_bytes(),
            &mut out,
            Format::JsonLines,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!((stats.rows, stats.errors), (3, 1));
        let rows: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows[0]["id"], 1);
        assert!(rows[1]["error"].as_str().unwrap().contains("longer than"));
        assert_eq!(rows[2]["id"], 3);
    }
}
