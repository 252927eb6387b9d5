//! Where people live: settlements discovered from residential points.
//!
//! A region's residential points (postcode centroids, address points or
//! population points) are chained into settlements: two points closer than
//! the *gap* (default 200 m) belong to the same settlement, and so does
//! everything chained to them (single linkage). A settlement of at least
//! `min_points` points is kept; smaller groups are isolated homes and
//! farms. Each settlement is outlined (a concave hull of its points,
//! buffered by half the gap, so every point lies inside), measured against
//! its neighbours (the *gap of empty land*: the distance from its points to
//! the nearest home outside it), given residents from the region's
//! population source and named from the names its points carry (e.g. the
//! House of Commons Library's MSOA names in a postcode file), always saying
//! where a figure or name came from.
//!
//! A region without such points but with census small areas (a
//! `population` layer of output areas with residents) gets points laid
//! over its built-up areas instead ([`Residential::of_census_areas`]):
//! dense areas chain through shared boundaries, sparse ones break the
//! chain, and a chain too large to be a place apart is a continuous
//! built-up area, reported rather than listed.
//!
//! Distances are metres on a sphere of the mean Earth radius (equirectangular
//! at each pair's mean latitude: within 0.1 % at these distances). The
//! result depends only on the points and the parameters, never on the
//! machine.

use crate::boundary::Layer;
use crate::lookup::LatLon;
use crate::manifest::Role;
use geo::{
    Buffer, ConcaveHull, Contains, Coord, LineString, MapCoords, MultiPoint, MultiPolygon, Point,
};
use rstar::primitives::GeomWithData;
use rstar::RTree;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// Mean Earth radius, metres.
const EARTH_M: f64 = 6_371_008.8;
/// Metres per degree of latitude on that sphere.
const M_PER_DEG: f64 = EARTH_M * std::f64::consts::PI / 180.0;

/// How settlements are discovered.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct DiscoverParams {
    /// Points closer than this (metres) are chained into one settlement
    /// (default 200).
    pub gap_m: f64,
    /// Fewest points a settlement has (default 5); smaller groups are
    /// isolated homes.
    pub min_points: usize,
}

impl Default for DiscoverParams {
    fn default() -> Self {
        DiscoverParams {
            gap_m: 200.0,
            min_points: 5,
        }
    }
}

impl DiscoverParams {
    /// Checks the ranges: a gap from 1 m to 10 km, at least one point.
    pub fn check(&self) -> Result<(), String> {
        if !(self.gap_m.is_finite() && (1.0..=10_000.0).contains(&self.gap_m)) {
            return Err(format!(
                "gap {} m is out of range: it must be from 1 to 10000 metres",
                self.gap_m
            ));
        }
        if self.min_points == 0 {
            return Err("min_points must be at least 1".into());
        }
        Ok(())
    }
}

/// How settlements are found from census small areas when a region has no
/// postcode or address points ([`Residential::of_census_areas`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CensusAreaParams {
    /// Residents per km² from which an area counts as built up (default
    /// 1,500: an output area of 300 people on 20 ha; farmland and green
    /// belt areas hold far fewer).
    pub dense_per_km2: f64,
    /// Metres between the points laid over a dense area (default 100, half
    /// the default gap, so adjacent dense areas chain).
    pub spacing_m: f64,
    /// Most residents one settlement may have (default 100,000): a longer
    /// chain of dense areas is a continuous built-up area, not a place
    /// apart, and its communities are planned one by one.
    pub max_residents: f64,
}

impl Default for CensusAreaParams {
    fn default() -> Self {
        CensusAreaParams {
            dense_per_km2: 1_500.0,
            spacing_m: 100.0,
            max_residents: 100_000.0,
        }
    }
}

/// A region's residential points: where people live, each with the local
/// name its source gives (if any). Points are in a fixed order (postcodes
/// sorted), so discovery is repeatable.
#[derive(Debug, Clone, Default)]
pub struct Residential {
    /// The points.
    pub points: Vec<LatLon>,
    /// Per point, an index into `names`.
    pub name_of: Vec<Option<u32>>,
    /// Distinct local names.
    pub names: Vec<Arc<str>>,
    /// Where the names come from, in words (e.g. `postcode file column
    /// msoa_hcl_name`).
    pub names_from: Option<String>,
    /// What the points are, in words (e.g. `11264 postcode centroids`).
    pub source: String,
    /// For points laid over census areas: the most residents a settlement
    /// may have; a group with more is a continuous built-up area
    /// ([`CensusAreaParams::max_residents`]).
    pub max_residents: Option<f64>,
}

impl Residential {
    /// The residential points of a region: its live postcodes (with their
    /// local names), else its address points, else its population points;
    /// empty when it has none of them.
    pub fn of_region(
        postcodes: Option<&crate::gazetteer::Postcodes>,
        addresses: Option<&crate::gazetteer::Addresses>,
        population_points: Option<&[(LatLon, f64)]>,
    ) -> Residential {
        let mut out = Residential::default();
        if let Some(pcs) = postcodes.filter(|p| !p.is_empty()) {
            let mut live: Vec<_> = pcs.iter().filter(|e| e.terminated.is_none()).collect();
            live.sort_by(|a, b| a.postcode.cmp(&b.postcode));
            let mut index: HashMap<Arc<str>, u32> = HashMap::new();
            for e in &live {
                out.points.push(LatLon {
                    lat: e.lat,
                    lon: e.lon,
                });
                out.name_of.push(e.local_name.as_ref().map(|n| {
                    *index.entry(n.clone()).or_insert_with(|| {
                        out.names.push(n.clone());
                        (out.names.len() - 1) as u32
                    })
                }));
            }
            out.names_from = pcs
                .name_column
                .as_deref()
                .filter(|_| !out.names.is_empty())
                .map(|c| format!("the postcode file's {c} column"));
            out.source = format!("{} live postcode centroids", live.len());
        } else if let Some(a) = addresses.filter(|a| !a.list.is_empty()) {
            out.points = a
                .list
                .iter()
                .map(|a| LatLon {
                    lat: a.lat,
                    lon: a.lon,
                })
                .collect();
            out.name_of = vec![None; out.points.len()];
            out.source = format!("{} address points", out.points.len());
        } else if let Some(p) = population_points.filter(|p| !p.is_empty()) {
            out.points = p.iter().map(|(at, _)| *at).collect();
            out.name_of = vec![None; out.points.len()];
            out.source = format!("{} population points", out.points.len());
        }
        out
    }

