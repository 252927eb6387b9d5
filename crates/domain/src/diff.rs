//! What a boundary redraw does, area by area: which old areas became
//! which new ones, with the share of each old area's ground and residents
//! that each new area receives, the kind of each change, and the postcodes
//! that move.
//!
//! Units: ground in square metres (geodesic), shares as fractions 0–1 of
//! the *old* area (its ground, or its residents), residents as people.
//! Residents come from the region's population source: a `role =
//! "population"` layer spread by overlapping ground (areal weighting), or
//! population points counted where they fall; without either, only ground
//! shares are given.
//!
//! The diff is pure geometry over two [`Layer`]s: it knows nothing of
//! feeds, decisions or the store. Successor proposals built on it live
//! with the releases (`release`).

use crate::plan::population::point_counts;
use feedmap_geography::area::Area;
use feedmap_geography::boundary::Layer;
use feedmap_geography::gazetteer::Postcodes;
use feedmap_geography::lookup::LatLon;
use feedmap_geography::manifest::Role;
use geo::{Area as _, BooleanOps, BoundingRect};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// A piece smaller than this share of both its old and its new area is
/// taken for digitising noise along a shared boundary, not a change.
pub const SLIVER: f64 = 0.005;
/// A piece below this share of both its areas is numerical noise from
/// the boolean operation, dropped before anything is counted.
pub const NOISE: f64 = 1e-4;
/// Two areas whose ground matches to this share both ways are the same
/// ground (generalised files differ by a little along every edge).
pub const SAME_GROUND: f64 = 0.98;
/// A piece counts towards a split or a merger when it holds at least this
/// share of the old area (ground or residents) or of the new area's ground.
pub const SIGNIFICANT: f64 = 0.1;

/// Where residents come from for a diff.
#[derive(Debug, Clone, Copy)]
pub enum Residents<'a> {
    /// Areas with populations (a `role = "population"` layer), spread over
    /// the pieces by overlapping ground.
    Areas(&'a Layer),
    /// Points each standing for some residents.
    Points(&'a [(LatLon, f64)]),
    /// Nothing known: ground shares only.
    Unknown,
}

impl<'a> Residents<'a> {
    /// The region's population source: its first population layer, else
    /// its population points.
    pub fn of(layers: &'a [Layer], points: Option<&'a [(LatLon, f64)]>) -> Residents<'a> {
        match (layers.iter().find(|l| l.role == Role::Population), points) {
            (Some(l), _) => Residents::Areas(l),
            (None, Some(p)) => Residents::Points(p),
            (None, None) => Residents::Unknown,
        }
    }

    fn describe(&self) -> Option<String> {
        match self {
            Residents::Areas(l) => Some(format!("areal weighting of layer {:?}", l.id)),
            Residents::Points(_) => Some("population points".into()),
            Residents::Unknown => None,
        }
    }
}

/// What happened to one area.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Same id, same name, same ground.
    Unchanged,
    /// Same ground under a new id or name.
    Renamed,
    /// One main successor (or predecessor) whose boundary moved.
    Changed,
    /// An old area divided between two or more new ones (or a new area
    /// made mostly from such a part).
    Split,
    /// Two or more old areas joined (or an old area that joined others).
    Merged,
    /// A new area on ground no old area covered.
    Added,
    /// An old area whose ground no new area covers.
    Removed,
}

impl ChangeKind {
    /// The lowercase word used in answers.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Unchanged => "unchanged",
            ChangeKind::Renamed => "renamed",
            ChangeKind::Changed => "changed",
            ChangeKind::Split => "split",
            ChangeKind::Merged => "merged",
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
        }
    }
}

/// Which side of a diff an area is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The generation being replaced.
    Old,
    /// The generation replacing it.
    New,
}

/// One area of either generation and what happened to it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AreaChange {
    /// Old or new.
    pub side: Side,
    /// Area id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What happened to it.
    pub kind: ChangeKind,
    /// Ground, m².
    pub area_m2: f64,
    /// Residents, when the region has a population source.
    pub residents: Option<f64>,
}

