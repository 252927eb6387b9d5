//! Boundary redraws on real data: the Trafford ward redraw of May 2023
//! and the GM wards 2022 → 2023 (issue "Boundaries change").

use crate::common;

use feedmap::diff::{ChangeKind, Diff, Residents, Side};
use feedmap::Source;
use std::path::Path;

fn share(d: &Diff, from_name: &str, to_name: &str) -> f64 {
    let from = d
        .areas
        .iter()
        .find(|a| a.side == Side::Old && a.name == from_name)
        .unwrap_or_else(|| panic!("no old area {from_name}"));
    d.successors(&from.id)
        .find(|p| p.to_name == to_name)
        .unwrap_or_else(|| panic!("{from_name} passes nothing to {to_name}"))
        .resident_share
        .expect("residents known")
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn trafford_wards_2022_to_2023() {
    let Some(data) = common::gm_data("trafford_wards_2022_to_2023") else {
        return;
    };
    let old_dir = common::region_dir(&common::trafford_manifest(&data, 2022));
    let new_dir = common::region_dir(&common::trafford_manifest(&data, 2023));
    let old = Source::load(old_dir.path()).unwrap();
    let new = Source::load(new_dir.path()).unwrap();
    let (_, old_wards) = old.region.layer("wards").unwrap();
    let (_, new_wards) = new.region.layer("wards").unwrap();
    let oas = old.region.layer("oas").unwrap().1;
    let total: f64 = oas.areas.iter().filter_map(|a| a.population).sum();
    assert_eq!(
        total, 235_013.0,
        "the Census 2021 figures join every output area"
    );
    let d = Diff::compute(
        old_wards,
        new_wards,
        Residents::of(&old.region.layers, None),
        old.region.postcodes.as_deref(),
    );
    for (from, to, expected) in [
        ("St Mary's", "Manor", 0.99),
        ("Priory", "Sale Central", 0.96),
        ("Clifford", "Old Trafford", 0.82),
        ("Davyhulme East", "Lostock & Barton", 0.45),
        ("Davyhulme East", "Urmston", 0.44),
    ] {
        let s = share(&d, from, to);
        eprintln!("{from} → {to}: {:.1} % of residents", s * 100.0);
        assert!(
            (s - expected).abs() <= 0.03,
            "{from} → {to}: {s:.3}, expected about {expected}"
        );
    }
    // Every code changed: no 2022 ward is unchanged; each has an outcome.
    let old_kinds: Vec<_> = d.areas.iter().filter(|a| a.side == Side::Old).collect();
    assert_eq!(old_kinds.len(), 21);
    assert!(old_kinds
        .iter()
        .all(|a| a.kind != ChangeKind::Unchanged && a.kind != ChangeKind::Removed));
    assert_eq!(
        d.area(
            Side::Old,
            &d.areas
                .iter()
                .find(|a| a.name == "Davyhulme East")
                .unwrap()
                .id
        )
        .unwrap()
        .kind,
        ChangeKind::Split
    );
    // Residents are conserved: each old ward's pairs add up to its total.
    for a in &old_kinds {
        let sum: f64 = d.successors(&a.id).filter_map(|p| p.resident_share).sum();
        assert!((sum - 1.0).abs() < 0.02, "{}: shares add to {sum}", a.name);
    }
    // Postcodes: every live postcode changes ward code.
    assert!(
        d.postcodes_moved > 11_000,
        "{} postcodes moved",
        d.postcodes_moved
    );
    for k in [ChangeKind::Split, ChangeKind::Changed] {
        eprintln!("{k:?}: {}", d.summary.get(&k).copied().unwrap_or(0));
    }
}

fn send(
    method: reqwest::Method,
    url: &str,
    if_match: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, Option<String>, serde_json::Value) {
    let client = reqwest::blocking::Client::new();
    let mut req = client.request(method, url).bearer_auth(common::PLANNER);
    if let Some(m) = if_match {
        req = req.header("If-Match", m);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().unwrap();
    let status = resp.status().as_u16();
    let etag = resp
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string());
    let text = resp.text().unwrap();
    (
        status,
        etag,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: not JSON ({e}): {text}")),
    )
}

/// Stages `file` as a release of `layer` through the server at `base`.
fn stage(
    base: &str,
    data: &Path,
    layer: &str,
    file: &str,
) -> (u16, Option<String>, serde_json::Value) {
    send(
        reqwest::Method::POST,
        &format!("{base}/v1/releases"),
        None,
        Some(stage_body(data, layer, file)),
    )
}

/// A server on [`common::trafford_2022_with_feeds`] with the test tokens.
fn trafford_server(data: &Path) -> (tempfile::TempDir, common::Server) {
    let region = common::trafford_2022_with_feeds(data);
    let tokens = common::tokens_file(region.path());
    let server = common::Server::start_with(region.path(), &["--tokens", tokens.to_str().unwrap()]);
    (region, server)
}

fn stage_body(data: &Path, layer: &str, file: &str) -> serde_json::Value {
    serde_json::json!({
        "layer": layer,
        "label": file,
        "files": [{ "name": file, "text": std::fs::read_to_string(data.join(file)).unwrap() }],
    })
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn trafford_ward_release_over_http() {
    use reqwest::Method;
    let Some(data) = common::gm_data("trafford_ward_release_over_http") else {
        return;
    };
    let (_region, server) = trafford_server(&data);
    let url = |p: &str| format!("{}{p}", server.base);

    // Refused whole: an unknown layer, and a file with bad geometry.
    let (status, _, body) = send(
        Method::POST,
        &url("/v1/releases"),
        None,
        Some(serde_json::json!({"layer": "nope", "files": [{"name": "a.geojson", "text": "{}"}]})),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("nope"), "{body}");
    let mut broken: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("trafford_wards_2023_full.geojson")).unwrap(),
    )
    .unwrap();
    broken["features"][3]["geometry"] = serde_json::json!({"type": "Polygon", "coordinates": [[[-2.3, 53.4], [-2.2, 53.5], [-2.3, 53.5], [-2.2, 53.4], [-2.3, 53.4]]]});
    broken["features"][5]["properties"]["area_code"] = serde_json::Value::Null;
    let (status, _, body) = send(
        Method::POST,
        &url("/v1/releases"),
        None,
        Some(
            serde_json::json!({"layer": "wards", "files": [{"name": "broken.geojson", "text": broken.to_string()}]}),
        ),
    );
    assert_eq!(status, 400, "{body}");
    let problems = body["problems"].as_array().expect("every problem listed");
    assert!(problems.len() >= 2, "{body}");
    assert!(problems.iter().any(|p| p["feature"] == 3), "{body}");
    assert!(problems.iter().any(|p| p["feature"] == 5), "{body}");
    let (_, list) = server.get("/v1/releases");
    assert_eq!(
        list["generations"].as_array().unwrap().len(),
        3,
        "only the manifest's generations: {list}"
    );

    // Stage the 2023 wards.
    let (status, etag, staged) = stage(
        &server.base,
        &data,
        "wards",
        "trafford_wards_2023_full.geojson",
    );
    assert_eq!(status, 201, "{staged}");
    assert_eq!(staged["generation"], 2);
    assert_eq!(staged["status"], "staged");
    assert_eq!(staged["areas"], 21);
    let id = staged["release"].as_i64().unwrap();
    assert!(etag.is_some());

    // Lookups still answer with 2022 until activation.
    let st_marys = common::ward_id(&data, 2022, "St Mary's");
    let manor = common::ward_id(&data, 2023, "Manor");
    let postcode = common::postcodes(&data)
        .into_iter()
        .find(|p| p.ward_code == manor)
        .map(|p| p.postcode)
        .unwrap();
    let pc = postcode.replace(' ', "%20");
    let (_, before) = server.get(&format!("/v1/feeds/lookup?postcode={pc}"));
    assert_eq!(before["community"]["id"], st_marys.as_str(), "{before}");

    // The diff, in three formats.
    let (status, diff) = server.get(&format!("/v1/releases/{id}/diff"));
    assert_eq!(status, 200, "{diff}");
    assert!(diff["postcodes_moved"].as_u64().unwrap() > 11_000);
    let csv = reqwest::blocking::get(url(&format!("/v1/releases/{id}/diff?format=csv")))
        .unwrap()
        .text()
        .unwrap();
    assert!(csv.starts_with("from,from_name,from_kind,to,"), "{csv}");
    assert!(csv
        .lines()
        .any(|l| l.contains("St Mary's") && l.contains("Manor")));
    let (status, ct, gj) = server.get_with_type(&format!("/v1/releases/{id}/diff?format=geojson"));
    assert_eq!((status, ct.as_str()), (200, "application/geo+json"));
    assert_eq!(gj["features"].as_array().unwrap().len(), 42);

    // Proposals: one per feed on a 2022 ward, each with an outcome.
    let (status, props) = server.get(&format!("/v1/releases/{id}/proposals"));
    assert_eq!(status, 200, "{props}");
    let list = props["proposals"].as_array().unwrap();
    assert_eq!(list.len(), 21, "{props}");
    let of = |name: &str| {
        let code = common::ward_id(&data, 2022, name);
        list.iter()
            .find(|p| p["subject"] == format!("feed:W-{code}"))
            .unwrap_or_else(|| panic!("no proposal for {name}"))
            .clone()
    };
    for (from, to, share) in [
        ("St Mary's", "Manor", 0.99),
        ("Priory", "Sale Central", 0.96),
        ("Clifford", "Old Trafford", 0.82),
    ] {
        let p = of(from);
        assert_eq!(p["outcome"], "proposed", "{p}");
        assert_eq!(p["proposed_name"], to, "{p}");
        assert!((p["share"].as_f64().unwrap() - share).abs() <= 0.03, "{p}");
    }
    let davyhulme = of("Davyhulme East");
    assert_eq!(davyhulme["outcome"], "split", "{davyhulme}");
    assert!(davyhulme["proposed"].is_null());
    let cands = davyhulme["candidates"].as_array().unwrap();
    for (name, share) in [("Lostock & Barton", 0.45), ("Urmston", 0.44)] {
        let c = cands
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{davyhulme}"));
        assert!(
            (c["resident_share"].as_f64().unwrap() - share).abs() <= 0.03,
            "{c}"
        );
    }
    assert!(list
        .iter()
        .all(|p| !p["outcome"].is_null() && p["reason"].as_str().is_some_and(|r| !r.is_empty())));

    // Confirm St Mary's proposal; a second confirm from the same read is stale.
    let subject = |name: &str| format!("feed:W-{}", common::ward_id(&data, 2022, name));
    let path = |name: &str| url(&format!("/v1/releases/{id}/proposals/{}", subject(name)));
    let confirm = |name: &str, if_match: &str, body: serde_json::Value| {
        send(Method::PUT, &path(name), Some(if_match), Some(body))
    };
    let (status, etag, p) = confirm("St Mary's", "\"v0\"", serde_json::json!({}));
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["confirmed"]["to"], manor.as_str());
    assert_eq!(etag.as_deref(), Some("\"v1\""));
    let (status, _, p) = confirm("St Mary's", "\"v0\"", serde_json::json!({}));
    assert_eq!(status, 412, "{p}");
    // A split needs a named area; one that is not in the new generation is refused.
    let (status, _, p) = confirm("Davyhulme East", "\"v0\"", serde_json::json!({}));
    assert_eq!(status, 400, "{p}");
    let (status, _, p) = confirm(
        "Davyhulme East",
        "\"v0\"",
        serde_json::json!({"to": st_marys}),
    );
    assert_eq!(status, 400, "{p}");
    let urmston = common::ward_id(&data, 2023, "Urmston");
    let (status, _, p) = confirm(
        "Davyhulme East",
        "\"v0\"",
        serde_json::json!({"to": urmston}),
    );
    assert_eq!(status, 200, "{p}");

    // Activate from today.
    let (status, _, act) = send(
        Method::POST,
        &url(&format!("/v1/releases/{id}/activate")),
        Some("*"),
        Some(serde_json::json!({})),
    );
    assert_eq!(status, 200, "{act}");
    assert_eq!(act["moved"], 2, "{act}");
    assert_eq!(act["waiting"].as_array().unwrap().len(), 19, "{act}");

    // Now: the postcode is in Manor and keeps St Mary's migrated feed.
    let st_marys_feed = format!("W-{st_marys}");
    let (_, now) = server.get(&format!("/v1/feeds/lookup?postcode={pc}"));
    assert_eq!(now["community"]["id"], manor.as_str(), "{now}");
    assert_eq!(now["feeds"][0]["feed_id"], st_marys_feed.as_str(), "{now}");
    assert_eq!(
        now["feeds"][0]["matched"]["area_id"],
        manor.as_str(),
        "{now}"
    );
    // As of 2023-01-01: St Mary's and its feed as it was.
    let (_, then) = server.get(&format!("/v1/feeds/lookup?postcode={pc}&at=2023-01-01"));
    assert_eq!(then["at"], "2023-01-01");
    assert_eq!(then["community"]["id"], st_marys.as_str(), "{then}");
    assert_eq!(
        then["feeds"][0]["feed_id"],
        st_marys_feed.as_str(),
        "{then}"
    );
    assert_eq!(
        then["feeds"][0]["matched"]["area_id"],
        st_marys.as_str(),
        "{then}"
    );
    // Unconfirmed feeds are still listed, each with its problem.
    let (_, feeds) = server.get("/v1/feeds");
    let with_problem = feeds["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["problem"].is_string())
        .count();
    assert_eq!(with_problem, 19, "{feeds}");
    // Lineage both ways.
    let (status, lin) = server.get(&format!("/v1/areas/wards/{st_marys}/lineage"));
    assert_eq!(status, 200, "{lin}");
    assert!(
        lin["generations"][0]["successors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == manor.as_str()),
        "{lin}"
    );
    let (_, lin) = server.get(&format!("/v1/areas/wards/{manor}/lineage"));
    assert!(
        lin["generations"][0]["predecessors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == st_marys.as_str()),
        "{lin}"
    );
    assert_eq!(server.get("/v1/areas/wards/E99999999/lineage").0, 404);

    // Batches and the OGC items answer as of a date too.
    let batch = |at: &str| {
        reqwest::blocking::Client::new()
            .post(url(&format!("/v1/feeds/lookup/batch{at}")))
            .header("Content-Type", "text/csv")
            .body(format!("id,postcode\n1,{postcode}\n"))
            .send()
            .unwrap()
            .text()
            .unwrap()
    };
    assert!(batch("").contains(&manor), "{}", batch(""));
    assert!(
        batch("?at=2023-01-01").contains(&st_marys),
        "{}",
        batch("?at=2023-01-01")
    );
    let (status, bad) = server.get("/v1/feeds/lookup?postcode=M1%201AA&at=2023-02-30");
    assert_eq!(status, 400, "{bad}");
    let ids = |q: &str| -> Vec<String> {
        let (status, items) = server.get(&format!("/collections/wards/items?limit=100{q}"));
        assert_eq!(status, 200, "{items}");
        items["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(ids("").contains(&manor) && !ids("").contains(&st_marys));
    assert!(ids("&datetime=2023-01-01T12:00:00Z").contains(&st_marys));
    assert_eq!(
        server
            .get("/collections/wards/items?datetime=2023-01-01/2024-01-01")
            .0,
        400
    );

    // A confirm after activation conflicts; activating it again conflicts.
    let (status, _, p) = confirm("Priory", "\"v0\"", serde_json::json!({}));
    assert_eq!(status, 409, "{p}");
    let (status, _, p) = send(
        Method::POST,
        &url(&format!("/v1/releases/{id}/activate")),
        Some("*"),
        Some(serde_json::json!({})),
    );
    assert_eq!(status, 409, "{p}");

    // Two releases staged against generation 2: the newer one activated
    // first, the older one is refused (409).
    let (_, _, a) = stage(
        &server.base,
        &data,
        "wards",
        "trafford_wards_2023_full.geojson",
    );
    let (_, _, b) = stage(
        &server.base,
        &data,
        "wards",
        "trafford_wards_2023_full.geojson",
    );
    let (status, _, p) = send(
        Method::POST,
        &url(&format!("/v1/releases/{}/activate", b["release"])),
        Some("*"),
        Some(serde_json::json!({"valid_from": "2099-01-01"})),
    );
    assert_eq!(status, 200, "{p}");
    let (status, _, p) = send(
        Method::POST,
        &url(&format!("/v1/releases/{}/activate", a["release"])),
        Some("*"),
        Some(serde_json::json!({"valid_from": "2099-06-01"})),
    );
    assert_eq!(status, 409, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("older"), "{p}");
    let (status, _, p) = send(
        Method::POST,
        &url(&format!("/v1/releases/{}/activate", a["release"])),
        Some("*"),
        Some(serde_json::json!({"valid_from": "2099-13-01"})),
    );
    assert_eq!(status, 400, "{p}");
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn trafford_localities_scheduled_release() {
    use reqwest::Method;
    let Some(data) = common::gm_data("trafford_localities_scheduled_release") else {
        return;
    };
    let (_region, server) = trafford_server(&data);
    let url = |p: &str| format!("{}{p}", server.base);

    // A decision on a 2022 ward, moved by a ward release activated now.
    let st_marys = common::ward_id(&data, 2022, "St Mary's");
    let manor = common::ward_id(&data, 2023, "Manor");
    let (status, _, d) = send(
        Method::POST,
        &url("/v1/decisions"),
        None,
        Some(
            serde_json::json!({"layer": "wards", "area_id": st_marys, "decision": "accept", "note": "the estate"}),
        ),
    );
    assert_eq!(status, 201, "{d}");
    let (_, _, wards) = stage(
        &server.base,
        &data,
        "wards",
        "trafford_wards_2023_full.geojson",
    );
    let wid = wards["release"].as_i64().unwrap();
    let subject = format!("decision:{}", d["id"]);
    let (status, _, p) = send(
        Method::PUT,
        &url(&format!("/v1/releases/{wid}/proposals/{subject}")),
        Some("\"v0\""),
        Some(serde_json::json!({})),
    );
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["proposed"], manor.as_str());
    let (status, _, _) = send(
        Method::POST,
        &url(&format!("/v1/releases/{wid}/activate")),
        Some("*"),
        Some(serde_json::json!({})),
    );
    assert_eq!(status, 200);
    let (_, decisions) = server.get("/v1/decisions");
    assert_eq!(
        decisions["decisions"][0]["area_id"],
        manor.as_str(),
        "{decisions}"
    );
    assert_eq!(decisions["vanished"], 0, "{decisions}");
    // Manor has that decision now: a second one is refused, naming it.
    let (status, _, dup) = send(
        Method::POST,
        &url("/v1/decisions"),
        None,
        Some(serde_json::json!({"layer": "wards", "area_id": manor, "decision": "reject"})),
    );
    assert_eq!(status, 409, "{dup}");
    assert!(
        dup["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("id {}", d["id"])),
        "{dup}"
    );
    let (_, plan) = server.get("/v1/plan?max_new_feeds=none");
    let plan_text = plan.to_string();
    assert!(
        plan_text.contains(&manor) && !plan_text.contains(&st_marys),
        "the plan is on the 2023 wards"
    );

    // The 2023 localities, scheduled for a future date.
    let (status, _, loc) = stage(
        &server.base,
        &data,
        "localities",
        "trafford_localities_2023.geojson",
    );
    assert_eq!(status, 201, "{loc}");
    let lid = loc["release"].as_i64().unwrap();
    let (_, props) = server.get(&format!("/v1/releases/{lid}/proposals"));
    let props = props["proposals"].as_array().unwrap().clone();
    assert_eq!(props.len(), 4, "one per locality feed: {props:?}");
    for p in &props {
        assert!(
            p["outcome"] == "stays" || p["outcome"] == "proposed" || p["outcome"] == "split",
            "{p}"
        );
        if p["proposed"].is_string() {
            let (status, _, c) = send(
                Method::PUT,
                &url(&format!(
                    "/v1/releases/{lid}/proposals/{}",
                    p["subject"].as_str().unwrap()
                )),
                Some("\"v0\""),
                Some(serde_json::json!({})),
            );
            assert_eq!(status, 200, "{c}");
        }
    }
    let (status, _, act) = send(
        Method::POST,
        &url(&format!("/v1/releases/{lid}/activate")),
        Some("*"),
        Some(serde_json::json!({"valid_from": "2099-04-01"})),
    );
    assert_eq!(status, 200, "{act}");
    assert_eq!(act["release"]["in_effect"], false, "{act}");
    let (_, health) = server.get("/health");
    assert_eq!(
        health["boundaries"]["generations"]["localities"], 1,
        "{health}"
    );
    assert_eq!(health["boundaries"]["generations"]["wards"], 2, "{health}");
    assert_eq!(
        health["boundaries"]["next_change"], "2099-04-01",
        "{health}"
    );
    let (_, list) = server.get("/v1/releases?layer=localities");
    let gens = list["generations"].as_array().unwrap();
    assert_eq!(gens[0]["valid_to"], "2099-04-01", "{list}");
    assert_eq!(gens[0]["in_effect"], true);

    // Upcoming: exactly where the locality (and so the feeds) will change.
    let mut with = 0;
    let mut without = 0;
    for pc in common::postcodes(&data).iter().step_by(50) {
        let q = format!("lat={}&lon={}", pc.lat, pc.lon);
        let (_, now) = server.get(&format!("/v1/lookup?{q}"));
        let (_, later) = server.get(&format!("/v1/lookup?{q}&at=2099-04-01"));
        let locality = |a: &serde_json::Value| a["areas"]["localities"][0]["id"].clone();
        let changes = locality(&now) != locality(&later);
        assert_eq!(
            now["upcoming"].is_object(),
            changes,
            "{q}: {now} vs {later}"
        );
        assert!(
            later["upcoming"].is_null(),
            "nothing scheduled after 2099-04-01"
        );
        let (_, feeds) = server.get(&format!("/v1/feeds/lookup?{q}"));
        assert_eq!(feeds["upcoming"].is_object(), changes, "{q}: {feeds}");
        if changes {
            with += 1;
            assert_eq!(now["upcoming"]["from"], "2099-04-01");
            assert_eq!(now["upcoming"]["areas"][0]["layer"], "localities", "{now}");
            assert_eq!(feeds["upcoming"]["feeds_change"], true, "{feeds}");
        } else {
            without += 1;
        }
    }
    assert!(
        with > 0 && without > 0,
        "{with} points change locality, {without} do not"
    );
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn gm_wards_2022_to_2023() {
    let Some(data) = common::gm_data("gm_wards_2022_to_2023") else {
        return;
    };
    let manifest = |year: u32| {
        format!(
            "name = \"GM {year}\"\n\n{}{}",
            common::layer_toml(
                &data,
                "wards",
                "community",
                &format!("gm_wards_{year}.geojson"),
                "area_code",
                "area_name"
            ),
            common::population_layer_toml(&data, "lsoas", "gm_lsoa_2021.geojson", 1700),
        )
    };
    let (a, b) = (
        common::region_dir(&manifest(2022)),
        common::region_dir(&manifest(2023)),
    );
    let old = Source::load(a.path()).unwrap();
    let new = Source::load(b.path()).unwrap();
    let (ow, nw) = (
        old.region.layer("wards").unwrap().1,
        new.region.layer("wards").unwrap().1,
    );
    let replaced = ow
        .areas
        .iter()
        .filter(|a| nw.area_index(&a.id).is_none())
        .count();
    assert_eq!(replaced, 126, "codes replaced");
    let started = std::time::Instant::now();
    let d = Diff::compute(ow, nw, Residents::of(&old.region.layers, None), None);
    eprintln!(
        "GM wards 2022 → 2023 diff: {} ms ({} pairs)",
        started.elapsed().as_millis(),
        d.pairs.len()
    );
    // Outside Trafford (and the other redrawn boroughs) most wards are the same ground.
    let unchanged = d
        .areas
        .iter()
        .filter(|a| a.side == Side::Old && a.kind == ChangeKind::Unchanged)
        .count();
    for a in d.areas.iter().filter(|a| {
        a.side == Side::Old && a.kind != ChangeKind::Unchanged && nw.area_index(&a.id).is_some()
    }) {
        let best: Vec<_> = d
            .successors(&a.id)
            .take(2)
            .map(|p| {
                format!(
                    "{} {:.3}/{:.3} r={:?} m2={}",
                    p.to_name, p.ground_share, p.share_of_new, p.resident_share, p.ground_m2
                )
            })
            .collect();
        eprintln!(
            "kept code, not unchanged: {} {} {:?} {:?}",
            a.id, a.name, a.kind, best
        );
    }
    assert_eq!(
        unchanged,
        215 - replaced,
        "every ward whose code was kept is unchanged ground"
    );
    assert!(d
        .areas
        .iter()
        .filter(|a| a.side == Side::Old)
        .all(|a| a.kind != ChangeKind::Removed));
}

/// What a lookup of `postcode` says: (community id, first feed's id, the
/// area that feed matched).
fn answer_of(base: &str, pc: &str) -> (String, String, String) {
    let r = common::call(
        base,
        "GET",
        &format!("/v1/feeds/lookup?postcode={}", pc.replace(' ', "%20")),
        None,
        None,
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.json);
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    (
        s(&r.json["community"]["id"]),
        s(&r.json["feeds"][0]["feed_id"]),
        s(&r.json["feeds"][0]["matched"]["area_id"]),
    )
}

/// Stages the 2023 wards through `base` and confirms the proposals of
/// St Mary's, Priory and Clifford; returns the release id.
fn stage_and_confirm(base: &str, data: &Path) -> i64 {
    let r = common::call(
        base,
        "POST",
        "/v1/releases",
        Some(common::PLANNER),
        Some(&stage_body(
            data,
            "wards",
            "trafford_wards_2023_full.geojson",
        )),
        &[],
    );
    assert_eq!(r.status, 201, "{}", r.json);
    let id = r.json["release"].as_i64().unwrap();
    for name in ["St Mary's", "Priory", "Clifford"] {
        let path = format!(
            "/v1/releases/{id}/proposals/feed:W-{}",
            common::ward_id(data, 2022, name)
        );
        let r = common::call(
            base,
            "PUT",
            &path,
            Some(common::PLANNER),
            Some(&serde_json::json!({})),
            &[("If-Match", "\"v0\"")],
        );
        assert_eq!(r.status, 200, "{}", r.json);
    }
    id
}

/// Postcodes of St Mary's, Priory and Clifford (2022) and the 2023 wards
/// their feeds move to.
fn moving_postcodes(data: &Path) -> Vec<(String, String, String)> {
    let pcs = common::postcodes(data);
    let dir = common::region_dir(&common::trafford_manifest(data, 2022));
    let old = Source::load(dir.path()).unwrap();
    let wards = old.region.layer("wards").unwrap().1;
    let in_old = |p: &common::Postcode, id: &str| {
        wards
            .index
            .locate(&wards.areas, p.lon, p.lat)
            .first()
            .is_some_and(|&a| wards.areas[a].id == id)
    };
    [
        ("St Mary's", "Manor"),
        ("Priory", "Sale Central"),
        ("Clifford", "Old Trafford"),
    ]
    .iter()
    .map(|(old, new)| {
        let (o, n) = (
            common::ward_id(data, 2022, old),
            common::ward_id(data, 2023, new),
        );
        let pc = pcs
            .iter()
            .find(|p| p.ward_code == n && in_old(p, &o))
            .unwrap()
            .postcode
            .clone();
        (pc, o, n)
    })
    .collect()
}

#[test]
#[cfg_attr(
    any(feedmap_no_gm_data, feedmap_no_postgres),
    ignore = "needs the GM data (FEEDMAP_DATA or ../shared/data/gm) and PostgreSQL (FEEDMAP_TEST_POSTGRES)"
)]
fn replicas_switch_generations_together() {
    let Some(data) = common::gm_data("replicas_switch_generations_together") else {
        return;
    };
    let Some(db) = common::postgres("replicas_generations") else {
        return;
    };
    let region = common::trafford_2022_with_feeds(&data);
    let tokens = common::tokens_file(region.path());
    let start = || {
        common::Server::start_with(
            region.path(),
            &[
                "--store",
                &db.url,
                "--tokens",
                tokens.to_str().unwrap(),
                "--store-poll",
                "100ms",
            ],
        )
    };
    let (a, b) = (start(), start());
    let id = stage_and_confirm(&a.base, &data);
    // B sees the staged release, its diff and A's confirmations at once.
    let (status, diff) = b.get(&format!("/v1/releases/{id}/diff"));
    assert_eq!(status, 200, "{diff}");
    let (_, props) = b.get(&format!("/v1/releases/{id}/proposals"));
    assert_eq!(
        props["proposals"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["confirmed"].is_object())
            .count(),
        3
    );
    let moving = moving_postcodes(&data);
    for (pc, old, _) in &moving {
        for s in [&a, &b] {
            let (ward, feed, matched) = answer_of(&s.base, pc);
            assert_eq!(
                (ward.as_str(), matched.as_str()),
                (old.as_str(), old.as_str())
            );
            assert_eq!(feed, format!("W-{old}"));
        }
    }
    let r = common::call(
        &a.base,
        "POST",
        &format!("/v1/releases/{id}/activate"),
        Some(common::PLANNER),
        Some(&serde_json::json!({})),
        &[("If-Match", "*")],
    );
    assert_eq!(r.status, 200, "{}", r.json);
    // B switches within its poll: every answer is of one generation (its
    // area and the area its feed matched agree), and once B has answered
    // with the new generation it never answers with the old one again.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut switched_at = None;
    for round in 0.. {
        for (pc, old, new) in &moving {
            let (ward, feed, matched) = answer_of(&b.base, pc);
            assert_eq!(feed, format!("W-{old}"), "the feed follows its area");
            assert_eq!(ward, matched, "the feed matches the area answered");
            if ward == *new {
                switched_at.get_or_insert(round);
            } else {
                assert_eq!(&ward, old);
                assert!(
                    switched_at.is_none(),
                    "{pc} answered the old generation after the new one"
                );
            }
        }
        if switched_at.is_some_and(|r| round > r) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "B never switched");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for (pc, _, new) in &moving {
        assert_eq!(&answer_of(&a.base, pc).0, new);
    }
    let (_, list) = b.get("/v1/releases?layer=wards");
    assert_eq!(list["generations"][1]["in_effect"], true, "{list}");
}

/// One round: the activation is sent and the server killed `round` × 1.5 ms
/// (plus up to 2 ms at random) later, so rounds land before, during and
/// after the transaction.
fn activation_survives_sigkill(
    test: &str,
    round: u64,
    args: &dyn Fn(&Path) -> Vec<String>,
    data: &Path,
) {
    let region = common::trafford_2022_with_feeds(data);
    let tokens = common::tokens_file(region.path());
    let mut serve_args = args(region.path());
    serve_args.extend(["--tokens".into(), tokens.to_str().unwrap().into()]);
    let a: Vec<&str> = serve_args.iter().map(String::as_str).collect();
    let server = common::Server::start_with(region.path(), &a);
    let id = stage_and_confirm(&server.base, data);
    // The diff is computed on first use; warm it so the kill lands in the
    // activation itself as often as before it.
    assert_eq!(server.get(&format!("/v1/releases/{id}/proposals")).0, 200);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let delay = std::time::Duration::from_micros(u64::from(seed % 2_000) + round * 1_500);
    eprintln!("{test}: SIGKILL {delay:?} after sending the activation");
    let base = server.base.clone();
    let sender = std::thread::spawn(move || {
        let client = reqwest::blocking::Client::new();
        client
            .post(format!("{base}/v1/releases/{id}/activate"))
            .bearer_auth(common::PLANNER)
            .header("If-Match", "*")
            .json(&serde_json::json!({}))
            .send()
            .map(|r| r.status().as_u16())
            .ok()
    });
    std::thread::sleep(delay);
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let acked = sender.join().unwrap();
    let restarted = common::Server::start_with(region.path(), &a);
    let (_, rel) = restarted.get(&format!("/v1/releases/{id}"));
    let active = rel["status"] == "active";
    if acked == Some(200) {
        assert!(active, "an acknowledged activation is kept: {rel}");
    }
    let (_, audit) = restarted.get("/v1/audit?limit=1000");
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    let count = |a: &str| actions.iter().filter(|x| **x == a).count();
    eprintln!(
        "{test}: after restart the release is {} (request: {acked:?})",
        rel["status"]
    );
    for (pc, old, new) in moving_postcodes(data) {
        let (ward, feed, matched) = answer_of(&restarted.base, &pc);
        assert_eq!(feed, format!("W-{old}"));
        assert_eq!(ward, matched);
        assert_eq!(
            ward,
            if active { new } else { old },
            "never a mix of generations"
        );
    }
    assert_eq!(
        (count("release.activate"), count("release.migrate")),
        if active { (1, 3) } else { (0, 0) }
    );
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn sqlite_activation_is_atomic_through_sigkill() {
    let Some(data) = common::gm_data("sqlite_activation_is_atomic_through_sigkill") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for round in 0..6 {
        let d = dir.path().join(round.to_string());
        activation_survives_sigkill(
            "sqlite",
            round,
            &|_| vec!["--data-dir".into(), d.to_str().unwrap().into()],
            &data,
        );
    }
}

#[test]
#[cfg_attr(
    any(feedmap_no_gm_data, feedmap_no_postgres),
    ignore = "needs the GM data (FEEDMAP_DATA or ../shared/data/gm) and PostgreSQL (FEEDMAP_TEST_POSTGRES)"
)]
fn postgres_activation_is_atomic_through_sigkill() {
    let Some(data) = common::gm_data("postgres_activation_is_atomic_through_sigkill") else {
        return;
    };
    for round in 0..6 {
        let Some(db) = common::postgres(&format!("activation_{round}")) else {
            return;
        };
        activation_survives_sigkill(
            "postgres",
            round,
            &|_| vec!["--store".into(), db.url.clone()],
            &data,
        );
    }
}

/// The 2023 localities activated now as a release: the plan the server
/// then makes is exactly the plan of a region whose manifest names the
/// 2023 localities from the start.
#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn a_neighbourhood_release_replans() {
    let Some(data) = common::gm_data("a_neighbourhood_release_replans") else {
        return;
    };
    let (region, server) = trafford_server(&data);
    let plan = |s: &common::Server| {
        let (status, mut p) = s.get("/v1/plan?max_new_feeds=none");
        assert_eq!(status, 200, "{p}");
        p.as_object_mut().unwrap().remove("generation");
        p
    };
    let before = plan(&server);
    let r = common::call(
        &server.base,
        "POST",
        "/v1/releases",
        Some(common::PLANNER),
        Some(&stage_body(
            &data,
            "localities",
            "trafford_localities_2023.geojson",
        )),
        &[],
    );
    assert_eq!(r.status, 201, "{}", r.json);
    let id = r.json["release"].as_i64().unwrap();
    let r = common::call(
        &server.base,
        "POST",
        &format!("/v1/releases/{id}/activate"),
        Some(common::PLANNER),
        Some(&serde_json::json!({})),
        &[("If-Match", "*")],
    );
    assert_eq!(r.status, 200, "{}", r.json);
    let after = plan(&server);
    assert_ne!(before, after, "the redrawn localities change the plan");
    // The same region with the 2023 localities in its manifest.
    let manifest = region.path().join("region.toml");
    let text = std::fs::read_to_string(&manifest).unwrap().replace(
        "trafford_localities_2022.geojson",
        "trafford_localities_2023.geojson",
    );
    let fresh = tempfile::tempdir().unwrap();
    std::fs::write(fresh.path().join("region.toml"), text).unwrap();
    std::fs::copy(
        region.path().join("feeds.csv"),
        fresh.path().join("feeds.csv"),
    )
    .unwrap();
    let served = feedmap::Served::without_store(Source::load(fresh.path()).unwrap());
    let params = served
        .params(&[("max_new_feeds".into(), "none".into())])
        .unwrap();
    let expected = serde_json::to_value(served.plan(&params).unwrap()).unwrap();
    assert_eq!(
        after, expected,
        "the plan after activation is the 2023 localities' plan"
    );
}

/// `feedmap release …` on the command line: the same operations, on the
/// SQLite store in a data directory; writes need a planner token.
#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn release_on_the_command_line() {
    let Some(data) = common::gm_data("release_on_the_command_line") else {
        return;
    };
    let region = common::trafford_2022_with_feeds(&data);
    let tokens = common::tokens_file(region.path());
    let store = tempfile::tempdir().unwrap();
    let run = |args: &[&str], token: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_feedmap"));
        cmd.arg("release")
            .arg("--region")
            .arg(region.path())
            .arg("--data-dir")
            .arg(store.path())
            .args(args)
            .env_remove("FEEDMAP_TOKEN")
            .env("FEEDMAP_TOKENS_FILE", &tokens)
            .env("RUST_LOG", "warn");
        if let Some(t) = token {
            cmd.env("FEEDMAP_TOKEN", t);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let file = data.join("trafford_wards_2023_full.geojson");
    let file = file.to_str().unwrap();
    let (code, _, err) = run(&["stage", "--layer", "wards", file], None);
    assert_eq!(code, Some(1));
    assert!(err.contains("planner token"), "{err}");
    let (code, _, err) = run(&["stage", "--layer", "wards", file], Some(common::READER));
    assert_eq!(code, Some(1));
    assert!(err.contains("read-only"), "{err}");
    let (code, _, err) = run(&["stage", "--layer", "nope", file], Some(common::PLANNER));
    assert_eq!(code, Some(1));
    assert!(err.contains("unknown layer \"nope\""), "{err}");
    let (code, out, err) = run(
        &["stage", "--layer", "wards", "--label", "May 2023", file],
        Some(common::PLANNER),
    );
    assert_eq!(code, Some(0), "{err}");
    let staged: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (staged["generation"].as_i64(), staged["status"].as_str()),
        (Some(2), Some("staged"))
    );
    let id = staged["release"].to_string();
    let (code, csv, _) = run(&["diff", &id, "--format", "csv"], None);
    assert_eq!(code, Some(0));
    assert!(csv
        .lines()
        .any(|l| l.starts_with(&common::ward_id(&data, 2022, "St Mary's")) && l.contains("Manor")));
    let subject = format!("feed:W-{}", common::ward_id(&data, 2022, "St Mary's"));
    let (code, out, err) = run(&["confirm", &id, &subject], Some(common::PLANNER));
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains(&common::ward_id(&data, 2023, "Manor")),
        "{out}"
    );
    let (code, out, err) = run(
        &["activate", &id, "--valid-from", "2023-05-04"],
        Some(common::PLANNER),
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("1 moved, 20 waiting"), "{err}");
    let activated: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(activated["valid_from"], "2023-05-04");
    let (_, out, _) = run(&["list", "--layer", "wards"], None);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list["generations"][0]["valid_to"], "2023-05-04", "{list}");
    assert_eq!(list["generations"][1]["in_effect"], true, "{list}");
    // The audit log names the token that did it.
    let dump = feedmap::store::Location::Sqlite(store.path().to_path_buf())
        .open()
        .unwrap()
        .audit(0, 100)
        .unwrap();
    assert!(dump.iter().all(|e| e.who == "planner-a"), "{dump:?}");
}

