//! A deterministic, realistic demo portfolio for Rapport: the five import
//! files of `definitions.md` §2 (`accounts.csv`, `contacts.csv`,
//! `features.csv`, `activities.jsonl`, `outcomes.csv`) for a book of B2B
//! accounts looked after by a customer-success team, and Rapport's own
//! `goals.csv` (`docs/goals-csv.md`): the PRD-069 success goals, metrics,
//! measurement histories and value drivers of a good share of the accounts.
//!
//! Each account has a latent engagement level that drifts over time (most
//! stay flat, some decline sharply in the last two or three months, some
//! improve, a few fade out and churn). That level drives everything the
//! account does: how fast and how often contacts answer email, whether they
//! show up to meetings, how many seats log in and for how long, which
//! features they use, how many tickets they file and how they feel about
//! them, NPS, late payments, and finally whether they renew — and how far
//! the account gets towards its success goals. So trends, early-warning
//! signals, lost champions, renewal outcomes and goals exceeded or at risk
//! all exist in the data for the engine to find.
//!
//! Beside them, [`write_samples`] writes the sample files of the other
//! sources Rapport reads (calendar, mail, help desk, CRM, Segment), made
//! against the default portfolio and compiled into the crate.
//!
//! The same [`DemoConfig`] always yields byte-identical files. Accounts are
//! generated one at a time from their own random stream and written as they
//! are made, so ten million activity lines need only one account's events in
//! memory. Goals draw from a second stream per account, so the five contract
//! files are the same with or without them. A [`Variation`] (benchmarks: at
//! most N product users an account) draws from a third, and only when asked.
//!
//! Choices the contract leaves open, made here:
//! - A ticket is one line, stamped when it was opened, carrying its status as
//!   of the end of the window (recent tickets open or pending, older ones
//!   solved or closed, feature requests left open longest).
//! - A payment line is stamped when the invoice was paid, or for an overdue
//!   invoice the day after its due date; invoices not yet due have no line.
//! - Meetings in the last four days before the end may still be `scheduled`
//!   (held, but not yet updated in the calendar); none lies at or after the end.
//! - Our CSM team works 08:00–18:00 US Eastern on working days; each customer
//!   has its own time zone for logins, meetings and the emails it sends.
//! - Volume: product events dominate and follow seats × active share × logins
//!   per active user, so a 150-seat strategic account makes ~40 activities a
//!   day and a nurture account ~2; the portfolio averages 6–7 per account per
//!   day (10,000 accounts × 180 days ≈ 12 million lines). Reaching the 5–6
//!   first aimed at would have needed fewer seats or engaged users logging in
//!   under 4 times a week; realistic engagement scores were kept instead.

mod activity;
mod catalogue;
mod error;
mod event;
mod goals;
mod jsonl;
mod portfolio;
#[cfg(test)]
mod realism;
mod sample;
mod samples;
mod words;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::NaiveDate;

pub use error::DemoError;
pub use samples::{SAMPLES, SAMPLES_DIR, SampleFile, write_samples};

use crate::activity::Window;
use crate::catalogue::FEATURES;
use crate::event::Event;
use crate::jsonl::Calendar;
use crate::portfolio::{AccountPlan, NameRegistry, PlanContext, Team};

/// File names of the six outputs, in the directory given to [`write_portfolio`].
pub const ACCOUNTS_FILE: &str = "accounts.csv";
pub const CONTACTS_FILE: &str = "contacts.csv";
pub const FEATURES_FILE: &str = "features.csv";
pub const ACTIVITIES_FILE: &str = "activities.jsonl";
pub const OUTCOMES_FILE: &str = "outcomes.csv";
pub const GOALS_FILE: &str = "goals.csv";

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoConfig {
    /// Number of accounts; account #0 is always "Acme Corp".
    pub accounts: usize,
    /// Length of the activity window in days: activities fall in `[end − days, end)`.
    pub days: u32,
    /// The random seed: the same config gives byte-identical files.
    pub seed: u64,
    /// The first day after the window (activities stop at its 00:00:00 UTC).
    pub end: NaiveDate,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            accounts: 200,
            days: 365,
            seed: 42,
            end: NaiveDate::from_ymd_opt(2026, 11, 23).expect("a valid date"),
        }
    }
}

/// Departures from the default portfolio, for benchmarks that need another
/// shape. The default departs from nothing: the files stay byte-identical.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Variation {
    /// Caps every account's product users at a number drawn uniformly from
    /// `1..=max_users` (on a random stream of its own), like a product whose
    /// accounts have a handful of users each; provisioned seats shrink to
    /// match. `None`: users fill the seats (5 to 400 an account, by tier).
    pub max_users: Option<u32>,
}