    /// Residential points from census small areas, for a region without
    /// postcodes or address points: every area of `layer` with at least
    /// `params.dense_per_km2` residents per km² is covered by points
    /// `params.spacing_m` apart (one lattice for the whole layer, so the
    /// points of two adjacent dense areas lie that far apart and chain;
    /// an area too small to hold a lattice point gets one at an interior
    /// point). Sparse areas (farmland, parks, the green belt) get none, so
    /// they break the chain. Each point takes its name from `names` (the
    /// area of that layer it lies in), when given.
    pub fn of_census_areas(
        layer: &Layer,
        params: &CensusAreaParams,
        names: Option<&Layer>,
    ) -> Residential {
        let mut out = Residential::default();
        let dense: Vec<&crate::area::Area> = layer
            .areas
            .iter()
            .filter(|a| {
                a.population.is_some_and(|p| {
                    a.area_m2 > 0.0 && p / (a.area_m2 / 1e6) >= params.dense_per_km2
                })
            })
            .collect();
        if dense.is_empty() {
            return out;
        }
        let lat0 = dense.iter().map(|a| a.bbox.center().y).sum::<f64>() / dense.len() as f64;
        let step_lat = params.spacing_m / M_PER_DEG;
        let step_lon = params.spacing_m / (M_PER_DEG * lat0.to_radians().cos());
        let mut index: HashMap<Arc<str>, u32> = HashMap::new();
        let mut found = Vec::new();
        for a in &dense {
            let before = out.points.len();
            lattice(&a.geometry, step_lon, step_lat, &mut out.points);
            for p in &out.points[before..] {
                let name = names.and_then(|l| {
                    l.index.locate_into(&l.areas, p.lon, p.lat, &mut found);
                    found.first().map(|&k| l.areas[k].name.as_str())
                });
                out.name_of.push(name.map(|n| {
                    let n: Arc<str> = Arc::from(n);
                    *index.entry(n.clone()).or_insert_with(|| {
                        out.names.push(n);
                        (out.names.len() - 1) as u32
                    })
                }));
            }
        }
        out.names_from = names
            .filter(|_| !out.names.is_empty())
            .map(|l| format!("the names of layer {}", l.id));
        out.max_residents = Some(params.max_residents);
        out.source = format!(
            "{} points {} m apart over the {} census areas of layer {} with at least {} residents per km²",
            out.points.len(),
            params.spacing_m,
            dense.len(),
            layer.id,
            params.dense_per_km2
        );
        out
    }

