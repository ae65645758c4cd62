//! Evidence from an account's data for the root causes of a low factor
//! (`definitions.md` §3.2): the unanswered threads, the slow answers, the missed
//! meetings, the users who went quiet, the unused features, the open feature
//! requests, the contacts and when they last engaged. Each function reads the
//! same columns the factors are computed from, with the same point-in-time rule
//! (nothing at or after `as_of`).

use serde::Serialize;

use super::facts::Window;
use super::state::{AccountState, PortfolioState, range_of};
use crate::activity::{MeetingKind, MeetingStatus, Party, Severity, TicketStatus};
use crate::domain::ContactRole;
use crate::time::{MILLIS_PER_DAY, Timestamp};

/// A thread with a run of consecutive unanswered outbound e-mails.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnansweredThread {
    pub thread: String,
    /// Outbound e-mails in the run whose next message is not inbound.
    pub unanswered: u32,
    pub first_sent: Timestamp,
    pub last_sent: Timestamp,
    /// Whether the customer answered the run's last e-mail (before `as_of`).
    pub answered_at_last: bool,
}

/// Threads with a run of at least `min_run` consecutive unanswered outbound
/// e-mails that reaches into the window (its last e-mail sent at or after the
/// window's start). A run ends at an inbound message; its last outbound e-mail
/// counts as answered when that message follows it.
pub fn unanswered_threads(
    account: &AccountState,
    window: Window,
    min_run: u32,
) -> Vec<UnansweredThread> {
    let (start, end) = (window.start(), window.end());
    let mut threads: Vec<u32> = account.emails[range_of(&account.emails, start, end, |e| e.at)]
        .iter()
        .filter(|email| !email.inbound)
        .map(|email| email.thread)
        .collect();
    threads.sort_unstable();
    threads.dedup();
    let mut found = Vec::new();
    for thread in threads {
        let messages = &account.threads[thread as usize];
        let messages = &messages[..messages.partition_point(|message| message.at() < end)];
        let mut best: Option<UnansweredThread> = None;
        let mut index = 0;
        while index < messages.len() {
            if messages[index].inbound() {
                index += 1;
                continue;
            }
            let run_start = index;
            while index < messages.len() && !messages[index].inbound() {
                index += 1;
            }
            let run = &messages[run_start..index];
            let answered = index < messages.len();
            let unanswered = run.len() as u32 - u32::from(answered);
            let last = run[run.len() - 1].at();
            if unanswered >= min_run && last >= start {
                let candidate = UnansweredThread {
                    thread: account.thread_name(thread).to_string(),
                    unanswered,
                    first_sent: Timestamp::from_millis(run[0].at()),
                    last_sent: Timestamp::from_millis(last),
                    answered_at_last: answered,
                };
                if best
                    .as_ref()
                    .is_none_or(|best| candidate.unanswered >= best.unanswered)
                {
                    best = Some(candidate);
                }
            }
        }
        found.extend(best);
    }
    found.sort_by(|a, b| {
        b.unanswered
            .cmp(&a.unanswered)
            .then(b.last_sent.cmp(&a.last_sent))
    });
    found
}

/// A responded outbound e-mail and how long the answer took.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlowResponse {
    pub thread: String,
    pub sent: Timestamp,
    pub answered: Timestamp,
    pub hours: f64,
}

/// The responded outbound e-mails of the window that took longer than
/// `target_hours`, slowest first.
pub fn slow_responses(
    account: &AccountState,
    window: Window,
    target_hours: f64,
) -> Vec<SlowResponse> {
    let (start, end) = (window.start(), window.end());
    let mut slow = Vec::new();
    for email in &account.emails[range_of(&account.emails, start, end, |e| e.at)] {
        if email.inbound {
            continue;
        }
        let thread = &account.threads[email.thread as usize];
        let next = thread.partition_point(|message| message.at() <= email.at);
        let Some(reply) = thread.get(next).filter(|message| message.at() < end) else {
            continue;
        };
        let answered = thread[next..]
            .iter()
            .take_while(|message| message.at() == reply.at())
            .any(|message| message.inbound());
        let hours = (reply.at() - email.at) as f64 / 3_600_000.0;
        if answered && hours > target_hours {
            slow.push(SlowResponse {
                thread: account.thread_name(email.thread).to_string(),
                sent: Timestamp::from_millis(email.at),
                answered: Timestamp::from_millis(reply.at()),
                hours,
            });
        }
    }
    slow.sort_by(|a, b| b.hours.total_cmp(&a.hours));
    slow
}

/// A counted meeting the customer missed: a no-show, or cancelled by them.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MissedMeeting {
    pub at: Timestamp,
    pub status: MeetingStatus,
    pub kind: MeetingKind,
}

pub fn missed_meetings(account: &AccountState, window: Window) -> Vec<MissedMeeting> {
    account.meetings[range_of(&account.meetings, window.start(), window.end(), |m| m.at)]
        .iter()
        .filter(|meeting| {
            meeting.status == MeetingStatus::NoShow
                || (meeting.status == MeetingStatus::Cancelled
                    && meeting.cancelled_by == Some(Party::Customer))
        })
        .map(|meeting| MissedMeeting {
            at: Timestamp::from_millis(meeting.at),
            status: meeting.status,
            kind: meeting.kind,
        })
        .collect()
}

