//! OGC API – Features, Part 1 (Core + GeoJSON): the layers as collections
//! that QGIS, GDAL and web maps can read without feedmap-specific code.

use super::params::parse_bbox;
use super::problem::ApiProblem;
use super::{AppState, Params, GEOJSON};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use feedmap_geography::boundary::{Area, Layer};
use feedmap_geography::region::Region;
use geo::Intersects;
use serde_json::{json, Map, Value};
use std::sync::Arc;

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
];

/// The base URL for links: the configured public URL, else `http://Host`.
pub(crate) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
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
    let params = Params::parse(q.as_deref());
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
    let params = Params::parse(q.as_deref());
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
    let params = Params::parse(q.as_deref());
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
    let params = Params::parse(q.as_deref());
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
    let v = items_inner(&state, &headers, &layer_id, Params::parse(q.as_deref()))?;
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
    // `datetime`: an instant (a date, or an RFC 3339 date-time whose date
    // is taken): the layer's areas in effect then.
    let view = match params.get("datetime")? {
        None => served.today().clone(),
        Some(d) if d.len() >= 10 && feedmap_domain::generations::is_date(&d[..10]) && !d.contains('/') => {
            served.view_at(&d[..10])
        }
        Some(d) => {
            return Err(ApiProblem::bad_parameter(format!(
                "datetime={d:?}: give an instant, a date YYYY-MM-DD or a date-time (intervals are not supported)"
            )))
        }
    };
    let region = view.region();
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
    let params = Params::parse(q.as_deref());
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
    let relation_json = |l: usize, x: usize, r: &feedmap_geography::relations::Relation| {
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

/// This resource's operations: its routes and their description, which
/// the API's operation table gathers for the router and `/api`.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::{path, query};
    use axum::routing;
    use serde_json::json;
    vec![
        cx.get("/", "Landing page (the planners' map for a browser, links otherwise)", routing::get(landing)),
        cx.get("/conformance", "OGC API – Features conformance classes", routing::get(conformance)),
        cx.get("/collections", "The layers, one collection each", routing::get(collections)),
        cx.get("/collections/{layer}", "One layer", routing::get(collection))
            .params(vec![cx.layer("layer")]),
        cx.get("/collections/{layer}/items", "Areas of a layer, paged", routing::get(items))
            .media(super::GEOJSON)
            .params(vec![
                cx.layer("layer"),
                query("bbox", "minLon,minLat,maxLon,maxLat", json!({"type": "string"})),
                query("limit", "page size", json!({"type": "integer", "minimum": 1, "maximum": cx.config.max_limit, "default": cx.config.default_limit})),
                query("offset", "items to skip", json!({"type": "integer", "minimum": 0, "default": 0})),
                query("datetime", "an instant (YYYY-MM-DD or RFC 3339): the areas in effect then; default today", json!({"type": "string"})),
            ]),
        cx.get("/collections/{layer}/items/{id}", "One area, with parents and children", routing::get(item))
            .media(super::GEOJSON)
            .params(vec![cx.layer("layer"), path("id", "an area id", json!(cx.ex.community))]),
    ]
}
