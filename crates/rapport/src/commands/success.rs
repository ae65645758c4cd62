//! `rapport success ACCOUNT`: the account's success metrics (PRD-069), as
//! Markdown for people or as exactly the JSON
//! `GET /api/intelligence/success-metrics/:id` returns.

use std::fmt::Write;
use std::process::ExitCode;

use rapport_core::account_success::AccountSuccess;
use rapport_core::success::engine::{GoalStatus, MetricStatus};

use super::{Format, open_app, print_json};
use rapport_app::render::money;

use crate::settings::Settings;

#[derive(clap::Args)]
pub struct SuccessArgs {
    /// The account: its name, external id or UUID.
    account: String,
    /// As of this instant (RFC 3339 or YYYY-MM-DD); default now.
    #[arg(long)]
    as_of: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Md)]
    format: Format,
}

pub fn run(settings: &Settings, args: &SuccessArgs) -> anyhow::Result<ExitCode> {
    let as_of = super::as_of(args.as_of.as_deref())?;
    let view = open_app(settings)?.success(&args.account, as_of, true, true)?;
    match args.format {
        Format::Json => print_json(&view.to_json())?,
        Format::Md => out!("{}", markdown(&view)),
    }
    Ok(ExitCode::SUCCESS)
}

fn number(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "–".to_string(), |value| format!("{value:.decimals$}"))
}

fn goal_status(status: GoalStatus) -> &'static str {
    match status {
        GoalStatus::Achieved => "✓ Achieved",
        GoalStatus::InProgress => "● In progress",
        GoalStatus::NotStarted => "○ Not started",
        GoalStatus::AtRisk => "⚠ At risk",
    }
}

fn metric_status(status: MetricStatus) -> &'static str {
    match status {
        MetricStatus::Exceeding => "✓ Exceeding",
        MetricStatus::Met => "✓ Met",
        MetricStatus::OnTrack => "● On track",
        MetricStatus::AtRisk => "⚠ At risk",
        MetricStatus::NotMet => "✗ Not met",
        MetricStatus::NoData => "– No data",
    }
}

fn with_unit(value: Option<f64>, unit: &str) -> String {
    match value {
        None => "–".into(),
        Some(value) if unit == "%" => format!("{value:.1}%"),
        Some(value) if unit.is_empty() => format!("{value:.1}"),
        Some(value) => format!("{value:.1} {unit}"),
    }
}

