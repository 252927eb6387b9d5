//! The offline base map over HTTP: the PMTiles archive `--basemap` names,
//! read by the map page in byte ranges, and the glyphs and sprite its
//! style asks for (embedded; see [`crate::basemap`]).

use super::problem::{ApiProblem, Path};
use super::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tower::ServiceExt;

/// The archive's path under `/basemap/`.
pub const ARCHIVE: &str = "tiles.pmtiles";

/// `GET /basemap/{file}`: the sprite (`sprite.json`, `sprite.png`,
/// `sprite@2x.json`, `sprite@2x.png`) and, when the server has a base
/// map, its archive (`tiles.pmtiles`), answered in the byte ranges asked
/// (206 with `Content-Range`; 416 for a range past its end).
pub async fn file(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
    request: Request,
) -> Result<Response, ApiProblem> {
    if file == ARCHIVE {
        let Some(b) = &state.basemap else {
            return Err(ApiProblem::not_found(
                "this server has no base map: start it with --basemap FILE.pmtiles (a Protomaps extract of your area)",
            ));
        };
        let answer = tower_http::services::ServeFile::new(&b.path)
            .oneshot(request)
            .await
            .map_err(|e| {
                tracing::error!(file = %b.path.display(), error = %e, "reading the base map");
                ApiProblem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "basemap-unreadable",
                    "Base map unreadable",
                    "the base map file cannot be read now; the operator has been told in the log",
                )
            })?;
        let mut answer = answer.map(axum::body::Body::new);
        // Revalidated each time (by Last-Modified), so a replaced file is
        // seen without a stale mix of old and new ranges.
        answer
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        return Ok(answer);
    }
    let (body, media) = crate::basemap::sprite(&file).ok_or_else(|| {
        ApiProblem::not_found(format!(
            "no base map file {file:?}: there are sprite.json, sprite.png, sprite@2x.json, sprite@2x.png and, with --basemap, {ARCHIVE}"
        ))
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, media),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response())
}

/// `GET /basemap/fonts/{fontstack}/{range}`: 256 glyphs (`0-255.pbf`) of
/// the first font of the comma-separated `fontstack` that feedmap has,
/// else Noto Sans Regular.
pub async fn glyphs(
    Path((fontstack, range)): Path<(String, String)>,
) -> Result<Response, ApiProblem> {
    let body = crate::basemap::glyphs(&fontstack, &range)
        .map_err(|e| ApiProblem::not_found(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-protobuf"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response())
}

/// This resource's operations.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::path;
    use axum::routing;
    use serde_json::json;
    vec![
        cx.get(
            "/basemap/{file}",
            "The base map's sprite and, with --basemap, its PMTiles archive (tiles.pmtiles, read in byte ranges)",
            routing::get(file),
        )
        .media("application/octet-stream")
        .params(vec![path(
            "file",
            "sprite.json, sprite.png, sprite@2x.json, sprite@2x.png or tiles.pmtiles",
            json!("sprite.json"),
        )]),
        cx.get(
            "/basemap/fonts/{fontstack}/{range}",
            "Glyphs of the base map's labels (SDF, 256 code points a file)",
            routing::get(glyphs),
        )
        .media("application/x-protobuf")
        .params(vec![
            path("fontstack", "fonts, comma-separated", json!("Noto Sans Regular")),
            path("range", "first-last code point, then .pbf", json!("0-255.pbf")),
        ]),
    ]
}
