//! The value report (PRD-069's "Generate Value Report"): what a CSM hands to the
//! customer's leadership. Built from the [`AccountSuccess`] every surface shows,
//! keeping only what is fit to share: no peer benchmark, no root causes, no
//! recommended actions, no internal messages.
//!
//! Value shown to the customer is the value *recognised* as delivered (each
//! goal's value in proportion to its progress, `success::value`), never the
//! value the goals are worth once achieved, and the multiple and net ROI are
//! computed on it. What else it shows is the CSM's choice: whether goals not
//! yet started are listed, and whether the ROI lines are shown. Left to the
//! report, the ROI lines appear only when the net return is not negative: a
//! negative return reaches the customer only when the CSM asked for ROI.
//!
//! Every figure that is not finite, or beyond what a 64-bit whole number
//! holds, is `None` here, so a document writes "–" for it rather than a
//! saturated number.

use chrono::NaiveDate;
use serde::Serialize;

use super::AccountSuccess;
use crate::success::Confidence;
use crate::success::engine::{GoalStatus, MetricStatus, TrendPoint};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportMetric {
    pub name: String,
    pub unit: String,
    pub baseline: Option<f64>,
    pub target: f64,
    pub current: Option<f64>,
    pub progress: Option<f64>,
    pub status: MetricStatus,
    /// Measurements known at the report's date, for the trend chart.
    pub points: Vec<TrendPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportGoal {
    pub title: String,
    pub description: String,
    pub owner: String,
    pub status: GoalStatus,
    pub progress: Option<f64>,
    pub target_date: NaiveDate,
    /// What the goal's value drivers are worth a year once it is achieved.
    pub annual_value: Option<f64>,
    /// Whether the goal has value drivers at all.
    pub has_value: bool,
    /// The share (0–100) of that value recognised as delivered.
    pub recognised_percent: Option<f64>,
    /// The annual value recognised as delivered.
    pub recognised_annual_value: Option<f64>,
    pub metrics: Vec<ReportMetric>,
}

/// A value category as the customer sees it: the value recognised in it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportValueCategory {
    pub label: String,
    pub recognised_annual_value: Option<f64>,
    pub confidence: Confidence,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValueReport {
    pub account_name: String,
    pub as_of: crate::time::Timestamp,
    pub contract_start: Option<NaiveDate>,
    pub success_score: Option<f64>,
    /// Counts over the goals the report lists.
    pub goals_total: usize,
    pub goals_on_track_or_exceeded: usize,
    pub goals_achieved: usize,
    pub goals: Vec<ReportGoal>,
    /// The categories with value recognised, in order of first appearance.
    pub value_categories: Vec<ReportValueCategory>,
    /// The value recognised as delivered, a year.
    pub recognised_annual_value: Option<f64>,
    /// What the listed goals are worth a year once all are achieved.
    pub annual_value_when_achieved: Option<f64>,
    pub investment: Option<f64>,
    /// Recognised value ÷ investment.
    pub value_multiple: Option<f64>,
    /// 100 × (recognised value − investment) ÷ investment.
    pub net_roi_percent: Option<f64>,
    /// Whether the document shows the investment, the multiple and the net ROI.
    pub show_roi: bool,
}

/// `value` when a document can write it: finite and within a 64-bit whole
/// number (money is written in whole dollars).
fn writable(value: f64) -> Option<f64> {
    (value.is_finite() && value.abs() < i64::MAX as f64).then_some(value)
}

fn writable_option(value: Option<f64>) -> Option<f64> {
    value.and_then(writable)
}

impl ValueReport {
    /// The value report of `view`. `include_not_started`: list goals not yet
    /// started (their recognised value is nothing either way). `show_roi`:
    /// `Some(true)` shows the ROI lines whatever they say, `Some(false)` hides
    /// them, `None` shows them only when the net return on the recognised
    /// value is known and not negative.
    pub fn new(view: &AccountSuccess, include_not_started: bool, show_roi: Option<bool>) -> Self {
        let report = &view.report;
        let goals: Vec<&crate::success::engine::GoalView> = report
            .goals
            .iter()
            .filter(|goal| include_not_started || goal.status != GoalStatus::NotStarted)
            .collect();
        let count = |wanted: &[GoalStatus]| {
            goals
                .iter()
                .filter(|goal| wanted.contains(&goal.status))
                .count()
        };
        let net_roi_percent = writable_option(report.value.recognised_net_roi_percent);
        let show_roi = show_roi.unwrap_or(net_roi_percent.is_some_and(|roi| roi >= 0.0));
        ValueReport {
            account_name: view.account_name.clone(),
            as_of: report.as_of,
            contract_start: view.contract_start,
            success_score: writable_option(report.success_score),
            goals_total: goals.len(),
            goals_on_track_or_exceeded: count(&[GoalStatus::Achieved, GoalStatus::InProgress]),
            goals_achieved: count(&[GoalStatus::Achieved]),
            value_categories: report
                .value
                .categories
                .iter()
                .filter(|category| category.recognised_annual_value > 0.0)
                .map(|category| ReportValueCategory {
                    label: category.label.clone(),
                    recognised_annual_value: writable(category.recognised_annual_value),
                    confidence: category.confidence,
                })
                .collect(),
            recognised_annual_value: writable(report.value.total_recognised_annual_value),
            annual_value_when_achieved: writable(
                goals.iter().map(|goal| goal.annual_value).sum::<f64>(),
            ),
            investment: writable(report.value.investment),
            value_multiple: writable_option(report.value.recognised_value_multiple),
            net_roi_percent,
            show_roi,
            goals: goals
                .into_iter()
                .map(|goal| ReportGoal {
                    title: goal.title.clone(),
                    description: goal.description.clone(),
                    owner: goal.owner.clone(),
                    status: goal.status,
                    progress: writable_option(goal.progress),
                    target_date: goal.target_date,
                    annual_value: writable(goal.annual_value),
                    has_value: !goal.value_drivers.is_empty(),
                    recognised_percent: writable(goal.recognised_percent),
                    recognised_annual_value: writable(goal.recognised_annual_value),
                    metrics: goal
                        .metrics
                        .iter()
                        .map(|metric| ReportMetric {
                            name: metric.name.clone(),
                            unit: metric.unit.clone(),
                            baseline: writable_option(metric.baseline),
                            target: metric.target,
                            current: writable_option(metric.current),
                            progress: writable_option(metric.progress),
                            status: metric.status,
                            points: metric.trend.points.clone(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}
