//! The overlay of one neighbourhood layer and one community layer: which
//! neighbourhood each community belongs to, and which communities border
//! which. Everything here is independent of the planning parameters, so it
//! is computed once per region and every plan (a planner moving a
//! slider re-plans many times a minute) reuses it.

use super::factors::{shared_boundary_m, BoundaryIndex};
use super::population::Populations;
use feedmap_geography::boundary::Layer;
use feedmap_geography::relations::Relations;
use geo::{Centroid, Point};

/// Boundaries of neighbouring communities from one dataset share their
/// vertices; 2 m absorbs rounding in files written with fewer decimals.
pub const SHARED_TOLERANCE_M: f64 = 2.0;

/// Where a community belongs: the neighbourhood holding most of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assignment {
    /// Neighbourhood area index.
    pub hood: usize,
    /// Share of the community inside that neighbourhood (0–1).
    pub containment: f64,
    /// Geodesic area of the overlap, m².
    pub intersection_m2: f64,
}

/// The parameter-independent groundwork of a plan for one pair of layers.
#[derive(Debug)]
pub struct Overlay {
    /// Index of the neighbourhood layer in the region.
    pub neighbourhood_layer: usize,
    /// Index of the community layer in the region.
    pub community_layer: usize,
    /// Per community: its neighbourhood, if it overlaps any.
    pub assigned: Vec<Option<Assignment>>,
    /// Per neighbourhood: the communities assigned to it, in layer order.
    pub members: Vec<Vec<usize>>,
    /// Per community: the other communities of its neighbourhood it borders,
    /// with the length (m) of its own boundary running along each.
    pub borders: Vec<Vec<(usize, f64)>>,
    /// Per community: its centroid.
    pub centre: Vec<Point<f64>>,
    /// Per neighbourhood: its population centre, the mean of its
    /// communities' centroids weighted by their population (by area where
    /// populations are unknown; its own centroid when it has none).
    pub hood_centre: Vec<Point<f64>>,
}

impl Overlay {
    /// Builds the overlay from the region's relations and populations.
    pub fn compute(
        hl: usize,
        hoods: &Layer,
        cl: usize,
        communities: &Layer,
        relations: &Relations,
        populations: &Populations,
    ) -> Overlay {
        let assigned: Vec<Option<Assignment>> = (0..communities.areas.len())
            .map(|c| {
                relations
                    .parents_of(cl, c)
                    .into_iter()
                    .filter(|r| r.parent_layer == hl)
                    // Largest share first; equal shares go to the lower index.
                    .min_by(|a, b| {
                        b.share_of_child
                            .total_cmp(&a.share_of_child)
                            .then(a.parent_area.cmp(&b.parent_area))
                    })
                    .map(|r| Assignment {
                        hood: r.parent_area,
                        containment: r.share_of_child,
                        intersection_m2: r.intersection_m2,
                    })
            })
            .collect();
        let mut members = vec![Vec::new(); hoods.areas.len()];
        for (c, a) in assigned.iter().enumerate() {
            if let Some(a) = a {
                members[a.hood].push(c);
            }
        }
        let centre: Vec<Point<f64>> = communities
            .areas
            .iter()
            .map(|a| {
                a.geometry
                    .centroid()
                    .unwrap_or_else(|| a.bbox.center().into())
            })
            .collect();
        let borders = borders(communities, &assigned, &members);
        let hood_centre = hoods
            .areas
            .iter()
            .enumerate()
            .map(|(h, hood)| {
                let weight = |c: usize| match populations.of(cl, c) {
                    Some(f) => f.value,
                    None => communities.areas[c].area_m2,
                };
                let total: f64 = members[h].iter().map(|&c| weight(c)).sum();
                if total > 0.0 {
                    let (x, y) = members[h].iter().fold((0.0, 0.0), |(x, y), &c| {
                        let w = weight(c) / total;
                        (x + w * centre[c].x(), y + w * centre[c].y())
                    });
                    Point::new(x, y)
                } else {
                    hood.geometry
                        .centroid()
                        .unwrap_or_else(|| hood.bbox.center().into())
                }
            })
            .collect();
        Overlay {
            neighbourhood_layer: hl,
            community_layer: cl,
            assigned,
            members,
            borders,
            centre,
            hood_centre,
        }
    }

    /// Length of community `c`'s boundary shared with the communities in
    /// `others` (members of its neighbourhood), measured along `c`.
    pub fn shared_with(&self, c: usize, others: impl Fn(usize) -> bool) -> f64 {
        self.borders[c]
            .iter()
            .filter(|(d, _)| others(*d))
            .map(|(_, m)| m)
            .sum()
    }
}

/// For each community, the length of its boundary along each other
/// community of the same neighbourhood whose bounding box touches its own.
fn borders(
    communities: &Layer,
    assigned: &[Option<Assignment>],
    members: &[Vec<usize>],
) -> Vec<Vec<(usize, f64)>> {
    let n = communities.areas.len();
    let areas = &communities.areas;
    let margin = SHARED_TOLERANCE_M / 111_320.0 * 4.0;
    let touches = |a: usize, b: usize| {
        let (p, q) = (areas[a].bbox, areas[b].bbox);
        p.min().x <= q.max().x + margin
            && q.min().x <= p.max().x + margin
            && p.min().y <= q.max().y + margin
            && q.min().y <= p.max().y + margin
    };
    // One index of each assigned community's boundary, built once and
    // queried by each of its neighbours.
    let indexes: Vec<Option<BoundaryIndex>> = feedmap_geography::parallel::map_indexed(
        n,
        &format!("indexing borders of {}", communities.id),
        |d| assigned[d].map(|_| BoundaryIndex::new([&areas[d].geometry], areas[d].bbox.center().y)),
    );
    let one = |c: usize| -> Vec<(usize, f64)> {
        let Some(a) = assigned[c] else {
            return Vec::new();
        };
        members[a.hood]
            .iter()
            .copied()
            .filter(|&d| d != c && touches(c, d))
            .filter_map(|d| {
                let index = indexes[d].as_ref()?;
                let m = shared_boundary_m(&areas[c].geometry, index, SHARED_TOLERANCE_M);
                (m > 0.0).then_some((d, m))
            })
            .collect()
    };
    feedmap_geography::parallel::map_indexed(
        n,
        &format!("measuring borders of {}", communities.id),
        one,
    )
}
