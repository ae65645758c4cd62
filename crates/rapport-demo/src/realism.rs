//! Tests that the stories the generator means to tell are in the data:
//! declining accounts fade, churned accounts go quiet, lost champions stay
//! silent, and renewals follow engagement. They look at the plans behind the
//! files, which the public API does not expose.

use chrono::NaiveDate;

use crate::DemoConfig;
use crate::activity::{self, Window};
use crate::event::{Event, Kind};
use crate::portfolio::{
    AccountPlan, Drift, NameRegistry, OutcomeKind, PlanContext, Team, plan_account,
};
use crate::sample::{account_rng, team_rng};

const DAY: i64 = 86_400;

/// Every account's plan with its events, generated exactly as `generate_into` does.
pub(crate) fn accounts(config: &DemoConfig) -> Vec<(AccountPlan, Vec<Event>)> {
    let team = Team::new(&mut team_rng(config.seed), config.accounts);
    let context = PlanContext {
        accounts: config.accounts,
        days: config.days,
        end: config.end,
        team: &team,
    };
    let window = Window::new(config.end, config.days);
    let mut names = NameRegistry::new();
    (0..config.accounts)
        .map(|index| {
            let mut rng = account_rng(config.seed, index);
            let plan = plan_account(index, &context, &mut names, &mut rng);
            let mut events = Vec::new();
            activity::generate(&plan, &window, &mut rng, &mut events);
            (plan, events)
        })
        .collect()
}

fn config(accounts: usize, days: u32) -> DemoConfig {
    DemoConfig {
        accounts,
        days,
        ..DemoConfig::default()
    }
}

fn end_of(config: &DemoConfig) -> i64 {
    activity::midnight(config.end)
}

/// Logins in `[end − from_days, end − to_days)`.
fn logins_between(events: &[Event], end: i64, from_days: i64, to_days: i64) -> usize {
    events
        .iter()
        .filter(|e| matches!(e.kind, Kind::Login { .. }))
        .filter(|e| e.at >= end - from_days * DAY && e.at < end - to_days * DAY)
        .count()
}

#[test]
fn declining_accounts_log_in_less_at_the_end_while_flat_ones_hold_steady() {
    let config = config(300, 120);
    let end = end_of(&config);
    let (mut declining, mut flat) = ((0, 0), (0, 0));
    for (plan, events) in accounts(&config) {
        let recent = logins_between(&events, end, 30, 0);
        let earlier = logins_between(&events, end, 120, 90);
        match plan.curve.drift {
            Drift::Declining { .. } => declining = (declining.0 + recent, declining.1 + earlier),
            Drift::Flat => flat = (flat.0 + recent, flat.1 + earlier),
            _ => {}
        }
    }
    let ratio = |(recent, earlier): (usize, usize)| recent as f64 / earlier as f64;
    assert!(
        declining.1 > 0 && ratio(declining) < 0.5,
        "declining: {declining:?}"
    );
    assert!((0.8..1.25).contains(&ratio(flat)), "flat: {flat:?}");
}

#[test]
fn churned_accounts_fade_out_and_stop_at_their_churn_date() {
    let config = config(400, 200);
    let mut churned = 0;
    let (mut last_month, mut months_before) = (0, 0);
    for (plan, events) in accounts(&config) {
        let Some(churn_date) = plan.churn_date else {
            continue;
        };
        churned += 1;
        let churn = activity::midnight(churn_date);
        assert!(
            events.iter().all(|e| e.at < churn),
            "{} is active after churning",
            plan.id
        );
        assert_eq!(plan.renewal_date, churn_date);
        assert!(
            plan.outcomes
                .iter()
                .any(|o| o.kind == OutcomeKind::Churned && o.date == churn_date),
            "{} has no churned outcome",
            plan.id
        );
        if churn - activity::midnight(config.end - chrono::Days::new(200)) >= 150 * DAY {
            last_month += logins_between(&events, churn, 30, 0);
            months_before += logins_between(&events, churn, 150, 120);
        }
    }
    assert!(churned >= 8, "only {churned} churned accounts of 400");
    assert!(
        (last_month as f64) < 0.4 * months_before as f64,
        "{last_month} logins in the last month against {months_before} four months earlier"
    );
}

