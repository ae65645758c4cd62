//! Account success metrics (PRD-069, `definitions.md` §5): goals, their metrics
//! with a measurement history, value drivers, and (in `engine.rs`) progress,
//! status, success score, value identified and recognised (in `value.rs`) and
//! ROI, computed for any `as_of`.
//!
//! Types here are the stored shape: what the API accepts (camelCase JSON) and
//! the store keeps. Every figure derived from them is computed by the engine.

pub mod edit;
pub mod engine;
pub mod value;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::{CustomerId, string_enum};
use crate::time::Timestamp;

string_enum!(
    /// PRD-069's metric categories.
    MetricCategory, "category" {
        Operational => "operational", Financial => "financial", Quality => "quality",
        Adoption => "adoption", Satisfaction => "satisfaction",
    }
);
string_enum!(
    MetricDirection, "direction" {
        HigherIsBetter => "higher_is_better", LowerIsBetter => "lower_is_better",
    }
);
string_enum!(
    MetricFrequency, "frequency" {
        Daily => "daily", Weekly => "weekly", Monthly => "monthly", Quarterly => "quarterly",
    }
);
string_enum!(Confidence, "confidence" { High => "high", Medium => "medium", Low => "low" });

/// One recorded value of a metric. Every update is kept, so trends and
/// point-in-time views work: the metric's current value at `as_of` is the
/// latest measurement strictly before `as_of`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Measurement {
    pub at: Timestamp,
    pub value: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Metric {
    /// Unique within the account; assigned by the store when empty.
    #[serde(default)]
    pub id: String,
    pub category: MetricCategory,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// `None`: "Baseline not set. Cannot calculate progress."
    #[serde(default)]
    pub baseline: Option<f64>,
    pub target: f64,
    #[serde(default)]
    pub unit: String,
    pub direction: MetricDirection,
    #[serde(default)]
    pub data_source: String,
    #[serde(default = "default_frequency")]
    pub frequency: MetricFrequency,
    /// Every recorded value, in time order.
    #[serde(default)]
    pub history: Vec<Measurement>,
}

fn default_frequency() -> MetricFrequency {
    MetricFrequency::Monthly
}

/// What a goal is worth to the customer per year, with a confidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum ValueDriverKind {
    /// hours per month × hourly rate × 12.
    #[serde(rename = "time_saved", rename_all = "camelCase")]
    TimeSaved {
        hours_per_month: f64,
        hourly_rate: f64,
    },
    #[serde(rename = "cost_reduction", rename_all = "camelCase")]
    CostReduction { amount_per_year: f64 },
    #[serde(rename = "revenue_increase", rename_all = "camelCase")]
    RevenueIncrease { amount_per_year: f64 },
    /// The annual cost of the tools the customer retired.
    #[serde(rename = "tools_retired", rename_all = "camelCase")]
    ToolsRetired {
        annual_cost: f64,
        #[serde(default)]
        tools: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValueDriver {
    #[serde(flatten)]
    pub kind: ValueDriverKind,
    pub confidence: Confidence,
    /// A label for the value table ("Time Savings", "Error Reduction"…).
    #[serde(default)]
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Goal {
    /// Unique within the account; assigned by the store when empty.
    #[serde(default)]
    pub id: String,
    /// The account (its UUID), filled in by the store from the request path.
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub owner: String,
    pub start_date: NaiveDate,
    pub target_date: NaiveDate,
    /// Weight in the success score; equal weights by default.
    #[serde(default = "default_weight")]
    pub weight: f64,
    /// Intermediate review dates (upcoming milestones).
    #[serde(default)]
    pub checkpoints: Vec<NaiveDate>,
    #[serde(default)]
    pub value_drivers: Vec<ValueDriver>,
    #[serde(default)]
    pub metrics: Vec<Metric>,
}

fn default_weight() -> f64 {
    1.0
}
