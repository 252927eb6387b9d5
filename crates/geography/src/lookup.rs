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
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
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
        let mut hits = Vec::with_capacity(self.layers.len());
        self.each_hit(p, |layer, areas, nearest| {
            hits.push(LayerHit {
                layer,
                areas: areas.to_vec(),
                nearest,
            })
        });
        hits
    }

    /// Each layer's answer at `p`, in layer order — `f(layer, areas,
    /// nearest)`: the areas containing the point and, only when none does,
    /// the nearest area (geodesic distances from `p` shared between
    /// layers). The one rule [`Region::lookup`] and [`AnswerJson`] answer
    /// by.
    pub fn each_hit(&self, p: LatLon, mut f: impl FnMut(usize, &[usize], Option<Nearest>)) {
        let mut from = crate::index::Distances::from(p.lon, p.lat);
        let mut found: smallvec::SmallVec<[usize; 4]> = smallvec::SmallVec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            layer
                .index
                .locate_into(&layer.areas, p.lon, p.lat, &mut found);
            let nearest = if found.is_empty() {
                layer.index.nearest_measured(&layer.areas, &mut from)
            } else {
                None
            };
            f(i, &found, nearest);
        }
    }

    /// The neighbourhood and community areas other than `holding` (those
    /// that hold the point) whose boundary lies within `within_m` metres of
    /// `p`, each with its distance in metres: nearest first (then by layer
    /// order and id). Empty when `within_m` is 0.
    pub fn near_boundary(
        &self,
        p: LatLon,
        within_m: f64,
        holding: &[crate::area::AreaRef],
    ) -> Vec<(crate::area::AreaRef, f64)> {
        let mut out = Vec::new();
        let mut inside: smallvec::SmallVec<[usize; 4]> = smallvec::SmallVec::new();
        for (li, layer) in self.layers.iter().enumerate() {
            if !matches!(
                layer.role,
                crate::Role::Neighbourhood | crate::Role::Community
            ) {
                continue;
            }
            inside.clear();
            inside.extend(holding.iter().filter(|at| at.layer == li).map(|at| at.area));
            out.extend(
                layer
                    .index
                    .others_within(&layer.areas, p.lon, p.lat, within_m, &inside)
                    .into_iter()
                    .map(|n| (crate::area::AreaRef::new(li, n.area), n.distance_m)),
            );
        }
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out
    }

    /// Looks a point up in one layer only, reusing `out` (no allocation):
    /// for callers that need one layer in a tight loop.
    pub fn locate_in_layer(&self, layer: usize, p: LatLon, out: &mut Vec<usize>) {
        let l = &self.layers[layer];
        l.index.locate_into(&l.areas, p.lon, p.lat, out);
    }
}

/// One area in a lookup answer.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AreaSummary<'a> {
    /// Area id.
    pub id: &'a str,
    /// Area name.
    pub name: &'a str,
    /// Layer id.
    pub layer: &'a str,
    /// Layer role.
    pub role: &'static str,
    /// Geodesic area, m².
    pub area_m2: f64,
    /// Population when the source gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub population: Option<f64>,
    /// Distance in metres (only for the nearest area of a layer that does
    /// not contain the point).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
}

/// The answer to "what is at this point?", as the CLI and `/v1/lookup`
/// print it: per layer id, the containing areas (empty when none) and, for
/// layers that do not contain the point, the nearest area.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LookupAnswer<'a> {
    /// The point looked up.
    pub point: LatLon,
    /// The region's name.
    pub region: &'a str,
    /// Attribution for the boundaries used.
    pub attribution: &'a str,
    /// Containing areas per layer id, most specific first.
    pub areas: std::collections::BTreeMap<&'a str, Vec<AreaSummary<'a>>>,
    /// Nearest area per layer id, for layers with no containing area.
    pub nearest: std::collections::BTreeMap<&'a str, AreaSummary<'a>>,
}

impl Region {
    /// One area shaped for output; `distance_m` (to a nearest area) is
    /// rounded to 0.1 m.
    pub fn summary(&self, layer: usize, area: usize, distance_m: Option<f64>) -> AreaSummary<'_> {
        let l = &self.layers[layer];
        let a = &l.areas[area];
        AreaSummary {
            id: &a.id,
            name: &a.name,
            layer: &l.id,
            role: l.role.as_str(),
            area_m2: a.area_m2.round(),
            population: a.population,
            distance_m: distance_m.map(|d| (d * 10.0).round() / 10.0),
        }
    }

    /// Looks a point up and shapes the result for output.
    pub fn answer(&self, p: LatLon) -> LookupAnswer<'_> {
        let mut areas = std::collections::BTreeMap::new();
        let mut nearest = std::collections::BTreeMap::new();
        for hit in self.lookup(p) {
            let id = self.layers[hit.layer].id.as_str();
            areas.insert(
                id,
                hit.areas
                    .iter()
                    .map(|&a| self.summary(hit.layer, a, None))
                    .collect(),
            );
            if let Some(n) = hit.nearest {
                nearest.insert(id, self.summary(hit.layer, n.area, Some(n.distance_m)));
            }
        }
        LookupAnswer {
            point: p,
            region: &self.name,
            attribution: &self.attribution,
            areas,
            nearest,
        }
    }
}

