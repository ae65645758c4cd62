//! `rapport serve` and `rapport demo`.

use std::process::ExitCode;

use std::sync::Arc;

use anyhow::Context;
use rapport_app::App;
use rapport_demo::DemoConfig;
use rapport_server::workers;

use super::import::{TerminalProgress, print_reports};
use super::open_or_create_app;
use crate::settings::Settings;

pub fn run(settings: &Settings, addr: Option<&str>) -> anyhow::Result<ExitCode> {
    let app = open_or_create_app(settings)?;
    configure_tracking(&app, settings)?;
    serve_app(app, addr.unwrap_or(&settings.addr))
}

/// The tracking API's settings: the event mapping and the de-duplication window.
fn configure_tracking(app: &App, settings: &Settings) -> anyhow::Result<()> {
    app.set_tracking_mapping(settings.tracking_mapping()?);
    app.set_tracking_dedupe_days(settings.tracking_dedupe_days()?);
    Ok(())
}

pub fn demo(
    settings: &Settings,
    addr: Option<&str>,
    accounts: usize,
    days: u32,
    seed: u64,
) -> anyhow::Result<ExitCode> {
    let app = open_or_create_app(settings)?;
    configure_tracking(&app, settings)?;
    if app.store().counts()?.accounts == 0 {
        let folder =
            tempfile::tempdir().context("cannot create a temporary folder for the demo files")?;
        let config = DemoConfig {
            accounts,
            days,
            seed,
            end: super::generate::today(),
        };
        eprintln!(
            "generating a demo portfolio of {accounts} accounts over {days} days into {}",
            settings.database_url
        );
        rapport_demo::write_portfolio(&config, folder.path())
            .context("cannot generate the demo portfolio")?;
        let reports = app.import_dir(folder.path(), super::now(), &TerminalProgress::new())?;
        if print_reports(&reports, app.store())? != ExitCode::SUCCESS {
            anyhow::bail!("the generated demo portfolio did not import cleanly");
        }
        // The folder above is temporary; the samples come with `generate`.
        eprintln!(
            "sample files of other sources (calendar, mail, tickets, CRM, tracking API) to import \
             into this demo: `rapport generate --out DIR` writes them into DIR/samples, with a README.md"
        );
    } else {
        eprintln!(
            "{} already holds data; serving it as it is",
            settings.database_url
        );
    }
    serve_app(app, addr.unwrap_or(&settings.addr))
}

/// Loads the engine, starts the background loops (following the change
/// cursor, hourly alerts and snapshots, alert delivery) and serves.
fn serve_app(app: Arc<App>, addr: &str) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let loading = std::time::Instant::now();
    app.load()
        .context("cannot load the engine from the store")?;
    tracing::info!(
        "engine loaded from the {} in {:.1} s",
        match app.loaded_from() {
            Some(rapport_app::LoadedFrom::Checkpoint) => "checkpoint and the changes after it",
            _ => "store",
        },
        loading.elapsed().as_secs_f64()
    );
    // A checkpoint of the engine as loaded, so the next start reads one file.
    let checkpointing = Arc::clone(&app);
    runtime.spawn_blocking(move || workers::checkpoint(&checkpointing));
    runtime.spawn(workers::follow(Arc::clone(&app)));
    runtime.spawn(workers::hourly(Arc::clone(&app)));
    runtime.spawn(workers::deliver(Arc::clone(&app)));
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener
            .local_addr()
            .context("cannot read the listening address")?;
        if !local.ip().is_loopback() {
            tracing::warn!(
                "serving on {local}, beyond this machine, without TLS: put a TLS proxy in front \
                 (docs/security.md) or tokens and session cookies cross the network in clear"
            );
        }
        // Safe by default: a store without users gets an admin and a
        // one-time link to sign in as them.
        if let Some(first) = app
            .ensure_first_admin(super::now())
            .context("cannot make the first admin")?
        {
            let host = if local.ip().is_unspecified() {
                format!("127.0.0.1:{}", local.port())
            } else {
                local.to_string()
            };
            outln!(
                "No users yet: made the admin `{}`. Sign in once, within {} hours, at\n  {}",
                first.user.name,
                rapport_app::identity::SIGN_IN_LINK_HOURS,
                super::users::sign_in_link(&format!("http://{host}"), &first.sign_in_token)
            );
        }
        outln!("Rapport is serving on http://{local}/ (Ctrl-C to stop)");
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        rapport_server::serve(listener, Arc::clone(&app), shutdown)
            .await
            .context("the server stopped with an error")?;
        let stopping = Arc::clone(&app);
        let _ = tokio::task::spawn_blocking(move || workers::checkpoint(&stopping)).await;
        Ok(ExitCode::SUCCESS)
    })
}
