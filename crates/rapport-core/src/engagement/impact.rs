//! Impact analysis (`definitions.md` §3.2): renewal and expansion probability
//! for an engagement score. With at least 30 renewal outcomes dated before
//! `as_of`, from a logistic model fitted (maximum likelihood) to each outcome's
//! engagement score on its date; otherwise, or when the fit cannot be made
//! (all outcomes alike, or perfectly separated by score), from the framework's
//! table. The output always says which.
//!
//! For the fit, an outcome's score is the model's overall score with `P = 30d`
//! at the first instant of the outcome's date. Renewed means renewed, expanded
//! or contracted (the customer stayed); expanded means expanded.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::Serialize;

use crate::domain::OutcomeKind;
use crate::engagement::breakdown::framework_probabilities;
use crate::engine::facts::factor_facts;
use crate::engine::{PortfolioState, Window};
use crate::scoring::model::Model;
use crate::scoring::score::summary;
use crate::time::{Period, Timestamp};

/// Outcomes needed before a logistic model replaces the framework's table.
pub const MIN_OUTCOMES: usize = 30;

/// `p = 1 / (1 + e^−(intercept + slope × score))`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogisticCurve {
    pub intercept: f64,
    pub slope: f64,
}

impl LogisticCurve {
    pub fn probability(&self, score: f64) -> f64 {
        1.0 / (1.0 + (-(self.intercept + self.slope * score)).exp())
    }
}

