//! The resident question: answers counted without personal data, used as
//! evidence in the plan; bursts held; windows excluded; nothing lost on a
//! SIGKILL.
//!
//! Synthetic: the Trafford simulation's answers are made up by a seeded
//! generator. Each comes from a real Trafford postcode (or that
//! postcode's centroid as a tapped point) and gives as its place the
//! House of Commons Library name of the postcode's MSOA
//! (`msoa_hcl_name` in `trafford_postcodes.csv`), typed the way people
//! type (capitals, stray spaces), or nothing, or the ward's name. Residents
//! of Bucklow-St Martins are made five times as likely to answer and more
//! likely to follow. The boundaries, residents and postcodes are real.

use crate::common::{self, call, tokens_file, Server, PLANNER};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A tiny deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in 0..1.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The Trafford 2023 region with its postcodes, asking the question.
fn trafford_with_question(data: &Path) -> tempfile::TempDir {
    common::region_dir(&format!(
        "{}\n[question]\nmin_count = 10\n",
        common::trafford_manifest(data, 2023)
    ))
}

/// One simulated answer: the body, and what it must never leave at rest.
struct Simulated {
    body: Value,
    client: String,
    secrets: Vec<String>,
}

/// Makes `n` answers (seeded): names follow the MSOA local names, with
/// `keen` (a ward code) five times as likely to answer.
fn simulate(data: &Path, n: usize, keen: &str, seed: u64) -> Vec<Simulated> {
    let postcodes = common::postcodes(data);
    let weights: Vec<f64> = postcodes
        .iter()
        .map(|p| if p.ward_code == keen { 5.0 } else { 1.0 })
        .collect();
    let total: f64 = weights.iter().sum();
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut pick = rng.unit() * total;
        let mut k = 0;
        while k + 1 < postcodes.len() && pick >= weights[k] {
            pick -= weights[k];
            k += 1;
        }
        let p = &postcodes[k];
        let is_keen = p.ward_code == keen;
        // The name as typed: never already in normal form (it has capitals
        // or stray spaces), so finding it at rest would mean raw text was
        // kept.
        let roll = rng.unit();
        let name = if roll < 0.8 {
            match rng.next() % 3 {
                0 => format!("  {}", p.msoa_hcl_name),
                1 => p.msoa_hcl_name.to_uppercase(),
                _ => format!("{} ", p.msoa_hcl_name.replace(' ', "  ")),
            }
        } else {
            String::new()
        };
        let follow = {
            let f = rng.unit();
            let yes = if is_keen { 0.75 } else { 0.45 };
            if f < yes {
                "yes"
            } else if f < yes + 0.2 {
                "not_sure"
            } else {
                "no"
            }
        };
        let mut platforms = Vec::new();
        if rng.unit() < 0.65 {
            platforms.push("facebook");
        }
        if rng.unit() < 0.25 {
            platforms.push("x");
        }
        if rng.unit() < 0.2 {
            platforms.push("nextdoor");
        }
        let typed_postcode = p.postcode.to_lowercase().replace(' ', "");
        let mut body = json!({ "follow": follow, "platforms": platforms });
        if !name.is_empty() {
            body["name"] = json!(name);
        }
        let by_point = rng.unit() < 0.3;
        if by_point {
            body["lon"] = json!(p.lon);
            body["lat"] = json!(p.lat);
        } else {
            body["postcode"] = json!(typed_postcode);
        }
        let client = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        let mut secrets = vec![p.postcode.clone(), typed_postcode, client.clone()];
        if !name.trim().is_empty() {
            secrets.push(name.clone());
        }
        if by_point {
            secrets.push(p.lon.to_string());
            secrets.push(p.lat.to_string());
        }
        out.push(Simulated {
            body,
            client,
            secrets,
        });
    }
    out
}

