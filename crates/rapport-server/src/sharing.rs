//! Share links over HTTP (PRD-069 "Share with Customer", docs/security.md):
//! `POST /api/intelligence/success-metrics/{customer_id}/value-report/share-links`
//! makes a link to the account's value report at one moment (the person
//! must be able to change the account), `GET /api/share-links` lists the
//! links of the accounts the person sees, `DELETE /api/share-links/{id}`
//! revokes one, and `GET /share/{token}` opens it without an account: the
//! page as rendered when the link was made, never cached, never indexed,
//! never leaking its address; any token that opens nothing is the same 404.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rapport_app::AppError;
use rapport_app::sharing::{NewShareLinkView, SHARE_NOT_FOUND, ShareLinkListing, ShareRequest};
use rapport_core::access::Person;
use serde::Deserialize;

use crate::routes::{Access, Routes};
use crate::{ApiError, AppState, Json, blocking, now, parse_body};

/// The routes, mounted by the router.
pub(crate) fn routes(state: &AppState) -> Routes {
    Routes::new(state)
        .write(
            Method::POST,
            "/api/intelligence/success-metrics/{customer_id}/value-report/share-links",
            Some("customer_id"),
            create,
        )
        .read("/api/share-links", None, list)
        .write(Method::DELETE, "/api/share-links/{id}", None, revoke)
        .add(Method::GET, "/share/{token}", Access::Public, open)
}

/// A new link's body: every field optional (`{}` makes a 30-day link to
/// the report as of now).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ShareBody {
    /// How long the link opens: `14d`, `36h`; 1 hour to 90 days, default 30 days.
    expires_in: Option<String>,
    /// The report's moment (RFC 3339 or `YYYY-MM-DD`, not in the future); default now.
    as_of: Option<String>,
    /// The report's ROI lines: `auto` (default), `show` or `hide`.
    roi: Option<String>,
    /// The report's goals: `all` (default) or `started`.
    goals: Option<String>,
}

/// `POST …/value-report/share-links` `{"expiresIn"?, "asOf"?, "roi"?, "goals"?}`
/// → 201 with the link's `path` (`/share/{token}`, shown this once).
#[utoipa::path(
    post,
    path = "/api/intelligence/success-metrics/{customer_id}/value-report/share-links",
    tag = "reports",
    params(("customer_id" = String, Path, description = "The account: its `customerId`, external id or exact name")),
    request_body = ShareBody,
    responses((status = 201, description = "The link; its `path` holds the token, shown this once", body = NewShareLinkView)),
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path(customer_id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<NewShareLinkView>), ApiError> {
    let body: ShareBody = if body.iter().all(u8::is_ascii_whitespace) {
        ShareBody::default()
    } else {
        parse_body(&body)?
    };
    let request = ShareRequest {
        expires_in: body.expires_in,
        as_of: body.as_of,
        roi: body.roi,
        goals: body.goals,
    };
    let now = now();
    let created = blocking(&state, move |app| {
        Ok(app.create_share_link(&person, &customer_id, &request, now)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Only this account's links (its `customerId`, external id or exact name).
    account: Option<String>,
}

/// `GET /api/share-links?account`: the links of the accounts the person
/// sees, oldest first, never their tokens.
#[utoipa::path(
    get,
    path = "/api/share-links",
    tag = "reports",
    params(ListQuery),
    responses((status = 200, description = "The share links", body = Vec<ShareLinkListing>)),
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<ShareLinkListing>>, ApiError> {
    blocking(&state, move |app| {
        Ok(app.share_links(&person, query.account.as_deref())?)
    })
    .await
    .map(Json)
}

/// `DELETE /api/share-links/{id}`: 200 with the link revoked; 404 for a
/// link that does not exist or is of an account the person cannot change.
#[utoipa::path(
    delete,
    path = "/api/share-links/{id}",
    tag = "reports",
    params(("id" = i64, Path, description = "The share link's id")),
    responses((status = 200, description = "The link, revoked", body = ShareLinkListing)),
)]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Path(id): Path<i64>,
) -> Result<Json<ShareLinkListing>, ApiError> {
    let now = now();
    blocking(&state, move |app| {
        Ok(app.revoke_share_link(&person, id, now)?)
    })
    .await
    .map(Json)
}

/// `GET /share/{token}`: the shared value report (HTML), opened without an
/// account; 404 with the same page for a token unknown, expired or revoked.
#[utoipa::path(
    get,
    path = "/share/{token}",
    tag = "reports",
    params(("token" = String, Path, description = "The link's token, as its path gave it")),
    responses(
        (status = 200, description = "The value report as it was when the link was made", content_type = "text/html", body = String),
        (status = 404, description = "The link opens nothing (unknown, expired or revoked: alike): a page saying so to a browser (`Accept: text/html`), else the JSON error", content(
            (crate::error::ErrorBody = "application/json"),
            (String = "text/html"),
        )),
    ),
)]
pub(crate) async fn open(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let now = now();
    let opened = blocking(&state, move |app| match app.open_share_link(&token, now) {
        Ok(page) => Ok(Some(page)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(error) => Err(error.into()),
    })
    .await?;
    // A token that opens nothing is the API's one JSON error, the same
    // body whatever the reason.
    let mut response = match opened {
        Some(page) => axum::response::Html(page).into_response(),
        // A customer opening a dead link in a browser reads a page, not JSON.
        None if wants_html(&headers) => (
            axum::http::StatusCode::NOT_FOUND,
            axum::response::Html(
                rapport_app::render::share_gone(SHARE_NOT_FOUND).map_err(ApiError::internal)?,
            ),
        )
            .into_response(),
        None => ApiError::NotFound(SHARE_NOT_FOUND.into()).into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    Ok(response)
}

/// Whether the client asked for HTML (a browser's `Accept`).
fn wants_html(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|accept| accept.contains("text/html"))
}
