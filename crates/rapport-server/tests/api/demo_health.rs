//! The demo portfolio shows what the health report can say: every health band
//! and every playbook triggered on several accounts (issue 5's "done means").

use rapport_core::health::health_report;
use rapport_core::scoring::model::Model;
use rapport_core::time::Timestamp;
use rapport_demo::DemoConfig;
use rapport_ingest::{NoProgress, import_dir};

#[test]
fn the_demo_shows_every_health_band_and_several_playbooks() {
    let folder = tempfile::tempdir().unwrap();
    let data = folder.path().join("data");
    let config = DemoConfig {
        accounts: 80,
        days: 120,
        seed: 42,
        end: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    };
    rapport_demo::write_portfolio(&config, &data).unwrap();
    let url = format!("sqlite://{}", folder.path().join("rapport.db").display());
    let store = rapport_store::open(&url).unwrap();
    let as_of = Timestamp::parse_rfc3339("2026-11-23T00:00:00Z").unwrap();
    let reports = import_dir(store.as_ref(), &data, as_of, &NoProgress);
    assert!(reports.iter().all(|report| report.rejected.is_empty()));
    let engine = rapport_store::load_engine(store.as_ref()).unwrap().state;
    let model = Model::health();
    let mut bands = std::collections::BTreeMap::<String, usize>::new();
    let mut playbooks = std::collections::BTreeMap::<&str, usize>::new();
    for account in engine.accounts() {
        let report = health_report(&model, &engine, account, as_of).unwrap();
        *bands.entry(report.band.unwrap_or_default()).or_default() += 1;
        for playbook in &report.playbooks {
            *playbooks.entry(playbook.key).or_default() += 1;
        }
    }
    for band in ["healthy", "neutral", "at_risk"] {
        assert!(
            bands.get(band).copied().unwrap_or(0) >= 3,
            "{band}: {bands:?}"
        );
    }
    for playbook in ["declining_usage", "lost_champion", "poor_sentiment"] {
        assert!(
            playbooks.get(playbook).copied().unwrap_or(0) >= 2,
            "{playbook}: {playbooks:?}"
        );
    }
}
