//! Alerts over HTTP: `GET /api/alerts?status=…&account=…&csm=…`,
//! `POST /api/alerts/evaluate`, a person's `POST /api/alerts/{id}/acknowledge`
//! and `POST /api/alerts/{id}/resolve` (`{"note"?: …}`),
//! `POST /api/alerts/{id}/snooze` (`{"until": …, "reason"?: …}`), each by the
//! person signed in, on an alert of an account in their scope.
//! An alert's deliveries and the webhook subscriptions are in `webhooks.rs`.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use rapport_app::alerts::{AlertQuery, AlertView};
use rapport_core::access::Person;
use rapport_core::alerts::actions::SnoozeBody;
use rapport_core::alerts::{AlertRun, StoredAlert, parse_snooze_request};
use serde::Deserialize;

use crate::{ApiError, AppState, Json, blocking, now, parse_body};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Only alerts in this state (`open`, `acknowledged`, `snoozed`, `resolved`, or `unresolved`).
    status: Option<String>,
    /// Only this account's alerts: its `customerId`, external id or exact name.
    account: Option<String>,
    /// Only alerts of this CSM's accounts.
    csm: Option<String>,
    /// The lowest priority listed: `medium` (every alert), `high` or `critical`.
    #[param(pattern = "^(critical|high|medium)?$")]
    priority: Option<String>,
    /// Only alerts of this rule (`score_drop`, `component_critical`…).
    rule: Option<String>,
    /// At most this many alerts (1–1000; every alert when absent); the
    /// `X-Total-Count` header says how many there are.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
    /// The first alert of the page (0 when absent).
    #[param(value_type = Option<u64>, maximum = 1000000000)]
    offset: Option<String>,
}

/// The alerts of the accounts the person sees, newest first.
#[utoipa::path(
    get,
    path = "/api/alerts",
    tag = "alerts",
    params(ListQuery),
    responses((status = 200, description = "The alerts", body = Vec<AlertView>, headers(
        ("X-Total-Count" = u64, description = "How many alerts the filters keep, on every page"),
    ))),
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Query(query): Query<ListQuery>,
) -> Result<axum::response::Response, ApiError> {
    let page = rapport_app::paging::Page::parse(query.limit.as_deref(), query.offset.as_deref())?;
    let query = AlertQuery {
        status: query.status,
        account: query.account,
        csm: query.csm,
        priority: query.priority,
        rule: query.rule,
    };
    let alerts = blocking(&state, move |app| Ok(app.alerts(&person, &query)?)).await?;
    Ok(crate::paged(page, alerts))
}

/// `POST /api/alerts/evaluate`: evaluates every active account's alert rules now.
#[utoipa::path(
    post,
    path = "/api/alerts/evaluate",
    tag = "alerts",
    responses((status = 200, description = "What the evaluation found", body = AlertRun)),
)]
pub(crate) async fn evaluate(State(state): State<AppState>) -> Result<Json<AlertRun>, ApiError> {
    let now = now();
    blocking(&state, move |app| Ok(app.evaluate_alerts(None, now)?))
        .await
        .map(Json)
}

/// The body of an acknowledgement or resolution.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Action {
    #[serde(default)]
    note: Option<String>,
}

/// An action's body: none at all, or `{"note"?}`.
fn action(body: &[u8]) -> Result<Action, ApiError> {
    if body.is_empty() {
        Ok(Action { note: None })
    } else {
        parse_body(body)
    }
}

/// Acknowledges an alert, by the person signed in.
#[utoipa::path(
    post,
    path = "/api/alerts/{id}/acknowledge",
    tag = "alerts",
    params(("id" = i64, Path, description = "The alert's id")),
    request_body(content = Option<Action>, description = "None, or `{\"note\"?}`"),
    responses(
        (status = 200, description = "The alert as acknowledged", body = StoredAlert),
        (status = 409, description = "The alert is resolved", body = crate::error::ErrorBody),
    ),
)]
pub(crate) async fn acknowledge(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<StoredAlert>, ApiError> {
    let Action { note: _ } = action(&body)?;
    let now = now();
    blocking(&state, move |app| {
        Ok(app.acknowledge_alert(&person, id, now)?)
    })
    .await
    .map(Json)
}

/// Resolves an alert, by the person signed in (its deliveries are sent).
#[utoipa::path(
    post,
    path = "/api/alerts/{id}/resolve",
    tag = "alerts",
    params(("id" = i64, Path, description = "The alert's id")),
    request_body(content = Option<Action>, description = "None, or `{\"note\"?}`"),
    responses(
        (status = 200, description = "The alert as resolved", body = StoredAlert),
        (status = 409, description = "The alert is resolved already", body = crate::error::ErrorBody),
    ),
)]
pub(crate) async fn resolve(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<StoredAlert>, ApiError> {
    let action = action(&body)?;
    let now = now();
    blocking(&state, move |app| {
        Ok(app.resolve_alert(&person, id, action.note.as_deref(), now)?)
    })
    .await
    .map(Json)
}

/// `POST /api/alerts/{id}/snooze` with `{"until", "reason"?}` (`until`:
/// RFC 3339 or a date, its first instant UTC), by the person signed in: the
/// alert as snoozed; 400 naming `until`, 404 unknown id (or outside the
/// person's scope), 409 already resolved.
#[utoipa::path(
    post,
    path = "/api/alerts/{id}/snooze",
    tag = "alerts",
    params(("id" = i64, Path, description = "The alert's id")),
    request_body = SnoozeBody,
    responses(
        (status = 200, description = "The alert as snoozed", body = StoredAlert),
        (status = 409, description = "The alert is resolved", body = crate::error::ErrorBody),
    ),
)]
pub(crate) async fn snooze(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<StoredAlert>, ApiError> {
    let request = parse_snooze_request(&body).map_err(rapport_app::AppError::from)?;
    let now = now();
    blocking(&state, move |app| {
        Ok(app.snooze_alert(&person, id, &request, now)?)
    })
    .await
    .map(Json)
}
