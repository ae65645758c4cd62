//! Peer comparison (`definitions.md` §3.2): an account's overall and component
//! scores against the active accounts of its tier, scored with the same model,
//! `as_of` and period.
//!
//! Scoring a whole tier for every request would cost a tier's worth of work per
//! breakdown, so [`PeerCache`] keeps, per (model, window), each account's score
//! summary together with the account's generation. The cache is shared between
//! threads: its locks are held only to look up and insert, and concurrent
//! requests needing the same peer group wait for one build of it. A summary is recomputed only
//! when its account changed (or when a portfolio-wide change, such as a new
//! feature catalogue, touched every account), so the figures are always those a
//! full recomputation would give, and one account's new activity costs one
//! account's rescoring.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Serialize;

use crate::domain::{AccountStatus, Tier};
use crate::engine::facts::factor_facts;
use crate::engine::{AccountState, PortfolioState, Window};
use crate::scoring::model::Model;
use crate::scoring::score::{ScoreSummary, summary};
use crate::stats::peer_average;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PeerComparison {
    /// Active accounts of the same tier, the account included.
    pub group: String,
    pub peers: usize,
    pub overall: PeerFigure,
    pub components: Vec<PeerFigure>,
    /// The components at or above their peer average, and those below (keys).
    pub above_average: Vec<String>,
    pub below_average: Vec<String>,
}

#[derive(Debug, Clone)]
struct Entry {
    generation: u64,
    summary: ScoreSummary,
}

/// One peer group's figures, sorted, for percentiles by binary search.
#[derive(Debug, Clone)]
struct Group {
    peers: usize,
    overall: Sorted,
    components: Vec<Sorted>,
}

#[derive(Debug, Clone, Default)]
struct Sorted {
    values: Vec<f64>,
    average: Option<f64>,
}

impl Sorted {
    fn new(values: Vec<f64>) -> Self {
        let average = peer_average(&values);
        let mut values = values;
        values.sort_by(f64::total_cmp);
        Sorted { values, average }
    }