/// The ground one old area passes to one new area.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Pair {
    /// Old area id.
    pub from: String,
    /// Old area name.
    pub from_name: String,
    /// New area id.
    pub to: String,
    /// New area name.
    pub to_name: String,
    /// Ground passed, m².
    pub ground_m2: f64,
    /// Share of the old area's ground (0–1).
    pub ground_share: f64,
    /// Share of the new area's ground this makes up (0–1).
    pub share_of_new: f64,
    /// Residents passed.
    pub residents: Option<f64>,
    /// Share of the old area's residents (0–1).
    pub resident_share: Option<f64>,
    /// Postcodes (centroids) in the old area now in the new one.
    pub postcodes: usize,
}

impl Pair {
    /// The share a successor is judged by: residents where known, else
    /// ground.
    pub fn share(&self) -> f64 {
        self.resident_share.unwrap_or(self.ground_share)
    }
}

/// A postcode whose area changes.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PostcodeMove {
    /// Canonical postcode.
    pub postcode: String,
    /// Old area id (`None`: outside every old area).
    pub from: Option<String>,
    /// New area id (`None`: outside every new area).
    pub to: Option<String>,
}

/// A diff between two generations of one layer.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Diff {
    /// Layer id.
    pub layer: String,
    /// Where resident figures come from (`None`: ground shares only).
    pub residents_from: Option<String>,
    /// How many areas of each kind, old and new sides together, in the
    /// order of [`ChangeKind`] (a hash map gave a different order each run).
    pub summary: BTreeMap<ChangeKind, usize>,
    /// Every old area, then every new area.
    pub areas: Vec<AreaChange>,
    /// Every old → new pair that is more than a sliver, old areas in
    /// order, largest share first.
    pub pairs: Vec<Pair>,
    /// Postcodes whose area id changes (empty without a postcode
    /// directory).
    #[serde(skip)]
    pub postcode_moves: Vec<PostcodeMove>,
    /// How many postcodes change area.
    pub postcodes_moved: usize,
}

