//! The success-metrics engine (PRD-069, `definitions.md` §5): from an account's
//! goals at an instant `as_of`, each metric's current value, progress, expected
//! progress and status; each goal's progress and status; the success score and
//! its band; value identified and recognised, and ROI (`value.rs`); trends, upcoming milestones, root causes
//! and actions for at-risk goals; and the benchmark against peers. Pure: the
//! clock, the account's ARR, its renewal date, its usage and its peers are all
//! parameters, and every figure is computed once here for every surface.
//!
//! Choices where the rules are silent (each is repeated on the function that
//! applies it):
//! - Point in time: a measurement counts when `at < as_of`; among several at
//!   the same instant, the one recorded last in the history wins.
//! - `target == baseline`: progress is 100 when the current value is at or
//!   beyond the target in the metric's better direction, else 0.
//! - A metric is past its target date from the first instant of the day after
//!   the goal's target date: the whole target day still counts as before it.
//! - Expected progress runs from the first instant of the start date to the
//!   first instant of the target date.
//! - A goal without metrics is `not_started`, never `achieved`.
//! - A metric "has moved from baseline" when it has both a baseline and a
//!   current value and they differ.
//! - Goal progress averages the metrics that have a current value; one of
//!   them without a baseline has no progress and counts 0 (it is not left
//!   out); a goal none of whose metrics has progress has none.
//! - Goals whose weight is not a positive number are left out of the score.
//! - Score bands: ≥ 80 strong, ≥ 60 moderate, ≥ 40 weak, else critical.
//! - A value category's confidence is the lowest among its drivers.
//! - Net ROI and the value multiple are `null` when the investment is not
//!   positive or when no value driver is defined (no claim of value, rather
//!   than a claim of −100 %).
//! - Value is recognised as delivered in proportion to progress (`value.rs`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::stats::{mid_rank_percentile, peer_average};
pub use crate::success::value::{ValueCategory, ValueSummary, net_roi_percent, value_multiple};
use crate::success::value::{recognised_percent, recognised_value, summarise_value};
use crate::success::{
    Confidence, Goal, Measurement, Metric, MetricCategory, MetricDirection, ValueDriverKind,
};
use crate::time::{MILLIS_PER_DAY, Timestamp};

/// Shown when the account has no goals (PRD-069 error handling).
pub const NO_GOALS_MESSAGE: &str = "No success goals defined.";
/// Shown on a goal (and once on the report) when a metric has no current value.
pub const MISSING_DATA_MESSAGE: &str = "Some metrics missing data. Showing available data.";
/// Shown on a metric (and once on the report) that has no baseline.
pub const NO_BASELINE_MESSAGE: &str = "Baseline not set. Cannot calculate progress.";

/// How far behind the expected progress (in points) a metric may be and still
/// be on track.
pub const ON_TRACK_TOLERANCE_POINTS: f64 = 10.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MetricStatus {
    /// Progress above 100, before or after the target date.
    Exceeding,
    /// Exactly 100 once the target date has passed.
    Met,
    /// Before the target date, progress at least the expected progress − 10.
    OnTrack,
    /// Before the target date, progress more than 10 points behind expected.
    AtRisk,
    /// Past the target date below 100.
    NotMet,
    /// No progress: no baseline or no current value.
    NoData,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GoalStatus {
    NotStarted,
    InProgress,
    Achieved,
    AtRisk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrendDirection {
    Improving,
    Flat,
    Declining,
}

/// The success score's band. A choice (PRD-069 shows "85/100 (Strong)" only):
/// ≥ 80 strong, ≥ 60 moderate, ≥ 40 weak, else critical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScoreBand {
    Strong,
    Moderate,
    Weak,
    Critical,
}

impl ScoreBand {
    pub fn for_score(score: f64) -> ScoreBand {
        if score >= 80.0 {
            ScoreBand::Strong
        } else if score >= 60.0 {
            ScoreBand::Moderate
        } else if score >= 40.0 {
            ScoreBand::Weak
        } else {
            ScoreBand::Critical
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ScoreBand::Strong => "Strong",
            ScoreBand::Moderate => "Moderate",
            ScoreBand::Weak => "Weak",
            ScoreBand::Critical => "Critical",
        }
    }
}

/// Adoption evidence from usage data, filled by the caller from the engagement
/// engine (`definitions.md` §3.1: active users, Active User %, Login Frequency)
/// and quoted in the root cause of an at-risk goal with an adoption metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageContext {
    pub active_users: u32,
    pub user_base: u32,
    pub active_user_percent: f64,
    /// Logins per active user per week.
    pub login_frequency_per_week: f64,
}

