//! Planning that follows settlements: a discovered settlement
//! ([`feedmap_geography::settlements`]) that lies apart from the rest of its
//! neighbourhood is offered as one suggestion, whatever communities it
//! spans — a town cut into four statistical areas becomes one suggestion,
//! a village inside a large rural ward becomes a suggestion of its own.
//!
//! A settlement is offered in neighbourhood *h* when
//! - at least `min_containment` of its points lie in *h*;
//! - it is not *h*'s main settlement: *h* has at least as many homes
//!   outside it as inside (otherwise it is the neighbourhood, already
//!   served by the neighbourhood's feed);
//! - it has at least `min_population` residents (when residents are known);
//! - it is not simply one of the communities (one community holding 90 %
//!   of its points and 90 % of that community's points in it: that
//!   community's own suggestion says the same);
//! - it scores at least `min_score`, its separation measured by its
//!   isolation (the distance to the nearest larger settlement) instead of
//!   shared boundary.
//!
//! Communities lying wholly in an offered settlement (90 % of their points)
//! are then not suggested on their own when the settlement holds two or
//! more of them: the settlement is the place, they are its pieces. A
//! community only partly in it (a ward holding the village and its
//! farmland) stays, ranked against the settlement.

use super::assess::Candidate;
use super::model::{Inputs, Member, NeighbourhoodPlan, NotSuggested, Suggestion, SuggestionKind};
use super::overlay::Overlay;
use super::params::PlanParams;
use super::population::{Figure, Provenance};
use super::sites::WHOLLY;
use super::voice::VoiceTable;
use super::{explain, factors};
use crate::decision::DecisionKind;

