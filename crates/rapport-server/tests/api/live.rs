//! The live engine end to end: a running server sees writes made through
//! another connection to the same store (what a CLI process does) within a
//! second; concurrent writers through the API and other connections lose
//! nothing and fail nothing, and the override audit trail chains; deleted goal
//! ids stay dead; the one account-reference rule.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rapport_app::{App, AppConfig};
use rapport_core::access::{Person, Role};
use rapport_core::scoring::model::Model;
use rapport_core::scoring::overrides::OverrideRequest;
use rapport_core::{Account, AccountStatus, Activity, ActivityDetail, ExternalId, Tier, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};

use super::support::{get, send, serve_portfolio};

fn account(id: &str, name: &str) -> Account {
    Account {
        external_id: ExternalId::parse(id).unwrap(),
        name: name.into(),
        tier: Tier::Growth,
        arr: 50_000.0,
        seats: Some(20),
        csm: "Dana Reyes".into(),
        status: AccountStatus::Active,
        contract_start: None,
        renewal_date: None,
        industry: "Software".into(),
        manager: None,
        at_risk_override: false,
    }
}

fn login(account: &str, at: Timestamp, id: &str) -> Activity {
    Activity {
        source_id: Some(id.into()),
        account: ExternalId::parse(account).unwrap(),
        at,
        detail: ActivityDetail::Login {
            user: rapport_core::UserId::parse("user-1").unwrap(),
        },
    }
}

