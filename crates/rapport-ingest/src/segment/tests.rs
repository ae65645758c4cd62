//! Unit and property tests of the Segment reader and the mapping.

use rapport_core::{ActivityDetail, ContactRole, Tier, Timestamp};
use rapport_store::tracking::{TrackedAction, TrackedCall};
use serde_json::{Value, json};

use super::*;

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

const RECEIVED: &str = "2026-03-01T12:00:00Z";

/// Parses `body` received at [`RECEIVED`], fresh ids `gen-1`, `gen-2`, …
fn parse(endpoint: Endpoint, body: &Value) -> Result<ParsedBody<SegmentEvent>, BodyError> {
    parse_bytes(endpoint, body.to_string().as_bytes())
}

fn parse_bytes(endpoint: Endpoint, body: &[u8]) -> Result<ParsedBody<SegmentEvent>, BodyError> {
    let mut counter = 0;
    let mut new_id = || {
        counter += 1;
        format!("gen-{counter}")
    };
    let mut received = Received {
        at: at(RECEIVED),
        new_message_id: &mut new_id,
    };
    parse_body(endpoint, body, &mut received)
}

fn mapped(body: &Value) -> Vec<Result<TrackedCall, EventError>> {
    mapped_with(body, &EventMapping::default())
}

fn mapped_with(body: &Value, mapping: &EventMapping) -> Vec<Result<TrackedCall, EventError>> {
    let mut counter = 0;
    let mut new_id = || {
        counter += 1;
        format!("gen-{counter}")
    };
    let mut received = Received {
        at: at(RECEIVED),
        new_message_id: &mut new_id,
    };
    parse_and_map(
        Endpoint::Batch,
        body.to_string().as_bytes(),
        &mut received,
        mapping,
    )
    .unwrap()
    .events
}

fn track(event: &str, properties: Value) -> Value {
    json!({"type": "track", "userId": "u1", "event": event, "properties": properties, "messageId": format!("m-{event}")})
}

fn action(result: &Result<TrackedCall, EventError>) -> &TrackedAction {
    &result.as_ref().unwrap().action
}

#[test]
fn a_batch_gives_each_event_its_context_and_integrations() {
    let body = json!({
        "writeKey": "wk_1",
        "context": {"groupId": "acc-1", "library": {"name": "batch-lib"}},
        "integrations": {"All": false, "Rapport": true},
        "batch": [
            {"type": "track", "userId": "u1", "event": "Signed In", "context": {"library": {"name": "own"}}},
            {"type": "track", "userId": "u2", "event": "Signed In", "integrations": {"Rapport": false}},
        ]
    });
    let parsed = parse(Endpoint::Batch, &body).unwrap();
    assert_eq!(parsed.write_key.as_deref(), Some("wk_1"));
    let first = parsed.events[0].as_ref().unwrap();
    assert_eq!(first.context["groupId"], "acc-1");
    assert_eq!(
        first.context["library"]["name"], "own",
        "the event's own key wins"
    );
    assert_eq!(first.integrations["All"], false);
    assert!(first.for_rapport());
    let second = parsed.events[1].as_ref().unwrap();
    assert_eq!(second.context["library"]["name"], "batch-lib");
    assert!(!second.for_rapport());
}

#[test]
fn message_ids_are_kept_or_given() {
    let body = json!({"batch": [
        {"type": "track", "userId": "u1", "event": "x", "messageId": "  m-1 "},
        {"type": "track", "userId": "u1", "event": "x"},
        {"type": "track", "userId": "u1", "event": "x", "messageId": 42},
        {"type": "track", "userId": "u1", "event": "x", "messageId": null},
    ]});
    let events: Vec<SegmentEvent> = parse(Endpoint::Batch, &body)
        .unwrap()
        .events
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let ids: Vec<(&str, bool)> = events
        .iter()
        .map(|event| (event.message_id.as_str(), event.message_id_generated))
        .collect();
    assert_eq!(
        ids,
        [
            ("m-1", false),
            ("gen-1", true),
            ("42", false),
            ("gen-2", true)
        ]
    );
}

