//! The health framework's playbooks (declining usage, lost champion, poor
//! sentiment), each triggered from the account's data at `as_of` with its
//! evidence and producing the framework's plays as tasks; and the action
//! cadence of each health band. Pure. docs/signals.md gives each rule.

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::ContactRole;
use crate::engine::AccountState;
use crate::health::signals::{SignalEvidence, negative_interactions};
use crate::time::{MILLIS_PER_DAY, Timestamp};

/// A play to run, attached to the account.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub action: &'static str,
    /// The first play is due the next day, the others within a week.
    pub due: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlaybookTrigger {
    /// `declining_usage`, `lost_champion`, `poor_sentiment`.
    pub key: &'static str,
    pub name: &'static str,
    /// The framework's trigger, in words.
    pub when: &'static str,
    pub summary: String,
    pub evidence: Vec<SignalEvidence>,
    pub tasks: Vec<Task>,
}

const DAY: i64 = MILLIS_PER_DAY;

fn tasks(as_of: Timestamp, actions: &[&'static str]) -> Vec<Task> {
    let today = as_of.date();
    actions
        .iter()
        .enumerate()
        .map(|(index, action)| Task {
            action,
            due: today + chrono::Days::new(if index == 0 { 1 } else { 7 }),
        })
        .collect()
}

/// Every playbook the account's data triggers at `as_of`.
pub fn playbooks(account: &AccountState, as_of: Timestamp) -> Vec<PlaybookTrigger> {
    [
        declining_usage(account, as_of),
        lost_champion(account, as_of),
        poor_sentiment(account, as_of),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Declining usage: logins in the last 14 days at most 70 % of the 14 days
/// before (usage down 30 % or more over two weeks).
fn declining_usage(account: &AccountState, as_of: Timestamp) -> Option<PlaybookTrigger> {
    let end = as_of.millis();
    let now = account.login_range(end - 14 * DAY, end).len();
    let before = account.login_range(end - 28 * DAY, end - 14 * DAY).len();
    if before == 0 || now as f64 > 0.7 * before as f64 {
        return None;
    }
    Some(PlaybookTrigger {
        key: "declining_usage",
        name: "Declining usage",
        when: "usage drops 30 % over 2 weeks",
        summary: format!(
            "{} in the last 14 days against {before} in the 14 before (-{})",
            crate::numbers::count(now as u64, "login", None),
            crate::numbers::percent(100.0 * (before - now) as f64 / before as f64, 0)
        ),
        evidence: vec![
            SignalEvidence {
                at: Some(Timestamp::from_millis(end - 28 * DAY)),
                detail: format!(
                    "{} in the earlier two weeks",
                    crate::numbers::count(before as u64, "login", None)
                ),
            },
            SignalEvidence {
                at: Some(Timestamp::from_millis(end - 14 * DAY)),
                detail: format!(
                    "{} in the last two weeks",
                    crate::numbers::count(now as u64, "login", None)
                ),
            },
        ],
        tasks: tasks(
            as_of,
            &[
                "Immediate CSM outreach",
                "Technical health check",
                "Training refresher offer",
                "Use case validation",
            ],
        ),
    })
}

/// Lost champion: a champion who engaged before has not engaged in the last
/// 30 days (inactive, or gone).
fn lost_champion(account: &AccountState, as_of: Timestamp) -> Option<PlaybookTrigger> {
    let end = as_of.millis();
    let champions: Vec<(usize, Option<i64>)> = (0..account.contact_emails.len())
        .filter(|contact| account.contact_roles[*contact] == Some(ContactRole::Champion))
        .map(|contact| {
            let instants = &account.engagements[contact];
            let before = instants.partition_point(|instant| *instant < end);
            (contact, before.checked_sub(1).map(|last| instants[last]))
        })
        .collect();
    if champions
        .iter()
        .any(|(_, last)| last.is_some_and(|last| last >= end - 30 * DAY))
    {
        return None;
    }
    let evidence: Vec<SignalEvidence> = champions
        .iter()
        .filter_map(|(contact, last)| {
            let last = (*last)?;
            Some(SignalEvidence {
                at: Some(Timestamp::from_millis(last)),
                detail: format!(
                    "champion {} last engaged {}",
                    &account.contact_emails[*contact],
                    crate::numbers::days_ago((end - last) as f64 / DAY as f64)
                ),
            })
        })
        .collect();
    (!evidence.is_empty()).then(|| PlaybookTrigger {
        key: "lost_champion",
        name: "Lost champion",
        when: "key user leaves or becomes inactive",
        summary: format!(
            "no champion has engaged in 30 days ({} champion{} on file)",
            champions.len(),
            if champions.len() == 1 { "" } else { "s" }
        ),
        evidence,
        tasks: tasks(
            as_of,
            &[
                "Identify new champion",
                "Executive relationship building",
                "Knowledge transfer sessions",
                "Stakeholder mapping update",
            ],
        ),
    })
}

/// Poor sentiment: 3+ negative interactions (negative tickets, NPS 0–6, CSAT
/// 1–2) in the last 30 days.
fn poor_sentiment(account: &AccountState, as_of: Timestamp) -> Option<PlaybookTrigger> {
    let end = as_of.millis();
    let evidence = negative_interactions(account, end - 30 * DAY, end);
    (evidence.len() >= 3).then(|| PlaybookTrigger {
        key: "poor_sentiment",
        name: "Poor sentiment trend",
        when: "3+ negative interactions",
        summary: format!(
            "{} negative interactions in the last 30 days",
            evidence.len()
        ),
        evidence,
        tasks: tasks(
            as_of,
            &[
                "Service recovery protocol",
                "Direct manager involvement",
                "Custom success plan",
                "Regular sentiment monitoring",
            ],
        ),
    })
}

/// What the account's health band calls for.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Cadence {
    /// `weekly`, `monthly` or `quarterly` check-ins.
    pub check_in: &'static str,
    pub actions: Vec<&'static str>,
}

/// The health framework's action triggers by band: healthy (80+) quarterly,
/// neutral (60–79) monthly, at risk (< 60) weekly. `None` without a score.
pub fn cadence(health_band: Option<&str>) -> Option<Cadence> {
    let (check_in, actions): (&str, &[&str]) = match health_band? {
        "healthy" => (
            "quarterly",
            &[
                "Quarterly check-ins",
                "Expansion opportunity exploration",
                "Advocacy program invitation",
                "Beta feature access",
            ],
        ),
        "neutral" => (
            "monthly",
            &[
                "Monthly check-ins",
                "Usage optimization sessions",
                "Re-engagement campaigns",
                "Success plan review",
            ],
        ),
        _ => (
            "weekly",
            &[
                "Weekly check-ins",
                "Executive escalation",
                "Recovery plan implementation",
                "High-touch support",
            ],
        ),
    };
    Some(Cadence {
        check_in,
        actions: actions.to_vec(),
    })
}
