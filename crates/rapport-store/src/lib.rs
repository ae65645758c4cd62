//! Where Rapport keeps what it has been told. [`Store`] is the one interface the
//! rest of the program uses; [`open`] picks the backend from the database URL's
//! scheme (`sqlite:` today; `postgres:` is reserved for the PostgreSQL backend).
//! Migrations are embedded in each backend and run when it opens.
//!
//! The trait is synchronous and `Sync`: the engine keeps its working state in
//! memory and touches the store only to load it, to persist new input and to
//! follow the change cursor, so an async interface would buy nothing but
//! ceremony. Every method takes `&self`; a backend serialises its writers
//! itself (SQLite: one writer connection, transactions that take the write lock
//! up front and wait for other processes, and a pool of reader connections).
//!
//! **The change cursor.** Every write transaction appends [`Change`]s in commit
//! order; [`Store::changes_since`] reads them after a cursor. A running server
//! follows it to apply writes made by any process (a CLI import, another
//! server) to its in-memory engine; PostgreSQL replicas will follow the same log.
//!
//! **The audit log.** Every write a person makes takes an
//! [`audit::AuditDraft`] (who, when, what); the store appends the completed
//! [`audit::AuditEntry`] (the record before and after) in the same
//! transaction, so a change is never without its entry, nor an entry
//! without its change.

pub mod audit;
pub mod identity;
pub mod models;
pub mod sharing;
pub mod sqlite;
pub mod tasks;
pub mod tracking;
pub mod url;

use rapport_core::alerts::StoredAlert;
use rapport_core::alerts::delivery::{Delivery, DeliveryOutcome, SealedSecret, Subscription};
use rapport_core::portfolio::snapshot::DaySnapshot;
use rapport_core::scoring::overrides::OverrideEvent;
use rapport_core::success::Goal;
use rapport_core::time::Timestamp;
use rapport_core::{Account, Activity, Contact, ExternalId, Feature, Outcome};

pub use sqlite::SqliteStore;
pub use url::DatabaseUrl;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL `{url}`: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("{0}")]
    Unsupported(String),
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Another writer held the database for longer than the busy timeout.
    #[error("the database stayed busy with another writer for {seconds} s; try again")]
    Busy { seconds: u64 },
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error("stored data is unreadable ({what}): {reason}")]
    Corrupt { what: String, reason: String },
    #[error("the store {0} does not exist (`rapport import` or `rapport demo` creates one)")]
    Missing(String),
    #[error("account `{0}` is not in the store")]
    UnknownAccount(String),
    #[error(
        "the database was written by a newer Rapport (schema version {found}, this build knows up to {known})"
    )]
    NewerSchema { found: i64, known: i64 },
}

pub type StoreResult<T> = Result<T, StoreError>;

/// What a write did to one record; the import summary counts these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteOutcome {
    Inserted,
    Updated,
    Unchanged,
}

/// What kind of record a [`Change`] touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    Account,
    Contacts,
    Features,
    Activities,
    Outcomes,
    Goals,
    Overrides,
    Alerts,
    Webhooks,
    Deliveries,
    Snapshots,
    /// A model version saved (portfolio-wide).
    Models,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 12] = [
        ChangeKind::Account,
        ChangeKind::Contacts,
        ChangeKind::Features,
        ChangeKind::Activities,
        ChangeKind::Outcomes,
        ChangeKind::Goals,
        ChangeKind::Overrides,
        ChangeKind::Alerts,
        ChangeKind::Webhooks,
        ChangeKind::Deliveries,
        ChangeKind::Snapshots,
        ChangeKind::Models,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Account => "account",
            ChangeKind::Contacts => "contacts",
            ChangeKind::Features => "features",
            ChangeKind::Activities => "activities",
            ChangeKind::Outcomes => "outcomes",
            ChangeKind::Goals => "goals",
            ChangeKind::Overrides => "overrides",
            ChangeKind::Alerts => "alerts",
            ChangeKind::Webhooks => "webhooks",
            ChangeKind::Deliveries => "deliveries",
            ChangeKind::Snapshots => "snapshots",
            ChangeKind::Models => "models",
        }
    }

    pub fn parse(text: &str) -> Option<ChangeKind> {
        ChangeKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// One committed change: what kind of record, of which account (none for
/// portfolio-wide records: the catalogue, webhooks), and for activities the
/// range of their sequence numbers the transaction wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub seq: u64,
    pub kind: ChangeKind,
    pub account: Option<ExternalId>,
    pub activities: Option<(i64, i64)>,
}

