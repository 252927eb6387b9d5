//! Who owns each feed (issue "Who owns each feed"): the health rules on the
//! demo and on a Trafford region, handovers over HTTP on SQLite and
//! PostgreSQL, names only with a token, activity imports, public
//! verification and the register, the Guarantee view, and the
//! consolidation plan.

use crate::common;

use crate::common::{call, tokens_file, Server, PLANNER, READER};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;

/// The feed ids each rule fired on.
fn fired(report: &Value, rule: &str) -> BTreeSet<String> {
    report["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["rule"] == rule)
        })
        .map(|f| f["feed_id"].as_str().unwrap().to_string())
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

fn demo_server(extra: &[&str]) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let tokens = tokens_file(dir.path());
    let mut args = vec!["--tokens", tokens.to_str().unwrap()];
    args.extend_from_slice(extra);
    let server = Server::start_with(&common::demo_region(), &args);
    (dir, server)
}

fn today() -> String {
    feedmap::calendar::today()
}

fn days_ago(n: i64) -> String {
    feedmap::calendar::add_days(&today(), -n).unwrap()
}

fn post_csv(base: &str, path: &str, token: Option<&str>, csv: &str) -> (u16, Value) {
    let mut req = reqwest::blocking::Client::new()
        .post(format!("{base}{path}"))
        .header("content-type", "text/csv")
        .body(csv.to_string());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.text().unwrap()).unwrap_or(Value::Null),
    )
}

