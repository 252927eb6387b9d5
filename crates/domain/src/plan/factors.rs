//! The explainable factors a community is scored on, each 0–1.
//!
//! Every factor is a plain function of geometry, names and numbers, so a
//! planner can show each one beside a suggestion and a test can pin each one
//! down on hand-made shapes.

use geo::{Coord, Distance, Geodesic, LineString, MultiPolygon, Point};
use rstar::primitives::Line as RLine;
use rstar::{PointDistance, RTree};

/// *Size*: the community's population against the audience a feed needs
/// (`min_population`), saturating at 1.
pub fn size(population: f64, min_population: f64) -> f64 {
    if min_population <= 0.0 {
        return 1.0;
    }
    (population / min_population).clamp(0.0, 1.0)
}

/// *Compactness*, Polsby–Popper: 4πA/P², 1 for a disc, near 0 for a sliver.
/// A compact place is easier to speak to as one community.
pub fn compactness(area_m2: f64, perimeter_m: f64) -> f64 {
    if perimeter_m <= 0.0 {
        return 0.0;
    }
    (4.0 * std::f64::consts::PI * area_m2 / (perimeter_m * perimeter_m)).clamp(0.0, 1.0)
}

/// *Containment*: the share of the community inside its neighbourhood,
/// already a 0–1 number from the relations computed on load.
pub fn containment(share_of_child: f64) -> f64 {
    share_of_child.clamp(0.0, 1.0)
}

/// *Identity*: 1 for a real place name, 0 for a statistical code, unless an
/// explicit `identity` value (0–1) overrides. A name is a code when it has
/// no lower-case letter but has a digit (`E05011350`, `1BDF`, `NC04`), or
/// its last word is a census-style serial (`Bolton 005A`, `Trafford 001`).
pub fn identity(name: &str, explicit: Option<f64>) -> f64 {
    if let Some(v) = explicit {
        return v.clamp(0.0, 1.0);
    }
    if is_statistical_code(name) {
        0.0
    } else {
        1.0
    }
}

/// Whether a name is a statistical code rather than a place name.
pub fn is_statistical_code(name: &str) -> bool {
    let name = name.trim();
    if name.is_empty() {
        return true;
    }
    let has_lower = name.chars().any(char::is_lowercase);
    let has_digit = name.chars().any(|c| c.is_ascii_digit());
    if !has_lower && has_digit {
        return true;
    }
    let last = name.split_whitespace().last().unwrap_or("");
    let digits = last.chars().take_while(char::is_ascii_digit).count();
    let rest: Vec<char> = last.chars().skip(digits).collect();
    digits == 3 && rest.len() <= 1 && rest.iter().all(char::is_ascii_uppercase)
}

/// *Separation*: how apart a community is from the others of its
/// neighbourhood. The mean of two parts, each 0–1:
/// - boundary isolation, 1 − (boundary shared with the other communities ÷
///   the community's perimeter): a village ringed by fields shares nothing;
/// - distance, the geodesic distance from the community's centre to the
///   neighbourhood's centre ÷ the neighbourhood's equivalent radius
///   (√(area/π)), capped at 1: an outlying place scores higher than one at
///   the heart of the neighbourhood.
pub fn separation(
    shared_m: f64,
    perimeter_m: f64,
    centre: Point<f64>,
    hood_centre: Point<f64>,
    hood_area_m2: f64,
) -> f64 {
    let isolation = if perimeter_m > 0.0 {
        (1.0 - shared_m / perimeter_m).clamp(0.0, 1.0)
    } else {
        0.0
    };
    0.5 * (isolation + outlying(centre, hood_centre, hood_area_m2))
}

/// *Separation* of a discovered settlement: as [`separation`], with the
/// isolation part measured by the empty land around it instead of shared
/// boundary: `gap_m ÷ full_gap_m`, capped at 1 (a settlement `full_gap_m`
/// or more from the nearest larger settlement is wholly apart).
pub fn separation_by_gap(
    gap_m: f64,
    full_gap_m: f64,
    centre: Point<f64>,
    hood_centre: Point<f64>,
    hood_area_m2: f64,
) -> f64 {
    let isolation = if full_gap_m > 0.0 {
        (gap_m / full_gap_m).clamp(0.0, 1.0)
    } else {
        1.0
    };
    0.5 * (isolation + outlying(centre, hood_centre, hood_area_m2))
}

/// The distance part of separation: centre to the neighbourhood's centre ÷
/// its equivalent radius, capped at 1.
fn outlying(centre: Point<f64>, hood_centre: Point<f64>, hood_area_m2: f64) -> f64 {
    let radius = (hood_area_m2 / std::f64::consts::PI).sqrt();
    if radius > 0.0 {
        (Geodesic.distance(centre, hood_centre) / radius).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// The boundaries of `others`, indexed for [`shared_boundary_m`].
pub struct BoundaryIndex {
    tree: RTree<RLine<[f64; 2]>>,
    kx: f64,
}

impl BoundaryIndex {
    /// Indexes every ring segment of `others`, in a plane whose longitude
    /// is scaled by the cosine of `lat0` (so distances are locally
    /// isotropic).
    pub fn new<'a>(
        others: impl IntoIterator<Item = &'a MultiPolygon<f64>>,
        lat0: f64,
    ) -> BoundaryIndex {
        let kx = lat0.to_radians().cos();
        let mut lines = Vec::new();
        for mp in others {
            for poly in &mp.0 {
                for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                    for w in ring.0.windows(2) {
                        lines.push(RLine::new([w[0].x * kx, w[0].y], [w[1].x * kx, w[1].y]));
                    }
                }
            }
        }
        BoundaryIndex {
            tree: RTree::bulk_load(lines),
            kx,
        }
    }

    fn near(&self, c: Coord<f64>, tolerance_deg: f64) -> bool {
        let p = [c.x * self.kx, c.y];
        // Most of a boundary is nowhere near the indexed one: a box test
        // answers those without a tree search.
        let e = self.tree.root().envelope();
        let (lo, hi) = (e.lower(), e.upper());
        if p[0] < lo[0] - tolerance_deg
            || p[0] > hi[0] + tolerance_deg
            || p[1] < lo[1] - tolerance_deg
            || p[1] > hi[1] + tolerance_deg
        {
            return false;
        }
        self.tree
            .nearest_neighbor(&p)
            .is_some_and(|l| l.distance_2(&p) <= tolerance_deg * tolerance_deg)
    }
}

