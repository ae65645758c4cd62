//! `rapport override set|remove|list`: manual overrides of an account's health
//! or engagement score from a terminal, through the same validation, audit
//! trail and point-in-time reading as the API.

use std::process::ExitCode;

use anyhow::Context;
use rapport_core::Timestamp;
use rapport_core::scoring::model::Model;
use rapport_core::scoring::overrides::OverrideRequest;

use super::{Format, flag_error, open_app, print_json};
use crate::settings::Settings;

#[derive(clap::Subcommand)]
pub enum OverrideCommand {
    /// Set a score's override, or replace the one in force (the audit trail keeps both).
    Set {
        /// The account: its name, external id or UUID.
        account: String,
        /// The score overridden: health, prd070-engagement, framework-engagement,
        /// the configured engagement model's name, or a model file.
        #[arg(long)]
        model: String,
        /// The score it shows instead, 0–100.
        #[arg(long, allow_negative_numbers = true)]
        value: f64,
        #[arg(long)]
        reason: String,
        /// When it lapses (RFC 3339 or YYYY-MM-DD); default never.
        #[arg(long)]
        expires: Option<String>,
    },
    /// Remove the override in force (exit 2 when there is none).
    Remove {
        account: String,
        #[arg(long)]
        model: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// The overrides in force, those lapsed by expiry, and the audit trail.
    List {
        account: String,
        /// Read as of this instant (RFC 3339 or YYYY-MM-DD); default now.
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
}

/// The model `--model` names: a model file is read here (at the edge) for
/// the name inside; a name is checked by the application's one rule.
fn model_name(given: &str) -> anyhow::Result<String> {
    if let Some(shipped) = Model::shipped(given) {
        return Ok(shipped.name);
    }
    let path = std::path::Path::new(given);
    if path.is_file() {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {given}"))?;
        let model = Model::from_toml(&text).with_context(|| format!("model file {given}"))?;
        return Ok(model.name);
    }
    Ok(given.to_string())
}

pub fn run(settings: &Settings, command: &OverrideCommand) -> anyhow::Result<ExitCode> {
    let app = open_app(settings)?;
    let now = super::now();
    match command {
        OverrideCommand::Set {
            account,
            model,
            value,
            reason,
            expires,
        } => {
            let model = model_name(model)?;
            let expires_at = expires
                .as_deref()
                .map(|text| Timestamp::parse_lenient(text).context("--expires"))
                .transpose()?;
            let request = OverrideRequest {
                value: *value,
                reason: reason.clone(),
                expires_at,
            };
            let actor = super::actor(&app, settings)?;
            let target = app.account_to_change(&actor, account)?;
            let set = app
                .set_override(&actor, target.external_id.as_str(), &model, &request, now)
                .map_err(flag_error)?;
            let event = set.event;
            outln!(
                "{} ({}): {model} overridden to {}{} by {} at {}{}",
                target.name,
                target.external_id,
                number(Some(*value)),
                event
                    .old
                    .map_or_else(String::new, |old| format!(" (was {})", number(Some(old)))),
                event.author,
                event.at,
                event
                    .expires_at
                    .map_or_else(String::new, |at| format!(", until {at}"))
            );
        }
        OverrideCommand::Remove {
            account,
            model,
            reason,
        } => {
            let model = model_name(model)?;
            let actor = super::actor(&app, settings)?;
            let target = app.account_to_change(&actor, account)?;
            let event = app
                .remove_override(&actor, target.external_id.as_str(), &model, reason, now)
                .map_err(|error| match error {
                    rapport_app::AppError::NotFound(_) => anyhow::anyhow!(
                        "{} ({}) has no override of `{model}` in force (see `rapport override list`)",
                        target.name,
                        target.external_id
                    ),
                    other => flag_error(other),
                })?;
            outln!(
                "{} ({}): {model} override {} removed by {} at {}",
                target.name,
                target.external_id,
                number(event.old),
                event.author,
                event.at
            );
        }
        OverrideCommand::List {
            account,
            as_of,
            format,
        } => {
            let as_of = super::as_of(as_of.as_deref())?;
            let view = app.overrides(account, as_of)?;
            match format {
                Format::Json => print_json(&view)?,
                Format::Md => out!(
                    "{}",
                    rapport_app::render::overrides(&view).map_err(anyhow::Error::msg)?
                ),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |value| format!("{value}"))
}
