//! Alerts in SQLite: one row an alert (the `StoredAlert` as JSON beside the
//! columns it is found by). A partial unique index keeps one unresolved alert
//! per account and rule, so a flood cannot happen even by mistake; another
//! keeps at most one person-resolved alert per account and rule still holding
//! its rule (`awaiting_clear`). An evaluation reads both kinds, and the
//! instant of the store's first evaluation (`meta`), in its write transaction.

use rapport_core::ExternalId;
use rapport_core::alerts::StoredAlert;
use rapport_core::time::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::{ChangeLog, corrupt};
use crate::{AlertsInForce, ChangeKind, StoreError, StoreResult};

/// The `meta` key of the instant the store's alerts were first evaluated.
const FIRST_EVALUATION: &str = "alerts_first_evaluated_at";

fn account_row(transaction: &Connection, account: &ExternalId) -> StoreResult<i64> {
    transaction
        .query_row(
            "SELECT id FROM accounts WHERE external_id = ?1",
            [account.as_str()],
            |row| row.get(0),
        )
        .optional()?
        .ok_or_else(|| StoreError::UnknownAccount(account.to_string()))
}

/// Writes alerts (id 0: new, its id assigned), logging the accounts touched.
pub(super) fn write(
    transaction: &Connection,
    log: &mut ChangeLog,
    alerts: &[StoredAlert],
) -> StoreResult<Vec<StoredAlert>> {
    let mut written = Vec::with_capacity(alerts.len());
    for alert in alerts {
        let row = account_row(transaction, &alert.account)?;
        let mut alert = alert.clone();
        let resolved = alert.resolved_at.map(|at| at.millis());
        if alert.id == 0 {
            transaction.execute(
                "INSERT INTO alerts (account, rule, resolved_at_ms, body) VALUES (?1, ?2, ?3, '{}')",
                params![row, alert.rule, resolved],
            )?;
            alert.id = transaction.last_insert_rowid();
        }
        let body = serde_json::to_string(&alert).map_err(|error| corrupt("alert", error))?;
        let changed = transaction.execute(
            "UPDATE alerts SET resolved_at_ms = ?2, body = ?3, awaiting_clear = ?5 \
             WHERE id = ?1 AND account = ?4",
            params![
                alert.id,
                resolved,
                body,
                row,
                i64::from(alert.resolved_at.is_some() && alert.awaiting_clear)
            ],
        )?;
        if changed == 0 {
            return Err(corrupt(
                "alert",
                format!("no alert {} of account {}", alert.id, alert.account),
            ));
        }
        log.touched(ChangeKind::Alerts, Some(row));
        written.push(alert);
    }
    Ok(written)
}

/// One evaluation as one write transaction: `decide` sees the alerts in
/// force (of one account row, or all) and whether an evaluation ran before;
/// the first one's instant is recorded.
pub(super) fn reconcile(
    transaction: &Connection,
    log: &mut ChangeLog,
    account: Option<i64>,
    now: Timestamp,
    decide: &mut dyn FnMut(&AlertsInForce) -> Vec<StoredAlert>,
) -> StoreResult<Vec<StoredAlert>> {
    let first_evaluated_at = first_evaluated_at(transaction)?;
    if first_evaluated_at.is_none() {
        transaction.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)",
            params![FIRST_EVALUATION, now.to_rfc3339()],
        )?;
    }
    let mut alerts = list(transaction, account, true)?;
    alerts.extend(awaiting_clear(transaction, account)?);
    let wanted = decide(&AlertsInForce {
        alerts,
        first_evaluated_at,
    });
    write(transaction, log, &wanted)
}

fn first_evaluated_at(connection: &Connection) -> StoreResult<Option<Timestamp>> {
    let value: Option<String> = connection
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [FIRST_EVALUATION],
            |row| row.get(0),
        )
        .optional()?;
    value
        .map(|text| {
            Timestamp::parse_rfc3339(&text).map_err(|error| corrupt(FIRST_EVALUATION, error))
        })
        .transpose()
}

/// The resolved alerts still holding their rule, oldest first.
fn awaiting_clear(connection: &Connection, account: Option<i64>) -> StoreResult<Vec<StoredAlert>> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT id, body FROM alerts WHERE awaiting_clear = 1 AND {} ORDER BY id",
        super::by_account("account", account)
    ))?;
    let mut rows = statement.query(params![account])?;
    let mut alerts = Vec::new();
    while let Some(row) = rows.next()? {
        alerts.push(parse(&row.get::<_, String>(1)?, row.get(0)?)?);
    }
    Ok(alerts)
}

fn parse(body: &str, id: i64) -> StoreResult<StoredAlert> {
    serde_json::from_str(body).map_err(|error| corrupt(&format!("alert {id}"), error))
}

pub(super) fn list(
    connection: &Connection,
    account: Option<i64>,
    unresolved_only: bool,
) -> StoreResult<Vec<StoredAlert>> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT id, body FROM alerts WHERE {} \
         AND (?2 = 0 OR resolved_at_ms IS NULL) ORDER BY id",
        super::by_account("account", account)
    ))?;
    let mut rows = statement.query(params![account, i64::from(unresolved_only)])?;
    let mut alerts = Vec::new();
    while let Some(row) = rows.next()? {
        alerts.push(parse(&row.get::<_, String>(1)?, row.get(0)?)?);
    }
    Ok(alerts)
}

pub(super) fn one(connection: &Connection, id: i64) -> StoreResult<Option<StoredAlert>> {
    let body: Option<String> = connection
        .query_row("SELECT body FROM alerts WHERE id = ?1", [id], |row| {
            row.get(0)
        })
        .optional()?;
    body.map(|body| parse(&body, id)).transpose()
}
