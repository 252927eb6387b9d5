//! Planners' decisions as the plan applies them: resolved against the
//! region (decisions whose area is gone are reported, never dropped) and
//! indexed for the community layer planned.

use super::model::{DecisionsNote, Inputs, NeighbourhoodPlan, Vanished};
use crate::decision::{Applied, DecisionKind, Decisions, Target};
use std::collections::{BTreeSet, HashMap};

/// What the plan needs of the decisions about its community layer.
pub(crate) struct Decided<'a> {
    pub layer: &'a str,
    pub decisions: &'a Decisions,
    /// Community index → the accepted cluster (decision key) it belongs to.
    pub in_accepted_cluster: HashMap<usize, usize>,
    /// Accepted clusters: (decision, member community indices).
    pub accepted_clusters: Vec<(&'a Applied, &'a str, Vec<usize>)>,
}

impl Decided<'_> {
    pub fn of(&self, id: &str) -> Option<&Applied> {
        self.decisions.get(self.layer, id).map(|g| &g.applied)
    }
}

impl<'a> Decided<'a> {
    /// The decisions of `inputs` about community layer `cl`, resolved
    /// against the region; and those whose area (or a cluster member) is
    /// gone, in id order.
    pub fn new(inputs: &Inputs<'a>, cl: usize) -> (Decided<'a>, Vec<Vanished>) {
        let decisions: &'a Decisions = inputs.decisions;
        let mut vanished = Vec::new();
        let mut decided = Decided {
            layer: &inputs.region.layers[cl].id,
            decisions,
            in_accepted_cluster: HashMap::new(),
            accepted_clusters: Vec::new(),
        };
        let mut givens: Vec<_> = decisions.all().collect();
        givens.sort_by_key(|g| g.applied.id);
        for g in givens {
            // Decisions about feeds and settlements are not about a layer's
            // areas; a settlement's is gone when the settlement is.
            if g.layer.starts_with('@') {
                let settlements = &inputs.planning.settlements;
                if g.layer == crate::decision::SETTLEMENTS_LAYER
                    && settlements.by_id(&g.area_id).is_none()
                {
                    vanished.push(Vanished {
                        layer: g.layer.clone(),
                        area_id: g.area_id.clone(),
                        decision: g.applied.clone(),
                        why: format!(
                            "settlement {:?} is no longer found in the region's residential points",
                            g.area_id
                        ),
                    });
                }
                continue;
            }
            match crate::decision::resolve(inputs.region, &g.layer, &g.area_id) {
                Err(e) => vanished.push(Vanished {
                    layer: g.layer.clone(),
                    area_id: g.area_id.clone(),
                    decision: g.applied.clone(),
                    why: e.to_string(),
                }),
                Ok(Target::Cluster(l, members))
                    if l == cl && g.applied.decision == DecisionKind::Accept =>
                {
                    let k = decided.accepted_clusters.len();
                    for &m in &members {
                        decided.in_accepted_cluster.entry(m).or_insert(k);
                    }
                    decided
                        .accepted_clusters
                        .push((&g.applied, g.area_id.as_str(), members));
                }
                Ok(_) => {}
            }
        }
        (decided, vanished)
    }

    /// How the decisions entered the plan `out`: how many marked a
    /// suggestion or a community left out, how many matched nothing, and
    /// the vanished ones.
    pub fn note(&self, out: &[NeighbourhoodPlan], vanished: Vec<Vanished>) -> DecisionsNote {
        let mut seen = BTreeSet::new();
        for n in out {
            let marks = n.suggestions.iter().filter_map(|s| s.decision.as_ref());
            let left = n.not_suggested.iter().filter_map(|s| s.decision.as_ref());
            seen.extend(marks.chain(left).map(|d| d.id));
        }
        let gone: BTreeSet<i64> = vanished.iter().map(|v| v.decision.id).collect();
        DecisionsNote {
            applied: seen.len(),
            unmatched: self
                .decisions
                .of_layer(self.layer)
                .filter(|g| !seen.contains(&g.applied.id) && !gone.contains(&g.applied.id))
                .count(),
            vanished,
        }
    }
}

/// Shows planners' names: a suggestion whose decision renamed it takes
/// that name, keeping the plan's own as `generated_name`. The one place
/// names are applied, after every suggestion has its decision.
pub(crate) fn apply_names(out: &mut [NeighbourhoodPlan]) {
    for s in out.iter_mut().flat_map(|n| n.suggestions.iter_mut()) {
        if let Some(name) = s.decision.as_ref().and_then(|d| d.name.clone()) {
            s.generated_name = Some(std::mem::replace(&mut s.name, name));
        }
    }
}
