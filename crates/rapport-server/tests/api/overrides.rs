//! Manual score overrides over HTTP, end to end: a small generated portfolio
//! in SQLite, served on a loopback port; set, replace, read the audit trail,
//! remove, read a past moment, and the precise errors; the health report
//! showing an override beside the computed score; the daily snapshots the
//! server stores.

use std::time::Duration;

use rapport_core::Timestamp;
use rapport_core::access::Role;
use rapport_core::scoring::model::Model;
use reqwest::Method;
use serde_json::{Value, json};

use super::support::{Served, portfolio, send, send_as, serve_portfolio};

async fn serve_small_portfolio(model: Model) -> Served {
    serve_portfolio(3, 30, model).await
}

/// The instant one millisecond after an event's `at`: the first moment it counts.
fn just_after(at: &Value) -> String {
    let at = Timestamp::parse_rfc3339(at.as_str().unwrap()).unwrap();
    Timestamp::from_millis(at.millis() + 1).to_rfc3339()
}

/// Lets the server's clock move on, so consecutive events get distinct instants.
async fn tick() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn override_lifecycle_set_replace_read_remove_and_past_moments() {
    let served = serve_small_portfolio(Model::prd070()).await;
    let health = "/api/intelligence/overrides/acc-0002/health";
    // Each event's author is the person signed in.
    let dana = served.token_of("dana", Role::Leader);
    let lee = served.token_of("lee", Role::Leader);

    let (status, first) = send_as(
        &served,
        &dana,
        Method::PUT,
        health,
        Some(
            json!({"value": 72, "reason": "Exec sponsor confirmed renewal",
                    "expiresAt": "2099-12-31T00:00:00Z"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["override"]["value"], 72.0);
    assert_eq!(first["override"]["model"], "health");
    assert_eq!(first["override"]["expiresAt"], "2099-12-31T00:00:00Z");
    assert_eq!(first["event"]["action"], "set");
    assert_eq!(first["event"]["author"], "dana");
    assert_eq!(first["event"]["old"], Value::Null);
    assert_eq!(first["event"]["new"], 72.0);
    assert_eq!(first["override"]["setAt"], first["event"]["at"]);
    tick().await;

    let (status, second) = send_as(
        &served,
        &lee,
        Method::PUT,
        health,
        Some(json!({"value": 64.5, "reason": "Usage dropped after the re-org"})),
    )
    .await;
    assert_eq!(status, 200, "replacing answers 200: {second}");
    assert_eq!(
        (
            second["event"]["old"].as_f64(),
            second["event"]["new"].as_f64()
        ),
        (Some(72.0), Some(64.5))
    );
    assert_eq!(second["override"]["expiresAt"], Value::Null);
    let replaced_at = second["event"]["at"].clone();
    tick().await;

    // An engagement model's score is overridden on its own.
    let (status, engagement) = send(
        &served,
        Method::PUT,
        "/api/intelligence/overrides/acc-0002/prd070-engagement",
        Some(json!({"value": 55, "reason": "Calls are not logged yet"})),
    )
    .await;
    assert_eq!(status, 201, "{engagement}");
    tick().await;

    // Read: the overrides in force and the audit trail (who, when, old, new).
    let (status, read) = send(
        &served,
        Method::GET,
        "/api/intelligence/overrides/acc-0002",
        None,
    )
    .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["externalId"], "acc-0002");
    let in_force: Vec<(&str, f64)> = read["overrides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["model"].as_str().unwrap(), o["value"].as_f64().unwrap()))
        .collect();
    assert_eq!(in_force, [("health", 64.5), ("prd070-engagement", 55.0)]);
    let history = read["history"].as_array().unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[1]["author"], "lee");
    assert_eq!(history[1]["at"], replaced_at);
    assert_eq!(
        (history[1]["old"].as_f64(), history[1]["new"].as_f64()),
        (Some(72.0), Some(64.5))
    );
    assert_eq!(history[1]["reason"], "Usage dropped after the re-org");
    // The same account by its UUID reads the same trail.
    let (_, by_uuid) = send(
        &served,
        Method::GET,
        &format!(
            "/api/intelligence/overrides/{}?asOf={}",
            read["customerId"].as_str().unwrap(),
            just_after(&replaced_at)
        ),
        None,
    )
    .await;
    assert_eq!(by_uuid["overrides"][0]["value"], 64.5);

    // Remove: 204, then 404 (nothing in force), written to the trail.
    let (status, _) = send_as(
        &served,
        &dana,
        Method::DELETE,
        &format!("{health}?reason=Renewal%20signed"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, again) = send(&served, Method::DELETE, health, None).await;
    assert_eq!(status, 404, "{again}");
    assert!(
        again["error"]
            .as_str()
            .unwrap()
            .contains("no override of `health`"),
        "{again}"
    );
    tick().await;

    let (_, after) = send(
        &served,
        Method::GET,
        "/api/intelligence/overrides/acc-0002",
        None,
    )
    .await;
    let models: Vec<&str> = after["overrides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["model"].as_str().unwrap())
        .collect();
    assert_eq!(models, ["prd070-engagement"]);
    let removal = &after["history"][3];
    assert_eq!(removal["action"], "removed");
    assert_eq!(removal["author"], "dana");
    assert_eq!(removal["reason"], "Renewal signed");
    assert_eq!(
        (removal["old"].as_f64(), removal["new"].clone()),
        (Some(64.5), Value::Null)
    );

    // A moment between the replacement and the removal still reads 64.5, and
    // its trail stops there; the instant of the first set does not count it.
    let (status, between) = send(
        &served,
        Method::GET,
        &format!(
            "/api/intelligence/overrides/acc-0002?asOf={}",
            just_after(&replaced_at)
        ),
        None,
    )
    .await;
    assert_eq!(status, 200, "{between}");
    assert_eq!(between["overrides"][0]["model"], "health");
    assert_eq!(between["overrides"][0]["value"], 64.5);
    assert_eq!(between["history"].as_array().unwrap().len(), 2);
    let first_at = first["event"]["at"].as_str().unwrap();
    let (_, at_first) = send(
        &served,
        Method::GET,
        &format!("/api/intelligence/overrides/acc-0002?asOf={first_at}"),
        None,
    )
    .await;
    assert_eq!(at_first["overrides"], json!([]));
    assert_eq!(at_first["history"], json!([]));

    // Far ahead, the expiring override would have lapsed; but it was replaced,
    // so nothing shows as expired.
    let (_, later) = send(
        &served,
        Method::GET,
        "/api/intelligence/overrides/acc-0002?asOf=2100-01-01",
        None,
    )
    .await;
    assert_eq!(later["expired"], json!([]));
    // Another account has no overrides.
    let (status, other) = send(
        &served,
        Method::GET,
        "/api/intelligence/overrides/acc-0001",
        None,
    )
    .await;
    assert_eq!((status, other["history"].clone()), (200, json!([])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_shows_the_override_as_expired_and_ends_it() {
    let served = serve_small_portfolio(Model::prd070()).await;
    let (status, set) = send(
        &served,
        Method::PUT,
        "/api/intelligence/overrides/acc-0003/framework-engagement",
        Some(json!({"value": 40, "reason": "Champion left", "expiresAt": "2099-06-30"})),
    )
    .await;
    assert_eq!(status, 201, "{set}");
    let base = "/api/intelligence/overrides/acc-0003";
    let (_, before) = send(
        &served,
        Method::GET,
        &format!("{base}?asOf=2099-06-29T23:59:59.999Z"),
        None,
    )
    .await;
    assert_eq!(before["overrides"][0]["value"], 40.0);
    assert_eq!(before["expired"], json!([]));
    let (_, after) = send(
        &served,
        Method::GET,
        &format!("{base}?asOf=2099-06-30"),
        None,
    )
    .await;
    assert_eq!(after["overrides"], json!([]));
    assert_eq!(after["expired"][0]["value"], 40.0);
    assert_eq!(after["expired"][0]["expiresAt"], "2099-06-30T00:00:00Z");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_name_the_field_and_unknown_accounts_are_404() {
    let mut model = Model::prd070();
    model.name = "our-model".into();
    let served = serve_small_portfolio(model).await;
    let health = "/api/intelligence/overrides/acc-0001/health";
    let good = json!({"value": 72, "reason": "why"});
    for (body, parameter) in [
        (json!({"value": 120, "reason": "why"}), "value"),
        (json!({"value": -5, "reason": "why"}), "value"),
        (json!({"value": "high", "reason": "why"}), "value"),
        (json!({"reason": "why"}), "value"),
        (json!({"value": 72, "reason": ""}), "reason"),
        (
            json!({"value": 72, "reason": "why", "author": "  "}),
            "author",
        ),
        (
            json!({"value": 72, "reason": "why", "expiresAt": "someday"}),
            "expiresAt",
        ),
        (
            json!({"value": 72, "reason": "why", "expiresAt": "2020-01-01"}),
            "expiresAt",
        ),
        (json!({"value": 72, "reason": "why", "by": "x"}), "by"),
        (json!([72]), "body"),
    ] {
        let (status, answer) = send(&served, Method::PUT, health, Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["parameter"], parameter, "{body}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().starts_with(parameter),
            "{answer}"
        );
    }
    // Nothing refused was written.
    let (_, read) = send(
        &served,
        Method::GET,
        "/api/intelligence/overrides/acc-0001",
        None,
    )
    .await;
    assert_eq!(read["history"], json!([]));

    let (status, answer) = send(
        &served,
        Method::PUT,
        "/api/intelligence/overrides/acc-0001/nps",
        Some(good.clone()),
    )
    .await;
    assert_eq!(
        (status, answer["parameter"].clone()),
        (400, json!("model")),
        "{answer}"
    );
    // The server's configured engagement model may be overridden by its name.
    let (status, answer) = send(
        &served,
        Method::PUT,
        "/api/intelligence/overrides/acc-0001/our-model",
        Some(good.clone()),
    )
    .await;
    assert_eq!(status, 201, "{answer}");

    let (status, answer) = send(
        &served,
        Method::PUT,
        "/api/intelligence/overrides/no-such-account/health",
        Some(good.clone()),
    )
    .await;
    assert_eq!(status, 404, "{answer}");
    let (status, _) = send(
        &served,
        Method::GET,
        "/api/intelligence/overrides/no-such-account",
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, answer) = send(
        &served,
        Method::GET,
        "/api/intelligence/overrides/acc-0001?asOf=yesterday",
        None,
    )
    .await;
    assert_eq!((status, answer["parameter"].clone()), (400, json!("asOf")));
    let (status, answer) = send(
        &served,
        Method::DELETE,
        "/api/intelligence/overrides/acc-0001/our-model?author=dana",
        None,
    )
    .await;
    assert_eq!(
        (status, answer["parameter"].clone()),
        (400, json!("author")),
        "{answer}"
    );
    let (status, answer) = send(
        &served,
        Method::DELETE,
        "/api/intelligence/overrides/acc-0001/nps",
        None,
    )
    .await;
    assert_eq!(
        (status, answer["parameter"].clone()),
        (400, json!("model")),
        "{answer}"
    );
    let (status, _) = send(
        &served,
        Method::DELETE,
        "/api/intelligence/overrides/no-such-account/health",
        None,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_report_shows_an_override_beside_the_computed_score() {
    let served = serve_small_portfolio(Model::prd070()).await;
    let (status, before) = send(
        &served,
        Method::GET,
        "/api/intelligence/health/acc-0002",
        None,
    )
    .await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["model"], "health");
    assert_eq!(before["scoreOverride"]["override"], Value::Null);
    assert_eq!(before["scoreOverride"]["effective"], before["score"]);
    let (status, set) = send(
        &served,
        Method::PUT,
        "/api/intelligence/overrides/acc-0002/health",
        Some(json!({"value": 72, "reason": "Renewal signed"})),
    )
    .await;
    assert_eq!(status, 201, "{set}");
    let after = format!(
        "/api/intelligence/health/acc-0002?asOf={}",
        just_after(&set["event"]["at"])
    );
    let (status, report) = send(&served, Method::GET, &after, None).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["scoreOverride"]["override"]["value"], 72.0);
    assert_eq!(report["scoreOverride"]["effective"], 72.0);
    assert_eq!(report["scoreOverride"]["computed"], report["score"]);
    assert_ne!(
        report["score"],
        json!(72.0),
        "the computed score is never overwritten"
    );
    assert_eq!(report["overrideHistory"][0]["author"], "test admin");
    let (status, error) = send(
        &served,
        Method::GET,
        "/api/intelligence/health/acc-0002?asOf=someday",
        None,
    )
    .await;
    assert_eq!(
        (status, error["parameter"].as_str()),
        (400, Some("asOf")),
        "{error}"
    );
    let (status, _) = send(
        &served,
        Method::GET,
        "/api/intelligence/health/nobody",
        None,
    )
    .await;
    assert_eq!(status, 404);
}

#[test]
fn the_server_stores_a_days_snapshots_once() {
    let (_folder, url, app) = portfolio(3, 30, Model::prd070());
    let now = super::support::import_instant();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 30).unwrap();
    assert_eq!(
        app.take_snapshots(day, day, false, now).unwrap().written,
        2,
        "engagement and health"
    );
    assert_eq!(
        app.take_snapshots(day, day, false, now).unwrap().written,
        0,
        "already stored"
    );
    let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
    assert!(
        app.take_snapshots(today, today, false, now).is_err(),
        "the day is not over"
    );
    let reopened = rapport_store::open(&url).unwrap();
    let health = reopened.snapshots("health", day, day).unwrap();
    assert_eq!(health.len(), 1);
    assert_eq!(health[0].scores.len(), 3);
    assert_eq!(health[0].components.len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engagement_breakdown_shows_an_override_of_its_model_beside_the_score() {
    let served = serve_small_portfolio(Model::prd070()).await;
    let (status, set) = send(
        &served,
        Method::PUT,
        "/api/intelligence/overrides/acc-0002/prd070-engagement",
        Some(json!({"value": 40, "reason": "Champion left last week"})),
    )
    .await;
    assert_eq!(status, 201, "{set}");
    let after = just_after(&set["event"]["at"]);
    let path = format!("/api/intelligence/engagement/acc-0002?asOf={after}");
    let (status, breakdown) = send(&served, Method::GET, &path, None).await;
    assert_eq!(status, 200, "{breakdown}");
    assert_eq!(breakdown["scoreOverride"]["override"]["value"], 40.0);
    assert_eq!(breakdown["scoreOverride"]["computed"], breakdown["overall"]);
    assert_eq!(breakdown["scoreOverride"]["effective"], 40.0);
    // Another model's breakdown is not overridden.
    let (_, framework) = send(
        &served,
        Method::GET,
        &format!("{path}&model=framework-engagement"),
        None,
    )
    .await;
    assert_eq!(framework["scoreOverride"]["override"], Value::Null);
    assert_eq!(
        framework["scoreOverride"]["effective"],
        framework["overall"]
    );
}
