//! The vocabulary of the API's operation table: an [`Operation`] (method,
//! path, handler, parameters, the types of its body and answer), its
//! parameters, and the [`Examples`] taken from the region served. Each
//! resource module declares its own operations with these; the `openapi`
//! module gathers them for the router and writes the OpenAPI document.

use super::state::AppState;
use crate::config::ServeConfig;
use axum::routing::MethodRouter;
use feedmap_domain::served::Served;
use feedmap_geography::manifest::Role;
use geo::InteriorPoint;
use schemars::generate::SchemaGenerator;
use schemars::{JsonSchema, Schema};
use serde_json::{json, Value};
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

pub(super) fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
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
    /// Other media types it accepts, each with an example.
    pub more: Vec<(&'static str, Value)>,
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
    /// Other media types the answer may take (the batch's JSON Lines).
    pub more_media: &'static [&'static str],
    /// Whether registering it makes the server POST to a URL the body
    /// gives (a webhook): the deliveries and the ping are described as its
    /// callbacks.
    pub delivers: bool,
    /// The handler, with its layers.
    pub handler: MethodRouter<Arc<AppState>>,
}

/// Values of the region served, for examples.
#[derive(Debug, Clone, Default)]
pub struct Examples {
    pub(super) layers: Vec<String>,
    pub(super) community_layer: String,
    pub(super) community: String,
    pub(super) community_name: String,
    pub(super) neighbourhood: String,
    pub(super) neighbourhood_layer: String,
    pub(super) lat: f64,
    pub(super) lon: f64,
    pub(super) postcode: Option<String>,
    pub(super) feed: Option<String>,
    pub(super) staged: Vec<(i64, Option<feedmap_domain::successors::Proposal>)>,
    pub(super) community_properties: (Option<String>, Option<String>),
    pub(super) handle: Option<String>,
    pub(super) platform: Option<String>,
    /// Open handovers, oldest first.
    pub(super) open_handovers: Vec<i64>,
    /// An active feed other than `feed` with no open handover.
    pub(super) free_feed: Option<String>,
    /// The force id (`[force]`).
    pub(super) force: Option<String>,
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
            ex.neighbourhood_layer = l.id.clone();
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
    pub(super) fn release_id(&self, role: &str) -> String {
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
    pub(super) fn handover_id(&self, role: &str) -> String {
        let h = match role {
            "cancel" => self.open_handovers.first(),
            _ => self.open_handovers.last(),
        };
        h.map_or("1".into(), |id| id.to_string())
    }

    /// A feed a handover can start on.
    pub(super) fn handover_feed(&self) -> String {
        self.free_feed
            .clone()
            .unwrap_or_else(|| "example-feed".into())
    }

    pub(super) fn subject(&self) -> String {
        self.staged
            .first()
            .and_then(|r| r.1.as_ref().map(|p| p.subject.clone()))
            .unwrap_or_else(|| "feed:example-feed".into())
    }

    /// A confirm body: the proposal where there is one, else its first
    /// candidate, else none.
    pub(super) fn confirm_body(&self) -> Value {
        match self.staged.first().and_then(|r| r.1.as_ref()) {
            Some(p) if p.proposed.is_some() => json!({}),
            Some(p) if !p.candidates.is_empty() => json!({ "to": p.candidates[0].id }),
            _ => json!({ "to": null }),
        }
    }

    /// A stage body: one community as a new generation of its layer.
    pub(super) fn release_body(&self) -> Value {
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
pub(super) fn settings_and(
    table: &[feedmap_domain::settings::Setting],
    format: Param,
) -> Vec<Param> {
    let mut params: Vec<Param> = table
        .iter()
        .map(|s| query(s.name, s.doc, s.schema()))
        .collect();
    params.push(format);
    params
}

pub(super) fn query(name: &'static str, description: &'static str, schema: Value) -> Param {
    Param {
        name,
        at: In::Query,
        required: false,
        description,
        schema,
        example: None,
    }
}

pub(super) fn path(name: &'static str, description: &'static str, example: Value) -> Param {
    Param {
        name,
        at: In::Path,
        required: true,
        description,
        schema: json!({ "type": "string" }),
        example: Some(example),
    }
}

pub(super) fn required(mut p: Param, example: Value) -> Param {
    p.required = true;
    p.example = Some(example);
    p
}

pub(super) fn with_example(mut p: Param, example: Option<Value>) -> Param {
    p.example = example;
    p
}

pub(super) fn if_match() -> Param {
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
    pub(super) fn new(
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
            more_media: &[],
            delivers: false,
            handler,
        }
    }

    /// A data.police.uk-compatible read: 404 with an empty body.
    pub(super) fn bare_404(mut self) -> Self {
        self.bare_404 = true;
        self
    }

    pub(super) fn params(mut self, params: Vec<Param>) -> Self {
        self.params = params;
        self
    }

    pub(super) fn answers(mut self, answer: SchemaFn) -> Self {
        self.answer = Some(answer);
        self
    }

    /// No request timeout (see [`Operation::untimed`]).
    pub(super) fn untimed(mut self) -> Self {
        self.untimed = true;
        self
    }

    /// Its callbacks are the webhook deliveries (see [`Operation::delivers`]).
    pub(super) fn delivering(mut self) -> Self {
        self.delivers = true;
        self
    }

    pub(super) fn media(mut self, media: &'static str) -> Self {
        self.media = media;
        self
    }

    /// A write: a planner token, a JSON body of the given type (if any),
    /// `If-Match` when it changes or removes a record.
    pub(super) fn write(
        mut self,
        ok: u16,
        body: Option<(SchemaFn, Value)>,
        if_matched: bool,
    ) -> Self {
        self.write = true;
        self.secured = true;
        self.ok = ok;
        self.body = body.map(|(schema, example)| RequestBody {
            media: "application/json",
            schema: Some(schema),
            example,
            more: Vec::new(),
        });
        if if_matched {
            self.params.push(if_match());
        }
        self
    }
}

/// What each resource's operations are made from: the serve settings and
/// examples from the region served.
pub struct Context<'a> {
    /// The serve settings (the body limit of writes, page sizes).
    pub config: &'a ServeConfig,
    /// Values of the region served, for examples.
    pub ex: &'a Examples,
}

impl Context<'_> {
    /// The body limit of writes.
    pub(super) fn limit(&self) -> axum::extract::DefaultBodyLimit {
        axum::extract::DefaultBodyLimit::max(self.config.write_max_bytes)
    }

