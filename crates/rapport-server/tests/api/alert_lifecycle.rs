//! The alert lifecycle of issue 20, items 10 and 1, end to end: a person's
//! resolution holds while its condition persists, a snooze keeps an alert
//! quiet until the chosen instant and then delivers it once, the store's
//! first evaluation opens a backlog that is summarised and not delivered, and
//! a churned account's alerts are resolved by Rapport without paging anyone.
//! Evaluations that need a particular instant call the application with it
//! (an injected clock); the rest go through HTTP.

use rapport_core::alerts::AlertStatus;
use rapport_core::{ExternalId, Timestamp};
use serde_json::{Value, json};

use super::support::{Served, get, send, serve_portfolio};
use rapport_core::scoring::model::Model;

async fn post(served: &Served, path: &str, body: Value) -> (u16, Value) {
    send(served, reqwest::Method::POST, path, Some(body)).await
}

async fn serve_demo() -> Served {
    serve_portfolio(12, 120, Model::prd070()).await
}

/// A webhook for every alert (its receiver is never called: the tests read
/// the outbox).
async fn subscribe(served: &Served) {
    let (status, body) = post(
        served,
        "/api/webhooks",
        json!({"url": "https://hooks.example.com/rapport", "secret": "s3cret-signing-key"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

/// Every delivery in the outbox as (alert id, event).
fn outbox(served: &Served) -> Vec<(i64, String)> {
    served
        .app
        .store()
        .deliveries(None)
        .unwrap()
        .into_iter()
        .map(|delivery| {
            let event = serde_json::to_value(delivery.event).unwrap();
            (delivery.alert_id, event.as_str().unwrap().to_string())
        })
        .collect()
}

fn wall_clock() -> Timestamp {
    Timestamp::from_millis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    )
}

fn hours(instant: Timestamp, hours: i64) -> Timestamp {
    Timestamp::from_millis(instant.millis() + hours * 3_600_000)
}

/// Issue 20, item 10: before, a resolved alert re-opened at the next hourly
/// evaluation while its condition persisted. Now the resolution holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resolved_alert_stays_resolved_while_its_condition_persists() {
    let served = serve_demo().await;
    let (status, first) = post(&served, "/api/alerts/evaluate", json!({})).await;
    assert_eq!(status, 200, "{first}");
    let (_, alerts) = get(&served, "/api/alerts").await;
    let alerts = alerts.as_array().unwrap();
    assert!(!alerts.is_empty());
    let resolved_ids: Vec<i64> = alerts
        .iter()
        .take(3)
        .map(|alert| alert["id"].as_i64().unwrap())
        .collect();
    for id in &resolved_ids {
        let (status, resolved) = post(
            &served,
            &format!("/api/alerts/{id}/resolve"),
            json!({"note": "spoke to the sponsor"}),
        )
        .await;
        assert_eq!(status, 200, "{resolved}");
        assert_eq!(resolved["awaitingClear"], true, "{resolved}");
    }
    // Hour after hour the conditions persist: nothing re-opens.
    for _ in 0..2 {
        let (_, run) = post(&served, "/api/alerts/evaluate", json!({})).await;
        assert_eq!(run["opened"], 0, "{run}");
        assert_eq!(
            run["held"].as_u64(),
            Some(resolved_ids.len() as u64),
            "{run}"
        );
    }
    let (_, unresolved) = get(&served, "/api/alerts").await;
    assert_eq!(
        unresolved.as_array().unwrap().len(),
        alerts.len() - resolved_ids.len()
    );
    let (_, history) = get(&served, "/api/alerts?status=resolved").await;
    for id in &resolved_ids {
        let alert = history
            .as_array()
            .unwrap()
            .iter()
            .find(|alert| alert["id"] == *id)
            .unwrap();
        assert_eq!(
            (
                alert["resolvedBy"].as_str(),
                alert["awaitingClear"].as_bool()
            ),
            (Some("test admin"), Some(true))
        );
    }
}

/// Issue 20, item 10: the store's first evaluation opens what fires, says so
/// in counts, and pages nobody; a later evaluation delivers what it opens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_evaluation_is_summarised_not_paged() {
    let served = serve_demo().await;
    subscribe(&served).await;
    let (status, first) = post(&served, "/api/alerts/evaluate", json!({})).await;
    assert_eq!(status, 200, "{first}");
    let opened = first["opened"].as_u64().unwrap();
    assert!(opened > 0, "{first}");
    let backlog = &first["backlog"];
    assert_eq!(backlog["alerts"].as_u64(), Some(opened), "{first}");
    let by_priority: u64 = backlog["byPriority"]
        .as_object()
        .unwrap()
        .values()
        .map(|count| count.as_u64().unwrap())
        .sum();
    let by_rule: u64 = backlog["byRule"]
        .as_object()
        .unwrap()
        .values()
        .map(|count| count.as_u64().unwrap())
        .sum();
    assert_eq!((by_priority, by_rule), (opened, opened), "{first}");
    let (_, listed) = get(&served, "/api/alerts").await;
    let accounts: std::collections::BTreeSet<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|alert| alert["account"].as_str().unwrap())
        .collect();
    assert_eq!(backlog["accounts"].as_u64(), Some(accounts.len() as u64));
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|alert| alert["backlog"] == true)
    );
    assert_eq!(outbox(&served), vec![], "the backlog is not paged");

    let (_, second) = post(&served, "/api/alerts/evaluate", json!({})).await;
    assert_eq!(second["backlog"], Value::Null, "{second}");
    // At another instant other rules fire: those open and are delivered;
    // the backlog alerts that clear are resolved without a page (nobody
    // was told they opened).
    let later = served
        .app
        .evaluate_alerts(None, super::support::import_instant())
        .unwrap();
    assert!(later.opened > 0, "{later:?}");
    let outbox = outbox(&served);
    assert_eq!(outbox.len(), later.opened, "{outbox:?}");
    assert!(outbox.iter().all(|(_, event)| event == "opened"));
}

