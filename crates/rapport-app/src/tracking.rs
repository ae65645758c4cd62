//! The tracking API's use cases (`docs/tracking.md`): ingesting Segment calls
//! under a write key, recording the import contract's activities under one,
//! and creating, listing and revoking write keys.
//!
//! **Group commit.** Every request's calls go to one writer thread through a
//! bounded queue; the writer takes whatever requests are waiting and applies
//! them in one store transaction (synchronous = FULL: on disk when it
//! commits), then answers each. A request is acknowledged only after its
//! transaction committed and the engine followed it, so the next read sees
//! it. When more events wait than the queue holds, a request is refused
//! (`Overloaded`, the API's 429) before anything of it is queued: no event is
//! ever dropped after it was accepted.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use rapport_core::{Activity, ExternalId, Timestamp};
use rapport_ingest::segment::{self, BodyError, EventMapping, Received};
use rapport_store::tracking::{TrackedBatch, TrackedOutcome, TrackedWrite, WriteKey};
use rapport_store::{Store, StoreError, WriteOutcome};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{App, AppError, AppResult, lock};
use rapport_store::audit::{AuditAction, AuditDraft};

/// What a surface names when it calls [`App::ingest_tracking`].
pub use rapport_ingest::segment::{CallType, Endpoint, MAX_BATCH_BYTES, MAX_EVENT_BYTES};

/// How many events may wait for the writer before requests are refused.
pub const MAX_QUEUED_EVENTS: usize = 200_000;
/// The most events one transaction takes (several requests' worth).
const MAX_GROUP_EVENTS: usize = 50_000;
/// How long a message id is remembered for de-duplication unless set: a
/// retry within it counts once (Segment keeps at least 24 hours).
pub const DEFAULT_DEDUPE_DAYS: u32 = 7;
/// How often the writer forgets the message ids older than the window.
const PRUNE_EVERY_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;
/// A write key's visible beginning: `rk_` and four hex digits.
const PREFIX_CHARS: usize = 7;

/// Why a tracking request was refused whole.
#[derive(Debug, thiserror::Error)]
pub enum TrackingError {
    /// No write key, or one that is unknown or revoked.
    #[error("{0}")]
    Unauthorized(String),
    /// The body is not a Segment call, or breaks a size limit.
    #[error(transparent)]
    Body(#[from] BodyError),
    /// More events wait for the writer than it holds: try again shortly.
    #[error("{queued} events are waiting to be written; try again in a second")]
    Overloaded { queued: usize },
    /// The transaction failed (`busy`: another process held the database).
    #[error("{message}")]
    Write { busy: bool, message: String },
    #[error(transparent)]
    App(#[from] AppError),
}

/// What the API answers a tracking request: Segment's `{"success": true}`,
/// with what became of each event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrackingReceipt {
    pub success: bool,
    /// Events applied (activities, users, contacts, accounts written).
    pub recorded: usize,
    /// Activities of users without an account yet, stored when one is named.
    pub held: usize,
    /// Events the mapping does not use (kept for de-duplication only).
    pub ignored: usize,
    /// Events whose `messageId` was seen before: not applied again.
    pub duplicates: usize,
    /// Events refused, each with its index and the field at fault.
    pub errors: Vec<EventRejection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventRejection {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    pub reason: String,
}

/// Who sends contract activities: a write key (as the header or body gave
/// it), or a signed-in person, who may send only for the accounts they see.
#[derive(Debug, Clone, Copy)]
pub enum ActivitySender<'a> {
    WriteKey(Option<&'a str>),
    Person(&'a rapport_core::access::Person),
}

/// What recording contract activities answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivitiesReceipt {
    pub inserted: usize,
    /// Already stored (the same `id`, or the same content without one).
    pub unchanged: usize,
    pub rejected: Vec<EventRejection>,
}

/// A new write key: the secret, shown this once, and the key as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewWriteKey {
    pub key: String,
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: Timestamp,
}

/// A write key as listed (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WriteKeyListing {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

impl From<WriteKey> for WriteKeyListing {
    fn from(key: WriteKey) -> Self {
        WriteKeyListing {
            id: key.id,
            name: key.name,
            prefix: key.prefix,
            created_at: key.created_at,
            revoked_at: key.revoked_at,
        }
    }
}

/// The application's tracking state: the mapping in force, the writer and
/// how many events may wait for it.
pub struct TrackingState {
    mapping: RwLock<Arc<EventMapping>>,
    writer: OnceLock<Writer>,
    queue_limit: AtomicUsize,
    /// The de-duplication window in milliseconds, read by the writer.
    dedupe_window_ms: Arc<AtomicI64>,
    /// The activities the writer stored, until the engine follows them.
    written: Arc<Mutex<Written>>,
}

/// The most activities [`Written`] keeps (two full group commits): when the
/// engine is not loaded, or lags, the oldest are let go and read back from
/// the store instead.
const MAX_WRITTEN: usize = 2 * MAX_GROUP_EVENTS;

/// The activities of the writer's last transactions, each with its sequence
/// number, so the engine, following the change that names them, applies
/// them without reading back and parsing what was just written (the store
/// returns exactly what it would read: `TrackedWrite::activities`).
#[derive(Default)]
pub(crate) struct Written {
    transactions: VecDeque<Vec<(i64, Activity)>>,
    activities: usize,
}

impl Written {
    fn push(&mut self, activities: Vec<(i64, Activity)>) {
        if activities.is_empty() {
            return;
        }
        while self.activities + activities.len() > MAX_WRITTEN {
            match self.transactions.pop_front() {
                Some(oldest) => self.activities -= oldest.len(),
                None => break,
            }
        }
        self.activities += activities.len();
        self.transactions.push_back(activities);
    }

