//! What one request sees: the region's geography as in effect today, the
//! feeds in effect, the planners' decisions and saved parameters, and the
//! store generation they all come from — one immutable value.
//!
//! The server holds the current [`Served`] behind one `ArcSwap` and every
//! request loads it once, so an answer never mixes the feeds of one store
//! generation with the decisions of another, nor two regions. The command
//! line builds it through the same [`Served::new`], so `feedmap plan
//! --store` and `GET /v1/plan` take one path.
//!
//! Boundaries change over time (`generations`): a [`View`] is the
//! geography of one date with the feeds and decisions attached to it
//! then. A `Served` holds today's and builds others on first use (`?at=`).

use crate::decision::{ClusterId, Decisions, Given};
use crate::feeds::{FeedRegistry, Moves, Resolution};
use crate::follow::StoreState;
use crate::generations::{today, Generations, Key};
use crate::plan::params::{layered, query_pairs};
use crate::plan::{self, Plan, PlanError, PlanParams};
use crate::published::Pages;
use crate::query::{feed_answer, FeedAnswer, Query, QueryError};
use crate::source::{Geo, Source};
use feedmap_geography::lookup::LatLon;
use feedmap_geography::region::Region;
use feedmap_store::{Store, StoreError};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The boundaries of one date with the feeds and decisions attached to
/// them then: what a lookup `?at=` a date answers from.
#[derive(Debug)]
pub struct View {
    /// The generation of each layer in effect.
    pub key: Key,
    geo: Arc<Geo>,
    feeds: Arc<FeedRegistry>,
    decisions: Arc<Decisions>,
    pages: Arc<Pages>,
}

impl View {
    /// The geography.
    pub fn region(&self) -> &Region {
        &self.geo.region
    }

    /// The geography with its caches (planning groundwork, tiles).
    pub fn geo(&self) -> &Geo {
        &self.geo
    }

    /// The feeds in effect, attached to this view's areas.
    pub fn feeds(&self) -> &FeedRegistry {
        &self.feeds
    }

    /// The decisions, attached to this view's areas.
    pub fn decisions(&self) -> &Decisions {
        &self.decisions
    }

    /// The neighbourhoods' published contacts and priorities, attached to
    /// this view's areas.
    pub fn pages(&self) -> &Pages {
        &self.pages
    }

    /// The feeds for a point, most specific first.
    #[inline]
    pub fn resolve(&self, p: LatLon) -> Resolution {
        self.feeds.resolve(&self.geo.region.layers, p)
    }

    /// [`View::resolve`] without the nearest neighbourhood of a point
    /// outside them all (see [`FeedRegistry::resolve_within`]).
    #[inline]
    pub fn resolve_within(&self, p: LatLon) -> Resolution {
        self.feeds.resolve_within(&self.geo.region.layers, p)
    }

    /// Locates a query and resolves its feeds in one call.
    pub fn feeds_for(&self, query: &Query) -> Result<FeedAnswer<'_>, QueryError> {
        let located = self.geo.region.locate(query)?;
        let resolution = self.resolve(located.point);
        Ok(feed_answer(
            &self.geo.region,
            &self.feeds,
            located,
            &resolution,
        ))
    }
}

/// One consistent view of everything served. Cheap to clone (shared
/// parts); rebuilt, never changed, when the store, the region or the date
/// changes.
#[derive(Debug, Clone)]
pub struct Served {
    source: Arc<Source>,
    store: Arc<StoreState>,
    generations: Arc<Generations>,
    /// The date `today` is for.
    day: String,
    today: Arc<View>,
    /// Views of other dates, built on first use.
    views: Arc<Mutex<HashMap<Key, Arc<View>>>>,
}

impl Served {
    /// Serves `source` with what was read from a store: the one place the
    /// feeds in effect and the plan's decisions are assembled.
    pub fn new(source: Arc<Source>, store: Arc<StoreState>) -> Served {
        let generations = Arc::new(Generations::new(
            source.clone(),
            &store.releases,
            &store.release_files,
            None,
        ));
        Self::assemble(source, store, generations, today())
    }

    fn assemble(
        source: Arc<Source>,
        store: Arc<StoreState>,
        generations: Arc<Generations>,
        day: String,
    ) -> Served {
        let key = generations.key_at(&day);
        let today = Arc::new(Self::view(&source, &store, &generations, key));
        Served {
            source,
            store,
            generations,
            day,
            today,
            views: Arc::default(),
        }
    }

