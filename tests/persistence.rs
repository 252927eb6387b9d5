//! Planners' work over HTTP on the embedded store: tokens, validation,
//! decisions shaping the plan, feed edits reaching lookups, surviving a
//! restart, and decisions about areas a boundary update removed.

use crate::common;

use crate::common::{call, tokens_file, Server, PLANNER, READER};
use serde_json::{json, Value};
use std::path::Path;

/// Text shaped like SQL injection and other awkward input.
const NASTY: &[&str] = &[
    "'; DROP TABLE decisions; --",
    "Robert'); DELETE FROM audit WHERE ('1'='1",
    "\" OR 1=1 --",
    "<script>alert(1)</script> $1 $$ %s {}",
    "Ynys Môn — «village» 🚓\ttab\nnewline",
];

fn start(region: &Path, data: &Path, tokens: &Path) -> Server {
    Server::start_with(
        region,
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--tokens",
            tokens.to_str().unwrap(),
        ],
    )
}

fn decide(s: &Server, area: &str, decision: &str, note: &str) -> Value {
    let r = call(
        &s.base,
        "POST",
        "/v1/decisions",
        Some(PLANNER),
        Some(&json!({"layer": "communities", "area_id": area, "decision": decision, "note": note})),
        &[],
    );
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.etag(), "\"v1\"");
    r.json
}

fn hood(s: &Server, id: &str, query: &str) -> Value {
    let (status, n) = s.get(&format!("/v1/plan/neighbourhoods/{id}{query}"));
    assert_eq!(status, 200, "{n}");
    n
}

fn suggestion<'a>(n: &'a Value, id: &str) -> Option<&'a Value> {
    n["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
}

fn left_out<'a>(n: &'a Value, id: &str) -> Option<&'a Value> {
    n["not_suggested"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
}

#[test]
fn writes_need_a_planner_token_and_reads_need_none() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = tokens_file(dir.path());
    let s = start(&common::demo_region(), &dir.path().join("data"), &tokens);
    let body = json!({"layer": "communities", "area_id": "DV01-C06", "decision": "accept"});
    let writes: &[(&str, &str)] = &[
        ("POST", "/v1/decisions"),
        ("PATCH", "/v1/decisions/1"),
        ("DELETE", "/v1/decisions/1"),
        ("POST", "/v1/feeds"),
        ("PATCH", "/v1/feeds/DV01-X"),
        ("DELETE", "/v1/feeds/DV01-X"),
        ("PUT", "/v1/plan/params"),
    ];
    for &(method, path) in writes {
        for (token, status) in [
            (None, 401),
            (Some("not-a-token-at-all-really"), 401),
            (Some(READER), 403),
        ] {
            let r = call(
                &s.base,
                method,
                path,
                token,
                Some(&body),
                &[("If-Match", "*")],
            );
            assert_eq!(
                r.status, status,
                "{method} {path} with {token:?}: {}",
                r.json
            );
            assert!(r.json["detail"].is_string(), "a problem body: {}", r.json);
            if status == 401 {
                assert_eq!(r.headers["www-authenticate"], "Bearer realm=\"feedmap\"");
            }
            assert!(!r.json.to_string().contains(READER), "a token leaked");
        }
    }
    // Nothing was written; reads answer without a token.
    for path in ["/v1/decisions", "/v1/audit", "/v1/feeds", "/v1/plan/params"] {
        let r = call(&s.base, "GET", path, None, None, &[]);
        assert_eq!(r.status, 200, "{path}");
    }
    assert_eq!(s.get("/v1/audit").1["count"], 0);
    // The OpenAPI document lists every write, each behind the bearer scheme.
    let (_, api) = s.get("/api");
    assert_eq!(
        api["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for &(method, path) in writes {
        let templated = path.replace("/1", "/{id}").replace("/DV01-X", "/{feed_id}");
        let op = &api["paths"][&templated][method.to_lowercase()];
        assert_eq!(
            op["security"][0]["bearer"],
            json!([]),
            "{method} {templated} in /api"
        );
        assert!(op["responses"]["401"].is_object() && op["responses"]["413"].is_object());
    }
    // "Bearer" is case-insensitive; the planner token writes.
    let r = call(
        &s.base,
        "POST",
        "/v1/decisions",
        None,
        Some(&body),
        &[("Authorization", &format!("bearer {PLANNER}"))],
    );
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["created_by"], "planner-a");
    drop(s);
    // A server without a tokens file refuses every write, saying why.
    let s = Server::start(&common::demo_region());
    let r = call(
        &s.base,
        "POST",
        "/v1/decisions",
        Some(PLANNER),
        Some(&body),
        &[],
    );
    assert_eq!(r.status, 401);
    assert!(
        r.json["detail"].as_str().unwrap().contains("--tokens"),
        "{}",
        r.json
    );
}

