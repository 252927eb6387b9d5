//! The store test suite, run against both implementations: the embedded
//! SQLite file and a real PostgreSQL (`$FEEDMAP_TEST_POSTGRES`; `.ci/run`
//! starts one). Each test gets a fresh store.

use crate::common;

use feedmap::decision::DecisionKind;
use feedmap::store::{
    DecisionPatch, Expect, FeedEntry, FeedFields, FeedStatus, Location, NewDecision, Store,
    StoreError,
};
use std::sync::Arc;

/// Text shaped like SQL injection and other awkward input, which must come
/// back byte for byte.
const NASTY: &[&str] = &[
    "'; DROP TABLE decisions; --",
    "Robert'); DELETE FROM audit WHERE ('1'='1",
    "\" OR 1=1 --",
    "$1 $$ \\x00 %s {} ?",
    "Ynys Môn — «village» 🚓\ttab\nnewline",
];

fn new(layer: &str, area: &str, k: DecisionKind) -> NewDecision {
    NewDecision {
        layer: layer.into(),
        area_id: area.into(),
        members: Vec::new(),
        decision: k,
        note: String::new(),
        name: None,
        params: None,
    }
}

fn fields(handle: &str, status: &str) -> FeedEntry {
    FeedEntry {
        fields: FeedFields {
            platform: "x".into(),
            handle: handle.into(),
            url: format!("https://x.example/{handle}"),
            layer: Some("communities".into()),
            area_id: Some("C1".into()),
            name: handle.into(),
            status: FeedStatus::parse(status).expect("a status word"),
        },
        owner: Default::default(),
    }
}

fn decisions_round_trip(s: &dyn Store) {
    let g0 = s.generation().unwrap();
    let d = s
        .create_decision(
            "planner-a",
            NewDecision {
                note: "village".into(),
                params: Some("min_population=4000".into()),
                ..new("communities", "C1", DecisionKind::Accept)
            },
        )
        .unwrap();
    assert_eq!(
        (d.meta.version, d.meta.created_by.as_str()),
        (1, "planner-a")
    );
    assert_eq!(
        s.generation().unwrap(),
        g0 + 1,
        "a write moves the generation"
    );
    assert_eq!(s.decision(d.id).unwrap().unwrap(), d);
    assert_eq!(s.generation().unwrap(), g0 + 1, "reads do not");
    match s.create_decision("planner-b", new("communities", "C1", DecisionKind::Reject)) {
        Err(StoreError::Exists { existing, .. }) => assert_eq!(existing, Some(d.id)),
        other => panic!("a second decision on one area must be refused: {other:?}"),
    }
    let patch = DecisionPatch {
        decision: Some(DecisionKind::Defer),
        note: None,
        name: None,
    };
    let d2 = s
        .update_decision("planner-b", d.id, Expect::Version(1), patch.clone())
        .unwrap();
    assert_eq!(
        (
            d2.meta.version,
            d2.decision,
            d2.note.as_str(),
            d2.meta.updated_by.as_str(),
            d2.meta.created_by.as_str()
        ),
        (2, DecisionKind::Defer, "village", "planner-b", "planner-a")
    );
    match s.update_decision("planner-a", d.id, Expect::Version(1), patch.clone()) {
        Err(StoreError::Stale { current, .. }) => assert_eq!(current, 2),
        other => panic!("a stale write must be refused: {other:?}"),
    }
    assert!(matches!(
        s.delete_decision("planner-a", d.id, Expect::Version(1)),
        Err(StoreError::Stale { .. })
    ));
    assert_eq!(
        s.decision(d.id).unwrap().unwrap(),
        d2,
        "refused writes change nothing"
    );
    let gone = s.delete_decision("planner-a", d.id, Expect::Any).unwrap();
    assert_eq!(gone, d2);
    assert!(s.decision(d.id).unwrap().is_none());
    assert!(matches!(
        s.update_decision("planner-a", d.id, Expect::Any, patch),
        Err(StoreError::NotFound { .. })
    ));
    // Withdrawn, the area may be decided again, under a new id.
    let again = s
        .create_decision("planner-a", new("communities", "C1", DecisionKind::Reject))
        .unwrap();
    assert!(again.id > d.id);
    let audit = s.audit(0, 100).unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "decision.create",
            "decision.update",
            "decision.delete",
            "decision.create"
        ]
    );
    assert!(audit.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(audit[1].before, Some(serde_json::to_value(&d).unwrap()));
    assert_eq!(audit[1].after, Some(serde_json::to_value(&d2).unwrap()));
    assert_eq!(audit[2].after, None);
    assert_eq!(audit[1].who, "planner-b");
    assert_eq!(s.audit(audit[1].seq, 2).unwrap(), audit[2..4].to_vec());
}

fn last_seq(s: &dyn Store) -> i64 {
    s.audit(0, 100_000).unwrap().last().map_or(0, |a| a.seq)
}

fn feeds_round_trip(s: &dyn Store) {
    let start = last_seq(s);
    let f = s
        .create_feed("planner-a", "F-new", fields("@new", "planned"))
        .unwrap();
    assert_eq!(f.meta.version, 1);
    assert!(matches!(
        s.create_feed("planner-a", "F-new", fields("@other", "active")),
        Err(StoreError::Exists { .. })
    ));
    let f2 = s
        .update_feed(
            "planner-b",
            "F-new",
            Expect::Version(1),
            fields("@new", "active"),
            None,
        )
        .unwrap();
    assert_eq!(
        (f2.meta.version, f2.entry.fields.status.as_str()),
        (2, "active")
    );
    assert!(matches!(
        s.update_feed(
            "planner-b",
            "F-new",
            Expect::Version(1),
            fields("@x", "active"),
            None
        ),
        Err(StoreError::Stale { current: 2, .. })
    ));
    let retired = s
        .update_feed(
            "planner-b",
            "F-new",
            Expect::Version(2),
            fields("@new", "retired"),
            None,
        )
        .unwrap();
    assert_eq!(retired.meta.version, 3);
    // A feed from the region's file enters the store on its first edit.
    let file = fields("@fromfile", "active");
    assert!(matches!(
        s.update_feed(
            "planner-a",
            "F-file",
            Expect::Version(0),
            fields("@edited", "active"),
            None
        ),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.update_feed(
            "planner-a",
            "F-file",
            Expect::Version(3),
            fields("@edited", "active"),
            Some(&file)
        ),
        Err(StoreError::Stale { current: 0, .. })
    ));
    let edited = s
        .update_feed(
            "planner-a",
            "F-file",
            Expect::Version(0),
            fields("@edited", "active"),
            Some(&file),
        )
        .unwrap();
    assert_eq!(
        (edited.meta.version, edited.entry.fields.handle.as_str()),
        (1, "@edited")
    );
    assert_eq!(s.feeds().unwrap().len(), 2);
    let audit = s.audit(start, 100).unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        ["feed.create", "feed.update", "feed.retire", "feed.update"]
    );
    assert_eq!(
        audit[3].before.as_ref().unwrap()["handle"],
        "@fromfile",
        "the file's row is the edit's before"
    );
}

