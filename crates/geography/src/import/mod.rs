//! Reading boundary files into raw features, before validation.
//!
//! Importers only parse: they keep coordinates in the file's own CRS and
//! report per-feature parse failures as [`Problem`]s, so that one malformed
//! feature never hides the problems in the rest of the file.

pub mod geojson;
pub mod kml;

use crate::crs::Crs;
use crate::validate::{Problem, ProblemKind, RawPolygon, Site};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A feature as read from a file.
#[derive(Debug, Clone)]
pub struct RawFeature {
    /// 0-based index of the feature in its layer (across all files of a KML
    /// folder), used in problem reports.
    pub index: usize,
    /// The file the feature came from.
    pub file: PathBuf,
    /// The GeoJSON `id` member, if any.
    pub fid: Option<Value>,
    /// Properties (KML: `name`, `description`, extended data, `file_stem`).
    pub properties: Map<String, Value>,
    /// The geometry, still in the file's CRS.
    pub geometry: RawGeometry,
}

/// A raw geometry: polygons we can use, or the name of what we found instead.
#[derive(Debug, Clone)]
pub enum RawGeometry {
    /// One or more polygons (a Polygon or MultiPolygon / MultiGeometry).
    Polygons(Vec<RawPolygon>),
    /// Some other geometry type, named for the error message.
    Other(String),
    /// No geometry at all.
    Missing,
}

/// The contents of one layer's source, with the CRS it declares.
#[derive(Debug, Default)]
pub struct RawLayer {
    /// The CRS declared by the file, if it declares one it knows.
    pub declared_crs: Option<Crs>,
    /// Features that parsed.
    pub features: Vec<RawFeature>,
    /// Problems found while parsing.
    pub problems: Vec<Problem>,
}

/// Reads a layer's source: a GeoJSON file, a KML file, or a folder of KML
/// files (as data.police.uk publishes neighbourhood boundaries).
pub fn read_layer(path: &Path, layer: &str) -> RawLayer {
    let site = Site {
        file: path.to_path_buf(),
        layer: layer.to_string(),
        feature: None,
        id: None,
    };
    if path.is_dir() {
        return kml::read_dir(path, &site);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            let mut out = RawLayer::default();
            out.problems
                .push(site.problem(ProblemKind::UnreadableFile, format!("cannot read: {e}")));
            return out;
        }
    };
    match ext.as_str() {
        "kml" => kml::read(&bytes, &site, 0),
        "geojson" | "json" => geojson::read(&bytes, &site),
        other => {
            let mut out = RawLayer::default();
            out.problems.push(site.problem(
                ProblemKind::UnreadableFile,
                format!(
                    "unsupported file type {other:?}: use .geojson/.json (GeoJSON), .kml, or a folder of .kml files"
                ),
            ));
            out
        }
    }
}

/// Reads a layer from files held in memory (a staged boundary release):
/// one GeoJSON file, or one or more KML files (placemarks numbered across
/// them in the order given). Problems name each file by `name`.
pub fn read_files<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    layer: &str,
) -> RawLayer {
    let mut out = RawLayer::default();
    let files: Vec<(&str, &[u8])> = files.into_iter().collect();
    let site = |name: &str| Site {
        file: PathBuf::from(name),
        layer: layer.to_string(),
        feature: None,
        id: None,
    };
    if files.is_empty() {
        out.problems.push(site("").problem(
            ProblemKind::UnreadableFile,
            "no files: give one GeoJSON file or one or more KML files",
        ));
        return out;
    }
    let ext = |name: &str| {
        Path::new(name)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let geojson = files
        .iter()
        .filter(|(n, _)| matches!(ext(n).as_str(), "geojson" | "json"))
        .count();
    if geojson > 0 && files.len() > 1 {
        out.problems.push(site(files[0].0).problem(
            ProblemKind::UnreadableFile,
            format!(
                "{} files given with a GeoJSON one: a GeoJSON release is exactly one file",
                files.len()
            ),
        ));
        return out;
    }
    for (name, bytes) in files {
        let part = match ext(name).as_str() {
            "geojson" | "json" => geojson::read(bytes, &site(name)),
            "kml" => kml::read(bytes, &site(name), out.features.len()),
            other => {
                out.problems.push(site(name).problem(
                    ProblemKind::UnreadableFile,
                    format!(
                        "unsupported file type {other:?}: use .geojson/.json (GeoJSON) or .kml"
                    ),
                ));
                continue;
            }
        };
        out.declared_crs = out.declared_crs.or(part.declared_crs);
        out.features.extend(part.features);
        out.problems.extend(part.problems);
    }
    out
}
