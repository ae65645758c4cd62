//! One module a command. Each parses its arguments, calls the library crates
//! and renders what they return.

pub mod accounts;
pub mod bench;
pub mod engagement;
pub mod generate;
pub mod import;
pub mod serve;

use anyhow::Context;
use rapport_store::Store;

use crate::settings::Settings;

/// How a report is printed: Markdown for people, JSON exactly as the API returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Md,
    Json,
}

pub fn open_store(settings: &Settings) -> anyhow::Result<Box<dyn Store>> {
    rapport_store::open(&settings.database_url)
        .with_context(|| format!("cannot open the store {}", settings.database_url))
}
