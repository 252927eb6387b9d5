//! Lookup throughput over the four Greater Manchester layers (localities,
//! 215 wards, 353 MSOAs, 1,702 LSOAs) at the 11,264 real Trafford postcode
//! centroids, and over a generated national-scale community layer.
//!
//! Run: `cargo bench --bench lookup` (FEEDMAP_DATA overrides the data path).

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use feedmap::{LatLon, Source};
use std::hint::black_box;
use std::path::Path;

fn postcode_points(data: &Path) -> Vec<LatLon> {
    common::postcodes(data)
        .iter()
        .map(|p| LatLon::new(p.lat, p.lon).unwrap())
        .collect()
}

fn bench_gm(c: &mut Criterion) {
    let Some(data) = common::gm_data("GM lookup bench") else {
        return;
    };
    let (_dir, region) = common::gm_region(&data);
    let points = postcode_points(&data);
    let mut group = c.benchmark_group("gm");
    group.throughput(Throughput::Elements(points.len() as u64));
    // Full lookup: every layer, containing areas plus nearest when outside
    // (Trafford postcodes are outside no GM layer, but outside nothing).
    group.bench_function("lookup_4_layers_all_postcodes", |b| {
        b.iter(|| {
            for &p in &points {
                black_box(region.lookup(black_box(p)));
            }
        })
    });
    // The allocation-free per-layer path, all four layers.
    group.bench_function("locate_4_layers_all_postcodes", |b| {
        let mut out = Vec::with_capacity(4);
        b.iter(|| {
            for &p in &points {
                for layer in 0..region.layers.len() {
                    region.locate_in_layer(layer, black_box(p), &mut out);
                    black_box(&out);
                }
            }
        })
    });
    group.finish();
    // Random points over the GM bounding box (about 41 % outside GM, so most
    // layers answer with their nearest area), as benches/postgis_compare.sh
    // sends them to GET /v1/lookup: the lookup alone, then the JSON answer.
    let box_points = gm_box_points(10_000);
    let mut group = c.benchmark_group("gm_box");
    group.throughput(Throughput::Elements(box_points.len() as u64));
    group.bench_function("lookup_4_layers_random", |b| {
        b.iter(|| {
            for &p in &box_points {
                black_box(region.lookup(black_box(p)));
            }
        })
    });
    group.bench_function("answer_json_4_layers_random", |b| {
        let mut buf = Vec::with_capacity(1024);
        b.iter(|| {
            for &p in &box_points {
                buf.clear();
                serde_json::to_writer(&mut buf, &region.answer(black_box(p))).unwrap();
                black_box(&buf);
            }
        })
    });
    // What `/v1/lookup` writes: the same bytes from fragments serialised
    // once (`lookup::AnswerJson`).
    let fragments = feedmap::lookup::AnswerJson::new(&region).unwrap();
    group.bench_function("answer_fragments_4_layers_random", |b| {
        let mut buf = Vec::with_capacity(1024);
        b.iter(|| {
            for &p in &box_points {
                buf.clear();
                fragments.write_fields(&region, black_box(p), &mut buf);
                black_box(&buf);
            }
        })
    });
    group.finish();
}

/// `n` points spread over the GM bounding box by a fixed-seed generator.
fn gm_box_points(n: usize) -> Vec<LatLon> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let lat = 53.3273 + next() * (53.6857 - 53.3273);
            let lon = -2.7305 + next() * (-1.9096 + 2.7305);
            LatLon::new(lat, lon).unwrap()
        })
        .collect()
}

fn bench_national(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    feedmap::demo::write_synthetic(dir.path(), 5_000, 200_000, 1).unwrap();
    let region = Source::load(dir.path()).map(|s| s.region).unwrap();
    let ext = region.layers[1].extent.unwrap();
    // A fixed pseudo-random spread of points over the whole layer.
    let mut next = common::seeded(0x2545_F491_4F6C_DD1Du64);
    let points: Vec<LatLon> = (0..10_000)
        .map(|_| {
            let lon = ext.min().x + next() * ext.width();
            let lat = ext.min().y + next() * ext.height();
            LatLon::new(lat, lon).unwrap()
        })
        .collect();
    let mut group = c.benchmark_group("national");
    group.throughput(Throughput::Elements(points.len() as u64));
    group.bench_function("lookup_5k_neighbourhoods_200k_communities", |b| {
        b.iter(|| {
            for &p in &points {
                black_box(region.lookup(black_box(p)));
            }
        })
    });
    group.finish();
}

/// One geodesic distance as the nearest-area search measures it (a point
/// to a boundary 0–40 km away, at GM's latitude): the chord method of
/// `feedmap::geodesic` beside Karney's (`geo::Geodesic`), same lines.
fn bench_geodesic(c: &mut Criterion) {
    use geo::{Coord, Distance, Geodesic, Point};
    let lines: Vec<(Coord<f64>, Coord<f64>)> = gm_box_points(2_000)
        .chunks(2)
        .map(|w| {
            let a = Coord {
                x: w[0].lon,
                y: w[0].lat,
            };
            let b = Coord {
                x: w[1].lon,
                y: w[1].lat,
            };
            (a, b)
        })
        .collect();
    let mut group = c.benchmark_group("geodesic");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("chord_1000_lines", |b| {
        b.iter(|| {
            for &(a, z) in &lines {
                black_box(feedmap::geodesic::distance_m(black_box(a), z));
            }
        })
    });
    group.bench_function("karney_1000_lines", |b| {
        b.iter(|| {
            for &(a, z) in &lines {
                black_box(Geodesic.distance(Point(black_box(a)), Point(z)));
            }
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench_gm, bench_national, bench_geodesic
}
criterion_main!(benches);
