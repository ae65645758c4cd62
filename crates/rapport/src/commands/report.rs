//! `rapport report weekly`: the weekly portfolio report as Markdown or
//! standalone HTML (or JSON), the same document `GET /api/reports/weekly` serves.

use std::process::ExitCode;

use anyhow::Context;
use rapport_core::Tier;
use rapport_core::overview::OverviewFilter;
use rapport_server::render::{DocumentFormat, weekly_report};

use super::open_store;
use crate::settings::Settings;

#[derive(clap::Subcommand)]
pub enum ReportCommand {
    /// Portfolio health summary, at-risk accounts, improvement trends, open actions.
    Weekly {
        /// md, html or json.
        #[arg(long, default_value = "md")]
        format: String,
        /// The end of the week (RFC 3339 or YYYY-MM-DD); default now.
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long)]
        csm: Option<String>,
        #[arg(long)]
        tier: Option<String>,
    },
}

pub fn run(settings: &Settings, command: &ReportCommand) -> anyhow::Result<ExitCode> {
    let ReportCommand::Weekly {
        format,
        as_of,
        csm,
        tier,
    } = command;
    let as_of = super::as_of(as_of.as_deref())?;
    let document = match format.as_str() {
        "json" => None,
        other => Some(
            DocumentFormat::parse(other)
                .with_context(|| format!("--format `{other}` is not md, html or json"))?,
        ),
    };
    let filter = OverviewFilter {
        csm: csm.clone(),
        tier: tier
            .as_deref()
            .map(str::parse::<Tier>)
            .transpose()
            .context("--tier")?,
    };
    let store = open_store(settings)?;
    let engine = rapport_store::load_engine(store.as_ref())
        .context("cannot load the engine from the store")?;
    let alerts = store.alerts(None, true)?;
    let report = rapport_core::weekly::weekly_report(
        &engine,
        &settings.health_model()?,
        &filter,
        &alerts,
        as_of,
    );
    match document {
        None => println!("{}", serde_json::to_string_pretty(&report)?),
        Some(format) => print!(
            "{}",
            weekly_report(&report, format).map_err(anyhow::Error::msg)?
        ),
    }
    Ok(ExitCode::SUCCESS)
}
