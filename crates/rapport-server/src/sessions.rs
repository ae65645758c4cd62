//! Signing in from a browser (docs/security.md): a token, or the one-time
//! sign-in link's, becomes a session cookie (HttpOnly, SameSite=Strict,
//! Secure behind TLS) and a CSRF token the page sends with every change.
//! `GET /sign-in?token=…` (the link), `POST /api/session` `{"token"}` or
//! `{"name", "password"}`, `GET /api/session` (who is signed in),
//! `DELETE /api/session`.

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
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SignedIn {
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

/// How a person signs in: a token, or a name (or e-mail address) and password.
fn credentials(request: SignInRequest) -> Result<Credentials, ApiError> {
    match request {
        SignInRequest {
            token: Some(token),
            name: None,
            password: None,
        } => Ok(Credentials::Token(token)),
        SignInRequest {
            token: None,
            name: Some(name),
            password: Some(password),
        } => Ok(Credentials::Password { name, password }),
        SignInRequest {
            token: None,
            name: None,
            password: None,
        } => Err(bad_request(
            "token",
            "sign in with `token`, or with `name` and `password`",
        )),
        SignInRequest { token: Some(_), .. } => Err(bad_request(
            "token",
            "give either `token` or `name` and `password`, not both",
        )),
        SignInRequest { name: None, .. } => Err(bad_request(
            "name",
            "missing: who signs in with this password",
        )),
        SignInRequest { password: None, .. } => Err(bad_request("password", "missing")),
    }
}

fn bad_request(parameter: &str, reason: &str) -> ApiError {
    ApiError::BadRequest {
        parameter: parameter.into(),
        reason: reason.into(),
    }
}

enum Credentials {
    Token(String),
    Password { name: String, password: String },
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct LinkQuery {
    /// The one-time sign-in token (or an API token); without one, the
    /// sign-in page.
    token: Option<String>,
    /// The page to go on to once signed in (a path of this site; `/` by default).
    next: Option<String>,
}

/// Where to go once signed in: a path of this site only (never another
/// site's address: `//host` or `https://…` is refused as `/`).
fn safe_next(next: Option<&str>) -> String {
    match next.map(str::trim) {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(|c| c.is_control()) =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

fn sign_in_page(
    status: StatusCode,
    next: &str,
    message: Option<&str>,
) -> Result<Response, ApiError> {
    let page = rapport_app::pages::sign_in(next, message).map_err(ApiError::internal)?;
    let mut response = (status, axum::response::Html(page)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The sign-in link: opens a session and goes to the front page.
#[utoipa::path(
    get,
    path = "/sign-in",
    tag = "session",
    params(LinkQuery),
    responses(
        (status = 200, description = "Without a token: the sign-in page", content_type = "text/html", body = String),
        (status = 303, description = "Signed in: the session cookie set, on to `next` (the front page by default)", headers(
            ("Set-Cookie" = String, description = "The session cookie"),
            ("Location" = String, description = "The front page"),
        )),
        (status = 400, description = "The link is malformed", body = crate::error::ErrorBody),
        (status = 401, description = "The link's token is unknown, used, revoked or expired", body = crate::error::ErrorBody),
        (status = 429, description = "Too many attempts; try again after `Retry-After` seconds", body = crate::error::ErrorBody),
    ),
)]
async fn sign_in_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LinkQuery>,
) -> Result<Response, ApiError> {
    let next = safe_next(query.next.as_deref());
    let Some(token) = query.token.filter(|token| !token.trim().is_empty()) else {
        // No link: the sign-in page (a password, or a token).
        return sign_in_page(StatusCode::OK, &next, None);
    };
    let session = match open(&state, token).await {
        Ok(session) => session,
        // A person following a link that no longer opens reads why on the
        // sign-in page; a program gets the API's error.
        Err(ApiError::Unauthenticated(_)) if wants_html(&headers) => {
            return sign_in_page(
                StatusCode::UNAUTHORIZED,
                &next,
                Some(
                    "This sign-in link was used already, has expired or is not known. Sign in with your password, or ask an admin for a new link.",
                ),
            );
        }
        Err(error) => return Err(error),
    };
    let mut response = Redirect::to(&next).into_response();
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

/// `{"token"}`, or `{"name", "password"}`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignInRequest {
    token: Option<String>,
    name: Option<String>,
    password: Option<String>,
}

/// Opens a browser session with a token, or a name and password.
#[utoipa::path(
    post,
    path = "/api/session",
    tag = "session",
    request_body = SignInRequest,
    responses(
        (status = 201, description = "Signed in: the session cookie set; `csrfToken` goes with every change", body = SignedIn, headers(
            ("Set-Cookie" = String, description = "The session cookie"),
        )),
        (status = 400, description = "The body is malformed", body = crate::error::ErrorBody),
        (status = 401, description = "The credentials are not valid", body = crate::error::ErrorBody),
        (status = 413, description = "The body is too large", body = crate::error::ErrorBody),
        (status = 415, description = "A body that is not JSON", body = crate::error::ErrorBody),
        (status = 429, description = "Too many attempts; try again after `Retry-After` seconds", body = crate::error::ErrorBody),
    ),
)]
async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    refuse_non_json(&headers)?;
    let session = match credentials(parse_body(&body)?)? {
        Credentials::Token(token) => open(&state, token).await?,
        Credentials::Password { name, password } => {
            let at = now();
            blocking(&state, move |app| {
                Ok(app.sign_in_with_password(&name, &password, at)?)
            })
            .await?
        }
    };
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

/// Who is signed in (with the session's CSRF token, for a browser session).
#[utoipa::path(
    get,
    path = "/api/session",
    tag = "session",
    responses((status = 200, description = "The person signed in", body = SignedIn)),
)]
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
#[utoipa::path(
    delete,
    path = "/api/session",
    tag = "session",
    responses((status = 204, description = "Signed out, the cookie cleared", headers(
        ("Set-Cookie" = String, description = "The session cookie, cleared"),
    ))),
)]
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
