//! The models in use and their versions (docs/dashboard.md, model
//! settings): the deployment's models (`--model`, the health model) with
//! the newest saved version of each name applied; a person's edit previewed
//! over every account before it is saved; saving a new version (an admin,
//! audited, logged so every follower, CLI or server, switches to it).

use std::collections::BTreeMap;
use std::sync::Arc;

use rapport_core::Timestamp;
use rapport_core::access::{Permission, Person};
use rapport_core::engine::Window;
use rapport_core::portfolio::preview::{ModelPreview, preview};
use rapport_core::scoring::edit::{ModelEdit, edited};
use rapport_core::scoring::model::{EngagementModels, Model};
use rapport_store::audit::{AuditAction, AuditDraft};
use rapport_store::models::NewModelVersion;
use serde::Serialize;

use crate::{App, AppConfig, AppError, AppResult};

/// The models the application scores with.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSet {
    pub engagement: EngagementModels,
    pub health: Model,
    /// The saved version in use of each model name that has one.
    pub versions: BTreeMap<String, u32>,
}

impl ModelSet {
    /// The deployment's models, before any saved version.
    pub fn configured(config: &AppConfig) -> ModelSet {
        ModelSet {
            engagement: config.models.clone(),
            health: config.health_model.clone(),
            versions: BTreeMap::new(),
        }
    }
}

/// An engagement model a request scores with: a tier's model in use (held
/// with the model set it belongs to, not copied), or one named.
#[derive(Debug, Clone)]
pub enum ModelInUse {
    Tier(Arc<ModelSet>, rapport_core::Tier),
    Named(Model),
}

impl std::ops::Deref for ModelInUse {
    type Target = Model;

    fn deref(&self) -> &Model {
        match self {
            ModelInUse::Tier(set, tier) => set.engagement.for_tier(*tier),
            ModelInUse::Named(model) => model,
        }
    }
}

/// A saved model version as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelVersionView {
    pub id: i64,
    pub name: String,
    pub version: u32,
    pub note: Option<String>,
    pub saved_at: Timestamp,
    pub saved_by: String,
}

/// A model in use: its settings, and the versions saved of it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelSettings {
    /// `engagement` (the deployment's default engagement model) or `health`.
    pub role: String,
    pub name: String,
    /// The saved version in use; none while the deployment's file is.
    pub version: Option<u32>,
    #[schema(value_type = Object)]
    pub model: serde_json::Value,
    pub versions: Vec<ModelVersionView>,
}

/// Which model an edit is of: the default engagement model or the health model.
pub fn role_of(text: &str) -> AppResult<&'static str> {
    match text.trim() {
        "engagement" => Ok("engagement"),
        "health" => Ok("health"),
        other => Err(AppError::invalid(
            "model",
            format!("`{other}` is neither engagement nor health"),
        )),
    }
}

fn pick<'a>(models: &'a ModelSet, role: &str) -> &'a Model {
    if role == "health" {
        &models.health
    } else {
        &models.engagement.default
    }
}

