//! Webhooks as stored: what planners registered (the record, versioned
//! and audited like every planner change), its secret (never answered
//! after creation) and where its deliveries are (the cursor into the
//! audit log, failures, the next attempt, a lease), which the delivery
//! task updates without touching the audit log or the store generation.
//!
//! The outbox *is* the audit log: every change is written there in its own
//! transaction, so a hook's deliveries are the audit entries after its
//! cursor, in order, and survive any restart.

use crate::Meta;
use serde::{Deserialize, Serialize};

/// What kind of change an audit entry is, as the change feed and webhooks
/// name it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub enum EventKind {
    /// A feed was added (active or planned).
    #[serde(rename = "feed.added")]
    FeedAdded,
    /// A feed's fields changed (platform, handle, URL, name, area, status).
    #[serde(rename = "feed.changed")]
    FeedChanged,
    /// A feed was retired.
    #[serde(rename = "feed.retired")]
    FeedRetired,
    /// A feed was handed over to another team.
    #[serde(rename = "feed.handed_over")]
    FeedHandedOver,
    /// A boundary release moved a feed to its successor area.
    #[serde(rename = "feed.moved")]
    FeedMoved,
    /// A boundary release was activated (in effect now or from a date).
    #[serde(rename = "boundary.activated")]
    BoundaryActivated,
    /// A planner decided on a suggestion (webhooks only, never in the
    /// public change feed).
    #[serde(rename = "decision.made")]
    DecisionMade,
    /// A planner changed a decision (webhooks only).
    #[serde(rename = "decision.changed")]
    DecisionChanged,
    /// A planner withdrew a decision (webhooks only).
    #[serde(rename = "decision.withdrawn")]
    DecisionWithdrawn,
    /// A neighbourhood's published contacts were set.
    #[serde(rename = "neighbourhood.contacts_changed")]
    ContactsChanged,
    /// A neighbourhood's priorities were set.
    #[serde(rename = "neighbourhood.priorities_changed")]
    PrioritiesChanged,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 11] = [
        EventKind::FeedAdded,
        EventKind::FeedChanged,
        EventKind::FeedRetired,
        EventKind::FeedHandedOver,
        EventKind::FeedMoved,
        EventKind::BoundaryActivated,
        EventKind::DecisionMade,
        EventKind::DecisionChanged,
        EventKind::DecisionWithdrawn,
        EventKind::ContactsChanged,
        EventKind::PrioritiesChanged,
    ];

    /// The word in answers, bodies and headers.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::FeedAdded => "feed.added",
            EventKind::FeedChanged => "feed.changed",
            EventKind::FeedRetired => "feed.retired",
            EventKind::FeedHandedOver => "feed.handed_over",
            EventKind::FeedMoved => "feed.moved",
            EventKind::BoundaryActivated => "boundary.activated",
            EventKind::DecisionMade => "decision.made",
            EventKind::DecisionChanged => "decision.changed",
            EventKind::DecisionWithdrawn => "decision.withdrawn",
            EventKind::ContactsChanged => "neighbourhood.contacts_changed",
            EventKind::PrioritiesChanged => "neighbourhood.priorities_changed",
        }
    }

    /// Whether the public change feed shows it (decisions are planners'
    /// business: webhooks only).
    pub fn is_public(self) -> bool {
        !matches!(
            self,
            EventKind::DecisionMade | EventKind::DecisionChanged | EventKind::DecisionWithdrawn
        )
    }
}

/// An area a webhook is about: a layer and an area id in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AreaKey {
    /// Layer id.
    pub layer: String,
    /// Area id.
    pub id: String,
}

/// Whether a webhook's deliveries run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebhookStatus {
    /// Delivering.
    Active,
    /// Stopped, by a planner or after too many failures in a row; events
    /// keep queueing (the cursor stays) and are delivered on resuming.
    Paused,
}

impl WebhookStatus {
    /// The word stored and answered.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookStatus::Active => "active",
            WebhookStatus::Paused => "paused",
        }
    }
}

