//! `rapport engagement ACCOUNT`: the engagement breakdown, as Markdown for
//! people or as exactly the JSON `GET /api/intelligence/engagement/:id` returns.

use std::fmt::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use rapport_core::engagement::{Compare, EngagementBreakdown, engagement_breakdown};
use rapport_core::engine::Window;
use rapport_core::model::Model;
use rapport_core::{Period, Timestamp};

use super::{Format, open_store};
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
    let period: Period = args.period.parse().context("--period")?;
    let compare = Compare::parse(&args.compare)
        .map_err(anyhow::Error::msg)
        .context("--compare")?;
    let as_of = match &args.as_of {
        Some(text) => Timestamp::parse_lenient(text).context("--as-of")?,
        None => Timestamp::from_millis(chrono::Utc::now().timestamp_millis()),
    };
    let store = open_store(settings)?;
    let engine = rapport_store::load_engine(store.as_ref())
        .context("cannot load the engine from the store")?;
    let Some(account) = engine.resolve(&args.account) else {
        let accounts = store.accounts()?;
        let candidates = match rapport_core::find_account(&accounts, &args.account) {
            rapport_core::AccountMatch::Candidates(candidates) => candidates
                .iter()
                .map(|account| format!("  {} ({})", account.name, account.external_id))
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        };
        if candidates.is_empty() {
            bail!("no account named `{}`", args.account);
        }
        bail!(
            "no account named exactly `{}`; did you mean:\n{candidates}",
            args.account
        );
    };
    let model = Model::prd070();
    let breakdown = engagement_breakdown(
        &model,
        &engine,
        account,
        Window::new(as_of, period),
        compare,
    )
    .context("the account has no account record")?;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&breakdown)?),
        Format::Md => print!("{}", markdown(&breakdown)),
    }
    Ok(ExitCode::SUCCESS)
}

fn number(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "–".to_string(), |value| format!("{value:.decimals$}"))
}

/// PRD-070's output format, section by section (charts as text).
pub fn markdown(breakdown: &EngagementBreakdown) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Engagement Score Breakdown: {}",
        breakdown.account_name
    );
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
    let change = breakdown
        .overall
        .zip(breakdown.previous_overall)
        .map(|(now, then)| now - then);
    let _ = writeln!(
        out,
        "**Trend**: {} ({:+.1} from the compare period) | **Band**: {}\n",
        breakdown
            .trend
            .map_or("no data".into(), |trend| format!("{trend:?}")
                .to_lowercase()),
        change.unwrap_or(0.0),
        breakdown
            .band
            .map_or("no data".into(), |band| format!("{band:?}"))
    );
    let _ = writeln!(
        out,
        "### Score Composition\n| Component | Score | Weight | Contribution |\n|---|---:|---:|---:|"
    );
    for component in &breakdown.components {
        let _ = writeln!(
            out,
            "| {} | {} | {:.0}% | {:.1} pts |",
            component.name,
            number(component.score, 0),
            component.weight,
            component.contribution
        );
    }
    for component in &breakdown.components {
        let _ = writeln!(
            out,
            "\n### {} Engagement ({})\n",
            component.name,
            number(component.score, 0)
        );
        let _ = writeln!(
            out,
            "| Factor | Current | Target | Score | Weight | Status | Trend |\n|---|---:|---:|---:|---:|---|---|"
        );
        for factor in &component.factors {
            let _ = writeln!(
                out,
                "| {} | {} | {} {} | {} | {:.0}% | {:?} | {} |",
                factor.score.name,
                number(factor.score.current, 1),
                factor.score.target,
                factor.score.unit,
                number(factor.score.score, 0),
                factor.score.weight,
                factor.score.status,
                factor
                    .trend
                    .map_or("–".into(), |trend| format!("{trend:?}").to_lowercase())
            );
        }
    }
    let _ = writeln!(
        out,
        "\n### Engagement Trend\n| Month | Communication | Product | Relationship | Overall |\n|---|---:|---:|---:|---:|"
    );
    for month in &breakdown.history {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            month.month,
            number(month.communication, 0),
            number(month.product, 0),
            number(month.relationship, 0),
            number(month.overall, 0)
        );
    }
    if let Some(peers) = &breakdown.peer_comparison {
        let _ = writeln!(
            out,
            "\n### Peer Comparison ({}, {} peers)\n| | {} | Peer Avg | Percentile |\n|---|---:|---:|---:|",
            peers.group, peers.peers, breakdown.account_name
        );
        for figure in std::iter::once(&peers.overall).chain(&peers.components) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                figure.key,
                number(figure.value, 0),
                number(figure.peer_average, 0),
                number(figure.percentile, 0)
            );
        }
    }
    if let Some(changes) = &breakdown.change_attribution {
        let _ = writeln!(
            out,
            "\n### What moved the score\n| Factor | Points |\n|---|---:|"
        );
        for change in changes.iter().filter(|change| change.points.abs() >= 0.05) {
            let _ = writeln!(out, "| {} | {:+.1} |", change.name, change.points);
        }
    }
    let impact = &breakdown.impact_analysis;
    let _ = writeln!(
        out,
        "\n### Impact Analysis (source: {})\n- If engagement improves to 85: renewal {:.0}%, expansion {:.0}%\n- If engagement drops to 60: renewal {:.0}%, expansion {:.0}%",
        impact.source,
        impact.if_improves_to_85.renewal_probability * 100.0,
        impact.if_improves_to_85.expansion_probability * 100.0,
        impact.if_drops_to_60.renewal_probability * 100.0,
        impact.if_drops_to_60.expansion_probability * 100.0
    );
    let _ = writeln!(out, "\n### Recommended Actions (Priority Order)");
    for (rank, recommendation) in breakdown.recommendations.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. **{}** (+{:.1} pts recoverable): {}",
            rank + 1,
            recommendation.name,
            recommendation.recoverable_points,
            recommendation.action
        );
    }
    if !breakdown.alerts.is_empty() {
        let _ = writeln!(out, "\n### Alerts");
        for alert in &breakdown.alerts {
            let _ = writeln!(out, "- **{:?}**: {}", alert.priority, alert.message);
        }
    }
    out
}
