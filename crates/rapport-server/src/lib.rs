//! Rapport's HTTP surface. Handlers are thin: they parse the request, call one
//! function of the store or the core, and render the structure it returns.
//! `GET /healthz`, `GET /api/accounts`, `GET /api/accounts/{id}` and a plain
//! HTML index at `/` (the dashboard replaces it in a later release).

mod error;
mod html;

use std::future::Future;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use rapport_core::{Account, AccountListing, AccountMatch, Contact, find_account};
use rapport_store::Store;
use serde::Serialize;

pub use error::ApiError;

/// What every handler shares: the store, behind a mutex (the store is
/// synchronous; handlers reach it from a blocking task).
pub struct AppState {
    store: Mutex<Box<dyn Store>>,
}

impl AppState {
    pub fn new(store: Box<dyn Store>) -> Arc<Self> {
        Arc::new(AppState {
            store: Mutex::new(store),
        })
    }

    /// Runs `work` on the store in a blocking task.
    async fn with_store<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&mut dyn Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut store = state.store.lock().map_err(|_| {
                ApiError::internal("the store lock was poisoned by an earlier failure")
            })?;
            work(store.as_mut())
        })
        .await
        .map_err(|error| ApiError::internal(format!("store task failed: {error}")))?
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/healthz", get(healthz))
        .route("/api/accounts", get(list_accounts))
        .route("/api/accounts/{id}", get(account_detail))
        .fallback(not_found)
        .with_state(state)
}

/// Serves the router on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    store: &'static str,
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let result = state
        .with_store(|store| {
            store.ping().map_err(ApiError::from)?;
            Ok(store.backend())
        })
        .await;
    match result {
        Ok(backend) => Json(Health {
            status: "ok",
            store: backend,
        })
        .into_response(),
        Err(error) => {
            tracing::warn!("health check failed: {error:?}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable",
                    store: "unreachable",
                }),
            )
                .into_response()
        }
    }
}

async fn list_accounts(
    State(state): State<Arc<AppState>>,
) -> Result<Json<Vec<AccountListing>>, ApiError> {
    let accounts = state.with_store(|store| Ok(store.accounts()?)).await?;
    Ok(Json(accounts.iter().map(AccountListing::from).collect()))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccountDetail {
    #[serde(flatten)]
    account: AccountListing,
    contract_start: Option<chrono_free::Date>,
    industry: String,
    contacts: Vec<Contact>,
}

mod chrono_free {
    /// Dates render as `YYYY-MM-DD` strings; this alias keeps the view's field
    /// types readable without naming the date library.
    pub type Date = String;
}

fn resolve<'a>(accounts: &'a [Account], query: &str) -> Result<&'a Account, ApiError> {
    match find_account(accounts, query) {
        AccountMatch::Found(account) => Ok(account),
        _ => Err(ApiError::NotFound(format!("no account with id `{query}`"))),
    }
}

async fn account_detail(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<AccountDetail>, ApiError> {
    state
        .with_store(move |store| {
            let accounts = store.accounts()?;
            let account = resolve(&accounts, &id)?;
            let contacts = store
                .contacts()?
                .into_iter()
                .filter(|contact| contact.account == account.external_id)
                .collect();
            Ok(AccountDetail {
                account: AccountListing::from(account),
                contract_start: account.contract_start.map(|date| date.to_string()),
                industry: account.industry.clone(),
                contacts,
            })
        })
        .await
        .map(Json)
}

async fn index(State(state): State<Arc<AppState>>) -> Result<Html<String>, ApiError> {
    let accounts = state.with_store(|store| Ok(store.accounts()?)).await?;
    Ok(Html(html::account_index(&accounts)))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such page".into())
}
