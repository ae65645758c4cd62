//! The audit log over HTTP (issue 22, item 4): every change a person makes
//! leaves exactly one entry naming them, with the record before and after;
//! a refused change leaves none; only admins read it; no entry holds a
//! secret (a token, a webhook's signing secret, a share link's token).

use rapport_core::access::Role;
use rapport_core::scoring::model::Model;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Served, import_instant, send, send_as, serve_portfolio};

const ACCOUNT: &str = "acc-0002";
const SUCCESS: &str = "/api/intelligence/success-metrics/acc-0002";

async fn entries(served: &Served, query: &str) -> Vec<Value> {
    let (status, page) = send(served, Method::GET, &format!("/api/audit{query}"), None).await;
    assert_eq!(status, 200, "{page}");
    page["entries"].as_array().unwrap().clone()
}

/// Makes a change as `token`, expects `status`, and returns the one entry it
/// left (or checks it left none when `action` is `None`).
async fn change(
    served: &Served,
    token: &str,
    (method, path, body): (Method, String, Option<Value>),
    status: u16,
    action: Option<&str>,
) -> Option<Value> {
    let before = entries(served, "?limit=1000").await.len();
    let (got, answer) = send_as(served, token, method.clone(), &path, body).await;
    assert_eq!(got, status, "{method} {path}: {answer}");
    let after = entries(served, "?limit=1000").await;
    match action {
        None => {
            assert_eq!(after.len(), before, "{method} {path} left an entry");
            None
        }
        Some(action) => {
            assert_eq!(after.len(), before + 1, "{method} {path}: one entry");
            assert_eq!(after[0]["action"], action, "{method} {path}: {}", after[0]);
            Some(after[0].clone())
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_a_person_makes_leaves_one_entry_and_a_refused_one_none() {
    let served = serve_portfolio(6, 60, Model::prd070()).await;
    let app = &served.app;
    let accounts = app.accounts().unwrap();
    let account = accounts
        .iter()
        .find(|account| account.external_id.as_str() == ACCOUNT)
        .unwrap();
    let csm_name = account.csm.clone();
    let csm = served.token_of(&csm_name, Role::Csm);
    let other = accounts
        .iter()
        .find(|other| other.csm != csm_name && other.manager.as_deref() != Some(&csm_name))
        .unwrap()
        .external_id
        .to_string();
    let admin = served.token.clone();
    let post = |path: &str, body: Value| (Method::POST, path.to_string(), Some(body));

    // Goals, metrics and measurements, by the account's CSM.
    let goal = json!({
        "title": "Reduce support tickets", "startDate": "2025-07-01", "targetDate": "2026-06-30",
        "metrics": [{"category": "operational", "name": "Tickets per month", "baseline": 120,
                     "target": 60, "unit": "tickets", "direction": "lower_is_better"}]
    });
    let entry = change(
        &served,
        &csm,
        post(&format!("{SUCCESS}/goals"), goal.clone()),
        201,
        Some("goal.create"),
    )
    .await
    .unwrap();
    assert_eq!(entry["actorName"], csm_name.as_str());
    assert_eq!(entry["account"], ACCOUNT);
    assert_eq!(
        (entry["subjectKind"].as_str(), entry["subjectId"].as_str()),
        (Some("goal"), Some("goal-1"))
    );
    assert_eq!(entry["before"], Value::Null);
    assert_eq!(entry["after"]["title"], "Reduce support tickets");
    let mut renamed = goal.clone();
    renamed["title"] = json!("Halve support tickets");
    let entry = change(
        &served,
        &csm,
        (
            Method::PUT,
            format!("{SUCCESS}/goals/goal-1"),
            Some(renamed),
        ),
        200,
        Some("goal.replace"),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            entry["before"]["title"].as_str(),
            entry["after"]["title"].as_str()
        ),
        (
            Some("Reduce support tickets"),
            Some("Halve support tickets")
        )
    );
    let metric = entry["after"]["metrics"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let entry = change(
        &served,
        &csm,
        post(
            &format!("{SUCCESS}/metrics/{metric}/measurements"),
            json!({"value": 90}),
        ),
        201,
        Some("measurement.record"),
    )
    .await
    .unwrap();
    assert_eq!(
        (entry["subjectKind"].as_str(), entry["subjectId"].as_str()),
        (Some("measurement"), Some(metric.as_str()))
    );
    change(
        &served,
        &csm,
        (
            Method::PUT,
            format!("{SUCCESS}/metrics/{metric}"),
            Some(
                json!({"category": "operational", "name": "Tickets a month", "baseline": 120,
                        "target": 50, "direction": "lower_is_better"}),
            ),
        ),
        200,
        Some("metric.edit"),
    )
    .await;
    change(
        &served,
        &csm,
        post(&format!("{SUCCESS}/goals"), goal.clone()),
        201,
        Some("goal.create"),
    )
    .await;
    change(
        &served,
        &csm,
        (Method::DELETE, format!("{SUCCESS}/metrics/goal-2-m1"), None),
        204,
        Some("metric.delete"),
    )
    .await;
    let entry = change(
        &served,
        &csm,
        (Method::DELETE, format!("{SUCCESS}/goals/goal-2"), None),
        204,
        Some("goal.delete"),
    )
    .await
    .unwrap();
    assert_eq!(entry["after"], Value::Null);

    // Refused changes leave nothing: invalid, unknown, outside the CSM's scope.
    let mut invalid = goal.clone();
    invalid["title"] = json!("");
    change(
        &served,
        &csm,
        post(&format!("{SUCCESS}/goals"), invalid),
        400,
        None,
    )
    .await;
    change(
        &served,
        &csm,
        (Method::DELETE, format!("{SUCCESS}/goals/goal-404"), None),
        404,
        None,
    )
    .await;
    let elsewhere = format!("/api/intelligence/success-metrics/{other}/goals");
    change(&served, &csm, post(&elsewhere, goal.clone()), 404, None).await;

    // Overrides.
    let overrides = format!("/api/intelligence/overrides/{ACCOUNT}/prd070-engagement");
    let entry = change(
        &served,
        &csm,
        (
            Method::PUT,
            overrides.clone(),
            Some(json!({"value": 55, "reason": "Calls are not logged yet"})),
        ),
        201,
        Some("override.set"),
    )
    .await
    .unwrap();
    assert_eq!(entry["after"]["new"], 55.0);
    change(
        &served,
        &csm,
        (
            Method::DELETE,
            overrides.clone(),
            Some(json!({"reason": "logged now"})),
        ),
        204,
        Some("override.remove"),
    )
    .await;

    // Alert actions, by the admin.
    let (status, _) = send(
        &served,
        Method::POST,
        "/api/alerts/evaluate",
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, alerts) = send(&served, Method::GET, "/api/alerts", None).await;
    let id = alerts[0]["id"].as_i64().expect("an alert to act on");
    let wall_clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let until = rapport_core::Timestamp::from_millis(wall_clock)
        .plus_days(2)
        .to_rfc3339();
    for (action, body) in [
        ("acknowledge", json!({})),
        ("snooze", json!({"until": until})),
        ("resolve", json!({"note": "spoke to the sponsor"})),
    ] {
        let entry = change(
            &served,
            &admin,
            post(&format!("/api/alerts/{id}/{action}"), body),
            200,
            Some(&format!("alert.{action}")),
        )
        .await
        .unwrap();
        assert_eq!(entry["actorName"], "test admin");
        assert_eq!(entry["subjectId"], id.to_string());
    }

    // Webhooks: the secret is in no entry.
    let secret = "the-webhook-signing-secret-9f8e";
    let entry = change(
        &served,
        &admin,
        post(
            "/api/webhooks",
            json!({"url": "https://hooks.example.com/rapport", "secret": secret}),
        ),
        201,
        Some("webhook.add"),
    )
    .await
    .unwrap();
    let hook = entry["subjectId"].as_str().unwrap().to_string();
    change(
        &served,
        &admin,
        (Method::DELETE, format!("/api/webhooks/{hook}"), None),
        204,
        Some("webhook.remove"),
    )
    .await;

    // Share links: the token is in no entry.
    let entry = change(
        &served,
        &csm,
        post(&format!("{SUCCESS}/value-report/share-links"), json!({})),
        201,
        Some("share_link.create"),
    )
    .await
    .unwrap();
    let link = entry["subjectId"].as_str().unwrap().to_string();
    change(
        &served,
        &csm,
        (Method::DELETE, format!("/api/share-links/{link}"), None),
        200,
        Some("share_link.revoke"),
    )
    .await;
    let shared = app
        .create_share_link(
            &app.person("test admin").unwrap(),
            ACCOUNT,
            &Default::default(),
            import_instant(),
        )
        .unwrap();

    // Users and tokens (the command line's use cases), by the admin.
    let admin_person = app.person("test admin").unwrap();
    let now = import_instant();
    let so_far = entries(&served, "?limit=1000").await.len();
    app.create_user(&admin_person, "Casey New", None, Role::Viewer, now)
        .unwrap();
    app.set_user_role(&admin_person, "Casey New", Role::Leader, now)
        .unwrap();
    app.disable_user(&admin_person, "Casey New", now).unwrap();
    app.enable_user(&admin_person, "Casey New", now).unwrap();
    let made = app
        .create_token(&admin_person, "Casey New", "laptop", None, now)
        .unwrap();
    app.revoke_token(&admin_person, made.listing.id, now)
        .unwrap();
    assert!(
        app.set_user_role(&admin_person, "nobody at all", Role::Leader, now)
            .is_err()
    );
    assert_eq!(entries(&served, "?limit=1000").await.len(), so_far + 6);
    let newest = entries(&served, "?limit=6").await;
    let actions: Vec<&str> = newest
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "token.revoke",
            "token.create",
            "user.enable",
            "user.disable",
            "user.role",
            "user.create"
        ]
    );
    assert!(
        newest
            .iter()
            .all(|entry| entry["actorName"] == "test admin")
    );
    assert_eq!(
        (
            newest[4]["before"]["role"].as_str(),
            newest[4]["after"]["role"].as_str()
        ),
        (Some("viewer"), Some("leader"))
    );

    // No secret anywhere in the log.
    let (_, everything) = send(&served, Method::GET, "/api/audit?limit=1000", None).await;
    let text = everything.to_string();
    let share_token = shared.path.trim_start_matches("/share/");
    for secret in [
        secret,
        made.token.as_str(),
        served.token.as_str(),
        share_token,
        &csm,
    ] {
        assert!(!text.contains(secret), "a secret in the audit log");
    }
    assert!(!text.contains("Hash") && !text.contains("hash"), "{text}");

    // Filters: account, user, action or kind, paging.
    let of_account = entries(&served, &format!("?account={ACCOUNT}&limit=1000")).await;
    assert!(of_account.iter().all(|entry| entry["account"] == ACCOUNT));
    let by_csm = entries(
        &served,
        &format!("?user={}&limit=1000", csm_name.replace(' ', "%20")),
    )
    .await;
    assert!(
        !by_csm.is_empty()
            && by_csm
                .iter()
                .all(|entry| entry["actorName"] == csm_name.as_str())
    );
    let goals = entries(&served, "?action=goal&limit=1000").await;
    assert_eq!(goals.len(), 4);
    let (_, first) = send(&served, Method::GET, "/api/audit?limit=2", None).await;
    let next = first["nextBefore"].as_i64().unwrap();
    let (_, second) = send(
        &served,
        Method::GET,
        &format!("/api/audit?limit=2&before={next}"),
        None,
    )
    .await;
    assert!(second["entries"][0]["id"].as_i64().unwrap() < next);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_read_the_log_and_bad_filters_name_themselves() {
    let served = serve_portfolio(4, 20, Model::prd070()).await;
    for role in [Role::Viewer, Role::Csm, Role::Leader] {
        let token = served.token_of(&format!("a {role}"), role);
        let (status, body) = send_as(&served, &token, Method::GET, "/api/audit", None).await;
        assert_eq!(status, 403, "{role}: {body}");
    }
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("before=-3", "before"),
        ("since=last%20week", "since"),
        ("until=soon", "until"),
        ("since=2026-02-01&until=2026-01-01", "until"),
        ("action=goal.explode", "action"),
        ("user=nobody%20at%20all", "user"),
    ] {
        let (status, body) = send(&served, Method::GET, &format!("/api/audit?{query}"), None).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["parameter"], field, "{query}: {body}");
    }
    let (status, body) = send(
        &served,
        Method::GET,
        "/api/audit?account=no-such-account",
        None,
    )
    .await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_show_and_its_taking_back_are_audited_once_each() {
    let served = serve_portfolio(3, 30, Model::prd070()).await;
    let account = rapport_core::ExternalId::parse("acc-0001").unwrap();
    let contact = served.app.store().account_contacts(&account).unwrap()[0]
        .email
        .as_str()
        .to_string();
    let calendar = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Rapport tests//EN",
        "BEGIN:VEVENT",
        "UID:held-review@example.com",
        "DTSTART:20260120T150000Z",
        "DTEND:20260120T160000Z",
        "ORGANIZER:mailto:csm@ourco.example",
        &format!("ATTENDEE;PARTSTAT=ACCEPTED:mailto:{contact}"),
        "SUMMARY:Weekly business review",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    .join("\r\n");
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("calendar.ics");
    std::fs::write(&path, calendar).unwrap();
    let options = rapport_ingest::calendar::CalendarOptions {
        team_domains: vec!["ourco.example".into()],
        now: import_instant(),
        until: None,
    };
    let before_import = entries(&served, "").await.len();
    let report = served
        .app
        .import_calendar(&path, &options, &rapport_ingest::NoProgress)
        .unwrap();
    assert_eq!(report.file.inserted, 1);
    assert_eq!(
        entries(&served, "").await.len(),
        before_import,
        "an import is not a person's change"
    );

    let admin = served.token.clone();
    let meeting = "/api/accounts/acc-0001/meetings/held-review@example.com";
    let post = |action: &str| (Method::POST, format!("{meeting}/{action}"), Some(json!({})));
    let entry = change(
        &served,
        &admin,
        post("no-show"),
        201,
        Some("meeting.no_show"),
    )
    .await
    .unwrap();
    assert_eq!(
        (entry["subjectKind"].as_str(), entry["subjectId"].as_str()),
        (Some("meeting"), Some("held-review@example.com"))
    );
    assert_eq!(entry["account"], "acc-0001");
    assert_eq!(entry["before"]["status"], "attended");
    assert_eq!(entry["after"]["status"], "no_show");
    change(&served, &admin, post("no-show"), 200, None).await;
    let entry = change(
        &served,
        &admin,
        post("attended"),
        201,
        Some("meeting.attended"),
    )
    .await
    .unwrap();
    assert_eq!(entry["before"]["status"], "no_show");
    change(
        &served,
        &admin,
        (
            Method::POST,
            "/api/accounts/acc-0001/meetings/nothing@example.com/no-show".into(),
            Some(json!({})),
        ),
        404,
        None,
    )
    .await;
}
