//! Coverage: residents by the most local feed that serves them, before
//! and after the plan.

use super::model::{Coverage, CoverageChange, Inputs, NeighbourhoodPlan, Summary};
use super::overlay::Overlay;
use feedmap_geography::area::AreaRef;

/// Residents of neighbourhood `h` by feed, before and after its chosen
/// suggestions. A community's residents count in the neighbourhood it is
/// assigned to; those served by a community feed never exceed the
/// neighbourhood's own population.
pub(crate) fn coverage(
    inputs: &Inputs,
    overlay: &Overlay,
    h: usize,
    n: &NeighbourhoodPlan,
) -> Option<CoverageChange> {
    let (hl, cl) = (overlay.neighbourhood_layer, overlay.community_layer);
    let total = inputs.populations().of(hl, h)?.value;
    let served: f64 = overlay.members[h]
        .iter()
        .filter(|&&c| inputs.feeds.serves(AreaRef::new(cl, c)))
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

/// Fills in each neighbourhood's coverage (and rounds its need) and
/// totals the plan: suggestions, chosen, residents newly served, coverage
/// before and after.
pub(crate) fn summarise(
    inputs: &Inputs,
    overlay: &Overlay,
    out: &mut [NeighbourhoodPlan],
) -> Summary {
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
    summary
}
