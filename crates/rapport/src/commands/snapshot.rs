//! `rapport snapshot`: stores the daily score snapshots (end-of-day scores of
//! every account under the engagement and health models) for a range of past
//! days; `rapport serve` takes yesterday's by itself every hour.

use std::process::ExitCode;

use anyhow::{Context, bail};
use rapport_core::portfolio::snapshot::snapshot_instant;
use rapport_core::time::parse_date;

use crate::settings::Settings;

#[derive(clap::Args)]
pub struct SnapshotArgs {
    /// The last day to snapshot (YYYY-MM-DD); default yesterday (UTC).
    #[arg(long)]
    day: Option<String>,
    /// How many days to snapshot, ending with --day.
    #[arg(long, default_value_t = 1)]
    days: u32,
}

pub fn run(settings: &Settings, args: &SnapshotArgs) -> anyhow::Result<ExitCode> {
    let now = super::now();
    let last = match &args.day {
        Some(text) => parse_date(text).context("--day")?,
        None => now.date().pred_opt().context("no day before today")?,
    };
    if snapshot_instant(last) > now {
        bail!("--day {last} is not over yet: a snapshot is the score at the end of the day");
    }
    let first = last - chrono::Days::new(u64::from(args.days.max(1) - 1));
    let run = super::open_app(settings)?
        .take_snapshots(first, last, true, now)
        .map_err(super::flag_error)?;
    let (written, unchanged) = (run.written, run.unchanged);
    outln!("snapshots written {written}, unchanged {unchanged}");
    Ok(ExitCode::SUCCESS)
}
