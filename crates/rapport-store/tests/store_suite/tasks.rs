//! The store suite's checks of tasks: ids never reused, one open task per
//! (account, source key) for playbook and alert sources and any number for
//! a person's, closing once with who and when, audited in the write's own
//! transaction (a refused write leaves no entry), filters and order, and the
//! playbook sync's one transaction.

use chrono::NaiveDate;
use rapport_core::tasks::{NewTask, Task, TaskSource, TaskState};
use rapport_core::{ExternalId, Timestamp};
use rapport_store::Store;
use rapport_store::audit::{AuditAction, AuditFilter};
use rapport_store::tasks::{TaskFilter, TaskWriteError};

use super::account;
use super::audit::draft;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_millis(1_772_323_200_000 + seconds * 1000)
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn new_task(account: &str, title: &str, due: &str, source: TaskSource) -> NewTask {
    NewTask {
        account: ExternalId::parse(account).unwrap(),
        title: title.into(),
        detail: Some("why".into()),
        owner: "Dana Whitfield".into(),
        due: date(due),
        source,
        created_at: at(0),
        created_by: "Dana Whitfield".into(),
    }
}

fn play(name: &str) -> TaskSource {
    TaskSource::Playbook {
        playbook: "declining_usage".into(),
        play: name.into(),
    }
}

fn person() -> TaskSource {
    TaskSource::Person {
        by: "Dana Whitfield".into(),
    }
}

fn entries(store: &dyn Store, action: &str) -> usize {
    store
        .audit_entries(&AuditFilter {
            action: Some(action.into()),
            limit: 1000,
            ..AuditFilter::default()
        })
        .unwrap()
        .len()
}

fn list(store: &dyn Store, filter: TaskFilter) -> Vec<i64> {
    store
        .tasks(&filter)
        .unwrap()
        .iter()
        .map(|task| task.id)
        .collect()
}

/// A task round-trips; a playbook's source key has one open task at a
/// time (a second is refused with nothing written and no entry), a
/// person's any number; a task closes once, audited before and after.
pub(super) fn tasks_round_trip_one_open_per_source_and_close_once(store: &dyn Store) {
    store
        .upsert_accounts(&[account("a1", 1.0), account("a2", 1.0)])
        .unwrap();
    let first = store
        .create_task(
            &new_task("a1", "Call", "2026-03-05", play("outreach")),
            &draft(AuditAction::TaskCreate),
        )
        .unwrap()
        .unwrap();
    assert_eq!(store.task(first.id).unwrap().as_ref(), Some(&first));
    assert_eq!(first.state, TaskState::Open);
    assert_eq!(first.title, "Call");
    assert_eq!(first.detail.as_deref(), Some("why"));
    assert_eq!(first.due, date("2026-03-05"));
    assert_eq!(first.source, play("outreach"));
    assert_eq!(entries(store, "task.create"), 1);
    let again = store
        .create_task(
            &new_task("a1", "Call again", "2026-03-06", play("outreach")),
            &draft(AuditAction::TaskCreate),
        )
        .unwrap();
    assert_eq!(again, Err(TaskWriteError::OpenAlready(first.id)));
    assert_eq!(
        entries(store, "task.create"),
        1,
        "a refused write, no entry"
    );
    // The same key on another account, and two person tasks: all stored.
    for task in [
        new_task("a2", "Call", "2026-03-05", play("outreach")),
        new_task("a1", "Lunch", "2026-03-01", person()),
        new_task("a1", "Lunch", "2026-03-01", person()),
    ] {
        store
            .create_task(&task, &draft(AuditAction::TaskCreate))
            .unwrap()
            .unwrap();
    }
    assert_eq!(entries(store, "task.create"), 4);
    // Completing: once; a second close is refused with nothing written.
    let completed = TaskState::Completed {
        by: "Dana Whitfield".into(),
        at: at(60),
    };
    let closed = store
        .close_task(first.id, &completed, &draft(AuditAction::TaskComplete))
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(closed.state, completed);
    let dismissed = TaskState::Dismissed {
        by: "Eve".into(),
        at: at(120),
        reason: Some("no".into()),
    };
    assert_eq!(
        store
            .close_task(first.id, &dismissed, &draft(AuditAction::TaskDismiss))
            .unwrap(),
        Some(Err(TaskWriteError::Closed("completed")))
    );
    assert_eq!(store.task(first.id).unwrap().unwrap().state, completed);
    assert_eq!(
        store
            .close_task(999_999, &dismissed, &draft(AuditAction::TaskDismiss))
            .unwrap(),
        None
    );
    assert_eq!(entries(store, "task.complete"), 1);
    assert_eq!(entries(store, "task.dismiss"), 0);
    let entry = &store
        .audit_entries(&AuditFilter {
            action: Some("task.complete".into()),
            limit: 10,
            ..AuditFilter::default()
        })
        .unwrap()[0];
    assert_eq!(entry.subject_kind, "task");
    assert_eq!(entry.subject_id, first.id.to_string());
    assert_eq!(entry.account.as_ref().map(ExternalId::as_str), Some("a1"));
    assert_eq!(entry.before.as_ref().unwrap()["state"]["status"], "open");
    assert_eq!(
        entry.after.as_ref().unwrap()["state"]["status"],
        "completed"
    );
    // Closed, the key is free again; a dismissal keeps its reason.
    let next = store
        .create_task(
            &new_task("a1", "Call", "2026-04-05", play("outreach")),
            &draft(AuditAction::TaskCreate),
        )
        .unwrap()
        .unwrap();
    assert!(next.id > first.id);
    let closed = store
        .close_task(next.id, &dismissed, &draft(AuditAction::TaskDismiss))
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(closed.state, dismissed);
    assert_eq!(entries(store, "task.dismiss"), 1);
}

