//! Early-warning signals: the engagement-scoring framework's red and yellow
//! flags, the health framework's leading indicators and (in [`lagging`]) its
//! lagging, confirmatory ones, each evaluated from an account's data at
//! `as_of` with the evidence behind it (dates, contacts, counts). Pure: nothing
//! at or after `as_of` counts. The exact rule of each signal is on its function
//! and in docs/signals.md. Every count in a summary counts exactly what its
//! sentence names.

mod lagging;

use serde::Serialize;

use crate::activity::{MeetingKind, MeetingStatus, Party, Sentiment, Severity, TicketStatus};
use crate::domain::ContactRole;
use crate::engine::evidence::outreach_to;
use crate::engine::state::{NO_CONTACT, range_of};
use crate::engine::{AccountState, PortfolioState};
use crate::time::{MILLIS_PER_DAY, Timestamp};

/// How urgent a signal is: red needs action now, yellow needs watching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignalLevel {
    Red,
    Yellow,
}

/// Which framework names the signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignalSource {
    /// The engagement-scoring framework's red and yellow flags.
    EngagementFramework,
    /// The health framework's leading indicators.
    HealthFramework,
    /// The health framework's lagging (confirmatory) indicators: renewal
    /// discussions and user feedback.
    HealthFrameworkLagging,
}

/// One record behind a signal: when, and what.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignalEvidence {
    pub at: Option<Timestamp>,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Signal {
    /// Stable identifier (`unanswered_outreach`, `usage_drop`…).
    pub key: &'static str,
    pub name: &'static str,
    pub level: SignalLevel,
    pub source: SignalSource,
    /// One sentence with the figures.
    pub summary: String,
    pub evidence: Vec<SignalEvidence>,
}

const DAY: i64 = MILLIS_PER_DAY;
/// Consecutive unanswered outreach that makes a red flag.
pub const UNANSWERED_OUTREACH: usize = 3;
/// A cancelled meeting counts as rescheduled when another meeting follows within this.
pub const RESCHEDULE_DAYS: i64 = 14;

fn at(millis: i64) -> Option<Timestamp> {
    Some(Timestamp::from_millis(millis))
}

fn date(millis: i64) -> String {
    Timestamp::from_millis(millis).date().to_string()
}

/// Counts with their nouns, the empty ones left out, joined as English lists:
/// `4 e-mails and 1 call`, `2 e-mail threads`.
fn counted(parts: &[(usize, &str, &str)]) -> String {
    let written: Vec<String> = parts
        .iter()
        .filter(|(value, _, _)| *value > 0)
        .map(|(value, singular, plural)| {
            crate::numbers::count(*value as u64, singular, Some(plural))
        })
        .collect();
    match written.as_slice() {
        [] => format!("0 {}", parts.first().map_or("records", |part| part.2)),
        [one] => one.clone(),
        [first @ .., last] => format!("{} and {last}", first.join(", ")),
    }
}

fn contact_name(account: &AccountState, contact: u32) -> String {
    if contact == NO_CONTACT {
        return "no contact named".into();
    }
    let index = contact as usize;
    match account
        .contact_names
        .get(index)
        .and_then(|name| name.as_deref())
    {
        Some(name) if !name.is_empty() => format!("{name} <{}>", &account.contact_emails[index]),
        _ => account.contact_emails[index].to_string(),
    }
}

/// Every signal that fires for `account` at `as_of`, red first. The portfolio
/// gives the feature catalogue (for adoption stagnation).
pub fn signals(
    portfolio: &PortfolioState,
    account: &AccountState,
    as_of: Timestamp,
) -> Vec<Signal> {
    let end = as_of.millis();
    let mut found: Vec<Signal> = [
        unanswered_outreach(account, end),
        cancelled_without_reschedule(account, end),
        qbr_declined(account, end),
        executive_silent(account, end),
        usage_drop(account, end),
        response_time_rising(account, end),
        single_threaded(account, end),
        tactical_only(account, end),
        logins_down_week(account, end),
        no_executive_login(account, end),
        ticket_severity_rising(account, end),
        repeated_issues(account, end),
        negative_sentiment(account, end),
        feature_stagnation(portfolio, account, end),
        training_no_shows(account, end),
    ]
    .into_iter()
    .flatten()
    .collect();
    found.extend(lagging::lagging_indicators(account, end));
    // Stable: within a level, leading signals stay before lagging ones.
    found.sort_by_key(|signal| signal.level);
    found
}

