//! Daily score snapshots: for one model and one day, every account's overall
//! and component scores as they stood at the end of that day (the first
//! instant of the next, UTC). Kept so a trend or a "dropped more than 10
//! points" alert can be checked against what was shown then, with the model
//! that was in use then. Scores are kept compact: hundredths of a point in a
//! `u16` each (`u16::MAX` for no data), overall first, then the model's
//! components in its order.

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::ExternalId;
use crate::engine::facts::factor_facts;
use crate::engine::{PortfolioState, Window};
use crate::scoring::model::Model;
use crate::scoring::score::summary;
use crate::time::{Period, Timestamp};

/// No data.
const NONE: u16 = u16::MAX;

/// One model's scores of every account at the end of one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DaySnapshot {
    pub model: String,
    pub day: NaiveDate,
    /// The model's component keys, in the order of each account's scores.
    pub components: Vec<String>,
    /// Per account: the overall score, then each component's.
    pub scores: Vec<(ExternalId, Vec<Option<f64>>)>,
}

/// The instant a day's snapshot is taken at: the first instant of the next day.
pub fn snapshot_instant(day: NaiveDate) -> Timestamp {
    Timestamp::start_of_day(day.succ_opt().unwrap_or(day))
}

/// Every account's scores under `model` at the end of `day` (P = 30d).
pub fn take(model: &Model, portfolio: &PortfolioState, day: NaiveDate) -> DaySnapshot {
    let window = Window::new(snapshot_instant(day), Period::DEFAULT);
    let scores = portfolio
        .accounts()
        .filter_map(|account| {
            let record = account.account()?;
            let figures = summary(model, &factor_facts(portfolio, account, window));
            let mut values = Vec::with_capacity(1 + figures.components.len());
            values.push(figures.overall);
            values.extend(figures.components);
            Some((
                record.external_id.clone(),
                values.into_iter().map(round).collect(),
            ))
        })
        .collect();
    DaySnapshot {
        model: model.name.clone(),
        day,
        components: model
            .components
            .iter()
            .map(|component| component.key.clone())
            .collect(),
        scores,
    }
}

/// A score as it is kept: to the hundredth of a point.
fn round(score: Option<f64>) -> Option<f64> {
    score.map(|score| (score * 100.0).round() / 100.0)
}

/// Packs scores (0–100) into two bytes each, little-endian.
pub fn encode(scores: &[Option<f64>]) -> Vec<u8> {
    scores
        .iter()
        .flat_map(|score| {
            let packed = score.map_or(NONE, |score| {
                (score.clamp(0.0, 100.0) * 100.0).round() as u16
            });
            packed.to_le_bytes()
        })
        .collect()
}

/// Unpacks [`encode`]'s bytes; a trailing odd byte is ignored.
pub fn decode(bytes: &[u8]) -> Vec<Option<f64>> {
    bytes
        .chunks_exact(2)
        .map(|pair| {
            let packed = u16::from_le_bytes([pair[0], pair[1]]);
            (packed != NONE).then(|| f64::from(packed) / 100.0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_pack_into_two_bytes_each_to_the_hundredth() {
        let scores = [Some(67.456), None, Some(0.0), Some(100.0)];
        let bytes = encode(&scores);
        assert_eq!(bytes.len(), 8);
        assert_eq!(decode(&bytes), [Some(67.46), None, Some(0.0), Some(100.0)]);
    }

    #[test]
    fn a_day_is_scored_at_the_first_instant_of_the_next() {
        let day = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
        assert_eq!(snapshot_instant(day).to_rfc3339(), "2026-03-01T00:00:00Z");
    }
}
