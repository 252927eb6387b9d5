//! The API's routes and their description, from one table.
//!
//! Every operation the server answers is one [`Operation`]: its method and
//! path, the handler, its parameters, and the Rust types of its request
//! body and JSON answer. The router is built from this table
//! ([`super::router`]), and `GET /api` is generated from it, with the body
//! and answer schemas derived from those types (`schemars`, OpenAPI 3.0
//! dialect), so the description cannot drift from what is served: a route
//! exists exactly when it is documented, and a request type's fields, the
//! unknown fields it refuses and its length limits are what the document
//! says. Each operation carries an example built from the region being
//! served (a real area, point, postcode and feed), which a test sends to
//! the real handler.

use super::state::AppState;
use super::GEOJSON;
use super::{
    audit, batch, changes, decisions, embed, feeds, health, lookup, map, ogc, ownership, plan,
    police, releases, settlements, webhooks,
};
use crate::config::ServeConfig;
use axum::routing::{self, MethodRouter};
use feedmap_domain::served::Served;
use feedmap_geography::manifest::Role;
use geo::InteriorPoint;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// An HTTP method the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verb {
    /// Create.
    Post,
    /// Read.
    Get,
    /// Replace.
    Put,
    /// Change.
    Patch,
    /// Remove.
    Delete,
}

impl Verb {
    /// The lowercase word OpenAPI uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
            Verb::Put => "put",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
        }
    }
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    /// A path segment.
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
}

/// One parameter of an operation.
#[derive(Debug, Clone)]
pub struct Param {
    /// Its name.
    pub name: &'static str,
    /// Where it goes.
    pub at: In,
    /// Whether it must be given.
    pub required: bool,
    /// What it is.
    pub description: &'static str,
    /// Its JSON schema.
    pub schema: Value,
    /// A value that works on the region served.
    pub example: Option<Value>,
}

type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// A request body: its media type, the type it is read into (for JSON)
/// and an example.
#[derive(Debug, Clone)]
pub struct RequestBody {
    /// Media type.
    pub media: &'static str,
    /// The schema of the type the handler reads (JSON bodies).
    pub schema: Option<SchemaFn>,
    /// An example the handler accepts on the region served.
    pub example: Value,
}

/// One operation: route and description.
pub struct Operation {
    /// Method.
    pub verb: Verb,
    /// Path, with `{name}` segments (axum's syntax is OpenAPI's).
    pub path: &'static str,
    /// One line saying what it does.
    pub summary: &'static str,
    /// Path, query and header parameters.
    pub params: Vec<Param>,
    /// The request body, if it takes one.
    pub body: Option<RequestBody>,
    /// The success status.
    pub ok: u16,
    /// The answer's media type.
    pub media: &'static str,
    /// The answer's schema, from its type (JSON answers).
    pub answer: Option<SchemaFn>,
    /// Whether it is a write (a planner token, the write problems).
    pub write: bool,
    /// Whether it needs a bearer token (`security: bearer`).
    pub secured: bool,
    /// Whether the request timeout is waived: large uploads and streamed
    /// answers, which take as long as their size needs.
    pub untimed: bool,
    /// Whether "not found" is data.police.uk's 404 with an empty body
    /// rather than a problem.
    pub bare_404: bool,
    /// The handler, with its layers.
    pub handler: MethodRouter<Arc<AppState>>,
}

/// Values of the region served, for examples.
#[derive(Debug, Clone, Default)]
pub struct Examples {
    layers: Vec<String>,
    community_layer: String,
    community: String,
    community_name: String,
    neighbourhood: String,
    lat: f64,
    lon: f64,
    postcode: Option<String>,
    feed: Option<String>,
    staged: Vec<(i64, Option<feedmap_domain::successors::Proposal>)>,
    community_properties: (Option<String>, Option<String>),
    handle: Option<String>,
    platform: Option<String>,
    /// Open handovers, oldest first.
    open_handovers: Vec<i64>,
    /// An active feed other than `feed` with no open handover.
    free_feed: Option<String>,
    /// The force id (`[force]`).
    force: Option<String>,
}

impl Examples {
    /// Examples from what is served.
    pub fn of(served: &Served) -> Examples {
        let region = served.region();
        let mut ex = Examples {
            layers: region.layers.iter().map(|l| l.id.clone()).collect(),
            ..Examples::default()
        };
        if let Some(l) = region.layers.iter().find(|l| l.role == Role::Community) {
            ex.community_layer = l.id.clone();
            if let Some(spec) = served
                .source()
                .manifest
                .layers
                .iter()
                .find(|s| s.id == l.id)
            {
                ex.community_properties = (spec.id_property.clone(), spec.name_property.clone());
            }
            if let Some(a) = l.areas.first() {
                ex.community = a.id.clone();
                ex.community_name = a.name.clone();
                if let Some(p) = a.geometry.interior_point() {
                    (ex.lat, ex.lon) = (p.y(), p.x());
                }
            }
        }
        if let Some(l) = region.layers.iter().find(|l| l.role == Role::Neighbourhood) {
            ex.neighbourhood = l.areas.first().map(|a| a.id.clone()).unwrap_or_default();
        }
        ex.force = region.force.as_ref().map(|f| f.id.clone());
        ex.postcode = region
            .postcodes
            .as_ref()
            .and_then(|p| p.first().map(|e| e.postcode.clone()));
        ex.feed = served.feeds().feeds.first().map(|f| f.feed_id.clone());
        if let Some(f) = served.feeds().feeds.first() {
            ex.handle = Some(f.fields.handle.clone());
            ex.platform = Some(f.fields.platform.clone());
        }
        let handovers = &served.store().handovers;
        ex.open_handovers = handovers
            .values()
            .filter(|h| h.status == feedmap_store::HandoverStatus::Open)
            .map(|h| h.id)
            .collect();
        ex.free_feed = served
            .feeds()
            .feeds
            .iter()
            .skip(1)
            .find(|f| {
                f.fields.status == feedmap_domain::feeds::FeedStatus::Active
                    && !handovers.values().any(|h| {
                        h.feed_id == f.feed_id && h.status == feedmap_store::HandoverStatus::Open
                    })
            })
            .map(|f| f.feed_id.clone());
        // Staged releases with their first proposal, oldest first.
        ex.staged = served
            .generations()
            .layers
            .iter()
            .flatten()
            .filter_map(|g| g.release.as_ref())
            .filter(|r| r.status == feedmap_store::ReleaseStatus::Staged)
            .map(|r| {
                let first = feedmap_domain::successors::proposals(
                    served,
                    r.id,
                    feedmap_domain::successors::DEFAULT_SUCCESSOR_SHARE,
                )
                .ok()
                .and_then(|p| p.proposals.into_iter().next());
                (r.id, first)
            })
            .collect();
        ex.staged.sort_by_key(|r| r.0);
        ex
    }

