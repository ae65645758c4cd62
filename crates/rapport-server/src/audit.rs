//! The audit log over HTTP: `GET /api/audit`, admins only, newest first,
//! with filters and paging by id; the same application function as
//! `rapport audit`.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::Method;
use rapport_app::audit::{AuditPage, AuditQuery};
use rapport_core::access::Person;
use serde::Deserialize;

use crate::routes::Routes;
use crate::{ApiError, AppState, Json, blocking};

/// The routes, mounted by the router.
pub(crate) fn routes(state: &AppState) -> Routes {
    Routes::new(state).admin(Method::GET, "/api/audit", list)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditParams {
    /// Only this account's changes (its `customerId`, external id or exact name).
    account: Option<String>,
    /// Only this user's changes (id or name; `0` is the command line's operator).
    user: Option<String>,
    /// An action (`goal.create`) or a kind of subject (`goal`).
    action: Option<String>,
    /// From this instant on (RFC 3339 or `YYYY-MM-DD`).
    since: Option<String>,
    /// Up to this instant (RFC 3339, or `YYYY-MM-DD`: that whole day).
    until: Option<String>,
    /// At most this many entries: 1 to 1,000, default 100.
    limit: Option<String>,
    /// Only entries older than this id (the previous page's `nextBefore`).
    before: Option<String>,
}

/// `GET /api/audit?account&user&action&since&until&limit&before`: a page of
/// the audit log, newest first; 400 naming a filter that does not parse.
#[utoipa::path(
    get,
    path = "/api/audit",
    tag = "audit",
    params(AuditParams),
    responses((status = 200, description = "A page of the audit log, newest first", body = AuditPage)),
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Query(params): Query<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    let query = AuditQuery {
        account: params.account,
        user: params.user,
        action: params.action,
        since: params.since,
        until: params.until,
        limit: params.limit,
        before: params.before,
    };
    blocking(&state, move |app| Ok(app.audit_log(&person, &query)?))
        .await
        .map(Json)
}
