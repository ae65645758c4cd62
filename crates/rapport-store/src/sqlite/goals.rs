//! Success goals in SQLite: one row a goal, the goal (metrics and measurement
//! histories included) as JSON. Ids are assigned here when the caller left
//! them empty, so every surface refers to goals and metrics the same way.

use rapport_core::ExternalId;
use rapport_core::success::Goal;
use rusqlite::{Connection, OptionalExtension, params};

use super::{corrupt, external_id};
use crate::StoreResult;

/// The number `id` carries after `prefix` (`goal-7` → 7), if it is one of ours.
fn number_after(prefix: &str, id: &str) -> Option<i64> {
    id.strip_prefix(prefix)?.parse().ok()
}

/// The next `prefix{N}` of the counter `name`: one past both the counter and
/// every id in `taken`, so an id is never handed out twice, even after the
/// goal or metric that carried it was deleted (a retried DELETE must not
/// remove a newer goal). The counter lives in the same transaction as the write.
fn next_id<'a>(
    transaction: &Connection,
    name: &str,
    prefix: &str,
    taken: impl Iterator<Item = &'a str>,
) -> StoreResult<String> {
    let counter: i64 = transaction
        .query_row(
            "SELECT last FROM id_counters WHERE name = ?1",
            [name],
            |row| row.get(0),
        )
        .optional()?
        .unwrap_or(0);
    let highest_taken = taken
        .filter_map(|id| number_after(prefix, id))
        .max()
        .unwrap_or(0);
    let next = counter.max(highest_taken) + 1;
    transaction.execute(
        "INSERT INTO id_counters (name, last) VALUES (?1, ?2) \
         ON CONFLICT (name) DO UPDATE SET last = excluded.last",
        params![name, next],
    )?;
    Ok(format!("{prefix}{next}"))
}

pub(super) fn put(transaction: &Connection, account: i64, goal: &Goal) -> StoreResult<Goal> {
    let mut goal = goal.clone();
    if goal.id.is_empty() {
        let mut statement = transaction.prepare("SELECT id FROM goals WHERE account = ?1")?;
        let taken: Vec<String> = statement
            .query_map([account], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        goal.id = next_id(
            transaction,
            &format!("goals of account {account}"),
            "goal-",
            taken.iter().map(String::as_str),
        )?;
    }
    for index in 0..goal.metrics.len() {
        if goal.metrics[index].id.is_empty() {
            let taken: Vec<String> = goal
                .metrics
                .iter()
                .map(|metric| metric.id.clone())
                .collect();
            let id = next_id(
                transaction,
                &format!("metrics of account {account} goal {}", goal.id),
                &format!("{}-m", goal.id),
                taken.iter().map(String::as_str),
            )?;
            goal.metrics[index].id = id;
        }
    }
    for metric in &mut goal.metrics {
        metric.history.sort_by_key(|measurement| measurement.at);
    }
    let body = serde_json::to_string(&goal).map_err(|error| corrupt("goal", error))?;
    let existing: Option<i64> = transaction
        .query_row(
            "SELECT seq FROM goals WHERE account = ?1 AND id = ?2",
            params![account, goal.id],
            |row| row.get(0),
        )
        .optional()?;
    match existing {
        Some(seq) => transaction.execute(
            "UPDATE goals SET body = ?2 WHERE seq = ?1",
            params![seq, body],
        )?,
        None => transaction.execute(
            "INSERT INTO goals (account, id, body) VALUES (?1, ?2, ?3)",
            params![account, goal.id, body],
        )?,
    };
    Ok(goal)
}

pub(super) fn list(
    connection: &Connection,
    account: Option<i64>,
) -> StoreResult<Vec<(ExternalId, Goal)>> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT a.external_id, g.id, g.body FROM goals g JOIN accounts a ON a.id = g.account \
         WHERE {} ORDER BY a.external_id, g.seq",
        super::by_account("g.account", account)
    ))?;
    let mut rows = statement.query([account])?;
    let mut goals = Vec::new();
    while let Some(row) = rows.next()? {
        let id: String = row.get(1)?;
        let body: String = row.get(2)?;
        let goal: Goal =
            serde_json::from_str(&body).map_err(|error| corrupt(&format!("goal {id}"), error))?;
        goals.push((
            external_id("goal account", &row.get::<_, String>(0)?)?,
            goal,
        ));
    }
    Ok(goals)
}
