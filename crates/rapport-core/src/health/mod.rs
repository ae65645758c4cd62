//! The customer health report (seed 004, `definitions.md` §6): the health
//! model's score, band and components now and 30 days earlier, the 6-month
//! history, the health framework's real-time alerts, the early-warning signals,
//! triggered playbooks and the band's action cadence. Every surface renders
//! this one structure. Pure: `as_of` and the model are parameters.

pub mod playbooks;
pub mod signals;

use serde::Serialize;

use crate::domain::{CustomerId, Tier};
use crate::engagement::breakdown::{self, AlertPriority, HistoryMonth, Trend};
use crate::engine::facts::factor_facts;
use crate::engine::{AccountState, FactorFacts, PortfolioState, Window};
use crate::health::playbooks::{Cadence, PlaybookTrigger, cadence, playbooks};
use crate::health::signals::{Signal, signals};
use crate::scoring::model::Model;
use crate::scoring::overrides::{OverrideEvent, OverrideView, view_at};
use crate::scoring::score::{ComponentScore, Scorecard, score};
use crate::success::engine::{GoalStatus, evaluate_goal_status};
use crate::time::{Period, Timestamp};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthAlert {
    /// `score_drop`, `component_red`, `indicators_down`, `milestone_missed`.
    pub rule: &'static str,
    pub priority: AlertPriority,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthComponent {
    #[serde(flatten)]
    pub score: ComponentScore,
    pub band_name: Option<String>,
    pub previous_score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthReport {
    pub customer_id: CustomerId,
    pub external_id: String,
    pub account_name: String,
    pub tier: Tier,
    pub csm: String,
    pub model: String,
    pub as_of: Timestamp,
    /// The computed health score (manual overrides are shown beside it by the
    /// surfaces, never merged into it).
    pub score: Option<f64>,
    pub band: Option<String>,
    pub band_name: Option<String>,
    /// The score 30 days earlier (as it was then), and the trend against it.
    pub previous_score: Option<f64>,
    pub trend: Option<Trend>,
    pub components: Vec<HealthComponent>,
    pub history: Vec<HistoryMonth>,
    pub alerts: Vec<HealthAlert>,
    pub signals: Vec<Signal>,
    pub playbooks: Vec<PlaybookTrigger>,
    pub cadence: Option<Cadence>,
    /// Set when the account had churned at `as_of`: no alerts, playbooks or
    /// cadence are raised for it.
    pub churned: Option<crate::engine::state::Churn>,
    pub facts: FactorFacts,
}

/// The health report with the manual override beside the computed score: what
/// every surface shows (`GET /api/intelligence/health/:id`, `rapport health`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthView {
    #[serde(flatten)]
    pub report: HealthReport,
    /// The computed score, the override in force (if any) and the effective score.
    pub score_override: OverrideView,
    /// This model's override events before `as_of`: who, when, old, new.
    pub override_history: Vec<OverrideEvent>,
}

/// [`health_report`] with the account's override `events` applied beside it.
pub fn health_view(
    model: &Model,
    portfolio: &PortfolioState,
    account: &AccountState,
    events: &[OverrideEvent],
    as_of: Timestamp,
) -> Option<HealthView> {
    let report = health_report(model, portfolio, account, as_of)?;
    let score_override = view_at(report.score, events, &model.name, as_of);
    let override_history = events
        .iter()
        .filter(|event| event.model == model.name && event.at < as_of)
        .cloned()
        .collect();
    Some(HealthView {
        report,
        score_override,
        override_history,
    })
}

/// The health report of `account` at `as_of` under `model` (the shipped
/// `health` model unless the deployment chose another). `None` for a slot
/// without an account record.
pub fn health_report(
    model: &Model,
    portfolio: &PortfolioState,
    account: &AccountState,
    as_of: Timestamp,
) -> Option<HealthReport> {
    let info = account.account()?;
    let churned = account.churned_at(as_of);
    let window = Window::new(as_of, Period::DEFAULT);
    let facts = factor_facts(portfolio, account, window);
    let current = score(model, &facts);
    let earlier = as_of.minus_days(Period::DEFAULT.days());
    let previous = score(
        model,
        &factor_facts(portfolio, account, Window::new(earlier, Period::DEFAULT)),
    );
    let band = current.band.clone();
    let band_name = band.as_deref().map(|key| model.band_name(key).to_string());
    let components = current
        .components
        .iter()
        .map(|component| HealthComponent {
            band_name: component
                .band
                .as_deref()
                .map(|key| model.band_name(key).to_string()),
            previous_score: previous
                .components
                .iter()
                .find(|before| before.key == component.key)
                .and_then(|before| before.score),
            score: component.clone(),
        })
        .collect();
    Some(HealthReport {
        customer_id: info.customer_id(),
        external_id: info.external_id.to_string(),
        account_name: info.name.clone(),
        tier: info.tier,
        csm: info.csm.clone(),
        model: model.name.clone(),
        as_of,
        score: current.overall,
        band: band.clone(),
        band_name,
        previous_score: previous.overall,
        trend: breakdown::overall_trend(model, current.overall, previous.overall),
        components,
        history: breakdown::history(model, portfolio, account, as_of, Some(current.summary())),
        // A churned account's history and warning signs stay readable; no
        // alert, playbook or check-in cadence is asked of anyone for it.
        alerts: if churned.is_some() {
            Vec::new()
        } else {
            alerts(model, account, &current, &previous, as_of)
        },
        signals: signals(portfolio, account, as_of),
        playbooks: if churned.is_some() {
            Vec::new()
        } else {
            playbooks(account, as_of)
        },
        cadence: if churned.is_some() {
            None
        } else {
            cadence(band.as_deref())
        },
        churned,
        facts,
    })
}

/// The health framework's real-time alerts for `account`, from its health
/// scorecards now and 30 days earlier (what the alerts engine evaluates).
pub fn health_alerts(
    model: &Model,
    account: &AccountState,
    current: &Scorecard,
    previous: &Scorecard,
    as_of: Timestamp,
) -> Vec<HealthAlert> {
    alerts(model, account, current, previous, as_of)
}

/// The health framework's real-time alerts: the score dropped more than the
/// model's `score_drop_points` (10) against 30 days earlier; a component went
/// red (below 60, the at-risk band, having been at or above it); three or more
/// components trending down; a key milestone missed (a goal's target date or
/// checkpoint passed in the last 30 days with the goal not achieved).
fn alerts(
    model: &Model,
    account: &AccountState,
    current: &Scorecard,
    previous: &Scorecard,
    as_of: Timestamp,
) -> Vec<HealthAlert> {
    let mut alerts = Vec::new();
    if let (Some(now), Some(before)) = (current.overall, previous.overall)
        && before - now > model.alerts.score_drop_points
    {
        alerts.push(HealthAlert {
            rule: "score_drop",
            priority: AlertPriority::High,
            message: format!(
                "Health score dropped {} points in 30 days ({} → {})",
                crate::numbers::fixed(before - now, 1),
                crate::numbers::score(before),
                crate::numbers::score(now)
            ),
        });
    }
    let red_below = model
        .bands
        .iter()
        .rev()
        .nth(1)
        .map_or(60.0, |band| band.from);
    let mut down = Vec::new();
    for component in &current.components {
        let before = previous
            .components
            .iter()
            .find(|before| before.key == component.key)
            .and_then(|before| before.score);
        if let (Some(now), Some(before)) = (component.score, before) {
            if now < red_below && before >= red_below {
                alerts.push(HealthAlert {
                    rule: "component_red",
                    priority: AlertPriority::Medium,
                    message: format!(
                        "{} went red: {} (was {})",
                        component.name,
                        crate::numbers::score(now),
                        crate::numbers::score(before)
                    ),
                });
            }
            if now < before {
                down.push(component.name.as_str());
            }
        }
    }
    if down.len() >= 3 {
        alerts.push(HealthAlert {
            rule: "indicators_down",
            priority: AlertPriority::Medium,
            message: format!(
                "{} components trending down: {}",
                down.len(),
                down.join(", ")
            ),
        });
    }
    let start = as_of.minus_days(30).date();
    let today = as_of.date();
    for goal in account.goals() {
        let passed = std::iter::once(goal.target_date)
            .chain(goal.checkpoints.iter().copied())
            .filter(|date| *date >= start && *date < today)
            .max();
        let Some(passed) = passed else { continue };
        let status = evaluate_goal_status(goal, as_of);
        if status != GoalStatus::Achieved {
            alerts.push(HealthAlert {
                rule: "milestone_missed",
                priority: AlertPriority::High,
                message: format!(
                    "Milestone of goal \"{}\" passed on {passed} with the goal {}",
                    goal.title,
                    match status {
                        GoalStatus::AtRisk => "at risk",
                        GoalStatus::NotStarted => "not started",
                        _ => "in progress",
                    }
                ),
            });
        }
    }
    alerts
}
