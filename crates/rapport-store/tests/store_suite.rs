//! The one store test suite. Every check is written against the `Store` trait
//! and runs on each backend: SQLite in memory and on disk today; the PostgreSQL
//! backend adds one line to `backends()`.

use rapport_core::{
    Account, AccountStatus, Activity, ActivityDetail, Contact, ContactRole, Email, ExternalId,
    Feature, FeatureImportance, FeatureKey, Outcome, OutcomeKind, Tier, Timestamp,
};
use rapport_store::audit::AuditAction;
use rapport_store::{Store, StoreError, WriteOutcome};

type Check = fn(&dyn Store);

const CHECKS: &[(&str, Check)] = &[
    ("accounts_upsert", accounts_upsert),
    (
        "contacts_features_outcomes_upsert",
        contacts_features_outcomes_upsert,
    ),
    (
        "activities_are_idempotent_and_round_trip",
        activities_are_idempotent_and_round_trip,
    ),
    (
        "unknown_accounts_are_refused_whole_batch",
        unknown_accounts_are_refused_whole_batch,
    ),
    ("ping_and_counts", ping_and_counts),
    (
        "goals_round_trip_with_ids_and_history",
        goals_round_trip_with_ids_and_history,
    ),
    (
        "override_events_append_and_read_in_time_order",
        override_events_append_and_read_in_time_order,
    ),
    (
        "snapshots_round_trip_packed_by_model_and_day",
        snapshots_round_trip_packed_by_model_and_day,
    ),
    (
        "alerts_keep_one_unresolved_per_rule_and_their_history",
        alerts_keep_one_unresolved_per_rule_and_their_history,
    ),
    (
        "webhooks_and_the_delivery_outbox",
        webhooks_and_the_delivery_outbox,
    ),
    (
        "an_evaluation_sees_the_alerts_in_force_and_whether_it_is_the_first",
        an_evaluation_sees_the_alerts_in_force_and_whether_it_is_the_first,
    ),
    (
        "tracking_group_and_identify_make_accounts_and_contacts",
        tracking::group_and_identify_make_accounts_and_contacts,
    ),
    (
        "tracking_message_ids_are_applied_once",
        tracking::message_ids_are_applied_once,
    ),
    (
        "tracking_activities_wait_for_an_account",
        tracking::activities_wait_for_an_account,
    ),
    (
        "tracking_sessions_pair_their_start_and_end",
        tracking::sessions_pair_their_start_and_end,
    ),
    (
        "tracking_alias_carries_what_was_known",
        tracking::alias_carries_what_was_known,
    ),
    (
        "tracking_write_keys_are_stored_hashed_and_revoked",
        tracking::write_keys_are_stored_hashed_and_revoked,
    ),
    (
        "tracking_written_activities_are_what_the_store_reads_back",
        tracking::written_activities_are_what_the_store_reads_back,
    ),
    (
        "tracking_message_ids_are_forgotten_after_the_window",
        tracking::message_ids_are_forgotten_after_the_window,
    ),
    (
        "audit_every_audited_write_appends_one_entry_with_before_and_after",
        audit::every_audited_write_appends_one_entry_with_before_and_after,
    ),
    (
        "audit_a_declined_or_refused_write_leaves_no_entry",
        audit::a_declined_or_refused_write_leaves_no_entry,
    ),
    (
        "audit_entries_filter_newest_first_and_page_by_id",
        audit::entries_filter_newest_first_and_page_by_id,
    ),
    (
        "share_links_keep_the_hash_open_until_expiry_or_revocation",
        audit::share_links_keep_the_hash_open_until_expiry_or_revocation,
    ),
    (
        "tasks_round_trip_one_open_per_source_and_close_once",
        tasks::tasks_round_trip_one_open_per_source_and_close_once,
    ),
    ("tasks_filter_and_order", tasks::tasks_filter_and_order),
    (
        "tasks_playbook_sync_reads_the_tasks_in_force_and_stores_the_new",
        tasks::playbook_sync_reads_the_tasks_in_force_and_stores_the_new,
    ),
    (
        "model_versions_are_numbered_listed_audited_and_logged",
        models::model_versions_are_numbered_listed_audited_and_logged,
    ),
    (
        "alert_watches_are_set_changed_listed_removed_and_audited",
        models::alert_watches_are_set_changed_listed_removed_and_audited,
    ),
];

#[path = "store_suite/audit.rs"]
mod audit;
#[path = "store_suite/models.rs"]
mod models;
#[path = "store_suite/tasks.rs"]
mod tasks;
#[path = "store_suite/tracking.rs"]
mod tracking;

fn run_all(open: &dyn Fn() -> std::sync::Arc<dyn Store>) {
    for (name, check) in CHECKS {
        let store = open();
        eprintln!("store check: {name} on {}", store.backend());
        check(store.as_ref());
    }
}

#[test]
fn sqlite_in_memory() {
    run_all(&|| rapport_store::open("sqlite::memory:").unwrap());
}

#[test]
fn sqlite_on_disk() {
    let folder = tempfile::tempdir().unwrap();
    let counter = std::cell::Cell::new(0);
    run_all(&|| {
        counter.set(counter.get() + 1);
        let url = format!(
            "sqlite://{}/suite-{}.db",
            folder.path().display(),
            counter.get()
        );
        rapport_store::open(&url).unwrap()
    });
}

