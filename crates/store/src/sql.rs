//! The store's logic, written once over a minimal SQL interface that both
//! backends implement. The SQL is the common subset of SQLite and
//! PostgreSQL (`$n` placeholders, numbered in order of first use so SQLite
//! binds them by position too; `ON CONFLICT … DO NOTHING`; `RETURNING`), so
//! the two stores cannot drift apart in behaviour.

use super::{ActivityDay, Handover, HandoverStatus, HandoverStep, NewHandover};
use super::{
    AuditEntry, Changes, Confirmation, Decision, DecisionPatch, Dump, Expect, FeedEntry,
    FeedStatus, Meta, Migration, NewDecision, NewRelease, Page, PagePart, ParamSet, Release,
    ReleaseFile, ReleaseStatus, Snapshot, Store, StoreError, StoredFeed,
};
use super::{
    Claim, Claims, DeliveryState, DumpedWebhook, NewWebhook, Outcome, Webhook, WebhookPatch,
    WebhookRow, WebhookStatus,
};
use super::{
    HoldStatus, NewExclusion, NewHold, VoiceCount, VoiceExclusion, VoiceHold, VoiceKind,
    VoiceRecords, VoiceTally, VOICE_ENTITY,
};
use crate::backend::{corrupt, i, ot, t, Arg, Backend, Cell, Dialect, Row, Tx};
use crate::schema;
use crate::DecisionKind;
use serde::Serialize;

/// Who the audit log names for what the delivery task does (a pause
/// after too many failures).
pub(crate) const DELIVERY: &str = "webhook delivery";

/// The store over a backend.
pub(crate) struct SqlStore<B: Backend> {
    pub(crate) backend: B,
}

/// A record's metadata columns, in [`meta_row`]'s order.
const META_COLS: &str = "created_by, created_at, updated_by, updated_at, version";
/// A decision's columns: its own, then [`META_COLS`] from column 8.
const DECISION_COLS: &str = "id, layer, area_id, members, decision, note, params, name";
const PARAM_COLS: &str = "name, query, updated_by, updated_at, version";
const AUDIT_COLS: &str = "seq, at, who, action, entity, entity_id, before, after";

fn decision_row(r: &Row) -> Result<Decision, StoreError> {
    let word = r.text(4)?;
    Ok(Decision {
        id: r.int(0)?,
        layer: r.text(1)?,
        area_id: r.text(2)?,
        members: r.json(3)?.unwrap_or_default(),
        decision: DecisionKind::parse(&word)
            .ok_or_else(|| corrupt("sql", format!("unknown decision {word:?}")))?,
        note: r.text(5)?,
        params: r.opt_text(6)?,
        name: r.opt_text(7)?,
        meta: meta_row(r, 8)?,
    })
}

/// The [`META_COLS`] of a row, from column `first` on.
fn meta_row(r: &Row, first: usize) -> Result<Meta, StoreError> {
    Ok(Meta {
        created_by: r.text(first)?,
        created_at: r.text(first + 1)?,
        updated_by: r.text(first + 2)?,
        updated_at: r.text(first + 3)?,
        version: r.int(first + 4)?,
    })
}

/// The metadata as arguments, in [`META_COLS`]' order.
fn meta_args(m: &Meta) -> [Arg; 5] {
    [
        t(&m.created_by),
        t(&m.created_at),
        t(&m.updated_by),
        t(&m.updated_at),
        i(m.version),
    ]
}

/// A feed row: the stored feed is its `record` (JSON), as written.
fn feed_row(r: &Row) -> Result<StoredFeed, StoreError> {
    r.json(0)?
        .ok_or_else(|| corrupt("sql", "a feed row without its record".into()))
}

fn page_row(r: &Row) -> Result<Page, StoreError> {
    r.json(0)?
        .ok_or_else(|| corrupt("sql", "a page row without its record".into()))
}

fn all_pages(tx: &mut dyn Tx) -> Result<Vec<Page>, StoreError> {
    all(
        tx,
        "SELECT record FROM pages ORDER BY layer, area_id",
        page_row,
    )
}

fn one_page(tx: &mut dyn Tx, layer: &str, area_id: &str) -> Result<Option<Page>, StoreError> {
    tx.query(
        "SELECT record FROM pages WHERE layer = $1 AND area_id = $2",
        &[t(layer), t(area_id)],
    )?
    .first()
    .map(page_row)
    .transpose()
}

fn insert_page(tx: &mut dyn Tx, p: &Page) -> Result<bool, StoreError> {
    let n = tx.exec(
        "INSERT INTO pages (layer, area_id, record, version) VALUES ($1, $2, $3, $4) ON CONFLICT (layer, area_id) DO NOTHING",
        &[t(&p.layer), t(&p.area_id), json_arg(Some(p))?, i(p.meta.version)],
    )?;
    Ok(n == 1)
}

fn param_row(r: &Row) -> Result<ParamSet, StoreError> {
    Ok(ParamSet {
        name: r.text(0)?,
        query: r.text(1)?,
        updated_by: r.text(2)?,
        updated_at: r.text(3)?,
        version: r.int(4)?,
    })
}

fn audit_row(r: &Row) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        seq: r.int(0)?,
        at: r.text(1)?,
        who: r.text(2)?,
        action: r.text(3)?,
        entity: r.text(4)?,
        entity_id: r.text(5)?,
        before: r.json(6)?,
        after: r.json(7)?,
    })
}

fn json_arg<T: Serialize>(v: Option<&T>) -> Result<Arg, StoreError> {
    v.map(|v| serde_json::to_string(v).map_err(|e| corrupt("sql", format!("serialising: {e}"))))
        .transpose()
        .map(Arg::Text)
}

/// Appends to the audit log inside the write's transaction.
#[allow(clippy::too_many_arguments)]
fn audit<B: Serialize, A: Serialize>(
    tx: &mut dyn Tx,
    at: &str,
    who: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<(), StoreError> {
    tx.exec(
        "INSERT INTO audit (at, who, action, entity, entity_id, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[t(at), t(who), t(action), t(entity), t(entity_id), json_arg(before)?, json_arg(after)?],
    )?;
    Ok(())
}

/// Deletes row `id` of `table` (an `entity`) if it is at the expected
/// version, with its `ENTITY.delete` audit entry holding `before`.
#[allow(clippy::too_many_arguments)]
fn delete_at<T: Serialize>(
    tx: &mut dyn Tx,
    at: &str,
    who: &str,
    table: &str,
    entity: &'static str,
    id: i64,
    expect: Expect,
    version: i64,
    before: &T,
) -> Result<(), StoreError> {
    if !expect.holds(version) {
        return Err(stale(entity, id, version));
    }
    let n = tx.exec(
        &format!("DELETE FROM {table} WHERE id = $1 AND version = $2"),
        &[i(id), i(version)],
    )?;
    if n != 1 {
        return Err(stale(entity, id, version));
    }
    audit(
        tx,
        at,
        who,
        &format!("{entity}.delete"),
        entity,
        &id.to_string(),
        Some(before),
        None::<&()>,
    )
}

fn one_decision(tx: &mut dyn Tx, id: i64) -> Result<Option<Decision>, StoreError> {
    tx.query(
        &format!("SELECT {DECISION_COLS}, {META_COLS} FROM decisions WHERE id = $1"),
        &[i(id)],
    )?
    .first()
    .map(decision_row)
    .transpose()
}

fn one_feed(tx: &mut dyn Tx, feed_id: &str) -> Result<Option<StoredFeed>, StoreError> {
    tx.query("SELECT record FROM feeds WHERE feed_id = $1", &[t(feed_id)])?
        .first()
        .map(feed_row)
        .transpose()
}

fn one_param_set(tx: &mut dyn Tx, name: &str) -> Result<Option<ParamSet>, StoreError> {
    tx.query(
        &format!("SELECT {PARAM_COLS} FROM param_sets WHERE name = $1"),
        &[t(name)],
    )?
    .first()
    .map(param_row)
    .transpose()
}

/// An explicit id (imports) as the last argument: SQLite numbers `$n`
/// by first use, so it must come after the others. The column and value
/// to add to the INSERT.
fn id_last(args: &mut Vec<Arg>, id: Option<i64>) -> (&'static str, String) {
    match id {
        Some(id) => {
            args.push(i(id));
            (", id", format!(", ${}", args.len()))
        }
        None => ("", String::new()),
    }
}

fn insert_decision(
    tx: &mut dyn Tx,
    d: &Decision,
    with_id: bool,
) -> Result<Option<i64>, StoreError> {
    let members = json_arg(Some(&d.members))?;
    let mut args = vec![
        t(&d.layer),
        t(&d.area_id),
        members,
        t(d.decision.as_str()),
        t(&d.note),
        ot(d.params.as_deref()),
        ot(d.name.as_deref()),
    ];
    args.extend(meta_args(&d.meta));
    let (col, val) = id_last(&mut args, with_id.then_some(d.id));
    tx.query(
        &format!(
            "INSERT INTO decisions (layer, area_id, members, decision, note, params, name, {META_COLS}{col}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12{val}) ON CONFLICT (layer, area_id) DO NOTHING RETURNING id"
        ),
        &args,
    )?
    .first()
    .map(|r| r.int(0))
    .transpose()
}

fn insert_feed(tx: &mut dyn Tx, f: &StoredFeed) -> Result<bool, StoreError> {
    let n = tx.exec(
        "INSERT INTO feeds (feed_id, record, version) VALUES ($1, $2, $3) ON CONFLICT (feed_id) DO NOTHING",
        &[t(&f.feed_id), json_arg(Some(f))?, i(f.meta.version)],
    )?;
    Ok(n == 1)
}

fn stale(entity: &'static str, id: impl ToString, current: i64) -> StoreError {
    StoreError::Stale {
        entity,
        id: id.to_string(),
        current,
    }
}

fn not_found(entity: &'static str, id: impl ToString) -> StoreError {
    StoreError::NotFound {
        entity,
        id: id.to_string(),
    }
}

impl<B: Backend> SqlStore<B> {
    /// Wraps a backend and brings its schema up to date.
    pub(crate) fn new(backend: B) -> Result<SqlStore<B>, StoreError> {
        backend.transact(true, |tx| schema::migrate(tx, B::DIALECT))?;
        Ok(SqlStore { backend })
    }

    /// A write: bumps the generation first (which also serialises writers
    /// on PostgreSQL), then runs `f`, all in one transaction.
    fn write<T>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.backend.transact(true, |tx| {
            tx.exec(
                "UPDATE meta SET value = value + 1 WHERE key = 'generation'",
                &[],
            )?;
            f(tx)
        })
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.backend.transact(false, f)
    }
}

