//! `rapport goals list|add|update|delete`: an account's success goals from a
//! terminal, through the same parsing, validation and storage as the API.

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use rapport_core::Timestamp;
use rapport_core::success::Measurement;
use rapport_core::success::edit::parse_goal;

use super::{Format, open_app, print_json};
use crate::settings::Settings;

#[derive(clap::Subcommand)]
pub enum GoalsCommand {
    /// The account's goals with their metrics and latest values.
    List {
        account: String,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// Add a goal from a JSON file (the API's body; `-` reads standard input).
    Add {
        account: String,
        #[arg(long)]
        file: String,
    },
    /// Record a metric's current value (kept in its history).
    Update {
        account: String,
        metric: String,
        value: f64,
        /// When it was measured (RFC 3339 or YYYY-MM-DD); default now.
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Remove a goal.
    Delete { account: String, goal: String },
}

pub fn run(settings: &Settings, command: &GoalsCommand) -> anyhow::Result<ExitCode> {
    let app = open_app(settings)?;
    let now = super::now();
    match command {
        GoalsCommand::List { account, format } => {
            let goals = app.goals(account)?;
            match format {
                Format::Json => print_json(&goals)?,
                Format::Md => out!(
                    "{}",
                    rapport_app::render::goals(&goals).map_err(anyhow::Error::msg)?
                ),
            }
        }
        GoalsCommand::Add { account, file } => {
            let mut body = Vec::new();
            if file == "-" {
                std::io::stdin().read_to_end(&mut body)?;
            } else {
                body = std::fs::read(file).with_context(|| format!("cannot read {file}"))?;
            }
            let goal = parse_goal(&body, now.date()).with_context(|| file.clone())?;
            let stored = app.create_goal(&super::actor(&app, settings)?, account, goal, now)?;
            outln!(
                "added {} ({}) with metrics {}",
                stored.id,
                stored.title,
                stored
                    .metrics
                    .iter()
                    .map(|metric| metric.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        GoalsCommand::Update {
            account,
            metric,
            value,
            at,
            note,
        } => {
            let at = match at {
                Some(text) => Timestamp::parse_lenient(text).context("--at")?,
                None => now,
            };
            let measurement = Measurement {
                at,
                value: *value,
                note: note.clone(),
            };
            app.record_measurement(
                &super::actor(&app, settings)?,
                account,
                metric,
                measurement,
                now,
            )
            .map_err(|error| match error {
                rapport_app::AppError::Invalid { reason, .. } => {
                    anyhow::anyhow!("VALUE {reason}")
                }
                other => other.into(),
            })?;
            outln!("{metric} = {value} at {at}");
        }
        GoalsCommand::Delete { account, goal } => {
            app.delete_goal(&super::actor(&app, settings)?, account, goal, now)?;
            outln!("deleted {goal}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
