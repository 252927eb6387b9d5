//! Areas and layers: validated boundary polygons with the measures planning
//! needs, built from raw imported features.

use crate::crs::Crs;
use crate::import::{RawFeature, RawGeometry, RawLayer};
use crate::index::AreaIndex;
use crate::manifest::{LayerSpec, Role};
use crate::validate::{check_polygon, CheckedPolygon, Problem, ProblemKind, Site};
use geo::orient::Direction;
use geo::{BoundingRect, GeodesicArea, MakeValid, MultiPolygon, Orient, Rect};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

/// One area (neighbourhood, community or context polygon) of a layer.
#[derive(Debug, Clone)]
pub struct Area {
    /// The id from the source data (unique in its layer).
    pub id: String,
    /// The display name.
    pub name: String,
    /// The boundary in WGS84 lon/lat.
    pub geometry: MultiPolygon<f64>,
    /// Geodesic area in square metres (holes subtracted).
    pub area_m2: f64,
    /// Geodesic perimeter in metres (all rings).
    pub perimeter_m: f64,
    /// Resident population when the source gives one.
    pub population: Option<f64>,
    /// An explicit identity score (0–1) from the layer's identity property,
    /// overriding the planner's name-based guess.
    pub identity: Option<f64>,
    /// Bounding box in lon/lat.
    pub bbox: Rect<f64>,
}

/// A layer: its areas, in source order, with a spatial index over them.
#[derive(Debug)]
pub struct Layer {
    /// The layer id from the manifest.
    pub id: String,
    /// Human title (defaults to the id).
    pub title: String,
    /// What the layer is for.
    pub role: Role,
    /// The source file or folder.
    pub source: PathBuf,
    /// The areas in source order.
    pub areas: Vec<Area>,
    /// R-tree over the areas' polygons.
    pub index: AreaIndex,
    /// The union of the areas' bounding boxes, if the layer is non-empty.
    pub extent: Option<Rect<f64>>,
    by_id: HashMap<String, usize>,
    /// Rings projected to Web Mercator, built on the first vector tile
    /// request (most layers of a command-line run never need it).
    pub(crate) mercator: std::sync::OnceLock<crate::tiles::Mercator>,
}

impl Layer {
    /// Builds a layer from already-valid areas (used by the loader and by
    /// tests and benches that make geometry in code).
    pub fn new(id: &str, title: &str, role: Role, source: PathBuf, areas: Vec<Area>) -> Layer {
        let by_id = areas
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.clone(), i))
            .collect();
        let index = AreaIndex::build(&areas);
        let extent = areas.iter().map(|a| a.bbox).reduce(|a, b| {
            Rect::new(
                geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        });
        Layer {
            id: id.into(),
            title: title.into(),
            role,
            source,
            areas,
            index,
            extent,
            by_id,
            mercator: std::sync::OnceLock::new(),
        }
    }

    /// Finds an area by id.
    pub fn area_index(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }
}

impl Area {
    /// Builds an area from a valid geometry, computing its geodesic measures.
    /// Rings are first oriented by RFC 7946's right-hand rule (exterior
    /// counter-clockwise, holes clockwise): many published files (ESRI
    /// exports, ONS) wind the other way, and a clockwise ring's geodesic
    /// area is the rest of the Earth.
    pub fn new(
        id: String,
        name: String,
        geometry: MultiPolygon<f64>,
        population: Option<f64>,
    ) -> Area {
        let geometry = geometry.orient(Direction::Default);
        let (perimeter_m, area_m2) = geometry.geodesic_perimeter_area_unsigned();
        let bbox = geometry
            .bounding_rect()
            .unwrap_or_else(|| Rect::new(geo::coord! {x: 0., y: 0.}, geo::coord! {x: 0., y: 0.}));
        Area {
            id,
            name,
            geometry,
            area_m2,
            perimeter_m,
            population,
            identity: None,
            bbox,
        }
    }
}

/// Geodesic (perimeter m, area m²) of a multipolygon, whatever the winding
/// of its rings. Boolean operations and published files wind rings either
/// way, and a geodesic measure of a ring wound the wrong way is the rest of
/// the Earth (a hole wound so subtracts that from its polygon), so every
/// measure goes through here: rings are oriented by RFC 7946's right-hand
/// rule first.
pub fn geodesic_measures(geometry: &MultiPolygon<f64>) -> (f64, f64) {
    geometry
        .orient(Direction::Default)
        .geodesic_perimeter_area_unsigned()
}