/// Issue 20, item 10: a person snoozes an alert; until the chosen instant it
/// is neither delivered nor re-opened; the first evaluation after it, the
/// condition holding, makes it open again and delivers it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snoozed_alert_is_quiet_until_the_snooze_ends_then_delivered_once() {
    let served = serve_demo().await;
    subscribe(&served).await;
    let start = wall_clock();
    let first = served.app.evaluate_alerts(None, start).unwrap();
    assert!(first.opened > 0);
    let (_, alerts) = get(&served, "/api/alerts").await;
    // A condition that holds for days: no activity since the portfolio's end.
    let alert = alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|alert| alert["rule"] == "engagement.overall_below")
        .or_else(|| alerts.as_array().unwrap().first())
        .unwrap()
        .clone();
    let id = alert["id"].as_i64().unwrap();
    let path = format!("/api/alerts/{id}/snooze");
    let until = hours(start, 48);

    // Refusals name the field.
    for (body, field) in [
        (json!({}), "until"),
        (json!({"until": "next week"}), "until"),
        (json!({"until": "2020-01-01"}), "until"),
        (
            json!({"until": hours(start, 24 * 400).to_rfc3339()}),
            "until",
        ),
        (json!({"until": until.to_rfc3339(), "by": " "}), "by"),
        (json!({"until": until.to_rfc3339(), "for": "x"}), "for"),
    ] {
        let (status, error) = post(&served, &path, body.clone()).await;
        assert_eq!(
            (status, error["parameter"].as_str()),
            (400, Some(field)),
            "{body}: {error}"
        );
    }
    let (status, _) = post(
        &served,
        "/api/alerts/999999/snooze",
        json!({"until": until.to_rfc3339()}),
    )
    .await;
    assert_eq!(status, 404);

    let (status, snoozed) = post(
        &served,
        &path,
        json!({"until": until.to_rfc3339(), "reason": "customer on holiday"}),
    )
    .await;
    assert_eq!(status, 200, "{snoozed}");
    assert_eq!(snoozed["snooze"]["by"], "test admin");
    assert_eq!(snoozed["snooze"]["reason"], "customer on holiday");
    let (_, listed) = get(&served, "/api/alerts?status=snoozed").await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["status"], "snoozed");
    let (_, open) = get(&served, "/api/alerts?status=open").await;
    assert!(
        open.as_array()
            .unwrap()
            .iter()
            .all(|alert| alert["id"] != id)
    );

    // While the snooze lasts: still firing, not delivered, not open.
    let during = served.app.evaluate_alerts(None, hours(start, 24)).unwrap();
    assert_eq!(during.snoozed, 1, "{during:?}");
    let stored = served.app.store().alert(id).unwrap().unwrap();
    assert_eq!(stored.status(), AlertStatus::Snoozed);
    assert!(outbox(&served).iter().all(|(alert, _)| *alert != id));

    // The snooze ends, the condition holds: open again, delivered once.
    let after = served.app.evaluate_alerts(None, hours(start, 49)).unwrap();
    assert_eq!(after.reopened, 1, "{after:?}");
    let again = served.app.evaluate_alerts(None, hours(start, 50)).unwrap();
    assert_eq!(again.reopened, 0, "{again:?}");
    let stored = served.app.store().alert(id).unwrap().unwrap();
    assert_eq!(stored.status(), AlertStatus::Open);
    assert_eq!(
        stored.snooze.as_ref().unwrap().ended_at,
        Some(hours(start, 49))
    );
    let delivered: Vec<(i64, String)> = outbox(&served)
        .into_iter()
        .filter(|(alert, _)| *alert == id)
        .collect();
    assert_eq!(delivered, vec![(id, "opened".to_string())]);
    let (_, deliveries) = get(&served, &format!("/api/alerts/{id}/deliveries")).await;
    let text: Value = serde_json::from_str(deliveries[0]["payload"].as_str().unwrap()).unwrap();
    assert!(
        text["text"]
            .as_str()
            .unwrap()
            .contains("snoozed by test admin"),
        "{text}"
    );

    // A resolved alert cannot be snoozed.
    post(&served, &format!("/api/alerts/{id}/resolve"), json!({})).await;
    let (status, _) = post(
        &served,
        &path,
        json!({"until": hours(wall_clock(), 24).to_rfc3339()}),
    )
    .await;
    assert_eq!(status, 409);
}

