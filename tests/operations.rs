//! What the tools a force already runs see of the server: `/metrics`
//! (exact counts after known traffic, the token it needs, `promtool check
//! metrics` on what it answers, every metric in the operators' guide),
//! JSON log lines carrying the request id, `/health/live` and
//! `/health/ready` (503 until the region is served and while the store
//! cannot be read, not after a failed reload), and the systemd unit in
//! `deploy/` (`systemd-analyze verify`).
//!
//! `promtool` (Debian's `prometheus`) and `systemd-analyze` (`systemd`)
//! are found on the `PATH`; where one is missing its test is skipped
//! saying so, except under `CI=true`, where `.ci/run` installs both and
//! the test fails without them.

use crate::common::{self, call, Server, INTEGRATOR, PLANNER, READER};
use serde_json::Value;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// The longest wait for something the server does by itself (a reload,
/// a store poll, loading): a deadline against hanging, not a timing
/// assertion.
const PATIENCE: Duration = Duration::from_secs(60);

/// A program a test runs, where `PATH` finds it (`program --version`
/// runs); else the test is skipped, saying so, except under `CI=true`,
/// where it fails (`.ci/run` installs the Debian `package`).
fn tool(program: &str, package: &str, test: &str) -> Option<PathBuf> {
    let runs = Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if runs {
        return Some(PathBuf::from(program));
    }
    let why = format!("{program} is not installed (apt-get install {package})");
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test}: {why}; CI must run this test");
    }
    eprintln!("SKIPPED {test}: {why}");
    None
}

