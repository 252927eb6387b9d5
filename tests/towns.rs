//! Settlements from census small areas, for a region without postcodes or
//! address points: dense areas chained through shared boundaries, sparse
//! rural areas breaking the chain, named by the place name their areas
//! share; on Trafford's real output areas (Partington) and on a synthetic
//! neighbourhood built to the shape the issue describes.

use crate::common;

use serde_json::{json, Value};
use std::path::Path;

/// Runs `feedmap plan` on `region` and returns the plan.
fn plan(region: &Path) -> Value {
    let out = common::feedmap_ok(&["plan".as_ref(), "--region".as_ref(), region.as_os_str()]);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs `feedmap discover` on `region` and returns its GeoJSON.
fn discover(region: &Path) -> Value {
    let out = common::feedmap_ok(&["discover".as_ref(), "--region".as_ref(), region.as_os_str()]);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn place_names_shared_by_areas() {
    use feedmap::gazetteer::shared_place_name;
    let marlow = [
        ("Marlow West & Fenside North", 3000.0),
        ("Marlow South West", 3000.0),
        ("Marlow Central", 3000.0),
        ("Fenside", 2000.0),
    ];
    assert_eq!(shared_place_name(marlow).as_deref(), Some("Marlow"));
    let ashton = [
        ("Ashton upon Mersey North", 1.0),
        ("Ashton upon Mersey South", 1.0),
    ];
    assert_eq!(
        shared_place_name(ashton).as_deref(),
        Some("Ashton upon Mersey")
    );
    // A compass word is not a place; one name is not shared; a minority
    // does not name the whole.
    assert_eq!(
        shared_place_name([("North Marlow", 1.0), ("North Fenside", 1.0)]),
        None
    );
    assert_eq!(shared_place_name([("Marlow", 1.0), ("Marlow", 1.0)]), None);
    assert_eq!(
        shared_place_name([("Sale East", 1.0), ("Sale Moor", 1.0), ("Hale", 5.0)]),
        None
    );
}

/// Without postcodes, Trafford's Census 2021 output areas (real counts)
/// find Partington apart from the conurbation, named from the House of
/// Commons Library MSOA names, and the plan offers it whole.
///
/// Synthetic: the MSOA layer joins the real House of Commons Library names
/// (from the postcode file's `msoa_hcl_name`) onto the real MSOA
/// boundaries, as a force's MSOA file with those names would come; the
/// postcodes themselves are not given to the region.
#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data (FEEDMAP_DATA or ../shared/data/gm)"
)]
fn partington_is_found_from_census_areas_and_planned_whole() {
    let Some(data) = common::gm_data("partington_is_found_from_census_areas_and_planned_whole")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut names = std::collections::HashMap::new();
    for p in common::postcodes(&data) {
        names.insert(p.msoa_code.clone(), p.msoa_hcl_name.clone());
    }
    let mut msoas: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("gm_msoa_2021.geojson")).unwrap())
            .unwrap();
    let features: Vec<Value> = msoas["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| {
            let name = names.get(f["properties"]["area_code"].as_str()?)?;
            let mut f = f.clone();
            f["properties"]["hcl_name"] = json!(name);
            Some(f)
        })
        .collect();
    assert_eq!(features.len(), 28);
    msoas["features"] = Value::Array(features);
    let msoa_file = dir.path().join("trafford_msoa_hcl.geojson");
    std::fs::write(&msoa_file, msoas.to_string()).unwrap();
    let body = format!(
        "name = \"Trafford (census areas)\"\n\n{}[[layers]]\nid = \"msoas\"\nrole = \"context\"\nfile = \"{}\"\nid_property = \"area_code\"\nname_property = \"hcl_name\"\n\n{}population_file = \"{}\"\n",
        common::trafford_layers_toml(&data),
        msoa_file.display(),
        common::layer_toml(&data, "oas", "population", "trafford_oa_2021.geojson", "area_code", "area_code"),
        data.join("trafford_census2021_population_oa.csv").display()
    );
    std::fs::write(dir.path().join("region.toml"), body).unwrap();

    let found = discover(dir.path());
    let partington: Vec<&Value> = found["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["name"] == "Partington")
        .collect();
    assert_eq!(partington.len(), 1, "{}", found["discovery"]);
    let p = &partington[0]["properties"];
    // Census 2021 counts Partington's MSOA at about 7,300; the town's
    // dense output areas hold most of them.
    let residents = p["residents"].as_f64().unwrap();
    assert!((5_500.0..=8_000.0).contains(&residents), "{p}");
    assert!(p["gap_m"].as_f64().unwrap() > 1_000.0, "{p}");

    let made = plan(dir.path());
    let note = &made["settlements"];
    assert!(
        note["from"]
            .as_str()
            .unwrap()
            .contains("census areas of layer oas"),
        "{note}"
    );
    let whole: Vec<&Value> = common::suggestions(&made)
        .into_iter()
        .filter(|s| s["kind"] == "settlement" && s["name"] == "Partington")
        .collect();
    assert_eq!(whole.len(), 1, "{}", made["neighbourhoods"]);
    let reason = whole[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("census areas of layer oas") && reason.contains("layer msoas"),
        "{reason}"
    );
}

