//! Webhook subscriptions and the delivery of alert events to them: the
//! outbox rows an alert event makes, the subscriptions (added with their
//! URL checked and their secret sealed, listed without it, removed with
//! their waiting deliveries), an alert's deliveries, and the worker that
//! sends what is due: each webhook's deliveries in order, different
//! webhooks at once, each request within a timeout, signed with HMAC-SHA256
//! (`X-Rapport-Signature: sha256=<hex of HMAC(secret, "<X-Rapport-Timestamp>.<body>")>`).

mod secrets;
mod sending;

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use hmac::{Hmac, Mac};
use rapport_core::Timestamp;
use rapport_core::access::Person;
use rapport_core::alerts::StoredAlert;
use rapport_core::alerts::delivery::address::without_credentials;
use rapport_core::alerts::delivery::{
    AllowedNetworks, Delivery, DeliveryEvent, DeliveryOutcome, Subscription, SubscriptionRequest,
    matches, payload, retry_after_seconds,
};
use rapport_core::engine::PortfolioState;
use serde::Serialize;
use sha2::Sha256;

pub use secrets::{SecretKey, SecretKeySource};
pub use sending::{AddressRefused, check_resolved};

use rapport_store::audit::{AuditAction, AuditDraft};

use crate::{App, AppError, AppResult, lock};

/// How long a receiver has to answer one delivery, unless configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// At most this many receivers are sent to at once by one pass.
const RECEIVERS_AT_ONCE: usize = 16;

/// At most this many deliveries are taken by one pass.
const DELIVERIES_PER_PASS: usize = 100;

/// Why the deliveries of a removed webhook are dropped.
const REMOVED: &str = "the webhook was removed";

/// How a deployment delivers to webhooks.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Networks webhooks may reach although their addresses are not public
    /// (`[webhooks] allowed_networks`).
    pub allowed_networks: AllowedNetworks,
    /// Where the key sealing signing secrets comes from.
    pub secret_key: SecretKeySource,
    /// How long a receiver has to answer one delivery.
    pub timeout: Duration,
}

impl Default for WebhookConfig {
    /// Public addresses only, a key for this process only, 10 s.
    fn default() -> Self {
        WebhookConfig {
            allowed_networks: AllowedNetworks::none(),
            secret_key: SecretKeySource::Ephemeral,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// What the application keeps for webhooks between calls.
pub(crate) struct WebhookState {
    sealer: secrets::Sealer,
    client: std::sync::OnceLock<reqwest::Client>,
    /// Webhooks a pass of the worker is sending to: another pass leaves
    /// them alone, so a slow receiver holds up only its own deliveries.
    busy: Mutex<HashSet<i64>>,
    /// Whether the secrets stored in plain text before were sealed.
    plain_sealed: AtomicBool,
}

impl WebhookState {
    pub(crate) fn new(config: &WebhookConfig) -> Self {
        WebhookState {
            sealer: secrets::Sealer::new(config.secret_key.clone()),
            client: std::sync::OnceLock::new(),
            busy: Mutex::new(HashSet::new()),
            plain_sealed: AtomicBool::new(false),
        }
    }
}

/// A webhook a pass is sending to, until it is dropped.
struct Claim<'a> {
    busy: &'a Mutex<HashSet<i64>>,
    webhook: i64,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        lock(self.busy).remove(&self.webhook);
    }
}

/// What one pass of the delivery worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryRun {
    /// Answered 2xx.
    pub delivered: usize,
    /// Attempted and failed (no answer in time, or not 2xx): retried later.
    pub failed: usize,
    /// Not attempted because their receiver did not answer an earlier one
    /// of the pass: they wait for its retry.
    pub postponed: usize,
    /// Given up for good: the webhook was removed, or its address is not
    /// one a webhook may reach.
    pub dropped: usize,
}

impl std::ops::AddAssign for DeliveryRun {
    fn add_assign(&mut self, other: Self) {
        self.delivered += other.delivered;
        self.failed += other.failed;
        self.postponed += other.postponed;
        self.dropped += other.dropped;
    }
}

/// A subscription as it is shown: never its secret, only that it has one,
/// and never credentials in its URL (a URL stored before they were refused).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionView {
    #[serde(flatten)]
    pub subscription: Subscription,
    /// `"set"`: the secret is kept sealed and never shown back.
    pub secret: &'static str,
}

impl From<Subscription> for SubscriptionView {
    fn from(mut subscription: Subscription) -> Self {
        subscription.url = without_credentials(&subscription.url);
        subscription.sealed_secret = Default::default();
        SubscriptionView {
            subscription,
            secret: "set",
        }
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
                dropped_at: None,
                last_error: None,
            });
        }
    }
    outbox
}

