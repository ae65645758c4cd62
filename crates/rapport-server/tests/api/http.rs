//! The routes end to end on a generated portfolio: breakdowns, goals, the
//! reports, and precise errors.

use serde_json::Value;

use super::support::{Served, get, send, serve_portfolio};
use rapport_core::scoring::model::Model;

async fn serve_demo() -> Served {
    serve_portfolio(12, 120, Model::prd070()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engagement_endpoint_answers_breakdowns_and_precise_errors() {
    let served = serve_demo().await;
    let (status, health) = get(&served, "/healthz").await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));

    let (status, accounts) = get(&served, "/api/accounts").await;
    assert_eq!(status, 200);
    let acme = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|account| account["name"] == "Acme Corp")
        .unwrap();
    for key in ["id", "externalId", "name", "tier", "arr", "csm", "status"] {
        assert!(acme.get(key).is_some(), "accounts lack {key}");
    }
    let id = acme["id"].as_str().unwrap();

    let path = format!(
        "/api/intelligence/engagement/{id}?period=30d&comparePeriod=previous&asOf=2026-01-31T00:00:00Z"
    );
    let (status, breakdown) = get(&served, &path).await;
    assert_eq!(status, 200, "{breakdown}");
    for key in [
        "overall",
        "components",
        "factors",
        "trend",
        "history",
        "peerComparison",
        "rootCauses",
        "recommendations",
        "impactAnalysis",
        "alerts",
        "changeAttribution",
        "period",
        "comparePeriod",
        "riskFactors",
    ] {
        assert!(breakdown.get(key).is_some(), "the breakdown lacks {key}");
    }
    assert_eq!(breakdown["customerId"], id);
    assert_eq!(breakdown["period"]["days"], 30);
    assert_eq!(breakdown["period"]["end"], "2026-01-31T00:00:00Z");
    assert_eq!(breakdown["comparePeriod"]["end"], "2026-01-01T00:00:00Z");
    assert_eq!(breakdown["factors"].as_array().unwrap().len(), 11);
    assert_eq!(breakdown["history"].as_array().unwrap().len(), 6);
    // Contributions add up to the overall score.
    let total: f64 = breakdown["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|factor| factor["contribution"].as_f64().unwrap())
        .sum();
    assert!((total - breakdown["overall"].as_f64().unwrap()).abs() < 1e-9);

    // The same request again answers the same body (caches are exact).
    let (_, again) = get(&served, &path).await;
    assert_eq!(again, breakdown);
    // An explicit compare range and another period.
    let (status, ranged) = get(
        &served,
        &format!(
            "/api/intelligence/engagement/{id}?period=7d&comparePeriod=2025-12-01..2025-12-08&asOf=2026-01-31"
        ),
    )
    .await;
    assert_eq!(status, 200, "{ranged}");
    assert_eq!(ranged["comparePeriod"]["days"], 7);
    assert_eq!(ranged["comparePeriod"]["end"], "2025-12-08T00:00:00Z");

    // Errors: 404 with a message, 400 naming the parameter.
    let (status, missing) = get(
        &served,
        "/api/intelligence/engagement/00000000-0000-0000-0000-000000000000",
    )
    .await;
    assert_eq!(status, 404);
    assert!(missing["error"].as_str().unwrap().contains("no account"));
    for (query, parameter) in [
        ("period=thirty", "period"),
        ("period=0d", "period"),
        ("asOf=yesterday", "asOf"),
        ("comparePeriod=last-month", "comparePeriod"),
        ("comparePeriod=2026-01-10..2026-01-01", "comparePeriod"),
    ] {
        let (status, body) = get(
            &served,
            &format!("/api/intelligence/engagement/{id}?{query}"),
        )
        .await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(
            body["error"].as_str().unwrap().starts_with(parameter),
            "{query}: {body}"
        );
    }
    let (status, _) = get(&served, "/api/no-such-thing").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn goal_lifecycle_create_measure_edit_read_delete_and_bad_bodies() {
    use reqwest::Method;
    let served = serve_demo().await;
    let base = "/api/intelligence/success-metrics/acc-0002";
    let goal = serde_json::json!({
        "title": "Reduce support tickets",
        "owner": "Mike Lee",
        "startDate": "2025-07-01",
        "targetDate": "2026-06-30",
        "valueDrivers": [{"kind": "cost_reduction", "amountPerYear": 45000, "confidence": "high"}],
        "metrics": [
            {"category": "operational", "name": "Tickets per month", "baseline": 120, "target": 60,
             "unit": "tickets", "direction": "lower_is_better", "dataSource": "Zendesk"}
        ]
    });
    let (status, created) = send(
        &served,
        Method::POST,
        &format!("{base}/goals"),
        Some(goal.clone()),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["id"], "goal-1");
    let metric_id = created["metrics"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(metric_id, "goal-1-m1");

    // Bad bodies: 400 naming the field; nothing stored.
    let mut missing_title = goal.clone();
    missing_title.as_object_mut().unwrap().remove("title");
    let mut bad_direction = goal.clone();
    bad_direction["metrics"][0]["direction"] = "up".into();
    let mut backwards = goal.clone();
    backwards["targetDate"] = "2025-01-01".into();
    let mut bad_date = goal.clone();
    bad_date["targetDate"] = "next june".into();
    for (body, field) in [
        (missing_title, "body"),
        (bad_direction, "metrics[0].direction"),
        (backwards, "targetDate"),
        (bad_date, "targetDate"),
        (serde_json::json!([1, 2]), "body"),
    ] {
        let (status, error) =
            send(&served, Method::POST, &format!("{base}/goals"), Some(body)).await;
        assert_eq!(status, 400, "{error}");
        assert!(
            error["error"].as_str().unwrap().starts_with(field),
            "{field}: {error}"
        );
    }
    let (status, error) = send(&served, Method::POST, &format!("{base}/goals"), None).await;
    assert_eq!(status, 400, "{error}");

    // Values over time: each kept in the history, in time order.
    for (at, value) in [
        ("2025-10-01T00:00:00Z", 100.0),
        ("2025-08-01T00:00:00Z", 110.0),
        ("2026-01-01T00:00:00Z", 80.0),
    ] {
        let (status, goal) = send(
            &served,
            Method::POST,
            &format!("{base}/metrics/{metric_id}/measurements"),
            Some(serde_json::json!({"value": value, "at": at})),
        )
        .await;
        assert_eq!(status, 201, "{goal}");
    }
    let (status, error) = send(
        &served,
        Method::POST,
        &format!("{base}/metrics/{metric_id}/measurements"),
        Some(serde_json::json!({"value": "lots"})),
    )
    .await;
    assert_eq!(
        (status, error["parameter"].as_str()),
        (400, Some("value")),
        "{error}"
    );
    let (status, _) = send(
        &served,
        Method::POST,
        &format!("{base}/metrics/nope/measurements"),
        Some(serde_json::json!({"value": 1})),
    )
    .await;
    assert_eq!(status, 404);

    // The report at 2026-01-15: the latest value before then is 80 (of 120 → 60):
    // progress 100 × (80 − 120) ÷ (60 − 120) = 66.7 %, expected 198 of 364 days.
    let (status, report) = get(&served, &format!("{base}?asOf=2026-01-15")).await;
    assert_eq!(status, 200, "{report}");
    let metric = &report["goals"][0]["metrics"][0];
    assert_eq!(metric["current"], 80.0);
    assert!((metric["progress"].as_f64().unwrap() - 200.0 / 3.0).abs() < 1e-9);
    assert_eq!(metric["status"], "on_track");
    assert!((metric["expected"].as_f64().unwrap() - 100.0 * 198.0 / 364.0).abs() < 1e-9);
    assert_eq!(report["value"]["totalAnnualValue"], 45000.0);
    assert!(report["accountName"].as_str().is_some());
    assert!(report["benchmark"].is_object());
    let (_, early) = get(&served, &format!("{base}?asOf=2025-09-01")).await;
    assert_eq!(early["goals"][0]["metrics"][0]["current"], 110.0);
    let (_, bare) = get(
        &served,
        &format!("{base}?asOf=2026-01-15&includeTargets=false&includeBenchmarks=false"),
    )
    .await;
    assert!(bare["goals"][0]["metrics"][0].get("target").is_none());
    assert!(bare["benchmark"].is_null());
    for (query, parameter) in [
        ("period=90d", "period"),
        ("includeBenchmarks=maybe", "includeBenchmarks"),
        ("asOf=soon", "asOf"),
    ] {
        let (status, error) = get(&served, &format!("{base}?{query}")).await;
        assert_eq!(
            (status, error["parameter"].as_str()),
            (400, Some(parameter)),
            "{error}"
        );
    }

    let response = served
        .client()
        .get(format!(
            "{}{base}/value-report?asOf=2026-01-15",
            served.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let document = response.text().await.unwrap();
    assert!(document.contains("Reduce support tickets") && document.contains("<svg"));
    let (status, error) = get(&served, &format!("{base}/value-report?format=pdf")).await;
    assert_eq!((status, error["parameter"].as_str()), (400, Some("format")));

    // Edit the goal (history kept) and a metric's target (history kept).
    let mut edited = goal.clone();
    edited["title"] = "Halve support tickets".into();
    edited["metrics"][0]["id"] = metric_id.clone().into();
    let (status, replaced) = send(
        &served,
        Method::PUT,
        &format!("{base}/goals/goal-1"),
        Some(edited),
    )
    .await;
    assert_eq!(status, 200, "{replaced}");
    let mut metric = goal["metrics"][0].clone();
    metric["target"] = 50.into();
    let (status, changed) = send(
        &served,
        Method::PUT,
        &format!("{base}/metrics/{metric_id}"),
        Some(metric),
    )
    .await;
    assert_eq!(status, 200, "{changed}");

    let (status, listed) = get(&served, &format!("{base}/goals")).await;
    assert_eq!(status, 200);
    let stored = &listed[0];
    assert_eq!(stored["title"], "Halve support tickets");
    assert_eq!(stored["metrics"][0]["target"], 50.0);
    let values: Vec<f64> = stored["metrics"][0]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_f64().unwrap())
        .collect();
    assert_eq!(values, [110.0, 100.0, 80.0]);

    // Delete the metric, then the goal; then both are gone.
    let (status, _) = send(
        &served,
        Method::DELETE,
        &format!("{base}/metrics/{metric_id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = send(
        &served,
        Method::DELETE,
        &format!("{base}/metrics/{metric_id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = send(
        &served,
        Method::DELETE,
        &format!("{base}/goals/goal-1"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = send(
        &served,
        Method::DELETE,
        &format!("{base}/goals/goal-1"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (_, listed) = get(&served, &format!("{base}/goals")).await;
    assert_eq!(listed, serde_json::json!([]));
    let (_, report) = get(&served, base).await;
    assert_eq!(
        report["messages"],
        serde_json::json!(["No success goals defined."])
    );
    let (status, _) = get(&served, "/api/intelligence/success-metrics/nobody/goals").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engagement_endpoint_scores_with_a_model_by_name() {
    let served = serve_demo().await;
    let path = "/api/intelligence/engagement/acc-0001?asOf=2026-01-31T00:00:00Z";
    let (status, default) = get(&served, path).await;
    assert_eq!(
        (status, default["model"].as_str()),
        (200, Some("prd070-engagement"))
    );
    let (status, framework) = get(&served, &format!("{path}&model=framework-engagement")).await;
    assert_eq!(status, 200, "{framework}");
    assert_eq!(framework["model"], "framework-engagement");
    let keys: Vec<&str> = framework["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|component| component["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["frequency", "quality", "breadth", "product"]);
    assert!(framework["velocity"]["touchpoints"].is_u64());
    let (status, error) = get(&served, &format!("{path}&model=nope")).await;
    assert_eq!(
        (status, error["parameter"].as_str()),
        (400, Some("model")),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engagement_overview_answers_filtered_figures_and_precise_errors() {
    let served = serve_demo().await;
    let path = "/api/intelligence/engagement-overview?asOf=2026-01-31T00:00:00Z";
    let (status, all) = get(&served, path).await;
    assert_eq!(status, 200, "{all}");
    let (_, accounts) = get(&served, "/api/accounts").await;
    let active = accounts
        .as_array()
        .unwrap()
        .iter()
        .filter(|account| account["status"] == "active")
        .count();
    assert_eq!(all["current"]["accounts"], active);
    for key in ["byRevenue", "byTier", "byScoreBand", "byMultiThreadedUsers"] {
        assert!(all["volume"][key].is_array(), "volume lacks {key}");
    }
    let cells = all["atRisk"]["matrix"].as_array().unwrap();
    let in_cells: u64 = cells
        .iter()
        .map(|cell| cell["accounts"].as_u64().unwrap())
        .sum();
    assert_eq!(in_cells as usize, active, "every account is in one cell");
    let (status, strategic) = get(&served, &format!("{path}&tier=strategic")).await;
    assert_eq!(status, 200);
    assert!(strategic["current"]["accounts"].as_u64().unwrap() < active as u64);
    assert_eq!(strategic["filter"]["tier"], "strategic");
    let (status, error) = get(&served, &format!("{path}&tier=gold")).await;
    assert_eq!(
        (status, error["parameter"].as_str()),
        (400, Some("tier")),
        "{error}"
    );
    let (status, error) = get(&served, &format!("{path}&period=forever")).await;
    assert_eq!(
        (status, error["parameter"].as_str()),
        (400, Some("period")),
        "{error}"
    );
}

async fn post(served: &Served, path: &str, body: &str) -> (u16, Value) {
    let response = served
        .client()
        .post(format!("{}{path}", served.base))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_open_once_per_rule_and_are_acknowledged_and_resolved() {
    let served = serve_demo().await;
    let (status, first) = post(&served, "/api/alerts/evaluate", "").await;
    assert_eq!(status, 200, "{first}");
    let opened = first["opened"].as_u64().unwrap();
    assert!(opened > 0, "{first}");
    // Evaluating again floods nothing: the same rules are seen again.
    let (_, second) = post(&served, "/api/alerts/evaluate", "").await;
    assert_eq!(second["opened"], 0);
    assert_eq!(second["seen"].as_u64(), Some(opened));
    let (status, alerts) = get(&served, "/api/alerts").await;
    assert_eq!(status, 200);
    let alerts = alerts.as_array().unwrap();
    assert_eq!(alerts.len() as u64, opened);
    let mut rules: Vec<(String, String)> = alerts
        .iter()
        .map(|alert| {
            (
                alert["account"].as_str().unwrap().to_string(),
                alert["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    rules.sort();
    rules.dedup();
    assert_eq!(rules.len(), alerts.len(), "one alert per account and rule");
    let id = alerts[0]["id"].as_i64().unwrap();
    assert_eq!(alerts[0]["status"], "open");
    assert!(alerts[0]["accountName"].is_string() && alerts[0]["csm"].is_string());

    let (status, error) = post(
        &served,
        &format!("/api/alerts/{id}/acknowledge"),
        r#"{"author": " "}"#,
    )
    .await;
    assert_eq!(
        (status, error["parameter"].as_str()),
        (400, Some("author")),
        "{error}"
    );
    let (status, acknowledged) = post(&served, &format!("/api/alerts/{id}/acknowledge"), "").await;
    assert_eq!(status, 200, "{acknowledged}");
    assert_eq!(acknowledged["acknowledgedBy"], "test admin");
    let (status, resolved) = post(
        &served,
        &format!("/api/alerts/{id}/resolve"),
        r#"{"note": "called the sponsor"}"#,
    )
    .await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(
        (
            resolved["resolvedBy"].as_str(),
            resolved["resolution"].as_str()
        ),
        (Some("test admin"), Some("called the sponsor"))
    );
    let (status, _) = post(&served, &format!("/api/alerts/{id}/resolve"), "{}").await;
    assert_eq!(status, 409, "already resolved");
    let (status, _) = post(&served, "/api/alerts/999999/resolve", "{}").await;
    assert_eq!(status, 404);
    let (_, history) = get(&served, "/api/alerts?status=resolved").await;
    assert!(
        history
            .as_array()
            .unwrap()
            .iter()
            .any(|alert| alert["id"] == id)
    );
    let (status, error) = get(&served, "/api/alerts?status=sleeping").await;
    assert_eq!((status, error["parameter"].as_str()), (400, Some("status")));
    // The resolution holds while the rule still fires: the next evaluation
    // opens nothing (issue 20, item 10; alert_lifecycle.rs has the rest).
    let (_, third) = post(&served, "/api/alerts/evaluate", "").await;
    assert_eq!(
        (third["opened"].as_u64(), third["held"].as_u64()),
        (Some(0), Some(1)),
        "{third}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weekly_report_as_json_markdown_and_standalone_html() {
    let served = serve_demo().await;
    let path = "/api/reports/weekly?asOf=2026-01-31T00:00:00Z";
    let (status, report) = get(&served, &format!("{path}&format=json")).await;
    assert_eq!(status, 200, "{report}");
    let summary = &report["summary"];
    let in_bands: u64 = summary["bands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|band| band["accounts"].as_u64().unwrap())
        .sum();
    assert_eq!(
        Some(in_bands),
        summary["accounts"].as_u64(),
        "every account in one band"
    );
    assert_eq!(
        summary["atRiskAccounts"].as_u64(),
        Some(report["atRisk"].as_array().unwrap().len() as u64)
    );
    let html = served
        .client()
        .get(format!("{}{path}&format=html", served.base))
        .send()
        .await
        .unwrap();
    assert_eq!(html.headers()["content-type"], "text/html; charset=utf-8");
    let html = html.text().await.unwrap();
    assert!(html.starts_with("<!doctype html>"));
    for section in [
        "Portfolio health summary",
        "At-risk accounts",
        "Improvement trends",
        "Open actions",
    ] {
        assert!(html.contains(section), "the HTML lacks {section}");
    }
    let markdown = served
        .client()
        .get(format!("{}{path}&format=md", served.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        markdown.starts_with("# Weekly Portfolio Report"),
        "{markdown}"
    );
    let (status, error) = get(&served, &format!("{path}&format=pdf")).await;
    assert_eq!((status, error["parameter"].as_str()), (400, Some("format")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instant_outside_the_accepted_years_is_a_400_naming_as_of() {
    let served = serve_demo().await;
    for path in [
        "/api/intelligence/engagement/acc-0001?asOf=-262143-01-01",
        "/api/intelligence/health/acc-0001?asOf=-262143-01-01",
        "/api/reports/weekly?format=json&asOf=-262143-01-01",
        "/api/intelligence/engagement/acc-0001?asOf=%2B262142-12-31T00:00:00Z",
    ] {
        let (status, body) = get(&served, path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["parameter"], "asOf", "{path}: {body}");
    }
}