#[test]
fn lost_champions_stay_silent_for_the_last_45_days() {
    let config = config(400, 120);
    let end = end_of(&config);
    let (mut lost, mut engaged_before) = (0, 0);
    for (plan, events) in accounts(&config) {
        let silent: Vec<(usize, i64)> = plan
            .contacts
            .iter()
            .enumerate()
            .filter_map(|(position, c)| {
                c.silent_from
                    .map(|from| (position, end + (from * DAY as f64) as i64))
            })
            .collect();
        if silent.is_empty() {
            continue;
        }
        lost += 1;
        for &(position, from) in &silent {
            assert!(from <= end - 45 * DAY);
            let bit = 1u32 << position;
            let involves = |kind: &Kind| match *kind {
                Kind::Email {
                    outbound: false,
                    contact,
                    ..
                }
                | Kind::Training {
                    contact,
                    attended: true,
                }
                | Kind::Call {
                    contact,
                    connected: true,
                    ..
                }
                | Kind::Ticket { contact, .. }
                | Kind::Nps { contact, .. }
                | Kind::Csat { contact, .. }
                | Kind::Community { contact, .. } => usize::from(contact) == position,
                Kind::Meeting { attendees, .. } => attendees & bit != 0,
                Kind::Login { user }
                | Kind::Session { user, .. }
                | Kind::FeatureUsed { user, .. } => {
                    plan.users[user as usize].contact == Some(position as u16)
                }
                _ => false,
            };
            let after = events
                .iter()
                .filter(|e| e.at >= from && involves(&e.kind))
                .count();
            assert_eq!(after, 0, "{}'s lost champion is still engaging", plan.id);
            if events.iter().any(|e| e.at < from && involves(&e.kind)) {
                engaged_before += 1;
            }
        }
    }
    assert!(lost >= 10, "only {lost} accounts lost their champion");
    // A champion who was never there is no lost champion: most were active before.
    assert!(
        engaged_before * 10 >= lost * 8,
        "{engaged_before} of {lost} were ever engaged"
    );
}

#[test]
fn renewals_follow_engagement() {
    let config = DemoConfig {
        accounts: 3000,
        days: 365,
        ..DemoConfig::default()
    };
    let team = Team::new(&mut team_rng(config.seed), config.accounts);
    let context = PlanContext {
        accounts: config.accounts,
        days: config.days,
        end: config.end,
        team: &team,
    };
    let mut names = NameRegistry::new();
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for index in 1..config.accounts {
        let plan = plan_account(
            index,
            &context,
            &mut names,
            &mut account_rng(config.seed, index),
        );
        for outcome in &plan.outcomes {
            let relative = -((config.end - outcome.date).num_days() as f64);
            let engagement = plan.curve.level(relative);
            match outcome.kind {
                OutcomeKind::Renewed | OutcomeKind::Expanded => good.push(engagement),
                OutcomeKind::Contracted | OutcomeKind::Churned => bad.push(engagement),
            }
            let arr = plan.arr as i64;
            match outcome.kind {
                OutcomeKind::Renewed => assert_eq!(outcome.arr_change, 0),
                OutcomeKind::Churned => assert_eq!(outcome.arr_change, -arr),
                OutcomeKind::Expanded => {
                    assert!((arr / 10 - 1..=arr * 2 / 5 + 1).contains(&outcome.arr_change))
                }
                OutcomeKind::Contracted => {
                    assert!((-arr * 3 / 10 - 1..=-arr / 10 + 1).contains(&outcome.arr_change))
                }
            }
        }
    }
    let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len() as f64;
    assert!(
        bad.len() > 300 && good.len() > 1500,
        "{} bad, {} good",
        bad.len(),
        good.len()
    );
    assert!(
        mean(&good) > mean(&bad) + 0.15,
        "good {} bad {}",
        mean(&good),
        mean(&bad)
    );
}

#[test]
fn the_flagship_account_is_acme_corp() {
    let config = config(5, 30);
    let all = accounts(&config);
    let (acme, events) = &all[0];
    assert_eq!(acme.name, "Acme Corp");
    assert_eq!(acme.id, "acc-0001");
    assert_eq!(acme.arr, 150_000);
    assert_eq!(acme.churn_date, None);
    assert!(acme.contacts.iter().any(|c| c.name == "Sarah Chen"));
    assert!(
        events.len() > 30 * 15,
        "Acme is a busy strategic account: {}",
        events.len()
    );
    assert_eq!(config.end, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
}
