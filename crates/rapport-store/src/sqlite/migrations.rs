//! The SQLite schema, as an ordered list of migrations. `PRAGMA user_version`
//! records how many have run; each runs once, in its own transaction.

use rusqlite::Connection;

use crate::{StoreError, StoreResult};

/// Append only: never edit a migration that has shipped.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE accounts (
    id               INTEGER PRIMARY KEY,
    external_id      TEXT NOT NULL UNIQUE,
    customer_id      TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    tier             TEXT NOT NULL,
    arr              REAL NOT NULL,
    seats            INTEGER,
    csm              TEXT NOT NULL,
    status           TEXT NOT NULL,
    contract_start   TEXT,
    renewal_date     TEXT,
    industry         TEXT NOT NULL,
    manager          TEXT,
    at_risk_override INTEGER NOT NULL
);
CREATE TABLE contacts (
    account    INTEGER NOT NULL REFERENCES accounts(id),
    email      TEXT NOT NULL,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    department TEXT NOT NULL,
    title      TEXT NOT NULL,
    PRIMARY KEY (account, email)
);
CREATE TABLE features (
    key        TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    importance TEXT NOT NULL
);
-- Activities are immutable facts. `body` is the type-specific part as JSON, in
-- the field names of the import contract, so it stays readable with json_extract.
CREATE TABLE activities (
    seq           INTEGER PRIMARY KEY,
    dedup_key     TEXT NOT NULL UNIQUE,
    has_source_id INTEGER NOT NULL,
    account       INTEGER NOT NULL REFERENCES accounts(id),
    at_ms         INTEGER NOT NULL,
    body          TEXT NOT NULL
);
CREATE INDEX activities_by_account_time ON activities (account, at_ms);
CREATE TABLE outcomes (
    account    INTEGER NOT NULL REFERENCES accounts(id),
    date       TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    arr_change REAL NOT NULL,
    PRIMARY KEY (account, date)
);
"#,
    r#"
-- Success goals (PRD-069): one row a goal; `body` is the goal with its metrics
-- and every metric's measurement history, as JSON (camelCase, the API's shape).
CREATE TABLE goals (
    seq     INTEGER PRIMARY KEY,
    account INTEGER NOT NULL REFERENCES accounts(id),
    id      TEXT NOT NULL,
    body    TEXT NOT NULL,
    UNIQUE (account, id)
);
"#,
    r#"
-- Manual score overrides: the append-only audit trail (who, when, old, new,
-- why) is the source of truth; the override in force at any instant is derived
-- from it. `seq` keeps the order of writing among events of the same instant.
CREATE TABLE override_events (
    seq           INTEGER PRIMARY KEY,
    account       INTEGER NOT NULL REFERENCES accounts(id),
    model         TEXT NOT NULL,
    at_ms         INTEGER NOT NULL,
    author        TEXT NOT NULL,
    action        TEXT NOT NULL CHECK (action IN ('set', 'removed')),
    old           REAL,
    new           REAL,
    reason        TEXT NOT NULL,
    expires_at_ms INTEGER
);
CREATE INDEX override_events_by_account_time ON override_events (account, at_ms, seq);
CREATE TRIGGER override_events_are_not_updated BEFORE UPDATE ON override_events
BEGIN
    SELECT RAISE(ABORT, 'override events are an audit trail: append only');
END;
CREATE TRIGGER override_events_are_not_deleted BEFORE DELETE ON override_events
BEGIN
    SELECT RAISE(ABORT, 'override events are an audit trail: append only');
END;
"#,
    r#"
-- Daily score snapshots, one row per model and day: every account's overall and
-- component scores at the end of the day, packed (rapport_core::portfolio::snapshot): per
-- account its row id as 4 bytes, then 2 bytes per score.
CREATE TABLE score_snapshots (
    model      TEXT NOT NULL,
    day        TEXT NOT NULL,
    components TEXT NOT NULL,
    scores     BLOB NOT NULL,
    PRIMARY KEY (model, day)
);
"#,
    r#"
