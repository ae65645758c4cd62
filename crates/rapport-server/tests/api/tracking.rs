//! The tracking API over HTTP: Segment's `/v1/*` calls and
//! `POST /api/activities` against a served store, with write keys made by the
//! application (what `rapport keys create` does): authentication, limits,
//! gzip, per-event errors, de-duplication, clock skew, accounts and contacts
//! from group and identify, held events, the full queue's 429, and a served
//! engagement score that moves within a second of an acknowledgement.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rapport_core::scoring::model::Model;
use rapport_core::{ExternalId, Timestamp};
use serde_json::{Value, json};

use super::support::{Served, get, serve_portfolio};

fn now() -> Timestamp {
    Timestamp::from_millis(chrono::Utc::now().timestamp_millis())
}

async fn served_with_key() -> (Served, String) {
    let served = serve_portfolio(3, 30, Model::prd070()).await;
    let key = served
        .app
        .create_write_key(&rapport_core::access::Person::operator(), "tests", now())
        .unwrap()
        .key;
    (served, key)
}

/// A POST with the key as HTTP Basic user name (when given).
async fn post(
    served: &Served,
    path: &str,
    key: Option<&str>,
    body: Vec<u8>,
    gzip: bool,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let client = reqwest::Client::new();
    let mut request = client
        .post(format!("{}{path}", served.base))
        .header("content-type", "application/json");
    if let Some(key) = key {
        request = request.basic_auth(key, Some(""));
    }
    let body = if gzip {
        request = request.header("content-encoding", "gzip");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&body).unwrap();
        encoder.finish().unwrap()
    } else {
        body
    };
    let response = request.body(body).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, value)
}

async fn batch(served: &Served, key: &str, events: Value) -> (u16, Value) {
    let (status, _, body) = post(
        served,
        "/v1/batch",
        Some(key),
        json!({ "batch": events }).to_string().into_bytes(),
        false,
    )
    .await;
    (status, body)
}

