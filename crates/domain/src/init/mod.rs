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
//!
//! This module runs the steps; its parts, each using only those after
//! it: `census` reads the census table, `files` places (and clips)
//! boundary files, `postcodes` clips the postcode directory, `manifest`
//! writes `region.toml`, and `request` holds what init is asked and
//! answers.

mod census;
mod files;
mod manifest;
mod postcodes;
mod request;

pub use postcodes::clip_postcodes;
pub use request::{InitError, InitRequest, Initialised, LayerInput, Setting, SETTING_KEYS};

use request::{io, setting, Planned};

use crate::readiness;
use crate::source::Source;
use feedmap_geography::crs::Crs;
use feedmap_geography::inspect::{self, Inspection, Pick};
use feedmap_geography::validate::quoted;
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

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
    if let Some(b) = &req.built_up {
        inputs.push((b, "built_up"));
    }
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
            // Pieces of one place share its code.
            None if *role == "built_up" => ins.place_id(),
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
        let files::Placed {
            file,
            kept,
            clipped,
        } = files::place_file(&input.path, &ins, &id_pick, id, role, extent, work)?;
        if *role == "neighbourhood" {
            extent = ins.extent.map(|e| {
                [
                    e[0] - files::CLIP_MARGIN_DEG,
                    e[1] - files::CLIP_MARGIN_DEG,
                    e[2] + files::CLIP_MARGIN_DEG,
                    e[3] + files::CLIP_MARGIN_DEG,
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
        let (keys, comment) = census::census_table(req, table, layer, ids, work)?;
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
    let manifest = manifest::manifest(
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
