//! Alert delivery, the pure part: which webhook subscriptions an alert goes
//! to (per person, per rule, per priority; critical alerts also to the CSM's
//! manager), the JSON each receives (with a Slack-compatible `text`), the
//! retry schedule, and where a webhook may point (`address`: checked when it
//! is added and again at delivery). Sending, signing, sealing secrets and
//! recording live at the edge.

pub mod address;

use serde::{Deserialize, Serialize};

pub use address::{AllowedNetworks, RefusedAddress, check_address, check_url};

use crate::alerts::StoredAlert;
use crate::domain::Account;
use crate::engagement::breakdown::AlertPriority;
use crate::time::Timestamp;
use crate::validation::{FieldError, field_error};

/// A webhook subscription as it is stored and shown. Its signing secret is
/// only ever held sealed (encrypted by the application under a key kept
/// outside the database) and is never serialized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// Assigned by the store; 0 before it is stored.
    #[serde(default)]
    pub id: i64,
    pub url: String,
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
    /// The HMAC-SHA256 key the receiver verifies the signature with, sealed.
    #[serde(skip)]
    pub sealed_secret: SealedSecret,
}

/// A signing secret as the application sealed it: a format byte, a nonce,
/// the ciphertext and its tag. Empty when there is none (yet).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SealedSecret(pub Vec<u8>);

impl std::fmt::Debug for SealedSecret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "SealedSecret({} bytes)", self.0.len())
    }
}

/// What a person asks for when they subscribe a URL (`POST /api/webhooks`,
/// `rapport webhooks add`): the secret in the clear, once.
#[derive(Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscriptionRequest {
    pub url: String,
    /// The HMAC-SHA256 key the receiver verifies the signature with.
    pub secret: String,
    #[serde(default)]
    pub person: Option<String>,
    #[serde(default)]
    pub rule: Option<String>,
    #[serde(default)]
    pub min_priority: Option<AlertPriority>,
}

impl std::fmt::Debug for SubscriptionRequest {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SubscriptionRequest")
            .field("url", &self.url)
            .field("secret", &"[hidden]")
            .field("person", &self.person)
            .field("rule", &self.rule)
            .field("min_priority", &self.min_priority)
            .finish()
    }
}

/// The shortest and longest signing secret accepted.
pub const MIN_SECRET_CHARS: usize = 8;
pub const MAX_SECRET_CHARS: usize = 1_024;

/// Checks a subscription before it is stored: the URL by [`check_url`]
/// (http or https, no credentials, a host, no control characters or spaces,
/// no address that is not public unless `allowed` admits it) and a secret
/// of 8 to 1,024 characters. Returns the subscription to store (its URL as
/// parsed, its secret still to be sealed). The error names the field.
pub fn validate(
    request: &SubscriptionRequest,
    allowed: &AllowedNetworks,
) -> Result<Subscription, FieldError> {
    let url = check_url(&request.url, allowed).map_err(|reason| field_error("url", reason))?;
    let secret = request.secret.trim();
    if secret.chars().count() < MIN_SECRET_CHARS {
        return Err(field_error(
            "secret",
            format!("must be at least {MIN_SECRET_CHARS} characters"),
        ));
    }
    if request.secret.chars().count() > MAX_SECRET_CHARS {
        return Err(field_error(
            "secret",
            format!("must be at most {MAX_SECRET_CHARS} characters"),
        ));
    }
    let optional = |field: &str, text: &Option<String>| -> Result<Option<String>, FieldError> {
        match text.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) if text.chars().count() > 200 => {
                Err(field_error(field, "must be at most 200 characters"))
            }
            Some(text) if text.chars().any(char::is_control) => {
                Err(field_error(field, "must not contain control characters"))
            }
            Some(text) => Ok(Some(text.to_string())),
        }
    };
    Ok(Subscription {
        id: 0,
        url,
        person: optional("person", &request.person)?,
        rule: optional("rule", &request.rule)?,
        min_priority: request.min_priority,
        sealed_secret: SealedSecret::default(),
    })
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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