-- Alerts: one row an alert, its lifecycle in its fields (`body` is the alert as
-- JSON). At most one unresolved alert per account and rule, enforced here.
CREATE TABLE alerts (
    id             INTEGER PRIMARY KEY,
    account        INTEGER NOT NULL REFERENCES accounts(id),
    rule           TEXT NOT NULL,
    resolved_at_ms INTEGER,
    body           TEXT NOT NULL
);
CREATE UNIQUE INDEX alerts_one_unresolved ON alerts (account, rule) WHERE resolved_at_ms IS NULL;
CREATE INDEX alerts_by_account ON alerts (account, id);
"#,
    r#"
-- Webhook subscriptions, and the delivery outbox: a delivery row is written
-- with the alert that causes it and deleted never; attempts and errors are
-- recorded on it until it is delivered.
CREATE TABLE webhooks (
    id            INTEGER PRIMARY KEY,
    body          TEXT NOT NULL,
    removed_at_ms INTEGER
);
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    alert_id        INTEGER NOT NULL REFERENCES alerts(id),
    webhook_id      INTEGER NOT NULL REFERENCES webhooks(id),
    event           TEXT NOT NULL,
    payload         TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_ms INTEGER NOT NULL,
    delivered_at_ms INTEGER,
    last_error      TEXT
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_ms) WHERE delivered_at_ms IS NULL;
"#,
    r#"
-- The change cursor: every write transaction appends one row per kind of
-- record and account it changed, in commit order (SQLite has one writer at a
-- time, so AUTOINCREMENT values are commit-ordered and never reused). A
-- running server reads the rows after its cursor and applies them to its
-- engine; `first_row`..`last_row` are the activities' `seq` range a batch wrote.
CREATE TABLE changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT NOT NULL,
    account   INTEGER REFERENCES accounts(id),
    first_row INTEGER,
    last_row  INTEGER
);
-- Counters behind assigned ids (goal-N, goal-N-mM): an id once handed out is
-- never handed out again, even after its goal or metric is deleted.
CREATE TABLE id_counters (
    name TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);
-- The store's identity: an engine checkpoint taken of this store is only
-- ever read back against it.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))));
-- No index of activities by account: the engine reads them in order of
-- writing (by `seq`), nothing on a request's path reads one account's from
-- SQL, and the index by (account, time) made every insert of an export
-- ordered by time, or shuffled, a write in the middle of a B-tree: a quarter
-- of the import's time. (`Store::account_activities` scans; tools only.)
DROP INDEX activities_by_account_time;
"#,
    r#"
-- A person's resolution holds its rule while the condition persists: an alert
-- resolved by a person keeps `awaiting_clear` (also in its body) until an
-- evaluation finds the condition clear; evaluations read these beside the
-- unresolved alerts, and the rule opens no new alert meanwhile.
ALTER TABLE alerts ADD COLUMN awaiting_clear INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX alerts_one_awaiting_clear ON alerts (account, rule) WHERE awaiting_clear = 1;
-- The instant of the store's first alert evaluation (its openings are the
-- backlog, summarised rather than delivered). A store evaluated before this
-- migration has had its first evaluation: the earliest alert's opening.
INSERT INTO meta (key, value)
    SELECT 'alerts_first_evaluated_at', MIN(json_extract(body, '$.openedAt'))
    FROM alerts HAVING COUNT(*) > 0;
"#,
    r#"
-- The tracking API (docs/tracking.md). Write keys are kept as the SHA-256 of
-- the key (a random 32-byte secret, shown once); `prefix` tells them apart.
CREATE TABLE write_keys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL,
    key_hash      BLOB NOT NULL UNIQUE,
    prefix        TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
);
-- Every message id ever accepted, written in the transaction that applies
-- the message: a client's retry is recognised after any restart.
CREATE TABLE tracking_messages (
    message_id     TEXT PRIMARY KEY,
    key_id         INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
-- Product users as identify, group and alias calls described them: traits,
-- the account of their last group call, the start of an open session.
CREATE TABLE tracking_users (
    user               TEXT PRIMARY KEY,
    email              TEXT,
    name               TEXT,
    role               TEXT,
    title              TEXT,
    department         TEXT,
    account            INTEGER REFERENCES accounts(id),
    session_started_ms INTEGER
);
-- Activities of users whose account is not known yet, stored as activities
-- when a group call (or context.groupId) names it.
CREATE TABLE tracking_held (
    seq          INTEGER PRIMARY KEY,
    user         TEXT NOT NULL,
    account_hint TEXT,
    source_id    TEXT NOT NULL,
    at_ms        INTEGER NOT NULL,
    body         TEXT NOT NULL
);
CREATE INDEX tracking_held_by_user ON tracking_held (user);
CREATE INDEX tracking_held_by_account ON tracking_held (account_hint) WHERE account_hint IS NOT NULL;
"#,
    r#"
-- The tracking API's message ids become an append-only log (rows in the order
-- received, never a random-order key), read into the store's memory for
-- de-duplication and pruned after the retention (docs/decisions.md): a random
-- UUID key made every group commit rewrite most of a growing B-tree.
CREATE TABLE tracking_message_log (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id     TEXT NOT NULL,
    key_id         INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL
);
INSERT INTO tracking_message_log (message_id, key_id, received_at_ms)
    SELECT message_id, key_id, received_at_ms FROM tracking_messages ORDER BY received_at_ms;
