//! Table tests of window aggregation with hand-computed expected values
//! (`definitions.md` §3.1).

use rapport_core::engine::facts::factor_facts;
use rapport_core::engine::{PortfolioState, Window};
use rapport_core::{
    Account, AccountStatus, Activity, Contact, ContactRole, Feature, Period, Tier, Timestamp,
};

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

fn account(seats: Option<u32>) -> Account {
    Account {
        external_id: rapport_core::ExternalId::parse("a1").unwrap(),
        name: "Acme Corp".into(),
        tier: Tier::Strategic,
        arr: 150_000.0,
        seats,
        csm: "Dana".into(),
        status: AccountStatus::Active,
        contract_start: None,
        renewal_date: None,
        industry: String::new(),
        manager: None,
        at_risk_override: false,
    }
}

fn activity(json: serde_json::Value) -> Activity {
    let mut object = json;
    object["account"] = "a1".into();
    let detail = serde_json::from_value(object.clone()).unwrap();
    Activity {
        source_id: None,
        account: rapport_core::ExternalId::parse("a1").unwrap(),
        at: at(object["at"].as_str().unwrap()),
        detail,
    }
}

fn portfolio(seats: Option<u32>, activities: &[serde_json::Value]) -> PortfolioState {
    let mut state = PortfolioState::new();
    state.upsert_account(account(seats));
    for json in activities {
        state.add_activity(&activity(json.clone()));
    }
    state
}

/// as_of 2026-01-31T00:00Z, P = 30d: W = [2026-01-01T00:00Z, 2026-01-31T00:00Z).
fn window() -> Window {
    Window::new(at("2026-01-31T00:00:00Z"), Period::DEFAULT)
}

fn email(at: &str, direction: &str, thread: &str) -> serde_json::Value {
    let from = if direction == "inbound" {
        "sarah@acme.com"
    } else {
        "csm@us.example"
    };
    serde_json::json!({"type":"email","at":at,"direction":direction,"thread":thread,"from":from,"to":[]})
}

#[test]
fn email_response_rate_and_time() {
    let state = portfolio(
        Some(10),
        &[
            // Before W: its reply inside W does not count as a W outbound.
            email("2025-12-30T10:00:00Z", "outbound", "t0"),
            email("2026-01-02T10:00:00Z", "inbound", "t0"),
            // Responded after 4 hours.
            email("2026-01-05T10:00:00Z", "outbound", "t1"),
            email("2026-01-05T14:00:00Z", "inbound", "t1"),
            // Two unanswered: the next message of the first is our own follow-up.
            email("2026-01-10T10:00:00Z", "outbound", "t2"),
            email("2026-01-12T10:00:00Z", "outbound", "t2"),
            // Responded after 30 hours.
            email("2026-01-20T09:00:00Z", "outbound", "t3"),
            email("2026-01-21T15:00:00Z", "inbound", "t3"),
            // Its reply arrives at as_of: not seen yet, so unanswered.
            email("2026-01-29T00:00:00Z", "outbound", "t4"),
            email("2026-01-31T00:00:00Z", "inbound", "t4"),
        ],
    );
    let facts = factor_facts(&state, state.account("a1").unwrap(), window());
    assert_eq!(facts.outbound_emails, 5);
    assert_eq!(facts.responded_emails, 2);
    assert_eq!(facts.email_response_rate, Some(40.0));
    assert_eq!(facts.response_time_hours, Some(17.0));
    // Proactive outreach: no inbound message in W opens its thread.
    assert_eq!(facts.customer_initiated_contacts, 0);

    // One millisecond later the t4 reply is visible.
    let later = Window::new(
        Timestamp::from_millis(at("2026-01-31T00:00:00Z").millis() + 1),
        Period::DEFAULT,
    );
    let facts = factor_facts(&state, state.account("a1").unwrap(), later);
    assert_eq!(facts.responded_emails, 3);
    assert_eq!(facts.response_time_hours, Some((4.0 + 30.0 + 48.0) / 3.0));
}

