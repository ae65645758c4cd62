//! Calendar meetings over HTTP: `GET /api/accounts/{id}/meetings` (the
//! meetings an account's calendar imports gave, with their ids) and
//! `POST /api/accounts/{id}/meetings/{meetingId}/no-show`, by the person
//! signed in, which records that the customer did not show up (a calendar cannot say
//! so; a later calendar import does not undo it), and
//! `POST /api/accounts/{id}/meetings/{meetingId}/attended`, which takes a
//! no-show recorded by mistake back. The rules are the application layer's.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use rapport_app::meetings::{AccountMeetings, MeetingRecorded};
use rapport_core::access::Person;
use serde::Deserialize;

use crate::routes::Routes;
use crate::{ApiError, AppState, Json, blocking, now, parse_body};

/// The routes, mounted by the router.
pub(crate) fn routes(state: &AppState) -> Routes {
    const ID: Option<&str> = Some("id");
    Routes::new(state)
        .read("/api/accounts/{id}/meetings", ID, list)
        .write(
            Method::POST,
            "/api/accounts/{id}/meetings/{meeting_id}/no-show",
            ID,
            no_show,
        )
        .write(
            Method::POST,
            "/api/accounts/{id}/meetings/{meeting_id}/attended",
            ID,
            attended,
        )
}

#[utoipa::path(
    get,
    path = "/api/accounts/{id}/meetings",
    tag = "accounts",
    params(("id" = String, Path, description = "The account: its `customerId`, external id or exact name")),
    responses((status = 200, description = "The account's calendar meetings", body = AccountMeetings)),
)]
async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AccountMeetings>, ApiError> {
    blocking(&state, move |app| Ok(app.calendar_meetings(&id)?))
        .await
        .map(Json)
}

/// A mark's body: nothing (who records it is the person signed in), an
/// empty object, or no body at all.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MarkBody {}

/// What a person records of a past occurrence, one handler per route.
#[derive(Clone, Copy)]
enum Mark {
    NoShow,
    Attended,
}

/// Records that the customer did not show up, by the person signed in.
#[utoipa::path(
    post,
    path = "/api/accounts/{id}/meetings/{meeting_id}/no-show",
    tag = "accounts",
    params(("id" = String, Path, description = "The account: its `customerId`, external id or exact name"), ("meeting_id" = String, Path, description = "The meeting's id (`UID_original-start`)")),
    request_body(content = Option<MarkBody>, description = "None, or `{}`"),
    responses(
        (status = 200, description = "It stood already", body = MeetingRecorded),
        (status = 201, description = "Recorded", body = MeetingRecorded),
        (status = 409, description = "The meeting is ahead or cancelled", body = crate::error::ErrorBody),
    ),
)]
async fn no_show(
    state: State<AppState>,
    person: Extension<Person>,
    path: Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<MeetingRecorded>), ApiError> {
    mark(Mark::NoShow, state, person, path, body).await
}

/// Takes back a no-show recorded by mistake, by the person signed in.
#[utoipa::path(
    post,
    path = "/api/accounts/{id}/meetings/{meeting_id}/attended",
    tag = "accounts",
    params(("id" = String, Path, description = "The account: its `customerId`, external id or exact name"), ("meeting_id" = String, Path, description = "The meeting's id (`UID_original-start`)")),
    request_body(content = Option<MarkBody>, description = "None, or `{}`"),
    responses(
        (status = 200, description = "There was no no-show to take back", body = MeetingRecorded),
        (status = 201, description = "The no-show taken back", body = MeetingRecorded),
        (status = 409, description = "The meeting is ahead or cancelled", body = crate::error::ErrorBody),
    ),
)]
async fn attended(
    state: State<AppState>,
    person: Extension<Person>,
    path: Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<MeetingRecorded>), ApiError> {
    mark(Mark::Attended, state, person, path, body).await
}

/// 201 when recorded (or a no-show taken back), 200 when it already stood
/// (or there was none to take back); recorded by the person signed in; 400
/// for a body naming anyone (`by`), 404 for an unknown account or meeting,
/// 409 for a meeting ahead or cancelled.
async fn mark(
    mark: Mark,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path((id, meeting_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<MeetingRecorded>), ApiError> {
    if !body.is_empty() {
        let MarkBody {} = parse_body(&body)?;
    }
    let now = now();
    let recorded = blocking(&state, move |app| {
        Ok(match mark {
            Mark::NoShow => app.record_no_show(&person, &id, &meeting_id, now)?,
            Mark::Attended => app.record_attended(&person, &id, &meeting_id, now)?,
        })
    })
    .await?;
    Ok(answer(recorded))
}

fn answer(recorded: MeetingRecorded) -> (StatusCode, Json<MeetingRecorded>) {
    let status = if recorded.recorded {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(recorded))
}