/// One write of [`Store::edit_goals`].
#[derive(Debug, Clone, PartialEq)]
pub enum GoalWrite {
    /// Create (empty id) or replace a goal.
    Put(Goal),
    /// Delete the goal of this id.
    Delete(String),
}

/// What an alert evaluation sees of the stored alerts ([`Store::reconcile_alerts`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertsInForce {
    /// The unresolved alerts, then those a person resolved while their
    /// condition still fired (`awaiting_clear`), each oldest first.
    pub alerts: Vec<StoredAlert>,
    /// When the store's alerts were first evaluated; `None` before that.
    pub first_evaluated_at: Option<Timestamp>,
}

/// How much the store holds, by kind of record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreCounts {
    pub accounts: u64,
    pub contacts: u64,
    pub features: u64,
    pub activities: u64,
    pub outcomes: u64,
}

/// The storage interface every backend implements and the one store test suite
/// (`tests/store_suite.rs`) exercises.
///
/// Writes take a batch and return one [`WriteOutcome`] per record, in order; a
/// batch is written in one transaction, so a failure leaves nothing half-written.
/// Identity: an account by external id; a contact by (account, e-mail); a
/// feature by key; an activity by [`Activity::dedup_key`]; an outcome by
/// (account, date). Records of an account the store does not know are refused
/// with [`StoreError::UnknownAccount`] before anything of the batch is written.
pub trait Store: Send + Sync {
    /// The backend's name, for logs and `/healthz`.
    fn backend(&self) -> &'static str;
    /// Succeeds when the database answers.
    fn ping(&self) -> StoreResult<()>;

    fn upsert_accounts(&self, accounts: &[Account]) -> StoreResult<Vec<WriteOutcome>>;
    fn upsert_contacts(&self, contacts: &[Contact]) -> StoreResult<Vec<WriteOutcome>>;
    fn upsert_features(&self, features: &[Feature]) -> StoreResult<Vec<WriteOutcome>>;
    /// Activities are immutable facts: a known dedup key is `Unchanged`, never updated.
    fn insert_activities(&self, activities: &[Activity]) -> StoreResult<Vec<WriteOutcome>>;
    /// [`Store::insert_activities`], synced to disk before it returns (a
    /// power loss cannot take the batch back): what an API acknowledges.
    fn insert_activities_durably(&self, activities: &[Activity]) -> StoreResult<Vec<WriteOutcome>>;
    fn upsert_outcomes(&self, outcomes: &[Outcome]) -> StoreResult<Vec<WriteOutcome>>;

    /// All accounts, ordered by external id.
    fn accounts(&self) -> StoreResult<Vec<Account>>;
    /// All contacts, ordered by account then e-mail.
    fn contacts(&self) -> StoreResult<Vec<Contact>>;
    /// The feature catalogue, ordered by key.
    fn features(&self) -> StoreResult<Vec<Feature>>;
    /// All outcomes, ordered by account then date.
    fn outcomes(&self) -> StoreResult<Vec<Outcome>>;
    /// One account's activities, ordered by time (then by arrival). For tools
    /// and tests: it may scan every activity (the engine never needs it).
    fn account_activities(&self, account: &ExternalId) -> StoreResult<Vec<Activity>>;
    /// One account's activities before `before`, newest first, at most
    /// `limit`, only of the `kinds` named (the contract's `type`s; every
    /// kind when empty): the account page's timeline, read by the index of
    /// account and time.
    fn account_timeline(
        &self,
        account: &ExternalId,
        before: Timestamp,
        kinds: &[&str],
        limit: usize,
    ) -> StoreResult<Vec<Activity>>;
    /// Every activity, streamed in the order of writing without holding them
    /// all, with its sequence number: batches in commit order, each batch's
    /// records grouped by account and time (arrival order among equal instants).
    fn for_each_activity(&self, visit: &mut dyn FnMut(i64, Activity)) -> StoreResult<()>;
    /// The activities whose sequence numbers are in `first..=last`, in order.
    fn activities_in(
        &self,
        first: i64,
        last: i64,
        visit: &mut dyn FnMut(i64, Activity),
    ) -> StoreResult<()>;
    /// One account, by external id.
    fn account(&self, account: &ExternalId) -> StoreResult<Option<Account>>;
    /// One account's contacts, ordered by e-mail.
    fn account_contacts(&self, account: &ExternalId) -> StoreResult<Vec<Contact>>;
    /// One account's outcomes, ordered by date.
    fn account_outcomes(&self, account: &ExternalId) -> StoreResult<Vec<Outcome>>;

