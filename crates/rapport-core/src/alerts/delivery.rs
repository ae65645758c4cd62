//! Alert delivery, the pure part: which webhook subscriptions an alert goes
//! to (per person, per rule, per priority; critical alerts also to the CSM's
//! manager), the JSON each receives (with a Slack-compatible `text`), and the
//! retry schedule. Sending, signing and recording live at the edge.

use serde::{Deserialize, Serialize};

use crate::alerts::StoredAlert;
use crate::domain::Account;
use crate::engagement::breakdown::AlertPriority;
use crate::time::Timestamp;

/// A webhook subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// Assigned by the store; 0 before it is stored.
    #[serde(default)]
    pub id: i64,
    pub url: String,
    /// The HMAC-SHA256 key the receiver verifies the signature with.
    pub secret: String,
    /// Only alerts of this person's accounts (as CSM, or as manager for
    /// critical alerts); every account when absent.
    #[serde(default)]
    pub person: Option<String>,
    /// Only this rule (`engagement.score_drop`) or rule family (`health.`).
    #[serde(default)]
    pub rule: Option<String>,
    /// Only alerts at least this urgent (critical > high > medium).
    #[serde(default)]
    pub min_priority: Option<AlertPriority>,
}

/// Checks a subscription before it is stored: an http(s) URL and a secret of
/// at least 8 characters. The error names the field.
pub fn validate(subscription: &Subscription) -> Result<(), crate::validation::FieldError> {
    let error = |field: &str, reason: &str| crate::validation::FieldError {
        field: field.into(),
        reason: reason.into(),
    };
    if !(subscription.url.starts_with("http://") || subscription.url.starts_with("https://")) {
        return Err(error("url", "must be an http:// or https:// URL"));
    }
    if subscription.secret.trim().len() < 8 {
        return Err(error("secret", "must be at least 8 characters"));
    }
    Ok(())
}

/// Whether an alert of `account` goes to `subscription`.
pub fn matches(subscription: &Subscription, alert: &StoredAlert, account: &Account) -> bool {
    let rule = subscription.rule.as_deref().is_none_or(|rule| {
        alert.rule == rule || (rule.ends_with('.') && alert.rule.starts_with(rule))
    });
    // Priorities are ordered most urgent first (critical < high < medium).
    let priority = subscription
        .min_priority
        .is_none_or(|least| alert.priority <= least);
    let person = subscription.person.as_deref().is_none_or(|person| {
        let same = |name: &str| name.trim().eq_ignore_ascii_case(person.trim());
        same(&account.csm)
            || (alert.priority == AlertPriority::Critical
                && account.manager.as_deref().is_some_and(same))
    });
    rule && priority && person
}

/// What a delivery tells the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryEvent {
    Opened,
    Resolved,
}

/// The JSON a webhook receives: the alert, its account, and a `text` a Slack
/// incoming webhook shows as it is.
pub fn payload(
    alert: &StoredAlert,
    account: &Account,
    event: DeliveryEvent,
    sent_at: Timestamp,
) -> serde_json::Value {
    let mark = match alert.priority {
        AlertPriority::Critical => "🔴",
        AlertPriority::High => "🟠",
        AlertPriority::Medium => "🟡",
    };
    let priority = serde_json::to_value(alert.priority)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_default();
    // An alert delivered again because a person's snooze ended says so.
    let snoozed = match &alert.snooze {
        Some(snooze) if snooze.ended_at.is_some() => {
            format!("; snoozed by {} until {}", snooze.by, snooze.until)
        }
        _ => String::new(),
    };
    let text = match event {
        DeliveryEvent::Opened => format!(
            "{mark} [{priority}] {}: {} ({}; CSM {}{snoozed})",
            account.name, alert.message, alert.rule, account.csm
        ),
        DeliveryEvent::Resolved => format!(
            "✅ Resolved: {}: {} ({})",
            account.name, alert.message, alert.rule
        ),
    };
    serde_json::json!({
        "text": text,
        "event": event,
        "sentAt": sent_at,
        "alert": alert,
        "account": {
            "customerId": account.customer_id(),
            "externalId": account.external_id,
            "name": account.name,
            "tier": account.tier,
            "arr": account.arr,
            "csm": account.csm,
            "manager": account.manager,
        },
    })
}

