//! Where Rapport keeps what it has been told. [`Store`] is the one interface the
//! rest of the program uses; [`open`] picks the backend from the database URL's
//! scheme (`sqlite:` today; `postgres:` is reserved for the PostgreSQL backend).
//! Migrations are embedded in each backend and run when it opens.
//!
//! The trait is synchronous: the engine keeps its working state in memory and
//! touches the store only to load it at start-up and to persist new input, so an
//! async interface would buy nothing but ceremony. Servers call it from a
//! blocking task.

pub mod sqlite;
pub mod url;

use rapport_core::alerts::StoredAlert;
use rapport_core::delivery::{Delivery, Subscription};
use rapport_core::overrides::OverrideEvent;
use rapport_core::snapshot::DaySnapshot;
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
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error("stored data is unreadable ({what}): {reason}")]
    Corrupt { what: String, reason: String },
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
pub trait Store: Send {
    /// The backend's name, for logs and `/healthz`.
    fn backend(&self) -> &'static str;
    /// Succeeds when the database answers.
    fn ping(&self) -> StoreResult<()>;

    fn upsert_accounts(&mut self, accounts: &[Account]) -> StoreResult<Vec<WriteOutcome>>;
    fn upsert_contacts(&mut self, contacts: &[Contact]) -> StoreResult<Vec<WriteOutcome>>;
    fn upsert_features(&mut self, features: &[Feature]) -> StoreResult<Vec<WriteOutcome>>;
    /// Activities are immutable facts: a known dedup key is `Unchanged`, never updated.
    fn insert_activities(&mut self, activities: &[Activity]) -> StoreResult<Vec<WriteOutcome>>;
    fn upsert_outcomes(&mut self, outcomes: &[Outcome]) -> StoreResult<Vec<WriteOutcome>>;

    /// All accounts, ordered by external id.
    fn accounts(&self) -> StoreResult<Vec<Account>>;
    /// All contacts, ordered by account then e-mail.
    fn contacts(&self) -> StoreResult<Vec<Contact>>;
    /// The feature catalogue, ordered by key.
    fn features(&self) -> StoreResult<Vec<Feature>>;
    /// All outcomes, ordered by account then date.
    fn outcomes(&self) -> StoreResult<Vec<Outcome>>;
    /// One account's activities, ordered by time (then by arrival).
    fn account_activities(&self, account: &ExternalId) -> StoreResult<Vec<Activity>>;
    /// Every activity, streamed in arrival order without holding them all.
    fn for_each_activity(&self, visit: &mut dyn FnMut(Activity)) -> StoreResult<()>;
    fn counts(&self) -> StoreResult<StoreCounts>;

    /// Creates or replaces a success goal with its metrics and their histories.
    /// An empty goal id gets a new one (`goal-N`), an empty metric id too
    /// (`GOAL-mN`); the goal as stored is returned.
    fn put_goal(&mut self, account: &ExternalId, goal: &Goal) -> StoreResult<Goal>;
    /// One account's goals in creation order, or every account's (ordered by
    /// account) when `account` is `None`.
    fn goals(&self, account: Option<&ExternalId>) -> StoreResult<Vec<(ExternalId, Goal)>>;
    /// Removes a goal; `false` when there was none.
    fn delete_goal(&mut self, account: &ExternalId, goal_id: &str) -> StoreResult<bool>;

    /// Appends one event to an account's score-override audit trail. The trail
    /// is append-only: events are never changed or removed, and the override in
    /// force at any instant is derived from them (`rapport_core::overrides`).
    fn record_override_event(
        &mut self,
        account: &ExternalId,
        event: &OverrideEvent,
    ) -> StoreResult<()>;
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
    fn write_alerts(&mut self, alerts: &[StoredAlert]) -> StoreResult<Vec<StoredAlert>>;
    /// Alerts, oldest first: one account's or every account's, all or the
    /// unresolved only.
    fn alerts(
        &self,
        account: Option<&ExternalId>,
        unresolved_only: bool,
    ) -> StoreResult<Vec<StoredAlert>>;
    /// One alert by id.
    fn alert(&self, id: i64) -> StoreResult<Option<StoredAlert>>;

    /// Adds a webhook subscription; its id is assigned.
    fn add_webhook(&mut self, subscription: &Subscription) -> StoreResult<Subscription>;
    /// The subscriptions in force, oldest first.
    fn webhooks(&self) -> StoreResult<Vec<Subscription>>;
    /// Ends a subscription (its past deliveries stay); `false` when there was none.
    fn remove_webhook(&mut self, id: i64, at: Timestamp) -> StoreResult<bool>;
    /// Puts deliveries in the outbox, in one transaction.
    fn enqueue_deliveries(&mut self, deliveries: &[Delivery]) -> StoreResult<()>;
    /// Undelivered deliveries due at `now`, the most overdue first.
    fn due_deliveries(&self, now: Timestamp, limit: usize) -> StoreResult<Vec<Delivery>>;
    /// Every delivery (of one alert), with its attempts and outcome.
    fn deliveries(&self, alert_id: Option<i64>) -> StoreResult<Vec<Delivery>>;
    /// Records one attempt: delivered, or failed with the error and the
    /// instant of the next attempt.
    fn record_delivery_attempt(
        &mut self,
        id: i64,
        at: Timestamp,
        outcome: Result<(), &str>,
        retry_at: Timestamp,
    ) -> StoreResult<()>;

    /// Stores one model's daily snapshot (replacing the same model and day);
    /// an account the store does not know refuses the whole snapshot.
    fn put_snapshot(&mut self, snapshot: &DaySnapshot) -> StoreResult<WriteOutcome>;
    /// One model's snapshots of the days `from..=to`, in day order.
    fn snapshots(
        &self,
        model: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> StoreResult<Vec<DaySnapshot>>;
}

/// Builds the engine's in-memory state from everything the store holds: the
/// start-up load. Later activities are added one at a time as they arrive.
pub fn load_engine(store: &dyn Store) -> StoreResult<rapport_core::engine::PortfolioState> {
    let mut state = load_records(store)?;
    load_activities(store, &mut state)?;
    Ok(state)
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

/// The second part of [`load_engine`]: every activity, streamed into `state`.
pub fn load_activities(
    store: &dyn Store,
    state: &mut rapport_core::engine::PortfolioState,
) -> StoreResult<()> {
    store.for_each_activity(&mut |activity| state.add_activity(&activity))?;
    state.compact();
    Ok(())
}

/// Opens the store a database URL names, creating and migrating it as needed.
pub fn open(url: &str) -> StoreResult<Box<dyn Store>> {
    match DatabaseUrl::parse(url)? {
        DatabaseUrl::Sqlite(location) => Ok(Box::new(SqliteStore::open(&location)?)),
        DatabaseUrl::Postgres(_) => Err(StoreError::Unsupported(
            "the PostgreSQL backend is not built yet; use a sqlite:// URL".into(),
        )),
    }
}