/// The last contact the customer initiated before `as_of` (an inbound e-mail
/// opening a thread, a meeting they initiated, an inbound call), if any.
pub fn last_customer_initiated(account: &AccountState, as_of: Timestamp) -> Option<Timestamp> {
    let end = as_of.millis();
    let emails = &account.emails[..account.emails.partition_point(|e| e.at < end)];
    let email = emails
        .iter()
        .rev()
        .find(|email| {
            email.inbound && {
                let thread = &account.threads[email.thread as usize];
                thread
                    .first()
                    .is_some_and(|first| first.at() == email.at && first.inbound())
            }
        })
        .map(|email| email.at);
    let meetings = &account.meetings[..account.meetings.partition_point(|m| m.at < end)];
    let meeting = meetings
        .iter()
        .rev()
        .find(|meeting| meeting.initiated_by_customer)
        .map(|meeting| meeting.at);
    let calls = &account.calls[..account.calls.partition_point(|call| call.at < end)];
    let call = calls
        .iter()
        .rev()
        .find(|call| call.inbound)
        .map(|call| call.at);
    [email, meeting, call]
        .into_iter()
        .flatten()
        .max()
        .map(Timestamp::from_millis)
}

/// The distinct users active in `window`, as a flag per user index.
fn active_flags(account: &AccountState, window: Window) -> Vec<bool> {
    let mut active = vec![false; account.users.len()];
    account.for_each_active_user(window.start(), window.end(), |user| {
        active[user as usize] = true;
    });
    active
}

/// Users active in the compare window and not in the current one, by name.
pub fn users_gone_quiet(account: &AccountState, window: Window, compare: Window) -> Vec<String> {
    let now = active_flags(account, window);
    let before = active_flags(account, compare);
    let mut users: Vec<String> = before
        .iter()
        .zip(&now)
        .enumerate()
        .filter(|(_, (before, now))| **before && !**now)
        .map(|(user, _)| account.users[user].to_string())
        .collect();
    users.sort();
    users
}

/// Users seen on the account (a login, a session, a feature used) who were
/// not active in `window`, by name.
pub fn inactive_users(account: &AccountState, window: Window) -> Vec<String> {
    let now = active_flags(account, window);
    let mut users: Vec<String> = now
        .iter()
        .enumerate()
        .filter(|(_, active)| !**active)
        .map(|(user, _)| account.users[user].to_string())
        .collect();
    users.sort();
    users
}

/// A catalogue feature the account did not use in the window.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnusedFeature {
    pub key: String,
    /// Importance weight (core 2, advanced 1.5, basic 1).
    pub weight: f64,
}

/// Catalogue features unused in the window, most important first.
pub fn unused_features(
    portfolio: &PortfolioState,
    account: &AccountState,
    window: Window,
) -> Vec<UnusedFeature> {
    let mut used = vec![false; portfolio.feature_keys.len()];
    let uses = &account.feature_uses[range_of(
        &account.feature_uses,
        window.start(),
        window.end(),
        |event| event.at,
    )];
    for event in uses {
        if let Some(flag) = used.get_mut(event.feature as usize) {
            *flag = true;
        }
    }
    let mut unused: Vec<UnusedFeature> = portfolio
        .catalogue_weights
        .iter()
        .zip(&used)
        .zip(&portfolio.feature_keys)
        .filter_map(|((weight, used), key)| {
            weight.filter(|_| !used).map(|weight| UnusedFeature {
                key: key.clone(),
                weight,
            })
        })
        .collect();
    unused.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.key.cmp(&b.key)));
    unused
}

/// A ticket open at `as_of`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpenTicket {
    pub ticket: String,
    pub opened: Timestamp,
    pub status: TicketStatus,
    pub severity: Severity,
}

/// Tickets tagged `feature_request` (in any of their events before `as_of`)
/// whose latest status before `as_of` is open or pending, oldest first.
pub fn open_feature_requests(account: &AccountState, as_of: Timestamp) -> Vec<OpenTicket> {
    let end = as_of.millis();
    let events = &account.tickets[..account.tickets.partition_point(|t| t.at < end)];
    // Per ticket: (first seen, latest event, tagged).
    let mut state: Vec<Option<(i64, usize, bool)>> = vec![None; account.ticket_ids.len()];
    for (index, event) in events.iter().enumerate() {
        let slot = &mut state[event.ticket as usize];
        *slot = Some(match *slot {
            None => (event.at, index, event.feature_request),
            Some((first, _, tagged)) => (first, index, tagged || event.feature_request),
        });
    }
    let mut open: Vec<OpenTicket> = state
        .iter()
        .enumerate()
        .filter_map(|(ticket, slot)| {
            let (first, latest, tagged) = (*slot)?;
            let latest = &events[latest];
            (tagged && matches!(latest.status, TicketStatus::Open | TicketStatus::Pending)).then(
                || OpenTicket {
                    ticket: account.ticket_ids[ticket].to_string(),
                    opened: Timestamp::from_millis(first),
                    status: latest.status,
                    severity: latest.severity,
                },
            )
        })
        .collect();
    open.sort_by(|a, b| a.opened.cmp(&b.opened).then(a.ticket.cmp(&b.ticket)));
    open
}

