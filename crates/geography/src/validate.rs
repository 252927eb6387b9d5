//! Validation of boundary input: the problem report, and the geometry checks
//! that turn raw rings into trusted polygons.
//!
//! Loading is all-or-nothing: every problem in every file is collected and
//! reported together (so a user fixes a file once, not once per error), and a
//! region with any problem is not built at all.

use crate::crs::Crs;
use geo::{Coord, LineString, Polygon};
use rstar::{RTree, RTreeObject, AABB};
use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

/// The kinds of bad input feedmap recognises. Stable snake_case names appear
/// in the `validate` report and in tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The file cannot be opened or parsed at all.
    UnreadableFile,
    /// A feature has no usable id.
    MissingId,
    /// Two features of a layer share an id.
    DuplicateId,
    /// A feature has no usable name.
    MissingName,
    /// A feature's geometry is missing or not a Polygon/MultiPolygon.
    NonPolygonGeometry,
    /// A ring has fewer than four positions.
    TooFewPoints,
    /// A ring's last position differs from its first.
    UnclosedRing,
    /// A coordinate is NaN or infinite.
    NonFiniteCoordinate,
    /// A coordinate is outside the valid range of its CRS.
    CoordinateOutOfRange,
    /// A ring crosses itself or doubles back along itself.
    SelfIntersection,
    /// The file declares a CRS feedmap does not know, or disagrees with the
    /// manifest.
    UnknownCrs,
    /// A property has the wrong JSON type (e.g. a name that is an object).
    WrongPropertyType,
    /// A population is negative or not a number.
    InvalidPopulation,
    /// A CSV lacks a column the manifest or format requires.
    MissingColumn,
    /// A feed names a layer the region does not have (or a context layer).
    UnknownLayer,
    /// A feed names an area its layer does not have.
    UnknownArea,
    /// A feed's platform is not a lowercase word.
    BadPlatform,
    /// A feed's URL is not an absolute http(s) URL.
    BadUrl,
    /// A feed has an empty handle.
    MissingHandle,
    /// A feed's status is not `active` or `planned`.
    BadStatus,
    /// A postcode is not in UK postcode format.
    InvalidPostcode,
    /// A cell is not what its column holds (a date, a count, a word from
    /// a fixed list).
    BadValue,
    /// A row names a feed (by id or handle) the region does not have.
    UnknownFeed,
}

impl ProblemKind {
    /// The snake_case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::UnreadableFile => "unreadable_file",
            ProblemKind::MissingId => "missing_id",
            ProblemKind::DuplicateId => "duplicate_id",
            ProblemKind::MissingName => "missing_name",
            ProblemKind::NonPolygonGeometry => "non_polygon_geometry",
            ProblemKind::TooFewPoints => "too_few_points",
            ProblemKind::UnclosedRing => "unclosed_ring",
            ProblemKind::NonFiniteCoordinate => "non_finite_coordinate",
            ProblemKind::CoordinateOutOfRange => "coordinate_out_of_range",
            ProblemKind::SelfIntersection => "self_intersection",
            ProblemKind::UnknownCrs => "unknown_crs",
            ProblemKind::WrongPropertyType => "wrong_property_type",
            ProblemKind::InvalidPopulation => "invalid_population",
            ProblemKind::MissingColumn => "missing_column",
            ProblemKind::UnknownLayer => "unknown_layer",
            ProblemKind::UnknownArea => "unknown_area",
            ProblemKind::BadPlatform => "bad_platform",
            ProblemKind::BadUrl => "bad_url",
            ProblemKind::MissingHandle => "missing_handle",
            ProblemKind::BadStatus => "bad_status",
            ProblemKind::InvalidPostcode => "invalid_postcode",
            ProblemKind::BadValue => "bad_value",
            ProblemKind::UnknownFeed => "unknown_feed",
        }
    }
}

/// One problem found in the input: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// The file the problem is in.
    pub file: PathBuf,
    /// The manifest layer the file belongs to, or the manifest table in
    /// brackets (`[feeds]`, `[postcodes]`, `[addresses]`).
    pub layer: String,
    /// 0-based index of the feature (GeoJSON feature / KML placemark), when
    /// the problem is about one feature.
    pub feature: Option<usize>,
    /// 1-based line number in a CSV file (the header is line 1), when the
    /// problem is about one row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// The feature's id, when it has one.
    pub id: Option<String>,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// Human explanation, with the fix where one is obvious.
    pub detail: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.layer.starts_with('[') {
            // A manifest table such as `[feeds]` rather than a layer.
            write!(f, " {}", self.layer)?;
        } else {
            write!(f, " [layer {}]", self.layer)?;
        }
        if let Some(i) = self.feature {
            write!(f, " feature #{i}")?;
        }
        if let Some(r) = self.row {
            write!(f, " line {r}")?;
        }
        if let Some(id) = &self.id {
            write!(f, " (id {id:?})")?;
        }
        write!(f, ": {}: {}", self.kind.as_str(), self.detail)
    }
}

