//! `rapport health ACCOUNT`: the customer health report, as Markdown for people
//! or as exactly the JSON `GET /api/intelligence/health/:id` returns.

use std::process::ExitCode;

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
        Format::Md => out!(
            "{}",
            rapport_app::render::health(&view).map_err(anyhow::Error::msg)?
        ),
    }
    Ok(ExitCode::SUCCESS)
}
