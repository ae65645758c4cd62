//! Activities: every interaction the engine scores, one type per row of the import
//! contract (`definitions.md` §2). An [`Activity`] is already validated; raw JSON
//! becomes one in `rapport-ingest`.

use serde::{Deserialize, Serialize};

use crate::domain::{Email, ExternalId, FeatureKey, UserId, string_enum};
use crate::time::Timestamp;

string_enum!(Direction, "direction" { Inbound => "inbound", Outbound => "outbound" });
string_enum!(
    /// Who did something: our team (`us`) or the customer.
    Party, "party" { Us => "us", Customer => "customer" }
);
string_enum!(
    MeetingStatus, "status" {
        Scheduled => "scheduled", Attended => "attended", NoShow => "no_show", Cancelled => "cancelled",
    }
);
string_enum!(
    MeetingKind, "kind" {
        CheckIn => "check_in", Qbr => "qbr", Training => "training", Exec => "exec",
        Workshop => "workshop", Other => "other",
    }
);
string_enum!(
    TicketStatus, "status" { Open => "open", Pending => "pending", Solved => "solved", Closed => "closed" }
);
string_enum!(
    Severity, "severity" { Low => "low", Normal => "normal", High => "high", Urgent => "urgent" }
);
string_enum!(
    Sentiment, "sentiment" { Positive => "positive", Neutral => "neutral", Negative => "negative" }
);
string_enum!(TrainingStatus, "status" { Attended => "attended", NoShow => "no_show" });
string_enum!(
    PaymentStatus, "status" {
        PaidOnTime => "paid_on_time", PaidLate => "paid_late", Overdue => "overdue",
    }
);
string_enum!(CommunityAction, "action" { Post => "post", Reply => "reply", Event => "event" });
string_enum!(
    /// The `type` of an activity.
    ActivityKind, "type" {
        Email => "email", Meeting => "meeting", Call => "call", Ticket => "ticket",
        Login => "login", Session => "session", FeatureUsed => "feature_used",
        Training => "training", Nps => "nps", Csat => "csat", Payment => "payment",
        Community => "community",
    }
);

/// One interaction with an account at an instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// The source system's unique id; `None` when the source gave none, in which
    /// case [`Activity::dedup_key`] falls back to a hash of the content.
    pub source_id: Option<String>,
    pub account: ExternalId,
    pub at: Timestamp,
    pub detail: ActivityDetail,
}

/// The type-specific fields of an activity. Serialized with a `type` tag and the
/// field names of the import contract, so the stored form reads like the input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ActivityDetail {
    Email {
        direction: Direction,
        thread: String,
        from: Email,
        #[serde(default)]
        to: Vec<Email>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<String>,
    },
    Meeting {
        status: MeetingStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cancelled_by: Option<Party>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        initiated_by: Option<Party>,
        #[serde(default)]
        attendees: Vec<Email>,
        kind: MeetingKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_min: Option<f64>,
        /// The calendar occurrence this record reports on (its `UID` and
        /// original start, `UID_YYYYMMDDTHHMMSSZ`): a calendar import writes a
        /// new record when an occurrence moves, is cancelled or is held, and of
        /// an account's records naming the same occurrence the engine keeps the
        /// last one stored, except that a no-show (a person's word, recorded
        /// afterwards) is never replaced by the calendar's view. Not part of
        /// the JSONL contract.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        occurrence: Option<String>,
        /// Who recorded a no-show, for the record.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recorded_by: Option<String>,
    },
    Call {
        direction: Direction,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contact: Option<Email>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_min: Option<f64>,
        connected: bool,
    },
    Ticket {
        ticket: String,
        status: TicketStatus,
        severity: Severity,
        #[serde(default)]
        tags: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sentiment: Option<Sentiment>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contact: Option<Email>,
    },
    Login {
        user: UserId,
    },
    Session {
        user: UserId,
        duration_min: f64,
    },
    FeatureUsed {
        user: UserId,
        feature: FeatureKey,
    },
    Training {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contact: Option<Email>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user: Option<UserId>,
        status: TrainingStatus,
    },
    Nps {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contact: Option<Email>,
        score: u8,
    },
    Csat {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contact: Option<Email>,
        score: u8,
    },
    Payment {
        invoice: String,
        amount: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<chrono::NaiveDate>,
        status: PaymentStatus,
    },
    Community {
        contact: Email,
        action: CommunityAction,
    },
}

impl ActivityDetail {
    pub fn kind(&self) -> ActivityKind {
        match self {
            ActivityDetail::Email { .. } => ActivityKind::Email,
            ActivityDetail::Meeting { .. } => ActivityKind::Meeting,
            ActivityDetail::Call { .. } => ActivityKind::Call,
            ActivityDetail::Ticket { .. } => ActivityKind::Ticket,
            ActivityDetail::Login { .. } => ActivityKind::Login,
            ActivityDetail::Session { .. } => ActivityKind::Session,
            ActivityDetail::FeatureUsed { .. } => ActivityKind::FeatureUsed,
            ActivityDetail::Training { .. } => ActivityKind::Training,
            ActivityDetail::Nps { .. } => ActivityKind::Nps,
            ActivityDetail::Csat { .. } => ActivityKind::Csat,
            ActivityDetail::Payment { .. } => ActivityKind::Payment,
            ActivityDetail::Community { .. } => ActivityKind::Community,
        }
    }
}

impl Activity {
    /// The key that makes imports idempotent: the source id when there is one,
    /// otherwise a hash of the whole record, so re-importing an id-less file
    /// stores nothing twice either.
    pub fn dedup_key(&self) -> String {
        match &self.source_id {
            Some(id) => id.clone(),
            None => {
                let body = serde_json::to_string(&self.detail).unwrap_or_default();
                let mut hasher = sha1_smol::Sha1::new();
                hasher.update(self.account.as_str().as_bytes());
                hasher.update(b"\0");
                hasher.update(&self.at.millis().to_le_bytes());
                hasher.update(body.as_bytes());
                format!("sha1:{}", hasher.digest())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(user: &str) -> Activity {
        Activity {
            source_id: None,
            account: ExternalId::parse("acc-1").unwrap(),
            at: Timestamp::parse_rfc3339("2026-01-05T10:00:00Z").unwrap(),
            detail: ActivityDetail::Login {
                user: UserId::parse(user).unwrap(),
            },
        }
    }

    #[test]
    fn content_hash_identifies_id_less_records() {
        assert_eq!(login("ana").dedup_key(), login("ana").dedup_key());
        assert_ne!(login("ana").dedup_key(), login("bo").dedup_key());
        let mut with_id = login("ana");
        with_id.source_id = Some("evt-1".into());
        assert_eq!(with_id.dedup_key(), "evt-1");
    }

    #[test]
    fn stored_form_round_trips() {
        let detail = ActivityDetail::Meeting {
            status: MeetingStatus::Cancelled,
            cancelled_by: Some(Party::Customer),
            initiated_by: Some(Party::Us),
            attendees: vec![],
            kind: MeetingKind::Qbr,
            duration_min: Some(60.0),
            occurrence: None,
            recorded_by: None,
        };
        let text = serde_json::to_string(&detail).unwrap();
        assert!(
            text.starts_with(r#"{"type":"meeting","status":"cancelled""#),
            "{text}"
        );
        assert_eq!(
            serde_json::from_str::<ActivityDetail>(&text).unwrap(),
            detail
        );
    }
}
