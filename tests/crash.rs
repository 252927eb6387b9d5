//! The crash test: clients send 10,000 writes while the server is killed
//! with SIGKILL at a random moment and restarted. Every write that got a
//! 2xx must be there afterwards, the database must open cleanly, and the
//! audit log must match the data. Run on the embedded SQLite store and on
//! PostgreSQL.

use crate::common;

use crate::common::{call, tokens_file, Server, PLANNER};
use feedmap::store::{Location, Store};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

const WRITES: usize = 10_000;
const CLIENTS: usize = 4;

/// What the clients were told succeeded.
#[derive(Default)]
struct Acked {
    feeds: Vec<(String, String)>,
    /// (decision id, version, note) of every acknowledged change.
    notes: Vec<(i64, i64, String)>,
    refused: usize,
}

/// The demo's community ids, read through the library.
fn areas() -> Vec<String> {
    let region = feedmap::Source::load(&common::demo_region())
        .map(|s| s.region)
        .unwrap();
    let (_, communities) = region.layer("communities").unwrap();
    communities.areas.iter().map(|a| a.id.clone()).collect()
}

/// A tiny deterministic generator (the seed is printed, so a failure can
/// be replayed with FEEDMAP_CRASH_SEED).
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn run(test: &str, serve_args: Vec<String>, open: impl Fn() -> Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let tokens = tokens_file(dir.path());
    let mut args = serve_args;
    args.extend(["--tokens".into(), tokens.to_str().unwrap().into()]);
    let args_ref = || args.iter().map(String::as_str).collect::<Vec<_>>();
    let areas = areas();
    let server = Server::start_with(&common::demo_region(), &args_ref());
    let base = Arc::new(RwLock::new(server.base.clone()));
    // Each client owns one decision and changes its note with If-Match.
    let decisions: Vec<i64> = (0..CLIENTS)
        .map(|c| {
            let r = call(
                &server.base,
                "POST",
                "/v1/decisions",
                Some(PLANNER),
                Some(&json!({"layer": "communities", "area_id": areas[c], "decision": "defer"})),
                &[],
            );
            assert_eq!(r.status, 201, "{}", r.json);
            r.json["id"].as_i64().unwrap()
        })
        .collect();
    let seed = std::env::var("FEEDMAP_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    let mut rng = seed;
    let done = Arc::new(Mutex::new(0usize));
    let acked = Arc::new(Mutex::new(Acked::default()));
    let started = Instant::now();
    let server = Arc::new(Mutex::new(server));
    // The killer: waits until a random share (10–60 %) of the writes is
    // done, kills the server with SIGKILL, restarts it on the same data.
    let kill_at = WRITES / 10 + (next(&mut rng) as usize % (WRITES / 2));
    let killer = {
        let (server, base, done) = (server.clone(), base.clone(), done.clone());
        let args = args.clone();
        std::thread::spawn(move || {
            while *done.lock().unwrap() < kill_at {
                std::thread::sleep(Duration::from_micros(200));
            }
            let mut s = server.lock().unwrap();
            s.child.kill().unwrap(); // SIGKILL
            s.child.wait().unwrap();
            let killed_after = *done.lock().unwrap();
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            *s = Server::start_with(&common::demo_region(), &a);
            *base.write().unwrap() = s.base.clone();
            killed_after
        })
    };
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (base, done, acked, areas) = (base.clone(), done.clone(), acked.clone(), areas.clone());
            let decision = decisions[c];
            std::thread::spawn(move || {
                let mut version = 1i64;
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .unwrap();
                for i in (c..WRITES).step_by(CLIENTS) {
                    let b = base.read().unwrap().clone();
                    let result = if i % 4 != 0 {
                        let note = format!("note {i}");
                        client
                            .patch(format!("{b}/v1/decisions/{decision}"))
                            .bearer_auth(PLANNER)
                            .header("If-Match", format!("\"v{version}\""))
                            .json(&json!({"note": note}))
                            .send()
                            .map(|r| (r.status().as_u16(), r.json::<Value>().unwrap_or(Value::Null)))
                    } else {
                        client
                            .post(format!("{b}/v1/feeds"))
                            .bearer_auth(PLANNER)
                            .json(&json!({
                                "feed_id": format!("crash-{i}"), "platform": "x",
                                "handle": format!("@crash{i}"), "url": format!("https://x.example/crash{i}"),
                                "layer": "communities", "area_id": areas[i % areas.len()],
                            }))
                            .send()
                            .map(|r| (r.status().as_u16(), r.json::<Value>().unwrap_or(Value::Null)))
                    };
                    let mut a = acked.lock().unwrap();
                    match result {
                        Ok((200, v)) => {
                            version = v["version"].as_i64().unwrap();
                            a.notes.push((decision, version, v["note"].as_str().unwrap().to_string()));
                        }
                        Ok((201, v)) => a.feeds.push((
                            v["feed_id"].as_str().unwrap().to_string(),
                            v["handle"].as_str().unwrap().to_string(),
                        )),
                        Ok((412, _)) => {
                            // A change committed just before the kill, whose
                            // answer was lost: read the version again.
                            a.refused += 1;
                            drop(a);
                            let r = call(&base.read().unwrap(), "GET", &format!("/v1/decisions/{decision}"), None, None, &[]);
                            version = r.json["version"].as_i64().unwrap_or(version);
                        }
                        Ok((status, v)) => panic!("write {i}: unexpected {status}: {v}"),
                        Err(_) => {
                            // The server is down: not acknowledged; wait
                            // for the restart.
                            a.refused += 1;
                            drop(a);
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                    *done.lock().unwrap() += 1;
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    let killed_after = killer.join().unwrap();
    let elapsed = started.elapsed();
    // Stop the server the hard way too, then open the store directly.
    {
        let mut s = server.lock().unwrap();
        s.child.kill().unwrap();
        s.child.wait().unwrap();
    }
    let store = open();
    let acked = acked.lock().unwrap();
    eprintln!(
        "{test}: {WRITES} writes in {:.1} s, SIGKILL after {killed_after} (seed {seed}); {} feeds and {} notes acknowledged, {} not",
        elapsed.as_secs_f64(),
        acked.feeds.len(),
        acked.notes.len(),
        acked.refused
    );
    assert!(acked.feeds.len() + acked.notes.len() + acked.refused == WRITES);
    assert!(
        acked.feeds.len() + acked.notes.len() > WRITES / 2,
        "most writes land"
    );
    // Every acknowledged write is there.
    let feeds: HashMap<String, feedmap::store::StoredFeed> = store
        .feeds()
        .unwrap()
        .into_iter()
        .map(|f| (f.feed_id.clone(), f))
        .collect();
    for (id, handle) in &acked.feeds {
        let f = feeds
            .get(id)
            .unwrap_or_else(|| panic!("acknowledged feed {id} is missing"));
        assert_eq!(&f.entry.fields.handle, handle);
    }
    let audit = store.audit(0, 1_000_000).unwrap();
    assert!(audit.windows(2).all(|w| w[0].seq < w[1].seq));
    for (id, version, note) in &acked.notes {
        let d = store.decision(*id).unwrap().unwrap();
        assert!(
            d.meta.version >= *version,
            "decision {id} lost version {version}"
        );
        assert!(
            audit.iter().any(|e| e.entity_id == id.to_string()
                && e.after
                    .as_ref()
                    .is_some_and(|a| a["version"] == *version && a["note"] == *note)),
            "acknowledged change {id} v{version} is not in the audit log"
        );
    }
    // The audit log matches the data: replaying each record's last entry
    // gives the record, one creation per feed, one update per version.
    let mut last: HashMap<(String, String), &Value> = HashMap::new();
    for e in &audit {
        if let Some(after) = &e.after {
            last.insert((e.entity.clone(), e.entity_id.clone()), after);
        }
    }
    for f in feeds.values() {
        assert_eq!(
            last[&("feed".into(), f.feed_id.clone())],
            &serde_json::to_value(f).unwrap()
        );
    }
    let creates = audit.iter().filter(|e| e.action == "feed.create").count();
    assert_eq!(
        creates,
        feeds.len(),
        "one audit entry per feed created, no more, no less"
    );
    for d in store.decisions().unwrap() {
        assert_eq!(
            last[&("decision".into(), d.id.to_string())],
            &serde_json::to_value(&d).unwrap()
        );
        let updates = audit
            .iter()
            .filter(|e| e.action == "decision.update" && e.entity_id == d.id.to_string())
            .count();
        assert_eq!(updates as i64, d.meta.version - 1);
    }
    assert_eq!(
        audit.len(),
        feeds.len()
            + CLIENTS
            + store
                .decisions()
                .unwrap()
                .iter()
                .map(|d| d.meta.version as usize - 1)
                .sum::<usize>()
    );
}

#[test]
fn sqlite_keeps_every_acknowledged_write_through_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    run(
        "sqlite",
        vec!["--data-dir".into(), data.to_str().unwrap().into()],
        || {
            // The database opens cleanly: sound, in WAL mode.
            let conn = rusqlite::Connection::open(data.join("feedmap.sqlite")).unwrap();
            let check: String = conn
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            assert_eq!(check, "ok");
            Location::Sqlite(data.clone()).open().unwrap()
        },
    );
}

#[test]
#[cfg_attr(
    feedmap_no_postgres,
    ignore = "needs PostgreSQL: set FEEDMAP_TEST_POSTGRES to the URL of a role that may create databases"
)]
fn postgres_keeps_every_acknowledged_write_through_sigkill() {
    let Some(db) = common::postgres("crash") else {
        return;
    };
    run("postgres", vec!["--store".into(), db.url.clone()], || {
        Location::Postgres(db.url.clone()).open().unwrap()
    });
}
