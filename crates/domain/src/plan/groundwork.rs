//! Planning's groundwork: everything about a region that does not depend
//! on the plan's parameters (populations, which neighbourhood holds each
//! community, who borders whom, where its settlements lie), computed once
//! per region.

use super::model::Planning;
use super::overlay::Overlay;
use super::population;
use feedmap_geography::manifest::Role;

/// Computes the groundwork of every plan of a region: populations (given
/// or estimated) and the overlay of every neighbourhood × community layer
/// pair. A region folder's `Source` (module `source`) does this once, on
/// first use.
pub fn groundwork(
    layers: &[feedmap_geography::boundary::Layer],
    relations: &feedmap_geography::relations::Relations,
    points: Option<&[(feedmap_geography::LatLon, f64)]>,
    settlements: std::sync::Arc<feedmap_geography::settlements::Settlements>,
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
    let sites = overlays
        .iter()
        .map(|o| {
            super::sites::Sites::compute(
                &settlements,
                &layers[o.neighbourhood_layer],
                &layers[o.community_layer],
            )
        })
        .collect();
    Planning {
        populations,
        overlays,
        settlements,
        sites,
    }
}
