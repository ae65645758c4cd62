//! The tracking API's tables (migrations 9 and 10): write keys (hashed), the
//! log of message ids accepted, product users and the activities held for
//! users without an account; and [`SqliteStore::apply_tracked`], which
//! applies the calls of several requests in one write transaction (group
//! commit) with `synchronous = FULL`, so the transaction is on disk, WAL
//! synced, when it returns and the API acknowledges it.
//!
//! **De-duplication without a random-order index.** Message ids are random
//! UUIDs: kept in a B-tree keyed by them, every group commit of thousands of
//! events dirtied most of that tree's pages, so the bytes synced per event
//! grew with the store (measured in docs/benchmarks.md). They are instead an
//! append-only log, read once into a set of 128-bit digests held by the store
//! and brought up to date from the log's new rows at the start of every
//! tracking transaction (under the write lock, so another process's messages
//! count too); a tracked activity's `segment:` key is unique through that log
//! and is not indexed again (`has_source_id = 2`).

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use rapport_core::{Account, Activity, ActivityDetail, Contact, ExternalId, Timestamp, UserId};
use rusqlite::{Connection, OptionalExtension, params};

use super::{ACCOUNT_COLUMNS, ChangeLog, SqliteStore, account_from_row, corrupt, lock};
use crate::tracking::{
    TrackedAction, TrackedBatch, TrackedCall, TrackedOutcome, TrackedUser, TrackedWrite,
    UserTraits, WriteKey,
};
use crate::{ChangeKind, StoreResult};

/// The writer connection's page cache (KiB) once it applies tracking calls,
/// instead of the 256 MB bulk imports use. SQLite ends a transaction in which
/// a B-tree balance swapped two pages (it parks one at the lock-byte page's
/// number) by scanning its whole page cache: with a large cache that scan
/// was a fifth of every group commit (measured, docs/benchmarks.md), while
/// the pages a stream of events touches (the tables' last pages, each
/// account's last index page) fit in a few megabytes.
const TRACKING_CACHE_KB: i64 = 16_000;

/// The activity source id of a tracked message.
pub fn source_id(message_id: &str) -> String {
    format!("segment:{message_id}")
}

/// The message ids of `tracking_message_log` as digests, and the last row
/// of the log they include.
#[derive(Default)]
pub(super) struct MessageIds {
    seen: HashSet<u128, BuildHasherDefault<DigestHasher>>,
    through: i64,
}

impl MessageIds {
    /// Adds the rows other writers appended to the log since `through`
    /// (every row, the first time).
    fn refresh(&mut self, connection: &Connection) -> StoreResult<()> {
        let mut statement = connection.prepare_cached(
            "SELECT seq, message_id FROM tracking_message_log WHERE seq > ?1 ORDER BY seq",
        )?;
        let mut rows = statement.query([self.through])?;
        while let Some(row) = rows.next()? {
            self.through = row.get(0)?;
            let message_id = row
                .get_ref(1)?
                .as_str()
                .map_err(|error| corrupt("tracking message id", error))?;
            self.seen.insert(message_digest(message_id));
        }
        Ok(())
    }

    /// Records a message id in the log unless it is there: whether it is new.
    fn accept(
        &mut self,
        connection: &Connection,
        message_id: &str,
        batch: &TrackedBatch,
    ) -> StoreResult<bool> {
        if !self.seen.insert(message_digest(message_id)) {
            return Ok(false);
        }
        connection
            .prepare_cached(
                "INSERT INTO tracking_message_log (message_id, key_id, received_at_ms) \
                 VALUES (?1, ?2, ?3)",
            )?
            .execute(params![
                message_id,
                batch.key_id,
                batch.received_at.millis()
            ])?;
        self.through = connection.last_insert_rowid();
        Ok(true)
    }
}

