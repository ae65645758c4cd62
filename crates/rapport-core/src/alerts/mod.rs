//! The alerts engine: which alert rules fire for an account at an instant
//! (PRD-070's engagement rules and the health framework's real-time alerts),
//! and how the account's stored alerts change when the rules are evaluated
//! again: one open alert per rule and account (a rule that keeps firing
//! updates its alert, it never floods), an alert whose rule stops firing is
//! resolved by Rapport, and people acknowledge and resolve alerts with their
//! name and the time. Pure: the instant and the stored alerts are parameters.

pub mod delivery;

use serde::{Deserialize, Serialize};

use crate::domain::ExternalId;
use crate::engagement::breakdown::{self, AlertPriority};
use crate::engine::facts::factor_facts;
use crate::engine::{AccountState, PortfolioState, Window};
use crate::scoring::model::Model;
use crate::scoring::score::score;
use crate::time::{Period, Timestamp};

/// Who resolves an alert whose condition cleared.
pub const RAPPORT: &str = "rapport";

/// A rule firing for an account now.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Open,
    Acknowledged,
    Resolved,
}

/// An alert as it is kept, with its history in its fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}

impl StoredAlert {
    pub fn status(&self) -> AlertStatus {
        if self.resolved_at.is_some() {
            AlertStatus::Resolved
        } else if self.acknowledged_at.is_some() {
            AlertStatus::Acknowledged
        } else {
            AlertStatus::Open
        }
    }
}

/// Which alerts a listing shows: the unresolved ones (open or acknowledged,
/// the default), all, or those of one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Unresolved,
    All,
    Only(AlertStatus),
}

impl StatusFilter {
    /// `unresolved` (or empty), `all`, `open`, `acknowledged`, `resolved`.
    pub fn parse(text: &str) -> Result<Self, String> {
        Ok(match text {
            "" | "unresolved" => StatusFilter::Unresolved,
            "all" => StatusFilter::All,
            "open" => StatusFilter::Only(AlertStatus::Open),
            "acknowledged" => StatusFilter::Only(AlertStatus::Acknowledged),
            "resolved" => StatusFilter::Only(AlertStatus::Resolved),
            other => {
                return Err(format!(
                    "`{other}` is not one of open | acknowledged | resolved | unresolved | all"
                ));
            }
        })
    }

    /// Whether the store can be asked for unresolved alerts only.
    pub fn unresolved_only(self) -> bool {
        self == StatusFilter::Unresolved
    }

    pub fn keeps(self, alert: &StoredAlert) -> bool {
        match self {
            StatusFilter::Unresolved => alert.status() != AlertStatus::Resolved,
            StatusFilter::All => true,
            StatusFilter::Only(status) => alert.status() == status,
        }
    }
}

/// What an evaluation does to an account's alerts.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertChange {
    /// A rule fired with no unresolved alert: a new alert.
    Open(StoredAlert),
    /// A rule fired again: its unresolved alert is seen again (message and
    /// priority brought up to date).
    Seen(StoredAlert),
    /// A rule stopped firing: Rapport resolves its alert.
    Cleared(StoredAlert),
}

/// Reconciles an account's unresolved alerts with the rules firing `now`.
pub fn reconcile(
    account: &ExternalId,
    unresolved: &[StoredAlert],
    firing: Vec<Firing>,
    now: Timestamp,
) -> Vec<AlertChange> {
    let mut changes = Vec::new();
    for fired in &firing {
        match unresolved.iter().find(|alert| alert.rule == fired.rule) {
            Some(alert) => changes.push(AlertChange::Seen(StoredAlert {
                priority: fired.priority,
                message: fired.message.clone(),
                notify: fired.notify.clone(),
                last_seen_at: now,
                ..alert.clone()
            })),
            None => changes.push(AlertChange::Open(StoredAlert {
                id: 0,
                account: account.clone(),
                rule: fired.rule.clone(),
                priority: fired.priority,
                message: fired.message.clone(),
                notify: fired.notify.clone(),
                opened_at: now,
                last_seen_at: now,
                acknowledged_at: None,
                acknowledged_by: None,
                resolved_at: None,
                resolved_by: None,
                resolution: None,
            })),
        }
    }
    for alert in unresolved {
        if !firing.iter().any(|fired| fired.rule == alert.rule) {
            changes.push(AlertChange::Cleared(StoredAlert {
                resolved_at: Some(now),
                resolved_by: Some(RAPPORT.into()),
                resolution: Some("the condition cleared".into()),
                ..alert.clone()
            }));
        }
    }
    changes
}

/// What one evaluation of the alert rules did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertRun {
    pub accounts: usize,
    pub opened: usize,
    pub seen: usize,
    pub cleared: usize,
}

