//! Success goals over HTTP (PRD-069): create, list, replace and delete goals,
//! edit or remove a metric, record a measurement. Bodies are parsed field by
//! field so a bad one gets a 400 naming the field; the rules are the
//! application layer's.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rapport_core::Timestamp;
use rapport_core::access::Person;
use rapport_core::success::edit::{GoalBody, MetricBody, parse_goal, parse_metric};
use rapport_core::success::{Goal, Measurement};
use serde::Deserialize;

use crate::{ApiError, AppState, Json, blocking, now, parse_body};

/// `GET /api/intelligence/success-metrics/{customerId}/goals`
#[utoipa::path(
    get,
    path = "/api/intelligence/success-metrics/{customer_id}/goals",
    tag = "goals",
    params(("customer_id" = String, Path, description = "The account: its `customerId`, external id or exact name")),
    responses((status = 200, description = "The account's goals", body = Vec<Goal>)),
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    Path(customer_id): Path<String>,
) -> Result<Json<Vec<Goal>>, ApiError> {
    blocking(&state, move |app| Ok(app.goals(&customer_id)?))
        .await
        .map(Json)
}

/// `POST …/goals`: the body is a goal (PRD-069's `title`, `metrics`,
/// `targetDate`, …); `startDate` defaults to today; a metric's `current`
/// (at `measuredAt`, default now) is its first measurement. 201 with the goal
/// as stored, ids assigned. An unknown field is a 400 naming its path.
#[utoipa::path(
    post,
    path = "/api/intelligence/success-metrics/{customer_id}/goals",
    tag = "goals",
    params(("customer_id" = String, Path, description = "The account: its `customerId`, external id or exact name")),
    request_body = GoalBody,
    responses((status = 201, description = "The goal as stored, ids assigned", body = Goal)),
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path(customer_id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Goal>), ApiError> {
    let now = now();
    let goal = parse_goal(&body, now.date()).map_err(rapport_app::AppError::from)?;
    let stored = blocking(&state, move |app| {
        Ok(app.create_goal(&person, &customer_id, goal, now)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// `PUT …/goals/{goalId}`: replaces the goal; metrics keep their histories.
#[utoipa::path(
    put,
    path = "/api/intelligence/success-metrics/{customer_id}/goals/{goal_id}",
    tag = "goals",
    params(("customer_id" = String, Path, description = "The account: its `customerId`, external id or exact name"), ("goal_id" = String, Path, description = "The goal's id")),
    request_body = GoalBody,
    responses((status = 200, description = "The goal as stored", body = Goal)),
)]
pub(crate) async fn replace(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path((customer_id, goal_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Goal>, ApiError> {
    let now = now();
    blocking(&state, move |app| {
        Ok(app.replace_goal(&person, &customer_id, &goal_id, &body, now)?)
    })
    .await
    .map(Json)
}

/// `DELETE …/goals/{goalId}`: 204, or 404 when there is no such goal.
#[utoipa::path(
    delete,
    path = "/api/intelligence/success-metrics/{customer_id}/goals/{goal_id}",
    tag = "goals",
    params(("customer_id" = String, Path, description = "The account: its `customerId`, external id or exact name"), ("goal_id" = String, Path, description = "The goal's id")),
    responses((status = 204, description = "Deleted")),
)]
pub(crate) async fn delete(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path((customer_id, goal_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let now = now();
    blocking(&state, move |app| {
        app.delete_goal(&person, &customer_id, &goal_id, now)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NewMeasurement {
    value: f64,
    /// Default: now.
    at: Option<Timestamp>,
    note: Option<String>,
}

/// `POST …/metrics/{metricId}/measurements`: `{"value", "at"?, "note"?}`.
#[utoipa::path(
    post,
    path = "/api/intelligence/success-metrics/{customer_id}/metrics/{metric_id}/measurements",
    tag = "goals",
    params(("customer_id" = String, Path, description = "The account: its `customerId`, external id or exact name"), ("metric_id" = String, Path, description = "The metric's id")),
    request_body = NewMeasurement,
    responses((status = 201, description = "The goal with the measurement recorded", body = Goal)),
)]
pub(crate) async fn measure(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path((customer_id, metric_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<Goal>), ApiError> {
    let update: NewMeasurement = parse_body(&body)?;
    let now = now();
    let measurement = Measurement {
        at: update.at.unwrap_or(now),
        value: update.value,
        note: update.note,
    };
    let goal = blocking(&state, move |app| {
        Ok(app.record_measurement(&person, &customer_id, &metric_id, measurement, now)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(goal)))
}

/// `PUT …/metrics/{metricId}`: edits a metric's definition (its history is
/// kept; a `current` value is added to it).
#[utoipa::path(
    put,
    path = "/api/intelligence/success-metrics/{customer_id}/metrics/{metric_id}",
    tag = "goals",
    params(("customer_id" = String, Path, description = "The account: its `customerId`, external id or exact name"), ("metric_id" = String, Path, description = "The metric's id")),
    request_body = MetricBody,
    responses((status = 200, description = "The goal with the metric edited", body = Goal)),
)]
pub(crate) async fn edit_metric(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path((customer_id, metric_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Goal>, ApiError> {
    let metric = parse_metric(&body).map_err(rapport_app::AppError::from)?;
    let now = now();
    blocking(&state, move |app| {
        Ok(app.edit_metric(&person, &customer_id, &metric_id, metric, now)?)
    })
    .await
    .map(Json)
}

/// `DELETE …/metrics/{metricId}`: 204, or 404.
#[utoipa::path(
    delete,
    path = "/api/intelligence/success-metrics/{customer_id}/metrics/{metric_id}",
    tag = "goals",
    params(("customer_id" = String, Path, description = "The account: its `customerId`, external id or exact name"), ("metric_id" = String, Path, description = "The metric's id")),
    responses((status = 204, description = "Deleted")),
)]
pub(crate) async fn delete_metric(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path((customer_id, metric_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let now = now();
    blocking(&state, move |app| {
        app.delete_metric(&person, &customer_id, &metric_id, now)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}
