//! The route table: every route with what it needs of the caller, built
//! into the router by one builder so the table the role × route test reads
//! is the router's own (a route cannot be added without its access rule).
//! The guard here authenticates the caller (an API token, or a session
//! cookie with its CSRF token on every change), refuses what the role does
//! not grant, refuses an account outside a CSM's scope as not found, and
//! hands the person to the handler.

use axum::Router;
use axum::extract::{FromRequestParts, RawPathParams, Request, State};
use axum::handler::Handler;
use axum::http::{Method, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use rapport_core::access::Permission;

use crate::{ApiError, AppState, now};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "rapport_session";
/// The header a page sends its session's CSRF token in with every change.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What a route needs of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the health check, signing in.
    Public,
    /// An ingest write key, checked by the handler (the tracking API).
    Ingest,
    /// An ingest write key (checked by the handler), or a signed-in person
    /// whose role grants `permission`, who may send only for the accounts
    /// they see (`POST /api/activities`).
    IngestOrPerson { permission: Permission },
    /// A signed-in person whose role grants `permission`; `account` names
    /// the path parameter holding an account reference, which must be in
    /// their scope.
    Person {
        permission: Permission,
        account: Option<&'static str>,
    },
    /// A page of the dashboard: as `Person`, but someone not signed in is
    /// sent to the sign-in page (303), and a refusal is a page, not JSON.
    Page {
        permission: Permission,
        account: Option<&'static str>,
    },
}

/// One route of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

/// The router being built and its table.
pub(crate) struct Routes {
    state: AppState,
    router: Router<AppState>,
    table: Vec<RouteSpec>,
}

impl Routes {
    pub(crate) fn new(state: &AppState) -> Self {
        Routes {
            state: state.clone(),
            router: Router::new(),
            table: Vec::new(),
        }
    }

    /// Adds `method path`, guarded by `access`.
    pub(crate) fn add<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone())
            .unwrap_or_else(|_| panic!("no method filter for {method}"));
        let guarded = on(filter, handler).route_layer(from_fn_with_state(
            Guard {
                state: self.state.clone(),
                access,
            },
            guard,
        ));
        self.router = self.router.route(path, guarded);
        self.table.push(RouteSpec {
            method,
            path,
            access,
        });
        self
    }

    /// A route that reads what the person's scope holds.
    pub(crate) fn read<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        account: Option<&'static str>,
        handler: H,
    ) -> Self {
        let access = Access::Person {
            permission: Permission::Read,
            account,
        };
        self.add(Method::GET, path, access, handler)
    }

    /// A route that changes what the person's scope holds.
    pub(crate) fn write<H: Handler<T, AppState>, T: 'static>(
        self,
        method: Method,
        path: &'static str,
        account: Option<&'static str>,
        handler: H,
    ) -> Self {
        let access = Access::Person {
            permission: Permission::Write,
            account,
        };
        self.add(method, path, access, handler)
    }

    /// A route only an admin may use.
    pub(crate) fn admin<H: Handler<T, AppState>, T: 'static>(
        self,
        method: Method,
        path: &'static str,
        handler: H,
    ) -> Self {
        let access = Access::Person {
            permission: Permission::Admin,
            account: None,
        };
        self.add(method, path, access, handler)
    }

    /// A page the person's role may read (`account`: the path parameter
    /// naming an account, which must be in their scope).
    pub(crate) fn page<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        account: Option<&'static str>,
        handler: H,
    ) -> Self {
        let access = Access::Page {
            permission: Permission::Read,
            account,
        };
        self.add(Method::GET, path, access, handler)
    }

    /// A page only an admin may open.
    pub(crate) fn admin_page<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        handler: H,
    ) -> Self {
        let access = Access::Page {
            permission: Permission::Admin,
            account: None,
        };
        self.add(Method::GET, path, access, handler)
    }

    /// Adds another builder's routes (with whatever layers its router has).
    pub(crate) fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    /// Applies a layer to the routes built so far.
    pub(crate) fn map_router(
        mut self,
        map: impl FnOnce(Router<AppState>) -> Router<AppState>,
    ) -> Self {
        self.router = map(self.router);
        self
    }

    pub(crate) fn finish(self) -> (Router<AppState>, Vec<RouteSpec>) {
        (self.router, self.table)
    }
}

#[derive(Clone)]
struct Guard {
    state: AppState,
    access: Access,
}

async fn guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let page = matches!(guard.access, Access::Page { .. }).then(|| request.uri().clone());
    match admit(&guard, request).await {
        Ok(request) => next.run(request).await,
        Err(error) => match page {
            Some(uri) => crate::pages::refusal(error, &uri).await,
            None => error.into_response(),
        },
    }
}

