//! The engagement breakdown's comparisons and judgements, from scorecards:
//! overall and per-factor trend against the compare period, the score-change
//! attribution, the six-month history, alerts and the impact analysis
//! (`definitions.md` §1 and §3.2). Pure functions over [`Scorecard`]s, so every
//! surface renders the same figures.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::engine::facts::factor_facts;
use crate::engine::{AccountState, PortfolioState, Window};
use crate::scoring::model::{Better, FactorKey, Model};
use crate::scoring::score::{ScoreSummary, Scorecard, summary};
use crate::time::{Period, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    Improving,
    Stable,
    Declining,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FactorTrend {
    Up,
    Flat,
    Down,
}

/// Overall trend: improving / declining when the overall moved at least the
/// model's threshold (3 points) against the compare period.
pub fn overall_trend(model: &Model, current: Option<f64>, previous: Option<f64>) -> Option<Trend> {
    let change = current? - previous?;
    Some(if change >= model.trend.overall_points {
        Trend::Improving
    } else if change <= -model.trend.overall_points {
        Trend::Declining
    } else {
        Trend::Stable
    })
}

/// Factor trend: up / down when the value moved at least 5 % relative to the
/// compare value in the better / worse direction; from 0 any move counts; no
/// value on either side: no trend.
pub fn factor_trend(
    model: &Model,
    better: Better,
    current: Option<f64>,
    previous: Option<f64>,
) -> Option<FactorTrend> {
    let (current, previous) = (current?, previous?);
    let moved = if previous == 0.0 {
        current != 0.0
    } else {
        ((current - previous) / previous).abs() >= model.trend.factor_relative
    };
    if !moved {
        return Some(FactorTrend::Flat);
    }
    let rose = current > previous;
    Some(match (better, rose) {
        (Better::Higher, true) | (Better::Lower, false) => FactorTrend::Up,
        _ => FactorTrend::Down,
    })
}

/// How many points one factor added to (positive) or took from (negative) the
/// overall change: its contribution now minus its contribution then.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FactorChange {
    pub key: FactorKey,
    pub name: String,
    pub points: f64,
}

/// The change attribution: per factor, ordered by the size of its effect. The
/// points add up exactly to the overall change (contributions add up to the
/// overall on both sides). `None` when either side has no overall score.
pub fn change_attribution(current: &Scorecard, previous: &Scorecard) -> Option<Vec<FactorChange>> {
    current.overall?;
    previous.overall?;
    let previous_factors: Vec<_> = previous
        .components
        .iter()
        .flat_map(|component| &component.factors)
        .collect();
    let mut changes: Vec<FactorChange> = current
        .components
        .iter()
        .flat_map(|component| &component.factors)
        .map(|factor| {
            let before = previous_factors
                .iter()
                .find(|other| other.key == factor.key)
                .map_or(0.0, |other| other.contribution);
            FactorChange {
                key: factor.key,
                name: factor.name.clone(),
                points: factor.contribution - before,
            }
        })
        .collect();
    changes.sort_by(|left, right| right.points.abs().total_cmp(&left.points.abs()));
    Some(changes)
}

/// One month of the history: the score with P = 30 days at the first instant of
/// the following month (at `as_of` for the current month).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub scored_at: Timestamp,
    pub overall: Option<f64>,
    pub communication: Option<f64>,
    pub product: Option<f64>,
    pub relationship: Option<f64>,
    /// Every component's score by key, for models with other components.
    pub components: Vec<(String, Option<f64>)>,
}

/// One component's pattern over the history (PRD-070's "Pattern Analysis").
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pattern {
    pub component: String,
    /// `volatile`, `rising`, `declining`, `consistently_strong`,
    /// `consistently_weak` or `stable`.
    pub kind: &'static str,
    /// "Product volatile (between 41 and 68)".
    pub summary: String,
}

/// Points between a history's lowest and highest month that make it volatile.
const VOLATILE_RANGE: f64 = 15.0;
/// Points from the first scored month to the last that make a rise or a fall.
const MOVE_POINTS: f64 = 8.0;

