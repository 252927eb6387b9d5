//! Mapbox Vector Tiles of a layer's areas, so the planners' map stays fluid
//! on national layers (200,000 communities) where sending every polygon as
//! GeoJSON would not.
//!
//! Each tile holds the areas whose polygons meet it, projected to Web
//! Mercator tile units (extent 4096), clipped to the tile plus a small
//! buffer, and simplified for the zoom by snapping to the tile grid (the
//! encoder drops repeated and collinear grid points). Areas under eight
//! pixels are left out. One property, `id` (labels come from
//! `/map/points`, which places them inside each area). The map colours
//! areas by the plan through feature state keyed on `id`, so a what-if
//! re-plan never re-fetches a tile.
//!
//! [`Density`] tiles show where people live: the region's residential
//! points counted per cell of eight pixels, one point feature per occupied
//! cell.

use crate::boundary::Layer;
use mvt::{GeomEncoder, GeomType, Tile};
use pointy::BBox;

/// Tile units per tile side.
pub const EXTENT: u32 = 4096;

/// Tile units drawn beyond each edge, so strokes do not show seams.
const BUFFER: f64 = 64.0;

/// Areas whose projected box is smaller than this many tile units on both
/// sides (eight screen pixels, as MapLibre draws a tile 512 pixels wide: too small to see a fill or to click) are
/// left out of a tile, as tippecanoe
/// does: invisible at that zoom, and leaving them out keeps a low-zoom tile
/// of a national layer small and quick.
pub const MIN_FEATURE_UNITS: f64 = 64.0;

/// Highest zoom served.
pub const MAX_ZOOM: u8 = 22;

/// Every ring of a layer in Web Mercator, as fractions of the world
/// (0–1, y down), so a tile only scales and shifts: the trigonometry of
/// the projection is done once per vertex, not once per vertex per tile.
#[derive(Debug, Default)]
pub struct Mercator {
    /// Projected vertices of all rings, ring after ring.
    coords: Vec<[f64; 2]>,
    /// Per ring: start and end in `coords` (the closing vertex excluded).
    rings: Vec<(u32, u32)>,
    /// Per area: start and end in `rings`.
    areas: Vec<(u32, u32)>,
}

fn mercator(lon: f64, lat: f64) -> [f64; 2] {
    let lat = lat.clamp(-85.051_128, 85.051_128).to_radians();
    [
        (lon + 180.0) / 360.0,
        0.5 - lat.sin().atanh() / (2.0 * std::f64::consts::PI),
    ]
}

impl Mercator {
    fn build(layer: &Layer) -> Mercator {
        let per_area = crate::parallel::map_indexed(
            layer.areas.len(),
            &format!("projecting {}", layer.id),
            |a| {
                let g = &layer.areas[a].geometry;
                g.0.iter()
                    .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                    .map(|r| {
                        let n = r.0.len().saturating_sub(1);
                        r.0[..n]
                            .iter()
                            .map(|c| mercator(c.x, c.y))
                            .collect::<Vec<_>>()
                    })
                    .collect::<Vec<_>>()
            },
        );
        let mut m = Mercator::default();
        for rings in per_area {
            let first = m.rings.len() as u32;
            for ring in rings {
                let start = m.coords.len() as u32;
                m.coords.extend(ring);
                m.rings.push((start, m.coords.len() as u32));
            }
            m.areas.push((first, m.rings.len() as u32));
        }
        m
    }
}

/// A tile address that is out of range.
#[derive(Debug, thiserror::Error)]
#[error("tile {z}/{x}/{y} does not exist: z must be 0–{MAX_ZOOM} and x, y below 2^z")]
pub struct BadTile {
    /// Zoom.
    pub z: u32,
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
}

impl BadTile {
    /// `Ok` when tile `z/x/y` exists.
    pub fn check(z: u8, x: u32, y: u32) -> Result<(), BadTile> {
        if z > MAX_ZOOM || x >= 1u32 << z || y >= 1u32 << z {
            return Err(BadTile {
                z: u32::from(z),
                x,
                y,
            });
        }
        Ok(())
    }
}

