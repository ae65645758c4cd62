//! Tasks over HTTP (issue 23, item 3): a person makes, lists, completes and
//! dismisses tasks on the accounts in their scope, each audited; bad bodies
//! are 400s naming the field; the playbooks' plays become tasks once however
//! often alerts are evaluated, again only 30 days after one is closed, and
//! never for a churned account.

use rapport_core::access::Role;
use rapport_core::scoring::model::Model;
use rapport_core::{ExternalId, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Served, get, send, send_as, serve_portfolio};

fn wall_now() -> Timestamp {
    Timestamp::from_millis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    )
}

fn days_after(instant: Timestamp, days: i64) -> Timestamp {
    Timestamp::from_millis(instant.millis() + days * 86_400_000)
}

fn ids(tasks: &Value) -> Vec<i64> {
    tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|task| task["id"].as_i64().unwrap())
        .collect()
}

async fn audit_actions(served: &Served) -> Vec<String> {
    let (status, page) = get(served, "/api/audit?action=task&limit=100").await;
    assert_eq!(status, 200, "{page}");
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["action"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_makes_lists_completes_and_dismisses_tasks_each_audited() {
    let served = serve_portfolio(4, 30, Model::prd070()).await;
    let account = served.app.accounts().unwrap()[0].clone();
    let path = format!("/api/accounts/{}/tasks", account.id);
    let today = wall_now().date();
    let (status, first) = send(
        &served,
        Method::POST,
        &path,
        Some(json!({"title": "Call about the renewal", "detail": "<b>soon</b>", "due": today.to_string()})),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["owner"], account.csm.as_str(), "the CSM by default");
    assert_eq!(first["account"], account.external_id.as_str());
    assert_eq!(first["accountName"], account.name.as_str());
    assert_eq!(
        first["source"],
        json!({"kind": "person", "by": "test admin"})
    );
    assert_eq!(first["createdBy"], "test admin");
    assert_eq!(first["state"], json!({"status": "open"}));
    assert_eq!(first["due"], today.to_string());
    let (status, second) = send(
        &served,
        Method::POST,
        &format!("/api/accounts/{}/tasks", account.name),
        Some(json!({"title": "Send the deck", "owner": "test admin"})),
    )
    .await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["owner"], "test admin");
    assert_eq!(
        second["due"],
        (today + chrono::Days::new(7)).to_string(),
        "a week from today by default"
    );
    let (status, listed) = get(&served, &format!("/api/tasks?account={}", account.id)).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(
        ids(&listed),
        [
            first["id"].as_i64().unwrap(),
            second["id"].as_i64().unwrap()
        ],
        "soonest due first"
    );

    let complete = format!("/api/tasks/{}/complete", first["id"]);
    let (status, completed) = send(&served, Method::POST, &complete, None).await;
    assert_eq!(status, 200, "{completed}");
    assert_eq!(completed["state"]["status"], "completed");
    assert_eq!(completed["state"]["by"], "test admin");
    let (status, again) = send(&served, Method::POST, &complete, None).await;
    assert_eq!(status, 409, "{again}");
    let dismiss = format!("/api/tasks/{}/dismiss", second["id"]);
    let (status, dismissed) = send(
        &served,
        Method::POST,
        &dismiss,
        Some(json!({"reason": "done by phone"})),
    )
    .await;
    assert_eq!(status, 200, "{dismissed}");
    assert_eq!(dismissed["state"]["status"], "dismissed");
    assert_eq!(dismissed["state"]["reason"], "done by phone");
    let (status, _) = send(&served, Method::POST, &dismiss, None).await;
    assert_eq!(status, 409);
    let (_, open) = get(&served, "/api/tasks").await;
    assert!(ids(&open).is_empty(), "open by default: {open}");
    let (_, all) = get(&served, "/api/tasks?status=all").await;
    assert_eq!(ids(&all).len(), 2);
    let (_, done) = get(&served, "/api/tasks?status=completed").await;
    assert_eq!(ids(&done), [first["id"].as_i64().unwrap()]);
    let (_, mine) = get(&served, "/api/tasks?status=all&owner=TEST%20ADMIN").await;
    assert_eq!(ids(&mine), [second["id"].as_i64().unwrap()]);
    let (_, early) = get(
        &served,
        &format!(
            "/api/tasks?status=all&dueBefore={}",
            today + chrono::Days::new(1)
        ),
    )
    .await;
    assert_eq!(ids(&early), [first["id"].as_i64().unwrap()]);

    let mut actions = audit_actions(&served).await;
    actions.sort();
    assert_eq!(
        actions,
        [
            "task.complete",
            "task.create",
            "task.create",
            "task.dismiss"
        ],
        "one entry per change, none for a refused one"
    );
    let (_, page) = get(&served, "/api/audit?action=task.dismiss").await;
    let entry = &page["entries"][0];
    assert_eq!(entry["actorName"], "test admin");
    assert_eq!(entry["account"], account.external_id.as_str());
    assert_eq!(entry["before"]["state"]["status"], "open");
    assert_eq!(entry["after"]["state"]["reason"], "done by phone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_task_requests_are_400s_naming_the_field_and_write_nothing() {
    let served = serve_portfolio(3, 30, Model::prd070()).await;
    let account = served.app.accounts().unwrap()[0].id.to_string();
    let path = format!("/api/accounts/{account}/tasks");
    let long = "x".repeat(201);
    let cases = [
        (json!({}), "title"),
        (json!({"title": " "}), "title"),
        (json!({"title": long}), "title"),
        (
            json!({"title": "t", "detail": "x".repeat(10_001)}),
            "detail",
        ),
        (json!({"title": "t", "due": "next week"}), "due"),
        (json!({"title": "t", "due": "1999-01-01"}), "due"),
        (json!({"title": "t", "due": "2999-01-01"}), "due"),
        (json!({"title": "t", "owner": "nobody at all"}), "owner"),
        (json!({"title": "t", "status": "completed"}), "status"),
        (json!({"title": "t", "by": "someone else"}), "by"),
        (json!(["t"]), "body"),
    ];
    for (body, field) in cases {
        let (status, error) = send(&served, Method::POST, &path, Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {error}");
        assert_eq!(error["parameter"], field, "{body}: {error}");
    }
    for (query, field) in [("status=later", "status"), ("dueBefore=soon", "dueBefore")] {
        let (status, error) = get(&served, &format!("/api/tasks?{query}")).await;
        assert_eq!(status, 400, "{query}: {error}");
        assert_eq!(error["parameter"], field);
    }
    let (status, error) = send(
        &served,
        Method::POST,
        "/api/tasks/1/dismiss",
        Some(json!({"why": "x"})),
    )
    .await;
    assert_eq!((status, error["parameter"].as_str()), (400, Some("why")));
    let (status, _) = send(&served, Method::POST, "/api/tasks/424242/complete", None).await;
    assert_eq!(status, 404);
    let (_, all) = get(&served, "/api/tasks?status=all").await;
    assert!(ids(&all).is_empty());
    assert!(audit_actions(&served).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csm_works_on_their_accounts_tasks_only_and_a_viewer_only_reads() {
    let served = serve_portfolio(6, 30, Model::prd070()).await;
    let accounts = served.app.accounts().unwrap();
    let own = accounts[0].clone();
    let other = accounts
        .iter()
        .find(|account| {
            account.csm != own.csm && account.manager.as_deref() != Some(own.csm.as_str())
        })
        .expect("a portfolio of two CSMs")
        .clone();
    let csm = served.token_of(&own.csm, Role::Csm);
    let viewer = served.token_of("a viewer", Role::Viewer);
    let body = || Some(json!({"title": "Check in"}));
    let (status, theirs) = send(
        &served,
        Method::POST,
        &format!("/api/accounts/{}/tasks", other.id),
        body(),
    )
    .await;
    assert_eq!(status, 201, "the admin: {theirs}");
    let (status, mine) = send_as(
        &served,
        &csm,
        Method::POST,
        &format!("/api/accounts/{}/tasks", own.id),
        body(),
    )
    .await;
    assert_eq!(status, 201, "{mine}");
    assert_eq!(mine["createdBy"], own.csm.as_str());
    let (status, _) = send_as(
        &served,
        &csm,
        Method::POST,
        &format!("/api/accounts/{}/tasks", other.id),
        body(),
    )
    .await;
    assert_eq!(status, 404, "another's account does not exist for them");
    for action in ["complete", "dismiss"] {
        let (status, _) = send_as(
            &served,
            &csm,
            Method::POST,
            &format!("/api/tasks/{}/{action}", theirs["id"]),
            None,
        )
        .await;
        assert_eq!(status, 404, "{action}");
    }
    let (_, listed) = send_as(&served, &csm, Method::GET, "/api/tasks", None).await;
    assert_eq!(ids(&listed), [mine["id"].as_i64().unwrap()]);
    let (status, _) = send_as(
        &served,
        &csm,
        Method::GET,
        &format!("/api/tasks?account={}", other.id),
        None,
    )
    .await;
    assert_eq!(status, 404);

    let (status, _) = send_as(
        &served,
        &viewer,
        Method::POST,
        &format!("/api/accounts/{}/tasks", own.id),
        body(),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = send_as(
        &served,
        &viewer,
        Method::POST,
        &format!("/api/tasks/{}/complete", mine["id"]),
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, listed) = send_as(&served, &viewer, Method::GET, "/api/tasks", None).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&listed).len(), 2, "a viewer reads every account's");
    let (_, state) = get(
        &served,
        &format!("/api/tasks?status=all&account={}", own.id),
    )
    .await;
    assert_eq!(
        state[0]["state"]["status"], "open",
        "nothing closed by a refusal"
    );
}

/// The open playbook tasks of each account, as (account, play key).
async fn playbook_tasks(served: &Served) -> Vec<(String, String, i64)> {
    let (status, open) = get(served, "/api/tasks").await;
    assert_eq!(status, 200);
    let mut found: Vec<(String, String, i64)> = open
        .as_array()
        .unwrap()
        .iter()
        .filter(|task| task["source"]["kind"] == "playbook")
        .map(|task| {
            (
                task["account"].as_str().unwrap().to_string(),
                format!("{}:{}", task["source"]["playbook"], task["source"]["play"]),
                task["id"].as_i64().unwrap(),
            )
        })
        .collect();
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn playbook_plays_become_tasks_once_again_only_after_30_days_and_never_when_churned() {
    let served = serve_portfolio(8, 60, Model::prd070()).await;
    let now = wall_now();
    served.app.evaluate_alerts(None, now).unwrap();
    let first = playbook_tasks(&served).await;
    assert!(
        first.len() >= 4,
        "months after the data ends, champions have gone quiet: {first:?}"
    );
    let mut keys: Vec<(String, String)> = first
        .iter()
        .map(|(account, key, _)| (account.clone(), key.clone()))
        .collect();
    keys.dedup();
    assert_eq!(keys.len(), first.len(), "one open task per (account, play)");
    let (_, one) = get(&served, &format!("/api/tasks?account={}", first[0].0)).await;
    let task = one
        .as_array()
        .unwrap()
        .iter()
        .find(|task| task["id"] == first[0].2)
        .unwrap();
    assert_eq!(task["createdBy"], "rapport");
    let csm = served
        .app
        .accounts()
        .unwrap()
        .into_iter()
        .find(|account| account.external_id.as_str() == first[0].0)
        .unwrap()
        .csm;
    assert_eq!(task["owner"], csm.as_str(), "the account's CSM");
    assert!(task["detail"].as_str().unwrap().contains(':'), "{task}");

    // However often alerts are evaluated: the same tasks.
    for hours in [0, 1, 2] {
        served
            .app
            .evaluate_alerts(
                None,
                Timestamp::from_millis(now.millis() + hours * 3_600_000),
            )
            .unwrap();
    }
    served
        .app
        .evaluate_alerts(Some(&ExternalId::parse(&first[0].0).unwrap()), now)
        .unwrap();
    assert_eq!(playbook_tasks(&served).await, first);

    // A dismissed one and a completed one stay closed for 30 days, then
    // open again (the plays are still in force); the open ones never twice.
    let (dismissed, completed) = (&first[0], &first[1]);
    let (status, _) = send(
        &served,
        Method::POST,
        &format!("/api/tasks/{}/dismiss", dismissed.2),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = send(
        &served,
        Method::POST,
        &format!("/api/tasks/{}/complete", completed.2),
        None,
    )
    .await;
    assert_eq!(status, 200);
    served
        .app
        .evaluate_alerts(None, days_after(now, 29))
        .unwrap();
    assert_eq!(playbook_tasks(&served).await, first[2..].to_vec());
    served
        .app
        .evaluate_alerts(None, days_after(now, 31))
        .unwrap();
    let later = playbook_tasks(&served).await;
    assert_eq!(later.len(), first.len(), "{later:?}");
    for (account, key, id) in &later[..] {
        let before = first
            .iter()
            .find(|(was, was_key, _)| was == account && was_key == key)
            .unwrap();
        if before.2 == dismissed.2 || before.2 == completed.2 {
            assert!(*id > before.2, "a new task, a new id");
        } else {
            assert_eq!(*id, before.2);
        }
    }

    // A churned account gets none: its closed tasks do not come back.
    let churning = ExternalId::parse(&dismissed.0).unwrap();
    let (_, theirs) = get(&served, &format!("/api/tasks?account={churning}")).await;
    for id in ids(&theirs) {
        let (status, _) = send(
            &served,
            Method::POST,
            &format!("/api/tasks/{id}/dismiss"),
            None,
        )
        .await;
        assert_eq!(status, 200);
    }
    let store = served.app.store();
    let mut account = store.account(&churning).unwrap().unwrap();
    account.status = rapport_core::AccountStatus::Churned;
    store.upsert_accounts(&[account]).unwrap();
    served.app.catch_up().unwrap();
    served
        .app
        .evaluate_alerts(None, days_after(now, 70))
        .unwrap();
    let last = playbook_tasks(&served).await;
    assert!(
        last.iter()
            .all(|(account, _, _)| account != churning.as_str()),
        "{last:?}"
    );
    assert!(
        last.iter()
            .any(|(account, _, _)| account != churning.as_str()),
        "the others' still open: {last:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alerts_task_is_one_open_at_a_time_and_of_its_own_account() {
    let served = serve_portfolio(6, 60, Model::prd070()).await;
    served.app.evaluate_alerts(None, wall_now()).unwrap();
    let (_, alerts) = get(&served, "/api/alerts?status=all").await;
    let alert = alerts
        .as_array()
        .unwrap()
        .first()
        .expect("an alert")
        .clone();
    let account = alert["account"].as_str().unwrap().to_string();
    let other = served
        .app
        .accounts()
        .unwrap()
        .into_iter()
        .find(|listed| listed.external_id.as_str() != account)
        .unwrap()
        .external_id
        .to_string();
    let body = json!({"title": "Handle the alert", "alertId": alert["id"]});
    let path = format!("/api/accounts/{account}/tasks");
    let (status, task) = send(&served, Method::POST, &path, Some(body.clone())).await;
    assert_eq!(status, 201, "{task}");
    assert_eq!(
        task["source"],
        json!({"kind": "alert", "alertId": alert["id"]})
    );
    let (status, again) = send(&served, Method::POST, &path, Some(body.clone())).await;
    assert_eq!(status, 409, "one open task per alert: {again}");
    let (status, error) = send(
        &served,
        Method::POST,
        &format!("/api/accounts/{other}/tasks"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(
        (status, error["parameter"].as_str()),
        (400, Some("alertId"))
    );
    let (status, error) = send(
        &served,
        Method::POST,
        &path,
        Some(json!({"title": "t", "alertId": 424242})),
    )
    .await;
    assert_eq!(
        (status, error["parameter"].as_str()),
        (400, Some("alertId"))
    );
    let (status, _) = send(
        &served,
        Method::POST,
        &format!("/api/tasks/{}/complete", task["id"]),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, next) = send(&served, Method::POST, &path, Some(body)).await;
    assert_eq!(status, 201, "closed, the alert may have another: {next}");
}
