//! A small base map made by the test from the real GM data, for the map's
//! offline base map (`feedmap serve --basemap`): a PMTiles version 3
//! archive of vector tiles in the Protomaps basemap schema, over Trafford.
//!
//! What is synthetic: the archive is not a Protomaps build (there is no
//! OpenStreetMap data here). Its layers are drawn from ONS boundaries
//! (OGL, as the data's README says): `earth` is the GM boroughs' land,
//! `landcover` the Built-up Areas 2011 as `urban_area`, `boundaries` the
//! borough outlines, and `places` the borough names and Trafford's 2023
//! ward names at a point inside each, as `locality`. No roads or water.
//! Tiles and directories are uncompressed; the writer follows the
//! PMTiles v3 spec (Hilbert tile ids, varint directories).

use mvt::{GeomEncoder, GeomType, Tile};
use pointy::BBox;
use serde_json::Value;
use std::path::Path;

/// Tile units per side.
const EXTENT: f64 = 4096.0;
/// Tile units drawn beyond each edge.
const BUFFER: f64 = 64.0;

/// Web Mercator as fractions of the world (0–1, y down).
fn mercator(lon: f64, lat: f64) -> (f64, f64) {
    let r = lat.to_radians();
    (
        (lon + 180.0) / 360.0,
        0.5 - r.sin().atanh() / (2.0 * std::f64::consts::PI),
    )
}

/// The tile holding (lon, lat) at zoom z.
fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let (x, y) = mercator(lon, lat);
    let n = f64::from(1u32 << z);
    ((x * n) as u32, (y * n) as u32)
}

