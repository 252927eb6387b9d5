//! Webhooks: deliveries to a receiver on loopback are signed (HMAC-SHA256
//! over `t.body` with the hook's secret), filtered by kind and area, and
//! arrive at least once and in order per hook even when the server is
//! killed with SIGKILL in the middle of them and restarted; a receiver
//! answering 500 gets retries, then the hook is paused and shown so, and
//! resuming it delivers everything queued meanwhile, in order. On the
//! SQLite store and on PostgreSQL. An integrator's token manages its own
//! webhooks and nothing else; a test delivery (`ping`) arrives signed.

use crate::common;

use crate::common::{call, tokens_file, Server, INTEGRATOR, INTEGRATOR_B, PLANNER, READER};
use hmac::{KeyInit, Mac};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET_A: &str = "secret-of-hook-a-0123456789";
const SECRET_B: &str = "secret-of-hook-b-0123456789";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Got {
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }
}

/// A webhook receiver on loopback: records every request, answers with
/// the status it is set to, after a delay.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Got>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    fn start(status: u16, delay_ms: u64) -> Receiver {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(status));
        let (g, s) = (got.clone(), status.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (g, s) = (g.clone(), s.clone());
                std::thread::spawn(move || {
                    let _ = serve_one(stream, &g, &s, delay_ms);
                });
            }
        });
        Receiver { url, got, status }
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }
}

fn serve_one(
    stream: std::net::TcpStream,
    got: &Mutex<Vec<Got>>,
    status: &AtomicU16,
    delay_ms: u64,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    assert!(line.starts_with("POST /hook "), "{line:?}");
    let mut headers = HashMap::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').unwrap();
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    let n: usize = headers["content-length"].parse().unwrap();
    let mut body = vec![0; n];
    reader.read_exact(&mut body)?;
    got.lock().unwrap().push(Got { headers, body });
    std::thread::sleep(Duration::from_millis(delay_ms));
    let code = status.load(Ordering::SeqCst);
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
}

/// The signature header checked against the body with the secret.
fn verify(g: &Got, secret: &str) {
    let sig = g.header("feedmap-signature");
    let (t, v1) = sig
        .split_once(',')
        .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
        .unwrap_or_else(|| panic!("bad signature header {sig:?}"));
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(&g.body);
    let want: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        v1,
        want,
        "signature of {}",
        String::from_utf8_lossy(&g.body)
    );
}

/// The store arguments for a test: a data directory (SQLite) or a fresh
/// PostgreSQL database; `None` when PostgreSQL is not configured.
struct Store {
    args: Vec<String>,
    _dir: Option<tempfile::TempDir>,
    _pg: Option<common::PgDb>,
}

fn store(test: &str, pg: bool) -> Option<Store> {
    if pg {
        let db = common::postgres(test)?;
        Some(Store {
            args: vec!["--store".into(), db.url.clone()],
            _dir: None,
            _pg: Some(db),
        })
    } else {
        let dir = tempfile::tempdir().unwrap();
        Some(Store {
            args: vec!["--data-dir".into(), dir.path().to_str().unwrap().into()],
            _dir: Some(dir),
            _pg: None,
        })
    }
}

fn write(base: &str, method: &str, path: &str, body: Value) -> Value {
    common::planner_write(base, method, path, &body).json
}

fn feed(i: usize, area: &str) -> Value {
    json!({"feed_id": format!("WH-{i}"), "platform": "x", "handle": format!("@Wh{i}"),
           "url": format!("https://x.example/Wh{i}"), "layer": "communities", "area_id": area,
           "name": format!("Webhook test {i}"), "status": "active"})
}

