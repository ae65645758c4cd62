//! Every early-warning signal and playbook trigger on a hand-made account,
//! with the evidence it cites; each also shown not to fire on nearby data, and
//! nothing at or after `as_of` counting. as_of is 2026-03-01T00:00Z throughout.

use rapport_core::engine::PortfolioState;
use rapport_core::health::health_report;
use rapport_core::health::playbooks::{cadence, playbooks};
use rapport_core::health::signals::{Signal, SignalLevel, SignalSource, signals};
use rapport_core::scoring::model::Model;
use rapport_core::{
    Account, AccountStatus, Activity, Contact, ContactRole, Email, ExternalId, Tier, Timestamp,
};

const AS_OF: &str = "2026-03-01T00:00:00Z";

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

/// The account `a1`, renewing on `renewal` (a date) when given.
fn acme(renewal: Option<&str>) -> Account {
    Account {
        external_id: ExternalId::parse("a1").unwrap(),
        name: "Acme Corp".into(),
        tier: Tier::Growth,
        arr: 50_000.0,
        seats: Some(4),
        csm: "Dana".into(),
        status: AccountStatus::Active,
        contract_start: None,
        renewal_date: renewal.map(|date| date.parse().unwrap()),
        industry: String::new(),
        manager: None,
        at_risk_override: false,
    }
}

