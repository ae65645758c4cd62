//! The success-metrics engine (`definitions.md` §5) against hand-computed
//! figures: progress, metric and goal status over time, the success score,
//! value and ROI, the PRD-069 messages, point in time, trends, milestones, root
//! causes and the peer benchmark.

use chrono::NaiveDate;
use rapport_core::account_success::AccountSuccess;
use rapport_core::account_success::report::ValueReport;
use rapport_core::success::edit::parse_goal;
use rapport_core::success::engine::{
    GoalStatus, MetricStatus, MilestoneKind, PeerSuccess, RecommendedAction, ScoreBand,
    TrendDirection, UsageContext, benchmark, expected_progress, is_past_target_date,
    net_roi_percent, peer_figures, progress_percent, success_report, success_score,
    trend_direction, value_multiple, value_summary,
};
use rapport_core::success::{
    Confidence, Goal, Measurement, Metric, MetricCategory, MetricDirection, MetricFrequency,
    ValueDriver, ValueDriverKind,
};
use rapport_core::{CustomerId, ExternalId, Tier, Timestamp};

const HIGHER: MetricDirection = MetricDirection::HigherIsBetter;
const LOWER: MetricDirection = MetricDirection::LowerIsBetter;

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() < 1e-9
}

#[track_caller]
fn assert_close(actual: Option<f64>, expected: f64) {
    let actual = actual.unwrap_or_else(|| panic!("expected {expected}, got None"));
    assert!(close(actual, expected), "expected {expected}, got {actual}");
}

fn metric(
    name: &str,
    category: MetricCategory,
    baseline: Option<f64>,
    target: f64,
    direction: MetricDirection,
    history: &[(&str, f64)],
) -> Metric {
    Metric {
        id: name.to_lowercase().replace(' ', "-"),
        category,
        name: name.to_string(),
        description: String::new(),
        baseline,
        target,
        unit: String::new(),
        direction,
        data_source: String::new(),
        frequency: MetricFrequency::Monthly,
        history: history
            .iter()
            .map(|(when, value)| Measurement {
                at: at(when),
                value: *value,
                note: None,
            })
            .collect(),
    }
}

/// A higher-is-better metric from 0 to 100 with one value measured long before
/// every `as_of` in these tests, so its progress is the value itself.
fn percent_metric(name: &str, value: Option<f64>) -> Metric {
    let history: Vec<(&str, f64)> = value
        .map(|value| ("2025-12-01T00:00:00Z", value))
        .into_iter()
        .collect();
    metric(
        name,
        MetricCategory::Operational,
        Some(0.0),
        100.0,
        HIGHER,
        &history,
    )
}

fn goal(id: &str, start: &str, target: &str, metrics: Vec<Metric>) -> Goal {
    Goal {
        id: id.to_string(),
        customer_id: None,
        title: format!("Goal {id}"),
        description: String::new(),
        owner: "Sarah Chen".to_string(),
        start_date: day(start),
        target_date: day(target),
        weight: 1.0,
        checkpoints: Vec::new(),
        value_drivers: Vec::new(),
        metrics,
    }
}

/// A ten-day goal: 2026-01-01 to 2026-01-11, so expected progress is 10 points a day.
fn ten_day_goal(id: &str, metrics: Vec<Metric>) -> Goal {
    goal(id, "2026-01-01", "2026-01-11", metrics)
}

fn driver(kind: ValueDriverKind, confidence: Confidence, label: &str) -> ValueDriver {
    ValueDriver {
        kind,
        confidence,
        label: label.to_string(),
    }
}

#[test]
fn progress_for_higher_and_lower_is_better() {
    // (baseline, target, current, direction, progress %)
    let cases = [
        // Error rate 12 % → 2 %, now 3.8 %: 100 × (3.8 − 12) ÷ (2 − 12) = 82.
        (12.0, 2.0, 3.8, LOWER, 82.0),
        // Report time 4 h → 2 h, now 1.2 h: 100 × (−2.8) ÷ (−2) = 140.
        (4.0, 2.0, 1.2, LOWER, 140.0),
        // Manual corrections 45 → 5, now 8: 100 × 37 ÷ 40 = 92.5.
        (45.0, 5.0, 8.0, LOWER, 92.5),
        // Manual steps eliminated 0 → 15, now 18: 120.
        (0.0, 15.0, 18.0, HIGHER, 120.0),
        // Adoption 40 % → 90 %, now 65 %: 50.
        (40.0, 90.0, 65.0, HIGHER, 50.0),
        // Not moved: 0; moved the wrong way: negative.
        (10.0, 25.0, 10.0, HIGHER, 0.0),
        (10.0, 25.0, 5.0, HIGHER, -100.0 / 3.0),
        (12.0, 2.0, 14.0, LOWER, -20.0),
        // target == baseline: 100 at or beyond the target in the better direction, else 0.
        (5.0, 5.0, 6.0, HIGHER, 100.0),
        (5.0, 5.0, 5.0, HIGHER, 100.0),
        (5.0, 5.0, 4.0, HIGHER, 0.0),
        (5.0, 5.0, 4.0, LOWER, 100.0),
        (5.0, 5.0, 6.0, LOWER, 0.0),
    ];
    for (baseline, target, current, direction, expected) in cases {
        let progress = progress_percent(baseline, target, current, direction);
        assert!(
            close(progress, expected),
            "{baseline} → {target} at {current}: expected {expected}, got {progress}"
        );
    }
    // Exactly at the target is exactly 100, so `met` can be told from `not_met`.
    for (baseline, target) in [(12.0, 2.0), (0.1, 0.7), (3.3, 1.1), (40.0, 90.0)] {
        assert_eq!(
            progress_percent(baseline, target, target, HIGHER),
            100.0,
            "{baseline} → {target}"
        );
    }
}

#[test]
fn expected_progress_runs_from_start_to_target_date() {
    let (start, target) = (day("2026-01-01"), day("2026-01-11"));
    let cases = [
        ("2025-12-20T00:00:00Z", 0.0),
        ("2026-01-01T00:00:00Z", 0.0),
        ("2026-01-03T12:00:00Z", 25.0),
        ("2026-01-06T00:00:00Z", 50.0),
        ("2026-01-11T00:00:00Z", 100.0),
        ("2026-02-01T00:00:00Z", 100.0),
    ];
    for (as_of, expected) in cases {
        let actual = expected_progress(start, target, at(as_of));
        assert!(close(actual, expected), "{as_of}: {actual} ≠ {expected}");
    }
    // The whole target day is still before the target date.
    assert!(!is_past_target_date(target, at("2026-01-11T23:59:59.999Z")));
    assert!(is_past_target_date(target, at("2026-01-12T00:00:00Z")));
}