/// A signing secret stored in plain text before secrets were sealed (in the
/// subscription's JSON, as migration 12 leaves it) is sealed by
/// `seal_plain_webhook_secrets`, taken out with any URL credentials, and
/// is no longer anywhere in the database's files.
#[test]
fn sqlite_plain_webhook_secrets_are_sealed_and_leave_no_trace() {
    use rapport_core::alerts::delivery::SealedSecret;
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("rapport.db");
    let url = format!("sqlite://{}", path.display());
    drop(rapport_store::open(&url).unwrap());
    {
        let legacy = rusqlite::Connection::open(&path).unwrap();
        legacy
            .execute_batch(
                r#"INSERT INTO webhooks (body) VALUES
                     ('{"id":1,"url":"https://hooker:pa55word@hooks.example/x","secret":"plain-secret-in-force","person":"Dana"}');
                   INSERT INTO webhooks (body, removed_at_ms) VALUES
                     ('{"id":2,"url":"https://hooks.example/y","secret":"plain-secret-removed"}', 5);"#,
            )
            .unwrap();
    }
    let store = rapport_store::open(&url).unwrap();
    // Without the key (`None`), the secret in force waits; the removed one goes.
    assert_eq!(store.seal_plain_webhook_secrets(&mut |_| None).unwrap(), 1);
    let mut seen = Vec::new();
    let sealed = store
        .seal_plain_webhook_secrets(&mut |plain| {
            seen.push(plain.to_string());
            Some(SealedSecret(plain.bytes().rev().collect()))
        })
        .unwrap();
    assert_eq!(sealed, 1);
    assert_eq!(
        seen,
        ["plain-secret-in-force"],
        "a removed webhook's is dropped, not sealed"
    );
    let hooks = store.webhooks().unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].url, "https://hooks.example/x");
    assert_eq!(hooks[0].person.as_deref(), Some("Dana"));
    assert_eq!(
        hooks[0].sealed_secret,
        SealedSecret("plain-secret-in-force".bytes().rev().collect())
    );
    assert_eq!(
        store
            .seal_plain_webhook_secrets(&mut |_| unreachable!("sealed already"))
            .unwrap(),
        0
    );
    drop(store);
    for file in std::fs::read_dir(folder.path()).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        for secret in ["plain-secret-in-force", "plain-secret-removed", "pa55word"] {
            assert!(
                !bytes
                    .windows(secret.len())
                    .any(|window| window == secret.as_bytes()),
                "{secret} is still in the database's files"
            );
        }
    }
}

/// The audit log is append only (triggers refuse updates and deletes) and
/// a share link's token is nowhere in the database, only its SHA-256.
#[test]
fn sqlite_audit_log_is_append_only_and_share_tokens_are_hashed() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("rapport.db");
    let url = format!("sqlite://{}", path.display());
    let store = rapport_store::open(&url).unwrap();
    store.upsert_accounts(&[account("a1", 1.0)]).unwrap();
    let a1 = ExternalId::parse("a1").unwrap();
    store
        .create_share_link(
            &rapport_store::sharing::NewShareLink {
                token_hash: &[0x5A; 32],
                account: &a1,
                as_of: Timestamp::from_millis(0),
                page: "<p>page</p>",
                expires_at: Timestamp::from_millis(1_000),
            },
            &audit::draft(AuditAction::ShareLinkCreate),
        )
        .unwrap();
    let connection = rusqlite::Connection::open(&path).unwrap();
    for statement in [
        "UPDATE audit_log SET actor_name = 'someone else'",
        "DELETE FROM audit_log",
    ] {
        let refused = connection.execute(statement, []).unwrap_err().to_string();
        assert!(refused.contains("append only"), "{statement}: {refused}");
    }
    let hash: Vec<u8> = connection
        .query_row("SELECT token_hash FROM share_links", [], |row| row.get(0))
        .unwrap();
    assert_eq!(hash, [0x5A; 32]);
    let after: String = connection
        .query_row("SELECT after_json FROM audit_log", [], |row| row.get(0))
        .unwrap();
    assert!(
        !after.to_lowercase().contains("hash") && !after.contains("5a5a"),
        "{after}"
    );
}

#[test]
fn sqlite_data_survives_reopening() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/dir/rapport.db", folder.path().display());
    {
        let store = rapport_store::open(&url).unwrap();
        store.upsert_accounts(&[account("a1", 100.0)]).unwrap();
        store
            .insert_activities(&[login("a1", "2026-01-05T10:00:00Z", Some("x1"))])
            .unwrap();
    }
    let store = rapport_store::open(&url).unwrap();
    assert_eq!(store.accounts().unwrap(), [account("a1", 100.0)]);
    assert_eq!(store.counts().unwrap().activities, 1);
}

fn account(id: &str, arr: f64) -> Account {
    Account {
        external_id: ExternalId::parse(id).unwrap(),
        name: format!("Account {id}"),
        tier: Tier::Growth,
        arr,
        seats: Some(25),
        csm: "Dana".into(),
        status: AccountStatus::Active,
        contract_start: Some("2025-01-01".parse().unwrap()),
        renewal_date: None,
        industry: "Software".into(),
        manager: Some("Morgan".into()),
        at_risk_override: false,
    }
}

