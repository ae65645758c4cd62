//! Every portfolio-overview figure (`definitions.md` §4) on a hand-made
//! portfolio of four accounts. To keep the scores hand-computable, both models
//! are one-factor models on logins: engagement = 100 × min(1, logins ÷ 20),
//! health = 100 × min(1, logins ÷ 5).

use rapport_core::access::{Person, Role};
use rapport_core::engine::{PortfolioState, Window};
use rapport_core::portfolio::overview::{OverviewFilter, overview};
use rapport_core::scoring::model::Model;
use rapport_core::scoring::overrides::OverrideTrails;
use rapport_core::{Account, AccountStatus, Activity, ExternalId, Period, Tier, Timestamp};

fn model(name: &str, target: u32, bands: &str) -> Model {
    Model::from_toml(&format!(
        r#"name = "{name}"
[status]
healthy = 90
warning = 60
[trend]
overall_points = 3.0
factor_relative = 0.05
[alerts]
score_drop_points = 10.0
component_below = 50.0
overall_below = 50.0
{bands}
[[components]]
key = "usage"
name = "Usage"
[[factors]]
key = "logins"
name = "Logins"
component = "usage"
weight = 1
target = {target}
better = "higher"
"#
    ))
    .unwrap()
}

fn engagement_model() -> Model {
    model(
        "logins-engagement",
        20,
        r#"[[bands]]
key = "highly_engaged"
name = "Highly engaged"
from = 80
[[bands]]
key = "moderately_engaged"
name = "Moderately engaged"
from = 60
[[bands]]
key = "low"
name = "Low"
from = 40
[[bands]]
key = "disengaged"
name = "Disengaged"
from = 0"#,
    )
}

fn health_model() -> Model {
    model(
        "logins-health",
        5,
        r#"[[bands]]
key = "healthy"
name = "Healthy"
from = 80
[[bands]]
key = "neutral"
name = "Neutral"
from = 60
[[bands]]
key = "at_risk"
name = "At risk"
from = 0"#,
    )
}

fn account(
    id: &str,
    tier: Tier,
    arr: f64,
    csm: &str,
    status: AccountStatus,
    at_risk: bool,
) -> Account {
    Account {
        external_id: ExternalId::parse(id).unwrap(),
        name: format!("Account {id}"),
        tier,
        arr,
        seats: Some(5),
        csm: csm.into(),
        status,
        contract_start: None,
        renewal_date: None,
        industry: String::new(),
        manager: None,
        at_risk_override: at_risk,
    }
}

fn add(portfolio: &mut PortfolioState, id: &str, json: serde_json::Value) {
    let mut object = json;
    object["account"] = id.into();
    portfolio.add_activity(&Activity {
        source_id: None,
        account: ExternalId::parse(id).unwrap(),
        at: Timestamp::parse_rfc3339(object["at"].as_str().unwrap()).unwrap(),
        detail: serde_json::from_value(object).unwrap(),
    });
}

fn logins(portfolio: &mut PortfolioState, id: &str, first_day: &str, count: u32) {
    let start = Timestamp::parse_rfc3339(&format!("{first_day}T09:00:00Z")).unwrap();
    for day in 0..count {
        let at = start.plus_days(day).to_rfc3339();
        add(
            portfolio,
            id,
            serde_json::json!({"type": "login", "at": at, "user": "u"}),
        );
    }
}

