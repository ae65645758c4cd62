//! Stored tasks (docs/tasks.md): a piece of work on an account, with an
//! owner and a due date, made by a person, by an alert or by a playbook's
//! play, and completed or dismissed by someone at some moment. The request
//! body a person sends, its validation, the plays of an account's playbooks
//! as tasks to open, and the rule that keeps a playbook from opening the same
//! task twice. Pure: `today` and `now` are parameters.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::ExternalId;
use crate::engine::AccountState;
use crate::health::playbooks::playbooks;
use crate::time::Timestamp;
use crate::validation::{
    FieldError, MAX_NAME_CHARS, MAX_TEXT_CHARS, field_error, not_empty, parse_request, text_at_most,
};

/// How many days after a task of a playbook's play was completed or
/// dismissed the same play on the same account may open a new one
/// (docs/decisions.md, "Playbook tasks").
pub const PLAYBOOK_TASK_COOLDOWN_DAYS: i64 = 30;
/// A person's task without a due date is due this many days after it is made.
pub const DEFAULT_DUE_DAYS: u64 = 7;
/// The earliest a due date may be: this many days before today.
pub const MAX_DAYS_OVERDUE: i64 = 365;
/// The latest a due date may be: this many days after today (five years).
pub const MAX_DAYS_AHEAD: i64 = 5 * 366;

/// Where a task came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum TaskSource {
    /// A play of a playbook the account triggered (`declining_usage`,
    /// `immediate_csm_outreach`).
    #[serde(rename_all = "camelCase")]
    Playbook { playbook: String, play: String },
    /// An alert (a quick action on it).
    #[serde(rename_all = "camelCase")]
    Alert { alert_id: i64 },
    /// A person, by name.
    #[serde(rename_all = "camelCase")]
    Person { by: String },
}

impl TaskSource {
    /// The kind as stored and filtered: `playbook`, `alert`, `person`.
    pub fn kind(&self) -> &'static str {
        match self {
            TaskSource::Playbook { .. } => "playbook",
            TaskSource::Alert { .. } => "alert",
            TaskSource::Person { .. } => "person",
        }
    }

    /// The key at most one open task per account may have
    /// (`playbook:declining_usage:immediate_csm_outreach`, `alert:12`); none
    /// for a person's tasks, of which an account may have any number.
    pub fn key(&self) -> Option<String> {
        match self {
            TaskSource::Playbook { playbook, play } => Some(format!("playbook:{playbook}:{play}")),
            TaskSource::Alert { alert_id } => Some(format!("alert:{alert_id}")),
            TaskSource::Person { .. } => None,
        }
    }
}

/// Where a task stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum TaskState {
    Open,
    Completed {
        by: String,
        at: Timestamp,
    },
    Dismissed {
        by: String,
        at: Timestamp,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

impl TaskState {
    /// `open`, `completed`, `dismissed`.
    pub fn status(&self) -> &'static str {
        match self {
            TaskState::Open => "open",
            TaskState::Completed { .. } => "completed",
            TaskState::Dismissed { .. } => "dismissed",
        }
    }

    /// When it was completed or dismissed.
    pub fn closed_at(&self) -> Option<Timestamp> {
        match self {
            TaskState::Open => None,
            TaskState::Completed { at, .. } | TaskState::Dismissed { at, .. } => Some(*at),
        }
    }
}

/// A stored task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AccountTask)]
pub struct Task {
    /// Assigned by the store, never reused.
    pub id: i64,
    pub account: ExternalId,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// A user's name, or the account's CSM.
    pub owner: String,
    pub due: NaiveDate,
    pub source: TaskSource,
    pub created_at: Timestamp,
    /// Who made it: a person's name, or `rapport` for a playbook's task.
    pub created_by: String,
    pub state: TaskState,
}

/// A task to store (the store gives it its id and state `open`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub account: ExternalId,
    pub title: String,
    pub detail: Option<String>,
    pub owner: String,
    pub due: NaiveDate,
    pub source: TaskSource,
    pub created_at: Timestamp,
    pub created_by: String,
}

/// Who made a playbook's tasks.
pub const PLAYBOOK_AUTHOR: &str = "rapport";

// ---------------------------------------------------------------------------
// A person's request

