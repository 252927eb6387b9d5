//! The HTTP API: a thin axum layer that turns requests into library calls
//! and library answers (or errors) into JSON.
//!
//! The current [`Served`] value sits in an [`ArcSwap`]: each request takes
//! it once, so neither a reload (SIGHUP) nor a store change swapping in a
//! new one ever mixes two regions or two store generations inside one
//! answer, and a failed reload leaves the old one serving.

pub mod decisions;
pub mod feeds;
pub mod map;
pub mod ogc;
pub mod plan;
pub mod problem;
pub mod write;

use crate::auth::{Tokens, TokensError};
use crate::config::ServeConfig;
use crate::lookup::LatLon;
use crate::region::{LoadOptions, RegionError};
use crate::served::Served;
use crate::source::Source;
use crate::store::{Location, Store, StoreError};
use arc_swap::ArcSwap;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use problem::ApiProblem;
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// Shared server state.
pub struct AppState {
    /// What requests see: the region, the feeds in effect, decisions and
    /// saved parameters of one store generation, swapped whole.
    pub served: ArcSwap<Served>,
    /// The configuration the server started with.
    pub config: ServeConfig,
    /// Outcome of the last load or reload, for `/health`.
    pub status: Mutex<LoadStatus>,
    /// Planners' decisions, feed edits, parameter sets and the audit log.
    pub store: Arc<dyn Store>,
    /// Who may write.
    pub tokens: Tokens,
    /// Serialises swaps of `served` (reloads and store refreshes), so
    /// neither undoes the other.
    swap: Mutex<()>,
}