fn read_generation(tx: &mut dyn Tx) -> Result<i64, StoreError> {
    tx.query("SELECT value FROM meta WHERE key = 'generation'", &[])?
        .first()
        .ok_or_else(|| corrupt("sql", "the generation row is missing".into()))?
        .int(0)
}

fn last_seq(tx: &mut dyn Tx) -> Result<i64, StoreError> {
    tx.query("SELECT COALESCE(MAX(seq), 0) FROM audit", &[])?
        .first()
        .map_or(Ok(0), |r| r.int(0))
}

fn audit_after(tx: &mut dyn Tx, after: i64, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
    tx.query(
        &format!("SELECT {AUDIT_COLS} FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2"),
        &[i(after), i(limit.min(i64::MAX as usize) as i64)],
    )?
    .iter()
    .map(audit_row)
    .collect()
}

fn all_decisions(tx: &mut dyn Tx) -> Result<Vec<Decision>, StoreError> {
    all(
        tx,
        &format!("SELECT {DECISION_COLS}, {META_COLS} FROM decisions ORDER BY id"),
        decision_row,
    )
}

fn all_feeds(tx: &mut dyn Tx) -> Result<Vec<StoredFeed>, StoreError> {
    all(tx, "SELECT record FROM feeds ORDER BY feed_id", feed_row)
}

/// A record kept whole as JSON in its table's `record` column, beside
/// its id, status and version (which the columns hold authoritatively):
/// boundary releases and handovers.
trait JsonRecord: Serialize + serde::de::DeserializeOwned {
    /// Its table.
    const TABLE: &'static str;
    /// Its entity name in errors and the audit log.
    const ENTITY: &'static str;
    /// Id and version.
    fn keys(&self) -> (i64, i64);
    /// Sets id and version from their columns.
    fn set_keys(&mut self, id: i64, version: i64);
    /// The status word its table's `status` column holds.
    fn status(&self) -> &'static str;
}

/// A record type whose `id`, `version` and `status` (with `as_str`)
/// fields are its keys and status word.
macro_rules! json_record {
    ($t:ty, $table:literal, $entity:literal) => {
        impl JsonRecord for $t {
            const TABLE: &'static str = $table;
            const ENTITY: &'static str = $entity;
            fn keys(&self) -> (i64, i64) {
                (self.id, self.meta.version)
            }
            fn set_keys(&mut self, id: i64, version: i64) {
                (self.id, self.meta.version) = (id, version);
            }
            fn status(&self) -> &'static str {
                self.status.as_str()
            }
        }
    };
}

json_record!(Release, "releases", "release");
json_record!(Handover, "handovers", "handover");
json_record!(Webhook, "webhooks", "webhook");

/// The columns [`webhook_row`] reads.
const WEBHOOK_COLS: &str = "id, record, version, after_seq, delivered, failures, next_ms, last_attempt_ms, last_status, last_error, secret";

fn opt_int(r: &Row, i: usize) -> Option<i64> {
    match r.0.get(i) {
        Some(Cell::Int(v)) => Some(*v),
        _ => None,
    }
}

/// A webhook row with its delivery state, and its secret.
fn webhook_row(r: &Row) -> Result<(WebhookRow, String), StoreError> {
    let failures = r.int(5)?;
    let next = r.int(6)?;
    Ok((
        WebhookRow {
            hook: record_row::<Webhook>(r)?,
            delivery: DeliveryState {
                after_seq: r.int(3)?,
                delivered: r.int(4)?,
                failures,
                next_attempt_at: (failures > 0 && next > 0).then(|| super::rfc3339_ms(next)),
                last_attempt_at: opt_int(r, 7).map(super::rfc3339_ms),
                last_status: opt_int(r, 8),
                last_error: r.opt_text(9)?,
            },
        },
        r.text(10)?,
    ))
}

fn one_webhook(tx: &mut dyn Tx, id: i64) -> Result<(WebhookRow, String), StoreError> {
    tx.query(
        &format!("SELECT {WEBHOOK_COLS} FROM webhooks WHERE id = $1"),
        &[i(id)],
    )?
    .first()
    .map(webhook_row)
    .transpose()?
    .ok_or_else(|| not_found("webhook", id))
}

fn all_webhooks(tx: &mut dyn Tx) -> Result<Vec<(WebhookRow, String)>, StoreError> {
    tx.query(
        &format!("SELECT {WEBHOOK_COLS} FROM webhooks ORDER BY id"),
        &[],
    )?
    .iter()
    .map(webhook_row)
    .collect()
}

/// A stored RFC 3339 time back to Unix ms.
fn ms_of(at: &Option<String>) -> Result<Option<i64>, StoreError> {
    at.as_deref()
        .map(|a| {
            super::webhook::ms_of_rfc3339(a)
                .ok_or_else(|| corrupt("sql", format!("{a:?} is not an RFC 3339 time")))
        })
        .transpose()
}

fn insert_webhook(
    tx: &mut dyn Tx,
    h: &Webhook,
    secret: &str,
    d: &DeliveryState,
    with_id: bool,
) -> Result<i64, StoreError> {
    let mut args = vec![
        t(h.status.as_str()),
        json_arg(Some(h))?,
        i(h.meta.version),
        t(secret),
        i(d.after_seq),
        i(d.delivered),
        i(d.failures),
        i(ms_of(&d.next_attempt_at)?.unwrap_or(0)),
        Arg::Int(ms_of(&d.last_attempt_at)?),
        Arg::Int(d.last_status),
        ot(d.last_error.clone()),
    ];
    let (col, val) = id_last(&mut args, with_id.then_some(h.id));
    tx.query(
        &format!(
            "INSERT INTO webhooks (status, record, version, secret, after_seq, delivered, failures, next_ms, last_attempt_ms, last_status, last_error, lease_ms{col}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0{val}) RETURNING id"
        ),
        &args,
    )?
    .first()
    .ok_or_else(|| corrupt("sql", "INSERT … RETURNING gave no row".into()))?
    .int(0)
}

fn record_row<T: JsonRecord>(r: &Row) -> Result<T, StoreError> {
    let mut rec: T = r
        .json(1)?
        .ok_or_else(|| corrupt("sql", format!("a {} record is NULL", T::ENTITY)))?;
    rec.set_keys(r.int(0)?, r.int(2)?);
    Ok(rec)
}

fn all_records<T: JsonRecord>(tx: &mut dyn Tx) -> Result<Vec<T>, StoreError> {
    all(
        tx,
        &format!("SELECT id, record, version FROM {} ORDER BY id", T::TABLE),
        record_row::<T>,
    )
}

fn one_record<T: JsonRecord>(tx: &mut dyn Tx, id: i64) -> Result<T, StoreError> {
    tx.query(
        &format!("SELECT id, record, version FROM {} WHERE id = $1", T::TABLE),
        &[i(id)],
    )?
    .first()
    .map(record_row::<T>)
    .transpose()?
    .ok_or_else(|| not_found(T::ENTITY, id))
}

