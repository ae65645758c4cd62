//! Manual score overrides over HTTP: set or replace (`PUT`), remove (`DELETE`)
//! and read (`GET`, at any instant) an account's overrides with their audit
//! trail. The server stamps each event with its clock; what is in force, the
//! old value and the validation are `rapport_core::overrides`'.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use rapport_core::overrides::{
    AccountOverrides, OverrideEvent, ScoreOverride, account_overrides, parse_override_request,
    remove_override, set_override, validate_model_name,
};
use rapport_core::{Account, Timestamp};
use rapport_store::Store;
use serde::{Deserialize, Serialize};

use crate::{ApiError, AppState, now_millis, resolve};

fn bad_field(error: rapport_core::success::edit::FieldError) -> ApiError {
    ApiError::BadRequest {
        parameter: error.field,
        reason: error.reason,
    }
}

fn account_of(store: &dyn Store, customer_id: &str) -> Result<Account, ApiError> {
    let accounts = store.accounts()?;
    Ok(resolve(&accounts, customer_id)?.clone())
}

fn events_of(store: &dyn Store, account: &Account) -> Result<Vec<OverrideEvent>, ApiError> {
    Ok(store
        .override_events(Some(&account.external_id))?
        .into_iter()
        .map(|(_, event)| event)
        .collect())
}

/// A shipped model or the engagement model this server scores with.
fn check_model(state: &AppState, model: &str) -> Result<(), ApiError> {
    validate_model_name(
        model,
        &std::iter::once(&state.models.default)
            .chain(state.models.by_tier.iter().map(|(_, model)| model))
            .chain(std::iter::once(&state.health_model))
            .map(|model| model.name.as_str())
            .collect::<Vec<_>>(),
    )
    .map_err(bad_field)
}

/// What a `PUT` answers: the override now in force and the event written.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OverrideSet {
    #[serde(rename = "override")]
    override_: ScoreOverride,
    event: OverrideEvent,
}

/// `PUT /api/intelligence/overrides/{customerId}/{model}` with
/// `{"value", "reason", "author", "expiresAt"?}`: 201 when no override was in
/// force, 200 when one is replaced (the event's `old`).
pub(crate) async fn put(
    State(state): State<Arc<AppState>>,
    Path((customer_id, model)): Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<OverrideSet>), ApiError> {
    check_model(&state, &model)?;
    let request = parse_override_request(&body).map_err(bad_field)?;
    state
        .with_store(move |store| {
            let account = account_of(store, &customer_id)?;
            let events = events_of(store, &account)?;
            let now = Timestamp::from_millis(now_millis());
            let event = set_override(&events, &model, &request, now).map_err(bad_field)?;
            let override_ = event
                .override_set()
                .ok_or_else(|| ApiError::internal("a set event without its override"))?;
            store.record_override_event(&account.external_id, &event)?;
            let status = if event.old.is_some() {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            Ok((status, Json(OverrideSet { override_, event })))
        })
        .await
}

#[derive(Deserialize)]
pub(crate) struct RemoveQuery {
    author: Option<String>,
    reason: Option<String>,
}

/// `DELETE /api/intelligence/overrides/{customerId}/{model}?author=…&reason=…`:
/// 204, or 404 when no override of the model is in force.
pub(crate) async fn remove(
    State(state): State<Arc<AppState>>,
    Path((customer_id, model)): Path<(String, String)>,
    Query(query): Query<RemoveQuery>,
) -> Result<StatusCode, ApiError> {
    check_model(&state, &model)?;
    let author = query.author.unwrap_or_default();
    let reason = query.reason.unwrap_or_default();
    state
        .with_store(move |store| {
            let account = account_of(store, &customer_id)?;
            let events = events_of(store, &account)?;
            let now = Timestamp::from_millis(now_millis());
            let event = remove_override(&events, &model, &author, &reason, now)
                .map_err(bad_field)?
                .ok_or_else(|| {
                    ApiError::NotFound(format!(
                        "no override of `{model}` is in force for `{customer_id}`"
                    ))
                })?;
            store.record_override_event(&account.external_id, &event)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OverridesQuery {
    as_of: Option<String>,
}

/// `GET /api/intelligence/overrides/{customerId}?asOf=…`: the overrides in
/// force at `asOf` (default now), those lapsed by expiry, and the audit trail.
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    Path(customer_id): Path<String>,
    Query(query): Query<OverridesQuery>,
) -> Result<Json<AccountOverrides>, ApiError> {
    let as_of = crate::as_of(query.as_of.as_deref())?;
    state
        .with_store(move |store| {
            let account = account_of(store, &customer_id)?;
            let events = events_of(store, &account)?;
            Ok(account_overrides(&account, &events, as_of))
        })
        .await
        .map(Json)
}
