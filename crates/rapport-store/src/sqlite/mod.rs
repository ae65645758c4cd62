//! The embedded SQLite backend: one file, WAL journal, prepared statements and
//! one transaction per batch so bulk imports run at hundreds of thousands of
//! rows a second.

mod alerts;
mod audit;
mod goals;
mod identity;
mod migrations;
mod models;
mod overrides;
mod sharing;
mod snapshots;
mod tasks;
mod tracking;
mod webhooks;

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::{Mutex, RwLock};

use chrono::NaiveDate;
use rapport_core::{
    Account, Activity, ActivityDetail, Contact, DomainError, Email, ExternalId, Feature,
    FeatureKey, Outcome, Timestamp,
};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, TransactionBehavior, params};

use crate::audit::{
    AuditDraft, goal_view, share_link_view, task_view, token_view, user_view, webhook_view,
    write_key_view,
};
use crate::url::SqliteLocation;
use crate::{
    Change, ChangeKind, GoalWrite, Store, StoreCounts, StoreError, StoreResult, WriteOutcome,
};
use rapport_core::alerts::StoredAlert;
use rapport_core::alerts::delivery::{Delivery, DeliveryOutcome, SealedSecret, Subscription};
use rapport_core::portfolio::snapshot::DaySnapshot;
use rapport_core::scoring::overrides::OverrideEvent;
use rapport_core::success::Goal;

/// How long a writer waits for another process's write transaction before
/// giving up (a bulk import commits every 20,000 records, well inside this).
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The SQLite store: one writer connection (write transactions are `BEGIN
/// IMMEDIATE`, so they take the database's write lock up front and wait for
/// other processes' writers instead of failing half-way), and a pool of reader
/// connections (WAL lets them read while a writer writes). An in-memory
/// database has one connection for both.
pub struct SqliteStore {
    writer: Mutex<Connection>,
    readers: Option<ReaderPool>,
    /// external id → row id of the accounts seen so far, so activity inserts
    /// need no lookup query; a miss asks the database (another process may
    /// have added the account), and accounts are never deleted.
    account_rows: RwLock<HashMap<String, i64>>,
    /// The tracking API's message ids, read from their log on first use
    /// (`tracking::MessageIds`); none after a failed tracking transaction,
    /// so the next reads them again.
    message_ids: Mutex<Option<tracking::MessageIds>>,
}

/// Idle reader connections, opened on demand.
struct ReaderPool {
    path: std::path::PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReaderPool {
    fn take(&self) -> StoreResult<Connection> {
        if let Some(connection) = lock(&self.idle).pop() {
            return Ok(connection);
        }
        let connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        // Readers make targeted reads and sequential scans: a small page cache
        // each (2 MB) keeps a server's resident memory for the engine.
        connection.pragma_update(None, "cache_size", -2_000)?;
        Ok(connection)
    }

    fn give_back(&self, connection: Connection) {
        let mut idle = lock(&self.idle);
        if idle.len() < 16 {
            idle.push(connection);
        }
    }
}

/// Locks a mutex; a panic in another holder does not make the data unusable
/// here (a connection rolls back an unfinished transaction when dropped).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

type LoggedChange = (ChangeKind, Option<i64>, Option<(i64, i64)>);

/// The most activities one change of the log names.
const ACTIVITIES_PER_CHANGE: i64 = 100_000;

/// The changes one write transaction made, appended to the change log just
/// before it commits.
#[derive(Default)]
pub(crate) struct ChangeLog {
    /// (kind, account row id, activity sequence range), in the order recorded.
    entries: Vec<LoggedChange>,
    seen: HashSet<(ChangeKind, Option<i64>)>,
}

impl ChangeLog {
    /// Records that records of `kind` (of the account with row id `account`) changed.
    pub(crate) fn touched(&mut self, kind: ChangeKind, account: Option<i64>) {
        if self.seen.insert((kind, account)) {
            self.entries.push((kind, account, None));
        }
    }

    /// Activities `first..=last` written, logged in changes of at most
    /// [`ACTIVITIES_PER_CHANGE`]: a follower applies each change whole under
    /// its engine's write lock, and a bulk import's million-row transaction
    /// must not hold a server's readers for the whole of it. (A batch written
    /// through the API is smaller and stays one change: seen whole.)
    fn activities(&mut self, first: i64, last: i64) {
        let mut start = first;
        while start <= last {
            let end = last.min(start + ACTIVITIES_PER_CHANGE - 1);
            self.entries
                .push((ChangeKind::Activities, None, Some((start, end))));
            start = end + 1;
        }
    }

    fn write(&self, transaction: &Connection) -> StoreResult<()> {
        let mut insert = transaction.prepare_cached(
            "INSERT INTO changes (kind, account, first_row, last_row) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (kind, account, range) in &self.entries {
            insert.execute(params![
                kind.as_str(),
                account,
                range.map(|range| range.0),
                range.map(|range| range.1)
            ])?;
        }
        Ok(())
    }
}

fn busy(error: rusqlite::Error) -> StoreError {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            StoreError::Busy {
                seconds: BUSY_TIMEOUT.as_secs(),
            }
        }
        _ => StoreError::Sqlite(error),
    }
}

impl SqliteStore {
    pub fn open(location: &SqliteLocation) -> StoreResult<Self> {
        let (mut connection, readers) = match location {
            SqliteLocation::Memory => (Connection::open_in_memory()?, None),
            SqliteLocation::File(path) => {
                if let Some(parent) = path
                    .parent()
                    .filter(|parent| !parent.as_os_str().is_empty())
                {
                    std::fs::create_dir_all(parent).map_err(|source| StoreError::Folder {
                        path: parent.display().to_string(),
                        source,
                    })?;
                }
                let readers = ReaderPool {
                    path: path.clone(),
                    idle: Mutex::new(Vec::new()),
                };
                (Connection::open(path)?, Some(readers))
            }
        };
        connection.busy_timeout(BUSY_TIMEOUT)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        connection.pragma_update(None, "cache_size", -256_000)?;
        connection.pragma_update(None, "temp_store", "MEMORY")?;
        // Checkpoint the WAL into the database every 20,000 pages (80 MB)
        // rather than every 1,000: a page that batch after batch of an import
        // changes (an index's, for input in no particular order) is copied into
        // the database once per checkpoint, not once per batch.
        connection.pragma_update(None, "wal_autocheckpoint", 20_000)?;
        migrations::run(&mut connection).map_err(|error| match error {
            StoreError::Sqlite(error) => busy(error),
            other => other,
        })?;
        Ok(SqliteStore {
            writer: Mutex::new(connection),
            readers,
            account_rows: RwLock::new(HashMap::new()),
            message_ids: Mutex::new(None),
        })
    }

    /// Runs `work` on a reader connection (the writer's, in memory).
    fn read<T>(&self, work: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        match &self.readers {
            Some(pool) => {
                let connection = pool.take()?;
                let result = work(&connection);
                pool.give_back(connection);
                result
            }
            None => work(&lock(&self.writer)),
        }
    }

