//! The server's state: one [`Served`] value swapped whole (by store
//! changes and reloads, serialised), the store, tokens and settings.

use crate::auth::Tokens;
use crate::config::ServeConfig;
use arc_swap::ArcSwap;
use feedmap_domain::served::Served;
use feedmap_domain::source::Source;
use feedmap_geography::region::{LoadOptions, RegionError};
use feedmap_store::{Store, StoreError};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

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
    /// The per-client rate limit (`None`: off).
    pub rate: Option<super::listen::RateLimit>,
    /// The offline base map (`--basemap`), checked at start.
    pub basemap: Option<crate::basemap::Basemap>,
    /// What `/metrics` shows.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The public question's counts, limits and burst watch (`None` when
    /// its counts could not be read at start: the question then answers
    /// 503 and everything else serves).
    pub question: Option<crate::voice::Desk>,
    /// The outcome of the last read of the store's generation
    /// ([`AppState::sync`]): what `/health/ready` and the store gauges
    /// show.
    store_check: Mutex<StoreCheck>,
    /// Serialises swaps of `served` (reloads and store refreshes), so
    /// neither undoes the other.
    swap: Mutex<()>,
    /// The store's audit `seq` that `served` reflects, sent at every swap:
    /// what long-polls (`/v1/changes?wait=`) wait on.
    seq: tokio::sync::watch::Sender<i64>,
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

/// The last reads of the store.
#[derive(Debug, Clone)]
pub struct StoreCheck {
    /// When the store was last read successfully.
    pub last_ok: Instant,
    /// Why the last read failed, if it did.
    pub error: Option<String>,
}

pub(crate) fn now() -> u64 {
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
    /// the first request already sees the store's feeds), and the base
    /// map `config.basemap` names, opened with [`crate::basemap::Basemap::open`].
    pub fn new(
        source: Source,
        config: ServeConfig,
        store: Arc<dyn Store>,
        tokens: Tokens,
        basemap: Option<crate::basemap::Basemap>,
    ) -> Result<Arc<AppState>, StoreError> {
        let served = Served::from_store(Arc::new(source), &*store)?;
        served.geo().prepare();
        let seq = tokio::sync::watch::Sender::new(served.store().seq);
        Ok(Arc::new(AppState {
            seq,
            served: ArcSwap::from_pointee(served),
            status: Mutex::new(LoadStatus {
                loaded_at: now(),
                last_reload_at: None,
                last_reload_error: None,
            }),
            rate: super::listen::RateLimit::new(
                config.rate_limit,
                config.rate_limit_burst,
                config.rate_limit_loopback,
            ),
            question: match crate::voice::Desk::new(store.clone(), config.question.clone()) {
                Ok(d) => Some(d),
                Err(e) => {
                    tracing::error!("question: cannot read the answers' counts: {e}");
                    None
                }
            },
            config,
            store,
            tokens,
            basemap,
            metrics: Arc::new(crate::metrics::Metrics::new()),
            store_check: Mutex::new(StoreCheck {
                last_ok: Instant::now(),
                error: None,
            }),
            swap: Mutex::new(()),
        }))
    }

    /// What a request sees now.
    pub fn served(&self) -> Arc<Served> {
        self.served.load_full()
    }

    /// The audit `seq` of what is served, updated at every swap.
    pub fn seq(&self) -> tokio::sync::watch::Receiver<i64> {
        self.seq.subscribe()
    }

    /// Swaps in `next` (under `swap`) and tells the waiters its `seq`.
    fn publish(&self, next: Served) {
        let seq = next.store().seq;
        self.served.store(Arc::new(next));
        self.seq.send_replace(seq);
    }

    /// Brings the served state up to date with the store if anything was
    /// written since it was read (by this server or another replica): one
    /// cheap read when nothing changed, otherwise the audit entries since
    /// are applied ([`feedmap_domain::follow`]) and a new [`Served`] swapped in
    /// whole. Blocking. Its outcome is kept ([`AppState::store_check`]) for
    /// `/health/ready` and `/metrics`.
    pub fn sync(&self) -> Result<(), StoreError> {
        let result = self.follow_store();
        let mut check = self.store_check.lock().unwrap_or_else(|e| e.into_inner());
        match &result {
            Ok(()) => {
                check.last_ok = Instant::now();
                check.error = None;
            }
            Err(e) => check.error = Some(e.to_string()),
        }
        result
    }

    /// The outcome of the last read of the store ([`AppState::sync`]).
    pub fn store_check(&self) -> StoreCheck {
        self.store_check
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// [`AppState::sync`]'s work.
    fn follow_store(&self) -> Result<(), StoreError> {
        let current = self.served.load_full();
        if current.generation() == Some(self.store.generation()?)
            && current.day() == feedmap_domain::generations::today()
        {
            return Ok(());
        }
        let _swap = self.swap.lock().unwrap_or_else(|e| e.into_inner());
        // Another sync or a reload may have swapped meanwhile.
        let current = self.served.load_full();
        if let Some(next) = current.advance(&*self.store)? {
            // A new combination of boundary generations: its planning
            // groundwork and lookup grids are built before the swap, so no
            // request waits.
            next.geo().prepare();
            self.publish(next);
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

    /// [`AppState::sync_for_read`] from an async handler, off the async
    /// threads.
    pub async fn fresh(self: &Arc<Self>) {
        let s = self.clone();
        let _ = tokio::task::spawn_blocking(move || s.sync_for_read()).await;
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
                // Planning's groundwork and the lookup grids are built
                // before the swap, so no request waits for them; the store is read afresh, so a
                // reload fails whole when it cannot be.
                let served = Served::from_store(Arc::new(source), &*self.store)?;
                served.geo().prepare();
                Ok(served)
            });
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        status.last_reload_at = Some(now());
        match result {
            Ok(served) => {
                self.publish(served);
                status.loaded_at = now();
                status.last_reload_error = None;
                self.metrics.reloaded(true);
                tracing::info!("reload succeeded");
                Ok(())
            }
            Err(e) => {
                tracing::error!("reload failed, still serving the previous region: {e}");
                status.last_reload_error = Some(e.to_string());
                self.metrics.reloaded(false);
                Err(e)
            }
        }
    }
}
