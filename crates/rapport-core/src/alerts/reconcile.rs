//! How an evaluation changes the stored alerts: each active account's
//! firing rules against its alerts in force (one open alert per rule and
//! account; a rule that stops firing resolves its alert; a person's
//! resolution holds while the condition persists; a snooze keeps an alert
//! quiet until it ends, then delivers it once; the store's first evaluation
//! opens a backlog, summarised, not delivered), a churned account's alerts
//! resolved quietly, and what each change delivers. Pure.

use std::collections::BTreeMap;

use serde::Serialize;

use super::delivery::DeliveryEvent;
use super::{AccountEvaluation, Firing, RAPPORT, StoredAlert};
use crate::domain::ExternalId;
use crate::engagement::breakdown::AlertPriority;
use crate::time::Timestamp;

/// Rapport's resolution of an alert whose account churned.
pub const CHURNED_RESOLUTION: &str = "account churned";
/// Rapport's resolution of an alert whose rule stopped firing.
pub const CLEARED_RESOLUTION: &str = "the condition cleared";

/// What an evaluation does to an account's alerts.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertChange {
    /// A rule fired with no alert in force: a new alert (delivered, unless
    /// it is the backlog of the store's first evaluation).
    Open(StoredAlert),
    /// A rule fired again: its unresolved alert is seen again (message and
    /// priority brought up to date).
    Seen(StoredAlert),
    /// A rule fired again while a person's snooze lasts: seen, not delivered.
    StillSnoozed(StoredAlert),
    /// A snooze ended with the rule still firing: open again, delivered once.
    SnoozeEnded(StoredAlert),
    /// A rule stopped firing: Rapport resolves its alert.
    Cleared(StoredAlert),
    /// A rule a person resolved still fires: the resolution holds, nothing
    /// opens (`lastSeenAt` moves).
    Held(StoredAlert),
    /// A rule a person resolved no longer fires (or its account churned):
    /// its next firing opens a new alert.
    Released(StoredAlert),
    /// The account churned: Rapport resolves its alert, quietly.
    Churned(StoredAlert),
}

impl AlertChange {
    /// The alert as it is to be written.
    pub fn alert(&self) -> &StoredAlert {
        match self {
            AlertChange::Open(alert)
            | AlertChange::Seen(alert)
            | AlertChange::StillSnoozed(alert)
            | AlertChange::SnoozeEnded(alert)
            | AlertChange::Cleared(alert)
            | AlertChange::Held(alert)
            | AlertChange::Released(alert)
            | AlertChange::Churned(alert) => alert,
        }
    }

    /// What the change's subscribers are told, if anything: an alert opens
    /// (not the first evaluation's backlog) or a snooze ends with the rule
    /// firing; Rapport resolves an alert receivers were told of. Nothing
    /// while snoozed or held, and nothing of a churned account.
    pub fn delivery(&self) -> Option<DeliveryEvent> {
        match self {
            AlertChange::Open(alert) if !alert.backlog => Some(DeliveryEvent::Opened),
            AlertChange::SnoozeEnded(_) => Some(DeliveryEvent::Opened),
            AlertChange::Cleared(alert) if !alert.backlog => Some(DeliveryEvent::Resolved),
            _ => None,
        }
    }
}

fn open_alert(account: &ExternalId, fired: &Firing, now: Timestamp, backlog: bool) -> StoredAlert {
    StoredAlert {
        id: 0,
        account: account.clone(),
        rule: fired.rule.clone(),
        priority: fired.priority,
        message: fired.message.clone(),
        notify: fired.notify.clone(),
        opened_at: now,
        last_seen_at: now,
        acknowledged_at: None,
        acknowledged_by: None,
        resolved_at: None,
        resolved_by: None,
        resolution: None,
        snooze: None,
        awaiting_clear: false,
        condition_cleared_at: None,
        backlog,
    }
}