/// Problems as report lines, like ones grouped: where a file has more than
/// five problems of one kind, the first three are shown and one line
/// counts the rest, so a table with a mistake on every row reads as a
/// few lines, not thousands. Groups keep the order of their first problem.
pub fn grouped(problems: &[Problem]) -> Vec<String> {
    const SHOWN: usize = 3;
    type Key<'a> = (&'a std::path::Path, &'a str, ProblemKind);
    let mut groups: Vec<(Key, Vec<&Problem>)> = Vec::new();
    for p in problems {
        let key = (p.file.as_path(), p.layer.as_str(), p.kind);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(p),
            None => groups.push((key, vec![p])),
        }
    }
    let mut out = Vec::new();
    for ((file, layer, kind), list) in groups {
        if list.len() <= SHOWN + 2 {
            out.extend(list.iter().map(|p| p.to_string()));
            continue;
        }
        out.extend(list[..SHOWN].iter().map(|p| p.to_string()));
        out.push(format!(
            "{} {}: … and {} more {} problems like these",
            file.display(),
            if layer.starts_with('[') {
                layer.to_string()
            } else {
                format!("[layer {layer}]")
            },
            list.len() - SHOWN,
            kind.as_str()
        ));
    }
    out
}

/// `value` quoted for a message, in at most about 100 characters: a longer
/// value is cut after 60 (escaped) characters and its length given, so a
/// 2 MB cell is never echoed back whole.
pub fn quoted(value: &str) -> String {
    const KEEP: usize = 60;
    let mut out = String::from("\"");
    let mut shown = 0;
    for c in value.chars() {
        let escaped: String = c.escape_debug().collect();
        if shown + escaped.chars().count() > KEEP {
            out.push_str("\"…");
            return format!("{out} ({} characters)", value.chars().count());
        }
        shown += escaped.chars().count();
        out.push_str(&escaped);
    }
    out.push('"');
    out
}

/// Where a problem is, carried while checking one feature.
#[derive(Debug, Clone)]
pub struct Site {
    /// The file.
    pub file: PathBuf,
    /// The layer id.
    pub layer: String,
    /// The feature index, if any.
    pub feature: Option<usize>,
    /// The feature id, once known.
    pub id: Option<String>,
}

impl Problem {
    /// A problem about one CSV row.
    pub fn at_row(
        file: &std::path::Path,
        layer: &str,
        row: usize,
        id: Option<&str>,
        kind: ProblemKind,
        detail: impl Into<String>,
    ) -> Problem {
        Problem {
            file: file.to_path_buf(),
            layer: layer.to_string(),
            feature: None,
            row: Some(row),
            id: id.map(str::to_string),
            kind,
            detail: detail.into(),
        }
    }
}

impl Site {
    /// Builds a problem at this site.
    pub fn problem(&self, kind: ProblemKind, detail: impl Into<String>) -> Problem {
        Problem {
            file: self.file.clone(),
            layer: self.layer.clone(),
            feature: self.feature,
            row: None,
            id: self.id.clone(),
            kind,
            detail: detail.into(),
        }
    }
}

/// A raw ring as read from a file, in the file's CRS.
pub type RawRing = Vec<[f64; 2]>;
/// A raw polygon: exterior ring first, then holes.
pub type RawPolygon = Vec<RawRing>;

/// Outcome of checking one raw polygon.
pub enum CheckedPolygon {
    /// The polygon is valid (converted to WGS84).
    Valid(Polygon<f64>),
    /// The polygon had self-intersecting rings; the converted (still
    /// invalid) polygon is returned so the caller may repair it.
    SelfIntersecting(Polygon<f64>, Vec<String>),
    /// The polygon is usable but a ring touches itself at a vertex; the
    /// strings describe where, for a warning.
    Touching(Polygon<f64>, Vec<String>),
}