/// `GET /metrics` with `token`: status and text.
fn scrape(base: &str, token: Option<&str>) -> (u16, String, String) {
    let client = reqwest::blocking::Client::new();
    let mut req = client.get(format!("{base}/metrics"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().unwrap();
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, content_type, resp.text().unwrap())
}

/// The value of the sample `series` (name and labels exactly as written)
/// in a scrape; `None` when there is no such line.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// [`sample`], which must be there.
fn value(text: &str, series: &str) -> f64 {
    sample(text, series).unwrap_or_else(|| panic!("no {series} in:\n{text}"))
}

fn requests(method: &str, route: &str, status: u16) -> String {
    format!(
        "feedmap_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
    )
}

fn get(base: &str, path: &str) -> u16 {
    call(base, "GET", path, None, None, &[]).status
}

#[test]
fn metrics_count_known_traffic_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = common::tokens_file(dir.path());
    let server = Server::start_with(
        &common::demo_region(),
        &["--tokens", tokens.to_str().unwrap()],
    );
    let base = &server.base;
    // A scrape without a token: refused, and counted.
    assert_eq!(scrape(base, None).0, 401);
    for _ in 0..5 {
        assert_eq!(get(base, "/v1/lookup?lat=54.76&lon=2.01"), 200);
    }
    // A bad lookup: answered, not a lookup served.
    assert_eq!(get(base, "/v1/lookup?lat=54.76"), 400);
    for _ in 0..2 {
        assert_eq!(get(base, "/v1/feeds/lookup?q=Little%20Wexcombe"), 200);
    }
    assert_eq!(get(base, "/no/such/thing"), 404);
    assert_eq!(get(base, "/v1/plan"), 200);
    assert_eq!(get(base, "/v1/plan/neighbourhoods/DV01"), 200);
    let (status, content_type, text) = scrape(base, Some(READER));
    assert_eq!(status, 200, "{text}");
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");

    assert_eq!(value(&text, &requests("GET", "/v1/lookup", 200)), 5.0);
    assert_eq!(value(&text, &requests("GET", "/v1/lookup", 400)), 1.0);
    assert_eq!(value(&text, &requests("GET", "/v1/feeds/lookup", 200)), 2.0);
    assert_eq!(value(&text, &requests("GET", "unmatched", 404)), 1.0);
    assert_eq!(value(&text, &requests("GET", "/v1/plan", 200)), 1.0);
    assert_eq!(value(&text, &requests("GET", "/metrics", 401)), 1.0);
    // The route's template, never the path asked for.
    assert_eq!(
        value(&text, &requests("GET", "/v1/plan/neighbourhoods/{id}", 200)),
        1.0
    );
    assert!(!text.contains("DV01"), "a raw path in the labels:\n{text}");
    // This scrape is counted once it is answered: not yet.
    assert_eq!(sample(&text, &requests("GET", "/metrics", 200)), None);

    let lookup_hist =
        "feedmap_http_request_duration_seconds_count{method=\"GET\",route=\"/v1/lookup\"}";
    assert_eq!(value(&text, lookup_hist), 6.0);
    assert_eq!(
        value(
            &text,
            "feedmap_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/lookup\",le=\"+Inf\"}"
        ),
        6.0
    );
    assert_eq!(value(&text, "feedmap_lookups_total{kind=\"areas\"}"), 5.0);
    assert_eq!(value(&text, "feedmap_lookups_total{kind=\"feeds\"}"), 2.0);
    assert_eq!(value(&text, "feedmap_lookups_total{kind=\"police\"}"), 0.0);
    assert_eq!(value(&text, "feedmap_plans_total"), 2.0);
    assert_eq!(value(&text, "feedmap_reloads_total{outcome=\"ok\"}"), 0.0);
    assert_eq!(
        value(&text, "feedmap_reloads_total{outcome=\"error\"}"),
        0.0
    );
    assert_eq!(
        value(&text, "feedmap_boundary_generation{layer=\"communities\"}"),
        1.0
    );
    assert_eq!(
        value(
            &text,
            "feedmap_boundary_generation{layer=\"neighbourhoods\"}"
        ),
        1.0
    );
    assert_eq!(value(&text, "feedmap_store_reachable"), 1.0);
    assert!(value(&text, "feedmap_store_poll_lag_seconds") >= 0.0);
    assert_eq!(value(&text, "feedmap_webhook_backlog_entries"), 0.0);
    assert_eq!(value(&text, "feedmap_webhooks_behind"), 0.0);
    assert_eq!(value(&text, "feedmap_webhook_delivery_failures_total"), 0.0);

    // The first scrape shows in the second.
    let (_, _, again) = scrape(base, Some(READER));
    assert_eq!(value(&again, &requests("GET", "/metrics", 200)), 1.0);

    // A webhook to a port nothing listens on: its deliveries fail, its
    // events wait.
    let hook = call(
        base,
        "POST",
        "/v1/webhooks",
        Some(PLANNER),
        Some(&serde_json::json!({ "url": "http://127.0.0.1:9/hook" })),
        &[],
    );
    assert_eq!(hook.status, 201, "{}", hook.json);
    let feed = call(base, "GET", "/v1/feeds", None, None, &[]).json["feeds"][0]["feed_id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = call(
        base,
        "PATCH",
        &format!("/v1/feeds/{feed}"),
        Some(PLANNER),
        Some(&serde_json::json!({ "name": "Renamed for the metrics test" })),
        &[("If-Match", "*")],
    );
    assert!(r.status < 300, "{}", r.json);
    let deadline = Instant::now() + PATIENCE;
    let text = loop {
        let (_, _, text) = scrape(base, Some(READER));
        if value(&text, "feedmap_webhook_delivery_failures_total") >= 1.0 {
            break text;
        }
        assert!(Instant::now() < deadline, "no delivery failed:\n{text}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(value(&text, "feedmap_webhooks_behind"), 1.0);
    assert!(value(&text, "feedmap_webhook_backlog_entries") >= 1.0);

    check_with_promtool(&text, "metrics_count_known_traffic_exactly");
    every_metric_is_in_the_guide(&text);
}

/// `promtool check metrics` accepts a scrape (its lint included).
fn check_with_promtool(text: &str, test: &str) {
    let Some(promtool) = tool("promtool", "prometheus", test) else {
        return;
    };
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every metric of a scrape, with its help text, is in the operators'
/// guide.
fn every_metric_is_in_the_guide(text: &str) {
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/src/operators/monitoring.md");
    let guide = std::fs::read_to_string(&page).unwrap();
    let mut n = 0;
    for help in text.lines().filter_map(|l| l.strip_prefix("# HELP ")) {
        let (name, said) = help.split_once(' ').unwrap();
        let said = said.trim_end_matches('.').replace("\\\\", "\\");
        assert!(
            guide.contains(&format!("`{name}`")),
            "{} does not list `{name}`",
            page.display()
        );
        assert!(
            guide.contains(&said),
            "{} does not give the help text of {name}: {said}",
            page.display()
        );
        n += 1;
    }
    assert!(n >= 12, "only {n} metrics");
}

#[test]
fn metrics_need_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = common::tokens_file(dir.path());
    let server = Server::start_with(
        &common::demo_region(),
        &["--tokens", tokens.to_str().unwrap()],
    );
    for token in [READER, PLANNER, INTEGRATOR] {
        assert_eq!(scrape(&server.base, Some(token)).0, 200, "{token}");
    }
    let (status, _, body) = scrape(&server.base, None);
    assert_eq!(status, 401, "{body}");
    assert_eq!(scrape(&server.base, Some("not-a-token-0123456789")).0, 401);
    // Token-only: no other site's page may read it.
    let r = call(
        &server.base,
        "GET",
        "/metrics",
        Some(READER),
        None,
        &[("Origin", "https://elsewhere.example")],
    );
    assert_eq!(r.headers.get("access-control-allow-origin"), None);

    // Without a tokens file nobody is answered, and told why.
    let open = Server::start(&common::demo_region());
    let (status, _, body) = scrape(&open.base, None);
    assert_eq!(status, 401);
    assert!(body.contains("--tokens"), "{body}");
    assert_eq!(scrape(&open.base, Some(READER)).0, 401);
}

/// A `feedmap serve` whose standard output and error are read line by
/// line (each into a channel), killed on drop.
struct Watched {
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
}

impl Watched {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Watched {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_feedmap"));
        cmd.arg("serve")
            .args(args)
            .env_remove("FEEDMAP_TOKENS_FILE")
            .env_remove("FEEDMAP_STORE")
            .env_remove("FEEDMAP_LOG_FORMAT")
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start feedmap serve");
        let lines = |r: Box<dyn std::io::Read + Send>| {
            let (tx, rx) = channel();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(r).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            rx
        };
        let stdout = lines(Box::new(child.stdout.take().unwrap()));
        let stderr = lines(Box::new(child.stderr.take().unwrap()));
        Watched {
            child,
            stdout,
            stderr,
        }
    }

    /// The base URL, from the `listening on` line once it serves.
    fn serving(&self) -> String {
        let line = self
            .stdout
            .recv_timeout(PATIENCE)
            .expect("feedmap serve never said it was listening");
        line.strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string()
    }

    /// Log lines up to and including the first that `wanted` accepts.
    fn log_until(&self, wanted: impl Fn(&str) -> bool) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let line = self
                .stderr
                .recv_timeout(PATIENCE)
                .unwrap_or_else(|e| panic!("no such log line ({e}); seen: {seen:#?}"));
            let done = wanted(&line);
            seen.push(line);
            if done {
                return seen;
            }
        }
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn json_log_lines_carry_the_request_id() {
    let data = tempfile::tempdir().unwrap();
    let region = common::demo_region();
    // The format from the environment (the flag: the readiness test).
    let server = Watched::start(
        &[
            "--addr",
            "127.0.0.1:0",
            "--region",
            region.to_str().unwrap(),
            "--data-dir",
            data.path().to_str().unwrap(),
        ],
        &[
            ("FEEDMAP_LOG_FORMAT", "json"),
            // One line per request, in its span.
            ("RUST_LOG", "info,tower_http=debug"),
        ],
    );
    let base = server.serving();
    // The proxy's id is kept and answered back.
    let given = call(
        &base,
        "GET",
        "/v1/lookup?lat=54.76&lon=2.01",
        None,
        None,
        &[("X-Request-ID", "proxy-id-4711")],
    );
    assert_eq!(given.status, 200);
    assert_eq!(given.headers["x-request-id"], "proxy-id-4711");
    // Without one, one is made.
    let made = call(&base, "GET", "/v1/plan/summary", None, None, &[]);
    assert_eq!(made.status, 200);
    let made_id = made.headers["x-request-id"].to_str().unwrap().to_string();
    assert!(!made_id.is_empty());
    let other = call(&base, "GET", "/health", None, None, &[]);
    assert_ne!(other.headers["x-request-id"].to_str().unwrap(), made_id);
    // An id that would need quoting is not taken: one is made instead.
    let odd = call(
        &base,
        "GET",
        "/health",
        None,
        None,
        &[("X-Request-ID", "a\"b")],
    );
    let odd = odd.headers["x-request-id"].to_str().unwrap();
    assert!(!odd.contains('"') && !odd.is_empty(), "{odd}");

    let finished = |id: &str, line: &str| {
        let v: Value = serde_json::from_str(line).unwrap();
        v["request_id"] == id && v["fields"]["message"] == "finished processing request"
    };
    let lines = server.log_until(|l| finished(&made_id, l));
    let mut requests = 0;
    for line in &lines {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {line}"));
        assert!(
            v["timestamp"].is_string() && v["level"].is_string(),
            "{line}"
        );
        assert!(v["fields"]["message"].is_string(), "{line}");
        if v["target"]
            .as_str()
            .is_some_and(|t| t.starts_with("tower_http::trace"))
        {
            let span = &v["span"];
            assert_eq!(span["name"], "request", "{line}");
            let id = v["request_id"].as_str().unwrap();
            match span["path"].as_str().unwrap() {
                "/v1/lookup" => assert_eq!(id, "proxy-id-4711"),
                "/v1/plan/summary" => assert_eq!(id, made_id),
                other => panic!("a request line for {other}: {line}"),
            }
            // Never the query string (a resident's postcode or position).
            assert!(!line.contains("54.76"), "{line}");
            requests += 1;
        }
    }
    // Started and finished, for each of the two requests.
    assert_eq!(requests, 4, "{lines:#?}");
}

/// A copy of the demo region whose `region.toml` is a named pipe: loading
/// it waits until the test writes the manifest in.
#[cfg(unix)]
fn region_behind_a_pipe() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(common::demo_region()).unwrap() {
        let f = f.unwrap().path();
        if f.file_name().unwrap() != "region.toml" {
            std::fs::copy(&f, dir.path().join(f.file_name().unwrap())).unwrap();
        }
    }
    let pipe = dir.path().join("region.toml");
    let ok = Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo failed");
    (dir, pipe)
}

#[cfg(unix)]
#[test]
fn ready_is_503_until_the_region_is_served() {
    let (region, pipe) = region_behind_a_pipe();
    let data = tempfile::tempdir().unwrap();
    let server = Watched::start(
        &[
            "--addr",
            "127.0.0.1:0",
            "--region",
            region.path().to_str().unwrap(),
            "--data-dir",
            data.path().to_str().unwrap(),
            "--log-format",
            "json",
        ],
        &[],
    );
    // It logs its address as soon as it listens, before loading.
    let lines = server.log_until(|l| l.contains("listening; loading"));
    let line: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    let base = format!("http://{}", line["fields"]["addr"].as_str().unwrap());

    assert_eq!(get(&base, "/health/live"), 200);
    let ready = call(&base, "GET", "/health/ready", None, None, &[]);
    assert_eq!(ready.status, 503, "{}", ready.json);
    assert_eq!(ready.json["type"], "urn:feedmap:problem:not-ready");
    assert_eq!(
        ready.json["not_ready"],
        serde_json::json!(["region", "store"])
    );
    assert_eq!(ready.headers["content-type"], "application/problem+json");
    let lookup = call(
        &base,
        "GET",
        "/v1/lookup?lat=54.76&lon=2.01",
        None,
        None,
        &[],
    );
    assert_eq!(lookup.status, 503, "{}", lookup.json);
    assert!(lookup.headers.contains_key("retry-after"));
    // Still loading: the pipe has not been written.
    assert_eq!(get(&base, "/health/ready"), 503);

    let manifest = std::fs::read_to_string(common::demo_region().join("region.toml")).unwrap();
    std::fs::write(&pipe, manifest).unwrap();
    assert_eq!(server.serving(), base);
    let ready = call(&base, "GET", "/health/ready", None, None, &[]);
    assert_eq!(ready.status, 200, "{}", ready.json);
    assert_eq!(ready.json["status"], "ready");
    assert_eq!(ready.json["store"], "reachable");
    assert_eq!(get(&base, "/health/live"), 200);
    assert_eq!(get(&base, "/v1/lookup?lat=54.76&lon=2.01"), 200);
    assert_eq!(get(&base, "/health"), 200);
}

/// A failed reload keeps the previous region serving, so the server stays
/// ready; both outcomes are counted.
#[cfg(unix)]
#[test]
fn a_failed_reload_leaves_the_server_ready() {
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(common::demo_region()).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dir.path().join(f.file_name().unwrap())).unwrap();
    }
    let tokens_dir = tempfile::tempdir().unwrap();
    let tokens = common::tokens_file(tokens_dir.path());
    let server = Server::start_with(dir.path(), &["--tokens", tokens.to_str().unwrap()]);
    let hup = || {
        let ok = Command::new("sh")
            .args(["-c", &format!("kill -HUP {}", server.child.id())])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    };
    let reloads = |outcome: &str| {
        let (_, _, text) = scrape(&server.base, Some(READER));
        value(
            &text,
            &format!("feedmap_reloads_total{{outcome=\"{outcome}\"}}"),
        )
    };
    let wait_for = |outcome: &str| {
        let deadline = Instant::now() + PATIENCE;
        while reloads(outcome) < 1.0 {
            assert!(Instant::now() < deadline, "no reload ({outcome})");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let good = std::fs::read_to_string(dir.path().join("communities.geojson")).unwrap();
    std::fs::write(dir.path().join("communities.geojson"), "{ not json").unwrap();
    hup();
    wait_for("error");
    let (_, health) = server.get("/health");
    assert!(health["load"]["last_reload_error"].is_string(), "{health}");
    let ready = call(&server.base, "GET", "/health/ready", None, None, &[]);
    assert_eq!(ready.status, 200, "{}", ready.json);
    assert_eq!(reloads("ok"), 0.0);

    std::fs::write(dir.path().join("communities.geojson"), good).unwrap();
    hup();
    wait_for("ok");
    assert_eq!(reloads("error"), 1.0);
    assert_eq!(get(&server.base, "/health/ready"), 200);
}

/// A store that cannot be read makes the server unready (lookups still
/// answer from what was last read) until it can be read again.
#[cfg_attr(
    feedmap_no_postgres,
    ignore = "needs PostgreSQL: set FEEDMAP_TEST_POSTGRES to the URL of a role that may create databases"
)]
#[test]
fn ready_is_503_while_the_store_cannot_be_read() {
    let Some(db) = common::postgres("ready_is_503_while_the_store_cannot_be_read") else {
        return;
    };
    let tokens_dir = tempfile::tempdir().unwrap();
    let tokens = common::tokens_file(tokens_dir.path());
    let server = Server::start_with(
        &common::demo_region(),
        &[
            "--store",
            &db.url,
            "--store-poll",
            "100ms",
            "--tokens",
            tokens.to_str().unwrap(),
        ],
    );
    assert_eq!(get(&server.base, "/health/ready"), 200);
    let name = url::Url::parse(&db.url).unwrap().path()[1..].to_string();
    let admin = std::env::var("FEEDMAP_TEST_POSTGRES").unwrap();
    let mut pg = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
    let wait_for = |status: u16| -> common::Reply {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let r = call(&server.base, "GET", "/health/ready", None, None, &[]);
            if r.status == status {
                return r;
            }
            assert!(
                Instant::now() < deadline,
                "/health/ready stayed {}",
                r.status
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    // No connection allowed, the server's own cut.
    pg.batch_execute(&format!(
        "ALTER DATABASE {name} ALLOW_CONNECTIONS false;
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
    ))
    .unwrap();
    let r = wait_for(503);
    assert_eq!(
        r.json["not_ready"],
        serde_json::json!(["store"]),
        "{}",
        r.json
    );
    assert_eq!(get(&server.base, "/health/live"), 200);
    assert_eq!(get(&server.base, "/v1/lookup?lat=54.76&lon=2.01"), 200);
    let (_, _, text) = scrape(&server.base, Some(READER));
    assert_eq!(value(&text, "feedmap_store_reachable"), 0.0);

    pg.batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .unwrap();
    let r = wait_for(200);
    assert_eq!(r.json["store"], "reachable");
    let (_, _, text) = scrape(&server.base, Some(READER));
    assert_eq!(value(&text, "feedmap_store_reachable"), 1.0);
}

/// `--log-format` from a config file, and a wrong value refused by name.
#[test]
fn the_log_format_is_a_setting_like_the_others() {
    use feedmap::config::{LogFormat, ServeConfig, ServeSettings};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("feedmap.toml");
    std::fs::write(&file, "log_format = \"json\"\n").unwrap();
    let config = ServeConfig::from_args(ServeSettings {
        config: Some(file.clone()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(config.log_format, LogFormat::Json);
    assert_eq!(ServeConfig::default().log_format, LogFormat::Text);
    let flag = ServeConfig::from_args(ServeSettings {
        config: Some(file.clone()),
        log_format: Some(LogFormat::Text),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(flag.log_format, LogFormat::Text);
    std::fs::write(&file, "log_format = \"xml\"\n").unwrap();
    let err = ServeConfig::from_args(ServeSettings {
        config: Some(file),
        ..Default::default()
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("xml") || err.contains("log_format"), "{err}");
    let out = common::feedmap(&["serve", "--log-format", "xml"]);
    assert_eq!(out.status.code(), Some(2));
}

/// `deploy/feedmap.service` passes `systemd-analyze verify` (with its
/// `ExecStart` pointed at the binary built here), stops the server as it
/// stops gracefully and reloads it as it reloads; the example env file
/// names only real settings.
#[test]
fn the_systemd_unit_verifies() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let unit = std::fs::read_to_string(repo.join("deploy/feedmap.service")).unwrap();
    for line in [
        "ExecReload=/bin/kill -HUP $MAINPID",
        "KillSignal=SIGINT",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=\n",
        "StateDirectory=feedmap",
    ] {
        assert!(unit.contains(line), "the unit lacks {line:?}");
    }
    // Every variable the env file sets (or shows, commented) is a setting.
    let help = String::from_utf8(common::feedmap(&["serve", "--help"]).stdout).unwrap();
    let env = std::fs::read_to_string(repo.join("deploy/feedmap.env")).unwrap();
    let mut named = 0;
    for line in env.lines() {
        let line = line.trim_start_matches('#');
        let Some((var, _)) = line.split_once('=') else {
            continue;
        };
        if var.starts_with("FEEDMAP_") {
            assert!(
                help.contains(&format!("[env: {var}=")),
                "{var} is no setting"
            );
            named += 1;
        }
    }
    assert!(named >= 5, "only {named} settings in deploy/feedmap.env");

    let Some(analyze) = tool("systemd-analyze", "systemd", "the_systemd_unit_verifies") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let exec = "ExecStart=/usr/local/bin/feedmap ";
    assert!(unit.contains(exec));
    let here = unit.replace(
        exec,
        &format!("ExecStart={} ", env!("CARGO_BIN_EXE_feedmap")),
    );
    let copy = dir.path().join("feedmap.service");
    std::fs::write(&copy, here).unwrap();
    let out = Command::new(analyze)
        .arg("verify")
        .arg(&copy)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "systemd-analyze verify: {said}");
    assert!(
        !said.contains("feedmap.service"),
        "systemd-analyze verify warned: {said}"
    );
}

#[test]
fn text_log_lines_carry_the_request_id() {
    let data = tempfile::tempdir().unwrap();
    let region = common::demo_region();
    let server = Watched::start(
        &[
            "--addr",
            "127.0.0.1:0",
            "--region",
            region.to_str().unwrap(),
            "--data-dir",
            data.path().to_str().unwrap(),
        ],
        &[("RUST_LOG", "info,tower_http=debug")],
    );
    let base = server.serving();
    let r = call(
        &base,
        "GET",
        "/v1/feeds/lookup?q=Little%20Wexcombe",
        None,
        None,
        &[("X-Request-ID", "text-id-17")],
    );
    assert_eq!(r.status, 200);
    let lines = server.log_until(|l| l.contains("finished processing request"));
    let line = lines.last().unwrap();
    assert!(line.ends_with(" request_id=text-id-17"), "{line}");
    assert!(line.contains("path=\"/v1/feeds/lookup\""), "{line}");
    // Lines outside a request carry none.
    assert!(
        lines
            .iter()
            .any(|l| l.contains("serving") && !l.contains("request_id")),
        "{lines:#?}"
    );
}
