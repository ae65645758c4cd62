//! Rapport's application layer: one function per use case, each doing the
//! whole job (store, engine, alerts, notifications, audit), so a CLI command
//! and an HTTP handler are a few lines each (parse, call one function here,
//! render) and can never disagree.
//!
//! **The live engine.** [`App`] holds the store and the in-memory engine. Every
//! write goes to the store first (one transaction, which appends to the store's
//! change log); the engine is then brought up to date by [`App::follow`], which
//! reads the changes after the engine's cursor and applies each whole under
//! the engine's write lock, so readers never see half a batch. A running
//! server calls `follow` several times a second, which is how it sees writes
//! made by other processes (a CLI import, another server); a use case calls it
//! right after its own write, so its caller reads what it wrote.
//!
//! The clock is read at the edges: every use case takes `now` (and reports
//! take `as_of`) as parameters.

pub mod accounts;
pub mod alerts;
pub mod audit;
pub mod cache;
pub mod charts;
pub mod crm;
pub mod dashboard;
pub mod error;
pub mod exports;
pub mod goals;
pub mod helpdesk;
pub mod identity;
pub mod import;
pub mod limits;
pub mod meetings;
pub mod models;
pub mod overrides;
pub mod pages;
pub mod paging;
pub mod render;
pub mod reports;
pub mod sharing;
pub mod snapshots;
pub mod tasks;
pub mod tracking;
pub mod watches;
pub mod webhooks;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock, RwLock, RwLockReadGuard};

use rapport_core::alerts::AlertRun;
use rapport_core::engine::{PortfolioState, checkpoint};
use rapport_core::scoring::model::{EngagementModels, Model};
use rapport_core::{Activity, ExternalId, Timestamp};
use rapport_store::{ChangeKind, Store};

pub use error::{AppError, AppResult};

/// What a deployment scores with.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The engagement models: the default and any per-tier choices.
    pub models: EngagementModels,
    /// The health model (`health` unless the deployment chose another).
    pub health_model: Model,
    /// Where the engine checkpoint lives (next to a SQLite file); `None`
    /// keeps none and always loads from the store.
    pub checkpoint: Option<std::path::PathBuf>,
    /// Where webhooks may point, the key sealing their secrets, the timeout.
    pub webhooks: webhooks::WebhookConfig,
    /// How many requests each API token or session may make (`limits`).
    pub rate_limit: limits::RateLimit,
}

impl AppConfig {
    /// The shipped defaults: PRD-070's engagement model, the health model.
    pub fn shipped() -> Self {
        AppConfig {
            models: EngagementModels::single(Model::prd070()),
            health_model: Model::health(),
            checkpoint: None,
            webhooks: webhooks::WebhookConfig::default(),
            rate_limit: limits::RateLimit::default(),
        }
    }
}

/// The engine and where in the store's change log it stands.
pub struct Engine {
    pub state: PortfolioState,
    /// The last change applied.
    cursor: u64,
    /// The highest activity sequence number applied (activities are the one
    /// record that must not be applied twice).
    activity_high_water: i64,
    /// Bumped whenever an account's override trail changed (the engine does
    /// not hold overrides, but responses that show them are cached).
    overrides_revision: u64,
    /// Where the engine was loaded from.
    loaded_from: LoadedFrom,
}

/// Where the engine was loaded from at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadedFrom {
    /// Every record read from the store.
    Store,
    /// The checkpoint file, then the changes after it from the store.
    Checkpoint,
}

impl Engine {
    /// The change-log position the engine reflects.
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// A number that moves whenever anything a report shows may have moved.
    pub fn revision(&self) -> (u64, u64) {
        (self.state.revision(), self.overrides_revision)
    }
}

