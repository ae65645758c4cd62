//! `rapport goals list|add|update|delete`: an account's success goals from a
//! terminal, through the same parsing, validation and storage as the API.

use std::io::Read;
use std::process::ExitCode;

use anyhow::{Context, bail};
use rapport_core::success::edit::{parse_goal, record_measurement};
use rapport_core::success::{Goal, Measurement};
use rapport_core::{ExternalId, Timestamp};
use rapport_store::Store;

use super::{Format, open_store};
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

fn account_id(store: &dyn Store, query: &str) -> anyhow::Result<ExternalId> {
    Ok(super::find_account(store, query)?.external_id)
}

fn goals_of(store: &dyn Store, account: &ExternalId) -> anyhow::Result<Vec<Goal>> {
    Ok(store
        .goals(Some(account))?
        .into_iter()
        .map(|(_, goal)| goal)
        .collect())
}

pub fn run(settings: &Settings, command: &GoalsCommand) -> anyhow::Result<ExitCode> {
    let mut store = open_store(settings)?;
    match command {
        GoalsCommand::List { account, format } => {
            let account = account_id(store.as_ref(), account)?;
            let goals = goals_of(store.as_ref(), &account)?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&goals)?),
                Format::Md => print!("{}", markdown(&goals)),
            }
        }
        GoalsCommand::Add { account, file } => {
            let account = account_id(store.as_ref(), account)?;
            let mut body = Vec::new();
            if file == "-" {
                std::io::stdin().read_to_end(&mut body)?;
            } else {
                body = std::fs::read(file).with_context(|| format!("cannot read {file}"))?;
            }
            let mut goal = parse_goal(&body, super::now().date()).with_context(|| file.clone())?;
            goal.id = String::new();
            let stored = store.put_goal(&account, &goal)?;
            println!(
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
            let account = account_id(store.as_ref(), account)?;
            if !value.is_finite() {
                bail!("VALUE must be a finite number");
            }
            let at = match at {
                Some(text) => Timestamp::parse_lenient(text).context("--at")?,
                None => super::now(),
            };
            let mut goals = goals_of(store.as_ref(), &account)?;
            let measurement = Measurement {
                at,
                value: *value,
                note: note.clone(),
            };
            let Some(index) = record_measurement(&mut goals, metric, measurement) else {
                bail!("{account} has no metric `{metric}` (see `rapport goals list`)");
            };
            store.put_goal(&account, &goals[index])?;
            println!("{metric} = {value} at {at}");
        }
        GoalsCommand::Delete { account, goal } => {
            let account = account_id(store.as_ref(), account)?;
            if !store.delete_goal(&account, goal)? {
                bail!("{account} has no goal `{goal}`");
            }
            println!("deleted {goal}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn markdown(goals: &[Goal]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if goals.is_empty() {
        out.push_str("No success goals defined.\n");
    }
    for goal in goals {
        let _ = writeln!(
            out,
            "### {} — {} (owner {}, {} → {})\n| Metric | Baseline | Target | Latest | Measured |\n|---|---:|---:|---:|---|",
            goal.id,
            goal.title,
            if goal.owner.is_empty() {
                "–"
            } else {
                &goal.owner
            },
            goal.start_date,
            goal.target_date
        );
        for metric in &goal.metrics {
            let latest = metric.history.last();
            let _ = writeln!(
                out,
                "| {} ({}) | {} | {} {} | {} | {} |",
                metric.name,
                metric.id,
                metric
                    .baseline
                    .map_or("not set".to_string(), |baseline| baseline.to_string()),
                metric.target,
                metric.unit,
                latest.map_or("–".to_string(), |m| m.value.to_string()),
                latest.map_or("–".to_string(), |m| m.at.to_string())
            );
        }
        out.push('\n');
    }
    out
}