    /// The view of `key`: its geography, with the feeds and decisions the
    /// active generations in it moved re-attached.
    fn view(source: &Source, store: &StoreState, generations: &Generations, key: Key) -> View {
        let geo = generations.geo(&key);
        let mut feed_moves = Moves::new();
        let mut decision_moves: HashMap<i64, Vec<(String, String, String)>> = HashMap::new();
        let mut page_moves: HashMap<String, Vec<(String, String, String)>> = HashMap::new();
        for (layer, m) in generations.migrations(&key) {
            let mv = (layer, m.from.clone(), m.to.clone());
            match m.subject.split_once(':') {
                Some(("feed", id)) => feed_moves.entry(id.to_string()).or_default().push(mv),
                Some(("decision", id)) => {
                    if let Ok(id) = id.parse() {
                        decision_moves.entry(id).or_default().push(mv);
                    }
                }
                Some(("page", area)) => page_moves.entry(area.to_string()).or_default().push(mv),
                _ => {}
            }
        }
        let first = key.iter().all(|n| *n == 1);
        let feeds = if store.feeds.is_empty() && feed_moves.is_empty() && first {
            source.feeds.clone()
        } else {
            let stored: Vec<_> = store.feeds.values().cloned().collect();
            Arc::new(FeedRegistry::merged(
                &source.feeds,
                &stored,
                &geo.region.layers,
                &feed_moves,
            ))
        };
        let decisions = Arc::new(Decisions::new(store.decisions.iter().map(|d| {
            let mut given = Given::from(d);
            for (layer, from, to) in decision_moves.get(&d.id).into_iter().flatten() {
                if &given.layer == layer && &given.area_id == from {
                    given.members = if to.contains(ClusterId::SEPARATOR) {
                        ClusterId::parts(to).map(str::to_string).collect()
                    } else {
                        Vec::new()
                    };
                    given.area_id = to.clone();
                }
            }
            given
        })));
        let pages = Arc::new(Pages::new(store.pages.values(), &page_moves));
        View {
            key,
            geo,
            feeds,
            decisions,
            pages,
        }
    }

    /// Serves `source` alone (no store: the feed file's feeds, no
    /// decisions, no later boundary generations).
    pub fn without_store(source: Source) -> Served {
        Self::new(Arc::new(source), Arc::default())
    }

    /// Serves `source` with everything `store` holds now.
    pub fn from_store(source: Arc<Source>, store: &dyn Store) -> Result<Served, StoreError> {
        Ok(Served::new(source, Arc::new(StoreState::read(store)?)))
    }

    /// This value brought up to date with `store` and the calendar, or
    /// `None` when neither has changed since. Parts that did not change
    /// are shared.
    pub fn advance(&self, store: &dyn Store) -> Result<Option<Served>, StoreError> {
        let day = today();
        let next = self.store.advance(store)?;
        if next.is_none() && day == self.day {
            return Ok(None);
        }
        let (state, releases_changed) = match next {
            Some(n) => (Arc::new(n.state), n.releases_changed),
            None => (self.store.clone(), false),
        };
        let generations = if releases_changed {
            Arc::new(Generations::new(
                self.source.clone(),
                &state.releases,
                &state.release_files,
                Some(&self.generations),
            ))
        } else {
            self.generations.clone()
        };
        Ok(Some(Self::assemble(
            self.source.clone(),
            state,
            generations,
            day,
        )))
    }

    /// The view of `date` (`YYYY-MM-DD`): the boundaries in effect then,
    /// with the feeds and decisions attached to them.
    pub fn view_at(&self, date: &str) -> Arc<View> {
        let key = self.generations.key_at(date);
        if key == self.today.key {
            return self.today.clone();
        }
        let mut views = self.views.lock().unwrap_or_else(|e| e.into_inner());
        views
            .entry(key.clone())
            .or_insert_with(|| {
                Arc::new(Self::view(
                    &self.source,
                    &self.store,
                    &self.generations,
                    key,
                ))
            })
            .clone()
    }

    /// Today's view.
    pub fn today(&self) -> &Arc<View> {
        &self.today
    }

    /// The date today's view is for (`YYYY-MM-DD`, UTC).
    pub fn day(&self) -> &str {
        &self.day
    }

    /// The next scheduled change of boundaries after today: its date and
    /// the view from then.
    pub fn upcoming(&self) -> Option<(String, Arc<View>)> {
        let date = self.generations.next_change_after(&self.day)?;
        let view = self.view_at(&date);
        Some((date, view))
    }

    /// Every layer's boundary generations.
    pub fn generations(&self) -> &Generations {
        &self.generations
    }

    /// Today's geography.
    pub fn region(&self) -> &Region {
        self.today.region()
    }

    /// Today's geography with its caches (planning groundwork, tiles).
    pub fn geo(&self) -> &Geo {
        self.today.geo()
    }

    /// The region folder's contents.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The region folder's contents, shared.
    pub fn source_arc(&self) -> Arc<Source> {
        self.source.clone()
    }

    /// What was read from the store (empty without one).
    pub fn store(&self) -> &StoreState {
        &self.store
    }

    /// The feeds in effect today: the feed file's with the store's
    /// additions and edits applied, attached to today's areas.
    pub fn feeds(&self) -> &FeedRegistry {
        self.today.feeds()
    }