fn get_text(base: &str, path: &str, token: Option<&str>) -> (u16, String) {
    let mut req = reqwest::blocking::Client::new().get(format!("{base}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

#[test]
fn every_health_rule_on_the_demo_fires_where_it_should() {
    let (_dir, s) = demo_server(&[]);
    let report = call(&s.base, "GET", "/v1/feeds/health", None, None, &[]).json;
    // Each rule, exactly on the feeds the demo built it into.
    assert_eq!(
        fired(&report, "dormant"),
        set(&["DV02-C08-X", "DV08-X", "DV08-FB"])
    );
    assert_eq!(fired(&report, "few_administrators"), set(&["DV06-X"]));
    assert_eq!(fired(&report, "unverified"), set(&["DV03-C14-FB"]));
    assert_eq!(fired(&report, "no_team"), set(&["DV06-C32-ND"]));
    assert_eq!(
        fired(&report, "duplicate_handle"),
        set(&["DV07-FB", "DV08-FB"])
    );
    assert_eq!(fired(&report, "listing_mismatch"), set(&["DV05-X"]));
    assert_eq!(fired(&report, "area_gone"), set(&[]));
    // The planned feed is judged only by the rules for planned feeds.
    let planned = report["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feed_id"] == "DV01-C06-X")
        .unwrap();
    assert_eq!(planned["findings"], json!([]));
    // Every rule is explained in words, with its settings.
    for r in report["rules"].as_array().unwrap() {
        assert!(r["description"].as_str().unwrap().len() > 40, "{r}");
    }
    let dormant = &report["rules"][0];
    assert!(dormant["description"].as_str().unwrap().contains("30 days"));
    let reason = |feed: &str, rule: &str| -> String {
        report["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["feed_id"] == feed)
            .unwrap()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["rule"] == rule)
            .unwrap()["reason"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(reason("DV08-X", "dormant").contains("95 days"));
    assert!(reason("DV08-FB", "dormant").contains("no activity recorded"));
    assert!(reason("DV05-X", "listing_mismatch").contains("DVP_QuaysideTeam"));

    // Configurable: a longer dormancy window and a skipped rule.
    let relaxed = call(
        &s.base,
        "GET",
        "/v1/feeds/health?dormant_days=100&skip=unverified,no_team",
        None,
        None,
        &[],
    )
    .json;
    assert_eq!(fired(&relaxed, "dormant"), set(&["DV08-FB"]));
    assert!(fired(&relaxed, "unverified").is_empty() && fired(&relaxed, "no_team").is_empty());
    let bad = call(
        &s.base,
        "GET",
        "/v1/feeds/health?skip=nonsense",
        None,
        None,
        &[],
    );
    assert_eq!(bad.status, 400);
    assert!(
        bad.json["detail"].as_str().unwrap().contains("dormant"),
        "{}",
        bad.json
    );

    // Silent once fixed: a second administrator, today's post.
    let owner = call(
        &s.base,
        "GET",
        "/v1/feeds/DV06-X/owner",
        Some(READER),
        None,
        &[],
    );
    assert_eq!(owner.status, 200);
    let mut admins: Vec<Value> = owner.json["owner"]["administrators"]
        .as_array()
        .unwrap()
        .clone();
    admins.push(json!("PCSO Second Person"));
    let put = call(
        &s.base,
        "PUT",
        "/v1/feeds/DV06-X/owner",
        Some(PLANNER),
        Some(
            &json!({ "team": "Saltings Neighbourhood Team", "administrators": admins, "verification": "verified", "verified_on": "2026-10-01" }),
        ),
        &[("If-Match", &owner.etag())],
    );
    assert_eq!(put.status, 200, "{}", put.json);
    let posted = call(
        &s.base,
        "POST",
        "/v1/feeds/DV08-X/activity",
        Some(PLANNER),
        Some(&json!({ "date": today(), "posts": 2, "followers": 3500 })),
        &[],
    );
    assert_eq!(posted.status, 200, "{}", posted.json);
    let after = call(&s.base, "GET", "/v1/feeds/health", None, None, &[]).json;
    assert!(fired(&after, "few_administrators").is_empty());
    assert_eq!(fired(&after, "dormant"), set(&["DV02-C08-X", "DV08-FB"]));

    // Area gone: a communities release without Gullhaven, activated.
    let file = common::demo_region().join("communities.geojson");
    let mut fc: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    fc["features"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f["properties"]["code"] != "DV06-C32");
    let staged = call(
        &s.base,
        "POST",
        "/v1/releases",
        Some(PLANNER),
        Some(
            &json!({ "layer": "communities", "label": "without Gullhaven", "files": [{ "name": "c.geojson", "text": fc.to_string() }] }),
        ),
        &[],
    );
    assert_eq!(staged.status, 201, "{}", staged.json);
    let id = staged.json["release"].as_i64().unwrap();
    let act = call(
        &s.base,
        "POST",
        &format!("/v1/releases/{id}/activate"),
        Some(PLANNER),
        Some(&json!({})),
        &[("If-Match", "*")],
    );
    assert_eq!(act.status, 200, "{}", act.json);
    let gone = call(&s.base, "GET", "/v1/feeds/health", None, None, &[]).json;
    assert_eq!(fired(&gone, "area_gone"), set(&["DV06-C32-ND"]));

    // The CSV: one row per finding, with the rule and its reason.
    let (status, csv) = get_text(&s.base, "/v1/feeds/health?format=csv", None);
    assert_eq!(status, 200);
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("feed_id,platform,handle"));
    assert!(rows
        .iter()
        .any(|r| r.starts_with("DV06-C32-ND,") && r.contains(",area_gone,")));
    let findings: usize = gone["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["findings"].as_array().unwrap().len())
        .sum();
    assert_eq!(rows.len() - 1, findings);
}

#[test]
fn the_guarantee_view_names_what_each_neighbourhood_lacks() {
    let (_dir, s) = demo_server(&[]);
    let g = call(&s.base, "GET", "/v1/guarantee", None, None, &[]).json;
    let rows = g["neighbourhoods"].as_array().unwrap();
    assert_eq!(rows.len(), 8);
    // Nobody has published a contact or a priority yet: none meets it,
    // and each says what it lacks.
    assert_eq!(g["meeting"], 0, "{g}");
    for r in rows {
        let missing = r["missing"].to_string();
        assert!(
            missing.contains("no published contact") && missing.contains("no priorities published"),
            "{r}"
        );
    }
    // Planners publish a reachable contact and a current priority for
    // each: DV08 still lacks an update.
    for r in rows {
        let page = format!(
            "/v1/neighbourhoods/neighbourhoods/{}",
            r["id"].as_str().unwrap()
        );
        common::planner_write(
            &s.base,
            "PUT",
            &format!("{page}/people"),
            &json!({ "people": [{ "name": "PC Sam Ahmed", "contact_details": { "telephone": "101" } }] }),
        );
        common::planner_write(
            &s.base,
            "PUT",
            &format!("{page}/priorities"),
            &json!({ "priorities": [{ "issue": "Speeding", "issue_date": days_ago(10) }] }),
        );
    }
    let g = call(&s.base, "GET", "/v1/guarantee", None, None, &[]).json;
    let rows = g["neighbourhoods"].as_array().unwrap();
    let failing: Vec<&Value> = rows.iter().filter(|r| r["meets"] == false).collect();
    assert_eq!(failing.len(), 1, "{g}");
    assert_eq!(failing[0]["id"], "DV08");
    assert_eq!(failing[0]["active_feed"], true);
    assert_eq!(failing[0]["named_contact"], true);
    assert_eq!(failing[0]["current_priorities"], true);
    assert!(failing[0]["missing"][0]
        .as_str()
        .unwrap()
        .contains("no update since"));
    assert_eq!(g["meeting"], 7);
    // A post today mends it; a window of 30 days breaks others.
    call(
        &s.base,
        "POST",
        "/v1/feeds/DV08-FB/activity",
        Some(PLANNER),
        Some(&json!([{ "date": today(), "posts": 1 }])),
        &[],
    );
    let g = call(&s.base, "GET", "/v1/guarantee", None, None, &[]).json;
    assert_eq!(g["meeting"], 8);
    let bad = call(
        &s.base,
        "GET",
        "/v1/guarantee?update_days=0",
        None,
        None,
        &[],
    );
    assert_eq!(bad.status, 400);
}

/// The whole handover flow over HTTP, each step audited.
fn handover_flow(s: &Server) {
    let base = &s.base;
    let body = json!({ "to_team": "Saltings Response Team", "to_administrators": ["PC Newcomer One", "PCSO Newcomer Two"], "note": "the team is merged" });
    // Writes need a planner.
    assert_eq!(
        call(
            base,
            "POST",
            "/v1/feeds/DV06-X/handovers",
            None,
            Some(&body),
            &[]
        )
        .status,
        401
    );
    assert_eq!(
        call(
            base,
            "POST",
            "/v1/feeds/DV06-X/handovers",
            Some(READER),
            Some(&body),
            &[]
        )
        .status,
        403
    );
    let bad = call(
        base,
        "POST",
        "/v1/feeds/DV06-X/handovers",
        Some(PLANNER),
        Some(&json!({ "to_team": "", "to_administrators": [] })),
        &[],
    );
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.json["problems"].as_array().unwrap().len(),
        2,
        "{}",
        bad.json
    );
    assert_eq!(
        call(
            base,
            "POST",
            "/v1/feeds/NOPE/handovers",
            Some(PLANNER),
            Some(&body),
            &[]
        )
        .status,
        404
    );
    let started = call(
        base,
        "POST",
        "/v1/feeds/DV06-X/handovers",
        Some(PLANNER),
        Some(&body),
        &[],
    );
    assert_eq!(started.status, 201, "{}", started.json);
    let id = started.json["id"].as_i64().unwrap();
    assert_eq!(started.json["from_team"], "Saltings Neighbourhood Team");
    assert_eq!(started.json["remaining"], 4);
    assert_eq!(
        call(
            base,
            "POST",
            "/v1/feeds/DV06-X/handovers",
            Some(PLANNER),
            Some(&body),
            &[]
        )
        .status,
        409
    );
    // Listed open, anonymously without names.
    let open = call(base, "GET", "/v1/handovers?status=open", None, None, &[]).json;
    assert_eq!(open["open"], 1);
    assert_eq!(open["handovers"][0]["feed_id"], "DV06-X");
    assert!(open["handovers"][0].get("to_administrators").is_none());
    let health = call(base, "GET", "/v1/feeds/health", None, None, &[]).json;
    let row = health["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feed_id"] == "DV06-X")
        .unwrap()
        .clone();
    assert_eq!(row["open_handover"], id);
    // Steps, each with If-Match; a stale one is 412, an unknown step 404.
    let mut etag = started.etag();
    let path = |step: &str| format!("/v1/handovers/{id}/steps/{step}");
    assert_eq!(
        call(
            base,
            "PUT",
            &path("credentials_changed"),
            Some(PLANNER),
            None,
            &[]
        )
        .status,
        428
    );
    assert_eq!(
        call(
            base,
            "PUT",
            &path("made_tea"),
            Some(PLANNER),
            None,
            &[("If-Match", "*")]
        )
        .status,
        404
    );
    for (k, step) in [
        "credentials_changed",
        "two_factor_moved",
        "profile_updated",
        "old_administrators_removed",
    ]
    .iter()
    .enumerate()
    {
        let r = call(
            base,
            "PUT",
            &path(step),
            Some(PLANNER),
            None,
            &[("If-Match", &etag)],
        );
        assert_eq!(r.status, 200, "{step}: {}", r.json);
        if k == 0 {
            let stale = call(
                base,
                "PUT",
                &path("two_factor_moved"),
                Some(PLANNER),
                None,
                &[("If-Match", &etag)],
            );
            assert_eq!(stale.status, 412);
        }
        etag = r.etag();
        assert_eq!(r.json["remaining"], 3 - k);
        assert_eq!(r.json["status"], if k == 3 { "completed" } else { "open" });
    }
    // The feed is the new team's, by name only with a token.
    let owner = call(
        base,
        "GET",
        "/v1/feeds/DV06-X/owner",
        Some(READER),
        None,
        &[],
    )
    .json;
    assert_eq!(owner["owner"]["team"], "Saltings Response Team");
    assert_eq!(
        owner["owner"]["administrators"],
        json!(["PC Newcomer One", "PCSO Newcomer Two"])
    );
    assert_eq!(owner["handovers"][0]["status"], "completed");
    assert_eq!(
        call(base, "GET", "/v1/feeds/DV06-X/owner", None, None, &[]).status,
        401
    );
    let feed = call(base, "GET", "/v1/feeds/DV06-X", None, None, &[]).json;
    assert_eq!(feed["owner"]["team"], "Saltings Response Team");
    assert_eq!(feed["owner"]["administrators"], 2);
    let health = call(base, "GET", "/v1/feeds/health", None, None, &[]).json;
    assert!(!fired(&health, "few_administrators").contains("DV06-X"));
    // A completed handover takes no more steps; a new one can be cancelled.
    assert_eq!(
        call(
            base,
            "POST",
            &format!("/v1/handovers/{id}/cancel"),
            Some(PLANNER),
            None,
            &[("If-Match", "*")]
        )
        .status,
        409
    );
    let again = call(
        base,
        "POST",
        "/v1/feeds/DV06-X/handovers",
        Some(PLANNER),
        Some(&body),
        &[],
    );
    assert_eq!(again.status, 201);
    let id2 = again.json["id"].as_i64().unwrap();
    let cancelled = call(
        base,
        "POST",
        &format!("/v1/handovers/{id2}/cancel"),
        Some(PLANNER),
        None,
        &[("If-Match", &again.etag())],
    );
    assert_eq!(cancelled.json["status"], "cancelled");
    // Every step is in the audit log, with who.
    let audit = call(base, "GET", "/v1/audit?limit=1000", Some(READER), None, &[]).json;
    let actions: Vec<(String, String)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity"] == "handover" || e["action"] == "feed.handover")
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["who"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        names,
        [
            "handover.start",
            "handover.step",
            "handover.step",
            "handover.step",
            "handover.complete",
            "feed.handover",
            "handover.start",
            "handover.cancel"
        ]
    );
    assert!(actions.iter().all(|(_, who)| who == "planner-a"));
}

#[test]
fn handover_over_http_on_sqlite() {
    let (_dir, s) = demo_server(&[]);
    handover_flow(&s);
}

#[test]
#[cfg_attr(
    feedmap_no_postgres,
    ignore = "needs PostgreSQL: set FEEDMAP_TEST_POSTGRES to the URL of a role that may create databases"
)]
fn handover_over_http_on_postgres() {
    let Some(db) = common::postgres("handover_over_http_on_postgres") else {
        return;
    };
    let (_dir, s) = demo_server(&["--store", &db.url]);
    handover_flow(&s);
}