/// Maximum-likelihood logistic regression of `outcome` on `score` by Newton's
/// method. `None` when all outcomes are alike, the data are separable (the
/// estimate diverges), or the method does not converge.
pub fn fit_logistic(points: &[(f64, bool)]) -> Option<LogisticCurve> {
    let positives = points.iter().filter(|(_, outcome)| *outcome).count();
    if positives == 0 || positives == points.len() {
        return None;
    }
    // Fit on score / 100 for conditioning; convert back at the end.
    let (mut intercept, mut slope) = (0.0f64, 0.0f64);
    for _ in 0..100 {
        let (mut g0, mut g1, mut h00, mut h01, mut h11) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (score, outcome) in points {
            let x = score / 100.0;
            let p = 1.0 / (1.0 + (-(intercept + slope * x)).exp());
            let residual = f64::from(u8::from(*outcome)) - p;
            let w = p * (1.0 - p);
            g0 += residual;
            g1 += residual * x;
            h00 += w;
            h01 += w * x;
            h11 += w * x * x;
        }
        let determinant = h00 * h11 - h01 * h01;
        if determinant.abs() < 1e-12 {
            return None;
        }
        let step0 = (h11 * g0 - h01 * g1) / determinant;
        let step1 = (h00 * g1 - h01 * g0) / determinant;
        intercept += step0;
        slope += step1;
        if !intercept.is_finite() || !slope.is_finite() || slope.abs() > 1e3 {
            return None;
        }
        if step0.abs() < 1e-10 && step1.abs() < 1e-10 {
            return Some(LogisticCurve {
                intercept,
                slope: slope / 100.0,
            });
        }
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImpactSource {
    LogisticFit,
    FrameworkTable,
}

/// Where the probabilities come from.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImpactModel {
    pub source: ImpactSource,
    /// Outcomes dated before `as_of`.
    pub outcomes: usize,
    pub renewal_curve: Option<LogisticCurve>,
    pub expansion_curve: Option<LogisticCurve>,
    /// Why the framework's table was used, when it was.
    pub note: Option<String>,
}

impl ImpactModel {
    pub fn framework(outcomes: usize, note: String) -> Self {
        ImpactModel {
            source: ImpactSource::FrameworkTable,
            outcomes,
            renewal_curve: None,
            expansion_curve: None,
            note: Some(note),
        }
    }

    /// Fits the model to `(score, outcome)` pairs.
    pub fn fit(points: &[(f64, OutcomeKind)]) -> Self {
        if points.len() < MIN_OUTCOMES {
            return ImpactModel::framework(
                points.len(),
                format!(
                    "only {} known at this moment; a fitted model needs {MIN_OUTCOMES}",
                    crate::numbers::count(points.len() as u64, "renewal outcome", None)
                ),
            );
        }
        let renewal: Vec<(f64, bool)> = points
            .iter()
            .map(|(score, kind)| (*score, *kind != OutcomeKind::Churned))
            .collect();
        let expansion: Vec<(f64, bool)> = points
            .iter()
            .map(|(score, kind)| (*score, *kind == OutcomeKind::Expanded))
            .collect();
        match (fit_logistic(&renewal), fit_logistic(&expansion)) {
            (Some(renewal), Some(expansion)) => ImpactModel {
                source: ImpactSource::LogisticFit,
                outcomes: points.len(),
                renewal_curve: Some(renewal),
                expansion_curve: Some(expansion),
                note: None,
            },
            _ => ImpactModel::framework(
                points.len(),
                "the outcomes do not support a logistic fit (all alike, or perfectly separated by score)".into(),
            ),
        }
    }

    /// (renewal, expansion) probability for `score`.
    pub fn probabilities(&self, score: f64) -> (f64, f64) {
        match (self.renewal_curve, self.expansion_curve) {
            (Some(renewal), Some(expansion)) => {
                (renewal.probability(score), expansion.probability(score))
            }
            _ => framework_probabilities(score),
        }
    }
}

/// One model's cached outcome scores and fit.
#[derive(Debug, Clone, Default)]
struct ImpactState {
    scores: HashMap<(usize, i64), (u64, f64)>,
    /// The portfolio generation the scores were computed under.
    portfolio_generation: u64,
    /// (portfolio revision, outcomes before as_of) → the fit.
    fitted: Option<((u64, usize), ImpactModel)>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The impact model at `as_of`, per scoring model, with each outcome's score
/// cached by its account's generation and the fit cached until an input
/// changes: while the portfolio's revision and the number of outcomes before
/// `as_of` stay the same, the fit is reused as it is. Shared between threads:
/// the fit is computed outside the cache's lock, one fit at a time.
#[derive(Debug, Default)]
pub struct ImpactCache {
    models: Mutex<HashMap<String, ImpactState>>,
    fitting: Mutex<()>,
}

impl ImpactCache {
    fn fitted(&self, model: &str, key: (u64, usize)) -> Option<ImpactModel> {
        lock(&self.models)
            .get(model)
            .and_then(|state| state.fitted.as_ref())
            .filter(|(cached, _)| *cached == key)
            .map(|(_, fitted)| fitted.clone())
    }

    pub fn model_at(
        &self,
        model: &Model,
        portfolio: &PortfolioState,
        as_of: Timestamp,
    ) -> ImpactModel {
        let end = as_of.millis();
        let key = (portfolio.revision(), portfolio.outcomes_before(end));
        if let Some(fitted) = self.fitted(&model.name, key) {
            return fitted;
        }
        let _one_fit = lock(&self.fitting);
        if let Some(fitted) = self.fitted(&model.name, key) {
            return fitted;
        }
        // Only the fitter touches the scores: take them out, put them back.
        let mut state = lock(&self.models).remove(&model.name).unwrap_or_default();
        if state.portfolio_generation != portfolio.generation() {
            state.scores.clear();
            state.portfolio_generation = portfolio.generation();
        }
        let mut points: Vec<(f64, OutcomeKind)> = Vec::with_capacity(key.1);
        for account in portfolio.accounts() {
            for (at, kind, _) in account.outcomes.iter().take_while(|(at, _, _)| *at < end) {
                let entry = state
                    .scores
                    .entry((account.slot(), *at))
                    .or_insert((u64::MAX, 0.0));
                if entry.0 != account.generation() {
                    let window = Window::new(Timestamp::from_millis(*at), Period::DEFAULT);
                    let overall = summary(model, &factor_facts(portfolio, account, window)).overall;
                    *entry = (account.generation(), overall.unwrap_or(f64::NAN));
                }
                if !entry.1.is_nan() {
                    points.push((entry.1, *kind));
                }
            }
        }
        let fitted = ImpactModel::fit(&points);
        state.fitted = Some((key, fitted.clone()));
        lock(&self.models).insert(model.name.clone(), state);
        fitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_recovers_a_known_curve_and_refuses_degenerate_data() {
        // Outcomes drawn deterministically from p = 1/(1+e^-(−4 + 0.08 s)): for
        // each score, 100 outcomes with round(100 p) renewals. The MLE of data
        // matching the curve's expectations exactly is close to the curve.
        let truth = LogisticCurve {
            intercept: -4.0,
            slope: 0.08,
        };
        let mut points = Vec::new();
        for score in (0..=100).step_by(5) {
            let renewals = (truth.probability(f64::from(score)) * 100.0).round() as usize;
            for index in 0..100 {
                points.push((f64::from(score), index < renewals));
            }
        }
        let fitted = fit_logistic(&points).expect("a fit");
        assert!(
            (fitted.intercept - truth.intercept).abs() < 0.05,
            "{fitted:?}"
        );
        assert!((fitted.slope - truth.slope).abs() < 0.001, "{fitted:?}");
        // The score equation holds at the MLE: Σ (y − p) = 0.
        let residual: f64 = points
            .iter()
            .map(|(score, y)| f64::from(u8::from(*y)) - fitted.probability(*score))
            .sum();
        assert!(residual.abs() < 1e-6);

        assert_eq!(fit_logistic(&[(10.0, true), (90.0, true)]), None);
        let separated: Vec<(f64, bool)> = (0..40)
            .map(|index| (f64::from(index), index >= 20))
            .collect();
        assert_eq!(fit_logistic(&separated), None);
    }

    #[test]
    fn fewer_than_thirty_outcomes_use_the_framework_table() {
        let points: Vec<(f64, OutcomeKind)> = (0..29)
            .map(|index| (f64::from(index) * 3.0, OutcomeKind::Renewed))
            .collect();
        let model = ImpactModel::fit(&points);
        assert_eq!(model.source, ImpactSource::FrameworkTable);
        assert_eq!(model.probabilities(90.0), (0.97, 0.45));
        assert!(model.note.unwrap().contains("29"));
    }

    #[test]
    fn thirty_mixed_outcomes_fit_a_model() {
        let points: Vec<(f64, OutcomeKind)> = (0..30)
            .map(|index| {
                let score = f64::from(index) * 3.0;
                let kind = match index % 5 {
                    0 if index < 20 => OutcomeKind::Churned,
                    1 if index < 12 => OutcomeKind::Churned,
                    2 | 3 if index > 15 => OutcomeKind::Expanded,
                    4 if index == 29 => OutcomeKind::Churned,
                    3 if index == 8 => OutcomeKind::Expanded,
                    _ => OutcomeKind::Renewed,
                };
                (score, kind)
            })
            .collect();
        let model = ImpactModel::fit(&points);
        assert_eq!(model.source, ImpactSource::LogisticFit, "{model:?}");
        let (low, _) = model.probabilities(10.0);
        let (high, _) = model.probabilities(90.0);
        assert!(high > low, "renewal rises with engagement here");
    }
}
