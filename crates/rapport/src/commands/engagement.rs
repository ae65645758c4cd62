//! `rapport engagement ACCOUNT`: the engagement breakdown, as Markdown for
//! people or as exactly the JSON `GET /api/intelligence/engagement/:id` returns.

use std::fmt::Write;
use std::process::ExitCode;

use rapport_app::reports::{EngagementRequest, engagement_window};
use rapport_core::engagement::EngagementBreakdown;
use rapport_core::engagement::breakdown::{FactorTrend, Trend};
use rapport_core::engagement::impact::ImpactSource;
use rapport_core::scoring::score::{FactorScore, FactorStatus};

use super::{Format, flag_error, open_app, print_json};
use crate::settings::Settings;

#[derive(clap::Args)]
pub struct EngagementArgs {
    /// The account: its name, external id or UUID.
    account: String,
    #[arg(long, default_value = "30d")]
    period: String,
    /// `previous` or START..END.
    #[arg(long, default_value = "previous")]
    compare: String,
    /// Score as of this instant (RFC 3339 or YYYY-MM-DD); default now.
    #[arg(long)]
    as_of: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Md)]
    format: Format,
}

pub fn run(settings: &Settings, args: &EngagementArgs) -> anyhow::Result<ExitCode> {
    let as_of = super::as_of(args.as_of.as_deref())?;
    let (window, compare) =
        engagement_window(Some(&args.period), Some(&args.compare), as_of).map_err(flag_error)?;
    let app = open_app(settings)?;
    let breakdown = app.engagement(
        &args.account,
        &EngagementRequest {
            window,
            compare,
            model: None,
        },
    )?;
    match args.format {
        Format::Json => print_json(&breakdown)?,
        Format::Md => out!("{}", markdown(&breakdown)),
    }
    Ok(ExitCode::SUCCESS)
}

fn number(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "–".to_string(), |value| format!("{value:.decimals$}"))
}

/// A factor's value with its unit, as PRD-070 writes it.
fn with_unit(value: f64, unit: &str) -> String {
    match unit {
        "%" => format!("{value:.0}%"),
        "hours" => format!("{value:.1} hrs"),
        "per month" => format!("{value:.1}/mo"),
        "per user per week" | "per week" => format!("{value:.1}/week"),
        "minutes" => format!("{value:.1} min"),
        "contacts" => format!("{value:.0} contacts"),
        "days since last engagement" | "days" => format!("{value:.0} days ago"),
        "" => format!("{value:.1}"),
        other => format!("{value:.1} {other}"),
    }
}

fn current_text(factor: &FactorScore) -> String {
    match (factor.current, factor.status) {
        (Some(value), _) => with_unit(value, &factor.unit),
        (None, FactorStatus::NoData) => "no data".into(),
        (None, _) => "never".into(),
    }
}

fn target_text(factor: &FactorScore) -> String {
    if factor.unit.starts_with("days") {
        format!("≤ {:.0} days", factor.target)
    } else {
        with_unit(factor.target, &factor.unit)
    }
}

fn status_mark(status: FactorStatus) -> &'static str {
    match status {
        FactorStatus::Healthy => "✓",
        FactorStatus::Warning => "⚠",
        FactorStatus::Critical => "✗",
        FactorStatus::NoData => "–",
    }
}

fn trend_mark(trend: Option<FactorTrend>) -> &'static str {
    match trend {
        Some(FactorTrend::Up) => "▲",
        Some(FactorTrend::Down) => "▼",
        Some(FactorTrend::Flat) => "●",
        None => "–",
    }
}

fn band_text(band: Option<&str>) -> &str {
    band.unwrap_or("No data")
}

