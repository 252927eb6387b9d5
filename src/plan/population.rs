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

use crate::boundary::{overlap_m2, Layer};
use crate::lookup::LatLon;
use crate::manifest::{PopulationPointsSpec, Role};
use crate::table::{coordinate, Table};
use crate::validate::{Problem, ProblemKind};
use serde::Serialize;
use std::path::Path;

/// Where a population figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// From the area's own `population_property`.
    Given,
    /// Areal-weighted from a finer population layer.
    ArealWeighted,
    /// Summed from population points.
    PointCounts,
}

impl Provenance {
    /// Whether the figure is an estimate (said so beside it in every answer).
    pub fn is_estimate(self) -> bool {
        self != Provenance::Given
    }
}

/// One area's population and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
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
            .map(|ti| (ti, overlap_m2(&s.geometry, &target.areas[ti].geometry)))
            .collect();
        // Targets that overlap each other (independently drawn boundaries
        // often do, slightly) must not share out more than the source has.
        let denominator = s.area_m2.max(overlaps.iter().map(|(_, o)| o).sum());
        overlaps
            .into_iter()
            .map(|(ti, overlap)| (ti, pop * overlap / denominator))
            .collect()
    };
    let shares = crate::parallel::map_indexed(
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
                            format!("count {cell:?} is not a number zero or more"),
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
/// or estimated, computed once when the region loads.
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
    use crate::boundary::Area;
    use crate::manifest::Role;

    fn square(id: &str, x0: f64, y0: f64, w: f64, h: f64) -> Area {
        crate::boundary::test_shapes::rect_area(id, x0, y0, x0 + w, y0 + h)
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
