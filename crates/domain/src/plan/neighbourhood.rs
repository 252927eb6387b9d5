//! One neighbourhood's plan: its communities checked against the criteria,
//! scored, small ones clustered, decisions applied, ranked.

use super::assess::Candidate;
use super::decided::Decided;
use super::model::{round_to, Inputs, NeighbourhoodPlan, NotSuggested, Suggestion, SuggestionKind};
use super::overlay::Overlay;
use super::params::PlanParams;
use super::population::Figure;
use super::voice::VoiceTable;
use super::{cluster, criteria, explain, factors};
use crate::decision::{Applied, DecisionKind};
use feedmap_geography::area::AreaRef;

/// What every step of one neighbourhood's plan needs.
struct Hood<'a> {
    inputs: &'a Inputs<'a>,
    overlay: &'a Overlay,
    h: usize,
    p: &'a PlanParams,
    decided: &'a Decided<'a>,
    voice: Option<&'a VoiceTable<'a>>,
}

/// What became of one community.
enum Outcome {
    /// Suggested on its own.
    Suggested(Box<Suggestion>),
    /// Left out, saying why.
    Left(NotSuggested),
    /// Under `min_population`: a candidate for a cluster.
    Small,
    /// Not looked at (in an accepted cluster, or the neighbourhood is not
    /// large and nobody accepted it).
    Skipped,
}

/// Plans neighbourhood `h`: whether it is large, then each community
/// against the criteria, small ones clustered, decisions applied, ranked.
pub(crate) fn plan_neighbourhood(
    inputs: &Inputs,
    overlay: &Overlay,
    h: usize,
    p: &PlanParams,
    decided: &Decided,
    voice: Option<&VoiceTable>,
) -> NeighbourhoodPlan {
    let hood = Hood {
        inputs,
        overlay,
        h,
        p,
        decided,
        voice,
    };
    let mut plan = hood.outline();
    let comms = &inputs.region.layers[overlay.community_layer];
    let members = &overlay.members[h];
    let my_clusters: Vec<usize> = decided
        .accepted_clusters
        .iter()
        .enumerate()
        .filter(|(_, (_, _, m))| overlay.assigned[m[0]].is_some() && members.contains(&m[0]))
        .map(|(k, _)| k)
        .collect();
    // A neighbourhood that is not large gets no suggestions, except those
    // planners accepted.
    if !plan.large
        && my_clusters.is_empty()
        && !members
            .iter()
            .any(|&c| accepted(decided.of(&comms.areas[c].id)))
    {
        return plan;
    }
    let mut small: Vec<usize> = Vec::new();
    for &c in members {
        match hood.consider(c, plan.large) {
            Outcome::Suggested(s) => plan.suggestions.push(*s),
            Outcome::Left(n) => plan.not_suggested.push(n),
            Outcome::Small => small.push(c),
            Outcome::Skipped => {}
        }
    }
    hood.add_clusters(&mut plan, &small, &my_clusters);
    if p.settlements.is_some() && plan.large {
        super::settle::offer(inputs, overlay, h, p, voice, &mut plan);
    }
    rank(&mut plan);
    plan
}

fn accepted(d: Option<&Applied>) -> bool {
    d.is_some_and(|d| d.decision == DecisionKind::Accept)
}

