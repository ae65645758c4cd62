//! `rapport serve` and `rapport demo`.

use std::process::ExitCode;

use anyhow::Context;
use rapport_demo::DemoConfig;
use rapport_ingest::import_dir;

use super::import::{TerminalProgress, print_reports};
use super::open_store;
use crate::settings::Settings;

pub fn run(settings: &Settings, addr: Option<&str>) -> anyhow::Result<ExitCode> {
    let store = open_store(settings)?;
    serve_store(settings, store, addr.unwrap_or(&settings.addr))
}

pub fn demo(
    settings: &Settings,
    addr: Option<&str>,
    accounts: usize,
    days: u32,
    seed: u64,
) -> anyhow::Result<ExitCode> {
    let mut store = open_store(settings)?;
    if store.counts()?.accounts == 0 {
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
        let reports = import_dir(
            store.as_mut(),
            folder.path(),
            super::now(),
            &TerminalProgress::new(),
        );
        if print_reports(&reports, store.as_ref()) != ExitCode::SUCCESS {
            anyhow::bail!("the generated demo portfolio did not import cleanly");
        }
    } else {
        eprintln!(
            "{} already holds data; serving it as it is",
            settings.database_url
        );
    }
    serve_store(settings, store, addr.unwrap_or(&settings.addr))
}

/// Every 5 seconds: sends the alert deliveries that are due.
async fn deliver(state: std::sync::Arc<rapport_server::AppState>) {
    loop {
        match state.deliver_due(super::now()).await {
            Ok(run) if run.delivered + run.failed > 0 => tracing::info!(
                "alert deliveries: {} delivered, {} failed (to be retried)",
                run.delivered,
                run.failed
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!("alert delivery: {error:?}"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
}

/// Every hour: evaluates every account's alert rules, and stores yesterday's
/// daily score snapshots if they are missing.
async fn hourly(state: std::sync::Arc<rapport_server::AppState>) {
    loop {
        let now = super::now();
        let alerts = std::sync::Arc::clone(&state);
        match tokio::task::spawn_blocking(move || alerts.evaluate_alerts(None, now)).await {
            Ok(Ok(run)) => tracing::info!(
                "alerts evaluated for {} accounts: {} opened, {} still firing, {} cleared",
                run.accounts,
                run.opened,
                run.seen,
                run.cleared
            ),
            Ok(Err(error)) => tracing::warn!("alert evaluation: {error:?}"),
            Err(error) => tracing::warn!("alert evaluation task failed: {error}"),
        }
        if let Some(yesterday) = now.date().pred_opt() {
            let state = std::sync::Arc::clone(&state);
            match tokio::task::spawn_blocking(move || state.ensure_snapshots(yesterday, now)).await
            {
                Ok(Ok(written)) if written > 0 => {
                    tracing::info!("stored {written} daily score snapshots of {yesterday}");
                }
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::warn!("daily score snapshots of {yesterday}: {error:?}"),
                Err(error) => tracing::warn!("daily score snapshot task failed: {error}"),
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    }
}

fn serve_store(
    settings: &Settings,
    store: Box<dyn rapport_store::Store>,
    addr: &str,
) -> anyhow::Result<ExitCode> {
    let models = settings.engagement_models()?;
    let health_model = settings.health_model()?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let loading = std::time::Instant::now();
    let engine = rapport_store::load_engine(store.as_ref())
        .context("cannot load the engine from the store")?;
    let state = rapport_server::AppState::with_models(store, engine, models, health_model);
    runtime.spawn(hourly(std::sync::Arc::clone(&state)));
    runtime.spawn(deliver(std::sync::Arc::clone(&state)));
    tracing::info!("engine loaded in {:.1} s", loading.elapsed().as_secs_f64());
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener
            .local_addr()
            .context("cannot read the listening address")?;
        println!("Rapport is serving on http://{local}/ (Ctrl-C to stop)");
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        rapport_server::serve(listener, state, shutdown)
            .await
            .context("the server stopped with an error")?;
        Ok(ExitCode::SUCCESS)
    })
}
