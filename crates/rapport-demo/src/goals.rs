//! `goals.csv` (`docs/goals-csv.md`): PRD-069 success goals for a good share
//! of the accounts, with their metrics, a monthly (or quarterly) measurement
//! history and the value drivers the customer agreed to.
//!
//! Goals come from templates (reduce manual data entry, drive product
//! adoption, consolidate tools …), each with metrics in the five categories
//! and the value drivers that fit it. How far a metric has moved follows the
//! account's latent engagement: progress accumulates day by day at a pace set
//! by the engagement of the day (product engagement for adoption metrics,
//! communication for satisfaction, the overall level otherwise) and swings
//! with how far that engagement has moved since the goal started, so healthy
//! and improving accounts reach or beat their targets, declining ones stall
//! and slide back in their last months, and churned ones stop being measured
//! when they left.
//! Adoption metrics end where the account's product use is: weekly active
//! users and feature adoption are sized so that their latest value is what
//! the activity generator's model expects, so the metric agrees with the
//! usage the engine reads from `activities.jsonl`.
//!
//! Account #0 (Acme Corp) always has the goals of PRD-069's example: one
//! exceeding, one on track, one at risk with adoption metrics, one achieved,
//! worth $275,400 a year on its $150,000 ARR. Exactly one other account (the
//! first after Acme, not churned, with a goal of two measured metrics) has a
//! metric without a baseline; the caller asks for it with
//! [`leave_out_one_baseline`].

use std::io::Write;

use chrono::{Datelike, Days, NaiveDate};

use crate::activity::{active_share, feature_breadth, logins_per_week};
use crate::catalogue::FEATURES;
use crate::portfolio::{AccountPlan, Contact, Role, Tier};
use crate::sample::{DemoRng, chance, index, log_uniform, normal, pick, uniform, weighted};

/// The columns of goals.csv, in the documented order.
pub(crate) const GOAL_COLUMNS: [&str; COLUMN_COUNT] = [
    "account",
    "goal",
    "goal_id",
    "description",
    "owner",
    "start_date",
    "target_date",
    "weight",
    "checkpoints",
    "metric",
    "metric_id",
    "category",
    "metric_description",
    "baseline",
    "target",
    "unit",
    "direction",
    "data_source",
    "frequency",
    "current",
    "measured_at",
    "note",
    "value_kind",
    "value_amount",
    "hours_per_month",
    "hourly_rate",
    "tools_retired",
    "confidence",
    "value_label",
];

const COLUMN_COUNT: usize = 29;

/// A column of [`GOAL_COLUMNS`], by position. `goal_id` (2) and `metric_id`
/// (10) stay empty: a goal's title and a metric's name are their identities.
#[derive(Clone, Copy)]
enum Column {
    Account,
    Goal,
    Description = 3,
    Owner,
    StartDate,
    TargetDate,
    Weight,
    Checkpoints,
    Metric,
    Category = 11,
    MetricDescription,
    Baseline,
    Target,
    Unit,
    Direction,
    DataSource,
    Frequency,
    Current,
    MeasuredAt,
    Note,
    ValueKind,
    ValueAmount,
    HoursPerMonth,
    HourlyRate,
    ToolsRetired,
    Confidence,
    ValueLabel,
}

// ---------------------------------------------------------------------------
// Templates

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Category {
    Operational,
    Financial,
    Quality,
    Adoption,
    Satisfaction,
}

impl Category {
    fn as_str(self) -> &'static str {
        match self {
            Category::Operational => "operational",
            Category::Financial => "financial",
            Category::Quality => "quality",
            Category::Adoption => "adoption",
            Category::Satisfaction => "satisfaction",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    HigherIsBetter,
    LowerIsBetter,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::HigherIsBetter => "higher_is_better",
            Direction::LowerIsBetter => "lower_is_better",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Frequency {
    Monthly,
    Quarterly,
}

impl Frequency {
    fn as_str(self) -> &'static str {
        match self {
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
        }
    }
}

/// How a metric's baseline and target are sized.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Scale {
    /// Drawn from fixed ranges.
    Levels {
        baseline: (f64, f64),
        target: (f64, f64),
    },
    /// Team hours a week: the hours the goal's time-saved driver claims (or a
    /// few hours per seat), of which the target removes `reduction`.
    TeamHours {
        per_seat: (f64, f64),
        reduction: (f64, f64),
    },
    /// Weekly active users, ending where the account's product use is.
    WeeklyActiveUsers,
    /// Percent of the catalogue in use, ending where the account's product use is.
    FeatureAdoption,
}

pub(crate) struct MetricTemplate {
    pub name: &'static str,
    pub category: Category,
    unit: &'static str,
    pub direction: Direction,
    /// Decimals the values are written with.
    decimals: i32,
    frequency: Frequency,
    data_source: &'static str,
    description: &'static str,
    scale: Scale,
    /// The values the metric can take.
    bounds: (f64, f64),
}

const PERCENT: (f64, f64) = (0.0, 100.0);
const NON_NEGATIVE: (f64, f64) = (0.0, f64::INFINITY);

static MANUAL_ENTRY_HOURS: MetricTemplate = MetricTemplate {
    name: "Hours spent on manual data entry per week",
    category: Category::Operational,
    unit: "hours",
    direction: Direction::LowerIsBetter,
    decimals: 1,
    frequency: Frequency::Monthly,
    data_source: "Time-tracking export",
    description: "Team hours spent re-keying data by hand each week",
    scale: Scale::TeamHours {
        per_seat: (0.3, 1.2),
        reduction: (0.5, 0.75),
    },
    bounds: NON_NEGATIVE,
};

static REPORT_TIME: MetricTemplate = MetricTemplate {
    name: "Time to create monthly report",
    category: Category::Operational,
    unit: "hours",
    direction: Direction::LowerIsBetter,
    decimals: 1,
    frequency: Frequency::Monthly,
    data_source: "Reporting team log",
    description: "Hours an analyst needs to assemble the monthly reporting pack",
    scale: Scale::Levels {
        baseline: (4.0, 16.0),
        target: (1.0, 3.0),
    },
    bounds: NON_NEGATIVE,
};

static REPORTS_PER_WEEK: MetricTemplate = MetricTemplate {
    name: "Reports created per week",
    category: Category::Operational,
    unit: "reports",
    direction: Direction::HigherIsBetter,
    decimals: 0,
    frequency: Frequency::Monthly,
    data_source: "Product analytics",
    description: "Reports the team publishes in an average week",
    scale: Scale::Levels {
        baseline: (5.0, 15.0),
        target: (20.0, 40.0),
    },
    bounds: NON_NEGATIVE,
};

static RESOLUTION_TIME: MetricTemplate = MetricTemplate {
    name: "Support ticket resolution time",
    category: Category::Operational,
    unit: "hours",
    direction: Direction::LowerIsBetter,
    decimals: 1,
    frequency: Frequency::Monthly,
    data_source: "Helpdesk",
    description: "Median hours from a ticket being opened to it being solved",
    scale: Scale::Levels {
        baseline: (18.0, 60.0),
        target: (6.0, 14.0),
    },
    bounds: NON_NEGATIVE,
};

static MONTH_END_CLOSE: MetricTemplate = MetricTemplate {
    name: "Days to close the books each month",
    category: Category::Operational,
    unit: "days",
    direction: Direction::LowerIsBetter,
    decimals: 1,
    frequency: Frequency::Monthly,
    data_source: "Finance calendar",
    description: "Working days from month end to closed books",
    scale: Scale::Levels {
        baseline: (8.0, 14.0),
        target: (3.0, 6.0),
    },
    bounds: NON_NEGATIVE,
};

