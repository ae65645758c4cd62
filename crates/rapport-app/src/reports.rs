//! The reports every surface shows: one account's engagement breakdown,
//! health and success metrics, the customer-facing value report, the
//! portfolio overview and the weekly report. Each is computed once here from
//! the live engine; the API serialises it, the CLI prints it as JSON (the same
//! body) or renders it.

use std::borrow::Cow;
use std::sync::Arc;

use rapport_core::account_success::report::ValueReport;
use rapport_core::account_success::{AccountSuccess, account_success};
use rapport_core::engagement::{Compare, EngagementBreakdown, engagement_breakdown};
use rapport_core::engine::Window;
use rapport_core::health::{HealthView, health_view};
use rapport_core::portfolio::overview::{Overview, OverviewFilter, overview};
use rapport_core::portfolio::weekly::{WeeklyReport, weekly_report};
use rapport_core::scoring::model::Model;
use rapport_core::scoring::overrides::OverrideEvent;
use rapport_core::{Account, ExternalId, Period, Tier, Timestamp};

use crate::cache::Shared;
use crate::{App, AppError, AppResult};

/// What an engagement breakdown is asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct EngagementRequest {
    pub window: Window,
    pub compare: Compare,
    /// A model by name; default: the account's tier's model.
    pub model: Option<String>,
}

/// Parses a period (default 30d) and a compare period (default `previous`)
/// ending at `as_of`; refusals name `period` or `comparePeriod`.
pub fn engagement_window(
    period: Option<&str>,
    compare: Option<&str>,
    as_of: Timestamp,
) -> AppResult<(Window, Compare)> {
    let period = match period.map(str::trim) {
        None | Some("") => Period::DEFAULT,
        Some(text) => text
            .parse()
            .map_err(|error| AppError::invalid("period", format!("{error}")))?,
    };
    let compare = Compare::parse(compare.unwrap_or("previous").trim())
        .map_err(|reason| AppError::invalid("comparePeriod", reason))?;
    Ok((Window::new(as_of, period), compare))
}

/// Parses an optional tier filter (refusals name `tier`).
pub fn tier_filter(csm: Option<&str>, tier: Option<&str>) -> AppResult<OverviewFilter> {
    let tier = match tier.map(str::trim).filter(|tier| !tier.is_empty()) {
        Some(text) => Some(
            text.parse::<Tier>()
                .map_err(|error| AppError::invalid("tier", error.to_string()))?,
        ),
        None => None,
    };
    Ok(OverviewFilter {
        csm: csm
            .map(str::trim)
            .filter(|csm| !csm.is_empty())
            .map(str::to_string),
        tier,
    })
}

