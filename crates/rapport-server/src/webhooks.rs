//! Webhooks over HTTP: the subscriptions (`GET`/`POST /api/webhooks`,
//! `DELETE /api/webhooks/{id}`, admin only) and an alert's deliveries
//! (`GET /api/alerts/{id}/deliveries`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rapport_app::webhooks::SubscriptionView;
use rapport_core::alerts::delivery::{Delivery, SubscriptionRequest};

use axum::Extension;
use rapport_core::access::Person;

use crate::{ApiError, AppState, Json, blocking, now, parse_body};

/// `GET /api/alerts/{id}/deliveries`: every delivery of an alert and its attempts.
#[utoipa::path(
    get,
    path = "/api/alerts/{id}/deliveries",
    tag = "alerts",
    params(("id" = i64, Path, description = "The alert's id")),
    responses((status = 200, description = "The alert's deliveries", body = Vec<Delivery>)),
)]
pub(crate) async fn deliveries(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    blocking(&state, move |app| Ok(app.deliveries(&person, id)?))
        .await
        .map(Json)
}

/// `POST /api/webhooks` `{"url", "secret", "person"?, "rule"?, "minPriority"?}` → 201
/// with the subscription (its secret only as `"set"`); 400 naming `url`
/// (not http/https, credentials, no host, control characters or spaces, an
/// address that is not public and not in an allowed network) or `secret`.
#[utoipa::path(
    post,
    path = "/api/webhooks",
    tag = "webhooks",
    request_body = SubscriptionRequest,
    responses((status = 201, description = "The subscription, its secret only as `set`", body = SubscriptionView)),
)]
pub(crate) async fn add_webhook(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    body: Bytes,
) -> Result<(StatusCode, Json<SubscriptionView>), ApiError> {
    let request: SubscriptionRequest = parse_body(&body)?;
    let now = now();
    let stored = blocking(&state, move |app| {
        Ok(app.add_webhook(&person, &request, now)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// `GET /api/webhooks`: the subscriptions in force, secrets hidden.
#[utoipa::path(
    get,
    path = "/api/webhooks",
    tag = "webhooks",
    responses((status = 200, description = "The subscriptions", body = Vec<SubscriptionView>)),
)]
pub(crate) async fn webhooks(
    State(state): State<AppState>,
) -> Result<Json<Vec<SubscriptionView>>, ApiError> {
    blocking(&state, |app| Ok(app.webhooks()?)).await.map(Json)
}

/// `DELETE /api/webhooks/{id}`: 204 (its waiting deliveries dropped), or 404.
#[utoipa::path(
    delete,
    path = "/api/webhooks/{id}",
    tag = "webhooks",
    params(("id" = i64, Path, description = "The subscription's id")),
    responses((status = 204, description = "Removed, its waiting deliveries dropped")),
)]
pub(crate) async fn remove_webhook(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let now = now();
    blocking(&state, move |app| {
        app.remove_webhook(&person, id, now)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}
