//! `rapport share create|list|revoke` and `rapport audit` from a terminal:
//! the link printed once and never again, its creation and revocation in the
//! audit log under the `--as` user, the operator's own changes under the
//! command line, and refusals naming the flag.

use super::{add_user, imported_portfolio, rapport, text};

#[test]
fn share_links_and_the_audit_log_from_a_terminal() {
    let work = tempfile::tempdir().unwrap();
    let db = imported_portfolio(work.path(), "5", "30");
    add_user(&db, "dana", "leader");
    add_user(&db, "vic", "viewer");

    let created = rapport(
        &db,
        &[
            "--as",
            "dana",
            "share",
            "create",
            "Acme Corp",
            "--expires",
            "14d",
            "--as-of",
            "2026-05-15",
            "--base",
            "https://rapport.example",
        ],
    );
    assert_eq!(created.status.code(), Some(0), "{}", text(&created.stderr));
    let link = text(&created.stdout).trim().to_string();
    let token = link
        .strip_prefix("https://rapport.example/share/")
        .unwrap_or_else(|| panic!("{link}"));
    assert!(token.len() >= 64);

    let listed = rapport(&db, &["share", "list", "--format", "json"]);
    let links: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(links.as_array().unwrap().len(), 1);
    assert_eq!(links[0]["asOf"], "2026-05-15T00:00:00Z");
    assert_eq!(links[0]["createdBy"], "dana");
    assert!(!text(&listed.stdout).contains(token));

    // A viewer may not share; nor may anyone without --as; lives are checked.
    let viewer = rapport(&db, &["--as", "vic", "share", "create", "Acme Corp"]);
    assert_ne!(viewer.status.code(), Some(0));
    let nobody = rapport(&db, &["share", "create", "Acme Corp"]);
    assert!(
        text(&nobody.stderr).contains("--as"),
        "{}",
        text(&nobody.stderr)
    );
    let too_long = rapport(
        &db,
        &[
            "--as",
            "dana",
            "share",
            "create",
            "Acme Corp",
            "--expires",
            "91d",
        ],
    );
    assert!(
        text(&too_long.stderr).contains("--expires"),
        "{}",
        text(&too_long.stderr)
    );

    let id = links[0]["id"].to_string();
    let revoked = rapport(&db, &["--as", "dana", "share", "revoke", &id]);
    assert_eq!(revoked.status.code(), Some(0), "{}", text(&revoked.stderr));
    assert!(text(&revoked.stdout).contains("revoked"));

    // The log: the operator made the users, dana shared and revoked.
    let audit = rapport(&db, &["audit", "--format", "json"]);
    assert_eq!(audit.status.code(), Some(0), "{}", text(&audit.stderr));
    let page: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    let seen: Vec<(String, String)> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["action"].as_str().unwrap().to_string(),
                entry["actorName"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("share_link.revoke", "dana"),
        ("share_link.create", "dana"),
        ("user.create", "command line"),
        ("user.create", "command line"),
    ]
    .iter()
    .map(|(action, who)| (action.to_string(), who.to_string()))
    .collect();
    assert_eq!(seen, expected);
    assert!(!text(&audit.stdout).contains(token));

    let markdown = rapport(&db, &["audit", "--action", "share_link", "--limit", "1"]);
    let markdown = text(&markdown.stdout);
    assert!(
        markdown.contains("| share_link.revoke |") || markdown.contains("share\\_link.revoke"),
        "{markdown}"
    );
    assert!(markdown.contains("revokedAt"), "{markdown}");
    assert!(markdown.contains("--before"), "{markdown}");

    // Only an admin (or the operator) reads it; filters name their flag.
    let refused = rapport(&db, &["--as", "dana", "audit"]);
    assert_ne!(refused.status.code(), Some(0));
    let bad = rapport(&db, &["audit", "--limit", "0"]);
    assert!(
        text(&bad.stderr).contains("--limit"),
        "{}",
        text(&bad.stderr)
    );
}
