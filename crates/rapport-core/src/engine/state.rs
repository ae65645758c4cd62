//! Per-account columns, updated incrementally. Activities usually arrive in time
//! order, so an insert is an append; an out-of-order one is inserted at its place.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::interner::Interner;
use crate::activity::{
    CommunityAction, Direction, MeetingKind, MeetingStatus, Party, PaymentStatus, Sentiment,
    Severity, TicketStatus, TrainingStatus,
};
use crate::domain::{
    Account, AccountMatch, Contact, ContactRole, CustomerId, ExternalId, Feature, Outcome,
    OutcomeKind, match_name,
};
use crate::success::Goal;
use crate::{Activity, ActivityDetail, Timestamp};

/// Goals in a checkpoint: their JSON text (their serde shape skips and
/// flattens fields, which a compact binary format cannot read back).
mod goals_as_json {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::success::Goal;

    pub fn serialize<S: Serializer>(goals: &[Goal], serializer: S) -> Result<S::Ok, S::Error> {
        let text = serde_json::to_string(goals).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Goal>, D::Error> {
        let text = String::deserialize(deserializer)?;
        serde_json::from_str(&text).map_err(serde::de::Error::custom)
    }
}

/// The ticket tag that marks a feature request (root-cause evidence).
pub const FEATURE_REQUEST_TAG: &str = "feature_request";

/// What a customer raises that the health framework's lagging indicators look
/// for in the only text the contract carries: inbound e-mail subjects and
/// ticket tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    Budget,
    Competition,
    Escalation,
}

/// The whole words (of a subject or a tag, split at anything not a letter or
/// digit, ignoring case) that name each topic. Mentions are found when an
/// activity is added, so a change here needs a new checkpoint `FORMAT`. A
/// question about prices or pricing is not a budget concern: those words are
/// left out.
pub const TOPIC_WORDS: &[(Topic, &[&str])] = &[
    (
        Topic::Budget,
        &[
            "budget",
            "budgets",
            "cost",
            "costs",
            "costly",
            "expensive",
            "discount",
            "discounts",
            "afford",
            "spend",
            "spending",
            "downgrade",
        ],
    ),
    (
        Topic::Competition,
        &[
            "competitor",
            "competitors",
            "competition",
            "competitive",
            "competing",
            "alternatives",
            "rfp",
        ],
    ),
    (
        Topic::Escalation,
        &[
            "escalation",
            "escalations",
            "escalate",
            "escalated",
            "escalating",
        ],
    ),
];

/// The topics `text` names (see [`TOPIC_WORDS`]).
pub(crate) fn topics_in(text: &str) -> impl Iterator<Item = Topic> + '_ {
    TOPIC_WORDS
        .iter()
        .filter(move |(_, words)| {
            text.split(|character: char| !character.is_alphanumeric())
                .any(|word| words.iter().any(|topic| word.eq_ignore_ascii_case(topic)))
        })
        .map(|(topic, _)| *topic)
}

/// Inserts `item` keeping `column` sorted by `key`, after any equal keys (so
/// arrival order breaks ties).
fn insert_sorted<T>(column: &mut Vec<T>, item: T, key: impl Fn(&T) -> i64) {
    let at = key(&item);
    if column.last().is_none_or(|last| key(last) <= at) {
        column.push(item);
    } else {
        let index = column.partition_point(|existing| key(existing) <= at);
        column.insert(index, item);
    }
}