/// The body of `POST /api/accounts/{id}/tasks`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskBody {
    /// At most 200 characters.
    pub title: String,
    /// At most 10,000 characters.
    #[serde(default)]
    pub detail: Option<String>,
    /// A user's name or the account's CSM; the account's CSM when absent.
    #[serde(default)]
    pub owner: Option<String>,
    /// `YYYY-MM-DD`, from a year ago to five years ahead; a week from today when absent.
    #[serde(default)]
    pub due: Option<String>,
    /// The alert the task acts on (an alert of the same account): the task's
    /// source is then the alert, with at most one open task per alert.
    #[serde(default)]
    pub alert_id: Option<i64>,
}

/// A person's task request, validated (the owner is checked against the
/// account and the users by the application).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRequest {
    pub title: String,
    pub detail: Option<String>,
    pub owner: Option<String>,
    pub due: NaiveDate,
    /// The alert it acts on, when it is an alert's task.
    pub alert_id: Option<i64>,
}

/// The body of `POST /api/tasks/{id}/dismiss` (optional: none at all is `{}`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DismissBody {
    /// Why (at most 10,000 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Parses and validates a task body; errors name the field.
pub fn parse_task_request(body: &[u8], today: NaiveDate) -> Result<TaskRequest, FieldError> {
    let raw: TaskBody = parse_request(body)?;
    let due = match raw.due.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| field_error("due", "must be a date, YYYY-MM-DD"))?,
        ),
    };
    let mut request = task_request(
        &raw.title,
        raw.detail.as_deref(),
        raw.owner.as_deref(),
        due,
        today,
    )?;
    request.alert_id = raw.alert_id;
    Ok(request)
}

/// Validates a task request's fields (the API's body and the CLI's flags).
pub fn task_request(
    title: &str,
    detail: Option<&str>,
    owner: Option<&str>,
    due: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<TaskRequest, FieldError> {
    not_empty("title", title)?;
    text_at_most("title", title, MAX_NAME_CHARS)?;
    if title.contains(['\n', '\r']) {
        return Err(field_error("title", "must be one line"));
    }
    let detail = match detail {
        Some(detail) => {
            text_at_most("detail", detail, MAX_TEXT_CHARS)?;
            Some(detail.trim()).filter(|detail| !detail.is_empty())
        }
        None => None,
    };
    let owner = match owner {
        Some(owner) => {
            not_empty("owner", owner)?;
            text_at_most("owner", owner, MAX_NAME_CHARS)?;
            Some(owner.trim().to_string())
        }
        None => None,
    };
    let due = match due {
        Some(due) => {
            plausible_due(due, today)?;
            due
        }
        None => today + chrono::Days::new(DEFAULT_DUE_DAYS),
    };
    Ok(TaskRequest {
        title: title.trim().to_string(),
        detail: detail.map(str::to_string),
        owner,
        due,
        alert_id: None,
    })
}

/// Refuses a due date more than a year before `today` or five years after.
pub fn plausible_due(due: NaiveDate, today: NaiveDate) -> Result<(), FieldError> {
    let days = (due - today).num_days();
    if days < -MAX_DAYS_OVERDUE {
        return Err(field_error(
            "due",
            format!("{due} is more than {MAX_DAYS_OVERDUE} days ago"),
        ));
    }
    if days > MAX_DAYS_AHEAD {
        return Err(field_error(
            "due",
            format!("{due} is more than five years ahead"),
        ));
    }
    Ok(())
}

/// Validates a dismissal's reason (trimmed; empty is none).
pub fn dismiss_reason(reason: Option<&str>) -> Result<Option<String>, FieldError> {
    match reason {
        Some(reason) => {
            text_at_most("reason", reason, MAX_TEXT_CHARS)?;
            Ok(Some(reason.trim().to_string()).filter(|reason| !reason.is_empty()))
        }
        None => Ok(None),
    }
}

/// Parses a dismissal's body: empty, or `{"reason"?}`.
pub fn parse_dismiss_body(body: &[u8]) -> Result<Option<String>, FieldError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let raw: DismissBody = parse_request(body)?;
    dismiss_reason(raw.reason.as_deref())
}

// ---------------------------------------------------------------------------
// Playbook tasks