    /// `mid_rank_percentile`, by binary search over the sorted values.
    fn percentile(&self, value: f64) -> Option<f64> {
        if self.values.is_empty() {
            return None;
        }
        let below = self.values.partition_point(|peer| *peer < value);
        let up_to = self.values.partition_point(|peer| *peer <= value);
        let equal = up_to - below;
        Some(100.0 * (below as f64 + 0.5 * equal as f64) / self.values.len() as f64)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Every account's score summary for one (model, window, portfolio
/// generation), and the peer groups built from them. Shared between threads:
/// its locks are held only to look up and insert, never while scoring.
#[derive(Debug)]
struct PeerScores {
    model: String,
    window: Window,
    portfolio_generation: u64,
    /// By account slot.
    entries: Mutex<Vec<Option<Entry>>>,
    /// Peer groups by tier, each valid for the portfolio revision it was built at.
    groups: Mutex<Vec<(Tier, u64, Arc<Group>)>>,
    /// Held while a group is built, so concurrent requests for the same table
    /// wait for one build instead of each scoring the whole tier.
    building: Mutex<()>,
}

impl PeerScores {
    fn cached(&self, account: &AccountState) -> Option<ScoreSummary> {
        lock(&self.entries)
            .get(account.slot())
            .and_then(Option::as_ref)
            .filter(|entry| entry.generation == account.generation())
            .map(|entry| entry.summary.clone())
    }

    fn keep(&self, computed: Vec<(usize, Entry)>) {
        let mut entries = lock(&self.entries);
        for (slot, entry) in computed {
            if entries.len() <= slot {
                entries.resize(slot + 1, None);
            }
            entries[slot] = Some(entry);
        }
    }

    fn compute(&self, model: &Model, portfolio: &PortfolioState, account: &AccountState) -> Entry {
        Entry {
            generation: account.generation(),
            summary: summary(model, &factor_facts(portfolio, account, self.window)),
        }
    }

    fn summary(
        &self,
        model: &Model,
        portfolio: &PortfolioState,
        account: &AccountState,
    ) -> ScoreSummary {
        if let Some(cached) = self.cached(account) {
            return cached;
        }
        let entry = self.compute(model, portfolio, account);
        let summary = entry.summary.clone();
        self.keep(vec![(account.slot(), entry)]);
        summary
    }

    fn built(&self, tier: Tier, revision: u64) -> Option<Arc<Group>> {
        lock(&self.groups)
            .iter()
            .find(|(cached, at, _)| *cached == tier && *at == revision)
            .map(|(_, _, group)| Arc::clone(group))
    }

    /// The tier's active accounts' figures, rebuilt when anything changed:
    /// only the accounts whose generation moved are scored again.
    fn group(&self, model: &Model, portfolio: &PortfolioState, tier: Tier) -> Arc<Group> {
        let revision = portfolio.revision();
        if let Some(group) = self.built(tier, revision) {
            return group;
        }
        let _one_build = lock(&self.building);
        if let Some(group) = self.built(tier, revision) {
            return group;
        }
        let peers: Vec<&AccountState> = portfolio
            .accounts()
            .filter(|peer| is_peer(peer, tier))
            .collect();
        let stale: Vec<&AccountState> = {
            let entries = lock(&self.entries);
            peers
                .iter()
                .copied()
                .filter(|peer| {
                    entries
                        .get(peer.slot())
                        .and_then(Option::as_ref)
                        .is_none_or(|entry| entry.generation != peer.generation())
                })
                .collect()
        };
        // A new window (a new second, for requests scored "now") rescores the
        // whole tier: on every core, since the requests waiting for the group
        // wait for this.
        let threads = if stale.len() >= 256 {
            std::thread::available_parallelism().map_or(1, usize::from)
        } else {
            1
        };
        let part = stale.len().div_ceil(threads).max(1);
        let computed: Vec<(usize, Entry)> = std::thread::scope(|scope| {
            let parts: Vec<_> = stale
                .chunks(part)
                .map(|chunk| {
                    scope.spawn(move || {
                        chunk
                            .iter()
                            .map(|peer| (peer.slot(), self.compute(model, portfolio, peer)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|part| part.join().unwrap_or_default())
                .collect()
        });
        self.keep(computed);
        let mut overall = Vec::with_capacity(peers.len());
        let mut components: Vec<Vec<f64>> = vec![Vec::new(); model.components.len()];
        {
            let entries = lock(&self.entries);
            for peer in &peers {
                let Some(Some(entry)) = entries.get(peer.slot()) else {
                    continue;
                };
                overall.extend(entry.summary.overall);
                for (values, score) in components.iter_mut().zip(&entry.summary.components) {
                    values.extend(*score);
                }
            }
        }
        let group = Arc::new(Group {
            peers: peers.len(),
            overall: Sorted::new(overall),
            components: components.into_iter().map(Sorted::new).collect(),
        });
        let mut groups = lock(&self.groups);
        groups.retain(|(_, at, _)| *at == revision);
        groups.push((tier, revision, Arc::clone(&group)));
        group
    }
}

/// Per-(model, window) peer score tables, the most recently used few kept.
/// Shared between threads (`&self`): scoring happens outside its locks.
#[derive(Debug)]
pub struct PeerCache {
    tables: Mutex<VecDeque<Arc<PeerScores>>>,
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
            tables: Mutex::new(VecDeque::new()),
            capacity: capacity.max(1),
        }
    }

    fn table(&self, model: &Model, portfolio: &PortfolioState, window: Window) -> Arc<PeerScores> {
        let mut tables = lock(&self.tables);
        let found = tables.iter().position(|table| {
            table.model == model.name
                && table.window == window
                && table.portfolio_generation == portfolio.generation()
        });
        let table = match found.and_then(|index| tables.remove(index)) {
            Some(table) => table,
            None => Arc::new(PeerScores {
                model: model.name.clone(),
                window,
                portfolio_generation: portfolio.generation(),
                entries: Mutex::new(Vec::new()),
                groups: Mutex::new(Vec::new()),
                building: Mutex::new(()),
            }),
        };
        if tables.len() >= self.capacity {
            tables.pop_back();
        }
        tables.push_front(Arc::clone(&table));
        table
    }

    /// The comparison of `account` with its peers over `window`: the active
    /// accounts of its tier, the account itself included even when it is not
    /// active. `None` for an account without an account record (no tier).
    pub fn comparison(
        &self,
        model: &Model,
        portfolio: &PortfolioState,
        account: &AccountState,
        window: Window,
    ) -> Option<PeerComparison> {
        let info = account.account()?;
        let tier = info.tier;
        let table = self.table(model, portfolio, window);
        let own = table.summary(model, portfolio, account);
        let outsider = info.status != AccountStatus::Active;
        let group = table.group(model, portfolio, tier);
        // An inactive account is compared with the active peers plus itself.
        let with_self = |sorted: &Sorted, value: Option<f64>| -> Sorted {
            let mut values = sorted.values.clone();
            values.extend(value);
            Sorted::new(values)
        };
        let figure = |key: &str, value: Option<f64>, sorted: &Sorted| {
            let owned;
            let sorted = if outsider {
                owned = with_self(sorted, value);
                &owned
            } else {
                sorted
            };
            PeerFigure {
                key: key.to_string(),
                value,
                peer_average: sorted.average,
                percentile: value.and_then(|value| sorted.percentile(value)),
                peers: sorted.values.len(),
            }
        };
        let components: Vec<PeerFigure> = model
            .components
            .iter()
            .zip(&group.components)
            .zip(&own.components)
            .map(|((component, sorted), value)| figure(&component.key, *value, sorted))
            .collect();
        let (mut above_average, mut below_average) = (Vec::new(), Vec::new());
        for component in &components {
            if let (Some(value), Some(average)) = (component.value, component.peer_average) {
                if value >= average {
                    above_average.push(component.key.clone());
                } else {
                    below_average.push(component.key.clone());
                }
            }
        }
        Some(PeerComparison {
            group: format!("{tier} tier, active accounts"),
            peers: group.peers + usize::from(outsider),
            overall: figure("overall", own.overall, &group.overall),
            components,
            above_average,
            below_average,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::mid_rank_percentile;

    #[test]
    fn sorted_percentile_equals_the_mid_rank_definition() {
        let values = vec![70.0, 55.5, 90.0, 55.5, 10.0, 70.0, 70.0];
        let sorted = Sorted::new(values.clone());
        for probe in [0.0, 10.0, 55.5, 60.0, 70.0, 90.0, 95.0] {
            assert_eq!(
                sorted.percentile(probe),
                mid_rank_percentile(probe, &values),
                "{probe}"
            );
        }
        assert_eq!(Sorted::new(Vec::new()).percentile(50.0), None);
    }
}
