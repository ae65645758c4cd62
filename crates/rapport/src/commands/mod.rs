//! One module a command. Each parses its arguments, calls the library crates
//! and renders what they return.

pub mod accounts;
pub mod alerts;
pub mod audit;
pub mod bench;
pub mod bench_tracking;
pub mod engagement;
pub mod export;
pub mod generate;
pub mod goals;
pub mod health;
pub mod import;
pub mod import_crm;
pub mod import_tickets;
pub mod keys;
pub mod meetings;
pub mod models;
pub mod overrides;
pub mod portfolio;
pub mod report;
pub mod serve;
pub mod snapshot;
pub mod success;
pub mod tasks;
pub mod users;
pub mod webhooks;

use std::sync::Arc;

use anyhow::Context;
use rapport_app::{App, AppConfig};

use crate::settings::Settings;

/// How a report is printed: Markdown for people, JSON exactly as the API returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Md,
    Json,
}

/// How a table-shaped report is printed: Markdown, the API's JSON, or the
/// API's CSV export (cells neutralised against spreadsheet formulas).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    Md,
    Json,
    Csv,
}

/// The wall clock, read here and passed down: the core never reads it.
pub fn now() -> rapport_core::time::Timestamp {
    rapport_core::time::Timestamp::from_millis(chrono::Utc::now().timestamp_millis())
}

/// `--as-of` (RFC 3339 or YYYY-MM-DD), or the instant the API would score
/// "now" at ([`rapport_app::report_instant`]), so `--format json` prints
/// what the API answers in the same second.
pub fn as_of(text: Option<&str>) -> anyhow::Result<rapport_core::time::Timestamp> {
    match text {
        Some(text) => rapport_core::time::Timestamp::parse_lenient(text).context("--as-of"),
        None => Ok(rapport_app::report_instant(now())),
    }
}

/// The deployment's models, from the settings; the engine checkpoint and
/// the key sealing webhook secrets live next to a SQLite database file
/// (`rapport.db.engine`, `rapport.db.key`).
pub fn app_config(settings: &Settings) -> anyhow::Result<AppConfig> {
    let beside_database =
        |extension: &str| match rapport_store::DatabaseUrl::parse(&settings.database_url) {
            Ok(rapport_store::DatabaseUrl::Sqlite(rapport_store::url::SqliteLocation::File(
                path,
            ))) => {
                let mut name = path.into_os_string();
                name.push(extension);
                Ok(Some(std::path::PathBuf::from(name)))
            }
            Ok(_) => Ok(None),
            Err(error) => Err(error),
        };
    Ok(AppConfig {
        models: settings.engagement_models()?,
        health_model: settings.health_model()?,
        checkpoint: beside_database(".engine")?,
        webhooks: settings.webhook_config(beside_database(".key")?)?,
        rate_limit: settings.rate_limit()?,
    })
}

/// The application over the configured store, which must exist; its engine
/// loads on first use.
pub fn open_app(settings: &Settings) -> anyhow::Result<Arc<App>> {
    let store = rapport_store::open_existing(&settings.database_url)
        .with_context(|| format!("cannot open the store {}", settings.database_url))?;
    Ok(App::new(store, app_config(settings)?))
}

/// The application over the configured store, created when missing: for the
/// commands meant to create one (`import`, `demo`, `serve`).
pub fn open_or_create_app(settings: &Settings) -> anyhow::Result<Arc<App>> {
    Ok(App::new(open_store(settings)?, app_config(settings)?))
}

/// The store the settings name.
pub fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn rapport_store::Store>> {
    rapport_store::open(&settings.database_url)
        .with_context(|| format!("cannot open the store {}", settings.database_url))
}

/// The application over `store` and an engine already loaded from it.
pub fn open_app_over(
    settings: &Settings,
    store: Arc<dyn rapport_store::Store>,
    loaded: rapport_store::LoadedEngine,
) -> anyhow::Result<Arc<App>> {
    Ok(App::from_loaded(store, app_config(settings)?, loaded))
}

/// The person a change is made as: the enabled Rapport user `--as` (or
/// RAPPORT_USER, or `user` in rapport.toml) names, with their role and scope.
pub fn actor(app: &App, settings: &Settings) -> anyhow::Result<rapport_core::access::Person> {
    let name = settings.user.as_deref().ok_or_else(|| {
        anyhow::anyhow!(
            "say which Rapport user makes this change: --as NAME (or RAPPORT_USER); \
             `rapport users list` shows them"
        )
    })?;
    app.person(name).with_context(|| format!("--as {name}"))
}

/// The person the command line reads as: the `--as` user when one is named
/// (their scope applies), else the operator, who sees every account.
pub fn reader(app: &App, settings: &Settings) -> anyhow::Result<rapport_core::access::Person> {
    match settings.user {
        Some(_) => actor(app, settings),
        None => Ok(rapport_core::access::Person::operator()),
    }
}

/// An application error, with a refused field named as the command line
/// spells its flag (`comparePeriod` → `--compare`, `expiresAt` → `--expires`).
pub fn flag_error(error: rapport_app::AppError) -> anyhow::Error {
    match error {
        rapport_app::AppError::Invalid { field, reason } => {
            let flag = match field.as_str() {
                "comparePeriod" => "compare",
                "expiresAt" => "expires",
                "asOf" => "as-of",
                "minPriority" => "min-priority",
                other => other,
            };
            anyhow::anyhow!("--{flag}: {reason}")
        }
        other => other.into(),
    }
}

/// Prints `value` as the API's JSON body.
pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    outln!(
        "{}",
        rapport_app::render::json(value, true).map_err(anyhow::Error::msg)?
    );
    Ok(())
}
