//! The weekly portfolio report (the health framework's "Weekly Reports"):
//! portfolio health summary now and a week earlier, at-risk account details
//! (with their red signals and triggered playbooks), improvement trends (who
//! improved and declined most over the week), and open actions (unresolved
//! alerts, playbook tasks). Pure: the instant, the models and the open alerts
//! are parameters; the documents are rendered at the edge.

use serde::Serialize;

use crate::alerts::{AlertStatus, StoredAlert};
use crate::domain::{CustomerId, Tier};
use crate::engine::PortfolioState;
use crate::engine::Window;
use crate::engine::facts::factor_facts;
use crate::health::health_report;
use crate::health::signals::SignalLevel;
use crate::portfolio::overview::OverviewFilter;
use crate::scoring::model::Model;
use crate::scoring::overrides::OverrideTrails;
use crate::scoring::score::summary;
use crate::time::{Period, Timestamp};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BandCount {
    pub band: String,
    pub name: String,
    pub accounts: usize,
    pub revenue: f64,
    pub accounts_week_ago: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthSummary {
    pub accounts: usize,
    pub average_health: Option<f64>,
    pub average_health_week_ago: Option<f64>,
    pub bands: Vec<BandCount>,
    pub at_risk_accounts: usize,
    pub at_risk_revenue: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AtRiskDetail {
    pub customer_id: CustomerId,
    pub account_name: String,
    pub tier: Tier,
    pub csm: String,
    pub arr: f64,
    pub health: Option<f64>,
    pub health_week_ago: Option<f64>,
    /// The health shown is a manual override in force.
    pub health_overridden: bool,
    pub at_risk_override: bool,
    /// The red early-warning signals' summaries.
    pub red_signals: Vec<String>,
    pub playbooks: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
// Named apart from the engagement's `Trend` in the API's document, where
// schemas share one namespace.
#[schema(as = WeeklyTrend)]
pub struct Trend {
    pub account_name: String,
    pub csm: String,
    pub health: f64,
    pub health_week_ago: f64,
    pub change: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpenAction {
    pub account_name: String,
    pub csm: String,
    /// `alert` or `playbook`.
    pub kind: &'static str,
    pub action: String,
    pub since: Option<Timestamp>,
    pub due: Option<chrono::NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WeeklyReport {
    pub as_of: Timestamp,
    pub week_start: Timestamp,
    pub filter: OverviewFilter,
    pub health_model: String,
    pub summary: HealthSummary,
    pub at_risk: Vec<AtRiskDetail>,
    pub improving: Vec<Trend>,
    pub declining: Vec<Trend>,
    pub open_actions: Vec<OpenAction>,
}

/// Accounts listed as most improved and most declined.
pub const TRENDS: usize = 5;

/// The weekly report of the active accounts `filter` keeps, for the week
/// ending at `as_of`; `open_alerts` are the unresolved alerts.
pub fn weekly_report(
    portfolio: &PortfolioState,
    health_model: &Model,
    filter: &OverviewFilter,
    open_alerts: &[StoredAlert],
    overrides: &OverrideTrails,
    as_of: Timestamp,
) -> WeeklyReport {
    let week_ago = as_of.minus_days(7);
    let mut rows = Vec::new();
    for account in portfolio.accounts() {
        let Some(info) = account.account() else {
            continue;
        };
        if !filter.keeps(info) {
            continue;
        }
        let Some(mut report) = health_report(health_model, portfolio, account, as_of) else {
            continue;
        };
        // The health in force: a manual override counts in the roll-up as it
        // does on the account's own report.
        let id = info.external_id.as_str();
        let (score, overridden) = overrides.effective(id, &health_model.name, report.score, as_of);
        if overridden {
            report.score = score;
            report.band = score.map(|score| health_model.band_of(score).key.clone());
            report.band_name = score.map(|score| health_model.band_of(score).name.clone());
        }
        let computed_before = summary(
            health_model,
            &factor_facts(portfolio, account, Window::new(week_ago, Period::DEFAULT)),
        )
        .overall;
        let (before, _) = overrides.effective(id, &health_model.name, computed_before, week_ago);
        rows.push((info, report, before, overridden));
    }
    let band_of = |score: Option<f64>| score.map(|score| health_model.band_of(score).key.clone());
    let bands = health_model
        .bands
        .iter()
        .map(|band| BandCount {
            band: band.key.clone(),
            name: band.name.clone(),
            accounts: rows
                .iter()
                .filter(|(_, report, _, _)| report.band.as_deref() == Some(band.key.as_str()))
                .count(),
            revenue: rows
                .iter()
                .filter(|(_, report, _, _)| report.band.as_deref() == Some(band.key.as_str()))
                .map(|(info, _, _, _)| info.arr)
                .sum(),
            accounts_week_ago: rows
                .iter()
                .filter(|(_, _, before, _)| band_of(*before).as_deref() == Some(band.key.as_str()))
                .count(),
        })
        .collect();
    let mean = |values: Vec<f64>| {
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let is_at_risk = |info: &crate::domain::Account, report: &crate::health::HealthReport| {
        crate::portfolio::overview::at_risk(health_model, report.score, info.at_risk_override)
    };
    let mut at_risk: Vec<AtRiskDetail> = rows
        .iter()
        .filter(|(info, report, _, _)| is_at_risk(info, report))
        .map(|(info, report, before, overridden)| AtRiskDetail {
            customer_id: info.customer_id(),
            account_name: info.name.clone(),
            tier: info.tier,
            csm: info.csm.clone(),
            arr: info.arr,
            health: report.score,
            health_week_ago: *before,
            health_overridden: *overridden,
            at_risk_override: info.at_risk_override,
            red_signals: report
                .signals
                .iter()
                .filter(|signal| signal.level == SignalLevel::Red)
                .map(|signal| format!("{}: {}", signal.name, signal.summary))
                .collect(),
            playbooks: report
                .playbooks
                .iter()
                .map(|p| p.name.to_string())
                .collect(),
        })
        .collect();
    at_risk.sort_by(|a, b| {
        b.arr
            .total_cmp(&a.arr)
            .then(a.account_name.cmp(&b.account_name))
    });
    let mut trends: Vec<Trend> = rows
        .iter()
        .filter_map(|(info, report, before, _)| {
            let (now, before) = (report.score?, (*before)?);
            Some(Trend {
                account_name: info.name.clone(),
                csm: info.csm.clone(),
                health: now,
                health_week_ago: before,
                change: now - before,
            })
        })
        .collect();
    trends.sort_by(|a, b| {
        b.change
            .total_cmp(&a.change)
            .then(a.account_name.cmp(&b.account_name))
    });
    let improving = trends
        .iter()
        .filter(|t| t.change > 0.0)
        .take(TRENDS)
        .cloned()
        .collect();
    let declining = trends
        .iter()
        .rev()
        .filter(|t| t.change < 0.0)
        .take(TRENDS)
        .cloned()
        .collect();

    let mut open_actions = Vec::new();
    for (info, report, _, _) in &rows {
        for alert in open_alerts.iter().filter(|alert| {
            alert.account == info.external_id && alert.status() != AlertStatus::Resolved
        }) {
            open_actions.push(OpenAction {
                account_name: info.name.clone(),
                csm: info.csm.clone(),
                kind: "alert",
                action: format!("{} ({})", alert.message, alert.rule),
                since: Some(alert.opened_at),
                due: None,
            });
        }
        for playbook in &report.playbooks {
            for task in &playbook.tasks {
                open_actions.push(OpenAction {
                    account_name: info.name.clone(),
                    csm: info.csm.clone(),
                    kind: "playbook",
                    action: format!("{}: {}", playbook.name, task.action),
                    since: None,
                    due: Some(task.due),
                });
            }
        }
    }
    let at_risk_revenue = at_risk.iter().map(|detail| detail.arr).sum();
    WeeklyReport {
        as_of,
        week_start: week_ago,
        filter: filter.clone(),
        health_model: health_model.name.clone(),
        summary: HealthSummary {
            accounts: rows.len(),
            average_health: mean(
                rows.iter()
                    .filter_map(|(_, report, _, _)| report.score)
                    .collect(),
            ),
            average_health_week_ago: mean(
                rows.iter()
                    .filter_map(|(_, _, before, _)| *before)
                    .collect(),
            ),
            bands,
            at_risk_accounts: at_risk.len(),
            at_risk_revenue,
        },
        at_risk,
        improving,
        declining,
        open_actions,
    }
}
