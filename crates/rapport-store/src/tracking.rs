//! What the tracking API (Segment-compatible calls, `docs/tracking.md`) hands
//! the store: calls already parsed, validated and mapped by
//! `rapport_ingest::segment`, applied in order in one write transaction by
//! [`crate::Store::record_tracked`], and the write keys that authorise them.
//!
//! The calls are backend-neutral data; what a call does to the store is the
//! same on every backend: a message id is recorded once (a retry is a
//! duplicate, whatever the client), `identify` keeps a product user's traits
//! and makes them a contact of the user's account, `group` creates or updates
//! the account and attaches the user to it, and a mapped event becomes an
//! activity of the user's account, or is held until the user has one.

use chrono::NaiveDate;
use rapport_core::{
    Account, AccountStatus, Activity, ActivityDetail, Contact, ContactRole, Email, ExternalId,
    Tier, Timestamp, UserId,
};

/// One call of the tracking API, ready to apply.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedCall {
    /// The client's `messageId` (or the one Rapport gave an event without
    /// one): recorded once; a second call with it is a duplicate.
    pub message_id: String,
    /// The product user: `userId`, else `anonymousId`.
    pub user: UserId,
    /// When it happened, clock skew corrected.
    pub at: Timestamp,
    /// The account the call names itself (`context.groupId`), which wins
    /// over the user's group.
    pub account_hint: Option<ExternalId>,
    pub action: TrackedAction,
}

/// What a call asks of the store.
#[derive(Debug, Clone, PartialEq)]
pub enum TrackedAction {
    /// `identify`: the user's traits (kept, and written to the contact of the
    /// user's e-mail under the user's account).
    Identify(UserTraits),
    /// `group`: the user belongs to the account (created or updated from the
    /// traits).
    Group {
        account: ExternalId,
        traits: AccountTraits,
    },
    /// `alias`: `previous` and the call's user are the same person; what was
    /// known of `previous` (traits, account, held events) carries over.
    Alias { previous: UserId },
    /// A mapped `track`, `page` or `screen`: an activity of the user's account.
    Activity(ActivityDetail),
    /// A session began (its end makes the session activity).
    SessionStart,
    /// A session ended: a session activity from the user's last start
    /// (nothing when no start is known).
    SessionEnd,
    /// Recorded for de-duplication only: an event the mapping does not use,
    /// or one its `integrations` keep from Rapport.
    Ignored,
}

/// What an `identify` call says of a product user. `None` leaves what is
/// known as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserTraits {
    pub email: Option<Email>,
    pub name: Option<String>,
    pub role: Option<ContactRole>,
    pub title: Option<String>,
    pub department: Option<String>,
}

impl UserTraits {
    /// `self` over `stored`: a trait given now replaces the stored one.
    pub fn over(&self, stored: &UserTraits) -> UserTraits {
        UserTraits {
            email: self.email.clone().or_else(|| stored.email.clone()),
            name: self.name.clone().or_else(|| stored.name.clone()),
            role: self.role.or(stored.role),
            title: self.title.clone().or_else(|| stored.title.clone()),
            department: self
                .department
                .clone()
                .or_else(|| stored.department.clone()),
        }
    }

    /// The contact these traits make under `account` (none without an
    /// e-mail), over the stored contact: what the traits do not say stays.
    pub fn contact(&self, account: &ExternalId, stored: Option<&Contact>) -> Option<Contact> {
        let email = self.email.clone()?;
        let keep = |given: &Option<String>, stored: Option<&String>| {
            given
                .clone()
                .or_else(|| stored.cloned())
                .unwrap_or_default()
        };
        Some(Contact {
            account: account.clone(),
            name: keep(&self.name, stored.map(|contact| &contact.name)),
            role: self
                .role
                .or(stored.map(|contact| contact.role))
                .unwrap_or(ContactRole::User),
            department: keep(&self.department, stored.map(|contact| &contact.department)),
            title: keep(&self.title, stored.map(|contact| &contact.title)),
            email,
        })
    }
}

