//! Feed planning: which communities inside large neighbourhoods deserve a
//! feed of their own, and why.
//!
//! A plan is a pure function of the region and [`PlanParams`]: the
//! parameter-independent groundwork (which neighbourhood holds each
//! community, who borders whom, populations) is computed once per region
//! ([`groundwork`], [`overlay`], [`population`]); [`plan`] then applies the criteria,
//! scores candidates on the explainable [`factors`], merges small adjacent
//! candidates into [`cluster`]s, picks within the budget and measures
//! coverage. Same region and parameters, same plan, byte for byte.

pub mod cluster;
pub mod explain;
pub mod export;
pub mod factors;
pub mod overlay;
pub mod params;
pub mod population;

use crate::decision::{Applied, DecisionKind, Decisions, Target};
use crate::feeds::FeedRegistry;
use crate::manifest::Role;
use crate::region::Region;
use geo::{Distance, Geodesic, MultiPolygon, Point};
use overlay::Overlay;
pub use params::{ParamError, PlanParams};
use population::{Figure, Provenance};
use serde::Serialize;
use std::collections::HashMap;

/// Why a plan could not be made for these parameters.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A parameter is unknown or out of range.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// The region has no layer of a role the plan needs, or the named layer
    /// has another role.
    #[error("{param}: {message}")]
    Layer {
        /// The parameter naming the layer.
        param: &'static str,
        /// What is wrong and which layers would do.
        message: String,
    },
}

/// What a plan is made from: the geography, its groundwork, the feeds in
/// effect and planners' decisions. [`crate::served::Served::plan`] gives
/// one consistent set; tests may assemble their own.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The geography.
    pub region: &'a Region,
    /// The region's groundwork ([`groundwork`]).
    pub planning: &'a Planning,
    /// The feeds in effect.
    pub feeds: &'a FeedRegistry,
    /// Planners' decisions.
    pub decisions: &'a Decisions,
}

impl<'a> Inputs<'a> {
    /// Population of every neighbourhood and community area.
    pub fn populations(&self) -> &'a population::Populations {
        &self.planning.populations
    }

    /// The overlay of neighbourhood layer `hl` and community layer `cl`
    /// (layer indices), if they are such a pair.
    pub fn overlay(&self, hl: usize, cl: usize) -> Option<&'a Overlay> {
        self.planning
            .overlays
            .iter()
            .find(|o| o.neighbourhood_layer == hl && o.community_layer == cl)
    }
}

/// The parameter-independent groundwork of every plan.
#[derive(Debug)]
pub struct Planning {
    /// Population of every neighbourhood and community area, given or
    /// estimated.
    pub populations: population::Populations,
    /// The overlay of every neighbourhood × community layer pair.
    pub overlays: Vec<Overlay>,
}

/// Computes the groundwork of every plan of a region: populations (given
/// or estimated) and the overlay of every neighbourhood × community layer
/// pair. A region does this once, on first use
/// ([`crate::source::Source::planning`]).
pub fn groundwork(
    layers: &[crate::boundary::Layer],
    relations: &crate::relations::Relations,
    points: Option<&[(crate::LatLon, f64)]>,
) -> Planning {
    let populations = population::Populations::compute(layers, points);
    let mut overlays = Vec::new();
    for (hl, hoods) in layers.iter().enumerate() {
        for (cl, comms) in layers.iter().enumerate() {
            if hoods.role == Role::Neighbourhood && comms.role == Role::Community {
                overlays.push(Overlay::compute(
                    hl,
                    hoods,
                    cl,
                    comms,
                    relations,
                    &populations,
                ));
            }
        }
    }
    Planning {
        populations,
        overlays,
    }
}

/// The factors a suggestion is scored on, each 0–1 (see [`factors`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Factors {
    /// Audience: population against `min_population`; `None` when the
    /// population is unknown (the factor then drops out of the score).
    pub size: Option<f64>,
    /// Apartness: unshared boundary and distance from the neighbourhood's
    /// population centre.
    pub separation: f64,
    /// A real place name (1) or a statistical code (0), or an explicit value.
    pub identity: f64,
    /// Polsby–Popper compactness.
    pub compactness: f64,
    /// Share inside the neighbourhood.
    pub containment: f64,
}

