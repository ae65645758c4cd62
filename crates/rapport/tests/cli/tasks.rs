//! `rapport tasks list|add|complete|dismiss` from a terminal: changes made
//! `--as` a user and audited under them, the Markdown table with data
//! escaped, refusals naming the argument or flag.

use super::{add_user, imported_portfolio, rapport, text};

#[test]
fn tasks_from_a_terminal() {
    let work = tempfile::tempdir().unwrap();
    let db = imported_portfolio(work.path(), "5", "30");
    add_user(&db, "dana", "leader");
    add_user(&db, "vic", "viewer");

    let added = rapport(
        &db,
        &[
            "--as",
            "dana",
            "tasks",
            "add",
            "Acme Corp",
            "Call <b>them</b> | soon",
            "--detail",
            "about *the* renewal",
            "--format",
            "json",
        ],
    );
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    let task: serde_json::Value = serde_json::from_slice(&added.stdout).unwrap();
    assert_eq!(task["accountName"], "Acme Corp");
    assert_eq!(task["source"]["kind"], "person");
    assert_eq!(task["createdBy"], "dana");
    assert_eq!(task["owner"], task["csm"], "the account's CSM by default");
    let second = rapport(
        &db,
        &[
            "--as",
            "dana",
            "tasks",
            "add",
            "Acme Corp",
            "Send the deck",
            "--owner",
            "dana",
            "--format",
            "json",
        ],
    );
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    let second: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();

    let listed = rapport(&db, &["tasks", "list"]);
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));
    let table = text(&listed.stdout);
    assert!(
        table.contains(r"Call \<b\>them\</b\> \| soon — about \*the\* renewal"),
        "{table}"
    );
    let json = rapport(
        &db,
        &["tasks", "list", "--owner", "DANA", "--format", "json"],
    );
    let mine: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["id"], second["id"]);

    for (args, named) in [
        (vec!["tasks", "add", "Acme Corp", " "], "TITLE"),
        (
            vec!["tasks", "add", "Acme Corp", "t", "--due", "soon"],
            "--due",
        ),
        (
            vec!["tasks", "add", "Acme Corp", "t", "--due", "1990-01-01"],
            "--due",
        ),
        (
            vec!["tasks", "add", "Acme Corp", "t", "--owner", "nobody"],
            "--owner",
        ),
        (vec!["tasks", "list", "--status", "later"], "--status"),
        (
            vec!["tasks", "list", "--due-before", "soon"],
            "--due-before",
        ),
    ] {
        let mut all = vec!["--as", "dana"];
        all.extend(args.iter().copied());
        let refused = rapport(&db, &all);
        assert_ne!(refused.status.code(), Some(0), "{args:?}");
        assert!(
            text(&refused.stderr).contains(named),
            "{args:?}: {}",
            text(&refused.stderr)
        );
    }
    let viewer = rapport(&db, &["--as", "vic", "tasks", "add", "Acme Corp", "t"]);
    assert_ne!(viewer.status.code(), Some(0));
    let nobody = rapport(&db, &["tasks", "add", "Acme Corp", "t"]);
    assert!(
        text(&nobody.stderr).contains("--as"),
        "{}",
        text(&nobody.stderr)
    );

    let id = task["id"].to_string();
    let completed = rapport(&db, &["--as", "dana", "tasks", "complete", &id]);
    assert_eq!(
        completed.status.code(),
        Some(0),
        "{}",
        text(&completed.stderr)
    );
    assert!(
        text(&completed.stdout).contains("completed by dana"),
        "{}",
        text(&completed.stdout)
    );
    let again = rapport(&db, &["--as", "dana", "tasks", "complete", &id]);
    assert_ne!(again.status.code(), Some(0));
    let other = second["id"].to_string();
    let dismissed = rapport(
        &db,
        &[
            "--as",
            "dana",
            "tasks",
            "dismiss",
            &other,
            "--reason",
            "done by phone",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        dismissed.status.code(),
        Some(0),
        "{}",
        text(&dismissed.stderr)
    );
    let dismissed: serde_json::Value = serde_json::from_slice(&dismissed.stdout).unwrap();
    assert_eq!(dismissed["state"]["reason"], "done by phone");
    let open = rapport(&db, &["tasks", "list"]);
    assert!(
        text(&open.stdout).contains("No task matches."),
        "{}",
        text(&open.stdout)
    );

    let audit = rapport(&db, &["audit", "--action", "task", "--format", "json"]);
    let page: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    let mut actions: Vec<(String, String)> = page["entries"]
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
    actions.sort();
    assert_eq!(
        actions,
        [
            ("task.complete".to_string(), "dana".to_string()),
            ("task.create".to_string(), "dana".to_string()),
            ("task.create".to_string(), "dana".to_string()),
            ("task.dismiss".to_string(), "dana".to_string()),
        ]
    );
}