/// A text bar of `width` cells for a 0–100 score.
fn bar(score: f64, width: usize) -> String {
    let filled = ((score.clamp(0.0, 100.0) / 100.0) * width as f64).round() as usize;
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

fn percent_points(change: Option<f64>) -> String {
    change.map_or_else(String::new, |change| {
        format!(" ({:+.0} points)", change * 100.0)
    })
}

/// PRD-070's output format, section by section (charts as text).
pub fn markdown(breakdown: &EngagementBreakdown) -> String {
    let mut out = String::new();
    let name = &breakdown.account_name;
    let _ = writeln!(out, "## Engagement Score Breakdown: {name}");
    let _ = writeln!(
        out,
        "Period: Last {} days ({} – {}) | As of: {} | Model: {}\n",
        breakdown.period.days,
        breakdown.period.start,
        breakdown.period.end,
        breakdown.as_of,
        breakdown.model
    );
    let _ = writeln!(
        out,
        "### Overall Engagement Score: {}/100",
        number(breakdown.overall, 0)
    );
    if let Some(active) = &breakdown.score_override.override_ {
        let _ = writeln!(
            out,
            "> **Manual override: {:.0}** by {} on {} (\"{}\"); the computed score stays {}.",
            active.value,
            active.author,
            active.set_at.date(),
            active.reason,
            number(breakdown.overall, 0)
        );
    }
    if let Some(overall) = breakdown.overall {
        let _ = writeln!(out, "`{}` {overall:.0}", bar(overall, 40));
    }
    let change = breakdown
        .overall
        .zip(breakdown.previous_overall)
        .map(|(now, then)| now - then);
    let arrow = match breakdown.trend {
        Some(Trend::Improving) => "▲",
        Some(Trend::Declining) => "▼",
        _ => "●",
    };
    let _ = writeln!(
        out,
        "\n**Trend**: {arrow} {} from the compare period ({} – {}: {}) | **Status**: {}\n",
        change.map_or("no data".into(), |change| format!("{change:+.1}")),
        breakdown.compare_period.start,
        breakdown.compare_period.end,
        number(breakdown.previous_overall, 0),
        band_text(breakdown.band_name.as_deref())
    );

    let _ = writeln!(
        out,
        "### Score Composition\n| Component | Score | Weight | Contribution | Status |\n|---|---:|---:|---:|---|"
    );
    for component in &breakdown.components {
        let _ = writeln!(
            out,
            "| {} | {}/100 | {:.0}% | {:.1} pts | {} |",
            component.name,
            number(component.score, 0),
            component.weight,
            component.contribution,
            band_text(component.band_name.as_deref())
        );
    }
    let total_weight: f64 = breakdown.components.iter().map(|c| c.weight).sum();
    let _ = writeln!(
        out,
        "| **Total** | | **{total_weight:.0}%** | **{} pts** | |\n",
        number(breakdown.overall, 1)
    );
    for component in &breakdown.components {
        let cells = (component.contribution / 2.5).round() as usize;
        let _ = writeln!(
            out,
            "`{:<14}{}` {:.1} pts",
            component.name,
            "█".repeat(cells),
            component.contribution
        );
    }

    for component in &breakdown.components {
        let _ = writeln!(
            out,
            "\n---\n\n### {} Engagement ({}/100)\n",
            component.name,
            number(component.score, 0)
        );
        let _ = writeln!(
            out,
            "| Factor | Current | Target | Score | Weight | Status | Trend |\n|---|---:|---:|---:|---:|:---:|:---:|"
        );
        for factor in &component.factors {
            let weight = factor.share_of_overall;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {weight:.0}% | {} | {} |",
                factor.score.name,
                current_text(&factor.score),
                target_text(&factor.score),
                number(factor.score.score, 0),
                status_mark(factor.score.status),
                trend_mark(factor.trend)
            );
        }
        let _ = writeln!(out, "\n**Highlights**:");
        for factor in &component.factors {
            let score = &factor.score;
            let was = factor
                .previous
                .map(|previous| format!(", was {}", with_unit(previous, &score.unit)))
                .unwrap_or_default();
            let line = match score.status {
                FactorStatus::NoData => format!("– {}: no data in this period", score.name),
                FactorStatus::Healthy => format!(
                    "✓ {}: {} against a target of {}{was}",
                    score.name,
                    current_text(score),
                    target_text(score)
                ),
                _ => format!(
                    "⚠ {} below target: {} against {}{was}",
                    score.name,
                    current_text(score),
                    target_text(score)
                ),
            };
            let _ = writeln!(out, "- {line}");
        }
        let causes: Vec<_> = breakdown
            .root_causes
            .iter()
            .filter(|cause| cause.component == component.key)
            .collect();
        if !causes.is_empty() {
            let _ = writeln!(out, "\n**Root Cause Analysis**:");
            for (index, cause) in causes.iter().enumerate() {
                let _ = writeln!(out, "{}. {}: {}", index + 1, cause.name, cause.summary);
            }
        }
        let actions: Vec<_> = breakdown
            .recommendations
            .iter()
            .filter(|recommendation| recommendation.component == component.key)
            .collect();
        if !actions.is_empty() {
            let _ = writeln!(out, "\n**Actions**:");
            for (index, action) in actions.iter().enumerate() {
                let _ = writeln!(out, "{}. {}", index + 1, action.action);
            }
        }
    }

    let _ = writeln!(
        out,
        "\n---\n\n### Engagement Trend\n| Month | Communication | Product | Relationship | Overall | |\n|---|---:|---:|---:|---:|---|"
    );
    for month in &breakdown.history {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | `{}` |",
            month.month,
            number(month.communication, 0),
            number(month.product, 0),
            number(month.relationship, 0),
            number(month.overall, 0),
            month
                .overall
                .map_or(String::new(), |overall| bar(overall, 20))
        );
    }

    if let Some(peers) = &breakdown.peer_comparison {
        let _ = writeln!(
            out,
            "\n---\n\n### Peer Comparison ({}, {} peers)\n| | {name} | Peer Avg | Percentile |\n|---|---:|---:|---:|",
            peers.group, peers.peers
        );
        for figure in std::iter::once(&peers.overall).chain(&peers.components) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                figure.key,
                number(figure.value, 0),
                number(figure.peer_average, 0),
                figure
                    .percentile
                    .map_or("–".into(), rapport_app::render::ordinal)
            );
        }
        let _ = writeln!(
            out,
            "\n**Insight**: above the peer average on {}; below on {}",
            if peers.above_average.is_empty() {
                "nothing".into()
            } else {
                peers.above_average.join(", ")
            },
            if peers.below_average.is_empty() {
                "nothing".into()
            } else {
                peers.below_average.join(", ")
            }
        );
    }

    if let Some(changes) = &breakdown.change_attribution {
        let _ = writeln!(
            out,
            "\n---\n\n### What Moved the Score\n| Factor | Points |\n|---|---:|"
        );
        for change in changes.iter().filter(|change| change.points.abs() >= 0.05) {
            let _ = writeln!(out, "| {} | {:+.1} |", change.name, change.points);
        }
    }

    let impact = &breakdown.impact_analysis;
    let source = match impact.source {
        ImpactSource::LogisticFit => format!(
            "logistic model fitted to {} renewal outcomes",
            impact.model.outcomes
        ),
        ImpactSource::FrameworkTable => format!(
            "the framework's table{}",
            impact
                .model
                .note
                .as_ref()
                .map_or(String::new(), |note| format!(" ({note})"))
        ),
    };
    let _ = writeln!(out, "\n---\n\n### Impact Analysis\nSource: {source}\n");
    if let Some(current) = &impact.current {
        let _ = writeln!(
            out,
            "**At the current score ({:.0})**: renewal {:.0}%, expansion {:.0}%\n",
            current.score,
            current.renewal_probability * 100.0,
            current.expansion_probability * 100.0
        );
    }
    for (label, scenario) in [
        ("If engagement improves to 85", &impact.if_improves_to_85),
        ("If engagement drops to 60", &impact.if_drops_to_60),
    ] {
        let _ = writeln!(
            out,
            "**{label}:**\n- Renewal probability: {:.0}%{}\n- Expansion likelihood: {:.0}%{}\n",
            scenario.renewal_probability * 100.0,
            percent_points(scenario.renewal_change),
            scenario.expansion_probability * 100.0,
            percent_points(scenario.expansion_change)
        );
    }

    let _ = writeln!(out, "---\n\n### Recommended Actions (Priority Order)");
    if breakdown.recommendations.is_empty() {
        let _ = writeln!(out, "Every factor is at its target.");
    }
    for (rank, recommendation) in breakdown.recommendations.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. **{}** (+{:.1} pts recoverable)\n   - {}",
            rank + 1,
            recommendation.name,
            recommendation.recoverable_points,
            recommendation.action
        );
        if let Some(because) = &recommendation.because {
            let _ = writeln!(out, "   - Why: {because}");
        }
    }
    if !breakdown.alerts.is_empty() {
        let _ = writeln!(out, "\n### Alerts");
        for alert in &breakdown.alerts {
            let _ = writeln!(
                out,
                "- **{:?}** (notify {}): {}",
                alert.priority,
                alert.notify.join(", "),
                alert.message
            );
        }
    }
    out
}
