//! Generates a demo portfolio from the command line and reports how long it took.
//!
//! `cargo run --release -p rapport-demo --example gen -- [ACCOUNTS] [DAYS] [SEED] [OUT_DIR] [END]`
//! (defaults: 200 accounts, 365 days, seed 42, `./demo-data`, 2026-11-23).

use std::path::PathBuf;
use std::time::Instant;

use rapport_demo::{DemoConfig, write_portfolio};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let defaults = DemoConfig::default();
    let arg = |position: usize| args.get(position).map(String::as_str);
    let config = DemoConfig {
        accounts: arg(0).map_or(defaults.accounts, |text| {
            text.parse().expect("ACCOUNTS is a number")
        }),
        days: arg(1).map_or(defaults.days, |text| {
            text.parse().expect("DAYS is a number")
        }),
        seed: arg(2).map_or(defaults.seed, |text| {
            text.parse().expect("SEED is a number")
        }),
        end: arg(4).map_or(defaults.end, |text| {
            text.parse().expect("END is a YYYY-MM-DD date")
        }),
    };
    let out_dir = PathBuf::from(arg(3).unwrap_or("demo-data"));
    let started = Instant::now();
    match write_portfolio(&config, &out_dir) {
        Ok(summary) => {
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "{} accounts, {} contacts, {} features, {} activities, {} outcomes in {:.2} s ({:.0} activities/s) into {}",
                summary.accounts,
                summary.contacts,
                summary.features,
                summary.activities,
                summary.outcomes,
                seconds,
                summary.activities as f64 / seconds,
                out_dir.display()
            );
        }
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(2);
        }
    }
}
