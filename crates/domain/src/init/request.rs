//! What `init` is asked (the files, the choices given) and what it
//! answers: its request, its errors, and a layer as it goes into the
//! manifest. Every other part of `init` reads these.

use crate::readiness::Readiness;
use std::path::PathBuf;

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
    /// A built-up areas layer (ONS/OS Built Up Areas): the region's
    /// settlements as published.
    pub built_up: Option<LayerInput>,
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

pub(super) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> InitError {
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
pub(super) struct Planned {
    pub(super) id: String,
    pub(super) role: &'static str,
    /// The file name inside the region folder.
    pub(super) file: String,
    pub(super) comment: String,
    pub(super) keys: Vec<(String, String)>,
}

/// The settings given for `layer`.
pub(super) fn setting<'a>(req: &'a InitRequest, layer: &str, key: &str) -> Option<&'a str> {
    req.settings
        .iter()
        .rev()
        .find(|s| s.layer == layer && s.key == key)
        .map(|s| s.value.as_str())
}
