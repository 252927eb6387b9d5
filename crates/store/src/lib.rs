//! The store: everything planners change, and the only mutable state.
//!
//! Boundary files stay read-only input; decisions, feeds added or edited
//! through the API, saved plan parameters and the audit log of every change
//! live here. One trait, [`Store`], has two implementations over the same
//! SQL (`sql`): [`sqlite`] — an embedded file in a data directory, nothing
//! to install, for one server — and [`postgres`] — for any number of
//! stateless replicas sharing one state.
//!
//! Every write is one transaction that also bumps the store's *generation*
//! and appends to the audit log, so a write is either wholly there (with
//! its audit entry) or not at all, and a replica learns that something
//! changed from one cheap read.

mod backend;
pub mod dump;
mod feed;
mod meta;
mod page;
pub mod postgres;
mod schema;
mod sql;
pub mod sqlite;
mod voice;
mod webhook;

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

pub use dump::Dump;
pub use feed::{FeedEntry, FeedFields, FeedStatus, Ownership, StoredFeed, Verification};
pub use meta::Meta;
pub use page::{Contact, ContactWays, Page, PagePart, Priority};
pub use voice::{
    HoldStatus, NewExclusion, NewHold, VoiceCell, VoiceCount, VoiceExclusion, VoiceHold, VoiceKind,
    VoiceRecords, VoiceTally, VOICE_ENTITY,
};
pub use webhook::{
    now_ms, rfc3339_ms, AreaKey, Claim, Claims, DeliveryState, DumpedWebhook, EventKind,
    NewWebhook, Outcome, Webhook, WebhookPatch, WebhookRow, WebhookStatus,
};

/// A stored decision about a suggestion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Decision {
    /// Store-assigned id.
    pub id: i64,
    /// Community layer id.
    pub layer: String,
    /// Area id, or a cluster's id (member ids joined by `+`).
    pub area_id: String,
    /// A cluster's member ids (empty for one area).
    pub members: Vec<String>,
    /// Accept, reject or defer.
    pub decision: DecisionKind,
    /// The planner's note (may be empty).
    pub note: String,
    /// The planner's name for the suggestion ("Partington"), shown
    /// instead of the one the plan makes; absent when not renamed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The plan parameters (a query string) the planner was looking at.
    pub params: Option<String>,
    /// Who and when, and the version.
    #[serde(flatten)]
    pub meta: Meta,
}

/// What a planner decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DecisionKind {
    /// The community (or cluster) gets a feed of its own.
    Accept,
    /// It does not; stop suggesting it.
    Reject,
    /// Decide later; keep suggesting it, marked as deferred.
    Defer,
}

impl DecisionKind {
    /// The word stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Accept => "accept",
            DecisionKind::Reject => "reject",
            DecisionKind::Defer => "defer",
        }
    }

    /// Parses the stored word.
    pub fn parse(s: &str) -> Option<DecisionKind> {
        match s {
            "accept" => Some(DecisionKind::Accept),
            "reject" => Some(DecisionKind::Reject),
            "defer" => Some(DecisionKind::Defer),
            _ => None,
        }
    }

    /// Past tense, for explanations ("accepted by …").
    pub fn past(self) -> &'static str {
        match self {
            DecisionKind::Accept => "accepted",
            DecisionKind::Reject => "rejected",
            DecisionKind::Defer => "deferred",
        }
    }
}

/// A domain rule over a release about to be activated: given it, the
/// layer's active releases and the date it would be used from, `Err` with
/// the reason it may not be (the store's [`Store::activate_release`] runs
/// it inside its transaction).
pub type ActivationRule = dyn Fn(&Release, &[Release], &str) -> Result<(), String> + Sync;

/// The domain's rules for a handover step, which the store runs inside
/// the transaction that records it ([`Store::confirm_handover_step`]).
pub trait HandoverRules: Sync {
    /// The handover after `who` confirms `step` at `at` (RFC 3339): its
    /// steps and status. The store sets the record's metadata (who and
    /// when last, version).
    fn confirm(&self, before: &Handover, step: HandoverStep, who: &str, at: &str) -> Handover;
    /// The feed's entry once `handover`, now completed at `at`, has
    /// moved it.
    fn hand_over(&self, handover: &Handover, feed: &FeedEntry, at: &str) -> FeedEntry;
}

