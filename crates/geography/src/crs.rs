//! Coordinate reference systems accepted at the import edge, and the British
//! National Grid (EPSG:27700) → WGS84 conversion.
//!
//! Everything inside feedmap is WGS84 longitude/latitude; conversions happen
//! only here. The BNG conversion is the one ONS and PROJ use when the OSTN15
//! grid is not available: inverse Transverse Mercator on the Airy 1830
//! ellipsoid (Ordnance Survey, "A guide to coordinate systems in Great
//! Britain", annex C) followed by the 7-parameter Helmert transformation
//! EPSG:1314 "OSGB36 to WGS 84 (6)" (position-vector convention). Its stated
//! accuracy is about 2 m across Great Britain, which is finer than the 20 m
//! generalisation of the boundaries it is used on. Heights are taken as zero
//! on the OSGB36 ellipsoid, as PROJ does for 2-D input.

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

// EPSG:1314 OSGB36 → WGS84, position-vector convention.
const TX: f64 = 446.448;
const TY: f64 = -125.157;
const TZ: f64 = 542.06;
const RX_SEC: f64 = 0.15;
const RY_SEC: f64 = 0.247;
const RZ_SEC: f64 = 0.842;
const S_PPM: f64 = -20.489;

/// Converts a British National Grid easting/northing (metres) to WGS84
/// `(lon, lat)` in degrees. See the module documentation for the method and
/// its accuracy (about 2 m).
pub fn bng_to_wgs84(easting: f64, northing: f64) -> (f64, f64) {
    let (phi, lambda) = bng_to_osgb36_latlon(easting, northing);
    let (x, y, z) = geodetic_to_cartesian(phi, lambda, AIRY_A, AIRY_B);
    let (x, y, z) = helmert_osgb36_to_wgs84(x, y, z);
    let wgs_b = WGS84_A * (1.0 - WGS84_F);
    let (phi, lambda) = cartesian_to_geodetic(x, y, z, WGS84_A, wgs_b);
    (lambda.to_degrees(), phi.to_degrees())
}

/// Meridional arc from the true origin (OS guide, equation C3).
fn meridional_arc(phi: f64) -> f64 {
    let n = (AIRY_A - AIRY_B) / (AIRY_A + AIRY_B);
    let (n2, n3) = (n * n, n * n * n);
    let phi0 = PHI0_DEG.to_radians();
    let (d, s) = (phi - phi0, phi + phi0);
    AIRY_B
        * F0
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
    let mut m = meridional_arc(phi);
    // Converges to 0.01 mm in a handful of iterations; the bound only guards
    // against non-finite input.
    for _ in 0..100 {
        if (north - N0 - m).abs() < 1e-5 {
            break;
        }
        phi += (north - N0 - m) / (a * F0);
        m = meridional_arc(phi);
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

    /// A round trip through cartesian coordinates is lossless.
    #[test]
    fn cartesian_round_trip() {
        let (phi, lam) = (53.4_f64.to_radians(), (-2.3_f64).to_radians());
        let (x, y, z) = geodetic_to_cartesian(phi, lam, AIRY_A, AIRY_B);
        let (p2, l2) = cartesian_to_geodetic(x, y, z, AIRY_A, AIRY_B);
        assert!((p2 - phi).abs() < 1e-12 && (l2 - lam).abs() < 1e-12);
    }
}
