//! Clusters: adjacent candidates each too small for a feed of their own,
//! merged into one suggested shared feed when together they reach the
//! audience a feed needs.
//!
//! Greedy on shared boundary: repeatedly merge the two groups, both still
//! below `min_population`, that share the longest boundary. Only groups that
//! border each other merge, so every cluster is contiguous; a group that
//! reaches `min_population` stops growing, so clusters stay as local as the
//! population allows.

use super::assess::Candidate;
use super::model::{Inputs, Member, Suggestion, SuggestionKind};
use super::overlay::Overlay;
use super::params::PlanParams;
use super::population::{Figure, Provenance};
use super::voice::VoiceTable;
use super::{explain, factors};
use crate::decision::ClusterId;
use geo::{BooleanOps, Centroid, MultiPolygon};

/// What clustering made of a neighbourhood's small candidates.
pub struct Clustered {
    /// Clusters that reach `min_population` and `min_score`.
    pub suggestions: Vec<Suggestion>,
    /// Small candidates left out, each with why.
    pub left: Vec<(usize, String)>,
}

/// Groups the small candidates `small` (community indices of neighbourhood
/// `h`, each below `min_population`) into shared-feed clusters.
pub(crate) fn clusters(
    inputs: &Inputs,
    overlay: &Overlay,
    h: usize,
    small: &[usize],
    p: &PlanParams,
    voice: Option<&VoiceTable>,
) -> Clustered {
    let cl = overlay.community_layer;
    let pop = |c: usize| inputs.populations().of(cl, c).map_or(0.0, |f| f.value);
    let groups = merge(overlay, small, &pop, p.min_population);
    let mut out = Clustered {
        suggestions: Vec::new(),
        left: Vec::new(),
    };
    for g in groups {
        let total: f64 = g.iter().map(|&c| pop(c)).sum();
        if g.len() < 2 || total < p.min_population {
            let with = (g.len() >= 2).then_some((g.len(), total));
            for &c in &g {
                out.left.push((
                    c,
                    explain::too_small(inputs.populations().of(cl, c), with, p),
                ));
            }
            continue;
        }
        let s = suggestion(inputs, overlay, h, &g, p, voice);
        if s.score < p.min_score {
            let (score, min) = explain::score_below(s.score, p.min_score);
            for &c in &g {
                out.left.push((
                    c,
                    format!(
                        "its cluster with adjacent small communities scores {score}, below min_score {min}"
                    ),
                ));
            }
            continue;
        }
        out.suggestions.push(s);
    }
    out.left.sort_by_key(|(c, _)| *c);
    out
}

/// The greedy merge. Returns groups of community indices, each sorted, in
/// order of their smallest member.
fn merge(
    overlay: &Overlay,
    small: &[usize],
    pop: &dyn Fn(usize) -> f64,
    min: f64,
) -> Vec<Vec<usize>> {
    let mut groups: Vec<(Vec<usize>, f64)> = small.iter().map(|&c| (vec![c], pop(c))).collect();
    // Boundary between two communities, the mean of each one's measure.
    let border = |a: usize, b: usize| {
        let along = |x: usize, y: usize| {
            overlay.borders[x]
                .iter()
                .find(|(d, _)| *d == y)
                .map_or(0.0, |(_, m)| *m)
        };
        0.5 * (along(a, b) + along(b, a))
    };
    loop {
        let mut best: Option<(f64, usize, usize)> = None;
        for i in 0..groups.len() {
            if groups[i].1 >= min {
                continue;
            }
            for j in i + 1..groups.len() {
                if groups[j].1 >= min {
                    continue;
                }
                let shared: f64 = groups[i]
                    .0
                    .iter()
                    .flat_map(|&a| groups[j].0.iter().map(move |&b| (a, b)))
                    .map(|(a, b)| border(a, b))
                    .sum();
                if shared > 0.0 && best.is_none_or(|(m, _, _)| shared > m) {
                    best = Some((shared, i, j));
                }
            }
        }
        let Some((_, i, j)) = best else {
            break;
        };
        let (members, p) = groups.remove(j);
        groups[i].0.extend(members);
        groups[i].0.sort_unstable();
        groups[i].1 += p;
    }
    groups.into_iter().map(|(g, _)| g).collect()
}