impl App {
    /// The engagement model a request names, or the account's tier's.
    pub fn engagement_model<'a>(
        &'a self,
        name: Option<&str>,
        account: &Account,
    ) -> AppResult<Cow<'a, Model>> {
        match name.map(str::trim).filter(|name| !name.is_empty()) {
            Some(name) => self
                .config
                .models
                .named(name)
                .map(Cow::Owned)
                .ok_or_else(|| {
                    AppError::invalid(
                        "model",
                        format!(
                            "`{name}` is not a model of this deployment nor a shipped one ({})",
                            Model::SHIPPED.join(", ")
                        ),
                    )
                }),
            None => Ok(Cow::Borrowed(self.config.models.for_tier(account.tier))),
        }
    }

    /// One account's override events, from the store.
    pub fn override_events(&self, account: &ExternalId) -> AppResult<Vec<OverrideEvent>> {
        Ok(self
            .store
            .override_events(Some(account))?
            .into_iter()
            .map(|(_, event)| event)
            .collect())
    }

    /// The engagement breakdown (PRD-070) of one account, with a manual
    /// override of its model's score beside the computed one.
    pub fn engagement(
        &self,
        reference: &str,
        request: &EngagementRequest,
    ) -> AppResult<Arc<Shared<EngagementBreakdown>>> {
        let account = self.resolve(reference)?;
        let model = self.engagement_model(request.model.as_deref(), &account)?;
        let engine = self.read()?;
        let key = crate::cache::BreakdownKey {
            account: account.external_id.clone(),
            model: model.name.clone(),
            window: request.window,
            compare: request.compare,
            revision: engine.revision(),
        };
        self.caches.breakdown(key, || {
            let events = self.override_events(&account.external_id)?;
            let state = engine
                .state
                .account(account.external_id.as_str())
                .ok_or_else(|| not_in_engine(&account))?;
            let mut breakdown = engagement_breakdown(
                &model,
                &engine.state,
                state,
                request.window,
                request.compare,
                &self.caches.breakdown_caches,
            )
            .ok_or_else(|| not_in_engine(&account))?;
            breakdown.apply_overrides(&events);
            Ok(Shared::new(breakdown))
        })
    }

    /// The health report of one account at `as_of`, with a manual override
    /// beside the computed score.
    pub fn health(&self, reference: &str, as_of: Timestamp) -> AppResult<HealthView> {
        let account = self.resolve(reference)?;
        let events = self.override_events(&account.external_id)?;
        let engine = self.read()?;
        let state = engine
            .state
            .account(account.external_id.as_str())
            .ok_or_else(|| not_in_engine(&account))?;
        health_view(
            &self.config.health_model,
            &engine.state,
            state,
            &events,
            as_of,
        )
        .ok_or_else(|| not_in_engine(&account))
    }

    /// The success metrics (PRD-069) of one account at `as_of`: with the
    /// tier benchmark when `benchmarks`, with targets when `targets`.
    pub fn success(
        &self,
        reference: &str,
        as_of: Timestamp,
        benchmarks: bool,
        targets: bool,
    ) -> AppResult<AccountSuccess> {
        let account = self.resolve(reference)?;
        let engine = self.read()?;
        let state = engine
            .state
            .account(account.external_id.as_str())
            .ok_or_else(|| not_in_engine(&account))?;
        let peers = benchmarks.then_some(&self.caches.success_peers);
        let success = account_success(&engine.state, state, as_of, peers, targets);
        success.ok_or_else(|| not_in_engine(&account))
    }

    /// The customer-facing value report of one account at `as_of`.
    pub fn value_report(&self, reference: &str, as_of: Timestamp) -> AppResult<ValueReport> {
        let success = self.success(reference, as_of, false, true)?;
        Ok(ValueReport::from(&success))
    }

    /// Refuses a CSM filter that no account's CSM answers to (case
    /// ignored), naming `csm` and the closest names: an empty report would
    /// read as "nothing to worry about".
    pub fn check_csm(&self, csm: Option<&str>) -> AppResult<()> {
        let Some(csm) = csm.map(str::trim).filter(|csm| !csm.is_empty()) else {
            return Ok(());
        };
        let engine = self.read()?;
        let mut known: Vec<&str> = engine
            .state
            .accounts()
            .filter_map(|state| state.account())
            .map(|account| account.csm.as_str())
            .collect();
        if known.iter().any(|name| name.eq_ignore_ascii_case(csm)) {
            return Ok(());
        }
        known.sort_unstable();
        known.dedup();
        let lowered = csm.to_lowercase();
        let close: Vec<&str> = known
            .iter()
            .copied()
            .filter(|name| {
                let name = name.to_lowercase();
                name.contains(&lowered) || rapport_core::domain::close_spelling(&name, &lowered)
            })
            .collect();
        Err(AppError::invalid(
            "csm",
            if close.is_empty() {
                format!("no account has the CSM `{csm}`")
            } else {
                format!(
                    "no account has the CSM `{csm}`; did you mean {}",
                    close.join(", ")
                )
            },
        ))
    }

    /// The portfolio engagement overview (default engagement model).
    pub fn overview(
        &self,
        window: Window,
        compare: Compare,
        filter: &OverviewFilter,
    ) -> AppResult<Overview> {
        self.check_csm(filter.csm.as_deref())?;
        let overrides = self.override_trails()?;
        let engine = self.read()?;
        Ok(overview(
            &engine.state,
            &self.config.models.default,
            &self.config.health_model,
            window,
            compare.window(window),
            filter,
            &overrides,
        ))
    }

    /// The weekly portfolio report at `as_of`.
    pub fn weekly(&self, as_of: Timestamp, filter: &OverviewFilter) -> AppResult<WeeklyReport> {
        self.check_csm(filter.csm.as_deref())?;
        let alerts = self.store.alerts(None, true)?;
        let overrides = self.override_trails()?;
        let engine = self.read()?;
        Ok(weekly_report(
            &engine.state,
            &self.config.health_model,
            filter,
            &alerts,
            &overrides,
            as_of,
        ))
    }

    /// Every account's override trail, for the roll-ups.
    fn override_trails(&self) -> AppResult<rapport_core::scoring::overrides::OverrideTrails> {
        Ok(self
            .store
            .override_events(None)?
            .into_iter()
            .map(|(account, event)| (account.as_str().to_string(), event))
            .collect())
    }
}

fn not_in_engine(account: &Account) -> AppError {
    AppError::NotFound(format!(
        "no account with id `{}` in the engine yet",
        account.external_id
    ))
}
