//! One consistent view per request: while a client alternates feed writes
//! and decision writes, concurrent plan requests never pair the feeds of
//! one store generation with the decisions of another. Each plan states
//! the generation it was built from; replaying the audit log up to that
//! generation must give exactly the planned feeds and decisions the plan
//! shows. Run on SQLite and on PostgreSQL.

use crate::common;

use crate::common::{call, tokens_file, Server, PLANNER};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Writes made by the writer: half feeds, half decisions, alternating.
const WRITES: usize = 240;

/// What a plan shows about the communities the writer touches: per
/// community, the writer's planned feeds (sorted) and the decision as
/// (id, kind, version).
type View = BTreeMap<String, (Vec<String>, Option<(i64, String, i64)>)>;

fn view_of_plan(plan: &Value, communities: &[String]) -> View {
    let mut v: View = communities
        .iter()
        .map(|c| (c.clone(), (Vec::new(), None)))
        .collect();
    for n in plan["neighbourhoods"].as_array().unwrap() {
        let rows = n["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .chain(n["not_suggested"].as_array().unwrap());
        for s in rows {
            let id = s["id"].as_str().unwrap();
            let Some(slot) = v.get_mut(id) else { continue };
            let mut feeds: Vec<String> = s["planned_feeds"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|f| f.as_str().unwrap().to_string())
                        .filter(|f| f.starts_with("stress-"))
                        .collect()
                })
                .unwrap_or_default();
            feeds.sort();
            slot.0 = feeds;
            slot.1 = s["decision"].as_object().map(|d| {
                (
                    d["id"].as_i64().unwrap(),
                    d["decision"].as_str().unwrap().to_string(),
                    d["version"].as_i64().unwrap(),
                )
            });
        }
    }
    v
}

/// The view the audit log gives after the entries up to `seq`.
fn view_of_log(log: &[Value], seq: i64, communities: &[String]) -> View {
    let mut feeds: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut decisions: BTreeMap<String, (i64, String, i64)> = BTreeMap::new();
    for e in log.iter().take_while(|e| e["seq"].as_i64().unwrap() <= seq) {
        let after = &e["after"];
        match e["entity"].as_str().unwrap() {
            "feed" if after.is_object() => {
                feeds.insert(
                    after["feed_id"].as_str().unwrap().into(),
                    (
                        after["area_id"].as_str().unwrap_or("").into(),
                        after["status"].as_str().unwrap().into(),
                    ),
                );
            }
            "decision" if after.is_object() => {
                decisions.insert(
                    after["area_id"].as_str().unwrap().into(),
                    (
                        after["id"].as_i64().unwrap(),
                        after["decision"].as_str().unwrap().into(),
                        after["version"].as_i64().unwrap(),
                    ),
                );
            }
            other => panic!("unexpected audit entry {other}: {e}"),
        }
    }
    communities
        .iter()
        .map(|c| {
            let f: Vec<String> = feeds
                .iter()
                .filter(|(_, (area, status))| area == c && status == "planned")
                .map(|(id, _)| id.clone())
                .collect();
            (c.clone(), (f, decisions.get(c).cloned()))
        })
        .collect()
}