fn param_sets(s: &dyn Store) {
    assert!(s.param_set("default").unwrap().is_none());
    assert!(matches!(
        s.set_param_set("a", "default", Expect::Version(1), "min_population=1"),
        Err(StoreError::Stale { current: 0, .. })
    ));
    let p = s
        .set_param_set("a", "default", Expect::Version(0), "min_population=4000")
        .unwrap();
    assert_eq!(p.version, 1);
    let p2 = s
        .set_param_set("b", "default", Expect::Version(1), "min_population=5000")
        .unwrap();
    assert_eq!((p2.version, p2.query.as_str()), (2, "min_population=5000"));
    assert_eq!(s.param_set("default").unwrap().unwrap(), p2);
}

fn text_is_stored_verbatim(s: &dyn Store) {
    for (n, text) in NASTY.iter().enumerate() {
        let d = s
            .create_decision(
                text,
                NewDecision {
                    note: text.to_string(),
                    params: Some(text.to_string()),
                    ..new(text, &format!("{text}{n}"), DecisionKind::Reject)
                },
            )
            .unwrap();
        let back = s.decision(d.id).unwrap().unwrap();
        assert_eq!(back, d);
        assert_eq!(
            (back.note.as_str(), back.meta.created_by.as_str()),
            (*text, *text)
        );
        let id = format!("{text}#{n}");
        let f = FeedEntry {
            fields: FeedFields {
                platform: text.to_string(),
                handle: text.to_string(),
                url: text.to_string(),
                layer: Some(text.to_string()),
                area_id: Some(text.to_string()),
                name: text.to_string(),
                status: FeedStatus::Planned,
            },
            owner: feedmap::store::Ownership {
                team: Some(text.to_string()),
                administrators: vec![text.to_string(), format!("{text} 2")],
                ..Default::default()
            },
        };
        s.create_feed(text, &id, f.clone()).unwrap();
        assert_eq!(s.feed(&id).unwrap().unwrap().entry, f);
    }
    assert_eq!(s.decisions().unwrap().len(), NASTY.len());
    assert_eq!(s.audit(0, 1000).unwrap().len(), 2 * NASTY.len());
}

