//! The one error type of the HTTP surface. Client errors carry a precise
//! message naming the offending parameter; server errors log their cause and
//! answer with an opaque message; a store busy with another writer for longer
//! than its timeout is a 503 with `Retry-After`, never a 500.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rapport_app::AppError;
use rapport_core::AccountListing;
use rapport_store::StoreError;
use serde::Serialize;

#[derive(Debug)]
pub enum ApiError {
    NotFound(String),
    /// The account reference names no single account: the candidates.
    Ambiguous {
        message: String,
        candidates: Vec<AccountListing>,
    },
    BadRequest {
        parameter: String,
        reason: String,
    },
    /// The request is well formed but the resource's state refuses it (409).
    Conflict(String),
    /// The store is busy with another writer; try again shortly (503).
    Busy(String),
    /// No credentials, or credentials that are not valid (401).
    Unauthorized(String),
    /// No one valid is signed in to the API (401, `WWW-Authenticate: Bearer`).
    Unauthenticated(String),
    /// The person signed in may not do this (403).
    Forbidden(String),
    /// The body is not of the type the route reads (415).
    UnsupportedMediaType(String),
    /// More work waits than the server takes on; try again shortly (429).
    TooManyRequests(String),
    /// The credential made more requests than its rate limit allows (429,
    /// `Retry-After` the seconds to wait).
    RateLimited {
        retry_after_seconds: u64,
    },
    /// A status of the HTTP layer itself (405, 408, 413, …), as JSON.
    Status {
        status: StatusCode,
        message: String,
    },
    Internal(String),
}

impl ApiError {
    pub fn internal(cause: impl Into<String>) -> Self {
        ApiError::Internal(cause.into())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::UnknownAccount(account) => {
                ApiError::NotFound(format!("no account with id `{account}`"))
            }
            StoreError::Busy { .. } => ApiError::Busy(error.to_string()),
            other => ApiError::Internal(format!("{other:?}")),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::NotFound(message) => ApiError::NotFound(message),
            AppError::Ambiguous { .. } => {
                let message = error.to_string();
                let AppError::Ambiguous { candidates, .. } = error else {
                    unreachable!("matched above")
                };
                ApiError::Ambiguous {
                    message,
                    candidates,
                }
            }
            AppError::Invalid { field, reason } => ApiError::BadRequest {
                parameter: field,
                reason,
            },
            AppError::Conflict(message) => ApiError::Conflict(message),
            AppError::Unauthenticated(message) => ApiError::Unauthenticated(message),
            AppError::Forbidden(message) => ApiError::Forbidden(message),
            AppError::RateLimited {
                retry_after_seconds,
            } => ApiError::RateLimited {
                retry_after_seconds,
            },
            AppError::Store(store) => ApiError::from(store),
            AppError::Render(_) | AppError::External(_) => ApiError::Internal(error.to_string()),
        }
    }
}

/// The API's error body, whatever the status.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody {
    /// What went wrong, for a person to read.
    error: String,
    /// The parameter or body field at fault (a 400).
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter: Option<String>,
    /// The accounts an ambiguous reference could mean (a 404).
    #[serde(skip_serializing_if = "Option::is_none")]
    candidates: Option<Vec<AccountListing>>,
}

fn body(error: String) -> ErrorBody {
    ErrorBody {
        error,
        parameter: None,
        candidates: None,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::NotFound(message) => (StatusCode::NOT_FOUND, body(message)),
            ApiError::Ambiguous {
                message,
                candidates,
            } => (
                StatusCode::NOT_FOUND,
                ErrorBody {
                    candidates: Some(candidates),
                    ..body(message)
                },
            ),
            ApiError::Conflict(message) => (StatusCode::CONFLICT, body(message)),
            ApiError::BadRequest { parameter, reason } => (
                StatusCode::BAD_REQUEST,
                ErrorBody {
                    parameter: Some(parameter.clone()),
                    ..body(format!("{parameter}: {reason}"))
                },
            ),
            ApiError::Busy(message) => {
                tracing::warn!("request refused: {message}");
                let mut response = (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Json(body(
                        "the store is busy with another writer; try again".into(),
                    )),
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return response;
            }
            ApiError::Unauthorized(message) => {
                let mut response = (StatusCode::UNAUTHORIZED, Json(body(message))).into_response();
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"Rapport tracking\""),
                );
                return response;
            }
            ApiError::Unauthenticated(message) => {
                let mut response = (StatusCode::UNAUTHORIZED, Json(body(message))).into_response();
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"Rapport\""),
                );
                return response;
            }
            ApiError::Forbidden(message) => (StatusCode::FORBIDDEN, body(message)),
            ApiError::UnsupportedMediaType(message) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, body(message))
            }
            ApiError::TooManyRequests(message) => {
                let mut response =
                    (StatusCode::TOO_MANY_REQUESTS, Json(body(message))).into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return response;
            }
            ApiError::RateLimited {
                retry_after_seconds,
            } => {
                let mut response = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(body(format!(
                        "too many requests with this credential; try again in {retry_after_seconds} s"
                    ))),
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
                return response;
            }
            ApiError::Status { status, message } => (status, body(message)),
            ApiError::Internal(cause) => {
                tracing::error!("request failed: {cause}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    body("internal error; the server log has the details".into()),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}