/// A delivery in the outbox: one alert event for one subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// When it was given up for good (its webhook was removed, or its
    /// receiver's address is one Rapport does not deliver to); `last_error`
    /// says why. A dropped delivery is never sent.
    #[serde(default)]
    pub dropped_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

/// What happened to a delivery at one pass of the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome<'a> {
    /// The receiver answered 2xx.
    Delivered,
    /// An attempt failed (no answer in time, or not 2xx): retried at `retry_at`.
    Failed { error: &'a str, retry_at: Timestamp },
    /// Not attempted: the receiver did not answer an earlier delivery of the
    /// same pass, so this one waits for that one's retry (no attempt counted).
    Postponed { until: Timestamp },
    /// Given up for good, never sent: the webhook is gone, or its address is
    /// not one Rapport delivers to.
    Dropped { reason: &'a str },
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
            url: "https://hooks.example.com/hook".into(),
            person: person.map(str::to_string),
            rule: rule.map(str::to_string),
            min_priority: least,
            sealed_secret: SealedSecret::default(),
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

    fn request(url: &str, secret: &str) -> SubscriptionRequest {
        SubscriptionRequest {
            url: url.into(),
            secret: secret.into(),
            person: Some("  Dana ".into()),
            rule: Some(String::new()),
            min_priority: None,
        }
    }

    #[test]
    fn a_subscription_is_checked_and_named_by_field() {
        let none = AllowedNetworks::none();
        let valid = validate(
            &request("https://Hooks.Example.com/x", "long-enough"),
            &none,
        )
        .unwrap();
        assert_eq!(valid.url, "https://hooks.example.com/x");
        assert_eq!(valid.person.as_deref(), Some("Dana"));
        assert_eq!(valid.rule, None, "an empty rule is every rule");
        assert!(valid.sealed_secret.0.is_empty());
        for (url, secret, field) in [
            (
                "http://169.254.169.254/latest/meta-data/",
                "long-enough",
                "url",
            ),
            ("http://user:pass@10.0.0.1/", "long-enough", "url"),
            ("http://[fe80::1]/", "long-enough", "url"),
            ("http://2852039166/", "long-enough", "url"),
            ("http://", "long-enough", "url"),
            ("http://example.com/\r\nX: 1", "long-enough", "url"),
            ("ftp://x", "long-enough", "url"),
            ("https://hooks.example.com/", "short", "secret"),
            ("https://hooks.example.com/", "        x", "secret"),
        ] {
            let error = validate(&request(url, secret), &none).expect_err(url);
            assert_eq!(error.field, field, "{url}: {error}");
        }
        let long = "x".repeat(MAX_SECRET_CHARS + 1);
        assert_eq!(
            validate(&request("https://hooks.example.com/", &long), &none)
                .unwrap_err()
                .field,
            "secret"
        );
        let mut control = request("https://hooks.example.com/", "long-enough");
        control.person = Some("Dana\u{7}".into());
        assert_eq!(validate(&control, &none).unwrap_err().field, "person");
    }

    #[test]
    fn a_request_never_prints_its_secret() {
        let printed = format!(
            "{:?}",
            request("https://hooks.example.com/", "do-not-print-me")
        );
        assert!(!printed.contains("do-not-print-me"), "{printed}");
        assert_eq!(
            format!("{:?}", SealedSecret(vec![1, 2, 3])),
            "SealedSecret(3 bytes)"
        );
        let shown = serde_json::to_string(&Subscription {
            sealed_secret: SealedSecret(b"sealed".to_vec()),
            ..subscription(None, None, None)
        })
        .unwrap();
        assert!(!shown.to_lowercase().contains("secret"), "{shown}");
    }

    #[test]
    fn retries_back_off_to_an_hour_and_never_stop() {
        let delays: Vec<i64> = (0..10).map(retry_after_seconds).collect();
        assert_eq!(delays, [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]);
        assert_eq!(retry_after_seconds(500), 3600);
    }
}
