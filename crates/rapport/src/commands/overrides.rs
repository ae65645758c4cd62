//! `rapport override set|remove|list`: manual overrides of an account's health
//! or engagement score from a terminal, through the same validation, audit
//! trail and point-in-time reading as the API.

use std::fmt::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use rapport_core::model::Model;
use rapport_core::overrides::{
    AccountOverrides, OverrideEvent, OverrideRequest, ScoreOverride, account_overrides,
    remove_override, set_override, validate_model_name,
};
use rapport_core::success::edit::FieldError;
use rapport_core::{ExternalId, Timestamp};
use rapport_store::Store;

use super::{Format, open_store};
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
        /// Who sets it.
        #[arg(long)]
        author: String,
        /// When it lapses (RFC 3339 or YYYY-MM-DD); default never.
        #[arg(long)]
        expires: Option<String>,
    },
    /// Remove the override in force (exit 2 when there is none).
    Remove {
        account: String,
        #[arg(long)]
        model: String,
        /// Who removes it.
        #[arg(long)]
        author: String,
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

/// A refused field, named as the command line spells it.
fn flag_error(error: FieldError) -> anyhow::Error {
    let flag = match error.field.as_str() {
        "expiresAt" => "expires",
        other => other,
    };
    anyhow::anyhow!("--{flag}: {}", error.reason)
}

/// The model `--model` names: a shipped model (aliases accepted), the
/// configured engagement model by name, or a model file (by the name inside).
fn model_name(settings: &Settings, given: &str) -> anyhow::Result<String> {
    if let Some(shipped) = Model::shipped(given) {
        return Ok(shipped.name);
    }
    let path = std::path::Path::new(given);
    if path.is_file() {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {given}"))?;
        let model = Model::from_toml(&text).with_context(|| format!("model file {given}"))?;
        return Ok(model.name);
    }
    let configured: Vec<String> = [settings.engagement_model(), settings.health_model()]
        .into_iter()
        .filter_map(|model| model.ok().map(|model| model.name))
        .collect();
    let configured: Vec<&str> = configured.iter().map(String::as_str).collect();
    validate_model_name(given, &configured).map_err(flag_error)?;
    Ok(given.to_string())
}

/// One account's override events (every command that shows a score reads them).
pub fn events_of(store: &dyn Store, account: &ExternalId) -> anyhow::Result<Vec<OverrideEvent>> {
    Ok(store
        .override_events(Some(account))?
        .into_iter()
        .map(|(_, event)| event)
        .collect())
}

pub fn run(settings: &Settings, command: &OverrideCommand) -> anyhow::Result<ExitCode> {
    let mut store = open_store(settings)?;
    match command {
        OverrideCommand::Set {
            account,
            model,
            value,
            reason,
            author,
            expires,
        } => {
            let model = model_name(settings, model)?;
            let expires_at = expires
                .as_deref()
                .map(|text| Timestamp::parse_lenient(text).context("--expires"))
                .transpose()?;
            let account = super::find_account(store.as_ref(), account)?;
            let events = events_of(store.as_ref(), &account.external_id)?;
            let request = OverrideRequest {
                value: *value,
                reason: reason.clone(),
                author: author.clone(),
                expires_at,
            };
            let event =
                set_override(&events, &model, &request, super::now()).map_err(flag_error)?;
            store.record_override_event(&account.external_id, &event)?;
            println!(
                "{} ({}): {model} overridden to {}{} by {} at {}{}",
                account.name,
                account.external_id,
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
            author,
            reason,
        } => {
            let model = model_name(settings, model)?;
            let account = super::find_account(store.as_ref(), account)?;
            let events = events_of(store.as_ref(), &account.external_id)?;
            let Some(event) = remove_override(&events, &model, author, reason, super::now())
                .map_err(flag_error)?
            else {
                bail!(
                    "{} ({}) has no override of `{model}` in force (see `rapport override list`)",
                    account.name,
                    account.external_id
                );
            };
            store.record_override_event(&account.external_id, &event)?;
            println!(
                "{} ({}): {model} override {} removed by {} at {}",
                account.name,
                account.external_id,
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
            let account = super::find_account(store.as_ref(), account)?;
            let events = events_of(store.as_ref(), &account.external_id)?;
            let view = account_overrides(&account, &events, as_of);
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&view)?),
                Format::Md => print!("{}", markdown(&view)),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |value| format!("{value}"))
}

fn text_or_dash(text: &str) -> &str {
    if text.is_empty() { "–" } else { text }
}

fn override_table(out: &mut String, overrides: &[ScoreOverride]) {
    out.push_str(
        "| Model | Override | Set by | Set at | Expires | Reason |\n|---|---:|---|---|---|---|\n",
    );
    for entry in overrides {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            entry.model,
            number(Some(entry.value)),
            entry.author,
            entry.set_at,
            entry
                .expires_at
                .map_or_else(|| "never".to_string(), |at| at.to_string()),
            text_or_dash(&entry.reason)
        );
    }
}

fn markdown(view: &AccountOverrides) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Score overrides: {} ({}), as of {}\n",
        view.account_name, view.external_id, view.as_of
    );
    if view.overrides.is_empty() {
        out.push_str("No override in force: the computed scores apply.\n");
    } else {
        override_table(&mut out, &view.overrides);
    }
    if !view.expired.is_empty() {
        out.push_str("\n### Expired\n");
        override_table(&mut out, &view.expired);
    }
    out.push_str("\n### Audit trail\n");
    if view.history.is_empty() {
        out.push_str("No override was ever set.\n");
        return out;
    }
    out.push_str(
        "| When | Who | Action | Model | Old | New | Expires | Reason |\n|---|---|---|---|---:|---:|---|---|\n",
    );
    for event in &view.history {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            event.at,
            event.author,
            event.action.as_str(),
            event.model,
            number(event.old),
            number(event.new),
            event
                .expires_at
                .map_or_else(|| "–".to_string(), |at| at.to_string()),
            text_or_dash(&event.reason)
        );
    }
    out
}