impl Diff {
    /// Compares `old` with `new` (two generations of one layer).
    /// Intersections run on all cores with a progress bar.
    pub fn compute(
        old: &Layer,
        new: &Layer,
        residents: Residents<'_>,
        postcodes: Option<&Postcodes>,
    ) -> Diff {
        let started = std::time::Instant::now();
        // Every old ∩ new piece with its ground.
        // A piece's ground is its share of the old area's planar (lon/lat)
        // area times the old area's geodesic m²: within one area the
        // planar-to-geodesic scale hardly varies, and a planar measure is
        // indifferent to how a boolean operation winds sliver rings.
        let pieces: Vec<Vec<(usize, geo::MultiPolygon<f64>, f64)>> =
            feedmap_geography::parallel::map_indexed(
                old.areas.len(),
                &format!("comparing {} generations", old.id),
                |i| {
                    let a = &old.areas[i];
                    let planar = a.geometry.unsigned_area();
                    let (min, max) = (a.bbox.min(), a.bbox.max());
                    new.index
                        .in_envelope([min.x, min.y], [max.x, max.y])
                        .into_iter()
                        .filter_map(|j| {
                            let b = &new.areas[j];
                            let g = a.geometry.intersection(&b.geometry);
                            let share = if planar > 0.0 {
                                (g.unsigned_area() / planar).min(1.0)
                            } else {
                                0.0
                            };
                            let m2 = (share * a.area_m2).min(b.area_m2);
                            // Digitising noise far below any real change.
                            let noise = share < NOISE && m2 < NOISE * b.area_m2;
                            (!noise && m2 > 0.0).then_some((j, g, m2))
                        })
                        .collect()
                },
            );
        let flat: Vec<(usize, usize, geo::MultiPolygon<f64>, f64)> = pieces
            .into_iter()
            .enumerate()
            .flat_map(|(i, v)| v.into_iter().map(move |(j, g, m2)| (i, j, g, m2)))
            .collect();
        let piece_residents = pieces_residents(&flat, &old.id, residents);
        let old_residents = per_area(old.areas.len(), flat.iter().map(|p| p.0), &piece_residents);
        let new_residents = per_area(new.areas.len(), flat.iter().map(|p| p.1), &piece_residents);

        // Postcodes: where each centroid was and is.
        let mut moves = Vec::new();
        let mut pair_postcodes: HashMap<(usize, usize), usize> = HashMap::new();
        if let Some(pcs) = postcodes {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for e in pcs.iter().filter(|e| e.terminated.is_none()) {
                old.index.locate_into(&old.areas, e.lon, e.lat, &mut a);
                new.index.locate_into(&new.areas, e.lon, e.lat, &mut b);
                let (from, to) = (a.first().copied(), b.first().copied());
                if let (Some(i), Some(j)) = (from, to) {
                    *pair_postcodes.entry((i, j)).or_default() += 1;
                }
                let id_of = |l: &Layer, k: Option<usize>| k.map(|k| l.areas[k].id.clone());
                let (from, to) = (id_of(old, from), id_of(new, to));
                if from != to {
                    moves.push(PostcodeMove {
                        postcode: e.postcode.clone(),
                        from,
                        to,
                    });
                }
            }
            moves.sort_by(|x, y| x.postcode.cmp(&y.postcode));
        }

        let mut pairs: Vec<(usize, usize, Pair)> = flat
            .iter()
            .zip(&piece_residents)
            .filter_map(|((i, j, _, m2), r)| {
                let (a, b) = (&old.areas[*i], &new.areas[*j]);
                let ground_share = m2 / a.area_m2.max(f64::MIN_POSITIVE);
                let share_of_new = m2 / b.area_m2.max(f64::MIN_POSITIVE);
                let resident_share = match (r, old_residents[*i]) {
                    (Some(r), Some(total)) if total > 0.0 => Some(r / total),
                    _ => None,
                };
                let sliver = ground_share < SLIVER
                    && share_of_new < SLIVER
                    && resident_share.is_none_or(|s| s < SLIVER);
                (!sliver).then(|| {
                    (
                        *i,
                        *j,
                        Pair {
                            from: a.id.clone(),
                            from_name: a.name.clone(),
                            to: b.id.clone(),
                            to_name: b.name.clone(),
                            ground_m2: *m2,
                            ground_share,
                            share_of_new,
                            residents: *r,
                            resident_share,
                            postcodes: pair_postcodes.get(&(*i, *j)).copied().unwrap_or(0),
                        },
                    )
                })
            })
            .collect();
        pairs.sort_by(|x, y| {
            x.0.cmp(&y.0)
                .then(y.2.share().total_cmp(&x.2.share()))
                .then(x.1.cmp(&y.1))
        });

        let areas = classify(old, new, &pairs, &old_residents, &new_residents);
        let mut summary = BTreeMap::new();
        for a in &areas {
            *summary.entry(a.kind).or_default() += 1;
        }
        tracing::info!(
            layer = %old.id,
            old = old.areas.len(),
            new = new.areas.len(),
            pairs = pairs.len(),
            postcodes_moved = moves.len(),
            ms = started.elapsed().as_millis() as u64,
            "generations compared"
        );
        Diff {
            layer: old.id.clone(),
            residents_from: residents.describe(),
            summary,
            areas,
            pairs: pairs.into_iter().map(|p| p.2).collect(),
            postcodes_moved: moves.len(),
            postcode_moves: moves,
        }
    }

    /// The pairs leaving old area `id`, largest share first.
    pub fn successors<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Pair> + 'a {
        self.pairs.iter().filter(move |p| p.from == id)
    }

    /// The pairs arriving in new area `id`.
    pub fn predecessors<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Pair> + 'a {
        self.pairs.iter().filter(move |p| p.to == id)
    }

    /// The change of one area on one side.
    pub fn area(&self, side: Side, id: &str) -> Option<&AreaChange> {
        self.areas.iter().find(|a| a.side == side && a.id == id)
    }
}

