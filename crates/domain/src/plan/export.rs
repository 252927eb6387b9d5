//! The plan as files a planner takes elsewhere: GeoJSON of the suggested
//! feed areas (clusters dissolved into one geometry) for GIS, and CSV for
//! spreadsheets. Both list every suggestion of every neighbourhood in the
//! plan's order, with the same figures as the JSON plan.

use super::model::{NeighbourhoodPlan, Plan, Suggestion, SuggestionKind};
use feedmap_geography::region::Region;
use serde_json::json;
use std::io::Write;

/// Every (neighbourhood, suggestion) of the plan, in its order.
fn rows(plan: &Plan) -> impl Iterator<Item = (&NeighbourhoodPlan, &Suggestion)> {
    plan.neighbourhoods
        .iter()
        .flat_map(|n| n.suggestions.iter().map(move |s| (n, s)))
}

/// Writes the suggested feed areas as a GeoJSON FeatureCollection. A
/// single community keeps its boundary from the layer; a cluster's members
/// are dissolved into one (multi)polygon. Features are written one at a
/// time, so a national plan never holds its whole document in memory.
pub fn write_geojson(plan: &Plan, region: &Region, out: &mut dyn Write) -> std::io::Result<()> {
    let layer = region.layer(&plan.community_layer).map(|(_, l)| l);
    let mut header = json!({
        "type": "FeatureCollection",
        "name": format!("feedmap plan: {}", plan.region),
        "attribution": plan.attribution,
        "neighbourhood_layer": plan.neighbourhood_layer,
        "community_layer": plan.community_layer,
        "params": plan.params,
    });
    // The store generation the plan reflects, when it was planned with one.
    if let Some(g) = plan.generation {
        header["generation"] = json!(g);
    }
    let header = header.to_string();
    // The header object without its closing brace, then the features.
    out.write_all(&header.as_bytes()[..header.len() - 1])?;
    out.write_all(b",\"features\":[")?;
    for (k, (n, s)) in rows(plan).enumerate() {
        let geometry = match (&s.geometry, s.kind, layer) {
            (Some(g), _, _) => Some(g),
            (None, SuggestionKind::Community, Some(l)) => {
                l.area_index(&s.id).map(|i| &l.areas[i].geometry)
            }
            _ => None,
        };
        let feature = json!({
            "type": "Feature",
            "id": s.id,
            "geometry": geometry.map(|g| geojson::Geometry::new(geojson::GeometryValue::from(g))),
            "properties": {
                "neighbourhood_id": n.id,
                "neighbourhood_name": n.name,
                "rank": s.rank,
                "id": s.id,
                "kind": s.kind,
                "layer": s.layer,
                "name": s.name,
                "generated_name": s.generated_name,
                "members": s.members.iter().map(|m| &m.id).collect::<Vec<_>>(),
                "population": s.population,
                "population_provenance": s.population_provenance,
                "score": s.score,
                "factors": s.factors,
                "measures": s.measures,
                "planned_feeds": s.planned_feeds,
                "chosen": s.chosen,
                "status": s.status(),
                "reason": s.reason,
            },
        });
        if k > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, &feature)?;
    }
    out.write_all(b"]}")
}

/// The CSV columns, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "neighbourhood_id",
    "neighbourhood_name",
    "rank",
    "id",
    "kind",
    "name",
    "generated_name",
    "members",
    "population",
    "population_provenance",
    "score",
    "size",
    "separation",
    "identity",
    "compactness",
    "containment",
    "planned_feeds",
    "chosen",
    "status",
    "reason",
];

/// The suggestions as CSV, one row each (members and planned feeds
/// space-separated).
pub fn csv(plan: &Plan) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS)?;
    let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for (n, s) in rows(plan) {
        let provenance = s
            .population_provenance
            .map(|p| json!(p).as_str().unwrap_or_default().to_string())
            .unwrap_or_default();
        let kind = match s.kind {
            SuggestionKind::Community => "community",
            SuggestionKind::Cluster => "cluster",
            SuggestionKind::Settlement => "settlement",
        };
        w.write_record([
            n.id.as_str(),
            n.name.as_str(),
            &s.rank.to_string(),
            &s.id,
            kind,
            &s.name,
            s.generated_name.as_deref().unwrap_or_default(),
            &s.members
                .iter()
                .map(|m| m.id.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            &num(s.population),
            &provenance,
            &s.score.to_string(),
            &num(s.factors.size),
            &s.factors.separation.to_string(),
            &s.factors.identity.to_string(),
            &s.factors.compactness.to_string(),
            &s.factors.containment.to_string(),
            &s.planned_feeds.join(" "),
            if s.chosen { "true" } else { "false" },
            &s.status(),
            &s.reason,
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}
