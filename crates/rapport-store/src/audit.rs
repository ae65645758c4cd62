//! The audit log, as stored: every change a person makes, written by the
//! store in the transaction of the change itself, so a change is never
//! without its entry nor an entry without its change (docs/security.md).
//!
//! A write a person makes takes an [`AuditDraft`] (who, when, what they
//! mean to do); the store completes it from the records it reads and writes
//! in that transaction (the subject's id, the account, the record before
//! and after as JSON) and appends the [`AuditEntry`]. The JSON views are made
//! here, in one place, and leave every secret out: token and share-link
//! hashes, password hashes, webhook signing secrets.

use rapport_core::ExternalId;
use rapport_core::access::Person;
use rapport_core::time::Timestamp;
use serde_json::{Value, json};

/// What a person did, by name (`goal.create`); the part before the dot is
/// the kind of subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    GoalCreate,
    GoalReplace,
    GoalDelete,
    MetricEdit,
    MetricDelete,
    MeasurementRecord,
    OverrideSet,
    OverrideRemove,
    AlertAcknowledge,
    AlertResolve,
    AlertSnooze,
    MeetingNoShow,
    MeetingAttended,
    WebhookAdd,
    WebhookRemove,
    UserCreate,
    UserRole,
    UserDisable,
    UserEnable,
    UserPassword,
    TokenCreate,
    TokenRevoke,
    ShareLinkCreate,
    ShareLinkRevoke,
    WriteKeyCreate,
    WriteKeyRevoke,
    TaskCreate,
    TaskComplete,
    TaskDismiss,
    /// A model version saved from the model settings.
    ModelSettingsChange,
    /// A person watches an account's alerts (or changes the priority).
    AlertWatch,
    /// A person stops watching an account's alerts.
    AlertUnwatch,
}

impl AuditAction {
    pub const ALL: [AuditAction; 32] = [
        AuditAction::GoalCreate,
        AuditAction::GoalReplace,
        AuditAction::GoalDelete,
        AuditAction::MetricEdit,
        AuditAction::MetricDelete,
        AuditAction::MeasurementRecord,
        AuditAction::OverrideSet,
        AuditAction::OverrideRemove,
        AuditAction::AlertAcknowledge,
        AuditAction::AlertResolve,
        AuditAction::AlertSnooze,
        AuditAction::MeetingNoShow,
        AuditAction::MeetingAttended,
        AuditAction::WebhookAdd,
        AuditAction::WebhookRemove,
        AuditAction::UserCreate,
        AuditAction::UserRole,
        AuditAction::UserDisable,
        AuditAction::UserEnable,
        AuditAction::UserPassword,
        AuditAction::TokenCreate,
        AuditAction::TokenRevoke,
        AuditAction::ShareLinkCreate,
        AuditAction::ShareLinkRevoke,
        AuditAction::WriteKeyCreate,
        AuditAction::WriteKeyRevoke,
        AuditAction::TaskCreate,
        AuditAction::TaskComplete,
        AuditAction::TaskDismiss,
        AuditAction::ModelSettingsChange,
        AuditAction::AlertWatch,
        AuditAction::AlertUnwatch,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::GoalCreate => "goal.create",
            AuditAction::GoalReplace => "goal.replace",
            AuditAction::GoalDelete => "goal.delete",
            AuditAction::MetricEdit => "metric.edit",
            AuditAction::MetricDelete => "metric.delete",
            AuditAction::MeasurementRecord => "measurement.record",
            AuditAction::OverrideSet => "override.set",
            AuditAction::OverrideRemove => "override.remove",
            AuditAction::AlertAcknowledge => "alert.acknowledge",
            AuditAction::AlertResolve => "alert.resolve",
            AuditAction::AlertSnooze => "alert.snooze",
            AuditAction::MeetingNoShow => "meeting.no_show",
            AuditAction::MeetingAttended => "meeting.attended",
            AuditAction::WebhookAdd => "webhook.add",
            AuditAction::WebhookRemove => "webhook.remove",
            AuditAction::UserCreate => "user.create",
            AuditAction::UserRole => "user.role",
            AuditAction::UserDisable => "user.disable",
            AuditAction::UserEnable => "user.enable",
            AuditAction::UserPassword => "user.password",
            AuditAction::TokenCreate => "token.create",
            AuditAction::TokenRevoke => "token.revoke",
            AuditAction::ShareLinkCreate => "share_link.create",
            AuditAction::ShareLinkRevoke => "share_link.revoke",
            AuditAction::WriteKeyCreate => "write_key.create",
            AuditAction::WriteKeyRevoke => "write_key.revoke",
            AuditAction::TaskCreate => "task.create",
            AuditAction::TaskComplete => "task.complete",
            AuditAction::TaskDismiss => "task.dismiss",
            AuditAction::ModelSettingsChange => "model_settings.change",
            AuditAction::AlertWatch => "alert_watch.set",
            AuditAction::AlertUnwatch => "alert_watch.remove",
        }
    }

    /// The kind of record the action changes (`goal`, `metric`, `alert`…).
    pub fn subject_kind(self) -> &'static str {
        let name = self.as_str();
        name.split_once('.').map_or(name, |(kind, _)| kind)
    }

    pub fn parse(text: &str) -> Option<AuditAction> {
        AuditAction::ALL
            .into_iter()
            .find(|action| action.as_str() == text.trim())
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// What a write a person makes tells the store about it; the store
/// completes the entry from the records of the transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditDraft {
    /// The user's id; 0 for the command line's operator.
    pub actor_id: i64,
    pub actor_name: String,
    pub at: Timestamp,
    pub action: AuditAction,
    /// The subject's id when it is not the record's own (a metric inside
    /// its goal, a meeting's occurrence).
    pub subject_id: Option<String>,
    /// The record before, when the store cannot read it itself (a meeting's
    /// record in force, which the engine holds).
    pub before: Option<Value>,
}

