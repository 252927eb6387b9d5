//! Coordinate reference systems accepted at the import edge, and the British
//! National Grid (EPSG:27700) ↔ WGS84 conversion.
//!
//! Everything inside feedmap is WGS84 longitude/latitude; conversions happen
//! only here. British National Grid is converted with the Ordnance Survey's
//! official transformation OSTN15 (through the `lonlat_bng` crate, which
//! embeds the OS grid of shifts): ETRS89 latitude/longitude is projected with
//! the National Grid Transverse Mercator on the GRS80 ellipsoid and shifted by
//! the bilinearly interpolated OSTN15 easting/northing offsets (OS,
//! "Transformations and OSGM15 user guide"); the reverse direction iterates
//! on the shifts as the guide describes. OSTN15 has defined the National
//! Grid's relation to ETRS89 since 2016; OS states it is good to about 0.1 m.
//!
//! WGS84 is taken to be ETRS89, as OS and PROJ do at this accuracy (PROJ's
//! "OSGB36 to WGS 84" by OSTN15 is the same grid). The two frames part by
//! about 2.5 cm a year since 1989 as Europe drifts (under a metre today);
//! the latitudes/longitudes feedmap meets (ONS's, OS's, web maps') are
//! ETRS89 in practice, and its boundaries are generalised to 20 m.
//!
//! Measured against the OS's 40 published OSTN15 test points (Scilly to
//! Shetland, all inside the transformation; `tests/data/ostn15/`), the worst
//! horizontal difference is 0.0014 m from latitude/longitude to the grid
//! (TP31, 8.6° W; the OS gives millimetres) and 0.0006 m from the grid to
//! latitude/longitude (TP27). `cargo test --release --test integration
//! ostn15:: -- --nocapture` measures and prints it.
//!
//! OSTN15 covers the grid rectangle 0–700 km east, 0–1,250 km north. An
//! EPSG:27700 input the importer accepts but OSTN15 cannot convert (north of
//! 1,250 km, far offshore) falls back, for that point only, to the previous
//! method: inverse Transverse Mercator on the Airy 1830 ellipsoid (OS, "A
//! guide to coordinate systems in Great Britain", annex C) and the
//! 7-parameter Helmert transformation EPSG:1314 "OSGB36 to WGS 84 (6)"
//! (position-vector convention), accurate to about 2 m, with heights taken as
//! zero on the OSGB36 ellipsoid as PROJ does for 2-D input. So an import of
//! in-range coordinates never fails for want of OSTN15. The other direction,
//! [`wgs84_to_bng`], has no fallback: it answers `None` outside the grid.

/// A coordinate reference system feedmap can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crs {
    /// WGS84 longitude/latitude in degrees (CRS84, or EPSG:4326 as GeoJSON
    /// writers use it: longitude first).
    Wgs84,
    /// British National Grid easting/northing in metres (EPSG:27700).
    BritishNationalGrid,
}

impl Crs {
    /// Recognises the usual spellings of the two supported systems: EPSG
    /// codes, OGC URNs and OGC HTTP URIs. Returns `None` for anything else,
    /// which the importer reports as an unknown CRS rather than guessing.
    pub fn parse(name: &str) -> Option<Crs> {
        let n = name.trim().to_ascii_lowercase();
        let wgs84 = [
            "crs84",
            "ogc:crs84",
            "urn:ogc:def:crs:ogc:1.3:crs84",
            "urn:ogc:def:crs:ogc::crs84",
            "http://www.opengis.net/def/crs/ogc/1.3/crs84",
            "epsg:4326",
            "urn:ogc:def:crs:epsg::4326",
            "urn:ogc:def:crs:epsg:6.6:4326",
            "http://www.opengis.net/def/crs/epsg/0/4326",
            "wgs84",
        ];
        let bng = [
            "epsg:27700",
            "urn:ogc:def:crs:epsg::27700",
            "http://www.opengis.net/def/crs/epsg/0/27700",
            "bng",
        ];
        if wgs84.contains(&n.as_str()) {
            Some(Crs::Wgs84)
        } else if bng.contains(&n.as_str()) {
            Some(Crs::BritishNationalGrid)
        } else {
            None
        }
    }

    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Crs::Wgs84 => "WGS84 (CRS84)",
            Crs::BritishNationalGrid => "British National Grid (EPSG:27700)",
        }
    }

    /// Whether an input coordinate lies in the system's valid range. For
    /// BNG this is the grid's extent (0–700 km east, 0–1,300 km north).
    pub fn in_range(self, x: f64, y: f64) -> bool {
        match self {
            Crs::Wgs84 => (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y),
            Crs::BritishNationalGrid => {
                (0.0..=700_000.0).contains(&x) && (0.0..=1_300_000.0).contains(&y)
            }
        }
    }

    /// The allowed range, for error messages.
    pub fn range_text(self) -> &'static str {
        match self {
            Crs::Wgs84 => "longitude -180..180, latitude -90..90",
            Crs::BritishNationalGrid => "easting 0..700000 m, northing 0..1300000 m",
        }
    }

    /// Converts one coordinate to WGS84 `(lon, lat)` degrees.
    pub fn to_wgs84(self, x: f64, y: f64) -> (f64, f64) {
        match self {
            Crs::Wgs84 => (x, y),
            Crs::BritishNationalGrid => bng_to_wgs84(x, y),
        }
    }

    /// Converts one WGS84 `(lon, lat)` in degrees to this system, for
    /// output. `None` when the point has no coordinate in it: for BNG,
    /// outside the OSTN15 grid (see [`wgs84_to_bng`]).
    pub fn from_wgs84(self, lon: f64, lat: f64) -> Option<(f64, f64)> {
        match self {
            Crs::Wgs84 => Some((lon, lat)),
            Crs::BritishNationalGrid => wgs84_to_bng(lon, lat),
        }
    }
}

