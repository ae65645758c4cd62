//! Tasks over HTTP (docs/tasks.md): `GET /api/tasks?account&owner&status&dueBefore`
//! lists the tasks of the accounts the person sees, `POST
//! /api/accounts/{id}/tasks` makes one (`{"title", "detail"?, "owner"?,
//! "due"?}`) on an account they may change, `POST /api/tasks/{id}/complete`
//! and `POST /api/tasks/{id}/dismiss` (`{"reason"?}` or no body) close one,
//! each by the person signed in.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use rapport_app::AppError;
use rapport_app::paging::Page;
use rapport_app::tasks::{TaskQuery, TaskView};
use rapport_core::access::Person;
use rapport_core::tasks::{DismissBody, Task, TaskBody, parse_dismiss_body, parse_task_request};
use serde::Deserialize;

use crate::routes::Routes;
use crate::{ApiError, AppState, Json, blocking, now};

/// The routes, mounted by the router.
pub(crate) fn routes(state: &AppState) -> Routes {
    Routes::new(state)
        .read("/api/tasks", None, list)
        .write(Method::POST, "/api/accounts/{id}/tasks", Some("id"), create)
        .write(Method::POST, "/api/tasks/{id}/complete", None, complete)
        .write(Method::POST, "/api/tasks/{id}/dismiss", None, dismiss)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListQuery {
    /// Only this account's tasks: its `customerId`, external id or exact name.
    account: Option<String>,
    /// Only tasks this person owns (their name, ignoring case).
    owner: Option<String>,
    /// `open` (default), `completed`, `dismissed` or `all`.
    #[param(pattern = "^(open|completed|dismissed|all)?$")]
    status: Option<String>,
    /// Only tasks due before this date (`YYYY-MM-DD`; empty: no filter).
    #[param(pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    due_before: Option<String>,
    /// At most this many tasks (1–1000; every task when absent); the
    /// `X-Total-Count` header says how many there are.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
    /// The first task of the page (0 when absent).
    #[param(value_type = Option<u64>, maximum = 1000000000)]
    offset: Option<String>,
}

/// `GET /api/tasks`: the tasks of the accounts the person sees, soonest
/// due first (newest first among tasks due the same day).
#[utoipa::path(
    get,
    path = "/api/tasks",
    tag = "tasks",
    params(ListQuery),
    responses(
        (status = 200, description = "The tasks", body = Vec<TaskView>, headers(
            ("X-Total-Count" = u64, description = "How many tasks the filters keep, on every page"),
        )),
        (status = 404, description = "The account is unknown or outside the person's scope", body = crate::error::ErrorBody),
    ),
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Query(query): Query<ListQuery>,
) -> Result<axum::response::Response, ApiError> {
    let page = Page::parse(query.limit.as_deref(), query.offset.as_deref())?;
    let query = TaskQuery {
        account: query.account,
        owner: query.owner,
        status: query.status,
        due_before: query.due_before,
    };
    let tasks = blocking(&state, move |app| Ok(app.tasks(&person, &query)?)).await?;
    Ok(crate::paged(page, tasks))
}

/// `POST /api/accounts/{id}/tasks` `{"title", "detail"?, "owner"?, "due"?}`
/// → 201 with the task (source `person`, the person signed in); 400 naming
/// the field.
#[utoipa::path(
    post,
    path = "/api/accounts/{id}/tasks",
    tag = "tasks",
    params(("id" = String, Path, description = "The account: its `customerId`, external id or exact name")),
    request_body = TaskBody,
    responses((status = 201, description = "The task", body = TaskView)),
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path(account): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<TaskView>), ApiError> {
    let now = now();
    let request = parse_task_request(&body, now.date()).map_err(AppError::from)?;
    let created = blocking(&state, move |app| {
        Ok(app.create_task(&person, &account, &request, now)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `POST /api/tasks/{id}/complete`: the task, completed by the person
/// signed in; 404 outside their scope, 409 when it is closed already.
#[utoipa::path(
    post,
    path = "/api/tasks/{id}/complete",
    tag = "tasks",
    params(("id" = i64, Path, description = "The task's id")),
    responses(
        (status = 200, description = "The task, completed", body = Task),
        (status = 409, description = "The task is completed or dismissed already", body = crate::error::ErrorBody),
    ),
)]
pub(crate) async fn complete(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path(id): Path<i64>,
) -> Result<Json<Task>, ApiError> {
    let now = now();
    blocking(&state, move |app| Ok(app.complete_task(&person, id, now)?))
        .await
        .map(Json)
}

/// `POST /api/tasks/{id}/dismiss` with no body or `{"reason"?}`: the task,
/// dismissed by the person signed in; 404 outside their scope, 409 when it
/// is closed already.
#[utoipa::path(
    post,
    path = "/api/tasks/{id}/dismiss",
    tag = "tasks",
    params(("id" = i64, Path, description = "The task's id")),
    request_body(content = Option<DismissBody>, description = "None, or `{\"reason\"?}`"),
    responses(
        (status = 200, description = "The task, dismissed", body = Task),
        (status = 409, description = "The task is completed or dismissed already", body = crate::error::ErrorBody),
    ),
)]
pub(crate) async fn dismiss(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<Task>, ApiError> {
    let reason = parse_dismiss_body(&body).map_err(AppError::from)?;
    let now = now();
    blocking(&state, move |app| {
        Ok(app.dismiss_task(&person, id, reason.as_deref(), now)?)
    })
    .await
    .map(Json)
}
