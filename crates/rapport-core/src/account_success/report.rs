//! The value report (PRD-069's "Generate Value Report"): what a CSM hands to the
//! customer's leadership. Built from the [`AccountSuccess`] every surface shows,
//! keeping only what is fit to share: no peer benchmark, no root causes, no
//! recommended actions, no internal messages.

use chrono::NaiveDate;
use serde::Serialize;

use super::AccountSuccess;
use crate::success::engine::{GoalStatus, MetricStatus, TrendPoint, ValueCategory};
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Serialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportGoal {
    pub title: String,
    pub description: String,
    pub owner: String,
    pub status: GoalStatus,
    pub progress: Option<f64>,
    pub target_date: NaiveDate,
    pub annual_value: f64,
    pub metrics: Vec<ReportMetric>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueReport {
    pub account_name: String,
    pub as_of: Timestamp,
    pub contract_start: Option<NaiveDate>,
    pub success_score: Option<f64>,
    pub goals_total: usize,
    pub goals_on_track_or_exceeded: usize,
    pub goals_achieved: usize,
    pub goals: Vec<ReportGoal>,
    pub value_categories: Vec<ValueCategory>,
    pub total_annual_value: f64,
    pub investment: f64,
    pub value_multiple: Option<f64>,
    pub net_roi_percent: Option<f64>,
}

impl From<&AccountSuccess> for ValueReport {
    fn from(view: &AccountSuccess) -> Self {
        let report = &view.report;
        ValueReport {
            account_name: view.account_name.clone(),
            as_of: report.as_of,
            contract_start: view.contract_start,
            success_score: report.success_score,
            goals_total: report.executive_summary.goals_total,
            goals_on_track_or_exceeded: report.executive_summary.goals_on_track_or_exceeded,
            goals_achieved: report.executive_summary.goals_achieved,
            goals: report
                .goals
                .iter()
                .map(|goal| ReportGoal {
                    title: goal.title.clone(),
                    description: goal.description.clone(),
                    owner: goal.owner.clone(),
                    status: goal.status,
                    progress: goal.progress,
                    target_date: goal.target_date,
                    annual_value: goal.annual_value,
                    metrics: goal
                        .metrics
                        .iter()
                        .map(|metric| ReportMetric {
                            name: metric.name.clone(),
                            unit: metric.unit.clone(),
                            baseline: metric.baseline,
                            target: metric.target,
                            current: metric.current,
                            progress: metric.progress,
                            status: metric.status,
                            points: metric.trend.points.clone(),
                        })
                        .collect(),
                })
                .collect(),
            value_categories: report.value.categories.clone(),
            total_annual_value: report.value.total_annual_value,
            investment: report.value.investment,
            value_multiple: report.value.value_multiple,
            net_roi_percent: report.value.net_roi_percent,
        }
    }
}
