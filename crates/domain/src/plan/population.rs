//! Population estimates for areas whose source gives none.
//!
//! Two documented methods, both conserving the total they start from:
//! - **areal weighting**: each source polygon's population is shared among
//!   the target areas it overlaps, in proportion to the overlapping area
//!   (geodesic m² of the boolean intersection) — accurate when the source
//!   is much finer than the targets (output areas of ~300 people onto
//!   wards);
//! - **point counts**: each point (a postcode centroid, say) adds its count
//!   to the target area containing it (by the lookup's boundary rule).
//!
//! Every figure says whether it was given or estimated, and by which method.

use feedmap_geography::boundary::{overlap_m2, Layer};
use feedmap_geography::lookup::LatLon;
use feedmap_geography::manifest::{PopulationPointsSpec, Role};
use feedmap_geography::table::{coordinate, Table};
use feedmap_geography::validate::{quoted, Problem, ProblemKind};
use serde::Serialize;
use std::path::Path;

/// Where a population figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// From the area's own `population_property`.
    Given,
    /// Areal-weighted from a finer population layer.
    ArealWeighted,
    /// Summed from population points.
    PointCounts,
    /// Summed over a settlement's residential points, each standing for a
    /// share of the region's population source.
    ResidentialPoints,
}

impl Provenance {
    /// Whether the figure is an estimate (said so beside it in every answer).
    pub fn is_estimate(self) -> bool {
        self != Provenance::Given
    }
}

/// One area's population and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Figure {
    /// Residents.
    pub value: f64,
    /// Given or estimated, and how.
    pub provenance: Provenance,
}

/// Spreads the populations of `source` areas over the areas of `target`
/// by overlapping area. `source_population(i)` gives source area `i`'s
/// population (e.g. its property, or a constant per output area). Returns
/// one figure per target area. A source never gives out more than it has,
/// even where targets overlap; population falling outside every target is
/// dropped (it belongs to none of them). The intersections run on all
/// cores; the shares are added up in source order, so the result does not
/// depend on the machine.
pub fn areal_weighted(
    source: &Layer,
    source_population: impl Fn(usize) -> f64 + Sync,
    target: &Layer,
) -> Vec<f64> {
    let shares_of = |si: usize| -> Vec<(usize, f64)> {
        let s = &source.areas[si];
        let pop = source_population(si);
        if pop <= 0.0 || s.area_m2 <= 0.0 {
            return Vec::new();
        }
        let min = [s.bbox.min().x, s.bbox.min().y];
        let max = [s.bbox.max().x, s.bbox.max().y];
        let overlaps: Vec<(usize, f64)> = target
            .index
            .in_envelope(min, max)
            .into_iter()
            .map(|ti| (ti, overlap(s, target, ti)))
            .collect();
        // Targets that overlap each other (independently drawn boundaries
        // often do, slightly) must not share out more than the source has.
        let denominator = s.area_m2.max(overlaps.iter().map(|(_, o)| o).sum());
        overlaps
            .into_iter()
            .map(|(ti, overlap)| (ti, pop * overlap / denominator))
            .collect()
    };
    let shares = feedmap_geography::parallel::map_indexed(
        source.areas.len(),
        &format!("spreading {} over {}", source.id, target.id),
        shares_of,
    );
    let mut out = vec![0.0; target.areas.len()];
    for (ti, share) in shares.into_iter().flatten() {
        out[ti] += share;
    }
    out
}

