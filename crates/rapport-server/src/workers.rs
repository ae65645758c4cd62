//! The background loops `rapport serve` runs beside the routes: following the
//! store's change cursor (so writes from any process show within a second),
//! the hourly alert evaluation and daily snapshots, and alert delivery.

use std::sync::Arc;
use std::time::Duration;

use rapport_app::App;

use crate::{AppState, now};

/// How often the running server looks for writes made by other processes.
pub const FOLLOW_EVERY: Duration = Duration::from_millis(200);

/// How often the alerts of accounts whose data changed are evaluated.
pub const EVALUATE_EVERY: Duration = Duration::from_secs(10);

/// Applies every committed change to the engine, several times a second; the
/// alerts of the accounts whose data changed are evaluated every
/// [`EVALUATE_EVERY`].
pub async fn follow(app: AppState) {
    let evaluating = Arc::clone(&app);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(EVALUATE_EVERY).await;
            let app = Arc::clone(&evaluating);
            match tokio::task::spawn_blocking(move || app.evaluate_pending_alerts(now())).await {
                Ok(Ok(run)) if run.opened + run.cleared > 0 => tracing::info!(
                    "alerts of changed accounts: {} opened, {} cleared",
                    run.opened,
                    run.cleared
                ),
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::warn!("alert evaluation of changed accounts: {error}"),
                Err(error) => tracing::warn!("alert evaluation task failed: {error}"),
            }
        }
    });
    loop {
        let following = Arc::clone(&app);
        match tokio::task::spawn_blocking(move || following.catch_up()).await {
            Ok(Ok(followed)) if followed.changes > 0 => tracing::debug!(
                "followed {} changes ({} activities, {} accounts) to cursor {}",
                followed.changes,
                followed.activities,
                followed.touched.len(),
                followed.cursor
            ),
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::warn!("following the store's changes: {error}"),
            Err(error) => tracing::warn!("the follower task failed: {error}"),
        }
        tokio::time::sleep(FOLLOW_EVERY).await;
    }
}

/// How often a pass of alert delivery starts.
pub const DELIVER_EVERY: Duration = Duration::from_secs(5);

/// At most this many delivery passes run at once.
const DELIVERY_PASSES: usize = 4;

/// Every 5 seconds: starts a pass that sends the alert deliveries that are
/// due, without waiting for the passes before it to end: a pass leaves the
/// webhooks another is still sending to alone, so a receiver that takes its
/// full timeout holds up only its own deliveries.
pub async fn deliver(app: AppState) {
    let mut passes: tokio::task::JoinSet<
        rapport_app::AppResult<rapport_app::webhooks::DeliveryRun>,
    > = tokio::task::JoinSet::new();
    loop {
        while let Some(ended) = passes.try_join_next() {
            match ended {
                Ok(Ok(run)) if run.delivered + run.failed + run.dropped > 0 => tracing::info!(
                    "alert deliveries: {} delivered, {} failed (to be retried), {} waiting for their receiver, {} dropped",
                    run.delivered,
                    run.failed,
                    run.postponed,
                    run.dropped
                ),
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::warn!("alert delivery: {error}"),
                Err(error) => tracing::warn!("alert delivery task failed: {error}"),
            }
        }
        if passes.len() < DELIVERY_PASSES {
            let app = Arc::clone(&app);
            passes.spawn(async move { app.deliver_due(now()).await });
        }
        tokio::time::sleep(DELIVER_EVERY).await;
    }
}

/// Writes the engine checkpoint if it is behind, logging what happened.
pub fn checkpoint(app: &App) {
    let started = std::time::Instant::now();
    match app.write_checkpoint() {
        Ok(Some(cursor)) => tracing::info!(
            "engine checkpoint written at change {cursor} in {:.1} s",
            started.elapsed().as_secs_f64()
        ),
        Ok(None) => {}
        Err(error) => tracing::warn!("engine checkpoint: {error}"),
    }
}

/// Every hour: evaluates every account's alert rules, stores yesterday's
/// daily score snapshots if they are missing, and brings the engine
/// checkpoint up to date.
pub async fn hourly(app: AppState) {
    loop {
        let now = now();
        let evaluating = Arc::clone(&app);
        match tokio::task::spawn_blocking(move || evaluating.evaluate_alerts(None, now)).await {
            Ok(Ok(run)) => tracing::info!(
                "alerts evaluated for {} accounts: {} opened, {} still firing, {} cleared",
                run.accounts,
                run.opened,
                run.seen,
                run.cleared
            ),
            Ok(Err(error)) => tracing::warn!("alert evaluation: {error}"),
            Err(error) => tracing::warn!("alert evaluation task failed: {error}"),
        }
        if let Some(yesterday) = now.date().pred_opt() {
            let snapshotting = Arc::clone(&app);
            match tokio::task::spawn_blocking(move || {
                snapshotting.take_snapshots(yesterday, yesterday, false, now)
            })
            .await
            {
                Ok(Ok(run)) if run.written > 0 => {
                    tracing::info!(
                        "stored {} daily score snapshots of {yesterday}",
                        run.written
                    );
                }
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::warn!("daily score snapshots of {yesterday}: {error}"),
                Err(error) => tracing::warn!("daily score snapshot task failed: {error}"),
            }
        }
        let checkpointing = Arc::clone(&app);
        let _ = tokio::task::spawn_blocking(move || checkpoint(&checkpointing)).await;
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}
