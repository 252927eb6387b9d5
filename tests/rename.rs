//! A planner renames suggestions: over HTTP and on the command line (the
//! map's Rename form is driven in `browser.rs`). The name is kept with the
//! decision, shown in every plan format (JSON, CSV, GeoJSON) with the
//! plan's own name beside it, written to the audit log, and carried across
//! a real ward release (Trafford 2022 → 2023).

use crate::common::{self, Server};
use serde_json::{json, Value};
use std::path::Path;

fn suggestion<'a>(plan: &'a Value, id: &str) -> &'a Value {
    common::suggestions(plan)
        .into_iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no suggestion {id} in the plan"))
}

/// Runs `feedmap decisions ARGS` on `region` and the store in `store` as
/// `token`; exit code, stdout as JSON (or Null) and stderr.
fn decisions(
    region: &Path,
    store: &Path,
    tokens: &Path,
    token: Option<&str>,
    args: &[&str],
) -> (Option<i32>, Value, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_feedmap"));
    cmd.arg("decisions")
        .arg("--region")
        .arg(region)
        .arg("--data-dir")
        .arg(store)
        .args(args)
        .env_remove("FEEDMAP_TOKEN")
        .env_remove("FEEDMAP_STORE")
        .env("FEEDMAP_TOKENS_FILE", tokens)
        .env("RUST_LOG", "warn");
    if let Some(t) = token {
        cmd.env("FEEDMAP_TOKEN", t);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn a_renamed_suggestion_keeps_its_name_everywhere_and_across_a_ward_release() {
    let Some(data) = common::gm_data("a_renamed_suggestion_keeps_its_name_everywhere") else {
        return;
    };
    let region = common::region_dir(&common::trafford_manifest(&data, 2022));
    let tokens = common::tokens_file(region.path());
    let store = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        region.path(),
        &[
            "--tokens",
            tokens.to_str().unwrap(),
            "--data-dir",
            store.path().to_str().unwrap(),
        ],
    );
    let base = server.base.as_str();
    let st_marys = common::ward_id(&data, 2022, "St Mary's");
    let manor = common::ward_id(&data, 2023, "Manor");

    // Over HTTP: accept St Mary's under a planner's name (trimmed).
    let r = common::call(
        base,
        "POST",
        "/v1/decisions",
        Some(common::PLANNER),
        Some(
            &json!({"layer": "wards", "area_id": st_marys, "decision": "accept", "name": "  Sale Moor Road "}),
        ),
        &[],
    );
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["name"], "Sale Moor Road", "{}", r.json);
    let accepted = r.json["id"].as_i64().unwrap();
    // Names that are not one line of text are refused, naming the field.
    for bad in ["   ", "Sale\nMoor", &"x".repeat(121)] {
        let r = common::call(
            base,
            "PATCH",
            &format!("/v1/decisions/{accepted}"),
            Some(common::PLANNER),
            Some(&json!({ "name": bad })),
            &[("If-Match", "*")],
        );
        assert_eq!(r.status, 400, "{bad:?}: {}", r.json);
        assert!(
            r.json["detail"].as_str().unwrap().starts_with("name: "),
            "{}",
            r.json
        );
    }

    let (status, plan) = server.get("/v1/plan");
    assert_eq!(status, 200, "{plan}");
    assert!(
        plan["feeds_note"]
            .as_str()
            .unwrap()
            .starts_with("no feed list"),
        "{}",
        plan["feeds_note"]
    );
    let s = suggestion(&plan, &st_marys);
    assert_eq!(s["name"], "Sale Moor Road", "{s}");
    assert_eq!(s["generated_name"], "St Mary's", "{s}");
    assert_eq!(s["decision"]["name"], "Sale Moor Road", "{s}");
    assert!(
        s["reason"]
            .as_str()
            .unwrap()
            .contains("no feed known (the region has no feed list)"),
        "{s}"
    );
    assert!(
        s["reason"]
            .as_str()
            .unwrap()
            .contains("as \u{201c}Sale Moor Road\u{201d}"),
        "{s}"
    );

    // On the command line: rename another suggestion the plan makes, one
    // nobody has decided yet: it is recorded as deferred, named.
    // A settlement (Partington, found from the postcodes), given as the
    // plan lists it: under its community layer.
    let other = common::suggestions(&plan)
        .into_iter()
        .find(|s| s["decision"].is_null() && s["kind"] == "settlement")
        .expect("an undecided settlement")
        .clone();
    let other_id = other["id"].as_str().unwrap();
    assert_eq!(other["layer"], "wards");
    // Over HTTP, that layer gets a problem saying which one to use.
    let r = common::call(
        base,
        "POST",
        "/v1/decisions",
        Some(common::PLANNER),
        Some(&json!({"layer": "wards", "area_id": other_id, "name": "Partington"})),
        &[],
    );
    assert_eq!(r.status, 400, "{}", r.json);
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains("is a settlement of the plan: decide it with layer \"@settlements\""),
        "{}",
        r.json
    );
    let target = ["--layer", "wards", "--id", other_id];
    let rename = |token: Option<&str>, name: &str| {
        let mut args = vec!["rename"];
        args.extend(target);
        args.push(name);
        decisions(region.path(), store.path(), &tokens, token, &args)
    };
    let (code, _, err) = rename(None, "Nowhere");
    assert_eq!(code, Some(1));
    assert!(err.contains("planner token"), "{err}");
    let (code, _, err) = rename(Some(common::READER), "Nowhere");
    assert_eq!(code, Some(1));
    assert!(err.contains("read-only"), "{err}");
    let (code, out, err) = rename(Some(common::PLANNER), "Carrington Moss");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out["created"], true, "{out}");
    assert_eq!(out["decision"]["decision"], "defer", "{out}");
    assert_eq!(out["decision"]["name"], "Carrington Moss", "{out}");
    assert_eq!(out["decision"]["layer"], "@settlements", "{out}");
    // Renaming again changes that decision; `set --name ""` gives the
    // plan's own name back, and a new name is set again.
    let (code, out, err) = rename(Some(common::PLANNER), "Carrington");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        (out["created"].as_bool(), out["decision"]["name"].as_str()),
        (Some(false), Some("Carrington"))
    );
    let mut set = vec!["set"];
    set.extend(target);
    let (code, out, err) = decisions(
        region.path(),
        store.path(),
        &tokens,
        Some(common::PLANNER),
        &[set.as_slice(), &["--name", ""]].concat(),
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out["decision"]["name"].is_null(), "{out}");
    let (code, _, err) = decisions(
        region.path(),
        store.path(),
        &tokens,
        Some(common::PLANNER),
        &[
            set.as_slice(),
            &["--name", "Carrington", "--note", "what residents call it"],
        ]
        .concat(),
    );
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = rename(Some(common::PLANNER), "\t");
    assert_eq!(code, Some(1));
    assert!(err.contains("name: is blank"), "{err}");

    // The server sees the command line's writes (it polls its SQLite
    // store each second for writes of other processes); every format
    // carries both names.
    let seen = (0..100).any(|_| {
        let (_, list) = server.get("/v1/decisions");
        let done = list["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "Carrington" && d["note"] == "what residents call it");
        if !done {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        done
    });
    assert!(seen, "the server never saw the command line's decision");
    let (_, plan) = server.get("/v1/plan");
    let s = suggestion(&plan, other_id);
    assert_eq!(s["name"], "Carrington", "{s}");
    assert_eq!(s["generated_name"], other["name"], "{s}");
    let csv = reqwest::blocking::get(format!("{base}/v1/plan.csv"))
        .unwrap()
        .text()
        .unwrap();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header = rows.headers().unwrap().clone();
    let col = |k: &str| header.iter().position(|h| h == k).unwrap();
    let row = rows
        .records()
        .map(Result::unwrap)
        .find(|r| r[col("id")] == st_marys)
        .expect("St Mary's in the CSV");
    assert_eq!(
        (&row[col("name")], &row[col("generated_name")]),
        ("Sale Moor Road", "St Mary's")
    );
    let (_, _, gj) = server.get_with_type("/v1/plan.geojson");
    let f = gj["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == other_id)
        .unwrap();
    assert_eq!(f["properties"]["name"], "Carrington", "{f}");
    assert_eq!(f["properties"]["generated_name"], other["name"], "{f}");
    let out = common::feedmap_ok(&[
        "plan".as_ref(),
        "--region".as_ref(),
        region.path().as_os_str(),
        "--data-dir".as_ref(),
        store.path().as_os_str(),
    ]);
    let cli_plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(suggestion(&cli_plan, &st_marys)["name"], "Sale Moor Road");
    let (code, listed, _) = decisions(region.path(), store.path(), &tokens, None, &["list"]);
    assert_eq!(
        (code, listed["count"].as_u64()),
        (Some(0), Some(2)),
        "{listed}"
    );

    // The audit log has every name, who gave it and what it replaced.
    let (_, audit) = server.get("/v1/audit?limit=100");
    let entries = audit["entries"].as_array().expect("audit entries");
    let names: Vec<(&str, Option<&str>, Option<&str>)> = entries
        .iter()
        .filter(|e| e["entity"] == "decision")
        .map(|e| {
            (
                e["who"].as_str().unwrap(),
                e["before"]["name"].as_str(),
                e["after"]["name"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("planner-a", None, Some("Sale Moor Road")),
            ("planner-a", None, Some("Carrington Moss")),
            ("planner-a", Some("Carrington Moss"), Some("Carrington")),
            ("planner-a", Some("Carrington"), None),
            ("planner-a", None, Some("Carrington")),
        ],
        "{audit}"
    );

    // The 2023 wards: St Mary's becomes Manor; its decision moves there
    // when a planner confirms the proposal, and keeps its name.
    let staged = common::planner_write(
        base,
        "POST",
        "/v1/releases",
        &json!({
            "layer": "wards",
            "label": "May 2023 wards",
            "files": [{ "name": "trafford_wards_2023_full.geojson",
                        "text": std::fs::read_to_string(data.join("trafford_wards_2023_full.geojson")).unwrap() }],
        }),
    )
    .json;
    let release = staged["release"].as_i64().unwrap();
    let confirmed = common::planner_write(
        base,
        "PUT",
        &format!("/v1/releases/{release}/proposals/decision:{accepted}"),
        &json!({}),
    )
    .json;
    assert_eq!(confirmed["confirmed"]["to"], manor.as_str(), "{confirmed}");
    common::planner_write(
        base,
        "POST",
        &format!("/v1/releases/{release}/activate"),
        &json!({}),
    );
    let (_, plan) = server.get("/v1/plan");
    let s = suggestion(&plan, &manor);
    assert_eq!(s["name"], "Sale Moor Road", "{s}");
    assert_eq!(s["generated_name"], "Manor", "{s}");
    assert_eq!(s["decision"]["decision"], "accept", "{s}");
}

/// A name alone records a deferred decision over HTTP too; without a name
/// or a decision, the problem says what to give.
#[test]
fn a_name_alone_defers_and_nothing_at_all_is_refused() {
    let tokens_dir = tempfile::tempdir().unwrap();
    let tokens = common::tokens_file(tokens_dir.path());
    let server = Server::start_with(
        &common::demo_region(),
        &["--tokens", tokens.to_str().unwrap()],
    );
    let (_, plan) = server.get("/v1/plan?max_new_feeds_per_neighbourhood=none");
    let s = common::suggestions(&plan)
        .into_iter()
        .find(|s| s["kind"] == "community")
        .expect("a community suggestion in the demo plan")
        .clone();
    let post = |body: Value| {
        common::call(
            &server.base,
            "POST",
            "/v1/decisions",
            Some(common::PLANNER),
            Some(&body),
            &[],
        )
    };
    let r = post(json!({"layer": s["layer"], "area_id": s["id"]}));
    assert_eq!(r.status, 400, "{}", r.json);
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains("or only a name"),
        "{}",
        r.json
    );
    let r = post(json!({"layer": s["layer"], "area_id": s["id"], "name": "Old Mill"}));
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(
        (r.json["decision"].as_str(), r.json["name"].as_str()),
        (Some("defer"), Some("Old Mill"))
    );
    let (_, plan) = server.get("/v1/plan?max_new_feeds_per_neighbourhood=none");
    let renamed = suggestion(&plan, s["id"].as_str().unwrap());
    assert_eq!(renamed["name"], "Old Mill", "{renamed}");
    assert_eq!(renamed["generated_name"], s["name"], "{renamed}");
}
