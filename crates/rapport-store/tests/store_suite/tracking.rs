//! The store suite's checks of the tracking API's storage: calls applied in
//! order in one transaction, message ids recorded once (also across a
//! restart), accounts and contacts from group and identify calls, held
//! activities, sessions, aliases and hashed write keys; the activities a
//! transaction hands its caller are those the store reads back; message ids
//! are forgotten after the de-duplication window, and a second store on the
//! same file (another process) sees the first one's.

use rapport_core::{
    AccountStatus, ActivityDetail, ContactRole, Email, ExternalId, Tier, Timestamp, UserId,
};
use rapport_store::tracking::{
    AccountTraits, TrackedAction, TrackedBatch, TrackedCall, TrackedOutcome, UserTraits,
};
use rapport_store::{ChangeKind, Store};

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

fn call(message: &str, user: &str, when: &str, action: TrackedAction) -> TrackedCall {
    TrackedCall {
        message_id: message.to_string(),
        user: UserId::parse(user).unwrap(),
        at: at(when),
        account_hint: None,
        action,
    }
}

fn group(account: &str, name: Option<&str>) -> TrackedAction {
    TrackedAction::Group {
        account: ExternalId::parse(account).unwrap(),
        traits: AccountTraits {
            name: name.map(str::to_string),
            ..AccountTraits::none(Tier::Core)
        },
    }
}

fn login(user: &str) -> TrackedAction {
    TrackedAction::Activity(ActivityDetail::Login {
        user: UserId::parse(user).unwrap(),
    })
}

fn identify(email: &str, name: &str, role: Option<ContactRole>) -> TrackedAction {
    TrackedAction::Identify(UserTraits {
        email: Some(Email::parse(email).unwrap()),
        name: Some(name.to_string()),
        role,
        ..UserTraits::default()
    })
}

fn record(store: &dyn Store, calls: Vec<TrackedCall>) -> Vec<TrackedOutcome> {
    let batch = TrackedBatch {
        key_id: 1,
        received_at: at("2026-03-01T12:00:00Z"),
        calls,
    };
    store.record_tracked(&[batch]).unwrap().outcomes.remove(0)
}

fn external(id: &str) -> ExternalId {
    ExternalId::parse(id).unwrap()
}

pub fn group_and_identify_make_accounts_and_contacts(store: &dyn Store) {
    use TrackedOutcome::*;
    let before = store.cursor().unwrap();
    let outcomes = record(
        store,
        vec![
            call(
                "m1",
                "u1",
                "2026-03-01T10:00:00Z",
                identify("Ana@Acme.com", "Ana", None),
            ),
            call(
                "m2",
                "u1",
                "2026-03-01T10:00:01Z",
                group("acme", Some("Acme")),
            ),
            call("m3", "u1", "2026-03-01T10:00:02Z", login("u1")),
        ],
    );
    assert_eq!(outcomes, [Recorded, Recorded, Recorded]);
    let account = store.account(&external("acme")).unwrap().unwrap();
    assert_eq!(
        (
            account.name.as_str(),
            account.tier,
            account.status,
            account.arr
        ),
        ("Acme", Tier::Core, AccountStatus::Active, 0.0)
    );
    let contacts = store.account_contacts(&external("acme")).unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].email.as_str(), "ana@acme.com");
    assert_eq!(
        (contacts[0].name.as_str(), contacts[0].role),
        ("Ana", ContactRole::User)
    );
    let activities = store.account_activities(&external("acme")).unwrap();
    assert_eq!(activities.len(), 1);
    assert_eq!(activities[0].source_id.as_deref(), Some("segment:m3"));
    assert_eq!(activities[0].at, at("2026-03-01T10:00:02Z"));

    // The change log names the account, its contacts and the activities, in
    // that order, so a follower creates the account before its activities.
    let kinds: Vec<ChangeKind> = store
        .changes_since(before, 100)
        .unwrap()
        .into_iter()
        .map(|change| change.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            ChangeKind::Account,
            ChangeKind::Contacts,
            ChangeKind::Activities
        ]
    );

    // A later group call updates what its traits say and keeps the rest; a
    // later identify updates the contact (a role given, the name kept).
    let traits = AccountTraits {
        arr: Some(50_000.0),
        tier: Some(Tier::Strategic),
        ..AccountTraits::none(Tier::Core)
    };
    record(
        store,
        vec![
            call(
                "m4",
                "u1",
                "2026-03-02T10:00:00Z",
                TrackedAction::Group {
                    account: external("acme"),
                    traits,
                },
            ),
            call(
                "m5",
                "u1",
                "2026-03-02T10:00:00Z",
                TrackedAction::Identify(UserTraits {
                    role: Some(ContactRole::Champion),
                    ..UserTraits::default()
                }),
            ),
        ],
    );
    let account = store.account(&external("acme")).unwrap().unwrap();
    assert_eq!(
        (account.name.as_str(), account.tier, account.arr),
        ("Acme", Tier::Strategic, 50_000.0)
    );
    let contact = &store.account_contacts(&external("acme")).unwrap()[0];
    assert_eq!(
        (contact.name.as_str(), contact.role),
        ("Ana", ContactRole::Champion)
    );
    let user = store
        .tracked_user(&UserId::parse("u1").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(user.account, Some(external("acme")));
    assert_eq!(user.traits.email.unwrap().as_str(), "ana@acme.com");
}

