//! Root causes and their evidence on a hand-made account (`definitions.md`
//! §3.2), and the impact analysis switching to a fitted model at 30 outcomes.

use rapport_core::engagement::explain::Evidence;
use rapport_core::engagement::impact::ImpactSource;
use rapport_core::engagement::{
    BreakdownCaches, Compare, EngagementBreakdown, engagement_breakdown,
};
use rapport_core::engine::{PortfolioState, Window};
use rapport_core::scoring::model::{FactorKey, Model};
use rapport_core::{
    Account, AccountStatus, Activity, Contact, ContactRole, ExternalId, Feature, Outcome,
    OutcomeKind, Period, Tier, Timestamp,
};

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

fn account(id: &str) -> Account {
    Account {
        external_id: ExternalId::parse(id).unwrap(),
        name: format!("Account {id}"),
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
    }
}

fn activity(account: &str, json: serde_json::Value) -> Activity {
    let mut object = json;
    object["account"] = account.into();
    Activity {
        source_id: None,
        account: ExternalId::parse(account).unwrap(),
        at: at(object["at"].as_str().unwrap()),
        detail: serde_json::from_value(object).unwrap(),
    }
}

fn contact(email: &str, name: &str, role: ContactRole) -> Contact {
    Contact {
        account: ExternalId::parse("a1").unwrap(),
        email: rapport_core::Email::parse(email).unwrap(),
        name: name.into(),
        role,
        department: String::new(),
        title: String::new(),
    }
}

/// as_of 2026-01-31T00:00Z, P = 30d: W = [2026-01-01, 2026-01-31), compare
/// window [2025-12-02, 2026-01-01).
fn breakdown(portfolio: &PortfolioState) -> EngagementBreakdown {
    engagement_breakdown(
        &Model::prd070(),
        portfolio,
        portfolio.account("a1").unwrap(),
        Window::new(at("2026-01-31T00:00:00Z"), Period::DEFAULT),
        Compare::Previous,
        &BreakdownCaches::default(),
    )
    .unwrap()
}