/// The measurements behind the factors, for the explanation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Measures {
    /// Geodesic area, km².
    pub area_km2: f64,
    /// Share of the boundary running along other communities of the
    /// neighbourhood (0–1).
    pub shared_boundary: f64,
    /// Distance from the neighbourhood's population centre, km.
    pub centre_distance_km: f64,
}

/// Whether a suggestion is one community or a cluster of small ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SuggestionKind {
    /// One community area.
    Community,
    /// Adjacent small communities sharing one feed.
    Cluster,
}

/// A member of a cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    /// Area id.
    pub id: String,
    /// Area name.
    pub name: String,
    /// Residents, when known.
    pub population: Option<f64>,
}

/// A suggested new feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    /// Rank inside its neighbourhood, from 1.
    pub rank: usize,
    /// The area id, or for a cluster its members' ids joined by `+`.
    pub id: String,
    /// Community or cluster.
    pub kind: SuggestionKind,
    /// The community layer.
    pub layer: String,
    /// Display name (a cluster's lists its members).
    pub name: String,
    /// A cluster's members (empty for a single community).
    pub members: Vec<Member>,
    /// Residents, when known (rounded).
    pub population: Option<f64>,
    /// Given or estimated, and how.
    pub population_provenance: Option<Provenance>,
    /// The weighted mean of the known factors (0–1).
    pub score: f64,
    /// Each factor.
    pub factors: Factors,
    /// The measurements behind them.
    pub measures: Measures,
    /// Planned feeds already set up for the area (it is then `chosen`
    /// without using the budget).
    pub planned_feeds: Vec<String>,
    /// Whether the plan picks it within the budget.
    pub chosen: bool,
    /// A planner's decision about it: accepted ones are chosen without
    /// using the budget, deferred ones are marked.
    pub decision: Option<Applied>,
    /// One plain-English sentence saying why.
    pub reason: String,
    /// A cluster's dissolved boundary (a single community's is the layer's).
    #[serde(skip)]
    pub geometry: Option<MultiPolygon<f64>>,
    #[serde(skip)]
    pub(crate) raw_population: f64,
}

/// A community that was looked at but not suggested, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotSuggested {
    /// Area id.
    pub id: String,
    /// Area name.
    pub name: String,
    /// Residents, when known (rounded).
    pub population: Option<f64>,
    /// Why not, in plain English.
    pub why: String,
    /// The planner's decision when it was rejected (or is otherwise
    /// decided but not suggested).
    pub decision: Option<Applied>,
}

/// Residents by the most local feed that serves them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Coverage {
    /// Served by a community feed.
    pub community: f64,
    /// Served only by their neighbourhood's feed.
    pub neighbourhood_only: f64,
    /// Served by neither (only force-wide feeds).
    pub none: f64,
}

impl Coverage {
    fn add(&mut self, o: &Coverage) {
        self.community += o.community;
        self.neighbourhood_only += o.neighbourhood_only;
        self.none += o.none;
    }

    fn rounded(self) -> Coverage {
        Coverage {
            community: self.community.round(),
            neighbourhood_only: self.neighbourhood_only.round(),
            none: self.none.round(),
        }
    }
}

/// Coverage before and after the plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CoverageChange {
    /// With today's active feeds.
    pub before: Coverage,
    /// With the chosen suggestions (and planned feeds) added.
    pub after: Coverage,
}