    /// A staged release for an operation: confirmations on the oldest,
    /// withdrawal on the next, activation (and reads) on the newest, so
    /// that each still finds its release staged whatever order they run
    /// in.
    fn release_id(&self, role: &str) -> String {
        let n = self.staged.len();
        let i = match role {
            "confirm" => 0,
            "withdraw" => 1.min(n.saturating_sub(1)),
            _ => n.saturating_sub(1),
        };
        self.staged.get(i).map_or("1".into(), |r| r.0.to_string())
    }

    /// An open handover for an operation: cancelling takes the oldest,
    /// the rest the newest (so a cancel never closes the one confirmed).
    fn handover_id(&self, role: &str) -> String {
        let h = match role {
            "cancel" => self.open_handovers.first(),
            _ => self.open_handovers.last(),
        };
        h.map_or("1".into(), |id| id.to_string())
    }

    /// A feed a handover can start on.
    fn handover_feed(&self) -> String {
        self.free_feed
            .clone()
            .unwrap_or_else(|| "example-feed".into())
    }

    fn subject(&self) -> String {
        self.staged
            .first()
            .and_then(|r| r.1.as_ref().map(|p| p.subject.clone()))
            .unwrap_or_else(|| "feed:example-feed".into())
    }

    /// A confirm body: the proposal where there is one, else its first
    /// candidate, else none.
    fn confirm_body(&self) -> Value {
        match self.staged.first().and_then(|r| r.1.as_ref()) {
            Some(p) if p.proposed.is_some() => json!({}),
            Some(p) if !p.candidates.is_empty() => json!({ "to": p.candidates[0].id }),
            _ => json!({ "to": null }),
        }
    }

    /// A stage body: one community as a new generation of its layer.
    fn release_body(&self) -> Value {
        json!({
            "layer": self.community_layer,
            "label": "example release",
            "files": [{ "name": "example.geojson", "text": json!({
                "type": "FeatureCollection",
                "features": [{
                    "type": "Feature",
                    "id": self.community,
                    "properties": {
                        self.community_properties.0.as_deref().unwrap_or("id"): self.community,
                        self.community_properties.1.as_deref().unwrap_or("name"): self.community_name,
                    },
                    "geometry": { "type": "Polygon", "coordinates": [[
                        [self.lon - 0.001, self.lat - 0.001], [self.lon + 0.001, self.lat - 0.001],
                        [self.lon + 0.001, self.lat + 0.001], [self.lon - 0.001, self.lat + 0.001],
                        [self.lon - 0.001, self.lat - 0.001]
                    ]]}
                }]
            }).to_string() }]
        })
    }
}

/// A settings table's query parameters, then `format`.
fn settings_and(table: &[feedmap_domain::settings::Setting], format: Param) -> Vec<Param> {
    let mut params: Vec<Param> = table
        .iter()
        .map(|s| query(s.name, s.doc, s.schema()))
        .collect();
    params.push(format);
    params
}

fn query(name: &'static str, description: &'static str, schema: Value) -> Param {
    Param {
        name,
        at: In::Query,
        required: false,
        description,
        schema,
        example: None,
    }
}

fn path(name: &'static str, description: &'static str, example: Value) -> Param {
    Param {
        name,
        at: In::Path,
        required: true,
        description,
        schema: json!({ "type": "string" }),
        example: Some(example),
    }
}

fn required(mut p: Param, example: Value) -> Param {
    p.required = true;
    p.example = Some(example);
    p
}

fn with_example(mut p: Param, example: Option<Value>) -> Param {
    p.example = example;
    p
}

fn if_match() -> Param {
    Param {
        name: "If-Match",
        at: In::Header,
        required: true,
        description: "the ETag read, or * to change whatever is there",
        schema: json!({ "type": "string" }),
        example: Some(json!("*")),
    }
}

impl Operation {
    fn new(
        verb: Verb,
        path: &'static str,
        summary: &'static str,
        handler: MethodRouter<Arc<AppState>>,
    ) -> Operation {
        Operation {
            verb,
            path,
            summary,
            params: Vec::new(),
            body: None,
            ok: 200,
            media: "application/json",
            answer: None,
            write: false,
            secured: false,
            untimed: false,
            bare_404: false,
            handler,
        }
    }

