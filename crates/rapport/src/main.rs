//! The `rapport` command: parses the command line, wires the crates together
//! and renders their results. No business rule lives here.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `println!` for command output that returns the write's error instead of
/// panicking: a reader that stops early (`rapport accounts | head -1`) closes
/// the pipe, and `main` ends quietly with status 0 (see [`closed_pipe`]).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

/// `print!` for command output; see [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        write!(stdout, $($arg)*)?;
        stdout.flush()?
    }};
}

mod commands;
mod settings;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::settings::Settings;

#[derive(Parser)]
#[command(
    name = "rapport",
    version,
    about = "Explainable account intelligence for customer-success teams"
)]
struct Cli {
    /// Database URL (sqlite://FILE, or postgres://… once that backend lands).
    /// Default sqlite://rapport.db; also RAPPORT_DATABASE_URL or `database_url` in rapport.toml.
    #[arg(long, global = true)]
    db: Option<String>,
    /// Engagement scoring model: a shipped model's name (prd070-engagement) or a
    /// TOML model file. Also RAPPORT_MODEL or `model` in rapport.toml.
    #[arg(long, global = true)]
    model: Option<String>,
    /// Settings file (TOML). Default: ./rapport.toml when present, or RAPPORT_CONFIG.
    #[arg(long, global = true)]
    config: Option<std::path::PathBuf>,
    /// The Rapport user a change is made as (an override, a goal, an alert
    /// action, a no-show): their role and accounts apply, and they are its
    /// author. Also RAPPORT_USER or `user` in rapport.toml.
    #[arg(long = "as", global = true, value_name = "USER")]
    acting_as: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import the contract's files: `import DIR`, or `import accounts|contacts|features|activities|outcomes FILE`;
    /// a calendar: `import calendar FILE.ics [--until WHEN]`; a mailbox: `import mail FILE.mbox|DIR`;
    /// a CRM export: `import crm-accounts|crm-contacts FILE.csv --mapping salesforce|hubspot|FILE.toml`.
    Import {
        /// A folder holding any of accounts.csv, contacts.csv, features.csv, activities.jsonl,
        /// outcomes.csv; or a kind followed by a file (`tickets FILE.csv|FILE.json`: a
        /// Zendesk ticket export).
        #[arg(required = true, num_args = 1..=2, value_names = ["DIR | KIND", "FILE"])]
        target: Vec<String>,
        /// `import calendar FILE.ics` only: read occurrences up to this instant
        /// (RFC 3339 or YYYY-MM-DD); default 90 days from now.
        #[arg(long)]
        until: Option<String>,
        /// `import crm-accounts|crm-contacts FILE.csv` only: the column mapping, a preset
        /// (salesforce, hubspot) or a mapping file (docs/crm.md).
        #[arg(long, value_name = "salesforce|hubspot|FILE.toml")]
        mapping: Option<String>,
    },
    /// Write a deterministic demo portfolio (the five contract files and goals.csv) into a folder,
    /// with sample files of the other sources in its samples/.
    Generate(commands::generate::GenerateArgs),
    /// Serve the API (and pages) on a store.
    Serve {
        /// Address to listen on (also RAPPORT_ADDR).
        #[arg(long)]
        addr: Option<String>,
    },
    /// Generate the demo portfolio into the store if it is empty, then serve it.
    Demo {
        /// Address to listen on.
        #[arg(long)]
        addr: Option<String>,
        /// Size of the generated portfolio.
        #[arg(long, default_value_t = 200)]
        accounts: usize,
        /// Days of history to generate.
        #[arg(long, default_value_t = 365)]
        days: u32,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Benchmarks (not tests): `rapport bench engine --as-of DATE`, `bench load`,
    /// `bench writer --rate N --seconds S` (see scripts/bench).
    #[command(subcommand)]
    Bench(commands::bench::BenchCommand),
    /// The engagement score breakdown of one account (PRD-070).
    Engagement(commands::engagement::EngagementArgs),
    /// The success metrics of one account (PRD-069): goals, progress, value, ROI.
    Success(commands::success::SuccessArgs),
    /// The health of one account: score, components, early warnings, playbooks, cadence.
    Health(commands::health::HealthArgs),
    /// The portfolio engagement overview: engaged and multi-threaded accounts,
    /// activity volume, notable changes, at-risk revenue.
    Portfolio(commands::portfolio::PortfolioArgs),
    /// Alerts: `alerts list|evaluate|ack|resolve|snooze`.
    #[command(subcommand)]
    Alerts(commands::alerts::AlertsCommand),
    /// Reports: `report weekly --format md|html|json`.
    #[command(subcommand)]
    Report(commands::report::ReportCommand),
    /// Webhook subscriptions for alert delivery: `webhooks add|list|remove`.
    #[command(subcommand)]
    Webhooks(commands::webhooks::WebhooksCommand),
    /// Store the daily score snapshots of past days (serve takes yesterday's by itself).
    Snapshot(commands::snapshot::SnapshotArgs),
    /// Documents to share: `export value-report ACCOUNT --format md|html`.
    #[command(subcommand)]
    Export(commands::export::ExportCommand),
    /// An account's success goals: `goals list|add|update|delete`.
    #[command(subcommand)]
    Goals(commands::goals::GoalsCommand),
    /// Manual overrides of a health or engagement score, audited: `override set|remove|list`.
    #[command(subcommand)]
    Override(commands::overrides::OverrideCommand),
    /// Calendar meetings: `meetings list ACCOUNT`, `meetings no-show|attended ACCOUNT --meeting ID --by NAME`.
    #[command(subcommand)]
    Meetings(commands::meetings::MeetingsCommand),
    /// Write keys for the tracking API: `keys create NAME`, `keys list`, `keys revoke ID`.
    #[command(subcommand)]
    Keys(commands::keys::KeysCommand),
    /// The people who sign in and their roles: `users add NAME --role ROLE`, `users list`, `users role|disable|enable|sign-in-link USER`.
    #[command(subcommand)]
    Users(commands::users::UsersCommand),
    /// API tokens: `tokens create USER --name NAME`, `tokens list`, `tokens revoke ID`.
    #[command(subcommand)]
    Tokens(commands::users::TokensCommand),
    /// The audit log, newest first (admins, or the operator without --as):
    /// `audit [--account A] [--user U] [--action X] [--since …] [--limit N]`.
    Audit(commands::audit::AuditArgs),
    /// Share links of value reports: `share create ACCOUNT [--expires 14d] [--as-of …]`,
    /// `share list`, `share revoke ID`.
    #[command(subcommand)]
    Share(commands::audit::ShareCommand),
    /// The scoring models in use and their saved versions: `models list`,
    /// `models preview engagement|health --edit FILE.json`, `models save … --edit FILE.json`
    #[command(subcommand)]
    Models(commands::models::ModelsCommand),
    /// Tasks on accounts: `tasks list [--account A] [--owner O] [--status S] [--due-before D]`,
    /// `tasks add ACCOUNT TITLE [--owner O] [--due D] [--detail T]`, `tasks complete ID`,
    /// `tasks dismiss ID [--reason R]`.
    #[command(subcommand)]
    Tasks(commands::tasks::TasksCommand),
    /// List the accounts in the store.
    Accounts {
        #[arg(long, value_enum, default_value_t = commands::TableFormat::Md)]
        format: commands::TableFormat,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RAPPORT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = Settings::load(cli.config.as_deref()).and_then(|settings| {
        // `override` has a `--model` of its own (the score overridden) that
        // shadows the global flag; its configured model comes from the settings.
        let model_flag = match cli.command {
            Command::Override(_) => None,
            _ => cli.model,
        };
        let settings = settings
            .with_flags(cli.db, model_flag)
            .acting_as(cli.acting_as);
        run(cli.command, &settings)
    });
    match result {
        Ok(code) => code,
        Err(error) if closed_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether the command failed only because whoever read its output stopped
/// reading (a closed pipe): not an error of the command's, as for `cat`.
fn closed_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(command: Command, settings: &Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Import {
            target,
            until,
            mapping,
        } => match target.as_slice() {
            [kind, file]
                if commands::import_crm::KINDS.contains(&kind.as_str()) && until.is_none() =>
            {
                commands::import_crm::run(settings, kind, file, mapping.as_deref())
            }
            [kind, ..]
                if mapping.is_some() && !commands::import_crm::KINDS.contains(&kind.as_str()) =>
            {
                anyhow::bail!(
                    "--mapping is for `rapport import crm-accounts|crm-contacts FILE.csv`"
                )
            }
            [kind, file] if kind == "tickets" && until.is_none() => {
                commands::import_tickets::run(settings, file)
            }
            [kind, file] if kind == "calendar" => {
                commands::meetings::import_calendar(settings, file, until.as_deref())
            }
            [kind, path] if kind == "mail" && until.is_none() => {
                commands::import::import_mail(settings, path)
            }
            _ if until.is_some() => {
                anyhow::bail!("--until is for `rapport import calendar FILE.ics`")
            }
            _ => commands::import::run(settings, &target),
        },
        Command::Meetings(command) => commands::meetings::run(settings, &command),
        Command::Generate(args) => commands::generate::run(&args),
        Command::Serve { addr } => commands::serve::run(settings, addr.as_deref()),
        Command::Demo {
            addr,
            accounts,
            days,
            seed,
        } => commands::serve::demo(settings, addr.as_deref(), accounts, days, seed),
        Command::Bench(command) => commands::bench::run(settings, &command),
        Command::Engagement(args) => commands::engagement::run(settings, &args),
        Command::Success(args) => commands::success::run(settings, &args),
        Command::Health(args) => commands::health::run(settings, &args),
        Command::Snapshot(args) => commands::snapshot::run(settings, &args),
        Command::Portfolio(args) => commands::portfolio::run(settings, &args),
        Command::Alerts(command) => commands::alerts::run(settings, &command),
        Command::Webhooks(command) => commands::webhooks::run(settings, &command),
        Command::Report(command) => commands::report::run(settings, &command),
        Command::Export(command) => commands::export::run(settings, &command),
        Command::Goals(command) => commands::goals::run(settings, &command),
        Command::Override(command) => commands::overrides::run(settings, &command),
        Command::Keys(command) => commands::keys::run(settings, &command),
        Command::Users(command) => commands::users::run_users(settings, &command),
        Command::Tokens(command) => commands::users::run_tokens(settings, &command),
        Command::Audit(args) => commands::audit::run_audit(settings, &args),
        Command::Tasks(command) => commands::tasks::run(settings, &command),
        Command::Models(command) => commands::models::run(settings, &command),
        Command::Share(command) => commands::audit::run_share(settings, &command),
        Command::Accounts { format } => commands::accounts::run(settings, format),
    }
}