// Airy 1830 ellipsoid and the National Grid projection constants.
const AIRY_A: f64 = 6_377_563.396;
const AIRY_B: f64 = 6_356_256.909;
const F0: f64 = 0.999_601_271_7;
const E0: f64 = 400_000.0;
const N0: f64 = -100_000.0;
const PHI0_DEG: f64 = 49.0;
const LAMBDA0_DEG: f64 = -2.0;

// GRS80 / WGS84 ellipsoid (semi-major axis in metres, flattening).
pub(crate) const WGS84_A: f64 = 6_378_137.0;
pub(crate) const WGS84_F: f64 = 1.0 / 298.257_223_563;

// GRS80 as the OS transformation guide gives it for ETRS89 (semi-minor axis
// to 0.1 mm), the ellipsoid the OSTN15 shifts are applied on.
const GRS80_A: f64 = 6_378_137.0;
const GRS80_B: f64 = 6_356_752.314_1;

// EPSG:1314 OSGB36 → WGS84, position-vector convention.
const TX: f64 = 446.448;
const TY: f64 = -125.157;
const TZ: f64 = 542.06;
const RX_SEC: f64 = 0.15;
const RY_SEC: f64 = 0.247;
const RZ_SEC: f64 = 0.842;
const S_PPM: f64 = -20.489;

/// Converts a British National Grid easting/northing (metres) to WGS84
/// `(lon, lat)` in degrees with OSTN15 (about 0.1 m; WGS84 taken as
/// ETRS89). A point OSTN15 cannot convert (outside its grid, 0–700 km east
/// and 0–1,250 km north) is converted with the Helmert method instead, about
/// 2 m, so this always answers; see the module documentation.
pub fn bng_to_wgs84(easting: f64, northing: f64) -> (f64, f64) {
    match lonlat_bng::convert_osgb36_to_ll(easting, northing) {
        Ok((lon, lat)) if lon.is_finite() && lat.is_finite() => (lon, lat),
        _ => bng_to_wgs84_helmert(easting, northing),
    }
}

/// Converts WGS84 `(lon, lat)` in degrees (taken as ETRS89, as OS and PROJ
/// do at this accuracy) to a British National Grid `(easting, northing)` in
/// metres with OSTN15, rounded to the millimetre; about 0.1 m. `None` when
/// the point is outside the OSTN15 grid (0–700 km east, 0–1,250 km north,
/// which holds Great Britain, its islands and the seas around them) or is
/// not a finite coordinate. There is no Helmert fallback in this direction.
pub fn wgs84_to_bng(lon: f64, lat: f64) -> Option<(f64, f64)> {
    // A generous window round the grid (its corners lie within 49.7–61.2° N,
    // 9.5° W–3.7° E); beyond it the projection series is meaningless.
    if !(-12.0..=6.0).contains(&lon) || !(48.0..=63.0).contains(&lat) {
        return None;
    }
    // ETRS89 grid coordinates: the National Grid projection on GRS80.
    // Computed here rather than by `lonlat_bng::convert_osgb36` because that
    // also clips longitude/latitude to a box (49.922–60.84° N, 8.579° W–
    // 1.78° E) that leaves out the north of Unst and St Kilda; the OSTN15
    // grid alone decides here.
    let (e, n) = tm_forward(lat.to_radians(), lon.to_radians(), GRS80_A, GRS80_B);
    lonlat_bng::convert_etrs89_to_osgb36(e, n).ok()
}

