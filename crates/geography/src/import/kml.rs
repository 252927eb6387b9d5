//! KML as data.police.uk publishes neighbourhood boundaries: Placemarks with
//! a Polygon or a MultiGeometry of Polygons, one file per neighbourhood
//! (usually the file name is the neighbourhood id) or many placemarks per
//! file.
//!
//! Each placemark becomes a feature whose properties are its `name`,
//! `description`, every `ExtendedData` value (`Data`/`SimpleData`), and
//! `file_stem` (the file name without `.kml`), so a manifest can pick the id
//! from any of them; by default the placemark name is both id and name.

use super::{RawFeature, RawGeometry, RawLayer};
use crate::validate::{ProblemKind, RawPolygon, RawRing, Site};
use quick_xml::events::Event;
use quick_xml::Reader;
use serde_json::{Map, Value};
use std::path::Path;

/// Reads every `*.kml` file of a folder (sorted by name, so feature indexes
/// are stable) into one layer.
pub fn read_dir(dir: &Path, site: &Site) -> RawLayer {
    let mut out = RawLayer::default();
    let mut files: Vec<_> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| e.eq_ignore_ascii_case("kml"))
            })
            .collect(),
        Err(e) => {
            out.problems.push(site.problem(
                ProblemKind::UnreadableFile,
                format!("cannot read folder: {e}"),
            ));
            return out;
        }
    };
    files.sort();
    if files.is_empty() {
        out.problems
            .push(site.problem(ProblemKind::UnreadableFile, "folder holds no .kml files"));
    }
    for file in files {
        let mut fsite = site.clone();
        fsite.file = file.clone();
        match std::fs::read(&file) {
            Ok(bytes) => {
                let part = read(&bytes, &fsite, out.features.len());
                out.features.extend(part.features);
                out.problems.extend(part.problems);
            }
            Err(e) => out
                .problems
                .push(fsite.problem(ProblemKind::UnreadableFile, format!("cannot read: {e}"))),
        }
    }
    out
}

#[derive(Default)]
struct Placemark {
    properties: Map<String, Value>,
    polygons: Vec<RawPolygon>,
    other: Option<String>,
    bad_coordinates: Vec<String>,
}