/// Geodesic area in m² of the overlap of two areas' geometries.
pub fn overlap_m2(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
    use geo::BooleanOps;
    geodesic_measures(&a.intersection(b)).1
}

/// Result of building one layer: the layer if it is clean, every problem
/// otherwise, and notes about repairs made.
pub struct BuiltLayer {
    /// The layer, when there were no problems.
    pub layer: Option<Layer>,
    /// Every problem found.
    pub problems: Vec<Problem>,
    /// What was repaired (only with repair on).
    pub notes: Vec<String>,
}

/// Validates a raw layer against its manifest entry and builds it.
pub fn build_layer(spec: &LayerSpec, source: PathBuf, raw: RawLayer, repair: bool) -> BuiltLayer {
    let mut problems = raw.problems;
    let mut notes = Vec::new();
    let file_site = Site {
        file: source.clone(),
        layer: spec.id.clone(),
        feature: None,
        id: None,
    };
    let crs = match (&spec.crs, raw.declared_crs) {
        (None, declared) => declared.unwrap_or(Crs::Wgs84),
        (Some(name), declared) => {
            match Crs::parse(name) {
                None => {
                    problems.push(file_site.problem(
                    ProblemKind::UnknownCrs,
                    format!("manifest crs {name:?} is not known: use \"EPSG:4326\" or \"EPSG:27700\""),
                ));
                    Crs::Wgs84
                }
                Some(c) if declared.is_some_and(|d| d != c) => {
                    problems.push(file_site.problem(
                        ProblemKind::UnknownCrs,
                        format!(
                            "the file declares {} but the manifest says {}",
                            declared.map(Crs::name).unwrap_or(""),
                            c.name()
                        ),
                    ));
                    c
                }
                Some(c) => c,
            }
        }
    };
    let is_kml = raw.features.first().is_some_and(|f| {
        f.file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("kml"))
    });
    let mut areas = Vec::with_capacity(raw.features.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    let progress = crate::progress::bar(raw.features.len(), &format!("checking {}", spec.id));
    for feature in &raw.features {
        progress.inc(1);
        let mut site = Site {
            file: feature.file.clone(),
            layer: spec.id.clone(),
            feature: Some(feature.index),
            id: None,
        };
        let before = problems.len();
        let id = feature_id(feature, spec, is_kml, &site, &mut problems);
        site.id = id.clone();
        let name = feature_name(feature, spec, &site, &mut problems);
        let population =
            feature_population(feature, spec, &site, &mut problems).or(spec.population_each);
        let identity = feature_identity(feature, spec, &site, &mut problems);
        if let Some(id) = &id {
            if let Some(first) = seen.insert(id.clone(), feature.index) {
                problems.push(site.problem(
                    ProblemKind::DuplicateId,
                    format!(
                        "id {id:?} is also used by feature #{first}; ids must be unique in a layer"
                    ),
                ));
            }
        }
        let geometry = feature_geometry(feature, crs, repair, &site, &mut problems, &mut notes);
        if problems.len() == before {
            if let (Some(id), Some(name), Some(geometry)) = (id, name, geometry) {
                let mut area = Area::new(id, name, geometry, population);
                area.identity = identity;
                areas.push(area);
            }
        }
    }
    progress.finish_and_clear();
    if raw.features.is_empty() && problems.is_empty() {
        problems.push(file_site.problem(ProblemKind::UnreadableFile, "the layer has no features"));
    }
    let layer = problems.is_empty().then(|| {
        let title = spec.title.clone().unwrap_or_else(|| spec.id.clone());
        Layer::new(&spec.id, &title, spec.role, source, areas)
    });
    BuiltLayer {
        layer,
        problems,
        notes,
    }
}

