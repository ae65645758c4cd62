//! Webhook subscriptions and the delivery outbox in SQLite. A subscription's
//! signing secret is kept only sealed (`secret_sealed`, sealed by the
//! application; the store never sees it in the clear except to seal one
//! written in plain text before migration 12). Deliveries are never deleted:
//! each keeps its attempts, last error and delivery or drop time.

use rapport_core::alerts::delivery::address::without_credentials;
use rapport_core::alerts::delivery::{
    Delivery, DeliveryEvent, DeliveryOutcome, SealedSecret, Subscription,
};
use rapport_core::time::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::corrupt;
use crate::StoreResult;

/// Why the deliveries of a removed webhook are dropped.
pub(crate) const REMOVED: &str = "the webhook was removed";

pub(super) fn add(
    connection: &Connection,
    subscription: &Subscription,
) -> StoreResult<Subscription> {
    connection.execute("INSERT INTO webhooks (body) VALUES ('{}')", [])?;
    let mut stored = subscription.clone();
    stored.id = connection.last_insert_rowid();
    // The body is the subscription's JSON, which never holds the secret.
    let body = serde_json::to_string(&stored).map_err(|error| corrupt("webhook", error))?;
    connection.execute(
        "UPDATE webhooks SET body = ?2, secret_sealed = ?3 WHERE id = ?1",
        params![stored.id, body, stored.sealed_secret.0],
    )?;
    Ok(stored)
}

pub(super) fn list(connection: &Connection) -> StoreResult<Vec<Subscription>> {
    let mut statement = connection.prepare_cached(
        "SELECT id, body, secret_sealed FROM webhooks WHERE removed_at_ms IS NULL ORDER BY id",
    )?;
    let mut rows = statement.query([])?;
    let mut subscriptions = Vec::new();
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let body: String = row.get(1)?;
        let mut subscription: Subscription = serde_json::from_str(&body)
            .map_err(|error| corrupt(&format!("webhook {id}"), error))?;
        subscription.sealed_secret =
            SealedSecret(row.get::<_, Option<Vec<u8>>>(2)?.unwrap_or_default());
        subscriptions.push(subscription);
    }
    Ok(subscriptions)
}

/// Ends a subscription and drops its deliveries still waiting, in the same
/// transaction: nothing is sent to a webhook after it was removed.
pub(super) fn remove(connection: &Connection, id: i64, at: Timestamp) -> StoreResult<bool> {
    let removed = connection.execute(
        "UPDATE webhooks SET removed_at_ms = ?2 WHERE id = ?1 AND removed_at_ms IS NULL",
        params![id, at.millis()],
    )? > 0;
    if removed {
        connection.execute(
            "UPDATE deliveries SET dropped_at_ms = ?2, last_error = ?3 \
             WHERE webhook_id = ?1 AND delivered_at_ms IS NULL AND dropped_at_ms IS NULL",
            params![id, at.millis(), REMOVED],
        )?;
    }
    Ok(removed)
}