    /// Runs `work` in one write transaction that takes the write lock up front
    /// (waiting up to [`BUSY_TIMEOUT`] for other processes' writers), appends
    /// the changes it records to the change log, and commits; an error rolls
    /// everything back.
    fn write<T>(
        &self,
        work: impl FnOnce(&Connection, &mut ChangeLog) -> StoreResult<T>,
    ) -> StoreResult<T> {
        self.write_synced(false, work)
    }

    /// [`SqliteStore::write`]; when `durable`, with `synchronous = FULL`: the
    /// WAL is synced before the commit returns (NORMAL syncs it at
    /// checkpoints, so a power loss may take back the last commits, a crash
    /// of the process never).
    fn write_synced<T>(
        &self,
        durable: bool,
        work: impl FnOnce(&Connection, &mut ChangeLog) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut connection = lock(&self.writer);
        if durable {
            connection.pragma_update(None, "synchronous", "FULL")?;
        }
        let result = (|| {
            let transaction = connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(busy)?;
            let mut log = ChangeLog::default();
            let result = work(&transaction, &mut log)?;
            log.write(&transaction)?;
            transaction.commit().map_err(busy)?;
            Ok(result)
        })();
        if durable {
            connection.pragma_update(None, "synchronous", "NORMAL")?;
        }
        result
    }

    /// Inserts activities in one write transaction (synced to disk before it
    /// returns when `durable`).
    fn insert_activities_synced(
        &self,
        activities: &[Activity],
        durable: bool,
        audit: Option<&AuditDraft>,
    ) -> StoreResult<Vec<WriteOutcome>> {
        // Keys and bodies are made before the write lock is taken (on two
        // threads for a large batch), so other writers wait for the inserts
        // alone.
        let prepared = prepare_activities(activities)?;
        self.write_synced(durable, |transaction, log| {
            let rows = self.account_rows_of(
                transaction,
                activities.iter().map(|activity| &activity.account),
            )?;
            let mut outcomes = vec![WriteOutcome::Unchanged; activities.len()];
            let mut insert = transaction.prepare_cached(
                "INSERT INTO activities (dedup_key, has_source_id, account, at_ms, body) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (dedup_key) WHERE has_source_id < 2 DO NOTHING",
            )?;
            let mut range: Option<(i64, i64)> = None;
            // Written grouped by account, in time order, arrival order among
            // equal instants: the indexes then take each account's rows on
            // neighbouring pages whatever the order of the input (an export
            // ordered by time across accounts, or not at all).
            let mut order: Vec<(i64, i64, usize)> = activities
                .iter()
                .enumerate()
                .map(|(index, activity)| {
                    (rows[activity.account.as_str()], activity.at.millis(), index)
                })
                .collect();
            order.sort_unstable();
            for (account_row, _, index) in order {
                let activity = &activities[index];
                let (dedup_key, body) = &prepared[index];
                let changed = insert.execute(params![
                    dedup_key,
                    activity.source_id.is_some(),
                    account_row,
                    activity.at.millis(),
                    body,
                ])?;
                if changed == 1 {
                    let seq = transaction.last_insert_rowid();
                    range = Some(range.map_or((seq, seq), |(first, _)| (first, seq)));
                    outcomes[index] = WriteOutcome::Inserted;
                }
            }
            if let Some((first, last)) = range {
                log.activities(first, last);
            }
            if let Some(draft) = audit {
                for (activity, outcome) in activities.iter().zip(&outcomes) {
                    if *outcome == WriteOutcome::Inserted {
                        let after = crate::audit::activity_view(activity);
                        audit::record(
                            transaction,
                            draft,
                            activity.source_id.as_deref().unwrap_or(""),
                            Some(&activity.account),
                            None,
                            Some(after),
                        )?;
                    }
                }
            }
            Ok(outcomes)
        })
    }

    /// Appends the event `decide` makes from the trail, audited when a
    /// person makes it (`audit`).
    fn append_override(
        &self,
        account: &ExternalId,
        audit: Option<&AuditDraft>,
        decide: &mut dyn FnMut(&[OverrideEvent]) -> Option<OverrideEvent>,
    ) -> StoreResult<Option<OverrideEvent>> {
        self.write(|transaction, log| {
            let row = self.account_row(transaction, account)?;
            let trail: Vec<OverrideEvent> = overrides::list(transaction, Some(row))?
                .into_iter()
                .map(|(_, event)| event)
                .collect();
            let Some(event) = decide(&trail) else {
                return Ok(None);
            };
            overrides::record(transaction, row, &event)?;
            log.touched(ChangeKind::Overrides, Some(row));
            if let Some(draft) = audit {
                let view = |event: &OverrideEvent| serde_json::to_value(event).ok();
                let before = trail
                    .iter()
                    .rev()
                    .find(|earlier| earlier.model == event.model)
                    .and_then(view);
                audit::record(
                    transaction,
                    draft,
                    &event.model,
                    Some(account),
                    before,
                    view(&event),
                )?;
            }
            Ok(Some(event))
        })
    }

    /// The row id of an account, from the cache or the database.
    fn account_row(&self, connection: &Connection, account: &ExternalId) -> StoreResult<i64> {
        if let Some(row) = self
            .account_rows
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(account.as_str())
        {
            return Ok(*row);
        }
        let row: i64 = connection
            .query_row(
                "SELECT id FROM accounts WHERE external_id = ?1",
                [account.as_str()],
                |row| row.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownAccount(account.to_string()))?;
        self.account_rows
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(account.as_str().to_string(), row);
        Ok(row)
    }

    /// The row ids of every account the records name, or the first unknown
    /// one refused before anything is written.
    fn account_rows_of<'a>(
        &self,
        connection: &Connection,
        accounts: impl Iterator<Item = &'a ExternalId>,
    ) -> StoreResult<HashMap<&'a str, i64>> {
        let mut rows = HashMap::new();
        for account in accounts {
            if !rows.contains_key(account.as_str()) {
                rows.insert(account.as_str(), self.account_row(connection, account)?);
            }
        }
        Ok(rows)
    }
}

/// Inserted, updated or unchanged: how a wanted row compares with the stored one.
fn classify<T: PartialEq>(existing: Option<&T>, wanted: &T) -> WriteOutcome {
    match existing {
        Some(stored) if stored == wanted => WriteOutcome::Unchanged,
        Some(_) => WriteOutcome::Updated,
        None => WriteOutcome::Inserted,
    }
}

pub(crate) fn corrupt(what: &str, reason: impl ToString) -> StoreError {
    StoreError::Corrupt {
        what: what.to_string(),
        reason: reason.to_string(),
    }
}

fn parse_stored<T: FromStr<Err = DomainError>>(what: &str, text: &str) -> StoreResult<T> {
    text.parse()
        .map_err(|error: DomainError| corrupt(what, error))
}

fn stored_date(what: &str, text: Option<String>) -> StoreResult<Option<NaiveDate>> {
    text.map(|text| {
        NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|error| corrupt(what, error))
    })
    .transpose()
}

pub(crate) fn external_id(what: &str, text: &str) -> StoreResult<ExternalId> {
    ExternalId::parse(text).map_err(|error| corrupt(what, error))
}