/// Writes a changed record if it is still at `before`'s version, with its
/// audit entry.
fn save_record<T: JsonRecord>(
    tx: &mut dyn Tx,
    at: &str,
    who: &str,
    action: &str,
    before: &T,
    after: &T,
) -> Result<(), StoreError> {
    let ((id, was), (_, now)) = (before.keys(), after.keys());
    let n = tx.exec(
        &format!(
            "UPDATE {} SET record = $1, status = $2, version = $3 WHERE id = $4 AND version = $5",
            T::TABLE
        ),
        &[
            json_arg(Some(after))?,
            t(after.status()),
            i(now),
            i(id),
            i(was),
        ],
    )?;
    if n != 1 {
        return Err(stale(T::ENTITY, id, was));
    }
    audit(
        tx,
        at,
        who,
        action,
        T::ENTITY,
        &id.to_string(),
        Some(before),
        Some(after),
    )
}

fn files_of(tx: &mut dyn Tx, id: i64) -> Result<Vec<ReleaseFile>, StoreError> {
    tx.query("SELECT files FROM releases WHERE id = $1", &[i(id)])?
        .first()
        .ok_or_else(|| not_found("release", id))?
        .json(0)
        .map(Option::unwrap_or_default)
}

fn releases_with_files(tx: &mut dyn Tx) -> Result<Vec<(Release, Vec<ReleaseFile>)>, StoreError> {
    tx.query(
        "SELECT id, record, version, files FROM releases ORDER BY id",
        &[],
    )?
    .iter()
    .map(|r| Ok((record_row::<Release>(r)?, r.json(3)?.unwrap_or_default())))
    .collect()
}

fn insert_release(
    tx: &mut dyn Tx,
    r: &Release,
    files: &[ReleaseFile],
    with_id: bool,
) -> Result<i64, StoreError> {
    let mut args = vec![
        t(&r.layer),
        i(r.generation),
        t(r.status.as_str()),
        json_arg(Some(r))?,
        json_arg(Some(&files))?,
        i(r.meta.version),
    ];
    let (col, val) = id_last(&mut args, with_id.then_some(r.id));
    tx.query(
        &format!(
            "INSERT INTO releases (layer, generation, status, record, files, version{col}) VALUES ($1, $2, $3, $4, $5, $6{val}) RETURNING id"
        ),
        &args,
    )?
    .first()
    .ok_or_else(|| corrupt("sql", "INSERT … RETURNING gave no row".into()))?
    .int(0)
}

/// Changes a feed inside a write: `change` makes the new entry from the
/// current one. A feed only in the region's file (`file` holds its
/// entry) enters the store at version 0 as the file has it, then changes
/// as usual. `action` overrides the audit action (default `feed.update`,
/// or `feed.retire` when it retires the feed).
#[allow(clippy::too_many_arguments)]
fn change_feed(
    tx: &mut dyn Tx,
    at: &str,
    who: &str,
    feed_id: &str,
    expect: Expect,
    file: Option<&FeedEntry>,
    action: Option<&str>,
    change: impl FnOnce(&FeedEntry) -> FeedEntry,
) -> Result<StoredFeed, StoreError> {
    let before = match one_feed(tx, feed_id)? {
        Some(f) => f,
        None => match file {
            Some(base) => StoredFeed {
                feed_id: feed_id.into(),
                entry: base.clone(),
                meta: Meta {
                    updated_by: "feed file".into(),
                    version: 0,
                    ..Meta::new(who, at)
                },
            },
            None => return Err(not_found("feed", feed_id)),
        },
    };
    if !expect.holds(before.meta.version) {
        return Err(stale("feed", feed_id, before.meta.version));
    }
    let entry = change(&before.entry);
    let retired = |e: &FeedEntry| e.fields.status == FeedStatus::Retired;
    let action = action.unwrap_or(if retired(&entry) && !retired(&before.entry) {
        "feed.retire"
    } else {
        "feed.update"
    });
    let after = StoredFeed {
        feed_id: before.feed_id.clone(),
        entry,
        meta: before.meta.changed(who, at),
    };
    if before.meta.version == 0 {
        if !insert_feed(tx, &after)? {
            return Err(stale("feed", feed_id, 1));
        }
    } else {
        let n = tx.exec(
            "UPDATE feeds SET record = $1, version = $2 WHERE feed_id = $3 AND version = $4",
            &[
                json_arg(Some(&after))?,
                i(after.meta.version),
                t(feed_id),
                i(before.meta.version),
            ],
        )?;
        if n != 1 {
            return Err(stale("feed", feed_id, before.meta.version));
        }
    }
    audit(
        tx,
        at,
        who,
        action,
        "feed",
        feed_id,
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

fn insert_handover(tx: &mut dyn Tx, h: &Handover, with_id: bool) -> Result<i64, StoreError> {
    let mut args = vec![
        t(&h.feed_id),
        t(h.status.as_str()),
        json_arg(Some(h))?,
        i(h.meta.version),
    ];
    let (col, val) = id_last(&mut args, with_id.then_some(h.id));
    tx.query(
        &format!(
            "INSERT INTO handovers (feed_id, status, record, version{col}) VALUES ($1, $2, $3, $4{val}) RETURNING id"
        ),
        &args,
    )?
    .first()
    .ok_or_else(|| corrupt("sql", "INSERT … RETURNING gave no row".into()))?
    .int(0)
}

/// An open handover, checked at the expected version, ready to change.
fn open_handover(tx: &mut dyn Tx, id: i64, expect: Expect) -> Result<Handover, StoreError> {
    let h = one_record::<Handover>(tx, id)?;
    if h.status != HandoverStatus::Open {
        return Err(StoreError::Conflict {
            entity: "handover",
            id: id.to_string(),
            reason: format!("it is {}, not open", h.status.as_str()),
        });
    }
    if !expect.holds(h.meta.version) {
        return Err(stale("handover", id, h.meta.version));
    }
    Ok(h)
}

fn activity_row(r: &Row) -> Result<ActivityDay, StoreError> {
    Ok(ActivityDay {
        feed_id: r.text(0)?,
        date: r.text(1)?,
        posts: r.int(2)?,
        followers: match r.0.get(3) {
            Some(Cell::Int(v)) => Some(*v),
            _ => None,
        },
    })
}

fn all_activity(tx: &mut dyn Tx) -> Result<Vec<ActivityDay>, StoreError> {
    all(
        tx,
        "SELECT feed_id, day, posts, followers FROM activity ORDER BY feed_id, day",
        activity_row,
    )
}

fn upsert_activity(tx: &mut dyn Tx, days: &[ActivityDay]) -> Result<(), StoreError> {
    for d in days {
        tx.exec(
            "INSERT INTO activity (feed_id, day, posts, followers) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (feed_id, day) DO UPDATE SET posts = excluded.posts, followers = excluded.followers",
            &[t(&d.feed_id), t(&d.date), i(d.posts), Arg::Int(d.followers)],
        )?;
    }
    Ok(())
}

/// A count's key: layer, area, bucket, hold, kind, value.
type CountKey<'a> = (&'a str, &'a str, i64, i64, VoiceKind, &'a str);

const COUNT_COLS: &str = "layer, area_id, bucket, hold, kind, value, n";
const HOLD_COLS: &str =
    "id, layer, area_id, since, detected, attempts, usual, status, decided_at, version";
const EXCLUSION_COLS: &str = "id, layer, area_id, start_s, end_s, reason, at";

/// The most count rows one INSERT carries (7 parameters each, well under
/// SQLite's and PostgreSQL's limits).
const COUNT_ROWS: usize = 128;

/// The upsert of `rows` count rows (a power of two up to [`COUNT_ROWS`]):
/// each row's `n` is added to the stored one. Built once per size, so the
/// SQLite statement cache sees at most eight distinct statements.
fn count_upsert(rows: usize) -> &'static str {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| {
        (0..=COUNT_ROWS.trailing_zeros())
            .map(|p| {
                let values: Vec<String> = (0..1usize << p)
                    .map(|r| {
                        let b = r * 7;
                        format!(
                            "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                            b + 1,
                            b + 2,
                            b + 3,
                            b + 4,
                            b + 5,
                            b + 6,
                            b + 7
                        )
                    })
                    .collect();
                format!(
                    "INSERT INTO voice_counts ({COUNT_COLS}) VALUES {} \
                     ON CONFLICT (layer, area_id, bucket, hold, kind, value) \
                     DO UPDATE SET n = voice_counts.n + excluded.n",
                    values.join(", ")
                )
            })
            .collect()
    });
    &all[rows.trailing_zeros() as usize]
}