/// The pattern of each component (and the overall) over the history months
/// that have a score; none with fewer than three such months. In order:
/// volatile (a range of 15+ points), rising or declining (8+ points from the
/// first month to the last), consistently strong (every month in the model's
/// top two bands), consistently weak (every month in its lowest band), stable.
pub fn patterns(model: &Model, history: &[HistoryMonth]) -> Vec<Pattern> {
    let score = crate::numbers::score;
    let strong_from = model.bands.get(1).map_or(f64::INFINITY, |band| band.from);
    let weak_below = model
        .bands
        .iter()
        .rev()
        .nth(1)
        .map_or(f64::NEG_INFINITY, |band| band.from);
    let series = model
        .components
        .iter()
        .enumerate()
        .map(|(index, component)| {
            let scores: Vec<f64> = history
                .iter()
                .filter_map(|month| month.components.get(index).and_then(|(_, score)| *score))
                .collect();
            (component.key.clone(), component.name.clone(), scores)
        })
        .chain(std::iter::once((
            "overall".to_string(),
            "Overall".to_string(),
            history.iter().filter_map(|month| month.overall).collect(),
        )));
    series
        .filter(|(_, _, scores)| scores.len() >= 3)
        .map(|(component, name, scores)| {
            let low = scores.iter().copied().fold(f64::INFINITY, f64::min);
            let high = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let (first, last) = (scores[0], scores[scores.len() - 1]);
            let (kind, summary) = if high - low >= VOLATILE_RANGE {
                (
                    "volatile",
                    format!(
                        "{name} volatile (between {} and {})",
                        score(low),
                        score(high)
                    ),
                )
            } else if last - first >= MOVE_POINTS {
                (
                    "rising",
                    format!("{name} rising ({} → {})", score(first), score(last)),
                )
            } else if first - last >= MOVE_POINTS {
                (
                    "declining",
                    format!("{name} declining ({} → {})", score(first), score(last)),
                )
            } else if low >= strong_from {
                (
                    "consistently_strong",
                    format!("{name} consistently strong (never below {})", score(low)),
                )
            } else if high < weak_below {
                (
                    "consistently_weak",
                    format!("{name} consistently weak (never above {})", score(high)),
                )
            } else {
                (
                    "stable",
                    format!("{name} stable (between {} and {})", score(low), score(high)),
                )
            };
            Pattern {
                component,
                kind,
                summary,
            }
        })
        .collect()
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).expect("day 1 exists")
}

fn next_month(date: NaiveDate) -> NaiveDate {
    let first = first_of_month(date);
    first
        .checked_add_months(chrono::Months::new(1))
        .expect("within chrono's range")
}

fn previous_month(date: NaiveDate) -> NaiveDate {
    let first = first_of_month(date);
    first
        .checked_sub_months(chrono::Months::new(1))
        .expect("within chrono's range")
}

/// The instants the six history months are scored at, oldest first, with their labels.
pub fn history_instants(as_of: Timestamp) -> Vec<(String, Timestamp)> {
    let mut months = Vec::with_capacity(6);
    let mut month = first_of_month(as_of.date());
    for index in 0..6 {
        let scored_at = if index == 0 {
            as_of
        } else {
            Timestamp::start_of_day(next_month(month))
        };
        months.push((
            format!("{:04}-{:02}", month.year(), month.month()),
            scored_at,
        ));
        month = previous_month(month);
    }
    months.reverse();
    months
}

