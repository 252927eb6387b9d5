//! The identity factor on real names: every GM ward, locality and borough
//! is a place name; every MSOA, LSOA and polling district is a code.

mod common;

use feedmap::plan::factors::is_statistical_code;

#[test]
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
