//! The public change feed: what changed in the feeds and the boundaries,
//! read from the store's append-only audit log, in its order.
//!
//! The audit log is written in the same transaction as every change, so
//! the feed misses nothing and never shows a change that did not happen;
//! a client resumes after the last `seq` it saw. Only feeds and boundary
//! activations are shown, and only their public fields: no people's names,
//! no token names, nothing of decisions, parameters or activity.

use crate::store::{AuditEntry, Release, StoredFeed};
use serde::Serialize;

/// What kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub enum ChangeKind {
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
}

/// A feed's public fields.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PublicFeed {
    /// Platform word.
    pub platform: String,
    /// Handle.
    pub handle: String,
    /// Public URL.
    pub url: String,
    /// Layer of the area served (none: force-wide).
    pub layer: Option<String>,
    /// Area served (none: force-wide).
    pub area_id: Option<String>,
    /// Display name.
    pub name: String,
    /// `active`, `planned` or `retired`.
    pub status: String,
    /// The owning team (a unit, not a person).
    pub team: Option<String>,
}

impl PublicFeed {
    fn of(f: &StoredFeed) -> PublicFeed {
        PublicFeed {
            platform: f.fields.platform.clone(),
            handle: f.fields.handle.clone(),
            url: f.fields.url.clone(),
            layer: f.fields.layer.clone(),
            area_id: f.fields.area_id.clone(),
            name: f.fields.name.clone(),
            status: f.fields.status.clone(),
            team: f.fields.owner.team.clone(),
        }
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Change {
    /// Its place in the audit log: resume after the last one seen.
    pub seq: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// What happened.
    pub kind: ChangeKind,
    /// The feed, for feed changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feed_id: Option<String>,
    /// The layer concerned: the feed's (after the change) or the
    /// release's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// The area the feed serves after the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area_id: Option<String>,
    /// The area it served before, when that changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_area_id: Option<String>,
    /// The feed's public fields after the change (none for a move).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feed: Option<PublicFeed>,
    /// The boundary release, for a release's activation and the moves it
    /// makes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<i64>,
    /// The generation it brings in (activations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    /// From when it is in effect (`YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
}

impl Change {
    fn new(e: &AuditEntry, kind: ChangeKind) -> Change {
        Change {
            seq: e.seq,
            at: e.at.clone(),
            kind,
            feed_id: None,
            layer: None,
            area_id: None,
            from_area_id: None,
            feed: None,
            release: None,
            generation: None,
            valid_from: None,
        }
    }

    /// The public change an audit entry records, if it is one: feed
    /// changes and boundary activations; `None` for everything else
    /// (decisions, parameters, activity, staging, handovers under way) and
    /// for a record this version cannot read.
    pub fn of(e: &AuditEntry) -> Option<Change> {
        let record = |v: &Option<serde_json::Value>| -> Option<StoredFeed> {
            serde_json::from_value(v.clone()?).ok()
        };
        match e.action.as_str() {
            "feed.create" | "feed.update" | "feed.retire" | "feed.handover" => {
                let after = record(&e.after)?;
                let before = record(&e.before);
                let kind = match e.action.as_str() {
                    "feed.create" => ChangeKind::FeedAdded,
                    "feed.retire" => ChangeKind::FeedRetired,
                    "feed.handover" => ChangeKind::FeedHandedOver,
                    _ if after.fields.status == "retired"
                        && before
                            .as_ref()
                            .is_some_and(|b| b.fields.status != "retired") =>
                    {
                        ChangeKind::FeedRetired
                    }
                    _ => ChangeKind::FeedChanged,
                };
                let from = before
                    .as_ref()
                    .map(|b| b.fields.area_id.clone())
                    .filter(|a| *a != after.fields.area_id)
                    .flatten();
                Some(Change {
                    feed_id: Some(after.feed_id.clone()),
                    layer: after.fields.layer.clone(),
                    area_id: after.fields.area_id.clone(),
                    from_area_id: from,
                    feed: Some(PublicFeed::of(&after)),
                    ..Change::new(e, kind)
                })
            }
            "release.activate" => {
                let r: Release = serde_json::from_value(e.after.clone()?).ok()?;
                Some(Change {
                    layer: Some(r.layer),
                    release: Some(r.id),
                    generation: Some(r.generation),
                    valid_from: r.valid_from,
                    ..Change::new(e, ChangeKind::BoundaryActivated)
                })
            }
            "release.migrate" => {
                let feed = e.entity_id.strip_prefix("feed:")?;
                let text = |v: &Option<serde_json::Value>, k: &str| {
                    v.as_ref()?.get(k)?.as_str().map(str::to_string)
                };
                Some(Change {
                    feed_id: Some(feed.to_string()),
                    layer: text(&e.after, "layer"),
                    area_id: text(&e.after, "area"),
                    from_area_id: text(&e.before, "area"),
                    release: e.after.as_ref()?.get("release")?.as_i64(),
                    valid_from: text(&e.after, "valid_from"),
                    ..Change::new(e, ChangeKind::FeedMoved)
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn public(entries: &[AuditEntry]) -> Vec<Change> {
        entries.iter().filter_map(Change::of).collect()
    }

    fn entry(
        seq: i64,
        action: &str,
        id: &str,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> AuditEntry {
        AuditEntry {
            seq,
            at: "2026-11-26T00:00:00Z".into(),
            who: "planner-a".into(),
            action: action.into(),
            entity: action.split('.').next().unwrap().into(),
            entity_id: id.into(),
            before,
            after,
        }
    }

    fn feed(area: &str, status: &str) -> serde_json::Value {
        json!({
            "feed_id": "F1",
            "platform": "x", "handle": "@f1", "url": "https://x.example/f1",
            "layer": "wards", "area_id": area, "name": "F1", "status": status,
            "owner": { "team": "Comms", "administrators": ["PC Jane Smith"], "verification": "verified" },
            "created_by": "planner-a", "created_at": "2026-11-26T00:00:00Z",
            "updated_by": "planner-b", "updated_at": "2026-11-26T00:00:00Z", "version": 1
        })
    }

    #[test]
    fn feed_changes_are_public_and_nameless() {
        let entries = [
            entry(1, "feed.create", "F1", None, Some(feed("W1", "planned"))),
            entry(2, "decision.create", "7", None, Some(json!({}))),
            entry(
                3,
                "feed.update",
                "F1",
                Some(feed("W1", "planned")),
                Some(feed("W2", "active")),
            ),
            entry(
                4,
                "feed.update",
                "F1",
                Some(feed("W2", "active")),
                Some(feed("W2", "retired")),
            ),
            entry(
                5,
                "feed.handover",
                "F1",
                Some(feed("W2", "active")),
                Some(feed("W2", "active")),
            ),
            entry(6, "params.set", "default", None, Some(json!({}))),
        ];
        let changes = public(&entries);
        let kinds: Vec<(i64, ChangeKind)> = changes.iter().map(|c| (c.seq, c.kind)).collect();
        assert_eq!(
            kinds,
            [
                (1, ChangeKind::FeedAdded),
                (3, ChangeKind::FeedChanged),
                (4, ChangeKind::FeedRetired),
                (5, ChangeKind::FeedHandedOver)
            ]
        );
        assert_eq!(changes[1].from_area_id.as_deref(), Some("W1"));
        assert_eq!(changes[1].area_id.as_deref(), Some("W2"));
        assert_eq!(changes[2].from_area_id, None);
        let text = serde_json::to_string(&changes).unwrap();
        for private in ["Jane", "planner-a", "planner-b", "administrators"] {
            assert!(!text.contains(private), "{private} in {text}");
        }
        assert!(text.contains("\"team\":\"Comms\""));
    }

    #[test]
    fn moves_and_activations_are_shown_staging_is_not() {
        let entries = [
            entry(1, "release.stage", "3", None, Some(json!({}))),
            entry(
                2,
                "release.migrate",
                "feed:F1",
                Some(json!({ "layer": "wards", "area": "W1", "generation": 1 })),
                Some(
                    json!({ "layer": "wards", "area": "W9", "generation": 2, "release": 3, "valid_from": "2026-12-01" }),
                ),
            ),
            entry(
                3,
                "release.migrate",
                "decision:4",
                Some(json!({})),
                Some(json!({})),
            ),
        ];
        let changes = public(&entries);
        assert_eq!(changes.len(), 1);
        let c = &changes[0];
        assert_eq!(c.kind, ChangeKind::FeedMoved);
        assert_eq!(
            (
                c.feed_id.as_deref(),
                c.from_area_id.as_deref(),
                c.area_id.as_deref(),
                c.release
            ),
            (Some("F1"), Some("W1"), Some("W9"), Some(3))
        );
    }
}
