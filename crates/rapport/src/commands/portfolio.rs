//! `rapport portfolio`: the portfolio engagement overview, as Markdown for a CS
//! leader or as exactly the JSON `GET /api/intelligence/engagement-overview`
//! returns.

use std::fmt::Write;
use std::process::ExitCode;

use rapport_app::render::money;
use rapport_app::reports::{engagement_window, tier_filter};
use rapport_core::portfolio::overview::{ActivityCounts, Overview, VolumeRow};

use super::{Format, flag_error, open_app, print_json};

use crate::settings::Settings;

#[derive(clap::Args)]
pub struct PortfolioArgs {
    #[arg(long, default_value = "30d")]
    period: String,
    /// `previous` or START..END.
    #[arg(long, default_value = "previous")]
    compare: String,
    /// As of this instant (RFC 3339 or YYYY-MM-DD); default now.
    #[arg(long)]
    as_of: Option<String>,
    /// Only this CSM's accounts.
    #[arg(long)]
    csm: Option<String>,
    /// Only this tier's accounts.
    #[arg(long)]
    tier: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Md)]
    format: Format,
}

pub fn run(settings: &Settings, args: &PortfolioArgs) -> anyhow::Result<ExitCode> {
    let as_of = super::as_of(args.as_of.as_deref())?;
    let (window, compare) =
        engagement_window(Some(&args.period), Some(&args.compare), as_of).map_err(flag_error)?;
    let filter = tier_filter(args.csm.as_deref(), args.tier.as_deref()).map_err(flag_error)?;
    let view = open_app(settings)?
        .overview(window, compare, &filter)
        .map_err(flag_error)?;
    match args.format {
        Format::Json => print_json(&view)?,
        Format::Md => out!("{}", markdown(&view)),
    }
    Ok(ExitCode::SUCCESS)
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |value| format!("{value:.0}%"))
}

fn volume(out: &mut String, title: &str, rows: &[VolumeRow]) {
    let _ = writeln!(out, "\n#### Activity volume by {title}");
    let _ = writeln!(
        out,
        "| {title} | Accounts | Activities | Tickets | E-mails | Meetings | Calls | Previous |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let ActivityCounts {
            total,
            tickets,
            emails,
            meetings,
            calls,
        } = row.activities;
        let _ = writeln!(
            out,
            "| {} | {} | {total} | {tickets} | {emails} | {meetings} | {calls} | {} |",
            row.key, row.accounts, row.previous_activities.total
        );
    }
}

/// The overview in the order of the engagement-overview dashboard.
pub fn markdown(view: &Overview) -> String {
    let mut out = String::new();
    let (now, before) = (&view.current, &view.previous);
    let _ = writeln!(out, "## Portfolio Engagement Overview");
    let _ = writeln!(
        out,
        "Period: {} – {} (compared with {} – {}) | Active accounts: {}{}{}\n",
        rapport_core::Timestamp::from_millis(view.window.start()).date(),
        view.window.as_of.date(),
        rapport_core::Timestamp::from_millis(view.compare_window.start()).date(),
        view.compare_window.as_of.date(),
        now.accounts,
        view.filter
            .csm
            .as_deref()
            .map(|csm| format!(" | CSM: {csm}"))
            .unwrap_or_default(),
        view.filter
            .tier
            .map(|tier| format!(" | Tier: {}", tier.as_str()))
            .unwrap_or_default(),
    );
    let _ = writeln!(out, "| Figure | Now | Previous period |");
    let _ = writeln!(out, "|---|---:|---:|");
    let _ = writeln!(
        out,
        "| Accounts engaged | {} ({}) | {} ({}) |",
        percent(now.accounts_engaged_percent),
        now.accounts_engaged,
        percent(before.accounts_engaged_percent),
        before.accounts_engaged
    );
    let _ = writeln!(
        out,
        "| Actively multi-threaded | {} ({}) | {} ({}) |",
        percent(now.multi_threaded_percent),
        now.multi_threaded,
        percent(before.multi_threaded_percent),
        before.multi_threaded
    );
    let average = |value: Option<f64>| value.map_or("–".to_string(), |v| format!("{v:.1}"));
    let _ = writeln!(
        out,
        "| Average engagement per account | {} | {} |",
        average(now.average_engagement_per_account),
        average(before.average_engagement_per_account)
    );
    let _ = writeln!(
        out,
        "| Activities (tickets, e-mails, meetings, calls) | {} | {} |",
        now.activities.total, before.activities.total
    );
    let _ = writeln!(out, "\n### Activity Volume");
    volume(&mut out, "revenue", &view.volume.by_revenue);
    volume(&mut out, "tier", &view.volume.by_tier);
    volume(&mut out, "score band", &view.volume.by_score_band);
    volume(
        &mut out,
        "multi-threaded users",
        &view.volume.by_multi_threaded_users,
    );

    let _ = writeln!(out, "\n### Notable Engagement Changes");
    for (title, movers) in [
        ("Up", &view.notable_changes.up),
        ("Down", &view.notable_changes.down),
    ] {
        let _ = writeln!(out, "\n**{title}**");
        if movers.is_empty() {
            let _ = writeln!(out, "- none");
        }
        for mover in movers {
            let _ = writeln!(
                out,
                "- {} ({}): {:.0} → {:.0} ({:+.1}){}",
                mover.account_name,
                mover.tier.as_str(),
                mover.previous_overall,
                mover.overall,
                mover.change,
                mover
                    .top_factor
                    .as_deref()
                    .zip(mover.top_factor_points)
                    .map(|(factor, points)| format!("; most moved: {factor} {points:+.1} pts"))
                    .unwrap_or_default()
            );
        }
    }

    let risk = &view.at_risk;
    let _ = writeln!(out, "\n### Engagement Impact on At-Risk Revenue");
    let _ = writeln!(
        out,
        "At risk: **{} accounts, {}** (previous period: {} accounts, {})\n",
        risk.accounts,
        money(risk.revenue),
        risk.previous_accounts,
        money(risk.previous_revenue)
    );
    let _ = writeln!(out, "| Engagement | Risk | Accounts | Revenue |");
    let _ = writeln!(out, "|---|---|---:|---:|");
    for cell in &risk.matrix {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            if cell.low_engagement {
                "low"
            } else {
                "engaged"
            },
            if cell.at_risk {
                "at risk"
            } else {
                "not at risk"
            },
            cell.accounts,
            money(cell.revenue)
        );
    }
    let _ = writeln!(
        out,
        "\n| Score band | Accounts | Revenue | Previous revenue |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|");
    for band in &risk.revenue_by_band {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            band.band,
            band.accounts,
            money(band.revenue),
            money(band.previous_revenue)
        );
    }
    let _ = writeln!(out, "\n#### Highest revenue, low engagement");
    if risk.highest_revenue_low_engagement.is_empty() {
        let _ = writeln!(out, "None.");
    }
    for account in &risk.highest_revenue_low_engagement {
        let _ = writeln!(
            out,
            "- {} ({}, {}): {} ARR, engagement {}, health {}{}",
            account.account_name,
            account.tier.as_str(),
            account.csm,
            money(account.arr),
            account.engagement.map_or("–".into(), |v| format!("{v:.0}")),
            account.health.map_or("–".into(), |v| format!("{v:.0}")),
            if account.at_risk_override {
                ", key-moment override"
            } else {
                ""
            }
        );
    }
    out
}
