//! Spatial index over a layer's areas: which areas contain a point, and which
//! is nearest when none does.
//!
//! One R-tree entry per *polygon* (not per area), so a multipolygon's parts
//! each get a tight envelope and a point only ever tests the parts whose
//! boxes contain it. Candidates are refined with an exact, robust
//! point-in-polygon test that respects holes.
//!
//! **Boundary rule.** A point strictly inside one or more areas belongs to
//! those areas. A point that is strictly inside none but lies exactly on the
//! boundary of some (typically a boundary shared by two neighbours) belongs to
//! exactly one of them: the one whose id sorts first (byte order). The rule is
//! deterministic and independent of file order, so reloading or reordering a
//! file never moves a boundary point.

use crate::area::Area;
use crate::geodesic::End;
use crate::grid::{CellGrid, Known};
use crate::pip::{polygon_position, BandedPolygon, Position, SCAN_EDGES};
use geo::Coord;
use rstar::{PointDistance, RTree, RTreeObject, AABB};
use std::collections::HashMap;

/// An R-tree entry: one polygon of one area.
#[derive(Debug, Clone)]
struct Part {
    envelope: AABB<[f64; 2]>,
    area: u32,
    polygon: u32,
}

impl RTreeObject for Part {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

impl PointDistance for Part {
    /// Squared planar distance to the envelope (degrees²): zero when the
    /// envelope holds the point, which is all `locate` asks.
    fn distance_2(&self, point: &[f64; 2]) -> f64 {
        self.envelope.distance_2(point)
    }
}

/// A growable list that can be emptied: lets callers pass a `Vec` or an
/// inline `SmallVec` to [`AreaIndex::locate_into`].
pub trait Clear {
    /// Removes every element.
    fn clear(&mut self);
}

impl Clear for Vec<usize> {
    fn clear(&mut self) {
        Vec::clear(self)
    }
}

impl<const N: usize> Clear for smallvec::SmallVec<[usize; N]> {
    fn clear(&mut self) {
        smallvec::SmallVec::clear(self)
    }
}

/// The spatial index of one layer.
#[derive(Debug)]
pub struct AreaIndex {
    tree: RTree<Part>,
    /// Banded edge index per area, per polygon (same order as the area's
    /// multipolygon), for the exact point test of polygons with more than
    /// [`SCAN_EDGES`] edges; smaller ones are scanned in place.
    banded: Vec<Vec<Option<BandedPolygon>>>,
    /// Boundary edges for [`AreaIndex::nearest`], built on its first call
    /// (lookups that only locate never pay for them).
    edges: std::sync::OnceLock<Edges>,
    /// Every boundary edge, shared ones included, for
    /// [`AreaIndex::others_within`]; built on its first call.
    all_edges: std::sync::OnceLock<Edges>,
    /// Cells that lie in one area with no boundary through them, for
    /// lookups that need no tree walk; built on the first lookup.
    grid: std::sync::OnceLock<Option<CellGrid>>,
    /// Cells around the layer listing the boundary edges that can be
    /// nearest to a point in them, for nearest-area searches that need no
    /// tree walk; built on the first nearest search.
    near: std::sync::OnceLock<Option<NearGrid>>,
}

/// The nearest area to a point that no area contains.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nearest {
    /// Index of the area in its layer.
    pub area: usize,
    /// Geodesic distance in metres from the point to the area's boundary.
    pub distance_m: f64,
}

impl AreaIndex {
    /// Bulk-loads the index over every polygon of every area.
    pub fn build(areas: &[Area]) -> AreaIndex {
        let parts = areas
            .iter()
            .enumerate()
            .flat_map(|(a, area)| {
                area.geometry
                    .0
                    .iter()
                    .enumerate()
                    .filter_map(move |(p, poly)| {
                        use geo::BoundingRect;
                        poly.bounding_rect().map(|r| Part {
                            envelope: AABB::from_corners(
                                [r.min().x, r.min().y],
                                [r.max().x, r.max().y],
                            ),
                            area: a as u32,
                            polygon: p as u32,
                        })
                    })
            })
            .collect();
        let banded = areas
            .iter()
            .map(|a| {
                a.geometry
                    .0
                    .iter()
                    .map(|p| {
                        let edges: usize = p
                            .interiors()
                            .iter()
                            .chain([p.exterior()])
                            .map(|r| r.0.len().saturating_sub(1))
                            .sum();
                        (edges > SCAN_EDGES).then(|| BandedPolygon::new(p))
                    })
                    .collect()
            })
            .collect();
        AreaIndex {
            tree: RTree::bulk_load(parts),
            banded,
            edges: std::sync::OnceLock::new(),
            all_edges: std::sync::OnceLock::new(),
            grid: std::sync::OnceLock::new(),
            near: std::sync::OnceLock::new(),
        }
    }

    /// The layer's cell grid ([`crate::grid`]), built on first use.
    pub fn grid(&self, areas: &[Area]) -> Option<&CellGrid> {
        self.grid
            .get_or_init(|| {
                CellGrid::build(areas, |x, y| {
                    let mut found = Vec::new();
                    self.locate_exactly(areas, x, y, &mut found);
                    found
                })
            })
            .as_ref()
    }

    /// Where `c` lies relative to area `a` (all its polygons): inside one
    /// of them, on a boundary, or outside all. Exact, like lookups.
    pub fn position(&self, areas: &[Area], a: usize, c: Coord<f64>) -> Position {
        let mut on_boundary = false;
        for (p, poly) in areas[a].geometry.0.iter().enumerate() {
            let position = match &self.banded[a][p] {
                Some(banded) => banded.position(c),
                None => polygon_position(poly, c),
            };
            match position {
                Position::Inside => return Position::Inside,
                Position::OnBoundary => on_boundary = true,
                Position::Outside => {}
            }
        }
        if on_boundary {
            Position::OnBoundary
        } else {
            Position::Outside
        }
    }

