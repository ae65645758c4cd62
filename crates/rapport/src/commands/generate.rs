//! `rapport generate`: writes the deterministic demo portfolio, and beside it
//! the sample files of the other sources (`samples/`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use rapport_demo::{DemoConfig, Variation};

#[derive(clap::Args)]
pub struct GenerateArgs {
    #[arg(long, default_value_t = 200)]
    accounts: usize,
    #[arg(long, default_value_t = 365)]
    days: u32,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The day the data ends (exclusive, 00:00 UTC); default today. Same seed,
    /// size and end date ⇒ byte-identical files.
    #[arg(long)]
    end: Option<chrono::NaiveDate>,
    /// At most this many product users an account: each account keeps a
    /// random 1..=N of its users (seats shrink to match). Default: users fill
    /// the seats, as before.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    max_users: Option<u32>,
    /// Folder to write accounts.csv, contacts.csv, features.csv, activities.jsonl, outcomes.csv, goals.csv into,
    /// and samples/: sample files of the other sources (calendar, mail, tickets, CRM, tracking API) with a
    /// README.md saying how to import each.
    #[arg(long)]
    out: PathBuf,
}

pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

pub fn run(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let config = DemoConfig {
        accounts: args.accounts,
        days: args.days,
        seed: args.seed,
        end: args.end.unwrap_or_else(today),
    };
    let started = std::time::Instant::now();
    let variation = Variation {
        max_users: args.max_users,
    };
    let summary = rapport_demo::write_varied_portfolio(&config, &variation, &args.out)
        .with_context(|| {
            format!(
                "cannot write the demo portfolio into {}",
                args.out.display()
            )
        })?;
    let samples = rapport_demo::write_samples(&args.out).with_context(|| {
        format!(
            "cannot write the sample files into {}",
            args.out.join(rapport_demo::SAMPLES_DIR).display()
        )
    })?;
    eprintln!(
        "wrote {} accounts, {} contacts, {} features, {} activities, {} outcomes, {} goals to {} in {:.1}s",
        summary.accounts,
        summary.contacts,
        summary.features,
        summary.activities,
        summary.outcomes,
        summary.goals,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    eprintln!(
        "wrote {samples} sample files of other sources (calendar, mail, tickets, CRM, tracking API) to {}; \
         its README.md says how to import each",
        args.out.join(rapport_demo::SAMPLES_DIR).display()
    );
    Ok(ExitCode::SUCCESS)
}
