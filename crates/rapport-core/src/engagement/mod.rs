//! The engagement breakdown of one account (PRD-070), assembled from the engine:
//! current and compare scorecards, trends, change attribution, history, peers,
//! recommendations, impact analysis and alerts. This one structure is what the
//! API returns and every other surface renders.

pub mod breakdown;
pub mod explain;
pub mod impact;
pub mod peers;

use serde::Serialize;

use crate::domain::CustomerId;
use crate::engagement::breakdown::{Alert, FactorChange, FactorTrend, HistoryMonth, Trend};
use crate::engagement::explain::{ExplainContext, RootCause};
use crate::engagement::impact::{ImpactCache, ImpactModel, ImpactSource};
use crate::engagement::peers::{PeerCache, PeerComparison};
use crate::engine::facts::{FactorFacts, factor_facts};
use crate::engine::{AccountState, PortfolioState, Window};
use crate::scoring::model::{FactorKey, Model};
use crate::scoring::overrides::{OverrideEvent, OverrideStatus, OverrideView, beside, view_at};
use crate::scoring::score::{FactorScore, Scorecard, score};
use crate::time::{MILLIS_PER_DAY, Period, Timestamp};

/// The compare period: the one before the window, or explicit dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compare {
    Previous,
    /// `START..END`: figures as they were at END, over END − START.
    Range {
        start: Timestamp,
        end: Timestamp,
    },
}

impl Compare {
    /// Parses `previous` or `START..END` (dates or RFC 3339 instants).
    pub fn parse(text: &str) -> Result<Compare, String> {
        let text = text.trim();
        if text.is_empty() || text == "previous" {
            return Ok(Compare::Previous);
        }
        let (start, end) = text
            .split_once("..")
            .ok_or_else(|| format!("`{text}` is neither `previous` nor START..END"))?;
        let start = Timestamp::parse_lenient(start).map_err(|error| error.to_string())?;
        let end = Timestamp::parse_lenient(end).map_err(|error| error.to_string())?;
        let length = end.millis() - start.millis();
        if length <= 0 || length % MILLIS_PER_DAY != 0 {
            return Err(format!(
                "`{text}` must end after it starts and span whole days"
            ));
        }
        Ok(Compare::Range { start, end })
    }

