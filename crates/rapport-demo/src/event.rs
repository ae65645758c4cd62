//! The activity records of `activities.jsonl` in compact form: contacts and
//! users are indices into the account plan, so an event is a few bytes until
//! `jsonl` renders it.

use chrono::NaiveDate;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MeetingStatus {
    Scheduled,
    Attended,
    NoShow,
    CancelledByUs,
    CancelledByCustomer,
}

impl MeetingStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MeetingStatus::Scheduled => "scheduled",
            MeetingStatus::Attended => "attended",
            MeetingStatus::NoShow => "no_show",
            MeetingStatus::CancelledByUs | MeetingStatus::CancelledByCustomer => "cancelled",
        }
    }

    pub(crate) fn cancelled_by(self) -> Option<&'static str> {
        match self {
            MeetingStatus::CancelledByUs => Some("us"),
            MeetingStatus::CancelledByCustomer => Some("customer"),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MeetingKind {
    CheckIn,
    Qbr,
    Training,
    Exec,
    Workshop,
    Other,
}

impl MeetingKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MeetingKind::CheckIn => "check_in",
            MeetingKind::Qbr => "qbr",
            MeetingKind::Training => "training",
            MeetingKind::Exec => "exec",
            MeetingKind::Workshop => "workshop",
            MeetingKind::Other => "other",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TicketStatus {
    Open,
    Pending,
    Solved,
    Closed,
}

impl TicketStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Open => "open",
            TicketStatus::Pending => "pending",
            TicketStatus::Solved => "solved",
            TicketStatus::Closed => "closed",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Severity {
    Low,
    Normal,
    High,
    Urgent,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Normal => "normal",
            Severity::High => "high",
            Severity::Urgent => "urgent",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sentiment {
    Positive,
    Neutral,
    Negative,
}

impl Sentiment {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Sentiment::Positive => "positive",
            Sentiment::Neutral => "neutral",
            Sentiment::Negative => "negative",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PaymentStatus {
    PaidOnTime,
    PaidLate,
    Overdue,
}

impl PaymentStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::PaidOnTime => "paid_on_time",
            PaymentStatus::PaidLate => "paid_late",
            PaymentStatus::Overdue => "overdue",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CommunityAction {
    Post,
    Reply,
    Event,
}

impl CommunityAction {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CommunityAction::Post => "post",
            CommunityAction::Reply => "reply",
            CommunityAction::Event => "event",
        }
    }
}

/// One activity of one account. Contacts are indices into the plan's
/// contacts (and `u32` masks of them), users indices into its product users.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Event {
    /// Seconds since the Unix epoch.
    pub at: i64,
    pub kind: Kind,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    Email {
        outbound: bool,
        thread: u32,
        subject: u8,
        /// The thread was opened by the customer (its subject is from the inbound list).
        opened_by_customer: bool,
        /// Not the first message of its thread: the subject gets "Re: ".
        reply: bool,
        /// Inbound: the sender.
        contact: u16,
        /// Outbound: the recipients.
        recipients: u32,
    },
    Meeting {
        status: MeetingStatus,
        initiated_by_customer: bool,
        attendees: u32,
        kind: MeetingKind,
        duration_min: u8,
    },
    Call {
        outbound: bool,
        contact: u16,
        duration_min: u8,
        connected: bool,
    },
    Ticket {
        number: u32,
        status: TicketStatus,
        severity: Severity,
        tags: u16,
        sentiment: Sentiment,
        contact: u16,
    },
    Login {
        user: u32,
    },
    Session {
        user: u32,
        duration_min: u16,
    },
    /// `feature` indexes the catalogue, then the uncatalogued keys after it.
    FeatureUsed {
        user: u32,
        feature: u8,
    },
    Training {
        contact: u16,
        attended: bool,
    },
    Nps {
        contact: u16,
        score: u8,
    },
    Csat {
        contact: u16,
        score: u8,
    },
    Payment {
        invoice: u32,
        amount: u64,
        due: NaiveDate,
        status: PaymentStatus,
    },
    Community {
        contact: u16,
        action: CommunityAction,
    },
}

impl Kind {
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Kind::Email { .. } => "email",
            Kind::Meeting { .. } => "meeting",
            Kind::Call { .. } => "call",
            Kind::Ticket { .. } => "ticket",
            Kind::Login { .. } => "login",
            Kind::Session { .. } => "session",
            Kind::FeatureUsed { .. } => "feature_used",
            Kind::Training { .. } => "training",
            Kind::Nps { .. } => "nps",
            Kind::Csat { .. } => "csat",
            Kind::Payment { .. } => "payment",
            Kind::Community { .. } => "community",
        }
    }
}