#[test]
fn metric_status_at_several_dates() {
    // (as_of, value (= progress), expected progress, status)
    let cases = [
        // Before the start: expected 0.
        (
            "2025-12-20T00:00:00Z",
            Some(0.0),
            0.0,
            MetricStatus::OnTrack,
        ),
        // Mid-way, expected 50: on track down to 40, at risk below.
        (
            "2026-01-06T00:00:00Z",
            Some(45.0),
            50.0,
            MetricStatus::OnTrack,
        ),
        (
            "2026-01-06T00:00:00Z",
            Some(40.0),
            50.0,
            MetricStatus::OnTrack,
        ),
        (
            "2026-01-06T00:00:00Z",
            Some(39.0),
            50.0,
            MetricStatus::AtRisk,
        ),
        (
            "2026-01-06T00:00:00Z",
            Some(101.0),
            50.0,
            MetricStatus::Exceeding,
        ),
        // On the target day: expected 100, not yet past it.
        (
            "2026-01-11T12:00:00Z",
            Some(95.0),
            100.0,
            MetricStatus::OnTrack,
        ),
        (
            "2026-01-11T23:59:59Z",
            Some(89.0),
            100.0,
            MetricStatus::AtRisk,
        ),
        (
            "2026-01-11T12:00:00Z",
            Some(100.0),
            100.0,
            MetricStatus::OnTrack,
        ),
        // Past the target date.
        (
            "2026-01-12T00:00:00Z",
            Some(100.0),
            100.0,
            MetricStatus::Met,
        ),
        (
            "2026-01-12T00:00:00Z",
            Some(99.0),
            100.0,
            MetricStatus::NotMet,
        ),
        (
            "2026-01-12T00:00:00Z",
            Some(120.0),
            100.0,
            MetricStatus::Exceeding,
        ),
        (
            "2026-03-01T00:00:00Z",
            Some(-5.0),
            100.0,
            MetricStatus::NotMet,
        ),
        // No current value.
        ("2026-01-06T00:00:00Z", None, 50.0, MetricStatus::NoData),
    ];
    for (as_of, value, expected, status) in cases {
        let goals = [ten_day_goal("g", vec![percent_metric("m", value)])];
        let report = success_report(&goals, at(as_of), 0.0, None, None, None);
        let view = &report.goals[0].metrics[0];
        assert_eq!(view.status, status, "{as_of} at {value:?}");
        assert!(close(view.expected, expected), "{as_of}: {}", view.expected);
        assert_eq!(view.progress, value, "{as_of}");
    }
}

#[test]
fn goal_status_each_case() {
    // (as_of, metric values, goal status, goal progress)
    let mid_way = "2026-01-06T00:00:00Z"; // expected 50
    let early = "2026-01-02T00:00:00Z"; // expected 10: 0 is still on track
    let after = "2026-01-12T00:00:00Z";
    let cases = [
        // Every metric at 100+, even before the target date.
        (
            mid_way,
            vec![Some(100.0), Some(120.0)],
            GoalStatus::Achieved,
            Some(110.0),
        ),
        (
            after,
            vec![Some(100.0), Some(150.0)],
            GoalStatus::Achieved,
            Some(125.0),
        ),
        // Any metric at risk or not met.
        (
            mid_way,
            vec![Some(100.0), Some(20.0)],
            GoalStatus::AtRisk,
            Some(60.0),
        ),
        (
            mid_way,
            vec![None, Some(20.0)],
            GoalStatus::AtRisk,
            Some(20.0),
        ),
        (
            after,
            vec![Some(100.0), Some(99.0)],
            GoalStatus::AtRisk,
            Some(99.5),
        ),
        // Nothing moved from baseline (on track since little is expected yet).
        (
            early,
            vec![Some(0.0), Some(0.0)],
            GoalStatus::NotStarted,
            Some(0.0),
        ),
        (early, vec![None, None], GoalStatus::NotStarted, None),
        // Something moved, nothing at risk.
        (
            early,
            vec![Some(30.0), Some(0.0)],
            GoalStatus::InProgress,
            Some(15.0),
        ),
        // A metric without data keeps the goal from being achieved.
        (
            mid_way,
            vec![Some(100.0), None],
            GoalStatus::InProgress,
            Some(100.0),
        ),
        // No metrics at all: not started, never achieved.
        (mid_way, vec![], GoalStatus::NotStarted, None),
    ];
    for (as_of, values, status, progress) in cases {
        let metrics = values
            .iter()
            .enumerate()
            .map(|(index, value)| percent_metric(&format!("m{index}"), *value))
            .collect();
        let goals = [ten_day_goal("g", metrics)];
        let report = success_report(&goals, at(as_of), 0.0, None, None, None);
        let view = &report.goals[0];
        assert_eq!(view.status, status, "{as_of} {values:?}");
        match progress {
            Some(progress) => assert_close(view.progress, progress),
            None => assert_eq!(view.progress, None, "{as_of} {values:?}"),
        }
    }
}

#[test]
fn success_score_weights_and_clamps_goal_progress() {
    // (100 × 1 + 50 × 3 + 0 × 1) ÷ 5 = 50: 140 clamps to 100, −20 to 0, and the
    // goal without progress is left out.
    assert_close(
        success_score(&[
            (Some(140.0), 1.0),
            (Some(50.0), 3.0),
            (None, 5.0),
            (Some(-20.0), 1.0),
        ]),
        50.0,
    );
    assert_eq!(success_score(&[(None, 1.0)]), None);
    assert_eq!(success_score(&[]), None);

    // Through the report: goal a (weight 2) at 140 % counts 100, goal b
    // (weight 1) at 40 %: (2 × 100 + 40) ÷ 3 = 80, strong.
    let as_of = at("2026-01-06T00:00:00Z");
    let mut heavy = ten_day_goal("a", vec![percent_metric("m", Some(140.0))]);
    heavy.weight = 2.0;
    let light = ten_day_goal("b", vec![percent_metric("m", Some(40.0))]);
    let report = success_report(&[heavy, light], as_of, 0.0, None, None, None);
    assert_close(report.success_score, 80.0);
    assert_eq!(report.score_band, Some(ScoreBand::Strong));
    assert_close(report.goals[0].progress, 140.0);

    let bands = [
        (100.0, ScoreBand::Strong),
        (80.0, ScoreBand::Strong),
        (79.99, ScoreBand::Moderate),
        (60.0, ScoreBand::Moderate),
        (59.9, ScoreBand::Weak),
        (40.0, ScoreBand::Weak),
        (39.9, ScoreBand::Critical),
        (0.0, ScoreBand::Critical),
    ];
    for (score, band) in bands {
        assert_eq!(ScoreBand::for_score(score), band, "{score}");
    }
}

