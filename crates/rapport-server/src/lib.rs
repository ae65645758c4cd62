//! Rapport's HTTP surface. Handlers are thin: they parse the request, call one
//! function of the store or the core, and render the structure it returns.
//! `GET /healthz`, `GET /api/accounts`, `GET /api/accounts/{id}` and a plain
//! HTML index at `/` (the dashboard replaces it in a later release).

mod alerts;
pub mod delivery;
mod error;
mod goals;
mod health;
mod html;
mod overrides;
mod overview;
pub mod render;

use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, put};
use rapport_core::alerts::AlertRun;
use rapport_core::engagement::{
    BreakdownCaches, Compare, EngagementBreakdown, engagement_breakdown,
};
use rapport_core::engine::{PortfolioState, Window};
use rapport_core::model::{EngagementModels, Model};
use rapport_core::{
    Account, AccountListing, AccountMatch, Contact, Period, Timestamp, find_account,
};
use rapport_store::Store;
use serde::{Deserialize, Serialize};

pub use error::ApiError;

/// What every handler shares: the store, behind a mutex (the store is
/// synchronous; handlers reach it from a blocking task).
pub struct AppState {
    store: Mutex<Box<dyn Store>>,
    /// The engine's in-memory state, loaded from the store at start-up.
    engine: RwLock<PortfolioState>,
    /// The engagement models: the default and any per-tier choices.
    models: EngagementModels,
    /// The health model (`health` unless the deployment chose another).
    health_model: Model,
    /// Peer scores and the impact model, reused between requests while the
    /// engine's generations say they are current.
    caches: Mutex<BreakdownCaches>,
    /// Every account's success-benchmark figures at the last `as_of` asked.
    success_peers: Mutex<rapport_core::success::account::SuccessPeerCache>,
}

impl AppState {
    /// Loads the engine from the store (the start-up cost) and wraps both.
    pub fn new(
        store: Box<dyn Store>,
        model: Model,
    ) -> Result<Arc<Self>, rapport_store::StoreError> {
        let engine = rapport_store::load_engine(store.as_ref())?;
        Ok(AppState::from_parts(store, engine, model))
    }

    /// Wraps a store and an engine already loaded from it.
    pub fn from_parts(store: Box<dyn Store>, engine: PortfolioState, model: Model) -> Arc<Self> {
        AppState::with_models(
            store,
            engine,
            EngagementModels::single(model),
            Model::health(),
        )
    }

    /// [`AppState::from_parts`] with the deployment's engagement models (per
    /// tier, if it chose so) and health model.
    pub fn with_models(
        store: Box<dyn Store>,
        engine: PortfolioState,
        models: EngagementModels,
        health_model: Model,
    ) -> Arc<Self> {
        Arc::new(AppState {
            store: Mutex::new(store),
            engine: RwLock::new(engine),
            models,
            health_model,
            caches: Mutex::new(BreakdownCaches::default()),
            success_peers: Mutex::new(Default::default()),
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

impl AppState {
    /// Runs `work` on the engine (read lock) in a blocking task.
    async fn with_engine<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&AppState, &PortfolioState) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let engine = state.engine.read().map_err(|_| {
                ApiError::internal("the engine lock was poisoned by an earlier failure")
            })?;
            work(&state, &engine)
        })
        .await
        .map_err(|error| ApiError::internal(format!("engine task failed: {error}")))?
    }

    /// The override events of the account `customer_id` names (resolved in the
    /// engine, read from the store): an empty list for an unknown account,
    /// which the caller then answers with a 404.
    pub(crate) async fn override_events_of(
        self: &Arc<Self>,
        customer_id: &str,
    ) -> Result<Vec<rapport_core::overrides::OverrideEvent>, ApiError> {
        let lookup = customer_id.to_string();
        let account = self
            .with_engine(move |_, engine| {
                Ok(engine
                    .resolve(&lookup)
                    .and_then(|account| account.account())
                    .map(|info| info.external_id.clone()))
            })
            .await?;
        let Some(account) = account else {
            return Ok(Vec::new());
        };
        self.with_store(move |store| {
            Ok(store
                .override_events(Some(&account))?
                .into_iter()
                .map(|(_, event)| event)
                .collect())
        })
        .await
    }