/// What the rules say of each active account (or only those in `only`) at
/// `now`: each account with its tier's engagement model and the health model.
/// The expensive half of an evaluation, computed from the engine alone.
pub fn firing_portfolio(
    models: &crate::scoring::model::EngagementModels,
    health_model: &Model,
    portfolio: &PortfolioState,
    only: Option<&std::collections::BTreeSet<ExternalId>>,
    now: Timestamp,
) -> Vec<(ExternalId, Vec<Firing>)> {
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

/// [`firing_portfolio`] for the given accounts; those not active are skipped.
pub fn firing_of(
    models: &crate::scoring::model::EngagementModels,
    health_model: &Model,
    portfolio: &PortfolioState,
    accounts: &[&AccountState],
    now: Timestamp,
) -> Vec<(ExternalId, Vec<Firing>)> {
    accounts
        .iter()
        .filter_map(|account| {
            let info = account.account()?;
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
            Some((info.external_id.clone(), firing))
        })
        .collect()
}

/// The cheap half: each evaluated account's firing rules against its
/// `unresolved` alerts as stored. Returns the alerts to write and the counts.
pub fn reconcile_portfolio(
    firing: &[(ExternalId, Vec<Firing>)],
    unresolved: &[StoredAlert],
    now: Timestamp,
) -> (Vec<StoredAlert>, AlertRun) {
    let mut by_account: std::collections::HashMap<&ExternalId, Vec<StoredAlert>> =
        std::collections::HashMap::new();
    for alert in unresolved {
        by_account
            .entry(&alert.account)
            .or_default()
            .push(alert.clone());
    }
    let mut run = AlertRun::default();
    let mut changed = Vec::new();
    for (account, fired) in firing {
        run.accounts += 1;
        let mine = by_account.get(account).map_or(&[][..], Vec::as_slice);
        for change in reconcile(account, mine, fired.clone(), now) {
            changed.push(match change {
                AlertChange::Open(alert) => {
                    run.opened += 1;
                    alert
                }
                AlertChange::Seen(alert) => {
                    run.seen += 1;
                    alert
                }
                AlertChange::Cleared(alert) => {
                    run.cleared += 1;
                    alert
                }
            });
        }
    }
    (changed, run)
}

/// Evaluates the rules of every active account (or only those in `only`) at
/// `now` against its `unresolved` alerts: [`firing_portfolio`], then
/// [`reconcile_portfolio`].
pub fn evaluate_portfolio(
    models: &crate::scoring::model::EngagementModels,
    health_model: &Model,
    portfolio: &PortfolioState,
    only: Option<&std::collections::BTreeSet<ExternalId>>,
    unresolved: &[StoredAlert],
    now: Timestamp,
) -> (Vec<StoredAlert>, AlertRun) {
    let firing = firing_portfolio(models, health_model, portfolio, only, now);
    reconcile_portfolio(&firing, unresolved, now)
}

/// Why a person's action on an alert was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertActionError {
    #[error("author: must not be empty")]
    NoAuthor,
    #[error("alert {0} is already resolved")]
    AlreadyResolved(i64),
}

/// A person acknowledges an alert (it stays open until resolved).
pub fn acknowledge(
    alert: &StoredAlert,
    author: &str,
    now: Timestamp,
) -> Result<StoredAlert, AlertActionError> {
    if author.trim().is_empty() {
        return Err(AlertActionError::NoAuthor);
    }
    if alert.resolved_at.is_some() {
        return Err(AlertActionError::AlreadyResolved(alert.id));
    }
    Ok(StoredAlert {
        acknowledged_at: Some(now),
        acknowledged_by: Some(author.trim().to_string()),
        ..alert.clone()
    })
}

/// A person resolves an alert, with an optional note.
pub fn resolve(
    alert: &StoredAlert,
    author: &str,
    note: Option<&str>,
    now: Timestamp,
) -> Result<StoredAlert, AlertActionError> {
    if author.trim().is_empty() {
        return Err(AlertActionError::NoAuthor);
    }
    if alert.resolved_at.is_some() {
        return Err(AlertActionError::AlreadyResolved(alert.id));
    }
    Ok(StoredAlert {
        resolved_at: Some(now),
        resolved_by: Some(author.trim().to_string()),
        resolution: note.map(str::to_string),
        ..alert.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn stored(change: &AlertChange) -> StoredAlert {
        match change {
            AlertChange::Open(alert) | AlertChange::Seen(alert) | AlertChange::Cleared(alert) => {
                alert.clone()
            }
        }
    }

    #[test]
    fn one_open_alert_per_rule_and_account_then_cleared() {
        let account = ExternalId::parse("a1").unwrap();
        let first = reconcile(
            &account,
            &[],
            vec![firing("engagement.score_drop", "fell 12")],
            at("2026-03-01T00:00:00Z"),
        );
        assert!(matches!(first[0], AlertChange::Open(_)));
        let mut alert = stored(&first[0]);
        alert.id = 7;
        // The same rule firing again updates the alert instead of opening another.
        let again = reconcile(
            &account,
            std::slice::from_ref(&alert),
            vec![firing("engagement.score_drop", "fell 15")],
            at("2026-03-01T01:00:00Z"),
        );
        assert_eq!(again.len(), 1);
        let seen = stored(&again[0]);
        assert!(matches!(again[0], AlertChange::Seen(_)));
        assert_eq!((seen.id, seen.message.as_str()), (7, "fell 15"));
        assert_eq!(seen.opened_at, at("2026-03-01T00:00:00Z"));
        assert_eq!(seen.last_seen_at, at("2026-03-01T01:00:00Z"));
        // The condition clears: Rapport resolves it.
        let cleared = reconcile(&account, &[seen], Vec::new(), at("2026-03-02T00:00:00Z"));
        let resolved = stored(&cleared[0]);
        assert!(matches!(cleared[0], AlertChange::Cleared(_)));
        assert_eq!(resolved.status(), AlertStatus::Resolved);
        assert_eq!(resolved.resolved_by.as_deref(), Some(RAPPORT));
    }

    #[test]
    fn people_acknowledge_and_resolve_with_name_and_time() {
        let account = ExternalId::parse("a1").unwrap();
        let mut alert = stored(
            &reconcile(
                &account,
                &[],
                vec![firing("health.score_drop", "x")],
                at("2026-03-01T00:00:00Z"),
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
