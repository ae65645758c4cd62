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
    /// The customer view's traffic light over the listed goals.
    pub light: TrafficLight,
    /// The listed goals' checkpoints and target dates ahead (and the
    /// renewal), as the customer may read them.
    pub milestones: Vec<ReportMilestone>,
}

/// The customer view's traffic light (seed 004): green when every listed
/// goal is achieved or on its way, amber when some need attention, red when
/// most do (or one is past its target date unachieved); grey with no goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrafficLight {
    Green,
    Amber,
    Red,
    Grey,
}

impl TrafficLight {
    /// The light of goals with these statuses, `overdue` of them past
    /// their target date without being achieved.
    pub fn of(statuses: &[GoalStatus], overdue: usize) -> TrafficLight {
        let at_risk = statuses
            .iter()
            .filter(|status| **status == GoalStatus::AtRisk)
            .count();
        if statuses.is_empty() {
            TrafficLight::Grey
        } else if overdue > 0 || 2 * at_risk > statuses.len() {
            TrafficLight::Red
        } else if at_risk > 0 {
            TrafficLight::Amber
        } else {
            TrafficLight::Green
        }
    }
}

/// A milestone as the customer sees it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportMilestone {
    pub date: NaiveDate,
    pub label: String,
    pub status: Option<GoalStatus>,
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
        let statuses: Vec<GoalStatus> = goals.iter().map(|goal| goal.status).collect();
        let overdue = goals
            .iter()
            .filter(|goal| goal.past_target_date && goal.status != GoalStatus::Achieved)
            .count();
        // A milestone of a goal the report leaves out is left out too (by
        // the goal's id and title: the milestone's label starts with it).
        let left_out: Vec<&crate::success::engine::GoalView> = report
            .goals
            .iter()
            .filter(|goal| !include_not_started && goal.status == GoalStatus::NotStarted)
            .collect();
        let milestones = report
            .milestones
            .iter()
            .filter(|milestone| {
                !left_out.iter().any(|goal| {
                    milestone.goal_id.as_deref() == Some(goal.id.as_str())
                        && milestone.label.starts_with(&format!("{}: ", goal.title))
                })
            })
            .map(|milestone| ReportMilestone {
                date: milestone.date,
                label: milestone.label.clone(),
                status: milestone.status,
            })
            .collect();
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
            light: TrafficLight::of(&statuses, overdue),
            milestones,
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

#[cfg(test)]
mod light_tests {
    use super::*;

    #[test]
    fn the_light_is_green_amber_red_or_grey_by_the_goals() {
        use GoalStatus::*;
        assert_eq!(TrafficLight::of(&[], 0), TrafficLight::Grey);
        assert_eq!(
            TrafficLight::of(&[Achieved, InProgress, NotStarted], 0),
            TrafficLight::Green
        );
        assert_eq!(
            TrafficLight::of(&[Achieved, AtRisk, InProgress], 0),
            TrafficLight::Amber
        );
        assert_eq!(
            TrafficLight::of(&[AtRisk, AtRisk, InProgress], 0),
            TrafficLight::Red
        );
        // Half at risk is amber; one past its target date unachieved is red.
        assert_eq!(
            TrafficLight::of(&[AtRisk, InProgress], 0),
            TrafficLight::Amber
        );
        assert_eq!(
            TrafficLight::of(&[InProgress, Achieved], 1),
            TrafficLight::Red
        );
    }
}