/// Index range of the items of a time-sorted column with `start <= at < end`.
pub(crate) fn range_of<T>(
    column: &[T],
    start: i64,
    end: i64,
    key: impl Fn(&T) -> i64,
) -> std::ops::Range<usize> {
    let low = column.partition_point(|item| key(item) < start);
    let high = column.partition_point(|item| key(item) < end);
    low..high.max(low)
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct ThreadMessage(i64);

/// One message of a thread: its instant and direction packed in 8 bytes
/// (twice the instant, plus one when inbound), a thread's messages being a
/// third of most portfolios' e-mail memory.
impl ThreadMessage {
    pub(crate) fn new(at: i64, inbound: bool) -> Self {
        ThreadMessage(at * 2 + i64::from(inbound))
    }

    pub(crate) fn at(self) -> i64 {
        self.0.div_euclid(2)
    }

    pub(crate) fn inbound(self) -> bool {
        self.0.rem_euclid(2) == 1
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct EmailEvent {
    pub at: i64,
    pub thread: u32,
    pub inbound: bool,
}

/// One `to` address of one of our outbound e-mails (the outreach addressed to
/// a contact). An e-mail is told apart by its instant and thread.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct EmailRecipient {
    pub at: i64,
    pub thread: u32,
    pub contact: u32,
}

/// Where a topic was mentioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum MentionSource {
    /// An inbound e-mail's subject, in this thread.
    Email(u32),
    /// A ticket event's tag, on this ticket.
    Ticket(u32),
}

/// A [`Topic`] the customer raised: in an inbound e-mail's subject or a ticket's tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TopicMention {
    pub at: i64,
    pub topic: Topic,
    pub source: MentionSource,
    /// The subject or the tag that names it.
    pub text: Box<str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct MeetingEvent {
    pub at: i64,
    pub status: MeetingStatus,
    pub cancelled_by: Option<Party>,
    pub initiated_by_customer: bool,
    pub kind: MeetingKind,
    /// Its attendees (contact indices) are `meeting_attendees[first..first + count]`.
    pub attendees_first: u32,
    pub attendees_count: u16,
    /// The calendar occurrence it reports on (an index into
    /// `AccountState::occurrences`), or [`NO_OCCURRENCE`].
    pub occurrence: u32,
}

/// A meeting that names no calendar occurrence (every JSONL meeting).
pub(crate) const NO_OCCURRENCE: u32 = u32::MAX;

/// A calendar occurrence as the engine holds it: what its record in force
/// says (see `ActivityDetail::Meeting::occurrence`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CalendarOccurrence {
    /// `UID_original-start`, the id a no-show is recorded against.
    pub id: String,
    pub at: Timestamp,
    pub status: MeetingStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelled_by: Option<Party>,
    pub kind: MeetingKind,
    /// The customer's people attending (lowercased addresses).
    pub attendees: Vec<String>,
}

