//! What a boundary file holds, as a force's analyst downloads it: its
//! format, coordinate system, extent and feature count, and which of its
//! properties can serve as the area id and the display name, with
//! examples. `feedmap init` reads files with this before it writes a
//! manifest, takes the obvious choices itself and asks where there is no
//! obvious one.
//!
//! A property is an **id candidate** when every feature has it and no two
//! share a value (numbers with a fraction never are: they are measures).
//! ONS codes (`E05015239`) rank first, then properties whose name says
//! code (`…CD`, `…code`), then ids (`…id`), then any other. A **name
//! candidate** is text that is not a code, present on nearly every
//! feature and mostly distinct; properties named as names (`…NM`,
//! `…name`) rank first and Welsh ones (`…NMW`) after them.

use crate::census::is_gss_code;
use crate::crs::Crs;
use crate::import::{read_layer, RawGeometry, RawLayer};
use serde_json::Value;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The kind of boundary file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A GeoJSON file.
    GeoJson,
    /// One KML file.
    Kml,
    /// A folder of KML files (data.police.uk's neighbourhoods), with how
    /// many.
    KmlFolder(usize),
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Format::GeoJson => f.write_str("GeoJSON"),
            Format::Kml => f.write_str("KML"),
            Format::KmlFolder(n) => write!(f, "a folder of {n} KML files"),
        }
    }
}

/// One property's values across a file's features.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// The property name.
    pub name: String,
    /// Features that have a non-empty value.
    pub filled: usize,
    /// Distinct values.
    pub distinct: usize,
    /// Share of values that are ONS codes.
    pub codes: f64,
    /// Whether every value is a number.
    pub numeric: bool,
    /// Whether some value is a number with a fraction (a measure).
    pub fractional: bool,
    /// Up to three values.
    pub examples: Vec<String>,
}

/// Which property gives the id (or name).
#[derive(Debug, Clone, PartialEq)]
pub enum Pick {
    /// The format's own: the GeoJSON feature `id`, the KML placemark name.
    Default,
    /// This property.
    Property(String),
    /// Several properties would do equally well: a person must choose.
    Ambiguous(Vec<String>),
    /// None would do.
    Nothing,
}

/// What a boundary file holds.
#[derive(Debug)]
pub struct Inspection {
    /// The file (or folder).
    pub path: PathBuf,
    /// Its kind.
    pub format: Format,
    /// Its coordinate system: declared, or told by its coordinates.
    pub crs: Crs,
    /// Whether the file declares it.
    pub crs_declared: bool,
    /// Features read.
    pub features: usize,
    /// Features with polygon geometry.
    pub polygons: usize,
    /// Problems met reading it, as sentences.
    pub problems: Vec<String>,
    /// Longitude/latitude extent `[west, south, east, north]`.
    pub extent: Option<[f64; 4]>,
    /// Every property, in the order first met.
    pub properties: Vec<Property>,
    /// The id choice.
    pub id: Pick,
    /// The name choice.
    pub name: Pick,
    /// A property giving each area's residents (`population`,
    /// `residents`, `usual_residents`, …), when every feature has a
    /// whole number there.
    pub population: Option<String>,
}

impl Inspection {
    /// The property called `name`.
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// The id choice for a layer whose features may be pieces of one
    /// place (a built-up areas file clipped to boroughs): of the
    /// properties holding an ONS code on every feature, repeats allowed,
    /// the one with the most distinct codes (the place's own code, not the
    /// borough's it was clipped to); else [`Inspection::id`].
    pub fn place_id(&self) -> Pick {
        self.properties
            .iter()
            .filter(|p| self.features > 0 && p.filled == self.features && p.codes == 1.0)
            .max_by_key(|p| (p.distinct, says(&p.name, &["cd", "code"])))
            .map_or_else(|| self.id.clone(), |p| Pick::Property(p.name.clone()))
    }

