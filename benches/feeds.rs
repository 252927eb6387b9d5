//! Feed resolution throughput on the Trafford feeds region (4 localities,
//! 21 full-resolution wards, 91 polling districts, 11,264 postcodes), at
//! the real postcode centroids; and batch resolution of 100,000 CSV rows.
//!
//! Run: `cargo bench --bench feeds` (FEEDMAP_DATA overrides the data path).

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use feedmap::query::Query;
use feedmap::{LatLon, Served, Source};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let Some(data) = common::gm_data("feeds bench") else {
        return;
    };
    let dir = common::gm_feeds_region(&data);
    let served = Served::without_store(Source::load(dir.path()).unwrap());
    let postcodes = common::postcodes(&data);
    let points: Vec<LatLon> = postcodes
        .iter()
        .map(|p| LatLon::new(p.lat, p.lon).unwrap())
        .collect();
    let mut group = c.benchmark_group("feeds");
    group.throughput(Throughput::Elements(points.len() as u64));
    group.bench_function("coordinates_to_feeds_resolve", |b| {
        b.iter(|| {
            for &p in &points {
                black_box(served.resolve(black_box(p)));
            }
        })
    });
    let queries: Vec<Query> = postcodes
        .iter()
        .map(|p| Query::Postcode(p.postcode.clone()))
        .collect();
    group.bench_function("postcode_to_feed_answer", |b| {
        b.iter(|| {
            for q in &queries {
                black_box(served.feeds_for(black_box(q)).unwrap());
            }
        })
    });
    let csv: String = std::iter::once("id,lat,lon\n".to_string())
        .chain(
            points
                .iter()
                .cycle()
                .take(100_000)
                .enumerate()
                .map(|(i, p)| format!("{i},{},{}\n", p.lat, p.lon)),
        )
        .collect();
    group.throughput(Throughput::Elements(100_000));
    group.sample_size(10);
    group.bench_function("batch_csv_100k_rows", |b| {
        b.iter(|| {
            feedmap::batch::run(
                served.today(),
                csv.as_bytes(),
                std::io::sink(),
                feedmap::batch::Format::Csv,
                &mut |_| {},
            )
            .unwrap()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
