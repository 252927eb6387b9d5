//! One area: a validated boundary polygon in WGS84 with the geodesic
//! measures (m², m) that lookups, planning and answers need. The data type
//! below the layer (`boundary`) and its index (`index`), which build on it.

use geo::orient::Direction;
use geo::{BoundingRect, GeodesicArea, MultiPolygon, Orient, Rect};

/// One area of a region: the index of its layer (manifest order) and its
/// index in that layer (source order). Meaningful only for the region it
/// was taken from: a reload makes new ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AreaRef {
    /// Index of the layer in the region.
    pub layer: usize,
    /// Index of the area in the layer.
    pub area: usize,
}

impl AreaRef {
    /// Area `area` of layer `layer`.
    pub fn new(layer: usize, area: usize) -> AreaRef {
        AreaRef { layer, area }
    }
}

/// One area (neighbourhood, community or context polygon) of a layer.
#[derive(Debug, Clone)]
pub struct Area {
    /// The id from the source data (unique in its layer).
    pub id: String,
    /// The display name.
    pub name: String,
    /// The boundary in WGS84 lon/lat.
    pub geometry: MultiPolygon<f64>,
    /// Geodesic area in square metres (holes subtracted).
    pub area_m2: f64,
    /// Geodesic perimeter in metres (all rings).
    pub perimeter_m: f64,
    /// Resident population when the source gives one.
    pub population: Option<f64>,
    /// An explicit identity score (0–1) from the layer's identity property,
    /// overriding the planner's name-based guess.
    pub identity: Option<f64>,
    /// Bounding box in lon/lat.
    pub bbox: Rect<f64>,
}

impl Area {
    /// Builds an area from a valid geometry, computing its geodesic measures.
    /// Rings are first oriented by RFC 7946's right-hand rule (exterior
    /// counter-clockwise, holes clockwise): many published files (ESRI
    /// exports, ONS) wind the other way, and a clockwise ring's geodesic
    /// area is the rest of the Earth.
    pub fn new(
        id: String,
        name: String,
        geometry: MultiPolygon<f64>,
        population: Option<f64>,
    ) -> Area {
        let geometry = geometry.orient(Direction::Default);
        let (perimeter_m, area_m2) = geometry.geodesic_perimeter_area_unsigned();
        let bbox = geometry
            .bounding_rect()
            .unwrap_or_else(|| Rect::new(geo::coord! {x: 0., y: 0.}, geo::coord! {x: 0., y: 0.}));
        Area {
            id,
            name,
            geometry,
            area_m2,
            perimeter_m,
            population,
            identity: None,
            bbox,
        }
    }
}

/// Geodesic (perimeter m, area m²) of a multipolygon, whatever the winding
/// of its rings. Boolean operations and published files wind rings either
/// way, and a geodesic measure of a ring wound the wrong way is the rest of
/// the Earth (a hole wound so subtracts that from its polygon), so every
/// measure goes through here: rings are oriented by RFC 7946's right-hand
/// rule first.
pub fn geodesic_measures(geometry: &MultiPolygon<f64>) -> (f64, f64) {
    geometry
        .orient(Direction::Default)
        .geodesic_perimeter_area_unsigned()
}

/// Geodesic area in m² of the overlap of two areas' geometries.
pub fn overlap_m2(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
    use geo::BooleanOps;
    geodesic_measures(&a.intersection(b)).1
}

/// Shapes for unit tests, here and in the crates above (their
/// dev-dependency turns on the `test-shapes` feature).
#[cfg(any(test, feature = "test-shapes"))]
#[doc(hidden)]
pub mod test_shapes {
    use super::Area;
    use geo::{LineString, MultiPolygon, Polygon};

    /// The rectangle `[x0, x1] × [y0, y1]` (degrees) as a multipolygon.
    pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        let ring: LineString<f64> = vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)].into();
        MultiPolygon::new(vec![Polygon::new(ring, vec![])])
    }

    /// A rectangular area whose id and name are `id`.
    pub fn rect_area(id: &str, x0: f64, y0: f64, x1: f64, y1: f64) -> Area {
        Area::new(id.into(), id.into(), rect(x0, y0, x1, y1), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    /// Boolean operations may wind holes either way; the overlap of a
    /// square with a holed square must still be the square less the hole
    /// (a wrongly wound hole measured as-is subtracts the rest of the Earth).
    #[test]
    fn overlaps_with_holes_measure_right_whatever_the_winding() {
        let outer: LineString<f64> = vec![
            (0.0, 53.0),
            (0.02, 53.0),
            (0.02, 53.02),
            (0.0, 53.02),
            (0.0, 53.0),
        ]
        .into();
        let hole: LineString<f64> = vec![
            (0.005, 53.005),
            (0.015, 53.005),
            (0.015, 53.015),
            (0.005, 53.015),
            (0.005, 53.005),
        ]
        .into();
        let holed = MultiPolygon::new(vec![Polygon::new(outer.clone(), vec![hole.clone()])]);
        let plain = MultiPolygon::new(vec![Polygon::new(outer, vec![])]);
        let hole_only = MultiPolygon::new(vec![Polygon::new(hole, vec![])]);
        let want = geodesic_measures(&plain).1 - geodesic_measures(&hole_only).1;
        for (a, b) in [(&holed, &plain), (&plain, &holed)] {
            let got = overlap_m2(a, b);
            assert!((got - want).abs() < 1.0, "{got} vs {want}");
        }
    }

    #[test]
    fn clockwise_rings_get_their_true_area() {
        // A 0.01° square at 53°N, wound clockwise: 1.113 km × 0.670 km on the
        // WGS84 ellipsoid.
        let cw: LineString<f64> = vec![
            (0.0, 53.0),
            (0.0, 53.01),
            (0.01, 53.01),
            (0.01, 53.0),
            (0.0, 53.0),
        ]
        .into();
        let area = Area::new(
            "a".into(),
            "a".into(),
            MultiPolygon::new(vec![Polygon::new(cw, vec![])]),
            None,
        );
        assert!(
            (area.area_m2 - 747_000.0).abs() < 1_000.0,
            "{}",
            area.area_m2
        );
        assert!(
            (area.perimeter_m - 3_560.0).abs() < 20.0,
            "{}",
            area.perimeter_m
        );
    }
}
