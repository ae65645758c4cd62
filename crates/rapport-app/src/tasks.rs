//! Tasks (docs/tasks.md): a person makes a task on an account they may
//! change, lists the tasks of the accounts they see, completes or dismisses
//! one (each audited in the write's own transaction); and the playbook sync,
//! run with every alert evaluation, that turns the plays in force into open
//! tasks for the account's CSM, never twice while one is open nor within
//! [`PLAYBOOK_TASK_COOLDOWN_DAYS`] of the last one's closing.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rapport_core::access::{Permission, Person};
use rapport_core::tasks::{
    NewTask, PLAYBOOK_TASK_COOLDOWN_DAYS, Task, TaskRequest, TaskSource, TaskState, playbook_tasks,
    tasks_to_open,
};
use rapport_core::{ExternalId, Timestamp};
use rapport_store::audit::{AuditAction, AuditDraft};
use rapport_store::tasks::{TaskFilter, TaskWriteError};
use serde::Serialize;

use crate::{App, AppError, AppResult};

/// Which tasks a list shows.
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    /// An account reference.
    pub account: Option<String>,
    /// An owner's name (ignoring case).
    pub owner: Option<String>,
    /// `open` (default), `completed`, `dismissed` or `all`.
    pub status: Option<String>,
    /// Only tasks due before this date (`YYYY-MM-DD`).
    pub due_before: Option<String>,
}

/// A task with its account's name and CSM, as every surface lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskView {
    #[serde(flatten)]
    pub task: Task,
    pub account_name: String,
    pub csm: String,
}

/// Accounts whose plays are computed under one hold of the engine's read lock.
const SYNCED_PER_LOCK: usize = 100;

impl App {
    /// A person makes a task on an account they may change: owned by
    /// `request.owner` (a user's name or the account's CSM; the CSM when
    /// absent), source `person`, or the alert `request.alert_id` names (an
    /// alert of the same account; 409 while a task of it is open). Audited
    /// (`task.create`).
    pub fn create_task(
        &self,
        actor: &Person,
        account: &str,
        request: &TaskRequest,
        now: Timestamp,
    ) -> AppResult<TaskView> {
        let account = self.account_to_change(actor, account)?;
        let owner = match request.owner.as_deref() {
            None => account.csm.clone(),
            Some(owner) if owner.eq_ignore_ascii_case(&account.csm) => account.csm.clone(),
            Some(owner) => match self.store.user_by_name(owner)? {
                Some(user) if user.disabled_at.is_none() => user.name,
                _ => {
                    return Err(AppError::invalid(
                        "owner",
                        format!("`{owner}` is neither a user nor the account's CSM"),
                    ));
                }
            },
        };
        let source = match request.alert_id {
            None => TaskSource::Person {
                by: actor.name.clone(),
            },
            Some(alert_id) => {
                let alert = self.visible_alert(actor, alert_id).map_err(|_| {
                    AppError::invalid("alertId", format!("no alert with id {alert_id}"))
                })?;
                if alert.account != account.external_id {
                    return Err(AppError::invalid(
                        "alertId",
                        format!("alert {alert_id} is another account's"),
                    ));
                }
                TaskSource::Alert { alert_id }
            }
        };
        let task = NewTask {
            account: account.external_id.clone(),
            title: request.title.clone(),
            detail: request.detail.clone(),
            owner,
            due: request.due,
            source,
            created_at: now,
            created_by: actor.name.clone(),
        };
        let audit = AuditDraft::new(actor, AuditAction::TaskCreate, now);
        let task = self
            .store
            .create_task(&task, &audit)?
            .map_err(write_error)?;
        Ok(TaskView {
            task,
            account_name: account.name,
            csm: account.csm,
        })
    }

    /// A task with its account's name and CSM, as the list shows it.
    pub fn task_view(&self, task: Task) -> AppResult<TaskView> {
        let account = self.store.account(&task.account)?;
        Ok(TaskView {
            account_name: account
                .as_ref()
                .map_or_else(String::new, |a| a.name.clone()),
            csm: account.map_or_else(String::new, |a| a.csm),
            task,
        })
    }

