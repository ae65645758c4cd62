//! The embedded SQLite backend: one file, WAL journal, prepared statements and
//! one transaction per batch so bulk imports run at hundreds of thousands of
//! rows a second.

mod alerts;
mod goals;
mod migrations;
mod overrides;
mod snapshots;
mod webhooks;

use std::collections::HashMap;
use std::str::FromStr;

use chrono::NaiveDate;
use rapport_core::{
    Account, Activity, ActivityDetail, Contact, DomainError, Email, ExternalId, Feature,
    FeatureKey, Outcome, Timestamp,
};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::url::SqliteLocation;
use crate::{Store, StoreCounts, StoreError, StoreResult, WriteOutcome};
use rapport_core::alerts::StoredAlert;
use rapport_core::delivery::{Delivery, Subscription};
use rapport_core::overrides::OverrideEvent;
use rapport_core::snapshot::DaySnapshot;
use rapport_core::success::Goal;

pub struct SqliteStore {
    connection: Connection,
    /// external id → row id of every stored account, so activity inserts need
    /// no lookup query.
    account_rows: HashMap<String, i64>,
}

impl SqliteStore {
    pub fn open(location: &SqliteLocation) -> StoreResult<Self> {
        let mut connection = match location {
            SqliteLocation::Memory => Connection::open_in_memory()?,
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
                Connection::open(path)?
            }
        };
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        connection.pragma_update(None, "busy_timeout", 5_000)?;
        connection.pragma_update(None, "cache_size", -64_000)?;
        connection.pragma_update(None, "temp_store", "MEMORY")?;
        migrations::run(&mut connection)?;
        let mut store = SqliteStore {
            connection,
            account_rows: HashMap::new(),
        };
        store.reload_account_rows()?;
        Ok(store)
    }

    fn reload_account_rows(&mut self) -> StoreResult<()> {
        let mut statement = self
            .connection
            .prepare("SELECT external_id, id FROM accounts")?;
        let rows = statement.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })?;
        self.account_rows = rows.collect::<Result<_, _>>()?;
        Ok(())
    }

    fn account_row(&self, account: &ExternalId) -> StoreResult<i64> {
        self.account_rows
            .get(account.as_str())
            .copied()
            .ok_or_else(|| StoreError::UnknownAccount(account.to_string()))
    }

    fn check_accounts<'a>(
        &self,
        accounts: impl Iterator<Item = &'a ExternalId>,
    ) -> StoreResult<()> {
        for account in accounts {
            self.account_row(account)?;
        }
        Ok(())
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

fn account_from_row(row: &Row<'_>) -> StoreResult<Account> {
    Ok(Account {
        external_id: external_id("account id", &row.get::<_, String>(0)?)?,
        name: row.get(1)?,
        tier: parse_stored("account tier", &row.get::<_, String>(2)?)?,
        arr: row.get(3)?,
        seats: row.get(4)?,
        csm: row.get(5)?,
        status: parse_stored("account status", &row.get::<_, String>(6)?)?,
        contract_start: stored_date("contract_start", row.get(7)?)?,
        renewal_date: stored_date("renewal_date", row.get(8)?)?,
        industry: row.get(9)?,
        manager: row.get(10)?,
        at_risk_override: row.get(11)?,
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
        self.connection.query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    fn upsert_accounts(&mut self, accounts: &[Account]) -> StoreResult<Vec<WriteOutcome>> {
        let transaction = self.connection.transaction()?;
        let mut outcomes = Vec::with_capacity(accounts.len());
        {
            let mut select = transaction.prepare_cached(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE external_id = ?1"
            ))?;
            let mut upsert = transaction.prepare_cached(&format!(
                "INSERT INTO accounts (customer_id, {ACCOUNT_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
                 ON CONFLICT (external_id) DO UPDATE SET name = excluded.name, tier = excluded.tier, \
                 arr = excluded.arr, seats = excluded.seats, csm = excluded.csm, status = excluded.status, \
                 contract_start = excluded.contract_start, renewal_date = excluded.renewal_date, \
                 industry = excluded.industry, manager = excluded.manager, \
                 at_risk_override = excluded.at_risk_override"
            ))?;
            for account in accounts {
                let existing = select
                    .query_row([account.external_id.as_str()], |row| {
                        Ok(account_from_row(row))
                    })
                    .optional()?
                    .transpose()?;
                let outcome = classify(existing.as_ref(), account);
                if outcome != WriteOutcome::Unchanged {
                    upsert.execute(params![
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
                    ])?;
                }
                outcomes.push(outcome);
            }
        }
        transaction.commit()?;
        self.reload_account_rows()?;
        Ok(outcomes)
    }

    fn upsert_contacts(&mut self, contacts: &[Contact]) -> StoreResult<Vec<WriteOutcome>> {
        self.check_accounts(contacts.iter().map(|contact| &contact.account))?;
        let transaction = self.connection.transaction()?;
        let mut outcomes = Vec::with_capacity(contacts.len());
        {
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
                let account = self.account_rows[contact.account.as_str()];
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
                }
                outcomes.push(outcome);
            }
        }
        transaction.commit()?;
        Ok(outcomes)
    }

    fn upsert_features(&mut self, features: &[Feature]) -> StoreResult<Vec<WriteOutcome>> {
        let transaction = self.connection.transaction()?;
        let mut outcomes = Vec::with_capacity(features.len());
        {
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
                }
                outcomes.push(outcome);
            }
        }
        transaction.commit()?;
        Ok(outcomes)
    }

    fn insert_activities(&mut self, activities: &[Activity]) -> StoreResult<Vec<WriteOutcome>> {
        self.check_accounts(activities.iter().map(|activity| &activity.account))?;
        let transaction = self.connection.transaction()?;
        let mut outcomes = Vec::with_capacity(activities.len());
        {
            let mut insert = transaction.prepare_cached(
                "INSERT INTO activities (dedup_key, has_source_id, account, at_ms, body) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (dedup_key) DO NOTHING",
            )?;
            let mut body = Vec::with_capacity(256);
            for activity in activities {
                body.clear();
                serde_json::to_writer(&mut body, &activity.detail)
                    .map_err(|error| corrupt("activity body", error))?;
                let body_text =
                    std::str::from_utf8(&body).map_err(|error| corrupt("activity body", error))?;
                let changed = insert.execute(params![
                    activity.dedup_key(),
                    activity.source_id.is_some(),
                    self.account_rows[activity.account.as_str()],
                    activity.at.millis(),
                    body_text,
                ])?;
                outcomes.push(if changed == 1 {
                    WriteOutcome::Inserted
                } else {
                    WriteOutcome::Unchanged
                });
            }
        }
        transaction.commit()?;
        Ok(outcomes)
    }

    fn upsert_outcomes(&mut self, outcomes: &[Outcome]) -> StoreResult<Vec<WriteOutcome>> {
        self.check_accounts(outcomes.iter().map(|outcome| &outcome.account))?;
        let transaction = self.connection.transaction()?;
        let mut results = Vec::with_capacity(outcomes.len());
        {
            let mut select = transaction.prepare_cached(
                "SELECT outcome, arr_change FROM outcomes WHERE account = ?1 AND date = ?2",
            )?;
            let mut upsert = transaction.prepare_cached(
                "INSERT INTO outcomes (account, date, outcome, arr_change) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (account, date) DO UPDATE SET outcome = excluded.outcome, \
                 arr_change = excluded.arr_change",
            )?;
            for outcome in outcomes {
                let account = self.account_rows[outcome.account.as_str()];
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
                }
                results.push(result);
            }
        }
        transaction.commit()?;
        Ok(results)
    }

    fn accounts(&self) -> StoreResult<Vec<Account>> {
        let mut statement = self.connection.prepare(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY external_id"
        ))?;
        let mut rows = statement.query([])?;
        let mut accounts = Vec::new();
        while let Some(row) = rows.next()? {
            accounts.push(account_from_row(row)?);
        }
        Ok(accounts)
    }

    fn contacts(&self) -> StoreResult<Vec<Contact>> {
        let mut statement = self.connection.prepare(
            "SELECT a.external_id, c.email, c.name, c.role, c.department, c.title \
             FROM contacts c JOIN accounts a ON a.id = c.account ORDER BY a.external_id, c.email",
        )?;
        let mut rows = statement.query([])?;
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

    fn features(&self) -> StoreResult<Vec<Feature>> {
        let mut statement = self
            .connection
            .prepare("SELECT key, name, importance FROM features ORDER BY key")?;
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
    }

    fn outcomes(&self) -> StoreResult<Vec<Outcome>> {
        let mut statement = self.connection.prepare(
            "SELECT a.external_id, o.date, o.outcome, o.arr_change \
             FROM outcomes o JOIN accounts a ON a.id = o.account ORDER BY a.external_id, o.date",
        )?;
        let mut rows = statement.query([])?;
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

    fn account_activities(&self, account: &ExternalId) -> StoreResult<Vec<Activity>> {
        let row_id = self.account_row(account)?;
        let mut statement = self.connection.prepare_cached(
            "SELECT ?2, dedup_key, has_source_id, at_ms, body FROM activities \
             WHERE account = ?1 ORDER BY at_ms, seq",
        )?;
        let mut rows = statement.query(params![row_id, account.as_str()])?;
        let mut activities = Vec::new();
        while let Some(row) = rows.next()? {
            activities.push(activity_from_row(row)?);
        }
        Ok(activities)
    }

    fn for_each_activity(&self, visit: &mut dyn FnMut(Activity)) -> StoreResult<()> {
        let mut statement = self.connection.prepare(
            "SELECT a.external_id, v.dedup_key, v.has_source_id, v.at_ms, v.body \
             FROM activities v JOIN accounts a ON a.id = v.account ORDER BY v.seq",
        )?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            visit(activity_from_row(row)?);
        }
        Ok(())
    }

    fn counts(&self) -> StoreResult<StoreCounts> {
        let count = |table: &str| -> StoreResult<u64> {
            Ok(self
                .connection
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                    row.get::<_, i64>(0)
                })? as u64)
        };
        Ok(StoreCounts {
            accounts: count("accounts")?,
            contacts: count("contacts")?,
            features: count("features")?,
            activities: count("activities")?,
            outcomes: count("outcomes")?,
        })
    }

    fn put_goal(&mut self, account: &ExternalId, goal: &Goal) -> StoreResult<Goal> {
        let row = self.account_row(account)?;
        goals::put(&mut self.connection, row, goal)
    }

    fn goals(&self, account: Option<&ExternalId>) -> StoreResult<Vec<(ExternalId, Goal)>> {
        let row = account
            .map(|account| self.account_row(account))
            .transpose()?;
        goals::list(&self.connection, row)
    }

    fn delete_goal(&mut self, account: &ExternalId, goal_id: &str) -> StoreResult<bool> {
        let row = self.account_row(account)?;
        Ok(self.connection.execute(
            "DELETE FROM goals WHERE account = ?1 AND id = ?2",
            params![row, goal_id],
        )? > 0)
    }

    fn record_override_event(
        &mut self,
        account: &ExternalId,
        event: &OverrideEvent,
    ) -> StoreResult<()> {
        let row = self.account_row(account)?;
        overrides::record(&self.connection, row, event)
    }

    fn override_events(
        &self,
        account: Option<&ExternalId>,
    ) -> StoreResult<Vec<(ExternalId, OverrideEvent)>> {
        let row = account
            .map(|account| self.account_row(account))
            .transpose()?;
        overrides::list(&self.connection, row)
    }

    fn write_alerts(&mut self, alerts: &[StoredAlert]) -> StoreResult<Vec<StoredAlert>> {
        alerts::write(&mut self.connection, alerts)
    }

    fn alerts(
        &self,
        account: Option<&ExternalId>,
        unresolved_only: bool,
    ) -> StoreResult<Vec<StoredAlert>> {
        let row = account
            .map(|account| self.account_row(account))
            .transpose()?;
        alerts::list(&self.connection, row, unresolved_only)
    }

    fn alert(&self, id: i64) -> StoreResult<Option<StoredAlert>> {
        alerts::one(&self.connection, id)
    }

    fn add_webhook(&mut self, subscription: &Subscription) -> StoreResult<Subscription> {
        webhooks::add(&self.connection, subscription)
    }

    fn webhooks(&self) -> StoreResult<Vec<Subscription>> {
        webhooks::list(&self.connection)
    }

    fn remove_webhook(&mut self, id: i64, at: Timestamp) -> StoreResult<bool> {
        webhooks::remove(&self.connection, id, at)
    }

    fn enqueue_deliveries(&mut self, deliveries: &[Delivery]) -> StoreResult<()> {
        webhooks::enqueue(&mut self.connection, deliveries)
    }

    fn due_deliveries(&self, now: Timestamp, limit: usize) -> StoreResult<Vec<Delivery>> {
        webhooks::due(&self.connection, now, limit)
    }

    fn deliveries(&self, alert_id: Option<i64>) -> StoreResult<Vec<Delivery>> {
        webhooks::of_alert(&self.connection, alert_id)
    }

    fn record_delivery_attempt(
        &mut self,
        id: i64,
        at: Timestamp,
        outcome: Result<(), &str>,
        retry_at: Timestamp,
    ) -> StoreResult<()> {
        webhooks::record(&self.connection, id, at, outcome, retry_at)
    }

    fn put_snapshot(&mut self, snapshot: &DaySnapshot) -> StoreResult<WriteOutcome> {
        snapshots::put(&mut self.connection, snapshot)
    }

    fn snapshots(
        &self,
        model: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> StoreResult<Vec<DaySnapshot>> {
        snapshots::list(&self.connection, model, from, to)
    }
}