    /// The activities `first..=last` when one transaction wrote them all;
    /// older transactions are let go (the engine is past them).
    fn take(&mut self, first: i64, last: i64) -> Option<Vec<(i64, Activity)>> {
        while let Some(oldest) = self.transactions.front() {
            let (start, end) = (oldest.first()?.0, oldest.last()?.0);
            if end < first {
                self.activities -= oldest.len();
                self.transactions.pop_front();
                continue;
            }
            if start > first || end < last {
                return None;
            }
            if start == first && end == last {
                self.activities -= oldest.len();
                return self.transactions.pop_front();
            }
            return Some(
                oldest
                    .iter()
                    .filter(|(seq, _)| (first..=last).contains(seq))
                    .cloned()
                    .collect(),
            );
        }
        None
    }
}

impl Default for TrackingState {
    fn default() -> Self {
        TrackingState {
            mapping: RwLock::default(),
            writer: OnceLock::new(),
            queue_limit: AtomicUsize::new(MAX_QUEUED_EVENTS),
            dedupe_window_ms: Arc::new(AtomicI64::new(i64::from(DEFAULT_DEDUPE_DAYS) * DAY_MS)),
            written: Arc::default(),
        }
    }
}

type Reply = Result<Vec<TrackedOutcome>, (bool, String)>;

struct Job {
    batch: TrackedBatch,
    /// The batch's calls, counted on the queue until it is answered.
    events: usize,
    reply: mpsc::SyncSender<Reply>,
}

/// The writer thread's queue; the thread ends when the application (and so
/// this sender) is dropped.
struct Writer {
    jobs: Mutex<mpsc::Sender<Job>>,
    queued: Arc<AtomicUsize>,
}

impl Writer {
    fn start(state: &TrackingState, store: Arc<dyn Store>) -> Writer {
        let (jobs, receiver) = mpsc::channel::<Job>();
        let queued = Arc::new(AtomicUsize::new(0));
        let shared = Shared {
            queued: Arc::clone(&queued),
            dedupe_window_ms: Arc::clone(&state.dedupe_window_ms),
            written: Arc::clone(&state.written),
        };
        std::thread::Builder::new()
            .name("tracking-writer".into())
            .spawn(move || write_groups(store.as_ref(), &receiver, &shared))
            .expect("the tracking writer thread starts");
        Writer {
            jobs: Mutex::new(jobs),
            queued,
        }
    }