fn login(account: &str, at: &str, id: Option<&str>) -> Activity {
    activity(
        account,
        at,
        id,
        serde_json::json!({"type":"login","user":"u1"}),
    )
}

fn activity(account: &str, at: &str, id: Option<&str>, detail: serde_json::Value) -> Activity {
    Activity {
        source_id: id.map(str::to_string),
        account: ExternalId::parse(account).unwrap(),
        at: Timestamp::parse_rfc3339(at).unwrap(),
        detail: serde_json::from_value::<ActivityDetail>(detail).unwrap(),
    }
}

fn accounts_upsert(store: &dyn Store) {
    use WriteOutcome::*;
    assert_eq!(
        store
            .upsert_accounts(&[account("a1", 100.0), account("a2", 5.0)])
            .unwrap(),
        [Inserted, Inserted]
    );
    assert_eq!(
        store.upsert_accounts(&[account("a1", 100.0)]).unwrap(),
        [Unchanged]
    );
    assert_eq!(
        store.upsert_accounts(&[account("a1", 150.0)]).unwrap(),
        [Updated]
    );
    let stored = store.accounts().unwrap();
    assert_eq!(stored, [account("a1", 150.0), account("a2", 5.0)]);
}

fn contacts_features_outcomes_upsert(store: &dyn Store) {
    use WriteOutcome::*;
    store
        .upsert_accounts(&[account("a1", 1.0), account("a2", 1.0)])
        .unwrap();
    let contact = |account: &str, role: ContactRole| Contact {
        account: ExternalId::parse(account).unwrap(),
        email: Email::parse("Sarah@Acme.com").unwrap(),
        name: "Sarah".into(),
        role,
        department: "Ops".into(),
        title: "VP".into(),
    };
    // The same e-mail at two accounts is two contacts.
    let first = [
        contact("a1", ContactRole::Champion),
        contact("a2", ContactRole::User),
    ];
    assert_eq!(store.upsert_contacts(&first).unwrap(), [Inserted, Inserted]);
    assert_eq!(store.upsert_contacts(&first[..1]).unwrap(), [Unchanged]);
    assert_eq!(
        store
            .upsert_contacts(&[contact("a1", ContactRole::Executive)])
            .unwrap(),
        [Updated]
    );
    let contacts = store.contacts().unwrap();
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts[0].role, ContactRole::Executive);
    assert_eq!(contacts[0].email.as_str(), "sarah@acme.com");

    let feature = |importance| Feature {
        key: FeatureKey::parse("reports").unwrap(),
        name: "Reports".into(),
        importance,
    };
    assert_eq!(
        store
            .upsert_features(&[feature(FeatureImportance::Core)])
            .unwrap(),
        [Inserted]
    );
    assert_eq!(
        store
            .upsert_features(&[feature(FeatureImportance::Core)])
            .unwrap(),
        [Unchanged]
    );
    assert_eq!(
        store
            .upsert_features(&[feature(FeatureImportance::Basic)])
            .unwrap(),
        [Updated]
    );
    assert_eq!(
        store.features().unwrap(),
        [feature(FeatureImportance::Basic)]
    );

    let outcome = |kind, change| Outcome {
        account: ExternalId::parse("a1").unwrap(),
        date: "2025-06-30".parse().unwrap(),
        outcome: kind,
        arr_change: change,
    };
    assert_eq!(
        store
            .upsert_outcomes(&[outcome(OutcomeKind::Renewed, 0.0)])
            .unwrap(),
        [Inserted]
    );
    assert_eq!(
        store
            .upsert_outcomes(&[outcome(OutcomeKind::Renewed, 0.0)])
            .unwrap(),
        [Unchanged]
    );
    assert_eq!(
        store
            .upsert_outcomes(&[outcome(OutcomeKind::Expanded, 2500.0)])
            .unwrap(),
        [Updated]
    );
    assert_eq!(
        store.outcomes().unwrap(),
        [outcome(OutcomeKind::Expanded, 2500.0)]
    );
}

fn every_kind(account: &str) -> Vec<Activity> {
    let at = "2026-01-05T10:00:00.250Z";
    [
        serde_json::json!({"type":"email","direction":"outbound","thread":"t1","from":"csm@us.example","to":["sarah@acme.com"],"subject":"Hello"}),
        serde_json::json!({"type":"meeting","status":"cancelled","cancelled_by":"customer","initiated_by":"us","attendees":[],"kind":"qbr","duration_min":60.0}),
        serde_json::json!({"type":"call","direction":"inbound","contact":"sarah@acme.com","duration_min":12.5,"connected":true}),
        serde_json::json!({"type":"ticket","ticket":"T-1","status":"open","severity":"high","tags":["feature_request"],"sentiment":"negative","contact":"sarah@acme.com"}),
        serde_json::json!({"type":"login","user":"U-1"}),
        serde_json::json!({"type":"session","user":"U-1","duration_min":14.0}),
        serde_json::json!({"type":"feature_used","user":"U-1","feature":"reports"}),
        serde_json::json!({"type":"training","contact":"sarah@acme.com","status":"no_show"}),
        serde_json::json!({"type":"nps","contact":"sarah@acme.com","score":9}),
        serde_json::json!({"type":"csat","score":4}),
        serde_json::json!({"type":"payment","invoice":"INV-1","amount":1200.5,"due":"2026-01-31","status":"paid_late"}),
        serde_json::json!({"type":"community","contact":"sarah@acme.com","action":"post"}),
    ]
    .into_iter()
    .enumerate()
    .map(|(index, detail)| activity(account, at, (index % 2 == 0).then(|| format!("{account}-{index}")).as_deref(), detail))
    .collect()
}

