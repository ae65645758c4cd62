//! Score-override audit events in SQLite: one row an event, appended and never
//! changed (triggers refuse updates and deletes), read back in time order with
//! the order of writing breaking ties.

use rapport_core::scoring::overrides::{OverrideAction, OverrideEvent};
use rapport_core::{ExternalId, Timestamp};
use rusqlite::{Connection, Row, params};

use super::{corrupt, external_id};
use crate::StoreResult;

pub(super) fn record(
    connection: &Connection,
    account: i64,
    event: &OverrideEvent,
) -> StoreResult<()> {
    connection
        .prepare_cached(
            "INSERT INTO override_events \
             (account, model, at_ms, author, action, old, new, reason, expires_at_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            account,
            event.model,
            event.at.millis(),
            event.author,
            event.action.as_str(),
            event.old,
            event.new,
            event.reason,
            event.expires_at.map(Timestamp::millis),
        ])?;
    Ok(())
}

fn event_from_row(row: &Row<'_>) -> StoreResult<(ExternalId, OverrideEvent)> {
    let action: String = row.get(4)?;
    let event = OverrideEvent {
        model: row.get(1)?,
        at: Timestamp::from_millis(row.get(2)?),
        author: row.get(3)?,
        action: OverrideAction::parse(&action)
            .ok_or_else(|| corrupt("override event action", format!("`{action}`")))?,
        old: row.get(5)?,
        new: row.get(6)?,
        reason: row.get(7)?,
        expires_at: row.get::<_, Option<i64>>(8)?.map(Timestamp::from_millis),
    };
    Ok((
        external_id("override event account", &row.get::<_, String>(0)?)?,
        event,
    ))
}

pub(super) fn list(
    connection: &Connection,
    account: Option<i64>,
) -> StoreResult<Vec<(ExternalId, OverrideEvent)>> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT a.external_id, e.model, e.at_ms, e.author, e.action, e.old, e.new, e.reason, \
         e.expires_at_ms FROM override_events e JOIN accounts a ON a.id = e.account \
         WHERE {} ORDER BY a.external_id, e.at_ms, e.seq",
        super::by_account("e.account", account)
    ))?;
    let mut rows = statement.query([account])?;
    let mut events = Vec::new();
    while let Some(row) = rows.next()? {
        events.push(event_from_row(row)?);
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use rapport_core::scoring::overrides::{OverrideAction, OverrideEvent};
    use rapport_core::{Account, AccountStatus, ExternalId, Tier, Timestamp};

    use crate::Store;
    use crate::sqlite::SqliteStore;
    use crate::url::SqliteLocation;

    /// The audit trail is append-only in the database itself, not only by the
    /// absence of a trait method.
    #[test]
    fn stored_events_cannot_be_updated_or_deleted() {
        let store = SqliteStore::open(&SqliteLocation::Memory).unwrap();
        store
            .upsert_accounts(&[Account {
                external_id: ExternalId::parse("a1").unwrap(),
                name: "A".into(),
                tier: Tier::Core,
                arr: 1.0,
                seats: None,
                csm: "Dana".into(),
                status: AccountStatus::Active,
                contract_start: None,
                renewal_date: None,
                industry: "Software".into(),
                manager: None,
                at_risk_override: false,
            }])
            .unwrap();
        let event = OverrideEvent {
            at: Timestamp::from_millis(1_000),
            author: "dana".into(),
            action: OverrideAction::Set,
            model: "health".into(),
            old: None,
            new: Some(72.0),
            reason: "why".into(),
            expires_at: None,
        };
        store
            .record_override_event(&ExternalId::parse("a1").unwrap(), &event)
            .unwrap();
        for statement in [
            "UPDATE override_events SET new = 99",
            "DELETE FROM override_events",
        ] {
            let error = super::super::lock(&store.writer)
                .execute(statement, [])
                .unwrap_err();
            assert!(error.to_string().contains("append only"), "{error}");
        }
        assert_eq!(store.override_events(None).unwrap().len(), 1);
    }
}
