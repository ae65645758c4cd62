//! Tasks in SQLite (migration 15): the source as JSON beside its kind and
//! key, the state as its status and who closed it, when and why. None of
//! these rows is engine data: their writes leave the change log alone.

use rapport_core::tasks::{NewTask, Task, TaskSource, TaskState};
use rapport_core::time::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::{corrupt, external_id, stored_date};
use crate::StoreResult;
use crate::tasks::{TaskFilter, TaskWriteError};

const COLUMNS: &str = "t.id, a.external_id, t.title, t.detail, t.owner, t.due, t.source, \
     t.created_at_ms, t.created_by, t.status, t.closed_by, t.closed_at_ms, t.reason";

fn task_from_row(row: &rusqlite::Row<'_>) -> StoreResult<Task> {
    let source: TaskSource = serde_json::from_str(&row.get::<_, String>(6)?)
        .map_err(|error| corrupt("task source", error))?;
    let status: String = row.get(9)?;
    let closed = || -> StoreResult<(String, Timestamp)> {
        let by: Option<String> = row.get(10)?;
        let at: Option<i64> = row.get(11)?;
        match (by, at) {
            (Some(by), Some(at)) => Ok((by, Timestamp::from_millis(at))),
            _ => Err(corrupt("task state", "closed without who and when")),
        }
    };
    let state = match status.as_str() {
        "open" => TaskState::Open,
        "completed" => {
            let (by, at) = closed()?;
            TaskState::Completed { by, at }
        }
        "dismissed" => {
            let (by, at) = closed()?;
            TaskState::Dismissed {
                by,
                at,
                reason: row.get(12)?,
            }
        }
        other => return Err(corrupt("task status", other)),
    };
    Ok(Task {
        id: row.get(0)?,
        account: external_id("task account", &row.get::<_, String>(1)?)?,
        title: row.get(2)?,
        detail: row.get(3)?,
        owner: row.get(4)?,
        due: stored_date("task due date", row.get(5)?)?
            .ok_or_else(|| corrupt("task due date", "missing"))?,
        source,
        created_at: Timestamp::from_millis(row.get(7)?),
        created_by: row.get(8)?,
        state,
    })
}

fn select(
    connection: &Connection,
    filter: &str,
    values: &[&dyn rusqlite::ToSql],
) -> StoreResult<Vec<Task>> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM tasks t JOIN accounts a ON a.id = t.account \
         WHERE {filter} ORDER BY t.due, t.id DESC"
    ))?;
    let mut rows = statement.query(values)?;
    let mut tasks = Vec::new();
    while let Some(row) = rows.next()? {
        tasks.push(task_from_row(row)?);
    }
    Ok(tasks)
}

pub(super) fn one(connection: &Connection, id: i64) -> StoreResult<Option<Task>> {
    Ok(select(connection, "t.id = ?1", &[&id])?.pop())
}

/// The tasks `filter` selects (`account` as its row, resolved by the caller).
pub(super) fn list(
    connection: &Connection,
    account: Option<i64>,
    filter: &TaskFilter,
) -> StoreResult<Vec<Task>> {
    let due_before = filter
        .due_before
        .map(|date| date.format("%Y-%m-%d").to_string());
    select(
        connection,
        &format!(
            "{} AND (?2 IS NULL OR t.owner = ?2 COLLATE NOCASE) \
             AND (?3 IS NULL OR t.status = ?3) AND (?4 IS NULL OR t.due < ?4)",
            super::by_account("t.account", account)
        ),
        &[&account, &filter.owner, &filter.status, &due_before],
    )
}

/// The playbook tasks of one account (or all) open or closed at or after `since`.
pub(super) fn playbook_tasks(
    connection: &Connection,
    account: Option<i64>,
    since: Timestamp,
) -> StoreResult<Vec<Task>> {
    select(
        connection,
        &format!(
            "{} AND t.source_kind = 'playbook' \
             AND (t.status = 'open' OR t.closed_at_ms >= ?2)",
            super::by_account("t.account", account)
        ),
        &[&account, &since.millis()],
    )
}

/// Inserts a task; `Err(OpenAlready)` when its source key has an open task.
pub(super) fn insert(
    transaction: &Connection,
    account: i64,
    task: &NewTask,
) -> StoreResult<Result<Task, TaskWriteError>> {
    let key = task.source.key();
    if let Some(key) = &key {
        let open: Option<i64> = transaction
            .query_row(
                "SELECT id FROM tasks WHERE account = ?1 AND source_key = ?2 AND status = 'open'",
                params![account, key],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(open) = open {
            return Ok(Err(TaskWriteError::OpenAlready(open)));
        }
    }
    let source =
        serde_json::to_string(&task.source).map_err(|error| corrupt("task source", error))?;
    transaction.execute(
        "INSERT INTO tasks (account, title, detail, owner, due, source_kind, source_key, source, \
         created_at_ms, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            account,
            task.title,
            task.detail,
            task.owner,
            task.due.format("%Y-%m-%d").to_string(),
            task.source.kind(),
            key,
            source,
            task.created_at.millis(),
            task.created_by
        ],
    )?;
    let id = transaction.last_insert_rowid();
    Ok(Ok(one(transaction, id)?.ok_or_else(|| {
        corrupt("task", "not found after insert")
    })?))
}

/// Closes an open task: the task before and after, `Err(Closed)` when it
/// is not open, `None` when there is none.
pub(super) fn close(
    transaction: &Connection,
    id: i64,
    state: &TaskState,
) -> StoreResult<Option<Result<(Task, Task), TaskWriteError>>> {
    let Some(before) = one(transaction, id)? else {
        return Ok(None);
    };
    if before.state != TaskState::Open {
        return Ok(Some(Err(TaskWriteError::Closed(before.state.status()))));
    }
    let (by, at, reason) = match state {
        TaskState::Open => return Err(corrupt("task state", "a task is closed, not opened")),
        TaskState::Completed { by, at } => (by, at, None),
        TaskState::Dismissed { by, at, reason } => (by, at, reason.as_deref()),
    };
    transaction.execute(
        "UPDATE tasks SET status = ?2, closed_by = ?3, closed_at_ms = ?4, reason = ?5 \
         WHERE id = ?1 AND status = 'open'",
        params![id, state.status(), by, at.millis(), reason],
    )?;
    let after = one(transaction, id)?.ok_or_else(|| corrupt("task", "gone after update"))?;
    Ok(Some(Ok((before, after))))
}