#[test]
fn clock_skew_is_corrected_with_sent_at() {
    // The client's clock is an hour fast: it says it sent at 13:00 what
    // happened at 12:59:50; received at 12:00, it happened at 11:59:50.
    let body = json!({
        "sentAt": "2026-03-01T13:00:00Z",
        "batch": [
            {"type": "track", "userId": "u", "event": "a", "timestamp": "2026-03-01T12:59:50Z"},
            {"type": "track", "userId": "u", "event": "b", "timestamp": "2026-03-01T12:59:50Z", "sentAt": "2026-03-01T12:59:55Z"},
            {"type": "track", "userId": "u", "event": "c"},
            {"type": "track", "userId": "u", "event": "d", "originalTimestamp": "2026-03-01T12:59:00+01:00"},
        ]
    });
    let times: Vec<Timestamp> = parse(Endpoint::Batch, &body)
        .unwrap()
        .events
        .into_iter()
        .map(|event| event.unwrap().timestamp)
        .collect();
    assert_eq!(
        times,
        [
            at("2026-03-01T11:59:50Z"),
            at("2026-03-01T11:59:55Z"),
            at(RECEIVED),
            at("2026-03-01T10:59:00Z"),
        ]
    );
    // Without sentAt, the timestamp is taken as given.
    let single = json!({"userId": "u", "event": "a", "timestamp": "2026-02-01T08:00:00Z"});
    let parsed = parse(Endpoint::Call(CallType::Track), &single).unwrap();
    assert_eq!(
        parsed.events[0].as_ref().unwrap().timestamp,
        at("2026-02-01T08:00:00Z")
    );
}

#[test]
fn instants_without_an_offset_are_utc() {
    // What `datetime.utcnow().isoformat()` writes.
    assert_eq!(
        parse_instant("2026-03-01T11:59:50.123456").unwrap(),
        at("2026-03-01T11:59:50.123Z")
    );
    assert_eq!(
        parse_instant("2026-03-01T11:59:50.5+02:00").unwrap(),
        at("2026-03-01T09:59:50.5Z")
    );
    assert!(parse_instant("yesterday").is_err());
    assert!(matches!(
        parse_instant("0001-01-01T00:00:00"),
        Err(TimeError::OutOfRange(_))
    ));
}

#[test]
fn limits_refuse_the_whole_body_naming_the_limit() {
    let big = "x".repeat(MAX_EVENT_BYTES);
    let body = json!({"batch": [
        {"type": "track", "userId": "u", "event": "ok"},
        {"type": "track", "userId": "u", "event": "big", "properties": {"blob": big}},
    ]});
    let error = parse(Endpoint::Batch, &body).unwrap_err();
    assert!(matches!(error, BodyError::EventTooLarge { index: 1, .. }));
    assert!(error.to_string().contains("32 KB per event"), "{error}");

    let single = json!({"userId": "u", "event": "big", "properties": {"blob": big}});
    let error = parse(Endpoint::Call(CallType::Track), &single).unwrap_err();
    assert!(error.to_string().contains("32 KB per event"), "{error}");

    let events: Vec<Value> = (0..20)
        .map(|_| json!({"type": "track", "userId": "u", "event": "e", "properties": {"blob": "y".repeat(30_000)}}))
        .collect();
    let error = parse(Endpoint::Batch, &json!({ "batch": events })).unwrap_err();
    assert!(error.to_string().contains("500 KB per batch"), "{error}");
}

#[test]
fn bodies_that_are_not_calls_are_refused_whole() {
    assert!(matches!(
        parse_bytes(Endpoint::Batch, b"{\"batch\": [").unwrap_err(),
        BodyError::NotJson(_)
    ));
    assert!(matches!(
        parse_bytes(Endpoint::Batch, b"[1, 2]").unwrap_err(),
        BodyError::NotACall(_)
    ));
    assert!(matches!(
        parse_bytes(Endpoint::Batch, b"\xff\xfe").unwrap_err(),
        BodyError::NotJson(_)
    ));
    let error = parse(Endpoint::Batch, &json!({"events": []})).unwrap_err();
    assert!(error.to_string().contains("field `batch`"), "{error}");
    let error = parse(Endpoint::Batch, &json!({"batch": "x"})).unwrap_err();
    assert!(matches!(error, BodyError::NotACall(_)), "{error}");
    let error = parse(Endpoint::Batch, &json!({"batch": [], "sentAt": "soon"})).unwrap_err();
    assert!(error.to_string().contains("sentAt"), "{error}");
}

