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

use crate::boundary::Layer;
use crate::lookup::LatLon;
use geo::{BooleanOps, GeodesicArea};
use serde::Serialize;

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

/// Spreads the populations of `source` areas over the areas of `target`
/// by overlapping area. `source_population(i)` gives source area `i`'s
/// population (e.g. its property, or a constant per output area). Returns
/// one figure per target area. A source never gives out more than it has,
/// even where targets overlap; population falling outside every target is
/// dropped (it belongs to none of them).
pub fn areal_weighted(
    source: &Layer,
    source_population: impl Fn(usize) -> f64,
    target: &Layer,
) -> Vec<f64> {
    let mut out = vec![0.0; target.areas.len()];
    for (si, s) in source.areas.iter().enumerate() {
        let pop = source_population(si);
        if pop <= 0.0 || s.area_m2 <= 0.0 {
            continue;
        }
        let min = [s.bbox.min().x, s.bbox.min().y];
        let max = [s.bbox.max().x, s.bbox.max().y];
        let overlaps: Vec<(usize, f64)> = target
            .index
            .in_envelope(min, max)
            .into_iter()
            .map(|ti| {
                let overlap = s.geometry.intersection(&target.areas[ti].geometry);
                (ti, overlap.geodesic_area_unsigned())
            })
            .collect();
        // Targets that overlap each other (independently drawn boundaries
        // often do, slightly) must not share out more than the source has.
        let denominator = s.area_m2.max(overlaps.iter().map(|(_, o)| o).sum());
        for (ti, overlap) in overlaps {
            out[ti] += pop * overlap / denominator;
        }
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
