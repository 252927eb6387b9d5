//! What a boundary redraw costs: the diff of two generations of a layer
//! (intersections, residents from a population layer, postcodes), on the
//! real Greater Manchester data — the Trafford wards 2022 → 2023 with
//! Census 2021 output areas and 11,264 postcodes, and the 215 GM wards
//! 2022 → 2023 with the 1,702 LSOAs. Reads the data from `$FEEDMAP_DATA`
//! or `../shared/data/gm`; without it, says so and measures nothing.
//!
//! `cargo bench --bench redraw`

use criterion::{criterion_group, criterion_main, Criterion};
use feedmap::diff::{Diff, Residents};
use feedmap::Source;
use std::path::{Path, PathBuf};

fn data() -> Option<PathBuf> {
    let dir = std::env::var_os("FEEDMAP_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/gm"));
    dir.join("gm_wards_2022.geojson").is_file().then_some(dir)
}

fn region(dir: &Path, wards: &str, population: &str) -> (tempfile::TempDir, Source) {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = format!(
        "name = \"bench\"\n\n[[layers]]\nid = \"wards\"\nrole = \"community\"\nfile = \"{}\"\nid_property = \"area_code\"\nname_property = \"area_name\"\n\n[[layers]]\nid = \"people\"\nrole = \"population\"\nfile = \"{}\"\nid_property = \"area_code\"\nname_property = \"area_code\"\n{population}\n[postcodes]\nfile = \"{}\"\npostcode_column = \"postcode\"\nlat_column = \"lat\"\nlon_column = \"lon\"\n",
        dir.join(wards).display(),
        dir.join(if population.contains("census") { "trafford_oa_2021.geojson" } else { "gm_lsoa_2021.geojson" }).display(),
        dir.join("trafford_postcodes.csv").display(),
    );
    std::fs::write(tmp.path().join("region.toml"), manifest).unwrap();
    let source = Source::load(tmp.path()).unwrap();
    (tmp, source)
}

fn redraw(c: &mut Criterion) {
    let Some(dir) = data() else {
        eprintln!(
            "redraw bench: no GM data at ../shared/data/gm (set FEEDMAP_DATA); nothing measured"
        );
        return;
    };
    let census = format!(
        "population_file = \"{}\"",
        dir.join("trafford_census2021_population_oa.csv").display()
    );
    let mut g = c.benchmark_group("redraw");
    g.sample_size(10);
    for (name, old, new, population) in [
        (
            "trafford_wards_2022_to_2023",
            "trafford_wards_2022_full.geojson",
            "trafford_wards_2023_full.geojson",
            census.as_str(),
        ),
        (
            "gm_wards_2022_to_2023",
            "gm_wards_2022.geojson",
            "gm_wards_2023.geojson",
            "population_each = 1700",
        ),
    ] {
        let (_a, before) = region(&dir, old, population);
        let (_b, after) = region(&dir, new, population);
        let (ow, nw) = (&before.region.layers[0], &after.region.layers[0]);
        g.bench_function(name, |b| {
            b.iter(|| {
                Diff::compute(
                    ow,
                    nw,
                    Residents::of(&before.region.layers, None),
                    before.region.postcodes.as_deref(),
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, redraw);
criterion_main!(benches);