#[test]
fn bad_bodies_and_headers_get_clear_problems() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = tokens_file(dir.path());
    let s = start(&common::demo_region(), &dir.path().join("data"), &tokens);
    let post = |body: Value| {
        call(
            &s.base,
            "POST",
            "/v1/decisions",
            Some(PLANNER),
            Some(&body),
            &[],
        )
    };
    for (body, status, says) in [
        (
            json!({"layer": "communities", "decision": "accept"}),
            400,
            "exactly one of area_id and cluster_id",
        ),
        (
            json!({"layer": "communities", "area_id": "DV01-C06"}),
            400,
            "decision: give accept, reject or defer",
        ),
        (
            json!({"layer": "communities", "area_id": "DV01-C06", "decision": "yes"}),
            400,
            "unknown variant `yes`",
        ),
        (
            json!({"layer": "communities", "area_id": "DV01-C06", "decision": "accept", "colour": 1}),
            400,
            "unknown field `colour`",
        ),
        (
            json!({"layer": "communities", "area_id": 7, "decision": "accept"}),
            400,
            "area_id",
        ),
        (
            json!({"layer": "communities", "area_id": "DV99-C01", "decision": "accept"}),
            400,
            "\"DV99-C01\" is not in layer",
        ),
        (
            json!({"layer": "neighbourhoods", "area_id": "DV01", "decision": "accept"}),
            400,
            "decisions are about community layers",
        ),
        (
            json!({"layer": "rivers", "area_id": "DV01", "decision": "accept"}),
            400,
            "not in the region",
        ),
        (
            json!({"layer": "communities", "area_id": "DV01-C06", "decision": "accept", "params": "min_population=-4"}),
            400,
            "min_population",
        ),
        (
            json!({"layer": "communities", "area_id": "DV01-C06", "decision": "accept", "note": "a\u{0}b"}),
            400,
            "NUL",
        ),
        (
            json!({"layer": "communities", "area_id": "DV01-C06", "decision": "accept", "note": "n".repeat(10_001)}),
            400,
            "at most 10000",
        ),
    ] {
        let r = post(body.clone());
        assert_eq!(r.status, status, "{body}: {}", r.json);
        let detail = r.json["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{body}: {detail}");
    }
    // Not JSON, or not labelled JSON.
    let client = reqwest::blocking::Client::new();
    let r = client
        .post(format!("{}/v1/decisions", s.base))
        .bearer_auth(PLANNER)
        .header("content-type", "application/json")
        .body("{\"layer\": ")
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = client
        .post(format!("{}/v1/decisions", s.base))
        .bearer_auth(PLANNER)
        .body("layer=communities")
        .send()
        .unwrap();
    assert_eq!(r.status(), 415);
    // Oversized bodies on every write route → 413 (default limit 64 KiB).
    let big = json!({"layer": "communities", "area_id": "DV01-C06", "decision": "accept", "note": "x".repeat(100_000)});
    for (method, path) in [
        ("POST", "/v1/decisions"),
        ("PATCH", "/v1/decisions/1"),
        ("POST", "/v1/feeds"),
        ("PATCH", "/v1/feeds/DV01-X"),
        ("PUT", "/v1/plan/params"),
    ] {
        let r = call(
            &s.base,
            method,
            path,
            Some(PLANNER),
            Some(&big),
            &[("If-Match", "*")],
        );
        assert_eq!(r.status, 413, "{method} {path}: {}", r.json);
        assert_eq!(r.json["status"], 413);
    }
    // If-Match: required to change, must be an ETag this server gives.
    let d = decide(&s, "DV01-C06", "defer", "");
    let path = format!("/v1/decisions/{}", d["id"]);
    let patch = json!({"note": "later"});
    let r = call(&s.base, "PATCH", &path, Some(PLANNER), Some(&patch), &[]);
    assert_eq!(r.status, 428);
    let r = call(
        &s.base,
        "PATCH",
        &path,
        Some(PLANNER),
        Some(&patch),
        &[("If-Match", "v1")],
    );
    assert_eq!(r.status, 400);
    let r = call(
        &s.base,
        "DELETE",
        "/v1/decisions/abc",
        Some(PLANNER),
        None,
        &[("If-Match", "*")],
    );
    assert_eq!(r.status, 404);
    // Only the one valid decision was written.
    assert_eq!(s.get("/v1/audit").1["count"], 1);
}