/// Length in metres of `geometry`'s boundary that runs along the indexed
/// boundaries, within `tolerance_m` (independently generalised boundaries
/// rarely coincide exactly). A segment counts as shared when both ends and
/// its middle are within the tolerance.
pub fn shared_boundary_m(
    geometry: &MultiPolygon<f64>,
    others: &BoundaryIndex,
    tolerance_m: f64,
) -> f64 {
    let tol = tolerance_m / 111_320.0;
    let mut shared = 0.0;
    for poly in &geometry.0 {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            shared += shared_on_ring(ring, others, tol);
        }
    }
    shared
}

fn shared_on_ring(ring: &LineString<f64>, others: &BoundaryIndex, tol: f64) -> f64 {
    let mut total = 0.0;
    for w in ring.0.windows(2) {
        let (a, b) = (w[0], w[1]);
        let mid = Coord {
            x: (a.x + b.x) / 2.0,
            y: (a.y + b.y) / 2.0,
        };
        if others.near(a, tol) && others.near(b, tol) && others.near(mid, tol) {
            total += Geodesic.distance(Point(a), Point(b));
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Centroid, GeodesicArea};

    use feedmap_geography::area::test_shapes::rect;

    #[test]
    fn size_saturates_at_the_minimum_audience() {
        assert_eq!(size(1_500.0, 3_000.0), 0.5);
        assert_eq!(size(9_000.0, 3_000.0), 1.0);
        assert_eq!(size(0.0, 3_000.0), 0.0);
    }

    #[test]
    fn compactness_prefers_squares_to_slivers() {
        let square = rect(0.0, 54.0, 0.017, 54.01);
        let sliver = rect(0.0, 54.0, 0.17, 54.001);
        let c = |g: &MultiPolygon<f64>| {
            let (p, a) = g.geodesic_perimeter_area_unsigned();
            compactness(a, p)
        };
        assert!(
            (c(&square) - std::f64::consts::PI / 4.0).abs() < 0.01,
            "{}",
            c(&square)
        );
        assert!(c(&sliver) < 0.1, "{}", c(&sliver));
    }

    #[test]
    fn coded_names_score_zero_identity() {
        for code in [
            "Bolton 005A",
            "Trafford 001",
            "E05011350",
            "1BDF",
            "NC04",
            "",
        ] {
            assert_eq!(identity(code, None), 0.0, "{code}");
        }
        for name in [
            "Old Trafford",
            "St Aldric's",
            "Hale Barns & Timperley South",
            "Little Wexcombe",
        ] {
            assert_eq!(identity(name, None), 1.0, "{name}");
        }
        assert_eq!(identity("1BDF", Some(0.8)), 0.8);
    }

    #[test]
    fn adjacent_squares_share_one_side() {
        let a = rect(0.0, 54.0, 0.01, 54.01);
        let b = rect(0.01, 54.0, 0.02, 54.01);
        let index = BoundaryIndex::new([&b], 54.0);
        let shared = shared_boundary_m(&a, &index, 1.0);
        let side = Geodesic.distance(Point::new(0.01, 54.0), Point::new(0.01, 54.01));
        assert!((shared - side).abs() < 1.0, "{shared} vs {side}");
        let far = rect(0.05, 54.0, 0.06, 54.01);
        let index = BoundaryIndex::new([&far], 54.0);
        assert_eq!(shared_boundary_m(&a, &index, 1.0), 0.0);
    }

    /// Acceptance: a ring-fenced village scores higher separation than a
    /// wedge between two estates.
    #[test]
    fn ring_fenced_village_is_more_separate_than_a_wedge_between_estates() {
        // Neighbourhood: 0.10° × 0.06° at 54°N. Two estates with a wedge
        // between them in the middle; a village alone in the far corner.
        let hood = rect(0.0, 54.0, 0.10, 54.06);
        let estate_w = rect(0.03, 54.02, 0.045, 54.04);
        let wedge = rect(0.045, 54.02, 0.055, 54.04);
        let estate_e = rect(0.055, 54.02, 0.07, 54.04);
        let village = rect(0.085, 54.048, 0.095, 54.056);
        let communities = [&estate_w, &wedge, &estate_e, &village];
        let hood_centre = hood.centroid().unwrap();
        let hood_area = hood.geodesic_area_unsigned();
        let score = |me: &MultiPolygon<f64>| {
            let others: Vec<&MultiPolygon<f64>> = communities
                .iter()
                .copied()
                .filter(|c| !std::ptr::eq(*c, me))
                .collect();
            let index = BoundaryIndex::new(others, 54.0);
            let (perimeter, _) = me.geodesic_perimeter_area_unsigned();
            let shared = shared_boundary_m(me, &index, 1.0);
            separation(
                shared,
                perimeter,
                me.centroid().unwrap(),
                hood_centre,
                hood_area,
            )
        };
        let (v, w) = (score(&village), score(&wedge));
        assert!(v > 0.8, "village {v}");
        assert!(w < 0.4, "wedge {w}");
        assert!(v > w);
    }
}
