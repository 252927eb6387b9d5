//! OGC API – Features Part 2 (CRS by reference) and Part 3 (queryables,
//! CQL2 text filters) on the 215 GM wards: coordinates in EPSG:27700 are
//! exactly `feedmap::crs::wgs84_to_bng` of the CRS84 answer, EPSG:4326
//! swaps the axes, `Content-Crs` names the system, a box in the grid keeps
//! exactly the wards whose grid geometry meets it; every filter operator
//! keeps exactly what a brute-force check over the CRS84 features keeps,
//! paging walks the filtered set, bad parameters are 400 problems naming
//! what is wrong (and, for a filter, where). Then OWSLib, a client from
//! PyPI, does the same through its own API
//! (`tests/python/owslib_ogc.py`), comparing with pyproj.

use crate::common;

use geo::{Coord, Intersects, LineString, MultiPolygon, Polygon, Rect, Relate};
use serde_json::{json, Value};

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const EPSG_4326: &str = "http://www.opengis.net/def/crs/EPSG/0/4326";
const EPSG_27700: &str = "http://www.opengis.net/def/crs/EPSG/0/27700";

/// A box in the grid around Sale and Stretford, its edges off the round
/// kilometres.
const BNG_BOX: [f64; 4] = [376_000.5, 391_000.5, 382_000.5, 396_500.5];
/// A triangle in the grid over Trafford and south Manchester.
const BNG_TRIANGLE: &str = "POLYGON((374000 388000, 386000 390000, 379000 398000, 374000 388000))";
/// A triangle in CRS84 across south Manchester and Stockport.
const TRIANGLE: &str = "POLYGON((-2.35 53.42, -2.12 53.39, -2.22 53.5, -2.35 53.42))";

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The GM region of `common::gm_manifest` served; `None` (skipped) without
/// the data, except under CI.
fn gm_server(test: &str) -> Option<(tempfile::TempDir, common::Server)> {
    let data = common::gm_data(test)?;
    let dir = common::region_dir(&common::gm_manifest(&data));
    let server = common::Server::start(dir.path());
    Some((dir, server))
}

/// GETs a path: status, headers and JSON body.
fn get(server: &common::Server, path: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let resp = reqwest::blocking::get(format!("{}{path}", server.base)).unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().unwrap();
    let json =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text}"));
    (status, headers, json)
}

fn header<'h>(h: &'h reqwest::header::HeaderMap, name: &str) -> &'h str {
    h.get(name).map_or("", |v| v.to_str().unwrap())
}

/// All wards, in one page, with `query` added; checks the Content-Crs.
fn wards(server: &common::Server, query: &str, crs: &str) -> Vec<Value> {
    let path = format!("/collections/wards/items?limit=1000{query}");
    let (status, h, page) = get(server, &path);
    assert_eq!(status, 200, "{path}: {page}");
    assert_eq!(header(&h, "content-crs"), format!("<{crs}>"), "{path}");
    assert_eq!(page["numberMatched"], page["numberReturned"], "{path}");
    page["features"].as_array().unwrap().clone()
}

fn ids(features: &[Value]) -> Vec<String> {
    features
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

/// Every position of a GeoJSON MultiPolygon, in order.
fn positions(geometry: &Value) -> Vec<(f64, f64)> {
    assert_eq!(geometry["type"], "MultiPolygon");
    let mut out = Vec::new();
    for polygon in geometry["coordinates"].as_array().unwrap() {
        for ring in polygon.as_array().unwrap() {
            for p in ring.as_array().unwrap() {
                out.push((p[0].as_f64().unwrap(), p[1].as_f64().unwrap()));
            }
        }
    }
    out
}

/// A GeoJSON MultiPolygon, each position mapped by `f`.
fn multipolygon(geometry: &Value, f: impl Fn(f64, f64) -> (f64, f64)) -> MultiPolygon<f64> {
    let ring = |r: &Value| {
        LineString(
            r.as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    let (x, y) = f(p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
                    Coord { x, y }
                })
                .collect(),
        )
    };
    MultiPolygon(
        geometry["coordinates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let rings = p.as_array().unwrap();
                Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
            })
            .collect(),
    )
}

