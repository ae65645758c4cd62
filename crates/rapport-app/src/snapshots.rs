//! Daily score snapshots: every account's end-of-day scores under every model
//! the deployment scores with (the default engagement model, any per-tier
//! ones, the health model), one packed row per model and day.

use chrono::NaiveDate;
use rapport_core::Timestamp;
use rapport_core::portfolio::snapshot::{snapshot_instant, take};
use rapport_core::scoring::model::Model;
use rapport_store::WriteOutcome;
use serde::Serialize;

use crate::{App, AppError, AppResult};

/// What a snapshot run wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SnapshotRun {
    pub written: usize,
    pub unchanged: usize,
    /// Days skipped because the store held their snapshot already.
    pub kept: usize,
}

impl App {
    /// The models snapshots are taken of, each once.
    fn snapshot_models(set: &crate::models::ModelSet) -> Vec<&Model> {
        let mut models: Vec<&Model> = vec![&set.engagement.default, &set.health];
        for (_, model) in &set.engagement.by_tier {
            if !models.iter().any(|known| known.name == model.name) {
                models.push(model);
            }
        }
        models
    }

    /// Takes the snapshots of the days `first..=last` (each must be over at
    /// `now`: a snapshot is the end-of-day score). `replace` recomputes days
    /// already stored (`rapport snapshot`); otherwise they are kept (what
    /// `serve` does every hour for yesterday).
    pub fn take_snapshots(
        &self,
        first: NaiveDate,
        last: NaiveDate,
        replace: bool,
        now: Timestamp,
    ) -> AppResult<SnapshotRun> {
        if snapshot_instant(last) > now {
            return Err(AppError::invalid(
                "day",
                format!("{last} is not over yet: a snapshot is the score at the end of the day"),
            ));
        }
        let set = self.models();
        let engine = self.read()?;
        let mut run = SnapshotRun::default();
        for day in first.iter_days().take_while(|day| *day <= last) {
            for model in Self::snapshot_models(&set) {
                if !replace && !self.store.snapshots(&model.name, day, day)?.is_empty() {
                    run.kept += 1;
                    continue;
                }
                match self.store.put_snapshot(&take(model, &engine.state, day))? {
                    WriteOutcome::Unchanged => run.unchanged += 1,
                    WriteOutcome::Inserted | WriteOutcome::Updated => run.written += 1,
                }
            }
        }
        Ok(run)
    }
}
