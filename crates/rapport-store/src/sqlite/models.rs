//! Model versions in SQLite (migration 16): append-only rows, numbered per
//! model name in the order of their ids.

use rapport_core::Timestamp;
use rusqlite::{Connection, params};

use crate::StoreResult;
use crate::models::{ModelVersion, NewModelVersion};

/// Stores `version`; the stored version with its id and number.
pub(super) fn insert(
    transaction: &Connection,
    version: &NewModelVersion,
) -> StoreResult<ModelVersion> {
    transaction
        .prepare_cached(
            "INSERT INTO model_versions (name, toml, note, saved_at_ms, saved_by) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            version.name,
            version.toml,
            version.note,
            version.saved_at.millis(),
            version.saved_by
        ])?;
    let id = transaction.last_insert_rowid();
    let number: i64 = transaction.query_row(
        "SELECT COUNT(*) FROM model_versions WHERE name = ?1 AND id <= ?2",
        params![version.name, id],
        |row| row.get(0),
    )?;
    Ok(ModelVersion {
        id,
        name: version.name.clone(),
        version: u32::try_from(number).unwrap_or(u32::MAX),
        toml: version.toml.clone(),
        note: version.note.clone(),
        saved_at: version.saved_at,
        saved_by: version.saved_by.clone(),
    })
}

/// Every version (of one model's name when given), oldest first.
pub(super) fn list(connection: &Connection, name: Option<&str>) -> StoreResult<Vec<ModelVersion>> {
    let mut statement = connection.prepare_cached(
        "SELECT id, name, toml, note, saved_at_ms, saved_by, \
           (SELECT COUNT(*) FROM model_versions earlier \
             WHERE earlier.name = v.name AND earlier.id <= v.id) \
         FROM model_versions v WHERE ?1 IS NULL OR name = ?1 ORDER BY id",
    )?;
    let rows = statement.query_map(params![name], |row| {
        Ok(ModelVersion {
            id: row.get(0)?,
            name: row.get(1)?,
            toml: row.get(2)?,
            note: row.get(3)?,
            saved_at: Timestamp::from_millis(row.get(4)?),
            saved_by: row.get(5)?,
            version: u32::try_from(row.get::<_, i64>(6)?).unwrap_or(u32::MAX),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
