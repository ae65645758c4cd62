//! The dashboard's pages (docs/dashboard.md): HTML for people, each a few
//! lines: parse the URL, call the one `rapport_app` use case the page's API
//! route calls too, render its template. Someone not signed in is sent to
//! the sign-in page; a refusal is a page. The assets (one stylesheet, one
//! script: the CSP allows no inline script) are served from the binary.

use axum::Extension;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use rapport_app::dashboard::{AccountPageRequest, AccountTab, AccountsQuery};
use rapport_app::pages::{self, AccountPageQuery, Chrome, PortfolioQuery};
use rapport_app::reports::{EngagementRequest, engagement_window};
use rapport_core::Timestamp;
use rapport_core::access::Person;

use crate::routes::Routes;
use crate::{ApiError, AppState, as_of, blocking, now};

pub(crate) fn routes(state: &AppState) -> Routes {
    Routes::new(state)
        .page("/", None, my_day)
        .page("/portfolio", None, portfolio)
        .page("/accounts", None, accounts)
        .page("/accounts/{id}", Some("id"), account)
        .page("/alerts", None, alerts)
        .page("/tasks", None, tasks)
        .admin_page("/settings/webhooks", webhooks)
        .admin_page("/settings/model", model)
        .map_router(|router| {
            router
                .route("/assets/{file}", axum::routing::get(asset))
                // Browsers ask for it by themselves.
                .route(
                    "/favicon.ico",
                    axum::routing::get(|| async { Redirect::permanent("/assets/favicon.svg") }),
                )
        })
}

/// The frame of a page for `person`: the CSRF token when the page was
/// opened with a session (a Bearer token's page offers no working changes).
fn chrome(state: &AppState, headers: &HeaderMap, person: &Person, section: &str) -> Chrome {
    let csrf = crate::sessions::session_secret(headers)
        .map(|secret| rapport_app::identity::csrf_token(&secret));
    Chrome::new(
        Some(person),
        csrf,
        section,
        now().date(),
        Some(&state.models()),
    )
}

fn html(page: Result<String, String>) -> Result<Response, ApiError> {
    let page = page.map_err(ApiError::internal)?;
    let mut response = Html(page).into_response();
    // A page shows a person's data: not kept by shared caches.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(response)
}

/// A page's refusal as a page: someone not signed in goes to the sign-in
/// page and comes back to `uri`; anything else keeps its status.
pub(crate) async fn refusal(error: ApiError, uri: &Uri) -> Response {
    if matches!(error, ApiError::Unauthenticated(_)) {
        let next = uri
            .path_and_query()
            .map_or_else(|| "/".to_string(), ToString::to_string);
        return Redirect::to(&pages::href("/sign-in", &[("next", &next)])).into_response();
    }
    let response = error.into_response();
    let (parts, body) = response.into_parts();
    let message = axum::body::to_bytes(body, 64 * 1024)
        .await
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|json| json["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| "This page cannot be shown.".to_string());
    let title = match parts.status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::BAD_REQUEST => "That address is not right",
        StatusCode::TOO_MANY_REQUESTS => "Too many requests",
        _ => "Something went wrong",
    };
    let chrome = Chrome::new(None, None, "", now().date(), None);
    match pages::error(&chrome, title, &message) {
        Ok(page) => {
            let mut response = (parts.status, Html(page)).into_response();
            for name in [header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
                if let Some(value) = parts.headers.get(&name) {
                    response.headers_mut().insert(name, value.clone());
                }
            }
            response
        }
        Err(error) => ApiError::internal(error).into_response(),
    }
}

/// A refusal inside a page's handler (a malformed parameter): a page too.
async fn or_page(uri: &Uri, result: Result<Response, ApiError>) -> Response {
    match result {
        Ok(response) => response,
        Err(error) => refusal(error, uri).await,
    }
}

async fn my_day(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let chrome = chrome(&state, &headers, &person, "day");
    let at = rapport_app::report_instant(now());
    let day = blocking(&state, move |app| Ok(app.my_day(&person, at)?)).await?;
    html(pages::my_day(&chrome, &day))
}

async fn accounts(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<AccountsQuery>,
) -> Response {
    let result = async {
        let chrome = chrome(&state, &headers, &person, "accounts");
        let at = as_of(query.as_of.as_deref())?;
        let asked = query.clone();
        let (table, options) = blocking(&state, move |app| {
            Ok((
                app.accounts_table(&person, at, &asked)?,
                app.filter_options(&person)?,
            ))
        })
        .await?;
        html(pages::accounts(&chrome, &table, &query, &options))
    }
    .await;
    or_page(&uri, result).await
}

