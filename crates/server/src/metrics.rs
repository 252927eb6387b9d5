//! What the server counts for Prometheus (`GET /metrics`, answered by the
//! API's `metrics` module): one [`Metrics`] per server, in its state.
//!
//! Counters and histograms are bumped where things happen (every HTTP
//! answer, by a layer around the whole application; reloads; failed
//! webhook deliveries, by the delivery task); the gauges that describe a
//! state (the store's lag, the webhook backlog, the boundary generations
//! in effect) are set from that state when a scrape asks
//! ([`Metrics::render`]). Written in
//! the Prometheus text format 0.0.4 by `prometheus-client`; names follow
//! Prometheus's conventions (`feedmap_` prefix, base units, `_total` on
//! counters).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;

/// The `Content-Type` of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The route label of a request no route answered: an unknown path, a
/// method its route does not take, or one refused before routing (the
/// rate limit, a site not allowed).
pub const UNMATCHED: &str = "unmatched";

/// The route of the busiest series.
const LOOKUP: &str = "/v1/lookup";

/// Upper bounds of the request duration buckets, in seconds: a lookup
/// takes well under a millisecond, a national plan seconds, a batch
/// upload minutes.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The labels of a request count.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// `GET`, `POST`, … (`other` for any other word).
    pub method: &'static str,
    /// The route template (`/v1/plan/neighbourhoods/{id}`), or [`UNMATCHED`].
    pub route: &'static str,
    /// The status answered.
    pub status: u16,
}

/// The labels of a request duration.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// As in [`RequestLabels`].
    pub method: &'static str,
    /// As in [`RequestLabels`].
    pub route: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LayerLabels {
    layer: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: &'static str,
}

/// A kind of lookup ([`Metrics::lookup`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// `GET /v1/lookup`: the areas at a point.
    Areas,
    /// `GET /v1/feeds/lookup`: the feeds for a point, postcode or place.
    Feeds,
    /// `GET /police-api/locate-neighbourhood`.
    Police,
}

impl Lookup {
    const ALL: [Lookup; 3] = [Lookup::Areas, Lookup::Feeds, Lookup::Police];

    fn label(self) -> &'static str {
        match self {
            Lookup::Areas => "areas",
            Lookup::Feeds => "feeds",
            Lookup::Police => "police",
        }
    }
}

fn duration_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// What the state gauges show, read when a scrape asks.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Seconds since the store was last read successfully.
    pub store_lag_seconds: f64,
    /// Whether the last read of the store succeeded.
    pub store_reachable: bool,
    /// The generation of each layer in effect today, by layer id.
    pub generations: Vec<(String, i64)>,
    /// `(entries behind, hooks behind)` over the active webhooks, when
    /// the store could be read.
    pub webhooks: Option<(i64, i64)>,
}

