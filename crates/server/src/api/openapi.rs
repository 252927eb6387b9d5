//! The API's routes and their description, from one table.
//!
//! Every operation the server answers is one [`Operation`]: its method and
//! path, the handler, its parameters, and the Rust types of its request
//! body and JSON answer. Each resource module declares its own (its
//! `operations`); this module gathers them ([`operations`]) and writes the
//! document. The router is built from the same table
//! ([`super::router`]), and `GET /api` is generated from it, with the body
//! and answer schemas derived from those types (`schemars`, OpenAPI 3.0
//! dialect), so the description cannot drift from what is served: a route
//! exists exactly when it is documented, and a request type's fields, the
//! unknown fields it refuses and its length limits are what the document
//! says. Each operation carries an example built from the region being
//! served (a real area, point, postcode and feed), which a test sends to
//! the real handler.

use super::operation::{Context, Examples, In, Operation};
use super::state::AppState;
use super::{
    audit, basemap, batch, changes, decisions, embed, feeds, health, lookup, map, metrics, ogc,
    ownership, pages, plan, police, question, releases, settlements, webhooks,
};
use crate::config::ServeConfig;
use axum::routing;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// Every operation the server answers, with examples from `ex`: each
/// resource's own, and `/api` itself. The router and the description are
/// both made from this list.
pub fn operations(config: &ServeConfig, ex: &Examples) -> Vec<Operation> {
    let cx = Context { config, ex };
    let resources: [fn(&Context) -> Vec<Operation>; 20] = [
        audit::operations,
        basemap::operations,
        batch::operations,
        changes::operations,
        decisions::operations,
        embed::operations,
        feeds::operations,
        health::operations,
        lookup::operations,
        map::operations,
        metrics::operations,
        ogc::operations,
        ownership::operations,
        pages::operations,
        plan::operations,
        police::operations,
        question::operations,
        releases::operations,
        settlements::operations,
        webhooks::operations,
    ];
    let mut ops = vec![cx
        .get(
            "/api",
            "This description (OpenAPI 3.0)",
            routing::get(api_definition),
        )
        .media("application/vnd.oai.openapi+json;version=3.0")];
    for operations in resources {
        ops.extend(operations(&cx));
    }
    ops.sort_by(|a, b| (a.path, a.verb).cmp(&(b.path, b.verb)));
    ops
}

/// Longest value of a body field, in characters, as the handlers check it.
fn max_length(field: &str) -> usize {
    if field == "note" {
        decisions::MAX_NOTE
    } else {
        decisions::MAX_TEXT
    }
}