fn hand_made() -> PortfolioState {
    let mut state = PortfolioState::new();
    state.upsert_account(account("a1"));
    state.upsert_contact(&contact(
        "tom@acme.com",
        "Tom Williams",
        ContactRole::Executive,
    ));
    state.upsert_contact(&contact(
        "sarah@acme.com",
        "Sarah Chen",
        ContactRole::Champion,
    ));
    state.upsert_contact(&contact("raj@acme.com", "Raj Patel", ContactRole::User));
    state.set_catalogue(&[
        serde_json::from_value::<Feature>(
            serde_json::json!({"key":"reports","name":"Reports","importance":"core"}),
        )
        .unwrap(),
        serde_json::from_value::<Feature>(
            serde_json::json!({"key":"alerts","name":"Alerts","importance":"basic"}),
        )
        .unwrap(),
    ]);
    let email = |at: &str, direction: &str, thread: &str, from: &str| serde_json::json!({"type":"email","at":at,"direction":direction,"thread":thread,"from":from,"to":[]});
    let json = [
        // Tom, the executive, last engaged 2025-10-23 (100 days before as_of).
        email("2025-10-23T00:00:00Z", "inbound", "renewal", "tom@acme.com"),
        // Thread "q1-plan": four outbound e-mails in a row, never answered.
        email(
            "2026-01-05T09:00:00Z",
            "outbound",
            "q1-plan",
            "csm@us.example",
        ),
        email(
            "2026-01-09T09:00:00Z",
            "outbound",
            "q1-plan",
            "csm@us.example",
        ),
        email(
            "2026-01-14T09:00:00Z",
            "outbound",
            "q1-plan",
            "csm@us.example",
        ),
        email(
            "2026-01-20T09:00:00Z",
            "outbound",
            "q1-plan",
            "csm@us.example",
        ),
        // Thread "sso": answered after 50 hours by Sarah.
        email("2026-01-06T10:00:00Z", "outbound", "sso", "csm@us.example"),
        email("2026-01-08T12:00:00Z", "inbound", "sso", "sarah@acme.com"),
        // Meetings: one attended, one no-show, one cancelled by the customer.
        serde_json::json!({"type":"meeting","at":"2026-01-07T15:00:00Z","status":"attended","attendees":["sarah@acme.com"],"kind":"check_in","duration_min":30}),
        serde_json::json!({"type":"meeting","at":"2026-01-15T15:00:00Z","status":"no_show","attendees":[],"kind":"training","duration_min":60}),
        serde_json::json!({"type":"meeting","at":"2026-01-22T15:00:00Z","status":"cancelled","cancelled_by":"customer","attendees":[],"kind":"qbr","duration_min":60}),
        // Product: u1, u2, u3 active in December; only u1 in January.
        serde_json::json!({"type":"login","at":"2025-12-10T09:00:00Z","user":"u1"}),
        serde_json::json!({"type":"login","at":"2025-12-11T09:00:00Z","user":"u2"}),
        serde_json::json!({"type":"feature_used","at":"2025-12-12T09:00:00Z","user":"u3","feature":"alerts"}),
        serde_json::json!({"type":"login","at":"2026-01-12T09:00:00Z","user":"u1"}),
        serde_json::json!({"type":"session","at":"2026-01-12T09:05:00Z","user":"u1","duration_min":6}),
        serde_json::json!({"type":"feature_used","at":"2026-01-12T09:10:00Z","user":"u1","feature":"alerts"}),
        // Tickets: an open feature request, a solved one, and an open bug.
        serde_json::json!({"type":"ticket","at":"2025-12-20T09:00:00Z","ticket":"T-1","status":"open","severity":"normal","tags":["feature_request"]}),
        serde_json::json!({"type":"ticket","at":"2026-01-03T09:00:00Z","ticket":"T-1","status":"pending","severity":"normal","tags":[]}),
        serde_json::json!({"type":"ticket","at":"2025-12-21T09:00:00Z","ticket":"T-2","status":"open","severity":"low","tags":["feature_request"]}),
        serde_json::json!({"type":"ticket","at":"2026-01-04T09:00:00Z","ticket":"T-2","status":"solved","severity":"low","tags":["feature_request"]}),
        serde_json::json!({"type":"ticket","at":"2026-01-05T09:00:00Z","ticket":"T-3","status":"open","severity":"high","tags":["bug"]}),
        // At as_of: ignored everywhere.
        email(
            "2026-01-31T00:00:00Z",
            "inbound",
            "q1-plan",
            "sarah@acme.com",
        ),
        serde_json::json!({"type":"ticket","at":"2026-01-31T00:00:00Z","ticket":"T-1","status":"solved","severity":"normal","tags":[]}),
    ];
    for item in json {
        state.add_activity(&activity("a1", item));
    }
    state
}

fn cause(
    breakdown: &EngagementBreakdown,
    factor: FactorKey,
) -> &rapport_core::engagement::explain::RootCause {
    breakdown
        .root_causes
        .iter()
        .find(|cause| cause.factor == factor)
        .unwrap_or_else(|| panic!("no root cause for {factor:?}"))
}

