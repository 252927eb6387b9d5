//! Batch resolution: many queries in, one answer row per input row out, in
//! order, streaming.
//!
//! Input is read in chunks of [`CHUNK_ROWS`] rows by the calling thread
//! while one worker per core answers earlier chunks; answers are written in
//! input order as they finish. A few chunks per core are in flight at most,
//! so memory stays bounded whatever the input size, and one bad row only
//! ever produces an `error` in its own output row. The CSV answer does no
//! work it does not show: no nearest-neighbourhood search for a point
//! outside them all (the JSON Lines answer shows that neighbourhood, so it
//! searches).
//!
//! CSV input has a header with `id` and at least one of `postcode`,
//! `lat`+`lon`, `q`; each row uses the first of those it fills. JSON Lines
//! input has one object per line with the same keys. Either way the input
//! is read forgivingly and without loss: latitude and longitude under
//! their common spellings (`latitude`; `lng`, `long`, `longitude`), JSON
//! coordinates as numbers or numeric text, the id echoed exactly as given
//! (text or number, even on a row in error), and every input line, blank
//! ones included, answered by one output row in its place (a blank one
//! with the error "empty row").

use crate::feeds::Resolution;
use crate::query::{Query, QueryError, Via};
use crate::served::View;
use feedmap_geography::lookup::LatLon;
use feedmap_geography::validate::quoted;
use serde_json::{json, Value};
use std::io::{BufRead, Read, Write};
use std::time::{Duration, Instant};

/// The error of a blank input line: every line gives one answer row, so
/// answers can be matched to input lines by position.
pub const EMPTY_ROW: &str = "empty row";

/// Spellings of the latitude column or key (as data.police.uk and GIS
/// exports write them), the first being feedmap's own.
const LAT_NAMES: &[&str] = &["lat", "latitude"];

/// Spellings of the longitude column or key.
const LON_NAMES: &[&str] = &["lon", "lng", "long", "longitude"];

/// Longest accepted JSON line or CSV header line, in bytes: a line without
/// an end must not be read whole into memory.
pub const MAX_LINE: usize = 1 << 20;

/// Rows per chunk: large enough to amortise handing a chunk to a worker,
/// small enough to keep memory flat and every core busy on small inputs.
pub const CHUNK_ROWS: usize = 4_096;

/// Input and output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV with a header row.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

impl Format {
    /// The format named (`csv`, `jsonl`), else the one the input file's
    /// extension says (`.jsonl`, `.ndjson`), else CSV.
    pub fn choose(named: Option<&str>, input: &std::path::Path) -> Format {
        match named {
            Some("jsonl") => Format::JsonLines,
            Some(_) => Format::Csv,
            None => match input.extension().and_then(|e| e.to_str()) {
                Some("jsonl" | "ndjson") => Format::JsonLines,
                _ => Format::Csv,
            },
        }
    }
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
    /// Where the time went, summed over threads.
    pub time: StageTimes,
}

/// Time spent in each stage of a batch, summed over the threads doing it
/// (so on several cores the sum exceeds the elapsed time).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageTimes {
    /// Reading and splitting the input into rows and fields.
    pub parse: Duration,
    /// Locating each row's query and resolving its feeds.
    pub lookup: Duration,
    /// Formatting the answers and writing them out.
    pub write: Duration,
}

impl StageTimes {
    fn add(&mut self, other: &StageTimes) {
        self.parse += other.parse;
        self.lookup += other.lookup;
        self.write += other.write;
    }

    /// Each stage's share of the total, in percent: `(parse, lookup, write)`.
    pub fn shares(&self) -> (f64, f64, f64) {
        let total = (self.parse + self.lookup + self.write)
            .as_secs_f64()
            .max(1e-12);
        let pct = |d: Duration| 100.0 * d.as_secs_f64() / total;
        (pct(self.parse), pct(self.lookup), pct(self.write))
    }
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
    "near_boundary_m",
    "near_boundary_layer",
    "near_boundary_id",
    "near_boundary_name",
    "error",
];