/// The demo's acc-0002 ("Speed up support resolution", 2026-12): the only goal
/// is past its target date, both metrics declined last month, and one has no
/// baseline. Its measured metric is beyond target, so averaging only the
/// metric with progress read 129 % → "100/100 (Strong)".
#[test]
fn a_metric_without_baseline_counts_no_progress_in_its_goal() {
    let resolution_time = metric(
        "Resolution time",
        MetricCategory::Operational,
        None,
        7.5,
        LOWER,
        &[("2026-10-31T00:00:00Z", 5.8), ("2026-11-30T00:00:00Z", 7.6)],
    );
    let first_contact = metric(
        "First-contact resolution",
        MetricCategory::Quality,
        Some(60.0),
        80.0,
        HIGHER,
        &[
            ("2026-10-31T00:00:00Z", 93.0),
            ("2026-11-30T00:00:00Z", 90.0),
        ],
    );
    let goal = goal(
        "support",
        "2025-10-01",
        "2026-08-31",
        vec![resolution_time, first_contact],
    );
    let as_of = at("2026-12-04T00:00:00Z");
    let report = success_report(std::slice::from_ref(&goal), as_of, 0.0, None, None, None);
    let view = &report.goals[0];
    assert!(view.past_target_date);
    assert_eq!(view.status, GoalStatus::InProgress);
    assert_eq!(view.metrics[0].progress, None);
    assert_eq!(view.metrics[0].status, MetricStatus::NoData);
    // 100 × (90 − 60) ÷ (80 − 60) = 150.
    assert_close(view.metrics[1].progress, 150.0);
    for metric in &view.metrics {
        assert_eq!(metric.trend.direction, Some(TrendDirection::Declining));
    }
    // Goal: (0 + 150) ÷ 2 = 75, within 0–100; the score is that goal's: 75, moderate.
    assert_close(view.progress, 75.0);
    assert_close(report.success_score, 75.0);
    assert_eq!(report.score_band, Some(ScoreBand::Moderate));
    assert_close(
        rapport_core::success::engine::score_at(std::slice::from_ref(&goal), as_of),
        75.0,
    );

    // A metric without a current value stays out ("showing available data"):
    // on 2026-11-15 the second metric alone, 100 × (93 − 60) ÷ 20 = 165.
    let mut unmeasured = goal.clone();
    unmeasured.metrics[0].history.clear();
    let report = success_report(
        &[unmeasured],
        at("2026-11-15T00:00:00Z"),
        0.0,
        None,
        None,
        None,
    );
    assert_close(report.goals[0].progress, 165.0);
    // No metric with progress: the goal has none and the score none.
    let mut unproven = goal;
    unproven.metrics.truncate(1);
    let report = success_report(&[unproven], as_of, 0.0, None, None, None);
    assert_eq!(report.goals[0].progress, None);
    assert_eq!(report.success_score, None);
}

#[test]
fn value_of_each_driver_kind() {
    let cases = [
        // 140 h/month × $60 × 12.
        (
            ValueDriverKind::TimeSaved {
                hours_per_month: 140.0,
                hourly_rate: 60.0,
            },
            100_800.0,
            "Time Savings",
        ),
        (
            ValueDriverKind::CostReduction {
                amount_per_year: 64_800.0,
            },
            64_800.0,
            "Cost Reduction",
        ),
        (
            ValueDriverKind::RevenueIncrease {
                amount_per_year: 12_345.0,
            },
            12_345.0,
            "Revenue Increase",
        ),
        (
            ValueDriverKind::ToolsRetired {
                annual_cost: 45_000.0,
                tools: 3,
            },
            45_000.0,
            "Tool Consolidation",
        ),
    ];
    for (kind, annual, label) in cases {
        let value = driver(kind.clone(), Confidence::High, "");
        assert!(close(value.annual_value(), annual), "{kind:?}");
        assert_eq!(value.category_label(), label);
        assert_eq!(
            driver(kind, Confidence::High, "Own").category_label(),
            "Own"
        );
    }
}

