//! OGC API – Features: Part 1 (Core + GeoJSON), the layers as collections
//! that QGIS, GDAL and web maps can read without feedmap-specific code;
//! Part 2 (coordinates in CRS84, EPSG:4326 or British National Grid, see
//! `ogc_crs.rs` beside this file); Part 3 (queryables and CQL2 text
//! filters, see [`feedmap_domain::cql2`]).

// Beside this file (the API's modules are one folder of files).
#[path = "ogc_crs.rs"]
mod crs;

use super::problem::ApiProblem;
use super::{AppState, Params, GEOJSON};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crs::{OgcCrs, CRS84, SUPPORTED};
use feedmap_domain::cql2;
use feedmap_geography::area::Area;
use feedmap_geography::boundary::Layer;
use feedmap_geography::region::Region;
use geo::{BoundingRect, Intersects, MultiPolygon};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The conformance classes, each implemented whole:
///
/// - Features Part 1: Core, GeoJSON, OpenAPI 3.0;
/// - Part 2: CRS (`crs`, `bbox-crs`, `Content-Crs`, the collections'
///   `crs` and `storageCrs`);
/// - Part 3: Queryables (`/collections/{layer}/queryables`), Queryables as
///   query parameters (`?name=…`: equality), Filter and Features Filter
///   (`filter`, `filter-lang`, `filter-crs` on the items);
/// - CQL2: CQL2 Text, Basic CQL2, Advanced Comparison Operators (LIKE,
///   BETWEEN, IN), Basic Spatial Functions (S_INTERSECTS with points and
///   boxes), Basic Spatial Functions with additional Spatial Literals
///   (every WKT type), Spatial Functions (the other seven S_ functions),
///   Property-Property Comparisons (either side of any operator a property
///   or a literal). Not declared, and refused with the position: CQL2 JSON,
///   CASEI/ACCENTI, arithmetic, temporal, array and other functions.
const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
];

/// The link relation of a collection's queryables.
const REL_QUERYABLES: &str = "http://www.opengis.net/def/rel/ogc/1.0/queryables";
/// The media type of the queryables (a JSON Schema).
const SCHEMA_JSON: &str = "application/schema+json";
/// The one filter language read.
const CQL2_TEXT: &str = "cql2-text";

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

/// A GeoJSON answer with its `Content-Crs` (and other) headers.
fn geojson_response(body: Value, crs: OgcCrs, more: Vec<(HeaderName, HeaderValue)>) -> Response {
    let mut r = ([(header::CONTENT_TYPE, GEOJSON)], body.to_string()).into_response();
    if let Ok(v) = HeaderValue::from_str(&crs.header()) {
        r.headers_mut()
            .insert(HeaderName::from_static("content-crs"), v);
    }
    for (k, v) in more {
        r.headers_mut().append(k, v);
    }
    r
}

fn queryables_url(base: &str, layer: &Layer) -> String {
    format!("{base}/collections/{}/queryables", layer.id)
}

