//! Share links in SQLite (migration 14): the token as its SHA-256 only.
//! None of these rows is engine data: their writes leave the change log alone.

use rapport_core::time::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::external_id;
use crate::StoreResult;
use crate::sharing::ShareLink;

const COLUMNS: &str = "s.id, a.external_id, s.as_of_ms, s.created_by_id, s.created_by_name, \
     s.created_at_ms, s.expires_at_ms, s.revoked_at_ms, s.last_opened_at_ms, s.open_count";

fn link_from_row(row: &rusqlite::Row<'_>) -> StoreResult<ShareLink> {
    let instant = |index: usize| -> rusqlite::Result<Option<Timestamp>> {
        Ok(row
            .get::<_, Option<i64>>(index)?
            .map(Timestamp::from_millis))
    };
    Ok(ShareLink {
        id: row.get(0)?,
        account: external_id("share link account", &row.get::<_, String>(1)?)?,
        as_of: Timestamp::from_millis(row.get(2)?),
        created_by_id: row.get(3)?,
        created_by_name: row.get(4)?,
        created_at: Timestamp::from_millis(row.get(5)?),
        expires_at: Timestamp::from_millis(row.get(6)?),
        revoked_at: instant(7)?,
        last_opened_at: instant(8)?,
        open_count: row.get::<_, i64>(9)?.max(0) as u64,
    })
}

fn select(
    connection: &Connection,
    filter: &str,
    value: &dyn rusqlite::ToSql,
) -> StoreResult<Vec<ShareLink>> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM share_links s JOIN accounts a ON a.id = s.account \
         WHERE {filter} ORDER BY s.id"
    ))?;
    let mut rows = statement.query([value])?;
    let mut links = Vec::new();
    while let Some(row) = rows.next()? {
        links.push(link_from_row(row)?);
    }
    Ok(links)
}

pub(super) fn one(connection: &Connection, id: i64) -> StoreResult<Option<ShareLink>> {
    Ok(select(connection, "s.id = ?1", &id)?.pop())
}

/// One account's links (by row id), or every link.
pub(super) fn list(connection: &Connection, account: Option<i64>) -> StoreResult<Vec<ShareLink>> {
    select(
        connection,
        &super::by_account("s.account", account),
        &account,
    )
}

pub(super) fn create(
    transaction: &Connection,
    account: i64,
    link: &crate::sharing::NewShareLink<'_>,
    created_by: (i64, &str),
    at: Timestamp,
) -> StoreResult<ShareLink> {
    transaction.execute(
        "INSERT INTO share_links (token_hash, account, as_of_ms, page, created_by_id, \
         created_by_name, created_at_ms, expires_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            link.token_hash.as_slice(),
            account,
            link.as_of.millis(),
            link.page,
            created_by.0,
            created_by.1,
            at.millis(),
            link.expires_at.millis()
        ],
    )?;
    let id = transaction.last_insert_rowid();
    one(transaction, id)?.ok_or_else(|| super::corrupt("share link", "not found after insert"))
}

/// Revokes a link (a link revoked before keeps its instant); the link as
/// stored after and whether this call revoked it.
pub(super) fn revoke(
    transaction: &Connection,
    id: i64,
    at: Timestamp,
) -> StoreResult<Option<(ShareLink, bool)>> {
    let revoked = transaction.execute(
        "UPDATE share_links SET revoked_at_ms = ?2 WHERE id = ?1 AND revoked_at_ms IS NULL",
        params![id, at.millis()],
    )? > 0;
    Ok(one(transaction, id)?.map(|link| (link, revoked)))
}

/// The link of this token hash and its page, counted as opened at `at`
/// when it opens then (not revoked, not expired); `None` otherwise.
pub(super) fn open(
    transaction: &Connection,
    token_hash: &[u8; 32],
    at: Timestamp,
) -> StoreResult<Option<(ShareLink, String)>> {
    let found: Option<(i64, String)> = transaction
        .query_row(
            "SELECT id, page FROM share_links WHERE token_hash = ?1 \
             AND revoked_at_ms IS NULL AND expires_at_ms > ?2",
            params![token_hash.as_slice(), at.millis()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let Some((id, page)) = found else {
        return Ok(None);
    };
    transaction.execute(
        "UPDATE share_links SET open_count = open_count + 1, \
         last_opened_at_ms = max(coalesce(last_opened_at_ms, 0), ?2) WHERE id = ?1",
        params![id, at.millis()],
    )?;
    Ok(one(transaction, id)?.map(|link| (link, page)))
}
