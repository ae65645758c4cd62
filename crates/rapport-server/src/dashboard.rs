//! The dashboard's data over HTTP (docs/dashboard.md), the structures its
//! pages render: `GET /api/me/day` (the person's day), `GET
//! /api/portfolio/accounts` (the accounts table: sorted, filtered, paged;
//! `format=csv` too), `GET /api/accounts/{id}/timeline` (an account's
//! activity, newest first), and `POST /api/accounts/{id}/re-engagement`
//! (a task for each inactive user).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use rapport_app::dashboard::{
    AccountsQuery, AccountsTable, Campaign, CampaignRequest, MyDay, Timeline,
};
use rapport_core::Timestamp;
use rapport_core::access::Person;
use serde::Deserialize;

use crate::routes::{Access, Routes};
use crate::{ApiError, AppState, Json, blocking, now, parse_body};
use rapport_app::watches::WatchView;
use rapport_core::access::Permission;

const WATCHING: Access = Access::Person {
    permission: Permission::Read,
    account: Some("id"),
};

/// The routes, mounted by the router.
pub(crate) fn routes(state: &AppState) -> Routes {
    Routes::new(state)
        .read("/api/me/day", None, day)
        .read("/api/portfolio/accounts", None, accounts)
        .read("/api/accounts/{id}/timeline", Some("id"), timeline)
        .write(
            Method::POST,
            "/api/accounts/{id}/re-engagement",
            Some("id"),
            re_engagement,
        )
        .read("/api/me/watches", None, watches)
        // Watching is a person's own: any role may (their account scope applies).
        .add(Method::PUT, "/api/accounts/{id}/watch", WATCHING, watch)
        .add(
            Method::DELETE,
            "/api/accounts/{id}/watch",
            WATCHING,
            unwatch,
        )
}

/// `GET /api/me/day`: alerts to handle, tasks due, the accounts that moved
/// most, renewals in the next 90 days (the person's accounts).
#[utoipa::path(
    get,
    path = "/api/me/day",
    tag = "dashboard",
    responses((status = 200, description = "The person's day", body = MyDay)),
)]
pub(crate) async fn day(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Json<MyDay>, ApiError> {
    let at = rapport_app::report_instant(now());
    blocking(&state, move |app| Ok(app.my_day(&person, at)?))
        .await
        .map(Json)
}

/// Documents the `format` parameter for /openapi.json (the handler reads
/// the raw query, where it sits beside the table's own parameters).
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct FormatQuery {
    /// `json` (the default) or `csv` (every row the filters keep, up to `limit`).
    #[param(value_type = Option<crate::openapi::JsonOrCsv>)]
    format: Option<String>,
}

/// `GET /api/portfolio/accounts`: the accounts the person sees with their
/// scores, filtered, sorted and paged as the accounts page shows them.
#[utoipa::path(
    get,
    path = "/api/portfolio/accounts",
    tag = "dashboard",
    params(AccountsQuery, FormatQuery),
    responses((status = 200, description = "The accounts table", content(
        (AccountsTable = "application/json"),
        (String = "text/csv"),
    ))),
)]
pub(crate) async fn accounts(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let format = form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
        .find(|(key, _)| key == "format")
        .map(|(_, value)| value.into_owned());
    let csv = crate::csv_wanted(format.as_deref())?;
    let query: AccountsQuery = crate::query_of(raw.as_deref(), &["format"])?;
    let at = crate::as_of(query.as_of.as_deref())?;
    let table = blocking(&state, move |app| {
        Ok(app.accounts_table(&person, at, &query)?)
    })
    .await?;
    if csv {
        let text =
            rapport_app::exports::account_rows_csv(&table.rows).map_err(ApiError::internal)?;
        return Ok(crate::reports::csv_download(text, "accounts"));
    }
    Ok(Json(table).into_response())
}

/// Documents the query for /openapi.json (the handler reads the raw query:
/// `type` repeats).
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct TimelineQuery {
    /// Only activities of these kinds (repeat it: `type=email&type=call`).
    #[serde(rename = "type")]
    kinds: Option<Vec<String>>,
    /// Only activities before this instant (RFC 3339 or `YYYY-MM-DD`); default now.
    before: Option<String>,
}

