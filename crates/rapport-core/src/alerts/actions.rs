//! A person's actions on an alert: acknowledge, snooze until a chosen
//! instant (with the request the API and the CLI parse), and resolve, each
//! with the person's name and the time. A resolution holds the rule while its
//! condition persists (see [`super::reconcile`]). Pure: the instant is a
//! parameter.

use serde::Deserialize;

use super::{Snooze, StoredAlert};
use crate::time::Timestamp;
use crate::validation::{FieldError, field_error, parse_request};

/// Why a person's action on an alert was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertActionError {
    #[error("author: must not be empty")]
    NoAuthor,
    #[error("alert {0} is already resolved")]
    AlreadyResolved(i64),
    /// A field of the request does not fit (`by`, `until`).
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}

/// A person may act on an alert that is not resolved, and must say who they are.
fn may_act(alert: &StoredAlert, author: &str) -> Result<(), AlertActionError> {
    if author.trim().is_empty() {
        return Err(AlertActionError::NoAuthor);
    }
    if alert.resolved_at.is_some() {
        return Err(AlertActionError::AlreadyResolved(alert.id));
    }
    Ok(())
}

/// A person acknowledges an alert (it stays open until resolved).
pub fn acknowledge(
    alert: &StoredAlert,
    author: &str,
    now: Timestamp,
) -> Result<StoredAlert, AlertActionError> {
    may_act(alert, author)?;
    Ok(StoredAlert {
        acknowledged_at: Some(now),
        acknowledged_by: Some(author.trim().to_string()),
        ..alert.clone()
    })
}

/// A person resolves an alert, with an optional note. Its condition fired at
/// the last evaluation, so the resolution holds the rule
/// ([`StoredAlert::awaiting_clear`]) until an evaluation finds it clear; a
/// snooze ends.
pub fn resolve(
    alert: &StoredAlert,
    author: &str,
    note: Option<&str>,
    now: Timestamp,
) -> Result<StoredAlert, AlertActionError> {
    may_act(alert, author)?;
    let mut resolved = StoredAlert {
        resolved_at: Some(now),
        resolved_by: Some(author.trim().to_string()),
        resolution: note.map(str::to_string),
        awaiting_clear: true,
        ..alert.clone()
    };
    resolved.end_snooze(now);
    Ok(resolved)
}

/// The longest snooze a person may choose: a year. Longer is resolving.
pub const MAX_SNOOZE_DAYS: u32 = 365;

/// A person snoozes an unresolved alert until `until` (after `now`, at most
/// [`MAX_SNOOZE_DAYS`] ahead), with an optional reason. Snoozing a snoozed
/// alert replaces its snooze.
pub fn snooze(
    alert: &StoredAlert,
    by: &str,
    until: Timestamp,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<StoredAlert, AlertActionError> {
    if by.trim().is_empty() {
        return Err(AlertActionError::Invalid {
            field: "by",
            reason: "must not be empty".into(),
        });
    }
    if until <= now {
        return Err(AlertActionError::Invalid {
            field: "until",
            reason: format!("{until} is not after now ({now})"),
        });
    }
    if until > now.plus_days(MAX_SNOOZE_DAYS) {
        return Err(AlertActionError::Invalid {
            field: "until",
            reason: format!(
                "{until} is more than {MAX_SNOOZE_DAYS} days ahead; resolve the alert instead"
            ),
        });
    }
    if alert.resolved_at.is_some() {
        return Err(AlertActionError::AlreadyResolved(alert.id));
    }
    Ok(StoredAlert {
        snooze: Some(Snooze {
            until,
            by: by.trim().to_string(),
            at: now,
            reason: reason
                .map(str::trim)
                .filter(|reason| !reason.is_empty())
                .map(str::to_string),
            ended_at: None,
        }),
        ..alert.clone()
    })
}

/// A person's request to snooze an alert, as the API and the CLI give it.
#[derive(Debug, Clone, PartialEq)]
pub struct SnoozeRequest {
    pub until: Timestamp,
    pub reason: Option<String>,
}

/// The body of `POST /api/alerts/{id}/snooze`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnoozeBody {
    until: String,
    #[serde(default)]
    reason: Option<String>,
}