fn export_and_import(s: &dyn Store, fresh: &dyn Store) {
    decisions_round_trip(s);
    feeds_round_trip(s);
    param_sets(s);
    pages_round_trip(s);
    let dump = s.export().unwrap();
    assert_eq!(dump.audit.len(), 12);
    assert_eq!(dump.pages.len(), 1);
    fresh.import(&dump).unwrap();
    let mut back = fresh.export().unwrap();
    assert!(back.generation > 0);
    back.exported_at = dump.exported_at.clone();
    back.generation = dump.generation;
    assert_eq!(back, dump, "an import restores exactly what was exported");
    match fresh.import(&dump) {
        Err(StoreError::NotEmpty(what)) => assert!(what.contains("decisions"), "{what}"),
        other => panic!("importing into a non-empty store must be refused: {other:?}"),
    }
    // New ids continue after the imported ones.
    let max = dump.decisions.iter().map(|d| d.id).max().unwrap();
    let d = fresh
        .create_decision("c", new("communities", "C99", DecisionKind::Defer))
        .unwrap();
    assert!(d.id > max);
    let audit = fresh.audit(0, 100).unwrap();
    assert!(audit.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(audit.len(), dump.audit.len() + 1);
}

/// A neighbourhood's page: created at version 0 with one list, the other
/// list set at its version, a stale write refused; each write audited and
/// followed from the log exactly as a fresh read gives it.
fn pages_round_trip(s: &dyn Store) {
    use feedmap::follow::StoreState;
    use feedmap::store::{Contact, PagePart, Priority};
    let followed = StoreState::read(s).unwrap();
    let contact = Contact {
        name: "PC Sam Ahmed".into(),
        rank: None,
        bio: None,
        contact_details: Default::default(),
    };
    let p = s
        .set_page(
            "planner-a",
            "hoods",
            "N1",
            Expect::Version(0),
            PagePart::People(vec![contact]),
        )
        .unwrap();
    assert_eq!(
        (p.meta.version, p.people.len(), p.priorities.len()),
        (1, 1, 0)
    );
    let priority = Priority {
        issue: "Speeding".into(),
        issue_date: "2026-09-01".into(),
        action: None,
        action_date: None,
    };
    match s.set_page(
        "planner-b",
        "hoods",
        "N1",
        Expect::Version(0),
        PagePart::Priorities(vec![priority.clone()]),
    ) {
        Err(StoreError::Stale { current: 1, .. }) => {}
        other => panic!("a stale page write must be refused: {other:?}"),
    }
    let p = s
        .set_page(
            "planner-b",
            "hoods",
            "N1",
            Expect::Version(1),
            PagePart::Priorities(vec![priority]),
        )
        .unwrap();
    assert_eq!(
        (p.meta.version, p.people.len(), p.priorities.len()),
        (2, 1, 1)
    );
    assert_eq!(
        (p.meta.created_by.as_str(), p.meta.updated_by.as_str()),
        ("planner-a", "planner-b")
    );
    let audit = s.audit(0, 1000).unwrap();
    let actions: Vec<&str> = audit
        .iter()
        .filter(|e| e.entity == "page")
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(actions, ["page.people", "page.priorities"]);
    assert_eq!(s.pages().unwrap(), vec![p]);
    let next = followed
        .advance(s)
        .unwrap()
        .expect("the store changed")
        .state;
    assert_eq!(next, StoreState::read(s).unwrap());
}

/// Eight threads race read-modify-write cycles on one decision: every
/// write either lands on the version it read or is refused as stale, and
/// the audit log has exactly one entry per landed write.
fn concurrent_writers_never_overwrite(s: Arc<dyn Store>) {
    let d = s
        .create_decision("a", new("communities", "C1", DecisionKind::Defer))
        .unwrap();
    let landed: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let s = s.clone();
                scope.spawn(move || {
                    let mut landed = 0;
                    for n in 0..25 {
                        let seen = s.decision(d.id).unwrap().unwrap();
                        let note = format!("t{t} n{n} after v{}", seen.meta.version);
                        match s.update_decision(
                            &format!("t{t}"),
                            d.id,
                            Expect::Version(seen.meta.version),
                            DecisionPatch {
                                decision: None,
                                note: Some(note),
                                name: None,
                            },
                        ) {
                            Ok(after) => {
                                assert_eq!(after.meta.version, seen.meta.version + 1);
                                landed += 1;
                            }
                            Err(StoreError::Stale { .. }) => {}
                            Err(e) => panic!("{e}"),
                        }
                    }
                    landed
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert!(landed >= 25, "at least one thread's writes land in turn");
    let last = s.decision(d.id).unwrap().unwrap();
    assert_eq!(last.meta.version as usize, 1 + landed);
    let updates = s.audit(0, 10_000).unwrap();
    assert_eq!(updates.len(), 1 + landed);
    // Each update's before is the previous update's after: no write was
    // lost or overwritten.
    for w in updates.windows(2) {
        assert_eq!(w[1].before, w[0].after);
    }
    assert_eq!(
        updates.last().unwrap().after,
        Some(serde_json::to_value(&last).unwrap())
    );
}

/// Webhooks in the store: registered at the log's end, leased to one
/// server at a time on a shared store (a SQLite store has one server, so
/// a restarted one takes its hooks at once), outcomes recorded only by
/// the lease holder, a pause audited, a resume clearing the failures, the
/// secret kept apart from what is answered and carried by a dump.
fn webhooks_lease_and_outcomes(s: &dyn Store, fresh: &dyn Store) {
    use feedmap::store::{NewWebhook, Outcome, WebhookPatch, WebhookStatus};
    s.create_feed("p", "F1", fields("@f1", "active")).unwrap();
    let at = last_seq(s);
    let row = s
        .create_webhook(
            "p",
            NewWebhook {
                url: "https://hooks.example/x".into(),
                events: vec![],
                areas: vec![],
                description: "d".into(),
                secret: "a-secret-of-some-length".into(),
            },
        )
        .unwrap();
    let id = row.hook.id;
    assert_eq!(row.delivery.after_seq, at, "deliveries start after now");
    let mine = s.claim_webhooks("w1", 60_000).unwrap();
    assert_eq!(mine.claims.len(), 1);
    assert_eq!(mine.claims[0].secret, "a-secret-of-some-length");
    let theirs = s.claim_webhooks("w2", 60_000).unwrap();
    let held_by = if s.is_shared() {
        assert!(theirs.claims.is_empty(), "a leased hook is not taken");
        "w1"
    } else {
        assert_eq!(theirs.claims.len(), 1, "one server: no lease to wait for");
        "w2"
    };
    let other = if held_by == "w1" { "w2" } else { "w1" };
    let delivered = Outcome::Delivered {
        seq: at + 1,
        status: 200,
    };
    assert!(!s.record_delivery(other, id, 60_000, &delivered).unwrap());
    assert!(s.record_delivery(held_by, id, 60_000, &delivered).unwrap());
    let fail = |pause: Option<&str>| Outcome::Failed {
        status: Some(500),
        error: "HTTP 500".into(),
        retry_at_ms: 0,
        pause: pause.map(str::to_string),
    };
    assert!(s.record_delivery(held_by, id, 60_000, &fail(None)).unwrap());
    let generation = s.generation().unwrap();
    assert!(s
        .record_delivery(held_by, id, 60_000, &fail(Some("too many")))
        .unwrap());
    assert!(s.generation().unwrap() > generation, "a pause is a change");
    let row = s.webhook(id).unwrap().unwrap();
    assert_eq!(row.hook.status, WebhookStatus::Paused);
    assert_eq!(row.hook.paused_reason.as_deref(), Some("too many"));
    assert_eq!(
        (
            row.delivery.after_seq,
            row.delivery.delivered,
            row.delivery.failures
        ),
        (at + 1, 1, 2)
    );
    assert_eq!(row.delivery.last_status, Some(500));
    assert!(
        s.claim_webhooks(held_by, 60_000).unwrap().claims.is_empty(),
        "paused: not delivered"
    );
    let pause = s.audit(0, 1000).unwrap().into_iter().last().unwrap();
    assert_eq!(
        (pause.action.as_str(), pause.who.as_str()),
        ("webhook.pause", "webhook delivery")
    );
    assert!(!serde_json::to_string(&pause).unwrap().contains("a-secret"));
    let resumed = s
        .update_webhook(
            "p",
            id,
            Expect::Version(row.hook.meta.version),
            WebhookPatch {
                status: Some((WebhookStatus::Active, None)),
                ..WebhookPatch::default()
            },
        )
        .unwrap();
    assert_eq!(
        (resumed.delivery.failures, resumed.delivery.after_seq),
        (0, at + 1)
    );
    assert_eq!(s.claim_webhooks(held_by, 60_000).unwrap().claims.len(), 1);
    assert!(s.record_delivery(held_by, id, 60_000, &fail(None)).unwrap());
    assert_eq!(s.webhook(id).unwrap().unwrap().delivery.failures, 1);
    let moved = s
        .update_webhook(
            "p",
            id,
            Expect::Any,
            WebhookPatch {
                url: Some("https://hooks.example/new".into()),
                ..WebhookPatch::default()
            },
        )
        .unwrap();
    assert_eq!(moved.delivery.failures, 0, "a new URL is tried afresh");
    assert!(matches!(
        s.update_webhook("p", id, Expect::Version(1), WebhookPatch::default()),
        Err(StoreError::Stale { .. })
    ));
    let dump = s.export().unwrap();
    assert_eq!(dump.webhooks.len(), 1);
    assert_eq!(dump.webhooks[0].secret, "a-secret-of-some-length");
    fresh.import(&dump).unwrap();
    let mut back = fresh.export().unwrap();
    back.exported_at = dump.exported_at.clone();
    back.generation = dump.generation;
    assert_eq!(back, dump, "an import restores the webhooks");
    let removed = s.delete_webhook("p", id, Expect::Any).unwrap();
    assert_eq!(removed.id, id);
    assert!(s.webhooks().unwrap().is_empty());
}

macro_rules! suite {
    ($backend:ident, $open:expr $(, #[$needs:meta])?) => {
        mod $backend {
            use super::*;

            #[test]
            $(#[$needs])?
            fn decisions() {
                if let Some((s, _keep)) = $open("decisions") {
                    decisions_round_trip(&*s);
                }
            }

            #[test]
            $(#[$needs])?
            fn feeds() {
                if let Some((s, _keep)) = $open("feeds") {
                    feeds_round_trip(&*s);
                }
            }

            #[test]
            $(#[$needs])?
            fn params() {
                if let Some((s, _keep)) = $open("params") {
                    param_sets(&*s);
                }
            }

            #[test]
            $(#[$needs])?
            fn verbatim() {
                if let Some((s, _keep)) = $open("verbatim") {
                    text_is_stored_verbatim(&*s);
                }
            }

            #[test]
            $(#[$needs])?
            fn releases() {
                if let (Some((s, _keep)), Some((fresh, _keep2))) =
                    ($open("releases"), $open("releases_import"))
                {
                    releases_round_trip(&*s, &*fresh);
                }
            }

            #[test]
            $(#[$needs])?
            fn owners() {
                if let (Some((s, _keep)), Some((fresh, _keep2))) =
                    ($open("owners"), $open("owners_import"))
                {
                    owners_handovers_and_activity(&*s, &*fresh);
                }
            }

            #[test]
            $(#[$needs])?
            fn webhooks() {
                if let (Some((s, _keep)), Some((fresh, _keep2))) =
                    ($open("webhooks"), $open("webhooks_import"))
                {
                    webhooks_lease_and_outcomes(&*s, &*fresh);
                }
            }

            #[test]
            $(#[$needs])?
            fn follow() {
                if let Some((s, _keep)) = $open("follow") {
                    following_the_audit_log_equals_reading_everything(&*s);
                }
            }

            #[test]
            $(#[$needs])?
            fn export_import() {
                if let (Some((a, _ka)), Some((b, _kb))) = ($open("export"), $open("import")) {
                    export_and_import(&*a, &*b);
                }
            }

            #[test]
            $(#[$needs])?
            fn voice() {
                if let (Some((s, _keep)), Some((fresh, _keep2))) =
                    ($open("voice"), $open("voice_import"))
                {
                    voice_round_trip(&*s, &*fresh);
                }
            }

            #[test]
            $(#[$needs])?
            fn concurrency() {
                if let Some((s, _keep)) = $open("concurrency") {
                    concurrent_writers_never_overwrite(s);
                }
            }
        }
    };
}

/// A reader following the store through its audit log (as a server does,
/// without HTTP) holds, after every batch of writes, exactly what reading
/// the whole store gives, at the same generation; with nothing written it
/// reads nothing more.
fn following_the_audit_log_equals_reading_everything(s: &dyn Store) {
    use feedmap::follow::StoreState;
    let mut followed = StoreState::read(s).unwrap();
    assert!(
        followed.advance(s).unwrap().is_none(),
        "nothing written yet"
    );
    let mut decision = None;
    for round in 0..6 {
        match round % 3 {
            0 => {
                s.create_feed(
                    "planner-a",
                    &format!("F{round}"),
                    fields(&format!("@f{round}"), "planned"),
                )
                .unwrap();
            }
            1 => {
                decision = Some(
                    match decision {
                        None => s
                            .create_decision(
                                "planner-a",
                                new("communities", "C1", DecisionKind::Defer),
                            )
                            .unwrap(),
                        Some(d) => s
                            .update_decision(
                                "planner-b",
                                d,
                                Expect::Any,
                                DecisionPatch {
                                    decision: Some(DecisionKind::Accept),
                                    note: Some(format!("round {round}")),
                                    name: None,
                                },
                            )
                            .unwrap(),
                    }
                    .id,
                );
                s.set_param_set(
                    "planner-a",
                    "default",
                    Expect::Any,
                    &format!("min_population={}", 1000 + round),
                )
                .unwrap();
            }
            _ => {
                s.update_feed(
                    "planner-b",
                    "F0",
                    Expect::Any,
                    fields("@f0", "retired"),
                    None,
                )
                .unwrap();
            }
        }
        let next = followed.advance(s).unwrap().expect("the store changed");
        assert_eq!(next.feeds_changed, round % 3 != 1, "round {round}");
        assert_eq!(next.decisions_changed, round % 3 == 1, "round {round}");
        followed = next.state;
        let whole = StoreState::read(s).unwrap();
        assert_eq!(followed, whole, "round {round}");
        assert_eq!(followed.generation, Some(s.generation().unwrap()));
        assert!(followed.advance(s).unwrap().is_none());
    }
}

fn release_files() -> Vec<feedmap::store::ReleaseFile> {
    vec![feedmap::store::ReleaseFile {
        name: "wards.geojson".into(),
        text: "{\"type\": \"FeatureCollection\", \"features\": []}".into(),
    }]
}

/// Staging, confirming, activating and withdrawing releases: versions,
/// conflicts and audit entries; the state followed from the audit log
/// equals a fresh read; an export carries releases and their files.
fn releases_round_trip(s: &dyn Store, fresh: &dyn Store) {
    use feedmap::follow::StoreState;
    use feedmap::store::{Migration, NewRelease, ReleaseStatus};
    let mut followed = StoreState::read(s).unwrap();
    let stage = |label: &str| {
        s.stage_release(
            "planner-a",
            NewRelease {
                layer: "wards".into(),
                follows: 1,
                label: label.into(),
                id_property: None,
                name_property: Some("ward_name".into()),
                files: release_files(),
            },
        )
        .unwrap()
    };
    let a = stage("first");
    let b = stage("second");
    assert_eq!((a.generation, b.generation), (2, 3));
    assert_eq!(a.status, ReleaseStatus::Staged);
    assert_eq!(s.release_files(a.id).unwrap(), release_files());
    // Confirmations are versioned per subject.
    let c = s
        .confirm_successor(
            "planner-a",
            a.id,
            "feed:F1",
            Expect::Version(0),
            Some("W2".into()),
        )
        .unwrap();
    assert_eq!(c.confirmations["feed:F1"].version, 1);
    assert!(matches!(
        s.confirm_successor("planner-b", a.id, "feed:F1", Expect::Version(0), None),
        Err(StoreError::Stale { current: 1, .. })
    ));
    // The newer one first: the older is then refused.
    let moved = [Migration {
        subject: "feed:F1".into(),
        from: "W1".into(),
        to: "W2".into(),
    }];
    let active = s
        .activate_release(
            "planner-a",
            b.id,
            Expect::Any,
            "2030-01-01",
            &moved,
            &feedmap::releases::may_follow,
        )
        .unwrap();
    assert_eq!(active.status, ReleaseStatus::Active);
    assert_eq!(active.migrations, moved);
    assert!(matches!(
        s.activate_release(
            "planner-a",
            a.id,
            Expect::Any,
            "2031-01-01",
            &[],
            &feedmap::releases::may_follow
        ),
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        s.confirm_successor("planner-a", b.id, "feed:F2", Expect::Any, None),
        Err(StoreError::Conflict { .. })
    ));
    let withdrawn = s
        .withdraw_release("planner-a", a.id, Expect::Version(c.meta.version))
        .unwrap();
    assert_eq!(withdrawn.status, ReleaseStatus::Withdrawn);
    assert!(matches!(
        s.withdraw_release("planner-a", 999, Expect::Any),
        Err(StoreError::NotFound { .. })
    ));
    let actions: Vec<String> = s
        .audit(0, 100)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "release.stage",
            "release.stage",
            "release.confirm",
            "release.activate",
            "release.migrate",
            "release.withdraw"
        ]
    );
    // Following the log gives what a fresh read gives, files included.
    let next = followed.advance(s).unwrap().expect("changed");
    assert!(next.releases_changed);
    followed = next.state;
    assert_eq!(followed, StoreState::read(s).unwrap());
    assert_eq!(followed.release_files.len(), 2);
    // Export and import keep releases and their files.
    let dump = s.export().unwrap();
    assert_eq!(dump.releases.len(), 2);
    fresh.import(&dump).unwrap();
    let mut back = fresh.export().unwrap();
    back.exported_at = dump.exported_at.clone();
    back.generation = dump.generation;
    assert_eq!(back, dump);
    let c = fresh
        .stage_release(
            "planner-a",
            NewRelease {
                layer: "wards".into(),
                follows: 3,
                label: "after import".into(),
                id_property: None,
                name_property: None,
                files: release_files(),
            },
        )
        .unwrap();
    assert!(c.id > b.id && c.generation == 4, "{c:?}");
}

/// Owners on feeds, handovers step by step (the last step gives a file
/// feed to the new team in the same transaction), activity replaced by
/// day; every change audited; the followed state equals a fresh read; an
/// export carries all of it.
fn owners_handovers_and_activity(s: &dyn Store, fresh: &dyn Store) {
    use feedmap::follow::StoreState;
    use feedmap::store::{ActivityDay, HandoverStatus, HandoverStep, NewHandover, Ownership};
    let mut followed = StoreState::read(s).unwrap();
    // A file feed (not in the store) with one administrator.
    let mut file = fields("@Team", "active");
    file.owner = Ownership {
        team: Some("Old Team".into()),
        administrators: vec!["PC Old".into()],
        ..Default::default()
    };
    let new = |feed: &str| NewHandover {
        feed_id: feed.into(),
        to_team: "New Team".into(),
        to_administrators: vec!["PC New".into(), "PCSO New".into()],
        note: "PC Old moves on".into(),
    };
    let h = s.start_handover("planner-a", new("F1"), &file).unwrap();
    assert_eq!(h.status, HandoverStatus::Open);
    assert_eq!(h.from_team.as_deref(), Some("Old Team"));
    assert_eq!(h.from_administrators, ["PC Old"]);
    assert!(matches!(
        s.start_handover("planner-a", new("F1"), &file),
        Err(StoreError::Conflict { .. })
    ));
    let mut version = h.meta.version;
    for (k, step) in HandoverStep::ALL.iter().enumerate() {
        assert!(
            s.feed("F1").unwrap().is_none(),
            "the feed moves only at the end"
        );
        let (h2, feed) = s
            .confirm_handover_step(
                "planner-b",
                h.id,
                *step,
                Expect::Version(version),
                &file,
                &feedmap::handover::Rules,
            )
            .unwrap();
        assert!(matches!(
            s.confirm_handover_step(
                "planner-b",
                h.id,
                *step,
                Expect::Version(version),
                &file,
                &feedmap::handover::Rules,
            ),
            Err(StoreError::Stale { .. }) | Err(StoreError::Conflict { .. })
        ));
        version = h2.meta.version;
        let last = k + 1 == HandoverStep::ALL.len();
        assert_eq!(h2.status == HandoverStatus::Completed, last);
        assert_eq!(feed.is_some(), last);
        assert_eq!(h2.steps[step].by, "planner-b");
    }
    let moved = s.feed("F1").unwrap().expect("entered the store");
    assert_eq!(moved.entry.owner.team.as_deref(), Some("New Team"));
    assert_eq!(moved.entry.owner.administrators, ["PC New", "PCSO New"]);
    assert_eq!(moved.entry.fields.handle, "@Team");
    // A second handover, cancelled.
    let h3 = s.start_handover("planner-a", new("F1"), &file).unwrap();
    assert_eq!(h3.from_team.as_deref(), Some("New Team"));
    let c = s.cancel_handover("planner-a", h3.id, Expect::Any).unwrap();
    assert_eq!(c.status, HandoverStatus::Cancelled);
    assert!(matches!(
        s.cancel_handover("planner-a", h3.id, Expect::Any),
        Err(StoreError::Conflict { .. })
    ));
    // Activity: a later record of the same day replaces it.
    let day = |date: &str, posts: i64| ActivityDay {
        feed_id: "F1".into(),
        date: date.into(),
        posts,
        followers: Some(100 + posts),
    };
    assert_eq!(
        s.record_activity(
            "planner-a",
            "a.csv",
            &[day("2026-11-01", 1), day("2026-11-02", 0)]
        )
        .unwrap(),
        2
    );
    s.record_activity("planner-a", "api", &[day("2026-11-02", 5)])
        .unwrap();
    let days = s.activity().unwrap();
    assert_eq!(days, [day("2026-11-01", 1), day("2026-11-02", 5)]);
    let actions: Vec<String> = s
        .audit(0, 100)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "handover.start",
            "handover.step",
            "handover.step",
            "handover.step",
            "handover.complete",
            "feed.handover",
            "handover.start",
            "handover.cancel",
            "activity.record",
            "activity.record"
        ]
    );
    let next = followed.advance(s).unwrap().expect("changed");
    assert!(next.feeds_changed);
    followed = next.state;
    assert_eq!(followed, StoreState::read(s).unwrap());
    assert_eq!(followed.handovers.len(), 2);
    assert_eq!(followed.activity["F1"].len(), 2);
    let dump = s.export().unwrap();
    assert_eq!((dump.handovers.len(), dump.activity.len()), (2, 2));
    fresh.import(&dump).unwrap();
    let mut back = fresh.export().unwrap();
    back.exported_at = dump.exported_at.clone();
    back.generation = dump.generation;
    assert_eq!(back, dump);
    let h4 = fresh.start_handover("planner-a", new("F2"), &file).unwrap();
    assert!(h4.id > h3.id, "ids continue after an import");
}

/// `n` tallies of one answer each: `cells` as `(kind, value)`.
fn tally(
    area: &str,
    bucket: i64,
    hold: i64,
    cells: &[(feedmap::store::VoiceKind, &str)],
) -> feedmap::store::VoiceTally {
    feedmap::store::VoiceTally {
        layer: "oas".into(),
        area_id: area.into(),
        bucket,
        hold,
        cells: cells
            .iter()
            .map(|(kind, value)| feedmap::store::VoiceCell {
                kind: *kind,
                value: (*value).into(),
            })
            .collect(),
    }
}

/// The stored counts as `(area, bucket, hold, kind word, value, n)`.
fn voice_counts(s: &dyn Store) -> Vec<(String, i64, i64, &'static str, String, i64)> {
    s.voice()
        .unwrap()
        .counts
        .into_iter()
        .map(|c| {
            assert_eq!(c.layer, "oas");
            (c.area_id, c.bucket, c.hold, c.kind.as_str(), c.value, c.n)
        })
        .collect()
}

/// Residents' answers: tallies of one slice summed per cell (within the
/// slice and with what is stored), with neither an audit entry nor a new
/// generation; holds and exclusion windows audited as `voice` and each a
/// new generation; a second hold of a held area, a decision on a decided
/// hold or at a stale version refused; releasing sums the held counts into
/// the area's unheld ones; excluding records the window since the burst
/// began; restoring removes a window; nothing of it reaches the public
/// change feed, a follower of the audit log keeps up, and an export and
/// import keep it all, ids included.
fn voice_round_trip(s: &dyn Store, fresh: &dyn Store) {
    use feedmap::changes::Change;
    use feedmap::follow::StoreState;
    use feedmap::store::{HoldStatus, NewExclusion, NewHold, VoiceKind::*};
    let followed = StoreState::read(s).unwrap();
    let (g0, seq0) = (s.generation().unwrap(), last_seq(s));
    s.record_voice(&[]).unwrap();
    s.record_voice(&[
        tally(
            "E1",
            3600,
            0,
            &[(Answers, ""), (Follow, "yes"), (Name, "sale moor")],
        ),
        tally(
            "E1",
            3600,
            0,
            &[(Answers, ""), (Follow, "yes"), (Platform, "facebook")],
        ),
        tally(
            "E2",
            0,
            0,
            &[(Answers, ""), (Follow, "not_sure"), (Name, NASTY[4])],
        ),
    ])
    .unwrap();
    s.record_voice(&[tally("E1", 3600, 0, &[(Answers, ""), (Choice, "q1/c2")])])
        .unwrap();
    assert_eq!(
        (s.generation().unwrap(), last_seq(s)),
        (g0, seq0),
        "answers are neither a new generation nor audited"
    );
    let row =
        |a: &str, b, h, k: &'static str, v: &str, n| (a.to_string(), b, h, k, v.to_string(), n);
    let unheld = vec![
        row("E1", 3600, 0, "answers", "", 3),
        row("E1", 3600, 0, "name", "sale moor", 1),
        row("E1", 3600, 0, "follow", "yes", 2),
        row("E1", 3600, 0, "platform", "facebook", 1),
        row("E1", 3600, 0, "choice", "q1/c2", 1),
        row("E2", 0, 0, "answers", "", 1),
        row("E2", 0, 0, "name", NASTY[4], 1),
        row("E2", 0, 0, "follow", "not_sure", 1),
    ];
    assert_eq!(voice_counts(s), unheld);

    // A burst: the area is held; a second hold of it is refused.
    let burst = NewHold {
        layer: "oas".into(),
        area_id: "E1".into(),
        since: 3000,
        detected: 3700,
        attempts: 40,
        usual: 0.1 + 0.2,
    };
    let h = s.hold_voice("burst detector", burst.clone()).unwrap();
    assert_eq!(
        (
            h.status,
            h.version,
            h.decided_at.clone(),
            h.usual,
            h.attempts
        ),
        (HoldStatus::Held, 1, None, 0.1 + 0.2, 40)
    );
    assert!(h.id > 0, "hold 0 means none");
    assert_eq!(
        s.generation().unwrap(),
        g0 + 1,
        "a hold is a new generation"
    );
    match s.hold_voice("burst detector", burst.clone()) {
        Err(StoreError::Conflict { reason, .. }) => {
            assert!(reason.contains(&h.id.to_string()), "{reason}")
        }
        other => panic!("a second hold of a held area must be refused: {other:?}"),
    }
    // Answers while held are counted under the hold, apart.
    s.record_voice(&[
        tally("E1", 3600, h.id, &[(Answers, ""), (Follow, "yes")]),
        tally("E1", 7200, h.id, &[(Answers, ""), (Follow, "no")]),
    ])
    .unwrap();
    assert_eq!(voice_counts(s).len(), unheld.len() + 4);
    match s.decide_voice_hold("planner-a", h.id, Expect::Version(2), true, 8000) {
        Err(StoreError::Stale { current: 1, .. }) => {}
        other => panic!("a decision at a stale version must be refused: {other:?}"),
    }
    match s.decide_voice_hold("planner-a", 9999, Expect::Any, true, 8000) {
        Err(StoreError::NotFound { .. }) => {}
        other => panic!("no such hold: {other:?}"),
    }
    let g = s.generation().unwrap();
    let (released, window) = s
        .decide_voice_hold("planner-a", h.id, Expect::Version(1), true, 8000)
        .unwrap();
    assert_eq!(window, None);
    assert_eq!(
        (released.status, released.version, released.id),
        (HoldStatus::Released, 2, h.id)
    );
    assert!(released.decided_at.is_some());
    assert_eq!(s.generation().unwrap(), g + 1);
    // Released: the held counts are summed into the unheld ones.
    let mut merged = unheld.clone();
    merged[0].5 += 1; // answers in E1/3600
    merged[2].5 += 1; // follow yes in E1/3600
    merged.insert(5, row("E1", 7200, 0, "answers", "", 1));
    merged.insert(6, row("E1", 7200, 0, "follow", "no", 1));
    assert_eq!(voice_counts(s), merged);
    match s.decide_voice_hold("planner-b", h.id, Expect::Any, false, 9000) {
        Err(StoreError::Conflict { reason, .. }) => {
            assert!(reason.contains("released"), "{reason}")
        }
        other => panic!("a decided hold cannot be decided again: {other:?}"),
    }

    // A second burst, excluded: its counts stay held, and the window since
    // it began is left out.
    let h2 = s.hold_voice("burst detector", burst).unwrap();
    assert!(h2.id > h.id);
    s.record_voice(&[tally("E1", 7200, h2.id, &[(Answers, "")])])
        .unwrap();
    let (excluded, window) = s
        .decide_voice_hold("planner-b", h2.id, Expect::Version(1), false, 9000)
        .unwrap();
    assert_eq!(
        (excluded.status, excluded.version),
        (HoldStatus::Excluded, 2)
    );
    let window = window.expect("an exclusion records a window");
    assert_eq!(
        (
            window.layer.as_str(),
            window.area_id.as_str(),
            window.from,
            window.to
        ),
        ("oas", "E1", 3000, 9000)
    );
    assert!(!window.reason.is_empty());
    let mut held = merged.clone();
    held.insert(7, row("E1", 7200, h2.id, "answers", "", 1));
    assert_eq!(
        voice_counts(s),
        held,
        "excluded answers stay under the hold"
    );

    // A planner's own window, then restored.
    let mine = s
        .exclude_voice(
            "planner-a",
            NewExclusion {
                layer: "oas".into(),
                area_id: "E2".into(),
                from: 0,
                to: 3600,
                reason: NASTY[0].into(),
            },
        )
        .unwrap();
    assert_eq!(
        (mine.from, mine.to, mine.reason.as_str()),
        (0, 3600, NASTY[0])
    );
    let records = s.voice().unwrap();
    assert_eq!(
        records.holds,
        vec![released.clone(), excluded.clone()],
        "holds read back as written"
    );
    assert_eq!(records.exclusions, vec![window.clone(), mine.clone()]);
    let g = s.generation().unwrap();
    assert_eq!(s.restore_voice("planner-a", mine.id).unwrap(), mine);
    assert_eq!(s.generation().unwrap(), g + 1);
    match s.restore_voice("planner-a", mine.id) {
        Err(StoreError::NotFound { .. }) => {}
        other => panic!("a restored window is gone: {other:?}"),
    }
    assert_eq!(s.voice().unwrap().exclusions, vec![window.clone()]);

    // Audited as `voice`, who recorded; none of it public.
    let audit: Vec<_> = s
        .audit(seq0, 1000)
        .unwrap()
        .into_iter()
        .filter(|e| e.entity == "voice")
        .collect();
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .map(|e| (e.action.as_str(), e.who.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("voice.held", "burst detector"),
            ("voice.released", "planner-a"),
            ("voice.held", "burst detector"),
            ("voice.excluded", "planner-b"),
            ("voice.window_excluded", "planner-b"),
            ("voice.window_excluded", "planner-a"),
            ("voice.window_restored", "planner-a"),
        ]
    );
    assert_eq!(audit[1].entity_id, format!("hold:{}", h.id));
    assert_eq!(
        audit[1].after,
        Some(serde_json::to_value(&released).unwrap())
    );
    assert_eq!(audit[6].before, Some(serde_json::to_value(&mine).unwrap()));
    assert!(audit
        .iter()
        .all(|e| Change::of(e).is_none() && Change::for_planners(e).is_none()));
    let next = followed
        .advance(s)
        .unwrap()
        .expect("the store changed")
        .state;
    assert_eq!(next, StoreState::read(s).unwrap());

    // Export and import keep it all, ids included; ids go on after them.
    let dump = s.export().unwrap();
    assert_eq!(dump.version, 6);
    assert_eq!(
        (
            dump.voice_counts.len(),
            dump.voice_holds.len(),
            dump.voice_exclusions.len()
        ),
        (held.len(), 2, 1)
    );
    fresh.import(&dump).unwrap();
    let mut back = fresh.export().unwrap();
    back.exported_at = dump.exported_at.clone();
    back.generation = dump.generation;
    assert_eq!(back, dump, "an import restores the answers");
    assert_eq!(fresh.voice().unwrap(), s.voice().unwrap());
    let h3 = fresh
        .hold_voice(
            "burst detector",
            NewHold {
                layer: "oas".into(),
                area_id: "E2".into(),
                since: 0,
                detected: 60,
                attempts: 9,
                usual: 0.0,
            },
        )
        .unwrap();
    assert!(h3.id > h2.id, "hold ids continue after an import");
    let w = fresh
        .exclude_voice(
            "planner-a",
            NewExclusion {
                layer: "oas".into(),
                area_id: "E2".into(),
                from: 0,
                to: 60,
                reason: "test".into(),
            },
        )
        .unwrap();
    assert!(w.id > window.id, "window ids continue after an import");

    // A dump of format 5 (before the question) reads, with no answers.
    let mut old = serde_json::to_value(&dump).unwrap();
    let o = old.as_object_mut().unwrap();
    for k in ["voice_counts", "voice_holds", "voice_exclusions"] {
        o.remove(k);
    }
    o.insert("version".into(), 5.into());
    let old: feedmap::store::Dump = serde_json::from_value(old).unwrap();
    old.check().unwrap();
    assert!(old.voice_counts.is_empty() && old.voice_holds.is_empty());
    assert!(old.voice_exclusions.is_empty());
}

/// What keeps a test's store alive (its folder or database).
enum Keep {
    #[allow(dead_code)]
    Dir(tempfile::TempDir),
    #[allow(dead_code)]
    Pg(common::PgDb),
}

fn open_sqlite(_test: &str) -> Option<(Arc<dyn Store>, Keep)> {
    let dir = tempfile::tempdir().unwrap();
    let s = Location::Sqlite(dir.path().join("data")).open().unwrap();
    Some((s, Keep::Dir(dir)))
}

fn open_postgres(test: &str) -> Option<(Arc<dyn Store>, Keep)> {
    let db = common::postgres(test)?;
    let s = Location::Postgres(db.url.clone()).open().unwrap();
    Some((s, Keep::Pg(db)))
}

suite!(sqlite, open_sqlite);
suite!(
    postgres,
    open_postgres,
    #[cfg_attr(
        feedmap_no_postgres,
        ignore = "needs PostgreSQL: set FEEDMAP_TEST_POSTGRES to the URL of a role that may create databases"
    )]
);

#[test]
fn sqlite_audit_is_append_only_and_data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let s = Location::Sqlite(data.clone()).open().unwrap();
        decisions_round_trip(&*s);
    }
    let conn = rusqlite::Connection::open(data.join("feedmap.sqlite")).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    for sql in ["UPDATE audit SET who = 'mallory'", "DELETE FROM audit"] {
        let e = conn.execute(sql, []).unwrap_err().to_string();
        assert!(e.contains("append-only"), "{sql}: {e}");
    }
    drop(conn);
    let s = Location::Sqlite(data).open().unwrap();
    assert_eq!(s.audit(0, 100).unwrap().len(), 4);
    assert_eq!(s.decisions().unwrap().len(), 1);
}

#[test]
#[cfg_attr(
    feedmap_no_postgres,
    ignore = "needs PostgreSQL: set FEEDMAP_TEST_POSTGRES to the URL of a role that may create databases"
)]
fn postgres_audit_is_append_only_and_replicas_migrate_once() {
    let Some(db) = common::postgres("pg_append_only") else {
        return;
    };
    // Several replicas opening a new database at once: one migrates, the
    // rest wait for it and find the schema ready.
    let stores: Vec<Arc<dyn Store>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| s.spawn(|| Location::Postgres(db.url.clone()).open().unwrap()))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    decisions_round_trip(&*stores[0]);
    assert_eq!(stores[3].decisions().unwrap().len(), 1, "one state for all");
    let mut c = ::postgres::Client::connect(&db.url, ::postgres::NoTls).unwrap();
    for sql in ["UPDATE audit SET who = 'mallory'", "DELETE FROM audit"] {
        let e = c.batch_execute(sql).unwrap_err();
        let msg = e
            .as_db_error()
            .map(|d| d.message().to_string())
            .unwrap_or_default();
        assert!(msg.contains("append-only"), "{sql}: {msg}");
    }
}

/// Answers are acknowledged only once `record_voice` returns, and it
/// returns only after its transaction committed (SQLite in WAL mode with
/// `synchronous = FULL`: on disk): a store reopened after it (as after a
/// crash) holds every count.
#[test]
fn sqlite_answers_are_on_disk_when_recorded() {
    use feedmap::store::VoiceKind::*;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let s = Location::Sqlite(data.clone()).open().unwrap();
        let slice: Vec<_> = (0..300)
            .map(|k| {
                tally(
                    &format!("E{}", k % 7),
                    0,
                    0,
                    &[(Answers, ""), (Follow, "yes")],
                )
            })
            .collect();
        s.record_voice(&slice).unwrap();
    }
    let conn = rusqlite::Connection::open(data.join("feedmap.sqlite")).unwrap();
    let (rows, total): (i64, i64) = conn
        .query_row(
            "SELECT COUNT(*), SUM(n) FROM voice_counts WHERE kind = 'answers'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((rows, total), (7, 300));
    drop(conn);
    let s = Location::Sqlite(data).open().unwrap();
    assert_eq!(s.voice().unwrap().counts.len(), 14);
}

#[test]
fn a_store_location_comes_from_the_arguments() {
    let dir = std::path::Path::new("d");
    assert_eq!(
        Location::from_args(None, dir).unwrap(),
        Location::Sqlite(dir.into())
    );
    assert_eq!(
        Location::from_args(Some("postgres://u:p@h/db"), dir).unwrap(),
        Location::Postgres("postgres://u:p@h/db".into())
    );
    let e = Location::from_args(Some("mysql://u:secret@h/db"), dir)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("not a postgres:// URL") && !e.contains("secret"),
        "{e}"
    );
}

#[test]
fn an_unreachable_postgres_is_named_without_its_password() {
    let e = match Location::Postgres("postgres://u:secretpw@127.0.0.1:1/db".into()).open() {
        Err(e) => e.to_string(),
        Ok(_) => panic!("nothing listens on port 1"),
    };
    assert!(
        e.contains("cannot connect to postgres://u:***@127.0.0.1:1/db") && e.contains("refused"),
        "{e}"
    );
    assert!(!e.contains("secretpw"), "{e}");
}

/// The feeds table as schema version 4 had it (a column a field, the owner
/// as JSON or NULL), with the rows that version wrote. Opening the store
/// migrates it to version 5, one record a feed. (The audit log as version
/// 1 made it, for the write after; `{id}` is the dialect's identity key.)
const FEEDS_AT_SCHEMA_4: &str = r#"
    CREATE TABLE audit (
        seq {id},
        at TEXT NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL,
        entity TEXT NOT NULL, entity_id TEXT NOT NULL, before TEXT, after TEXT);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
    INSERT INTO meta (key, value) VALUES ('schema_version', 4), ('generation', 7);
    CREATE TABLE decisions (
        id {id},
        layer TEXT NOT NULL, area_id TEXT NOT NULL, members TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('accept', 'reject', 'defer')),
        note TEXT NOT NULL, params TEXT,
        created_by TEXT NOT NULL, created_at TEXT NOT NULL,
        updated_by TEXT NOT NULL, updated_at TEXT NOT NULL,
        version BIGINT NOT NULL,
        UNIQUE (layer, area_id));
    INSERT INTO decisions (layer, area_id, members, decision, note, params, created_by, created_at, updated_by, updated_at, version)
        VALUES ('communities', 'C1', '[]', 'accept', 'village', NULL, 'planner-a',
                '2026-01-02T03:04:05Z', 'planner-a', '2026-01-02T03:04:05Z', 1);
    CREATE TABLE feeds (
        feed_id TEXT PRIMARY KEY, platform TEXT NOT NULL, handle TEXT NOT NULL,
        url TEXT NOT NULL, layer TEXT, area_id TEXT, name TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'planned', 'retired')),
        created_by TEXT NOT NULL, created_at TEXT NOT NULL,
        updated_by TEXT NOT NULL, updated_at TEXT NOT NULL,
        version BIGINT NOT NULL, owner TEXT);
    INSERT INTO feeds VALUES
        ('F1', 'x', '@Sale', 'https://x.com/Sale', 'communities', 'C1', 'Sale "Moor"',
         'active', 'planner-a', '2026-01-02T03:04:05Z', 'planner-b',
         '2026-02-03T04:05:06Z', 3,
         '{"team":"Sale Team","administrators":["PC One","PCSO Two"],"verification":"verified","verified_on":"2026-01-31"}'),
        ('F2', 'facebook', '@Force', 'https://facebook.com/Force', NULL, NULL, 'Force',
         'retired', 'planner-a', '2026-01-02T03:04:05Z', 'planner-a',
         '2026-01-02T03:04:05Z', 1, NULL);