impl App {
    /// Adds a webhook subscription: its URL checked against the allowed
    /// networks, its secret sealed; its id is assigned. 400 naming `url`,
    /// `secret`, `person` or `rule`.
    pub fn add_webhook(
        &self,
        actor: &Person,
        request: &SubscriptionRequest,
        now: Timestamp,
    ) -> AppResult<SubscriptionView> {
        let mut subscription = rapport_core::alerts::delivery::validate(
            request,
            &self.config.webhooks.allowed_networks,
        )?;
        self.seal_plain_webhook_secrets()?;
        subscription.sealed_secret = self.webhooks.sealer.seal(&request.secret)?;
        let audit = AuditDraft::new(actor, AuditAction::WebhookAdd, now);
        Ok(self.store.add_webhook(&subscription, &audit)?.into())
    }

    /// The subscriptions in force, secrets hidden.
    pub fn webhooks(&self) -> AppResult<Vec<SubscriptionView>> {
        self.seal_plain_webhook_secrets()?;
        Ok(self.store.webhooks()?.into_iter().map(Into::into).collect())
    }

    /// Ends a subscription and drops its deliveries still waiting (one
    /// transaction); its past deliveries stay.
    pub fn remove_webhook(&self, actor: &Person, id: i64, now: Timestamp) -> AppResult<()> {
        let audit = AuditDraft::new(actor, AuditAction::WebhookRemove, now);
        if self.store.remove_webhook(id, now, &audit)? {
            Ok(())
        } else {
            Err(AppError::NotFound(format!("no webhook with id {id}")))
        }
    }

    /// Every delivery of an alert with its attempts, for a person who may
    /// see the alert's account.
    pub fn deliveries(&self, person: &Person, alert_id: i64) -> AppResult<Vec<Delivery>> {
        self.visible_alert(person, alert_id)?;
        Ok(self.store.deliveries(Some(alert_id))?)
    }

    /// Seals the signing secrets a store kept in plain text before they were
    /// sealed (once per process; the store answers at once after that).
    /// Returns how many subscriptions changed.
    pub fn seal_plain_webhook_secrets(&self) -> AppResult<usize> {
        if self.webhooks.plain_sealed.load(Ordering::Acquire) {
            return Ok(0);
        }
        let mut failure = None;
        let changed = self
            .store
            .seal_plain_webhook_secrets(&mut |plain| match self.webhooks.sealer.seal(plain) {
                Ok(sealed) => Some(sealed),
                Err(error) => {
                    failure = Some(error);
                    None
                }
            })?;
        if let Some(error) = failure {
            return Err(error);
        }
        if changed > 0 {
            tracing::info!(
                "sealed the signing secrets of {changed} webhooks stored in plain text by an earlier version"
            );
        }
        self.webhooks.plain_sealed.store(true, Ordering::Release);
        Ok(changed)
    }

    fn delivery_client(&self) -> AppResult<&reqwest::Client> {
        if let Some(client) = self.webhooks.client.get() {
            return Ok(client);
        }
        let config = &self.config.webhooks;
        let client = sending::client(&config.allowed_networks, config.timeout)?;
        Ok(self.webhooks.client.get_or_init(|| client))
    }

