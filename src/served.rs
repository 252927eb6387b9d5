//! What one request sees: the region's geography, the feeds in effect, the
//! planners' decisions and saved parameters, and the store generation they
//! all come from — one immutable value.
//!
//! The server holds the current [`Served`] behind one `ArcSwap` and every
//! request loads it once, so an answer never mixes the feeds of one store
//! generation with the decisions of another, nor two regions. The command
//! line builds it through the same [`Served::new`], so `feedmap plan
//! --store` and `GET /v1/plan` take one path.

use crate::decision::Decisions;
use crate::feeds::{FeedRegistry, Resolution};
use crate::follow::StoreState;
use crate::lookup::LatLon;
use crate::plan::params::{layered, query_pairs};
use crate::plan::{self, Plan, PlanError, PlanParams};
use crate::query::{feed_answer, FeedAnswer, Query, QueryError};
use crate::region::Region;
use crate::source::Source;
use crate::store::{Store, StoreError};
use std::sync::Arc;

/// One consistent view of everything served. Cheap to clone (shared
/// parts); rebuilt, never changed, when the store or the region changes.
#[derive(Debug, Clone)]
pub struct Served {
    source: Arc<Source>,
    store: Arc<StoreState>,
    feeds: Arc<FeedRegistry>,
    decisions: Arc<Decisions>,
}

impl Served {
    /// Serves `source` with what was read from a store: the one place the
    /// feeds in effect and the plan's decisions are assembled.
    pub fn new(source: Arc<Source>, store: Arc<StoreState>) -> Served {
        let feeds = Self::merge(&source, &store);
        let decisions = Self::index(&store);
        Served {
            source,
            store,
            feeds,
            decisions,
        }
    }

    /// Serves `source` alone (no store: the feed file's feeds, no
    /// decisions).
    pub fn without_store(source: Source) -> Served {
        let source = Arc::new(source);
        Served {
            feeds: source.feeds.clone(),
            source,
            store: Arc::default(),
            decisions: Arc::default(),
        }
    }

    /// Serves `source` with everything `store` holds now.
    pub fn from_store(source: Arc<Source>, store: &dyn Store) -> Result<Served, StoreError> {
        Ok(Served::new(source, Arc::new(StoreState::read(store)?)))
    }

    fn merge(source: &Source, store: &StoreState) -> Arc<FeedRegistry> {
        if store.feeds.is_empty() {
            return source.feeds.clone();
        }
        let stored: Vec<_> = store.feeds.values().cloned().collect();
        Arc::new(FeedRegistry::merged(
            &source.feeds,
            &stored,
            &source.region.layers,
        ))
    }

    fn index(store: &StoreState) -> Arc<Decisions> {
        Arc::new(Decisions::new(store.decisions.iter().map(Into::into)))
    }

    /// This value brought up to date with `store`, or `None` when the
    /// store has not changed since. Parts that did not change are shared.
    pub fn advance(&self, store: &dyn Store) -> Result<Option<Served>, StoreError> {
        let Some(next) = self.store.advance(store)? else {
            return Ok(None);
        };
        let state = Arc::new(next.state);
        Ok(Some(Served {
            source: self.source.clone(),
            feeds: if next.feeds_changed {
                Self::merge(&self.source, &state)
            } else {
                self.feeds.clone()
            },
            decisions: if next.decisions_changed {
                Self::index(&state)
            } else {
                self.decisions.clone()
            },
            store: state,
        }))
    }

    /// The geography.
    pub fn region(&self) -> &Region {
        &self.source.region
    }

    /// The region folder's contents and the caches derived from them.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// What was read from the store (empty without one).
    pub fn store(&self) -> &StoreState {
        &self.store
    }

    /// The feeds in effect: the feed file's with the store's additions and
    /// edits applied.
    pub fn feeds(&self) -> &FeedRegistry {
        &self.feeds
    }

    /// The decisions, indexed for the plan.
    pub fn decisions(&self) -> &Decisions {
        &self.decisions
    }

    /// The store generation this value reflects (`None` without a store).
    pub fn generation(&self) -> Option<i64> {
        self.store.generation
    }

    /// The saved `default` parameters (a query string), if any.
    fn saved_params(&self) -> Option<&str> {
        self.store.default_params.as_ref().map(|p| p.query.as_str())
    }

    /// Plan parameters: the saved ones, each overridden by the same
    /// parameter in `given`, over the defaults.
    pub fn params(&self, given: &[(String, String)]) -> Result<PlanParams, PlanError> {
        let saved = query_pairs(self.saved_params().unwrap_or(""));
        Ok(PlanParams::from_pairs(layered(&saved, given))?)
    }

    /// What a plan is made from, all from this one value.
    pub fn plan_inputs(&self) -> plan::Inputs<'_> {
        plan::Inputs {
            region: &self.source.region,
            planning: self.source.planning(),
            feeds: &self.feeds,
            decisions: &self.decisions,
        }
    }

    /// The plan with `params`, stating the generation it reflects.
    pub fn plan(&self, params: &PlanParams) -> Result<Plan, PlanError> {
        let mut p = plan::plan(&self.plan_inputs(), params)?;
        p.generation = self.generation();
        Ok(p)
    }

    /// The feeds for a point, most specific first.
    #[inline]
    pub fn resolve(&self, p: LatLon) -> Resolution {
        self.feeds.resolve(&self.source.region.layers, p)
    }

    /// Locates a query and resolves its feeds in one call.
    pub fn feeds_for(&self, query: &Query) -> Result<FeedAnswer<'_>, QueryError> {
        let located = self.source.region.locate(query)?;
        let resolution = self.resolve(located.point);
        Ok(feed_answer(
            &self.source.region,
            &self.feeds,
            located,
            &resolution,
        ))
    }
}
