//! Fuzzing with property tests: mutated real inputs (GeoJSON, KML, region
//! manifests, batch CSV and JSON Lines, query strings) never panic and
//! always come back as a located error or a sound answer.
//!
//! Each property runs `FEEDMAP_FUZZ_CASES` cases (default 500, so a few
//! thousand in all under `cargo test`); for a longer run:
//! `FEEDMAP_FUZZ_CASES=100000 cargo test --release --test integration fuzz::`.
//! A failing case is shrunk by proptest and printed.

use crate::common;

use feedmap::batch::{self, Format};
use feedmap::generations::build_release;
use feedmap::manifest::Manifest;
use feedmap::store::ReleaseFile;
use feedmap::{Served, Source};
use proptest::prelude::*;
use serde_json::Value;
use std::sync::OnceLock;

fn cases() -> u32 {
    std::env::var("FEEDMAP_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        // A failure is shrunk, but not for ever.
        max_shrink_iters: 2_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Fragments that parsers and validators treat specially.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"null",
    b"true",
    b"-",
    b"0",
    b"-0",
    b"1e309",
    b"-1e309",
    b"NaN",
    b"Infinity",
    b"1e-320",
    b"180.0000001",
    b"-91",
    b"90",
    b"\"type\"",
    b"\"Polygon\"",
    b"\"MultiPolygon\"",
    b"\"Point\"",
    b"\"coordinates\"",
    b"\"features\"",
    b"\"properties\"",
    b"\"crs\"",
    b"[]",
    b"[[]]",
    b"[[[0,0],[1,1]]]",
    b"<",
    b">",
    b"</",
    b"<![CDATA[",
    b"]]>",
    b"&amp;",
    b"&#0;",
    b"<coordinates>",
    b"</coordinates>",
    b"<Placemark>",
    b"</Polygon>",
    b" ",
    b"\n",
    b"\r",
    b"\t",
    b"=",
    b"#",
    b"[[layers]]",
    b"'",
    b"\\",
    b"\\u0000",
    b"\x00",
    b"\xff\xfe",
    b"\xc3",
    b"\xe2\x80\xae",
    b"%",
    b"%zz",
    b"&",
    b"+",
    b"9999999999999999999999",
];

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Edit {
    /// Replace the byte at (position modulo length).
    Set(usize, u8),
    /// Delete up to `n` bytes from a position.
    Delete(usize, usize),
    /// Insert a token at a position.
    Insert(usize, usize),
    /// Copy up to `n` bytes from one position to another.
    Copy(usize, usize, usize),
    /// Cut the text at a position.
    Truncate(usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(i, t)| Edit::Insert(i, t)),
        (any::<usize>(), any::<usize>(), 1usize..256).prop_map(|(a, b, n)| Edit::Copy(a, b, n)),
        any::<usize>().prop_map(Edit::Truncate),
    ];
    prop::collection::vec(edit, 1..6)
}

fn mutate(base: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut v = base.to_vec();
    for e in edits {
        let at = |i: usize, v: &Vec<u8>| if v.is_empty() { 0 } else { i % (v.len() + 1) };
        match *e {
            Edit::Set(i, b) if !v.is_empty() => {
                let i = i % v.len();
                v[i] = b;
            }
            Edit::Set(..) => {}
            Edit::Delete(i, n) => {
                let i = at(i, &v);
                let end = (i + n).min(v.len());
                v.drain(i..end);
            }
            Edit::Insert(i, t) => {
                let i = at(i, &v);
                v.splice(i..i, TOKENS[t].iter().copied());
            }
            Edit::Copy(from, to, n) => {
                let from = at(from, &v);
                let piece: Vec<u8> = v[from..(from + n).min(v.len())].to_vec();
                let to = at(to, &v);
                v.splice(to..to, piece);
            }
            Edit::Truncate(i) => {
                let i = at(i, &v);
                v.truncate(i);
            }
        }
    }
    v
}