impl App {
    /// The models in use.
    pub fn models(&self) -> Arc<ModelSet> {
        Arc::clone(
            &self
                .models
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    pub(crate) fn caches(&self) -> Arc<crate::cache::Caches> {
        Arc::clone(
            &self
                .caches
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Applies the newest saved version of each model the deployment uses
    /// (by name); when anything changed, the caches start afresh. A saved
    /// file that no longer parses is logged and skipped (the one before it,
    /// or the deployment's, stays in use).
    pub(crate) fn apply_saved_models(&self) -> AppResult<()> {
        let versions = self.store.model_versions(None)?;
        let mut next = ModelSet::configured(&self.config);
        let apply = |model: &mut Model, versions_in_use: &mut BTreeMap<String, u32>| {
            for saved in versions
                .iter()
                .rev()
                .filter(|saved| saved.name == model.name)
            {
                match Model::from_toml(&saved.toml) {
                    Ok(parsed) if parsed.name == model.name => {
                        *model = parsed;
                        versions_in_use.insert(saved.name.clone(), saved.version);
                        return;
                    }
                    Ok(_) | Err(_) => tracing::error!(
                        "model version {} of {} does not parse as that model; skipped",
                        saved.version,
                        saved.name
                    ),
                }
            }
        };
        let mut in_use = BTreeMap::new();
        apply(&mut next.engagement.default, &mut in_use);
        for (_, model) in &mut next.engagement.by_tier {
            apply(model, &mut in_use);
        }
        apply(&mut next.health, &mut in_use);
        next.versions = in_use;
        let mut models = self
            .models
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if **models != next {
            *models = Arc::new(next);
            *self
                .caches
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                Arc::new(crate::cache::Caches::default());
        }
        Ok(())
    }

    /// The engagement and health models in use, with their saved versions.
    pub fn model_settings(&self) -> AppResult<Vec<ModelSettings>> {
        // Loading the engine applies the saved versions (a one-shot command).
        drop(self.read()?);
        let models = self.models();
        let versions = self.store.model_versions(None)?;
        ["engagement", "health"]
            .into_iter()
            .map(|role| {
                let model = pick(&models, role);
                Ok(ModelSettings {
                    role: role.to_string(),
                    name: model.name.clone(),
                    version: models.versions.get(&model.name).copied(),
                    model: serde_json::to_value(model)
                        .map_err(|error| AppError::Render(error.to_string()))?,
                    versions: versions
                        .iter()
                        .filter(|saved| saved.name == model.name)
                        .map(|saved| ModelVersionView {
                            id: saved.id,
                            name: saved.name.clone(),
                            version: saved.version,
                            note: saved.note.clone(),
                            saved_at: saved.saved_at,
                            saved_by: saved.saved_by.clone(),
                        })
                        .collect(),
                })
            })
            .collect()
    }

    /// What `edit` of the `role` model (`engagement` or `health`) would do
    /// to the scores and bands of every account `person` sees at `as_of`.
    pub fn preview_model(
        &self,
        person: &Person,
        role: &str,
        edit: &ModelEdit,
        as_of: Timestamp,
    ) -> AppResult<ModelPreview> {
        let role = role_of(role)?;
        let engine = self.read()?;
        let models = self.models();
        let current = pick(&models, role);
        let proposed = edited(current, edit)?;
        let accounts: Vec<_> = engine
            .state
            .accounts()
            .filter(|state| {
                state.account().is_some_and(|account| {
                    person.sees(account) && account.status == rapport_core::AccountStatus::Active
                })
            })
            .collect();
        Ok(preview(
            &engine.state,
            &accounts,
            current,
            &proposed,
            Window::new(as_of, rapport_core::Period::DEFAULT),
        ))
    }

    /// Saves `edit` of the `role` model as its next version (an admin's
    /// change, audited); from then on every surface scores with it.
    pub fn save_model(
        &self,
        actor: &Person,
        role: &str,
        edit: &ModelEdit,
        now: Timestamp,
    ) -> AppResult<ModelSettings> {
        self.authorize(actor, Permission::Admin)?;
        let role = role_of(role)?;
        drop(self.read()?);
        let models = self.models();
        let next = edited(pick(&models, role), edit)?;
        let toml = toml_text(&next)?;
        let note = edit
            .note
            .as_deref()
            .map(str::trim)
            .filter(|note| !note.is_empty())
            .map(str::to_string);
        if note
            .as_ref()
            .is_some_and(|note| note.chars().count() > 1000)
        {
            return Err(AppError::invalid("note", "at most 1,000 characters"));
        }
        let audit = AuditDraft::new(actor, AuditAction::ModelSettingsChange, now);
        self.store.save_model_version(
            &NewModelVersion {
                name: next.name.clone(),
                toml,
                note,
                saved_at: now,
                saved_by: actor.name.clone(),
            },
            &audit,
        )?;
        self.catch_up()?;
        // An application whose engine is not loaded applies it now.
        self.apply_saved_models()?;
        self.model_settings()?
            .into_iter()
            .find(|settings| settings.role == role)
            .ok_or_else(|| AppError::NotFound(format!("no {role} model")))
    }
}

/// A model as its TOML file.
fn toml_text(model: &Model) -> AppResult<String> {
    toml::to_string(model)
        .map_err(|error| AppError::Render(format!("cannot write the model: {error}")))
}