/// Adds each key's `n` to its stored count (creating it), in as few
/// statements as the sizes allow; keys must be distinct (PostgreSQL
/// refuses to update one row twice in a statement).
fn add_counts(tx: &mut dyn Tx, counts: &[(CountKey<'_>, i64)]) -> Result<(), StoreError> {
    let mut rest = counts;
    while !rest.is_empty() {
        // The largest power of two that fits.
        let size = 1usize << (usize::BITS - 1 - rest.len().min(COUNT_ROWS).leading_zeros());
        let (chunk, tail) = rest.split_at(size);
        let mut args = Vec::with_capacity(size * 7);
        for ((layer, area, bucket, hold, kind, value), n) in chunk {
            args.extend([
                t(*layer),
                t(*area),
                i(*bucket),
                i(*hold),
                t(kind.as_str()),
                t(*value),
                i(*n),
            ]);
        }
        tx.exec(count_upsert(size), &args)?;
        rest = tail;
    }
    Ok(())
}

/// Sums counts per key, in key order.
fn summed<'a>(rows: impl IntoIterator<Item = (CountKey<'a>, i64)>) -> Vec<(CountKey<'a>, i64)> {
    let mut sums: std::collections::BTreeMap<CountKey<'a>, i64> = Default::default();
    for (k, n) in rows {
        *sums.entry(k).or_insert(0) += n;
    }
    sums.into_iter().collect()
}

fn count_row(r: &Row) -> Result<VoiceCount, StoreError> {
    let word = r.text(4)?;
    Ok(VoiceCount {
        layer: r.text(0)?,
        area_id: r.text(1)?,
        bucket: r.int(2)?,
        hold: r.int(3)?,
        kind: VoiceKind::parse(&word)
            .ok_or_else(|| corrupt("sql", format!("unknown voice kind {word:?}")))?,
        value: r.text(5)?,
        n: r.int(6)?,
    })
}

fn hold_row(r: &Row) -> Result<VoiceHold, StoreError> {
    let usual = r.text(6)?;
    let status = r.text(7)?;
    Ok(VoiceHold {
        id: r.int(0)?,
        layer: r.text(1)?,
        area_id: r.text(2)?,
        since: r.int(3)?,
        detected: r.int(4)?,
        attempts: r.int(5)?,
        usual: usual.parse().map_err(|_| {
            corrupt(
                "sql",
                format!("a hold's usual rate {usual:?} is not a number"),
            )
        })?,
        status: HoldStatus::parse(&status)
            .ok_or_else(|| corrupt("sql", format!("unknown hold status {status:?}")))?,
        decided_at: r.opt_text(8)?,
        version: r.int(9)?,
    })
}

fn exclusion_row(r: &Row) -> Result<VoiceExclusion, StoreError> {
    Ok(VoiceExclusion {
        id: r.int(0)?,
        layer: r.text(1)?,
        area_id: r.text(2)?,
        from: r.int(3)?,
        to: r.int(4)?,
        reason: r.text(5)?,
        at: r.text(6)?,
    })
}

/// Every count, hold and exclusion. Counts are sorted here, not by the
/// database, so both backends give one order whatever their collation.
fn all_voice(tx: &mut dyn Tx) -> Result<VoiceRecords, StoreError> {
    let mut counts = all(
        tx,
        &format!("SELECT {COUNT_COLS} FROM voice_counts"),
        count_row,
    )?;
    counts.sort_unstable_by(|a, b| {
        (&a.layer, &a.area_id, a.bucket, a.hold, a.kind, &a.value)
            .cmp(&(&b.layer, &b.area_id, b.bucket, b.hold, b.kind, &b.value))
    });
    Ok(VoiceRecords {
        counts,
        holds: all(
            tx,
            &format!("SELECT {HOLD_COLS} FROM voice_holds ORDER BY id"),
            hold_row,
        )?,
        exclusions: all(
            tx,
            &format!("SELECT {EXCLUSION_COLS} FROM voice_exclusions ORDER BY id"),
            exclusion_row,
        )?,
    })
}

fn one_hold(tx: &mut dyn Tx, id: i64) -> Result<VoiceHold, StoreError> {
    tx.query(
        &format!("SELECT {HOLD_COLS} FROM voice_holds WHERE id = $1"),
        &[i(id)],
    )?
    .first()
    .map(hold_row)
    .transpose()?
    .ok_or_else(|| not_found("voice hold", id))
}

fn insert_hold(tx: &mut dyn Tx, h: &VoiceHold, with_id: bool) -> Result<i64, StoreError> {
    let mut args = vec![
        t(&h.layer),
        t(&h.area_id),
        i(h.since),
        i(h.detected),
        i(h.attempts),
        t(h.usual.to_string()),
        t(h.status.as_str()),
        ot(h.decided_at.as_deref()),
        i(h.version),
    ];
    let (col, val) = id_last(&mut args, with_id.then_some(h.id));
    tx.query(
        &format!(
            "INSERT INTO voice_holds (layer, area_id, since, detected, attempts, usual, status, decided_at, version{col}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9{val}) RETURNING id"
        ),
        &args,
    )?
    .first()
    .ok_or_else(|| corrupt("sql", "INSERT … RETURNING gave no row".into()))?
    .int(0)
}

fn insert_exclusion(tx: &mut dyn Tx, x: &VoiceExclusion, with_id: bool) -> Result<i64, StoreError> {
    let mut args = vec![
        t(&x.layer),
        t(&x.area_id),
        i(x.from),
        i(x.to),
        t(&x.reason),
        t(&x.at),
    ];
    let (col, val) = id_last(&mut args, with_id.then_some(x.id));
    tx.query(
        &format!(
            "INSERT INTO voice_exclusions (layer, area_id, start_s, end_s, reason, at{col}) \
             VALUES ($1, $2, $3, $4, $5, $6{val}) RETURNING id"
        ),
        &args,
    )?
    .first()
    .ok_or_else(|| corrupt("sql", "INSERT … RETURNING gave no row".into()))?
    .int(0)
}

/// Records an exclusion window with its `voice.window_excluded` audit entry.
fn exclude_window(
    tx: &mut dyn Tx,
    at: &str,
    who: &str,
    new: NewExclusion,
) -> Result<VoiceExclusion, StoreError> {
    let mut x = VoiceExclusion {
        id: 0,
        layer: new.layer,
        area_id: new.area_id,
        from: new.from,
        to: new.to,
        reason: new.reason,
        at: at.into(),
    };
    x.id = insert_exclusion(tx, &x, false)?;
    audit(
        tx,
        at,
        who,
        "voice.window_excluded",
        VOICE_ENTITY,
        &VoiceExclusion::key(x.id),
        None::<&()>,
        Some(&x),
    )?;
    Ok(x)
}

fn all<T>(
    tx: &mut dyn Tx,
    sql: &str,
    f: fn(&Row) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    tx.query(sql, &[])?.iter().map(f).collect()
}

impl<B: Backend> Store for SqlStore<B> {
    fn describe(&self) -> String {
        self.backend.describe()
    }

    fn is_shared(&self) -> bool {
        B::SHARED
    }

    fn generation(&self) -> Result<i64, StoreError> {
        self.read(read_generation)
    }

    fn decisions(&self) -> Result<Vec<Decision>, StoreError> {
        self.read(all_decisions)
    }

    fn decision(&self, id: i64) -> Result<Option<Decision>, StoreError> {
        self.read(|tx| one_decision(tx, id))
    }

    fn create_decision(&self, who: &str, new: NewDecision) -> Result<Decision, StoreError> {
        let at = super::now();
        self.write(|tx| {
            let mut d = Decision {
                id: 0,
                layer: new.layer,
                area_id: new.area_id,
                members: new.members,
                decision: new.decision,
                note: new.note,
                name: new.name,
                params: new.params,
                meta: Meta::new(who, &at),
            };
            match insert_decision(tx, &d, false)? {
                Some(id) => d.id = id,
                None => {
                    let existing = tx
                        .query(
                            "SELECT id FROM decisions WHERE layer = $1 AND area_id = $2",
                            &[t(&d.layer), t(&d.area_id)],
                        )?
                        .first()
                        .map(|r| r.int(0))
                        .transpose()?;
                    return Err(StoreError::Exists {
                        entity: "decision",
                        id: format!("for {}/{}", d.layer, d.area_id),
                        existing,
                    });
                }
            }
            audit(
                tx,
                &at,
                who,
                "decision.create",
                "decision",
                &d.id.to_string(),
                None::<&()>,
                Some(&d),
            )?;
            Ok(d)
        })
    }