/// `GET /api/accounts/{id}/timeline?type&before`: the account's activities,
/// newest first, 200 at most; `nextBefore` asks for the next page.
#[utoipa::path(
    get,
    path = "/api/accounts/{id}/timeline",
    tag = "dashboard",
    params(("id" = String, Path, description = "The account: its `customerId`, external id or exact name"), TimelineQuery),
    responses((status = 200, description = "The account's activities", body = Timeline)),
)]
pub(crate) async fn timeline(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Timeline>, ApiError> {
    let mut kinds = Vec::new();
    let mut before = None;
    for (key, value) in form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "type" if !value.trim().is_empty() => kinds.push(value.trim().to_string()),
            "before" if !value.trim().is_empty() => {
                before = Some(Timestamp::parse_lenient(value.trim()).map_err(|error| {
                    ApiError::BadRequest {
                        parameter: "before".into(),
                        reason: error.to_string(),
                    }
                })?);
            }
            _ => {}
        }
    }
    let before = before.unwrap_or_else(|| rapport_app::report_instant(now()));
    blocking(&state, move |app| Ok(app.timeline(&id, before, &kinds)?))
        .await
        .map(Json)
}

/// `POST /api/accounts/{id}/re-engagement` `{"due", "owner"?}`: a task for
/// each user with no activity in the last 30 days (25 at most), 201; 409
/// when everyone was active or the account has churned.
#[utoipa::path(
    post,
    path = "/api/accounts/{id}/re-engagement",
    tag = "dashboard",
    params(("id" = String, Path, description = "The account: its `customerId`, external id or exact name")),
    request_body = CampaignRequest,
    responses(
        (status = 201, description = "The tasks made", body = Campaign),
        (status = 409, description = "Nobody to re-engage, or a churned account", body = crate::error::ErrorBody),
    ),
)]
pub(crate) async fn re_engagement(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Campaign>), ApiError> {
    let request: CampaignRequest = parse_body(&body)?;
    let at = now();
    blocking(&state, move |app| {
        Ok(app.re_engagement_campaign(&person, &id, &request, at)?)
    })
    .await
    .map(|campaign| (StatusCode::CREATED, Json(campaign)))
}

/// `PUT /api/accounts/{id}/watch` `{"minPriority"}`: the person signed in
/// watches the account's alerts at or above the priority (their day lists
/// them); `DELETE` stops it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct WatchRequest {
    /// `critical`, `high` or `medium` (every alert).
    min_priority: String,
}

#[utoipa::path(
    put,
    path = "/api/accounts/{id}/watch",
    tag = "dashboard",
    params(("id" = String, Path, description = "The account: its `customerId`, external id or exact name")),
    request_body = WatchRequest,
    responses((status = 200, description = "The watch as it now is", body = WatchView)),
)]
pub(crate) async fn watch(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<WatchView>, ApiError> {
    let request: WatchRequest = parse_body(&body)?;
    let priority = rapport_app::watches::parse_priority(&request.min_priority)?;
    let at = now();
    let watch = blocking(&state, move |app| {
        Ok(app.watch_alerts(&person, &id, Some(priority), at)?)
    })
    .await?;
    watch
        .map(Json)
        .ok_or_else(|| ApiError::internal("a watch set reads back as none"))
}

/// `DELETE /api/accounts/{id}/watch`: stops watching the account's alerts (204).
#[utoipa::path(
    delete,
    path = "/api/accounts/{id}/watch",
    tag = "dashboard",
    params(("id" = String, Path, description = "The account: its `customerId`, external id or exact name")),
    responses((status = 204, description = "No longer watched")),
)]
pub(crate) async fn unwatch(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let at = now();
    blocking(&state, move |app| {
        Ok(app.watch_alerts(&person, &id, None, at)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/me/watches`: the accounts whose alerts the person watches.
#[utoipa::path(
    get,
    path = "/api/me/watches",
    tag = "dashboard",
    responses((status = 200, description = "The watches", body = Vec<WatchView>)),
)]
pub(crate) async fn watches(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Json<Vec<WatchView>>, ApiError> {
    blocking(&state, move |app| Ok(app.alert_watches(&person)?))
        .await
        .map(Json)
}
