//! `rapport accounts`: the accounts in the store, as `GET /api/accounts` lists them.

use std::process::ExitCode;

use rapport_core::AccountListing;

use super::{TableFormat, open_app, print_json};
use crate::settings::Settings;

pub fn run(settings: &Settings, format: TableFormat) -> anyhow::Result<ExitCode> {
    let listings: Vec<AccountListing> = open_app(settings)?.accounts()?;
    match format {
        TableFormat::Json => print_json(&listings)?,
        TableFormat::Csv => out!(
            "{}",
            rapport_app::exports::accounts_csv(&listings).map_err(anyhow::Error::msg)?
        ),
        TableFormat::Md => out!(
            "{}",
            rapport_app::render::accounts(&listings, rapport_app::render::DocumentFormat::Markdown)
                .map_err(anyhow::Error::msg)?
        ),
    }
    Ok(ExitCode::SUCCESS)
}
