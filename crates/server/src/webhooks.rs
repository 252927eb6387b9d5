//! Change notifications: webhooks that planners register, delivered from
//! the store's audit log.
//!
//! The outbox is the audit log itself (written in the same transaction as
//! every change) plus a cursor per hook in the store, so a delivery is
//! never lost to a restart: after a crash the hook goes on from its cursor
//! and the event in flight is sent again — *at least once, in order per
//! hook*. Receivers tell repeats apart by the event's `seq` (also in the
//! `Feedmap-Delivery` header).
//!
//! Each delivery is one POST of a JSON [`Payload`] signed with the hook's
//! secret: `Feedmap-Signature: t=UNIX_SECONDS,v1=HEX` where `HEX` is
//! HMAC-SHA256 over `UNIX_SECONDS.BODY` ([`signature`]). A 2xx answer
//! moves the cursor on; anything else (or no answer within the timeout) is
//! retried after a delay doubling from [`RetryPolicy::first`] up to
//! [`RetryPolicy::max`], the same event again, so order holds; after
//! [`RetryPolicy::max_failures`] failures in a row the hook is paused (and
//! shown so) until a planner resumes it, when everything queued meanwhile
//! is delivered.
//!
//! Servers sharing a PostgreSQL store take a lease per hook
//! ([`Store::claim_webhooks`]), so one delivers each hook at a time; when
//! a server dies, another takes its hooks when the lease runs out.

use feedmap_domain::changes::Change;
use feedmap_domain::served::Served;
use feedmap_geography::region::Region;
use feedmap_store::{
    AreaKey, Claim, Claims, EventKind, Outcome, Store, StoreError, Webhook, WebhookStatus,
};
use hmac::{KeyInit, Mac};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Feedmap-Signature";
/// The header carrying the event kind.
pub const EVENT_HEADER: &str = "Feedmap-Event";
/// The header carrying `HOOK-SEQ`, the same for every attempt at one
/// event (for receivers to drop repeats).
pub const DELIVERY_HEADER: &str = "Feedmap-Delivery";

/// How deliveries are retried and timed out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// The wait after the first failure; it doubles with each failure
    /// after.
    pub first: Duration,
    /// The longest wait between attempts.
    pub max: Duration,
    /// Failures in a row that pause a hook.
    pub max_failures: u32,
    /// How long a receiver has to answer.
    pub timeout: Duration,
    /// How long a server holds a hook without renewing its lease; another
    /// server sharing the store takes it over after that.
    pub lease: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first: Duration::from_secs(30),
            max: Duration::from_secs(3600),
            max_failures: 10,
            timeout: Duration::from_secs(10),
            lease: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait after the `n`th failure in a row (from 1): `first`,
    /// doubling, at most `max`.
    pub fn delay(&self, n: u32) -> Duration {
        let factor = 1u32 << n.saturating_sub(1).min(20);
        self.first.saturating_mul(factor).min(self.max)
    }
}

/// What a delivery POSTs.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Payload {
    /// The webhook's id.
    pub webhook: i64,
    /// The event: its `seq` orders it and names it.
    pub event: Change,
}

/// What a test delivery (`POST /v1/webhooks/{id}/test`) POSTs, with
/// `Feedmap-Event: ping`, signed as every delivery is.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Ping {
    /// The webhook's id.
    pub webhook: i64,
    /// Always `ping`.
    pub kind: &'static str,
    /// When it was sent (RFC 3339, UTC).
    pub sent_at: String,
}

/// What came of a ping.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PingAnswer {
    /// Whether the receiver answered 2xx.
    pub delivered: bool,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// Milliseconds from sending to its answer (or to giving up).
    pub ms: u64,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// What was sent.
    pub sent: Ping,
}

