//! The demo region is generated, not hand-edited: regenerating it gives the
//! committed bytes, and it tells the planning stories it promises.

use crate::common;

use feedmap::{LatLon, Source};

#[test]
fn committed_demo_matches_the_generator() {
    let out = tempfile::tempdir().unwrap();
    feedmap::demo::write_demo(out.path()).unwrap();
    for f in [
        "region.toml",
        "neighbourhoods.geojson",
        "communities.geojson",
        "README.md",
    ] {
        let fresh = std::fs::read(out.path().join(f)).unwrap();
        let committed = std::fs::read(common::demo_region().join(f)).unwrap();
        assert!(
            fresh == committed,
            "boundaries/demo/{f} differs from the generator: run `cargo run --release -- demo`"
        );
    }
}

#[test]
fn demo_region_has_its_shape() {
    let region = Source::load(&common::demo_region())
        .map(|s| s.region)
        .unwrap();
    let (hoods, comms) = (&region.layers[0], &region.layers[1]);
    assert_eq!(hoods.areas.len(), 8);
    assert_eq!(comms.areas.len(), 37);
    // Every community lies wholly inside one neighbourhood.
    for (i, c) in comms.areas.iter().enumerate() {
        let parent = region.relations.primary_parent(1, i).unwrap();
        assert!(
            parent.share_of_child > 0.999,
            "{} only {}",
            c.name,
            parent.share_of_child
        );
    }
    // The detached village is in Marlow Fen and touches no other community.
    let v = comms.area_index("DV01-C06").unwrap();
    assert_eq!(comms.areas[v].name, "Little Wexcombe");
    use geo::Intersects;
    for (i, c) in comms.areas.iter().enumerate() {
        if i != v {
            assert!(
                !c.geometry.intersects(&comms.areas[v].geometry),
                "{} touches the village",
                c.name
            );
        }
    }
    // The centre of a demo community looks up to it.
    use geo::Centroid;
    for (i, c) in comms.areas.iter().enumerate() {
        let p = c.geometry.centroid().unwrap();
        let hit = &region.lookup(LatLon::new(p.y(), p.x()).unwrap())[1];
        assert_eq!(hit.areas, vec![i], "{}", c.name);
    }
}

#[test]
fn synthetic_region_scales_and_loads() {
    let out = tempfile::tempdir().unwrap();
    feedmap::demo::write_synthetic(out.path(), 50, 2_000, 7).unwrap();
    let region = Source::load(out.path())
        .map(|s| s.region)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(region.layers[0].areas.len(), 50);
    assert_eq!(region.layers[1].areas.len(), 2_000);
    assert_eq!(region.relations.all.len(), 2_000);
}
