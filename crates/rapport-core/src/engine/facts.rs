//! Window aggregation: one account's state and a window → the current value of
//! each of the eleven PRD-070 factors (`definitions.md` §3.1), plus the counts
//! behind them so explanations can cite evidence. `None` means "no data".

use serde::Serialize;

use super::state::NO_CONTACT;
use super::state::{AccountState, PortfolioState, range_of};
use crate::activity::{
    CommunityAction, MeetingKind, MeetingStatus, Party, PaymentStatus, Sentiment,
};
use crate::domain::ContactRole;
use crate::time::{MILLIS_PER_DAY, Period, Timestamp};

/// `W = [as_of − P, as_of)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Window {
    pub as_of: Timestamp,
    pub period: Period,
}

impl Window {
    pub fn new(as_of: Timestamp, period: Period) -> Self {
        Window { as_of, period }
    }

    pub fn start(&self) -> i64 {
        self.as_of.millis() - self.period.millis()
    }

    pub fn end(&self) -> i64 {
        self.as_of.millis()
    }

    fn days(&self) -> f64 {
        f64::from(self.period.days())
    }

    /// Start of the relationship look-back `[as_of − max(90d, P), as_of)`.
    pub(crate) fn relationship_start(&self) -> i64 {
        self.end() - i64::from(self.period.days().max(90)) * MILLIS_PER_DAY
    }
}

/// The eleven factors' current values and their evidence counts for one window.
#[derive(Debug, Clone, PartialEq, Serialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FactorFacts {
    pub email_response_rate: Option<f64>,
    pub response_time_hours: Option<f64>,
    pub meeting_attendance: Option<f64>,
    pub proactive_outreach_per_month: f64,
    pub login_frequency_per_week: f64,
    pub feature_breadth: Option<f64>,
    pub session_minutes: f64,
    pub active_user_percent: f64,
    pub stakeholder_depth: f64,
    pub days_since_executive: Option<f64>,
    pub days_since_champion: Option<f64>,

    pub outbound_emails: u32,
    pub responded_emails: u32,
    pub meetings_counted: u32,
    pub meetings_attended: u32,
    pub customer_initiated_contacts: u32,
    pub logins: u32,
    pub sessions: u32,
    pub active_users: u32,
    /// The denominator of Active User %: seats, or users seen in the look-back.
    pub user_base: u32,

    // Inputs of the framework engagement and health models (docs/models.md).
    /// Connected calls and attended meetings in W.
    pub csm_touchpoints: f64,
    /// Outbound e-mails in W answered by the customer (an exchange).
    pub email_exchanges: f64,
    /// Distinct tickets with an event in W.
    pub support_interactions: f64,
    /// Trainings attended and community events in W.
    pub training_events: f64,
    /// Every touchpoint in W (e-mails both ways, calls, meetings held): the
    /// framework's engagement velocity compares it with the previous period.
    pub touchpoints: u32,
    /// % of meetings attended in W with an executive among the attendees.
    pub meeting_executive_share: Option<f64>,
    /// % of meetings attended in W that were strategic (QBR, executive, workshop).
    pub meeting_strategic_share: Option<f64>,
    /// 1 when an executive engaged in the relationship look-back, else 0.
    pub executive_engaged: f64,
    /// Champions, power users and departments engaged in the look-back.
    pub champions_engaged: f64,
    pub power_users_engaged: f64,
    pub departments_engaged: f64,
    /// % of ticket events in W with a sentiment whose sentiment is not negative.
    pub ticket_sentiment: Option<f64>,
    /// Negative tickets, NPS detractors (0–6) and CSAT 1–2 answers in W.
    pub negative_interactions: u32,
    /// % of trainings in W attended (the rest were no-shows).
    pub training_attendance: Option<f64>,
    /// Community actions (posts, replies, events) per 30 days.
    pub community_per_month: f64,
    /// The success-metrics score at `as_of` (PRD-069), when the account has goals with data.
    pub success_score: Option<f64>,
    /// NPS (−100…100) over each contact's latest answer in the survey look-back.
    pub nps: Option<f64>,
    /// Mean CSAT in the survey look-back, as a percentage of 5.
    pub csat_percent: Option<f64>,
    /// % of payments in the last 365 days paid on time.
    pub payment_on_time: Option<f64>,
    /// ARR change of the outcomes of the last 365 days, % of the ARR before them.
    pub arr_trend: f64,
}

