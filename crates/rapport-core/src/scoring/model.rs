//! The scoring-model file: components, factors, weights, targets, direction,
//! status thresholds, score bands, trend thresholds and alert rules, as TOML.
//! Rapport ships the PRD-070 model (`models/prd070-engagement.toml`); a user may
//! load their own. A model is validated when loaded, with messages naming the key.

use serde::{Deserialize, Serialize};

use crate::engine::FactorFacts;

/// The PRD-070 engagement model, as shipped (the default).
pub const PRD070_ENGAGEMENT: &str = include_str!("../../models/prd070-engagement.toml");
/// The engagement-scoring framework's model (frequency, quality, breadth, product).
pub const FRAMEWORK_ENGAGEMENT: &str = include_str!("../../models/framework-engagement.toml");
/// The customer health score (usage, engagement, outcomes, relationship, financial).
pub const HEALTH: &str = include_str!("../../models/health.toml");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("model is not valid TOML: {0}")]
    Syntax(String),
    #[error("model: {key}: {reason}")]
    Invalid { key: String, reason: String },
}

/// The measurable inputs a factor may score, each computed by window aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
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
    // Inputs of the framework engagement and health models (docs/models.md).
    CsmTouchpoints,
    EmailExchanges,
    Logins,
    SupportInteractions,
    TrainingEvents,
    MeetingExecutiveShare,
    MeetingStrategicShare,
    ExecutiveEngaged,
    ChampionsEngaged,
    PowerUsersEngaged,
    DepartmentsEngaged,
    TicketSentiment,
    TrainingAttendance,
    CommunityActivity,
    SuccessScore,
    Nps,
    Csat,
    PaymentOnTime,
    ArrTrend,
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
            FactorKey::CsmTouchpoints => FactorValue::Value(facts.csm_touchpoints),
            FactorKey::EmailExchanges => FactorValue::Value(facts.email_exchanges),
            FactorKey::Logins => FactorValue::Value(f64::from(facts.logins)),
            FactorKey::SupportInteractions => FactorValue::Value(facts.support_interactions),
            FactorKey::TrainingEvents => FactorValue::Value(facts.training_events),
            FactorKey::MeetingExecutiveShare => optional(facts.meeting_executive_share),
            FactorKey::MeetingStrategicShare => optional(facts.meeting_strategic_share),
            FactorKey::ExecutiveEngaged => FactorValue::Value(facts.executive_engaged),
            FactorKey::ChampionsEngaged => FactorValue::Value(facts.champions_engaged),
            FactorKey::PowerUsersEngaged => FactorValue::Value(facts.power_users_engaged),
            FactorKey::DepartmentsEngaged => FactorValue::Value(facts.departments_engaged),
            FactorKey::TicketSentiment => optional(facts.ticket_sentiment),
            FactorKey::TrainingAttendance => optional(facts.training_attendance),
            FactorKey::CommunityActivity => FactorValue::Value(facts.community_per_month),
            FactorKey::SuccessScore => optional(facts.success_score),
            FactorKey::Nps => optional(facts.nps),
            FactorKey::Csat => optional(facts.csat_percent),
            FactorKey::PaymentOnTime => optional(facts.payment_on_time),
            FactorKey::ArrTrend => FactorValue::Value(facts.arr_trend),
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

/// A score band: scores from `from` up to the next band's `from` (exclusive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandDefinition {
    /// What the JSON shows (`highly_engaged`, `healthy`…).
    pub key: String,
    /// What people read ("Highly engaged").
    pub name: String,
    pub from: f64,
}

/// One step of a banded factor: a value at least (or at most) the bound scores
/// `score`. Steps are tried in order; a value no step takes scores 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactorBand {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<f64>,
    pub score: f64,
}

impl FactorBand {
    pub fn takes(&self, value: f64) -> bool {
        match (self.at_least, self.at_most) {
            (Some(bound), _) => value >= bound,
            (None, Some(bound)) => value <= bound,
            (None, None) => false,
        }
    }
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
    /// Its weight in the overall; the sum of its factors' weights when absent
    /// (then factor weights are shares of the overall, as in PRD-070).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
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
    /// Scored by these steps instead of `100 × current ÷ target` (the
    /// framework's point bands); `target` is then the value that earns the top.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bands: Vec<FactorBand>,
}

/// A validated scoring model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub status: StatusThresholds,
    /// Score bands for the overall and component scores, highest first.
    pub bands: Vec<BandDefinition>,
    pub trend: TrendThresholds,
    pub alerts: AlertRules,
    /// The score each tier should reach (the framework's ideal cadence);
    /// an account below its tier's target is flagged.
    #[serde(default)]
    pub tier_targets: TierTargets,
    pub components: Vec<ComponentDefinition>,
    pub factors: Vec<FactorDefinition>,
}

/// Target scores by tier: strategic 85, growth 75, core 65, nurture 55 unless
/// the model says otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TierTargets {
    pub strategic: f64,
    pub growth: f64,
    pub core: f64,
    pub nurture: f64,
}

impl Default for TierTargets {
    fn default() -> Self {
        TierTargets {
            strategic: 85.0,
            growth: 75.0,
            core: 65.0,
            nurture: 55.0,
        }
    }
}