/// The previous BNG → WGS84 method, used where OSTN15 has no answer:
/// inverse Transverse Mercator on Airy 1830 and the Helmert transformation
/// EPSG:1314, about 2 m across Great Britain.
fn bng_to_wgs84_helmert(easting: f64, northing: f64) -> (f64, f64) {
    let (phi, lambda) = bng_to_osgb36_latlon(easting, northing);
    let (x, y, z) = geodetic_to_cartesian(phi, lambda, AIRY_A, AIRY_B);
    let (x, y, z) = helmert_osgb36_to_wgs84(x, y, z);
    let wgs_b = WGS84_A * (1.0 - WGS84_F);
    let (phi, lambda) = cartesian_to_geodetic(x, y, z, WGS84_A, wgs_b);
    (lambda.to_degrees(), phi.to_degrees())
}

/// The National Grid Transverse Mercator, latitude/longitude (radians) →
/// easting/northing (metres) on the ellipsoid with semi-axes `a`, `b` (OS
/// guide, annex C, equations C1–C3).
fn tm_forward(phi: f64, lambda: f64, a: f64, b: f64) -> (f64, f64) {
    let e2 = 1.0 - (b * b) / (a * a);
    let (sin_p, cos_p, tan_p) = (phi.sin(), phi.cos(), phi.tan());
    let nu = a * F0 / (1.0 - e2 * sin_p * sin_p).sqrt();
    let rho = a * F0 * (1.0 - e2) / (1.0 - e2 * sin_p * sin_p).powf(1.5);
    let eta2 = nu / rho - 1.0;
    let (t2, t4) = (tan_p * tan_p, tan_p.powi(4));
    let m = meridional_arc(phi, a, b);
    let i = m + N0;
    let ii = nu / 2.0 * sin_p * cos_p;
    let iii = nu / 24.0 * sin_p * cos_p.powi(3) * (5.0 - t2 + 9.0 * eta2);
    let iiia = nu / 720.0 * sin_p * cos_p.powi(5) * (61.0 - 58.0 * t2 + t4);
    let iv = nu * cos_p;
    let v = nu / 6.0 * cos_p.powi(3) * (nu / rho - t2);
    let vi = nu / 120.0 * cos_p.powi(5) * (5.0 - 18.0 * t2 + t4 + 14.0 * eta2 - 58.0 * t2 * eta2);
    let l = lambda - LAMBDA0_DEG.to_radians();
    let north = i + ii * l.powi(2) + iii * l.powi(4) + iiia * l.powi(6);
    let east = E0 + iv * l + v * l.powi(3) + vi * l.powi(5);
    (east, north)
}

/// Meridional arc from the true origin on the ellipsoid with semi-axes `a`,
/// `b` (OS guide, equation C3).
fn meridional_arc(phi: f64, a: f64, b: f64) -> f64 {
    let n = (a - b) / (a + b);
    let (n2, n3) = (n * n, n * n * n);
    let phi0 = PHI0_DEG.to_radians();
    let (d, s) = (phi - phi0, phi + phi0);
    b * F0
        * ((1.0 + n + 1.25 * n2 + 1.25 * n3) * d
            - (3.0 * n + 3.0 * n2 + 21.0 / 8.0 * n3) * d.sin() * s.cos()
            + (15.0 / 8.0 * n2 + 15.0 / 8.0 * n3) * (2.0 * d).sin() * (2.0 * s).cos()
            - 35.0 / 24.0 * n3 * (3.0 * d).sin() * (3.0 * s).cos())
}

