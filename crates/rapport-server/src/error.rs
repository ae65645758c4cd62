//! The one error type of the HTTP surface. Client errors carry a precise
//! message naming the offending parameter; server errors log their cause and
//! answer with an opaque message.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rapport_store::StoreError;
use serde::Serialize;

#[derive(Debug)]
pub enum ApiError {
    NotFound(String),
    BadRequest {
        parameter: String,
        reason: String,
    },
    /// The request is well formed but the resource's state refuses it (409).
    Conflict(String),
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
            other => ApiError::Internal(other.to_string()),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody {
    error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::NotFound(message) => (
                StatusCode::NOT_FOUND,
                ErrorBody {
                    error: message,
                    parameter: None,
                },
            ),
            ApiError::Conflict(message) => (
                StatusCode::CONFLICT,
                ErrorBody {
                    error: message,
                    parameter: None,
                },
            ),
            ApiError::BadRequest { parameter, reason } => (
                StatusCode::BAD_REQUEST,
                ErrorBody {
                    error: format!("{parameter}: {reason}"),
                    parameter: Some(parameter),
                },
            ),
            ApiError::Internal(cause) => {
                tracing::error!("request failed: {cause}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorBody {
                        error: "internal error; the server log has the details".into(),
                        parameter: None,
                    },
                )
            }
        };
        (status, Json(body)).into_response()
    }
}
