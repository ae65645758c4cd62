//! `rapport accounts`: the accounts in the store, as `GET /api/accounts` lists them.

use std::process::ExitCode;

use rapport_core::AccountListing;

use super::{Format, open_store};
use crate::settings::Settings;

pub fn run(settings: &Settings, format: Format) -> anyhow::Result<ExitCode> {
    let store = open_store(settings)?;
    let accounts = store.accounts()?;
    let listings: Vec<AccountListing> = accounts.iter().map(AccountListing::from).collect();
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&listings)?),
        Format::Md => {
            println!("| Account | External id | Tier | ARR | CSM | Status |");
            println!("|---|---|---|---:|---|---|");
            for listing in &listings {
                println!(
                    "| {} | {} | {} | {:.0} | {} | {} |",
                    listing.name,
                    listing.external_id,
                    listing.tier,
                    listing.arr,
                    listing.csm,
                    listing.status
                );
            }
            println!("\n{} accounts", listings.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}
