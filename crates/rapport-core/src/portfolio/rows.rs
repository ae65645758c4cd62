//! The accounts table: one row an account with the figures a CSM sorts and
//! filters by (engagement and its band and trend, health and its band, at
//! risk, low engagement, revenue band, engaged contacts), computed with the
//! overview's own per-account rules so a chart's drill-down lists exactly the
//! accounts it counted. Every account the person sees, churned ones included
//! (marked by their status); the overview counts active accounts only.

use serde::Serialize;

use crate::access::Person;
use crate::domain::AccountListing;
use crate::engagement::breakdown::{Trend, overall_trend};
use crate::engine::{AccountState, PortfolioState, Window};
use crate::scoring::model::Model;
use crate::scoring::overrides::OverrideTrails;

use super::overview::{
    account_figures, at_risk, low_engagement, on_every_core, revenue_band, user_bucket,
};

/// One account of the table.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountRow {
    pub account: AccountListing,
    /// The engagement score in force at the window's end (an override's
    /// value while one is).
    pub engagement: Option<f64>,
    pub previous_engagement: Option<f64>,
    pub engagement_band: Option<String>,
    pub engagement_band_name: Option<String>,
    pub trend: Option<Trend>,
    pub health: Option<f64>,
    pub health_band: Option<String>,
    pub health_band_name: Option<String>,
    pub health_overridden: bool,
    /// Health in the health model's lowest band, or the key-moment flag.
    pub at_risk: bool,
    /// Engagement below the model's second band (the overview's rule).
    pub low_engagement: bool,
    /// The overview's revenue band of the ARR (`$50k–100k`).
    pub revenue_band: String,
    /// The overview's bucket of distinct contacts engaged in the window (`3–5`).
    pub engaged_users: String,
    pub multi_threaded: bool,
    /// Tickets, e-mails, meetings and calls in the window.
    pub activities: u64,
}

/// The rows of every account `person` sees (every account without one), in
/// the store's account order, over `window` against `compare_window`.
pub fn account_rows(
    portfolio: &PortfolioState,
    engagement_model: &Model,
    health_model: &Model,
    window: Window,
    compare_window: Window,
    person: Option<&Person>,
    overrides: &OverrideTrails,
) -> Vec<AccountRow> {
    let accounts: Vec<&AccountState> = portfolio
        .accounts()
        .filter(|state| {
            state
                .account()
                .is_some_and(|account| person.is_none_or(|person| person.sees(account)))
        })
        .collect();
    let row = |state: &AccountState| {
        account_row(
            portfolio,
            state,
            engagement_model,
            health_model,
            window,
            compare_window,
            overrides,
        )
    };
    on_every_core(&accounts, row)
        .into_iter()
        .flatten()
        .collect()
}

/// One account's row (`None` for an account without its record).
pub fn account_row(
    portfolio: &PortfolioState,
    state: &AccountState,
    engagement_model: &Model,
    health_model: &Model,
    window: Window,
    compare_window: Window,
    overrides: &OverrideTrails,
) -> Option<AccountRow> {
    let account = state.account()?;
    let now = account_figures(
        portfolio,
        state,
        window,
        engagement_model,
        health_model,
        overrides,
    );
    let before = account_figures(
        portfolio,
        state,
        compare_window,
        engagement_model,
        health_model,
        overrides,
    );
    let engagement_band = now.engagement.map(|score| engagement_model.band_of(score));
    let health_band = now.health.map(|score| health_model.band_of(score));
    Some(AccountRow {
        account: AccountListing::from(account),
        engagement: now.engagement,
        previous_engagement: before.engagement,
        engagement_band: engagement_band.map(|band| band.key.clone()),
        engagement_band_name: engagement_band.map(|band| band.name.clone()),
        trend: overall_trend(engagement_model, now.engagement, before.engagement),
        health: now.health,
        health_band: health_band.map(|band| band.key.clone()),
        health_band_name: health_band.map(|band| band.name.clone()),
        health_overridden: now.health_overridden,
        at_risk: at_risk(health_model, now.health, account.at_risk_override),
        low_engagement: low_engagement(engagement_model, now.engagement),
        revenue_band: revenue_band(account.arr).to_string(),
        engaged_users: user_bucket(now.engaged_contacts).to_string(),
        multi_threaded: now.multi_threaded,
        activities: now.activities.total,
    })
}
