//! `rapport success ACCOUNT`: the account's success metrics (PRD-069), as
//! Markdown for people or as exactly the JSON
//! `GET /api/intelligence/success-metrics/:id` returns.

use std::process::ExitCode;

use super::{Format, open_app, print_json};

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
        Format::Md => out!(
            "{}",
            rapport_app::render::success(&view.to_json()).map_err(anyhow::Error::msg)?
        ),
    }
    Ok(ExitCode::SUCCESS)
}
