//! `rapport health ACCOUNT`: the customer health report, as Markdown for people
//! or as exactly the JSON `GET /api/intelligence/health/:id` returns.

use std::fmt::Write;
use std::process::ExitCode;

use rapport_core::health::HealthView;
use rapport_core::health::signals::SignalLevel;

use super::{Format, open_app, print_json};
use crate::settings::Settings;

#[derive(clap::Args)]
pub struct HealthArgs {
    /// The account: its name, external id or UUID.
    account: String,
    /// As of this instant (RFC 3339 or YYYY-MM-DD); default now.
    #[arg(long)]
    as_of: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Md)]
    format: Format,
}

pub fn run(settings: &Settings, args: &HealthArgs) -> anyhow::Result<ExitCode> {
    let as_of = super::as_of(args.as_of.as_deref())?;
    let view = open_app(settings)?.health(&args.account, as_of)?;
    match args.format {
        Format::Json => print_json(&view)?,
        Format::Md => out!("{}", markdown(&view)),
    }
    Ok(ExitCode::SUCCESS)
}

fn score(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |value| format!("{value:.0}"))
}

/// The report in the health framework's internal view: score, components,
/// alerts, warnings, playbooks, cadence, history.
pub fn markdown(view: &HealthView) -> String {
    let report = &view.report;
    let mut out = String::new();
    let _ = writeln!(out, "## Customer Health: {}", report.account_name);
    let _ = writeln!(
        out,
        "As of: {} | Model: {} | CSM: {}\n",
        report.as_of, report.model, report.csm
    );
    let _ = writeln!(
        out,
        "### Health Score: {}/100 ({})",
        report
            .score
            .map_or_else(|| "–".to_string(), |score| format!("{score:.1}")),
        report.band_name.as_deref().unwrap_or("No data")
    );
    if let Some(change) = report.score.zip(report.previous_score) {
        let _ = writeln!(
            out,
            "30 days ago: {:.0} ({:+.1} points)",
            change.1,
            change.0 - change.1
        );
    }
    if let Some(active) = &view.score_override.override_ {
        let _ = writeln!(
            out,
            "\n> **Manual override: {:.0}** by {} on {} (\"{}\"){}; the computed score stays {}.",
            active.value,
            active.author,
            active.set_at.date(),
            active.reason,
            active
                .expires_at
                .map(|at| format!(", until {}", at.date()))
                .unwrap_or_default(),
            score(report.score)
        );
    }
    let _ = writeln!(out, "\n### Components");
    let _ = writeln!(out, "| Component | Score | 30 days ago | Weight | Status |");
    let _ = writeln!(out, "|---|---:|---:|---:|---|");
    for component in &report.components {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0}% | {} |",
            component.score.name,
            score(component.score.score),
            score(component.previous_score),
            component.score.weight,
            component.band_name.as_deref().unwrap_or("No data")
        );
    }
    if !report.alerts.is_empty() {
        let _ = writeln!(out, "\n### Alerts");
        for alert in &report.alerts {
            let _ = writeln!(out, "- **{:?}**: {}", alert.priority, alert.message);
        }
    }
    let _ = writeln!(out, "\n### Early Warnings");
    if report.signals.is_empty() {
        let _ = writeln!(out, "None.");
    }
    for signal in &report.signals {
        let flag = match signal.level {
            SignalLevel::Red => "🔴",
            SignalLevel::Yellow => "🟡",
        };
        let _ = writeln!(out, "- {flag} **{}**: {}", signal.name, signal.summary);
        for evidence in signal.evidence.iter().take(5) {
            let when = evidence
                .at
                .map(|at| format!("{}: ", at.date()))
                .unwrap_or_default();
            let _ = writeln!(out, "  - {when}{}", evidence.detail);
        }
    }
    if !report.playbooks.is_empty() {
        let _ = writeln!(out, "\n### Playbooks Triggered");
        for playbook in &report.playbooks {
            let _ = writeln!(
                out,
                "#### {} (when {})\n{}",
                playbook.name, playbook.when, playbook.summary
            );
            for task in &playbook.tasks {
                let _ = writeln!(out, "- [ ] {} (due {})", task.action, task.due);
            }
        }
    }
    if let Some(cadence) = &report.cadence {
        let _ = writeln!(out, "\n### Action Cadence: {} check-ins", cadence.check_in);
        for action in &cadence.actions {
            let _ = writeln!(out, "- {action}");
        }
    }
    let _ = writeln!(out, "\n### 6-Month History");
    let _ = writeln!(out, "| Month | Health |");
    let _ = writeln!(out, "|---|---:|");
    for month in &report.history {
        let _ = writeln!(out, "| {} | {} |", month.month, score(month.overall));
    }
    if !view.override_history.is_empty() {
        let _ = writeln!(out, "\n### Override Audit Trail");
        for event in &view.override_history {
            let value = |value: Option<f64>| value.map_or("–".to_string(), |v| format!("{v:.0}"));
            let _ = writeln!(
                out,
                "- {} {} by {}: {} → {} (\"{}\")",
                event.at,
                event.action.as_str(),
                event.author,
                value(event.old),
                value(event.new),
                event.reason
            );
        }
    }
    out
}