/// A JSON value a validator must cope with where it expected another.
fn odd_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just(0.0),
            Just(-0.0),
            Just(1e308),
            Just(-1e308),
            Just(5e-324),
            Just(180.000_000_1),
            Just(-90.000_001),
            -200.0f64..200.0
        ]
        .prop_map(Value::from),
        "[a-zA-Z0-9 ,\"\\\\]{0,12}".prop_map(Value::from),
        Just(serde_json::json!([])),
        Just(serde_json::json!([[]])),
        Just(serde_json::json!([[0, 0], [0, 0], [0, 0], [0, 0]])),
        Just(serde_json::json!([[
            [0, 0],
            [1, 0],
            [0, 1],
            [1, 1],
            [0, 0]
        ]])),
        Just(serde_json::json!({})),
        Just(serde_json::json!({"type": "Point", "coordinates": [0, 0]})),
    ]
}

/// Every node of a JSON document, as JSON pointers.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                pointers(
                    x,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pointers(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Replaces (or, for `None`, removes) the nodes picked by `picks`.
fn mutate_json(base: &Value, picks: &[(usize, Option<Value>)]) -> Value {
    let mut v = base.clone();
    for (pick, with) in picks {
        let mut all = Vec::new();
        pointers(&v, String::new(), &mut all);
        let at = &all[pick % all.len()];
        match with {
            Some(x) => {
                if let Some(node) = v.pointer_mut(at) {
                    *node = x.clone();
                }
            }
            None => {
                if let Some((parent, key)) = at.rsplit_once('/') {
                    match v.pointer_mut(parent) {
                        Some(Value::Object(m)) => {
                            m.remove(&key.replace("~1", "/").replace("~0", "~"));
                        }
                        Some(Value::Array(a)) => {
                            if let Ok(i) = key.parse::<usize>() {
                                if i < a.len() {
                                    a.remove(i);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    v
}

fn json_picks() -> impl Strategy<Value = Vec<(usize, Option<Value>)>> {
    prop::collection::vec(
        (any::<usize>(), prop::option::weighted(0.8, odd_value())),
        1..5,
    )
}

/// The demo's layers, as a release of each would be staged.
fn demo_spec(layer: &str) -> feedmap::manifest::LayerSpec {
    let (manifest, _) = Manifest::load(&common::demo_region()).unwrap();
    manifest.layers.into_iter().find(|l| l.id == layer).unwrap()
}

/// A boundary file as a release: the layer, or problems that each name
/// the file and layer (and the feature, where there is one); a built
/// layer answers lookups without panicking.
fn check_release(
    spec: &feedmap::manifest::LayerSpec,
    name: &str,
    text: String,
) -> Result<(), TestCaseError> {
    let files = [ReleaseFile {
        name: name.to_string(),
        text,
    }];
    match build_release(spec, &files, false, name) {
        Ok(layer) => {
            prop_assert!(!layer.areas.is_empty());
            for (lon, lat) in [(2.0, 54.75), (0.0, 0.0), (-179.9, 89.9), (2.1, 54.8)] {
                let found = layer.index.locate(&layer.areas, lon, lat);
                if found.is_empty() {
                    let n = layer.index.nearest(&layer.areas, lon, lat);
                    prop_assert!(n.is_some_and(|n| n.distance_m.is_finite() && n.distance_m >= 0.0));
                }
            }
        }
        Err(problems) => {
            prop_assert!(!problems.is_empty());
            for p in &problems {
                prop_assert_eq!(&p.layer, &spec.id);
                prop_assert!(p.file.to_string_lossy().contains(name), "{p}");
                prop_assert!(!p.detail.is_empty(), "{p}");
                let shown = p.to_string();
                prop_assert!(shown.contains(name), "{shown}");
            }
        }
    }
    Ok(())
}

fn demo_geojson() -> &'static (Vec<u8>, Value) {
    static BASE: OnceLock<(Vec<u8>, Value)> = OnceLock::new();
    BASE.get_or_init(|| {
        let bytes = std::fs::read(common::demo_region().join("neighbourhoods.geojson")).unwrap();
        let value = serde_json::from_slice(&bytes).unwrap();
        (bytes, value)
    })
}

proptest! {
    #![proptest_config(config())]

    /// GeoJSON with its bytes edited: parse errors carry the line and
    /// column, and every problem names the file.
    #[test]
    fn geojson_bytes(edits in edits()) {
        let text = String::from_utf8_lossy(&mutate(&demo_geojson().0, &edits)).into_owned();
        check_release(&demo_spec("neighbourhoods"), "neighbourhoods.geojson", text)?;
    }

    /// GeoJSON with nodes replaced by odd values or removed: what parses
    /// reaches validation, whose problems name the feature.
    #[test]
    fn geojson_nodes(picks in json_picks()) {
        let text = mutate_json(&demo_geojson().1, &picks).to_string();
        check_release(&demo_spec("neighbourhoods"), "neighbourhoods.geojson", text)?;
    }

    /// KML with its bytes edited.
    #[test]
    fn kml_bytes(edits in edits()) {
        let text = String::from_utf8_lossy(&mutate(KML.as_bytes(), &edits)).into_owned();
        check_release(&demo_spec("neighbourhoods"), "neighbourhoods.kml", text)?;
    }

    /// A region manifest with its bytes edited: it loads, or the error
    /// names the manifest (and the line, for TOML syntax).
    #[test]
    fn manifest_bytes(edits in edits()) {
        let base = demo_manifest();
        let text = String::from_utf8_lossy(&mutate(base.as_bytes(), &edits)).into_owned();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("region.toml");
        std::fs::write(&path, &text).unwrap();
        match Source::load(dir.path()) {
            Ok(source) => prop_assert!(!source.region.layers.is_empty()),
            Err(e) => {
                let shown = e.to_string();
                prop_assert!(!shown.is_empty());
                prop_assert!(
                    shown.contains("region.toml") || shown.contains(".geojson")
                        || shown.contains(".csv") || shown.contains(".json"),
                    "the error names no file: {shown}"
                );
            }
        }
    }

    /// A batch CSV with its bytes edited: a header error, or one answer row
    /// per input row, in the fixed columns, each bad row's error in it.
    #[test]
    fn batch_csv(edits in edits()) {
        let input = mutate(BATCH_CSV.as_bytes(), &edits);
        let mut out = Vec::new();
        match batch::run(demo().today(), &input[..], &mut out, Format::Csv, &mut |_| {}) {
            Err(batch::BatchError::Header(msg)) => prop_assert!(msg.contains("header")),
            Err(e) => prop_assert!(false, "a batch over bytes in memory failed whole: {e}"),
            Ok(stats) => {
                prop_assert!(std::str::from_utf8(&out).is_ok(), "the answer is UTF-8 text");
                let mut r = csv::ReaderBuilder::new().from_reader(&out[..]);
                prop_assert_eq!(r.headers().unwrap().len(), batch::CSV_COLUMNS.len());
                let mut rows = 0;
                let mut errors = 0;
                for rec in r.records() {
                    let rec = rec.expect("the answer is well-formed CSV");
                    prop_assert_eq!(rec.len(), batch::CSV_COLUMNS.len());
                    errors += u64::from(!rec[batch::CSV_COLUMNS.len() - 1].is_empty());
                    rows += 1;
                }
                prop_assert_eq!(rows, stats.rows);
                prop_assert_eq!(errors, stats.errors);
            }
        }
    }

    /// Batch JSON Lines with bytes edited: one JSON object per non-blank
    /// line, each with its `id` and an `error` (null when answered).
    #[test]
    fn batch_jsonl(edits in edits()) {
        let input = mutate(BATCH_JSONL.as_bytes(), &edits);
        let mut out = Vec::new();
        let stats = batch::run(demo().today(), &input[..], &mut out, Format::JsonLines, &mut |_| {})
            .expect("JSON Lines in memory always runs");
        let text = String::from_utf8(out).expect("UTF-8 answers");
        let mut rows = 0;
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).expect("each answer line is JSON");
            prop_assert!(v.get("id").is_some() && v.get("error").is_some(), "{line}");
            if let Some(e) = v["error"].as_str() {
                prop_assert!(!e.is_empty());
            }
            rows += 1;
        }
        prop_assert_eq!(rows, stats.rows);
    }

    /// Query strings made of real parameter names and odd values, sent to
    /// the public read endpoints in process: never a 5xx; every 4xx a JSON
    /// problem with a detail.
    #[test]
    fn query_strings(path in 0..PATHS.len(), pairs in prop::collection::vec((0..PARAMS.len(), query_value()), 0..6), raw in "[a-z0-9=&%+.,;:/?@!$'()*_~-]{0,24}") {
        let mut q: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={v}", PARAMS[*k])).collect();
        if !raw.is_empty() {
            q.push(raw);
        }
        let uri = format!("{}?{}", PATHS[path], q.join("&"));
        let (status, content_type, body) = http().get(&uri);
        prop_assert!(status < 500, "{uri}: {status} {body}");
        if status >= 400 {
            prop_assert!(content_type.starts_with("application/problem+json"), "{uri}: {content_type}");
            let p: Value = serde_json::from_str(&body).expect("a JSON problem");
            prop_assert_eq!(p["status"].as_u64(), Some(u64::from(status)));
            prop_assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()), "{uri}: {body}");
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// `GET /v1/lookup` answered in front of the router (`api::front`)
    /// answers as the router's own route does: the same status, headers
    /// and bytes, for points in and around the demo region, odd and
    /// missing values, `at` dates and stray parameters, with and without
    /// an `Origin` (listed, unlisted), under a CORS policy of listed
    /// origins.
    #[test]
    fn lookup_in_front_answers_as_the_router(
        lat in prop_oneof![(54_690_000i64..54_900_000).prop_map(|v| format!("{:.6}", v as f64 / 1e6)), query_value()],
        lon in prop_oneof![(1_900_000i64..2_200_000).prop_map(|v| format!("{:.6}", v as f64 / 1e6)), query_value()],
        drop in 0..4usize,
        at in prop::option::of(prop_oneof![Just("2026-01-01".to_string()), Just("1999-12-31".to_string()), query_value()]),
        extra in prop::option::of((0..PARAMS.len(), query_value())),
        // (An origin the policy does not list is refused before either,
        // by the guard both sit behind: tests/embed.rs.)
        origin in prop::option::of(Just(LISTED_ORIGIN)),
    ) {
        let mut q = Vec::new();
        if drop != 1 {
            q.push(format!("lat={lat}"));
        }
        if drop != 2 {
            q.push(format!("lon={lon}"));
        }
        if let Some(at) = at {
            q.push(format!("at={at}"));
        }
        if let Some((k, v)) = extra {
            q.push(format!("{}={v}", PARAMS[k]));
        }
        let uri = format!("/v1/lookup?{}", q.join("&"));
        let listed = listed();
        let front = listed.send(listed.app.clone(), &uri, origin);
        let routed = listed.send(listed.router.clone(), &uri, origin);
        let show = |a: &Answer| format!("{} {:?} {}", a.0, a.1.iter().map(|(k, v)| format!("{k}: {}", String::from_utf8_lossy(v))).collect::<Vec<_>>(), String::from_utf8_lossy(&a.2));
        prop_assert!(front == routed, "{uri}\nin front: {}\nrouted:   {}", show(&front), show(&routed));
    }
}

/// The origin the comparison's CORS policy lists.
const LISTED_ORIGIN: &str = "https://www.example.police.uk";

/// Endpoints whose answers depend on the query string.
const PATHS: &[&str] = &[
    "/v1/lookup",
    "/v1/feeds/lookup",
    "/collections/neighbourhoods/items",
    "/collections/communities/items",
    "/v1/plan",
    "/v1/feeds/health",
    "/v1/releases",
    "/v1/consolidation",
    "/v1/verify",
    "/v1/audit",
];

const PARAMS: &[&str] = &[
    "lat",
    "lon",
    "postcode",
    "q",
    "at",
    "limit",
    "offset",
    "bbox",
    "datetime",
    "format",
    "f",
    "min_population",
    "max_new_feeds",
    "layer",
    "handle",
    "platform",
    "after",
    "id",
];

fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("54.76".to_string()),
        Just("2.01".to_string()),
        Just("DV1%201AA".to_string()),
        Just("NaN".to_string()),
        Just("inf".to_string()),
        Just("-0".to_string()),
        Just("1e400".to_string()),
        Just("99999999999999999999".to_string()),
        Just("%".to_string()),
        Just("%zz".to_string()),
        Just("%FF%FE".to_string()),
        Just("0,0,1,1".to_string()),
        Just("2,54,1,53".to_string()),
        Just("2026-02-30".to_string()),
        Just("csv".to_string()),
        Just("geojson".to_string()),
        "[a-zA-Z0-9.,+-]{0,16}",
    ]
}

/// The demo region, served without a store, for the batch properties.
fn demo() -> &'static Served {
    static SERVED: OnceLock<Served> = OnceLock::new();
    SERVED.get_or_init(|| Served::without_store(Source::load(&common::demo_region()).unwrap()))
}

/// The server's application (the router behind the layers every request
/// passes) over the demo region and a throwaway store, driven in process.
struct Http {
    runtime: tokio::runtime::Runtime,
    app: feedmap::api::App,
    /// The router alone, without the layers or the lookup in front.
    router: axum::Router,
    _data: tempfile::TempDir,
}

/// A whole answer: status, headers in order, body.
type Answer = (u16, Vec<(String, Vec<u8>)>, Vec<u8>);

impl Http {
    /// `GET uri` (with `origin`, if any) sent to `service`.
    fn send<S, B>(&self, service: S, uri: &str, origin: Option<&str>) -> Answer
    where
        S: tower::Service<
            axum::http::Request<axum::body::Body>,
            Response = axum::http::Response<B>,
        >,
        S::Error: std::fmt::Debug,
        B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        use tower::ServiceExt;
        self.runtime.block_on(async {
            let mut request = axum::http::Request::get(uri);
            if let Some(o) = origin {
                request = request.header("origin", o);
            }
            let request = request
                .body(axum::body::Body::empty())
                .expect("a valid request");
            let response = service.oneshot(request).await.expect("infallible");
            let status = response.status().as_u16();
            // axum's router writes `content-length` itself; served over
            // hyper, an answer without it gets it from the body's exact
            // size (as the lookup in front does): compared as that size.
            let mut headers: Vec<(String, Vec<u8>)> = response
                .headers()
                .iter()
                .filter(|(k, _)| *k != "content-length")
                .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
                .collect();
            let exact = axum::body::HttpBody::size_hint(response.body()).exact();
            headers.push(("(exact size)".into(), format!("{exact:?}").into_bytes()));
            let body = axum::body::to_bytes(axum::body::Body::new(response.into_body()), 64 << 20)
                .await
                .expect("a body");
            (status, headers, body.to_vec())
        })
    }

    /// `GET uri` sent to the whole application: status, content type,
    /// body.
    fn get(&self, uri: &str) -> (u16, String, String) {
        let (status, headers, body) = self.send(self.app.clone(), uri, None);
        let content_type = headers
            .iter()
            .find(|(k, _)| k == "content-type")
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default();
        (
            status,
            content_type,
            String::from_utf8_lossy(&body).into_owned(),
        )
    }
}

fn http() -> &'static Http {
    static HTTP: OnceLock<Http> = OnceLock::new();
    HTTP.get_or_init(|| Http::new(vec!["*".into()]))
}

/// The same application with a CORS policy that lists one origin
/// ([`LISTED_ORIGIN`]).
fn listed() -> &'static Http {
    static HTTP: OnceLock<Http> = OnceLock::new();
    HTTP.get_or_init(|| Http::new(vec![LISTED_ORIGIN.into()]))
}

