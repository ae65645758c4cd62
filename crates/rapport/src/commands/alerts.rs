//! `rapport alerts`: list alerts, evaluate the rules now, acknowledge and
//! resolve with a name. The same lifecycle as `/api/alerts`.

use std::process::ExitCode;

use anyhow::Context;
use rapport_core::alerts::{StatusFilter, StoredAlert};

use super::{Format, open_store};
use crate::settings::Settings;

#[derive(clap::Subcommand)]
pub enum AlertsCommand {
    /// The alerts, unresolved by default.
    List {
        /// open, acknowledged, resolved, unresolved or all.
        #[arg(long, default_value = "unresolved")]
        status: String,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// Evaluate every active account's alert rules now (serve does it hourly).
    Evaluate,
    /// Acknowledge an alert.
    Ack {
        id: i64,
        #[arg(long)]
        author: String,
    },
    /// Resolve an alert.
    Resolve {
        id: i64,
        #[arg(long)]
        author: String,
        #[arg(long)]
        note: Option<String>,
    },
}

pub fn run(settings: &Settings, command: &AlertsCommand) -> anyhow::Result<ExitCode> {
    let mut store = open_store(settings)?;
    match command {
        AlertsCommand::List { status, format } => {
            let wanted = StatusFilter::parse(status)
                .map_err(anyhow::Error::msg)
                .context("--status")?;
            let alerts: Vec<StoredAlert> = store
                .alerts(None, wanted.unresolved_only())?
                .into_iter()
                .filter(|alert| wanted.keeps(alert))
                .collect();
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&alerts)?),
                Format::Md => {
                    if alerts.is_empty() {
                        println!("No alerts.");
                    }
                    for alert in &alerts {
                        println!(
                            "- #{} [{:?}] {} {}: {} ({:?}, opened {})",
                            alert.id,
                            alert.priority,
                            alert.account,
                            alert.rule,
                            alert.message,
                            alert.status(),
                            alert.opened_at
                        );
                    }
                }
            }
        }
        AlertsCommand::Evaluate => {
            let now = super::now();
            let models = settings.engagement_models()?;
            let health = settings.health_model()?;
            let engine = rapport_store::load_engine(store.as_ref())
                .context("cannot load the engine from the store")?;
            let unresolved = store.alerts(None, true)?;
            let (changed, run) = rapport_core::alerts::evaluate_portfolio(
                &models,
                &health,
                &engine,
                None,
                &unresolved,
                now,
            );
            rapport_server::delivery::write_evaluation(store.as_mut(), &engine, &changed, now)
                .map_err(|error| anyhow::anyhow!("{error:?}"))?;
            let (opened, seen, cleared) = (run.opened, run.seen, run.cleared);
            println!("alerts opened {opened}, still firing {seen}, cleared {cleared}");
        }
        AlertsCommand::Ack { id, author } | AlertsCommand::Resolve { id, author, .. } => {
            let alert = store
                .alert(*id)?
                .with_context(|| format!("no alert with id {id}"))?;
            let now = super::now();
            let changed = match command {
                AlertsCommand::Resolve { note, .. } => {
                    rapport_core::alerts::resolve(&alert, author, note.as_deref(), now)
                }
                _ => rapport_core::alerts::acknowledge(&alert, author, now),
            }
            .map_err(anyhow::Error::msg)?;
            store.write_alerts(&[changed])?;
            println!(
                "alert {id} {:?}",
                store.alert(*id)?.map(|alert| alert.status())
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