/// Seconds to wait before attempt `attempts + 1` after `attempts` failures:
/// 10 s, 20 s, 40 s … doubling, at most an hour. Deliveries are never given
/// up: a receiver that is down for a while gets every alert when it is back.
pub fn retry_after_seconds(attempts: u32) -> i64 {
    10i64.saturating_mul(1i64 << attempts.min(20)).min(3_600)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountStatus, ExternalId, Tier};

    fn account() -> Account {
        Account {
            external_id: ExternalId::parse("acme").unwrap(),
            name: "Acme Corp".into(),
            tier: Tier::Strategic,
            arr: 150_000.0,
            seats: None,
            csm: "Dana".into(),
            status: AccountStatus::Active,
            contract_start: None,
            renewal_date: None,
            industry: String::new(),
            manager: Some("Morgan".into()),
            at_risk_override: false,
        }
    }

    fn alert(rule: &str, priority: AlertPriority) -> StoredAlert {
        let at = Timestamp::parse_rfc3339("2026-03-01T00:00:00Z").unwrap();
        StoredAlert {
            id: 1,
            account: ExternalId::parse("acme").unwrap(),
            rule: rule.into(),
            priority,
            message: "Engagement score 42 is below 50".into(),
            notify: vec!["csm".into(), "manager".into()],
            opened_at: at,
            last_seen_at: at,
            acknowledged_at: None,
            acknowledged_by: None,
            resolved_at: None,
            resolved_by: None,
            resolution: None,
            snooze: None,
            awaiting_clear: false,
            condition_cleared_at: None,
            backlog: false,
        }
    }

    fn subscription(
        person: Option<&str>,
        rule: Option<&str>,
        least: Option<AlertPriority>,
    ) -> Subscription {
        Subscription {
            id: 1,
            url: "http://127.0.0.1/hook".into(),
            secret: "s".into(),
            person: person.map(str::to_string),
            rule: rule.map(str::to_string),
            min_priority: least,
        }
    }

    #[test]
    fn subscriptions_by_person_rule_and_priority_and_the_manager_for_critical() {
        let critical = alert("engagement.overall_below", AlertPriority::Critical);
        let medium = alert("health.component_red", AlertPriority::Medium);
        let account = account();
        assert!(matches(&subscription(None, None, None), &medium, &account));
        assert!(matches(
            &subscription(Some("dana"), None, None),
            &medium,
            &account
        ));
        assert!(!matches(
            &subscription(Some("lee"), None, None),
            &medium,
            &account
        ));
        // The manager hears of critical alerts only.
        assert!(matches(
            &subscription(Some("Morgan"), None, None),
            &critical,
            &account
        ));
        assert!(!matches(
            &subscription(Some("Morgan"), None, None),
            &medium,
            &account
        ));
        assert!(matches(
            &subscription(None, Some("health."), None),
            &medium,
            &account
        ));
        assert!(!matches(
            &subscription(None, Some("health."), None),
            &critical,
            &account
        ));
        assert!(matches(
            &subscription(None, Some("engagement.overall_below"), None),
            &critical,
            &account
        ));
        assert!(!matches(
            &subscription(None, None, Some(AlertPriority::High)),
            &medium,
            &account
        ));
        assert!(matches(
            &subscription(None, None, Some(AlertPriority::High)),
            &critical,
            &account
        ));
    }

    #[test]
    fn the_payload_has_a_slack_text_and_the_alert() {
        let at = Timestamp::parse_rfc3339("2026-03-01T00:05:00Z").unwrap();
        let body = payload(
            &alert("engagement.overall_below", AlertPriority::Critical),
            &account(),
            DeliveryEvent::Opened,
            at,
        );
        assert_eq!(
            body["text"],
            "🔴 [critical] Acme Corp: Engagement score 42 is below 50 (engagement.overall_below; CSM Dana)"
        );
        assert_eq!(body["event"], "opened");
        assert_eq!(body["account"]["manager"], "Morgan");
        assert_eq!(body["alert"]["rule"], "engagement.overall_below");
        let mut snoozed = alert("engagement.overall_below", AlertPriority::Critical);
        snoozed.snooze = Some(crate::alerts::Snooze {
            until: Timestamp::parse_rfc3339("2026-03-04T00:00:00Z").unwrap(),
            by: "Lee".into(),
            at,
            reason: None,
            ended_at: Some(at),
        });
        assert_eq!(
            payload(&snoozed, &account(), DeliveryEvent::Opened, at)["text"],
            "🔴 [critical] Acme Corp: Engagement score 42 is below 50 (engagement.overall_below; CSM Dana; snoozed by Lee until 2026-03-04T00:00:00Z)"
        );
    }

    #[test]
    fn retries_back_off_to_an_hour_and_never_stop() {
        let delays: Vec<i64> = (0..10).map(retry_after_seconds).collect();
        assert_eq!(delays, [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]);
        assert_eq!(retry_after_seconds(500), 3600);
    }
}

/// A delivery waiting in the outbox: one alert event for one subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// Assigned by the store; 0 before it is stored.
    pub id: i64,
    pub alert_id: i64,
    pub webhook_id: i64,
    pub event: DeliveryEvent,
    /// The JSON body, exactly as it is signed and sent.
    pub payload: String,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
    pub last_error: Option<String>,
}