/// A tile's bounds in lon/lat: (west, south, east, north).
pub fn tile_bounds(z: u8, x: u32, y: u32) -> (f64, f64, f64, f64) {
    let n = f64::from(1u32 << z);
    let lon = |x: f64| x / n * 360.0 - 180.0;
    let lat = |y: f64| {
        let t = std::f64::consts::PI * (1.0 - 2.0 * y / n);
        t.sinh().atan().to_degrees()
    };
    (
        lon(f64::from(x)),
        lat(f64::from(y + 1)),
        lon(f64::from(x + 1)),
        lat(f64::from(y)),
    )
}

/// Cells per tile side in a density tile: 64, so a cell is 64 tile units,
/// eight screen pixels as MapLibre draws a tile.
pub const DENSITY_CELLS: u32 = 64;

/// Residential points in Web Mercator (fractions of the world), indexed,
/// each with the residents it stands for (1 when unknown), for density
/// tiles ([`Density::encode`]).
#[derive(Debug, Default)]
pub struct Density {
    tree: rstar::RTree<rstar::primitives::GeomWithData<[f64; 2], f32>>,
}

impl Density {
    /// Projects and indexes `points` (lon, lat, residents).
    pub fn new(points: impl Iterator<Item = (f64, f64, f64)>) -> Density {
        let items = points
            .map(|(lon, lat, w)| rstar::primitives::GeomWithData::new(mercator(lon, lat), w as f32))
            .collect();
        Density {
            tree: rstar::RTree::bulk_load(items),
        }
    }

    /// Encodes tile `z/x/y` as an MVT layer `residential`: the tile cut into
    /// [`DENSITY_CELLS`]² cells, each occupied cell one point feature at the
    /// mean of its points, with `points` (how many) and `residents` (their
    /// sum, rounded). So a tile's size is bounded whatever the zoom, and the
    /// map draws density from a few requests, never one per point. Returns
    /// the bytes and the number of cells.
    pub fn encode(&self, z: u8, x: u32, y: u32) -> Result<(Vec<u8>, usize), BadTile> {
        let acc = self.cells(z, x, y)?;
        let tile = Tile::new(EXTENT);
        let mut out = tile.create_layer("residential");
        let mut count = 0;
        for (&cell, c) in &acc {
            let mut enc = GeomEncoder::new(GeomType::Point);
            if enc.add_point(c.x, c.y).is_err() {
                continue;
            }
            let Ok(data) = enc.encode() else {
                continue;
            };
            let mut feature = out.into_feature(data);
            feature.set_id(cell as u64 + 1);
            feature.add_tag_uint("points", u64::from(c.points));
            feature.add_tag_uint("residents", c.residents.round().max(0.0) as u64);
            out = feature.into_layer();
            count += 1;
        }
        Ok((finished(tile, out, count), count))
    }

    /// The occupied cells of tile `z/x/y`, by cell number (row × cells +
    /// column): what [`Density::encode`] writes.
    pub fn cells(
        &self,
        z: u8,
        x: u32,
        y: u32,
    ) -> Result<std::collections::BTreeMap<usize, Cell>, BadTile> {
        BadTile::check(z, x, y)?;
        let n = f64::from(1u32 << z);
        let (x0, y0) = (f64::from(x) / n, f64::from(y) / n);
        let side = 1.0 / n;
        let env = rstar::AABB::from_corners([x0, y0], [x0 + side, y0 + side]);
        let cells = DENSITY_CELLS as usize;
        // Per cell: points, residents, sum of x, sum of y (tile units).
        let mut acc: std::collections::BTreeMap<usize, Cell> = std::collections::BTreeMap::new();
        let unit = f64::from(EXTENT) / side;
        for p in self.tree.locate_in_envelope(&env) {
            let [px, py] = *p.geom();
            // A point on the east or south edge belongs to the next tile.
            if px >= x0 + side || py >= y0 + side {
                continue;
            }
            let (tx, ty) = ((px - x0) * unit, (py - y0) * unit);
            let cx = ((tx / f64::from(EXTENT) * cells as f64) as usize).min(cells - 1);
            let cy = ((ty / f64::from(EXTENT) * cells as f64) as usize).min(cells - 1);
            let e = acc.entry(cy * cells + cx).or_default();
            let k = f64::from(e.points);
            e.x = (e.x * k + tx) / (k + 1.0);
            e.y = (e.y * k + ty) / (k + 1.0);
            e.points += 1;
            e.residents += f64::from(p.data);
        }
        Ok(acc)
    }
}