pub fn message_ids_are_applied_once(store: &dyn Store) {
    use TrackedOutcome::*;
    let calls = vec![
        call("g1", "u1", "2026-03-01T10:00:00Z", group("acme", None)),
        call("l1", "u1", "2026-03-01T10:00:01Z", login("u1")),
        call("l1", "u1", "2026-03-01T10:00:01Z", login("u1")),
        call("x1", "u1", "2026-03-01T10:00:02Z", TrackedAction::Ignored),
    ];
    assert_eq!(
        record(store, calls.clone()),
        [Recorded, Recorded, Duplicate, Ignored]
    );
    let cursor = store.cursor().unwrap();
    // The client's retry of the whole batch: nothing again, nothing logged.
    assert_eq!(
        record(store, calls),
        [Duplicate, Duplicate, Duplicate, Duplicate]
    );
    assert_eq!(store.cursor().unwrap(), cursor);
    assert_eq!(store.counts().unwrap().activities, 1);

    // Two requests in one transaction (group commit): each keeps its outcomes.
    let batches = [
        TrackedBatch {
            key_id: 1,
            received_at: at("2026-03-01T12:00:00Z"),
            calls: vec![call("a", "u1", "2026-03-01T11:00:00Z", login("u1"))],
        },
        TrackedBatch {
            key_id: 2,
            received_at: at("2026-03-01T12:00:00Z"),
            calls: vec![
                call("a", "u1", "2026-03-01T11:00:00Z", login("u1")),
                call("b", "u1", "2026-03-01T11:00:01Z", login("u1")),
            ],
        },
    ];
    assert_eq!(
        store.record_tracked(&batches).unwrap().outcomes,
        [vec![Recorded], vec![Duplicate, Recorded]]
    );
    assert_eq!(store.counts().unwrap().activities, 3);
}