/// A decision to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDecision {
    /// Community layer id.
    pub layer: String,
    /// Area or cluster id.
    pub area_id: String,
    /// A cluster's members.
    pub members: Vec<String>,
    /// What was decided.
    pub decision: DecisionKind,
    /// Why.
    pub note: String,
    /// The planner's name for the suggestion, if renamed.
    pub name: Option<String>,
    /// The plan parameters seen.
    pub params: Option<String>,
}

/// A change to a decision: fields left `None` keep their value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DecisionPatch {
    /// A new decision.
    pub decision: Option<DecisionKind>,
    /// A new note.
    pub note: Option<String>,
    /// A new name for the suggestion; an empty one removes the name
    /// (the plan's own is shown again).
    pub name: Option<String>,
}

/// One step of handing a feed over to a new team.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum HandoverStep {
    /// The password changed (and put where the credentials are held).
    CredentialsChanged,
    /// Two-factor authentication moved to the new team's device or
    /// platform.
    TwoFactorMoved,
    /// The profile text names the new team.
    ProfileUpdated,
    /// The old administrators' access removed.
    OldAdministratorsRemoved,
}

impl HandoverStep {
    /// Every step, in the order they are usually done.
    pub const ALL: [HandoverStep; 4] = [
        HandoverStep::CredentialsChanged,
        HandoverStep::TwoFactorMoved,
        HandoverStep::ProfileUpdated,
        HandoverStep::OldAdministratorsRemoved,
    ];

    /// The word used in paths and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            HandoverStep::CredentialsChanged => "credentials_changed",
            HandoverStep::TwoFactorMoved => "two_factor_moved",
            HandoverStep::ProfileUpdated => "profile_updated",
            HandoverStep::OldAdministratorsRemoved => "old_administrators_removed",
        }
    }

    /// Reads the word.
    pub fn parse(s: &str) -> Option<HandoverStep> {
        Self::ALL.into_iter().find(|h| h.as_str() == s)
    }

    /// What the step asks, in words.
    pub fn describe(self) -> &'static str {
        match self {
            HandoverStep::CredentialsChanged => {
                "Change the password and store it where the force holds credentials"
            }
            HandoverStep::TwoFactorMoved => "Move two-factor authentication to the new team",
            HandoverStep::ProfileUpdated => "Update the profile text to name the new team",
            HandoverStep::OldAdministratorsRemoved => "Remove the old administrators' access",
        }
    }
}

/// Where a handover is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HandoverStatus {
    /// Steps remain.
    Open,
    /// Every step confirmed: the feed is the new team's.
    Completed,
    /// Abandoned; the feed stays with its team.
    Cancelled,
}

impl HandoverStatus {
    /// The word stored and answered.
    pub fn as_str(self) -> &'static str {
        match self {
            HandoverStatus::Open => "open",
            HandoverStatus::Completed => "completed",
            HandoverStatus::Cancelled => "cancelled",
        }
    }
}

/// A confirmed step: who and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StepDone {
    /// Token name that confirmed it.
    pub by: String,
    /// When.
    pub at: String,
}

/// A feed changing hands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Handover {
    /// Store-assigned id.
    pub id: i64,
    /// The feed.
    pub feed_id: String,
    /// Open, completed or cancelled.
    pub status: HandoverStatus,
    /// The owning team when it started.
    pub from_team: Option<String>,
    /// The administrators when it started (personal data).
    pub from_administrators: Vec<String>,
    /// The team taking over.
    pub to_team: String,
    /// The new administrators (personal data).
    pub to_administrators: Vec<String>,
    /// Why, in words.
    pub note: String,
    /// The steps confirmed so far.
    pub steps: std::collections::BTreeMap<HandoverStep, StepDone>,
    /// Who and when, and the version.
    #[serde(flatten)]
    pub meta: Meta,
}

/// A handover to start (checked by the caller).
#[derive(Debug, Clone, PartialEq)]
pub struct NewHandover {
    /// The feed.
    pub feed_id: String,
    /// The team taking over.
    pub to_team: String,
    /// The new administrators.
    pub to_administrators: Vec<String>,
    /// Why.
    pub note: String,
}