static ONBOARDING_DAYS: MetricTemplate = MetricTemplate {
    name: "Days to onboard a new team member",
    category: Category::Operational,
    unit: "days",
    direction: Direction::LowerIsBetter,
    decimals: 0,
    frequency: Frequency::Monthly,
    data_source: "HR onboarding tracker",
    description: "Days until a new hire works without help",
    scale: Scale::Levels {
        baseline: (20.0, 45.0),
        target: (7.0, 14.0),
    },
    bounds: NON_NEGATIVE,
};

static TASKS_PER_PERSON: MetricTemplate = MetricTemplate {
    name: "Tasks completed per person per day",
    category: Category::Operational,
    unit: "tasks",
    direction: Direction::HigherIsBetter,
    decimals: 1,
    frequency: Frequency::Monthly,
    data_source: "Workflow reports",
    description: "Tasks closed per team member on an average working day",
    scale: Scale::Levels {
        baseline: (10.0, 18.0),
        target: (20.0, 30.0),
    },
    bounds: NON_NEGATIVE,
};

static AUTOMATED_WORKFLOWS: MetricTemplate = MetricTemplate {
    name: "Automated workflows in production",
    category: Category::Operational,
    unit: "workflows",
    direction: Direction::HigherIsBetter,
    decimals: 0,
    frequency: Frequency::Monthly,
    data_source: "Product admin console",
    description: "Workflows that run without a person starting them",
    scale: Scale::Levels {
        baseline: (0.0, 3.0),
        target: (8.0, 20.0),
    },
    bounds: NON_NEGATIVE,
};

static LEGACY_TOOLS: MetricTemplate = MetricTemplate {
    name: "Legacy tools in use",
    category: Category::Operational,
    unit: "tools",
    direction: Direction::LowerIsBetter,
    decimals: 0,
    frequency: Frequency::Quarterly,
    data_source: "IT asset register",
    description: "Point tools still licensed for the work the platform replaces",
    scale: Scale::Levels {
        baseline: (4.0, 8.0),
        target: (1.0, 2.0),
    },
    bounds: NON_NEGATIVE,
};

static ERROR_RATE: MetricTemplate = MetricTemplate {
    name: "Data entry error rate",
    category: Category::Quality,
    unit: "%",
    direction: Direction::LowerIsBetter,
    decimals: 1,
    frequency: Frequency::Monthly,
    data_source: "Data quality audit",
    description: "Share of records with at least one field entered wrongly",
    scale: Scale::Levels {
        baseline: (5.0, 14.0),
        target: (1.0, 3.0),
    },
    bounds: PERCENT,
};

static MANUAL_CORRECTIONS: MetricTemplate = MetricTemplate {
    name: "Manual corrections per week",
    category: Category::Quality,
    unit: "corrections",
    direction: Direction::LowerIsBetter,
    decimals: 0,
    frequency: Frequency::Monthly,
    data_source: "Data quality audit",
    description: "Records fixed by hand after entry in an average week",
    scale: Scale::Levels {
        baseline: (25.0, 80.0),
        target: (3.0, 10.0),
    },
    bounds: NON_NEGATIVE,
};

static AUDIT_FINDINGS: MetricTemplate = MetricTemplate {
    name: "Audit findings per quarter",
    category: Category::Quality,
    unit: "findings",
    direction: Direction::LowerIsBetter,
    decimals: 0,
    frequency: Frequency::Quarterly,
    data_source: "Internal audit",
    description: "Findings raised by the quarterly data audit",
    scale: Scale::Levels {
        baseline: (8.0, 18.0),
        target: (2.0, 4.0),
    },
    bounds: NON_NEGATIVE,
};

static FIRST_CONTACT_RESOLUTION: MetricTemplate = MetricTemplate {
    name: "First-contact resolution rate",
    category: Category::Quality,
    unit: "%",
    direction: Direction::HigherIsBetter,
    decimals: 1,
    frequency: Frequency::Monthly,
    data_source: "Helpdesk",
    description: "Share of customer requests solved in the first reply",
    scale: Scale::Levels {
        baseline: (45.0, 62.0),
        target: (75.0, 88.0),
    },
    bounds: PERCENT,
};

static FORECAST_ACCURACY: MetricTemplate = MetricTemplate {
    name: "Forecast accuracy",
    category: Category::Quality,
    unit: "%",
    direction: Direction::HigherIsBetter,
    decimals: 1,
    frequency: Frequency::Monthly,
    data_source: "Planning system",
    description: "How close the monthly forecast came to the actuals",
    scale: Scale::Levels {
        baseline: (68.0, 80.0),
        target: (90.0, 96.0),
    },
    bounds: PERCENT,
};

static COST_PER_TRANSACTION: MetricTemplate = MetricTemplate {
    name: "Cost per transaction",
    category: Category::Financial,
    unit: "$",
    direction: Direction::LowerIsBetter,
    decimals: 2,
    frequency: Frequency::Monthly,
    data_source: "Finance system",
    description: "Fully loaded processing cost of one transaction",
    scale: Scale::Levels {
        baseline: (3.5, 9.0),
        target: (1.8, 3.0),
    },
    bounds: NON_NEGATIVE,
};

static COST_TO_SERVE: MetricTemplate = MetricTemplate {
    name: "Cost to serve per customer per month",
    category: Category::Financial,
    unit: "$",
    direction: Direction::LowerIsBetter,
    decimals: 0,
    frequency: Frequency::Monthly,
    data_source: "Finance system",
    description: "Support and operations cost of one end customer a month",
    scale: Scale::Levels {
        baseline: (45.0, 120.0),
        target: (25.0, 40.0),
    },
    bounds: NON_NEGATIVE,
};

static EXPANSION_PIPELINE: MetricTemplate = MetricTemplate {
    name: "Expansion pipeline generated per quarter",
    category: Category::Financial,
    unit: "$",
    direction: Direction::HigherIsBetter,
    decimals: 0,
    frequency: Frequency::Quarterly,
    data_source: "CRM",
    description: "New upsell and cross-sell pipeline opened in the quarter",
    scale: Scale::Levels {
        baseline: (60_000.0, 200_000.0),
        target: (250_000.0, 600_000.0),
    },
    bounds: NON_NEGATIVE,
};

static DAYS_SALES_OUTSTANDING: MetricTemplate = MetricTemplate {
    name: "Days sales outstanding",
    category: Category::Financial,
    unit: "days",
    direction: Direction::LowerIsBetter,
    decimals: 0,
    frequency: Frequency::Monthly,
    data_source: "Finance system",
    description: "Average days from invoice to cash",
    scale: Scale::Levels {
        baseline: (45.0, 70.0),
        target: (28.0, 38.0),
    },
    bounds: NON_NEGATIVE,
};

static WEEKLY_ACTIVE_USERS: MetricTemplate = MetricTemplate {
    name: "Weekly active users",
    category: Category::Adoption,
    unit: "users",
    direction: Direction::HigherIsBetter,
    decimals: 0,
    frequency: Frequency::Monthly,
    data_source: "Product analytics",
    description: "Licensed users who log in at least once a week",
    scale: Scale::WeeklyActiveUsers,
    bounds: NON_NEGATIVE,
};

static FEATURE_ADOPTION: MetricTemplate = MetricTemplate {
    name: "Feature adoption rate",
    category: Category::Adoption,
    unit: "%",
    direction: Direction::HigherIsBetter,
    decimals: 1,
    frequency: Frequency::Monthly,
    data_source: "Product analytics",
    description: "Share of the product's features the team uses regularly",
    scale: Scale::FeatureAdoption,
    bounds: PERCENT,
};

static TRAINING_COMPLETION: MetricTemplate = MetricTemplate {
    name: "Product training completion rate",
    category: Category::Adoption,
    unit: "%",
    direction: Direction::HigherIsBetter,
    decimals: 1,
    frequency: Frequency::Monthly,
    data_source: "Learning platform",
    description: "Share of licensed users who finished the product training",
    scale: Scale::Levels {
        baseline: (15.0, 40.0),
        target: (80.0, 95.0),
    },
    bounds: PERCENT,
};