/// The `Link` header pointing at a layer's queryables (Part 3 asks for it
/// on the filterable resources, besides the link in their bodies).
fn queryables_header(base: &str, layer: &Layer) -> Vec<(HeaderName, HeaderValue)> {
    let v = format!(
        "<{}>; rel=\"{REL_QUERYABLES}\"; type=\"{SCHEMA_JSON}\"",
        queryables_url(base, layer)
    );
    HeaderValue::from_str(&v)
        .map(|v| vec![(header::LINK, v)])
        .unwrap_or_default()
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
        // Part 2: every collection can be read in these; it is stored in
        // CRS84, and its extent stays in CRS84 (Part 1's default for
        // `extent`, which says so in its own `crs`).
        "crs": SUPPORTED,
        "storageCrs": CRS84,
        "extent": { "spatial": { "bbox": [bbox], "crs": CRS84 } },
        "role": layer.role.as_str(),
        "featureCount": layer.areas.len(),
        "attribution": region.attribution,
        "links": [
            link(format!("{base}/collections/{id}"), "self", "application/json", "This collection"),
            link(format!("{base}/collections/{id}/items"), "items", GEOJSON, "The areas"),
            link(queryables_url(base, layer), REL_QUERYABLES, SCHEMA_JSON, "The properties a filter can use"),
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
        ApiProblem::not_found(format!("no layer {id:?}; layers: {}", region.layer_ids()))
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
    let mut r = Json(collection_json(&base, region, l)).into_response();
    for (k, v) in queryables_header(&base, l) {
        r.headers_mut().append(k, v);
    }
    Ok(r)
}

/// One queryable: a property a filter (or an equality query parameter)
/// can use, its CQL2 type and its JSON Schema.
struct Queryable {
    name: &'static str,
    kind: cql2::Type,
    schema: Value,
}

/// A layer's queryables: the properties of its features (as
/// [`feature_properties`] writes them) and the geometry.
fn queryables(layer: &Layer) -> Vec<Queryable> {
    use cql2::Type;
    let q = |name, kind, schema| Queryable { name, kind, schema };
    vec![
        q(
            "id",
            Type::String,
            json!({ "type": "string", "title": "Area id (also the feature id)" }),
        ),
        q(
            "name",
            Type::String,
            json!({ "type": "string", "title": "Area name" }),
        ),
        q(
            "layer",
            Type::String,
            json!({ "type": "string", "title": "Layer id", "enum": [layer.id] }),
        ),
        q(
            "role",
            Type::String,
            json!({ "type": "string", "title": "Layer role", "enum": [layer.role.as_str()] }),
        ),
        q(
            "area_m2",
            Type::Number,
            json!({ "type": "number", "title": "Geodesic area, square metres (rounded)" }),
        ),
        q(
            "perimeter_m",
            Type::Number,
            json!({ "type": "number", "title": "Geodesic perimeter, metres (rounded)" }),
        ),
        q(
            "population",
            Type::Number,
            json!({ "type": "number", "title": "Resident population (unset where the source gives none)" }),
        ),
        q(
            "geometry",
            Type::Geometry,
            json!({ "title": "Boundary", "x-ogc-role": "primary-geometry", "format": "geometry-multipolygon" }),
        ),
    ]
}

/// `GET /collections/{layer}/queryables`: the properties a filter can
/// use, as a JSON Schema (Part 3).
pub async fn queryables_doc(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(layer): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q.as_deref());
    json_only(&params)?;
    let base = base_url(&state, &headers);
    let served = state.served.load();
    let (_, l) = find_layer(served.region(), &layer)?;
    let properties: Map<String, Value> = queryables(l)
        .into_iter()
        .map(|q| (q.name.to_string(), q.schema))
        .collect();
    let body = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": queryables_url(&base, l),
        "type": "object",
        "title": l.title,
        "description": format!("What `filter` (CQL2 text) and the equality query parameters of /collections/{}/items can use", l.id),
        "properties": properties,
        "additionalProperties": false,
    });
    Ok(([(header::CONTENT_TYPE, SCHEMA_JSON)], body.to_string()).into_response())
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

/// A feature: its geometry already in the answer's CRS.
fn feature_json(
    area: &Area,
    geometry: &MultiPolygon<f64>,
    properties: Map<String, Value>,
) -> Value {
    let geometry = geojson::Geometry::new(geojson::GeometryValue::from(geometry));
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

/// The parameters of the items besides the queryables'.
const ITEMS_PARAMS: &[&str] = &[
    "bbox",
    "bbox-crs",
    "limit",
    "offset",
    "f",
    "datetime",
    "crs",
    "filter",
    "filter-lang",
    "filter-crs",
];

/// A feature a filter is evaluated on: its properties and geometry.
struct Candidate<'a> {
    properties: Map<String, Value>,
    area: &'a Area,
}

impl cql2::Feature for Candidate<'_> {
    fn property(&self, name: &str) -> Option<&Value> {
        self.properties.get(name)
    }
    fn geometry(&self) -> Option<&MultiPolygon<f64>> {
        Some(&self.area.geometry)
    }
}

