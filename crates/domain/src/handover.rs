//! Handing a feed to a new team: start (to whom, why), confirm each step
//! of the checklist (credentials changed, two-factor moved, profile text
//! updated, old administrators removed), or cancel. The last confirmed
//! step completes it and gives the feed to the new team in the same
//! transaction; every step is in the audit log with who and when.
//!
//! One set of operations for HTTP and the command line. Answers name the
//! administrators only for a caller with a token ([`HandoverView::of`]).

use crate::feeds::{check_owner, FeedStatus, MAX_OWNER_TEXT};
use crate::served::Served;
use feedmap_store::{
    Expect, FeedEntry, Handover, HandoverRules, HandoverStatus, HandoverStep, NewHandover,
    Ownership, StepDone, Store, StoreError, StoredFeed,
};
use serde::{Deserialize, Serialize};

/// Why a handover operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum HandoverError {
    /// No such feed or handover.
    #[error("{0}")]
    NotFound(String),
    /// The request is not usable; every problem in words.
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What starting a handover takes.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// The team taking over (a unit or role, not a person).
    pub to_team: String,
    /// The new administrators by name (at least one).
    pub to_administrators: Vec<String>,
    /// Why, in words.
    #[serde(default)]
    pub note: String,
}

/// Starts handing `feed_id` over.
pub fn start(
    served: &Served,
    store: &dyn Store,
    who: &str,
    feed_id: &str,
    req: StartRequest,
) -> Result<Handover, HandoverError> {
    let feed = served
        .feeds()
        .get(feed_id)
        .ok_or_else(|| HandoverError::NotFound(format!("no feed {feed_id:?}")))?;
    let mut problems = Vec::new();
    if feed.fields.status == FeedStatus::Retired {
        problems.push(format!(
            "feed {feed_id} is retired; there is nothing to hand over"
        ));
    }
    let to_team = req.to_team.trim().to_string();
    if to_team.is_empty() || to_team.chars().count() > MAX_OWNER_TEXT {
        problems.push(format!("to_team must be 1 to {MAX_OWNER_TEXT} characters"));
    }
    let admins: Vec<String> = req
        .to_administrators
        .iter()
        .map(|a| a.trim().to_string())
        .collect();
    if admins.is_empty() {
        problems.push("to_administrators must name at least one person".into());
    }
    let owner = Ownership {
        administrators: admins.clone(),
        ..Default::default()
    };
    problems.extend(
        check_owner(&owner)
            .into_iter()
            .map(|p| format!("to_{}: {}", p.field, p.detail)),
    );
    if req.note.chars().count() > 10_000 {
        problems.push("note is longer than 10000 characters".into());
    }
    if !problems.is_empty() {
        return Err(HandoverError::Invalid(problems));
    }
    Ok(store.start_handover(
        who,
        NewHandover {
            feed_id: feed_id.into(),
            to_team,
            to_administrators: admins,
            note: req.note,
        },
        &feed.entry(),
    )?)
}

fn current(served: &Served, store: &dyn Store, id: i64) -> Result<Handover, HandoverError> {
    if let Some(h) = served.store().handovers.get(&id) {
        return Ok(h.clone());
    }
    store
        .handovers()?
        .into_iter()
        .find(|h| h.id == id)
        .ok_or_else(|| HandoverError::NotFound(format!("no handover {id}")))
}

/// Confirms one step; the last one completes the handover and gives the
/// feed to the new team (returned too).
pub fn confirm(
    served: &Served,
    store: &dyn Store,
    who: &str,
    id: i64,
    step: &str,
    expect: Expect,
) -> Result<(Handover, Option<StoredFeed>), HandoverError> {
    let step = HandoverStep::parse(step).ok_or_else(|| {
        HandoverError::NotFound(format!(
            "no step {step:?}; the steps are {}",
            HandoverStep::ALL.map(HandoverStep::as_str).join(", ")
        ))
    })?;
    let h = current(served, store, id)?;
    let feed = served
        .feeds()
        .get(&h.feed_id)
        .ok_or_else(|| HandoverError::NotFound(format!("feed {} is gone", h.feed_id)))?;
    Ok(store.confirm_handover_step(who, id, step, expect, &feed.entry(), &Rules)?)
}

