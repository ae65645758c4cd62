//! Users, API tokens and sessions in SQLite (migration 11). None of these
//! rows is engine data: their writes leave the change log alone.

use rapport_core::access::Role;
use rapport_core::time::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::corrupt;
use crate::StoreResult;
use crate::identity::{ApiToken, Session, User};

const USER_COLUMNS: &str = "id, name, email, role, created_at_ms, disabled_at_ms, password_hash";

fn user_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(User, String)> {
    let role: String = row.get(3)?;
    Ok((
        User {
            id: row.get(0)?,
            name: row.get(1)?,
            email: row.get(2)?,
            role: Role::Viewer,
            created_at: Timestamp::from_millis(row.get(4)?),
            disabled_at: row.get::<_, Option<i64>>(5)?.map(Timestamp::from_millis),
            password_hash: row.get(6)?,
        },
        role,
    ))
}

fn with_role((mut user, role): (User, String)) -> StoreResult<User> {
    user.role = role
        .parse()
        .map_err(|reason: String| corrupt(&format!("user {}", user.id), reason))?;
    Ok(user)
}

fn one_user(
    connection: &Connection,
    filter: &str,
    value: &dyn rusqlite::ToSql,
) -> StoreResult<Option<User>> {
    connection
        .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE {filter}"))?
        .query_row([value], user_from_row)
        .optional()?
        .map(with_role)
        .transpose()
}

/// Inserts a user; `None` when the name (ignoring case) is taken.
pub(super) fn create_user(
    transaction: &Connection,
    name: &str,
    email: Option<&str>,
    role: Role,
    at: Timestamp,
) -> StoreResult<Option<User>> {
    transaction
        .prepare_cached(&format!(
            "INSERT INTO users (name, email, role, created_at_ms) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT DO NOTHING RETURNING {USER_COLUMNS}"
        ))?
        .query_row(
            params![name, email, role.as_str(), at.millis()],
            user_from_row,
        )
        .optional()?
        .map(with_role)
        .transpose()
}

pub(super) fn users(connection: &Connection) -> StoreResult<Vec<User>> {
    let mut statement =
        connection.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))?;
    let rows = statement.query_map([], user_from_row)?;
    rows.map(|row| with_role(row?)).collect()
}

pub(super) fn user(connection: &Connection, id: i64) -> StoreResult<Option<User>> {
    one_user(connection, "id = ?1", &id)
}

pub(super) fn user_by_name(connection: &Connection, name: &str) -> StoreResult<Option<User>> {
    one_user(connection, "name = ?1 COLLATE NOCASE", &name.trim())
}

/// Changes a user's role, password hash or disabled instant (each when
/// given); the user as stored after, `None` when there is none.
pub(super) fn update_user(
    transaction: &Connection,
    id: i64,
    change: &crate::identity::UserChange,
) -> StoreResult<Option<User>> {
    if let Some(role) = change.role {
        transaction.execute(
            "UPDATE users SET role = ?2 WHERE id = ?1",
            params![id, role.as_str()],
        )?;
    }
    if let Some(password_hash) = &change.password_hash {
        transaction.execute(
            "UPDATE users SET password_hash = ?2 WHERE id = ?1",
            params![id, password_hash],
        )?;
    }
    if let Some(disabled_at) = change.disabled_at {
        transaction.execute(
            "UPDATE users SET disabled_at_ms = ?2 WHERE id = ?1",
            params![id, disabled_at.map(Timestamp::millis)],
        )?;
        if disabled_at.is_some() {
            transaction.execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
        }
    }
    user(transaction, id)
}

const TOKEN_COLUMNS: &str = "id, user_id, name, prefix, created_at_ms, expires_at_ms, \
     last_used_at_ms, revoked_at_ms, single_use";

fn token_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ApiToken> {
    let instant = |index: usize| -> rusqlite::Result<Option<Timestamp>> {
        Ok(row
            .get::<_, Option<i64>>(index)?
            .map(Timestamp::from_millis))
    };
    Ok(ApiToken {
        id: row.get(0)?,
        user_id: row.get(1)?,
        name: row.get(2)?,
        prefix: row.get(3)?,
        created_at: Timestamp::from_millis(row.get(4)?),
        expires_at: instant(5)?,
        last_used_at: instant(6)?,
        revoked_at: instant(7)?,
        single_use: row.get(8)?,
    })
}