/// Computes every factor's current value for `account` over `window`.
pub fn factor_facts(
    portfolio: &PortfolioState,
    account: &AccountState,
    window: Window,
) -> FactorFacts {
    let (start, end) = (window.start(), window.end());
    let mut facts = FactorFacts::default();

    // Communication: e-mail response rate and time, over the outbound e-mails in W.
    let mut response_hours_total = 0.0;
    let mut thread_openers = 0u32;
    for email in &account.emails[range_of(&account.emails, start, end, |email| email.at)] {
        let thread = &account.threads[email.thread as usize];
        if email.inbound {
            // An inbound e-mail that opens its thread: no earlier message, and the
            // first of the thread's messages at that instant.
            let first = thread.partition_point(|message| message.at() < email.at);
            if first == 0
                && thread[0].inbound()
                && std::ptr::eq(email, first_inbound_at(account, email))
            {
                thread_openers += 1;
            }
            continue;
        }
        facts.outbound_emails += 1;
        let next = thread.partition_point(|message| message.at() <= email.at);
        if let Some(next_message) = thread.get(next).filter(|message| message.at() < end) {
            // Several messages at the next instant: the customer did answer then.
            let answered = thread[next..]
                .iter()
                .take_while(|message| message.at() == next_message.at())
                .any(|message| message.inbound());
            if answered {
                facts.responded_emails += 1;
                response_hours_total += (next_message.at() - email.at) as f64 / 3_600_000.0;
            }
        }
    }
    if facts.outbound_emails > 0 {
        facts.email_response_rate =
            Some(100.0 * f64::from(facts.responded_emails) / f64::from(facts.outbound_emails));
    }
    if facts.responded_emails > 0 {
        facts.response_time_hours = Some(response_hours_total / f64::from(facts.responded_emails));
    }

    // Meetings: attendance and customer-initiated meetings.
    let mut customer_meetings = 0u32;
    for meeting in &account.meetings[range_of(&account.meetings, start, end, |meeting| meeting.at)]
    {
        if meeting.initiated_by_customer {
            customer_meetings += 1;
        }
        let counted = match meeting.status {
            MeetingStatus::Attended | MeetingStatus::NoShow => true,
            MeetingStatus::Cancelled => meeting.cancelled_by == Some(Party::Customer),
            MeetingStatus::Scheduled => false,
        };
        if counted {
            facts.meetings_counted += 1;
            if meeting.status == MeetingStatus::Attended {
                facts.meetings_attended += 1;
            }
        }
    }
    if facts.meetings_counted > 0 {
        facts.meeting_attendance =
            Some(100.0 * f64::from(facts.meetings_attended) / f64::from(facts.meetings_counted));
    }

    let inbound_calls = account.calls[range_of(&account.calls, start, end, |call| call.at)]
        .iter()
        .filter(|call| call.inbound)
        .count() as u32;
    facts.customer_initiated_contacts = thread_openers + customer_meetings + inbound_calls;
    facts.proactive_outreach_per_month =
        f64::from(facts.customer_initiated_contacts) * 30.0 / window.days();

    // Product: active users, logins, sessions, breadth.
    let user_count = account.users.len();
    let mut seen = vec![false; user_count];
    account.for_each_active_user(start, end, |user| {
        if !std::mem::replace(&mut seen[user as usize], true) {
            facts.active_users += 1;
        }
    });
    facts.logins = account.login_range(start, end).len() as u32;
    if facts.active_users > 0 {
        facts.login_frequency_per_week =
            f64::from(facts.logins) / f64::from(facts.active_users) / (window.days() / 7.0);
    }
    let sessions = &account.sessions[range_of(&account.sessions, start, end, |event| event.at)];
    facts.sessions = sessions.len() as u32;
    if !sessions.is_empty() {
        facts.session_minutes =
            sessions.iter().map(|session| session.minutes).sum::<f64>() / sessions.len() as f64;
    }
    facts.feature_breadth = feature_breadth(portfolio, account, start, end);

    facts.user_base = match account.account.as_ref().and_then(|account| account.seats) {
        Some(seats) if seats > 0 => seats,
        _ => {
            let mut seen_in_lookback = vec![false; user_count];
            let mut count = 0u32;
            account.for_each_active_user(window.relationship_start(), end, |user| {
                if !std::mem::replace(&mut seen_in_lookback[user as usize], true) {
                    count += 1;
                }
            });
            count
        }
    };
    if facts.user_base > 0 {
        facts.active_user_percent =
            100.0 * f64::from(facts.active_users) / f64::from(facts.user_base);
    }

    // Relationship.
    let relationship_start = window.relationship_start();
    facts.stakeholder_depth = account
        .engagements
        .iter()
        .filter(|instants| {
            !range_of(instants, relationship_start, end, |instant| *instant).is_empty()
        })
        .count() as f64;
    facts.days_since_executive = days_since_role(account, ContactRole::Executive, window.as_of);
    facts.days_since_champion = days_since_role(account, ContactRole::Champion, window.as_of);
    model_inputs(account, window, &mut facts);
    facts
}

