//! `rapport alerts`: list alerts, evaluate the rules now, acknowledge and
//! resolve with a name. The same lifecycle as `/api/alerts`.

use std::process::ExitCode;

use rapport_app::alerts::{AlertQuery, AlertView};

use super::{Format, open_app, print_json};
use crate::settings::Settings;

#[derive(clap::Subcommand)]
pub enum AlertsCommand {
    /// The alerts, unresolved by default.
    List {
        /// open, acknowledged, resolved, unresolved or all.
        #[arg(long, default_value = "unresolved")]
        status: String,
        /// Only this account's alerts (name, external id or UUID).
        #[arg(long)]
        account: Option<String>,
        /// Only the alerts of this CSM's accounts.
        #[arg(long)]
        csm: Option<String>,
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
    let app = open_app(settings)?;
    let now = super::now();
    match command {
        AlertsCommand::List {
            status,
            account,
            csm,
            format,
        } => {
            let alerts = app
                .alerts(&AlertQuery {
                    status: Some(status.clone()),
                    account: account.clone(),
                    csm: csm.clone(),
                })
                .map_err(super::flag_error)?;
            match format {
                Format::Json => print_json(&alerts)?,
                Format::Md => out!("{}", markdown(&alerts)),
            }
        }
        AlertsCommand::Evaluate => {
            let run = app.evaluate_alerts(None, now)?;
            let (opened, seen, cleared) = (run.opened, run.seen, run.cleared);
            outln!("alerts opened {opened}, still firing {seen}, cleared {cleared}");
        }
        AlertsCommand::Ack { id, author } => {
            let alert = app.acknowledge_alert(*id, author, now)?;
            outln!("alert {id} {:?}", alert.status());
        }
        AlertsCommand::Resolve { id, author, note } => {
            let alert = app.resolve_alert(*id, author, note.as_deref(), now)?;
            outln!("alert {id} {:?}", alert.status());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn markdown(alerts: &[AlertView]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if alerts.is_empty() {
        out.push_str("No alerts.\n");
    }
    for view in alerts {
        let alert = &view.alert;
        let _ = writeln!(
            out,
            "- #{} [{:?}] {} ({}) {}: {} ({:?}, opened {}, CSM {})",
            alert.id,
            alert.priority,
            view.account_name,
            alert.account,
            alert.rule,
            alert.message,
            view.status,
            alert.opened_at,
            view.csm
        );
    }
    out
}
