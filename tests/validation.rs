//! Acceptance: one bad-input file per error kind gives the right problem,
//! naming file, feature and id; `feedmap validate` reports and exits 1.

use crate::common;

use feedmap::validate::ProblemKind;
use feedmap::{LoadOptions, RegionError, Source};
use std::path::Path;

const SQUARE: &str = "[[[0,50],[1,50],[1,51],[0,51],[0,50]]]";

fn feature(props: &str, geometry: &str) -> String {
    format!(r#"{{"type":"Feature","properties":{props},"geometry":{geometry}}}"#)
}

fn polygon(coords: &str) -> String {
    format!(r#"{{"type":"Polygon","coordinates":{coords}}}"#)
}

fn collection(features: &[String]) -> String {
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    )
}

fn good(id: &str) -> String {
    feature(
        &format!(r#"{{"code":"{id}","name":"Area {id}","pop":10}}"#),
        &polygon(SQUARE),
    )
}

/// Loads a one-layer region over `file_name` holding `content` and returns
/// the problems (panicking if it loaded).
fn problems(
    file_name: &str,
    content: &str,
    extra_manifest: &str,
) -> Vec<feedmap::validate::Problem> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file_name), content).unwrap();
    let manifest = format!(
        "name = \"t\"\n[[layers]]\nid = \"l\"\nrole = \"community\"\nfile = \"{file_name}\"\nid_property = \"code\"\nname_property = \"name\"\npopulation_property = \"pop\"\n{extra_manifest}"
    );
    std::fs::write(dir.path().join("region.toml"), manifest).unwrap();
    match Source::load(dir.path()).map(|s| s.region) {
        Ok(_) => panic!("{file_name} loaded but should not"),
        Err(RegionError::Invalid { problems, .. }) => problems,
        Err(e) => panic!("unexpected error {e}"),
    }
}

fn expect(kind: ProblemKind, feature: Option<usize>, file_name: &str, content: &str) {
    let ps = problems(file_name, content, "");
    assert!(
        ps.iter()
            .any(|p| p.kind == kind && p.feature == feature && p.file.ends_with(file_name)),
        "expected {kind:?} at feature {feature:?} in {file_name}, got:\n{}",
        ps.iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Every problem says where it is.
    for p in &ps {
        let text = p.to_string();
        assert!(
            text.contains(file_name) && text.contains("[layer l]"),
            "{text}"
        );
    }
}

#[test]
fn every_error_kind_is_reported_where_it_is() {
    use ProblemKind::*;
    let fc = |f: String| collection(&[good("A"), f]);
    expect(
        MissingId,
        Some(1),
        "a.geojson",
        &fc(feature(r#"{"name":"x"}"#, &polygon(SQUARE))),
    );
    expect(DuplicateId, Some(1), "b.geojson", &fc(good("A")));
    expect(
        MissingName,
        Some(1),
        "c.geojson",
        &fc(feature(r#"{"code":"B"}"#, &polygon(SQUARE))),
    );
    expect(
        NonPolygonGeometry,
        Some(1),
        "d.geojson",
        &fc(feature(
            r#"{"code":"B","name":"b"}"#,
            r#"{"type":"Point","coordinates":[0,50]}"#,
        )),
    );
    expect(
        NonPolygonGeometry,
        Some(1),
        "d2.geojson",
        &fc(feature(r#"{"code":"B","name":"b"}"#, "null")),
    );
    expect(
        TooFewPoints,
        Some(1),
        "e.geojson",
        &fc(feature(
            r#"{"code":"B","name":"b"}"#,
            &polygon("[[[0,50],[1,50],[0,50]]]"),
        )),
    );
    expect(
        UnclosedRing,
        Some(1),
        "f.geojson",
        &fc(feature(
            r#"{"code":"B","name":"b"}"#,
            &polygon("[[[0,50],[1,50],[1,51],[0,51]]]"),
        )),
    );
    expect(
        CoordinateOutOfRange,
        Some(1),
        "g.geojson",
        &fc(feature(
            r#"{"code":"B","name":"b"}"#,
            &polygon("[[[0,50],[200,50],[1,51],[0,50]]]"),
        )),
    );
    expect(
        SelfIntersection,
        Some(1),
        "h.geojson",
        &fc(feature(
            r#"{"code":"B","name":"b"}"#,
            &polygon("[[[0,50],[1,51],[1,50],[0,51],[0,50]]]"),
        )),
    );
    expect(
        WrongPropertyType,
        Some(1),
        "i.geojson",
        &fc(feature(
            r#"{"code":"B","name":{"en":"b"}}"#,
            &polygon(SQUARE),
        )),
    );
    expect(
        InvalidPopulation,
        Some(1),
        "j.geojson",
        &fc(feature(
            r#"{"code":"B","name":"b","pop":-4}"#,
            &polygon(SQUARE),
        )),
    );
    expect(
        InvalidPopulation,
        Some(1),
        "k.geojson",
        &fc(feature(
            r#"{"code":"B","name":"b","pop":"many"}"#,
            &polygon(SQUARE),
        )),
    );
    expect(
        UnknownCrs,
        None,
        "l.geojson",
        &format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"EPSG:3857"}}}},"features":[{}]}}"#,
            good("A")
        ),
    );
    expect(UnreadableFile, None, "m.geojson", "{ this is not json");
    expect(
        UnreadableFile,
        None,
        "n.geojson",
        r#"{"type":"Feature","properties":{},"geometry":null}"#,
    );
    // NaN and infinity cannot be written in JSON, but can in KML.
    let kml = |coords: &str| {
        format!(
            "<kml><Placemark><name>A</name><Polygon><outerBoundaryIs><LinearRing><coordinates>{coords}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>"
        )
    };
    let ps = problems("o.kml", &kml("0,50 1,50 NaN,51 0,50"), "");
    assert!(
        ps.iter()
            .any(|p| p.kind == NonFiniteCoordinate && p.feature == Some(0)),
        "{ps:?}"
    );
    let ps = problems("p.kml", &kml("0,50 1,50 inf,51 0,50"), "");
    assert!(ps.iter().any(|p| p.kind == NonFiniteCoordinate), "{ps:?}");
    let ps = problems("q.kml", &kml("0,50 1,50 x,51 0,50"), "");
    assert!(
        ps.iter()
            .any(|p| p.kind == NonFiniteCoordinate && p.detail.contains("x,51")),
        "{ps:?}"
    );
    // A missing file.
    let ps = problems_missing();
    assert!(
        ps.iter()
            .any(|p| p.kind == UnreadableFile && p.detail.contains("cannot read")),
        "{ps:?}"
    );
}