/// One neighbourhood's part of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NeighbourhoodPlan {
    /// Area id.
    pub id: String,
    /// Area name.
    pub name: String,
    /// Residents, when known (rounded).
    pub population: Option<f64>,
    /// Given or estimated, and how.
    pub population_provenance: Option<Provenance>,
    /// The sum of its communities' populations (rounded), a check on the
    /// estimates: it should be close to `population`.
    pub communities_population: Option<f64>,
    /// Geodesic area, km².
    pub area_km2: f64,
    /// Communities assigned to it (those it holds most of).
    pub communities: usize,
    /// Whether it is large enough to need more than one feed.
    pub large: bool,
    /// Why it is or is not large.
    pub why: String,
    /// Whether it has an active neighbourhood feed.
    pub has_feed: bool,
    /// Residents its suggestions would newly serve (the ranking key).
    pub need: f64,
    /// Suggestions, best first.
    pub suggestions: Vec<Suggestion>,
    /// Communities looked at and not suggested.
    pub not_suggested: Vec<NotSuggested>,
    /// Its residents by feed, before and after (when its population is
    /// known).
    pub coverage: Option<CoverageChange>,
}

/// How populations were found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PopulationNote {
    /// Whether every neighbourhood and community has a population.
    pub complete: bool,
    /// What estimates came from, if any were made.
    pub estimated_from: Option<String>,
    /// A warning when sizes are unknown.
    pub warning: Option<String>,
}

/// Region-wide totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Neighbourhoods in the layer.
    pub neighbourhoods: usize,
    /// Of them, large.
    pub large_neighbourhoods: usize,
    /// Suggestions made.
    pub suggestions: usize,
    /// Suggestions chosen (new and planned).
    pub chosen: usize,
    /// Residents the chosen suggestions newly serve with a community feed.
    pub newly_served: f64,
    /// Residents by feed, before and after (neighbourhoods with a known
    /// population).
    pub coverage: CoverageChange,
}

/// A decision whose area (or a cluster member) is no longer in the region,
/// after a boundary update: reported, never silently dropped.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vanished {
    /// Community layer id the decision names.
    pub layer: String,
    /// Area or cluster id it names.
    pub area_id: String,
    /// The decision.
    pub decision: Applied,
    /// What is missing.
    pub why: String,
}

/// How planners' decisions entered the plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DecisionsNote {
    /// Decisions about this plan's community layer that marked a
    /// suggestion or a community left out.
    pub applied: usize,
    /// Decisions about this layer that matched nothing in the plan (their
    /// area is in a neighbourhood that is not large, or already has an
    /// active feed).
    pub unmatched: usize,
    /// Decisions whose area is gone from the region.
    pub vanished: Vec<Vanished>,
}

/// A whole plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// Region name.
    pub region: String,
    /// Attribution that must accompany the plan.
    pub attribution: String,
    /// The store generation whose feeds and decisions this plan reflects
    /// (absent for a plan made without a store).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    /// The neighbourhood layer planned.
    pub neighbourhood_layer: String,
    /// The community layer planned.
    pub community_layer: String,
    /// The parameters used (defaults filled in).
    pub params: PlanParams,
    /// How populations were found.
    pub population: PopulationNote,
    /// Totals.
    pub summary: Summary,
    /// Chosen suggestion ids in the order the budget picked them.
    pub chosen: Vec<String>,
    /// Planners' decisions taken into account.
    pub decisions: DecisionsNote,
    /// Every neighbourhood, large ones first, by need.
    pub neighbourhoods: Vec<NeighbourhoodPlan>,
}

/// Rounds for output (adding 0.0 turns a negative zero into zero, so JSON
/// never says `-0.0`).
fn round_to(v: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (v * k).round() / k + 0.0
}

/// The neighbourhood and community layer a plan uses.
fn layers_for(inputs: &Inputs, params: &PlanParams) -> Result<(usize, usize), PlanError> {
    let pick = |param: &'static str, given: &Option<String>, role: Role| {
        let of_role: Vec<&str> = inputs
            .region
            .layers
            .iter()
            .filter(|l| l.role == role)
            .map(|l| l.id.as_str())
            .collect();
        let found = match given {
            Some(id) => inputs.region.layer(id).filter(|(_, l)| l.role == role),
            None => inputs
                .region
                .layers
                .iter()
                .enumerate()
                .find(|(_, l)| l.role == role),
        };
        found.map(|(i, _)| i).ok_or_else(|| PlanError::Layer {
            param,
            message: match given {
                Some(id) => format!(
                    "{id:?} is not a {} layer of this region; {} layers: {}",
                    role.as_str(),
                    role.as_str(),
                    if of_role.is_empty() {
                        "none".into()
                    } else {
                        of_role.join(", ")
                    }
                ),
                None => format!("the region has no {} layer to plan with", role.as_str()),
            },
        })
    };
    Ok((
        pick(
            "neighbourhood_layer",
            &params.neighbourhood_layer,
            Role::Neighbourhood,
        )?,
        pick("community_layer", &params.community_layer, Role::Community)?,
    ))
}

