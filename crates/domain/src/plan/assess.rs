//! Scoring one candidate (a community or a cluster) on the explainable
//! factors ([`super::factors`]) and their weights.

use super::factors;
use super::model::{round_to, Factors, Measures};
use super::params::{self, PlanParams};
use super::population::Figure;
use geo::{Distance, Geodesic, Point};

/// Scores a candidate from its factors: the weighted mean of those known
/// (*voice*, when known, weighted by `voice_weight`).
pub(crate) fn score(f: &Factors, w: &params::Weights, voice_weight: f64) -> f64 {
    let mut sum = w.separation * f.separation
        + w.identity * f.identity
        + w.compactness * f.compactness
        + w.containment * f.containment;
    let mut weight = w.separation + w.identity + w.compactness + w.containment;
    if let Some(size) = f.size {
        sum += w.size * size;
        weight += w.size;
    }
    if let Some(voice) = f.voice {
        sum += voice_weight * voice;
        weight += voice_weight;
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
    /// A settlement's isolation, m (the distance to the nearest larger
    /// settlement): when given, it measures separation instead of the
    /// shared boundary.
    pub isolation_m: Option<f64>,
    /// The *voice* factor, when the plan takes residents' answers.
    pub voice: Option<f64>,
}

impl Candidate {
    pub(crate) fn assess(
        &self,
        hood_centre: Point<f64>,
        hood_area_m2: f64,
        p: &PlanParams,
    ) -> (Factors, Measures, f64) {
        let f = Factors {
            size: self
                .population
                .map(|pop| factors::size(pop.value, p.min_population)),
            separation: match self.isolation_m {
                None => factors::separation(
                    self.shared_m,
                    self.perimeter_m,
                    self.centre,
                    hood_centre,
                    hood_area_m2,
                ),
                Some(gap) => factors::separation_by_gap(
                    gap,
                    p.settlements
                        .map_or(params::DEFAULT_SEPARATION_GAP_M, |s| s.separation_gap_m),
                    self.centre,
                    hood_centre,
                    hood_area_m2,
                ),
            },
            identity: self.identity,
            compactness: factors::compactness(self.area_m2, self.perimeter_m),
            containment: factors::containment(self.containment),
            voice: self.voice.map(|v| v.clamp(0.0, 1.0)),
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
            isolation_km: self.isolation_m.map(|g| round_to(g / 1e3, 2)),
        };
        let s = score(&f, &p.weights, p.voice.map_or(0.0, |v| v.weight));
        let rounded = Factors {
            size: f.size.map(|v| round_to(v, 3)),
            separation: round_to(f.separation, 3),
            identity: round_to(f.identity, 3),
            compactness: round_to(f.compactness, 3),
            containment: round_to(f.containment, 3),
            voice: f.voice.map(|v| round_to(v, 3)),
        };
        (rounded, m, round_to(s, 4))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::params::PlanParams;

    #[test]
    fn unknown_size_drops_out_of_the_score() {
        let w = PlanParams::default().weights;
        let f = Factors {
            size: None,
            separation: 1.0,
            identity: 1.0,
            compactness: 1.0,
            containment: 1.0,
            voice: None,
        };
        assert_eq!(score(&f, &w, 1.0), 1.0);
        let f = Factors {
            size: Some(0.0),
            ..f
        };
        let expected = (w.separation + w.identity + w.compactness + w.containment)
            / (w.size + w.separation + w.identity + w.compactness + w.containment);
        assert!((score(&f, &w, 1.0) - expected).abs() < 1e-12);
        // Voice counts like size when known.
        let g = Factors {
            voice: Some(0.0),
            ..f
        };
        let expected = (w.separation + w.identity + w.compactness + w.containment)
            / (w.size + w.separation + w.identity + w.compactness + w.containment + 2.0);
        assert!((score(&g, &w, 2.0) - expected).abs() < 1e-12);
    }
}
