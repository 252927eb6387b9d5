//! What a region folder holds, loaded whole or not at all: the geography
//! ([`Region`]), the feed file's feeds and the population points. Its
//! layers are every layer's first boundary generation; later ones are
//! staged in the store (`generations`).
//!
//! Every problem in every file is collected before failing, so one run of
//! `feedmap validate` lists them all.

use crate::feeds::FeedRegistry;
use crate::plan::{population, Planning};
use feedmap_geography::boundary::{build_layer, Layer};
use feedmap_geography::gazetteer::{Addresses, Places, Postcodes};
use feedmap_geography::import::read_layer;
use feedmap_geography::lookup::LatLon;
use feedmap_geography::manifest::Manifest;
use feedmap_geography::region::{LoadOptions, Region, RegionError};
use feedmap_geography::relations::Relations;
use feedmap_geography::settlements::{
    CensusAreaParams, DiscoverParams, Residential, Settlements, Weights,
};
use feedmap_geography::tiles::Projection;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// A loaded region folder.
#[derive(Debug)]
pub struct Source {
    /// The geography (every layer's first generation).
    pub region: Region,
    /// The feeds as the region's feed file has them (empty when the
    /// manifest names no feed list).
    pub feeds: Arc<FeedRegistry>,
    /// The feed file's recorded activity (`[feeds] activity`), if any.
    pub activity: Arc<crate::activity::Activity>,
    /// The neighbourhoods as data.police.uk lists them (`[feeds]
    /// listings`), if given.
    pub listings: Arc<crate::listings::Listings>,
    /// The manifest, for building later generations of its layers.
    pub manifest: Manifest,
    /// How it was loaded.
    pub options: LoadOptions,
    /// The `[population_points]`, kept for planning.
    population_points: Option<Arc<Vec<(LatLon, f64)>>>,
    /// The geography with the caches derived from it alone.
    geo: Arc<Geo>,
}

/// One combination of boundary generations: the geography and the caches
/// derived from it alone (planning's groundwork, tile projections), each
/// computed once on first use. Feeds and decisions are not part of it, so
/// it is shared by every store generation that sees the same boundaries.
#[derive(Debug)]
pub struct Geo {
    /// The geography.
    pub region: Region,
    population_points: Option<Arc<Vec<(LatLon, f64)>>>,
    /// Planning's groundwork (populations, overlays), computed on first
    /// use: lookups and batches never pay for it, and the server computes
    /// it before it serves (or swaps in) a region, so no request waits.
    planning: OnceLock<Planning>,
    /// Each layer's Web Mercator projection, for vector tiles.
    tiles: Vec<Projection>,
    /// The settlements discovered from the residential points, on first
    /// use.
    settlements: OnceLock<Arc<Settlements>>,
    /// The residential points for density tiles, on first use.
    density: OnceLock<feedmap_geography::tiles::Density>,
    /// The settlements as GeoJSON bytes, on first use.
    settlements_geojson: OnceLock<Arc<[u8]>>,
    /// Every area's lookup summary serialised, for `/v1/lookup`, on first
    /// use.
    answer_json: OnceLock<Option<feedmap_geography::lookup::AnswerJson>>,
}

impl Geo {
    /// Wraps a geography (population points for planning estimates).
    pub fn new(region: Region, population_points: Option<Arc<Vec<(LatLon, f64)>>>) -> Geo {
        let tiles = region
            .layers
            .iter()
            .map(|_| Projection::default())
            .collect();
        Geo {
            region,
            population_points,
            planning: OnceLock::new(),
            tiles,
            settlements: OnceLock::new(),
            density: OnceLock::new(),
            settlements_geojson: OnceLock::new(),
            answer_json: OnceLock::new(),
        }
    }

    /// The lookup answer's fragments ([`feedmap_geography::lookup::AnswerJson`]), built
    /// on first use; `None` if an area's summary would not serialise (the
    /// answer is then serialised whole, the slower way).
    pub fn answer_json(&self) -> Option<&feedmap_geography::lookup::AnswerJson> {
        self.answer_json
            .get_or_init(
                || match feedmap_geography::lookup::AnswerJson::new(&self.region) {
                    Ok(json) => Some(json),
                    Err(e) => {
                        tracing::warn!(error = %e, "lookup answers will be serialised whole");
                        None
                    }
                },
            )
            .as_ref()
    }

    /// [`Geo::settlements`] as GeoJSON (what `GET /v1/settlements`
    /// answers), serialised once.
    pub fn settlements_geojson(&self) -> &Arc<[u8]> {
        self.settlements_geojson.get_or_init(|| {
            serde_json::to_vec(&self.settlements().to_geojson())
                .unwrap_or_default()
                .into()
        })
    }

