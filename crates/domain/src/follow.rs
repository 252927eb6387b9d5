//! Following the store: what a server (or a command) last read of it, and
//! how that is brought up to date by replaying the audit log.
//!
//! The audit log is the store's change feed: every write appends its
//! entries in the same transaction that bumps the generation, and writers
//! serialise on the generation row, so entries become visible in `seq`
//! order. A [`StoreState`] is read whole once ([`StoreState::read`]) and
//! then advanced by the entries written since ([`StoreState::advance`]),
//! each time together with the generation they bring it to, so a state
//! always names exactly the generation it reflects. Nothing here knows of
//! HTTP: the server calls it on every write, on a timer and (on a shared
//! store) before reads; tests call it directly.

use feedmap_store::{
    ActivityDay, Decision, Handover, Page, ParamSet, Release, ReleaseFile, Store, StoreError,
    StoredFeed,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Audit entries read per round trip while catching up.
const PAGE: usize = 10_000;

/// The store's contents as last read: everything the served state is
/// built from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreState {
    /// The store generation this state reflects; `None` for the empty
    /// state of a command run without a store.
    pub generation: Option<i64>,
    /// The last audit entry applied.
    pub seq: i64,
    /// Every decision, by id.
    pub decisions: Vec<Decision>,
    /// Every stored feed, by id.
    pub feeds: BTreeMap<String, StoredFeed>,
    /// The saved `default` plan parameters, if any.
    pub default_params: Option<ParamSet>,
    /// Every boundary release, by id.
    pub releases: BTreeMap<i64, Release>,
    /// Each release's files (they never change once staged).
    pub release_files: BTreeMap<i64, Arc<Vec<ReleaseFile>>>,
    /// Every handover, by id.
    pub handovers: BTreeMap<i64, Handover>,
    /// Recorded activity: feed id → date → that day (shared: following
    /// the log copies it only when activity is recorded).
    pub activity: Arc<crate::activity::Activity>,
    /// Every neighbourhood's published page, by `layer/area_id` as stored.
    pub pages: BTreeMap<String, Arc<Page>>,
}

/// What [`StoreState::advance`] found.
#[derive(Debug)]
pub struct Advanced {
    /// The state brought up to date.
    pub state: StoreState,
    /// Whether any feed was added, changed or retired (the feeds in effect
    /// must then be merged again).
    pub feeds_changed: bool,
    /// Whether any decision was made, changed or withdrawn (the plan's
    /// index of them must then be made again).
    pub decisions_changed: bool,
    /// Whether any boundary release was staged or changed.
    pub releases_changed: bool,
}

/// What one audit entry changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    /// A stored feed.
    Feed,
    /// A decision.
    Decision,
    /// A boundary release.
    Release,
    /// Something else (a parameter set, a handover, activity): nothing
    /// the geography or the feeds in effect depend on.
    Other,
}

impl StoreState {
    /// Reads everything, in one consistent snapshot.
    pub fn read(store: &dyn Store) -> Result<StoreState, StoreError> {
        let s = store.snapshot()?;
        Ok(StoreState {
            generation: Some(s.generation),
            seq: s.seq,
            decisions: s.decisions,
            feeds: s
                .feeds
                .into_iter()
                .map(|f| (f.feed_id.clone(), f))
                .collect(),
            default_params: s.default_params,
            release_files: s
                .releases
                .iter()
                .map(|(r, files)| (r.id, Arc::new(files.clone())))
                .collect(),
            releases: s.releases.into_iter().map(|(r, _)| (r.id, r)).collect(),
            handovers: s.handovers.into_iter().map(|h| (h.id, h)).collect(),
            activity: {
                let mut a = crate::activity::Activity::new();
                crate::activity::add(&mut a, s.activity);
                Arc::new(a)
            },
            pages: s
                .pages
                .into_iter()
                .map(|p| (Page::key(&p.layer, &p.area_id), Arc::new(p)))
                .collect(),
        })
    }