    /// The decisions, indexed for the plan.
    pub fn decisions(&self) -> &Decisions {
        self.today.decisions()
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
            region: self.today.region(),
            planning: self.today.geo().planning(),
            feeds: self.today.feeds(),
            decisions: self.today.decisions(),
            voice: None,
        }
    }

    /// The plan with `params`, stating the generation it reflects (made
    /// without residents' answers: see [`Served::plan_with`]).
    pub fn plan(&self, params: &PlanParams) -> Result<Plan, PlanError> {
        self.plan_with(params, None)
    }

    /// The plan with `params` taking residents' answers `voice` as
    /// evidence (the *voice* factor and residents' names; `None`, no
    /// answer or `voice=false` give the plan of [`Served::plan`] byte for
    /// byte), stating the generation it reflects.
    pub fn plan_with(
        &self,
        params: &PlanParams,
        voice: Option<&plan::VoiceEvidence>,
    ) -> Result<Plan, PlanError> {
        let inputs = plan::Inputs {
            voice,
            ..self.plan_inputs()
        };
        let mut p = plan::plan(&inputs, params)?;
        p.generation = self.generation();
        Ok(p)
    }

    /// The feeds for a point today, most specific first.
    #[inline]
    pub fn resolve(&self, p: LatLon) -> Resolution {
        self.today.resolve(p)
    }

    /// Locates a query and resolves its feeds today in one call.
    pub fn feeds_for(&self, query: &Query) -> Result<FeedAnswer<'_>, QueryError> {
        self.today.feeds_for(query)
    }
}

/// An area, briefly.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Brief {
    /// Area id.
    pub id: String,
    /// Area name.
    pub name: String,
}

/// A layer whose area at a point changes.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AreaMove {
    /// Layer id.
    pub layer: String,
    /// The area now (`None`: none).
    pub before: Option<Brief>,
    /// The area from then (`None`: none).
    pub after: Option<Brief>,
}

/// A feed from the date of a scheduled change.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct UpcomingFeed {
    /// Feed id.
    pub feed_id: String,
    /// Platform.
    pub platform: String,
    /// Handle.
    pub handle: String,
    /// URL.
    pub url: String,
    /// Display name.
    pub name: String,
}

/// An answer as of a date, with what a scheduled boundary change will
/// change there: what `/v1/lookup` and `/v1/feeds/lookup` answer, and the
/// command line's `lookup` and `feeds lookup` print, so the two cannot
/// differ.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Dated<T> {
    /// The answer.
    #[serde(flatten)]
    pub answer: T,
    /// The date answered for (`YYYY-MM-DD`; today unless `at` was given).
    pub at: String,
    /// What the next scheduled boundary generation changes for this point
    /// (area, feeds) and from when; absent when nothing is scheduled or
    /// nothing changes here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upcoming: Option<Upcoming>,
}

/// What will change for a point when the next scheduled boundary
/// generation comes into effect.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Upcoming {
    /// From when (`YYYY-MM-DD`).
    pub from: String,
    /// Layers whose area at the point changes.
    pub areas: Vec<AreaMove>,
    /// Whether the feeds for the point change.
    pub feeds_change: bool,
    /// The feeds from then, most specific first.
    pub feeds: Vec<UpcomingFeed>,
}

impl Served {
    /// What changes at `p` when the first generation scheduled after
    /// `date` comes into effect; `None` when nothing is scheduled or
    /// nothing changes there.
    pub fn upcoming_at(&self, date: &str, p: LatLon) -> Option<Upcoming> {
        let from = self.generations.next_change_after(date)?;
        let (before, after) = (self.view_at(date), self.view_at(&from));
        let mut found = Vec::new();
        let mut at = |view: &View, li: usize| -> Option<Brief> {
            found.clear();
            view.region().locate_in_layer(li, p, &mut found);
            let l = &view.region().layers[li];
            found.first().map(|&a| Brief {
                id: l.areas[a].id.clone(),
                name: l.areas[a].name.clone(),
            })
        };
        let mut areas = Vec::new();
        for li in 0..before.region().layers.len() {
            if before.key[li] == after.key[li] {
                continue;
            }
            let (b, a) = (at(&before, li), at(&after, li));
            if b != a {
                areas.push(AreaMove {
                    layer: before.region().layers[li].id.clone(),
                    before: b,
                    after: a,
                });
            }
        }
        let ids = |view: &View| -> Vec<String> {
            view.resolve(p)
                .feeds
                .iter()
                .map(|h| view.feeds().feeds[h.feed].feed_id.clone())
                .collect()
        };
        let feeds_change = ids(&before) != ids(&after);
        if areas.is_empty() && !feeds_change {
            return None;
        }
        let feeds = after
            .resolve(p)
            .feeds
            .iter()
            .map(|h| {
                let f = &after.feeds().feeds[h.feed];
                UpcomingFeed {
                    feed_id: f.feed_id.clone(),
                    platform: f.fields.platform.clone(),
                    handle: f.fields.handle.clone(),
                    url: f.fields.url.clone(),
                    name: f.fields.name.clone(),
                }
            })
            .collect();
        Some(Upcoming {
            from,
            areas,
            feeds_change,
            feeds,
        })
    }
}