    /// A data.police.uk-compatible read: 404 with an empty body.
    fn bare_404(mut self) -> Self {
        self.bare_404 = true;
        self
    }

    fn params(mut self, params: Vec<Param>) -> Self {
        self.params = params;
        self
    }

    fn answers(mut self, answer: SchemaFn) -> Self {
        self.answer = Some(answer);
        self
    }

    /// No request timeout (see [`Operation::untimed`]).
    fn untimed(mut self) -> Self {
        self.untimed = true;
        self
    }

    fn media(mut self, media: &'static str) -> Self {
        self.media = media;
        self
    }

    /// A write: a planner token, a JSON body of the given type (if any),
    /// `If-Match` when it changes or removes a record.
    fn write(mut self, ok: u16, body: Option<(SchemaFn, Value)>, if_matched: bool) -> Self {
        self.write = true;
        self.secured = true;
        self.ok = ok;
        self.body = body.map(|(schema, example)| RequestBody {
            media: "application/json",
            schema: Some(schema),
            example,
        });
        if if_matched {
            self.params.push(if_match());
        }
        self
    }
}

/// Every operation the server answers, with examples from `ex`. The
/// router and the description are both made from this list.
pub fn operations(config: &ServeConfig, ex: &Examples) -> Vec<Operation> {
    use Verb::*;
    let limit = axum::extract::DefaultBodyLimit::max(config.write_max_bytes);
    let get = |p, s, h| Operation::new(Get, p, s, h);
    let layer = |name: &'static str| {
        let mut p = path(name, "a layer id", json!(ex.community_layer));
        p.schema = json!({ "type": "string", "enum": ex.layers });
        p
    };
    let lat = || {
        query(
            "lat",
            "latitude, degrees",
            json!({"type": "number", "minimum": -90, "maximum": 90}),
        )
    };
    let lon = || {
        query(
            "lon",
            "longitude, degrees",
            json!({"type": "number", "minimum": -180, "maximum": 180}),
        )
    };
    let at = || {
        query(
            "at",
            "answer as of this date (YYYY-MM-DD): the boundary generations in effect then, with the feeds attached to them; default today",
            json!({"type": "string", "format": "date"}),
        )
    };
    let plan_params: Vec<Param> = feedmap_domain::plan::params::PARAMS
        .iter()
        .map(|p| {
            use feedmap_domain::plan::params::Kind;
            let schema = match p.kind {
                Kind::Layer => json!({"type": "string", "enum": ex.layers}),
                Kind::Number => json!({"type": "number", "minimum": p.min, "maximum": p.max}),
                Kind::Limit => json!({"oneOf": [{"type": "integer", "minimum": p.min, "maximum": p.max}, {"type": "string", "enum": ["none"]}]}),
                Kind::Flag => json!({"type": "boolean"}),
            };
            query(p.name, p.doc, schema)
        })
        .collect();
    let feed_id = ex.feed.clone().unwrap_or_else(|| "example-feed".into());
    let new_feed = json!({
        "feed_id": "example-community-feed", "platform": "x", "handle": "@ExampleCommunity",
        "url": "https://x.example/ExampleCommunity", "layer": ex.community_layer,
        "area_id": ex.community, "name": format!("{} community feed", ex.community_name),
        "status": "planned",
    });
    // The feed lookup's example: a postcode where the region has them,
    // else a place name.
    let (postcode, place) = match &ex.postcode {
        Some(pc) => (Some(json!(pc)), None),
        None => (None, Some(json!(ex.community_name))),
    };
    let mut ops = vec![
        get("/", "Landing page (the planners' map for a browser, links otherwise)", routing::get(ogc::landing)),
        get("/conformance", "OGC API – Features conformance classes", routing::get(ogc::conformance)),
        get("/api", "This description (OpenAPI 3.0)", routing::get(api_definition))
            .media("application/vnd.oai.openapi+json;version=3.0"),
        get("/collections", "The layers, one collection each", routing::get(ogc::collections)),
        get("/collections/{layer}", "One layer", routing::get(ogc::collection))
            .params(vec![layer("layer")]),
        get("/collections/{layer}/items", "Areas of a layer, paged", routing::get(ogc::items))
            .media(GEOJSON)
            .params(vec![
                layer("layer"),
                query("bbox", "minLon,minLat,maxLon,maxLat", json!({"type": "string"})),
                query("limit", "page size", json!({"type": "integer", "minimum": 1, "maximum": config.max_limit, "default": config.default_limit})),
                query("offset", "items to skip", json!({"type": "integer", "minimum": 0, "default": 0})),
                query("datetime", "an instant (YYYY-MM-DD or RFC 3339): the areas in effect then; default today", json!({"type": "string"})),
            ]),
        get("/collections/{layer}/items/{id}", "One area, with parents and children", routing::get(ogc::item))
            .media(GEOJSON)
            .params(vec![layer("layer"), path("id", "an area id", json!(ex.community))]),
        get("/v1/lookup", "The areas of every layer at a point", routing::get(lookup::areas))
            .answers(schema::<lookup::Dated<feedmap_geography::lookup::LookupAnswer>>)
            .params(vec![required(lat(), json!(ex.lat)), required(lon(), json!(ex.lon)), at()]),
        get("/v1/feeds/lookup", "The feeds for a point, postcode or place, most specific first (give lat and lon, or postcode, or q)", routing::get(lookup::feeds))
            .answers(schema::<lookup::Dated<feedmap_domain::query::FeedAnswer>>)
            .params(vec![
                at(),
                lat(),
                lon(),
                with_example(query("postcode", "a UK postcode, any case or spacing", json!({"type": "string"})), postcode),
                with_example(query("q", "a place name or address", json!({"type": "string"})), place),
            ]),
        Operation {
            body: Some(RequestBody {
                media: "text/csv",
                schema: None,
                example: json!(format!("id,lat,lon\n1,{},{}\n", ex.lat, ex.lon)),
            }),
            media: "text/csv",
            ..Operation::new(Post, "/v1/feeds/lookup/batch", "Many lookups: CSV (text/csv) or JSON Lines (application/x-ndjson) in, the same out, streamed", routing::post(batch::batch).layer(axum::extract::DefaultBodyLimit::disable()))
                .params(vec![at()])
                .untimed()
        },
        get("/v1/feeds", "Every feed (active, planned, retired)", routing::get(feeds::list).layer(limit))
            .answers(schema::<feeds::FeedList>),
        Operation::new(Post, "/v1/feeds", "Add a feed (201)", routing::post(feeds::create).layer(limit))
            .answers(schema::<feedmap_domain::feeds::Feed>)
            .write(201, Some((schema::<feeds::NewFeedBody>, new_feed)), false),
        get("/v1/feeds/{feed_id}", "One feed, with its ETag", routing::get(feeds::one).layer(limit))
            .answers(schema::<feedmap_domain::feeds::Feed>)
            .params(vec![path("feed_id", "a feed id", json!(feed_id))]),
        Operation::new(Patch, "/v1/feeds/{feed_id}", "Change a feed", routing::patch(feeds::update).layer(limit))
            .answers(schema::<feedmap_domain::feeds::Feed>)
            .params(vec![path("feed_id", "a feed id", json!(feed_id))])
            .write(200, Some((schema::<feeds::FeedPatchBody>, json!({ "name": "Renamed feed" }))), true),
        Operation::new(Delete, "/v1/feeds/{feed_id}", "Retire a feed (it stays listed, retired)", routing::delete(feeds::retire).layer(limit))
            .answers(schema::<feedmap_domain::feeds::Feed>)
            .params(vec![path("feed_id", "a feed id", json!(feed_id))])
            .write(200, None, true),
        get("/v1/decisions", "Planners' decisions, with vanished flags", routing::get(decisions::list).layer(limit))
            .answers(schema::<decisions::DecisionList>)
            .params(vec![query("layer", "only this community layer", json!({"type": "string"}))]),
        Operation::new(Post, "/v1/decisions", "Record a decision about a community or cluster (201)", routing::post(decisions::create).layer(limit))
            .answers(schema::<decisions::DecisionView>)
            .write(201, Some((schema::<decisions::NewDecisionBody>, json!({ "layer": ex.community_layer, "area_id": ex.community, "decision": "defer", "note": "ask the neighbourhood team" }))), false),
        get("/v1/decisions/{id}", "One decision, with its ETag", routing::get(decisions::one).layer(limit))
            .answers(schema::<decisions::DecisionView>)
            .params(vec![path("id", "a decision id", json!("1"))]),
        Operation::new(Patch, "/v1/decisions/{id}", "Change a decision", routing::patch(decisions::update).layer(limit))
            .answers(schema::<decisions::DecisionView>)
            .params(vec![path("id", "a decision id", json!("1"))])
            .write(200, Some((schema::<decisions::DecisionPatchBody>, json!({ "decision": "accept", "note": "agreed with the team" }))), true),
        Operation::new(Delete, "/v1/decisions/{id}", "Withdraw a decision", routing::delete(decisions::delete).layer(limit))
            .answers(schema::<decisions::Withdrawn>)
            .params(vec![path("id", "a decision id", json!("1"))])
            .write(200, None, true),
        get("/v1/plan/params", "The saved parameters plans start from, with ETag", routing::get(plan::get_params).layer(limit)),
        Operation::new(Put, "/v1/plan/params", "Save the parameters plans start from", routing::put(plan::put_params).layer(limit))
            .answers(schema::<feedmap_store::ParamSet>)
            .write(200, Some((schema::<plan::ParamsBody>, json!({ "query": "min_population=4000" }))), true),
        get("/v1/audit", "The append-only log of every change", routing::get(audit::audit))
            .answers(schema::<audit::AuditPage>)
            .params(vec![
                query("after", "continue after this seq", json!({"type": "integer", "minimum": 0})),
                query("limit", "entries", json!({"type": "integer", "minimum": 0, "maximum": 1000, "default": 100})),
            ]),
        Operation::new(Post, "/v1/webhooks", "Register a webhook (201): events after now, signed with its secret (answered this once), retried with backoff, paused after repeated failures", routing::post(webhooks::create).layer(limit))
            .answers(schema::<webhooks::Created>)
            .write(201, Some((schema::<webhooks::WebhookBody>, json!({ "url": "https://hooks.example.org/feedmap", "events": ["feed.added", "feed.retired", "feed.handed_over", "boundary.activated"], "areas": [{ "layer": ex.community_layer, "id": ex.community }], "description": "Example council: new and retired feeds in our area" }))), false),
        Operation {
            secured: true,
            ..get("/v1/webhooks", "Every webhook with where its deliveries are (paused ones and why); a token", routing::get(webhooks::list))
                .answers(schema::<webhooks::WebhookList>)
        },
        Operation {
            secured: true,
            ..get("/v1/webhooks/{id}", "One webhook with its delivery state and ETag; a token", routing::get(webhooks::one))
                .answers(schema::<webhooks::WebhookView>)
                .params(vec![path("id", "a webhook id", json!(1))])
        },
        Operation::new(Patch, "/v1/webhooks/{id}", "Change a webhook; status paused stops its deliveries (events keep queueing), active resumes them from where they stopped", routing::patch(webhooks::update).layer(limit))
            .answers(schema::<webhooks::WebhookView>)
            .params(vec![path("id", "a webhook id", json!(1))])
            .write(200, Some((schema::<webhooks::WebhookPatchBody>, json!({ "status": "active" }))), true),
        Operation::new(Delete, "/v1/webhooks/{id}", "Remove a webhook (the audit log keeps it)", routing::delete(webhooks::delete))
            .answers(schema::<webhooks::Removed>)
            .params(vec![path("id", "a webhook id", json!(1))])
            .write(200, None, true),
        get("/v1/changes", "Public changes to feeds and boundaries (added, changed, retired, handed over, moved; releases activated), oldest first; poll with after, or hold open with wait", routing::get(changes::list))
            .answers(schema::<changes::ChangePage>)
            .params(vec![
                query("after", "continue after this seq (the last answer's last_seq)", json!({"type": "integer", "minimum": 0})),
                query("limit", "changes", json!({"type": "integer", "minimum": 1, "maximum": 1000, "default": 100})),
                query("wait", "seconds to hold an empty answer open for the next change (long-poll)", json!({"type": "integer", "minimum": 0, "maximum": changes::MAX_WAIT_S, "default": 0})),
            ])
            .untimed(),
        Operation {
            secured: true,
            ..get("/v1/me", "Who a bearer token is (name and role)", routing::get(audit::me)).answers(schema::<audit::Me>)
        },
        get("/v1/plan", "The feed plan", routing::get(plan::json))
            .answers(schema::<feedmap_domain::plan::Plan>)
            .params(plan_params.clone()),
        get("/v1/plan.geojson", "The suggested feed areas", routing::get(plan::geojson))
            .media(GEOJSON)
            .params(plan_params.clone()),
        get("/v1/plan.csv", "The suggestions, one row each", routing::get(plan::csv))
            .media("text/csv")
            .params(plan_params.clone()),
        get("/v1/plan/summary", "The plan in the map's compact form", routing::get(plan::summary))
            .params(plan_params.clone()),
        get("/v1/plan/neighbourhoods/{id}", "One neighbourhood's part of the plan", routing::get(plan::neighbourhood))
            .answers(schema::<feedmap_domain::plan::NeighbourhoodPlan>)
            .params([vec![path("id", "a neighbourhood id", json!(ex.neighbourhood))], plan_params].concat()),
        get("/map/config.json", "What the map page needs to start", routing::get(map::config)),
        get("/map/points/{layer}", "A label point inside each area, with its active feeds", routing::get(map::points))
            .params(vec![
                layer("layer"),
                query("bbox", "minLon,minLat,maxLon,maxLat", json!({"type": "string"})),
                query("limit", "points", json!({"type": "integer", "minimum": 1, "maximum": 5000, "default": 500})),
            ]),
        get("/map/{file}", "The map page's scripts and styles", routing::get(map::asset))
            .media("text/javascript")
            .params(vec![path("file", "app.js, style.css, maplibre-gl.js or maplibre-gl.css", json!("app.js"))]),
        get("/tiles/{layer}/{z}/{x}/{y}", "A Mapbox Vector Tile of a layer (y ends in .mvt)", routing::get(map::tile))
            .media("application/vnd.mapbox-vector-tile")
            .params(vec![
                layer("layer"),
                path("z", "zoom", json!("0")),
                path("x", "column", json!("0")),
                path("y", "row, then .mvt", json!("0.mvt")),
                at(),
            ]),
        get("/v1/settlements", "Settlements discovered from the region's residential points (postcodes chained within 200 m, at least 5): outline, residents, gap and isolation, name and where it came from; GeoJSON", routing::get(settlements::list))
            .answers(schema::<feedmap_geography::settlements::SettlementCollection>)
            .media("application/geo+json"),
        get("/residential/{z}/{x}/{y}", "Where people live, as a density tile: the region's residential points (postcodes) counted per cell of 8 pixels, one point feature per occupied cell with points and residents (y ends in .mvt)", routing::get(map::residential))
            .media("application/vnd.mapbox-vector-tile")
            .params(vec![
                path("z", "zoom", json!("0")),
                path("x", "column", json!("0")),
                path("y", "row, then .mvt", json!("0.mvt")),
            ]),
        get("/health", "Liveness, what is loaded, what was last seen of the store", routing::get(health::health)),
        get("/v1/releases", "Every layer's boundary generations: the manifest's, staged, active (scheduled) and withdrawn releases", routing::get(releases::list))
            .answers(schema::<feedmap_domain::releases::ReleaseList>)
            .params(vec![query("layer", "only this layer", json!({"type": "string", "enum": ex.layers}))]),
        Operation::new(Post, "/v1/releases", "Stage a new generation of a layer's boundaries (201): validated whole, stored, not used by lookups until activated", routing::post(releases::stage).layer(axum::extract::DefaultBodyLimit::max(releases::MAX_RELEASE_BYTES)))
            .untimed()
            .answers(schema::<feedmap_domain::releases::GenerationView>)
            .write(201, Some((schema::<feedmap_domain::releases::StageRequest>, ex.release_body())), false),
        get("/v1/releases/{id}", "One generation, with its ETag", routing::get(releases::one))
            .answers(schema::<feedmap_domain::releases::GenerationView>)
            .params(vec![path("id", "a release id", json!(ex.release_id("read")))]),
        get("/v1/releases/{id}/diff", "What the release changes against the generation it replaces, per area: kind, ground and resident shares, postcodes", routing::get(releases::diff))
            .answers(schema::<releases::DiffAnswer>)
            .params(vec![
                path("id", "a release id", json!(ex.release_id("read"))),
                query("format", "json (default), csv (one row per old → new pair) or geojson (old and new areas)", json!({"type": "string", "enum": ["json", "csv", "geojson"]})),
            ]),
        get("/v1/releases/{id}/postcodes", "Every postcode whose area the release changes (CSV)", routing::get(releases::postcodes))
            .media("text/csv")
            .params(vec![path("id", "a release id", json!(ex.release_id("read")))]),
        get("/v1/releases/{id}/proposals", "The proposed successor of every feed and decision on the layer, with planners' confirmations", routing::get(releases::proposals))
            .answers(schema::<feedmap_domain::successors::Proposals>)
            .params(vec![
                path("id", "a release id", json!(ex.release_id("read"))),
                query("successor_share", "share of residents a new area must receive to be proposed (default 0.75)", json!({"type": "number", "minimum": 0.5, "maximum": 1})),
            ]),
        Operation::new(Put, "/v1/releases/{id}/proposals/{subject}", "Confirm a proposal, or choose another successor (or none)", routing::put(releases::confirm).layer(limit))
            .answers(schema::<feedmap_domain::successors::Proposal>)
            .params(vec![
                path("id", "a release id", json!(ex.release_id("confirm"))),
                path("subject", "feed:ID or decision:ID", json!(ex.subject())),
            ])
            .write(200, Some((schema::<releases::ConfirmBody>, ex.confirm_body())), true),
        Operation::new(Post, "/v1/releases/{id}/activate", "Activate a staged release, now or from valid_from, moving the confirmed successors in one transaction", routing::post(releases::activate).layer(limit))
            .answers(schema::<releases::Activated>)
            .params(vec![path("id", "a release id", json!(ex.release_id("activate")))])
            .write(200, Some((schema::<releases::ActivateBody>, json!({}))), true),
        Operation::new(Post, "/v1/releases/{id}/withdraw", "Withdraw a staged release (it stays listed, never used)", routing::post(releases::withdraw).layer(limit))
            .answers(schema::<feedmap_domain::releases::GenerationView>)
            .params(vec![path("id", "a release id", json!(ex.release_id("withdraw")))])
            .write(200, None, true),
        get("/v1/feeds/health", "Feed health: each rule that fires on each feed, explained (JSON, or format=csv one row per finding); administrators' names only with a token", routing::get(ownership::health))
            .answers(schema::<feedmap_domain::health::HealthReport>)
            .params(settings_and(feedmap_domain::health::HealthParams::SETTINGS, query("format", "json (default) or csv", json!({"type": "string", "enum": ["json", "csv"]})))),
        get("/v1/guarantee", "The Neighbourhood Policing Guarantee per neighbourhood: an active feed, a named contact, an update within 90 days", routing::get(ownership::guarantee))
            .answers(schema::<feedmap_domain::health::Guarantee>)
            .params(vec![at(), query("update_days", "the update window in days (default 90)", json!({"type": "integer", "minimum": 1, "maximum": 3650}))]),
        get("/v1/verify", "Is this handle an official account of the force? An unknown handle answers official: false; look-alikes name the account they imitate", routing::get(ownership::verify))
            .answers(schema::<feedmap_domain::verify::Verdict>)
            .params(vec![
                required(query("handle", "the handle, with or without @, or the account's URL", json!({"type": "string"})), json!(ex.handle.clone().unwrap_or_else(|| "@example".into()))),
                query("platform", "x, facebook, … (default: any)", json!({"type": "string"})),
                at(),
            ]),
        get("/v1/register", "The open register of official accounts (active and retired), public fields only (JSON, or format=csv)", routing::get(ownership::register))
            .answers(schema::<ownership::Register>)
            .params(vec![at(), query("format", "json (default) or csv", json!({"type": "string", "enum": ["json", "csv"]}))]),
        Operation {
            secured: true,
            ..get("/v1/feeds/{feed_id}/owner", "Who holds a feed, by name, with its handovers (a reader or planner token)", routing::get(ownership::owner))
                .answers(schema::<ownership::OwnerAnswer>)
                .params(vec![path("feed_id", "a feed id", json!(feed_id))])
        },
        Operation::new(Put, "/v1/feeds/{feed_id}/owner", "Record who holds a feed: owning team, administrators, credentials, verification", routing::put(ownership::set_owner).layer(limit))
            .answers(schema::<ownership::OwnerAnswer>)
            .params(vec![path("feed_id", "a feed id", json!(feed_id))])
            .write(200, Some((schema::<ownership::OwnerBody>, json!({ "team": "Example Neighbourhood Team", "administrators": ["PC A. Example", "PCSO B. Example"], "credentials": "force social media management platform", "verification": "verified", "verified_on": "2026-11-01" }))), true),
        get("/v1/handovers", "Handovers of feeds to new teams, newest first; names only with a token", routing::get(ownership::handovers))
            .answers(schema::<ownership::HandoverList>)
            .params(vec![
                query("status", "open, completed or cancelled", json!({"type": "string", "enum": ["open", "completed", "cancelled"]})),
                query("feed_id", "only this feed's", json!({"type": "string"})),
            ]),
        Operation::new(Post, "/v1/feeds/{feed_id}/handovers", "Start handing a feed to a new team (201); 409 when one is open", routing::post(ownership::start_handover).layer(limit))
            .answers(schema::<feedmap_domain::handover::HandoverView>)
            .params(vec![path("feed_id", "a feed id", json!(ex.handover_feed()))])
            .write(201, Some((schema::<feedmap_domain::handover::StartRequest>, json!({ "to_team": "Example Neighbourhood Team", "to_administrators": ["PC C. Example", "PCSO D. Example"], "note": "PC A. Example moves to another team" }))), false),
        get("/v1/handovers/{id}", "One handover with its checklist and ETag", routing::get(ownership::handover))
            .answers(schema::<feedmap_domain::handover::HandoverView>)
            .params(vec![path("id", "a handover id", json!(ex.handover_id("read")))]),
        Operation::new(Put, "/v1/handovers/{id}/steps/{step}", "Confirm one step of a handover; the last one completes it and gives the feed to the new team", routing::put(ownership::confirm_step).layer(limit))
            .answers(schema::<feedmap_domain::handover::HandoverView>)
            .params(vec![
                path("id", "a handover id", json!(ex.handover_id("confirm"))),
                {
                    let mut p = path("step", "the step", json!("credentials_changed"));
                    p.schema = json!({"type": "string", "enum": feedmap_store::HandoverStep::ALL.map(feedmap_store::HandoverStep::as_str)});
                    p
                },
            ])
            .write(200, None, true),
        Operation::new(Post, "/v1/handovers/{id}/cancel", "Cancel an open handover (the feed stays with its team)", routing::post(ownership::cancel_handover).layer(limit))
            .answers(schema::<feedmap_domain::handover::HandoverView>)
            .params(vec![path("id", "a handover id", json!(ex.handover_id("cancel")))])
            .write(200, None, true),
        Operation {
            body: Some(RequestBody {
                media: "text/csv",
                schema: None,
                example: json!(format!("handle,platform,date,posts,followers\n{},{},2026-11-20,3,1520\n", ex.handle.clone().unwrap_or_else(|| "@example".into()), ex.platform.clone().unwrap_or_else(|| "x".into()))),
            }),
            ..Operation::new(Post, "/v1/activity", "Record activity from a platform's CSV export (handle or feed_id, platform, date, posts, followers); every bad row reported by line, nothing recorded while any remain", routing::post(ownership::import_activity).layer(axum::extract::DefaultBodyLimit::max(ownership::MAX_ACTIVITY_BYTES)))
                .answers(schema::<ownership::Recorded>)
                .params(vec![query("name", "the file's name, for the audit log and messages", json!({"type": "string"}))])
                .write(200, None, false)
        },
        Operation::new(Post, "/v1/feeds/{feed_id}/activity", "Record one day (or an array of days) of a feed's activity", routing::post(ownership::post_activity).layer(limit))
            .answers(schema::<ownership::Recorded>)
            .params(vec![path("feed_id", "a feed id", json!(feed_id))])
            .write(200, Some((schema::<ownership::DayBody>, json!({ "date": "2026-11-20", "posts": 2, "followers": 1520 }))), false),
        get("/v1/consolidation", "The consolidation plan: feeds to merge or retire, with residents affected, coverage lost and reasons (JSON, CSV or GeoJSON)", routing::get(ownership::consolidation))
            .answers(schema::<feedmap_domain::consolidate::Consolidation>)
            .params(settings_and(feedmap_domain::consolidate::ConsolidationParams::SETTINGS, query("format", "json (default), csv or geojson", json!({"type": "string", "enum": ["json", "csv", "geojson"]})))),
        get("/v1/areas/{layer}/{id}/lineage", "An area's predecessors and successors across boundary generations", routing::get(releases::lineage))
            .answers(schema::<feedmap_domain::releases::Lineage>)
            .params(vec![layer("layer"), path("id", "an area id", json!(ex.community))]),
    ];
    ops.extend(integration_operations(ex));
    ops.sort_by(|a, b| (a.path, a.verb).cmp(&(b.path, b.verb)));
    ops
}