/// The OpenAPI 3.0 document of `ops`, served at `base`.
pub fn document(ops: &[Operation], title: &str, base: &str) -> Value {
    let mut requests = SchemaGenerator::new(SchemaSettings::openapi3().for_deserialize());
    let mut answers = SchemaGenerator::new(SchemaSettings::openapi3().for_serialize());
    let problem = json!({ "description": "a problem (RFC 9457)", "content": { "application/problem+json": {} } });
    let mut paths: Map<String, Value> = Map::new();
    let mut bodies = Vec::new();
    for op in ops {
        let parameters: Vec<Value> = op
            .params
            .iter()
            .map(|p| {
                let mut v = json!({
                    "name": p.name,
                    "in": match p.at { In::Path => "path", In::Query => "query", In::Header => "header" },
                    "required": p.required,
                    "description": p.description,
                    "schema": p.schema,
                });
                if let Some(e) = &p.example {
                    v["example"] = e.clone();
                }
                v
            })
            .collect();
        let mut ok = json!({ "description": op.summary, "content": { op.media: {} } });
        for m in op.more_media {
            ok["content"][*m] = json!({});
        }
        if let Some(answer) = op.answer {
            ok["content"][op.media]["schema"] = answer(&mut answers).to_value();
        }
        let mut responses = Map::new();
        responses.insert(op.ok.to_string(), ok);
        let codes: &[u16] = if op.write {
            &[400, 401, 403, 404, 409, 412, 413, 415, 428]
        } else if op.secured {
            &[401]
        } else {
            &[400, 404]
        };
        for c in codes {
            responses.insert(c.to_string(), problem.clone());
        }
        if op.bare_404 {
            responses.insert(
                "404".into(),
                json!({ "description": "no such force or neighbourhood, or no neighbourhood there: an empty body, as data.police.uk answers" }),
            );
        }
        let mut operation = json!({
            "operationId": format!("{}{}", op.verb.as_str(), op.path.replace(['/', '{', '}', '.'], "_")),
            "summary": op.summary,
            "parameters": parameters,
            "responses": responses,
        });
        if op.secured {
            operation["security"] = json!([{ "bearer": [] }]);
        }
        if let Some(b) = &op.body {
            let mut content = json!({ "example": b.example });
            if let Some(s) = b.schema {
                let s = s(&mut requests).to_value();
                if let Some(name) = s["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
                    bodies.push(name.to_string());
                }
                content["schema"] = s;
            }
            operation["requestBody"] = json!({ "required": true, "content": { b.media: content } });
            for (media, example) in &b.more {
                operation["requestBody"]["content"][*media] = json!({ "example": example });
            }
        }
        if op.delivers {
            operation["callbacks"] = deliveries(&mut answers);
        }
        paths
            .entry(op.path)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("an object")
            .insert(op.verb.as_str().into(), operation);
    }
    let mut schemas = answers.take_definitions(true);
    let mut request_schemas = requests.take_definitions(true);
    // The limits the handlers check, on the bodies' text fields.
    for name in &bodies {
        if let Some(props) = request_schemas
            .get_mut(name)
            .and_then(|s| s.get_mut("properties"))
            .and_then(Value::as_object_mut)
        {
            for (field, p) in props.iter_mut() {
                let is_text = p["type"] == "string" || p["type"] == json!(["string", "null"]);
                if is_text && p.get("enum").is_none() {
                    p["maxLength"] = json!(max_length(field));
                }
            }
        }
    }
    schemas.append(&mut request_schemas);
    json!({
        "openapi": "3.0.3",
        "info": { "title": format!("feedmap – {title}"), "version": env!("CARGO_PKG_VERSION") },
        "servers": [{ "url": base }],
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas,
        },
        "paths": paths,
    })
}

/// What a registered webhook is sent, as OpenAPI 3.0 callbacks: each
/// event's delivery and the test delivery (`ping`), POSTed to the `url`
/// given, with their headers.
fn deliveries(answers: &mut SchemaGenerator) -> Value {
    use crate::webhooks::{Payload, Ping, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER};
    let header = |name: &str, description: &str| json!({ "name": name, "in": "header", "required": true, "description": description, "schema": { "type": "string" } });
    let post = |summary: &str, schema: Value, event: &str| {
        json!({ "post": {
            "summary": summary,
            "parameters": [
                header(EVENT_HEADER, event),
                header(DELIVERY_HEADER, "HOOK-SEQ, the same on every attempt at one event (HOOK-ping-MS for a test)"),
                header(SIGNATURE_HEADER, "t=UNIX_SECONDS,v1=HEX: the lowercase hex HMAC-SHA256, keyed with the hook's secret, of UNIX_SECONDS.BODY"),
            ],
            "requestBody": { "required": true, "content": { "application/json": { "schema": schema } } },
            "responses": { "2XX": { "description": "delivered; anything else is retried with backoff, and the hook paused after repeated failures" } },
        }})
    };
    json!({
        "delivery": { "{$request.body#/url}": post(
            "An event the hook wants: the change as /v1/changes shows it",
            answers.subschema_for::<Payload>().to_value(),
            "the event's kind (feed.added, …)",
        )},
        "ping": { "{$request.body#/url}": post(
            "A test delivery, sent by POST /v1/webhooks/{id}/test",
            answers.subschema_for::<Ping>().to_value(),
            "ping",
        )},
    })
}

/// `GET /api`: the OpenAPI 3.0 description, generated from [`operations`].
pub async fn api_definition(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, super::problem::ApiProblem> {
    use axum::response::IntoResponse;
    let base = ogc::base_url(&state, &headers);
    let served = state.served();
    let ops = operations(&state.config, &Examples::of(&served));
    let body = document(&ops, &served.region().name, &base);
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/vnd.oai.openapi+json;version=3.0",
        )],
        body.to_string(),
    )
        .into_response())
}