#[test]
fn injection_shaped_text_is_stored_verbatim_and_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = tokens_file(dir.path());
    let s = start(&common::demo_region(), &dir.path().join("data"), &tokens);
    let areas = ["DV01-C02", "DV01-C03", "DV02-C09", "DV02-C12", "DV02-C13"];
    for (text, area) in NASTY.iter().zip(areas) {
        let d = decide(&s, area, "defer", text);
        assert_eq!(d["note"], *text);
        let r = call(
            &s.base,
            "POST",
            "/v1/feeds",
            Some(PLANNER),
            Some(&json!({
                "feed_id": format!("{text}-{area}"),
                "platform": "nextdoor",
                "handle": text,
                "url": format!("https://nextdoor.example/{}", area),
                "layer": "communities",
                "area_id": area,
                "name": text,
            })),
            &[],
        );
        assert_eq!(r.status, 201, "{}", r.json);
        assert_eq!(
            (r.json["handle"].as_str(), r.json["name"].as_str()),
            (Some(*text), Some(*text))
        );
        // The platform must be a lowercase word: refused, nothing written.
        let r = call(
            &s.base,
            "POST",
            "/v1/feeds",
            Some(PLANNER),
            Some(
                &json!({"feed_id": "p", "platform": text, "handle": "h", "url": "https://e.example/"}),
            ),
            &[],
        );
        assert_eq!(r.status, 400, "{}", r.json);
        let r = call(
            &s.base,
            "PUT",
            "/v1/plan/params",
            Some(PLANNER),
            Some(&json!({"query": text})),
            &[("If-Match", "*")],
        );
        assert_eq!(r.status, 400, "plan parameters are checked: {}", r.json);
    }
    // Everything came back byte for byte, through the lists too.
    let (_, list) = s.get("/v1/decisions");
    let notes: Vec<&str> = list["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["note"].as_str().unwrap())
        .collect();
    assert_eq!(notes, NASTY);
    let (_, feeds) = s.get("/v1/feeds");
    for text in NASTY {
        let f = feeds["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["handle"] == *text)
            .unwrap();
        assert_eq!(f["name"], *text);
        let id = f["feed_id"].as_str().unwrap();
        let encoded: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
        let (status, one) = s.get(&format!("/v1/feeds/{}", encoded.replace('+', "%20")));
        assert_eq!((status, one["feed_id"].as_str()), (200, Some(id)));
    }
    // The plan reports the notes verbatim too.
    let n = hood(&s, "DV01", "");
    assert_eq!(
        suggestion(&n, "DV01-C02").unwrap()["decision"]["note"],
        NASTY[0]
    );
    assert_eq!(s.get("/v1/audit").1["count"], 10);
}

#[test]
fn decisions_shape_the_plan_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = tokens_file(dir.path());
    let data = dir.path().join("data");
    let region = common::demo_region();
    let s = start(&region, &data, &tokens);
    let (_, before) = s.get("/v1/plan");
    // Reject Little Wexcombe: not suggested, saying who and why.
    let rejected = decide(
        &s,
        "DV01-C06",
        "reject",
        "the parish council runs its own page",
    );
    let n = hood(&s, "DV01", "");
    assert!(suggestion(&n, "DV01-C06").is_none());
    let why = left_out(&n, "DV01-C06").unwrap()["why"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        why.starts_with("rejected by planner-a on ") && why.contains("parish council"),
        "{why}"
    );
    // Accept St Aldric's, which scores below min_score, and a cluster the
    // plan does not make: both chosen, even with no budget left.
    let accepted = decide(&s, "DV02-C10", "accept", "");
    let r = call(
        &s.base,
        "POST",
        "/v1/decisions",
        Some(PLANNER),
        Some(
            &json!({"layer": "communities", "cluster_id": "DV03-C15+DV03-C16", "decision": "accept"}),
        ),
        &[],
    );
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["members"], json!(["DV03-C15", "DV03-C16"]));
    assert_eq!(r.json["area_name"], "Mereside and Eastmere Quay");
    let n2 = hood(&s, "DV02", "?max_new_feeds=0");
    let aldric = suggestion(&n2, "DV02-C10").expect("accepted St Aldric's is suggested");
    assert_eq!(
        (
            aldric["chosen"].as_bool(),
            aldric["decision"]["decision"].as_str()
        ),
        (Some(true), Some("accept"))
    );
    assert!(
        aldric["reason"].as_str().unwrap().ends_with(&format!(
            "Accepted by planner-a on {}.",
            &accepted["updated_at"].as_str().unwrap()[..10]
        )),
        "{}",
        aldric["reason"]
    );
    assert!(
        suggestion(&n2, "DV02-C13").is_some_and(|s| s["chosen"] == false),
        "the budget of 0 holds for the rest"
    );
    let n3 = hood(&s, "DV03", "");
    let cluster = suggestion(&n3, "DV03-C15+DV03-C16").expect("the accepted cluster");
    assert_eq!(
        (cluster["kind"].as_str(), cluster["chosen"].as_bool()),
        (Some("cluster"), Some(true))
    );
    let (_, after) = s.get("/v1/plan");
    assert_eq!(after["decisions"]["applied"], 3);
    assert_eq!(after["decisions"]["vanished"], json!([]));
    let served = |p: &Value| {
        p["summary"]["coverage"]["after"]["community"]
            .as_f64()
            .unwrap()
    };
    assert_ne!(
        served(&before),
        served(&after),
        "accepted feeds count as served"
    );
    // Defer is marked, not chosen differently.
    decide(
        &s,
        "DV01-C07",
        "defer",
        "ask the estate's residents' association",
    );
    // Restart on the same data directory: everything is still there, and
    // the plan is the same as before the restart.
    let (_, before_restart) = s.get("/v1/plan");
    drop(s);
    let s = start(&region, &data, &tokens);
    let (_, list) = s.get("/v1/decisions");
    assert_eq!(list["count"], 4);
    let (_, again) = s.get("/v1/plan");
    assert_eq!(again, before_restart);
    let n = hood(&s, "DV01", "");
    assert!(left_out(&n, "DV01-C06").is_some());
    assert_eq!(
        suggestion(&n, "DV01-C07").unwrap()["decision"]["decision"],
        "defer"
    );
    // The command line plans with the same decisions from the data directory.
    drop(s);
    let out = common::feedmap_ok(&[
        "plan".as_ref(),
        "--region".as_ref(),
        region.as_os_str(),
        "--data-dir".as_ref(),
        data.as_os_str(),
    ]);
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cli["neighbourhoods"], again["neighbourhoods"]);
    assert_eq!(cli["decisions"]["applied"], 4);
    let s = start(&region, &data, &tokens);
    // Withdrawing the rejection suggests Little Wexcombe again.
    let path = format!("/v1/decisions/{}", rejected["id"]);
    let r = call(
        &s.base,
        "DELETE",
        &path,
        Some(PLANNER),
        None,
        &[("If-Match", "\"v1\"")],
    );
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["withdrawn"]["id"], rejected["id"]);
    let n = hood(&s, "DV01", "");
    assert!(suggestion(&n, "DV01-C06").is_some_and(|s| s["decision"].is_null()));
    assert_eq!(call(&s.base, "GET", &path, None, None, &[]).status, 404);
    // The audit log has every change, in order, with who and what.
    let (_, audit) = s.get("/v1/audit");
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "decision.create",
            "decision.create",
            "decision.create",
            "decision.create",
            "decision.delete"
        ]
    );
    assert_eq!(
        audit["entries"][4]["before"]["note"],
        "the parish council runs its own page"
    );
    assert!(audit["entries"][4]["after"].is_null());
}