fn stress(server: &Server) {
    let base = server.base.clone();
    let first = call(&base, "GET", "/v1/plan", None, None, &[]);
    assert_eq!(first.status, 200, "{}", first.json);
    let layer = first.json["community_layer"].as_str().unwrap().to_string();
    // Every form of the plan states the generation.
    let generation = first.json["generation"].as_i64().expect("a generation");
    for path in ["/v1/plan.csv", "/v1/plan.geojson", "/v1/plan/summary"] {
        let r = call(&base, "GET", path, None, None, &[]);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(
            r.headers["x-feedmap-generation"].to_str().unwrap(),
            generation.to_string(),
            "{path}"
        );
        if path != "/v1/plan.csv" {
            assert_eq!(r.json["generation"], generation, "{path}");
        }
    }
    // Communities the plan suggests on its own (so they stay in the plan
    // whether deferred or accepted, and list their planned feeds).
    let communities: Vec<String> = first.json["neighbourhoods"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| n["suggestions"].as_array().unwrap().iter())
        .filter(|s| s["kind"] == "community")
        .map(|s| s["id"].as_str().unwrap().to_string())
        .take(3)
        .collect();
    assert_eq!(communities.len(), 3, "{}", first.json);

    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (base, done, communities) = (base.clone(), done.clone(), communities.clone());
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                while !done.load(Ordering::Relaxed) {
                    let r = call(&base, "GET", "/v1/plan", None, None, &[]);
                    assert_eq!(r.status, 200, "{}", r.json);
                    let generation = r.json["generation"]
                        .as_i64()
                        .unwrap_or_else(|| panic!("the plan states no generation"));
                    let header: i64 = r.headers["x-feedmap-generation"]
                        .to_str()
                        .unwrap()
                        .parse()
                        .unwrap();
                    assert_eq!(header, generation, "header and body disagree");
                    seen.push((generation, view_of_plan(&r.json, &communities)));
                }
                seen
            })
        })
        .collect();

    let mut decision_ids: BTreeMap<String, i64> = BTreeMap::new();
    for i in 0..WRITES {
        let c = &communities[(i / 2) % communities.len()];
        let r = if i % 2 == 0 {
            let body = json!({
                "feed_id": format!("stress-{i:04}"), "platform": "x",
                "handle": format!("@stress{i}"), "url": format!("https://x.example/stress{i}"),
                "layer": layer, "area_id": c, "status": "planned",
            });
            call(&base, "POST", "/v1/feeds", Some(PLANNER), Some(&body), &[])
        } else if let Some(id) = decision_ids.get(c) {
            let kind = if (i / 2) % 2 == 0 { "accept" } else { "defer" };
            let body = json!({ "decision": kind, "note": format!("write {i}") });
            call(
                &base,
                "PATCH",
                &format!("/v1/decisions/{id}"),
                Some(PLANNER),
                Some(&body),
                &[("If-Match", "*")],
            )
        } else {
            let body = json!({ "layer": layer, "area_id": c, "decision": "defer", "note": "" });
            let r = call(
                &base,
                "POST",
                "/v1/decisions",
                Some(PLANNER),
                Some(&body),
                &[],
            );
            decision_ids.insert(c.clone(), r.json["id"].as_i64().unwrap_or(-1));
            r
        };
        assert!(r.status < 300, "write {i}: {} {}", r.status, r.json);
    }
    // Let the readers see the final state too.
    std::thread::sleep(std::time::Duration::from_millis(200));
    done.store(true, Ordering::Relaxed);
    let seen: Vec<(i64, View)> = readers
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();

    let mut log: Vec<Value> = Vec::new();
    loop {
        let after = log.last().map_or(0, |e| e["seq"].as_i64().unwrap());
        let r = call(
            &base,
            "GET",
            &format!("/v1/audit?after={after}&limit=1000"),
            None,
            None,
            &[],
        );
        assert_eq!(r.status, 200, "{}", r.json);
        let entries = r.json["entries"].as_array().unwrap().clone();
        if entries.is_empty() {
            break;
        }
        log.extend(entries);
    }
    assert_eq!(log.len(), WRITES, "one audit entry per write");
    // Each write bumps the generation once and appends one entry, so a
    // generation is the log position plus a fixed offset, read here from
    // the server's own account (not from a plan).
    let health = call(&base, "GET", "/health", None, None, &[]);
    let offset = health.json["store"]["generation_seen"].as_i64().unwrap() - WRITES as i64;
    let generations: std::collections::BTreeSet<i64> = seen.iter().map(|(g, _)| *g).collect();
    println!(
        "{} plans read during {WRITES} writes, at {} distinct generations",
        seen.len(),
        generations.len()
    );
    assert!(
        generations.len() >= 5,
        "the readers saw only {} generations; the test did not overlap reads and writes",
        generations.len()
    );
    for (generation, view) in &seen {
        let expected = view_of_log(&log, generation - offset, &communities);
        assert_eq!(
            view, &expected,
            "a plan stating generation {generation} shows another generation's feeds or decisions"
        );
    }
}

fn server_with_tokens(extra: &[&str]) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let tokens = tokens_file(dir.path());
    let mut args = vec!["--tokens", tokens.to_str().unwrap()];
    args.extend_from_slice(extra);
    let server = Server::start_with(&common::demo_region(), &args);
    (server, dir)
}

#[test]
fn plans_never_mix_generations_on_sqlite() {
    let (server, _dir) = server_with_tokens(&[]);
    stress(&server);
}

#[test]
#[cfg_attr(
    feedmap_no_postgres,
    ignore = "needs PostgreSQL: set FEEDMAP_TEST_POSTGRES to the URL of a role that may create databases"
)]
fn plans_never_mix_generations_on_postgres() {
    let Some(db) = common::postgres("plans_never_mix_generations") else {
        return;
    };
    let (server, _dir) = server_with_tokens(&["--store", &db.url]);
    stress(&server);
}