/// Posts every answer from its own client (a trusted proxy's
/// `X-Forwarded-For`), on `threads` threads; the statuses, in order.
fn post_all(base: &str, answers: &[Simulated], threads: usize) -> Vec<u16> {
    let statuses = Arc::new(Mutex::new(vec![0u16; answers.len()]));
    std::thread::scope(|s| {
        for t in 0..threads {
            let statuses = statuses.clone();
            s.spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .unwrap();
                for i in (t..answers.len()).step_by(threads) {
                    let a = &answers[i];
                    let r = client
                        .post(format!("{base}/v1/question/answers"))
                        .header("X-Forwarded-For", &a.client)
                        .json(&a.body)
                        .send()
                        .unwrap();
                    statuses.lock().unwrap()[i] = r.status().as_u16();
                }
            });
        }
    });
    Arc::try_unwrap(statuses).unwrap().into_inner().unwrap()
}

fn get_text(base: &str, path: &str) -> (u16, String) {
    let r = reqwest::blocking::get(format!("{base}{path}")).unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

/// Every text cell of every table of the SQLite store, one string.
fn everything_at_rest(db: &Path) -> String {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert!(tables.iter().any(|t| t == "voice_counts"), "{tables:?}");
    let mut all = String::new();
    for t in &tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let cols = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for c in 0..cols {
                let v: rusqlite::types::Value = row.get(c).unwrap();
                match v {
                    rusqlite::types::Value::Text(s) => all.push_str(&s),
                    rusqlite::types::Value::Blob(b) => all.push_str(&String::from_utf8_lossy(&b)),
                    rusqlite::types::Value::Integer(i) => all.push_str(&i.to_string()),
                    rusqlite::types::Value::Real(f) => all.push_str(&f.to_string()),
                    rusqlite::types::Value::Null => {}
                }
                all.push('\u{1f}');
            }
            all.push('\n');
        }
    }
    all
}