/// Inverse Transverse Mercator on Airy 1830: grid → OSGB36 lat/lon (radians).
fn bng_to_osgb36_latlon(e: f64, north: f64) -> (f64, f64) {
    let a = AIRY_A;
    let e2 = 1.0 - (AIRY_B * AIRY_B) / (a * a);
    let phi0 = PHI0_DEG.to_radians();
    let lambda0 = LAMBDA0_DEG.to_radians();
    let mut phi = phi0 + (north - N0) / (a * F0);
    let mut m = meridional_arc(phi, AIRY_A, AIRY_B);
    // Converges to 0.01 mm in a handful of iterations; the bound only guards
    // against non-finite input.
    for _ in 0..100 {
        if (north - N0 - m).abs() < 1e-5 {
            break;
        }
        phi += (north - N0 - m) / (a * F0);
        m = meridional_arc(phi, AIRY_A, AIRY_B);
    }
    let (sin_p, cos_p, tan_p) = (phi.sin(), phi.cos(), phi.tan());
    let nu = a * F0 / (1.0 - e2 * sin_p * sin_p).sqrt();
    let rho = a * F0 * (1.0 - e2) / (1.0 - e2 * sin_p * sin_p).powf(1.5);
    let eta2 = nu / rho - 1.0;
    let (t2, t4, t6) = (tan_p * tan_p, tan_p.powi(4), tan_p.powi(6));
    let sec_p = 1.0 / cos_p;
    let vii = tan_p / (2.0 * rho * nu);
    let viii = tan_p / (24.0 * rho * nu.powi(3)) * (5.0 + 3.0 * t2 + eta2 - 9.0 * t2 * eta2);
    let ix = tan_p / (720.0 * rho * nu.powi(5)) * (61.0 + 90.0 * t2 + 45.0 * t4);
    let x = sec_p / nu;
    let xi = sec_p / (6.0 * nu.powi(3)) * (nu / rho + 2.0 * t2);
    let xii = sec_p / (120.0 * nu.powi(5)) * (5.0 + 28.0 * t2 + 24.0 * t4);
    let xiia = sec_p / (5040.0 * nu.powi(7)) * (61.0 + 662.0 * t2 + 1320.0 * t4 + 720.0 * t6);
    let de = e - E0;
    let lat = phi - vii * de.powi(2) + viii * de.powi(4) - ix * de.powi(6);
    let lon = lambda0 + x * de - xi * de.powi(3) + xii * de.powi(5) - xiia * de.powi(7);
    (lat, lon)
}

fn geodetic_to_cartesian(phi: f64, lambda: f64, a: f64, b: f64) -> (f64, f64, f64) {
    let e2 = 1.0 - (b * b) / (a * a);
    let nu = a / (1.0 - e2 * phi.sin().powi(2)).sqrt();
    (
        nu * phi.cos() * lambda.cos(),
        nu * phi.cos() * lambda.sin(),
        (1.0 - e2) * nu * phi.sin(),
    )
}

fn helmert_osgb36_to_wgs84(x: f64, y: f64, z: f64) -> (f64, f64, f64) {
    let sec = std::f64::consts::PI / (180.0 * 3600.0);
    let (rx, ry, rz) = (RX_SEC * sec, RY_SEC * sec, RZ_SEC * sec);
    let s = 1.0 + S_PPM * 1e-6;
    (
        TX + s * (x - rz * y + ry * z),
        TY + s * (rz * x + y - rx * z),
        TZ + s * (-ry * x + rx * y + z),
    )
}