#[test]
fn value_summary_and_the_prd_roi_example() {
    // PRD-069: Time Savings 165,600 (high), Error Reduction 64,800 (medium),
    // Tool Consolidation 45,000 (high): 275,400 on an ARR of 150,000.
    let mut reporting = ten_day_goal("reporting", vec![]);
    reporting.value_drivers = vec![
        driver(
            ValueDriverKind::TimeSaved {
                hours_per_month: 140.0,
                hourly_rate: 60.0,
            },
            Confidence::High,
            "",
        ),
        driver(
            ValueDriverKind::TimeSaved {
                hours_per_month: 90.0,
                hourly_rate: 60.0,
            },
            Confidence::High,
            "Time Savings",
        ),
    ];
    let mut accuracy = ten_day_goal("accuracy", vec![]);
    accuracy.value_drivers = vec![driver(
        ValueDriverKind::CostReduction {
            amount_per_year: 64_800.0,
        },
        Confidence::Medium,
        "Error Reduction",
    )];
    let mut tools = ten_day_goal("tools", vec![]);
    tools.value_drivers = vec![driver(
        ValueDriverKind::ToolsRetired {
            annual_cost: 45_000.0,
            tools: 3,
        },
        Confidence::High,
        "",
    )];
    let goals = [reporting, accuracy, tools];
    let report = success_report(
        &goals,
        at("2026-01-06T00:00:00Z"),
        150_000.0,
        None,
        None,
        None,
    );
    let value = &report.value;
    let categories: Vec<(&str, f64, Confidence)> = value
        .categories
        .iter()
        .map(|category| {
            (
                category.label.as_str(),
                category.annual_value,
                category.confidence,
            )
        })
        .collect();
    assert_eq!(
        categories,
        vec![
            ("Time Savings", 165_600.0, Confidence::High),
            ("Error Reduction", 64_800.0, Confidence::Medium),
            ("Tool Consolidation", 45_000.0, Confidence::High),
        ]
    );
    assert!(close(value.total_annual_value, 275_400.0));
    assert!(close(value.investment, 150_000.0));
    assert_close(value.value_multiple, 1.836);
    assert_close(value.net_roi_percent, 83.6);
    assert!(close(report.goals[0].annual_value, 165_600.0));
    assert!(close(
        report.goals[0].value_drivers[0].annual_value,
        100_800.0
    ));
    assert!(close(
        report.executive_summary.annual_value_delivered,
        275_400.0
    ));

    // No investment: no ROI and no multiple.
    assert_eq!(net_roi_percent(275_400.0, 0.0), None);
    assert_eq!(value_multiple(275_400.0, 0.0), None);
    let unpaid = value_summary(&goals, at("2026-01-06T00:00:00Z"), 0.0);
    assert_eq!(
        (unpaid.net_roi_percent, unpaid.value_multiple),
        (None, None)
    );
    // No value driver at all: no ROI claimed, not −100 %.
    let none = value_summary(
        &[ten_day_goal("g", vec![])],
        at("2026-01-06T00:00:00Z"),
        150_000.0,
    );
    assert_eq!(none.total_annual_value, 0.0);
    assert_eq!((none.net_roi_percent, none.value_multiple), (None, None));

    // A category's confidence is its least confident driver's.
    let mut mixed = ten_day_goal("mixed", vec![]);
    mixed.value_drivers = vec![
        driver(
            ValueDriverKind::RevenueIncrease {
                amount_per_year: 1_000.0,
            },
            Confidence::High,
            "",
        ),
        driver(
            ValueDriverKind::RevenueIncrease {
                amount_per_year: 500.0,
            },
            Confidence::Low,
            "",
        ),
        driver(
            ValueDriverKind::RevenueIncrease {
                amount_per_year: 250.0,
            },
            Confidence::Medium,
            "",
        ),
    ];
    let mixed = value_summary(&[mixed], at("2026-01-06T00:00:00Z"), 1_000.0);
    assert_eq!(mixed.categories.len(), 1);
    assert_eq!(mixed.categories[0].label, "Revenue Increase");
    assert_eq!(mixed.categories[0].confidence, Confidence::Low);
    assert_close(mixed.net_roi_percent, 75.0);
    assert_close(mixed.value_multiple, 1.75);
}

/// Four goals on a ten-day plan, seen on day 5 (expected progress 50), each
/// with one kind of value driver, on an investment of 150,000:
/// - achieved (120 %), cost reduction 100,000 → recognised in full;
/// - in progress, metrics at 150 % and 40 % (goal progress 95), time saved
///   100 h × $50 × 12 = 60,000 → recognised at (100 + 40) ÷ 2 = 70 %: 42,000;
/// - not started (no value yet), tools retired 103,200 → nothing;
/// - gone backwards (−25 %), revenue increase 11,286 → nothing.
fn value_goals() -> Vec<Goal> {
    let mut achieved = ten_day_goal("achieved", vec![percent_metric("m", Some(120.0))]);
    achieved.value_drivers = vec![driver(
        ValueDriverKind::CostReduction {
            amount_per_year: 100_000.0,
        },
        Confidence::High,
        "",
    )];
    let mut moving = ten_day_goal(
        "moving",
        vec![
            percent_metric("ahead", Some(150.0)),
            percent_metric("behind", Some(40.0)),
        ],
    );
    moving.value_drivers = vec![driver(
        ValueDriverKind::TimeSaved {
            hours_per_month: 100.0,
            hourly_rate: 50.0,
        },
        Confidence::Medium,
        "",
    )];
    let mut waiting = ten_day_goal("waiting", vec![percent_metric("m", None)]);
    waiting.value_drivers = vec![driver(
        ValueDriverKind::ToolsRetired {
            annual_cost: 103_200.0,
            tools: 2,
        },
        Confidence::High,
        "",
    )];
    let mut backwards = ten_day_goal("backwards", vec![percent_metric("m", Some(-25.0))]);
    backwards.value_drivers = vec![driver(
        ValueDriverKind::RevenueIncrease {
            amount_per_year: 11_286.0,
        },
        Confidence::Low,
        "",
    )];
    vec![achieved, moving, waiting, backwards]
}

#[test]
fn value_is_recognised_in_proportion_to_progress() {
    let as_of = at("2026-01-06T00:00:00Z");
    let report = success_report(&value_goals(), as_of, 150_000.0, None, None, None);
    let goals: Vec<(GoalStatus, Option<f64>, f64, f64, f64)> = report
        .goals
        .iter()
        .map(|goal| {
            (
                goal.status,
                goal.progress,
                goal.annual_value,
                goal.recognised_percent,
                goal.recognised_annual_value,
            )
        })
        .collect();
    assert_eq!(
        goals,
        vec![
            (
                GoalStatus::Achieved,
                Some(120.0),
                100_000.0,
                100.0,
                100_000.0
            ),
            (GoalStatus::InProgress, Some(95.0), 60_000.0, 70.0, 42_000.0),
            (GoalStatus::NotStarted, None, 103_200.0, 0.0, 0.0),
            (GoalStatus::AtRisk, Some(-25.0), 11_286.0, 0.0, 0.0),
        ]
    );
    assert!(close(
        report.goals[1].value_drivers[0].recognised_annual_value,
        42_000.0
    ));
    // The identified value (the contract's value delivered) is unchanged:
    // 274,486 on 150,000, a multiple of 1.8299 and a net ROI of 82.99 %.
    let value = &report.value;
    assert!(close(value.total_annual_value, 274_486.0));
    assert_close(value.value_multiple, 274_486.0 / 150_000.0);
    assert_close(value.net_roi_percent, 100.0 * 124_486.0 / 150_000.0);
    // Recognised: 142,000, a multiple of 0.9467 and a net ROI of −5.33 %.
    assert!(close(value.total_recognised_annual_value, 142_000.0));
    assert_close(value.recognised_value_multiple, 142_000.0 / 150_000.0);
    assert_close(
        value.recognised_net_roi_percent,
        -100.0 * 8_000.0 / 150_000.0,
    );
    assert!(close(
        report.executive_summary.recognised_annual_value,
        142_000.0
    ));
    let categories: Vec<(&str, f64, f64)> = value
        .categories
        .iter()
        .map(|category| {
            (
                category.label.as_str(),
                category.annual_value,
                category.recognised_annual_value,
            )
        })
        .collect();
    assert_eq!(
        categories,
        vec![
            ("Cost Reduction", 100_000.0, 100_000.0),
            ("Time Savings", 60_000.0, 42_000.0),
            ("Tool Consolidation", 103_200.0, 0.0),
            ("Revenue Increase", 11_286.0, 0.0),
        ]
    );
    assert_eq!(
        value_summary(&value_goals(), as_of, 150_000.0),
        report.value
    );
    // The JSON carries the new figures beside the contract's.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["goals"][1]["recognisedPercent"], 70.0);
    assert_eq!(json["value"]["totalRecognisedAnnualValue"], 142_000.0);
    assert_eq!(json["value"]["totalAnnualValue"], 274_486.0);
}

