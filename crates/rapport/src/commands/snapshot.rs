//! `rapport snapshot`: stores the daily score snapshots (end-of-day scores of
//! every account under the engagement and health models) for a range of past
//! days; `rapport serve` takes yesterday's by itself every hour.

use std::process::ExitCode;

use anyhow::{Context, bail};
use rapport_core::snapshot::{snapshot_instant, take};
use rapport_core::time::parse_date;
use rapport_store::WriteOutcome;

use super::open_store;
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
    let models = [settings.engagement_model()?, settings.health_model()?];
    let mut store = open_store(settings)?;
    let engine = rapport_store::load_engine(store.as_ref())
        .context("cannot load the engine from the store")?;
    let (mut written, mut unchanged) = (0, 0);
    for back in (0..args.days.max(1)).rev() {
        let day = last - chrono::Days::new(u64::from(back));
        for model in &models {
            match store.put_snapshot(&take(model, &engine, day))? {
                WriteOutcome::Unchanged => unchanged += 1,
                WriteOutcome::Inserted | WriteOutcome::Updated => written += 1,
            }
        }
    }
    println!("snapshots written {written}, unchanged {unchanged}");
    Ok(ExitCode::SUCCESS)
}