/// One CSV row's answer: the point, how it was found, its feeds, and for a
/// postcode the nearest other community or neighbourhood within
/// `[postcodes].near_boundary_m` of it (area and metres).
struct Answered {
    point: LatLon,
    via: Via,
    resolution: Resolution,
    near: Option<(feedmap_geography::area::AreaRef, f64)>,
}

struct Columns {
    id: usize,
    postcode: Option<usize>,
    latlon: Option<(usize, usize)>,
    q: Option<usize>,
}

impl Columns {
    fn from_header(h: &csv::StringRecord) -> Result<Columns, BatchError> {
        let find = |name: &str| h.iter().position(|c| c.trim().eq_ignore_ascii_case(name));
        let find_any = |names: &[&str]| names.iter().find_map(|n| find(n));
        let id = find("id").ok_or_else(|| {
            BatchError::Header(format!(
                "the CSV header needs an \"id\" column; it has: {}",
                h.iter().collect::<Vec<_>>().join(", ")
            ))
        })?;
        let cols = Columns {
            id,
            postcode: find("postcode"),
            latlon: find_any(LAT_NAMES).zip(find_any(LON_NAMES)),
            q: find("q"),
        };
        if cols.postcode.is_none() && cols.latlon.is_none() && cols.q.is_none() {
            return Err(BatchError::Header(
                "the CSV header needs one of: \"postcode\", \"lat\" and \"lon\" (or \"latitude\" and \"lng\", \"long\" or \"longitude\"), \"q\"".into(),
            ));
        }
        Ok(cols)
    }