/// The geodesic area (m²) of source area `s` inside target area `ti`.
///
/// Exact, with two shortcuts that skip the boolean operation where geometry
/// alone decides (most small areas lie wholly inside one large one):
/// - no edge of the target comes near `s`'s bounding box: `s` is wholly
///   inside or wholly outside, and one vertex says which;
/// - every vertex of `s` is strictly inside the target, no target vertex
///   lies in `s`'s bounding box and no target edge meets an edge of `s`:
///   the target's boundary then cannot reach into `s` (an edge passing
///   through would cross `s`'s boundary; a ring inside would put vertices
///   in the box), so `s` is wholly inside.
///
/// Edge tests use the exact orientation predicate and count touching or
/// collinear edges as meeting, so a doubtful case always takes the exact
/// path.
fn overlap(s: &feedmap_geography::boundary::Area, target: &Layer, ti: usize) -> f64 {
    use feedmap_geography::pip::Position;
    use geo::Coord;
    let t = &target.areas[ti];
    let (min, max) = (s.bbox.min(), s.bbox.max());
    let boxes_meet = |p: Coord<f64>, q: Coord<f64>, lo: Coord<f64>, hi: Coord<f64>| {
        p.x.max(q.x) >= lo.x && p.x.min(q.x) <= hi.x && p.y.max(q.y) >= lo.y && p.y.min(q.y) <= hi.y
    };
    let mut near: Vec<(Coord<f64>, Coord<f64>)> = Vec::new();
    let mut vertex_in_box = false;
    for ring in rings(&t.geometry) {
        for w in ring.0.windows(2) {
            let (p, q) = (w[0], w[1]);
            if boxes_meet(p, q, min, max) {
                near.push((p, q));
                vertex_in_box |= p.x >= min.x && p.x <= max.x && p.y >= min.y && p.y <= max.y;
            }
        }
    }
    let s_rings = rings(&s.geometry);
    let position = |c| target.index.position(&target.areas, ti, c);
    if near.is_empty() {
        return match s_rings
            .first()
            .and_then(|r| r.0.first())
            .map(|&c| position(c))
        {
            Some(Position::Inside) => s.area_m2,
            _ => 0.0,
        };
    }
    let inside = !vertex_in_box
        && s_rings
            .iter()
            .all(|r| r.0.iter().all(|&c| position(c) == Position::Inside))
        && !s_rings.iter().any(|r| {
            r.0.windows(2).any(|w| {
                let (a, b) = (w[0], w[1]);
                let lo = Coord {
                    x: a.x.min(b.x),
                    y: a.y.min(b.y),
                };
                let hi = Coord {
                    x: a.x.max(b.x),
                    y: a.y.max(b.y),
                };
                near.iter()
                    .any(|&(p, q)| boxes_meet(p, q, lo, hi) && segments_meet(a, b, p, q))
            })
        });
    if inside {
        s.area_m2
    } else {
        overlap_m2(&s.geometry, &t.geometry)
    }
}

/// Every ring (exteriors and holes) of a multipolygon.
fn rings(g: &geo::MultiPolygon<f64>) -> Vec<&geo::LineString<f64>> {
    g.0.iter()
        .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
        .collect()
}

/// Whether segments `ab` and `cd` cross or touch (collinear counts as
/// touching: the caller then measures exactly).
fn segments_meet(
    a: geo::Coord<f64>,
    b: geo::Coord<f64>,
    c: geo::Coord<f64>,
    d: geo::Coord<f64>,
) -> bool {
    let o = |p: geo::Coord<f64>, q: geo::Coord<f64>, r: geo::Coord<f64>| {
        robust::orient2d(
            robust::Coord { x: p.x, y: p.y },
            robust::Coord { x: q.x, y: q.y },
            robust::Coord { x: r.x, y: r.y },
        )
        .signum()
    };
    let zero = |v: f64| if v == 0.0 { 0.0 } else { v };
    zero(o(a, b, c)) * zero(o(a, b, d)) <= 0.0 && zero(o(c, d, a)) * zero(o(c, d, b)) <= 0.0
}

/// Adds each point's count to the target area containing it (the smallest,
/// where a layer's areas overlap). Points outside every area are dropped.
pub fn point_counts(points: impl IntoIterator<Item = (LatLon, f64)>, target: &Layer) -> Vec<f64> {
    let mut out = vec![0.0; target.areas.len()];
    let mut found: Vec<usize> = Vec::new();
    for (p, count) in points {
        target
            .index
            .locate_into(&target.areas, p.lon, p.lat, &mut found);
        if let Some(&a) = found.first() {
            out[a] += count;
        }
    }
    out
}