#[test]
fn bad_events_are_reported_by_index_and_the_good_ones_kept() {
    let body = json!({"batch": [
        {"type": "track", "userId": "u", "event": "fine"},
        {"userId": "u", "event": "no type", "messageId": "m-2"},
        {"type": "shout", "userId": "u"},
        {"type": "track", "event": "nobody"},
        {"type": "track", "userId": "u"},
        {"type": "group", "userId": "u"},
        {"type": "alias", "userId": "u"},
        {"type": "track", "userId": "u", "event": "x", "timestamp": "never"},
        {"type": "track", "userId": {"id": 1}, "event": "x"},
        {"type": "track", "userId": "u", "event": "x", "properties": [1]},
        7,
        {"type": "identify", "anonymousId": "anon-1"},
    ]});
    let events = parse(Endpoint::Batch, &body).unwrap().events;
    assert_eq!(events.len(), 12);
    assert!(events[0].is_ok());
    assert!(events[11].is_ok());
    let reasons: Vec<(usize, String)> = events
        .iter()
        .filter_map(|event| event.as_ref().err())
        .map(|error| (error.index, error.reason.clone()))
        .collect();
    let expect = [
        (1, "missing field `type`"),
        (2, "field `type`: `shout`"),
        (3, "missing field `userId`"),
        (4, "missing field `event`"),
        (5, "missing field `groupId`"),
        (6, "missing field `previousId`"),
        (7, "field `timestamp`"),
        (8, "field `userId`: expected a string"),
        (9, "field `properties`: expected an object"),
        (10, "not a Segment call"),
    ];
    assert_eq!(reasons.len(), expect.len(), "{reasons:?}");
    for ((index, reason), (want_index, want)) in reasons.iter().zip(expect) {
        assert_eq!(*index, want_index);
        assert!(reason.starts_with(want), "{index}: {reason}");
    }
    let with_id = events[1].as_ref().unwrap_err();
    assert_eq!(with_id.message_id.as_deref(), Some("m-2"));
}

#[test]
fn the_default_mapping() {
    let body = json!({"batch": [
        track("Signed In", json!({})),
        track("feature used", json!({"feature": "reports"})),
        track("Feature Used", json!({})),
        track("Session Started", json!({})),
        track("Session Ended", json!({"duration": 600})),
        track("Session Ended", json!({"duration_min": 12.5})),
        track("Session Ended", json!({})),
        track("Session Ended", json!({"duration": -1})),
        track("Invoice Paid", json!({})),
        {"type": "page", "userId": "u1", "name": "Home"},
        {"type": "screen", "userId": "u1", "name": "Home"},
    ]});
    let calls = mapped(&body);
    let user = rapport_core::UserId::parse("u1").unwrap();
    assert_eq!(
        action(&calls[0]),
        &TrackedAction::Activity(ActivityDetail::Login { user: user.clone() })
    );
    assert_eq!(
        action(&calls[1]),
        &TrackedAction::Activity(ActivityDetail::FeatureUsed {
            user: user.clone(),
            feature: rapport_core::FeatureKey::parse("reports").unwrap(),
        })
    );
    let missing = calls[2].as_ref().unwrap_err();
    assert!(
        missing.reason.contains("properties.feature"),
        "{}",
        missing.reason
    );
    assert_eq!(missing.message_id.as_deref(), Some("m-Feature Used"));
    assert_eq!(action(&calls[3]), &TrackedAction::SessionStart);
    assert_eq!(
        action(&calls[4]),
        &TrackedAction::Activity(ActivityDetail::Session {
            user: user.clone(),
            duration_min: 10.0
        })
    );
    assert_eq!(
        action(&calls[5]),
        &TrackedAction::Activity(ActivityDetail::Session {
            user,
            duration_min: 12.5
        })
    );
    assert_eq!(action(&calls[6]), &TrackedAction::SessionEnd);
    assert!(calls[7].is_err());
    for ignored in &calls[8..] {
        assert_eq!(action(ignored), &TrackedAction::Ignored);
    }
}

#[test]
fn integrations_can_keep_an_event_from_rapport() {
    let body = json!({"batch": [
        {"type": "track", "userId": "u", "event": "Signed In", "integrations": {"Rapport": false}},
        {"type": "track", "userId": "u", "event": "Signed In", "integrations": {"All": false}},
        {"type": "track", "userId": "u", "event": "Signed In", "integrations": {"All": false, "Rapport": {"x": 1}}},
        {"type": "identify", "userId": "u", "traits": {"email": "a@b.co"}, "integrations": {"Rapport": false}},
    ]});
    let calls = mapped(&body);
    assert_eq!(action(&calls[0]), &TrackedAction::Ignored);
    assert_eq!(action(&calls[1]), &TrackedAction::Ignored);
    assert!(matches!(action(&calls[2]), TrackedAction::Activity(_)));
    assert_eq!(action(&calls[3]), &TrackedAction::Ignored);
}