fn activities_are_idempotent_and_round_trip(store: &dyn Store) {
    store
        .upsert_accounts(&[account("a1", 1.0), account("a2", 1.0)])
        .unwrap();
    let activities = every_kind("a1");
    let outcomes = store.insert_activities(&activities).unwrap();
    assert!(
        outcomes
            .iter()
            .all(|outcome| *outcome == WriteOutcome::Inserted)
    );
    // Again: with an id or by content hash, nothing is stored twice.
    let again = store.insert_activities(&activities).unwrap();
    assert!(
        again
            .iter()
            .all(|outcome| *outcome == WriteOutcome::Unchanged),
        "{again:?}"
    );
    // The durable write (what an API acknowledges) dedupes the same way.
    let durably = store.insert_activities_durably(&activities).unwrap();
    assert!(
        durably
            .iter()
            .all(|outcome| *outcome == WriteOutcome::Unchanged),
        "{durably:?}"
    );
    assert_eq!(
        store
            .account_activities(&ExternalId::parse("a1").unwrap())
            .unwrap(),
        activities
    );

    // Per-account reads are in time order whatever the arrival order.
    let later = login("a2", "2026-02-01T00:00:00Z", None);
    let earlier = login("a2", "2026-01-01T00:00:00Z", None);
    store
        .insert_activities(&[later.clone(), earlier.clone()])
        .unwrap();
    assert_eq!(
        store
            .account_activities(&ExternalId::parse("a2").unwrap())
            .unwrap(),
        [earlier.clone(), later.clone()]
    );

    // The timeline: newest first, before an instant, of the kinds asked
    // for, at most the limit; an unknown account is an error, not nothing.
    let ticket = activity(
        "a2",
        "2026-01-15T00:00:00Z",
        Some("t-1"),
        serde_json::json!({"type":"ticket","ticket":"T-1","status":"open","severity":"low"}),
    );
    store
        .insert_activities(std::slice::from_ref(&ticket))
        .unwrap();
    let a2 = ExternalId::parse("a2").unwrap();
    let far = Timestamp::parse_rfc3339("2027-01-01T00:00:00Z").unwrap();
    assert_eq!(
        store.account_timeline(&a2, far, &[], 10).unwrap(),
        [later.clone(), ticket.clone(), earlier.clone()]
    );
    assert_eq!(
        store.account_timeline(&a2, far, &["login"], 1).unwrap(),
        std::slice::from_ref(&later)
    );
    assert_eq!(
        store
            .account_timeline(&a2, later.at, &["login", "ticket"], 10)
            .unwrap(),
        [ticket.clone(), earlier.clone()]
    );
    assert!(
        store
            .account_timeline(&a2, far, &["call"], 10)
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .account_timeline(&ExternalId::parse("nobody").unwrap(), far, &[], 10)
            .is_err()
    );

    // Streaming every activity returns all of them in the order of writing:
    // batches in commit order, each batch's records grouped by account and
    // time (arrival order among equal instants).
    let mut streamed = Vec::new();
    let mut sequence = Vec::new();
    store
        .for_each_activity(&mut |seq, activity| {
            sequence.push(seq);
            streamed.push(activity);
        })
        .unwrap();
    let mut expected = activities.clone();
    expected.sort_by_key(|activity| activity.at);
    expected.extend([earlier, later, ticket]);
    assert_eq!(streamed, expected);
    assert!(sequence.windows(2).all(|pair| pair[0] < pair[1]));
}

fn unknown_accounts_are_refused_whole_batch(store: &dyn Store) {
    store.upsert_accounts(&[account("a1", 1.0)]).unwrap();
    let batch = [
        login("a1", "2026-01-05T10:00:00Z", Some("ok")),
        login("ghost", "2026-01-05T10:00:00Z", Some("bad")),
    ];
    let error = store.insert_activities(&batch).unwrap_err();
    assert!(
        matches!(&error, StoreError::UnknownAccount(id) if id == "ghost"),
        "{error}"
    );
    assert_eq!(
        store.counts().unwrap().activities,
        0,
        "nothing of the refused batch is written"
    );
    let contact = Contact {
        account: ExternalId::parse("ghost").unwrap(),
        email: Email::parse("x@y.z").unwrap(),
        name: String::new(),
        role: ContactRole::User,
        department: String::new(),
        title: String::new(),
    };
    assert!(matches!(
        store.upsert_contacts(&[contact]),
        Err(StoreError::UnknownAccount(_))
    ));
    assert_eq!(store.counts().unwrap().contacts, 0);
}

