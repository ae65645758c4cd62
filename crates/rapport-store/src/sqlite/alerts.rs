//! Alerts in SQLite: one row an alert (the `StoredAlert` as JSON beside the
//! columns it is found by). A partial unique index keeps one unresolved alert
//! per account and rule, so a flood cannot happen even by mistake.

use rapport_core::ExternalId;
use rapport_core::alerts::StoredAlert;
use rusqlite::{Connection, OptionalExtension, params};

use super::corrupt;
use crate::{StoreError, StoreResult};

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

pub(super) fn write(
    transaction: &Connection,
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
            "UPDATE alerts SET resolved_at_ms = ?2, body = ?3 WHERE id = ?1 AND account = ?4",
            params![alert.id, resolved, body, row],
        )?;
        if changed == 0 {
            return Err(corrupt(
                "alert",
                format!("no alert {} of account {}", alert.id, alert.account),
            ));
        }
        written.push(alert);
    }
    Ok(written)
}

fn parse(body: &str, id: i64) -> StoreResult<StoredAlert> {
    serde_json::from_str(body).map_err(|error| corrupt(&format!("alert {id}"), error))
}

pub(super) fn list(
    connection: &Connection,
    account: Option<i64>,
    unresolved_only: bool,
) -> StoreResult<Vec<StoredAlert>> {
    let mut statement = connection.prepare_cached(
        "SELECT id, body FROM alerts WHERE (?1 IS NULL OR account = ?1) \
         AND (?2 = 0 OR resolved_at_ms IS NULL) ORDER BY id",
    )?;
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