#[test]
fn meeting_attendance_and_proactive_outreach() {
    let meeting = |at: &str, status: &str, extra: serde_json::Value| {
        let mut json = serde_json::json!({"type":"meeting","at":at,"status":status,"kind":"check_in","attendees":[]});
        for (key, value) in extra.as_object().unwrap() {
            json[key] = value.clone();
        }
        json
    };
    let state = portfolio(
        Some(10),
        &[
            meeting(
                "2026-01-03T15:00:00Z",
                "attended",
                serde_json::json!({"attendees":["sarah@acme.com"]}),
            ),
            meeting("2026-01-08T15:00:00Z", "no_show", serde_json::json!({})),
            meeting(
                "2026-01-09T15:00:00Z",
                "cancelled",
                serde_json::json!({"cancelled_by":"customer","initiated_by":"customer"}),
            ),
            meeting(
                "2026-01-10T15:00:00Z",
                "cancelled",
                serde_json::json!({"cancelled_by":"us"}),
            ),
            meeting("2026-01-30T15:00:00Z", "scheduled", serde_json::json!({})),
            meeting("2026-01-31T15:00:00Z", "attended", serde_json::json!({})),
            email("2026-01-15T08:00:00Z", "inbound", "opened-by-customer"),
            email("2026-01-15T09:00:00Z", "outbound", "opened-by-customer"),
            email("2026-01-16T08:00:00Z", "inbound", "opened-by-customer"),
            serde_json::json!({"type":"call","at":"2026-01-20T10:00:00Z","direction":"inbound","connected":false}),
            serde_json::json!({"type":"call","at":"2026-01-21T10:00:00Z","direction":"outbound","connected":true,"contact":"tom@acme.com"}),
        ],
    );
    let facts = factor_facts(&state, state.account("a1").unwrap(), window());
    assert_eq!((facts.meetings_attended, facts.meetings_counted), (1, 3));
    assert_eq!(facts.meeting_attendance, Some(100.0 / 3.0));
    // Thread opener + customer-initiated meeting + inbound call = 3 in 30 days.
    assert_eq!(facts.customer_initiated_contacts, 3);
    assert_eq!(facts.proactive_outreach_per_month, 3.0);
    // sarah (attended, inbound e-mails) and tom (connected call).
    assert_eq!(facts.stakeholder_depth, 2.0);
}

#[test]
fn product_factors_match_the_prd_examples() {
    // 10 active users, 90 logins in 30 days: 90 / 10 / (30 / 7) = 2.1 per week.
    let mut activities = Vec::new();
    for login in 0..90 {
        let user = format!("u{}", login % 10);
        let day = 1 + login % 29;
        activities.push(serde_json::json!({"type":"login","at":format!("2026-01-{day:02}T10:00:00Z"),"user":user}));
    }
    for (minutes, day) in [(10.0, 5), (14.0, 6)] {
        activities.push(serde_json::json!({"type":"session","at":format!("2026-01-{day:02}T11:00:00Z"),"user":"u1","duration_min":minutes}));
    }
    activities.push(serde_json::json!({"type":"feature_used","at":"2026-01-07T11:00:00Z","user":"u2","feature":"reports"}));
    activities.push(serde_json::json!({"type":"feature_used","at":"2026-01-07T12:00:00Z","user":"u3","feature":"export"}));
    // Outside W: not active now, but seen in the 90-day look-back.
    activities
        .push(serde_json::json!({"type":"login","at":"2025-12-01T10:00:00Z","user":"old-user"}));
    let mut state = portfolio(Some(20), &activities);
    let facts = factor_facts(&state, state.account("a1").unwrap(), window());
    assert_eq!(facts.active_users, 10);
    assert!(
        (facts.login_frequency_per_week - 2.1).abs() < 1e-12,
        "{}",
        facts.login_frequency_per_week
    );
    assert_eq!(facts.session_minutes, 12.0);
    assert_eq!(facts.active_user_percent, 50.0);
    // No catalogue: 2 features used of the 2 seen anywhere.
    assert_eq!(facts.feature_breadth, Some(100.0));

    // Catalogue: reports core (2) + export basic (1) used, dashboards advanced (1.5) not: 3 / 4.5.
    let feature = |key: &str, importance: &str| Feature {
        key: rapport_core::FeatureKey::parse(key).unwrap(),
        name: key.into(),
        importance: importance.parse().unwrap(),
    };
    state.set_catalogue(&[
        feature("reports", "core"),
        feature("dashboards", "advanced"),
        feature("export", "basic"),
    ]);
    let facts = factor_facts(&state, state.account("a1").unwrap(), window());
    assert!((facts.feature_breadth.unwrap() - 100.0 * 3.0 / 4.5).abs() < 1e-12);

    // Without seats: divide by the 11 users seen in [as_of − 90d, as_of).
    let mut no_seats = portfolio(None, &activities);
    no_seats.upsert_account(account(Some(0)));
    let facts = factor_facts(&no_seats, no_seats.account("a1").unwrap(), window());
    assert_eq!(facts.user_base, 11);
    assert_eq!(facts.active_user_percent, 100.0 * 10.0 / 11.0);
}

