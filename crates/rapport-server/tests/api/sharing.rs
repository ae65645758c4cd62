//! Share links of value reports over HTTP (issue 22, item 3): a link opens
//! exactly its account's report at its moment without an account, whatever
//! arrives later; it expires, it can be revoked, and anything that opens
//! nothing is one and the same 404; only a person who may change the account
//! makes or revokes one; the token is stored only as its SHA-256.

use rapport_app::AppError;
use rapport_core::Timestamp;
use rapport_core::access::Role;
use rapport_core::scoring::model::Model;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Served, import_instant, send, send_as, serve_portfolio};

const ACCOUNT: &str = "acc-0002";
const LINKS: &str = "/api/intelligence/success-metrics/acc-0002/value-report/share-links";

/// A page fetched without any credential: status, headers, body.
async fn open(served: &Served, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let response = reqwest::get(format!("{}{path}", served.base))
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

async fn value_report_html(served: &Served, as_of: &str) -> String {
    let response = crate::support::client_of(&served.token)
        .get(format!(
            "{}/api/intelligence/success-metrics/{ACCOUNT}/value-report?format=html&asOf={as_of}",
            served.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.text().await.unwrap()
}

fn in_hours(instant: Timestamp, hours: i64) -> Timestamp {
    Timestamp::from_millis(instant.millis() + hours * 3_600_000)
}

/// A goal with a measured metric, so the report has figures that can change.
async fn with_a_goal(served: &Served) {
    let (status, created) = send(
        served,
        Method::POST,
        &format!("/api/intelligence/success-metrics/{ACCOUNT}/goals"),
        Some(json!({
            "title": "Reduce support tickets",
            "startDate": "2025-07-01",
            "targetDate": "2026-06-30",
            "metrics": [{"category": "operational", "name": "Tickets per month",
                         "baseline": 120, "target": 60, "unit": "tickets",
                         "direction": "lower_is_better",
                         "current": 100, "measuredAt": "2026-01-01T00:00:00Z"}]
        })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_opens_that_report_at_that_moment_whatever_arrives_later() {
    let served = serve_portfolio(4, 60, Model::prd070()).await;
    with_a_goal(&served).await;
    let as_of = "2026-01-15T00:00:00Z";
    let then = value_report_html(&served, as_of).await;
    let (status, link) = send(
        &served,
        Method::POST,
        LINKS,
        Some(json!({"asOf": as_of, "expiresIn": "14d"})),
    )
    .await;
    assert_eq!(status, 201, "{link}");
    let path = link["path"].as_str().unwrap().to_string();
    let token = path.strip_prefix("/share/").unwrap();
    assert!(token.len() >= 64, "at least 256 random bits: {token}");
    assert_eq!(link["account"], ACCOUNT);
    assert_eq!(link["asOf"], as_of);
    let created_at = Timestamp::parse_rfc3339(link["createdAt"].as_str().unwrap()).unwrap();
    let expires_at = Timestamp::parse_rfc3339(link["expiresAt"].as_str().unwrap()).unwrap();
    assert_eq!(
        expires_at.millis() - created_at.millis(),
        14 * 24 * 3_600_000
    );

    let (status, headers, page) = open(&served, &path).await;
    assert_eq!(status, 200);
    assert_eq!(
        page, then,
        "exactly the report of that account at that moment"
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(
        headers["x-robots-tag"]
            .to_str()
            .unwrap()
            .contains("noindex")
    );
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );

    // New data, even a measurement back-dated before the link's moment,
    // changes the live report and not the shared one.
    let (status, measured) = send(
        &served,
        Method::POST,
        &format!("/api/intelligence/success-metrics/{ACCOUNT}/metrics/goal-1-m1/measurements"),
        Some(json!({"value": 70, "at": "2026-01-10T00:00:00Z"})),
    )
    .await;
    assert_eq!(status, 201, "{measured}");
    assert_ne!(value_report_html(&served, as_of).await, then);
    let (status, _, page) = open(&served, &path).await;
    assert_eq!((status, page), (200, then.clone()));

    // Nothing internal: no CSM, manager, health or engagement figure.
    let account = served
        .app
        .accounts()
        .unwrap()
        .into_iter()
        .find(|account| account.external_id.as_str() == ACCOUNT)
        .unwrap();
    let lower = then.to_lowercase();
    for internal in [
        account.csm.to_lowercase(),
        "health".into(),
        "engagement".into(),
        "churn".into(),
    ] {
        assert!(!lower.contains(&internal), "{internal} on the shared page");
    }
    if let Some(manager) = &account.manager {
        assert!(!lower.contains(&manager.to_lowercase()));
    }
    assert!(then.contains("Reduce support tickets"));

    // Listed with its openings, never with its token.
    let (status, listed) = send(&served, Method::GET, "/api/share-links", None).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["openCount"], 2);
    assert!(!listed.to_string().contains(token));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_expires_can_be_revoked_and_anything_else_is_the_same_404() {
    let served = serve_portfolio(4, 60, Model::prd070()).await;
    let app = &served.app;
    let admin = app.person("test admin").unwrap();
    let now = import_instant();
    let request = rapport_app::sharing::ShareRequest {
        expires_in: Some("1h".into()),
        ..Default::default()
    };
    let short = app
        .create_share_link(&admin, ACCOUNT, &request, now)
        .unwrap();
    let token = short.path.strip_prefix("/share/").unwrap();
    assert!(app.open_share_link(token, in_hours(now, 0)).is_ok());
    match app.open_share_link(token, in_hours(now, 1)) {
        Err(AppError::NotFound(message)) => {
            assert_eq!(message, rapport_app::sharing::SHARE_NOT_FOUND)
        }
        other => panic!("an expired link opened: {other:?}"),
    }
    // The default life is 30 days.
    let default = app
        .create_share_link(&admin, ACCOUNT, &Default::default(), now)
        .unwrap();
    let default_token = default.path.strip_prefix("/share/").unwrap();
    assert!(
        app.open_share_link(default_token, in_hours(now, 30 * 24 - 1))
            .is_ok()
    );
    assert!(
        app.open_share_link(default_token, in_hours(now, 30 * 24))
            .is_err()
    );

    // Over HTTP (the server's clock is now, long after `now`): expired,
    // revoked, unknown and malformed tokens all read the same.
    let (status, live) = send(&served, Method::POST, LINKS, Some(json!({}))).await;
    assert_eq!(status, 201, "{live}");
    let live_path = live["path"].as_str().unwrap().to_string();
    assert_eq!(open(&served, &live_path).await.0, 200);
    let (status, revoked) = send(
        &served,
        Method::DELETE,
        &format!("/api/share-links/{}", live["id"]),
        None,
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    assert!(revoked["revokedAt"].is_string());
    let mut bodies = Vec::new();
    for path in [
        format!("/share/{token}"),
        live_path.clone(),
        "/share/rps_0000000000000000000000000000000000000000000000000000000000000000".into(),
        "/share/x".into(),
        format!("/share/{}", "y".repeat(500)),
    ] {
        let (status, headers, body) = open(&served, &path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(
            headers.get("cache-control").map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{path}: {body}"
        );
        assert_eq!(headers["referrer-policy"], "no-referrer");
        bodies.push(body);
    }
    assert!(
        bodies.windows(2).all(|pair| pair[0] == pair[1]),
        "{bodies:?}"
    );
    assert!(!bodies[0].contains(ACCOUNT));
    // A browser gets a page saying so, the same for every dead link, with the
    // same headers.
    let mut pages = Vec::new();
    for path in [live_path.clone(), "/share/x".to_string()] {
        let response = reqwest::Client::new()
            .get(format!("{}{path}", served.base))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 404);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(response.headers()["x-robots-tag"], "noindex, nofollow");
        pages.push(response.text().await.unwrap());
    }
    assert_eq!(pages[0], pages[1]);
    assert!(
        pages[0].contains("This link does not open a report"),
        "{}",
        pages[0]
    );
    assert!(!pages[0].contains(ACCOUNT));

    // Lives outside 1 hour … 90 days, and a moment to come, are 400s naming the field.
    for (body, field) in [
        (json!({"expiresIn": "30m"}), "expiresIn"),
        (json!({"expiresIn": "0h"}), "expiresIn"),
        (json!({"expiresIn": "91d"}), "expiresIn"),
        (json!({"expiresIn": "forever"}), "expiresIn"),
        (json!({"asOf": "2999-01-01"}), "asOf"),
        (json!({"asOf": "yesterday"}), "asOf"),
        (json!({"roi": "maybe"}), "roi"),
        (json!({"token": "mine"}), "token"),
    ] {
        let (status, error) = send(&served, Method::POST, LINKS, Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {error}");
        assert_eq!(error["parameter"], field, "{body}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_who_may_change_the_account_shares_it_and_the_token_is_stored_hashed() {
    let served = serve_portfolio(6, 20, Model::prd070()).await;
    let accounts = served.app.accounts().unwrap();
    let own = &accounts[0];
    let other = accounts
        .iter()
        .find(|account| {
            account.csm != own.csm && account.manager.as_deref() != Some(own.csm.as_str())
        })
        .unwrap();
    let csm = served.token_of(&own.csm, Role::Csm);
    let viewer = served.token_of("a viewer", Role::Viewer);
    let links_of = |account: &str| {
        format!("/api/intelligence/success-metrics/{account}/value-report/share-links")
    };
    let own_id = own.id.to_string();
    let other_id = other.id.to_string();

    let (status, mine) = send_as(
        &served,
        &csm,
        Method::POST,
        &links_of(&own_id),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 201, "{mine}");
    let (status, refused) = send_as(
        &served,
        &csm,
        Method::POST,
        &links_of(&other_id),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 404, "{refused}");
    let (status, refused) = send_as(
        &served,
        &viewer,
        Method::POST,
        &links_of(&own_id),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 403, "{refused}");

    // The admin shares the other account; the CSM neither sees nor revokes it.
    let (status, theirs) = send(&served, Method::POST, &links_of(&other_id), Some(json!({}))).await;
    assert_eq!(status, 201, "{theirs}");
    let (_, listed) = send_as(&served, &csm, Method::GET, "/api/share-links", None).await;
    let ids: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|link| &link["id"])
        .collect();
    assert_eq!(ids, [&mine["id"]]);
    let (_, everyone) = send(&served, Method::GET, "/api/share-links", None).await;
    assert_eq!(everyone.as_array().unwrap().len(), 2);
    let (status, refused) = send_as(
        &served,
        &csm,
        Method::DELETE,
        &format!("/api/share-links/{}", theirs["id"]),
        None,
    )
    .await;
    assert_eq!(status, 404, "{refused}");
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .starts_with("no share link")
    );
    let (status, _) = send_as(
        &served,
        &viewer,
        Method::DELETE,
        &format!("/api/share-links/{}", mine["id"]),
        None,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(open(&served, mine["path"].as_str().unwrap()).await.0, 200);

    // Only the SHA-256 of each token is in the database (and no audit entry
    // holds the token).
    let path = served.url.trim_start_matches("sqlite://");
    let connection = rusqlite::Connection::open(path).unwrap();
    let mut dump = String::new();
    for table in ["share_links", "audit_log"] {
        let mut statement = connection
            .prepare(&format!("SELECT * FROM {table}"))
            .unwrap();
        let columns = statement.column_count();
        let mut rows = statement.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for index in 0..columns {
                let cell: rusqlite::types::Value = row.get(index).unwrap();
                dump.push_str(&format!("{cell:?}\n"));
            }
        }
    }
    for link in [&mine, &theirs] {
        let token = link["path"].as_str().unwrap().trim_start_matches("/share/");
        assert!(!dump.contains(token), "the token is stored in clear");
        let hash: Vec<u8> = connection
            .query_row(
                "SELECT token_hash FROM share_links WHERE id = ?1",
                [link["id"].as_i64().unwrap()],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(hash, rapport_app::identity::secret_hash(token));
    }
}