/// Issue 20, item 1: a churned account raises no alerts; at the next
/// evaluation Rapport resolves its unresolved alerts ("account churned") and
/// pages nobody.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_churned_accounts_alerts_are_resolved_by_rapport_without_paging() {
    let served = serve_demo().await;
    subscribe(&served).await;
    let now = super::support::import_instant();
    // The first evaluation (one account's backlog), then one that delivers.
    let baseline = ExternalId::parse("acc-0001").unwrap();
    served
        .app
        .evaluate_alerts(Some(&baseline), hours(now, -24))
        .unwrap();
    served.app.evaluate_alerts(None, now).unwrap();
    let (_, alerts) = get(&served, "/api/alerts").await;
    let target = alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|alert| alert["backlog"] == false)
        .expect("an alert opened after the first evaluation")["account"]
        .as_str()
        .unwrap()
        .to_string();
    let target = ExternalId::parse(&target).unwrap();
    let theirs: Vec<i64> = alerts
        .as_array()
        .unwrap()
        .iter()
        .filter(|alert| alert["account"] == target.as_str())
        .map(|alert| alert["id"].as_i64().unwrap())
        .collect();
    let paged_before = outbox(&served).len();

    // The account churns (a CRM import says so).
    let store = served.app.store();
    let mut account = store.account(&target).unwrap().unwrap();
    account.status = rapport_core::AccountStatus::Churned;
    store.upsert_accounts(&[account]).unwrap();
    served.app.catch_up().unwrap();

    let run = served.app.evaluate_alerts(None, hours(now, 1)).unwrap();
    assert_eq!(run.churned, theirs.len(), "{run:?}");
    let (_, history) = get(&served, &format!("/api/alerts?status=all&account={target}")).await;
    for id in &theirs {
        let alert = history
            .as_array()
            .unwrap()
            .iter()
            .find(|alert| alert["id"] == *id)
            .unwrap();
        assert_eq!(
            (
                alert["status"].as_str(),
                alert["resolvedBy"].as_str(),
                alert["resolution"].as_str()
            ),
            (Some("resolved"), Some("rapport"), Some("account churned")),
            "{alert}"
        );
    }
    assert_eq!(outbox(&served).len(), paged_before, "nobody is paged");
    // It raises nothing later either.
    let later = served
        .app
        .evaluate_alerts(Some(&target), hours(now, 2))
        .unwrap();
    assert_eq!((later.accounts, later.opened), (0, 0), "{later:?}");
}