fn problems_missing() -> Vec<feedmap::validate::Problem> {
    let dir = common::region_dir(
        "name = \"t\"\n[[layers]]\nid = \"l\"\nrole = \"community\"\nfile = \"missing.geojson\"\n",
    );
    match Source::load(dir.path()).map(|s| s.region) {
        Err(RegionError::Invalid { problems, .. }) => problems,
        other => panic!("{other:?}"),
    }
}

#[test]
fn all_problems_of_all_layers_come_together() {
    let dir = tempfile::tempdir().unwrap();
    let bad = collection(&[
        good("A"),
        good("A"),
        feature(r#"{"code":"C"}"#, &polygon(SQUARE)),
    ]);
    std::fs::write(dir.path().join("one.geojson"), &bad).unwrap();
    std::fs::write(dir.path().join("two.geojson"), "nope").unwrap();
    let layer = |id: &str, f: &str| {
        format!("[[layers]]\nid = \"{id}\"\nrole = \"context\"\nfile = \"{f}\"\nid_property = \"code\"\nname_property = \"name\"\n")
    };
    std::fs::write(
        dir.path().join("region.toml"),
        format!(
            "name = \"t\"\n{}{}",
            layer("one", "one.geojson"),
            layer("two", "two.geojson")
        ),
    )
    .unwrap();
    let Err(RegionError::Invalid { problems, .. }) = Source::load(dir.path()).map(|s| s.region)
    else {
        panic!("should fail")
    };
    let kinds: Vec<_> = problems
        .iter()
        .map(|p| (p.layer.as_str(), p.kind))
        .collect();
    assert!(kinds.contains(&("one", ProblemKind::DuplicateId)));
    assert!(kinds.contains(&("one", ProblemKind::MissingName)));
    assert!(kinds.contains(&("two", ProblemKind::UnreadableFile)));
    let dup = problems
        .iter()
        .find(|p| p.kind == ProblemKind::DuplicateId)
        .unwrap();
    assert_eq!(dup.id.as_deref(), Some("A"));
    assert_eq!(dup.feature, Some(1));
}

#[test]
fn repair_fixes_a_bowtie_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let bowtie = collection(&[feature(
        r#"{"code":"B","name":"bow"}"#,
        &polygon("[[[0,50],[1,51],[1,50],[0,51],[0,50]]]"),
    )]);
    std::fs::write(dir.path().join("b.geojson"), bowtie).unwrap();
    std::fs::write(
        dir.path().join("region.toml"),
        "name = \"t\"\n[[layers]]\nid = \"l\"\nrole = \"community\"\nfile = \"b.geojson\"\nid_property = \"code\"\nname_property = \"name\"\n",
    )
    .unwrap();
    assert!(Source::load(dir.path()).map(|s| s.region).is_err());
    let region = Source::load_with(
        dir.path(),
        LoadOptions {
            repair: true,
            ..Default::default()
        },
    )
    .map(|s| s.region)
    .unwrap();
    assert!(
        region.notes.iter().any(|n| n.contains("repaired")),
        "{:?}",
        region.notes
    );
    let area = &region.layers[0].areas[0];
    // The two triangles of the bowtie, each a quarter of the square.
    assert_eq!(area.geometry.0.len(), 2);
    let p = feedmap::LatLon::new(50.5, 0.1).unwrap();
    assert_eq!(region.lookup(p)[0].areas, vec![0]);
}