/// One occupied cell of a density tile.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cell {
    /// Points in it.
    pub points: u32,
    /// Residents they stand for.
    pub residents: f64,
    /// Mean position of its points, tile units.
    pub x: f64,
    /// Mean position of its points, tile units (y down).
    pub y: f64,
}

/// A layer's rings in Web Mercator, projected on the first tile asked of
/// it (most layers of a command-line run never need it). One per layer,
/// kept beside the layer by whoever serves tiles.
#[derive(Debug, Default)]
pub struct Projection(std::sync::OnceLock<Mercator>);

/// Encodes one tile of `layer` (as an MVT layer named by the layer id),
/// projecting the layer into `projection` on first use. Returns the tile's
/// bytes and how many areas it holds.
pub fn encode(
    layer: &Layer,
    projection: &Projection,
    z: u8,
    x: u32,
    y: u32,
) -> Result<(Vec<u8>, usize), BadTile> {
    BadTile::check(z, x, y)?;
    let scale = f64::from(EXTENT) * f64::from(1u32 << z);
    let (tx, ty) = (
        f64::from(x) * f64::from(EXTENT),
        f64::from(y) * f64::from(EXTENT),
    );
    let merc = projection.0.get_or_init(|| Mercator::build(layer));
    // Search with the buffer included, in degrees.
    let (w, s, e, n) = tile_bounds(z, x, y);
    let pad_lon = (e - w) * BUFFER / f64::from(EXTENT);
    let pad_lat = (n - s) * BUFFER / f64::from(EXTENT);
    let found = layer
        .index
        .in_envelope([w - pad_lon, s - pad_lat], [e + pad_lon, n + pad_lat]);
    let tile = Tile::new(EXTENT);
    let mut out = tile.create_layer(&layer.id);
    let clip = BBox::new([
        (-BUFFER, -BUFFER),
        (f64::from(EXTENT) + BUFFER, f64::from(EXTENT) + BUFFER),
    ]);
    let mut count = 0;
    // Degrees per tile unit, for the size test before any projection.
    let unit_lon = (e - w) / f64::from(EXTENT);
    let unit_lat = (n - s) / f64::from(EXTENT);
    for a in found {
        let area = &layer.areas[a];
        let (lo, hi) = (area.bbox.min(), area.bbox.max());
        if (hi.x - lo.x) < MIN_FEATURE_UNITS * unit_lon
            && (hi.y - lo.y) < MIN_FEATURE_UNITS * unit_lat
        {
            continue;
        }
        let mut enc = GeomEncoder::new(GeomType::Polygon).bbox(clip);
        let mut rings = 0;
        let (r0, r1) = merc.areas[a];
        for &(c0, c1) in &merc.rings[r0 as usize..r1 as usize] {
            let pts = &merc.coords[c0 as usize..c1 as usize];
            // Snap to the grid first: a ring smaller than a tile unit says
            // nothing at this zoom. (MVT closes rings itself, so the
            // closing vertex was left out when projecting.)
            let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            for p in pts {
                x0 = x0.min(p[0]);
                y0 = y0.min(p[1]);
                x1 = x1.max(p[0]);
                y1 = y1.max(p[1]);
            }
            if (x1 - x0) * scale < 1.0 && (y1 - y0) * scale < 1.0 {
                continue;
            }
            for p in pts {
                if enc.add_point(p[0] * scale - tx, p[1] * scale - ty).is_err() {
                    break;
                }
            }
            if enc.complete_geom().is_ok() {
                rings += 1;
            }
        }
        if rings == 0 {
            continue;
        }
        let Ok(data) = enc.encode() else {
            continue;
        };
        let mut feature = out.into_feature(data);
        feature.set_id(a as u64 + 1);
        feature.add_tag_string("id", &area.id);
        out = feature.into_layer();
        count += 1;
    }
    Ok((finished(tile, out, count), count))
}

