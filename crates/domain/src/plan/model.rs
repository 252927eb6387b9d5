//! The plan's data: what a plan is made from ([`Inputs`], [`Planning`])
//! and what it answers ([`Plan`] and its parts), with no behaviour beyond
//! small accessors. Every other part of the pipeline reads these.

use super::overlay::Overlay;
use super::params::{ParamError, PlanParams};
use super::population::{self, Provenance};
use crate::decision::{Applied, Decisions};
use crate::feeds::FeedRegistry;
use crate::voice::{Counts, Figures};
use feedmap_geography::region::Region;
use geo::MultiPolygon;
use serde::Serialize;
use std::collections::BTreeMap;

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
/// effect and planners' decisions. `Served::plan` (module `served`) gives
/// one consistent set; tests may assemble their own.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The geography.
    pub region: &'a Region,
    /// The region's groundwork (made by `plan::groundwork`).
    pub planning: &'a Planning,
    /// The feeds in effect.
    pub feeds: &'a FeedRegistry,
    /// Planners' decisions.
    pub decisions: &'a Decisions,
    /// Residents' answers to the question, when the plan takes them
    /// (`None`: the plan is made without them).
    pub voice: Option<&'a VoiceEvidence>,
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

    /// Where the settlements lie in that pair of layers.
    pub fn sites(&self, hl: usize, cl: usize) -> Option<&'a super::sites::Sites> {
        self.planning
            .overlays
            .iter()
            .position(|o| o.neighbourhood_layer == hl && o.community_layer == cl)
            .and_then(|k| self.planning.sites.get(k))
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
    /// The region's discovered settlements.
    pub settlements: std::sync::Arc<feedmap_geography::settlements::Settlements>,
    /// Where the settlements lie, one per overlay (same order).
    pub sites: Vec<super::sites::Sites>,
}

/// The factors a suggestion is scored on, each 0–1 (see [`super::factors`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
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
    /// Residents' voice: answers to the question against the region's rate
    /// per resident, and the share who would follow, each shrunk towards
    /// the region's value (see the `voice` module); absent when the plan takes
    /// no answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice: Option<f64>,
}

/// The measurements behind the factors, for the explanation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Measures {
    /// Geodesic area, km².
    pub area_km2: f64,
    /// Share of the boundary running along other communities of the
    /// neighbourhood (0–1).
    pub shared_boundary: f64,
    /// Distance from the neighbourhood's population centre, km.
    pub centre_distance_km: f64,
    /// For a settlement: the distance to the nearest larger settlement,
    /// km (what its separation is measured by).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub isolation_km: Option<f64>,
}

/// Whether a suggestion is one community or a cluster of small ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SuggestionKind {
    /// One community area.
    Community,
    /// Adjacent small communities sharing one feed.
    Cluster,
    /// A discovered settlement (where people live, apart from the rest of
    /// the neighbourhood), whatever communities it spans.
    Settlement,
}

/// A member of a cluster.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Member {
    /// Area id.
    pub id: String,
    /// Area name.
    pub name: String,
    /// Residents, when known.
    pub population: Option<f64>,
}

/// A suggested new feed.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Suggestion {
    /// Rank inside its neighbourhood, from 1.
    pub rank: usize,
    /// The area id, or for a cluster its members' ids joined by `+`.
    pub id: String,
    /// Community or cluster.
    pub kind: SuggestionKind,
    /// The community layer.
    pub layer: String,
    /// Display name: the planner's, when they renamed it (see
    /// `decision.name`); else the area's, the settlement's, or for a
    /// cluster the place name its members share (or a list of theirs).
    pub name: String,
    /// The name the plan made, when a planner's replaces it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_name: Option<String>,
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
    /// When not chosen because it overlaps a chosen suggestion of its
    /// neighbourhood (a settlement and a community it spans serve the same
    /// residents; the plan never picks both): that suggestion's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternative_to: Option<String>,
    /// A planner's decision about it: accepted ones are chosen without
    /// using the budget, deferred ones are marked.
    pub decision: Option<Applied>,
    /// One plain-English sentence saying why.
    pub reason: String,
    /// What residents said about it (answers, names, who would follow),
    /// and the name they agree on; absent when the plan takes no answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice: Option<VoiceNote>,
    /// A cluster's dissolved boundary (a single community's is the layer's).
    #[serde(skip)]
    pub geometry: Option<MultiPolygon<f64>>,
    #[serde(skip)]
    pub(crate) raw_population: f64,
}

