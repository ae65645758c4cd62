//! The OpenAPI 3.1 description of the HTTP API, served at `GET /openapi.json`,
//! and the documentation page rendered from it (`GET /api/docs`). The
//! operations come from the handlers' `#[utoipa::path]` and the schemas from
//! the serde types they read and return (`ToSchema` in rapport-core and
//! rapport-app); what each operation needs of the caller (its security) and
//! the errors the guard can answer come from the route table itself, so the
//! document says what the router does. A test holds that every route of the
//! table is an operation of the document and nothing else is.

use std::sync::{Arc, OnceLock};

use axum::http::{Method, header};
use axum::response::{Html, IntoResponse, Response};
use rapport_core::access::Permission;
use serde::Serialize;
use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::{Response as ApiResponse, ResponseBuilder};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};

use crate::routes::{Access, RouteSpec, SESSION_COOKIE};
use crate::{ApiError, error::ErrorBody};

/// The operations and the schemas they name; security and the guard's
/// errors are added from the route table by [`document`].
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rapport",
        description = "Customer engagement intelligence: accounts, engagement, health and success reports, goals, overrides, alerts, webhooks, meetings, and the tracking API (docs/api.md). Every error is a JSON `ErrorBody`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        crate::healthz,
        openapi_json,
        api_docs,
        crate::sessions::sign_in_link,
        crate::sessions::sign_in,
        crate::sessions::who,
        crate::sessions::sign_out,
        crate::list_accounts,
        crate::account_detail,
        crate::reports::engagement,
        crate::reports::success,
        crate::reports::value_report,
        crate::goals::list,
        crate::goals::create,
        crate::goals::replace,
        crate::goals::delete,
        crate::goals::edit_metric,
        crate::goals::delete_metric,
        crate::goals::measure,
        crate::reports::health,
        crate::reports::overview,
        crate::reports::weekly,
        crate::alerts::list,
        crate::alerts::evaluate,
        crate::alerts::acknowledge,
        crate::alerts::resolve,
        crate::alerts::snooze,
        crate::webhooks::deliveries,
        crate::webhooks::webhooks,
        crate::webhooks::add_webhook,
        crate::webhooks::remove_webhook,
        crate::overrides::list,
        crate::overrides::put,
        crate::overrides::remove,
        crate::meetings::list,
        crate::meetings::no_show,
        crate::meetings::attended,
        crate::tracking::batch,
        crate::tracking::import,
        crate::tracking::identify,
        crate::tracking::track,
        crate::tracking::page,
        crate::tracking::screen,
        crate::tracking::group,
        crate::tracking::alias,
        crate::tracking::activities,
        crate::sharing::create,
        crate::sharing::list,
        crate::sharing::revoke,
        crate::sharing::open,
        crate::audit::list,
        crate::tasks::list,
        crate::tasks::create,
        crate::tasks::complete,
        crate::tasks::dismiss,
        crate::dashboard::day,
        crate::dashboard::accounts,
        crate::dashboard::timeline,
        crate::dashboard::re_engagement,
        crate::dashboard::watch,
        crate::dashboard::unwatch,
        crate::dashboard::watches,
        crate::models::list,
        crate::models::preview,
        crate::models::save,
    ),
    components(schemas(
        ErrorBody, JsonOrMarkdown, JsonMarkdownOrCsv, JsonOrCsv, HtmlOrMarkdown, HtmlMarkdownOrJson, Flag
    )),
    tags(
        (name = "pages", description = "HTML pages and the API's own description"),
        (name = "session", description = "Signing in from a browser (docs/security.md)"),
        (name = "accounts", description = "Accounts and their calendar meetings"),
        (name = "reports", description = "Engagement, health, success, value, overview and weekly reports"),
        (name = "goals", description = "Success goals and metrics (PRD-069)"),
        (name = "overrides", description = "Manual score overrides and their audit trail"),
        (name = "alerts", description = "Alerts, their actions and deliveries"),
        (name = "webhooks", description = "Webhook subscriptions (admin)"),
        (name = "tasks", description = "Tasks on accounts: from playbooks, alerts and people (docs/tasks.md)"),
        (name = "dashboard", description = "What the dashboard's pages show: a person's day, the accounts table, an account's activity, quick actions (docs/dashboard.md)"),
        (name = "models", description = "The scoring models in use, a preview of an edit, saved versions (admin; docs/dashboard.md)"),
        (name = "audit", description = "The audit log of every change a person makes (admin)"),
        (name = "tracking", description = "Segment's tracking API and contract activities, under an ingest write key (docs/tracking.md)"),
    ),
)]
struct ApiDoc;

