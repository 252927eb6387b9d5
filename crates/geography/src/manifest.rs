//! The `region.toml` manifest: which boundary files make up a region and how
//! to read them.
//!
//! The keys here are a public contract (users' manifests and outside checks
//! rely on them), so they may be extended but never renamed. Unknown keys are
//! rejected rather than ignored, because a misspelt key silently ignored is a
//! layer silently misread.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// What a layer is for in planning: neighbourhoods own feeds, communities may
/// deserve their own, context layers are shown and looked up but not planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A police neighbourhood: the unit a neighbourhood team's feed serves.
    Neighbourhood,
    /// A candidate community inside neighbourhoods (wards, localities, …).
    Community,
    /// Reference geography (LSOAs, MSOAs, …) that is looked up but not planned.
    Context,
    /// Fine areas with resident counts (output areas, LSOAs, …) whose people
    /// are spread over neighbourhoods and communities that give no
    /// population of their own. Looked up like a context layer.
    Population,
    /// Settlements as published (ONS/OS Built Up Areas): each area is a
    /// town or village, and settlements are taken from here instead of
    /// being discovered (`settlements::from_built_up`). Features
    /// repeating an id are the pieces of one place (a national file clipped
    /// to boroughs) and are joined. Looked up like a context layer; at most
    /// one a region.
    #[serde(rename = "built_up")]
    BuiltUp,
}

impl Role {
    /// The lowercase word used in manifests and API responses.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Neighbourhood => "neighbourhood",
            Role::Community => "community",
            Role::Context => "context",
            Role::Population => "population",
            Role::BuiltUp => "built_up",
        }
    }
}

/// The parsed `region.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Human name of the region, shown on maps and in the API.
    pub name: String,
    /// Data attribution that must accompany any map or answer built from the
    /// region's boundaries (e.g. the OGL statement for ONS data).
    #[serde(default)]
    pub attribution: String,
    /// Repair self-intersecting rings instead of rejecting them (default
    /// false: bad geometry is an error unless the user asks for repair).
    #[serde(default)]
    pub repair: bool,
    /// The boundary layers, in display order.
    pub layers: Vec<LayerSpec>,
    /// Optional postcode directory for `?postcode=` lookups.
    #[serde(default)]
    pub postcodes: Option<PostcodesSpec>,
    /// Optional feed list.
    #[serde(default)]
    pub feeds: Option<FeedsSpec>,
    /// Optional address list for free-text address search.
    #[serde(default)]
    pub addresses: Option<AddressesSpec>,
    /// Optional population points (e.g. postcodes with household counts),
    /// used to estimate populations when no `role = "population"` layer is
    /// given.
    #[serde(default)]
    pub population_points: Option<PopulationPointsSpec>,
    /// Optional police force the region belongs to: named by the
    /// data.police.uk-compatible endpoints (`/police-api/`), which answer
    /// nothing without it.
    #[serde(default)]
    pub force: Option<ForceSpec>,
    /// Optional resident question (`[question]`): residents say what they
    /// call the place they live and whether they would follow a local feed
    /// about it. Without it the question is not asked.
    #[serde(default)]
    pub question: Option<QuestionSpec>,
}

/// `[question]`: the public question residents answer (what they call the
/// place they live, whether they would follow a local police feed about it,
/// on which platforms, and up to three questions of the force's own). Plain
/// data: the domain checks it (`voice::Question::from_spec`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionSpec {
    /// A short paragraph shown above the question (optional).
    #[serde(default)]
    pub intro: Option<String>,
    /// The platforms residents may choose from, in display order (default:
    /// Facebook, X (Twitter), Instagram, Nextdoor, WhatsApp).
    #[serde(default = "default_platforms")]
    pub platforms: Vec<ChoiceSpec>,
    /// The smallest count shown in public figures (default 10): a figure
    /// below it is withheld.
    #[serde(default = "default_min_count")]
    pub min_count: u32,
    /// The force's own questions (`[[question.extra]]`), each with fixed
    /// choices.
    #[serde(default)]
    pub extra: Vec<ExtraQuestionSpec>,
}