async fn portfolio(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<PortfolioQuery>,
) -> Response {
    let result = async {
        let chrome = chrome(&state, &headers, &person, "portfolio");
        let (window, compare, filter) = crate::reports::overview_request(
            &person,
            [&query.period, &query.compare_period, &query.as_of],
            query.csm.as_deref(),
            query.tier.as_deref(),
        )?;
        let (overview, options) = blocking(&state, move |app| {
            Ok((
                app.overview(window, compare, &filter)?,
                app.filter_options(&person)?,
            ))
        })
        .await?;
        html(pages::portfolio(&chrome, &overview, &query, &options))
    }
    .await;
    or_page(&uri, result).await
}

async fn alerts(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<pages::AlertsPageQuery>,
) -> Response {
    let result = async {
        let chrome = chrome(&state, &headers, &person, "alerts");
        let asked = query.alert_query();
        let (alerts, options) = blocking(&state, move |app| {
            Ok((app.alerts(&person, &asked)?, app.filter_options(&person)?))
        })
        .await?;
        html(pages::alerts(&chrome, &alerts, &query, &options))
    }
    .await;
    or_page(&uri, result).await
}

async fn tasks(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<pages::TasksPageQuery>,
) -> Response {
    let result = async {
        let chrome = chrome(&state, &headers, &person, "tasks");
        let asked = query.task_query(chrome.today)?;
        let (tasks, options) = blocking(&state, move |app| {
            Ok((app.tasks(&person, &asked)?, app.filter_options(&person)?))
        })
        .await?;
        html(pages::tasks(&chrome, &tasks, &query, &options))
    }
    .await;
    or_page(&uri, result).await
}

async fn webhooks(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let chrome = chrome(&state, &headers, &person, "webhooks");
    let webhooks = blocking(&state, move |app| Ok(app.webhooks()?)).await?;
    html(pages::webhooks(&chrome, &webhooks))
}

#[derive(serde::Deserialize)]
struct ModelQuery {
    model: Option<String>,
}

async fn model(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<ModelQuery>,
) -> Response {
    let result = async {
        let chrome = chrome(&state, &headers, &person, "model");
        let role = rapport_app::models::role_of(query.model.as_deref().unwrap_or("engagement"))?;
        let all = blocking(&state, |app| Ok(app.model_settings()?)).await?;
        let settings = all
            .iter()
            .find(|settings| settings.role == role)
            .ok_or_else(|| ApiError::NotFound(format!("no {role} model")))?;
        html(pages::model(&chrome, settings, &all))
    }
    .await;
    or_page(&uri, result).await
}

/// `type` may repeat (`?type=email&type=call`): read from the raw query.
fn kinds(raw: Option<&str>) -> Vec<String> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .filter(|(key, value)| key == "type" && !value.trim().is_empty())
        .map(|(_, value)| value.trim().to_string())
        .collect()
}

async fn account(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let result = async {
        let mut query: AccountPageQuery = crate::query_of(raw.as_deref(), &["type"])?;
        query.kinds = kinds(raw.as_deref());
        let chrome = chrome(&state, &headers, &person, "accounts");
        let (window, compare) = engagement_window(
            query.period.as_deref(),
            query.compare_period.as_deref(),
            as_of(query.as_of.as_deref())?,
        )?;
        let before = match query.before.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => {
                Some(
                    Timestamp::parse_lenient(text).map_err(|error| ApiError::BadRequest {
                        parameter: "before".into(),
                        reason: error.to_string(),
                    })?,
                )
            }
        };
        let request = AccountPageRequest {
            tab: AccountTab::parse(query.tab.as_deref())?,
            engagement: EngagementRequest {
                window,
                compare,
                model: query.model.clone(),
            },
            kinds: query.kinds.clone(),
            before,
        };
        let sender = person.name.clone();
        let (page, draft) = blocking(&state, move |app| {
            let page = app.account_page(&person, &id, &request)?;
            let draft = app.exec_meeting_draft(&page, &sender)?;
            Ok((page, draft))
        })
        .await?;
        html(pages::account(&chrome, &page, &query, &draft))
    }
    .await;
    or_page(&uri, result).await
}

/// The stylesheet and the script, from the binary.
async fn asset(Path(file): Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "rapport.css" => (
            include_str!("../assets/rapport.css"),
            "text/css; charset=utf-8",
        ),
        "rapport.js" => (
            include_str!("../assets/rapport.js"),
            "text/javascript; charset=utf-8",
        ),
        "favicon.svg" => (include_str!("../assets/favicon.svg"), "image/svg+xml"),
        _ => return ApiError::NotFound(format!("no asset `{file}`")).into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}