/// The security schemes' names in the document.
const API_TOKEN: &str = "apiToken";
const SESSION: &str = "session";
const CSRF: &str = "csrfToken";
const WRITE_KEY_BASIC: &str = "writeKeyBasic";
const WRITE_KEY_BEARER: &str = "writeKeyBearer";

/// The whole document: the operations, each with the security its route's
/// access asks for and the errors the guard and the HTTP layer answer.
pub fn document(table: &[RouteSpec]) -> utoipa::openapi::OpenApi {
    let mut api = ApiDoc::openapi();
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        API_TOKEN,
        SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "An API token (`rapport tokens create`): `Authorization: Bearer <token>`",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        SESSION,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            SESSION_COOKIE,
            "A browser session (`POST /api/session` or the sign-in link)",
        ))),
    );
    components.add_security_scheme(
        CSRF,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "X-CSRF-Token",
            "The session's CSRF token (`GET /api/session`), sent with every change a session makes",
        ))),
    );
    components.add_security_scheme(
        WRITE_KEY_BASIC,
        SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Basic)
                .description(Some(
                    "An ingest write key as the user name, the password empty (Segment's way)",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        WRITE_KEY_BEARER,
        SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("An ingest write key as a Bearer token"))
                .build(),
        ),
    );
    for route in table {
        if let Some(operation) = operation_mut(&mut api, route.path, &route.method) {
            describe_access(operation, route);
        }
    }
    api
}

/// The operation of `method path`, if the document has it.
pub(crate) fn operation_mut<'a>(
    api: &'a mut utoipa::openapi::OpenApi,
    path: &str,
    method: &Method,
) -> Option<&'a mut Operation> {
    let item: &mut PathItem = api.paths.paths.get_mut(path)?;
    match *method {
        Method::GET => item.get.as_mut(),
        Method::POST => item.post.as_mut(),
        Method::PUT => item.put.as_mut(),
        Method::DELETE => item.delete.as_mut(),
        Method::PATCH => item.patch.as_mut(),
        _ => None,
    }
}

/// The (method, path) of every operation in the document.
pub fn operations(api: &utoipa::openapi::OpenApi) -> Vec<(Method, String)> {
    let mut found = Vec::new();
    for (path, item) in &api.paths.paths {
        for (method, operation) in [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::DELETE, &item.delete),
            (Method::PATCH, &item.patch),
            (Method::HEAD, &item.head),
            (Method::OPTIONS, &item.options),
            (Method::TRACE, &item.trace),
        ] {
            if operation.is_some() {
                found.push((method, path.clone()));
            }
        }
    }
    found
}