fn account_view(goals: &[Goal], investment: f64) -> AccountSuccess {
    let external_id = ExternalId::parse("acc-0001").unwrap();
    AccountSuccess {
        customer_id: CustomerId::for_external_id(&external_id),
        external_id: external_id.to_string(),
        account_name: "Acme Corp".into(),
        tier: Tier::Growth,
        period: "all".into(),
        contract_start: None,
        renewal_date: None,
        investment,
        include_targets: true,
        churned: None,
        report: success_report(
            goals,
            at("2026-01-06T00:00:00Z"),
            investment,
            None,
            None,
            None,
        ),
    }
}

#[test]
fn the_value_report_shows_recognised_value_and_what_the_csm_chose() {
    let view = account_view(&value_goals(), 150_000.0);
    // Left to the report: recognised value, and no ROI lines, since the net
    // return on it is negative (−5.33 %).
    let report = ValueReport::new(&view, true, None);
    assert_eq!(report.recognised_annual_value, Some(142_000.0));
    assert_eq!(report.annual_value_when_achieved, Some(274_486.0));
    assert_close(report.value_multiple, 142_000.0 / 150_000.0);
    assert_close(report.net_roi_percent, -100.0 * 8_000.0 / 150_000.0);
    assert!(!report.show_roi);
    assert_eq!(report.goals.len(), 4);
    assert_eq!(report.goals[2].recognised_annual_value, Some(0.0));
    let categories: Vec<(&str, Option<f64>)> = report
        .value_categories
        .iter()
        .map(|category| (category.label.as_str(), category.recognised_annual_value))
        .collect();
    assert_eq!(
        categories,
        vec![
            ("Cost Reduction", Some(100_000.0)),
            ("Time Savings", Some(42_000.0))
        ]
    );
    // The CSM asked for ROI: shown, negative as it is; or hid it.
    assert!(ValueReport::new(&view, true, Some(true)).show_roi);
    assert!(!ValueReport::new(&view, true, Some(false)).show_roi);
    // Goals not started left out: three goals, counted as such.
    let started = ValueReport::new(&view, false, None);
    assert_eq!(started.goals_total, 3);
    assert!(
        started
            .goals
            .iter()
            .all(|goal| goal.status != GoalStatus::NotStarted)
    );
    assert_eq!(started.recognised_annual_value, Some(142_000.0));
    assert_eq!(started.annual_value_when_achieved, Some(171_286.0));
    // A positive return on 100,000 is shown without being asked: +42 %.
    let paid_back = ValueReport::new(&account_view(&value_goals(), 100_000.0), true, None);
    assert!(paid_back.show_roi);
    assert_close(paid_back.net_roi_percent, 42.0);
    // Hidden when there is nothing to show (no investment).
    assert!(!ValueReport::new(&account_view(&value_goals(), 0.0), true, None).show_roi);
}

#[test]
fn value_driver_inputs_are_bounded_naming_the_field() {
    let body = |driver: serde_json::Value| {
        serde_json::json!({"title": "Support", "targetDate": "2026-12-31", "valueDrivers": [driver]})
            .to_string()
    };
    let start = day("2026-01-01");
    for (driver, expected) in [
        (
            serde_json::json!({"kind": "time_saved", "hoursPerMonth": 1e200, "hourlyRate": 45, "confidence": "high"}),
            "valueDrivers[0].hoursPerMonth: 1e200 is implausibly large: a value must lie within ±1,000,000,000,000",
        ),
        (
            serde_json::json!({"kind": "time_saved", "hoursPerMonth": 120_000, "hourlyRate": 45, "confidence": "high"}),
            "valueDrivers[0].hoursPerMonth: must be at most 100,000 hours a month",
        ),
        (
            serde_json::json!({"kind": "time_saved", "hoursPerMonth": 10, "hourlyRate": 20_000, "confidence": "high"}),
            "valueDrivers[0].hourlyRate: must be at most $10,000 an hour",
        ),
        (
            serde_json::json!({"kind": "cost_reduction", "amountPerYear": 2e10, "confidence": "low"}),
            "valueDrivers[0].amountPerYear: must be at most $10,000,000,000 a year",
        ),
        (
            serde_json::json!({"kind": "tools_retired", "annualCost": 2e10, "tools": 1, "confidence": "low"}),
            "valueDrivers[0].annualCost: must be at most $10,000,000,000 a year",
        ),
    ] {
        let error = parse_goal(body(driver).as_bytes(), start).unwrap_err();
        assert_eq!(error.to_string(), expected);
    }
    // The bounds themselves are plausible.
    let fine = serde_json::json!({"kind": "time_saved", "hoursPerMonth": 100_000, "hourlyRate": 10_000, "confidence": "high"});
    assert!(parse_goal(body(fine).as_bytes(), start).is_ok());
}

/// A goal stored before the bounds (or an ARR beyond reason) can still hold
/// figures no document can write: the value report carries them as `None`, so
/// they are written "–" rather than as a saturated `$9,223,372,036,854,775,807`
/// or `inf×`.
#[test]
fn figures_no_document_can_write_are_left_out_of_the_value_report() {
    let mut goal = ten_day_goal("huge", vec![percent_metric("m", Some(120.0))]);
    goal.value_drivers = vec![driver(
        ValueDriverKind::TimeSaved {
            hours_per_month: 1e200,
            hourly_rate: 45.0,
        },
        Confidence::High,
        "",
    )];
    let report = ValueReport::new(&account_view(&[goal], 150_000.0), true, Some(true));
    assert_eq!(report.recognised_annual_value, None);
    assert_eq!(report.annual_value_when_achieved, None);
    assert_eq!(report.value_multiple, None);
    assert_eq!(report.net_roi_percent, None);
    assert_eq!(report.goals[0].annual_value, None);
    assert_eq!(report.value_categories[0].recognised_annual_value, None);
    assert_eq!(report.investment, Some(150_000.0));
    let unreadable = ValueReport::new(&account_view(&value_goals(), f64::MAX), true, Some(true));
    assert_eq!(unreadable.investment, None);
}