/// One account's three benchmarked figures (the account's own and each peer's).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PeerSuccess {
    pub success_score: Option<f64>,
    /// 100 × goals achieved ÷ goals; `None` without goals.
    pub goals_achieved_percent: Option<f64>,
    pub net_roi_percent: Option<f64>,
}

// ---------------------------------------------------------------------------
// Metric figures

/// The metric's current value at `as_of`: the latest measurement strictly
/// before `as_of` (a measurement at or after `as_of` is not yet known). Among
/// measurements at the same instant the one recorded last wins.
pub fn current_measurement(metric: &Metric, as_of: Timestamp) -> Option<&Measurement> {
    metric
        .history
        .iter()
        .filter(|measurement| measurement.at < as_of)
        .fold(
            None,
            |latest: Option<&Measurement>, measurement| match latest {
                Some(kept) if kept.at > measurement.at => Some(kept),
                _ => Some(measurement),
            },
        )
}

/// Progress % = 100 × (current − baseline) ÷ (target − baseline), for higher-
/// and lower-is-better alike. Unclamped: above 100 exceeds the target, below 0
/// moved the wrong way.
///
/// Choice: when `target == baseline` the formula is undefined; progress is then
/// 100 when `current` is at or beyond the target in the metric's better
/// direction, else 0.
pub fn progress_percent(
    baseline: f64,
    target: f64,
    current: f64,
    direction: MetricDirection,
) -> f64 {
    if target == baseline {
        let reached = match direction {
            MetricDirection::HigherIsBetter => current >= target,
            MetricDirection::LowerIsBetter => current <= target,
        };
        return if reached { 100.0 } else { 0.0 };
    }
    // The ratio first, so that current == target gives exactly 100.
    100.0 * ((current - baseline) / (target - baseline))
}

/// The metric's progress at `as_of`; `None` without a baseline or a current value.
pub fn metric_progress(metric: &Metric, as_of: Timestamp) -> Option<f64> {
    let baseline = metric.baseline?;
    let current = current_measurement(metric, as_of)?.value;
    Some(progress_percent(
        baseline,
        metric.target,
        current,
        metric.direction,
    ))
}

/// Whether `as_of` is past the goal's target date. Choice: the whole target day
/// still counts as before it; past means at or after the first instant of the
/// following day.
pub fn is_past_target_date(target_date: NaiveDate, as_of: Timestamp) -> bool {
    as_of.millis() >= Timestamp::start_of_day(target_date).millis() + MILLIS_PER_DAY
}

/// Expected progress at `as_of`: 100 × the elapsed share of the time from the
/// first instant of the start date to the first instant of the target date,
/// clamped to 0–100 (0 before the start, 100 from the target date on). When the
/// target date is not after the start date the span is empty: 100 from the
/// target date on, else 0.
pub fn expected_progress(start_date: NaiveDate, target_date: NaiveDate, as_of: Timestamp) -> f64 {
    let start = Timestamp::start_of_day(start_date);
    let end = Timestamp::start_of_day(target_date);
    if as_of >= end {
        return 100.0;
    }
    if as_of <= start {
        return 0.0;
    }
    (100.0 * start.days_until(as_of) / start.days_until(end)).clamp(0.0, 100.0)
}

/// Metric status (`definitions.md` §5). Past the target date: `exceeding` above
/// 100, `met` at exactly 100, else `not_met`. Before it: `exceeding` above 100,
/// `on_track` when progress ≥ expected − 10, else `at_risk`. No progress: `no_data`.
pub fn metric_status(progress: Option<f64>, expected: f64, past_target_date: bool) -> MetricStatus {
    let Some(progress) = progress else {
        return MetricStatus::NoData;
    };
    if progress > 100.0 {
        MetricStatus::Exceeding
    } else if past_target_date {
        if progress == 100.0 {
            MetricStatus::Met
        } else {
            MetricStatus::NotMet
        }
    } else if progress >= expected - ON_TRACK_TOLERANCE_POINTS {
        MetricStatus::OnTrack
    } else {
        MetricStatus::AtRisk
    }
}