fn cartesian_to_geodetic(x: f64, y: f64, z: f64, a: f64, b: f64) -> (f64, f64) {
    let e2 = 1.0 - (b * b) / (a * a);
    let p = (x * x + y * y).sqrt();
    let mut phi = z.atan2(p * (1.0 - e2));
    for _ in 0..20 {
        let nu = a / (1.0 - e2 * phi.sin().powi(2)).sqrt();
        let next = (z + e2 * nu * phi.sin()).atan2(p);
        if (next - phi).abs() < 1e-13 {
            phi = next;
            break;
        }
        phi = next;
    }
    (phi, y.atan2(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_crs_spellings() {
        assert_eq!(
            Crs::parse("urn:ogc:def:crs:OGC:1.3:CRS84"),
            Some(Crs::Wgs84)
        );
        assert_eq!(Crs::parse("EPSG:4326"), Some(Crs::Wgs84));
        assert_eq!(
            Crs::parse("urn:ogc:def:crs:EPSG::27700"),
            Some(Crs::BritishNationalGrid)
        );
        assert_eq!(Crs::parse("EPSG:3857"), None);
    }

    /// The OS guide's worked example (annex C): E 651409.903, N 313177.270 is
    /// OSGB36 52°39'27.2531"N 1°43'4.5177"E.
    #[test]
    fn inverse_projection_matches_the_os_worked_example() {
        let (lat, lon) = bng_to_osgb36_latlon(651_409.903, 313_177.270);
        let want_lat = 52.0 + 39.0 / 60.0 + 27.2531 / 3600.0;
        let want_lon = 1.0 + 43.0 / 60.0 + 4.5177 / 3600.0;
        assert!(
            (lat.to_degrees() - want_lat).abs() < 1e-6,
            "{}",
            lat.to_degrees()
        );
        assert!(
            (lon.to_degrees() - want_lon).abs() < 1e-6,
            "{}",
            lon.to_degrees()
        );
    }

    /// The same worked example the other way: the forward projection.
    #[test]
    fn forward_projection_matches_the_os_worked_example() {
        let lat: f64 = 52.0 + 39.0 / 60.0 + 27.2531 / 3600.0;
        let lon: f64 = 1.0 + 43.0 / 60.0 + 4.5177 / 3600.0;
        let (e, n) = tm_forward(lat.to_radians(), lon.to_radians(), AIRY_A, AIRY_B);
        assert!((e - 651_409.903).abs() < 0.001, "{e}");
        assert!((n - 313_177.270).abs() < 0.001, "{n}");
    }

    /// The OSTN15 worked example of the OS transformation guide (annex B):
    /// ETRS89 52.658007833 N 1.716073973 E is OSGB36 E 651409.804,
    /// N 313177.450 (to the guide's millimetre), and back.
    #[test]
    fn ostn15_matches_the_os_guide_example() {
        let (e, n) = wgs84_to_bng(1.716_073_973, 52.658_007_833).unwrap();
        assert!((e - 651_409.804).abs() < 0.002, "{e}");
        assert!((n - 313_177.450).abs() < 0.002, "{n}");
        let (lon, lat) = bng_to_wgs84(e, n);
        assert!((lon - 1.716_073_973).abs() < 1e-7, "{lon}");
        assert!((lat - 52.658_007_833).abs() < 1e-7, "{lat}");
        assert_eq!(
            Crs::BritishNationalGrid.from_wgs84(1.716_073_973, 52.658_007_833),
            Some((e, n))
        );
        assert_eq!(Crs::Wgs84.from_wgs84(1.5, 52.5), Some((1.5, 52.5)));
    }

    /// OSTN15 answers across the whole grid, also north of the 60.84° N the
    /// crate's own longitude/latitude entry point stops at (Muckle Flugga,
    /// the north tip of Unst), and round-trips there.
    #[test]
    fn converts_the_north_of_shetland() {
        let (lon, lat) = (-0.8853, 60.8558);
        let (e, n) = wgs84_to_bng(lon, lat).expect("inside the OSTN15 grid");
        assert!((460_000.0..461_500.0).contains(&e), "{e}");
        assert!((1_219_000.0..1_221_000.0).contains(&n), "{n}");
        let (lon2, lat2) = bng_to_wgs84(e, n);
        assert!((lon2 - lon).abs() < 1e-7 && (lat2 - lat).abs() < 1e-7);
    }

    /// Outside the grid there is no BNG coordinate.
    #[test]
    fn outside_the_grid_is_none() {
        assert_eq!(wgs84_to_bng(2.35, 48.86), None); // Paris
        assert_eq!(wgs84_to_bng(-12.5, 55.0), None);
        assert_eq!(wgs84_to_bng(f64::NAN, 52.0), None);
        assert_eq!(wgs84_to_bng(-2.0, f64::INFINITY), None);
        assert_eq!(Crs::BritishNationalGrid.from_wgs84(10.0, 52.0), None);
    }

    /// An in-range BNG point OSTN15 cannot convert (north of its 1,250 km
    /// grid) still converts, by the Helmert method, and a point inside the
    /// grid converts by OSTN15, within the Helmert method's 2–3 m of it.
    #[test]
    fn falls_back_to_helmert_outside_the_grid() {
        let (e, n) = (450_000.0, 1_280_000.0);
        assert!(Crs::BritishNationalGrid.in_range(e, n));
        assert!(lonlat_bng::convert_osgb36_to_ll(e, n).is_err());
        let got = bng_to_wgs84(e, n);
        assert_eq!(got, bng_to_wgs84_helmert(e, n));
        assert!(
            got.0.is_finite() && (61.0..62.0).contains(&got.1),
            "{got:?}"
        );

        let (e, n) = (378_000.0, 395_000.0); // Manchester
        let (lon, lat) = bng_to_wgs84(e, n);
        let (hlon, hlat) = bng_to_wgs84_helmert(e, n);
        assert_ne!((lon, lat), (hlon, hlat));
        let dx = (lon - hlon).to_radians() * lat.to_radians().cos() * WGS84_A;
        let dy = (lat - hlat).to_radians() * WGS84_A;
        assert!(dx.hypot(dy) < 5.0, "{}", dx.hypot(dy));
    }

    /// A round trip through cartesian coordinates is lossless.
    #[test]
    fn cartesian_round_trip() {
        let (phi, lam) = (53.4_f64.to_radians(), (-2.3_f64).to_radians());
        let (x, y, z) = geodetic_to_cartesian(phi, lam, AIRY_A, AIRY_B);
        let (p2, l2) = cartesian_to_geodetic(x, y, z, AIRY_A, AIRY_B);
        assert!((p2 - phi).abs() < 1e-12 && (l2 - lam).abs() < 1e-12);
    }
}