/// Audit entries after `after`: (seq, action, entity id).
fn audit(base: &str, after: i64) -> Vec<(i64, String, String)> {
    let r = call(
        base,
        "GET",
        &format!("/v1/audit?after={after}&limit=1000"),
        Some(PLANNER),
        None,
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.json);
    r.json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["seq"].as_i64().unwrap(),
                e["action"].as_str().unwrap().to_string(),
                e["entity_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The seqs a hook got, in arrival order, each checked: its signature,
/// the hook id in body and header, the kind in body and header.
fn arrivals(got: &[Got], hook: i64, secret: &str) -> Vec<i64> {
    got.iter()
        .filter(|g| g.json()["webhook"] == hook)
        .map(|g| {
            verify(g, secret);
            let v = g.json();
            let seq = v["event"]["seq"].as_i64().unwrap();
            assert_eq!(g.header("feedmap-delivery"), format!("{hook}-{seq}"));
            assert_eq!(
                g.header("feedmap-event"),
                v["event"]["kind"].as_str().unwrap()
            );
            assert_eq!(g.header("content-type"), "application/json");
            seq
        })
        .collect()
}

/// At least once and in order: the first arrival of each seq comes in
/// increasing order and they are exactly `want`; repeats are allowed
/// (after a crash) but only of seqs already seen. Returns the repeats.
fn check_order(what: &str, arrived: &[i64], want: &[i64]) -> usize {
    let mut firsts = Vec::new();
    for &s in arrived {
        if !firsts.contains(&s) {
            firsts.push(s);
        }
    }
    assert!(
        firsts.windows(2).all(|w| w[0] < w[1]),
        "{what}: out of order: {arrived:?}"
    );
    assert_eq!(firsts, want, "{what}: arrived {arrived:?}");
    arrived.len() - firsts.len()
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let t = Instant::now();
    while !done() {
        assert!(t.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn start(dir: &std::path::Path, store: &Store, extra: &[&str]) -> Server {
    let tokens = tokens_file(dir);
    let mut args: Vec<&str> = vec!["--tokens", tokens.to_str().unwrap()];
    args.extend(store.args.iter().map(String::as_str));
    args.extend(extra);
    Server::start_with(&common::demo_region(), &args)
}

fn killed_during_deliveries(test: &str, pg: bool) {
    let Some(store) = store(test, pg) else { return };
    let dir = tempfile::tempdir().unwrap();
    let opts = [
        "--webhook-retry",
        "100ms",
        "--webhook-timeout",
        "2s",
        "--webhook-lease",
        "3s",
    ];
    let receiver = Receiver::start(200, 25);
    let mut server = start(dir.path(), &store, &opts);
    let base = server.base.clone();
    // A: everything. B: feeds added in neighbourhood DV01 (its
    // communities are inside it; DV02-C09 is not).
    let a = write(
        &base,
        "POST",
        "/v1/webhooks",
        json!({ "url": receiver.url, "secret": SECRET_A, "description": "all" }),
    );
    let b = write(
        &base,
        "POST",
        "/v1/webhooks",
        json!({ "url": receiver.url, "secret": SECRET_B, "events": ["feed.added"],
                "areas": [{ "layer": "neighbourhoods", "id": "DV01" }] }),
    );
    let (a, b) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    let from = audit(&base, 0).last().unwrap().0;
    const FEEDS: usize = 40;
    for i in 0..FEEDS {
        let area = if i % 2 == 0 { "DV01-C02" } else { "DV02-C09" };
        write(&base, "POST", "/v1/feeds", feed(i, area));
        if i == FEEDS / 2 {
            write(
                &base,
                "POST",
                "/v1/decisions",
                json!({"layer": "communities", "area_id": "DV01-C06", "decision": "accept", "note": "PC Private Person agrees"}),
            );
        }
    }
    // Kill in the middle of the deliveries, restart on the same store.
    wait_until("10 deliveries", Duration::from_secs(30), || {
        receiver.got().len() >= 10
    });
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let killed_at = receiver.got().len();
    let server = start(dir.path(), &store, &opts);
    let entries = audit(&server.base, from);
    let want_a: Vec<i64> = entries
        .iter()
        .filter(|e| e.1 == "feed.create" || e.1 == "decision.create")
        .map(|e| e.0)
        .collect();
    let want_b: Vec<i64> = entries
        .iter()
        .filter(|e| e.1 == "feed.create")
        .filter(|e| e.2[3..].parse::<usize>().unwrap() % 2 == 0)
        .map(|e| e.0)
        .collect();
    assert_eq!((want_a.len(), want_b.len()), (FEEDS + 1, FEEDS / 2));
    wait_until("every event", Duration::from_secs(90), || {
        let got = receiver.got();
        let seen = |h, w: &[i64]| {
            let arrived = arrivals(&got, h, if h == a { SECRET_A } else { SECRET_B });
            w.iter().all(|s| arrived.contains(s))
        };
        seen(a, &want_a) && seen(b, &want_b)
    });
    let got = receiver.got();
    let again_a = check_order("hook A", &arrivals(&got, a, SECRET_A), &want_a);
    let again_b = check_order("hook B", &arrivals(&got, b, SECRET_B), &want_b);
    // B saw only its neighbourhood's feeds; the decision went to A, as a
    // decision without its note or any name.
    for g in got.iter().filter(|g| g.json()["webhook"] == b) {
        let e = &g.json()["event"];
        assert_eq!(e["kind"], "feed.added");
        assert_eq!(e["area_id"], "DV01-C02", "{e}");
    }
    let decision = got
        .iter()
        .map(Got::json)
        .find(|v| v["event"]["kind"] == "decision.made")
        .expect("the decision event");
    assert_eq!(decision["event"]["decision"]["decision"], "accept");
    assert_eq!(decision["event"]["area_id"], "DV01-C06");
    let text = decision.to_string();
    for private in ["Private", "note", "planner"] {
        assert!(!text.contains(private), "{private} in {text}");
    }
    let feed_event = got
        .iter()
        .map(Got::json)
        .find(|v| v["event"]["kind"] == "feed.added")
        .unwrap();
    assert!(feed_event["event"]["feed"]["url"]
        .as_str()
        .unwrap()
        .starts_with("https://x.example/Wh"));
    // Both hooks are caught up and show it.
    wait_until("cursors saved", Duration::from_secs(10), || {
        let r = call(&server.base, "GET", "/v1/webhooks", Some(READER), None, &[]);
        r.json["webhooks"].as_array().unwrap().iter().all(|w| {
            w["delivery"]["after_seq"].as_i64() >= want_a.last().copied()
                && w["delivery"]["failures"] == 0
                && w["status"] == "active"
        })
    });
    println!(
        "{test}: {} deliveries, SIGKILL after {killed_at} arrivals; {} + {} events, {again_a} + {again_b} delivered again after the restart",
        got.len(),
        want_a.len(),
        want_b.len()
    );
}

#[test]
fn deliveries_survive_sigkill_sqlite() {
    killed_during_deliveries("webhooks sigkill sqlite", false);
}

#[test]
#[cfg_attr(
    feedmap_no_postgres,
    ignore = "needs PostgreSQL: set FEEDMAP_TEST_POSTGRES to the URL of a role that may create databases"
)]
fn deliveries_survive_sigkill_postgres() {
    killed_during_deliveries("webhooks sigkill postgres", true);
}

fn hook(base: &str, id: i64) -> (Value, String) {
    let r = call(
        base,
        "GET",
        &format!("/v1/webhooks/{id}"),
        Some(READER),
        None,
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.json);
    let etag = r.etag();
    (r.json, etag)
}

fn failing_receiver(test: &str, pg: bool) {
    let Some(store) = store(test, pg) else { return };
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(500, 0);
    let server = start(
        dir.path(),
        &store,
        &["--webhook-retry", "50ms", "--webhook-max-failures", "3"],
    );
    let base = server.base.clone();
    let created = write(
        &base,
        "POST",
        "/v1/webhooks",
        json!({ "url": receiver.url, "events": ["feed.added", "feed.retired"] }),
    );
    let id = created["id"].as_i64().unwrap();
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.len() >= 32, "{secret}");
    write(&base, "POST", "/v1/feeds", feed(1, "DV01-C02"));
    wait_until("paused", Duration::from_secs(30), || {
        hook(&base, id).0["status"] == "paused"
    });
    // Three attempts at the same event, then paused and shown so.
    let got = receiver.got();
    let seqs = arrivals(&got, id, &secret);
    assert_eq!(seqs.len(), 3, "{seqs:?}");
    assert!(seqs.iter().all(|s| *s == seqs[0]), "{seqs:?}");
    let (h, etag) = hook(&base, id);
    assert_eq!(h["delivery"]["failures"], 3, "{h}");
    assert_eq!(h["delivery"]["last_status"], 500, "{h}");
    assert_eq!(h["delivery"]["delivered"], 0, "{h}");
    assert!(
        h["paused_reason"]
            .as_str()
            .unwrap()
            .contains("3 failed attempts"),
        "{h}"
    );
    assert!(
        h["delivery"]["last_error"]
            .as_str()
            .unwrap()
            .contains("500"),
        "{h}"
    );
    let list = call(&base, "GET", "/v1/webhooks", Some(READER), None, &[]).json;
    assert_eq!(list["paused"], 1, "{list}");
    let paused = audit(&base, 0)
        .into_iter()
        .filter(|e| e.1 == "webhook.pause")
        .count();
    assert_eq!(paused, 1);
    // While paused, events queue; a retired feed and an unwanted change.
    write(&base, "DELETE", "/v1/feeds/WH-1", json!({}));
    write(&base, "POST", "/v1/feeds", feed(2, "DV02-C09"));
    // Mended and resumed: everything queued arrives, in order, once.
    receiver.status.store(204, Ordering::SeqCst);
    let r = call(
        &base,
        "PATCH",
        &format!("/v1/webhooks/{id}"),
        Some(PLANNER),
        Some(&json!({ "status": "active" })),
        &[("If-Match", etag.as_str())],
    );
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["delivery"]["failures"], 0, "{}", r.json);
    wait_until("three delivered", Duration::from_secs(30), || {
        hook(&base, id).0["delivery"]["delivered"] == 3
    });
    let got = receiver.got();
    let kinds: Vec<String> = got[3..]
        .iter()
        .map(|g| {
            verify(g, &secret);
            let v = g.json();
            format!(
                "{} {}",
                v["event"]["kind"].as_str().unwrap(),
                v["event"]["feed_id"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        kinds,
        ["feed.added WH-1", "feed.retired WH-1", "feed.added WH-2"]
    );
    assert_eq!(arrivals(&got[3..], id, &secret)[0], seqs[0]);
    let (h, _) = hook(&base, id);
    assert_eq!(h["status"], "active");
    assert_eq!(h["paused_reason"], Value::Null);
}

#[test]
fn failing_receiver_is_retried_then_paused_sqlite() {
    failing_receiver("webhooks failing sqlite", false);
}

#[test]
#[cfg_attr(
    feedmap_no_postgres,
    ignore = "needs PostgreSQL: set FEEDMAP_TEST_POSTGRES to the URL of a role that may create databases"
)]
fn failing_receiver_is_retried_then_paused_postgres() {
    failing_receiver("webhooks failing postgres", true);
}

#[test]
fn registration_is_checked_and_secrets_stay_secret() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = tokens_file(dir.path());
    let server = Server::start_with(
        &common::demo_region(),
        &["--tokens", tokens.to_str().unwrap()],
    );
    let base = &server.base;
    let post =
        |token, body: Value| call(base, "POST", "/v1/webhooks", Some(token), Some(&body), &[]);
    for (body, field) in [
        (json!({ "url": "ftp://x.example/" }), "url"),
        (json!({ "url": "https://user:pw@x.example/" }), "url"),
        (
            json!({ "url": "https://x.example/", "events": ["feed.exploded"] }),
            "feed.exploded",
        ),
        (
            json!({ "url": "https://x.example/", "areas": [{ "layer": "wards", "id": "W1" }] }),
            "areas[0].layer",
        ),
        (
            json!({ "url": "https://x.example/", "areas": [{ "layer": "communities", "id": "NOPE" }] }),
            "areas[0].id",
        ),
        (
            json!({ "url": "https://x.example/", "secret": "short" }),
            "secret",
        ),
        (
            json!({ "url": "https://x.example/", "colour": "red" }),
            "colour",
        ),
    ] {
        let r = post(PLANNER, body.clone());
        assert_eq!(r.status, 400, "{body}: {}", r.json);
        assert!(
            r.json["detail"].as_str().unwrap().contains(field),
            "{body}: {}",
            r.json
        );
    }
    assert_eq!(
        post(READER, json!({ "url": "https://x.example/" })).status,
        403
    );
    assert_eq!(
        call(base, "GET", "/v1/webhooks", None, None, &[]).status,
        401
    );
    let r = post(
        PLANNER,
        json!({ "url": "https://hooks.invalid/x", "secret": SECRET_A }),
    );
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["secret"], SECRET_A);
    let location = r.headers["location"].to_str().unwrap().to_string();
    // The secret is answered once: not in reads, not in the audit log.
    for path in [location.as_str(), "/v1/webhooks", "/v1/audit"] {
        let r = call(base, "GET", path, Some(PLANNER), None, &[]);
        assert_eq!(r.status, 200, "{path}: {}", r.json);
        assert!(!r.json.to_string().contains(SECRET_A), "{path}: {}", r.json);
    }
    // A stale If-Match is refused; the current one removes it.
    let r = call(
        base,
        "DELETE",
        &location,
        Some(PLANNER),
        None,
        &[("If-Match", "\"v9\"")],
    );
    assert_eq!(r.status, 412, "{}", r.json);
    let r = call(
        base,
        "DELETE",
        &location,
        Some(PLANNER),
        None,
        &[("If-Match", "\"v1\"")],
    );
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        call(base, "GET", &location, Some(PLANNER), None, &[]).status,
        404
    );
    // Decisions are never in the public change feed.
    write(
        base,
        "POST",
        "/v1/decisions",
        json!({"layer": "communities", "area_id": "DV01-C06", "decision": "accept"}),
    );
    let page = call(base, "GET", "/v1/changes", None, None, &[]).json;
    assert_eq!(page["count"], 0, "{page}");
}