/// How far back survey answers count: `max(180d, P)`.
const SURVEY_LOOKBACK_DAYS: u32 = 180;
/// How far back payments and ARR changes count.
const FINANCIAL_LOOKBACK_DAYS: i64 = 365;

fn percent(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| 100.0 * f64::from(part) / f64::from(whole))
}

/// The framework and health models' inputs (docs/models.md gives each formula).
fn model_inputs(account: &AccountState, window: Window, facts: &mut FactorFacts) {
    let (start, end) = (window.start(), window.end());
    let calls = &account.calls[range_of(&account.calls, start, end, |call| call.at)];
    let connected_calls = calls.iter().filter(|call| call.connected).count() as u32;
    let meetings = &account.meetings[range_of(&account.meetings, start, end, |m| m.at)];
    let attended: Vec<_> = meetings
        .iter()
        .filter(|meeting| meeting.status == MeetingStatus::Attended)
        .collect();
    let attended_count = attended.len() as u32;
    facts.csm_touchpoints = f64::from(connected_calls + attended_count);
    facts.email_exchanges = f64::from(facts.responded_emails);
    let emails = range_of(&account.emails, start, end, |email| email.at).len() as u32;
    facts.touchpoints = emails + calls.len() as u32 + attended_count;
    let with_role = |meeting: &&super::state::MeetingEvent, role: ContactRole| {
        let first = meeting.attendees_first as usize;
        account.meeting_attendees[first..first + usize::from(meeting.attendees_count)]
            .iter()
            .any(|contact| account.contact_roles.get(*contact as usize) == Some(&Some(role)))
    };
    let executive_meetings = attended
        .iter()
        .filter(|meeting| with_role(meeting, ContactRole::Executive))
        .count() as u32;
    let strategic_meetings = attended
        .iter()
        .filter(|meeting| {
            matches!(
                meeting.kind,
                MeetingKind::Qbr | MeetingKind::Exec | MeetingKind::Workshop
            )
        })
        .count() as u32;
    facts.meeting_executive_share = percent(executive_meetings, attended_count);
    facts.meeting_strategic_share = percent(strategic_meetings, attended_count);

    let tickets = &account.tickets[range_of(&account.tickets, start, end, |ticket| ticket.at)];
    let mut distinct: Vec<u32> = tickets.iter().map(|ticket| ticket.ticket).collect();
    distinct.sort_unstable();
    distinct.dedup();
    facts.support_interactions = distinct.len() as f64;
    let rated = tickets.iter().filter(|ticket| ticket.sentiment.is_some());
    let negative_tickets = tickets
        .iter()
        .filter(|ticket| ticket.sentiment == Some(Sentiment::Negative))
        .count() as u32;
    facts.ticket_sentiment = percent(
        rated.clone().count() as u32 - negative_tickets,
        rated.count() as u32,
    );

    let trainings = &account.trainings[range_of(&account.trainings, start, end, |t| t.at)];
    let trainings_attended = trainings
        .iter()
        .filter(|training| training.attended)
        .count() as u32;
    facts.training_attendance = percent(trainings_attended, trainings.len() as u32);
    let community = &account.community[range_of(&account.community, start, end, |c| c.at)];
    let community_events = community
        .iter()
        .filter(|event| event.action == CommunityAction::Event)
        .count() as u32;
    facts.training_events = f64::from(trainings_attended + community_events);
    facts.community_per_month = community.len() as f64 * 30.0 / window.days();

    // Breadth over the relationship look-back.
    let relationship_start = window.relationship_start();
    let mut departments: Vec<&str> = Vec::new();
    for (contact, instants) in account.engagements.iter().enumerate() {
        if range_of(instants, relationship_start, end, |instant| *instant).is_empty() {
            continue;
        }
        match account.contact_roles[contact] {
            Some(ContactRole::Executive) => facts.executive_engaged = 1.0,
            Some(ContactRole::Champion) => facts.champions_engaged += 1.0,
            Some(ContactRole::PowerUser) => facts.power_users_engaged += 1.0,
            _ => {}
        }
        if let Some(department) = &account.contact_departments[contact] {
            let department = &**department;
            if !departments
                .iter()
                .any(|seen| seen.eq_ignore_ascii_case(department))
            {
                departments.push(department);
            }
        }
    }
    facts.departments_engaged = departments.len() as f64;

    // Surveys: each contact's latest answer in the look-back.
    let survey_start =
        end - i64::from(window.period.days().max(SURVEY_LOOKBACK_DAYS)) * MILLIS_PER_DAY;
    let surveys = &account.surveys[range_of(&account.surveys, survey_start, end, |s| s.at)];
    let latest = |nps: bool| {
        let mut answers: Vec<(u32, u8)> = Vec::new();
        for survey in surveys.iter().filter(|survey| survey.nps == nps) {
            match answers
                .iter_mut()
                .find(|(contact, _)| *contact == survey.contact && *contact != NO_CONTACT)
            {
                Some(answer) => answer.1 = survey.score,
                None => answers.push((survey.contact, survey.score)),
            }
        }
        answers
    };
    let nps = latest(true);
    let promoters = nps.iter().filter(|(_, score)| *score >= 9).count() as u32;
    let detractors = nps.iter().filter(|(_, score)| *score <= 6).count() as u32;
    facts.nps = percent(promoters, nps.len() as u32)
        .zip(percent(detractors, nps.len() as u32))
        .map(|(promoters, detractors)| promoters - detractors);
    let csat = latest(false);
    facts.csat_percent = (!csat.is_empty()).then(|| {
        100.0 * csat.iter().map(|(_, score)| f64::from(*score)).sum::<f64>()
            / (5.0 * csat.len() as f64)
    });
    let in_window = |at: i64| at >= start && at < end;
    facts.negative_interactions = negative_tickets
        + surveys
            .iter()
            .filter(|survey| in_window(survey.at))
            .filter(|survey| {
                if survey.nps {
                    survey.score <= 6
                } else {
                    survey.score <= 2
                }
            })
            .count() as u32;

    // Financial.
    let financial_start = end - FINANCIAL_LOOKBACK_DAYS * MILLIS_PER_DAY;
    let payments = &account.payments[range_of(&account.payments, financial_start, end, |p| p.at)];
    let on_time = payments
        .iter()
        .filter(|payment| payment.status == PaymentStatus::PaidOnTime)
        .count() as u32;
    facts.payment_on_time = percent(on_time, payments.len() as u32);
    let arr = account.account.as_ref().map_or(0.0, |account| account.arr);
    let change: f64 = account.outcomes[range_of(&account.outcomes, financial_start, end, |o| o.0)]
        .iter()
        .map(|(_, _, change)| *change)
        .sum();
    let before = arr - change;
    facts.arr_trend = if before > 0.0 {
        100.0 * change / before
    } else {
        0.0
    };

    facts.success_score = crate::success::engine::score_at(account.goals(), window.as_of);
}

