//! Value (PRD-069, `definitions.md` §5): what each value driver is worth a
//! year, the value per category, net ROI and the value multiple — and how much
//! of that value is *recognised* as delivered, given the progress of the goal
//! it belongs to.
//!
//! Two figures, kept apart:
//! - **Identified** value is the contract's "value delivered": every driver's
//!   annual value, whatever its goal's progress (`annualValue`,
//!   `totalAnnualValue`, `netRoiPercent`, `valueMultiple`). It says what the
//!   goals are worth once achieved.
//! - **Recognised** value is the share of it the goal's progress backs (see
//!   [`recognised_percent`]): all of it once a goal is achieved, in proportion
//!   to its progress before then, none for a goal not started, without data or
//!   gone backwards. The customer-facing value report shows this one.

use serde::Serialize;

use crate::success::{Confidence, Goal, ValueDriver, ValueDriverKind};

impl ValueDriver {
    /// Annual value: time saved = hours per month × hourly rate × 12; cost
    /// reduction and revenue increase = amount per year; tools retired = their
    /// annual cost.
    pub fn annual_value(&self) -> f64 {
        match self.kind {
            ValueDriverKind::TimeSaved {
                hours_per_month,
                hourly_rate,
            } => hours_per_month * hourly_rate * 12.0,
            ValueDriverKind::CostReduction { amount_per_year }
            | ValueDriverKind::RevenueIncrease { amount_per_year } => amount_per_year,
            ValueDriverKind::ToolsRetired { annual_cost, .. } => annual_cost,
        }
    }

    /// The driver's label, or its kind's default label when it has none.
    pub fn category_label(&self) -> &str {
        let label = self.label.trim();
        if label.is_empty() {
            self.kind.default_label()
        } else {
            label
        }
    }
}

impl ValueDriverKind {
    /// "Time Savings", "Cost Reduction", "Revenue Increase", "Tool Consolidation".
    pub fn default_label(&self) -> &'static str {
        match self {
            ValueDriverKind::TimeSaved { .. } => "Time Savings",
            ValueDriverKind::CostReduction { .. } => "Cost Reduction",
            ValueDriverKind::RevenueIncrease { .. } => "Revenue Increase",
            ValueDriverKind::ToolsRetired { .. } => "Tool Consolidation",
        }
    }
}

/// The share (0–100) of a goal's value recognised as delivered, from the
/// goal's status and the progress of each of its metrics (`None`: no
/// progress; `has_value`: the metric has a current value).
///
/// - not started: 0, whatever its metrics say;
/// - otherwise the mean, over the metrics the goal's progress averages (those
///   with a current value; one without a baseline counting 0), of each
///   metric's progress **capped at 100**, then clamped to 0–100. So an
///   achieved goal (every metric at 100 or more) is recognised in full; a goal
///   in progress or at risk pro rata; a metric beyond its target cannot make
///   up for one behind; a goal gone backwards, or without any progress, gets
///   nothing. The share is never above the goal's progress clamped to 0–100.
pub fn recognised_percent(not_started: bool, metrics: &[(Option<f64>, bool)]) -> f64 {
    if not_started || metrics.iter().all(|(progress, _)| progress.is_none()) {
        return 0.0;
    }
    let capped: Vec<f64> = metrics
        .iter()
        .filter(|(_, has_value)| *has_value)
        .map(|(progress, _)| progress.unwrap_or(0.0).min(100.0))
        .collect();
    if capped.is_empty() {
        return 0.0;
    }
    let share = capped.iter().sum::<f64>() / capped.len() as f64;
    if share.is_finite() {
        share.clamp(0.0, 100.0)
    } else {
        0.0
    }
}

/// `annual_value` × `recognised_percent` ÷ 100.
pub fn recognised_value(annual_value: f64, recognised_percent: f64) -> f64 {
    annual_value * recognised_percent / 100.0
}