/// Reads `[population_points]`: each row a point standing for
/// `count × people_per_count` residents. Bad rows are problems naming the
/// line.
pub fn load_points(
    file: &Path,
    spec: &PopulationPointsSpec,
    problems: &mut Vec<Problem>,
) -> Vec<(LatLon, f64)> {
    let mut out = Vec::new();
    let Some(table) = Table::open(file, "[population_points]", problems) else {
        return out;
    };
    let before = problems.len();
    let lat = table.column(&spec.lat_column, problems);
    let lon = table.column(&spec.lon_column, problems);
    let count = spec
        .count_column
        .as_ref()
        .map(|c| table.column(c, problems));
    if problems.len() > before {
        return out;
    }
    let (Some(lat), Some(lon)) = (lat, lon) else {
        return out;
    };
    let count = count.flatten();
    table.rows(problems, |table, line, record, problems| {
        let point = coordinate(record.get(lat).unwrap_or(""), "latitude", 90.0).and_then(|la| {
            Ok(LatLon {
                lat: la,
                lon: coordinate(record.get(lon).unwrap_or(""), "longitude", 180.0)?,
            })
        });
        let point = match point {
            Ok(p) => p,
            Err(why) => {
                problems.push(table.problem(line, None, ProblemKind::CoordinateOutOfRange, why));
                return;
            }
        };
        let n = match count {
            None => 1.0,
            Some(c) => {
                let cell = record.get(c).unwrap_or("").trim();
                match cell.parse::<f64>() {
                    Ok(v) if v.is_finite() && v >= 0.0 => v,
                    _ => {
                        problems.push(table.problem(
                            line,
                            None,
                            ProblemKind::InvalidPopulation,
                            format!("count {} is not a number zero or more", quoted(cell)),
                        ));
                        return;
                    }
                }
            }
        };
        out.push((point, n * spec.people_per_count));
    });
    out
}

/// The populations of a region's neighbourhood and community layers, given
/// or estimated, computed once per region (on first use).
#[derive(Debug, Default)]
pub struct Populations {
    /// Per layer (in region order): one figure per area, `None` where
    /// nothing is known. Context and population layers get an empty list.
    pub figures: Vec<Vec<Option<Figure>>>,
    /// What estimates were made from, in words (`None` when nothing was
    /// estimated).
    pub source: Option<String>,
}

impl Populations {
    /// The figure of one area.
    pub fn of(&self, layer: usize, area: usize) -> Option<Figure> {
        self.figures
            .get(layer)
            .and_then(|l| l.get(area))
            .copied()
            .flatten()
    }

