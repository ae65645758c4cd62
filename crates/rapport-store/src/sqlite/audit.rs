//! The audit log in SQLite (migration 13): appended to inside the write
//! transaction of the change it records; triggers refuse updates and deletes.

use rapport_core::ExternalId;
use rapport_core::time::Timestamp;
use rusqlite::{Connection, params};
use serde_json::Value;

use super::{corrupt, external_id};
use crate::StoreResult;
use crate::audit::{AuditDraft, AuditEntry, AuditFilter};

/// Appends the entry `draft` makes, completed with what the transaction
/// wrote: the subject's id (the draft's own when it names one), the
/// account, and the record before and after (the draft's `before` when the
/// store could not read one).
pub(super) fn record(
    transaction: &Connection,
    draft: &AuditDraft,
    subject_id: &str,
    account: Option<&ExternalId>,
    before: Option<Value>,
    after: Option<Value>,
) -> StoreResult<()> {
    let before = before.or_else(|| draft.before.clone());
    let text = |value: Option<Value>| value.map(|value| value.to_string());
    transaction
        .prepare_cached(
            "INSERT INTO audit_log (at_ms, actor_id, actor_name, action, subject_kind, \
             subject_id, account, before_json, after_json) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            draft.at.millis(),
            draft.actor_id,
            draft.actor_name,
            draft.action.as_str(),
            draft.action.subject_kind(),
            draft.subject_id.as_deref().unwrap_or(subject_id),
            account.map(ExternalId::as_str),
            text(before),
            text(after),
        ])?;
    Ok(())
}

/// The entries `filter` selects, newest first.
pub(super) fn entries(
    connection: &Connection,
    filter: &AuditFilter,
) -> StoreResult<Vec<AuditEntry>> {
    let (action, kind) = match filter.action.as_deref().map(str::trim) {
        Some(action) if action.contains('.') => (Some(action.to_string()), None),
        Some(kind) => (None, Some(kind.to_string())),
        None => (None, None),
    };
    let mut statement = connection.prepare_cached(
        "SELECT id, at_ms, actor_id, actor_name, action, subject_kind, subject_id, account, \
         before_json, after_json FROM audit_log \
         WHERE (?1 IS NULL OR account = ?1) AND (?2 IS NULL OR actor_id = ?2) \
           AND (?3 IS NULL OR action = ?3) AND (?4 IS NULL OR subject_kind = ?4) \
           AND (?5 IS NULL OR at_ms >= ?5) AND (?6 IS NULL OR at_ms <= ?6) \
           AND (?7 IS NULL OR id < ?7) \
         ORDER BY id DESC LIMIT ?8",
    )?;
    let mut rows = statement.query(params![
        filter.account.as_ref().map(ExternalId::as_str),
        filter.actor_id,
        action,
        kind,
        filter.since.map(Timestamp::millis),
        filter.until.map(Timestamp::millis),
        filter.before_id,
        i64::try_from(filter.limit).unwrap_or(i64::MAX),
    ])?;
    let mut entries = Vec::new();
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let json = |text: Option<String>| -> StoreResult<Option<Value>> {
            text.map(|text| {
                serde_json::from_str(&text)
                    .map_err(|error| corrupt(&format!("audit entry {id}"), error))
            })
            .transpose()
        };
        entries.push(AuditEntry {
            id,
            at: Timestamp::from_millis(row.get(1)?),
            actor_id: row.get(2)?,
            actor_name: row.get(3)?,
            action: row.get(4)?,
            subject_kind: row.get(5)?,
            subject_id: row.get(6)?,
            account: row
                .get::<_, Option<String>>(7)?
                .map(|text| external_id("audit entry account", &text))
                .transpose()?,
            before: json(row.get(8)?)?,
            after: json(row.get(9)?)?,
        });
    }
    Ok(entries)
}
