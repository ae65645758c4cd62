//! One account's success metrics as every surface shows them: the account's
//! identity and contract beside the [`SuccessReport`], with the account's usage
//! from the engagement engine (quoted in adoption root causes) and the peer
//! benchmark over the active accounts of its tier.

pub mod report;

use std::sync::{Arc, Mutex, PoisonError};

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::{AccountStatus, CustomerId, Tier};
use crate::engine::facts::factor_facts;
use crate::engine::{AccountState, PortfolioState, Window};
use crate::success::engine::{
    PeerSuccess, SuccessReport, UsageContext, peer_figures, success_report,
};
use crate::time::{Period, Timestamp};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountSuccess {
    pub customer_id: CustomerId,
    pub external_id: String,
    pub account_name: String,
    pub tier: Tier,
    /// The period the figures cover: `all`, contract start to `as_of`.
    pub period: String,
    pub contract_start: Option<NaiveDate>,
    pub renewal_date: Option<NaiveDate>,
    /// What ROI is computed on: the account's ARR.
    pub investment: f64,
    /// Whether targets and expected progress are shown (`includeTargets`).
    pub include_targets: bool,
    /// Set when the account had churned at `as_of` (its reports say so).
    pub churned: Option<crate::engine::state::Churn>,
    #[serde(flatten)]
    pub report: SuccessReport,
}

impl AccountSuccess {
    /// The JSON every surface prints; without targets when they were not asked for.
    pub fn to_json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if !self.include_targets
            && let Some(goals) = value.get_mut("goals").and_then(|g| g.as_array_mut())
        {
            for goal in goals {
                if let Some(goal) = goal.as_object_mut() {
                    goal.remove("expectedProgress");
                    if let Some(metrics) = goal.get_mut("metrics").and_then(|m| m.as_array_mut()) {
                        for metric in metrics.iter_mut().filter_map(|m| m.as_object_mut()) {
                            metric.remove("target");
                            metric.remove("expected");
                        }
                    }
                }
            }
        }
        value
    }
}

/// The account's usage at `as_of` over the default period, from the engine.
fn usage(portfolio: &PortfolioState, state: &AccountState, as_of: Timestamp) -> UsageContext {
    let facts = factor_facts(portfolio, state, Window::new(as_of, Period::DEFAULT));
    UsageContext {
        active_users: facts.active_users,
        user_base: facts.user_base,
        active_user_percent: facts.active_user_percent,
        login_frequency_per_week: facts.login_frequency_per_week,
    }
}

/// Every account's benchmarked figures at one `as_of`, computed once and
/// reused while the portfolio's revision and the instant stay the same, so the
/// benchmark of each account costs a pass over its tier, not over every goal.
/// Shared between threads (`&self`): the figures are computed outside the
/// lock and kept for the last (revision, instant) asked.
#[derive(Debug, Default)]
pub struct SuccessPeerCache {
    /// Per account slot; `None` for a slot without an account record.
    figures: Mutex<Option<PeerFigures>>,
}

/// The key the figures were computed for, and the figures by account slot.
type PeerFigures = ((u64, i64), Arc<Vec<Option<PeerSuccess>>>);

impl SuccessPeerCache {
    fn figures(
        &self,
        portfolio: &PortfolioState,
        as_of: Timestamp,
    ) -> Arc<Vec<Option<PeerSuccess>>> {
        let key = (portfolio.revision(), as_of.millis());
        let lock = || self.figures.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((cached, figures)) = lock().as_ref()
            && *cached == key
        {
            return Arc::clone(figures);
        }
        let figures: Arc<Vec<Option<PeerSuccess>>> = Arc::new(
            portfolio
                .accounts()
                .map(|state| {
                    let account = state.account()?;
                    Some(peer_figures(state.goals(), as_of, account.arr))
                })
                .collect(),
        );
        *lock() = Some((key, Arc::clone(&figures)));
        figures
    }
}

/// The success metrics of one account of the portfolio at `as_of`, from the
/// goals the engine holds; `None` for a slot without an account record. With a
/// peer cache, the benchmark compares it with the active accounts of its tier.
pub fn account_success(
    portfolio: &PortfolioState,
    state: &AccountState,
    as_of: Timestamp,
    benchmarks: Option<&SuccessPeerCache>,
    include_targets: bool,
) -> Option<AccountSuccess> {
    let account = state.account()?;
    let peers: Option<Vec<PeerSuccess>> = benchmarks.map(|cache| {
        let figures = cache.figures(portfolio, as_of);
        portfolio
            .accounts()
            .filter_map(|peer| Some((peer, peer.account()?)))
            .filter(|(peer, record)| {
                peer.slot() == state.slot()
                    || (record.tier == account.tier && record.status == AccountStatus::Active)
            })
            .filter_map(|(peer, _)| figures.get(peer.slot()).cloned().flatten())
            .collect()
    });
    Some(AccountSuccess {
        customer_id: account.customer_id(),
        external_id: account.external_id.to_string(),
        account_name: account.name.clone(),
        tier: account.tier,
        period: "all".into(),
        contract_start: account.contract_start,
        renewal_date: account.renewal_date,
        investment: account.arr,
        include_targets,
        churned: state.churned_at(as_of),
        report: success_report(
            state.goals(),
            as_of,
            account.arr,
            account.renewal_date,
            Some(usage(portfolio, state, as_of)),
            peers.as_deref(),
        ),
    })
}