const ACCOUNT_COLUMNS: &str = "external_id, name, tier, arr, seats, csm, status, contract_start, \
     renewal_date, industry, manager, at_risk_override";

/// An account from the [`ACCOUNT_COLUMNS`] of `row`, starting at column `first`.
fn account_from_row(row: &Row<'_>, first: usize) -> StoreResult<Account> {
    Ok(Account {
        external_id: external_id("account id", &row.get::<_, String>(first)?)?,
        name: row.get(first + 1)?,
        tier: parse_stored("account tier", &row.get::<_, String>(first + 2)?)?,
        arr: row.get(first + 3)?,
        seats: row.get(first + 4)?,
        csm: row.get(first + 5)?,
        status: parse_stored("account status", &row.get::<_, String>(first + 6)?)?,
        contract_start: stored_date("contract_start", row.get(first + 7)?)?,
        renewal_date: stored_date("renewal_date", row.get(first + 8)?)?,
        industry: row.get(first + 9)?,
        manager: row.get(first + 10)?,
        at_risk_override: row.get(first + 11)?,
    })
}

/// A watch's stored priority.
fn watch_priority(text: &str) -> Option<rapport_core::engagement::breakdown::AlertPriority> {
    use rapport_core::engagement::breakdown::AlertPriority;
    match text {
        "critical" => Some(AlertPriority::Critical),
        "high" => Some(AlertPriority::High),
        "medium" => Some(AlertPriority::Medium),
        _ => None,
    }
}

/// A model version as the audit log keeps it: the whole file, who, when, why.
fn model_view(version: &crate::models::ModelVersion) -> serde_json::Value {
    serde_json::json!({
        "id": version.id,
        "name": version.name,
        "version": version.version,
        "toml": version.toml,
        "note": version.note,
        "savedAt": version.saved_at.to_string(),
        "savedBy": version.saved_by,
    })
}