/// A fixed choice: an id (lowercase letters, digits, `_`) and its label.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceSpec {
    /// Stable id, counted and sent in answers (`facebook`).
    pub id: String,
    /// What residents read (`Facebook`).
    pub label: String,
}

/// `[[question.extra]]`: one of the force's own questions.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraQuestionSpec {
    /// Stable id (lowercase letters, digits, `_`).
    pub id: String,
    /// The question as residents read it.
    pub text: String,
    /// Its fixed choices, in display order.
    pub choices: Vec<ChoiceSpec>,
    /// Whether a resident may pick several choices (default false: one).
    #[serde(default)]
    pub multiple: bool,
}

/// The platforms offered when `[question]` names none.
pub fn default_platforms() -> Vec<ChoiceSpec> {
    [
        ("facebook", "Facebook"),
        ("x", "X (Twitter)"),
        ("instagram", "Instagram"),
        ("nextdoor", "Nextdoor"),
        ("whatsapp", "WhatsApp"),
    ]
    .into_iter()
    .map(|(id, label)| ChoiceSpec {
        id: id.into(),
        label: label.into(),
    })
    .collect()
}

/// `[question].min_count`'s default.
pub const DEFAULT_MIN_COUNT: u32 = 10;

fn default_min_count() -> u32 {
    DEFAULT_MIN_COUNT
}

/// `[force]`: the police force whose neighbourhoods the region's
/// neighbourhood layers hold, as data.police.uk names it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForceSpec {
    /// The force id as data.police.uk spells it (`greater-manchester`):
    /// lowercase letters, digits and hyphens.
    pub id: String,
    /// The force's name (`Greater Manchester Police`).
    pub name: String,
    /// The force's website.
    #[serde(default)]
    pub url: Option<String>,
    /// The force's public telephone number (`101`).
    #[serde(default)]
    pub telephone: Option<String>,
    /// A short description of the force.
    #[serde(default)]
    pub description: Option<String>,
    /// The web page of each neighbourhood on the force's site, with `{id}`
    /// standing for the neighbourhood id (data.police.uk's `url_force`).
    #[serde(default)]
    pub neighbourhood_url: Option<String>,
}

/// `[population_points]`: a CSV of points, each standing for some residents.
/// Planning adds each point's residents to the area containing it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationPointsSpec {
    /// The CSV file, relative to the manifest.
    pub file: PathBuf,
    /// Column with the latitude (default `lat`).
    #[serde(default = "default_lat_column")]
    pub lat_column: String,
    /// Column with the longitude (default `lon`).
    #[serde(default = "default_lon_column")]
    pub lon_column: String,
    /// Column with a count per point (households, addresses, people). Without
    /// it every row counts 1.
    #[serde(default)]
    pub count_column: Option<String>,
    /// Residents per counted unit (default 1): e.g. 2.4 people per household,
    /// or the mean residents per postcode when every row counts 1.
    #[serde(default = "default_people_per_count")]
    pub people_per_count: f64,
}

fn default_people_per_count() -> f64 {
    1.0
}