static SELF_SERVICE_ADOPTION: MetricTemplate = MetricTemplate {
    name: "Self-service adoption rate",
    category: Category::Adoption,
    unit: "%",
    direction: Direction::HigherIsBetter,
    decimals: 1,
    frequency: Frequency::Monthly,
    data_source: "Product analytics",
    description: "Share of requests the team answers with self-service reports",
    scale: Scale::Levels {
        baseline: (15.0, 35.0),
        target: (60.0, 80.0),
    },
    bounds: PERCENT,
};

static CSAT: MetricTemplate = MetricTemplate {
    name: "CSAT",
    category: Category::Satisfaction,
    unit: "%",
    direction: Direction::HigherIsBetter,
    decimals: 1,
    frequency: Frequency::Monthly,
    data_source: "Post-ticket survey",
    description: "Share of surveyed customers who are satisfied or very satisfied",
    scale: Scale::Levels {
        baseline: (66.0, 80.0),
        target: (88.0, 95.0),
    },
    bounds: PERCENT,
};

static NPS: MetricTemplate = MetricTemplate {
    name: "Net Promoter Score",
    category: Category::Satisfaction,
    unit: "points",
    direction: Direction::HigherIsBetter,
    decimals: 0,
    frequency: Frequency::Quarterly,
    data_source: "Quarterly NPS survey",
    description: "Promoters minus detractors among the customer's own customers",
    scale: Scale::Levels {
        baseline: (-10.0, 25.0),
        target: (35.0, 55.0),
    },
    bounds: (-100.0, 100.0),
};

static TEAM_SATISFACTION: MetricTemplate = MetricTemplate {
    name: "Team satisfaction with tooling",
    category: Category::Satisfaction,
    unit: "points",
    direction: Direction::HigherIsBetter,
    decimals: 1,
    frequency: Frequency::Quarterly,
    data_source: "Quarterly staff survey (1–5)",
    description: "Average answer to \"our tools help me do my job\", from 1 to 5",
    scale: Scale::Levels {
        baseline: (2.6, 3.3),
        target: (4.0, 4.5),
    },
    bounds: (1.0, 5.0),
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DriverKind {
    TimeSaved,
    CostReduction,
    RevenueIncrease,
    ToolsRetired,
}

struct DriverTemplate {
    kind: DriverKind,
    label: &'static str,
}

const fn driver(kind: DriverKind, label: &'static str) -> DriverTemplate {
    DriverTemplate { kind, label }
}

struct GoalTemplate {
    title: &'static str,
    description: &'static str,
    /// The first is always tracked; others are added.
    metrics: &'static [&'static MetricTemplate],
    /// The value drivers that fit the goal: the first is its usual driver,
    /// the others are sometimes claimed as well.
    drivers: &'static [DriverTemplate],
    /// How often the goal is chosen compared with the others.
    popularity: f64,
}

static GOALS: &[GoalTemplate] = &[
    GoalTemplate {
        title: "Reduce manual data entry",
        description: "Replace spreadsheet re-keying with imports and integrations.",
        metrics: &[&MANUAL_ENTRY_HOURS, &ERROR_RATE, &MANUAL_CORRECTIONS],
        drivers: &[
            driver(DriverKind::TimeSaved, "Time Savings"),
            driver(DriverKind::CostReduction, "Error Reduction"),
        ],
        popularity: 3.0,
    },
    GoalTemplate {
        title: "Drive product adoption",
        description: "Get every licensed team working in the product every week.",
        metrics: &[
            &WEEKLY_ACTIVE_USERS,
            &FEATURE_ADOPTION,
            &TRAINING_COMPLETION,
        ],
        drivers: &[
            driver(DriverKind::TimeSaved, "Productivity Gains"),
            driver(DriverKind::ToolsRetired, "Tool Consolidation"),
        ],
        popularity: 3.0,
    },
    GoalTemplate {
        title: "Speed up support resolution",
        description: "Resolve customer tickets faster with shared dashboards and alerts.",
        metrics: &[&RESOLUTION_TIME, &FIRST_CONTACT_RESOLUTION, &CSAT],
        drivers: &[
            driver(DriverKind::TimeSaved, "Support Efficiency"),
            driver(DriverKind::RevenueIncrease, "Retention Revenue"),
        ],
        popularity: 2.0,
    },
    GoalTemplate {
        title: "Reduce reporting time",
        description: "Automate the monthly reporting pack.",
        metrics: &[&REPORT_TIME, &REPORTS_PER_WEEK, &MONTH_END_CLOSE],
        drivers: &[driver(DriverKind::TimeSaved, "Time Savings")],
        popularity: 2.0,
    },
    GoalTemplate {
        title: "Lower processing costs",
        description: "Cut what it costs to process each transaction and serve each customer.",
        metrics: &[
            &COST_PER_TRANSACTION,
            &COST_TO_SERVE,
            &DAYS_SALES_OUTSTANDING,
        ],
        drivers: &[driver(DriverKind::CostReduction, "Cost Savings")],
        popularity: 1.5,
    },
    GoalTemplate {
        title: "Improve data accuracy",
        description: "Catch bad records at entry instead of in the audit.",
        metrics: &[&ERROR_RATE, &AUDIT_FINDINGS, &FORECAST_ACCURACY],
        drivers: &[driver(DriverKind::CostReduction, "Error Reduction")],
        popularity: 1.5,
    },
    GoalTemplate {
        title: "Improve customer satisfaction",
        description: "Lift satisfaction scores by answering customers faster and better.",
        metrics: &[&CSAT, &NPS, &SELF_SERVICE_ADOPTION],
        drivers: &[driver(DriverKind::RevenueIncrease, "Retention Revenue")],
        popularity: 1.5,
    },
    GoalTemplate {
        title: "Consolidate tools",
        description: "Retire legacy point tools in favour of one platform.",
        metrics: &[&LEGACY_TOOLS, &COST_TO_SERVE],
        drivers: &[driver(DriverKind::ToolsRetired, "Tool Consolidation")],
        popularity: 1.0,
    },
    GoalTemplate {
        title: "Grow expansion revenue",
        description: "Use account insights to open more upsell and cross-sell pipeline.",
        metrics: &[&EXPANSION_PIPELINE, &FORECAST_ACCURACY],
        drivers: &[driver(DriverKind::RevenueIncrease, "Revenue Growth")],
        popularity: 1.0,
    },
    GoalTemplate {
        title: "Increase team efficiency",
        description: "Let each person finish more work with automated workflows.",
        metrics: &[
            &TASKS_PER_PERSON,
            &AUTOMATED_WORKFLOWS,
            &WEEKLY_ACTIVE_USERS,
        ],
        drivers: &[driver(DriverKind::TimeSaved, "Time Savings")],
        popularity: 1.5,
    },
    GoalTemplate {
        title: "Faster onboarding",
        description: "Get new hires productive sooner with guided training.",
        metrics: &[&ONBOARDING_DAYS, &TRAINING_COMPLETION, &TEAM_SATISFACTION],
        drivers: &[driver(DriverKind::TimeSaved, "Onboarding Time Savings")],
        popularity: 1.0,
    },
];

// ---------------------------------------------------------------------------
// Planned goals

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Confidence {
    High,
    Medium,
    Low,
}

impl Confidence {
    fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

/// A value driver with its figures, as written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum DriverValue {
    TimeSaved {
        hours_per_month: f64,
        hourly_rate: f64,
    },
    CostReduction {
        amount_per_year: f64,
    },
    RevenueIncrease {
        amount_per_year: f64,
    },
    ToolsRetired {
        annual_cost: f64,
        tools: u32,
    },
}