/// PMTiles' Hilbert tile id of z/x/y.
pub fn tile_id(z: u8, x: u32, y: u32) -> u64 {
    let mut acc: u64 = ((1u64 << z) * (1u64 << z) - 1) / 3;
    let (mut tx, mut ty) = (u64::from(x), u64::from(y));
    let mut s: u64 = if z == 0 { 0 } else { 1 << (z - 1) };
    while s > 0 {
        let rx = tx & s;
        let ry = ty & s;
        acc += ((3 * rx) ^ ry) * s;
        if ry == 0 {
            if rx != 0 {
                (tx, ty) = (s - 1 - ty, s - 1 - tx);
            } else {
                (tx, ty) = (ty, tx);
            }
        }
        s >>= 1;
    }
    acc
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// One feature to draw: its kind of geometry, rings or lines in degrees,
/// and its properties.
struct Shape {
    geom: GeomType,
    parts: Vec<Vec<(f64, f64)>>,
    props: Vec<(&'static str, Prop)>,
    bbox: [f64; 4],
}

enum Prop {
    Text(String),
    Int(i64),
}

fn shape(geom: GeomType, parts: Vec<Vec<(f64, f64)>>, props: Vec<(&'static str, Prop)>) -> Shape {
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for p in parts.iter().flatten() {
        b = [b[0].min(p.0), b[1].min(p.1), b[2].max(p.0), b[3].max(p.1)];
    }
    Shape {
        geom,
        parts,
        props,
        bbox: b,
    }
}

/// Every outer and inner ring of a GeoJSON Polygon or MultiPolygon.
fn rings(geometry: &Value) -> Vec<Vec<(f64, f64)>> {
    let polys: Vec<&Value> = match geometry["type"].as_str() {
        Some("Polygon") => vec![&geometry["coordinates"]],
        Some("MultiPolygon") => geometry["coordinates"].as_array().unwrap().iter().collect(),
        other => panic!("unexpected geometry {other:?}"),
    };
    polys
        .into_iter()
        .flat_map(|p| p.as_array().unwrap().iter())
        .map(|ring| {
            ring.as_array()
                .unwrap()
                .iter()
                .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
                .collect()
        })
        .collect()
}

fn features(data: &Path, file: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(data.join(file)).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["features"].as_array().unwrap().clone()
}

/// A point inside the feature: the published `lon`/`lat` where the file
/// has them, else an interior point of its geometry.
fn label_point(f: &Value) -> (f64, f64) {
    match (
        f["properties"]["lon"].as_f64(),
        f["properties"]["lat"].as_f64(),
    ) {
        (Some(lon), Some(lat)) => (lon, lat),
        _ => {
            let g: geojson::Geometry = serde_json::from_value(f["geometry"].clone()).unwrap();
            let g: geo::Geometry<f64> = g.try_into().unwrap();
            let p = geo::InteriorPoint::interior_point(&g).unwrap();
            (p.x(), p.y())
        }
    }
}

/// What the fixture holds, for the test to check the map against.
pub struct Fixture {
    /// West, south, east, north of the archive's tiles, in degrees.
    pub bounds: [f64; 4],
    /// Tiles written.
    pub tiles: usize,
    /// The archive's size in bytes.
    pub bytes: usize,
    /// The place names it carries.
    pub places: Vec<String>,
}

/// Writes the Trafford base map to `out` for zooms `min_zoom..=max_zoom`.
pub fn trafford_basemap(data: &Path, out: &Path, min_zoom: u8, max_zoom: u8) -> Fixture {
    let mut layers: Vec<(&'static str, Vec<Shape>)> = Vec::new();
    let boroughs = features(data, "gm_local_authorities_2023.geojson");
    layers.push((
        "earth",
        boroughs
            .iter()
            .map(|f| {
                shape(
                    GeomType::Polygon,
                    rings(&f["geometry"]),
                    vec![("kind", Prop::Text("earth".into()))],
                )
            })
            .collect(),
    ));
    layers.push((
        "landcover",
        features(data, "gm_built_up_areas_2011.geojson")
            .iter()
            .map(|f| {
                shape(
                    GeomType::Polygon,
                    rings(&f["geometry"]),
                    vec![("kind", Prop::Text("urban_area".into()))],
                )
            })
            .collect(),
    ));
    layers.push((
        "boundaries",
        boroughs
            .iter()
            .map(|f| {
                shape(
                    GeomType::Linestring,
                    rings(&f["geometry"]),
                    vec![
                        ("kind", Prop::Text("region".into())),
                        ("kind_detail", Prop::Int(8)),
                    ],
                )
            })
            .collect(),
    ));
    let mut places = Vec::new();
    let mut place_shapes = Vec::new();
    for (file, min_zoom, rank) in [
        ("gm_local_authorities_2023.geojson", 8, 12),
        ("trafford_wards_2023_full.geojson", 11, 8),
    ] {
        for f in features(data, file) {
            let p = &f["properties"];
            let name = ["area_name", "WD23NM", "name"]
                .iter()
                .find_map(|k| p[*k].as_str())
                .unwrap_or_else(|| panic!("{file}: no name in {p}"))
                .to_string();
            let at = label_point(&f);
            places.push(name.clone());
            place_shapes.push(shape(
                GeomType::Point,
                vec![vec![at]],
                vec![
                    ("kind", Prop::Text("locality".into())),
                    ("name", Prop::Text(name)),
                    ("min_zoom", Prop::Int(min_zoom)),
                    ("population_rank", Prop::Int(rank)),
                ],
            ));
        }
    }
    layers.push(("places", place_shapes));

    // Trafford's wards set the archive's bounds.
    let mut bounds = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for f in features(data, "trafford_wards_2023_full.geojson") {
        for p in rings(&f["geometry"]).iter().flatten() {
            bounds = [
                bounds[0].min(p.0),
                bounds[1].min(p.1),
                bounds[2].max(p.0),
                bounds[3].max(p.1),
            ];
        }
    }

    let mut tiles: Vec<(u64, Vec<u8>)> = Vec::new();
    for z in min_zoom..=max_zoom {
        let (x0, y0) = tile_of(bounds[0], bounds[3], z);
        let (x1, y1) = tile_of(bounds[2], bounds[1], z);
        for x in x0..=x1 {
            for y in y0..=y1 {
                if let Some(bytes) = encode_tile(&layers, z, x, y) {
                    tiles.push((tile_id(z, x, y), bytes));
                }
            }
        }
    }
    tiles.sort_by_key(|t| t.0);

    // Directory: ids as deltas, run lengths, lengths, offsets (0 when a
    // tile follows the previous one).
    let mut dir = Vec::new();
    varint(&mut dir, tiles.len() as u64);
    let mut last = 0;
    for (id, _) in &tiles {
        varint(&mut dir, id - last);
        last = *id;
    }
    for _ in &tiles {
        varint(&mut dir, 1);
    }
    for (_, b) in &tiles {
        varint(&mut dir, b.len() as u64);
    }
    for (i, _) in tiles.iter().enumerate() {
        varint(&mut dir, if i == 0 { 1 } else { 0 });
    }
    let meta = serde_json::json!({
        "name": "feedmap test base map (Trafford, from ONS boundaries)",
        "description": "Synthetic: earth, landcover, boundaries and places drawn from ONS boundary files; no roads or water",
        "attribution": "Test base map from ONS boundaries (OGL): Contains OS data © Crown copyright and database right",
        "vector_layers": layers.iter().map(|(n, _)| serde_json::json!({"id": n, "fields": {}})).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes();
    let data_len: usize = tiles.iter().map(|t| t.1.len()).sum();
    let root_off = 127u64;
    let meta_off = root_off + dir.len() as u64;
    let data_off = meta_off + meta.len() as u64;
    let mut h = Vec::with_capacity(127);
    h.extend_from_slice(b"PMTiles");
    h.push(3);
    for v in [
        root_off,
        dir.len() as u64,
        meta_off,
        meta.len() as u64,
        0,
        0,
        data_off,
        data_len as u64,
        tiles.len() as u64,
        tiles.len() as u64,
        tiles.len() as u64,
    ] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    // Clustered; directories and tiles uncompressed; MVT.
    h.extend_from_slice(&[1, 1, 1, 1, min_zoom, max_zoom]);
    let e7 = |d: f64| ((d * 1e7).round() as i32).to_le_bytes();
    for d in bounds {
        h.extend_from_slice(&e7(d));
    }
    h.push(min_zoom.max(11).min(max_zoom));
    h.extend_from_slice(&e7((bounds[0] + bounds[2]) / 2.0));
    h.extend_from_slice(&e7((bounds[1] + bounds[3]) / 2.0));
    assert_eq!(h.len(), 127);
    let mut file = h;
    file.extend_from_slice(&dir);
    file.extend_from_slice(&meta);
    for (_, b) in &tiles {
        file.extend_from_slice(b);
    }
    std::fs::write(out, &file).unwrap();
    Fixture {
        bounds,
        tiles: tiles.len(),
        bytes: file.len(),
        places,
    }
}

/// One tile of `layers`, or `None` when nothing meets it.
fn encode_tile(layers: &[(&'static str, Vec<Shape>)], z: u8, x: u32, y: u32) -> Option<Vec<u8>> {
    let scale = EXTENT * f64::from(1u32 << z);
    let (tx, ty) = (f64::from(x) * EXTENT, f64::from(y) * EXTENT);
    let n = f64::from(1u32 << z);
    let lon = |fx: f64| fx / n * 360.0 - 180.0;
    let lat = |fy: f64| {
        (std::f64::consts::PI * (1.0 - 2.0 * fy / n))
            .sinh()
            .atan()
            .to_degrees()
    };
    let pad = BUFFER / EXTENT;
    let (w, e) = (lon(f64::from(x) - pad), lon(f64::from(x) + 1.0 + pad));
    let (nn, s) = (lat(f64::from(y) - pad), lat(f64::from(y) + 1.0 + pad));
    let clip = BBox::new([(-BUFFER, -BUFFER), (EXTENT + BUFFER, EXTENT + BUFFER)]);
    let mut tile = Tile::new(EXTENT as u32);
    let mut any = false;
    for (name, shapes) in layers {
        let mut layer = tile.create_layer(name);
        let mut count = 0;
        for sh in shapes {
            let b = sh.bbox;
            if b[2] < w || b[0] > e || b[3] < s || b[1] > nn {
                continue;
            }
            let mut enc = GeomEncoder::new(sh.geom).bbox(clip);
            for part in &sh.parts {
                // MVT closes rings itself.
                let pts = if sh.geom == GeomType::Polygon
                    && part.len() > 1
                    && part.first() == part.last()
                {
                    &part[..part.len() - 1]
                } else {
                    &part[..]
                };
                for &(plon, plat) in pts {
                    let (mx, my) = mercator(plon, plat);
                    enc.add_point(mx * scale - tx, my * scale - ty).unwrap();
                }
                enc.complete_geom().unwrap();
            }
            let Ok(data) = enc.encode() else { continue };
            let mut f = layer.into_feature(data);
            for (k, v) in &sh.props {
                match v {
                    Prop::Text(t) => f.add_tag_string(k, t),
                    Prop::Int(i) => f.add_tag_int(k, *i),
                }
            }
            layer = f.into_layer();
            count += 1;
        }
        if count > 0 {
            tile.add_layer(layer).unwrap();
            any = true;
        }
    }
    any.then(|| tile.to_bytes().unwrap())
}

#[test]
fn hilbert_ids_match_the_pmtiles_spec() {
    // The spec's examples: z0 is 0, z1's four tiles 1–4 in Hilbert order,
    // and z2 starts at 5.
    assert_eq!(tile_id(0, 0, 0), 0);
    assert_eq!(
        [
            tile_id(1, 0, 0),
            tile_id(1, 0, 1),
            tile_id(1, 1, 1),
            tile_id(1, 1, 0)
        ],
        [1, 2, 3, 4]
    );
    assert_eq!(tile_id(2, 0, 0), 5);
    // Every z3 id once.
    let mut ids: Vec<u64> = (0..8)
        .flat_map(|x| (0..8).map(move |y| tile_id(3, x, y)))
        .collect();
    ids.sort();
    assert_eq!(ids, (21..85).collect::<Vec<_>>());
}