DROP TABLE tracking_messages;
-- `has_source_id`: 0 the key is a hash of the content, 1 the record's source
-- id, 2 a tracking message's (`segment:` and its messageId), unique through
-- tracking_message_log; only 0 and 1 are indexed for de-duplication, for the
-- same reason.
CREATE TABLE activities_v10 (
    seq           INTEGER PRIMARY KEY,
    dedup_key     TEXT NOT NULL,
    has_source_id INTEGER NOT NULL,
    account       INTEGER NOT NULL REFERENCES accounts(id),
    at_ms         INTEGER NOT NULL,
    body          TEXT NOT NULL
);
INSERT INTO activities_v10 (seq, dedup_key, has_source_id, account, at_ms, body)
    SELECT seq, dedup_key, has_source_id, account, at_ms, body FROM activities ORDER BY seq;
DROP TABLE activities;
ALTER TABLE activities_v10 RENAME TO activities;
CREATE UNIQUE INDEX activities_by_dedup_key ON activities (dedup_key) WHERE has_source_id < 2;
CREATE INDEX activities_by_account_time ON activities (account, at_ms);
"#,
    r#"
-- People who sign in, their API tokens and browser sessions (docs/security.md).
-- A token or a session is kept as its SHA-256, a password as its Argon2 hash:
-- a copy of the database signs no one in.
CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email          TEXT,
    role           TEXT NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    disabled_at_ms INTEGER,
    password_hash  TEXT
);
CREATE TABLE api_tokens (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    name            TEXT NOT NULL,
    token_hash      BLOB NOT NULL UNIQUE,
    prefix          TEXT NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    expires_at_ms   INTEGER,
    last_used_at_ms INTEGER,
    revoked_at_ms   INTEGER,
    -- A sign-in link's token: revoked by the sign-in it gives.
    single_use      INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sessions (
    session_hash  BLOB PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
"#,
    r#"
-- Webhook hardening (issue 22). A subscription's signing secret is kept
-- sealed (`secret_sealed`: ChaCha20-Poly1305 under a key kept outside the
-- database, docs/alerts.md), never in the JSON body; the application seals
-- a secret stored in plain text before this migration (it holds the key,
-- the store does not) and removes it from the body. A delivery can be
-- dropped (`dropped_at_ms`, the reason in `last_error`): never sent, never
-- retried. Those still pending for a removed subscription are dropped now.
ALTER TABLE webhooks ADD COLUMN secret_sealed BLOB;
ALTER TABLE deliveries ADD COLUMN dropped_at_ms INTEGER;
UPDATE deliveries
   SET dropped_at_ms = (SELECT removed_at_ms FROM webhooks WHERE webhooks.id = deliveries.webhook_id),
       last_error = 'the webhook was removed'
 WHERE delivered_at_ms IS NULL
   AND webhook_id IN (SELECT id FROM webhooks WHERE removed_at_ms IS NOT NULL);
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (next_attempt_ms)
    WHERE delivered_at_ms IS NULL AND dropped_at_ms IS NULL;
"#,
    r#"
-- The audit log (issue 22, docs/security.md): every change a person makes,
-- written in the transaction of the change itself. Who (`actor_id` 0 is the
-- command line's operator), when, what (an action such as `goal.create`, the
-- subject's kind and id, the account's external id when there is one), and
-- the record before and after as JSON, never a secret. Append only: the
-- triggers refuse every update and delete, and AUTOINCREMENT never hands an
-- id out twice.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms        INTEGER NOT NULL,
    actor_id     INTEGER NOT NULL,
    actor_name   TEXT NOT NULL,
    action       TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    account      TEXT,
    before_json  TEXT,
    after_json   TEXT
);
CREATE INDEX audit_log_by_account ON audit_log (account, id) WHERE account IS NOT NULL;
CREATE INDEX audit_log_by_actor ON audit_log (actor_id, id);
CREATE TRIGGER audit_log_is_not_updated BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append only');
END;
CREATE TRIGGER audit_log_is_not_deleted BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append only');
END;
"#,
    r#"
-- Share links for value reports (PRD-069 "Share with Customer"): a token
-- kept as its SHA-256 only, the account and the moment of the report, the
-- page as rendered then (so the customer reads exactly that report, whatever
-- arrives later), an expiry, a revocation, and how often it was opened.
CREATE TABLE share_links (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash        BLOB NOT NULL UNIQUE,
    account           INTEGER NOT NULL REFERENCES accounts(id),
    as_of_ms          INTEGER NOT NULL,
    page              TEXT NOT NULL,
    created_by_id     INTEGER NOT NULL,
    created_by_name   TEXT NOT NULL,
    created_at_ms     INTEGER NOT NULL,
    expires_at_ms     INTEGER NOT NULL,
    revoked_at_ms     INTEGER,
    last_opened_at_ms INTEGER,
    open_count        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX share_links_by_account ON share_links (account, id);
"#,
    r#"
-- Tasks (issue 23, docs/tasks.md): work on an account with an owner and a
-- due date, from a playbook's play, an alert or a person; completed or
-- dismissed with who and when. `source_key` (`playbook:<playbook>:<play>`,
-- `alert:<id>`; NULL for a person's tasks) has at most one open task per
-- account: the partial unique index is the rule's last guard. AUTOINCREMENT
-- never hands an id out twice.
CREATE TABLE tasks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account       INTEGER NOT NULL REFERENCES accounts(id),
    title         TEXT NOT NULL,
    detail        TEXT,
    owner         TEXT NOT NULL,
    due           TEXT NOT NULL,
    source_kind   TEXT NOT NULL CHECK (source_kind IN ('playbook', 'alert', 'person')),
    source_key    TEXT,
    source        TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    created_by    TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed', 'dismissed')),
    closed_by     TEXT,
    closed_at_ms  INTEGER,
    reason        TEXT
);
CREATE UNIQUE INDEX tasks_one_open_per_source ON tasks (account, source_key)
    WHERE status = 'open' AND source_key IS NOT NULL;
CREATE INDEX tasks_by_account ON tasks (account, due);
CREATE INDEX tasks_by_due ON tasks (status, due);
"#,
    r#"
-- Model versions (issue 23): a model's settings as a person saved them, the
-- whole model file each time; the newest version of a model's name is the
-- one in use. Append-only: a version is never changed or removed, so what
-- was scored with which settings stays on record. AUTOINCREMENT ids.
CREATE TABLE model_versions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    toml        TEXT NOT NULL,
    note        TEXT,
    saved_at_ms INTEGER NOT NULL,
    saved_by    TEXT NOT NULL
);
CREATE INDEX model_versions_by_name ON model_versions (name, id);
CREATE TRIGGER model_versions_never_change BEFORE UPDATE ON model_versions
BEGIN SELECT RAISE(ABORT, 'model versions are append-only'); END;
CREATE TRIGGER model_versions_never_go BEFORE DELETE ON model_versions
BEGIN SELECT RAISE(ABORT, 'model versions are append-only'); END;
"#,
    r#"
-- Alert watches (issue 23): a person follows an account's alerts at or
-- above a priority (their day and inbox show them). One row a person and
-- account.
CREATE TABLE alert_watches (
    user_id       INTEGER NOT NULL REFERENCES users(id),
    account       INTEGER NOT NULL REFERENCES accounts(id),
    min_priority  TEXT NOT NULL CHECK (min_priority IN ('critical', 'high', 'medium')),
    set_at_ms     INTEGER NOT NULL,
    PRIMARY KEY (user_id, account)
);
"#,
];

