//! A person's edit of a model (the dashboard's model settings): factor
//! weights and targets, component weights, band thresholds, factor status
//! thresholds, tier targets and alert thresholds. The edited model is
//! validated as a model file is (`Model::validate`), so a setting no file
//! could hold is refused, naming its key. Saving it is the application's
//! (a new model version, audited).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::model::{AlertRules, FactorKey, Model, ModelError, StatusThresholds, TierTargets};
use crate::validation::{FieldError, field_error};

/// A factor's new weight and target (either may be left as it is).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FactorEdit {
    pub weight: Option<f64>,
    pub target: Option<f64>,
}

/// What a person changes in a model; everything absent stays as it is.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelEdit {
    /// By factor key (`email_response_rate`).
    #[serde(default)]
    pub factors: BTreeMap<String, FactorEdit>,
    /// Component weights by component key.
    #[serde(default)]
    pub components: BTreeMap<String, f64>,
    /// Where each band starts, by band key.
    #[serde(default)]
    pub bands: BTreeMap<String, f64>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub status: Option<StatusThresholds>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub tier_targets: Option<TierTargets>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub alerts: Option<AlertRules>,
    /// What the change is for (kept with the version).
    #[serde(default)]
    pub note: Option<String>,
}

fn finite(field: String, value: f64) -> Result<f64, FieldError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(field_error(field, "must be a number"))
    }
}

/// `model` with `edit` applied, validated as a model file is; a refusal
/// names the edited key (`factors.email_response_rate.weight`).
pub fn edited(model: &Model, edit: &ModelEdit) -> Result<Model, FieldError> {
    let mut next = model.clone();
    for (name, change) in &edit.factors {
        let key = serde_json::from_value::<FactorKey>(serde_json::Value::String(name.clone()));
        let factor = next
            .factors
            .iter_mut()
            .find(|factor| key.as_ref().is_ok_and(|key| factor.key == *key))
            .ok_or_else(|| {
                field_error(format!("factors.{name}"), "is not a factor of this model")
            })?;
        if let Some(weight) = change.weight {
            let weight = finite(format!("factors.{name}.weight"), weight)?;
            if weight < 0.0 {
                return Err(field_error(
                    format!("factors.{name}.weight"),
                    "must not be negative",
                ));
            }
            factor.weight = weight;
        }
        if let Some(target) = change.target {
            factor.target = finite(format!("factors.{name}.target"), target)?;
        }
    }
    for (key, weight) in &edit.components {
        let component = next
            .components
            .iter_mut()
            .find(|component| component.key == *key)
            .ok_or_else(|| {
                field_error(
                    format!("components.{key}"),
                    "is not a component of this model",
                )
            })?;
        component.weight = Some(finite(format!("components.{key}"), *weight)?);
    }
    for (key, from) in &edit.bands {
        let band = next
            .bands
            .iter_mut()
            .find(|band| band.key == *key)
            .ok_or_else(|| field_error(format!("bands.{key}"), "is not a band of this model"))?;
        band.from = finite(format!("bands.{key}"), *from)?;
    }
    if let Some(status) = &edit.status {
        next.status = status.clone();
    }
    if let Some(targets) = &edit.tier_targets {
        next.tier_targets = targets.clone();
    }
    if let Some(alerts) = &edit.alerts {
        next.alerts = alerts.clone();
    }
    next.validate().map_err(|error| match error {
        ModelError::Invalid { key, reason } => field_error(key, reason),
        ModelError::Syntax(reason) => field_error("model", reason),
    })?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(json: serde_json::Value) -> ModelEdit {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn an_edit_changes_what_it_names_and_nothing_else() {
        let model = Model::prd070();
        let next = edited(
            &model,
            &edit(serde_json::json!({
                "factors": {"email_response_rate": {"weight": 20, "target": 75}},
                "bands": {"low": 35},
                "tierTargets": {"strategic": 90, "growth": 75, "core": 65, "nurture": 55}
            })),
        )
        .unwrap();
        let factor = |model: &Model| {
            model
                .factors
                .iter()
                .find(|factor| factor.key == FactorKey::EmailResponseRate)
                .cloned()
                .unwrap()
        };
        assert_eq!((factor(&next).weight, factor(&next).target), (20.0, 75.0));
        assert_eq!(next.band_of(36.0).key, "low");
        assert_eq!(next.tier_targets.strategic, 90.0);
        // Everything else as it was.
        assert_eq!(next.factors.len(), model.factors.len());
        assert_eq!(next.components, model.components);
        assert_eq!(next.name, model.name);
    }

    #[test]
    fn a_setting_no_model_file_could_hold_is_refused_by_its_key() {
        let model = Model::prd070();
        let refused = |json: serde_json::Value| edited(&model, &edit(json)).unwrap_err().field;
        assert_eq!(
            refused(serde_json::json!({"factors": {"nps": {"weight": 5}}})),
            "factors.nps"
        );
        assert_eq!(
            refused(serde_json::json!({"factors": {"email_response_rate": {"weight": -1}}})),
            "factors.email_response_rate.weight"
        );
        assert_eq!(
            refused(serde_json::json!({"bands": {"great": 10}})),
            "bands.great"
        );
        assert_eq!(
            refused(serde_json::json!({"components": {"vibes": 10}})),
            "components.vibes"
        );
        // Bands out of order: the model's own validation names them.
        assert!(refused(serde_json::json!({"bands": {"low": 90}})).starts_with("bands"));
        assert!(serde_json::from_value::<ModelEdit>(serde_json::json!({"colour": 1})).is_err());
    }
}