/// Red: 3+ consecutive unanswered e-mails or calls. The outreach counted is our
/// outbound e-mails and outbound calls not connected, in the last 90 days,
/// after the customer's last response (an inbound e-mail, a connected call
/// either way, or an attended meeting).
fn unanswered_outreach(account: &AccountState, end: i64) -> Option<Signal> {
    let start = end - 90 * DAY;
    let last_response = [
        account.emails[..account.emails.partition_point(|e| e.at < end)]
            .iter()
            .rev()
            .find(|email| email.inbound)
            .map(|email| email.at),
        account.calls[..account.calls.partition_point(|c| c.at < end)]
            .iter()
            .rev()
            .find(|call| call.connected)
            .map(|call| call.at),
        account.meetings[..account.meetings.partition_point(|m| m.at < end)]
            .iter()
            .rev()
            .find(|meeting| meeting.status == MeetingStatus::Attended)
            .map(|meeting| meeting.at),
    ]
    .into_iter()
    .flatten()
    .max();
    let from = last_response.map_or(start, |last| (last + 1).max(start));
    let mut outreach: Vec<SignalEvidence> = account.emails
        [range_of(&account.emails, from, end, |e| e.at)]
    .iter()
    .filter(|email| !email.inbound)
    .map(|email| SignalEvidence {
        at: at(email.at),
        detail: format!(
            "e-mail in thread `{}`, unanswered",
            account.thread_name(email.thread)
        ),
    })
    .collect();
    let emails = outreach.len();
    outreach.extend(
        account.calls[range_of(&account.calls, from, end, |c| c.at)]
            .iter()
            .filter(|call| !call.inbound && !call.connected)
            .map(|call| SignalEvidence {
                at: at(call.at),
                detail: format!(
                    "call to {}, not connected",
                    contact_name(account, call.contact)
                ),
            }),
    );
    if outreach.len() < UNANSWERED_OUTREACH {
        return None;
    }
    let calls = outreach.len() - emails;
    outreach.sort_by_key(|evidence| evidence.at);
    let what = counted(&[(emails, "e-mail", "e-mails"), (calls, "call", "calls")]);
    let summary = match last_response {
        Some(last) if last >= start => format!(
            "{what} of ours in a row went unanswered since the customer last responded on {}",
            date(last)
        ),
        Some(last) => format!(
            "{what} of ours in the last 90 days went unanswered; the customer last responded on {}",
            date(last)
        ),
        None => format!(
            "{what} of ours in the last 90 days went unanswered; the customer has no response on record"
        ),
    };
    Some(Signal {
        key: "unanswered_outreach",
        name: "Consecutive unanswered outreach",
        level: SignalLevel::Red,
        source: SignalSource::EngagementFramework,
        summary,
        evidence: outreach,
    })
}

/// Red: 2+ meetings cancelled by the customer in the last 90 days with no
/// meeting (other than a cancelled one) in the 14 days after each.
fn cancelled_without_reschedule(account: &AccountState, end: i64) -> Option<Signal> {
    let meetings = &account.meetings[..account.meetings.partition_point(|m| m.at < end)];
    let start = end - 90 * DAY;
    let evidence: Vec<SignalEvidence> = meetings
        .iter()
        .filter(|meeting| meeting.at >= start)
        .filter(|meeting| {
            meeting.status == MeetingStatus::Cancelled
                && meeting.cancelled_by == Some(Party::Customer)
        })
        .filter(|cancelled| {
            !meetings.iter().any(|later| {
                later.at > cancelled.at
                    && later.at <= cancelled.at + RESCHEDULE_DAYS * DAY
                    && later.status != MeetingStatus::Cancelled
            })
        })
        .map(|meeting| SignalEvidence {
            at: at(meeting.at),
            detail: format!(
                "{} meeting cancelled by the customer, not rescheduled within {RESCHEDULE_DAYS} days",
                meeting.kind.as_str()
            ),
        })
        .collect();
    (evidence.len() >= 2).then(|| Signal {
        key: "meetings_cancelled_without_reschedule",
        name: "Meetings cancelled without reschedule",
        level: SignalLevel::Red,
        source: SignalSource::EngagementFramework,
        summary: format!(
            "{} cancelled by the customer in the last 90 days were not rescheduled within {RESCHEDULE_DAYS} days",
            crate::numbers::count(evidence.len() as u64, "meeting", None)
        ),
        evidence,
    })
}