    fn query(&self, r: &csv::ByteRecord) -> Result<Query, String> {
        if r.is_empty() {
            return Err(EMPTY_ROW.into());
        }
        if r.get(self.id)
            .is_some_and(|id| std::str::from_utf8(id).is_err())
        {
            return Err("id is not UTF-8 text".into());
        }
        let get = |i: usize, name: &str| -> Result<Option<&str>, String> {
            match r.get(i).map(std::str::from_utf8) {
                None => Ok(None),
                Some(Ok(v)) => Ok(Some(v.trim()).filter(|v| !v.is_empty())),
                Some(Err(_)) => Err(format!("{name} is not UTF-8 text")),
            }
        };
        if let Some(i) = self.postcode {
            if let Some(p) = get(i, "postcode")? {
                return Ok(Query::Postcode(p.to_string()));
            }
        }
        if let Some((la, lo)) = self.latlon {
            if let (Some(la), Some(lo)) = (get(la, "lat")?, get(lo, "lon")?) {
                let parse = |s: &str, n: &str| {
                    s.parse::<f64>()
                        .map_err(|_| format!("{n} {} is not a number", quoted(s)))
                };
                return Ok(Query::Point {
                    lat: parse(la, "lat")?,
                    lon: parse(lo, "lon")?,
                });
            }
        }
        if let Some(i) = self.q {
            if let Some(q) = get(i, "q")? {
                return Ok(Query::Text(q.to_string()));
            }
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
    let mut output = output;
    match format {
        Format::Csv => run_csv(view, input, &mut output, on_rows),
        Format::JsonLines => run_jsonl(view, input, &mut output, on_rows),
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

/// A chunk of input rows travelling to a worker and back (its buffers are
/// reused for later chunks, so reading allocates little).
struct Chunk<T> {
    seq: u64,
    rows: Vec<T>,
    /// How many of `rows` hold this chunk's input (the rest are spare).
    len: usize,
    /// The answers, formatted.
    out: Vec<u8>,
    errors: u64,
    time: StageTimes,
}

/// Runs a batch on every core: the calling thread reads chunks (with
/// `fill`, which returns how many rows it put in the chunk, 0 at the end)
/// and writes finished ones in input order, while one worker per core
/// answers chunks with `answer` (appending to `out`, returning the errors).
/// At most two chunks per worker are in flight, so memory stays bounded.
fn pipeline<T: Send>(
    mut fill: impl FnMut(&mut Vec<T>) -> Result<usize, BatchError>,
    answer: impl Fn(&[T], &mut Vec<u8>, &mut StageTimes) -> u64 + Sync,
    output: &mut dyn Write,
    on_rows: &mut dyn FnMut(u64),
) -> Result<BatchStats, BatchError> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (work_tx, work_rx) = std::sync::mpsc::channel::<Chunk<T>>();
    let work_rx = std::sync::Mutex::new(work_rx);
    let (done_tx, done_rx) = std::sync::mpsc::channel::<Chunk<T>>();
    let mut stats = BatchStats::default();
    std::thread::scope(|s| {
        for _ in 0..workers {
            let (work_rx, done_tx, answer) = (&work_rx, done_tx.clone(), &answer);
            s.spawn(move || loop {
                let next = work_rx.lock().map(|rx| rx.recv());
                let Ok(Ok(mut chunk)) = next else { break };
                chunk.out.clear();
                chunk.time = StageTimes::default();
                chunk.errors = answer(&chunk.rows[..chunk.len], &mut chunk.out, &mut chunk.time);
                if done_tx.send(chunk).is_err() {
                    break;
                }
            });
        }
        drop(done_tx);
        let result = (|| -> Result<(), BatchError> {
            let mut spare: Vec<Chunk<T>> = Vec::new();
            let mut waiting = std::collections::BTreeMap::new();
            let (mut next_seq, mut next_write, mut in_flight) = (0u64, 0u64, 0usize);
            let mut at_end = false;
            loop {
                while !at_end && in_flight < 2 * workers {
                    let mut chunk = spare.pop().unwrap_or_else(|| Chunk {
                        seq: 0,
                        rows: Vec::new(),
                        len: 0,
                        out: Vec::new(),
                        errors: 0,
                        time: StageTimes::default(),
                    });
                    let started = Instant::now();
                    chunk.len = fill(&mut chunk.rows)?;
                    stats.time.parse += started.elapsed();
                    if chunk.len == 0 {
                        at_end = true;
                        break;
                    }
                    chunk.seq = next_seq;
                    next_seq += 1;
                    in_flight += 1;
                    work_tx
                        .send(chunk)
                        .map_err(|_| std::io::Error::other("a batch worker stopped"))?;
                }
                if in_flight == 0 {
                    return Ok(());
                }
                let chunk = done_rx
                    .recv()
                    .map_err(|_| std::io::Error::other("a batch worker stopped"))?;
                waiting.insert(chunk.seq, chunk);
                while let Some(chunk) = waiting.remove(&next_write) {
                    let started = Instant::now();
                    output.write_all(&chunk.out)?;
                    stats.time.write += started.elapsed();
                    stats.time.add(&chunk.time);
                    stats.rows += chunk.len as u64;
                    stats.errors += chunk.errors;
                    on_rows(stats.rows);
                    next_write += 1;
                    in_flight -= 1;
                    spare.push(chunk);
                }
            }
        })();
        // Closing the work queue ends the workers, also after an error.
        drop(work_tx);
        result
    })?;
    output.flush()?;
    Ok(stats)
}

/// Appends `field` to `out` as one CSV field: as it is, or quoted with
/// inner quotes doubled when it holds a comma, quote or line break (the
/// `csv` crate's rule for the header, so the two agree).
fn csv_field(out: &mut Vec<u8>, field: &[u8]) {
    if field
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.push(b'"');
        for &b in field {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(field);
    }
}

/// Appends the shortest text that reads back as `v`, as Rust's `Display`
/// writes it (never an exponent; no `.0` on whole numbers).
fn csv_number(out: &mut Vec<u8>, v: f64) {
    let mut buf = ryu::Buffer::new();
    let s = buf.format(v);
    if s.contains(['e', 'E']) || !v.is_finite() {
        out.extend_from_slice(v.to_string().as_bytes());
    } else {
        out.extend_from_slice(s.strip_suffix(".0").unwrap_or(s).as_bytes());
    }
}

/// Appends one CSV answer row (the batch hot path: plain byte copies, each
/// field quoted only if it needs to be). `scratch` is reused for the feed
/// list.
fn csv_answer(
    out: &mut Vec<u8>,
    view: &View,
    id: &[u8],
    answer: &Result<Answered, String>,
    scratch: &mut Vec<u8>,
) {
    csv_field(out, id);
    let Answered {
        point,
        via,
        resolution: r,
        near,
    } = match answer {
        Err(e) => {
            out.extend_from_slice(&[b','; CSV_COLUMNS.len() - 1]);
            csv_field(out, e.as_bytes());
            out.push(b'\n');
            return;
        }
        Ok(x) => x,
    };
    // `,id,name` of the first of `areas`, or `,,` when there is none.
    let area = |out: &mut Vec<u8>, areas: &[feedmap_geography::area::AreaRef]| match areas.first() {
        Some(at) => {
            let area = &view.region().layers[at.layer].areas[at.area];
            out.push(b',');
            csv_field(out, area.id.as_bytes());
            out.push(b',');
            csv_field(out, area.name.as_bytes());
        }
        None => out.extend_from_slice(b",,"),
    };
    out.push(b',');
    out.extend_from_slice(via.as_str().as_bytes());
    out.push(b',');
    csv_number(out, point.lat);
    out.push(b',');
    csv_number(out, point.lon);
    out.push(b',');
    out.extend_from_slice(r.coverage.as_str().as_bytes());
    area(out, &r.neighbourhoods);
    area(out, &r.communities);
    out.push(b',');
    scratch.clear();
    for (i, hit) in r.feeds.iter().enumerate() {
        if i > 0 {
            scratch.push(b' ');
        }
        scratch.extend_from_slice(view.feeds().feeds[hit.feed].feed_id.as_bytes());
    }
    csv_field(out, scratch);
    match r.feeds.first() {
        Some(hit) => {
            let f = &view.feeds().feeds[hit.feed];
            for part in [
                &f.feed_id,
                &f.fields.platform,
                &f.fields.handle,
                &f.fields.url,
            ] {
                out.push(b',');
                csv_field(out, part.as_bytes());
            }
        }
        None => out.extend_from_slice(b",,,,"),
    }
    match near {
        Some((at, m)) => {
            let l = &view.region().layers[at.layer];
            out.push(b',');
            csv_number(out, (m * 10.0).round() / 10.0);
            out.push(b',');
            csv_field(out, l.id.as_bytes());
            out.push(b',');
            csv_field(out, l.areas[at.area].id.as_bytes());
            out.push(b',');
            csv_field(out, l.areas[at.area].name.as_bytes());
        }
        None => out.extend_from_slice(b",,,,"),
    }
    out.extend_from_slice(b",\n");
}

/// Answers one chunk of CSV rows into `out`, timing the three stages.
fn answer_csv(
    view: &View,
    cols: &Columns,
    rows: &[csv::ByteRecord],
    out: &mut Vec<u8>,
    time: &mut StageTimes,
) -> u64 {
    // A few hundred rows at a time, so the stage buffers stay small and
    // are reused rather than fetched from (and given back to) the system.
    let mut queries: Vec<Result<Query, String>> = Vec::with_capacity(SUB_ROWS);
    let mut answers: Vec<Result<Answered, String>> = Vec::with_capacity(SUB_ROWS);
    let near_m = view
        .region()
        .postcodes
        .as_ref()
        .map_or(0.0, |p| p.near_boundary_m);
    let mut scratch = Vec::new();
    let mut errors = 0;
    for rows in rows.chunks(SUB_ROWS) {
        let started = Instant::now();
        queries.clear();
        queries.extend(rows.iter().map(|r| cols.query(r)));
        let parsed = Instant::now();
        answers.clear();
        answers.extend(queries.drain(..).map(|q| {
            let located = view
                .region()
                .locate(&q?)
                .map_err(|e: QueryError| e.to_string())?;
            let resolution = view.resolve_within(located.point);
            let near = if located.via == Via::Postcode && near_m > 0.0 {
                view.region()
                    .near_boundary(located.point, near_m, &resolution.holding())
                    .first()
                    .copied()
            } else {
                None
            };
            Ok(Answered {
                point: located.point,
                via: located.via,
                resolution,
                near,
            })
        }));
        let looked_up = Instant::now();
        for (row, answer) in rows.iter().zip(&answers) {
            errors += u64::from(answer.is_err());
            // Answers are UTF-8 text: an id that is not is answered with
            // an error, and shown with its bad bytes replaced.
            let id = String::from_utf8_lossy(row.get(cols.id).unwrap_or(b""));
            csv_answer(out, view, id.as_bytes(), answer, &mut scratch);
        }
        time.parse += parsed - started;
        time.lookup += looked_up - parsed;
        time.write += looked_up.elapsed();
    }
    errors
}

/// A parser's message cut to about 160 characters: it may quote the
/// offending value, which can be megabytes long.
fn clipped(message: String) -> String {
    match message.char_indices().nth(160) {
        Some((at, _)) => format!(
            "{}… ({} characters)",
            &message[..at],
            message.chars().count()
        ),
        None => message,
    }
}

/// Rows a worker takes through each stage at a time (see [`answer_csv`]).
const SUB_ROWS: usize = 256;

fn run_csv(
    view: &View,
    input: impl Read,
    output: &mut dyn Write,
    on_rows: &mut dyn FnMut(u64),
) -> Result<BatchStats, BatchError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 18)
        .from_reader(input);
    let header = match reader.headers() {
        Ok(h) => h,
        Err(e) if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) => {
            return Err(BatchError::Header(
                "the CSV header (line 1) is not UTF-8 text".into(),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let cols = Columns::from_header(header)?;
    let mut header = csv::Writer::from_writer(Vec::new());
    header.write_record(CSV_COLUMNS)?;
    output.write_all(&header.into_inner().map_err(|e| e.into_error())?)?;
    pipeline(
        |rows: &mut Vec<csv::ByteRecord>| {
            // The csv reader skips blank lines; each one still gets a row
            // (an empty record, answered "empty row"): the lines a read
            // moved over, less the record's own (one, and one more for
            // each line break inside its quoted fields).
            let mut n = 0;
            while n < CHUNK_ROWS {
                if rows.len() == n {
                    rows.push(csv::ByteRecord::new());
                }
                let before = reader.position().line();
                let more = reader.read_byte_record(&mut rows[n])?;
                let own = if more {
                    1 + rows[n]
                        .iter()
                        .map(|f| f.iter().filter(|&&b| b == b'\n').count() as u64)
                        .sum::<u64>()
                } else {
                    0
                };
                let blank =
                    (reader.position().line().saturating_sub(before)).saturating_sub(own) as usize;
                if blank > 0 {
                    rows.splice(n..n, std::iter::repeat_n(csv::ByteRecord::new(), blank));
                    n += blank;
                }
                if !more {
                    break;
                }
                n += 1;
            }
            Ok(n)
        },
        |rows, out, time| answer_csv(view, &cols, rows, out, time),
        output,
        on_rows,
    )
}

/// The query of one JSON Lines object, read as forgivingly as the CSV:
/// coordinates as numbers or numeric text, under any of their spellings
/// ([`LAT_NAMES`], [`LON_NAMES`]); the first of postcode, lat/lon and q
/// that is given.
fn json_query(row: &serde_json::Map<String, Value>) -> Result<Query, String> {
    let text = |key: &str| -> Result<Option<&str>, String> {
        match row.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim()).filter(|s| !s.is_empty())),
            Some(other) => Err(format!(
                "{key} must be text, not {}",
                quoted(&other.to_string())
            )),
        }
    };
    let number = |names: &[&str]| -> Result<Option<f64>, String> {
        let Some((key, v)) = names.iter().find_map(|k| row.get(*k).map(|v| (*k, v))) else {
            return Ok(None);
        };
        match v {
            Value::Null => Ok(None),
            Value::Number(n) => Ok(n.as_f64()),
            Value::String(s) if s.trim().is_empty() => Ok(None),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .map(Some)
                .map_err(|_| format!("{key} {} is not a number", quoted(s))),
            other => Err(format!(
                "{key} {} is not a number",
                quoted(&other.to_string())
            )),
        }
    };
    if let Some(p) = text("postcode")? {
        return Ok(Query::Postcode(p.to_string()));
    }
    if let (Some(lat), Some(lon)) = (number(LAT_NAMES)?, number(LON_NAMES)?) {
        return Ok(Query::Point { lat, lon });
    }
    if let Some(q) = text("q")? {
        return Ok(Query::Text(q.to_string()));
    }
    Err("the row has no postcode, lat/lon or q".into())
}

/// Reads up to [`CHUNK_ROWS`] lines into `lines` (reusing its buffers),
/// blank ones included (each is an "empty row"); a line over [`MAX_LINE`]
/// bytes is skipped to its end and left empty, standing for an error row.
/// Returns how many it read.
fn read_lines(reader: &mut impl BufRead, lines: &mut Vec<Vec<u8>>) -> std::io::Result<usize> {
    let mut n = 0;
    while n < CHUNK_ROWS {
        if lines.len() == n {
            lines.push(Vec::new());
        }
        let line = &mut lines[n];
        line.clear();
        if reader
            .by_ref()
            .take(MAX_LINE as u64)
            .read_until(b'\n', line)?
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
            line.clear();
            n += 1;
            continue;
        }
        n += 1;
    }
    Ok(n)
}

