//! Parent/child relations between layers: which communities lie in which
//! neighbourhood, and how much of each.
//!
//! Computed once on load because planning asks the question for every
//! community. Areas come from independently generalised datasets, so their
//! shared boundaries rarely coincide exactly; intersections smaller than
//! [`RelationConfig::min_share`] of the child are treated as slivers of that
//! mismatch and dropped.

use crate::boundary::Layer;
use crate::manifest::Role;
use serde::Serialize;

/// Tuning for relation computation.
#[derive(Debug, Clone, Copy)]
pub struct RelationConfig {
    /// Smallest share of a child's area that counts as "inside" a parent
    /// (default 0.005, i.e. 0.5 %: below that it is a generalisation sliver).
    pub min_share: f64,
}

impl Default for RelationConfig {
    fn default() -> Self {
        RelationConfig { min_share: 0.005 }
    }
}

/// The relations between one parent layer and one child layer, computed on
/// all cores and returned in child order, so the output is the same on any
/// machine.
fn pair_relations(
    pl: usize,
    parent: &Layer,
    cl: usize,
    child: &Layer,
    config: RelationConfig,
) -> Vec<Relation> {
    crate::parallel::map_indexed(
        child.areas.len(),
        &format!("relating {} to {}", child.id, parent.id),
        |ca| {
            let mut out = Vec::new();
            relate_one(pl, parent, cl, child, ca, config, &mut out);
            out
        },
    )
    .concat()
}

fn relate_one(
    pl: usize,
    parent: &Layer,
    cl: usize,
    child: &Layer,
    ca: usize,
    config: RelationConfig,
    out: &mut Vec<Relation>,
) {
    let c = &child.areas[ca];
    let min = [c.bbox.min().x, c.bbox.min().y];
    let max = [c.bbox.max().x, c.bbox.max().y];
    for pa in parent.index.in_envelope(min, max) {
        let p = &parent.areas[pa];
        let m2 = crate::boundary::overlap_m2(&c.geometry, &p.geometry);
        let share_of_child = if c.area_m2 > 0.0 { m2 / c.area_m2 } else { 0.0 };
        if share_of_child < config.min_share {
            continue;
        }
        out.push(Relation {
            parent_layer: pl,
            parent_area: pa,
            child_layer: cl,
            child_area: ca,
            intersection_m2: m2,
            share_of_child: share_of_child.min(1.0),
            share_of_parent: if p.area_m2 > 0.0 {
                (m2 / p.area_m2).min(1.0)
            } else {
                0.0
            },
        });
    }
}

/// One parent/child overlap.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Relation {
    /// Parent layer index (a neighbourhood layer).
    pub parent_layer: usize,
    /// Parent area index in its layer.
    pub parent_area: usize,
    /// Child layer index (a community layer).
    pub child_layer: usize,
    /// Child area index in its layer.
    pub child_area: usize,
    /// Geodesic area of the overlap, m².
    pub intersection_m2: f64,
    /// Share of the child's area inside the parent (0–1): *containment*.
    pub share_of_child: f64,
    /// Share of the parent's area the child covers (0–1).
    pub share_of_parent: f64,
}

/// All relations of a region, with per-area lookups.
#[derive(Debug, Default)]
pub struct Relations {
    /// Every relation, ordered by parent layer, child layer, child, parent.
    pub all: Vec<Relation>,
    parents: Vec<Vec<Vec<u32>>>,
    children: Vec<Vec<Vec<u32>>>,
}

impl Relations {
    /// Computes the relations between every neighbourhood layer and every
    /// community layer of `layers`.
    pub fn compute(layers: &[Layer], config: RelationConfig) -> Relations {
        let mut all = Vec::new();
        for (pl, parent) in layers.iter().enumerate() {
            if parent.role != Role::Neighbourhood {
                continue;
            }
            for (cl, child) in layers.iter().enumerate() {
                if child.role != Role::Community {
                    continue;
                }
                all.extend(pair_relations(pl, parent, cl, child, config));
            }
        }
        let mut parents: Vec<Vec<Vec<u32>>> = layers
            .iter()
            .map(|l| vec![Vec::new(); l.areas.len()])
            .collect();
        let mut children = parents.clone();
        for (i, r) in all.iter().enumerate() {
            parents[r.child_layer][r.child_area].push(i as u32);
            children[r.parent_layer][r.parent_area].push(i as u32);
        }
        Relations {
            all,
            parents,
            children,
        }
    }

    /// The relations in which an area is the child, largest share first.
    pub fn parents_of(&self, layer: usize, area: usize) -> Vec<&Relation> {
        self.sorted(&self.parents, layer, area, |r| r.share_of_child)
    }

    /// The relations in which an area is the parent, largest share first.
    pub fn children_of(&self, layer: usize, area: usize) -> Vec<&Relation> {
        self.sorted(&self.children, layer, area, |r| r.share_of_parent)
    }

    /// The parent holding most of a child (the neighbourhood a community is
    /// assigned to), if any.
    pub fn primary_parent(&self, layer: usize, area: usize) -> Option<&Relation> {
        self.parents_of(layer, area).into_iter().next()
    }

    fn sorted(
        &self,
        table: &[Vec<Vec<u32>>],
        layer: usize,
        area: usize,
        key: impl Fn(&Relation) -> f64,
    ) -> Vec<&Relation> {
        let mut out: Vec<&Relation> = table
            .get(layer)
            .and_then(|l| l.get(area))
            .map(|ids| ids.iter().map(|&i| &self.all[i as usize]).collect())
            .unwrap_or_default();
        out.sort_by(|a, b| key(b).total_cmp(&key(a)));
        out
    }
}
