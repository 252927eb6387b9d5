//! The plan's criteria: which layers it plans with, and which
//! neighbourhoods are large enough to need more than one feed.

use super::model::{Inputs, PlanError};
use super::params::PlanParams;
use super::population::Figure;
use feedmap_geography::manifest::Role;

/// The neighbourhood and community layer a plan uses.
pub(crate) fn layers_for(
    inputs: &Inputs,
    params: &PlanParams,
) -> Result<(usize, usize), PlanError> {
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

/// Whether a neighbourhood is large enough to need more than one feed: at
/// least `large_population` residents or `large_area_km2` of ground, and
/// at least two communities to split it into.
pub(crate) fn is_large(
    population: Option<Figure>,
    area_km2: f64,
    communities: usize,
    p: &PlanParams,
) -> bool {
    let by_people = population.is_some_and(|f| f.value >= p.large_population);
    let by_area = area_km2 >= p.large_area_km2;
    (by_people || by_area) && communities >= 2
}