/// Direction of the latest value against the previous one, in the metric's
/// better direction; `flat` when they are equal or there is only one value;
/// `None` with no values.
pub fn trend_direction(values: &[f64], direction: MetricDirection) -> Option<TrendDirection> {
    let (&latest, earlier) = values.split_last()?;
    let Some(&previous) = earlier.last() else {
        return Some(TrendDirection::Flat);
    };
    let better = match direction {
        MetricDirection::HigherIsBetter => latest > previous,
        MetricDirection::LowerIsBetter => latest < previous,
    };
    Some(if latest == previous {
        TrendDirection::Flat
    } else if better {
        TrendDirection::Improving
    } else {
        TrendDirection::Declining
    })
}

/// Measurements known at `as_of` (strictly before it), oldest first; ties keep
/// their recorded order.
fn known_measurements(metric: &Metric, as_of: Timestamp) -> Vec<&Measurement> {
    let mut known: Vec<&Measurement> = metric
        .history
        .iter()
        .filter(|measurement| measurement.at < as_of)
        .collect();
    known.sort_by_key(|measurement| measurement.at);
    known
}

// ---------------------------------------------------------------------------
// Goal figures

/// A metric's figures at `as_of`, without any text.
#[derive(Debug, Clone, PartialEq)]
struct MetricEvaluation {
    current: Option<f64>,
    progress: Option<f64>,
    status: MetricStatus,
}

/// A goal's figures at `as_of`, without any text.
#[derive(Debug, Clone, PartialEq)]
struct GoalEvaluation {
    expected: f64,
    past_target_date: bool,
    metrics: Vec<MetricEvaluation>,
    progress: Option<f64>,
    status: GoalStatus,
    /// The share (0–100) of the goal's value recognised as delivered.
    recognised_percent: f64,
}

fn evaluate_goal(goal: &Goal, as_of: Timestamp) -> GoalEvaluation {
    let expected = expected_progress(goal.start_date, goal.target_date, as_of);
    let past_target_date = is_past_target_date(goal.target_date, as_of);
    let metrics: Vec<MetricEvaluation> = goal
        .metrics
        .iter()
        .map(|metric| {
            let progress = metric_progress(metric, as_of);
            MetricEvaluation {
                current: current_measurement(metric, as_of).map(|measurement| measurement.value),
                progress,
                status: metric_status(progress, expected, past_target_date),
            }
        })
        .collect();
    let progress = goal_progress(&metrics);
    let moved = goal
        .metrics
        .iter()
        .zip(&metrics)
        .map(|(metric, evaluation)| (metric.baseline, evaluation.current));
    let status = goal_status(&metrics, moved);
    let metric_progress: Vec<(Option<f64>, bool)> = metrics
        .iter()
        .map(|metric| (metric.progress, metric.current.is_some()))
        .collect();
    GoalEvaluation {
        expected,
        past_target_date,
        recognised_percent: recognised_percent(status == GoalStatus::NotStarted, &metric_progress),
        metrics,
        progress,
        status,
    }
}

/// Goal progress = mean of its metrics' progress (`definitions.md` §5), over
/// the metrics that have a current value (a metric without one is missing:
/// "Showing available data"). A metric with a current value but no baseline
/// has no progress, so it counts 0: leaving it out would let the goal's other
/// metrics speak for it, and a goal whose only measured metric exceeds its
/// target would read 100 % with the rest unproven. `None` when no metric has
/// progress ("Cannot calculate progress").
fn goal_progress(metrics: &[MetricEvaluation]) -> Option<f64> {
    if metrics.iter().all(|metric| metric.progress.is_none()) {
        return None;
    }
    let counted: Vec<f64> = metrics
        .iter()
        .filter(|metric| metric.current.is_some())
        .map(|metric| metric.progress.unwrap_or(0.0))
        .collect();
    mean(&counted)
}

