//! Success goals over HTTP (PRD-069): create, list, replace and delete goals,
//! record a metric's new value (kept in its history), remove a metric. Bodies
//! are parsed field by field so a bad one gets a 400 naming the field.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rapport_core::success::edit::{
    parse_goal, parse_json, record_measurement, remove_metric, replace_goal, validate_goal,
    validate_metric,
};
use rapport_core::success::{Goal, Measurement};
use rapport_core::{ExternalId, Timestamp};
use rapport_store::Store;
use serde::Deserialize;

use rapport_core::success::account::{AccountSuccess, account_success};

use crate::{ApiError, AppState, now_millis, resolve};

/// Parses a JSON body into `T`, naming the field that does not fit.
pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(
    body: &[u8],
    fill: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) -> Result<T, ApiError> {
    parse_json(body, fill).map_err(bad_field)
}

fn bad_field(error: rapport_core::success::edit::FieldError) -> ApiError {
    ApiError::BadRequest {
        parameter: error.field,
        reason: error.reason,
    }
}

fn account_of(store: &dyn Store, customer_id: &str) -> Result<ExternalId, ApiError> {
    let accounts = store.accounts()?;
    Ok(resolve(&accounts, customer_id)?.external_id.clone())
}

fn goals_of(store: &dyn Store, account: &ExternalId) -> Result<Vec<Goal>, ApiError> {
    Ok(store
        .goals(Some(account))?
        .into_iter()
        .map(|(_, goal)| goal)
        .collect())
}

/// Runs a change to one account's goals on the store, then puts the account's
/// goals as stored into the engine, so every later read sees the change.
async fn change_goals<T: Send + 'static>(
    state: &Arc<AppState>,
    customer_id: String,
    work: impl FnOnce(&mut dyn Store, &ExternalId) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let app = Arc::clone(state);
    let (done, account) = state
        .with_store(move |store| {
            let account = account_of(store, &customer_id)?;
            let done = work(store, &account)?;
            app.refresh_goals(store, &account)?;
            Ok((done, account))
        })
        .await?;
    // The account's data changed: its alert rules are evaluated again.
    let app = Arc::clone(state);
    let now = Timestamp::from_millis(now_millis());
    match tokio::task::spawn_blocking(move || app.evaluate_alerts(Some(&account), now)).await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => tracing::warn!("alert evaluation after a goal change: {error:?}"),
        Err(error) => tracing::warn!("alert evaluation task failed: {error}"),
    }
    Ok(done)
}

fn today() -> chrono::NaiveDate {
    Timestamp::from_millis(now_millis()).date()
}

/// `GET /api/intelligence/success-metrics/{customerId}/goals`
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    Path(customer_id): Path<String>,
) -> Result<Json<Vec<Goal>>, ApiError> {
    state
        .with_store(move |store| {
            let account = account_of(store, &customer_id)?;
            goals_of(store, &account)
        })
        .await
        .map(Json)
}