/// A registered webhook (without its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Webhook {
    /// Store-assigned id.
    pub id: i64,
    /// Where deliveries are POSTed (`http://` or `https://`).
    pub url: String,
    /// The kinds of event wanted (empty: every kind).
    pub events: Vec<EventKind>,
    /// The areas wanted (empty: everywhere). An event is about an area when
    /// it names it, or names an area that lies (partly) inside it — a
    /// neighbourhood's hook hears about the communities within it.
    pub areas: Vec<AreaKey>,
    /// What it is for, in words.
    pub description: String,
    /// Active or paused.
    pub status: WebhookStatus,
    /// Why it is paused (a planner's pause, or the failures that paused it).
    pub paused_reason: Option<String>,
    /// Who and when, and the version.
    #[serde(flatten)]
    pub meta: Meta,
}

/// Where a webhook's deliveries are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeliveryState {
    /// Every audit entry up to this `seq` has been delivered or was not
    /// wanted; the next delivery is the first wanted event after it.
    pub after_seq: i64,
    /// Events delivered so far.
    pub delivered: i64,
    /// Failed attempts in a row at the event after `after_seq`.
    pub failures: i64,
    /// When the next attempt is due (RFC 3339), after a failure.
    pub next_attempt_at: Option<String>,
    /// When the last attempt was made.
    pub last_attempt_at: Option<String>,
    /// The receiver's HTTP status on the last attempt (none: no answer).
    pub last_status: Option<i64>,
    /// What went wrong on the last failed attempt.
    pub last_error: Option<String>,
}

/// A webhook with its delivery state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookRow {
    /// The registration.
    pub hook: Webhook,
    /// Its deliveries.
    pub delivery: DeliveryState,
}

/// A webhook to register (checked by the caller).
#[derive(Debug, Clone, PartialEq)]
pub struct NewWebhook {
    /// Receiver URL.
    pub url: String,
    /// Event kinds (empty: all).
    pub events: Vec<EventKind>,
    /// Areas (empty: all).
    pub areas: Vec<AreaKey>,
    /// Description.
    pub description: String,
    /// The signing secret.
    pub secret: String,
}

/// A change to a webhook: fields left `None` keep their value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebhookPatch {
    /// A new URL.
    pub url: Option<String>,
    /// New event kinds.
    pub events: Option<Vec<EventKind>>,
    /// New areas.
    pub areas: Option<Vec<AreaKey>>,
    /// A new description.
    pub description: Option<String>,
    /// Pause (`Paused`, with the reason) or resume (`Active`: failures are
    /// cleared and delivery goes on from where it stopped).
    pub status: Option<(WebhookStatus, Option<String>)>,
    /// A new secret.
    pub secret: Option<String>,
}

/// A webhook the delivery task holds the lease on, with what it needs to
/// deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// The registration and delivery state.
    pub row: WebhookRow,
    /// The signing secret.
    pub secret: String,
}

/// What [`Store::claim_webhooks`](super::Store::claim_webhooks) took.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Claims {
    /// The hooks now leased to the caller, by id.
    pub claims: Vec<Claim>,
    /// When the earliest active hook not yet due falls due (Unix ms).
    pub next_due_ms: Option<i64>,
}

/// What a delivery attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The event at `seq` was delivered (2xx).
    Delivered {
        /// Its audit `seq`.
        seq: i64,
        /// The receiver's status.
        status: i64,
    },
    /// Nothing wanted up to `seq`: the cursor moves past it.
    Passed {
        /// The last audit `seq` read.
        seq: i64,
    },
    /// The attempt failed; try again at `retry_at_ms` (Unix ms), or pause
    /// the hook when `pause` says why.
    Failed {
        /// The receiver's status, if it answered.
        status: Option<i64>,
        /// What went wrong.
        error: String,
        /// When to try again (Unix ms).
        retry_at_ms: i64,
        /// Pause the hook, for this reason.
        pause: Option<String>,
    },
}

/// A webhook as a dump holds it: with its secret and delivery state, so a
/// restored store delivers from where it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DumpedWebhook {
    /// The registration.
    pub hook: Webhook,
    /// The signing secret.
    pub secret: String,
    /// Its deliveries.
    pub delivery: DeliveryState,
}

/// Now in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Unix milliseconds as RFC 3339 (UTC, milliseconds).
pub fn rfc3339_ms(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_millis(t).to_string()
}

/// RFC 3339 back to Unix milliseconds (the inverse of [`rfc3339_ms`]).
pub fn ms_of_rfc3339(at: &str) -> Option<i64> {
    humantime::parse_rfc3339(at)
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_millis() as i64)
}