/// A feed's activity on one day, as a platform export gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ActivityDay {
    /// The feed.
    pub feed_id: String,
    /// The day (`YYYY-MM-DD`).
    pub date: String,
    /// Posts published that day.
    pub posts: i64,
    /// Followers at the end of the day, where known.
    pub followers: Option<i64>,
}

/// A saved set of plan parameters (a query string).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ParamSet {
    /// Name (`default` is the one plans use when given no parameters).
    pub name: String,
    /// The parameters as a query string, e.g. `min_population=4000`.
    pub query: String,
    /// Token name of the last change.
    pub updated_by: String,
    /// When.
    pub updated_at: String,
    /// Bumped by every change; the ETag.
    pub version: i64,
}

/// Where a boundary release is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReleaseStatus {
    /// Stored and shown to planners; lookups do not use it.
    Staged,
    /// In use from its `valid_from` date (scheduled when that is later
    /// than today).
    Active,
    /// Set aside without ever being used.
    Withdrawn,
}

impl ReleaseStatus {
    /// The lowercase word stored and answered.
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseStatus::Staged => "staged",
            ReleaseStatus::Active => "active",
            ReleaseStatus::Withdrawn => "withdrawn",
        }
    }
}

/// A planner's choice of successor for one feed or decision attached to
/// an area the release replaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Confirmation {
    /// The area (or `+`-joined cluster) of the new generation it moves to;
    /// `None`: it moves nowhere and stays listed with its problem.
    pub to: Option<String>,
    /// Token name that confirmed it.
    pub by: String,
    /// When.
    pub at: String,
    /// Bumped by every change; the proposal's ETag (0 before any).
    pub version: i64,
}

/// A new generation of one layer's boundaries, as stored. Its files are
/// kept apart ([`ReleaseFile`]) and never change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Release {
    /// Store-assigned id.
    pub id: i64,
    /// The layer it is a generation of.
    pub layer: String,
    /// Its generation number in that layer (the manifest's files are 1).
    pub generation: i64,
    /// The generation it replaces: the layer's latest active one when it
    /// was staged.
    pub follows: i64,
    /// A planner's label, e.g. `May 2023 wards`.
    pub label: String,
    /// Staged, active or withdrawn.
    pub status: ReleaseStatus,
    /// From when lookups use it (`YYYY-MM-DD`), once activated.
    pub valid_from: Option<String>,
    /// Property with the area id, when it differs from the manifest's.
    pub id_property: Option<String>,
    /// Property with the area name, when it differs from the manifest's.
    pub name_property: Option<String>,
    /// The file names, in order.
    pub files: Vec<String>,
    /// Planners' confirmed successors, by subject (`feed:ID`,
    /// `decision:ID`).
    pub confirmations: std::collections::BTreeMap<String, Confirmation>,
    /// What activation moved (the confirmed successors, each from the
    /// area it was attached to then); empty before.
    #[serde(default)]
    pub migrations: Vec<Migration>,
    /// Who and when, and the version.
    #[serde(flatten)]
    pub meta: Meta,
}

/// One file of a release: its name (the extension says GeoJSON or KML)
/// and its text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseFile {
    /// File name, e.g. `wards_2023.geojson`.
    pub name: String,
    /// The file's contents.
    pub text: String,
}

/// A release to stage (already validated by the caller).
#[derive(Debug, Clone, PartialEq)]
pub struct NewRelease {
    /// Layer id.
    pub layer: String,
    /// The generation it replaces.
    pub follows: i64,
    /// Label.
    pub label: String,
    /// Id property override.
    pub id_property: Option<String>,
    /// Name property override.
    pub name_property: Option<String>,
    /// The files.
    pub files: Vec<ReleaseFile>,
}

/// A feed or decision moved to a new area when a release is activated,
/// recorded in the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Migration {
    /// `feed:ID` or `decision:ID`.
    pub subject: String,
    /// The area (or cluster) it was attached to.
    pub from: String,
    /// The area (or cluster) it moves to.
    pub to: String,
}

