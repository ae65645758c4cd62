//! The scoring-model file: components, factors, weights, targets, direction,
//! status thresholds, score bands, trend thresholds and alert rules, as TOML.
//! Rapport ships the PRD-070 model (`models/prd070-engagement.toml`); a user may
//! load their own. A model is validated when loaded, with messages naming the key.

use serde::{Deserialize, Serialize};

use crate::engine::FactorFacts;

/// The PRD-070 engagement model, as shipped.
pub const PRD070_ENGAGEMENT: &str = include_str!("../models/prd070-engagement.toml");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("model is not valid TOML: {0}")]
    Syntax(String),
    #[error("model: {key}: {reason}")]
    Invalid { key: String, reason: String },
}

/// The measurable inputs a factor may score, each computed by window aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorKey {
    EmailResponseRate,
    ResponseTime,
    MeetingAttendance,
    ProactiveOutreach,
    LoginFrequency,
    FeatureBreadth,
    SessionDuration,
    ActiveUserPercent,
    StakeholderDepth,
    ExecutiveAccess,
    ChampionActivity,
}

/// A factor's current value for a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FactorValue {
    /// The denominator is our own action and it did not happen: the factor is
    /// left out of its component.
    NoData,
    /// The customer never did it (an executive or champion never engaged): shown
    /// as `null`, scored 0, weight kept.
    NeverHappened,
    Value(f64),
}

