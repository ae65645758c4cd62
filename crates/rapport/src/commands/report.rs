//! `rapport report weekly`: the weekly portfolio report as Markdown or
//! standalone HTML (or JSON), the same document `GET /api/reports/weekly` serves.

use std::process::ExitCode;

use anyhow::Context;
use rapport_app::render::{DocumentFormat, weekly_report};
use rapport_app::reports::portfolio_filter;

use crate::settings::Settings;

#[derive(clap::Subcommand)]
pub enum ReportCommand {
    /// Portfolio health summary, at-risk accounts, improvement trends, open actions.
    Weekly {
        /// md, html or json.
        #[arg(long, default_value = "md")]
        format: String,
        /// The end of the week (RFC 3339 or YYYY-MM-DD); default now.
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long)]
        csm: Option<String>,
        #[arg(long)]
        tier: Option<String>,
    },
}

pub fn run(settings: &Settings, command: &ReportCommand) -> anyhow::Result<ExitCode> {
    let ReportCommand::Weekly {
        format,
        as_of,
        csm,
        tier,
    } = command;
    let as_of = super::as_of(as_of.as_deref())?;
    let document = match format.as_str() {
        "json" => None,
        other => Some(
            DocumentFormat::parse(other)
                .with_context(|| format!("--format `{other}` is not md, html or json"))?,
        ),
    };
    let app = super::open_app(settings)?;
    let reader = super::reader(&app, settings)?;
    let filter =
        portfolio_filter(&reader, csm.as_deref(), tier.as_deref()).map_err(super::flag_error)?;
    let report = app.weekly(as_of, &filter).map_err(super::flag_error)?;
    match document {
        None => super::print_json(&report)?,
        Some(format) => out!(
            "{}",
            weekly_report(&report, format).map_err(anyhow::Error::msg)?
        ),
    }
    Ok(ExitCode::SUCCESS)
}
