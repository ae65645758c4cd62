//! `rapport accounts`: the accounts in the store, as `GET /api/accounts` lists them.

use std::process::ExitCode;

use rapport_core::AccountListing;

use super::{Format, open_app, print_json};
use crate::settings::Settings;

pub fn run(settings: &Settings, format: Format) -> anyhow::Result<ExitCode> {
    let listings: Vec<AccountListing> = open_app(settings)?.accounts()?;
    match format {
        Format::Json => print_json(&listings)?,
        Format::Md => out!(
            "{}",
            rapport_app::render::accounts(&listings, rapport_app::render::DocumentFormat::Markdown)
                .map_err(anyhow::Error::msg)?
        ),
    }
    Ok(ExitCode::SUCCESS)
}