/// One entry of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub seq: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Token name.
    pub who: String,
    /// What, e.g. `decision.create`, `feed.retire`.
    pub action: String,
    /// `decision`, `feed`, `params`, `page`, `release`, `handover`,
    /// `activity`, `webhook`, `migration` or `voice`.
    pub entity: String,
    /// The decision id, feed id or parameter set name (for `voice`:
    /// `hold:ID` or `exclusion:ID`).
    pub entity_id: String,
    /// The record before (absent for a creation).
    pub before: Option<serde_json::Value>,
    /// The record after (absent for a deletion).
    pub after: Option<serde_json::Value>,
}

/// What [`Store::snapshot`] reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// The store's generation.
    pub generation: i64,
    /// The last audit entry's `seq` (0 when there is none).
    pub seq: i64,
    /// Every decision, by id.
    pub decisions: Vec<Decision>,
    /// Every stored feed, by id.
    pub feeds: Vec<StoredFeed>,
    /// The saved `default` parameter set.
    pub default_params: Option<ParamSet>,
    /// Every boundary release with its files, by id.
    pub releases: Vec<(Release, Vec<ReleaseFile>)>,
    /// Every handover, by id.
    pub handovers: Vec<Handover>,
    /// Every day of recorded activity, by feed and date.
    pub activity: Vec<ActivityDay>,
    /// Every neighbourhood's published page, by layer and area id.
    pub pages: Vec<Page>,
}

/// What [`Store::changes`] reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// The store's generation.
    pub generation: i64,
    /// The audit entries asked for.
    pub entries: Vec<AuditEntry>,
}

/// What a conditional write expects of the record (HTTP `If-Match`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Any current version (`If-Match: *`).
    Any,
    /// Exactly this version.
    Version(i64),
}

