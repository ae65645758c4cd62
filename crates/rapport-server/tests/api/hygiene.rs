//! Hostile and careless requests (issue 22, item 5): every error is the
//! API's JSON naming what is wrong, whatever layer refused it; bodies, text
//! and nesting have limits; each credential has a rate; every response
//! carries the security headers.

use rapport_app::limits::RateLimit;
use rapport_core::access::Role;
use rapport_core::scoring::model::Model;
use reqwest::Method;
use serde_json::{Value, json};

use super::support::{Served, client_of, send, send_as, serve_portfolio};

async fn raw(
    served: &Served,
    method: Method,
    path: &str,
    body: Option<String>,
) -> reqwest::Response {
    let mut request = served
        .client()
        .request(method, format!("{}{path}", served.base));
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body);
    }
    request.send().await.unwrap()
}

/// The status and the JSON error of a response (which must be JSON).
async fn json_error(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{status} answered {content_type}: {text}"
    );
    (status, serde_json::from_str(&text).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_layers_refusals_are_json_naming_the_parameter() {
    let served = serve_portfolio(3, 20, Model::prd070()).await;
    // A path parameter that is not a number (axum names the value, not the
    // parameter, so the error names the path).
    let (status, error) =
        json_error(raw(&served, Method::GET, "/api/alerts/abc/deliveries", None).await).await;
    assert_eq!(
        (status, error["parameter"].as_str()),
        (400, Some("path")),
        "{error}"
    );
    // A query parameter given twice, and one the route does not take.
    let (status, error) = json_error(
        raw(
            &served,
            Method::GET,
            "/api/alerts?status=open&status=all",
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, error["parameter"].as_str()),
        (400, Some("status")),
        "{error}"
    );
    let (status, error) = json_error(
        raw(
            &served,
            Method::DELETE,
            "/api/intelligence/overrides/acc-0001/health?author=someone",
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, error["parameter"].as_str()),
        (400, Some("author")),
        "{error}"
    );
    // A method the path does not take: 405 with what it takes.
    let response = raw(&served, Method::PATCH, "/api/accounts", None).await;
    let allow = response.headers().get("allow").cloned();
    let (status, error) = json_error(response).await;
    assert_eq!(status, 405, "{error}");
    assert!(allow.is_some(), "405 keeps its Allow header");
    // A body over the API's limit: 413, as JSON.
    let huge = format!(
        r#"{{"value": 50, "reason": "{}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let (status, error) = json_error(
        raw(
            &served,
            Method::PUT,
            "/api/intelligence/overrides/acc-0001/health",
            Some(huge),
        )
        .await,
    )
    .await;
    assert_eq!(status, 413, "{error}");
    // An unknown path.
    let (status, _) = json_error(raw(&served, Method::GET, "/api/nothing-here", None).await).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_and_nesting_have_limits_and_nothing_is_stored_past_them() {
    let served = serve_portfolio(3, 20, Model::prd070()).await;
    let goals = "/api/intelligence/success-metrics/acc-0001/goals";
    let metric = json!({"category": "operational", "name": "Hours saved", "unit": "hours",
        "target": 10, "baseline": 0, "direction": "higher_is_better"});
    for (body, parameter) in [
        (
            json!({"title": "t".repeat(201), "targetDate": "2026-12-31", "metrics": [metric]}),
            "title",
        ),
        (
            json!({"title": "Fine", "targetDate": "2026-12-31",
                "metrics": [{"category": "operational", "name": "n".repeat(201), "unit": "hours",
                    "target": 10, "baseline": 0, "direction": "higher_is_better"}]}),
            "metrics[0].name",
        ),
        (
            json!({"title": "Fine", "targetDate": "2026-12-31", "metrics": [metric],
                "description": "d".repeat(10_001)}),
            "description",
        ),
    ] {
        let (status, error) = send(&served, Method::POST, goals, Some(body)).await;
        assert_eq!(
            (status, error["parameter"].as_str()),
            (400, Some(parameter)),
            "{error}"
        );
    }
    let (status, error) = send(
        &served,
        Method::PUT,
        "/api/intelligence/overrides/acc-0001/health",
        Some(json!({"value": 50, "reason": "r".repeat(10_001)})),
    )
    .await;
    assert_eq!(
        (status, error["parameter"].as_str()),
        (400, Some("reason")),
        "{error}"
    );
    let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
    let (status, error) = json_error(
        raw(
            &served,
            Method::POST,
            goals,
            Some(format!(
                r#"{{"title": "Deep", "targetDate": "2026-12-31", "metrics": {deep}}}"#
            )),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["error"].as_str().unwrap().contains("nests deeper"),
        "{error}"
    );
    let (_, stored) = send(&served, Method::GET, goals, None).await;
    assert!(
        stored
            .as_array()
            .unwrap()
            .iter()
            .all(|goal| goal["title"] != "Fine" && goal["title"] != "Deep"),
        "nothing refused was stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_credential_has_its_rate_and_is_told_when_to_come_back() {
    let served = serve_portfolio(3, 20, Model::prd070()).await;
    served.app.set_rate_limit(RateLimit {
        per_minute: 6,
        burst: 3,
    });
    let busy = served.token_of("a busy script", Role::Viewer);
    for _ in 0..3 {
        let (status, _) = send_as(&served, &busy, Method::GET, "/api/accounts", None).await;
        assert_eq!(status, 200);
    }
    let response = client_of(&busy)
        .get(format!("{}/api/accounts", served.base))
        .send()
        .await
        .unwrap();
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let (status, error) = json_error(response).await;
    assert_eq!(status, 429, "{error}");
    assert!((1..=10).contains(&retry_after), "{retry_after}");
    // Another credential is not slowed by it.
    let (status, _) = send(&served, Method::GET, "/api/accounts", None).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    let served = serve_portfolio(3, 20, Model::prd070()).await;
    for path in [
        "/",
        "/api/accounts",
        "/healthz",
        "/api/nothing-here",
        "/sign-in?token=nope",
    ] {
        let response = raw(&served, Method::GET, path, None).await;
        let headers = response.headers();
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert!(policy.contains("script-src 'self'"), "{path}: {policy}");
        let scripts = policy
            .split(';')
            .find(|directive| directive.trim().starts_with("script-src"))
            .unwrap();
        assert!(!scripts.contains("unsafe-inline"), "{path}: {policy}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert!(headers.contains_key("referrer-policy"), "{path}");
    }
}
