//! Several stateless servers on one PostgreSQL: what one writes the other
//! shows at once, and conflicting writes get 412 (or 409), never a silent
//! overwrite. Also moving a store from SQLite to PostgreSQL with `feedmap
//! export` and `feedmap import`.

use crate::common;

use crate::common::{call, tokens_file, Server, PLANNER, PLANNER_B};
use serde_json::json;

fn replica(url: &str, tokens: &std::path::Path) -> Server {
    Server::start_with(
        &common::demo_region(),
        &["--store", url, "--tokens", tokens.to_str().unwrap()],
    )
}

#[test]
#[cfg_attr(
    feedmap_no_postgres,
    ignore = "needs PostgreSQL: set FEEDMAP_TEST_POSTGRES to the URL of a role that may create databases"
)]
fn two_replicas_share_one_state() {
    let Some(db) = common::postgres("replicas") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tokens = tokens_file(dir.path());
    let (a, b) = (replica(&db.url, &tokens), replica(&db.url, &tokens));
    // A decision written through A is visible through B at once: in the
    // list, by id and in B's plan.
    let r = call(
        &a.base,
        "POST",
        "/v1/decisions",
        Some(PLANNER),
        Some(
            &json!({"layer": "communities", "area_id": "DV01-C06", "decision": "reject", "note": "via A"}),
        ),
        &[],
    );
    assert_eq!(r.status, 201, "{}", r.json);
    let id = r.json["id"].as_i64().unwrap();
    let (_, list) = b.get("/v1/decisions");
    assert_eq!(list["decisions"][0]["note"], "via A");
    let (_, n) = b.get("/v1/plan/neighbourhoods/DV01");
    assert!(n["not_suggested"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == "DV01-C06" && s["decision"]["id"] == id));
    // Both planners read version 1; A's change lands, B's stale one is
    // refused with the current ETag, through either replica.
    let path = format!("/v1/decisions/{id}");
    let seen_a = call(&a.base, "GET", &path, None, None, &[]).etag();
    let seen_b = call(&b.base, "GET", &path, None, None, &[]).etag();
    assert_eq!((seen_a.as_str(), seen_b.as_str()), ("\"v1\"", "\"v1\""));
    let r = call(
        &a.base,
        "PATCH",
        &path,
        Some(PLANNER),
        Some(&json!({"decision": "accept"})),
        &[("If-Match", &seen_a)],
    );
    assert_eq!((r.status, r.etag().as_str()), (200, "\"v2\""));
    let r = call(
        &b.base,
        "PATCH",
        &path,
        Some(PLANNER_B),
        Some(&json!({"note": "via B"})),
        &[("If-Match", &seen_b)],
    );
    assert_eq!((r.status, r.etag().as_str()), (412, "\"v2\""), "{}", r.json);
    let r = call(
        &b.base,
        "DELETE",
        &path,
        Some(PLANNER_B),
        None,
        &[("If-Match", &seen_b)],
    );
    assert_eq!(r.status, 412);
    let (_, d) = b.get(&path);
    assert_eq!(
        (
            d["decision"].as_str(),
            d["note"].as_str(),
            d["updated_by"].as_str()
        ),
        (Some("accept"), Some("via A"), Some("planner-a"))
    );
    // Racing creations of one area's decision through both: one 201, one 409.
    let race: Vec<u16> = std::thread::scope(|s| {
        let hs: Vec<_> = [(&a, PLANNER), (&b, PLANNER_B)]
            .into_iter()
            .map(|(srv, token)| {
                s.spawn(move || {
                    call(&srv.base, "POST", "/v1/decisions", Some(token), Some(&json!({"layer": "communities", "area_id": "DV02-C10", "decision": "accept"})), &[]).status
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = race.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [201, 409], "{race:?}");
    // Racing edits of one feed, each holding "v0": exactly one lands.
    let race: Vec<u16> = std::thread::scope(|s| {
        let hs: Vec<_> = [(&a, PLANNER, "@FromA"), (&b, PLANNER_B, "@FromB")]
            .into_iter()
            .map(|(srv, token, handle)| {
                s.spawn(move || {
                    call(
                        &srv.base,
                        "PATCH",
                        "/v1/feeds/DV01-X",
                        Some(token),
                        Some(&json!({"handle": handle})),
                        &[("If-Match", "\"v0\"")],
                    )
                    .status
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = race.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [200, 412], "{race:?}");
    // A feed added through A: B lists it at once and its lookups return it
    // within the store poll (1 s).
    let r = call(
        &a.base,
        "POST",
        "/v1/feeds",
        Some(PLANNER),
        Some(
            &json!({"feed_id": "LW-X", "platform": "x", "handle": "@LittleWexcombe", "url": "https://x.example/lw", "layer": "communities", "area_id": "DV01-C06", "status": "active"}),
        ),
        &[],
    );
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(b.get("/v1/feeds/LW-X").0, 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, ans) = b.get("/v1/feeds/lookup?q=Little%20Wexcombe");
        if ans["feeds"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["feed_id"] == "LW-X"))
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "B's lookups never saw the feed: {ans}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // One audit log, whichever replica is asked.
    assert_eq!(a.get("/v1/audit").1, b.get("/v1/audit").1);
}

#[test]
#[cfg_attr(
    feedmap_no_postgres,
    ignore = "needs PostgreSQL: set FEEDMAP_TEST_POSTGRES to the URL of a role that may create databases"
)]
fn a_store_moves_from_sqlite_to_postgres() {
    let Some(db) = common::postgres("move") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let tokens = tokens_file(dir.path());
    {
        let s = Server::start_with(
            &common::demo_region(),
            &[
                "--data-dir",
                data.to_str().unwrap(),
                "--tokens",
                tokens.to_str().unwrap(),
            ],
        );
        for (area, d) in [
            ("DV01-C06", "accept"),
            ("DV02-C10", "reject"),
            ("DV01-C07", "defer"),
        ] {
            let r = call(
                &s.base,
                "POST",
                "/v1/decisions",
                Some(PLANNER),
                Some(
                    &json!({"layer": "communities", "area_id": area, "decision": d, "note": "'; --"}),
                ),
                &[],
            );
            assert_eq!(r.status, 201);
        }
        let r = call(
            &s.base,
            "PATCH",
            "/v1/feeds/DV01-X",
            Some(PLANNER),
            Some(&json!({"handle": "@Moved"})),
            &[("If-Match", "\"v0\"")],
        );
        assert_eq!(r.status, 200);
    }
    let dump = dir.path().join("store.json");
    let d = |p: &std::path::Path| p.to_str().unwrap().to_string();
    let out = common::feedmap_ok(&["export", "--data-dir", &d(&data), "--out", &d(&dump)]);
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("exported 3 decisions, 1 feeds, 0 parameter sets, 4 audit entries"));
    common::feedmap_ok(&["import", "--store", &db.url, &d(&dump)]);
    // Importing twice is refused: the store is no longer empty.
    let out = common::feedmap(&["import", "--store", &db.url, &d(&dump)]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not empty"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A server on PostgreSQL now shows exactly what the SQLite one had.
    let s = replica(&db.url, &tokens);
    let (_, list) = s.get("/v1/decisions");
    assert_eq!(list["count"], 3);
    assert_eq!(s.get("/v1/feeds/DV01-X").1["handle"], "@Moved");
    assert_eq!(s.get("/v1/audit").1["count"], 4);
    let again = dir.path().join("again.json");
    common::feedmap_ok(&["export", "--store", &db.url, "--out", &d(&again)]);
    let strip = |p: &std::path::Path| {
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("exported_at");
        v.as_object_mut().unwrap().remove("generation");
        v
    };
    assert_eq!(strip(&dump), strip(&again));
    // A wrong file is refused by name.
    std::fs::write(dir.path().join("x.json"), "{\"format\": \"other\"}").unwrap();
    let out = common::feedmap(&[
        "import",
        "--data-dir",
        &d(&dir.path().join("d2")),
        &d(&dir.path().join("x.json")),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a feedmap export"));
}