    /// Residential points over a built-up areas layer, for a region without
    /// postcodes, address or population points: every place is covered by
    /// points `spacing_m` apart (one lattice for the layer; a place too
    /// small to hold a lattice point gets one at an interior point), so
    /// each place has points to weigh its residents by and to measure its
    /// distance to the others.
    pub fn of_built_up(layer: &Layer, spacing_m: f64) -> Residential {
        let mut out = Residential::default();
        if layer.areas.is_empty() {
            return out;
        }
        let lat0 =
            layer.areas.iter().map(|a| a.bbox.center().y).sum::<f64>() / layer.areas.len() as f64;
        let step_lat = spacing_m / M_PER_DEG;
        let step_lon = spacing_m / (M_PER_DEG * lat0.to_radians().cos());
        for a in layer.areas.iter() {
            lattice(&a.geometry, step_lon, step_lat, &mut out.points);
        }
        out.name_of = vec![None; out.points.len()];
        out.source = format!(
            "{} points {spacing_m} m apart over the {} built-up areas of layer {}",
            out.points.len(),
            layer.areas.len(),
            layer.id
        );
        out
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

/// Pushes the points of the lattice `step_lon` × `step_lat` degrees (one
/// lattice for every area, anchored at 0°, 0°) that lie inside `geometry`;
/// an area too small to hold one gets one at an interior point.
fn lattice(geometry: &MultiPolygon<f64>, step_lon: f64, step_lat: f64, out: &mut Vec<LatLon>) {
    use geo::{BoundingRect, InteriorPoint};
    let Some(bb) = geometry.bounding_rect() else {
        return;
    };
    let before = out.len();
    let (i0, i1) = (
        (bb.min().x / step_lon).ceil() as i64,
        (bb.max().x / step_lon).floor() as i64,
    );
    let (j0, j1) = (
        (bb.min().y / step_lat).ceil() as i64,
        (bb.max().y / step_lat).floor() as i64,
    );
    for j in j0..=j1 {
        for i in i0..=i1 {
            let p = Point::new(i as f64 * step_lon, j as f64 * step_lat);
            if geometry.contains(&p) {
                out.push(LatLon {
                    lat: p.y(),
                    lon: p.x(),
                });
            }
        }
    }
    if out.len() == before {
        if let Some(p) = geometry.interior_point() {
            out.push(LatLon {
                lat: p.y(),
                lon: p.x(),
            });
        }
    }
}

/// Residents each residential point stands for, and where that came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// Per residential point.
    pub per_point: Vec<f64>,
    /// In words, e.g. `layer oas (738 areas with population), shared
    /// among the postcodes inside each`.
    pub source: String,
}

impl Weights {
    /// Residents per point from the region's population source: the finest
    /// layer whose every area has a population (a `population` layer
    /// first), each area's residents shared equally among the points inside
    /// it; else the population points, each given to its nearest
    /// residential point. `None` when the region knows no population.
    pub fn estimate(
        res: &Residential,
        layers: &[Layer],
        population_points: Option<&[(LatLon, f64)]>,
    ) -> Option<Weights> {
        if res.is_empty() {
            return None;
        }
        let full =
            |l: &Layer| !l.areas.is_empty() && l.areas.iter().all(|a| a.population.is_some());
        let layer = layers
            .iter()
            .filter(|l| full(l))
            .max_by_key(|l| (l.role == Role::Population, l.areas.len()));
        if let Some(l) = layer {
            let mut found = Vec::new();
            let mut area_of = vec![None; res.len()];
            let mut count = vec![0usize; l.areas.len()];
            for (i, p) in res.points.iter().enumerate() {
                l.index.locate_into(&l.areas, p.lon, p.lat, &mut found);
                if let Some(&a) = found.first() {
                    area_of[i] = Some(a);
                    count[a] += 1;
                }
            }
            let per_point = area_of
                .iter()
                .map(|a| {
                    a.map_or(0.0, |a| {
                        l.areas[a].population.unwrap_or(0.0) / count[a] as f64
                    })
                })
                .collect();
            let empty = count.iter().filter(|&&n| n == 0).count();
            return Some(Weights {
                per_point,
                source: format!(
                    "layer {} ({} areas with population), each area's residents shared among the points inside it{}",
                    l.id,
                    l.areas.len(),
                    if empty > 0 {
                        format!(" ({empty} areas hold no point and are left out)")
                    } else {
                        String::new()
                    }
                ),
            });
        }
        let pp = population_points.filter(|p| !p.is_empty())?;
        let proj = Projection::of(&res.points);
        let tree: RTree<GeomWithData<[f64; 2], usize>> = RTree::bulk_load(
            res.points
                .iter()
                .enumerate()
                .map(|(i, p)| GeomWithData::new(proj.xy(*p), i))
                .collect(),
        );
        let mut per_point = vec![0.0; res.len()];
        for (at, n) in pp {
            if let Some(near) = tree.nearest_neighbor(&proj.xy(*at)) {
                per_point[near.data] += n;
            }
        }
        Some(Weights {
            per_point,
            source: format!(
                "{} population points, each given to the nearest residential point",
                pp.len()
            ),
        })
    }
}

/// One discovered settlement.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Settlement {
    /// `S` and the index of its first point (postcodes in order): the
    /// same points give the same ids; for a place of a built-up areas
    /// layer, the place's own id (e.g. `E63004832`).
    pub id: String,
    /// Its name (from its points' local names, or its position).
    pub name: String,
    /// Where the name came from.
    pub name_source: String,
    /// Residential points in it.
    pub points: usize,
    /// Estimated residents (`None` when the region knows no population).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residents: Option<f64>,
    /// Distance in metres from its points to the nearest residential point
    /// outside it (`None` when there is no other).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap_m: Option<f64>,
    /// Distance in metres from its points to the nearest larger settlement
    /// (one of more points; `None` for the largest): how far apart it lies
    /// from the places it would otherwise be part of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub isolation_m: Option<f64>,
    /// The id of that nearest larger settlement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nearest_larger: Option<String>,
    /// Mean of its points.
    pub centre: LatLon,
    /// Its outline (lon/lat), containing every point.
    #[serde(skip)]
    #[schemars(skip)]
    pub outline: MultiPolygon<f64>,
    /// Indexes of its residential points, ascending.
    #[serde(skip)]
    #[schemars(skip)]
    pub members: Vec<u32>,
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Settlements {
    /// The residential points they were found in.
    pub residential: Residential,
    /// Settlements, most points first (then by id).
    pub list: Vec<Settlement>,
    /// The parameters used.
    pub params: DiscoverParams,
    /// Per residential point, the settlement (index into `list`) it is in.
    pub of_point: Vec<Option<u32>>,
    /// Residents per residential point and where they came from (`None`:
    /// unknown).
    pub weights: Option<Weights>,
    /// Residents of each continuous built-up area left out (chains of
    /// census areas over [`Residential::max_residents`]).
    pub built_up: Vec<f64>,
    /// When the settlements are a built-up areas layer's places
    /// ([`from_built_up`]): which layer, and how many of its places were
    /// kept; `None` when they were discovered.
    pub layer: Option<BuiltUpLayer>,
}

/// The built-up areas layer settlements were taken from.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct BuiltUpLayer {
    /// The layer's id.
    pub layer: String,
    /// Its places (after joining the pieces of one place).
    pub places: usize,
    /// Places holding no residential point, left out (none of the region's
    /// people are known to live there).
    pub without_points: usize,
}

/// Settlements as GeoJSON ([`Settlements::to_geojson`]).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SettlementCollection {
    /// `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// How they were found.
    pub discovery: Discovery,
    /// One feature per settlement, most points first.
    pub features: Vec<SettlementFeature>,
}

/// How settlements were found.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Discovery {
    /// The parameters.
    #[serde(flatten)]
    pub params: DiscoverParams,
    /// What the residential points were.
    pub points_from: String,
    /// Where residents came from (absent: unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residents_from: Option<String>,
    /// How many were found.
    pub settlements: usize,
    /// Residents of each continuous built-up area left out: chains of
    /// census areas too large to be a place apart (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub built_up_residents: Vec<f64>,
    /// The built-up areas layer the settlements are the places of (absent:
    /// discovered from the points).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub built_up_layer: Option<BuiltUpLayer>,
}

/// One settlement as a GeoJSON feature: its outline and figures.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SettlementFeature {
    /// `Feature`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The settlement's id.
    pub id: String,
    /// Its figures.
    pub properties: Settlement,
    /// Its outline, a GeoJSON (Multi)Polygon in lon/lat.
    #[schemars(with = "serde_json::Value")]
    pub geometry: geojson::Geometry,
}

/// A local equirectangular projection to metres around the points' mean
/// latitude (for indexes and outlines; distances that are reported are
/// measured at each pair's own latitude).
#[derive(Debug, Clone, Copy)]
struct Projection {
    kx: f64,
    lon0: f64,
    lat0: f64,
}

impl Projection {
    fn of(points: &[LatLon]) -> Projection {
        let n = points.len().max(1) as f64;
        let lat0 = points.iter().map(|p| p.lat).sum::<f64>() / n;
        let lon0 = points.iter().map(|p| p.lon).sum::<f64>() / n;
        Projection {
            kx: M_PER_DEG * lat0.to_radians().cos(),
            lon0,
            lat0,
        }
    }
    fn xy(&self, p: LatLon) -> [f64; 2] {
        [
            (p.lon - self.lon0) * self.kx,
            (p.lat - self.lat0) * M_PER_DEG,
        ]
    }
    fn lonlat(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: self.lon0 + c.x / self.kx,
            y: self.lat0 + c.y / M_PER_DEG,
        }
    }
}

/// Metres between two points (equirectangular at their mean latitude).
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    distance_2(a, b).sqrt()
}