    /// A name for this store, the same every time it is opened, different
    /// for every store (an engine checkpoint records it).
    fn identity(&self) -> StoreResult<String>;
    /// The change cursor: the sequence number of the last committed change
    /// (0 for a store that was never written).
    fn cursor(&self) -> StoreResult<u64>;
    /// At most `limit` changes committed after `cursor`, in commit order.
    fn changes_since(&self, cursor: u64, limit: usize) -> StoreResult<Vec<Change>>;
    fn counts(&self) -> StoreResult<StoreCounts>;

    /// Creates or replaces a success goal with its metrics and their histories.
    /// An empty goal id gets a new one (`goal-N`), an empty metric id too
    /// (`GOAL-mN`); the goal as stored is returned.
    fn put_goal(&self, account: &ExternalId, goal: &Goal) -> StoreResult<Goal>;
    /// One account's goals in creation order, or every account's (ordered by
    /// account) when `account` is `None`.
    fn goals(&self, account: Option<&ExternalId>) -> StoreResult<Vec<(ExternalId, Goal)>>;
    /// Removes a goal; `false` when there was none. Its id is never reused.
    fn delete_goal(&self, account: &ExternalId, goal_id: &str) -> StoreResult<bool>;
    /// A read-modify-write of one account's goals in one write transaction:
    /// `edit` sees the goals as stored (no other writer can change them
    /// meanwhile) and answers the writes to make, or `None` to write nothing.
    /// Returns the goals written (ids assigned), or `None` when `edit` declined.
    /// Each write is audited: one entry a goal written or deleted, the goal
    /// before and after.
    fn edit_goals(
        &self,
        account: &ExternalId,
        audit: &audit::AuditDraft,
        edit: &mut dyn FnMut(&[Goal]) -> Option<Vec<GoalWrite>>,
    ) -> StoreResult<Option<Vec<Goal>>>;

    /// Appends one event to an account's score-override audit trail. The trail
    /// is append-only: events are never changed or removed, and the override in
    /// force at any instant is derived from them (`rapport_core::scoring::overrides`).
    fn record_override_event(&self, account: &ExternalId, event: &OverrideEvent)
    -> StoreResult<()>;
    /// Appends the event `decide` makes from the account's trail as stored, in
    /// one write transaction, so concurrent writers chain (`old` = the previous
    /// event's `new`) and the trail's order is the order of commit. `None`
    /// from `decide` writes nothing. Audited: the trail's last event before,
    /// the new one after.
    fn append_override_event(
        &self,
        account: &ExternalId,
        audit: &audit::AuditDraft,
        decide: &mut dyn FnMut(&[OverrideEvent]) -> Option<OverrideEvent>,
    ) -> StoreResult<Option<OverrideEvent>>;
    /// One account's override events, or every account's when `account` is
    /// `None`: ordered by account, then time, then order of writing.
    fn override_events(
        &self,
        account: Option<&ExternalId>,
    ) -> StoreResult<Vec<(ExternalId, OverrideEvent)>>;

