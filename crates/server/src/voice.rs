//! The public question's desk: where answers are counted, throttled and
//! watched for bursts (the rules of an answer are the domain's
//! [`feedmap_domain::voice`]).
//!
//! - **Counted, not collected.** An answer becomes a [`VoiceTally`]: the
//!   cells it adds 1 to in one small area and one time bucket. The
//!   postcode, the point, the address and the text as typed are dropped
//!   before anything is written.
//! - **Group commit.** One writer thread takes every tally waiting and
//!   records them in one transaction ([`Store::record_voice`]); each
//!   answer is acknowledged only once its transaction committed, so an
//!   acknowledged answer survives a crash, and a busy server writes many
//!   answers per commit.
//! - **Per-client limits without identity** ([`ClientLimit`]): a client is
//!   known only by a keyed hash (HMAC-SHA256) of its address, the key made
//!   at random in memory, replaced at every UTC midnight, never written.
//! - **Bursts** ([`Bursts`]): an area whose attempts in a window jump far
//!   above its usual rate is held; its answers wait for a planner.

use crate::config::QuestionSettings;
use feedmap_domain::voice::Ledger;
use feedmap_store::{NewHold, Store, StoreError, VoiceHold, VoiceTally};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{mpsc, Arc, Mutex, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

/// Most tallies written in one transaction.
const MAX_BATCH: usize = 512;

/// Most clients remembered in one day; past it the day's counts start
/// again (logged), so memory stays bounded whatever arrives.
const MAX_CLIENTS: usize = 1_000_000;

/// Unix seconds now.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// What the writer thread is asked to do.
enum Job {
    /// Record one answer; say when it is durable.
    Count(
        VoiceTally,
        tokio::sync::oneshot::Sender<Result<(), StoreError>>,
    ),
    /// Read everything again from the store (holds or exclusions changed,
    /// or another server wrote), in order with the counting.
    Reload(tokio::sync::oneshot::Sender<Result<(), StoreError>>),
}

/// Everything the public question needs beyond the served region.
pub struct Desk {
    settings: QuestionSettings,
    ledger: Arc<RwLock<Ledger>>,
    jobs: Mutex<mpsc::Sender<Job>>,
    limit: ClientLimit,
    bursts: Bursts,
}

/// Why an answer was not counted.
#[derive(Debug, thiserror::Error)]
pub enum CountError {
    /// This client answered too often today.
    #[error("this client has answered {0} times today")]
    Throttled(u32),
    /// The store failed; nothing was counted.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The writer is gone (the server is stopping).
    #[error("the server is stopping")]
    Stopping,
}

impl Desk {
    /// Reads the store's counts, holds and exclusions and starts the
    /// writer thread.
    pub fn new(store: Arc<dyn Store>, settings: QuestionSettings) -> Result<Desk, StoreError> {
        let ledger = Arc::new(RwLock::new(Ledger::new(store.voice()?)));
        let (tx, rx) = mpsc::channel();
        let l = ledger.clone();
        std::thread::Builder::new()
            .name("feedmap-question".into())
            .spawn(move || write_loop(&*store, &l, rx))
            .map_err(|e| StoreError::Backend {
                backend: "voice",
                message: format!("cannot start the answer writer: {e}"),
            })?;
        Ok(Desk {
            limit: ClientLimit::new(settings.per_client),
            bursts: Bursts::default(),
            settings,
            ledger,
            jobs: Mutex::new(tx),
        })
    }

    /// The settings.
    pub fn settings(&self) -> &QuestionSettings {
        &self.settings
    }

    /// Reads the ledger.
    pub fn ledger(&self) -> std::sync::RwLockReadGuard<'_, Ledger> {
        self.ledger.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The start of the bucket `t` (unix s) falls in.
    pub fn bucket(&self, t: i64) -> i64 {
        let b = self.settings.bucket.as_secs().max(1) as i64;
        t - t.rem_euclid(b)
    }

    /// The client an answer comes from: the peer, or when the peer is a
    /// trusted proxy the right-most `X-Forwarded-For` address that is not
    /// one.
    pub fn client(&self, peer: Option<IpAddr>, forwarded: Option<&str>) -> Option<IpAddr> {
        let trusted = |ip: &IpAddr| self.settings.trusted_proxies.contains(ip);
        let mut client = peer?;
        if trusted(&client) {
            if let Some(list) = forwarded {
                for hop in list.rsplit(',') {
                    match hop.trim().parse::<IpAddr>() {
                        Ok(ip) => {
                            client = ip;
                            if !trusted(&ip) {
                                break;
                            }
                        }
                        Err(_) => break,
                    }
                }
            }
        }
        Some(client)
    }

    /// Notes an attempt to answer in `layer`/`area_id` at `now` and says
    /// whether it makes a burst that should hold the area (none when the
    /// area is already held): the hold to record.
    pub fn attempt(&self, layer: &str, area_id: &str, now: i64) -> Option<NewHold> {
        let window = self.settings.burst_window.as_secs().max(1) as i64;
        let attempts = self.bursts.note(layer, area_id, now, window);
        if attempts < i64::from(self.settings.burst_min) {
            return None;
        }
        let ledger = self.ledger();
        if ledger.open_hold(layer, area_id).is_some() {
            return None;
        }
        // The area's usual attempts per window: its counted answers over
        // the four weeks before this window.
        let usual = ledger.rate(layer, area_id, now - 28 * 86_400, now - window) * window as f64;
        if (attempts as f64) < self.settings.burst_factor * usual {
            return None;
        }
        Some(NewHold {
            layer: layer.to_string(),
            area_id: area_id.to_string(),
            since: self.bursts.started(layer, area_id).unwrap_or(now),
            detected: now,
            attempts,
            usual,
        })
    }

    /// Whether this client may answer again today; counts the answer.
    pub fn admit(&self, client: Option<IpAddr>) -> Result<(), CountError> {
        match client {
            Some(ip) => self.limit.admit(ip, unix_now()),
            None => Ok(()),
        }
    }

    /// Starts the area's burst window again, after a planner decided its
    /// hold.
    pub fn decided(&self, layer: &str, area_id: &str) {
        self.bursts.reset(layer, area_id);
    }

    /// The first and last instants (unix s) of the whole buckets holding
    /// `[from, to)`: an exclusion leaves whole buckets out.
    pub fn whole_buckets(&self, from: i64, to: i64) -> (i64, i64) {
        let len = self.settings.bucket.as_secs().max(1) as i64;
        (self.bucket(from), self.bucket(to - 1) + len)
    }

    /// The open hold of an area, if any.
    pub fn open_hold(&self, layer: &str, area_id: &str) -> Option<VoiceHold> {
        self.ledger().open_hold(layer, area_id).cloned()
    }

    /// Counts one answer: returns once it is durable in the store.
    pub async fn count(&self, tally: VoiceTally) -> Result<(), CountError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(Job::Count(tally, tx))?;
        rx.await.map_err(|_| CountError::Stopping)??;
        Ok(())
    }

    /// Reads the store again (after a hold, a release or an exclusion,
    /// or to see other servers' answers), in order with the answers being
    /// counted.
    pub async fn reload(&self) -> Result<(), CountError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(Job::Reload(tx))?;
        rx.await.map_err(|_| CountError::Stopping)??;
        Ok(())
    }

    fn send(&self, job: Job) -> Result<(), CountError> {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(job)
            .map_err(|_| CountError::Stopping)
    }
}

