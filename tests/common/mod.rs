//! Shared helpers for the end-to-end tests: finding the real Greater
//! Manchester data beside the repo, and writing throwaway regions.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Where the real GM open data is looked for: `$FEEDMAP_DATA`, else
/// `../shared/data/gm` beside the repo (as `build.rs` looks).
pub fn gm_data_dir() -> PathBuf {
    std::env::var_os("FEEDMAP_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/gm"))
}

/// The folder with the real GM open data ([`gm_data_dir`]). When it is
/// missing the test is skipped with a message, except under `CI=true`,
/// where it fails loudly. Tests that need it are also marked
/// `#[cfg_attr(feedmap_no_gm_data, ignore = …)]`, so that where `build.rs`
/// found no data cargo reports them as ignored; this return is the
/// fallback for a test binary run otherwise.
pub fn gm_data(test: &str) -> Option<PathBuf> {
    let dir = gm_data_dir();
    if dir.join("trafford_postcodes.csv").is_file() {
        return Some(dir.canonicalize().unwrap());
    }
    let msg = format!(
        "{test}: the GM data is not at {} (set FEEDMAP_DATA to its folder)",
        dir.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}; CI must run this test");
    }
    eprintln!("SKIPPED {msg}");
    None
}

/// The four GM layers of [`gm_manifest`] loaded as a region, with the
/// temporary folder holding its `region.toml` (for a server to start on).
pub fn gm_region(data: &Path) -> (tempfile::TempDir, feedmap::Region) {
    let dir = region_dir(&gm_manifest(data));
    let region = feedmap::Source::load(dir.path())
        .map(|s| s.region)
        .unwrap_or_else(|e| panic!("{e}"));
    (dir, region)
}

pub mod basemap;
pub mod census;

// The library's unit tests and these share one seeded generator.
#[path = "../../crates/geography/src/testing.rs"]
mod testing;
// Not every test binary that includes `common` draws numbers.
#[allow(unused_imports)]
pub use testing::seeded;

/// Writes `region.toml` with `body` into a fresh temporary folder.
pub fn region_dir(body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("region.toml"), body).unwrap();
    dir
}

/// One `[[layers]]` table for a file in the GM data folder.
pub fn layer_toml(
    data: &Path,
    id: &str,
    role: &str,
    file: &str,
    id_property: &str,
    name_property: &str,
) -> String {
    format!(
        "[[layers]]\nid = \"{id}\"\nrole = \"{role}\"\nfile = \"{}\"\nid_property = \"{id_property}\"\nname_property = \"{name_property}\"\n\n",
        data.join(file).display()
    )
}

/// The 4 Trafford localities as neighbourhoods and the 21 full-resolution
/// Trafford wards as communities, as `[[layers]]` tables.
pub fn trafford_layers_toml(data: &Path) -> String {
    format!(
        "{}{}",
        layer_toml(
            data,
            "localities",
            "neighbourhood",
            "trafford_localities_2023.geojson",
            "area_name",
            "area_name"
        ),
        layer_toml(
            data,
            "wards",
            "community",
            "trafford_wards_2023_full.geojson",
            "area_code",
            "area_name"
        ),
    )
}

/// A `role = "population"` layer whose every area holds `each` residents
/// (the GM output area and LSOA files carry no population figure).
pub fn population_layer_toml(data: &Path, id: &str, file: &str, each: u32) -> String {
    format!(
        "{}\npopulation_each = {each}\n\n",
        layer_toml(data, id, "population", file, "area_code", "area_code").trim_end()
    )
}

/// A planning manifest: the 10 GM boroughs as neighbourhoods, the 215 GM
/// wards as communities, population from the 1,702 LSOAs at about 1,700
/// residents each.
pub fn gm_boroughs_manifest(data: &Path) -> String {
    format!(
        "name = \"Greater Manchester (test)\"\nattribution = \"{OGL}\"\n\n{}{}{}",
        layer_toml(
            data,
            "boroughs",
            "neighbourhood",
            "gm_local_authorities_2023.geojson",
            "area_code",
            "area_name"
        ),
        layer_toml(
            data,
            "wards",
            "community",
            "gm_wards_2023.geojson",
            "area_code",
            "area_name"
        ),
        population_layer_toml(data, "lsoas", "gm_lsoa_2021.geojson", 1700),
    )
}

