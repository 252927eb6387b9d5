//! Vector tile speed on a generated national-scale community layer
//! (200,000 communities in 5,000 neighbourhoods): every tile of a 1400×900
//! viewport (as the map asks for it) at zooms 8–16, at two places (each
//! figure covers both viewports).
//!
//! Run: `cargo bench --bench tiles` (generating and loading the region
//! takes about ten seconds first).

use criterion::{criterion_group, criterion_main, Criterion};
use feedmap::Source;
use std::hint::black_box;

/// The tiles covering a 1400×900 px viewport centred on (lon, lat) at map
/// zoom z: MapLibre draws vector tiles 512 px wide, so it fetches tiles of
/// zoom z itself.
fn viewport(lon: f64, lat: f64, z: u8) -> Vec<(u8, u32, u32)> {
    let tz = z;
    let n = f64::from(1u32 << tz);
    let cx = (lon + 180.0) / 360.0 * n;
    let r = lat.to_radians();
    let cy = (1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    let (hx, hy) = (1400.0 / 512.0 / 2.0, 900.0 / 512.0 / 2.0);
    let mut out = Vec::new();
    for x in (cx - hx).floor() as i64..=(cx + hx).floor() as i64 {
        for y in (cy - hy).floor() as i64..=(cy + hy).floor() as i64 {
            if x >= 0 && y >= 0 && (x as f64) < n && (y as f64) < n {
                out.push((tz, x as u32, y as u32));
            }
        }
    }
    out
}

fn bench_tiles(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    feedmap::demo::write_synthetic(dir.path(), 5_000, 200_000, 1).unwrap();
    let region = Source::load(dir.path()).map(|s| s.region).unwrap();
    let (_, comms) = region.layer("communities").unwrap();
    let projection = feedmap::tiles::Projection::default();
    let e = comms.extent.unwrap();
    let (w, s, east, n) = (e.min().x, e.min().y, e.max().x, e.max().y);
    let places = [
        ((w + east) / 2.0, (s + n) / 2.0),
        (w + (east - w) * 0.2, s + (n - s) * 0.7),
    ];
    let mut group = c.benchmark_group("tiles");
    group.sample_size(10);
    for z in 8u8..=16 {
        group.bench_function(format!("national_viewport_z{z}"), |b| {
            b.iter(|| {
                for &(lon, lat) in &places {
                    for (tz, x, y) in viewport(lon, lat, z) {
                        black_box(feedmap::tiles::encode(comms, &projection, tz, x, y).unwrap());
                    }
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_tiles);
criterion_main!(benches);
