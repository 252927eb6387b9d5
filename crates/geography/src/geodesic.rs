//! Geodesic distances on the WGS 84 ellipsoid, fast for the short lines a
//! lookup measures (a point to the nearest boundary: metres to tens of
//! kilometres) and Karney's method (`geo::Geodesic`) for the rest.
//!
//! **Method (lines up to [`SHORT_M`]).** Both ends go to Earth-centred
//! Cartesian coordinates; the straight chord `c` between them is exact.
//! The geodesic bows out from its chord by the ellipsoid's curvature
//! along it, the normal-section curvature `κ = cos²α/M + sin²α/N` (Euler)
//! at the line's middle, where `α` is the chord's azimuth in the tangent
//! plane there and `M`, `N` the meridian and prime-vertical radii. An arc
//! of that curvature over the chord is `s = (2/κ)·asin(cκ/2)`. What this
//! leaves out, each far below a micrometre up to [`SHORT_M`]:
//! - the change of curvature along the line: it changes by a relative
//!   `e²·(s/R)` end to end, linearly to first order, which the middle
//!   cancels; the second order leaves a relative error of about
//!   `e²·(s/R)²` in `s − c` (`s − c` is 0.13 m at 50 km: ~10⁻⁸ m);
//! - the normal section against the geodesic: `~e⁴·s·(s/R)⁴` (~10⁻¹¹ m);
//! - rounding: the chord from coordinates of 6.4·10⁶ m, ~10⁻⁹ m.
//!
//! Tested against Karney's method (exact to 15 nm) on 200,000 random
//! lines up to [`SHORT_M`] at every latitude to 89°: the largest
//! difference is printed by `cargo test --lib geodesic -- --nocapture`
//! and asserted below 1 µm. Answers give distances to 0.1 m.
//!
//! Costs: two `sin_cos` for a new end, a few square roots: a line with
//! both ends new takes a fifth of the time of Karney's iterative solution
//! (`cargo bench --bench lookup -- geodesic`: 104 against 520 ns).

use crate::crs::{WGS84_A as A, WGS84_F as F};
use geo::{Coord, Distance, Geodesic, Point};

/// Longest line (chord, metres) measured by the chord method; longer ones,
/// and ends within a degree of a pole, go to Karney's method.
pub const SHORT_M: f64 = 100_000.0;

/// First eccentricity squared of WGS 84.
const E2: f64 = F * (2.0 - F);

/// One end of a line, ready to measure from: its coordinates in degrees,
/// its Earth-centred position (metres) and its unit normal.
#[derive(Debug, Clone, Copy)]
pub struct End {
    lon: f64,
    lat: f64,
    at: [f64; 3],
    up: [f64; 3],
}

impl End {
    /// The end at `(lon, lat)` in degrees.
    pub fn new(lon: f64, lat: f64) -> End {
        let (sp, cp) = lat.to_radians().sin_cos();
        let (sl, cl) = lon.to_radians().sin_cos();
        let n = A / (1.0 - E2 * sp * sp).sqrt();
        End {
            lon,
            lat,
            at: [n * cp * cl, n * cp * sl, n * (1.0 - E2) * sp],
            up: [cp * cl, cp * sl, sp],
        }
    }