/// Residents of every piece, or `None` for each when unknown. Areas with
/// populations give each piece their residents in proportion to the
/// (planar) share of their ground it covers; points count where they
/// fall.
fn pieces_residents(
    pieces: &[(usize, usize, geo::MultiPolygon<f64>, f64)],
    layer: &str,
    residents: Residents<'_>,
) -> Vec<Option<f64>> {
    if pieces.is_empty() {
        return Vec::new();
    }
    match residents {
        Residents::Unknown => vec![None; pieces.len()],
        Residents::Areas(src) => {
            let planar: Vec<f64> = src
                .areas
                .iter()
                .map(|a| a.geometry.unsigned_area())
                .collect();
            feedmap_geography::parallel::map_indexed(
                pieces.len(),
                &format!("counting residents of {layer} changes"),
                |k| {
                    let g = &pieces[k].2;
                    let Some(bbox) = g.bounding_rect() else {
                        return Some(0.0);
                    };
                    let (min, max) = (bbox.min(), bbox.max());
                    let total = src
                        .index
                        .in_envelope([min.x, min.y], [max.x, max.y])
                        .into_iter()
                        .filter(|&s| planar[s] > 0.0)
                        .map(|s| {
                            let a = &src.areas[s];
                            let pop = a.population.unwrap_or(0.0);
                            if pop <= 0.0 {
                                return 0.0;
                            }
                            let share =
                                (a.geometry.intersection(g).unsigned_area() / planar[s]).min(1.0);
                            pop * share
                        })
                        .sum();
                    Some(total)
                },
            )
        }
        Residents::Points(points) => {
            let areas: Vec<Area> = pieces
                .iter()
                .enumerate()
                .map(|(k, (_, _, g, _))| Area::new(k.to_string(), String::new(), g.clone(), None))
                .collect();
            let target = Layer::new(
                &format!("{layer} pieces"),
                "",
                Role::Context,
                PathBuf::new(),
                areas,
            );
            point_counts(points.iter().copied(), &target)
                .into_iter()
                .map(Some)
                .collect()
        }
    }
}

fn per_area(
    n: usize,
    owner: impl Iterator<Item = usize>,
    values: &[Option<f64>],
) -> Vec<Option<f64>> {
    let mut out = vec![None; n];
    for (k, v) in owner.zip(values) {
        if let Some(v) = v {
            *out[k].get_or_insert(0.0) += v;
        }
    }
    out
}

