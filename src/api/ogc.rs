//! OGC API – Features, Part 1 (Core + GeoJSON): the layers as collections
//! that QGIS, GDAL and web maps can read without feedmap-specific code.

use super::problem::ApiProblem;
use super::{AppState, Params};
use crate::boundary::{Area, Layer};
use crate::region::Region;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use geo::Intersects;
use serde_json::{json, Map, Value};
use std::sync::Arc;

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const GEOJSON: &str = "application/geo+json";
const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
];

/// The base URL for links: the configured public URL, else `http://Host`.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.config.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

fn link(href: String, rel: &str, media: &str, title: &str) -> Value {
    json!({ "href": href, "rel": rel, "type": media, "title": title })
}

/// Only `f=json` (or the GeoJSON spelling) is offered; anything else is 400.
fn check_format(params: &Params) -> Result<(), ApiProblem> {
    match params.get("f")? {
        None | Some("json") | Some("geojson") => Ok(()),
        Some(other) => Err(ApiProblem::bad_parameter(format!(
            "f={other:?} is not offered; use f=json"
        ))),
    }
}

/// For resources whose only parameter is `f`: refuses anything else.
fn json_only(params: &Params) -> Result<(), ApiProblem> {
    params.only(&["f"])?;
    check_format(params)
}

fn geojson_response(body: Value) -> Response {
    ([(header::CONTENT_TYPE, GEOJSON)], body.to_string()).into_response()
}

/// `GET /`: the landing page.
pub async fn landing(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q);
    // A browser (which asks for HTML) gets the planners' map; API clients
    // such as GDAL get the OGC landing document, as does `?f=json`.
    let f = params.get("f").ok().flatten();
    let browser = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if f == Some("html") || (f.is_none() && browser && params.0.is_empty()) {
        return Ok(axum::response::Html(super::map::INDEX_HTML).into_response());
    }
    json_only(&params)?;
    let base = base_url(&state, &headers);
    let served = state.served.load();
    let region = served.region();
    Ok(Json(json!({
        "title": region.name,
        "description": "feedmap: police neighbourhood and community boundaries, with point lookup. \
                        Layers are OGC API – Features collections; /v1/lookup?lat=&lon= finds the areas at a point, \
                        /v1/feeds/lookup the feeds for a point, postcode or place, /v1/plan the feed plan.",
        "attribution": region.attribution,
        "links": [
            link(format!("{base}/"), "self", "application/json", "This document"),
            link(format!("{base}/?f=html"), "alternate", "text/html", "The planners' map"),
            link(format!("{base}/api"), "service-desc", "application/vnd.oai.openapi+json;version=3.0", "The API definition"),
            link(format!("{base}/conformance"), "conformance", "application/json", "Conformance classes"),
            link(format!("{base}/collections"), "data", "application/json", "The boundary layers"),
        ]
    }))
    .into_response())
}

/// `GET /conformance`.
pub async fn conformance(RawQuery(q): RawQuery) -> Result<Response, ApiProblem> {
    let params = Params::parse(q);
    json_only(&params)?;
    Ok(Json(json!({ "conformsTo": CONFORMANCE })).into_response())
}

fn collection_json(base: &str, region: &Region, layer: &Layer) -> Value {
    let bbox = layer
        .extent
        .map(|r| vec![r.min().x, r.min().y, r.max().x, r.max().y])
        .unwrap_or_default();
    let id = &layer.id;
    json!({
        "id": id,
        "title": layer.title,
        "description": format!("{} layer of {} ({} areas)", layer.role.as_str(), region.name, layer.areas.len()),
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "extent": { "spatial": { "bbox": [bbox], "crs": CRS84 } },
        "role": layer.role.as_str(),
        "featureCount": layer.areas.len(),
        "attribution": region.attribution,
        "links": [
            link(format!("{base}/collections/{id}"), "self", "application/json", "This collection"),
            link(format!("{base}/collections/{id}/items"), "items", GEOJSON, "The areas"),
        ],
    })
}

/// `GET /collections`.
pub async fn collections(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q);
    json_only(&params)?;
    let base = base_url(&state, &headers);
    let served = state.served.load();
    let region = served.region();
    Ok(Json(json!({
        "links": [link(format!("{base}/collections"), "self", "application/json", "The boundary layers")],
        "collections": region.layers.iter().map(|l| collection_json(&base, region, l)).collect::<Vec<_>>(),
    }))
    .into_response())
}