/// Retry timing, signatures, URLs and secrets, through the server crate's
/// public API (tested here rather than inside the crate, so `cargo test`
/// builds that crate once).
mod pieces {
    use feedmap::webhooks::{check_url, new_secret, signature, RetryPolicy};
    use hmac::{KeyInit, Mac};
    use std::time::Duration;

    #[test]
    fn delay_doubles_to_the_cap() {
        let p = RetryPolicy {
            first: Duration::from_secs(30),
            max: Duration::from_secs(600),
            ..RetryPolicy::default()
        };
        let waits: Vec<u64> = (1..=7).map(|n| p.delay(n).as_secs()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 600, 600]);
        assert_eq!(p.delay(200).as_secs(), 600);
    }

    fn hmac_hex(key: &[u8], message: &[u8]) -> String {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
        mac.update(message);
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The signature is HMAC-SHA256 of `t.body`, and the primitive gives
    /// RFC 4231's test case 2 (key "Jefe").
    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        let s = signature("Jefe", 0, b"what do ya want for nothing?");
        let want = hmac_hex(b"Jefe", b"0.what do ya want for nothing?");
        assert_eq!(s, format!("t=0,v1={want}"));
        assert_eq!(
            hmac_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn urls_are_checked() {
        assert!(check_url("https://hooks.example.org/feedmap").is_ok());
        assert!(check_url("http://127.0.0.1:9000/x").is_ok());
        for bad in [
            "ftp://x.example/",
            "not a url",
            "https://user:pw@x.example/",
            "mailto:a@b",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_are_random() {
        let (a, b) = (new_secret().unwrap(), new_secret().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), "whsec_".len() + 64);
    }
}

/// An integrator's token (a council's web team) creates, tests, pauses and
/// deletes its own webhook; it gets 403 on feed and decision writes and on
/// another's webhook, and sees only its own in the list; the ping it sends
/// arrives signed with the hook's secret.
#[test]
fn an_integrator_manages_its_own_webhooks_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = tokens_file(dir.path());
    let data = dir.path().join("data");
    let server = Server::start_with(
        &common::demo_region(),
        &[
            "--tokens",
            tokens.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
        ],
    );
    let base = &server.base;
    let receiver = Receiver::start(204, 0);
    let r = call(
        base,
        "POST",
        "/v1/webhooks",
        Some(INTEGRATOR),
        Some(&json!({ "url": receiver.url, "secret": SECRET_A, "description": "council site" })),
        &[],
    );
    assert_eq!(r.status, 201, "{}", r.json);
    let own = r.json["id"].as_i64().unwrap();
    assert_eq!(r.json["created_by"], "council-web");
    // A planner's hook, and the other council's.
    let theirs = call(
        base,
        "POST",
        "/v1/webhooks",
        Some(PLANNER),
        Some(&json!({ "url": receiver.url })),
        &[],
    )
    .json["id"]
        .as_i64()
        .unwrap();
    let other = call(
        base,
        "POST",
        "/v1/webhooks",
        Some(INTEGRATOR_B),
        Some(&json!({ "url": receiver.url })),
        &[],
    )
    .json["id"]
        .as_i64()
        .unwrap();
    // The ping: answered with what the receiver said, arriving signed.
    let r = call(
        base,
        "POST",
        &format!("/v1/webhooks/{own}/test"),
        Some(INTEGRATOR),
        None,
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        (r.json["delivered"].clone(), r.json["status"].clone()),
        (json!(true), json!(204)),
        "{}",
        r.json
    );
    let got = receiver.got();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("feedmap-event"), "ping");
    assert_eq!(got[0].json()["webhook"], own);
    assert_eq!(got[0].json()["kind"], "ping");
    verify(&got[0], SECRET_A);
    // Its own: read, paused, listed alone.
    let r = call(
        base,
        "GET",
        &format!("/v1/webhooks/{own}"),
        Some(INTEGRATOR),
        None,
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.json);
    let r = call(
        base,
        "PATCH",
        &format!("/v1/webhooks/{own}"),
        Some(INTEGRATOR),
        Some(&json!({ "status": "paused", "paused_reason": "site rebuild" })),
        &[("If-Match", "*")],
    );
    assert_eq!(
        (r.status, r.json["status"].as_str()),
        (200, Some("paused")),
        "{}",
        r.json
    );
    let list = call(base, "GET", "/v1/webhooks", Some(INTEGRATOR), None, &[]).json;
    let ids: Vec<i64> = list["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [own], "{list}");
    let all = call(base, "GET", "/v1/webhooks", Some(PLANNER), None, &[]).json;
    assert_eq!(all["count"], 3);
    // Another's: 403 on every way in, nothing changed.
    for (method, path) in [
        ("GET", format!("/v1/webhooks/{theirs}")),
        ("PATCH", format!("/v1/webhooks/{theirs}")),
        ("DELETE", format!("/v1/webhooks/{other}")),
        ("POST", format!("/v1/webhooks/{other}/test")),
    ] {
        let body = (method == "PATCH").then(|| json!({ "status": "paused" }));
        let r = call(
            base,
            method,
            &path,
            Some(INTEGRATOR),
            body.as_ref(),
            &[("If-Match", "*")],
        );
        assert_eq!(r.status, 403, "{method} {path}: {}", r.json);
        assert!(
            r.json["detail"].as_str().unwrap().contains("another token"),
            "{}",
            r.json
        );
    }
    assert_eq!(receiver.got().len(), 1, "a refused test sent nothing");
    // No other write: feeds and decisions are planners'.
    let feed = json!({ "feed_id": "X1", "platform": "x", "handle": "@x1", "url": "https://x.example/x1", "status": "planned" });
    let r = call(
        base,
        "POST",
        "/v1/feeds",
        Some(INTEGRATOR),
        Some(&feed),
        &[],
    );
    assert_eq!(r.status, 403, "{}", r.json);
    assert!(
        r.json["detail"].as_str().unwrap().contains("integrator"),
        "{}",
        r.json
    );
    let decision =
        json!({ "layer": "communities", "area_id": "DV01-C01", "decision": "defer", "note": "" });
    let r = call(
        base,
        "POST",
        "/v1/decisions",
        Some(INTEGRATOR),
        Some(&decision),
        &[],
    );
    assert_eq!(r.status, 403, "{}", r.json);
    // A reader may not manage webhooks at all.
    let r = call(
        base,
        "POST",
        "/v1/webhooks",
        Some(READER),
        Some(&json!({ "url": receiver.url })),
        &[],
    );
    assert_eq!(r.status, 403, "{}", r.json);
    // And its own goes.
    let r = call(
        base,
        "DELETE",
        &format!("/v1/webhooks/{own}"),
        Some(INTEGRATOR),
        None,
        &[("If-Match", "*")],
    );
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        call(base, "GET", "/v1/webhooks", Some(PLANNER), None, &[]).json["count"],
        2
    );
}