/// What `/health` reports about loading.
#[derive(Debug, Clone, Serialize)]
pub struct LoadStatus {
    /// Unix time the serving region was loaded.
    pub loaded_at: u64,
    /// Unix time of the last reload attempt, if any.
    pub last_reload_at: Option<u64>,
    /// The last reload's error, if it failed (the previous region kept
    /// serving).
    pub last_reload_error: Option<String>,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Why a reload failed (the previous state keeps serving).
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The region folder is unusable.
    #[error(transparent)]
    Region(#[from] RegionError),
    /// The store's state could not be read.
    #[error("reading the store: {0}")]
    Store(#[from] StoreError),
}

impl AppState {
    /// Serves a loaded region folder with an open store, read once (so
    /// the first request already sees the store's feeds).
    pub fn new(
        source: Source,
        config: ServeConfig,
        store: Arc<dyn Store>,
        tokens: Tokens,
    ) -> Result<Arc<AppState>, StoreError> {
        let served = Served::from_store(Arc::new(source), &*store)?;
        Ok(Arc::new(AppState {
            served: ArcSwap::from_pointee(served),
            config,
            status: Mutex::new(LoadStatus {
                loaded_at: now(),
                last_reload_at: None,
                last_reload_error: None,
            }),
            store,
            tokens,
            swap: Mutex::new(()),
        }))
    }

    /// What a request sees now.
    pub fn served(&self) -> Arc<Served> {
        self.served.load_full()
    }

    /// Brings the served state up to date with the store if anything was
    /// written since it was read (by this server or another replica): one
    /// cheap read when nothing changed, otherwise the audit entries since
    /// are applied ([`crate::follow`]) and a new [`Served`] swapped in
    /// whole. Blocking.
    pub fn sync(&self) -> Result<(), StoreError> {
        let current = self.served.load_full();
        if current.generation() == Some(self.store.generation()?) {
            return Ok(());
        }
        let _swap = self.swap.lock().unwrap_or_else(|e| e.into_inner());
        // Another sync or a reload may have swapped meanwhile.
        let current = self.served.load_full();
        if let Some(next) = current.advance(&*self.store)? {
            self.served.store(Arc::new(next));
        }
        Ok(())
    }

    /// Before a read that must show every write so far: a shared store
    /// (PostgreSQL) is checked for other replicas' writes (as
    /// [`AppState::sync_or_stale`]); a server alone on its SQLite file
    /// already follows its own writes (each write syncs) and polls for
    /// anything else, so its reads cost nothing extra. Blocking.
    pub fn sync_for_read(&self) {
        if self.store.is_shared() {
            self.sync_or_stale();
        }
    }

    /// [`AppState::sync`] for reads: if the store cannot be reached, the
    /// last state read keeps serving (logged).
    pub fn sync_or_stale(&self) {
        if let Err(e) = self.sync() {
            tracing::warn!("store unreachable, serving what was last read from it: {e}");
        }
    }

    /// Reloads the region folder. On success the new region, with the
    /// store's current state, replaces the old one atomically; on failure
    /// (the folder or the store) the old one keeps serving and the error
    /// is returned (and shown by `/health`).
    pub fn reload(&self) -> Result<(), ReloadError> {
        let options = LoadOptions {
            repair: self.config.repair,
            ..LoadOptions::default()
        };
        let _swap = self.swap.lock().unwrap_or_else(|e| e.into_inner());
        let result = Source::load_with(&self.config.region, options)
            .map_err(ReloadError::from)
            .and_then(|source| {
                // Planning's groundwork is done before the swap, so no
                // request waits for it; the store is read afresh, so a
                // reload fails whole when it cannot be.
                source.planning();
                Ok(Served::from_store(Arc::new(source), &*self.store)?)
            });
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        status.last_reload_at = Some(now());
        match result {
            Ok(served) => {
                self.served.store(Arc::new(served));
                status.loaded_at = now();
                status.last_reload_error = None;
                tracing::info!("reload succeeded");
                Ok(())
            }
            Err(e) => {
                tracing::error!("reload failed, still serving the previous region: {e}");
                status.last_reload_error = Some(e.to_string());
                Err(e)
            }
        }
    }
}

/// Builds the router over shared state.
pub fn router(state: Arc<AppState>) -> Router {
    let limit = axum::extract::DefaultBodyLimit::max(state.config.write_max_bytes);
    Router::new()
        .route("/", get(ogc::landing))
        .route("/conformance", get(ogc::conformance))
        .route("/api", get(ogc::api_definition))
        .route("/collections", get(ogc::collections))
        .route("/collections/{layer}", get(ogc::collection))
        .route("/collections/{layer}/items", get(ogc::items))
        .route("/collections/{layer}/items/{id}", get(ogc::item))
        .route("/v1/lookup", get(lookup))
        .route("/v1/feeds/lookup", get(feeds::lookup))
        .route(
            "/v1/feeds/lookup/batch",
            axum::routing::post(feeds::batch).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/v1/feeds",
            get(feeds::list).post(feeds::edit::create).layer(limit),
        )
        .route(
            "/v1/feeds/{feed_id}",
            get(feeds::one)
                .patch(feeds::edit::update)
                .delete(feeds::edit::retire)
                .layer(limit),
        )
        .route(
            "/v1/decisions",
            get(decisions::list).post(decisions::create).layer(limit),
        )
        .route(
            "/v1/decisions/{id}",
            get(decisions::one)
                .patch(decisions::update)
                .delete(decisions::delete)
                .layer(limit),
        )
        .route("/v1/audit", get(decisions::audit))
        .route("/v1/me", get(decisions::me))
        .route(
            "/v1/plan/params",
            get(decisions::get_params)
                .put(decisions::put_params)
                .layer(limit),
        )
        .route("/map/config.json", get(map::config))
        .route("/map/points/{layer}", get(map::points))
        .route("/map/{file}", get(map::asset))
        .route("/tiles/{layer}/{z}/{x}/{y}", get(map::tile))
        .route("/v1/plan/summary", get(plan::summary))
        .route("/v1/plan/neighbourhoods/{id}", get(plan::neighbourhood))
        .route("/v1/plan", get(plan::json))
        .route("/v1/plan.geojson", get(plan::geojson))
        .route("/v1/plan.csv", get(plan::csv))
        .route("/health", get(health))
        .fallback(|| async { ApiProblem::not_found("no such resource; see / for the API's links") })
        .method_not_allowed_fallback(|| async { ApiProblem::method_not_allowed() })
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                ApiProblem::internal("the server failed on this request; it has been logged")
                    .into_response()
            },
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Parsed query string: pairs in order, for precise error messages.
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// Parses a raw query string.
    pub fn parse(raw: Option<String>) -> Params {
        Params(crate::plan::params::query_pairs(&raw.unwrap_or_default()))
    }

    /// The value of a parameter given once (a repeated one is an error).
    pub fn get(&self, name: &str) -> Result<Option<&str>, ApiProblem> {
        let mut found = self.0.iter().filter(|(k, _)| k == name);
        let first = found.next().map(|(_, v)| v.as_str());
        if found.next().is_some() {
            return Err(ApiProblem::bad_parameter(format!(
                "{name} is given more than once"
            )));
        }
        Ok(first)
    }

    /// Refuses parameters outside `allowed`.
    pub fn only(&self, allowed: &[&str]) -> Result<(), ApiProblem> {
        match self.0.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            Some((k, _)) => Err(ApiProblem::bad_parameter(format!(
                "unknown parameter {k:?}; allowed: {}",
                allowed.join(", ")
            ))),
            None => Ok(()),
        }
    }

