//! Alerts over HTTP: `GET /api/alerts?status=…&account=…&csm=…`,
//! `POST /api/alerts/evaluate`, and a person's `POST /api/alerts/{id}/acknowledge`
//! and `POST /api/alerts/{id}/resolve` (`{"author": …, "note"?: …}`).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use rapport_core::Timestamp;
use rapport_core::alerts::{AlertActionError, AlertRun, AlertStatus, StatusFilter, StoredAlert};
use serde::{Deserialize, Serialize};

use crate::goals::parse_body;
use crate::{ApiError, AppState, now_millis};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AlertQuery {
    /// `open`, `acknowledged`, `resolved`, `unresolved` (default) or `all`.
    status: Option<String>,
    account: Option<String>,
    csm: Option<String>,
}

/// An alert with the account it is about.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AlertView {
    #[serde(flatten)]
    alert: StoredAlert,
    status: AlertStatus,
    account_name: String,
    csm: String,
    manager: Option<String>,
}

pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    Query(query): Query<AlertQuery>,
) -> Result<Json<Vec<AlertView>>, ApiError> {
    let wanted = StatusFilter::parse(query.status.as_deref().unwrap_or("")).map_err(|reason| {
        ApiError::BadRequest {
            parameter: "status".into(),
            reason,
        }
    })?;
    state
        .with_store(move |store| {
            let accounts = store.accounts()?;
            let only = match query.account.as_deref().filter(|a| !a.is_empty()) {
                Some(account) => Some(crate::resolve(&accounts, account)?.external_id.clone()),
                None => None,
            };
            let alerts = store.alerts(only.as_ref(), wanted.unresolved_only())?;
            Ok(alerts
                .into_iter()
                .filter(|alert| wanted.keeps(alert))
                .filter_map(|alert| {
                    let account = accounts.iter().find(|a| a.external_id == alert.account)?;
                    if let Some(csm) = query.csm.as_deref().filter(|csm| !csm.is_empty())
                        && !account.csm.eq_ignore_ascii_case(csm.trim())
                    {
                        return None;
                    }
                    Some(AlertView {
                        status: alert.status(),
                        account_name: account.name.clone(),
                        csm: account.csm.clone(),
                        manager: account.manager.clone(),
                        alert,
                    })
                })
                .collect())
        })
        .await
        .map(Json)
}

/// `POST /api/alerts/evaluate`: evaluates every active account's alert rules now.
pub(crate) async fn evaluate(
    State(state): State<Arc<AppState>>,
) -> Result<Json<AlertRun>, ApiError> {
    let now = Timestamp::from_millis(now_millis());
    let app = Arc::clone(&state);
    tokio::task::spawn_blocking(move || app.evaluate_alerts(None, now))
        .await
        .map_err(|error| ApiError::internal(format!("alert evaluation failed: {error}")))?
        .map(Json)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Action {
    author: String,
    #[serde(default)]
    note: Option<String>,
}

fn action_error(error: AlertActionError) -> ApiError {
    match error {
        AlertActionError::NoAuthor => ApiError::BadRequest {
            parameter: "author".into(),
            reason: "must not be empty".into(),
        },
        AlertActionError::AlreadyResolved(id) => {
            ApiError::Conflict(format!("alert {id} is already resolved"))
        }
    }
}

async fn act(
    state: Arc<AppState>,
    id: i64,
    body: Bytes,
    resolve: bool,
) -> Result<Json<StoredAlert>, ApiError> {
    let action: Action = parse_body(&body, |_| {})?;
    let now = Timestamp::from_millis(now_millis());
    let app = Arc::clone(&state);
    state
        .with_store(move |store| {
            let alert = store
                .alert(id)?
                .ok_or_else(|| ApiError::NotFound(format!("no alert with id {id}")))?;
            let changed = if resolve {
                rapport_core::alerts::resolve(&alert, &action.author, action.note.as_deref(), now)
            } else {
                rapport_core::alerts::acknowledge(&alert, &action.author, now)
            }
            .map_err(action_error)?;
            let mut written = store.write_alerts(&[changed])?;
            let alert = written.remove(0);
            if resolve {
                // Subscribers hear that a person resolved it.
                let engine = app.engine.read().map_err(|_| {
                    ApiError::internal("the engine lock was poisoned by an earlier failure")
                })?;
                crate::delivery::enqueue(
                    store,
                    &engine,
                    &[(
                        alert.clone(),
                        rapport_core::delivery::DeliveryEvent::Resolved,
                    )],
                    now,
                )?;
            }
            Ok(alert)
        })
        .await
        .map(Json)
}

pub(crate) async fn acknowledge(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<StoredAlert>, ApiError> {
    act(state, id, body, false).await
}

pub(crate) async fn resolve(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<StoredAlert>, ApiError> {
    act(state, id, body, true).await
}