/// [`Region::answer`] written straight to JSON bytes, for the hot path:
/// each area's summary is serialised once, when this is built, so an
/// answer is the point, a few copied fragments and the distances — no maps
/// built, no strings escaped. The bytes are exactly serde's for the same
/// [`LookupAnswer`] (tested), which stays the one description of the shape.
#[derive(Debug)]
pub struct AnswerJson {
    /// Layer indexes by layer id (the order of the answer's maps).
    order: Vec<usize>,
    /// Per layer: its id as a JSON key (`"id":`).
    keys: Vec<Vec<u8>>,
    /// Per layer, per area: the summary without its closing brace.
    areas: Vec<Vec<Box<[u8]>>>,
    /// `"region":…,"attribution":…` as serialised.
    names: Vec<u8>,
}

impl AnswerJson {
    /// Serialises the fragments of every area of `region`.
    pub fn new(region: &Region) -> Result<AnswerJson, serde_json::Error> {
        let mut order: Vec<usize> = (0..region.layers.len()).collect();
        order.sort_by(|&a, &b| region.layers[a].id.cmp(&region.layers[b].id));
        let mut keys = Vec::with_capacity(region.layers.len());
        let mut areas = Vec::with_capacity(region.layers.len());
        for (li, layer) in region.layers.iter().enumerate() {
            let mut key = serde_json::to_vec(&layer.id)?;
            key.push(b':');
            keys.push(key);
            areas.push(
                (0..layer.areas.len())
                    .map(|a| {
                        let mut json = serde_json::to_vec(&region.summary(li, a, None))?;
                        json.pop(); // the closing brace
                        Ok(json.into_boxed_slice())
                    })
                    .collect::<Result<_, serde_json::Error>>()?,
            );
        }
        let mut names = b"\"region\":".to_vec();
        serde_json::to_writer(&mut names, &region.name)?;
        names.extend_from_slice(b",\"attribution\":");
        serde_json::to_writer(&mut names, &region.attribution)?;
        Ok(AnswerJson {
            order,
            keys,
            areas,
            names,
        })
    }

    /// Appends the fields of [`Region::answer`]`(p)` (without the braces
    /// around them) to `out`: `region` must be the one this was built from.
    pub fn write_fields(&self, region: &Region, p: LatLon, out: &mut Vec<u8>) {
        type Hit = (smallvec::SmallVec<[usize; 4]>, Option<Nearest>);
        let mut hits: smallvec::SmallVec<[Hit; 8]> = smallvec::SmallVec::new();
        region.each_hit(p, |_, areas, nearest| hits.push((areas.into(), nearest)));
        out.extend_from_slice(b"\"point\":{\"lat\":");
        number(out, p.lat);
        out.extend_from_slice(b",\"lon\":");
        number(out, p.lon);
        out.extend_from_slice(b"},");
        out.extend_from_slice(&self.names);
        out.extend_from_slice(b",\"areas\":{");
        for (n, &li) in self.order.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(&self.keys[li]);
            out.push(b'[');
            for (i, &a) in hits[li].0.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(&self.areas[li][a]);
                out.push(b'}');
            }
            out.push(b']');
        }
        out.extend_from_slice(b"},\"nearest\":{");
        let mut first = true;
        for &li in &self.order {
            let Some(near) = hits[li].1 else { continue };
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(&self.keys[li]);
            out.extend_from_slice(&self.areas[li][near.area]);
            out.extend_from_slice(b",\"distance_m\":");
            number(out, (near.distance_m * 10.0).round() / 10.0);
            out.push(b'}');
        }
        out.push(b'}');
    }
}

/// A number as serde writes it (so the bytes match [`LookupAnswer`]'s).
fn number(out: &mut Vec<u8>, x: f64) {
    // Writing a finite f64 into a Vec cannot fail; a non-finite one is
    // written as serde would (null).
    let _ = serde_json::to_writer(&mut *out, &x);
}
