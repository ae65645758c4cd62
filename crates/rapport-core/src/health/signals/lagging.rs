//! The health framework's lagging (confirmatory) indicators (seed 004,
//! "Lagging Indicators"): renewal discussions (delayed responses near the
//! renewal, budget concerns raised, competition mentioned) and user feedback
//! (declining NPS, escalation frequency). They confirm a risk more than they
//! predict one, so each is a [`Signal`] whose source is
//! [`SignalSource::HealthFrameworkLagging`]. The only text the import contract
//! carries is an e-mail's `subject` and a ticket's `tags`: budget and
//! competition are found there (`engine::state::TOPIC_WORDS`). "Negative
//! reviews" has no data in the contract and is not evaluated.

use chrono::NaiveDate;

use super::{DAY, Signal, SignalEvidence, SignalLevel, SignalSource, at, contact_name, counted};
use crate::activity::Severity;
use crate::engine::AccountState;
use crate::engine::state::{MentionSource, Topic, range_of};
use crate::time::Timestamp;

/// A renewal is near when its date is at most this many days after `as_of`.
pub const RENEWAL_NEAR_DAYS: i64 = 90;
/// An answer to our e-mail later than this is delayed (as for `response_time_rising`).
pub const DELAYED_ANSWER_HOURS: i64 = 72;
/// How far back budget, competition, NPS and escalations are looked for.
pub const LOOK_BACK_DAYS: i64 = 90;
/// A fall in the mean NPS answer of at least this is a decline.
pub const NPS_DECLINE_POINTS: f64 = 1.0;