impl Http {
    /// Over the demo region and a throwaway store, CORS allowing
    /// `cors_origins`, no rate limit.
    fn new(cors_origins: Vec<String>) -> Http {
        let data = tempfile::tempdir().unwrap();
        let config = feedmap::config::ServeConfig {
            region: common::demo_region(),
            data_dir: data.path().to_path_buf(),
            rate_limit: 0,
            cors_origins,
            ..Default::default()
        };
        let store = feedmap::store::Location::from_args(None, data.path())
            .unwrap()
            .open()
            .unwrap();
        let source = Source::load(&common::demo_region()).unwrap();
        let state =
            feedmap::api::state::AppState::new(source, config, store, Default::default(), None)
                .unwrap();
        Http {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            app: feedmap::api::app(state.clone()),
            router: feedmap::api::router(state),
            _data: data,
        }
    }
}

/// The demo manifest with its files named by absolute path, so it can be
/// edited and loaded from another folder.
fn demo_manifest() -> String {
    let dir = common::demo_region();
    let text = std::fs::read_to_string(dir.join("region.toml")).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        let absolute = |key: &str| -> Option<String> {
            let value = line
                .strip_prefix(key)?
                .trim_start()
                .strip_prefix('=')?
                .trim();
            let name = value.trim_matches('"');
            Some(format!("{key} = {:?}", dir.join(name).to_string_lossy()))
        };
        let line = ["file", "activity", "listings"]
            .iter()
            .find_map(|k| absolute(k))
            .unwrap_or_else(|| line.to_string());
        out.push_str(&line);
        out.push('\n');
    }
    out
}

