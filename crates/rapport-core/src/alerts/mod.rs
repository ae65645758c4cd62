//! The alerts engine: which alert rules fire for an account at an instant
//! (PRD-070's engagement rules and the health framework's real-time alerts),
//! and how the account's stored alerts change when the rules are evaluated
//! again: one open alert per rule and account (a rule that keeps firing
//! updates its alert, it never floods), an alert whose rule stops firing is
//! resolved by Rapport, and people acknowledge, snooze and resolve alerts
//! with their name and the time. A person's resolution holds while the
//! condition persists (the rule opens again only after an evaluation found it
//! clear), a snooze keeps an alert quiet until the chosen instant, the store's
//! first evaluation opens a backlog that is summarised rather than delivered,
//! and a churned account's alerts are resolved quietly. Pure: the instant and
//! the stored alerts are parameters.
//!
//! Here: the rules, the stored alert and its status, the listing filter.
//! [`reconcile`]: how an evaluation changes the stored alerts; [`actions`]: a
//! person's acknowledge, snooze and resolve; [`delivery`]: who hears of what.

pub mod actions;
pub mod delivery;
pub mod reconcile;

pub use actions::{
    AlertActionError, MAX_SNOOZE_DAYS, SnoozeRequest, acknowledge, parse_snooze_request, resolve,
    snooze,
};
pub use reconcile::{
    AlertChange, AlertRun, BacklogSummary, CHURNED_RESOLUTION, CLEARED_RESOLUTION, reconcile,
    reconcile_portfolio, retire_churned,
};

use serde::{Deserialize, Serialize};

use crate::domain::ExternalId;
use crate::engagement::breakdown::{self, AlertPriority};
use crate::engine::facts::factor_facts;
use crate::engine::{AccountState, PortfolioState, Window};
use crate::scoring::model::Model;
use crate::scoring::score::score;
use crate::time::{Period, Timestamp};

/// Every rule an evaluation can fire, as stored (`engagement.` rules of the
/// engagement model, `health.` rules of the health model): what a list of
/// alerts filters by.
pub const RULES: [&str; 7] = [
    "engagement.overall_below",
    "engagement.score_drop",
    "engagement.component_below",
    "health.score_drop",
    "health.component_red",
    "health.indicators_down",
    "health.milestone_missed",
];

/// Who resolves an alert whose condition cleared.
pub const RAPPORT: &str = "rapport";

/// A rule firing for an account now.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Firing {
    /// `engagement.score_drop`, `health.component_red`, …
    pub rule: String,
    pub priority: AlertPriority,
    pub message: String,
    /// Who must hear of it: the CSM, and for critical alerts their manager too.
    pub notify: Vec<String>,
}

/// The rules that fire for `account` at `as_of`: the engagement model's alert
/// rules (over 30 days against the 30 before) and the health model's.
pub fn evaluate(
    engagement_model: &Model,
    health_model: &Model,
    portfolio: &PortfolioState,
    account: &AccountState,
    as_of: Timestamp,
) -> Vec<Firing> {
    let window = Window::new(as_of, Period::DEFAULT);
    let before = Window::new(as_of.minus_days(Period::DEFAULT.days()), Period::DEFAULT);
    let (facts, previous_facts) = (
        factor_facts(portfolio, account, window),
        factor_facts(portfolio, account, before),
    );
    let current = score(engagement_model, &facts);
    let previous = score(engagement_model, &previous_facts);
    let mut firing: Vec<Firing> = breakdown::alerts(engagement_model, &current, &previous)
        .into_iter()
        .map(|alert| Firing {
            rule: format!("engagement.{}", alert.rule),
            priority: alert.priority,
            message: alert.message,
            notify: alert.notify,
        })
        .collect();
    // One alert per rule: several components below the line make one alert.
    firing = merge_same_rule(firing);
    let health_now = score(health_model, &facts);
    let health_before = score(health_model, &previous_facts);
    firing.extend(merge_same_rule(
        crate::health::health_alerts(health_model, account, &health_now, &health_before, as_of)
            .into_iter()
            .map(|alert| Firing {
                rule: format!("health.{}", alert.rule),
                priority: alert.priority,
                message: alert.message,
                notify: vec!["csm".into()],
            })
            .collect(),
    ));
    firing
}

