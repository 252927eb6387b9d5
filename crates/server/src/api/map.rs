//! The planners' map: the page and its assets (embedded in the binary, so
//! a deployment is one file), its configuration, vector tiles of every
//! layer, and label points with each area's active feeds.

use super::problem::ApiProblem;
use super::problem::Path;
use super::{AppState, Params};
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use feedmap_geography::area::AreaRef;
use geo::InteriorPoint;
use serde_json::json;
use std::sync::Arc;

/// The page itself.
pub const INDEX_HTML: &str = include_str!("../../../../web/index.html");
const APP_JS: &str = include_str!("../../../../web/app.js");
const STYLE_CSS: &str = include_str!("../../../../web/style.css");
const QUESTION_JS: &str = include_str!("../../../../web/question.js");
const QUESTION_CSS: &str = include_str!("../../../../web/question.css");

#[cfg(not(feedmap_no_map_assets))]
const MAPLIBRE_JS: Option<&[u8]> = Some(include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../web/node_modules/maplibre-gl/dist/maplibre-gl.js"
)));
#[cfg(not(feedmap_no_map_assets))]
const MAPLIBRE_CSS: Option<&[u8]> = Some(include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../web/node_modules/maplibre-gl/dist/maplibre-gl.css"
)));
#[cfg(not(feedmap_no_map_assets))]
const PMTILES_JS: Option<&[u8]> = Some(include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../web/node_modules/pmtiles/dist/pmtiles.js"
)));
#[cfg(not(feedmap_no_map_assets))]
const BASEMAPS_JS: Option<&[u8]> = Some(include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../web/node_modules/@protomaps/basemaps/dist/basemaps.js"
)));
#[cfg(feedmap_no_map_assets)]
const PMTILES_JS: Option<&[u8]> = None;
#[cfg(feedmap_no_map_assets)]
const BASEMAPS_JS: Option<&[u8]> = None;
#[cfg(feedmap_no_map_assets)]
const MAPLIBRE_JS: Option<&[u8]> = None;
#[cfg(feedmap_no_map_assets)]
const MAPLIBRE_CSS: Option<&[u8]> = None;

/// `GET /map/{file}`: the page's scripts and styles.
pub async fn asset(Path(file): Path<String>) -> Result<Response, ApiProblem> {
    let (body, media): (Option<&[u8]>, &str) = match file.as_str() {
        "app.js" => (Some(APP_JS.as_bytes()), "text/javascript; charset=utf-8"),
        "style.css" => (Some(STYLE_CSS.as_bytes()), "text/css; charset=utf-8"),
        // The public question's page (`/question`).
        "question.js" => (
            Some(QUESTION_JS.as_bytes()),
            "text/javascript; charset=utf-8",
        ),
        "question.css" => (Some(QUESTION_CSS.as_bytes()), "text/css; charset=utf-8"),
        "maplibre-gl.js" => (MAPLIBRE_JS, "text/javascript; charset=utf-8"),
        "maplibre-gl.css" => (MAPLIBRE_CSS, "text/css; charset=utf-8"),
        // The base map's: PMTiles reader and the Protomaps style's layers.
        "pmtiles.js" => (PMTILES_JS, "text/javascript; charset=utf-8"),
        "basemaps.js" => (BASEMAPS_JS, "text/javascript; charset=utf-8"),
        _ => return Err(ApiProblem::not_found(format!("no map asset {file:?}"))),
    };
    let b = body.ok_or_else(|| ApiProblem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "map-assets-missing",
        "Map library not built in",
        "this binary was built without MapLibre GL JS: install Node.js and npm, then rebuild (the build runs `npm ci` in web/)",
    ))?;
    Ok((
        [
            (header::CONTENT_TYPE, media),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        b,
    )
        .into_response())
}

