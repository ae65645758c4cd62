//! `rapport portfolio`: the portfolio engagement overview, as Markdown for a CS
//! leader or as exactly the JSON `GET /api/intelligence/engagement-overview`
//! returns.

use std::process::ExitCode;

use rapport_app::reports::{engagement_window, portfolio_filter};

use super::{Format, flag_error, print_json};

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
    let app = super::open_app(settings)?;
    let reader = super::reader(&app, settings)?;
    let filter =
        portfolio_filter(&reader, args.csm.as_deref(), args.tier.as_deref()).map_err(flag_error)?;
    let view = app.overview(window, compare, &filter).map_err(flag_error)?;
    match args.format {
        Format::Json => print_json(&view)?,
        Format::Md => out!(
            "{}",
            rapport_app::render::overview(&view).map_err(anyhow::Error::msg)?
        ),
    }
    Ok(ExitCode::SUCCESS)
}