/// The acceptance: 3,000 simulated answers on Trafford. The area with more
/// interest gains the voice factor and carries the residents' name; with
/// the factor off the plan is byte for byte the plan before any answer;
/// nothing personal is at rest in any table or in the export.
#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data (FEEDMAP_DATA or ../shared/data/gm)"
)]
fn trafford_simulation_moves_the_plan_and_keeps_nothing_personal() {
    let Some(data) =
        common::gm_data("trafford_simulation_moves_the_plan_and_keeps_nothing_personal")
    else {
        return;
    };
    let region = trafford_with_question(&data);
    let store = tempfile::tempdir().unwrap();
    // 3,000 answers in seconds, which a real region gets over weeks: the
    // burst detector (tested on its own below) is set not to fire on them.
    let server = Server::start_with(
        region.path(),
        &[
            "--data-dir",
            store.path().to_str().unwrap(),
            "--question-burst-min",
            "100000",
        ],
    );
    let (status, before) = get_text(&server.base, "/v1/plan");
    assert_eq!(status, 200, "{before}");
    let keen = common::ward_id(&data, 2023, "Bucklow-St Martins");
    let answers = simulate(&data, 3000, &keen, 0x5eed_2026);
    let statuses = post_all(&server.base, &answers, 8);
    let accepted = statuses.iter().filter(|s| **s == 202).count();
    assert_eq!(
        accepted,
        3000,
        "statuses: {:?}",
        statuses.iter().collect::<std::collections::BTreeSet<_>>()
    );

    // With the factor off: byte for byte the plan before any answer.
    let (_, off) = get_text(&server.base, "/v1/plan?voice=false");
    assert_eq!(off, before, "the plan with voice=false changed");

    // With it on: the keen area's suggestion gains the factor and the
    // residents' name.
    let (status, on) = get_text(&server.base, "/v1/plan");
    assert_eq!(status, 200);
    assert_ne!(on, before);
    let plan: Value = serde_json::from_str(&on).unwrap();
    let suggestions = common::suggestions(&plan);
    let keen_ones: Vec<&&Value> = suggestions
        .iter()
        .filter(|s| {
            s["id"] == keen.as_str()
                || s["members"]
                    .as_array()
                    .is_some_and(|m| m.iter().any(|m| m["id"] == keen.as_str()))
        })
        .collect();
    assert!(!keen_ones.is_empty(), "no suggestion covers {keen}");
    let best_other = suggestions
        .iter()
        .filter(|s| !keen_ones.iter().any(|k| k["id"] == s["id"]))
        .map(|s| s["factors"]["voice"].as_f64().unwrap())
        .fold(0.0, f64::max);
    for s in &keen_ones {
        let v = s["factors"]["voice"].as_f64().unwrap();
        assert!(v > best_other, "{}: voice {v} ≤ {best_other}", s["id"]);
        let reason = s["reason"].as_str().unwrap();
        assert!(
            reason.contains("residents answered") && reason.contains("call it Partington"),
            "{reason}"
        );
        println!("{} ({}): voice {v:.3}; {reason}", s["id"], s["name"]);
    }
    println!("best voice elsewhere {best_other:.3}");
    // The residents' name goes to one suggestion of the neighbourhood: the
    // one where most answers give it (the settlement the plan had called
    // after the ward).
    let named: Vec<&&&Value> = keen_ones
        .iter()
        .filter(|s| s["name"] == "Partington")
        .collect();
    assert_eq!(named.len(), 1, "{keen_ones:#?}");
    assert_eq!(named[0]["kind"], "settlement");
    assert_eq!(
        named[0]["voice"]["name"]["replaces"],
        "Settlement in Bucklow-St Martins"
    );
    for h in plan["neighbourhoods"].as_array().unwrap() {
        let names: Vec<&str> = h["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        let distinct: BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(distinct.len(), names.len(), "{names:?}");
    }
    // The command line plans with the same answers from the store.
    let cli = common::feedmap_ok(&[
        "plan",
        "--region",
        region.path().to_str().unwrap(),
        "--data-dir",
        store.path().to_str().unwrap(),
    ]);
    let cli: Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(cli, plan, "feedmap plan and GET /v1/plan differ");

    // Refused: text that looks like contact details.
    for (name, field) in [
        ("call me on 07700 900123", "name"),
        ("jo.bloggs@example.com", "name"),
    ] {
        let r = common::answer_question(
            &server.base,
            &json!({ "postcode": "M33 7XT", "name": name, "follow": "yes" }),
            "198.51.100.1",
        );
        assert_eq!(r.status, 400, "{name}: {}", r.json);
        assert!(
            r.json["detail"].as_str().unwrap().starts_with(field),
            "{}",
            r.json
        );
    }

    // Nothing personal at rest: every table, and the export.
    let at_rest = everything_at_rest(&store.path().join("feedmap.sqlite"));
    let out = common::feedmap_ok(&["export", "--data-dir", store.path().to_str().unwrap()]);
    let export = String::from_utf8(out.stdout).unwrap();
    assert!(export.contains("voice"), "the export has no answers");
    let mut checked = BTreeSet::new();
    for a in &answers {
        for secret in &a.secrets {
            if checked.insert(secret.clone()) {
                assert!(!at_rest.contains(secret.as_str()), "{secret:?} is stored");
                assert!(!export.contains(secret.as_str()), "{secret:?} is exported");
            }
        }
    }
    assert!(!at_rest.contains("127.0.0.1") && !export.contains("127.0.0.1"));
    println!(
        "{} distinct postcodes, addresses, points and typed names looked for at rest: none found",
        checked.len()
    );
    // What is kept is counts: the normalised names.
    assert!(at_rest.contains("partington"));

    // Public figures respect the minimum.
    let (_, areas) = server.get("/v1/question/areas?layer=wards");
    for a in areas["areas"].as_array().unwrap() {
        assert!(a["answers"].as_u64().unwrap() >= 10, "{a}");
        for n in a["names"].as_array().unwrap() {
            assert!(n["count"].as_u64().unwrap() >= 10, "{a}");
        }
    }
}

/// A point inside the demo's first community and the small area answers
/// there are counted in.
fn demo_point(base: &str) -> (f64, f64, String, String) {
    let region = feedmap::Source::load(&common::demo_region())
        .map(|s| s.region)
        .unwrap();
    let layer = region
        .layers
        .iter()
        .find(|l| l.role == feedmap::manifest::Role::Community)
        .unwrap();
    let p = geo::InteriorPoint::interior_point(&layer.areas[0].geometry).unwrap();
    let r = common::answer_question(
        base,
        &json!({ "lon": p.x(), "lat": p.y(), "name": "Riverside", "follow": "yes", "platforms": ["facebook"] }),
        "198.51.100.250",
    );
    assert_eq!(r.status, 202, "{}", r.json);
    (
        p.x(),
        p.y(),
        r.json["area"]["layer"].as_str().unwrap().to_string(),
        r.json["area"]["id"].as_str().unwrap().to_string(),
    )
}

/// One answer at a point from `client`; the status.
fn answer_at(base: &str, lon: f64, lat: f64, name: &str, client: &str) -> u16 {
    common::answer_question(base, &json!({ "lon": lon, "lat": lat, "name": name, "follow": "yes", "platforms": ["facebook"] }), client)
    .status
}

/// The public figures of one area of a layer (`Null` when none shown).
fn figures_of(server: &Server, layer: &str, id: &str) -> Value {
    let (status, v) = server.get(&format!("/v1/question/areas?layer={layer}"));
    assert_eq!(status, 200, "{v}");
    v["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .cloned()
        .unwrap_or(Value::Null)
}

/// A burst of 500 answers from one client in one area: throttled after
/// the day's allowance, the area held for review at the detector's
/// minimum, and excluding it restores the counts from before. A window
/// excluded by hand and restored, all audited.
#[test]
fn a_burst_is_throttled_held_and_excluded() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = tokens_file(dir.path());
    let server = Server::start_with(
        &common::demo_region(),
        &[
            "--tokens",
            tokens.to_str().unwrap(),
            "--question-bucket",
            "1s",
            "--question-burst-window",
            "2s",
        ],
    );
    let (lon, lat, layer, area) = demo_point(&server.base);
    let t0 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 1;
    for i in 0..24 {
        assert_eq!(
            answer_at(
                &server.base,
                lon,
                lat,
                "Riverside",
                &format!("198.51.100.{i}")
            ),
            202
        );
    }
    let before = figures_of(&server, &layer, &area);
    assert_eq!(before["answers"], 25, "{before}");
    assert_eq!(before["names"][0]["count"], 25, "{before}");
    assert_eq!(before["names"][0]["name"], "riverside", "{before}");
    // Past the bucket and the detector's window.
    std::thread::sleep(Duration::from_millis(2600));

    let mut statuses = std::collections::BTreeMap::new();
    let mut retry_after = None;
    let client = reqwest::blocking::Client::new();
    for _ in 0..500 {
        let r = client
            .post(format!("{}/v1/question/answers", server.base))
            .header("X-Forwarded-For", "203.0.113.7")
            .json(&json!({ "lon": lon, "lat": lat, "name": "Spam Town", "follow": "no" }))
            .send()
            .unwrap();
        if r.status() == 429 {
            retry_after = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
        }
        *statuses.entry(r.status().as_u16()).or_insert(0) += 1;
    }
    println!("500 answers from one client: {statuses:?}");
    // The day's allowance: 5, fewer than the minimum count.
    assert_eq!(statuses.get(&202), Some(&5), "{statuses:?}");
    assert_eq!(statuses.get(&429), Some(&495), "{statuses:?}");
    assert!(retry_after.is_some_and(|s| s.parse::<u64>().unwrap() > 0));

    let holds = common::question_holds(&server.base);
    assert_eq!(holds.status, 200, "{}", holds.json);
    let hold = &holds.json["holds"][0];
    assert_eq!(hold["status"], "held", "{}", holds.json);
    assert_eq!(hold["layer"], layer.as_str());
    assert_eq!(hold["area_id"], area.as_str());
    assert!(hold["attempts"].as_i64().unwrap() >= 50, "{hold}");
    let since = hold["since"].as_i64().unwrap();
    let utc = hold["since_utc"].as_str().unwrap();
    assert!(utc.ends_with('Z') && utc.len() == 20, "{hold}");
    assert_eq!(
        feedmap::calendar::day_number(&utc[..10]),
        Some(since.div_euclid(86_400)),
        "{hold}"
    );
    // Holds are for planners only.
    assert_eq!(
        call(&server.base, "GET", "/v1/question/holds", None, None, &[]).status,
        401
    );
    let during = figures_of(&server, &layer, &area);
    assert_eq!(
        during["answers"], 30,
        "the 5 admitted before the hold: {during}"
    );

    // Another resident answering while the area is held is told so.
    let r = common::answer_question(
        &server.base,
        &json!({ "lon": lon, "lat": lat, "follow": "yes" }),
        "198.51.100.99",
    );
    assert_eq!(r.status, 202, "{}", r.json);
    assert_eq!(r.json["counted"], false, "{}", r.json);
    assert!(r.json["message"]
        .as_str()
        .unwrap()
        .contains("checked before"));
    assert_eq!(figures_of(&server, &layer, &area)["answers"], 30);

    let id = hold["id"].as_i64().unwrap();
    let version = hold["version"].as_i64().unwrap();
    let r = call(
        &server.base,
        "POST",
        &format!("/v1/question/holds/{id}"),
        Some(PLANNER),
        Some(&json!({ "decision": "exclude" })),
        &[("If-Match", &format!("\"v{version}\""))],
    );
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "excluded");
    assert_eq!(figures_of(&server, &layer, &area), before);
    // The burst's attempts are forgotten with the decision: the next
    // genuine answer is counted, not held again.
    std::thread::sleep(Duration::from_millis(1100));
    let r = common::answer_question(
        &server.base,
        &json!({ "lon": lon, "lat": lat, "follow": "yes", "name": "Riverside", "platforms": ["facebook"] }),
        "198.51.100.100",
    );
    assert_eq!(r.json["counted"], true, "{}", r.json);
    let holds = common::question_holds(&server.base);
    assert_eq!(
        holds.json["holds"].as_array().unwrap().len(),
        1,
        "{}",
        holds.json
    );
    let before = figures_of(&server, &layer, &area);
    assert_eq!(before["answers"], 26, "{before}");

    // A window excluded by hand, then restored.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let r = call(
        &server.base,
        "POST",
        "/v1/question/exclusions",
        Some(PLANNER),
        Some(
            &json!({ "layer": layer, "area": area, "from": t0, "to": now + 1, "reason": "a leaflet drop counted twice" }),
        ),
        &[],
    );
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(figures_of(&server, &layer, &area), Value::Null);
    for e in r.json["exclusions"].as_array().unwrap() {
        let r = call(
            &server.base,
            "DELETE",
            &format!("/v1/question/exclusions/{}", e["id"]),
            Some(PLANNER),
            None,
            &[],
        );
        assert_eq!(r.status, 200, "{}", r.json);
    }
    assert_eq!(figures_of(&server, &layer, &area), before);

    let audit = call(
        &server.base,
        "GET",
        "/v1/audit?limit=1000",
        Some(PLANNER),
        None,
        &[],
    );
    let actions: Vec<&str> = audit.json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| a.starts_with("voice."))
        .collect();
    assert_eq!(
        actions,
        [
            "voice.held",
            "voice.excluded",
            // The burst's window, left out with the hold.
            "voice.window_excluded",
            "voice.window_excluded",
            "voice.window_restored"
        ],
        "{}",
        audit.json
    );
    // None of it in the public change feed.
    let (_, changes) = server.get("/v1/changes");
    assert!(!changes.to_string().contains("voice"), "{changes}");
}