pub fn activities_wait_for_an_account(store: &dyn Store) {
    use TrackedOutcome::*;
    let mut hinted = call("h1", "u2", "2026-03-01T09:00:00Z", login("u2"));
    hinted.account_hint = Some(external("beta"));
    assert_eq!(
        record(
            store,
            vec![
                call("l1", "u1", "2026-03-01T09:00:00Z", login("u1")),
                call("l2", "u1", "2026-03-01T09:30:00Z", login("u1")),
                hinted,
            ]
        ),
        [Held, Held, Held]
    );
    assert_eq!(store.counts().unwrap().activities, 0);
    let user = store.tracked_user(&UserId::parse("u1").unwrap()).unwrap();
    assert_eq!(user.map(|user| user.held), Some(2));

    // u1's group call stores u1's held activities under the account, at
    // their own instants; u2's stays held for the account it named.
    assert_eq!(
        record(
            store,
            vec![call(
                "g1",
                "u1",
                "2026-03-01T10:00:00Z",
                group("acme", None)
            )]
        ),
        [Recorded]
    );
    let stored = store.account_activities(&external("acme")).unwrap();
    assert_eq!(
        stored
            .iter()
            .map(|activity| activity.at)
            .collect::<Vec<_>>(),
        [at("2026-03-01T09:00:00Z"), at("2026-03-01T09:30:00Z")]
    );
    assert_eq!(
        store
            .tracked_user(&UserId::parse("u1").unwrap())
            .unwrap()
            .unwrap()
            .held,
        0
    );
    // Someone's group call creating `beta` releases what was held for it.
    record(
        store,
        vec![call(
            "g2",
            "u3",
            "2026-03-01T11:00:00Z",
            group("beta", None),
        )],
    );
    let beta = store.account_activities(&external("beta")).unwrap();
    assert_eq!(beta.len(), 1);
    assert_eq!(beta[0].source_id.as_deref(), Some("segment:h1"));
    // A hint naming a known account wins over the user's own account.
    let mut elsewhere = call("l3", "u1", "2026-03-01T12:00:00Z", login("u1"));
    elsewhere.account_hint = Some(external("beta"));
    assert_eq!(record(store, vec![elsewhere]), [Recorded]);
    assert_eq!(
        store.account_activities(&external("beta")).unwrap().len(),
        2
    );
}

pub fn sessions_pair_their_start_and_end(store: &dyn Store) {
    use TrackedOutcome::*;
    let outcomes = record(
        store,
        vec![
            call("g", "u1", "2026-03-01T09:00:00Z", group("acme", None)),
            call(
                "e0",
                "u1",
                "2026-03-01T09:10:00Z",
                TrackedAction::SessionEnd,
            ),
            call(
                "s1",
                "u1",
                "2026-03-01T10:00:00Z",
                TrackedAction::SessionStart,
            ),
        ],
    );
    assert_eq!(outcomes, [Recorded, Ignored, Recorded]);
    // The end comes in another request: the start was stored.
    assert_eq!(
        record(
            store,
            vec![call(
                "e1",
                "u1",
                "2026-03-01T10:45:00Z",
                TrackedAction::SessionEnd
            )]
        ),
        [Recorded]
    );
    let activities = store.account_activities(&external("acme")).unwrap();
    assert_eq!(activities.len(), 1);
    assert_eq!(activities[0].at, at("2026-03-01T10:45:00Z"));
    assert_eq!(
        activities[0].detail,
        ActivityDetail::Session {
            user: UserId::parse("u1").unwrap(),
            duration_min: 45.0
        }
    );
    // One end per start.
    assert_eq!(
        record(
            store,
            vec![call(
                "e2",
                "u1",
                "2026-03-01T11:00:00Z",
                TrackedAction::SessionEnd
            )]
        ),
        [Ignored]
    );
}

pub fn alias_carries_what_was_known(store: &dyn Store) {
    use TrackedOutcome::*;
    let outcomes = record(
        store,
        vec![
            call(
                "i",
                "anon-1",
                "2026-03-01T09:00:00Z",
                identify("bo@beta.io", "Bo", None),
            ),
            call("l", "anon-1", "2026-03-01T09:01:00Z", login("anon-1")),
            call(
                "g",
                "u9",
                "2026-03-01T09:02:00Z",
                group("beta", Some("Beta")),
            ),
            call(
                "a",
                "u9",
                "2026-03-01T09:03:00Z",
                TrackedAction::Alias {
                    previous: UserId::parse("anon-1").unwrap(),
                },
            ),
        ],
    );
    assert_eq!(outcomes, [Recorded, Held, Recorded, Recorded]);
    let user = store
        .tracked_user(&UserId::parse("u9").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(user.account, Some(external("beta")));
    assert_eq!(user.traits.name.as_deref(), Some("Bo"));
    assert_eq!(user.held, 0);
    assert_eq!(
        store.account_activities(&external("beta")).unwrap().len(),
        1
    );
    let contacts = store.account_contacts(&external("beta")).unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].email.as_str(), "bo@beta.io");
}

