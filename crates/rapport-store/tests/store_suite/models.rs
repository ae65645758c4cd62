//! The store suite's checks of model versions: numbered per model name in
//! saving order, listed oldest first, audited with the version before and
//! after in the same transaction, and logged as a `models` change.

use rapport_core::Timestamp;
use rapport_store::audit::{AuditAction, AuditFilter};
use rapport_store::models::NewModelVersion;
use rapport_store::{ChangeKind, Store};

use super::audit::draft;

fn version(name: &str, toml: &str, seconds: i64) -> NewModelVersion {
    NewModelVersion {
        name: name.into(),
        toml: toml.into(),
        note: Some(format!("note {seconds}")),
        saved_at: Timestamp::from_millis(1_772_323_200_000 + seconds * 1000),
        saved_by: "Dana Whitfield".into(),
    }
}

pub(super) fn model_versions_are_numbered_listed_audited_and_logged(store: &dyn Store) {
    let cursor = store.cursor().unwrap();
    let first = store
        .save_model_version(
            &version("prd070-engagement", "a = 1", 1),
            &draft(AuditAction::ModelSettingsChange),
        )
        .unwrap();
    let other = store
        .save_model_version(
            &version("health", "h = 1", 2),
            &draft(AuditAction::ModelSettingsChange),
        )
        .unwrap();
    let second = store
        .save_model_version(
            &version("prd070-engagement", "a = 2", 3),
            &draft(AuditAction::ModelSettingsChange),
        )
        .unwrap();
    assert_eq!((first.version, other.version, second.version), (1, 1, 2));
    assert!(first.id < other.id && other.id < second.id);
    let listed = store.model_versions(Some("prd070-engagement")).unwrap();
    assert_eq!(listed, [first.clone(), second.clone()]);
    assert_eq!(store.model_versions(None).unwrap().len(), 3);
    assert!(store.model_versions(Some("nothing")).unwrap().is_empty());
    // Each saving is a `models` change.
    let changes = store.changes_since(cursor, 100).unwrap();
    assert_eq!(
        changes
            .iter()
            .filter(|change| change.kind == ChangeKind::Models)
            .count(),
        3
    );
    // And an audit entry: the version before (none for the first) and after.
    let entries = store
        .audit_entries(&AuditFilter {
            action: Some("model_settings.change".into()),
            limit: 10,
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(entries.len(), 3);
    let newest = &entries[0];
    assert_eq!(newest.subject_id, second.id.to_string());
    assert_eq!(newest.after.as_ref().unwrap()["toml"], "a = 2");
    assert_eq!(newest.before.as_ref().unwrap()["toml"], "a = 1");
    assert!(entries[2].before.is_none());
}

pub(super) fn alert_watches_are_set_changed_listed_removed_and_audited(store: &dyn Store) {
    use rapport_core::engagement::breakdown::AlertPriority;
    use rapport_core::{ExternalId, access::Role};
    store
        .upsert_accounts(&[
            super::account("acme", 1000.0),
            super::account("beta", 2000.0),
        ])
        .unwrap();
    let at = Timestamp::from_millis(1_772_323_200_000);
    let user = store
        .create_user(
            "Wanda Watcher",
            None,
            Role::Leader,
            at,
            &draft(AuditAction::UserCreate),
        )
        .unwrap()
        .unwrap();
    let acme = ExternalId::parse("acme").unwrap();
    let beta = ExternalId::parse("beta").unwrap();
    let watch = |account: &ExternalId, priority: Option<AlertPriority>, action| {
        store
            .set_alert_watch(user.id, account, priority, at, &draft(action))
            .unwrap()
    };
    assert_eq!(
        watch(&acme, Some(AlertPriority::High), AuditAction::AlertWatch),
        None
    );
    assert_eq!(
        watch(&beta, Some(AlertPriority::Medium), AuditAction::AlertWatch),
        None
    );
    assert_eq!(
        watch(
            &acme,
            Some(AlertPriority::Critical),
            AuditAction::AlertWatch
        ),
        Some(AlertPriority::High)
    );
    assert_eq!(
        store.alert_watches(user.id).unwrap(),
        [
            (acme.clone(), AlertPriority::Critical),
            (beta.clone(), AlertPriority::Medium)
        ]
    );
    assert_eq!(
        watch(&beta, None, AuditAction::AlertUnwatch),
        Some(AlertPriority::Medium)
    );
    // Removing a watch that is not there writes nothing, audits nothing.
    assert_eq!(watch(&beta, None, AuditAction::AlertUnwatch), None);
    assert_eq!(store.alert_watches(user.id).unwrap().len(), 1);
    let entries = store
        .audit_entries(&AuditFilter {
            action: Some("alert_watch".into()),
            limit: 10,
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[0].action, "alert_watch.remove");
    assert_eq!(entries[1].before.as_ref().unwrap()["minPriority"], "high");
    assert_eq!(
        entries[1].after.as_ref().unwrap()["minPriority"],
        "critical"
    );
    // An unknown account is refused, not watched.
    assert!(
        store
            .set_alert_watch(
                user.id,
                &ExternalId::parse("nobody").unwrap(),
                Some(AlertPriority::High),
                at,
                &draft(AuditAction::AlertWatch)
            )
            .is_err()
    );
}