/// The plays of the playbooks `account` triggers at `now`, as tasks for its
/// CSM (none for a churned account, whose playbooks stop, nor for a slot
/// without an account record).
pub fn playbook_tasks(account: &AccountState, now: Timestamp) -> Vec<NewTask> {
    let Some(info) = account.account() else {
        return Vec::new();
    };
    if account.churned_at(now).is_some() {
        return Vec::new();
    }
    playbooks(account, now)
        .into_iter()
        .flat_map(|trigger| {
            let detail = format!("{}: {}", trigger.name, trigger.summary);
            trigger.tasks.into_iter().map(move |play| NewTask {
                account: info.external_id.clone(),
                title: play.action.to_string(),
                detail: Some(detail.clone()),
                owner: info.csm.clone(),
                due: play.due,
                source: TaskSource::Playbook {
                    playbook: trigger.key.to_string(),
                    play: play_key(play.action),
                },
                created_at: now,
                created_by: PLAYBOOK_AUTHOR.to_string(),
            })
        })
        .collect()
}

/// A play's key: its action in lower case, words joined by `_`
/// (`Immediate CSM outreach` → `immediate_csm_outreach`).
pub fn play_key(action: &str) -> String {
    action
        .split(|character: char| !character.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("_")
}

/// Which of the plays in force become new tasks, given the tasks stored
/// with the same source keys: none while a task with the same (account,
/// source key) is open, none within [`PLAYBOOK_TASK_COOLDOWN_DAYS`] of the
/// last one's completion or dismissal, and each (account, key) once.
pub fn tasks_to_open(in_force: Vec<NewTask>, stored: &[Task], now: Timestamp) -> Vec<NewTask> {
    let cooldown_ms = PLAYBOOK_TASK_COOLDOWN_DAYS * crate::time::MILLIS_PER_DAY;
    // The (account, key) pairs a new task may not take, built once: a whole
    // portfolio's plays are checked against a whole portfolio's tasks.
    let mut taken: std::collections::HashSet<(&str, String)> = stored
        .iter()
        .filter(|task| {
            task.state
                .closed_at()
                .is_none_or(|closed| now.millis() - closed.millis() < cooldown_ms)
        })
        .filter_map(|task| Some((task.account.as_str(), task.source.key()?)))
        .collect();
    let mut opened = Vec::new();
    for candidate in &in_force {
        let Some(key) = candidate.source.key() else {
            continue;
        };
        if taken.insert((candidate.account.as_str(), key)) {
            opened.push(candidate.clone());
        }
    }
    opened
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    fn new_task(account: &str, play: &str) -> NewTask {
        NewTask {
            account: ExternalId::parse(account).unwrap(),
            title: play.into(),
            detail: None,
            owner: "Dana".into(),
            due: date("2026-03-02"),
            source: TaskSource::Playbook {
                playbook: "declining_usage".into(),
                play: play.into(),
            },
            created_at: at("2026-03-01T00:00:00Z"),
            created_by: PLAYBOOK_AUTHOR.into(),
        }
    }

    fn stored(new: &NewTask, state: TaskState) -> Task {
        Task {
            id: 1,
            account: new.account.clone(),
            title: new.title.clone(),
            detail: None,
            owner: new.owner.clone(),
            due: new.due,
            source: new.source.clone(),
            created_at: new.created_at,
            created_by: new.created_by.clone(),
            state,
        }
    }

    #[test]
    fn a_play_opens_no_task_while_one_is_open_nor_within_the_cooldown_of_a_closed_one() {
        let now = at("2026-03-10T00:00:00Z");
        let play = new_task("a1", "outreach");
        assert_eq!(tasks_to_open(vec![play.clone()], &[], now).len(), 1);
        let open = stored(&play, TaskState::Open);
        assert!(tasks_to_open(vec![play.clone()], &[open], now).is_empty());
        let dismissed = |at_text: &str| {
            stored(
                &play,
                TaskState::Dismissed {
                    by: "Dana".into(),
                    at: at(at_text),
                    reason: None,
                },
            )
        };
        // Dismissed 29 days and 23 hours ago: still blocked; 30 days ago: free.
        assert!(
            tasks_to_open(
                vec![play.clone()],
                &[dismissed("2026-02-08T01:00:00Z")],
                now
            )
            .is_empty()
        );
        assert_eq!(
            tasks_to_open(
                vec![play.clone()],
                &[dismissed("2026-02-08T00:00:00Z")],
                now
            )
            .len(),
            1
        );
        let completed = stored(
            &play,
            TaskState::Completed {
                by: "Dana".into(),
                at: at("2026-03-09T00:00:00Z"),
            },
        );
        assert!(tasks_to_open(vec![play.clone()], &[completed], now).is_empty());
        // Another account, another play: not blocked; the same twice: once.
        let other = new_task("a2", "outreach");
        let second = new_task("a1", "health_check");
        let open = stored(&play, TaskState::Open);
        let opened = tasks_to_open(
            vec![other.clone(), second.clone(), second.clone()],
            &[open],
            now,
        );
        assert_eq!(opened, vec![other, second]);
    }

    #[test]
    fn a_person_task_is_never_opened_by_the_sync() {
        let mut task = new_task("a1", "x");
        task.source = TaskSource::Person { by: "Dana".into() };
        assert!(tasks_to_open(vec![task], &[], at("2026-03-10T00:00:00Z")).is_empty());
    }

    #[test]
    fn play_keys_are_lower_case_words() {
        assert_eq!(play_key("Immediate CSM outreach"), "immediate_csm_outreach");
        assert_eq!(play_key("  Use-case  validation "), "use_case_validation");
    }

    #[test]
    fn a_task_body_is_validated_field_by_field() {
        let today = date("2026-03-01");
        let parse = |body: &str| parse_task_request(body.as_bytes(), today);
        let field = |body: &str| parse(body).unwrap_err().field;
        let ok = parse(r#"{"title":" Call them ","detail":" ","owner":"Dana"}"#).unwrap();
        assert_eq!(ok.title, "Call them");
        assert_eq!(ok.detail, None);
        assert_eq!(ok.owner.as_deref(), Some("Dana"));
        assert_eq!(ok.due, date("2026-03-08"));
        assert_eq!(field(r#"{}"#), "title");
        assert_eq!(field(r#"{"title":" "}"#), "title");
        assert_eq!(
            field(&format!(r#"{{"title":"{}"}}"#, "x".repeat(201))),
            "title"
        );
        assert!(parse(&format!(r#"{{"title":"{}"}}"#, "é".repeat(200))).is_ok());
        assert_eq!(field(r#"{"title":"a\nb"}"#), "title");
        assert_eq!(
            field(&format!(
                r#"{{"title":"t","detail":"{}"}}"#,
                "x".repeat(10_001)
            )),
            "detail"
        );
        assert_eq!(field(r#"{"title":"t","owner":""}"#), "owner");
        assert_eq!(field(r#"{"title":"t","due":"tomorrow"}"#), "due");
        assert_eq!(field(r#"{"title":"t","due":"2025-02-28"}"#), "due");
        assert_eq!(field(r#"{"title":"t","due":"2031-03-08"}"#), "due");
        assert_eq!(
            parse(r#"{"title":"t","due":"2025-03-01"}"#).unwrap().due,
            date("2025-03-01")
        );
        assert_eq!(field(r#"{"title":"t","status":"open"}"#), "status");
        assert_eq!(field(r#"{"title":"t","by":"Eve"}"#), "by");
        assert_eq!(field(r#"{"title":7}"#), "title");
        assert_eq!(field(r#"[1]"#), "body");
        assert_eq!(field(r#"{"title":"t","alertId":"x"}"#), "alertId");
        assert_eq!(
            parse(r#"{"title":"t","alertId":4}"#).unwrap().alert_id,
            Some(4)
        );
    }

    #[test]
    fn a_dismissal_body_is_empty_or_a_reason() {
        assert_eq!(parse_dismiss_body(b""), Ok(None));
        assert_eq!(parse_dismiss_body(b"{}"), Ok(None));
        assert_eq!(
            parse_dismiss_body(br#"{"reason":" not now "}"#),
            Ok(Some("not now".into()))
        );
        assert_eq!(
            parse_dismiss_body(br#"{"why":"x"}"#).unwrap_err().field,
            "why"
        );
    }

    #[test]
    fn source_keys_and_states_serialize_as_documented() {
        let task = stored(
            &new_task("a1", "outreach"),
            TaskState::Dismissed {
                by: "Dana".into(),
                at: at("2026-03-01T00:00:00Z"),
                reason: Some("done by phone".into()),
            },
        );
        let json = serde_json::to_value(&task).unwrap();
        assert_eq!(json["source"]["kind"], "playbook");
        assert_eq!(json["source"]["play"], "outreach");
        assert_eq!(json["state"]["status"], "dismissed");
        assert_eq!(json["state"]["reason"], "done by phone");
        assert_eq!(json["due"], "2026-03-02");
        assert_eq!(
            task.source.key().as_deref(),
            Some("playbook:declining_usage:outreach")
        );
        assert_eq!(
            TaskSource::Alert { alert_id: 4 }.key().as_deref(),
            Some("alert:4")
        );
    }
}