const BATCH_CSV: &str = "id,lat,lon,postcode,q\n\
1,54.76,2.01,,\n\
2,,,DV1 1AA,\n\
\"3,\"\"x\"\"\",,,,Marlow Market\n\
4,abc,2.0,,\n\
5,91,0,,\n\
6,,,,\n\
7,54.80,2.10,,\n";

const BATCH_JSONL: &str = "{\"id\":1,\"lat\":54.76,\"lon\":2.01}\n\
{\"id\":\"2\",\"postcode\":\"DV1 1AA\"}\n\
{\"id\":3,\"q\":\"Marlow Market\"}\n\
{\"id\":4,\"lat\":\"x\"}\n\
\n\
{\"id\":[5],\"lat\":91,\"lon\":0}\n\
not json\n";

/// Two placemarks in the demo's neighbourhood (KML, as police forces
/// publish neighbourhood boundaries).
const KML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>North &amp; East</name><ExtendedData><Data name="code"><value>DV-N</value></Data></ExtendedData>
<Polygon><outerBoundaryIs><LinearRing><coordinates>
1.99,54.74,0 2.13,54.74,0 2.13,54.80,0 1.99,54.80,0 1.99,54.74,0
</coordinates></LinearRing></outerBoundaryIs>
<innerBoundaryIs><LinearRing><coordinates>2.05,54.76 2.07,54.76 2.07,54.77 2.05,54.77 2.05,54.76</coordinates></LinearRing></innerBoundaryIs>
</Polygon></Placemark>
<Placemark><name>South</name><ExtendedData><Data name="code"><value>DV-S</value></Data></ExtendedData>
<MultiGeometry><Polygon><outerBoundaryIs><LinearRing><coordinates>
1.99,54.70 2.13,54.70 2.13,54.74 1.99,54.74 1.99,54.70
</coordinates></LinearRing></outerBoundaryIs></Polygon></MultiGeometry></Placemark>
</Document></kml>
"#;

