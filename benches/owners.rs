//! What "who owns each feed" costs: reading a year of a platform's activity
//! export, the health report, the Guarantee view and the consolidation
//! plan, on the demo and on Greater Manchester at ward scale — the 10
//! boroughs as neighbourhoods and the 215 wards of 2023 as communities
//! (residents from the 1,702 LSOAs, 1,700 each), an X feed on every
//! borough and an X and a Facebook feed on every ward (440 feeds), 365
//! days of activity each (160,600 rows). Reads the data from
//! `$FEEDMAP_DATA` or `../shared/data/gm`; without it, measures the demo
//! only and says so.
//!
//! `cargo bench --bench owners`

use criterion::{criterion_group, criterion_main, Criterion};
use feedmap::consolidate::{self, ConsolidationParams};
use feedmap::health::{self, HealthParams};
use feedmap::{Served, Source};
use std::fmt::Write;
use std::path::{Path, PathBuf};

fn data() -> Option<PathBuf> {
    let dir = std::env::var_os("FEEDMAP_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/gm"));
    dir.join("gm_wards_2023.geojson").is_file().then_some(dir)
}

fn layer(dir: &Path, id: &str, role: &str, file: &str, id_prop: &str, name_prop: &str) -> String {
    format!(
        "[[layers]]\nid = \"{id}\"\nrole = \"{role}\"\nfile = \"{}\"\nid_property = \"{id_prop}\"\nname_property = \"{name_prop}\"\n",
        dir.join(file).display()
    )
}

/// The GM region with its feeds and a year of activity; returns the
/// folder, the activity CSV's text and the loaded source.
fn gm(dir: &Path) -> (tempfile::TempDir, String, Source) {
    let tmp = tempfile::tempdir().unwrap();
    let today = feedmap::calendar::today();
    let ids = |file: &str, prop: &str| -> Vec<String> {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"][prop].as_str().unwrap().to_string())
            .collect()
    };
    let mut feeds = String::from(
        "feed_id,platform,handle,url,layer,area_id,name,status,team,administrators,verification\n",
    );
    let mut all = Vec::new();
    for b in ids("gm_local_authorities_2023.geojson", "area_code") {
        all.push((format!("B-{b}"), "x", "boroughs", b));
    }
    for w in ids("gm_wards_2023.geojson", "area_code") {
        all.push((format!("W-{w}-X"), "x", "wards", w.clone()));
        all.push((format!("W-{w}-FB"), "facebook", "wards", w));
    }
    let mut activity = String::from("feed_id,platform,date,posts,followers\n");
    for (k, (id, platform, layer, area)) in all.iter().enumerate() {
        let admins = if k % 7 == 0 {
            "PC One"
        } else {
            "PC One;PC Two"
        };
        writeln!(
            feeds,
            "{id},{platform},@{id},https://x.example/{id},{layer},{area},{id},active,Team {k},{admins},verified"
        )
        .unwrap();
        // Every 9th feed stopped posting 60 days ago; every 11th is tiny.
        let quiet = if k % 9 == 0 { 60 } else { 0 };
        let followers = if k % 11 == 0 { 40 } else { 2_000 + k as i64 };
        for back in 0..365 {
            let date = feedmap::calendar::add_days(&today, -back).unwrap();
            let posts = if back < quiet {
                0
            } else {
                (k as i64 + back) % 3
            };
            writeln!(activity, "{id},{platform},{date},{posts},{followers}").unwrap();
        }
    }
    let manifest = format!(
        "name = \"GM (bench)\"\n\n{}{}{}population_each = 1700\n\n[feeds]\nfile = \"feeds.csv\"\n",
        layer(
            dir,
            "boroughs",
            "neighbourhood",
            "gm_local_authorities_2023.geojson",
            "area_code",
            "area_name"
        ),
        layer(
            dir,
            "wards",
            "community",
            "gm_wards_2023.geojson",
            "area_code",
            "area_name"
        ),
        layer(
            dir,
            "lsoas",
            "population",
            "gm_lsoa_2021.geojson",
            "area_code",
            "area_code"
        ),
    );
    std::fs::write(tmp.path().join("region.toml"), manifest).unwrap();
    std::fs::write(tmp.path().join("feeds.csv"), feeds).unwrap();
    let source = Source::load(tmp.path()).unwrap();
    (tmp, activity, source)
}

fn owners(c: &mut Criterion) {
    let mut g = c.benchmark_group("owners");
    g.sample_size(10);
    let demo = Served::without_store(
        Source::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("boundaries/demo")).unwrap(),
    );
    let hp = HealthParams::new(demo.day());
    let cp = ConsolidationParams::from_pairs(demo.day(), &[]).unwrap();
    g.bench_function("demo_health", |b| {
        b.iter(|| health::report(&demo, &hp, false))
    });
    g.bench_function("demo_consolidation", |b| {
        b.iter(|| consolidate::plan(&demo, &cp))
    });
    let Some(dir) = data() else {
        eprintln!(
            "owners bench: no GM data at ../shared/data/gm (set FEEDMAP_DATA); GM not measured"
        );
        return;
    };
    let (_tmp, csv, source) = gm(&dir);
    let served = Served::without_store(source);
    g.bench_function("gm_read_activity_year_440_feeds", |b| {
        b.iter(|| feedmap::activity::read_csv("a.csv", csv.as_bytes(), served.feeds()).unwrap())
    });
    // The store's activity, as a server holding the imported year has it.
    let days = feedmap::activity::read_csv("a.csv", csv.as_bytes(), served.feeds()).unwrap();
    let mut activity = feedmap::activity::Activity::new();
    feedmap::activity::add(&mut activity, days);
    let state = feedmap::follow::StoreState {
        activity: std::sync::Arc::new(activity),
        ..Default::default()
    };
    let served = Served::new(served.source_arc(), std::sync::Arc::new(state));
    let hp = HealthParams::new(served.day());
    let cp = ConsolidationParams::from_pairs(served.day(), &[]).unwrap();
    let report = health::report(&served, &hp, false);
    let plan = consolidate::plan(&served, &cp);
    eprintln!(
        "owners bench: GM {} feeds, {} with findings, {} consolidation changes",
        report.feeds.len(),
        report
            .feeds
            .iter()
            .filter(|f| !f.findings.is_empty())
            .count(),
        plan.changes.len()
    );
    g.bench_function("gm_health_440_feeds", |b| {
        b.iter(|| health::report(&served, &hp, false))
    });
    g.bench_function("gm_guarantee", |b| {
        b.iter(|| health::guarantee(&served, &hp))
    });
    g.bench_function("gm_consolidation_440_feeds", |b| {
        b.iter(|| consolidate::plan(&served, &cp))
    });
    g.finish();
}

criterion_group!(benches, owners);
criterion_main!(benches);
