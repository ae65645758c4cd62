//! The assembled engagement breakdown on a small hand-made portfolio.

use rapport_core::engagement::impact::ImpactSource;
use rapport_core::engagement::{BreakdownCaches, Compare, engagement_breakdown};
use rapport_core::engine::{PortfolioState, Window};
use rapport_core::scoring::model::Model;
use rapport_core::{Account, AccountStatus, Activity, ExternalId, Period, Tier, Timestamp};

fn account(id: &str, tier: Tier, status: AccountStatus) -> Account {
    Account {
        external_id: ExternalId::parse(id).unwrap(),
        name: format!("Account {id}"),
        tier,
        arr: 10_000.0,
        seats: Some(2),
        csm: "Dana".into(),
        status,
        contract_start: None,
        renewal_date: None,
        industry: String::new(),
        manager: None,
        at_risk_override: false,
    }
}

fn login(account: &str, at: &str, user: &str) -> Activity {
    Activity {
        source_id: None,
        account: ExternalId::parse(account).unwrap(),
        at: Timestamp::parse_rfc3339(at).unwrap(),
        detail: serde_json::from_value(serde_json::json!({"type":"login","user":user})).unwrap(),
    }
}

#[test]
fn breakdown_compares_attributes_and_ranks_among_peers() {
    let mut portfolio = PortfolioState::new();
    portfolio.upsert_account(account("a", Tier::Core, AccountStatus::Active));
    portfolio.upsert_account(account("b", Tier::Core, AccountStatus::Active));
    portfolio.upsert_account(account("c", Tier::Core, AccountStatus::Churned));
    portfolio.upsert_account(account("d", Tier::Growth, AccountStatus::Active));
    // a: two users logging in daily in December, one in January.
    for day in 1..=31 {
        portfolio.add_activity(&login("a", &format!("2025-12-{day:02}T09:00:00Z"), "u1"));
        portfolio.add_activity(&login("a", &format!("2025-12-{day:02}T10:00:00Z"), "u2"));
    }
    for day in 1..=30 {
        portfolio.add_activity(&login("a", &format!("2026-01-{day:02}T09:00:00Z"), "u1"));
    }
    portfolio.add_activity(&login("b", "2026-01-10T09:00:00Z", "x"));

    let model = Model::prd070();
    let as_of = Timestamp::parse_rfc3339("2026-01-31T00:00:00Z").unwrap();
    let window = Window::new(as_of, Period::DEFAULT);
    let caches = BreakdownCaches::default();
    let breakdown = engagement_breakdown(
        &model,
        &portfolio,
        portfolio.account("a").unwrap(),
        window,
        Compare::Previous,
        &caches,
    )
    .unwrap();

    assert_eq!(
        breakdown.compare_period.end.to_rfc3339(),
        "2026-01-01T00:00:00Z"
    );
    // A core account's target is 65 by default; its overall is below it.
    assert_eq!(breakdown.tier_target, 65.0);
    assert_eq!(
        breakdown.below_tier_target,
        breakdown.overall.map(|overall| overall < 65.0)
    );
    assert_eq!(breakdown.below_tier_target, Some(true));
    assert_eq!(
        breakdown.compare_period.start.to_rfc3339(),
        "2025-12-02T00:00:00Z"
    );
    // Now: 1 of 2 seats active (50 % → 71.43), 7 logins/week (100), no sessions (0),
    // no feature seen anywhere (no data). Product (15·100 + 5·0 + 10·71.43) / 30.
    let product_now = (1500.0 + 10.0 * (100.0 * 50.0 / 70.0)) / 30.0;
    let product = breakdown
        .components
        .iter()
        .find(|c| c.key == "product")
        .unwrap();
    assert!((product.score.unwrap() - product_now).abs() < 1e-9);
    // Then: 2 of 2 active (100), 7 logins/week: (1500 + 0 + 1000) / 30.
    assert!((product.previous_score.unwrap() - 2500.0 / 30.0).abs() < 1e-9);
    let change: f64 = breakdown
        .change_attribution
        .as_ref()
        .unwrap()
        .iter()
        .map(|c| c.points)
        .sum();
    assert!(
        (change - (breakdown.overall.unwrap() - breakdown.previous_overall.unwrap())).abs() < 1e-9
    );
    let active = breakdown
        .factors
        .iter()
        .find(|f| f.score.name == "Active User %")
        .unwrap();
    assert_eq!(
        (active.score.current, active.previous),
        (Some(50.0), Some(100.0))
    );
    assert_eq!(
        active.trend,
        Some(rapport_core::engagement::breakdown::FactorTrend::Down)
    );

    // Peers: the active core accounts a and b (c is churned, d another tier).
    let peers = breakdown.peer_comparison.as_ref().unwrap();
    assert_eq!(peers.peers, 2);
    assert_eq!(peers.overall.percentile, Some(75.0));

    // Recommendations by recoverable points, largest first.
    let points: Vec<f64> = breakdown
        .recommendations
        .iter()
        .map(|r| r.recoverable_points)
        .collect();
    assert!(
        points.windows(2).all(|pair| pair[0] >= pair[1]),
        "{points:?}"
    );
    assert_eq!(breakdown.history.len(), 6);
    assert_eq!(breakdown.history[5].scored_at, as_of);
    assert_eq!(
        breakdown.impact_analysis.source,
        ImpactSource::FrameworkTable
    );

    // Point in time: an activity at as_of changes nothing.
    let before = serde_json::to_value(&breakdown).unwrap();
    portfolio.add_activity(&login("a", "2026-01-31T00:00:00Z", "u2"));
    let after = engagement_breakdown(
        &model,
        &portfolio,
        portfolio.account("a").unwrap(),
        window,
        Compare::Previous,
        &caches,
    )
    .unwrap();
    assert_eq!(before, serde_json::to_value(&after).unwrap());

    // Fresh peers: b catching up inside the window moves a's percentile at once,
    // through the same caches, and equals what fresh caches give.
    for day in 1..=30 {
        portfolio.add_activity(&login("b", &format!("2026-01-{day:02}T11:00:00Z"), "x"));
        portfolio.add_activity(&login("b", &format!("2026-01-{day:02}T12:00:00Z"), "y"));
    }
    let cached = engagement_breakdown(
        &model,
        &portfolio,
        portfolio.account("a").unwrap(),
        window,
        Compare::Previous,
        &caches,
    )
    .unwrap();
    let fresh = engagement_breakdown(
        &model,
        &portfolio,
        portfolio.account("a").unwrap(),
        window,
        Compare::Previous,
        &BreakdownCaches::default(),
    )
    .unwrap();
    assert_eq!(
        cached.peer_comparison.as_ref().unwrap().overall.percentile,
        Some(25.0)
    );
    assert_eq!(
        serde_json::to_value(&cached).unwrap(),
        serde_json::to_value(&fresh).unwrap()
    );
}

