//! Alert delivery end to end: a webhook subscription, alerts opened by an
//! evaluation, a local receiver that is down for a while (every attempt is
//! recorded and retried with backoff, nothing is lost), then up: every alert
//! arrives once, signed with HMAC-SHA256, with a Slack-compatible `text`.
//! And the hardening of issue 22: URLs that point where a webhook must not
//! are refused (when added, and at delivery against the resolved address),
//! a loopback receiver only through an allowed network, redirects not
//! followed, a slow receiver delaying no one else, a removed webhook's
//! deliveries dropped, and the signing secret never shown nor stored in
//! plain text.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use rapport_app::webhooks::{SecretKeySource, WebhookConfig};
use rapport_app::{App, AppConfig};
use rapport_core::Timestamp;
use rapport_core::alerts::delivery::AllowedNetworks;
use rapport_core::scoring::model::Model;
use serde_json::{Value, json};

use super::support::{Served, import_instant, portfolio, send, serve};

type Received = Arc<Mutex<Vec<(HeaderMap, String, Instant)>>>;

/// A receiver on a loopback port answering `status` after `delay`
/// (503 while `down`), recording what it was sent and when.
async fn receiver_answering(
    status: StatusCode,
    delay: Duration,
    down: Arc<AtomicBool>,
    received: Received,
    location: Option<String>,
) -> String {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let (down, received, location) =
                (Arc::clone(&down), Arc::clone(&received), location.clone());
            async move {
                let arrived = Instant::now();
                tokio::time::sleep(delay).await;
                let mut answer = HeaderMap::new();
                if let Some(location) = location {
                    answer.insert("location", location.parse().unwrap());
                }
                if down.load(Ordering::SeqCst) {
                    return (StatusCode::SERVICE_UNAVAILABLE, answer);
                }
                received.lock().unwrap().push((headers, body, arrived));
                (status, answer)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn receiver(down: Arc<AtomicBool>, received: Received) -> String {
    receiver_answering(StatusCode::OK, Duration::ZERO, down, received, None).await
}

fn up() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(false))
}

/// The configuration of a deployment whose admin allowed `allowed` (the
/// key file beside the database, as `rapport serve` keeps it).
fn config(folder: &std::path::Path, allowed: &[&str], timeout: Duration) -> AppConfig {
    AppConfig {
        webhooks: WebhookConfig {
            allowed_networks: AllowedNetworks::parse(allowed).unwrap(),
            secret_key: SecretKeySource::File(folder.join("rapport.db.key")),
            timeout,
        },
        ..AppConfig::shipped()
    }
}

/// A portfolio served by an application configured by `config`.
async fn serve_with(
    configure: impl FnOnce(&std::path::Path) -> AppConfig,
) -> (Served, std::path::PathBuf) {
    let (folder, url, shipped) = portfolio(6, 30, Model::prd070());
    drop(shipped);
    let path = folder.path().to_path_buf();
    let app = App::new(rapport_store::open(&url).unwrap(), configure(&path));
    (serve(folder, url, app).await, path)
}

/// Loopback receivers allowed, 10 s to answer.
async fn serve_allowing_loopback() -> (Served, std::path::PathBuf) {
    serve_with(|folder| config(folder, &["127.0.0.1/32"], Duration::from_secs(10))).await
}

async fn subscribe(served: &Served, url: &str, secret: &str) -> (u16, Value) {
    send(
        served,
        reqwest::Method::POST,
        "/api/webhooks",
        Some(json!({"url": url, "secret": secret})),
    )
    .await
}

/// Opens alerts to deliver: the store's first evaluation (a backlog,
/// delivered to no one) a day earlier on one account, then one at `now`,
/// which delivers what it opens. How many opened.
fn open_alerts(app: &App, now: Timestamp) -> usize {
    let baseline = rapport_core::ExternalId::parse("acc-0001").unwrap();
    let first_run = app
        .evaluate_alerts(Some(&baseline), now.minus_days(1))
        .unwrap();
    assert!(first_run.backlog.is_some());
    let run = app.evaluate_alerts(None, now).unwrap();
    assert!(run.opened > 0 && run.backlog.is_none());
    run.opened
}