/// Scores a candidate from its factors: the weighted mean of those known.
fn score(f: &Factors, w: &params::Weights) -> f64 {
    let mut sum = w.separation * f.separation
        + w.identity * f.identity
        + w.compactness * f.compactness
        + w.containment * f.containment;
    let mut weight = w.separation + w.identity + w.compactness + w.containment;
    if let Some(size) = f.size {
        sum += w.size * size;
        weight += w.size;
    }
    if weight > 0.0 {
        sum / weight
    } else {
        0.0
    }
}

/// What a plan needs about one candidate (a community or a cluster).
pub(crate) struct Candidate {
    pub population: Option<Figure>,
    pub area_m2: f64,
    pub perimeter_m: f64,
    pub shared_m: f64,
    pub centre: Point<f64>,
    pub identity: f64,
    pub containment: f64,
}

impl Candidate {
    fn assess(
        &self,
        hood_centre: Point<f64>,
        hood_area_m2: f64,
        p: &PlanParams,
    ) -> (Factors, Measures, f64) {
        let f = Factors {
            size: self
                .population
                .map(|pop| factors::size(pop.value, p.min_population)),
            separation: factors::separation(
                self.shared_m,
                self.perimeter_m,
                self.centre,
                hood_centre,
                hood_area_m2,
            ),
            identity: self.identity,
            compactness: factors::compactness(self.area_m2, self.perimeter_m),
            containment: factors::containment(self.containment),
        };
        let m = Measures {
            area_km2: round_to(self.area_m2 / 1e6, 3),
            shared_boundary: round_to(
                if self.perimeter_m > 0.0 {
                    (self.shared_m / self.perimeter_m).clamp(0.0, 1.0)
                } else {
                    0.0
                },
                3,
            ),
            centre_distance_km: round_to(Geodesic.distance(self.centre, hood_centre) / 1e3, 2),
        };
        let s = score(&f, &p.weights);
        let rounded = Factors {
            size: f.size.map(|v| round_to(v, 3)),
            separation: round_to(f.separation, 3),
            identity: round_to(f.identity, 3),
            compactness: round_to(f.compactness, 3),
            containment: round_to(f.containment, 3),
        };
        (rounded, m, round_to(s, 4))
    }
}

/// What the plan needs of the decisions about its community layer.
struct Decided<'a> {
    layer: &'a str,
    decisions: &'a Decisions,
    /// Community index → the accepted cluster (decision key) it belongs to.
    in_accepted_cluster: HashMap<usize, usize>,
    /// Accepted clusters: (decision, member community indices).
    accepted_clusters: Vec<(&'a Applied, &'a str, Vec<usize>)>,
}

impl Decided<'_> {
    fn of(&self, id: &str) -> Option<&Applied> {
        self.decisions.get(self.layer, id).map(|g| &g.applied)
    }
}

