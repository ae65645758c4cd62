//! Every early-warning signal and playbook trigger on a hand-made account,
//! with the evidence it cites; each also shown not to fire on nearby data, and
//! nothing at or after `as_of` counting. as_of is 2026-03-01T00:00Z throughout.

use rapport_core::engine::PortfolioState;
use rapport_core::health::health_report;
use rapport_core::health::playbooks::{cadence, playbooks};
use rapport_core::health::signals::{Signal, SignalLevel, signals};
use rapport_core::scoring::model::Model;
use rapport_core::{
    Account, AccountStatus, Activity, Contact, ContactRole, Email, ExternalId, Tier, Timestamp,
};

const AS_OF: &str = "2026-03-01T00:00:00Z";

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

/// An account `a1` with an executive, a champion and a user on file.
fn portfolio() -> PortfolioState {
    let mut portfolio = PortfolioState::new();
    portfolio.upsert_account(Account {
        external_id: ExternalId::parse("a1").unwrap(),
        name: "Acme Corp".into(),
        tier: Tier::Growth,
        arr: 50_000.0,
        seats: Some(4),
        csm: "Dana".into(),
        status: AccountStatus::Active,
        contract_start: None,
        renewal_date: None,
        industry: String::new(),
        manager: None,
        at_risk_override: false,
    });
    for (email, name, role, department) in [
        (
            "eve@acme.test",
            "Eve Exec",
            ContactRole::Executive,
            "Finance",
        ),
        (
            "cham@acme.test",
            "Cham Pion",
            ContactRole::Champion,
            "Operations",
        ),
        (
            "user@acme.test",
            "Una User",
            ContactRole::User,
            "Operations",
        ),
    ] {
        portfolio.upsert_contact(&Contact {
            account: ExternalId::parse("a1").unwrap(),
            email: Email::parse(email).unwrap(),
            name: name.into(),
            role,
            department: department.into(),
            title: String::new(),
        });
    }
    portfolio
}

fn add(portfolio: &mut PortfolioState, json: serde_json::Value) {
    let mut object = json;
    object["account"] = "a1".into();
    portfolio.add_activity(&Activity {
        source_id: None,
        account: ExternalId::parse("a1").unwrap(),
        at: at(object["at"].as_str().unwrap()),
        detail: serde_json::from_value(object).unwrap(),
    });
}

fn email(portfolio: &mut PortfolioState, when: &str, inbound: bool, thread: &str) {
    add(
        portfolio,
        serde_json::json!({"type": "email", "at": when, "thread": thread,
            "direction": if inbound { "inbound" } else { "outbound" },
            "from": if inbound { "cham@acme.test" } else { "csm@us.test" }}),
    );
}

fn fired(portfolio: &PortfolioState) -> Vec<Signal> {
    signals(portfolio, portfolio.account("a1").unwrap(), at(AS_OF))
}

fn find<'a>(signals: &'a [Signal], key: &str) -> Option<&'a Signal> {
    signals.iter().find(|signal| signal.key == key)
}

fn dates(signal: &Signal) -> Vec<String> {
    signal
        .evidence
        .iter()
        .map(|evidence| evidence.at.unwrap().date().to_string())
        .collect()
}

#[test]
fn three_unanswered_outreaches_in_a_row_are_a_red_flag() {
    let mut p = portfolio();
    email(&mut p, "2026-02-01T10:00:00Z", true, "t1");
    email(&mut p, "2026-02-05T10:00:00Z", false, "t1");
    email(&mut p, "2026-02-12T10:00:00Z", false, "t2");
    assert!(
        find(&fired(&p), "unanswered_outreach").is_none(),
        "two only"
    );
    add(
        &mut p,
        serde_json::json!({"type": "call", "at": "2026-02-20T15:00:00Z", "direction": "outbound",
            "contact": "cham@acme.test", "connected": false}),
    );
    // An answer at as_of does not count: the three stay unanswered.
    email(&mut p, AS_OF, true, "t2");
    let signals = fired(&p);
    let signal = find(&signals, "unanswered_outreach").unwrap();
    assert_eq!(signal.level, SignalLevel::Red);
    assert_eq!(dates(signal), ["2026-02-05", "2026-02-12", "2026-02-20"]);
    assert!(
        signal.evidence[2]
            .detail
            .contains("Cham Pion <cham@acme.test>")
    );
    assert!(
        signal.summary.contains("last responded on 2026-02-01"),
        "{}",
        signal.summary
    );
    // A reply before as_of resets the run.
    email(&mut p, "2026-02-25T10:00:00Z", true, "t2");
    assert!(find(&fired(&p), "unanswered_outreach").is_none());
}