/// What a `group` call says of an account. `None` leaves the stored value.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountTraits {
    pub name: Option<String>,
    pub tier: Option<Tier>,
    pub arr: Option<f64>,
    pub seats: Option<u32>,
    pub csm: Option<String>,
    pub status: Option<AccountStatus>,
    pub industry: Option<String>,
    pub contract_start: Option<NaiveDate>,
    pub renewal_date: Option<NaiveDate>,
    pub manager: Option<String>,
    /// The tier of an account a `group` call creates without a `tier` trait.
    pub new_account_tier: Tier,
}

impl AccountTraits {
    /// Traits that say nothing (the account is created with its id as its
    /// name when new, left as it is otherwise).
    pub fn none(new_account_tier: Tier) -> Self {
        AccountTraits {
            name: None,
            tier: None,
            arr: None,
            seats: None,
            csm: None,
            status: None,
            industry: None,
            contract_start: None,
            renewal_date: None,
            manager: None,
            new_account_tier,
        }
    }

    /// The account these traits make of the stored one (or of nothing: a new
    /// account named by its id, with no ARR, of `new_account_tier`).
    pub fn apply(&self, id: &ExternalId, stored: Option<&Account>) -> Account {
        let mut account = stored.cloned().unwrap_or_else(|| Account {
            external_id: id.clone(),
            name: id.to_string(),
            tier: self.new_account_tier,
            arr: 0.0,
            seats: None,
            csm: String::new(),
            status: AccountStatus::Active,
            contract_start: None,
            renewal_date: None,
            industry: String::new(),
            manager: None,
            at_risk_override: false,
        });
        if let Some(name) = &self.name {
            account.name = name.clone();
        }
        if let Some(tier) = self.tier {
            account.tier = tier;
        }
        if let Some(arr) = self.arr {
            account.arr = arr;
        }
        if let Some(seats) = self.seats {
            account.seats = Some(seats);
        }
        if let Some(csm) = &self.csm {
            account.csm = csm.clone();
        }
        if let Some(status) = self.status {
            account.status = status;
        }
        if let Some(industry) = &self.industry {
            account.industry = industry.clone();
        }
        if let Some(date) = self.contract_start {
            account.contract_start = Some(date);
        }
        if let Some(date) = self.renewal_date {
            account.renewal_date = Some(date);
        }
        if let Some(manager) = &self.manager {
            account.manager = Some(manager.clone());
        }
        account
    }
}

/// One request's calls: applied in order, under the write key that sent them.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedBatch {
    pub key_id: i64,
    pub received_at: Timestamp,
    pub calls: Vec<TrackedCall>,
}

/// What [`crate::Store::record_tracked`] wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackedWrite {
    /// One outcome per call, per batch.
    pub outcomes: Vec<Vec<TrackedOutcome>>,
    /// The activities stored (held ones released included), with their
    /// sequence numbers: exactly what [`crate::Store::activities_in`] reads
    /// back over the transaction's range, so a follower may apply them
    /// without reading them again.
    pub activities: Vec<(i64, Activity)>,
}

/// What [`crate::Store::record_tracked`] did with one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackedOutcome {
    /// Applied: an activity stored, a user, contact or account written.
    Recorded,
    /// Its message id was recorded before: nothing done again.
    Duplicate,
    /// An activity of a user whose account is not known yet: held, and
    /// stored as soon as a `group` call (or `context.groupId`) names it.
    Held,
    /// Recorded for de-duplication only.
    Ignored,
}

/// A product user as the tracking calls described them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedUser {
    pub user: UserId,
    pub traits: UserTraits,
    /// The account of the user's last `group` call.
    pub account: Option<ExternalId>,
    /// Activities held until the user has an account.
    pub held: u64,
}

/// A write key, as stored: its SHA-256, never the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteKey {
    pub id: i64,
    pub name: String,
    /// The key's first characters, so a person can tell keys apart.
    pub prefix: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}