pub fn run(connection: &mut Connection) -> StoreResult<()> {
    let applied: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if applied > known {
        return Err(StoreError::NewerSchema {
            found: applied,
            known,
        });
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(applied as usize) {
        let transaction = connection.transaction()?;
        transaction.execute_batch(migration)?;
        transaction.pragma_update(None, "user_version", index as i64 + 1)?;
        transaction.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store of migration 9 keeps its activities and message ids through
    /// migration 10, and its source ids stay unique where they were.
    #[test]
    fn migration_10_keeps_activities_and_message_ids() {
        let mut connection = Connection::open_in_memory().unwrap();
        for migration in &MIGRATIONS[..9] {
            connection.execute_batch(migration).unwrap();
        }
        connection.pragma_update(None, "user_version", 9).unwrap();
        connection
            .execute_batch(
                "INSERT INTO accounts (id, external_id, customer_id, name, tier, arr, csm, status, \
                 industry, at_risk_override) VALUES (1, 'acme', 'c', 'Acme', 'core', 0, '', 'active', '', 0);
                 INSERT INTO activities (seq, dedup_key, has_source_id, account, at_ms, body) VALUES
                   (7, 'evt-1', 1, 1, 1000, '{\"type\":\"login\",\"user\":\"u1\"}'),
                   (8, 'segment:m1', 1, 1, 2000, '{\"type\":\"login\",\"user\":\"u1\"}');
                 INSERT INTO tracking_messages (message_id, key_id, received_at_ms) VALUES
                   ('m2', 1, 3000), ('m1', 1, 2000);",
            )
            .unwrap();
        run(&mut connection).unwrap();
        let activities: Vec<(i64, String)> = connection
            .prepare("SELECT seq, dedup_key FROM activities ORDER BY seq")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            activities,
            [(7, "evt-1".to_string()), (8, "segment:m1".to_string())]
        );
        let messages: Vec<String> = connection
            .prepare("SELECT message_id FROM tracking_message_log ORDER BY seq")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(messages, ["m1", "m2"], "in the order received");
        let again = connection.execute(
            "INSERT INTO activities (dedup_key, has_source_id, account, at_ms, body) \
             VALUES ('evt-1', 1, 1, 1000, '{}') ON CONFLICT (dedup_key) WHERE has_source_id < 2 DO NOTHING",
            [],
        );
        assert_eq!(again.unwrap(), 0);
    }

    /// Migration 12 drops the deliveries still waiting for a webhook removed
    /// before it (the worker retried them for ever) and leaves the rest.
    #[test]
    fn migration_12_drops_the_waiting_deliveries_of_removed_webhooks() {
        let mut connection = Connection::open_in_memory().unwrap();
        for migration in &MIGRATIONS[..11] {
            connection.execute_batch(migration).unwrap();
        }
        connection.pragma_update(None, "user_version", 11).unwrap();
        connection
            .execute_batch(
                "INSERT INTO accounts (id, external_id, customer_id, name, tier, arr, csm, status, \
                 industry, at_risk_override) VALUES (1, 'acme', 'c', 'Acme', 'core', 0, '', 'active', '', 0);
                 INSERT INTO alerts (id, account, rule, body) VALUES (1, 1, 'r', '{}');
                 INSERT INTO webhooks (id, body, removed_at_ms) VALUES (1, '{}', 5000), (2, '{}', NULL);
                 INSERT INTO deliveries (id, alert_id, webhook_id, event, payload, attempts, next_attempt_ms, delivered_at_ms, last_error) VALUES
                   (1, 1, 1, 'opened', '{}', 40, 9000, NULL, 'timed out'),
                   (2, 1, 1, 'opened', '{}', 1, 1000, 1000, NULL),
                   (3, 1, 2, 'opened', '{}', 3, 9000, NULL, '503');",
            )
            .unwrap();
        run(&mut connection).unwrap();
        let rows: Vec<(i64, Option<i64>, Option<String>)> = connection
            .prepare("SELECT id, dropped_at_ms, last_error FROM deliveries ORDER BY id")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            [
                (1, Some(5000), Some("the webhook was removed".to_string())),
                (2, None, None),
                (3, None, Some("503".to_string())),
            ]
        );
    }
}
