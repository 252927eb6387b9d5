//! `feedmap init`: a region folder from a force's own downloads. On
//! Trafford's real boundaries with a census table in Nomis's long format,
//! on national-size files clipped to one force, and on the refusals a
//! planner may meet (a choice only they can make, a table for other
//! areas, a folder already in use), none of which leaves anything behind.

use crate::common;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Runs `feedmap init DIR ARGS`; exit code, stdout, stderr.
fn init(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_feedmap"))
        .arg("init")
        .arg(dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Trafford's Census 2021 residents per output area (real, ONS), written
/// into `dir` as Nomis downloads a table of six age bands: one row per area
/// and band, with Nomis's headers. **The split into bands is synthetic**
/// ([`common::census`]); each area's rows add up to its published total
/// exactly. Areas of `extra` follow the real ones. Returns the file and the
/// published total.
fn nomis_long(data: &Path, dir: &Path, extra: &[(String, u64)]) -> (PathBuf, u64) {
    let file = dir.join("census2021-ts007a-oa.csv");
    let total = common::census::long_table(data, &file, &common::census::NOMIS, None, extra);
    (file, total)
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn trafford_from_downloads_with_a_nomis_long_table() {
    let Some(data) = common::gm_data("trafford_from_downloads_with_a_nomis_long_table") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let (table, published) = nomis_long(&data, work.path(), &[]);
    let region = work.path().join("trafford");
    let file = |f: &str| data.join(f).to_str().unwrap().to_string();
    let (code, out, err) = init(
        &region,
        &[
            "--name",
            "Trafford",
            "--neighbourhoods",
            &file("trafford_localities_2023.geojson"),
            "--communities",
            &file("trafford_wards_2023_full.geojson"),
            "--population",
            &file("trafford_oa_2021.geojson"),
            "--census",
            table.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    // What it chose, each with examples.
    assert!(
        out.contains("localities: ")
            && out.contains("id from property \"area_name\" (e.g. \"Central\""),
        "{out}"
    );
    assert!(
        out.contains("wards: ")
            && out.contains("name from property \"area_name\" (e.g. \"Altrincham\""),
        "{out}"
    );
    assert!(
        out.contains("a long (one row per area and category, an area's rows added up) table"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{} residents in 738 of the 738 areas",
            thousands(published)
        )),
        "{out}"
    );
    // The readiness report: what is missing, its cost, where to get it.
    assert!(out.contains("Ready: 4 of 6"), "{out}");
    assert!(
        out.contains("✗ Lookups by postcode") && out.contains("ONS Postcode Directory (ONSPD)"),
        "{out}"
    );
    assert!(
        out.contains("✗ Feeds in lookups and the plan") && out.contains("feed_list: false"),
        "{out}"
    );
    assert!(
        out.contains(
            "✓ Towns and villages found from where people live: from the 738 census areas"
        ),
        "{out}"
    );
    let manifest = std::fs::read_to_string(region.join("region.toml")).unwrap();
    assert!(
        manifest.contains("population_table = \"long\""),
        "{manifest}"
    );
    assert!(manifest.contains("# No postcode directory"), "{manifest}");

    // The region validates, and serves the same readiness on /health.
    let v = common::feedmap(&["validate".as_ref(), region.as_os_str()]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    let text = String::from_utf8_lossy(&v.stdout);
    assert!(
        text.contains(&format!("{} residents", thousands(published))),
        "{text}"
    );
    let server = common::Server::start(&region);
    let (_, health) = server.get("/health");
    let r = &health["readiness"];
    assert_eq!(
        (r["ready"].as_u64(), r["of"].as_u64()),
        (Some(4), Some(6)),
        "{health}"
    );
    let item = |k: &str| {
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["key"] == k)
            .unwrap()
            .clone()
    };
    assert_eq!(item("postcode_lookup")["ready"], false);
    assert!(item("postcode_lookup")["get"]
        .as_str()
        .unwrap()
        .contains("ONSPD"));
    assert_eq!(item("population")["ready"], true);
    // The plan finds its settlements in the census areas, and says so.
    let (_, plan) = server.get("/v1/plan");
    let from = plan["settlements"]["from"].as_str().unwrap();
    assert!(from.contains("census areas of layer oas"), "{from}");
    assert!(
        plan["settlements"]["found"].as_u64().unwrap() >= 1,
        "{}",
        plan["settlements"]
    );
}

/// "1,234,567".
fn thousands(n: u64) -> String {
    feedmap::plan::explain::thousands(n as f64)
}

/// National-size files are clipped to the force: output areas far away
/// (a copy of Trafford's moved 300 km east, given other codes), their
/// census rows, and a 2.7-million-row-shaped postcode directory (here
/// 40,000 rows: Trafford's real postcodes and synthetic ones across
/// Great Britain, some without coordinates).
#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn national_files_are_clipped_to_the_force() {
    let Some(data) = common::gm_data("national_files_are_clipped_to_the_force") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    // "National" output areas: Trafford's and a far copy.
    let oas: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("trafford_oa_2021.geojson")).unwrap(),
    )
    .unwrap();
    let mut national = oas.clone();
    let mut far = Vec::new();
    for f in oas["features"].as_array().unwrap() {
        let mut g = f.clone();
        let code = g["properties"]["area_code"]
            .as_str()
            .unwrap()
            .replace("E00", "E99");
        g["properties"]["area_code"] = code.clone().into();
        shift(&mut g["geometry"]["coordinates"], 4.5);
        far.push(g);
    }
    let far_codes: Vec<(String, u64)> = far
        .iter()
        .map(|g| {
            (
                g["properties"]["area_code"].as_str().unwrap().to_string(),
                300,
            )
        })
        .collect();
    national["features"].as_array_mut().unwrap().extend(far);
    let oa_file = work.path().join("Output_Areas_2021_EW_BGC.geojson");
    std::fs::write(&oa_file, national.to_string()).unwrap();
    let (table, _) = nomis_long(&data, work.path(), &far_codes);
    // A postcode directory in ONSPD's shape.
    let onspd = work.path().join("ONSPD_NOV_2026_UK.csv");
    let mut csv = String::from("pcd,pcds,dointr,doterm,oseast1m,osnrth1m,lat,long,oa21,lsoa21\n");
    let real = common::postcodes(&data);
    for p in &real {
        csv.push_str(&format!(
            "{},{},198001,,,,{},{},,\n",
            p.postcode.replace(' ', ""),
            p.postcode,
            p.lat,
            p.lon
        ));
    }
    for i in 0..40_000 - real.len() {
        let (lat, lon) = if i % 97 == 0 {
            (99.999999, 0.0)
        } else {
            (
                50.0 + (i % 860) as f64 / 100.0,
                -5.7 + (i % 741) as f64 / 100.0,
            )
        };
        // Keep the synthetic ones clear of Trafford's extent.
        let (lat, lon) = if (53.3..53.6).contains(&lat) && (-2.6..-2.1).contains(&lon) {
            (51.0, 0.5)
        } else {
            (lat, lon)
        };
        csv.push_str(&format!("ZZ{i},ZZ {i},198001,,,,{lat},{lon},,\n"));
    }
    std::fs::write(&onspd, csv).unwrap();
    let region = work.path().join("trafford");
    let file = |f: &str| data.join(f).to_str().unwrap().to_string();
    let (code, out, err) = init(
        &region,
        &[
            "--neighbourhoods",
            &format!("localities={}", file("trafford_localities_2023.geojson")),
            "--communities",
            &file("trafford_wards_2023_full.geojson"),
            "--population",
            oa_file.to_str().unwrap(),
            "--census",
            table.to_str().unwrap(),
            "--postcodes",
            onspd.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("738 areas (clipped from 1476"), "{out}");
    assert!(
        out.contains(&format!("{} of 40000 postcodes", real.len())),
        "{out}"
    );
    assert!(out.contains("Ready: 5 of 6"), "{out}");
    let kept: Value =
        serde_json::from_str(&std::fs::read_to_string(region.join("oas.geojson")).unwrap())
            .unwrap();
    assert_eq!(kept["features"].as_array().unwrap().len(), 738);
    let rows = std::fs::read_to_string(region.join("oas_census.csv")).unwrap();
    assert_eq!(rows.lines().count(), 1 + 738 * 6);
    assert!(!rows.contains("E99"));
    // Postcode lookups work in the new region.
    let answer = common::feeds_lookup_postcode(&region, &real[0].postcode);
    assert_eq!(answer["feed_list"], false, "{answer}");
    assert!(answer["neighbourhood"]["id"].is_string(), "{answer}");
}

/// Adds `dx` degrees to every longitude of a GeoJSON coordinates value.
fn shift(v: &mut Value, dx: f64) {
    if let Some(a) = v.as_array_mut() {
        if a.len() == 2 && a[0].is_number() {
            a[0] = (a[0].as_f64().unwrap() + dx).into();
        } else {
            a.iter_mut().for_each(|c| shift(c, dx));
        }
    }
}

/// What a planner meets when init cannot go on: each refusal says what
/// to do, and leaves nothing behind.
#[test]
fn refusals_name_the_fix_and_leave_nothing() {
    let demo = common::demo_region();
    let work = tempfile::tempdir().unwrap();
    let leftovers = || {
        std::fs::read_dir(work.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "in")
            .collect::<Vec<_>>()
    };
    let input = work.path().join("in");
    std::fs::create_dir(&input).unwrap();
    // Communities with two equally good ids and no code: a person chooses.
    let comms: Value =
        serde_json::from_str(&std::fs::read_to_string(demo.join("communities.geojson")).unwrap())
            .unwrap();
    let mut two = comms.clone();
    for f in two["features"].as_array_mut().unwrap() {
        let props = f["properties"].as_object_mut().unwrap();
        let code = props.remove("code").unwrap();
        props.insert("ref_a".into(), code.clone());
        props.insert(
            "key".into(),
            Value::String(format!("K-{}", code.as_str().unwrap())),
        );
        props.insert(
            "label".into(),
            Value::String(format!("L-{}", code.as_str().unwrap())),
        );
    }
    let ambiguous = input.join("communities.geojson");
    std::fs::write(&ambiguous, two.to_string()).unwrap();
    let hoods = format!(
        "neighbourhoods={}",
        demo.join("neighbourhoods.geojson").display()
    );
    let region = work.path().join("region");
    let args = [
        "--neighbourhoods",
        &hoods,
        "--communities",
        ambiguous.to_str().unwrap(),
    ];
    let (code, _, err) = init(&region, &args);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("choose the area id of layer \"communities\" with --set communities.id_property=PROPERTY; candidates: key (e.g. \"K-DV01-C01\""),
        "{err}"
    );
    assert!(err.contains("label (e.g."), "{err}");
    assert_eq!(leftovers(), Vec::<String>::new());
    // The choice as a setting: it goes through.
    let (code, out, err) = init(
        &region,
        &[&args[..], &["--set", "communities.id_property=key"]].concat(),
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("id from property \"key\""), "{out}");
    // A folder already holding a region is never written over.
    let (code, _, err) = init(&region, &args);
    assert_eq!(code, Some(1));
    assert!(err.contains("already holds files"), "{err}");
    // A setting for a layer that is not there; a key that is not a setting.
    let other = work.path().join("other");
    let (code, _, err) = init(
        &other,
        &[&args[..], &["--set", "wards.id_property=key"]].concat(),
    );
    assert_eq!(code, Some(1));
    assert!(
        err.contains("there is no layer \"wards\" (layers: neighbourhoods, communities)"),
        "{err}"
    );
    let (code, _, err) = init(
        &other,
        &[&args[..], &["--set", "communities.colour=red"]].concat(),
    );
    assert_eq!(code, Some(2), "clap refuses the value: {err}");
    assert!(err.contains("\"colour\" is not a layer setting"), "{err}");
    // A census table for other areas.
    let table = input.join("census.csv");
    std::fs::write(
        &table,
        "geography code,Observation\nE00000001,300\nE00000002,310\n",
    )
    .unwrap();
    let (code, _, err) = init(
        &other,
        &[
            "--neighbourhoods",
            &hoods,
            "--population",
            demo.join("communities.geojson").to_str().unwrap(),
            "--census",
            table.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("only 0 of its 2 area ids are areas of layer \"communities\""),
        "{err}"
    );
    assert_eq!(leftovers(), ["region"]);
}

/// data.police.uk publishes a force's neighbourhoods as a folder of KML
/// files, one a neighbourhood, named by its code, with placemarks that
/// carry no name. Synthetic here: Trafford's four localities written that
/// way.
#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn a_data_police_uk_kml_folder() {
    let Some(data) = common::gm_data("a_data_police_uk_kml_folder") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let folder = work.path().join("greater-manchester");
    std::fs::create_dir(&folder).unwrap();
    let localities: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("trafford_localities_2023.geojson")).unwrap(),
    )
    .unwrap();
    for f in localities["features"].as_array().unwrap() {
        let code = format!(
            "GMPT{}",
            f["properties"]["area_name"]
                .as_str()
                .unwrap()
                .to_uppercase()
        );
        let g = &f["geometry"];
        let polygons: Vec<&Value> = match g["type"].as_str().unwrap() {
            "Polygon" => vec![&g["coordinates"]],
            _ => g["coordinates"].as_array().unwrap().iter().collect(),
        };
        let kml_polygons: String = polygons
            .iter()
            .map(|p| {
                let rings: Vec<String> = p
                    .as_array()
                    .unwrap()
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let coords: Vec<String> = r
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|c| format!("{},{},0", c[0], c[1]))
                            .collect();
                        let edge = if i == 0 { "outerBoundaryIs" } else { "innerBoundaryIs" };
                        format!("<{edge}><LinearRing><coordinates>{}</coordinates></LinearRing></{edge}>", coords.join(" "))
                    })
                    .collect();
                format!("<Polygon>{}</Polygon>", rings.concat())
            })
            .collect();
        std::fs::write(
            folder.join(format!("{code}.kml")),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document><Placemark><MultiGeometry>{kml_polygons}</MultiGeometry></Placemark></Document></kml>"
            ),
        )
        .unwrap();
    }
    let region = work.path().join("region");
    let (code, out, err) = init(
        &region,
        &[
            "--neighbourhoods",
            folder.to_str().unwrap(),
            "--communities",
            data.join("trafford_wards_2023_full.geojson")
                .to_str()
                .unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains("neighbourhoods: ") && out.contains("a folder of 4 KML files"),
        "{out}"
    );
    assert!(
        out.contains("id from property \"file_stem\" (e.g. \"GMPTCENTRAL\""),
        "{out}"
    );
    let answer = common::feedmap_ok(&[
        "lookup".as_ref(),
        "--region".as_ref(),
        region.as_os_str(),
        "53.4".as_ref(),
        "-2.35".as_ref(),
    ]);
    let answer: Value = serde_json::from_slice(&answer.stdout).unwrap();
    assert!(
        answer.to_string().contains("GMPT"),
        "a point in Trafford is in one of the neighbourhoods: {answer}"
    );
}

