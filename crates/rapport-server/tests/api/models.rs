//! Model settings (issue 23): an admin previews an edit over every account
//! and saves it as a new version; from then on every surface scores with it
//! (this server at once, another process on the same store when it follows
//! the log), the version is kept and audited, a bad setting is a 400 naming
//! its key, and nobody but an admin may do either.

use std::sync::Arc;

use rapport_app::{App, AppConfig};
use rapport_core::access::Role;
use rapport_core::scoring::model::{EngagementModels, Model};
use reqwest::Method;
use serde_json::json;

use crate::support::{get, import_instant, send, send_as, serve_portfolio};

const AS_OF: &str = "2026-01-31";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_previews_then_saves_a_model_version_every_surface_uses() {
    let served = serve_portfolio(8, 60, Model::prd070()).await;
    let account = served.app.accounts().unwrap()[0].clone();
    let path = format!("/api/intelligence/engagement/{}?asOf={AS_OF}", account.id);
    let (_, before) = get(&served, &path).await;
    let overall = before["overall"].as_f64().unwrap();

    // Bands moved so that every score with data is "disengaged" but for 100.
    let edit = json!({
        "bands": {"highly_engaged": 99.99, "moderately_engaged": 99.98, "low": 99.97},
        "note": "stricter bands"
    });
    let (status, preview) = send(
        &served,
        Method::POST,
        "/api/models/engagement/preview",
        Some(edit.clone()),
    )
    .await;
    assert_eq!(status, 200, "{preview}");
    let accounts = preview["accounts"].as_u64().unwrap();
    assert!(accounts > 0);
    let rows = preview["rows"].as_array().unwrap();
    assert_eq!(rows.len() as u64, accounts);
    // Scores do not move with bands; bands do.
    for row in rows {
        assert_eq!(row["current"], row["proposed"], "{row}");
    }
    let moved = rows
        .iter()
        .filter(|row| row["currentBand"] != row["proposedBand"])
        .count();
    assert_eq!(preview["bandChanges"].as_u64().unwrap() as usize, moved);
    // Nothing was saved by the preview.
    let (_, again) = get(&served, &path).await;
    assert_eq!(again["band"], before["band"]);

    let (status, saved) = send(
        &served,
        Method::POST,
        "/api/models/engagement/versions",
        Some(edit),
    )
    .await;
    assert_eq!(status, 201, "{saved}");
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["versions"][0]["note"], "stricter bands");
    // Naming the model is asking for the one in use, saved version and all
    // (asked first: the breakdown it computes is the one the cache keeps).
    let (_, named) = get(&served, &format!("{path}&model=prd070-engagement")).await;
    let (_, after) = get(&served, &path).await;
    assert_eq!(named["band"], after["band"], "{named}");
    assert_eq!(
        after["overall"].as_f64().unwrap(),
        overall,
        "the score is the same"
    );
    if overall < 99.97 {
        assert_eq!(after["band"], "disengaged", "{after}");
    }
    // The portfolio and the accounts table use it too.
    let (_, table) = get(
        &served,
        &format!("/api/portfolio/accounts?asOf={AS_OF}&band=highly_engaged"),
    )
    .await;
    for row in table["rows"].as_array().unwrap() {
        assert!(row["engagement"].as_f64().unwrap() >= 99.99, "{row}");
    }
    // Audited, with the whole model after.
    let (_, audit) = get(&served, "/api/audit?action=model_settings.change").await;
    let entry = &audit["entries"][0];
    assert_eq!(entry["subjectKind"], "model_settings");
    assert!(
        entry["after"]["toml"].as_str().unwrap().contains("99.99"),
        "{entry}"
    );

    // Another process on the same store switches to it when it follows.
    let other = App::new(
        rapport_store::open(&served.url).unwrap(),
        AppConfig {
            models: EngagementModels::single(Model::prd070()),
            health_model: Model::health(),
            checkpoint: None,
            webhooks: Default::default(),
            rate_limit: Default::default(),
        },
    );
    other.load().unwrap();
    assert_eq!(other.models().versions.get("prd070-engagement"), Some(&1));
    let second = json!({"factors": {"email_response_rate": {"weight": 25}}});
    send(
        &served,
        Method::POST,
        "/api/models/engagement/versions",
        Some(second),
    )
    .await;
    other.follow(import_instant()).unwrap();
    assert_eq!(other.models().versions.get("prd070-engagement"), Some(&2));
    let weight = other
        .models()
        .engagement
        .default
        .factors
        .iter()
        .find(|factor| factor.name == "Email Response Rate")
        .unwrap()
        .weight;
    assert_eq!(weight, 25.0);
    drop(Arc::clone(&other));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_setting_is_refused_by_its_key_and_only_an_admin_may_change_models() {
    let served = serve_portfolio(3, 20, Model::prd070()).await;
    for (edit, parameter) in [
        (json!({"factors": {"nps": {"weight": 5}}}), "factors.nps"),
        (
            json!({"factors": {"email_response_rate": {"weight": -2}}}),
            "factors.email_response_rate.weight",
        ),
        (json!({"bands": {"low": 95}}), "bands"),
        (json!({"colour": "blue"}), "colour"),
    ] {
        for route in ["preview", "versions"] {
            let (status, body) = send(
                &served,
                Method::POST,
                &format!("/api/models/engagement/{route}"),
                Some(edit.clone()),
            )
            .await;
            assert_eq!(status, 400, "{edit} {route}: {body}");
            assert!(
                body["parameter"].as_str().unwrap().starts_with(parameter),
                "{edit}: {body}"
            );
        }
    }
    let (status, body) = send(
        &served,
        Method::POST,
        "/api/models/vibes/preview",
        Some(json!({})),
    )
    .await;
    assert_eq!((status, body["parameter"].as_str()), (400, Some("model")));
    // Nothing was saved.
    let (_, models) = get(&served, "/api/models").await;
    assert!(
        models[0]["versions"].as_array().unwrap().is_empty(),
        "{models}"
    );
    assert_eq!(models[1]["role"], "health");
    for role in [Role::Viewer, Role::Csm, Role::Leader] {
        let token = served.token_of(&format!("{role:?} person"), role);
        let (status, _) = send_as(
            &served,
            &token,
            Method::POST,
            "/api/models/engagement/versions",
            Some(json!({})),
        )
        .await;
        assert_eq!(status, 403, "{role:?}");
    }
}