/// Reconciles an active account's alerts in force (unresolved, and those a
/// person resolved while the condition fired: [`StoredAlert::in_force`]) with
/// the rules firing `now`. `first` is the store's first evaluation: what
/// opens is its backlog.
pub fn reconcile(
    account: &ExternalId,
    in_force: &[StoredAlert],
    firing: Vec<Firing>,
    now: Timestamp,
    first: bool,
) -> Vec<AlertChange> {
    let mut changes = Vec::new();
    let unresolved = |rule: &str| {
        in_force
            .iter()
            .find(|alert| alert.resolved_at.is_none() && alert.rule == rule)
    };
    let held = |rule: &str| {
        in_force
            .iter()
            .find(|alert| alert.resolved_at.is_some() && alert.awaiting_clear && alert.rule == rule)
    };
    for fired in &firing {
        if let Some(alert) = unresolved(&fired.rule) {
            let mut seen = StoredAlert {
                priority: fired.priority,
                message: fired.message.clone(),
                notify: fired.notify.clone(),
                last_seen_at: now,
                ..alert.clone()
            };
            let snooze_over = seen
                .snooze
                .as_ref()
                .map(|snooze| snooze.ended_at.is_none() && now >= snooze.until);
            changes.push(match snooze_over {
                Some(true) => {
                    seen.end_snooze(now);
                    // Delivered now, so its resolution will be too.
                    seen.backlog = false;
                    AlertChange::SnoozeEnded(seen)
                }
                _ if seen.snoozed() => AlertChange::StillSnoozed(seen),
                _ => AlertChange::Seen(seen),
            });
        } else if let Some(alert) = held(&fired.rule) {
            changes.push(AlertChange::Held(StoredAlert {
                last_seen_at: now,
                ..alert.clone()
            }));
        } else {
            changes.push(AlertChange::Open(open_alert(account, fired, now, first)));
        }
    }
    for alert in in_force {
        if firing.iter().any(|fired| fired.rule == alert.rule) {
            continue;
        }
        if alert.resolved_at.is_none() {
            let mut cleared = StoredAlert {
                resolved_at: Some(now),
                resolved_by: Some(RAPPORT.into()),
                resolution: Some(CLEARED_RESOLUTION.into()),
                ..alert.clone()
            };
            cleared.end_snooze(now);
            changes.push(AlertChange::Cleared(cleared));
        } else if alert.awaiting_clear {
            changes.push(AlertChange::Released(StoredAlert {
                awaiting_clear: false,
                condition_cleared_at: Some(now),
                ..alert.clone()
            }));
        }
    }
    changes
}

/// A churned account's alerts in force at `now`: the unresolved ones are
/// resolved by Rapport ("account churned"), those a person resolved stop
/// holding their rule. Nothing is delivered.
pub fn retire_churned(in_force: &[StoredAlert], now: Timestamp) -> Vec<AlertChange> {
    in_force
        .iter()
        .filter_map(|alert| {
            if alert.resolved_at.is_none() {
                let mut resolved = StoredAlert {
                    resolved_at: Some(now),
                    resolved_by: Some(RAPPORT.into()),
                    resolution: Some(CHURNED_RESOLUTION.into()),
                    ..alert.clone()
                };
                resolved.end_snooze(now);
                Some(AlertChange::Churned(resolved))
            } else if alert.awaiting_clear {
                Some(AlertChange::Released(StoredAlert {
                    awaiting_clear: false,
                    ..alert.clone()
                }))
            } else {
                None
            }
        })
        .collect()
}

/// The alerts the store's first evaluation opened, counted: what a team is
/// shown instead of one page per alert.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BacklogSummary {
    pub alerts: usize,
    pub accounts: usize,
    pub by_priority: BTreeMap<AlertPriority, usize>,
    pub by_rule: BTreeMap<String, usize>,
}

impl BacklogSummary {
    /// The backlog among `opened`.
    pub fn of<'a>(opened: impl IntoIterator<Item = &'a StoredAlert>) -> Self {
        let mut summary = BacklogSummary::default();
        let mut accounts = std::collections::BTreeSet::new();
        for alert in opened.into_iter().filter(|alert| alert.backlog) {
            summary.alerts += 1;
            accounts.insert(&alert.account);
            *summary.by_priority.entry(alert.priority).or_default() += 1;
            *summary.by_rule.entry(alert.rule.clone()).or_default() += 1;
        }
        summary.accounts = accounts.len();
        summary
    }
}

/// What one evaluation of the alert rules did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertRun {
    /// Active accounts evaluated.
    pub accounts: usize,
    pub opened: usize,
    /// Unresolved alerts still firing (not snoozed).
    pub seen: usize,
    /// Resolved by Rapport: the condition cleared.
    pub cleared: usize,
    /// Still firing under a person's snooze.
    pub snoozed: usize,
    /// Snoozes that ended with the condition still holding: open again.
    pub reopened: usize,
    /// Resolved by a person, the condition still firing: nothing opens.
    pub held: usize,
    /// Resolved by a person, the condition now clear: the rule may open again.
    pub released: usize,
    /// Resolved by Rapport because their account churned.
    pub churned: usize,
    /// The store's first evaluation: the alerts it opened, summarised, and
    /// not delivered one by one.
    pub backlog: Option<BacklogSummary>,
}

