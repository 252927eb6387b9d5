//! A lookup shortcut: a uniform grid over a layer's bounding box whose
//! cells are labelled with the one area they lie in, or as lying in none,
//! when no boundary crosses them.
//!
//! A cell that no boundary edge touches lies in one face of the layer's
//! boundaries, so every point in it is inside exactly the same areas; when
//! that is one area or none, a lookup there is one multiplication, one
//! floor and one read, with the same answer as the R-tree and the exact
//! polygon test. So is a point beyond the layer's bounding box: it is in
//! no area. Every other cell (crossed by a boundary, or under overlapping
//! areas) says "ask the tree".
//!
//! **Exactness.** A cell is marked as touched when any edge's bounding box
//! overlaps it, through the same rounding function ([`CellGrid::index`])
//! that places a query point. The function is monotone, so a point lying on
//! an edge lies in a cell that edge marked: no point of an unmarked cell is
//! on a boundary, and the boundary rule (the first id wins on a shared edge)
//! is never needed there. Unmarked cells that share a side are in the same
//! face, so each connected group of them is classified once, by an exact
//! lookup of one cell's centre.

use crate::area::Area;

/// A uniform grid's frame over a box: `nx` × `ny` cells, numbered row by
/// row from the box's lower corner, and the one rounding function that
/// places a point in them. Shared by the lookup grid here and the index's
/// nearest-area grid.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    x0: f64,
    y0: f64,
    sx: f64,
    sy: f64,
    /// Columns.
    pub nx: usize,
    /// Rows.
    pub ny: usize,
}

/// `v.floor()` (as a number: `-0.0` comes out as `0.0`), without the
/// library call that baseline x86-64 makes of it for the usual case (`v`
/// from 0 to 2⁶⁴, where truncation is the same).
#[inline]
fn down(v: f64) -> f64 {
    if (0.0..1.8e19).contains(&v) {
        (v as u64) as f64
    } else {
        v.floor()
    }
}

impl Frame {
    /// `nx` × `ny` cells over the box from `(x0, y0)` to `(x1, y1)`.
    pub fn new(x0: f64, y0: f64, x1: f64, y1: f64, nx: usize, ny: usize) -> Frame {
        Frame {
            x0,
            y0,
            sx: nx as f64 / (x1 - x0),
            sy: ny as f64 / (y1 - y0),
            nx,
            ny,
        }
    }

    /// The column of `x`, unclamped (the one rounding function both marking
    /// and lookups use).
    #[inline]
    fn col(&self, x: f64) -> f64 {
        down((x - self.x0) * self.sx)
    }

    #[inline]
    fn row(&self, y: f64) -> f64 {
        down((y - self.y0) * self.sy)
    }

    /// The columns from `lo` to `hi`, clamped to the grid.
    fn span_x(&self, lo: f64, hi: f64) -> (usize, usize) {
        let last = (self.nx - 1) as f64;
        (
            self.col(lo).clamp(0.0, last) as usize,
            self.col(hi).clamp(0.0, last) as usize,
        )
    }

    /// The rows from `lo` to `hi`, clamped to the grid.
    fn span_y(&self, lo: f64, hi: f64) -> (usize, usize) {
        let last = (self.ny - 1) as f64;
        (
            self.row(lo).clamp(0.0, last) as usize,
            self.row(hi).clamp(0.0, last) as usize,
        )
    }

    /// The cell holding `(x, y)` (row by row), if the grid covers it.
    #[inline]
    pub fn index(&self, x: f64, y: f64) -> Option<usize> {
        let (cx, cy) = (self.col(x), self.row(y));
        if cx >= 0.0 && cy >= 0.0 && cx < self.nx as f64 && cy < self.ny as f64 {
            Some(cy as usize * self.nx + cx as usize)
        } else {
            None
        }
    }

    /// Cell `(ix, iy)`'s lower and upper corners.
    pub fn corners(&self, ix: usize, iy: usize) -> ([f64; 2], [f64; 2]) {
        (
            [self.x0 + ix as f64 / self.sx, self.y0 + iy as f64 / self.sy],
            [
                self.x0 + (ix + 1) as f64 / self.sx,
                self.y0 + (iy + 1) as f64 / self.sy,
            ],
        )
    }

    /// Cell `(ix, iy)`'s centre.
    pub fn centre(&self, ix: usize, iy: usize) -> (f64, f64) {
        (
            self.x0 + (ix as f64 + 0.5) / self.sx,
            self.y0 + (iy as f64 + 0.5) / self.sy,
        )
    }
}