/// Scores `account` at each history instant. `current` is the score at
/// `as_of` with `P = 30d` when the caller already has it (the current month's figure).
pub fn history(
    model: &Model,
    portfolio: &PortfolioState,
    account: &AccountState,
    as_of: Timestamp,
    current: Option<ScoreSummary>,
) -> Vec<HistoryMonth> {
    let mut current = current;
    history_instants(as_of)
        .into_iter()
        .map(|(month, scored_at)| {
            let known = if scored_at == as_of {
                current.take()
            } else {
                None
            };
            let scores = known.unwrap_or_else(|| {
                summary(
                    model,
                    &factor_facts(portfolio, account, Window::new(scored_at, Period::DEFAULT)),
                )
            });
            let component = |key: &str| {
                model
                    .components
                    .iter()
                    .position(|c| c.key == key)
                    .and_then(|index| scores.components[index])
            };
            HistoryMonth {
                month,
                scored_at,
                overall: scores.overall,
                communication: component("communication"),
                product: component("product"),
                relationship: component("relationship"),
                components: model
                    .components
                    .iter()
                    .zip(&scores.components)
                    .map(|(c, score)| (c.key.clone(), *score))
                    .collect(),
            }
        })
        .collect()
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AlertPriority {
    Critical,
    High,
    Medium,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// Stable rule id: `score_drop`, `component_below`, `overall_below`.
    pub rule: String,
    pub priority: AlertPriority,
    /// Who must hear of it: the CSM, and for critical alerts their manager too.
    pub notify: Vec<String>,
    pub message: String,
}

/// PRD-070's alert triggers, evaluated on the current and compare scorecards.
pub fn alerts(model: &Model, current: &Scorecard, previous: &Scorecard) -> Vec<Alert> {
    let mut alerts = Vec::new();
    if let Some(overall) = current.overall {
        if overall < model.alerts.overall_below {
            alerts.push(Alert {
                rule: "overall_below".into(),
                priority: AlertPriority::Critical,
                notify: vec!["csm".into(), "manager".into()],
                message: format!(
                    "Engagement score {} is below {}",
                    crate::numbers::score(overall),
                    model.alerts.overall_below
                ),
            });
        }
        if let Some(before) = previous.overall
            && before - overall > model.alerts.score_drop_points
        {
            alerts.push(Alert {
                rule: "score_drop".into(),
                priority: AlertPriority::High,
                notify: vec!["csm".into()],
                message: format!(
                    "Engagement score fell {} points ({} → {}) against the compare period",
                    crate::numbers::fixed(before - overall, 1),
                    crate::numbers::score(before),
                    crate::numbers::score(overall)
                ),
            });
        }
    }
    for component in &current.components {
        if let Some(component_score) = component.score
            && component_score < model.alerts.component_below
        {
            alerts.push(Alert {
                rule: "component_below".into(),
                priority: AlertPriority::Medium,
                notify: vec!["csm".into()],
                message: format!(
                    "{} engagement {} is below {}",
                    component.name,
                    crate::numbers::score(component_score),
                    model.alerts.component_below
                ),
            });
        }
    }
    alerts
}

/// Renewal and expansion probability for a score, from the framework's table
/// (80+: 97 % / 45 %, 60–79: 88 % / 22 %, 40–59: 68 % / 8 %, < 40: 42 % / 2 %),
/// interpolated linearly between band midpoints (90, 70, 50, 20) and flat
/// beyond the outer midpoints.
pub fn framework_probabilities(score: f64) -> (f64, f64) {
    const POINTS: [(f64, f64, f64); 4] = [
        (20.0, 0.42, 0.02),
        (50.0, 0.68, 0.08),
        (70.0, 0.88, 0.22),
        (90.0, 0.97, 0.45),
    ];
    if score <= POINTS[0].0 {
        return (POINTS[0].1, POINTS[0].2);
    }
    for pair in POINTS.windows(2) {
        let ((low, renew_low, expand_low), (high, renew_high, expand_high)) = (pair[0], pair[1]);
        if score <= high {
            let share = (score - low) / (high - low);
            return (
                renew_low + share * (renew_high - renew_low),
                expand_low + share * (expand_high - expand_low),
            );
        }
    }
    (POINTS[3].1, POINTS[3].2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::FactorFacts;
    use crate::scoring::score::score;

    #[test]
    fn trends() {
        let model = Model::prd070();
        assert_eq!(
            overall_trend(&model, Some(72.0), Some(69.0)),
            Some(Trend::Improving)
        );
        assert_eq!(
            overall_trend(&model, Some(72.0), Some(69.5)),
            Some(Trend::Stable)
        );
        assert_eq!(
            overall_trend(&model, Some(60.0), Some(63.0)),
            Some(Trend::Declining)
        );
        assert_eq!(overall_trend(&model, None, Some(63.0)), None);
        assert_eq!(
            factor_trend(&model, Better::Higher, Some(45.0), Some(42.0)),
            Some(FactorTrend::Up)
        );
        assert_eq!(
            factor_trend(&model, Better::Higher, Some(43.0), Some(42.0)),
            Some(FactorTrend::Flat)
        );
        assert_eq!(
            factor_trend(&model, Better::Higher, Some(58.0), Some(65.0)),
            Some(FactorTrend::Down)
        );
        // Lower is better: response time from 30 h to 18 h is up.
        assert_eq!(
            factor_trend(&model, Better::Lower, Some(18.0), Some(30.0)),
            Some(FactorTrend::Up)
        );
        assert_eq!(
            factor_trend(&model, Better::Higher, Some(0.5), Some(0.0)),
            Some(FactorTrend::Up)
        );
        assert_eq!(
            factor_trend(&model, Better::Higher, Some(0.0), Some(0.0)),
            Some(FactorTrend::Flat)
        );
        assert_eq!(factor_trend(&model, Better::Higher, None, Some(1.0)), None);
    }

    #[test]
    fn attribution_adds_up_to_the_change() {
        let model = Model::prd070();
        let before = FactorFacts {
            email_response_rate: Some(70.0),
            response_time_hours: Some(12.0),
            meeting_attendance: Some(100.0),
            proactive_outreach_per_month: 2.0,
            login_frequency_per_week: 3.0,
            feature_breadth: Some(50.0),
            session_minutes: 20.0,
            active_user_percent: 70.0,
            stakeholder_depth: 4.0,
            days_since_executive: Some(10.0),
            days_since_champion: Some(3.0),
            ..FactorFacts::default()
        };
        let after = FactorFacts {
            email_response_rate: None,
            login_frequency_per_week: 1.5,
            days_since_champion: None,
            ..before.clone()
        };
        let (now, then) = (score(&model, &after), score(&model, &before));
        let changes = change_attribution(&now, &then).unwrap();
        let total: f64 = changes.iter().map(|change| change.points).sum();
        assert!((total - (now.overall.unwrap() - then.overall.unwrap())).abs() < 1e-9);
        assert_eq!(then.overall, Some(100.0));
        // communication 100 (three factors left), product (15·50 + 25·100) / 40 = 81.25,
        // relationship (5·100 + 3·100 + 2·0) / 10 = 80: overall 90.5.
        assert!((now.overall.unwrap() - 90.5).abs() < 1e-9);
        // E-mail response rate lost its 15 points to no data; the other three
        // communication factors took its share (10 × 50 / 35 − 10 = 4.29 each for
        // the weight-10 ones); login frequency halved lost 7.5; the champion 2.
        let points = |key: FactorKey| {
            changes
                .iter()
                .find(|change| change.key == key)
                .unwrap()
                .points
        };
        assert_eq!(changes[0].key, FactorKey::EmailResponseRate);
        assert!((points(FactorKey::EmailResponseRate) + 15.0).abs() < 1e-9);
        assert!((points(FactorKey::ResponseTime) - (500.0 / 35.0 - 10.0)).abs() < 1e-9);
        assert!((points(FactorKey::LoginFrequency) + 7.5).abs() < 1e-9);
        assert!((points(FactorKey::ChampionActivity) + 2.0).abs() < 1e-9);
        assert!(alerts(&model, &now, &then).is_empty());
    }

    #[test]
    fn history_months_are_calendar_months() {
        let as_of = Timestamp::parse_rfc3339("2026-01-15T12:00:00Z").unwrap();
        let months = history_instants(as_of);
        let labels: Vec<&str> = months.iter().map(|(label, _)| label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01"
            ]
        );
        assert_eq!(months[0].1.to_rfc3339(), "2025-09-01T00:00:00Z");
        assert_eq!(months[4].1.to_rfc3339(), "2026-01-01T00:00:00Z");
        assert_eq!(months[5].1, as_of);
    }

    #[test]
    fn framework_table_interpolates_between_midpoints() {
        assert_eq!(framework_probabilities(95.0), (0.97, 0.45));
        assert_eq!(framework_probabilities(10.0), (0.42, 0.02));
        let (renew, expand) = framework_probabilities(60.0);
        assert!((renew - 0.78).abs() < 1e-12 && (expand - 0.15).abs() < 1e-12);
        let (renew, _) = framework_probabilities(85.0);
        assert!((renew - (0.88 + 0.75 * 0.09)).abs() < 1e-12);
    }

    #[test]
    fn alert_rules() {
        let model = Model::prd070();
        let low = FactorFacts::default();
        let card = score(&model, &low);
        let previous = score(
            &model,
            &FactorFacts {
                login_frequency_per_week: 3.0,
                active_user_percent: 70.0,
                session_minutes: 15.0,
                proactive_outreach_per_month: 1.0,
                stakeholder_depth: 3.0,
                ..FactorFacts::default()
            },
        );
        let rules: Vec<(String, AlertPriority)> = alerts(&model, &card, &previous)
            .into_iter()
            .map(|alert| (alert.rule, alert.priority))
            .collect();
        assert_eq!(
            rules,
            [
                ("overall_below".to_string(), AlertPriority::Critical),
                ("score_drop".to_string(), AlertPriority::High),
                ("component_below".to_string(), AlertPriority::Medium),
                ("component_below".to_string(), AlertPriority::Medium),
                ("component_below".to_string(), AlertPriority::Medium),
            ]
        );
    }
}