fn meeting(p: &mut PortfolioState, when: &str, status: &str, kind: &str) {
    let mut json = serde_json::json!({"type": "meeting", "at": when, "status": status, "kind": kind,
        "attendees": ["cham@acme.test"]});
    if status == "cancelled" {
        json["cancelled_by"] = "customer".into();
    }
    add(p, json);
}

#[test]
fn two_cancellations_without_reschedule_and_a_missed_qbr_are_red_flags() {
    let mut p = portfolio();
    meeting(&mut p, "2026-01-10T15:00:00Z", "cancelled", "check_in");
    meeting(&mut p, "2026-01-15T15:00:00Z", "attended", "check_in"); // rescheduled
    meeting(&mut p, "2026-02-02T15:00:00Z", "cancelled", "check_in");
    assert!(find(&fired(&p), "meetings_cancelled_without_reschedule").is_none());
    meeting(&mut p, "2026-02-20T15:00:00Z", "no_show", "qbr");
    meeting(&mut p, "2026-02-25T15:00:00Z", "cancelled", "workshop");
    let signals = fired(&p);
    let cancelled = find(&signals, "meetings_cancelled_without_reschedule").unwrap();
    assert_eq!(dates(cancelled), ["2026-02-02", "2026-02-25"]);
    let qbr = find(&signals, "qbr_declined").unwrap();
    assert_eq!(dates(qbr), ["2026-02-20"]);
    assert_eq!(qbr.evidence[0].detail, "QBR: the customer did not show");
}

#[test]
fn an_executive_gone_quiet_while_we_reach_out_is_a_red_flag() {
    let mut p = portfolio();
    add(
        &mut p,
        serde_json::json!({"type": "email", "at": "2025-12-20T09:00:00Z", "direction": "inbound",
            "thread": "x", "from": "eve@acme.test"}),
    );
    assert!(
        find(&fired(&p), "executive_silent").is_none(),
        "no outreach of ours"
    );
    email(&mut p, "2026-02-15T09:00:00Z", false, "x");
    let signals = fired(&p);
    let silent = find(&signals, "executive_silent").unwrap();
    assert_eq!(dates(silent), ["2025-12-20"]);
    assert!(
        silent.evidence[0]
            .detail
            .starts_with("Eve Exec <eve@acme.test> last engaged 70 days ago"),
        "{}",
        silent.evidence[0].detail
    );
    // The health indicator too: no executive login or engagement in 30 days.
    assert!(find(&signals, "no_executive_login").is_some());
    add(
        &mut p,
        serde_json::json!({"type": "login", "at": "2026-02-26T09:00:00Z", "user": "EVE@acme.test"}),
    );
    assert!(
        find(&fired(&p), "no_executive_login").is_none(),
        "the executive logged in"
    );
}

fn logins(p: &mut PortfolioState, from_day: &str, days: u32, per_day: u32) {
    let start = at(&format!("{from_day}T08:00:00Z"));
    for day in 0..days {
        for n in 0..per_day {
            let when = start.plus_days(day).to_rfc3339();
            add(
                p,
                serde_json::json!({"type": "login", "at": when, "user": format!("u{n}")}),
            );
        }
    }
}