/// An account `a1` with an executive, a champion and a user on file.
fn portfolio() -> PortfolioState {
    let mut portfolio = PortfolioState::new();
    portfolio.upsert_account(acme(None));
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
    assert_eq!(
        signal.summary,
        "2 e-mails and 1 call of ours in a row went unanswered since the customer last \
         responded on 2026-02-01"
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
    assert_eq!(
        cancelled.summary,
        "2 meetings cancelled by the customer in the last 90 days were not rescheduled within \
         14 days"
    );
    let qbr = find(&signals, "qbr_declined").unwrap();
    assert_eq!(dates(qbr), ["2026-02-20"]);
    assert_eq!(qbr.summary, "1 QBR declined or missed in the last 90 days");
    assert_eq!(qbr.evidence[0].detail, "QBR: the customer did not show");
}

/// One of our e-mails to `to`.
fn email_to(portfolio: &mut PortfolioState, when: &str, thread: &str, to: &[&str]) {
    add(
        portfolio,
        serde_json::json!({"type": "email", "at": when, "thread": thread,
            "direction": "outbound", "from": "csm@us.test", "to": to}),
    );
}

fn call_to(portfolio: &mut PortfolioState, when: &str, contact: &str) {
    add(
        portfolio,
        serde_json::json!({"type": "call", "at": when, "direction": "outbound",
            "contact": contact, "connected": false}),
    );
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
    // Issue 20, item 6: our outreach to everyone else at the account says
    // nothing about whether the executive answers, and is not counted.
    for day in 10..20 {
        email_to(
            &mut p,
            &format!("2026-02-{day}T09:00:00Z"),
            "ops",
            &["cham@acme.test"],
        );
    }
    call_to(&mut p, "2026-02-21T09:00:00Z", "user@acme.test");
    email(&mut p, "2026-02-22T09:00:00Z", false, "no-recipient");
    assert!(
        find(&fired(&p), "executive_silent").is_none(),
        "no outreach addressed to the executive"
    );
    // Two e-mails and a call to her (one e-mail also to the champion, counted once).
    email_to(&mut p, "2026-02-15T09:00:00Z", "x", &["eve@acme.test"]);
    email_to(
        &mut p,
        "2026-02-20T09:00:00Z",
        "plan",
        &["cham@acme.test", "EVE@acme.test"],
    );
    call_to(&mut p, "2026-02-24T09:00:00Z", "eve@acme.test");
    // Before the last 30 days, and at as_of: not counted.
    email_to(&mut p, "2026-01-20T09:00:00Z", "x", &["eve@acme.test"]);
    email_to(&mut p, AS_OF, "x", &["eve@acme.test"]);
    let signals = fired(&p);
    let silent = find(&signals, "executive_silent").unwrap();
    assert_eq!(
        silent.summary,
        "no executive has engaged in the last 30 days despite 2 e-mails and 1 call of ours \
         addressed to Eve Exec <eve@acme.test> in that time"
    );
    assert_eq!(
        dates(silent),
        ["2025-12-20", "2026-02-15", "2026-02-20", "2026-02-24"]
    );
    assert_eq!(
        silent.evidence[0].detail,
        "Eve Exec <eve@acme.test> last engaged 70 days ago; 2 e-mails and 1 call of ours \
         addressed to them in the last 30 days"
    );
    assert_eq!(
        silent.evidence[2].detail,
        "e-mail to Eve Exec <eve@acme.test> in thread `plan`"
    );
    assert_eq!(
        silent.evidence[3].detail,
        "call to Eve Exec <eve@acme.test>"
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
    assert_eq!(
        tactical.summary,
        "2 meetings attended in the last 90 days, none of them strategic (a QBR, executive \
         meeting or workshop)"
    );
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
    // An update of the reopened ticket: still one ticket, one reopening, one
    // negative interaction (issue 20, item 6: counts were of events).
    ticket(
        &mut p,
        "2026-02-14T09:00:00Z",
        "T-1",
        "pending",
        "urgent",
        "negative",
    );
    let signals = fired(&p);
    let severity = find(&signals, "ticket_severity_rising").unwrap();
    assert_eq!(severity.evidence[0].detail, "ticket T-1 (urgent)");
    assert_eq!(
        severity.summary,
        "the 3 ticket events of the last 30 days have a mean severity of 3.3, against 1.0 for \
         the 1 event of the 30 days before (low 1 … urgent 4)"
    );
    let repeated = find(&signals, "repeated_issues").unwrap();
    assert_eq!(repeated.evidence[0].detail, "ticket T-1 reopened");
    assert_eq!(repeated.summary, "1 ticket reopened in the last 30 days");
    let negative = find(&signals, "negative_sentiment").unwrap();
    assert_eq!(dates(negative), ["2026-02-10", "2026-02-12"]);
    assert_eq!(
        negative.summary,
        "2 negative interactions in the last 30 days: 2 tickets with negative sentiment"
    );
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
    let signals = fired(&p);
    assert_eq!(
        find(&signals, "negative_sentiment").unwrap().summary,
        "3 negative interactions in the last 30 days: 2 tickets with negative sentiment and \
         1 NPS answer of 0–6"
    );
    // Solved and reopened again: one ticket, two reopenings.
    ticket(
        &mut p,
        "2026-02-16T09:00:00Z",
        "T-1",
        "solved",
        "urgent",
        "neutral",
    );
    ticket(
        &mut p,
        "2026-02-18T09:00:00Z",
        "T-1",
        "open",
        "urgent",
        "neutral",
    );
    let signals = fired(&p);
    let repeated = find(&signals, "repeated_issues").unwrap();
    assert_eq!(
        repeated.summary,
        "1 ticket reopened in the last 30 days (2 reopenings in all)"
    );
    assert_eq!(dates(repeated), ["2026-02-10", "2026-02-18"]);
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
    assert_eq!(
        stagnation.summary,
        "2 features used so far, none for the first time in the last 60 days (the last new \
         one on 2025-11-15); 1 of the catalogue's 3 features never used"
    );
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

// Lagging (confirmatory) indicators: renewal discussions and user feedback.

fn lagging(signal: &Signal) {
    assert_eq!(signal.source, SignalSource::HealthFrameworkLagging);
    assert_eq!(
        serde_json::to_value(signal).unwrap()["source"],
        "health_framework_lagging"
    );
}

fn customer_email(p: &mut PortfolioState, when: &str, thread: &str, subject: &str) {
    add(
        p,
        serde_json::json!({"type": "email", "at": when, "thread": thread, "direction": "inbound",
            "from": "cham@acme.test", "subject": subject}),
    );
}

#[test]
fn delayed_answers_count_only_near_the_renewal() {
    let mut p = portfolio();
    email(&mut p, "2026-02-02T09:00:00Z", false, "r1");
    email(&mut p, "2026-02-03T09:00:00Z", true, "r1"); // 24 h: on time
    email(&mut p, "2026-02-05T09:00:00Z", false, "r2");
    email(&mut p, "2026-02-10T09:00:00Z", true, "r2"); // 120 h: late
    email(&mut p, "2026-02-10T10:00:00Z", false, "r3"); // never answered
    email(&mut p, "2026-02-27T12:00:00Z", false, "r4"); // under 72 h old: not counted yet
    assert!(
        find(&fired(&p), "renewal_delayed_responses").is_none(),
        "no renewal date"
    );
    p.upsert_account(acme(Some("2026-07-01")));
    assert!(
        find(&fired(&p), "renewal_delayed_responses").is_none(),
        "renewal 122 days away"
    );
    p.upsert_account(acme(Some("2026-04-15")));
    let signals = fired(&p);
    let delayed = find(&signals, "renewal_delayed_responses").unwrap();
    lagging(delayed);
    assert_eq!(delayed.level, SignalLevel::Red);
    assert_eq!(
        delayed.summary,
        "renewal on 2026-04-15, in 45 days: 2 of our 3 e-mails of the last 30 days (those sent \
         72 h or more ago) got no answer within 72 h (1 answered later and 1 unanswered)"
    );
    assert_eq!(dates(delayed), ["2026-02-05", "2026-02-10"]);
    assert_eq!(
        delayed.evidence[0].detail,
        "our e-mail in thread `r2`: answered after 120 h"
    );
    assert_eq!(
        delayed.evidence[1].detail,
        "our e-mail in thread `r3`: unanswered"
    );
    // An answer at as_of does not count: r3 stays unanswered.
    email(&mut p, AS_OF, true, "r3");
    let signals = fired(&p);
    assert!(
        find(&signals, "renewal_delayed_responses")
            .unwrap()
            .summary
            .ends_with("(1 answered later and 1 unanswered)")
    );
    email(&mut p, "2026-02-11T09:00:00Z", true, "r3"); // 23 h: on time
    assert!(
        find(&fired(&p), "renewal_delayed_responses").is_none(),
        "1 of 3 delayed"
    );
}

#[test]
fn budget_and_competition_raised_by_the_customer_are_counted_by_thread_and_ticket() {
    let mut p = portfolio();
    customer_email(&mut p, "2026-02-01T09:00:00Z", "p1", "Budget for next year");
    customer_email(
        &mut p,
        "2026-02-03T09:00:00Z",
        "p1",
        "Re: Budget for next year",
    );
    add(
        &mut p,
        serde_json::json!({"type": "ticket", "at": "2026-02-05T09:00:00Z", "ticket": "T-9",
            "status": "open", "severity": "normal", "tags": ["billing", "Cost_Cutting"]}),
    );
    // Not counted: our own subject, a subject naming none (a pricing question is
    // not a budget concern), too old, at as_of.
    add(
        &mut p,
        serde_json::json!({"type": "email", "at": "2026-02-06T09:00:00Z", "thread": "q",
            "direction": "outbound", "from": "csm@us.test", "subject": "Budget for next year"}),
    );
    customer_email(
        &mut p,
        "2026-02-07T09:00:00Z",
        "i",
        "Contract and pricing question",
    );
    customer_email(&mut p, "2025-11-20T09:00:00Z", "old", "Budget freeze");
    customer_email(&mut p, AS_OF, "late", "Budget freeze");
    customer_email(
        &mut p,
        "2026-02-10T09:00:00Z",
        "c1",
        "Evaluating alternatives before renewal",
    );
    let signals = fired(&p);
    let budget = find(&signals, "budget_concerns").unwrap();
    lagging(budget);
    assert_eq!(budget.level, SignalLevel::Yellow, "no renewal near");
    assert_eq!(
        budget.summary,
        "the customer raised budget or cost in 1 e-mail thread and 1 ticket in the last \
         90 days (e-mail subjects and ticket tags)"
    );
    let details: Vec<&str> = budget.evidence.iter().map(|e| e.detail.as_str()).collect();
    assert_eq!(
        details,
        [
            "customer e-mail in thread `p1`: \"Budget for next year\"",
            "ticket T-9 tagged `Cost_Cutting`"
        ]
    );
    let competition = find(&signals, "competition_mentioned").unwrap();
    assert_eq!(
        competition.summary,
        "the customer mentioned competitors or alternatives in 1 e-mail thread in the last 90 \
         days (e-mail subjects and ticket tags)"
    );
    assert_eq!(dates(competition), ["2026-02-10"]);
    // With the renewal near, both are red and say when it is.
    p.upsert_account(acme(Some("2026-03-01")));
    let signals = fired(&p);
    let budget = find(&signals, "budget_concerns").unwrap();
    assert_eq!(budget.level, SignalLevel::Red);
    assert!(
        budget.summary.ends_with("; renewal on 2026-03-01, today"),
        "{}",
        budget.summary
    );
    // Within a level, the leading signals come before the lagging ones.
    assert!(
        signals.windows(2).all(|pair| pair[0].level < pair[1].level
            || pair[0].source != SignalSource::HealthFrameworkLagging
            || pair[1].source == SignalSource::HealthFrameworkLagging),
        "{signals:#?}"
    );
}

fn nps(p: &mut PortfolioState, when: &str, contact: &str, score: u8) {
    add(
        p,
        serde_json::json!({"type": "nps", "at": when, "contact": contact, "score": score}),
    );
}

#[test]
fn nps_declining_compares_the_mean_answer_of_two_quarters() {
    let mut p = portfolio();
    nps(&mut p, "2025-10-01T09:00:00Z", "eve@acme.test", 9);
    nps(&mut p, "2025-11-01T09:00:00Z", "user@acme.test", 8);
    nps(&mut p, "2026-01-10T09:00:00Z", "eve@acme.test", 8);
    // 8.0 against 8.5: not a decline of a point.
    assert!(find(&fired(&p), "nps_declining").is_none());
    nps(&mut p, "2026-02-10T09:00:00Z", "user@acme.test", 7);
    // CSAT is not NPS; an answer at as_of does not count.
    add(
        &mut p,
        serde_json::json!({"type": "csat", "at": "2026-02-11T09:00:00Z", "contact": "user@acme.test", "score": 1}),
    );
    nps(&mut p, AS_OF, "user@acme.test", 0);
    let signals = fired(&p);
    let declining = find(&signals, "nps_declining").unwrap();
    lagging(declining);
    assert_eq!(declining.level, SignalLevel::Yellow);
    assert_eq!(
        declining.summary,
        "mean NPS answer 7.5 over 2 answers in the last 90 days, against 8.5 over 2 answers in \
         the 90 days before"
    );
    assert_eq!(
        dates(declining),
        ["2025-10-01", "2025-11-01", "2026-01-10", "2026-02-10"]
    );
    assert_eq!(
        declining.evidence[3].detail,
        "NPS 7 from Una User <user@acme.test>"
    );
    nps(&mut p, "2026-02-12T09:00:00Z", "cham@acme.test", 3);
    let signals = fired(&p);
    let declining = find(&signals, "nps_declining").unwrap();
    assert_eq!(declining.level, SignalLevel::Red, "a detractors' mean");
    assert!(
        declining
            .summary
            .starts_with("mean NPS answer 6.0 over 3 answers"),
        "{}",
        declining.summary
    );
}

fn ticket_tagged(p: &mut PortfolioState, when: &str, id: &str, severity: &str, tags: &[&str]) {
    add(
        p,
        serde_json::json!({"type": "ticket", "at": when, "ticket": id, "status": "open",
            "severity": severity, "tags": tags}),
    );
}

#[test]
fn escalations_count_tickets_raised_in_severity_or_tagged() {
    let mut p = portfolio();
    // The 90 days before: T-1 raised from normal to high.
    ticket_tagged(&mut p, "2025-10-01T09:00:00Z", "T-1", "normal", &[]);
    ticket_tagged(&mut p, "2025-10-10T09:00:00Z", "T-1", "high", &[]);
    // The last 90 days: T-2 raised, T-3 tagged twice (one ticket), T-4 never raised.
    ticket_tagged(&mut p, "2026-01-05T09:00:00Z", "T-2", "low", &[]);
    ticket_tagged(&mut p, "2026-01-06T09:00:00Z", "T-2", "urgent", &[]);
    ticket_tagged(
        &mut p,
        "2026-02-01T09:00:00Z",
        "T-3",
        "normal",
        &["escalated"],
    );
    ticket_tagged(
        &mut p,
        "2026-02-03T09:00:00Z",
        "T-3",
        "normal",
        &["escalated"],
    );
    ticket_tagged(&mut p, "2026-02-05T09:00:00Z", "T-4", "normal", &["bug"]);
    ticket_tagged(&mut p, "2026-02-06T09:00:00Z", "T-4", "low", &[]);
    let signals = fired(&p);
    let escalations = find(&signals, "escalation_frequency").unwrap();
    lagging(escalations);
    assert_eq!(
        escalations.summary,
        "2 tickets escalated (severity raised, or tagged as an escalation) in the last 90 days, \
         against 1 in the 90 days before"
    );
    let details: Vec<&str> = escalations
        .evidence
        .iter()
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(
        details,
        [
            "ticket T-2 raised from low to urgent",
            "ticket T-3 tagged `escalated`"
        ]
    );
    // As many before as now: not more frequent.
    ticket_tagged(
        &mut p,
        "2025-11-01T09:00:00Z",
        "T-5",
        "high",
        &["escalation"],
    );
    assert!(find(&fired(&p), "escalation_frequency").is_none());
}
