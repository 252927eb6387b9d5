//! Starting the server: bind, load the region and open the store (the
//! health endpoints answering meanwhile), serve until Ctrl-C; SIGHUP
//! reloads the region, a timer follows the store.

use super::state::AppState;
use crate::auth::{Tokens, TokensError};
use crate::config::ServeConfig;
use feedmap_domain::source::Source;
use feedmap_geography::region::{LoadOptions, RegionError};
use feedmap_store::{Location, Store, StoreError};
use std::sync::Arc;

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
/// the region (all or nothing).
///
/// The address is bound first (its port logged, `listening; loading`), and
/// while the region loads and the store opens the server answers
/// `/health/live` 200 and `/health/ready` (and everything else) 503
/// ([`super::starting::Starting`]), so a supervisor sees it alive and not
/// yet ready. Then the whole application answers, and `listening on
/// http://ADDR` is printed on stdout, so scripts and tests using port 0
/// learn the port once it serves. A region or store that fails to load
/// stops the server with the error, as before it listened.
pub async fn serve(config: ServeConfig) -> Result<(), ServeError> {
    // The base map first: a wrong file is said at once, not after the
    // region has loaded.
    let basemap = config
        .basemap
        .as_deref()
        .map(crate::basemap::Basemap::open)
        .transpose()?;
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening; loading the region and the store (/health/ready answers 503 until they are)");
    let limits = super::listen::Limits {
        header_timeout: config.header_timeout,
        max_connections: config.max_connections,
        // Remote peers are always named (the question's per-client limit
        // needs them even with the rate limit off); loopback ones only when
        // the rate limit covers them, so an untagged request is a loopback
        // one.
        peers: if config.rate_limit > 0 && config.rate_limit_loopback {
            super::listen::Peers::All
        } else {
            super::listen::Peers::Remote
        },
    };
    let state = tokio::select! {
        loaded = super::listen::starting(&listener, limits, load(config, basemap)) => loaded??,
        _ = tokio::signal::ctrl_c() => return Ok(()),
    };
    spawn_reload_on_sighup(state.clone());
    spawn_store_poll(state.clone());
    spawn_question_refresh(state.clone());
    spawn_webhook_delivery(state.clone())?;
    spawn_rate_tidy(state.clone());
    println!("listening on http://{addr}");
    tracing::info!(%addr, "serving");
    super::listen::serve(
        listener,
        super::request_id::with_ids(super::app(state)),
        limits,
        async {
            let _ = tokio::signal::ctrl_c().await;
        },
    )
    .await?;
    Ok(())
}

/// Loads the region and opens the store: the state served.
async fn load(
    config: ServeConfig,
    basemap: Option<crate::basemap::Basemap>,
) -> Result<Arc<AppState>, ServeError> {
    let options = LoadOptions {
        repair: config.repair,
        ..LoadOptions::default()
    };
    let dir = config.region.clone();
    let source = tokio::task::spawn_blocking(move || Source::load_with(&dir, options))
        .await
        .map_err(|e| ServeError::Io(std::io::Error::other(e)))??;
    if let Some(b) = &basemap {
        describe_basemap(b, &source);
    }
    tokio::task::spawn_blocking(move || {
        let (store, tokens) = open_store(&config)?;
        Ok::<_, ServeError>(AppState::new(source, config, store, tokens, basemap)?)
    })
    .await
    .map_err(|e| ServeError::Io(std::io::Error::other(e)))?
}

/// Logs what the base map holds, and warns where it will leave the map
/// blank: an archive that is not the Protomaps schema the style draws, or
/// one that does not reach over the whole region.
fn describe_basemap(b: &crate::basemap::Basemap, source: &Source) {
    tracing::info!(
        file = %b.path.display(),
        bytes = b.bytes,
        zooms = %format!("{}-{}", b.min_zoom, b.max_zoom),
        "base map"
    );
    if !b.is_protomaps() {
        tracing::warn!(
            file = %b.path.display(),
            layers = ?b.layers,
            "the base map has no `earth` layer: it is not a Protomaps basemap, and the map's Protomaps style will draw little of it"
        );
    }
    let extent = source
        .region
        .layers
        .iter()
        .filter_map(|l| l.extent)
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
        .reduce(|a, b| {
            [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[2].max(b[2]),
                a[3].max(b[3]),
            ]
        });
    if let Some(e) = extent {
        if !b.covers(e) {
            tracing::warn!(
                file = %b.path.display(),
                base_map = ?b.bounds,
                region = ?e,
                "the base map does not cover the whole region: the map is bare beyond its edge; cut an extract over the region's bounds"
            );
        }
    }
}

/// Delivers webhooks from the store's audit log, woken at every swap of
/// what is served (this server's writes at once, other replicas' at the
/// next store poll).
fn spawn_webhook_delivery(state: Arc<AppState>) -> Result<(), ServeError> {
    let served = state.clone();
    let deliverer = crate::webhooks::Deliverer::new(
        state.store.clone(),
        state.config.webhooks,
        Arc::new(move || served.served()),
    )?
    .counting_failures(state.metrics.webhook_failures());
    tokio::spawn(deliverer.run(state.seq()));
    Ok(())
}

/// Forgets rate-limited clients back at a full burst, every minute.
fn spawn_rate_tidy(state: Arc<AppState>) {
    if state.rate.is_none() {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Some(r) = &state.rate {
                r.tidy();
            }
        }
    });
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

/// With a store other servers write to (PostgreSQL), reads the public
/// question's counts, holds and exclusions again every
/// [`QUESTION_REFRESH`], so each server's figures and burst watch include
/// the others' answers. A server alone on its store counts its own
/// answers as it writes them and needs no refresh.
fn spawn_question_refresh(state: Arc<AppState>) {
    if !state.store.is_shared() || state.question.is_none() {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(QUESTION_REFRESH);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Some(desk) = &state.question {
                if let Err(e) = desk.reload().await {
                    tracing::warn!("question: reading the counts again failed: {e}");
                }
            }
        }
    });
}

/// How often a server on a shared store reads the question's counts again.
pub const QUESTION_REFRESH: std::time::Duration = std::time::Duration::from_secs(10);

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
    /// The base map cannot be used.
    #[error(transparent)]
    Basemap(#[from] crate::basemap::BasemapError),
    /// Webhook delivery cannot start.
    #[error(transparent)]
    Webhooks(#[from] crate::webhooks::DeliveryError),
}