    /// Writes alerts in one transaction: an alert with id 0 is new (its id is
    /// assigned), any other replaces the stored alert of that id. At most one
    /// unresolved alert per account and rule: a second is refused, nothing of
    /// the batch written. Returns the alerts as stored.
    fn write_alerts(&self, alerts: &[StoredAlert]) -> StoreResult<Vec<StoredAlert>>;
    /// Alerts, oldest first: one account's or every account's, all or the
    /// unresolved only.
    fn alerts(
        &self,
        account: Option<&ExternalId>,
        unresolved_only: bool,
    ) -> StoreResult<Vec<StoredAlert>>;
    /// One alert by id.
    fn alert(&self, id: i64) -> StoreResult<Option<StoredAlert>>;
    /// Alert evaluation at `now` as one write transaction: `decide` sees the
    /// alerts in force (of one account, or all) as stored, and whether the
    /// store's alerts were evaluated before, and answers what to write (as
    /// [`Store::write_alerts`]), so two evaluations never race each other. The
    /// first evaluation's instant is recorded.
    fn reconcile_alerts(
        &self,
        account: Option<&ExternalId>,
        now: Timestamp,
        decide: &mut dyn FnMut(&AlertsInForce) -> Vec<StoredAlert>,
    ) -> StoreResult<Vec<StoredAlert>>;
    /// A read-modify-write of one alert (acknowledge, resolve) in one write
    /// transaction; `None` from `decide` writes nothing. `Ok(None)` when there
    /// is no such alert or `decide` declined. Audited: the alert before and after.
    fn update_alert(
        &self,
        id: i64,
        audit: &audit::AuditDraft,
        decide: &mut dyn FnMut(&StoredAlert) -> Option<StoredAlert>,
    ) -> StoreResult<Option<StoredAlert>>;

    /// Adds a webhook subscription (its secret already sealed); its id is
    /// assigned. Audited (never the secret).
    fn add_webhook(
        &self,
        subscription: &Subscription,
        audit: &audit::AuditDraft,
    ) -> StoreResult<Subscription>;
    /// The subscriptions in force, oldest first, with their sealed secrets.
    fn webhooks(&self) -> StoreResult<Vec<Subscription>>;
    /// Ends a subscription and drops its deliveries still waiting, in one
    /// transaction (its past deliveries stay); `false` when there was none.
    /// Audited when it removed one.
    fn remove_webhook(
        &self,
        id: i64,
        at: Timestamp,
        audit: &audit::AuditDraft,
    ) -> StoreResult<bool>;
    /// Seals, with `seal`, the signing secrets stored in plain text before
    /// they were sealed, and takes them and any URL credentials out of the
    /// stored subscriptions, leaving no trace of them in the database file
    /// (a secret `seal` answers `None` for stays, for a later call); how
    /// many subscriptions changed (0 once done).
    fn seal_plain_webhook_secrets(
        &self,
        seal: &mut dyn FnMut(&str) -> Option<SealedSecret>,
    ) -> StoreResult<usize>;
    /// Puts deliveries in the outbox, in one transaction.
    fn enqueue_deliveries(&self, deliveries: &[Delivery]) -> StoreResult<()>;
    /// Deliveries neither delivered nor dropped due at `now`, the most
    /// overdue first, except those of the webhooks in `busy`.
    fn due_deliveries(
        &self,
        now: Timestamp,
        limit: usize,
        busy: &[i64],
    ) -> StoreResult<Vec<Delivery>>;
    /// Every delivery (of one alert), with its attempts and outcome.
    fn deliveries(&self, alert_id: Option<i64>) -> StoreResult<Vec<Delivery>>;
    /// Records what happened to a delivery at `at`: delivered, failed (with
    /// its next attempt), postponed or dropped. A delivery already delivered
    /// or dropped does not change.
    fn record_delivery(
        &self,
        id: i64,
        at: Timestamp,
        outcome: DeliveryOutcome<'_>,
    ) -> StoreResult<()>;

