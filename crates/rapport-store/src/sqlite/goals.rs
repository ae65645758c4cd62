//! Success goals in SQLite: one row a goal, the goal (metrics and measurement
//! histories included) as JSON. Ids are assigned here when the caller left
//! them empty, so every surface refers to goals and metrics the same way.

use rapport_core::ExternalId;
use rapport_core::success::Goal;
use rusqlite::{Connection, OptionalExtension, params};

use super::{corrupt, external_id};
use crate::StoreResult;

/// The smallest `prefix{N}` (N ≥ 1) not in `taken`.
fn next_id<'a>(prefix: &str, taken: impl Iterator<Item = &'a str> + Clone) -> String {
    (1..)
        .map(|number| format!("{prefix}{number}"))
        .find(|candidate| taken.clone().all(|id| id != candidate))
        .expect("an unbounded range has a free number")
}

pub(super) fn put(connection: &mut Connection, account: i64, goal: &Goal) -> StoreResult<Goal> {
    let transaction = connection.transaction()?;
    let mut goal = goal.clone();
    if goal.id.is_empty() {
        let mut statement = transaction.prepare("SELECT id FROM goals WHERE account = ?1")?;
        let taken: Vec<String> = statement
            .query_map([account], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        goal.id = next_id("goal-", taken.iter().map(String::as_str));
    }
    for index in 0..goal.metrics.len() {
        if goal.metrics[index].id.is_empty() {
            let id = next_id(
                &format!("{}-m", goal.id),
                goal.metrics.iter().map(|metric| metric.id.as_str()),
            );
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
    transaction.commit()?;
    Ok(goal)
}

pub(super) fn list(
    connection: &Connection,
    account: Option<i64>,
) -> StoreResult<Vec<(ExternalId, Goal)>> {
    let mut statement = connection.prepare_cached(
        "SELECT a.external_id, g.id, g.body FROM goals g JOIN accounts a ON a.id = g.account \
         WHERE ?1 IS NULL OR g.account = ?1 ORDER BY a.external_id, g.seq",
    )?;
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