fn activity_from_row(row: &Row<'_>) -> StoreResult<Activity> {
    let dedup_key: String = row.get(1)?;
    let has_source_id: bool = row.get(2)?;
    let body: String = row.get(4)?;
    let detail: ActivityDetail = serde_json::from_str(&body)
        .map_err(|error| corrupt(&format!("activity {dedup_key}"), error))?;
    Ok(Activity {
        source_id: has_source_id.then_some(dedup_key),
        account: external_id("activity account", &row.get::<_, String>(0)?)?,
        at: Timestamp::from_millis(row.get(3)?),
        detail,
    })
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn ping(&self) -> StoreResult<()> {
        self.read(|connection| Ok(connection.query_row("SELECT 1", [], |_| Ok(()))?))
    }

    fn upsert_accounts(&self, accounts: &[Account]) -> StoreResult<Vec<WriteOutcome>> {
        self.write(|transaction, log| {
            let mut outcomes = Vec::with_capacity(accounts.len());
            let mut select = transaction.prepare_cached(&format!(
                "SELECT id, {ACCOUNT_COLUMNS} FROM accounts WHERE external_id = ?1"
            ))?;
            let mut upsert = transaction.prepare_cached(&format!(
                "INSERT INTO accounts (customer_id, {ACCOUNT_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
                 ON CONFLICT (external_id) DO UPDATE SET name = excluded.name, tier = excluded.tier, \
                 arr = excluded.arr, seats = excluded.seats, csm = excluded.csm, status = excluded.status, \
                 contract_start = excluded.contract_start, renewal_date = excluded.renewal_date, \
                 industry = excluded.industry, manager = excluded.manager, \
                 at_risk_override = excluded.at_risk_override RETURNING id"
            ))?;
            for account in accounts {
                let existing = select
                    .query_row([account.external_id.as_str()], |row| {
                        Ok(account_from_row(row, 1))
                    })
                    .optional()?
                    .transpose()?;
                let outcome = classify(existing.as_ref(), account);
                if outcome != WriteOutcome::Unchanged {
                    let row: i64 = upsert.query_row(
                        params![
                            account.customer_id().to_string(),
                            account.external_id.as_str(),
                            account.name,
                            account.tier.as_str(),
                            account.arr,
                            account.seats,
                            account.csm,
                            account.status.as_str(),
                            account.contract_start.map(|date| date.to_string()),
                            account.renewal_date.map(|date| date.to_string()),
                            account.industry,
                            account.manager,
                            account.at_risk_override,
                        ],
                        |row| row.get(0),
                    )?;
                    log.touched(ChangeKind::Account, Some(row));
                }
                outcomes.push(outcome);
            }
            Ok(outcomes)
        })
    }

    fn upsert_contacts(&self, contacts: &[Contact]) -> StoreResult<Vec<WriteOutcome>> {
        self.write(|transaction, log| {
            let rows =
                self.account_rows_of(transaction, contacts.iter().map(|contact| &contact.account))?;
            let mut outcomes = Vec::with_capacity(contacts.len());
            let mut select = transaction.prepare_cached(
                "SELECT name, role, department, title FROM contacts WHERE account = ?1 AND email = ?2",
            )?;
            let mut upsert = transaction.prepare_cached(
                "INSERT INTO contacts (account, email, name, role, department, title) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (account, email) DO UPDATE SET \
                 name = excluded.name, role = excluded.role, department = excluded.department, \
                 title = excluded.title",
            )?;
            for contact in contacts {
                let account = rows[contact.account.as_str()];
                let wanted = (
                    contact.name.clone(),
                    contact.role.as_str().to_string(),
                    contact.department.clone(),
                    contact.title.clone(),
                );
                let existing = select
                    .query_row(params![account, contact.email.as_str()], |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                    })
                    .optional()?;
                let outcome = classify(existing.as_ref(), &wanted);
                if outcome != WriteOutcome::Unchanged {
                    upsert.execute(params![
                        account,
                        contact.email.as_str(),
                        wanted.0,
                        wanted.1,
                        wanted.2,
                        wanted.3
                    ])?;
                    log.touched(ChangeKind::Contacts, Some(account));
                }
                outcomes.push(outcome);
            }
            Ok(outcomes)
        })
    }

    fn upsert_features(&self, features: &[Feature]) -> StoreResult<Vec<WriteOutcome>> {
        self.write(|transaction, log| {
            let mut outcomes = Vec::with_capacity(features.len());
            let mut select = transaction
                .prepare_cached("SELECT name, importance FROM features WHERE key = ?1")?;
            let mut upsert = transaction.prepare_cached(
                "INSERT INTO features (key, name, importance) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (key) DO UPDATE SET name = excluded.name, importance = excluded.importance",
            )?;
            for feature in features {
                let wanted = (
                    feature.name.clone(),
                    feature.importance.as_str().to_string(),
                );
                let existing: Option<(String, String)> = select
                    .query_row([feature.key.as_str()], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()?;
                let outcome = classify(existing.as_ref(), &wanted);
                if outcome != WriteOutcome::Unchanged {
                    upsert.execute(params![feature.key.as_str(), wanted.0, wanted.1])?;
                    log.touched(ChangeKind::Features, None);
                }
                outcomes.push(outcome);
            }
            Ok(outcomes)
        })
    }

    fn insert_activities(&self, activities: &[Activity]) -> StoreResult<Vec<WriteOutcome>> {
        self.insert_activities_synced(activities, false, None)
    }

    fn insert_activities_durably(&self, activities: &[Activity]) -> StoreResult<Vec<WriteOutcome>> {
        self.insert_activities_synced(activities, true, None)
    }

    fn upsert_outcomes(&self, outcomes: &[Outcome]) -> StoreResult<Vec<WriteOutcome>> {
        self.write(|transaction, log| {
            let rows =
                self.account_rows_of(transaction, outcomes.iter().map(|outcome| &outcome.account))?;
            let mut results = Vec::with_capacity(outcomes.len());
            let mut select = transaction.prepare_cached(
                "SELECT outcome, arr_change FROM outcomes WHERE account = ?1 AND date = ?2",
            )?;
            let mut upsert = transaction.prepare_cached(
                "INSERT INTO outcomes (account, date, outcome, arr_change) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (account, date) DO UPDATE SET outcome = excluded.outcome, \
                 arr_change = excluded.arr_change",
            )?;
            for outcome in outcomes {
                let account = rows[outcome.account.as_str()];
                let date = outcome.date.to_string();
                let existing: Option<(String, f64)> = select
                    .query_row(params![account, date], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()?;
                let wanted = (outcome.outcome.as_str().to_string(), outcome.arr_change);
                let result = classify(existing.as_ref(), &wanted);
                if result != WriteOutcome::Unchanged {
                    upsert.execute(params![
                        account,
                        date,
                        outcome.outcome.as_str(),
                        outcome.arr_change
                    ])?;
                    log.touched(ChangeKind::Outcomes, Some(account));
                }
                results.push(result);
            }
            Ok(results)
        })
    }

    fn accounts(&self) -> StoreResult<Vec<Account>> {
        self.read(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY external_id"
            ))?;
            let mut rows = statement.query([])?;
            let mut accounts = Vec::new();
            while let Some(row) = rows.next()? {
                accounts.push(account_from_row(row, 0)?);
            }
            Ok(accounts)
        })
    }

    fn account(&self, account: &ExternalId) -> StoreResult<Option<Account>> {
        self.read(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE external_id = ?1"
            ))?;
            statement
                .query_row([account.as_str()], |row| Ok(account_from_row(row, 0)))
                .optional()?
                .transpose()
        })
    }

    fn contacts(&self) -> StoreResult<Vec<Contact>> {
        self.read(|connection| contacts_where(connection, None))
    }

    fn account_contacts(&self, account: &ExternalId) -> StoreResult<Vec<Contact>> {
        self.read(|connection| {
            let row = self.account_row(connection, account)?;
            contacts_where(connection, Some(row))
        })
    }

    fn features(&self) -> StoreResult<Vec<Feature>> {
        self.read(|connection| {
            let mut statement = connection
                .prepare_cached("SELECT key, name, importance FROM features ORDER BY key")?;
            let mut rows = statement.query([])?;
            let mut features = Vec::new();
            while let Some(row) = rows.next()? {
                features.push(Feature {
                    key: FeatureKey::parse(&row.get::<_, String>(0)?)
                        .map_err(|error| corrupt("feature key", error))?,
                    name: row.get(1)?,
                    importance: parse_stored("feature importance", &row.get::<_, String>(2)?)?,
                });
            }
            Ok(features)
        })
    }

    fn outcomes(&self) -> StoreResult<Vec<Outcome>> {
        self.read(|connection| outcomes_where(connection, None))
    }

    fn account_outcomes(&self, account: &ExternalId) -> StoreResult<Vec<Outcome>> {
        self.read(|connection| {
            let row = self.account_row(connection, account)?;
            outcomes_where(connection, Some(row))
        })
    }

    fn account_activities(&self, account: &ExternalId) -> StoreResult<Vec<Activity>> {
        self.read(|connection| {
            let row_id = self.account_row(connection, account)?;
            let mut statement = connection.prepare_cached(
                "SELECT ?2, dedup_key, has_source_id, at_ms, body FROM activities \
                 WHERE account = ?1 ORDER BY at_ms, seq",
            )?;
            let mut rows = statement.query(params![row_id, account.as_str()])?;
            let mut activities = Vec::new();
            while let Some(row) = rows.next()? {
                activities.push(activity_from_row(row)?);
            }
            Ok(activities)
        })
    }

    fn account_timeline(
        &self,
        account: &ExternalId,
        before: Timestamp,
        kinds: &[&str],
        limit: usize,
    ) -> StoreResult<Vec<Activity>> {
        self.read(|connection| {
            let row_id = self.account_row(connection, account)?;
            let kinds = serde_json::to_string(kinds).unwrap_or_else(|_| "[]".into());
            let mut statement = connection.prepare_cached(
                "SELECT ?2, dedup_key, has_source_id, at_ms, body FROM activities \
                 WHERE account = ?1 AND at_ms < ?3 \
                 AND (json_array_length(?4) = 0 \
                      OR json_extract(body, '$.type') IN (SELECT value FROM json_each(?4))) \
                 ORDER BY at_ms DESC, seq DESC LIMIT ?5",
            )?;
            let mut rows = statement.query(params![
                row_id,
                account.as_str(),
                before.millis(),
                kinds,
                i64::try_from(limit).unwrap_or(i64::MAX)
            ])?;
            let mut activities = Vec::new();
            while let Some(row) = rows.next()? {
                activities.push(activity_from_row(row)?);
            }
            Ok(activities)
        })
    }

    fn for_each_activity(&self, visit: &mut dyn FnMut(i64, Activity)) -> StoreResult<()> {
        self.activities_in(i64::MIN, i64::MAX, visit)
    }

    fn activities_in(
        &self,
        first: i64,
        last: i64,
        visit: &mut dyn FnMut(i64, Activity),
    ) -> StoreResult<()> {
        self.read(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT a.external_id, v.dedup_key, v.has_source_id, v.at_ms, v.body, v.seq \
                 FROM activities v JOIN accounts a ON a.id = v.account \
                 WHERE v.seq BETWEEN ?1 AND ?2 ORDER BY v.seq",
            )?;
            let mut rows = statement.query(params![first, last])?;
            while let Some(row) = rows.next()? {
                visit(row.get(5)?, activity_from_row(row)?);
            }
            Ok(())
        })
    }

    fn counts(&self) -> StoreResult<StoreCounts> {
        self.read(|connection| {
            let count = |table: &str| -> StoreResult<u64> {
                Ok(
                    connection.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                        row.get::<_, i64>(0)
                    })? as u64,
                )
            };
            Ok(StoreCounts {
                accounts: count("accounts")?,
                contacts: count("contacts")?,
                features: count("features")?,
                activities: count("activities")?,
                outcomes: count("outcomes")?,
            })
        })
    }

    fn identity(&self) -> StoreResult<String> {
        self.read(|connection| {
            Ok(connection.query_row(
                "SELECT value FROM meta WHERE key = 'store_id'",
                [],
                |row| row.get(0),
            )?)
        })
    }

    fn cursor(&self) -> StoreResult<u64> {
        self.read(|connection| {
            let seq: Option<i64> =
                connection.query_row("SELECT max(seq) FROM changes", [], |row| row.get(0))?;
            Ok(seq.unwrap_or(0) as u64)
        })
    }

    fn changes_since(&self, cursor: u64, limit: usize) -> StoreResult<Vec<Change>> {
        self.read(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT c.seq, c.kind, a.external_id, c.first_row, c.last_row FROM changes c \
                 LEFT JOIN accounts a ON a.id = c.account WHERE c.seq > ?1 ORDER BY c.seq LIMIT ?2",
            )?;
            let mut rows = statement.query(params![cursor as i64, limit as i64])?;
            let mut changes = Vec::new();
            while let Some(row) = rows.next()? {
                let kind: String = row.get(1)?;
                let account: Option<String> = row.get(2)?;
                let first: Option<i64> = row.get(3)?;
                let last: Option<i64> = row.get(4)?;
                changes.push(Change {
                    seq: row.get::<_, i64>(0)? as u64,
                    kind: ChangeKind::parse(&kind)
                        .ok_or_else(|| corrupt("change kind", format!("`{kind}`")))?,
                    account: account
                        .map(|account| external_id("change account", &account))
                        .transpose()?,
                    activities: first.zip(last),
                });
            }
            Ok(changes)
        })
    }

    fn put_goal(&self, account: &ExternalId, goal: &Goal) -> StoreResult<Goal> {
        self.write(|transaction, log| {
            let row = self.account_row(transaction, account)?;
            log.touched(ChangeKind::Goals, Some(row));
            goals::put(transaction, row, goal)
        })
    }

    fn goals(&self, account: Option<&ExternalId>) -> StoreResult<Vec<(ExternalId, Goal)>> {
        self.read(|connection| {
            let row = account
                .map(|account| self.account_row(connection, account))
                .transpose()?;
            goals::list(connection, row)
        })
    }

    fn delete_goal(&self, account: &ExternalId, goal_id: &str) -> StoreResult<bool> {
        self.write(|transaction, log| {
            let row = self.account_row(transaction, account)?;
            let deleted = transaction.execute(
                "DELETE FROM goals WHERE account = ?1 AND id = ?2",
                params![row, goal_id],
            )? > 0;
            if deleted {
                log.touched(ChangeKind::Goals, Some(row));
            }
            Ok(deleted)
        })
    }

    fn edit_goals(
        &self,
        account: &ExternalId,
        audit: &AuditDraft,
        edit: &mut dyn FnMut(&[Goal]) -> Option<Vec<GoalWrite>>,
    ) -> StoreResult<Option<Vec<Goal>>> {
        self.write(|transaction, log| {
            let row = self.account_row(transaction, account)?;
            let stored: Vec<Goal> = goals::list(transaction, Some(row))?
                .into_iter()
                .map(|(_, goal)| goal)
                .collect();
            let Some(writes) = edit(&stored) else {
                return Ok(None);
            };
            let mut written = Vec::new();
            let before = |id: &str| stored.iter().find(|goal| goal.id == id).map(goal_view);
            for write in writes {
                match write {
                    GoalWrite::Put(goal) => {
                        let put = goals::put(transaction, row, &goal)?;
                        let was = (!goal.id.is_empty()).then(|| before(&goal.id)).flatten();
                        audit::record(
                            transaction,
                            audit,
                            &put.id,
                            Some(account),
                            was,
                            Some(goal_view(&put)),
                        )?;
                        written.push(put);
                    }
                    GoalWrite::Delete(id) => {
                        let deleted = transaction.execute(
                            "DELETE FROM goals WHERE account = ?1 AND id = ?2",
                            params![row, id],
                        )? > 0;
                        if deleted {
                            audit::record(
                                transaction,
                                audit,
                                &id,
                                Some(account),
                                before(&id),
                                None,
                            )?;
                        }
                    }
                }
            }
            log.touched(ChangeKind::Goals, Some(row));
            Ok(Some(written))
        })
    }

    fn record_override_event(
        &self,
        account: &ExternalId,
        event: &OverrideEvent,
    ) -> StoreResult<()> {
        self.append_override(account, None, &mut |_| Some(event.clone()))
            .map(|_| ())
    }

    fn append_override_event(
        &self,
        account: &ExternalId,
        audit: &AuditDraft,
        decide: &mut dyn FnMut(&[OverrideEvent]) -> Option<OverrideEvent>,
    ) -> StoreResult<Option<OverrideEvent>> {
        self.append_override(account, Some(audit), decide)
    }

    fn override_events(
        &self,
        account: Option<&ExternalId>,
    ) -> StoreResult<Vec<(ExternalId, OverrideEvent)>> {
        self.read(|connection| {
            let row = account
                .map(|account| self.account_row(connection, account))
                .transpose()?;
            overrides::list(connection, row)
        })
    }

    fn write_alerts(&self, alerts: &[StoredAlert]) -> StoreResult<Vec<StoredAlert>> {
        self.write(|transaction, log| alerts::write(transaction, log, alerts))
    }

    fn reconcile_alerts(
        &self,
        account: Option<&ExternalId>,
        now: Timestamp,
        decide: &mut dyn FnMut(&crate::AlertsInForce) -> Vec<StoredAlert>,
    ) -> StoreResult<Vec<StoredAlert>> {
        self.write(|transaction, log| {
            let row = account
                .map(|account| self.account_row(transaction, account))
                .transpose()?;
            alerts::reconcile(transaction, log, row, now, decide)
        })
    }

    fn update_alert(
        &self,
        id: i64,
        audit: &AuditDraft,
        decide: &mut dyn FnMut(&StoredAlert) -> Option<StoredAlert>,
    ) -> StoreResult<Option<StoredAlert>> {
        self.write(|transaction, log| {
            let Some(stored) = alerts::one(transaction, id)? else {
                return Ok(None);
            };
            let Some(changed) = decide(&stored) else {
                return Ok(None);
            };
            let Some(written) = alerts::write(transaction, log, &[changed])?.pop() else {
                return Ok(None);
            };
            let view = |alert: &StoredAlert| serde_json::to_value(alert).ok();
            audit::record(
                transaction,
                audit,
                &written.id.to_string(),
                Some(&written.account),
                view(&stored),
                view(&written),
            )?;
            Ok(Some(written))
        })
    }

    fn alerts(
        &self,
        account: Option<&ExternalId>,
        unresolved_only: bool,
    ) -> StoreResult<Vec<StoredAlert>> {
        self.read(|connection| {
            let row = account
                .map(|account| self.account_row(connection, account))
                .transpose()?;
            alerts::list(connection, row, unresolved_only)
        })
    }

    fn alert(&self, id: i64) -> StoreResult<Option<StoredAlert>> {
        self.read(|connection| alerts::one(connection, id))
    }

    fn add_webhook(
        &self,
        subscription: &Subscription,
        audit: &AuditDraft,
    ) -> StoreResult<Subscription> {
        self.write(|transaction, log| {
            log.touched(ChangeKind::Webhooks, None);
            let added = webhooks::add(transaction, subscription)?;
            let id = added.id.to_string();
            audit::record(
                transaction,
                audit,
                &id,
                None,
                None,
                Some(webhook_view(&added)),
            )?;
            Ok(added)
        })
    }

    fn webhooks(&self) -> StoreResult<Vec<Subscription>> {
        self.read(webhooks::list)
    }

    fn remove_webhook(&self, id: i64, at: Timestamp, audit: &AuditDraft) -> StoreResult<bool> {
        self.write(|transaction, log| {
            let before = webhooks::list(transaction)?
                .into_iter()
                .find(|subscription| subscription.id == id);
            let removed = webhooks::remove(transaction, id, at)?;
            if removed {
                log.touched(ChangeKind::Webhooks, None);
                log.touched(ChangeKind::Deliveries, None);
                let before = before.as_ref().map(webhook_view);
                audit::record(transaction, audit, &id.to_string(), None, before, None)?;
            }
            Ok(removed)
        })
    }

    fn seal_plain_webhook_secrets(
        &self,
        seal: &mut dyn FnMut(&str) -> Option<SealedSecret>,
    ) -> StoreResult<usize> {
        let sealed = self.write(|transaction, log| {
            let sealed = webhooks::seal_plain_secrets(transaction, seal)?;
            if sealed > 0 {
                log.touched(ChangeKind::Webhooks, None);
            }
            Ok(sealed)
        })?;
        if sealed > 0 {
            // The pages that held the plain text are in the WAL until a
            // checkpoint copies the sealed ones over them; then the WAL is
            // emptied. Readers in the middle of a read make it partial: the
            // next checkpoint finishes it.
            lock(&self.writer).query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        Ok(sealed)
    }

    fn enqueue_deliveries(&self, deliveries: &[Delivery]) -> StoreResult<()> {
        if deliveries.is_empty() {
            return Ok(());
        }
        self.write(|transaction, log| {
            log.touched(ChangeKind::Deliveries, None);
            webhooks::enqueue(transaction, deliveries)
        })
    }

    fn due_deliveries(
        &self,
        now: Timestamp,
        limit: usize,
        busy: &[i64],
    ) -> StoreResult<Vec<Delivery>> {
        self.read(|connection| webhooks::due(connection, now, limit, busy))
    }

    fn deliveries(&self, alert_id: Option<i64>) -> StoreResult<Vec<Delivery>> {
        self.read(|connection| webhooks::of_alert(connection, alert_id))
    }

    fn record_delivery(
        &self,
        id: i64,
        at: Timestamp,
        outcome: DeliveryOutcome<'_>,
    ) -> StoreResult<()> {
        self.write(|transaction, log| {
            log.touched(ChangeKind::Deliveries, None);
            webhooks::record(transaction, id, at, outcome)
        })
    }

    fn put_snapshot(&self, snapshot: &DaySnapshot) -> StoreResult<WriteOutcome> {
        self.write(|transaction, log| {
            let outcome = snapshots::put(transaction, snapshot)?;
            if outcome != WriteOutcome::Unchanged {
                log.touched(ChangeKind::Snapshots, None);
            }
            Ok(outcome)
        })
    }

    fn snapshots(
        &self,
        model: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> StoreResult<Vec<DaySnapshot>> {
        self.read(|connection| snapshots::list(connection, model, from, to))
    }

    fn record_tracked(
        &self,
        batches: &[crate::tracking::TrackedBatch],
    ) -> StoreResult<crate::tracking::TrackedWrite> {
        self.apply_tracked(batches)
    }

    fn prune_tracked_messages(&self, received_before: Timestamp) -> StoreResult<usize> {
        self.prune_messages(received_before)
    }

    fn tracked_user(
        &self,
        user: &rapport_core::UserId,
    ) -> StoreResult<Option<crate::tracking::TrackedUser>> {
        self.read(|connection| tracking::tracked_user(connection, user))
    }

    fn create_write_key(
        &self,
        name: &str,
        key_hash: &[u8; 32],
        prefix: &str,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> StoreResult<crate::tracking::WriteKey> {
        self.write(|transaction, _| {
            let created = tracking::create_key(transaction, name, key_hash, prefix, at)?;
            audit::record(
                transaction,
                audit,
                &created.id.to_string(),
                None,
                None,
                Some(write_key_view(&created)),
            )?;
            Ok(created)
        })
    }

    fn write_keys(&self) -> StoreResult<Vec<crate::tracking::WriteKey>> {
        self.read(tracking::keys)
    }

    fn write_key_by_hash(
        &self,
        key_hash: &[u8; 32],
    ) -> StoreResult<Option<crate::tracking::WriteKey>> {
        self.read(|connection| tracking::key_by_hash(connection, key_hash))
    }

    fn revoke_write_key(
        &self,
        id: i64,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> StoreResult<Option<crate::tracking::WriteKey>> {
        self.write(|transaction, _| {
            let before = tracking::key_by_id(transaction, id)?;
            let after = tracking::revoke_key(transaction, id, at)?;
            if let (Some(before), Some(after)) = (&before, &after)
                && before.revoked_at.is_none()
            {
                audit::record(
                    transaction,
                    audit,
                    &id.to_string(),
                    None,
                    Some(write_key_view(before)),
                    Some(write_key_view(after)),
                )?;
            }
            Ok(after)
        })
    }

    fn create_user(
        &self,
        name: &str,
        email: Option<&str>,
        role: rapport_core::access::Role,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> StoreResult<Option<crate::identity::User>> {
        self.write(|transaction, _| {
            let created = identity::create_user(transaction, name, email, role, at)?;
            if let Some(user) = &created {
                let id = user.id.to_string();
                audit::record(transaction, audit, &id, None, None, Some(user_view(user)))?;
            }
            Ok(created)
        })
    }

    fn users(&self) -> StoreResult<Vec<crate::identity::User>> {
        self.read(identity::users)
    }

    fn user(&self, id: i64) -> StoreResult<Option<crate::identity::User>> {
        self.read(|connection| identity::user(connection, id))
    }

    fn user_by_name(&self, name: &str) -> StoreResult<Option<crate::identity::User>> {
        self.read(|connection| identity::user_by_name(connection, name))
    }

    fn update_user(
        &self,
        id: i64,
        change: &crate::identity::UserChange,
        audit: &AuditDraft,
    ) -> StoreResult<Option<crate::identity::User>> {
        self.write(|transaction, _| {
            let Some(before) = identity::user(transaction, id)? else {
                return Ok(None);
            };
            let after = identity::update_user(transaction, id, change)?;
            if let Some(after) = &after
                && after != &before
            {
                let (before, after) = (user_view(&before), user_view(after));
                audit::record(
                    transaction,
                    audit,
                    &id.to_string(),
                    None,
                    Some(before),
                    Some(after),
                )?;
            }
            Ok(after)
        })
    }

    fn create_api_token(
        &self,
        token: &crate::identity::NewToken<'_>,
        audit: &AuditDraft,
    ) -> StoreResult<crate::identity::ApiToken> {
        self.write(|transaction, _| {
            let created = identity::create_token(transaction, token)?;
            let id = created.id.to_string();
            audit::record(
                transaction,
                audit,
                &id,
                None,
                None,
                Some(token_view(&created)),
            )?;
            Ok(created)
        })
    }

    fn api_tokens(&self, user_id: Option<i64>) -> StoreResult<Vec<crate::identity::ApiToken>> {
        self.read(|connection| identity::tokens(connection, user_id))
    }

    fn api_token_by_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> StoreResult<Option<crate::identity::ApiToken>> {
        self.read(|connection| identity::token_by_hash(connection, token_hash))
    }

    fn touch_api_token(&self, id: i64, at: Timestamp) -> StoreResult<()> {
        self.write(|transaction, _| identity::touch_token(transaction, id, at))
    }

    fn revoke_api_token(
        &self,
        id: i64,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> StoreResult<Option<crate::identity::ApiToken>> {
        self.write(|transaction, _| {
            let before = identity::token(transaction, id)?;
            let after = identity::revoke_token(transaction, id, at)?;
            if let (Some(before), Some(after)) = (&before, &after)
                && before.revoked_at.is_none()
            {
                let (before, after) = (token_view(before), token_view(after));
                audit::record(
                    transaction,
                    audit,
                    &id.to_string(),
                    None,
                    Some(before),
                    Some(after),
                )?;
            }
            Ok(after)
        })
    }

    fn spend_api_token(&self, id: i64, at: Timestamp) -> StoreResult<()> {
        self.write(|transaction, _| identity::revoke_token(transaction, id, at).map(|_| ()))
    }

    fn create_session(
        &self,
        session_hash: &[u8; 32],
        session: &crate::identity::Session,
    ) -> StoreResult<()> {
        self.write(|transaction, _| identity::create_session(transaction, session_hash, session))
    }

    fn session(&self, session_hash: &[u8; 32]) -> StoreResult<Option<crate::identity::Session>> {
        self.read(|connection| identity::session(connection, session_hash))
    }

    fn delete_session(&self, session_hash: &[u8; 32]) -> StoreResult<bool> {
        self.write(|transaction, _| identity::delete_session(transaction, session_hash))
    }

    fn record_person_activity(
        &self,
        activity: &Activity,
        audit: &AuditDraft,
    ) -> StoreResult<WriteOutcome> {
        let outcomes =
            self.insert_activities_synced(std::slice::from_ref(activity), false, Some(audit))?;
        Ok(outcomes.first().copied().unwrap_or(WriteOutcome::Unchanged))
    }

    fn audit_entries(
        &self,
        filter: &crate::audit::AuditFilter,
    ) -> StoreResult<Vec<crate::audit::AuditEntry>> {
        self.read(|connection| audit::entries(connection, filter))
    }

    fn create_share_link(
        &self,
        link: &crate::sharing::NewShareLink<'_>,
        audit: &AuditDraft,
    ) -> StoreResult<crate::sharing::ShareLink> {
        self.write(|transaction, _| {
            let row = self.account_row(transaction, link.account)?;
            let created_by = (audit.actor_id, audit.actor_name.as_str());
            let created = sharing::create(transaction, row, link, created_by, audit.at)?;
            let id = created.id.to_string();
            let after = Some(share_link_view(&created));
            audit::record(transaction, audit, &id, Some(link.account), None, after)?;
            Ok(created)
        })
    }

    fn share_links(
        &self,
        account: Option<&ExternalId>,
    ) -> StoreResult<Vec<crate::sharing::ShareLink>> {
        self.read(|connection| {
            let row = account
                .map(|account| self.account_row(connection, account))
                .transpose()?;
            sharing::list(connection, row)
        })
    }

    fn share_link(&self, id: i64) -> StoreResult<Option<crate::sharing::ShareLink>> {
        self.read(|connection| sharing::one(connection, id))
    }

    fn revoke_share_link(
        &self,
        id: i64,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> StoreResult<Option<crate::sharing::ShareLink>> {
        self.write(|transaction, _| {
            let before = sharing::one(transaction, id)?;
            let Some((after, revoked)) = sharing::revoke(transaction, id, at)? else {
                return Ok(None);
            };
            if revoked {
                let before = before.as_ref().map(share_link_view);
                let view = Some(share_link_view(&after));
                audit::record(
                    transaction,
                    audit,
                    &id.to_string(),
                    Some(&after.account),
                    before,
                    view,
                )?;
            }
            Ok(Some(after))
        })
    }

    fn open_share_link(
        &self,
        token_hash: &[u8; 32],
        at: Timestamp,
    ) -> StoreResult<Option<(crate::sharing::ShareLink, String)>> {
        self.write(|transaction, _| sharing::open(transaction, token_hash, at))
    }

    fn save_model_version(
        &self,
        version: &crate::models::NewModelVersion,
        audit: &AuditDraft,
    ) -> StoreResult<crate::models::ModelVersion> {
        self.write(|transaction, log| {
            let before = models::list(transaction, Some(&version.name))?
                .pop()
                .map(|previous| model_view(&previous));
            let saved = models::insert(transaction, version)?;
            log.touched(ChangeKind::Models, None);
            audit::record(
                transaction,
                audit,
                &saved.id.to_string(),
                None,
                before,
                Some(model_view(&saved)),
            )?;
            Ok(saved)
        })
    }

    fn set_alert_watch(
        &self,
        user_id: i64,
        account: &ExternalId,
        min_priority: Option<rapport_core::engagement::breakdown::AlertPriority>,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> StoreResult<Option<rapport_core::engagement::breakdown::AlertPriority>> {
        use rapport_core::engagement::breakdown::AlertPriority;
        let text = |priority: AlertPriority| match priority {
            AlertPriority::Critical => "critical",
            AlertPriority::High => "high",
            AlertPriority::Medium => "medium",
        };
        self.write(|transaction, _| {
            let row = self.account_row(transaction, account)?;
            let before: Option<String> = transaction
                .query_row(
                    "SELECT min_priority FROM alert_watches WHERE user_id = ?1 AND account = ?2",
                    params![user_id, row],
                    |row| row.get(0),
                )
                .optional()?;
            let before = before.as_deref().and_then(watch_priority);
            match min_priority {
                Some(priority) => {
                    transaction.execute(
                        "INSERT INTO alert_watches (user_id, account, min_priority, set_at_ms) \
                         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (user_id, account) \
                         DO UPDATE SET min_priority = excluded.min_priority, set_at_ms = excluded.set_at_ms",
                        params![user_id, row, text(priority), at.millis()],
                    )?;
                }
                None => {
                    transaction.execute(
                        "DELETE FROM alert_watches WHERE user_id = ?1 AND account = ?2",
                        params![user_id, row],
                    )?;
                }
            }
            if before.is_some() || min_priority.is_some() {
                let view = |priority: Option<AlertPriority>| {
                    priority.map(|priority| serde_json::json!({"userId": user_id, "minPriority": text(priority)}))
                };
                audit::record(
                    transaction,
                    audit,
                    &user_id.to_string(),
                    Some(account),
                    view(before),
                    view(min_priority),
                )?;
            }
            Ok(before)
        })
    }

    fn alert_watches(
        &self,
        user_id: i64,
    ) -> StoreResult<
        Vec<(
            ExternalId,
            rapport_core::engagement::breakdown::AlertPriority,
        )>,
    > {
        self.read(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT a.external_id, w.min_priority FROM alert_watches w \
                 JOIN accounts a ON a.id = w.account WHERE w.user_id = ?1 ORDER BY a.external_id",
            )?;
            let rows = statement.query_map(params![user_id], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })?;
            let mut watches = Vec::new();
            for row in rows {
                let (account, priority) = row?;
                if let Some(priority) = watch_priority(&priority) {
                    watches.push((external_id("watched account", &account)?, priority));
                }
            }
            Ok(watches)
        })
    }

    fn model_versions(&self, name: Option<&str>) -> StoreResult<Vec<crate::models::ModelVersion>> {
        self.read(|connection| models::list(connection, name))
    }

    fn create_task(
        &self,
        task: &rapport_core::tasks::NewTask,
        audit: &AuditDraft,
    ) -> StoreResult<Result<rapport_core::tasks::Task, crate::tasks::TaskWriteError>> {
        self.write(|transaction, _| {
            let row = self.account_row(transaction, &task.account)?;
            let created = match tasks::insert(transaction, row, task)? {
                Ok(created) => created,
                Err(refused) => return Ok(Err(refused)),
            };
            let after = Some(task_view(&created));
            let id = created.id.to_string();
            audit::record(transaction, audit, &id, Some(&created.account), None, after)?;
            Ok(Ok(created))
        })
    }

    fn task(&self, id: i64) -> StoreResult<Option<rapport_core::tasks::Task>> {
        self.read(|connection| tasks::one(connection, id))
    }

    fn tasks(
        &self,
        filter: &crate::tasks::TaskFilter,
    ) -> StoreResult<Vec<rapport_core::tasks::Task>> {
        self.read(|connection| {
            let row = filter
                .account
                .as_ref()
                .map(|account| self.account_row(connection, account))
                .transpose()?;
            tasks::list(connection, row, filter)
        })
    }

    fn close_task(
        &self,
        id: i64,
        state: &rapport_core::tasks::TaskState,
        audit: &AuditDraft,
    ) -> StoreResult<Option<Result<rapport_core::tasks::Task, crate::tasks::TaskWriteError>>> {
        self.write(|transaction, _| {
            let (before, after) = match tasks::close(transaction, id, state)? {
                None => return Ok(None),
                Some(Err(refused)) => return Ok(Some(Err(refused))),
                Some(Ok(changed)) => changed,
            };
            audit::record(
                transaction,
                audit,
                &id.to_string(),
                Some(&after.account),
                Some(task_view(&before)),
                Some(task_view(&after)),
            )?;
            Ok(Some(Ok(after)))
        })
    }

    fn sync_playbook_tasks(
        &self,
        accounts: Option<&[ExternalId]>,
        closed_since: Timestamp,
        decide: &mut dyn FnMut(&[rapport_core::tasks::Task]) -> Vec<rapport_core::tasks::NewTask>,
    ) -> StoreResult<Vec<rapport_core::tasks::Task>> {
        let stored_of = |connection: &Connection| -> StoreResult<Vec<rapport_core::tasks::Task>> {
            match accounts {
                None => tasks::playbook_tasks(connection, None, closed_since),
                Some(accounts) => {
                    let mut stored = Vec::new();
                    for account in accounts {
                        let row = self.account_row(connection, account)?;
                        stored.extend(tasks::playbook_tasks(connection, Some(row), closed_since)?);
                    }
                    Ok(stored)
                }
            }
        };
        // Most evaluations open nothing: decided on a reader first, so they
        // never take the write lock other writers wait for. When something is
        // to open, decided again inside the write transaction.
        if decide(&self.read(stored_of)?).is_empty() {
            return Ok(Vec::new());
        }
        self.write(|transaction, _| {
            let stored = stored_of(transaction)?;
            let mut created = Vec::new();
            for task in decide(&stored) {
                let row = self.account_row(transaction, &task.account)?;
                if let Ok(task) = tasks::insert(transaction, row, &task)? {
                    created.push(task);
                }
            }
            Ok(created)
        })
    }
}

/// Each activity's dedup key and body (the type-specific part as JSON), in
/// order; a large batch on two threads.
fn prepare_activities(activities: &[Activity]) -> StoreResult<Vec<(String, String)>> {
    let prepare = |part: &[Activity]| -> StoreResult<Vec<(String, String)>> {
        part.iter()
            .map(|activity| {
                let body = serde_json::to_string(&activity.detail)
                    .map_err(|error| corrupt("activity body", error))?;
                Ok((activity.dedup_key(), body))
            })
            .collect()
    };
    if activities.len() < 8_192 {
        return prepare(activities);
    }
    let (first, second) = activities.split_at(activities.len() / 2);
    let (first, second) = std::thread::scope(|scope| {
        let other = scope.spawn(|| prepare(second));
        (prepare(first), other.join())
    });
    let mut prepared = first?;
    prepared.extend(second.map_err(|_| corrupt("activity body", "a preparing thread failed"))??);
    Ok(prepared)
}

/// The condition on `column` of a read of one account's rows (`?1` its row
/// id) or of every account's: written as two queries, since SQLite plans
/// `?1 IS NULL OR column = ?1` as a scan of the whole table.
pub(super) fn by_account(column: &str, account: Option<i64>) -> String {
    match account {
        Some(_) => format!("{column} = ?1"),
        None => "?1 IS NULL".to_string(),
    }
}

fn contacts_where(connection: &Connection, account: Option<i64>) -> StoreResult<Vec<Contact>> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT a.external_id, c.email, c.name, c.role, c.department, c.title \
         FROM contacts c JOIN accounts a ON a.id = c.account WHERE {} \
         ORDER BY a.external_id, c.email",
        by_account("c.account", account)
    ))?;
    let mut rows = statement.query([account])?;
    let mut contacts = Vec::new();
    while let Some(row) = rows.next()? {
        contacts.push(Contact {
            account: external_id("contact account", &row.get::<_, String>(0)?)?,
            email: Email::parse(&row.get::<_, String>(1)?)
                .map_err(|error| corrupt("contact email", error))?,
            name: row.get(2)?,
            role: parse_stored("contact role", &row.get::<_, String>(3)?)?,
            department: row.get(4)?,
            title: row.get(5)?,
        });
    }
    Ok(contacts)
}

fn outcomes_where(connection: &Connection, account: Option<i64>) -> StoreResult<Vec<Outcome>> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT a.external_id, o.date, o.outcome, o.arr_change \
         FROM outcomes o JOIN accounts a ON a.id = o.account WHERE {} \
         ORDER BY a.external_id, o.date",
        by_account("o.account", account)
    ))?;
    let mut rows = statement.query([account])?;
    let mut outcomes = Vec::new();
    while let Some(row) = rows.next()? {
        outcomes.push(Outcome {
            account: external_id("outcome account", &row.get::<_, String>(0)?)?,
            date: stored_date("outcome date", row.get(1)?)?
                .ok_or_else(|| corrupt("outcome date", "missing"))?,
            outcome: parse_stored("outcome", &row.get::<_, String>(2)?)?,
            arr_change: row.get(3)?,
        });
    }
    Ok(outcomes)
}
