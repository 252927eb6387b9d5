//! The API description is the router: every operation `/api` documents is
//! served, its documented example is accepted by the real handler, and
//! its JSON answer has the fields its generated schema says; no route is
//! added outside the table the description is generated from.

use crate::common;

use crate::common::{call, tokens_file, Server, PLANNER};
use serde_json::Value;

const VERBS: [&str; 5] = ["post", "get", "put", "patch", "delete"];

/// The component a `$ref` names.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap();
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// An answer's top-level fields against its schema: every required field
/// present, no field the schema does not list.
fn check_fields(doc: &Value, schema: &Value, answer: &Value, what: &str) {
    let schema = resolve(doc, schema);
    let Some(props) = schema["properties"].as_object() else {
        return;
    };
    let fields = answer
        .as_object()
        .unwrap_or_else(|| panic!("{what}: answer is not an object"));
    for r in schema["required"].as_array().into_iter().flatten() {
        let r = r.as_str().unwrap();
        assert!(
            fields.contains_key(r),
            "{what}: answer lacks required {r:?}"
        );
    }
    // A flattened record (serde flatten) lists its fields in allOf.
    let flattened: Vec<&str> = schema["allOf"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| {
            resolve(doc, s)["properties"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.keys().map(String::as_str))
        })
        .collect();
    for k in fields.keys() {
        assert!(
            props.contains_key(k) || flattened.contains(&k.as_str()),
            "{what}: answer field {k:?} is not in its schema"
        );
    }
}

#[test]
fn every_documented_operation_answers_its_example() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = tokens_file(dir.path());
    let server = Server::start_with(
        &common::demo_region(),
        &["--tokens", tokens.to_str().unwrap()],
    );
    // Three staged boundary releases (the demo's own communities again),
    // so the release operations' examples name real ones: one to confirm
    // in, one to withdraw, one to activate.
    let file = common::demo_region().join("communities.geojson");
    let body = serde_json::json!({
        "layer": "communities",
        "label": "the same communities",
        "files": [{ "name": "communities.geojson", "text": std::fs::read_to_string(file).unwrap() }],
    });
    for _ in 0..3 {
        let r = call(
            &server.base,
            "POST",
            "/v1/releases",
            Some(PLANNER),
            Some(&body),
            &[],
        );
        assert_eq!(r.status, 201, "{}", r.json);
    }
    // Two open handovers, so the handover operations' examples name real
    // ones: the older to cancel, the newer to read and confirm a step of.
    for feed in ["DV01-X", "DV01-FB"] {
        let r = call(
            &server.base,
            "POST",
            &format!("/v1/feeds/{feed}/handovers"),
            Some(PLANNER),
            Some(
                &serde_json::json!({ "to_team": "Example Team", "to_administrators": ["PC Example"] }),
            ),
            &[],
        );
        assert_eq!(r.status, 201, "{}", r.json);
    }
    // Two webhooks, so the webhook operations' examples name real ones:
    // the first to change and remove, the second to test.
    for n in 1..=2 {
        let body = serde_json::json!({ "url": format!("http://127.0.0.1:9/hook{n}") });
        let r = call(
            &server.base,
            "POST",
            "/v1/webhooks",
            Some(PLANNER),
            Some(&body),
            &[],
        );
        assert_eq!(r.status, 201, "{}", r.json);
    }
    // A held area, so the hold operation's example names a real one: 50
    // answers to the question at one point in moments, each from its own
    // client, make a burst.
    let region = feedmap::Source::load(&common::demo_region())
        .map(|s| s.region)
        .unwrap();
    let (_, communities) = region.layer("communities").unwrap();
    let p = geo::InteriorPoint::interior_point(&communities.areas[1].geometry).unwrap();
    for n in 0..50 {
        let r = common::answer_question(
            &server.base,
            &serde_json::json!({ "lon": p.x(), "lat": p.y(), "follow": "yes" }),
            &format!("192.0.2.{n}"),
        );
        assert_eq!(r.status, 202, "{}", r.json);
    }
    let holds = common::question_holds(&server.base);
    assert_eq!(holds.json["holds"][0]["status"], "held", "{}", holds.json);
    let doc = call(&server.base, "GET", "/api", None, None, &[]).json;
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 25, "only {} paths documented", paths.len());
    let mut tried = 0;
    for (path, ops) in paths {
        for verb in VERBS {
            let Some(op) = ops.get(verb) else { continue };
            let what = format!("{} {path}", verb.to_uppercase());
            let mut url = path.clone();
            let mut query = Vec::new();
            let mut headers: Vec<(String, String)> = Vec::new();
            for p in op["parameters"].as_array().unwrap() {
                let name = p["name"].as_str().unwrap();
                let Some(example) = p.get("example") else {
                    assert!(
                        p["required"] != true,
                        "{what}: required {name} has no example"
                    );
                    continue;
                };
                let value = match example {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                match p["in"].as_str().unwrap() {
                    "path" => url = url.replace(&format!("{{{name}}}"), &value),
                    "query" => query.push(format!(
                        "{name}={}",
                        url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>()
                    )),
                    _ => headers.push((name.to_string(), value)),
                }
            }
            assert!(
                !url.contains('{'),
                "{what}: a path parameter has no example"
            );
            if !query.is_empty() {
                url = format!("{url}?{}", query.join("&"));
            }
            let token = op.get("security").map(|_| PLANNER);
            let body = op["requestBody"]["content"].as_object().map(|c| {
                let (media, content) = c.iter().next().unwrap();
                (media.clone(), content["example"].clone())
            });
            let client = reqwest::blocking::Client::new();
            let method: reqwest::Method = verb.to_uppercase().parse().unwrap();
            let mut req = client.request(method, format!("{}{url}", server.base));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            for (k, v) in &headers {
                req = req.header(k, v);
            }
            match &body {
                Some((media, Value::String(text))) => {
                    req = req.header("content-type", media).body(text.clone())
                }
                Some((_, json)) => req = req.json(json),
                None => {}
            }
            let resp = req.send().unwrap();
            let status = resp.status().as_u16().to_string();
            let text = resp.text().unwrap();
            let (ok, ok_doc) = op["responses"]
                .as_object()
                .unwrap()
                .iter()
                .find(|(code, _)| code.starts_with('2'))
                .unwrap();
            assert_eq!(&status, ok, "{what} ({url}): {text}");
            if let Some(schema) = ok_doc["content"]["application/json"].get("schema") {
                let answer: Value = serde_json::from_str(&text).unwrap();
                check_fields(&doc, schema, &answer, &what);
            }
            tried += 1;
        }
    }
    println!("{tried} documented operations answered their examples");
    assert!(tried >= 30, "only {tried} operations tried");
}