/// Red (both frameworks: "QBR declined or no-showed", "missed QBRs"): a QBR in
/// the last 90 days the customer did not attend or cancelled.
fn qbr_declined(account: &AccountState, end: i64) -> Option<Signal> {
    let start = end - 90 * DAY;
    let evidence: Vec<SignalEvidence> = account.meetings
        [range_of(&account.meetings, start, end, |m| m.at)]
    .iter()
    .filter(|meeting| meeting.kind == MeetingKind::Qbr)
    .filter(|meeting| {
        meeting.status == MeetingStatus::NoShow
            || (meeting.status == MeetingStatus::Cancelled
                && meeting.cancelled_by == Some(Party::Customer))
    })
    .map(|meeting| SignalEvidence {
        at: at(meeting.at),
        detail: if meeting.status == MeetingStatus::NoShow {
            "QBR: the customer did not show".into()
        } else {
            "QBR cancelled by the customer".into()
        },
    })
    .collect();
    (!evidence.is_empty()).then(|| Signal {
        key: "qbr_declined",
        name: "QBR declined or missed",
        level: SignalLevel::Red,
        source: SignalSource::EngagementFramework,
        summary: format!(
            "{} declined or missed in the last 90 days",
            crate::numbers::count(evidence.len() as u64, "QBR", None)
        ),
        evidence,
    })
}

/// The last engagement before `end` of each contact with `role`: (contact, instant).
fn role_engagements(
    account: &AccountState,
    role: ContactRole,
    end: i64,
) -> Vec<(usize, Option<i64>)> {
    (0..account.contact_emails.len())
        .filter(|contact| account.contact_roles[*contact] == Some(role))
        .map(|contact| {
            let instants = &account.engagements[contact];
            let before = instants.partition_point(|instant| *instant < end);
            (contact, before.checked_sub(1).map(|last| instants[last]))
        })
        .collect()
}

