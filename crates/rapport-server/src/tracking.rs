//! The tracking API over HTTP (`docs/tracking.md`): Segment's
//! `POST /v1/batch`, `/v1/identify`, `/v1/track`, `/v1/page`, `/v1/screen`,
//! `/v1/group` and `/v1/alias`, and `POST /api/activities` (the import
//! contract's activity objects, under a write key or a signed-in person's
//! token for the accounts they see). Each handler reads the write key (HTTP
//! Basic with the key as the user name and an empty password, or a Bearer
//! token; `writeKey` in a Segment body), undoes a gzip `Content-Encoding`
//! within the size limit, and calls one use case; the answer (200) comes once
//! the events are durably stored. The rules are the application layer's.

use std::io::Read;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, header};
use base64::Engine;
use rapport_app::tracking::{
    ActivitiesReceipt, ActivitySender, CallType, Endpoint, MAX_BATCH_BYTES, TrackingError,
    TrackingReceipt,
};

use rapport_core::access::{Permission, Person};

use crate::routes::{Access, Routes};
use crate::{ApiError, AppState, Json, blocking, now};

/// The largest body read off the wire (a gzip body beyond this could only
/// unpack to more than the batch limit anyway).
const WIRE_LIMIT: usize = MAX_BATCH_BYTES + 64 * 1024;
/// `POST /api/activities` takes the batch limit too.
const ACTIVITIES_LIMIT: usize = MAX_BATCH_BYTES;

/// The routes, mounted by the router.
pub(crate) fn routes(state: &AppState) -> Routes {
    Routes::new(state)
        .add(Method::POST, "/v1/batch", Access::Ingest, batch)
        .add(Method::POST, "/v1/import", Access::Ingest, import)
        .add(Method::POST, "/v1/identify", Access::Ingest, identify)
        .add(Method::POST, "/v1/track", Access::Ingest, track)
        .add(Method::POST, "/v1/page", Access::Ingest, page)
        .add(Method::POST, "/v1/screen", Access::Ingest, screen)
        .add(Method::POST, "/v1/group", Access::Ingest, group)
        .add(Method::POST, "/v1/alias", Access::Ingest, alias)
        .add(
            Method::POST,
            "/api/activities",
            Access::IngestOrPerson {
                permission: Permission::Write,
            },
            activities,
        )
        .map_router(|router| router.layer(DefaultBodyLimit::max(WIRE_LIMIT)))
}

impl From<TrackingError> for ApiError {
    fn from(error: TrackingError) -> Self {
        match error {
            TrackingError::Unauthorized(message) => ApiError::Unauthorized(message),
            TrackingError::Body(body) => ApiError::BadRequest {
                parameter: "body".into(),
                reason: body.to_string(),
            },
            overloaded @ TrackingError::Overloaded { .. } => {
                ApiError::TooManyRequests(overloaded.to_string())
            }
            TrackingError::Write {
                busy: true,
                message,
            } => ApiError::Busy(message),
            TrackingError::Write { message, .. } => ApiError::Internal(message),
            TrackingError::App(app) => ApiError::from(app),
        }
    }
}

type Body = Result<Bytes, BytesRejection>;

/// Segment's batch call.
#[utoipa::path(
    post,
    path = "/v1/batch",
    tag = "tracking",
    request_body = crate::openapi::SegmentBatch,
    responses((status = 200, description = "Stored durably: what became of each event", body = TrackingReceipt)),
)]
async fn batch(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<TrackingReceipt>, ApiError> {
    ingest(state, Endpoint::Batch, headers, body).await
}

/// Segment's import call: a batch, as RudderStack and older libraries send it.
#[utoipa::path(
    post,
    path = "/v1/import",
    tag = "tracking",
    request_body = crate::openapi::SegmentBatch,
    responses((status = 200, description = "Stored durably: what became of each event", body = TrackingReceipt)),
)]
async fn import(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<TrackingReceipt>, ApiError> {
    ingest(state, Endpoint::Batch, headers, body).await
}

/// Segment's identify call.
#[utoipa::path(
    post,
    path = "/v1/identify",
    tag = "tracking",
    request_body = crate::openapi::SegmentCall,
    responses((status = 200, description = "Stored durably: what became of each event", body = TrackingReceipt)),
)]
async fn identify(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<TrackingReceipt>, ApiError> {
    ingest(state, Endpoint::Call(CallType::Identify), headers, body).await
}

/// Segment's track call.
#[utoipa::path(
    post,
    path = "/v1/track",
    tag = "tracking",
    request_body = crate::openapi::SegmentCall,
    responses((status = 200, description = "Stored durably: what became of each event", body = TrackingReceipt)),
)]
async fn track(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<TrackingReceipt>, ApiError> {
    ingest(state, Endpoint::Call(CallType::Track), headers, body).await
}

/// Segment's page call.
#[utoipa::path(
    post,
    path = "/v1/page",
    tag = "tracking",
    request_body = crate::openapi::SegmentCall,
    responses((status = 200, description = "Stored durably: what became of each event", body = TrackingReceipt)),
)]
async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<TrackingReceipt>, ApiError> {
    ingest(state, Endpoint::Call(CallType::Page), headers, body).await
}

