//! Reading the audit log (docs/security.md): every change a person makes is
//! recorded by the store in the transaction of the change (each use case
//! hands its write an `AuditDraft`); this is the one read of it, for admins,
//! which the API's `GET /api/audit` and the CLI's `rapport audit` both call.

use rapport_core::Timestamp;
use rapport_core::access::{Permission, Person};
use rapport_store::audit::{AuditAction, AuditEntry, AuditFilter};
use serde::Serialize;

use crate::{App, AppError, AppResult};

/// The most entries one page holds, and how many without a `limit`.
pub const MAX_AUDIT_PAGE: usize = 1_000;
pub const DEFAULT_AUDIT_PAGE: usize = 100;

/// What a reader asks of the audit log, as the API's query and the CLI's
/// flags give it: each field optional, parsed here so both refuse alike
/// (a 400 naming the field).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditQuery {
    /// An account reference (UUID, external id or exact name).
    pub account: Option<String>,
    /// A user, by id or name (`0`, or `command line`: the operator).
    pub user: Option<String>,
    /// An action (`goal.create`) or a kind of subject (`goal`).
    pub action: Option<String>,
    /// From this instant on (RFC 3339 or `YYYY-MM-DD`).
    pub since: Option<String>,
    /// Up to this instant (RFC 3339, or `YYYY-MM-DD`: that day included).
    pub until: Option<String>,
    /// At most this many entries (default 100, at most 1,000).
    pub limit: Option<String>,
    /// Only entries older than this id: the next page.
    pub before: Option<String>,
}

/// One entry as the API shows it: never a secret (the store leaves them
/// out of every record's view).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntryView {
    pub id: i64,
    pub at: Timestamp,
    /// The user's id; 0 for the command line's operator.
    pub actor_id: i64,
    pub actor_name: String,
    /// `goal.create`, `alert.resolve`, `token.revoke`…
    pub action: String,
    /// `goal`, `metric`, `alert`, `webhook`, `user`, `token`, `share_link`…
    pub subject_kind: String,
    pub subject_id: String,
    /// The account's external id, when the change is an account's.
    pub account: Option<String>,
    /// The record as it was (`null` for a creation).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The record as it became (`null` for a deletion).
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(entry: AuditEntry) -> Self {
        AuditEntryView {
            id: entry.id,
            at: entry.at,
            actor_id: entry.actor_id,
            actor_name: entry.actor_name,
            action: entry.action,
            subject_kind: entry.subject_kind,
            subject_id: entry.subject_id,
            account: entry.account.map(|account| account.to_string()),
            before: entry.before,
            after: entry.after,
        }
    }
}

/// One page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    /// The `before` of the next page; `null` on the last one.
    pub next_before: Option<i64>,
}

fn instant(field: &str, text: &str, end_of_day: bool) -> AppResult<Timestamp> {
    let text = text.trim();
    let parsed = Timestamp::parse_lenient(text)
        .map_err(|error| AppError::invalid(field, error.to_string()))?;
    // A bare date up to which entries are read includes that whole day.
    if end_of_day && rapport_core::time::parse_date(text).is_ok() {
        return Ok(Timestamp::from_millis(parsed.plus_days(1).millis() - 1));
    }
    Ok(parsed)
}