/// Filters by account, owner (ignoring case), status and due date; soonest
/// due first, newest first on the same day; an unknown account is refused.
pub(super) fn tasks_filter_and_order(store: &dyn Store) {
    store
        .upsert_accounts(&[account("a1", 1.0), account("a2", 1.0)])
        .unwrap();
    let create = |task: NewTask| {
        store
            .create_task(&task, &draft(AuditAction::TaskCreate))
            .unwrap()
            .unwrap()
            .id
    };
    let late = create(new_task("a1", "Late", "2026-03-09", person()));
    let early = create(new_task("a1", "Early", "2026-03-02", person()));
    let mut other = new_task("a2", "Other", "2026-03-02", person());
    other.owner = "Eve".into();
    let other = create(other);
    assert_eq!(
        list(store, TaskFilter::default()),
        [other, early, late],
        "soonest due first, newest first on the same day"
    );
    let a1 = ExternalId::parse("a1").unwrap();
    assert_eq!(
        list(
            store,
            TaskFilter {
                account: Some(a1.clone()),
                ..TaskFilter::default()
            }
        ),
        [early, late]
    );
    assert_eq!(
        list(
            store,
            TaskFilter {
                owner: Some("eve".into()),
                ..TaskFilter::default()
            }
        ),
        [other]
    );
    assert_eq!(
        list(
            store,
            TaskFilter {
                due_before: Some(date("2026-03-09")),
                ..TaskFilter::default()
            }
        ),
        [other, early]
    );
    store
        .close_task(
            early,
            &TaskState::Completed {
                by: "Dana".into(),
                at: at(5),
            },
            &draft(AuditAction::TaskComplete),
        )
        .unwrap()
        .unwrap()
        .unwrap();
    let status = |status: &str| TaskFilter {
        status: Some(status.into()),
        ..TaskFilter::default()
    };
    assert_eq!(list(store, status("open")), [other, late]);
    assert_eq!(list(store, status("completed")), [early]);
    assert!(list(store, status("dismissed")).is_empty());
    assert!(
        store
            .tasks(&TaskFilter {
                account: Some(ExternalId::parse("nobody").unwrap()),
                ..TaskFilter::default()
            })
            .is_err()
    );
}

/// The sync hands `decide` the playbook tasks open or closed since the
/// given instant (of the accounts named, or all), stores what it returns,
/// skips a key with an open task, and never reuses an id; an evaluation
/// that opens nothing takes no write transaction.
pub(super) fn playbook_sync_reads_the_tasks_in_force_and_stores_the_new(store: &dyn Store) {
    store
        .upsert_accounts(&[account("a1", 1.0), account("a2", 1.0)])
        .unwrap();
    let a1 = ExternalId::parse("a1").unwrap();
    let plays = vec![
        new_task("a1", "Outreach", "2026-03-02", play("outreach")),
        new_task("a2", "Outreach", "2026-03-02", play("outreach")),
    ];
    let mut seen: Vec<Vec<Task>> = Vec::new();
    let created = store
        .sync_playbook_tasks(None, at(0), &mut |stored| {
            seen.push(stored.to_vec());
            plays.clone()
        })
        .unwrap();
    assert_eq!(created.len(), 2);
    // Decided on a reader, then again inside the write transaction.
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(Vec::is_empty));
    assert_eq!(
        entries(store, "task"),
        0,
        "a playbook's tasks are not a person's changes"
    );
    // Again: the stored ones are seen; returned anyway, nothing is added.
    let created = store
        .sync_playbook_tasks(None, at(0), &mut |stored| {
            seen.push(stored.to_vec());
            plays.clone()
        })
        .unwrap();
    assert!(created.is_empty());
    let last = seen.last().unwrap();
    assert_eq!(last.len(), 2);
    // One account: only its tasks; closed ones only since the instant.
    let a1_task = last.iter().find(|task| task.account == a1).unwrap().id;
    store
        .close_task(
            a1_task,
            &TaskState::Dismissed {
                by: "Dana".into(),
                at: at(100),
                reason: None,
            },
            &draft(AuditAction::TaskDismiss),
        )
        .unwrap()
        .unwrap()
        .unwrap();
    let mut only = Vec::new();
    store
        .sync_playbook_tasks(Some(std::slice::from_ref(&a1)), at(100), &mut |stored| {
            only = stored.to_vec();
            Vec::new()
        })
        .unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].id, a1_task);
    store
        .sync_playbook_tasks(Some(std::slice::from_ref(&a1)), at(101), &mut |stored| {
            only = stored.to_vec();
            Vec::new()
        })
        .unwrap();
    assert!(only.is_empty(), "closed before the instant");
    // A person's task is not a playbook's.
    store
        .create_task(
            &new_task("a1", "Lunch", "2026-03-01", person()),
            &draft(AuditAction::TaskCreate),
        )
        .unwrap()
        .unwrap();
    let created = store
        .sync_playbook_tasks(Some(std::slice::from_ref(&a1)), at(0), &mut |stored| {
            assert!(stored.iter().all(|task| task.source.kind() == "playbook"));
            vec![new_task("a1", "Outreach", "2026-04-02", play("outreach"))]
        })
        .unwrap();
    assert_eq!(created.len(), 1);
    assert!(created[0].id > a1_task, "ids are never reused");
}
