//! The metadata every record planners change carries.

use serde::{Deserialize, Serialize};

/// Who made a record and who changed it last, when, and its version: one
/// type for decisions, feeds, handovers, releases and webhooks. Each
/// record flattens it, so answers, dumps and the audit log show the five
/// fields beside the record's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Meta {
    /// Token name that made it (staged a release, started a handover,
    /// registered a webhook, added a feed or first edited a file feed).
    pub created_by: String,
    /// When (RFC 3339, UTC).
    pub created_at: String,
    /// Token name of the last change.
    pub updated_by: String,
    /// When of the last change (RFC 3339, UTC).
    pub updated_at: String,
    /// Bumped by every change; the ETag.
    pub version: i64,
}

impl Meta {
    /// A new record's: made and last changed by `who` at `at`, version 1.
    pub fn new(who: &str, at: &str) -> Meta {
        Meta {
            created_by: who.into(),
            created_at: at.into(),
            updated_by: who.into(),
            updated_at: at.into(),
            version: 1,
        }
    }

    /// After one more change, by `who` at `at`: the next version.
    pub fn changed(&self, who: &str, at: &str) -> Meta {
        Meta {
            updated_by: who.into(),
            updated_at: at.into(),
            version: self.version + 1,
            ..self.clone()
        }
    }
}
