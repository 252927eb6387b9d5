//! A neighbourhood's published contacts and priorities: set by planners
//! over HTTP and on the command line, checked field by field, audited, in
//! the change feed without names, answered by data.police.uk's `people` and
//! `priorities`, counted by the Guarantee view, and carried to a successor
//! area by a boundary release.

use crate::common::{self, call, tokens_file, Server, INTEGRATOR, PLANNER, READER};
use serde_json::{json, Value};

fn demo_server() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let tokens = tokens_file(dir.path());
    let server = Server::start_with(
        &common::demo_region(),
        &["--tokens", tokens.to_str().unwrap()],
    );
    (dir, server)
}

fn today() -> String {
    feedmap::calendar::today()
}

fn people() -> Value {
    json!({ "people": [
        {
            "name": " PC Sam Ahmed ",
            "rank": "Police Constable",
            "bio": "Sam walks the Marlow Fen beat.\n\nAsk about <bike marking> & more.",
            "contact_details": { "email": "marlow.team@police.example", "telephone": "0161 872 5050" }
        },
        { "name": "PCSO Jo Price", "rank": "PCSO", "contact_details": {} }
    ] })
}

fn priorities() -> Value {
    json!({ "priorities": [
        {
            "issue": "Speeding on Fen Road at school times",
            "issue_date": feedmap::calendar::add_days(&today(), -40).unwrap(),
            "action": "Speed checks with the community speed watch",
            "action_date": feedmap::calendar::add_days(&today(), -5).unwrap()
        },
        { "issue": "Bike theft near the station", "issue_date": feedmap::calendar::add_days(&today(), -200).unwrap() }
    ] })
}

/// A planner's PUT with `If-Match: tag`.
fn put(base: &str, path: &str, body: &Value, tag: &str) -> common::Reply {
    call(
        base,
        "PUT",
        path,
        Some(PLANNER),
        Some(body),
        &[("If-Match", tag)],
    )
}

const PAGE: &str = "/v1/neighbourhoods/neighbourhoods/DV01/page";
const PEOPLE: &str = "/v1/neighbourhoods/neighbourhoods/DV01/people";
const PRIORITIES: &str = "/v1/neighbourhoods/neighbourhoods/DV01/priorities";