#[test]
fn feed_edits_reach_lookups_and_conflicts_get_412() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = tokens_file(dir.path());
    let s = start(&common::demo_region(), &dir.path().join("data"), &tokens);
    let lookup = |pc: &str| s.get(&format!("/v1/feeds/lookup?postcode={pc}")).1;
    let handles = |a: &Value| -> Vec<String> {
        a["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["handle"].as_str().unwrap().to_string())
            .collect()
    };
    let before = lookup("DV1 1AA");
    assert_eq!(handles(&before)[0], "@MarlowMarketPolice");
    let community = before["community"]["id"].as_str().unwrap().to_string();
    // A new active feed for the same community comes back from lookups at once.
    let r = call(
        &s.base,
        "POST",
        "/v1/feeds",
        Some(PLANNER),
        Some(
            &json!({"feed_id": "MM-ND", "platform": "nextdoor", "handle": "MarlowMarketND", "url": "https://nextdoor.example/mm", "layer": "communities", "area_id": community, "status": "active"}),
        ),
        &[],
    );
    assert_eq!((r.status, r.etag().as_str()), (201, "\"v1\""), "{}", r.json);
    assert_eq!(r.headers["location"], "/v1/feeds/MM-ND");
    assert!(handles(&lookup("DV1 1AA")).contains(&"MarlowMarketND".to_string()));
    // Taken ids: in the store or in the feed file.
    for id in ["MM-ND", "DV01-X"] {
        let r = call(
            &s.base,
            "POST",
            "/v1/feeds",
            Some(PLANNER),
            Some(
                &json!({"feed_id": id, "platform": "x", "handle": "h", "url": "https://e.example/"}),
            ),
            &[],
        );
        assert_eq!(r.status, 409, "{id}: {}", r.json);
    }
    // Edit a feed from the file: ETag "v0" until its first edit.
    let f = call(&s.base, "GET", "/v1/feeds/DV01-X", None, None, &[]);
    assert_eq!(f.etag(), "\"v0\"");
    let edit = json!({"handle": "@MarlowFenPolice"});
    let r = call(
        &s.base,
        "PATCH",
        "/v1/feeds/DV01-X",
        Some(PLANNER),
        Some(&edit),
        &[("If-Match", "\"v0\"")],
    );
    assert_eq!(
        (
            r.status,
            r.json["version"].as_i64(),
            r.json["source"].as_str()
        ),
        (200, Some(1), Some("store")),
        "{}",
        r.json
    );
    // A second planner still holding "v0" is refused, with the current ETag.
    let r = call(
        &s.base,
        "PATCH",
        "/v1/feeds/DV01-X",
        Some(common::PLANNER_B),
        Some(&json!({"handle": "@Other"})),
        &[("If-Match", "\"v0\"")],
    );
    assert_eq!((r.status, r.etag().as_str()), (412, "\"v1\""), "{}", r.json);
    assert!(handles(&lookup("DV1 1AA")).contains(&"@MarlowFenPolice".to_string()));
    // Bad edits are refused field by field.
    let r = call(
        &s.base,
        "PATCH",
        "/v1/feeds/DV01-X",
        Some(PLANNER),
        Some(&json!({"url": "ftp://x", "area_id": "nowhere"})),
        &[("If-Match", "*")],
    );
    assert_eq!(r.status, 400);
    let detail = r.json["detail"].as_str().unwrap();
    assert!(
        detail.contains("url: ") && detail.contains("area_id: "),
        "{detail}"
    );
    // Retiring stops lookups returning it; it stays listed.
    let r = call(
        &s.base,
        "DELETE",
        "/v1/feeds/MM-ND",
        Some(PLANNER),
        None,
        &[("If-Match", "\"v1\"")],
    );
    assert_eq!(
        (r.status, r.json["status"].as_str()),
        (200, Some("retired"))
    );
    assert!(!handles(&lookup("DV1 1AA")).contains(&"MarlowMarketND".to_string()));
    let (_, list) = s.get("/v1/feeds");
    assert!(list["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["feed_id"] == "MM-ND" && f["status"] == "retired"));
    let r = call(
        &s.base,
        "PATCH",
        "/v1/feeds/nope",
        Some(PLANNER),
        Some(&edit),
        &[("If-Match", "*")],
    );
    assert_eq!(r.status, 404);
    let (_, audit) = s.get("/v1/audit");
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["feed.create", "feed.update", "feed.retire"]);
    assert_eq!(audit["entries"][1]["before"]["handle"], "@DVP_MarlowFen");
    // A key that is not a feed field is refused by name, in either body,
    // before anything else is asked of the request (here: no If-Match).
    for (method, path, body) in [
        (
            "POST",
            "/v1/feeds",
            json!({"feed_id": "MM-2", "platform": "x", "handle": "h", "url": "https://e.example/", "handel": "@typo"}),
        ),
        ("PATCH", "/v1/feeds/DV01-X", json!({"handel": "@typo"})),
    ] {
        let r = call(&s.base, method, path, Some(PLANNER), Some(&body), &[]);
        let detail = r.json["detail"].as_str().unwrap_or_default();
        assert_eq!(r.status, 400, "{method} {path}: {}", r.json);
        assert!(
            detail.contains("handel") && detail.contains("not a feed field"),
            "{detail}"
        );
    }
    // A status that is not one is refused, naming the three.
    let r = call(
        &s.base,
        "PATCH",
        "/v1/feeds/DV01-X",
        Some(PLANNER),
        Some(&json!({"status": "live"})),
        &[("If-Match", "*")],
    );
    let detail = r.json["detail"].as_str().unwrap_or_default();
    assert_eq!(r.status, 400, "{}", r.json);
    assert!(
        ["live", "active", "planned", "retired"]
            .iter()
            .all(|w| detail.contains(w)),
        "{detail}"
    );
    // A merge patch: null for the layer and the area makes it force-wide,
    // and the fields not sent keep their values.
    let r = call(
        &s.base,
        "PATCH",
        "/v1/feeds/DV01-X",
        Some(PLANNER),
        Some(&json!({"layer": null, "area_id": null})),
        &[("If-Match", "\"v1\"")],
    );
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        (&r.json["layer"], &r.json["area_id"], &r.json["handle"]),
        (&Value::Null, &Value::Null, &json!("@MarlowFenPolice"))
    );
}