fn ping_and_counts(store: &dyn Store) {
    store.ping().unwrap();
    assert_eq!(
        store.counts().unwrap(),
        rapport_store::StoreCounts::default()
    );
    store.upsert_accounts(&[account("a1", 1.0)]).unwrap();
    store.insert_activities(&every_kind("a1")).unwrap();
    let counts = store.counts().unwrap();
    assert_eq!((counts.accounts, counts.activities), (1, 12));
}

fn goals_round_trip_with_ids_and_history(store: &dyn Store) {
    use rapport_core::success::Goal;
    store
        .upsert_accounts(&[account("a1", 1.0), account("a2", 2.0)])
        .unwrap();
    let a1 = ExternalId::parse("a1").unwrap();
    let a2 = ExternalId::parse("a2").unwrap();
    let goal: Goal = serde_json::from_value(serde_json::json!({
        "title": "Reduce reporting time",
        "owner": "Sarah Chen",
        "startDate": "2025-01-01",
        "targetDate": "2025-12-31",
        "valueDrivers": [{"kind": "time_saved", "hoursPerMonth": 140, "hourlyRate": 60, "confidence": "high"}],
        "metrics": [
            {"category": "operational", "name": "Time to create report", "baseline": 4, "target": 2,
             "unit": "hours", "direction": "lower_is_better",
             "history": [{"at": "2025-06-01T00:00:00Z", "value": 2.5}, {"at": "2025-03-01T00:00:00Z", "value": 3.1}]},
            {"category": "adoption", "name": "Weekly reports", "target": 25, "direction": "higher_is_better"}
        ]
    }))
    .unwrap();
    let stored = store.put_goal(&a1, &goal).unwrap();
    assert_eq!(stored.id, "goal-1");
    let ids: Vec<&str> = stored.metrics.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["goal-1-m1", "goal-1-m2"]);
    // Histories are kept in time order.
    assert_eq!(
        stored.metrics[0].history[0].at,
        Timestamp::parse_rfc3339("2025-03-01T00:00:00Z").unwrap()
    );
    let second = store.put_goal(&a1, &goal).unwrap();
    assert_eq!(second.id, "goal-2");
    store.put_goal(&a2, &goal).unwrap();

    // Replacing keeps the id; the listing shows the replacement.
    let mut edited = stored.clone();
    edited.title = "Reduce reporting time by half".into();
    edited.metrics[0].history.push(
        serde_json::from_value(serde_json::json!({"at": "2025-09-01T00:00:00Z", "value": 1.2}))
            .unwrap(),
    );
    store.put_goal(&a1, &edited).unwrap();
    let listed = store.goals(Some(&a1)).unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].1, edited);
    assert_eq!(store.goals(None).unwrap().len(), 3);

    assert!(store.delete_goal(&a1, "goal-2").unwrap());
    assert!(!store.delete_goal(&a1, "goal-2").unwrap());
    assert_eq!(store.goals(Some(&a1)).unwrap().len(), 1);
    assert!(matches!(
        store.put_goal(&ExternalId::parse("nobody").unwrap(), &goal),
        Err(StoreError::UnknownAccount(_))
    ));
}

fn override_events_append_and_read_in_time_order(store: &dyn Store) {
    use rapport_core::scoring::overrides::{OverrideAction, OverrideEvent};
    store
        .upsert_accounts(&[account("a1", 1.0), account("a2", 2.0)])
        .unwrap();
    let a1 = ExternalId::parse("a1").unwrap();
    let a2 = ExternalId::parse("a2").unwrap();
    let event = |at: &str, action, old, new, expires: Option<&str>| OverrideEvent {
        at: Timestamp::parse_rfc3339(at).unwrap(),
        author: "dana".into(),
        action,
        model: "health".into(),
        old,
        new,
        reason: "exec sponsor confirmed renewal".into(),
        expires_at: expires.map(|text| Timestamp::parse_rfc3339(text).unwrap()),
    };
    assert!(store.override_events(Some(&a1)).unwrap().is_empty());
    let set = event(
        "2026-03-01T10:00:00.250Z",
        OverrideAction::Set,
        None,
        Some(72.0),
        Some("2026-12-31T00:00:00Z"),
    );
    let replaced = event(
        "2026-03-02T00:00:00Z",
        OverrideAction::Set,
        Some(72.0),
        Some(64.5),
        None,
    );
    // Same instant as `replaced`, written after it: the order of writing holds.
    let removed = event(
        "2026-03-02T00:00:00Z",
        OverrideAction::Removed,
        Some(64.5),
        None,
        None,
    );
    // Written last but earlier in time: read back in time order.
    let earlier = event(
        "2026-02-01T00:00:00Z",
        OverrideAction::Set,
        None,
        Some(10.0),
        None,
    );
    let other = event(
        "2026-01-01T00:00:00Z",
        OverrideAction::Set,
        None,
        Some(50.0),
        None,
    );
    store.record_override_event(&a2, &other).unwrap();
    for written in [&set, &replaced, &removed, &earlier] {
        store.record_override_event(&a1, written).unwrap();
    }
    let of_a1: Vec<OverrideEvent> = store
        .override_events(Some(&a1))
        .unwrap()
        .into_iter()
        .map(|(account, event)| {
            assert_eq!(account, a1);
            event
        })
        .collect();
    assert_eq!(of_a1, [earlier, set, replaced, removed]);
    let every: Vec<ExternalId> = store
        .override_events(None)
        .unwrap()
        .into_iter()
        .map(|(account, _)| account)
        .collect();
    assert_eq!(every, [a1.clone(), a1.clone(), a1.clone(), a1, a2.clone()]);

    let ghost = ExternalId::parse("ghost").unwrap();
    assert!(matches!(
        store.record_override_event(&ghost, &other),
        Err(StoreError::UnknownAccount(id)) if id == "ghost"
    ));
    assert!(matches!(
        store.override_events(Some(&ghost)),
        Err(StoreError::UnknownAccount(_))
    ));
    assert_eq!(store.override_events(None).unwrap().len(), 5);
}

