//! `rapport bench engine`: loads the store into the engine's in-memory state
//! and scores every account for the current window, the compare window and six
//! history months, reporting time and memory. A benchmark, not a test; its
//! figures are recorded in docs/benchmarks.md.

use std::process::ExitCode;
use std::time::Instant;

use rapport_core::engagement::{Compare, engagement_breakdown};
use rapport_core::engine::Window;
use rapport_core::engine::facts::factor_facts;
use rapport_core::model::Model;
use rapport_core::score::score;
use rapport_core::{Period, Timestamp};

use super::open_store;
use crate::settings::Settings;

/// Resident memory of this process in bytes, from /proc (Linux only).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

pub fn engine(settings: &Settings, as_of: &str) -> anyhow::Result<ExitCode> {
    let as_of = Timestamp::parse_lenient(as_of)?;
    let store = open_store(settings)?;
    let before = resident_bytes().unwrap_or(0);
    let started = Instant::now();
    let state = rapport_store::load_engine(store.as_ref())?;
    let activities = store.counts()?.activities;
    let load = started.elapsed();
    let after = resident_bytes().unwrap_or(0);
    println!(
        "load: {activities} activities into the engine in {:.1} s; resident memory grew {:.0} MiB = {:.1} bytes per activity",
        load.as_secs_f64(),
        (after.saturating_sub(before)) as f64 / 1_048_576.0,
        after.saturating_sub(before) as f64 / activities.max(1) as f64
    );

    let model = Model::prd070();
    let period = Period::DEFAULT;
    let windows: Vec<Window> = (0..8)
        .map(|back| Window::new(as_of.minus_days(30 * back), period))
        .collect();
    let started = Instant::now();
    let mut checksum = 0.0;
    let mut accounts = 0;
    for account in state.accounts() {
        accounts += 1;
        for window in &windows {
            let facts = factor_facts(&state, account, *window);
            checksum += score(&model, &facts).overall.unwrap_or(0.0);
        }
    }
    let elapsed = started.elapsed();
    println!(
        "score: {accounts} accounts x {} windows (current, compare, 6 history months) in {:.0} ms (checksum {checksum:.3})",
        windows.len(),
        elapsed.as_secs_f64() * 1000.0
    );

    // One account's full breakdown (compare, history, peers, explanation), as the
    // API computes it per request: the median over a sample of accounts.
    let sample: Vec<_> = state.accounts().step_by((accounts / 200).max(1)).collect();
    let mut timings: Vec<f64> = sample
        .iter()
        .map(|account| {
            let started = Instant::now();
            let breakdown =
                engagement_breakdown(&model, &state, account, windows[0], Compare::Previous);
            std::hint::black_box(breakdown);
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    timings.sort_by(f64::total_cmp);
    println!(
        "breakdown of one account (compare, 6 months, peers): median {:.2} ms, p90 {:.2} ms over {} accounts",
        timings[timings.len() / 2],
        timings[timings.len() * 9 / 10],
        timings.len()
    );
    Ok(ExitCode::SUCCESS)
}
