//! Webhook subscriptions and the delivery outbox in SQLite. Deliveries are
//! never deleted: each keeps its attempts, last error and delivery time.

use rapport_core::alerts::delivery::{Delivery, DeliveryEvent, Subscription};
use rapport_core::time::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::corrupt;
use crate::StoreResult;

pub(super) fn add(
    connection: &Connection,
    subscription: &Subscription,
) -> StoreResult<Subscription> {
    connection.execute("INSERT INTO webhooks (body) VALUES ('{}')", [])?;
    let mut stored = subscription.clone();
    stored.id = connection.last_insert_rowid();
    let body = serde_json::to_string(&stored).map_err(|error| corrupt("webhook", error))?;
    connection.execute(
        "UPDATE webhooks SET body = ?2 WHERE id = ?1",
        params![stored.id, body],
    )?;
    Ok(stored)
}

pub(super) fn list(connection: &Connection) -> StoreResult<Vec<Subscription>> {
    let mut statement = connection
        .prepare_cached("SELECT id, body FROM webhooks WHERE removed_at_ms IS NULL ORDER BY id")?;
    let mut rows = statement.query([])?;
    let mut subscriptions = Vec::new();
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let body: String = row.get(1)?;
        subscriptions.push(
            serde_json::from_str(&body)
                .map_err(|error| corrupt(&format!("webhook {id}"), error))?,
        );
    }
    Ok(subscriptions)
}

pub(super) fn remove(connection: &Connection, id: i64, at: Timestamp) -> StoreResult<bool> {
    Ok(connection.execute(
        "UPDATE webhooks SET removed_at_ms = ?2 WHERE id = ?1 AND removed_at_ms IS NULL",
        params![id, at.millis()],
    )? > 0)
}

fn event_text(event: DeliveryEvent) -> &'static str {
    match event {
        DeliveryEvent::Opened => "opened",
        DeliveryEvent::Resolved => "resolved",
    }
}

pub(super) fn enqueue(transaction: &Connection, deliveries: &[Delivery]) -> StoreResult<()> {
    {
        let mut insert = transaction.prepare_cached(
            "INSERT INTO deliveries (alert_id, webhook_id, event, payload, attempts, next_attempt_ms) \
             VALUES (?1, ?2, ?3, ?4, 0, ?5)",
        )?;
        for delivery in deliveries {
            insert.execute(params![
                delivery.alert_id,
                delivery.webhook_id,
                event_text(delivery.event),
                delivery.payload,
                delivery.next_attempt_at.millis()
            ])?;
        }
    }
    Ok(())
}

fn delivery(row: &Row<'_>) -> rusqlite::Result<(Delivery, String)> {
    let event: String = row.get(3)?;
    Ok((
        Delivery {
            id: row.get(0)?,
            alert_id: row.get(1)?,
            webhook_id: row.get(2)?,
            event: if event == "resolved" {
                DeliveryEvent::Resolved
            } else {
                DeliveryEvent::Opened
            },
            payload: row.get(4)?,
            attempts: row.get(5)?,
            next_attempt_at: Timestamp::from_millis(row.get(6)?),
            delivered_at: row.get::<_, Option<i64>>(7)?.map(Timestamp::from_millis),
            last_error: row.get(8)?,
        },
        event,
    ))
}

const COLUMNS: &str = "id, alert_id, webhook_id, event, payload, attempts, next_attempt_ms, delivered_at_ms, last_error";

pub(super) fn due(
    connection: &Connection,
    now: Timestamp,
    limit: usize,
) -> StoreResult<Vec<Delivery>> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM deliveries WHERE delivered_at_ms IS NULL AND next_attempt_ms <= ?1 \
         ORDER BY next_attempt_ms, id LIMIT ?2"
    ))?;
    let rows = statement
        .query_map(params![now.millis(), limit as i64], delivery)?
        .map(|row| row.map(|(delivery, _)| delivery))
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub(super) fn of_alert(
    connection: &Connection,
    alert_id: Option<i64>,
) -> StoreResult<Vec<Delivery>> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM deliveries WHERE ?1 IS NULL OR alert_id = ?1 ORDER BY id"
    ))?;
    let rows = statement
        .query_map(params![alert_id], delivery)?
        .map(|row| row.map(|(delivery, _)| delivery))
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub(super) fn record(
    connection: &Connection,
    id: i64,
    at: Timestamp,
    outcome: Result<(), &str>,
    retry_at: Timestamp,
) -> StoreResult<()> {
    let changed = match outcome {
        Ok(()) => connection.execute(
            "UPDATE deliveries SET attempts = attempts + 1, delivered_at_ms = ?2, last_error = NULL \
             WHERE id = ?1 AND delivered_at_ms IS NULL",
            params![id, at.millis()],
        )?,
        Err(error) => connection.execute(
            "UPDATE deliveries SET attempts = attempts + 1, last_error = ?2, next_attempt_ms = ?3 \
             WHERE id = ?1 AND delivered_at_ms IS NULL",
            params![id, error, retry_at.millis()],
        )?,
    };
    if changed == 0 {
        // Already delivered is fine (two workers raced); unknown is not.
        connection
            .query_row("SELECT 1 FROM deliveries WHERE id = ?1", [id], |_| Ok(()))
            .optional()?
            .ok_or_else(|| corrupt("delivery", format!("no delivery {id}")))?;
    }
    Ok(())
}
