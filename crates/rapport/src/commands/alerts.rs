//! `rapport alerts`: list alerts, evaluate the rules now, acknowledge,
//! snooze and resolve with a name. The same lifecycle as `/api/alerts`.

use std::process::ExitCode;

use anyhow::Context;
use rapport_app::alerts::AlertQuery;
use rapport_core::Timestamp;
use rapport_core::alerts::{AlertRun, SnoozeRequest};

use super::{Format, flag_error, open_app, print_json};
use crate::settings::Settings;

#[derive(clap::Subcommand)]
pub enum AlertsCommand {
    /// The alerts, unresolved by default.
    List {
        /// open, acknowledged, snoozed, resolved, unresolved or all.
        #[arg(long, default_value = "unresolved")]
        status: String,
        /// Only this account's alerts (name, external id or UUID).
        #[arg(long)]
        account: Option<String>,
        /// Only the alerts of this CSM's accounts.
        #[arg(long)]
        csm: Option<String>,
        /// The lowest priority listed: medium (every alert), high or critical.
        #[arg(long)]
        priority: Option<String>,
        /// Only alerts of this rule (score_drop, component_critical…).
        #[arg(long)]
        rule: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// Evaluate every active account's alert rules now (serve does it hourly).
    Evaluate,
    /// Acknowledge an alert.
    Ack { id: i64 },
    /// Snooze an unresolved alert until an instant: not delivered or
    /// re-opened until then; open again (and delivered once) if its
    /// condition still holds when the snooze ends.
    Snooze {
        id: i64,
        /// RFC 3339 instant or date (its first instant, UTC); at most a year ahead.
        #[arg(long)]
        until: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Watch an account's alerts at or above a priority (--as a user): their
    /// day lists them (`PUT /api/accounts/{id}/watch`).
    Watch {
        /// The account: its name, external id or UUID.
        account: String,
        /// critical, high or medium (every alert).
        #[arg(long, default_value = "high")]
        min_priority: String,
    },
    /// Stop watching an account's alerts (--as a user).
    Unwatch { account: String },
    /// The accounts whose alerts you watch (--as a user).
    Watches {
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// Resolve an alert. The resolution holds while its condition persists.
    Resolve {
        id: i64,
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
            priority,
            rule,
            format,
        } => {
            let alerts = app
                .alerts(
                    &super::reader(&app, settings)?,
                    &AlertQuery {
                        status: Some(status.clone()),
                        account: account.clone(),
                        csm: csm.clone(),
                        priority: priority.clone(),
                        rule: rule.clone(),
                    },
                )
                .map_err(super::flag_error)?;
            match format {
                Format::Json => print_json(&alerts)?,
                Format::Md => out!(
                    "{}",
                    rapport_app::render::alerts(&alerts).map_err(anyhow::Error::msg)?
                ),
            }
        }
        AlertsCommand::Watch {
            account,
            min_priority,
        } => {
            let actor = super::actor(&app, settings)?;
            let priority =
                rapport_app::watches::parse_priority(min_priority).map_err(super::flag_error)?;
            app.watch_alerts(&actor, account, Some(priority), now)
                .map_err(super::flag_error)?;
            outln!(
                "{} watches {account}'s alerts from {min_priority} priority up",
                actor.name
            );
        }
        AlertsCommand::Unwatch { account } => {
            let actor = super::actor(&app, settings)?;
            app.watch_alerts(&actor, account, None, now)
                .map_err(super::flag_error)?;
            outln!("{} no longer watches {account}'s alerts", actor.name);
        }
        AlertsCommand::Watches { format } => {
            let actor = super::actor(&app, settings)?;
            let watches = app.alert_watches(&actor)?;
            match format {
                Format::Json => print_json(&watches)?,
                Format::Md => {
                    for watch in &watches {
                        outln!(
                            "{} ({}): {} priority and up",
                            watch.account_name,
                            watch.account,
                            rapport_app::render::label(
                                &serde_json::to_value(watch.min_priority)
                                    .ok()
                                    .and_then(|value| value.as_str().map(str::to_string))
                                    .unwrap_or_default()
                            )
                        );
                    }
                    if watches.is_empty() {
                        outln!("{} watches no account's alerts", actor.name);
                    }
                }
            }
        }
        AlertsCommand::Evaluate => {
            let run = app.evaluate_alerts(None, now)?;
            out!("{}", evaluation_summary(&run));
        }
        AlertsCommand::Snooze { id, until, reason } => {
            let until = Timestamp::parse_lenient(until).context("--until")?;
            let request = SnoozeRequest {
                until,
                reason: reason.clone(),
            };
            let actor = super::actor(&app, settings)?;
            let alert = app
                .snooze_alert(&actor, *id, &request, now)
                .map_err(flag_error)?;
            outln!("alert {id} {:?} until {until}", alert.status());
        }
        AlertsCommand::Ack { id } => {
            let alert = app.acknowledge_alert(&super::actor(&app, settings)?, *id, now)?;
            outln!("alert {id} {:?}", alert.status());
        }
        AlertsCommand::Resolve { id, note } => {
            let actor = super::actor(&app, settings)?;
            let alert = app.resolve_alert(&actor, *id, note.as_deref(), now)?;
            outln!("alert {id} {:?}", alert.status());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What an evaluation did, in a line (and the backlog of the first, in one more).
fn evaluation_summary(run: &AlertRun) -> String {
    let mut line = format!(
        "alerts opened {}, still firing {}, cleared {}",
        run.opened, run.seen, run.cleared
    );
    for (count, what) in [
        (run.snoozed, "snoozed"),
        (run.reopened, "back from a snooze"),
        (run.held, "held by a person's resolution"),
        (run.released, "person-resolved now clear"),
        (run.churned, "resolved as their account churned"),
    ] {
        if count > 0 {
            line.push_str(&format!(", {what} {count}"));
        }
    }
    line.push('\n');
    if let Some(backlog) = &run.backlog {
        let mut parts: Vec<String> = backlog
            .by_priority
            .iter()
            .map(|(priority, count)| format!("{priority:?} {count}").to_lowercase())
            .collect();
        parts.extend(
            backlog
                .by_rule
                .iter()
                .map(|(rule, count)| format!("{rule} {count}")),
        );
        line.push_str(&format!(
            "first evaluation: the {} alerts opened on {} accounts are the backlog, listed but not delivered ({})\n",
            backlog.alerts,
            backlog.accounts,
            parts.join(", ")
        ));
    }
    line
}
