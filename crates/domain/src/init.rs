//! `feedmap init`: a region folder made from a force's own downloads.
//!
//! Given the police neighbourhoods (a data.police.uk KML folder or
//! GeoJSON), community layers, a population layer with a census table,
//! and optionally the ONS Postcode Directory and a feed list, it inspects
//! each file ([`feedmap_geography::inspect`]), takes the obvious choices
//! (the id and name properties, the census table's shape and columns, the
//! coordinate system) and stops with the candidates where there is no
//! obvious one, naming the `--set LAYER.KEY=VALUE` that decides it. Every
//! choice is also a setting, so it runs unattended.
//!
//! National files (the whole-UK ONSPD, national ward or output area
//! files, a national census table) are clipped to the neighbourhoods'
//! extent, so the region holds only the force's areas. The folder is
//! built beside its destination and validated there; only a region that
//! loads whole is moved into place, so a failed `init` leaves nothing
//! behind. It ends with the readiness report ([`crate::readiness`]).

use crate::readiness::{self, Readiness};
use crate::source::Source;
use feedmap_geography::census::{self, CensusSpec};
use feedmap_geography::crs::Crs;
use feedmap_geography::inspect::{self, Inspection, Pick};
use feedmap_geography::manifest::TableShape;
use feedmap_geography::validate::{quoted, ProblemKind};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A boundary file given to `init`, with the layer id to give it (`None`:
/// from the file's name).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerInput {
    /// Layer id, `[a-z0-9_-]+`.
    pub id: Option<String>,
    /// GeoJSON file, KML file, or folder of KML files.
    pub path: PathBuf,
}

impl LayerInput {
    /// `ID=PATH` or `PATH`.
    pub fn parse(arg: &str) -> LayerInput {
        match arg.split_once('=') {
            Some((id, path))
                if !id.is_empty()
                    && id.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'
                    }) =>
            {
                LayerInput {
                    id: Some(id.to_string()),
                    path: PathBuf::from(path),
                }
            }
            _ => LayerInput {
                id: None,
                path: PathBuf::from(arg),
            },
        }
    }
}

/// A choice given as `LAYER.KEY=VALUE` (any layer key of region.toml:
/// `id_property`, `name_property`, `population_table`,
/// `population_id_column`, `population_column`,
/// `population_category_column`, `population_category`, `crs`).
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// The layer id.
    pub layer: String,
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// The layer keys `--set` may give.
pub const SETTING_KEYS: &[&str] = &[
    "id_property",
    "name_property",
    "population_table",
    "population_id_column",
    "population_column",
    "population_category_column",
    "population_category",
    "crs",
];

impl std::str::FromStr for Setting {
    type Err = String;

    fn from_str(s: &str) -> Result<Setting, String> {
        let (lhs, value) = s
            .split_once('=')
            .ok_or_else(|| format!("{s:?} is not LAYER.KEY=VALUE"))?;
        let (layer, key) = lhs
            .split_once('.')
            .ok_or_else(|| format!("{s:?} is not LAYER.KEY=VALUE"))?;
        if !SETTING_KEYS.contains(&key) {
            return Err(format!(
                "{key:?} is not a layer setting; one of: {}",
                SETTING_KEYS.join(", ")
            ));
        }
        Ok(Setting {
            layer: layer.to_string(),
            key: key.to_string(),
            value: value.to_string(),
        })
    }
}

/// What to build a region from.
#[derive(Debug, Clone, Default)]
pub struct InitRequest {
    /// The region folder to create (must not exist, or be empty).
    pub dir: PathBuf,
    /// The region's name (default: the folder's).
    pub name: Option<String>,
    /// The police neighbourhoods.
    pub neighbourhoods: Option<LayerInput>,
    /// Community layers (wards, parishes, localities, …).
    pub communities: Vec<LayerInput>,
    /// Context layers, looked up but not planned (LSOAs, MSOAs, …).
    pub context: Vec<LayerInput>,
    /// The small areas a census table gives residents to (OAs, LSOAs).
    pub population: Option<LayerInput>,
    /// The census table (CSV as ONS or Nomis publish it).
    pub census: Option<PathBuf>,
    /// A postcode directory (ONSPD CSV, national or not).
    pub postcodes: Option<PathBuf>,
    /// The force's feed list (CSV).
    pub feeds: Option<PathBuf>,
    /// Choices, `LAYER.KEY=VALUE`.
    pub settings: Vec<Setting>,
}