#[test]
fn executive_and_champion_recency_and_no_activity() {
    let mut state = portfolio(
        Some(5),
        &[
            serde_json::json!({"type":"meeting","at":"2025-12-02T00:00:00Z","status":"attended","kind":"exec","attendees":["CEO@acme.com"]}),
            serde_json::json!({"type":"training","at":"2026-01-21T12:00:00Z","status":"attended","contact":"sarah@acme.com"}),
            serde_json::json!({"type":"training","at":"2026-01-25T12:00:00Z","status":"no_show","contact":"sarah@acme.com"}),
        ],
    );
    let contact = |email: &str, role: ContactRole| Contact {
        account: rapport_core::ExternalId::parse("a1").unwrap(),
        email: rapport_core::Email::parse(email).unwrap(),
        name: String::new(),
        role,
        department: String::new(),
        title: String::new(),
    };
    state.upsert_contact(&contact("ceo@acme.com", ContactRole::Executive));
    let facts = factor_facts(&state, state.account("a1").unwrap(), window());
    assert_eq!(facts.days_since_executive, Some(60.0));
    assert_eq!(facts.days_since_champion, None, "no champion known yet");
    state.upsert_contact(&contact("sarah@acme.com", ContactRole::Champion));
    let facts = factor_facts(&state, state.account("a1").unwrap(), window());
    assert_eq!(facts.days_since_champion, Some(9.5));
    assert_eq!(facts.stakeholder_depth, 2.0);

    // An account with no activity at all.
    let mut empty = PortfolioState::new();
    empty.upsert_account(account(Some(5)));
    let facts = factor_facts(&empty, empty.account("a1").unwrap(), window());
    assert_eq!(facts.email_response_rate, None);
    assert_eq!(facts.response_time_hours, None);
    assert_eq!(facts.meeting_attendance, None);
    assert_eq!(facts.feature_breadth, None);
    assert_eq!(facts.login_frequency_per_week, 0.0);
    assert_eq!(facts.active_user_percent, 0.0);
    assert_eq!(
        (facts.days_since_executive, facts.days_since_champion),
        (None, None)
    );
}

#[test]
fn out_of_order_arrival_gives_the_same_facts() {
    let activities = [
        email("2026-01-05T10:00:00Z", "outbound", "t1"),
        email("2026-01-05T14:00:00Z", "inbound", "t1"),
        email("2026-01-10T10:00:00Z", "outbound", "t2"),
        serde_json::json!({"type":"login","at":"2026-01-04T10:00:00Z","user":"u1"}),
        serde_json::json!({"type":"login","at":"2026-01-02T10:00:00Z","user":"u2"}),
    ];
    let in_order = portfolio(Some(4), &activities);
    let mut reversed_activities = activities.to_vec();
    reversed_activities.reverse();
    let reversed = portfolio(Some(4), &reversed_activities);
    assert_eq!(
        factor_facts(&in_order, in_order.account("a1").unwrap(), window()),
        factor_facts(&reversed, reversed.account("a1").unwrap(), window())
    );
}