/// Red: the executive sponsor stopped responding: an executive engaged in the
/// 90 days before the last 30, none has engaged in the last 30, and we reached
/// out to the executives who had engaged (outbound e-mails naming one of them
/// in `to`, outbound calls to one of them) in those 30 days. Outreach to
/// anyone else at the account is not counted: it says nothing about whether
/// the executive answers.
fn executive_silent(account: &AccountState, end: i64) -> Option<Signal> {
    let recent = end - 30 * DAY;
    let executives = role_engagements(account, ContactRole::Executive, end);
    if executives
        .iter()
        .any(|(_, last)| last.is_some_and(|last| last >= recent))
    {
        return None;
    }
    let silent: Vec<(usize, i64)> = executives
        .iter()
        .filter_map(|(contact, last)| {
            let last = (*last)?;
            (last >= recent - 90 * DAY).then_some((*contact, last))
        })
        .collect();
    let contacts: Vec<usize> = silent.iter().map(|(contact, _)| *contact).collect();
    let outreach = outreach_to(account, &contacts, recent, end);
    if silent.is_empty() || outreach.is_empty() {
        return None;
    }
    let emails_and_calls = |outreach: &[&crate::engine::evidence::OutreachTo]| {
        let emails = outreach.iter().filter(|o| o.thread.is_some()).count();
        counted(&[
            (emails, "e-mail", "e-mails"),
            (outreach.len() - emails, "call", "calls"),
        ])
    };
    let mut evidence: Vec<SignalEvidence> = silent
        .iter()
        .map(|(contact, last)| {
            let theirs: Vec<_> = outreach
                .iter()
                .filter(|o| o.contacts.contains(&(*contact as u32)))
                .collect();
            SignalEvidence {
                at: at(*last),
                detail: format!(
                    "{} last engaged {}; {} of ours addressed to them in the last 30 days",
                    contact_name(account, *contact as u32),
                    crate::numbers::days_ago((end - last) as f64 / DAY as f64),
                    emails_and_calls(&theirs)
                ),
            }
        })
        .collect();
    evidence.extend(outreach.iter().map(|o| {
        let names: Vec<String> = o
            .contacts
            .iter()
            .map(|contact| contact_name(account, *contact))
            .collect();
        SignalEvidence {
            at: at(o.at),
            detail: match o.thread {
                Some(thread) => format!(
                    "e-mail to {} in thread `{}`",
                    names.join(", "),
                    account.thread_name(thread)
                ),
                None => format!("call to {}", names.join(", ")),
            },
        }
    }));
    let whom = match silent.as_slice() {
        [(contact, _)] => contact_name(account, *contact as u32),
        _ => format!(
            "the {} executives who engaged in the 90 days before",
            silent.len()
        ),
    };
    Some(Signal {
        key: "executive_silent",
        name: "Executive sponsor stopped responding",
        level: SignalLevel::Red,
        source: SignalSource::EngagementFramework,
        summary: format!(
            "no executive has engaged in the last 30 days despite {} of ours addressed to {whom} in that time",
            emails_and_calls(&outreach.iter().collect::<Vec<_>>())
        ),
        evidence,
    })
}

fn logins_between(account: &AccountState, start: i64, end: i64) -> usize {
    account.login_range(start, end).len()
}

/// `(now, before)` login counts over two back-to-back windows of `days`.
fn login_windows(account: &AccountState, end: i64, days: i64) -> (usize, usize) {
    let now = logins_between(account, end - days * DAY, end);
    let before = logins_between(account, end - 2 * days * DAY, end - days * DAY);
    (now, before)
}

fn drop_percent(now: usize, before: usize) -> f64 {
    100.0 * (before as f64 - now as f64) / before as f64
}

/// Red: product usage down more than 50 % in 30 days: logins in the last 30
/// days below half of the 30 days before.
fn usage_drop(account: &AccountState, end: i64) -> Option<Signal> {
    let (now, before) = login_windows(account, end, 30);
    (before > 0 && (now as f64) < 0.5 * before as f64).then(|| Signal {
        key: "usage_drop",
        name: "Product usage down more than 50 %",
        level: SignalLevel::Red,
        source: SignalSource::EngagementFramework,
        summary: format!(
            "{} in the last 30 days against {before} in the 30 before (-{})",
            crate::numbers::count(now as u64, "login", None),
            crate::numbers::percent(drop_percent(now, before), 0)
        ),
        evidence: vec![
            SignalEvidence {
                at: at(end - 60 * DAY),
                detail: format!(
                    "{} from {} to {}",
                    crate::numbers::count(before as u64, "login", None),
                    date(end - 60 * DAY),
                    date(end - 30 * DAY)
                ),
            },
            SignalEvidence {
                at: at(end - 30 * DAY),
                detail: format!(
                    "{} from {} to {}",
                    crate::numbers::count(now as u64, "login", None),
                    date(end - 30 * DAY),
                    date(end)
                ),
            },
        ],
    })
}