#[test]
fn usage_drops_by_month_week_and_fortnight() {
    let mut p = portfolio();
    // 4 logins a day from 2025-12-31 to 2026-01-29 (30 days), then 1 a day.
    logins(&mut p, "2025-12-31", 30, 4);
    logins(&mut p, "2026-01-30", 30, 1);
    let signals = fired(&p);
    let drop = find(&signals, "usage_drop").unwrap();
    assert_eq!(
        drop.summary,
        "30 logins in the last 30 days against 120 in the 30 before (-75%)"
    );
    // Week over week the last two weeks are flat: no weekly decline.
    assert!(find(&signals, "logins_down_week_over_week").is_none());
    let triggered = playbooks(p.account("a1").unwrap(), at(AS_OF));
    assert!(
        triggered
            .iter()
            .all(|playbook| playbook.key != "declining_usage")
    );

    let mut p = portfolio();
    logins(&mut p, "2026-02-01", 14, 2); // 28 in [02-01, 02-15)
    logins(&mut p, "2026-02-15", 14, 1); // 14 in [02-15, 03-01): −50 %
    let triggered = playbooks(p.account("a1").unwrap(), at(AS_OF));
    let declining = triggered
        .iter()
        .find(|playbook| playbook.key == "declining_usage")
        .unwrap();
    assert_eq!(
        declining.summary,
        "14 logins in the last 14 days against 28 in the 14 before (-50%)"
    );
    let actions: Vec<&str> = declining.tasks.iter().map(|task| task.action).collect();
    assert_eq!(
        actions,
        [
            "Immediate CSM outreach",
            "Technical health check",
            "Training refresher offer",
            "Use case validation"
        ]
    );
    assert_eq!(declining.tasks[0].due.to_string(), "2026-03-02");
    assert_eq!(declining.tasks[1].due.to_string(), "2026-03-08");
    // The last two weeks are flat: no week-over-week decline.
    assert!(find(&fired(&p), "logins_down_week_over_week").is_none());

    let mut p = portfolio();
    logins(&mut p, "2026-02-15", 7, 10); // 70 in [02-15, 02-22)
    logins(&mut p, "2026-02-22", 7, 8); // 56 in [02-22, 03-01): −20 %
    let signals = fired(&p);
    let weekly = find(&signals, "logins_down_week_over_week").unwrap();
    assert_eq!(
        weekly.summary,
        "56 logins in the last 7 days against 70 the week before (-20%)"
    );
}

#[test]
fn slower_answers_single_threading_and_tactical_meetings_are_yellow_flags() {
    let mut p = portfolio();
    // The month before: answered in 12 h. The last month: in 96 h.
    email(&mut p, "2026-01-10T09:00:00Z", false, "a");
    email(&mut p, "2026-01-10T21:00:00Z", true, "a");
    email(&mut p, "2026-02-05T09:00:00Z", false, "b");
    email(&mut p, "2026-02-09T09:00:00Z", true, "b");
    meeting(&mut p, "2026-02-10T15:00:00Z", "attended", "check_in");
    meeting(&mut p, "2026-02-17T15:00:00Z", "attended", "training");
    let signals = fired(&p);
    let slower = find(&signals, "response_time_rising").unwrap();
    assert_eq!(slower.level, SignalLevel::Yellow);
    assert!(
        slower
            .summary
            .starts_with("the customer now answers in 96 h"),
        "{}",
        slower.summary
    );
    assert!(
        slower.summary.ends_with("against 12 h the month before"),
        "{}",
        slower.summary
    );
    let single = find(&signals, "single_threaded").unwrap();
    assert_eq!(
        single.summary,
        "only Cham Pion <cham@acme.test> engaged in the last 90 days"
    );
    let tactical = find(&signals, "tactical_only").unwrap();
    assert_eq!(dates(tactical), ["2026-02-10", "2026-02-17"]);
    // A QBR makes the conversation strategic.
    meeting(&mut p, "2026-02-24T15:00:00Z", "attended", "qbr");
    assert!(find(&fired(&p), "tactical_only").is_none());
}

fn ticket(
    p: &mut PortfolioState,
    when: &str,
    id: &str,
    status: &str,
    severity: &str,
    sentiment: &str,
) {
    add(
        p,
        serde_json::json!({"type": "ticket", "at": when, "ticket": id, "status": status,
            "severity": severity, "sentiment": sentiment}),
    );
}

#[test]
fn ticket_severity_repeats_and_negative_sentiment() {
    let mut p = portfolio();
    ticket(
        &mut p,
        "2026-01-10T09:00:00Z",
        "T-1",
        "solved",
        "low",
        "neutral",
    );
    ticket(
        &mut p,
        "2026-02-10T09:00:00Z",
        "T-1",
        "open",
        "urgent",
        "negative",
    );
    ticket(
        &mut p,
        "2026-02-12T09:00:00Z",
        "T-2",
        "open",
        "normal",
        "negative",
    );
    let signals = fired(&p);
    let severity = find(&signals, "ticket_severity_rising").unwrap();
    assert_eq!(severity.evidence[0].detail, "ticket T-1 (urgent)");
    let repeated = find(&signals, "repeated_issues").unwrap();
    assert_eq!(repeated.evidence[0].detail, "ticket T-1 reopened");
    let negative = find(&signals, "negative_sentiment").unwrap();
    assert_eq!(dates(negative), ["2026-02-10", "2026-02-12"]);
    // Two negative interactions: no poor-sentiment playbook yet; a detractor makes three.
    assert!(playbooks(p.account("a1").unwrap(), at(AS_OF)).is_empty());
    add(
        &mut p,
        serde_json::json!({"type": "nps", "at": "2026-02-20T09:00:00Z", "contact": "user@acme.test", "score": 4}),
    );
    let triggered = playbooks(p.account("a1").unwrap(), at(AS_OF));
    let poor = triggered
        .iter()
        .find(|playbook| playbook.key == "poor_sentiment")
        .unwrap();
    assert_eq!(poor.evidence.len(), 3);
    assert_eq!(
        poor.evidence[2].detail,
        "NPS 4 from Una User <user@acme.test>"
    );
    assert_eq!(poor.tasks[0].action, "Service recovery protocol");
}