/// The writer thread: takes every job waiting, records the answers among
/// them in one transaction, then answers each.
fn write_loop(store: &dyn Store, ledger: &RwLock<Ledger>, rx: mpsc::Receiver<Job>) {
    let mut tallies = Vec::with_capacity(MAX_BATCH);
    let mut waiting = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Count(t, done) => {
                    tallies.push(t);
                    waiting.push(done);
                }
                Job::Reload(done) => {
                    // Answers before it are written first, so the read
                    // sees them.
                    flush(store, ledger, &mut tallies, &mut waiting);
                    let r = store.voice().map(|records| {
                        *ledger.write().unwrap_or_else(|e| e.into_inner()) = Ledger::new(records);
                    });
                    let _ = done.send(r);
                }
            }
            if tallies.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        flush(store, ledger, &mut tallies, &mut waiting);
    }
}

fn flush(
    store: &dyn Store,
    ledger: &RwLock<Ledger>,
    tallies: &mut Vec<VoiceTally>,
    waiting: &mut Vec<tokio::sync::oneshot::Sender<Result<(), StoreError>>>,
) {
    if tallies.is_empty() {
        return;
    }
    let r = store.record_voice(tallies);
    match &r {
        Ok(()) => ledger
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .apply(tallies),
        Err(e) => tracing::error!(answers = tallies.len(), "question: counting failed: {e}"),
    }
    for done in waiting.drain(..) {
        let _ = done.send(match &r {
            Ok(()) => Ok(()),
            Err(e) => Err(StoreError::Backend {
                backend: "voice",
                message: e.to_string(),
            }),
        });
    }
    tallies.clear();
}