fn merge_same_rule(firings: Vec<Firing>) -> Vec<Firing> {
    let mut merged: Vec<Firing> = Vec::new();
    for firing in firings {
        match merged.iter_mut().find(|kept| kept.rule == firing.rule) {
            Some(kept) => {
                kept.message = format!("{}; {}", kept.message, firing.message);
            }
            None => merged.push(firing),
        }
    }
    merged
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Open,
    Acknowledged,
    /// Unresolved, but a person snoozed it: not delivered until the snooze ends.
    Snoozed,
    Resolved,
}

/// A person's snooze of an unresolved alert: until `until` the alert is
/// neither delivered nor re-opened; the first evaluation at or after `until`
/// that still finds the condition makes it open again and delivers it once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Snooze {
    pub until: Timestamp,
    pub by: String,
    pub at: Timestamp,
    #[serde(default)]
    pub reason: Option<String>,
    /// When it ended: the evaluation that found it over, or the alert's
    /// resolution. `None` while it lasts.
    #[serde(default)]
    pub ended_at: Option<Timestamp>,
}

/// An alert as it is kept, with its history in its fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoredAlert {
    /// Assigned by the store; 0 before it is stored.
    pub id: i64,
    pub account: ExternalId,
    pub rule: String,
    pub priority: AlertPriority,
    pub message: String,
    pub notify: Vec<String>,
    pub opened_at: Timestamp,
    /// The last evaluation that found the rule firing.
    pub last_seen_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledged_by: Option<String>,
    pub resolved_at: Option<Timestamp>,
    pub resolved_by: Option<String>,
    pub resolution: Option<String>,
    /// The latest snooze a person chose; kept (with `endedAt`) after it ends.
    #[serde(default)]
    pub snooze: Option<Snooze>,
    /// Resolved by a person while its condition still fired: the rule opens
    /// no new alert for the account until an evaluation finds the condition
    /// clear (then this is `false` and `conditionClearedAt` says when).
    #[serde(default)]
    pub awaiting_clear: bool,
    /// When an evaluation found the condition of a person-resolved alert clear.
    #[serde(default)]
    pub condition_cleared_at: Option<Timestamp>,
    /// Opened by the store's first evaluation: history from before Rapport
    /// watched, listed and summarised but not delivered (nor, later, its
    /// resolution). A snooze that ends with the condition holding delivers it.
    #[serde(default)]
    pub backlog: bool,
}

impl StoredAlert {
    pub fn status(&self) -> AlertStatus {
        if self.resolved_at.is_some() {
            AlertStatus::Resolved
        } else if self.snoozed() {
            AlertStatus::Snoozed
        } else if self.acknowledged_at.is_some_and(|acknowledged| {
            // An acknowledgement made before a snooze ended does not carry
            // over: the snooze's end asks for attention again.
            self.snooze
                .as_ref()
                .and_then(|snooze| snooze.ended_at)
                .is_none_or(|ended| acknowledged >= ended)
        }) {
            AlertStatus::Acknowledged
        } else {
            AlertStatus::Open
        }
    }

    /// Unresolved and under a snooze that has not ended.
    pub fn snoozed(&self) -> bool {
        self.resolved_at.is_none()
            && self
                .snooze
                .as_ref()
                .is_some_and(|snooze| snooze.ended_at.is_none())
    }

    /// What an evaluation must see of it: unresolved, or resolved by a
    /// person while its condition still fired.
    pub fn in_force(&self) -> bool {
        self.resolved_at.is_none() || self.awaiting_clear
    }

    fn end_snooze(&mut self, now: Timestamp) {
        if let Some(snooze) = self.snooze.as_mut()
            && snooze.ended_at.is_none()
        {
            snooze.ended_at = Some(now);
        }
    }
}

/// Which alerts a listing shows: the unresolved ones (open, acknowledged or
/// snoozed, the default), all, or those of one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Unresolved,
    All,
    Only(AlertStatus),
}

impl StatusFilter {
    /// `unresolved` (or empty), `all`, `open`, `acknowledged`, `snoozed`, `resolved`.
    pub fn parse(text: &str) -> Result<Self, String> {
        Ok(match text {
            "" | "unresolved" => StatusFilter::Unresolved,
            "all" => StatusFilter::All,
            "open" => StatusFilter::Only(AlertStatus::Open),
            "acknowledged" => StatusFilter::Only(AlertStatus::Acknowledged),
            "snoozed" => StatusFilter::Only(AlertStatus::Snoozed),
            "resolved" => StatusFilter::Only(AlertStatus::Resolved),
            other => {
                return Err(format!(
                    "`{other}` is not one of open | acknowledged | snoozed | resolved | unresolved | all"
                ));
            }
        })
    }