    fn update_decision(
        &self,
        who: &str,
        id: i64,
        expect: Expect,
        patch: DecisionPatch,
    ) -> Result<Decision, StoreError> {
        let at = super::now();
        self.write(|tx| {
            let before = one_decision(tx, id)?.ok_or_else(|| not_found("decision", id))?;
            if !expect.holds(before.meta.version) {
                return Err(stale("decision", id, before.meta.version));
            }
            let mut after = before.clone();
            if let Some(k) = patch.decision {
                after.decision = k;
            }
            if let Some(n) = patch.note {
                after.note = n;
            }
            if let Some(n) = patch.name {
                after.name = (!n.is_empty()).then_some(n);
            }
            after.meta = before.meta.changed(who, &at);
            let n = tx.exec(
                "UPDATE decisions SET decision = $1, note = $2, name = $3, updated_by = $4, updated_at = $5, version = $6 WHERE id = $7 AND version = $8",
                &[
                    t(after.decision.as_str()),
                    t(&after.note),
                    ot(after.name.as_deref()),
                    t(who),
                    t(&at),
                    i(after.meta.version),
                    i(id),
                    i(before.meta.version),
                ],
            )?;
            if n != 1 {
                return Err(stale("decision", id, before.meta.version));
            }
            audit(tx, &at, who, "decision.update", "decision", &id.to_string(), Some(&before), Some(&after))?;
            Ok(after)
        })
    }

    fn delete_decision(&self, who: &str, id: i64, expect: Expect) -> Result<Decision, StoreError> {
        let at = super::now();
        self.write(|tx| {
            let before = one_decision(tx, id)?.ok_or_else(|| not_found("decision", id))?;
            delete_at(
                tx,
                &at,
                who,
                "decisions",
                "decision",
                id,
                expect,
                before.meta.version,
                &before,
            )?;
            Ok(before)
        })
    }

    fn feeds(&self) -> Result<Vec<StoredFeed>, StoreError> {
        self.read(all_feeds)
    }

    fn feed(&self, feed_id: &str) -> Result<Option<StoredFeed>, StoreError> {
        self.read(|tx| one_feed(tx, feed_id))
    }

    fn create_feed(
        &self,
        who: &str,
        feed_id: &str,
        entry: FeedEntry,
    ) -> Result<StoredFeed, StoreError> {
        let at = super::now();
        self.write(|tx| {
            let f = StoredFeed {
                feed_id: feed_id.into(),
                entry,
                meta: Meta::new(who, &at),
            };
            if !insert_feed(tx, &f)? {
                return Err(StoreError::Exists {
                    entity: "feed",
                    id: feed_id.into(),
                    existing: None,
                });
            }
            audit(
                tx,
                &at,
                who,
                "feed.create",
                "feed",
                feed_id,
                None::<&()>,
                Some(&f),
            )?;
            Ok(f)
        })
    }

    fn update_feed(
        &self,
        who: &str,
        feed_id: &str,
        expect: Expect,
        entry: FeedEntry,
        file: Option<&FeedEntry>,
    ) -> Result<StoredFeed, StoreError> {
        let at = super::now();
        self.write(|tx| change_feed(tx, &at, who, feed_id, expect, file, None, |_| entry))
    }

    fn param_set(&self, name: &str) -> Result<Option<ParamSet>, StoreError> {
        self.read(|tx| one_param_set(tx, name))
    }

    fn set_param_set(
        &self,
        who: &str,
        name: &str,
        expect: Expect,
        query: &str,
    ) -> Result<ParamSet, StoreError> {
        let at = super::now();
        self.write(|tx| {
            let before = one_param_set(tx, name)?;
            let current = before.as_ref().map_or(0, |p| p.version);
            if !expect.holds(current) {
                return Err(stale("params", name, current));
            }
            let after = ParamSet {
                name: name.into(),
                query: query.into(),
                updated_by: who.into(),
                updated_at: at.clone(),
                version: current + 1,
            };
            let n = if before.is_some() {
                tx.exec(
                    "UPDATE param_sets SET query = $1, updated_by = $2, updated_at = $3, version = $4 WHERE name = $5 AND version = $6",
                    &[t(query), t(who), t(&at), i(after.version), t(name), i(current)],
                )?
            } else {
                tx.exec(
                    &format!("INSERT INTO param_sets ({PARAM_COLS}) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING"),
                    &[t(name), t(query), t(who), t(&at), i(after.version)],
                )?
            };
            if n != 1 {
                return Err(stale("params", name, current));
            }
            audit(tx, &at, who, "params.set", "params", name, before.as_ref(), Some(&after))?;
            Ok(after)
        })
    }

    fn pages(&self) -> Result<Vec<Page>, StoreError> {
        self.read(all_pages)
    }

    fn set_page(
        &self,
        who: &str,
        layer: &str,
        area_id: &str,
        expect: Expect,
        part: PagePart,
    ) -> Result<Page, StoreError> {
        let at = super::now();
        let key = Page::key(layer, area_id);
        self.write(|tx| {
            let before = one_page(tx, layer, area_id)?;
            let current = before.as_ref().map_or(0, |p| p.meta.version);
            if !expect.holds(current) {
                return Err(stale("page", &key, current));
            }
            let action = part.action();
            let mut after = match &before {
                Some(b) => Page {
                    meta: b.meta.changed(who, &at),
                    ..b.clone()
                },
                None => Page {
                    layer: layer.into(),
                    area_id: area_id.into(),
                    people: Vec::new(),
                    priorities: Vec::new(),
                    meta: Meta::new(who, &at),
                },
            };
            part.apply(&mut after);
            let written = if before.is_some() {
                tx.exec(
                    "UPDATE pages SET record = $1, version = $2 WHERE layer = $3 AND area_id = $4 AND version = $5",
                    &[json_arg(Some(&after))?, i(after.meta.version), t(layer), t(area_id), i(current)],
                )? == 1
            } else {
                insert_page(tx, &after)?
            };
            if !written {
                return Err(stale("page", &key, current));
            }
            audit(tx, &at, who, action, "page", &key, before.as_ref(), Some(&after))?;
            Ok(after)
        })
    }

    fn releases(&self) -> Result<Vec<Release>, StoreError> {
        self.read(all_records::<Release>)
    }

    fn release_files(&self, id: i64) -> Result<Vec<ReleaseFile>, StoreError> {
        self.read(|tx| files_of(tx, id))
    }

    fn stage_release(&self, who: &str, new: NewRelease) -> Result<Release, StoreError> {
        let at = super::now();
        self.write(|tx| {
            let highest = tx
                .query(
                    "SELECT COALESCE(MAX(generation), 1) FROM releases WHERE layer = $1",
                    &[t(&new.layer)],
                )?
                .first()
                .map_or(Ok(1), |r| r.int(0))?;
            let mut r = Release {
                id: 0,
                layer: new.layer,
                generation: highest + 1,
                follows: new.follows,
                label: new.label,
                status: ReleaseStatus::Staged,
                valid_from: None,
                id_property: new.id_property,
                name_property: new.name_property,
                files: new.files.iter().map(|f| f.name.clone()).collect(),
                confirmations: Default::default(),
                migrations: Vec::new(),
                meta: Meta::new(who, &at),
            };
            r.id = insert_release(tx, &r, &new.files, false)?;
            audit(
                tx,
                &at,
                who,
                "release.stage",
                "release",
                &r.id.to_string(),
                None::<&()>,
                Some(&r),
            )?;
            Ok(r)
        })
    }

    fn confirm_successor(
        &self,
        who: &str,
        release: i64,
        subject: &str,
        expect: Expect,
        to: Option<String>,
    ) -> Result<Release, StoreError> {
        let at = super::now();
        self.write(|tx| {
            let before = one_record::<Release>(tx, release)?;
            if before.status != ReleaseStatus::Staged {
                return Err(StoreError::Conflict {
                    entity: "release",
                    id: release.to_string(),
                    reason: "successors can be chosen only while it is staged".into(),
                });
            }
            let current = before.confirmations.get(subject).map_or(0, |c| c.version);
            if !expect.holds(current) {
                return Err(stale("proposal", subject, current));
            }
            let mut after = before.clone();
            after.confirmations.insert(
                subject.into(),
                Confirmation {
                    to,
                    by: who.into(),
                    at: at.clone(),
                    version: current + 1,
                },
            );
            after.meta = before.meta.changed(who, &at);
            save_record(tx, &at, who, "release.confirm", &before, &after)?;
            Ok(after)
        })
    }