    /// The values of the chosen id (the format's own or a property) on
    /// every feature, as read: for matching a census table to the file.
    pub fn ids(&self, raw: &RawLayer, id: &Pick) -> Vec<String> {
        raw.features
            .iter()
            .filter_map(|f| match id {
                Pick::Property(p) => f.properties.get(p).and_then(text),
                _ => f
                    .fid
                    .as_ref()
                    .and_then(text)
                    .or_else(|| f.properties.get("name").and_then(text)),
            })
            .collect()
    }
}

/// A property value as text, as an area id is read (`None` when null or
/// empty).
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads `path` (GeoJSON, KML, or a folder of KML files) and describes it;
/// the raw features come back too, for a caller that goes on to use them.
pub fn inspect(path: &Path) -> (Inspection, RawLayer) {
    let raw = read_layer(path, "inspect");
    let format = if path.is_dir() {
        Format::KmlFolder(
            std::fs::read_dir(path)
                .map(|d| {
                    d.filter_map(Result::ok)
                        .filter(|e| {
                            e.path()
                                .extension()
                                .is_some_and(|x| x.eq_ignore_ascii_case("kml"))
                        })
                        .count()
                })
                .unwrap_or(0),
        )
    } else if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("kml"))
    {
        Format::Kml
    } else {
        Format::GeoJson
    };
    let mut bounds: Option<[f64; 4]> = None;
    let mut polygons = 0;
    for f in &raw.features {
        if let RawGeometry::Polygons(ps) = &f.geometry {
            polygons += 1;
            for [x, y] in ps.iter().flatten().flatten() {
                let b = bounds.get_or_insert([*x, *y, *x, *y]);
                b[0] = b[0].min(*x);
                b[1] = b[1].min(*y);
                b[2] = b[2].max(*x);
                b[3] = b[3].max(*y);
            }
        }
    }
    // An undeclared file whose coordinates are metres is on the British
    // National Grid (as ONS downloads in "BGC" shapes often are).
    let crs = raw.declared_crs.unwrap_or(match bounds {
        Some(b) if b[2].abs() > 180.0 || b[3].abs() > 90.0 => Crs::BritishNationalGrid,
        _ => Crs::Wgs84,
    });
    let extent = bounds.map(|b| {
        let (w, s) = crs.to_wgs84(b[0], b[1]);
        let (e, n) = crs.to_wgs84(b[2], b[3]);
        [w.min(e), s.min(n), w.max(e), s.max(n)]
    });
    let properties = properties(&raw);
    let n = raw.features.len();
    let fids: HashSet<String> = raw
        .features
        .iter()
        .filter_map(|f| f.fid.as_ref().and_then(text))
        .collect();
    let is_kml = !matches!(format, Format::GeoJson);
    let default_ok = if is_kml {
        let names: HashSet<String> = raw
            .features
            .iter()
            .filter_map(|f| f.properties.get("name").and_then(text))
            .collect();
        names.len() == n
    } else {
        fids.len() == n && n > 0
    };
    let id = pick_id(&properties, n, default_ok, is_kml);
    let name = pick_name(&properties, n, is_kml);
    let population = properties
        .iter()
        .find(|p| {
            let l = p.name.to_ascii_lowercase();
            p.numeric
                && !p.fractional
                && p.filled == n
                && (l == "pop" || l.contains("population") || l.contains("residents"))
        })
        .map(|p| p.name.clone());
    let inspection = Inspection {
        path: path.to_path_buf(),
        format,
        crs,
        crs_declared: raw.declared_crs.is_some(),
        features: n,
        polygons,
        problems: raw.problems.iter().map(|p| p.to_string()).collect(),
        extent,
        properties,
        id,
        name,
        population,
    };
    (inspection, raw)
}

