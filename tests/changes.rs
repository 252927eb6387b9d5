//! The public change feed (`/v1/changes`): feeds and boundary activations
//! in the audit log's order, nothing else, no names; resumable with
//! `after`, held open with `wait`.

use crate::common;

use crate::common::{call, Server, PLANNER};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn changes(base: &str, query: &str) -> Value {
    let r = call(base, "GET", &format!("/v1/changes{query}"), None, None, &[]);
    assert_eq!(r.status, 200, "{}", r.json);
    r.json
}

fn kinds(page: &Value) -> Vec<(String, String)> {
    page["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_string(),
                c["feed_id"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn feed_and_boundary_changes_in_order_without_names() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = common::tokens_file(dir.path());
    let server = Server::start_with(
        &common::demo_region(),
        &["--tokens", tokens.to_str().unwrap()],
    );
    let base = server.base.clone();
    let start = changes(&base, "");
    assert_eq!(start["count"], 0, "{start}");
    let from = start["last_seq"].as_i64().unwrap();

    // A long-poll held open: it answers as soon as a feed is added.
    let waiting = {
        let base = base.clone();
        std::thread::spawn(move || {
            let t = Instant::now();
            (
                changes(&base, &format!("?after={from}&wait=20")),
                t.elapsed(),
            )
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    let write =
        |method: &str, path: &str, body: Value| common::planner_write(&base, method, path, &body);
    write(
        "POST",
        "/v1/feeds",
        json!({"feed_id": "NEW-X", "platform": "x", "handle": "@NewX", "url": "https://x.example/NewX",
               "layer": "communities", "area_id": "DV01-C02", "name": "New X", "status": "active"}),
    );
    let (woken, took) = waiting.join().unwrap();
    assert_eq!(kinds(&woken), [("feed.added".into(), "NEW-X".into())]);
    assert!(took < Duration::from_secs(15), "held {took:?}");

    // Not public changes: a decision, the saved parameters.
    write(
        "POST",
        "/v1/decisions",
        json!({"layer": "communities", "area_id": "DV01-C01", "decision": "accept", "note": "n"}),
    );
    write(
        "PUT",
        "/v1/plan/params",
        json!({"query": "min_population=4000"}),
    );
    // Public: moved to another area, handed to a team with named people,
    // retired.
    write("PATCH", "/v1/feeds/NEW-X", json!({"area_id": "DV01-C03"}));
    write(
        "PUT",
        "/v1/feeds/NEW-X/owner",
        json!({"team": "Comms Unit", "administrators": ["PC Jane Smith"], "verification": "verified"}),
    );
    write("DELETE", "/v1/feeds/NEW-X", json!({}));

    let page = changes(&base, &format!("?after={from}"));
    let got = kinds(&page);
    assert_eq!(got[0], ("feed.added".into(), "NEW-X".into()));
    assert_eq!(got[1], ("feed.changed".into(), "NEW-X".into()));
    assert_eq!(
        got.last().unwrap(),
        &("feed.retired".into(), "NEW-X".into())
    );
    let all = page["changes"].as_array().unwrap();
    assert_eq!(all[1]["from_area_id"], "DV01-C02");
    assert_eq!(all[1]["area_id"], "DV01-C03");
    let seqs: Vec<i64> = all.iter().map(|c| c["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let text = page.to_string();
    for private in [
        "Jane",
        "administrators",
        "planner",
        "decision",
        "min_population",
    ] {
        assert!(!text.contains(private), "{private} in {text}");
    }
    assert!(text.contains("Comms Unit"), "{text}");

    // Resuming after the last one: nothing; held for `wait`, then empty.
    let last = page["last_seq"].as_i64().unwrap();
    let t = Instant::now();
    let empty = changes(&base, &format!("?after={last}&wait=1"));
    assert_eq!(empty["count"], 0);
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    // Pages: limit=1 walks the same changes one at a time.
    let mut after = from;
    let mut walked = Vec::new();
    loop {
        let p = changes(&base, &format!("?after={after}&limit=1"));
        if p["count"] == 0 {
            break;
        }
        walked.extend(kinds(&p));
        after = p["last_seq"].as_i64().unwrap();
    }
    assert_eq!(walked, got);

    // A boundary release activated.
    let file = common::demo_region().join("communities.geojson");
    let staged = write(
        "POST",
        "/v1/releases",
        json!({"layer": "communities", "label": "the same communities",
               "files": [{"name": "communities.geojson", "text": std::fs::read_to_string(file).unwrap()}]}),
    );
    let id = staged.json["release"].as_i64().unwrap();
    write("POST", &format!("/v1/releases/{id}/activate"), json!({}));
    let page = changes(&base, &format!("?after={last}"));
    let activated: Vec<&Value> = page["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "boundary.activated")
        .collect();
    assert_eq!(activated.len(), 1, "{page}");
    assert_eq!(activated[0]["release"], id);
    assert_eq!(activated[0]["layer"], "communities");
    assert!(activated[0]["valid_from"].is_string());
    assert!(!page.to_string().contains("planner"), "{page}");

    // Beyond the end of the log: said (at once, not held for the wait),
    // with where the log ends; within it, no note.
    let end = page["last_seq"].as_i64().unwrap();
    assert_eq!(page["note"], Value::Null, "{page}");
    let past = changes(&base, &format!("?after={}&wait=30", end + 1000));
    assert_eq!(past["count"], 0);
    let note = past["note"].as_str().unwrap_or_else(|| panic!("{past}"));
    assert!(
        note.contains("beyond the end") && note.contains(&format!("after={end}")),
        "{note}"
    );

    // Bad parameters are named.
    for q in ["?after=-1", "?limit=0", "?wait=61", "?since=3"] {
        let r = call(&base, "GET", &format!("/v1/changes{q}"), None, None, &[]);
        assert_eq!(r.status, 400, "{q}: {}", r.json);
    }
}

/// Two replicas on one PostgreSQL: a long-poll held on one is answered by
/// a feed added through the other (at the holder's next store poll).
#[test]
#[cfg_attr(
    feedmap_no_postgres,
    ignore = "needs PostgreSQL: set FEEDMAP_TEST_POSTGRES to the URL of a role that may create databases"
)]
fn a_long_poll_on_one_replica_sees_a_write_through_another() {
    let Some(db) = common::postgres("changes_replicas") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tokens = common::tokens_file(dir.path());
    let replica = || {
        Server::start_with(
            &common::demo_region(),
            &["--store", &db.url, "--tokens", tokens.to_str().unwrap()],
        )
    };
    let (a, b) = (replica(), replica());
    let from = changes(&b.base, "")["last_seq"].as_i64().unwrap();
    let waiting = {
        let base = b.base.clone();
        std::thread::spawn(move || {
            let t = Instant::now();
            (
                changes(&base, &format!("?after={from}&wait=30")),
                t.elapsed(),
            )
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    let r = call(
        &a.base,
        "POST",
        "/v1/feeds",
        Some(PLANNER),
        Some(
            &json!({"feed_id": "VIA-A", "platform": "x", "handle": "@ViaA", "url": "https://x.example/ViaA",
                     "layer": "communities", "area_id": "DV01-C02", "name": "Via A", "status": "active"}),
        ),
        &[],
    );
    assert_eq!(r.status, 201, "{}", r.json);
    let (page, took) = waiting.join().unwrap();
    assert_eq!(kinds(&page), [("feed.added".into(), "VIA-A".into())]);
    // The default store poll is 1 s.
    assert!(took < Duration::from_secs(10), "held {took:?}");
}