    /// A read.
    pub(super) fn get(
        &self,
        path: &'static str,
        summary: &'static str,
        handler: MethodRouter<Arc<AppState>>,
    ) -> Operation {
        Operation::new(Verb::Get, path, summary, handler)
    }

    /// A layer id in the path, one of the region's.
    pub(super) fn layer(&self, name: &'static str) -> Param {
        let mut p = path(name, "a layer id", json!(self.ex.community_layer));
        p.schema = json!({ "type": "string", "enum": self.ex.layers });
        p
    }

    /// `lat`, degrees.
    pub(super) fn lat(&self) -> Param {
        query(
            "lat",
            "latitude, degrees",
            json!({"type": "number", "minimum": -90, "maximum": 90}),
        )
    }

    /// `lon`, degrees.
    pub(super) fn lon(&self) -> Param {
        query(
            "lon",
            "longitude, degrees",
            json!({"type": "number", "minimum": -180, "maximum": 180}),
        )
    }

    /// `at`: the date an answer is as of.
    pub(super) fn at(&self) -> Param {
        query(
            "at",
            "answer as of this date (YYYY-MM-DD): the boundary generations in effect then, with the feeds attached to them; default today",
            json!({"type": "string", "format": "date"}),
        )
    }

    /// The plan's parameters, from its parameter table.
    pub(super) fn plan_params(&self) -> Vec<Param> {
        feedmap_domain::plan::params::PARAMS
            .iter()
            .map(|p| {
                use feedmap_domain::plan::params::Kind;
                let schema = match p.kind {
                    Kind::Layer => json!({"type": "string", "enum": self.ex.layers}),
                    Kind::Number => json!({"type": "number", "minimum": p.min, "maximum": p.max}),
                    Kind::Limit => json!({"oneOf": [{"type": "integer", "minimum": p.min, "maximum": p.max}, {"type": "string", "enum": ["none"]}]}),
                    Kind::Flag => json!({"type": "boolean"}),
                };
                query(p.name, p.doc, schema)
            })
            .collect()
    }

    /// A feed of the region (`example-feed` where it has none).
    pub(super) fn feed_id(&self) -> String {
        self.ex
            .feed
            .clone()
            .unwrap_or_else(|| "example-feed".into())
    }
}