/// Segment's screen call.
#[utoipa::path(
    post,
    path = "/v1/screen",
    tag = "tracking",
    request_body = crate::openapi::SegmentCall,
    responses((status = 200, description = "Stored durably: what became of each event", body = TrackingReceipt)),
)]
async fn screen(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<TrackingReceipt>, ApiError> {
    ingest(state, Endpoint::Call(CallType::Screen), headers, body).await
}

/// Segment's group call.
#[utoipa::path(
    post,
    path = "/v1/group",
    tag = "tracking",
    request_body = crate::openapi::SegmentCall,
    responses((status = 200, description = "Stored durably: what became of each event", body = TrackingReceipt)),
)]
async fn group(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<TrackingReceipt>, ApiError> {
    ingest(state, Endpoint::Call(CallType::Group), headers, body).await
}

/// Segment's alias call.
#[utoipa::path(
    post,
    path = "/v1/alias",
    tag = "tracking",
    request_body = crate::openapi::SegmentCall,
    responses((status = 200, description = "Stored durably: what became of each event", body = TrackingReceipt)),
)]
async fn alias(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<TrackingReceipt>, ApiError> {
    ingest(state, Endpoint::Call(CallType::Alias), headers, body).await
}

async fn ingest(
    state: AppState,
    endpoint: Endpoint,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<TrackingReceipt>, ApiError> {
    let received_at = now();
    let key = header_key(&headers)?;
    let limit = match endpoint {
        Endpoint::Batch => ("500 KB", "batch"),
        Endpoint::Call(_) => ("32 KB", "event"),
    };
    let body = unpacked(&headers, body, endpoint.limit(), limit)?;
    blocking(&state, move |app| {
        Ok(app.ingest_tracking(endpoint, key.as_deref(), &body, received_at)?)
    })
    .await
    .map(Json)
}

/// `POST /api/activities`: one activity object or an array, each validated
/// on its own; 200 with what was stored and each rejection (its index and
/// field), or 400 when no record could be stored.
#[utoipa::path(
    post,
    path = "/api/activities",
    tag = "tracking",
    request_body = crate::openapi::ContractActivities,
    responses((status = 200, description = "What was stored, and each record refused (its index and field)", body = ActivitiesReceipt)),
)]
async fn activities(
    State(state): State<AppState>,
    person: Option<Extension<Person>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ActivitiesReceipt>, ApiError> {
    let key = match person {
        Some(_) => None,
        None => header_key(&headers)?,
    };
    let body = unpacked(&headers, body, ACTIVITIES_LIMIT, ("500 KB", "request"))?;
    let receipt = blocking(&state, move |app| {
        let sender = match &person {
            Some(Extension(person)) => ActivitySender::Person(person),
            None => ActivitySender::WriteKey(key.as_deref()),
        };
        Ok(app.record_contract_activities(sender, &body, now())?)
    })
    .await?;
    if receipt.inserted + receipt.unchanged == 0 && !receipt.rejected.is_empty() {
        let first = &receipt.rejected[0];
        return Err(ApiError::BadRequest {
            parameter: format!("[{}]", first.index),
            reason: format!(
                "{}{}",
                first.reason,
                match receipt.rejected.len() {
                    1 => String::new(),
                    more => format!(" (and {} more records refused)", more - 1),
                }
            ),
        });
    }
    Ok(Json(receipt))
}

/// The write key of an `Authorization` header: HTTP Basic (the key is the
/// user name, the password empty) or a Bearer token; none without a header.
fn header_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let unusable = || {
        ApiError::Unauthorized(
        "the Authorization header is not HTTP Basic (the write key as the user name, an empty password) or a Bearer token".into(),
    )
    };
    let text = value.to_str().map_err(|_| unusable())?.trim();
    let (scheme, credentials) = text.split_once(' ').ok_or_else(unusable)?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Ok(Some(credentials.trim().to_string()));
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(unusable());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(credentials.trim())
        .map_err(|_| unusable())?;
    let decoded = String::from_utf8(decoded).map_err(|_| unusable())?;
    // "key:" as the specification asks; a bare "key" is accepted too.
    let user = decoded
        .split_once(':')
        .map_or(decoded.as_str(), |(user, _)| user);
    Ok(Some(user.to_string()))
}

/// The request body, gunzipped when its `Content-Encoding` is gzip, refused
/// (400 naming the limit) beyond `limit` bytes unpacked.
fn unpacked(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    (limit_text, what): (&'static str, &'static str),
) -> Result<Vec<u8>, ApiError> {
    let too_large = |size: String| ApiError::BadRequest {
        parameter: "body".into(),
        reason: format!("the request body is {size} bytes: the limit is {limit_text} per {what}"),
    };
    let body = body.map_err(|rejection| match rejection {
        BytesRejection::FailedToBufferBody(_) => too_large(format!("more than {WIRE_LIMIT}")),
        other => ApiError::BadRequest {
            parameter: "body".into(),
            reason: other.body_text(),
        },
    })?;
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match encoding.as_str() {
        "" | "identity" => {
            if body.len() > limit {
                return Err(too_large(body.len().to_string()));
            }
            Ok(body.to_vec())
        }
        "gzip" | "x-gzip" => {
            let mut unpacked = Vec::with_capacity(body.len() * 4);
            flate2::read::GzDecoder::new(&body[..])
                .take(limit as u64 + 1)
                .read_to_end(&mut unpacked)
                .map_err(|error| ApiError::BadRequest {
                    parameter: "body".into(),
                    reason: format!("the gzip body cannot be unpacked: {error}"),
                })?;
            if unpacked.len() > limit {
                return Err(too_large(format!("more than {limit}")));
            }
            Ok(unpacked)
        }
        other => Err(ApiError::BadRequest {
            parameter: "Content-Encoding".into(),
            reason: format!("`{other}` is not supported (send the body as it is, or gzip)"),
        }),
    }
}
