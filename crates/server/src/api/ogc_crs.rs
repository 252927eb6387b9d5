//! The coordinate reference systems of the OGC API (Features – Part 2,
//! "CRS by reference"): CRS84, the storage system (every boundary is kept
//! in WGS84 longitude/latitude); EPSG:4326, the same datum with EPSG's
//! axis order, latitude first; and EPSG:27700, the British National Grid
//! in metres, easting first, converted with OSTN15
//! ([`feedmap_geography::crs`]).

use crate::api::params::{parse_bbox, Params};
use crate::api::problem::ApiProblem;
use feedmap_domain::cql2::Coordinates;
use feedmap_geography::crs::{bng_to_wgs84, wgs84_to_bng, Crs};
use geo::{
    Coord, Geometry, GeometryCollection, LineString, MapCoords, MultiLineString, MultiPoint,
    MultiPolygon, Point, Polygon, Rect,
};
use serde_json::json;

/// WGS84 longitude/latitude (the storage CRS and the default).
pub(crate) const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// WGS84 latitude/longitude.
pub(crate) const EPSG_4326: &str = "http://www.opengis.net/def/crs/EPSG/0/4326";
/// British National Grid easting/northing.
pub(crate) const EPSG_27700: &str = "http://www.opengis.net/def/crs/EPSG/0/27700";
/// Every collection's `crs` list.
pub(crate) const SUPPORTED: [&str; 3] = [CRS84, EPSG_4326, EPSG_27700];

/// One of [`SUPPORTED`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OgcCrs {
    Crs84,
    Epsg4326,
    Bng,
}

impl OgcCrs {
    /// The CRS the parameter `name` names by its URI, CRS84 when it is
    /// absent; any other value is a 400 naming the parameter and the
    /// supported URIs.
    pub(crate) fn param(params: &Params, name: &str) -> Result<OgcCrs, ApiProblem> {
        let Some(v) = params.get(name)? else {
            return Ok(OgcCrs::Crs84);
        };
        let found = [OgcCrs::Crs84, OgcCrs::Epsg4326, OgcCrs::Bng]
            .into_iter()
            .find(|c| c.uri().eq_ignore_ascii_case(v.trim()));
        found.ok_or_else(|| {
            ApiProblem::bad_parameter(format!(
                "{name}={v:?} is not supported; give one of {} (by URI)",
                SUPPORTED.join(", ")
            ))
            .with_member("parameter", json!(name))
            .with_member("supported", json!(SUPPORTED))
        })
    }

    /// Its URI.
    pub(crate) fn uri(self) -> &'static str {
        match self {
            OgcCrs::Crs84 => CRS84,
            OgcCrs::Epsg4326 => EPSG_4326,
            OgcCrs::Bng => EPSG_27700,
        }
    }

    /// The `Content-Crs` header's value.
    pub(crate) fn header(self) -> String {
        format!("<{}>", self.uri())
    }

    /// A boundary (stored in WGS84 longitude/latitude) in this system. BNG
    /// coordinates are OSTN15's, to the millimetre; `Err` gives a point
    /// outside the OSTN15 grid, which has none.
    pub(crate) fn output(self, g: &MultiPolygon<f64>) -> Result<MultiPolygon<f64>, Coord<f64>> {
        match self {
            OgcCrs::Crs84 => Ok(g.clone()),
            OgcCrs::Epsg4326 => Ok(g.map_coords(|c| Coord { x: c.y, y: c.x })),
            OgcCrs::Bng => {
                g.try_map_coords(|c| wgs84_to_bng(c.x, c.y).map(|(x, y)| Coord { x, y }).ok_or(c))
            }
        }
    }

    /// How filter literals written in this system are read.
    pub(crate) fn literals(self) -> Coordinates<'static> {
        match self {
            OgcCrs::Crs84 => Coordinates::LonLat,
            OgcCrs::Epsg4326 => Coordinates::LatLon,
            OgcCrs::Bng => Coordinates::Projected(&bng_to_lonlat),
        }
    }

    /// The WGS84 longitude/latitude area a `bbox` given in this system
    /// covers, which an area's geometry is intersected with.
    ///
    /// CRS84 and EPSG:4326 boxes are boxes in WGS84 too (the axes
    /// swapped for EPSG:4326: `minLat,minLon,maxLat,maxLon`). An EPSG:27700
    /// box (`minE,minN,maxE,maxN`) is not: its edges, straight lines in
    /// the grid, are curves in longitude/latitude, and the box of its four
    /// converted corners would both miss areas near its edges and take in
    /// areas outside. So its whole ring is converted, each edge densified
    /// by [`bng_to_lonlat`] until it follows the true edge to a millimetre,
    /// and areas are kept when their real geometry intersects that polygon
    /// (the R-tree only preselects by the polygon's envelope): no area that
    /// truly meets the grid box is missed, none that does not is kept.
    pub(crate) fn bbox(self, v: &str) -> Result<Geometry<f64>, ApiProblem> {
        if self == OgcCrs::Crs84 {
            return parse_bbox(v).map(Geometry::Rect);
        }
        let axes = match self {
            OgcCrs::Epsg4326 => "minLat,minLon,maxLat,maxLon",
            _ => "minEasting,minNorthing,maxEasting,maxNorthing (metres)",
        };
        let bad = |why: &str| {
            ApiProblem::bad_parameter(format!(
                "bbox={v:?} {why}; with bbox-crs={} it is {axes}",
                self.uri()
            ))
            .with_member("parameter", json!("bbox"))
        };
        let nums: Vec<f64> = v
            .split(',')
            .map(|s| s.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| bad("has a value that is not a number"))?;
        let (x0, y0, x1, y1) = match nums.as_slice() {
            [a, b, c, d] => (*a, *b, *c, *d),
            [a, b, _, c, d, _] => (*a, *b, *c, *d),
            _ => return Err(bad("must have 4 (or 6) numbers")),
        };
        if ![x0, y0, x1, y1].iter().all(|x| x.is_finite()) {
            return Err(bad("must be finite"));
        }
        if x0 > x1 || y0 > y1 {
            return Err(bad("has min > max"));
        }
        match self {
            OgcCrs::Epsg4326 => {
                if !(-90.0..=90.0).contains(&x0) || !(-90.0..=90.0).contains(&x1) {
                    return Err(bad("has a latitude outside -90..90"));
                }
                if !(-180.0..=180.0).contains(&y0) || !(-180.0..=180.0).contains(&y1) {
                    return Err(bad("has a longitude outside -180..180"));
                }
                Ok(Geometry::Rect(Rect::new(
                    Coord { x: y0, y: x0 },
                    Coord { x: y1, y: x1 },
                )))
            }
            _ => {
                let bng = Crs::BritishNationalGrid;
                if !bng.in_range(x0, y0) || !bng.in_range(x1, y1) {
                    return Err(bad(&format!("is outside the grid ({})", bng.range_text())));
                }
                let ring = Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 }).to_polygon();
                bng_to_lonlat(&Geometry::Polygon(ring)).map_err(|e| bad(&e))
            }
        }
    }
}