/// POSTs a signed ping to `hook`, waiting at most `timeout`.
pub async fn ping(hook: &Webhook, secret: &str, timeout: Duration) -> PingAnswer {
    let sent = Ping {
        webhook: hook.id,
        kind: "ping",
        sent_at: feedmap_store::rfc3339_ms(feedmap_store::now_ms()),
    };
    let started = std::time::Instant::now();
    let body = serde_json::to_vec(&sent).unwrap_or_default();
    let now = feedmap_store::now_ms() as u64 / 1000;
    let result = match client(timeout) {
        Ok(c) => c
            .post(&hook.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature(secret, now, &body))
            .header(EVENT_HEADER, "ping")
            .header(
                DELIVERY_HEADER,
                format!("{}-ping-{}", hook.id, feedmap_store::now_ms()),
            )
            .body(body)
            .send()
            .await
            .map_err(|e| failure(e, timeout)),
        Err(e) => Err(format!("no HTTP client: {e}")),
    };
    let ms = started.elapsed().as_millis() as u64;
    match result {
        Ok(r) => PingAnswer {
            delivered: r.status().is_success(),
            status: Some(r.status().as_u16()),
            ms,
            error: (!r.status().is_success())
                .then(|| format!("the receiver answered {}", r.status())),
            sent,
        },
        Err(error) => PingAnswer {
            delivered: false,
            status: None,
            ms,
            error: Some(error),
            sent,
        },
    }
}

/// The HTTP client deliveries and pings are sent with: at most
/// `timeout` for an answer, no redirects followed.
fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!(
            "feedmap/",
            env!("CARGO_PKG_VERSION"),
            " (webhooks)"
        ))
        .build()
}

/// Why a delivery or ping failed, in words (no URL: it may hold a
/// receiver's secret path).
fn failure(e: reqwest::Error, timeout: Duration) -> String {
    let what = if e.is_timeout() {
        format!("no answer within {timeout:?}")
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        "the request failed".to_string()
    };
    format!("{what}: {}", e.without_url())
}