/// [`distance_m`] squared (m²), for comparisons.
fn distance_2(a: LatLon, b: LatLon) -> f64 {
    let k = ((a.lat + b.lat) * 0.5).to_radians().cos();
    let dx = (a.lon - b.lon) * k * M_PER_DEG;
    let dy = (a.lat - b.lat) * M_PER_DEG;
    dx * dx + dy * dy
}

/// Union-find over point indexes (union by size, path halving).
struct Sets {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl Sets {
    fn new(n: usize) -> Sets {
        Sets {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }
    fn find(&mut self, mut i: u32) -> u32 {
        while self.parent[i as usize] != i {
            let g = self.parent[self.parent[i as usize] as usize];
            self.parent[i as usize] = g;
            i = g;
        }
        i
    }
    fn union(&mut self, a: u32, b: u32) {
        let (a, b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        let (big, small) = if self.size[a as usize] >= self.size[b as usize] {
            (a, b)
        } else {
            (b, a)
        };
        self.parent[small as usize] = big;
        self.size[big as usize] += self.size[small as usize];
    }
}

/// Chains points closer than `gap_m`: returns each point's group root.
/// Points are bucketed in cells at least `gap_m` wide everywhere, so only
/// the eight neighbouring cells need looking at.
fn chain(points: &[LatLon], gap_m: f64) -> Vec<u32> {
    let n = points.len();
    let mut sets = Sets::new(n);
    if n == 0 {
        return Vec::new();
    }
    let max_lat = points
        .iter()
        .map(|p| p.lat.abs())
        .fold(0.0_f64, f64::max)
        .min(89.0);
    let cell_lat = gap_m / M_PER_DEG;
    let cell_lon = gap_m / (M_PER_DEG * max_lat.to_radians().cos());
    let key = |p: &LatLon| {
        (
            (p.lat / cell_lat).floor() as i64,
            (p.lon / cell_lon).floor() as i64,
        )
    };
    let mut order: Vec<u32> = (0..n as u32).collect();
    let keys: Vec<(i64, i64)> = points.iter().map(key).collect();
    order.sort_unstable_by_key(|&i| keys[i as usize]);
    // Each occupied cell's run in `order`, in key order (visiting cells in
    // that order keeps neighbours close in memory), and by key.
    let mut runs: Vec<((i64, i64), (usize, usize))> = Vec::new();
    let mut start = 0;
    for i in 1..=n {
        if i == n || keys[order[i] as usize] != keys[order[start] as usize] {
            runs.push((keys[order[start] as usize], (start, i)));
            start = i;
        }
    }
    let cells: HashMap<(i64, i64), (usize, usize)> = runs.iter().copied().collect();
    let gap2 = gap_m * gap_m;
    let close = |i: u32, j: u32| distance_2(points[i as usize], points[j as usize]) <= gap2;
    // Each pair of cells once: the cell itself and four of its neighbours.
    const NEXT: [(i64, i64); 4] = [(0, 1), (1, -1), (1, 0), (1, 1)];
    for &((cy, cx), (s, e)) in &runs {
        let here = &order[s..e];
        for (k, &i) in here.iter().enumerate() {
            for &j in &here[k + 1..] {
                if close(i, j) {
                    sets.union(i, j);
                }
            }
        }
        for (dy, dx) in NEXT {
            let Some(&(s2, e2)) = cells.get(&(cy + dy, cx + dx)) else {
                continue;
            };
            for &i in here {
                for &j in &order[s2..e2] {
                    if close(i, j) {
                        sets.union(i, j);
                    }
                }
            }
        }
    }
    (0..n as u32).map(|i| sets.find(i)).collect()
}

/// An outline containing every point: the concave hull of the points
/// (edges shorter than the gap are not cut into), buffered by half the
/// gap; a point or a line of points is buffered alone.
fn outline(points: &[LatLon], gap_m: f64) -> MultiPolygon<f64> {
    let proj = Projection::of(points);
    let xy: Vec<Point<f64>> = points
        .iter()
        .map(|p| {
            let [x, y] = proj.xy(*p);
            Point::new(x, y)
        })
        .collect();
    let mp = MultiPoint::new(xy);
    let style = geo::algorithm::buffer::BufferStyle::new(gap_m * 0.5);
    let shape: MultiPolygon<f64> = if points.len() >= 3 {
        let hull = mp.concave_hull_with_options(geo::algorithm::concave_hull::ConcaveHullOptions {
            concavity: 2.0,
            length_threshold: gap_m,
        });
        if geo::Area::unsigned_area(&hull) > 1.0 {
            hull.buffer_with_style(style)
        } else {
            LineString::from(mp.0.iter().map(|p| p.0).collect::<Vec<_>>()).buffer_with_style(style)
        }
    } else {
        mp.buffer_with_style(style)
    };
    shape.map_coords(|c| proj.lonlat(c))
}

/// Names a settlement from its points' local names: the name of at least
/// half its points, or the only name any of them has; else the two
/// commonest and how many more. `None` when none of its points has a name
/// (the caller then names it by where it is).
fn name(res: &Residential, members: &[u32]) -> Option<(String, String)> {
    let from = res.names_from.as_ref()?;
    let mut counts: HashMap<u32, usize> = HashMap::new();
    for &m in members {
        if let Some(n) = res.name_of[m as usize] {
            *counts.entry(n).or_default() += 1;
        }
    }
    let mut ranked: Vec<(u32, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(res.names[a.0 as usize].cmp(&res.names[b.0 as usize]))
    });
    let (&(top, n), total) = (ranked.first()?, members.len());
    let pct = |n: usize| 100.0 * n as f64 / total as f64;
    let top_name = res.names[top as usize].to_string();
    if 2 * n >= total || ranked.len() == 1 {
        return Some((
            top_name,
            format!("{from}: the name of {:.0} % of its points", pct(n)),
        ));
    }
    if let Some(shared) = crate::gazetteer::shared_place_name(
        ranked
            .iter()
            .map(|&(k, n)| (&*res.names[k as usize], n as f64)),
    ) {
        let holding: usize = ranked
            .iter()
            .filter(|&&(k, _)| {
                let n = &*res.names[k as usize];
                n == shared || n.starts_with(&format!("{shared} "))
            })
            .map(|&(_, n)| n)
            .sum();
        return Some((
            shared,
            format!(
                "{from}: the place name shared by the names of {:.0} % of its points ({} names in all)",
                pct(holding),
                ranked.len()
            ),
        ));
    }
    let second = res.names[ranked[1].0 as usize].to_string();
    let more = ranked.len() - 2;
    let name = if more == 0 {
        format!("{top_name} & {second}")
    } else {
        format!("{top_name}, {second} and {more} more")
    };
    Some((
        name,
        format!(
            "{from}: its commonest names ({:.0} % and {:.0} % of its points, {} names in all)",
            pct(n),
            pct(ranked[1].1),
            ranked.len()
        ),
    ))
}

/// Discovers the settlements of `res` (see the module documentation).
/// `weights` gives residents per point (kept in the answer); `place_of` names a point's place
/// when the points carry no names (e.g. the community area there).
pub fn discover(
    res: Residential,
    weights: Option<Weights>,
    params: DiscoverParams,
    place_of: &(dyn Fn(LatLon) -> Option<String> + Sync),
) -> Settlements {
    let started = std::time::Instant::now();
    let ms = |t: std::time::Instant| t.elapsed().as_millis() as u64;
    let roots = chain(&res.points, params.gap_m);
    let chained = std::time::Instant::now();
    // Points by group, each group's points ascending.
    let mut order: Vec<u32> = (0..roots.len() as u32).collect();
    order.sort_unstable_by_key(|&i| (roots[i as usize], i));
    let mut kept: Vec<Vec<u32>> = order
        .chunk_by(|&a, &b| roots[a as usize] == roots[b as usize])
        .filter(|g| g.len() >= params.min_points)
        .map(<[u32]>::to_vec)
        .collect();
    // Most points first, then by first point: repeatable.
    kept.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));
    // Chains of census areas too large to be one place apart.
    let mut built_up = Vec::new();
    if let (Some(max), Some(w)) = (res.max_residents, &weights) {
        kept.retain(|g| {
            let residents: f64 = g.iter().map(|&m| w.per_point[m as usize]).sum();
            if residents > max {
                built_up.push(residents);
            }
            residents <= max
        });
    }
    let grouped = std::time::Instant::now();
    let measured = Measured::new(&res, weights.as_ref(), kept, &roots);
    let isolated = std::time::Instant::now();
    let list = crate::parallel::map_indexed(measured.kept.len(), "outlining settlements", |s| {
        let g = &measured.kept[s];
        let centre = measured.centre(s);
        let (name, name_source) = name(&res, g).unwrap_or_else(|| match place_of(centre) {
            Some(place) => (
                format!("Settlement in {place}"),
                "the community area at its centre (no local names given)".into(),
            ),
            None => (
                format!("Settlement at {:.4}, {:.4}", centre.lat, centre.lon),
                "its position (no local names given)".into(),
            ),
        });
        let pts: Vec<LatLon> = g.iter().map(|&m| res.points[m as usize]).collect();
        measured.settlement(
            s,
            |t| format!("S{}", measured.kept[t][0]),
            (name, name_source),
            centre,
            outline(&pts, params.gap_m),
        )
    });
    tracing::info!(
        points = res.len(),
        settlements = list.len(),
        chain_ms = chained.duration_since(started).as_millis() as u64,
        group_ms = grouped.duration_since(chained).as_millis() as u64,
        measure_ms = isolated.duration_since(grouped).as_millis() as u64,
        outline_ms = ms(isolated),
        "settlement discovery by stage"
    );
    Settlements {
        of_point: measured.of_point,
        residential: res,
        list,
        params,
        weights,
        built_up,
        layer: None,
    }
}

