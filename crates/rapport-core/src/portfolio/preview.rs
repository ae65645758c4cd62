//! What a model change would do before it is saved: every account's
//! computed score and band under the model in use and under the edited one,
//! at one instant, the accounts whose band would change listed first.
//! Computed scores (a manual override stays what it is either way).

use serde::Serialize;

use crate::domain::AccountListing;
use crate::engine::facts::factor_facts;
use crate::engine::{AccountState, PortfolioState, Window};
use crate::scoring::model::Model;
use crate::scoring::score::summary;

/// One account under both models.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreviewRow {
    pub account: AccountListing,
    pub current: Option<f64>,
    pub current_band: Option<String>,
    pub proposed: Option<f64>,
    pub proposed_band: Option<String>,
}

/// Accounts per band under each model.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreviewBandCount {
    pub band: String,
    pub name: String,
    pub current: usize,
    pub proposed: usize,
}

/// The preview of a model change.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelPreview {
    pub model: String,
    pub window: Window,
    pub accounts: usize,
    /// Accounts whose band would change.
    pub band_changes: usize,
    /// The mean move of the score, in points (of accounts scored both ways).
    pub mean_change: Option<f64>,
    pub bands: Vec<PreviewBandCount>,
    /// Band changes first, then by the size of the move.
    pub rows: Vec<PreviewRow>,
}

/// `accounts` scored under `current` and `proposed` over `window`.
pub fn preview(
    portfolio: &PortfolioState,
    accounts: &[&AccountState],
    current: &Model,
    proposed: &Model,
    window: Window,
) -> ModelPreview {
    let mut rows: Vec<PreviewRow> = accounts
        .iter()
        .filter_map(|state| {
            let record = state.account()?;
            let facts = factor_facts(portfolio, state, window);
            let now = summary(current, &facts).overall;
            let then = summary(proposed, &facts).overall;
            Some(PreviewRow {
                account: AccountListing::from(record),
                current: now,
                current_band: now.map(|score| current.band_of(score).key.clone()),
                proposed: then,
                proposed_band: then.map(|score| proposed.band_of(score).key.clone()),
            })
        })
        .collect();
    let moved = |row: &PreviewRow| row.current_band != row.proposed_band;
    let change = |row: &PreviewRow| match (row.current, row.proposed) {
        (Some(now), Some(then)) => (then - now).abs(),
        _ => 0.0,
    };
    rows.sort_by(|a, b| {
        moved(b)
            .cmp(&moved(a))
            .then(change(b).total_cmp(&change(a)))
            .then(a.account.name.cmp(&b.account.name))
    });
    let changes: Vec<f64> = rows
        .iter()
        .filter_map(|row| Some(row.proposed? - row.current?))
        .collect();
    let bands = current
        .bands
        .iter()
        .map(|band| PreviewBandCount {
            band: band.key.clone(),
            name: band.name.clone(),
            current: rows
                .iter()
                .filter(|row| row.current_band.as_deref() == Some(band.key.as_str()))
                .count(),
            proposed: rows
                .iter()
                .filter(|row| row.proposed_band.as_deref() == Some(band.key.as_str()))
                .count(),
        })
        .collect();
    ModelPreview {
        model: proposed.name.clone(),
        window,
        accounts: rows.len(),
        band_changes: rows.iter().filter(|row| moved(row)).count(),
        mean_change: (!changes.is_empty())
            .then(|| changes.iter().sum::<f64>() / changes.len() as f64),
        bands,
        rows,
    }
}
