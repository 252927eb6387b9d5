//! A region: the immutable snapshot of all boundary layers named by one
//! manifest, with their indexes and relations.
//!
//! A region is built whole or not at all. The server holds the current one
//! behind an `Arc`; a reload builds a new region beside it and swaps it in
//! only if the build succeeded, so requests never see half a region.

use crate::boundary::{build_layer, Layer};
use crate::import::read_layer;
use crate::manifest::{Manifest, ManifestError};
use crate::relations::{RelationConfig, Relations};
use crate::validate::Problem;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Options for loading a region.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Repair self-intersecting rings in every layer (as `--repair`),
    /// whatever the manifest says.
    pub repair: bool,
    /// Relation tuning.
    pub relations: RelationConfig,
}

/// A loaded region.
#[derive(Debug)]
pub struct Region {
    /// The region's name from the manifest.
    pub name: String,
    /// Attribution to show with any map or answer.
    pub attribution: String,
    /// The manifest file it was loaded from.
    pub manifest_path: PathBuf,
    /// The layers in manifest order.
    pub layers: Vec<Layer>,
    /// Parent/child relations between neighbourhood and community layers.
    pub relations: Relations,
    /// Repairs made while loading (empty unless repair was on).
    pub notes: Vec<String>,
}

/// Why a region could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RegionError {
    /// The manifest is missing or invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// One or more boundary files have problems; every one is listed.
    #[error("{} problem(s) in region {}:\n{}", problems.len(), manifest.display(), problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The manifest path.
        manifest: PathBuf,
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

impl Region {
    /// Loads the region whose manifest is `dir/region.toml` (or `dir` itself
    /// if it is a file), with default options.
    pub fn load(dir: &Path) -> Result<Region, RegionError> {
        Self::load_with(dir, LoadOptions::default())
    }

    /// Loads a region. Layers are read and validated in parallel; every
    /// problem in every layer is collected before failing.
    pub fn load_with(dir: &Path, options: LoadOptions) -> Result<Region, RegionError> {
        let started = Instant::now();
        let (manifest, manifest_path) = Manifest::load(dir)?;
        let built: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = manifest
                .layers
                .iter()
                .map(|spec| {
                    let source = Manifest::resolve(&manifest_path, &spec.file);
                    let repair = options.repair || spec.repair.unwrap_or(manifest.repair);
                    s.spawn(move || {
                        let t = Instant::now();
                        let raw = read_layer(&source, &spec.id);
                        let built = build_layer(spec, source, raw, repair);
                        tracing::debug!(layer = %spec.id, ms = t.elapsed().as_millis() as u64, "layer read");
                        built
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("layer loader thread panicked"))
                .collect()
        });
        let mut layers = Vec::new();
        let mut problems = Vec::new();
        let mut notes = Vec::new();
        for b in built {
            problems.extend(b.problems);
            notes.extend(b.notes);
            layers.extend(b.layer);
        }
        if !problems.is_empty() {
            return Err(RegionError::Invalid {
                manifest: manifest_path,
                problems,
            });
        }
        let relations = Relations::compute(&layers, options.relations);
        for note in &notes {
            tracing::warn!("{note}");
        }
        tracing::info!(
            region = %manifest.name,
            layers = layers.len(),
            areas = layers.iter().map(|l| l.areas.len()).sum::<usize>(),
            relations = relations.all.len(),
            ms = started.elapsed().as_millis() as u64,
            "region loaded"
        );
        Ok(Region {
            name: manifest.name,
            attribution: manifest.attribution,
            manifest_path,
            layers,
            relations,
            notes,
        })
    }

    /// Finds a layer by id, with its index.
    pub fn layer(&self, id: &str) -> Option<(usize, &Layer)> {
        self.layers.iter().enumerate().find(|(_, l)| l.id == id)
    }
}
