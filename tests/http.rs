//! End-to-end: the real `feedmap serve` binary over real HTTP.

use crate::common;

use crate::common::Server;
use serde_json::Value;

fn assert_problem(server: &Server, path: &str, status: u16, detail_has: &str) {
    let (code, ct, body) = server.get_with_type(path);
    assert_eq!(code, status, "{path}: {body}");
    assert_eq!(ct, "application/problem+json", "{path}");
    for key in ["type", "title", "detail"] {
        assert!(
            body[key].is_string(),
            "{path}: problem body lacks {key}: {body}"
        );
    }
    assert_eq!(body["status"], status);
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains(detail_has),
        "{path}: detail {detail:?} lacks {detail_has:?}"
    );
}

#[test]
fn demo_lookup_ogc_and_errors() {
    let server = Server::start(&common::demo_region());

    // Lookup inside the detached village of Marlow Fen.
    let (code, body) = server.get("/v1/lookup?lat=54.76&lon=2.01");
    assert_eq!(code, 200);
    assert_eq!(body["areas"]["neighbourhoods"][0]["name"], "Marlow Fen");
    assert_eq!(body["areas"]["communities"][0]["name"], "Little Wexcombe");
    assert_eq!(body["areas"]["communities"][0]["role"], "community");
    assert!(body["attribution"].as_str().unwrap().contains("Fictional"));

    // Open countryside of Marlow Fen: a neighbourhood but no community, so
    // the nearest community and its distance come back.
    let (_, body) = server.get("/v1/lookup?lat=54.7655&lon=2.035");
    assert_eq!(body["areas"]["neighbourhoods"][0]["id"], "DV01");
    assert_eq!(body["areas"]["communities"], Value::Array(vec![]));
    let near = &body["nearest"]["communities"];
    assert!(near["distance_m"].as_f64().unwrap() > 0.0, "{body}");
    assert!(near["id"].is_string());

    // Far out at sea: nothing contains it; nearest neighbourhood is given.
    let (_, body) = server.get("/v1/lookup?lat=54.0&lon=2.0");
    assert_eq!(body["areas"]["neighbourhoods"], Value::Array(vec![]));
    assert!(
        body["nearest"]["neighbourhoods"]["distance_m"]
            .as_f64()
            .unwrap()
            > 80_000.0
    );

    // OGC API – Features.
    let (code, landing) = server.get("/");
    assert_eq!(code, 200);
    let rels: Vec<&str> = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    for rel in ["self", "service-desc", "conformance", "data"] {
        assert!(rels.contains(&rel), "landing lacks {rel}");
    }
    let (_, conf) = server.get("/conformance");
    let classes = conf["conformsTo"].to_string();
    assert!(classes.contains("conf/core") && classes.contains("conf/geojson"));
    let (_, api) = server.get("/api");
    assert_eq!(api["openapi"], "3.0.3");
    let (_, cols) = server.get("/collections");
    let cols = cols["collections"].as_array().unwrap();
    assert_eq!(cols.len(), 2);
    assert_eq!(cols[1]["id"], "communities");
    assert_eq!(cols[1]["role"], "community");
    assert_eq!(cols[1]["featureCount"], 37);
    assert_eq!(
        cols[1]["extent"]["spatial"]["bbox"][0]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert!(cols[1]["attribution"].is_string());

    let (code, ct, page) =
        server.get_with_type("/collections/communities/items?limit=10&offset=30");
    assert_eq!(code, 200);
    assert_eq!(ct, "application/geo+json");
    assert_eq!(page["numberMatched"], 37);
    assert_eq!(page["numberReturned"], 7);
    let rels: Vec<&str> = page["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert!(!rels.contains(&"next") && rels.contains(&"prev"));
    let (_, first) = server.get("/collections/communities/items?limit=10");
    let next = first["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .unwrap();
    assert!(next["href"].as_str().unwrap().contains("offset=10"));
    assert_eq!(first["features"][0]["geometry"]["type"], "MultiPolygon");

    // bbox keeps only intersecting areas: a small box in Little Wexcombe.
    let (_, boxed) = server.get("/collections/communities/items?bbox=2.005,54.755,2.012,54.758");
    assert_eq!(boxed["numberMatched"], 1);
    assert_eq!(
        boxed["features"][0]["properties"]["name"],
        "Little Wexcombe"
    );

    // One item with its parent neighbourhood and containment share.
    let (code, item) = server.get("/collections/communities/items/DV01-C06");
    assert_eq!(code, 200);
    let parent = &item["properties"]["parents"][0];
    assert_eq!(parent["id"], "DV01");
    assert!(parent["share_of_child"].as_f64().unwrap() > 0.99);
    let (_, hood) = server.get("/collections/neighbourhoods/items/DV01");
    assert_eq!(hood["properties"]["children"].as_array().unwrap().len(), 7);

    let (_, health) = server.get("/health");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["areas"], 45);

    // Every bad request is a 4xx JSON problem naming the parameter.
    assert_problem(&server, "/v1/lookup", 400, "lat is required");
    assert_problem(&server, "/v1/lookup?lat=54.7", 400, "lon is required");
    assert_problem(&server, "/v1/lookup?lat=abc&lon=2", 400, "not a number");
    assert_problem(&server, "/v1/lookup?lat=NaN&lon=2", 400, "not a number");
    assert_problem(&server, "/v1/lookup?lat=91&lon=2", 400, "-90..90");
    assert_problem(&server, "/v1/lookup?lat=-90.5&lon=2", 400, "-90..90");
    assert_problem(&server, "/v1/lookup?lat=54&lon=181", 400, "-180..180");
    assert_problem(
        &server,
        "/v1/lookup?lat=54&lon=2&lat=55",
        400,
        "more than once",
    );
    assert_problem(
        &server,
        "/v1/lookup?lat=54&lon=2&radius=3",
        400,
        "unknown parameter",
    );
    assert_problem(&server, "/collections/nope", 404, "no layer");
    assert_problem(&server, "/collections/nope/items", 404, "no layer");
    assert_problem(
        &server,
        "/collections/communities/items/NOPE",
        404,
        "no area",
    );
    assert_problem(
        &server,
        "/collections/communities/items?bbox=1,2,3",
        400,
        "bbox",
    );
    assert_problem(
        &server,
        "/collections/communities/items?bbox=a,b,c,d",
        400,
        "bbox",
    );
    assert_problem(
        &server,
        "/collections/communities/items?bbox=3,54,2,55",
        400,
        "min > max",
    );
    assert_problem(
        &server,
        "/collections/communities/items?bbox=2,54,200,55",
        400,
        "longitude",
    );
    assert_problem(
        &server,
        "/collections/communities/items?limit=0",
        400,
        "limit",
    );
    assert_problem(
        &server,
        "/collections/communities/items?limit=-5",
        400,
        "limit",
    );
    assert_problem(
        &server,
        "/collections/communities/items?offset=x",
        400,
        "offset",
    );
    assert_problem(&server, "/collections/communities/items?f=xml", 400, "f=");
    assert_problem(&server, "/no/such/path", 404, "no such resource");
    let resp = reqwest::blocking::Client::new()
        .post(format!("{}/v1/lookup", server.base))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);

    // A limit above the maximum is clamped, not refused (OGC requirement).
    let (code, _) = server.get("/collections/communities/items?limit=99999999");
    assert_eq!(code, 200);
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn gm_region_over_http() {
    let Some(data) = common::gm_data("gm_region_over_http") else {
        return;
    };
    let dir = common::region_dir(&common::gm_manifest(&data));
    let server = Server::start(dir.path());
    // M15 4AB: Gorse Hill & Cornbrook ward, Trafford 001H, North locality.
    let (code, body) = server.get("/v1/lookup?lat=53.465578&lon=-2.26046");
    assert_eq!(code, 200);
    assert_eq!(body["areas"]["wards"][0]["id"], "E05015247");
    assert_eq!(body["areas"]["lsoas"][0]["id"], "E01034001");
    assert_eq!(body["areas"]["localities"][0]["id"], "North");
    // Manchester city centre: a GM ward, but outside every Trafford locality.
    let (_, body) = server.get("/v1/lookup?lat=53.4794&lon=-2.2453");
    assert_eq!(body["areas"]["localities"], Value::Array(vec![]));
    assert!(
        body["nearest"]["localities"]["distance_m"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let (_, cols) = server.get("/collections");
    let counts: Vec<(String, u64)> = cols["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["featureCount"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        vec![
            ("localities".into(), 4),
            ("wards".into(), 215),
            ("msoas".into(), 353),
            ("lsoas".into(), 1702)
        ]
    );
    // Paging through all LSOAs returns each exactly once.
    let mut seen = std::collections::HashSet::new();
    let mut path = "/collections/lsoas/items?limit=500".to_string();
    loop {
        let (_, page) = server.get(&path);
        for f in page["features"].as_array().unwrap() {
            assert!(seen.insert(f["id"].as_str().unwrap().to_string()));
        }
        match page["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
        {
            Some(next) => {
                path = next["href"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches(&server.base)
                    .to_string()
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 1702);
    // A Trafford ward's parents are the localities holding it.
    let (_, ward) = server.get("/collections/wards/items/E05015247");
    assert_eq!(ward["properties"]["parents"][0]["id"], "North");
}

/// A failed reload keeps the previous region serving; a good one swaps in.
#[cfg(unix)]
#[test]
fn failed_reload_keeps_serving_the_previous_region() {
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(common::demo_region()).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dir.path().join(f.file_name().unwrap())).unwrap();
    }
    let server = Server::start(dir.path());
    let hup = || {
        // The shell's builtin kill: no dependence on a kill binary.
        let ok = std::process::Command::new("sh")
            .args(["-c", &format!("kill -HUP {}", server.child.id())])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    };
    let wait_for_reload = |previous: Option<&Value>| -> Value {
        for _ in 0..200 {
            let (_, h) = server.get("/health");
            if h["load"]["last_reload_at"] != Value::Null
                && Some(&h["load"]["last_reload_at"]) != previous
            {
                return h;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("no reload happened");
    };
    // Break a boundary file: the reload fails and the demo keeps serving.
    std::fs::write(dir.path().join("communities.geojson"), "{ not json").unwrap();
    hup();
    let health = wait_for_reload(None);
    let err = health["load"]["last_reload_error"].as_str().unwrap();
    assert!(
        err.contains("communities.geojson") && err.contains("unreadable_file"),
        "{err}"
    );
    let (code, body) = server.get("/v1/lookup?lat=54.76&lon=2.01");
    assert_eq!(code, 200);
    assert_eq!(body["areas"]["communities"][0]["name"], "Little Wexcombe");
    // Restore the file with one community fewer; the reload now succeeds.
    let text = std::fs::read_to_string(common::demo_region().join("communities.geojson")).unwrap();
    let mut fc: Value = serde_json::from_str(&text).unwrap();
    fc["features"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f["properties"]["name"] != "Little Wexcombe");
    std::fs::write(dir.path().join("communities.geojson"), fc.to_string()).unwrap();
    // Reload stamps have 1-second resolution: wait so the next one differs.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    hup();
    let stamp = health["load"]["last_reload_at"].clone();
    let health = wait_for_reload(Some(&stamp));
    // The planned feed of the removed village now names a missing area, so
    // the reload is refused whole and the old region still serves.
    let err = health["load"]["last_reload_error"].as_str().unwrap();
    assert!(
        err.contains("unknown_area") && err.contains("DV01-C06-X"),
        "{err}"
    );
    assert_eq!(health["areas"], 45);
    let feeds = std::fs::read_to_string(dir.path().join("feeds.csv")).unwrap();
    let feeds: String = feeds
        .lines()
        .filter(|l| !l.starts_with("DV01-C06-X"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.path().join("feeds.csv"), feeds).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    hup();
    let stamp = health["load"]["last_reload_at"].clone();
    let health = wait_for_reload(Some(&stamp));
    assert_eq!(health["load"]["last_reload_error"], Value::Null);
    assert_eq!(health["areas"], 44);
    let (_, body) = server.get("/v1/lookup?lat=54.76&lon=2.01");
    assert_eq!(body["areas"]["communities"], Value::Array(vec![]));
}

/// Query strings are read as the form decoder reads them, through the
/// server crate's public `Params` (tested here rather than inside the
/// crate, so `cargo test` builds that crate once).
mod query_strings {
    use feedmap::api::Params;
    use proptest::prelude::*;
    use std::borrow::Cow;

    fn decoded(q: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn reads_queries_as_the_form_decoder_does() {
        for q in [
            "",
            "&",
            "lat=53.4&lon=-2.3",
            "a&&b=&=c&d==e",
            "q=Sale+Moor&postcode=M33%207ZF",
            "q=%E2%9C%93&bad=%zz&cut=%4",
            "q=caf\u{e9}&x=%FF",
        ] {
            assert_eq!(Params::parse(Some(q)).owned(), decoded(q), "{q:?}");
        }
        assert!(Params::parse(None).0.is_empty());
        // Unescaped pairs are borrowed, not copied.
        let p = Params::parse(Some("lat=53.4&lon=-2.3"));
        assert!(p
            .0
            .iter()
            .all(|(k, v)| matches!((k, v), (Cow::Borrowed(_), Cow::Borrowed(_)))));
    }

    proptest! {
        #[test]
        fn any_query_reads_as_the_form_decoder_reads_it(
            q in "([a-z0-9=&+%. é✓-]|%[0-9A-Fa-f]{2}){0,40}"
        ) {
            prop_assert_eq!(Params::parse(Some(&q)).owned(), decoded(&q));
        }
    }
}