/// Answers one chunk of JSON lines into `out`, timing the three stages
/// a few hundred rows at a time, as [`answer_csv`] does.
fn answer_jsonl(view: &View, lines: &[Vec<u8>], out: &mut Vec<u8>, time: &mut StageTimes) -> u64 {
    let mut rows: Vec<(Value, Result<Query, String>)> = Vec::with_capacity(SUB_ROWS);
    let mut answers = Vec::with_capacity(SUB_ROWS);
    let mut errors = 0;
    for lines in lines.chunks(SUB_ROWS) {
        let started = Instant::now();
        rows.clear();
        // An empty line stands for one that was too long to read.
        // The id as given (text or number), whatever else is wrong.
        rows.extend(lines.iter().map(|line| {
            if line.is_empty() {
                return (
                    Value::Null,
                    Err(format!("line longer than {MAX_LINE} bytes")),
                );
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                return (Value::Null, Err(EMPTY_ROW.into()));
            }
            match serde_json::from_slice::<Value>(line) {
                Ok(Value::Object(m)) => {
                    (m.get("id").cloned().unwrap_or(Value::Null), json_query(&m))
                }
                Ok(other) => (
                    Value::Null,
                    Err(clipped(format!("not a JSON object: {other}"))),
                ),
                Err(e) => (Value::Null, Err(clipped(format!("not a JSON object: {e}")))),
            }
        }));
        let parsed = Instant::now();
        answers.clear();
        answers.extend(rows.drain(..).map(|(id, query)| {
            let answer = query.and_then(|q| view.feeds_for(&q).map_err(|e| e.to_string()));
            (id, answer)
        }));
        let looked_up = Instant::now();
        for (id, answer) in answers.drain(..) {
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
            let _ = serde_json::to_writer(&mut *out, &value);
            out.push(b'\n');
        }
        time.parse += parsed - started;
        time.lookup += looked_up - parsed;
        time.write += looked_up.elapsed();
    }
    errors
}