#[test]
fn feature_stagnation_training_no_shows_and_a_lost_champion() {
    let mut p = portfolio();
    let feature = |key: &str| rapport_core::Feature {
        key: rapport_core::FeatureKey::parse(key).unwrap(),
        name: key.into(),
        importance: rapport_core::FeatureImportance::Core,
    };
    p.set_catalogue(&[feature("reports"), feature("exports"), feature("alerts")]);
    for (when, feature) in [
        ("2025-10-01T09:00:00Z", "reports"),
        ("2025-11-15T09:00:00Z", "exports"),
        ("2026-02-20T09:00:00Z", "reports"),
    ] {
        add(
            &mut p,
            serde_json::json!({"type": "feature_used", "at": when, "user": "u1", "feature": feature}),
        );
    }
    add(
        &mut p,
        serde_json::json!({"type": "training", "at": "2026-02-18T16:00:00Z", "contact": "user@acme.test", "status": "no_show"}),
    );
    // The champion's last engagement: 2026-01-05, 55 days before as_of.
    email(&mut p, "2026-01-05T09:00:00Z", true, "c");
    let signals = fired(&p);
    let stagnation = find(&signals, "feature_adoption_stagnation").unwrap();
    assert_eq!(dates(stagnation), ["2025-11-15"]);
    let no_show = find(&signals, "training_no_shows").unwrap();
    assert_eq!(
        no_show.evidence[0].detail,
        "training no-show: Una User <user@acme.test>"
    );
    let triggered = playbooks(p.account("a1").unwrap(), at(AS_OF));
    let lost = triggered
        .iter()
        .find(|playbook| playbook.key == "lost_champion")
        .unwrap();
    assert_eq!(
        lost.evidence[0].detail,
        "champion cham@acme.test last engaged 54 days ago"
    );
    assert_eq!(lost.tasks[0].action, "Identify new champion");
    // A new feature in the last 60 days ends the stagnation.
    add(
        &mut p,
        serde_json::json!({"type": "feature_used", "at": "2026-02-21T09:00:00Z", "user": "u1", "feature": "alerts"}),
    );
    assert!(find(&fired(&p), "feature_adoption_stagnation").is_none());
}

#[test]
fn cadence_by_health_band() {
    assert_eq!(cadence(Some("healthy")).unwrap().check_in, "quarterly");
    assert_eq!(cadence(Some("neutral")).unwrap().check_in, "monthly");
    assert_eq!(cadence(Some("at_risk")).unwrap().check_in, "weekly");
    assert_eq!(
        cadence(Some("at_risk")).unwrap().actions[1],
        "Executive escalation"
    );
    assert!(cadence(None).is_none());
}

#[test]
fn the_health_report_puts_score_signals_playbooks_and_cadence_together() {
    let mut p = portfolio();
    logins(&mut p, "2026-02-01", 14, 2);
    logins(&mut p, "2026-02-15", 14, 1);
    let model = Model::health();
    let report = health_report(&model, &p, p.account("a1").unwrap(), at(AS_OF)).unwrap();
    assert_eq!(report.model, "health");
    assert_eq!(report.components.len(), 5);
    let outcomes = report
        .components
        .iter()
        .find(|c| c.score.key == "outcomes")
        .unwrap();
    assert_eq!(
        outcomes.score.score, None,
        "no goals: no outcomes component"
    );
    let score = report.score.unwrap();
    assert_eq!(
        report.band.as_deref(),
        Some(model.band_of(score).key.as_str())
    );
    assert!(
        report
            .playbooks
            .iter()
            .any(|playbook| playbook.key == "declining_usage")
    );
    assert_eq!(
        report.cadence.as_ref().map(|c| c.check_in),
        Some("weekly"),
        "{score}"
    );
    assert_eq!(report.history.len(), 6);
    // Red signals come first.
    let levels: Vec<SignalLevel> = report.signals.iter().map(|signal| signal.level).collect();
    let mut sorted = levels.clone();
    sorted.sort();
    assert_eq!(levels, sorted);
}