/// No contact (an activity that names none).
pub(crate) const NO_CONTACT: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct CallEvent {
    pub at: i64,
    /// Contact index, or [`NO_CONTACT`].
    pub contact: u32,
    pub inbound: bool,
    pub connected: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct TrainingEvent {
    pub at: i64,
    /// Contact index, or [`NO_CONTACT`] for a training that names a user only.
    pub contact: u32,
    pub attended: bool,
}

/// An NPS (0–10) or CSAT (1–5) answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct SurveyEvent {
    pub at: i64,
    pub contact: u32,
    pub score: u8,
    pub nps: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct PaymentEvent {
    pub at: i64,
    pub amount: f64,
    pub status: PaymentStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct CommunityEvent {
    pub at: i64,
    pub contact: u32,
    pub action: CommunityAction,
}

/// One ticket event (a ticket's state as of `at`; a ticket usually has several).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct TicketEvent {
    pub at: i64,
    pub ticket: u32,
    pub status: TicketStatus,
    pub severity: Severity,
    pub sentiment: Option<Sentiment>,
    pub feature_request: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct SessionEvent {
    pub at: i64,
    pub user: u32,
    pub minutes: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct FeatureEvent {
    pub at: i64,
    pub user: u32,
    pub feature: u32,
}

/// Everything the engine keeps about one account.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccountState {
    pub(crate) account: Option<Account>,
    /// Each thread's messages in time order (the response-rate rule needs the
    /// next message of a thread, including messages from before the window).
    pub(crate) threads: Vec<Vec<ThreadMessage>>,
    thread_names: Interner,
    pub(crate) emails: Vec<EmailEvent>,
    pub(crate) meetings: Vec<MeetingEvent>,
    /// Every meeting's attendees, appended as meetings arrive.
    pub(crate) meeting_attendees: Vec<u32>,
    /// The calendar occurrences meetings reported on (`UID_start`).
    #[serde(default)]
    occurrences: Interner,
    pub(crate) calls: Vec<CallEvent>,
    pub(crate) trainings: Vec<TrainingEvent>,
    pub(crate) surveys: Vec<SurveyEvent>,
    pub(crate) payments: Vec<PaymentEvent>,
    pub(crate) community: Vec<CommunityEvent>,
    /// Logins are most of a portfolio's activities, so they are kept as two
    /// parallel columns (12 bytes each instead of a padded 16).
    pub(crate) login_at: Vec<i64>,
    pub(crate) login_user: Vec<u32>,
    pub(crate) sessions: Vec<SessionEvent>,
    pub(crate) feature_uses: Vec<FeatureEvent>,
    pub(crate) tickets: Vec<TicketEvent>,
    pub(crate) ticket_ids: Interner,
    pub(crate) users: Interner,
    /// Contacts: everyone on file in contacts.csv or seen engaging (lowercased
    /// e-mail), with role and name from contacts.csv when there is one.
    pub(crate) contact_emails: Interner,
    pub(crate) contact_roles: Vec<Option<ContactRole>>,
    pub(crate) contact_names: Vec<Option<Box<str>>>,
    pub(crate) contact_departments: Vec<Option<Box<str>>>,
    /// Per contact, the instants of its engagements, in time order.
    pub(crate) engagements: Vec<Vec<i64>>,
    /// Per contact, the instants it initiated contact (an inbound e-mail it
    /// sent, an inbound call from it), in time order.
    pub(crate) initiations: Vec<Vec<i64>>,
    /// The `to` addresses of our outbound e-mails, in time order.
    pub(crate) outbound_recipients: Vec<EmailRecipient>,
    /// Budget, competition and escalation mentions, in time order.
    pub(crate) topic_mentions: Vec<TopicMention>,
    /// Renewal outcomes from outcomes.csv, by the first instant of their date,
    /// with their ARR change.
    pub(crate) outcomes: Vec<(i64, OutcomeKind, f64)>,
    /// Success goals (PRD-069) with their measurement histories, as stored
    /// (as JSON in a checkpoint: the goal's JSON shape skips empty fields).
    #[serde(with = "goals_as_json")]
    goals: Vec<Goal>,
    /// Bumped on every change to this account, so cached scores know when
    /// they are stale.
    pub(crate) generation: u64,
    /// Its index in the portfolio.
    pub(crate) slot: usize,
}

impl AccountState {
    pub fn account(&self) -> Option<&Account> {
        self.account.as_ref()
    }

    /// Whether the account had churned at `as_of`: its status is `churned`
    /// and its latest `churned` outcome, if it has one, is dated at or before
    /// `as_of` (a moment before the churn is scored as it was then). The
    /// churn's date, when an outcome gives one, comes with it.
    pub fn churned_at(&self, as_of: crate::time::Timestamp) -> Option<Churn> {
        let account = self.account.as_ref()?;
        if account.status != crate::AccountStatus::Churned {
            return None;
        }
        let outcome = self
            .outcomes
            .iter()
            .rev()
            .find(|(_, kind, _)| *kind == OutcomeKind::Churned);
        match outcome {
            Some((at, _, _)) if *at > as_of.millis() => None,
            Some((at, _, _)) => Some(Churn {
                on: Some(crate::time::Timestamp::from_millis(*at).date()),
            }),
            None => Some(Churn { on: None }),
        }
    }

    /// Its index among the portfolio's accounts.
    pub fn slot(&self) -> usize {
        self.slot
    }

    /// A number that changes whenever this account's data changes.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The account's success goals, in creation order.
    pub fn goals(&self) -> &[Goal] {
        &self.goals
    }

    /// The meetings imported from a calendar, in time order, each as its
    /// record in force says.
    pub fn calendar_occurrences(&self) -> Vec<CalendarOccurrence> {
        self.meetings
            .iter()
            .filter(|meeting| meeting.occurrence != NO_OCCURRENCE)
            .map(|meeting| {
                let first = meeting.attendees_first as usize;
                CalendarOccurrence {
                    id: self.occurrences.name(meeting.occurrence).to_string(),
                    at: Timestamp::from_millis(meeting.at),
                    status: meeting.status,
                    cancelled_by: meeting.cancelled_by,
                    kind: meeting.kind,
                    attendees: self.meeting_attendees
                        [first..first + usize::from(meeting.attendees_count)]
                        .iter()
                        .map(|contact| self.contact_emails.name(*contact).to_string())
                        .collect(),
                }
            })
            .collect()
    }

    /// Index range of the logins with `start <= at < end`.
    pub(crate) fn login_range(&self, start: i64, end: i64) -> std::ops::Range<usize> {
        range_of(&self.login_at, start, end, |at| *at)
    }

    /// The users active in `[start, end)`: with a login, session or feature use.
    pub(crate) fn for_each_active_user(&self, start: i64, end: i64, mut visit: impl FnMut(u32)) {
        let logins = &self.login_user[self.login_range(start, end)];
        let sessions = &self.sessions[range_of(&self.sessions, start, end, |event| event.at)];
        let features =
            &self.feature_uses[range_of(&self.feature_uses, start, end, |event| event.at)];
        logins.iter().for_each(|user| visit(*user));
        sessions.iter().for_each(|event| visit(event.user));
        features.iter().for_each(|event| visit(event.user));
    }

    /// Releases the spare capacity the columns grew while loading.
    fn compact(&mut self) {
        self.threads.iter_mut().for_each(Vec::shrink_to_fit);
        self.thread_names.shrink_to_fit();
        self.ticket_ids.shrink_to_fit();
        self.users.shrink_to_fit();
        self.contact_emails.shrink_to_fit();
        self.contact_roles.shrink_to_fit();
        self.contact_names.shrink_to_fit();
        self.contact_departments.shrink_to_fit();
        self.engagements.shrink_to_fit();
        self.initiations.shrink_to_fit();
        self.outcomes.shrink_to_fit();
        self.outbound_recipients.shrink_to_fit();
        self.topic_mentions.shrink_to_fit();
        self.threads.shrink_to_fit();
        self.emails.shrink_to_fit();
        self.meetings.shrink_to_fit();
        self.meeting_attendees.shrink_to_fit();
        self.occurrences.shrink_to_fit();
        self.calls.shrink_to_fit();
        self.trainings.shrink_to_fit();
        self.surveys.shrink_to_fit();
        self.payments.shrink_to_fit();
        self.community.shrink_to_fit();
        self.login_at.shrink_to_fit();
        self.login_user.shrink_to_fit();
        self.sessions.shrink_to_fit();
        self.feature_uses.shrink_to_fit();
        self.tickets.shrink_to_fit();
        self.engagements.iter_mut().for_each(Vec::shrink_to_fit);
        self.initiations.iter_mut().for_each(Vec::shrink_to_fit);
    }

    fn user(&mut self, name: &str) -> u32 {
        self.users.intern(name)
    }

    fn contact(&mut self, email: &str) -> u32 {
        let index = self.contact_emails.intern(email);
        if index as usize == self.engagements.len() {
            self.engagements.push(Vec::new());
            self.initiations.push(Vec::new());
            self.contact_roles.push(None);
            self.contact_names.push(None);
            self.contact_departments.push(None);
        }
        index
    }

    /// The thread's name (its id in the source).
    pub(crate) fn thread_name(&self, thread: u32) -> &str {
        &self.thread_names[thread as usize]
    }

    fn engaged(&mut self, email: &str, at: i64) {
        let contact = self.contact(email) as usize;
        insert_sorted(&mut self.engagements[contact], at, |instant| *instant);
    }

    fn initiated(&mut self, contact: u32, at: i64) {
        insert_sorted(&mut self.initiations[contact as usize], at, |instant| {
            *instant
        });
    }

    /// Records each topic `text` names (at most one mention per topic and activity).
    fn mentioned(&mut self, at: i64, source: MentionSource, text: &str) {
        for topic in topics_in(text) {
            let seen = self.topic_mentions[range_of(&self.topic_mentions, at, at + 1, |m| m.at)]
                .iter()
                .any(|mention| mention.topic == topic && mention.source == source);
            if !seen {
                let mention = TopicMention {
                    at,
                    topic,
                    source,
                    text: text.into(),
                };
                insert_sorted(&mut self.topic_mentions, mention, |mention| mention.at);
            }
        }
    }

    /// Makes room for a new record of a calendar occurrence: the meeting that
    /// reported on it so far is taken out (with the engagements it gave its
    /// attendees), and `true` returned; or `false` when the new record must
    /// be ignored, because a person recorded a no-show for the occurrence and
    /// the record is the calendar's (anything but another no-show). A
    /// person's record (`by_person`: a no-show, or a correction that the
    /// customer attended after all) always replaces the one before.
    fn supersede_occurrence(
        &mut self,
        occurrence: u32,
        status: MeetingStatus,
        by_person: bool,
    ) -> bool {
        let Some(index) = self
            .meetings
            .iter()
            .position(|meeting| meeting.occurrence == occurrence)
        else {
            return true;
        };
        let previous = self.meetings[index];
        if previous.status == MeetingStatus::NoShow && status != MeetingStatus::NoShow && !by_person
        {
            return false;
        }
        self.meetings.remove(index);
        if previous.status == MeetingStatus::Attended {
            let first = previous.attendees_first as usize;
            for position in first..first + usize::from(previous.attendees_count) {
                let contact = self.meeting_attendees[position] as usize;
                let engagements = &mut self.engagements[contact];
                if let Ok(found) = engagements.binary_search(&previous.at) {
                    engagements.remove(found);
                }
            }
        }
        true
    }

    fn add(&mut self, activity: &Activity, feature_index: u32) {
        self.generation += 1;
        let at = activity.at.millis();
        match &activity.detail {
            ActivityDetail::Email {
                direction,
                thread,
                from,
                to,
                subject,
            } => {
                let inbound = *direction == Direction::Inbound;
                let thread = self.thread_names.intern(thread.as_str());
                if thread as usize == self.threads.len() {
                    self.threads.push(Vec::new());
                }
                insert_sorted(
                    &mut self.threads[thread as usize],
                    ThreadMessage::new(at, inbound),
                    |message| message.at(),
                );
                insert_sorted(
                    &mut self.emails,
                    EmailEvent {
                        at,
                        thread,
                        inbound,
                    },
                    |email| email.at,
                );
                if inbound {
                    self.engaged(from.as_str(), at);
                    let sender = self.contact(from.as_str());
                    self.initiated(sender, at);
                    let subject = subject.as_deref().unwrap_or_default();
                    self.mentioned(at, MentionSource::Email(thread), subject);
                } else {
                    for recipient in to {
                        let contact = self.contact(recipient.as_str());
                        let recipient = EmailRecipient {
                            at,
                            thread,
                            contact,
                        };
                        insert_sorted(&mut self.outbound_recipients, recipient, |r| r.at);
                    }
                }
            }
            ActivityDetail::Meeting {
                status,
                cancelled_by,
                initiated_by,
                attendees,
                kind,
                occurrence,
                recorded_by,
                ..
            } => {
                let occurrence = match occurrence {
                    Some(key) => {
                        let occurrence = self.occurrences.intern(key);
                        if !self.supersede_occurrence(occurrence, *status, recorded_by.is_some()) {
                            return;
                        }
                        occurrence
                    }
                    None => NO_OCCURRENCE,
                };
                let attendees_first = self.meeting_attendees.len() as u32;
                let mut attendees_count = 0u16;
                for attendee in attendees.iter().take(usize::from(u16::MAX)) {
                    let contact = self.contact(attendee.as_str());
                    self.meeting_attendees.push(contact);
                    attendees_count += 1;
                }
                let event = MeetingEvent {
                    at,
                    status: *status,
                    cancelled_by: *cancelled_by,
                    initiated_by_customer: *initiated_by == Some(Party::Customer),
                    kind: *kind,
                    attendees_first,
                    attendees_count,
                    occurrence,
                };
                insert_sorted(&mut self.meetings, event, |meeting| meeting.at);
                if *status == MeetingStatus::Attended {
                    for attendee in attendees {
                        self.engaged(attendee.as_str(), at);
                    }
                }
            }
            ActivityDetail::Call {
                direction,
                contact,
                connected,
                ..
            } => {
                let index = contact
                    .as_ref()
                    .map_or(NO_CONTACT, |contact| self.contact(contact.as_str()));
                let event = CallEvent {
                    at,
                    contact: index,
                    inbound: *direction == Direction::Inbound,
                    connected: *connected,
                };
                insert_sorted(&mut self.calls, event, |call| call.at);
                if *direction == Direction::Inbound && index != NO_CONTACT {
                    self.initiated(index, at);
                }
                if let (true, Some(contact)) = (*connected, contact) {
                    self.engaged(contact.as_str(), at);
                }
            }
            ActivityDetail::Training {
                contact, status, ..
            } => {
                let attended = *status == TrainingStatus::Attended;
                let index = contact
                    .as_ref()
                    .map_or(NO_CONTACT, |contact| self.contact(contact.as_str()));
                let event = TrainingEvent {
                    at,
                    contact: index,
                    attended,
                };
                insert_sorted(&mut self.trainings, event, |training| training.at);
                if let (true, Some(contact)) = (attended, contact) {
                    self.engaged(contact.as_str(), at);
                }
            }
            ActivityDetail::Nps { contact, score } | ActivityDetail::Csat { contact, score } => {
                let nps = matches!(activity.detail, ActivityDetail::Nps { .. });
                let index = contact
                    .as_ref()
                    .map_or(NO_CONTACT, |contact| self.contact(contact.as_str()));
                let event = SurveyEvent {
                    at,
                    contact: index,
                    score: *score,
                    nps,
                };
                insert_sorted(&mut self.surveys, event, |survey| survey.at);
            }
            ActivityDetail::Payment { amount, status, .. } => {
                let event = PaymentEvent {
                    at,
                    amount: *amount,
                    status: *status,
                };
                insert_sorted(&mut self.payments, event, |payment| payment.at);
            }
            ActivityDetail::Community { contact, action } => {
                let event = CommunityEvent {
                    at,
                    contact: self.contact(contact.as_str()),
                    action: *action,
                };
                insert_sorted(&mut self.community, event, |event| event.at);
            }
            ActivityDetail::Ticket {
                ticket,
                status,
                severity,
                tags,
                sentiment,
                ..
            } => {
                let ticket = self.ticket_ids.intern(ticket);
                let event = TicketEvent {
                    at,
                    ticket,
                    status: *status,
                    severity: *severity,
                    sentiment: *sentiment,
                    feature_request: tags.iter().any(|tag| tag == FEATURE_REQUEST_TAG),
                };
                insert_sorted(&mut self.tickets, event, |event| event.at);
                for tag in tags {
                    self.mentioned(at, MentionSource::Ticket(ticket), tag);
                }
            }
            ActivityDetail::Login { user } => {
                let user = self.user(user.as_str());
                let index = self.login_at.partition_point(|existing| *existing <= at);
                if index == self.login_at.len() {
                    self.login_at.push(at);
                    self.login_user.push(user);
                } else {
                    self.login_at.insert(index, at);
                    self.login_user.insert(index, user);
                }
            }
            ActivityDetail::Session { user, duration_min } => {
                let user = self.user(user.as_str());
                let minutes = *duration_min;
                insert_sorted(
                    &mut self.sessions,
                    SessionEvent { at, user, minutes },
                    |event| event.at,
                );
            }
            ActivityDetail::FeatureUsed { user, .. } => {
                let user = self.user(user.as_str());
                let event = FeatureEvent {
                    at,
                    user,
                    feature: feature_index,
                };
                insert_sorted(&mut self.feature_uses, event, |event| event.at);
            }
        }
    }
}

/// The whole portfolio's engine state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PortfolioState {
    pub(crate) accounts: Vec<AccountState>,
    account_index: HashMap<String, usize>,
    customer_index: HashMap<CustomerId, usize>,
    /// Every feature key seen in any activity or the catalogue, interned.
    pub(crate) feature_keys: Vec<String>,
    feature_index: HashMap<String, u32>,
    /// Per interned feature: the first instant any account used it (for breadth
    /// without a catalogue: "features seen in any account before as_of").
    pub(crate) feature_first_seen: Vec<Option<i64>>,
    /// Bumped on changes that can move every account's scores (the catalogue,
    /// the features seen anywhere).
    pub(crate) generation: u64,
    /// Bumped on every change of any kind.
    revision: u64,
    /// The instants of every account's outcomes, sorted.
    outcome_instants: Vec<i64>,
    /// Catalogue importance weight per interned feature; empty catalogue = none.
    pub(crate) catalogue_weights: Vec<Option<f64>>,
    pub(crate) catalogue_size: usize,
}

impl PortfolioState {
    pub fn new() -> Self {
        Self::default()
    }

    fn account_slot(&mut self, external_id: &str) -> usize {
        if let Some(index) = self.account_index.get(external_id) {
            return *index;
        }
        let index = self.accounts.len();
        self.accounts.push(AccountState {
            slot: index,
            ..AccountState::default()
        });
        self.account_index.insert(external_id.to_string(), index);
        index
    }

    fn feature(&mut self, key: &str) -> u32 {
        if let Some(index) = self.feature_index.get(key) {
            return *index;
        }
        let index = self.feature_keys.len() as u32;
        self.feature_keys.push(key.to_string());
        self.feature_first_seen.push(None);
        self.catalogue_weights.push(None);
        self.feature_index.insert(key.to_string(), index);
        index
    }

    /// A number that changes whenever a change may move every account's scores.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn upsert_account(&mut self, account: Account) {
        self.revision += 1;
        let slot = self.account_slot(account.external_id.as_str());
        self.customer_index.insert(account.customer_id(), slot);
        let state = &mut self.accounts[slot];
        state.account = Some(account);
        state.generation += 1;
    }

    pub fn upsert_contact(&mut self, contact: &Contact) {
        self.revision += 1;
        let slot = self.account_slot(contact.account.as_str());
        let state = &mut self.accounts[slot];
        let index = state.contact(contact.email.as_str()) as usize;
        state.contact_roles[index] = Some(contact.role);
        state.contact_names[index] = Some(contact.name.as_str().into());
        state.contact_departments[index] = Some(contact.department.as_str())
            .filter(|department| !department.is_empty())
            .map(Into::into);
        state.generation += 1;
    }

    /// Adds or replaces (same account and date) a renewal outcome. Outcomes
    /// feed the impact model and the health model's ARR trend, so the
    /// account's generation moves.
    pub fn upsert_outcome(&mut self, outcome: &Outcome) {
        let slot = self.account_slot(outcome.account.as_str());
        let at = Timestamp::start_of_day(outcome.date).millis();
        let outcomes = &mut self.accounts[slot].outcomes;
        match outcomes.iter_mut().find(|(date, _, _)| *date == at) {
            Some(existing) => {
                existing.1 = outcome.outcome;
                existing.2 = outcome.arr_change;
            }
            None => {
                insert_sorted(
                    outcomes,
                    (at, outcome.outcome, outcome.arr_change),
                    |(date, _, _)| *date,
                );
                insert_sorted(&mut self.outcome_instants, at, |instant| *instant);
            }
        }
        self.accounts[slot].generation += 1;
        self.revision += 1;
    }

    /// Replaces an account's success goals (after any change to one of them).
    /// The success score is an input of the health model (and of any model
    /// that uses it), so the account's generation moves too: cached peer
    /// scores of the account are recomputed.
    pub fn set_goals(&mut self, account: &ExternalId, goals: Vec<Goal>) {
        let slot = self.account_slot(account.as_str());
        self.accounts[slot].goals = goals;
        self.accounts[slot].generation += 1;
        self.revision += 1;
    }

    /// A number that changes whenever anything in the portfolio changes.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// How many outcomes are dated before `end` (milliseconds).
    pub fn outcomes_before(&self, end: i64) -> usize {
        self.outcome_instants.partition_point(|at| *at < end)
    }

    /// Replaces the feature catalogue.
    pub fn set_catalogue(&mut self, features: &[Feature]) {
        self.catalogue_weights
            .iter_mut()
            .for_each(|weight| *weight = None);
        for feature in features {
            let index = self.feature(feature.key.as_str()) as usize;
            self.catalogue_weights[index] = Some(feature.importance.weight());
        }
        self.catalogue_size = features.len();
        self.generation += 1;
        self.revision += 1;
    }

    /// Adds one activity: the incremental path both the start-up load and live
    /// ingest take.
    pub fn add_activity(&mut self, activity: &Activity) {
        self.revision += 1;
        let feature = match &activity.detail {
            ActivityDetail::FeatureUsed { feature, .. } => {
                let index = self.feature(feature.as_str());
                let first = &mut self.feature_first_seen[index as usize];
                let at = activity.at.millis();
                if first.is_none_or(|seen| at < seen) {
                    *first = Some(at);
                    self.generation += 1;
                }
                index
            }
            _ => u32::MAX,
        };
        let slot = self.account_slot(activity.account.as_str());
        self.accounts[slot].add(activity, feature);
    }

    /// Releases spare capacity after a bulk load; later single inserts still work.
    pub fn compact(&mut self) {
        self.accounts.iter_mut().for_each(AccountState::compact);
    }

    pub fn account(&self, external_id: &str) -> Option<&AccountState> {
        self.account_index
            .get(external_id)
            .map(|index| &self.accounts[*index])
    }

    /// Finds an account by the one reference rule ([`crate::domain::find_account`]):
    /// UUID, then external id (both by index), then name.
    pub fn find(&self, query: &str) -> AccountMatch<'_> {
        let query = query.trim();
        let by_uuid = CustomerId::parse(query).and_then(|id| self.customer_index.get(&id));
        if let Some(account) = by_uuid
            .or_else(|| self.account_index.get(query))
            .and_then(|index| self.accounts.get(*index))
            .and_then(AccountState::account)
        {
            return AccountMatch::Found(account);
        }
        match_name(
            self.accounts.iter().filter_map(AccountState::account),
            query,
        )
    }

    /// The account [`PortfolioState::find`] finds, when exactly one answers.
    pub fn resolve(&self, query: &str) -> Option<&AccountState> {
        match self.find(query) {
            AccountMatch::Found(account) => self.account(account.external_id.as_str()),
            _ => None,
        }
    }

    pub fn accounts(&self) -> impl Iterator<Item = &AccountState> {
        self.accounts.iter()
    }
}
/// An account that has churned (see [`AccountState::churned_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Churn {
    /// The date of its `churned` outcome, when outcomes.csv gives one.
    pub on: Option<chrono::NaiveDate>,
}