#[test]
fn planners_publish_contacts_and_priorities_over_http() {
    let (_dir, s) = demo_server();
    let base = &s.base;
    // Nothing yet: an empty page at v0, and data.police.uk's empty lists.
    let empty = call(base, "GET", PAGE, None, None, &[]);
    assert_eq!(empty.status, 200, "{}", empty.json);
    assert_eq!(empty.etag(), "\"v0\"");
    assert_eq!(empty.json["people"], json!([]));
    assert_eq!(empty.json["name"], "Marlow Fen");
    let api = |path: &str| {
        call(
            base,
            "GET",
            &format!("/police-api/dogger-vale/{path}"),
            None,
            None,
            &[],
        )
    };
    assert_eq!(api("DV01/people").json, json!([]));
    assert_eq!(api("DV01/priorities").json, json!([]));
    let g = call(base, "GET", "/v1/guarantee", None, None, &[]).json;
    let row = |g: &Value, id: &str| -> Value {
        g["neighbourhoods"]
            .as_array()
            .unwrap_or_else(|| panic!("not the Guarantee: {g}"))
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no {id} in {g}"))
            .clone()
    };
    let dv01 = row(&g, "DV01");
    assert_eq!(dv01["named_contact"], false);
    assert_eq!(dv01["current_priorities"], false);
    let missing = dv01["missing"].to_string();
    assert!(
        missing.contains("no published contact") && missing.contains("no priorities published"),
        "{dv01}"
    );

    // Who may write: a planner only, with If-Match.
    for (token, status) in [(None, 401), (Some(READER), 403), (Some(INTEGRATOR), 403)] {
        let r = call(
            base,
            "PUT",
            PEOPLE,
            token,
            Some(&people()),
            &[("If-Match", "\"v0\"")],
        );
        assert_eq!(r.status, status, "{token:?}: {}", r.json);
    }
    let r = call(base, "PUT", PEOPLE, Some(PLANNER), Some(&people()), &[]);
    assert_eq!(r.status, 428, "{}", r.json);
    // Each field checked, named with its place in the list.
    for (body, field) in [
        (
            json!({ "people": [{ "name": "PC A", "contact_details": { "email": "not an address" } }] }),
            "people[0].contact_details.email",
        ),
        (
            json!({ "people": [{ "name": "PC A" }, { "name": "PC B", "contact_details": { "telephone": "ring me" } }] }),
            "people[1].contact_details.telephone",
        ),
        (json!({ "people": [{ "name": "  " }] }), "people[0].name"),
        (
            json!({ "people": [{ "name": "PC A", "contact_details": { "web": "javascript:alert(1)" } }] }),
            "people[0].contact_details.web",
        ),
    ] {
        let r = put(base, PEOPLE, &body, "\"v0\"");
        assert_eq!(r.status, 400, "{body}: {}", r.json);
        assert!(
            r.json["detail"].as_str().unwrap().starts_with(field),
            "{}",
            r.json
        );
    }
    let r = put(
        base,
        PEOPLE,
        &json!({ "people": [{ "name": "PC A", "email": "a@b.example" }] }),
        "\"v0\"",
    );
    assert_eq!(r.status, 400, "an unknown field is refused: {}", r.json);
    let r = put(
        base,
        "/v1/neighbourhoods/communities/DV01-C01/people",
        &people(),
        "*",
    );
    assert_eq!(r.status, 404, "{}", r.json);
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains("not a neighbourhood layer"),
        "{}",
        r.json
    );
    let r = put(
        base,
        "/v1/neighbourhoods/neighbourhoods/DV99/people",
        &people(),
        "*",
    );
    assert_eq!(r.status, 404, "{}", r.json);
    assert_eq!(
        call(base, "GET", PAGE, None, None, &[]).etag(),
        "\"v0\"",
        "nothing was written"
    );

    // Set: trimmed, versioned; a stale version is refused.
    let r = put(base, PEOPLE, &people(), "\"v0\"");
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.etag(), "\"v1\"");
    assert_eq!(r.json["people"][0]["name"], "PC Sam Ahmed");
    let r = put(base, PRIORITIES, &priorities(), "\"v0\"");
    assert_eq!(r.status, 412, "{}", r.json);
    let r = put(base, PRIORITIES, &priorities(), "\"v1\"");
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        r.json["people"].as_array().unwrap().len(),
        2,
        "setting priorities keeps the people"
    );
    assert_eq!(r.etag(), "\"v2\"");

    // data.police.uk's shapes: HTML escaped from the planner's text, dates
    // at midnight, both date keys present.
    let p = api("DV01/people").json;
    assert_eq!(
        p[0],
        json!({
            "bio": "<p>Sam walks the Marlow Fen beat.</p><p>Ask about &lt;bike marking&gt; &amp; more.</p>",
            "contact_details": { "email": "marlow.team@police.example", "telephone": "0161 872 5050" },
            "name": "PC Sam Ahmed",
            "rank": "Police Constable"
        })
    );
    crate::police_api::assert_shape("people", &p, &[]);
    assert_eq!(p[1]["bio"], Value::Null);
    assert_eq!(p[1]["contact_details"], json!({}));
    let q = api("DV01/priorities").json;
    crate::police_api::assert_shape("priorities", &q, &[]);
    assert_eq!(q[0]["issue"], "<p>Speeding on Fen Road at school times</p>");
    assert_eq!(
        q[0]["action-date"],
        format!(
            "{}T00:00:00",
            feedmap::calendar::add_days(&today(), -5).unwrap()
        )
    );
    assert_eq!(q[1]["action"], Value::Null);
    assert_eq!(q[1]["action-date"], Value::Null);
    assert!(q[1].get("issue-date").is_some());
    assert_eq!(api("DV02/people").json, json!([]));
    let (status, body) = {
        let r =
            reqwest::blocking::get(format!("{base}/police-api/dogger-vale/DV99/people")).unwrap();
        (r.status().as_u16(), r.text().unwrap())
    };
    assert_eq!((status, body.as_str()), (404, ""));

    // The Guarantee counts them: a reachable contact, priorities reported
    // on within three months.
    let g = call(base, "GET", "/v1/guarantee", None, None, &[]).json;
    let dv01 = row(&g, "DV01");
    assert_eq!(dv01["contacts"], 2);
    assert_eq!(dv01["named_contact"], true, "{dv01}");
    assert_eq!(dv01["current_priorities"], true, "{dv01}");
    assert_eq!(g["priority_days"], 92);
    let g = call(
        base,
        "GET",
        "/v1/guarantee?priority_days=3",
        None,
        None,
        &[],
    )
    .json;
    assert_eq!(row(&g, "DV01")["current_priorities"], false);
    assert!(row(&g, "DV01")["missing"]
        .to_string()
        .contains("not set or reported on since"));

    // Audited with who; in the change feed as counts, without names.
    let audit = call(base, "GET", "/v1/audit", Some(PLANNER), None, &[]).json;
    let actions: Vec<(&str, &str)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity"] == "page")
        .map(|e| (e["action"].as_str().unwrap(), e["who"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("page.people", "planner-a"),
            ("page.priorities", "planner-a")
        ]
    );
    let changes = call(base, "GET", "/v1/changes", None, None, &[]).json;
    let ours: Vec<&Value> = changes["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"].as_str().unwrap().starts_with("neighbourhood."))
        .collect();
    assert_eq!(ours.len(), 2, "{changes}");
    assert_eq!(ours[0]["kind"], "neighbourhood.contacts_changed");
    assert_eq!(ours[0]["area_id"], "DV01");
    assert_eq!(
        ours[0]["page"],
        json!({ "people": 2, "priorities": 0, "version": 1 })
    );
    assert_eq!(ours[1]["kind"], "neighbourhood.priorities_changed");
    assert!(
        !changes.to_string().contains("Ahmed"),
        "no names in the public change feed"
    );

    // The page read back whole, without who wrote it.
    let page = call(base, "GET", PAGE, None, None, &[]);
    assert_eq!(page.etag(), "\"v2\"");
    assert!(
        !page.json.to_string().contains("planner-a"),
        "{}",
        page.json
    );
}