const OGL: &str =
    "Contains National Statistics and OS data © Crown copyright and database right 2025";

/// A manifest for the GM data: Trafford localities as neighbourhoods, GM
/// wards as communities, MSOAs and LSOAs as context.
pub fn gm_manifest(data: &Path) -> String {
    format!(
        "name = \"Greater Manchester (test)\"\nattribution = \"{OGL}\"\n\n{}{}{}{}",
        layer_toml(
            data,
            "localities",
            "neighbourhood",
            "trafford_localities_2023.geojson",
            "area_name",
            "area_name"
        ),
        layer_toml(
            data,
            "wards",
            "community",
            "gm_wards_2023.geojson",
            "area_code",
            "area_name"
        ),
        layer_toml(
            data,
            "msoas",
            "context",
            "gm_msoa_2021.geojson",
            "area_code",
            "area_name"
        ),
        layer_toml(
            data,
            "lsoas",
            "context",
            "gm_lsoa_2021.geojson",
            "area_code",
            "area_name"
        ),
    )
}

/// One row of `trafford_postcodes.csv`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Postcode {
    pub postcode: String,
    pub ward_code: String,
    pub msoa_code: String,
    pub msoa_hcl_name: String,
    pub lsoa_code: String,
    pub lon: f64,
    pub lat: f64,
}

/// Reads every Trafford postcode.
pub fn postcodes(data: &Path) -> Vec<Postcode> {
    csv::Reader::from_path(data.join("trafford_postcodes.csv"))
        .unwrap()
        .deserialize()
        .map(|r| r.unwrap())
        .collect()
}

/// A `feedmap serve` child process on an ephemeral port, killed on drop.
pub struct Server {
    pub child: std::process::Child,
    pub base: String,
    /// The store's data directory when the test gave none (removed on drop).
    pub data: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts the real binary on `region` and waits for its
    /// `listening on http://ADDR` line.
    pub fn start(region: &Path) -> Server {
        Self::start_with(region, &[])
    }