/// Answers acknowledged before a SIGKILL are all counted after it.
fn survives_sigkill(
    test: &str,
    serve_args: Vec<String>,
    open: impl Fn() -> std::sync::Arc<dyn feedmap::store::Store>,
) {
    let args: Vec<&str> = serve_args.iter().map(String::as_str).collect();
    let server = Server::start_with(&common::demo_region(), &args);
    let (lon, lat, _, _) = demo_point(&server.base);
    let acked = Arc::new(Mutex::new(1usize)); // demo_point's answer
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let base = server.base.clone();
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let (acked, stop, base) = (acked.clone(), stop.clone(), base.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .unwrap();
                let mut i = 0u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    i += 1;
                    let r = client
                        .post(format!("{base}/v1/question/answers"))
                        .header(
                            "X-Forwarded-For",
                            format!("10.{c}.{}.{}", i >> 8 & 255, i & 255),
                        )
                        .json(&json!({ "lon": lon, "lat": lat, "follow": "yes" }))
                        .send();
                    match r {
                        Ok(r) if r.status() == 202 => *acked.lock().unwrap() += 1,
                        Ok(r) => assert!(r.status().is_server_error(), "{}", r.status()),
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    while *acked.lock().unwrap() < 1500 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut server = server;
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    let acked = *acked.lock().unwrap();
    let counted: i64 = open()
        .voice()
        .unwrap()
        .counts
        .iter()
        .filter(|c| c.kind == feedmap::store::VoiceKind::Answers)
        .map(|c| c.n)
        .sum();
    println!("{test}: {acked} answers acknowledged before SIGKILL, {counted} counted after");
    assert!(
        counted as usize >= acked,
        "{test}: {acked} acknowledged, {counted} counted"
    );
    // A few may have committed without their acknowledgement arriving.
    assert!(
        counted as usize <= acked + 4 * 512,
        "{test}: {counted} counted"
    );
}

#[test]
fn sqlite_keeps_every_acknowledged_answer_through_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    survives_sigkill(
        "sqlite",
        vec!["--data-dir".into(), data.to_str().unwrap().into()],
        || {
            feedmap::store::Location::Sqlite(data.clone())
                .open()
                .unwrap()
        },
    );
}

#[test]
#[cfg_attr(
    feedmap_no_postgres,
    ignore = "needs PostgreSQL: set FEEDMAP_TEST_POSTGRES to the URL of a role that may create databases"
)]
fn postgres_keeps_every_acknowledged_answer_through_sigkill() {
    let Some(db) = common::postgres("question_crash") else {
        return;
    };
    survives_sigkill("postgres", vec!["--store".into(), db.url.clone()], || {
        feedmap::store::Location::Postgres(db.url.clone())
            .open()
            .unwrap()
    });
}