#[test]
fn a_bng_file_without_crs_gets_a_hint() {
    let ps = problems(
        "s.geojson",
        &collection(&[feature(
            r#"{"code":"B","name":"b"}"#,
            &polygon("[[[380000,390000],[381000,390000],[381000,391000],[380000,390000]]]"),
        )]),
        "",
    );
    let p = ps
        .iter()
        .find(|p| p.kind == ProblemKind::CoordinateOutOfRange)
        .unwrap();
    assert!(p.detail.contains("EPSG:27700"), "{}", p.detail);
    // Declaring the CRS in the manifest makes the same file load.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.geojson"),
        collection(&[feature(
            r#"{"code":"B","name":"b"}"#,
            &polygon("[[[380000,390000],[381000,390000],[381000,391000],[380000,390000]]]"),
        )]),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("region.toml"),
        "name = \"t\"\n[[layers]]\nid = \"l\"\nrole = \"community\"\nfile = \"s.geojson\"\nid_property = \"code\"\nname_property = \"name\"\ncrs = \"EPSG:27700\"\n",
    )
    .unwrap();
    let region = Source::load(dir.path()).map(|s| s.region).unwrap();
    assert!((region.layers[0].areas[0].area_m2 - 500_000.0).abs() < 2_000.0);
}

#[test]
fn kml_folder_as_data_police_uk_publishes_it() {
    let dir = tempfile::tempdir().unwrap();
    let hoods = dir.path().join("leicestershire");
    std::fs::create_dir(&hoods).unwrap();
    for (code, name, x) in [("NC04", "City Centre", 0.0), ("NC05", "Braunstone", 1.0)] {
        std::fs::write(
            hoods.join(format!("{code}.kml")),
            format!(
                "<?xml version=\"1.0\"?><kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document><Placemark><name>{name}</name><Polygon><outerBoundaryIs><LinearRing><coordinates>{x},52 {},52 {},53 {x},53 {x},52</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>",
                x + 1.0,
                x + 1.0
            ),
        )
        .unwrap();
    }
    std::fs::write(
        dir.path().join("region.toml"),
        "name = \"t\"\n[[layers]]\nid = \"n\"\nrole = \"neighbourhood\"\nfile = \"leicestershire\"\nid_property = \"file_stem\"\n",
    )
    .unwrap();
    let region = Source::load(dir.path())
        .map(|s| s.region)
        .unwrap_or_else(|e| panic!("{e}"));
    let l = &region.layers[0];
    assert_eq!(l.areas.len(), 2);
    assert_eq!(
        (l.areas[1].id.as_str(), l.areas[1].name.as_str()),
        ("NC05", "Braunstone")
    );
    let hit = &region.lookup(feedmap::LatLon::new(52.5, 1.5).unwrap())[0];
    assert_eq!(hit.areas, vec![1]);
}

#[test]
fn validate_command_reports_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("x.geojson"),
        collection(&[good("A"), good("A")]),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("region.toml"),
        "name = \"t\"\n[[layers]]\nid = \"l\"\nrole = \"community\"\nfile = \"x.geojson\"\nid_property = \"code\"\nname_property = \"name\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_feedmap"))
        .arg("validate")
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("duplicate_id")
            && stdout.contains("x.geojson")
            && stdout.contains("feature #1"),
        "{stdout}"
    );
    // The shipped demo validates cleanly.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_feedmap"))
        .arg("validate")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("boundaries/demo"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