    /// A required finite number.
    pub fn number(&self, name: &str) -> Result<f64, ApiProblem> {
        let v = self
            .get(name)?
            .ok_or_else(|| ApiProblem::bad_parameter(format!("{name} is required")))?;
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| ApiProblem::bad_parameter(format!("{name}={v:?} is not a number")))
    }
}

/// The point given by `lat` and `lon` parameters, range-checked.
pub fn point_param(params: &Params) -> Result<LatLon, ApiProblem> {
    let lat = params.number("lat")?;
    let lon = params.number("lon")?;
    LatLon::new(lat, lon).map_err(|e| ApiProblem::bad_parameter(e.to_string()))
}

/// `GET /v1/lookup?lat=&lon=`: the areas of every layer at a point.
async fn lookup(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiProblem> {
    let params = Params::parse(q);
    params.only(&["lat", "lon"])?;
    let point = point_param(&params)?;
    let served = state.served.load();
    Ok(Json(served.region().answer(point)).into_response())
}

/// `GET /health`: liveness plus what is loaded.
async fn health(State(state): State<Arc<AppState>>) -> Response {
    let served = state.served.load();
    let region = served.region();
    let status = state
        .status
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    Json(serde_json::json!({
        "status": "ok",
        "region": region.name,
        "layers": region.layers.len(),
        "areas": region.layers.iter().map(|l| l.areas.len()).sum::<usize>(),
        "load": status,
        "store": {
            "at": state.store.describe(),
            "generation_seen": served.generation(),
            "decisions": served.store.decisions.len(),
        },
        "writes": if state.tokens.is_empty() { "disabled: no tokens file" } else { "enabled" },
    }))
    .into_response()
}

/// Opens the store and reads the tokens the configuration names.
pub fn open_store(config: &ServeConfig) -> Result<(Arc<dyn Store>, Tokens), ServeError> {
    let tokens = match &config.tokens_file {
        Some(f) => Tokens::load(f)?,
        None => {
            tracing::warn!("no --tokens file: the API is read-only (every write gets 401)");
            Tokens::default()
        }
    };
    let store = Location::from_args(config.store_url.as_deref(), &config.data_dir)?.open()?;
    tracing::info!(store = %store.describe(), "store open");
    Ok((store, tokens))
}

/// Loads the configured region and serves it until Ctrl-C. SIGHUP reloads
/// the region (all or nothing). Prints `listening on http://ADDR` on stdout
/// once bound, so scripts and tests using port 0 learn the port.
pub async fn serve(config: ServeConfig) -> Result<(), ServeError> {
    let options = LoadOptions {
        repair: config.repair,
        ..LoadOptions::default()
    };
    let dir = config.region.clone();
    let source = tokio::task::spawn_blocking(move || {
        let source = Source::load_with(&dir, options)?;
        source.planning();
        Ok::<_, RegionError>(source)
    })
    .await
    .map_err(|e| ServeError::Io(std::io::Error::other(e)))??;
    let store_config = config.clone();
    let state = tokio::task::spawn_blocking(move || {
        let (store, tokens) = open_store(&store_config)?;
        Ok::<_, ServeError>(AppState::new(source, store_config, store, tokens)?)
    })
    .await
    .map_err(|e| ServeError::Io(std::io::Error::other(e)))??;
    let listener = tokio::net::TcpListener::bind(state.config.addr).await?;
    let addr = listener.local_addr()?;
    spawn_reload_on_sighup(state.clone());
    spawn_store_poll(state.clone());
    println!("listening on http://{addr}");
    tracing::info!(%addr, "serving");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// Checks the store every `store_poll` for other replicas' writes, so
/// lookups (which never wait on the store) pick up feed changes.
fn spawn_store_poll(state: Arc<AppState>) {
    let every = state.config.store_poll;
    if every.is_zero() {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let s = state.clone();
            let _ = tokio::task::spawn_blocking(move || s.sync_or_stale()).await;
        }
    });
}

#[cfg(unix)]
fn spawn_reload_on_sighup(state: Arc<AppState>) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP; reload disabled");
        return;
    };
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading region");
            let s = state.clone();
            let _ = tokio::task::spawn_blocking(move || s.reload()).await;
        }
    });
}

#[cfg(not(unix))]
fn spawn_reload_on_sighup(_state: Arc<AppState>) {}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The region failed to load.
    #[error(transparent)]
    Region(#[from] RegionError),
    /// Binding or serving failed.
    #[error("server I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The store could not be opened or read.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The tokens file is unusable.
    #[error(transparent)]
    Tokens(#[from] TokensError),
}