/// `GET /map/config.json`: what the page needs to start.
pub async fn config(State(state): State<Arc<AppState>>) -> Result<Response, ApiProblem> {
    let served = state.served.load();
    let region = served.region();
    let layers: Vec<_> = region
        .layers
        .iter()
        .map(|l| {
            json!({
                "id": l.id,
                "title": l.title,
                "role": l.role.as_str(),
                "count": l.areas.len(),
                "extent": l.extent.map(|e| [e.min().x, e.min().y, e.max().x, e.max().y]),
            })
        })
        .collect();
    // What the lookup box offers as examples: one of the region's own
    // live postcodes and the name of its largest community.
    let postcode = region.postcodes.as_deref().and_then(|p| {
        p.iter()
            .filter(|e| e.terminated.is_none())
            .map(|e| e.postcode.as_str())
            .min()
    });
    let place = region
        .layers
        .iter()
        .find(|l| l.role == feedmap_geography::manifest::Role::Community)
        .and_then(|l| {
            l.areas
                .iter()
                .max_by(|a, b| a.area_m2.total_cmp(&b.area_m2))
        })
        .map(|a| a.name.as_str());
    let examples: Vec<&str> = postcode.into_iter().chain(place).collect();
    Ok(Json(json!({
        "region": region.name,
        "attribution": region.attribution,
        "lookup_examples": examples,
        "basemap_style_url": state.config.basemap_style_url,
        "basemap": state.basemap.as_ref().map(|b| json!({
            "url": format!("/basemap/{}", super::basemap::ARCHIVE),
            "attribution": b.attribution,
            "min_zoom": b.min_zoom,
            "max_zoom": b.max_zoom,
            "bounds": b.bounds,
        })),
        "layers": layers,
        "max_zoom": feedmap_geography::tiles::MAX_ZOOM,
    }))
    .into_response())
}

/// A tile's address from its path segments (`y` ends in `.mvt`; `form`
/// shows the path's shape): 400 for a segment that is not a whole number,
/// 404 without `.mvt` or for a zoom above [`feedmap_geography::tiles::MAX_ZOOM`].
fn tile_address(z: &str, x: &str, y: &str, form: &str) -> Result<(u8, u32, u32), ApiProblem> {
    let parse = |name: &str, v: &str| {
        v.parse::<u32>().map_err(|_| {
            ApiProblem::bad_parameter(format!("tile {name} {v:?} is not a whole number"))
        })
    };
    let Some(y) = y.strip_suffix(".mvt") else {
        return Err(ApiProblem::not_found(format!("tiles are {form}")));
    };
    let (z, x, y) = (parse("z", z)?, parse("x", x)?, parse("y", y)?);
    let z = u8::try_from(z).map_err(|_| {
        ApiProblem::not_found(format!(
            "zoom {z} is above {}",
            feedmap_geography::tiles::MAX_ZOOM
        ))
    })?;
    Ok((z, x, y))
}