/// Two releases move one feed in turn: each date's answer follows the
/// chain of moves up to that date.
#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn successive_releases_chain_their_moves() {
    let Some(data) = common::gm_data("successive_releases_chain_their_moves") else {
        return;
    };
    let (_region, server) = trafford_server(&data);
    let (st_marys, manor) = (
        common::ward_id(&data, 2022, "St Mary's"),
        common::ward_id(&data, 2023, "Manor"),
    );
    let priory = common::ward_id(&data, 2022, "Priory");
    let subject = format!("feed:W-{st_marys}");
    let step = |file: &str, to: &str, from: &str| {
        let r = common::call(
            &server.base,
            "POST",
            "/v1/releases",
            Some(common::PLANNER),
            Some(&stage_body(&data, "wards", file)),
            &[],
        );
        assert_eq!(r.status, 201, "{}", r.json);
        let id = r.json["release"].as_i64().unwrap();
        let path = format!("/v1/releases/{id}/proposals/{subject}");
        let r = common::call(
            &server.base,
            "PUT",
            &path,
            Some(common::PLANNER),
            Some(&serde_json::json!({"to": to})),
            &[("If-Match", "\"v0\"")],
        );
        assert_eq!(r.status, 200, "{}", r.json);
        let r = common::call(
            &server.base,
            "POST",
            &format!("/v1/releases/{id}/activate"),
            Some(common::PLANNER),
            Some(&serde_json::json!({"valid_from": from})),
            &[("If-Match", "*")],
        );
        assert_eq!(r.status, 200, "{}", r.json);
    };
    step("trafford_wards_2023_full.geojson", &manor, "2024-01-01");
    // The 2022 wards again, the feed moved on to Priory this time.
    step("trafford_wards_2022_full.geojson", &priory, "2025-01-01");
    let ward_ids = |at: &str| -> Vec<String> {
        let (_, list) = server.get(&format!("/collections/wards/items?limit=100&datetime={at}"));
        list["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(ward_ids("2023-06-01").contains(&st_marys));
    assert!(ward_ids("2024-06-01").contains(&manor));
    let (_, feed) = server.get(&format!("/v1/feeds/W-{st_marys}"));
    assert_eq!(
        feed["area_id"],
        priory.as_str(),
        "today the feed is where the second move put it: {feed}"
    );
    assert!(feed["problem"].is_null(), "{feed}");
    // A postcode in Priory finds it there today.
    let (pc, _, _) = moving_postcodes(&data).swap_remove(1);
    let r = common::call(
        &server.base,
        "GET",
        &format!("/v1/feeds/lookup?postcode={}", pc.replace(' ', "%20")),
        None,
        None,
        &[],
    );
    assert_eq!(r.json["community"]["id"], priory.as_str(), "{}", r.json);
    let ids: Vec<&str> = r.json["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["feed_id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&format!("W-{st_marys}").as_str()),
        "{}",
        r.json
    );
}
