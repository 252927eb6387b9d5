//! Lookup throughput over the four Greater Manchester layers (localities,
//! 215 wards, 353 MSOAs, 1,702 LSOAs) at the 11,264 real Trafford postcode
//! centroids, and over a generated national-scale community layer.
//!
//! Run: `cargo bench --bench lookup` (FEEDMAP_DATA overrides the data path).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use feedmap::{LatLon, Region};
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn gm_data() -> Option<PathBuf> {
    let dir = std::env::var_os("FEEDMAP_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/gm"));
    dir.join("trafford_postcodes.csv").is_file().then_some(dir)
}

fn gm_region(data: &Path) -> (tempfile::TempDir, Region) {
    let dir = tempfile::tempdir().unwrap();
    let layer = |id: &str, role: &str, file: &str, key: &str| {
        format!(
            "[[layers]]\nid = \"{id}\"\nrole = \"{role}\"\nfile = \"{}\"\nid_property = \"{key}\"\nname_property = \"area_name\"\n",
            data.join(file).display()
        )
    };
    let manifest = format!(
        "name = \"GM bench\"\n{}{}{}{}",
        layer(
            "localities",
            "neighbourhood",
            "trafford_localities_2023.geojson",
            "area_name"
        ),
        layer("wards", "community", "gm_wards_2023.geojson", "area_code"),
        layer("msoas", "context", "gm_msoa_2021.geojson", "area_code"),
        layer("lsoas", "context", "gm_lsoa_2021.geojson", "area_code"),
    );
    std::fs::write(dir.path().join("region.toml"), manifest).unwrap();
    let region = Region::load(dir.path()).unwrap();
    (dir, region)
}

fn postcode_points(data: &Path) -> Vec<LatLon> {
    let mut reader = csv::Reader::from_path(data.join("trafford_postcodes.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (lat, lon) = (col("lat"), col("lon"));
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            LatLon::new(r[lat].parse().unwrap(), r[lon].parse().unwrap()).unwrap()
        })
        .collect()
}

fn bench_gm(c: &mut Criterion) {
    let Some(data) = gm_data() else {
        eprintln!("SKIPPED GM lookup bench: no data at ../shared/data/gm (set FEEDMAP_DATA)");
        return;
    };
    let (_dir, region) = gm_region(&data);
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
}

fn bench_national(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    feedmap::demo::write_synthetic(dir.path(), 5_000, 200_000, 1).unwrap();
    let region = Region::load(dir.path()).unwrap();
    let ext = region.layers[1].extent.unwrap();
    // A fixed pseudo-random spread of points over the whole layer.
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
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

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench_gm, bench_national
}
criterion_main!(benches);