impl Expect {
    fn holds(self, current: i64) -> bool {
        match self {
            Expect::Any => true,
            Expect::Version(v) => v == current,
        }
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such record.
    #[error("no {entity} {id}")]
    NotFound {
        /// `decision`, `feed` or `params`.
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// The record changed since the client read it.
    #[error("{entity} {id} is at version {current}, not the version given in If-Match")]
    Stale {
        /// Entity.
        entity: &'static str,
        /// Id.
        id: String,
        /// The current version.
        current: i64,
    },
    /// The record already exists.
    #[error("{entity} {id} already exists{}", existing.map(|e| format!(" (id {e})")).unwrap_or_default())]
    Exists {
        /// Entity.
        entity: &'static str,
        /// What it is keyed by.
        id: String,
        /// The existing record's id, where it has one.
        existing: Option<i64>,
    },
    /// An import into a store that already holds data.
    #[error("the store is not empty ({0}); import only into an empty store")]
    NotEmpty(String),
    /// The request conflicts with the record's state (activating a
    /// release older than the active one, confirming on an active one).
    #[error("{entity} {id}: {reason}")]
    Conflict {
        /// Entity.
        entity: &'static str,
        /// Id.
        id: String,
        /// Why, in words.
        reason: String,
    },
    /// The database schema is newer than this program.
    #[error("the database schema is version {found}, newer than this feedmap knows ({known}); upgrade feedmap")]
    SchemaTooNew {
        /// In the database.
        found: i64,
        /// Known here.
        known: i64,
    },
    /// The database failed or holds something unexpected.
    #[error("{backend} store: {message}")]
    Backend {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// What failed.
        message: String,
    },
}

/// Everything planners change, behind one interface so the server, the
/// CLI and the tests do not care which database holds it. Every method is
/// blocking (call it off the async threads) and every write is atomic with
/// its audit entry.
pub trait Store: Send + Sync {
    /// `sqlite FILE` or `postgres HOST/DB` (never a password), for logs.
    fn describe(&self) -> String;
    /// Whether other servers may write to this store too (PostgreSQL), so
    /// a read must check it for their writes.
    fn is_shared(&self) -> bool;
    /// A number that changes whenever anything is written.
    fn generation(&self) -> Result<i64, StoreError>;
    /// Every decision, by id.
    fn decisions(&self) -> Result<Vec<Decision>, StoreError>;
    /// One decision.
    fn decision(&self, id: i64) -> Result<Option<Decision>, StoreError>;
    /// Records a decision; [`StoreError::Exists`] if the area already has
    /// one (change that one instead).
    fn create_decision(&self, who: &str, new: NewDecision) -> Result<Decision, StoreError>;
    /// Changes a decision if it is at the expected version.
    fn update_decision(
        &self,
        who: &str,
        id: i64,
        expect: Expect,
        patch: DecisionPatch,
    ) -> Result<Decision, StoreError>;
    /// Withdraws a decision if it is at the expected version; returns it.
    fn delete_decision(&self, who: &str, id: i64, expect: Expect) -> Result<Decision, StoreError>;
    /// Every stored feed, by id.
    fn feeds(&self) -> Result<Vec<StoredFeed>, StoreError>;
    /// One stored feed.
    fn feed(&self, feed_id: &str) -> Result<Option<StoredFeed>, StoreError>;
    /// Adds a feed; [`StoreError::Exists`] if the id is taken in the store.
    fn create_feed(
        &self,
        who: &str,
        feed_id: &str,
        entry: FeedEntry,
    ) -> Result<StoredFeed, StoreError>;
    /// Replaces a feed's fields if it is at the expected version. A feed
    /// only in the region's file (`file` holds its fields, version 0) is
    /// copied into the store on its first edit.
    fn update_feed(
        &self,
        who: &str,
        feed_id: &str,
        expect: Expect,
        entry: FeedEntry,
        file: Option<&FeedEntry>,
    ) -> Result<StoredFeed, StoreError>;
    /// One saved parameter set.
    fn param_set(&self, name: &str) -> Result<Option<ParamSet>, StoreError>;
    /// Saves a parameter set (creating it when `expect` is `Version(0)` or
    /// `Any`).
    fn set_param_set(
        &self,
        who: &str,
        name: &str,
        expect: Expect,
        query: &str,
    ) -> Result<ParamSet, StoreError>;
    /// Every neighbourhood's published page, by layer and area id.
    fn pages(&self) -> Result<Vec<Page>, StoreError>;
    /// Replaces one list (contacts or priorities) of the page stored for
    /// `layer`/`area_id`, if it is at the expected version (0: none yet,
    /// when the page is created with the other list empty).
    fn set_page(
        &self,
        who: &str,
        layer: &str,
        area_id: &str,
        expect: Expect,
        part: PagePart,
    ) -> Result<Page, StoreError>;
    /// Every boundary release (without files), by id.
    fn releases(&self) -> Result<Vec<Release>, StoreError>;
    /// One release's files (they never change once staged).
    fn release_files(&self, id: i64) -> Result<Vec<ReleaseFile>, StoreError>;
    /// Stores a new release of a layer as staged, numbered after the
    /// layer's highest generation.
    fn stage_release(&self, who: &str, new: NewRelease) -> Result<Release, StoreError>;
    /// Records a planner's successor for `subject` in a staged release, if
    /// the subject's confirmation is at the expected version (0: none yet).
    fn confirm_successor(
        &self,
        who: &str,
        release: i64,
        subject: &str,
        expect: Expect,
        to: Option<String>,
    ) -> Result<Release, StoreError>;
    /// Activates a staged release from `valid_from` (`YYYY-MM-DD`) if it
    /// is at the expected version, recording `migrations` (its confirmed
    /// successors) in the audit log, all in one transaction.
    ///
    /// Whether it may follow the layer's active releases is the domain's
    /// rule, `may_follow`: the store runs it inside the transaction, on the
    /// release and the layer's active releases as they are there, and
    /// refuses the write with [`StoreError::Conflict`] and its reason.
    fn activate_release(
        &self,
        who: &str,
        release: i64,
        expect: Expect,
        valid_from: &str,
        migrations: &[Migration],
        may_follow: &ActivationRule,
    ) -> Result<Release, StoreError>;
    /// Withdraws a staged release (it stays listed, never used).
    fn withdraw_release(
        &self,
        who: &str,
        release: i64,
        expect: Expect,
    ) -> Result<Release, StoreError>;
    /// Every handover, by id.
    fn handovers(&self) -> Result<Vec<Handover>, StoreError>;
    /// Starts handing `new.feed_id` over; `current` is the feed as in
    /// effect now (the file's fields when it was never edited), whose
    /// owner the handover starts from. [`StoreError::Conflict`] when the
    /// feed already has an open handover.
    fn start_handover(
        &self,
        who: &str,
        new: NewHandover,
        current: &FeedEntry,
    ) -> Result<Handover, StoreError>;
    /// Confirms one step of an open handover at the expected version, as
    /// the domain's `rules` say: the handover they make of it is recorded
    /// and, when it is then completed, the feed they make of the current
    /// one is written in the same transaction (a file feed enters the
    /// store from `current`, as [`Store::update_feed`] does); returns the
    /// feed too when it changed.
    fn confirm_handover_step(
        &self,
        who: &str,
        id: i64,
        step: HandoverStep,
        expect: Expect,
        current: &FeedEntry,
        rules: &dyn HandoverRules,
    ) -> Result<(Handover, Option<StoredFeed>), StoreError>;
    /// Cancels an open handover at the expected version.
    fn cancel_handover(&self, who: &str, id: i64, expect: Expect) -> Result<Handover, StoreError>;
    /// Every day of recorded activity, by feed and date.
    fn activity(&self) -> Result<Vec<ActivityDay>, StoreError>;
    /// Records days of activity (a day already recorded for a feed is
    /// replaced), all in one transaction with one audit entry naming
    /// `source` (a file name, or `api`).
    fn record_activity(
        &self,
        who: &str,
        source: &str,
        days: &[ActivityDay],
    ) -> Result<usize, StoreError>;
    /// Everything a server follows (decisions, feeds, the `default`
    /// parameter set) with the generation and last audit `seq` they are
    /// at, read in one consistent snapshot.
    fn snapshot(&self) -> Result<Snapshot, StoreError>;
    /// The audit entries after `after` (a `seq`), oldest first, at most
    /// `limit`, with the generation the store was at when they were read
    /// (one consistent snapshot: when fewer than `limit` come back, the
    /// entries bring a reader at `after` exactly to that generation).
    fn changes(&self, after: i64, limit: usize) -> Result<Changes, StoreError>;
    /// The `seq` of the last audit entry (0 when there is none).
    fn last_seq(&self) -> Result<i64, StoreError>;
    /// Audit entries after `after` (a `seq`), oldest first, at most `limit`.
    fn audit(&self, after: i64, limit: usize) -> Result<Vec<AuditEntry>, StoreError>;
    /// Every webhook with its delivery state, by id.
    fn webhooks(&self) -> Result<Vec<WebhookRow>, StoreError>;
    /// One webhook.
    fn webhook(&self, id: i64) -> Result<Option<WebhookRow>, StoreError>;
    /// One webhook with its signing secret (for a test delivery), `None`
    /// when there is none with that id.
    fn webhook_with_secret(&self, id: i64) -> Result<Option<Claim>, StoreError>;
    /// Registers a webhook, active; its deliveries start after the last
    /// audit entry written before it.
    fn create_webhook(&self, who: &str, new: NewWebhook) -> Result<WebhookRow, StoreError>;
    /// Changes a webhook at the expected version. Resuming it or changing
    /// its URL clears its failures (the next attempt is at once); delivery
    /// goes on from its cursor, so nothing queued while it was paused is
    /// lost.
    fn update_webhook(
        &self,
        who: &str,
        id: i64,
        expect: Expect,
        patch: WebhookPatch,
    ) -> Result<WebhookRow, StoreError>;
    /// Removes a webhook at the expected version; returns it.
    fn delete_webhook(&self, who: &str, id: i64, expect: Expect) -> Result<Webhook, StoreError>;
    /// Takes the delivery lease, for `lease_ms`, of every active webhook
    /// with audit entries after its cursor, whose next attempt is due and
    /// whose lease is free, expired or already `worker`'s; returns them
    /// with their secrets. Several
    /// servers on one store thus never deliver the same hook at once, and
    /// a hook whose server died is taken over when its lease runs out.
    /// Neither audited nor a new generation.
    fn claim_webhooks(&self, worker: &str, lease_ms: i64) -> Result<Claims, StoreError>;
    /// Records an attempt's outcome and renews the lease, if `worker`
    /// still holds it and the hook is still active (`false` otherwise:
    /// nothing is written). A
    /// pause is audited (and is a new generation); the rest is not.
    fn record_delivery(
        &self,
        worker: &str,
        id: i64,
        lease_ms: i64,
        outcome: &Outcome,
    ) -> Result<bool, StoreError>;
    /// Adds 1 to every cell of every tally, all in one transaction; durable when it returns
    /// (a server acknowledges answers only after). Not audited (answers are anonymous) and
    /// not a new generation (counts are followed apart from the snapshot). Cells with the
    /// same key (layer, area, bucket, hold, kind, value) are summed, within the slice and
    /// with what is stored. The hold of a tally is not checked.
    fn record_voice(&self, tallies: &[VoiceTally]) -> Result<(), StoreError>;
    /// Every count, hold and exclusion, read in one consistent snapshot.
    fn voice(&self) -> Result<VoiceRecords, StoreError>;
    /// Holds an area (audited `voice.held`, who = the caller, e.g. "burst detector"; a new
    /// generation): the hold at version 1, with its new id (never 0).
    /// [`StoreError::Conflict`] when the area already has a hold with status Held.
    fn hold_voice(&self, who: &str, new: NewHold) -> Result<VoiceHold, StoreError>;
    /// A planner releases (`release`: held answers count from now on: its rows are moved
    /// to hold 0, summed into the rows there) or excludes (its rows stay under the hold
    /// and never count; and an exclusion window [`since`, `now`) — `now` in unix s — is
    /// recorded for the area so the answers accepted before the hold fired are left out
    /// too, returned as the second value) a Held hold at the expected version.
    /// Audited `voice.released` / `voice.excluded` (an exclusion also
    /// `voice.window_excluded`); a new generation. [`StoreError::NotFound`] for no such
    /// hold, [`StoreError::Conflict`] when it is not Held, [`StoreError::Stale`] when it is
    /// not at the expected version.
    fn decide_voice_hold(
        &self,
        who: &str,
        id: i64,
        expect: Expect,
        release: bool,
        now: i64,
    ) -> Result<(VoiceHold, Option<VoiceExclusion>), StoreError>;
    /// Records an exclusion window (audited `voice.window_excluded`; a new generation).
    fn exclude_voice(&self, who: &str, new: NewExclusion) -> Result<VoiceExclusion, StoreError>;
    /// Removes an exclusion window, restoring its counts (audited `voice.window_restored`;
    /// a new generation); returns it. [`StoreError::NotFound`] for no such window.
    fn restore_voice(&self, who: &str, id: i64) -> Result<VoiceExclusion, StoreError>;
    /// Everything, for backup or moving to another store.
    fn export(&self) -> Result<Dump, StoreError>;
    /// Loads a dump into an empty store, keeping ids and the audit log.
    fn import(&self, dump: &Dump) -> Result<(), StoreError>;
}

/// Where the store is: the command line's `--store` and `--data-dir`.
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    /// `DIR/feedmap.sqlite`.
    Sqlite(std::path::PathBuf),
    /// A `postgres://` connection URL.
    Postgres(String),
}

impl Location {
    /// `--store URL` wins when given (it must be `postgres://…` or
    /// `postgresql://…`; `sqlite:PATH` names a data directory); otherwise
    /// the data directory.
    pub fn from_args(store: Option<&str>, data_dir: &Path) -> Result<Location, StoreError> {
        match store {
            None => Ok(Location::Sqlite(data_dir.to_path_buf())),
            Some(s) if s.starts_with("postgres://") || s.starts_with("postgresql://") => {
                Ok(Location::Postgres(s.to_string()))
            }
            Some(s) if s.starts_with("sqlite:") => Ok(Location::Sqlite(s["sqlite:".len()..].into())),
            Some(s) => Err(StoreError::Backend {
                backend: "config",
                message: format!(
                    "--store {:?} is not a postgres:// URL (omit --store to use the SQLite file in --data-dir)",
                    postgres::redact(s)
                ),
            }),
        }
    }

    /// Opens (creating and migrating as needed) the store.
    pub fn open(&self) -> Result<Arc<dyn Store>, StoreError> {
        Ok(match self {
            Location::Sqlite(dir) => sqlite::open(dir)?,
            Location::Postgres(url) => postgres::open(url)?,
        })
    }
}

/// Now, as the store writes it: RFC 3339 UTC with milliseconds.
pub fn now() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}
