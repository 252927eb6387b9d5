//! The public change feed: what changed in the feeds and the boundaries,
//! read from the store's append-only audit log, in its order.
//!
//! The audit log is written in the same transaction as every change, so
//! the feed misses nothing and never shows a change that did not happen;
//! a client resumes after the last `seq` it saw. Only feeds, boundary
//! activations and neighbourhoods' published contacts and priorities are
//! shown, and only their public fields: no people's names (a contacts
//! change says how many there are now; read them from the neighbourhood's
//! `people`, so a contact taken off is not kept in the public history), no
//! token names, nothing of decisions, parameters or activity.

use crate::decision::DecisionKind;
use feedmap_store::{AuditEntry, Decision, FeedFields, FeedStatus, Release, StoredFeed};
use serde::Serialize;

pub use feedmap_store::EventKind;

/// A feed's public fields, as the change feed shows them.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PublicFeed {
    /// Platform, handle, URL, the area served, name and status.
    #[serde(flatten)]
    pub fields: FeedFields,
    /// The owning team (a unit, not a person).
    pub team: Option<String>,
}

impl PublicFeed {
    fn of(f: &StoredFeed) -> PublicFeed {
        PublicFeed {
            fields: f.entry.fields.clone(),
            team: f.entry.owner.team.clone(),
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
    pub kind: EventKind,
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
    /// The decision, for decision events (webhooks only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionChange>,
    /// A neighbourhood's page after the change, for contacts and
    /// priorities events: what it holds now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<PageChange>,
}

/// A neighbourhood's published page after a change, in counts: the
/// contacts and priorities themselves are read from `/police-api/`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PageChange {
    /// Contacts published now.
    pub people: usize,
    /// Priorities listed now.
    pub priorities: usize,
    /// The page's version after the change.
    pub version: i64,
}

/// A planner's decision as webhooks carry it: what was decided about
/// which suggestion; no note and no names (the note is free text that may
/// name people).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct DecisionChange {
    /// The decision's id.
    pub id: i64,
    /// Accept, reject or defer (for a withdrawal: what it was).
    pub decision: DecisionKind,
    /// A cluster's member area ids (empty for one area).
    pub members: Vec<String>,
    /// Its version after the change (before it, for a withdrawal).
    pub version: i64,
}

impl Change {
    fn new(e: &AuditEntry, kind: EventKind) -> Change {
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
            decision: None,
            page: None,
        }
    }

    /// What planners' webhooks hear of an audit entry: the public changes
    /// ([`Change::of`]) and decisions made, changed or withdrawn.
    pub fn for_planners(e: &AuditEntry) -> Option<Change> {
        if e.entity != "decision" {
            return Change::of(e);
        }
        let (kind, record) = match e.action.as_str() {
            "decision.create" => (EventKind::DecisionMade, &e.after),
            "decision.update" => (EventKind::DecisionChanged, &e.after),
            "decision.delete" => (EventKind::DecisionWithdrawn, &e.before),
            _ => return None,
        };
        let d: Decision = serde_json::from_value(record.clone()?).ok()?;
        Some(Change {
            layer: Some(d.layer),
            area_id: Some(d.area_id),
            decision: Some(DecisionChange {
                id: d.id,
                decision: d.decision,
                members: d.members,
                version: d.meta.version,
            }),
            ..Change::new(e, kind)
        })
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
                    "feed.create" => EventKind::FeedAdded,
                    "feed.retire" => EventKind::FeedRetired,
                    "feed.handover" => EventKind::FeedHandedOver,
                    _ if after.entry.fields.status == FeedStatus::Retired
                        && before
                            .as_ref()
                            .is_some_and(|b| b.entry.fields.status != FeedStatus::Retired) =>
                    {
                        EventKind::FeedRetired
                    }
                    _ => EventKind::FeedChanged,
                };
                let from = before
                    .as_ref()
                    .map(|b| b.entry.fields.area_id.clone())
                    .filter(|a| *a != after.entry.fields.area_id)
                    .flatten();
                Some(Change {
                    feed_id: Some(after.feed_id.clone()),
                    layer: after.entry.fields.layer.clone(),
                    area_id: after.entry.fields.area_id.clone(),
                    from_area_id: from,
                    feed: Some(PublicFeed::of(&after)),
                    ..Change::new(e, kind)
                })
            }
            "page.people" | "page.priorities" => {
                let p: feedmap_store::Page = serde_json::from_value(e.after.clone()?).ok()?;
                let kind = if e.action == "page.people" {
                    EventKind::ContactsChanged
                } else {
                    EventKind::PrioritiesChanged
                };
                Some(Change {
                    layer: Some(p.layer),
                    area_id: Some(p.area_id),
                    page: Some(PageChange {
                        people: p.people.len(),
                        priorities: p.priorities.len(),
                        version: p.meta.version,
                    }),
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
                    ..Change::new(e, EventKind::BoundaryActivated)
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
                    ..Change::new(e, EventKind::FeedMoved)
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
        let kinds: Vec<(i64, EventKind)> = changes.iter().map(|c| (c.seq, c.kind)).collect();
        assert_eq!(
            kinds,
            [
                (1, EventKind::FeedAdded),
                (3, EventKind::FeedChanged),
                (4, EventKind::FeedRetired),
                (5, EventKind::FeedHandedOver)
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
        assert_eq!(c.kind, EventKind::FeedMoved);
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

    #[test]
    fn decisions_reach_planners_only_without_notes() {
        let d = json!({
            "id": 7, "layer": "communities", "area_id": "A+B", "members": ["A", "B"],
            "decision": "accept", "note": "PC Jane Smith agrees", "params": null,
            "created_by": "planner-a", "created_at": "2026-11-26T00:00:00Z",
            "updated_by": "planner-a", "updated_at": "2026-11-26T00:00:00Z", "version": 1
        });
        let made = entry(1, "decision.create", "7", None, Some(d.clone()));
        let gone = entry(2, "decision.delete", "7", Some(d), None);
        assert_eq!(Change::of(&made), None, "never public");
        let c = Change::for_planners(&made).unwrap();
        assert_eq!(c.kind, EventKind::DecisionMade);
        assert_eq!(c.decision.as_ref().unwrap().members, ["A", "B"]);
        assert_eq!(
            Change::for_planners(&gone).unwrap().kind,
            EventKind::DecisionWithdrawn
        );
        let text = serde_json::to_string(&c).unwrap();
        for private in ["Jane", "planner-a", "note"] {
            assert!(!text.contains(private), "{private} in {text}");
        }
        assert!(EventKind::ALL.iter().filter(|k| !k.is_public()).count() == 3);
    }
}
