//! `rapport export value-report ACCOUNT --format md|html`: the customer-facing
//! value report, rendered by the same templates as the API's export.

use std::process::ExitCode;

use anyhow::Context;
use rapport_app::render::{DocumentFormat, value_report};

use crate::settings::Settings;

#[derive(clap::Subcommand)]
pub enum ExportCommand {
    /// The value report (PRD-069) to hand to the customer's leadership.
    ValueReport {
        account: String,
        #[arg(long, value_parser = ["md", "html"], default_value = "md")]
        format: String,
        /// As of this instant (RFC 3339 or YYYY-MM-DD); default now.
        #[arg(long)]
        as_of: Option<String>,
    },
}

pub fn run(settings: &Settings, command: &ExportCommand) -> anyhow::Result<ExitCode> {
    let ExportCommand::ValueReport {
        account,
        format,
        as_of,
    } = command;
    let as_of = super::as_of(as_of.as_deref())?;
    let format = DocumentFormat::parse(format).context("--format")?;
    let report = super::open_app(settings)?.value_report(account, as_of)?;
    let document = value_report(&report, format).map_err(anyhow::Error::msg)?;
    out!("{document}");
    Ok(ExitCode::SUCCESS)
}
