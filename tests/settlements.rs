//! Settlements discovered from residential points, and planning that
//! follows them: on Trafford's 11,264 real postcodes (Partington, the
//! northern and southern urban areas, the villages of the rural
//! south-west) and on a synthetic town cut into four communities.

use crate::common;

use feedmap::plan::{Plan, PlanParams, SuggestionKind};
use feedmap::settlements::Settlements;
use feedmap::{Served, Source};
use std::path::Path;

/// Trafford: localities × 2023 wards, Census 2021 population per output
/// area, and (when `postcodes`) the postcode file with its House of
/// Commons Library MSOA names.
fn trafford(data: &Path, postcodes: bool) -> tempfile::TempDir {
    let mut toml = format!(
        "name = \"Trafford (settlements)\"\n{}[[layers]]\nid = \"oas\"\nrole = \"population\"\nfile = \"{}\"\nid_property = \"area_code\"\nname_property = \"area_code\"\npopulation_file = \"{}\"\npopulation_id_column = \"area_code\"\npopulation_column = \"population\"\n\n",
        common::trafford_layers_toml(data),
        data.join("trafford_oa_2021.geojson").display(),
        data.join("trafford_census2021_population_oa.csv").display(),
    );
    if postcodes {
        toml.push_str(&format!(
            "[postcodes]\nfile = \"{}\"\npostcode_column = \"postcode\"\nlat_column = \"lat\"\nlon_column = \"lon\"\nname_column = \"msoa_hcl_name\"\n",
            data.join("trafford_postcodes.csv").display()
        ));
    }
    common::region_dir(&toml)
}