/// Polls `path` until `done` holds for its body, returning how long it took;
/// panics after `limit`.
async fn until(
    served: &super::support::Served,
    path: &str,
    limit: Duration,
    done: impl Fn(u16, &Value) -> bool,
) -> Duration {
    let started = Instant::now();
    loop {
        let (status, body) = get(served, path).await;
        assert!(status < 500, "{path}: {status} {body}");
        if done(status, &body) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "{path} did not change within {limit:?}: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_server_sees_another_writers_new_account_and_activities_within_a_second() {
    let served = serve_portfolio(4, 30, Model::prd070()).await;
    tokio::spawn(rapport_server::workers::follow(Arc::clone(&served.app)));
    // Another process's view of the same database file.
    let other = rapport_store::open(&served.url).unwrap();
    other
        .upsert_accounts(&[account("late-1", "Latecomer Ltd")])
        .unwrap();
    let seen = until(
        &served,
        "/api/intelligence/engagement/late-1?asOf=2026-01-31",
        Duration::from_secs(1),
        |status, _| status == 200,
    )
    .await;
    eprintln!("new account served after {seen:?}");
    let (status, body) = get(&served, "/api/intelligence/health/late-1?asOf=2026-01-31").await;
    assert_eq!(status, 200, "{body}");

    let before = get(
        &served,
        "/api/intelligence/engagement/late-1?asOf=2026-01-31",
    )
    .await
    .1["facts"]
        .clone();
    let day = Timestamp::parse_rfc3339("2026-01-20T09:00:00Z").unwrap();
    let logins: Vec<Activity> = (0..5)
        .map(|index| {
            login(
                "late-1",
                Timestamp::from_millis(day.millis() + index * 3_600_000),
                &format!("late-login-{index}"),
            )
        })
        .collect();
    other.insert_activities(&logins).unwrap();
    let seen = until(
        &served,
        "/api/intelligence/engagement/late-1?asOf=2026-01-31",
        Duration::from_secs(1),
        |_, body| body["facts"] != before,
    )
    .await;
    eprintln!("new activities scored after {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_fail_nothing_lose_nothing_and_the_override_trail_chains() {
    let served = serve_portfolio(3, 30, Model::prd070()).await;
    tokio::spawn(rapport_server::workers::follow(Arc::clone(&served.app)));
    let (_, accounts) = get(&served, "/api/accounts").await;
    let target = accounts[0]["externalId"].as_str().unwrap().to_string();
    let rounds = 15;
    // Two other "processes", each with its own connections and application.
    let others: Vec<Arc<App>> = (0..2)
        .map(|_| {
            App::new(
                rapport_store::open(&served.url).unwrap(),
                AppConfig::shipped(),
            )
        })
        .collect();
    let mut writers = Vec::new();
    for (index, other) in others.iter().enumerate() {
        let other = Arc::clone(other);
        let target = target.clone();
        writers.push(tokio::task::spawn_blocking(move || {
            let writer = Person {
                id: 0,
                name: format!("process-{index}"),
                role: Role::Leader,
            };
            for round in 0..rounds {
                let now = rapport_server_now();
                other
                    .set_override(
                        &writer,
                        &target,
                        "health",
                        &OverrideRequest {
                            value: f64::from(round),
                            reason: format!("writer {index} round {round}"),
                            expires_at: None,
                        },
                        now,
                    )
                    .unwrap();
                let goal = rapport_core::success::edit::parse_goal(
                    json!({"title": format!("Goal {index}-{round}"), "targetDate": "2026-12-31",
                        "metrics": [{"category": "operational", "name": "Hours saved", "unit": "hours",
                    "target": 10, "baseline": 0, "direction": "higher_is_better"}]})
                        .to_string()
                        .as_bytes(),
                    now.date(),
                )
                .unwrap();
                other.create_goal(&writer, &target, goal, now).unwrap();
            }
        }));
    }
    let mut statuses = Vec::new();
    for round in 0..rounds {
        let (status, body) = send(
            &served,
            Method::PUT,
            &format!("/api/intelligence/overrides/{target}/health"),
            Some(json!({"value": 50 + round, "reason": "api"})),
        )
        .await;
        assert!(status == 200 || status == 201, "{status} {body}");
        statuses.push(status);
        let (status, body) = send(
            &served,
            Method::POST,
            &format!("/api/intelligence/success-metrics/{target}/goals"),
            Some(
                json!({"title": format!("API goal {round}"), "targetDate": "2026-12-31",
                "metrics": [{"category": "operational", "name": "Hours saved", "unit": "hours",
                    "target": 10, "baseline": 0, "direction": "higher_is_better"}]}),
            ),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    for writer in writers {
        writer.await.unwrap();
    }
    // Every goal written is there once, with distinct ids.
    let (_, goals) = get(
        &served,
        &format!("/api/intelligence/success-metrics/{target}/goals"),
    )
    .await;
    let goals = goals.as_array().unwrap();
    let written = 3 * rounds as usize;
    let new_goals: Vec<&Value> = goals
        .iter()
        .filter(|goal| {
            let title = goal["title"].as_str().unwrap();
            title.starts_with("Goal ") || title.starts_with("API goal ")
        })
        .collect();
    assert_eq!(new_goals.len(), written);
    let mut ids: Vec<&str> = new_goals
        .iter()
        .map(|goal| goal["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), written, "goal ids are distinct");
    // The audit trail: one event per write, in commit order, chaining.
    let (_, overrides) = get(
        &served,
        &format!("/api/intelligence/overrides/{target}?asOf=2100-01-01"),
    )
    .await;
    let history = overrides["history"].as_array().unwrap();
    assert_eq!(history.len(), written);
    for pair in history.windows(2) {
        assert_eq!(pair[1]["old"], pair[0]["new"], "{pair:?}");
        // Compared as instants: as text, "…:07Z" sorts after "…:07.5Z".
        let at = |event: &Value| {
            rapport_core::Timestamp::parse_rfc3339(event["at"].as_str().unwrap()).unwrap()
        };
        assert!(at(&pair[0]) <= at(&pair[1]), "{pair:?}");
    }
    assert_eq!(history[0]["old"], Value::Null);
    // The server's engine followed the other writers' goals.
    let seen = until(
        &served,
        &format!("/api/intelligence/success-metrics/{target}?asOf=2026-01-31"),
        Duration::from_secs(1),
        |_, body| {
            body["goals"]
                .as_array()
                .is_some_and(|goals| goals.len() >= written)
        },
    )
    .await;
    eprintln!("goals of other writers in the engine after {seen:?}");
}

fn rapport_server_now() -> Timestamp {
    Timestamp::from_millis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_goals_id_is_never_handed_out_again() {
    let served = serve_portfolio(3, 30, Model::prd070()).await;
    let (_, accounts) = get(&served, "/api/accounts").await;
    let target = accounts[0]["externalId"].as_str().unwrap().to_string();
    let goals = format!("/api/intelligence/success-metrics/{target}/goals");
    let body = json!({"title": "Cut onboarding time", "targetDate": "2026-12-31",
        "metrics": [{"category": "operational", "name": "Days to onboard", "unit": "days",
                     "target": 10, "baseline": 30, "direction": "lower_is_better"},
                    {"category": "operational", "name": "Tickets", "unit": "tickets",
                     "target": 5, "baseline": 20, "direction": "lower_is_better"}]});
    let mut seen_ids = std::collections::BTreeSet::new();
    let mut seen_metric_ids = std::collections::BTreeSet::new();
    for _ in 0..3 {
        let (status, goal) = send(&served, Method::POST, &goals, Some(body.clone())).await;
        assert_eq!(status, 201, "{goal}");
        let id = goal["id"].as_str().unwrap().to_string();
        assert!(seen_ids.insert(id.clone()), "goal id {id} handed out twice");
        for metric in goal["metrics"].as_array().unwrap() {
            let metric_id = metric["id"].as_str().unwrap().to_string();
            assert!(
                seen_metric_ids.insert(metric_id.clone()),
                "{metric_id} twice"
            );
        }
        // Remove a metric too: its id must not come back on the next edit.
        let removed = goal["metrics"][1]["id"].as_str().unwrap();
        let (status, _) = send(
            &served,
            Method::DELETE,
            &format!("/api/intelligence/success-metrics/{target}/metrics/{removed}"),
            None,
        )
        .await;
        assert_eq!(status, 204);
        let (status, _) = send(&served, Method::DELETE, &format!("{goals}/{id}"), None).await;
        assert_eq!(status, 204);
        // A retried DELETE is a 404, never the deletion of another goal.
        let (status, _) = send(&served, Method::DELETE, &format!("{goals}/{id}"), None).await;
        assert_eq!(status, 404);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_references_follow_one_rule_and_a_name_never_shadows_an_id() {
    let served = serve_portfolio(3, 30, Model::prd070()).await;
    tokio::spawn(rapport_server::workers::follow(Arc::clone(&served.app)));
    let (_, accounts) = get(&served, "/api/accounts").await;
    let real = accounts[0]["externalId"].as_str().unwrap().to_string();
    let real_uuid = accounts[0]["id"].as_str().unwrap().to_string();
    // An account whose *name* is the other account's external id, and two
    // accounts sharing a name but for its case.
    let store = served.app.store();
    store
        .upsert_accounts(&[
            account("impostor", &real),
            account("twin-1", "Twin Widgets"),
            account("twin-2", "TWIN WIDGETS"),
            account("uni-1", "École Numérique"),
        ])
        .unwrap();
    served.app.catch_up().unwrap();
    let by = |reference: &str| {
        let reference = reference.replace(' ', "%20");
        format!("/api/intelligence/engagement/{reference}?asOf=2026-01-31")
    };
    let (status, body) = get(&served, &by(&real)).await;
    assert_eq!(
        (status, body["externalId"].as_str()),
        (200, Some(real.as_str()))
    );
    let (status, body) = get(&served, &by(&real_uuid)).await;
    assert_eq!(
        (status, body["externalId"].as_str()),
        (200, Some(real.as_str()))
    );
    // Exact name ignoring case, Unicode included.
    let (status, body) = get(&served, &by("école numérique")).await;
    assert_eq!((status, body["externalId"].as_str()), (200, Some("uni-1")));
    // Spelled exactly as one of two same-ignoring-case names: that one.
    let (status, body) = get(&served, &by("Twin Widgets")).await;
    assert_eq!((status, body["externalId"].as_str()), (200, Some("twin-1")));
    // Ambiguous: 404 with the candidates; partial: 404 with the candidates.
    let (status, body) = get(&served, &by("twin widgets")).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["candidates"].as_array().unwrap().len(), 2);
    let (status, body) = get(&served, &by("Twin")).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["candidates"].as_array().unwrap().len(), 2);

    // A write naming the id goes to the real account, never the impostor.
    let (status, body) = send(
        &served,
        Method::PUT,
        &format!("/api/intelligence/overrides/{real}/health"),
        Some(json!({"value": 42, "reason": "check"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (_, real_view) = get(&served, &format!("/api/intelligence/overrides/{real}")).await;
    assert_eq!(real_view["overrides"].as_array().unwrap().len(), 1);
    let (_, impostor) = get(&served, "/api/intelligence/overrides/impostor").await;
    assert_eq!(impostor["overrides"].as_array().unwrap().len(), 0);
    // A write to an ambiguous or unknown reference writes nothing: 404.
    for reference in ["twin%20widgets", "Twin", "no-such-account"] {
        let (status, body) = send(
            &served,
            Method::PUT,
            &format!("/api/intelligence/overrides/{reference}/health"),
            Some(json!({"value": 42, "reason": "check"})),
        )
        .await;
        assert_eq!(status, 404, "{reference}: {body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains(&reference.replace("%20", " ")),
            "{body}"
        );
    }
    for twin in ["twin-1", "twin-2"] {
        let (_, view) = get(&served, &format!("/api/intelligence/overrides/{twin}")).await;
        assert_eq!(view["history"].as_array().unwrap().len(), 0, "{twin}");
    }
}