/// `/api` passes openapi-spec-validator (PyPI; `.ci/run` installs it and
/// names it in `FEEDMAP_OPENAPI_VALIDATOR`), and describes the batch's
/// two media types and what a webhook is sent (its deliveries and ping,
/// as callbacks).
#[test]
fn the_description_is_valid_openapi() {
    let server = Server::start(&common::demo_region());
    let doc = call(&server.base, "GET", "/api", None, None, &[]).json;
    let batch = &doc["paths"]["/v1/feeds/lookup/batch"]["post"];
    for media in ["text/csv", "application/x-ndjson"] {
        assert!(
            batch["requestBody"]["content"].get(media).is_some(),
            "batch body {media}"
        );
        assert!(
            batch["responses"]["200"]["content"].get(media).is_some(),
            "batch answer {media}"
        );
    }
    let callbacks = &doc["paths"]["/v1/webhooks"]["post"]["callbacks"];
    for name in ["delivery", "ping"] {
        let body = &callbacks[name]["{$request.body#/url}"]["post"]["requestBody"]["content"]
            ["application/json"]["schema"];
        let schema = resolve(&doc, body);
        assert!(
            schema["properties"]["webhook"].is_object(),
            "{name}: {schema}"
        );
    }
    let Some(validator) = common::ci_tool(
        "FEEDMAP_OPENAPI_VALIDATOR",
        "the_description_is_valid_openapi",
        "the path of openapi-spec-validator: pip install openapi-spec-validator",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("api.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let said = common::run_tool(&validator, &[file.as_os_str()]);
    assert!(said.contains("OK"), "{said}");
}

#[test]
fn examples_follow_their_body_schemas() {
    let server = Server::start(&common::demo_region());
    let doc = call(&server.base, "GET", "/api", None, None, &[]).json;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (verb, op) in ops.as_object().unwrap() {
            let Some(content) = op["requestBody"]["content"]["application/json"].as_object() else {
                continue;
            };
            let schema = resolve(&doc, &content["schema"]);
            assert_eq!(schema["additionalProperties"], false, "{verb} {path}");
            let props = schema["properties"].as_object().unwrap();
            let example = content["example"].as_object().unwrap();
            for k in example.keys() {
                assert!(props.contains_key(k), "{verb} {path}: example field {k}");
            }
            for (k, p) in props {
                if p["type"] == "string" && p.get("enum").is_none() {
                    assert!(
                        p["maxLength"].is_u64(),
                        "{verb} {path}: {k} has no maxLength"
                    );
                }
            }
        }
    }
}

/// The router is built only from the table `/api` is generated from.
#[test]
fn no_route_is_added_outside_the_documented_table() {
    let api = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/server/src/api");
    let mut routes = 0;
    for e in std::fs::read_dir(&api).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        let n = text.matches(".route(").count();
        if p.ends_with("mod.rs") {
            assert!(
                text.contains("router = router.route(op.path, op.handler)"),
                "mod.rs no longer builds the router from the operations table"
            );
        }
        routes += n;
        assert!(
            !text.contains(".nest(") && !text.contains(".merge("),
            "{} adds routes outside the table",
            p.display()
        );
    }
    assert_eq!(routes, 1, "routes are added outside openapi::operations");
}
