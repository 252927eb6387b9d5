//! Boundary generations: every layer's versions over time, as data.
//!
//! A layer's first generation is the manifest's file. Each later one is a
//! release kept in the store (so every replica has it): *staged* (shown to
//! planners, compared, never used by lookups), then *active* from its
//! `valid_from` date (`YYYY-MM-DD`) until the next active generation's, or
//! *withdrawn*. Which generation of each layer is in effect on a date is a
//! [`Key`]; the geography of one key ([`Geo`]) is built once and shared by
//! every store generation that sees the same boundaries. Diffs between
//! generations are computed on first use and kept.
//!
//! Dates compare as text: `YYYY-MM-DD` sorts as it reads.

use crate::diff::{Diff, Residents};
use crate::source::{Geo, Source};
use feedmap_geography::boundary::{build_layer, Layer};
use feedmap_geography::gazetteer::Places;
use feedmap_geography::import::read_files;
use feedmap_geography::manifest::LayerSpec;
use feedmap_geography::region::Region;
use feedmap_geography::relations::Relations;
use feedmap_geography::validate::Problem;
use feedmap_store::{Migration, Release, ReleaseFile, ReleaseStatus};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The generation number of each layer (region order) in effect: what a
/// view of the boundaries is keyed by.
pub type Key = Vec<i64>;

pub use feedmap_geography::calendar::{is_date, today};

/// One generation of one layer.
#[derive(Debug, Clone)]
pub struct Generation {
    /// Its number (1: the manifest's file).
    pub number: i64,
    /// The release it comes from (`None`: the manifest).
    pub release: Option<Release>,
    /// The boundaries, or why a stored release no longer builds.
    pub layer: Result<Layer, String>,
    /// When it stops being in effect: the next active generation's
    /// `valid_from`.
    pub valid_to: Option<String>,
}

impl Generation {
    /// Staged, active or withdrawn (the manifest's is active).
    pub fn status(&self) -> ReleaseStatus {
        self.release
            .as_ref()
            .map_or(ReleaseStatus::Active, |r| r.status)
    }

    /// From when it is in effect (`None`: always, for the manifest's).
    pub fn valid_from(&self) -> Option<&str> {
        self.release.as_ref().and_then(|r| r.valid_from.as_deref())
    }

    fn in_effect_on(&self, date: &str) -> bool {
        self.status() == ReleaseStatus::Active && self.valid_from().is_none_or(|f| f <= date)
    }
}

/// Every layer's generations, and the geography of each key asked for.
#[derive(Debug)]
pub struct Generations {
    /// Per layer (region order), its generations by number.
    pub layers: Vec<Vec<Generation>>,
    source: Arc<Source>,
    geos: Mutex<HashMap<Key, Arc<Geo>>>,
    diffs: Mutex<HashMap<(usize, i64, i64), Arc<Diff>>>,
}

/// A release's manifest entry: the layer's, with the release's property
/// overrides (its own files carry no census table).
pub fn release_spec(
    base: &LayerSpec,
    id_property: Option<&str>,
    name_property: Option<&str>,
) -> LayerSpec {
    let mut spec = base.clone();
    if let Some(p) = id_property {
        spec.id_property = Some(p.to_string());
    }
    if let Some(p) = name_property {
        spec.name_property = Some(p.to_string());
    }
    spec.population_file = None;
    spec
}

/// Reads and validates a release's files as a generation of the layer
/// `spec` describes: the layer, or every problem found.
pub fn build_release(
    spec: &LayerSpec,
    files: &[ReleaseFile],
    repair: bool,
    label: &str,
) -> Result<Layer, Vec<Problem>> {
    let raw = read_files(
        files.iter().map(|f| (f.name.as_str(), f.text.as_bytes())),
        &spec.id,
    );
    let built = build_layer(spec, PathBuf::from(label), raw, repair, &HashMap::new());
    match built.layer {
        Some(layer) if built.problems.is_empty() => Ok(layer),
        _ => Err(built.problems),
    }
}