/// Parses `{"until", "reason"?}`; `until` takes an RFC 3339 instant or a
/// date (its first instant, UTC). Who snoozes is the person signed in, never
/// the body's. Errors name the field.
pub fn parse_snooze_request(body: &[u8]) -> Result<SnoozeRequest, FieldError> {
    let raw: SnoozeBody = parse_request(body)?;
    let until = Timestamp::parse_lenient(&raw.until)
        .map_err(|error| field_error("until", error.to_string()))?;
    Ok(SnoozeRequest {
        until,
        reason: raw.reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{AlertStatus, Firing, reconcile};
    use crate::domain::ExternalId;
    use crate::engagement::breakdown::AlertPriority;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    fn firing(rule: &str, message: &str) -> Firing {
        Firing {
            rule: rule.into(),
            priority: AlertPriority::High,
            message: message.into(),
            notify: vec!["csm".into()],
        }
    }

    fn stored(change: &crate::alerts::AlertChange) -> StoredAlert {
        change.alert().clone()
    }

    #[test]
    fn a_snooze_needs_a_name_a_future_instant_within_a_year_and_an_unresolved_alert() {
        let account = ExternalId::parse("a1").unwrap();
        let now = at("2026-03-01T00:00:00Z");
        let mut alert = stored(&reconcile(&account, &[], vec![firing("x.y", "m")], now, false)[0]);
        alert.id = 4;
        let field = |result: Result<StoredAlert, AlertActionError>| match result {
            Err(AlertActionError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(snooze(&alert, " ", now.plus_days(1), None, now)),
            "by"
        );
        assert_eq!(field(snooze(&alert, "dana", now, None, now)), "until");
        assert_eq!(
            field(snooze(&alert, "dana", now.plus_days(366), None, now)),
            "until"
        );
        assert!(snooze(&alert, "dana", now.plus_days(365), Some(" "), now).is_ok());
        let resolved = resolve(&alert, "dana", None, now).unwrap();
        assert_eq!(
            snooze(&resolved, "dana", now.plus_days(1), None, now),
            Err(AlertActionError::AlreadyResolved(4))
        );
        let field_of = |body: &str| parse_snooze_request(body.as_bytes()).unwrap_err().field;
        assert_eq!(field_of(r#"{"reason": "x"}"#), "until");
        assert_eq!(field_of(r#"{"until": "soon"}"#), "until");
        assert_eq!(field_of(r#"{"until": "2026-03-09", "note": "x"}"#), "note");
        // Who snoozes is the person signed in.
        assert_eq!(field_of(r#"{"until": "2026-03-09", "by": "dana"}"#), "by");
        assert_eq!(
            parse_snooze_request(br#"{"until": "2026-03-09"}"#)
                .unwrap()
                .until,
            at("2026-03-09T00:00:00Z")
        );
    }

    /// The store's first evaluation opens what fires as backlog: nothing is
    /// delivered (nor its later resolution), the run summarises it; later
    /// openings are delivered as always.
    #[test]
    fn people_acknowledge_and_resolve_with_name_and_time() {
        let account = ExternalId::parse("a1").unwrap();
        let mut alert = stored(
            &reconcile(
                &account,
                &[],
                vec![firing("health.score_drop", "x")],
                at("2026-03-01T00:00:00Z"),
                false,
            )[0],
        );
        alert.id = 3;
        assert_eq!(
            acknowledge(&alert, " ", at("2026-03-01T02:00:00Z")),
            Err(AlertActionError::NoAuthor)
        );
        let acknowledged = acknowledge(&alert, "dana", at("2026-03-01T02:00:00Z")).unwrap();
        assert_eq!(acknowledged.status(), AlertStatus::Acknowledged);
        assert_eq!(acknowledged.acknowledged_by.as_deref(), Some("dana"));
        let resolved = resolve(
            &acknowledged,
            "lee",
            Some("called the sponsor"),
            at("2026-03-02T09:00:00Z"),
        )
        .unwrap();
        assert_eq!(resolved.status(), AlertStatus::Resolved);
        assert_eq!(
            (
                resolved.resolved_by.as_deref(),
                resolved.resolution.as_deref()
            ),
            (Some("lee"), Some("called the sponsor"))
        );
        assert_eq!(
            resolve(&resolved, "lee", None, at("2026-03-03T00:00:00Z")),
            Err(AlertActionError::AlreadyResolved(3))
        );
    }
}