impl AuditDraft {
    pub fn new(actor: &Person, action: AuditAction, at: Timestamp) -> AuditDraft {
        AuditDraft {
            actor_id: actor.id,
            actor_name: actor.name.clone(),
            at,
            action,
            subject_id: None,
            before: None,
        }
    }

    /// The draft naming its subject (`GOAL-m1`) rather than the record's id.
    pub fn subject(mut self, id: impl Into<String>) -> AuditDraft {
        self.subject_id = Some(id.into());
        self
    }

    /// The draft with the record as it was, when the store cannot read it.
    pub fn before(mut self, before: Value) -> AuditDraft {
        self.before = Some(before);
        self
    }
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Assigned in order of commit, never reused.
    pub id: i64,
    pub at: Timestamp,
    /// The user's id; 0 for the command line's operator.
    pub actor_id: i64,
    pub actor_name: String,
    /// `goal.create`, `token.revoke`… ([`AuditAction::as_str`]).
    pub action: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub account: Option<ExternalId>,
    /// The record as it was (`None` for a creation).
    pub before: Option<Value>,
    /// The record as it became (`None` for a deletion).
    pub after: Option<Value>,
}

/// Which entries [`crate::Store::audit_entries`] reads: each filter when
/// given; newest first, at most `limit`, only ids below `before_id` (the
/// next page starts below the last id of the previous one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub account: Option<ExternalId>,
    pub actor_id: Option<i64>,
    /// An action (`goal.create`) or a kind of subject (`goal`: every goal action).
    pub action: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub before_id: Option<i64>,
    pub limit: usize,
}

// The records' views: what an entry shows of each kind of record.

/// A goal with its metrics and histories, as the API shows it.
pub fn goal_view(goal: &rapport_core::success::Goal) -> Value {
    serde_json::to_value(goal).unwrap_or(Value::Null)
}

/// An activity a person recorded (a meeting's no-show or attendance): its
/// fields as the import contract writes them, with its instant, account and
/// source id beside them.
pub fn activity_view(activity: &rapport_core::Activity) -> Value {
    let mut view = serde_json::to_value(&activity.detail).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut view {
        fields.insert("sourceId".into(), json!(activity.source_id));
        fields.insert("account".into(), json!(activity.account.as_str()));
        fields.insert("at".into(), json!(activity.at));
    }
    view
}

/// A webhook subscription: its URL and filters, never its signing secret
/// (which the type does not serialize).
pub fn webhook_view(subscription: &rapport_core::alerts::delivery::Subscription) -> Value {
    serde_json::to_value(subscription).unwrap_or(Value::Null)
}

/// A user: whether a password is set, never its hash.
pub fn user_view(user: &crate::identity::User) -> Value {
    json!({
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "role": user.role.as_str(),
        "createdAt": user.created_at,
        "disabledAt": user.disabled_at,
        "hasPassword": user.password_hash.is_some(),
    })
}

/// An API token: its prefix, never the token nor its hash.
pub fn token_view(token: &crate::identity::ApiToken) -> Value {
    json!({
        "id": token.id,
        "userId": token.user_id,
        "name": token.name,
        "prefix": token.prefix,
        "createdAt": token.created_at,
        "expiresAt": token.expires_at,
        "revokedAt": token.revoked_at,
        "singleUse": token.single_use,
    })
}

/// An ingest write key: its prefix, never the key nor its hash.
pub fn write_key_view(key: &crate::tracking::WriteKey) -> Value {
    json!({
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "createdAt": key.created_at,
        "revokedAt": key.revoked_at,
    })
}

/// A share link: never its token nor the token's hash.
pub fn share_link_view(link: &crate::sharing::ShareLink) -> Value {
    json!({
        "id": link.id,
        "account": link.account.as_str(),
        "asOf": link.as_of,
        "createdBy": link.created_by_name,
        "createdAt": link.created_at,
        "expiresAt": link.expires_at,
        "revokedAt": link.revoked_at,
    })
}

/// A task, as the API shows it.
pub fn task_view(task: &rapport_core::tasks::Task) -> Value {
    serde_json::to_value(task).unwrap_or(Value::Null)
}