impl Suggestion {
    /// Where it stands, in a word or two: `chosen`, `planned` (chosen for
    /// a planned feed), `alternative to ID`, or `further candidate`.
    pub fn status(&self) -> String {
        match (&self.alternative_to, self.chosen) {
            (_, true) if !self.planned_feeds.is_empty() => "planned".into(),
            (_, true) => "chosen".into(),
            (Some(other), false) => format!("alternative to {other}"),
            (None, false) => "further candidate".into(),
        }
    }

    /// The community ids it serves: its own, or its members'.
    pub fn communities(&self) -> Vec<&str> {
        match self.kind {
            SuggestionKind::Community => vec![self.id.as_str()],
            SuggestionKind::Cluster | SuggestionKind::Settlement => {
                self.members.iter().map(|m| m.id.as_str()).collect()
            }
        }
    }

    /// Whether it serves a community `other` serves too.
    pub fn overlaps(&self, other: &Suggestion) -> bool {
        let mine = self.communities();
        other.communities().iter().any(|c| mine.contains(c))
    }
}

/// A community that was looked at but not suggested, and why.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Coverage {
    /// Served by a community feed.
    pub community: f64,
    /// Served only by their neighbourhood's feed.
    pub neighbourhood_only: f64,
    /// Served by neither (only force-wide feeds).
    pub none: f64,
}

impl Coverage {
    pub(crate) fn add(&mut self, o: &Coverage) {
        self.community += o.community;
        self.neighbourhood_only += o.neighbourhood_only;
        self.none += o.none;
    }

    pub(crate) fn rounded(self) -> Coverage {
        // Adding 0.0 turns a negative zero into zero.
        Coverage {
            community: self.community.round() + 0.0,
            neighbourhood_only: self.neighbourhood_only.round() + 0.0,
            none: self.none.round() + 0.0,
        }
    }
}

/// Coverage before and after the plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CoverageChange {
    /// With today's active feeds.
    pub before: Coverage,
    /// With the chosen suggestions (and planned feeds) added.
    pub after: Coverage,
}

/// One neighbourhood's part of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PopulationNote {
    /// Whether every neighbourhood and community has a population.
    pub complete: bool,
    /// What estimates came from, if any were made.
    pub estimated_from: Option<String>,
    /// A warning when sizes are unknown.
    pub warning: Option<String>,
}

/// Where the plan's settlements came from, or why it has none: a plan
/// without settlements cannot offer a village or town apart from the
/// communities it lies in, and says so rather than staying silent.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SettlementsNote {
    /// Settlements the region has (in every neighbourhood).
    pub found: usize,
    /// What they were found in, e.g. `11264 live postcode centroids,
    /// chained where closer than 200 m`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Why there are none, what that costs, and how to get them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// How the plan limits what it chooses (absent when nothing limits it).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ShortlistNote {
    /// Most new feeds chosen in one neighbourhood.
    pub max_new_feeds_per_neighbourhood: Option<usize>,
    /// Most new feeds chosen in all.
    pub max_new_feeds: Option<usize>,
    /// Suggestions meeting every criterion but not chosen for the limits
    /// (each says so in its reason).
    pub further_candidates: usize,
    /// The limits in a sentence, and the parameters giving the full
    /// ranking.
    pub note: String,
}

/// Region-wide totals.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
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
    /// Where settlements came from, or why there are none (absent with
    /// `settlements=false`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settlements: Option<SettlementsNote>,
    /// Set when the region has no feed list: the plan cannot tell which
    /// areas already have a feed, and says what that costs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feeds_note: Option<String>,
    /// How the plan limits what it chooses: by default a shortlist of a
    /// few new feeds per neighbourhood (absent when nothing limits it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shortlist: Option<ShortlistNote>,
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
pub(crate) fn round_to(v: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (v * k).round() / k + 0.0
}

/// Residents' answers, as the plan takes them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VoiceEvidence {
    /// Counted answers per (layer id, area id) of the finest layer the
    /// answers were located in (areas of any layer are taken; areas no
    /// longer in the region are left out).
    pub counts: BTreeMap<(String, String), Counts>,
    /// The smallest figure shown (the question's `min_count`).
    pub min_count: u32,
    /// Platform labels by id, for the reasons ("Facebook"); an id without
    /// one is shown as it is.
    pub platform_labels: BTreeMap<String, String>,
}

/// The residents' name offered for a suggestion.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ResidentsName {
    /// The name, display-cased (the region's own spelling when it has it).
    pub name: String,
    /// Share of the candidate's answers giving it (0–1, from shown figures).
    pub share: f64,
    /// Answers giving it.
    pub count: u64,
    /// The name the plan would otherwise have used.
    pub replaces: String,
}

/// What residents said about a suggestion's area.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct VoiceNote {
    /// The public figures of its answers (each at least the minimum count).
    pub figures: Figures,
    /// The name residents agree on, when they do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<ResidentsName>,
}