/// `[postcodes]`: an ONS Postcode Directory-style CSV. Column defaults are
/// ONSPD's own names, so the real directory loads without configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostcodesSpec {
    /// The CSV file, relative to the manifest.
    pub file: PathBuf,
    /// Column with the postcode (default `pcds`).
    #[serde(default = "default_postcode_column")]
    pub postcode_column: String,
    /// Column with the latitude (default `lat`).
    #[serde(default = "default_lat_column")]
    pub lat_column: String,
    /// Column with the longitude (default `long`).
    #[serde(default = "default_long_column")]
    pub lon_column: String,
    /// Column whose non-empty value marks a terminated postcode (ONSPD:
    /// `doterm`, the year and month of termination). Default: `doterm` when
    /// the file has it.
    #[serde(default)]
    pub terminated_column: Option<String>,
    /// Distance in metres within which a postcode's centroid counts as
    /// near another community or neighbourhood than its own: answers by
    /// postcode then carry `near_boundary` (default 100; 0 turns it off).
    /// A postcode's addresses spread around its centroid, so near a
    /// boundary some may be on the other side.
    #[serde(default = "default_near_boundary_m")]
    pub near_boundary_m: f64,
    /// Column with a local name for the place around each postcode (e.g.
    /// the House of Commons Library MSOA names, `msoa_hcl_name`), used to
    /// name discovered settlements (default: none).
    #[serde(default)]
    pub name_column: Option<String>,
}

fn default_near_boundary_m() -> f64 {
    100.0
}

/// `[feeds]`: the region's feed list (see the feeds module for columns).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedsSpec {
    /// The CSV file, relative to the manifest.
    pub file: PathBuf,
    /// Recorded activity, as a social media management platform exports
    /// it (see the activity module for columns), relative to the manifest.
    #[serde(default)]
    pub activity: Option<PathBuf>,
    /// Read the activity file's newest date as today, moving every date by
    /// the same number of days: for fictional demonstration data only, so
    /// a demo's feeds do not all fall dormant as the calendar moves on.
    #[serde(default)]
    pub activity_relative_to_today: bool,
    /// The neighbourhoods as data.police.uk lists them (JSON, see the
    /// listings module), relative to the manifest.
    #[serde(default)]
    pub listings: Option<PathBuf>,
}

/// `[addresses]`: a CSV of addresses with coordinates.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressesSpec {
    /// The CSV file, relative to the manifest.
    pub file: PathBuf,
    /// Column with the address text (default `address`).
    #[serde(default = "default_address_column")]
    pub address_column: String,
    /// Column with the latitude (default `lat`).
    #[serde(default = "default_lat_column")]
    pub lat_column: String,
    /// Column with the longitude (default `lon`).
    #[serde(default = "default_lon_column")]
    pub lon_column: String,
}

fn default_postcode_column() -> String {
    "pcds".into()
}
fn default_lat_column() -> String {
    "lat".into()
}
fn default_long_column() -> String {
    "long".into()
}
fn default_lon_column() -> String {
    "lon".into()
}
fn default_address_column() -> String {
    "address".into()
}

/// One `[[layers]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerSpec {
    /// Layer id, `[a-z0-9_-]+`, unique in the region; used in URLs.
    pub id: String,
    /// What the layer is for.
    pub role: Role,
    /// Boundary file (GeoJSON or KML) or a folder of KML files, relative to
    /// the manifest unless absolute.
    pub file: PathBuf,
    /// Feature property holding the area id. GeoJSON default: the feature's
    /// own `id` member; KML default: the placemark `name`.
    #[serde(default)]
    pub id_property: Option<String>,
    /// Feature property holding the display name. GeoJSON default: `name`;
    /// KML default: the placemark `name`.
    #[serde(default)]
    pub name_property: Option<String>,
    /// Optional numeric property with the resident population.
    #[serde(default)]
    pub population_property: Option<String>,
    /// A fixed population for every area whose file gives none (e.g. 300
    /// for census output areas, which are drawn to hold about that many).
    /// Meant for `role = "population"` layers of files without counts.
    #[serde(default)]
    pub population_each: Option<f64>,
    /// A CSV giving each area's residents by id (a census table published
    /// apart from its boundaries), relative to the manifest unless
    /// absolute. Its figures fill areas whose file gives none, before
    /// `population_each`.
    #[serde(default)]
    pub population_file: Option<PathBuf>,
    /// The `population_file` column with the area id (default: found by
    /// its spelling, `area_code`, `geography code`, `lsoa21cd`, … or the
    /// column of ONS codes).
    #[serde(default)]
    pub population_id_column: Option<String>,
    /// The `population_file` column with the residents (default: found by
    /// its spelling, `population`, `Observation`, `OBS_VALUE`,
    /// `usual_residents`, …).
    #[serde(default)]
    pub population_column: Option<String>,
    /// The `population_file`'s layout: `wide` (one row per area, the
    /// default) or `long` (one row per area and category, as Nomis and
    /// ONS custom datasets come; an area's rows are added up unless
    /// `population_category` picks one).
    #[serde(default)]
    pub population_table: Option<TableShape>,
    /// For a long `population_file`: the column holding the category
    /// (e.g. `age_group`).
    #[serde(default)]
    pub population_category_column: Option<String>,
    /// For a long `population_file`: the one category to take (e.g.
    /// `Total`); needs `population_category_column`.
    #[serde(default)]
    pub population_category: Option<String>,
    /// Feature property (0–1, or true/false) that overrides the planner's
    /// identity factor, for a planner who knows a coded area is a real
    /// community or a named one is not. Default: `identity`, when present.
    #[serde(default)]
    pub identity_property: Option<String>,
    /// Human title for maps and the OGC collection (default: the id).
    #[serde(default)]
    pub title: Option<String>,
    /// Coordinate reference system to assume when the file does not declare
    /// one (`EPSG:4326`/`CRS84` or `EPSG:27700`); a declared `crs` member
    /// must agree with it.
    #[serde(default)]
    pub crs: Option<String>,
    /// Per-layer override of the region-wide `repair` flag.
    #[serde(default)]
    pub repair: Option<bool>,
}