    /// The residential points (those settlements are found in) indexed for
    /// density tiles, on first use.
    pub fn density(&self) -> &feedmap_geography::tiles::Density {
        self.density.get_or_init(|| {
            let s = self.settlements();
            let res = &s.residential;
            feedmap_geography::tiles::Density::new(res.points.iter().enumerate().map(|(i, p)| {
                let w = s.weights.as_ref().map_or(1.0, |w| w.per_point[i]);
                (p.lon, p.lat, w)
            }))
        })
    }

    /// The settlements of the region, computed once on first use: the
    /// places of its built-up areas layer when it has one, else discovered
    /// (with default parameters) from its residential points (postcodes,
    /// else addresses, else population points, else points laid over its
    /// dense census areas).
    pub fn settlements(&self) -> &Arc<Settlements> {
        self.settlements.get_or_init(|| {
            let started = Instant::now();
            let s = Arc::new(self.discover(DiscoverParams::default()));
            tracing::info!(
                ms = started.elapsed().as_millis() as u64,
                settlements = s.list.len(),
                "settlements discovered"
            );
            s
        })
    }

    /// Discovers settlements with `params` (see [`feedmap_geography::settlements`]);
    /// named from the postcodes' local names, else from the community area
    /// at their centre. A region with a built-up areas layer takes that
    /// layer's places instead ([`feedmap_geography::settlements::from_built_up`]),
    /// weighed by its residential points (else points laid over the places).
    pub fn discover(&self, params: DiscoverParams) -> Settlements {
        let region = &self.region;
        let mut res = Residential::of_region(
            region.postcodes.as_deref(),
            region.addresses.as_deref(),
            self.population_points(),
        );
        if let Some(layer) = built_up(&region.layers) {
            if res.is_empty() {
                res = Residential::of_built_up(layer, CensusAreaParams::default().spacing_m);
            }
            let weights = Weights::estimate(&res, &region.layers, self.population_points());
            return feedmap_geography::settlements::from_built_up(layer, res, weights, params);
        }
        if res.is_empty() {
            if let Some(small) = census_areas(&region.layers) {
                res = Residential::of_census_areas(
                    small,
                    &CensusAreaParams::default(),
                    place_names(&region.layers),
                );
            }
        }
        let weights = Weights::estimate(&res, &region.layers, self.population_points());
        let community = region
            .layers
            .iter()
            .find(|l| l.role == feedmap_geography::manifest::Role::Community);
        let place_of = |p: LatLon| {
            let l = community?;
            let mut found = Vec::new();
            l.index.locate_into(&l.areas, p.lon, p.lat, &mut found);
            found.first().map(|&a| l.areas[a].name.clone())
        };
        feedmap_geography::settlements::discover(res, weights, params, &place_of)
    }

    /// Planning's groundwork for this geography, computed once on first
    /// use.
    pub fn planning(&self) -> &Planning {
        self.planning.get_or_init(|| {
            let started = Instant::now();
            let p = crate::plan::groundwork(
                &self.region.layers,
                &self.region.relations,
                self.population_points.as_deref().map(Vec::as_slice),
                self.settlements().clone(),
            );
            tracing::info!(
                ms = started.elapsed().as_millis() as u64,
                "planning groundwork ready"
            );
            p
        })
    }

    /// Everything a server builds on first use, built now — planning's
    /// groundwork (with the settlements), the density index, the
    /// settlements' GeoJSON and each layer's lookup grid ([`feedmap_geography::grid`]) — so no
    /// request waits for it.
    pub fn prepare(&self) {
        self.planning();
        self.density();
        self.settlements_geojson();
        let started = Instant::now();
        for l in self.region.layers.iter() {
            l.index.grid(&l.areas);
            l.index.prepare_nearest(&l.areas);
        }
        self.answer_json();
        tracing::info!(
            ms = started.elapsed().as_millis() as u64,
            "lookup grids ready"
        );
    }

    /// The Web Mercator projection of layer `layer` (an index), for
    /// [`feedmap_geography::tiles::encode`].
    pub fn projection(&self, layer: usize) -> &Projection {
        &self.tiles[layer]
    }

    /// The population points, if the region has them.
    pub fn population_points(&self) -> Option<&[(LatLon, f64)]> {
        self.population_points.as_deref().map(Vec::as_slice)
    }
}

impl Source {
    /// Loads the region whose manifest is `dir/region.toml` (or `dir` itself
    /// if it is a file), with default options.
    pub fn load(dir: &Path) -> Result<Source, RegionError> {
        Self::load_with(dir, LoadOptions::default())
    }