/// What integrators embed or point at: the widget, and the
/// data.police.uk-compatible reads (`/police-api/`) with data.police.uk's
/// shapes and its empty-bodied 404.
fn integration_operations(ex: &Examples) -> Vec<Operation> {
    use feedmap_domain::police_api as p;
    let force = || {
        path(
            "force",
            "the force id ([force].id in region.toml)",
            json!(ex.force.clone().unwrap_or_else(|| "example-force".into())),
        )
    };
    let hood = || {
        path(
            "neighbourhood",
            "a neighbourhood id",
            json!(ex.neighbourhood),
        )
    };
    let get = |p, s, h| Operation::new(Verb::Get, p, s, h);
    vec![
        get("/embed.js", "The widget: `<script src=\"…/embed.js\" data-postcode-box></script>` puts a postcode or place box and its feeds on any page", routing::get(embed::script))
            .media("text/javascript"),
        get("/embed", "The widget in a page of its own, for an iframe; ?postcode= looks one up at once", routing::get(embed::page))
            .media("text/html")
            .params(vec![with_example(query("postcode", "a postcode to look up at once", json!({"type": "string"})), ex.postcode.clone().map(|p| json!(p)))]),
        get("/police-api/forces", "data.police.uk-compatible: the force this region belongs to (none without [force])", routing::get(police::forces))
            .answers(schema::<Vec<p::ForceBrief>>),
        get("/police-api/forces/{force}", "data.police.uk-compatible: the force, its force-wide feeds as engagement methods", routing::get(police::force))
            .answers(schema::<p::ForceDetail>)
            .params(vec![force()])
            .bare_404(),
        get("/police-api/{force}/neighbourhoods", "data.police.uk-compatible: the force's neighbourhoods", routing::get(police::neighbourhoods))
            .answers(schema::<Vec<p::NeighbourhoodBrief>>)
            .params(vec![force()])
            .bare_404(),
        get("/police-api/{force}/{neighbourhood}", "data.police.uk-compatible: one neighbourhood, contact_details from its active feeds, community feeds added under `feedmap`", routing::get(police::neighbourhood))
            .answers(schema::<p::Neighbourhood>)
            .params(vec![force(), hood()])
            .bare_404(),
        get("/police-api/{force}/{neighbourhood}/boundary", "data.police.uk-compatible: the neighbourhood's boundary as a list of points", routing::get(police::boundary))
            .answers(schema::<Vec<p::Coordinates>>)
            .params(vec![force(), hood()])
            .bare_404(),
        get("/police-api/locate-neighbourhood", "data.police.uk-compatible: the force and neighbourhood at a point", routing::get(police::locate))
            .answers(schema::<p::Located>)
            .params(vec![required(
                query("q", "latitude,longitude in decimal degrees", json!({"type": "string"})),
                json!(format!("{},{}", ex.lat, ex.lon)),
            )])
            .bare_404(),
    ]
}

