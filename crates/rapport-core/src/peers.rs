//! Peer comparison (`definitions.md` §3.2): an account's overall and component
//! scores against the active accounts of its tier, scored with the same model,
//! `as_of` and period.
//!
//! Scoring a whole tier for every request would cost a tier's worth of work per
//! breakdown, so [`PeerCache`] keeps, per (model, window), each account's score
//! summary together with the account's generation. A summary is recomputed only
//! when its account changed (or when a portfolio-wide change, such as a new
//! feature catalogue, touched every account), so the figures are always those a
//! full recomputation would give, and one account's new activity costs one
//! account's rescoring.

use std::collections::VecDeque;

use serde::Serialize;

use crate::breakdown::{mid_rank_percentile, peer_average};
use crate::domain::{AccountStatus, Tier};
use crate::engine::facts::factor_facts;
use crate::engine::{AccountState, PortfolioState, Window};
use crate::model::Model;
use crate::score::{ScoreSummary, summary};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerFigure {
    /// `overall` or a component key.
    pub key: String,
    pub value: Option<f64>,
    pub peer_average: Option<f64>,
    /// Mid-rank percentile among the peers with a figure; `None` when the
    /// account has none.
    pub percentile: Option<f64>,
    /// Peers with a figure (the account included when it has one).
    pub peers: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerComparison {
    /// Active accounts of the same tier, the account included.
    pub group: String,
    pub peers: usize,
    pub overall: PeerFigure,
    pub components: Vec<PeerFigure>,
}

#[derive(Debug, Clone)]
struct Entry {
    generation: u64,
    summary: ScoreSummary,
}

/// Every account's score summary for one (model, window).
#[derive(Debug, Clone)]
struct PeerScores {
    model: String,
    window: Window,
    portfolio_generation: u64,
    /// By account slot.
    entries: Vec<Option<Entry>>,
}

impl PeerScores {
    fn summary(
        &mut self,
        model: &Model,
        portfolio: &PortfolioState,
        slot: usize,
        account: &AccountState,
    ) -> &ScoreSummary {
        if self.entries.len() <= slot {
            self.entries.resize(slot + 1, None);
        }
        let entry = &mut self.entries[slot];
        if entry
            .as_ref()
            .is_none_or(|entry| entry.generation != account.generation())
        {
            *entry = Some(Entry {
                generation: account.generation(),
                summary: summary(model, &factor_facts(portfolio, account, self.window)),
            });
        }
        &entry.as_ref().expect("just filled").summary
    }
}

/// Per-(model, window) peer score tables, the most recently used few kept.
#[derive(Debug, Clone)]
pub struct PeerCache {
    tables: VecDeque<PeerScores>,
    capacity: usize,
}

impl Default for PeerCache {
    fn default() -> Self {
        PeerCache::with_capacity(8)
    }
}

fn is_peer(account: &AccountState, tier: Tier) -> bool {
    account
        .account()
        .is_some_and(|info| info.tier == tier && info.status == AccountStatus::Active)
}

impl PeerCache {
    /// Keeps at most `capacity` (model, window) tables.
    pub fn with_capacity(capacity: usize) -> Self {
        PeerCache {
            tables: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    fn table(
        &mut self,
        model: &Model,
        portfolio: &PortfolioState,
        window: Window,
    ) -> &mut PeerScores {
        let found = self
            .tables
            .iter()
            .position(|table| table.model == model.name && table.window == window);
        let mut table = match found.and_then(|index| self.tables.remove(index)) {
            Some(table) => table,
            None => PeerScores {
                model: model.name.clone(),
                window,
                portfolio_generation: portfolio.generation(),
                entries: Vec::new(),
            },
        };
        if table.portfolio_generation != portfolio.generation() {
            table.entries.clear();
            table.portfolio_generation = portfolio.generation();
        }
        if self.tables.len() >= self.capacity {
            self.tables.pop_back();
        }
        self.tables.push_front(table);
        self.tables.front_mut().expect("just pushed")
    }

    /// The comparison of `account` with its peers over `window`. `None` for an
    /// account without an account record (no tier).
    pub fn comparison(
        &mut self,
        model: &Model,
        portfolio: &PortfolioState,
        account: &AccountState,
        window: Window,
    ) -> Option<PeerComparison> {
        let tier = account.account()?.tier;
        let table = self.table(model, portfolio, window);
        let mut own = None;
        let mut overall = Vec::new();
        let mut components: Vec<Vec<f64>> = vec![Vec::new(); model.components.len()];
        let mut peers = 0;
        for (slot, peer) in portfolio.accounts().enumerate() {
            let is_self = std::ptr::eq(peer, account);
            if !is_self && !is_peer(peer, tier) {
                continue;
            }
            peers += 1;
            let scores = table.summary(model, portfolio, slot, peer);
            overall.extend(scores.overall);
            for (values, score) in components.iter_mut().zip(&scores.components) {
                values.extend(*score);
            }
            if is_self {
                own = Some(scores.clone());
            }
        }
        let own = own?;
        let figure = |key: &str, value: Option<f64>, values: &[f64]| PeerFigure {
            key: key.to_string(),
            value,
            peer_average: peer_average(values),
            percentile: value.and_then(|value| mid_rank_percentile(value, values)),
            peers: values.len(),
        };
        Some(PeerComparison {
            group: format!("{tier} tier, active accounts"),
            peers,
            overall: figure("overall", own.overall, &overall),
            components: model
                .components
                .iter()
                .zip(&components)
                .zip(&own.components)
                .map(|((component, values), value)| figure(&component.key, *value, values))
                .collect(),
        })
    }
}
