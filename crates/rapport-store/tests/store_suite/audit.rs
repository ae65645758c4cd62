//! The store suite's checks of the audit log and of share links: every
//! audited write appends exactly one entry, in its own transaction, with the
//! record before and after and never a secret; a write declined or refused
//! appends none; entries filter and page newest first; share links keep only
//! their token's hash and open until they expire or are revoked.

use rapport_core::access::{Person, Role};
use rapport_core::{ExternalId, Timestamp};
use rapport_store::audit::{AuditAction, AuditDraft, AuditEntry, AuditFilter};
use rapport_store::identity::{NewToken, UserChange};
use rapport_store::sharing::NewShareLink;
use rapport_store::{GoalWrite, Store, StoreError};
use serde_json::json;

use super::{account, stored_alert};

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_millis(1_772_323_200_000 + seconds * 1000)
}

fn dana() -> Person {
    Person {
        id: 7,
        name: "Dana Whitfield".into(),
        role: Role::Admin,
    }
}

/// A draft by Dana at second 0.
pub(super) fn draft(action: AuditAction) -> AuditDraft {
    AuditDraft::new(&dana(), action, at(0))
}

fn all(store: &dyn Store) -> Vec<AuditEntry> {
    store
        .audit_entries(&AuditFilter {
            limit: 1000,
            ..AuditFilter::default()
        })
        .unwrap()
}

fn goal() -> rapport_core::success::Goal {
    serde_json::from_value(json!({
        "title": "Reduce reporting time",
        "startDate": "2025-01-01",
        "targetDate": "2025-12-31",
        "metrics": [{"category": "adoption", "name": "Weekly reports", "target": 25,
                     "direction": "higher_is_better"}]
    }))
    .unwrap()
}