/// The first 128 bits of a message id's SHA-1: what the set keeps (16 bytes
/// an id, whatever its length; two ids share one by chance about once in
/// 2^64 pairs).
fn message_digest(message_id: &str) -> u128 {
    let digest = sha1_smol::Sha1::from(message_id.as_bytes())
        .digest()
        .bytes();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    u128::from_le_bytes(first)
}

/// The set's hasher: a digest is already uniformly spread, so its low 64
/// bits are the hash.
#[derive(Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u128(&mut self, digest: u128) {
        self.0 = digest as u64;
    }
}

/// A product user as the transaction sees it (read once, written back at
/// the end when changed).
#[derive(Default)]
struct UserRow {
    traits: UserTraits,
    /// The account's row id and external id.
    account: Option<(i64, ExternalId)>,
    session_started: Option<i64>,
    changed: bool,
}

/// One transaction's work: its caches and the range of activities written.
struct Applier<'a> {
    transaction: &'a Connection,
    log: &'a mut ChangeLog,
    messages: &'a mut MessageIds,
    users: HashMap<String, UserRow>,
    /// external id → row id (none: not an account), as this transaction sees it.
    accounts: HashMap<String, Option<i64>>,
    /// The activities written, in sequence order.
    written: Vec<(i64, Activity)>,
}

impl SqliteStore {
    /// Applies the calls of `batches` in order in one write transaction,
    /// synced to disk (`synchronous = FULL`) before it returns.
    pub(super) fn apply_tracked(&self, batches: &[TrackedBatch]) -> StoreResult<TrackedWrite> {
        let mut messages = lock(&self.message_ids);
        let result = self.write_synced(true, |transaction, log| {
            if messages.is_none() {
                transaction.pragma_update(None, "cache_size", -TRACKING_CACHE_KB)?;
            }
            let messages = messages.get_or_insert_with(MessageIds::default);
            messages.refresh(transaction)?;
            let mut applier = Applier {
                transaction,
                log,
                messages,
                users: HashMap::new(),
                accounts: HashMap::new(),
                written: Vec::new(),
            };
            let mut outcomes = Vec::with_capacity(batches.len());
            for batch in batches {
                let mut of_batch = Vec::with_capacity(batch.calls.len());
                for call in &batch.calls {
                    of_batch.push(applier.apply(batch, call)?);
                }
                outcomes.push(of_batch);
            }
            let activities = applier.finish()?;
            Ok(TrackedWrite {
                outcomes,
                activities,
            })
        });
        if result.is_err() {
            // The accounts this transaction created and the message ids it
            // accepted were rolled back with it: both are read again.
            *messages = None;
            self.account_rows
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clear();
        }
        result
    }

    /// Deletes the log's message ids received before `before` (its oldest
    /// rows, up to the first younger one) and forgets them.
    pub(super) fn prune_messages(&self, before: Timestamp) -> StoreResult<usize> {
        let mut messages = lock(&self.message_ids);
        let removed = self.write(|transaction, _| {
            let mut statement = transaction.prepare_cached(
                "DELETE FROM tracking_message_log WHERE seq < coalesce(\
                 (SELECT seq FROM tracking_message_log WHERE received_at_ms >= ?1 ORDER BY seq LIMIT 1), \
                 (SELECT max(seq) + 1 FROM tracking_message_log)) RETURNING message_id",
            )?;
            let removed = statement.query_map([before.millis()], |row| row.get::<_, String>(0))?;
            Ok(removed.collect::<Result<Vec<_>, _>>()?)
        });
        match removed {
            Ok(removed) => {
                if let Some(messages) = messages.as_mut() {
                    for message_id in &removed {
                        messages.seen.remove(&message_digest(message_id));
                    }
                }
                Ok(removed.len())
            }
            Err(error) => {
                *messages = None;
                Err(error)
            }
        }
    }
}