/// Every lagging indicator that fires for `account` before `end`.
pub(super) fn lagging_indicators(account: &AccountState, end: i64) -> Vec<Signal> {
    [
        delayed_responses_near_renewal(account, end),
        topic_raised(account, end, Topic::Budget),
        topic_raised(account, end, Topic::Competition),
        nps_declining(account, end),
        escalation_frequency(account, end),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The renewal date and the days until it, when it falls in
/// `[as_of's date, as_of's date + 90 days]`.
fn renewal_near(account: &AccountState, end: i64) -> Option<(NaiveDate, i64)> {
    let renewal = account.account()?.renewal_date?;
    let days = (renewal - Timestamp::from_millis(end).date()).num_days();
    (0..=RENEWAL_NEAR_DAYS)
        .contains(&days)
        .then_some((renewal, days))
}

fn renewal_phrase((renewal, days): (NaiveDate, i64)) -> String {
    match days {
        0 => format!("renewal on {renewal}, today"),
        days => format!(
            "renewal on {renewal}, in {}",
            crate::numbers::count(days as u64, "day", None)
        ),
    }
}

/// Red (renewal discussions, "delayed responses"): the renewal is near, and of
/// our outbound e-mails of the last 30 days that are at least 72 h old, 2 or
/// more, and at least half, got no answer within 72 h: the next message of
/// their thread (before `as_of`) is the customer's, more than 72 h later, or
/// there is none or it is ours (unanswered, as for the response rate).
fn delayed_responses_near_renewal(account: &AccountState, end: i64) -> Option<Signal> {
    let near = renewal_near(account, end)?;
    let delay = DELAYED_ANSWER_HOURS * 3_600_000;
    let (mut sent, mut late, mut unanswered) = (0usize, 0usize, 0usize);
    let mut evidence = Vec::new();
    let emails = &account.emails[range_of(&account.emails, end - 30 * DAY, end - delay, |e| e.at)];
    for email in emails.iter().filter(|email| !email.inbound) {
        sent += 1;
        let thread = &account.threads[email.thread as usize];
        let next = thread.partition_point(|message| message.at() <= email.at);
        let answer = thread
            .get(next)
            .filter(|message| message.at() < end && message.inbound());
        let detail = match answer {
            Some(answer) if answer.at() - email.at > delay => {
                late += 1;
                format!(
                    "answered after {} h",
                    crate::numbers::fixed((answer.at() - email.at) as f64 / 3_600_000.0, 0)
                )
            }
            Some(_) => continue,
            None => {
                unanswered += 1;
                "unanswered".to_string()
            }
        };
        evidence.push(SignalEvidence {
            at: at(email.at),
            detail: format!(
                "our e-mail in thread `{}`: {detail}",
                account.thread_name(email.thread)
            ),
        });
    }
    let delayed = late + unanswered;
    (delayed >= 2 && 2 * delayed >= sent).then(|| Signal {
        key: "renewal_delayed_responses",
        name: "Delayed responses near renewal",
        level: SignalLevel::Red,
        source: SignalSource::HealthFrameworkLagging,
        summary: format!(
            "{}: {delayed} of our {} of the last 30 days (those sent {DELAYED_ANSWER_HOURS} h or more ago) got no answer within {DELAYED_ANSWER_HOURS} h ({})",
            renewal_phrase(near),
            crate::numbers::count(sent as u64, "e-mail", None),
            counted(&[
                (late, "answered later", "answered later"),
                (unanswered, "unanswered", "unanswered"),
            ])
        ),
        evidence,
    })
}

/// Renewal discussions, "budget concerns raised" and "competition
/// mentioned": the customer named the topic (`TOPIC_WORDS`) in the subject of
/// an inbound e-mail or in a ticket's tag in the last 90 days. Counted by
/// thread and ticket (a thread of five replies on pricing is one), each with
/// its first mention. Red when the renewal is near, yellow otherwise.
fn topic_raised(account: &AccountState, end: i64, topic: Topic) -> Option<Signal> {
    let start = end - LOOK_BACK_DAYS * DAY;
    let mut sources: Vec<MentionSource> = Vec::new();
    let mut evidence = Vec::new();
    for mention in &account.topic_mentions[range_of(&account.topic_mentions, start, end, |m| m.at)]
    {
        if mention.topic != topic || sources.contains(&mention.source) {
            continue;
        }
        sources.push(mention.source);
        evidence.push(SignalEvidence {
            at: at(mention.at),
            detail: match mention.source {
                MentionSource::Email(thread) => format!(
                    "customer e-mail in thread `{}`: \"{}\"",
                    account.thread_name(thread),
                    mention.text
                ),
                MentionSource::Ticket(ticket) => format!(
                    "ticket {} tagged `{}`",
                    &account.ticket_ids[ticket as usize], mention.text
                ),
            },
        });
    }
    if evidence.is_empty() {
        return None;
    }
    let threads = sources
        .iter()
        .filter(|source| matches!(source, MentionSource::Email(_)))
        .count();
    let near = renewal_near(account, end);
    let (key, name, what) = match topic {
        Topic::Budget => (
            "budget_concerns",
            "Budget concerns raised",
            "raised budget or cost",
        ),
        Topic::Competition => (
            "competition_mentioned",
            "Competition mentioned",
            "mentioned competitors or alternatives",
        ),
        Topic::Escalation => return None,
    };
    Some(Signal {
        key,
        name,
        level: if near.is_some() {
            SignalLevel::Red
        } else {
            SignalLevel::Yellow
        },
        source: SignalSource::HealthFrameworkLagging,
        summary: format!(
            "the customer {what} in {} in the last {LOOK_BACK_DAYS} days (e-mail subjects and ticket tags){}",
            counted(&[
                (threads, "e-mail thread", "e-mail threads"),
                (sources.len() - threads, "ticket", "tickets"),
            ]),
            near.map_or_else(String::new, |near| format!("; {}", renewal_phrase(near)))
        ),
        evidence,
    })
}

/// User feedback, "declining NPS": the mean NPS answer of the last 90 days is
/// at least 1 point below that of the 90 days before (an answer in each
/// needed). Red when the recent mean is in the detractors' range (below 7),
/// yellow otherwise.
fn nps_declining(account: &AccountState, end: i64) -> Option<Signal> {
    let window = |start: i64, stop: i64| -> Vec<_> {
        account.surveys[range_of(&account.surveys, start, stop, |s| s.at)]
            .iter()
            .filter(|survey| survey.nps)
            .collect()
    };
    let now = window(end - LOOK_BACK_DAYS * DAY, end);
    let before = window(end - 2 * LOOK_BACK_DAYS * DAY, end - LOOK_BACK_DAYS * DAY);
    let mean = |answers: &[&crate::engine::state::SurveyEvent]| {
        (!answers.is_empty())
            .then(|| answers.iter().map(|s| f64::from(s.score)).sum::<f64>() / answers.len() as f64)
    };
    let (mean_now, mean_before) = (mean(&now)?, mean(&before)?);
    (mean_now <= mean_before - NPS_DECLINE_POINTS).then(|| Signal {
        key: "nps_declining",
        name: "Declining NPS",
        level: if mean_now < 7.0 {
            SignalLevel::Red
        } else {
            SignalLevel::Yellow
        },
        source: SignalSource::HealthFrameworkLagging,
        summary: format!(
            "mean NPS answer {} over {} in the last {LOOK_BACK_DAYS} days, against {} over {} in the {LOOK_BACK_DAYS} days before",
            crate::numbers::fixed(mean_now, 1),
            crate::numbers::count(now.len() as u64, "answer", None),
            crate::numbers::fixed(mean_before, 1),
            crate::numbers::count(before.len() as u64, "answer", None)
        ),
        evidence: before
            .iter()
            .chain(&now)
            .map(|survey| SignalEvidence {
                at: at(survey.at),
                detail: format!(
                    "NPS {} from {}",
                    survey.score,
                    contact_name(account, survey.contact)
                ),
            })
            .collect(),
    })
}

/// User feedback, "escalation frequency": 2 or more tickets escalated in the
/// last 90 days, more than in the 90 days before. A ticket is escalated by an
/// event that raises its severity above its previous event's, or that is
/// tagged as an escalation (`escalation`, `escalated`…); it counts once per
/// window, at its first escalation there.
fn escalation_frequency(account: &AccountState, end: i64) -> Option<Signal> {
    let start = end - LOOK_BACK_DAYS * DAY;
    let start_before = start - LOOK_BACK_DAYS * DAY;
    let events = &account.tickets[..account.tickets.partition_point(|t| t.at < end)];
    let mut severity: Vec<Option<Severity>> = vec![None; account.ticket_ids.len()];
    let (mut now, mut before): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
    let mut evidence = Vec::new();
    for event in events {
        let previous = severity[event.ticket as usize].replace(event.severity);
        if event.at < start_before {
            continue;
        }
        let raised = previous.filter(|previous| event.severity > *previous);
        let tag = account.topic_mentions
            [range_of(&account.topic_mentions, event.at, event.at + 1, |m| m.at)]
        .iter()
        .find(|mention| {
            mention.topic == Topic::Escalation
                && mention.source == MentionSource::Ticket(event.ticket)
        });
        let ticket = &account.ticket_ids[event.ticket as usize];
        let detail = match (raised, tag) {
            (Some(previous), _) => format!(
                "ticket {ticket} raised from {} to {}",
                previous.as_str(),
                event.severity.as_str()
            ),
            (None, Some(tag)) => format!("ticket {ticket} tagged `{}`", tag.text),
            (None, None) => continue,
        };
        let tickets = if event.at >= start {
            &mut now
        } else {
            &mut before
        };
        if tickets.contains(&event.ticket) {
            continue;
        }
        tickets.push(event.ticket);
        if event.at >= start {
            evidence.push(SignalEvidence {
                at: at(event.at),
                detail,
            });
        }
    }
    (now.len() >= 2 && now.len() > before.len()).then(|| Signal {
        key: "escalation_frequency",
        name: "Escalations more frequent",
        level: SignalLevel::Yellow,
        source: SignalSource::HealthFrameworkLagging,
        summary: format!(
            "{} escalated (severity raised, or tagged as an escalation) in the last {LOOK_BACK_DAYS} days, against {} in the {LOOK_BACK_DAYS} days before",
            crate::numbers::count(now.len() as u64, "ticket", None),
            before.len()
        ),
        evidence,
    })
}