    /// The tasks of the accounts `person` sees that `query` selects, soonest
    /// due first (newest first among tasks due the same day).
    pub fn tasks(&self, person: &Person, query: &TaskQuery) -> AppResult<Vec<TaskView>> {
        self.authorize(person, Permission::Read)?;
        let status = match query.status.as_deref().map(str::trim) {
            None | Some("") | Some("open") => Some("open"),
            Some("all") => None,
            Some(status @ ("completed" | "dismissed")) => Some(status),
            Some(other) => {
                return Err(AppError::invalid(
                    "status",
                    format!("`{other}` is not open, completed, dismissed or all"),
                ));
            }
        };
        let due_before = match query.due_before.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map_err(|_| AppError::invalid("dueBefore", "must be a date, YYYY-MM-DD"))?,
            ),
        };
        let account = match query.account.as_deref().map(str::trim) {
            Some(reference) if !reference.is_empty() => {
                Some(self.visible_account(person, reference)?.external_id)
            }
            _ => None,
        };
        let owner = query
            .owner
            .as_deref()
            .map(str::trim)
            .filter(|owner| !owner.is_empty())
            .map(str::to_string);
        let tasks = self.store.tasks(&TaskFilter {
            account,
            owner,
            status: status.map(str::to_string),
            due_before,
        })?;
        let engine = self.read()?;
        Ok(tasks
            .into_iter()
            .filter_map(|task| {
                let account = engine.state.account(task.account.as_str())?.account()?;
                person.sees(account).then(|| TaskView {
                    account_name: account.name.clone(),
                    csm: account.csm.clone(),
                    task,
                })
            })
            .collect())
    }

    /// A person completes an open task of an account they may change
    /// (`task.complete`); 409 when it is closed already.
    pub fn complete_task(&self, actor: &Person, id: i64, now: Timestamp) -> AppResult<Task> {
        let state = TaskState::Completed {
            by: actor.name.clone(),
            at: now,
        };
        self.close_task(actor, id, &state, AuditAction::TaskComplete, now)
    }

    /// A person dismisses an open task of an account they may change, with
    /// an optional reason (`task.dismiss`); 409 when it is closed already.
    pub fn dismiss_task(
        &self,
        actor: &Person,
        id: i64,
        reason: Option<&str>,
        now: Timestamp,
    ) -> AppResult<Task> {
        let reason = rapport_core::tasks::dismiss_reason(reason)?;
        let state = TaskState::Dismissed {
            by: actor.name.clone(),
            at: now,
            reason,
        };
        self.close_task(actor, id, &state, AuditAction::TaskDismiss, now)
    }

    /// The task `id`, when `person` may change its account: refused unless
    /// their role may change things, not found outside their scope.
    pub fn task_to_change(&self, person: &Person, id: i64) -> AppResult<Task> {
        self.authorize(person, Permission::Write)?;
        let task = self.store.task(id)?.ok_or_else(|| no_task(id))?;
        self.account_in_scope(person, &task.account, || no_task(id))?;
        Ok(task)
    }

    fn close_task(
        &self,
        actor: &Person,
        id: i64,
        state: &TaskState,
        action: AuditAction,
        now: Timestamp,
    ) -> AppResult<Task> {
        self.task_to_change(actor, id)?;
        let audit = AuditDraft::new(actor, action, now);
        self.store
            .close_task(id, state, &audit)?
            .ok_or_else(|| no_task(id))?
            .map_err(write_error)
    }

    /// Opens a task for each play of the playbooks in force on every active
    /// account (or those of `only`) at `now`, for the account's CSM, due as
    /// the play says, unless one with the same (account, play) is open or
    /// was closed within [`PLAYBOOK_TASK_COOLDOWN_DAYS`]; churned accounts
    /// get none. One store transaction; the tasks opened. Run by every alert
    /// evaluation ([`App::evaluate_alerts_of`]).
    pub fn sync_playbook_tasks(
        &self,
        only: Option<&BTreeSet<ExternalId>>,
        now: Timestamp,
    ) -> AppResult<Vec<Task>> {
        if only.is_some_and(BTreeSet::is_empty) {
            return Ok(Vec::new());
        }
        let accounts: Vec<ExternalId> = {
            let engine = self.read()?;
            engine
                .state
                .accounts()
                .filter_map(|state| state.account())
                .map(|account| account.external_id.clone())
                .filter(|account| only.is_none_or(|only| only.contains(account)))
                .collect()
        };
        if accounts.is_empty() {
            return Ok(Vec::new());
        }
        let mut in_force = Vec::new();
        for chunk in accounts.chunks(SYNCED_PER_LOCK) {
            let engine = self.read()?;
            for account in chunk {
                if let Some(state) = engine.state.account(account.as_str()) {
                    in_force.extend(playbook_tasks(state, now));
                }
            }
        }
        let closed_since = Timestamp::from_millis(
            now.millis() - PLAYBOOK_TASK_COOLDOWN_DAYS * rapport_core::time::MILLIS_PER_DAY,
        );
        let scope = only.map(|_| accounts.as_slice());
        let opened = self
            .store
            .sync_playbook_tasks(scope, closed_since, &mut |stored| {
                tasks_to_open(in_force.clone(), stored, now)
            })?;
        if !opened.is_empty() {
            tracing::info!("playbooks opened {} tasks", opened.len());
        }
        Ok(opened)
    }
}

