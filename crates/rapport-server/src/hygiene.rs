//! What every response of the server gets, whatever route made it: axum's
//! own rejections (a bad path or query parameter, a body too large, a method
//! the path does not take) answered as the API's JSON error naming the
//! parameter; security headers; a time limit; the body size limit of the
//! API's routes (the tracking routes set Segment's own).

use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::ApiError;

/// The largest body an API route reads (goals with long histories stay far
/// below it); the tracking routes have Segment's limits instead.
pub const API_BODY_LIMIT: usize = 1024 * 1024;

/// How long a request may take before it is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The content security policy of every response: nothing but Rapport's own
/// scripts (no inline script), styles inline or its own, images its own or
/// inline data, never framed by another site.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
     connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Adds the security headers to every response (a route that set its own
/// `Referrer-Policy` keeps it).
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// Answers 503 (JSON, `Retry-After`) when a request takes longer than
/// [`REQUEST_TIMEOUT`].
pub(crate) async fn time_limit(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let mut response = ApiError::Status {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: format!(
                    "the request took longer than {} s; try again",
                    REQUEST_TIMEOUT.as_secs()
                ),
            }
            .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            response
        }
    }
}

/// Turns an error response that is not JSON (axum's own rejections, which
/// are plain text) into the API's JSON error, naming the parameter when the
/// rejection does.
pub(crate) async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_ours(response.headers()) {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let text = match axum::body::to_bytes(response.into_body(), 64 * 1024).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => String::new(),
    };
    let mut answer = rejection(status, &text, allow.as_ref()).into_response();
    let headers = answer.headers_mut();
    if let Some(allow) = allow {
        headers.insert(header::ALLOW, allow);
    }
    if let Some(retry_after) = retry_after {
        headers.insert(header::RETRY_AFTER, retry_after);
    }
    answer
}

/// An error the server wrote itself: the API's JSON error, or a page for a
/// browser (a dead share link's); axum's own rejections are plain text.
fn is_ours(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value.starts_with("application/json") || value.starts_with("text/html")
        })
}

/// The API error for a plain-text rejection of `status`.
fn rejection(status: StatusCode, text: &str, allow: Option<&HeaderValue>) -> ApiError {
    match status {
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => ApiError::BadRequest {
            parameter: named_parameter(text),
            reason: if text.is_empty() {
                "the request is malformed".into()
            } else {
                text.to_string()
            },
        },
        StatusCode::METHOD_NOT_ALLOWED => ApiError::Status {
            status,
            message: match allow.and_then(|allow| allow.to_str().ok()) {
                Some(allow) => format!("this path does not take that method; it takes {allow}"),
                None => "this path does not take that method".into(),
            },
        },
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::Status {
            status,
            message: format!(
                "the body is larger than this route reads (at most {} KiB)",
                API_BODY_LIMIT / 1024
            ),
        },
        _ if status.is_server_error() => {
            ApiError::internal(format!("the HTTP layer answered {status}: {text}"))
        }
        _ => ApiError::Status {
            status,
            message: if text.is_empty() {
                status
                    .canonical_reason()
                    .unwrap_or("the request was refused")
                    .to_string()
            } else {
                text.to_string()
            },
        },
    }
}

/// The parameter a rejection's text names: the first `quoted` name in it
/// (serde's "unknown field `x`", "duplicate field `x`", axum's "Cannot parse
/// `id` with value …"), else which part of the request was refused.
fn named_parameter(text: &str) -> String {
    // "Cannot parse `abc` to a `i64`" quotes the value, not the parameter.
    let quotes_a_value = text.contains("Cannot parse `") && !text.contains(" with value `");
    if let Some(name) = text.split('`').nth(1).filter(|name| {
        !quotes_a_value && !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_')
    }) {
        return name.to_string();
    }
    let lower = text.to_ascii_lowercase();
    if lower.contains("query") {
        "query".into()
    } else if lower.contains("url") || lower.contains("path") {
        "path".into()
    } else {
        "body".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_names_its_parameter() {
        for (text, parameter) in [
            (
                "Failed to deserialize query string: unknown field `author`, expected `reason`",
                "author",
            ),
            (
                "Failed to deserialize query string: duplicate field `status`",
                "status",
            ),
            (
                "Invalid URL: Cannot parse `id` with value `abc` to a `i64`",
                "id",
            ),
            ("Failed to deserialize query string: invalid digit", "query"),
            ("Invalid URL: something else", "path"),
            ("Invalid URL: Cannot parse `abc` to a `i64`", "path"),
            ("Failed to buffer the request body", "body"),
        ] {
            assert_eq!(named_parameter(text), parameter, "{text}");
        }
    }

    #[tokio::test]
    async fn plain_text_errors_become_json_and_keep_allow() {
        let error = rejection(
            StatusCode::BAD_REQUEST,
            "Invalid URL: Cannot parse `id` with value `x` to a `i64`",
            None,
        )
        .into_response();
        assert_eq!(error.headers()[header::CONTENT_TYPE], "application/json");
        let bytes = axum::body::to_bytes(error.into_body(), 4096).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["parameter"], "id");
        let allow = HeaderValue::from_static("GET,HEAD");
        let refused = rejection(StatusCode::METHOD_NOT_ALLOWED, "", Some(&allow)).into_response();
        assert_eq!(refused.status(), StatusCode::METHOD_NOT_ALLOWED);
        let bytes = axum::body::to_bytes(refused.into_body(), 4096)
            .await
            .unwrap();
        assert!(String::from_utf8_lossy(&bytes).contains("GET,HEAD"));
    }
}