fn find_layer<'r>(region: &'r Region, id: &str) -> Result<(usize, &'r Layer), ApiProblem> {
    region.layer(id).ok_or_else(|| {
        ApiProblem::not_found(format!(
            "no layer {id:?}; layers: {}",
            region
                .layers
                .iter()
                .map(|l| l.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// `GET /collections/{layer}`.
pub async fn collection(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(layer): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q);
    let base = base_url(&state, &headers);
    let served = state.served.load();
    let region = served.region();
    json_only(&params)?;
    let (_, l) = find_layer(region, &layer)?;
    Ok(Json(collection_json(&base, region, l)).into_response())
}

fn feature_properties(layer: &Layer, area: &Area) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("id".into(), json!(area.id));
    p.insert("name".into(), json!(area.name));
    p.insert("layer".into(), json!(layer.id));
    p.insert("role".into(), json!(layer.role.as_str()));
    p.insert("area_m2".into(), json!(area.area_m2.round()));
    p.insert("perimeter_m".into(), json!(area.perimeter_m.round()));
    if let Some(pop) = area.population {
        p.insert("population".into(), json!(pop));
    }
    p
}

fn feature_json(area: &Area, properties: Map<String, Value>) -> Value {
    let geometry = geojson::Geometry::new(geojson::GeometryValue::from(&area.geometry));
    json!({
        "type": "Feature",
        "id": area.id,
        "geometry": geometry,
        "properties": properties,
    })
}

/// Parses `bbox=minLon,minLat,maxLon,maxLat` (6 values with heights are
/// accepted; heights are ignored).
pub(crate) fn parse_bbox(v: &str) -> Result<geo::Rect<f64>, ApiProblem> {
    let nums: Result<Vec<f64>, _> = v.split(',').map(|s| s.trim().parse::<f64>()).collect();
    let bad = |why: &str| {
        ApiProblem::bad_parameter(format!(
            "bbox={v:?} {why}; expected minLon,minLat,maxLon,maxLat"
        ))
    };
    let nums = nums.map_err(|_| bad("has a value that is not a number"))?;
    let (x0, y0, x1, y1) = match nums.as_slice() {
        [a, b, c, d] => (*a, *b, *c, *d),
        [a, b, _, c, d, _] => (*a, *b, *c, *d),
        _ => return Err(bad("must have 4 (or 6) numbers")),
    };
    if ![x0, y0, x1, y1].iter().all(|x| x.is_finite()) {
        return Err(bad("must be finite"));
    }
    if !(-180.0..=180.0).contains(&x0) || !(-180.0..=180.0).contains(&x1) {
        return Err(bad("has a longitude outside -180..180"));
    }
    if !(-90.0..=90.0).contains(&y0) || !(-90.0..=90.0).contains(&y1) {
        return Err(bad("has a latitude outside -90..90"));
    }
    if x0 > x1 || y0 > y1 {
        return Err(bad(
            "has min > max (boxes across the antimeridian are not supported)",
        ));
    }
    Ok(geo::Rect::new(
        geo::coord! {x: x0, y: y0},
        geo::coord! {x: x1, y: y1},
    ))
}

fn parse_count(params: &Params, name: &str) -> Result<Option<usize>, ApiProblem> {
    match params.get(name)? {
        None => Ok(None),
        Some(v) => v.trim().parse::<usize>().map(Some).map_err(|_| {
            ApiProblem::bad_parameter(format!("{name}={v:?} must be a whole number ≥ 0"))
        }),
    }
}

/// `GET /collections/{layer}/items?bbox=&limit=&offset=`: areas in source
/// order, filtered to those whose geometry intersects `bbox`, paged with
/// `next`/`prev` links.
pub async fn items(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(layer_id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let v = items_inner(&state, &headers, &layer_id, Params::parse(q))?;
    Ok(geojson_response(v))
}

fn items_inner(
    state: &AppState,
    headers: &HeaderMap,
    layer_id: &str,
    params: Params,
) -> Result<Value, ApiProblem> {
    params.only(&["bbox", "limit", "offset", "f", "datetime", "bbox-crs"])?;
    check_format(&params)?;
    if let Some(crs) = params.get("bbox-crs")? {
        if crs != CRS84 {
            return Err(ApiProblem::bad_parameter(format!(
                "bbox-crs={crs:?} is not supported; use {CRS84}"
            )));
        }
    }
    let served = state.served.load();
    let region = served.region();
    let (_, layer) = find_layer(region, layer_id)?;
    let limit = match parse_count(&params, "limit")? {
        Some(0) => {
            return Err(ApiProblem::bad_parameter(
                "limit=0: limit must be at least 1",
            ))
        }
        Some(n) => n.min(state.config.max_limit),
        None => state.config.default_limit,
    };
    let offset = parse_count(&params, "offset")?.unwrap_or(0);
    let bbox = params.get("bbox")?.map(parse_bbox).transpose()?;
    let matched: Vec<usize> = match bbox {
        None => (0..layer.areas.len()).collect(),
        Some(r) => layer
            .index
            .in_envelope([r.min().x, r.min().y], [r.max().x, r.max().y])
            .into_iter()
            .filter(|&a| layer.areas[a].geometry.intersects(&r))
            .collect(),
    };
    let page: Vec<usize> = matched.iter().skip(offset).take(limit).copied().collect();
    let features: Vec<Value> = page
        .iter()
        .map(|&a| {
            let area = &layer.areas[a];
            feature_json(area, feature_properties(layer, area))
        })
        .collect();
    let base = base_url(state, headers);
    let page_url = |off: usize| {
        let mut qs = form_urlencoded::Serializer::new(String::new());
        if let Some(b) = params.get("bbox").ok().flatten() {
            qs.append_pair("bbox", b);
        }
        qs.append_pair("limit", &limit.to_string());
        qs.append_pair("offset", &off.to_string());
        format!("{base}/collections/{}/items?{}", layer.id, qs.finish())
    };
    let mut links = vec![
        link(page_url(offset), "self", GEOJSON, "This page"),
        link(
            format!("{base}/collections/{}", layer.id),
            "collection",
            "application/json",
            "The collection",
        ),
    ];
    if offset + page.len() < matched.len() {
        links.push(link(
            page_url(offset + page.len()),
            "next",
            GEOJSON,
            "Next page",
        ));
    }
    if offset > 0 {
        links.push(link(
            page_url(offset.saturating_sub(limit)),
            "prev",
            GEOJSON,
            "Previous page",
        ));
    }
    Ok(json!({
        "type": "FeatureCollection",
        "numberMatched": matched.len(),
        "numberReturned": features.len(),
        "timeStamp": humantime_now(),
        "attribution": region.attribution,
        "links": links,
        "features": features,
    }))
}

/// `GET /collections/{layer}/items/{id}`: one area, with its parents and
/// children (which neighbourhood a community lies in, and how much of it).
pub async fn item(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((layer_id, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q);
    let served = state.served.load();
    let region = served.region();
    let found = json_only(&params)
        .and_then(|_| find_layer(region, &layer_id))
        .and_then(|(li, layer)| {
            layer
                .area_index(&id)
                .map(|a| (li, layer, a))
                .ok_or_else(|| {
                    ApiProblem::not_found(format!("no area {id:?} in layer {layer_id:?}"))
                })
        });
    let (li, layer, a) = found?;
    let area = &layer.areas[a];
    let mut props = feature_properties(layer, area);
    let relation_json = |l: usize, x: usize, r: &crate::relations::Relation| {
        let other = &region.layers[l];
        json!({
            "layer": other.id,
            "id": other.areas[x].id,
            "name": other.areas[x].name,
            "intersection_m2": r.intersection_m2.round(),
            "share_of_child": (r.share_of_child * 1e4).round() / 1e4,
            "share_of_parent": (r.share_of_parent * 1e4).round() / 1e4,
        })
    };
    let parents: Vec<Value> = region
        .relations
        .parents_of(li, a)
        .into_iter()
        .map(|r| relation_json(r.parent_layer, r.parent_area, r))
        .collect();
    let children: Vec<Value> = region
        .relations
        .children_of(li, a)
        .into_iter()
        .map(|r| relation_json(r.child_layer, r.child_area, r))
        .collect();
    props.insert("parents".into(), Value::Array(parents));
    props.insert("children".into(), Value::Array(children));
    let base = base_url(&state, &headers);
    let mut feature = feature_json(area, props);
    feature["links"] = json!([
        link(
            format!(
                "{base}/collections/{}/items/{}",
                layer.id,
                encode_segment(&area.id)
            ),
            "self",
            GEOJSON,
            "This area"
        ),
        link(
            format!("{base}/collections/{}", layer.id),
            "collection",
            "application/json",
            "The collection"
        ),
    ]);
    Ok(geojson_response(feature))
}

/// Percent-encodes a path segment (ids may hold spaces or slashes).
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Now as an RFC 3339 UTC timestamp, whole seconds.
fn humantime_now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// `GET /api`: an OpenAPI 3.0 description of the API.
pub async fn api_definition(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiProblem> {
    let base = base_url(&state, &headers);
    let served = state.served.load();
    let region = served.region();
    let layers: Vec<&str> = region.layers.iter().map(|l| l.id.as_str()).collect();
    let q = |name: &str, desc: &str, schema: Value, required: bool| json!({ "name": name, "in": "query", "description": desc, "required": required, "schema": schema });
    let ok = |desc: &str, media: &str| json!({ "200": { "description": desc, "content": { media: {} } } });
    // The plan's parameters come from the one table that also checks them.
    let plan_params: Vec<Value> = crate::plan::params::PARAMS
        .iter()
        .map(|p| {
            use crate::plan::params::Kind;
            let schema = match p.kind {
                Kind::Layer => json!({"type": "string", "enum": layers}),
                Kind::Number => json!({"type": "number", "minimum": p.min, "maximum": p.max}),
                Kind::Limit => json!({"oneOf": [{"type": "integer", "minimum": p.min, "maximum": p.max}, {"type": "string", "enum": ["none"]}]}),
                Kind::Flag => json!({"type": "boolean"}),
            };
            q(p.name, p.doc, schema, false)
        })
        .collect();
    let plan_path = |summary: &str, media: &str| {
        json!({ "get": {
        "summary": summary,
        "parameters": plan_params,
        "responses": ok(summary, media) } })
    };
    // Writes: a bearer token, a JSON body (unknown fields refused) and, to
    // change or remove, If-Match.
    let errors = |codes: &[u16]| -> Value {
        codes
            .iter()
            .map(|c| (c.to_string(), json!({ "description": "problem", "content": { "application/problem+json": {} } })))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let write = |summary: &str,
                 status: u16,
                 body: Option<Value>,
                 if_match: bool,
                 path_param: Option<&str>| {
        let mut params = Vec::new();
        if let Some(name) = path_param {
            params.push(json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }));
        }
        if if_match {
            params.push(json!({ "name": "If-Match", "in": "header", "required": true, "description": "the ETag read, or *", "schema": { "type": "string" } }));
        }
        let mut responses = errors(&[400, 401, 403, 404, 409, 412, 413, 415, 428]);
        responses[status.to_string()] =
            json!({ "description": summary, "content": { "application/json": {} } });
        let mut op = json!({ "summary": summary, "security": [{ "bearer": [] }], "parameters": params, "responses": responses });
        if let Some(schema) = body {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": schema } } });
        }
        op
    };
    let text = |max: usize| json!({ "type": "string", "maxLength": max });
    let decision_kind = json!({ "type": "string", "enum": ["accept", "reject", "defer"] });
    let new_decision = json!({
        "type": "object", "additionalProperties": false, "required": ["layer", "decision"],
        "properties": {
            "layer": text(1000), "area_id": text(1000), "cluster_id": text(1000),
            "decision": decision_kind, "note": text(10_000), "params": text(1000),
        },
    });
    let decision_patch = json!({
        "type": "object", "additionalProperties": false,
        "properties": { "decision": decision_kind, "note": text(10_000) },
    });
    let feed_props = json!({
        "feed_id": text(1000), "platform": text(1000), "handle": text(1000), "url": text(1000),
        "layer": text(1000), "area_id": text(1000), "name": text(1000),
        "status": { "type": "string", "enum": ["active", "planned", "retired"] },
    });
    let new_feed = json!({ "type": "object", "additionalProperties": false, "required": ["feed_id", "platform", "handle", "url"], "properties": feed_props });
    let mut patch_props = feed_props.clone();
    patch_props.as_object_mut().map(|m| m.remove("feed_id"));
    let feed_patch =
        json!({ "type": "object", "additionalProperties": false, "properties": patch_props });
    let params_body = json!({ "type": "object", "additionalProperties": false, "required": ["query"], "properties": { "query": text(1000) } });
    let by_id = |name: &str| json!([{ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }]);
    let body = json!({
        "openapi": "3.0.3",
        "components": { "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } } },
        "info": { "title": format!("feedmap – {}", region.name), "version": env!("CARGO_PKG_VERSION") },
        "servers": [{ "url": base }],
        "paths": {
            "/": { "get": { "summary": "Landing page", "responses": ok("Links", "application/json") } },
            "/conformance": { "get": { "summary": "Conformance classes", "responses": ok("Classes", "application/json") } },
            "/collections": { "get": { "summary": "Layers", "responses": ok("Collections", "application/json") } },
            "/collections/{collectionId}": { "get": {
                "summary": "One layer",
                "parameters": [{ "name": "collectionId", "in": "path", "required": true, "schema": { "type": "string", "enum": layers } }],
                "responses": ok("Collection", "application/json") } },
            "/collections/{collectionId}/items": { "get": {
                "summary": "Areas of a layer",
                "parameters": [
                    { "name": "collectionId", "in": "path", "required": true, "schema": { "type": "string", "enum": layers } },
                    q("bbox", "minLon,minLat,maxLon,maxLat", json!({"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6}), false),
                    q("limit", "page size", json!({"type": "integer", "minimum": 1, "maximum": state.config.max_limit, "default": state.config.default_limit}), false),
                    q("offset", "items to skip", json!({"type": "integer", "minimum": 0, "default": 0}), false),
                ],
                "responses": ok("Features", GEOJSON) } },
            "/collections/{collectionId}/items/{featureId}": { "get": {
                "summary": "One area with parents and children",
                "parameters": [
                    { "name": "collectionId", "in": "path", "required": true, "schema": { "type": "string", "enum": layers } },
                    { "name": "featureId", "in": "path", "required": true, "schema": { "type": "string" } },
                ],
                "responses": ok("Feature", GEOJSON) } },
            "/v1/lookup": { "get": {
                "summary": "Areas of every layer at a point",
                "parameters": [
                    q("lat", "latitude", json!({"type": "number", "minimum": -90, "maximum": 90}), true),
                    q("lon", "longitude", json!({"type": "number", "minimum": -180, "maximum": 180}), true),
                ],
                "responses": ok("Areas per layer", "application/json") } },
            "/v1/feeds/lookup": { "get": {
                "summary": "The feeds for a point, postcode or place, most specific first (give lat and lon, or postcode, or q)",
                "parameters": [
                    q("lat", "latitude", json!({"type": "number", "minimum": -90, "maximum": 90}), false),
                    q("lon", "longitude", json!({"type": "number", "minimum": -180, "maximum": 180}), false),
                    q("postcode", "a UK postcode, any case or spacing", json!({"type": "string"}), false),
                    q("q", "a place name or address", json!({"type": "string"}), false),
                ],
                "responses": ok("Feed answer", "application/json") } },
            "/v1/feeds": {
                "get": { "summary": "Every feed (active, planned, retired)", "responses": ok("Feeds", "application/json") },
                "post": write("Add a feed (201)", 201, Some(new_feed), false, None) },
            "/v1/feeds/{feedId}": {
                "get": { "summary": "One feed, with its ETag", "parameters": by_id("feedId"), "responses": ok("Feed", "application/json") },
                "patch": write("Change a feed", 200, Some(feed_patch), true, Some("feedId")),
                "delete": write("Retire a feed", 200, None, true, Some("feedId")) },
            "/v1/decisions": {
                "get": { "summary": "Planners' decisions, with vanished flags", "parameters": [q("layer", "only this community layer", json!({"type": "string"}), false)], "responses": ok("Decisions", "application/json") },
                "post": write("Record a decision about a community or cluster (201)", 201, Some(new_decision), false, None) },
            "/v1/decisions/{id}": {
                "get": { "summary": "One decision, with its ETag", "parameters": by_id("id"), "responses": ok("Decision", "application/json") },
                "patch": write("Change a decision", 200, Some(decision_patch), true, Some("id")),
                "delete": write("Withdraw a decision", 200, None, true, Some("id")) },
            "/v1/plan/params": {
                "get": { "summary": "The saved parameters plans start from, with ETag", "responses": ok("Parameters", "application/json") },
                "put": write("Save the parameters plans start from", 200, Some(params_body), true, None) },
            "/v1/audit": { "get": {
                "summary": "The append-only log of every change",
                "parameters": [
                    q("after", "continue after this seq", json!({"type": "integer", "minimum": 0}), false),
                    q("limit", "entries", json!({"type": "integer", "minimum": 0, "maximum": 1000, "default": 100}), false),
                ],
                "responses": ok("Entries", "application/json") } },
            "/v1/me": { "get": { "summary": "Who a bearer token is", "security": [{ "bearer": [] }], "responses": ok("Name and role", "application/json") } },
            "/v1/plan": plan_path("The feed plan", "application/json"),
            "/v1/plan.geojson": plan_path("The suggested feed areas", GEOJSON),
            "/v1/plan.csv": plan_path("The suggestions as CSV", "text/csv"),
            "/health": { "get": { "summary": "Health", "responses": ok("Status", "application/json") } },
        }
    });
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/vnd.oai.openapi+json;version=3.0",
        )],
        body.to_string(),
    )
        .into_response())
}