impl Generations {
    /// The manifest's generation of every layer and the releases stored
    /// for them. Layers already built in `previous` are reused (a
    /// release's files never change).
    pub fn new(
        source: Arc<Source>,
        releases: &BTreeMap<i64, Release>,
        files: &BTreeMap<i64, Arc<Vec<ReleaseFile>>>,
        previous: Option<&Generations>,
    ) -> Generations {
        let previous = previous.filter(|p| Arc::ptr_eq(&p.source, &source));
        let built_before = |id: i64| -> Option<Result<Layer, String>> {
            previous?
                .layers
                .iter()
                .flatten()
                .find(|g| g.release.as_ref().is_some_and(|r| r.id == id))
                .map(|g| g.layer.clone())
        };
        let layers = source
            .region
            .layers
            .iter()
            .enumerate()
            .map(|(li, first)| {
                let mut gens = vec![Generation {
                    number: 1,
                    release: None,
                    layer: Ok(first.clone()),
                    valid_to: None,
                }];
                let spec = source.manifest.layers.get(li);
                for r in releases.values().filter(|r| r.layer == first.id) {
                    let layer = built_before(r.id).unwrap_or_else(|| {
                        let (Some(spec), Some(files)) = (spec, files.get(&r.id)) else {
                            return Err("its files are missing from the store".to_string());
                        };
                        let repair = source.options.repair
                            || spec.repair.unwrap_or(source.manifest.repair);
                        build_release(
                            &release_spec(spec, r.id_property.as_deref(), r.name_property.as_deref()),
                            files,
                            repair,
                            &format!("release {}", r.id),
                        )
                        .map_err(|problems| {
                            format!(
                                "{} problem(s), first: {}",
                                problems.len(),
                                problems.first().map(|p| p.to_string()).unwrap_or_default()
                            )
                        })
                    });
                    if let Err(why) = &layer {
                        tracing::error!(release = r.id, layer = %r.layer, "release does not build: {why}");
                    }
                    gens.push(Generation {
                        number: r.generation,
                        release: Some(r.clone()),
                        layer,
                        valid_to: None,
                    });
                }
                gens.sort_by_key(|g| g.number);
                // Each active generation is in effect until the next one.
                let starts: Vec<(i64, Option<String>)> = gens
                    .iter()
                    .filter(|g| g.status() == ReleaseStatus::Active)
                    .map(|g| (g.number, g.valid_from().map(str::to_string)))
                    .collect();
                for g in &mut gens {
                    if g.status() == ReleaseStatus::Active {
                        g.valid_to = starts
                            .iter()
                            .find(|(n, _)| *n > g.number)
                            .and_then(|(_, from)| from.clone());
                    }
                }
                gens
            })
            .collect();
        // A generation number always names the same boundaries, so what
        // was built for a key or a pair of generations stays true.
        let (geos, diffs) = previous
            .map(|p| {
                (
                    p.geos.lock().unwrap_or_else(|e| e.into_inner()).clone(),
                    p.diffs.lock().unwrap_or_else(|e| e.into_inner()).clone(),
                )
            })
            .unwrap_or_default();
        Generations {
            layers,
            source,
            geos: Mutex::new(geos),
            diffs: Mutex::new(diffs),
        }
    }

    /// The generation of each layer in effect on `date`.
    pub fn key_at(&self, date: &str) -> Key {
        self.layers
            .iter()
            .map(|gens| {
                gens.iter()
                    .filter(|g| g.in_effect_on(date) && g.layer.is_ok())
                    .map(|g| g.number)
                    .max()
                    .unwrap_or(1)
            })
            .collect()
    }

    /// The first date after `date` on which a scheduled generation comes
    /// into effect, if any.
    pub fn next_change_after(&self, date: &str) -> Option<String> {
        self.layers
            .iter()
            .flatten()
            .filter(|g| g.status() == ReleaseStatus::Active && g.layer.is_ok())
            .filter_map(|g| g.valid_from())
            .filter(|f| *f > date)
            .min()
            .map(str::to_string)
    }

    /// One generation of one layer.
    pub fn get(&self, layer: usize, number: i64) -> Option<&Generation> {
        self.layers.get(layer)?.iter().find(|g| g.number == number)
    }