/// Goal status, the first rule that holds: `achieved` when every metric has
/// progress ≥ 100 (a goal without metrics is never achieved); `at_risk` when
/// any metric is at risk or not met; `not_started` when no metric has moved from
/// baseline (a metric moved when it has a baseline and a current value that
/// differ); else `in_progress`.
fn goal_status(
    metrics: &[MetricEvaluation],
    baseline_and_current: impl Iterator<Item = (Option<f64>, Option<f64>)>,
) -> GoalStatus {
    let achieved = !metrics.is_empty()
        && metrics
            .iter()
            .all(|metric| metric.progress.is_some_and(|progress| progress >= 100.0));
    if achieved {
        return GoalStatus::Achieved;
    }
    if metrics
        .iter()
        .any(|metric| matches!(metric.status, MetricStatus::AtRisk | MetricStatus::NotMet))
    {
        return GoalStatus::AtRisk;
    }
    let mut moved = baseline_and_current.map(|pair| match pair {
        (Some(baseline), Some(current)) => current != baseline,
        _ => false,
    });
    if moved.any(|moved| moved) {
        GoalStatus::InProgress
    } else {
        GoalStatus::NotStarted
    }
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Success score = goal-weight-weighted mean of goal progress, each goal's
/// progress clamped to 0–100. Goals without progress, and (a choice) goals whose
/// weight is not a positive number, are left out; `None` when none is left.
/// Takes `(progress, weight)` per goal.
pub fn success_score(goals: &[(Option<f64>, f64)]) -> Option<f64> {
    let mut weighted = 0.0;
    let mut total_weight = 0.0;
    for &(progress, weight) in goals {
        let Some(progress) = progress else { continue };
        if !(weight.is_finite() && weight > 0.0) {
            continue;
        }
        weighted += weight * progress.clamp(0.0, 100.0);
        total_weight += weight;
    }
    (total_weight > 0.0).then(|| weighted / total_weight)
}

// ---------------------------------------------------------------------------
// Value (in `value.rs`)

/// Value identified and recognised per category and in total, with net ROI
/// and value multiple on each, for `goals` at `as_of`.
pub fn value_summary(goals: &[Goal], as_of: Timestamp, investment: f64) -> ValueSummary {
    let recognised: Vec<f64> = goals
        .iter()
        .map(|goal| evaluate_goal(goal, as_of).recognised_percent)
        .collect();
    summarise_value(goals, &recognised, investment)
}

fn value_of(goals: &[Goal], evaluations: &[GoalEvaluation], investment: f64) -> ValueSummary {
    let recognised: Vec<f64> = evaluations
        .iter()
        .map(|evaluation| evaluation.recognised_percent)
        .collect();
    summarise_value(goals, &recognised, investment)
}

// ---------------------------------------------------------------------------
// Milestones

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneKind {
    Checkpoint,
    TargetDate,
    Renewal,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Milestone {
    pub date: NaiveDate,
    pub label: String,
    pub kind: MilestoneKind,
    /// The goal's id, for goal milestones.
    pub goal_id: Option<String>,
    /// The goal's status at `as_of`, for goal milestones.
    pub status: Option<GoalStatus>,
}

/// Goal checkpoints and target dates on or after `as_of`'s date, plus the
/// renewal date, sorted by date (ties keep goal order, checkpoints before the
/// target date, the renewal last).
pub fn upcoming_milestones(
    goals: &[Goal],
    statuses: &[GoalStatus],
    as_of: Timestamp,
    renewal_date: Option<NaiveDate>,
) -> Vec<Milestone> {
    let today = as_of.date();
    let mut milestones = Vec::new();
    for (goal, status) in goals.iter().zip(statuses) {
        let goal_milestone = |date: NaiveDate, kind: MilestoneKind, what: &str| Milestone {
            date,
            label: format!("{}: {what}", goal.title),
            kind,
            goal_id: Some(goal.id.clone()),
            status: Some(*status),
        };
        let mut checkpoints: Vec<NaiveDate> = goal
            .checkpoints
            .iter()
            .copied()
            .filter(|date| *date >= today)
            .collect();
        checkpoints.sort();
        checkpoints.dedup();
        milestones.extend(
            checkpoints
                .into_iter()
                .map(|date| goal_milestone(date, MilestoneKind::Checkpoint, "checkpoint")),
        );
        if goal.target_date >= today {
            milestones.push(goal_milestone(
                goal.target_date,
                MilestoneKind::TargetDate,
                "target date",
            ));
        }
    }
    if let Some(renewal) = renewal_date.filter(|date| *date >= today) {
        milestones.push(Milestone {
            date: renewal,
            label: "Renewal".to_string(),
            kind: MilestoneKind::Renewal,
            goal_id: None,
            status: None,
        });
    }
    milestones.sort_by_key(|milestone| milestone.date);
    milestones
}

// ---------------------------------------------------------------------------
// Root causes and actions

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricGap {
    pub metric_id: String,
    pub name: String,
    pub category: MetricCategory,
    pub status: MetricStatus,
    pub current: f64,
    pub target: f64,
    pub progress: f64,
    pub expected: f64,
    /// E.g. "System adoption: 65% against a 90% target, 50% of the way (70% expected by now)".
    pub sentence: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecommendedAction {
    pub category: MetricCategory,
    pub action: String,
}

/// Why an at-risk goal is at risk and what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GoalRisk {
    /// The metrics at risk or not met, in the goal's order.
    pub metrics: Vec<MetricGap>,
    /// Sentences: each gap, then the adoption evidence when it applies.
    pub root_causes: Vec<String>,
    /// The usage quoted in the root causes (the goal has an adoption metric).
    pub adoption_evidence: Option<UsageContext>,
    /// One action per category of the lagging metrics, in order of first appearance.
    pub actions: Vec<RecommendedAction>,
}

/// The action for a lagging metric of a category.
pub fn action_for(category: MetricCategory) -> &'static str {
    match category {
        MetricCategory::Adoption => {
            "Schedule a team training session and re-engage the users who are not using the product."
        }
        MetricCategory::Operational => {
            "Review the team's workflows with the goal owner to find the steps still done by hand."
        }
        MetricCategory::Quality => "Offer data validation training to close the gap in quality.",
        MetricCategory::Financial => "Review the value delivered with the executive sponsor.",
        MetricCategory::Satisfaction => "Hold a feedback session with the customer's stakeholders.",
    }
}

/// A number for a sentence: up to two decimals, without trailing zeros.
fn display_number(number: f64) -> String {
    let text = format!("{number:.2}");
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}

/// A value with its unit for a sentence: "65%", "$1200", "1.2 hours".
fn display_with_unit(number: f64, unit: &str) -> String {
    let original = number;
    let number = display_number(number);
    match unit.trim() {
        "" => number,
        "%" | "percent" | "pct" => format!("{number}%"),
        "$" | "USD" | "usd" => crate::numbers::money(original),
        // "1 user", "2 users": the data's unit in the singular for exactly one.
        unit => crate::numbers::measure(original, unit),
    }
}

fn gap_sentence(
    metric: &Metric,
    current: f64,
    progress: f64,
    expected: f64,
    status: MetricStatus,
    target_date: NaiveDate,
) -> String {
    let head = format!(
        "{}: {} against a {} target, {}% of the way",
        metric.name,
        display_with_unit(current, &metric.unit),
        display_with_unit(metric.target, &metric.unit),
        display_number(progress.round()),
    );
    if status == MetricStatus::NotMet {
        format!("{head}; target date {target_date} has passed")
    } else {
        format!(
            "{head} ({}% expected by now)",
            display_number(expected.round())
        )
    }
}

fn adoption_sentence(usage: &UsageContext) -> String {
    format!(
        "{} of {} users active ({}%), logging in {} times a week each",
        usage.active_users,
        usage.user_base,
        display_number(usage.active_user_percent.round()),
        display_number((usage.login_frequency_per_week * 10.0).round() / 10.0),
    )
}

fn goal_risk(
    goal: &Goal,
    evaluation: &GoalEvaluation,
    usage: Option<&UsageContext>,
) -> Option<GoalRisk> {
    if evaluation.status != GoalStatus::AtRisk {
        return None;
    }
    let mut gaps = Vec::new();
    for (metric, figures) in goal.metrics.iter().zip(&evaluation.metrics) {
        if !matches!(figures.status, MetricStatus::AtRisk | MetricStatus::NotMet) {
            continue;
        }
        // At risk and not met both imply a progress, hence a current value.
        let (Some(current), Some(progress)) = (figures.current, figures.progress) else {
            continue;
        };
        gaps.push(MetricGap {
            metric_id: metric.id.clone(),
            name: metric.name.clone(),
            category: metric.category,
            status: figures.status,
            current,
            target: metric.target,
            progress,
            expected: evaluation.expected,
            sentence: gap_sentence(
                metric,
                current,
                progress,
                evaluation.expected,
                figures.status,
                goal.target_date,
            ),
        });
    }
    let mut root_causes: Vec<String> = gaps.iter().map(|gap| gap.sentence.clone()).collect();
    let has_adoption_metric = goal
        .metrics
        .iter()
        .any(|metric| metric.category == MetricCategory::Adoption);
    let adoption_evidence = usage.filter(|_| has_adoption_metric).copied();
    if let Some(usage) = &adoption_evidence {
        root_causes.push(adoption_sentence(usage));
    }
    let mut actions: Vec<RecommendedAction> = Vec::new();
    for gap in &gaps {
        if actions.iter().all(|action| action.category != gap.category) {
            actions.push(RecommendedAction {
                category: gap.category,
                action: action_for(gap.category).to_string(),
            });
        }
    }
    Some(GoalRisk {
        metrics: gaps,
        root_causes,
        adoption_evidence,
        actions,
    })
}

// ---------------------------------------------------------------------------
// Benchmark

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BenchmarkFigure {
    pub value: Option<f64>,
    /// The mean among the peers that have the figure.
    pub peer_average: Option<f64>,
    /// Mid-rank percentile among the peers that have the figure; `null` when
    /// the account has no value or no peer has the figure.
    pub percentile: Option<f64>,
    /// How many peers have the figure.
    pub peers: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Benchmark {
    pub success_score: BenchmarkFigure,
    pub goals_achieved_percent: BenchmarkFigure,
    pub net_roi_percent: BenchmarkFigure,
}

fn benchmark_figure(value: Option<f64>, peers: &[f64]) -> BenchmarkFigure {
    BenchmarkFigure {
        value,
        peer_average: peer_average(peers),
        percentile: value.and_then(|value| mid_rank_percentile(value, peers)),
        peers: peers.len(),
    }
}

/// The account against its peers (same tier; `peers` includes the account
/// itself): per figure, the peer average and the mid-rank percentile
/// 100 × (peers below + ½ × peers equal) ÷ peers, among peers that have it.
pub fn benchmark(account: &PeerSuccess, peers: &[PeerSuccess]) -> Benchmark {
    let column = |pick: fn(&PeerSuccess) -> Option<f64>| -> Vec<f64> {
        peers.iter().filter_map(pick).collect()
    };
    Benchmark {
        success_score: benchmark_figure(account.success_score, &column(|peer| peer.success_score)),
        goals_achieved_percent: benchmark_figure(
            account.goals_achieved_percent,
            &column(|peer| peer.goals_achieved_percent),
        ),
        net_roi_percent: benchmark_figure(
            account.net_roi_percent,
            &column(|peer| peer.net_roi_percent),
        ),
    }
}

fn goals_achieved_percent(statuses: &[GoalStatus]) -> Option<f64> {
    (!statuses.is_empty()).then(|| {
        let achieved = statuses
            .iter()
            .filter(|status| **status == GoalStatus::Achieved)
            .count();
        100.0 * achieved as f64 / statuses.len() as f64
    })
}

/// A goal's status at `as_of` (the health report's missed-milestone alert).
pub fn evaluate_goal_status(goal: &Goal, as_of: Timestamp) -> GoalStatus {
    evaluate_goal(goal, as_of).status
}

/// The success score of `goals` at `as_of` alone (the health model's outcomes
/// input): the same figure [`success_report`] shows.
pub fn score_at(goals: &[Goal], as_of: Timestamp) -> Option<f64> {
    if goals.is_empty() {
        return None;
    }
    let weighted: Vec<(Option<f64>, f64)> = goals
        .iter()
        .map(|goal| (evaluate_goal(goal, as_of).progress, goal.weight))
        .collect();
    success_score(&weighted)
}

/// An account's three benchmarked figures at `as_of`, for computing peers'.
pub fn peer_figures(goals: &[Goal], as_of: Timestamp, investment: f64) -> PeerSuccess {
    let evaluations: Vec<GoalEvaluation> = goals
        .iter()
        .map(|goal| evaluate_goal(goal, as_of))
        .collect();
    figures_of(
        goals,
        &evaluations,
        &value_of(goals, &evaluations, investment),
    )
}

fn figures_of(goals: &[Goal], evaluations: &[GoalEvaluation], value: &ValueSummary) -> PeerSuccess {
    let weighted: Vec<(Option<f64>, f64)> = goals
        .iter()
        .zip(evaluations)
        .map(|(goal, evaluation)| (evaluation.progress, goal.weight))
        .collect();
    let statuses: Vec<GoalStatus> = evaluations
        .iter()
        .map(|evaluation| evaluation.status)
        .collect();
    PeerSuccess {
        success_score: success_score(&weighted),
        goals_achieved_percent: goals_achieved_percent(&statuses),
        net_roi_percent: value.net_roi_percent,
    }
}

// ---------------------------------------------------------------------------
// The report

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrendPoint {
    pub at: Timestamp,
    pub date: NaiveDate,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricTrend {
    /// Measurements known at `as_of`, oldest first, for charts.
    pub points: Vec<TrendPoint>,
    pub direction: Option<TrendDirection>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricView {
    pub id: String,
    pub name: String,
    pub category: MetricCategory,
    pub unit: String,
    pub direction: MetricDirection,
    pub baseline: Option<f64>,
    pub target: f64,
    pub current: Option<f64>,
    pub current_at: Option<Timestamp>,
    /// True when the metric has no value before `as_of`.
    pub missing: bool,
    pub progress: Option<f64>,
    /// The goal's expected progress at `as_of`.
    pub expected: f64,
    pub status: MetricStatus,
    /// "Baseline not set. Cannot calculate progress." when there is no baseline.
    pub message: Option<String>,
    pub trend: MetricTrend,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValueDriverView {
    /// The stored driver's kind and amounts, as they were entered.
    #[serde(flatten)]
    pub kind: ValueDriverKind,
    /// The driver's label, or its kind's default.
    pub label: String,
    pub confidence: Confidence,
    /// The driver's identified value: its annual value in full.
    pub annual_value: f64,
    /// The part of it recognised as delivered: annual value × the goal's
    /// recognised share.
    pub recognised_annual_value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GoalView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub owner: String,
    pub status: GoalStatus,
    /// Mean progress of the metrics that have a current value (one without a
    /// baseline counting 0); `null` when no metric has progress.
    pub progress: Option<f64>,
    pub start_date: NaiveDate,
    pub target_date: NaiveDate,
    pub past_target_date: bool,
    pub expected_progress: f64,
    pub weight: f64,
    /// "Some metrics missing data. Showing available data." when a metric has
    /// no current value.
    pub message: Option<String>,
    pub metrics: Vec<MetricView>,
    pub value_drivers: Vec<ValueDriverView>,
    /// The goal's identified value: its drivers' annual value in full, what
    /// the goal is worth once achieved.
    pub annual_value: f64,
    /// The share (0–100) of that value recognised as delivered: 100 once
    /// achieved, pro rata to progress before then (each metric capped at
    /// 100), 0 when not started or without progress.
    pub recognised_percent: f64,
    /// `annual_value` × `recognised_percent` ÷ 100.
    pub recognised_annual_value: f64,
    /// Root causes and actions, for at-risk goals only.
    pub risk: Option<GoalRisk>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecutiveSummary {
    pub goals_total: usize,
    /// Goals achieved or in progress.
    pub goals_on_track_or_exceeded: usize,
    pub goals_achieved: usize,
    pub goals_at_risk: usize,
    /// The identified value (`definitions.md` §5's value delivered).
    pub annual_value_delivered: f64,
    /// The value recognised as delivered, given each goal's progress.
    pub recognised_annual_value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuccessReport {
    pub as_of: Timestamp,
    pub success_score: Option<f64>,
    pub score_band: Option<ScoreBand>,
    /// The PRD-069 messages that apply, each once.
    pub messages: Vec<String>,
    pub executive_summary: ExecutiveSummary,
    pub goals: Vec<GoalView>,
    pub value: ValueSummary,
    pub milestones: Vec<Milestone>,
    pub benchmark: Option<Benchmark>,
}

fn metric_view(
    metric: &Metric,
    figures: &MetricEvaluation,
    expected: f64,
    as_of: Timestamp,
) -> MetricView {
    let known = known_measurements(metric, as_of);
    let values: Vec<f64> = known.iter().map(|measurement| measurement.value).collect();
    let current = current_measurement(metric, as_of);
    MetricView {
        id: metric.id.clone(),
        name: metric.name.clone(),
        category: metric.category,
        unit: metric.unit.clone(),
        direction: metric.direction,
        baseline: metric.baseline,
        target: metric.target,
        current: figures.current,
        current_at: current.map(|measurement| measurement.at),
        missing: current.is_none(),
        progress: figures.progress,
        expected,
        status: figures.status,
        message: metric
            .baseline
            .is_none()
            .then(|| NO_BASELINE_MESSAGE.to_string()),
        trend: MetricTrend {
            direction: trend_direction(&values, metric.direction),
            points: known
                .iter()
                .map(|measurement| TrendPoint {
                    at: measurement.at,
                    date: measurement.at.date(),
                    value: measurement.value,
                })
                .collect(),
        },
    }
}

fn goal_view(
    goal: &Goal,
    evaluation: &GoalEvaluation,
    as_of: Timestamp,
    usage: Option<&UsageContext>,
) -> GoalView {
    let metrics: Vec<MetricView> = goal
        .metrics
        .iter()
        .zip(&evaluation.metrics)
        .map(|(metric, figures)| metric_view(metric, figures, evaluation.expected, as_of))
        .collect();
    let value_drivers: Vec<ValueDriverView> = goal
        .value_drivers
        .iter()
        .map(|driver| ValueDriverView {
            kind: driver.kind.clone(),
            label: driver.category_label().to_string(),
            confidence: driver.confidence,
            annual_value: driver.annual_value(),
            recognised_annual_value: recognised_value(
                driver.annual_value(),
                evaluation.recognised_percent,
            ),
        })
        .collect();
    GoalView {
        id: goal.id.clone(),
        title: goal.title.clone(),
        description: goal.description.clone(),
        owner: goal.owner.clone(),
        status: evaluation.status,
        progress: evaluation.progress,
        start_date: goal.start_date,
        target_date: goal.target_date,
        past_target_date: evaluation.past_target_date,
        expected_progress: evaluation.expected,
        weight: goal.weight,
        message: metrics
            .iter()
            .any(|metric| metric.missing)
            .then(|| MISSING_DATA_MESSAGE.to_string()),
        annual_value: value_drivers.iter().map(|driver| driver.annual_value).sum(),
        recognised_percent: evaluation.recognised_percent,
        recognised_annual_value: value_drivers
            .iter()
            .map(|driver| driver.recognised_annual_value)
            .sum(),
        risk: goal_risk(goal, evaluation, usage),
        metrics,
        value_drivers,
    }
}

/// The account's success report at `as_of`. `investment` is what the ROI is
/// computed on (the account's ARR by default); `renewal_date` joins the
/// milestones; `usage` is quoted in the root causes of at-risk goals with an
/// adoption metric; `peers` (same tier, the account included, each from
/// [`peer_figures`]) gives the benchmark.
pub fn success_report(
    goals: &[Goal],
    as_of: Timestamp,
    investment: f64,
    renewal_date: Option<NaiveDate>,
    usage: Option<UsageContext>,
    peers: Option<&[PeerSuccess]>,
) -> SuccessReport {
    let evaluations: Vec<GoalEvaluation> = goals
        .iter()
        .map(|goal| evaluate_goal(goal, as_of))
        .collect();
    let goal_views: Vec<GoalView> = goals
        .iter()
        .zip(&evaluations)
        .map(|(goal, evaluation)| goal_view(goal, evaluation, as_of, usage.as_ref()))
        .collect();
    let value = value_of(goals, &evaluations, investment);
    let own = figures_of(goals, &evaluations, &value);
    let statuses: Vec<GoalStatus> = evaluations
        .iter()
        .map(|evaluation| evaluation.status)
        .collect();

    let mut messages = Vec::new();
    if goals.is_empty() {
        messages.push(NO_GOALS_MESSAGE.to_string());
    }
    let metrics = || goal_views.iter().flat_map(|goal| &goal.metrics);
    if metrics().any(|metric| metric.missing) {
        messages.push(MISSING_DATA_MESSAGE.to_string());
    }
    if metrics().any(|metric| metric.baseline.is_none()) {
        messages.push(NO_BASELINE_MESSAGE.to_string());
    }

    let count = |wanted: &[GoalStatus]| {
        statuses
            .iter()
            .filter(|status| wanted.contains(status))
            .count()
    };
    let executive_summary = ExecutiveSummary {
        goals_total: goals.len(),
        goals_on_track_or_exceeded: count(&[GoalStatus::Achieved, GoalStatus::InProgress]),
        goals_achieved: count(&[GoalStatus::Achieved]),
        goals_at_risk: count(&[GoalStatus::AtRisk]),
        annual_value_delivered: value.total_annual_value,
        recognised_annual_value: value.total_recognised_annual_value,
    };

    SuccessReport {
        as_of,
        success_score: own.success_score,
        score_band: own.success_score.map(ScoreBand::for_score),
        messages,
        executive_summary,
        milestones: upcoming_milestones(goals, &statuses, as_of, renewal_date),
        goals: goal_views,
        value,
        benchmark: peers.map(|peers| benchmark(&own, peers)),
    }
}