/// Parses one KML document; `first_index` numbers its placemarks after
/// those of earlier files in the same layer.
pub fn read(bytes: &[u8], site: &Site, first_index: usize) -> RawLayer {
    let mut out = RawLayer::default();
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            out.problems
                .push(site.problem(ProblemKind::UnreadableFile, format!("not UTF-8 text: {e}")));
            return out;
        }
    };
    let file_stem = site
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut reader = Reader::from_str(text);
    // Text is trimmed per element at its end tag; trimming each text event
    // would eat the spaces around entity references ("Smith &amp; Jones").
    reader.config_mut().trim_text(false);
    let mut path: Vec<String> = Vec::new();
    let mut current: Option<Placemark> = None;
    let mut polygon: Option<RawPolygon> = None;
    let mut text_buf = String::new();
    let mut data_name: Option<String> = None;
    let mut index = first_index;
    loop {
        let event = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => {
                out.problems.push(site.problem(
                    ProblemKind::UnreadableFile,
                    format!("not valid KML/XML at byte {}: {e}", reader.error_position()),
                ));
                return out;
            }
        };
        match event {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                text_buf.clear();
                match name.as_str() {
                    "Placemark" => current = Some(Placemark::default()),
                    "Polygon" if current.is_some() => polygon = Some(Vec::new()),
                    "Data" | "SimpleData" => {
                        data_name = e
                            .attributes()
                            .flatten()
                            .find(|a| a.key.local_name().as_ref() == b"name")
                            .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()));
                    }
                    "Point" | "LineString" | "Model" | "Track" if current.is_some() => {
                        if let Some(p) = current.as_mut() {
                            p.other.get_or_insert(name.clone());
                        }
                    }
                    _ => {}
                }
                path.push(name);
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if matches!(name.as_str(), "Point" | "LineString") {
                    if let Some(p) = current.as_mut() {
                        p.other.get_or_insert(name);
                    }
                }
            }
            Event::Text(t) => {
                if let Ok(s) = t.xml_content() {
                    text_buf.push_str(&s);
                }
            }
            Event::CData(t) => {
                if let Ok(s) = t.decode() {
                    text_buf.push_str(&s);
                }
            }
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text_buf.push(c);
                } else if let Ok(name) = r.decode() {
                    text_buf.push_str(match name.as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Event::End(_) => {
                let name = path.pop().unwrap_or_default();
                let parent = path.last().map(String::as_str).unwrap_or("");
                let text = std::mem::take(&mut text_buf);
                let text = text.trim();
                match name.as_str() {
                    "name" | "description" if parent == "Placemark" => {
                        if let Some(p) = current.as_mut() {
                            p.properties
                                .insert(name.clone(), Value::String(text.to_string()));
                        }
                    }
                    "value" if parent == "Data" => {
                        if let (Some(p), Some(k)) = (current.as_mut(), data_name.clone()) {
                            p.properties.insert(k, Value::String(text.to_string()));
                        }
                    }
                    "SimpleData" => {
                        if let (Some(p), Some(k)) = (current.as_mut(), data_name.take()) {
                            p.properties.insert(k, Value::String(text.to_string()));
                        }
                    }
                    "coordinates" => {
                        if let (Some(poly), Some(p)) = (polygon.as_mut(), current.as_mut()) {
                            let inner = path.iter().any(|n| n == "innerBoundaryIs");
                            let outer = path.iter().any(|n| n == "outerBoundaryIs");
                            match parse_coordinates(text) {
                                Ok(ring) if outer => poly.insert(0, ring),
                                Ok(ring) if inner => poly.push(ring),
                                Ok(_) => {}
                                Err(msg) => p.bad_coordinates.push(msg),
                            }
                        }
                    }
                    "Polygon" => {
                        if let (Some(poly), Some(p)) = (polygon.take(), current.as_mut()) {
                            p.polygons.push(poly);
                        }
                    }
                    "Placemark" => {
                        if let Some(mut p) = current.take() {
                            p.properties
                                .insert("file_stem".into(), Value::String(file_stem.clone()));
                            let mut fsite = site.clone();
                            fsite.feature = Some(index);
                            for msg in &p.bad_coordinates {
                                out.problems.push(
                                    fsite.problem(ProblemKind::NonFiniteCoordinate, msg.clone()),
                                );
                            }
                            let geometry = if !p.polygons.is_empty() {
                                RawGeometry::Polygons(p.polygons)
                            } else if let Some(other) = p.other {
                                RawGeometry::Other(other)
                            } else {
                                RawGeometry::Missing
                            };
                            out.features.push(RawFeature {
                                index,
                                file: site.file.clone(),
                                fid: None,
                                properties: p.properties,
                                geometry,
                            });
                            index += 1;
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if index == first_index {
        out.problems.push(site.problem(
            ProblemKind::UnreadableFile,
            "no <Placemark> found: is this a KML boundary file?",
        ));
    }
    out
}

/// Parses a KML `<coordinates>` text: whitespace-separated `lon,lat[,alt]`
/// tuples. Values that are not numbers are an error; `NaN`/`inf` parse and
/// are caught later by the finiteness check.
fn parse_coordinates(text: &str) -> Result<RawRing, String> {
    text.split_whitespace()
        .enumerate()
        .map(|(k, tuple)| {
            let mut parts = tuple.split(',');
            let mut next = || -> Result<f64, String> {
                let s = parts.next().unwrap_or("");
                s.trim().parse::<f64>().map_err(|_| {
                    format!("coordinate tuple {k} {tuple:?} is not lon,lat[,alt] numbers")
                })
            };
            Ok([next()?, next()?])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site {
            file: "NC04.kml".into(),
            layer: "n".into(),
            feature: None,
            id: None,
        }
    }

    #[test]
    fn reads_multigeometry_with_holes_and_extended_data() {
        let kml = r#"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder>
<Placemark><name>Smith &amp; Jones</name><description><![CDATA[<b>x</b>]]></description>
<ExtendedData><Data name="code"><value>NC04</value></Data>
<SchemaData><SimpleData name="pop">1200</SimpleData></SchemaData></ExtendedData>
<MultiGeometry>
<Polygon><outerBoundaryIs><LinearRing><coordinates>0,0,0 4,0,0 4,4,0 0,4,0 0,0,0</coordinates></LinearRing></outerBoundaryIs>
<innerBoundaryIs><LinearRing><coordinates>1,1 2,1 2,2 1,2 1,1</coordinates></LinearRing></innerBoundaryIs></Polygon>
<Polygon><outerBoundaryIs><LinearRing><coordinates>5,5 6,5 6,6 5,5</coordinates></LinearRing></outerBoundaryIs></Polygon>
</MultiGeometry></Placemark></Folder></Document></kml>"#;
        let layer = read(kml.as_bytes(), &site(), 0);
        assert!(layer.problems.is_empty(), "{:?}", layer.problems);
        let f = &layer.features[0];
        assert_eq!(f.properties["name"], "Smith & Jones");
        assert_eq!(f.properties["code"], "NC04");
        assert_eq!(f.properties["pop"], "1200");
        assert_eq!(f.properties["file_stem"], "NC04");
        let RawGeometry::Polygons(polys) = &f.geometry else {
            panic!("not polygons")
        };
        assert_eq!(polys.len(), 2);
        assert_eq!(polys[0].len(), 2, "exterior + one hole");
        assert_eq!(polys[0][1][0], [1.0, 1.0]);
    }

    #[test]
    fn point_placemark_is_non_polygon() {
        let kml = "<kml><Placemark><name>a</name><Point><coordinates>1,2</coordinates></Point></Placemark></kml>";
        let layer = read(kml.as_bytes(), &site(), 0);
        assert!(matches!(&layer.features[0].geometry, RawGeometry::Other(t) if t == "Point"));
    }

    #[test]
    fn garbage_is_unreadable() {
        let layer = read(b"<kml><Placemark>", &site(), 0);
        assert_eq!(layer.problems[0].kind, ProblemKind::UnreadableFile);
    }
}
