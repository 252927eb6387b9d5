//! Postcodes near a boundary: a postcode's addresses spread around its
//! centroid, so answers by postcode name the other communities and
//! neighbourhoods within `[postcodes].near_boundary_m` (default 100 m), with
//! their feeds; the batch CSV says the nearest one.

use crate::common;

use feedmap::query::Query;
use serde_json::Value;
use std::collections::HashMap;

/// A region over the Trafford data: the 4 localities as neighbourhoods, a
/// wards layer (`wards_file`) as communities, the Trafford postcodes, and
/// `extra` manifest text.
fn region(data: &std::path::Path, wards_file: &str, extra: &str) -> tempfile::TempDir {
    let manifest = format!(
        "name = \"Trafford near boundaries (test)\"\n\n{}{}[postcodes]\nfile = \"{}\"\npostcode_column = \"postcode\"\nlat_column = \"lat\"\nlon_column = \"lon\"\n{extra}",
        common::layer_toml(data, "localities", "neighbourhood", "trafford_localities_2023.geojson", "area_name", "area_name"),
        common::layer_toml(data, "wards", "community", wards_file, "area_code", "area_name"),
        data.join("trafford_postcodes.csv").display()
    );
    common::region_dir(&manifest)
}

/// Every Trafford postcode looked up by postcode at the default 100 m, on
/// the generalised GM wards and on the full-resolution Trafford wards:
/// each postcode whose ONS ward is not the ward its centroid falls in is
/// flagged as near that ONS ward; the share flagged is printed (README).
#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn every_postcode_ons_puts_elsewhere_is_flagged_near_that_ward() {
    let Some(data) = common::gm_data("every_postcode_ons_puts_elsewhere_is_flagged_near_that_ward")
    else {
        return;
    };
    let postcodes = common::postcodes(&data);
    for (wards_file, label) in [
        ("gm_wards_2023.geojson", "generalised GM wards"),
        (
            "trafford_wards_2023_full.geojson",
            "full-resolution Trafford wards",
        ),
    ] {
        let dir = region(&data, wards_file, "");
        let served = feedmap::Served::without_store(feedmap::Source::load(dir.path()).unwrap());
        let (mut flagged, mut flagged_ward, mut differ) = (0usize, 0usize, 0usize);
        let mut by_layer: HashMap<String, usize> = HashMap::new();
        for pc in &postcodes {
            let answer = served
                .feeds_for(&Query::Postcode(pc.postcode.clone()))
                .unwrap_or_else(|e| panic!("{}: {e}", pc.postcode));
            let near = answer.near_boundary.as_ref().expect("postcode answers say");
            assert!(near
                .windows(2)
                .all(|w| w[0].area.distance_m <= w[1].area.distance_m));
            for n in near {
                let d = n.area.distance_m.unwrap();
                assert!((0.0..=100.0).contains(&d), "{}: {d} m", pc.postcode);
                // Never the areas the postcode is in.
                assert!(answer.areas[n.area.layer].iter().all(|a| a.id != n.area.id));
                *by_layer.entry(n.area.layer.to_string()).or_default() += 1;
            }
            flagged += usize::from(!near.is_empty());
            flagged_ward += usize::from(near.iter().any(|n| n.area.layer == "wards"));
            let pip_ward = answer.areas["wards"].first().map(|a| a.id);
            if pip_ward != Some(pc.ward_code.as_str()) {
                differ += 1;
                assert!(
                    near.iter()
                        .any(|n| n.area.layer == "wards" && n.area.id == pc.ward_code),
                    "{} ({label}): ONS says {}, its centroid is in {pip_ward:?}, and {} is not flagged near: {:?}",
                    pc.postcode,
                    pc.ward_code,
                    pc.ward_code,
                    near.iter().map(|n| (n.area.id, n.area.distance_m)).collect::<Vec<_>>()
                );
            }
        }
        let share = |n: usize| 100.0 * n as f64 / postcodes.len() as f64;
        eprintln!(
            "{label}: {differ} postcodes where ONS and the centroid disagree, all flagged; at 100 m {flagged} of {} postcodes flagged ({:.1} %), {flagged_ward} near another ward ({:.1} %); entries by layer {by_layer:?}",
            postcodes.len(),
            share(flagged),
            share(flagged_ward)
        );
        if wards_file.starts_with("gm_") {
            // The generalised wards put a few centroids on the wrong side,
            // so the check above is not empty.
            assert!(differ > 0, "no disagreement to check on {label}");
        }
        assert!(
            flagged > 0 && flagged < postcodes.len() / 2,
            "{flagged} flagged"
        );
    }
}