/// The name a built-up area goes by: its published name without the
/// edition's suffix (`Aspull BUA` → `Aspull`, `Hale BUASD` → `Hale`).
pub fn place_name(published: &str) -> &str {
    let t = published.trim();
    [" BUASD", " BUA"]
        .iter()
        .find_map(|suffix| t.strip_suffix(suffix))
        .map_or(t, str::trim_end)
}

/// Settlements as a built-up areas layer publishes them: each place of
/// `layer` holding residential points is a settlement, named by the layer,
/// outlined by its own boundary, weighed by the residents of the points
/// inside it and measured against the others (its gap to the nearest
/// point outside it, its isolation from the nearest larger place). `params`
/// are kept for the record; nothing is chained.
pub fn from_built_up(
    layer: &Layer,
    res: Residential,
    weights: Option<Weights>,
    params: DiscoverParams,
) -> Settlements {
    let mut found = Vec::new();
    let mut groups: Vec<Vec<u32>> = vec![Vec::new(); layer.areas.len()];
    let mut roots: Vec<u32> = (0..res.len() as u32).collect();
    for (i, p) in res.points.iter().enumerate() {
        layer
            .index
            .locate_into(&layer.areas, p.lon, p.lat, &mut found);
        if let Some(&a) = found.iter().min() {
            groups[a].push(i as u32);
        }
    }
    for g in &groups {
        for &m in g {
            roots[m as usize] = g[0];
        }
    }
    let without_points = groups.iter().filter(|g| g.is_empty()).count();
    let mut kept: Vec<(usize, Vec<u32>)> = groups
        .into_iter()
        .enumerate()
        .filter(|(_, g)| !g.is_empty())
        .collect();
    kept.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.1[0].cmp(&b.1[0])));
    let (place, kept): (Vec<usize>, Vec<Vec<u32>>) = kept.into_iter().unzip();
    let measured = Measured::new(&res, weights.as_ref(), kept, &roots);
    let list = (0..measured.kept.len())
        .map(|s| {
            let area = &layer.areas[place[s]];
            measured.settlement(
                s,
                |t| layer.areas[place[t]].id.clone(),
                (
                    place_name(&area.name).to_string(),
                    format!(
                        "the built-up areas layer {} (published as {:?})",
                        layer.id, area.name
                    ),
                ),
                measured.centre(s),
                area.geometry.clone(),
            )
        })
        .collect::<Vec<_>>();
    tracing::info!(
        points = res.len(),
        places = layer.areas.len(),
        settlements = list.len(),
        "settlements taken from a built-up areas layer"
    );
    Settlements {
        of_point: measured.of_point,
        residential: res,
        list,
        params,
        weights,
        built_up: Vec::new(),
        layer: Some(BuiltUpLayer {
            layer: layer.id.clone(),
            places: layer.areas.len(),
            without_points,
        }),
    }
}