fn external(id: &str) -> ExternalId {
    ExternalId::parse(id).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identify_group_and_track_make_an_account_a_contact_and_activities() {
    let (served, key) = served_with_key().await;
    let (status, body) = batch(
        &served,
        &key,
        json!([
            {"type": "identify", "userId": "u-ana", "traits": {"email": "ana@acme.test", "name": "Ana Silva", "role": "champion"}, "messageId": "m1"},
            {"type": "group", "userId": "u-ana", "groupId": "acme", "traits": {"name": "Acme Tracking", "tier": "strategic", "arr": 120000}, "messageId": "m2"},
            {"type": "track", "userId": "u-ana", "event": "Signed In", "messageId": "m3"},
            {"type": "track", "userId": "u-ana", "event": "Feature Used", "properties": {"feature": "reports"}, "messageId": "m4"},
            {"type": "page", "userId": "u-ana", "name": "Home", "messageId": "m5"},
            {"type": "track", "userId": "u-bo", "event": "Signed In", "messageId": "m6"},
            {"type": "track", "event": "Signed In"},
            {"type": "track", "userId": "u-ana", "event": "Feature Used", "messageId": "m8"},
        ]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(
        (
            &body["recorded"],
            &body["ignored"],
            &body["held"],
            &body["duplicates"]
        ),
        (&json!(4), &json!(1), &json!(1), &json!(0)),
        "{body}"
    );
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{body}");
    assert_eq!(errors[0]["index"], 6);
    assert!(errors[0]["reason"].as_str().unwrap().contains("userId"));
    assert_eq!(errors[1]["index"], 7);
    assert_eq!(errors[1]["messageId"], "m8");
    assert!(
        errors[1]["reason"]
            .as_str()
            .unwrap()
            .contains("properties.feature")
    );

    let (status, account) = get(&served, "/api/accounts/acme").await;
    assert_eq!(status, 200, "{account}");
    assert_eq!(account["name"], "Acme Tracking");
    assert_eq!(account["tier"], "strategic");
    assert_eq!(account["contacts"][0]["email"], "ana@acme.test");
    assert_eq!(account["contacts"][0]["role"], "champion");
    let activities = served
        .app
        .store()
        .account_activities(&external("acme"))
        .unwrap();
    assert_eq!(activities.len(), 2);

    // The client retries the same batch: nothing counts twice.
    let (status, again) = batch(
        &served,
        &key,
        json!([
            {"type": "track", "userId": "u-ana", "event": "Signed In", "messageId": "m3"},
            {"type": "track", "userId": "u-ana", "event": "Feature Used", "properties": {"feature": "reports"}, "messageId": "m4"},
        ]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(again["duplicates"], 2, "{again}");
    assert_eq!(
        served
            .app
            .store()
            .account_activities(&external("acme"))
            .unwrap()
            .len(),
        2
    );

    // Bo's login waited for Bo's account, and is stored once Bo is grouped.
    let (_, grouped) = batch(
        &served,
        &key,
        json!([{"type": "group", "userId": "u-bo", "groupId": "acme", "messageId": "m9"}]),
    )
    .await;
    assert_eq!(grouped["recorded"], 1);
    assert_eq!(
        served
            .app
            .store()
            .account_activities(&external("acme"))
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_single_call_endpoint_and_the_ways_to_give_a_key() {
    let (served, key) = served_with_key().await;
    let calls = [
        (
            "/v1/group",
            json!({"userId": "u1", "groupId": "single", "traits": {"name": "Single Co"}}),
        ),
        (
            "/v1/identify",
            json!({"userId": "u1", "traits": {"email": "u1@single.test"}}),
        ),
        ("/v1/track", json!({"userId": "u1", "event": "Signed In"})),
        ("/v1/page", json!({"userId": "u1", "name": "Home"})),
        ("/v1/screen", json!({"userId": "u1", "name": "Home"})),
        ("/v1/alias", json!({"userId": "u1", "previousId": "anon-1"})),
    ];
    for (path, body) in calls {
        let (status, _, answer) = post(
            &served,
            path,
            Some(&key),
            body.to_string().into_bytes(),
            false,
        )
        .await;
        assert_eq!(status, 200, "{path}: {answer}");
        assert_eq!(answer["success"], true, "{path}: {answer}");
    }
    // writeKey in the body, no header.
    let (status, _, answer) = post(
        &served,
        "/v1/track",
        None,
        json!({"userId": "u1", "event": "Signed In", "writeKey": key})
            .to_string()
            .into_bytes(),
        false,
    )
    .await;
    assert_eq!((status, &answer["recorded"]), (200, &json!(1)), "{answer}");
    // A Bearer token, and gzip.
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{}/api/activities", served.base))
        .bearer_auth(&key)
        .body(json!({"type": "login", "account": "single", "at": "2026-01-05T10:00:00Z", "user": "u1"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (status, _, answer) = post(
        &served,
        "/v1/batch",
        Some(&key),
        json!({"batch": [{"type": "track", "userId": "u1", "event": "Signed In"}]})
            .to_string()
            .into_bytes(),
        true,
    )
    .await;
    assert_eq!((status, &answer["recorded"]), (200, &json!(1)), "{answer}");
    assert_eq!(
        served
            .app
            .store()
            .account_activities(&external("single"))
            .unwrap()
            .len(),
        4
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_required_and_revoked_keys_refused() {
    let (served, key) = served_with_key().await;
    let body = || {
        json!({"batch": [{"type": "track", "userId": "u", "event": "x"}]})
            .to_string()
            .into_bytes()
    };
    let (status, headers, answer) = post(&served, "/v1/batch", None, body(), false).await;
    assert_eq!(status, 401, "{answer}");
    assert!(headers.get("www-authenticate").is_some());
    let (status, _, _) = post(&served, "/v1/batch", Some("rk_not-a-key"), body(), false).await;
    assert_eq!(status, 401);
    let (status, _, _) = post(&served, "/v1/batch", Some(&key), body(), false).await;
    assert_eq!(status, 200);
    let id = served.app.write_keys().unwrap()[0].id;
    served
        .app
        .revoke_write_key(&rapport_core::access::Person::operator(), id, now())
        .unwrap();
    let (status, _, answer) = post(&served, "/v1/batch", Some(&key), body(), false).await;
    assert_eq!(status, 401, "{answer}");
    let (status, _, _) = post(
        &served,
        "/api/activities",
        Some(&key),
        b"[]".to_vec(),
        false,
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_answer_400_naming_the_limit_and_gzip_is_unpacked_within_them() {
    let (served, key) = served_with_key().await;
    let event = |size: usize| json!({"type": "track", "userId": "u", "event": "x", "properties": {"blob": "y".repeat(size)}});
    let (status, _, answer) = post(
        &served,
        "/v1/batch",
        Some(&key),
        json!({"batch": [event(10), event(33_000)]})
            .to_string()
            .into_bytes(),
        false,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("32 KB per event"),
        "{answer}"
    );
    let (status, _, answer) = post(
        &served,
        "/v1/track",
        Some(&key),
        event(33_000).to_string().into_bytes(),
        false,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("32 KB per event"),
        "{answer}"
    );
    // 600 KB of events, 30 KB each: over the batch limit, sent plain and gzipped.
    let big = json!({"batch": (0..20).map(|_| event(30_000)).collect::<Vec<_>>()})
        .to_string()
        .into_bytes();
    for gzip in [false, true] {
        let (status, _, answer) = post(&served, "/v1/batch", Some(&key), big.clone(), gzip).await;
        assert_eq!(status, 400, "gzip {gzip}: {answer}");
        assert!(
            answer["error"]
                .as_str()
                .unwrap()
                .contains("500 KB per batch"),
            "gzip {gzip}: {answer}"
        );
    }
    let (status, _, answer) = post(
        &served,
        "/v1/batch",
        Some(&key),
        b"{\"batch\": [".to_vec(),
        false,
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{}/v1/batch", served.base))
        .basic_auth(&key, Some(""))
        .header("content-encoding", "br")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_skew_is_corrected_from_sent_at() {
    let (served, key) = served_with_key().await;
    batch(
        &served,
        &key,
        json!([{"type": "group", "userId": "u", "groupId": "skew"}]),
    )
    .await;
    // The client's clock runs two hours fast; the event happened 10 s before it was sent.
    let fast = Timestamp::from_millis(now().millis() + 2 * 3_600_000);
    let before = now();
    let (status, body) = batch(
        &served,
        &key,
        json!([{
            "type": "track", "userId": "u", "event": "Signed In",
            "timestamp": Timestamp::from_millis(fast.millis() - 10_000).to_rfc3339(),
            "sentAt": fast.to_rfc3339(),
        }]),
    )
    .await;
    let after = now();
    assert_eq!(status, 200, "{body}");
    let stored = served
        .app
        .store()
        .account_activities(&external("skew"))
        .unwrap();
    assert_eq!(stored.len(), 1);
    let at = stored[0].at.millis();
    assert!(
        at >= before.millis() - 10_000 && at <= after.millis() - 10_000,
        "{} not 10 s before it was received",
        stored[0].at
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_activities_are_validated_per_record() {
    let (served, key) = served_with_key().await;
    let (_, accounts) = get(&served, "/api/accounts").await;
    let account = accounts[0]["externalId"].as_str().unwrap().to_string();
    let records = json!([
        {"type": "login", "account": account, "at": "2026-01-20T10:00:00Z", "user": "api-user", "id": "api-1"},
        {"type": "login", "account": "nobody", "at": "2026-01-20T10:00:00Z", "user": "api-user"},
        {"type": "nps", "account": account, "at": "2026-01-20T10:00:00Z", "score": 11},
        {"type": "login", "account": account, "user": "api-user"},
    ]);
    let (status, _, answer) = post(
        &served,
        "/api/activities",
        Some(&key),
        records.to_string().into_bytes(),
        false,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["inserted"], 1);
    let rejected = answer["rejected"].as_array().unwrap();
    let reasons: Vec<(u64, &str)> = rejected
        .iter()
        .map(|rejection| {
            (
                rejection["index"].as_u64().unwrap(),
                rejection["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(reasons.len(), 3, "{answer}");
    assert_eq!(reasons[0].0, 1);
    assert!(reasons[0].1.contains("field `account`"), "{answer}");
    assert_eq!(reasons[1].0, 2);
    assert!(reasons[1].1.contains("field `score`"), "{answer}");
    assert_eq!(reasons[2].0, 3);
    assert!(reasons[2].1.contains("`at`"), "{answer}");
    // The same record again is unchanged; a body where nothing can be stored is a 400.
    let (status, _, answer) = post(
        &served,
        "/api/activities",
        Some(&key),
        records[0].to_string().into_bytes(),
        false,
    )
    .await;
    assert_eq!((status, &answer["unchanged"]), (200, &json!(1)), "{answer}");
    let (status, _, answer) = post(
        &served,
        "/api/activities",
        Some(&key),
        json!([records[1]]).to_string().into_bytes(),
        false,
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["parameter"], "[0]", "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_served_engagement_score_moves_within_a_second_of_the_acknowledgement() {
    let (served, key) = served_with_key().await;
    tokio::spawn(rapport_server::workers::follow(Arc::clone(&served.app)));
    let (_, accounts) = get(&served, "/api/accounts").await;
    let account = accounts[0]["externalId"].as_str().unwrap().to_string();
    let path = format!("/api/intelligence/engagement/{account}");
    let (status, before) = get(&served, &path).await;
    assert_eq!(status, 200, "{before}");
    // A week of a product team's use, as the SDKs send it, ending now.
    let now = now().millis();
    let events: Vec<Value> = (0..400)
        .map(|index| {
            let user = format!("{account}-tracked-{}", index % 20);
            let at = Timestamp::from_millis(now - (index as i64) * 25 * 60_000).to_rfc3339();
            if index % 2 == 0 {
                json!({"type": "track", "userId": user, "event": "Signed In", "timestamp": at, "context": {"groupId": account}})
            } else {
                json!({"type": "track", "userId": user, "event": "Feature Used", "properties": {"feature": format!("feature-{}", index % 7)}, "timestamp": at, "context": {"groupId": account}})
            }
        })
        .collect();
    let (status, answer) = batch(&served, &key, json!(events)).await;
    let acknowledged = Instant::now();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["recorded"], 400, "{answer}");
    loop {
        let (status, after) = get(&served, &path).await;
        assert_eq!(status, 200);
        if after["overall"] != before["overall"] || after["factors"] != before["factors"] {
            eprintln!(
                "engagement {} → {} served {:?} after the acknowledgement",
                before["overall"],
                after["overall"],
                acknowledged.elapsed()
            );
            break;
        }
        assert!(
            acknowledged.elapsed() < Duration::from_secs(1),
            "the score did not move within a second of the acknowledgement"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_queue_answers_429_and_loses_nothing_it_accepted() {
    let (served, key) = served_with_key().await;
    served.app.set_tracking_queue_limit(10);
    batch(
        &served,
        &key,
        json!([{"type": "group", "userId": "q", "groupId": "queue"}]),
    )
    .await;
    // Another connection holds the database's write lock (as another
    // process's long import would): the writer waits on it.
    let other = rapport_store::open(&served.url).unwrap();
    let (locked, lock_held) = std::sync::mpsc::channel::<()>();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        other
            .edit_goals(
                &external("queue"),
                &rapport_store::audit::AuditDraft::new(
                    &rapport_core::access::Person::operator(),
                    rapport_store::audit::AuditAction::GoalCreate,
                    rapport_core::Timestamp::from_millis(0),
                ),
                &mut |_| {
                    locked.send(()).unwrap();
                    released.recv().unwrap();
                    None
                },
            )
            .unwrap();
    });
    lock_held.recv().unwrap();
    let events = |first: usize, count: usize| -> Value {
        json!((first..first + count)
            .map(|index| json!({"type": "track", "userId": "q", "event": "Signed In", "messageId": format!("q-{index}")}))
            .collect::<Vec<_>>())
    };
    let waiting = {
        let base = served.base.clone();
        let key = key.clone();
        let body = json!({ "batch": events(0, 6) }).to_string();
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/v1/batch"))
                .basic_auth(key, Some(""))
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    let started = Instant::now();
    while served.app.tracking_queued() < 6 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the first batch never queued"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (status, headers, answer) = post(
        &served,
        "/v1/batch",
        Some(&key),
        json!({ "batch": events(6, 6) }).to_string().into_bytes(),
        false,
    )
    .await;
    assert_eq!(status, 429, "{answer}");
    assert_eq!(headers.get("retry-after").unwrap(), "1");
    release.send(()).unwrap();
    holder.join().unwrap();
    assert_eq!(waiting.await.unwrap(), 200);
    // The refused batch, sent again, is taken; every event is stored once.
    let (status, answer) = batch(&served, &key, events(6, 6)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        served
            .app
            .store()
            .account_activities(&external("queue"))
            .unwrap()
            .len(),
        12
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_sends_contract_activities_for_the_accounts_they_see_only() {
    let served = serve_portfolio(6, 30, Model::prd070()).await;
    let (_, accounts) = get(&served, "/api/accounts").await;
    let accounts = accounts.as_array().unwrap();
    let own = &accounts[0];
    let csm = own["csm"].as_str().unwrap();
    let other = accounts
        .iter()
        .find(|account| account["csm"] != own["csm"] && account["manager"] != own["csm"])
        .expect("two CSMs");
    let csm_token = served.token_of(csm, rapport_core::access::Role::Csm);
    let viewer_token = served.token_of("a viewer", rapport_core::access::Role::Viewer);
    let record = |account: &Value, id: &str| {
        json!({"type": "login", "account": account["externalId"], "at": "2026-01-20T10:00:00Z",
               "user": "person-sent", "id": id})
    };
    let send = |token: String, body: Value| {
        let request = reqwest::Client::new()
            .post(format!("{}/api/activities", served.base))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_string());
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, answer) = send(
        csm_token.clone(),
        json!([record(own, "own-1"), record(other, "other-1")]),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["inserted"], 1, "{answer}");
    // Another CSM's account reads as unknown: its existence does not leak.
    let reason = answer["rejected"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("unknown account"), "{answer}");
    let (status, answer) = send(csm_token, json!([record(other, "other-2")])).await;
    assert_eq!(status, 400, "{answer}");
    // A viewer may not send; an admin may send for any account.
    let (status, _) = send(viewer_token, json!([record(own, "viewer-1")])).await;
    assert_eq!(status, 403);
    let (status, answer) = send(served.token.clone(), json!([record(other, "admin-1")])).await;
    assert_eq!((status, &answer["inserted"]), (200, &json!(1)), "{answer}");
    // Nothing was written to the other account by the CSM.
    let mut stored = 0;
    served
        .app
        .store()
        .activities_in(0, i64::MAX, &mut |_, activity| {
            if matches!(activity.source_id.as_deref(), Some("other-1" | "other-2")) {
                stored += 1;
            }
        })
        .unwrap();
    assert_eq!(stored, 0);
}