/// Makes the plan from `inputs` with `params`, taking planners' decisions
/// into account: an accepted community or cluster is chosen without using
/// the budget (whatever the criteria now say) and counts as served; a
/// rejected one is left out, saying who rejected it and why; a deferred
/// one is suggested as usual, marked. Decisions whose area is gone from
/// the region are listed in `decisions.vanished`.
pub fn plan(inputs: &Inputs, params: &PlanParams) -> Result<Plan, PlanError> {
    let decisions = inputs.decisions;
    let (hl, cl) = layers_for(inputs, params)?;
    let mut note = DecisionsNote::default();
    let mut decided = Decided {
        layer: &inputs.region.layers[cl].id,
        decisions,
        in_accepted_cluster: HashMap::new(),
        accepted_clusters: Vec::new(),
    };
    let mut givens: Vec<_> = decisions.all().collect();
    givens.sort_by_key(|g| g.applied.id);
    for g in givens {
        match crate::decision::resolve(inputs.region, &g.layer, &g.area_id) {
            Err(e) => note.vanished.push(Vanished {
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
    let overlay = inputs
        .overlay(hl, cl)
        .expect("the region computes an overlay for every neighbourhood × community layer pair");
    let hoods = &inputs.region.layers[hl];
    let comms = &inputs.region.layers[cl];
    let pops = inputs.populations();
    let mut out: Vec<NeighbourhoodPlan> = hoods
        .areas
        .iter()
        .enumerate()
        .map(|(h, _)| plan_neighbourhood(inputs, overlay, h, params, &decided))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for n in &out {
        let marks = n.suggestions.iter().filter_map(|s| s.decision.as_ref());
        let left = n.not_suggested.iter().filter_map(|s| s.decision.as_ref());
        seen.extend(marks.chain(left).map(|d| d.id));
    }
    note.applied = seen.len();
    let vanished: std::collections::BTreeSet<i64> =
        note.vanished.iter().map(|v| v.decision.id).collect();
    note.unmatched = decisions
        .of_layer(&comms.id)
        .filter(|g| !seen.contains(&g.applied.id) && !vanished.contains(&g.applied.id))
        .count();
    let chosen = choose(&mut out, params);
    let mut summary = Summary {
        neighbourhoods: out.len(),
        large_neighbourhoods: out.iter().filter(|n| n.large).count(),
        suggestions: out.iter().map(|n| n.suggestions.len()).sum(),
        chosen: 0,
        newly_served: 0.0,
        coverage: CoverageChange::default(),
    };
    for (h, n) in out.iter_mut().enumerate() {
        n.coverage = coverage(inputs, overlay, h, n);
        if let Some(c) = &n.coverage {
            summary.coverage.before.add(&c.before);
            summary.coverage.after.add(&c.after);
        }
        for s in n.suggestions.iter().filter(|s| s.chosen) {
            summary.chosen += 1;
            summary.newly_served += s.raw_population;
        }
        n.need = n.need.round();
    }
    summary.newly_served = summary.newly_served.round();
    summary.coverage.before = summary.coverage.before.rounded();
    summary.coverage.after = summary.coverage.after.rounded();
    out.sort_by(|a, b| {
        b.large
            .cmp(&a.large)
            .then(b.need.total_cmp(&a.need))
            .then(a.id.cmp(&b.id))
    });
    let known = |l: usize, n: usize| (0..n).all(|a| pops.of(l, a).is_some());
    let complete = known(hl, hoods.areas.len()) && known(cl, comms.areas.len());
    let any = (0..comms.areas.len()).any(|a| pops.of(cl, a).is_some());
    let warning = if !any {
        Some(format!(
            "population unknown: layers {:?} and {:?} give none and the region has no population layer or points, so sizes are unknown; the plan uses area, separation, identity, compactness and containment only",
            hoods.id, comms.id
        ))
    } else if !complete {
        Some("some areas have no population; their size factor is left out and they count as 0 residents in coverage".into())
    } else {
        None
    };
    Ok(Plan {
        region: inputs.region.name.clone(),
        attribution: inputs.region.attribution.clone(),
        generation: None,
        neighbourhood_layer: hoods.id.clone(),
        community_layer: comms.id.clone(),
        params: params.clone(),
        population: PopulationNote {
            complete,
            estimated_from: pops.source.clone(),
            warning,
        },
        summary,
        chosen,
        decisions: note,
        neighbourhoods: out,
    })
}

impl Suggestion {
    /// Already decided (a planned feed or an accepted decision): chosen
    /// without using the budget.
    fn settled(&self) -> bool {
        !self.planned_feeds.is_empty()
            || self
                .decision
                .as_ref()
                .is_some_and(|d| d.decision == DecisionKind::Accept)
    }
}

/// Settled ones first, then most residents, best score, smallest id.
fn pick_order(a: &Suggestion, b: &Suggestion) -> std::cmp::Ordering {
    b.settled()
        .cmp(&a.settled())
        .then(b.raw_population.total_cmp(&a.raw_population))
        .then(b.score.total_cmp(&a.score))
        .then(a.id.cmp(&b.id))
}

/// Picks suggestions within the budget. Planned feeds are already decided
/// and use none of it; the rest are taken by residents served, which is
/// optimal here: "at most k overall and at most k per neighbourhood" sets
/// form a matroid, on which the greedy choice maximises the total.
/// Returns the chosen ids in the order they were picked.
fn choose(out: &mut [NeighbourhoodPlan], p: &PlanParams) -> Vec<String> {
    let mut order: Vec<(usize, usize)> = out
        .iter()
        .enumerate()
        .flat_map(|(h, n)| (0..n.suggestions.len()).map(move |s| (h, s)))
        .collect();
    order.sort_by(|&(ha, sa), &(hb, sb)| {
        pick_order(&out[ha].suggestions[sa], &out[hb].suggestions[sb])
    });
    let mut total = 0;
    let mut per = vec![0usize; out.len()];
    let mut picked = Vec::new();
    for (h, s) in order {
        let sug = &mut out[h].suggestions[s];
        if !sug.settled() {
            let fits = p.max_new_feeds.is_none_or(|m| total < m)
                && p.max_new_feeds_per_neighbourhood.is_none_or(|m| per[h] < m);
            if !fits {
                continue;
            }
            total += 1;
            per[h] += 1;
        }
        sug.chosen = true;
        picked.push(sug.id.clone());
    }
    picked
}

/// Residents of neighbourhood `h` by feed, before and after its chosen
/// suggestions. A community's residents count in the neighbourhood it is
/// assigned to; those served by a community feed never exceed the
/// neighbourhood's own population.
fn coverage(
    inputs: &Inputs,
    overlay: &Overlay,
    h: usize,
    n: &NeighbourhoodPlan,
) -> Option<CoverageChange> {
    let (hl, cl) = (overlay.neighbourhood_layer, overlay.community_layer);
    let total = inputs.populations().of(hl, h)?.value;
    let served: f64 = overlay.members[h]
        .iter()
        .filter(|&&c| inputs.feeds.serves(cl, c))
        .filter_map(|&c| inputs.populations().of(cl, c))
        .map(|f| f.value)
        .sum();
    let added: f64 = n
        .suggestions
        .iter()
        .filter(|s| s.chosen)
        .map(|s| s.raw_population)
        .sum();
    let split = |community: f64| {
        let community = community.min(total);
        let rest = total - community;
        if n.has_feed {
            Coverage {
                community,
                neighbourhood_only: rest,
                none: 0.0,
            }
        } else {
            Coverage {
                community,
                neighbourhood_only: 0.0,
                none: rest,
            }
        }
        .rounded()
    };
    Some(CoverageChange {
        before: split(served),
        after: split(served + added),
    })
}

fn plan_neighbourhood(
    inputs: &Inputs,
    overlay: &Overlay,
    h: usize,
    p: &PlanParams,
    decided: &Decided,
) -> NeighbourhoodPlan {
    let (hl, cl) = (overlay.neighbourhood_layer, overlay.community_layer);
    let hood = &inputs.region.layers[hl].areas[h];
    let comms = &inputs.region.layers[cl];
    let pops = inputs.populations();
    let members = &overlay.members[h];
    let population = pops.of(hl, h);
    let area_km2 = hood.area_m2 / 1e6;
    let by_people = population.is_some_and(|f| f.value >= p.large_population);
    let by_area = area_km2 >= p.large_area_km2;
    let large = (by_people || by_area) && members.len() >= 2;
    let why = explain::large(population, area_km2, members.len(), large, p);
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
    let mut plan = NeighbourhoodPlan {
        id: hood.id.clone(),
        name: hood.name.clone(),
        population: population.map(|f| f.value.round()),
        population_provenance: population.map(|f| f.provenance),
        communities_population,
        area_km2: round_to(area_km2, 3),
        communities: members.len(),
        large,
        why,
        has_feed: inputs.feeds.serves(hl, h),
        need: 0.0,
        suggestions: Vec::new(),
        not_suggested: Vec::new(),
        coverage: None,
    };
    let accepted = |d: Option<&Applied>| d.is_some_and(|d| d.decision == DecisionKind::Accept);
    let my_clusters: Vec<usize> = decided
        .accepted_clusters
        .iter()
        .enumerate()
        .filter(|(_, (_, _, m))| overlay.assigned[m[0]].is_some() && members.contains(&m[0]))
        .map(|(k, _)| k)
        .collect();
    // A neighbourhood that is not large gets no suggestions, except those
    // planners accepted.
    if !large
        && my_clusters.is_empty()
        && !members
            .iter()
            .any(|&c| accepted(decided.of(&comms.areas[c].id)))
    {
        return plan;
    }
    let hood_centre = overlay.hood_centre[h];
    let mut small: Vec<usize> = Vec::new();
    for &c in members {
        if decided.in_accepted_cluster.contains_key(&c) {
            continue;
        }
        let area = &comms.areas[c];
        let decision = decided.of(&area.id);
        let is_accepted = accepted(decision);
        if !large && !is_accepted {
            continue;
        }
        let a = overlay.assigned[c].expect("members are assigned");
        let pop = pops.of(cl, c);
        let not = |why: String| NotSuggested {
            id: area.id.clone(),
            name: area.name.clone(),
            population: pop.map(|f| f.value.round()),
            why,
            decision: decision.cloned(),
        };
        let active = inputs.feeds.of_area(cl, c);
        if !active.is_empty() {
            let handles: Vec<&str> = active
                .iter()
                .map(|&i| inputs.feeds.feeds[i].handle.as_str())
                .collect();
            plan.not_suggested.push(not(format!(
                "already has an active feed ({})",
                handles.join(", ")
            )));
            continue;
        }
        if let Some(d) = decision.filter(|d| d.decision == DecisionKind::Reject) {
            plan.not_suggested.push(not(d.sentence()));
            continue;
        }
        if !is_accepted && a.containment < p.min_containment {
            plan.not_suggested.push(not(format!(
                "only {:.0} % of it lies inside {} (min_containment {:.0} %)",
                a.containment * 100.0,
                hood.name,
                p.min_containment * 100.0
            )));
            continue;
        }
        if !is_accepted && pop.is_some_and(|f| f.value < p.min_population) {
            small.push(c);
            continue;
        }
        let candidate = Candidate {
            population: pop,
            area_m2: area.area_m2,
            perimeter_m: area.perimeter_m,
            shared_m: overlay.shared_with(c, |_| true).min(area.perimeter_m),
            centre: overlay.centre[c],
            identity: factors::identity(&area.name, area.identity),
            containment: a.containment,
        };
        let (factors, measures, score) = candidate.assess(hood_centre, hood.area_m2, p);
        if !is_accepted && score < p.min_score {
            plan.not_suggested.push(not(format!(
                "score {score:.2} is below min_score {}",
                p.min_score
            )));
            continue;
        }
        let planned_feeds = planned_feeds(inputs, cl, c);
        let reason = explain::decided(
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
            decision,
        );
        plan.suggestions.push(Suggestion {
            rank: 0,
            id: area.id.clone(),
            kind: SuggestionKind::Community,
            layer: comms.id.clone(),
            name: area.name.clone(),
            members: Vec::new(),
            population: pop.map(|f| f.value.round()),
            population_provenance: pop.map(|f| f.provenance),
            score,
            factors,
            measures,
            planned_feeds,
            chosen: false,
            decision: decision.cloned(),
            reason,
            geometry: None,
            raw_population: pop.map_or(0.0, |f| f.value),
        });
    }
    let clustered = if p.clusters {
        cluster::clusters(inputs, overlay, h, &small, p)
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
        match decided.of(&s.id) {
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
    for &k in &my_clusters {
        let (d, id, members) = &decided.accepted_clusters[k];
        let mut s = cluster::suggestion(inputs, overlay, h, members, p);
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
    plan.need = plan.suggestions.iter().map(|s| s.raw_population).sum();
    plan
}

/// Planned (not yet active) feeds of an area.
fn planned_feeds(inputs: &Inputs, layer: usize, area: usize) -> Vec<String> {
    inputs
        .feeds
        .feeds
        .iter()
        .filter(|f| {
            f.target == Some((layer, area)) && f.status == crate::feeds::FeedStatus::Planned
        })
        .map(|f| f.feed_id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suggestion(id: &str, population: f64, score: f64, planned: bool) -> Suggestion {
        Suggestion {
            rank: 1,
            id: id.into(),
            kind: SuggestionKind::Community,
            layer: "c".into(),
            name: id.into(),
            members: Vec::new(),
            population: Some(population),
            population_provenance: Some(Provenance::Given),
            score,
            factors: Factors {
                size: Some(1.0),
                separation: 1.0,
                identity: 1.0,
                compactness: 1.0,
                containment: 1.0,
            },
            measures: Measures {
                area_km2: 1.0,
                shared_boundary: 0.0,
                centre_distance_km: 1.0,
            },
            planned_feeds: if planned {
                vec!["F".into()]
            } else {
                Vec::new()
            },
            chosen: false,
            decision: None,
            reason: String::new(),
            geometry: None,
            raw_population: population,
        }
    }

    fn hood(id: &str, suggestions: Vec<Suggestion>) -> NeighbourhoodPlan {
        NeighbourhoodPlan {
            id: id.into(),
            name: id.into(),
            population: None,
            population_provenance: None,
            communities_population: None,
            area_km2: 1.0,
            communities: suggestions.len(),
            large: true,
            why: String::new(),
            has_feed: true,
            need: 0.0,
            suggestions,
            not_suggested: Vec::new(),
            coverage: None,
        }
    }

    fn chosen(out: &[NeighbourhoodPlan]) -> Vec<&str> {
        let mut v: Vec<&str> = out
            .iter()
            .flat_map(|n| {
                n.suggestions
                    .iter()
                    .filter(|s| s.chosen)
                    .map(|s| s.id.as_str())
            })
            .collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn the_budget_takes_the_most_residents_within_both_limits() {
        let plan = || {
            vec![
                hood(
                    "A",
                    vec![
                        suggestion("a1", 9_000.0, 0.8, false),
                        suggestion("a2", 8_000.0, 0.9, false),
                        suggestion("a3", 7_000.0, 0.9, true),
                    ],
                ),
                hood("B", vec![suggestion("b1", 5_000.0, 0.99, false)]),
            ]
        };
        let mut out = plan();
        let p = PlanParams {
            max_new_feeds: Some(2),
            ..PlanParams::default()
        };
        let order = choose(&mut out, &p);
        // The planned feed is free and comes first; then the two largest.
        assert_eq!(order, ["a3", "a1", "a2"]);
        assert_eq!(chosen(&out), ["a1", "a2", "a3"]);
        let mut out = plan();
        let p = PlanParams {
            max_new_feeds: Some(2),
            max_new_feeds_per_neighbourhood: Some(1),
            ..PlanParams::default()
        };
        choose(&mut out, &p);
        assert_eq!(chosen(&out), ["a1", "a3", "b1"]);
        let mut out = plan();
        choose(&mut out, &PlanParams::default());
        assert_eq!(chosen(&out), ["a1", "a2", "a3", "b1"]);
    }

    #[test]
    fn unknown_size_drops_out_of_the_score() {
        let w = PlanParams::default().weights;
        let f = Factors {
            size: None,
            separation: 1.0,
            identity: 1.0,
            compactness: 1.0,
            containment: 1.0,
        };
        assert_eq!(score(&f, &w), 1.0);
        let f = Factors {
            size: Some(0.0),
            ..f
        };
        let expected = (w.separation + w.identity + w.compactness + w.containment)
            / (w.size + w.separation + w.identity + w.compactness + w.containment);
        assert!((score(&f, &w) - expected).abs() < 1e-12);
    }
}