    /// Whether the store can be asked for unresolved alerts only.
    pub fn unresolved_only(self) -> bool {
        matches!(
            self,
            StatusFilter::Unresolved
                | StatusFilter::Only(
                    AlertStatus::Open | AlertStatus::Acknowledged | AlertStatus::Snoozed
                )
        )
    }

    pub fn keeps(self, alert: &StoredAlert) -> bool {
        match self {
            StatusFilter::Unresolved => alert.status() != AlertStatus::Resolved,
            StatusFilter::All => true,
            StatusFilter::Only(status) => alert.status() == status,
        }
    }
}

/// What an evaluation found for one account.
#[derive(Debug, Clone, PartialEq)]
pub enum AccountEvaluation {
    /// An active account: the rules firing now.
    Active(Vec<Firing>),
    /// A churned account: it raises no alerts, and those in force retire.
    Churned,
}

/// What the rules say of each account (or only those in `only`) at `now`:
/// each active account with its tier's engagement model and the health model;
/// churned accounts as such. The expensive half of an evaluation, computed
/// from the engine alone.
pub fn firing_portfolio(
    models: &crate::scoring::model::EngagementModels,
    health_model: &Model,
    portfolio: &PortfolioState,
    only: Option<&std::collections::BTreeSet<ExternalId>>,
    now: Timestamp,
) -> Vec<(ExternalId, AccountEvaluation)> {
    let accounts: Vec<&AccountState> = portfolio
        .accounts()
        .filter(|account| {
            account
                .account()
                .is_some_and(|info| only.is_none_or(|only| only.contains(&info.external_id)))
        })
        .collect();
    firing_of(models, health_model, portfolio, &accounts, now)
}

/// [`firing_portfolio`] for the given accounts. A churned account (churned
/// at `now`: [`AccountState::churned_at`]) raises no alerts; any other that
/// is not active is skipped.
pub fn firing_of(
    models: &crate::scoring::model::EngagementModels,
    health_model: &Model,
    portfolio: &PortfolioState,
    accounts: &[&AccountState],
    now: Timestamp,
) -> Vec<(ExternalId, AccountEvaluation)> {
    accounts
        .iter()
        .filter_map(|account| {
            let info = account.account()?;
            if account.churned_at(now).is_some() {
                return Some((info.external_id.clone(), AccountEvaluation::Churned));
            }
            if info.status != crate::domain::AccountStatus::Active {
                return None;
            }
            let firing = evaluate(
                models.for_tier(info.tier),
                health_model,
                portfolio,
                account,
                now,
            );
            Some((info.external_id.clone(), AccountEvaluation::Active(firing)))
        })
        .collect()
}

/// Evaluates the rules of every account (or only those in `only`) at `now`
/// against its alerts in force: [`firing_portfolio`], then
/// [`reconcile_portfolio`].
pub fn evaluate_portfolio(
    models: &crate::scoring::model::EngagementModels,
    health_model: &Model,
    portfolio: &PortfolioState,
    only: Option<&std::collections::BTreeSet<ExternalId>>,
    in_force: &[StoredAlert],
    now: Timestamp,
    first: bool,
) -> (Vec<AlertChange>, AlertRun) {
    let evaluated = firing_portfolio(models, health_model, portfolio, only, now);
    reconcile_portfolio(&evaluated, in_force, now, first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_stored_before_snoozes_read_back() {
        let body = r#"{"id": 3, "account": "a1", "rule": "x.y", "priority": "high",
            "message": "m", "notify": [], "openedAt": "2026-03-01T00:00:00Z",
            "lastSeenAt": "2026-03-01T00:00:00Z", "acknowledgedAt": null,
            "acknowledgedBy": null, "resolvedAt": null, "resolvedBy": null, "resolution": null}"#;
        let alert: StoredAlert = serde_json::from_str(body).unwrap();
        assert_eq!(alert.status(), AlertStatus::Open);
        assert!(!alert.awaiting_clear && !alert.backlog && alert.snooze.is_none());
    }
}
