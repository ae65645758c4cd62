//! The three shipped models scored on hand-made facts, each figure computed by
//! hand from docs/models.md; model-file validation of the general machinery
//! (component weights, banded factors, named bands).

use rapport_core::engagement::Velocity;
use rapport_core::engine::FactorFacts;
use rapport_core::scoring::model::{FRAMEWORK_ENGAGEMENT, HEALTH, Model};
use rapport_core::scoring::score::{score, summary};

fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "{actual} != {expected} (expected)"
    );
}

fn component(card: &rapport_core::scoring::score::Scorecard, key: &str) -> Option<f64> {
    card.components
        .iter()
        .find(|component| component.key == key)
        .unwrap()
        .score
}

#[test]
fn every_shipped_model_loads_with_its_component_weights() {
    for name in Model::SHIPPED {
        assert!(Model::shipped(name).is_some(), "{name}");
    }
    let framework = Model::shipped("framework-engagement").unwrap();
    let weights: Vec<f64> = framework
        .components
        .iter()
        .map(|component| framework.component_weight(&component.key))
        .collect();
    assert_eq!(weights, [30.0, 35.0, 20.0, 15.0]);
    // Frequency points are capped at 115 in all, breadth at 120.
    let points = |component: &str| -> f64 {
        framework
            .factors
            .iter()
            .filter(|factor| factor.component == component)
            .map(|factor| factor.weight)
            .sum()
    };
    assert_eq!((points("frequency"), points("breadth")), (115.0, 120.0));
    let health = Model::health();
    let weights: Vec<f64> = health
        .components
        .iter()
        .map(|component| health.component_weight(&component.key))
        .collect();
    assert_eq!(weights, [30.0, 25.0, 20.0, 15.0, 10.0]);
}

fn framework_facts() -> FactorFacts {
    FactorFacts {
        // Frequency: 4 calls/meetings (20 points), 12 exchanges (capped: 20),
        // 50 logins (10), 2 tickets (6), no training (0): 56 of 115.
        csm_touchpoints: 4.0,
        email_exchanges: 12.0,
        logins: 50,
        support_interactions: 2.0,
        training_events: 0.0,
        // Quality: 80 % response → the 75–99 band, 80 points; attendance 100 %;
        // an executive in half the meetings; no strategic meeting.
        email_response_rate: Some(80.0),
        meeting_attendance: Some(100.0),
        meeting_executive_share: Some(50.0),
        meeting_strategic_share: Some(0.0),
        // Breadth: executive 30, two champions 30, five power users 25, two
        // departments (no bonus): 85 of 120.
        executive_engaged: 1.0,
        champions_engaged: 2.0,
        power_users_engaged: 5.0,
        departments_engaged: 2.0,
        feature_breadth: Some(40.0),
        ..FactorFacts::default()
    }
}

#[test]
fn framework_engagement_by_hand() {
    let model = Model::shipped("framework-engagement").unwrap();
    let card = score(&model, &framework_facts());
    let frequency = 100.0 * 56.0 / 115.0;
    let quality = (55.0 * 80.0 + 20.0 * 100.0 + 25.0 * 50.0 + 10.0 * 0.0) / 110.0;
    let breadth = 100.0 * 85.0 / 120.0;
    close(component(&card, "frequency").unwrap(), frequency);
    close(component(&card, "quality").unwrap(), quality);
    close(component(&card, "breadth").unwrap(), breadth);
    close(component(&card, "product").unwrap(), 40.0);
    let overall = (30.0 * frequency + 35.0 * quality + 20.0 * breadth + 15.0 * 40.0) / 100.0;
    close(card.overall.unwrap(), overall);
    assert_eq!(card.band.as_deref(), Some("low"), "{overall}");
    // Contributions add up to the overall with component weights of their own.
    let total: f64 = card.components.iter().map(|c| c.contribution).sum();
    close(total, overall);
    assert_eq!(summary(&model, &framework_facts()).overall, card.overall);

    // The response-rate bands: 100 → 100, 75–99 → 80, 50–74 → 60, 25–49 → 40, <25 → 20.
    let response = model
        .factors
        .iter()
        .find(|factor| factor.name == "Outreach response rate")
        .unwrap();
    for (rate, points) in [
        (100.0, 100.0),
        (99.9, 80.0),
        (75.0, 80.0),
        (74.0, 60.0),
        (50.0, 60.0),
        (49.0, 40.0),
        (25.0, 40.0),
        (24.9, 20.0),
        (0.0, 20.0),
    ] {
        close(
            rapport_core::scoring::score::score_value(response, rate),
            points,
        );
    }
    // The multi-department bonus is all or nothing.
    let bonus = model
        .factors
        .iter()
        .find(|factor| factor.name == "Multi-department bonus")
        .unwrap();
    close(rapport_core::scoring::score::score_value(bonus, 2.0), 0.0);
    close(rapport_core::scoring::score::score_value(bonus, 3.0), 100.0);
}

#[test]
fn framework_velocity_example() {
    // The framework's worked example: 12 touchpoints, then 8: −33 %.
    let velocity = Velocity::new(8, 12);
    close(velocity.percent.unwrap(), -100.0 / 3.0);
    assert_eq!(Velocity::new(5, 0).percent, None);
}

