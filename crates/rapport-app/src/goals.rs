//! Success goals (PRD-069): create, replace and delete goals, edit or remove a
//! metric, record a measurement. Each change is one read-modify-write
//! transaction on the account's goals (concurrent writers wait, none is lost),
//! then the engine follows it and the account's alert rules are evaluated.

use rapport_core::Timestamp;
use rapport_core::access::Person;
use rapport_core::success::edit::{
    GoalRequest, MetricRequest, parse_goal, plausible, record_measurement, remove_metric,
    replace_goal, replace_metric, validate_goal, validate_metric_request,
};
use rapport_core::success::{Goal, Measurement};
use rapport_store::GoalWrite;
use rapport_store::audit::{AuditAction, AuditDraft};

use crate::{App, AppError, AppResult};

impl App {
    /// One account's goals, in creation order.
    pub fn goals(&self, reference: &str) -> AppResult<Vec<Goal>> {
        let account = self.resolve(reference)?;
        Ok(self
            .store
            .goals(Some(&account.external_id))?
            .into_iter()
            .map(|(_, goal)| goal)
            .collect())
    }

    /// Runs `edit` on the account's goals as stored, inside one write
    /// transaction, audited as `audit` (its actor and instant are `actor`'s
    /// and `now`); an error from `edit` writes nothing. Then the engine
    /// follows and the account's alerts are evaluated again.
    fn change_goals(
        &self,
        actor: &Person,
        reference: &str,
        now: Timestamp,
        audit: AuditDraft,
        mut edit: impl FnMut(&[Goal]) -> AppResult<Vec<GoalWrite>>,
    ) -> AppResult<Vec<Goal>> {
        let account = self.account_to_change(actor, reference)?;
        // A goal feeds the success score and, through it, health: the engine
        // is needed to evaluate the account's alerts after the change.
        self.engine()?;
        let mut refused = None;
        let written = self.store.edit_goals(
            &account.external_id,
            &audit,
            &mut |goals| match edit(goals) {
                Ok(writes) => Some(writes),
                Err(error) => {
                    refused = Some(error);
                    None
                }
            },
        )?;
        if let Some(error) = refused {
            return Err(error);
        }
        self.after_write(now, std::slice::from_ref(&account.external_id))?;
        Ok(written.unwrap_or_default())
    }

    /// Adds a goal (its ids are assigned and never reused); `goal.id` is
    /// ignored. A metric's current value becomes its measurement at its
    /// `measuredAt`, else at `now`.
    pub fn create_goal(
        &self,
        actor: &Person,
        reference: &str,
        goal: GoalRequest,
        now: Timestamp,
    ) -> AppResult<Goal> {
        let mut goal = goal.into_goal(now);
        validate_goal(&goal)?;
        goal.id = String::new();
        let audit = AuditDraft::new(actor, AuditAction::GoalCreate, now);
        let written = self.change_goals(actor, reference, now, audit, |_| {
            Ok(vec![GoalWrite::Put(goal.clone())])
        })?;
        the_goal(written)
    }

    /// Replaces a goal from a request body; metrics keep their histories, and
    /// a current value in the body is added to its metric's history.
    pub fn replace_goal(
        &self,
        actor: &Person,
        reference: &str,
        goal_id: &str,
        body: &[u8],
        now: Timestamp,
    ) -> AppResult<Goal> {
        let audit = AuditDraft::new(actor, AuditAction::GoalReplace, now);
        let written = self.change_goals(actor, reference, now, audit, |goals| {
            let existing = find_goal(goals, goal_id)?;
            let incoming = parse_goal(body, existing.start_date)?;
            let goal = replace_goal(existing, incoming, now);
            validate_goal(&goal)?;
            Ok(vec![GoalWrite::Put(goal)])
        })?;
        the_goal(written)
    }

    /// Deletes a goal; its id is never handed out again, so a retried DELETE
    /// is a 404, never the deletion of a newer goal.
    pub fn delete_goal(
        &self,
        actor: &Person,
        reference: &str,
        goal_id: &str,
        now: Timestamp,
    ) -> AppResult<()> {
        let audit = AuditDraft::new(actor, AuditAction::GoalDelete, now);
        self.change_goals(actor, reference, now, audit, |goals| {
            find_goal(goals, goal_id)?;
            Ok(vec![GoalWrite::Delete(goal_id.to_string())])
        })
        .map(|_| ())
    }

    /// Records a metric's new value (kept in its history with its instant).
    pub fn record_measurement(
        &self,
        actor: &Person,
        reference: &str,
        metric_id: &str,
        measurement: Measurement,
        now: Timestamp,
    ) -> AppResult<Goal> {
        plausible("value".into(), measurement.value)?;
        let audit = AuditDraft::new(actor, AuditAction::MeasurementRecord, now).subject(metric_id);
        let written = self.change_goals(actor, reference, now, audit, |goals| {
            let mut goals = goals.to_vec();
            let index = record_measurement(&mut goals, metric_id, measurement.clone())
                .ok_or_else(|| no_metric(metric_id))?;
            Ok(vec![GoalWrite::Put(goals.swap_remove(index))])
        })?;
        the_goal(written)
    }

    /// Replaces a metric's definition; its history is kept unless the new
    /// definition brings one, and a current value in the body is added to it.
    pub fn edit_metric(
        &self,
        actor: &Person,
        reference: &str,
        metric_id: &str,
        metric: MetricRequest,
        now: Timestamp,
    ) -> AppResult<Goal> {
        validate_metric_request(&metric, "")?;
        let audit = AuditDraft::new(actor, AuditAction::MetricEdit, now).subject(metric_id);
        let written = self.change_goals(actor, reference, now, audit, |goals| {
            let mut goals = goals.to_vec();
            let (goal, existing) = goals
                .iter_mut()
                .find_map(|goal| {
                    let index = goal.metrics.iter().position(|m| m.id == metric_id)?;
                    Some((goal, index))
                })
                .ok_or_else(|| no_metric(metric_id))?;
            goal.metrics[existing] = replace_metric(&goal.metrics[existing], metric.clone(), now);
            Ok(vec![GoalWrite::Put(goal.clone())])
        })?;
        the_goal(written)
    }

    /// Removes a metric from its goal (its id is never reused).
    pub fn delete_metric(
        &self,
        actor: &Person,
        reference: &str,
        metric_id: &str,
        now: Timestamp,
    ) -> AppResult<()> {
        let audit = AuditDraft::new(actor, AuditAction::MetricDelete, now).subject(metric_id);
        self.change_goals(actor, reference, now, audit, |goals| {
            let mut goals = goals.to_vec();
            let index = remove_metric(&mut goals, metric_id).ok_or_else(|| no_metric(metric_id))?;
            Ok(vec![GoalWrite::Put(goals.swap_remove(index))])
        })
        .map(|_| ())
    }
}

/// The one goal a change wrote.
fn the_goal(mut written: Vec<Goal>) -> AppResult<Goal> {
    written
        .pop()
        .ok_or_else(|| AppError::Conflict("the goal was not written".into()))
}

fn find_goal<'a>(goals: &'a [Goal], goal_id: &str) -> AppResult<&'a Goal> {
    goals
        .iter()
        .find(|goal| goal.id == goal_id)
        .ok_or_else(|| AppError::NotFound(format!("no goal with id `{goal_id}`")))
}

fn no_metric(metric_id: &str) -> AppError {
    AppError::NotFound(format!("no metric with id `{metric_id}`"))
}
