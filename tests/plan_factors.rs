//! The identity factor on real names: every GM ward, locality and borough
//! is a place name; every MSOA, LSOA and polling district is a code.

use crate::common;

use feedmap::plan::factors::is_statistical_code;

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn real_names_and_codes_are_told_apart() {
    let Some(data) = common::gm_data("real_names_and_codes_are_told_apart") else {
        return;
    };
    for (file, want_code) in [
        ("gm_wards_2023.geojson", false),
        ("trafford_localities_2023.geojson", false),
        ("gm_local_authorities_2023.geojson", false),
        ("gm_msoa_2021.geojson", true),
        ("gm_lsoa_2021.geojson", true),
        ("trafford_polling_districts.geojson", true),
    ] {
        let fc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(data.join(file)).unwrap()).unwrap();
        let names: Vec<&str> = fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["area_name"].as_str().unwrap())
            .collect();
        let wrong: Vec<&&str> = names
            .iter()
            .filter(|n| is_statistical_code(n) != want_code)
            .collect();
        println!(
            "{file}: {} names, {} misclassified",
            names.len(),
            wrong.len()
        );
        assert!(wrong.is_empty(), "{file}: {wrong:?}");
    }
}

/// Population estimated from Trafford's 738 output areas (~300 people each,
/// areal-weighted) onto wards and localities: the wards of each locality
/// sum to the locality's own estimate within 2 %, and no estimate exceeds
/// the population it was made from.
#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn output_area_estimates_are_consistent_across_wards_and_localities() {
    let Some(data) =
        common::gm_data("output_area_estimates_are_consistent_across_wards_and_localities")
    else {
        return;
    };
    let manifest = format!(
        "name = \"t\"\n{}{}",
        common::trafford_layers_toml(&data),
        common::layer_toml(
            &data,
            "oas",
            "context",
            "trafford_oa_2021.geojson",
            "area_code",
            "area_code"
        ),
    );
    let dir = common::region_dir(&manifest);
    let region = feedmap::Source::load(dir.path())
        .map(|s| s.region)
        .unwrap_or_else(|e| panic!("{e}"));
    let (li, localities) = region.layer("localities").unwrap();
    let (wi, wards) = region.layer("wards").unwrap();
    let (_, oas) = region.layer("oas").unwrap();
    assert_eq!(oas.areas.len(), 738);
    const PER_OA: f64 = 300.0;
    use feedmap::plan::population::areal_weighted;
    let ward_pop = areal_weighted(oas, |_| PER_OA, wards);
    let loc_pop = areal_weighted(oas, |_| PER_OA, localities);
    let total = 738.0 * PER_OA;
    let (ws, ls): (f64, f64) = (ward_pop.iter().sum(), loc_pop.iter().sum());
    println!("total {total}, wards {ws:.0}, localities {ls:.0}");
    // Output areas reaching past the localities' generalised edge lose a
    // little; nothing may be created.
    assert!(
        ws <= total + 1e-6 && ls <= total + 1e-6,
        "estimates exceed the source"
    );
    assert!((total - ws) / total < 0.01 && (total - ls) / total < 0.01);
    for (l, loc) in localities.areas.iter().enumerate() {
        let sum: f64 = region
            .relations
            .children_of(li, l)
            .iter()
            .filter(|r| r.child_layer == wi && r.share_of_child > 0.5)
            .map(|r| ward_pop[r.child_area])
            .sum();
        let diff = (sum - loc_pop[l]).abs() / loc_pop[l];
        println!(
            "{}: wards {sum:.0} vs locality {:.0} ({:.2} %)",
            loc.name,
            loc_pop[l],
            diff * 100.0
        );
        assert!(diff < 0.02, "{}: {diff}", loc.name);
    }
}