#[test]
fn compare_ranges_parse() {
    assert_eq!(Compare::parse("previous").unwrap(), Compare::Previous);
    let Compare::Range { start, end } = Compare::parse("2025-12-01..2025-12-31").unwrap() else {
        panic!()
    };
    assert_eq!(
        (start.to_rfc3339().as_str(), end.to_rfc3339().as_str()),
        ("2025-12-01T00:00:00Z", "2025-12-31T00:00:00Z")
    );
    let window = Compare::parse("2025-12-01..2025-12-31")
        .unwrap()
        .window(Window::new(end, Period::DEFAULT));
    assert_eq!(window.period.days(), 30);
    assert!(Compare::parse("2025-12-31..2025-12-01").is_err());
    assert!(Compare::parse("last month").is_err());
}

#[test]
fn a_peers_goal_change_reaches_cached_health_model_peers() {
    let mut portfolio = PortfolioState::new();
    portfolio.upsert_account(account("a", Tier::Core, AccountStatus::Active));
    portfolio.upsert_account(account("b", Tier::Core, AccountStatus::Active));
    portfolio.add_activity(&login("a", "2026-01-10T09:00:00Z", "u1"));
    portfolio.add_activity(&login("b", "2026-01-10T09:00:00Z", "u1"));
    let model = Model::health();
    let window = Window::new(
        Timestamp::parse_rfc3339("2026-01-31T00:00:00Z").unwrap(),
        Period::DEFAULT,
    );
    let caches = BreakdownCaches::default();
    let breakdown = |portfolio: &PortfolioState, caches: &BreakdownCaches| {
        let view = engagement_breakdown(
            &model,
            portfolio,
            portfolio.account("a").unwrap(),
            window,
            Compare::Previous,
            caches,
        )
        .unwrap();
        serde_json::to_value(&view.peer_comparison).unwrap()
    };
    let before = breakdown(&portfolio, &caches);
    // b gets a goal half-way to its target: its outcomes component, and so its
    // health score, change; a's peer comparison must see it through the cache.
    let goal: rapport_core::success::Goal = serde_json::from_value(serde_json::json!({
        "id": "goal-1", "title": "Cut backlog", "startDate": "2026-01-01", "targetDate": "2026-12-31",
        "metrics": [{"id": "goal-1-m1", "category": "operational", "name": "Open tickets",
                     "baseline": 100, "target": 0, "direction": "lower_is_better",
                     "history": [{"at": "2026-01-20T00:00:00Z", "value": 50}]}]
    }))
    .unwrap();
    portfolio.set_goals(&ExternalId::parse("b").unwrap(), vec![goal]);
    let cached = breakdown(&portfolio, &caches);
    let fresh = breakdown(&portfolio, &BreakdownCaches::default());
    assert_eq!(cached, fresh);
    assert_ne!(before, cached, "b's new goal moved the peer figures");
}