/// What confirming a step does, run by the store inside the transaction
/// that records it: the step is marked done by whom and when; with every
/// step done the handover is completed, and the feed then belongs to the
/// new team and administrators, checked on the day it completed.
pub struct Rules;

impl HandoverRules for Rules {
    fn confirm(&self, before: &Handover, step: HandoverStep, who: &str, at: &str) -> Handover {
        let mut after = before.clone();
        after.steps.insert(
            step,
            StepDone {
                by: who.into(),
                at: at.into(),
            },
        );
        if HandoverStep::ALL
            .iter()
            .all(|s| after.steps.contains_key(s))
        {
            after.status = HandoverStatus::Completed;
        }
        after
    }

    fn hand_over(&self, handover: &Handover, feed: &FeedEntry, at: &str) -> FeedEntry {
        let mut f = feed.clone();
        f.owner.team = Some(handover.to_team.clone());
        f.owner.administrators = handover.to_administrators.clone();
        f.owner.checked_on = Some(at.get(..10).unwrap_or(at).to_string());
        f
    }
}

/// Cancels an open handover.
pub fn cancel(
    served: &Served,
    store: &dyn Store,
    who: &str,
    id: i64,
    expect: Expect,
) -> Result<Handover, HandoverError> {
    current(served, store, id)?;
    Ok(store.cancel_handover(who, id, expect)?)
}

/// One step as answers show it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct StepView {
    /// The step.
    pub step: HandoverStep,
    /// What it asks, in words.
    pub description: String,
    /// Who confirmed it and when, once done.
    pub done: Option<StepDone>,
}

/// A handover as answers show it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct HandoverView {
    /// Id.
    pub id: i64,
    /// The feed.
    pub feed_id: String,
    /// Its handle and platform, for reading.
    pub handle: Option<String>,
    /// Platform word.
    pub platform: Option<String>,
    /// Open, completed or cancelled.
    pub status: HandoverStatus,
    /// The team when it started.
    pub from_team: Option<String>,
    /// The team taking over.
    pub to_team: String,
    /// The administrators when it started: only for a caller with a token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_administrators: Option<Vec<String>>,
    /// The new administrators: only for a caller with a token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_administrators: Option<Vec<String>>,
    /// How many new administrators.
    pub to_administrator_count: usize,
    /// Why.
    pub note: String,
    /// The checklist, in order.
    pub steps: Vec<StepView>,
    /// Steps still to confirm.
    pub remaining: usize,
    /// Token name that started it.
    pub created_by: String,
    /// When.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
    /// The ETag.
    pub version: i64,
}

impl HandoverView {
    /// Shows `h`; `names` adds the administrators' names.
    pub fn of(served: &Served, h: &Handover, names: bool) -> HandoverView {
        let feed = served.feeds().get(&h.feed_id);
        let steps: Vec<StepView> = HandoverStep::ALL
            .iter()
            .map(|&s| StepView {
                step: s,
                description: s.describe().into(),
                done: h.steps.get(&s).cloned(),
            })
            .collect();
        HandoverView {
            id: h.id,
            feed_id: h.feed_id.clone(),
            handle: feed.map(|f| f.fields.handle.clone()),
            platform: feed.map(|f| f.fields.platform.clone()),
            status: h.status,
            from_team: h.from_team.clone(),
            to_team: h.to_team.clone(),
            from_administrators: names.then(|| h.from_administrators.clone()),
            to_administrators: names.then(|| h.to_administrators.clone()),
            to_administrator_count: h.to_administrators.len(),
            note: h.note.clone(),
            remaining: steps.iter().filter(|s| s.done.is_none()).count(),
            steps,
            created_by: h.meta.created_by.clone(),
            created_at: h.meta.created_at.clone(),
            updated_at: h.meta.updated_at.clone(),
            version: h.meta.version,
        }
    }
}