    /// Puts an account's goals, as the store now holds them, into the engine:
    /// called after every change to a goal, so the next read sees it.
    fn refresh_goals(
        &self,
        store: &dyn Store,
        account: &rapport_core::ExternalId,
    ) -> Result<(), ApiError> {
        let goals = store
            .goals(Some(account))?
            .into_iter()
            .map(|(_, goal)| goal)
            .collect();
        self.engine
            .write()
            .map_err(|_| ApiError::internal("the engine lock was poisoned by an earlier failure"))?
            .set_goals(account, goals);
        Ok(())
    }
}

impl AppState {
    /// Takes and stores the daily score snapshot of `day` for the engagement and
    /// health models, unless the store holds it already; returns how many were
    /// written. The day must be over at `now`: a snapshot is the end-of-day score.
    pub fn ensure_snapshots(
        &self,
        day: chrono::NaiveDate,
        now: Timestamp,
    ) -> Result<usize, ApiError> {
        if rapport_core::snapshot::snapshot_instant(day) > now {
            return Ok(0);
        }
        let mut store = self
            .store
            .lock()
            .map_err(|_| ApiError::internal("the store lock was poisoned by an earlier failure"))?;
        let engine = self.engine.read().map_err(|_| {
            ApiError::internal("the engine lock was poisoned by an earlier failure")
        })?;
        let mut written = 0;
        let mut models: Vec<&Model> = vec![&self.models.default, &self.health_model];
        for (_, model) in &self.models.by_tier {
            if !models.iter().any(|known| known.name == model.name) {
                models.push(model);
            }
        }
        for model in models {
            if !store.snapshots(&model.name, day, day)?.is_empty() {
                continue;
            }
            let snapshot = rapport_core::snapshot::take(model, &engine, day);
            store.put_snapshot(&snapshot)?;
            written += 1;
        }
        Ok(written)
    }
}