/// Who the caller is and whether they may: the request with the person in
/// its extensions, or the error to answer.
async fn admit(guard: &Guard, request: Request) -> Result<Request, ApiError> {
    let (permission, account) = match guard.access {
        Access::Person {
            permission,
            account,
        }
        | Access::Page {
            permission,
            account,
        } => (permission, account),
        Access::IngestOrPerson { .. } if !sent_by_a_person(request.headers()) => {
            return Ok(request);
        }
        Access::IngestOrPerson { permission } => (permission, None),
        Access::Public | Access::Ingest => return Ok(request),
    };
    let (mut parts, body) = request.into_parts();
    let credential = credential(&parts.headers)?;
    let changes = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if changes {
        if let Credential::Session(secret) = &credential {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("");
            if !rapport_app::identity::same_secret(sent, &rapport_app::identity::csrf_token(secret))
            {
                return Err(ApiError::Forbidden(format!(
                    "a change from a browser session needs its CSRF token in the `{CSRF_HEADER}` header"
                )));
            }
        }
        refuse_non_json(&parts.headers)?;
    }
    let reference = match account {
        Some(name) => {
            let params = RawPathParams::from_request_parts(&mut parts, &guard.state)
                .await
                .map_err(|error| ApiError::BadRequest {
                    parameter: name.into(),
                    reason: error.body_text(),
                })?;
            params
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
        None => None,
    };
    let at = now();
    guard.state.take_request(credential.secret(), at)?;
    // On the request's own task: these are reads of microseconds (the
    // store's readers never wait for its writer, the engine's lock is held
    // briefly), and a blocking task per request for them doubled the
    // server's runnable threads under load. A token's last use, written at
    // most once a minute, goes to a blocking task.
    let app = &guard.state;
    let (person, touch) = match &credential {
        Credential::Token(token) => app.token_person(token, at)?,
        Credential::Session(secret) => (app.session_person(secret, at)?, None),
    };
    app.authorize(&person, permission)?;
    if let Some(reference) = reference {
        app.visible_account(&person, &reference)?;
    }
    if let Some(id) = touch {
        let touching = std::sync::Arc::clone(app);
        tokio::task::spawn_blocking(move || {
            if let Err(error) = touching.touch_token(id, at) {
                tracing::warn!("cannot write token {id}'s last use: {error}");
            }
        });
    }
    parts.extensions.insert(person);
    Ok(Request::from_parts(parts, body))
}

/// Whether a request to a route a write key or a person may use comes from a
/// person: an API token (`Bearer rpt_…`) or a session cookie. HTTP Basic, a
/// write key as the Bearer token, or no credential at all (a `writeKey` in
/// the body) is the write key's way, checked by the handler.
fn sent_by_a_person(headers: &axum::http::HeaderMap) -> bool {
    match headers.get(header::AUTHORIZATION) {
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|text| text.trim().split_once(' '))
            .is_some_and(|(scheme, token)| {
                scheme.eq_ignore_ascii_case("bearer")
                    && token
                        .trim()
                        .starts_with(rapport_app::identity::TOKEN_PREFIX)
            }),
        None => crate::sessions::session_secret(headers).is_some(),
    }
}

enum Credential {
    Token(String),
    Session(String),
}

impl Credential {
    fn secret(&self) -> &str {
        match self {
            Credential::Token(secret) | Credential::Session(secret) => secret,
        }
    }
}

/// The caller's credential: `Authorization: Bearer …`, else the session
/// cookie; 401 without either.
fn credential(headers: &axum::http::HeaderMap) -> Result<Credential, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let text = value.to_str().unwrap_or("");
        return match text.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                Ok(Credential::Token(token.trim().to_string()))
            }
            _ => Err(ApiError::Unauthenticated(
                "the API takes `Authorization: Bearer <token>` (rapport tokens create)".into(),
            )),
        };
    }
    let session = crate::sessions::session_secret(headers);
    match session {
        Some(secret) => Ok(Credential::Session(secret)),
        _ => Err(ApiError::Unauthenticated(
            "sign in first: `Authorization: Bearer <token>` (rapport tokens create) or a browser session".into(),
        )),
    }
}

/// A change with a body must say it is JSON: a form or `text/plain` post
/// (what another site's page can send without asking) is refused.
pub(crate) fn refuse_non_json(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let has_body = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|length| length.trim() != "0")
        || headers.contains_key(header::TRANSFER_ENCODING);
    if !has_body {
        return Ok(());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "the body must be JSON (`Content-Type: application/json`), not `{content_type}`"
        )))
    }
}