pub(crate) struct ValueDriver {
    pub value: DriverValue,
    confidence: Confidence,
    label: &'static str,
}

pub(crate) struct Measurement {
    pub date: NaiveDate,
    pub value: f64,
    note: Option<&'static str>,
}

pub(crate) struct MetricPlan {
    pub template: &'static MetricTemplate,
    pub baseline: Option<f64>,
    pub target: f64,
    /// Oldest first, every one before the end (and the churn date).
    pub measurements: Vec<Measurement>,
}

pub(crate) struct GoalPlan {
    pub title: &'static str,
    description: &'static str,
    owner: String,
    pub start: NaiveDate,
    pub target: NaiveDate,
    weight: f64,
    checkpoints: Vec<NaiveDate>,
    pub metrics: Vec<MetricPlan>,
    pub drivers: Vec<ValueDriver>,
}

/// The chance that an account has defined goals with us: bigger accounts get
/// more of the CSM's time, and engaged customers sit down to set goals more
/// readily than disengaged ones.
fn goal_probability(plan: &AccountPlan) -> f64 {
    let by_tier = match plan.tier {
        Tier::Strategic => 0.95,
        Tier::Growth => 0.85,
        Tier::Core => 0.66,
        Tier::Nurture => 0.46,
    };
    let by_engagement = 0.55 + 0.75 * plan.curve.base.min(0.8);
    let by_status = if plan.churn_date.is_some() { 0.5 } else { 1.0 };
    (by_tier * by_engagement * by_status).min(0.97)
}

/// How many goals an account with goals has: bigger accounts set more.
fn goal_count(rng: &mut DemoRng, tier: Tier) -> usize {
    let weights: [f64; 3] = match tier {
        Tier::Strategic => [0.0, 0.5, 0.5],
        Tier::Growth => [0.3, 0.45, 0.25],
        Tier::Core => [0.55, 0.4, 0.05],
        Tier::Nurture => [0.8, 0.2, 0.0],
    };
    1 + weighted(rng, weights.into_iter()).unwrap_or(0)
}

/// The account's goals (none for many accounts). Draws only from `rng`, the
/// account's goal stream.
pub(crate) fn plan_goals(plan: &AccountPlan, end: NaiveDate, rng: &mut DemoRng) -> Vec<GoalPlan> {
    if plan.index == 0 {
        return flagship_goals(plan, end, rng);
    }
    if !chance(rng, goal_probability(plan)) {
        return Vec::new();
    }
    let count = goal_count(rng, plan.tier);
    let mut available: Vec<&'static GoalTemplate> = GOALS.iter().collect();
    let mut goals = Vec::with_capacity(count);
    for _ in 0..count {
        let Some(position) = weighted(rng, available.iter().map(|goal| goal.popularity)) else {
            break;
        };
        let template = available.remove(position);
        if let Some(goal) = plan_goal(plan, end, template, rng) {
            goals.push(goal);
        }
    }
    goals
}

/// The span of a goal and the day its measurements stop (the end, or the day
/// a churned account left).
#[derive(Clone, Copy)]
struct GoalSpan {
    start: NaiveDate,
    target: NaiveDate,
    measured_until: NaiveDate,
}

fn draw_span(plan: &AccountPlan, end: NaiveDate, rng: &mut DemoRng) -> Option<GoalSpan> {
    let days = |low: f64, high: f64, rng: &mut DemoRng| Days::new(uniform(rng, low, high) as u64);
    let (start, target) = match plan.churn_date {
        Some(churn) => {
            let start = first_of_month(churn - days(90.0, 400.0, rng));
            (start, month_end(start + days(180.0, 400.0, rng)))
        }
        // Some goals are already past their target date.
        None if chance(rng, 0.15) => {
            let mut target = month_end(end - days(20.0, 150.0, rng));
            if target >= end {
                target = first_of_month(end).pred_opt()?;
            }
            (first_of_month(target - days(180.0, 365.0, rng)), target)
        }
        None => {
            // Most started within the last year; some before the window.
            let back = if chance(rng, 0.2) {
                days(365.0, 540.0, rng)
            } else {
                days(25.0, 365.0, rng)
            };
            let start = first_of_month(end - back);
            let mut target = month_end(end + days(20.0, 330.0, rng));
            if (target - start).num_days() < 150 {
                target = month_end(start + Days::new(180));
            }
            (start, target)
        }
    };
    // A goal is set once the customer has signed.
    let start = start.max(next_month(plan.contract_start));
    if (target - start).num_days() < 90 {
        return None;
    }
    let measured_until = plan.churn_date.map_or(end, |churn| churn.min(end));
    Some(GoalSpan {
        start,
        target,
        measured_until,
    })
}

fn plan_goal(
    plan: &AccountPlan,
    end: NaiveDate,
    template: &'static GoalTemplate,
    rng: &mut DemoRng,
) -> Option<GoalPlan> {
    let span = draw_span(plan, end, rng)?;
    let owner = owner(plan, rng);
    let weight = match crate::sample::unit(rng) {
        draw if draw < 0.2 => 2.0,
        draw if draw < 0.3 => 0.5,
        _ => 1.0,
    };
    let checkpoints = if chance(rng, 0.35) {
        quarter_checkpoints(span.start, span.target, 1 + index(rng, 3), rng)
    } else {
        Vec::new()
    };

    // How much value the customer credits us with follows how well the
    // account is doing: as a share of ARR, from a sliver to a multiple.
    let engagement_now = plan.curve.level(relative_day(span.measured_until, end));
    let mut drivers = Vec::new();
    if chance(rng, 0.72) {
        let extra = template.drivers.len() > 1 && chance(rng, 0.25);
        for (position, driver) in template.drivers.iter().enumerate() {
            if position == 0 || extra {
                let share = log_uniform(rng, 0.25, 3.0) * (0.3 + engagement_now);
                drivers.push(value_driver(driver, plan.arr as f64 * share, rng));
            }
        }
    }
    let hours_saved = drivers.iter().find_map(|driver| match driver.value {
        DriverValue::TimeSaved {
            hours_per_month, ..
        } => Some(hours_per_month),
        _ => None,
    });

    // Targets the customer set: ambitious ones are reached late, modest ones early.
    let goal_ambition = log_uniform(rng, 0.75, 1.4);
    let count =
        (1 + weighted(rng, [0.35, 0.45, 0.2].into_iter()).unwrap_or(0)).min(template.metrics.len());
    let mut chosen = vec![template.metrics[0]];
    let mut others: Vec<&'static MetricTemplate> = template.metrics[1..].to_vec();
    while chosen.len() < count {
        chosen.push(others.remove(index(rng, others.len())));
    }
    let metrics = chosen
        .into_iter()
        .map(|metric| {
            let setup = MetricSetup {
                template: metric,
                levels: None,
                pace: Pace::Engagement(goal_ambition * log_uniform(rng, 0.85, 1.15)),
                cap: uniform(rng, 1.1, 1.6),
                noise: uniform(rng, 0.02, 0.05),
            };
            let mut metric = plan_metric(plan, end, &span, &setup, hours_saved, rng);
            // A few metrics are defined but not measured yet.
            if chance(rng, 0.04) {
                metric.measurements.clear();
            }
            metric
        })
        .collect();
    Some(GoalPlan {
        title: template.title,
        description: template.description,
        owner,
        start: span.start,
        target: span.target,
        weight,
        checkpoints,
        metrics,
        drivers,
    })
}