fn named<'a>(s: &'a Settlements, name: &str) -> Vec<&'a feedmap::settlements::Settlement> {
    s.list.iter().filter(|x| x.name == name).collect()
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn trafford_postcodes_give_partington_two_towns_and_villages() {
    let Some(data) = common::gm_data("trafford_postcodes_give_partington_two_towns_and_villages")
    else {
        return;
    };
    let dir = trafford(&data, true);
    let source = Source::load(dir.path()).unwrap();
    let s = source.geo().settlements();
    assert_eq!(s.residential.len(), 11_264);
    for x in &s.list {
        println!(
            "{:<7} {:>5} points {:>8.0} residents gap {:>5.0} m isolation {:>6.0} m  {}",
            x.id,
            x.points,
            x.residents.unwrap_or(0.0),
            x.gap_m.unwrap_or(0.0),
            x.isolation_m.unwrap_or(0.0),
            x.name
        );
    }
    // The two urban areas, largest first: the south (Sale, Altrincham,
    // Timperley, Hale) and the north (Stretford, Urmston, Old Trafford).
    let (south, north) = (&s.list[0], &s.list[1]);
    assert!(
        south.points > 5_000 && north.points > 4_000,
        "{} {}",
        south.points,
        north.points
    );
    assert!(
        south.name.contains("Altrincham") && south.name.contains("Sale"),
        "{}",
        south.name
    );
    assert!(
        north.name.contains("Old Trafford") && north.name.contains("Urmston"),
        "{}",
        north.name
    );
    assert!(south.centre.lat < 53.43 && north.centre.lat > 53.44);
    // Partington: its own settlement of about 250 postcodes, named from
    // the MSOA names, more than 2 km from the northern urban area.
    let partington = &s.list[2];
    assert_eq!(partington.name, "Partington");
    assert!(
        (240..=260).contains(&partington.points),
        "{}",
        partington.points
    );
    assert!(partington.name_source.contains("msoa_hcl_name"));
    assert_eq!(
        partington.nearest_larger.as_deref(),
        Some(north.id.as_str())
    );
    assert!(partington.isolation_m.unwrap() > 2_000.0);
    // Residents from the output areas: Partington about 7,000–8,000;
    // all settlements together no more than Trafford's 235,013.
    let r = partington.residents.unwrap();
    assert!((6_500.0..9_000.0).contains(&r), "{r}");
    let all: f64 = s.list.iter().filter_map(|x| x.residents).sum();
    assert!(all <= 235_013.5 && all > 200_000.0, "{all}");
    // Small settlements in the rural south-west: the villages of
    // Warburton and Dunham (named from their MSOA).
    let villages: Vec<_> = named(s, "Altrincham West, Dunham & Warburton")
        .into_iter()
        .filter(|x| x.centre.lon < -2.38 && x.centre.lat < 53.40)
        .collect();
    assert!(villages.len() >= 3, "{villages:?}");
    assert!(villages.iter().all(|v| v.points < 50));
    // Every outline holds its points.
    for i in 0..s.list.len() {
        assert!(s.outline_holds_points(i), "{}", s.list[i].id);
    }
    // Same input, same settlements.
    let again = Source::load(dir.path()).unwrap();
    let ids = |s: &Settlements| {
        s.list
            .iter()
            .map(|x| (x.id.clone(), x.points))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(s), ids(again.geo().settlements()));
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn discover_writes_a_layer_a_manifest_can_load() {
    let Some(data) = common::gm_data("discover_writes_a_layer_a_manifest_can_load") else {
        return;
    };
    let dir = trafford(&data, true);
    let out = common::feedmap_ok(&[
        "discover".as_ref(),
        "--region".as_ref(),
        dir.path().as_os_str(),
        "--gap".as_ref(),
        "200".as_ref(),
    ]);
    let geojson: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(geojson["discovery"]["gap_m"], 200.0);
    let features = geojson["features"].as_array().unwrap();
    assert!(features.len() >= 10);
    assert_eq!(features[2]["properties"]["name"], "Partington");
    let file = dir.path().join("settlements.geojson");
    std::fs::write(&file, &out.stdout).unwrap();
    // Loaded as a community layer beside the localities.
    let region = common::region_dir(&format!(
        "name = \"Trafford settlements\"\n{}[[layers]]\nid = \"settlements\"\nrole = \"community\"\nfile = \"{}\"\nid_property = \"id\"\nname_property = \"name\"\npopulation_property = \"residents\"\n",
        common::layer_toml(&data, "localities", "neighbourhood", "trafford_localities_2023.geojson", "area_name", "area_name"),
        file.display()
    ));
    let source = Source::load(region.path()).unwrap();
    let (_, layer) = source.region.layer("settlements").unwrap();
    assert_eq!(layer.areas.len(), features.len());
    // Bad parameters are refused with the reason.
    let bad = common::feedmap(&[
        "discover".as_ref(),
        "--region".as_ref(),
        dir.path().as_os_str(),
        "--gap".as_ref(),
        "0".as_ref(),
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("gap 0 m is out of range"));
}

fn plan(dir: &Path, pairs: &[(&str, &str)]) -> Plan {
    let served = Served::without_store(Source::load(dir).unwrap());
    served
        .plan(&PlanParams::from_pairs(pairs.iter().copied()).unwrap())
        .unwrap()
}

/// The plan as JSON without its `params` (which say what was asked).
fn without_params(p: &Plan) -> String {
    let mut v = serde_json::to_value(p).unwrap();
    v.as_object_mut().unwrap().remove("params");
    v.to_string()
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn trafford_plan_suggests_partington_as_a_settlement() {
    let Some(data) = common::gm_data("trafford_plan_suggests_partington_as_a_settlement") else {
        return;
    };
    let dir = trafford(&data, true);
    let p = plan(dir.path(), &[]);
    let west = p.neighbourhoods.iter().find(|n| n.name == "West").unwrap();
    let s = west
        .suggestions
        .iter()
        .find(|s| s.kind == SuggestionKind::Settlement)
        .expect("a settlement suggestion in West");
    println!("{}", s.reason);
    assert_eq!(s.name, "Partington");
    assert_eq!(s.rank, 1, "{:?}", west.suggestions);
    assert!(
        s.reason.contains("a separate settlement 2."),
        "{}",
        s.reason
    );
    assert!(
        s.reason.contains("km from the nearest larger one"),
        "{}",
        s.reason
    );
    assert_eq!(s.members.len(), 1);
    assert_eq!(s.members[0].name, "Bucklow-St Martins");
    assert!(s.geometry.is_some());
    // The ward holding Partington and its farmland is still suggested,
    // ranked against it; the two serve the same residents, so the plan
    // picks one (the larger, by residents newly served), the other saying
    // so, and the need counts them once.
    let ward = west
        .suggestions
        .iter()
        .find(|x| x.name == "Bucklow-St Martins")
        .unwrap();
    assert!(ward.chosen && !s.chosen, "{ward:?}");
    assert_eq!(s.alternative_to.as_deref(), Some(ward.id.as_str()));
    let once: f64 = west
        .suggestions
        .iter()
        .filter(|x| x.id != ward.id)
        .filter_map(|x| x.population)
        .sum();
    assert!((west.need - once).abs() <= 2.0, "{} vs {once}", west.need);
    // No other neighbourhood has a separate settlement big enough.
    let others = p
        .neighbourhoods
        .iter()
        .flat_map(|n| &n.suggestions)
        .filter(|s| s.kind == SuggestionKind::Settlement)
        .count();
    assert_eq!(others, 1);
    // Off: the plan of communities and clusters alone, exactly as a
    // region without postcodes plans it with settlements off.
    let off = plan(dir.path(), &[("settlements", "false")]);
    assert!(off.params.settlements.is_none());
    let without_postcodes = trafford(&data, false);
    let no_points = plan(without_postcodes.path(), &[("settlements", "false")]);
    assert_eq!(without_params(&off), without_params(&no_points));
    assert_ne!(without_params(&off), without_params(&p));
    // Without postcodes, the census output areas find Partington too, named
    // after its ward (this region has no finer place names; tests/towns.rs
    // gives it the MSOA names).
    let census = plan(without_postcodes.path(), &[]);
    let west = census
        .neighbourhoods
        .iter()
        .find(|n| n.name == "West")
        .unwrap();
    let s = west
        .suggestions
        .iter()
        .find(|s| s.kind == SuggestionKind::Settlement)
        .expect("a settlement suggestion in West from the census areas");
    assert_eq!(s.name, "Bucklow-St Martins");
    assert!(
        s.reason.contains("census areas of layer oas"),
        "{}",
        s.reason
    );
}

/// A square of `n`×`n` points `step` degrees apart from (`lat`, `lon`).
fn square(lat: f64, lon: f64, n: usize, step: f64) -> Vec<(f64, f64)> {
    (0..n)
        .flat_map(|i| (0..n).map(move |j| (lat + i as f64 * step, lon + j as f64 * step)))
        .collect()
}

fn rect(id: &str, pop: f64, x0: f64, y0: f64, x1: f64, y1: f64) -> serde_json::Value {
    serde_json::json!({
        "type": "Feature",
        "properties": {"id": id, "name": id, "pop": pop},
        "geometry": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}
    })
}

/// One neighbourhood (a 0.2° square at 54°N): a city of 900 points in its
/// west half (communities "Westcity North" and "Westcity South"; the
/// points, about 100 m × 170 m apart, are all in the south one, up to
/// 0.099° east) and, `town_gap_deg` east of x = 0.1, a town of 100 points
/// cut into four communities ("Town NW/NE/SW/SE", 2,000 residents each,
/// too few for a feed alone). Every community's population is given.
const CITY_EAST: f64 = 0.099;

fn synthetic(town_gap_deg: f64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let hood = serde_json::json!({"type": "FeatureCollection", "features": [rect("H", 60_000.0, 0.0, 54.0, 0.2, 54.2)]});
    // The town's square: 0.02° (about 1.3 km × 2.2 km) from x = tx.
    let tx = 0.1 + town_gap_deg;
    let (ty, side) = (54.02, 0.02);
    let communities = serde_json::json!({"type": "FeatureCollection", "features": [
        rect("Westcity North", 20_000.0, 0.0, 54.1, 0.1, 54.2),
        rect("Westcity South", 20_000.0, 0.0, 54.0, 0.1, 54.1),
        rect("Town SW", 2_000.0, tx, ty, tx + side / 2.0, ty + side / 2.0),
        rect("Town SE", 2_000.0, tx + side / 2.0, ty, tx + side, ty + side / 2.0),
        rect("Town NW", 2_000.0, tx, ty + side / 2.0, tx + side / 2.0, ty + side),
        rect("Town NE", 2_000.0, tx + side / 2.0, ty + side / 2.0, tx + side, ty + side),
    ]});
    // 30 × 30 points 0.0015° apart (about 100 m east–west, 170 m north–
    // south: chained) make the city; 10 × 10 the town.
    let mut points = square(54.005, CITY_EAST - 29.0 * 0.0015, 30, 0.0015);
    points.extend(square(ty + 0.0005, tx + 0.0005, 10, 0.0015));
    let mut csv = String::from("pcds,lat,long\n");
    for (k, (lat, lon)) in points.iter().enumerate() {
        csv.push_str(&format!(
            "ZZ{} {}AA,{lat:.6},{lon:.6}\n",
            k / 10 % 100,
            k % 10
        ));
    }
    std::fs::write(dir.path().join("hood.geojson"), hood.to_string()).unwrap();
    std::fs::write(dir.path().join("comms.geojson"), communities.to_string()).unwrap();
    std::fs::write(dir.path().join("postcodes.csv"), csv).unwrap();
    std::fs::write(
        dir.path().join("region.toml"),
        "name = \"Synthetic\"\n[[layers]]\nid = \"hoods\"\nrole = \"neighbourhood\"\nfile = \"hood.geojson\"\nid_property = \"id\"\nname_property = \"name\"\npopulation_property = \"pop\"\n\n[[layers]]\nid = \"comms\"\nrole = \"community\"\nfile = \"comms.geojson\"\nid_property = \"id\"\nname_property = \"name\"\npopulation_property = \"pop\"\n\n[postcodes]\nfile = \"postcodes.csv\"\n",
    )
    .unwrap();
    dir
}

#[test]
fn a_town_in_four_pieces_is_suggested_as_one_settlement() {
    let dir = synthetic(0.06);
    let source = Source::load(dir.path()).unwrap();
    let s = source.geo().settlements();
    assert_eq!(s.list.len(), 2, "{:?}", s.list);
    assert_eq!((s.list[0].points, s.list[1].points), (900, 100));
    // The town's residents: the four pieces' 8,000, all of whose points
    // are in it.
    assert!((s.list[1].residents.unwrap() - 8_000.0).abs() < 1e-6);
    let p = plan(dir.path(), &[]);
    let h = &p.neighbourhoods[0];
    let town = h
        .suggestions
        .iter()
        .find(|s| s.kind == SuggestionKind::Settlement)
        .expect("the town suggested whole");
    assert_eq!(town.members.len(), 4);
    assert_eq!(town.population, Some(8_000.0));
    // Its pieces are not suggested on their own, nor as a cluster; they
    // are listed, saying why.
    assert!(!h
        .suggestions
        .iter()
        .any(|s| s.kind != SuggestionKind::Settlement && s.name.contains("Town")));
    let pieces: Vec<_> = h
        .not_suggested
        .iter()
        .filter(|n| n.name.starts_with("Town"))
        .collect();
    assert_eq!(pieces.len(), 4);
    assert!(
        pieces.iter().all(|n| n.why.contains("suggested whole")),
        "{pieces:?}"
    );
    // The city holding most of the neighbourhood's homes is not offered:
    // it is the neighbourhood.
    assert_eq!(
        h.suggestions
            .iter()
            .filter(|s| s.kind == SuggestionKind::Settlement)
            .count(),
        1
    );
    // Off: the four pieces come back as a cluster.
    let off = plan(dir.path(), &[("settlements", "false")]);
    assert!(off.neighbourhoods[0]
        .suggestions
        .iter()
        .all(|s| s.kind != SuggestionKind::Settlement));
}

#[test]
fn a_continuous_suburb_is_not_merged_across_the_gap() {
    // The town 250 m east of the city's last points (more than the 200 m
    // gap): still two settlements. At 150 m: one, and nothing separate
    // to suggest.
    let k = 111_195.0 * 54.02_f64.to_radians().cos();
    let near = |m: f64| CITY_EAST + m / k - 0.1 - 0.0005;
    let two = Source::load(synthetic(near(250.0)).path()).unwrap();
    assert_eq!(two.geo().settlements().list.len(), 2);
    let dir = synthetic(near(150.0));
    let one = Source::load(dir.path()).unwrap();
    assert_eq!(one.geo().settlements().list.len(), 1);
    let p = plan(dir.path(), &[]);
    assert!(p.neighbourhoods[0]
        .suggestions
        .iter()
        .all(|s| s.kind != SuggestionKind::Settlement));
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn settlements_are_served_as_geojson() {
    let Some(data) = common::gm_data("settlements_are_served_as_geojson") else {
        return;
    };
    let dir = trafford(&data, true);
    let server = common::Server::start(dir.path());
    let r = common::call(&server.base, "GET", "/v1/settlements", None, None, &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "application/geo+json");
    assert_eq!(r.json["type"], "FeatureCollection");
    let f = &r.json["features"][2];
    assert_eq!(f["properties"]["name"], "Partington");
    assert_eq!(f["geometry"]["type"], "MultiPolygon");
    assert!(f["properties"]["residents"].as_f64().unwrap() > 6_000.0);
    let bad = common::call(
        &server.base,
        "GET",
        "/v1/settlements?gap=5",
        None,
        None,
        &[],
    );
    assert_eq!(bad.status, 400);
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn planners_decide_on_a_settlement() {
    let Some(data) = common::gm_data("planners_decide_on_a_settlement") else {
        return;
    };
    let dir = trafford(&data, true);
    let tokens = common::tokens_file(dir.path());
    let server = common::Server::start_with(dir.path(), &["--tokens", tokens.to_str().unwrap()]);
    let west = |plan: &serde_json::Value| {
        plan["neighbourhoods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == "West")
            .unwrap()
            .clone()
    };
    let plan = common::call(&server.base, "GET", "/v1/plan", None, None, &[]).json;
    let partington = west(&plan)["suggestions"][0].clone();
    assert_eq!(partington["kind"], "settlement");
    let id = partington["id"].as_str().unwrap().to_string();
    // Not a settlement: refused naming the field.
    let bad = common::call(
        &server.base,
        "POST",
        "/v1/decisions",
        Some(common::PLANNER),
        Some(
            &serde_json::json!({"layer": "@settlements", "area_id": "S999999", "decision": "reject"}),
        ),
        &[],
    );
    assert_eq!(bad.status, 400, "{}", bad.json);
    assert!(
        bad.json["detail"].as_str().unwrap().contains("area_id"),
        "{}",
        bad.json
    );
    // Rejected: listed with who and why, no longer suggested.
    let made = common::planner_write(
        &server.base,
        "POST",
        "/v1/decisions",
        &serde_json::json!({"layer": "@settlements", "area_id": id, "decision": "reject", "note": "served by the parish feed"}),
    );
    assert_eq!(made.json["area_name"], "Partington", "{}", made.json);
    let plan = common::call(&server.base, "GET", "/v1/plan", None, None, &[]).json;
    let w = west(&plan);
    assert!(w["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["id"] != id.as_str()));
    let left = w["not_suggested"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == id.as_str())
        .expect("listed as not suggested");
    assert!(
        left["why"]
            .as_str()
            .unwrap()
            .contains("rejected by planner-a"),
        "{left}"
    );
    assert_eq!(plan["decisions"]["applied"], 1, "{}", plan["decisions"]);
    assert_eq!(plan["decisions"]["vanished"], serde_json::json!([]));
    // Accepted: suggested even when the criteria would leave it out.
    let d = made.json["id"].as_i64().unwrap();
    common::planner_write(
        &server.base,
        "PATCH",
        &format!("/v1/decisions/{d}"),
        &serde_json::json!({"decision": "accept", "note": ""}),
    );
    let plan = common::call(
        &server.base,
        "GET",
        "/v1/plan?min_population=9000",
        None,
        None,
        &[],
    )
    .json;
    let s = west(&plan)["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id.as_str())
        .cloned()
        .expect("accepted settlement suggested");
    assert_eq!(s["decision"]["decision"], "accept");
}