#[test]
fn the_bases_are_valid_before_mutation() {
    // Each property edits a valid input, so an unedited one must pass
    // cleanly: otherwise the properties would only ever test rejection.
    let spec = demo_spec("neighbourhoods");
    let geojson = String::from_utf8(demo_geojson().0.clone()).unwrap();
    assert!(build_release(
        &spec,
        &[ReleaseFile {
            name: "n.geojson".into(),
            text: geojson
        }],
        false,
        "n.geojson"
    )
    .is_ok());
    let kml = build_release(
        &spec,
        &[ReleaseFile {
            name: "n.kml".into(),
            text: KML.into(),
        }],
        false,
        "n.kml",
    );
    assert_eq!(
        kml.map(|l| l.areas.len()).map_err(|p| format!("{p:?}")),
        Ok(2)
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("region.toml"), demo_manifest()).unwrap();
    assert!(Source::load(dir.path()).is_ok());
    let mut out = Vec::new();
    let stats = batch::run(
        demo().today(),
        BATCH_CSV.as_bytes(),
        &mut out,
        Format::Csv,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        (stats.rows, stats.errors),
        (7, 3),
        "{}",
        String::from_utf8_lossy(&out)
    );
    let (status, _, _) = http().get("/v1/lookup?lat=54.76&lon=2.01");
    assert_eq!(status, 200);
}
