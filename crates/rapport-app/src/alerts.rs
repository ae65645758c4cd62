//! Alerts: evaluating the rules (one write transaction that sees the alerts
//! in force as stored, so two evaluations never race; the store's first
//! evaluation opens a backlog that is summarised, not delivered), the alert
//! list, a person's acknowledge, snooze and resolve. What an evaluation or a
//! resolution delivers goes to the outbox of `crate::webhooks`.

use std::collections::BTreeSet;

use rapport_core::access::{Permission, Person};
use rapport_core::alerts::delivery::DeliveryEvent;
use rapport_core::alerts::{
    AlertActionError, AlertChange, AlertRun, AlertStatus, SnoozeRequest, StatusFilter, StoredAlert,
    firing_of, reconcile_portfolio,
};
use rapport_core::engagement::breakdown::AlertPriority;
use rapport_core::{ExternalId, Timestamp};
use serde::Serialize;

use rapport_store::audit::{AuditAction, AuditDraft};

use crate::webhooks::outbox;
use crate::{App, AppError, AppResult};

/// Which alerts a list shows.
#[derive(Debug, Clone, Default)]
pub struct AlertQuery {
    /// `open`, `acknowledged`, `resolved`, `unresolved` (default) or `all`.
    pub status: Option<String>,
    /// An account reference.
    pub account: Option<String>,
    /// A CSM's name (case-insensitive).
    pub csm: Option<String>,
    /// The lowest priority listed: `medium` (every alert), `high`, or
    /// `critical` (refusals name `priority`).
    pub priority: Option<String>,
    /// Only alerts of this rule (`score_drop`).
    pub rule: Option<String>,
}

/// An alert with the account it is about, as every surface lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertView {
    #[serde(flatten)]
    pub alert: StoredAlert,
    pub status: AlertStatus,
    pub account_name: String,
    pub csm: String,
    pub manager: Option<String>,
}

/// Accounts evaluated under one hold of the engine's read lock.
const EVALUATED_PER_LOCK: usize = 100;

fn action_error(error: AlertActionError) -> AppError {
    match error {
        AlertActionError::NoAuthor => AppError::invalid("author", "must not be empty"),
        AlertActionError::AlreadyResolved(id) => {
            AppError::Conflict(format!("alert {id} is already resolved"))
        }
        AlertActionError::Invalid { field, reason } => AppError::invalid(field, reason),
    }
}

impl App {
    /// Evaluates the alert rules of every active account (or one) at `now`:
    /// opens new alerts, marks those still firing (a snoozed one whose
    /// snooze is over is open again), resolves those whose condition cleared
    /// and the alerts of churned accounts, lets a person's resolution go once
    /// its condition cleared, and puts the deliveries of what opened and what
    /// Rapport resolved in the outbox. The store's first evaluation delivers
    /// nothing: what it opens is the backlog, summarised in the run.
    pub fn evaluate_alerts(
        &self,
        only: Option<&ExternalId>,
        now: Timestamp,
    ) -> AppResult<AlertRun> {
        let only: Option<BTreeSet<ExternalId>> = only.map(|account| [account.clone()].into());
        self.evaluate_alerts_of(only.as_ref(), now)
    }

    /// [`App::evaluate_alerts`] for a set of accounts (or all).
    pub fn evaluate_alerts_of(
        &self,
        only: Option<&BTreeSet<ExternalId>>,
        now: Timestamp,
    ) -> AppResult<AlertRun> {
        if only.is_some_and(BTreeSet::is_empty) {
            return Ok(AlertRun::default());
        }
        // The rules are evaluated from the engine outside the store's write
        // transaction (it can take a second for a whole portfolio); only the
        // reconciliation with the alerts as stored runs inside it, so other
        // writers wait milliseconds, not the evaluation.
        // In chunks, each under the engine's read lock on its own, so the
        // follower (and the readers queued behind it) never waits for a
        // whole portfolio's evaluation.
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
        let mut firing = Vec::with_capacity(accounts.len());
        let models = self.models();
        for chunk in accounts.chunks(EVALUATED_PER_LOCK) {
            let engine = self.read()?;
            let states: Vec<_> = chunk
                .iter()
                .filter_map(|account| engine.state.account(account.as_str()))
                .collect();
            firing.extend(firing_of(
                &models.engagement,
                &models.health,
                &engine.state,
                &states,
                now,
            ));
        }
        if firing.is_empty() {
            // No account to evaluate (an empty store): not an evaluation, so
            // the first one is still to come.
            return Ok(AlertRun::default());
        }
        let mut run = AlertRun::default();
        let mut deliveries = Vec::new();
        let single = only
            .filter(|accounts| accounts.len() == 1)
            .and_then(|accounts| accounts.first());
        let written = self.store.reconcile_alerts(single, now, &mut |in_force| {
            let first = in_force.first_evaluated_at.is_none();
            let (changes, evaluated) = reconcile_portfolio(&firing, &in_force.alerts, now, first);
            run = evaluated;
            deliveries = changes.iter().map(AlertChange::delivery).collect();
            changes
                .iter()
                .map(|change| change.alert().clone())
                .collect()
        })?;
        let events: Vec<(StoredAlert, DeliveryEvent)> = written
            .into_iter()
            .zip(deliveries)
            .filter_map(|(alert, event)| Some((alert, event?)))
            .collect();
        if !events.is_empty() {
            let subscriptions = self.store.webhooks()?;
            let engine = self.read()?;
            self.store
                .enqueue_deliveries(&outbox(&engine.state, &subscriptions, &events, now))?;
        }
        // The playbooks' plays become tasks with the same evaluation (docs/tasks.md).
        self.sync_playbook_tasks(only, now)?;
        Ok(run)
    }