/// Mean hours from our outbound e-mails in `[start, end)` to the customer's
/// answer (the next message of the thread, inbound, before `as_of`), and how
/// many were answered.
fn mean_response_hours(
    account: &AccountState,
    start: i64,
    end: i64,
    as_of: i64,
) -> Option<(f64, usize)> {
    let mut total = 0.0;
    let mut answered = 0;
    for email in &account.emails[range_of(&account.emails, start, end, |e| e.at)] {
        if email.inbound {
            continue;
        }
        let thread = &account.threads[email.thread as usize];
        let next = thread.partition_point(|message| message.at() <= email.at);
        if let Some(message) = thread.get(next).filter(|m| m.at() < as_of && m.inbound()) {
            total += (message.at() - email.at) as f64 / 3_600_000.0;
            answered += 1;
        }
    }
    (answered > 0).then(|| (total / answered as f64, answered))
}

/// Yellow: response time rising from about a day to 72 h or more: the mean
/// answer time to our e-mails of the last 30 days is at least 72 h, and that of
/// the 30 days before was under 72 h.
fn response_time_rising(account: &AccountState, end: i64) -> Option<Signal> {
    let (now, answered) = mean_response_hours(account, end - 30 * DAY, end, end)?;
    let (before, _) = mean_response_hours(account, end - 60 * DAY, end - 30 * DAY, end - 30 * DAY)?;
    (now >= 72.0 && before < 72.0).then(|| Signal {
        key: "response_time_rising",
        name: "Response time rising",
        level: SignalLevel::Yellow,
        source: SignalSource::EngagementFramework,
        summary: format!(
            "the customer now answers in {} h on average ({}), against {} h the month before",
            crate::numbers::fixed(now, 0),
            crate::numbers::count(answered as u64, "answer", None),
            crate::numbers::fixed(before, 0)
        ),
        evidence: Vec::new(),
    })
}

/// Yellow: single-threaded relationship: at most one contact engaged in the
/// last 90 days, on an account with contacts on file.
fn single_threaded(account: &AccountState, end: i64) -> Option<Signal> {
    let start = end - 90 * DAY;
    if !account.contact_roles.iter().any(Option::is_some) {
        return None;
    }
    let engaged: Vec<usize> = (0..account.engagements.len())
        .filter(|contact| !range_of(&account.engagements[*contact], start, end, |i| *i).is_empty())
        .collect();
    (engaged.len() <= 1).then(|| Signal {
        key: "single_threaded",
        name: "Single-threaded relationship",
        level: SignalLevel::Yellow,
        source: SignalSource::EngagementFramework,
        summary: match engaged.first() {
            Some(contact) => format!(
                "only {} engaged in the last 90 days",
                contact_name(account, *contact as u32)
            ),
            None => "no contact engaged in the last 90 days".into(),
        },
        evidence: engaged
            .iter()
            .map(|contact| SignalEvidence {
                at: account.engagements[*contact]
                    [..account.engagements[*contact].partition_point(|i| *i < end)]
                    .last()
                    .copied()
                    .map(Timestamp::from_millis),
                detail: format!(
                    "{} (last engagement)",
                    contact_name(account, *contact as u32)
                ),
            })
            .collect(),
    })
}

/// Yellow: tactical-only conversations: 2+ meetings attended in the last 90
/// days and none of them a QBR, executive meeting or workshop.
fn tactical_only(account: &AccountState, end: i64) -> Option<Signal> {
    let attended: Vec<_> = account.meetings
        [range_of(&account.meetings, end - 90 * DAY, end, |m| m.at)]
    .iter()
    .filter(|meeting| meeting.status == MeetingStatus::Attended)
    .collect();
    let strategic = attended.iter().any(|meeting| {
        matches!(
            meeting.kind,
            MeetingKind::Qbr | MeetingKind::Exec | MeetingKind::Workshop
        )
    });
    (attended.len() >= 2 && !strategic).then(|| Signal {
        key: "tactical_only",
        name: "Tactical-only conversations",
        level: SignalLevel::Yellow,
        source: SignalSource::EngagementFramework,
        summary: format!(
            "{} attended in the last 90 days, none of them strategic (a QBR, executive meeting or workshop)",
            crate::numbers::count(attended.len() as u64, "meeting", None)
        ),
        evidence: attended
            .iter()
            .map(|meeting| SignalEvidence {
                at: at(meeting.at),
                // "check-in meeting", as people write it.
                detail: format!("{} meeting", meeting.kind.as_str().replace('_', "-")),
            })
            .collect(),
    })
}

