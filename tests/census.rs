//! Census tables as ONS and Nomis publish them, on Trafford's real
//! Census 2021 counts per output area (`trafford_census2021_population_oa.csv`,
//! 738 areas, 235,013 usual residents).
//!
//! Synthetic: the long tables' split into age groups
//! ([`common::census`](crate::common::census) says how); every area's rows
//! add up to its published count exactly.

use crate::common;
use crate::common::census::{long_table, real_counts, Col};

use feedmap::manifest::LayerSpec;
use std::collections::HashMap;
use std::path::Path;

/// `header` as `[id, name, category, count]`.
fn columns(header: [&'static str; 4]) -> [(&'static str, Col); 4] {
    [
        (header[0], Col::Code),
        (header[1], Col::Name),
        (header[2], Col::Category),
        (header[3], Col::Count),
    ]
}

/// A region of the Trafford wards (neighbourhoods) and output areas
/// (population, from `table` with the layer keys `keys`).
fn region(data: &Path, dir: &Path, table: &Path, keys: &str) -> String {
    let body = format!(
        "name = \"Trafford (census test)\"\n\n{}{}population_file = \"{}\"\n{keys}\n",
        common::layer_toml(
            data,
            "wards",
            "neighbourhood",
            "trafford_wards_2023_full.geojson",
            "area_code",
            "area_name"
        ),
        common::layer_toml(
            data,
            "oas",
            "population",
            "trafford_oa_2021.geojson",
            "area_code",
            "area_code"
        ),
        table.display()
    );
    std::fs::write(dir.join("region.toml"), &body).unwrap();
    body
}

/// The residents each output area got, by code.
fn loaded(dir: &Path) -> HashMap<String, f64> {
    let source = feedmap::Source::load(dir).unwrap_or_else(|e| panic!("{e}"));
    let (_, oas) = source.region.layer("oas").unwrap();
    oas.areas
        .iter()
        .map(|a| (a.id.clone(), a.population.unwrap()))
        .collect()
}

fn assert_real_totals(data: &Path, got: &HashMap<String, f64>) {
    let real = real_counts(data);
    assert_eq!(got.len(), real.len());
    for (code, n) in &real {
        assert_eq!(got[code], *n as f64, "{code}");
    }
    let total: f64 = got.values().sum();
    assert_eq!(total, 235_013.0);
}

/// `feedmap validate` on `dir`: (succeeded, stdout).
fn validate(dir: &Path) -> (bool, String) {
    let out = common::feedmap(&[std::ffi::OsStr::new("validate"), dir.as_os_str()]);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data (FEEDMAP_DATA or ../shared/data/gm)"
)]
fn a_nomis_long_table_is_added_up_per_area() {
    let Some(data) = common::gm_data("a_nomis_long_table_is_added_up_per_area") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("ts007a_oa.csv");
    long_table(
        &data,
        &table,
        &columns(["oa21_code", "oa21_name", "age_group", "usual_residents"]),
        None,
        &[],
    );
    // The columns are found by their spelling; only the shape is said.
    region(&data, dir.path(), &table, "population_table = \"long\"");
    assert_real_totals(&data, &loaded(dir.path()));
    let (ok, out) = validate(dir.path());
    assert!(ok, "{out}");
    assert!(
        out.contains("235,013 residents in the 738 with a population"),
        "{out}"
    );
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data (FEEDMAP_DATA or ../shared/data/gm)"
)]
fn a_long_table_read_as_wide_gets_one_diagnosis_naming_the_fix() {
    let Some(data) = common::gm_data("a_long_table_read_as_wide_gets_one_diagnosis_naming_the_fix")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("ts007a_oa.csv");
    long_table(
        &data,
        &table,
        &columns(["oa21_code", "oa21_name", "age_group", "usual_residents"]),
        None,
        &[],
    );
    region(&data, dir.path(), &table, "");
    let (ok, out) = validate(dir.path());
    assert!(!ok, "{out}");
    assert!(out.lines().count() <= 10, "{out}");
    let errors: Vec<&str> = out.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{out}");
    for needed in [
        "738 areas have more than one row",
        "long table",
        "age_group",
        "population_table = \"long\"",
        "Aged 4 years and under",
    ] {
        assert!(errors[0].contains(needed), "{needed:?} missing: {out}");
    }
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data (FEEDMAP_DATA or ../shared/data/gm)"
)]
fn a_total_category_is_taken_not_counted_twice() {
    let Some(data) = common::gm_data("a_total_category_is_taken_not_counted_twice") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("ts007a_oa.csv");
    // As an ONS custom dataset comes: its own headers, and a total row.
    long_table(
        &data,
        &table,
        &columns([
            "Output Areas Code",
            "Output Areas",
            "Age (7 categories)",
            "Observation",
        ]),
        Some("Total: All usual residents"),
        &[],
    );
    // Added up, the total row would count everyone twice: refused, saying
    // which category to take.
    region(&data, dir.path(), &table, "population_table = \"long\"");
    let (ok, out) = validate(dir.path());
    assert!(!ok, "{out}");
    assert!(
        out.contains("counts everyone twice")
            && out.contains("population_category = \"Total: All usual residents\""),
        "{out}"
    );
    // Taking the total row gives the published counts.
    region(
        &data,
        dir.path(),
        &table,
        "population_category_column = \"Age (7 categories)\"\npopulation_category = \"Total: All usual residents\"",
    );
    assert_real_totals(&data, &loaded(dir.path()));
    // A category no row has is named with the ones there are.
    region(
        &data,
        dir.path(),
        &table,
        "population_category_column = \"Age (7 categories)\"\npopulation_category = \"All ages\"",
    );
    let (ok, out) = validate(dir.path());
    assert!(
        !ok && out.contains("no row has") && out.contains("Aged 5 to 15 years"),
        "{out}"
    );
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data (FEEDMAP_DATA or ../shared/data/gm)"
)]
fn bad_cells_are_quoted_short_and_grouped() {
    let Some(data) = common::gm_data("bad_cells_are_quoted_short_and_grouped") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("population.csv");
    // The real wide table with every count replaced by text, and one 2 MB.
    let huge = "x".repeat(2_000_000);
    let mut w = csv::Writer::from_path(&table).unwrap();
    w.write_record(["area_code", "area_name", "population"])
        .unwrap();
    for (i, (code, _)) in real_counts(&data).into_iter().enumerate() {
        let cell = if i == 0 { huge.as_str() } else { "n/a" };
        w.write_record([code.as_str(), code.as_str(), cell])
            .unwrap();
    }
    w.flush().unwrap();
    region(&data, dir.path(), &table, "");
    let (ok, out) = validate(dir.path());
    assert!(!ok);
    // 738 bad rows: three shown, one line for the rest, and the summary.
    assert!(out.lines().count() <= 6, "{out}");
    assert!(
        out.contains("… and 735 more invalid_population problems"),
        "{out}"
    );
    let first = out.lines().next().unwrap();
    assert!(first.contains("(2000000 characters)"), "{first}");
    let quoted = &first[first.find("population \"").unwrap()..];
    assert!(quoted.find(" is not").unwrap() <= 100, "{first}");
}