    /// Alerts, oldest first, with their accounts.
    pub fn alerts(&self, person: &Person, query: &AlertQuery) -> AppResult<Vec<AlertView>> {
        let wanted = StatusFilter::parse(query.status.as_deref().unwrap_or("").trim())
            .map_err(|reason| AppError::invalid("status", reason))?;
        let lowest = match query.priority.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                serde_json::from_value::<AlertPriority>(serde_json::Value::String(text.into()))
                    .map_err(|_| {
                        AppError::invalid(
                            "priority",
                            format!("`{text}` is not critical, high or medium"),
                        )
                    })?,
            ),
        };
        let rule = query
            .rule
            .as_deref()
            .map(str::trim)
            .filter(|rule| !rule.is_empty());
        let only = match query.account.as_deref().map(str::trim) {
            Some(reference) if !reference.is_empty() => {
                Some(self.visible_account(person, reference)?)
            }
            _ => None,
        };
        self.check_csm(query.csm.as_deref())?;
        let csm = query
            .csm
            .as_deref()
            .map(str::trim)
            .filter(|csm| !csm.is_empty());
        let alerts = self.store.alerts(
            only.as_ref().map(|account| &account.external_id),
            wanted.unresolved_only(),
        )?;
        let engine = self.read()?;
        Ok(alerts
            .into_iter()
            .filter(|alert| wanted.keeps(alert))
            // Critical is the highest priority (the first of the order).
            .filter(|alert| lowest.is_none_or(|lowest| alert.priority <= lowest))
            .filter(|alert| rule.is_none_or(|rule| alert.rule == rule))
            .filter_map(|alert| {
                let account = engine.state.account(alert.account.as_str())?.account()?;
                if !person.sees(account) {
                    return None;
                }
                if let Some(csm) = csm
                    && !account.csm.eq_ignore_ascii_case(csm)
                {
                    return None;
                }
                Some(AlertView {
                    status: alert.status(),
                    account_name: account.name.clone(),
                    csm: account.csm.clone(),
                    manager: account.manager.clone(),
                    alert,
                })
            })
            .collect())
    }

    /// A person acknowledges an alert (it stays unresolved).
    pub fn acknowledge_alert(
        &self,
        actor: &Person,
        id: i64,
        now: Timestamp,
    ) -> AppResult<StoredAlert> {
        self.act_on_alert(actor, id, now, AuditAction::AlertAcknowledge, |alert| {
            rapport_core::alerts::acknowledge(alert, &actor.name, now)
        })
    }

    /// A person snoozes an unresolved alert until an instant: it is neither
    /// delivered nor re-opened until then; the first evaluation after it
    /// that still finds the condition makes it open again and delivers it.
    /// Nothing is delivered for the snooze itself.
    pub fn snooze_alert(
        &self,
        actor: &Person,
        id: i64,
        request: &SnoozeRequest,
        now: Timestamp,
    ) -> AppResult<StoredAlert> {
        self.act_on_alert(actor, id, now, AuditAction::AlertSnooze, |alert| {
            rapport_core::alerts::snooze(
                alert,
                &actor.name,
                request.until,
                request.reason.as_deref(),
                now,
            )
        })
    }

    /// A person resolves an alert; its subscribers hear of it (unless it is
    /// backlog they were never told of). The resolution holds while the
    /// condition persists: the rule opens no new alert until an evaluation
    /// has found it clear.
    pub fn resolve_alert(
        &self,
        actor: &Person,
        id: i64,
        note: Option<&str>,
        now: Timestamp,
    ) -> AppResult<StoredAlert> {
        let alert = self.act_on_alert(actor, id, now, AuditAction::AlertResolve, |alert| {
            rapport_core::alerts::resolve(alert, &actor.name, note, now)
        })?;
        if alert.backlog {
            return Ok(alert);
        }
        let subscriptions = self.store.webhooks()?;
        let engine = self.read()?;
        self.store.enqueue_deliveries(&outbox(
            &engine.state,
            &subscriptions,
            &[(alert.clone(), DeliveryEvent::Resolved)],
            now,
        ))?;
        Ok(alert)
    }

    /// The alert `id`, when `person` may change its account: refused unless
    /// their role may change things, not found outside their scope.
    pub fn alert_to_change(&self, person: &Person, id: i64) -> AppResult<StoredAlert> {
        self.authorize(person, Permission::Write)?;
        self.visible_alert(person, id)
    }

    /// The alert `id`, when `person` may see its account (any other alert
    /// is not found, as one that does not exist).
    pub fn visible_alert(&self, person: &Person, id: i64) -> AppResult<StoredAlert> {
        let alert = self.store.alert(id)?.ok_or_else(|| no_alert(id))?;
        self.account_in_scope(person, &alert.account, || no_alert(id))?;
        Ok(alert)
    }

    /// Applies a person's action to an alert of an account they may change
    /// (any other alert is not found, as one that does not exist).
    fn act_on_alert(
        &self,
        actor: &Person,
        id: i64,
        now: Timestamp,
        action: AuditAction,
        act: impl Fn(&StoredAlert) -> Result<StoredAlert, AlertActionError>,
    ) -> AppResult<StoredAlert> {
        self.alert_to_change(actor, id)?;
        let mut refused = None;
        let audit = AuditDraft::new(actor, action, now);
        let written = self
            .store
            .update_alert(id, &audit, &mut |alert| match act(alert) {
                Ok(changed) => Some(changed),
                Err(error) => {
                    refused = Some(error);
                    None
                }
            })?;
        if let Some(error) = refused {
            return Err(action_error(error));
        }
        let alert = written.ok_or_else(|| no_alert(id))?;
        self.after_write(now, &[])?;
        Ok(alert)
    }
}

fn no_alert(id: i64) -> AppError {
    AppError::NotFound(format!("no alert with id {id}"))
}