/// Yellow (health): logins down 20 % week over week: the last 7 days' logins
/// at most 80 % of the 7 days before.
fn logins_down_week(account: &AccountState, end: i64) -> Option<Signal> {
    let (now, before) = login_windows(account, end, 7);
    (before > 0 && (now as f64) <= 0.8 * before as f64).then(|| Signal {
        key: "logins_down_week_over_week",
        name: "Login frequency decline",
        level: SignalLevel::Yellow,
        source: SignalSource::HealthFramework,
        summary: format!(
            "{} in the last 7 days against {before} the week before (-{})",
            crate::numbers::count(now as u64, "login", None),
            crate::numbers::percent(drop_percent(now, before), 0)
        ),
        evidence: Vec::new(),
    })
}

/// Yellow (health): no executive login in 30 days: the account has executive
/// contacts, none of them used the product (a login, session or feature use by
/// a user named by the executive's e-mail) and none engaged in the last 30 days.
fn no_executive_login(account: &AccountState, end: i64) -> Option<Signal> {
    let start = end - 30 * DAY;
    let executives = role_engagements(account, ContactRole::Executive, end);
    if executives.is_empty()
        || executives
            .iter()
            .any(|(_, last)| last.is_some_and(|last| last >= start))
    {
        return None;
    }
    let mut active = vec![false; account.users.len()];
    account.for_each_active_user(start, end, |user| active[user as usize] = true);
    let logged_in = executives.iter().any(|(contact, _)| {
        let email = &account.contact_emails[*contact];
        account
            .users
            .iter()
            .zip(&active)
            .any(|(user, active)| *active && user.eq_ignore_ascii_case(email))
    });
    (!logged_in).then(|| Signal {
        key: "no_executive_login",
        name: "No executive activity in 30 days",
        level: SignalLevel::Yellow,
        source: SignalSource::HealthFramework,
        summary: format!(
            "none of the {} logged in or engaged in the last 30 days",
            crate::numbers::count(executives.len() as u64, "executive contact", None)
        ),
        evidence: executives
            .iter()
            .map(|(contact, last)| SignalEvidence {
                at: last.map(Timestamp::from_millis),
                detail: format!(
                    "{} (last engagement)",
                    contact_name(account, *contact as u32)
                ),
            })
            .collect(),
    })
}

fn severity_rank(severity: Severity) -> f64 {
    match severity {
        Severity::Low => 1.0,
        Severity::Normal => 2.0,
        Severity::High => 3.0,
        Severity::Urgent => 4.0,
    }
}

/// Yellow (health): ticket severity rising: the mean severity (low 1 … urgent
/// 4) of the ticket events of the last 30 days is above that of the 30 days
/// before, and one of them is high or urgent.
fn ticket_severity_rising(account: &AccountState, end: i64) -> Option<Signal> {
    let window =
        |start: i64, stop: i64| &account.tickets[range_of(&account.tickets, start, stop, |t| t.at)];
    let (now, before) = (
        window(end - 30 * DAY, end),
        window(end - 60 * DAY, end - 30 * DAY),
    );
    let mean = |events: &[crate::engine::state::TicketEvent]| {
        (!events.is_empty()).then(|| {
            events
                .iter()
                .map(|event| severity_rank(event.severity))
                .sum::<f64>()
                / events.len() as f64
        })
    };
    let (mean_now, mean_before) = (mean(now)?, mean(before)?);
    let severe: Vec<SignalEvidence> = now
        .iter()
        .filter(|event| event.severity >= Severity::High)
        .map(|event| SignalEvidence {
            at: at(event.at),
            detail: format!(
                "ticket {} ({})",
                &account.ticket_ids[event.ticket as usize],
                event.severity.as_str()
            ),
        })
        .collect();
    (mean_now > mean_before && !severe.is_empty()).then(|| Signal {
        key: "ticket_severity_rising",
        name: "Ticket severity rising",
        level: SignalLevel::Yellow,
        source: SignalSource::HealthFramework,
        summary: format!(
            "the {} of the last 30 days have a mean severity of {}, against {} for the {} of the 30 days before (low 1 … urgent 4)",
            crate::numbers::count(now.len() as u64, "ticket event", None),
            crate::numbers::fixed(mean_now, 1),
            crate::numbers::fixed(mean_before, 1),
            crate::numbers::count(before.len() as u64, "event", None)
        ),
        evidence: severe,
    })
}