/// Checks one raw polygon's rings (length, closure, finiteness, range, then
/// self-intersection in WGS84) and converts it. Structural problems are
/// pushed to `problems` and yield `None`.
pub fn check_polygon(
    raw: &RawPolygon,
    poly_index: usize,
    crs: Crs,
    site: &Site,
    problems: &mut Vec<Problem>,
) -> Option<CheckedPolygon> {
    let before = problems.len();
    if raw.is_empty() {
        problems.push(site.problem(
            ProblemKind::TooFewPoints,
            format!("polygon {poly_index} has no rings"),
        ));
        return None;
    }
    for (r, ring) in raw.iter().enumerate() {
        let what = ring_name(poly_index, r);
        if let Some((k, p)) = ring
            .iter()
            .enumerate()
            .find(|(_, p)| !p[0].is_finite() || !p[1].is_finite())
        {
            problems.push(site.problem(
                ProblemKind::NonFiniteCoordinate,
                format!(
                    "{what} position {k} is ({}, {}): coordinates must be finite numbers",
                    p[0], p[1]
                ),
            ));
            continue;
        }
        if let Some((k, p)) = ring
            .iter()
            .enumerate()
            .find(|(_, p)| !crs.in_range(p[0], p[1]))
        {
            let hint = if crs == Crs::Wgs84 && p[0].abs() > 1000.0 {
                " (this looks like British National Grid metres: declare the file's crs, or set crs = \"EPSG:27700\" on the layer)"
            } else {
                ""
            };
            problems.push(site.problem(
                ProblemKind::CoordinateOutOfRange,
                format!(
                    "{what} position {k} is ({}, {}), outside {} {}{hint}",
                    p[0],
                    p[1],
                    crs.name(),
                    crs.range_text()
                ),
            ));
            continue;
        }
        if ring.len() < 4 {
            problems.push(site.problem(
                ProblemKind::TooFewPoints,
                format!(
                    "{what} has {} positions; a closed ring needs at least 4",
                    ring.len()
                ),
            ));
            continue;
        }
        if ring.first() != ring.last() {
            problems.push(site.problem(
                ProblemKind::UnclosedRing,
                format!("{what} is not closed: its last position must repeat the first"),
            ));
        }
    }
    if problems.len() > before {
        return None;
    }
    let rings: Vec<LineString<f64>> = raw
        .iter()
        .map(|ring| {
            ring.iter()
                .map(|p| {
                    let (x, y) = crs.to_wgs84(p[0], p[1]);
                    Coord { x, y }
                })
                .collect::<Vec<_>>()
                .into()
        })
        .collect();
    let (mut crossings, mut touches) = (Vec::new(), Vec::new());
    for (r, ring) in rings.iter().enumerate() {
        match ring_self_intersection(&ring.0) {
            Some(SelfContact::Crossing(a, b)) => crossings.push(format!(
                "{} crosses itself (segments {a} and {b})",
                ring_name(poly_index, r)
            )),
            Some(SelfContact::Touch(a, b)) => touches.push(format!(
                "{} touches itself at a vertex (segments {a} and {b}); accepted",
                ring_name(poly_index, r)
            )),
            None => {}
        }
    }
    let mut rings = rings.into_iter();
    let exterior = rings.next().expect("checked non-empty");
    let polygon = Polygon::new(exterior, rings.collect());
    Some(if !crossings.is_empty() {
        CheckedPolygon::SelfIntersecting(polygon, crossings)
    } else if !touches.is_empty() {
        CheckedPolygon::Touching(polygon, touches)
    } else {
        CheckedPolygon::Valid(polygon)
    })
}

fn ring_name(poly_index: usize, ring_index: usize) -> String {
    if ring_index == 0 {
        format!("polygon {poly_index} exterior ring")
    } else {
        format!("polygon {poly_index} hole {ring_index}")
    }
}

struct Segment {
    index: usize,
    a: Coord<f64>,
    b: Coord<f64>,
}

impl RTreeObject for Segment {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_corners([self.a.x, self.a.y], [self.b.x, self.b.y])
    }
}

/// How a ring meets itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelfContact {
    /// Two segments cross at a point inside both, or overlap along a line
    /// (a spike): the ring is invalid and lookups near it are unreliable.
    Crossing(usize, usize),
    /// The ring only touches itself at a vertex (e.g. a loop that returns to
    /// a point it passed before). Common in published ONS boundaries and
    /// harmless for point lookup and area, so it is accepted with a note.
    Touch(usize, usize),
}