/// A release that gives DV01 a new id (the same ground) proposes the page
/// to the successor; once activated, the contacts and priorities answer
/// there, and writing to the successor changes the same record.
#[test]
fn a_boundary_release_carries_the_page_to_the_successor() {
    let (_dir, s) = demo_server();
    let base = &s.base;
    put(base, PEOPLE, &people(), "*");
    let mut hoods: Value = serde_json::from_str(
        &std::fs::read_to_string(common::demo_region().join("neighbourhoods.geojson")).unwrap(),
    )
    .unwrap();
    for f in hoods["features"].as_array_mut().unwrap() {
        if f["properties"]["code"] == "DV01" {
            f["properties"]["code"] = json!("DV91");
        }
    }
    let r = call(
        base,
        "POST",
        "/v1/releases",
        Some(PLANNER),
        Some(
            &json!({ "layer": "neighbourhoods", "label": "DV01 renumbered", "files": [{ "name": "neighbourhoods.geojson", "text": hoods.to_string() }] }),
        ),
        &[],
    );
    assert_eq!(r.status, 201, "{}", r.json);
    let id = r.json["release"].as_i64().unwrap();
    let props = call(
        base,
        "GET",
        &format!("/v1/releases/{id}/proposals"),
        None,
        None,
        &[],
    )
    .json;
    let page = props["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["subject"] == "page:DV01")
        .unwrap_or_else(|| panic!("no proposal for the page: {props}"))
        .clone();
    assert_eq!(page["proposed"], "DV91", "{page}");
    assert!(
        page["label"].as_str().unwrap().contains("contacts (2)"),
        "{page}"
    );
    for p in props["proposals"].as_array().unwrap() {
        if p["proposed"].is_string() {
            let r = call(
                base,
                "PUT",
                &format!(
                    "/v1/releases/{id}/proposals/{}",
                    p["subject"].as_str().unwrap()
                ),
                Some(PLANNER),
                Some(&json!({})),
                &[("If-Match", "\"v0\"")],
            );
            assert_eq!(r.status, 200, "{}", r.json);
        }
    }
    let r = call(
        base,
        "POST",
        &format!("/v1/releases/{id}/activate"),
        Some(PLANNER),
        Some(&json!({})),
        &[("If-Match", "*")],
    );
    assert_eq!(r.status, 200, "{}", r.json);
    let moved = call(
        base,
        "GET",
        "/police-api/dogger-vale/DV91/people",
        None,
        None,
        &[],
    )
    .json;
    assert_eq!(moved[0]["name"], "PC Sam Ahmed", "{moved}");
    let gone =
        reqwest::blocking::get(format!("{base}/police-api/dogger-vale/DV01/people")).unwrap();
    assert_eq!(gone.status().as_u16(), 404);
    let page = call(
        base,
        "GET",
        "/v1/neighbourhoods/neighbourhoods/DV91/page",
        None,
        None,
        &[],
    );
    assert_eq!(page.etag(), "\"v1\"", "{}", page.json);
    let r = put(
        base,
        "/v1/neighbourhoods/neighbourhoods/DV91/priorities",
        &priorities(),
        "\"v1\"",
    );
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        r.json["people"].as_array().unwrap().len(),
        2,
        "the same record: {}",
        r.json
    );
    let g = call(base, "GET", "/v1/guarantee", None, None, &[]).json;
    let dv91 = g["neighbourhoods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "DV91")
        .unwrap()
        .clone();
    assert_eq!(
        (
            dv91["named_contact"].clone(),
            dv91["current_priorities"].clone()
        ),
        (json!(true), json!(true)),
        "{dv91}"
    );
}

/// `feedmap neighbourhoods`: publishes from a planner's CSV (errors name
/// the row and column), shows the page, and a server on the same store
/// answers it.
#[test]
fn the_command_line_publishes_from_a_spreadsheet() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = tokens_file(dir.path());
    let data = dir.path().join("data");
    let csv = dir.path().join("marlow-team.csv");
    std::fs::write(
        &csv,
        "Name,Rank,Email,Telephone\nPC Sam Ahmed,Police Constable,marlow.team@police.example,0161 872 5050\nPCSO Jo Price,PCSO,,\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_feedmap"))
            .arg("neighbourhoods")
            .args(args)
            .args(["--region"])
            .arg(common::demo_region())
            .arg("--data-dir")
            .arg(&data)
            .env("FEEDMAP_TOKENS_FILE", &tokens)
            .env("FEEDMAP_TOKEN", PLANNER)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, out, err) = run(&[
        "people",
        "--layer",
        "neighbourhoods",
        "--id",
        "DV01",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let page: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        page["people"][0]["contact_details"]["telephone"],
        "0161 872 5050"
    );
    assert_eq!(page["people"].as_array().unwrap().len(), 2);

    // Refusals name the file, and the row and column or the field.
    let bad = dir.path().join("priorities.csv");
    for (text, says) in [
        (
            "issue,issue_date,colour\nSpeeding,2026-01-01,red\n",
            &["priorities.csv", "\"colour\""],
        ),
        (
            "issue,issue_date\nSpeeding,01/02/2026\n",
            &["priorities[0].issue_date", "YYYY-MM-DD"],
        ),
    ] {
        std::fs::write(&bad, text).unwrap();
        let file = bad.to_str().unwrap();
        let (code, _, err) = run(&[
            "priorities",
            "--layer",
            "neighbourhoods",
            "--id",
            "DV01",
            file,
        ]);
        assert_eq!(code, Some(1), "{err}");
        assert!(says.iter().all(|s| err.contains(s)), "{text}: {err}");
    }

    let (code, out, err) = run(&["show", "--layer", "neighbourhoods", "--id", "DV01"]);
    assert_eq!(code, Some(0), "{err}");
    let page: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        page["version"], 1,
        "the refused files wrote nothing: {page}"
    );

    let server = Server::start_with(
        &common::demo_region(),
        &["--data-dir", data.to_str().unwrap()],
    );
    let people = call(
        &server.base,
        "GET",
        "/police-api/dogger-vale/DV01/people",
        None,
        None,
        &[],
    )
    .json;
    assert_eq!(people[1]["name"], "PCSO Jo Price", "{people}");
}