/// The customer-side owner: a champion, executive, admin or power user.
fn owner(plan: &AccountPlan, rng: &mut DemoRng) -> String {
    let candidates: Vec<&Contact> = plan
        .contacts
        .iter()
        .filter(|contact| {
            matches!(
                contact.role,
                Role::Champion | Role::Executive | Role::Admin | Role::PowerUser
            )
        })
        .collect();
    let contact = if candidates.is_empty() {
        plan.contacts.first()
    } else {
        Some(*pick(rng, &candidates))
    };
    contact.map_or_else(String::new, owner_name)
}

fn owner_name(contact: &Contact) -> String {
    format!("{} ({})", contact.name, contact.title)
}

/// Up to `count` quarter ends strictly between the start and the target date.
fn quarter_checkpoints(
    start: NaiveDate,
    target: NaiveDate,
    count: usize,
    rng: &mut DemoRng,
) -> Vec<NaiveDate> {
    let mut quarter_ends = Vec::new();
    let mut date = quarter_end(start);
    while date < target {
        if date > start {
            quarter_ends.push(date);
        }
        date = quarter_end(next_day(date));
    }
    while quarter_ends.len() > count {
        quarter_ends.remove(index(rng, quarter_ends.len()));
    }
    quarter_ends
}

fn value_driver(template: &DriverTemplate, annual_value: f64, rng: &mut DemoRng) -> ValueDriver {
    let (value, confidence_weights) = match template.kind {
        DriverKind::TimeSaved => {
            let hourly_rate = *pick(rng, &[45.0, 55.0, 60.0, 65.0, 75.0, 85.0, 95.0]);
            let hours_per_month = round_to(annual_value / (hourly_rate * 12.0), 1).max(1.0);
            (
                DriverValue::TimeSaved {
                    hours_per_month,
                    hourly_rate,
                },
                [0.45, 0.45, 0.1],
            )
        }
        DriverKind::CostReduction => (
            DriverValue::CostReduction {
                amount_per_year: round_dollars(annual_value),
            },
            [0.3, 0.5, 0.2],
        ),
        DriverKind::RevenueIncrease => (
            DriverValue::RevenueIncrease {
                amount_per_year: round_dollars(annual_value),
            },
            [0.15, 0.45, 0.4],
        ),
        DriverKind::ToolsRetired => (
            DriverValue::ToolsRetired {
                annual_cost: round_dollars(annual_value),
                tools: 1 + index(rng, 4) as u32,
            },
            [0.7, 0.3, 0.0],
        ),
    };
    let confidence = match weighted(rng, confidence_weights.into_iter()) {
        Some(0) => Confidence::High,
        Some(2) => Confidence::Low,
        _ => Confidence::Medium,
    };
    ValueDriver {
        value,
        confidence,
        label: template.label,
    }
}

/// An estimate in dollars: to the hundred, at least $500.
fn round_dollars(amount: f64) -> f64 {
    ((amount / 100.0).round() * 100.0).max(500.0)
}

// ---------------------------------------------------------------------------
// Metric trajectories

/// How fast a metric moves towards its target.
#[derive(Clone, Copy, Debug)]
enum Pace {
    /// The engagement of each day sets the pace, times this ambition factor
    /// (1: an account steady at engagement 0.5 reaches the target on its date).
    Engagement(f64),
    /// The engagement sets the shape, scaled to arrive at this progress
    /// (a fraction of the way) at the last measurement.
    Reach(f64),
}

struct MetricSetup {
    template: &'static MetricTemplate,
    /// Baseline and target when they are given rather than sized by the template.
    levels: Option<(f64, f64)>,
    pace: Pace,
    /// The most progress (a fraction of the way) the metric reaches.
    cap: f64,
    /// Spread of the measurement noise, as a fraction of the way.
    noise: f64,
}

/// The least progress (a fraction of the way): a metric can slide back
/// below its baseline, but not without end.
const PROGRESS_FLOOR: f64 = -0.35;

/// Progress per day as a multiple of the steady pace that reaches the target
/// on its date, by engagement: backwards when disengaged, stalled at 0.2, on
/// pace at 0.5, faster for the most engaged accounts.
fn speed(engagement: f64) -> f64 {
    const POINTS: [(f64, f64); 6] = [
        (0.0, -0.5),
        (0.2, 0.0),
        (0.3, 0.4),
        (0.5, 1.0),
        (0.7, 1.35),
        (1.0, 1.6),
    ];
    let engagement = engagement.clamp(0.0, 1.0);
    POINTS
        .windows(2)
        .find(|pair| engagement <= pair[1].0)
        .map_or(POINTS[5].1, |pair| {
            let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
            y0 + (y1 - y0) * (engagement - x0) / (x1 - x0)
        })
}

/// Days relative to the end (negative before it), at midday as the
/// activity generator reckons them.
fn relative_day(date: NaiveDate, end: NaiveDate) -> f64 {
    (date - end).num_days() as f64 + 0.5
}

/// The engagement that moves a metric of this category on `relative_day`.
fn engagement(plan: &AccountPlan, category: Category, relative_day: f64) -> f64 {
    match category {
        Category::Adoption => plan.curve.product(relative_day),
        Category::Satisfaction => plan.curve.communication(relative_day),
        Category::Operational | Category::Financial | Category::Quality => {
            plan.curve.level(relative_day)
        }
    }
}

/// How directly a metric of this category moves with the engagement of the
/// day, beyond the progress built up: usage and sentiment follow it at once,
/// process figures lag it.
fn responsiveness(category: Category) -> f64 {
    match category {
        Category::Adoption => 1.0,
        Category::Satisfaction => 0.8,
        Category::Operational | Category::Financial | Category::Quality => 0.6,
    }
}

/// Progress (a fraction of the way from baseline to target) on each of
/// `dates` (ascending): what was built up day by day from the start date at
/// the pace of each day's engagement, plus how far the engagement of the day
/// stands above (or below) where it was at the start.
fn progress_path(
    plan: &AccountPlan,
    end: NaiveDate,
    category: Category,
    span: &GoalSpan,
    ambition: f64,
    cap: f64,
    dates: &[NaiveDate],
) -> Vec<f64> {
    let duration = (span.target - span.start).num_days().max(30) as f64;
    let engagement_at = |date: NaiveDate| engagement(plan, category, relative_day(date, end));
    let at_start = engagement_at(span.start);
    let mut built_up: f64 = 0.0;
    let mut day = span.start;
    let mut path = Vec::with_capacity(dates.len());
    for &date in dates {
        while day < date {
            let pace = ambition * speed(engagement_at(day));
            built_up = (built_up + pace / duration).clamp(PROGRESS_FLOOR, cap);
            day = next_day(day);
        }
        let swing = responsiveness(category) * (engagement_at(date) - at_start);
        path.push((built_up + swing).clamp(PROGRESS_FLOOR, cap));
    }
    path
}

/// Month ends (or quarter ends) from the goal's start while before
/// `span.measured_until`; now and then a month is missed.
fn measurement_dates(frequency: Frequency, span: &GoalSpan, rng: &mut DemoRng) -> Vec<NaiveDate> {
    let mut dates = Vec::new();
    let mut date = match frequency {
        Frequency::Monthly => month_end(span.start),
        Frequency::Quarterly => quarter_end(span.start + Days::new(30)),
    };
    while date < span.measured_until {
        dates.push(date);
        date = match frequency {
            Frequency::Monthly => month_end(next_day(date)),
            Frequency::Quarterly => quarter_end(next_day(date)),
        };
    }
    let last = dates.len().saturating_sub(1);
    let mut position = 0;
    dates.retain(|_| {
        let keep = position == last || !chance(rng, 0.05);
        position += 1;
        keep
    });
    dates
}

/// The users the account's product users amount to: its seats, or everyone
/// with access when the seat count is unknown.
fn user_base(plan: &AccountPlan) -> f64 {
    f64::from(plan.seats.unwrap_or(plan.users.len() as u32))
}

