//! `rapport export value-report ACCOUNT --format md|html [--roi auto|show|hide]
//! [--goals all|started]`: the customer-facing value report, rendered by the
//! same templates as the API's export; the CSM's choices are parsed by the
//! application, as the API's `?roi&goals` are.

use std::process::ExitCode;

use anyhow::Context;
use rapport_app::render::{DocumentFormat, value_report};
use rapport_app::reports::ValueReportOptions;

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
        /// The investment, value multiple and net ROI: `auto` shows them only
        /// when the net return is not negative; `show` always; `hide` never.
        #[arg(long, value_parser = ["auto", "show", "hide"], default_value = "auto")]
        roi: String,
        /// `all` goals, or only those `started` (leaves out goals not started).
        #[arg(long, value_parser = ["all", "started"], default_value = "all")]
        goals: String,
    },
}

pub fn run(settings: &Settings, command: &ExportCommand) -> anyhow::Result<ExitCode> {
    let ExportCommand::ValueReport {
        account,
        format,
        as_of,
        roi,
        goals,
    } = command;
    let as_of = super::as_of(as_of.as_deref())?;
    let format = DocumentFormat::parse(format).context("--format")?;
    let options = ValueReportOptions::parse(Some(roi), Some(goals)).map_err(super::flag_error)?;
    let report = super::open_app(settings)?.value_report(account, as_of, &options)?;
    let document = value_report(&report, format).map_err(anyhow::Error::msg)?;
    out!("{document}");
    Ok(ExitCode::SUCCESS)
}
