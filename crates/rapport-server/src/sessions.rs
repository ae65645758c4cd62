//! Signing in from a browser (docs/security.md): a token, or the one-time
//! sign-in link's, becomes a session cookie (HttpOnly, SameSite=Strict,
//! Secure behind TLS) and a CSRF token the page sends with every change.
//! `GET /sign-in?token=…` (the link), `POST /api/session` `{"token"}`,
//! `GET /api/session` (who is signed in), `DELETE /api/session`.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::identity::{OpenedSession, SESSION_HOURS};
use rapport_core::Timestamp;
use rapport_core::access::{Person, Role};
use serde::{Deserialize, Serialize};

use crate::routes::{Access, Routes, SESSION_COOKIE, refuse_non_json};
use crate::{ApiError, AppState, Json, blocking, now, parse_body};

pub(crate) fn routes(state: &AppState) -> Routes {
    Routes::new(state)
        .add(Method::GET, "/sign-in", Access::Public, sign_in_link)
        .add(Method::POST, "/api/session", Access::Public, sign_in)
        .read("/api/session", None, who)
        .add(Method::DELETE, "/api/session", Access::Public, sign_out)
}

/// Who is signed in.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignedIn {
    user_id: i64,
    name: String,
    role: Role,
    /// The token a page sends in `X-CSRF-Token` with every change; only
    /// for a browser session.
    #[serde(skip_serializing_if = "Option::is_none")]
    csrf_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<Timestamp>,
}

fn signed_in(person: &Person, session: Option<&OpenedSession>) -> SignedIn {
    SignedIn {
        user_id: person.id,
        name: person.name.clone(),
        role: person.role,
        csrf_token: session.map(|session| session.csrf.clone()),
        expires_at: session.map(|session| session.expires_at),
    }
}

/// The session cookie: `Secure` when the request came through TLS (a
/// proxy in front says so with `X-Forwarded-Proto: https`).
fn cookie(headers: &HeaderMap, value: &str, max_age_seconds: i64) -> HeaderValue {
    let secure = headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    let text = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

async fn open(state: &AppState, token: String) -> Result<OpenedSession, ApiError> {
    let at = now();
    blocking(state, move |app| Ok(app.sign_in_with_token(&token, at)?)).await
}

#[derive(Deserialize)]
struct LinkQuery {
    token: Option<String>,
}

/// The sign-in link: opens a session and goes to the front page.
async fn sign_in_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LinkQuery>,
) -> Result<Response, ApiError> {
    let token = query.token.unwrap_or_default();
    let session = open(&state, token).await?;
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cookie(&headers, &session.secret, SESSION_HOURS * 3600),
    );
    // The link's token must not travel on in a Referer.
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInRequest {
    token: String,
}

async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    refuse_non_json(&headers)?;
    let request: SignInRequest = parse_body(&body)?;
    let session = open(&state, request.token).await?;
    let mut response = (
        StatusCode::CREATED,
        Json(signed_in(&session.person, Some(&session))),
    )
        .into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cookie(&headers, &session.secret, SESSION_HOURS * 3600),
    );
    Ok(response)
}

async fn who(headers: HeaderMap, Extension(person): Extension<Person>) -> Json<SignedIn> {
    let mut answer = signed_in(&person, None);
    answer.csrf_token =
        session_secret(&headers).map(|secret| rapport_app::identity::csrf_token(&secret));
    Json(answer)
}

pub(crate) fn session_secret(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|value| !value.is_empty())
}

/// Ends the browser's session (if any) and clears its cookie: 204.
async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(secret) = session_secret(&headers) {
        blocking(&state, move |app| Ok(app.sign_out(&secret)?)).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie(&headers, "", 0));
    Ok(response)
}