/// Cells of about 445 m square at 53.4° N, `(i, j)` from the south-west
/// corner of the synthetic neighbourhood.
const DLON: f64 = 0.0067;
const DLAT: f64 = 0.004;
const LON0: f64 = -2.6;
const LAT0: f64 = 53.3;

fn ring(i0: usize, j0: usize, i1: usize, j1: usize) -> Value {
    let (x0, y0) = (LON0 + i0 as f64 * DLON, LAT0 + j0 as f64 * DLAT);
    let (x1, y1) = (LON0 + i1 as f64 * DLON, LAT0 + j1 as f64 * DLAT);
    json!([[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]])
}

/// A rectangle of cells, less a rectangle of cells inside it.
fn feature(
    id: &str,
    name: &str,
    outer: [usize; 4],
    hole: Option<[usize; 4]>,
    pop: Option<f64>,
) -> Value {
    let mut rings = vec![ring(outer[0], outer[1], outer[2], outer[3])];
    if let Some(h) = hole {
        // Holes wind the other way.
        let mut r = ring(h[0], h[1], h[2], h[3]).as_array().unwrap().clone();
        r.reverse();
        rings.push(Value::Array(r));
    }
    let mut props = json!({ "id": id, "name": name });
    if let Some(p) = pop {
        props["population"] = json!(p);
    }
    json!({ "type": "Feature", "properties": props, "geometry": { "type": "Polygon", "coordinates": rings } })
}

fn collection(features: Vec<Value>) -> String {
    json!({ "type": "FeatureCollection", "features": features }).to_string()
}