    /// Stores one model's daily snapshot (replacing the same model and day);
    /// an account the store does not know refuses the whole snapshot.
    fn put_snapshot(&self, snapshot: &DaySnapshot) -> StoreResult<WriteOutcome>;
    /// One model's snapshots of the days `from..=to`, in day order.
    fn snapshots(
        &self,
        model: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> StoreResult<Vec<DaySnapshot>>;

    /// Applies tracking calls (`tracking`): each batch's calls in order, all
    /// batches in one write transaction that is durable when this returns
    /// (SQLite: `synchronous = FULL` for it), with the message ids, so a
    /// retried message is a duplicate after any restart. One outcome per call.
    fn record_tracked(
        &self,
        batches: &[tracking::TrackedBatch],
    ) -> StoreResult<tracking::TrackedWrite>;
    /// Forgets the message ids received before `received_before` (the
    /// de-duplication window, docs/decisions.md): a message sent again with
    /// one of them is new. Returns how many were forgotten.
    fn prune_tracked_messages(&self, received_before: Timestamp) -> StoreResult<usize>;
    /// A product user as the tracking calls described them.
    fn tracked_user(
        &self,
        user: &rapport_core::UserId,
    ) -> StoreResult<Option<tracking::TrackedUser>>;
    /// Stores a new write key by its SHA-256 (the key itself is never stored).
    fn create_write_key(
        &self,
        name: &str,
        key_hash: &[u8; 32],
        prefix: &str,
        at: Timestamp,
        audit: &audit::AuditDraft,
    ) -> StoreResult<tracking::WriteKey>;
    /// Every write key, revoked ones included, oldest first.
    fn write_keys(&self) -> StoreResult<Vec<tracking::WriteKey>>;
    /// The write key of this SHA-256, revoked or not.
    fn write_key_by_hash(&self, key_hash: &[u8; 32]) -> StoreResult<Option<tracking::WriteKey>>;
    /// Revokes a write key (from `at`; a key revoked before keeps its instant);
    /// the key as stored, `None` when there is no such key.
    /// Audited when it revoked a key not revoked before.
    fn revoke_write_key(
        &self,
        id: i64,
        at: Timestamp,
        audit: &audit::AuditDraft,
    ) -> StoreResult<Option<tracking::WriteKey>>;

    // People, tokens and sessions (docs/security.md).

    /// Adds a user; `None` when the name (ignoring case) is taken. Audited
    /// when it added one.
    fn create_user(
        &self,
        name: &str,
        email: Option<&str>,
        role: rapport_core::access::Role,
        at: Timestamp,
        audit: &audit::AuditDraft,
    ) -> StoreResult<Option<identity::User>>;
    /// Every user, disabled ones included, oldest first.
    fn users(&self) -> StoreResult<Vec<identity::User>>;
    fn user(&self, id: i64) -> StoreResult<Option<identity::User>>;
    /// The user of this name, ignoring case and surrounding spaces.
    fn user_by_name(&self, name: &str) -> StoreResult<Option<identity::User>>;
    /// Changes a user (disabling one ends their sessions); the user after,
    /// `None` when there is none. Audited when the user changed (never a
    /// password's hash: whether one is set).
    fn update_user(
        &self,
        id: i64,
        change: &identity::UserChange,
        audit: &audit::AuditDraft,
    ) -> StoreResult<Option<identity::User>>;
    /// Stores a token by its SHA-256. Audited (its prefix, never the hash).
    fn create_api_token(
        &self,
        token: &identity::NewToken<'_>,
        audit: &audit::AuditDraft,
    ) -> StoreResult<identity::ApiToken>;
    /// The tokens of a user (of everyone with `None`), revoked ones included.
    fn api_tokens(&self, user_id: Option<i64>) -> StoreResult<Vec<identity::ApiToken>>;
    fn api_token_by_hash(&self, token_hash: &[u8; 32]) -> StoreResult<Option<identity::ApiToken>>;
    /// Records that a token was used at `at` (never moving the time back).
    fn touch_api_token(&self, id: i64, at: Timestamp) -> StoreResult<()>;
    /// Revokes a token (a token revoked before keeps its instant); the token
    /// as stored, `None` when there is none. Audited when it revoked it.
    fn revoke_api_token(
        &self,
        id: i64,
        at: Timestamp,
        audit: &audit::AuditDraft,
    ) -> StoreResult<Option<identity::ApiToken>>;
    /// Revokes a sign-in link's token as the session it opened begins (the
    /// link spent, not a person's change: not audited).
    fn spend_api_token(&self, id: i64, at: Timestamp) -> StoreResult<()>;
    /// Stores a session by its SHA-256 (sessions past their end are removed).
    fn create_session(
        &self,
        session_hash: &[u8; 32],
        session: &identity::Session,
    ) -> StoreResult<()>;
    fn session(&self, session_hash: &[u8; 32]) -> StoreResult<Option<identity::Session>>;
    /// Ends a session; whether there was one.
    fn delete_session(&self, session_hash: &[u8; 32]) -> StoreResult<bool>;

    // What a person records as an activity, and the audit log.

    /// Inserts one activity a person records (a meeting's no-show or
    /// attendance), audited: the activity after.
    fn record_person_activity(
        &self,
        activity: &Activity,
        audit: &audit::AuditDraft,
    ) -> StoreResult<WriteOutcome>;
    /// The audit entries `filter` selects, newest first.
    fn audit_entries(&self, filter: &audit::AuditFilter) -> StoreResult<Vec<audit::AuditEntry>>;

    // Share links of value reports (`sharing`).

    /// Stores a share link (its token only as SHA-256) for an account the
    /// store knows; audited (never the token nor its hash).
    fn create_share_link(
        &self,
        link: &sharing::NewShareLink<'_>,
        audit: &audit::AuditDraft,
    ) -> StoreResult<sharing::ShareLink>;
    /// One account's share links, or every one, oldest first.
    fn share_links(&self, account: Option<&ExternalId>) -> StoreResult<Vec<sharing::ShareLink>>;
    fn share_link(&self, id: i64) -> StoreResult<Option<sharing::ShareLink>>;
    /// Revokes a link (one revoked before keeps its instant; audited when
    /// this revoked it); `None` when there is none.
    fn revoke_share_link(
        &self,
        id: i64,
        at: Timestamp,
        audit: &audit::AuditDraft,
    ) -> StoreResult<Option<sharing::ShareLink>>;
    /// The link of this token's SHA-256 with its page, when it opens at `at`
    /// (not revoked, not expired), counted as opened; `None` otherwise.
    fn open_share_link(
        &self,
        token_hash: &[u8; 32],
        at: Timestamp,
    ) -> StoreResult<Option<(sharing::ShareLink, String)>>;

    // Tasks (`tasks`, `rapport_core::tasks`).

    /// Stores a task for an account the store knows (a person's: audited,
    /// the task after); refused with [`tasks::TaskWriteError::OpenAlready`]
    /// inside the result when its source key already has an open task.
    /// Stores a new version of a model (its whole file) and the audit
    /// entry of saving it, in one transaction that also logs a `models`
    /// change (followers load it).
    fn save_model_version(
        &self,
        version: &models::NewModelVersion,
        audit: &audit::AuditDraft,
    ) -> StoreResult<models::ModelVersion>;
    /// Sets (or, with `None`, removes) a person's watch of an account's
    /// alerts at or above a priority, audited; the watch before, if any.
    fn set_alert_watch(
        &self,
        user_id: i64,
        account: &ExternalId,
        min_priority: Option<rapport_core::engagement::breakdown::AlertPriority>,
        at: Timestamp,
        audit: &audit::AuditDraft,
    ) -> StoreResult<Option<rapport_core::engagement::breakdown::AlertPriority>>;
    /// A person's watches: each account and the lowest priority watched.
    fn alert_watches(
        &self,
        user_id: i64,
    ) -> StoreResult<
        Vec<(
            ExternalId,
            rapport_core::engagement::breakdown::AlertPriority,
        )>,
    >;
    /// The saved versions (of one model's name when given), oldest first.
    fn model_versions(&self, name: Option<&str>) -> StoreResult<Vec<models::ModelVersion>>;

    fn create_task(
        &self,
        task: &rapport_core::tasks::NewTask,
        audit: &audit::AuditDraft,
    ) -> StoreResult<Result<rapport_core::tasks::Task, tasks::TaskWriteError>>;
    fn task(&self, id: i64) -> StoreResult<Option<rapport_core::tasks::Task>>;
    /// The tasks `filter` selects, soonest due first (newest first among
    /// tasks due the same day).
    fn tasks(&self, filter: &tasks::TaskFilter) -> StoreResult<Vec<rapport_core::tasks::Task>>;
    /// Completes or dismisses an open task (`state`: never `Open`), audited
    /// with the task before and after; `None` when there is no such task,
    /// [`tasks::TaskWriteError::Closed`] inside the result when it is not
    /// open (nothing written, no entry).
    fn close_task(
        &self,
        id: i64,
        state: &rapport_core::tasks::TaskState,
        audit: &audit::AuditDraft,
    ) -> StoreResult<Option<Result<rapport_core::tasks::Task, tasks::TaskWriteError>>>;
    /// Reads the playbook tasks of `accounts` (or of every account) that are
    /// open or were closed at or after `closed_since` and hands them to
    /// `decide`; when it returns tasks to open, reads them again in one write
    /// transaction, decides again and stores what it returns (a source key
    /// with an open task already is skipped). `decide` may so be called
    /// twice; an evaluation that opens nothing never takes the write lock.
    /// The tasks stored.
    fn sync_playbook_tasks(
        &self,
        accounts: Option<&[ExternalId]>,
        closed_since: Timestamp,
        decide: &mut dyn FnMut(&[rapport_core::tasks::Task]) -> Vec<rapport_core::tasks::NewTask>,
    ) -> StoreResult<Vec<rapport_core::tasks::Task>>;
}

/// The engine as loaded from a store, with where in the change log it stands.
pub struct LoadedEngine {
    pub state: rapport_core::engine::PortfolioState,
    /// The change cursor read before anything was loaded: every change after
    /// it may or may not be in `state` and is applied again (idempotently).
    pub cursor: u64,
    /// The highest activity sequence number loaded: activities are the one
    /// record that is not idempotent to apply, so a replay skips those at or
    /// below it.
    pub activity_high_water: i64,
}

/// Builds the engine's in-memory state from everything the store holds: the
/// start-up load. Later writes are applied by following the change log from
/// the cursor returned (records again, idempotently; activities above the
/// high-water mark only).
pub fn load_engine(store: &dyn Store) -> StoreResult<LoadedEngine> {
    let cursor = store.cursor()?;
    let mut state = load_records(store)?;
    let activity_high_water = load_activities(store, &mut state)?;
    Ok(LoadedEngine {
        state,
        cursor,
        activity_high_water,
    })
}

/// The first part of [`load_engine`]: accounts, contacts, the catalogue,
/// outcomes and goals, without activities.
pub fn load_records(store: &dyn Store) -> StoreResult<rapport_core::engine::PortfolioState> {
    let mut state = rapport_core::engine::PortfolioState::new();
    for account in store.accounts()? {
        state.upsert_account(account);
    }
    for contact in store.contacts()? {
        state.upsert_contact(&contact);
    }
    state.set_catalogue(&store.features()?);
    for outcome in store.outcomes()? {
        state.upsert_outcome(&outcome);
    }
    let mut goals = store.goals(None)?.into_iter().peekable();
    while let Some((account, goal)) = goals.next() {
        let mut of_account = vec![goal];
        while let Some((_, goal)) = goals.next_if(|(next, _)| *next == account) {
            of_account.push(goal);
        }
        state.set_goals(&account, of_account);
    }
    Ok(state)
}

/// The second part of [`load_engine`]: every activity, streamed into `state`;
/// returns the highest sequence number loaded (0 when there was none).
pub fn load_activities(
    store: &dyn Store,
    state: &mut rapport_core::engine::PortfolioState,
) -> StoreResult<i64> {
    let mut high_water = 0;
    store.for_each_activity(&mut |seq, activity| {
        high_water = high_water.max(seq);
        state.add_activity(&activity);
    })?;
    state.compact();
    Ok(high_water)
}

/// Opens the store a database URL names, which must exist already (migrating
/// it as needed): what every command that only reads or changes a store uses,
/// so a mistyped path is an error, not a new empty store.
pub fn open_existing(url: &str) -> StoreResult<std::sync::Arc<dyn Store>> {
    if let DatabaseUrl::Sqlite(url::SqliteLocation::File(path)) = DatabaseUrl::parse(url)?
        && !path.is_file()
    {
        return Err(StoreError::Missing(path.display().to_string()));
    }
    open(url)
}

/// Opens the store a database URL names, creating and migrating it as needed.
pub fn open(url: &str) -> StoreResult<std::sync::Arc<dyn Store>> {
    match DatabaseUrl::parse(url)? {
        DatabaseUrl::Sqlite(location) => Ok(std::sync::Arc::new(SqliteStore::open(&location)?)),
        DatabaseUrl::Postgres(_) => Err(StoreError::Unsupported(
            "the PostgreSQL backend is not built yet; use a sqlite:// URL".into(),
        )),
    }
}