/// Every public answer (each documented GET with its example parameters,
/// asked anonymously) is searched for the demo's administrators' names;
/// with a reader token the owner answers name them.
#[test]
fn names_are_seen_only_with_a_token() {
    let (_dir, s) = demo_server(&[]);
    // A handover, an owner change and activity, so every answer has
    // something personal it could leak.
    let body = json!({ "to_team": "Quayside Team", "to_administrators": ["PC Ada Quillon", "PCSO Newcomer Three"] });
    let h = call(
        &s.base,
        "POST",
        "/v1/feeds/DV05-X/handovers",
        Some(PLANNER),
        Some(&body),
        &[],
    );
    assert_eq!(h.status, 201);
    call(
        &s.base,
        "PUT",
        &format!("/v1/handovers/{}/steps/credentials_changed", h.json["id"]),
        Some(PLANNER),
        None,
        &[("If-Match", "*")],
    );
    let names: Vec<String> = feedmap::demo::demo_administrators()
        .into_iter()
        .chain(["PCSO Newcomer Three".to_string()])
        .collect();
    let leaks = |text: &str| -> Vec<String> {
        names
            .iter()
            .filter(|n| text.contains(n.as_str()))
            .cloned()
            .collect()
    };
    let doc = call(&s.base, "GET", "/api", None, None, &[]).json;
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let Some(op) = ops.get("get") else { continue };
        let mut url = path.clone();
        let mut query = Vec::new();
        for p in op["parameters"].as_array().unwrap() {
            let Some(example) = p.get("example") else {
                continue;
            };
            let value = match example {
                Value::String(v) => v.clone(),
                other => other.to_string(),
            };
            match p["in"].as_str().unwrap() {
                "path" => {
                    url = url.replace(&format!("{{{}}}", p["name"].as_str().unwrap()), &value)
                }
                "query" => query.push(format!(
                    "{}={}",
                    p["name"].as_str().unwrap(),
                    url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>()
                )),
                _ => {}
            }
        }
        if !query.is_empty() {
            url = format!("{url}?{}", query.join("&"));
        }
        let resp = reqwest::blocking::get(format!("{}{url}", s.base)).unwrap();
        let status = resp.status().as_u16();
        let bytes = resp.bytes().unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert_eq!(leaks(&text), Vec::<String>::new(), "GET {url} leaks names");
        if op.get("security").is_some() {
            assert_eq!(status, 401, "GET {url} anonymously");
        } else {
            // An example naming a record this store lacks (a decision,
            // a release) is 404; every other answer is read whole.
            assert!(
                status == 200 || (status == 404 && path.contains('{')),
                "GET {url}: {status} {text}"
            );
        }
        checked += 1;
    }
    // Answers not in the description's examples: CSVs, every feed, the audit.
    for url in [
        "/v1/feeds/health?format=csv",
        "/v1/register?format=csv",
        "/v1/consolidation?format=csv",
        "/v1/consolidation?format=geojson",
        "/v1/handovers",
        "/v1/audit?limit=1000",
        "/v1/verify?handle=DVP_Saltings",
        "/v1/guarantee",
    ] {
        let (status, text) = get_text(&s.base, url, None);
        assert_eq!(status, 200, "{url}");
        assert_eq!(leaks(&text), Vec::<String>::new(), "GET {url} leaks names");
        checked += 1;
    }
    assert!(checked >= 35, "only {checked} answers checked");
    // A token sees them.
    for url in [
        "/v1/feeds/DV05-X/owner",
        "/v1/feeds/health",
        "/v1/handovers",
        "/v1/audit?limit=1000",
    ] {
        let (status, text) = get_text(&s.base, url, Some(READER));
        assert_eq!(status, 200, "{url}");
        assert!(!leaks(&text).is_empty(), "{url} with a token names nobody");
    }
    // A bad token is refused, not read as anonymous.
    assert_eq!(
        get_text(&s.base, "/v1/feeds/health", Some("not-a-token-at-all")).0,
        401
    );
}