/// Security and the errors of the guard, from the route's access.
fn describe_access(operation: &mut Operation, route: &RouteSpec) {
    let changes = !matches!(route.method, Method::GET | Method::HEAD);
    let has_parameters = operation
        .parameters
        .as_ref()
        .is_some_and(|parameters| !parameters.is_empty());
    let has_body = operation.request_body.is_some();
    let person = |permission: Permission| {
        let session = if changes {
            SecurityRequirement::new(SESSION, Vec::<String>::new()).add(CSRF, Vec::<String>::new())
        } else {
            SecurityRequirement::new(SESSION, Vec::<String>::new())
        };
        (
            vec![
                SecurityRequirement::new(API_TOKEN, Vec::<String>::new()),
                session,
            ],
            changes || permission != Permission::Read,
        )
    };
    let write_key = || {
        vec![
            SecurityRequirement::new(WRITE_KEY_BASIC, Vec::<String>::new()),
            SecurityRequirement::new(WRITE_KEY_BEARER, Vec::<String>::new()),
        ]
    };
    let (security, forbidden, account) = match route.access {
        Access::Public => (Vec::new(), false, None),
        Access::Ingest => (write_key(), false, None),
        Access::IngestOrPerson { permission } => {
            let (mut security, forbidden) = person(permission);
            security.extend(write_key());
            (security, forbidden, None)
        }
        Access::Person {
            permission,
            account,
        } => {
            let (security, forbidden) = person(permission);
            (security, forbidden, account)
        }
        // Pages are not operations of the API (docs/dashboard.md).
        Access::Page { .. } => return,
    };
    if !security.is_empty() {
        operation.security = Some(security);
        add_error(
            operation,
            "401",
            "Not signed in: no credential, or one that is unknown, revoked or expired (`WWW-Authenticate` names the scheme)",
        );
        add_error(
            operation,
            "429",
            "Too many requests with this credential, or more events waiting than the server takes on; try again after `Retry-After` seconds",
        );
    }
    if forbidden {
        add_error(
            operation,
            "403",
            "The person's role does not allow this, or a session's change came without its CSRF token",
        );
    }
    if account.is_some() {
        add_error(
            operation,
            "404",
            "No such account, or one outside the person's scope (a CSM's other accounts); an ambiguous reference lists its `candidates`",
        );
    }
    if has_parameters || has_body || route.path.contains('{') {
        add_error(
            operation,
            "400",
            "A parameter or body field is malformed; `parameter` names it",
        );
    }
    if route.path.contains('{') {
        add_error(operation, "404", "Nothing has that id");
    }
    let filters_by_name = operation.parameters.iter().flatten().any(|parameter| {
        parameter.parameter_in == utoipa::openapi::path::ParameterIn::Query
            && matches!(parameter.name.as_str(), "account" | "user")
    });
    if filters_by_name {
        add_error(
            operation,
            "404",
            "The account or user a filter names does not exist (or is outside the person's scope)",
        );
    }
    if has_body {
        add_error(operation, "413", "The body is larger than the route reads");
    }
    if changes && (has_body || matches!(route.access, Access::Person { .. })) {
        add_error(
            operation,
            "415",
            "A body that is not JSON (`Content-Type: application/json`)",
        );
    }
    add_error(
        operation,
        "503",
        "The store is busy with another writer, or the request took longer than its time limit; try again after `Retry-After` seconds",
    );
}

/// Adds the API's JSON error as the response for `status`, unless the
/// operation describes that status itself.
fn add_error(operation: &mut Operation, status: &str, description: &str) {
    if operation.responses.responses.contains_key(status) {
        return;
    }
    operation.responses.responses.insert(
        status.to_string(),
        RefOr::T(error_response(status, description)),
    );
}

/// The API's JSON error, with the headers its status carries.
pub(crate) fn error_response(status: &str, description: &str) -> ApiResponse {
    let mut response = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build(),
    );
    let header = |text: &str| {
        utoipa::openapi::HeaderBuilder::new()
            .schema(
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String),
            )
            .description(Some(text))
            .build()
    };
    match status {
        "429" | "503" => {
            response = response.header("Retry-After", header("Seconds to wait"));
        }
        "401" => {
            response = response.header("WWW-Authenticate", header("The scheme to use"));
        }
        _ => {}
    }
    response.build()
}

/// The document as served, written once when the router is built.
pub(crate) type Served = Arc<OnceLock<ServedDocument>>;

/// The document's JSON and its documentation page.
pub(crate) struct ServedDocument {
    pub(crate) json: String,
    pub(crate) page: String,
}

impl ServedDocument {
    pub(crate) fn new(api: &utoipa::openapi::OpenApi) -> Result<Self, String> {
        let json = api.to_json().map_err(|error| error.to_string())?;
        let page = rapport_app::render::api_docs(&page_view(api))?;
        Ok(ServedDocument { json, page })
    }
}

/// The description of this API: OpenAPI 3.1, JSON.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "pages",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)),
)]
pub(crate) async fn openapi_json(served: Served) -> Response {
    match served.get() {
        Some(served) => (
            [(header::CONTENT_TYPE, "application/json")],
            served.json.clone(),
        )
            .into_response(),
        None => ApiError::internal("the OpenAPI document was not built").into_response(),
    }
}

