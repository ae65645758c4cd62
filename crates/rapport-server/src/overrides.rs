//! Manual score overrides over HTTP: set or replace (`PUT`), remove (`DELETE`)
//! and read (`GET`, at any instant) an account's overrides with their audit
//! trail. The server stamps each event with its clock; the rules are the
//! application layer's.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use rapport_app::overrides::OverrideSet;
use rapport_core::access::Person;
use rapport_core::scoring::overrides::{AccountOverrides, OverrideBody, parse_override_request};
use serde::Deserialize;

use crate::{ApiError, AppState, Json, as_of, blocking, now};

/// `PUT /api/intelligence/overrides/{customerId}/{model}` with
/// `{"value", "reason", "expiresAt"?}`, by the person signed in: 201 when no
/// override was in force, 200 when one is replaced (the event's `old`).
#[utoipa::path(
    put,
    path = "/api/intelligence/overrides/{customer_id}/{model}",
    tag = "overrides",
    params(("customer_id" = String, Path, description = "The account: its `customerId`, external id or exact name"), ("model" = String, Path, description = "The scoring model's name")),
    request_body = OverrideBody,
    responses(
        (status = 200, description = "An override in force replaced", body = OverrideSet),
        (status = 201, description = "Set where none was in force", body = OverrideSet),
    ),
)]
pub(crate) async fn put(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path((customer_id, model)): Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<OverrideSet>), ApiError> {
    let request = parse_override_request(&body).map_err(rapport_app::AppError::from)?;
    let now = now();
    let set = blocking(&state, move |app| {
        Ok(app.set_override(&person, &customer_id, &model, &request, now)?)
    })
    .await?;
    let status = if set.event.old.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(set)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct RemoveQuery {
    /// Why it is removed (kept in the audit trail).
    reason: Option<String>,
}

/// `DELETE /api/intelligence/overrides/{customerId}/{model}?reason=…`: 204,
/// or 404 when no override of the model is in force. The person signed in is
/// the removal's author.
#[utoipa::path(
    delete,
    path = "/api/intelligence/overrides/{customer_id}/{model}",
    tag = "overrides",
    params(("customer_id" = String, Path, description = "The account: its `customerId`, external id or exact name"), ("model" = String, Path, description = "The scoring model's name"), RemoveQuery),
    responses((status = 204, description = "Removed")),
)]
pub(crate) async fn remove(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path((customer_id, model)): Path<(String, String)>,
    Query(query): Query<RemoveQuery>,
) -> Result<StatusCode, ApiError> {
    let reason = query.reason.unwrap_or_default();
    let now = now();
    blocking(&state, move |app| {
        app.remove_override(&person, &customer_id, &model, &reason, now)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OverridesQuery {
    /// The instant: RFC 3339 or `YYYY-MM-DD`; default: now.
    as_of: Option<String>,
}

/// `GET /api/intelligence/overrides/{customerId}?asOf=…`: the overrides in
/// force at `asOf` (default now), those lapsed by expiry, and the audit trail.
#[utoipa::path(
    get,
    path = "/api/intelligence/overrides/{customer_id}",
    tag = "overrides",
    params(("customer_id" = String, Path, description = "The account: its `customerId`, external id or exact name"), OverridesQuery),
    responses((status = 200, description = "The overrides in force, lapsed, and the audit trail", body = AccountOverrides)),
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    Path(customer_id): Path<String>,
    Query(query): Query<OverridesQuery>,
) -> Result<Json<AccountOverrides>, ApiError> {
    let as_of = as_of(query.as_of.as_deref())?;
    blocking(&state, move |app| Ok(app.overrides(&customer_id, as_of)?))
        .await
        .map(Json)
}