/// The `Feedmap-Signature` value for `body` sent at `timestamp` (Unix
/// seconds): `t=TIMESTAMP,v1=` and the lowercase hex HMAC-SHA256, keyed
/// with the secret's UTF-8 bytes, of `TIMESTAMP.BODY`.
pub fn signature(secret: &str, timestamp: u64, body: &[u8]) -> String {
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

/// A new random secret: 32 bytes from the operating system, hex.
pub fn new_secret() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a secret: {e}"))?;
    Ok(format!(
        "whsec_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// Why a webhook's URL cannot be used, if it cannot: `http://` or
/// `https://` with a host, no user or password in it (put secrets in the
/// signing secret), at most 2,000 characters.
pub fn check_url(url: &str) -> Result<(), String> {
    if url.len() > 2000 {
        return Err(format!("is {} characters; at most 2000", url.len()));
    }
    let u = url::Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!("{url:?} must start with https:// (or http://)"));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(format!("{url:?} has no host"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("must not carry a user name or password".into());
    }
    Ok(())
}

/// Whether `area` (of the event) is `want` or lies, wholly or partly,
/// inside it (a community inside a neighbourhood), in `region`.
fn within(region: &Region, layer: &str, area: &str, want: &AreaKey) -> bool {
    if want.layer == layer && want.id == area {
        return true;
    }
    let (Some((li, l)), Some((pi, p))) = (region.layer(layer), region.layer(&want.layer)) else {
        return false;
    };
    let (Some(ai), Some(pa)) = (l.area_index(area), p.area_index(&want.id)) else {
        return false;
    };
    region
        .relations
        .parents_of(li, ai)
        .iter()
        .any(|r| r.parent_layer == pi && r.parent_area == pa)
}

/// Whether `hook` wants the event `c`: one of its kinds (or it names
/// none) and about one of its areas (or it names none). A feed event is
/// about the area the feed serves and the one it left; a force-wide feed
/// is about every area; a boundary activation is about every area of its
/// layer; a decision about its area and a cluster's members.
pub fn wants(hook: &Webhook, c: &Change, region: &Region) -> bool {
    if !hook.events.is_empty() && !hook.events.contains(&c.kind) {
        return false;
    }
    if hook.areas.is_empty() {
        return true;
    }
    let Some(layer) = c.layer.as_deref() else {
        return true;
    };
    if c.kind == EventKind::BoundaryActivated {
        return hook.areas.iter().any(|a| a.layer == layer);
    }
    let members = c.decision.iter().flat_map(|d| d.members.iter());
    c.area_id
        .iter()
        .chain(c.from_area_id.iter())
        .chain(members)
        .any(|id| hook.areas.iter().any(|a| within(region, layer, id, a)))
}

/// Audit entries read per store query while looking for a hook's events.
const PAGE: usize = 500;
/// Events one hook is sent per pass before the others get their turn.
const PER_PASS: usize = 200;
/// How often the task looks for work without being woken (hooks added or
/// leases freed by other servers).
const IDLE: Duration = Duration::from_secs(5);

/// The delivery task of one server.
pub struct Deliverer {
    store: Arc<dyn Store>,
    policy: RetryPolicy,
    worker: String,
    served: Arc<dyn Fn() -> Arc<Served> + Send + Sync>,
    client: reqwest::Client,
    /// Counts failed attempts (`/metrics`).
    failures: prometheus_client::metrics::counter::Counter,
}

/// Why the delivery task cannot start.
#[derive(Debug, thiserror::Error)]
#[error("webhook delivery: {0}")]
pub struct DeliveryError(String);

/// What one hook's turn came to.
enum Turn {
    /// Caught up (or stopped: lease lost, paused, store failing).
    Done,
    /// More to send: come back at once.
    More,
    /// Failed: try again at this Unix ms.
    RetryAt(i64),
}

impl Deliverer {
    /// A delivery task over `store`, reading the region for area filters
    /// from `served`.
    pub fn new(
        store: Arc<dyn Store>,
        policy: RetryPolicy,
        served: Arc<dyn Fn() -> Arc<Served> + Send + Sync>,
    ) -> Result<Deliverer, DeliveryError> {
        let client =
            client(policy.timeout).map_err(|e| DeliveryError(format!("no HTTP client: {e}")))?;
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|e| DeliveryError(format!("no randomness: {e}")))?;
        Ok(Deliverer {
            store,
            policy,
            worker: format!(
                "pid {} {:016x}",
                std::process::id(),
                u64::from_le_bytes(nonce)
            ),
            served,
            client,
            failures: Default::default(),
        })
    }

    /// The same task, counting its failed attempts in `failures`.
    pub fn counting_failures(
        mut self,
        failures: prometheus_client::metrics::counter::Counter,
    ) -> Deliverer {
        self.failures = failures;
        self
    }

    /// Runs for ever: a pass over the due hooks whenever `wake` says the
    /// store moved on, a retry falls due, or every few seconds.
    pub async fn run(self, mut wake: tokio::sync::watch::Receiver<i64>) {
        let this = Arc::new(self);
        let mut open = true;
        loop {
            let (more, retry) = this.clone().pass().await;
            if more {
                continue;
            }
            let mut wait = IDLE;
            if let Some(at) = retry {
                let ms = (at - feedmap_store::now_ms()).max(0) as u64;
                wait = wait.min(Duration::from_millis(ms));
            }
            if open {
                tokio::select! {
                    r = wake.changed() => open = r.is_ok(),
                    _ = tokio::time::sleep(wait) => {}
                }
            } else {
                tokio::time::sleep(wait).await;
            }
        }
    }

    /// One pass: every due hook this server may deliver, concurrently.
    /// Whether any has more to send now, and when the next hook falls due
    /// (a retry, this server's or another's).
    async fn pass(self: Arc<Self>) -> (bool, Option<i64>) {
        let lease = self.lease_ms();
        let (store, worker) = (self.store.clone(), self.worker.clone());
        let Claims {
            claims,
            next_due_ms,
        } = match tokio::task::spawn_blocking(move || store.claim_webhooks(&worker, lease)).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                tracing::warn!("webhook delivery: reading the store: {e}");
                return (false, None);
            }
            Err(e) => {
                tracing::error!("webhook delivery: {e}");
                return (false, None);
            }
        };
        let turns =
            futures_util::future::join_all(claims.into_iter().map(|c| self.clone().turn(c))).await;
        let more = turns.iter().any(|t| matches!(t, Turn::More));
        let retry = turns
            .iter()
            .filter_map(|t| match t {
                Turn::RetryAt(at) => Some(*at),
                _ => None,
            })
            .chain(next_due_ms)
            .min();
        (more, retry)
    }

    fn lease_ms(&self) -> i64 {
        self.policy.lease.as_millis() as i64
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&*store))
            .await
            .map_err(|e| StoreError::Backend {
                backend: "webhooks",
                message: e.to_string(),
            })?
    }

    /// Records an outcome; whether this server still holds the hook.
    async fn record(&self, id: i64, outcome: Outcome) -> bool {
        let (worker, lease) = (self.worker.clone(), self.lease_ms());
        match self
            .blocking(move |s| s.record_delivery(&worker, id, lease, &outcome))
            .await
        {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(webhook = id, "recording a delivery: {e}");
                false
            }
        }
    }

    /// One hook's turn: its wanted events after its cursor, in order,
    /// until it is caught up, fails, or has had [`PER_PASS`].
    async fn turn(self: Arc<Self>, claim: Claim) -> Turn {
        let Claim { row, secret } = claim;
        let hook = row.hook;
        if hook.status != WebhookStatus::Active {
            return Turn::Done;
        }
        let mut cursor = row.delivery.after_seq;
        let mut failures = row.delivery.failures as u32;
        let mut sent = 0;
        loop {
            let after = cursor;
            let entries = match self.blocking(move |s| s.audit(after, PAGE)).await {
                Ok(e) => e,
                Err(e) => {
                    tracing::warn!(webhook = hook.id, "reading the audit log: {e}");
                    return Turn::Done;
                }
            };
            let served = (self.served)();
            let mut passed = None;
            for e in &entries {
                let event = Change::for_planners(e).filter(|c| wants(&hook, c, served.region()));
                let Some(event) = event else {
                    passed = Some(e.seq);
                    continue;
                };
                let outcome = self.send(&hook, &secret, event, failures).await;
                let failed = match &outcome {
                    Outcome::Failed {
                        retry_at_ms, pause, ..
                    } => Some((*retry_at_ms, pause.is_some())),
                    _ => None,
                };
                if !self.record(hook.id, outcome).await {
                    return Turn::Done;
                }
                match failed {
                    Some((_, true)) => return Turn::Done,
                    Some((at, false)) => return Turn::RetryAt(at),
                    None => {}
                }
                failures = 0;
                passed = None;
                cursor = e.seq;
                sent += 1;
                if sent >= PER_PASS {
                    return Turn::More;
                }
            }
            if let Some(seq) = passed {
                if !self.record(hook.id, Outcome::Passed { seq }).await {
                    return Turn::Done;
                }
                cursor = seq;
            }
            if entries.len() < PAGE {
                return Turn::Done;
            }
        }
    }

    /// POSTs one event; what came of it (`failures`: failures in a row
    /// before this attempt).
    async fn send(&self, hook: &Webhook, secret: &str, event: Change, failures: u32) -> Outcome {
        let seq = event.seq;
        let kind = event.kind;
        let body = match serde_json::to_vec(&Payload {
            webhook: hook.id,
            event,
        }) {
            Ok(b) => b,
            Err(e) => {
                return self.failed(hook, failures, None, format!("serialising: {e}"));
            }
        };
        let now = feedmap_store::now_ms() as u64 / 1000;
        let result = self
            .client
            .post(&hook.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature(secret, now, &body))
            .header(EVENT_HEADER, kind.as_str())
            .header(DELIVERY_HEADER, format!("{}-{seq}", hook.id))
            .body(body)
            .send()
            .await;
        match result {
            Ok(r) if r.status().is_success() => {
                tracing::debug!(webhook = hook.id, seq, "delivered");
                Outcome::Delivered {
                    seq,
                    status: r.status().as_u16() as i64,
                }
            }
            Ok(r) => {
                let status = r.status();
                self.failed(
                    hook,
                    failures,
                    Some(status.as_u16() as i64),
                    format!("the receiver answered {status}"),
                )
            }
            Err(e) => self.failed(hook, failures, None, failure(e, self.policy.timeout)),
        }
    }

    fn failed(&self, hook: &Webhook, failures: u32, status: Option<i64>, error: String) -> Outcome {
        self.failures.inc();
        let n = failures + 1;
        let delay = self.policy.delay(n);
        let pause = (n >= self.policy.max_failures).then(|| {
            format!("paused after {n} failed attempts in a row (the last: {error}); resume it when the receiver is mended")
        });
        match &pause {
            Some(why) => tracing::warn!(webhook = hook.id, "{why}"),
            None => tracing::warn!(
                webhook = hook.id,
                "delivery failed ({error}); attempt {} in {delay:?}",
                n + 1
            ),
        }
        Outcome::Failed {
            status,
            error,
            retry_at_ms: feedmap_store::now_ms() + delay.as_millis() as i64,
            pause,
        }
    }
}
