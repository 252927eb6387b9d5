//! GeoJSON FeatureCollections (RFC 7946, plus the legacy `crs` member that
//! ONS and GDAL write for British National Grid files).

use super::{RawFeature, RawGeometry, RawLayer};
use crate::crs::Crs;
use crate::validate::{ProblemKind, RawPolygon, Site};
use geojson::{Feature, GeometryValue, Position};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize)]
struct Collection {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    crs: Option<Value>,
    // Kept as raw text so each feature is decoded once, straight into its
    // typed form, and a malformed one is reported by index.
    #[serde(default)]
    features: Option<Vec<Box<RawValue>>>,
}

/// Parses a GeoJSON FeatureCollection. Each feature is decoded separately so
/// that a malformed one is reported by index instead of failing the file.
pub fn read(bytes: &[u8], site: &Site) -> RawLayer {
    let mut out = RawLayer::default();
    let fc: Collection = match serde_json::from_slice(bytes) {
        Ok(fc) => fc,
        Err(e) => {
            out.problems.push(site.problem(
                ProblemKind::UnreadableFile,
                format!("not valid GeoJSON: {e}"),
            ));
            return out;
        }
    };
    if fc.kind != "FeatureCollection" {
        out.problems.push(site.problem(
            ProblemKind::UnreadableFile,
            format!(
                "expected a GeoJSON FeatureCollection, found type {:?}",
                fc.kind
            ),
        ));
        return out;
    }
    if let Some(crs) = &fc.crs {
        let name = crs
            .pointer("/properties/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        match Crs::parse(name) {
            Some(c) => out.declared_crs = Some(c),
            None => out.problems.push(site.problem(
                ProblemKind::UnknownCrs,
                format!(
                    "unknown crs {crs}: feedmap reads WGS84 (CRS84/EPSG:4326) and British National Grid (EPSG:27700)"
                ),
            )),
        }
    }
    let Some(features) = fc.features else {
        out.problems.push(site.problem(
            ProblemKind::UnreadableFile,
            "FeatureCollection has no \"features\" array",
        ));
        return out;
    };
    for (index, raw) in features.into_iter().enumerate() {
        let mut fsite = site.clone();
        fsite.feature = Some(index);
        let feature: Feature = match serde_json::from_str(raw.get()) {
            Ok(f) => f,
            Err(e) => {
                out.problems.push(fsite.problem(
                    ProblemKind::UnreadableFile,
                    format!("malformed feature: {e}"),
                ));
                continue;
            }
        };
        let geometry = match feature.geometry.map(|g| g.value) {
            None => RawGeometry::Missing,
            Some(GeometryValue::Polygon { coordinates }) => {
                RawGeometry::Polygons(vec![polygon(&coordinates)])
            }
            Some(GeometryValue::MultiPolygon { coordinates }) => {
                RawGeometry::Polygons(coordinates.iter().map(|p| polygon(p)).collect())
            }
            Some(other) => RawGeometry::Other(other.type_name().to_string()),
        };
        let fid = feature.id.map(|id| match id {
            geojson::feature::Id::String(s) => Value::String(s),
            geojson::feature::Id::Number(n) => Value::Number(n),
        });
        out.features.push(RawFeature {
            index,
            file: site.file.clone(),
            fid,
            properties: feature.properties.unwrap_or_default(),
            geometry,
        });
    }
    out
}

fn polygon(rings: &[Vec<Position>]) -> RawPolygon {
    rings
        .iter()
        .map(|ring| ring.iter().map(position).collect())
        .collect()
}

/// A position's x and y; a position with fewer than two numbers becomes NaN so
/// that validation reports it as a non-finite coordinate of its ring.
fn position(p: &Position) -> [f64; 2] {
    let s = p.as_slice();
    [
        s.first().copied().unwrap_or(f64::NAN),
        s.get(1).copied().unwrap_or(f64::NAN),
    ]
}