/// Yellow (health): repeated issues: a ticket reopened in the last 30 days:
/// an open or pending event whose previous event of the same ticket was solved
/// or closed. The summary counts tickets; a ticket reopened twice is one
/// ticket with two reopenings.
fn repeated_issues(account: &AccountState, end: i64) -> Option<Signal> {
    let start = end - 30 * DAY;
    let events = &account.tickets[..account.tickets.partition_point(|t| t.at < end)];
    let mut previous: Vec<Option<TicketStatus>> = vec![None; account.ticket_ids.len()];
    let mut tickets: Vec<u32> = Vec::new();
    let mut evidence = Vec::new();
    for event in events {
        let before = previous[event.ticket as usize].replace(event.status);
        let reopened = matches!(event.status, TicketStatus::Open | TicketStatus::Pending)
            && matches!(before, Some(TicketStatus::Solved | TicketStatus::Closed));
        if event.at < start || !reopened {
            continue;
        }
        if !tickets.contains(&event.ticket) {
            tickets.push(event.ticket);
        }
        evidence.push(SignalEvidence {
            at: at(event.at),
            detail: format!(
                "ticket {} reopened",
                &account.ticket_ids[event.ticket as usize]
            ),
        });
    }
    let reopenings = if evidence.len() > tickets.len() {
        format!(
            " ({} in all)",
            crate::numbers::count(evidence.len() as u64, "reopening", None)
        )
    } else {
        String::new()
    };
    (!evidence.is_empty()).then(|| Signal {
        key: "repeated_issues",
        name: "Repeated issues",
        level: SignalLevel::Yellow,
        source: SignalSource::HealthFramework,
        summary: format!(
            "{} reopened in the last 30 days{reopenings}",
            crate::numbers::count(tickets.len() as u64, "ticket", None)
        ),
        evidence,
    })
}

/// The negative interactions in `[start, end)`, in time order: tickets with
/// negative sentiment (a ticket once, at its first negative event of the
/// window, however many updates it had), NPS answers 0–6 and CSAT answers 1–2.
pub(crate) fn negative_interactions(
    account: &AccountState,
    start: i64,
    end: i64,
) -> Vec<SignalEvidence> {
    negative_interactions_by_kind(account, start, end).0
}

/// [`negative_interactions`] with how many of them are tickets, NPS answers
/// and CSAT answers.
fn negative_interactions_by_kind(
    account: &AccountState,
    start: i64,
    end: i64,
) -> (Vec<SignalEvidence>, [usize; 3]) {
    let mut tickets: Vec<u32> = Vec::new();
    let mut found: Vec<SignalEvidence> = Vec::new();
    for ticket in &account.tickets[range_of(&account.tickets, start, end, |t| t.at)] {
        if ticket.sentiment == Some(Sentiment::Negative) && !tickets.contains(&ticket.ticket) {
            tickets.push(ticket.ticket);
            found.push(SignalEvidence {
                at: at(ticket.at),
                detail: format!(
                    "ticket {}: negative sentiment",
                    &account.ticket_ids[ticket.ticket as usize]
                ),
            });
        }
    }
    let (mut nps, mut csat) = (0, 0);
    for survey in &account.surveys[range_of(&account.surveys, start, end, |s| s.at)] {
        let negative = if survey.nps {
            survey.score <= 6
        } else {
            survey.score <= 2
        };
        if !negative {
            continue;
        }
        if survey.nps {
            nps += 1;
        } else {
            csat += 1;
        }
        found.push(SignalEvidence {
            at: at(survey.at),
            detail: format!(
                "{} {} from {}",
                if survey.nps { "NPS" } else { "CSAT" },
                survey.score,
                contact_name(account, survey.contact)
            ),
        });
    }
    found.sort_by_key(|evidence| evidence.at);
    (found, [tickets.len(), nps, csat])
}