/// Synthetic: one neighbourhood 30 × 24 cells (13 × 11 km). A town of 16
/// dense cells (800 residents each) in four areas named "Marlow West &
/// Fenside North", "Marlow South West", "Marlow Central", "Marlow East",
/// ringed by farmland cells of 20 residents; and a continuous suburb of
/// 224 dense cells (600 each, 134,400 residents) in eight areas. Without
/// postcodes, the town is one settlement and one suggestion named
/// "Marlow"; the suburb is not one giant settlement.
#[test]
fn a_town_apart_is_one_suggestion_a_suburb_no_giant_settlement() {
    let dir = tempfile::tempdir().unwrap();
    let town = [2, 10, 6, 14];
    let suburb = [14, 4, 28, 20];
    let inside = |i: usize, j: usize, r: [usize; 4]| i >= r[0] && i < r[2] && j >= r[1] && j < r[3];
    let mut cells = Vec::new();
    for j in 0..24 {
        for i in 0..30 {
            let pop = if inside(i, j, town) {
                800.0
            } else if inside(i, j, suburb) {
                600.0
            } else {
                20.0
            };
            cells.push(feature(
                &format!("C{i:02}{j:02}"),
                &format!("C{i:02}{j:02}"),
                [i, j, i + 1, j + 1],
                None,
                Some(pop),
            ));
        }
    }
    let mut communities = vec![
        feature(
            "T1",
            "Marlow West & Fenside North",
            [2, 12, 4, 14],
            None,
            None,
        ),
        feature("T2", "Marlow South West", [2, 10, 4, 12], None, None),
        feature("T3", "Marlow Central", [4, 12, 6, 14], None, None),
        feature("T4", "Marlow East", [4, 10, 6, 12], None, None),
        feature("R1", "Wexcombe Moor", [0, 0, 13, 24], Some(town), None),
        feature("R2", "Eastern Fields", [13, 0, 30, 24], Some(suburb), None),
    ];
    let suburb_names = [
        "Fenside",
        "Brook Green",
        "Eastfield",
        "Highcross",
        "Larkhill",
        "Millbrook",
        "Oakwood",
        "Redmoor",
    ];
    for (k, name) in suburb_names.iter().enumerate() {
        let (bi, bj) = (k % 2, k / 2);
        let (i0, j0) = (14 + bi * 7, 4 + bj * 4);
        communities.push(feature(
            &format!("S{k}"),
            name,
            [i0, j0, i0 + 7, j0 + 4],
            None,
            None,
        ));
    }
    std::fs::write(dir.path().join("cells.geojson"), collection(cells)).unwrap();
    std::fs::write(
        dir.path().join("communities.geojson"),
        collection(communities),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("hood.geojson"),
        collection(vec![feature("H", "Marlow Fen", [0, 0, 30, 24], None, None)]),
    )
    .unwrap();
    let layer = |id: &str, role: &str, file: &str, extra: &str| {
        format!("[[layers]]\nid = \"{id}\"\nrole = \"{role}\"\nfile = \"{file}\"\nid_property = \"id\"\nname_property = \"name\"\n{extra}\n")
    };
    std::fs::write(
        dir.path().join("region.toml"),
        format!(
            "name = \"Marlow Fen (synthetic)\"\n\n{}{}{}",
            layer("hoods", "neighbourhood", "hood.geojson", ""),
            layer("communities", "community", "communities.geojson", ""),
            layer(
                "cells",
                "population",
                "cells.geojson",
                "population_property = \"population\"\n"
            ),
        ),
    )
    .unwrap();

    let found = discover(dir.path());
    let list = found["features"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", found["discovery"]);
    let town_found = &list[0]["properties"];
    assert_eq!(town_found["name"], "Marlow", "{town_found}");
    assert_eq!(town_found["residents"].as_f64().unwrap().round(), 12_800.0);
    assert_eq!(found["discovery"]["built_up_residents"], json!([134_400.0]));
    // The suburb's 224 cells chain into one continuous built-up area,
    // which is said, not listed as a settlement.
    let made = plan(dir.path());
    let note = made["settlements"]["note"].as_str().unwrap();
    assert!(
        note.contains("1 continuous built-up area (134,400 residents)"),
        "{note}"
    );
    let towns: Vec<&Value> = common::suggestions(&made)
        .into_iter()
        .filter(|s| s["name"].as_str().unwrap().contains("Marlow"))
        .collect();
    assert_eq!(towns.len(), 1, "{}", made["neighbourhoods"]);
    assert_eq!(towns[0]["name"], "Marlow", "{}", towns[0]);
    assert_eq!(towns[0]["population"].as_f64().unwrap().round(), 12_800.0);
}

/// A built-up areas layer gives the settlements as published, preferred
/// over finding them: on the real ONS Built-up Areas 2011 of Greater
/// Manchester (clipped by borough, so the conurbation comes in ten pieces
/// sharing one code), with the ten boroughs as neighbourhoods, the wards as
/// communities and the LSOAs at about 1,700 residents each.
#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data (FEEDMAP_DATA or ../shared/data/gm)"
)]
fn built_up_areas_are_the_settlements_as_published() {
    let Some(data) = common::gm_data("built_up_areas_are_the_settlements_as_published") else {
        return;
    };
    let file = "gm_built_up_areas_2011.geojson";
    let published: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join(file)).unwrap()).unwrap();
    let features = published["features"].as_array().unwrap();
    let mut places: Vec<&str> = features
        .iter()
        .map(|f| f["properties"]["bua11cd"].as_str().unwrap())
        .collect();
    places.sort_unstable();
    places.dedup();
    assert!(places.len() < features.len(), "the file repeats codes");
    let conurbation = features
        .iter()
        .filter(|f| f["properties"]["bua11nm"] == "Greater Manchester BUA")
        .count();
    assert_eq!(conurbation, 10, "one piece per borough");

    let manifest = format!(
        "{}{}",
        common::gm_boroughs_manifest(&data),
        common::layer_toml(&data, "built_up", "built_up", file, "bua11cd", "bua11nm")
    );
    let dir = common::region_dir(&manifest);
    let found = discover(dir.path());
    let discovery = &found["discovery"];
    assert_eq!(
        discovery["built_up_layer"]["layer"], "built_up",
        "{discovery}"
    );
    assert_eq!(
        discovery["built_up_layer"]["places"],
        places.len(),
        "pieces sharing a code are one place"
    );
    let list = found["features"].as_array().unwrap();
    let kept = places.len()
        - discovery["built_up_layer"]["without_points"]
            .as_u64()
            .unwrap() as usize;
    assert_eq!(list.len(), kept);
    for s in list {
        let id = s["id"].as_str().unwrap();
        let name = s["properties"]["name"].as_str().unwrap();
        assert!(places.contains(&id), "{id} is a published code");
        assert!(
            !name.ends_with(" BUA"),
            "{name}: named as the place goes by"
        );
        assert!(
            s["properties"]["name_source"]
                .as_str()
                .unwrap()
                .contains("the built-up areas layer built_up"),
            "{s}"
        );
    }
    // The conurbation, joined from its ten pieces, is the largest and is
    // planned nowhere on its own (in every borough it is the borough).
    let gm = &list[0];
    assert_eq!(gm["properties"]["name"], "Greater Manchester");
    assert_eq!(
        gm["geometry"]["coordinates"].as_array().unwrap().len(),
        features
            .iter()
            .filter(|f| f["properties"]["bua11nm"] == "Greater Manchester BUA")
            .map(|f| match f["geometry"]["type"].as_str().unwrap() {
                "Polygon" => 1,
                _ => f["geometry"]["coordinates"].as_array().unwrap().len(),
            })
            .sum::<usize>(),
        "its outline is every piece"
    );

    let p = plan(dir.path());
    let from = p["settlements"]["from"].as_str().unwrap();
    assert!(
        from.starts_with("the built-up areas layer built_up as published"),
        "{from}"
    );
    let towns: Vec<&Value> = p["neighbourhoods"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| n["suggestions"].as_array().unwrap())
        .filter(|s| s["kind"] == "settlement")
        .collect();
    assert!(!towns.is_empty(), "towns apart are suggested");
    for t in &towns {
        assert_ne!(t["name"], "Greater Manchester", "{t}");
        assert!(
            t["reason"]
                .as_str()
                .unwrap()
                .contains("A place of the built-up areas layer built_up as published"),
            "{t}"
        );
    }
    // Marple (Stockport) and Westhoughton (Bolton): towns beyond the
    // conurbation's edge, each suggested whole under its published code.
    for (name, code) in [("Marple", "E34001064"), ("Westhoughton", "E34005038")] {
        let t = towns
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("{name} is suggested: {towns:?}"));
        assert_eq!(t["id"], code, "{t}");
    }
    println!(
        "GM built-up areas 2011: {} features, {} places, {} with residential points; {} towns suggested ({})",
        features.len(),
        places.len(),
        list.len(),
        towns.len(),
        towns
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect::<Vec<_>>()
            .join(", ")
    );
}