/// Weekly active users the activity generator's model expects on `relative_day`.
fn modelled_weekly_active_users(plan: &AccountPlan, relative_day: f64) -> f64 {
    let engagement = plan.curve.product(relative_day);
    let share = active_share(plan.tier, engagement);
    let logins = logins_per_week(engagement);
    plan.users
        .iter()
        .filter(|user| user.pool_rank < share)
        .filter(|user| {
            user.contact.is_none_or(|contact| {
                plan.contacts[usize::from(contact)].reachable_at(relative_day)
            })
        })
        .map(|user| 1.0 - (-logins * user.intensity).exp())
        .sum()
}

/// Percent of the catalogue the activity generator's model has in use on `relative_day`.
fn modelled_feature_adoption(plan: &AccountPlan, relative_day: f64) -> f64 {
    let breadth = feature_breadth(plan.curve.product(relative_day));
    let adopted = plan
        .feature_thresholds
        .iter()
        .filter(|threshold| **threshold < breadth)
        .count();
    100.0 * adopted as f64 / FEATURES.len() as f64
}

/// Baseline and target of a metric that must end near `modelled` after
/// `progress` of the way: `gap` apart, inside `[floor, ceiling]` where it can.
fn pinned_levels(modelled: f64, progress: f64, gap: f64, floor: f64, ceiling: f64) -> (f64, f64) {
    let mut gap = gap;
    if progress < 1.0 {
        gap = gap.min((ceiling - modelled) / (1.0 - progress));
    }
    if progress > 0.0 {
        gap = gap.min((modelled - floor) / progress);
    }
    let gap = gap.max(0.1 * (ceiling - floor).min(100.0));
    let baseline = (modelled - gap * progress).clamp(floor, ceiling);
    (baseline, (baseline + gap).min(ceiling))
}

/// The best value that stays plausible: a lower-is-better metric beats its
/// target by at most half the target, a higher-is-better one by 60 % of the
/// way from the baseline, both inside the metric's bounds.
fn best_value(template: &MetricTemplate, baseline: f64, target: f64) -> f64 {
    match template.direction {
        Direction::LowerIsBetter => (0.5 * target).max(template.bounds.0),
        Direction::HigherIsBetter => (target + 0.6 * (target - baseline)).min(template.bounds.1),
    }
}

/// The progress (a fraction of the way) at [`best_value`]; at least 1.
fn most_progress(template: &MetricTemplate, baseline: f64, target: f64) -> f64 {
    if target == baseline {
        return 1.0;
    }
    let best = best_value(template, baseline, target);
    ((best - baseline) / (target - baseline)).max(1.0)
}

fn plan_metric(
    plan: &AccountPlan,
    end: NaiveDate,
    span: &GoalSpan,
    setup: &MetricSetup,
    hours_saved_per_month: Option<f64>,
    rng: &mut DemoRng,
) -> MetricPlan {
    let template = setup.template;
    let dates = measurement_dates(template.frequency, span, rng);
    // Levels that do not depend on how far the metric gets are drawn first,
    // so the progress can stop where the values stay plausible.
    let drawn = match (setup.levels, template.scale) {
        (Some(levels), _) => Some(levels),
        (None, Scale::Levels { baseline, target }) => Some((
            uniform(rng, baseline.0, baseline.1),
            uniform(rng, target.0, target.1),
        )),
        (
            None,
            Scale::TeamHours {
                per_seat,
                reduction,
            },
        ) => {
            let reduction = uniform(rng, reduction.0, reduction.1);
            let baseline = match hours_saved_per_month {
                // The hours the time-saved driver claims, as a share of today's.
                Some(hours) => hours / WEEKS_PER_MONTH / reduction,
                None => (user_base(plan) * uniform(rng, per_seat.0, per_seat.1)).max(4.0),
            };
            Some((baseline, baseline * (1.0 - reduction)))
        }
        (None, Scale::WeeklyActiveUsers | Scale::FeatureAdoption) => None,
    };
    let cap = drawn.map_or(setup.cap, |(baseline, target)| {
        setup.cap.min(most_progress(template, baseline, target))
    });
    let path_with =
        |ambition: f64| progress_path(plan, end, template.category, span, ambition, cap, &dates);
    let path = match setup.pace {
        Pace::Engagement(ambition) => path_with(ambition),
        Pace::Reach(progress) => {
            let latest = |path: Vec<f64>| path.last().copied().unwrap_or(0.0);
            let swing = latest(path_with(0.0));
            let built_up = latest(path_with(1.0)) - swing;
            path_with(if built_up > 0.01 {
                (progress - swing) / built_up
            } else {
                1.0
            })
        }
    };
    let latest_progress = path.last().copied().unwrap_or(0.0);
    let latest_day = relative_day(*dates.last().unwrap_or(&span.start), end);
    let (baseline, target) = drawn.unwrap_or_else(|| {
        if template.scale == Scale::FeatureAdoption {
            pinned_levels(
                modelled_feature_adoption(plan, latest_day),
                latest_progress,
                uniform(rng, 15.0, 35.0),
                0.0,
                100.0,
            )
        } else {
            let users = user_base(plan);
            // At least two: an account of one user (`Variation::max_users`)
            // can still aim for a second.
            let most_active = (users * plan.tier.max_active_share()).max(2.0);
            pinned_levels(
                modelled_weekly_active_users(plan, latest_day),
                latest_progress,
                users * uniform(rng, 0.15, 0.35),
                1.0,
                most_active,
            )
        }
    });
    let decimals = template.decimals;
    let baseline = round_to(baseline, decimals);
    let mut target = round_to(target, decimals);
    if target == baseline {
        // Rounding must not leave the metric without a way to go.
        let step = 10f64.powi(-decimals);
        target = match template.direction {
            Direction::HigherIsBetter => baseline + step,
            Direction::LowerIsBetter => baseline - step,
        };
    }

    let best = best_value(template, baseline, target);
    let mut wobble = 0.0;
    let measurements = dates
        .iter()
        .zip(&path)
        .map(|(&date, &progress)| {
            wobble = 0.5 * wobble + normal(rng, 0.0, setup.noise);
            let raw = baseline + (target - baseline) * (progress + wobble);
            let raw = match template.direction {
                Direction::LowerIsBetter => raw.max(best),
                Direction::HigherIsBetter => raw.min(best),
            };
            let value = round_to(raw.clamp(template.bounds.0, template.bounds.1), decimals);
            let note = if chance(rng, 0.06) {
                Some(*pick(rng, NOTES))
            } else {
                None
            };
            Measurement { date, value, note }
        })
        .collect();
    MetricPlan {
        template,
        baseline: Some(baseline),
        target,
        measurements,
    }
}

const WEEKS_PER_MONTH: f64 = 4.33;

const NOTES: &[&str] = &[
    "Reviewed at QBR",
    "Reported by the goal owner",
    "From the customer's monthly export",
    "Estimate; full figures next month",
];

// ---------------------------------------------------------------------------
// Acme Corp

/// One of Acme Corp's goals, before its metrics are measured.
struct FlagshipGoal {
    title: &'static str,
    description: &'static str,
    owner: String,
    span: GoalSpan,
    checkpoints: Vec<NaiveDate>,
    metrics: Vec<MetricSetup>,
    drivers: Vec<ValueDriver>,
}

