//! One module a command. Each parses its arguments, calls the library crates
//! and renders what they return.

pub mod accounts;
pub mod alerts;
pub mod bench;
pub mod engagement;
pub mod export;
pub mod generate;
pub mod goals;
pub mod health;
pub mod import;
pub mod overrides;
pub mod portfolio;
pub mod report;
pub mod serve;
pub mod snapshot;
pub mod success;
pub mod webhooks;

use anyhow::Context;
use rapport_store::Store;

use crate::settings::Settings;

/// How a report is printed: Markdown for people, JSON exactly as the API returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Md,
    Json,
}

/// The wall clock, read here and passed down: the core never reads it.
pub fn now() -> rapport_core::time::Timestamp {
    rapport_core::time::Timestamp::from_millis(chrono::Utc::now().timestamp_millis())
}

/// `--as-of` (RFC 3339 or YYYY-MM-DD), or now.
pub fn as_of(text: Option<&str>) -> anyhow::Result<rapport_core::time::Timestamp> {
    match text {
        Some(text) => rapport_core::time::Timestamp::parse_lenient(text).context("--as-of"),
        None => Ok(now()),
    }
}

pub fn open_store(settings: &Settings) -> anyhow::Result<Box<dyn Store>> {
    rapport_store::open(&settings.database_url)
        .with_context(|| format!("cannot open the store {}", settings.database_url))
}

/// Finds an account by name, external id or UUID; a close but not exact name
/// lists the candidates in the error.
pub fn find_account(store: &dyn Store, query: &str) -> anyhow::Result<rapport_core::Account> {
    let accounts = store.accounts()?;
    match rapport_core::find_account(&accounts, query) {
        rapport_core::AccountMatch::Found(account) => Ok(account.clone()),
        rapport_core::AccountMatch::Candidates(candidates) => anyhow::bail!(
            "no account named exactly `{query}`; did you mean:\n{}",
            candidates
                .iter()
                .map(|account| format!("  {} ({})", account.name, account.external_id))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        rapport_core::AccountMatch::NotFound => anyhow::bail!("no account named `{query}`"),
    }
}