#[test]
fn saved_parameters_are_where_plans_start() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = tokens_file(dir.path());
    let s = start(&common::demo_region(), &dir.path().join("data"), &tokens);
    let r = call(&s.base, "GET", "/v1/plan/params", None, None, &[]);
    assert_eq!(
        (r.etag().as_str(), r.json["query"].as_str()),
        ("\"v0\"", Some(""))
    );
    let (_, unsaved) = s.get("/v1/plan");
    let (_, explicit) = s.get("/v1/plan?max_new_feeds=2");
    assert_ne!(unsaved["summary"], explicit["summary"]);
    let put = |q: &str, m: &str| {
        call(
            &s.base,
            "PUT",
            "/v1/plan/params",
            Some(PLANNER),
            Some(&json!({"query": q})),
            &[("If-Match", m)],
        )
    };
    let r = put("max_new_feeds=2", "\"v0\"");
    assert_eq!((r.status, r.etag().as_str()), (200, "\"v1\""), "{}", r.json);
    assert_eq!(put("max_new_feeds=3", "\"v0\"").status, 412);
    let (_, p) = s.get("/v1/plan");
    assert_eq!(p["params"]["max_new_feeds"], 2);
    assert_eq!(p["summary"], explicit["summary"]);
    // The request's own parameters override the saved ones.
    let (_, p) = s.get("/v1/plan?max_new_feeds=1000");
    assert_eq!(p["summary"], unsaved["summary"]);
}