/// An edge is halved until the converted midpoint lies within this of the
/// chord between its converted ends (degrees; about a millimetre).
const TOLERANCE_DEG: f64 = 1e-8;
/// … and is never longer than this in the grid (metres).
const LONGEST_EDGE_M: f64 = 5_000.0;
/// Halvings at most (2^16 pieces an edge).
const MAX_HALVINGS: u32 = 16;

fn to_lonlat(c: Coord<f64>) -> Coord<f64> {
    let (x, y) = bng_to_wgs84(c.x, c.y);
    Coord { x, y }
}

/// Appends the converted points of the grid edge `a`–`b` after `a`'s
/// (`ta`, `tb`: `a` and `b` converted), densified where the converted
/// straight edge would leave the true one.
fn densify(
    a: Coord<f64>,
    b: Coord<f64>,
    ta: Coord<f64>,
    tb: Coord<f64>,
    halvings: u32,
    out: &mut Vec<Coord<f64>>,
) {
    if halvings < MAX_HALVINGS {
        let m = Coord {
            x: (a.x + b.x) / 2.0,
            y: (a.y + b.y) / 2.0,
        };
        let tm = to_lonlat(m);
        let long = (b.x - a.x).hypot(b.y - a.y) > LONGEST_EDGE_M;
        let off = (tm.x - (ta.x + tb.x) / 2.0)
            .abs()
            .max((tm.y - (ta.y + tb.y) / 2.0).abs());
        if long || off > TOLERANCE_DEG {
            densify(a, m, ta, tm, halvings + 1, out);
            densify(m, b, tm, tb, halvings + 1, out);
            return;
        }
    }
    out.push(tb);
}

fn line(l: &LineString<f64>) -> LineString<f64> {
    let mut out = Vec::with_capacity(l.0.len());
    let mut prev: Option<(Coord<f64>, Coord<f64>)> = None;
    for &c in &l.0 {
        let tc = to_lonlat(c);
        match prev {
            None => out.push(tc),
            Some((p, tp)) => densify(p, c, tp, tc, 0, &mut out),
        }
        prev = Some((c, tc));
    }
    LineString(out)
}

fn polygon(p: &Polygon<f64>) -> Polygon<f64> {
    Polygon::new(line(p.exterior()), p.interiors().iter().map(line).collect())
}

/// A geometry in British National Grid metres → WGS84 longitude/latitude,
/// its edges (straight in the grid) densified to follow their true course
/// to about a millimetre (see [`OgcCrs::bbox`]). `Err` names a point
/// outside the grid.
pub(crate) fn bng_to_lonlat(g: &Geometry<f64>) -> Result<Geometry<f64>, String> {
    let bng = Crs::BritishNationalGrid;
    if let Some(c) =
        geo::CoordsIter::coords_iter(g).find(|c| !bng.in_range(c.x, c.y) || !c.x.is_finite())
    {
        return Err(format!(
            "the point {} {} is outside the British National Grid ({})",
            c.x,
            c.y,
            bng.range_text()
        ));
    }
    fn convert(g: &Geometry<f64>) -> Geometry<f64> {
        match g {
            Geometry::Point(p) => Geometry::Point(Point(to_lonlat(p.0))),
            Geometry::MultiPoint(m) => Geometry::MultiPoint(MultiPoint(
                m.iter().map(|p| Point(to_lonlat(p.0))).collect(),
            )),
            Geometry::Line(l) => Geometry::LineString(line(&LineString(vec![l.start, l.end]))),
            Geometry::LineString(l) => Geometry::LineString(line(l)),
            Geometry::MultiLineString(m) => {
                Geometry::MultiLineString(MultiLineString(m.iter().map(line).collect()))
            }
            Geometry::Polygon(p) => Geometry::Polygon(polygon(p)),
            Geometry::MultiPolygon(m) => {
                Geometry::MultiPolygon(MultiPolygon(m.iter().map(polygon).collect()))
            }
            Geometry::Rect(r) => Geometry::Polygon(polygon(&r.to_polygon())),
            Geometry::Triangle(t) => Geometry::Polygon(polygon(&t.to_polygon())),
            Geometry::GeometryCollection(c) => {
                Geometry::GeometryCollection(GeometryCollection(c.iter().map(convert).collect()))
            }
        }
    }
    Ok(convert(g))
}