#[test]
fn identify_and_group_traits() {
    let body = json!({"batch": [
        {"type": "identify", "userId": "u1", "traits": {"email": "Ana@Acme.COM", "firstName": "Ana", "lastName": "Silva", "role": "Power User", "title": "Ops lead"}},
        {"type": "identify", "userId": "u2", "traits": {"name": "Bo", "role": "owner"}},
        {"type": "identify", "userId": "u3", "traits": {"email": "not an address"}},
        {"type": "group", "userId": "u1", "groupId": "acc-9", "traits": {"name": "Acme", "tier": "Strategic", "arr": "$120,000", "seats": 40, "renewalDate": "2026-09-30", "industry": "Retail"}},
        {"type": "group", "userId": "u1", "groupId": 77},
        {"type": "group", "userId": "u1", "groupId": "acc-9", "traits": {"tier": "gold"}},
        {"type": "track", "userId": "u1", "event": "Signed In", "context": {"groupId": "acc-2"}},
        {"type": "alias", "userId": "u1", "previousId": "anon-7"},
        {"type": "identify", "userId": "u4", "context": {"traits": {"email": "cy@rudder.io", "name": "Cy"}}, "traits": {"name": "Cyrus"}},
    ]});
    let calls = mapped(&body);
    let TrackedAction::Identify(ana) = action(&calls[0]) else {
        panic!("{:?}", calls[0])
    };
    assert_eq!(ana.email.as_ref().unwrap().as_str(), "ana@acme.com");
    assert_eq!(ana.name.as_deref(), Some("Ana Silva"));
    assert_eq!(ana.role, Some(ContactRole::PowerUser));
    assert_eq!(ana.title.as_deref(), Some("Ops lead"));
    let TrackedAction::Identify(bo) = action(&calls[1]) else {
        panic!()
    };
    assert_eq!((bo.name.as_deref(), bo.role), (Some("Bo"), None));
    assert!(
        calls[2]
            .as_ref()
            .unwrap_err()
            .reason
            .contains("traits.email")
    );
    let TrackedAction::Group { account, traits } = action(&calls[3]) else {
        panic!()
    };
    assert_eq!(account.as_str(), "acc-9");
    assert_eq!(traits.tier, Some(Tier::Strategic));
    assert_eq!(traits.arr, Some(120_000.0));
    assert_eq!(traits.seats, Some(40));
    assert_eq!(traits.renewal_date.unwrap().to_string(), "2026-09-30");
    let TrackedAction::Group { account, .. } = action(&calls[4]) else {
        panic!()
    };
    assert_eq!(account.as_str(), "77");
    assert!(
        calls[5]
            .as_ref()
            .unwrap_err()
            .reason
            .contains("traits.tier")
    );
    let hinted = calls[6].as_ref().unwrap();
    assert_eq!(hinted.account_hint.as_ref().unwrap().as_str(), "acc-2");
    assert_eq!(
        action(&calls[7]),
        &TrackedAction::Alias {
            previous: rapport_core::UserId::parse("anon-7").unwrap()
        }
    );
    // RudderStack puts identify traits in context.traits; `traits` wins.
    let TrackedAction::Identify(cy) = action(&calls[8]) else {
        panic!()
    };
    assert_eq!(cy.email.as_ref().unwrap().as_str(), "cy@rudder.io");
    assert_eq!(cy.name.as_deref(), Some("Cyrus"));
}