/// The manifest's census keys are checked together.
#[test]
fn census_keys_need_what_they_refer_to() {
    for (keys, expect) in [
        (
            "population_table = \"long\"\npopulation_each = 300\n",
            "sets population_table but has no population_file",
        ),
        (
            "population_file = \"t.csv\"\npopulation_category = \"Total\"\n",
            "population_category_column",
        ),
        (
            "population_file = \"t.csv\"\npopulation_category_column = \"age\"\n",
            "population_category",
        ),
    ] {
        let text = format!(
            "name = \"r\"\n[[layers]]\nid = \"oas\"\nrole = \"population\"\nfile = \"oas.geojson\"\n{keys}"
        );
        let e = feedmap::Manifest::parse(&text, Path::new("region.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains(expect), "{keys}: {e}");
    }
    let ok = "name = \"r\"\n[[layers]]\nid = \"oas\"\nrole = \"population\"\nfile = \"oas.geojson\"\npopulation_file = \"t.csv\"\npopulation_category_column = \"age\"\npopulation_category = \"Total\"\n";
    let m = feedmap::Manifest::parse(ok, Path::new("region.toml")).unwrap();
    let spec: &LayerSpec = &m.layers[0];
    let census = feedmap::census::CensusSpec::of(spec);
    assert_eq!(census.shape, feedmap::census::TableShape::Long);
}

/// A plan made without postcodes, address points or census areas says it
/// has no settlements, why, and how to get them; one with postcodes says
/// what it found them in.
#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data (FEEDMAP_DATA or ../shared/data/gm)"
)]
fn a_plan_says_where_its_settlements_came_from() {
    let Some(data) = common::gm_data("a_plan_says_where_its_settlements_came_from") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Localities and wards alone: no postcodes, no census areas.
    let body = format!(
        "name = \"Trafford (no postcodes)\"\n\n{}",
        common::trafford_layers_toml(&data),
    );
    std::fs::write(dir.path().join("region.toml"), body).unwrap();
    let plan = |region: &Path| -> (serde_json::Value, String) {
        let out = common::feedmap_ok(&["plan".as_ref(), "--region".as_ref(), region.as_os_str()]);
        (
            serde_json::from_slice(&out.stdout).unwrap(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (none, log) = plan(dir.path());
    let note = &none["settlements"];
    assert_eq!(note["found"], 0, "{note}");
    assert!(note.get("from").is_none(), "{note}");
    let text = note["note"].as_str().unwrap();
    assert!(
        text.contains("no postcode directory") && text.contains("ONS Postcode Directory"),
        "{text}"
    );
    assert!(
        log.contains("no settlements: the region has no postcode directory"),
        "{log}"
    );
    let with = common::gm_feeds_region(&data);
    let (found, _) = plan(with.path());
    let note = &found["settlements"];
    assert!(note["found"].as_u64().unwrap() > 0, "{note}");
    assert!(
        note["from"]
            .as_str()
            .unwrap()
            .contains("live postcode centroids"),
        "{note}"
    );
    assert!(note.get("note").is_none(), "{note}");
}
