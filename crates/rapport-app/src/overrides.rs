//! Manual score overrides: set or replace, remove, and read at any instant,
//! with their append-only audit trail. Each write is one transaction that reads
//! the trail as stored and appends the event made from it, so concurrent
//! writers chain (`old` = the previous event's `new`) in commit order.

use rapport_core::access::Person;
use rapport_core::scoring::overrides::{
    AccountOverrides, OverrideEvent, OverrideRequest, ScoreOverride, account_overrides,
    remove_override, set_override, validate_model_name,
};
use rapport_core::{Account, Timestamp};
use serde::Serialize;

use rapport_store::audit::{AuditAction, AuditDraft};

use crate::{App, AppError, AppResult};

/// What setting an override answers: the override now in force and the event written.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverrideSet {
    #[serde(rename = "override")]
    pub override_: ScoreOverride,
    pub event: OverrideEvent,
}

impl App {
    /// Whether `model` names a score that may be overridden: a shipped model,
    /// or one this deployment scores with (default, per tier, health).
    pub fn check_override_model(&self, model: &str) -> AppResult<()> {
        let models = self.models();
        let configured: Vec<&str> = std::iter::once(&models.engagement.default)
            .chain(models.engagement.by_tier.iter().map(|(_, model)| model))
            .chain(std::iter::once(&models.health))
            .map(|model| model.name.as_str())
            .collect();
        Ok(validate_model_name(model, &configured)?)
    }

    /// Appends the event `decide` makes from the account's trail as stored,
    /// in one write transaction (concurrent writers chain); `Ok(None)` when
    /// `decide` wrote nothing. Then the engine follows.
    fn append_override(
        &self,
        account: &Account,
        now: Timestamp,
        audit: AuditDraft,
        mut decide: impl FnMut(&[OverrideEvent]) -> AppResult<Option<OverrideEvent>>,
    ) -> AppResult<Option<OverrideEvent>> {
        let mut refused = None;
        let event =
            self.store
                .append_override_event(&account.external_id, &audit, &mut |trail| match decide(
                    trail,
                ) {
                    Ok(event) => event,
                    Err(error) => {
                        refused = Some(error);
                        None
                    }
                })?;
        if let Some(error) = refused {
            return Err(error);
        }
        if event.is_some() {
            self.after_write(now, &[])?;
        }
        Ok(event)
    }

    /// Sets (or replaces) the override of `model`'s score for an account;
    /// `actor` is its author.
    pub fn set_override(
        &self,
        actor: &Person,
        reference: &str,
        model: &str,
        request: &OverrideRequest,
        now: Timestamp,
    ) -> AppResult<OverrideSet> {
        self.check_override_model(model)?;
        let account = self.account_to_change(actor, reference)?;
        let audit = AuditDraft::new(actor, AuditAction::OverrideSet, now);
        let event = self
            .append_override(&account, now, audit, |trail| {
                Ok(Some(set_override(trail, model, request, &actor.name, now)?))
            })?
            .ok_or_else(|| AppError::Conflict("the override was not written".into()))?;
        let override_ = event
            .override_set()
            .ok_or_else(|| AppError::Conflict("a set event without its override".into()))?;
        Ok(OverrideSet { override_, event })
    }

    /// Removes the override of `model` in force; `NotFound` when none is.
    pub fn remove_override(
        &self,
        actor: &Person,
        reference: &str,
        model: &str,
        reason: &str,
        now: Timestamp,
    ) -> AppResult<OverrideEvent> {
        self.check_override_model(model)?;
        let account = self.account_to_change(actor, reference)?;
        let audit = AuditDraft::new(actor, AuditAction::OverrideRemove, now);
        self.append_override(&account, now, audit, |trail| {
            Ok(remove_override(trail, model, &actor.name, reason, now)?)
        })?
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "no override of `{model}` is in force for {} ({})",
                account.name, account.external_id
            ))
        })
    }

    /// An account's overrides at `as_of`: in force, expired, and the trail.
    pub fn overrides(&self, reference: &str, as_of: Timestamp) -> AppResult<AccountOverrides> {
        let account = self.resolve(reference)?;
        let events = self.override_events(&account.external_id)?;
        Ok(account_overrides(&account, &events, as_of))
    }
}