/// Lower is less confident.
fn confidence_rank(confidence: Confidence) -> u8 {
    match confidence {
        Confidence::Low => 0,
        Confidence::Medium => 1,
        Confidence::High => 2,
    }
}

/// Net ROI % = 100 × (value − investment) ÷ investment; `None` when the
/// investment is not a positive number.
pub fn net_roi_percent(value: f64, investment: f64) -> Option<f64> {
    positive(investment).then(|| 100.0 * (value - investment) / investment)
}

/// Value multiple = value ÷ investment; `None` when the investment is not a
/// positive number.
pub fn value_multiple(value: f64, investment: f64) -> Option<f64> {
    positive(investment).then(|| value / investment)
}

fn positive(number: f64) -> bool {
    number.is_finite() && number > 0.0
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValueCategory {
    pub label: String,
    /// The category's identified value: its drivers' annual value in full.
    pub annual_value: f64,
    /// The part of it recognised as delivered (each driver × its goal's
    /// recognised share).
    pub recognised_annual_value: f64,
    /// The lowest confidence among the category's drivers (a choice).
    pub confidence: Confidence,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValueSummary {
    /// In order of first appearance (goal order, then driver order).
    pub categories: Vec<ValueCategory>,
    /// The identified value (`definitions.md` §5's value delivered).
    pub total_annual_value: f64,
    /// The value recognised as delivered, given each goal's progress.
    pub total_recognised_annual_value: f64,
    /// The investment the ROI is computed on (the account's ARR by default).
    pub investment: f64,
    /// 100 × (value − investment) ÷ investment on the identified value. `null`
    /// when the investment is not positive or no value driver is defined.
    pub net_roi_percent: Option<f64>,
    /// value ÷ investment on the identified value, `null` under the same
    /// conditions.
    pub value_multiple: Option<f64>,
    /// Net ROI % on the recognised value, `null` under the same conditions.
    pub recognised_net_roi_percent: Option<f64>,
    /// The value multiple on the recognised value, `null` under the same
    /// conditions.
    pub recognised_value_multiple: Option<f64>,
}

/// Value identified and recognised per category and in total, with net ROI
/// and value multiple on each; `recognised[i]` is goal `i`'s recognised share
/// (0–100, [`recognised_percent`]).
pub fn summarise_value(goals: &[Goal], recognised: &[f64], investment: f64) -> ValueSummary {
    let mut categories: Vec<ValueCategory> = Vec::new();
    let mut drivers = 0usize;
    for (goal, share) in goals.iter().zip(recognised) {
        for driver in &goal.value_drivers {
            drivers += 1;
            let label = driver.category_label();
            let annual = driver.annual_value();
            let recognised = recognised_value(annual, *share);
            match categories
                .iter_mut()
                .find(|category| category.label == label)
            {
                Some(category) => {
                    category.annual_value += annual;
                    category.recognised_annual_value += recognised;
                    if confidence_rank(driver.confidence) < confidence_rank(category.confidence) {
                        category.confidence = driver.confidence;
                    }
                }
                None => categories.push(ValueCategory {
                    label: label.to_string(),
                    annual_value: annual,
                    recognised_annual_value: recognised,
                    confidence: driver.confidence,
                }),
            }
        }
    }
    let total: f64 = categories
        .iter()
        .map(|category| category.annual_value)
        .sum();
    let recognised_total: f64 = categories
        .iter()
        .map(|category| category.recognised_annual_value)
        .sum();
    let has_value = drivers > 0;
    ValueSummary {
        categories,
        total_annual_value: total,
        total_recognised_annual_value: recognised_total,
        investment,
        net_roi_percent: net_roi_percent(total, investment).filter(|_| has_value),
        value_multiple: value_multiple(total, investment).filter(|_| has_value),
        recognised_net_roi_percent: net_roi_percent(recognised_total, investment)
            .filter(|_| has_value),
        recognised_value_multiple: value_multiple(recognised_total, investment)
            .filter(|_| has_value),
    }
}