"#;

/// What the migrated store must read back from [`FEEDS_AT_SCHEMA_4`].
fn feeds_at_schema_4() -> Vec<feedmap::store::StoredFeed> {
    use feedmap::store::{Meta, Ownership, StoredFeed, Verification};
    let meta = |by: &str, at: &str, version| Meta {
        updated_by: by.into(),
        updated_at: at.into(),
        version,
        ..Meta::new("planner-a", "2026-01-02T03:04:05Z")
    };
    vec![
        StoredFeed {
            feed_id: "F1".into(),
            entry: FeedEntry {
                fields: FeedFields {
                    platform: "x".into(),
                    handle: "@Sale".into(),
                    url: "https://x.com/Sale".into(),
                    layer: Some("communities".into()),
                    area_id: Some("C1".into()),
                    name: "Sale \"Moor\"".into(),
                    status: FeedStatus::Active,
                },
                owner: Ownership {
                    team: Some("Sale Team".into()),
                    administrators: vec!["PC One".into(), "PCSO Two".into()],
                    verification: Verification::Verified,
                    verified_on: Some("2026-01-31".into()),
                    ..Ownership::default()
                },
            },
            meta: meta("planner-b", "2026-02-03T04:05:06Z", 3),
        },
        StoredFeed {
            feed_id: "F2".into(),
            entry: FeedEntry {
                fields: FeedFields {
                    platform: "facebook".into(),
                    handle: "@Force".into(),
                    url: "https://facebook.com/Force".into(),
                    layer: None,
                    area_id: None,
                    name: "Force".into(),
                    status: FeedStatus::Retired,
                },
                owner: Ownership::default(),
            },
            meta: meta("planner-a", "2026-01-02T03:04:05Z", 1),
        },
    ]
}