/// The tile's bytes, with its one layer when it holds any feature.
fn finished(mut tile: Tile, layer: mvt::Layer, features: usize) -> Vec<u8> {
    if features > 0 {
        // Adding a layer fails only for a duplicate name, impossible here.
        let _ = tile.add_layer(layer);
    }
    tile.to_bytes().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::area::test_shapes::rect_area;
    use crate::manifest::Role;

    fn layer() -> Layer {
        Layer::new(
            "c",
            "c",
            Role::Community,
            "test".into(),
            vec![
                rect_area("a", 2.0, 54.0, 2.02, 54.02),
                rect_area("b", 2.02, 54.0, 2.04, 54.02),
            ],
        )
    }

    /// The tile containing (lon, lat) at zoom z.
    fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
        let n = f64::from(1u32 << z);
        let x = ((lon + 180.0) / 360.0 * n) as u32;
        let r = lat.to_radians();
        let y = ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32;
        (x, y)
    }

    #[test]
    fn tiles_hold_the_areas_they_meet() {
        let l = layer();
        let p = Projection::default();
        for z in [10, 12, 14] {
            let (x, y) = tile_of(2.01, 54.01, z);
            let (bytes, n) = encode(&l, &p, z, x, y).unwrap();
            assert!(n >= 1 && !bytes.is_empty(), "z{z}: {n}");
            let (w, s, e, nn) = tile_bounds(z, x, y);
            assert!(w <= 2.01 && 2.01 <= e && s <= 54.01 && 54.01 <= nn);
        }
        // Both areas (0.02°, about 1.3 km) at a zoom where they are over
        // MIN_FEATURE_UNITS, neither where they are under it.
        let (x, y) = tile_of(2.02, 54.01, 10);
        assert_eq!(encode(&l, &p, 10, x, y).unwrap().1, 2);
        let (x, y) = tile_of(2.02, 54.01, 7);
        assert_eq!(encode(&l, &p, 7, x, y).unwrap().1, 0);
        // Far away: an empty tile.
        let (x, y) = tile_of(-3.0, 40.0, 10);
        assert_eq!(encode(&l, &p, 10, x, y).unwrap().1, 0);
        // Areas under MIN_FEATURE_UNITS are left out at low zoom.
        let (x, y) = tile_of(2.01, 54.01, 0);
        assert_eq!(encode(&l, &p, 0, x, y).unwrap().1, 0);
    }

    #[test]
    fn density_tiles_count_every_point_once() {
        // 1,000 points on a line across several tiles at zoom 14.
        let pts: Vec<(f64, f64, f64)> = (0..1000)
            .map(|i| (2.0 + f64::from(i) * 1e-4, 54.0, 2.0))
            .collect();
        let d = Density::new(pts.iter().copied());
        for z in [8u8, 12, 14, 16] {
            let (x0, y) = tile_of(2.0, 54.0, z);
            let (x1, _) = tile_of(2.0999, 54.0, z);
            let mut total = 0u64;
            let mut residents = 0u64;
            for x in x0..=x1 {
                let cells = d.cells(z, x, y).unwrap();
                let (bytes, n) = d.encode(z, x, y).unwrap();
                assert_eq!(n, cells.len());
                assert!(n <= (DENSITY_CELLS * DENSITY_CELLS) as usize);
                assert_eq!(bytes.is_empty(), n == 0);
                for c in cells.values() {
                    assert!((0.0..=f64::from(EXTENT)).contains(&c.x), "{c:?}");
                    total += u64::from(c.points);
                    residents += c.residents.round() as u64;
                }
            }
            assert_eq!(total, 1000, "z{z}");
            assert_eq!(residents, 2000, "z{z}");
        }
        assert!(d.encode(23, 0, 0).is_err());
    }

    #[test]
    fn out_of_range_tiles_are_refused() {
        let l = layer();
        let p = Projection::default();
        assert!(encode(&l, &p, 3, 8, 0).is_err());
        assert!(encode(&l, &p, 3, 0, 8).is_err());
        assert!(encode(&l, &p, 23, 0, 0).is_err());
    }
}