    /// Sends the deliveries due at `now` (at most 100 a pass) and records
    /// what became of each. Each webhook's deliveries go in order; different
    /// webhooks are sent to at once (16 at a time), each request within the
    /// timeout, so a slow receiver delays only its own deliveries. Webhooks
    /// another pass is still sending to are left to it. A failed attempt is
    /// retried later (10 s, doubling, at most hourly); a receiver that did
    /// not answer is sent nothing more this pass (the rest wait for that
    /// retry). A delivery whose webhook is gone, or whose URL or resolved
    /// address is not one a webhook may reach, is dropped, never sent.
    /// The store calls are short and blocking.
    pub async fn deliver_due(&self, now: Timestamp) -> AppResult<DeliveryRun> {
        self.seal_plain_webhook_secrets()?;
        // Reading what is due and claiming its webhooks under one lock: a
        // pass never reads a delivery another pass of this process is about
        // to record.
        let due = {
            let mut busy = lock(&self.webhooks.busy);
            let skip: Vec<i64> = busy.iter().copied().collect();
            let due = self.store.due_deliveries(now, DELIVERIES_PER_PASS, &skip)?;
            busy.extend(due.iter().map(|delivery| delivery.webhook_id));
            due
        };
        let mut by_webhook: BTreeMap<i64, (Claim<'_>, Vec<Delivery>)> = BTreeMap::new();
        for delivery in due {
            by_webhook
                .entry(delivery.webhook_id)
                .or_insert_with(|| {
                    let claim = Claim {
                        busy: &self.webhooks.busy,
                        webhook: delivery.webhook_id,
                    };
                    (claim, Vec::new())
                })
                .1
                .push(delivery);
        }
        if by_webhook.is_empty() {
            return Ok(DeliveryRun::default());
        }
        let mut subscriptions: BTreeMap<i64, Subscription> = self
            .store
            .webhooks()?
            .into_iter()
            .map(|subscription| (subscription.id, subscription))
            .collect();
        let mut run = DeliveryRun::default();
        let mut groups = Vec::new();
        for (webhook, (claim, deliveries)) in by_webhook {
            let Some(subscription) = subscriptions.remove(&webhook) else {
                // Removed since the deliveries were read (removing drops them too).
                for delivery in &deliveries {
                    self.store.record_delivery(
                        delivery.id,
                        now,
                        DeliveryOutcome::Dropped { reason: REMOVED },
                    )?;
                    run.dropped += 1;
                }
                continue;
            };
            groups.push((claim, subscription, deliveries));
        }
        let client = self.delivery_client()?;
        // The futures made first, then run: a stream holding the closure
        // is not seen to be `Send` for every lifetime of the claims.
        let sends: Vec<_> = groups
            .into_iter()
            .map(|(claim, subscription, deliveries)| async move {
                let run = self
                    .deliver_to(client, &subscription, &deliveries, now)
                    .await;
                drop(claim);
                run
            })
            .collect();
        let runs: Vec<AppResult<DeliveryRun>> = futures_util::stream::iter(sends)
            .buffer_unordered(RECEIVERS_AT_ONCE)
            .collect()
            .await;
        for group in runs {
            run += group?;
        }
        Ok(run)
    }

    /// Sends one webhook's due deliveries, in order.
    async fn deliver_to(
        &self,
        client: &reqwest::Client,
        subscription: &Subscription,
        deliveries: &[Delivery],
        now: Timestamp,
    ) -> AppResult<DeliveryRun> {
        let config = &self.config.webhooks;
        let mut run = DeliveryRun::default();
        let secret = self.webhooks.sealer.open(&subscription.sealed_secret);
        // Once the receiver did not answer, the rest of the pass waits for
        // that retry; once its address was refused, the rest is dropped too.
        let mut waiting_until = None;
        let mut refused: Option<String> = None;
        for delivery in deliveries {
            let retry_at = Timestamp::from_millis(
                now.millis() + retry_after_seconds(delivery.attempts) * 1000,
            );
            if let Some(reason) = &refused {
                self.store.record_delivery(
                    delivery.id,
                    now,
                    DeliveryOutcome::Dropped { reason },
                )?;
                run.dropped += 1;
                continue;
            }
            if let Some(until) = waiting_until {
                self.store.record_delivery(
                    delivery.id,
                    now,
                    DeliveryOutcome::Postponed { until },
                )?;
                run.postponed += 1;
                continue;
            }
            let sent = match &secret {
                Ok(secret) => {
                    sending::send(
                        client,
                        &config.allowed_networks,
                        config.timeout,
                        subscription,
                        secret,
                        delivery,
                        now,
                    )
                    .await
                }
                // Perhaps a key that will be put back: tried again later.
                Err(reason) => sending::Sent::Answered(reason.clone()),
            };
            match sent {
                sending::Sent::Delivered => {
                    self.store
                        .record_delivery(delivery.id, now, DeliveryOutcome::Delivered)?;
                    run.delivered += 1;
                }
                sending::Sent::Answered(error) => {
                    self.record_failure(delivery, now, &error, retry_at)?;
                    run.failed += 1;
                }
                sending::Sent::NoAnswer(error) => {
                    self.record_failure(delivery, now, &error, retry_at)?;
                    run.failed += 1;
                    waiting_until = Some(retry_at);
                }
                sending::Sent::Refused(reason) => {
                    tracing::warn!(
                        "delivery {} to webhook {} dropped: {reason}",
                        delivery.id,
                        subscription.id
                    );
                    self.store.record_delivery(
                        delivery.id,
                        now,
                        DeliveryOutcome::Dropped { reason: &reason },
                    )?;
                    run.dropped += 1;
                    refused = Some(reason);
                }
            }
        }
        Ok(run)
    }

    fn record_failure(
        &self,
        delivery: &Delivery,
        now: Timestamp,
        error: &str,
        retry_at: Timestamp,
    ) -> AppResult<()> {
        tracing::warn!(
            "delivery {} to webhook {}: {error}",
            delivery.id,
            delivery.webhook_id
        );
        Ok(self.store.record_delivery(
            delivery.id,
            now,
            DeliveryOutcome::Failed { error, retry_at },
        )?)
    }
}