    /// Starts the server with extra `serve` arguments. Without
    /// `--data-dir` or `--store` among them, the store goes in a fresh
    /// temporary folder.
    pub fn start_with(region: &Path, extra: &[&str]) -> Server {
        use std::io::BufRead;
        let data = (!extra.iter().any(|a| *a == "--data-dir" || *a == "--store"))
            .then(|| tempfile::tempdir().unwrap());
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_feedmap"));
        cmd.args(["serve", "--addr", "127.0.0.1:0", "--region"])
            .arg(region)
            .args(extra)
            .env_remove("FEEDMAP_TOKENS_FILE")
            .env_remove("FEEDMAP_STORE");
        if let Some(d) = &data {
            cmd.arg("--data-dir").arg(d.path());
        }
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("start feedmap serve");
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout).lines();
        let line = lines
            .next()
            .expect("feedmap serve exited before listening")
            .unwrap();
        let base = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, base, data }
    }

    /// GETs a path, returning status and parsed JSON body.
    pub fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let resp = reqwest::blocking::get(format!("{}{path}", self.base)).unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().unwrap();
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{path}: body is not JSON ({e}): {text}"));
        (status, json)
    }

    /// GETs a path and returns the response's content type too.
    pub fn get_with_type(&self, path: &str) -> (u16, String, serde_json::Value) {
        let resp = reqwest::blocking::get(format!("{}{path}", self.base)).unwrap();
        let status = resp.status().as_u16();
        let ct = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (
            status,
            ct,
            serde_json::from_str(&resp.text().unwrap()).unwrap(),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The demo region shipped in the repo.
pub fn demo_region() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("boundaries/demo")
}

/// A feeds region over the GM data: the 4 Trafford localities as
/// neighbourhoods, the 21 full-resolution Trafford wards and the 91 polling
/// districts as communities, the Trafford postcodes, and a feed list made
/// here: X for every ward, X and Facebook for every locality, Nextdoor for
/// a few polling districts, one planned, one force-wide.
pub fn gm_feeds_region(data: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let wards: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("trafford_wards_2023_full.geojson")).unwrap(),
    )
    .unwrap();
    let mut feeds = String::from("feed_id,platform,handle,url,layer,area_id,name,status\n");
    feeds.push_str(
        "GMP,x,@gmpolice,https://x.example/gmpolice,,,Greater Manchester Police,active\n",
    );
    for loc in ["North", "Central", "South", "West"] {
        feeds.push_str(&format!("L-{loc}-X,x,@GMPTrafford{loc},https://x.example/GMPTrafford{loc},localities,{loc},Trafford {loc},active\n"));
        feeds.push_str(&format!("L-{loc}-FB,facebook,GMPTrafford{loc},https://facebook.example/GMPTrafford{loc},localities,{loc},Trafford {loc},active\n"));
    }
    for w in wards["features"].as_array().unwrap() {
        let code = w["properties"]["area_code"].as_str().unwrap();
        let name = w["properties"]["area_name"].as_str().unwrap();
        let status = if name == "Bowdon" {
            "planned"
        } else {
            "active"
        };
        feeds.push_str(&format!("W-{code},x,@GMP_{code},https://x.example/GMP_{code},wards,{code},\"{name} police\",{status}\n"));
    }
    for pd in ["1BDF", "1ALA"] {
        feeds.push_str(&format!("PD-{pd},nextdoor,Police {pd},https://nextdoor.example/{pd},polling,{pd},Polling district {pd},active\n"));
    }
    std::fs::write(dir.path().join("feeds.csv"), feeds).unwrap();
    let manifest = format!(
        "name = \"Trafford feeds (test)\"\nattribution = \"{OGL}\"\n\n{}{}[postcodes]\nfile = \"{}\"\npostcode_column = \"postcode\"\nlat_column = \"lat\"\nlon_column = \"lon\"\nname_column = \"msoa_hcl_name\"\n\n[feeds]\nfile = \"feeds.csv\"\n",
        trafford_layers_toml(data),
        layer_toml(data, "polling", "community", "trafford_polling_districts.geojson", "area_name", "area_name"),
        data.join("trafford_postcodes.csv").display()
    );
    std::fs::write(dir.path().join("region.toml"), manifest).unwrap();
    dir
}

/// A fresh, empty PostgreSQL database for one test, dropped afterwards.
pub struct PgDb {
    /// Its connection URL.
    pub url: String,
    admin: String,
    name: String,
}

/// Creates a database for `test` through `$FEEDMAP_TEST_POSTGRES` (the URL
/// of a role allowed to CREATE DATABASE; `.ci/run` starts a local server and
/// sets it). Without it the test is skipped with a message, except under
/// `CI=true`, where it fails loudly (the tests are also marked
/// `#[cfg_attr(feedmap_no_postgres, ignore = …)]`, as [`gm_data`]'s are).
pub fn postgres(test: &str) -> Option<PgDb> {
    let Ok(admin) = std::env::var("FEEDMAP_TEST_POSTGRES") else {
        let msg = format!("{test}: FEEDMAP_TEST_POSTGRES is not set (a postgres:// URL of a role that may create databases)");
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{msg}; CI must run this test");
        }
        eprintln!("SKIPPED {msg}");
        return None;
    };
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = format!(
        "feedmap_t{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        test.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(20)
            .collect::<String>()
            .to_lowercase()
    );
    let mut c = postgres::Client::connect(&admin, postgres::NoTls)
        .unwrap_or_else(|e| panic!("{test}: cannot connect to FEEDMAP_TEST_POSTGRES: {e}"));
    c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&format!("/{name}"));
    Some(PgDb {
        url: url.to_string(),
        admin,
        name,
    })
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Runs the `feedmap` binary (without the store and tokens variables of
/// the environment) and returns what it did.
pub fn feedmap<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_feedmap"))
        .args(args)
        .env_remove("FEEDMAP_STORE")
        .env_remove("FEEDMAP_DATA_DIR")
        .env_remove("FEEDMAP_TOKENS_FILE")
        .output()
        .expect("run feedmap")
}