/// The desk's pieces (tested here rather than inside the server crate,
/// so `cargo test` builds that crate once): a client is limited per UTC
/// day and forgotten at midnight; bursts are counted per area and window.
#[test]
fn clients_are_limited_per_day_and_bursts_counted_per_area() {
    use feedmap::question::{Bursts, ClientLimit, CountError};
    let l = ClientLimit::new(3);
    let a: std::net::IpAddr = "192.0.2.1".parse().unwrap();
    let b: std::net::IpAddr = "192.0.2.2".parse().unwrap();
    let t = 1_800_000_000 - 1_800_000_000 % 86_400 + 100;
    for _ in 0..3 {
        l.admit(a, t).unwrap();
    }
    assert!(matches!(l.admit(a, t), Err(CountError::Throttled(3))));
    l.admit(b, t).unwrap();
    // The next UTC day: a new key, nothing remembered.
    l.admit(a, t + 86_400).unwrap();

    let bursts = Bursts::default();
    for i in 0..5 {
        assert_eq!(bursts.note("oa", "A", 1000 + i, 600), i + 1);
    }
    assert_eq!(bursts.note("oa", "B", 1004, 600), 1);
    // A new window after 600 s.
    assert_eq!(bursts.note("oa", "A", 1600, 600), 1);
    assert_eq!(bursts.started("oa", "A"), Some(1600));
}