/// PRD-069's output format, section by section.
pub fn markdown(view: &AccountSuccess) -> String {
    let report = &view.report;
    let mut out = String::new();
    let _ = writeln!(out, "## Account Success Metrics: {}", view.account_name);
    let _ = writeln!(
        out,
        "Period: Contract start ({}) to {} | As of: {}\n",
        view.contract_start
            .map_or("not set".to_string(), |date| date.to_string()),
        report.as_of.date(),
        report.as_of
    );
    for message in &report.messages {
        let _ = writeln!(out, "> {message}");
    }
    if !report.messages.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "### Overall Success Score: {}/100{}\n",
        number(report.success_score, 0),
        report
            .score_band
            .map_or(String::new(), |band| format!(" ({})", band.label()))
    );
    let summary = &report.executive_summary;
    let _ = writeln!(
        out,
        "### Executive Summary\n- **{} of {} goals** on track or exceeded\n- **{}** estimated annual value delivered\n- **{} goal{}** at risk{}\n",
        summary.goals_on_track_or_exceeded,
        summary.goals_total,
        money(summary.annual_value_delivered),
        summary.goals_at_risk,
        if summary.goals_at_risk == 1 { "" } else { "s" },
        if summary.goals_at_risk > 0 {
            " (requires attention)"
        } else {
            ""
        }
    );
    if !report.goals.is_empty() {
        let _ = writeln!(
            out,
            "---\n\n### Success Goals Overview\n| Goal | Status | Progress | Target date |\n|---|---|---:|---|"
        );
        for goal in &report.goals {
            let _ = writeln!(
                out,
                "| {} | {} | {}% | {} |",
                goal.title,
                goal_status(goal.status),
                number(goal.progress, 0),
                goal.target_date
            );
        }
        let _ = writeln!(out, "\n---\n\n### Goal Details");
    }
    for (index, goal) in report.goals.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n#### Goal {}: {}\n**Status**: {} | **Owner**: {} | **Progress**: {}% (expected {:.0}%)\n",
            index + 1,
            goal.title,
            goal_status(goal.status),
            if goal.owner.is_empty() {
                "–"
            } else {
                &goal.owner
            },
            number(goal.progress, 0),
            goal.expected_progress
        );
        if let Some(message) = &goal.message {
            let _ = writeln!(out, "> {message}\n");
        }
        let _ = writeln!(
            out,
            "| Metric | Baseline | Target | Current | Progress | Status |\n|---|---:|---:|---:|---:|---|"
        );
        for metric in &goal.metrics {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {}% | {} |",
                metric.name,
                with_unit(metric.baseline, &metric.unit),
                with_unit(Some(metric.target), &metric.unit),
                with_unit(metric.current, &metric.unit),
                number(metric.progress, 0),
                metric_status(metric.status)
            );
        }
        if !goal.value_drivers.is_empty() {
            let _ = writeln!(out, "\n**Value Delivered**:");
            for driver in &goal.value_drivers {
                let _ = writeln!(
                    out,
                    "- {}: {} a year ({:?} confidence)",
                    driver.label,
                    money(driver.annual_value),
                    driver.confidence
                );
            }
            let _ = writeln!(out, "- Annual value: **{}**", money(goal.annual_value));
        }
        if let Some(risk) = &goal.risk {
            let _ = writeln!(out, "\n**Root Cause Analysis**:");
            for cause in &risk.root_causes {
                let _ = writeln!(out, "- {cause}");
            }
            let _ = writeln!(out, "\n**Recommended Actions**:");
            for (rank, action) in risk.actions.iter().enumerate() {
                let _ = writeln!(out, "{}. {}", rank + 1, action.action);
            }
        }
    }
    let value = &report.value;
    let _ = writeln!(
        out,
        "\n---\n\n### Value Summary\n| Category | Annual Value | Confidence |\n|---|---:|---|"
    );
    for category in &value.categories {
        let _ = writeln!(
            out,
            "| {} | {} | {:?} |",
            category.label,
            money(category.annual_value),
            category.confidence
        );
    }
    let _ = writeln!(
        out,
        "| **Total** | **{}** | |\n\n**ROI Calculation**:\n- Investment (ARR): {}\n- Value delivered: {}\n- **Value multiple: {}** (value ÷ investment)\n- **Net ROI: {}** ((value − investment) ÷ investment)",
        money(value.total_annual_value),
        money(value.investment),
        money(value.total_annual_value),
        value
            .value_multiple
            .map_or("–".to_string(), |multiple| format!("{multiple:.2}×")),
        value
            .net_roi_percent
            .map_or("–".to_string(), |roi| format!("{roi:.0}%"))
    );
    let trends: Vec<_> = report
        .goals
        .iter()
        .flat_map(|goal| &goal.metrics)
        .filter(|metric| metric.trend.points.len() > 1)
        .collect();
    if !trends.is_empty() {
        let _ = writeln!(out, "\n---\n\n### Success Metrics Trends");
        for metric in trends {
            let _ = writeln!(
                out,
                "- {}: {} ({})",
                metric.name,
                metric
                    .trend
                    .points
                    .iter()
                    .map(|point| format!("{} {}", point.date, point.value))
                    .collect::<Vec<_>>()
                    .join(" → "),
                metric
                    .trend
                    .direction
                    .map_or("–".to_string(), |direction| format!("{direction:?}")
                        .to_lowercase())
            );
        }
    }
    if let Some(benchmark) = &report.benchmark {
        let _ = writeln!(
            out,
            "\n---\n\n### Benchmark Comparison ({} tier)\n| Metric | {} | Peer Average | Percentile |\n|---|---:|---:|---:|",
            view.tier, view.account_name
        );
        for (label, figure) in [
            ("Success Score", &benchmark.success_score),
            ("Goals Achieved %", &benchmark.goals_achieved_percent),
            ("Net ROI %", &benchmark.net_roi_percent),
        ] {
            let _ = writeln!(
                out,
                "| {label} | {} | {} | {} |",
                number(figure.value, 0),
                number(figure.peer_average, 0),
                figure
                    .percentile
                    .map_or("–".to_string(), rapport_app::render::ordinal)
            );
        }
    }
    if !report.milestones.is_empty() {
        let _ = writeln!(
            out,
            "\n---\n\n### Upcoming Milestones\n| Milestone | Date | Status |\n|---|---|---|"
        );
        for milestone in &report.milestones {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                milestone.label,
                milestone.date,
                milestone
                    .status
                    .map_or("Scheduled".to_string(), |status| goal_status(status)
                        .to_string())
            );
        }
    }
    out
}