/// Copies the demo region into `dir`, leaving out community `drop`.
fn demo_without(dir: &Path, drop: Option<&str>) {
    let demo = common::demo_region();
    for f in std::fs::read_dir(&demo).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dir.join(f.file_name().unwrap())).unwrap();
    }
    if let Some(id) = drop {
        let path = dir.join("communities.geojson");
        let mut g: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let features = g["features"].as_array_mut().unwrap();
        let n = features.len();
        features.retain(|f| {
            f["properties"]
                .as_object()
                .unwrap()
                .values()
                .all(|v| v != id)
        });
        assert_eq!(features.len(), n - 1, "{id} was in the demo");
        std::fs::write(&path, g.to_string()).unwrap();
    }
}

#[cfg(unix)]
#[test]
fn decisions_about_areas_a_boundary_update_removed_are_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = tokens_file(dir.path());
    let region = dir.path().join("region");
    std::fs::create_dir(&region).unwrap();
    demo_without(&region, None);
    let s = start(&region, &dir.path().join("data"), &tokens);
    let d = decide(&s, "DV02-C12", "accept", "Northgate gets its own feed");
    assert_eq!(d["vanished"], false);
    let r = call(
        &s.base,
        "POST",
        "/v1/feeds",
        Some(PLANNER),
        Some(
            &json!({"feed_id": "NG-X", "platform": "x", "handle": "@Northgate", "url": "https://x.example/ng", "layer": "communities", "area_id": "DV02-C12", "status": "active"}),
        ),
        &[],
    );
    assert_eq!(r.status, 201, "{}", r.json);
    assert!(r.json.get("problem").is_none());
    // The boundary update drops Northgate; the server reloads on SIGHUP.
    demo_without(&region, Some("DV02-C12"));
    let status = std::process::Command::new("kill")
        .args(["-HUP", &s.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, h) = s.get("/health");
        if h["load"]["last_reload_at"].is_number() {
            assert!(h["load"]["last_reload_error"].is_null(), "{h}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no reload");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (_, list) = s.get("/v1/decisions");
    assert_eq!(list["vanished"], 1);
    let v = &list["decisions"][0];
    assert_eq!(
        (v["vanished"].as_bool(), v["area_id"].as_str()),
        (Some(true), Some("DV02-C12"))
    );
    assert!(
        v["problem"]
            .as_str()
            .unwrap()
            .contains("\"DV02-C12\" is not in layer"),
        "{v}"
    );
    let (_, summary) = s.get("/v1/plan/summary");
    let vanished = &summary["decisions"]["vanished"];
    assert_eq!(vanished[0]["area_id"], "DV02-C12");
    assert_eq!(
        vanished[0]["decision"]["note"],
        "Northgate gets its own feed"
    );
    // A stored feed for the vanished area stays listed, saying why it is
    // out of use.
    let (_, f) = s.get("/v1/feeds/NG-X");
    assert!(
        f["problem"]
            .as_str()
            .unwrap()
            .contains("\"DV02-C12\" is not in layer"),
        "{f}"
    );
    // It is still there to be withdrawn.
    let path = format!("/v1/decisions/{}", d["id"]);
    let r = call(
        &s.base,
        "DELETE",
        &path,
        Some(PLANNER),
        None,
        &[("If-Match", "*")],
    );
    assert_eq!(r.status, 200);
}