#[test]
fn activity_csv_imports_whole_or_not_at_all() {
    let (_dir, s) = demo_server(&[]);
    let followers = |feed: &str| -> Value {
        let h = call(&s.base, "GET", "/v1/feeds/health", None, None, &[]).json;
        h["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["feed_id"] == feed)
            .unwrap()["activity"]["followers"]
            .clone()
    };
    // A good file: handles with or without @, any case; a platform column
    // tells the force's X from its Facebook.
    let good = format!(
        "handle,platform,date,posts,followers\n@dvp_saltings,x,{},3,4100\nDVP_Coldharbour,x,{},1,3600\nDoggerValePolice,facebook,{},5,40000\n",
        today(),
        today(),
        today()
    );
    let (status, body) = post_csv(
        &s.base,
        "/v1/activity?name=export.csv",
        Some(PLANNER),
        &good,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["recorded"].as_i64(), body["feeds"].as_i64()),
        (Some(3), Some(3))
    );
    assert_eq!(followers("DV08-X"), 3600);
    assert_eq!(followers("DV-FORCE-FB"), 40000);
    let health = call(&s.base, "GET", "/v1/feeds/health", None, None, &[]).json;
    assert!(!fired(&health, "dormant").contains("DV08-X"));
    // Bad rows: each reported by line; nothing recorded.
    let bad = format!(
        "handle,platform,date,posts,followers\n@DVP_Saltings,x,{},2,4200\n@DVP_Saltings,x,2026-02-30,1,4200\n@DVP_Eastmere,x,{},-1,100\n@DVP_Eastmere,x,{},1,many\n@DVP_Northby,x,{},1,10\n@DVP_Northby,x,{},2,11\n",
        today(),
        today(),
        today(),
        today(),
        today()
    );
    let (status, body) = post_csv(&s.base, "/v1/activity", Some(PLANNER), &bad);
    assert_eq!(status, 400, "{body}");
    let lines: Vec<i64> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["row"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4, 5, 7], "{body}");
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("nothing was recorded"));
    assert_eq!(
        followers("DV06-X").as_i64(),
        Some(4100),
        "the good row of a bad file is not recorded"
    );
    // Unknown handles: each named with its line.
    let unknown = "handle,date,posts\n@NotOurs,2026-11-01,1\n@DVP_MarlowFen,2026-11-01,1\n@DoggerValePolice2,2026-11-01,1\n";
    let (status, body) = post_csv(&s.base, "/v1/activity", Some(PLANNER), unknown);
    assert_eq!(status, 400);
    let problems = body["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 2, "{body}");
    assert_eq!(
        (problems[0]["row"].as_i64(), problems[0]["kind"].as_str()),
        (Some(2), Some("unknown_feed"))
    );
    assert!(problems[1]["detail"]
        .as_str()
        .unwrap()
        .contains("@DoggerValePolice2"));
    // A handle on two platforms needs the platform column.
    let (status, body) = post_csv(
        &s.base,
        "/v1/activity",
        Some(PLANNER),
        "handle,date,posts\nDVPBrindleHeath,2026-11-01,1\n",
    );
    assert_eq!(status, 400);
    assert!(
        body["problems"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("DV07-FB, DV08-FB"),
        "{body}"
    );
    // The wrong media type, a missing column, no token.
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/v1/activity", s.base))
        .bearer_auth(PLANNER)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    let (status, body) = post_csv(
        &s.base,
        "/v1/activity",
        Some(PLANNER),
        "handle,posts\n@DVP_Saltings,1\n",
    );
    assert_eq!(status, 400);
    assert!(body["problems"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("\"date\""));
    assert_eq!(post_csv(&s.base, "/v1/activity", None, &good).0, 401);

    // The command line takes the same file, all or nothing.
    let dir = tempfile::tempdir().unwrap();
    let tokens = tokens_file(dir.path());
    let file = dir.path().join("bad.csv");
    std::fs::write(&file, &bad).unwrap();
    let data = dir.path().join("data");
    let run = |f: &Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_feedmap"))
            .args(["owners", "--region"])
            .arg(common::demo_region())
            .arg("--data-dir")
            .arg(&data)
            .args(["activity"])
            .arg(f)
            .arg("--tokens")
            .arg(&tokens)
            .env("FEEDMAP_TOKEN", PLANNER)
            .output()
            .unwrap()
    };
    let out = run(&file);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 3") && err.contains("nothing was recorded"),
        "{err}"
    );
    std::fs::write(&file, &good).unwrap();
    let out = run(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"recorded\": 3"));
}