/// PRD-069's worked example: reporting time beaten, data accuracy on track,
/// team efficiency at risk on adoption, tools consolidated; $275,400 of value.
fn flagship_goals(plan: &AccountPlan, end: NaiveDate, rng: &mut DemoRng) -> Vec<GoalPlan> {
    let owner_with = |role: Role| {
        plan.contacts
            .iter()
            .find(|contact| contact.role == role)
            .or_else(|| {
                plan.contacts
                    .iter()
                    .find(|contact| contact.role != Role::Champion)
            })
            .map_or_else(String::new, owner_name)
    };
    let earliest = next_month(plan.contract_start);
    // Starts `back` days before the end, due `ahead` days after it (before when negative).
    let span = |back: u64, ahead: i64| {
        let start = first_of_month(end - Days::new(back)).max(earliest);
        let target = if ahead >= 0 {
            month_end(end + Days::new(ahead as u64))
        } else {
            month_end(end - Days::new(ahead.unsigned_abs()))
        };
        GoalSpan {
            start,
            target,
            measured_until: end,
        }
    };
    // `reach`: the fraction of the way the metric has come by its latest measurement.
    let metric = |template, levels, reach: f64| MetricSetup {
        template,
        levels,
        pace: Pace::Reach(reach),
        cap: 2.0,
        noise: 0.015,
    };
    let time_saved = |hours_per_month, label| ValueDriver {
        value: DriverValue::TimeSaved {
            hours_per_month,
            hourly_rate: 60.0,
        },
        confidence: Confidence::High,
        label,
    };

    let efficiency = span(210, 160);
    let goals = [
        FlagshipGoal {
            title: "Reduce reporting time",
            description: "Automate the monthly reporting pack so analysts stop building it by hand.",
            owner: owner_with(Role::Champion),
            span: span(330, 45),
            checkpoints: Vec::new(),
            metrics: vec![
                metric(&REPORT_TIME, Some((4.0, 2.0)), 1.4),
                metric(&REPORTS_PER_WEEK, Some((10.0, 25.0)), 1.35),
            ],
            drivers: vec![time_saved(140.0, "Time Savings")],
        },
        FlagshipGoal {
            title: "Improve data accuracy",
            description: "Catch bad records at entry instead of in the audit.",
            owner: owner_with(Role::Executive),
            span: span(270, 100),
            checkpoints: Vec::new(),
            metrics: vec![
                metric(&ERROR_RATE, Some((12.0, 2.0)), 0.84),
                metric(&MANUAL_CORRECTIONS, Some((45.0, 5.0)), 0.8),
            ],
            drivers: vec![ValueDriver {
                value: DriverValue::CostReduction {
                    amount_per_year: 64_800.0,
                },
                confidence: Confidence::Medium,
                label: "Error Reduction",
            }],
        },
        FlagshipGoal {
            title: "Increase team efficiency",
            description: "Get the whole team working in the product and automate the routine steps.",
            owner: owner_with(Role::Admin),
            span: efficiency,
            checkpoints: quarter_checkpoints(efficiency.start, efficiency.target, 3, rng),
            metrics: vec![
                metric(&TASKS_PER_PERSON, Some((15.0, 25.0)), 0.3),
                metric(&WEEKLY_ACTIVE_USERS, None, 0.32),
                metric(&FEATURE_ADOPTION, None, 0.3),
            ],
            drivers: vec![time_saved(90.0, "Time Savings")],
        },
        FlagshipGoal {
            title: "Consolidate tools",
            description: "Retire legacy point tools in favour of one platform.",
            owner: owner_with(Role::Executive),
            span: span(450, -45),
            checkpoints: Vec::new(),
            // Reaches its target months before the end and stays there.
            metrics: vec![MetricSetup {
                cap: 1.0,
                noise: 0.0,
                ..metric(&LEGACY_TOOLS, Some((5.0, 2.0)), 1.3)
            }],
            drivers: vec![ValueDriver {
                value: DriverValue::ToolsRetired {
                    annual_cost: 45_000.0,
                    tools: 3,
                },
                confidence: Confidence::High,
                label: "Tool Consolidation",
            }],
        },
    ];
    goals
        .into_iter()
        .map(|goal| GoalPlan {
            title: goal.title,
            description: goal.description,
            owner: goal.owner,
            start: goal.span.start,
            target: goal.span.target,
            weight: 1.0,
            checkpoints: goal.checkpoints,
            metrics: goal
                .metrics
                .iter()
                .map(|setup| plan_metric(plan, end, &goal.span, setup, None, rng))
                .collect(),
            drivers: goal.drivers,
        })
        .collect()
}

/// Removes the baseline of one measured metric, in a goal that keeps at
/// least one other measured metric, so the portfolio shows "Baseline not
/// set" once beside figures that still add up; false when no goal qualifies.
pub(crate) fn leave_out_one_baseline(goals: &mut [GoalPlan]) -> bool {
    let measured = |metric: &MetricPlan| !metric.measurements.is_empty();
    let goal = goals.iter_mut().find(|goal| {
        goal.metrics
            .iter()
            .filter(|metric| measured(metric))
            .count()
            >= 2
    });
    match goal.and_then(|goal| goal.metrics.iter_mut().find(|metric| measured(metric))) {
        Some(metric) => {
            metric.baseline = None;
            true
        }
        None => false,
    }
}

// ---------------------------------------------------------------------------
// Writing

/// One row of goals.csv, cell by cell.
struct Row {
    cells: [String; COLUMN_COUNT],
}

impl Row {
    fn new(account: &str, goal: &str) -> Row {
        let mut row = Row {
            cells: std::array::from_fn(|_| String::new()),
        };
        row.set(Column::Account, account);
        row.set(Column::Goal, goal);
        row
    }

    fn set(&mut self, column: Column, value: impl Into<String>) {
        self.cells[column as usize] = value.into();
    }
}

/// Writes the account's goals: one row per measurement (or one for a metric
/// not measured yet), the goal's definition on its first row, each metric's
/// on its first row, value drivers on the goal's first rows.
pub(crate) fn write_goals<W: Write>(
    writer: &mut csv::Writer<W>,
    account: &str,
    goals: &[GoalPlan],
) -> Result<(), csv::Error> {
    for goal in goals {
        let mut rows = Vec::new();
        for metric in &goal.metrics {
            let template = metric.template;
            let mut metric_rows = Vec::with_capacity(metric.measurements.len().max(1));
            if metric.measurements.is_empty() {
                metric_rows.push(Row::new(account, goal.title));
            }
            for measurement in &metric.measurements {
                let mut row = Row::new(account, goal.title);
                row.set(Column::Current, fixed(measurement.value, template.decimals));
                row.set(Column::MeasuredAt, measurement.date.to_string());
                if let Some(note) = measurement.note {
                    row.set(Column::Note, note);
                }
                metric_rows.push(row);
            }
            for row in &mut metric_rows {
                row.set(Column::Metric, template.name);
            }
            let first = &mut metric_rows[0];
            first.set(Column::Category, template.category.as_str());
            first.set(Column::MetricDescription, template.description);
            if let Some(baseline) = metric.baseline {
                first.set(Column::Baseline, fixed(baseline, template.decimals));
            }
            first.set(Column::Target, fixed(metric.target, template.decimals));
            first.set(Column::Unit, template.unit);
            first.set(Column::Direction, template.direction.as_str());
            first.set(Column::DataSource, template.data_source);
            first.set(Column::Frequency, template.frequency.as_str());
            rows.extend(metric_rows);
        }
        while rows.len() < goal.drivers.len().max(1) {
            rows.push(Row::new(account, goal.title));
        }
        let first = &mut rows[0];
        first.set(Column::Description, goal.description);
        first.set(Column::Owner, goal.owner.as_str());
        first.set(Column::StartDate, goal.start.to_string());
        first.set(Column::TargetDate, goal.target.to_string());
        first.set(Column::Weight, goal.weight.to_string());
        let checkpoints: Vec<String> = goal.checkpoints.iter().map(|d| d.to_string()).collect();
        first.set(Column::Checkpoints, checkpoints.join(";"));
        for (row, driver) in rows.iter_mut().zip(&goal.drivers) {
            write_driver(row, driver);
        }
        for row in &rows {
            writer.write_record(&row.cells)?;
        }
    }
    Ok(())
}

