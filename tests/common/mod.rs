//! Shared helpers for the end-to-end tests: finding the real Greater
//! Manchester data beside the repo, and writing throwaway regions.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The folder with the real GM open data: `$FEEDMAP_DATA`, else
/// `../shared/data/gm` beside the repo. When it is missing the test is
/// skipped with a message, except under `CI=true`, where it fails loudly.
pub fn gm_data(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("FEEDMAP_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/gm"));
    if dir.join("trafford_postcodes.csv").is_file() {
        return Some(dir.canonicalize().unwrap());
    }
    let msg = format!(
        "{test}: the GM data is not at {} (set FEEDMAP_DATA to its folder)",
        dir.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}; CI must run this test");
    }
    eprintln!("SKIPPED {msg}");
    None
}

/// Writes `region.toml` with `body` into a fresh temporary folder.
pub fn region_dir(body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("region.toml"), body).unwrap();
    dir
}

/// A manifest for the GM data: Trafford localities as neighbourhoods, GM
/// wards as communities, MSOAs and LSOAs as context.
pub fn gm_manifest(data: &Path) -> String {
    format!(
        r#"name = "Greater Manchester (test)"
attribution = "Contains National Statistics and OS data © Crown copyright and database right 2025"

[[layers]]
id = "localities"
role = "neighbourhood"
file = "{d}/trafford_localities_2023.geojson"
id_property = "area_name"
name_property = "area_name"

[[layers]]
id = "wards"
role = "community"
file = "{d}/gm_wards_2023.geojson"
id_property = "area_code"
name_property = "area_name"

[[layers]]
id = "msoas"
role = "context"
file = "{d}/gm_msoa_2021.geojson"
id_property = "area_code"
name_property = "area_name"

[[layers]]
id = "lsoas"
role = "context"
file = "{d}/gm_lsoa_2021.geojson"
id_property = "area_code"
name_property = "area_name"
"#,
        d = data.display()
    )
}

/// One row of `trafford_postcodes.csv`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Postcode {
    pub postcode: String,
    pub ward_code: String,
    pub msoa_code: String,
    pub lsoa_code: String,
    pub lon: f64,
    pub lat: f64,
}

/// Reads every Trafford postcode.
pub fn postcodes(data: &Path) -> Vec<Postcode> {
    csv::Reader::from_path(data.join("trafford_postcodes.csv"))
        .unwrap()
        .deserialize()
        .map(|r| r.unwrap())
        .collect()
}