pub fn write_keys_are_stored_hashed_and_revoked(store: &dyn Store) {
    use rapport_store::audit::{AuditAction, AuditFilter};
    let create = super::audit::draft(AuditAction::WriteKeyCreate);
    let revoke = super::audit::draft(AuditAction::WriteKeyRevoke);
    let hash = [7u8; 32];
    let created = store
        .create_write_key(
            "website",
            &hash,
            "rk_abcd",
            at("2026-03-01T09:00:00Z"),
            &create,
        )
        .unwrap();
    assert_eq!(created.name, "website");
    assert_eq!(created.revoked_at, None);
    let second = store
        .create_write_key(
            "app",
            &[8u8; 32],
            "rk_efgh",
            at("2026-03-01T09:00:00Z"),
            &create,
        )
        .unwrap();
    assert!(second.id > created.id);
    assert_eq!(
        store.write_key_by_hash(&hash).unwrap(),
        Some(created.clone())
    );
    assert_eq!(store.write_key_by_hash(&[9u8; 32]).unwrap(), None);
    // The same secret twice is refused (the hash is unique).
    assert!(
        store
            .create_write_key(
                "again",
                &hash,
                "rk_abcd",
                at("2026-03-01T09:00:00Z"),
                &create
            )
            .is_err()
    );

    let revoked = store
        .revoke_write_key(created.id, at("2026-03-02T09:00:00Z"), &revoke)
        .unwrap()
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(at("2026-03-02T09:00:00Z")));
    // Revoking again keeps the first instant; an unknown id is none.
    let again = store
        .revoke_write_key(created.id, at("2026-03-03T09:00:00Z"), &revoke)
        .unwrap()
        .unwrap();
    assert_eq!(again.revoked_at, Some(at("2026-03-02T09:00:00Z")));
    assert_eq!(
        store
            .revoke_write_key(999, at("2026-03-03T09:00:00Z"), &revoke)
            .unwrap(),
        None
    );
    let keys = store.write_keys().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].revoked_at, Some(at("2026-03-02T09:00:00Z")));
    assert_eq!(keys[1].revoked_at, None);
    // A key id is never reused.
    let third = store
        .create_write_key(
            "third",
            &[10u8; 32],
            "rk_ijkl",
            at("2026-03-04T09:00:00Z"),
            &create,
        )
        .unwrap();
    assert!(third.id > second.id);
    // Each key made and the one revocation are in the audit log, with the
    // key's prefix and never its hash; the refused key, the second revocation
    // and the unknown id left nothing.
    let entries = store
        .audit_entries(&AuditFilter {
            limit: 100,
            ..AuditFilter::default()
        })
        .unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .rev()
        .map(|entry| entry.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "write_key.create",
            "write_key.create",
            "write_key.revoke",
            "write_key.create"
        ]
    );
    let revoked_entry = &entries[1];
    assert_eq!(revoked_entry.subject_id, created.id.to_string());
    assert_eq!(
        revoked_entry.before.as_ref().unwrap()["revokedAt"],
        serde_json::Value::Null
    );
    assert_eq!(revoked_entry.after.as_ref().unwrap()["prefix"], "rk_abcd");
    let text = format!("{entries:?}");
    assert!(
        !text.contains("7, 7, 7") && !text.contains("0707"),
        "{text}"
    );
}

#[test]
fn sqlite_message_ids_survive_reopening() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/rapport.db", folder.path().display());
    let calls = vec![
        call("g", "u1", "2026-03-01T09:00:00Z", group("acme", None)),
        call("l", "u1", "2026-03-01T09:01:00Z", login("u1")),
    ];
    {
        let store = rapport_store::open(&url).unwrap();
        record(store.as_ref(), calls.clone());
    }
    let store = rapport_store::open(&url).unwrap();
    assert_eq!(
        record(store.as_ref(), calls),
        [TrackedOutcome::Duplicate, TrackedOutcome::Duplicate]
    );
    assert_eq!(store.counts().unwrap().activities, 1);
}