/// The grid of one layer.
#[derive(Debug)]
pub struct CellGrid {
    frame: Frame,
    /// The layer's bounding box, `[x0, y0, x1, y1]`: no area holds a point
    /// beyond it.
    bbox: [f64; 4],
    /// Per cell, row by row: [`ASK`] — ask the tree; [`NOWHERE`] — in no
    /// area; `a + 1` — inside area `a` only.
    cells: Vec<u32>,
}

/// A cell label: ask the tree.
const ASK: u32 = 0;

/// A cell label: no area holds any point of the cell.
const NOWHERE: u32 = u32::MAX;

/// What a layer's grid knows of a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// Inside this area (its index in the layer) and no other.
    Area(usize),
    /// Inside no area.
    Nowhere,
    /// Not known here: ask the tree.
    Ask,
}

/// How many cells a layer gets: 1,000 per area, at least 2¹⁸ and at most
/// 2²² (16 MiB of labels). On the GM layers that leaves 83–93 % of cells
/// answering alone (42–47 % in one area, the rest in none; 200 per area
/// left 35–46 % in one area and a third of the speed-up).
fn cell_count(areas: usize) -> usize {
    (areas.saturating_mul(1000)).clamp(1 << 18, 1 << 22)
}

impl CellGrid {
    /// Builds the grid over `areas`, classifying each group of untouched
    /// cells with `locate` (the exact lookup: areas containing a point).
    /// `None` for a layer without areas.
    pub fn build(areas: &[Area], locate: impl Fn(f64, f64) -> Vec<usize>) -> Option<CellGrid> {
        use geo::BoundingRect;
        let mut bbox: Option<geo::Rect<f64>> = None;
        for a in areas {
            if let Some(r) = a.geometry.bounding_rect() {
                bbox = Some(match bbox {
                    None => r,
                    Some(b) => geo::Rect::new(
                        geo::coord! { x: b.min().x.min(r.min().x), y: b.min().y.min(r.min().y) },
                        geo::coord! { x: b.max().x.max(r.max().x), y: b.max().y.max(r.max().y) },
                    ),
                });
            }
        }
        let bbox = bbox?;
        let (w, h) = (bbox.width(), bbox.height());
        // Labels 1 to `areas.len()` number the areas, below the three kept
        // at the top (`NOWHERE`, `TOUCHED`, `PENDING`).
        if !(w > 0.0 && h > 0.0) || areas.len() >= (u32::MAX - 3) as usize {
            return None;
        }
        // Square cells on the ground: longitude shrinks by cos(latitude).
        let n = cell_count(areas.len()) as f64;
        let mid = (bbox.min().y + bbox.max().y) / 2.0;
        let ground_w = w * mid.to_radians().cos().max(0.01);
        let nx = ((n * ground_w / h).sqrt().round() as usize).clamp(1, 1 << 16);
        let ny = ((n / nx as f64).round() as usize).clamp(1, 1 << 16);
        let frame = Frame::new(
            bbox.min().x,
            bbox.min().y,
            bbox.max().x,
            bbox.max().y,
            nx,
            ny,
        );
        let mut grid = CellGrid {
            frame,
            bbox: [bbox.min().x, bbox.min().y, bbox.max().x, bbox.max().y],
            cells: vec![ASK; nx * ny],
        };
        // Mark every cell an edge's box overlaps.
        const TOUCHED: u32 = u32::MAX - 1;
        for a in areas {
            for poly in &a.geometry.0 {
                for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                    for e in ring.lines() {
                        let (ix0, ix1) =
                            frame.span_x(e.start.x.min(e.end.x), e.start.x.max(e.end.x));
                        let (iy0, iy1) =
                            frame.span_y(e.start.y.min(e.end.y), e.start.y.max(e.end.y));
                        for iy in iy0..=iy1 {
                            grid.cells[iy * nx + ix0..=iy * nx + ix1].fill(TOUCHED);
                        }
                    }
                }
            }
        }
        // Classify each group of untouched cells once.
        const UNSET: u32 = ASK;
        const PENDING: u32 = u32::MAX - 2;
        let mut stack = Vec::new();
        let mut group = Vec::new();
        for start in 0..grid.cells.len() {
            if grid.cells[start] != UNSET {
                continue;
            }
            group.clear();
            stack.push(start);
            grid.cells[start] = PENDING;
            while let Some(c) = stack.pop() {
                group.push(c);
                let (ix, iy) = (c % nx, c / nx);
                let mut visit = |n: usize, grid: &mut CellGrid| {
                    if grid.cells[n] == UNSET {
                        grid.cells[n] = PENDING;
                        stack.push(n);
                    }
                };
                if ix > 0 {
                    visit(c - 1, &mut grid);
                }
                if ix + 1 < nx {
                    visit(c + 1, &mut grid);
                }
                if iy > 0 {
                    visit(c - nx, &mut grid);
                }
                if iy + 1 < ny {
                    visit(c + nx, &mut grid);
                }
            }
            let (ix, iy) = (start % nx, start / nx);
            let (x, y) = frame.centre(ix, iy);
            let found = locate(x, y);
            let label = match found.as_slice() {
                [] => NOWHERE,
                [a] => *a as u32 + 1,
                _ => TOUCHED,
            };
            for &c in &group {
                grid.cells[c] = label;
            }
        }
        for c in &mut grid.cells {
            if *c == TOUCHED {
                *c = ASK;
            }
        }
        Some(grid)
    }

    /// The cell holding `(x, y)`, if the grid covers it.
    #[inline]
    pub fn index(&self, x: f64, y: f64) -> Option<usize> {
        self.frame.index(x, y)
    }

    /// What the grid knows of `(x, y)`: the one area holding it, that no
    /// area does (its cell says so, or it lies beyond the layer's bounding
    /// box), or nothing.
    #[inline]
    pub fn at(&self, x: f64, y: f64) -> Known {
        let Some(c) = self.index(x, y) else {
            let [x0, y0, x1, y1] = self.bbox;
            // NaN is beyond nothing: the tree says what it says of it.
            return if x < x0 || x > x1 || y < y0 || y > y1 {
                Known::Nowhere
            } else {
                Known::Ask
            };
        };
        match self.cells[c] {
            ASK => Known::Ask,
            NOWHERE => Known::Nowhere,
            a => Known::Area(a as usize - 1),
        }
    }

    /// The share of cells that answer alone (0–1), for logs and benches.
    pub fn coverage(&self) -> f64 {
        self.cells.iter().filter(|&&c| c != ASK).count() as f64 / self.cells.len() as f64
    }

    /// Columns × rows.
    pub fn size(&self) -> (usize, usize) {
        (self.frame.nx, self.frame.ny)
    }
}