    fn activate_release(
        &self,
        who: &str,
        release: i64,
        expect: Expect,
        valid_from: &str,
        migrations: &[Migration],
        may_follow: &crate::ActivationRule,
    ) -> Result<Release, StoreError> {
        let at = super::now();
        self.write(|tx| {
            let before = one_record::<Release>(tx, release)?;
            let conflict = |reason: String| StoreError::Conflict {
                entity: "release",
                id: release.to_string(),
                reason,
            };
            if before.status != ReleaseStatus::Staged {
                return Err(conflict(format!(
                    "it is {}, not staged",
                    before.status.as_str()
                )));
            }
            if !expect.holds(before.meta.version) {
                return Err(stale("release", release, before.meta.version));
            }
            let active: Vec<Release> = all_records::<Release>(tx)?
                .into_iter()
                .filter(|r| r.layer == before.layer && r.status == ReleaseStatus::Active)
                .collect();
            may_follow(&before, &active, valid_from).map_err(conflict)?;
            let mut after = before.clone();
            after.status = ReleaseStatus::Active;
            after.valid_from = Some(valid_from.into());
            after.migrations = migrations.to_vec();
            after.meta = before.meta.changed(who, &at);
            save_record(tx, &at, who, "release.activate", &before, &after)?;
            for m in migrations {
                audit(
                    tx,
                    &at,
                    who,
                    "release.migrate",
                    "migration",
                    &m.subject,
                    Some(&serde_json::json!({ "layer": before.layer, "area": m.from, "generation": before.follows })),
                    Some(&serde_json::json!({ "layer": before.layer, "area": m.to, "generation": before.generation, "release": release, "valid_from": valid_from })),
                )?;
            }
            Ok(after)
        })
    }

    fn withdraw_release(
        &self,
        who: &str,
        release: i64,
        expect: Expect,
    ) -> Result<Release, StoreError> {
        let at = super::now();
        self.write(|tx| {
            let before = one_record::<Release>(tx, release)?;
            if before.status != ReleaseStatus::Staged {
                return Err(StoreError::Conflict {
                    entity: "release",
                    id: release.to_string(),
                    reason: "only a staged release can be withdrawn".into(),
                });
            }
            if !expect.holds(before.meta.version) {
                return Err(stale("release", release, before.meta.version));
            }
            let mut after = before.clone();
            after.status = ReleaseStatus::Withdrawn;
            after.meta = before.meta.changed(who, &at);
            save_record(tx, &at, who, "release.withdraw", &before, &after)?;
            Ok(after)
        })
    }

    fn handovers(&self) -> Result<Vec<Handover>, StoreError> {
        self.read(all_records::<Handover>)
    }

    fn start_handover(
        &self,
        who: &str,
        new: NewHandover,
        current: &FeedEntry,
    ) -> Result<Handover, StoreError> {
        let at = super::now();
        self.write(|tx| {
            let open = tx.query(
                "SELECT id FROM handovers WHERE feed_id = $1 AND status = 'open'",
                &[t(&new.feed_id)],
            )?;
            if let Some(r) = open.first() {
                return Err(StoreError::Conflict {
                    entity: "feed",
                    id: new.feed_id.clone(),
                    reason: format!(
                        "handover {} is already open; complete or cancel it first",
                        r.int(0)?
                    ),
                });
            }
            let owner = match one_feed(tx, &new.feed_id)? {
                Some(f) => f.entry.owner,
                None => current.owner.clone(),
            };
            let mut h = Handover {
                id: 0,
                feed_id: new.feed_id,
                status: HandoverStatus::Open,
                from_team: owner.team,
                from_administrators: owner.administrators,
                to_team: new.to_team,
                to_administrators: new.to_administrators,
                note: new.note,
                steps: Default::default(),
                meta: Meta::new(who, &at),
            };
            h.id = insert_handover(tx, &h, false)?;
            audit(
                tx,
                &at,
                who,
                "handover.start",
                "handover",
                &h.id.to_string(),
                None::<&()>,
                Some(&h),
            )?;
            Ok(h)
        })
    }

    fn confirm_handover_step(
        &self,
        who: &str,
        id: i64,
        step: HandoverStep,
        expect: Expect,
        current: &FeedEntry,
        rules: &dyn super::HandoverRules,
    ) -> Result<(Handover, Option<StoredFeed>), StoreError> {
        let at = super::now();
        self.write(|tx| {
            let before = open_handover(tx, id, expect)?;
            let mut after = rules.confirm(&before, step, who, &at);
            after.meta = before.meta.changed(who, &at);
            let done = after.status == HandoverStatus::Completed;
            let action = if done {
                "handover.complete"
            } else {
                "handover.step"
            };
            save_record(tx, &at, who, action, &before, &after)?;
            let feed = if done {
                Some(change_feed(
                    tx,
                    &at,
                    who,
                    &after.feed_id,
                    Expect::Any,
                    Some(current),
                    Some("feed.handover"),
                    |f| rules.hand_over(&after, f, &at),
                )?)
            } else {
                None
            };
            Ok((after, feed))
        })
    }

    fn cancel_handover(&self, who: &str, id: i64, expect: Expect) -> Result<Handover, StoreError> {
        let at = super::now();
        self.write(|tx| {
            let before = open_handover(tx, id, expect)?;
            let mut after = before.clone();
            after.status = HandoverStatus::Cancelled;
            after.meta = before.meta.changed(who, &at);
            save_record(tx, &at, who, "handover.cancel", &before, &after)?;
            Ok(after)
        })
    }

    fn activity(&self) -> Result<Vec<ActivityDay>, StoreError> {
        self.read(all_activity)
    }

    fn record_activity(
        &self,
        who: &str,
        source: &str,
        days: &[ActivityDay],
    ) -> Result<usize, StoreError> {
        let at = super::now();
        self.write(|tx| {
            upsert_activity(tx, days)?;
            audit(
                tx,
                &at,
                who,
                "activity.record",
                "activity",
                source,
                None::<&()>,
                Some(&serde_json::json!({ "days": days })),
            )?;
            Ok(days.len())
        })
    }

    fn snapshot(&self) -> Result<Snapshot, StoreError> {
        self.read(|tx| {
            Ok(Snapshot {
                generation: read_generation(tx)?,
                seq: last_seq(tx)?,
                decisions: all_decisions(tx)?,
                feeds: all_feeds(tx)?,
                default_params: one_param_set(tx, "default")?,
                releases: releases_with_files(tx)?,
                handovers: all_records(tx)?,
                activity: all_activity(tx)?,
                pages: all_pages(tx)?,
            })
        })
    }

    fn changes(&self, after: i64, limit: usize) -> Result<Changes, StoreError> {
        self.read(|tx| {
            Ok(Changes {
                generation: read_generation(tx)?,
                entries: audit_after(tx, after, limit)?,
            })
        })
    }

    fn last_seq(&self) -> Result<i64, StoreError> {
        self.read(last_seq)
    }

    fn audit(&self, after: i64, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.read(|tx| audit_after(tx, after, limit))
    }

    fn webhooks(&self) -> Result<Vec<WebhookRow>, StoreError> {
        self.read(|tx| Ok(all_webhooks(tx)?.into_iter().map(|(r, _)| r).collect()))
    }

    fn webhook(&self, id: i64) -> Result<Option<WebhookRow>, StoreError> {
        self.read(|tx| match one_webhook(tx, id) {
            Ok((r, _)) => Ok(Some(r)),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        })
    }

    fn webhook_with_secret(&self, id: i64) -> Result<Option<Claim>, StoreError> {
        self.read(|tx| match one_webhook(tx, id) {
            Ok((row, secret)) => Ok(Some(Claim { row, secret })),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        })
    }

    fn create_webhook(&self, who: &str, new: NewWebhook) -> Result<WebhookRow, StoreError> {
        let at = super::now();
        self.write(|tx| {
            let mut hook = Webhook {
                id: 0,
                url: new.url,
                events: new.events,
                areas: new.areas,
                description: new.description,
                status: WebhookStatus::Active,
                paused_reason: None,
                meta: Meta::new(who, &at),
            };
            let delivery = DeliveryState {
                after_seq: last_seq(tx)?,
                ..DeliveryState::default()
            };
            hook.id = insert_webhook(tx, &hook, &new.secret, &delivery, false)?;
            audit(
                tx,
                &at,
                who,
                "webhook.create",
                "webhook",
                &hook.id.to_string(),
                None::<&()>,
                Some(&hook),
            )?;
            Ok(WebhookRow { hook, delivery })
        })
    }

