//! `rapport engagement ACCOUNT`: the engagement breakdown, as Markdown for
//! people or as exactly the JSON `GET /api/intelligence/engagement/:id` returns.

use std::process::ExitCode;

use rapport_app::reports::{EngagementRequest, engagement_window};

use super::{TableFormat, flag_error, open_app, print_json};
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
    #[arg(long, value_enum, default_value_t = TableFormat::Md)]
    format: TableFormat,
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
        TableFormat::Json => print_json(&breakdown)?,
        TableFormat::Csv => out!(
            "{}",
            rapport_app::exports::breakdown_csv(&breakdown).map_err(anyhow::Error::msg)?
        ),
        TableFormat::Md => out!(
            "{}",
            rapport_app::render::engagement(&breakdown).map_err(anyhow::Error::msg)?
        ),
    }
    Ok(ExitCode::SUCCESS)
}
