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
use crate::pip::{polygon_position, BandedPolygon, Position, SCAN_EDGES};
use geo::{Coord, Distance, Geodesic, Point};
use rstar::{PointDistance, RTree, RTreeObject, AABB};

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
    /// Squared planar distance to the envelope (degrees²): an ordering key
    /// for the nearest-area search, refined geodesically by the caller.
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
}

/// The nearest area to a point that no area contains.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nearest {
    /// Index of the area in its layer.
    pub area: usize,
    /// Geodesic distance in metres from the point to the area's boundary.
    pub distance_m: f64,
}

/// Metres per degree of latitude (a lower bound for any direction once
/// scaled by the cosine of the highest latitude involved).
const METRES_PER_DEGREE: f64 = 110_574.0;

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
        }
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
    pub fn locate_into<V>(&self, areas: &[Area], lon: f64, lat: f64, out: &mut V)
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

    /// The area whose boundary is geodesically nearest to `(lon, lat)`, with
    /// the distance in metres. Candidates come from the R-tree in order of
    /// planar envelope distance; the search stops once no remaining envelope
    /// can be nearer than the best geodesic distance found (a conservative
    /// degrees→metres bound), so the answer is exact, not just "probably".
    /// Ties go to the smaller id.
    pub fn nearest(&self, areas: &[Area], lon: f64, lat: f64) -> Option<Nearest> {
        let query = Point::new(lon, lat);
        let mut best: Option<Nearest> = None;
        for (part, d2) in self.tree.nearest_neighbor_iter_with_distance_2(&[lon, lat]) {
            let d_deg = d2.sqrt();
            if let Some(b) = best {
                let max_lat = (lat.abs() + d_deg).min(89.9);
                let lower_bound_m = d_deg * METRES_PER_DEGREE * max_lat.to_radians().cos();
                if lower_bound_m > b.distance_m {
                    break;
                }
            }
            let a = part.area as usize;
            let polygon = &areas[a].geometry.0[part.polygon as usize];
            let distance_m = match closest_on_boundary(polygon, lon, lat) {
                Some(c) => Geodesic.distance(query, Point(c)),
                None => continue,
            };
            let better = match best {
                None => true,
                Some(b) => {
                    distance_m < b.distance_m
                        || (distance_m == b.distance_m && areas[a].id < areas[b.area].id)
                }
            };
            if better {
                best = Some(Nearest {
                    area: a,
                    distance_m,
                });
            }
        }
        best
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

/// The point of a polygon's rings closest to `(lon, lat)`, measured in a
/// plane whose longitude is scaled by the cosine of the latitude (so it is
/// locally isotropic, like metres). Compares squared distances only: this
/// runs over every edge of every candidate, so it avoids square roots.
fn closest_on_boundary(polygon: &geo::Polygon<f64>, lon: f64, lat: f64) -> Option<Coord<f64>> {
    let kx = lat.to_radians().cos();
    let mut best: Option<(f64, Coord<f64>)> = None;
    for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
        for w in ring.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            let (ax, ay) = ((a.x - lon) * kx, a.y - lat);
            let (dx, dy) = ((b.x - a.x) * kx, b.y - a.y);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 {
                (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let (cx, cy) = (ax + t * dx, ay + t * dy);
            let d2 = cx * cx + cy * cy;
            if best.is_none_or(|(bd, _)| d2 < bd) {
                best = Some((
                    d2,
                    Coord {
                        x: a.x + t * (b.x - a.x),
                        y: a.y + t * (b.y - a.y),
                    },
                ));
            }
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, Polygon};
    use proptest::prelude::*;

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