#[test]
fn health_by_hand() {
    let model = Model::health();
    let facts = FactorFacts {
        // Usage: 60 % of seats active (vs 80: 75), 3 logins a week (100),
        // 25 % breadth (vs 50: 50), 15 min sessions (100).
        active_user_percent: 60.0,
        login_frequency_per_week: 3.0,
        feature_breadth: Some(25.0),
        session_minutes: 15.0,
        // Engagement: 35 % response (50), 48 h (50), attendance 90 % (100),
        // outreach 1/month (100), 80 % of ticket events not negative (80).
        email_response_rate: Some(35.0),
        response_time_hours: Some(48.0),
        meeting_attendance: Some(90.0),
        proactive_outreach_per_month: 1.0,
        ticket_sentiment: Some(80.0),
        // Outcomes: success score 70.
        success_score: Some(70.0),
        // Relationship: executive 180 days ago (50), champion 15 days (100),
        // 3 contacts (100), NPS 40 (band 30–49: 85), CSAT 72 % (vs 90: 80).
        days_since_executive: Some(180.0),
        days_since_champion: Some(15.0),
        stakeholder_depth: 3.0,
        nps: Some(40.0),
        csat_percent: Some(72.0),
        // Financial: 90 % paid on time (90), ARR down 5 % (band −10…0: 40).
        payment_on_time: Some(90.0),
        arr_trend: -5.0,
        ..FactorFacts::default()
    };
    let card = score(&model, &facts);
    let usage = (35.0 * 75.0 + 25.0 * 100.0 + 25.0 * 50.0 + 15.0 * 100.0) / 100.0;
    let engagement = (15.0 * 50.0 + 10.0 * 50.0 + 15.0 * 100.0 + 10.0 * 100.0 + 25.0 * 80.0) / 75.0;
    let relationship =
        (30.0 * 50.0 + 25.0 * 100.0 + 25.0 * 100.0 + 10.0 * 85.0 + 10.0 * 80.0) / 100.0;
    let financial = (70.0 * 90.0 + 30.0 * 40.0) / 100.0;
    close(component(&card, "usage").unwrap(), usage);
    close(component(&card, "engagement").unwrap(), engagement);
    close(component(&card, "outcomes").unwrap(), 70.0);
    close(component(&card, "relationship").unwrap(), relationship);
    close(component(&card, "financial").unwrap(), financial);
    let overall =
        (30.0 * usage + 25.0 * engagement + 20.0 * 70.0 + 15.0 * relationship + 10.0 * financial)
            / 100.0;
    close(card.overall.unwrap(), overall);
    assert_eq!(card.band.as_deref(), Some("neutral"), "{overall}");

    // No goals: outcomes has no data and the other four share the weight.
    let without_goals = score(
        &model,
        &FactorFacts {
            success_score: None,
            ..facts.clone()
        },
    );
    assert_eq!(component(&without_goals, "outcomes"), None);
    close(
        without_goals.overall.unwrap(),
        (30.0 * usage + 25.0 * engagement + 15.0 * relationship + 10.0 * financial) / 80.0,
    );
    // A negative NPS below −30 scores 0; a negative value never scores below 0.
    let harsh = score(
        &model,
        &FactorFacts {
            nps: Some(-60.0),
            arr_trend: -150.0,
            ..facts
        },
    );
    let factor = |key: &str| {
        harsh
            .components
            .iter()
            .flat_map(|component| &component.factors)
            .find(|factor| serde_json::to_value(factor.key).unwrap() == key)
            .unwrap()
            .score
            .unwrap()
    };
    close(factor("nps"), 0.0);
    close(factor("arr_trend"), 0.0);
}

#[test]
fn health_bands() {
    let model = Model::health();
    for (score, band) in [
        (100.0, "healthy"),
        (80.0, "healthy"),
        (79.99, "neutral"),
        (60.0, "neutral"),
        (59.99, "at_risk"),
        (0.0, "at_risk"),
    ] {
        assert_eq!(model.band_of(score).key, band, "{score}");
    }
}

#[test]
fn invalid_general_models_name_the_key() {
    let cases = [
        (
            FRAMEWORK_ENGAGEMENT,
            "weight = 30\n",
            "weight = 0\n",
            "components[0].weight (frequency): weight must be a positive number",
        ),
        (
            FRAMEWORK_ENGAGEMENT,
            "{ at_least = 3, score = 100 }",
            "{ at_least = 3, at_most = 9, score = 100 }",
            "factors[12].bands[0].at_least (Multi-department bonus): give exactly one of at_least and at_most",
        ),
        (
            FRAMEWORK_ENGAGEMENT,
            "{ at_least = 3, score = 100 }",
            "{ at_least = 3, score = 120 }",
            "factors[12].bands[0].score (Multi-department bonus): score must be between 0 and 100",
        ),
        (
            HEALTH,
            "from = 60\n",
            "from = 90\n",
            "bands must be listed highest first",
        ),
    ];
    for (model, from, to, expected) in cases {
        let text = model.replacen(from, to, 1);
        assert_ne!(text, model, "{from} not found");
        let error = Model::from_toml(&text).unwrap_err().to_string();
        assert!(error.contains(expected), "{error}\n expected: {expected}");
    }
}

#[test]
fn tier_targets_default_to_the_framework_cadence_and_can_be_set() {
    use rapport_core::Tier;
    let model = Model::prd070();
    let targets: Vec<f64> = [Tier::Strategic, Tier::Growth, Tier::Core, Tier::Nurture]
        .into_iter()
        .map(|tier| model.tier_targets.of(tier))
        .collect();
    assert_eq!(targets, [85.0, 75.0, 65.0, 55.0]);
    // The health model does not say: the defaults hold.
    assert_eq!(Model::health().tier_targets.of(Tier::Growth), 75.0);
    let text = FRAMEWORK_ENGAGEMENT.replacen("growth = 75", "growth = 70", 1);
    assert_eq!(
        Model::from_toml(&text)
            .unwrap()
            .tier_targets
            .of(Tier::Growth),
        70.0
    );
}