/// Every delivery of one webhook.
fn deliveries_of(app: &App, webhook: i64) -> Vec<rapport_core::alerts::delivery::Delivery> {
    app.store()
        .deliveries(None)
        .unwrap()
        .into_iter()
        .filter(|delivery| delivery.webhook_id == webhook)
        .collect()
}

/// Whether any of the database's files holds `text`.
fn database_files_hold(folder: &std::path::Path, text: &str) -> bool {
    std::fs::read_dir(folder).unwrap().any(|entry| {
        let path = entry.unwrap().path();
        path.file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with("rapport.db"))
            && std::fs::read(&path)
                .unwrap()
                .windows(text.len())
                .any(|window| window == text.as_bytes())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_reach_a_receiver_that_was_down_signed_and_once() {
    let (served, folder) = serve_allowing_loopback().await;
    let (state, base) = (Arc::clone(&served.app), served.base.clone());
    let now = import_instant();

    let down = Arc::new(AtomicBool::new(true));
    let received: Received = Arc::default();
    let hook = receiver(Arc::clone(&down), Arc::clone(&received)).await;
    let client = served.client();
    let secret = "s3cret-signing-key";
    let (status, added) = subscribe(&served, &hook, secret).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["secret"], "set", "the secret is never echoed");
    assert_eq!(added["url"], hook.as_str());
    let (status, refused) = subscribe(&served, "ftp://x", "long-enough").await;
    assert_eq!((status, refused["parameter"].as_str()), (400, Some("url")));

    let alerts = open_alerts(&state, now);
    let listed: Value = client
        .get(format!("{base}/api/alerts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let delivered_alerts: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|alert| alert["backlog"] == false)
        .collect();
    assert_eq!(delivered_alerts.len(), alerts);

    // The receiver is down: every delivery fails, is recorded, and waits.
    let first = state.deliver_due(now).await.unwrap();
    assert_eq!((first.delivered, first.failed), (0, alerts));
    let alert_id = delivered_alerts[0]["id"].as_i64().unwrap();
    let deliveries: Value = client
        .get(format!("{base}/api/alerts/{alert_id}/deliveries"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(deliveries[0]["attempts"], 1);
    assert!(deliveries[0]["lastError"].as_str().unwrap().contains("503"));
    // Not due again before the backoff (10 s).
    let early = state
        .deliver_due(Timestamp::from_millis(now.millis() + 5_000))
        .await
        .unwrap();
    assert_eq!((early.delivered, early.failed), (0, 0));
    // Still down at the second attempt.
    let second = state
        .deliver_due(Timestamp::from_millis(now.millis() + 10_000))
        .await
        .unwrap();
    assert_eq!(second.failed, alerts);
    // Back up: everything arrives, once.
    down.store(false, Ordering::SeqCst);
    let later = Timestamp::from_millis(now.millis() + 60_000);
    let third = state.deliver_due(later).await.unwrap();
    assert_eq!((third.delivered, third.failed), (alerts, 0));
    let again = state
        .deliver_due(Timestamp::from_millis(later.millis() + 3_600_000))
        .await
        .unwrap();
    assert_eq!((again.delivered, again.failed), (0, 0));

    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), alerts);
    for (headers, body, _) in &received {
        let timestamp: i64 = headers["x-rapport-timestamp"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(timestamp, later.millis() / 1000);
        assert_eq!(
            headers["x-rapport-signature"].to_str().unwrap(),
            rapport_app::webhooks::signature(secret, timestamp, body)
        );
        let json: Value = serde_json::from_str(body).unwrap();
        assert!(
            json["text"]
                .as_str()
                .unwrap()
                .contains(json["account"]["name"].as_str().unwrap())
        );
        assert_eq!(json["event"], "opened");
    }
    let deliveries: Value = client
        .get(format!("{base}/api/alerts/{alert_id}/deliveries"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(deliveries[0]["attempts"], 3);
    assert!(deliveries[0]["deliveredAt"].is_string());

    // The secret is in no answer of the API and nowhere in the database's
    // files in plain text; the key that seals it is beside them, mode 0600.
    let (_, listed) = send(&served, reqwest::Method::GET, "/api/webhooks", None).await;
    assert_eq!(listed[0]["secret"], "set");
    assert!(!listed.to_string().contains(secret), "{listed}");
    assert!(!database_files_hold(&folder, secret));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = std::fs::metadata(folder.join("rapport.db.key")).unwrap();
        assert_eq!(key.permissions().mode() & 0o777, 0o600);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_url_pointing_where_a_webhook_must_not_is_refused_naming_url() {
    let served = super::support::serve_portfolio(3, 10, Model::prd070()).await;
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://user:pass@10.0.0.1/",
        "http://user:pass@hooks.example.com/",
        "http://[fe80::1]/",
        "http://2852039166/",
        "http://0xA9FEA9FE/",
        "http://0251.0376.0251.0376/",
        "http://127.1/",
        "http://",
        "http://hooks.example.com/\r\nX-Injected: 1",
        "http://hooks.example.com/a b",
        "http://127.0.0.1:8080/hook",
        "http://localhost:8080/hook",
        "http://[::1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://10.0.0.1/",
        "http://172.16.0.1/",
        "http://192.168.0.1/",
        "http://[fd00::1]/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://100.64.0.1/",
        "ftp://hooks.example.com/",
        "javascript:alert(1)",
    ] {
        let (status, body) = subscribe(&served, url, "long-enough-secret").await;
        assert_eq!(status, 400, "{url:?}: {body}");
        assert_eq!(body["parameter"], "url", "{url:?}: {body}");
    }
    let (status, body) = subscribe(&served, "https://hooks.example.com/rapport", "short").await;
    assert_eq!((status, body["parameter"].as_str()), (400, Some("secret")));
    let (status, body) = send(
        &served,
        reqwest::Method::POST,
        "/api/webhooks",
        Some(json!({"url": "https://hooks.example.com/", "secret": "long-enough", "id": 7})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(served.app.webhooks().unwrap().is_empty(), "nothing stored");
    // A public name is stored as parsed.
    let (status, body) =
        subscribe(&served, "https://Hooks.Example.com/rapport", "long-enough").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["url"], "https://hooks.example.com/rapport");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_network_admits_its_receivers_and_only_those() {
    let (served, _folder) =
        serve_with(|folder| config(folder, &["127.0.0.1/32"], Duration::from_secs(10))).await;
    let (status, body) = subscribe(&served, "http://127.0.0.1:9/hook", "long-enough").await;
    assert_eq!(status, 201, "{body}");
    for url in [
        "http://127.0.0.2:9/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/",
    ] {
        let (status, body) = subscribe(&served, url, "long-enough").await;
        assert_eq!(
            (status, body["parameter"].as_str()),
            (400, Some("url")),
            "{url}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_not_followed() {
    let (served, _folder) = serve_allowing_loopback().await;
    let now = import_instant();
    let elsewhere: Received = Arc::default();
    let other = receiver(up(), Arc::clone(&elsewhere)).await;
    let redirecting: Received = Arc::default();
    let hook = receiver_answering(
        StatusCode::FOUND,
        Duration::ZERO,
        up(),
        Arc::clone(&redirecting),
        Some(other),
    )
    .await;
    let (status, added) = subscribe(&served, &hook, "long-enough").await;
    assert_eq!(status, 201);
    let alerts = open_alerts(&served.app, now);
    let run = served.app.deliver_due(now).await.unwrap();
    assert_eq!((run.delivered, run.failed), (0, alerts));
    assert_eq!(redirecting.lock().unwrap().len(), alerts);
    assert!(
        elsewhere.lock().unwrap().is_empty(),
        "the server redirected to received nothing"
    );
    let webhook = added["id"].as_i64().unwrap();
    for delivery in deliveries_of(&served.app, webhook) {
        let error = delivery.last_error.unwrap();
        assert!(error.contains("302"), "{error}");
        assert!(error.contains("redirects are not followed"), "{error}");
        assert_eq!(delivery.delivered_at, None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_receiver_delays_only_its_own_deliveries() {
    let timeout = Duration::from_secs(2);
    let (served, _folder) = serve_with(|folder| config(folder, &["127.0.0.1/32"], timeout)).await;
    let now = import_instant();
    // Subscribed first, so a worker sending one delivery after another would
    // wait for it before the fast one.
    let slow_received: Received = Arc::default();
    let slow = receiver_answering(
        StatusCode::OK,
        Duration::from_secs(5),
        up(),
        Arc::clone(&slow_received),
        None,
    )
    .await;
    let fast_received: Received = Arc::default();
    let fast = receiver(up(), Arc::clone(&fast_received)).await;
    let (_, slow_hook) = subscribe(&served, &slow, "long-enough").await;
    let (_, fast_hook) = subscribe(&served, &fast, "long-enough").await;
    let alerts = open_alerts(&served.app, now);

    // Two passes at once, as the worker may run them: each delivery is sent
    // once, and the slow receiver is sent one delivery, not one per pass.
    let started = Instant::now();
    let (first, second) = tokio::join!(served.app.deliver_due(now), served.app.deliver_due(now));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.delivered + second.delivered, alerts);
    assert_eq!(
        first.failed + second.failed,
        1,
        "the slow one's first, timed out"
    );
    assert_eq!(first.postponed + second.postponed, alerts - 1);

    let fast_received = fast_received.lock().unwrap().clone();
    assert_eq!(fast_received.len(), alerts);
    for (_, _, arrived) in &fast_received {
        let after = arrived.duration_since(started);
        assert!(
            after < timeout,
            "a fast delivery arrived {after:?} after the pass started, behind the slow receiver"
        );
    }
    assert!(
        slow_received.lock().unwrap().is_empty(),
        "never answered in time"
    );
    let slow_deliveries = deliveries_of(&served.app, slow_hook["id"].as_i64().unwrap());
    let attempted: Vec<_> = slow_deliveries.iter().filter(|d| d.attempts == 1).collect();
    assert_eq!(attempted.len(), 1);
    let error = attempted[0].last_error.as_deref().unwrap();
    assert!(error.contains("did not answer within 2 s"), "{error}");
    // The rest wait for the first one's retry, not attempted.
    let retry = attempted[0].next_attempt_at;
    for waiting in slow_deliveries.iter().filter(|d| d.attempts == 0) {
        assert_eq!(waiting.next_attempt_at, retry);
        assert_eq!(waiting.last_error, None);
    }
    assert!(
        deliveries_of(&served.app, fast_hook["id"].as_i64().unwrap())
            .iter()
            .all(|d| d.delivered_at.is_some())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_webhook_drops_its_waiting_deliveries() {
    let (served, _folder) = serve_allowing_loopback().await;
    let now = import_instant();
    let received: Received = Arc::default();
    let down = Arc::new(AtomicBool::new(true));
    let hook = receiver(Arc::clone(&down), Arc::clone(&received)).await;
    let (_, added) = subscribe(&served, &hook, "long-enough").await;
    let webhook = added["id"].as_i64().unwrap();
    let alerts = open_alerts(&served.app, now);
    // Down: one failed attempt each, retried in 10 s.
    let run = served.app.deliver_due(now).await.unwrap();
    assert_eq!(run.failed, alerts);

    let (status, _) = send(
        &served,
        reqwest::Method::DELETE,
        &format!("/api/webhooks/{webhook}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    for delivery in deliveries_of(&served.app, webhook) {
        assert!(delivery.dropped_at.is_some());
        assert_eq!(
            delivery.last_error.as_deref(),
            Some("the webhook was removed")
        );
    }
    // Back up: nothing is sent to it, now or ever.
    down.store(false, Ordering::SeqCst);
    for later in [10_000, 3_600_000 * 24] {
        let run = served
            .app
            .deliver_due(Timestamp::from_millis(now.millis() + later))
            .await
            .unwrap();
        assert_eq!(run, Default::default());
    }
    assert!(received.lock().unwrap().is_empty());
    let (status, _) = send(
        &served,
        reqwest::Method::DELETE,
        &format!("/api/webhooks/{webhook}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loopback_name_no_longer_allowed_is_refused_at_delivery() {
    // Added while loopback was allowed; delivered by a deployment that no
    // longer allows it: `localhost` is checked again when the delivery is
    // made, and the delivery is dropped, never sent. (A name the system
    // resolves to a forbidden address is refused by the client's resolver:
    // rapport-app's `webhooks::sending` tests send through it.)
    let (served, folder) = serve_allowing_loopback().await;
    let now = import_instant();
    let received: Received = Arc::default();
    let hook = receiver(up(), Arc::clone(&received)).await;
    let by_name = hook.replace("127.0.0.1", "localhost");
    let allowing = App::new(
        rapport_store::open(&served.url).unwrap(),
        config(
            &folder,
            &["127.0.0.0/8", "::1/128"],
            Duration::from_secs(10),
        ),
    );
    let added = allowing
        .add_webhook(
            &rapport_core::access::Person::operator(),
            &rapport_core::alerts::delivery::SubscriptionRequest {
                url: by_name.clone(),
                secret: "long-enough".into(),
                person: None,
                rule: None,
                min_priority: None,
            },
            now,
        )
        .unwrap();
    let alerts = open_alerts(&served.app, now);
    let strict = App::new(
        rapport_store::open(&served.url).unwrap(),
        config(&folder, &[], Duration::from_secs(10)),
    );
    let run = strict.deliver_due(now).await.unwrap();
    assert_eq!((run.delivered, run.failed, run.dropped), (0, 0, alerts));
    assert!(received.lock().unwrap().is_empty());
    for delivery in deliveries_of(&strict, added.subscription.id) {
        let reason = delivery.last_error.unwrap();
        assert!(
            reason.starts_with("refused: the URL points where a webhook may not: localhost"),
            "{reason}"
        );
        assert!(reason.contains("loopback"), "{reason}");
        assert!(delivery.dropped_at.is_some());
        assert_eq!(delivery.attempts, 0, "never sent");
    }
    // Dropped for good: not retried.
    let later = strict
        .deliver_due(Timestamp::from_millis(now.millis() + 3_600_000))
        .await
        .unwrap();
    assert_eq!(later, Default::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_stored_in_plain_text_by_an_earlier_version_is_sealed_and_still_signs() {
    let (served, folder) = serve_allowing_loopback().await;
    let now = import_instant();
    let received: Received = Arc::default();
    let hook = receiver(up(), Arc::clone(&received)).await;
    // A subscription as an earlier Rapport wrote it: its secret in the body.
    let secret = "legacy-plain-signing-secret";
    {
        let legacy = rusqlite::Connection::open(folder.join("rapport.db")).unwrap();
        legacy
            .execute(
                "INSERT INTO webhooks (id, body) VALUES (1000, ?1)",
                [json!({"id": 1000, "url": hook, "secret": secret}).to_string()],
            )
            .unwrap();
    }
    let alerts = open_alerts(&served.app, now);
    let run = served.app.deliver_due(now).await.unwrap();
    assert_eq!(run.delivered, alerts);
    for (headers, body, _) in received.lock().unwrap().iter() {
        let timestamp: i64 = headers["x-rapport-timestamp"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            headers["x-rapport-signature"].to_str().unwrap(),
            rapport_app::webhooks::signature(secret, timestamp, body)
        );
    }
    let (_, listed) = send(&served, reqwest::Method::GET, "/api/webhooks", None).await;
    assert_eq!(listed[0]["secret"], "set");
    assert!(!listed.to_string().contains(secret));
    assert!(!database_files_hold(&folder, secret));
}

#[test]
fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
    // Checked against a value computed independently
    // (python3 -c "import hmac,hashlib;print(hmac.new(b'key',b'1700000000.{}',hashlib.sha256).hexdigest())").
    assert_eq!(
        rapport_app::webhooks::signature("key", 1_700_000_000, "{}"),
        "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
    );
}