/// Finds where a closed ring meets itself, preferring a crossing over a
/// touch. Uses an R-tree over the segments, so it is O(n log n) rather than
/// the O(n²) of a pairwise scan: full-resolution boundaries have rings of
/// tens of thousands of points. Repeated consecutive positions are skipped,
/// since they are harmless. Indexes are positions in the input ring.
pub fn ring_self_intersection(ring: &[Coord<f64>]) -> Option<SelfContact> {
    let mut pts: Vec<(usize, Coord<f64>)> = Vec::with_capacity(ring.len());
    for (i, &c) in ring.iter().enumerate() {
        if pts.last().map(|(_, p)| *p != c).unwrap_or(true) {
            pts.push((i, c));
        }
    }
    let n = pts.len().saturating_sub(1); // number of segments in the closed ring
    if n < 3 {
        return None;
    }
    let segments: Vec<Segment> = (0..n)
        .map(|k| Segment {
            index: k,
            a: pts[k].1,
            b: pts[k + 1].1,
        })
        .collect();
    let orig = |k: usize| pts[k].0;
    let mut touch = None;
    // Records a touch, or stops at the first crossing.
    let mut visit = |s: &Segment, t: &Segment| -> Option<SelfContact> {
        match classify(s, t, n)? {
            SelfContact::Crossing(..) => Some(SelfContact::Crossing(orig(s.index), orig(t.index))),
            SelfContact::Touch(..) => {
                touch.get_or_insert(SelfContact::Touch(orig(s.index), orig(t.index)));
                None
            }
        }
    };
    if n <= 32 {
        // Small rings: a pairwise scan is cheaper than building an R-tree.
        for (k, s) in segments.iter().enumerate() {
            for t in &segments[k + 1..] {
                if let Some(crossing) = visit(s, t) {
                    return Some(crossing);
                }
            }
        }
    } else {
        let tree = RTree::bulk_load(segments);
        for s in tree.iter() {
            for t in tree.locate_in_envelope_intersecting(&s.envelope()) {
                if t.index > s.index {
                    if let Some(crossing) = visit(s, t) {
                        return Some(crossing);
                    }
                }
            }
        }
    }
    touch
}

/// How segments `s` and `t` (`s` first along the ring, which has `n`
/// segments) meet. Adjacent segments always share their common vertex; that
/// alone is not contact.
fn classify(s: &Segment, t: &Segment, n: usize) -> Option<SelfContact> {
    let adjacent = t.index == s.index + 1 || (s.index == 0 && t.index == n - 1);
    let line_s = geo::Line::new(s.a, s.b);
    let line_t = geo::Line::new(t.a, t.b);
    match geo::algorithm::line_intersection::line_intersection(line_s, line_t)? {
        geo::LineIntersection::SinglePoint { .. } if adjacent => None,
        geo::LineIntersection::SinglePoint {
            is_proper: false, ..
        } => Some(SelfContact::Touch(s.index, t.index)),
        _ => Some(SelfContact::Crossing(s.index, t.index)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coords(pts: &[(f64, f64)]) -> Vec<Coord<f64>> {
        pts.iter().map(|&(x, y)| Coord { x, y }).collect()
    }

    #[test]
    fn square_is_simple() {
        let r = coords(&[(0., 0.), (1., 0.), (1., 1.), (0., 1.), (0., 0.)]);
        assert_eq!(ring_self_intersection(&r), None);
    }

    #[test]
    fn bowtie_crosses() {
        let r = coords(&[(0., 0.), (1., 1.), (1., 0.), (0., 1.), (0., 0.)]);
        assert!(matches!(
            ring_self_intersection(&r),
            Some(SelfContact::Crossing(..))
        ));
    }

    #[test]
    fn spike_back_along_an_edge_is_a_crossing() {
        let r = coords(&[(0., 0.), (2., 0.), (1., 0.), (1., 1.), (0., 0.)]);
        assert!(matches!(
            ring_self_intersection(&r),
            Some(SelfContact::Crossing(..))
        ));
    }

    #[test]
    fn loop_back_to_a_vertex_is_a_touch() {
        // The shape found in real ONS LSOAs: a small loop returning to the
        // ring's start vertex before the ring goes on.
        let r = coords(&[
            (0., 0.),
            (-1., 0.),
            (0., -1.),
            (0., 0.),
            (2., 0.),
            (2., 2.),
            (0., 2.),
            (0., 0.),
        ]);
        assert!(matches!(
            ring_self_intersection(&r),
            Some(SelfContact::Touch(..))
        ));
    }

    #[test]
    fn repeated_points_are_harmless() {
        let r = coords(&[(0., 0.), (1., 0.), (1., 0.), (1., 1.), (0., 1.), (0., 0.)]);
        assert_eq!(ring_self_intersection(&r), None);
    }
}