#[test]
fn the_three_exact_messages() {
    let as_of = at("2026-01-06T00:00:00Z");

    let empty = success_report(&[], as_of, 150_000.0, None, None, None);
    assert_eq!(
        empty.messages,
        vec!["No success goals defined.".to_string()]
    );
    assert_eq!(empty.success_score, None);
    assert_eq!(empty.score_band, None);
    assert_eq!(empty.executive_summary.goals_total, 0);

    let missing = ten_day_goal(
        "g",
        vec![
            percent_metric("measured", Some(50.0)),
            percent_metric("never measured", None),
        ],
    );
    let report = success_report(&[missing], as_of, 0.0, None, None, None);
    let text = "Some metrics missing data. Showing available data.";
    assert_eq!(report.messages, vec![text.to_string()]);
    assert_eq!(report.goals[0].message.as_deref(), Some(text));
    assert!(report.goals[0].metrics[1].missing);
    assert!(!report.goals[0].metrics[0].missing);
    assert_eq!(report.goals[0].metrics[1].current, None);
    assert_close(report.goals[0].progress, 50.0);

    let mut no_baseline = percent_metric("no baseline", Some(50.0));
    no_baseline.baseline = None;
    let report = success_report(
        &[ten_day_goal("g", vec![no_baseline])],
        as_of,
        0.0,
        None,
        None,
        None,
    );
    let text = "Baseline not set. Cannot calculate progress.";
    assert_eq!(report.messages, vec![text.to_string()]);
    let view = &report.goals[0].metrics[0];
    assert_eq!(view.message.as_deref(), Some(text));
    assert_eq!(view.current, Some(50.0));
    assert_eq!(view.progress, None);
    assert_eq!(view.status, MetricStatus::NoData);
    assert_eq!(report.goals[0].message, None);
    assert_eq!(report.success_score, None);

    // A complete goal carries no message.
    let fine = ten_day_goal("g", vec![percent_metric("m", Some(50.0))]);
    let report = success_report(&[fine], as_of, 0.0, None, None, None);
    assert!(report.messages.is_empty());
    assert_eq!(report.goals[0].message, None);
    assert_eq!(report.goals[0].metrics[0].message, None);
}

#[test]
fn point_in_time_ignores_measurements_at_or_after_as_of() {
    // Recorded out of order on purpose: the latest by time wins, not by position.
    let history = [
        ("2026-03-01T00:00:00Z", 30.0),
        ("2026-01-01T00:00:00Z", 10.0),
        ("2026-02-01T00:00:00Z", 20.0),
    ];
    let goals = [goal(
        "g",
        "2026-01-01",
        "2026-12-31",
        vec![metric(
            "m",
            MetricCategory::Adoption,
            Some(0.0),
            100.0,
            HIGHER,
            &history,
        )],
    )];
    // (as_of, current, currentAt, points known, trend)
    let cases = [
        ("2026-01-01T00:00:00Z", None, None, 0, None),
        (
            "2026-02-01T00:00:00Z",
            Some(10.0),
            Some("2026-01-01T00:00:00Z"),
            1,
            Some(TrendDirection::Flat),
        ),
        (
            "2026-02-01T00:00:00.001Z",
            Some(20.0),
            Some("2026-02-01T00:00:00Z"),
            2,
            Some(TrendDirection::Improving),
        ),
        (
            "2026-06-01T00:00:00Z",
            Some(30.0),
            Some("2026-03-01T00:00:00Z"),
            3,
            Some(TrendDirection::Improving),
        ),
    ];
    for (as_of, current, current_at, points, trend) in cases {
        let report = success_report(&goals, at(as_of), 0.0, None, None, None);
        let view = &report.goals[0].metrics[0];
        assert_eq!(view.current, current, "{as_of}");
        assert_eq!(view.progress, current, "{as_of}");
        assert_eq!(view.current_at, current_at.map(at), "{as_of}");
        assert_eq!(view.missing, current.is_none(), "{as_of}");
        assert_eq!(view.trend.points.len(), points, "{as_of}");
        assert_eq!(view.trend.direction, trend, "{as_of}");
        // Points are in time order, for charts.
        assert!(
            view.trend
                .points
                .windows(2)
                .all(|pair| pair[0].at < pair[1].at)
        );
    }
}

#[test]
fn trend_compares_the_last_two_values_in_the_better_direction() {
    let cases = [
        (vec![], HIGHER, None),
        (vec![5.0], HIGHER, Some(TrendDirection::Flat)),
        (vec![1.0, 5.0, 4.0], HIGHER, Some(TrendDirection::Declining)),
        (vec![9.0, 4.0, 5.0], HIGHER, Some(TrendDirection::Improving)),
        (vec![5.0, 4.0], LOWER, Some(TrendDirection::Improving)),
        (vec![4.0, 5.0], LOWER, Some(TrendDirection::Declining)),
        (vec![3.0, 4.0, 4.0], LOWER, Some(TrendDirection::Flat)),
    ];
    for (values, direction, trend) in cases {
        assert_eq!(
            trend_direction(&values, direction),
            trend,
            "{values:?} {direction:?}"
        );
    }
}