/// The API's documentation page: every operation, its parameters, body,
/// responses and who may call it, rendered from the document.
#[utoipa::path(
    get,
    path = "/api/docs",
    tag = "pages",
    responses((status = 200, description = "The documentation page", content_type = "text/html", body = String)),
)]
pub(crate) async fn api_docs(served: Served) -> Response {
    match served.get() {
        Some(served) => Html(served.page.clone()).into_response(),
        None => ApiError::internal("the OpenAPI document was not built").into_response(),
    }
}

/// What the documentation page shows of one operation.
#[derive(Serialize)]
struct OperationView {
    method: String,
    path: String,
    anchor: String,
    summary: String,
    description: String,
    security: Vec<String>,
    parameters: Vec<ParameterView>,
    body: Vec<String>,
    responses: Vec<ResponseView>,
}

#[derive(Serialize)]
struct ParameterView {
    name: String,
    location: String,
    required: bool,
    description: String,
}

#[derive(Serialize)]
struct ResponseView {
    status: String,
    description: String,
    content: Vec<String>,
}

#[derive(Serialize)]
struct TagView {
    name: String,
    description: String,
    operations: Vec<OperationView>,
}

#[derive(Serialize)]
struct PageView {
    title: String,
    version: String,
    description: String,
    tags: Vec<TagView>,
}

/// The page's view of the document, operations grouped by tag.
fn page_view(api: &utoipa::openapi::OpenApi) -> PageView {
    let value = serde_json::to_value(api).unwrap_or_default();
    let mut tags: Vec<TagView> = api
        .tags
        .iter()
        .flatten()
        .map(|tag| TagView {
            name: tag.name.clone(),
            description: tag.description.clone().unwrap_or_default(),
            operations: Vec::new(),
        })
        .collect();
    for (method, path) in operations(api) {
        let operation = &value["paths"][&path][method.as_str().to_ascii_lowercase()];
        let text = |value: &serde_json::Value| value.as_str().unwrap_or("").to_string();
        let security = operation["security"]
            .as_array()
            .map(|alternatives| {
                alternatives
                    .iter()
                    .filter_map(|requirement| requirement.as_object())
                    .map(|requirement| requirement.keys().cloned().collect::<Vec<_>>().join(" + "))
                    .collect()
            })
            .unwrap_or_default();
        let parameters = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|parameter| ParameterView {
                name: text(&parameter["name"]),
                location: text(&parameter["in"]),
                required: parameter["required"].as_bool().unwrap_or(false),
                description: text(&parameter["description"]),
            })
            .collect();
        let content_of = |value: &serde_json::Value| -> Vec<String> {
            value["content"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(kind, content)| match content["schema"]["$ref"].as_str() {
                    Some(reference) => format!(
                        "{kind}: {}",
                        reference.rsplit('/').next().unwrap_or(reference)
                    ),
                    None => kind.clone(),
                })
                .collect()
        };
        let responses = operation["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(status, response)| ResponseView {
                status: status.clone(),
                description: text(&response["description"]),
                content: content_of(response),
            })
            .collect();
        let view = OperationView {
            method: method.as_str().to_string(),
            anchor: format!("{}-{}", method.as_str().to_ascii_lowercase(), path)
                .replace(['/', '{', '}', '.'], "-"),
            path: path.clone(),
            summary: text(&operation["summary"]),
            description: text(&operation["description"]),
            security,
            parameters,
            body: content_of(&operation["requestBody"]),
            responses,
        };
        let tag = operation["tags"][0].as_str().unwrap_or("").to_string();
        match tags.iter_mut().find(|known| known.name == tag) {
            Some(known) => known.operations.push(view),
            None => tags.push(TagView {
                name: tag,
                description: String::new(),
                operations: vec![view],
            }),
        }
    }
    PageView {
        title: api.info.title.clone(),
        version: api.info.version.clone(),
        description: api.info.description.clone().unwrap_or_default(),
        tags,
    }
}

// ---- Parameters' values ---------------------------------------------------

