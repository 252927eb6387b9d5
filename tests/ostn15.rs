//! Accuracy: the British National Grid conversion (`feedmap::crs`, OSTN15)
//! reproduces the Ordnance Survey's published OSTN15 test points to well
//! under 0.1 m in both directions. The reference is the OS's own test data
//! (`tests/data/ostn15/`, see its README), not output of the crate feedmap
//! converts with. `cargo test --release --test integration ostn15:: --
//! --nocapture` prints the worst differences.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use feedmap::crs::{bng_to_wgs84, wgs84_to_bng, Crs};
use geo::{Distance, Geodesic, Point};

use crate::common;

/// The bound the issue asks for; OSTN15 itself is good to about 0.1 m.
const LIMIT_M: f64 = 0.1;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ostn15")
        .join(name)
}

#[derive(serde::Deserialize)]
struct Forward {
    point_id: String,
    etrs89_lat: f64,
    etrs89_lon: f64,
    osgb36_east: f64,
    osgb36_north: f64,
    osgb_datum_flag: u8,
}

#[derive(serde::Deserialize)]
struct Reverse {
    point_id: String,
    osgb36_east: f64,
    osgb36_north: f64,
    etrs89_lat: f64,
    etrs89_lon: f64,
    osgb_datum_flag: u8,
}

fn read<T: serde::de::DeserializeOwned>(name: &str) -> Vec<T> {
    csv::Reader::from_path(data(name))
        .unwrap()
        .deserialize()
        .map(|r| r.unwrap())
        .collect()
}

/// ETRS89 (taken as WGS84) → OSGB36 grid: `wgs84_to_bng` against the OS's
/// eastings/northings; and OSGB36 → ETRS89: `bng_to_wgs84` against the OS's
/// latitudes/longitudes. Points with datum flag 0 lie outside the
/// transformation (offshore) and are left out; the OS set has none, so all
/// 40 points of each direction count.
#[test]
fn os_test_points_within_0_1_m_both_ways() {
    let forward: Vec<Forward> = read("etrs89_to_osgb36.csv");
    let reverse: Vec<Reverse> = read("osgb36_to_etrs89.csv");
    let mut points = BTreeSet::new();

    let (mut worst_fwd, mut worst_fwd_at, mut n_fwd) = (0.0_f64, String::new(), 0);
    for p in forward.iter().filter(|p| p.osgb_datum_flag != 0) {
        let (e, n) = wgs84_to_bng(p.etrs89_lon, p.etrs89_lat)
            .unwrap_or_else(|| panic!("{}: no BNG coordinate", p.point_id));
        let d = (e - p.osgb36_east).hypot(n - p.osgb36_north);
        println!(
            "{} ETRS89→OSGB36: E {e:.3} N {n:.3}, OS E {:.3} N {:.3}: {d:.4} m",
            p.point_id, p.osgb36_east, p.osgb36_north
        );
        assert_eq!(
            Crs::BritishNationalGrid.from_wgs84(p.etrs89_lon, p.etrs89_lat),
            Some((e, n))
        );
        if d > worst_fwd {
            (worst_fwd, worst_fwd_at) = (d, p.point_id.clone());
        }
        n_fwd += 1;
        points.insert(p.point_id.clone());
    }

    let (mut worst_rev, mut worst_rev_at, mut n_rev) = (0.0_f64, String::new(), 0);
    for p in reverse.iter().filter(|p| p.osgb_datum_flag != 0) {
        let (lon, lat) = bng_to_wgs84(p.osgb36_east, p.osgb36_north);
        let d = Geodesic.distance(Point::new(lon, lat), Point::new(p.etrs89_lon, p.etrs89_lat));
        println!(
            "{} OSGB36→ETRS89: {lat:.8} {lon:.8}, OS {:.8} {:.8}: {d:.4} m",
            p.point_id, p.etrs89_lat, p.etrs89_lon
        );
        assert_eq!(
            Crs::BritishNationalGrid.to_wgs84(p.osgb36_east, p.osgb36_north),
            (lon, lat)
        );
        if d > worst_rev {
            (worst_rev, worst_rev_at) = (d, p.point_id.clone());
        }
        n_rev += 1;
        points.insert(p.point_id.clone());
    }

    println!(
        "OSTN15 against the OS test points: ETRS89→OSGB36 worst {worst_fwd:.4} m \
         ({worst_fwd_at}) of {n_fwd} points; OSGB36→ETRS89 worst {worst_rev:.4} m \
         ({worst_rev_at}) of {n_rev} points; {} distinct points",
        points.len()
    );
    assert!(
        points.len() >= 40,
        "only {} usable test points",
        points.len()
    );
    assert!(
        n_fwd >= 40 && n_rev >= 40,
        "{n_fwd} forward, {n_rev} reverse"
    );
    assert!(
        worst_fwd < LIMIT_M,
        "ETRS89→OSGB36 worst {worst_fwd} m at {worst_fwd_at}"
    );
    assert!(
        worst_rev < LIMIT_M,
        "OSGB36→ETRS89 worst {worst_rev} m at {worst_rev_at}"
    );
}

/// Converting an OS test point to the grid and back returns it within 1 cm:
/// the grid coordinate is rounded to the millimetre, and the OS's truncated
/// projection series (which OSTN15 is defined with) are a few millimetres
/// apart forward and back far from the central meridian (5 mm at TP31,
/// 8.6° W).
#[test]
fn os_test_points_round_trip() {
    for p in read::<Forward>("etrs89_to_osgb36.csv") {
        let (e, n) = wgs84_to_bng(p.etrs89_lon, p.etrs89_lat).unwrap();
        let (lon, lat) = bng_to_wgs84(e, n);
        let d = Geodesic.distance(Point::new(lon, lat), Point::new(p.etrs89_lon, p.etrs89_lat));
        assert!(d < 0.01, "{} round trip moves {d} m", p.point_id);
    }
}

/// The output direction on the 21 Trafford control points (`bng::` checks
/// their input direction): their WGS84 position converts to within 5 m of
/// their given easting/northing.
#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn trafford_control_points_to_bng_within_5_m() {
    let Some(data) = common::gm_data("trafford_control_points_to_bng_within_5_m") else {
        return;
    };
    let (mut worst, mut n) = (0.0_f64, 0);
    for row in common::control_points(&data) {
        let (e, north) = wgs84_to_bng(row.lon, row.lat).expect("Trafford is in the grid");
        let d = (e - row.easting).hypot(north - row.northing);
        assert!(d < 5.0, "{} converts {d} m away", row.postcode);
        worst = worst.max(d);
        n += 1;
    }
    assert_eq!(n, 21);
    println!("WGS84→BNG worst of {n} control points: {worst:.2} m");
}