fn feature_id(
    f: &RawFeature,
    spec: &LayerSpec,
    is_kml: bool,
    site: &Site,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let (value, what) = match &spec.id_property {
        Some(p) => (f.properties.get(p), format!("property {p:?}")),
        None if is_kml => (f.properties.get("name"), "placemark name".to_string()),
        None => (
            f.fid.as_ref(),
            "feature \"id\" member (or set id_property)".to_string(),
        ),
    };
    match value {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            problems.push(site.problem(
                ProblemKind::MissingId,
                format!("no id: {what} is missing or empty"),
            ));
            None
        }
        Some(other) => {
            problems.push(site.problem(
                ProblemKind::WrongPropertyType,
                format!(
                    "id {what} must be a string or number, found {}",
                    json_type(other)
                ),
            ));
            None
        }
    }
}

fn feature_name(
    f: &RawFeature,
    spec: &LayerSpec,
    site: &Site,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    // KML placemark names are stored under "name", the GeoJSON default too.
    let key = spec
        .name_property
        .clone()
        .unwrap_or_else(|| "name".to_string());
    match f.properties.get(&key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            problems.push(site.problem(
                ProblemKind::MissingName,
                format!("no name: property {key:?} is missing or empty (set name_property in the manifest?)"),
            ));
            None
        }
        Some(other) => {
            problems.push(site.problem(
                ProblemKind::WrongPropertyType,
                format!(
                    "name property {key:?} must be a string, found {}",
                    json_type(other)
                ),
            ));
            None
        }
    }
}

fn feature_population(
    f: &RawFeature,
    spec: &LayerSpec,
    site: &Site,
    problems: &mut Vec<Problem>,
) -> Option<f64> {
    let key = spec.population_property.as_ref()?;
    let value = f.properties.get(key);
    let number = match value {
        None | Some(Value::Null) => return None,
        Some(Value::Number(n)) => n.as_f64(),
        // KML extended data is always text, so numeric text is accepted there.
        Some(Value::String(s)) => s.trim().parse::<f64>().ok().filter(|v| v.is_finite()),
        Some(_) => None,
    };
    match number {
        Some(n) if n >= 0.0 => Some(n),
        Some(n) => {
            problems.push(site.problem(
                ProblemKind::InvalidPopulation,
                format!("population {key:?} is {n}; it must be zero or more"),
            ));
            None
        }
        None => {
            problems.push(site.problem(
                ProblemKind::InvalidPopulation,
                format!(
                    "population {key:?} is {}, not a number",
                    value.map(|v| v.to_string()).unwrap_or_default()
                ),
            ));
            None
        }
    }
}

/// The explicit identity override: the layer's `identity_property` (default
/// `identity`, when the feature has it), a number 0–1 or a boolean.
fn feature_identity(
    f: &RawFeature,
    spec: &LayerSpec,
    site: &Site,
    problems: &mut Vec<Problem>,
) -> Option<f64> {
    let key = spec.identity_property.as_deref().unwrap_or("identity");
    let value = f.properties.get(key)?;
    let number = match value {
        Value::Null => return None,
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Number(n) => n.as_f64(),
        // KML extended data is text.
        Value::String(s) => match s.trim() {
            "true" => Some(1.0),
            "false" => Some(0.0),
            t => t.parse::<f64>().ok(),
        },
        _ => None,
    };
    match number {
        Some(v) if (0.0..=1.0).contains(&v) => Some(v),
        _ => {
            problems.push(site.problem(
                ProblemKind::WrongPropertyType,
                format!("identity property {key:?} is {value}; it must be a number from 0 to 1, or true/false"),
            ));
            None
        }
    }
}