    fn update_webhook(
        &self,
        who: &str,
        id: i64,
        expect: Expect,
        patch: WebhookPatch,
    ) -> Result<WebhookRow, StoreError> {
        let at = super::now();
        self.write(|tx| {
            let (row, _) = one_webhook(tx, id)?;
            let before = row.hook;
            if !expect.holds(before.meta.version) {
                return Err(stale("webhook", id, before.meta.version));
            }
            let mut after = before.clone();
            after.url = patch.url.unwrap_or(after.url);
            after.events = patch.events.unwrap_or(after.events);
            after.areas = patch.areas.unwrap_or(after.areas);
            after.description = patch.description.unwrap_or(after.description);
            let resumed = match patch.status {
                Some((WebhookStatus::Active, _)) => {
                    let was_paused = after.status == WebhookStatus::Paused;
                    after.status = WebhookStatus::Active;
                    after.paused_reason = None;
                    was_paused
                }
                Some((WebhookStatus::Paused, reason)) => {
                    after.status = WebhookStatus::Paused;
                    after.paused_reason = reason;
                    false
                }
                None => false,
            };
            after.meta = before.meta.changed(who, &at);
            let action = match (before.status, after.status) {
                (WebhookStatus::Active, WebhookStatus::Paused) => "webhook.pause",
                (WebhookStatus::Paused, WebhookStatus::Active) => "webhook.resume",
                _ => "webhook.update",
            };
            save_record(tx, &at, who, action, &before, &after)?;
            if let Some(secret) = &patch.secret {
                tx.exec("UPDATE webhooks SET secret = $1 WHERE id = $2", &[t(secret), i(id)])?;
            }
            // Resumed, or pointed somewhere new: try at once, failures
            // cleared.
            if resumed || after.url != before.url {
                tx.exec(
                    "UPDATE webhooks SET failures = 0, next_ms = 0, last_error = NULL WHERE id = $1",
                    &[i(id)],
                )?;
            }
            Ok(one_webhook(tx, id)?.0)
        })
    }

    fn delete_webhook(&self, who: &str, id: i64, expect: Expect) -> Result<Webhook, StoreError> {
        let at = super::now();
        self.write(|tx| {
            let before = one_webhook(tx, id)?.0.hook;
            delete_at(
                tx,
                &at,
                who,
                "webhooks",
                "webhook",
                id,
                expect,
                before.meta.version,
                &before,
            )?;
            Ok(before)
        })
    }

    fn claim_webhooks(&self, worker: &str, lease_ms: i64) -> Result<Claims, StoreError> {
        let now = super::now_ms();
        // A store only one server opens (SQLite) needs no lease to wait
        // for: a server restarted after a crash goes on at once.
        let free = if B::SHARED {
            "AND (leased_by IS NULL OR leased_by = $1 OR lease_ms < $3)"
        } else {
            ""
        };
        // No generation bump: a lease changes nothing anyone reads.
        self.backend.transact(true, |tx| {
            let ids = tx.query(
                &format!(
                    "UPDATE webhooks SET leased_by = $1, lease_ms = $2 \
                     WHERE status = 'active' AND next_ms <= $3 {free} \
                     AND after_seq < (SELECT COALESCE(MAX(seq), 0) FROM audit) RETURNING id"
                ),
                &[t(worker), i(now + lease_ms), i(now)],
            )?;
            let mut claims = Vec::with_capacity(ids.len());
            for r in &ids {
                let (row, secret) = one_webhook(tx, r.int(0)?)?;
                claims.push(Claim { row, secret });
            }
            claims.sort_by_key(|c| c.row.hook.id);
            let next_due_ms = match tx
                .query(
                    "SELECT MIN(next_ms) FROM webhooks WHERE status = 'active' AND next_ms > $1",
                    &[i(now)],
                )?
                .first()
            {
                Some(r) => opt_int(r, 0),
                None => None,
            };
            Ok(Claims {
                claims,
                next_due_ms,
            })
        })
    }

    fn record_delivery(
        &self,
        worker: &str,
        id: i64,
        lease_ms: i64,
        outcome: &Outcome,
    ) -> Result<bool, StoreError> {
        let now = super::now_ms();
        let lease = i(now + lease_ms);
        let (set, mut args) = match outcome {
            Outcome::Delivered { seq, status } => (
                "after_seq = $1, delivered = delivered + 1, failures = 0, next_ms = 0, \
                 last_attempt_ms = $2, last_status = $3, last_error = NULL, lease_ms = $4",
                vec![i(*seq), i(now), i(*status), lease],
            ),
            Outcome::Passed { seq } => ("after_seq = $1, lease_ms = $2", vec![i(*seq), lease]),
            // A pause gives the lease up: the hook is nobody's until resumed.
            Outcome::Failed {
                status,
                error,
                retry_at_ms,
                pause,
            } => (
                if pause.is_some() {
                    "failures = failures + 1, next_ms = $1, last_attempt_ms = $2, \
                     last_status = $3, last_error = $4, leased_by = NULL, lease_ms = $5"
                } else {
                    "failures = failures + 1, next_ms = $1, last_attempt_ms = $2, \
                     last_status = $3, last_error = $4, lease_ms = $5"
                },
                vec![
                    i(*retry_at_ms),
                    i(now),
                    Arg::Int(*status),
                    t(error),
                    if pause.is_some() { i(0) } else { lease },
                ],
            ),
        };
        // SQLite binds `$n` by position: the row's id and the lease holder
        // come last, numbered after the values set. A hook paused or
        // removed meanwhile stops its turn (what was just delivered is sent
        // again on resuming: at least once).
        let k = args.len();
        args.extend([i(id), t(worker)]);
        let sql = format!(
            "UPDATE webhooks SET {set} WHERE id = ${} AND leased_by = ${} AND status = 'active'",
            k + 1,
            k + 2
        );
        let n = match outcome {
            Outcome::Failed {
                pause: Some(reason),
                ..
            } => {
                let at = super::now();
                self.write(|tx| {
                    let n = tx.exec(&sql, &args)?;
                    if n == 1 {
                        let before = one_webhook(tx, id)?.0.hook;
                        let mut after = before.clone();
                        after.status = WebhookStatus::Paused;
                        after.paused_reason = Some(reason.clone());
                        after.meta = before.meta.changed(DELIVERY, &at);
                        save_record(tx, &at, DELIVERY, "webhook.pause", &before, &after)?;
                    }
                    Ok(n)
                })?
            }
            // Not audited and no new generation: delivery progress changes
            // nothing anyone else reads.
            _ => self.backend.transact(true, |tx| tx.exec(&sql, &args))?,
        };
        Ok(n == 1)
    }

    fn record_voice(&self, tallies: &[VoiceTally]) -> Result<(), StoreError> {
        let counts = summed(tallies.iter().flat_map(|t| {
            t.cells.iter().map(move |c| {
                (
                    (
                        t.layer.as_str(),
                        t.area_id.as_str(),
                        t.bucket,
                        t.hold,
                        c.kind,
                        c.value.as_str(),
                    ),
                    1,
                )
            })
        }));
        if counts.is_empty() {
            return Ok(());
        }
        // No generation bump and no audit entry: answers are anonymous,
        // and counts are followed apart from the snapshot. Returns once
        // committed (SQLite: synchronous = FULL), so durable.
        self.backend.transact(true, |tx| {
            if B::DIALECT == Dialect::Postgres {
                // Batches of answers run side by side, but never beside a
                // write (which updates this row first): a hold released
                // meanwhile cannot deadlock with them or miss their rows.
                // (SQLite has one writer at a time anyway.)
                tx.query(
                    "SELECT value FROM meta WHERE key = 'generation' FOR SHARE",
                    &[],
                )?;
            }
            add_counts(tx, &counts)
        })
    }

    fn voice(&self) -> Result<VoiceRecords, StoreError> {
        self.read(all_voice)
    }

    fn hold_voice(&self, who: &str, new: NewHold) -> Result<VoiceHold, StoreError> {
        let at = super::now();
        self.write(|tx| {
            let open = tx.query(
                "SELECT id FROM voice_holds WHERE layer = $1 AND area_id = $2 AND status = 'held'",
                &[t(&new.layer), t(&new.area_id)],
            )?;
            if let Some(r) = open.first() {
                return Err(StoreError::Conflict {
                    entity: "voice area",
                    id: format!("{}/{}", new.layer, new.area_id),
                    reason: format!(
                        "hold {} is already open; release or exclude it first",
                        r.int(0)?
                    ),
                });
            }
            let mut h = VoiceHold {
                id: 0,
                layer: new.layer,
                area_id: new.area_id,
                since: new.since,
                detected: new.detected,
                attempts: new.attempts,
                usual: if new.usual.is_finite() {
                    new.usual
                } else {
                    0.0
                },
                status: HoldStatus::Held,
                decided_at: None,
                version: 1,
            };
            h.id = insert_hold(tx, &h, false)?;
            audit(
                tx,
                &at,
                who,
                "voice.held",
                VOICE_ENTITY,
                &VoiceHold::key(h.id),
                None::<&()>,
                Some(&h),
            )?;
            Ok(h)
        })
    }

