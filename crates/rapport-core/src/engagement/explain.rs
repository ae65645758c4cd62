//! Root causes (`definitions.md` §3.2): for every factor below its target, what
//! in the account's data put it there, as a sentence and as structured evidence
//! (dates, contacts, users, threads, tickets) a person can check.

use std::cell::OnceCell;

use serde::Serialize;

use crate::domain::ContactRole;
use crate::engine::evidence::{
    self, ContactEngagement, MissedMeeting, OpenTicket, SlowResponse, UnansweredThread,
    UnusedFeature,
};
use crate::engine::{AccountState, FactorFacts, PortfolioState, Window};
use crate::scoring::model::FactorKey;
use crate::scoring::score::{FactorScore, Scorecard};
use crate::time::Timestamp;

/// Lists in evidence are cut to this many items; the totals say how many there were.
pub const EVIDENCE_ITEMS: usize = 10;

/// Threads with at least this many consecutive unanswered outbound e-mails are named.
pub const UNANSWERED_RUN: u32 = 3;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// Outbound e-mails in the window and how many went unanswered.
    UnansweredEmails { outbound: u32, unanswered: u32 },
    /// Threads with 3+ consecutive unanswered outbound e-mails.
    UnansweredThreads {
        total: usize,
        threads: Vec<UnansweredThread>,
    },
    /// Answers slower than the target, slowest first.
    SlowResponses {
        total: usize,
        responses: Vec<SlowResponse>,
    },
    /// No-shows and customer cancellations, with their dates.
    MissedMeetings {
        total: usize,
        meetings: Vec<MissedMeeting>,
    },
    /// Contacts the customer initiated in the window, and the last one ever.
    CustomerInitiated {
        in_window: u32,
        last: Option<Timestamp>,
    },
    /// Logins and active users in the window.
    Logins {
        logins: u32,
        active_users: u32,
        user_base: u32,
    },
    /// Users active in the compare period and inactive now.
    UsersGoneQuiet { total: usize, users: Vec<String> },
    /// Catalogue features not used in the window, most important first.
    UnusedFeatures {
        total: usize,
        features: Vec<UnusedFeature>,
    },
    /// Open tickets tagged `feature_request`: users may be waiting for a capability.
    OpenFeatureRequests {
        total: usize,
        tickets: Vec<OpenTicket>,
    },
    /// Sessions in the window and their mean length.
    Sessions { sessions: u32, mean_minutes: f64 },
    /// Contacts engaged in the look-back, and contacts on file who were not.
    Stakeholders {
        engaged: Vec<ContactEngagement>,
        not_engaged_total: usize,
        not_engaged: Vec<ContactEngagement>,
    },
    /// The contacts with a role and when each last engaged.
    RoleContacts {
        role: ContactRole,
        contacts: Vec<ContactEngagement>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RootCause {
    pub factor: FactorKey,
    pub name: String,
    pub component: String,
    pub current: Option<f64>,
    pub target: f64,
    pub unit: String,
    pub score: f64,
    /// One sentence a CSM can read aloud.
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

fn cut<T>(mut items: Vec<T>) -> (usize, Vec<T>) {
    let total = items.len();
    items.truncate(EVIDENCE_ITEMS);
    (total, items)
}

fn plural(count: usize, one: &str, many: &str) -> String {
    crate::numbers::count(count as u64, one, Some(many))
}

fn date(at: Timestamp) -> String {
    at.date().to_string()
}

fn display_contact(contact: &ContactEngagement) -> String {
    match &contact.name {
        Some(name) => format!("{name} <{}>", contact.email),
        None => contact.email.clone(),
    }
}

/// Everything the root causes are drawn from, for one account and window.
pub struct ExplainContext<'a> {
    pub portfolio: &'a PortfolioState,
    pub account: &'a AccountState,
    pub window: Window,
    pub compare: Window,
    pub facts: &'a FactorFacts,
    pub previous_facts: &'a FactorFacts,
    /// Evidence several factors share, gathered once.
    usage: OnceCell<(String, Vec<Evidence>)>,
    requests: OnceCell<(usize, Vec<OpenTicket>)>,
}

impl<'a> ExplainContext<'a> {
    pub fn new(
        portfolio: &'a PortfolioState,
        account: &'a AccountState,
        window: Window,
        compare: Window,
        facts: &'a FactorFacts,
        previous_facts: &'a FactorFacts,
    ) -> Self {
        ExplainContext {
            portfolio,
            account,
            window,
            compare,
            facts,
            previous_facts,
            usage: OnceCell::new(),
            requests: OnceCell::new(),
        }
    }

    /// Open feature requests at `as_of` (total, the first few).
    fn feature_requests(&self) -> &(usize, Vec<OpenTicket>) {
        self.requests.get_or_init(|| {
            cut(evidence::open_feature_requests(
                self.account,
                self.window.as_of,
            ))
        })
    }
}

/// The root causes of every factor below target (score under 100), in the
/// scorecard's order.
pub fn root_causes(context: &ExplainContext<'_>, card: &Scorecard) -> Vec<RootCause> {
    card.components
        .iter()
        .flat_map(|component| &component.factors)
        .filter(|factor| factor.score.is_some_and(|score| score < 100.0))
        .map(|factor| root_cause(context, factor))
        .collect()
}

fn root_cause(context: &ExplainContext<'_>, factor: &FactorScore) -> RootCause {
    let (summary, evidence) = match factor.key {
        FactorKey::EmailResponseRate => email_response(context),
        FactorKey::ResponseTime => response_time(context, factor.target),
        FactorKey::MeetingAttendance => meeting_attendance(context),
        FactorKey::ProactiveOutreach => proactive_outreach(context),
        FactorKey::LoginFrequency => login_frequency(context),
        FactorKey::FeatureBreadth => feature_breadth(context),
        FactorKey::SessionDuration => session_duration(context),
        FactorKey::ActiveUserPercent => active_users(context),
        FactorKey::StakeholderDepth => stakeholder_depth(context),
        FactorKey::ExecutiveAccess | FactorKey::ExecutiveEngaged => {
            role_access(context, ContactRole::Executive)
        }
        FactorKey::ChampionActivity | FactorKey::ChampionsEngaged => {
            role_access(context, ContactRole::Champion)
        }
        // Shares and counts of meetings held: the figure against its target
        // says why (missed meetings are the attendance factor's cause).
        FactorKey::CsmTouchpoints
        | FactorKey::MeetingStrategicShare
        | FactorKey::MeetingExecutiveShare => measured(factor),
        FactorKey::EmailExchanges => email_response(context),
        FactorKey::Logins => login_frequency(context),
        FactorKey::PowerUsersEngaged | FactorKey::DepartmentsEngaged => stakeholder_depth(context),
        FactorKey::SupportInteractions
        | FactorKey::TrainingEvents
        | FactorKey::TicketSentiment
        | FactorKey::TrainingAttendance
        | FactorKey::CommunityActivity
        | FactorKey::SuccessScore
        | FactorKey::Nps
        | FactorKey::Csat
        | FactorKey::PaymentOnTime
        | FactorKey::ArrTrend => measured(factor),
    };
    RootCause {
        factor: factor.key,
        name: factor.name.clone(),
        component: factor.component.clone(),
        current: factor.current,
        target: factor.target,
        unit: factor.unit.clone(),
        score: factor.score.unwrap_or(0.0),
        summary,
        evidence,
    }
}

/// The factor's value against its target, for inputs whose evidence is the
/// figure itself (the warning signals cite the records behind them).
fn measured(factor: &FactorScore) -> (String, Vec<Evidence>) {
    let summary = match factor.current {
        Some(current) => format!(
            "{} at {} against a target of {}",
            factor.name,
            crate::numbers::with_unit(current, &factor.unit),
            crate::numbers::target_with_unit(factor.target, &factor.unit)
        ),
        None => format!("{}: no value yet", factor.name),
    };
    (summary, Vec::new())
}

fn email_response(context: &ExplainContext<'_>) -> (String, Vec<Evidence>) {
    let facts = context.facts;
    let unanswered = facts.outbound_emails - facts.responded_emails;
    let (total, threads) = cut(evidence::unanswered_threads(
        context.account,
        context.window,
        UNANSWERED_RUN,
    ));
    let mut summary = format!(
        "{unanswered} of {} outbound e-mails in the period went unanswered",
        facts.outbound_emails
    );
    if total > 0 {
        summary += &format!(
            "; {} with {UNANSWERED_RUN}+ unanswered e-mails in a row",
            plural(total, "thread", "threads")
        );
    }
    (
        summary,
        vec![
            Evidence::UnansweredEmails {
                outbound: facts.outbound_emails,
                unanswered,
            },
            Evidence::UnansweredThreads { total, threads },
        ],
    )
}

fn response_time(context: &ExplainContext<'_>, target: f64) -> (String, Vec<Evidence>) {
    let (total, responses) = cut(evidence::slow_responses(
        context.account,
        context.window,
        target,
    ));
    let summary = match responses.first() {
        Some(slowest) => format!(
            "{} of {} took longer than {target} hours; the slowest took {} (sent {})",
            total,
            plural(context.facts.responded_emails as usize, "answer", "answers"),
            plural(slowest.hours.round().max(0.0) as usize, "hour", "hours"),
            date(slowest.sent)
        ),
        None => format!("answers took {target}+ hours on average"),
    };
    (summary, vec![Evidence::SlowResponses { total, responses }])
}

fn meeting_attendance(context: &ExplainContext<'_>) -> (String, Vec<Evidence>) {
    let (total, meetings) = cut(evidence::missed_meetings(context.account, context.window));
    let dates: Vec<String> = meetings.iter().map(|meeting| date(meeting.at)).collect();
    let summary = format!(
        "{} of {} missed by the customer (no-show or cancelled by them){}",
        total,
        plural(
            context.facts.meetings_counted as usize,
            "meeting",
            "meetings"
        ),
        if dates.is_empty() {
            String::new()
        } else {
            format!(": {}", dates.join(", "))
        }
    );
    (summary, vec![Evidence::MissedMeetings { total, meetings }])
}

fn proactive_outreach(context: &ExplainContext<'_>) -> (String, Vec<Evidence>) {
    let in_window = context.facts.customer_initiated_contacts;
    let last = evidence::last_customer_initiated(context.account, context.window.as_of);
    let summary = format!(
        "the customer initiated {} in the last {} days; {}",
        plural(in_window as usize, "contact", "contacts"),
        context.window.period.days(),
        match last {
            Some(last) => format!(
                "the last was on {} ({})",
                date(last),
                crate::numbers::days_ago(last.days_until(context.window.as_of))
            ),
            None => "they have never initiated one".into(),
        }
    );
    (
        summary,
        vec![Evidence::CustomerInitiated { in_window, last }],
    )
}

/// Users gone quiet since the compare period, and open feature requests: the
/// usual reasons product factors fall.
fn usage_evidence(context: &ExplainContext<'_>) -> (String, Vec<Evidence>) {
    context.usage.get_or_init(|| gather_usage(context)).clone()
}

fn gather_usage(context: &ExplainContext<'_>) -> (String, Vec<Evidence>) {
    let (quiet_total, users) = cut(evidence::users_gone_quiet(
        context.account,
        context.window,
        context.compare,
    ));
    let (requests_total, tickets) = context.feature_requests().clone();
    let mut notes = Vec::new();
    if quiet_total > 0 {
        notes.push(format!(
            "{} active in the compare period and inactive now ({})",
            plural(quiet_total, "user was", "users were"),
            users.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
                + if quiet_total > 3 { ", …" } else { "" }
        ));
    }
    if requests_total > 0 {
        notes.push(format!(
            "{} open",
            plural(requests_total, "feature request", "feature requests")
        ));
    }
    (
        notes.join("; "),
        vec![
            Evidence::UsersGoneQuiet {
                total: quiet_total,
                users,
            },
            Evidence::OpenFeatureRequests {
                total: requests_total,
                tickets,
            },
        ],
    )
}

fn with_usage(
    mut summary: String,
    context: &ExplainContext<'_>,
    mut evidence: Vec<Evidence>,
) -> (String, Vec<Evidence>) {
    let (notes, more) = usage_evidence(context);
    if !notes.is_empty() {
        summary += "; ";
        summary += &notes;
    }
    evidence.extend(more);
    (summary, evidence)
}

fn login_frequency(context: &ExplainContext<'_>) -> (String, Vec<Evidence>) {
    let facts = context.facts;
    let summary = format!(
        "{} by {} in the last {} days",
        plural(facts.logins as usize, "login", "logins"),
        plural(facts.active_users as usize, "active user", "active users"),
        context.window.period.days()
    );
    with_usage(
        summary,
        context,
        vec![Evidence::Logins {
            logins: facts.logins,
            active_users: facts.active_users,
            user_base: facts.user_base,
        }],
    )
}

fn feature_breadth(context: &ExplainContext<'_>) -> (String, Vec<Evidence>) {
    let (total, features) = cut(evidence::unused_features(
        context.portfolio,
        context.account,
        context.window,
    ));
    let summary = if total > 0 {
        format!(
            "{} of the catalogue unused in the period, most important first: {}",
            plural(total, "feature", "features"),
            features
                .iter()
                .take(3)
                .map(|feature| feature.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        "few of the features seen across accounts were used in the period".to_string()
    };
    let (requests_total, tickets) = context.feature_requests().clone();
    let mut summary = summary;
    if requests_total > 0 {
        summary += &format!(
            "; {} open",
            plural(requests_total, "feature request", "feature requests")
        );
    }
    (
        summary,
        vec![
            Evidence::UnusedFeatures { total, features },
            Evidence::OpenFeatureRequests {
                total: requests_total,
                tickets,
            },
        ],
    )
}

fn session_duration(context: &ExplainContext<'_>) -> (String, Vec<Evidence>) {
    let facts = context.facts;
    let summary = if facts.sessions == 0 {
        format!(
            "no sessions in the last {} days",
            context.window.period.days()
        )
    } else {
        format!(
            "{} averaging {:.1} minutes",
            plural(facts.sessions as usize, "session", "sessions"),
            facts.session_minutes
        )
    };
    (
        summary,
        vec![Evidence::Sessions {
            sessions: facts.sessions,
            mean_minutes: facts.session_minutes,
        }],
    )
}

fn active_users(context: &ExplainContext<'_>) -> (String, Vec<Evidence>) {
    let facts = context.facts;
    let previous = context.previous_facts;
    let summary = format!(
        "{} of {} users active (compare period: {})",
        facts.active_users, facts.user_base, previous.active_users
    );
    with_usage(
        summary,
        context,
        vec![Evidence::Logins {
            logins: facts.logins,
            active_users: facts.active_users,
            user_base: facts.user_base,
        }],
    )
}

fn stakeholder_depth(context: &ExplainContext<'_>) -> (String, Vec<Evidence>) {
    let (engaged, quiet) = evidence::stakeholders(context.account, context.window);
    let (not_engaged_total, not_engaged) = cut(quiet);
    let days = context.window.period.days().max(90);
    let summary = format!(
        "{} engaged in the last {days} days{}",
        plural(engaged.len(), "contact", "contacts"),
        if not_engaged_total > 0 {
            format!(
                "; {} on file did not engage",
                plural(not_engaged_total, "contact", "contacts")
            )
        } else {
            String::new()
        }
    );
    (
        summary,
        vec![Evidence::Stakeholders {
            engaged,
            not_engaged_total,
            not_engaged,
        }],
    )
}

fn role_access(context: &ExplainContext<'_>, role: ContactRole) -> (String, Vec<Evidence>) {
    let contacts = evidence::contacts_with_role(context.account, role, context.window.as_of);
    let label = match role {
        ContactRole::Executive => "executive",
        ContactRole::Champion => "champion",
        _ => "contact",
    };
    let summary = match contacts.first() {
        None => format!("no {label} contact on file"),
        Some(latest) => match (latest.last_engaged, latest.days_since) {
            (Some(last), Some(days)) => format!(
                "{label} {} last engaged on {} ({})",
                display_contact(latest),
                date(last),
                crate::numbers::days_ago(days)
            ),
            _ => format!(
                "no {label} has ever engaged ({} on file)",
                plural(contacts.len(), "contact", "contacts")
            ),
        },
    };
    (summary, vec![Evidence::RoleContacts { role, contacts }])
}