pub(super) fn create_token(
    transaction: &Connection,
    token: &crate::identity::NewToken<'_>,
) -> StoreResult<ApiToken> {
    Ok(transaction.query_row(
        &format!(
            "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at_ms, expires_at_ms, \
             single_use) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING {TOKEN_COLUMNS}"
        ),
        params![
            token.user_id,
            token.name,
            token.token_hash.as_slice(),
            token.prefix,
            token.at.millis(),
            token.expires_at.map(Timestamp::millis),
            token.single_use
        ],
        token_from_row,
    )?)
}

pub(super) fn tokens(connection: &Connection, user_id: Option<i64>) -> StoreResult<Vec<ApiToken>> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE ?1 IS NULL OR user_id = ?1 ORDER BY id"
    ))?;
    let rows = statement.query_map([user_id], token_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn token_by_hash(
    connection: &Connection,
    token_hash: &[u8; 32],
) -> StoreResult<Option<ApiToken>> {
    Ok(connection
        .prepare_cached(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?1"
        ))?
        .query_row([token_hash.as_slice()], token_from_row)
        .optional()?)
}

pub(super) fn touch_token(transaction: &Connection, id: i64, at: Timestamp) -> StoreResult<()> {
    transaction.execute(
        "UPDATE api_tokens SET last_used_at_ms = max(coalesce(last_used_at_ms, 0), ?2) WHERE id = ?1",
        params![id, at.millis()],
    )?;
    Ok(())
}

pub(super) fn token(connection: &Connection, id: i64) -> StoreResult<Option<ApiToken>> {
    Ok(connection
        .prepare_cached(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = ?1"
        ))?
        .query_row([id], token_from_row)
        .optional()?)
}

/// Revokes a token (a token revoked before keeps its instant).
pub(super) fn revoke_token(
    transaction: &Connection,
    id: i64,
    at: Timestamp,
) -> StoreResult<Option<ApiToken>> {
    transaction.execute(
        "UPDATE api_tokens SET revoked_at_ms = ?2 WHERE id = ?1 AND revoked_at_ms IS NULL",
        params![id, at.millis()],
    )?;
    Ok(transaction
        .prepare_cached(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = ?1"
        ))?
        .query_row([id], token_from_row)
        .optional()?)
}

pub(super) fn create_session(
    transaction: &Connection,
    session_hash: &[u8; 32],
    session: &Session,
) -> StoreResult<()> {
    // Sessions past their end are removed as new ones begin.
    transaction.execute(
        "DELETE FROM sessions WHERE expires_at_ms <= ?1",
        [session.created_at.millis()],
    )?;
    transaction.execute(
        "INSERT INTO sessions (session_hash, user_id, created_at_ms, expires_at_ms) \
         VALUES (?1, ?2, ?3, ?4)",
        params![
            session_hash.as_slice(),
            session.user_id,
            session.created_at.millis(),
            session.expires_at.millis()
        ],
    )?;
    Ok(())
}

pub(super) fn session(
    connection: &Connection,
    session_hash: &[u8; 32],
) -> StoreResult<Option<Session>> {
    Ok(connection
        .prepare_cached(
            "SELECT user_id, created_at_ms, expires_at_ms FROM sessions WHERE session_hash = ?1",
        )?
        .query_row([session_hash.as_slice()], |row| {
            Ok(Session {
                user_id: row.get(0)?,
                created_at: Timestamp::from_millis(row.get(1)?),
                expires_at: Timestamp::from_millis(row.get(2)?),
            })
        })
        .optional()?)
}

pub(super) fn delete_session(
    transaction: &Connection,
    session_hash: &[u8; 32],
) -> StoreResult<bool> {
    Ok(transaction.execute(
        "DELETE FROM sessions WHERE session_hash = ?1",
        [session_hash.as_slice()],
    )? > 0)
}