/// Encodes a tile off the async threads and answers it (404 when the
/// address is out of range).
async fn tile_answer(
    encode: impl FnOnce() -> Result<(Vec<u8>, usize), feedmap_geography::tiles::BadTile>
        + Send
        + 'static,
) -> Result<Response, ApiProblem> {
    let (bytes, _) = tokio::task::spawn_blocking(encode)
        .await
        .map_err(|e| ApiProblem::internal(format!("tile failed: {e}")))?
        .map_err(|e| ApiProblem::not_found(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.mapbox-vector-tile"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /tiles/{layer}/{z}/{x}/{y}.mvt`: one vector tile.
pub async fn tile(
    State(state): State<Arc<AppState>>,
    Path((layer, z, x, y)): Path<(String, String, String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let (z, x, y) = tile_address(&z, &x, &y, "/tiles/{layer}/{z}/{x}/{y}.mvt")?;
    let params = Params::parse(q.as_deref());
    params.only(&["at"])?;
    let served = state.served();
    // `at`: the boundaries in effect on a date (default today).
    let view = super::lookup::at_param(&params, &served)?.1.into_owned();
    if view.region().layer(&layer).is_none() {
        return Err(ApiProblem::not_found(format!("no layer {layer:?}")));
    }
    tile_answer(move || {
        let (li, l) = view.region().layer(&layer).expect("checked above");
        feedmap_geography::tiles::encode(l, view.geo().projection(li), z, x, y)
    })
    .await
}

/// `GET /residential/{z}/{x}/{y}.mvt`: where people live, as density: the
/// region's residential points aggregated per cell
/// ([`feedmap_geography::tiles::Density`]).
pub async fn residential(
    State(state): State<Arc<AppState>>,
    Path((z, x, y)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let (z, x, y) = tile_address(&z, &x, &y, "/residential/{z}/{x}/{y}.mvt")?;
    Params::parse(q.as_deref()).only(&[])?;
    let served = state.served();
    tile_answer(move || served.geo().density().encode(z, x, y)).await
}

/// `GET /map/points/{layer}?bbox=&limit=`: a label point inside each area
/// of the layer within `bbox` (at most `limit`, default 500), with its
/// active feeds, for labels and feed markers. `truncated` says when there
/// were more (the page then leaves that layer unlabelled until zoomed in).
pub async fn points(
    State(state): State<Arc<AppState>>,
    Path(layer): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q.as_deref());
    let parsed = params.only(&["bbox", "limit"]).and_then(|_| {
        let bbox = params
            .get("bbox")?
            .map(super::params::parse_bbox)
            .transpose()?;
        let limit = match params.get("limit")? {
            None => 500,
            Some(v) => v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|l| (1..=5000).contains(l))
                .ok_or_else(|| {
                    ApiProblem::bad_parameter(format!(
                        "limit={v:?} must be a whole number from 1 to 5000"
                    ))
                })?,
        };
        Ok((bbox, limit))
    });
    let (bbox, limit) = parsed?;
    let served = state.served.load();
    let region = served.region();
    let Some((li, l)) = region.layer(&layer) else {
        return Err(ApiProblem::not_found(format!("no layer {layer:?}")));
    };
    let mut found = match bbox {
        Some(b) => l
            .index
            .in_envelope([b.min().x, b.min().y], [b.max().x, b.max().y]),
        None => (0..l.areas.len()).collect(),
    };
    found.sort_unstable();
    found.dedup();
    let truncated = found.len() > limit;
    let items: Vec<_> = found
        .into_iter()
        .take(limit)
        .map(|a| {
            let area = &l.areas[a];
            let p = area
                .geometry
                .interior_point()
                .unwrap_or_else(|| area.bbox.center().into());
            let feeds: Vec<_> = served
                .feeds()
                .of_area(AreaRef::new(li, a))
                .iter()
                .map(|&f| {
                    let f = &served.feeds().feeds[f];
                    json!({ "feed_id": f.feed_id, "platform": f.fields.platform, "handle": f.fields.handle, "url": f.fields.url })
                })
                .collect();
            json!({ "id": area.id, "name": area.name, "lon": p.x(), "lat": p.y(), "feeds": feeds })
        })
        .collect();
    Ok(Json(json!({ "layer": layer, "truncated": truncated, "points": items })).into_response())
}

/// This resource's operations: its routes and their description, which
/// the API's operation table gathers for the router and `/api`.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::{path, query};
    use axum::routing;
    use serde_json::json;
    vec![
        cx.get("/map/config.json", "What the map page needs to start", routing::get(config)),
        cx.get("/map/points/{layer}", "A label point inside each area, with its active feeds", routing::get(points))
            .params(vec![
                cx.layer("layer"),
                query("bbox", "minLon,minLat,maxLon,maxLat", json!({"type": "string"})),
                query("limit", "points", json!({"type": "integer", "minimum": 1, "maximum": 5000, "default": 500})),
            ]),
        cx.get("/map/{file}", "The map page's scripts and styles", routing::get(asset))
            .media("text/javascript")
            .params(vec![path("file", "app.js, style.css, question.js, question.css, maplibre-gl.js, maplibre-gl.css, pmtiles.js or basemaps.js", json!("app.js"))]),
        cx.get("/tiles/{layer}/{z}/{x}/{y}", "A Mapbox Vector Tile of a layer (y ends in .mvt)", routing::get(tile))
            .media("application/vnd.mapbox-vector-tile")
            .params(vec![
                cx.layer("layer"),
                path("z", "zoom", json!("0")),
                path("x", "column", json!("0")),
                path("y", "row, then .mvt", json!("0.mvt")),
                cx.at(),
            ]),
        cx.get("/residential/{z}/{x}/{y}", "Where people live, as a density tile: the region's residential points (postcodes) counted per cell of 8 pixels, one point feature per occupied cell with points and residents (y ends in .mvt)", routing::get(residential))
            .media("application/vnd.mapbox-vector-tile")
            .params(vec![
                path("z", "zoom", json!("0")),
                path("x", "column", json!("0")),
                path("y", "row, then .mvt", json!("0.mvt")),
            ]),
    ]
}
