//! Point lookup across every layer of a region: the hot path integrators
//! call all day.

use crate::index::Nearest;
use crate::region::Region;
use serde::Serialize;

/// What a point hits in one layer.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerHit {
    /// Index of the layer in the region.
    pub layer: usize,
    /// Indexes of the containing areas, smallest first (empty if none).
    pub areas: Vec<usize>,
    /// When no area contains the point: the nearest one and its distance.
    pub nearest: Option<Nearest>,
}

/// A WGS84 point as the API speaks it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatLon {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
}

/// Why coordinates were refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PointError {
    /// Latitude is not finite or outside ±90.
    #[error("lat {0} is outside -90..90")]
    Latitude(f64),
    /// Longitude is not finite or outside ±180.
    #[error("lon {0} is outside -180..180")]
    Longitude(f64),
}

impl LatLon {
    /// Checks the ranges, so no lookup ever runs on an impossible point.
    pub fn new(lat: f64, lon: f64) -> Result<LatLon, PointError> {
        if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
            return Err(PointError::Latitude(lat));
        }
        if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
            return Err(PointError::Longitude(lon));
        }
        Ok(LatLon { lat, lon })
    }
}

impl Region {
    /// Looks a point up in every layer, in layer order. Layers that contain
    /// the point report their areas; layers that do not report the nearest
    /// area and its distance instead.
    pub fn lookup(&self, p: LatLon) -> Vec<LayerHit> {
        self.layers
            .iter()
            .enumerate()
            .map(|(i, layer)| {
                let areas = layer.index.locate(&layer.areas, p.lon, p.lat);
                let nearest = if areas.is_empty() {
                    layer.index.nearest(&layer.areas, p.lon, p.lat)
                } else {
                    None
                };
                LayerHit {
                    layer: i,
                    areas,
                    nearest,
                }
            })
            .collect()
    }

    /// Looks a point up in one layer only, reusing `out` (no allocation):
    /// for callers that need one layer in a tight loop.
    pub fn locate_in_layer(&self, layer: usize, p: LatLon, out: &mut Vec<usize>) {
        let l = &self.layers[layer];
        l.index.locate_into(&l.areas, p.lon, p.lat, out);
    }
}
