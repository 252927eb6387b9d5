//! A region: the immutable geography named by one manifest — the boundary
//! layers with their indexes and relations, and the gazetteer (postcodes,
//! addresses, place names). Nothing here changes at run time.
//!
//! A region is loaded (by the `source` module) whole or not at all,
//! together with what else its folder holds (the feed file, population
//! points); the live state served on top of it (feeds in effect, planners'
//! decisions) is `Served` (module `served`).

use crate::boundary::Layer;
use crate::gazetteer::{Addresses, Places, Postcodes};
use crate::manifest::ManifestError;
use crate::relations::{RelationConfig, Relations};
use crate::validate::Problem;
use std::path::PathBuf;
use std::sync::Arc;

/// Options for loading a region.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Repair self-intersecting rings in every layer (as `--repair`),
    /// whatever the manifest says.
    pub repair: bool,
    /// Relation tuning.
    pub relations: RelationConfig,
}

/// A loaded region's geography. Its parts are shared (`Arc`), so a copy
/// costs nothing.
#[derive(Debug, Clone)]
pub struct Region {
    /// The region's name from the manifest.
    pub name: String,
    /// Attribution to show with any map or answer.
    pub attribution: String,
    /// The manifest file it was loaded from.
    pub manifest_path: PathBuf,
    /// The layers in manifest order.
    pub layers: Arc<Vec<Layer>>,
    /// Parent/child relations between neighbourhood and community layers.
    pub relations: Arc<Relations>,
    /// Warnings and repairs made while loading.
    pub notes: Vec<String>,
    /// The postcode directory, when the manifest names one.
    pub postcodes: Option<Arc<Postcodes>>,
    /// The address list, when the manifest names one.
    pub addresses: Option<Arc<Addresses>>,
    /// Every area name, for place search.
    pub places: Arc<Places>,
    /// The police force, when the manifest names one (`[force]`).
    pub force: Option<Arc<crate::manifest::ForceSpec>>,
    /// The resident question, when the manifest asks one (`[question]`).
    pub question: Option<Arc<crate::manifest::QuestionSpec>>,
}

/// Why a region could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RegionError {
    /// The manifest is missing or invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// One or more boundary files have problems; every one is listed.
    #[error("{} problem(s) in region {}:\n{}", problems.len(), manifest.display(), crate::validate::grouped(problems).iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The manifest path.
        manifest: PathBuf,
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

impl Region {
    /// Finds a layer by id, with its index.
    pub fn layer(&self, id: &str) -> Option<(usize, &Layer)> {
        self.layers.iter().enumerate().find(|(_, l)| l.id == id)
    }

    /// Every layer id, comma-separated, for a message naming what would do.
    pub fn layer_ids(&self) -> String {
        self.layers
            .iter()
            .map(|l| l.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