/// [`feedmap`], which must succeed (its stderr shown if not).
pub fn feedmap_ok<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> std::process::Output {
    let out = feedmap(args);
    assert!(
        out.status.success(),
        "feedmap failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The planner and reader tokens the write tests use.
pub const PLANNER: &str = "planner-token-0123456789";
/// A second planner.
pub const PLANNER_B: &str = "planner-b-token-0123456789";
/// A read-only token.
pub const READER: &str = "reader-token-0123456789";
/// An integrator's token (a council's web team).
pub const INTEGRATOR: &str = "integrator-token-0123456789";
/// Another integrator's.
pub const INTEGRATOR_B: &str = "integrator-b-token-0123456789";

/// Writes a tokens file with two planners, a reader and two integrators
/// into `dir`.
pub fn tokens_file(dir: &Path) -> PathBuf {
    let path = dir.join("tokens.toml");
    std::fs::write(
        &path,
        format!(
            "[[tokens]]\nname = \"planner-a\"\ntoken = \"{PLANNER}\"\nrole = \"planner\"\n\n[[tokens]]\nname = \"planner-b\"\ntoken = \"{PLANNER_B}\"\nrole = \"planner\"\n\n[[tokens]]\nname = \"viewer\"\ntoken = \"{READER}\"\nrole = \"reader\"\n\n[[tokens]]\nname = \"council-web\"\ntoken = \"{INTEGRATOR}\"\nrole = \"integrator\"\n\n[[tokens]]\nname = \"other-council\"\ntoken = \"{INTEGRATOR_B}\"\nrole = \"integrator\"\n"
        ),
    )
    .unwrap();
    path
}

/// An HTTP answer: status, headers and the body as JSON (`Null` if empty
/// or not JSON).
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: serde_json::Value,
}

impl Reply {
    /// The ETag header.
    pub fn etag(&self) -> String {
        self.headers
            .get("etag")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }
}

/// Sends a request with an optional bearer token, JSON body and extra
/// headers.
pub fn call(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&serde_json::Value>,
    headers: &[(&str, &str)],
) -> Reply {
    static CLIENT: std::sync::OnceLock<reqwest::blocking::Client> = std::sync::OnceLock::new();
    let client = CLIENT.get_or_init(|| {
        reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap()
    });
    let mut req = client.request(method.parse().unwrap(), format!("{base}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req
        .send()
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().unwrap_or_default();
    Reply {
        status,
        headers,
        json: serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    }
}

/// A write as the planner token with `If-Match: *`, which must succeed
/// (any 2xx); the answer.
pub fn planner_write(base: &str, method: &str, path: &str, body: &serde_json::Value) -> Reply {
    let r = call(
        base,
        method,
        path,
        Some(PLANNER),
        Some(body),
        &[("If-Match", "*")],
    );
    assert!(r.status < 300, "{method} {path}: {}", r.json);
    r
}

/// A Trafford region of year `year`: localities, wards, output areas with
/// their Census 2021 residents, the postcode directory.
pub fn trafford_manifest(data: &Path, year: u32) -> String {
    format!(
        "name = \"Trafford {year} (test)\"\nattribution = \"OGL\"\n\n{}{}{}\npopulation_file = \"{}\"\n\n[postcodes]\nfile = \"{}\"\npostcode_column = \"postcode\"\nlat_column = \"lat\"\nlon_column = \"lon\"\n",
        layer_toml(data, "localities", "neighbourhood", &format!("trafford_localities_{year}.geojson"), "area_name", "area_name"),
        layer_toml(data, "wards", "community", &format!("trafford_wards_{year}_full.geojson"), "area_code", "area_name"),
        layer_toml(data, "oas", "population", "trafford_oa_2021.geojson", "area_code", "area_code").trim_end(),
        data.join("trafford_census2021_population_oa.csv").display(),
        data.join("trafford_postcodes.csv").display(),
    )
}

/// A Trafford 2022 region folder with a feed on every 2022 ward and on
/// every 2022 locality.
pub fn trafford_2022_with_feeds(data: &Path) -> tempfile::TempDir {
    let dir = region_dir(&format!(
        "{}\n[feeds]\nfile = \"feeds.csv\"\n",
        trafford_manifest(data, 2022)
    ));
    let wards: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("trafford_wards_2022_full.geojson")).unwrap(),
    )
    .unwrap();
    let mut feeds = String::from("feed_id,platform,handle,url,layer,area_id,name,status\n");
    for w in wards["features"].as_array().unwrap() {
        let code = w["properties"]["area_code"].as_str().unwrap();
        let name = w["properties"]["area_name"].as_str().unwrap();
        feeds.push_str(&format!(
            "W-{code},x,@GMP_{code},https://x.example/GMP_{code},wards,{code},\"{name} police\",active\n"
        ));
    }
    for loc in ["North", "Central", "South", "West"] {
        feeds.push_str(&format!("L-{loc},x,@GMPTrafford{loc},https://x.example/GMPTrafford{loc},localities,{loc},Trafford {loc},active\n"));
    }
    std::fs::write(dir.path().join("feeds.csv"), feeds).unwrap();
    dir
}

/// The code of the Trafford ward called `name` in `year` (2022 or 2023).
pub fn ward_id(data: &Path, year: u32, name: &str) -> String {
    let wards: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data.join(format!("trafford_wards_{year}_full.geojson"))).unwrap(),
    )
    .unwrap();
    wards["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["properties"]["area_name"] == name)
        .unwrap_or_else(|| panic!("no {year} ward {name}"))["properties"]["area_code"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Every suggestion of a plan (as JSON), neighbourhood by neighbourhood.
pub fn suggestions(plan: &serde_json::Value) -> Vec<&serde_json::Value> {
    plan["neighbourhoods"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["suggestions"].as_array().unwrap())
        .collect()
}

/// `feedmap feeds lookup --region REGION --postcode POSTCODE`, as JSON.
pub fn feeds_lookup_postcode(region: &Path, postcode: &str) -> serde_json::Value {
    let out = feedmap_ok(&[
        "feeds".as_ref(),
        "lookup".as_ref(),
        "--region".as_ref(),
        region.as_os_str(),
        "--postcode".as_ref(),
        postcode.as_ref(),
    ]);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A program from PyPI a test runs, named by the environment variable
/// `var` (`.ci/run` installs it and sets it). When unset the test is
/// skipped saying why (`install` says how to get it), except under
/// `CI=true`, where it fails.
pub fn ci_tool(var: &str, test: &str, install: &str) -> Option<std::ffi::OsString> {
    if let Some(path) = std::env::var_os(var) {
        return Some(path);
    }
    let why = format!("{var} is not set ({install})");
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test}: {why}; CI must run this test");
    }
    eprintln!("SKIPPED {test}: {why}");
    None
}

/// Runs `program` with `args`; its standard output and error together,
/// failing the test (with them) unless it succeeds.
pub fn run_tool(program: &std::ffi::OsStr, args: &[&std::ffi::OsStr]) -> String {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{}: {said}",
        program.to_string_lossy()
    );
    said
}

/// One of the 21 Trafford control points (`trafford_control_points_bng.csv`
/// in the GM data): a postcode's WGS84 position and its British National
/// Grid easting and northing.
#[derive(serde::Deserialize)]
pub struct ControlPoint {
    pub postcode: String,
    pub lon: f64,
    pub lat: f64,
    pub easting: f64,
    pub northing: f64,
}

/// The Trafford control points.
pub fn control_points(data: &Path) -> Vec<ControlPoint> {
    csv::Reader::from_path(data.join("trafford_control_points_bng.csv"))
        .unwrap()
        .deserialize()
        .map(Result::unwrap)
        .collect()
}

/// Answers the public question with `body`, as the resident at `client`
/// (a trusted proxy's `X-Forwarded-For`: the server trusts loopback).
pub fn answer_question(base: &str, body: &serde_json::Value, client: &str) -> Reply {
    call(
        base,
        "POST",
        "/v1/question/answers",
        None,
        Some(body),
        &[("X-Forwarded-For", client)],
    )
}

/// The areas held for review, as a planner reads them.
pub fn question_holds(base: &str) -> Reply {
    call(base, "GET", "/v1/question/holds", Some(PLANNER), None, &[])
}