#[test]
fn every_factor_below_target_names_its_evidence() {
    let breakdown = breakdown(&hand_made());

    // 5 outbound in W, 1 answered: 20 %; the q1-plan thread has 4 unanswered in a row.
    let email = cause(&breakdown, FactorKey::EmailResponseRate);
    assert_eq!(email.current, Some(20.0));
    assert!(
        email.summary.starts_with("4 of 5 outbound e-mails"),
        "{}",
        email.summary
    );
    let Evidence::UnansweredThreads { total, threads } = &email.evidence[1] else {
        panic!("{:?}", email.evidence)
    };
    assert_eq!(*total, 1);
    assert_eq!(threads[0].thread, "q1-plan");
    assert_eq!(threads[0].unanswered, 4);
    assert_eq!(threads[0].first_sent, at("2026-01-05T09:00:00Z"));
    assert!(!threads[0].answered_at_last);

    // 50 hours against 24.
    let time = cause(&breakdown, FactorKey::ResponseTime);
    let Evidence::SlowResponses { responses, .. } = &time.evidence[0] else {
        panic!()
    };
    assert_eq!(responses[0].thread, "sso");
    assert!((responses[0].hours - 50.0).abs() < 1e-9);

    // 1 of 3 counted meetings attended; the no-show and the customer's cancellation by date.
    let meetings = cause(&breakdown, FactorKey::MeetingAttendance);
    assert!(
        meetings.summary.contains("2026-01-15, 2026-01-22"),
        "{}",
        meetings.summary
    );

    // u2 and u3 went quiet; one open feature request (T-1; T-2 was solved).
    let active = cause(&breakdown, FactorKey::ActiveUserPercent);
    let quiet = active
        .evidence
        .iter()
        .find_map(|evidence| match evidence {
            Evidence::UsersGoneQuiet { users, .. } => Some(users.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(quiet, ["u2", "u3"]);
    let requests = active
        .evidence
        .iter()
        .find_map(|evidence| match evidence {
            Evidence::OpenFeatureRequests { tickets, .. } => Some(tickets.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].ticket, "T-1");
    assert_eq!(requests[0].opened, at("2025-12-20T09:00:00Z"));

    // Breadth: alerts (basic, 1) used of reports (2) + alerts (1): 33 %; reports unused.
    let breadth = cause(&breakdown, FactorKey::FeatureBreadth);
    let Evidence::UnusedFeatures { features, .. } = &breadth.evidence[0] else {
        panic!()
    };
    assert_eq!(features[0].key, "reports");

    // Executive: Tom, last engaged 100 days ago.
    let executive = cause(&breakdown, FactorKey::ExecutiveAccess);
    assert_eq!(executive.current, Some(100.0));
    assert!(
        executive.summary.contains("Tom Williams"),
        "{}",
        executive.summary
    );
    assert!(
        executive.summary.contains("2025-10-23"),
        "{}",
        executive.summary
    );

    // Stakeholders: Sarah engaged (e-mail, meeting); Raj on file, never engaged.
    let depth = cause(&breakdown, FactorKey::StakeholderDepth);
    let Evidence::Stakeholders {
        engaged,
        not_engaged,
        ..
    } = &depth.evidence[0]
    else {
        panic!()
    };
    let engaged: Vec<&str> = engaged.iter().map(|c| c.email.as_str()).collect();
    assert_eq!(engaged, ["sarah@acme.com"]);
    assert!(not_engaged.iter().any(|c| c.email == "raj@acme.com"));

    // Every recommendation carries its root cause.
    assert!(
        breakdown
            .recommendations
            .iter()
            .all(|recommendation| recommendation.because.is_some())
    );
    // Factors at target have no root cause: the champion engaged 8 days ago.
    assert!(
        breakdown
            .root_causes
            .iter()
            .all(|cause| cause.factor != FactorKey::ChampionActivity)
    );
}

#[test]
fn thirty_outcomes_switch_the_impact_analysis_to_a_fitted_model() {
    let mut state = hand_made();
    // 40 accounts: the first 20 never log in (low scores) and mostly churn, the
    // others log in daily and mostly renew; a few exceptions keep it from
    // separating perfectly.
    for index in 0..40 {
        let id = format!("o{index:02}");
        state.upsert_account(account(&id));
        if index >= 20 {
            for day in 1..=28 {
                for user in ["x", "y", "z"] {
                    state.add_activity(&activity(
                        &id,
                        serde_json::json!({"type":"login","at":format!("2025-11-{day:02}T09:00:00Z"),"user":user}),
                    ));
                }
            }
        }
        let churned = (index < 20 && index % 4 != 0) || index == 25;
        let outcome = Outcome {
            account: ExternalId::parse(&id).unwrap(),
            date: rapport_core::time::parse_date("2025-12-01").unwrap(),
            outcome: if churned {
                OutcomeKind::Churned
            } else if index % 3 == 0 {
                OutcomeKind::Expanded
            } else {
                OutcomeKind::Renewed
            },
            arr_change: 0.0,
        };
        state.upsert_outcome(&outcome);
    }
    let fitted = breakdown(&state);
    let impact = &fitted.impact_analysis;
    assert_eq!(
        impact.source,
        ImpactSource::LogisticFit,
        "{:?}",
        impact.model
    );
    assert_eq!(impact.model.outcomes, 40);
    let curve = impact.model.renewal_curve.unwrap();
    assert!(curve.slope > 0.0);
    assert!((impact.if_improves_to_85.renewal_probability - curve.probability(85.0)).abs() < 1e-12);

    // Outcomes on or after as_of are not known yet at as_of.
    let earlier = engagement_breakdown(
        &Model::prd070(),
        &state,
        state.account("a1").unwrap(),
        Window::new(at("2025-12-01T00:00:00Z"), Period::DEFAULT),
        Compare::Previous,
        &BreakdownCaches::default(),
    )
    .unwrap();
    assert_eq!(earlier.impact_analysis.source, ImpactSource::FrameworkTable);
    assert_eq!(earlier.impact_analysis.model.outcomes, 0);
}
