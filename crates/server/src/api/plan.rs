//! Plan endpoints: the plan as JSON, as GeoJSON of the suggested feed areas,
//! and as CSV, each tuned by the same query parameters.

use super::decisions::check_params;
use super::problem::{ApiProblem, Path};
use super::write::{blocking, if_match, store_write, with_etag, Body, Planner};
use super::{AppState, Params};
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use feedmap_domain::plan::{self, Plan, PlanError};
use feedmap_domain::served::Served;
use feedmap_store::ParamSet;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

impl From<PlanError> for ApiProblem {
    fn from(e: PlanError) -> Self {
        ApiProblem::bad_parameter(e.to_string())
    }
}

/// Parses the parameters and plans off the async threads (a national plan
/// takes a while), handing the served value along for the exports. The
/// plan is made from one [`Served`] value, so its feeds, decisions and
/// saved parameters are of the one store generation it states.
async fn planned(
    state: Arc<AppState>,
    query: Option<String>,
) -> Result<(Plan, Arc<Served>), ApiProblem> {
    let given = Params::parse(query.as_deref()).owned();
    tokio::task::spawn_blocking(move || {
        // As the store has it now (another replica may have just written).
        state.sync_for_read();
        let served = state.served();
        let params = served.params(&given)?;
        // Residents' answers to the question, as evidence (none when the
        // region asks nothing).
        let voice = super::question::evidence(&state, &served);
        let p = served.plan_with(&params, voice.as_ref())?;
        Ok((p, served))
    })
    .await
    .map_err(|e| ApiProblem::internal(format!("planning failed: {e}")))?
    .map_err(|e: PlanError| ApiProblem::from(e))
}

/// The header naming the store generation a plan reflects.
pub const GENERATION_HEADER: &str = "x-feedmap-generation";

/// Adds [`GENERATION_HEADER`] to a plan response (when planned with a
/// store), so CSV and GeoJSON answers state it too.
fn stamped(generation: Option<i64>, mut r: Response) -> Response {
    if let Some(g) = generation {
        r.headers_mut()
            .insert(GENERATION_HEADER, axum::http::HeaderValue::from(g));
    }
    r
}

fn internal(detail: String) -> ApiProblem {
    ApiProblem::internal(detail)
}

/// `GET /v1/plan?…`: the whole plan as JSON.
pub async fn json(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let (p, _) = planned(state, q).await?;
    Ok(stamped(p.generation, Json(&p).into_response()))
}

/// `GET /v1/plan.geojson?…`: the suggested feed areas.
pub async fn geojson(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let (p, served) = planned(state, q).await?;
    let mut body = Vec::new();
    plan::export::write_geojson(&p, served.region(), &mut body)
        .map_err(|e| internal(format!("writing the GeoJSON failed: {e}")))?;
    Ok(stamped(
        p.generation,
        ([(header::CONTENT_TYPE, "application/geo+json")], body).into_response(),
    ))
}

/// `GET /v1/plan.csv?…`: one row per suggestion.
pub async fn csv(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let (p, _) = planned(state, q).await?;
    let body =
        plan::export::csv(&p).map_err(|e| internal(format!("writing the CSV failed: {e}")))?;
    Ok(stamped(
        p.generation,
        super::csv_download("feedmap-plan.csv", body),
    ))
}

/// `GET /v1/plan/summary?…`: the plan in the compact form the map needs
/// (every neighbourhood without its lists; every suggested or served
/// community's state), small enough for a national region.
pub async fn summary(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let (p, served) = planned(state, q).await?;
    let region = served.region();
    let hood_layer = region.layer(&p.neighbourhood_layer).map(|(_, l)| l);
    let neighbourhoods: Vec<_> = p
        .neighbourhoods
        .iter()
        .map(|n| {
            let bbox = hood_layer
                .and_then(|l| l.area_index(&n.id).map(|a| l.areas[a].bbox))
                .map(|b| [b.min().x, b.min().y, b.max().x, b.max().y]);
            json!({
                "bbox": bbox,
                "id": n.id, "name": n.name, "population": n.population,
                "population_provenance": n.population_provenance, "large": n.large,
                "why": n.why, "need": n.need, "has_feed": n.has_feed,
                "suggestions": n.suggestions.len(),
                "chosen": n.suggestions.iter().filter(|s| s.chosen).count(),
            })
        })
        .collect();
    let mut communities = Vec::new();
    for n in &p.neighbourhoods {
        for s in &n.suggestions {
            let ids: Vec<&str> = if s.members.is_empty() {
                vec![s.id.as_str()]
            } else {
                s.members.iter().map(|m| m.id.as_str()).collect()
            };
            for id in ids {
                communities.push(json!({
                    "id": id, "suggestion": s.id, "neighbourhood": n.id,
                    "score": s.score, "rank": s.rank, "chosen": s.chosen,
                    "decision": s.decision.as_ref().map(|d| d.decision),
                }));
            }
        }
    }
    // Communities a planner rejected (or decided while not suggested), so
    // the map can show them.
    let decided: Vec<_> = p
        .neighbourhoods
        .iter()
        .flat_map(|n| n.not_suggested.iter())
        .filter_map(|s| {
            s.decision
                .as_ref()
                .map(|d| json!({ "id": s.id, "decision": d.decision }))
        })
        .collect();
    let served: Vec<&str> = region
        .layer(&p.community_layer)
        .map(|(cl, layer)| {
            (0..layer.areas.len())
                .filter(|&a| {
                    served
                        .feeds()
                        .serves(feedmap_geography::area::AreaRef::new(cl, a))
                })
                .map(|a| layer.areas[a].id.as_str())
                .collect()
        })
        .unwrap_or_default();
    let generation = p.generation;
    Ok(stamped(
        generation,
        Json(json!({
            "region": p.region, "attribution": p.attribution, "generation": p.generation,
            "neighbourhood_layer": p.neighbourhood_layer, "community_layer": p.community_layer,
            "params": p.params, "population": p.population, "summary": p.summary,
            "shortlist": p.shortlist, "settlements": p.settlements,
            "decisions": p.decisions,
            "neighbourhoods": neighbourhoods, "communities": communities, "served": served,
            "decided": decided,
        }))
        .into_response(),
    ))
}