/// The first inbound e-mail event of `email`'s thread at `email.at`, so a thread
/// opened by two simultaneous inbound messages counts once.
fn first_inbound_at<'a>(
    account: &'a AccountState,
    email: &'a super::state::EmailEvent,
) -> &'a super::state::EmailEvent {
    let from = account.emails.partition_point(|event| event.at < email.at);
    account.emails[from..]
        .iter()
        .take_while(|event| event.at == email.at)
        .find(|event| event.inbound && event.thread == email.thread)
        .unwrap_or(email)
}

fn feature_breadth(
    portfolio: &PortfolioState,
    account: &AccountState,
    start: i64,
    end: i64,
) -> Option<f64> {
    let uses = &account.feature_uses[range_of(&account.feature_uses, start, end, |event| event.at)];
    let mut used = vec![false; portfolio.feature_keys.len()];
    for event in uses {
        if let Some(flag) = used.get_mut(event.feature as usize) {
            *flag = true;
        }
    }
    if portfolio.catalogue_size > 0 {
        let total: f64 = portfolio.catalogue_weights.iter().flatten().sum();
        let reached: f64 = portfolio
            .catalogue_weights
            .iter()
            .zip(&used)
            .filter(|(_, used)| **used)
            .filter_map(|(weight, _)| *weight)
            .sum();
        return (total > 0.0).then(|| 100.0 * reached / total);
    }
    let seen_anywhere = portfolio
        .feature_first_seen
        .iter()
        .filter(|first| first.is_some_and(|at| at < end))
        .count();
    (seen_anywhere > 0)
        .then(|| 100.0 * used.iter().filter(|used| **used).count() as f64 / seen_anywhere as f64)
}

fn days_since_role(account: &AccountState, role: ContactRole, as_of: Timestamp) -> Option<f64> {
    let end = as_of.millis();
    account
        .contact_roles
        .iter()
        .zip(&account.engagements)
        .filter(|(contact_role, _)| **contact_role == Some(role))
        .filter_map(|(_, instants)| {
            let before = instants.partition_point(|instant| *instant < end);
            before.checked_sub(1).map(|last| instants[last])
        })
        .max()
        .map(|last| (end - last) as f64 / MILLIS_PER_DAY as f64)
}