    pub fn window(self, current: Window) -> Window {
        match self {
            Compare::Previous => {
                Window::new(Timestamp::from_millis(current.start()), current.period)
            }
            Compare::Range { start, end } => {
                let days = ((end.millis() - start.millis()) / MILLIS_PER_DAY) as u32;
                Window::new(end, Period::from_days(days).unwrap_or(current.period))
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PeriodView {
    pub days: u32,
    pub start: Timestamp,
    pub end: Timestamp,
}

impl From<Window> for PeriodView {
    fn from(window: Window) -> Self {
        PeriodView {
            days: window.period.days(),
            start: Timestamp::from_millis(window.start()),
            end: window.as_of,
        }
    }
}

/// A factor as PRD-070's `EngagementFactor`, with its compare value and trend.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EngagementFactor {
    #[serde(flatten)]
    pub score: FactorScore,
    pub previous: Option<f64>,
    pub trend: Option<FactorTrend>,
    /// The factor's share of the overall score, in percent: its weight when
    /// factor weights are shares of the overall (PRD-070), else its share of
    /// its component's weight (a model whose components carry their own).
    pub share_of_overall: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComponentView {
    pub key: String,
    pub name: String,
    pub score: Option<f64>,
    pub previous_score: Option<f64>,
    pub weight: f64,
    pub contribution: f64,
    /// The model's band key, and its name for people.
    pub band: Option<String>,
    pub band_name: Option<String>,
    pub factors: Vec<EngagementFactor>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    pub factor: FactorKey,
    pub name: String,
    pub component: String,
    /// Points the overall would gain if the factor reached its target.
    pub recoverable_points: f64,
    pub action: String,
    /// The root cause behind it, in one sentence.
    pub because: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Scenario {
    pub score: f64,
    pub renewal_probability: f64,
    pub expansion_probability: f64,
    /// Against the current score's probabilities (probability points, e.g. 0.09);
    /// `null` when there is no current score.
    pub renewal_change: Option<f64>,
    pub expansion_change: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImpactAnalysis {
    /// `logistic_fit` (at least 30 outcomes before as_of) or `framework_table`.
    pub source: ImpactSource,
    pub model: ImpactModel,
    pub current: Option<Scenario>,
    pub if_improves_to_85: Scenario,
    pub if_drops_to_60: Scenario,
    /// The scenarios to show people, phrased from where the account is: a
    /// rise to 85 (or 10 points higher when the score is already 85 or more,
    /// none at 100) and a fall to 60 (or 15 points lower when it is already
    /// 60 or less, none at 0). Without a current score, the two fixed ones.
    pub scenarios: Vec<ImpactScenario>,
}

/// A scenario with the sentence it is shown under.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImpactScenario {
    /// `up` or `down`.
    pub direction: &'static str,
    /// "If engagement improves to 85", "If engagement falls further to 25".
    pub label: String,
    #[serde(flatten)]
    pub scenario: Scenario,
}

/// The score a scenario moves to from `current`, in whole points: up to 85
/// or 10 higher (at most 100); down to 60 or 15 lower (at least 0).
fn scenario_scores(current: f64) -> (Option<f64>, Option<f64>) {
    let whole = current.floor();
    let up = if whole < 85.0 {
        Some(85.0)
    } else {
        Some((whole + 10.0).min(100.0)).filter(|up| *up > current)
    };
    let down = if whole > 60.0 {
        Some(60.0)
    } else {
        Some((whole - 15.0).max(0.0)).filter(|down| *down < current)
    };
    (up, down)
}

impl ImpactAnalysis {
    pub fn new(model: ImpactModel, current: Option<f64>) -> Self {
        let now = current.map(|score| model.probabilities(score));
        let scenario = |score: f64| {
            let (renewal_probability, expansion_probability) = model.probabilities(score);
            Scenario {
                score,
                renewal_probability,
                expansion_probability,
                renewal_change: now.map(|(renewal, _)| renewal_probability - renewal),
                expansion_change: now.map(|(_, expansion)| expansion_probability - expansion),
            }
        };
        let scenarios = match current {
            None => vec![
                ImpactScenario {
                    direction: "up",
                    label: "If engagement reaches 85".into(),
                    scenario: scenario(85.0),
                },
                ImpactScenario {
                    direction: "down",
                    label: "If engagement is at 60".into(),
                    scenario: scenario(60.0),
                },
            ],
            Some(score) => {
                let (up, down) = scenario_scores(score);
                let up = up.map(|to| ImpactScenario {
                    direction: "up",
                    label: format!("If engagement improves to {to:.0}"),
                    scenario: scenario(to),
                });
                let down = down.map(|to| ImpactScenario {
                    direction: "down",
                    label: if score <= 60.0 {
                        format!("If engagement falls further to {to:.0}")
                    } else {
                        format!("If engagement drops to {to:.0}")
                    },
                    scenario: scenario(to),
                });
                up.into_iter().chain(down).collect()
            }
        };
        ImpactAnalysis {
            source: model.source,
            current: current.map(scenario),
            if_improves_to_85: scenario(85.0),
            if_drops_to_60: scenario(60.0),
            scenarios,
            model,
        }
    }
}

/// What a breakdown reuses between requests: peer scores and the impact model,
/// both kept exact by the engine's generation counters, and both shared
/// between threads (`&self`; scoring happens outside their locks).
#[derive(Debug, Default)]
pub struct BreakdownCaches {
    pub peers: PeerCache,
    pub impact: ImpactCache,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EngagementBreakdown {
    pub customer_id: CustomerId,
    pub external_id: String,
    pub account_name: String,
    pub model: String,
    pub as_of: Timestamp,
    pub period: PeriodView,
    pub compare_period: PeriodView,
    pub overall: Option<f64>,
    pub previous_overall: Option<f64>,
    /// The model's band key, and its name for people.
    pub band: Option<String>,
    pub band_name: Option<String>,
    pub trend: Option<Trend>,
    /// The framework's engagement velocity: touchpoints now against the compare period.
    pub velocity: Velocity,
    /// The score the account's tier should reach, and whether it is below it.
    pub tier_target: f64,
    pub below_tier_target: Option<bool>,
    /// The computed overall beside a manual override of this model's score, if
    /// one is in force ([`EngagementBreakdown::apply_overrides`]).
    pub score_override: OverrideView,
    pub components: Vec<ComponentView>,
    pub factors: Vec<EngagementFactor>,
    pub change_attribution: Option<Vec<FactorChange>>,
    pub history: Vec<HistoryMonth>,
    /// PRD-070's pattern analysis of the history, one sentence a component.
    pub patterns: Vec<breakdown::Pattern>,
    pub peer_comparison: Option<PeerComparison>,
    pub root_causes: Vec<RootCause>,
    pub recommendations: Vec<Recommendation>,
    pub risk_factors: Vec<String>,
    pub impact_analysis: ImpactAnalysis,
    pub alerts: Vec<Alert>,
    /// Set when the account had churned at `as_of`: the report is history,
    /// with no alerts or recommendations.
    pub churned: Option<crate::engine::state::Churn>,
    pub facts: FactorFacts,
}

impl EngagementBreakdown {
    /// Puts the account's manual override of this model's score (from its
    /// audit `events`) beside the computed overall, as it stood at `as_of`.
    pub fn apply_overrides(&mut self, events: &[OverrideEvent]) {
        self.score_override = view_at(self.overall, events, &self.model, self.as_of);
    }
}

/// Engagement velocity (engagement-scoring framework): `(current − previous) ÷
/// previous` of the touchpoints (e-mails both ways, calls, meetings held) in
/// the window and in the compare period, as a percentage; `null` when the
/// compare period had none.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Velocity {
    pub touchpoints: u32,
    pub previous_touchpoints: u32,
    pub percent: Option<f64>,
}

impl Velocity {
    pub fn new(touchpoints: u32, previous_touchpoints: u32) -> Self {
        Velocity {
            touchpoints,
            previous_touchpoints,
            percent: (previous_touchpoints > 0).then(|| {
                100.0 * (f64::from(touchpoints) - f64::from(previous_touchpoints))
                    / f64::from(previous_touchpoints)
            }),
        }
    }
}

fn band_name(model: &Model, key: Option<&str>) -> Option<String> {
    key.map(|key| model.band_name(key).to_string())
}

/// What to do about a factor below target.
pub fn action_for(factor: FactorKey) -> &'static str {
    match factor {
        FactorKey::EmailResponseRate => {
            "Follow up on unanswered threads by another channel and shorten outreach to one clear ask"
        }
        FactorKey::ResponseTime => {
            "Agree a response cadence with the champion and flag time-sensitive asks"
        }
        FactorKey::MeetingAttendance => {
            "Send calendar reminders the day before and confirm attendees"
        }
        FactorKey::ProactiveOutreach => {
            "Give the customer reasons to reach out: office hours, a shared channel, roadmap previews"
        }
        FactorKey::LoginFrequency => {
            "Schedule a usage review and re-engage inactive users with personalised outreach"
        }
        FactorKey::FeatureBreadth => "Run feature training for under-used core capabilities",
        FactorKey::SessionDuration => "Review workflows with power users to deepen sessions",
        FactorKey::ActiveUserPercent => "Identify inactive users and run a re-engagement campaign",
        FactorKey::StakeholderDepth => "Multi-thread: meet more stakeholders across departments",
        FactorKey::ExecutiveAccess | FactorKey::ExecutiveEngaged => {
            "Schedule an executive check-in"
        }
        FactorKey::ChampionActivity | FactorKey::ChampionsEngaged => {
            "Reconnect with the champion, or identify a new one"
        }
        FactorKey::CsmTouchpoints => "Set a regular call or meeting cadence with the account",
        FactorKey::EmailExchanges => "Turn one-way updates into conversations with one clear ask",
        FactorKey::Logins => "Schedule a usage review and re-engage inactive users",
        FactorKey::SupportInteractions => "Check in on open issues and how support is going",
        FactorKey::TrainingEvents => "Invite the team to training or a community event",
        FactorKey::MeetingExecutiveShare => "Bring an executive sponsor into the next meeting",
        FactorKey::MeetingStrategicShare => {
            "Move from tactical check-ins to a strategic review (QBR or workshop)"
        }
        FactorKey::PowerUsersEngaged => "Find and enable power users in each team",
        FactorKey::DepartmentsEngaged => {
            "Reach a third department: map stakeholders beyond the champion's team"
        }
        FactorKey::TicketSentiment => "Run the service-recovery play on the negative tickets",
        FactorKey::TrainingAttendance => "Reschedule missed trainings and confirm attendees",
        FactorKey::CommunityActivity => "Invite users to the community and the next event",
        FactorKey::SuccessScore => "Review the success plan: goals at risk and their actions",
        FactorKey::Nps | FactorKey::Csat => {
            "Follow up with detractors and close the loop on their feedback"
        }
        FactorKey::PaymentOnTime => "Work with finance on the overdue and late invoices",
        FactorKey::ArrTrend => "Prepare a value review before the renewal conversation",
    }
}

fn scorecard(
    model: &Model,
    portfolio: &PortfolioState,
    account: &AccountState,
    window: Window,
) -> (FactorFacts, Scorecard) {
    let facts = factor_facts(portfolio, account, window);
    let card = score(model, &facts);
    (facts, card)
}

/// A factor's share of the overall score: its own weight when the
/// component's factor weights add up to the component's weight (they are
/// shares of the overall), else its part of the component's weight.
fn share_of_overall(component_weight: f64, factor_weight: f64, factor_weights: f64) -> f64 {
    if (factor_weights - component_weight).abs() <= 1e-9 || factor_weights <= 0.0 {
        factor_weight
    } else {
        component_weight * factor_weight / factor_weights
    }
}

/// The whole breakdown of one account at `window`, against `compare`.
pub fn engagement_breakdown(
    model: &Model,
    portfolio: &PortfolioState,
    account: &AccountState,
    window: Window,
    compare: Compare,
    caches: &BreakdownCaches,
) -> Option<EngagementBreakdown> {
    let info = account.account()?;
    let compare_window = compare.window(window);
    let (facts, current) = scorecard(model, portfolio, account, window);
    let (previous_facts, previous) = scorecard(model, portfolio, account, compare_window);
    let root_causes = explain::root_causes(
        &ExplainContext::new(
            portfolio,
            account,
            window,
            compare_window,
            &facts,
            &previous_facts,
        ),
        &current,
    );
    let previous_factor = |key: FactorKey| {
        previous
            .components
            .iter()
            .flat_map(|component| &component.factors)
            .find(|factor| factor.key == key)
    };
    let components: Vec<ComponentView> = current
        .components
        .iter()
        .map(|component| ComponentView {
            key: component.key.clone(),
            name: component.name.clone(),
            score: component.score,
            previous_score: previous
                .components
                .iter()
                .find(|c| c.key == component.key)
                .and_then(|c| c.score),
            weight: component.weight,
            contribution: component.contribution,
            band: component.band.clone(),
            band_name: band_name(model, component.band.as_deref()),
            factors: component
                .factors
                .iter()
                .map(|factor| {
                    let before = previous_factor(factor.key).and_then(|before| before.current);
                    let better = model
                        .factors
                        .iter()
                        .find(|definition| definition.key == factor.key)
                        .map(|definition| definition.better)
                        .unwrap_or(crate::scoring::model::Better::Higher);
                    EngagementFactor {
                        score: factor.clone(),
                        previous: before,
                        trend: breakdown::factor_trend(model, better, factor.current, before),
                        share_of_overall: share_of_overall(
                            component.weight,
                            factor.weight,
                            component.factors.iter().map(|factor| factor.weight).sum(),
                        ),
                    }
                })
                .collect(),
        })
        .collect();
    let factors: Vec<EngagementFactor> = components
        .iter()
        .flat_map(|c| c.factors.iter().cloned())
        .collect();
    let mut recommendations: Vec<Recommendation> = factors
        .iter()
        .filter(|factor| factor.score.recoverable_points > 0.0)
        .map(|factor| Recommendation {
            factor: factor.score.key,
            name: factor.score.name.clone(),
            component: factor.score.component.clone(),
            recoverable_points: factor.score.recoverable_points,
            action: action_for(factor.score.key).to_string(),
            because: root_causes
                .iter()
                .find(|cause| cause.factor == factor.score.key)
                .map(|cause| cause.summary.clone()),
        })
        .collect();
    recommendations
        .sort_by(|left, right| right.recoverable_points.total_cmp(&left.recoverable_points));
    let churned = account.churned_at(window.as_of);
    if churned.is_some() {
        recommendations.clear();
    }
    let risk_factors = factors
        .iter()
        .filter(|factor| factor.score.status == crate::scoring::score::FactorStatus::Critical)
        .map(|factor| {
            let cause = root_causes
                .iter()
                .find(|cause| cause.factor == factor.score.key)
                .map(|cause| format!(": {}", cause.summary))
                .unwrap_or_default();
            format!(
                "{} is critical (score {}){cause}",
                factor.score.name,
                crate::numbers::score(factor.score.score.unwrap_or(0.0))
            )
        })
        .collect();
    let history = breakdown::history(
        model,
        portfolio,
        account,
        window.as_of,
        (window.period == Period::DEFAULT).then(|| current.summary()),
    );
    Some(EngagementBreakdown {
        customer_id: info.customer_id(),
        external_id: info.external_id.to_string(),
        account_name: info.name.clone(),
        model: model.name.clone(),
        as_of: window.as_of,
        period: window.into(),
        compare_period: compare_window.into(),
        overall: current.overall,
        previous_overall: previous.overall,
        band: current.band.clone(),
        band_name: band_name(model, current.band.as_deref()),
        velocity: Velocity::new(facts.touchpoints, previous_facts.touchpoints),
        score_override: beside(
            current.overall,
            OverrideStatus {
                model: model.name.clone(),
                override_: None,
                expired: None,
            },
        ),
        tier_target: model.tier_targets.of(info.tier),
        below_tier_target: current
            .overall
            .map(|overall| overall < model.tier_targets.of(info.tier)),
        trend: breakdown::overall_trend(model, current.overall, previous.overall),
        change_attribution: breakdown::change_attribution(&current, &previous),
        patterns: breakdown::patterns(model, &history),
        history,
        peer_comparison: caches.peers.comparison(model, portfolio, account, window),
        recommendations,
        risk_factors,
        impact_analysis: ImpactAnalysis::new(
            caches.impact.model_at(model, portfolio, window.as_of),
            current.overall,
        ),
        root_causes,
        // A churned account's history stays readable, but nothing is asked of
        // anyone about it: no alerts, no actions (docs/decisions.md).
        alerts: if churned.is_some() {
            Vec::new()
        } else {
            breakdown::alerts(model, &current, &previous)
        },
        churned,
        components,
        factors,
        facts,
    })
}

#[cfg(test)]
mod share_tests {
    use super::share_of_overall;

    #[test]
    fn a_factors_share_of_the_overall() {
        // PRD-070: factor weights are shares of the overall (they add up to
        // the component's weight).
        assert_eq!(share_of_overall(30.0, 12.0, 30.0), 12.0);
        // The framework: a component of 25 % whose factors carry points 30
        // and 20 of 50: 25 × 30 / 50 = 15 %.
        assert_eq!(share_of_overall(25.0, 30.0, 50.0), 15.0);
        assert_eq!(share_of_overall(25.0, 20.0, 50.0), 10.0);
    }
}
