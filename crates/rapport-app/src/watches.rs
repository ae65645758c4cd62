//! Alert watches (the account page's "Set alerts"): a person follows an
//! account's alerts at or above a priority, and their day lists them. Set,
//! changed and removed by the person themself, audited.

use rapport_core::Timestamp;
use rapport_core::access::Person;
use rapport_core::engagement::breakdown::AlertPriority;
use rapport_store::audit::{AuditAction, AuditDraft};
use serde::Serialize;

use crate::{App, AppError, AppResult};

/// A person's watch of an account's alerts.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WatchView {
    pub account: String,
    pub customer_id: String,
    pub account_name: String,
    /// Alerts at or above this priority are listed.
    pub min_priority: AlertPriority,
}

/// `critical`, `high` or `medium` (a refusal names `minPriority`).
pub fn parse_priority(text: &str) -> AppResult<AlertPriority> {
    serde_json::from_value(serde_json::Value::String(text.trim().to_string())).map_err(|_| {
        AppError::invalid(
            "minPriority",
            format!("`{}` is not critical, high or medium", text.trim()),
        )
    })
}

impl App {
    /// `person` watches the alerts of an account they see at or above
    /// `min_priority` (`None`: stops watching it); their watch as it now is.
    pub fn watch_alerts(
        &self,
        person: &Person,
        reference: &str,
        min_priority: Option<AlertPriority>,
        now: Timestamp,
    ) -> AppResult<Option<WatchView>> {
        if person.id <= 0 {
            return Err(AppError::invalid(
                "as",
                "a watch is a user's: act --as a user",
            ));
        }
        let account = self.visible_account(person, reference)?;
        let action = match min_priority {
            Some(_) => AuditAction::AlertWatch,
            None => AuditAction::AlertUnwatch,
        };
        self.store.set_alert_watch(
            person.id,
            &account.external_id,
            min_priority,
            now,
            &AuditDraft::new(person, action, now),
        )?;
        Ok(min_priority.map(|min_priority| WatchView {
            account: account.external_id.to_string(),
            customer_id: account.customer_id().to_string(),
            account_name: account.name.clone(),
            min_priority,
        }))
    }

    /// The accounts `person` watches (those they still see).
    pub fn alert_watches(&self, person: &Person) -> AppResult<Vec<WatchView>> {
        if person.id <= 0 {
            return Ok(Vec::new());
        }
        let watches = self.store.alert_watches(person.id)?;
        let engine = self.read()?;
        Ok(watches
            .into_iter()
            .filter_map(|(account, min_priority)| {
                let record = engine.state.account(account.as_str())?.account()?;
                person.sees(record).then(|| WatchView {
                    account: account.to_string(),
                    customer_id: record.customer_id().to_string(),
                    account_name: record.name.clone(),
                    min_priority,
                })
            })
            .collect())
    }
}