#[test]
fn deployment_rules_come_before_the_defaults() {
    let rules: Vec<MappingRule> = rules(json!([
        {"name": "Report Exported", "activity": "feature_used", "feature": "reports"},
        {"call": "screen", "name": "Dashboard", "activity": "feature_used", "feature": "dashboards"},
        {"name": "signed in", "activity": "ignore"},
        {"name": "App Opened", "activity": "login"},
    ]));
    let mapping = EventMapping::new(rules, Tier::Growth).unwrap();
    let body = json!({"batch": [
        track("Report Exported", json!({})),
        {"type": "screen", "userId": "u1", "name": "dashboard"},
        {"type": "page", "userId": "u1", "name": "dashboard"},
        track("Signed In", json!({})),
        track("App Opened", json!({})),
        track("Feature Used", json!({"feature": "alerts"})),
        {"type": "group", "userId": "u1", "groupId": "acc-1"},
    ]});
    let calls = mapped_with(&body, &mapping);
    let feature = |call: &Result<TrackedCall, EventError>| match action(call) {
        TrackedAction::Activity(ActivityDetail::FeatureUsed { feature, .. }) => {
            Some(feature.to_string())
        }
        _ => None,
    };
    assert_eq!(feature(&calls[0]).as_deref(), Some("reports"));
    assert_eq!(feature(&calls[1]).as_deref(), Some("dashboards"));
    assert_eq!(action(&calls[2]), &TrackedAction::Ignored);
    assert_eq!(action(&calls[3]), &TrackedAction::Ignored);
    assert!(matches!(
        action(&calls[4]),
        TrackedAction::Activity(ActivityDetail::Login { .. })
    ));
    assert_eq!(feature(&calls[5]).as_deref(), Some("alerts"));
    let TrackedAction::Group { traits, .. } = action(&calls[6]) else {
        panic!()
    };
    assert_eq!(traits.new_account_tier, Tier::Growth);
}

#[test]
fn bad_rules_are_refused_naming_the_rule() {
    for (rule, expected) in [
        (
            json!({"name": "X", "activity": "feature_used"}),
            "give `feature`",
        ),
        (
            json!({"name": "X", "activity": "login", "feature": "a"}),
            "names no feature",
        ),
        (
            json!({"name": "X", "activity": "feature_used", "feature": "a", "feature_property": "b"}),
            "both",
        ),
        (json!({"name": " ", "activity": "login"}), "empty"),
    ] {
        let error = EventMapping::new(rules(json!([rule])), Tier::Core).unwrap_err();
        assert!(error.contains(expected), "{rule}: {error}");
    }
    let unknown = serde_json::from_value::<MappingRule>(
        json!({"name": "X", "activity": "login", "colour": "red"}),
    );
    assert!(unknown.is_err());
}

/// Rules as rapport.toml's `[[tracking.events]]` give them (the same serde).
fn rules(value: Value) -> Vec<MappingRule> {
    serde_json::from_value(value).unwrap()
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
        let _ = parse_bytes(Endpoint::Batch, &bytes);
        let _ = parse_bytes(Endpoint::Call(CallType::Track), &bytes);
    }

    #[test]
    fn every_event_is_answered_once_in_order(
        events in proptest::collection::vec(
            (0usize..8, proptest::option::of(-100_000i64..100_000), proptest::option::of(-5_000i64..5_000), proptest::bool::ANY),
            0..40,
        ),
    ) {
        let received = at(RECEIVED).millis();
        let kinds = ["track", "identify", "group", "page", "screen", "alias", "bogus", ""];
        let batch: Vec<Value> = events
            .iter()
            .enumerate()
            .map(|(index, (kind, offset, skew, with_user))| {
                let mut event = json!({"type": kinds[*kind], "event": "Signed In", "groupId": "g", "previousId": "p", "messageId": format!("m{index}")});
                if *with_user {
                    event["userId"] = json!(format!("user {index}"));
                }
                if let Some(offset) = offset {
                    event["timestamp"] = json!(Timestamp::from_millis(received + offset).to_rfc3339());
                    if let Some(skew) = skew {
                        event["sentAt"] = json!(Timestamp::from_millis(received + offset + skew.abs()).to_rfc3339());
                    }
                }
                event
            })
            .collect();
        let parsed = parse(Endpoint::Batch, &json!({ "batch": batch })).unwrap();
        proptest::prop_assert_eq!(parsed.events.len(), events.len());
        for (index, (result, (kind, offset, skew, with_user))) in parsed.events.iter().zip(&events).enumerate() {
            let valid = *with_user && *kind < 6;
            proptest::prop_assert_eq!(result.is_ok(), valid, "{}: {:?}", index, result);
            match result {
                Ok(event) => {
                    proptest::prop_assert_eq!(&event.message_id, &format!("m{index}"));
                    let expected = match (offset, skew) {
                        (Some(_), Some(skew)) => received - skew.abs(),
                        (Some(offset), None) => received + offset,
                        (None, _) => received,
                    };
                    proptest::prop_assert_eq!(event.timestamp.millis(), expected);
                }
                Err(error) => proptest::prop_assert_eq!(error.index, index),
            }
        }
    }
}