    /// Appends to `out` the indexes of the areas containing `(lon, lat)` by
    /// the boundary rule in the module docs, smallest area first (so the most
    /// specific of overlapping areas leads). `out` is cleared first; reusing
    /// it keeps the hot path free of allocation.
    ///
    /// Most points are answered by the layer's cell grid
    /// ([`crate::grid`]: one read, the same answer), points in no area
    /// included; the rest walk the tree.
    pub fn locate_into<V>(&self, areas: &[Area], lon: f64, lat: f64, out: &mut V)
    where
        V: std::ops::DerefMut<Target = [usize]> + Extend<usize> + Clear,
    {
        match self.grid(areas).map_or(Known::Ask, |g| g.at(lon, lat)) {
            Known::Area(a) => {
                out.clear();
                out.extend([a]);
            }
            Known::Nowhere => out.clear(),
            Known::Ask => self.locate_exactly(areas, lon, lat, out),
        }
    }

    /// [`AreaIndex::locate_into`] by the tree and the exact polygon test
    /// alone.
    pub fn locate_exactly<V>(&self, areas: &[Area], lon: f64, lat: f64, out: &mut V)
    where
        V: std::ops::DerefMut<Target = [usize]> + Extend<usize> + Clear,
    {
        out.clear();
        let coord = Coord { x: lon, y: lat };
        let mut boundary: Option<usize> = None;
        // Internal iteration: rstar walks the tree recursively and calls us
        // per candidate, with no iterator state to build (the hot path).
        let _ = self.tree.locate_all_at_point_int(&[lon, lat], |part| {
            let a = part.area as usize;
            let p = part.polygon as usize;
            let position = match &self.banded[a][p] {
                Some(banded) => banded.position(coord),
                None => polygon_position(&areas[a].geometry.0[p], coord),
            };
            match position {
                Position::Inside => {
                    if !out.contains(&a) {
                        out.extend([a]);
                    }
                }
                Position::OnBoundary => {
                    if boundary.is_none_or(|b| areas[a].id < areas[b].id) {
                        boundary = Some(a);
                    }
                }
                Position::Outside => {}
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
        if out.is_empty() {
            out.extend(boundary);
        } else if out.len() > 1 {
            out.sort_by(|&x, &y| {
                areas[x]
                    .area_m2
                    .total_cmp(&areas[y].area_m2)
                    .then_with(|| areas[x].id.cmp(&areas[y].id))
            });
        }
    }

    /// The areas containing `(lon, lat)`; see [`AreaIndex::locate_into`].
    pub fn locate(&self, areas: &[Area], lon: f64, lat: f64) -> Vec<usize> {
        let mut out = Vec::new();
        self.locate_into(areas, lon, lat, &mut out);
        out
    }

    /// For a point that no area contains: the area whose boundary is
    /// geodesically nearest to `(lon, lat)`, with the distance in metres;
    /// ties go to the smaller id. (Edges two areas share are left out of
    /// the search, so for a point inside an area the answer is the nearest
    /// area across the union's edge, not its own boundary.)
    ///
    /// Boundary edges sit in a segment R-tree (built on first use, in a
    /// plane whose longitude is scaled by the cosine of the layer's middle
    /// latitude), searched depth-first, nearest box first, without
    /// allocating. Each edge's closest point is measured in the plane scaled
    /// at the query's own latitude; a box is skipped once it cannot come
    /// within `plane_slack` of the best (rescaling longitude by `r` changes
    /// any distance by at most a factor `min(1, r)`, and the plane and the
    /// ellipsoid disagree by less than that slack). The areas left are
    /// ranked on the ellipsoid at their mid-latitude and those within
    /// [`RANK_WINDOW`] of the best measured exactly (geodesically, by
    /// [`crate::geodesic`]), so one geodesic distance is usually all it
    /// computes.
    pub fn nearest(&self, areas: &[Area], lon: f64, lat: f64) -> Option<Nearest> {
        self.nearest_measured(areas, &mut Distances::from(lon, lat))
    }

    /// [`AreaIndex::nearest`] from `from`'s point, measuring through `from`:
    /// a closest point that another layer's search already measured (layers
    /// often share their outer boundary) is not measured again.
    pub fn nearest_measured(&self, areas: &[Area], from: &mut Distances) -> Option<Nearest> {
        self.nearest_by(areas, from, true)
    }

    /// [`AreaIndex::nearest`] by the tree walk alone, never the
    /// nearest-area grid: the reference the grid is held to.
    pub fn nearest_by_tree(&self, areas: &[Area], lon: f64, lat: f64) -> Option<Nearest> {
        self.nearest_by(areas, &mut Distances::from(lon, lat), false)
    }

    /// Builds what nearest-area searches use (the boundary edges and their
    /// grid) now rather than on the first search.
    pub fn prepare_nearest(&self, areas: &[Area]) {
        self.nearest_by(areas, &mut Distances::from(0.0, 0.0), true);
    }

    fn nearest_by(&self, areas: &[Area], from: &mut Distances, grid: bool) -> Option<Nearest> {
        let (lon, lat) = (from.lon, from.lat);
        let edges = self.edges.get_or_init(|| Edges::build(areas, true));
        let kq = from.cos_lat();
        let mut search = EdgeSearch::new(edges.k0, kq, lat, [lon * edges.k0, lat]);
        let near = grid.then(|| {
            self.near.get_or_init(|| {
                NearGrid::build(edges, |x, y| {
                    let mut found: smallvec::SmallVec<[usize; 4]> = smallvec::SmallVec::new();
                    self.locate_exactly(areas, x, y, &mut found);
                    !found.is_empty()
                })
            })
        });
        match near
            .and_then(Option::as_ref)
            .and_then(|g| g.candidates(edges.k0, lon, lat))
        {
            Some(list) => {
                for e in list {
                    if f64::from(e.gap2) * search.shrink2 > search.limit2 {
                        break;
                    }
                    search.edge(&edges.list[e.id as usize]);
                }
            }
            None => search.visit(edges.tree.root()),
        }
        let limit2 = search.limit2;
        let mut ranked: smallvec::SmallVec<[(usize, f64, Coord<f64>); 8]> = search
            .candidates
            .into_iter()
            .filter(|&(_, d2, _)| d2 <= limit2)
            .map(|(a, _, c)| (a as usize, f64::NAN, c))
            .collect();
        // One area left (the usual case) needs no ranking.
        if ranked.len() > 1 {
            for r in &mut ranked {
                r.1 = ellipsoid_m(lon, lat, r.2.x, r.2.y);
            }
            let least = ranked.iter().map(|r| r.1).fold(f64::INFINITY, f64::min);
            let window = least * (1.0 + RANK_WINDOW + 4.0 * (least / EARTH_RADIUS_M).powi(2));
            ranked.retain(|r| r.1 <= window);
        }
        // Neighbours often share the closest point (a vertex or edge of
        // their common boundary): `from` measures each point once.
        ranked
            .into_iter()
            .map(|(a, _, c)| Nearest {
                area: a,
                distance_m: from.to(c),
            })
            .min_by(|x, y| {
                x.distance_m
                    .total_cmp(&y.distance_m)
                    .then_with(|| areas[x.area].id.cmp(&areas[y.area].id))
            })
    }

    /// The areas, other than those in `inside` (the ones holding the
    /// point), whose boundary comes within `within_m` metres of
    /// `(lon, lat)`: each with its distance, nearest first (ties by id).
    /// Each area's closest point is found in the plane scaled at the
    /// query's latitude and measured geodesically, so at these distances
    /// (up to a few kilometres) it is within millimetres of the exact
    /// distance. `within_m` is clamped to 0–50 km.
    pub fn others_within(
        &self,
        areas: &[Area],
        lon: f64,
        lat: f64,
        within_m: f64,
        inside: &[usize],
    ) -> Vec<Nearest> {
        if within_m.is_nan() || within_m <= 0.0 {
            return Vec::new();
        }
        let within_m = within_m.min(50_000.0);
        let edges = self.all_edges.get_or_init(|| Edges::build(areas, false));
        // A degree of latitude is at least 110.5 km anywhere, and a degree
        // of longitude shrinks by cos φ: a box that holds the circle.
        let dlat = within_m / 110_000.0;
        let dlon = dlat / (lat.abs() + dlat).min(89.0).to_radians().cos();
        let k0 = edges.k0;
        let envelope = AABB::from_corners(
            [(lon - dlon) * k0, lat - dlat],
            [(lon + dlon) * k0, lat + dlat],
        );
        let kq = lat.to_radians().cos();
        let mut best: smallvec::SmallVec<[(u32, f64, Coord<f64>); 8]> = smallvec::SmallVec::new();
        // Internal iteration: no iterator state allocated per query.
        let _ = edges
            .tree
            .locate_in_envelope_intersecting_int(&envelope, |edge| {
                if !inside.contains(&(edge.area as usize)) {
                    let (d2, c) = edge.closest(k0, kq, lon, lat);
                    keep_closest(&mut best, edge.area, d2, c);
                }
                std::ops::ControlFlow::<()>::Continue(())
            });
        // Areas clearly beyond the radius by the mid-latitude distance
        // (good to far better than RANK_WINDOW at these distances) are
        // left without the costlier geodesic.
        let mut from = Distances::from(lon, lat);
        let mut out: Vec<Nearest> = best
            .into_iter()
            .filter(|&(_, _, c)| ellipsoid_m(lon, lat, c.x, c.y) <= within_m * (1.0 + RANK_WINDOW))
            .map(|(a, _, c)| Nearest {
                area: a as usize,
                distance_m: from.to(c),
            })
            .filter(|n| n.distance_m <= within_m)
            .collect();
        out.sort_by(|x, y| {
            x.distance_m
                .total_cmp(&y.distance_m)
                .then_with(|| areas[x.area].id.cmp(&areas[y.area].id))
        });
        out
    }

    /// Indexes of areas whose polygons' envelopes intersect the box, in
    /// ascending order without repeats (callers refine exactly if needed).
    pub fn in_envelope(&self, min: [f64; 2], max: [f64; 2]) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .tree
            .locate_in_envelope_intersecting(&AABB::from_corners(min, max))
            .map(|p| p.area as usize)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Geodesic distances from one point, each target measured once: the
/// searches of several layers at the same query share it, so a closest
/// point two layers have in common (an outer boundary they share) costs one
/// geodesic, not two.
#[derive(Debug, Clone)]
pub struct Distances {
    lon: f64,
    lat: f64,
    /// The cosine of the latitude, worked out on first asking.
    cos_lat: Option<f64>,
    /// The query as a line's end, made on the first measure.
    origin: Option<End>,
    known: smallvec::SmallVec<[(Coord<f64>, f64); 8]>,
}

impl Distances {
    /// Distances from `(lon, lat)` (degrees), none measured yet.
    pub fn from(lon: f64, lat: f64) -> Distances {
        Distances {
            lon,
            lat,
            cos_lat: None,
            origin: None,
            known: smallvec::SmallVec::new(),
        }
    }

    /// The cosine of the point's latitude (each layer's search scales its
    /// plane by it).
    pub fn cos_lat(&mut self) -> f64 {
        let lat = self.lat;
        *self.cos_lat.get_or_insert_with(|| lat.to_radians().cos())
    }

    /// The geodesic distance in metres to `c` ([`crate::geodesic`]: within
    /// a micrometre of Karney's), measured on first asking.
    pub fn to(&mut self, c: Coord<f64>) -> f64 {
        if let Some(&(_, d)) = self.known.iter().find(|(k, _)| *k == c) {
            return d;
        }
        let (lon, lat) = (self.lon, self.lat);
        let origin = self.origin.get_or_insert_with(|| End::new(lon, lat));
        let d = origin.distance_m(&End::new(c.x, c.y));
        self.known.push((c, d));
        d
    }
}

/// How much farther (a factor of the planar distance `d_deg`, in degrees of
/// latitude) than the nearest edge an area may lie and still be nearer on
/// the ellipsoid: the plane's east–west and north–south scales disagree by
/// 0.25 % (N/M at most 1.0034), and the east–west scale drifts by
/// `tan φ · Δφ` between the point and a boundary `Δφ` away.
fn plane_slack(lat: f64, d_deg: f64) -> f64 {
    slack_with(slack_tan(lat, d_deg), d_deg)
}

/// The `tan φ` of [`plane_slack`] at `(lat, d_deg)`: for any shorter
/// distance it is an upper bound, so a search computes it once, at its
/// first (longest) best distance.
fn slack_tan(lat: f64, d_deg: f64) -> f64 {
    (lat.abs().to_radians() + d_deg.to_radians())
        .min(89f64.to_radians())
        .tan()
}

/// [`plane_slack`] at `d_deg` given its `tan φ` (or an upper bound of it,
/// for a slack at least as wide).
fn slack_with(tan: f64, d_deg: f64) -> f64 {
    1.007 + 2.0 * tan * d_deg.to_radians()
}

/// Relative window within which areas ranked on the ellipsoid are measured
/// exactly: above the mid-latitude formula's error at local distances (it
/// grows as `(d/R)²`, added on top).
pub const RANK_WINDOW: f64 = 1e-3;

/// Mean Earth radius in metres (only to size a window).
const EARTH_RADIUS_M: f64 = 6_371_000.0;

/// Distance in metres on the WGS 84 ellipsoid by the mid-latitude plane:
/// meridian and prime-vertical radii at the mean latitude. Within a
/// fraction of a metre of the geodesic for local distances; a ranking aid.
fn ellipsoid_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    use crate::crs::{WGS84_A as A, WGS84_F as F};
    const E2: f64 = F * (2.0 - F);
    let phi = ((lat1 + lat2) / 2.0).to_radians();
    let w = 1.0 - E2 * phi.sin().powi(2);
    let n = A / w.sqrt();
    let m = A * (1.0 - E2) / (w * w.sqrt());
    let dy = m * (lat2 - lat1).to_radians();
    let dx = n * phi.cos() * (lon2 - lon1).to_radians();
    // Metres on the Earth: no overflow for `hypot` to guard against.
    (dx * dx + dy * dy).sqrt()
}

/// A boundary edge of an area in the layer plane (longitude × `k0`,
/// latitude), its ends in a fixed order so that an edge two neighbours
/// share measures the same from both.
#[derive(Debug, Clone)]
struct Edge {
    a: [f64; 2],
    b: [f64; 2],
    area: u32,
    /// Its place in [`Edges::list`].
    id: u32,
}

impl RTreeObject for Edge {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_corners(self.a, self.b)
    }
}

impl Edge {
    /// Squared distance from `(lon, lat)` in the plane scaled at the query's
    /// latitude (`kq`; layer-plane units), and the closest point in degrees.
    fn closest(&self, k0: f64, kq: f64, lon: f64, lat: f64) -> (f64, Coord<f64>) {
        let (d2, t) = closest_on_segment(self.a, self.b, kq / k0, lon * k0, lat);
        (d2, self.point(k0, t))
    }

    /// The point at parameter `t` along the edge (0 at `a`), in degrees.
    fn point(&self, k0: f64, t: f64) -> Coord<f64> {
        let x = (self.a[0] + t * (self.b[0] - self.a[0])) / k0;
        let y = self.a[1] + t * (self.b[1] - self.a[1]);
        Coord { x, y }
    }
}

/// The closest point of segment `a`–`b` to `(px, py)` once x is scaled by
/// `r`: its squared distance and its parameter along the segment (0 at `a`).
fn closest_on_segment(a: [f64; 2], b: [f64; 2], r: f64, px: f64, py: f64) -> (f64, f64) {
    let (ax, ay) = ((a[0] - px) * r, a[1] - py);
    let (dx, dy) = ((b[0] - a[0]) * r, b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (ax + t * dx, ay + t * dy);
    (cx * cx + cy * cy, t)
}

/// One nearest-edge search: the query, the best planar distance so far and
/// the limit past which nothing can win, and per area its closest point.
struct EdgeSearch {
    k0: f64,
    kq: f64,
    lat: f64,
    /// The query in the layer plane.
    at: [f64; 2],
    /// Squared factor turning a layer-plane distance into a lower bound
    /// for the query-plane one.
    shrink2: f64,
    best2: f64,
    limit2: f64,
    /// [`slack_tan`] at the first best distance (NaN before it).
    tan: f64,
    /// Per area: squared query-plane distance and closest point (degrees).
    candidates: smallvec::SmallVec<[(u32, f64, Coord<f64>); 8]>,
}

impl EdgeSearch {
    /// A search from `at` (layer plane, scale `k0`; `lat` degrees) that
    /// measures in the plane scaled by `kq`.
    fn new(k0: f64, kq: f64, lat: f64, at: [f64; 2]) -> EdgeSearch {
        EdgeSearch {
            k0,
            kq,
            lat,
            at,
            shrink2: (kq / k0).min(1.0).powi(2),
            best2: f64::INFINITY,
            limit2: f64::INFINITY,
            tan: f64::NAN,
            candidates: smallvec::SmallVec::new(),
        }
    }

    fn visit(&mut self, node: &rstar::ParentNode<Edge>) {
        // Children nearest first (a node holds a handful), so the limit
        // tightens early and most boxes are skipped.
        let mut order: smallvec::SmallVec<[(f64, &rstar::RTreeNode<Edge>); 8]> = node
            .children()
            .iter()
            .map(|child| {
                let d2 = match child {
                    rstar::RTreeNode::Leaf(edge) => edge.envelope().distance_2(&self.at),
                    rstar::RTreeNode::Parent(p) => p.envelope().distance_2(&self.at),
                };
                (d2, child)
            })
            .collect();
        order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        for (d2_box, child) in order {
            if d2_box * self.shrink2 > self.limit2 {
                break;
            }
            match child {
                rstar::RTreeNode::Parent(p) => self.visit(p),
                rstar::RTreeNode::Leaf(edge) => self.edge(edge),
            }
        }
    }

    fn edge(&mut self, edge: &Edge) {
        let (d2, t) = closest_on_segment(edge.a, edge.b, self.kq / self.k0, self.at[0], self.at[1]);
        if d2 < self.best2 {
            self.best2 = d2;
            let d = d2.sqrt();
            if self.tan.is_nan() {
                self.tan = slack_tan(self.lat, d);
            }
            self.limit2 = d2 * slack_with(self.tan, d).powi(2);
        } else if d2 > self.limit2 {
            // Past the limit, which only shrinks: whatever this would keep
            // for its area, the final cut at the limit drops.
            return;
        }
        keep_closest(&mut self.candidates, edge.area, d2, edge.point(self.k0, t));
    }
}

/// Per area, its closest point so far: `(area, squared distance, point)`
/// replaces `area`'s entry when nearer, or is added.
fn keep_closest(
    list: &mut smallvec::SmallVec<[(u32, f64, Coord<f64>); 8]>,
    area: u32,
    d2: f64,
    c: Coord<f64>,
) {
    match list.iter_mut().find(|(a, _, _)| *a == area) {
        Some(found) if d2 < found.1 => *found = (area, d2, c),
        Some(_) => {}
        None => list.push((area, d2, c)),
    }
}

/// Cells over a layer's boundary edges and as far again around them, in
/// the layer plane, each listing every edge that can take part in the
/// nearest-area search of a point in it, so that search scans a short list
/// instead of walking the tree — with the same answer.
///
/// **Exactness.** For a cell of half-diagonal `r` whose centre lies `d`
/// from the nearest edge (layer plane), every point in it has an edge
/// within `d + r`, so its best distance in its own plane is at most
/// `B = g(d + r)` (`g` the largest stretch from the layer plane to a query
/// plane in the cell's latitudes) and the search's limit at most
/// `B · plane_slack(B)`. An edge the search keeps lies within that limit of
/// the point, so within `limit / s` of the cell in the layer plane (`s` the
/// largest shrink): the list holds every edge whose box comes that close,
/// and scanning it leaves the search exactly as the tree walk leaves it.
/// Cells with no boundary through them and their centre inside an area are
/// inside the union (no point there needs the search), and cells whose
/// list would be longer than [`NEAR_LIST`] are left to the tree. Lists
/// are sorted by each edge's box distance to the cell, so a scan stops
/// where the rest cannot come within the search's limit (as the tree walk
/// skips boxes).
#[derive(Debug)]
struct NearGrid {
    frame: crate::grid::Frame,
    /// Per cell, row by row: where its list starts in `edges`, or `None`
    /// — ask the tree.
    starts: Vec<Option<u32>>,
    /// Per cell: where its list ends.
    ends: Vec<u32>,
    /// The lists, each nearest first.
    edges: Vec<NearEdge>,
}

/// An edge in a cell's list.
#[derive(Debug, Clone, Copy)]
struct NearEdge {
    /// Its place in [`Edges::list`].
    id: u32,
    /// At most its squared distance to any point of the cell (layer
    /// plane; rounded down to `f32`).
    gap2: f32,
}

impl NearEdge {
    /// Edge `id` at squared distance `gap2`, kept as a lower bound.
    fn new(id: u32, gap2: f64) -> NearEdge {
        let mut low = gap2 as f32;
        if f64::from(low) > gap2 {
            low = low.next_down();
        }
        NearEdge { id, gap2: low }
    }
}

/// The squared distance between two boxes (0 when they meet).
fn box_gap2(a: &AABB<[f64; 2]>, b: &AABB<[f64; 2]>) -> f64 {
    let (al, au, bl, bu) = (a.lower(), a.upper(), b.lower(), b.upper());
    let dx = (bl[0] - au[0]).max(al[0] - bu[0]).max(0.0);
    let dy = (bl[1] - au[1]).max(al[1] - bu[1]).max(0.0);
    dx * dx + dy * dy
}

/// Cells a nearest-area grid has (about 256 × 256).
const NEAR_CELLS: f64 = 65_536.0;

/// How far around the edges' extent the grid reaches, as a share of the
/// extent on each side.
const NEAR_MARGIN: f64 = 0.5;

/// The least reach around the edges' extent, in degrees (of latitude, and
/// of longitude times the plane's scale): some 40 km.
const NEAR_MIN_MARGIN: f64 = 0.36;

/// The longest list a cell keeps whole.
const NEAR_LIST: usize = 96;

impl NearGrid {
    /// The grid over `edges`; `inside(lon, lat)` tells whether a point lies
    /// in some area. `None` without edges.
    fn build(edges: &Edges, inside: impl Fn(f64, f64) -> bool + Sync) -> Option<NearGrid> {
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for e in &edges.list {
            for p in [e.a, e.b] {
                for k in 0..2 {
                    lo[k] = lo[k].min(p[k]);
                    hi[k] = hi[k].max(p[k]);
                }
            }
        }
        let (w, h) = (hi[0] - lo[0], hi[1] - lo[1]);
        if !(w > 0.0 && h > 0.0) {
            return None;
        }
        let (mx, my) = (
            (w * NEAR_MARGIN).max(NEAR_MIN_MARGIN),
            (h * NEAR_MARGIN).max(NEAR_MIN_MARGIN),
        );
        let (x0, x1) = (lo[0] - mx, hi[0] + mx);
        let y0 = (lo[1] - my).max(-90.0);
        let y1 = (hi[1] + my).min(90.0);
        let side = ((x1 - x0) * (y1 - y0) / NEAR_CELLS).sqrt();
        let nx = (((x1 - x0) / side).ceil() as usize).clamp(1, 1024);
        let ny = (((y1 - y0) / side).ceil() as usize).clamp(1, 1024);
        let k0 = edges.k0;
        let mut grid = NearGrid {
            frame: crate::grid::Frame::new(x0, y0, x1, y1, nx, ny),
            starts: Vec::with_capacity(nx * ny),
            ends: Vec::with_capacity(nx * ny),
            edges: Vec::new(),
        };
        let geometry = &grid;
        let rows = crate::parallel::map_indexed(ny, "nearest-area grid", |iy| {
            let mut row = Vec::with_capacity(nx);
            let mut list: Vec<NearEdge> = Vec::new();
            for ix in 0..nx {
                let cell = geometry.cell(ix, iy);
                let ([bx0, by0], [bx1, by1]) = (cell.lower(), cell.upper());
                let o = [(bx0 + bx1) / 2.0, (by0 + by1) / 2.0];
                let r = 0.5 * (bx1 - bx0).hypot(by1 - by0);
                let mut search = EdgeSearch::new(k0, k0, o[1], o);
                search.visit(edges.tree.root());
                let d = search.best2.sqrt();
                if d > r && inside(o[0] / k0, o[1]) {
                    row.push(None);
                    continue;
                }
                let (alo, ahi) = (by0.abs().min(by1.abs()), by0.abs().max(by1.abs()));
                let alo = if by0 <= 0.0 && by1 >= 0.0 { 0.0 } else { alo };
                let kq_min = ahi.min(89.9).to_radians().cos();
                let kq_max = alo.to_radians().cos();
                let shrink = (kq_min / k0).min(1.0);
                let grow = (kq_max / k0).max(1.0);
                let best = grow * (d + r);
                let reach = best * plane_slack(ahi, best) / shrink * (1.0 + 1e-9);
                let envelope =
                    AABB::from_corners([bx0 - reach, by0 - reach], [bx1 + reach, by1 + reach]);
                list.clear();
                let _ = edges
                    .tree
                    .locate_in_envelope_intersecting_int(&envelope, |e| {
                        list.push(NearEdge::new(e.id, box_gap2(&cell, &e.envelope())));
                        if list.len() > NEAR_LIST {
                            std::ops::ControlFlow::Break(())
                        } else {
                            std::ops::ControlFlow::Continue(())
                        }
                    });
                if list.len() > NEAR_LIST {
                    row.push(None);
                    continue;
                }
                list.sort_by(|x, y| x.gap2.total_cmp(&y.gap2));
                row.push(Some(list.clone()));
            }
            row
        });
        for cell in rows.into_iter().flatten() {
            match cell {
                Some(list) => {
                    grid.starts.push(Some(grid.edges.len() as u32));
                    grid.edges.extend(list);
                }
                None => grid.starts.push(None),
            }
            grid.ends.push(grid.edges.len() as u32);
        }
        tracing::debug!(
            nx,
            ny,
            listed = grid.starts.iter().filter(|s| s.is_some()).count(),
            edges = grid.edges.len(),
            "nearest-area grid"
        );
        Some(grid)
    }

    /// The list of the cell holding `(lon, lat)`, if it has one.
    fn candidates(&self, k0: f64, lon: f64, lat: f64) -> Option<&[NearEdge]> {
        let c = self.frame.index(lon * k0, lat)?;
        let start = self.starts[c]? as usize;
        Some(&self.edges[start..self.ends[c] as usize])
    }

    /// Cell `(ix, iy)`, widened by a hair against rounding.
    fn cell(&self, ix: usize, iy: usize) -> AABB<[f64; 2]> {
        const HAIR: f64 = 1e-9;
        let (lo, hi) = self.frame.corners(ix, iy);
        AABB::from_corners([lo[0] - HAIR, lo[1] - HAIR], [hi[0] + HAIR, hi[1] + HAIR])
    }
}

/// Boundary edges of a layer in the layer plane: the outer boundary of
/// their union for the nearest-area search, or every edge.
#[derive(Debug)]
struct Edges {
    /// Cosine of the layer's middle latitude: the plane's longitude scale.
    k0: f64,
    tree: RTree<Edge>,
    /// The same edges, in the order [`NearGrid`] numbers them.
    list: Vec<Edge>,
}

impl Edges {
    /// The edges of `areas`: with `union_only`, those of their union's
    /// boundary alone (see below); else every edge, once per area.
    fn build(areas: &[Area], union_only: bool) -> Edges {
        use geo::BoundingRect;
        let (lo, hi) = areas
            .iter()
            .filter_map(|a| a.geometry.bounding_rect())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| {
                (lo.min(r.min().y), hi.max(r.max().y))
            });
        let k0 = if lo.is_finite() {
            ((lo + hi) / 2.0).to_radians().cos().max(1e-6)
        } else {
            1.0
        };
        // Each edge directed with its area's interior on its left (by the
        // ring's winding, whatever the stored orientation).
        let mut directed: Vec<(Coord<f64>, Coord<f64>, u32)> = Vec::new();
        for (i, area) in areas.iter().enumerate() {
            for poly in &area.geometry.0 {
                let rings = std::iter::once((poly.exterior(), true))
                    .chain(poly.interiors().iter().map(|r| (r, false)));
                for (ring, exterior) in rings {
                    let twice_area: f64 = ring
                        .0
                        .windows(2)
                        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
                        .sum();
                    let interior_left = (twice_area > 0.0) == exterior;
                    for w in ring.0.windows(2) {
                        let (a, b) = if interior_left {
                            (w[0], w[1])
                        } else {
                            (w[1], w[0])
                        };
                        directed.push((a, b, i as u32));
                    }
                }
            }
        }
        // An edge two areas share with their interiors on either side
        // (it runs both ways) lies inside their union, so it is never the
        // nearest boundary of a point outside every area: only the
        // union's boundary is searched.
        let key = |a: Coord<f64>, b: Coord<f64>| {
            (a.x.to_bits(), a.y.to_bits(), b.x.to_bits(), b.y.to_bits())
        };
        let mut by_key: HashMap<(u64, u64, u64, u64), smallvec::SmallVec<[u32; 2]>> =
            HashMap::with_capacity(if union_only { directed.len() } else { 0 });
        if union_only {
            for &(a, b, i) in &directed {
                by_key.entry(key(a, b)).or_default().push(i);
            }
        }
        let inner = |a: Coord<f64>, b: Coord<f64>, i: u32| {
            by_key
                .get(&key(b, a))
                .is_some_and(|other| other.iter().any(|&j| j != i))
        };
        let edges: Vec<Edge> = directed
            .iter()
            .filter(|&&(a, b, i)| !union_only || !inner(a, b, i))
            .map(|&(a, b, i)| {
                let p = [a.x * k0, a.y];
                let q = [b.x * k0, b.y];
                let (a, b) = if (p[0], p[1]) <= (q[0], q[1]) {
                    (p, q)
                } else {
                    (q, p)
                };
                (a, b, i)
            })
            .enumerate()
            .map(|(id, (a, b, area))| Edge {
                a,
                b,
                area,
                id: id as u32,
            })
            .collect();
        Edges {
            k0,
            tree: RTree::bulk_load(edges.clone()),
            list: edges,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, Polygon};
    use proptest::prelude::*;

    /// Rectangles on a grid of `step`-degree cells from latitude `lat0`,
    /// each `(x, y, w, h)` in cells, so neighbours share edges exactly and
    /// some overlap or repeat.
    fn grid_of_rects(cells: &[(u32, u32, u32, u32)], lat0: f64, step: f64) -> Vec<Area> {
        cells
            .iter()
            .enumerate()
            .map(|(i, &(x, y, w, h))| {
                let (x0, y0) = (f64::from(x) * step, lat0 + f64::from(y) * step);
                crate::area::test_shapes::rect_area(
                    &format!("g{i:02}"),
                    x0,
                    y0,
                    x0 + f64::from(w) * step,
                    y0 + f64::from(h) * step,
                )
            })
            .collect()
    }

    fn square(id: &str, x0: f64, y0: f64, size: f64) -> Area {
        crate::area::test_shapes::rect_area(id, x0, y0, x0 + size, y0 + size)
    }

    #[test]
    fn shared_boundary_goes_to_the_smaller_id() {
        let areas = vec![square("b", 0.0, 0.0, 1.0), square("a", 1.0, 0.0, 1.0)];
        let index = AreaIndex::build(&areas);
        // On the shared edge x = 1: both touch it, "a" wins.
        assert_eq!(index.locate(&areas, 1.0, 0.5), vec![1]);
        // Reversing the order of the areas gives the same answer.
        let rev = vec![areas[1].clone(), areas[0].clone()];
        let index = AreaIndex::build(&rev);
        assert_eq!(rev[index.locate(&rev, 1.0, 0.5)[0]].id, "a");
        // The shared corner of the outer boundary too.
        assert_eq!(rev[index.locate(&rev, 1.0, 1.0)[0]].id, "a");
    }

    #[test]
    fn overlapping_areas_come_smallest_first() {
        let areas = vec![square("big", 0.0, 0.0, 2.0), square("small", 0.5, 0.5, 0.5)];
        let index = AreaIndex::build(&areas);
        assert_eq!(index.locate(&areas, 0.7, 0.7), vec![1, 0]);
    }

    #[test]
    fn nearest_is_geodesic_and_exact() {
        // At 60°N a degree of longitude is half a degree of latitude, so the
        // area 0.3° east is nearer (~16.7 km) than the one 0.2° north (~22 km),
        // although planar degrees say otherwise.
        let areas = vec![
            square("north", -0.1, 60.2, 0.2),
            square("east", 0.3, 59.9, 0.2),
        ];
        let index = AreaIndex::build(&areas);
        let n = index.nearest(&areas, 0.0, 60.0).unwrap();
        assert_eq!(areas[n.area].id, "east");
        assert!((n.distance_m - 16_760.0).abs() < 200.0, "{}", n.distance_m);
    }

    /// The distance from a point to one area's boundary the slow, obvious
    /// way: every edge, its closest point in the plane at the query's
    /// latitude, measured geodesically.
    fn distance_by_brute_force(area: &Area, lon: f64, lat: f64) -> f64 {
        let kq = lat.to_radians().cos();
        let mut closest = (f64::INFINITY, Coord { x: 0.0, y: 0.0 });
        for poly in &area.geometry.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for w in ring.0.windows(2) {
                    let (d2, t) =
                        closest_on_segment([w[0].x, w[0].y], [w[1].x, w[1].y], kq, lon, lat);
                    if d2 < closest.0 {
                        let c = Coord {
                            x: w[0].x + t * (w[1].x - w[0].x),
                            y: w[0].y + t * (w[1].y - w[0].y),
                        };
                        closest = (d2, c);
                    }
                }
            }
        }
        crate::geodesic::distance_m(Coord { x: lon, y: lat }, closest.1)
    }

    /// The nearest area by brute force: its index and distance.
    fn nearest_by_brute_force(areas: &[Area], lon: f64, lat: f64) -> (usize, f64) {
        let mut best = (usize::MAX, f64::INFINITY);
        for (i, area) in areas.iter().enumerate() {
            let d = distance_by_brute_force(area, lon, lat);
            if d < best.1 {
                best = (i, d);
            }
        }
        best
    }

    /// For each point no area contains, the indexed search finds the same
    /// distance as the brute-force one (so the same area, or one tied).
    fn agrees_with_brute_force(
        areas: &[Area],
        points: impl Iterator<Item = (f64, f64)>,
    ) -> Result<(), TestCaseError> {
        let index = AreaIndex::build(areas);
        for (lon, lat) in points {
            if !index.locate(areas, lon, lat).is_empty() {
                continue;
            }
            let got = index.nearest(areas, lon, lat).unwrap();
            let (want, want_m) = nearest_by_brute_force(areas, lon, lat);
            prop_assert!(
                (got.distance_m - want_m).abs() <= 1e-9 * want_m.max(1.0),
                "({lon}, {lat}): area {} at {} m, brute force area {want} at {want_m} m",
                got.area,
                got.distance_m
            );
        }
        Ok(())
    }

    /// A star-shaped polygon around `c` with vertex radii `r` at evenly
    /// spaced angles; returns the ring and an exact inside test that does not
    /// use the code under test (the point is on the centre's side of the one
    /// edge its angle falls in).
    fn star(c: (f64, f64), radii: &[f64]) -> (Vec<(f64, f64)>, impl Fn(f64, f64) -> f64 + '_) {
        let n = radii.len();
        let vertex = move |k: usize| {
            let t = std::f64::consts::TAU * (k % n) as f64 / n as f64;
            (c.0 + radii[k % n] * t.cos(), c.1 + radii[k % n] * t.sin())
        };
        let mut ring: Vec<_> = (0..n).map(vertex).collect();
        ring.push(ring[0]);
        // Signed "inside-ness": > 0 strictly inside, < 0 outside, scaled.
        let side = move |x: f64, y: f64| {
            let ang = (y - c.1).atan2(x - c.0).rem_euclid(std::f64::consts::TAU);
            let k = ((ang / std::f64::consts::TAU) * n as f64).floor() as usize % n;
            let (a, b) = (vertex(k), vertex(k + 1));
            // Cross product sign of edge a->b vs point; ring is CCW so inside is left.
            let cross = (b.0 - a.0) * (y - a.1) - (b.1 - a.1) * (x - a.0);
            let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
            cross / len
        };
        (ring, side)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// The cell grid never changes an answer: on areas that share edges
        /// and overlap, points on edges, corners and the grid's own lines
        /// (sixteenths of the areas' quarter steps) and anywhere else get
        /// from `locate` exactly what the tree and the polygon test give.
        #[test]
        fn grid_answers_as_the_tree_does(
            cells in prop::collection::vec((0u32..12, 0u32..12, 1u32..4, 1u32..4), 1..40),
            lat0 in -60.0f64..70.0,
            snapped in prop::collection::vec((-8i32..70, -8i32..70), 200),
            free in prop::collection::vec((-0.5f64..4.0, -0.5f64..4.0), 200),
        ) {
            let areas = grid_of_rects(&cells, lat0, 0.25);
            let index = AreaIndex::build(&areas);
            // Each area's centre too, so every case has points inside.
            let centres: Vec<(f64, f64)> = areas
                .iter()
                .map(|a| {
                    use geo::BoundingRect;
                    let r = a.geometry.bounding_rect().unwrap();
                    (r.center().x, r.center().y)
                })
                .collect();
            let points = snapped
                .iter()
                .map(|&(x, y)| (f64::from(x) / 16.0, lat0 + f64::from(y) / 16.0))
                .chain(free.iter().map(|&(x, y)| (x, lat0 + y)))
                .chain(centres);
            let mut by_grid = 0;
            for (x, y) in points {
                let mut exact = Vec::new();
                index.locate_exactly(&areas, x, y, &mut exact);
                prop_assert_eq!(index.locate(&areas, x, y), exact, "at ({}, {})", x, y);
                if index
                    .grid(&areas)
                    .is_some_and(|g| matches!(g.at(x, y), Known::Area(_)))
                {
                    by_grid += 1;
                }
            }
            // The shortcut is taken (a lone area's centre is in a cell no
            // edge touches).
            if areas.len() == 1 {
                prop_assert!(by_grid > 0);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// The indexed nearest-area search agrees with the brute-force one,
        /// for points near and far, at latitudes from the equator to 70°.
        #[test]
        fn nearest_agrees_with_brute_force(
            boxes in prop::collection::vec((0.0f64..3.0, 0.0f64..3.0, 0.01f64..0.5), 2..25),
            lat0 in 0.0f64..70.0,
            pts in prop::collection::vec((-4.0f64..7.0, -4.0f64..7.0), 20),
        ) {
            let areas: Vec<Area> = boxes
                .iter()
                .enumerate()
                .map(|(i, &(x, y, s))| square(&format!("a{i:02}"), x, lat0 + y, s))
                .collect();
            agrees_with_brute_force(&areas, pts.iter().map(|&(x, y)| (x, lat0 + y)))?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// The same with areas on a grid, so neighbours share edges exactly
        /// (edges the search leaves out) and some overlap or repeat.
        #[test]
        fn nearest_on_shared_edges_agrees_with_brute_force(
            cells in prop::collection::vec((0u32..10, 0u32..10, 1u32..4, 1u32..4), 2..30),
            lat0 in 0.0f64..70.0,
            pts in prop::collection::vec((-1.0f64..4.0, -1.0f64..4.0), 30),
        ) {
            let areas = grid_of_rects(&cells, lat0, 0.25);
            agrees_with_brute_force(&areas, pts.iter().map(|&(x, y)| (x, lat0 + y)))?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// The areas near a point (not holding it) are exactly those the
        /// brute-force distance puts within the radius, nearest first, on
        /// grid cells a few hundred metres wide that share edges.
        #[test]
        fn others_within_agrees_with_brute_force(
            cells in prop::collection::vec((0u32..10, 0u32..10, 1u32..4, 1u32..4), 2..30),
            lat0 in 0.0f64..70.0,
            within_m in 1.0f64..1500.0,
            pts in prop::collection::vec((-0.005f64..0.035, -0.005f64..0.035), 30),
        ) {
            let step = 0.0025;
            let areas = grid_of_rects(&cells, lat0, step);
            let index = AreaIndex::build(&areas);
            for &(x, y) in &pts {
                let (lon, lat) = (x, lat0 + y);
                let inside = index.locate(&areas, lon, lat);
                let got = index.others_within(&areas, lon, lat, within_m, &inside);
                let mut want: Vec<(usize, f64)> = (0..areas.len())
                    .filter(|a| !inside.contains(a))
                    .map(|a| (a, distance_by_brute_force(&areas[a], lon, lat)))
                    .collect();
                // Leave out areas too close to the radius to call.
                let near_edge = |d: f64| (d - within_m).abs() <= 1e-9 * within_m;
                want.retain(|&(_, d)| d <= within_m || near_edge(d));
                for n in &got {
                    prop_assert!(n.distance_m <= within_m);
                    prop_assert!(!inside.contains(&n.area));
                    let w = want.iter().find(|w| w.0 == n.area);
                    prop_assert!(w.is_some(), "({lon}, {lat}): {} at {} m not near by brute force", n.area, n.distance_m);
                    let w = w.unwrap().1;
                    prop_assert!((n.distance_m - w).abs() <= 1e-9 * w.max(1.0), "{} vs {w}", n.distance_m);
                }
                for &(a, d) in &want {
                    prop_assert!(
                        near_edge(d) || got.iter().any(|n| n.area == a),
                        "({lon}, {lat}): area {a} at {d} m missed (radius {within_m})"
                    );
                }
                prop_assert!(got.windows(2).all(|w| w[0].distance_m <= w[1].distance_m));
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Points inside random star-shaped polygons with a star-shaped hole
        /// are found, points in the hole or outside are not.
        #[test]
        fn points_inside_are_found_and_outside_are_not(
            shell in prop::collection::vec(0.6f64..1.0, 5..40),
            hole in prop::collection::vec(0.1f64..0.3, 3..20),
            cx in -10.0f64..10.0, cy in 40.0f64..60.0,
            pts in prop::collection::vec((-1.2f64..1.2, -1.2f64..1.2), 50),
        ) {
            let (shell_ring, shell_side) = star((cx, cy), &shell);
            let (mut hole_ring, hole_side) = star((cx, cy), &hole);
            hole_ring.reverse();
            let poly = Polygon::new(shell_ring.into(), vec![hole_ring.into()]);
            let areas = vec![
                Area::new("p".into(), "p".into(), MultiPolygon::new(vec![poly]), None),
                // A second area elsewhere so the tree has several entries.
                square("other", cx + 5.0, cy, 1.0),
            ];
            let index = AreaIndex::build(&areas);
            for (dx, dy) in pts {
                let (x, y) = (cx + dx, cy + dy);
                let in_shell = shell_side(x, y);
                let in_hole = hole_side(x, y);
                let found = index.locate(&areas, x, y).contains(&0);
                let margin = 1e-9;
                if in_shell > margin && in_hole < -margin {
                    prop_assert!(found, "({x}, {y}) is inside but was not found");
                } else if in_shell < -margin || in_hole > margin {
                    prop_assert!(!found, "({x}, {y}) is outside but was found");
                }
            }
        }
    }
}
