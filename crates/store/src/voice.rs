//! Residents' answers to the public question, as stored: counts only.
//!
//! Nothing personal is kept. An answer becomes a handful of counted keys
//! ([`VoiceCell`]) in the finest area its point fell in and a time bucket;
//! the store adds 1 to each ([`crate::Store::record_voice`]), in one
//! transaction for a whole batch of answers, without an audit entry or a
//! new generation (answers are anonymous and many). What makes an answer
//! valid, what is counted and what may be shown are the domain's rules.
//!
//! A burst of answers in one area is *held* for review ([`VoiceHold`]): the
//! answers that follow are counted under the hold and count for nothing
//! until a planner releases them. A planner can also leave a window of an
//! area's answers out ([`VoiceExclusion`]). Holds and exclusions are
//! planners' (and the burst detector's) changes: audited under the entity
//! `voice`, each a new generation.

use serde::{Deserialize, Serialize};

/// The audit log's entity for holds and exclusions.
pub const VOICE_ENTITY: &str = "voice";

/// What a count counts.
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
#[serde(rename_all = "snake_case")]
pub enum VoiceKind {
    /// Answers given (one per answer, value "").
    Answers,
    /// A place name residents gave (value: the normalised name).
    Name,
    /// Whether they would follow a local feed (value: `yes`, `no` or
    /// `not_sure`).
    Follow,
    /// A platform they would follow on (value: the platform id).
    Platform,
    /// A choice of one of the force's extra questions (value:
    /// `question_id/choice_id`).
    Choice,
}

impl VoiceKind {
    /// Every kind, in order.
    pub const ALL: [VoiceKind; 5] = [
        VoiceKind::Answers,
        VoiceKind::Name,
        VoiceKind::Follow,
        VoiceKind::Platform,
        VoiceKind::Choice,
    ];

    /// The word stored (and answered): `answers`, `name`, `follow`,
    /// `platform` or `choice`.
    pub fn as_str(self) -> &'static str {
        match self {
            VoiceKind::Answers => "answers",
            VoiceKind::Name => "name",
            VoiceKind::Follow => "follow",
            VoiceKind::Platform => "platform",
            VoiceKind::Choice => "choice",
        }
    }

    /// Reads the stored word; `None` for any other.
    pub fn parse(s: &str) -> Option<VoiceKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One counted key of an answer: `Answers` has value "", `Name` the
/// normalised name, `Follow` "yes"|"no"|"not_sure", `Platform` the platform id,
/// `Choice` "question_id/choice_id".
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VoiceCell {
    /// What it counts.
    pub kind: VoiceKind,
    /// Which one of that kind (see the type's description).
    pub value: String,
}

/// The cells one answer adds 1 to, in one area and time bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct VoiceTally {
    /// The layer of the area (the finest layer the answer's point fell in).
    pub layer: String,
    /// The area's id in that layer.
    pub area_id: String,
    /// Start of the time bucket, unix seconds (a multiple of the bucket length).
    pub bucket: i64,
    /// The open hold it is counted under (0: none — counted normally).
    pub hold: i64,
    /// The cells, each counted once (a cell given twice counts twice).
    pub cells: Vec<VoiceCell>,
}

/// A stored count (rows are summed per key: layer, area, bucket, hold,
/// kind and value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceCount {
    /// Layer of the area.
    pub layer: String,
    /// Area id.
    pub area_id: String,
    /// Start of the time bucket, unix seconds.
    pub bucket: i64,
    /// The hold the answers were counted under (0: none).
    pub hold: i64,
    /// What it counts.
    pub kind: VoiceKind,
    /// Which one of that kind.
    pub value: String,
    /// How many answers (at least 1).
    pub n: i64,
}

/// Where a hold is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HoldStatus {
    /// Waiting for a planner: the area's answers are counted under it and
    /// count for nothing yet.
    Held,
    /// A planner let its answers count (its counts moved to hold 0).
    Released,
    /// A planner left its answers out for good (and the answers of the
    /// burst before it fired).
    Excluded,
}

impl HoldStatus {
    /// The word stored and answered: `held`, `released` or `excluded`.
    pub fn as_str(self) -> &'static str {
        match self {
            HoldStatus::Held => "held",
            HoldStatus::Released => "released",
            HoldStatus::Excluded => "excluded",
        }
    }

    /// Reads the stored word; `None` for any other.
    pub fn parse(s: &str) -> Option<HoldStatus> {
        [HoldStatus::Held, HoldStatus::Released, HoldStatus::Excluded]
            .into_iter()
            .find(|h| h.as_str() == s)
    }
}

/// An area held for review by the burst detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VoiceHold {
    /// Store-assigned id (never 0: 0 means "no hold" in a count).
    pub id: i64,
    /// Layer of the area.
    pub layer: String,
    /// Area id.
    pub area_id: String,
    /// Start of the detector's window (unix s): the burst's first attempt counted.
    pub since: i64,
    /// When it was held (unix s).
    pub detected: i64,
    /// Attempts in the window when it fired.
    pub attempts: i64,
    /// The area's usual attempts per window (finite; stored exactly).
    pub usual: f64,
    /// Held, released or excluded.
    pub status: HoldStatus,
    /// When a planner released or excluded it (RFC 3339), none while held.
    pub decided_at: Option<String>,
    /// 1 when held, bumped by the decision; the ETag.
    pub version: i64,
}

/// A hold to record (the burst detector's findings).
#[derive(Debug, Clone, PartialEq)]
pub struct NewHold {
    /// Layer of the area.
    pub layer: String,
    /// Area id.
    pub area_id: String,
    /// Start of the detector's window (unix s).
    pub since: i64,
    /// When it fired (unix s).
    pub detected: i64,
    /// Attempts in the window when it fired.
    pub attempts: i64,
    /// The area's usual attempts per window; a value that is not finite
    /// is stored as 0.
    pub usual: f64,
}

/// A window of an area's answers a planner left out (both ends unix s, `from` inclusive, `to` exclusive;
/// a bucket counts as excluded when it starts inside the window).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VoiceExclusion {
    /// Store-assigned id.
    pub id: i64,
    /// Layer of the area.
    pub layer: String,
    /// Area id.
    pub area_id: String,
    /// Start of the window, unix s (inclusive).
    pub from: i64,
    /// End of the window, unix s (exclusive).
    pub to: i64,
    /// Why, in words (plain text).
    pub reason: String,
    /// When it was recorded (RFC 3339).
    pub at: String,
}

/// An exclusion window to record (checked by the caller: `from < to`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewExclusion {
    /// Layer of the area.
    pub layer: String,
    /// Area id.
    pub area_id: String,
    /// Start of the window, unix s (inclusive).
    pub from: i64,
    /// End of the window, unix s (exclusive).
    pub to: i64,
    /// Why, in words.
    pub reason: String,
}

/// Everything voice, read in one consistent snapshot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VoiceRecords {
    /// Every count, by layer, area, bucket, hold, kind and value.
    pub counts: Vec<VoiceCount>,
    /// Every hold, by id.
    pub holds: Vec<VoiceHold>,
    /// Every exclusion window, by id.
    pub exclusions: Vec<VoiceExclusion>,
}

impl VoiceHold {
    /// The audit log's `entity_id` for a hold: `hold:ID`.
    pub fn key(id: i64) -> String {
        format!("hold:{id}")
    }
}

impl VoiceExclusion {
    /// The audit log's `entity_id` for an exclusion window: `exclusion:ID`.
    pub fn key(id: i64) -> String {
        format!("exclusion:{id}")
    }
}
