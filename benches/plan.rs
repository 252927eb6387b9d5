//! Planning speed on the real Greater Manchester data: the 10 boroughs as
//! neighbourhoods, the 215 wards as communities, population areal-weighted
//! from the 1,702 LSOAs.
//!
//! - `plan/gm_boroughs_wards`: one plan from the loaded region (what every
//!   `/v1/plan` request and every what-if change costs);
//! - `plan/gm_groundwork`: the parameter-independent part done once per region
//!   (LSOA → ward and borough estimates, borders, centres).
//!
//! A full plan from scratch costs the two together. Run: `cargo bench
//! --bench plan` (FEEDMAP_DATA overrides the data path); the national-scale
//! figure comes from `benches/plan_national.sh`.

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use feedmap::plan::{groundwork, PlanParams};
use feedmap::{Served, Source};
use std::hint::black_box;

fn bench_gm(c: &mut Criterion) {
    let Some(data) = common::gm_data("GM plan bench") else {
        return;
    };
    let dir = common::region_dir(&common::gm_boroughs_manifest(&data));
    let served = Served::without_store(Source::load(dir.path()).unwrap());
    let region = served.region();
    let params = PlanParams::default();
    let mut group = c.benchmark_group("plan");
    group.bench_function("gm_boroughs_wards", |b| {
        b.iter(|| black_box(black_box(&served).plan(&params).unwrap()))
    });
    group.sample_size(10);
    group.bench_function("gm_groundwork", |b| {
        b.iter(|| {
            black_box(groundwork(
                &region.layers,
                &region.relations,
                None,
                Default::default(),
            ))
        })
    });
    group.bench_function("gm_population_only", |b| {
        b.iter(|| {
            black_box(feedmap::plan::population::Populations::compute(
                &region.layers,
                None,
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_gm);
criterion_main!(benches);
