//! A region: the immutable snapshot of all boundary layers named by one
//! manifest, with their indexes and relations.
//!
//! A region is built whole or not at all. The server holds the current one
//! behind an `Arc`; a reload builds a new region beside it and swaps it in
//! only if the build succeeded, so requests never see half a region.

use crate::boundary::{build_layer, Layer};
use crate::feeds::FeedRegistry;
use crate::gazetteer::{Addresses, Places, Postcodes};
use crate::import::read_layer;
use crate::manifest::{Manifest, ManifestError};
use crate::plan::overlay::Overlay;
use crate::plan::population::{self, Populations};
use crate::plan::Planning;
use crate::relations::{RelationConfig, Relations};
use crate::validate::Problem;
use std::path::{Path, PathBuf};
use std::sync::Arc;
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

/// A loaded region. Its parts are shared (`Arc`), so a copy with other
/// feeds ([`Region::with_feeds`]) costs nothing: feeds change at run time
/// (through the store) while the geography stays as loaded.
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
    /// The feeds in effect: the feed file's, with the store's additions and
    /// edits applied (see [`FeedRegistry::merged`]).
    pub feeds: Arc<FeedRegistry>,
    /// The feeds as the region's feed file has them (empty when the
    /// manifest names no feed list).
    pub file_feeds: Arc<FeedRegistry>,
    /// The postcode directory, when the manifest names one.
    pub postcodes: Option<Arc<Postcodes>>,
    /// The address list, when the manifest names one.
    pub addresses: Option<Arc<Addresses>>,
    /// Every area name, for place search.
    pub places: Arc<Places>,
    /// The `[population_points]`, kept for planning.
    population_points: Option<Arc<Vec<(crate::LatLon, f64)>>>,
    /// Planning's groundwork (populations, overlays), computed on first
    /// use: lookups and batches never pay for it, and the server computes
    /// it before it serves (or swaps in) a region, so no request waits.
    planning: Arc<std::sync::OnceLock<Planning>>,
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
    /// The store's feeds could not be read (on a server reload).
    #[error("reading the store's feeds: {0}")]
    Store(String),
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
        let mut problems = Vec::new();
        let (built, postcodes, addresses, points): (Vec<_>, _, _, _) = std::thread::scope(|s| {
            let points = manifest.population_points.as_ref().map(|spec| {
                let file = Manifest::resolve(&manifest_path, &spec.file);
                s.spawn(move || {
                    let mut problems = Vec::new();
                    let p = population::load_points(&file, spec, &mut problems);
                    (p, problems)
                })
            });
            let postcodes = manifest.postcodes.as_ref().map(|spec| {
                let file = Manifest::resolve(&manifest_path, &spec.file);
                s.spawn(move || {
                    let mut problems = Vec::new();
                    let p = Postcodes::load(&file, spec, &mut problems);
                    (p, problems)
                })
            });
            let addresses = manifest.addresses.as_ref().map(|spec| {
                let file = Manifest::resolve(&manifest_path, &spec.file);
                s.spawn(move || {
                    let mut problems = Vec::new();
                    let a = Addresses::load(&file, spec, &mut problems);
                    (a, problems)
                })
            });
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
            let built = handles
                .into_iter()
                .map(|h| h.join().expect("layer loader thread panicked"))
                .collect();
            let postcodes = postcodes.map(|h| h.join().expect("postcode loader thread panicked"));
            let addresses = addresses.map(|h| h.join().expect("address loader thread panicked"));
            let points = points.map(|h| h.join().expect("population point loader thread panicked"));
            (built, postcodes, addresses, points)
        });
        let points = points.map(|(p, mut found)| {
            problems.append(&mut found);
            p
        });
        let postcodes = postcodes.map(|(p, mut found)| {
            problems.append(&mut found);
            p
        });
        let addresses = addresses.map(|(a, mut found)| {
            problems.append(&mut found);
            a
        });
        let mut layers = Vec::new();
        let mut notes = Vec::new();
        for b in built {
            problems.extend(b.problems);
            notes.extend(b.notes);
            layers.extend(b.layer);
        }
        // Feeds name areas, so they are checked once the layers are known.
        let feeds = match &manifest.feeds {
            Some(spec) if layers.len() == manifest.layers.len() => {
                let file = Manifest::resolve(&manifest_path, &spec.file);
                FeedRegistry::load(&file, &layers, &mut problems)
            }
            _ => FeedRegistry::default(),
        };
        let feeds = Arc::new(feeds);
        if !problems.is_empty() {
            return Err(RegionError::Invalid {
                manifest: manifest_path,
                problems,
            });
        }
        if let Some(p) = postcodes
            .as_ref()
            .filter(|p| p.skipped_without_coordinates > 0)
        {
            notes.push(format!(
                "{} postcodes without coordinates were skipped",
                p.skipped_without_coordinates
            ));
        }
        let relations = Relations::compute(&layers, options.relations);
        let places = Places::build(&layers);
        for note in &notes {
            tracing::warn!("{note}");
        }
        tracing::info!(
            region = %manifest.name,
            layers = layers.len(),
            areas = layers.iter().map(|l| l.areas.len()).sum::<usize>(),
            relations = relations.all.len(),
            feeds = feeds.feeds.len(),
            postcodes = postcodes.as_ref().map_or(0, Postcodes::len),
            ms = started.elapsed().as_millis() as u64,
            "region loaded"
        );
        Ok(Region {
            name: manifest.name,
            attribution: manifest.attribution,
            manifest_path,
            layers: Arc::new(layers),
            relations: Arc::new(relations),
            notes,
            file_feeds: feeds.clone(),
            feeds,
            postcodes: postcodes.map(Arc::new),
            addresses: addresses.map(Arc::new),
            places: Arc::new(places),
            population_points: points.map(Arc::new),
            planning: Arc::new(std::sync::OnceLock::new()),
        })
    }

    /// Planning's groundwork for this region, computed once on first use.
    pub fn planning(&self) -> &Planning {
        self.planning.get_or_init(|| {
            let started = Instant::now();
            let p = crate::plan::groundwork(
                &self.layers,
                &self.relations,
                self.population_points.as_deref().map(Vec::as_slice),
            );
            tracing::info!(
                ms = started.elapsed().as_millis() as u64,
                "planning groundwork ready"
            );
            p
        })
    }

    /// Population of every neighbourhood and community area, given or
    /// estimated.
    pub fn populations(&self) -> &Populations {
        &self.planning().populations
    }

    /// The planning overlay of neighbourhood layer `hl` and community layer
    /// `cl` (layer indices), if they are such a pair.
    pub fn overlay(&self, hl: usize, cl: usize) -> Option<&Overlay> {
        self.planning()
            .overlays
            .iter()
            .find(|o| o.neighbourhood_layer == hl && o.community_layer == cl)
    }

    /// The same region serving `feeds` instead (the geography is shared,
    /// not copied).
    pub fn with_feeds(&self, feeds: FeedRegistry) -> Region {
        Region {
            feeds: Arc::new(feeds),
            ..self.clone()
        }
    }

    /// Finds a layer by id, with its index.
    pub fn layer(&self, id: &str) -> Option<(usize, &Layer)> {
        self.layers.iter().enumerate().find(|(_, l)| l.id == id)
    }
}
