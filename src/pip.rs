//! Exact point-in-polygon: where a point lies relative to a polygon
//! (inside, on the boundary, outside), the innermost test of every lookup.
//!
//! A crossing-number test specialised for closed rings, with every
//! orientation decided by Shewchuk's exact `orient2d` predicate. Exactness
//! matters on shared boundaries: two neighbours traverse their common edge
//! in opposite directions, and only an exact predicate guarantees they agree
//! on which side a point lies, so a point is never in both or in neither.
//! It answers exactly what `geo`'s general `CoordinatePosition` answers
//! (a property test checks this) at a fraction of the cost, because it makes
//! one pass per ring and does no work for edges that do not straddle the
//! point's latitude.

use geo::{Coord, LineString, Polygon};
use robust::orient2d;

/// Where a point lies relative to a polygon or ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Strictly inside.
    Inside,
    /// Exactly on a ring.
    OnBoundary,
    /// Strictly outside (including inside a hole).
    Outside,
}

fn rc(c: Coord<f64>) -> robust::Coord<f64> {
    robust::Coord { x: c.x, y: c.y }
}

/// Position of `p` relative to one closed ring.
pub fn ring_position(ring: &LineString<f64>, p: Coord<f64>) -> Position {
    let pts = &ring.0;
    let mut inside = false;
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (a_above, b_above) = (a.y > p.y, b.y > p.y);
        if a_above != b_above {
            // The edge straddles the point's latitude (half-open at the
            // lower end, so a vertex on that latitude counts once).
            let o = orient2d(rc(a), rc(b), rc(p));
            if o == 0.0 {
                return Position::OnBoundary;
            }
            // Left of an upward edge, or right of a downward one: the
            // rightward ray from p crosses it.
            if (o > 0.0) == b_above {
                inside = !inside;
            }
        } else if a == p {
            return Position::OnBoundary;
        } else if a.y == p.y && b.y == p.y && (a.x.min(b.x)..=a.x.max(b.x)).contains(&p.x) {
            // On a horizontal edge.
            return Position::OnBoundary;
        }
    }
    if inside {
        Position::Inside
    } else {
        Position::Outside
    }
}

/// Position of `p` relative to a polygon with holes.
pub fn polygon_position(polygon: &Polygon<f64>, p: Coord<f64>) -> Position {
    match ring_position(polygon.exterior(), p) {
        Position::Inside => {}
        other => return other,
    }
    for hole in polygon.interiors() {
        match ring_position(hole, p) {
            Position::Outside => {}
            Position::Inside => return Position::Outside,
            Position::OnBoundary => return Position::OnBoundary,
        }
    }
    Position::Inside
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::coordinate_position::CoordPos;
    use geo::CoordinatePosition;
    use proptest::prelude::*;

    fn oracle(poly: &Polygon<f64>, p: Coord<f64>) -> Position {
        match poly.coordinate_position(&p) {
            CoordPos::Inside => Position::Inside,
            CoordPos::OnBoundary => Position::OnBoundary,
            CoordPos::Outside => Position::Outside,
        }
    }

    #[test]
    fn vertices_edges_and_holes() {
        let shell: LineString<f64> = vec![(0., 0.), (4., 0.), (4., 4.), (0., 4.), (0., 0.)].into();
        let hole: LineString<f64> = vec![(1., 1.), (1., 2.), (2., 2.), (2., 1.), (1., 1.)].into();
        let poly = Polygon::new(shell, vec![hole]);
        let at = |x, y| polygon_position(&poly, Coord { x, y });
        assert_eq!(at(3., 3.), Position::Inside);
        assert_eq!(at(1.5, 1.5), Position::Outside);
        assert_eq!(at(5., 1.), Position::Outside);
        assert_eq!(at(4., 4.), Position::OnBoundary);
        assert_eq!(at(2., 0.), Position::OnBoundary);
        assert_eq!(at(0., 2.), Position::OnBoundary);
        assert_eq!(at(1.5, 1.), Position::OnBoundary);
        // A point level with a vertex, left of the polygon.
        assert_eq!(at(-1., 4.), Position::Outside);
        assert_eq!(at(-1., 0.), Position::Outside);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Agrees with geo's general implementation everywhere, including on
        /// vertices and along edges of random (possibly concave) polygons on
        /// a coarse grid, where boundary cases are common.
        #[test]
        fn agrees_with_geo(
            ring in prop::collection::vec((0i32..8, 0i32..8), 3..9),
            pts in prop::collection::vec((-1i32..9, -1i32..9), 40),
        ) {
            let mut coords: Vec<(f64, f64)> = ring.iter().map(|&(x, y)| (x as f64, y as f64)).collect();
            coords.push(coords[0]);
            let poly = Polygon::new(coords.into(), vec![]);
            // Self-intersecting rings are outside both contracts; skip them.
            prop_assume!(crate::validate::ring_self_intersection(&poly.exterior().0).is_none());
            for (x, y) in pts {
                let p = Coord { x: x as f64, y: y as f64 };
                prop_assert_eq!(polygon_position(&poly, p), oracle(&poly, p), "at {:?} in {:?}", p, poly);
                let q = Coord { x: x as f64 + 0.5, y: y as f64 + 0.25 };
                prop_assert_eq!(polygon_position(&poly, q), oracle(&poly, q), "at {:?} in {:?}", q, poly);
            }
        }
    }
}