impl Hood<'_> {
    /// The neighbourhood's own figures, before any community is looked at.
    fn outline(&self) -> NeighbourhoodPlan {
        let (hl, cl) = (
            self.overlay.neighbourhood_layer,
            self.overlay.community_layer,
        );
        let hood = &self.inputs.region.layers[hl].areas[self.h];
        let pops = self.inputs.populations();
        let members = &self.overlay.members[self.h];
        let population = pops.of(hl, self.h);
        let area_km2 = hood.area_m2 / 1e6;
        let large = criteria::is_large(population, area_km2, members.len(), self.p);
        let why = explain::large(population, area_km2, members.len(), large, self.p);
        let member_pops: Vec<Option<Figure>> = members.iter().map(|&c| pops.of(cl, c)).collect();
        let communities_population = member_pops
            .iter()
            .all(Option::is_some)
            .then(|| {
                member_pops
                    .iter()
                    .flatten()
                    .map(|f| f.value)
                    .sum::<f64>()
                    .round()
            })
            .filter(|_| !members.is_empty());
        NeighbourhoodPlan {
            id: hood.id.clone(),
            name: hood.name.clone(),
            population: population.map(|f| f.value.round()),
            population_provenance: population.map(|f| f.provenance),
            communities_population,
            area_km2: round_to(area_km2, 3),
            communities: members.len(),
            large,
            why,
            has_feed: self.inputs.feeds.serves(AreaRef::new(hl, self.h)),
            need: 0.0,
            suggestions: Vec::new(),
            not_suggested: Vec::new(),
            coverage: None,
        }
    }

    /// Community `c` against the criteria: an active feed, a rejection,
    /// containment, size and score each leave it out (the last three not
    /// when a planner accepted it); otherwise it is suggested, explained.
    fn consider(&self, c: usize, large: bool) -> Outcome {
        let (inputs, p) = (self.inputs, self.p);
        let (hl, cl) = (
            self.overlay.neighbourhood_layer,
            self.overlay.community_layer,
        );
        let hood = &inputs.region.layers[hl].areas[self.h];
        let comms = &inputs.region.layers[cl];
        if self.decided.in_accepted_cluster.contains_key(&c) {
            return Outcome::Skipped;
        }
        let area = &comms.areas[c];
        let decision = self.decided.of(&area.id);
        let is_accepted = accepted(decision);
        if !large && !is_accepted {
            return Outcome::Skipped;
        }
        let a = self.overlay.assigned[c].expect("members are assigned");
        let pop = inputs.populations().of(cl, c);
        let not = |why: String| {
            Outcome::Left(NotSuggested {
                id: area.id.clone(),
                name: area.name.clone(),
                population: pop.map(|f| f.value.round()),
                why,
                decision: decision.cloned(),
            })
        };
        let active = inputs.feeds.of_area(AreaRef::new(cl, c));
        if !active.is_empty() {
            let handles: Vec<&str> = active
                .iter()
                .map(|&i| inputs.feeds.feeds[i].fields.handle.as_str())
                .collect();
            return not(format!(
                "already has an active feed ({})",
                handles.join(", ")
            ));
        }
        if let Some(d) = decision.filter(|d| d.decision == DecisionKind::Reject) {
            return not(d.sentence());
        }
        if !is_accepted && a.containment < p.min_containment {
            return not(format!(
                "only {:.0} % of it lies inside {} (min_containment {:.0} %)",
                a.containment * 100.0,
                hood.name,
                p.min_containment * 100.0
            ));
        }
        if !is_accepted && pop.is_some_and(|f| f.value < p.min_population) {
            return Outcome::Small;
        }
        let voice = self
            .voice
            .map(|t| t.candidate(&t.of_communities(&[c]), pop.map(|f| f.value), &area.name));
        let named = voice.as_ref().and_then(|v| v.name());
        let candidate = Candidate {
            population: pop,
            area_m2: area.area_m2,
            perimeter_m: area.perimeter_m,
            shared_m: self.overlay.shared_with(c, |_| true).min(area.perimeter_m),
            centre: self.overlay.centre[c],
            identity: super::voice::identity(
                factors::identity(&area.name, area.identity),
                &area.name,
                named.is_some(),
            ),
            containment: a.containment,
            isolation_m: None,
            voice: voice.as_ref().map(|v| v.factor),
        };
        let (factors, measures, score) =
            candidate.assess(self.overlay.hood_centre[self.h], hood.area_m2, p);
        if !is_accepted && score < p.min_score {
            let (score, min) = explain::score_below(score, p.min_score);
            return not(format!("score {score} is below min_score {min}"));
        }
        let planned_feeds = planned_feeds(inputs, cl, c);
        let reason = explain::decided(
            super::voice::with_voice(
                explain::community(
                    area,
                    pop,
                    &hood.name,
                    &a,
                    &measures,
                    &factors,
                    &planned_feeds,
                    inputs,
                ),
                self.voice,
                voice.as_ref(),
            ),
            decision,
        );
        Outcome::Suggested(Box::new(Suggestion {
            rank: 0,
            id: area.id.clone(),
            kind: SuggestionKind::Community,
            layer: comms.id.clone(),
            name: named.unwrap_or(&area.name).to_string(),
            members: Vec::new(),
            population: pop.map(|f| f.value.round()),
            population_provenance: pop.map(|f| f.provenance),
            score,
            factors,
            measures,
            planned_feeds,
            chosen: false,
            alternative_to: None,
            generated_name: None,
            decision: decision.cloned(),
            reason,
            voice: voice.map(|v| v.note),
            geometry: None,
            raw_population: pop.map_or(0.0, |f| f.value),
        }))
    }

    /// The small communities clustered (or left out as too small), with
    /// planners' decisions on clusters applied, and the clusters planners
    /// accepted.
    fn add_clusters(&self, plan: &mut NeighbourhoodPlan, small: &[usize], my_clusters: &[usize]) {
        let (inputs, overlay, h, p) = (self.inputs, self.overlay, self.h, self.p);
        let cl = overlay.community_layer;
        let comms = &inputs.region.layers[cl];
        let pops = inputs.populations();
        let clustered = if p.clusters {
            cluster::clusters(inputs, overlay, h, small, p, self.voice)
        } else {
            cluster::Clustered {
                suggestions: Vec::new(),
                left: small
                    .iter()
                    .map(|&c| (c, explain::too_small(pops.of(cl, c), None, p)))
                    .collect(),
            }
        };
        for mut s in clustered.suggestions {
            match self.decided.of(&s.id) {
                Some(d) if d.decision == DecisionKind::Reject => {
                    for m in &s.members {
                        plan.not_suggested.push(NotSuggested {
                            id: m.id.clone(),
                            name: m.name.clone(),
                            population: m.population,
                            why: format!("its cluster ({}) was {}", s.name, d.sentence()),
                            decision: Some(d.clone()),
                        });
                    }
                }
                d => {
                    s.reason = explain::decided(std::mem::take(&mut s.reason), d);
                    s.decision = d.cloned();
                    plan.suggestions.push(s);
                }
            }
        }
        for &k in my_clusters {
            let (d, id, members) = &self.decided.accepted_clusters[k];
            let mut s = cluster::suggestion(inputs, overlay, h, members, p, self.voice);
            s.id = id.to_string();
            s.reason = explain::decided(std::mem::take(&mut s.reason), Some(d));
            s.decision = Some((*d).clone());
            plan.suggestions.push(s);
        }
        for (c, why) in clustered.left {
            let area = &comms.areas[c];
            plan.not_suggested.push(NotSuggested {
                id: area.id.clone(),
                name: area.name.clone(),
                population: pops.of(cl, c).map(|f| f.value.round()),
                why,
                decision: None,
            });
        }
    }
}