/// The distance is the manifest's: 0 turns it off, a larger one flags
/// more; other answers (coordinates, places) never carry it.
#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn the_distance_is_configurable_and_only_postcodes_carry_it() {
    let Some(data) = common::gm_data("the_distance_is_configurable_and_only_postcodes_carry_it")
    else {
        return;
    };
    let postcodes: Vec<_> = common::postcodes(&data).into_iter().step_by(7).collect();
    let mut counts = Vec::new();
    for m in ["0", "50", "100", "250"] {
        let dir = region(
            &data,
            "trafford_wards_2023_full.geojson",
            &format!("near_boundary_m = {m}\n"),
        );
        let served = feedmap::Served::without_store(feedmap::Source::load(dir.path()).unwrap());
        let flagged = postcodes
            .iter()
            .filter(|pc| {
                let a = served
                    .feeds_for(&Query::Postcode(pc.postcode.clone()))
                    .unwrap();
                !a.near_boundary.unwrap().is_empty()
            })
            .count();
        counts.push(flagged);
        let pc = &postcodes[0];
        let by_point = served
            .feeds_for(&Query::Point {
                lat: pc.lat,
                lon: pc.lon,
            })
            .unwrap();
        assert!(by_point.near_boundary.is_none());
    }
    assert_eq!(counts[0], 0, "{counts:?}");
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "{counts:?}");
    // A distance out of range is refused by name.
    let dir = region(
        &data,
        "trafford_wards_2023_full.geojson",
        "near_boundary_m = -1\n",
    );
    let e = feedmap::Source::load(dir.path()).unwrap_err().to_string();
    assert!(e.contains("near_boundary_m"), "{e}");
}

/// Over HTTP: the postcode answer carries `near_boundary` with the other
/// side's feeds, the coordinate answer does not; the batch CSV names the
/// nearest other area for postcode rows only.
#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn http_answers_and_batch_rows_carry_it() {
    let Some(data) = common::gm_data("http_answers_and_batch_rows_carry_it") else {
        return;
    };
    let dir = common::gm_feeds_region(&data);
    let served = feedmap::Served::without_store(feedmap::Source::load(dir.path()).unwrap());
    // A postcode near another ward, found through the library.
    let pc = common::postcodes(&data)
        .into_iter()
        .find(|pc| {
            served
                .feeds_for(&Query::Postcode(pc.postcode.clone()))
                .unwrap()
                .near_boundary
                .unwrap()
                .iter()
                .any(|n| n.area.layer == "wards")
        })
        .expect("some postcode near another ward");
    let server = common::Server::start(dir.path());
    let (status, by_postcode) = server.get(&format!(
        "/v1/feeds/lookup?postcode={}",
        pc.postcode.replace(' ', "+")
    ));
    assert_eq!(status, 200, "{by_postcode}");
    let near = by_postcode["near_boundary"].as_array().unwrap();
    let ward = near.iter().find(|n| n["layer"] == "wards").unwrap();
    assert!(ward["distance_m"].as_f64().unwrap() <= 100.0);
    assert_ne!(ward["id"], by_postcode["community"]["id"]);
    // Every ward has an active X feed here but Bowdon (planned).
    if ward["name"] != "Bowdon" {
        let feeds = ward["feeds"].as_array().unwrap();
        assert_eq!(feeds.len(), 1, "{ward}");
        assert_eq!(
            feeds[0]["feed_id"],
            format!("W-{}", ward["id"].as_str().unwrap())
        );
        assert_eq!(feeds[0]["matched"]["area_id"], ward["id"]);
    }
    let (_, by_point) = server.get(&format!("/v1/feeds/lookup?lat={}&lon={}", pc.lat, pc.lon));
    // Not a postcode: near_boundary is there, and null.
    assert_eq!(
        by_point.get("near_boundary"),
        Some(&serde_json::Value::Null),
        "{by_point}"
    );
    assert_eq!(by_point["feeds"], by_postcode["feeds"]);

    let body = format!(
        "id,postcode,lat,lon\n1,{},,\n2,,{},{}\n",
        pc.postcode, pc.lat, pc.lon
    );
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/v1/feeds/lookup/batch", server.base))
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let header = rows.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = rows.records().map(|r| r.unwrap()).collect();
    let first: &Value = &near[0];
    assert_eq!(
        &rows[0][col("near_boundary_id")],
        first["id"].as_str().unwrap()
    );
    assert_eq!(
        &rows[0][col("near_boundary_layer")],
        first["layer"].as_str().unwrap()
    );
    assert_eq!(
        &rows[0][col("near_boundary_name")],
        first["name"].as_str().unwrap()
    );
    let m: f64 = rows[0][col("near_boundary_m")].parse().unwrap();
    assert!(
        (m - first["distance_m"].as_f64().unwrap()).abs() < 0.051,
        "{m} vs {first}"
    );
    for c in [
        "near_boundary_m",
        "near_boundary_layer",
        "near_boundary_id",
        "near_boundary_name",
    ] {
        assert_eq!(&rows[1][col(c)], "", "coordinates row, {c}");
    }
    assert_eq!(header.iter().next_back(), Some("error"));
}