impl AppState {
    /// Evaluates the alert rules for every active account (or one) at `now`
    /// and stores what changed: new alerts, alerts seen again, alerts whose
    /// condition cleared. Runs after an account's data changes and every hour.
    pub fn evaluate_alerts(
        &self,
        only: Option<&rapport_core::ExternalId>,
        now: Timestamp,
    ) -> Result<AlertRun, ApiError> {
        let mut store = self
            .store
            .lock()
            .map_err(|_| ApiError::internal("the store lock was poisoned by an earlier failure"))?;
        let engine = self.engine.read().map_err(|_| {
            ApiError::internal("the engine lock was poisoned by an earlier failure")
        })?;
        let unresolved = store.alerts(only, true)?;
        let (changed, run) = rapport_core::alerts::evaluate_portfolio(
            &self.models,
            &self.health_model,
            &engine,
            only,
            &unresolved,
            now,
        );
        delivery::write_evaluation(store.as_mut(), &engine, &changed, now)?;
        Ok(run)
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/healthz", get(healthz))
        .route("/api/accounts", get(list_accounts))
        .route("/api/accounts/{id}", get(account_detail))
        .route(
            "/api/intelligence/engagement/{customer_id}",
            get(engagement),
        )
        .route(
            "/api/intelligence/success-metrics/{customer_id}",
            get(goals::report),
        )
        .route(
            "/api/intelligence/success-metrics/{customer_id}/value-report",
            get(goals::value_report),
        )
        .route(
            "/api/intelligence/success-metrics/{customer_id}/goals",
            get(goals::list).post(goals::create),
        )
        .route(
            "/api/intelligence/success-metrics/{customer_id}/goals/{goal_id}",
            put(goals::replace).delete(goals::delete),
        )
        .route(
            "/api/intelligence/success-metrics/{customer_id}/metrics/{metric_id}",
            put(goals::edit_metric).delete(goals::delete_metric),
        )
        .route(
            "/api/intelligence/success-metrics/{customer_id}/metrics/{metric_id}/measurements",
            post(goals::measure),
        )
        .route(
            "/api/intelligence/health/{customer_id}",
            get(health::health),
        )
        .route(
            "/api/intelligence/engagement-overview",
            get(overview::overview),
        )
        .route("/api/reports/weekly", get(overview::weekly))
        .route("/api/alerts", get(alerts::list))
        .route("/api/alerts/evaluate", post(alerts::evaluate))
        .route("/api/alerts/{id}/acknowledge", post(alerts::acknowledge))
        .route("/api/alerts/{id}/resolve", post(alerts::resolve))
        .route("/api/alerts/{id}/deliveries", get(delivery::of_alert))
        .route("/api/webhooks", get(delivery::list).post(delivery::add))
        .route(
            "/api/webhooks/{id}",
            axum::routing::delete(delivery::remove),
        )
        .route(
            "/api/intelligence/overrides/{customer_id}",
            get(overrides::list),
        )
        .route(
            "/api/intelligence/overrides/{customer_id}/{model}",
            put(overrides::put).delete(overrides::remove),
        )
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

pub(crate) fn resolve<'a>(accounts: &'a [Account], query: &str) -> Result<&'a Account, ApiError> {
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EngagementQuery {
    pub(crate) period: Option<String>,
    pub(crate) compare_period: Option<String>,
    pub(crate) as_of: Option<String>,
    /// A model by name; default: the account's tier's model, else the default.
    pub(crate) model: Option<String>,
}

/// Parses the engagement query: period (default 30d), comparePeriod (default
/// previous), asOf (default now: the clock is read here, at the edge).
pub(crate) fn engagement_window(query: &EngagementQuery) -> Result<(Window, Compare), ApiError> {
    let bad = |parameter: &str, reason: String| ApiError::BadRequest {
        parameter: parameter.to_string(),
        reason,
    };
    let period = match query.period.as_deref() {
        None | Some("") => Period::DEFAULT,
        Some(text) => text
            .parse()
            .map_err(|error| bad("period", format!("{error}")))?,
    };
    let as_of = as_of(query.as_of.as_deref())?;
    let compare = Compare::parse(query.compare_period.as_deref().unwrap_or("previous"))
        .map_err(|reason| bad("comparePeriod", reason))?;
    Ok((Window::new(as_of, period), compare))
}

/// The `asOf` query parameter (RFC 3339 or YYYY-MM-DD), or now: the clock is
/// read here, at the edge. 400 naming `asOf` when malformed.
pub(crate) fn as_of(text: Option<&str>) -> Result<Timestamp, ApiError> {
    match text {
        None | Some("") => Ok(Timestamp::from_millis(now_millis())),
        Some(text) => Timestamp::parse_lenient(text).map_err(|error| ApiError::BadRequest {
            parameter: "asOf".into(),
            reason: error.to_string(),
        }),
    }
}

pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}

async fn engagement(
    State(state): State<Arc<AppState>>,
    Path(customer_id): Path<String>,
    Query(query): Query<EngagementQuery>,
) -> Result<Json<EngagementBreakdown>, ApiError> {
    let (window, compare) = engagement_window(&query)?;
    let events = state.override_events_of(&customer_id).await?;
    state
        .with_engine(move |state, engine| {
            let account = engine
                .resolve(&customer_id)
                .ok_or_else(|| ApiError::NotFound(format!("no account with id `{customer_id}`")))?;
            let named;
            let model =
                match query.model.as_deref().filter(|name| !name.is_empty()) {
                    Some(name) => {
                        named = state.models.named(name).ok_or_else(|| ApiError::BadRequest {
                        parameter: "model".into(),
                        reason: format!(
                            "`{name}` is not a model of this deployment nor a shipped one ({})",
                            Model::SHIPPED.join(", ")
                        ),
                    })?;
                        &named
                    }
                    None => account.account().map_or(&state.models.default, |info| {
                        state.models.for_tier(info.tier)
                    }),
                };
            let mut caches = state
                .caches
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut breakdown =
                engagement_breakdown(model, engine, account, window, compare, &mut caches)
                    .ok_or_else(|| {
                        ApiError::NotFound(format!("no account with id `{customer_id}`"))
                    })?;
            breakdown.apply_overrides(&events);
            Ok(breakdown)
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