    /// Gives every neighbourhood and community area a population: its own
    /// figure when the file has one; else an areal-weighted estimate from
    /// the first `role = "population"` layer; else a sum of the population
    /// points; else none.
    pub fn compute(layers: &[Layer], points: Option<&[(LatLon, f64)]>) -> Populations {
        let source_layer = layers.iter().find(|l| l.role == Role::Population);
        let mut used = false;
        let figures = layers
            .iter()
            .map(|layer| {
                if !matches!(layer.role, Role::Neighbourhood | Role::Community) {
                    return Vec::new();
                }
                let given: Vec<Option<Figure>> = layer
                    .areas
                    .iter()
                    .map(|a| {
                        a.population.map(|value| Figure {
                            value,
                            provenance: Provenance::Given,
                        })
                    })
                    .collect();
                if given.iter().all(Option::is_some) {
                    return given;
                }
                let estimate = match (source_layer, points) {
                    (Some(src), _) => Some((
                        areal_weighted(src, |i| src.areas[i].population.unwrap_or(0.0), layer),
                        Provenance::ArealWeighted,
                    )),
                    (None, Some(points)) => Some((
                        point_counts(points.iter().copied(), layer),
                        Provenance::PointCounts,
                    )),
                    (None, None) => None,
                };
                let Some((values, provenance)) = estimate else {
                    return given;
                };
                used = true;
                given
                    .into_iter()
                    .zip(values)
                    .map(|(g, value)| g.or(Some(Figure { value, provenance })))
                    .collect()
            })
            .collect();
        let source = used.then(|| match source_layer {
            Some(src) => format!("areal weighting of layer {:?}", src.id),
            None => "population points".to_string(),
        });
        Populations { figures, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use feedmap_geography::boundary::Area;
    use feedmap_geography::manifest::Role;

    fn square(id: &str, x0: f64, y0: f64, w: f64, h: f64) -> Area {
        feedmap_geography::area::test_shapes::rect_area(id, x0, y0, x0 + w, y0 + h)
    }

    fn layer(areas: Vec<Area>) -> Layer {
        Layer::new("l", "l", Role::Community, "test".into(), areas)
    }

    #[test]
    fn areal_weighting_splits_by_overlap_and_conserves_population() {
        // One source cell of 1,000 people, half over each of two targets.
        let source = layer(vec![square("s", 0.0, 0.0, 0.02, 0.01)]);
        let target = layer(vec![
            square("a", 0.0, 0.0, 0.01, 0.01),
            square("b", 0.01, 0.0, 0.01, 0.01),
        ]);
        let est = areal_weighted(&source, |_| 1_000.0, &target);
        assert!(
            (est[0] - 500.0).abs() < 1.0 && (est[1] - 500.0).abs() < 1.0,
            "{est:?}"
        );
        // A source half outside every target gives only its inside half.
        let source = layer(vec![square("s", 0.01, 0.0, 0.02, 0.01)]);
        let est = areal_weighted(&source, |_| 1_000.0, &target);
        assert!(
            est[0].abs() < 1e-6 && (est[1] - 500.0).abs() < 1.0,
            "{est:?}"
        );
    }

    /// A U-shaped target (a square with a slot cut up from its bottom edge).
    fn u_shape() -> Area {
        let ring: geo::LineString<f64> = vec![
            (0.0, 0.0),
            (0.45, 0.0),
            (0.45, 0.8),
            (0.55, 0.8),
            (0.55, 0.0),
            (1.0, 0.0),
            (1.0, 1.0),
            (0.0, 1.0),
            (0.0, 0.0),
        ]
        .into();
        Area::new(
            "u".into(),
            "u".into(),
            geo::MultiPolygon::new(vec![geo::Polygon::new(ring, vec![])]),
            None,
        )
    }

    /// The shortcuts never change the answer: a strip whose ends lie inside
    /// the U but which crosses its slot (every vertex inside, no target
    /// vertex in its box) is measured exactly, as are sources wholly
    /// inside, wholly outside and straddling.
    #[test]
    fn overlap_shortcuts_agree_with_the_exact_intersection() {
        let target = layer(vec![u_shape()]);
        for (x0, y0, w, h) in [
            (0.1, 0.4, 0.8, 0.02),  // strip across the slot
            (0.1, 0.85, 0.8, 0.05), // above the slot: wholly inside
            (0.05, 0.05, 0.1, 0.1), // inside one arm
            (0.47, 0.1, 0.06, 0.1), // inside the slot: outside
            (2.0, 2.0, 0.1, 0.1),   // far away
            (0.9, 0.9, 0.2, 0.2),   // straddling the outer edge
            (0.4, 0.75, 0.2, 0.1),  // around the slot's end
        ] {
            let s = square("s", x0, y0, w, h);
            let exact = overlap_m2(&s.geometry, &target.areas[0].geometry);
            let got = overlap(&s, &target, 0);
            assert!(
                (got - exact).abs() <= 1e-6 * s.area_m2.max(1.0),
                "{x0},{y0} {w}x{h}: {got} vs exact {exact}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn overlap_matches_exact_on_random_rectangles(
            x0 in -0.2f64..1.1, y0 in -0.2f64..1.1, w in 0.001f64..0.6, h in 0.001f64..0.6
        ) {
            let target = layer(vec![u_shape()]);
            let s = square("s", x0, y0, w, h);
            let exact = overlap_m2(&s.geometry, &target.areas[0].geometry);
            let got = overlap(&s, &target, 0);
            proptest::prop_assert!((got - exact).abs() <= 1e-6 * s.area_m2.max(1.0), "{} vs {}", got, exact);
        }
    }

    #[test]
    fn overlapping_targets_do_not_create_people() {
        let source = layer(vec![square("s", 0.0, 0.0, 0.02, 0.01)]);
        let target = layer(vec![
            square("a", 0.0, 0.0, 0.012, 0.01),
            square("b", 0.008, 0.0, 0.012, 0.01),
        ]);
        let est = areal_weighted(&source, |_| 1_000.0, &target);
        assert!((est.iter().sum::<f64>() - 1_000.0).abs() < 1e-6, "{est:?}");
        assert!((est[0] - est[1]).abs() < 1.0, "{est:?}");
    }

    #[test]
    fn point_counts_go_to_the_containing_area() {
        let target = layer(vec![
            square("a", 0.0, 0.0, 1.0, 1.0),
            square("b", 1.0, 0.0, 1.0, 1.0),
        ]);
        let pts = [
            (LatLon { lat: 0.5, lon: 0.5 }, 2.0),
            (LatLon { lat: 0.5, lon: 1.5 }, 3.0),
            (LatLon { lat: 0.5, lon: 1.6 }, 1.0),
            (LatLon { lat: 5.0, lon: 5.0 }, 7.0),
        ];
        assert_eq!(point_counts(pts, &target), vec![2.0, 4.0]);
    }
}