fn to_bng(lon: f64, lat: f64) -> (f64, f64) {
    feedmap::crs::wgs84_to_bng(lon, lat).expect("a GM point has grid coordinates")
}

/// A WKT polygon's single ring.
fn wkt_polygon(wkt: &str) -> Polygon<f64> {
    let inner = wkt.trim_start_matches("POLYGON((").trim_end_matches("))");
    let coords = inner
        .split(',')
        .map(|p| {
            let mut xy = p.split_whitespace().map(|v| v.parse::<f64>().unwrap());
            Coord {
                x: xy.next().unwrap(),
                y: xy.next().unwrap(),
            }
        })
        .collect();
    Polygon::new(LineString(coords), vec![])
}

/// The wards whose geometry, converted to the grid point by point, meets
/// `shape` there: the brute-force answer for a box or polygon in EPSG:27700.
fn meeting_in_grid(all: &[Value], shape: &Polygon<f64>) -> Vec<String> {
    all.iter()
        .filter(|f| multipolygon(&f["geometry"], to_bng).intersects(shape))
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

fn bng_box() -> Polygon<f64> {
    let [x0, y0, x1, y1] = BNG_BOX;
    Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 }).to_polygon()
}

fn assert_problem(server: &common::Server, path: &str, has: &[&str]) -> Value {
    let (status, h, body) = get(server, path);
    assert_eq!(status, 400, "{path}: {body}");
    assert_eq!(header(&h, "content-type"), "application/problem+json");
    let detail = body["detail"].as_str().unwrap();
    for s in has {
        assert!(detail.contains(s), "{path}: {detail:?} lacks {s:?}");
    }
    body
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn coordinates_in_the_grid_and_in_epsg_4326_agree_with_crs84() {
    let Some((_dir, server)) =
        gm_server("coordinates_in_the_grid_and_in_epsg_4326_agree_with_crs84")
    else {
        return;
    };
    let (_, _, conf) = get(&server, "/conformance");
    let conf = conf["conformsTo"].to_string();
    assert!(conf.contains("http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"));
    let (_, _, col) = get(&server, "/collections/wards");
    assert_eq!(col["crs"], json!([CRS84, EPSG_4326, EPSG_27700]));
    assert_eq!(col["storageCrs"], CRS84);
    assert_eq!(col["extent"]["spatial"]["crs"], CRS84);

    let crs84 = wards(&server, "", CRS84);
    let grid = wards(&server, &format!("&crs={}", enc(EPSG_27700)), EPSG_27700);
    let latlon = wards(&server, &format!("&crs={}", enc(EPSG_4326)), EPSG_4326);
    assert_eq!(crs84.len(), 215);
    assert_eq!(ids(&grid), ids(&crs84));
    assert_eq!(ids(&latlon), ids(&crs84));
    let mut points = 0;
    for ((w, g), l) in crs84.iter().zip(&grid).zip(&latlon) {
        assert_eq!(g["properties"], w["properties"]);
        let (pw, pg, pl) = (
            positions(&w["geometry"]),
            positions(&g["geometry"]),
            positions(&l["geometry"]),
        );
        assert_eq!((pg.len(), pl.len()), (pw.len(), pw.len()));
        for ((&(lon, lat), &(e, n)), &(a, b)) in pw.iter().zip(&pg).zip(&pl) {
            let (want_e, want_n) = to_bng(lon, lat);
            assert!(
                (e - want_e).abs() < 1e-6 && (n - want_n).abs() < 1e-6,
                "{}: {lon},{lat} → {e},{n}, wgs84_to_bng says {want_e},{want_n}",
                w["id"]
            );
            assert!((350_000.0..420_000.0).contains(&e) && (380_000.0..425_000.0).contains(&n));
            assert_eq!((a, b), (lat, lon), "EPSG:4326 is latitude first");
            points += 1;
        }
    }
    assert!(points > 10_000, "{points}");

    // One item, in each system, says which in Content-Crs.
    let id = crs84[7]["id"].as_str().unwrap();
    for (crs, list) in [(EPSG_27700, &grid), (EPSG_4326, &latlon), (CRS84, &crs84)] {
        let (status, h, item) = get(
            &server,
            &format!("/collections/wards/items/{id}?crs={}", enc(crs)),
        );
        assert_eq!(status, 200, "{item}");
        assert_eq!(header(&h, "content-crs"), format!("<{crs}>"));
        assert_eq!(item["geometry"], list[7]["geometry"]);
    }
    let (_, h, _) = get(&server, &format!("/collections/wards/items/{id}"));
    assert_eq!(header(&h, "content-crs"), format!("<{CRS84}>"));

    // A box in the grid keeps exactly the wards that meet it there.
    let bbox = BNG_BOX.map(|v| v.to_string()).join(",");
    let want = meeting_in_grid(&crs84, &bng_box());
    assert!(want.len() >= 5 && want.len() < 40, "{want:?}");
    let got = wards(
        &server,
        &format!("&bbox={bbox}&bbox-crs={}", enc(EPSG_27700)),
        CRS84,
    );
    assert_eq!(ids(&got), want);
    // … whatever the answer's system.
    let got = wards(
        &server,
        &format!("&bbox={bbox}&bbox-crs={0}&crs={0}", enc(EPSG_27700)),
        EPSG_27700,
    );
    assert_eq!(ids(&got), want);
    // A box in EPSG:4326 is latitude first.
    let lonlat = ids(&wards(&server, "&bbox=-2.35,53.42,-2.3,53.45", CRS84));
    let latfirst = ids(&wards(
        &server,
        &format!("&bbox=53.42,-2.35,53.45,-2.3&bbox-crs={}", enc(EPSG_4326)),
        CRS84,
    ));
    assert!(!lonlat.is_empty());
    assert_eq!(latfirst, lonlat);

    // Paging keeps the CRS and the box.
    let (_, h, page) = get(
        &server,
        &format!(
            "/collections/wards/items?limit=100&crs={}&bbox=-3,53,-1,54",
            enc(EPSG_27700)
        ),
    );
    assert_eq!(header(&h, "content-crs"), format!("<{EPSG_27700}>"));
    let next = page["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .unwrap()["href"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(next.contains(&format!("crs={}", enc(EPSG_27700))) && next.contains("bbox="));
    let path = next.strip_prefix(&server.base).unwrap();
    let (_, h, second) = get(&server, path);
    assert_eq!(header(&h, "content-crs"), format!("<{EPSG_27700}>"));
    assert_eq!(second["features"][0]["id"], crs84[100]["id"]);

    // Refusals name the parameter and the supported systems.
    for param in ["crs", "bbox-crs", "filter-crs"] {
        let body = assert_problem(
            &server,
            &format!("/collections/wards/items?{param}=EPSG:3857"),
            &[param, CRS84, EPSG_4326, EPSG_27700],
        );
        assert_eq!(body["parameter"], param);
    }
    assert_problem(
        &server,
        &format!(
            "/collections/wards/items/{id}?crs={}",
            enc("http://www.opengis.net/def/crs/EPSG/0/3857")
        ),
        &["crs=", "not supported", EPSG_27700],
    );
    assert_problem(
        &server,
        &format!(
            "/collections/wards/items?bbox=0,0,800000,10&bbox-crs={}",
            enc(EPSG_27700)
        ),
        &["bbox", "outside the grid"],
    );
    assert_problem(
        &server,
        &format!(
            "/collections/wards/items?bbox=100,-2.3,101,-2.2&bbox-crs={}",
            enc(EPSG_4326)
        ),
        &["bbox", "latitude", "minLat,minLon,maxLat,maxLon"],
    );
}

/// A ward as the brute force sees it.
struct Ward {
    id: String,
    name: String,
    area: f64,
    perimeter: f64,
    population: Option<f64>,
    geometry: MultiPolygon<f64>,
}

/// Which wards a filter should keep.
type Keeps = Box<dyn Fn(&Ward) -> bool>;

/// `LIKE` with `%` and `_` as the brute force reads it.
fn like(text: &str, pattern: &str) -> bool {
    fn go(t: &[char], p: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('%', rest)) => (0..=t.len()).any(|i| go(&t[i..], rest)),
            Some(('_', rest)) => !t.is_empty() && go(&t[1..], rest),
            Some((c, rest)) => t.first() == Some(c) && go(&t[1..], rest),
        }
    }
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    go(&t, &p)
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn queryables_and_cql2_filters_match_a_brute_force_check() {
    let Some((_dir, server)) = gm_server("queryables_and_cql2_filters_match_a_brute_force_check")
    else {
        return;
    };
    let (_, _, conf) = get(&server, "/conformance");
    for class in [
        "ogcapi-features-3/1.0/conf/queryables",
        "ogcapi-features-3/1.0/conf/queryables-query-parameters",
        "ogcapi-features-3/1.0/conf/filter",
        "ogcapi-features-3/1.0/conf/features-filter",
        "cql2/1.0/conf/cql2-text",
        "cql2/1.0/conf/basic-cql2",
        "cql2/1.0/conf/advanced-comparison-operators",
        "cql2/1.0/conf/basic-spatial-functions",
    ] {
        let uri = format!("http://www.opengis.net/spec/{class}");
        assert!(
            conf["conformsTo"].as_array().unwrap().contains(&json!(uri)),
            "{uri}"
        );
    }

    // The queryables: a JSON Schema of the features' properties, linked
    // from the collection (in its body and a Link header).
    let (status, h, q) = get(&server, "/collections/wards/queryables");
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "application/schema+json");
    assert_eq!(q["$schema"], "https://json-schema.org/draft/2020-12/schema");
    let id = format!("{}/collections/wards/queryables", server.base);
    assert_eq!(q["$id"], id.as_str());
    assert_eq!(q["type"], "object");
    let props = q["properties"].as_object().unwrap();
    for (name, ty) in [
        ("id", "string"),
        ("name", "string"),
        ("layer", "string"),
        ("role", "string"),
        ("area_m2", "number"),
        ("perimeter_m", "number"),
        ("population", "number"),
    ] {
        assert_eq!(props[name]["type"], ty, "{name}");
    }
    assert_eq!(props["geometry"]["x-ogc-role"], "primary-geometry");
    assert_eq!(props.len(), 8);
    let (_, h, col) = get(&server, "/collections/wards");
    let rel = "http://www.opengis.net/def/rel/ogc/1.0/queryables";
    assert!(col["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["rel"] == rel
            && l["href"] == id.as_str()
            && l["type"] == "application/schema+json"));
    assert!(header(&h, "link").contains(&format!("<{id}>; rel=\"{rel}\"")));

    let all = wards(&server, "", CRS84);
    // The features' properties are exactly the queryables (and geometry).
    for f in &all {
        for k in f["properties"].as_object().unwrap().keys() {
            assert!(props.contains_key(k), "{k} is not a queryable");
        }
    }
    let ws: Vec<Ward> = all
        .iter()
        .map(|f| {
            let p = &f["properties"];
            Ward {
                id: f["id"].as_str().unwrap().into(),
                name: p["name"].as_str().unwrap().into(),
                area: p["area_m2"].as_f64().unwrap(),
                perimeter: p["perimeter_m"].as_f64().unwrap(),
                population: p["population"].as_f64(),
                geometry: multipolygon(&f["geometry"], |x, y| (x, y)),
            }
        })
        .collect();
    let mut areas: Vec<f64> = ws.iter().map(|w| w.area).collect();
    areas.sort_by(f64::total_cmp);
    let (a, lo, hi) = (areas[107], areas[50], areas[150]);

    let check = |filter: &str, extra: &str, want: &dyn Fn(&Ward) -> bool| -> usize {
        let expected: Vec<String> = ws
            .iter()
            .filter(|w| want(w))
            .map(|w| w.id.clone())
            .collect();
        let path = format!("&filter={}{extra}", enc(filter));
        let got = ids(&wards(&server, &path, CRS84));
        assert_eq!(got, expected, "filter {filter}{extra}");
        expected.len()
    };
    let tri = wkt_polygon(TRIANGLE);
    let point = geo::Point::new(-2.3, 53.45);
    let boxed = Rect::new(Coord { x: -2.4, y: 53.4 }, Coord { x: -2.3, y: 53.45 });
    let big = Rect::new(Coord { x: -2.5, y: 53.3 }, Coord { x: -2.2, y: 53.5 });
    let grid_triangle = wkt_polygon(BNG_TRIANGLE);
    let grid_hits = meeting_in_grid(&all, &grid_triangle);
    let cases: Vec<(String, &str, Keeps)> = vec![
        (
            "name = 'Sale Moor'".into(),
            "",
            Box::new(|w| w.name == "Sale Moor"),
        ),
        (
            "name <> 'Sale Moor'".into(),
            "",
            Box::new(|w| w.name != "Sale Moor"),
        ),
        (
            "name = 'St Mary''s'".into(),
            "",
            Box::new(|w| w.name == "St Mary's"),
        ),
        ("name < 'C'".into(), "", Box::new(|w| w.name.as_str() < "C")),
        (format!("area_m2 = {a}"), "", Box::new(move |w| w.area == a)),
        (format!("area_m2 < {a}"), "", Box::new(move |w| w.area < a)),
        (
            format!("area_m2 <= {a}"),
            "",
            Box::new(move |w| w.area <= a),
        ),
        (format!("area_m2 > {a}"), "", Box::new(move |w| w.area > a)),
        (
            format!("area_m2 >= {a}"),
            "",
            Box::new(move |w| w.area >= a),
        ),
        (format!("{a} < area_m2"), "", Box::new(move |w| w.area > a)),
        (
            "area_m2 > perimeter_m * 0 + 1".into(),
            "",
            Box::new(|_| false),
        ),
        (
            "name LIKE 'Sale%'".into(),
            "",
            Box::new(|w| w.name.starts_with("Sale")),
        ),
        (
            "name LIKE '%ton%'".into(),
            "",
            Box::new(|w| w.name.contains("ton")),
        ),
        (
            "name LIKE 'St_ M%'".into(),
            "",
            Box::new(|w| like(&w.name, "St_ M%")),
        ),
        (
            "name NOT LIKE '%a%'".into(),
            "",
            Box::new(|w| !w.name.contains('a')),
        ),
        (
            format!("area_m2 BETWEEN {lo} AND {hi}"),
            "",
            Box::new(move |w| lo <= w.area && w.area <= hi),
        ),
        (
            format!("area_m2 NOT BETWEEN {lo} AND {hi}"),
            "",
            Box::new(move |w| !(lo <= w.area && w.area <= hi)),
        ),
        (
            "name IN ('Sale Moor', 'Bowdon', 'Nowhere')".into(),
            "",
            Box::new(|w| ["Sale Moor", "Bowdon"].contains(&w.name.as_str())),
        ),
        (
            "name NOT IN ('Sale Moor', 'Bowdon')".into(),
            "",
            Box::new(|w| !["Sale Moor", "Bowdon"].contains(&w.name.as_str())),
        ),
        (
            "population IS NULL".into(),
            "",
            Box::new(|w| w.population.is_none()),
        ),
        (
            "population IS NOT NULL".into(),
            "",
            Box::new(|w| w.population.is_some()),
        ),
        // Unknown (no population) OR true is true; unknown AND true is not.
        (
            "population > 0 OR name = 'Sale Moor'".into(),
            "",
            Box::new(|w| w.population.is_some_and(|p| p > 0.0) || w.name == "Sale Moor"),
        ),
        (
            "NOT population > 0".into(),
            "",
            Box::new(|w| w.population.is_some_and(|p| p <= 0.0)),
        ),
        (
            format!("NOT (name LIKE 'S%') AND area_m2 > {a}"),
            "",
            Box::new(move |w| !w.name.starts_with('S') && w.area > a),
        ),
        (
            format!("(name LIKE 'A%' OR name LIKE 'B%') and not area_m2 < {a}"),
            "",
            Box::new(move |w| (w.name.starts_with('A') || w.name.starts_with('B')) && w.area >= a),
        ),
        (
            "area_m2 > perimeter_m".into(),
            "",
            Box::new(|w| w.area > w.perimeter),
        ),
        ("TRUE".into(), "", Box::new(|_| true)),
        (
            format!("S_INTERSECTS(geometry, {TRIANGLE})"),
            "",
            Box::new(move |w| w.geometry.intersects(&tri)),
        ),
        (
            format!("S_DISJOINT(geometry, {TRIANGLE})"),
            "",
            Box::new(move |w| !w.geometry.intersects(&wkt_polygon(TRIANGLE))),
        ),
        (
            "S_INTERSECTS(geometry, POINT(-2.3 53.45))".into(),
            "",
            Box::new(move |w| w.geometry.intersects(&point)),
        ),
        (
            "S_INTERSECTS(geometry, BBOX(-2.4, 53.4, -2.3, 53.45))".into(),
            "",
            Box::new(move |w| w.geometry.intersects(&boxed)),
        ),
        (
            "S_WITHIN(geometry, BBOX(-2.5, 53.3, -2.2, 53.5))".into(),
            "",
            Box::new(move |w| w.geometry.relate(&big).is_within()),
        ),
        (
            "S_INTERSECTS(geometry, POINT(53.45 -2.3))".into(),
            "&filter-crs=http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FEPSG%2F0%2F4326",
            Box::new(move |w| w.geometry.intersects(&point)),
        ),
        (
            format!("S_INTERSECTS(geometry, {BNG_TRIANGLE})"),
            "&filter-crs=http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FEPSG%2F0%2F27700",
            Box::new(move |w| grid_hits.contains(&w.id)),
        ),
    ];
    let mut nonempty = 0;
    for (filter, extra, want) in &cases {
        if filter.contains("* 0") {
            // Arithmetic is not read: a 400 naming where.
            let body = assert_problem(
                &server,
                &format!("/collections/wards/items?filter={}", enc(filter)),
                &["arithmetic", "at character 23:"],
            );
            assert_eq!(body["position"], 23);
            continue;
        }
        let n = check(filter, extra, want.as_ref());
        if n > 0 && n < ws.len() {
            nonempty += 1;
        }
    }
    assert!(
        nonempty >= 25,
        "only {nonempty} filters kept some but not all"
    );

    // Paging comes after filtering, and the links keep the filter and crs.
    let filter = "name LIKE '%a%' AND area_m2 > 1000000";
    let want: Vec<String> = ws
        .iter()
        .filter(|w| w.name.contains('a') && w.area > 1_000_000.0)
        .map(|w| w.id.clone())
        .collect();
    assert!(want.len() > 40, "{}", want.len());
    let mut path = format!(
        "/collections/wards/items?filter={}&crs={}&limit=7",
        enc(filter),
        enc(EPSG_27700)
    );
    let mut got = Vec::new();
    loop {
        let (status, h, page) = get(&server, &path);
        assert_eq!(status, 200, "{page}");
        assert_eq!(header(&h, "content-crs"), format!("<{EPSG_27700}>"));
        assert_eq!(page["numberMatched"], want.len());
        let features = page["features"].as_array().unwrap();
        assert!(features.len() <= 7);
        assert_eq!(page["numberReturned"], features.len());
        got.extend(ids(features));
        let Some(next) = page["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
        else {
            break;
        };
        let href = next["href"].as_str().unwrap();
        assert!(href.contains(&format!("filter={}", enc(filter))), "{href}");
        assert!(href.contains(&format!("crs={}", enc(EPSG_27700))), "{href}");
        path = href.strip_prefix(&server.base).unwrap().to_string();
    }
    assert_eq!(got, want);

    // The queryables as query parameters: equality.
    let sale = ws.iter().find(|w| w.name == "Sale Moor").unwrap();
    let got = ids(&wards(&server, "&name=Sale%20Moor", CRS84));
    assert_eq!(got, vec![sale.id.clone()]);
    let got = ids(&wards(
        &server,
        &format!("&area_m2={}&role=community", sale.area),
        CRS84,
    ));
    assert!(got.contains(&sale.id));
    assert!(ids(&wards(&server, "&role=neighbourhood", CRS84)).is_empty());
    assert_problem(
        &server,
        "/collections/wards/items?area_m2=big",
        &["area_m2", "number"],
    );

    // A bad filter is a 400 naming the position and what was expected.
    for (filter, position, says) in [
        ("name = ", 8, "expected a property name or a value"),
        ("name == 'Sale'", 7, "expected a property name or a value"),
        ("nom = 'Sale'", 1, "not a queryable"),
        ("area_m2 = 'big'", 11, "expected a number"),
        ("name LIKE 'Sale", 11, "not closed"),
        ("(name = 'a' OR name = 'b'", 26, "')'"),
        (
            "S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1)))",
            32,
            "at least 4",
        ),
        ("CASEI(name) = 'sale moor'", 1, "not supported"),
    ] {
        let body = assert_problem(
            &server,
            &format!("/collections/wards/items?filter={}", enc(filter)),
            &[&format!("at character {position}:"), says],
        );
        assert_eq!(body["position"], position, "{filter}");
        assert_eq!(body["parameter"], "filter");
    }
    assert_problem(
        &server,
        "/collections/wards/items?filter=TRUE&filter-lang=cql2-json",
        &["filter-lang", "cql2-text"],
    );
    assert_problem(
        &server,
        &format!(
            "/collections/wards/items?filter={}&filter-crs={}",
            enc("S_INTERSECTS(geometry, POINT(-2 53))"),
            enc(EPSG_27700)
        ),
        &["at character 24", "outside the British National Grid"],
    );
}

/// OWSLib 0.35.0 (PyPI; `.ci/run` installs it with pyproj 3.7.2 and names
/// its Python in `FEEDMAP_CI_PYTHON`) reads the wards in EPSG:27700 with a
/// box in EPSG:27700, checks them against pyproj's conversion of the
/// CRS84 answer, reads the queryables and filters with CQL2 text
/// (`tests/python/owslib_ogc.py`); the box's and polygon's wards are the
/// brute-force sets computed here.
#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn owslib_from_pypi_reads_the_grid_and_filters() {
    let Some((_dir, server)) = gm_server("owslib_from_pypi_reads_the_grid_and_filters") else {
        return;
    };
    let all = wards(&server, "", CRS84);
    let checks = json!({
        "bbox_bng": BNG_BOX,
        "bbox_ids": meeting_in_grid(&all, &bng_box()),
        "polygon": TRIANGLE,
        "polygon_ids": all
            .iter()
            .filter(|f| multipolygon(&f["geometry"], |x, y| (x, y)).intersects(&wkt_polygon(TRIANGLE)))
            .map(|f| f["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
    });
    let Some(python) = common::ci_tool(
        "FEEDMAP_CI_PYTHON",
        "owslib_from_pypi_reads_the_grid_and_filters",
        "a Python with OWSLib 0.35.0 and pyproj 3.7.2: pip install OWSLib==0.35.0 pyproj==3.7.2",
    ) else {
        return;
    };
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/owslib_ogc.py");
    let checks = checks.to_string();
    let said = common::run_tool(
        &python,
        &[script.as_os_str(), server.base.as_ref(), checks.as_ref()],
    );
    println!("{said}");
    assert!(said.contains("owslib ok"), "{said}");
}