impl TierTargets {
    pub fn of(&self, tier: crate::domain::Tier) -> f64 {
        match tier {
            crate::domain::Tier::Strategic => self.strategic,
            crate::domain::Tier::Growth => self.growth,
            crate::domain::Tier::Core => self.core,
            crate::domain::Tier::Nurture => self.nurture,
        }
    }
}

impl Model {
    /// The names of the models Rapport ships.
    pub const SHIPPED: &'static [&'static str] =
        &["prd070-engagement", "framework-engagement", "health"];

    /// A shipped model by name.
    pub fn shipped(name: &str) -> Option<Model> {
        let text = match name {
            "prd070-engagement" | "prd070" => PRD070_ENGAGEMENT,
            "framework-engagement" | "framework" => FRAMEWORK_ENGAGEMENT,
            "health" => HEALTH,
            _ => return None,
        };
        Some(Model::from_toml(text).expect("the shipped models are valid"))
    }

    /// The shipped health model.
    pub fn health() -> Model {
        Model::from_toml(HEALTH).expect("the shipped model is valid")
    }

    /// The band a score falls in: the first whose `from` it reaches, else the last.
    pub fn band_of(&self, score: f64) -> &BandDefinition {
        self.bands
            .iter()
            .find(|band| score >= band.from)
            .or(self.bands.last())
            .expect("a validated model has bands")
    }

    /// A band's name by its key ("" for an unknown key).
    pub fn band_name(&self, key: &str) -> &str {
        self.bands
            .iter()
            .find(|band| band.key == key)
            .map_or("", |band| band.name.as_str())
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

    pub(crate) fn validate(&self) -> Result<(), ModelError> {
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
            if let Some(weight) = component.weight
                && !(weight.is_finite() && weight > 0.0)
            {
                return invalid(
                    format!("components[{index}].weight ({})", component.key),
                    "weight must be a positive number",
                );
            }
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
            for (step, band) in factor.bands.iter().enumerate() {
                let at = |field: &str| key(&format!("bands[{step}].{field}"));
                if band.at_least.is_some() == band.at_most.is_some() {
                    return invalid(at("at_least"), "give exactly one of at_least and at_most");
                }
                if !band.at_least.or(band.at_most).is_some_and(f64::is_finite) {
                    return invalid(at("at_least"), "the bound must be a number");
                }
                if !(0.0..=100.0).contains(&band.score) {
                    return invalid(at("score"), "score must be between 0 and 100");
                }
            }
        }
        let descending = |values: &[f64]| {
            values.iter().all(|value| value.is_finite())
                && values.windows(2).all(|pair| pair[0] >= pair[1])
        };
        if !descending(&[self.status.healthy, self.status.warning]) {
            return invalid("status".into(), "healthy must be at least warning");
        }
        if self.bands.is_empty() {
            return invalid("bands".into(), "a model needs at least one score band");
        }
        let froms: Vec<f64> = self.bands.iter().map(|band| band.from).collect();
        if !descending(&froms) {
            return invalid(
                "bands".into(),
                "bands must be listed highest first, each `from` below the one before",
            );
        }
        Ok(())
    }

    /// The weight of a component: its own, or the sum of its factors' weights.
    pub fn component_weight(&self, component: &str) -> f64 {
        if let Some(weight) = self
            .components
            .iter()
            .find(|candidate| candidate.key == component)
            .and_then(|candidate| candidate.weight)
        {
            return weight;
        }
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
    fn a_tier_may_have_its_own_model() {
        let framework = Model::shipped("framework-engagement").unwrap();
        let models = EngagementModels {
            default: Model::prd070(),
            by_tier: vec![(crate::domain::Tier::Strategic, framework.clone())],
        };
        assert_eq!(
            models.for_tier(crate::domain::Tier::Strategic).name,
            "framework-engagement"
        );
        assert_eq!(
            models.for_tier(crate::domain::Tier::Core).name,
            "prd070-engagement"
        );
        assert_eq!(
            models.named("framework").map(|m| m.name),
            Some(framework.name)
        );
        assert_eq!(
            models.named("health").map(|m| m.name),
            Some("health".to_string())
        );
        assert!(models.named("nope").is_none());
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

/// The engagement models a deployment scores with: one by default and,
/// optionally, one per tier (segment-specific models).
#[derive(Debug, Clone, PartialEq)]
pub struct EngagementModels {
    pub default: Model,
    pub by_tier: Vec<(crate::domain::Tier, Model)>,
}

impl EngagementModels {
    /// One model for every tier.
    pub fn single(model: Model) -> Self {
        EngagementModels {
            default: model,
            by_tier: Vec::new(),
        }
    }

    /// The model an account of `tier` is scored with.
    pub fn for_tier(&self, tier: crate::domain::Tier) -> &Model {
        self.by_tier
            .iter()
            .find(|(candidate, _)| *candidate == tier)
            .map_or(&self.default, |(_, model)| model)
    }

    /// A model asked for by name: one of the deployment's, or a shipped one.
    pub fn named(&self, name: &str) -> Option<Model> {
        std::iter::once(&self.default)
            .chain(self.by_tier.iter().map(|(_, model)| model))
            .find(|model| model.name == name)
            .cloned()
            .or_else(|| Model::shipped(name))
    }
}