/// A query parameter's closed set of values (an empty value is the default,
/// as the handlers read it).
macro_rules! choices {
    ($(#[$doc:meta])* $name:ident, [$($value:literal),+ $(,)?]) => {
        $(#[$doc])*
        pub(crate) struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($value),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

choices!(
    /// `format` of a JSON report that can also be written as Markdown.
    JsonOrMarkdown,
    ["", "json", "md", "markdown"]
);
choices!(
    /// `format` of the engagement breakdown.
    JsonMarkdownOrCsv,
    ["", "json", "md", "markdown", "csv"]
);
choices!(
    /// `format` of a list that can also be downloaded as CSV.
    JsonOrCsv,
    ["", "json", "csv"]
);
choices!(
    /// `format` of a document for people (the value report).
    HtmlOrMarkdown,
    ["", "html", "md", "markdown"]
);
choices!(
    /// `format` of the weekly report.
    HtmlMarkdownOrJson,
    ["", "html", "md", "markdown", "json"]
);
choices!(
    /// A yes-or-no query parameter.
    Flag,
    ["", "true", "false", "1", "0"]
);

// ---- The ingest bodies ----------------------------------------------------
// The tracking parsers read these bodies as JSON themselves (bad input is
// data: every event is judged on its own), so their schemas are written
// here from Segment's specification and the import contract; unknown fields
// are allowed, as Segment allows them.

/// The six calls of Segment's specification.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code, reason = "a schema only: the parser reads the JSON itself")]
pub(crate) enum SegmentCallType {
    Identify,
    Track,
    Page,
    Screen,
    Group,
    Alias,
}

/// One Segment call (docs/tracking.md): who (`userId` or `anonymousId`),
/// what, and when.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code, reason = "a schema only: the parser reads the JSON itself")]
pub(crate) struct SegmentCall {
    /// The call; implied by the path of a single call.
    r#type: Option<SegmentCallType>,
    user_id: Option<String>,
    anonymous_id: Option<String>,
    /// A track call's event name.
    event: Option<String>,
    /// A page or screen call's name.
    name: Option<String>,
    properties: Option<serde_json::Map<String, serde_json::Value>>,
    traits: Option<serde_json::Map<String, serde_json::Value>>,
    /// A group call's account.
    group_id: Option<String>,
    /// An alias call's earlier id.
    previous_id: Option<String>,
    /// De-duplicates retries; one is made up when absent.
    message_id: Option<String>,
    timestamp: Option<String>,
    sent_at: Option<String>,
    original_timestamp: Option<String>,
    context: Option<serde_json::Map<String, serde_json::Value>>,
    integrations: Option<serde_json::Map<String, serde_json::Value>>,
    /// The write key, when no `Authorization` header carries it.
    write_key: Option<String>,
}

/// A Segment batch: up to 500 KB of calls.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code, reason = "a schema only: the parser reads the JSON itself")]
pub(crate) struct SegmentBatch {
    batch: Vec<SegmentCall>,
    context: Option<serde_json::Map<String, serde_json::Value>>,
    integrations: Option<serde_json::Map<String, serde_json::Value>>,
    sent_at: Option<String>,
    write_key: Option<String>,
}

/// One activity of the import contract (docs/import.md): its `type`, its
/// account, its instant, and the fields of its type.
#[derive(utoipa::ToSchema)]
#[allow(dead_code, reason = "a schema only: the parser reads the JSON itself")]
pub(crate) struct ContractActivity {
    r#type: rapport_core::activity::ActivityKind,
    /// The account's external id.
    account: String,
    /// RFC 3339.
    at: String,
    /// The source's id (de-duplicates re-sends).
    id: Option<String>,
}

/// `POST /api/activities`: one activity or an array of them.
pub(crate) struct ContractActivities;

impl utoipa::PartialSchema for ContractActivities {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        let one = Ref::from_schema_name("ContractActivity");
        utoipa::openapi::OneOfBuilder::new()
            .item(one.clone())
            .item(utoipa::openapi::ArrayBuilder::new().items(one))
            .into()
    }
}

impl utoipa::ToSchema for ContractActivities {
    fn schemas(schemas: &mut Vec<(String, RefOr<utoipa::openapi::schema::Schema>)>) {
        schemas.push((
            "ContractActivity".into(),
            <ContractActivity as utoipa::PartialSchema>::schema(),
        ));
        <ContractActivity as utoipa::ToSchema>::schemas(schemas);
    }
}
