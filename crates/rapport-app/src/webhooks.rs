//! Webhook subscriptions and the delivery of alert events to them: the
//! outbox rows an alert event makes, the subscriptions (add, list with secrets
//! hidden, remove), an alert's deliveries, and the worker that sends what is
//! due, signed with HMAC-SHA256
//! (`X-Rapport-Signature: sha256=<hex of HMAC(secret, "<X-Rapport-Timestamp>.<body>")>`).

use std::time::Duration;

use hmac::{Hmac, Mac};
use rapport_core::Timestamp;
use rapport_core::alerts::StoredAlert;
use rapport_core::alerts::delivery::{
    Delivery, DeliveryEvent, Subscription, matches, payload, retry_after_seconds,
};
use rapport_core::engine::PortfolioState;
use serde::Serialize;
use sha2::Sha256;

use crate::{App, AppError, AppResult};

/// What one pass of the delivery worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryRun {
    pub delivered: usize,
    pub failed: usize,
}

/// A subscription as it is shown: the secret is never shown back.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionView {
    #[serde(flatten)]
    pub subscription: Subscription,
}

impl From<Subscription> for SubscriptionView {
    fn from(mut subscription: Subscription) -> Self {
        subscription.secret = "********".into();
        SubscriptionView { subscription }
    }
}

/// The signature header's value for `body` sent at `timestamp` (Unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts a key of any length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256={hex}")
}

/// The outbox rows of alert events: one per subscription each goes to.
pub(crate) fn outbox(
    engine: &PortfolioState,
    subscriptions: &[Subscription],
    events: &[(StoredAlert, DeliveryEvent)],
    now: Timestamp,
) -> Vec<Delivery> {
    let mut outbox = Vec::new();
    for (alert, event) in events {
        let Some(account) = engine
            .account(alert.account.as_str())
            .and_then(|state| state.account())
        else {
            continue;
        };
        for subscription in subscriptions
            .iter()
            .filter(|subscription| matches(subscription, alert, account))
        {
            outbox.push(Delivery {
                id: 0,
                alert_id: alert.id,
                webhook_id: subscription.id,
                event: *event,
                payload: payload(alert, account, *event, now).to_string(),
                attempts: 0,
                next_attempt_at: now,
                delivered_at: None,
                last_error: None,
            });
        }
    }
    outbox
}

impl App {
    /// Adds a webhook subscription (validated; its id is assigned).
    pub fn add_webhook(&self, subscription: Subscription) -> AppResult<SubscriptionView> {
        rapport_core::alerts::delivery::validate(&subscription)?;
        let mut subscription = subscription;
        subscription.id = 0;
        Ok(self.store.add_webhook(&subscription)?.into())
    }

    /// The subscriptions in force, secrets hidden.
    pub fn webhooks(&self) -> AppResult<Vec<SubscriptionView>> {
        Ok(self.store.webhooks()?.into_iter().map(Into::into).collect())
    }

    /// Ends a subscription; its past deliveries stay.
    pub fn remove_webhook(&self, id: i64, now: Timestamp) -> AppResult<()> {
        if self.store.remove_webhook(id, now)? {
            Ok(())
        } else {
            Err(AppError::NotFound(format!("no webhook with id {id}")))
        }
    }

    /// Every delivery of an alert with its attempts.
    pub fn deliveries(&self, alert_id: i64) -> AppResult<Vec<Delivery>> {
        if self.store.alert(alert_id)?.is_none() {
            return Err(AppError::NotFound(format!("no alert with id {alert_id}")));
        }
        Ok(self.store.deliveries(Some(alert_id))?)
    }

    /// Sends every delivery due at `now` (at most 100 a pass), recording each
    /// attempt; a failed one is retried later (10 s, doubling, at most
    /// hourly), never dropped. The store calls are short and blocking.
    pub async fn deliver_due(&self, now: Timestamp) -> AppResult<DeliveryRun> {
        let due = self.store.due_deliveries(now, 100)?;
        if due.is_empty() {
            return Ok(DeliveryRun::default());
        }
        let subscriptions = self.store.webhooks()?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|error| {
                AppError::External(format!("cannot build the HTTP client: {error}"))
            })?;
        let mut run = DeliveryRun::default();
        for delivery in due {
            let outcome = match subscriptions.iter().find(|s| s.id == delivery.webhook_id) {
                Some(subscription) => send(&client, subscription, &delivery, now).await,
                None => Err("the webhook subscription was removed".to_string()),
            };
            match &outcome {
                Ok(()) => run.delivered += 1,
                Err(error) => {
                    run.failed += 1;
                    tracing::warn!(
                        "delivery {} to webhook {}: {error}",
                        delivery.id,
                        delivery.webhook_id
                    );
                }
            }
            let retry_at = Timestamp::from_millis(
                now.millis() + retry_after_seconds(delivery.attempts) * 1000,
            );
            self.store.record_delivery_attempt(
                delivery.id,
                now,
                outcome.as_ref().map(|_| ()).map_err(String::as_str),
                retry_at,
            )?;
        }
        Ok(run)
    }
}

async fn send(
    client: &reqwest::Client,
    subscription: &Subscription,
    delivery: &Delivery,
    now: Timestamp,
) -> Result<(), String> {
    let timestamp = now.millis().div_euclid(1000);
    let response = client
        .post(&subscription.url)
        .header("content-type", "application/json")
        .header("x-rapport-delivery", delivery.id.to_string())
        .header("x-rapport-timestamp", timestamp.to_string())
        .header(
            "x-rapport-signature",
            signature(&subscription.secret, timestamp, &delivery.payload),
        )
        .body(delivery.payload.clone())
        .send()
        .await
        .map_err(|error| format!("cannot reach {}: {error}", subscription.url))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!(
            "{} answered {}",
            subscription.url,
            response.status()
        ))
    }
}