/// Yellow (health): negative sentiment: 2+ negative interactions in the last
/// 30 days (the poor-sentiment playbook starts at 3).
fn negative_sentiment(account: &AccountState, end: i64) -> Option<Signal> {
    let (evidence, [tickets, nps, csat]) =
        negative_interactions_by_kind(account, end - 30 * DAY, end);
    (evidence.len() >= 2).then(|| Signal {
        key: "negative_sentiment",
        name: "Negative sentiment",
        level: SignalLevel::Yellow,
        source: SignalSource::HealthFramework,
        summary: format!(
            "{} in the last 30 days: {}",
            crate::numbers::count(evidence.len() as u64, "negative interaction", None),
            counted(&[
                (
                    tickets,
                    "ticket with negative sentiment",
                    "tickets with negative sentiment"
                ),
                (nps, "NPS answer of 0–6", "NPS answers of 0–6"),
                (csat, "CSAT answer of 1–2", "CSAT answers of 1–2"),
            ])
        ),
        evidence,
    })
}

/// Yellow (health): feature adoption stagnation: the account has used features
/// for more than 60 days, none for the first time in the last 60 days, and
/// catalogue features remain that it has never used (an account using the
/// whole catalogue has nothing left to adopt).
fn feature_stagnation(
    portfolio: &PortfolioState,
    account: &AccountState,
    end: i64,
) -> Option<Signal> {
    let uses = &account.feature_uses[..account.feature_uses.partition_point(|f| f.at < end)];
    let first_use = uses.first()?.at;
    let start = end - 60 * DAY;
    if first_use >= start {
        return None;
    }
    let mut seen: Vec<u32> = Vec::new();
    let mut last_new = first_use;
    for event in uses {
        if !seen.contains(&event.feature) {
            seen.push(event.feature);
            last_new = event.at;
        }
    }
    let catalogue: Vec<u32> = portfolio
        .catalogue_weights
        .iter()
        .enumerate()
        .filter(|(_, weight)| weight.is_some() && portfolio.catalogue_size > 0)
        .map(|(feature, _)| feature as u32)
        .collect();
    let never_used = catalogue
        .iter()
        .filter(|feature| !seen.contains(feature))
        .count();
    (last_new < start && never_used > 0).then(|| Signal {
        key: "feature_adoption_stagnation",
        name: "No new feature adopted in 60 days",
        level: SignalLevel::Yellow,
        source: SignalSource::HealthFramework,
        summary: format!(
            "{} used so far, none for the first time in the last 60 days (the last new one on {}); {} of the catalogue's {} never used",
            crate::numbers::count(seen.len() as u64, "feature", None),
            date(last_new),
            never_used,
            crate::numbers::count(catalogue.len() as u64, "feature", None)
        ),
        evidence: vec![SignalEvidence {
            at: at(last_new),
            detail: "last first use of a feature".into(),
        }],
    })
}

/// Yellow (health): training no-shows in the last 30 days.
fn training_no_shows(account: &AccountState, end: i64) -> Option<Signal> {
    let evidence: Vec<SignalEvidence> = account.trainings
        [range_of(&account.trainings, end - 30 * DAY, end, |t| t.at)]
    .iter()
    .filter(|training| !training.attended)
    .map(|training| SignalEvidence {
        at: at(training.at),
        detail: format!(
            "training no-show: {}",
            contact_name(account, training.contact)
        ),
    })
    .collect();
    (!evidence.is_empty()).then(|| Signal {
        key: "training_no_shows",
        name: "Training no-shows",
        level: SignalLevel::Yellow,
        source: SignalSource::HealthFramework,
        summary: format!(
            "{} in the last 30 days",
            crate::numbers::count(evidence.len() as u64, "training no-show", None)
        ),
        evidence,
    })
}