#[test]
fn milestones_in_date_order_from_as_of() {
    let as_of = at("2026-02-15T10:00:00Z");
    let mut adoption = goal(
        "a",
        "2026-01-01",
        "2026-06-30",
        vec![percent_metric("m", Some(90.0))],
    );
    adoption.title = "Adoption".to_string();
    adoption.checkpoints = vec![day("2026-03-15"), day("2026-02-01"), day("2026-02-15")];
    let mut reporting = goal(
        "b",
        "2026-01-01",
        "2026-02-28",
        vec![percent_metric("m", Some(10.0))],
    );
    reporting.title = "Reporting".to_string();
    let mut finished = goal(
        "c",
        "2025-01-01",
        "2026-01-31",
        vec![percent_metric("m", Some(100.0))],
    );
    finished.title = "Finished".to_string();
    let goals = [adoption, reporting, finished];

    let report = success_report(&goals, as_of, 0.0, Some(day("2026-03-01")), None, None);
    let milestones: Vec<(NaiveDate, &str, MilestoneKind, Option<GoalStatus>)> = report
        .milestones
        .iter()
        .map(|milestone| {
            (
                milestone.date,
                milestone.label.as_str(),
                milestone.kind,
                milestone.status,
            )
        })
        .collect();
    // Adoption: 90 % against 25.2 % expected, in progress; Reporting: 10 %
    // against 78.3 % expected, at risk. The checkpoint on as_of's own date counts.
    assert_eq!(
        milestones,
        vec![
            (
                day("2026-02-15"),
                "Adoption: checkpoint",
                MilestoneKind::Checkpoint,
                Some(GoalStatus::InProgress)
            ),
            (
                day("2026-02-28"),
                "Reporting: target date",
                MilestoneKind::TargetDate,
                Some(GoalStatus::AtRisk)
            ),
            (day("2026-03-01"), "Renewal", MilestoneKind::Renewal, None),
            (
                day("2026-03-15"),
                "Adoption: checkpoint",
                MilestoneKind::Checkpoint,
                Some(GoalStatus::InProgress)
            ),
            (
                day("2026-06-30"),
                "Adoption: target date",
                MilestoneKind::TargetDate,
                Some(GoalStatus::InProgress)
            ),
        ]
    );
    assert_eq!(report.milestones[1].goal_id.as_deref(), Some("b"));

    // A renewal already behind as_of is not upcoming.
    let report = success_report(&goals, as_of, 0.0, Some(day("2026-02-14")), None, None);
    assert!(
        report
            .milestones
            .iter()
            .all(|milestone| milestone.kind != MilestoneKind::Renewal)
    );
    assert_eq!(report.milestones.len(), 4);
}

#[test]
fn at_risk_goals_get_root_causes_and_actions() {
    // Ten-day goal seen on day 8: 80 % expected, on track from 70 %.
    let as_of = at("2026-01-09T00:00:00Z");
    let mut adoption = metric(
        "System adoption",
        MetricCategory::Adoption,
        Some(40.0),
        90.0,
        HIGHER,
        &[("2026-01-05T00:00:00Z", 65.0)],
    );
    adoption.unit = "%".to_string();
    let tasks = metric(
        "Tasks per person per day",
        MetricCategory::Operational,
        Some(15.0),
        25.0,
        HIGHER,
        &[("2026-01-05T00:00:00Z", 18.0)],
    );
    let mut errors = metric(
        "Error rate",
        MetricCategory::Quality,
        Some(12.0),
        2.0,
        LOWER,
        &[("2026-01-05T00:00:00Z", 3.8)],
    );
    errors.unit = "%".to_string();
    let efficiency = ten_day_goal("efficiency", vec![tasks, adoption, errors]);
    let usage = UsageContext {
        active_users: 13,
        user_base: 20,
        active_user_percent: 65.0,
        login_frequency_per_week: 1.46,
    };
    let report = success_report(&[efficiency], as_of, 0.0, None, Some(usage), None);
    let goal = &report.goals[0];
    assert_eq!(goal.status, GoalStatus::AtRisk);
    let risk = goal
        .risk
        .as_ref()
        .expect("an at-risk goal has a risk section");
    // The error rate (82 %) is on track, so only the two lagging metrics appear.
    let gaps: Vec<(&str, MetricStatus)> = risk
        .metrics
        .iter()
        .map(|gap| (gap.name.as_str(), gap.status))
        .collect();
    assert_eq!(
        gaps,
        vec![
            ("Tasks per person per day", MetricStatus::AtRisk),
            ("System adoption", MetricStatus::AtRisk),
        ]
    );
    assert_eq!(
        risk.root_causes,
        vec![
            "Tasks per person per day: 18 against a 25 target, 30% of the way (80% expected by now)"
                .to_string(),
            "System adoption: 65% against a 90% target, 50% of the way (80% expected by now)"
                .to_string(),
            "13 of 20 users active (65%), logging in 1.5 times a week each".to_string(),
        ]
    );
    assert_eq!(risk.adoption_evidence, Some(usage));
    let categories: Vec<MetricCategory> = risk
        .actions
        .iter()
        .map(|action: &RecommendedAction| action.category)
        .collect();
    assert_eq!(
        categories,
        vec![MetricCategory::Operational, MetricCategory::Adoption]
    );
    assert!(risk.actions[1].action.contains("training"));
    assert_eq!(report.executive_summary.goals_at_risk, 1);

    // Past the target date the gap says so; without an adoption metric the
    // usage is not quoted.
    let late = ten_day_goal("late", vec![percent_metric("Automations", Some(40.0))]);
    let report = success_report(
        &[late],
        at("2026-02-01T00:00:00Z"),
        0.0,
        None,
        Some(usage),
        None,
    );
    let risk = report.goals[0].risk.as_ref().unwrap();
    assert_eq!(
        risk.root_causes,
        vec![
            "Automations: 40 against a 100 target, 40% of the way; target date 2026-01-11 has passed"
                .to_string()
        ]
    );
    assert_eq!(risk.adoption_evidence, None);
    assert_eq!(risk.metrics[0].status, MetricStatus::NotMet);
    assert_eq!(risk.actions[0].category, MetricCategory::Operational);

    // Goals that are not at risk carry no risk section.
    let fine = ten_day_goal("fine", vec![percent_metric("m", Some(90.0))]);
    let report = success_report(&[fine], as_of, 0.0, None, Some(usage), None);
    assert_eq!(report.goals[0].status, GoalStatus::InProgress);
    assert_eq!(report.goals[0].risk, None);
}

#[test]
fn executive_summary_counts_goals_by_status() {
    let as_of = at("2026-01-02T00:00:00Z"); // expected 10: on track from 0
    let goals = [
        ten_day_goal("achieved", vec![percent_metric("m", Some(100.0))]),
        ten_day_goal("moving", vec![percent_metric("m", Some(30.0))]),
        ten_day_goal("idle", vec![percent_metric("m", Some(0.0))]),
        ten_day_goal("behind", vec![percent_metric("m", Some(-5.0))]),
    ];
    let report = success_report(&goals, as_of, 0.0, None, None, None);
    let statuses: Vec<GoalStatus> = report.goals.iter().map(|goal| goal.status).collect();
    assert_eq!(
        statuses,
        vec![
            GoalStatus::Achieved,
            GoalStatus::InProgress,
            GoalStatus::NotStarted,
            GoalStatus::AtRisk
        ]
    );
    let summary = &report.executive_summary;
    assert_eq!(summary.goals_total, 4);
    assert_eq!(summary.goals_on_track_or_exceeded, 2);
    assert_eq!(summary.goals_achieved, 1);
    assert_eq!(summary.goals_at_risk, 1);
    // (100 + 30 + 0 + 0) ÷ 4, the −5 clamped to 0.
    assert_close(report.success_score, 32.5);
    assert_eq!(report.score_band, Some(ScoreBand::Critical));
}