/// `POST /api/intelligence/success-metrics/{customerId}/goals`: the body is a
/// goal (PRD-069's `title`, `metrics`, `targetDate`, …); `startDate` defaults to
/// today. Answers 201 with the goal as stored, ids assigned.
pub(crate) async fn create(
    State(state): State<Arc<AppState>>,
    Path(customer_id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Goal>), ApiError> {
    let mut goal = parse_goal(&body, today()).map_err(bad_field)?;
    goal.id = String::new();
    let stored = change_goals(&state, customer_id, move |store, account| {
        Ok(store.put_goal(account, &goal)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// `PUT …/goals/{goalId}`: replaces the goal; metrics keep their histories.
pub(crate) async fn replace(
    State(state): State<Arc<AppState>>,
    Path((customer_id, goal_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Goal>, ApiError> {
    change_goals(&state, customer_id, move |store, account| {
        let existing = goals_of(store, account)?
            .into_iter()
            .find(|goal| goal.id == goal_id)
            .ok_or_else(|| ApiError::NotFound(format!("no goal with id `{goal_id}`")))?;
        let incoming = parse_goal(&body, existing.start_date).map_err(bad_field)?;
        let goal = replace_goal(&existing, incoming);
        validate_goal(&goal).map_err(bad_field)?;
        Ok(store.put_goal(account, &goal)?)
    })
    .await
    .map(Json)
}

/// `DELETE …/goals/{goalId}`: 204, or 404 when there is no such goal.
pub(crate) async fn delete(
    State(state): State<Arc<AppState>>,
    Path((customer_id, goal_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    change_goals(&state, customer_id, move |store, account| {
        if store.delete_goal(account, &goal_id)? {
            Ok(StatusCode::NO_CONTENT)
        } else {
            Err(ApiError::NotFound(format!("no goal with id `{goal_id}`")))
        }
    })
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewMeasurement {
    value: f64,
    /// Default: now.
    at: Option<Timestamp>,
    note: Option<String>,
}

/// `POST …/metrics/{metricId}/measurements`: `{"value": 1.2, "at"?, "note"?}`
/// records the metric's current value; every value is kept with its instant.
pub(crate) async fn measure(
    State(state): State<Arc<AppState>>,
    Path((customer_id, metric_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<Goal>), ApiError> {
    let update: NewMeasurement = parse_body(&body, |_| {})?;
    if !update.value.is_finite() {
        return Err(ApiError::BadRequest {
            parameter: "value".into(),
            reason: "must be a finite number".into(),
        });
    }
    let measurement = Measurement {
        at: update
            .at
            .unwrap_or_else(|| Timestamp::from_millis(now_millis())),
        value: update.value,
        note: update.note,
    };
    change_goals(&state, customer_id, move |store, account| {
        let mut goals = goals_of(store, account)?;
        let index = record_measurement(&mut goals, &metric_id, measurement)
            .ok_or_else(|| ApiError::NotFound(format!("no metric with id `{metric_id}`")))?;
        Ok((
            StatusCode::CREATED,
            Json(store.put_goal(account, &goals[index])?),
        ))
    })
    .await
}

/// `PUT …/metrics/{metricId}`: edits a metric's definition (its history is kept).
pub(crate) async fn edit_metric(
    State(state): State<Arc<AppState>>,
    Path((customer_id, metric_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Goal>, ApiError> {
    let mut metric: rapport_core::success::Metric = parse_body(&body, |_| {})?;
    validate_metric(&metric, "body").map_err(bad_field)?;
    change_goals(&state, customer_id, move |store, account| {
        let mut goals = goals_of(store, account)?;
        let (goal, existing) = goals
            .iter_mut()
            .find_map(|goal| {
                let index = goal.metrics.iter().position(|m| m.id == metric_id)?;
                Some((goal, index))
            })
            .ok_or_else(|| ApiError::NotFound(format!("no metric with id `{metric_id}`")))?;
        metric.id = metric_id.clone();
        if metric.history.is_empty() {
            metric.history = goal.metrics[existing].history.clone();
        }
        goal.metrics[existing] = metric;
        let goal = goal.clone();
        Ok(store.put_goal(account, &goal)?)
    })
    .await
    .map(Json)
}

/// `DELETE …/metrics/{metricId}`: 204, or 404.
pub(crate) async fn delete_metric(
    State(state): State<Arc<AppState>>,
    Path((customer_id, metric_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    change_goals(&state, customer_id, move |store, account| {
        let mut goals = goals_of(store, account)?;
        let index = remove_metric(&mut goals, &metric_id)
            .ok_or_else(|| ApiError::NotFound(format!("no metric with id `{metric_id}`")))?;
        store.put_goal(account, &goals[index])?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SuccessQuery {
    period: Option<String>,
    include_benchmarks: Option<String>,
    include_targets: Option<String>,
    as_of: Option<String>,
}

fn flag(name: &str, value: Option<&str>) -> Result<bool, ApiError> {
    match value {
        None | Some("") | Some("true") | Some("1") => Ok(true),
        Some("false") | Some("0") => Ok(false),
        Some(other) => Err(ApiError::BadRequest {
            parameter: name.into(),
            reason: format!("`{other}` is neither true nor false"),
        }),
    }
}

/// `GET /api/intelligence/success-metrics/{customerId}?period=all&includeBenchmarks=true&includeTargets=true&asOf=…`
pub(crate) async fn report(
    State(state): State<Arc<AppState>>,
    Path(customer_id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<SuccessQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    match query.period.as_deref() {
        None | Some("") | Some("all") => {}
        Some(other) => {
            return Err(ApiError::BadRequest {
                parameter: "period".into(),
                reason: format!("`{other}`: only `all` (contract start to asOf) is supported"),
            });
        }
    }
    let benchmarks = flag("includeBenchmarks", query.include_benchmarks.as_deref())?;
    let targets = flag("includeTargets", query.include_targets.as_deref())?;
    let as_of = crate::as_of(query.as_of.as_deref())?;
    success_view(&state, customer_id, as_of, benchmarks, targets)
        .await
        .map(|view| Json(view.to_json()))
}

/// One account's success metrics at `as_of`, from the goals the engine holds.
async fn success_view(
    state: &Arc<AppState>,
    customer_id: String,
    as_of: Timestamp,
    benchmarks: bool,
    targets: bool,
) -> Result<AccountSuccess, ApiError> {
    state
        .with_engine(move |state, engine| {
            let mut peers = state
                .success_peers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            engine
                .resolve(&customer_id)
                .and_then(|account| {
                    let peers = benchmarks.then_some(&mut *peers);
                    account_success(engine, account, as_of, peers, targets)
                })
                .ok_or_else(|| ApiError::NotFound(format!("no account with id `{customer_id}`")))
        })
        .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExportQuery {
    format: Option<String>,
    as_of: Option<String>,
}

/// `GET /api/intelligence/success-metrics/{customerId}/value-report?format=html|md&asOf=…`:
/// the customer-facing value report, as a standalone document.
pub(crate) async fn value_report(
    State(state): State<Arc<AppState>>,
    Path(customer_id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<ExportQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let format = match query.format.as_deref() {
        None | Some("") => crate::render::DocumentFormat::Html,
        Some(text) => {
            crate::render::DocumentFormat::parse(text).ok_or_else(|| ApiError::BadRequest {
                parameter: "format".into(),
                reason: format!("`{text}` is neither html nor md"),
            })?
        }
    };
    let as_of = crate::as_of(query.as_of.as_deref())?;
    let view = success_view(&state, customer_id, as_of, false, true).await?;
    let report = rapport_core::success::report::ValueReport::from(&view);
    let document = crate::render::value_report(&report, format).map_err(ApiError::internal)?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, format.content_type())],
        document,
    )
        .into_response())
}