    /// Loads a region. Layers are read and validated in parallel; every
    /// problem in every layer is collected before failing.
    pub fn load_with(dir: &Path, options: LoadOptions) -> Result<Source, RegionError> {
        let started = Instant::now();
        let (manifest, manifest_path) = Manifest::load(dir)?;
        if let Some(q) = &manifest.question {
            // A question that cannot be asked is refused with the region.
            let checked = crate::voice::Question::from_spec(q).map_err(|e| {
                feedmap_geography::manifest::ManifestError::Rule {
                    path: manifest_path.clone(),
                    message: e.to_string(),
                }
            })?;
            for w in checked.warnings() {
                tracing::warn!("{w}");
            }
        }
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
                    let manifest_path = &manifest_path;
                    s.spawn(move || {
                        let t = Instant::now();
                        let mut table_problems = Vec::new();
                        let residents = spec
                            .population_file
                            .as_ref()
                            .map(|file| {
                                feedmap_geography::census::read(
                                    &Manifest::resolve(manifest_path, file),
                                    &feedmap_geography::census::CensusSpec::of(spec),
                                    &mut table_problems,
                                )
                            })
                            .unwrap_or_default();
                        let raw = read_layer(&source, &spec.id);
                        let mut built = build_layer(spec, source, raw, repair, &residents);
                        built.problems.extend(table_problems);
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
        let mut activity = crate::activity::Activity::new();
        let mut listings = crate::listings::Listings::default();
        if let Some(spec) = &manifest.feeds {
            if let Some(f) = &spec.activity {
                let file = Manifest::resolve(&manifest_path, f);
                let today = spec
                    .activity_relative_to_today
                    .then(feedmap_geography::calendar::today);
                let days = crate::activity::load(&file, &feeds, today.as_deref(), &mut problems);
                crate::activity::add(&mut activity, days);
            }
            if let Some(f) = &spec.listings {
                let file = Manifest::resolve(&manifest_path, f);
                listings = crate::listings::load(&file, &mut problems);
            }
        }
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
        let region = Region {
            name: manifest.name.clone(),
            attribution: manifest.attribution.clone(),
            manifest_path,
            layers: Arc::new(layers),
            relations: Arc::new(relations),
            notes,
            postcodes: postcodes.map(Arc::new),
            addresses: addresses.map(Arc::new),
            places: Arc::new(places),
            force: manifest.force.clone().map(Arc::new),
            question: manifest.question.clone().map(Arc::new),
        };
        for note in &region.notes {
            tracing::warn!("{note}");
        }
        tracing::info!(
            region = %region.name,
            layers = region.layers.len(),
            areas = region.layers.iter().map(|l| l.areas.len()).sum::<usize>(),
            relations = region.relations.all.len(),
            feeds = feeds.feeds.len(),
            postcodes = region.postcodes.as_ref().map_or(0, |p| p.len()),
            ms = started.elapsed().as_millis() as u64,
            "region loaded"
        );
        let points = points.map(Arc::new);
        Ok(Source {
            geo: Arc::new(Geo::new(region.clone(), points.clone())),
            region,
            feeds,
            activity: Arc::new(activity),
            listings: Arc::new(listings),
            manifest,
            options,
            population_points: points,
        })
    }

    /// The first generation's geography with its caches.
    pub fn geo(&self) -> &Arc<Geo> {
        &self.geo
    }

    /// The population points, if the region has them.
    pub fn population_points(&self) -> Option<&Arc<Vec<(LatLon, f64)>>> {
        self.population_points.as_ref()
    }
}

/// The census small areas settlements can be found in when there are no
/// residential points: the finest `population` layer (output areas or
/// LSOAs) whose every area has a population. Neighbourhood and community
/// layers never stand in: their areas are too coarse to tell a town from
/// the farmland around it.
fn census_areas(layers: &[Layer]) -> Option<&Layer> {
    use feedmap_geography::manifest::Role;
    layers
        .iter()
        .filter(|l| l.role == Role::Population)
        .filter(|l| !l.areas.is_empty() && l.areas.iter().all(|a| a.population.is_some()))
        .max_by_key(|l| l.areas.len())
}

/// The region's built-up areas layer, when it has one with places: its
/// settlements are taken from there rather than discovered.
pub(crate) fn built_up(layers: &[Layer]) -> Option<&Layer> {
    use feedmap_geography::manifest::Role;
    layers
        .iter()
        .find(|l| l.role == Role::BuiltUp && !l.areas.is_empty())
}

/// The layer whose names a settlement found in census areas takes: the
/// finest community or context layer whose areas mostly have place names
/// rather than statistical codes (e.g. MSOAs with the House of Commons
/// Library names, else the wards).
fn place_names(layers: &[Layer]) -> Option<&Layer> {
    use feedmap_geography::manifest::Role;
    layers
        .iter()
        .filter(|l| matches!(l.role, Role::Community | Role::Context))
        .filter(|l| {
            let named = l
                .areas
                .iter()
                .filter(|a| !crate::plan::factors::is_statistical_code(&a.name))
                .count();
            2 * named > l.areas.len()
        })
        .max_by_key(|l| l.areas.len())
}
