//! The store as one JSON document: `feedmap export` writes it, `feedmap
//! import` reads it, for backups and for moving from SQLite to PostgreSQL.

use super::{
    ActivityDay, AuditEntry, Decision, DumpedWebhook, Handover, Page, ParamSet, Release,
    ReleaseFile, StoreError, StoredFeed, VoiceCount, VoiceExclusion, VoiceHold,
};
use serde::{Deserialize, Serialize};

/// The `format` every dump carries, so a wrong file is refused by name.
pub const FORMAT: &str = "feedmap-store";
/// The dump layout version (2 added boundary releases, 3 feed owners,
/// handovers and activity, 4 webhooks, 5 neighbourhoods' published
/// pages, 6 residents' answers to the question — counts, holds and
/// exclusion windows; 1 to 5 are still read, with no answers).
pub const VERSION: u32 = 6;

/// Everything in a store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dump {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`] for now.
    pub version: u32,
    /// When it was written.
    pub exported_at: String,
    /// The store's generation when exported.
    pub generation: i64,
    /// Every decision.
    pub decisions: Vec<Decision>,
    /// Every stored feed.
    pub feeds: Vec<StoredFeed>,
    /// Every saved parameter set.
    pub param_sets: Vec<ParamSet>,
    /// The whole audit log.
    pub audit: Vec<AuditEntry>,
    /// Every boundary release with its files.
    #[serde(default)]
    pub releases: Vec<DumpedRelease>,
    /// Every handover.
    #[serde(default)]
    pub handovers: Vec<Handover>,
    /// Every day of recorded activity.
    #[serde(default)]
    pub activity: Vec<ActivityDay>,
    /// Every webhook, with its secret and delivery state.
    #[serde(default)]
    pub webhooks: Vec<DumpedWebhook>,
    /// Every neighbourhood's published contacts and priorities.
    #[serde(default)]
    pub pages: Vec<Page>,
    /// Every count of residents' answers (no personal data: counts per
    /// area and time bucket).
    #[serde(default)]
    pub voice_counts: Vec<VoiceCount>,
    /// Every hold of an area's answers, with its id.
    #[serde(default)]
    pub voice_holds: Vec<VoiceHold>,
    /// Every window of answers left out, with its id.
    #[serde(default)]
    pub voice_exclusions: Vec<VoiceExclusion>,
}

/// A release and its files, as a dump holds them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DumpedRelease {
    /// The release.
    pub release: Release,
    /// Its files.
    pub files: Vec<ReleaseFile>,
}

impl Dump {
    /// Refuses a document that is not a dump this program can read.
    pub fn check(&self) -> Result<(), StoreError> {
        if self.format != FORMAT || !(1..=VERSION).contains(&self.version) {
            return Err(StoreError::Backend {
                backend: "import",
                message: format!(
                    "not a feedmap store dump this version reads (format {:?} version {}; expected {FORMAT:?} version {VERSION})",
                    self.format, self.version
                ),
            });
        }
        Ok(())
    }
}