/// The application: the store, the live engine (loaded on first use), the
/// deployment's models and the caches shared between requests.
pub struct App {
    store: Arc<dyn Store>,
    config: AppConfig,
    engine: OnceLock<RwLock<Engine>>,
    /// The models in use: the deployment's, with the newest saved version
    /// of each (`models.rs`); replaced whole when a version is saved.
    models: RwLock<Arc<models::ModelSet>>,
    /// Serialises loading the engine and following the change log (one
    /// follower at a time; readers are not blocked by it).
    follower: Mutex<()>,
    /// Replaced whole when the models change (a cached figure was computed
    /// with the models of its cache).
    caches: RwLock<Arc<cache::Caches>>,
    /// The cursor of the last checkpoint written or read.
    checkpointed: std::sync::atomic::AtomicU64,
    /// Accounts whose data changed since their alerts were last evaluated,
    /// and whether a portfolio-wide input changed.
    pending_alerts: Mutex<(BTreeSet<ExternalId>, bool)>,
    checkpointing: Mutex<()>,
    /// The tracking API's mapping and group-commit writer (`tracking`).
    tracking: tracking::TrackingState,
    /// The webhook secrets' key, the delivery client, webhooks being sent to.
    webhooks: webhooks::WebhookState,
    /// Each credential's request rate (`limits`).
    limits: limits::RateLimits,
    /// Password sign-in attempts per user name (`identity`).
    sign_in_attempts: limits::RateLimits,
}

/// What one [`App::follow`] applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Followed {
    /// Changes applied.
    pub changes: usize,
    /// Activities applied.
    pub activities: usize,
    /// The accounts whose scoring inputs changed.
    pub touched: BTreeSet<ExternalId>,
    /// Whether a portfolio-wide input changed (the feature catalogue).
    pub portfolio_wide: bool,
    /// The cursor reached.
    pub cursor: u64,
}

/// A change read from the store, ready to apply under the engine's write lock.
enum Update {
    Account(rapport_core::Account),
    Contacts(Vec<rapport_core::Contact>),
    Catalogue(Vec<rapport_core::Feature>),
    Outcomes(Vec<rapport_core::Outcome>),
    Goals(ExternalId, Vec<rapport_core::success::Goal>),
    Activities(Vec<(i64, Activity)>),
    Overrides,
}

/// Follow the log in rounds of at most this many changes or activities, so a
/// bulk import by another process is applied in bounded steps.
const CHANGES_PER_ROUND: usize = 500;
const ACTIVITIES_PER_ROUND: usize = 100_000;

