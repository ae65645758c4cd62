//! Alert delivery at the edge: the outbox is filled when alerts open or
//! resolve, and a worker POSTs each due delivery to its webhook, signed with
//! HMAC-SHA256 (`X-Rapport-Signature: sha256=<hex of HMAC(secret,
//! "<X-Rapport-Timestamp>.<body>")>`), recording every attempt and retrying
//! with backoff until it is delivered. Routes to manage subscriptions.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hmac::{Hmac, Mac};
use rapport_core::Timestamp;
use rapport_core::alerts::StoredAlert;
use rapport_core::delivery::{
    Delivery, DeliveryEvent, Subscription, matches, payload, retry_after_seconds,
};
use rapport_core::engine::PortfolioState;
use rapport_store::Store;
use serde::Serialize;
use sha2::Sha256;

use crate::goals::parse_body;
use crate::{ApiError, AppState, now_millis};

/// The signature header's value for `body` sent at `timestamp` (Unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts a key of any length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256={hex}")
}

/// Writes what an evaluation changed and puts the deliveries of new alerts
/// and of alerts Rapport resolved in the outbox (the server's hourly run and
/// `rapport alerts evaluate` both end here).
pub fn write_evaluation(
    store: &mut (dyn Store + '_),
    engine: &PortfolioState,
    changed: &[StoredAlert],
    now: Timestamp,
) -> Result<usize, ApiError> {
    let opened: Vec<bool> = changed.iter().map(|alert| alert.id == 0).collect();
    let written = store.write_alerts(changed)?;
    let events: Vec<_> = written
        .into_iter()
        .zip(opened)
        .filter_map(|(alert, opened)| {
            if opened {
                Some((alert, DeliveryEvent::Opened))
            } else if alert.resolved_at == Some(now) {
                Some((alert, DeliveryEvent::Resolved))
            } else {
                None
            }
        })
        .collect();
    enqueue(store, engine, &events, now)
}

/// Puts a delivery in the outbox for every subscription an alert event goes to.
pub(crate) fn enqueue(
    store: &mut (dyn Store + '_),
    engine: &PortfolioState,
    events: &[(StoredAlert, DeliveryEvent)],
    now: Timestamp,
) -> Result<usize, ApiError> {
    if events.is_empty() {
        return Ok(0);
    }
    let subscriptions = store.webhooks()?;
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
    store.enqueue_deliveries(&outbox)?;
    Ok(outbox.len())
}

/// What one pass of the delivery worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryRun {
    pub delivered: usize,
    pub failed: usize,
}

impl AppState {
    /// Sends every delivery due at `now` (at most 100 a pass), recording each
    /// attempt; a failed one is retried later (10 s, doubling, at most hourly),
    /// never dropped.
    pub async fn deliver_due(self: &Arc<Self>, now: Timestamp) -> Result<DeliveryRun, ApiError> {
        let (due, subscriptions) = self
            .with_store(move |store| Ok((store.due_deliveries(now, 100)?, store.webhooks()?)))
            .await?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|error| {
                ApiError::internal(format!("cannot build the HTTP client: {error}"))
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
            self.with_store(move |store| {
                Ok(store.record_delivery_attempt(
                    delivery.id,
                    now,
                    outcome.as_ref().map(|_| ()).map_err(String::as_str),
                    retry_at,
                )?)
            })
            .await?;
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

/// A subscription as the API shows it: the secret is never echoed back.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SubscriptionView {
    #[serde(flatten)]
    subscription: Subscription,
}

impl From<Subscription> for SubscriptionView {
    fn from(mut subscription: Subscription) -> Self {
        subscription.secret = "********".into();
        SubscriptionView { subscription }
    }
}

/// `POST /api/webhooks` `{"url", "secret", "person"?, "rule"?, "minPriority"?}` → 201.
pub(crate) async fn add(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<(StatusCode, Json<SubscriptionView>), ApiError> {
    let mut subscription: Subscription = parse_body(&body, |_| {})?;
    rapport_core::delivery::validate(&subscription).map_err(|error| ApiError::BadRequest {
        parameter: error.field,
        reason: error.reason,
    })?;
    subscription.id = 0;
    let stored = state
        .with_store(move |store| Ok(store.add_webhook(&subscription)?))
        .await?;
    Ok((StatusCode::CREATED, Json(stored.into())))
}

/// `GET /api/webhooks`: the subscriptions in force, secrets hidden.
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
) -> Result<Json<Vec<SubscriptionView>>, ApiError> {
    state
        .with_store(|store| Ok(store.webhooks()?.into_iter().map(Into::into).collect()))
        .await
        .map(Json)
}

/// `DELETE /api/webhooks/{id}`: 204, or 404.
pub(crate) async fn remove(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let now = Timestamp::from_millis(now_millis());
    state
        .with_store(move |store| {
            if store.remove_webhook(id, now)? {
                Ok(StatusCode::NO_CONTENT)
            } else {
                Err(ApiError::NotFound(format!("no webhook with id {id}")))
            }
        })
        .await
}

/// `GET /api/alerts/{id}/deliveries`: every delivery of an alert and its attempts.
pub(crate) async fn of_alert(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    state
        .with_store(move |store| Ok(store.deliveries(Some(id))?))
        .await
        .map(Json)
}