/// Offers the settlements of neighbourhood `h` (see the module
/// documentation), adding them to `plan` and moving the communities they
/// replace to its `not_suggested`.
pub(crate) fn offer(
    inputs: &Inputs,
    overlay: &Overlay,
    h: usize,
    p: &PlanParams,
    voice: Option<&VoiceTable>,
    plan: &mut NeighbourhoodPlan,
) {
    let (hl, cl) = (overlay.neighbourhood_layer, overlay.community_layer);
    let Some(sites) = inputs.sites(hl, cl) else {
        return;
    };
    let settlements = &inputs.planning.settlements;
    let hood = &inputs.region.layers[hl].areas[h];
    let comms = &inputs.region.layers[cl];
    let pops = inputs.populations();
    for &s in &sites.in_hood[h] {
        let st = &settlements.list[s as usize];
        let here = sites.hoods[s as usize]
            .iter()
            .find(|(a, _)| *a as usize == h)
            .map_or(0, |e| e.1);
        let share = f64::from(here) / st.points as f64;
        let others = sites.hood_points[h].saturating_sub(here);
        if share < p.min_containment || others < here {
            continue;
        }
        let decision = inputs
            .decisions
            .get(crate::decision::SETTLEMENTS_LAYER, &st.id)
            .map(|g| &g.applied);
        let accepted = decision.is_some_and(|d| d.decision == DecisionKind::Accept);
        if !accepted && st.residents.is_some_and(|r| r < p.min_population) {
            continue;
        }
        let pieces: Vec<(usize, f64, f64)> = sites.communities[s as usize]
            .iter()
            .map(|&(c, n)| {
                let of_comm = f64::from(n) / f64::from(sites.community_points[c as usize].max(1));
                (c as usize, of_comm, f64::from(n) / st.points as f64)
            })
            .collect();
        if let [(_, of_comm, of_settlement)] = pieces[..] {
            if of_comm >= WHOLLY && of_settlement >= WHOLLY {
                continue;
            }
        }
        let population = st.residents.map(|value| Figure {
            value,
            provenance: Provenance::ResidentialPoints,
        });
        let (perimeter_m, area_m2) = feedmap_geography::boundary::geodesic_measures(&st.outline);
        let heard = voice.map(|t| t.candidate(&t.of_outline(&st.outline), st.residents, &st.name));
        let named = heard.as_ref().and_then(|v| v.name());
        let candidate = Candidate {
            population,
            area_m2,
            perimeter_m,
            shared_m: 0.0,
            centre: geo::Point::new(st.centre.lon, st.centre.lat),
            identity: super::voice::identity(
                factors::identity(&st.name, None),
                &st.name,
                named.is_some(),
            ),
            containment: share,
            isolation_m: Some(st.isolation_m.unwrap_or(f64::INFINITY)),
            voice: heard.as_ref().map(|v| v.factor),
        };
        let (factors, measures, score) = candidate.assess(overlay.hood_centre[h], hood.area_m2, p);
        if !accepted && score < p.min_score {
            continue;
        }
        if let Some(d) = decision.filter(|d| d.decision == DecisionKind::Reject) {
            plan.not_suggested.push(NotSuggested {
                id: st.id.clone(),
                name: st.name.clone(),
                population: population.map(|f| f.value.round()),
                why: format!("the settlement was {}", d.sentence()),
                decision: Some(d.clone()),
            });
            continue;
        }
        let members: Vec<Member> = pieces
            .iter()
            .map(|&(c, _, _)| Member {
                id: comms.areas[c].id.clone(),
                name: comms.areas[c].name.clone(),
                population: pops.of(cl, c).map(|f| f.value.round()),
            })
            .collect();
        let whole: Vec<usize> = pieces
            .iter()
            .filter(|&&(_, of_comm, _)| of_comm >= WHOLLY)
            .map(|&(c, _, _)| c)
            .collect();
        let larger = st
            .nearest_larger
            .as_deref()
            .and_then(|id| settlements.by_id(id))
            .map(|o| o.name.as_str());
        let reason = explain::settlement(
            st,
            larger,
            population,
            &hood.name,
            share,
            &pieces
                .iter()
                .map(|&(c, of_comm, _)| (comms.areas[c].name.as_str(), of_comm))
                .collect::<Vec<_>>(),
            &measures,
            &match &settlements.layer {
                Some(b) => format!(
                    "A place of the built-up areas layer {} as published, its residents placed by {}",
                    b.layer, settlements.residential.source
                ),
                None => format!("Found among the region's {}", settlements.residential.source),
            },
        );
        if whole.len() >= 2 {
            let is_whole = |id: &str| whole.iter().any(|&c| comms.areas[c].id == id);
            let replaced: Vec<Suggestion> = plan
                .suggestions
                .extract_if(.., |x| match x.kind {
                    SuggestionKind::Community => is_whole(&x.id),
                    SuggestionKind::Cluster => x.members.iter().all(|m| is_whole(&m.id)),
                    SuggestionKind::Settlement => false,
                })
                .collect();
            let why = |what: &str| {
                format!(
                    "{what} lies within the settlement {} ({}), suggested whole",
                    st.name, st.id
                )
            };
            for x in replaced {
                if x.kind == SuggestionKind::Cluster {
                    for m in &x.members {
                        plan.not_suggested.push(NotSuggested {
                            id: m.id.clone(),
                            name: m.name.clone(),
                            population: m.population,
                            why: why(&format!("its cluster ({})", x.name)),
                            decision: x.decision.clone(),
                        });
                    }
                } else {
                    plan.not_suggested.push(NotSuggested {
                        id: x.id,
                        name: x.name,
                        population: x.population,
                        why: why("it"),
                        decision: x.decision,
                    });
                }
            }
        }
        plan.suggestions.push(Suggestion {
            rank: 0,
            id: st.id.clone(),
            kind: SuggestionKind::Settlement,
            layer: comms.id.clone(),
            name: named.unwrap_or(&st.name).to_string(),
            members,
            population: population.map(|f| f.value.round()),
            population_provenance: population.map(|f| f.provenance),
            score,
            factors,
            measures,
            planned_feeds: Vec::new(),
            chosen: false,
            alternative_to: None,
            generated_name: None,
            decision: decision.cloned(),
            reason: explain::decided(
                super::voice::with_voice(reason, voice, heard.as_ref()),
                decision,
            ),
            voice: heard.map(|v| v.note),
            geometry: Some(st.outline.clone()),
            raw_population: population.map_or(0.0, |f| f.value),
        });
    }
}