/// Beyond this many accounts waiting for their alerts, one evaluation of the
/// whole portfolio is cheaper than one per account.
const PENDING_BEFORE_ALL: usize = 200;

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl App {
    /// An application over `store`; the engine is loaded on first use.
    pub fn new(store: Arc<dyn Store>, config: AppConfig) -> Arc<App> {
        Arc::new(App {
            store,
            webhooks: webhooks::WebhookState::new(&config.webhooks),
            limits: limits::RateLimits::new(config.rate_limit),
            sign_in_attempts: limits::RateLimits::new(identity::PASSWORD_ATTEMPTS),
            models: RwLock::new(Arc::new(models::ModelSet::configured(&config))),
            config,
            engine: OnceLock::new(),
            follower: Mutex::new(()),
            caches: RwLock::new(Arc::new(cache::Caches::default())),
            checkpointed: std::sync::atomic::AtomicU64::new(u64::MAX),
            pending_alerts: Mutex::new((BTreeSet::new(), false)),
            checkpointing: Mutex::new(()),
            tracking: tracking::TrackingState::default(),
        })
    }

    /// An application whose engine is loaded now (what `serve` wants before it
    /// takes requests).
    pub fn loaded(store: Arc<dyn Store>, config: AppConfig) -> AppResult<Arc<App>> {
        let app = App::new(store, config);
        app.engine()?;
        Ok(app)
    }

    /// An application over an engine already loaded from `store`.
    pub fn from_loaded(
        store: Arc<dyn Store>,
        config: AppConfig,
        loaded: rapport_store::LoadedEngine,
    ) -> Arc<App> {
        let app = App::new(store, config);
        let engine = Engine {
            state: loaded.state,
            cursor: loaded.cursor,
            activity_high_water: loaded.activity_high_water,
            overrides_revision: 0,
            loaded_from: LoadedFrom::Store,
        };
        if app.engine.set(RwLock::new(engine)).is_err() {
            unreachable!("a new application has no engine yet");
        }
        if let Err(error) = app.apply_saved_models() {
            tracing::error!("cannot read the saved model versions: {error}");
        }
        app
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    /// The live engine, loading it on first use (from the checkpoint when
    /// there is a usable one, else from the store) and then following the
    /// change log from the position it was loaded at, so a one-shot command
    /// reads everything committed before it started.
    fn engine(&self) -> AppResult<&RwLock<Engine>> {
        if let Some(engine) = self.engine.get() {
            return Ok(engine);
        }
        {
            let _one = lock(&self.follower);
            if self.engine.get().is_none() {
                let engine = match self.read_checkpoint() {
                    Ok(Some(engine)) => engine,
                    Ok(None) => self.load_from_store()?,
                    Err(error) => {
                        tracing::warn!("{error}; loading the engine from the store instead");
                        self.load_from_store()?
                    }
                };
                // The saved model versions before the engine's cursor (the
                // follower applies the later ones).
                self.apply_saved_models()?;
                let _ = self.engine.set(RwLock::new(engine));
            }
        }
        self.catch_up()?;
        self.engine
            .get()
            .ok_or_else(|| AppError::Conflict("the engine was not loaded".into()))
    }

    fn load_from_store(&self) -> AppResult<Engine> {
        let loaded = rapport_store::load_engine(self.store.as_ref())?;
        Ok(Engine {
            state: loaded.state,
            cursor: loaded.cursor,
            activity_high_water: loaded.activity_high_water,
            overrides_revision: 0,
            loaded_from: LoadedFrom::Store,
        })
    }

    /// The engine from the checkpoint file, when there is one taken of this
    /// store at a cursor the store has reached (the changes after it are
    /// applied by following the log); `None` otherwise.
    fn read_checkpoint(&self) -> AppResult<Option<Engine>> {
        let Some(path) = &self.config.checkpoint else {
            return Ok(None);
        };
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(AppError::External(format!(
                    "cannot read the engine checkpoint {}: {error}",
                    path.display()
                )));
            }
        };
        let header = checkpoint::header(&bytes).map_err(checkpoint_error(path))?;
        let usable = header.format == checkpoint::FORMAT
            && header.store == self.store.identity()?
            && header.cursor <= self.store.cursor()?;
        if !usable {
            tracing::info!(
                "the engine checkpoint {} is of another store, format or history; loading from the store",
                path.display()
            );
            return Ok(None);
        }
        let (header, state) = checkpoint::decode(&bytes).map_err(checkpoint_error(path))?;
        self.checkpointed
            .store(header.cursor, std::sync::atomic::Ordering::Relaxed);
        Ok(Some(Engine {
            state,
            cursor: header.cursor,
            activity_high_water: header.activity_high_water,
            overrides_revision: 0,
            loaded_from: LoadedFrom::Checkpoint,
        }))
    }

    /// Writes the engine checkpoint (to a temporary file, then renamed over
    /// the old one) unless it is current; returns the cursor written. Holds
    /// the engine's read lock while it writes: readers go on, the follower
    /// waits. `serve` calls this after start-up, hourly and when it stops.
    pub fn write_checkpoint(&self) -> AppResult<Option<u64>> {
        let (Some(path), Some(engine)) = (&self.config.checkpoint, self.engine.get()) else {
            return Ok(None);
        };
        // One writer of the file at a time (they share its temporary name).
        let _one = lock(&self.checkpointing);
        let identity = self.store.identity()?;
        let engine = engine
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.checkpointed.load(std::sync::atomic::Ordering::Relaxed) == engine.cursor {
            return Ok(None);
        }
        let header = checkpoint::Header {
            format: checkpoint::FORMAT,
            store: identity,
            cursor: engine.cursor,
            activity_high_water: engine.activity_high_water,
        };
        let temporary = path.with_extension("engine-writing");
        let io_error = |error: std::io::Error| {
            AppError::External(format!(
                "cannot write the engine checkpoint {}: {error}",
                path.display()
            ))
        };
        let file = std::fs::File::create(&temporary).map_err(io_error)?;
        checkpoint::write(&header, &engine.state, std::io::BufWriter::new(file))
            .map_err(checkpoint_error(path))?;
        std::fs::rename(&temporary, path).map_err(io_error)?;
        self.checkpointed
            .store(engine.cursor, std::sync::atomic::Ordering::Relaxed);
        Ok(Some(engine.cursor))
    }

    /// The engine for reading, brought up to date with the change log first
    /// when it was never loaded. Readers hold this only while they compute.
    pub fn read(&self) -> AppResult<RwLockReadGuard<'_, Engine>> {
        Ok(self
            .engine()?
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Loads the engine now if it is not in memory yet.
    pub fn load(&self) -> AppResult<()> {
        self.engine().map(|_| ())
    }

    /// Where the engine was loaded from; `None` before it is loaded.
    pub fn loaded_from(&self) -> Option<LoadedFrom> {
        self.engine.get().map(|engine| {
            engine
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .loaded_from
        })
    }

    /// Whether the engine is in memory (a one-shot CLI command that only
    /// writes never loads it).
    pub fn is_loaded(&self) -> bool {
        self.engine.get().is_some()
    }

    /// Applies every committed change to the engine (by this process or any
    /// other), then evaluates the alert rules of the accounts whose data
    /// changed since the last evaluation ([`App::evaluate_pending_alerts`]).
    /// Does nothing when the engine is not loaded.
    pub fn follow(&self, now: Timestamp) -> AppResult<Followed> {
        let followed = self.catch_up()?;
        self.evaluate_pending_alerts(now)?;
        Ok(followed)
    }

    /// Evaluates the alert rules of the accounts whose data changed since the
    /// last evaluation (every active account when a portfolio-wide input
    /// changed, or when many did). A running server calls this every few
    /// seconds, so a writer adding activities to many accounts costs one
    /// evaluation per account per period, not one per batch.
    pub fn evaluate_pending_alerts(&self, now: Timestamp) -> AppResult<AlertRun> {
        let (accounts, all) = {
            let mut pending = lock(&self.pending_alerts);
            (
                std::mem::take(&mut pending.0),
                std::mem::take(&mut pending.1),
            )
        };
        if all || accounts.len() > PENDING_BEFORE_ALL {
            self.evaluate_alerts_of(None, now)
        } else {
            self.evaluate_alerts_of(Some(&accounts), now)
        }
    }

    /// Applies every committed change to the engine; the accounts whose data
    /// changed wait for [`App::evaluate_pending_alerts`].
    pub fn catch_up(&self) -> AppResult<Followed> {
        let Some(engine) = self.engine.get() else {
            return Ok(Followed::default());
        };
        let _one = lock(&self.follower);
        let (mut cursor, mut high_water) = {
            let engine = engine
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            (engine.cursor, engine.activity_high_water)
        };
        let mut followed = Followed {
            cursor,
            ..Followed::default()
        };
        let mut models_changed = false;
        loop {
            let changes = self.store.changes_since(cursor, CHANGES_PER_ROUND)?;
            if changes.is_empty() {
                break;
            }
            // Read outside the engine lock; apply under it, whole changes only.
            let mut updates = Vec::new();
            let mut activities = 0;
            for change in &changes {
                let account = change.account.as_ref();
                match (change.kind, account) {
                    (ChangeKind::Account, Some(account)) => {
                        if let Some(record) = self.store.account(account)? {
                            updates.push(Update::Account(record));
                        }
                        followed.touched.insert(account.clone());
                    }
                    (ChangeKind::Contacts, Some(account)) => {
                        updates.push(Update::Contacts(self.store.account_contacts(account)?));
                        followed.touched.insert(account.clone());
                    }
                    (ChangeKind::Outcomes, Some(account)) => {
                        updates.push(Update::Outcomes(self.store.account_outcomes(account)?));
                        followed.touched.insert(account.clone());
                    }
                    (ChangeKind::Goals, Some(account)) => {
                        let goals = self
                            .store
                            .goals(Some(account))?
                            .into_iter()
                            .map(|(_, goal)| goal)
                            .collect();
                        updates.push(Update::Goals(account.clone(), goals));
                        followed.touched.insert(account.clone());
                    }
                    (ChangeKind::Features, _) => {
                        updates.push(Update::Catalogue(self.store.features()?));
                        followed.portfolio_wide = true;
                    }
                    (ChangeKind::Activities, _) => {
                        if let Some((first, last)) = change.activities {
                            let first = first.max(high_water + 1);
                            if first <= last {
                                let batch = match self.written_activities(first, last) {
                                    Some(batch) => batch,
                                    None => {
                                        let mut batch = Vec::new();
                                        self.store.activities_in(
                                            first,
                                            last,
                                            &mut |seq, activity| batch.push((seq, activity)),
                                        )?;
                                        batch
                                    }
                                };
                                activities += batch.len();
                                for (_, activity) in &batch {
                                    if !followed.touched.contains(&activity.account) {
                                        followed.touched.insert(activity.account.clone());
                                    }
                                }
                                updates.push(Update::Activities(batch));
                            }
                        }
                    }
                    (ChangeKind::Overrides, _) => updates.push(Update::Overrides),
                    (ChangeKind::Models, _) => {
                        models_changed = true;
                        followed.portfolio_wide = true;
                    }
                    _ => {}
                }
                cursor = change.seq;
                if activities >= ACTIVITIES_PER_ROUND {
                    break;
                }
            }
            let mut engine = engine
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for update in updates {
                followed.changes += 1;
                match update {
                    Update::Account(record) => engine.state.upsert_account(record),
                    Update::Contacts(contacts) => {
                        for contact in &contacts {
                            engine.state.upsert_contact(contact);
                        }
                    }
                    Update::Catalogue(features) => engine.state.set_catalogue(&features),
                    Update::Outcomes(outcomes) => {
                        for outcome in &outcomes {
                            engine.state.upsert_outcome(outcome);
                        }
                    }
                    Update::Goals(account, goals) => engine.state.set_goals(&account, goals),
                    Update::Activities(batch) => {
                        for (seq, activity) in &batch {
                            engine.state.add_activity(activity);
                            high_water = high_water.max(*seq);
                        }
                        followed.activities += batch.len();
                    }
                    Update::Overrides => engine.overrides_revision += 1,
                }
            }
            engine.cursor = cursor;
            engine.activity_high_water = high_water;
            followed.cursor = cursor;
        }
        if models_changed {
            self.apply_saved_models()?;
            followed.changes += 1;
        }
        if followed.changes > 0 {
            let mut pending = lock(&self.pending_alerts);
            pending.0.extend(followed.touched.iter().cloned());
            pending.1 |= followed.portfolio_wide;
        }
        Ok(followed)
    }

    /// After a use case's own write: the engine follows it at once (when it
    /// is loaded), so the caller reads what it wrote, and the alert rules of
    /// the accounts the use case changed are evaluated now.
    fn after_write(&self, now: Timestamp, changed: &[ExternalId]) -> AppResult<()> {
        self.catch_up()?;
        if changed.is_empty() || !self.is_loaded() {
            return Ok(());
        }
        let accounts: BTreeSet<ExternalId> = changed.iter().cloned().collect();
        {
            let mut pending = lock(&self.pending_alerts);
            pending.0.retain(|account| !accounts.contains(account));
        }
        self.evaluate_alerts_of(Some(&accounts), now).map(|_| ())
    }
}

fn checkpoint_error(path: &std::path::Path) -> impl Fn(checkpoint::CheckpointError) -> AppError {
    move |error| AppError::External(format!("{}: {error}", path.display()))
}

/// "Now" as reports state it when the caller gives no `asOf`: the end of the
/// current second (the next whole second, strictly after the clock's
/// instant), so requests made within the same second share their peer
/// figures, and everything written before the request (an override set a
/// moment ago) is before the instant scored. The response's `asOf` says which
/// instant it was.
pub fn report_instant(now: Timestamp) -> Timestamp {
    Timestamp::from_millis((now.millis().div_euclid(1000) + 1) * 1000)
}