fn snapshots_round_trip_packed_by_model_and_day(store: &dyn Store) {
    use rapport_core::portfolio::snapshot::DaySnapshot;
    use rapport_store::WriteOutcome;
    store
        .upsert_accounts(&[account("a1", 1.0), account("a2", 2.0)])
        .unwrap();
    let day = |text: &str| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    let snapshot = |on: &str, overall: f64| DaySnapshot {
        model: "health".into(),
        day: day(on),
        components: vec!["usage".into(), "outcomes".into()],
        scores: vec![
            (
                ExternalId::parse("a1").unwrap(),
                vec![Some(overall), Some(70.5), None],
            ),
            (ExternalId::parse("a2").unwrap(), vec![None, None, None]),
        ],
    };
    assert_eq!(
        store.put_snapshot(&snapshot("2026-03-01", 61.25)).unwrap(),
        WriteOutcome::Inserted
    );
    assert_eq!(
        store.put_snapshot(&snapshot("2026-03-01", 61.25)).unwrap(),
        WriteOutcome::Unchanged
    );
    assert_eq!(
        store.put_snapshot(&snapshot("2026-03-01", 59.0)).unwrap(),
        WriteOutcome::Updated
    );
    store.put_snapshot(&snapshot("2026-03-02", 58.0)).unwrap();
    let mut other = snapshot("2026-03-02", 10.0);
    other.model = "prd070-engagement".into();
    store.put_snapshot(&other).unwrap();
    let read = store
        .snapshots("health", day("2026-03-01"), day("2026-03-31"))
        .unwrap();
    assert_eq!(
        read,
        vec![snapshot("2026-03-01", 59.0), snapshot("2026-03-02", 58.0)]
    );
    assert!(
        store
            .snapshots("health", day("2026-04-01"), day("2026-04-30"))
            .unwrap()
            .is_empty()
    );
    let mut unknown = snapshot("2026-03-03", 50.0);
    unknown
        .scores
        .push((ExternalId::parse("nobody").unwrap(), vec![None, None, None]));
    assert!(matches!(
        store.put_snapshot(&unknown),
        Err(rapport_store::StoreError::UnknownAccount(_))
    ));
    assert_eq!(
        store
            .snapshots("health", day("2026-03-03"), day("2026-03-03"))
            .unwrap(),
        vec![]
    );
}

fn alerts_keep_one_unresolved_per_rule_and_their_history(store: &dyn Store) {
    use rapport_core::alerts::{StoredAlert, acknowledge, resolve};
    use rapport_core::engagement::breakdown::AlertPriority;
    store
        .upsert_accounts(&[account("a1", 1.0), account("a2", 2.0)])
        .unwrap();
    let at = |text: &str| Timestamp::parse_rfc3339(text).unwrap();
    let alert = |id: &str, rule: &str| StoredAlert {
        id: 0,
        account: ExternalId::parse(id).unwrap(),
        rule: rule.into(),
        priority: AlertPriority::High,
        message: "fell 12 points".into(),
        notify: vec!["csm".into()],
        opened_at: at("2026-03-01T00:00:00Z"),
        last_seen_at: at("2026-03-01T00:00:00Z"),
        acknowledged_at: None,
        acknowledged_by: None,
        resolved_at: None,
        resolved_by: None,
        resolution: None,
        snooze: None,
        awaiting_clear: false,
        condition_cleared_at: None,
        backlog: false,
    };
    let written = store
        .write_alerts(&[
            alert("a1", "engagement.score_drop"),
            alert("a2", "engagement.score_drop"),
        ])
        .unwrap();
    assert!(written[0].id > 0 && written[1].id > written[0].id);
    // A second unresolved alert of the same rule and account is refused whole.
    assert!(
        store
            .write_alerts(&[
                alert("a1", "health.component_red"),
                alert("a1", "engagement.score_drop")
            ])
            .is_err()
    );
    assert_eq!(store.alerts(None, false).unwrap().len(), 2);
    let acknowledged = acknowledge(&written[0], "dana", at("2026-03-01T02:00:00Z")).unwrap();
    let resolved = resolve(
        &acknowledged,
        "dana",
        Some("called"),
        at("2026-03-02T00:00:00Z"),
    )
    .unwrap();
    store.write_alerts(std::slice::from_ref(&resolved)).unwrap();
    assert_eq!(store.alert(written[0].id).unwrap(), Some(resolved));
    // Once resolved, the rule may open a new alert; the old one stays as history.
    let reopened = store
        .write_alerts(&[alert("a1", "engagement.score_drop")])
        .unwrap();
    let a1 = ExternalId::parse("a1").unwrap();
    assert_eq!(store.alerts(Some(&a1), false).unwrap().len(), 2);
    assert_eq!(store.alerts(Some(&a1), true).unwrap(), reopened);
    assert_eq!(store.alert(9_999).unwrap(), None);
    assert!(matches!(
        store.write_alerts(&[alert("nobody", "x")]),
        Err(rapport_store::StoreError::UnknownAccount(_))
    ));
}