#[cfg(test)]
mod tests {
    use super::{down, CellGrid, Known};
    use crate::area::test_shapes::rect_area;

    /// Two squares with a strait between them: a point in the strait, away
    /// from both, is known to be in no area, and so is one beyond the
    /// layer's box; points on the box's edge or on a boundary are left to
    /// the tree; points well inside a square are known to be in it.
    #[test]
    fn knows_where_no_area_is() {
        let areas = vec![
            rect_area("w", 0.0, 53.0, 1.0, 54.0),
            rect_area("e", 2.0, 53.0, 3.0, 54.0),
        ];
        // The exact lookup the grid is built on, for rectangles.
        let locate = |x: f64, y: f64| -> Vec<usize> {
            areas
                .iter()
                .enumerate()
                .filter(|(_, a)| {
                    use geo::Intersects;
                    a.geometry.intersects(&geo::Point::new(x, y))
                })
                .map(|(i, _)| i)
                .collect()
        };
        let grid = CellGrid::build(&areas, locate).expect("a grid");
        assert_eq!(grid.at(0.5, 53.5), Known::Area(0));
        assert_eq!(grid.at(2.5, 53.5), Known::Area(1));
        assert_eq!(grid.at(1.5, 53.5), Known::Nowhere, "in the strait");
        for beyond in [(-0.1, 53.5), (3.1, 53.5), (1.5, 52.9), (1.5, 54.1)] {
            assert_eq!(grid.at(beyond.0, beyond.1), Known::Nowhere, "{beyond:?}");
        }
        for edge in [(3.0, 53.5), (1.5, 54.0), (1.0, 53.5), (3.0, 54.0)] {
            assert_eq!(grid.at(edge.0, edge.1), Known::Ask, "{edge:?}");
        }
        assert_eq!(grid.at(f64::NAN, 53.5), Known::Ask);
    }

    #[test]
    fn down_is_floor() {
        let mut values = vec![
            0.0,
            -0.0,
            0.5,
            1.0 - f64::EPSILON,
            1.0,
            255.999_999_9,
            -0.5,
            -1.0,
            -1e300,
            9_007_199_254_740_993.0,
            1.8e19,
            1.8e19 - 4096.0,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        let mut unit = crate::testing::seeded(0x2545_F491_4F6C_DD1D);
        for _ in 0..100_000 {
            values.push(unit() * 2048.0 - 512.0);
        }
        for v in values {
            assert_eq!(down(v), v.floor(), "{v}");
        }
        assert!(down(f64::NAN).is_nan());
    }
}