/// How a census table is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TableShape {
    /// One row per area; the count is one column.
    #[default]
    Wide,
    /// One row per area and category; an area's rows are added up, or
    /// the rows of one category taken.
    Long,
}

/// Why a manifest could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The manifest file could not be read.
    #[error("cannot read manifest {path}: {error}{}", if error.kind() == std::io::ErrorKind::NotFound { " (give the region folder with --region DIR; `feedmap init DIR` makes one from your files)" } else { "" })]
    Read {
        /// The manifest path.
        path: PathBuf,
        /// The I/O error (in the message, not a source, so it is said
        /// once).
        error: std::io::Error,
    },
    /// The TOML is malformed, has an unknown key or a value of the wrong type.
    #[error("invalid manifest {path}: {message}")]
    Parse {
        /// The manifest path.
        path: PathBuf,
        /// The TOML parser's message (names the key and line).
        message: String,
    },
    /// The manifest parsed but breaks a rule (bad or duplicate layer id, …).
    #[error("invalid manifest {path}: {message}")]
    Rule {
        /// The manifest path.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },
}

impl Manifest {
    /// The manifest file name inside a region folder.
    pub const FILE_NAME: &'static str = "region.toml";

    /// Reads `region.toml` from a region folder (or a manifest path itself).
    pub fn load(dir_or_file: &Path) -> Result<(Manifest, PathBuf), ManifestError> {
        let path = if dir_or_file.is_dir() {
            dir_or_file.join(Self::FILE_NAME)
        } else {
            dir_or_file.to_path_buf()
        };
        let text = std::fs::read_to_string(&path).map_err(|error| ManifestError::Read {
            path: path.clone(),
            error,
        })?;
        let manifest = Self::parse(&text, &path)?;
        Ok((manifest, path))
    }

    /// Parses manifest text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, ManifestError> {
        let manifest: Manifest = toml::from_str(text).map_err(|e| ManifestError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        manifest.check(path)?;
        Ok(manifest)
    }

