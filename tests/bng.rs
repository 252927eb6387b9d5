//! Acceptance: British National Grid input converts to WGS84 within 5 m of
//! PROJ's answer and looks postcodes up to the same wards as WGS84 input.

use crate::common;

use feedmap::crs::bng_to_wgs84;
use feedmap::{LatLon, Source};
use geo::{Closest, ClosestPoint, Distance, Geodesic, Point};

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn control_points_convert_within_5_m() {
    let Some(data) = common::gm_data("control_points_convert_within_5_m") else {
        return;
    };
    let mut worst: f64 = 0.0;
    let mut n = 0;
    for row in common::control_points(&data) {
        let (lon, lat) = bng_to_wgs84(row.easting, row.northing);
        let d = Geodesic.distance(Point::new(lon, lat), Point::new(row.lon, row.lat));
        println!("{}: {d:.2} m", row.postcode);
        assert!(d < 5.0, "{} converts {d} m away", row.postcode);
        worst = worst.max(d);
        n += 1;
    }
    assert_eq!(n, 21);
    println!("worst of {n} control points: {worst:.2} m");
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn bng_wards_look_up_like_wgs84_wards() {
    let Some(data) = common::gm_data("bng_wards_look_up_like_wgs84_wards") else {
        return;
    };
    let manifest = format!(
        "name = \"Trafford wards, two CRSs\"\n{}{}",
        common::layer_toml(
            &data,
            "wgs84",
            "community",
            "trafford_wards_2023_full.geojson",
            "area_code",
            "area_name"
        ),
        common::layer_toml(
            &data,
            "bng",
            "community",
            "trafford_wards_2023_full_bng.geojson",
            "area_code",
            "area_name"
        ),
    );
    let dir = common::region_dir(&manifest);
    let region = Source::load(dir.path())
        .map(|s| s.region)
        .unwrap_or_else(|e| panic!("{e}"));
    let (wgs, bng) = (&region.layers[0], &region.layers[1]);
    assert_eq!(bng.areas.len(), 21);
    let (mut same, mut near_boundary) = (0, 0);
    for pc in common::postcodes(&data) {
        let p = LatLon::new(pc.lat, pc.lon).unwrap();
        let hits = region.lookup(p);
        let id = |layer: &feedmap::boundary::Layer, h: &feedmap::LayerHit| {
            h.areas.first().map(|&a| layer.areas[a].id.clone())
        };
        let (a, b) = (id(wgs, &hits[0]), id(bng, &hits[1]));
        if a == b {
            same += 1;
            continue;
        }
        // A disagreement is only allowed within 5 m of a ward boundary.
        let q = Point::new(pc.lon, pc.lat);
        let dist = wgs
            .areas
            .iter()
            .flat_map(|area| area.geometry.0.iter())
            .filter_map(|poly| match poly.exterior().closest_point(&q) {
                Closest::SinglePoint(c) | Closest::Intersection(c) => Some(Geodesic.distance(q, c)),
                Closest::Indeterminate => None,
            })
            .fold(f64::INFINITY, f64::min);
        println!(
            "{}: WGS84 {a:?} vs BNG {b:?}, {dist:.2} m from a boundary",
            pc.postcode
        );
        assert!(
            dist <= 5.0,
            "{} differs {dist} m from any boundary",
            pc.postcode
        );
        near_boundary += 1;
    }
    println!("{same} postcodes agree, {near_boundary} differ within 5 m of a boundary");
}