/// Records naming the same calendar occurrence: the last one stored is the
/// meeting (moved, cancelled, held), except that a no-show a person recorded
/// stands whatever the calendar says afterwards; a superseded attended record
/// takes back the engagement it gave its attendees.
#[test]
fn calendar_occurrences_keep_their_latest_record_and_a_no_show_stands() {
    let record = |at: &str, status: &str, occurrence: &str, extra: serde_json::Value| {
        let mut json = serde_json::json!({"type":"meeting","at":at,"status":status,"kind":"check_in",
            "attendees":["sarah@acme.com"],"occurrence":occurrence});
        for (key, value) in extra.as_object().unwrap() {
            json[key] = value.clone();
        }
        json
    };
    let none = serde_json::json!({});
    let state = portfolio(
        Some(10),
        &[
            // Imported before it happened, then held an hour later than planned.
            record(
                "2026-01-05T09:00:00Z",
                "scheduled",
                "u1_20260105T090000Z",
                none.clone(),
            ),
            record(
                "2026-01-05T10:00:00Z",
                "attended",
                "u1_20260105T090000Z",
                none.clone(),
            ),
            // Then a person says nobody came; a later import says held again.
            record(
                "2026-01-05T10:00:00Z",
                "no_show",
                "u1_20260105T090000Z",
                serde_json::json!({"recorded_by":"Dana"}),
            ),
            record(
                "2026-01-05T10:00:00Z",
                "attended",
                "u1_20260105T090000Z",
                none.clone(),
            ),
            // Held, then cancelled by the customer after all.
            record(
                "2026-01-12T09:00:00Z",
                "attended",
                "u1_20260112T090000Z",
                none.clone(),
            ),
            record(
                "2026-01-12T09:00:00Z",
                "cancelled",
                "u1_20260112T090000Z",
                serde_json::json!({"cancelled_by":"customer"}),
            ),
        ],
    );
    let account = state.account("a1").unwrap();
    let facts = factor_facts(&state, account, window());
    assert_eq!((facts.meetings_attended, facts.meetings_counted), (0, 2));
    // Neither attended record counts as sarah engaging any more.
    assert_eq!(facts.stakeholder_depth, 0.0);
}

/// A no-show recorded by mistake is taken back by a person's record that the
/// customer attended after all; the calendar's later word does not undo that
/// correction's effect on a no-show recorded again afterwards.
#[test]
fn a_person_takes_a_no_show_back_and_may_record_it_again() {
    let record = |status: &str, by: Option<&str>| {
        let mut json = serde_json::json!({"type":"meeting","at":"2026-01-05T10:00:00Z",
            "status":status,"kind":"check_in","attendees":["sarah@acme.com"],
            "occurrence":"u1_20260105T100000Z"});
        if let Some(by) = by {
            json["recorded_by"] = by.into();
        }
        json
    };
    let attended = |records: &[serde_json::Value]| {
        let state = portfolio(Some(10), records);
        let account = state.account("a1").unwrap();
        let facts = factor_facts(&state, account, window());
        (facts.meetings_attended, facts.meetings_counted)
    };
    let calendar = record("attended", None);
    let no_show = record("no_show", Some("Dana"));
    let taken_back = record("attended", Some("Dana"));
    assert_eq!(attended(&[calendar.clone(), no_show.clone()]), (0, 1));
    assert_eq!(
        attended(&[calendar.clone(), no_show.clone(), taken_back.clone()]),
        (1, 1)
    );
    assert_eq!(
        attended(&[
            calendar.clone(),
            no_show.clone(),
            taken_back,
            no_show.clone(),
            calendar
        ]),
        (0, 1),
        "recorded again, the no-show stands against the calendar"
    );
}