/// An area's geometry in the answer's CRS; a 400 naming the area when a
/// point has no British National Grid coordinate.
fn output_geometry(crs: OgcCrs, area: &Area) -> Result<MultiPolygon<f64>, ApiProblem> {
    crs.output(&area.geometry).map_err(|c| {
        ApiProblem::bad_parameter(format!(
            "crs={}: area {:?} has the point {} {} (longitude, latitude) outside the OSTN15 grid, so no EPSG:27700 coordinates; ask for {CRS84}",
            crs.uri(),
            area.id,
            c.x,
            c.y
        ))
        .with_member("parameter", json!("crs"))
    })
}

/// `filter` as the items read it: CQL2 text (`filter-lang`, the only one)
/// over the layer's queryables, its geometry literals in `filter-crs`.
fn parse_filter(
    params: &Params,
    names: &[(&str, cql2::Type)],
) -> Result<Option<cql2::Filter>, ApiProblem> {
    match params.get("filter-lang")? {
        None | Some(CQL2_TEXT) => {}
        Some(other) => {
            return Err(ApiProblem::bad_parameter(format!(
                "filter-lang={other:?} is not supported; the one filter language is {CQL2_TEXT}"
            ))
            .with_member("parameter", json!("filter-lang")))
        }
    }
    let filter_crs = OgcCrs::param(params, "filter-crs")?;
    let Some(text) = params.get("filter")? else {
        return Ok(None);
    };
    cql2::Filter::parse(text, names, filter_crs.literals())
        .map(Some)
        .map_err(|e| {
            ApiProblem::bad_parameter(format!("filter (CQL2 text) {e}"))
                .with_member("parameter", json!("filter"))
                .with_member("position", json!(e.position))
        })
}

/// The equality conditions of the queryables given as query parameters
/// (`?name=Sale`, `?population=1700`): each must hold.
fn equality_params(
    params: &Params,
    qs: &[Queryable],
) -> Result<Vec<(&'static str, Value)>, ApiProblem> {
    let mut out = Vec::new();
    for q in qs {
        let Some(v) = params.get(q.name)? else {
            continue;
        };
        let want = match q.kind {
            cql2::Type::Number => v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(|x| json!(x))
                .ok_or_else(|| {
                    ApiProblem::bad_parameter(format!("{}={v:?} must be a number", q.name))
                })?,
            cql2::Type::Boolean => match v {
                "true" => json!(true),
                "false" => json!(false),
                _ => {
                    return Err(ApiProblem::bad_parameter(format!(
                        "{}={v:?} must be true or false",
                        q.name
                    )))
                }
            },
            _ => json!(v),
        };
        out.push((q.name, want));
    }
    Ok(out)
}

fn equal(have: Option<&Value>, want: &Value) -> bool {
    match (have, want) {
        (Some(Value::Number(a)), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Some(a), b) => a == b,
        (None, _) => false,
    }
}