/// `GET /v1/plan/neighbourhoods/{id}?…`: one neighbourhood's part of the
/// plan, with its suggestions and the communities not suggested.
pub async fn neighbourhood(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let (p, _) = planned(state, q).await?;
    let generation = p.generation;
    let layer = p.neighbourhood_layer;
    let n = p
        .neighbourhoods
        .into_iter()
        .find(|n| n.id == id)
        .ok_or_else(|| {
            ApiProblem::not_found(format!("no neighbourhood {id:?} in layer {layer:?}"))
        })?;
    Ok(stamped(generation, Json(n).into_response()))
}

fn params_view(p: Option<ParamSet>) -> (i64, serde_json::Value) {
    match p {
        Some(p) => (p.version, serde_json::to_value(&p).unwrap_or_default()),
        None => (
            0,
            serde_json::json!({ "name": "default", "query": "", "version": 0 }),
        ),
    }
}

/// `GET /v1/plan/params`: the saved parameters plans start from (a
/// request's own parameters override them one by one), with `ETag`.
pub async fn get_params(State(state): State<Arc<AppState>>) -> Result<Response, ApiProblem> {
    let s = state.clone();
    let p = blocking(move || Ok(s.store.param_set("default")?)).await?;
    let (v, body) = params_view(p);
    Ok(with_etag(StatusCode::OK, v, body))
}

/// The body of `PUT /v1/plan/params`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParamsBody {
    /// Plan parameters as a query string, e.g. `min_population=4000`.
    pub query: String,
}

/// `PUT /v1/plan/params` with `If-Match` (`"v0"` before the first save):
/// saves the parameters plans start from.
pub async fn put_params(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Planner(caller): Planner,
    Body(body): Body<ParamsBody>,
) -> Result<Response, ApiProblem> {
    let expect = if_match(&headers)?;
    check_params(&body.query, "query")?;
    let p = store_write(&state, move |store| {
        store.set_param_set(&caller.name, "default", expect, &body.query)
    })
    .await?;
    let (v, body) = params_view(Some(p));
    Ok(with_etag(StatusCode::OK, v, body))
}

/// This resource's operations: its routes and their description, which
/// the API's operation table gathers for the router and `/api`.
pub(super) fn operations(cx: &super::operation::Context) -> Vec<super::operation::Operation> {
    use super::operation::Verb::*;
    use super::operation::{path, schema, Operation};
    use axum::routing;
    use serde_json::json;
    vec![
        cx.get(
            "/v1/plan/params",
            "The saved parameters plans start from, with ETag",
            routing::get(get_params).layer(cx.limit()),
        ),
        Operation::new(
            Put,
            "/v1/plan/params",
            "Save the parameters plans start from",
            routing::put(put_params).layer(cx.limit()),
        )
        .answers(schema::<feedmap_store::ParamSet>)
        .write(
            200,
            Some((
                schema::<ParamsBody>,
                json!({ "query": "min_population=4000" }),
            )),
            true,
        ),
        cx.get("/v1/plan", "The feed plan", routing::get(json))
            .answers(schema::<feedmap_domain::plan::Plan>)
            .params(cx.plan_params()),
        cx.get(
            "/v1/plan.geojson",
            "The suggested feed areas",
            routing::get(geojson),
        )
        .media(super::GEOJSON)
        .params(cx.plan_params()),
        cx.get(
            "/v1/plan.csv",
            "The suggestions, one row each",
            routing::get(csv),
        )
        .media("text/csv")
        .params(cx.plan_params()),
        cx.get(
            "/v1/plan/summary",
            "The plan in the map's compact form",
            routing::get(summary),
        )
        .params(cx.plan_params()),
        cx.get(
            "/v1/plan/neighbourhoods/{id}",
            "One neighbourhood's part of the plan",
            routing::get(neighbourhood),
        )
        .answers(schema::<feedmap_domain::plan::NeighbourhoodPlan>)
        .params(
            [
                vec![path("id", "a neighbourhood id", json!(cx.ex.neighbourhood))],
                cx.plan_params(),
            ]
            .concat(),
        ),
    ]
}
