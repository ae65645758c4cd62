//! Model settings over HTTP (docs/dashboard.md): `GET /api/models` (the
//! engagement and health models in use, with their saved versions), `POST
//! /api/models/{model}/preview` (what an edit would do to every account's
//! score and band) and `POST /api/models/{model}/versions` (save the edit as
//! the model's next version, audited). An admin's.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use rapport_app::models::ModelSettings;
use rapport_core::access::Person;
use rapport_core::portfolio::preview::ModelPreview;
use rapport_core::scoring::edit::ModelEdit;

use crate::routes::Routes;
use crate::{ApiError, AppState, Json, blocking, now, parse_body};

/// The routes, mounted by the router.
pub(crate) fn routes(state: &AppState) -> Routes {
    Routes::new(state)
        .admin(Method::GET, "/api/models", list)
        .admin(Method::POST, "/api/models/{model}/preview", preview)
        .admin(Method::POST, "/api/models/{model}/versions", save)
}

/// `GET /api/models`: the engagement and health models in use.
#[utoipa::path(
    get,
    path = "/api/models",
    tag = "models",
    responses((status = 200, description = "The models in use and their saved versions", body = Vec<ModelSettings>)),
)]
pub(crate) async fn list(
    State(state): State<AppState>,
) -> Result<Json<Vec<ModelSettings>>, ApiError> {
    blocking(&state, |app| Ok(app.model_settings()?))
        .await
        .map(Json)
}

/// `POST /api/models/{model}/preview` with an edit: every active account's
/// score and band now and under the edited model; nothing is saved.
#[utoipa::path(
    post,
    path = "/api/models/{model}/preview",
    tag = "models",
    params(("model" = String, Path, description = "`engagement` or `health`")),
    request_body = ModelEdit,
    responses((status = 200, description = "What the edit would change", body = ModelPreview)),
)]
pub(crate) async fn preview(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path(model): Path<String>,
    body: Bytes,
) -> Result<Json<ModelPreview>, ApiError> {
    let edit: ModelEdit = parse_body(&body)?;
    let at = rapport_app::report_instant(now());
    blocking(&state, move |app| {
        Ok(app.preview_model(&person, &model, &edit, at)?)
    })
    .await
    .map(Json)
}

/// `POST /api/models/{model}/versions` with an edit: saved as the model's
/// next version (audited); every surface scores with it from then on.
#[utoipa::path(
    post,
    path = "/api/models/{model}/versions",
    tag = "models",
    params(("model" = String, Path, description = "`engagement` or `health`")),
    request_body = ModelEdit,
    responses((status = 201, description = "The model as saved, with its versions", body = ModelSettings)),
)]
pub(crate) async fn save(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path(model): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<ModelSettings>), ApiError> {
    let edit: ModelEdit = parse_body(&body)?;
    let at = now();
    blocking(&state, move |app| {
        Ok(app.save_model(&person, &model, &edit, at)?)
    })
    .await
    .map(|settings| (StatusCode::CREATED, Json(settings)))
}