/// Groups of residential points (settlements to be), measured against
/// each other and the homes around them: what a settlement's figures come
/// from, however its points were grouped.
struct Measured<'a> {
    res: &'a Residential,
    weights: Option<&'a Weights>,
    /// The groups, largest first, each's points ascending.
    kept: Vec<Vec<u32>>,
    /// Per point, its group.
    of_point: Vec<Option<u32>>,
    gaps: Vec<Option<f64>>,
    isolation: Vec<Option<(f64, usize)>>,
}

impl<'a> Measured<'a> {
    /// Measures `kept`; `roots` gives each point's group root (points of
    /// one group share it; a point in none has its own).
    fn new(
        res: &'a Residential,
        weights: Option<&'a Weights>,
        kept: Vec<Vec<u32>>,
        roots: &[u32],
    ) -> Measured<'a> {
        let mut of_point = vec![None; res.len()];
        for (s, g) in kept.iter().enumerate() {
            for &m in g {
                of_point[m as usize] = Some(s as u32);
            }
        }
        // One projection for both searches.
        let proj = Projection::of(&res.points);
        let gaps = gaps(res, &proj, &kept, roots);
        let isolation = isolation(res, &proj, &kept);
        Measured {
            res,
            weights,
            kept,
            of_point,
            gaps,
            isolation,
        }
    }

    /// The mean of group `s`'s points.
    fn centre(&self, s: usize) -> LatLon {
        let g = &self.kept[s];
        let n = g.len() as f64;
        let at = |m: &u32| self.res.points[*m as usize];
        LatLon {
            lat: g.iter().map(|m| at(m).lat).sum::<f64>() / n,
            lon: g.iter().map(|m| at(m).lon).sum::<f64>() / n,
        }
    }

    /// Group `s` as a settlement: `id_of` gives a group's id, `named` its
    /// name and where that came from.
    fn settlement(
        &self,
        s: usize,
        id_of: impl Fn(usize) -> String,
        named: (String, String),
        centre: LatLon,
        outline: MultiPolygon<f64>,
    ) -> Settlement {
        let g = &self.kept[s];
        Settlement {
            id: id_of(s),
            name: named.0,
            name_source: named.1,
            points: g.len(),
            residents: self
                .weights
                .map(|w| g.iter().map(|&m| w.per_point[m as usize]).sum::<f64>()),
            gap_m: self.gaps[s],
            isolation_m: self.isolation[s].map(|(d, _)| d),
            nearest_larger: self.isolation[s].map(|(_, t)| id_of(t)),
            centre,
            outline,
            members: g.clone(),
        }
    }
}

/// Per kept group: metres to the nearest point of another group (kept or
/// not). Searched from every point of the group, nearest first, stopping
/// at the best distance found so far, so a large group's inner points cost
/// little.
fn gaps(
    res: &Residential,
    proj: &Projection,
    kept: &[Vec<u32>],
    roots: &[u32],
) -> Vec<Option<f64>> {
    let tree: RTree<GeomWithData<[f64; 2], u32>> = RTree::bulk_load(
        res.points
            .iter()
            .enumerate()
            .map(|(i, p)| GeomWithData::new(proj.xy(*p), i as u32))
            .collect(),
    );
    crate::parallel::map_indexed(kept.len(), "measuring gaps", |s| {
        let g = &kept[s];
        let root = roots[g[0] as usize];
        let mut best: Option<(f64, u32, u32)> = None;
        for &m in g {
            let q = proj.xy(res.points[m as usize]);
            for (other, d2) in tree.nearest_neighbor_iter_with_distance_2(&q) {
                if best.is_some_and(|(b, _, _)| d2 >= b) {
                    break;
                }
                if roots[other.data as usize] != root {
                    best = Some((d2, m, other.data));
                    break;
                }
            }
        }
        best.map(|(_, a, b)| distance_m(res.points[a as usize], res.points[b as usize]))
    })
}

/// Per kept group (largest first): metres to the nearest point of a group
/// before it in the list, and which. Each group's points are indexed on
/// their own; a group asks the earlier groups nearest box first, stopping
/// once a box lies beyond the best found, and skips its points that lie
/// beyond it from the box.
fn isolation(res: &Residential, proj: &Projection, kept: &[Vec<u32>]) -> Vec<Option<(f64, usize)>> {
    type Tree = RTree<GeomWithData<[f64; 2], u32>>;
    let trees: Vec<Tree> = crate::parallel::map_indexed(kept.len(), "indexing settlements", |s| {
        RTree::bulk_load(
            kept[s]
                .iter()
                .map(|&m| GeomWithData::new(proj.xy(res.points[m as usize]), m))
                .collect(),
        )
    });
    let boxes: Vec<rstar::AABB<[f64; 2]>> = trees.iter().map(|t| t.root().envelope()).collect();
    // The groups' boxes, searched nearest first from a group's centre: a
    // box at distance d from the centre is at least d − r from the group
    // (r: the centre's farthest corner), which bounds the search.
    let box_tree: RTree<GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, usize>> =
        RTree::bulk_load(
            boxes
                .iter()
                .enumerate()
                .map(|(t, b)| GeomWithData::new(rstar::primitives::Rectangle::from_aabb(*b), t))
                .collect(),
        );
    crate::parallel::map_indexed(kept.len(), "measuring isolation", |s| {
        let (lo, hi) = (boxes[s].lower(), boxes[s].upper());
        let centre = [(lo[0] + hi[0]) * 0.5, (lo[1] + hi[1]) * 0.5];
        let r = 0.5 * ((hi[0] - lo[0]).powi(2) + (hi[1] - lo[1]).powi(2)).sqrt();
        // (squared distance, own point, other point, other group)
        let mut best: Option<(f64, u32, u32, usize)> = None;
        for (b, d2) in box_tree.nearest_neighbor_iter_with_distance_2(&centre) {
            let t = b.data;
            if t >= s {
                continue;
            }
            if let Some((bd, ..)) = best {
                let lower = (d2.sqrt() - r).max(0.0);
                if lower * lower >= bd {
                    break;
                }
                if box_distance_2(&boxes[s], &boxes[t]) >= bd {
                    continue;
                }
            }
            for &m in &kept[s] {
                let q = proj.xy(res.points[m as usize]);
                if best.is_some_and(|(b, ..)| boxes[t].distance_2(&q) >= b) {
                    continue;
                }
                if let Some((p, d2)) = trees[t].nearest_neighbor_iter_with_distance_2(&q).next() {
                    if best.is_none_or(|(b, ..)| d2 < b) {
                        best = Some((d2, m, p.data, t));
                    }
                }
            }
        }
        best.map(|(_, a, b, t)| {
            (
                distance_m(res.points[a as usize], res.points[b as usize]),
                t,
            )
        })
    })
}