impl FactorKey {
    pub fn value(self, facts: &FactorFacts) -> FactorValue {
        let optional = |value: Option<f64>| value.map_or(FactorValue::NoData, FactorValue::Value);
        let recency =
            |value: Option<f64>| value.map_or(FactorValue::NeverHappened, FactorValue::Value);
        match self {
            FactorKey::EmailResponseRate => optional(facts.email_response_rate),
            FactorKey::ResponseTime => optional(facts.response_time_hours),
            FactorKey::MeetingAttendance => optional(facts.meeting_attendance),
            FactorKey::ProactiveOutreach => FactorValue::Value(facts.proactive_outreach_per_month),
            FactorKey::LoginFrequency => FactorValue::Value(facts.login_frequency_per_week),
            FactorKey::FeatureBreadth => optional(facts.feature_breadth),
            FactorKey::SessionDuration => FactorValue::Value(facts.session_minutes),
            FactorKey::ActiveUserPercent => FactorValue::Value(facts.active_user_percent),
            FactorKey::StakeholderDepth => FactorValue::Value(facts.stakeholder_depth),
            FactorKey::ExecutiveAccess => recency(facts.days_since_executive),
            FactorKey::ChampionActivity => recency(facts.days_since_champion),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Higher,
    Lower,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusThresholds {
    pub healthy: f64,
    pub warning: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bands {
    pub highly_engaged: f64,
    pub moderately_engaged: f64,
    pub low: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrendThresholds {
    pub overall_points: f64,
    pub factor_relative: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRules {
    pub score_drop_points: f64,
    pub component_below: f64,
    pub overall_below: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentDefinition {
    pub key: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactorDefinition {
    pub key: FactorKey,
    pub name: String,
    pub component: String,
    pub weight: f64,
    pub target: f64,
    pub better: Better,
    #[serde(default)]
    pub unit: String,
}

/// A validated scoring model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub status: StatusThresholds,
    pub bands: Bands,
    pub trend: TrendThresholds,
    pub alerts: AlertRules,
    pub components: Vec<ComponentDefinition>,
    pub factors: Vec<FactorDefinition>,
}

impl Model {
    /// The names of the models Rapport ships.
    pub const SHIPPED: &'static [&'static str] = &["prd070-engagement"];

    /// A shipped model by name.
    pub fn shipped(name: &str) -> Option<Model> {
        match name {
            "prd070-engagement" | "prd070" => Some(Model::prd070()),
            _ => None,
        }
    }

    pub fn prd070() -> Model {
        Model::from_toml(PRD070_ENGAGEMENT).expect("the shipped model is valid")
    }

    pub fn from_toml(text: &str) -> Result<Model, ModelError> {
        let model: Model =
            toml::from_str(text).map_err(|error| ModelError::Syntax(error.to_string()))?;
        model.validate()?;
        Ok(model)
    }

    fn validate(&self) -> Result<(), ModelError> {
        let invalid = |key: String, reason: &str| {
            Err(ModelError::Invalid {
                key,
                reason: reason.to_string(),
            })
        };
        if self.components.is_empty() {
            return invalid("components".into(), "a model needs at least one component");
        }
        for (index, component) in self.components.iter().enumerate() {
            if self.components[..index]
                .iter()
                .any(|other| other.key == component.key)
            {
                return invalid(
                    format!("components[{index}].key"),
                    "duplicate component key",
                );
            }
            if !self
                .factors
                .iter()
                .any(|factor| factor.component == component.key)
            {
                return invalid(format!("components[{index}]"), "component has no factor");
            }
        }
        for (index, factor) in self.factors.iter().enumerate() {
            let key = |field: &str| format!("factors[{index}].{field} ({})", factor.name);
            if !(factor.weight.is_finite() && factor.weight > 0.0) {
                return invalid(key("weight"), "weight must be a positive number");
            }
            if !(factor.target.is_finite() && factor.target > 0.0) {
                return invalid(key("target"), "target must be a positive number");
            }
            if !self
                .components
                .iter()
                .any(|component| component.key == factor.component)
            {
                return invalid(key("component"), "names no component of the model");
            }
            if self.factors[..index]
                .iter()
                .any(|other| other.key == factor.key)
            {
                return invalid(key("key"), "factor appears twice");
            }
        }
        let descending = |values: &[f64]| {
            values.iter().all(|value| value.is_finite())
                && values.windows(2).all(|pair| pair[0] >= pair[1])
        };
        if !descending(&[self.status.healthy, self.status.warning]) {
            return invalid("status".into(), "healthy must be at least warning");
        }
        if !(self.bands.highly_engaged >= self.bands.moderately_engaged
            && self.bands.moderately_engaged >= self.bands.low)
        {
            return invalid(
                "bands".into(),
                "bands must descend: highly_engaged ≥ moderately_engaged ≥ low",
            );
        }
        Ok(())
    }

    /// The weight of a component: the sum of its factors' weights.
    pub fn component_weight(&self, component: &str) -> f64 {
        self.factors
            .iter()
            .filter(|factor| factor.component == component)
            .map(|factor| factor.weight)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_model_has_prd070_weights() {
        let model = Model::prd070();
        assert_eq!(model.factors.len(), 11);
        assert_eq!(model.component_weight("communication"), 50.0);
        assert_eq!(model.component_weight("product"), 40.0);
        assert_eq!(model.component_weight("relationship"), 10.0);
    }

    #[test]
    fn invalid_models_name_the_key() {
        let cases = [
            (
                "weight = 15\n",
                "weight = 0\n",
                "factors[0].weight (Email Response Rate): weight must be a positive number",
            ),
            (
                "key = \"email_response_rate\"",
                "key = \"email_open_rate\"",
                "unknown variant `email_open_rate`",
            ),
            ("target = 70\n", "", "missing field `target`"),
            (
                "component = \"communication\"\nweight = 15",
                "component = \"talk\"\nweight = 15",
                "factors[0].component (Email Response Rate): names no component",
            ),
        ];
        for (from, to, expected) in cases {
            let text = PRD070_ENGAGEMENT.replacen(from, to, 1);
            assert_ne!(text, PRD070_ENGAGEMENT, "{from} not found");
            let error = Model::from_toml(&text).unwrap_err().to_string();
            assert!(error.contains(expected), "{error}\n expected: {expected}");
        }
    }
}
