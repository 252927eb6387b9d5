//! A feed as the store keeps it: the one definition of a feed's fields.
//!
//! [`FeedFields`] are what anyone may see of a feed; the domain's feed,
//! the change feed and the API's request bodies all carry them flattened,
//! so a new field is added here (and read from the feed file where the
//! file has a column for it), and nowhere else. [`FeedEntry`] adds who
//! holds the account; [`StoredFeed`] is the entry as recorded, with its
//! [`Meta`].
//!
//! The store keeps an entry as one JSON record (schema migration 5), so a
//! new field with a default needs no migration; one whose old records need
//! a value other than the default gets one that writes it.

use crate::Meta;
use serde::{Deserialize, Serialize};

/// Whether a feed is live.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum FeedStatus {
    /// Running: returned by lookups.
    Active,
    /// Proposed or being set up: listed, never returned by lookups (a new
    /// feed's status unless given).
    #[default]
    Planned,
    /// No longer run: kept for the record, never returned by lookups.
    Retired,
}

impl FeedStatus {
    /// Every status, in the order files and answers list them.
    pub const ALL: [FeedStatus; 3] = [FeedStatus::Active, FeedStatus::Planned, FeedStatus::Retired];

    /// The word used in files and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedStatus::Active => "active",
            FeedStatus::Planned => "planned",
            FeedStatus::Retired => "retired",
        }
    }

    /// Reads the word.
    pub fn parse(word: &str) -> Option<FeedStatus> {
        FeedStatus::ALL.into_iter().find(|s| s.as_str() == word)
    }
}

/// What anyone may see of a feed: the fields of the feed file's row, of a
/// feed as answered, of a change in the change feed and of the body that
/// adds one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FeedFields {
    /// Platform word: `x`, `facebook`, `instagram`, `nextdoor`, `whatsapp`
    /// or any other lowercase word.
    pub platform: String,
    /// Account handle, e.g. `@GMPTrafford`.
    pub handle: String,
    /// Public URL of the feed.
    pub url: String,
    /// Layer id of the area served; none for a force-wide feed.
    pub layer: Option<String>,
    /// Area id served; none for a force-wide feed.
    pub area_id: Option<String>,
    /// Display name (a new feed's default: its handle).
    #[serde(default)]
    pub name: String,
    /// `active`, `planned` or `retired` (a new feed's default: `planned`).
    #[serde(default)]
    pub status: FeedStatus,
}

/// A feed's fields and who holds it: what a change to a feed replaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FeedEntry {
    /// The public fields.
    #[serde(flatten)]
    pub fields: FeedFields,
    /// Who holds the account (absent in records written before owners
    /// were kept: no owner).
    #[serde(default)]
    pub owner: Ownership,
}

/// A feed added or edited through the API. A stored feed with the id of a
/// feed in the region's feed file replaces that row. Its metadata's
/// creator is who added it (or first edited a file feed); a file feed
/// never edited is version 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StoredFeed {
    /// Feed id.
    pub feed_id: String,
    /// The fields and owner.
    #[serde(flatten)]
    pub entry: FeedEntry,
    /// Who and when, and the version.
    #[serde(flatten)]
    pub meta: Meta,
}

/// Whether the platform has verified an account as the force's.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Verification {
    /// Not verified (or not known to be).
    #[default]
    Unverified,
    /// Applied for, not yet granted.
    Pending,
    /// The platform shows it as verified.
    Verified,
}

impl Verification {
    /// The lowercase word used in files and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            Verification::Unverified => "unverified",
            Verification::Pending => "pending",
            Verification::Verified => "verified",
        }
    }

    /// Reads the word (empty: unverified).
    pub fn parse(s: &str) -> Option<Verification> {
        match s {
            "" | "unverified" => Some(Verification::Unverified),
            "pending" => Some(Verification::Pending),
            "verified" => Some(Verification::Verified),
            _ => None,
        }
    }
}

/// Who holds a feed. Corporate communications owns every account; an
/// owning *team* (a unit or role, never a person) runs it through named
/// administrators. The administrators' names are personal data: answers
/// carry them only to a caller with a token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct Ownership {
    /// The owning team, e.g. `Sale Neighbourhood Team`.
    pub team: Option<String>,
    /// The people who can sign in, by name.
    pub administrators: Vec<String>,
    /// Where the credentials are held, e.g. the force's social media
    /// management platform.
    pub credentials: Option<String>,
    /// The platform's verification state.
    pub verification: Verification,
    /// When that state was last seen (`YYYY-MM-DD`).
    pub verified_on: Option<String>,
    /// When a planner last checked the account (`YYYY-MM-DD`).
    pub checked_on: Option<String>,
    /// Since when the feed has had its status (`YYYY-MM-DD`), where known.
    pub status_since: Option<String>,
}