/// Why `init` stopped. Nothing is left behind.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// No neighbourhoods given.
    #[error("give the police neighbourhoods: --neighbourhoods FILE (a data.police.uk KML folder or GeoJSON)")]
    NoNeighbourhoods,
    /// The folder holds something already.
    #[error("{} already holds files: init writes a new region folder, never over one (choose another folder, or remove it)", .0.display())]
    Exists(PathBuf),
    /// A census table without a population layer, or the other way round.
    #[error("{0}")]
    Pairing(&'static str),
    /// A setting names no layer.
    #[error("--set {layer}.{key}: there is no layer {layer:?} (layers: {known})")]
    UnknownLayer {
        /// The layer named.
        layer: String,
        /// Its key.
        key: String,
        /// The layers there are.
        known: String,
    },
    /// A file could not be read as boundaries.
    #[error("{}: {reason}", file.display())]
    Unreadable {
        /// The file.
        file: PathBuf,
        /// Why.
        reason: String,
    },
    /// A choice only a person can make.
    #[error("{}: choose the {what} of layer {layer:?} with --set {layer}.{key}=PROPERTY; candidates: {candidates}", file.display())]
    Choose {
        /// The file.
        file: PathBuf,
        /// The layer.
        layer: String,
        /// `area id` or `name`.
        what: &'static str,
        /// The setting.
        key: &'static str,
        /// The candidates with examples.
        candidates: String,
    },
    /// The census table cannot be read as residents by area.
    #[error("census table {}:\n{}", file.display(), problems.join("\n"))]
    Census {
        /// The table.
        file: PathBuf,
        /// What is wrong (grouped).
        problems: Vec<String>,
    },
    /// The table's ids are not the layer's.
    #[error("census table {}: only {matched} of its {rows} area ids are areas of layer {layer:?} ({areas} areas, ids such as {example}); is it the table for these areas? (its id column is chosen with --set {layer}.population_id_column=COLUMN)", file.display())]
    CensusIds {
        /// The table.
        file: PathBuf,
        /// The layer.
        layer: String,
        /// Ids matched.
        matched: usize,
        /// Ids in the table.
        rows: usize,
        /// Areas in the layer.
        areas: usize,
        /// An id of the layer.
        example: String,
    },
    /// The postcode directory lacks a column.
    #[error("postcode directory {}: {reason}", file.display())]
    Postcodes {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The region written does not load.
    #[error("the region does not validate (nothing was written):\n{0}")]
    Invalid(String),
    /// Reading or writing a file failed.
    #[error("{what}: {source}")]
    Io {
        /// What, on which file.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> InitError {
    let what = what.into();
    move |source| InitError::Io { what, source }
}

/// What `init` made.
#[derive(Debug)]
pub struct Initialised {
    /// The region folder.
    pub dir: PathBuf,
    /// The manifest written.
    pub manifest: String,
    /// What it can do.
    pub readiness: Readiness,
}

/// One layer as it goes into the manifest.
struct Planned {
    id: String,
    role: &'static str,
    /// The file name inside the region folder.
    file: String,
    comment: String,
    keys: Vec<(String, String)>,
}

/// A lowercase layer id from a file name: the usual words (ward, lsoa, …)
/// where it has one; else `neighbourhoods` for the neighbourhoods (a
/// data.police.uk folder is named after its force), else the name's
/// letters and digits.
fn layer_id(path: &Path, role: &str, taken: &HashSet<String>) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let known = [
        ("neighbourhood", "neighbourhoods"),
        ("localit", "localities"),
        ("ward", "wards"),
        ("parish", "parishes"),
        ("polling", "polling_districts"),
        ("msoa", "msoas"),
        ("lsoa", "lsoas"),
        ("built", "built_up_areas"),
        ("oa", "oas"),
        ("output", "oas"),
    ];
    let words: Vec<&str> = stem
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let base = known
        .iter()
        .find(|(k, _)| {
            words.iter().any(|w| {
                if *k == "oa" {
                    *w == "oa" || *w == "oas"
                } else {
                    w.starts_with(k)
                }
            })
        })
        .map(|(_, id)| id.to_string())
        .or_else(|| (role == "neighbourhood").then(|| "neighbourhoods".to_string()))
        .unwrap_or_else(|| {
            let s: String = words.join("_").chars().take(30).collect();
            if s.is_empty() {
                "layer".into()
            } else {
                s
            }
        });
    let mut id = base.clone();
    let mut n = 2;
    while taken.contains(&id) {
        id = format!("{base}_{n}");
        n += 1;
    }
    id
}

/// The candidates of an ambiguous choice, each with examples.
fn candidates(ins: &Inspection, names: &[String]) -> String {
    names
        .iter()
        .map(|n| match ins.property(n) {
            Some(p) => format!(
                "{n} (e.g. {})",
                p.examples
                    .iter()
                    .map(|e| quoted(e))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => n.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Examples of a property's values, for the report.
fn examples(ins: &Inspection, name: &str) -> String {
    ins.property(name)
        .map(|p| {
            p.examples
                .iter()
                .take(2)
                .map(|e| quoted(e))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// The settings given for `layer`.
fn setting<'a>(req: &'a InitRequest, layer: &str, key: &str) -> Option<&'a str> {
    req.settings
        .iter()
        .rev()
        .find(|s| s.layer == layer && s.key == key)
        .map(|s| s.value.as_str())
}

/// A margin around the neighbourhoods when clipping, in degrees (about
/// 2 km): areas and postcodes just over the edge stay.
const CLIP_MARGIN_DEG: f64 = 0.03;

/// Whether a lon/lat box meets the extent.
fn meets(b: [f64; 4], extent: [f64; 4]) -> bool {
    b[0] <= extent[2] && b[2] >= extent[0] && b[1] <= extent[3] && b[3] >= extent[1]
}

/// Builds the region folder `req.dir`; what it does goes to `out` as it
/// goes, ending with the readiness report.
pub fn init(req: &InitRequest, out: &mut dyn Write) -> Result<Initialised, InitError> {
    let hoods = req
        .neighbourhoods
        .as_ref()
        .ok_or(InitError::NoNeighbourhoods)?;
    if req.census.is_some() != req.population.is_some() {
        return Err(InitError::Pairing(
            "a census table and its areas go together: give --population FILE (the output areas or LSOAs the table counts) with --census TABLE",
        ));
    }
    if std::fs::read_dir(&req.dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(InitError::Exists(req.dir.clone()));
    }
    let parent = req
        .dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    std::fs::create_dir_all(&parent).map_err(io(format!("creating {}", parent.display())))?;
    let work = tempfile::Builder::new()
        .prefix(".feedmap-init-")
        .tempdir_in(&parent)
        .map_err(io(format!("creating a folder in {}", parent.display())))?;
    let (made, source) = build(req, hoods, work.path(), out)?;
    // Validated: move into place (the folder may exist, empty).
    let _ = std::fs::remove_dir(&req.dir);
    let work = work.keep();
    std::fs::rename(&work, &req.dir)
        .map_err(io(format!("moving the region into {}", req.dir.display())))?;
    let readiness = readiness::of(&source);
    writeln!(out, "\nWrote {}/region.toml", req.dir.display()).map_err(io("writing the report"))?;
    write!(out, "{readiness}").map_err(io("writing the report"))?;
    Ok(Initialised {
        dir: req.dir.clone(),
        manifest: made,
        readiness,
    })
}

/// Writes the region into `work` and validates it; the manifest and the
/// region loaded.
fn build(
    req: &InitRequest,
    hoods: &LayerInput,
    work: &Path,
    out: &mut dyn Write,
) -> Result<(String, Source), InitError> {
    let say = |out: &mut dyn Write, line: String| {
        writeln!(out, "{line}").map_err(io("writing the report"))
    };
    let mut taken = HashSet::new();
    let mut inputs: Vec<(&LayerInput, &'static str)> = vec![(hoods, "neighbourhood")];
    inputs.extend(req.communities.iter().map(|l| (l, "community")));
    inputs.extend(req.context.iter().map(|l| (l, "context")));
    if let Some(p) = &req.population {
        inputs.push((p, "population"));
    }
    let ids: Vec<String> = inputs
        .iter()
        .map(|(l, role)| {
            let id =
                l.id.clone()
                    .unwrap_or_else(|| layer_id(&l.path, role, &taken));
            taken.insert(id.clone());
            id
        })
        .collect();
    for s in &req.settings {
        if !ids.contains(&s.layer) {
            return Err(InitError::UnknownLayer {
                layer: s.layer.clone(),
                key: s.key.clone(),
                known: ids.join(", "),
            });
        }
    }
    let mut extent: Option<[f64; 4]> = None;
    let mut planned = Vec::new();
    let mut population_ids: Option<(String, HashSet<String>)> = None;
    for ((input, role), id) in inputs.iter().zip(&ids) {
        tracing::info!(layer = %id, file = %input.path.display(), "inspecting");
        let (ins, raw) = inspect::inspect(&input.path);
        if ins.features == 0 {
            return Err(InitError::Unreadable {
                file: input.path.clone(),
                reason: ins
                    .problems
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "no features".into()),
            });
        }
        let id_pick = match setting(req, id, "id_property") {
            Some(p) => Pick::Property(p.to_string()),
            None => ins.id.clone(),
        };
        let name_pick = match setting(req, id, "name_property") {
            Some(p) => Pick::Property(p.to_string()),
            None => ins.name.clone(),
        };
        let id_property = match &id_pick {
            Pick::Property(p) => Some(p.clone()),
            Pick::Default => None,
            Pick::Ambiguous(c) => {
                return Err(InitError::Choose {
                    file: input.path.clone(),
                    layer: id.clone(),
                    what: "area id",
                    key: "id_property",
                    candidates: candidates(&ins, c),
                })
            }
            Pick::Nothing => {
                let all: Vec<String> = ins.properties.iter().map(|p| p.name.clone()).collect();
                return Err(InitError::Choose {
                    file: input.path.clone(),
                    layer: id.clone(),
                    what: "area id (no property has a different value on every feature)",
                    key: "id_property",
                    candidates: candidates(&ins, &all),
                });
            }
        };
        let name_property = match &name_pick {
            Pick::Property(p) => Some(p.clone()),
            Pick::Default => None,
            // A layer of codes only (output areas): named by its ids.
            Pick::Nothing => id_property.clone(),
            Pick::Ambiguous(c) => {
                return Err(InitError::Choose {
                    file: input.path.clone(),
                    layer: id.clone(),
                    what: "name",
                    key: "name_property",
                    candidates: candidates(&ins, c),
                })
            }
        };
        let ids_read: Vec<String> = ins.ids(&raw, &id_pick);
        // Clip what reaches beyond the neighbourhoods (a national file).
        let Placed {
            file,
            kept,
            clipped,
        } = place_file(&input.path, &ins, &id_pick, id, role, extent, work)?;
        if *role == "neighbourhood" {
            extent = ins.extent.map(|e| {
                [
                    e[0] - CLIP_MARGIN_DEG,
                    e[1] - CLIP_MARGIN_DEG,
                    e[2] + CLIP_MARGIN_DEG,
                    e[3] + CLIP_MARGIN_DEG,
                ]
            });
        }
        let kept_ids: HashSet<String> = kept.unwrap_or_else(|| ids_read.into_iter().collect());
        let mut comment = format!(
            "{}: {}, {}{}, {} areas",
            input.path.display(),
            ins.format,
            ins.crs.name(),
            if ins.crs_declared {
                ""
            } else {
                " (told by its coordinates)"
            },
            kept_ids.len(),
        );
        if let Some(n) = clipped {
            comment.push_str(&format!(
                " (clipped from {n} to those within about 2 km of the neighbourhoods)"
            ));
        }
        let describe = |what: &str, p: &Option<String>, default: &str| match p {
            Some(p) => format!("{what} from property {p:?} (e.g. {})", examples(&ins, p)),
            None => format!("{what} from {default}"),
        };
        let default_id = if matches!(ins.format, inspect::Format::GeoJson) {
            "the feature id"
        } else {
            "the placemark name"
        };
        comment.push_str(&format!(
            "; {}; {}",
            describe("id", &id_property, default_id),
            describe("name", &name_property, "the placemark name")
        ));
        if let Some(p) = &ins.population {
            comment.push_str(&format!("; residents from property {p:?}"));
        }
        say(out, format!("{role:<14} {id}: {comment}"))?;
        let mut keys = Vec::new();
        if let Some(p) = &id_property {
            keys.push(("id_property".to_string(), p.clone()));
        }
        if let Some(p) = &name_property {
            keys.push(("name_property".to_string(), p.clone()));
        }
        if let Some(p) = &ins.population {
            keys.push(("population_property".into(), p.clone()));
        }
        if let Some(c) = setting(req, id, "crs") {
            keys.push(("crs".into(), c.to_string()));
        } else if !ins.crs_declared && ins.crs == Crs::BritishNationalGrid {
            keys.push(("crs".into(), "EPSG:27700".into()));
        }
        if *role == "population" {
            population_ids = Some((id.clone(), kept_ids));
        }
        planned.push(Planned {
            id: id.clone(),
            role,
            file,
            comment,
            keys,
        });
    }
    let extent = extent.expect("the neighbourhoods were read");
    let mut census_comment = None;
    if let (Some(table), Some((layer, ids))) = (&req.census, &population_ids) {
        let (keys, comment) = census_table(req, table, layer, ids, work)?;
        say(out, format!("{:<14} {layer}: {comment}", "census"))?;
        census_comment = Some(comment);
        if let Some(p) = planned.iter_mut().find(|p| &p.id == layer) {
            p.keys.extend(keys);
        }
    }
    let postcodes = match &req.postcodes {
        Some(file) => {
            let (kept, read) = clip_postcodes(file, extent, &work.join("postcodes.csv"))?;
            let line = format!(
                "{}: {kept} of {read} postcodes within about 2 km of the neighbourhoods",
                file.display()
            );
            say(out, format!("{:<14} {line}", "postcodes"))?;
            Some(line)
        }
        None => None,
    };
    let feeds = match &req.feeds {
        Some(file) => {
            std::fs::copy(file, work.join("feeds.csv"))
                .map_err(io(format!("copying {}", file.display())))?;
            say(out, format!("{:<14} {}", "feeds", file.display()))?;
            true
        }
        None => false,
    };
    let name = req.name.clone().unwrap_or_else(|| {
        req.dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "Region".into())
    });
    let manifest = manifest(
        &name,
        &planned,
        census_comment.as_deref(),
        postcodes.as_deref(),
        feeds,
    );
    std::fs::write(work.join("region.toml"), &manifest).map_err(io("writing region.toml"))?;
    tracing::info!("validating");
    let source = Source::load(work).map_err(|e| {
        // Problems name the files as the region will hold them.
        let text = e
            .to_string()
            .replace(&work.display().to_string(), &req.dir.display().to_string());
        InitError::Invalid(format!(
            "{text}\nA choice init made can be given instead with --set LAYER.KEY=VALUE (layers: {}; keys: {}).",
            ids.join(", "),
            SETTING_KEYS.join(", ")
        ))
    })?;
    Ok((manifest, source))
}

/// A layer's file as placed in the region folder.
struct Placed {
    /// Its name there.
    file: String,
    /// The ids of the areas kept, when clipped.
    kept: Option<HashSet<String>>,
    /// How many areas the file had, when clipped.
    clipped: Option<usize>,
}

/// Puts a layer's file into the region folder: a KML folder or file as it
/// is; a GeoJSON file clipped to `extent` when some of its features lie
/// beyond it. Returns the name inside the folder, the ids of the areas
/// kept when clipped (by `id_pick`), and how many there were.
fn place_file(
    path: &Path,
    ins: &Inspection,
    id_pick: &Pick,
    id: &str,
    role: &str,
    extent: Option<[f64; 4]>,
    work: &Path,
) -> Result<Placed, InitError> {
    match ins.format {
        inspect::Format::KmlFolder(_) => {
            let to = work.join(id);
            std::fs::create_dir_all(&to).map_err(io(format!("creating {}", to.display())))?;
            for e in std::fs::read_dir(path).map_err(io(format!("reading {}", path.display())))? {
                let e = e.map_err(io(format!("reading {}", path.display())))?;
                if e.path()
                    .extension()
                    .is_some_and(|x| x.eq_ignore_ascii_case("kml"))
                {
                    std::fs::copy(e.path(), to.join(e.file_name()))
                        .map_err(io(format!("copying {}", e.path().display())))?;
                }
            }
            Ok(Placed {
                file: id.to_string(),
                kept: None,
                clipped: None,
            })
        }
        inspect::Format::Kml => {
            let name = format!("{id}.kml");
            std::fs::copy(path, work.join(&name))
                .map_err(io(format!("copying {}", path.display())))?;
            Ok(Placed {
                file: name,
                kept: None,
                clipped: None,
            })
        }
        inspect::Format::GeoJson => {
            let name = format!("{id}.geojson");
            let beyond = role != "neighbourhood"
                && extent.is_some_and(|x| {
                    ins.extent.is_some_and(|e| {
                        !(e[0] >= x[0] && e[1] >= x[1] && e[2] <= x[2] && e[3] <= x[3])
                    })
                });
            if !beyond {
                std::fs::copy(path, work.join(&name))
                    .map_err(io(format!("copying {}", path.display())))?;
                return Ok(Placed {
                    file: name,
                    kept: None,
                    clipped: None,
                });
            }
            let extent = extent.expect("checked");
            let text = std::fs::read(path).map_err(io(format!("reading {}", path.display())))?;
            let mut doc: serde_json::Value =
                serde_json::from_slice(&text).map_err(|e| InitError::Unreadable {
                    file: path.to_path_buf(),
                    reason: e.to_string(),
                })?;
            let features = doc
                .get_mut("features")
                .and_then(|f| f.as_array_mut())
                .map(std::mem::take)
                .unwrap_or_default();
            let total = features.len();
            let mut kept = HashSet::new();
            let mut keep = Vec::new();
            for f in features {
                let b = f
                    .get("geometry")
                    .and_then(|g| g.get("coordinates"))
                    .and_then(bounds);
                let b = b.map(|b| {
                    let (w, s) = ins.crs.to_wgs84(b[0], b[1]);
                    let (e, n) = ins.crs.to_wgs84(b[2], b[3]);
                    [w.min(e), s.min(n), w.max(e), s.max(n)]
                });
                // A feature without geometry is kept: validation names it.
                if b.is_none_or(|b| meets(b, extent)) {
                    let key = match id_pick {
                        Pick::Property(p) => f.get("properties").and_then(|q| q.get(p)),
                        _ => f.get("id"),
                    };
                    if let Some(k) = key.and_then(inspect::text) {
                        kept.insert(k);
                    }
                    keep.push(f);
                }
            }
            doc["features"] = serde_json::Value::Array(keep);
            let file =
                std::fs::File::create(work.join(&name)).map_err(io(format!("writing {name}")))?;
            serde_json::to_writer(std::io::BufWriter::new(file), &doc).map_err(|e| {
                InitError::Io {
                    what: format!("writing {name}"),
                    source: e.into(),
                }
            })?;
            Ok(Placed {
                file: name,
                kept: Some(kept),
                clipped: Some(total),
            })
        }
    }
}

/// The bounding box of a GeoJSON `coordinates` value, in its own units.
fn bounds(v: &serde_json::Value) -> Option<[f64; 4]> {
    fn walk(v: &serde_json::Value, b: &mut Option<[f64; 4]>) {
        let Some(a) = v.as_array() else { return };
        if let (Some(x), Some(y)) = (
            a.first().and_then(|x| x.as_f64()),
            a.get(1).and_then(|y| y.as_f64()),
        ) {
            let bb = b.get_or_insert([x, y, x, y]);
            bb[0] = bb[0].min(x);
            bb[1] = bb[1].min(y);
            bb[2] = bb[2].max(x);
            bb[3] = bb[3].max(y);
            return;
        }
        for c in a {
            walk(c, b);
        }
    }
    let mut b = None;
    walk(v, &mut b);
    b
}

/// Reads the census table as a wide table, then, when it repeats area ids,
/// as a long one (one row per area and category, added up); checks its
/// ids are the layer's; copies the rows of the layer's areas into the
/// region. Returns the layer keys and a line for the report.
fn census_table(
    req: &InitRequest,
    table: &Path,
    layer: &str,
    ids: &HashSet<String>,
    work: &Path,
) -> Result<(Vec<(String, String)>, String), InitError> {
    let given = |k: &str| setting(req, layer, k).map(str::to_string);
    let mut spec = CensusSpec {
        layer: layer.to_string(),
        id_column: given("population_id_column"),
        count_column: given("population_column"),
        shape: match given("population_table").as_deref() {
            Some("long") => TableShape::Long,
            _ => TableShape::Wide,
        },
        category_column: given("population_category_column"),
        category: given("population_category"),
    };
    if spec.category.is_some() {
        spec.shape = TableShape::Long;
    }
    let shape_given = given("population_table").is_some() || spec.category.is_some();
    let mut problems = Vec::new();
    let mut read = census::read(table, &spec, &mut problems);
    if !shape_given && problems.iter().any(|p| p.kind == ProblemKind::DuplicateId) {
        spec.shape = TableShape::Long;
        problems.clear();
        read = census::read(table, &spec, &mut problems);
    }
    if !problems.is_empty() {
        return Err(InitError::Census {
            file: table.to_path_buf(),
            problems: feedmap_geography::validate::grouped(&problems),
        });
    }
    let matched = read.keys().filter(|k| ids.contains(*k)).count();
    if matched * 2 < ids.len().min(read.len()).max(1) {
        return Err(InitError::CensusIds {
            file: table.to_path_buf(),
            layer: layer.to_string(),
            matched,
            rows: read.len(),
            areas: ids.len(),
            example: ids.iter().next().cloned().unwrap_or_default(),
        });
    }
    let residents: f64 = read
        .iter()
        .filter(|(k, _)| ids.contains(*k))
        .map(|(_, v)| v)
        .sum();
    // Only the rows of the region's areas go into the region.
    let id_column = census::id_column(table, &spec);
    let name = format!("{layer}_census.csv");
    let kept_rows = copy_rows(table, &work.join(&name), |row| {
        id_column.is_none_or(|c| row.get(c).is_some_and(|v| ids.contains(v.trim())))
    })?;
    let mut keys = vec![("population_file".to_string(), name)];
    if spec.shape == TableShape::Long {
        keys.push(("population_table".into(), "long".into()));
    }
    for (k, v) in [
        ("population_id_column", &spec.id_column),
        ("population_column", &spec.count_column),
        ("population_category_column", &spec.category_column),
        ("population_category", &spec.category),
    ] {
        if let Some(v) = v {
            keys.push((k.to_string(), v.clone()));
        }
    }
    let comment = format!(
        "{}: a {} table, {} residents in {matched} of the {} areas ({kept_rows} rows kept){}",
        table.display(),
        if spec.shape == TableShape::Long {
            "long (one row per area and category, an area's rows added up)"
        } else {
            "wide (one row per area)"
        },
        crate::plan::explain::thousands(residents),
        ids.len(),
        if matched < ids.len() {
            format!(
                "; {} areas have no row and count no residents",
                ids.len() - matched
            )
        } else {
            String::new()
        }
    );
    Ok((keys, comment))
}

/// Copies the header and the rows `keep` accepts from one CSV file to
/// another; the rows kept.
fn copy_rows(
    from: &Path,
    to: &Path,
    keep: impl Fn(&csv::StringRecord) -> bool,
) -> Result<usize, InitError> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(from)
        .map_err(|e| InitError::Unreadable {
            file: from.to_path_buf(),
            reason: e.to_string(),
        })?;
    let mut w = csv::Writer::from_path(to).map_err(|e| InitError::Io {
        what: format!("writing {}", to.display()),
        source: std::io::Error::other(e),
    })?;
    let csv_io = |e: csv::Error| InitError::Io {
        what: format!("copying {}", from.display()),
        source: std::io::Error::other(e),
    };
    w.write_record(r.headers().map_err(csv_io)?)
        .map_err(csv_io)?;
    let mut n = 0;
    for row in r.records() {
        let row = row.map_err(csv_io)?;
        if keep(&row) {
            w.write_record(&row).map_err(csv_io)?;
            n += 1;
        }
    }
    w.flush().map_err(io(format!("writing {}", to.display())))?;
    Ok(n)
}

/// Keeps the postcodes of a directory (ONSPD or any CSV with a postcode,
/// a latitude and a longitude column) that lie within `extent`, writing
/// `postcode,lat,lon,terminated`. Streams: a national file (2.7 million
/// rows) never sits in memory. Returns (kept, read).
pub fn clip_postcodes(
    file: &Path,
    extent: [f64; 4],
    to: &Path,
) -> Result<(usize, usize), InitError> {
    let bad = |reason: String| InitError::Postcodes {
        file: file.to_path_buf(),
        reason,
    };
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let reader = std::fs::File::open(file).map_err(|e| bad(e.to_string()))?;
    let bar = feedmap_geography::progress::bar(size as usize, "clipping postcodes");
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(bar.wrap_read(reader));
    let headers = r.headers().map_err(|e| bad(e.to_string()))?.clone();
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let postcode = find(&["pcds", "postcode", "pcd", "pcd2", "pcd7", "pcd8"]).ok_or_else(|| {
        bad(format!(
            "no postcode column (pcds, postcode, pcd); its columns: {}",
            header_list(&headers)
        ))
    })?;
    let lat = find(&["lat", "latitude"]).ok_or_else(|| {
        bad(format!(
            "no latitude column (lat, latitude); its columns: {}",
            header_list(&headers)
        ))
    })?;
    let lon = find(&["long", "lon", "longitude", "lng"]).ok_or_else(|| {
        bad(format!(
            "no longitude column (long, lon, longitude); its columns: {}",
            header_list(&headers)
        ))
    })?;
    let doterm = find(&["doterm", "terminated"]);
    let mut w = csv::WriterBuilder::new()
        .buffer_capacity(1 << 20)
        .from_path(to)
        .map_err(|e| bad(e.to_string()))?;
    w.write_record(["postcode", "lat", "lon", "terminated"])
        .map_err(|e| bad(e.to_string()))?;
    let (mut kept, mut read) = (0, 0);
    let mut row = csv::ByteRecord::new();
    while r
        .read_byte_record(&mut row)
        .map_err(|e| bad(e.to_string()))?
    {
        read += 1;
        let num = |i: usize| {
            row.get(i)
                .and_then(|b| std::str::from_utf8(b).ok())
                .and_then(|s| s.trim().parse::<f64>().ok())
        };
        let (Some(y), Some(x)) = (num(lat), num(lon)) else {
            continue;
        };
        if x < extent[0] || x > extent[2] || y < extent[1] || y > extent[3] {
            continue;
        }
        let field = |i: Option<usize>| i.and_then(|i| row.get(i)).unwrap_or(b"");
        w.write_record([
            field(Some(postcode)),
            field(Some(lat)),
            field(Some(lon)),
            field(doterm),
        ])
        .map_err(|e| bad(e.to_string()))?;
        kept += 1;
    }
    bar.finish_and_clear();
    w.flush().map_err(|e| bad(e.to_string()))?;
    Ok((kept, read))
}

fn header_list(h: &csv::StringRecord) -> String {
    h.iter().take(12).collect::<Vec<_>>().join(", ")
}

/// A TOML string.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The commented manifest.
fn manifest(
    name: &str,
    layers: &[Planned],
    census: Option<&str>,
    postcodes: Option<&str>,
    feeds: bool,
) -> String {
    let mut m = String::new();
    m.push_str("# A feedmap region, written by `feedmap init` from a force's own files.\n");
    m.push_str("# Every key is explained in the book: Planners > Your force's data.\n\n");
    m.push_str(&format!("name = {}\n", toml_str(name)));
    m.push_str(&format!(
        "attribution = {}\n",
        toml_str("Contains public sector information licensed under the Open Government Licence v3.0: ONS and OS boundaries © Crown copyright and database right; police neighbourhoods from data.police.uk")
    ));
    for l in layers {
        m.push_str(&format!("\n# {}\n[[layers]]\n", l.comment));
        m.push_str(&format!(
            "id = {}\nrole = {}\nfile = {}\n",
            toml_str(&l.id),
            toml_str(l.role),
            toml_str(&l.file)
        ));
        for (k, v) in &l.keys {
            if k == "population_file" {
                if let Some(c) = census {
                    m.push_str(&format!("# census table {c}\n"));
                }
            }
            m.push_str(&format!("{k} = {}\n", toml_str(v)));
        }
    }
    match postcodes {
        Some(p) => m.push_str(&format!(
            "\n# {p}\n[postcodes]\nfile = \"postcodes.csv\"\npostcode_column = \"postcode\"\nlat_column = \"lat\"\nlon_column = \"lon\"\nterminated_column = \"terminated\"\n"
        )),
        None => m.push_str(&format!(
            "\n# No postcode directory: lookups by postcode are off. Get {}.\n",
            readiness::sources::POSTCODES
        )),
    }
    if feeds {
        m.push_str("\n# The force's accounts.\n[feeds]\nfile = \"feeds.csv\"\n");
    } else {
        m.push_str(&format!(
            "\n# No feed list: lookups answer with areas only. Add {},\n# as:\n# [feeds]\n# file = \"feeds.csv\"\n",
            readiness::sources::FEEDS
        ));
    }
    m
}
