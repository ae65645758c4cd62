//! Rapport's HTTP surface. Handlers are thin: they parse the request, call one
//! use case of the application layer (`rapport_app::App`) on a blocking task,
//! and render what it returns. `workers` holds the background loops `serve`
//! runs: following the store's change cursor, the hourly alert evaluation and
//! snapshots, and alert delivery.

mod alerts;
mod audit;
mod dashboard;
mod error;
mod goals;
pub mod hygiene;
mod meetings;
mod models;
mod openapi;
mod overrides;
mod pages;
mod reports;
pub mod routes;
mod sessions;
mod sharing;
mod tasks;
mod tracking;
mod webhooks;
pub mod workers;

use std::future::Future;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use rapport_app::App;
use rapport_app::accounts::AccountDetail;
use rapport_core::access::Person;
use rapport_core::{AccountListing, Timestamp};
use serde::Serialize;

pub use error::ApiError;
use routes::Routes;
pub use routes::{Access, RouteSpec};

/// A JSON response body, written by the one JSON writer every surface uses
/// (`rapport_app::render::json`: no negative zero).
pub(crate) struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match rapport_app::render::json(&self.0, false) {
            Ok(body) => (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response(),
            Err(error) => ApiError::internal(format!("cannot write JSON: {error}")).into_response(),
        }
    }
}

/// A list's page as JSON, with how many rows there are in all in
/// `X-Total-Count`.
pub(crate) fn paged<T: Serialize>(page: rapport_app::paging::Page, rows: Vec<T>) -> Response {
    let (rows, total) = page.of(rows);
    let mut response = Json(rows).into_response();
    response
        .headers_mut()
        .insert("x-total-count", axum::http::HeaderValue::from(total));
    response
}

/// What every handler shares: the application.
pub type AppState = Arc<App>;

/// Runs a use case on a blocking task (the store and the engine are
/// synchronous; the async workers stay free for other requests).
pub(crate) async fn blocking<T: Send + 'static>(
    app: &AppState,
    work: impl FnOnce(&App) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let app = Arc::clone(app);
    tokio::task::spawn_blocking(move || work(&app))
        .await
        .map_err(|error| ApiError::internal(format!("request task failed: {error}")))?
}