    /// The release with id `id`, with its layer's index.
    pub fn release(&self, id: i64) -> Option<(usize, &Generation)> {
        self.layers.iter().enumerate().find_map(|(li, gens)| {
            gens.iter()
                .find(|g| g.release.as_ref().is_some_and(|r| r.id == id))
                .map(|g| (li, g))
        })
    }

    /// The stored release with id `id`.
    pub fn get_release(&self, id: i64) -> Option<&Release> {
        self.release(id).and_then(|(_, g)| g.release.as_ref())
    }

    /// The highest active generation of layer `layer` (scheduled ones
    /// included).
    pub fn latest_active(&self, layer: usize) -> i64 {
        self.layers[layer]
            .iter()
            .filter(|g| g.status() == ReleaseStatus::Active)
            .map(|g| g.number)
            .max()
            .unwrap_or(1)
    }

    /// The moves of feeds and decisions that the active generations in
    /// `key` made, oldest first.
    pub fn migrations(&self, key: &Key) -> Vec<(String, &Migration)> {
        let mut out: Vec<(&str, i64, String, &Migration)> = Vec::new();
        for (li, gens) in self.layers.iter().enumerate() {
            for g in gens {
                let Some(r) = &g.release else { continue };
                if r.status == ReleaseStatus::Active && g.number <= key[li] {
                    for m in &r.migrations {
                        out.push((
                            r.valid_from.as_deref().unwrap_or(""),
                            g.number,
                            r.layer.clone(),
                            m,
                        ));
                    }
                }
            }
        }
        out.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        out.into_iter().map(|(_, _, l, m)| (l, m)).collect()
    }

    /// The geography of `key`, built on first use.
    pub fn geo(&self, key: &Key) -> Arc<Geo> {
        if key.iter().all(|n| *n == 1) {
            return self.source.geo().clone();
        }
        let mut geos = self.geos.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(g) = geos.get(key) {
            return g.clone();
        }
        let started = std::time::Instant::now();
        let first = &self.source.region;
        let layers: Vec<Layer> = key
            .iter()
            .enumerate()
            .map(|(li, n)| match self.get(li, *n).map(|g| &g.layer) {
                Some(Ok(l)) => l.clone(),
                _ => first.layers[li].clone(),
            })
            .collect();
        let relations = Relations::compute(&layers, self.source.options.relations);
        let places = Places::build(&layers);
        let region = Region {
            layers: Arc::new(layers),
            relations: Arc::new(relations),
            places: Arc::new(places),
            ..first.clone()
        };
        tracing::info!(
            generations = ?key,
            ms = started.elapsed().as_millis() as u64,
            "boundary generations combined"
        );
        let geo = Arc::new(Geo::new(region, self.source.population_points().cloned()));
        geos.insert(key.clone(), geo.clone());
        geo
    }

    /// The diff from generation `from` to generation `to` of layer
    /// `layer`, computed on first use (residents from the region's
    /// population source, postcodes from its directory). `None` when one
    /// of them does not exist or does not build.
    pub fn diff(&self, layer: usize, from: i64, to: i64) -> Option<Arc<Diff>> {
        let old = self.get(layer, from)?.layer.as_ref().ok()?;
        let new = self.get(layer, to)?.layer.as_ref().ok()?;
        let mut diffs = self.diffs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = diffs.get(&(layer, from, to)) {
            return Some(d.clone());
        }
        let region = &self.source.region;
        let d = Arc::new(Diff::compute(
            old,
            new,
            Residents::of(
                &region.layers,
                self.source.population_points().map(|p| p.as_slice()),
            ),
            region.postcodes.as_deref(),
        ));
        diffs.insert((layer, from, to), d.clone());
        Some(d)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        for ok in ["2023-05-04", "2024-02-29", "2000-02-29", "1999-12-31"] {
            assert!(super::is_date(ok), "{ok}");
        }
        for bad in [
            "2023-5-04",
            "2023-02-29",
            "1900-02-29",
            "2023-13-01",
            "2023-00-10",
            "20230504xx",
            "2023-05-0a",
            "+023-05-04",
        ] {
            assert!(!super::is_date(bad), "{bad}");
        }
    }
}
