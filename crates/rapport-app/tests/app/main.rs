//! The application layer's own checks: the engine checkpoint (a restart from
//! it plus the changes after it scores exactly as a load from the store), and
//! following the change log.

use std::sync::Arc;

use rapport_app::reports::EngagementRequest;
use rapport_app::{App, AppConfig, LoadedFrom};
use rapport_core::engagement::Compare;
use rapport_core::engine::Window;
use rapport_core::{Activity, ActivityDetail, ExternalId, Period, Timestamp, UserId};
use rapport_demo::DemoConfig;
use rapport_ingest::{NoProgress, import_dir};

fn portfolio(folder: &std::path::Path) -> String {
    let data = folder.join("data");
    rapport_demo::write_portfolio(
        &DemoConfig {
            accounts: 6,
            days: 60,
            seed: 11,
            end: chrono::NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
        },
        &data,
    )
    .unwrap();
    let url = format!("sqlite://{}", folder.join("rapport.db").display());
    let store = rapport_store::open(&url).unwrap();
    let reports = import_dir(
        store.as_ref(),
        &data,
        instant("2026-01-31T00:00:00Z"),
        &NoProgress,
    );
    assert!(reports.iter().all(|report| report.rejected.is_empty()));
    url
}

fn instant(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

fn app(url: &str, checkpoint: Option<std::path::PathBuf>) -> Arc<App> {
    App::new(
        rapport_store::open(url).unwrap(),
        AppConfig {
            checkpoint,
            ..AppConfig::shipped()
        },
    )
}

fn breakdowns(app: &App) -> Vec<String> {
    let request = EngagementRequest {
        window: Window::new(instant("2026-01-31T00:00:00Z"), Period::DEFAULT),
        compare: Compare::Previous,
        model: None,
    };
    app.accounts()
        .unwrap()
        .iter()
        .map(|account| {
            serde_json::to_string(
                &app.engagement(account.external_id.as_str(), &request)
                    .unwrap(),
            )
            .unwrap()
        })
        .collect()
}

#[test]
fn a_restart_from_the_checkpoint_and_the_changes_after_it_scores_as_a_full_load() {
    let folder = tempfile::tempdir().unwrap();
    let url = portfolio(folder.path());
    let checkpoint = folder.path().join("rapport.db.engine");
    let first = app(&url, Some(checkpoint.clone()));
    first.load().unwrap();
    assert_eq!(first.loaded_from(), Some(LoadedFrom::Store));
    assert!(first.write_checkpoint().unwrap().is_some());
    assert_eq!(first.write_checkpoint().unwrap(), None, "already current");

    // Writes after the checkpoint, by another writer.
    let other = rapport_store::open(&url).unwrap();
    let account = first.accounts().unwrap()[0].external_id.clone();
    let logins: Vec<Activity> = (0..4)
        .map(|index| Activity {
            source_id: Some(format!("after-checkpoint-{index}")),
            account: ExternalId::parse(account.as_str()).unwrap(),
            at: Timestamp::from_millis(instant("2026-01-25T10:00:00Z").millis() + index * 60_000),
            detail: ActivityDetail::Login {
                user: UserId::parse("late-user").unwrap(),
            },
        })
        .collect();
    other.insert_activities(&logins).unwrap();

    let restarted = app(&url, Some(checkpoint.clone()));
    restarted.load().unwrap();
    assert_eq!(restarted.loaded_from(), Some(LoadedFrom::Checkpoint));
    restarted.catch_up().unwrap();
    let fresh = app(&url, None);
    assert_eq!(breakdowns(&restarted), breakdowns(&fresh));

    // A checkpoint of another store is never read.
    let elsewhere = tempfile::tempdir().unwrap();
    let other_url = portfolio(elsewhere.path());
    let stranger = app(&other_url, Some(checkpoint));
    stranger.load().unwrap();
    assert_eq!(stranger.loaded_from(), Some(LoadedFrom::Store));
}

#[test]
fn a_corrupt_checkpoint_falls_back_to_the_store() {
    let folder = tempfile::tempdir().unwrap();
    let url = portfolio(folder.path());
    let checkpoint = folder.path().join("rapport.db.engine");
    std::fs::write(&checkpoint, b"RAPPORT ENGINE CHECKPOINT\nnot really").unwrap();
    let app = app(&url, Some(checkpoint));
    app.load().unwrap();
    assert_eq!(app.loaded_from(), Some(LoadedFrom::Store));
    assert_eq!(app.accounts().unwrap().len(), 6);
}

mod rendering;