impl Applier<'_> {
    fn apply(&mut self, batch: &TrackedBatch, call: &TrackedCall) -> StoreResult<TrackedOutcome> {
        if !self
            .messages
            .accept(self.transaction, &call.message_id, batch)?
        {
            return Ok(TrackedOutcome::Duplicate);
        }
        let user = call.user.as_str();
        match &call.action {
            TrackedAction::Ignored => Ok(TrackedOutcome::Ignored),
            TrackedAction::Identify(traits) => {
                let row = self.user(user)?;
                row.traits = traits.over(&row.traits);
                row.changed = true;
                self.write_contact(user)?;
                Ok(TrackedOutcome::Recorded)
            }
            TrackedAction::Group { account, traits } => {
                let stored = self.account(account)?;
                let wanted = traits.apply(account, stored.as_ref());
                let row = if stored.as_ref() != Some(&wanted) {
                    self.write_account(&wanted)?
                } else {
                    self.account_row(account)?
                        .ok_or_else(|| corrupt("account", "read but not found"))?
                };
                let user_row = self.user(user)?;
                user_row.account = Some((row, account.clone()));
                user_row.changed = true;
                self.write_contact(user)?;
                self.release_held(user, account, row)?;
                Ok(TrackedOutcome::Recorded)
            }
            TrackedAction::Alias { previous } => {
                let (traits, account) = {
                    let previous = self.user(previous.as_str())?;
                    (previous.traits.clone(), previous.account.clone())
                };
                self.transaction
                    .prepare_cached("UPDATE tracking_held SET user = ?1 WHERE user = ?2")?
                    .execute(params![user, previous.as_str()])?;
                let row = self.user(user)?;
                row.traits = row.traits.over(&traits);
                if row.account.is_none() {
                    row.account = account;
                }
                row.changed = true;
                if let Some((account_row, account)) = row.account.clone() {
                    self.write_contact(user)?;
                    self.release_held(user, &account, account_row)?;
                }
                Ok(TrackedOutcome::Recorded)
            }
            TrackedAction::Activity(detail) => self.activity(call, detail),
            TrackedAction::SessionStart => {
                let row = self.user(user)?;
                row.session_started = Some(call.at.millis());
                row.changed = true;
                Ok(TrackedOutcome::Recorded)
            }
            TrackedAction::SessionEnd => {
                let row = self.user(user)?;
                let Some(started) = row
                    .session_started
                    .take()
                    .filter(|started| *started <= call.at.millis())
                else {
                    return Ok(TrackedOutcome::Ignored);
                };
                row.changed = true;
                let detail = ActivityDetail::Session {
                    user: call.user.clone(),
                    duration_min: (call.at.millis() - started) as f64 / 60_000.0,
                };
                self.activity(call, &detail)
            }
        }
    }

    /// Stores an activity of the call's account (`context.groupId`, else
    /// the user's), or holds it until the user has one.
    fn activity(
        &mut self,
        call: &TrackedCall,
        detail: &ActivityDetail,
    ) -> StoreResult<TrackedOutcome> {
        let hinted = match &call.account_hint {
            Some(hint) => self.account_row(hint)?.map(|row| (row, hint.clone())),
            None => None,
        };
        let account = match hinted {
            Some(account) => Some(account),
            None if call.account_hint.is_none() => self.user(call.user.as_str())?.account.clone(),
            None => None,
        };
        let body =
            serde_json::to_string(detail).map_err(|error| corrupt("activity body", error))?;
        let source = source_id(&call.message_id);
        match account {
            Some((row, external)) => {
                let activity = Activity {
                    source_id: Some(source),
                    account: external,
                    at: call.at,
                    detail: detail.clone(),
                };
                self.insert_activity(row, activity, &body)?;
                Ok(TrackedOutcome::Recorded)
            }
            None => {
                self.transaction
                    .prepare_cached(
                        "INSERT INTO tracking_held (user, account_hint, source_id, at_ms, body) \
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![
                        call.user.as_str(),
                        call.account_hint.as_ref().map(ExternalId::as_str),
                        source,
                        call.at.millis(),
                        body
                    ])?;
                Ok(TrackedOutcome::Held)
            }
        }
    }

    /// Stores `activity` as one of the account with row `row` (`body`: its
    /// detail as stored); its `segment:` source id is unique through the
    /// message log, so it is not looked up again.
    fn insert_activity(&mut self, row: i64, activity: Activity, body: &str) -> StoreResult<()> {
        let source = activity.source_id.as_deref().unwrap_or_default();
        let inserted = self
            .transaction
            .prepare_cached(
                "INSERT INTO activities (dedup_key, has_source_id, account, at_ms, body) \
                 VALUES (?1, 2, ?2, ?3, ?4)",
            )?
            .execute(params![source, row, activity.at.millis(), body])?;
        debug_assert_eq!(inserted, 1);
        let seq = self.transaction.last_insert_rowid();
        self.written.push((seq, activity));
        Ok(())
    }

    /// Stores the activities held for `user` (without an account hint) and
    /// those held for `account`, as activities of the account with row `row`.
    fn release_held(&mut self, user: &str, account: &ExternalId, row: i64) -> StoreResult<()> {
        let held: Vec<(i64, String, i64, String)> = {
            let mut statement = self.transaction.prepare_cached(
                "SELECT seq, source_id, at_ms, body FROM tracking_held \
                 WHERE (user = ?1 AND account_hint IS NULL) OR account_hint = ?2 ORDER BY seq",
            )?;
            let rows = statement.query_map(params![user, account.as_str()], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        for (seq, source, at, body) in held {
            let detail: ActivityDetail = serde_json::from_str(&body)
                .map_err(|error| corrupt(&format!("held activity {source}"), error))?;
            let activity = Activity {
                source_id: Some(source),
                account: account.clone(),
                at: Timestamp::from_millis(at),
                detail,
            };
            self.insert_activity(row, activity, &body)?;
            self.transaction
                .prepare_cached("DELETE FROM tracking_held WHERE seq = ?1")?
                .execute([seq])?;
        }
        Ok(())
    }

    /// The row id of an account, as this transaction sees it.
    fn account_row(&mut self, account: &ExternalId) -> StoreResult<Option<i64>> {
        if let Some(row) = self.accounts.get(account.as_str()) {
            return Ok(*row);
        }
        let row: Option<i64> = self
            .transaction
            .prepare_cached("SELECT id FROM accounts WHERE external_id = ?1")?
            .query_row([account.as_str()], |row| row.get(0))
            .optional()?;
        self.accounts.insert(account.as_str().to_string(), row);
        Ok(row)
    }

    fn account(&mut self, account: &ExternalId) -> StoreResult<Option<Account>> {
        let mut statement = self.transaction.prepare_cached(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE external_id = ?1"
        ))?;
        statement
            .query_row([account.as_str()], |row| Ok(account_from_row(row, 0)))
            .optional()?
            .transpose()
    }

    fn write_account(&mut self, account: &Account) -> StoreResult<i64> {
        let row: i64 = self
            .transaction
            .prepare_cached(&format!(
                "INSERT INTO accounts (customer_id, {ACCOUNT_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
                 ON CONFLICT (external_id) DO UPDATE SET name = excluded.name, tier = excluded.tier, \
                 arr = excluded.arr, seats = excluded.seats, csm = excluded.csm, status = excluded.status, \
                 contract_start = excluded.contract_start, renewal_date = excluded.renewal_date, \
                 industry = excluded.industry, manager = excluded.manager, \
                 at_risk_override = excluded.at_risk_override RETURNING id"
            ))?
            .query_row(
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
        self.accounts
            .insert(account.external_id.as_str().to_string(), Some(row));
        self.log.touched(ChangeKind::Account, Some(row));
        Ok(row)
    }

    /// Writes the contact the user's traits make under the user's account
    /// (when the user has an account and an e-mail).
    fn write_contact(&mut self, user: &str) -> StoreResult<()> {
        let (traits, (row, external), email) = {
            let row = self.user(user)?;
            match (&row.account, &row.traits.email) {
                (Some(account), Some(email)) => {
                    (row.traits.clone(), account.clone(), email.clone())
                }
                _ => return Ok(()),
            }
        };
        let stored: Option<Contact> = self
            .transaction
            .prepare_cached(
                "SELECT name, role, department, title FROM contacts WHERE account = ?1 AND email = ?2",
            )?
            .query_row(params![row, email.as_str()], |found| {
                Ok((
                    found.get::<_, String>(0)?,
                    found.get::<_, String>(1)?,
                    found.get::<_, String>(2)?,
                    found.get::<_, String>(3)?,
                ))
            })
            .optional()?
            .map(|(name, role, department, title)| -> StoreResult<Contact> {
                Ok(Contact {
                    account: external.clone(),
                    email: email.clone(),
                    name,
                    role: role
                        .parse()
                        .map_err(|error| corrupt("contact role", error))?,
                    department,
                    title,
                })
            })
            .transpose()?;
        let Some(wanted) = traits.contact(&external, stored.as_ref()) else {
            return Ok(());
        };
        if stored.as_ref() == Some(&wanted) {
            return Ok(());
        }
        self.transaction
            .prepare_cached(
                "INSERT INTO contacts (account, email, name, role, department, title) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (account, email) DO UPDATE SET \
                 name = excluded.name, role = excluded.role, department = excluded.department, \
                 title = excluded.title",
            )?
            .execute(params![
                row,
                wanted.email.as_str(),
                wanted.name,
                wanted.role.as_str(),
                wanted.department,
                wanted.title
            ])?;
        self.log.touched(ChangeKind::Contacts, Some(row));
        Ok(())
    }

    fn user(&mut self, user: &str) -> StoreResult<&mut UserRow> {
        if !self.users.contains_key(user) {
            let row = read_user(self.transaction, user)?.unwrap_or_default();
            self.users.insert(user.to_string(), row);
        }
        Ok(self
            .users
            .get_mut(user)
            .unwrap_or_else(|| unreachable!("inserted above")))
    }

    /// Writes back the users that changed and logs the activities written
    /// (returned, in sequence order).
    fn finish(self) -> StoreResult<Vec<(i64, Activity)>> {
        let mut upsert = self.transaction.prepare_cached(
            "INSERT INTO tracking_users (user, email, name, role, title, department, account, session_started_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (user) DO UPDATE SET \
             email = excluded.email, name = excluded.name, role = excluded.role, title = excluded.title, \
             department = excluded.department, account = excluded.account, \
             session_started_ms = excluded.session_started_ms",
        )?;
        for (user, row) in &self.users {
            if !row.changed {
                continue;
            }
            upsert.execute(params![
                user,
                row.traits.email.as_ref().map(|email| email.as_str()),
                row.traits.name,
                row.traits.role.map(|role| role.as_str()),
                row.traits.title,
                row.traits.department,
                row.account.as_ref().map(|(account, _)| *account),
                row.session_started,
            ])?;
        }
        if let (Some((first, _)), Some((last, _))) = (self.written.first(), self.written.last()) {
            self.log.activities(*first, *last);
        }
        Ok(self.written)
    }
}

fn read_user(connection: &Connection, user: &str) -> StoreResult<Option<UserRow>> {
    let found = connection
        .prepare_cached(
            "SELECT u.email, u.name, u.role, u.title, u.department, u.account, a.external_id, \
             u.session_started_ms FROM tracking_users u LEFT JOIN accounts a ON a.id = u.account \
             WHERE u.user = ?1",
        )?
        .query_row([user], |row| {
            Ok((
                row.get::<_, Option<String>>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, Option<String>>(4)?,
                row.get::<_, Option<i64>>(5)?,
                row.get::<_, Option<String>>(6)?,
                row.get::<_, Option<i64>>(7)?,
            ))
        })
        .optional()?;
    let Some((email, name, role, title, department, account, external, session)) = found else {
        return Ok(None);
    };
    Ok(Some(UserRow {
        traits: UserTraits {
            email: email
                .map(|email| {
                    rapport_core::Email::parse(&email)
                        .map_err(|error| corrupt("user e-mail", error))
                })
                .transpose()?,
            name,
            role: role
                .map(|role| role.parse().map_err(|error| corrupt("user role", error)))
                .transpose()?,
            title,
            department,
        },
        account: match (account, external) {
            (Some(row), Some(external)) => {
                Some((row, super::external_id("user account", &external)?))
            }
            _ => None,
        },
        session_started: session,
        changed: false,
    }))
}

/// A product user with the number of activities held for them.
pub(super) fn tracked_user(
    connection: &Connection,
    user: &UserId,
) -> StoreResult<Option<TrackedUser>> {
    let row = read_user(connection, user.as_str())?;
    let held: i64 = connection.query_row(
        "SELECT count(*) FROM tracking_held WHERE user = ?1",
        [user.as_str()],
        |row| row.get(0),
    )?;
    if row.is_none() && held == 0 {
        return Ok(None);
    }
    let row = row.unwrap_or_default();
    Ok(Some(TrackedUser {
        user: user.clone(),
        traits: row.traits,
        account: row.account.map(|(_, external)| external),
        held: held as u64,
    }))
}

const KEY_COLUMNS: &str = "id, name, prefix, created_at_ms, revoked_at_ms";

fn key_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<WriteKey> {
    Ok(WriteKey {
        id: row.get(0)?,
        name: row.get(1)?,
        prefix: row.get(2)?,
        created_at: Timestamp::from_millis(row.get(3)?),
        revoked_at: row.get::<_, Option<i64>>(4)?.map(Timestamp::from_millis),
    })
}

pub(super) fn create_key(
    transaction: &Connection,
    name: &str,
    key_hash: &[u8; 32],
    prefix: &str,
    at: Timestamp,
) -> StoreResult<WriteKey> {
    Ok(transaction.query_row(
        &format!(
            "INSERT INTO write_keys (name, key_hash, prefix, created_at_ms) VALUES (?1, ?2, ?3, ?4) \
             RETURNING {KEY_COLUMNS}"
        ),
        params![name, key_hash.as_slice(), prefix, at.millis()],
        key_from_row,
    )?)
}

pub(super) fn keys(connection: &Connection) -> StoreResult<Vec<WriteKey>> {
    let mut statement =
        connection.prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM write_keys ORDER BY id"))?;
    let keys = statement.query_map([], key_from_row)?;
    Ok(keys.collect::<Result<_, _>>()?)
}

pub(super) fn key_by_hash(
    connection: &Connection,
    key_hash: &[u8; 32],
) -> StoreResult<Option<WriteKey>> {
    Ok(connection
        .prepare_cached(&format!(
            "SELECT {KEY_COLUMNS} FROM write_keys WHERE key_hash = ?1"
        ))?
        .query_row([key_hash.as_slice()], key_from_row)
        .optional()?)
}

/// A key by its id.
pub(super) fn key_by_id(transaction: &Connection, id: i64) -> StoreResult<Option<WriteKey>> {
    Ok(transaction
        .prepare_cached(&format!(
            "SELECT {KEY_COLUMNS} FROM write_keys WHERE id = ?1"
        ))?
        .query_row([id], key_from_row)
        .optional()?)
}

/// Revokes a key (a revoked key stays revoked at its first instant).
pub(super) fn revoke_key(
    transaction: &Connection,
    id: i64,
    at: Timestamp,
) -> StoreResult<Option<WriteKey>> {
    transaction.execute(
        "UPDATE write_keys SET revoked_at_ms = ?2 WHERE id = ?1 AND revoked_at_ms IS NULL",
        params![id, at.millis()],
    )?;
    key_by_id(transaction, id)
}