/// Seals the signing secrets written in plain text before migration 12 (in
/// the JSON body) and takes them, and any credentials in the URL, out of
/// the body; a removed subscription's secret is only taken out. A secret
/// `seal` cannot seal (`None`) stays as it is, for a later call. Freed space
/// is overwritten (`secure_delete`), so the old text does not linger in the
/// file. Returns how many subscriptions were changed.
pub(super) fn seal_plain_secrets(
    connection: &Connection,
    seal: &mut dyn FnMut(&str) -> Option<SealedSecret>,
) -> StoreResult<usize> {
    let rows: Vec<(i64, String, bool)> = connection
        .prepare(
            "SELECT id, body, removed_at_ms IS NOT NULL FROM webhooks WHERE secret_sealed IS NULL",
        )?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    if rows.is_empty() {
        return Ok(0);
    }
    let secure_delete: i64 = connection.query_row("PRAGMA secure_delete", [], |row| row.get(0))?;
    connection.pragma_update(None, "secure_delete", 1)?;
    let result = (|| {
        let mut changed = 0;
        for (id, body, removed) in &rows {
            let mut json: serde_json::Value = serde_json::from_str(body)
                .map_err(|error| corrupt(&format!("webhook {id}"), error))?;
            let object = json
                .as_object_mut()
                .ok_or_else(|| corrupt(&format!("webhook {id}"), "its body is not an object"))?;
            let plain = object.remove("secret");
            let sealed = match plain.as_ref().and_then(|secret| secret.as_str()) {
                Some(secret) if !removed => match seal(secret) {
                    Some(sealed) => sealed,
                    None => continue,
                },
                _ => SealedSecret::default(),
            };
            if let Some(serde_json::Value::String(url)) = object.get_mut("url") {
                *url = without_credentials(url);
            }
            connection.execute(
                "UPDATE webhooks SET body = ?2, secret_sealed = ?3 WHERE id = ?1",
                params![id, json.to_string(), sealed.0],
            )?;
            changed += 1;
        }
        Ok(changed)
    })();
    connection.pragma_update(None, "secure_delete", secure_delete)?;
    result
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
            dropped_at: row.get::<_, Option<i64>>(9)?.map(Timestamp::from_millis),
            last_error: row.get(8)?,
        },
        event,
    ))
}

const COLUMNS: &str = "id, alert_id, webhook_id, event, payload, attempts, next_attempt_ms, delivered_at_ms, last_error, dropped_at_ms";

/// Deliveries neither delivered nor dropped whose next attempt is due at
/// `now`, the most overdue first, leaving out those of the webhooks in
/// `busy` (a pass of the worker is still sending to them).
pub(super) fn due(
    connection: &Connection,
    now: Timestamp,
    limit: usize,
    busy: &[i64],
) -> StoreResult<Vec<Delivery>> {
    let busy = serde_json::to_string(busy).map_err(|error| corrupt("busy webhooks", error))?;
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM deliveries \
         WHERE delivered_at_ms IS NULL AND dropped_at_ms IS NULL AND next_attempt_ms <= ?1 \
           AND webhook_id NOT IN (SELECT value FROM json_each(?3)) \
         ORDER BY next_attempt_ms, id LIMIT ?2"
    ))?;
    let rows = statement
        .query_map(params![now.millis(), limit as i64, busy], delivery)?
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
    outcome: DeliveryOutcome<'_>,
) -> StoreResult<()> {
    // Only a delivery still waiting changes: one already delivered (two
    // workers raced) or dropped (its webhook was removed meanwhile) stays.
    let changed = match outcome {
        DeliveryOutcome::Delivered => connection.execute(
            "UPDATE deliveries SET attempts = attempts + 1, delivered_at_ms = ?2, last_error = NULL \
             WHERE id = ?1 AND delivered_at_ms IS NULL AND dropped_at_ms IS NULL",
            params![id, at.millis()],
        )?,
        DeliveryOutcome::Failed { error, retry_at } => connection.execute(
            "UPDATE deliveries SET attempts = attempts + 1, last_error = ?2, next_attempt_ms = ?3 \
             WHERE id = ?1 AND delivered_at_ms IS NULL AND dropped_at_ms IS NULL",
            params![id, error, retry_at.millis()],
        )?,
        DeliveryOutcome::Postponed { until } => connection.execute(
            "UPDATE deliveries SET next_attempt_ms = max(next_attempt_ms, ?2) \
             WHERE id = ?1 AND delivered_at_ms IS NULL AND dropped_at_ms IS NULL",
            params![id, until.millis()],
        )?,
        DeliveryOutcome::Dropped { reason } => connection.execute(
            "UPDATE deliveries SET dropped_at_ms = ?2, last_error = ?3 \
             WHERE id = ?1 AND delivered_at_ms IS NULL AND dropped_at_ms IS NULL",
            params![id, at.millis(), reason],
        )?,
    };
    if changed == 0 {
        connection
            .query_row("SELECT 1 FROM deliveries WHERE id = ?1", [id], |_| Ok(()))
            .optional()?
            .ok_or_else(|| corrupt("delivery", format!("no delivery {id}")))?;
    }
    Ok(())
}
