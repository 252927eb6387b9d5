//! The budget: which suggestions the plan picks.

use super::model::{NeighbourhoodPlan, Suggestion};
use super::params::PlanParams;
use crate::decision::DecisionKind;

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
pub(crate) fn choose(out: &mut [NeighbourhoodPlan], p: &PlanParams) -> Vec<String> {
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
        let n = &out[h];
        if let Some(other) = n
            .suggestions
            .iter()
            .find(|o| o.chosen && o.overlaps(&n.suggestions[s]))
        {
            let (id, name) = (other.id.clone(), other.name.clone());
            let sug = &mut out[h].suggestions[s];
            sug.reason = format!(
                "{} Not chosen: it serves residents {name} serves, and {name} was chosen first (it serves more of them, or a planner decided it); the two are never both chosen.",
                sug.reason
            );
            sug.alternative_to = Some(id);
            continue;
        }
        let sug = &mut out[h].suggestions[s];
        if !sug.settled() {
            let over_all = p.max_new_feeds.filter(|&m| total >= m);
            let over_here = p.max_new_feeds_per_neighbourhood.filter(|&m| per[h] >= m);
            if let Some(why) = not_shortlisted(over_all, over_here) {
                sug.reason = format!("{} {why}", sug.reason);
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

/// Why a suggestion that fits every criterion is not chosen: the budget
/// is spent (overall, or in its neighbourhood) on suggestions serving more
/// residents. `None` when it fits.
fn not_shortlisted(over_all: Option<usize>, over_here: Option<usize>) -> Option<String> {
    let zero =
        |key: &str| format!("A further candidate, not shortlisted: {key}=0 allows no new feed.");
    match (over_all, over_here) {
        (Some(0), _) => return Some(zero("max_new_feeds")),
        (None, Some(0)) => return Some(zero("max_new_feeds_per_neighbourhood")),
        _ => {}
    }
    let spent = match (over_all, over_here) {
        (Some(m), _) => format!(
            "the plan's {m} new feed{} (max_new_feeds={m})",
            if m == 1 { "" } else { "s" }
        ),
        (None, Some(m)) => format!(
            "its neighbourhood's {m} new feed{} (max_new_feeds_per_neighbourhood={m})",
            if m == 1 { "" } else { "s" }
        ),
        (None, None) => return None,
    };
    Some(format!(
        "A further candidate, not shortlisted: {spent} went to suggestions serving more residents."
    ))
}

/// The note on the shortlist: how the plan limits what it chooses, how
/// many further candidates it lists, and the parameter giving the full
/// ranking. `None` when neither limit is set.
pub(crate) fn shortlist_note(
    out: &[NeighbourhoodPlan],
    p: &PlanParams,
) -> Option<super::model::ShortlistNote> {
    if p.max_new_feeds.is_none() && p.max_new_feeds_per_neighbourhood.is_none() {
        return None;
    }
    let further = out
        .iter()
        .flat_map(|n| &n.suggestions)
        .filter(|s| !s.chosen && s.alternative_to.is_none())
        .count();
    let limits: Vec<String> = [
        p.max_new_feeds_per_neighbourhood.map(|m| {
            format!(
                "{m} new feed{} per neighbourhood",
                if m == 1 { "" } else { "s" }
            )
        }),
        p.max_new_feeds
            .map(|m| format!("{m} new feed{} in all", if m == 1 { "" } else { "s" })),
    ]
    .into_iter()
    .flatten()
    .collect();
    let none: Vec<&str> = [
        p.max_new_feeds_per_neighbourhood
            .map(|_| "max_new_feeds_per_neighbourhood=none"),
        p.max_new_feeds.map(|_| "max_new_feeds=none"),
    ]
    .into_iter()
    .flatten()
    .collect();
    Some(super::model::ShortlistNote {
        max_new_feeds_per_neighbourhood: p.max_new_feeds_per_neighbourhood,
        max_new_feeds: p.max_new_feeds,
        further_candidates: further,
        note: format!(
            "A shortlist: the plan chooses at most {}, those serving the most residents (accepted suggestions and planned feeds are chosen besides). {further} further candidate{} {} listed, not chosen; for the full ranking, plan with {}.",
            limits.join(" and "),
            if further == 1 { "" } else { "s" },
            if further == 1 { "is" } else { "are" },
            none.join(" and "),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::model::{Factors, Measures, SuggestionKind};
    use crate::plan::population::Provenance;

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
                voice: None,
            },
            measures: Measures {
                area_km2: 1.0,
                shared_boundary: 0.0,
                centre_distance_km: 1.0,
                isolation_km: None,
            },
            planned_feeds: if planned {
                vec!["F".into()]
            } else {
                Vec::new()
            },
            chosen: false,
            alternative_to: None,
            generated_name: None,
            decision: None,
            reason: String::new(),
            voice: None,
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
    fn further_candidates_say_which_limit_was_spent() {
        assert_eq!(not_shortlisted(None, None), None);
        assert_eq!(
            not_shortlisted(Some(0), Some(3)).unwrap(),
            "A further candidate, not shortlisted: max_new_feeds=0 allows no new feed."
        );
        let one = not_shortlisted(None, Some(1)).unwrap();
        assert!(
            one.contains("its neighbourhood's 1 new feed (max_new_feeds_per_neighbourhood=1)"),
            "{one}"
        );
        let both = not_shortlisted(Some(5), Some(3)).unwrap();
        assert!(
            both.contains("the plan's 5 new feeds (max_new_feeds=5)"),
            "{both}"
        );
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
}
