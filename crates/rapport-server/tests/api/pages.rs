//! The dashboard's pages and their data routes (issue 23): someone signed
//! out is sent to the sign-in page (and only ever back to this site); every
//! page renders for every role without a placeholder, a NaN or a negative
//! zero; a chart's drill-down lists exactly the accounts the chart counted;
//! a CSM sees only their accounts and gets a 404 page for another's; bad
//! parameters are 400s naming them, as a page for a page.

use rapport_core::access::Role;
use rapport_core::scoring::model::Model;
use reqwest::Method;
use serde_json::json;

use crate::support::{Served, client_of, get, send, send_as, serve_portfolio};

const AS_OF: &str = "2026-01-31";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn page(served: &Served, token: &str, path: &str) -> (u16, String) {
    let response = client_of(token)
        .get(format!("{}{path}", served.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    assert!(kind.starts_with("text/html"), "{path}: {kind}");
    (status, text)
}

/// What no page may show: template leftovers, unwritable numbers.
fn assert_clean(path: &str, html: &str) {
    for bad in [
        "{{",
        "{%",
        "NaN",
        "inf%",
        "-0 ",
        "−0 ",
        ">-0<",
        "undefined",
        "1 days",
        "1th",
    ] {
        assert!(!html.contains(bad), "{path} shows `{bad}`");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_out_a_page_goes_to_sign_in_and_only_back_to_this_site() {
    let served = serve_portfolio(3, 20, Model::prd070()).await;
    let client = no_redirects();
    let response = client
        .get(format!("{}/accounts?tier=growth", served.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"],
        "/sign-in?next=%2Faccounts%3Ftier%3Dgrowth"
    );
    // The sign-in page: a password form and a token form, no script inline.
    let response = client
        .get(format!("{}/sign-in?next=%2Faccounts", served.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"name="password""#), "{html}");
    assert!(html.contains(r#"data-next="&#x2f;accounts""#), "{html}");
    assert!(!html.contains("<script>"), "{html}");
    // A link that opens nothing: a page saying so for a browser, JSON otherwise.
    let response = client
        .get(format!("{}/sign-in?token=rpt_nothing", served.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("used already, has expired")
    );
    let (status, _) = get(&served, "/sign-in?token=rpt_nothing").await;
    assert_eq!(status, 401);
    // A good link goes to `next`, but never to another site.
    for (next, location) in [
        ("%2Faccounts%3Ftier%3Dgrowth", "/accounts?tier=growth"),
        ("%2F%2Fevil.example%2F", "/"),
        ("https%3A%2F%2Fevil.example%2F", "/"),
        ("%2F%5Cevil.example", "/"),
    ] {
        let token = served.token_of("Link User", Role::Viewer);
        let response = client
            .get(format!("{}/sign-in?token={token}&next={next}", served.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303, "{next}");
        assert_eq!(response.headers()["location"], location, "{next}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_renders_for_every_role_without_a_placeholder() {
    let served = serve_portfolio(6, 60, Model::prd070()).await;
    let (_, alerts) = send(&served, Method::POST, "/api/alerts/evaluate", None).await;
    assert!(alerts.is_object(), "{alerts}");
    let account = served.app.accounts().unwrap()[0].clone();
    let id = account.id.to_string();
    let mut paths = vec![
        "/".to_string(),
        format!("/portfolio?asOf={AS_OF}"),
        format!("/portfolio?asOf={AS_OF}&period=90d&tier=growth"),
        format!("/accounts?asOf={AS_OF}"),
        format!("/accounts?asOf={AS_OF}&sort=arr&dir=desc&status=all&limit=2&offset=2"),
        "/alerts?status=all".to_string(),
        "/tasks?status=all".to_string(),
    ];
    for tab in ["engagement", "success", "health", "activity"] {
        paths.push(format!("/accounts/{id}?tab={tab}&asOf={AS_OF}"));
    }
    paths.push(format!(
        "/accounts/{id}?tab=activity&type=email&type=meeting"
    ));
    let roles = [Role::Viewer, Role::Leader, Role::Admin];
    for role in roles {
        let token = served.token_of(&format!("{role:?} person"), role);
        for path in &paths {
            let (status, html) = page(&served, &token, path).await;
            assert_eq!(status, 200, "{role:?} {path}: {html}");
            assert_clean(path, &html);
            assert!(html.contains("<main id=\"main\">"), "{path}");
            // A page opened with a Bearer token offers no CSRF token.
            assert!(!html.contains("csrf-token"), "{path}");
        }
        let (status, _) = page(&served, &token, "/settings/webhooks").await;
        assert_eq!(status, if role == Role::Admin { 200 } else { 403 });
    }
    // The account's name is on its page, its engagement figure beside it.
    let (_, html) = page(
        &served,
        &served.token,
        &format!("/accounts/{id}?asOf={AS_OF}"),
    )
    .await;
    assert!(html.contains(&account.name));
    assert!(html.contains("Why did it move?") || html.contains("Six months of engagement"));
    assert!(html.contains("<svg class=\"chart\""), "a chart is drawn");
    assert!(html.contains("as a table"), "every chart has its table");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charts_drill_down_lists_exactly_the_accounts_it_counted() {
    let served = serve_portfolio(24, 60, Model::prd070()).await;
    let (status, overview) = get(
        &served,
        &format!("/api/intelligence/engagement-overview?asOf={AS_OF}"),
    )
    .await;
    assert_eq!(status, 200, "{overview}");
    let total = |query: String| {
        let served = &served;
        async move {
            let (status, table) = get(
                served,
                &format!("/api/portfolio/accounts?asOf={AS_OF}&limit=1000&{query}"),
            )
            .await;
            assert_eq!(status, 200, "{query}: {table}");
            table["total"].as_u64().unwrap()
        }
    };
    for (chart, parameter) in [
        ("byRevenue", "revenue"),
        ("byTier", "tier"),
        ("byScoreBand", "band"),
        ("byMultiThreadedUsers", "users"),
    ] {
        for row in overview["volume"][chart].as_array().unwrap() {
            let key = row["key"].as_str().unwrap();
            assert_eq!(
                total(format!("{parameter}={}", url_encode(key))).await,
                row["accounts"].as_u64().unwrap(),
                "{chart} {key}"
            );
        }
    }
    for cell in overview["atRisk"]["matrix"].as_array().unwrap() {
        let query = format!("low={}&risk={}", cell["lowEngagement"], cell["atRisk"]);
        assert_eq!(
            total(query.clone()).await,
            cell["accounts"].as_u64().unwrap(),
            "{query}"
        );
    }
    assert_eq!(
        total("risk=true".into()).await,
        overview["atRisk"]["accounts"].as_u64().unwrap()
    );
    // The page's own bars link to those tables.
    let (_, html) = page(&served, &served.token, &format!("/portfolio?asOf={AS_OF}")).await;
    assert!(
        html.contains("accounts?asOf=2026-01-31&amp;tier=growth\""),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_accounts_table_sorts_filters_pages_and_exports_what_it_shows() {
    let served = serve_portfolio(12, 40, Model::prd070()).await;
    let (status, table) = get(
        &served,
        &format!("/api/portfolio/accounts?asOf={AS_OF}&sort=arr&dir=desc&status=all"),
    )
    .await;
    assert_eq!(status, 200, "{table}");
    let arr: Vec<f64> = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["account"]["arr"].as_f64().unwrap())
        .collect();
    assert_eq!(arr.len(), 12);
    assert!(arr.windows(2).all(|pair| pair[0] >= pair[1]), "{arr:?}");
    // A page of it.
    let (_, page_two) = get(
        &served,
        &format!(
            "/api/portfolio/accounts?asOf={AS_OF}&sort=arr&dir=desc&status=all&limit=5&offset=5"
        ),
    )
    .await;
    assert_eq!(page_two["total"], 12);
    assert_eq!(page_two["rows"][0], table["rows"][5]);
    // The CSV has a row for each row of the JSON, in its order.
    let response = served
        .client()
        .get(format!(
            "{}/api/portfolio/accounts?asOf={AS_OF}&sort=arr&dir=desc&status=all&format=csv",
            served.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 13, "{text}");
    assert!(lines[1].contains(table["rows"][0]["account"]["externalId"].as_str().unwrap()));
    // A name search ignores case.
    let name = table["rows"][3]["account"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, found) = get(
        &served,
        &format!(
            "/api/portfolio/accounts?asOf={AS_OF}&status=all&q={}",
            url_encode(&name.to_uppercase())
        ),
    )
    .await;
    assert!(
        found["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|row| row["account"]["name"] == name.as_str())
    );
    // Refusals name the parameter, as JSON and as a page.
    for (query, parameter) in [
        ("sort=colour", "sort"),
        ("band=great", "band"),
        ("dir=up", "dir"),
        ("risk=maybe", "risk"),
        ("limit=0", "limit"),
        ("tier=gold", "tier"),
        ("asOf=yesterday", "asOf"),
        ("csm=Nobody%20At%20All", "csm"),
    ] {
        let (status, body) = get(&served, &format!("/api/portfolio/accounts?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["parameter"], parameter, "{query}: {body}");
        let (status, html) = page(&served, &served.token, &format!("/accounts?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert!(html.contains(parameter), "{query}: {html}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csm_sees_only_their_accounts_and_a_404_page_for_another() {
    let served = serve_portfolio(10, 30, Model::prd070()).await;
    let accounts = served.app.accounts().unwrap();
    let csm = accounts[0].csm.clone();
    let token = served.token_of(&csm, Role::Csm);
    let (status, table) = send_as(
        &served,
        &token,
        Method::GET,
        &format!("/api/portfolio/accounts?asOf={AS_OF}&status=all&limit=1000"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let own: Vec<&rapport_core::AccountListing> = accounts
        .iter()
        .filter(|account| {
            account.csm.eq_ignore_ascii_case(&csm)
                || account
                    .manager
                    .as_deref()
                    .is_some_and(|manager| manager.eq_ignore_ascii_case(&csm))
        })
        .collect();
    assert_eq!(table["total"].as_u64().unwrap() as usize, own.len());
    let (_, html) = page(
        &served,
        &token,
        &format!("/accounts?asOf={AS_OF}&status=all"),
    )
    .await;
    for account in &accounts {
        let mine = own.iter().any(|own| own.id == account.id);
        assert_eq!(html.contains(&account.name), mine, "{}", account.name);
    }
    let other = accounts
        .iter()
        .find(|account| !own.iter().any(|own| own.id == account.id))
        .expect("an account of another CSM");
    let (status, html) = page(&served, &token, &format!("/accounts/{}", other.id)).await;
    assert_eq!(status, 404);
    assert!(
        html.contains("Not found") && !html.contains(&other.name),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeline_and_a_re_engagement_campaign_do_what_they_say() {
    let served = serve_portfolio(4, 60, Model::prd070()).await;
    let account = served.app.accounts().unwrap()[0].clone();
    let id = account.id.to_string();
    let (status, timeline) = get(
        &served,
        &format!("/api/accounts/{id}/timeline?before={AS_OF}&type=email&type=meeting"),
    )
    .await;
    assert_eq!(status, 200, "{timeline}");
    let entries = timeline["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    assert!(
        entries
            .iter()
            .all(|entry| ["email", "meeting"].contains(&entry["kind"].as_str().unwrap()))
    );
    let at: Vec<&str> = entries
        .iter()
        .map(|entry| entry["at"].as_str().unwrap())
        .collect();
    let instants: Vec<rapport_core::Timestamp> = at
        .iter()
        .map(|text| rapport_core::Timestamp::parse_rfc3339(text).unwrap())
        .collect();
    assert!(
        instants.windows(2).all(|pair| pair[0] >= pair[1]),
        "newest first"
    );
    let (status, body) = get(&served, &format!("/api/accounts/{id}/timeline?type=fax")).await;
    assert_eq!((status, body["parameter"].as_str()), (400, Some("type")));

    // A campaign: one task per inactive user, each naming them.
    let (status, campaign) = send(
        &served,
        Method::POST,
        &format!("/api/accounts/{id}/re-engagement"),
        Some(json!({"due": "2026-02-07"})),
    )
    .await;
    match status {
        201 => {
            let tasks = campaign["tasks"].as_array().unwrap();
            assert!(!tasks.is_empty() && tasks.len() <= 25);
            assert!(
                tasks
                    .iter()
                    .all(|task| task["title"].as_str().unwrap().starts_with("Re-engage "))
            );
            let (_, listed) = get(&served, &format!("/api/tasks?account={id}")).await;
            for task in tasks {
                assert!(
                    listed
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|listed| listed["id"] == task["id"])
                );
            }
        }
        409 => assert!(
            campaign["error"]
                .as_str()
                .unwrap()
                .contains("nobody to re-engage")
        ),
        other => panic!("{other}: {campaign}"),
    }
    let (status, body) = send(
        &served,
        Method::POST,
        &format!("/api/accounts/{id}/re-engagement"),
        Some(json!({"due": "soon"})),
    )
    .await;
    assert_eq!(
        (status, body["parameter"].as_str()),
        (400, Some("due")),
        "{body}"
    );
    // A viewer may not start one.
    let viewer = served.token_of("Vera Viewer", Role::Viewer);
    let (status, _) = send_as(
        &served,
        &viewer,
        Method::POST,
        &format!("/api/accounts/{id}/re-engagement"),
        Some(json!({"due": "2026-02-07"})),
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_day_lists_what_the_person_has_to_do() {
    let served = serve_portfolio(8, 60, Model::prd070()).await;
    send(&served, Method::POST, "/api/alerts/evaluate", None).await;
    let (status, day) = get(&served, "/api/me/day").await;
    assert_eq!(status, 200, "{day}");
    let alerts = day["alerts"].as_array().unwrap();
    assert!(alerts.len() <= 8);
    assert!(day["alertsOpen"].as_u64().unwrap() as usize >= alerts.len());
    // Highest priority first.
    let rank = |priority: &str| {
        ["critical", "high", "medium"]
            .iter()
            .position(|p| *p == priority)
            .unwrap()
    };
    let ranks: Vec<usize> = alerts
        .iter()
        .map(|a| rank(a["priority"].as_str().unwrap()))
        .collect();
    assert!(ranks.windows(2).all(|pair| pair[0] <= pair[1]), "{ranks:?}");
    // Tasks soonest first, at most ten.
    let due: Vec<&str> = day["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["due"].as_str().unwrap())
        .collect();
    assert!(
        due.len() <= 10 && due.windows(2).all(|pair| pair[0] <= pair[1]),
        "{due:?}"
    );
    assert!(day["tasksDue"].as_u64().unwrap() as usize >= due.len());
    // The page says the same.
    let (status, html) = page(&served, &served.token, "/").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!(">{}</a>", day["alertsOpen"])),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_from_data_is_text_on_every_page() {
    let served = serve_portfolio(3, 20, Model::prd070()).await;
    let account = served.app.accounts().unwrap()[0].clone();
    let mut record = served
        .app
        .store()
        .account(&account.external_id)
        .unwrap()
        .unwrap();
    record.name = "<script>alert(1)</script>".into();
    served.app.store().upsert_accounts(&[record]).unwrap();
    served.app.follow(crate::support::import_instant()).unwrap();
    let id = account.id.to_string();
    for path in [
        format!("/accounts?asOf={AS_OF}&status=all"),
        format!("/accounts/{id}?asOf={AS_OF}"),
        format!("/accounts/{id}?tab=success&asOf={AS_OF}"),
        format!("/accounts/{id}?tab=health&asOf={AS_OF}"),
        format!("/accounts/{id}?tab=activity"),
        "/".to_string(),
        format!("/portfolio?asOf={AS_OF}"),
    ] {
        let (status, html) = page(&served, &served.token, &path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!html.contains("<script>alert(1)</script>"), "{path}");
    }
    let (_, html) = page(&served, &served.token, &format!("/accounts/{id}")).await;
    assert!(html.contains("&lt;script&gt;alert(1)&lt;"), "shown as text");
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_task_and_alert_lists_page_with_their_total() {
    let served = serve_portfolio(8, 60, Model::prd070()).await;
    send(&served, Method::POST, "/api/alerts/evaluate", None).await;
    for list in ["/api/tasks?status=all", "/api/alerts?status=all"] {
        let (_, whole) = get(&served, list).await;
        let whole = whole.as_array().unwrap().clone();
        assert!(whole.len() >= 3, "{list}: {}", whole.len());
        let response = served
            .client()
            .get(format!("{}{list}&limit=2&offset=1", served.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            response.headers()["x-total-count"].to_str().unwrap(),
            whole.len().to_string()
        );
        let page: serde_json::Value = response.json().await.unwrap();
        assert_eq!(page.as_array().unwrap()[..], whole[1..3], "{list}");
        for (query, parameter) in [
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("offset=-3", "offset"),
        ] {
            let (status, body) = get(&served, &format!("{list}&{query}")).await;
            assert_eq!(
                (status, body["parameter"].as_str()),
                (400, Some(parameter)),
                "{list} {query}"
            );
        }
    }
}