#[test]
fn benchmark_mid_rank_percentile_among_peers() {
    let account = PeerSuccess {
        success_score: Some(80.0),
        goals_achieved_percent: Some(50.0),
        net_roi_percent: Some(83.6),
    };
    let peer = |score, achieved, roi| PeerSuccess {
        success_score: score,
        goals_achieved_percent: achieved,
        net_roi_percent: roi,
    };
    let peers = [
        account,
        peer(Some(60.0), Some(25.0), Some(20.0)),
        peer(Some(90.0), Some(50.0), None),
        peer(Some(70.0), Some(0.0), Some(120.0)),
        peer(None, None, None),
    ];
    let result = benchmark(&account, &peers);
    // Scores 80, 60, 90, 70: 2 below, 1 equal → 100 × 2.5 ÷ 4; mean 75.
    assert_close(result.success_score.percentile, 62.5);
    assert_close(result.success_score.peer_average, 75.0);
    assert_eq!(result.success_score.peers, 4);
    // Achieved 50, 25, 50, 0: 2 below, 2 equal → 100 × 3 ÷ 4; mean 31.25.
    assert_close(result.goals_achieved_percent.percentile, 75.0);
    assert_close(result.goals_achieved_percent.peer_average, 31.25);
    // ROI 83.6, 20, 120: 1 below, 1 equal → 100 × 1.5 ÷ 3; mean 74.5333…
    assert_close(result.net_roi_percent.percentile, 50.0);
    assert_close(result.net_roi_percent.peer_average, 223.6 / 3.0);
    assert_eq!(result.net_roi_percent.peers, 3);

    // An account without the figure still sees the peer average, not a rank.
    let result = benchmark(&peer(None, Some(0.0), None), &peers);
    assert_eq!(result.success_score.percentile, None);
    assert_close(result.success_score.peer_average, 75.0);
    assert_close(result.goals_achieved_percent.percentile, 12.5);
}

#[test]
fn peer_figures_match_the_report_and_feed_the_benchmark() {
    let as_of = at("2026-01-06T00:00:00Z");
    let mut achieved = ten_day_goal("a", vec![percent_metric("m", Some(100.0))]);
    achieved.value_drivers = vec![driver(
        ValueDriverKind::CostReduction {
            amount_per_year: 300_000.0,
        },
        Confidence::High,
        "",
    )];
    let behind = ten_day_goal("b", vec![percent_metric("m", Some(20.0))]);
    let goals = [achieved, behind];
    let own = peer_figures(&goals, as_of, 150_000.0);
    // Score (100 + 20) ÷ 2 = 60; 1 of 2 goals achieved; ROI 100 × 150,000 ÷ 150,000.
    assert_close(own.success_score, 60.0);
    assert_close(own.goals_achieved_percent, 50.0);
    assert_close(own.net_roi_percent, 100.0);
    assert_eq!(peer_figures(&[], as_of, 1.0), PeerSuccess::default());

    let other = PeerSuccess {
        success_score: Some(40.0),
        goals_achieved_percent: Some(100.0),
        net_roi_percent: None,
    };
    let peers = [own, other];
    let report = success_report(&goals, as_of, 150_000.0, None, None, Some(&peers));
    let result = report.benchmark.expect("peers given");
    assert_close(result.success_score.value, 60.0);
    // 60 against 60 and 40: 1 below, 1 equal → 75.
    assert_close(result.success_score.percentile, 75.0);
    assert_close(result.goals_achieved_percent.percentile, 25.0);
    assert_close(result.net_roi_percent.percentile, 50.0);
    let report = success_report(&goals, as_of, 150_000.0, None, None, None);
    assert_eq!(report.benchmark, None);
}

#[test]
fn report_json_is_camel_case_with_nulls() {
    let mut reporting = ten_day_goal(
        "g",
        vec![percent_metric("m", Some(50.0)), percent_metric("n", None)],
    );
    reporting.value_drivers = vec![driver(
        ValueDriverKind::TimeSaved {
            hours_per_month: 10.0,
            hourly_rate: 50.0,
        },
        Confidence::Medium,
        "",
    )];
    let report = success_report(
        &[reporting],
        at("2026-01-06T00:00:00Z"),
        0.0,
        Some(day("2026-03-01")),
        None,
        None,
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["asOf"], "2026-01-06T00:00:00Z");
    assert_eq!(json["successScore"], 50.0);
    assert_eq!(json["scoreBand"], "weak");
    assert_eq!(json["executiveSummary"]["goalsOnTrackOrExceeded"], 1);
    assert_eq!(json["benchmark"], serde_json::Value::Null);
    assert_eq!(json["value"]["netRoiPercent"], serde_json::Value::Null);
    assert_eq!(json["value"]["totalAnnualValue"], 6_000.0);
    let goal = &json["goals"][0];
    assert_eq!(goal["startDate"], "2026-01-01");
    assert_eq!(goal["status"], "in_progress");
    assert_eq!(goal["metrics"][0]["status"], "on_track");
    assert_eq!(goal["metrics"][0]["currentAt"], "2025-12-01T00:00:00Z");
    assert_eq!(goal["metrics"][1]["current"], serde_json::Value::Null);
    assert_eq!(goal["metrics"][1]["status"], "no_data");
    assert_eq!(goal["metrics"][0]["trend"]["direction"], "flat");
    let value_driver = &goal["valueDrivers"][0];
    assert_eq!(value_driver["kind"], "time_saved");
    assert_eq!(value_driver["hoursPerMonth"], 10.0);
    assert_eq!(value_driver["label"], "Time Savings");
    assert_eq!(value_driver["annualValue"], 6_000.0);
    assert_eq!(json["milestones"][0]["kind"], "target_date");
    assert_eq!(json["milestones"][1]["kind"], "renewal");
}