/// The router and its route table (what each route needs of the caller).
pub fn router_and_table(state: AppState) -> (Router, Vec<RouteSpec>) {
    use axum::http::Method;
    const CUSTOMER: Option<&str> = Some("customer_id");
    const ID: Option<&str> = Some("id");
    let served = openapi::Served::default();
    let (router, table) = Routes::new(&state)
        .add(Method::GET, "/healthz", Access::Public, healthz)
        .add(Method::GET, "/openapi.json", Access::Public, {
            let served = served.clone();
            move || openapi::openapi_json(served.clone())
        })
        .add(Method::GET, "/api/docs", Access::Public, {
            let served = served.clone();
            move || openapi::api_docs(served.clone())
        })
        .merge(sessions::routes(&state))
        .read("/api/accounts", None, list_accounts)
        .read("/api/accounts/{id}", ID, account_detail)
        .read(
            "/api/intelligence/engagement/{customer_id}",
            CUSTOMER,
            reports::engagement,
        )
        .read(
            "/api/intelligence/success-metrics/{customer_id}",
            CUSTOMER,
            reports::success,
        )
        .read(
            "/api/intelligence/success-metrics/{customer_id}/value-report",
            CUSTOMER,
            reports::value_report,
        )
        .read(
            "/api/intelligence/success-metrics/{customer_id}/goals",
            CUSTOMER,
            goals::list,
        )
        .write(
            Method::POST,
            "/api/intelligence/success-metrics/{customer_id}/goals",
            CUSTOMER,
            goals::create,
        )
        .write(
            Method::PUT,
            "/api/intelligence/success-metrics/{customer_id}/goals/{goal_id}",
            CUSTOMER,
            goals::replace,
        )
        .write(
            Method::DELETE,
            "/api/intelligence/success-metrics/{customer_id}/goals/{goal_id}",
            CUSTOMER,
            goals::delete,
        )
        .write(
            Method::PUT,
            "/api/intelligence/success-metrics/{customer_id}/metrics/{metric_id}",
            CUSTOMER,
            goals::edit_metric,
        )
        .write(
            Method::DELETE,
            "/api/intelligence/success-metrics/{customer_id}/metrics/{metric_id}",
            CUSTOMER,
            goals::delete_metric,
        )
        .write(
            Method::POST,
            "/api/intelligence/success-metrics/{customer_id}/metrics/{metric_id}/measurements",
            CUSTOMER,
            goals::measure,
        )
        .read(
            "/api/intelligence/health/{customer_id}",
            CUSTOMER,
            reports::health,
        )
        .read(
            "/api/intelligence/engagement-overview",
            None,
            reports::overview,
        )
        .read("/api/reports/weekly", None, reports::weekly)
        .read("/api/alerts", None, alerts::list)
        .admin(Method::POST, "/api/alerts/evaluate", alerts::evaluate)
        .write(
            Method::POST,
            "/api/alerts/{id}/acknowledge",
            None,
            alerts::acknowledge,
        )
        .write(
            Method::POST,
            "/api/alerts/{id}/resolve",
            None,
            alerts::resolve,
        )
        .write(
            Method::POST,
            "/api/alerts/{id}/snooze",
            None,
            alerts::snooze,
        )
        .read("/api/alerts/{id}/deliveries", None, webhooks::deliveries)
        .admin(Method::GET, "/api/webhooks", webhooks::webhooks)
        .admin(Method::POST, "/api/webhooks", webhooks::add_webhook)
        .admin(
            Method::DELETE,
            "/api/webhooks/{id}",
            webhooks::remove_webhook,
        )
        .read(
            "/api/intelligence/overrides/{customer_id}",
            CUSTOMER,
            overrides::list,
        )
        .write(
            Method::PUT,
            "/api/intelligence/overrides/{customer_id}/{model}",
            CUSTOMER,
            overrides::put,
        )
        .write(
            Method::DELETE,
            "/api/intelligence/overrides/{customer_id}/{model}",
            CUSTOMER,
            overrides::remove,
        )
        .merge(meetings::routes(&state))
        .merge(sharing::routes(&state))
        .merge(audit::routes(&state))
        .merge(tasks::routes(&state))
        .merge(dashboard::routes(&state))
        .merge(models::routes(&state))
        .merge(pages::routes(&state))
        .merge(tracking::routes(&state))
        .finish();
    match openapi::ServedDocument::new(&openapi::document(&table)) {
        Ok(document) => {
            let _ = served.set(document);
        }
        Err(error) => tracing::error!("cannot build the OpenAPI document: {error}"),
    }
    let router = router
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(
            hygiene::API_BODY_LIMIT,
        ))
        .layer(axum::middleware::from_fn(hygiene::json_errors))
        .layer(axum::middleware::from_fn(hygiene::time_limit))
        .layer(axum::middleware::from_fn(hygiene::security_headers))
        .with_state(state);
    (router, table)
}

/// The router every server serves.
pub fn router(state: AppState) -> Router {
    router_and_table(state).0
}

/// Serves the router on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The wall clock, read at the edge and passed down.
pub(crate) fn now() -> Timestamp {
    Timestamp::from_millis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_millis() as i64)
            .unwrap_or(0),
    )
}

