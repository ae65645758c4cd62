//! Daily score snapshots in SQLite: one row per model and day, every
//! account's scores packed in one blob (its account row id in 4 bytes, then
//! `rapport_core::portfolio::snapshot::encode`'s 2 bytes a score), so a year of daily
//! snapshots of 10,000 accounts and three models stays near 200 MB.

use std::collections::HashMap;

use chrono::NaiveDate;
use rapport_core::ExternalId;
use rapport_core::portfolio::snapshot::{DaySnapshot, decode, encode};
use rusqlite::{Connection, OptionalExtension, params};

use super::{corrupt, external_id};
use crate::{StoreResult, WriteOutcome};

fn account_ids(connection: &Connection) -> StoreResult<Vec<(i64, String)>> {
    let mut statement = connection.prepare_cached("SELECT id, external_id FROM accounts")?;
    let rows = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub(super) fn put(connection: &Connection, snapshot: &DaySnapshot) -> StoreResult<WriteOutcome> {
    let ids: HashMap<String, i64> = account_ids(connection)?
        .into_iter()
        .map(|(id, external)| (external, id))
        .collect();
    let width = 1 + snapshot.components.len();
    let mut blob = Vec::with_capacity(snapshot.scores.len() * (4 + 2 * width));
    for (account, scores) in &snapshot.scores {
        let id = *ids
            .get(account.as_str())
            .ok_or_else(|| crate::StoreError::UnknownAccount(account.to_string()))?;
        if scores.len() != width {
            return Err(corrupt(
                "snapshot",
                format!(
                    "account {account} has {} scores, the model {width}",
                    scores.len()
                ),
            ));
        }
        let id =
            u32::try_from(id).map_err(|_| corrupt("snapshot", "account row id beyond 32 bits"))?;
        blob.extend_from_slice(&id.to_le_bytes());
        blob.extend_from_slice(&encode(scores));
    }
    let day = snapshot.day.to_string();
    let components = snapshot.components.join(",");
    let transaction = connection;
    let existing: Option<(String, Vec<u8>)> = transaction
        .query_row(
            "SELECT components, scores FROM score_snapshots WHERE model = ?1 AND day = ?2",
            params![snapshot.model, day],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let outcome = match existing {
        Some((stored_components, stored)) if stored_components == components && stored == blob => {
            WriteOutcome::Unchanged
        }
        Some(_) => WriteOutcome::Updated,
        None => WriteOutcome::Inserted,
    };
    if outcome != WriteOutcome::Unchanged {
        transaction.execute(
            "INSERT OR REPLACE INTO score_snapshots (model, day, components, scores) VALUES (?1, ?2, ?3, ?4)",
            params![snapshot.model, day, components, blob],
        )?;
    }
    Ok(outcome)
}

pub(super) fn list(
    connection: &Connection,
    model: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<DaySnapshot>> {
    let names: HashMap<i64, String> = account_ids(connection)?.into_iter().collect();
    let mut statement = connection.prepare_cached(
        "SELECT day, components, scores FROM score_snapshots \
         WHERE model = ?1 AND day >= ?2 AND day <= ?3 ORDER BY day",
    )?;
    let mut rows = statement.query(params![model, from.to_string(), to.to_string()])?;
    let mut snapshots = Vec::new();
    while let Some(row) = rows.next()? {
        let day_text: String = row.get(0)?;
        let day = NaiveDate::parse_from_str(&day_text, "%Y-%m-%d")
            .map_err(|error| corrupt("snapshot day", error))?;
        let components: String = row.get(1)?;
        let components: Vec<String> = components
            .split(',')
            .filter(|key| !key.is_empty())
            .map(str::to_string)
            .collect();
        let blob: Vec<u8> = row.get(2)?;
        let record = 4 + 2 * (1 + components.len());
        if !blob.len().is_multiple_of(record) {
            return Err(corrupt(
                "snapshot",
                format!("{model} {day}: blob of {} bytes", blob.len()),
            ));
        }
        let mut scores: Vec<(ExternalId, Vec<Option<f64>>)> =
            Vec::with_capacity(blob.len() / record);
        for chunk in blob.chunks_exact(record) {
            let id = i64::from(u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]));
            let name = names
                .get(&id)
                .ok_or_else(|| corrupt("snapshot", format!("unknown account row {id}")))?;
            scores.push((external_id("snapshot account", name)?, decode(&chunk[4..])));
        }
        snapshots.push(DaySnapshot {
            model: model.to_string(),
            day,
            components,
            scores,
        });
    }
    Ok(snapshots)
}