/// Names the change of every old and every new area from the pairs.
fn classify(
    old: &Layer,
    new: &Layer,
    pairs: &[(usize, usize, Pair)],
    old_residents: &[Option<f64>],
    new_residents: &[Option<f64>],
) -> Vec<AreaChange> {
    let significant_out = |p: &Pair| {
        p.ground_share >= SIGNIFICANT || p.resident_share.is_some_and(|s| s >= SIGNIFICANT)
    };
    let significant_in = |p: &Pair| p.share_of_new >= SIGNIFICANT;
    let mut out_of: Vec<Vec<usize>> = vec![Vec::new(); old.areas.len()];
    let mut into: Vec<Vec<usize>> = vec![Vec::new(); new.areas.len()];
    for (k, (i, j, p)) in pairs.iter().enumerate() {
        if significant_out(p) {
            out_of[*i].push(k);
        }
        if significant_in(p) {
            into[*j].push(k);
        }
    }
    let same = |p: &Pair| p.ground_share >= SAME_GROUND && p.share_of_new >= SAME_GROUND;
    let identical = |i: usize, j: usize| {
        let (a, b) = (&old.areas[i], &new.areas[j]);
        a.id == b.id && a.name == b.name
    };
    let old_kind = |i: usize| -> ChangeKind {
        let outs = &out_of[i];
        match outs.as_slice() {
            [] => ChangeKind::Removed,
            [k] => {
                let (_, j, p) = &pairs[*k];
                if same(p) {
                    if identical(i, *j) {
                        ChangeKind::Unchanged
                    } else {
                        ChangeKind::Renamed
                    }
                } else if into[*j].len() > 1 {
                    ChangeKind::Merged
                } else {
                    ChangeKind::Changed
                }
            }
            _ => ChangeKind::Split,
        }
    };
    let old_kinds: Vec<ChangeKind> = (0..old.areas.len()).map(old_kind).collect();
    let new_kind = |j: usize| -> ChangeKind {
        let ins = &into[j];
        match ins.as_slice() {
            [] => ChangeKind::Added,
            [k] => {
                let (i, _, p) = &pairs[*k];
                if same(p) {
                    if identical(*i, j) {
                        ChangeKind::Unchanged
                    } else {
                        ChangeKind::Renamed
                    }
                } else if old_kinds[*i] == ChangeKind::Split {
                    ChangeKind::Split
                } else {
                    ChangeKind::Changed
                }
            }
            _ => ChangeKind::Merged,
        }
    };
    let change = |side: Side, a: &Area, kind: ChangeKind, residents: Option<f64>| AreaChange {
        side,
        id: a.id.clone(),
        name: a.name.clone(),
        kind,
        area_m2: a.area_m2,
        residents,
    };
    old.areas
        .iter()
        .enumerate()
        .map(|(i, a)| change(Side::Old, a, old_kinds[i], old_residents[i]))
        .chain(
            new.areas
                .iter()
                .enumerate()
                .map(|(j, a)| change(Side::New, a, new_kind(j), new_residents[j])),
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use feedmap_geography::area::test_shapes::rect_area;

    fn layer(areas: Vec<Area>) -> Layer {
        Layer::new("l", "l", Role::Community, PathBuf::new(), areas)
    }

    #[test]
    fn kinds_of_change() {
        let mut renamed = rect_area("r2", 2.0, 0.0, 3.0, 1.0);
        renamed.name = "R new".into();
        let old = layer(vec![
            rect_area("same", 0.0, 0.0, 1.0, 1.0),
            rect_area("r", 2.0, 0.0, 3.0, 1.0),
            rect_area("s", 4.0, 0.0, 6.0, 1.0),
            rect_area("m1", 7.0, 0.0, 8.0, 1.0),
            rect_area("m2", 8.0, 0.0, 9.0, 1.0),
            rect_area("gone", 10.0, 0.0, 11.0, 1.0),
        ]);
        let new = layer(vec![
            rect_area("same", 0.0, 0.0, 1.0, 1.0),
            renamed,
            rect_area("s1", 4.0, 0.0, 5.0, 1.0),
            rect_area("s2", 5.0, 0.0, 6.0, 1.0),
            rect_area("m", 7.0, 0.0, 9.0, 1.0),
            rect_area("fresh", 12.0, 0.0, 13.0, 1.0),
        ]);
        let d = Diff::compute(&old, &new, Residents::Unknown, None);
        let kind = |side, id| d.area(side, id).unwrap().kind;
        assert_eq!(kind(Side::Old, "same"), ChangeKind::Unchanged);
        assert_eq!(kind(Side::Old, "r"), ChangeKind::Renamed);
        assert_eq!(kind(Side::New, "r2"), ChangeKind::Renamed);
        assert_eq!(kind(Side::Old, "s"), ChangeKind::Split);
        assert_eq!(kind(Side::New, "s1"), ChangeKind::Split);
        assert_eq!(kind(Side::Old, "m1"), ChangeKind::Merged);
        assert_eq!(kind(Side::New, "m"), ChangeKind::Merged);
        assert_eq!(kind(Side::Old, "gone"), ChangeKind::Removed);
        assert_eq!(kind(Side::New, "fresh"), ChangeKind::Added);
        let s: Vec<_> = d.successors("s").collect();
        assert_eq!(s.len(), 2);
        assert!(
            (s[0].ground_share - 0.5).abs() < 0.01,
            "{}",
            s[0].ground_share
        );
        assert_eq!(d.successors("gone").count(), 0);
    }

    #[test]
    fn residents_decide_shares_where_known() {
        // The old area splits in two halves of ground, but all three
        // residents live in the western half.
        let old = layer(vec![rect_area("a", 0.0, 0.0, 2.0, 1.0)]);
        let new = layer(vec![
            rect_area("w", 0.0, 0.0, 1.0, 1.0),
            rect_area("e", 1.0, 0.0, 2.0, 1.0),
        ]);
        let points = [
            (LatLon { lat: 0.5, lon: 0.2 }, 1.0),
            (LatLon { lat: 0.5, lon: 0.5 }, 2.0),
        ];
        let d = Diff::compute(&old, &new, Residents::Points(&points), None);
        let w = d.successors("a").next().unwrap();
        assert_eq!(w.to, "w");
        assert_eq!(w.resident_share, Some(1.0));
        assert!((w.ground_share - 0.5).abs() < 0.01);
        assert_eq!(d.area(Side::Old, "a").unwrap().residents, Some(3.0));
    }
}