/// A built-up areas file (the real ONS Built-up Areas 2011 of Greater
/// Manchester, one piece per borough) given to `init` for Trafford: cut to
/// the places near Trafford, its code chosen as the id though pieces
/// repeat it, and its places taken as the region's settlements.
#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn a_built_up_areas_file_gives_the_settlements() {
    let Some(data) = common::gm_data("a_built_up_areas_file_gives_the_settlements") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let region = work.path().join("trafford");
    let file = |f: &str| data.join(f).to_str().unwrap().to_string();
    let (code, out, err) = init(
        &region,
        &[
            "--neighbourhoods",
            &format!("localities={}", file("trafford_localities_2023.geojson")),
            "--communities",
            &file("trafford_wards_2023_full.geojson"),
            "--built-up",
            &file("gm_built_up_areas_2011.geojson"),
        ],
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    let line = out
        .lines()
        .find(|l| l.starts_with("built_up"))
        .unwrap_or_else(|| panic!("a line for the built-up areas: {out}"));
    assert!(line.contains("(clipped from 28"), "{line}");
    assert!(line.contains("id from property \"bua11cd\""), "{line}");
    assert!(line.contains("name from property \"bua11nm\""), "{line}");
    let manifest = std::fs::read_to_string(region.join("region.toml")).unwrap();
    assert!(manifest.contains("role = \"built_up\""), "{manifest}");
    assert!(
        out.contains("places of the built-up areas layer \"built_up_areas\", as published"),
        "{out}"
    );
    // The pieces near Trafford of the one conurbation are one settlement.
    let found = common::feedmap_ok(&["discover".as_ref(), "--region".as_ref(), region.as_os_str()]);
    let found: Value = serde_json::from_slice(&found.stdout).unwrap();
    let names: Vec<&str> = found["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["properties"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names.iter().filter(|n| **n == "Greater Manchester").count(),
        1,
        "{names:?}"
    );
}