/// Answers per client per UTC day, keyed by a keyed hash of the client's
/// address. The key is made at random in memory and replaced at every
/// UTC midnight; neither keys nor addresses are ever written.
pub struct ClientLimit {
    per_day: u32,
    day: Mutex<Day>,
}

struct Day {
    number: i64,
    key: ClientKey,
    counts: HashMap<u64, u32>,
}

impl ClientLimit {
    /// At most `per_day` answers per client a day (0: no limit).
    pub fn new(per_day: u32) -> ClientLimit {
        ClientLimit {
            per_day,
            day: Mutex::new(Day {
                number: i64::MIN,
                key: ClientKey::new(),
                counts: HashMap::new(),
            }),
        }
    }

    /// Counts one answer of `client` at `now` (unix s); refused when it
    /// has given `per_day` already today.
    pub fn admit(&self, client: IpAddr, now: i64) -> Result<(), CountError> {
        if self.per_day == 0 {
            return Ok(());
        }
        let mut day = self.day.lock().unwrap_or_else(|e| e.into_inner());
        let today = now.div_euclid(86_400);
        if day.number != today || day.counts.len() >= MAX_CLIENTS {
            if day.number == today {
                tracing::warn!(
                    "question: {MAX_CLIENTS} clients answered today; the per-client counts start again"
                );
            }
            *day = Day {
                number: today,
                key: ClientKey::new(),
                counts: HashMap::new(),
            };
        }
        let h = day.key.of(client);
        let n = day.counts.entry(h).or_insert(0);
        if *n >= self.per_day {
            return Err(CountError::Throttled(*n));
        }
        *n += 1;
        Ok(())
    }
}

/// Attempts per area in the current window (in memory; a restart starts
/// the windows again).
#[derive(Default)]
pub struct Bursts {
    windows: Mutex<HashMap<(String, String), Window>>,
}

struct Window {
    /// First attempt of the window, unix s.
    start: i64,
    attempts: i64,
}

impl Bursts {
    /// Notes an attempt at `now`; the attempts in the area's window so far
    /// (a window starts at the first attempt after the last one ended).
    pub fn note(&self, layer: &str, area_id: &str, now: i64, window: i64) -> i64 {
        let mut w = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if w.len() > 100_000 {
            w.retain(|_, v| now - v.start < window);
        }
        let e = w
            .entry((layer.to_string(), area_id.to_string()))
            .or_insert(Window {
                start: now,
                attempts: 0,
            });
        if now - e.start >= window {
            *e = Window {
                start: now,
                attempts: 0,
            };
        }
        e.attempts += 1;
        e.attempts
    }

    /// Forgets the area's window (a planner decided its hold: what they
    /// released or excluded is not counted again towards a burst).
    fn reset(&self, layer: &str, area_id: &str) {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(layer.to_string(), area_id.to_string()));
    }

    /// When the area's current window started.
    pub fn started(&self, layer: &str, area_id: &str) -> Option<i64> {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(layer.to_string(), area_id.to_string()))
            .map(|w| w.start)
    }
}

/// A day's key for naming clients: 32 bytes from the operating system's
/// random source, held only in memory. A client is named by the first 8
/// bytes of HMAC-SHA256(key, its address): without the key, which is
/// never written and is replaced at midnight, nothing links the name to
/// the address, nor one day's names to another's.
struct ClientKey([u8; 32]);

impl ClientKey {
    fn new() -> ClientKey {
        let mut key = [0u8; 32];
        if let Err(e) = getrandom::fill(&mut key) {
            // No randomness: a key from the clock and the process is
            // still never written, but say so.
            tracing::warn!(
                "question: no randomness for the day's client key ({e}); using the clock"
            );
            let t = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            key[..16].copy_from_slice(&t.to_le_bytes());
            key[16..20].copy_from_slice(&std::process::id().to_le_bytes());
        }
        ClientKey(key)
    }

    /// The client's name for the day.
    fn of(&self, client: IpAddr) -> u64 {
        use hmac::{KeyInit, Mac};
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.0)
            .expect("HMAC takes a key of any length");
        match client {
            IpAddr::V4(a) => mac.update(&a.octets()),
            IpAddr::V6(a) => mac.update(&a.octets()),
        }
        let out = mac.finalize().into_bytes();
        u64::from_le_bytes(out[..8].try_into().expect("32 bytes"))
    }
}