    fn check(&self, path: &Path) -> Result<(), ManifestError> {
        let rule = |message: String| ManifestError::Rule {
            path: path.to_path_buf(),
            message,
        };
        if self.layers.is_empty() {
            return Err(rule(
                "no [[layers]]: a region needs at least one layer".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        let built_up: Vec<&str> = self
            .layers
            .iter()
            .filter(|l| l.role == Role::BuiltUp)
            .map(|l| l.id.as_str())
            .collect();
        if built_up.len() > 1 {
            return Err(rule(format!(
                "layers {} all have role \"built_up\"; a region takes one built-up areas layer (its settlements)",
                built_up.join(", ")
            )));
        }
        for (i, layer) in self.layers.iter().enumerate() {
            if !is_valid_layer_id(&layer.id) {
                return Err(rule(format!(
                    "layers[{i}].id {:?} must match [a-z0-9_-]+ (it is used in URLs)",
                    layer.id
                )));
            }
            if let Some(each) = layer.population_each {
                if !(each.is_finite() && each >= 0.0) {
                    return Err(rule(format!(
                        "layers[{i}].population_each is {each}; it must be a number of people, zero or more"
                    )));
                }
            }
            if layer.role == Role::Population
                && layer.population_property.is_none()
                && layer.population_each.is_none()
                && layer.population_file.is_none()
            {
                return Err(rule(format!(
                    "layers[{i}] ({:?}) has role \"population\" but none of population_property, population_file or population_each: say where its residents come from",
                    layer.id
                )));
            }
            let table_keys = [
                ("population_id_column", layer.population_id_column.is_some()),
                ("population_column", layer.population_column.is_some()),
                ("population_table", layer.population_table.is_some()),
                (
                    "population_category_column",
                    layer.population_category_column.is_some(),
                ),
                ("population_category", layer.population_category.is_some()),
            ];
            if let (None, Some((key, _))) = (
                &layer.population_file,
                table_keys.iter().find(|(_, set)| *set),
            ) {
                return Err(rule(format!(
                    "layers[{i}] ({:?}) sets {key} but has no population_file (the census table it is about)",
                    layer.id
                )));
            }
            if layer.population_category.is_some() && layer.population_category_column.is_none() {
                return Err(rule(format!(
                    "layers[{i}] ({:?}) sets population_category but not population_category_column, the column that holds it (e.g. \"age_group\")",
                    layer.id
                )));
            }
            if layer.population_category_column.is_some()
                && layer.population_category.is_none()
                && layer.population_table != Some(TableShape::Long)
            {
                return Err(rule(format!(
                    "layers[{i}] ({:?}) sets population_category_column but neither population_category (the category to take) nor population_table = \"long\" (add up every category)",
                    layer.id
                )));
            }
            if !seen.insert(layer.id.as_str()) {
                return Err(rule(format!(
                    "layers[{i}].id {:?} is used by another layer; layer ids must be unique",
                    layer.id
                )));
            }
        }
        if let Some(p) = &self.postcodes {
            if !(p.near_boundary_m.is_finite() && (0.0..=10_000.0).contains(&p.near_boundary_m)) {
                return Err(rule(format!(
                    "[postcodes].near_boundary_m is {}; it must be metres from 0 (off) to 10000",
                    p.near_boundary_m
                )));
            }
        }
        if let Some(f) = &self.force {
            let valid = !f.id.is_empty()
                && f.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid || f.id == "forces" {
                return Err(rule(format!(
                    "[force].id {:?} must match [a-z0-9-]+ like data.police.uk's force ids (and not be \"forces\")",
                    f.id
                )));
            }
            if f.name.trim().is_empty() {
                return Err(rule("[force].name is empty; give the force's name".into()));
            }
            if let Some(u) = &f.neighbourhood_url {
                if !u.contains("{id}") {
                    return Err(rule(format!(
                        "[force].neighbourhood_url {u:?} has no {{id}}: say where the neighbourhood id goes"
                    )));
                }
            }
        }
        if let Some(p) = &self.population_points {
            if !(p.people_per_count.is_finite() && p.people_per_count > 0.0) {
                return Err(rule(format!(
                    "[population_points].people_per_count is {}; it must be a number above 0",
                    p.people_per_count
                )));
            }
        }
        Ok(())
    }

    /// Resolves a manifest-relative path against the manifest's folder.
    pub fn resolve(manifest_path: &Path, file: &Path) -> PathBuf {
        if file.is_absolute() {
            file.to_path_buf()
        } else {
            manifest_path
                .parent()
                .unwrap_or_else(|| Path::new("."))
                .join(file)
        }
    }
}

/// Whether `id` is a valid layer id (`[a-z0-9_-]+`).
pub fn is_valid_layer_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "Demo"
attribution = "x"
[[layers]]
id = "neighbourhoods"
role = "neighbourhood"
file = "n.geojson"
id_property = "code"
name_property = "name"
population_property = "population"
"#;

    #[test]
    fn parses_the_documented_keys() {
        let m = Manifest::parse(GOOD, Path::new("r.toml")).unwrap();
        assert_eq!(m.layers[0].role, Role::Neighbourhood);
        assert_eq!(
            m.layers[0].population_property.as_deref(),
            Some("population")
        );
    }

    #[test]
    fn unknown_keys_are_errors() {
        let text = GOOD.replace("name_property", "name_propperty");
        let err = Manifest::parse(&text, Path::new("r.toml")).unwrap_err();
        assert!(err.to_string().contains("name_propperty"), "{err}");
    }

    #[test]
    fn bad_and_duplicate_ids_are_errors() {
        let text = GOOD.replace("id = \"neighbourhoods\"", "id = \"Neigh bourhoods\"");
        assert!(Manifest::parse(&text, Path::new("r.toml")).is_err());
        let dup = format!("{GOOD}{}", &GOOD[GOOD.find("[[layers]]").unwrap()..]);
        let err = Manifest::parse(&dup, Path::new("r.toml")).unwrap_err();
        assert!(err.to_string().contains("unique"), "{err}");
    }

    #[test]
    fn postcode_and_feed_tables_parse_with_onspd_defaults() {
        let text =
            format!("{GOOD}\n[postcodes]\nfile = \"pc.csv\"\n\n[feeds]\nfile = \"feeds.csv\"\n");
        let m = Manifest::parse(&text, Path::new("r.toml")).unwrap();
        let pc = m.postcodes.unwrap();
        assert_eq!(
            (
                pc.postcode_column.as_str(),
                pc.lat_column.as_str(),
                pc.lon_column.as_str()
            ),
            ("pcds", "lat", "long")
        );
        assert_eq!(m.feeds.unwrap().file, Path::new("feeds.csv"));
        let bad = format!("{GOOD}\n[feeds]\nfile = \"f.csv\"\nsheet = 2\n");
        assert!(Manifest::parse(&bad, Path::new("r.toml")).is_err());
    }

    #[test]
    fn population_layers_must_say_where_residents_come_from() {
        let pop = GOOD.replace("role = \"neighbourhood\"", "role = \"population\"");
        assert!(Manifest::parse(&pop, Path::new("r.toml")).is_ok());
        let bare = pop.replace("population_property = \"population\"\n", "");
        let err = Manifest::parse(&bare, Path::new("r.toml")).unwrap_err();
        assert!(err.to_string().contains("population_each"), "{err}");
        let each = format!("{bare}population_each = 300\n");
        assert_eq!(
            Manifest::parse(&each, Path::new("r.toml")).unwrap().layers[0].population_each,
            Some(300.0)
        );
        let negative = format!("{bare}population_each = -1\n");
        assert!(Manifest::parse(&negative, Path::new("r.toml")).is_err());
        let points =
            format!("{GOOD}\n[population_points]\nfile = \"p.csv\"\npeople_per_count = 0\n");
        let err = Manifest::parse(&points, Path::new("r.toml")).unwrap_err();
        assert!(err.to_string().contains("people_per_count"), "{err}");
    }

    #[test]
    fn unknown_role_is_an_error() {
        let text = GOOD.replace("role = \"neighbourhood\"", "role = \"county\"");
        assert!(Manifest::parse(&text, Path::new("r.toml")).is_err());
    }
}