/// as_of 2026-03-01: W = [2026-01-30, 2026-03-01), compare [2025-12-31, 2026-01-30).
fn portfolio() -> PortfolioState {
    let mut p = PortfolioState::new();
    p.upsert_account(account(
        "a",
        Tier::Strategic,
        300_000.0,
        "Dana",
        AccountStatus::Active,
        false,
    ));
    p.upsert_account(account(
        "b",
        Tier::Growth,
        60_000.0,
        "Lee",
        AccountStatus::Active,
        false,
    ));
    p.upsert_account(account(
        "c",
        Tier::Core,
        5_000.0,
        "Dana",
        AccountStatus::Active,
        true,
    ));
    p.upsert_account(account(
        "d",
        Tier::Core,
        90_000.0,
        "Dana",
        AccountStatus::Churned,
        false,
    ));
    // a: two contacts write in W (multi-threaded), a ticket, a scheduled meeting;
    // 10 logins now (engagement 50, health 100), 20 in the compare period (100).
    add(
        &mut p,
        "a",
        serde_json::json!({"type": "email", "at": "2026-02-10T10:00:00Z", "direction": "inbound", "thread": "t1", "from": "c1@a.test"}),
    );
    add(
        &mut p,
        "a",
        serde_json::json!({"type": "email", "at": "2026-02-20T10:00:00Z", "direction": "inbound", "thread": "t2", "from": "c2@a.test"}),
    );
    add(
        &mut p,
        "a",
        serde_json::json!({"type": "ticket", "at": "2026-02-21T10:00:00Z", "ticket": "T1", "status": "open", "severity": "normal", "tags": []}),
    );
    add(
        &mut p,
        "a",
        serde_json::json!({"type": "meeting", "at": "2026-02-25T15:00:00Z", "status": "scheduled", "kind": "check_in", "attendees": []}),
    );
    logins(&mut p, "a", "2026-02-01", 10);
    logins(&mut p, "a", "2026-01-01", 20);
    // b: an outbound e-mail now; two contacts initiated in the last 90 days but
    // neither in W (so not multi-threaded now, but it was in the compare period);
    // 2 logins now (engagement 10, health 40: at risk), none before.
    add(
        &mut p,
        "b",
        serde_json::json!({"type": "email", "at": "2026-02-05T10:00:00Z", "direction": "outbound", "thread": "t3", "from": "csm@us.test"}),
    );
    add(
        &mut p,
        "b",
        serde_json::json!({"type": "call", "at": "2025-12-15T10:00:00Z", "direction": "inbound", "contact": "c3@b.test", "connected": true}),
    );
    add(
        &mut p,
        "b",
        serde_json::json!({"type": "email", "at": "2026-01-05T10:00:00Z", "direction": "inbound", "thread": "t4", "from": "c4@b.test"}),
    );
    logins(&mut p, "b", "2026-02-10", 2);
    // c: nothing at all, but the key-moment override marks it at risk.
    // d: churned, left out, though busy.
    add(
        &mut p,
        "d",
        serde_json::json!({"type": "ticket", "at": "2026-02-21T10:00:00Z", "ticket": "T9", "status": "open", "severity": "normal", "tags": []}),
    );
    p
}

fn window() -> (Window, Window) {
    let as_of = Timestamp::parse_rfc3339("2026-03-01T00:00:00Z").unwrap();
    let window = Window::new(as_of, Period::DEFAULT);
    let compare = Window::new(as_of.minus_days(30), Period::DEFAULT);
    (window, compare)
}

#[test]
fn headline_figures_now_and_before() {
    let p = portfolio();
    let (window, compare) = window();
    let view = overview(
        &p,
        &engagement_model(),
        &health_model(),
        window,
        compare,
        &OverviewFilter::default(),
        &OverrideTrails::default(),
    );
    let now = &view.current;
    assert_eq!(now.accounts, 3, "the churned account is left out");
    assert_eq!(now.accounts_engaged, 2);
    assert!((now.accounts_engaged_percent.unwrap() - 200.0 / 3.0).abs() < 1e-9);
    assert_eq!(now.multi_threaded, 1);
    assert_eq!(now.activities.total, 5);
    assert_eq!(
        (
            now.activities.tickets,
            now.activities.emails,
            now.activities.meetings,
            now.activities.calls
        ),
        (1, 3, 1, 0)
    );
    assert!((now.average_engagement_per_account.unwrap() - 5.0 / 3.0).abs() < 1e-9);
    let before = &view.previous;
    // Compare period: only b's inbound e-mail of 2026-01-05; b was multi-threaded then.
    assert_eq!(
        (
            before.accounts_engaged,
            before.multi_threaded,
            before.activities.total
        ),
        (1, 1, 1)
    );
}