/// Longest value of a body field, in characters, as the handlers check it.
fn max_length(field: &str) -> usize {
    if field == "note" {
        decisions::MAX_NOTE
    } else {
        decisions::MAX_TEXT
    }
}

/// The OpenAPI 3.0 document of `ops`, served at `base`.
pub fn document(ops: &[Operation], title: &str, base: &str) -> Value {
    let mut requests = SchemaGenerator::new(SchemaSettings::openapi3().for_deserialize());
    let mut answers = SchemaGenerator::new(SchemaSettings::openapi3().for_serialize());
    let problem = json!({ "description": "a problem (RFC 9457)", "content": { "application/problem+json": {} } });
    let mut paths: Map<String, Value> = Map::new();
    let mut bodies = Vec::new();
    for op in ops {
        let parameters: Vec<Value> = op
            .params
            .iter()
            .map(|p| {
                let mut v = json!({
                    "name": p.name,
                    "in": match p.at { In::Path => "path", In::Query => "query", In::Header => "header" },
                    "required": p.required,
                    "description": p.description,
                    "schema": p.schema,
                });
                if let Some(e) = &p.example {
                    v["example"] = e.clone();
                }
                v
            })
            .collect();
        let mut ok = json!({ "description": op.summary, "content": { op.media: {} } });
        if let Some(answer) = op.answer {
            ok["content"][op.media]["schema"] = answer(&mut answers).to_value();
        }
        let mut responses = Map::new();
        responses.insert(op.ok.to_string(), ok);
        let codes: &[u16] = if op.write {
            &[400, 401, 403, 404, 409, 412, 413, 415, 428]
        } else if op.secured {
            &[401]
        } else {
            &[400, 404]
        };
        for c in codes {
            responses.insert(c.to_string(), problem.clone());
        }
        if op.bare_404 {
            responses.insert(
                "404".into(),
                json!({ "description": "no such force or neighbourhood, or no neighbourhood there: an empty body, as data.police.uk answers" }),
            );
        }
        let mut operation = json!({
            "operationId": format!("{}{}", op.verb.as_str(), op.path.replace(['/', '{', '}', '.'], "_")),
            "summary": op.summary,
            "parameters": parameters,
            "responses": responses,
        });
        if op.secured {
            operation["security"] = json!([{ "bearer": [] }]);
        }
        if let Some(b) = &op.body {
            let mut content = json!({ "example": b.example });
            if let Some(s) = b.schema {
                let s = s(&mut requests).to_value();
                if let Some(name) = s["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
                    bodies.push(name.to_string());
                }
                content["schema"] = s;
            }
            operation["requestBody"] = json!({ "required": true, "content": { b.media: content } });
        }
        paths
            .entry(op.path)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("an object")
            .insert(op.verb.as_str().into(), operation);
    }
    let mut schemas = answers.take_definitions(true);
    let mut request_schemas = requests.take_definitions(true);
    // The limits the handlers check, on the bodies' text fields.
    for name in &bodies {
        if let Some(props) = request_schemas
            .get_mut(name)
            .and_then(|s| s.get_mut("properties"))
            .and_then(Value::as_object_mut)
        {
            for (field, p) in props.iter_mut() {
                let is_text = p["type"] == "string" || p["type"] == json!(["string", "null"]);
                if is_text && p.get("enum").is_none() {
                    p["maxLength"] = json!(max_length(field));
                }
            }
        }
    }
    schemas.append(&mut request_schemas);
    json!({
        "openapi": "3.0.3",
        "info": { "title": format!("feedmap – {title}"), "version": env!("CARGO_PKG_VERSION") },
        "servers": [{ "url": base }],
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas,
        },
        "paths": paths,
    })
}

/// `GET /api`: the OpenAPI 3.0 description, generated from [`operations`].
pub async fn api_definition(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, super::problem::ApiProblem> {
    use axum::response::IntoResponse;
    let base = ogc::base_url(&state, &headers);
    let served = state.served();
    let ops = operations(&state.config, &Examples::of(&served));
    let body = document(&ops, &served.region().name, &base);
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/vnd.oai.openapi+json;version=3.0",
        )],
        body.to_string(),
    )
        .into_response())
}