pub fn written_activities_are_what_the_store_reads_back(store: &dyn Store) {
    // Held activities released by a group call and new ones, in one call list.
    let mut hinted = call("w2", "u2", "2026-03-01T09:05:00Z", login("u2"));
    hinted.account_hint = Some(external("acme"));
    let before = store.cursor().unwrap();
    let batch = TrackedBatch {
        key_id: 1,
        received_at: at("2026-03-01T12:00:00Z"),
        calls: vec![
            call("w1", "u1", "2026-03-01T09:00:00Z", login("u1")),
            hinted,
            call("w3", "u1", "2026-03-01T09:10:00Z", group("acme", None)),
            call("w4", "u1", "2026-03-01T09:20:00Z", login("u1")),
        ],
    };
    let write = store.record_tracked(&[batch]).unwrap();
    assert_eq!(write.activities.len(), 3);
    let (first, last) = (write.activities[0].0, write.activities[2].0);
    assert_eq!(
        last - first,
        2,
        "one transaction's activities are consecutive"
    );
    let mut read = Vec::new();
    store
        .activities_in(first, last, &mut |seq, activity| read.push((seq, activity)))
        .unwrap();
    assert_eq!(write.activities, read);
    let logged: Vec<_> = store
        .changes_since(before, 100)
        .unwrap()
        .into_iter()
        .filter_map(|change| change.activities)
        .collect();
    assert_eq!(logged, [(first, last)]);
}

pub fn message_ids_are_forgotten_after_the_window(store: &dyn Store) {
    use TrackedOutcome::*;
    let batch = |received: &str, ids: &[&str]| TrackedBatch {
        key_id: 1,
        received_at: at(received),
        calls: ids
            .iter()
            .map(|id| call(id, "u1", "2026-03-01T09:00:00Z", login("u1")))
            .collect(),
    };
    record(
        store,
        vec![call("g", "u1", "2026-03-01T08:00:00Z", group("acme", None))],
    );
    store
        .record_tracked(&[batch("2026-03-01T12:00:00Z", &["old-1", "old-2"])])
        .unwrap();
    store
        .record_tracked(&[batch("2026-03-05T12:00:00Z", &["young"])])
        .unwrap();
    // `g` (received 2026-03-01T12:00) and the two old ids go; `young` stays.
    assert_eq!(
        store
            .prune_tracked_messages(at("2026-03-03T00:00:00Z"))
            .unwrap(),
        3
    );
    assert_eq!(
        store
            .prune_tracked_messages(at("2026-03-03T00:00:00Z"))
            .unwrap(),
        0
    );
    let again = store
        .record_tracked(&[batch("2026-03-06T12:00:00Z", &["old-1", "young"])])
        .unwrap();
    assert_eq!(again.outcomes, [vec![Recorded, Duplicate]]);
}

#[test]
fn sqlite_another_store_on_the_file_sees_the_message_ids() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/rapport.db", folder.path().display());
    let first = rapport_store::open(&url).unwrap();
    let second = rapport_store::open(&url).unwrap();
    // Both have read the log before the other writes to it.
    record(
        first.as_ref(),
        vec![call("g", "u1", "2026-03-01T09:00:00Z", group("acme", None))],
    );
    record(
        second.as_ref(),
        vec![call("l1", "u1", "2026-03-01T09:01:00Z", login("u1"))],
    );
    assert_eq!(
        record(
            first.as_ref(),
            vec![
                call("l1", "u1", "2026-03-01T09:01:00Z", login("u1")),
                call("l2", "u1", "2026-03-01T09:02:00Z", login("u1")),
            ]
        ),
        [TrackedOutcome::Duplicate, TrackedOutcome::Recorded]
    );
    assert_eq!(
        record(
            second.as_ref(),
            vec![call("l2", "u1", "2026-03-01T09:02:00Z", login("u1"))]
        ),
        [TrackedOutcome::Duplicate]
    );
    assert_eq!(second.counts().unwrap().activities, 2);
}