/// The cheap half: each evaluated account against its alerts in force as
/// stored ([`StoredAlert::in_force`]). `first`: the store's first evaluation,
/// whose openings are the backlog. Returns the changes to write (in order)
/// and the counts.
pub fn reconcile_portfolio(
    evaluated: &[(ExternalId, AccountEvaluation)],
    in_force: &[StoredAlert],
    now: Timestamp,
    first: bool,
) -> (Vec<AlertChange>, AlertRun) {
    let mut by_account: std::collections::HashMap<&ExternalId, Vec<StoredAlert>> =
        std::collections::HashMap::new();
    for alert in in_force.iter().filter(|alert| alert.in_force()) {
        by_account
            .entry(&alert.account)
            .or_default()
            .push(alert.clone());
    }
    let mut run = AlertRun::default();
    let mut changes = Vec::new();
    for (account, evaluation) in evaluated {
        let mine = by_account.get(account).map_or(&[][..], Vec::as_slice);
        let changed = match evaluation {
            AccountEvaluation::Active(firing) => {
                run.accounts += 1;
                reconcile(account, mine, firing.clone(), now, first)
            }
            AccountEvaluation::Churned => retire_churned(mine, now),
        };
        for change in &changed {
            let count = match change {
                AlertChange::Open(_) => &mut run.opened,
                AlertChange::Seen(_) => &mut run.seen,
                AlertChange::StillSnoozed(_) => &mut run.snoozed,
                AlertChange::SnoozeEnded(_) => &mut run.reopened,
                AlertChange::Cleared(_) => &mut run.cleared,
                AlertChange::Held(_) => &mut run.held,
                AlertChange::Released(_) => &mut run.released,
                AlertChange::Churned(_) => &mut run.churned,
            };
            *count += 1;
        }
        changes.extend(changed);
    }
    if first {
        run.backlog = Some(BacklogSummary::of(changes.iter().filter_map(
            |change| match change {
                AlertChange::Open(alert) => Some(alert),
                _ => None,
            },
        )));
    }
    (changes, run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{AlertStatus, acknowledge, resolve, snooze};

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    fn firing(rule: &str, message: &str) -> Firing {
        Firing {
            rule: rule.into(),
            priority: AlertPriority::High,
            message: message.into(),
            notify: vec!["csm".into()],
        }
    }

    fn stored(change: &AlertChange) -> StoredAlert {
        change.alert().clone()
    }

    /// A change's kind and what it delivers.
    type Kind = (&'static str, Option<DeliveryEvent>);

    /// What an evaluation did: each change's kind and what it delivers.
    fn kinds(changes: &[AlertChange]) -> Vec<Kind> {
        changes
            .iter()
            .map(|change| {
                let kind = match change {
                    AlertChange::Open(_) => "open",
                    AlertChange::Seen(_) => "seen",
                    AlertChange::StillSnoozed(_) => "still snoozed",
                    AlertChange::SnoozeEnded(_) => "snooze ended",
                    AlertChange::Cleared(_) => "cleared",
                    AlertChange::Held(_) => "held",
                    AlertChange::Released(_) => "released",
                    AlertChange::Churned(_) => "churned",
                };
                (kind, change.delivery())
            })
            .collect()
    }

    /// One account's alerts as stored after writing `changes` (ids assigned
    /// from 1, never reused).
    fn write(stored: &mut Vec<StoredAlert>, changes: &[AlertChange]) {
        for change in changes {
            let mut alert = change.alert().clone();
            if alert.id == 0 {
                alert.id = stored.iter().map(|kept| kept.id).max().unwrap_or(0) + 1;
            }
            stored.retain(|kept| kept.id != alert.id);
            stored.push(alert);
        }
    }

    /// Those an evaluation sees.
    fn in_force(stored: &[StoredAlert]) -> Vec<StoredAlert> {
        stored
            .iter()
            .filter(|alert| alert.in_force())
            .cloned()
            .collect()
    }

    #[test]
    fn one_open_alert_per_rule_and_account_then_cleared() {
        let account = ExternalId::parse("a1").unwrap();
        let first = reconcile(
            &account,
            &[],
            vec![firing("engagement.score_drop", "fell 12")],
            at("2026-03-01T00:00:00Z"),
            false,
        );
        assert!(matches!(first[0], AlertChange::Open(_)));
        assert_eq!(first[0].delivery(), Some(DeliveryEvent::Opened));
        let mut alert = stored(&first[0]);
        alert.id = 7;
        // The same rule firing again updates the alert instead of opening another.
        let again = reconcile(
            &account,
            std::slice::from_ref(&alert),
            vec![firing("engagement.score_drop", "fell 15")],
            at("2026-03-01T01:00:00Z"),
            false,
        );
        assert_eq!(again.len(), 1);
        let seen = stored(&again[0]);
        assert!(matches!(again[0], AlertChange::Seen(_)));
        assert_eq!((seen.id, seen.message.as_str()), (7, "fell 15"));
        assert_eq!(seen.opened_at, at("2026-03-01T00:00:00Z"));
        assert_eq!(seen.last_seen_at, at("2026-03-01T01:00:00Z"));
        // The condition clears: Rapport resolves it.
        let cleared = reconcile(
            &account,
            &[seen],
            Vec::new(),
            at("2026-03-02T00:00:00Z"),
            false,
        );
        let resolved = stored(&cleared[0]);
        assert!(matches!(cleared[0], AlertChange::Cleared(_)));
        assert_eq!(cleared[0].delivery(), Some(DeliveryEvent::Resolved));
        assert_eq!(resolved.status(), AlertStatus::Resolved);
        assert_eq!(resolved.resolved_by.as_deref(), Some(RAPPORT));
    }

    /// Issue 20, item 10: a person's resolution holds while the condition
    /// persists; the rule opens a new alert only after an evaluation found
    /// it clear and it fires again.
    #[test]
    fn a_resolution_holds_until_the_condition_clears_and_fires_again() {
        let account = ExternalId::parse("a1").unwrap();
        let drop = || vec![firing("health.score_drop", "fell 14")];
        let hour = |h: u32| at(&format!("2026-03-01T{h:02}:00:00Z"));
        let mut stored = Vec::new();
        write(
            &mut stored,
            &reconcile(&account, &[], drop(), hour(0), false),
        );
        let resolved = resolve(&stored[0], "dana", Some("called"), hour(1)).unwrap();
        assert!(resolved.awaiting_clear);
        write(&mut stored, &[AlertChange::Seen(resolved)]);
        // (evaluation, rules firing, what happens)
        let table: [(u32, bool, &[Kind]); 5] = [
            (2, true, &[("held", None)]),
            (3, true, &[("held", None)]),
            (4, false, &[("released", None)]),
            (5, false, &[]),
            (6, true, &[("open", Some(DeliveryEvent::Opened))]),
        ];
        for (h, fires, expected) in table {
            let firing = if fires { drop() } else { Vec::new() };
            let changes = reconcile(&account, &in_force(&stored), firing, hour(h), false);
            assert_eq!(kinds(&changes), expected, "evaluation at {h}:00");
            if let [AlertChange::Released(released)] = &changes[..] {
                assert_eq!(released.condition_cleared_at, Some(hour(h)));
                assert_eq!(released.resolved_by.as_deref(), Some("dana"));
            }
            write(&mut stored, &changes);
        }
        let now_in_force = in_force(&stored);
        assert_eq!(now_in_force.len(), 1);
        assert_eq!(
            (now_in_force[0].id, now_in_force[0].opened_at),
            (2, hour(6))
        );
    }

    /// A snoozed alert is neither delivered nor re-opened while the snooze
    /// lasts; the first evaluation after it finds the condition holding
    /// opens it again and delivers it once.
    #[test]
    fn a_snoozed_alert_comes_back_once_when_the_snooze_ends() {
        let account = ExternalId::parse("a1").unwrap();
        let below = || vec![firing("engagement.overall_below", "42 is below 50")];
        let day = |d: u32| at(&format!("2026-03-{d:02}T09:00:00Z"));
        let mut in_force = Vec::new();
        let opened = reconcile(&account, &[], below(), day(1), false);
        write(&mut in_force, &opened);
        let acknowledged = acknowledge(&in_force[0], "dana", day(1)).unwrap();
        let snoozed = snooze(
            &acknowledged,
            "dana",
            at("2026-03-04T00:00:00Z"),
            Some("customer on holiday"),
            day(1),
        )
        .unwrap();
        assert_eq!(snoozed.status(), AlertStatus::Snoozed);
        write(&mut in_force, &[AlertChange::Seen(snoozed)]);
        let table: [(u32, &[Kind], AlertStatus); 4] = [
            (2, &[("still snoozed", None)], AlertStatus::Snoozed),
            (3, &[("still snoozed", None)], AlertStatus::Snoozed),
            (
                4,
                &[("snooze ended", Some(DeliveryEvent::Opened))],
                AlertStatus::Open,
            ),
            (5, &[("seen", None)], AlertStatus::Open),
        ];
        for (d, expected, status) in table {
            let changes = reconcile(&account, &in_force, below(), day(d), false);
            assert_eq!(kinds(&changes), expected, "evaluation of day {d}");
            write(&mut in_force, &changes);
            assert_eq!(in_force[0].status(), status, "day {d}");
        }
        let snooze_record = in_force[0].snooze.clone().unwrap();
        assert_eq!(
            (snooze_record.by.as_str(), snooze_record.reason.as_deref()),
            ("dana", Some("customer on holiday"))
        );
        assert_eq!(snooze_record.ended_at, Some(day(4)));
        // Cleared while snoozed: resolved by Rapport, the snooze ends.
        let again = snooze(&in_force[0], "lee", day(9), None, day(5)).unwrap();
        let cleared = reconcile(&account, &[again], Vec::new(), day(6), false);
        assert_eq!(
            kinds(&cleared),
            [("cleared", Some(DeliveryEvent::Resolved))]
        );
        assert_eq!(
            cleared[0].alert().snooze.as_ref().unwrap().ended_at,
            Some(day(6))
        );
    }

    #[test]
    fn the_first_evaluation_opens_a_backlog_that_is_summarised_not_delivered() {
        let (a1, a2) = (
            ExternalId::parse("a1").unwrap(),
            ExternalId::parse("a2").unwrap(),
        );
        let now = at("2026-03-01T00:00:00Z");
        let critical = Firing {
            priority: AlertPriority::Critical,
            ..firing("engagement.overall_below", "41 is below 50")
        };
        let evaluated = vec![
            (
                a1.clone(),
                AccountEvaluation::Active(vec![
                    firing("engagement.score_drop", "fell 12"),
                    critical.clone(),
                ]),
            ),
            (
                a2.clone(),
                AccountEvaluation::Active(vec![firing("engagement.score_drop", "fell 20")]),
            ),
        ];
        let (changes, run) = reconcile_portfolio(&evaluated, &[], now, true);
        assert_eq!(run.opened, 3);
        assert!(changes.iter().all(|change| change.delivery().is_none()));
        assert!(changes.iter().all(|change| change.alert().backlog));
        let summary = run.backlog.unwrap();
        assert_eq!((summary.alerts, summary.accounts), (3, 2));
        assert_eq!(
            summary.by_priority,
            [(AlertPriority::Critical, 1), (AlertPriority::High, 2)].into()
        );
        assert_eq!(
            summary.by_rule,
            [
                ("engagement.overall_below".to_string(), 1),
                ("engagement.score_drop".to_string(), 2)
            ]
            .into()
        );
        // Later: a backlog alert clearing is not delivered; a new one is.
        let mut in_force = Vec::new();
        write(&mut in_force, &changes);
        let later = vec![(
            a1.clone(),
            AccountEvaluation::Active(vec![firing("health.component_red", "x")]),
        )];
        let (changes, run) = reconcile_portfolio(&later, &in_force, now.plus_days(1), false);
        assert_eq!(run.backlog, None);
        assert_eq!(
            kinds(&changes),
            [
                ("open", Some(DeliveryEvent::Opened)),
                ("cleared", None),
                ("cleared", None)
            ]
        );
    }

    /// Issue 20, item 1: a churned account raises no alerts; its unresolved
    /// alerts are resolved by Rapport ("account churned"), quietly, and a
    /// person's resolution stops holding its rule.
    #[test]
    fn a_churned_accounts_alerts_are_resolved_quietly() {
        let account = ExternalId::parse("a1").unwrap();
        let now = at("2026-03-01T00:00:00Z");
        let mut in_force = Vec::new();
        write(
            &mut in_force,
            &reconcile(
                &account,
                &[],
                vec![firing("x.open", "m"), firing("x.held", "m")],
                now,
                false,
            ),
        );
        let held = resolve(&in_force[1], "dana", None, now).unwrap();
        write(&mut in_force, &[AlertChange::Held(held)]);
        let (changes, run) = reconcile_portfolio(
            &[(account.clone(), AccountEvaluation::Churned)],
            &in_force,
            now.plus_days(1),
            false,
        );
        assert_eq!((run.accounts, run.churned, run.released), (0, 1, 1));
        assert_eq!(kinds(&changes), [("churned", None), ("released", None)]);
        let resolved = changes[0].alert();
        assert_eq!(
            (
                resolved.status(),
                resolved.resolved_by.as_deref(),
                resolved.resolution.as_deref()
            ),
            (
                AlertStatus::Resolved,
                Some(RAPPORT),
                Some(CHURNED_RESOLUTION)
            )
        );
        assert!(!changes[1].alert().awaiting_clear);
    }
}