/// How many records of each kind were written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenerationSummary {
    pub accounts: usize,
    pub contacts: usize,
    pub features: usize,
    pub activities: u64,
    pub outcomes: usize,
    /// Success goals in goals.csv (each spans several rows).
    pub goals: usize,
}

/// The six destinations of a generated portfolio.
#[derive(Debug)]
pub struct PortfolioSinks<W> {
    pub accounts: W,
    pub contacts: W,
    pub features: W,
    pub activities: W,
    pub outcomes: W,
    pub goals: W,
}

/// Writes the six files into `out_dir` (created if missing).
pub fn write_portfolio(
    config: &DemoConfig,
    out_dir: &Path,
) -> Result<GenerationSummary, DemoError> {
    write_varied_portfolio(config, &Variation::default(), out_dir)
}

/// [`write_portfolio`] with a [`Variation`] of its shape.
pub fn write_varied_portfolio(
    config: &DemoConfig,
    variation: &Variation,
    out_dir: &Path,
) -> Result<GenerationSummary, DemoError> {
    std::fs::create_dir_all(out_dir).map_err(|source| DemoError::CreateDir {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let open = |name: &str| {
        let path = out_dir.join(name);
        File::create(&path)
            .map(|file| BufWriter::with_capacity(1 << 16, file))
            .map_err(|source| DemoError::Io { path, source })
    };
    let mut sinks = PortfolioSinks {
        accounts: open(ACCOUNTS_FILE)?,
        contacts: open(CONTACTS_FILE)?,
        features: open(FEATURES_FILE)?,
        activities: open(ACTIVITIES_FILE)?,
        outcomes: open(OUTCOMES_FILE)?,
        goals: open(GOALS_FILE)?,
    };
    let summary = generate_varied_into(config, variation, &mut sinks)
        .map_err(|error| error.inside(out_dir))?;
    for (name, sink) in [
        (ACCOUNTS_FILE, &mut sinks.accounts),
        (CONTACTS_FILE, &mut sinks.contacts),
        (FEATURES_FILE, &mut sinks.features),
        (ACTIVITIES_FILE, &mut sinks.activities),
        (OUTCOMES_FILE, &mut sinks.outcomes),
        (GOALS_FILE, &mut sinks.goals),
    ] {
        sink.flush().map_err(|source| DemoError::Io {
            path: out_dir.join(name),
            source,
        })?;
    }
    Ok(summary)
}

/// Generates the portfolio into any writers, account by account. Errors name
/// the file (by its file name) whose writer failed.
pub fn generate_into<W: Write>(
    config: &DemoConfig,
    sinks: &mut PortfolioSinks<W>,
) -> Result<GenerationSummary, DemoError> {
    generate_varied_into(config, &Variation::default(), sinks)
}

/// [`generate_into`] with a [`Variation`] of the portfolio's shape.
pub fn generate_varied_into<W: Write>(
    config: &DemoConfig,
    variation: &Variation,
    sinks: &mut PortfolioSinks<W>,
) -> Result<GenerationSummary, DemoError> {
    let mut summary = GenerationSummary::default();
    let mut features = csv::Writer::from_writer(&mut sinks.features);
    let csv_error = |file: &'static str| move |error: csv::Error| DemoError::csv(file, error);
    features
        .write_record(["key", "name", "importance"])
        .map_err(csv_error(FEATURES_FILE))?;
    for feature in FEATURES {
        features
            .write_record([feature.key, feature.name, feature.importance.as_str()])
            .map_err(csv_error(FEATURES_FILE))?;
    }
    features
        .flush()
        .map_err(|error| DemoError::io(FEATURES_FILE, error))?;
    drop(features);
    summary.features = FEATURES.len();

    let mut accounts = csv::Writer::from_writer(&mut sinks.accounts);
    accounts
        .write_record([
            "id",
            "name",
            "tier",
            "arr",
            "seats",
            "csm",
            "status",
            "contract_start",
            "renewal_date",
            "industry",
            "manager",
            "at_risk_override",
        ])
        .map_err(csv_error(ACCOUNTS_FILE))?;
    let mut contacts = csv::Writer::from_writer(&mut sinks.contacts);
    contacts
        .write_record(["account", "email", "name", "role", "department", "title"])
        .map_err(csv_error(CONTACTS_FILE))?;
    let mut outcomes = csv::Writer::from_writer(&mut sinks.outcomes);
    outcomes
        .write_record(["account", "date", "outcome", "arr_change"])
        .map_err(csv_error(OUTCOMES_FILE))?;
    let mut goal_rows = csv::Writer::from_writer(&mut sinks.goals);
    goal_rows
        .write_record(goals::GOAL_COLUMNS)
        .map_err(csv_error(GOALS_FILE))?;
    let activities = &mut sinks.activities;

    let team = Team::new(&mut sample::team_rng(config.seed), config.accounts);
    let context = PlanContext {
        accounts: config.accounts,
        days: config.days,
        end: config.end,
        team: &team,
    };
    let window = Window::new(config.end, config.days);
    let calendar = Calendar::new(window.start_date, config.days);
    let mut names = NameRegistry::new();
    let mut events: Vec<Event> = Vec::new();
    let mut lines: Vec<u8> = Vec::with_capacity(1 << 20);
    // One account (not Acme) shows a metric without a baseline.
    let mut baseline_left_out = false;

    for index in 0..config.accounts {
        let mut rng = sample::account_rng(config.seed, index);
        let mut plan = portfolio::plan_account(index, &context, &mut names, &mut rng);
        if let Some(max_users) = variation.max_users {
            let mut cap_rng = sample::user_cap_rng(config.seed, index);
            portfolio::cap_users(&mut plan, max_users, &mut cap_rng);
        }
        write_account(&mut accounts, &plan, &team).map_err(csv_error(ACCOUNTS_FILE))?;
        for contact in &plan.contacts {
            contacts
                .write_record([
                    plan.id.as_str(),
                    &contact.email,
                    &contact.name,
                    contact.role.as_str(),
                    contact.department,
                    contact.title,
                ])
                .map_err(csv_error(CONTACTS_FILE))?;
        }
        summary.contacts += plan.contacts.len();
        for outcome in &plan.outcomes {
            outcomes
                .write_record([
                    plan.id.as_str(),
                    &outcome.date.to_string(),
                    outcome.kind.as_str(),
                    &outcome.arr_change.to_string(),
                ])
                .map_err(csv_error(OUTCOMES_FILE))?;
        }
        summary.outcomes += plan.outcomes.len();

        let mut account_goals =
            goals::plan_goals(&plan, config.end, &mut sample::goal_rng(config.seed, index));
        if !baseline_left_out && index > 0 && plan.churn_date.is_none() {
            baseline_left_out = goals::leave_out_one_baseline(&mut account_goals);
        }
        goals::write_goals(&mut goal_rows, &plan.id, &account_goals)
            .map_err(csv_error(GOALS_FILE))?;
        summary.goals += account_goals.len();

        activity::generate(&plan, &window, &mut rng, &mut events);
        let csm_email = &team.csms[plan.csm].email;
        lines.clear();
        for (position, event) in events.iter().enumerate() {
            jsonl::push_event(
                &mut lines,
                &plan,
                csm_email,
                &calendar,
                event,
                position as u64 + 1,
            );
        }
        activities
            .write_all(&lines)
            .map_err(|error| DemoError::io(ACTIVITIES_FILE, error))?;
        summary.activities += events.len() as u64;
        summary.accounts += 1;
    }
    accounts
        .flush()
        .map_err(|error| DemoError::io(ACCOUNTS_FILE, error))?;
    contacts
        .flush()
        .map_err(|error| DemoError::io(CONTACTS_FILE, error))?;
    outcomes
        .flush()
        .map_err(|error| DemoError::io(OUTCOMES_FILE, error))?;
    goal_rows
        .flush()
        .map_err(|error| DemoError::io(GOALS_FILE, error))?;
    Ok(summary)
}

fn write_account<W: Write>(
    writer: &mut csv::Writer<W>,
    plan: &AccountPlan,
    team: &Team,
) -> Result<(), csv::Error> {
    let csm = plan.csm;
    writer.write_record([
        plan.id.as_str(),
        &plan.name,
        plan.tier.as_str(),
        &plan.arr.to_string(),
        &plan
            .seats
            .map(|seats| seats.to_string())
            .unwrap_or_default(),
        &team.csms[csm].name,
        plan.status(),
        &plan.contract_start.to_string(),
        &plan.renewal_date.to_string(),
        plan.industry,
        &team.manager_of(csm).name,
        if plan.at_risk_override {
            "true"
        } else {
            "false"
        },
    ])
}
