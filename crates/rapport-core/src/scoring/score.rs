//! Scoring: factor facts + a model → factor scores, statuses, component scores,
//! effective weights, contributions and the overall score (`definitions.md` §3.2).
//! Contributions always add up to the overall score.

use serde::Serialize;

use crate::engine::FactorFacts;
use crate::scoring::model::{Better, FactorDefinition, FactorKey, FactorValue, Model};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FactorStatus {
    Healthy,
    Warning,
    Critical,
    NoData,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FactorScore {
    pub key: FactorKey,
    pub name: String,
    pub component: String,
    /// `null` when there is no data, or when the customer never did it.
    pub current: Option<f64>,
    pub target: f64,
    pub unit: String,
    pub weight: f64,
    /// `null` for a factor left out for lack of data.
    pub score: Option<f64>,
    /// Its share of the overall after no-data factors and components are left out.
    pub effective_weight: f64,
    pub contribution: f64,
    /// Points the overall would gain if the factor reached its target.
    pub recoverable_points: f64,
    pub status: FactorStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComponentScore {
    pub key: String,
    pub name: String,
    pub score: Option<f64>,
    pub weight: f64,
    pub contribution: f64,
    /// The model's band key (`highly_engaged`, `healthy`…).
    pub band: Option<String>,
    pub factors: Vec<FactorScore>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Scorecard {
    pub overall: Option<f64>,
    /// The model's band key.
    pub band: Option<String>,
    pub components: Vec<ComponentScore>,
}

/// 0–100: `100 × min(1, current / target)` when higher is better (0 for a
/// negative value), `100 × min(1, target / current)` (100 at 0) when lower is
/// better.
pub fn factor_score(better: Better, current: f64, target: f64) -> f64 {
    match better {
        Better::Higher => 100.0 * (current / target).clamp(0.0, 1.0),
        Better::Lower if current <= 0.0 => 100.0,
        Better::Lower => 100.0 * (target / current).min(1.0),
    }
}

/// The key of the model's band a score falls in.
pub fn band(model: &Model, score: f64) -> String {
    model.band_of(score).key.clone()
}

/// A factor's score for a value: by its bands when it has them (the first step
/// that takes the value; 0 when none does), else against its target.
pub fn score_value(factor: &FactorDefinition, value: f64) -> f64 {
    if factor.bands.is_empty() {
        factor_score(factor.better, value, factor.target)
    } else {
        factor
            .bands
            .iter()
            .find(|band| band.takes(value))
            .map_or(0.0, |band| band.score)
    }
}

fn status(model: &Model, score: f64) -> FactorStatus {
    if score >= model.status.healthy {
        FactorStatus::Healthy
    } else if score >= model.status.warning {
        FactorStatus::Warning
    } else {
        FactorStatus::Critical
    }
}

/// A factor's `(current, score)`: `(None, None)` without data, `(None, Some(0))`
/// when the customer never did it.
fn factor_value(factor: &FactorDefinition, facts: &FactorFacts) -> (Option<f64>, Option<f64>) {
    match factor.key.value(facts) {
        FactorValue::NoData => (None, None),
        FactorValue::NeverHappened => (None, Some(0.0)),
        FactorValue::Value(value) => (Some(value), Some(score_value(factor, value))),
    }
}

/// Weighted mean over the items that have a score, and the weight they carry;
/// `None` when none has. The one formula behind component and overall scores.
fn weighted_mean(items: impl Iterator<Item = (f64, Option<f64>)>) -> (Option<f64>, f64) {
    let (mut weighted, mut weight_with_data) = (0.0, 0.0);
    for (weight, score) in items {
        if let Some(score) = score {
            weighted += score * weight;
            weight_with_data += weight;
        }
    }
    (
        (weight_with_data > 0.0).then(|| weighted / weight_with_data),
        weight_with_data,
    )
}

/// The overall and component scores alone, without the explained scorecard:
/// what peer groups, history and portfolio views need. Equal, to the bit, to
/// the figures [`score`] gives.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreSummary {
    pub overall: Option<f64>,
    /// In the model's component order.
    pub components: Vec<Option<f64>>,
}

impl Scorecard {
    /// The card's overall and component scores.
    pub fn summary(&self) -> ScoreSummary {
        ScoreSummary {
            overall: self.overall,
            components: self.components.iter().map(|c| c.score).collect(),
        }
    }
}

pub fn summary(model: &Model, facts: &FactorFacts) -> ScoreSummary {
    let components: Vec<Option<f64>> = model
        .components
        .iter()
        .map(|component| {
            weighted_mean(
                model
                    .factors
                    .iter()
                    .filter(|factor| factor.component == component.key)
                    .map(|factor| (factor.weight, factor_value(factor, facts).1)),
            )
            .0
        })
        .collect();
    let overall = weighted_mean(
        model
            .components
            .iter()
            .zip(&components)
            .map(|(component, score)| (model.component_weight(&component.key), *score)),
    )
    .0;
    ScoreSummary {
        overall,
        components,
    }
}

pub fn score(model: &Model, facts: &FactorFacts) -> Scorecard {
    let mut components: Vec<ComponentScore> = model
        .components
        .iter()
        .map(|component| {
            let factors: Vec<FactorScore> = model
                .factors
                .iter()
                .filter(|factor| factor.component == component.key)
                .map(|factor| {
                    let (current, score) = factor_value(factor, facts);
                    FactorScore {
                        key: factor.key,
                        name: factor.name.clone(),
                        component: component.key.clone(),
                        current,
                        target: factor.target,
                        unit: factor.unit.clone(),
                        weight: factor.weight,
                        score,
                        effective_weight: 0.0,
                        contribution: 0.0,
                        recoverable_points: 0.0,
                        status: score.map_or(FactorStatus::NoData, |score| status(model, score)),
                    }
                })
                .collect();
            let score = weighted_mean(factors.iter().map(|f| (f.weight, f.score))).0;
            ComponentScore {
                key: component.key.clone(),
                name: component.name.clone(),
                score,
                weight: model.component_weight(&component.key),
                contribution: 0.0,
                band: score.map(|score| band(model, score)),
                factors,
            }
        })
        .collect();

    let (overall, component_weight_with_data) =
        weighted_mean(components.iter().map(|c| (c.weight, c.score)));
    if component_weight_with_data > 0.0 {
        for component in &mut components {
            if component.score.is_none() {
                continue;
            }
            let factor_weight_with_data = weighted_mean(
                component
                    .factors
                    .iter()
                    .map(|factor| (factor.weight, factor.score)),
            )
            .1;
            for factor in &mut component.factors {
                if let Some(score) = factor.score {
                    factor.effective_weight = factor.weight
                        * (component.weight / factor_weight_with_data)
                        * (100.0 / component_weight_with_data);
                    factor.contribution = factor.effective_weight * score / 100.0;
                    factor.recoverable_points = factor.effective_weight * (100.0 - score) / 100.0;
                }
            }
            component.contribution = component
                .factors
                .iter()
                .map(|factor| factor.contribution)
                .sum();
        }
    }
    Scorecard {
        overall,
        band: overall.map(|score| band(model, score)),
        components,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prd070_product_examples() {
        // 2.1 logins/week vs 3 → 70; 45 % breadth vs 50 % → 90; 12 min vs 15 → 80; 58 % vs 70 % → 82.857.
        assert!((factor_score(Better::Higher, 2.1, 3.0) - 70.0).abs() < 1e-9);
        assert!((factor_score(Better::Higher, 45.0, 50.0) - 90.0).abs() < 1e-9);
        assert!((factor_score(Better::Higher, 12.0, 15.0) - 80.0).abs() < 1e-9);
        assert!((factor_score(Better::Higher, 58.0, 70.0) - 82.857_142_857).abs() < 1e-6);
        assert_eq!(factor_score(Better::Higher, 82.0, 70.0), 100.0);
        assert_eq!(factor_score(Better::Lower, 18.0, 24.0), 100.0);
        assert!((factor_score(Better::Lower, 60.0, 90.0) - 100.0).abs() < 1e-9);
        assert!((factor_score(Better::Lower, 135.0, 90.0) - 66.666_666_667).abs() < 1e-6);
        assert_eq!(factor_score(Better::Lower, 0.0, 24.0), 100.0);
    }

    fn full_facts() -> FactorFacts {
        FactorFacts {
            email_response_rate: Some(35.0),   // 50
            response_time_hours: Some(48.0),   // 50
            meeting_attendance: Some(90.0),    // 100
            proactive_outreach_per_month: 0.5, // 50
            login_frequency_per_week: 2.1,     // 70
            feature_breadth: Some(45.0),       // 90
            session_minutes: 12.0,             // 80
            active_user_percent: 35.0,         // 50
            stakeholder_depth: 3.0,            // 100
            days_since_executive: Some(180.0), // 50
            days_since_champion: None,         // 0 (never engaged)
            ..FactorFacts::default()
        }
    }

    #[test]
    fn all_factors_with_data() {
        let card = score(&Model::prd070(), &full_facts());
        // communication: (15·50 + 10·50 + 15·100 + 10·50) / 50 = 65
        // product: (15·70 + 10·90 + 5·80 + 10·50) / 40 = 71.25
        // relationship: (5·100 + 3·50 + 2·0) / 10 = 65
        // overall: (50·65 + 40·71.25 + 10·65) / 100 = 67.5
        let scores: Vec<f64> = card.components.iter().map(|c| c.score.unwrap()).collect();
        assert_eq!(scores, [65.0, 71.25, 65.0]);
        assert_eq!(card.overall, Some(67.5));
        assert_eq!(card.band.as_deref(), Some("moderately_engaged"));
        let champion = &card.components[2].factors[2];
        assert_eq!(
            (champion.current, champion.score, champion.status),
            (None, Some(0.0), FactorStatus::Critical)
        );
        // With every factor present, contribution = weight × score / 100.
        let login = &card.components[1].factors[0];
        assert!((login.contribution - 15.0 * 70.0 / 100.0).abs() < 1e-12);
        assert!((login.recoverable_points - 4.5).abs() < 1e-12);
        let total: f64 = card.components.iter().map(|c| c.contribution).sum();
        assert!((total - 67.5).abs() < 1e-9);
    }

    #[test]
    fn no_data_factors_and_components_are_left_out() {
        let facts = FactorFacts {
            email_response_rate: None,
            response_time_hours: None,
            meeting_attendance: None,
            ..full_facts()
        };
        let card = score(&Model::prd070(), &facts);
        // communication keeps only proactive outreach: 50.
        assert_eq!(card.components[0].score, Some(50.0));
        let outreach = &card.components[0].factors[3];
        // effective weight 10 × (50 / 10) × (100 / 100) = 50.
        assert!((outreach.effective_weight - 50.0).abs() < 1e-12);
        assert_eq!(card.components[0].factors[0].status, FactorStatus::NoData);
        assert_eq!(card.components[0].factors[0].current, None);
        // overall (50·50 + 40·71.25 + 10·65) / 100 = 60
        assert!((card.overall.unwrap() - 60.0).abs() < 1e-9);
        let total: f64 = card
            .components
            .iter()
            .flat_map(|c| &c.factors)
            .map(|f| f.contribution)
            .sum();
        assert!((total - card.overall.unwrap()).abs() < 1e-9);
    }

    #[test]
    fn summary_equals_the_scorecard_to_the_bit() {
        let model = Model::prd070();
        let variants = [
            full_facts(),
            FactorFacts::default(),
            FactorFacts {
                email_response_rate: None,
                response_time_hours: None,
                meeting_attendance: None,
                ..full_facts()
            },
            FactorFacts {
                days_since_executive: Some(0.0),
                days_since_champion: Some(3.3),
                feature_breadth: None,
                ..full_facts()
            },
        ];
        for facts in variants {
            let card = score(&model, &facts);
            let quick = summary(&model, &facts);
            assert_eq!(quick.overall, card.overall);
            let components: Vec<Option<f64>> = card.components.iter().map(|c| c.score).collect();
            assert_eq!(quick.components, components);
        }
    }
}
