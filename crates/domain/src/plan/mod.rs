//! Feed planning: which communities inside large neighbourhoods deserve a
//! feed of their own, and why.
//!
//! A plan is a pure function of its [`Inputs`] (the region, its
//! groundwork, the feeds in effect, planners' decisions) and
//! [`PlanParams`]. It reads as a pipeline, one concern per module, this
//! one only orchestrating:
//!
//! 1. [`groundwork()`] (once per region): [`population`] estimates and the
//!    [`overlay`] of each neighbourhood × community layer pair;
//! 2. [`criteria`]: which layers, which neighbourhoods are large;
//! 3. [`decided`]: planners' decisions resolved against the region;
//! 4. [`neighbourhood`]: each community against the criteria, scored by
//!    [`assess`] on the explainable [`factors`], small ones merged into
//!    [`cluster`]s, separate [`settle`]ments offered whole, each
//!    explained ([`explain`]);
//! 5. [`choose`]: the budget (by default a shortlist per neighbourhood);
//! 6. [`coverage`]: residents served before and after;
//! 7. [`export`]: GeoJSON and CSV.
//!
//! Residents' answers to the question ([`voice`]), when the inputs carry
//! them, add the *voice* factor to step 4 and offer the names residents
//! agree on. The data types are in [`model`]. Same inputs and parameters,
//! same plan, byte for byte; and with `voice=false`, or no answer, the
//! plan is byte for byte the plan made without the question.

pub mod assess;
pub mod choose;
pub mod cluster;
pub mod coverage;
pub mod criteria;
pub mod decided;
pub mod explain;
pub mod export;
pub mod factors;
pub mod groundwork;
pub mod model;
pub mod neighbourhood;
pub mod overlay;
pub mod params;
pub mod population;
pub mod settle;
pub mod sites;
pub mod voice;

pub use groundwork::groundwork;
pub use model::*;
pub use params::{ParamError, PlanParams};

use decided::Decided;

/// Makes the plan from `inputs` with `params`, taking planners' decisions
/// into account: an accepted community or cluster is chosen without using
/// the budget (whatever the criteria now say) and counts as served; a
/// rejected one is left out, saying who rejected it and why; a deferred
/// one is suggested as usual, marked. Decisions whose area is gone from
/// the region are listed in `decisions.vanished`.
pub fn plan(inputs: &Inputs, params: &PlanParams) -> Result<Plan, PlanError> {
    let (hl, cl) = criteria::layers_for(inputs, params)?;
    let (decided, vanished) = Decided::new(inputs, cl);
    let overlay = inputs
        .overlay(hl, cl)
        .expect("the region computes an overlay for every neighbourhood × community layer pair");
    let hoods = &inputs.region.layers[hl];
    let comms = &inputs.region.layers[cl];
    let voice = voice::VoiceTable::new(inputs, cl, params.voice);
    let mut out: Vec<NeighbourhoodPlan> = (0..hoods.areas.len())
        .map(|h| {
            neighbourhood::plan_neighbourhood(inputs, overlay, h, params, &decided, voice.as_ref())
        })
        .collect();
    out.iter_mut().for_each(voice::one_name_each);
    let decisions = decided.note(&out, vanished);
    decided::apply_names(&mut out);
    let chosen = choose::choose(&mut out, params);
    let shortlist = choose::shortlist_note(&out, params);
    let summary = coverage::summarise(inputs, overlay, &mut out);
    out.sort_by(|a, b| {
        b.large
            .cmp(&a.large)
            .then(b.need.total_cmp(&a.need))
            .then(a.id.cmp(&b.id))
    });
    Ok(Plan {
        region: inputs.region.name.clone(),
        attribution: inputs.region.attribution.clone(),
        generation: None,
        neighbourhood_layer: hoods.id.clone(),
        community_layer: comms.id.clone(),
        // Echoed only when answers were taken: without them the plan is
        // byte for byte the plan without the question.
        params: PlanParams {
            voice: voice.as_ref().map(|v| v.params),
            ..params.clone()
        },
        population: population_note(inputs, hl, cl),
        settlements: params
            .settlements
            .as_ref()
            .map(|_| settlements_note(inputs)),
        feeds_note: inputs
            .feeds
            .feeds
            .is_empty()
            .then(|| NO_FEED_LIST.to_string()),
        shortlist,
        summary,
        chosen,
        decisions,
        neighbourhoods: out,
    })
}

/// Where the region's settlements came from, or why it has none.
fn settlements_note(inputs: &Inputs) -> SettlementsNote {
    let s = &inputs.planning.settlements;
    let found = s.list.len();
    let from = (!s.residential.is_empty()).then(|| match &s.layer {
        Some(b) => format!(
            "the built-up areas layer {} as published: its places holding residential points ({} of {}), placed by {}",
            b.layer,
            b.places - b.without_points,
            b.places,
            s.residential.source
        ),
        None => format!(
            "{}, chained where closer than {} m (settlements of {} points or more)",
            s.residential.source, s.params.gap_m, s.params.min_points
        ),
    });
    let built_up = (!s.built_up.is_empty()).then(|| {
        format!(
            "{} continuous built-up area{} ({} residents) {} not counted as one settlement: its communities are planned one by one",
            s.built_up.len(),
            if s.built_up.len() == 1 { "" } else { "s" },
            s.built_up
                .iter()
                .map(|r| explain::thousands(*r))
                .collect::<Vec<_>>()
                .join(", "),
            if s.built_up.len() == 1 { "is" } else { "are" },
        )
    });
    let note = if s.residential.is_empty() {
        Some(NO_SETTLEMENT_DATA.to_string())
    } else if found == 0 {
        Some(format!(
            "no group of {} or more of the {} was found{}: the plan offers communities only",
            s.params.min_points,
            s.residential.source,
            built_up
                .map(|b| format!(" apart from a continuous built-up area ({b})"))
                .unwrap_or_default()
        ))
    } else {
        built_up
    };
    SettlementsNote { found, from, note }
}

/// What a plan without a feed list cannot know.
pub const NO_FEED_LIST: &str = "no feed list: the plan cannot tell which neighbourhoods and communities already have a feed, so it treats none as having one (coverage before is none) and suggests areas that may already be served. Add the force's accounts as [feeds] in region.toml";

/// Why a region without residential points has no settlements.
pub const NO_SETTLEMENT_DATA: &str = "no settlements: the region has no postcode directory, address list, population points or census areas with residents, so the plan cannot tell a village or town apart from the communities it lies in, and offers communities only. Add census output areas with their residents (a population layer with population_file, Census 2021 from Nomis) or the ONS Postcode Directory (ONSPD, from the ONS Open Geography Portal) as [postcodes] in region.toml to find them, or a built-up areas layer (role built_up: ONS/OS Built Up Areas 2022, OGL, from the ONS Open Geography Portal) to take them as published";

/// Whether every area of the two layers has a population, and a warning
/// when sizes are unknown.
fn population_note(inputs: &Inputs, hl: usize, cl: usize) -> PopulationNote {
    let pops = inputs.populations();
    let (hoods, comms) = (&inputs.region.layers[hl], &inputs.region.layers[cl]);
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
    PopulationNote {
        complete,
        estimated_from: pops.source.clone(),
        warning,
    }
}