/// `GET /collections/{layer}/items?bbox=&bbox-crs=&crs=&filter=&limit=&offset=`:
/// areas in source order — those whose geometry intersects `bbox` (given
/// in `bbox-crs`), that match `filter` (CQL2 text) and the queryables
/// given as parameters — in `crs`, paged with `next`/`prev` links that
/// keep every parameter.
pub async fn items(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(layer_id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let (v, crs, more) = items_inner(&state, &headers, &layer_id, Params::parse(q.as_deref()))?;
    Ok(geojson_response(v, crs, more))
}

type ItemsAnswer = (Value, OgcCrs, Vec<(HeaderName, HeaderValue)>);

fn items_inner(
    state: &AppState,
    headers: &HeaderMap,
    layer_id: &str,
    params: Params,
) -> Result<ItemsAnswer, ApiProblem> {
    check_format(&params)?;
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
    let qs = queryables(layer);
    let mut allowed: Vec<&str> = ITEMS_PARAMS.to_vec();
    allowed.extend(
        qs.iter()
            .filter(|q| q.kind != cql2::Type::Geometry)
            .map(|q| q.name),
    );
    params.only(&allowed)?;
    let crs = OgcCrs::param(&params, "crs")?;
    let bbox_crs = OgcCrs::param(&params, "bbox-crs")?;
    let names: Vec<(&str, cql2::Type)> = qs.iter().map(|q| (q.name, q.kind)).collect();
    let filter = parse_filter(&params, &names)?;
    let equalities = equality_params(&params, &qs)?;
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
    let bbox = params.get("bbox")?.map(|v| bbox_crs.bbox(v)).transpose()?;
    let candidates: Vec<usize> = match &bbox {
        None => (0..layer.areas.len()).collect(),
        Some(area) => match area.bounding_rect() {
            None => Vec::new(),
            Some(r) => layer
                .index
                .in_envelope([r.min().x, r.min().y], [r.max().x, r.max().y])
                .into_iter()
                .filter(|&a| layer.areas[a].geometry.intersects(area))
                .collect(),
        },
    };
    // Filtering before paging: `numberMatched` counts what the filters
    // keep, and the pages walk through them.
    let matched: Vec<usize> = if filter.is_none() && equalities.is_empty() {
        candidates
    } else {
        candidates
            .into_iter()
            .filter(|&a| {
                let area = &layer.areas[a];
                let c = Candidate {
                    properties: feature_properties(layer, area),
                    area,
                };
                equalities
                    .iter()
                    .all(|(name, want)| equal(c.properties.get(*name), want))
                    && filter.as_ref().is_none_or(|f| f.matches(&c))
            })
            .collect()
    };
    let page: Vec<usize> = matched.iter().skip(offset).take(limit).copied().collect();
    let features = page
        .iter()
        .map(|&a| {
            let area = &layer.areas[a];
            Ok(feature_json(
                area,
                &output_geometry(crs, area)?,
                feature_properties(layer, area),
            ))
        })
        .collect::<Result<Vec<Value>, ApiProblem>>()?;
    let base = base_url(state, headers);
    // Every link keeps the request's parameters (filter, crs, bbox, …) but
    // its own page.
    let page_url = |off: usize| {
        let mut qs = form_urlencoded::Serializer::new(String::new());
        for (k, v) in params.0.iter() {
            if k != "limit" && k != "offset" {
                qs.append_pair(k, v);
            }
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
        link(
            queryables_url(&base, layer),
            REL_QUERYABLES,
            SCHEMA_JSON,
            "The properties a filter can use",
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
    let more = queryables_header(&base, layer);
    Ok((
        json!({
            "type": "FeatureCollection",
            "numberMatched": matched.len(),
            "numberReturned": features.len(),
            "timeStamp": humantime_now(),
            "attribution": region.attribution,
            "links": links,
            "features": features,
        }),
        crs,
        more,
    ))
}

/// `GET /collections/{layer}/items/{id}?crs=`: one area, with its parents
/// and children (which neighbourhood a community lies in, and how much of
/// it).
pub async fn item(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((layer_id, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q.as_deref());
    let served = state.served.load();
    let region = served.region();
    let found = params
        .only(&["f", "crs"])
        .and_then(|_| check_format(&params))
        .and_then(|_| OgcCrs::param(&params, "crs"))
        .and_then(|crs| find_layer(region, &layer_id).map(|l| (crs, l)))
        .and_then(|(crs, (li, layer))| {
            layer
                .area_index(&id)
                .map(|a| (crs, li, layer, a))
                .ok_or_else(|| {
                    ApiProblem::not_found(format!("no area {id:?} in layer {layer_id:?}"))
                })
        });
    let (crs, li, layer, a) = found?;
    let area = &layer.areas[a];
    let geometry = output_geometry(crs, area)?;
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
    let mut feature = feature_json(area, &geometry, props);
    let self_url = format!(
        "{base}/collections/{}/items/{}",
        layer.id,
        encode_segment(&area.id)
    );
    let self_url = match params.get("crs").ok().flatten() {
        None => self_url,
        Some(c) => format!(
            "{self_url}?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("crs", c)
                .finish()
        ),
    };
    feature["links"] = json!([
        link(self_url, "self", GEOJSON, "This area"),
        link(
            format!("{base}/collections/{}", layer.id),
            "collection",
            "application/json",
            "The collection"
        ),
    ]);
    Ok(geojson_response(feature, crs, Vec::new()))
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
    use super::operation::{path, query, with_example};
    use axum::routing;
    use serde_json::json;
    let crs_schema =
        || json!({"type": "string", "format": "uri", "enum": SUPPORTED, "default": CRS84});
    vec![
        cx.get("/", "Landing page (the planners' map for a browser, links otherwise)", routing::get(landing)),
        cx.get("/conformance", "OGC API – Features conformance classes", routing::get(conformance)),
        cx.get("/collections", "The layers, one collection each", routing::get(collections)),
        cx.get("/collections/{layer}", "One layer", routing::get(collection))
            .params(vec![cx.layer("layer")]),
        cx.get("/collections/{layer}/queryables", "The properties a filter on a layer's items can use (JSON Schema)", routing::get(queryables_doc))
            .media(SCHEMA_JSON)
            .params(vec![cx.layer("layer")]),
        cx.get("/collections/{layer}/items", "Areas of a layer, filtered and paged, in a chosen CRS", routing::get(items))
            .media(super::GEOJSON)
            .params(vec![
                cx.layer("layer"),
                query("bbox", "minLon,minLat,maxLon,maxLat; in bbox-crs's axis order when given (EPSG:4326 minLat,minLon,maxLat,maxLon; EPSG:27700 minE,minN,maxE,maxN)", json!({"type": "string"})),
                query("bbox-crs", "the CRS of bbox, by URI", crs_schema()),
                with_example(query("crs", "the CRS of the answer's coordinates, by URI (EPSG:4326 latitude first, EPSG:27700 easting first, metres); the answer's Content-Crs header names it", crs_schema()), Some(json!(crs::EPSG_27700))),
                with_example(query("filter", "a CQL2 text filter over the queryables (/collections/{layer}/queryables): comparisons, AND/OR/NOT, LIKE, BETWEEN, IN, IS NULL and the spatial functions S_INTERSECTS, … on geometry", json!({"type": "string"})), Some(json!(format!("name = '{}'", cx.ex.community_name.replace('\'', "''"))))),
                query("filter-lang", "the filter's language (only cql2-text)", json!({"type": "string", "enum": [CQL2_TEXT], "default": CQL2_TEXT})),
                query("filter-crs", "the CRS of the filter's geometry literals, by URI", crs_schema()),
                query("limit", "page size", json!({"type": "integer", "minimum": 1, "maximum": cx.config.max_limit, "default": cx.config.default_limit})),
                query("offset", "items to skip", json!({"type": "integer", "minimum": 0, "default": 0})),
                query("datetime", "an instant (YYYY-MM-DD or RFC 3339): the areas in effect then; default today", json!({"type": "string"})),
                query("id", "queryable: only the area with this id", json!({"type": "string"})),
                query("name", "queryable: only areas with this name", json!({"type": "string"})),
                query("layer", "queryable: the layer id (every area has its layer's)", json!({"type": "string"})),
                query("role", "queryable: the layer role (every area has its layer's)", json!({"type": "string"})),
                query("area_m2", "queryable: only areas of this rounded area, square metres", json!({"type": "number"})),
                query("perimeter_m", "queryable: only areas of this rounded perimeter, metres", json!({"type": "number"})),
                query("population", "queryable: only areas of this population", json!({"type": "number"})),
            ]),
        cx.get("/collections/{layer}/items/{id}", "One area, with parents and children, in a chosen CRS", routing::get(item))
            .media(super::GEOJSON)
            .params(vec![
                cx.layer("layer"),
                path("id", "an area id", json!(cx.ex.community)),
                with_example(query("crs", "the CRS of the answer's coordinates, by URI; the answer's Content-Crs header names it", crs_schema()), Some(json!(crs::EPSG_4326))),
            ]),
    ]
}