/// After the migration: the same feeds, and writes still check versions.
fn feeds_migrated_to_records(s: &dyn Store) {
    let want = feeds_at_schema_4();
    assert_eq!(s.feeds().unwrap(), want);
    assert_eq!(s.generation().unwrap(), 7);
    let mut entry = want[0].entry.clone();
    entry.fields.name = "Sale Moor".into();
    let after = s
        .update_feed("planner-c", "F1", Expect::Version(3), entry.clone(), None)
        .unwrap();
    assert_eq!(
        (after.meta.version, after.entry.clone()),
        (4, entry.clone())
    );
    assert!(matches!(
        s.update_feed("planner-c", "F1", Expect::Version(3), entry, None),
        Err(StoreError::Stale { .. })
    ));
    assert_eq!(s.feed("F1").unwrap().unwrap(), after);
    // A decision made before suggestions had names reads back unnamed,
    // and takes a name.
    let d = &s.decisions().unwrap()[0];
    assert_eq!((d.note.as_str(), d.name.as_deref()), ("village", None));
    let named = s
        .update_decision(
            "planner-c",
            d.id,
            Expect::Version(1),
            DecisionPatch {
                decision: None,
                note: None,
                name: Some("Sale Moor village".into()),
            },
        )
        .unwrap();
    assert_eq!(named.name.as_deref(), Some("Sale Moor village"));
}

#[test]
fn sqlite_feeds_of_schema_4_become_records() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    rusqlite::Connection::open(data.join("feedmap.sqlite"))
        .unwrap()
        .execute_batch(&FEEDS_AT_SCHEMA_4.replace("{id}", "INTEGER PRIMARY KEY AUTOINCREMENT"))
        .unwrap();
    feeds_migrated_to_records(&*Location::Sqlite(data).open().unwrap());
}

#[test]
#[cfg_attr(
    feedmap_no_postgres,
    ignore = "needs PostgreSQL: set FEEDMAP_TEST_POSTGRES to the URL of a role that may create databases"
)]
fn postgres_feeds_of_schema_4_become_records() {
    let Some(db) = common::postgres("pg_feeds_schema_4") else {
        return;
    };
    ::postgres::Client::connect(&db.url, ::postgres::NoTls)
        .unwrap()
        .batch_execute(&FEEDS_AT_SCHEMA_4.replace(
            "{id}",
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        ))
        .unwrap();
    feeds_migrated_to_records(&*Location::Postgres(db.url.clone()).open().unwrap());
}