#[test]
fn activity_volume_by_revenue_tier_band_and_users() {
    let p = portfolio();
    let (window, compare) = window();
    let view = overview(
        &p,
        &engagement_model(),
        &health_model(),
        window,
        compare,
        &OverviewFilter::default(),
        &OverrideTrails::default(),
    );
    let row = |rows: &[rapport_core::portfolio::overview::VolumeRow], key: &str| {
        let row = rows.iter().find(|row| row.key == key).unwrap();
        (
            row.accounts,
            row.activities.total,
            row.previous_activities.total,
        )
    };
    assert_eq!(row(&view.volume.by_revenue, "$250k+"), (1, 4, 0));
    assert_eq!(row(&view.volume.by_revenue, "$50k–100k"), (1, 1, 1));
    assert_eq!(row(&view.volume.by_revenue, "< $10k"), (1, 0, 0));
    assert_eq!(row(&view.volume.by_revenue, "$100k–250k"), (0, 0, 0));
    assert_eq!(row(&view.volume.by_tier, "strategic"), (1, 4, 0));
    assert_eq!(row(&view.volume.by_tier, "core"), (1, 0, 0));
    // Engagement now: a 50 (low), b 10 and c 0 (disengaged).
    assert_eq!(row(&view.volume.by_score_band, "low"), (1, 4, 0));
    assert_eq!(row(&view.volume.by_score_band, "disengaged"), (2, 1, 1));
    // Distinct contacts engaged in W: a 2 (the two who wrote), b and c none.
    // Each period is bucketed by its own figures: in the compare period b had
    // one contact engaged (the e-mail of 2026-01-05), a and c none.
    assert_eq!(row(&view.volume.by_multi_threaded_users, "2"), (1, 4, 0));
    assert_eq!(row(&view.volume.by_multi_threaded_users, "0"), (2, 1, 0));
    assert_eq!(row(&view.volume.by_multi_threaded_users, "1"), (0, 0, 1));
}

#[test]
fn notable_changes_name_the_factor_that_moved() {
    let p = portfolio();
    let (window, compare) = window();
    let view = overview(
        &p,
        &engagement_model(),
        &health_model(),
        window,
        compare,
        &OverviewFilter::default(),
        &OverrideTrails::default(),
    );
    let up = &view.notable_changes.up;
    assert_eq!(up.len(), 1);
    assert_eq!(
        (up[0].account_name.as_str(), up[0].change),
        ("Account b", 10.0)
    );
    let down = &view.notable_changes.down;
    assert_eq!(
        (down[0].account_name.as_str(), down[0].change),
        ("Account a", -50.0)
    );
    assert_eq!(down[0].top_factor.as_deref(), Some("Logins"));
    assert_eq!(down[0].top_factor_points, Some(-50.0));
}

#[test]
fn at_risk_revenue_matrix_bands_and_highest_revenue() {
    let p = portfolio();
    let (window, compare) = window();
    let view = overview(
        &p,
        &engagement_model(),
        &health_model(),
        window,
        compare,
        &OverviewFilter::default(),
        &OverrideTrails::default(),
    );
    let risk = &view.at_risk;
    // At risk: b (health 40) and c (override): 60k + 5k.
    assert_eq!((risk.accounts, risk.revenue), (2, 65_000.0));
    // Before: a healthy (20 logins), b health 0 (at risk), c override.
    assert_eq!(
        (risk.previous_accounts, risk.previous_revenue),
        (2, 65_000.0)
    );
    let cell = |low: bool, at_risk: bool| {
        let cell = risk
            .matrix
            .iter()
            .find(|cell| cell.low_engagement == low && cell.at_risk == at_risk)
            .unwrap();
        (cell.accounts, cell.revenue)
    };
    assert_eq!(cell(true, true), (2, 65_000.0));
    assert_eq!(cell(true, false), (1, 300_000.0));
    assert_eq!(cell(false, true), (0, 0.0));
    assert_eq!(cell(false, false), (0, 0.0));
    let band = |key: &str| {
        let band = risk
            .revenue_by_band
            .iter()
            .find(|band| band.band == key)
            .unwrap();
        (
            band.accounts,
            band.revenue,
            band.previous_accounts,
            band.previous_revenue,
        )
    };
    assert_eq!(band("low"), (1, 300_000.0, 0, 0.0));
    assert_eq!(band("disengaged"), (2, 65_000.0, 2, 65_000.0));
    assert_eq!(band("highly_engaged"), (0, 0.0, 1, 300_000.0));
    let names: Vec<&str> = risk
        .highest_revenue_low_engagement
        .iter()
        .map(|account| account.account_name.as_str())
        .collect();
    assert_eq!(names, ["Account b", "Account c"]);
    assert!(risk.highest_revenue_low_engagement[1].at_risk_override);
}