    /// Geodesic distance in metres from this end to `other`.
    pub fn distance_m(&self, other: &End) -> f64 {
        let d = [
            other.at[0] - self.at[0],
            other.at[1] - self.at[1],
            other.at[2] - self.at[2],
        ];
        let c2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
        if c2 == 0.0 {
            return 0.0;
        }
        let polar = self.lat.abs().max(other.lat.abs()) > 89.0;
        if c2 > SHORT_M * SHORT_M || polar || !c2.is_finite() {
            return Geodesic.distance(
                Point::new(self.lon, self.lat),
                Point::new(other.lon, other.lat),
            );
        }
        let c = c2.sqrt();
        // The normal at the line's middle, and its latitude and longitude.
        let m = [
            self.up[0] + other.up[0],
            self.up[1] + other.up[1],
            self.up[2] + other.up[2],
        ];
        let mh = (m[0] * m[0] + m[1] * m[1]).sqrt();
        let ml = (mh * mh + m[2] * m[2]).sqrt();
        let (sp, cp) = (m[2] / ml, mh / ml);
        let (sl, cl) = (m[1] / mh, m[0] / mh);
        // The chord in the tangent plane there: east and north.
        let east = -sl * d[0] + cl * d[1];
        let north = -sp * (cl * d[0] + sl * d[1]) + cp * d[2];
        let w = 1.0 - E2 * sp * sp;
        let n_radius = A / w.sqrt();
        let m_radius = A * (1.0 - E2) / (w * w.sqrt());
        let h2 = east * east + north * north;
        let kappa = (north * north / m_radius + east * east / n_radius) / h2;
        // s = (2/κ)·asin(cκ/2) = c·asin(x)/x with x = cκ/2 ≤ 0.008: the
        // series to x⁴ leaves 5x⁶/112 < 10⁻¹⁴ of c.
        let x2 = (c * kappa / 2.0).powi(2);
        c * (1.0 + x2 * (1.0 / 6.0 + x2 * (3.0 / 40.0)))
    }
}

/// Geodesic distance in metres between two `(lon, lat)` points in degrees.
pub fn distance_m(a: Coord<f64>, b: Coord<f64>) -> f64 {
    End::new(a.x, a.y).distance_m(&End::new(b.x, b.y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn karney(a: Coord<f64>, b: Coord<f64>) -> f64 {
        Geodesic.distance(Point(a), Point(b))
    }

    #[test]
    fn agrees_with_karney_within_a_micrometre() {
        // Seeded, so the lines are the same on every run.
        let mut unit = crate::testing::seeded(0x9e37_79b9_7f4a_7c15);
        let mut worst = (0.0f64, 0.0, Coord::zero(), Coord::zero());
        for i in 0..200_000 {
            let lat = -89.0 + 178.0 * unit();
            let lon = -180.0 + 360.0 * unit();
            // Lengths spread over every scale up to SHORT_M: 1 mm … 100 km.
            let len = 10f64.powf(-3.0 + 8.0 * unit()).min(SHORT_M * 0.999);
            let az = std::f64::consts::TAU * unit();
            let dlat = len * az.cos() / 111_000.0;
            let dlon = len * az.sin() / (111_000.0 * lat.to_radians().cos());
            let a = Coord { x: lon, y: lat };
            let b = Coord {
                x: if i % 2 == 0 {
                    lon + dlon
                } else {
                    (lon + dlon + 540.0) % 360.0 - 180.0
                },
                y: (lat + dlat).clamp(-88.9, 88.9),
            };
            let (got, want) = (distance_m(a, b), karney(a, b));
            let err = (got - want).abs();
            if err > worst.0 {
                worst = (err, want, a, b);
            }
        }
        println!(
            "largest difference from Karney: {:.3e} m on a {:.0} m line {:?} → {:?}",
            worst.0, worst.1, worst.2, worst.3
        );
        assert!(worst.0 < 1e-6, "{worst:?}");
    }

    #[test]
    fn long_and_polar_lines_are_karneys() {
        let cases = [
            (Coord { x: -2.3, y: 53.4 }, Coord { x: 2.35, y: 48.85 }),
            (Coord { x: 179.9, y: 0.0 }, Coord { x: -179.9, y: 0.5 }),
            (Coord { x: 10.0, y: 89.5 }, Coord { x: -170.0, y: 89.5 }),
            (Coord { x: 0.0, y: 0.0 }, Coord { x: 180.0, y: 0.0 }),
        ];
        for (a, b) in cases {
            let (got, want) = (distance_m(a, b), karney(a, b));
            assert!((got - want).abs() < 1e-6, "{a:?} → {b:?}: {got} vs {want}");
        }
        assert_eq!(
            distance_m(Coord { x: -2.3, y: 53.4 }, Coord { x: -2.3, y: 53.4 }),
            0.0
        );
    }
}