fn given(text: &Option<String>) -> Option<&str> {
    text.as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

impl App {
    /// A page of the audit log for `reader`, who must be an admin (or the
    /// command line's operator, who holds the database file).
    pub fn audit_log(&self, reader: &Person, query: &AuditQuery) -> AppResult<AuditPage> {
        if *reader != Person::operator() {
            self.authorize(reader, Permission::Admin)?;
        }
        let account = given(&query.account)
            .map(|reference| self.resolve(reference))
            .transpose()?
            .map(|account| account.external_id);
        let actor_id = match given(&query.user) {
            None => None,
            Some(user) if user == "0" || user.eq_ignore_ascii_case(&Person::operator().name) => {
                Some(0)
            }
            Some(user) => Some(
                self.person(user)
                    .map_err(|_| {
                        AppError::invalid(
                            "user",
                            format!("no user `{user}` (`rapport users list`)"),
                        )
                    })?
                    .id,
            ),
        };
        let action = given(&query.action)
            .map(|action| {
                let known = AuditAction::parse(action).is_some()
                    || AuditAction::ALL
                        .iter()
                        .any(|known| known.subject_kind() == action);
                if known {
                    Ok(action.to_string())
                } else {
                    Err(AppError::invalid(
                        "action",
                        format!("`{action}` is neither an action (goal.create) nor a kind (goal)"),
                    ))
                }
            })
            .transpose()?;
        let since = given(&query.since)
            .map(|text| instant("since", text, false))
            .transpose()?;
        let until = given(&query.until)
            .map(|text| instant("until", text, true))
            .transpose()?;
        if let (Some(since), Some(until)) = (since, until)
            && until < since
        {
            return Err(AppError::invalid("until", "is before `since`"));
        }
        let limit = match given(&query.limit) {
            None => DEFAULT_AUDIT_PAGE,
            Some(text) => match text.parse::<usize>() {
                Ok(limit) if (1..=MAX_AUDIT_PAGE).contains(&limit) => limit,
                _ => {
                    return Err(AppError::invalid(
                        "limit",
                        format!("a whole number from 1 to {MAX_AUDIT_PAGE}"),
                    ));
                }
            },
        };
        let before_id = given(&query.before)
            .map(|text| {
                text.parse::<i64>()
                    .ok()
                    .filter(|id| *id > 0)
                    .ok_or_else(|| AppError::invalid("before", "an entry's id (a positive number)"))
            })
            .transpose()?;
        let entries = self.store.audit_entries(&AuditFilter {
            account,
            actor_id,
            action,
            since,
            until,
            before_id,
            // One more than asked says whether there is a next page.
            limit: limit + 1,
        })?;
        let more = entries.len() > limit;
        let entries: Vec<AuditEntryView> = entries
            .into_iter()
            .take(limit)
            .map(AuditEntryView::from)
            .collect();
        let next_before = more.then(|| entries.last().map(|entry| entry.id)).flatten();
        Ok(AuditPage {
            entries,
            next_before,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(
        id: i64,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> AuditEntryView {
        AuditEntryView {
            id,
            at: Timestamp::parse_rfc3339("2026-01-31T10:00:00Z").unwrap(),
            actor_id: 3,
            actor_name: "<script>x</script> | Dana".into(),
            action: "goal.replace".into(),
            subject_kind: "goal".into(),
            subject_id: "goal-1".into(),
            account: Some("acc-0001".into()),
            before,
            after,
        }
    }

    /// One table row an entry: data escaped (a name cannot break the table
    /// or pass HTML on), the fields a change touched named, creations and
    /// removals said as such, and the next page's flag.
    #[test]
    fn the_markdown_log_escapes_data_and_names_what_changed() {
        let page = AuditPage {
            entries: vec![
                entry(
                    9,
                    Some(json!({"id": "goal-1", "title": "Old", "owner": "Sam"})),
                    Some(
                        json!({"id": "goal-1", "title": "New", "owner": "Sam", "targetDate": "2026-12-31"}),
                    ),
                ),
                entry(8, None, Some(json!({"id": "goal-1"}))),
                entry(7, Some(json!({"id": "goal-1"})), None),
            ],
            next_before: Some(7),
        };
        let text = crate::render::audit(&page).unwrap();
        let rows: Vec<&str> = text
            .lines()
            .filter(|line| {
                line.starts_with("| 9") || line.starts_with("| 8") || line.starts_with("| 7")
            })
            .collect();
        assert_eq!(rows.len(), 3, "{text}");
        assert!(
            rows[0].contains("\\<script\\>x\\</script\\> \\| Dana (#3)"),
            "{}",
            rows[0]
        );
        assert!(rows[0].ends_with("| targetDate, title |"), "{}", rows[0]);
        assert!(
            rows[1].ends_with("| created |") && rows[2].ends_with("| removed |"),
            "{text}"
        );
        assert!(text.contains("`--before 7`"), "{text}");
        let empty = crate::render::audit(&AuditPage {
            entries: vec![],
            next_before: None,
        })
        .unwrap();
        assert!(empty.contains("No change matches."), "{empty}");
    }
}
