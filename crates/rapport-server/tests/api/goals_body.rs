//! Goal and metric bodies as PRD-069 writes them (issue 20, item 9): a metric's
//! `current` and `measuredAt` are its first measurement, not silently dropped;
//! a field the body does not know is a 400 naming its path, at every level of
//! every goal and metric body; numbers beyond plausible magnitudes are refused.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Served, get, send, serve_portfolio};
use rapport_core::scoring::model::Model;

const BASE: &str = "/api/intelligence/success-metrics/acc-0002";

async fn serve_demo() -> Served {
    serve_portfolio(4, 60, Model::prd070()).await
}

/// Tickets per month, 120 → 60, and an adoption metric 20 → 80, as PRD-069's
/// `SuccessMetric` carries them: with `current` (and, for one, `measuredAt`).
fn goal_with_current_values() -> Value {
    json!({
        "title": "Reduce support tickets",
        "startDate": "2025-07-01",
        "targetDate": "2026-06-30",
        "metrics": [
            {"category": "operational", "name": "Tickets per month", "baseline": 120,
             "target": 60, "unit": "tickets", "direction": "lower_is_better",
             "current": 80, "measuredAt": "2026-01-01T00:00:00Z"},
            {"category": "adoption", "name": "Active users", "baseline": 20,
             "target": 80, "unit": "users", "direction": "higher_is_better",
             "current": 50}
        ]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metrics_current_value_is_its_first_measurement() {
    let served = serve_demo().await;
    let (status, created) = send(
        &served,
        Method::POST,
        &format!("{BASE}/goals"),
        Some(goal_with_current_values()),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let tickets = &created["metrics"][0]["history"];
    assert_eq!(
        tickets,
        &json!([{"at": "2026-01-01T00:00:00Z", "value": 80.0}])
    );
    // No `measuredAt`: measured when the request was applied.
    let users = created["metrics"][1]["history"].as_array().unwrap();
    assert_eq!(users.len(), 1, "{created}");
    assert_eq!(users[0]["value"], 50.0);

    let (status, report) = get(&served, BASE).await;
    assert_eq!(status, 200, "{report}");
    let goal = &report["goals"][0];
    assert_eq!(goal["message"], Value::Null, "{goal}");
    assert!(
        !report["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|message| message.as_str().unwrap().contains("missing")),
        "{report}"
    );
    let tickets = &goal["metrics"][0];
    assert_eq!(tickets["missing"], false, "{tickets}");
    assert_eq!(tickets["current"], 80.0);
    assert_eq!(tickets["currentAt"], "2026-01-01T00:00:00Z");
    // 100 × (80 − 120) ÷ (60 − 120)
    assert!((tickets["progress"].as_f64().unwrap() - 200.0 / 3.0).abs() < 1e-9);
    let users = &goal["metrics"][1];
    assert_eq!(users["missing"], false, "{users}");
    assert_eq!(users["current"], 50.0);
    // 100 × (50 − 20) ÷ (80 − 20)
    assert!((users["progress"].as_f64().unwrap() - 50.0).abs() < 1e-9);
    assert!((goal["progress"].as_f64().unwrap() - (200.0 / 3.0 + 50.0) / 2.0).abs() < 1e-9);

    // Replacing the goal with a new current value keeps the history and adds
    // the value; a metric's own body does the same.
    let mut replaced = created.clone();
    replaced["metrics"][0]["history"] = json!([]);
    replaced["metrics"][0]["current"] = 70.into();
    replaced["metrics"][0]["measuredAt"] = "2026-01-10T00:00:00Z".into();
    let (status, stored) = send(
        &served,
        Method::PUT,
        &format!("{BASE}/goals/goal-1"),
        Some(replaced),
    )
    .await;
    assert_eq!(status, 200, "{stored}");
    let values: Vec<f64> = stored["metrics"][0]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|measurement| measurement["value"].as_f64().unwrap())
        .collect();
    assert_eq!(values, [80.0, 70.0]);
    let mut metric = created["metrics"][1].clone();
    metric.as_object_mut().unwrap().remove("history");
    metric["current"] = 65.into();
    metric["measuredAt"] = "2026-01-20T00:00:00Z".into();
    let (status, stored) = send(
        &served,
        Method::PUT,
        &format!("{BASE}/metrics/goal-1-m2"),
        Some(metric),
    )
    .await;
    assert_eq!(status, 200, "{stored}");
    let values: Vec<f64> = stored["metrics"][1]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|measurement| measurement["value"].as_f64().unwrap())
        .collect();
    assert_eq!(values, [65.0, 50.0]);
}

/// Every refused body: a 400 whose `parameter` is the field's path; nothing stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_fields_and_implausible_numbers_are_refused_naming_the_field() {
    let served = serve_demo().await;
    let goals = format!("{BASE}/goals");
    let (status, created) = send(
        &served,
        Method::POST,
        &goals,
        Some(goal_with_current_values()),
    )
    .await;
    assert_eq!(status, 201, "{created}");

    let mut bodies: Vec<(Value, &str, &str)> = Vec::new();
    let mut edit = |change: &dyn Fn(&mut Value), field: &'static str, reason: &'static str| {
        let mut body = goal_with_current_values();
        change(&mut body);
        bodies.push((body, field, reason));
    };
    edit(
        &|body| body["metrics"][0]["curent"] = 3.into(),
        "metrics[0].curent",
        "unknown field",
    );
    edit(&|body| body["titel"] = "x".into(), "titel", "unknown field");
    edit(
        &|body| {
            body["metrics"][1]["history"] =
                json!([{"at": "2026-01-01T00:00:00Z", "value": 1, "vaule": 2}])
        },
        "metrics[1].history[0].vaule",
        "unknown field",
    );
    edit(
        &|body| body["valueDrivers"] = json!([{"kind": "cost_reduction", "amountPerYear": 1000, "confidence": "high", "lable": "x"}]),
        "valueDrivers[0].lable",
        "unknown field",
    );
    edit(
        &|body| body["metrics"][0]["progressPercent"] = 50.into(),
        "metrics[0].progressPercent",
        "computed",
    );
    edit(
        &|body| {
            body["metrics"][1]
                .as_object_mut()
                .unwrap()
                .remove("current");
            body["metrics"][1]["measuredAt"] = "2026-01-01T00:00:00Z".into();
        },
        "metrics[1].measuredAt",
        "current",
    );
    edit(
        &|body| body["metrics"][0]["current"] = json!(1e200),
        "metrics[0].current",
        "implausibly large",
    );
    edit(
        &|body| body["metrics"][0]["target"] = json!(-2e12),
        "metrics[0].target",
        "implausibly large",
    );
    edit(
        &|body| body["valueDrivers"] = json!([{"kind": "time_saved", "hoursPerMonth": 1e9, "hourlyRate": 1e9, "confidence": "high"}]),
        "valueDrivers[0]",
        "implausibly large",
    );
    for (body, field, reason) in bodies {
        for (method, path) in [
            (Method::POST, goals.clone()),
            (Method::PUT, format!("{goals}/goal-1")),
        ] {
            let (status, error) = send(&served, method.clone(), &path, Some(body.clone())).await;
            assert_eq!(status, 400, "{method} {field}: {error}");
            assert_eq!(error["parameter"], field, "{method}: {error}");
            let message = error["error"].as_str().unwrap();
            assert!(
                message.starts_with(&format!("{field}: ")) && message.contains(reason),
                "{method} {field}: {error}"
            );
        }
    }

    // A metric's own body: the same rules, paths from the metric.
    let metric = &created["metrics"][0];
    for (change, field, reason) in [
        (json!({"curent": 3}), "curent", "unknown field"),
        (
            json!({"history": [{"at": "2026-01-01T00:00:00Z", "value": 1, "nte": "x"}]}),
            "history[0].nte",
            "unknown field",
        ),
        (json!({"status": "on_track"}), "status", "computed"),
        (json!({"baseline": 1e13}), "baseline", "implausibly large"),
    ] {
        let mut body = metric.clone();
        body.as_object_mut()
            .unwrap()
            .extend(change.as_object().unwrap().clone());
        let (status, error) = send(
            &served,
            Method::PUT,
            &format!("{BASE}/metrics/goal-1-m1"),
            Some(body),
        )
        .await;
        assert_eq!(status, 400, "{field}: {error}");
        assert_eq!(error["parameter"], field, "{error}");
        assert!(error["error"].as_str().unwrap().contains(reason), "{error}");
    }
    // A measurement beyond plausible magnitudes.
    let (status, error) = send(
        &served,
        Method::POST,
        &format!("{BASE}/metrics/goal-1-m1/measurements"),
        Some(json!({"value": 1e200})),
    )
    .await;
    assert_eq!((status, error["parameter"].as_str()), (400, Some("value")));

    // Nothing refused was stored: the goal is as created.
    let (_, listed) = get(&served, &goals).await;
    assert_eq!(listed, json!([created]));
}