fn feature_geometry(
    f: &RawFeature,
    crs: Crs,
    repair: bool,
    site: &Site,
    problems: &mut Vec<Problem>,
    notes: &mut Vec<String>,
) -> Option<MultiPolygon<f64>> {
    let raw = match &f.geometry {
        RawGeometry::Polygons(p) if !p.is_empty() => p,
        RawGeometry::Polygons(_) | RawGeometry::Missing => {
            problems.push(site.problem(
                ProblemKind::NonPolygonGeometry,
                "no geometry: a boundary needs a Polygon or MultiPolygon",
            ));
            return None;
        }
        RawGeometry::Other(kind) => {
            problems.push(site.problem(
                ProblemKind::NonPolygonGeometry,
                format!("geometry is a {kind}; a boundary needs a Polygon or MultiPolygon"),
            ));
            return None;
        }
    };
    let mut polygons = Vec::with_capacity(raw.len());
    let mut crossings = Vec::new();
    for (i, p) in raw.iter().enumerate() {
        match check_polygon(p, i, crs, site, problems)? {
            CheckedPolygon::Valid(poly) => polygons.push(poly),
            CheckedPolygon::SelfIntersecting(poly, why) => {
                crossings.extend(why);
                polygons.push(poly);
            }
            CheckedPolygon::Touching(poly, why) => {
                for w in why {
                    notes.push(format!("{}: {w}", note_site(site)));
                }
                polygons.push(poly);
            }
        }
    }
    let geometry = MultiPolygon::new(polygons);
    if crossings.is_empty() {
        return Some(geometry);
    }
    if !repair {
        problems.push(site.problem(
            ProblemKind::SelfIntersection,
            format!(
                "{}; fix the geometry, or run with --repair (or repair = true in the manifest) to repair it",
                crossings.join("; ")
            ),
        ));
        return None;
    }
    match geometry.make_valid() {
        Ok(fixed) if !fixed.0.is_empty() => {
            notes.push(format!(
                "{}: repaired: {}",
                note_site(site),
                crossings.join("; ")
            ));
            Some(fixed)
        }
        _ => {
            problems.push(site.problem(
                ProblemKind::SelfIntersection,
                format!("{}; automatic repair failed", crossings.join("; ")),
            ));
            None
        }
    }
}

fn note_site(site: &Site) -> String {
    format!(
        "{} [layer {}] feature #{} (id {:?})",
        site.file.display(),
        site.layer,
        site.feature.unwrap_or(0),
        site.id.as_deref().unwrap_or("")
    )
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Shapes for unit tests across the crate.
#[cfg(test)]
pub(crate) mod test_shapes {
    use super::Area;
    use geo::{LineString, MultiPolygon, Polygon};

    /// The rectangle `[x0, x1] × [y0, y1]` (degrees) as a multipolygon.
    pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        let ring: LineString<f64> = vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)].into();
        MultiPolygon::new(vec![Polygon::new(ring, vec![])])
    }

    /// A rectangular area whose id and name are `id`.
    pub fn rect_area(id: &str, x0: f64, y0: f64, x1: f64, y1: f64) -> Area {
        Area::new(id.into(), id.into(), rect(x0, y0, x1, y1), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    /// Boolean operations may wind holes either way; the overlap of a
    /// square with a holed square must still be the square less the hole
    /// (a wrongly wound hole measured as-is subtracts the rest of the Earth).
    #[test]
    fn overlaps_with_holes_measure_right_whatever_the_winding() {
        let outer: LineString<f64> = vec![
            (0.0, 53.0),
            (0.02, 53.0),
            (0.02, 53.02),
            (0.0, 53.02),
            (0.0, 53.0),
        ]
        .into();
        let hole: LineString<f64> = vec![
            (0.005, 53.005),
            (0.015, 53.005),
            (0.015, 53.015),
            (0.005, 53.015),
            (0.005, 53.005),
        ]
        .into();
        let holed = MultiPolygon::new(vec![Polygon::new(outer.clone(), vec![hole.clone()])]);
        let plain = MultiPolygon::new(vec![Polygon::new(outer, vec![])]);
        let hole_only = MultiPolygon::new(vec![Polygon::new(hole, vec![])]);
        let want = geodesic_measures(&plain).1 - geodesic_measures(&hole_only).1;
        for (a, b) in [(&holed, &plain), (&plain, &holed)] {
            let got = overlap_m2(a, b);
            assert!((got - want).abs() < 1.0, "{got} vs {want}");
        }
    }

    #[test]
    fn clockwise_rings_get_their_true_area() {
        // A 0.01° square at 53°N, wound clockwise: 1.113 km × 0.670 km on the
        // WGS84 ellipsoid.
        let cw: LineString<f64> = vec![
            (0.0, 53.0),
            (0.0, 53.01),
            (0.01, 53.01),
            (0.01, 53.0),
            (0.0, 53.0),
        ]
        .into();
        let area = Area::new(
            "a".into(),
            "a".into(),
            MultiPolygon::new(vec![Polygon::new(cw, vec![])]),
            None,
        );
        assert!(
            (area.area_m2 - 747_000.0).abs() < 1_000.0,
            "{}",
            area.area_m2
        );
        assert!(
            (area.perimeter_m - 3_560.0).abs() < 20.0,
            "{}",
            area.perimeter_m
        );
    }
}