    /// Queues a batch unless the queue is full; the receiver answers once
    /// the batch's transaction committed (or failed).
    fn submit(
        &self,
        batch: TrackedBatch,
        limit: usize,
    ) -> Result<mpsc::Receiver<Reply>, TrackingError> {
        let events = batch.calls.len();
        let before = self.queued.fetch_add(events, Ordering::AcqRel);
        // A request alone may exceed the limit (it is bounded by the body's);
        // behind others it waits for them to be written first.
        if before > 0 && before + events > limit {
            self.queued.fetch_sub(events, Ordering::AcqRel);
            return Err(TrackingError::Overloaded { queued: before });
        }
        let (reply, answer) = mpsc::sync_channel(1);
        if lock(&self.jobs)
            .send(Job {
                batch,
                events,
                reply,
            })
            .is_err()
        {
            self.queued.fetch_sub(events, Ordering::AcqRel);
            return Err(TrackingError::Write {
                busy: false,
                message: "the tracking writer stopped".into(),
            });
        }
        Ok(answer)
    }
}

/// What the writer thread shares with the application.
struct Shared {
    queued: Arc<AtomicUsize>,
    dedupe_window_ms: Arc<AtomicI64>,
    written: Arc<Mutex<Written>>,
}

/// The writer's loop: every group of waiting requests in one transaction,
/// its activities handed to the engine's follower; once an hour (by the
/// requests' receipt instants), the message ids older than the
/// de-duplication window are forgotten.
fn write_groups(store: &dyn Store, jobs: &mpsc::Receiver<Job>, shared: &Shared) {
    let mut next_prune = i64::MIN;
    while let Ok(first) = jobs.recv() {
        let received = first.batch.received_at.millis();
        if received >= next_prune {
            next_prune = received.saturating_add(PRUNE_EVERY_MS);
            let before = received.saturating_sub(shared.dedupe_window_ms.load(Ordering::Relaxed));
            match store.prune_tracked_messages(Timestamp::from_millis(before)) {
                Ok(0) => {}
                Ok(forgotten) => {
                    tracing::info!(
                        "forgot {forgotten} tracking message ids past the de-duplication window"
                    )
                }
                Err(error) => tracing::warn!("tracking message ids not pruned: {error}"),
            }
        }
        let mut events = first.batch.calls.len();
        let mut group = vec![first];
        while events < MAX_GROUP_EVENTS {
            match jobs.try_recv() {
                Ok(job) => {
                    events += job.batch.calls.len();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        let batches: Vec<TrackedBatch> = group
            .iter_mut()
            .map(|job| std::mem::replace(&mut job.batch, empty_batch()))
            .collect();
        match store.record_tracked(&batches) {
            Ok(TrackedWrite {
                outcomes,
                activities,
            }) => {
                lock(&shared.written).push(activities);
                for (job, outcomes) in group.iter().zip(outcomes) {
                    shared.answer(job, Ok(outcomes));
                }
            }
            // One request's calls must not fail the others': each again alone.
            Err(_) if batches.len() > 1 => {
                for (job, batch) in group.iter().zip(batches) {
                    let reply = store
                        .record_tracked(std::slice::from_ref(&batch))
                        .map(|mut write| {
                            lock(&shared.written).push(write.activities);
                            write.outcomes.remove(0)
                        })
                        .map_err(failure);
                    shared.answer(job, reply);
                }
            }
            Err(error) => {
                let failed = failure(error);
                for job in &group {
                    shared.answer(job, Err(failed.clone()));
                }
            }
        }
    }
}

impl Shared {
    /// Answers one request, its events first taken off the queue count: a
    /// client that has its answer may send again at once and must not be
    /// told that its own acknowledged events are still waiting.
    fn answer(&self, job: &Job, reply: Reply) {
        self.queued.fetch_sub(job.events, Ordering::AcqRel);
        let _ = job.reply.send(reply);
    }
}

fn empty_batch() -> TrackedBatch {
    TrackedBatch {
        key_id: 0,
        received_at: Timestamp::from_millis(0),
        calls: Vec::new(),
    }
}

fn failure(error: StoreError) -> (bool, String) {
    let busy = matches!(error, StoreError::Busy { .. });
    if !busy {
        tracing::error!("tracking write failed: {error:?}");
    }
    (busy, error.to_string())
}

/// SHA-256 of a write key: what the store keeps.
pub fn key_hash(key: &str) -> [u8; 32] {
    Sha256::digest(key.trim().as_bytes()).into()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `count` bytes from the operating system's random source.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], AppError> {
    use rand::TryRngCore;
    let mut bytes = [0u8; N];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|error| AppError::External(format!("no randomness from the system: {error}")))?;
    Ok(bytes)
}

/// A random UUID (version 4): the `messageId` of an event sent without one.
pub fn new_message_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

impl App {
    /// Sets the event mapping tracking calls are read with (`[tracking]` in
    /// rapport.toml); the defaults until then.
    pub fn set_tracking_mapping(&self, mapping: EventMapping) {
        *self
            .tracking
            .mapping
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(mapping);
    }

    /// How many events may wait for the writer before requests are refused
    /// ([`MAX_QUEUED_EVENTS`] unless set).
    pub fn set_tracking_queue_limit(&self, events: usize) {
        self.tracking.queue_limit.store(events, Ordering::Relaxed);
    }

    /// How long a message id is remembered for de-duplication
    /// ([`DEFAULT_DEDUPE_DAYS`] unless set; `[tracking] dedupe_days`).
    pub fn set_tracking_dedupe_days(&self, days: u32) {
        self.tracking
            .dedupe_window_ms
            .store(i64::from(days) * DAY_MS, Ordering::Relaxed);
    }

    /// How many events wait for the writer now (those being written included).
    pub fn tracking_queued(&self) -> usize {
        self.tracking
            .writer
            .get()
            .map_or(0, |writer| writer.queued.load(Ordering::Acquire))
    }

    /// The activities `first..=last` as the tracking writer stored them, when
    /// it still holds them all ([`Written`]).
    pub(crate) fn written_activities(&self, first: i64, last: i64) -> Option<Vec<(i64, Activity)>> {
        lock(&self.tracking.written).take(first, last)
    }

    fn tracking_mapping(&self) -> Arc<EventMapping> {
        Arc::clone(
            &self
                .tracking
                .mapping
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    fn writer(&self) -> &Writer {
        self.tracking
            .writer
            .get_or_init(|| Writer::start(&self.tracking, Arc::clone(&self.store)))
    }

    /// The write key a request presents, checked: unknown or revoked keys
    /// are refused the same way, so a caller learns nothing from the answer.
    pub fn authenticate_write_key(&self, key: Option<&str>) -> Result<WriteKey, TrackingError> {
        let key = key.map(str::trim).filter(|key| !key.is_empty()).ok_or_else(|| {
            TrackingError::Unauthorized(
                "a write key is needed: HTTP Basic with the key as the user name and an empty password, or `writeKey` in the body".into(),
            )
        })?;
        match self
            .store
            .write_key_by_hash(&key_hash(key))
            .map_err(AppError::from)?
        {
            Some(stored) if stored.revoked_at.is_none() => Ok(stored),
            _ => Err(TrackingError::Unauthorized(
                "the write key is not valid (unknown or revoked)".into(),
            )),
        }
    }

    /// Ingests one Segment request (`docs/tracking.md`): the body read and
    /// mapped, the write key checked (`header_key` from HTTP Basic, else the
    /// body's `writeKey`), the good events written in the next group commit;
    /// returns once they are durably stored and the engine has followed.
    pub fn ingest_tracking(
        &self,
        endpoint: Endpoint,
        header_key: Option<&str>,
        body: &[u8],
        received_at: Timestamp,
    ) -> Result<TrackingReceipt, TrackingError> {
        // A header key is checked before the body is read.
        let header_checked = match header_key {
            Some(key) => Some(self.authenticate_write_key(Some(key))?),
            None => None,
        };
        let mapping = self.tracking_mapping();
        let mut fresh_id = new_message_id;
        let mut received = Received {
            at: received_at,
            new_message_id: &mut fresh_id,
        };
        let parsed = match segment::parse_and_map(endpoint, body, &mut received, &mapping) {
            Ok(parsed) => parsed,
            // Without a valid key, a caller learns nothing of the body's
            // problems: the key (the body's `writeKey`, read leniently) first.
            Err(error) if header_checked.is_none() => {
                let body_key = serde_json::from_slice::<serde_json::Value>(body)
                    .ok()
                    .and_then(|value| value.get("writeKey")?.as_str().map(str::to_string));
                self.authenticate_write_key(body_key.as_deref())?;
                return Err(error.into());
            }
            Err(error) => return Err(error.into()),
        };
        let key = match header_checked {
            Some(key) => key,
            None => self.authenticate_write_key(parsed.write_key.as_deref())?,
        };
        let mut receipt = TrackingReceipt {
            success: true,
            ..TrackingReceipt::default()
        };
        let mut calls = Vec::with_capacity(parsed.events.len());
        for event in parsed.events {
            match event {
                Ok(call) => calls.push(call),
                Err(error) => receipt.errors.push(EventRejection {
                    index: error.index,
                    message_id: error.message_id,
                    reason: error.reason,
                }),
            }
        }
        if calls.is_empty() {
            return Ok(receipt);
        }
        let limit = self.tracking.queue_limit.load(Ordering::Relaxed);
        let answer = self.writer().submit(
            TrackedBatch {
                key_id: key.id,
                received_at,
                calls,
            },
            limit,
        )?;
        let outcomes = answer
            .recv()
            .map_err(|_| TrackingError::Write {
                busy: false,
                message: "the tracking writer stopped".into(),
            })?
            .map_err(|(busy, message)| TrackingError::Write { busy, message })?;
        for outcome in outcomes {
            match outcome {
                TrackedOutcome::Recorded => receipt.recorded += 1,
                TrackedOutcome::Held => receipt.held += 1,
                TrackedOutcome::Ignored => receipt.ignored += 1,
                TrackedOutcome::Duplicate => receipt.duplicates += 1,
            }
        }
        // Read your writes: the engine follows before the answer.
        self.catch_up()?;
        Ok(receipt)
    }

    /// Records the import contract's activity objects (`POST /api/activities`:
    /// one object or an array) under a write key, or sent by a person who
    /// may change things, for the accounts they see: each record validated on
    /// its own (a rejection names its index and field; an account the store
    /// does not know, or the person does not see, is refused by record), the good ones written in one
    /// transaction synced to disk, then the engine follows.
    pub fn record_contract_activities(
        &self,
        sender: ActivitySender<'_>,
        body: &[u8],
        now: Timestamp,
    ) -> Result<ActivitiesReceipt, TrackingError> {
        let person = match sender {
            ActivitySender::WriteKey(key) => {
                self.authenticate_write_key(key)?;
                None
            }
            ActivitySender::Person(person) => {
                self.authorize(person, rapport_core::access::Permission::Write)?;
                Some(person)
            }
        };
        let records = contract_records(body)?;
        let mut receipt = ActivitiesReceipt::default();
        let mut good: Vec<Activity> = Vec::new();
        let mut known: std::collections::HashMap<ExternalId, bool> = Default::default();
        for (index, record) in records.iter().enumerate() {
            let activity =
                match rapport_ingest::activities::parse_activity_line(record.get().as_bytes()) {
                    Ok(activity) => activity,
                    Err(reason) => {
                        receipt.rejected.push(EventRejection {
                            index,
                            message_id: None,
                            reason,
                        });
                        continue;
                    }
                };
            let exists = match known.get(&activity.account) {
                Some(exists) => *exists,
                None => {
                    // A person sends only for the accounts they see; another
                    // is as unknown to them as one that does not exist.
                    let exists = self
                        .store
                        .account(&activity.account)
                        .map_err(AppError::from)?
                        .is_some_and(|account| person.is_none_or(|person| person.sees(&account)));
                    known.insert(activity.account.clone(), exists);
                    exists
                }
            };
            if exists {
                good.push(activity);
            } else {
                receipt.rejected.push(EventRejection {
                    index,
                    message_id: None,
                    reason: format!("field `account`: unknown account `{}`", activity.account),
                });
            }
        }
        if !good.is_empty() {
            // Acknowledged once on disk, as the tracking API's events are.
            let outcomes = self
                .store
                .insert_activities_durably(&good)
                .map_err(AppError::from)?;
            receipt.inserted = outcomes
                .iter()
                .filter(|outcome| **outcome == WriteOutcome::Inserted)
                .count();
            receipt.unchanged = outcomes.len() - receipt.inserted;
            self.after_write(now, &[])?;
        }
        Ok(receipt)
    }

    /// Creates a write key named `name`: 32 random bytes from the operating
    /// system, shown once as `rk_` and 64 hex digits; the store keeps its
    /// SHA-256 (`docs/decisions.md`).
    pub fn create_write_key(
        &self,
        actor: &rapport_core::access::Person,
        name: &str,
        now: Timestamp,
    ) -> AppResult<NewWriteKey> {
        let name = name.trim();
        if name.is_empty() {
            return Err(AppError::invalid(
                "name",
                "name the key after what sends with it (\"website\", \"mobile app\")",
            ));
        }
        let key = format!("rk_{}", hex(&random_bytes::<32>()?));
        let prefix: String = key.chars().take(PREFIX_CHARS).collect();
        let stored = self.store.create_write_key(
            name,
            &key_hash(&key),
            &prefix,
            now,
            &AuditDraft::new(actor, AuditAction::WriteKeyCreate, now),
        )?;
        Ok(NewWriteKey {
            key,
            id: stored.id,
            name: stored.name,
            prefix: stored.prefix,
            created_at: stored.created_at,
        })
    }

    /// Every write key, revoked ones included, oldest first.
    pub fn write_keys(&self) -> AppResult<Vec<WriteKeyListing>> {
        Ok(self
            .store
            .write_keys()?
            .into_iter()
            .map(WriteKeyListing::from)
            .collect())
    }

    /// Revokes a write key: from `now` on, requests with it are refused.
    pub fn revoke_write_key(
        &self,
        actor: &rapport_core::access::Person,
        id: i64,
        now: Timestamp,
    ) -> AppResult<WriteKeyListing> {
        self.store
            .revoke_write_key(
                id,
                now,
                &AuditDraft::new(actor, AuditAction::WriteKeyRevoke, now),
            )?
            .map(WriteKeyListing::from)
            .ok_or_else(|| AppError::NotFound(format!("no write key with id {id}")))
    }
}

/// The records of a `POST /api/activities` body: one object, or an array.
fn contract_records(body: &[u8]) -> Result<Vec<Box<serde_json::value::RawValue>>, TrackingError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| BodyError::NotJson("the request body is not UTF-8".into()))?;
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        serde_json::from_str(text).map_err(|error| BodyError::NotJson(error.to_string()).into())
    } else if trimmed.starts_with('{') {
        let one: Box<serde_json::value::RawValue> =
            serde_json::from_str(text).map_err(|error| BodyError::NotJson(error.to_string()))?;
        Ok(vec![one])
    } else {
        Err(BodyError::NotACall(
            "the request body is an activity object `{...}` or an array of them".into(),
        )
        .into())
    }
}