fn run_jsonl(
    view: &View,
    input: impl Read,
    output: &mut dyn Write,
    on_rows: &mut dyn FnMut(u64),
) -> Result<BatchStats, BatchError> {
    let mut reader = std::io::BufReader::with_capacity(1 << 16, input);
    pipeline(
        |lines| Ok(read_lines(&mut reader, lines)?),
        |lines, out, time| answer_jsonl(view, lines, out, time),
        output,
        on_rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An over-long JSON line becomes one error row; the rows around it are
    /// answered, in order.
    #[test]
    fn over_long_json_line_is_one_error_row() {
        let served = crate::demo::served();
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

    fn demo() -> crate::Served {
        crate::demo::served()
    }

    fn answers(input: &str, format: Format) -> (BatchStats, String) {
        let served = demo();
        let mut out = Vec::new();
        let stats = run(
            served.today(),
            input.as_bytes(),
            &mut out,
            format,
            &mut |_| {},
        )
        .unwrap();
        (stats, String::from_utf8(out).unwrap())
    }

    /// JSON Lines as integrations write them: coordinates as numeric text
    /// under other spellings, numeric ids, blank lines; every line one row
    /// in its place, its id as given.
    #[test]
    fn json_lines_are_read_forgivingly_and_without_loss() {
        let input = "{\"id\": 7, \"lat\": \"54.793466\", \"lng\": \"2.07513\"}\n\n{\"id\": \"b\", \"latitude\": 54.793466, \"longitude\": 2.07513}\n   \n{\"id\": 3.5, \"lat\": \"north\", \"lon\": 2}\n[1]\n{\"id\": 0, \"postcode\": \"DV1 1AA\"}\n";
        let (stats, out) = answers(input, Format::JsonLines);
        let rows: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!((stats.rows, rows.len()), (7, 7), "{out}");
        assert_eq!(rows[0]["id"], 7);
        assert_eq!(rows[0]["error"], Value::Null, "{}", rows[0]);
        assert_eq!(rows[1]["error"], EMPTY_ROW);
        assert_eq!(rows[2]["id"], "b");
        assert_eq!(rows[2]["feeds"], rows[0]["feeds"]);
        assert_eq!(rows[3]["error"], EMPTY_ROW);
        assert_eq!(rows[4]["id"], 3.5);
        assert!(
            rows[4]["error"]
                .as_str()
                .unwrap()
                .contains("lat \"north\" is not a number"),
            "{}",
            rows[4]
        );
        assert!(rows[5]["error"]
            .as_str()
            .unwrap()
            .starts_with("not a JSON object"));
        assert_eq!(
            (rows[6]["id"].clone(), rows[6]["error"].clone()),
            (Value::from(0), Value::Null)
        );
        assert_eq!(stats.errors, 4);
    }

    /// CSV: `latitude`/`lng` headers, and a row for every blank line, in
    /// its place (between rows, after the header, at the end), also after
    /// a quoted field that spans lines.
    #[test]
    fn csv_blank_lines_keep_their_rows() {
        let input = "id,latitude,lng,q\n\n1,54.793466,2.07513,\n\n\n2,,,\"Marlow\nMarket\"\n3,54.793466,2.07513,\n\n";
        let (stats, out) = answers(input, Format::Csv);
        let mut r = csv::Reader::from_reader(out.as_bytes());
        let error = r
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == "error")
            .unwrap();
        let rows: Vec<(String, String)> = r
            .records()
            .map(|rec| {
                let rec = rec.unwrap();
                (rec[0].to_string(), rec[error].to_string())
            })
            .collect();
        let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(ids, ["", "1", "", "", "2", "3", ""], "{out}");
        let empty: Vec<bool> = rows.iter().map(|r| r.1 == EMPTY_ROW).collect();
        assert_eq!(
            empty,
            [true, false, true, true, false, false, true],
            "{out}"
        );
        assert_eq!(rows[1].1, "", "{out}");
        assert_eq!(
            (stats.rows, stats.errors),
            (7, 4 + u64::from(!rows[4].1.is_empty()))
        );
    }
}