fn write_driver(row: &mut Row, driver: &ValueDriver) {
    let kind = match driver.value {
        DriverValue::TimeSaved {
            hours_per_month,
            hourly_rate,
        } => {
            row.set(Column::HoursPerMonth, fixed(hours_per_month, 1));
            row.set(Column::HourlyRate, fixed(hourly_rate, 0));
            "time_saved"
        }
        DriverValue::CostReduction { amount_per_year } => {
            row.set(Column::ValueAmount, fixed(amount_per_year, 0));
            "cost_reduction"
        }
        DriverValue::RevenueIncrease { amount_per_year } => {
            row.set(Column::ValueAmount, fixed(amount_per_year, 0));
            "revenue_increase"
        }
        DriverValue::ToolsRetired { annual_cost, tools } => {
            row.set(Column::ValueAmount, fixed(annual_cost, 0));
            row.set(Column::ToolsRetired, tools.to_string());
            "tools_retired"
        }
    };
    row.set(Column::ValueKind, kind);
    row.set(Column::Confidence, driver.confidence.as_str());
    row.set(Column::ValueLabel, driver.label);
}

// ---------------------------------------------------------------------------
// Numbers and dates

fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    // + 0.0 turns a rounded −0 into 0.
    (value * scale).round() / scale + 0.0
}

/// `value` with exactly `decimals` decimals.
fn fixed(value: f64, decimals: i32) -> String {
    let decimals = decimals.max(0) as usize;
    format!("{:.decimals$}", round_to(value, decimals as i32))
}

fn next_day(date: NaiveDate) -> NaiveDate {
    date + Days::new(1)
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).expect("every month has a first day")
}

/// The first day of the month after `date`'s.
fn next_month(date: NaiveDate) -> NaiveDate {
    let (year, month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1).expect("the first of a month exists")
}

fn month_end(date: NaiveDate) -> NaiveDate {
    next_month(date) - Days::new(1)
}

fn quarter_end(date: NaiveDate) -> NaiveDate {
    let last_month = (date.month() - 1) / 3 * 3 + 3;
    let first =
        NaiveDate::from_ymd_opt(date.year(), last_month, 1).expect("a quarter's last month");
    month_end(first)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::DemoConfig;
    use crate::activity::midnight;
    use crate::event::Kind;
    use crate::portfolio::{Drift, NameRegistry, PlanContext, Team, plan_account};
    use crate::realism::accounts;
    use crate::sample::{account_rng, team_rng};

    fn config(accounts: usize, days: u32) -> DemoConfig {
        DemoConfig {
            accounts,
            days,
            ..DemoConfig::default()
        }
    }

    /// The account plans alone, as `generate_into` makes them.
    fn plans(config: &DemoConfig) -> Vec<AccountPlan> {
        let team = Team::new(&mut team_rng(config.seed), config.accounts);
        let context = PlanContext {
            accounts: config.accounts,
            days: config.days,
            end: config.end,
            team: &team,
        };
        let mut names = NameRegistry::new();
        (0..config.accounts)
            .map(|index| {
                plan_account(
                    index,
                    &context,
                    &mut names,
                    &mut account_rng(config.seed, index),
                )
            })
            .collect()
    }

    fn mean(values: &[f64]) -> f64 {
        values.iter().sum::<f64>() / values.len() as f64
    }

    #[test]
    fn columns_name_their_positions() {
        let named = |column: Column| GOAL_COLUMNS[column as usize];
        assert_eq!(named(Column::Description), "description");
        assert_eq!(named(Column::Metric), "metric");
        assert_eq!(named(Column::Category), "category");
        assert_eq!(named(Column::Current), "current");
        assert_eq!(named(Column::ValueKind), "value_kind");
        assert_eq!(named(Column::ValueLabel), "value_label");
    }

    #[test]
    fn progress_follows_the_engagement_curve() {
        // One goal for every account: started 300 days before the end, due 60 after.
        let config = config(400, 30);
        let end = config.end;
        let span = GoalSpan {
            start: end - Days::new(300),
            target: end + Days::new(60),
            measured_until: end,
        };
        let dates = [end - Days::new(90), end - Days::new(1)];
        let (mut declining, mut improving, mut healthy) = (Vec::new(), Vec::new(), Vec::new());
        for plan in plans(&config) {
            let path = progress_path(&plan, end, Category::Operational, &span, 1.0, 1.6, &dates);
            let last_quarter = path[1] - path[0];
            match plan.curve.drift {
                Drift::Declining { .. } => declining.push(last_quarter),
                Drift::Improving { .. } => improving.push(last_quarter),
                Drift::Flat if plan.curve.base >= 0.6 => healthy.push((path[1], last_quarter)),
                _ => {}
            }
        }
        let healthy_final = mean(&healthy.iter().map(|(p, _)| *p).collect::<Vec<_>>());
        let healthy_quarter = mean(&healthy.iter().map(|(_, q)| *q).collect::<Vec<_>>());
        // Healthy accounts are where they should be (300 of 360 days: 83 %) or beyond.
        assert!(healthy_final > 0.83, "healthy accounts at {healthy_final}");
        // Declining accounts stall in their last months; improving ones speed up.
        assert!(
            mean(&declining) < 0.5 * healthy_quarter,
            "declining {} vs healthy {healthy_quarter}",
            mean(&declining)
        );
        assert!(
            mean(&improving) > mean(&declining),
            "improving {} vs declining {}",
            mean(&improving),
            mean(&declining)
        );
    }

    #[test]
    fn weekly_active_users_agree_with_the_generated_logins() {
        let config = config(120, 21);
        let week_start = midnight(config.end) - 7 * 86_400;
        let (mut modelled, mut observed) = (0.0, 0usize);
        for (plan, events) in accounts(&config) {
            if plan.churn_date.is_some() {
                continue;
            }
            modelled += modelled_weekly_active_users(&plan, -3.5);
            let users: HashSet<u32> = events
                .iter()
                .filter(|event| event.at >= week_start)
                .filter_map(|event| match event.kind {
                    Kind::Login { user } => Some(user),
                    _ => None,
                })
                .collect();
            observed += users.len();
        }
        let ratio = modelled / observed as f64;
        assert!(
            (0.85..1.15).contains(&ratio),
            "{modelled:.0} weekly active users modelled, {observed} in the logins"
        );
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn calendar_helpers() {
        assert_eq!(month_end(date("2024-02-10")), date("2024-02-29"));
        assert_eq!(month_end(date("2026-12-01")), date("2026-12-31"));
        assert_eq!(next_month(date("2026-12-31")), date("2027-01-01"));
        assert_eq!(quarter_end(date("2026-11-23")), date("2026-12-31"));
        assert_eq!(quarter_end(date("2026-04-01")), date("2026-06-30"));
        assert_eq!(fixed(-0.04, 1), "0.0");
        assert_eq!(fixed(12.345, 2), "12.35");
        assert_eq!(fixed(1234.6, 0), "1235");
    }

    #[test]
    fn pinned_levels_end_at_the_modelled_value() {
        let (baseline, target) = pinned_levels(40.0, 0.5, 20.0, 1.0, 75.0);
        assert_eq!((baseline, target), (30.0, 50.0));
        // Regressing: the baseline lies above today's value.
        let (baseline, target) = pinned_levels(40.0, -0.2, 20.0, 1.0, 75.0);
        assert_eq!((baseline, target), (44.0, 64.0));
        // Near the ceiling the gap shrinks so the target stays reachable.
        let (baseline, target) = pinned_levels(70.0, 0.5, 20.0, 1.0, 75.0);
        assert!(target <= 75.0 && baseline < 70.0, "{baseline} {target}");
    }
}