/// Best score first (then most residents, then id), ranks from 1; the
/// communities left out by id; the need (residents the suggestions would
/// serve, each once).
fn rank(plan: &mut NeighbourhoodPlan) {
    plan.suggestions.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.raw_population.total_cmp(&a.raw_population))
            .then(a.id.cmp(&b.id))
    });
    for (i, s) in plan.suggestions.iter_mut().enumerate() {
        s.rank = i + 1;
    }
    plan.not_suggested.sort_by(|a, b| a.id.cmp(&b.id));
    // A suggestion overlapping a better-ranked one (a settlement and a
    // community it spans) serves the same residents: counted once.
    plan.need = plan
        .suggestions
        .iter()
        .enumerate()
        .filter(|(i, s)| !plan.suggestions[..*i].iter().any(|o| o.overlaps(s)))
        .map(|(_, s)| s.raw_population)
        .sum();
}

/// Planned (not yet active) feeds of an area.
fn planned_feeds(inputs: &Inputs, layer: usize, area: usize) -> Vec<String> {
    inputs
        .feeds
        .feeds
        .iter()
        .filter(|f| {
            f.target == Some(AreaRef::new(layer, area))
                && f.fields.status == crate::feeds::FeedStatus::Planned
        })
        .map(|f| f.feed_id.clone())
        .collect()
}