/// Every property's statistics.
fn properties(raw: &RawLayer) -> Vec<Property> {
    let mut order: Vec<String> = Vec::new();
    for f in &raw.features {
        for k in f.properties.keys() {
            if !order.contains(k) {
                order.push(k.clone());
            }
        }
    }
    order
        .into_iter()
        .map(|name| {
            let mut seen = HashSet::new();
            let (mut filled, mut codes, mut numeric, mut fractional) = (0, 0, true, false);
            let mut examples = Vec::new();
            for f in &raw.features {
                let Some(v) = f.properties.get(&name) else {
                    continue;
                };
                let Some(t) = text(v) else { continue };
                filled += 1;
                if is_gss_code(&t) {
                    codes += 1;
                }
                match v {
                    Value::Number(x) => fractional |= x.as_f64().is_some_and(|x| x.fract() != 0.0),
                    _ => numeric = false,
                }
                if seen.insert(t.clone()) && examples.len() < 3 {
                    examples.push(t);
                }
            }
            Property {
                name,
                filled,
                distinct: seen.len(),
                codes: if filled > 0 {
                    codes as f64 / filled as f64
                } else {
                    0.0
                },
                numeric: numeric && filled > 0,
                fractional,
                examples,
            }
        })
        .collect()
}

/// How a property name reads, lowercased: as a code, an id, a name, a
/// Welsh name.
fn says(name: &str, endings: &[&str]) -> bool {
    let n = name.to_ascii_lowercase();
    endings.iter().any(|e| n.ends_with(e))
}

fn pick_id(props: &[Property], n: usize, default_ok: bool, is_kml: bool) -> Pick {
    let rank = |p: &Property| -> Option<u8> {
        if n == 0 || p.filled != n || p.distinct != n || p.fractional {
            return None;
        }
        Some(if p.codes == 1.0 {
            4
        } else if says(&p.name, &["cd", "code"]) {
            3
        } else if says(&p.name, &["id", "ref"]) && !p.numeric {
            2
        } else if p.numeric {
            0
        } else {
            1
        })
    };
    best(props, rank, |r| {
        // A format id beats a mere unique text or serial number.
        default_ok && (is_kml || r < 2)
    })
}

fn pick_name(props: &[Property], n: usize, is_kml: bool) -> Pick {
    // KML's own name, when every placemark has one (data.police.uk's
    // files often have none: then a property, else the id).
    if is_kml
        && props
            .iter()
            .any(|p| p.name == "name" && p.filled == n && n > 0)
    {
        return Pick::Default;
    }
    let rank = |p: &Property| -> Option<u8> {
        if n == 0 || p.numeric || p.codes > 0.5 || (p.filled as f64) < 0.9 * n as f64 {
            return None;
        }
        if (p.distinct as f64) < 0.5 * n as f64 {
            return None;
        }
        Some(if says(&p.name, &["nmw", "name_cy", "namew"]) {
            1
        } else if says(&p.name, &["nm", "name"]) {
            3
        } else {
            2
        })
    };
    best(props, rank, |_| false)
}

/// The best-ranked property; ties at the top are ambiguous, except that
/// among names the first in the file wins (ONS puts the English name
/// before others). `default_wins(rank)` says when the format's own beats
/// the best property.
fn best(
    props: &[Property],
    rank: impl Fn(&Property) -> Option<u8>,
    default_wins: impl Fn(u8) -> bool,
) -> Pick {
    let ranked: Vec<(u8, &Property)> = props
        .iter()
        .filter_map(|p| rank(p).map(|r| (r, p)))
        .collect();
    let Some(top) = ranked.iter().map(|(r, _)| *r).max() else {
        return if default_wins(0) {
            Pick::Default
        } else {
            Pick::Nothing
        };
    };
    if default_wins(top) {
        return Pick::Default;
    }
    let tied: Vec<String> = ranked
        .iter()
        .filter(|(r, _)| *r == top)
        .map(|(_, p)| p.name.clone())
        .collect();
    match tied.len() {
        1 => Pick::Property(tied[0].clone()),
        _ if top >= 3 => Pick::Property(tied[0].clone()),
        _ => Pick::Ambiguous(tied),
    }
}