fn stored_alert(account: &str, rule: &str, at: Timestamp) -> rapport_core::alerts::StoredAlert {
    rapport_core::alerts::StoredAlert {
        id: 0,
        account: ExternalId::parse(account).unwrap(),
        rule: rule.into(),
        priority: rapport_core::engagement::breakdown::AlertPriority::High,
        message: "fell 12 points".into(),
        notify: vec!["csm".into()],
        opened_at: at,
        last_seen_at: at,
        acknowledged_at: None,
        acknowledged_by: None,
        resolved_at: None,
        resolved_by: None,
        resolution: None,
        snooze: None,
        awaiting_clear: false,
        condition_cleared_at: None,
        backlog: false,
    }
}

/// An evaluation sees the unresolved alerts and those a person resolved
/// while their condition still fired (issue 20, item 10), and whether the
/// store's alerts were ever evaluated; the first evaluation is recorded.
fn an_evaluation_sees_the_alerts_in_force_and_whether_it_is_the_first(store: &dyn Store) {
    use rapport_core::alerts::resolve;
    store
        .upsert_accounts(&[account("a1", 1.0), account("a2", 2.0)])
        .unwrap();
    let at = |text: &str| Timestamp::parse_rfc3339(text).unwrap();
    let (first, second) = (at("2026-03-01T00:00:00Z"), at("2026-03-01T01:00:00Z"));
    let mut seen = Vec::new();
    let opened = store
        .reconcile_alerts(None, first, &mut |in_force| {
            seen.push(in_force.clone());
            vec![
                stored_alert("a1", "health.score_drop", first),
                stored_alert("a1", "engagement.score_drop", first),
                stored_alert("a2", "health.score_drop", first),
            ]
        })
        .unwrap();
    assert_eq!(seen[0].first_evaluated_at, None);
    assert!(seen[0].alerts.is_empty());
    // A person resolves one: it stays in force (holding its rule); an old
    // resolution that does not hold is history only.
    let held = resolve(&opened[0], "dana", None, second).unwrap();
    let mut history = resolve(&opened[2], "dana", None, second).unwrap();
    history.awaiting_clear = false;
    store.write_alerts(&[held.clone(), history]).unwrap();
    let a1 = ExternalId::parse("a1").unwrap();
    store
        .reconcile_alerts(Some(&a1), second, &mut |in_force| {
            seen.push(in_force.clone());
            Vec::new()
        })
        .unwrap();
    assert_eq!(seen[1].first_evaluated_at, Some(first));
    assert_eq!(seen[1].alerts, vec![opened[1].clone(), held.clone()]);
    store
        .reconcile_alerts(None, second, &mut |in_force| {
            seen.push(in_force.clone());
            Vec::new()
        })
        .unwrap();
    assert_eq!(seen[2].alerts.len(), 2, "a2's history is not in force");
    // At most one held resolution per account and rule.
    let mut twin = stored_alert("a1", "health.score_drop", second);
    twin.resolved_at = Some(second);
    twin.awaiting_clear = true;
    assert!(store.write_alerts(&[twin]).is_err());
    // Once its condition cleared, the resolution is history.
    let released = rapport_core::alerts::StoredAlert {
        awaiting_clear: false,
        condition_cleared_at: Some(second),
        ..held
    };
    store.write_alerts(std::slice::from_ref(&released)).unwrap();
    store
        .reconcile_alerts(Some(&a1), second, &mut |in_force| {
            seen.push(in_force.clone());
            Vec::new()
        })
        .unwrap();
    assert_eq!(seen[3].alerts, vec![opened[1].clone()]);
    assert_eq!(store.alert(released.id).unwrap(), Some(released));
}