/// Every kind of audited write leaves one entry naming its actor, action,
/// subject and account, with the record before and after; none holds a
/// secret (the sealed webhook secret, a token's or a share link's hash).
pub(super) fn every_audited_write_appends_one_entry_with_before_and_after(store: &dyn Store) {
    store.upsert_accounts(&[account("a1", 1.0)]).unwrap();
    let a1 = ExternalId::parse("a1").unwrap();
    let written = std::cell::Cell::new(0);
    let last = |store: &dyn Store| -> AuditEntry {
        let entries = all(store);
        written.set(written.get() + 1);
        assert_eq!(entries.len(), written.get(), "one entry per write");
        entries.into_iter().next().unwrap()
    };

    // Goals: create, replace, delete.
    let created = store
        .edit_goals(&a1, &draft(AuditAction::GoalCreate), &mut |_| {
            Some(vec![GoalWrite::Put(goal())])
        })
        .unwrap()
        .unwrap()
        .remove(0);
    let entry = last(store);
    assert_eq!(
        (
            entry.actor_id,
            entry.actor_name.as_str(),
            entry.action.as_str(),
            entry.subject_kind.as_str(),
            entry.subject_id.as_str(),
            entry.account.as_ref(),
            entry.at
        ),
        (
            7,
            "Dana Whitfield",
            "goal.create",
            "goal",
            "goal-1",
            Some(&a1),
            at(0)
        )
    );
    assert_eq!(entry.before, None);
    assert_eq!(entry.after.as_ref().unwrap()["id"], "goal-1");
    let mut renamed = created.clone();
    renamed.title = "Halve reporting time".into();
    store
        .edit_goals(
            &a1,
            &draft(AuditAction::MetricEdit).subject("goal-1-m1"),
            &mut |_| Some(vec![GoalWrite::Put(renamed.clone())]),
        )
        .unwrap();
    let entry = last(store);
    assert_eq!(
        (
            entry.action.as_str(),
            entry.subject_kind.as_str(),
            entry.subject_id.as_str()
        ),
        ("metric.edit", "metric", "goal-1-m1")
    );
    assert_eq!(entry.before.unwrap()["title"], "Reduce reporting time");
    assert_eq!(entry.after.unwrap()["title"], "Halve reporting time");
    store
        .edit_goals(&a1, &draft(AuditAction::GoalDelete), &mut |_| {
            Some(vec![GoalWrite::Delete("goal-1".into())])
        })
        .unwrap();
    let entry = last(store);
    assert_eq!(entry.before.unwrap()["title"], "Halve reporting time");
    assert_eq!(entry.after, None);

    // An override: the model's previous event before, the new one after.
    let event = |value: Option<f64>| rapport_core::scoring::overrides::OverrideEvent {
        at: at(5),
        author: "Dana Whitfield".into(),
        action: rapport_core::scoring::overrides::OverrideAction::Set,
        model: "prd070".into(),
        old: None,
        new: value,
        reason: "escalation".into(),
        expires_at: None,
    };
    store
        .append_override_event(&a1, &draft(AuditAction::OverrideSet), &mut |_| {
            Some(event(Some(40.0)))
        })
        .unwrap();
    let entry = last(store);
    assert_eq!(entry.subject_id, "prd070");
    assert_eq!(
        (entry.before, entry.after.unwrap()["new"].clone()),
        (None, json!(40.0))
    );
    store
        .append_override_event(&a1, &draft(AuditAction::OverrideSet), &mut |_| {
            Some(event(Some(55.0)))
        })
        .unwrap();
    let entry = last(store);
    assert_eq!(entry.before.unwrap()["new"], json!(40.0));

    // An alert action.
    let alert = store
        .write_alerts(&[stored_alert("a1", "engagement.score_drop", at(0))])
        .unwrap()
        .remove(0);
    assert_eq!(
        all(store).len(),
        written.get(),
        "an evaluation's write is not a person's"
    );
    store
        .update_alert(
            alert.id,
            &draft(AuditAction::AlertAcknowledge),
            &mut |stored| {
                let mut changed = stored.clone();
                changed.acknowledged_at = Some(at(9));
                changed.acknowledged_by = Some("Dana Whitfield".into());
                Some(changed)
            },
        )
        .unwrap();
    let entry = last(store);
    assert_eq!(entry.subject_id, alert.id.to_string());
    assert_eq!(entry.before.unwrap()["acknowledgedBy"], json!(null));
    assert_eq!(entry.after.unwrap()["acknowledgedBy"], "Dana Whitfield");

    // Webhooks: never the sealed secret.
    let subscription = rapport_core::alerts::delivery::Subscription {
        id: 0,
        url: "https://hooks.example/x".into(),
        person: None,
        rule: None,
        min_priority: None,
        sealed_secret: rapport_core::alerts::delivery::SealedSecret(b"SEALED-SECRET".to_vec()),
    };
    let hook = store
        .add_webhook(&subscription, &draft(AuditAction::WebhookAdd))
        .unwrap();
    let entry = last(store);
    assert_eq!(entry.after.unwrap()["url"], "https://hooks.example/x");
    assert!(
        store
            .remove_webhook(hook.id, at(3), &draft(AuditAction::WebhookRemove))
            .unwrap()
    );
    let entry = last(store);
    assert_eq!(entry.before.unwrap()["url"], "https://hooks.example/x");

    // A user and their role; a change that changes nothing is no entry.
    let user = store
        .create_user(
            "Marco",
            None,
            Role::Csm,
            at(1),
            &draft(AuditAction::UserCreate),
        )
        .unwrap()
        .unwrap();
    let entry = last(store);
    assert_eq!(entry.after.unwrap()["role"], "csm");
    let role = UserChange {
        role: Some(Role::Leader),
        ..UserChange::default()
    };
    store
        .update_user(user.id, &role, &draft(AuditAction::UserRole))
        .unwrap();
    let entry = last(store);
    assert_eq!(
        (
            entry.before.unwrap()["role"].clone(),
            entry.after.unwrap()["role"].clone()
        ),
        (json!("csm"), json!("leader"))
    );
    store
        .update_user(user.id, &role, &draft(AuditAction::UserRole))
        .unwrap();
    assert_eq!(
        all(store).len(),
        written.get(),
        "the same role again changes nothing"
    );
    let password = UserChange {
        password_hash: Some(Some("$argon2id$v=19$PASSWORD-HASH".into())),
        ..UserChange::default()
    };
    store
        .update_user(user.id, &password, &draft(AuditAction::UserPassword))
        .unwrap();
    let entry = last(store);
    assert_eq!(entry.after.unwrap()["hasPassword"], true);

    // A token, and its revocation (once).
    let token = store
        .create_api_token(
            &NewToken {
                user_id: user.id,
                name: "laptop",
                token_hash: &[0xAB; 32],
                prefix: "rpt_abcdefgh",
                at: at(2),
                expires_at: None,
                single_use: false,
            },
            &draft(AuditAction::TokenCreate),
        )
        .unwrap();
    let entry = last(store);
    assert_eq!(entry.after.unwrap()["prefix"], "rpt_abcdefgh");
    store
        .revoke_api_token(token.id, at(4), &draft(AuditAction::TokenRevoke))
        .unwrap();
    let entry = last(store);
    assert_eq!(entry.before.unwrap()["revokedAt"], json!(null));
    assert!(entry.after.unwrap()["revokedAt"].is_string());
    store
        .revoke_api_token(token.id, at(5), &draft(AuditAction::TokenRevoke))
        .unwrap();
    assert_eq!(
        all(store).len(),
        written.get(),
        "revoked before: nothing changed"
    );

    // A share link and its revocation.
    let link = store
        .create_share_link(
            &NewShareLink {
                token_hash: &[0xCD; 32],
                account: &a1,
                as_of: at(0),
                page: "<p>report</p>",
                expires_at: at(3600),
            },
            &draft(AuditAction::ShareLinkCreate),
        )
        .unwrap();
    let entry = last(store);
    assert_eq!(entry.account.as_ref(), Some(&a1));
    assert_eq!(entry.after.unwrap()["id"], link.id);
    store
        .revoke_share_link(link.id, at(9), &draft(AuditAction::ShareLinkRevoke))
        .unwrap();
    last(store);

    // A person's activity (a meeting's no-show).
    let no_show = super::activity(
        "a1",
        "2026-01-05T10:00:00Z",
        Some("noshow:m1@1"),
        json!({"type": "meeting", "status": "no_show", "initiated_by": "us",
               "attendees": [], "kind": "qbr", "duration_min": 30.0}),
    );
    store
        .record_person_activity(&no_show, &draft(AuditAction::MeetingNoShow).subject("m1"))
        .unwrap();
    let entry = last(store);
    assert_eq!(
        (entry.subject_id.as_str(), entry.account.as_ref()),
        ("m1", Some(&a1))
    );

    // No secret in any entry.
    let text = serde_json::to_string(
        &all(store)
            .iter()
            .map(|entry| json!([entry.before, entry.after]))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    for secret in [
        "SEALED-SECRET",
        "PASSWORD-HASH",
        "abababab",
        "cdcdcdcd",
        "hash",
    ] {
        assert!(
            !text.to_lowercase().contains(&secret.to_lowercase()),
            "{secret} in {text}"
        );
    }
    // Ids are in order of commit.
    let ids: Vec<i64> = all(store).iter().map(|entry| entry.id).collect();
    assert!(ids.windows(2).all(|pair| pair[0] > pair[1]), "{ids:?}");
}

/// A write that its closure declines, or the store refuses, appends nothing.
pub(super) fn a_declined_or_refused_write_leaves_no_entry(store: &dyn Store) {
    store.upsert_accounts(&[account("a1", 1.0)]).unwrap();
    let a1 = ExternalId::parse("a1").unwrap();
    store
        .edit_goals(&a1, &draft(AuditAction::GoalCreate), &mut |_| None)
        .unwrap();
    let ghost = ExternalId::parse("ghost").unwrap();
    assert!(matches!(
        store.edit_goals(&ghost, &draft(AuditAction::GoalCreate), &mut |_| {
            Some(vec![GoalWrite::Put(goal())])
        }),
        Err(StoreError::UnknownAccount(_))
    ));
    store
        .edit_goals(&a1, &draft(AuditAction::GoalDelete), &mut |_| {
            Some(vec![GoalWrite::Delete("goal-404".into())])
        })
        .unwrap();
    assert_eq!(
        store
            .update_alert(404, &draft(AuditAction::AlertResolve), &mut |alert| Some(
                alert.clone()
            ))
            .unwrap(),
        None
    );
    assert!(
        !store
            .remove_webhook(404, at(1), &draft(AuditAction::WebhookRemove))
            .unwrap()
    );
    assert!(
        store
            .update_user(404, &UserChange::default(), &draft(AuditAction::UserRole))
            .unwrap()
            .is_none()
    );
    store
        .create_user(
            "Marco",
            None,
            Role::Csm,
            at(1),
            &draft(AuditAction::UserCreate),
        )
        .unwrap();
    assert!(
        store
            .create_user(
                "marco",
                None,
                Role::Csm,
                at(1),
                &draft(AuditAction::UserCreate)
            )
            .unwrap()
            .is_none(),
        "the name is taken"
    );
    assert!(matches!(
        store.create_share_link(
            &NewShareLink {
                token_hash: &[1; 32],
                account: &ghost,
                as_of: at(0),
                page: "",
                expires_at: at(10),
            },
            &draft(AuditAction::ShareLinkCreate),
        ),
        Err(StoreError::UnknownAccount(_))
    ));
    assert!(
        store
            .revoke_share_link(404, at(1), &draft(AuditAction::ShareLinkRevoke))
            .unwrap()
            .is_none()
    );
    let actions: Vec<String> = all(store).into_iter().map(|entry| entry.action).collect();
    assert_eq!(actions, ["user.create"]);
}

/// Filters by account, actor, action or kind, and instants; newest first,
/// at most `limit`, the next page below the last id seen.
pub(super) fn entries_filter_newest_first_and_page_by_id(store: &dyn Store) {
    store
        .upsert_accounts(&[account("a1", 1.0), account("a2", 1.0)])
        .unwrap();
    let marco = Person {
        id: 9,
        name: "Marco".into(),
        role: Role::Csm,
    };
    for (seconds, who, account, action) in [
        (1, dana(), "a1", AuditAction::GoalCreate),
        (2, marco.clone(), "a2", AuditAction::GoalCreate),
        (3, dana(), "a2", AuditAction::GoalReplace),
        (4, marco.clone(), "a1", AuditAction::GoalCreate),
    ] {
        let draft = AuditDraft::new(&who, action, at(seconds));
        store
            .edit_goals(&ExternalId::parse(account).unwrap(), &draft, &mut |goals| {
                let mut goal = goals.first().cloned().unwrap_or_else(goal);
                if action == AuditAction::GoalCreate {
                    goal = super::audit::goal();
                }
                Some(vec![GoalWrite::Put(goal)])
            })
            .unwrap();
    }
    let select = |filter: AuditFilter| -> Vec<i64> {
        store
            .audit_entries(&AuditFilter {
                limit: filter.limit.clamp(1, 100),
                ..filter
            })
            .unwrap()
            .into_iter()
            .map(|entry| entry.at.millis() / 1000 - 1_772_323_200)
            .collect()
    };
    let every = AuditFilter {
        limit: 100,
        ..AuditFilter::default()
    };
    assert_eq!(select(every.clone()), [4, 3, 2, 1]);
    assert_eq!(
        select(AuditFilter {
            account: Some(ExternalId::parse("a1").unwrap()),
            ..every.clone()
        }),
        [4, 1]
    );
    assert_eq!(
        select(AuditFilter {
            actor_id: Some(9),
            ..every.clone()
        }),
        [4, 2]
    );
    assert_eq!(
        select(AuditFilter {
            action: Some("goal.replace".into()),
            ..every.clone()
        }),
        [3]
    );
    assert_eq!(
        select(AuditFilter {
            action: Some("goal".into()),
            ..every.clone()
        }),
        [4, 3, 2, 1]
    );
    assert_eq!(
        select(AuditFilter {
            action: Some("token".into()),
            ..every.clone()
        }),
        [0; 0]
    );
    assert_eq!(
        select(AuditFilter {
            since: Some(at(2)),
            until: Some(at(3)),
            ..every.clone()
        }),
        [3, 2]
    );
    let first_page = store
        .audit_entries(&AuditFilter {
            limit: 3,
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(first_page.len(), 3);
    let next = store
        .audit_entries(&AuditFilter {
            limit: 3,
            before_id: Some(first_page.last().unwrap().id),
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(next.len(), 1);
    assert!(next[0].id < first_page[2].id);
}

/// A share link is found by its token's hash only while it opens: not
/// after its expiry, not once revoked; each opening is counted.
pub(super) fn share_links_keep_the_hash_open_until_expiry_or_revocation(store: &dyn Store) {
    store
        .upsert_accounts(&[account("a1", 1.0), account("a2", 1.0)])
        .unwrap();
    let a1 = ExternalId::parse("a1").unwrap();
    let link = store
        .create_share_link(
            &NewShareLink {
                token_hash: &[5; 32],
                account: &a1,
                as_of: at(-60),
                page: "<h1>Value Report: A1</h1>",
                expires_at: at(100),
            },
            &draft(AuditAction::ShareLinkCreate),
        )
        .unwrap();
    assert_eq!(
        (
            link.account.as_str(),
            link.as_of,
            link.created_by_name.as_str(),
            link.created_at
        ),
        ("a1", at(-60), "Dana Whitfield", at(0))
    );
    assert_eq!(
        (link.open_count, link.last_opened_at, link.revoked_at),
        (0, None, None)
    );
    let (opened, page) = store.open_share_link(&[5; 32], at(10)).unwrap().unwrap();
    assert_eq!(page, "<h1>Value Report: A1</h1>");
    assert_eq!(
        (opened.open_count, opened.last_opened_at),
        (1, Some(at(10)))
    );
    assert!(store.open_share_link(&[6; 32], at(10)).unwrap().is_none());
    assert!(
        store.open_share_link(&[5; 32], at(100)).unwrap().is_none(),
        "expired"
    );
    assert_eq!(store.share_link(link.id).unwrap().unwrap().open_count, 1);
    assert_eq!(store.share_links(Some(&a1)).unwrap().len(), 1);
    assert!(
        store
            .share_links(Some(&ExternalId::parse("a2").unwrap()))
            .unwrap()
            .is_empty()
    );
    let revoked = store
        .revoke_share_link(link.id, at(20), &draft(AuditAction::ShareLinkRevoke))
        .unwrap()
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(at(20)));
    assert!(
        store.open_share_link(&[5; 32], at(30)).unwrap().is_none(),
        "revoked"
    );
    let again = store
        .revoke_share_link(link.id, at(40), &draft(AuditAction::ShareLinkRevoke))
        .unwrap()
        .unwrap();
    assert_eq!(again.revoked_at, Some(at(20)), "keeps its instant");
}