/// Squared distance between two boxes (0 when they meet).
fn box_distance_2(a: &rstar::AABB<[f64; 2]>, b: &rstar::AABB<[f64; 2]>) -> f64 {
    let gap = |lo_a: f64, hi_a: f64, lo_b: f64, hi_b: f64| (lo_b - hi_a).max(lo_a - hi_b).max(0.0);
    let dx = gap(a.lower()[0], a.upper()[0], b.lower()[0], b.upper()[0]);
    let dy = gap(a.lower()[1], a.upper()[1], b.lower()[1], b.upper()[1]);
    dx * dx + dy * dy
}

impl Settlements {
    /// The settlement with id `id`, if any.
    pub fn by_id(&self, id: &str) -> Option<&Settlement> {
        self.list.iter().find(|s| s.id == id)
    }

    /// The settlements as a GeoJSON FeatureCollection (figures rounded:
    /// residents to 1, distances to 1 m, coordinates to 1e-6°), loadable
    /// as a community layer with `id_property = "id"`, `name_property =
    /// "name"`, `population_property = "residents"`.
    pub fn to_geojson(&self) -> SettlementCollection {
        let round6 = |v: f64| (v * 1e6).round() / 1e6;
        let features = self
            .list
            .iter()
            .map(|s| {
                let outline = s.outline.map_coords(|c| Coord {
                    x: round6(c.x),
                    y: round6(c.y),
                });
                SettlementFeature {
                    kind: "Feature",
                    id: s.id.clone(),
                    properties: Settlement {
                        residents: s.residents.map(f64::round),
                        gap_m: s.gap_m.map(f64::round),
                        isolation_m: s.isolation_m.map(f64::round),
                        centre: LatLon {
                            lat: round6(s.centre.lat),
                            lon: round6(s.centre.lon),
                        },
                        outline: MultiPolygon::new(Vec::new()),
                        members: Vec::new(),
                        ..s.clone()
                    },
                    geometry: geojson::Geometry::new(geojson::GeometryValue::from(&outline)),
                }
            })
            .collect();
        SettlementCollection {
            kind: "FeatureCollection",
            discovery: Discovery {
                params: self.params,
                points_from: self.residential.source.clone(),
                residents_from: self.weights.as_ref().map(|w| w.source.clone()),
                settlements: self.list.len(),
                built_up_residents: self.built_up.iter().map(|r| r.round()).collect(),
                built_up_layer: self.layer.clone(),
            },
            features,
        }
    }