    /// This state with the audit entries written since applied, or `None`
    /// when the store is still at this state's generation (one cheap read).
    /// A state that never read the store reads it whole.
    pub fn advance(&self, store: &dyn Store) -> Result<Option<Advanced>, StoreError> {
        let Some(seen) = self.generation else {
            return Ok(Some(Advanced {
                state: StoreState::read(store)?,
                feeds_changed: true,
                decisions_changed: true,
                releases_changed: true,
            }));
        };
        if store.generation()? == seen {
            return Ok(None);
        }
        let mut next = self.clone();
        let (mut feeds_changed, mut decisions_changed, mut releases_changed) =
            (false, false, false);
        loop {
            let changes = store.changes(next.seq, PAGE)?;
            for e in &changes.entries {
                match next.apply(e)? {
                    Changed::Feed => feeds_changed = true,
                    Changed::Decision => decisions_changed = true,
                    Changed::Release => releases_changed = true,
                    Changed::Other => {}
                }
            }
            if changes.entries.len() < PAGE {
                // A new release's files: immutable once staged, so reading
                // them after the changes cannot mix generations.
                let missing: Vec<i64> = next
                    .releases
                    .keys()
                    .filter(|id| !next.release_files.contains_key(id))
                    .copied()
                    .collect();
                for id in missing {
                    next.release_files
                        .insert(id, Arc::new(store.release_files(id)?));
                }
                next.generation = Some(changes.generation);
                return Ok(Some(Advanced {
                    state: next,
                    feeds_changed,
                    decisions_changed,
                    releases_changed,
                }));
            }
        }
    }

    /// Applies one audit entry; returns what it changed.
    pub fn apply(&mut self, e: &feedmap_store::AuditEntry) -> Result<Changed, StoreError> {
        let bad = |err: serde_json::Error| StoreError::Backend {
            backend: "audit",
            message: format!("audit entry {} does not read back: {err}", e.seq),
        };
        self.seq = e.seq;
        match e.entity.as_str() {
            "decision" => {
                let id: i64 = e.entity_id.parse().unwrap_or(-1);
                self.decisions.retain(|d| d.id != id);
                if let Some(after) = &e.after {
                    let d: Decision = serde_json::from_value(after.clone()).map_err(bad)?;
                    let at = self.decisions.partition_point(|x| x.id < d.id);
                    self.decisions.insert(at, d);
                }
                Ok(Changed::Decision)
            }
            "feed" => {
                match &e.after {
                    Some(after) => {
                        let f: StoredFeed = serde_json::from_value(after.clone()).map_err(bad)?;
                        self.feeds.insert(f.feed_id.clone(), f);
                    }
                    None => {
                        self.feeds.remove(&e.entity_id);
                    }
                }
                Ok(Changed::Feed)
            }
            "release" => {
                if let Some(after) = &e.after {
                    let r: Release = serde_json::from_value(after.clone()).map_err(bad)?;
                    self.releases.insert(r.id, r);
                }
                Ok(Changed::Release)
            }
            "page" => {
                if let Some(after) = &e.after {
                    let p: Page = serde_json::from_value(after.clone()).map_err(bad)?;
                    self.pages.insert(e.entity_id.clone(), Arc::new(p));
                }
                Ok(Changed::Other)
            }
            "handover" => {
                if let Some(after) = &e.after {
                    let h: Handover = serde_json::from_value(after.clone()).map_err(bad)?;
                    self.handovers.insert(h.id, h);
                }
                Ok(Changed::Other)
            }
            "activity" => {
                #[derive(serde::Deserialize)]
                struct Recorded {
                    days: Vec<ActivityDay>,
                }
                if let Some(after) = &e.after {
                    let r: Recorded = serde_json::from_value(after.clone()).map_err(bad)?;
                    crate::activity::add(Arc::make_mut(&mut self.activity), r.days);
                }
                Ok(Changed::Other)
            }
            "params" if e.entity_id == "default" => {
                self.default_params = e
                    .after
                    .clone()
                    .map(serde_json::from_value)
                    .transpose()
                    .map_err(bad)?;
                Ok(Changed::Other)
            }
            _ => Ok(Changed::Other),
        }
    }
}