fn webhooks_and_the_delivery_outbox(store: &dyn Store) {
    use rapport_core::alerts::delivery::{
        Delivery, DeliveryEvent, DeliveryOutcome, SealedSecret, Subscription,
    };
    use rapport_core::engagement::breakdown::AlertPriority;
    store.upsert_accounts(&[account("a1", 1.0)]).unwrap();
    let at = |seconds: i64| Timestamp::from_millis(1_772_323_200_000 + seconds * 1000);
    let subscription = |url: &str| Subscription {
        id: 0,
        url: url.into(),
        person: Some("Dana".into()),
        rule: None,
        min_priority: Some(AlertPriority::High),
        sealed_secret: SealedSecret(vec![1, 7, 7, 7]),
    };
    let hook = store
        .add_webhook(
            &subscription("https://hooks.example/x"),
            &audit::draft(AuditAction::WebhookAdd),
        )
        .unwrap();
    assert!(hook.id > 0);
    assert_eq!(store.webhooks().unwrap(), vec![hook.clone()]);
    assert_eq!(
        store.webhooks().unwrap()[0].sealed_secret,
        SealedSecret(vec![1, 7, 7, 7]),
        "the sealed secret is kept as it was given"
    );
    let other = store
        .add_webhook(
            &subscription("https://other.example/y"),
            &audit::draft(AuditAction::WebhookAdd),
        )
        .unwrap();
    let alert = store
        .write_alerts(&[stored_alert("a1", "engagement.score_drop", at(0))])
        .unwrap()
        .remove(0);
    let queued = |webhook_id: i64| Delivery {
        id: 0,
        alert_id: alert.id,
        webhook_id,
        event: DeliveryEvent::Opened,
        payload: "{\"text\":\"x\"}".into(),
        attempts: 0,
        next_attempt_at: at(0),
        delivered_at: None,
        dropped_at: None,
        last_error: None,
    };
    store
        .enqueue_deliveries(&[queued(hook.id), queued(other.id), queued(other.id)])
        .unwrap();
    let due = store.due_deliveries(at(0), 10, &[]).unwrap();
    assert_eq!(due.len(), 3);
    let hooks_only = store.due_deliveries(at(0), 10, &[other.id]).unwrap();
    assert_eq!(
        hooks_only.iter().map(|d| d.webhook_id).collect::<Vec<_>>(),
        [hook.id],
        "a webhook a pass is still sending to is left out"
    );
    store
        .record_delivery(
            due[0].id,
            at(0),
            DeliveryOutcome::Failed {
                error: "503",
                retry_at: at(10),
            },
        )
        .unwrap();
    // Postponed: not an attempt, just later.
    store
        .record_delivery(
            due[2].id,
            at(0),
            DeliveryOutcome::Postponed { until: at(10) },
        )
        .unwrap();
    assert_eq!(
        store
            .due_deliveries(at(5), 10, &[])
            .unwrap()
            .iter()
            .map(|d| d.id)
            .collect::<Vec<_>>(),
        [due[1].id],
        "the failed and the postponed wait for the retry"
    );
    let retry = store.due_deliveries(at(10), 10, &[]).unwrap();
    assert_eq!(retry.len(), 3);
    let failed = retry.iter().find(|d| d.id == due[0].id).unwrap();
    assert_eq!(
        (failed.attempts, failed.last_error.as_deref()),
        (1, Some("503"))
    );
    let postponed = retry.iter().find(|d| d.id == due[2].id).unwrap();
    assert_eq!(
        (postponed.attempts, postponed.last_error.as_deref()),
        (0, None)
    );
    store
        .record_delivery(due[0].id, at(10), DeliveryOutcome::Delivered)
        .unwrap();
    let record = store.deliveries(Some(alert.id)).unwrap();
    assert_eq!(
        (record[0].attempts, record[0].delivered_at),
        (2, Some(at(10)))
    );
    // Removing a webhook drops its waiting deliveries in the same step.
    assert!(
        store
            .remove_webhook(other.id, at(20), &audit::draft(AuditAction::WebhookRemove))
            .unwrap()
    );
    assert!(
        !store
            .remove_webhook(other.id, at(21), &audit::draft(AuditAction::WebhookRemove))
            .unwrap()
    );
    assert_eq!(store.webhooks().unwrap(), vec![hook.clone()]);
    assert!(
        store
            .due_deliveries(at(99_999), 10, &[])
            .unwrap()
            .is_empty()
    );
    for dropped in store
        .deliveries(Some(alert.id))
        .unwrap()
        .iter()
        .filter(|d| d.webhook_id == other.id)
    {
        assert_eq!(dropped.dropped_at, Some(at(20)));
        assert_eq!(
            dropped.last_error.as_deref(),
            Some("the webhook was removed")
        );
        assert_eq!(dropped.delivered_at, None);
    }
    // A dropped or delivered delivery does not change any more.
    store
        .record_delivery(due[1].id, at(30), DeliveryOutcome::Delivered)
        .unwrap();
    store
        .record_delivery(
            due[0].id,
            at(30),
            DeliveryOutcome::Dropped { reason: "late" },
        )
        .unwrap();
    let record = store.deliveries(Some(alert.id)).unwrap();
    assert_eq!(record[1].delivered_at, None);
    assert_eq!(
        (record[0].delivered_at, record[0].dropped_at),
        (Some(at(10)), None)
    );
    // A delivery dropped by the worker (its address refused) is never due.
    store.enqueue_deliveries(&[queued(hook.id)]).unwrap();
    let fresh = store.due_deliveries(at(40), 10, &[]).unwrap();
    store
        .record_delivery(
            fresh[0].id,
            at(40),
            DeliveryOutcome::Dropped {
                reason: "refused: 10.0.0.1 is a private network address",
            },
        )
        .unwrap();
    assert!(
        store
            .due_deliveries(at(99_999), 10, &[])
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .record_delivery(9_999, at(30), DeliveryOutcome::Delivered)
            .is_err()
    );
    // Nothing was stored in plain text, so there is nothing to seal.
    assert_eq!(
        store
            .seal_plain_webhook_secrets(&mut |_| unreachable!("no plain secret"))
            .unwrap(),
        0
    );
}