fn write_error(error: TaskWriteError) -> AppError {
    AppError::Conflict(error.to_string())
}

fn no_task(id: i64) -> AppError {
    AppError::NotFound(format!("no task with id {id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(id: i64, source: TaskSource, state: TaskState) -> TaskView {
        TaskView {
            task: Task {
                id,
                account: ExternalId::parse("acc-0001").unwrap(),
                title: "Call <b>them</b> | soon".into(),
                detail: None,
                owner: "Sam *Lee*".into(),
                due: NaiveDate::from_ymd_opt(2026, 2, 3).unwrap(),
                source,
                created_at: Timestamp::parse_rfc3339("2026-01-31T10:00:00Z").unwrap(),
                created_by: "dana".into(),
                state,
            },
            account_name: "Acme [Corp]".into(),
            csm: "Sam *Lee*".into(),
        }
    }

    /// One table row a task, every text from data escaped, the source and
    /// the state in words.
    #[test]
    fn the_markdown_table_escapes_data_and_says_source_and_state() {
        let at = Timestamp::parse_rfc3339("2026-02-01T09:00:00Z").unwrap();
        let tasks = [
            view(
                3,
                TaskSource::Playbook {
                    playbook: "lost_champion".into(),
                    play: "identify_new_champion".into(),
                },
                TaskState::Open,
            ),
            view(
                2,
                TaskSource::Alert { alert_id: 7 },
                TaskState::Completed {
                    by: "dana".into(),
                    at,
                },
            ),
            view(
                1,
                TaskSource::Person { by: "dana".into() },
                TaskState::Dismissed {
                    by: "dana".into(),
                    at,
                    reason: Some("<i>not</i> | now".into()),
                },
            ),
        ];
        let text = crate::render::tasks(&tasks).unwrap();
        let rows: Vec<&str> = text
            .lines()
            .filter(|line| line.starts_with("| ") && !line.starts_with("| #"))
            .collect();
        assert_eq!(
            rows,
            [
                r"| 3 | 2026-02-03 | Acme \[Corp\] (acc-0001) | Call \<b\>them\</b\> \| soon | Sam \*Lee\* | playbook lost_champion: identify_new_champion | open |",
                r"| 2 | 2026-02-03 | Acme \[Corp\] (acc-0001) | Call \<b\>them\</b\> \| soon | Sam \*Lee\* | alert #7 | completed by dana, 2026-02-01T09:00:00Z |",
                r"| 1 | 2026-02-03 | Acme \[Corp\] (acc-0001) | Call \<b\>them\</b\> \| soon | Sam \*Lee\* | dana | dismissed by dana, 2026-02-01T09:00:00Z (\<i\>not\</i\> \| now) |",
            ],
            "{text}"
        );
        let empty = crate::render::tasks(&[]).unwrap();
        assert!(empty.contains("No task matches."), "{empty}");
    }
}