#[test]
fn verification_tells_official_retired_unknown_and_look_alike_handles() {
    let (_dir, s) = demo_server(&[]);
    let verify = |q: &str| call(&s.base, "GET", &format!("/v1/verify?{q}"), None, None, &[]);
    let official = verify("handle=@DVP_MarlowFen&platform=x");
    assert_eq!(official.status, 200);
    assert_eq!(official.json["official"], true);
    assert_eq!(official.json["account"]["scope"], "neighbourhood");
    assert_eq!(official.json["account"]["area"]["name"], "Marlow Fen");
    assert_eq!(official.json["account"]["since"], "2019-06-03");
    // Any case, without @, as a URL.
    for q in [
        "handle=dvp_marlowfen",
        "handle=https%3A%2F%2Fx.example%2FDVP_MarlowFen%3Fs%3D1",
    ] {
        assert_eq!(verify(q).json["official"], true, "{q}");
    }
    // Retired: not official, says since when.
    let retire = call(
        &s.base,
        "DELETE",
        "/v1/feeds/DV02-C08-IG",
        Some(PLANNER),
        None,
        &[("If-Match", "*")],
    );
    assert_eq!(retire.status, 200, "{}", retire.json);
    let retired = verify("handle=oldharrowgatepolice").json;
    assert_eq!(retired["official"], false);
    assert_eq!(retired["account"]["status"], "retired");
    assert_eq!(retired["account"]["since"], today());
    assert!(
        retired["message"]
            .as_str()
            .unwrap()
            .contains("no longer run"),
        "{retired}"
    );
    // Unknown: a normal answer.
    let unknown = verify("handle=@SomeoneElse");
    assert_eq!(unknown.status, 200);
    assert_eq!(unknown.json["official"], false);
    assert!(unknown.json["account"].is_null());
    assert_eq!(unknown.json["look_alike_of"], json!([]));
    // A look-alike names what it imitates.
    let fake = verify("handle=@DVP_MarIowFen&platform=x").json;
    assert_eq!(fake["official"], false);
    assert_eq!(fake["look_alike_of"][0]["handle"], "@DVP_MarlowFen");
    assert_eq!(verify("handle=").status, 400);
    // The register: active and retired, public fields, JSON and CSV.
    let reg = call(&s.base, "GET", "/v1/register", None, None, &[]).json;
    let accounts = reg["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 23, "active and retired, not planned");
    assert!(accounts
        .iter()
        .any(|a| a["handle"] == "oldharrowgatepolice" && a["status"] == "retired"));
    assert!(accounts.iter().all(|a| a.get("administrators").is_none()));
    let (_, csv) = get_text(&s.base, "/v1/register?format=csv", None);
    assert_eq!(csv.lines().count(), 24);
    assert!(csv.starts_with("platform,handle,url,name,status,since,scope"));
}

/// A Trafford region (2022 wards in 2022 localities) whose feed file,
/// activity and data.police.uk listing the test writes: every rule built
/// into one or two feeds.
fn trafford_owners(data: &Path) -> (tempfile::TempDir, Vec<String>) {
    let dir = common::region_dir(&format!(
        "{}\n[feeds]\nfile = \"feeds.csv\"\nactivity = \"activity.csv\"\nlistings = \"police_uk.json\"\n",
        common::trafford_manifest(data, 2022)
    ));
    let wards: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("trafford_wards_2022_full.geojson")).unwrap(),
    )
    .unwrap();
    let codes: Vec<String> = wards["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["properties"]["area_code"].as_str().unwrap().to_string())
        .collect();
    let mut feeds = String::from("feed_id,platform,handle,url,layer,area_id,name,status,team,administrators,verification,status_since\n");
    let mut activity = String::from("feed_id,platform,date,posts,followers\n");
    for (i, code) in codes.iter().enumerate() {
        let handle = if i == 4 {
            format!("@GMP_{}", codes[3])
        } else {
            format!("@GMP_{code}")
        };
        let team = if i == 2 {
            ""
        } else {
            "Trafford Neighbourhood Team"
        };
        let admins = if i == 0 {
            "PC Solo Officer".to_string()
        } else {
            format!("PC Ward{i} One;PCSO Ward{i} Two")
        };
        let verification = if i == 1 { "pending" } else { "verified" };
        feeds.push_str(&format!("W-{code},x,{handle},https://x.example/{code},wards,{code},Ward {i},active,{team},{admins},{verification},2023-01-01\n"));
        if i == 4 {
            continue; // its handle is ward 3's, and it records nothing
        }
        let (last, followers) = match i {
            5 => (45, 2500),
            6 => (2, 20),
            _ => (2, 2500),
        };
        for back in [last, last + 7, last + 14] {
            activity.push_str(&format!("W-{code},x,{},2,{followers}\n", days_ago(back)));
        }
    }
    for loc in ["North", "Central", "South", "West"] {
        feeds.push_str(&format!("L-{loc},x,@TraffordPolice{loc},https://x.example/TraffordPolice{loc},localities,{loc},Trafford {loc},active,Trafford {loc} Team,PC Loc{loc} One;PC Loc{loc} Two,verified,2019-01-01\n"));
        activity.push_str(&format!("L-{loc},x,{},4,21000\n", days_ago(1)));
    }
    std::fs::write(dir.path().join("feeds.csv"), feeds).unwrap();
    std::fs::write(dir.path().join("activity.csv"), activity).unwrap();
    let listings = json!([
        { "id": "North", "name": "Trafford North", "contact_details": { "twitter": "https://twitter.com/TraffordPoliceNorth", "email": "north@example.org" } },
        { "id": "Central", "name": "Trafford Central", "contact_details": { "twitter": "https://twitter.com/GMPTraffordCentralOld" } },
        { "id": "South", "name": "Trafford South", "contact_details": {} }
    ]);
    std::fs::write(dir.path().join("police_uk.json"), listings.to_string()).unwrap();
    (dir, codes)
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn every_health_rule_on_trafford_and_its_consolidation_plan() {
    let Some(data) = common::gm_data("every_health_rule_on_trafford_and_its_consolidation_plan")
    else {
        return;
    };
    let (region, codes) = trafford_owners(&data);
    let tokens = tokens_file(region.path());
    let s = Server::start_with(region.path(), &["--tokens", tokens.to_str().unwrap()]);
    let w = |i: usize| format!("W-{}", codes[i]);
    let report = call(&s.base, "GET", "/v1/feeds/health", None, None, &[]).json;
    assert_eq!(fired(&report, "few_administrators"), set(&[&w(0)]));
    assert_eq!(fired(&report, "unverified"), set(&[&w(1)]));
    assert_eq!(fired(&report, "no_team"), set(&[&w(2)]));
    assert_eq!(fired(&report, "duplicate_handle"), set(&[&w(3), &w(4)]));
    assert_eq!(
        fired(&report, "dormant"),
        set(&[&w(4), &w(5)]),
        "ward 4 has no activity of its own; ward 5 last posted 45 days ago"
    );
    assert_eq!(fired(&report, "listing_mismatch"), set(&["L-Central"]));
    assert_eq!(fired(&report, "area_gone"), set(&[]));

    // Verification: the locality's real handle, and a look-alike.
    let ok = call(
        &s.base,
        "GET",
        "/v1/verify?handle=@TraffordPoliceNorth",
        None,
        None,
        &[],
    )
    .json;
    assert_eq!(ok["official"], true);
    assert_eq!(ok["account"]["area"]["name"], "North");
    let fake = call(
        &s.base,
        "GET",
        "/v1/verify?handle=@TraffordPol1ceNorth&platform=x",
        None,
        None,
        &[],
    )
    .json;
    assert_eq!(fake["official"], false, "{fake}");
    assert_eq!(fake["look_alike_of"][0]["handle"], "@TraffordPoliceNorth");
    assert!(fake["message"]
        .as_str()
        .unwrap()
        .contains("not an official account"));

    // Consolidation: the dormant ward feed and the tiny one merge into
    // their locality's X feed, with residents from the census.
    let plan = call(&s.base, "GET", "/v1/consolidation", None, None, &[]).json;
    let changes = plan["changes"].as_array().unwrap();
    let ids: BTreeSet<String> = changes
        .iter()
        .map(|c| c["feed_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, set(&[&w(5), &w(6)]), "{plan}");
    for c in changes {
        assert_eq!(c["action"], "merge");
        assert!(
            c["into"]["feed_id"].as_str().unwrap().starts_with("L-"),
            "{c}"
        );
        let kinds: Vec<&str> = c["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["kind"].as_str().unwrap())
            .collect();
        assert!(kinds.contains(&"overlapping_audience"), "{c}");
        let residents = c["residents"].as_f64().unwrap();
        assert!(
            (5_000.0..20_000.0).contains(&residents),
            "a Trafford ward has about 10,000 residents: {residents}"
        );
        assert_eq!(c["coverage_lost"]["to"], "neighbourhood", "{c}");
        assert!(c["explanation"]
            .as_str()
            .unwrap()
            .contains("lose a community feed"));
    }
    let tiny = changes.iter().find(|c| c["feed_id"] == w(6)).unwrap();
    assert_eq!(tiny["reasons"][0]["kind"], "tiny_reach");
    assert!(tiny["reasons"][0]["text"]
        .as_str()
        .unwrap()
        .starts_with("20 followers"));
    assert_eq!(
        plan["feeds_after"].as_i64().unwrap(),
        plan["feeds_now"].as_i64().unwrap() - 2
    );

    // Area gone: the 2023 wards, activated without confirming successors.
    let staged = call(
        &s.base,
        "POST",
        "/v1/releases",
        Some(PLANNER),
        Some(
            &json!({ "layer": "wards", "label": "2023", "files": [{ "name": "wards_2023.geojson", "text": std::fs::read_to_string(data.join("trafford_wards_2023_full.geojson")).unwrap() }] }),
        ),
        &[],
    );
    assert_eq!(staged.status, 201, "{}", staged.json);
    let id = staged.json["release"].as_i64().unwrap();
    let act = call(
        &s.base,
        "POST",
        &format!("/v1/releases/{id}/activate"),
        Some(PLANNER),
        Some(&json!({})),
        &[("If-Match", "*")],
    );
    assert_eq!(act.status, 200, "{}", act.json);
    let new_codes: BTreeSet<String> = {
        let v: Value = serde_json::from_str(
            &std::fs::read_to_string(data.join("trafford_wards_2023_full.geojson")).unwrap(),
        )
        .unwrap();
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["area_code"].as_str().unwrap().to_string())
            .collect()
    };
    let expected: BTreeSet<String> = codes
        .iter()
        .filter(|c| !new_codes.contains(*c))
        .map(|c| format!("W-{c}"))
        .collect();
    assert!(!expected.is_empty());
    let gone = call(&s.base, "GET", "/v1/feeds/health", None, None, &[]).json;
    assert_eq!(fired(&gone, "area_gone"), expected);
}

#[test]
fn consolidation_on_the_demo_honours_decisions_and_the_budget() {
    let (_dir, s) = demo_server(&[]);
    let plan = call(&s.base, "GET", "/v1/consolidation", None, None, &[]).json;
    let changes = plan["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{plan}");
    // The dormant, overlapping community feed: merged into its
    // neighbourhood's X account, first.
    let c = &changes[0];
    assert_eq!(c["feed_id"], "DV02-C08-X");
    assert_eq!(c["action"], "merge");
    assert_eq!(c["into"]["feed_id"], "DV02-X");
    let kinds: Vec<&str> = c["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["dormant", "overlapping_audience"]);
    assert!(c["explanation"]
        .as_str()
        .unwrap()
        .starts_with("Merge @OldHarrowgateCops (x) into @DVP_Harrowgate: no post since"));
    assert_eq!(c["residents"], 5200.0);
    assert!(
        c["coverage_lost"].is_null(),
        "Old Harrowgate keeps its Instagram feed"
    );
    assert_eq!(changes[1]["feed_id"], "DV08-X");
    assert_eq!(changes[1]["into"]["feed_id"], "DV-FORCE-X");
    // Budget.
    let one = call(
        &s.base,
        "GET",
        "/v1/consolidation?max_changes=1",
        None,
        None,
        &[],
    )
    .json;
    assert_eq!(one["changes"].as_array().unwrap().len(), 1);
    assert_eq!(one["over_budget"][0]["feed_id"], "DV08-X");
    // Decisions: rejecting takes it out (listed apart); accepting puts it
    // first within any budget.
    let rej = call(
        &s.base,
        "POST",
        "/v1/decisions",
        Some(PLANNER),
        Some(
            &json!({ "layer": "@feeds", "area_id": "DV02-C08-X", "decision": "reject", "note": "the estate asked to keep it" }),
        ),
        &[],
    );
    assert_eq!(rej.status, 201, "{}", rej.json);
    assert_eq!(rej.json["area_name"], "Old Harrowgate Police");
    let acc = call(
        &s.base,
        "POST",
        "/v1/decisions",
        Some(PLANNER),
        Some(&json!({ "layer": "@feeds", "area_id": "DV08-X", "decision": "accept" })),
        &[],
    );
    assert_eq!(acc.status, 201);
    let bad = call(
        &s.base,
        "POST",
        "/v1/decisions",
        Some(PLANNER),
        Some(&json!({ "layer": "@feeds", "area_id": "NOPE", "decision": "accept" })),
        &[],
    );
    assert_eq!(bad.status, 400);
    let plan = call(
        &s.base,
        "GET",
        "/v1/consolidation?max_changes=0",
        None,
        None,
        &[],
    )
    .json;
    assert_eq!(plan["changes"].as_array().unwrap().len(), 1);
    assert_eq!(plan["changes"][0]["feed_id"], "DV08-X");
    assert_eq!(plan["changes"][0]["decision"]["decision"], "accept");
    assert_eq!(plan["rejected"][0]["feed_id"], "DV02-C08-X");
    assert!(plan["rejected"][0]["explanation"]
        .as_str()
        .unwrap()
        .contains("the estate asked to keep it"));
    // The growth plan is untouched by feed decisions.
    assert_eq!(
        call(&s.base, "GET", "/v1/plan", None, None, &[]).status,
        200
    );
    // CSV and GeoJSON.
    let (_, csv) = get_text(&s.base, "/v1/consolidation?format=csv", None);
    assert!(csv
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("DV08-X,x,@DVP_Coldharbour,merge,DV-FORCE-X"));
    let geo = call(
        &s.base,
        "GET",
        "/v1/consolidation?format=geojson",
        None,
        None,
        &[],
    )
    .json;
    assert_eq!(geo["features"][0]["geometry"]["type"], "MultiPolygon");
    assert_eq!(geo["features"][0]["properties"]["feed_id"], "DV08-X");
    assert_eq!(
        call(
            &s.base,
            "GET",
            "/v1/consolidation?format=kml",
            None,
            None,
            &[]
        )
        .status,
        400
    );
    assert_eq!(
        call(
            &s.base,
            "GET",
            "/v1/consolidation?min_reach=2",
            None,
            None,
            &[]
        )
        .status,
        400
    );

    // The command line gives the same plan (the store's decisions too).
    let out = common::feedmap_ok(&[
        "owners",
        "--region",
        common::demo_region().to_str().unwrap(),
        "--data-dir",
        s.data.as_ref().unwrap().path().to_str().unwrap(),
        "consolidate",
        "--format",
        "csv",
        "--param",
        "max_changes=0",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), csv);
}