    /// Whether settlement `s`'s outline contains every one of its points
    /// (a check for tests and `feedmap discover`).
    pub fn outline_holds_points(&self, s: usize) -> bool {
        let st = &self.list[s];
        st.members.iter().all(|&m| {
            let p = self.residential.points[m as usize];
            st.outline.contains(&Point::new(p.lon, p.lat))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(points: &[(f64, f64)]) -> Residential {
        Residential {
            points: points
                .iter()
                .map(|&(lat, lon)| LatLon { lat, lon })
                .collect(),
            name_of: vec![None; points.len()],
            ..Residential::default()
        }
    }

    /// A row of points `step_m` apart going east from (53.4, -2.3).
    fn row(n: usize, step_m: f64, lon0: f64) -> Vec<(f64, f64)> {
        let k = M_PER_DEG * 53.4_f64.to_radians().cos();
        (0..n)
            .map(|i| (53.4, lon0 + i as f64 * step_m / k))
            .collect()
    }

    /// A square place of side `side_m` metres, its south-west corner at
    /// (53.4, `lon0`).
    fn place(id: &str, name: &str, lon0: f64, side_m: f64) -> crate::area::Area {
        let (dlat, dlon) = (
            side_m / M_PER_DEG,
            side_m / (M_PER_DEG * 53.4_f64.to_radians().cos()),
        );
        let ring = geo::LineString::from(vec![
            (lon0, 53.4),
            (lon0 + dlon, 53.4),
            (lon0 + dlon, 53.4 + dlat),
            (lon0, 53.4 + dlat),
            (lon0, 53.4),
        ]);
        crate::area::Area::new(
            id.into(),
            name.into(),
            MultiPolygon(vec![geo::Polygon::new(ring, vec![])]),
            None,
        )
    }

    #[test]
    fn published_names_lose_the_editions_suffix() {
        assert_eq!(place_name("Aspull BUA"), "Aspull");
        assert_eq!(place_name("Hale BUASD "), "Hale");
        assert_eq!(place_name("Partington"), "Partington");
        assert_eq!(place_name("BUA"), "BUA");
    }

    #[test]
    fn built_up_places_are_the_settlements_measured_against_each_other() {
        // A town of 1 km a side, a village of 300 m 1 km east of it, and a
        // place with nobody in it 5 km east.
        let k = M_PER_DEG * 53.4_f64.to_radians().cos();
        let (town, village) = (
            place("E63000001", "Town BUA", -2.3, 1000.0),
            place("E63000002", "Village BUA", -2.3 + 2000.0 / k, 300.0),
        );
        let empty = place("E63000003", "Empty BUA", -2.3 + 7000.0 / k, 300.0);
        let layer = Layer::new(
            "bua",
            "bua",
            Role::BuiltUp,
            "bua.geojson".into(),
            vec![town, village, empty],
        );
        let mut r = Residential::of_built_up(&layer, 100.0);
        // A lattice 100 m apart: about 10 × 10 in the town, 3 × 3 in the
        // village, 3 × 3 in the empty place.
        assert!((90..=121).contains(&r.len()), "{}", r.len());
        // Nobody lives in the third place: its points are dropped, and a
        // farm lies between the town and the village.
        r.points.retain(|p| p.lon < -2.3 + 6000.0 / k);
        r.points.push(LatLon {
            lat: 53.401,
            lon: -2.3 + 1500.0 / k,
        });
        r.name_of = vec![None; r.points.len()];
        let s = from_built_up(&layer, r, None, DiscoverParams::default());
        let b = s.layer.as_ref().unwrap();
        assert_eq!((b.places, b.without_points), (3, 1));
        assert_eq!(s.list.len(), 2);
        let (t, v) = (&s.list[0], &s.list[1]);
        assert_eq!((t.id.as_str(), t.name.as_str()), ("E63000001", "Town"));
        assert_eq!((v.id.as_str(), v.name.as_str()), ("E63000002", "Village"));
        assert!(t.name_source.contains("\"Town BUA\""), "{}", t.name_source);
        // The farm is the nearest home outside either; the village lies
        // 1 km from the larger town (up to 200 m more between the lattice
        // points, which lie up to 100 m inside each edge).
        assert!(v.gap_m.unwrap() < 600.0, "{:?}", v.gap_m);
        assert!(
            (1000.0..1200.0).contains(&v.isolation_m.unwrap()),
            "{:?}",
            v.isolation_m
        );
        assert_eq!(v.nearest_larger.as_deref(), Some("E63000001"));
        assert!(t.isolation_m.is_none());
        // The farm is in no settlement; every other point is in its place.
        let farm = s.residential.len() - 1;
        assert_eq!(s.of_point[farm], None);
        assert_eq!(s.of_point.iter().flatten().count(), t.points + v.points);
        assert_eq!(t.outline, layer.areas[0].geometry);
    }

    #[test]
    fn chains_within_the_gap_and_not_beyond() {
        // 10 points 150 m apart: one chain; then a gap of 250 m; 10 more.
        let k = M_PER_DEG * 53.4_f64.to_radians().cos();
        let mut pts = row(10, 150.0, -2.3);
        pts.extend(row(10, 150.0, -2.3 + (9.0 * 150.0 + 250.0) / k));
        let r = res(&pts);
        let s = discover(r.clone(), None, DiscoverParams::default(), &|_| None);
        assert_eq!(s.list.len(), 2);
        assert!(s.list.iter().all(|s| s.points == 10));
        let gap = s.list[0].gap_m.unwrap();
        assert!((gap - 250.0).abs() < 1.0, "{gap}");
        for i in 0..2 {
            assert!(s.outline_holds_points(i));
        }
        // A gap of 300 m chains them all.
        let s = discover(
            r.clone(),
            None,
            DiscoverParams {
                gap_m: 300.0,
                min_points: 5,
            },
            &|_| None,
        );
        assert_eq!(s.list.len(), 1);
        assert_eq!(s.list[0].gap_m, None);
    }

    #[test]
    fn small_groups_are_not_settlements_but_are_homes() {
        let k = M_PER_DEG * 53.4_f64.to_radians().cos();
        let mut pts = row(6, 100.0, -2.3);
        // Two farms 1 km east of the hamlet.
        pts.extend(row(2, 100.0, -2.3 + 1500.0 / k));
        let r = res(&pts);
        let s = discover(r.clone(), None, DiscoverParams::default(), &|_| None);
        assert_eq!(s.list.len(), 1);
        let gap = s.list[0].gap_m.unwrap();
        assert!((gap - 1000.0).abs() < 1.0, "{gap}");
        assert_eq!(s.of_point[6], None);
        assert_eq!(s.list[0].name_source, "its position (no local names given)");
    }

    #[test]
    fn names_follow_the_points_names() {
        let mut r = res(&row(10, 50.0, -2.3));
        r.names = vec!["Ashby".into(), "Brook".into(), "Carr".into()];
        r.names_from = Some("test names".into());
        r.name_of = [0, 0, 0, 0, 0, 0, 1, 1, 2, 2].map(Some).to_vec();
        let s = discover(r.clone(), None, DiscoverParams::default(), &|_| None);
        assert_eq!(s.list[0].name, "Ashby");
        r.name_of = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2].map(Some).to_vec();
        let s = discover(r.clone(), None, DiscoverParams::default(), &|_| None);
        assert_eq!(s.list[0].name, "Ashby, Brook and 1 more");
        assert!(s.list[0].name_source.starts_with("test names"));
        // One name among mostly unnamed points: that name, saying how few.
        r.name_of = vec![None; 10];
        r.name_of[3] = Some(2);
        let s = discover(r.clone(), None, DiscoverParams::default(), &|_| None);
        assert_eq!(s.list[0].name, "Carr");
        assert!(
            s.list[0].name_source.contains("10 %"),
            "{}",
            s.list[0].name_source
        );
        // No names at all: named by place.
        r.name_of = vec![None; 10];
        let s = discover(r.clone(), None, DiscoverParams::default(), &|_| {
            Some("Ashby Ward".into())
        });
        assert_eq!(s.list[0].name, "Settlement in Ashby Ward");
    }

    #[test]
    fn points_on_one_spot_or_one_line_are_outlined() {
        let same = res(&[(53.4, -2.3); 6]);
        let s = discover(same, None, DiscoverParams::default(), &|_| None);
        assert_eq!(s.list.len(), 1);
        assert!(s.outline_holds_points(0));
        let line = res(&row(7, 50.0, -2.3));
        let s = discover(line, None, DiscoverParams::default(), &|_| None);
        assert!(s.outline_holds_points(0));
    }

    #[test]
    fn residents_add_up_from_weights() {
        let r = res(&row(8, 50.0, -2.3));
        let w = Weights {
            per_point: vec![10.0; 8],
            source: "test".into(),
        };
        let s = discover(r.clone(), Some(w), DiscoverParams::default(), &|_| None);
        assert_eq!(s.list[0].residents, Some(80.0));
        assert_eq!(s.weights.map(|w| w.source).as_deref(), Some("test"));
    }

    #[test]
    fn parameters_are_checked() {
        let bad = DiscoverParams {
            gap_m: 0.0,
            min_points: 5,
        };
        assert!(bad.check().unwrap_err().contains("gap"));
        let bad = DiscoverParams {
            gap_m: 200.0,
            min_points: 0,
        };
        assert!(bad.check().unwrap_err().contains("min_points"));
    }
}