/// A cluster's suggestion: factors measured on the dissolved area.
pub(crate) fn suggestion(
    inputs: &Inputs,
    overlay: &Overlay,
    h: usize,
    g: &[usize],
    p: &PlanParams,
    voice: Option<&VoiceTable>,
) -> Suggestion {
    let (hl, cl) = (overlay.neighbourhood_layer, overlay.community_layer);
    let comms = &inputs.region.layers[cl];
    let hood = &inputs.region.layers[hl].areas[h];
    let figures: Vec<Option<Figure>> = g.iter().map(|&c| inputs.populations().of(cl, c)).collect();
    let population = figures.iter().flatten().map(|f| f.value).sum::<f64>();
    let provenance = figures
        .iter()
        .flatten()
        .map(|f| f.provenance)
        .find(|p| p.is_estimate())
        .unwrap_or(Provenance::Given);
    let geometry = g
        .iter()
        .map(|&c| comms.areas[c].geometry.clone())
        .reduce(|a, b| a.union(&b))
        .unwrap_or_else(|| MultiPolygon::new(Vec::new()));
    let (perimeter_m, area_m2) = feedmap_geography::boundary::geodesic_measures(&geometry);
    let inside: f64 = g
        .iter()
        .filter_map(|&c| overlay.assigned[c])
        .map(|a| a.intersection_m2)
        .sum();
    let member_area: f64 = g.iter().map(|&c| comms.areas[c].area_m2).sum();
    let members: Vec<Member> = g
        .iter()
        .map(|&c| Member {
            id: comms.areas[c].id.clone(),
            name: comms.areas[c].name.clone(),
            population: inputs.populations().of(cl, c).map(|f| f.value.round()),
        })
        .collect();
    let mut ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
    ids.sort_unstable();
    // The place name the members share ("Marlow West & Fenside North",
    // "Marlow South West" → "Marlow"), else their names listed.
    let name = feedmap_geography::gazetteer::shared_place_name(
        members
            .iter()
            .map(|m| (m.name.as_str(), m.population.unwrap_or(1.0))),
    )
    .unwrap_or_else(|| explain::list(members.iter().map(|m| m.name.as_str())));
    let residents = figures.iter().any(Option::is_some).then_some(population);
    let voice = voice.map(|t| (t, t.candidate(&t.of_communities(g), residents, &name)));
    let named = voice
        .as_ref()
        .and_then(|(_, v)| v.name())
        .map(str::to_string);
    let (table, voice) = (voice.as_ref().map(|(t, _)| *t), voice.map(|(_, v)| v));
    let candidate = Candidate {
        population: Some(Figure {
            value: population,
            provenance,
        }),
        area_m2,
        perimeter_m,
        shared_m: g
            .iter()
            .map(|&c| overlay.shared_with(c, |d| !g.contains(&d)))
            .sum::<f64>()
            .min(perimeter_m),
        centre: geometry.centroid().unwrap_or_else(|| overlay.centre[g[0]]),
        identity: super::voice::identity(
            g.iter()
                .map(|&c| {
                    let a = &comms.areas[c];
                    factors::identity(&a.name, a.identity)
                })
                .sum::<f64>()
                / g.len() as f64,
            &name,
            named.is_some(),
        ),
        containment: if member_area > 0.0 {
            inside / member_area
        } else {
            0.0
        },
        isolation_m: None,
        voice: voice.as_ref().map(|v| v.factor),
    };
    let (factors, measures, score) = candidate.assess(overlay.hood_centre[h], hood.area_m2, p);
    let reason = super::voice::with_voice(
        explain::cluster(
            &name, &members, population, provenance, &hood.name, &measures, &factors, p, inputs,
        ),
        table,
        voice.as_ref(),
    );
    Suggestion {
        rank: 0,
        id: ClusterId::of(ids).into_string(),
        kind: SuggestionKind::Cluster,
        layer: comms.id.clone(),
        name: named.unwrap_or(name),
        members,
        population: Some(population.round()),
        population_provenance: Some(provenance),
        score,
        factors,
        measures,
        planned_feeds: Vec::new(),
        chosen: false,
        alternative_to: None,
        generated_name: None,
        decision: None,
        reason,
        voice: voice.map(|v| v.note),
        geometry: Some(geometry),
        raw_population: population,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Point;

    /// Five small communities in a row, A–B–C–D–E, with the longest border
    /// between B and C; min population 250.
    fn row() -> (Overlay, Vec<f64>) {
        let border = |pairs: &[(usize, f64)]| pairs.to_vec();
        let overlay = Overlay {
            neighbourhood_layer: 0,
            community_layer: 1,
            assigned: vec![None; 5],
            members: vec![(0..5).collect()],
            borders: vec![
                border(&[(1, 100.0)]),
                border(&[(0, 100.0), (2, 300.0)]),
                border(&[(1, 300.0), (3, 200.0)]),
                border(&[(2, 200.0), (4, 50.0)]),
                border(&[(3, 50.0)]),
            ],
            centre: vec![Point::new(0.0, 0.0); 5],
            hood_centre: vec![Point::new(0.0, 0.0)],
        };
        (overlay, vec![100.0, 100.0, 100.0, 100.0, 100.0])
    }

    #[test]
    fn merges_along_the_longest_border_and_stops_at_the_audience() {
        let (overlay, pops) = row();
        let pop = |c: usize| pops[c];
        let groups = merge(&overlay, &[0, 1, 2, 3, 4], &pop, 250.0);
        // B+C first (300 m), then D joins them (200 m) reaching 300 ≥ 250;
        // A and E are left: A borders only the closed group, E likewise.
        assert_eq!(groups, vec![vec![0], vec![1, 2, 3], vec![4]]);
    }

    #[test]
    fn only_bordering_groups_merge() {
        let (overlay, pops) = row();
        let pop = |c: usize| pops[c];
        // A and C do not touch: nothing to merge.
        assert_eq!(
            merge(&overlay, &[0, 2], &pop, 250.0),
            vec![vec![0], vec![2]]
        );
        // With a high bar the whole row merges into one contiguous group.
        assert_eq!(
            merge(&overlay, &[0, 1, 2, 3, 4], &pop, 1e9),
            vec![vec![0, 1, 2, 3, 4]]
        );
    }
}
