//! Areas and layers: validated boundary polygons with the measures planning
//! needs, built from raw imported features.

pub use crate::area::{geodesic_measures, overlap_m2, Area};
use crate::crs::Crs;
use crate::import::{RawFeature, RawGeometry, RawLayer};
use crate::index::AreaIndex;
use crate::manifest::{LayerSpec, Role};
use crate::validate::{check_polygon, CheckedPolygon, Problem, ProblemKind, Site};
use geo::{MakeValid, MultiPolygon, Rect};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// A layer: its areas, in source order, with a spatial index over them.
/// Its parts are shared, so a copy (one per generation view) costs
/// nothing.
#[derive(Debug, Clone)]
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
    pub areas: Arc<Vec<Area>>,
    /// R-tree over the areas' polygons.
    pub index: Arc<AreaIndex>,
    /// The union of the areas' bounding boxes, if the layer is non-empty.
    pub extent: Option<Rect<f64>>,
    by_id: Arc<HashMap<String, usize>>,
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
            areas: Arc::new(areas),
            index: Arc::new(index),
            extent,
            by_id: Arc::new(by_id),
        }
    }

    /// Finds an area by id.
    pub fn area_index(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }
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
/// `residents` holds the layer's `population_file` figures by area id
/// (empty without one); they fill areas whose feature gives no population.
pub fn build_layer(
    spec: &LayerSpec,
    source: PathBuf,
    raw: RawLayer,
    repair: bool,
    residents: &HashMap<String, f64>,
) -> BuiltLayer {
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
    // Each feature is checked and measured on its own, on every core (the
    // ring checks and geodesic measures are most of a load); then, in file
    // order, ids are checked for repeats and the problems gathered, so the
    // report reads the same whatever the core count.
    let checked =
        crate::parallel::map_indexed(raw.features.len(), &format!("checking {}", spec.id), |i| {
            let feature = &raw.features[i];
            let mut site = Site {
                file: feature.file.clone(),
                layer: spec.id.clone(),
                feature: Some(feature.index),
                id: None,
            };
            let mut early = Vec::new();
            let id = feature_id(feature, spec, is_kml, &site, &mut early);
            site.id = id.clone();
            let name = feature_name(feature, spec, &site, &mut early);
            let population = feature_population(feature, spec, &site, &mut early)
                .or_else(|| id.as_ref().and_then(|id| residents.get(id).copied()))
                .or(spec.population_each);
            let identity = feature_identity(feature, spec, &site, &mut early);
            let (mut late, mut notes) = (Vec::new(), Vec::new());
            let geometry = feature_geometry(feature, crs, repair, &site, &mut late, &mut notes);
            let area = match (&id, name, geometry) {
                (Some(id), Some(name), Some(geometry)) if early.is_empty() && late.is_empty() => {
                    let mut area = Area::new(id.clone(), name, geometry, population);
                    area.identity = identity;
                    Some(area)
                }
                _ => None,
            };
            CheckedFeature {
                site,
                id,
                early,
                late,
                notes,
                area,
            }
        });
    let mut areas: Vec<Area> = Vec::with_capacity(raw.features.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    // In a built-up areas layer, a repeated id is another piece of the
    // same place (a national file clipped to boroughs): joined to it.
    let joins = spec.role == Role::BuiltUp;
    let (mut joined, mut position) = (0usize, HashMap::<String, usize>::new());
    for (feature, c) in raw.features.iter().zip(checked) {
        problems.extend(c.early);
        let mut repeated = false;
        if let (true, Some(id), Some(piece)) = (joins, &c.id, &c.area) {
            if let Some(first) = position.get(id).map(|&at| &mut areas[at]) {
                let identity = first.identity;
                let mut polygons =
                    std::mem::replace(&mut first.geometry, MultiPolygon(Vec::new())).0;
                polygons.extend(piece.geometry.0.iter().cloned());
                let population = match (first.population, piece.population) {
                    (Some(a), Some(b)) => Some(a + b),
                    (a, b) => a.or(b),
                };
                *first = Area::new(
                    id.clone(),
                    first.name.clone(),
                    MultiPolygon(polygons),
                    population,
                );
                first.identity = identity;
                joined += 1;
                problems.extend(c.late);
                notes.extend(c.notes);
                continue;
            }
        }
        if let Some(id) = &c.id {
            if let Some(first) = seen.insert(id.clone(), feature.index) {
                repeated = true;
                problems.push(c.site.problem(
                    ProblemKind::DuplicateId,
                    format!(
                        "id {id:?} is also used by feature #{first}; ids must be unique in a layer"
                    ),
                ));
            }
        }
        problems.extend(c.late);
        notes.extend(c.notes);
        if let (Some(area), false) = (c.area, repeated) {
            position.insert(area.id.clone(), areas.len());
            areas.push(area);
        }
    }
    if joined > 0 {
        notes.push(format!(
            "layer {}: {joined} features repeating an id joined to the place they are pieces of ({} places)",
            spec.id,
            areas.len()
        ));
    }
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

/// One feature checked on its own: its problems before and after the
/// repeated-id check (so the report keeps its order), repair notes, and
/// its area when it had no problem.
struct CheckedFeature {
    site: Site,
    id: Option<String>,
    early: Vec<Problem>,
    late: Vec<Problem>,
    notes: Vec<String>,
    area: Option<Area>,
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
