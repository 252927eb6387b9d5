//! The lookup grid on real boundaries: on the four Greater Manchester
//! layers, every Trafford postcode, 200,000 random points over GM's
//! bounding box and every boundary vertex and edge midpoint of the wards
//! (points exactly on boundaries, where the first-id rule decides) get
//! from `locate` — grid first — exactly what the R-tree and the exact
//! polygon test give.

use crate::common;

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn grid_agrees_with_the_tree_on_gm() {
    let Some(data) = common::gm_data("lookup grid on GM") else {
        return;
    };
    let (_dir, region) = common::gm_region(&data);
    let mut points: Vec<(f64, f64)> = common::postcodes(&data)
        .iter()
        .map(|p| (p.lon, p.lat))
        .collect();
    let mut next = common::seeded(0x9e37_79b9_7f4a_7c15u64);
    for _ in 0..200_000 {
        points.push((-2.75 + 0.86 * next(), 53.32 + 0.38 * next()));
    }
    let (_, wards) = region.layer("wards").unwrap();
    let mut on_boundary = 0;
    for a in wards.areas.iter() {
        for poly in &a.geometry.0 {
            for e in poly.exterior().lines() {
                points.push((e.start.x, e.start.y));
                points.push(((e.start.x + e.end.x) / 2.0, (e.start.y + e.end.y) / 2.0));
                on_boundary += 2;
            }
        }
    }
    let (mut fast, mut checked) = (0usize, 0usize);
    for layer in region.layers.iter() {
        let grid = layer.index.grid(&layer.areas).expect("a grid");
        let mut exact = Vec::new();
        for &(x, y) in &points {
            layer.index.locate_exactly(&layer.areas, x, y, &mut exact);
            assert_eq!(
                layer.index.locate(&layer.areas, x, y),
                exact,
                "layer {} at ({x}, {y})",
                layer.id
            );
            fast += usize::from(grid.at(x, y) != feedmap::grid::Known::Ask);
            checked += 1;
        }
        println!(
            "{}: {} areas, grid {:?}, {:.1} % of cells answer alone",
            layer.id,
            layer.areas.len(),
            grid.size(),
            100.0 * grid.coverage()
        );
    }
    println!(
        "{checked} lookups ({on_boundary} on ward boundaries per layer) agree; {:.1} % answered by the grid (in one area or in none)",
        100.0 * fast as f64 / checked as f64
    );
    assert!(
        fast > checked / 4,
        "the grid answers too few: {fast} of {checked}"
    );
}

/// The nearest-area grid on real boundaries: for points outside every area
/// of a layer (200,000 random points over and around GM's bounding box,
/// reaching 40 km beyond it, and points just off ward vertices), the
/// nearest area and its distance are exactly the tree walk's.
#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn nearest_grid_agrees_with_the_tree_on_gm() {
    let Some(data) = common::gm_data("nearest-area grid on GM") else {
        return;
    };
    let (_dir, region) = common::gm_region(&data);
    let mut next = common::seeded(0x51a7_e5ee_d00d_f00du64);
    let mut points: Vec<(f64, f64)> = (0..200_000)
        .map(|_| (-3.35 + 2.05 * next(), 53.0 + 1.05 * next()))
        .collect();
    let (_, wards) = region.layer("wards").unwrap();
    for a in wards.areas.iter() {
        for c in a.geometry.0[0].exterior().0.iter().step_by(3) {
            points.push((c.x + 1e-4, c.y - 1e-4));
            points.push((c.x - 3e-6, c.y + 2e-6));
        }
    }
    let mut found = Vec::new();
    for layer in region.layers.iter() {
        let mut compared = 0;
        for &(x, y) in &points {
            layer.index.locate_into(&layer.areas, x, y, &mut found);
            if !found.is_empty() {
                continue;
            }
            let by_grid = layer.index.nearest(&layer.areas, x, y);
            let by_tree = layer.index.nearest_by_tree(&layer.areas, x, y);
            assert_eq!(by_grid, by_tree, "layer {} at ({x}, {y})", layer.id);
            compared += 1;
        }
        println!(
            "{}: {compared} points outside, the same nearest area and distance",
            layer.id
        );
        assert!(compared > 10_000);
    }
}