/// Every metric of one server.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram, fn() -> Histogram>,
    /// The count and durations of `GET /v1/lookup` answered 200, taken
    /// from the families once: the busiest series skips their lock.
    lookup_ok: (Counter, Histogram),
    lookups: [Counter; 3],
    plans: Counter,
    answers: Counter,
    reload_ok: Counter,
    reload_error: Counter,
    webhook_failures: Counter,
    store_lag: Gauge<f64, AtomicU64>,
    store_reachable: Gauge,
    webhook_backlog: Gauge,
    webhooks_behind: Gauge,
    generations: Family<LayerLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Every metric at zero, registered with its help text.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "feedmap_http_requests",
            "HTTP requests answered, by method, route template and status (route unmatched: an unknown path or method, or refused before routing by the rate limit or the origin check)",
            requests.clone(),
        );
        let durations = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            duration_histogram,
        );
        registry.register_with_unit(
            "feedmap_http_request_duration",
            "Time from a request's arrival to its answer's head, by method and route template",
            Unit::Seconds,
            durations.clone(),
        );
        let lookup_family = Family::<KindLabels, Counter>::default();
        registry.register(
            "feedmap_lookups",
            "Lookups answered with a result (2xx): areas (GET /v1/lookup), feeds (GET /v1/feeds/lookup), police (GET /police-api/locate-neighbourhood)",
            lookup_family.clone(),
        );
        let lookups = Lookup::ALL.map(|k| {
            lookup_family
                .get_or_create(&KindLabels { kind: k.label() })
                .clone()
        });
        let plans = Counter::default();
        registry.register(
            "feedmap_plans",
            "Plans answered (2xx) by GET /v1/plan, /v1/plan.geojson, /v1/plan.csv, /v1/plan/summary and /v1/plan/neighbourhoods/{id}",
            plans.clone(),
        );
        let answers = Counter::default();
        registry.register(
            "feedmap_question_answers",
            "Answers to the public question counted (202) by this server",
            answers.clone(),
        );
        let reloads = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "feedmap_reloads",
            "Region reloads (SIGHUP) by outcome: ok (the new region serves) or error (the previous one still serves)",
            reloads.clone(),
        );
        let reload_ok = reloads
            .get_or_create(&OutcomeLabels { outcome: "ok" })
            .clone();
        let reload_error = reloads
            .get_or_create(&OutcomeLabels { outcome: "error" })
            .clone();
        let webhook_failures = Counter::default();
        registry.register(
            "feedmap_webhook_delivery_failures",
            "Webhook delivery attempts by this server that failed (no answer in time, or not 2xx)",
            webhook_failures.clone(),
        );
        let webhook_backlog = Gauge::default();
        registry.register(
            "feedmap_webhook_backlog_entries",
            "Audit log entries after the delivery cursor of each active webhook, summed: an upper bound on the events waiting to be delivered (a hook's filters skip some)",
            webhook_backlog.clone(),
        );
        let webhooks_behind = Gauge::default();
        registry.register(
            "feedmap_webhooks_behind",
            "Active webhooks whose delivery cursor is behind the end of the audit log",
            webhooks_behind.clone(),
        );
        let store_lag = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "feedmap_store_poll_lag",
            "Seconds since this server last read the store successfully (the --store-poll check, a shared store's read before an answer, a write): below the poll interval while the store answers, growing while it does not",
            Unit::Seconds,
            store_lag.clone(),
        );
        let store_reachable = Gauge::default();
        registry.register(
            "feedmap_store_reachable",
            "1 when the last read of the store succeeded, 0 when it failed (then /health/ready answers 503)",
            store_reachable.clone(),
        );
        let generations = Family::<LayerLabels, Gauge>::default();
        registry.register(
            "feedmap_boundary_generation",
            "The boundary generation in effect today, by layer (1: the region folder's own file; later ones are activated releases)",
            generations.clone(),
        );
        let build = Family::<VersionLabels, Gauge>::default();
        build
            .get_or_create(&VersionLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register(
            "feedmap_build_info",
            "The feedmap version running (always 1)",
            build,
        );
        let lookup_ok = (
            requests
                .get_or_create(&RequestLabels {
                    method: "GET",
                    route: LOOKUP,
                    status: 200,
                })
                .clone(),
            durations
                .get_or_create(&RouteLabels {
                    method: "GET",
                    route: LOOKUP,
                })
                .clone(),
        );
        Metrics {
            registry,
            requests,
            durations,
            lookup_ok,
            lookups,
            plans,
            answers,
            reload_ok,
            reload_error,
            webhook_failures,
            store_lag,
            store_reachable,
            webhook_backlog,
            webhooks_behind,
            generations,
        }
    }

    /// Counts one HTTP answer and its duration.
    pub fn request(&self, method: &'static str, route: &'static str, status: u16, seconds: f64) {
        if status == 200 && method == "GET" && route == LOOKUP {
            self.lookup_ok.0.inc();
            self.lookup_ok.1.observe(seconds);
            return;
        }
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels { method, route })
            .observe(seconds);
    }

    /// Counts a lookup answered.
    pub fn lookup(&self, kind: Lookup) {
        self.lookups[kind as usize].inc();
    }

    /// Counts a plan answered.
    pub fn plan(&self) {
        self.plans.inc();
    }

    /// Counts an answer to the public question.
    pub fn question_answer(&self) {
        self.answers.inc();
    }

    /// Counts a reload's outcome.
    pub fn reloaded(&self, ok: bool) {
        if ok {
            self.reload_ok.inc();
        } else {
            self.reload_error.inc();
        }
    }

    /// The counter of failed webhook deliveries (for the delivery task).
    pub fn webhook_failures(&self) -> Counter {
        self.webhook_failures.clone()
    }

    /// The text of a scrape: the gauges set from `now`, then every metric.
    pub fn render(&self, now: &Snapshot) -> String {
        self.store_lag.set(now.store_lag_seconds);
        self.store_reachable.set(i64::from(now.store_reachable));
        // A reload may have dropped a layer: only today's are shown.
        self.generations.clear();
        for (layer, g) in &now.generations {
            self.generations
                .get_or_create(&LayerLabels {
                    layer: layer.clone(),
                })
                .set(*g);
        }
        if let Some((entries, hooks)) = now.webhooks {
            self.webhook_backlog.set(entries);
            self.webhooks_behind.set(hooks);
        }
        let mut text = String::with_capacity(16 * 1024);
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry);
        text
    }
}