#[test]
fn every_figure_filters_by_csm_and_tier() {
    let p = portfolio();
    let (window, compare) = window();
    let dana = OverviewFilter {
        csm: Some("dana".into()),
        ..OverviewFilter::default()
    };
    let view = overview(
        &p,
        &engagement_model(),
        &health_model(),
        window,
        compare,
        &dana,
        &OverrideTrails::default(),
    );
    assert_eq!(view.current.accounts, 2, "a and c; d is churned");
    assert_eq!(view.current.activities.total, 4);
    assert_eq!((view.at_risk.accounts, view.at_risk.revenue), (1, 5_000.0));
    let growth = OverviewFilter {
        tier: Some(Tier::Growth),
        ..OverviewFilter::default()
    };
    let view = overview(
        &p,
        &engagement_model(),
        &health_model(),
        window,
        compare,
        &growth,
        &OverrideTrails::default(),
    );
    assert_eq!(
        (view.current.accounts, view.current.accounts_engaged),
        (1, 1)
    );
    assert_eq!(view.notable_changes.down.len(), 0);
    // A CSM's own overview: the accounts naming them, as the CSM filter.
    let scoped = OverviewFilter {
        visible_to: Some(Person {
            id: 7,
            name: " Dana ".into(),
            role: Role::Csm,
        }),
        ..OverviewFilter::default()
    };
    let view = overview(
        &p,
        &engagement_model(),
        &health_model(),
        window,
        compare,
        &scoped,
        &OverrideTrails::default(),
    );
    assert_eq!(view.current.accounts, 2, "dana's a and c");
    assert_eq!((view.at_risk.accounts, view.at_risk.revenue), (1, 5_000.0));
}

/// Issue 20, item 5: a manual health override counts in the roll-ups as on the
/// account's own report. Account a is healthy (health 100); a person sets its
/// health to 40, so the overview counts it at risk (with c, at risk by the
/// key-moment flag, and b, at risk by its score), and the weekly report lists it.
#[test]
fn a_manual_health_override_reaches_the_overview_and_the_weekly_report() {
    use rapport_core::scoring::overrides::{OverrideAction, OverrideEvent};
    let p = portfolio();
    let (window, compare) = window();
    let set = OverrideEvent {
        at: Timestamp::parse_rfc3339("2026-02-15T12:00:00Z").unwrap(),
        author: "Dana".into(),
        action: OverrideAction::Set,
        model: "logins-health".into(),
        old: None,
        new: Some(40.0),
        reason: "renewal at risk: budget frozen".into(),
        expires_at: None,
    };
    let trails: OverrideTrails = [("a".to_string(), set)].into_iter().collect();
    let without = overview(
        &p,
        &engagement_model(),
        &health_model(),
        window,
        compare,
        &OverviewFilter::default(),
        &OverrideTrails::default(),
    );
    let with = overview(
        &p,
        &engagement_model(),
        &health_model(),
        window,
        compare,
        &OverviewFilter::default(),
        &trails,
    );
    assert_eq!(
        (without.at_risk.accounts, without.at_risk.revenue),
        (2, 65_000.0)
    );
    assert_eq!(
        (with.at_risk.accounts, with.at_risk.revenue),
        (3, 365_000.0)
    );
    assert_eq!(
        with.at_risk.overridden, 2,
        "a by the override, c by the flag"
    );
    assert_eq!(
        (
            with.at_risk.previous_accounts,
            with.at_risk.previous_revenue
        ),
        (
            without.at_risk.previous_accounts,
            without.at_risk.previous_revenue
        ),
        "the compare period ended before the override was set"
    );

    let weekly = rapport_core::portfolio::weekly::weekly_report(
        &p,
        &health_model(),
        &OverviewFilter::default(),
        &[],
        &trails,
        window.as_of,
    );
    let a = weekly
        .at_risk
        .iter()
        .find(|detail| detail.account_name == "Account a")
        .expect("the overridden account is in the weekly at-risk list");
    assert_eq!(a.health, Some(40.0));
    assert!(a.health_overridden);
    assert_eq!(weekly.summary.at_risk_accounts, 3);
}