    fn decide_voice_hold(
        &self,
        who: &str,
        id: i64,
        expect: Expect,
        release: bool,
        now: i64,
    ) -> Result<(VoiceHold, Option<VoiceExclusion>), StoreError> {
        let at = super::now();
        self.write(|tx| {
            let before = one_hold(tx, id)?;
            if before.status != HoldStatus::Held {
                return Err(StoreError::Conflict {
                    entity: "voice hold",
                    id: id.to_string(),
                    reason: format!(
                        "it is {} already, not held; only a held area can be decided",
                        before.status.as_str()
                    ),
                });
            }
            if !expect.holds(before.version) {
                return Err(stale("voice hold", id, before.version));
            }
            let after = VoiceHold {
                status: if release {
                    HoldStatus::Released
                } else {
                    HoldStatus::Excluded
                },
                decided_at: Some(at.clone()),
                version: before.version + 1,
                ..before.clone()
            };
            let n = tx.exec(
                "UPDATE voice_holds SET status = $1, decided_at = $2, version = $3 WHERE id = $4 AND version = $5",
                &[
                    t(after.status.as_str()),
                    ot(after.decided_at.as_deref()),
                    i(after.version),
                    i(id),
                    i(before.version),
                ],
            )?;
            if n != 1 {
                return Err(stale("voice hold", id, before.version));
            }
            let action = if release {
                // Its answers count from now on: summed into the area's
                // rows under no hold. The rows moved are exactly those
                // deleted (one statement: on PostgreSQL an INSERT … SELECT
                // then a DELETE could each see different rows); `hold <> 0`
                // lets the partial index find them.
                let moved = tx.query(
                    "DELETE FROM voice_counts WHERE hold = $1 AND hold <> 0 \
                     RETURNING layer, area_id, bucket, kind, value, n",
                    &[i(id)],
                )?;
                let moved = moved
                    .iter()
                    .map(|r| {
                        let word = r.text(3)?;
                        let kind = VoiceKind::parse(&word).ok_or_else(|| {
                            corrupt("sql", format!("unknown voice kind {word:?}"))
                        })?;
                        Ok((r.text(0)?, r.text(1)?, r.int(2)?, kind, r.text(4)?, r.int(5)?))
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                add_counts(
                    tx,
                    &summed(moved.iter().map(|(layer, area, bucket, kind, value, n)| {
                        ((layer.as_str(), area.as_str(), *bucket, 0, *kind, value.as_str()), *n)
                    })),
                )?;
                "voice.released"
            } else {
                "voice.excluded"
            };
            audit(
                tx,
                &at,
                who,
                action,
                VOICE_ENTITY,
                &VoiceHold::key(id),
                Some(&before),
                Some(&after),
            )?;
            let window = if release {
                None
            } else {
                Some(exclude_window(
                    tx,
                    &at,
                    who,
                    NewExclusion {
                        layer: after.layer.clone(),
                        area_id: after.area_id.clone(),
                        from: after.since,
                        to: now.max(after.since),
                        reason: format!(
                            "a burst of answers held for review at {} was left out by a planner",
                            humantime::format_rfc3339_seconds(
                                std::time::UNIX_EPOCH
                                    + std::time::Duration::from_secs(after.detected.max(0) as u64)
                            )
                        ),
                    },
                )?)
            };
            Ok((after, window))
        })
    }

    fn exclude_voice(&self, who: &str, new: NewExclusion) -> Result<VoiceExclusion, StoreError> {
        let at = super::now();
        self.write(|tx| exclude_window(tx, &at, who, new))
    }

    fn restore_voice(&self, who: &str, id: i64) -> Result<VoiceExclusion, StoreError> {
        let at = super::now();
        self.write(|tx| {
            let x = tx
                .query(
                    &format!("SELECT {EXCLUSION_COLS} FROM voice_exclusions WHERE id = $1"),
                    &[i(id)],
                )?
                .first()
                .map(exclusion_row)
                .transpose()?
                .ok_or_else(|| not_found("voice exclusion", id))?;
            if tx.exec("DELETE FROM voice_exclusions WHERE id = $1", &[i(id)])? != 1 {
                return Err(not_found("voice exclusion", id));
            }
            audit(
                tx,
                &at,
                who,
                "voice.window_restored",
                VOICE_ENTITY,
                &VoiceExclusion::key(id),
                Some(&x),
                None::<&()>,
            )?;
            Ok(x)
        })
    }

    fn export(&self) -> Result<Dump, StoreError> {
        self.read(|tx| {
            let generation = tx
                .query("SELECT value FROM meta WHERE key = 'generation'", &[])?
                .first()
                .map(|r| r.int(0))
                .transpose()?
                .unwrap_or(0);
            let voice = all_voice(tx)?;
            Ok(Dump {
                format: dump::FORMAT.into(),
                version: dump::VERSION,
                exported_at: super::now(),
                generation,
                decisions: all_decisions(tx)?,
                feeds: all_feeds(tx)?,
                param_sets: all(
                    tx,
                    &format!("SELECT {PARAM_COLS} FROM param_sets ORDER BY name"),
                    param_row,
                )?,
                audit: all(
                    tx,
                    &format!("SELECT {AUDIT_COLS} FROM audit ORDER BY seq"),
                    audit_row,
                )?,
                releases: releases_with_files(tx)?
                    .into_iter()
                    .map(|(release, files)| dump::DumpedRelease { release, files })
                    .collect(),
                handovers: all_records(tx)?,
                activity: all_activity(tx)?,
                pages: all_pages(tx)?,
                voice_counts: voice.counts,
                voice_holds: voice.holds,
                voice_exclusions: voice.exclusions,
                webhooks: all_webhooks(tx)?
                    .into_iter()
                    .map(|(r, secret)| DumpedWebhook {
                        hook: r.hook,
                        secret,
                        delivery: r.delivery,
                    })
                    .collect(),
            })
        })
    }

    fn import(&self, dump: &Dump) -> Result<(), StoreError> {
        dump.check()?;
        self.write(|tx| {
            let mut held = Vec::new();
            for table in [
                "decisions",
                "feeds",
                "param_sets",
                "audit",
                "releases",
                "handovers",
                "activity",
                "webhooks",
                "pages",
                "voice_counts",
                "voice_holds",
                "voice_exclusions",
            ] {
                let n = tx
                    .query(&format!("SELECT COUNT(*) FROM {table}"), &[])?
                    .first()
                    .map(|r| r.int(0))
                    .transpose()?
                    .unwrap_or(0);
                if n > 0 {
                    held.push(format!("{n} {table}"));
                }
            }
            if !held.is_empty() {
                return Err(StoreError::NotEmpty(held.join(", ")));
            }
            for d in &dump.decisions {
                if insert_decision(tx, d, true)?.is_none() {
                    return Err(StoreError::Exists {
                        entity: "decision",
                        id: format!("for {}/{} (twice in the dump)", d.layer, d.area_id),
                        existing: Some(d.id),
                    });
                }
            }
            for f in &dump.feeds {
                if !insert_feed(tx, f)? {
                    return Err(StoreError::Exists {
                        entity: "feed",
                        id: format!("{} (twice in the dump)", f.feed_id),
                        existing: None,
                    });
                }
            }
            for p in &dump.param_sets {
                tx.exec(
                    &format!("INSERT INTO param_sets ({PARAM_COLS}) VALUES ($1, $2, $3, $4, $5)"),
                    &[
                        t(&p.name),
                        t(&p.query),
                        t(&p.updated_by),
                        t(&p.updated_at),
                        i(p.version),
                    ],
                )?;
            }
            for a in &dump.audit {
                tx.exec(
                    &format!(
                        "INSERT INTO audit ({AUDIT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                    ),
                    &[
                        i(a.seq),
                        t(&a.at),
                        t(&a.who),
                        t(&a.action),
                        t(&a.entity),
                        t(&a.entity_id),
                        json_arg(a.before.as_ref())?,
                        json_arg(a.after.as_ref())?,
                    ],
                )?;
            }
            for r in &dump.releases {
                insert_release(tx, &r.release, &r.files, true)?;
            }
            for h in &dump.handovers {
                insert_handover(tx, h, true)?;
            }
            upsert_activity(tx, &dump.activity)?;
            for w in &dump.webhooks {
                insert_webhook(tx, &w.hook, &w.secret, &w.delivery, true)?;
            }
            for p in &dump.pages {
                if !insert_page(tx, p)? {
                    return Err(StoreError::Exists {
                        entity: "page",
                        id: format!("{} (twice in the dump)", Page::key(&p.layer, &p.area_id)),
                        existing: None,
                    });
                }
            }
            for h in &dump.voice_holds {
                insert_hold(tx, h, true)?;
            }
            for x in &dump.voice_exclusions {
                insert_exclusion(tx, x, true)?;
            }
            add_counts(
                tx,
                &summed(dump.voice_counts.iter().map(|c| {
                    (
                        (
                            c.layer.as_str(),
                            c.area_id.as_str(),
                            c.bucket,
                            c.hold,
                            c.kind,
                            c.value.as_str(),
                        ),
                        c.n,
                    )
                })),
            )?;
            tx.exec(
                "UPDATE meta SET value = value + $1 WHERE key = 'generation'",
                &[i(dump.generation.max(0))],
            )?;
            schema::after_import(tx, B::DIALECT)
        })
    }
}

use super::dump;