/// The `asOf` query parameter (RFC 3339 or YYYY-MM-DD), or the end of the
/// current second ([`rapport_app::report_instant`]: requests of the same
/// second share their peer figures; the response's `asOf` says which
/// instant). 400 naming `asOf` when malformed.
pub(crate) fn as_of(text: Option<&str>) -> Result<Timestamp, ApiError> {
    match text.map(str::trim) {
        None | Some("") => Ok(rapport_app::report_instant(now())),
        Some(text) => Timestamp::parse_lenient(text).map_err(|error| ApiError::BadRequest {
            parameter: "asOf".into(),
            reason: error.to_string(),
        }),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct Health {
    status: &'static str,
    store: &'static str,
}

/// Whether the server and its store answer.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "pages",
    responses(
        (status = 200, description = "The server and its store answer", body = Health),
        (status = 503, description = "The store does not answer", body = Health),
    ),
)]
async fn healthz(State(state): State<AppState>) -> Response {
    let result = blocking(&state, |app| {
        app.store().ping().map_err(ApiError::from)?;
        Ok(app.store().backend())
    })
    .await;
    match result {
        Ok(backend) => Json(Health {
            status: "ok",
            store: backend,
        })
        .into_response(),
        Err(error) => {
            tracing::warn!("health check failed: {error:?}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable",
                    store: "unreachable",
                }),
            )
                .into_response()
        }
    }
}

#[derive(serde::Deserialize)]
struct ListQuery {
    /// `json` (the default) or `csv`.
    format: Option<String>,
}

/// The accounts the person signed in sees (a CSM: their own and their team's).
#[utoipa::path(
    get,
    path = "/api/accounts",
    tag = "accounts",
    params(("format" = Option<openapi::JsonOrCsv>, Query, description = "`json` (the default) or `csv` (a spreadsheet download)")),
    responses((status = 200, description = "The accounts", content(
        (Vec<AccountListing> = "application/json"),
        (String = "text/csv"),
    ))),
)]
async fn list_accounts(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let csv = csv_wanted(query.format.as_deref())?;
    let accounts = blocking(&state, move |app| Ok(app.visible_accounts(&person)?)).await?;
    if csv {
        let text = rapport_app::exports::accounts_csv(&accounts).map_err(ApiError::internal)?;
        return Ok(reports::csv_download(text, "accounts"));
    }
    Ok(Json(accounts).into_response())
}

/// One account: its listing and its contacts.
#[utoipa::path(
    get,
    path = "/api/accounts/{id}",
    tag = "accounts",
    params(("id" = String, Path, description = "The account: its `customerId`, external id or exact name")),
    responses((status = 200, description = "The account", body = AccountDetail)),
)]
async fn account_detail(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AccountDetail>, ApiError> {
    blocking(&state, move |app| Ok(app.account_detail(&id)?))
        .await
        .map(Json)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such page".into())
}

/// A query string into `T` (every value a string; the names in `besides`,
/// which the handler reads itself, left out); 400 when it does not fit.
pub(crate) fn query_of<T: serde::de::DeserializeOwned>(
    raw: Option<&str>,
    besides: &[&str],
) -> Result<T, ApiError> {
    let map: serde_json::Map<String, serde_json::Value> =
        form_urlencoded::parse(raw.unwrap_or("").as_bytes())
            .filter(|(key, _)| !besides.contains(&key.as_ref()))
            .map(|(key, value)| {
                (
                    key.into_owned(),
                    serde_json::Value::String(value.into_owned()),
                )
            })
            .collect();
    serde_json::from_value(serde_json::Value::Object(map)).map_err(|error| ApiError::BadRequest {
        parameter: "query".into(),
        reason: error.to_string(),
    })
}

/// `json` (the default: `false`) or `csv` (`true`): a list's `format`;
/// 400 naming `format` otherwise.
pub(crate) fn csv_wanted(format: Option<&str>) -> Result<bool, ApiError> {
    match format.map(str::trim) {
        None | Some("" | "json") => Ok(false),
        Some("csv") => Ok(true),
        Some(other) => Err(ApiError::BadRequest {
            parameter: "format".into(),
            reason: format!("`{other}` is neither json nor csv"),
        }),
    }
}

/// Parses a JSON body into `T`, naming the field that does not fit (and
/// refusing a body that names who acts: that is the person signed in).
pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    rapport_core::validation::parse_request(body).map_err(|error| ApiError::BadRequest {
        parameter: error.field,
        reason: error.reason,
    })
}
