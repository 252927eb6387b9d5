//! The plan as files a planner takes elsewhere: GeoJSON of the suggested
//! feed areas (clusters dissolved into one geometry) for GIS, and CSV for
//! spreadsheets. Both list every suggestion of every neighbourhood in the
//! plan's order, with the same figures as the JSON plan.

use super::{Plan, Suggestion, SuggestionKind};
use crate::region::Region;
use serde_json::{json, Map, Value};

/// Every (neighbourhood, suggestion) of the plan, in its order.
fn rows(plan: &Plan) -> impl Iterator<Item = (&super::NeighbourhoodPlan, &Suggestion)> {
    plan.neighbourhoods
        .iter()
        .flat_map(|n| n.suggestions.iter().map(move |s| (n, s)))
}

fn opt_num(v: Option<f64>) -> Value {
    v.map_or(Value::Null, |v| json!(v))
}

/// The suggested feed areas as a GeoJSON FeatureCollection. A single
/// community keeps its boundary from the layer; a cluster's members are
/// dissolved into one (multi)polygon.
pub fn geojson(plan: &Plan, region: &Region) -> Value {
    let layer = region.layer(&plan.community_layer).map(|(_, l)| l);
    let features: Vec<Value> = rows(plan)
        .map(|(n, s)| {
            let geometry = match (&s.geometry, s.kind, layer) {
                (Some(g), _, _) => Some(g.clone()),
                (None, SuggestionKind::Community, Some(l)) => {
                    l.area_index(&s.id).map(|i| l.areas[i].geometry.clone())
                }
                _ => None,
            };
            let mut props = Map::new();
            props.insert("neighbourhood_id".into(), json!(n.id));
            props.insert("neighbourhood_name".into(), json!(n.name));
            props.insert("rank".into(), json!(s.rank));
            props.insert("id".into(), json!(s.id));
            props.insert("kind".into(), json!(s.kind));
            props.insert("layer".into(), json!(s.layer));
            props.insert("name".into(), json!(s.name));
            props.insert(
                "members".into(),
                json!(s.members.iter().map(|m| &m.id).collect::<Vec<_>>()),
            );
            props.insert("population".into(), opt_num(s.population));
            props.insert("population_provenance".into(), json!(s.population_provenance));
            props.insert("score".into(), json!(s.score));
            props.insert("factors".into(), json!(s.factors));
            props.insert("measures".into(), json!(s.measures));
            props.insert("planned_feeds".into(), json!(s.planned_feeds));
            props.insert("chosen".into(), json!(s.chosen));
            props.insert("reason".into(), json!(s.reason));
            json!({
                "type": "Feature",
                "id": s.id,
                "geometry": geometry.map(|g| geojson::Geometry::new(geojson::GeometryValue::from(&g))),
                "properties": props,
            })
        })
        .collect();
    json!({
        "type": "FeatureCollection",
        "name": format!("feedmap plan: {}", plan.region),
        "attribution": plan.attribution,
        "neighbourhood_layer": plan.neighbourhood_layer,
        "community_layer": plan.community_layer,
        "params": plan.params,
        "features": features,
    })
}

/// The CSV columns, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "neighbourhood_id",
    "neighbourhood_name",
    "rank",
    "id",
    "kind",
    "name",
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
        };
        w.write_record([
            n.id.as_str(),
            n.name.as_str(),
            &s.rank.to_string(),
            &s.id,
            kind,
            &s.name,
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
            &s.reason,
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}