/// A contact and when it last engaged before `as_of`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactEngagement {
    pub email: String,
    pub name: Option<String>,
    pub role: Option<ContactRole>,
    pub last_engaged: Option<Timestamp>,
    pub days_since: Option<f64>,
}

fn contact_engagement(account: &AccountState, contact: usize, end: i64) -> ContactEngagement {
    let instants = &account.engagements[contact];
    let last = instants
        .partition_point(|instant| *instant < end)
        .checked_sub(1)
        .map(|index| instants[index]);
    ContactEngagement {
        email: account.contact_emails[contact].to_string(),
        name: account.contact_names[contact]
            .as_deref()
            .map(str::to_string),
        role: account.contact_roles[contact],
        last_engaged: last.map(Timestamp::from_millis),
        days_since: last.map(|last| (end - last) as f64 / MILLIS_PER_DAY as f64),
    }
}

/// The account's contacts with `role`, most recently engaged first (never
/// engaged last).
pub fn contacts_with_role(
    account: &AccountState,
    role: ContactRole,
    as_of: Timestamp,
) -> Vec<ContactEngagement> {
    let mut contacts: Vec<ContactEngagement> = (0..account.contact_emails.len())
        .filter(|contact| account.contact_roles[*contact] == Some(role))
        .map(|contact| contact_engagement(account, contact, as_of.millis()))
        .collect();
    contacts.sort_by(|a, b| {
        b.last_engaged
            .cmp(&a.last_engaged)
            .then(a.email.cmp(&b.email))
    });
    contacts
}

/// Contacts engaged in the relationship look-back `[as_of − max(90d, P), as_of)`
/// and the contacts on file who were not, each with their last engagement.
pub fn stakeholders(
    account: &AccountState,
    window: Window,
) -> (Vec<ContactEngagement>, Vec<ContactEngagement>) {
    let (start, end) = (window.relationship_start(), window.end());
    let (mut engaged, mut quiet) = (Vec::new(), Vec::new());
    for contact in 0..account.contact_emails.len() {
        let instants = &account.engagements[contact];
        if !range_of(instants, start, end, |instant| *instant).is_empty() {
            engaged.push(contact_engagement(account, contact, end));
        } else if account.contact_roles[contact].is_some() {
            quiet.push(contact_engagement(account, contact, end));
        }
    }
    engaged.sort_by(|a, b| a.email.cmp(&b.email));
    quiet.sort_by(|a, b| {
        b.last_engaged
            .cmp(&a.last_engaged)
            .then(a.email.cmp(&b.email))
    });
    (engaged, quiet)
}

/// One of our outbound e-mails or calls addressed to some of the contacts asked about.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OutreachTo {
    pub at: i64,
    /// The e-mail's thread; `None` for a call.
    pub thread: Option<u32>,
    /// The contacts asked about that it was addressed to (contact indices).
    pub contacts: Vec<u32>,
}

/// Our outreach in `[start, end)` addressed to any of `contacts` (contact
/// indices), in time order: outbound e-mails naming one of them in `to` (one
/// record an e-mail, however many of them it names; an e-mail is told apart by
/// its instant and thread) and outbound calls to one of them. Outreach to
/// anyone else, and e-mails without `to`, are not theirs.
pub(crate) fn outreach_to(
    account: &AccountState,
    contacts: &[usize],
    start: i64,
    end: i64,
) -> Vec<OutreachTo> {
    let asked = |contact: u32| contacts.contains(&(contact as usize));
    let mut found: Vec<OutreachTo> = Vec::new();
    let recipients =
        &account.outbound_recipients[range_of(&account.outbound_recipients, start, end, |r| r.at)];
    for recipient in recipients.iter().filter(|r| asked(r.contact)) {
        let same_email = found
            .iter_mut()
            .rev()
            .take_while(|outreach| outreach.at == recipient.at)
            .find(|outreach| outreach.thread == Some(recipient.thread));
        match same_email {
            Some(outreach) if !outreach.contacts.contains(&recipient.contact) => {
                outreach.contacts.push(recipient.contact);
            }
            Some(_) => {}
            None => found.push(OutreachTo {
                at: recipient.at,
                thread: Some(recipient.thread),
                contacts: vec![recipient.contact],
            }),
        }
    }
    found.extend(
        account.calls[range_of(&account.calls, start, end, |call| call.at)]
            .iter()
            .filter(|call| !call.inbound && call.contact != super::state::NO_CONTACT)
            .filter(|call| asked(call.contact))
            .map(|call| OutreachTo {
                at: call.at,
                thread: None,
                contacts: vec![call.contact],
            }),
    );
    found.sort_by_key(|outreach| outreach.at);
    found
}
