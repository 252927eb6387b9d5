//! `/v1/lookup`'s answer written from pre-serialised fragments
//! (`lookup::AnswerJson`) is byte for byte what serde writes for the typed
//! answer (`Dated<LookupAnswer>`, the shape `/api` describes), on the four
//! Greater Manchester layers: every Trafford postcode, random points over
//! GM's bounding box and far beyond it, boundary vertices (where the
//! first-id rule decides), and through the server.

use crate::common;

use feedmap::api::lookup::dated_json;
use feedmap::lookup::{AnswerJson, LatLon};
use feedmap::served::Dated;

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn fragments_write_what_serde_writes_on_gm() {
    let Some(data) = common::gm_data("lookup answer bytes on GM") else {
        return;
    };
    let (_dir, region) = common::gm_region(&data);
    let json = AnswerJson::new(&region).unwrap();
    let mut points: Vec<LatLon> = common::postcodes(&data)
        .iter()
        .map(|p| LatLon::new(p.lat, p.lon).unwrap())
        .collect();
    let mut next = common::seeded(0x2545_f491_4f6c_dd1du64);
    for _ in 0..20_000 {
        points.push(LatLon::new(53.32 + 0.38 * next(), -2.75 + 0.86 * next()).unwrap());
    }
    // Far away (hundreds of kilometres, other hemispheres) and the edges
    // of the coordinate range.
    for (lat, lon) in [
        (51.5, -0.12),
        (0.0, 0.0),
        (-45.0, 170.0),
        (89.9, -179.9),
        (-90.0, 180.0),
    ] {
        points.push(LatLon::new(lat, lon).unwrap());
    }
    let (_, wards) = region.layer("wards").unwrap();
    for a in wards.areas.iter().step_by(7) {
        for c in a.geometry.0[0].exterior().0.iter().step_by(5) {
            points.push(LatLon::new(c.y, c.x).unwrap());
        }
    }
    let mut nearest = 0;
    for &p in &points {
        let typed = Dated {
            answer: region.answer(p),
            at: "2026-11-26".to_string(),
            upcoming: None,
        };
        let expected = serde_json::to_vec(&typed).unwrap();
        let written = dated_json(&json, &region, p, "2026-11-26", None).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&written),
            String::from_utf8_lossy(&expected),
            "at {p:?}"
        );
        nearest += typed.answer.nearest.len();
    }
    println!(
        "{} points, {nearest} nearest areas: the same bytes",
        points.len()
    );
    assert!(nearest > 20_000, "the nearest-area branch was exercised");
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn the_server_answers_the_typed_shape() {
    let Some(data) = common::gm_data("lookup answer over HTTP") else {
        return;
    };
    let (dir, region) = common::gm_region(&data);
    let server = common::Server::start(dir.path());
    for (lat, lon) in [(53.45, -2.3), (53.65, -2.7), (51.5, -0.12)] {
        let (status, kind, body) =
            server.get_with_type(&format!("/v1/lookup?lat={lat}&lon={lon}&at=2026-11-26"));
        assert_eq!(status, 200, "{body}");
        assert_eq!(kind, "application/json");
        let typed = Dated {
            answer: region.answer(LatLon::new(lat, lon).unwrap()),
            at: "2026-11-26".to_string(),
            upcoming: None,
        };
        assert_eq!(body, serde_json::to_value(&typed).unwrap());
    }
}
