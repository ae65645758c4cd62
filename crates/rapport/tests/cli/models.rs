//! `rapport models` and `rapport alerts watch|watches` from a terminal: the
//! JSON is the API's body, a version saved by the CLI is the running
//! server's within a second, a bad edit names its key and changes nothing.

use std::time::Duration;

use super::{
    api_json, assert_cli_is_api, cli_json, http_send, imported_portfolio, poll, rapport, serve,
    text,
};

#[test]
fn models_and_watches_from_a_terminal_are_the_apis() {
    let work = tempfile::tempdir().unwrap();
    let db = imported_portfolio(work.path(), "6", "30");
    let (_server, address) = serve(&db);

    // A bad edit: refused naming its key, nothing saved.
    let edit = work.path().join("bad.json");
    std::fs::write(&edit, r#"{"bands": {"great": 10}}"#).unwrap();
    let refused = rapport(
        &db,
        &[
            "--as",
            "admin",
            "models",
            "save",
            "engagement",
            "--edit",
            edit.to_str().unwrap(),
        ],
    );
    assert_ne!(refused.status.code(), Some(0));
    assert!(
        text(&refused.stderr).contains("bands.great"),
        "{}",
        text(&refused.stderr)
    );

    // A good one, saved from the terminal, is the server's within a second.
    let edit = work.path().join("edit.json");
    std::fs::write(
        &edit,
        r#"{"bands": {"highly_engaged": 85}, "note": "from the terminal"}"#,
    )
    .unwrap();
    let preview = cli_json(
        &db,
        &[
            "models",
            "preview",
            "engagement",
            "--edit",
            edit.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert!(preview["accounts"].as_u64().unwrap() > 0, "{preview}");
    let saved = cli_json(
        &db,
        &[
            "--as",
            "admin",
            "models",
            "save",
            "engagement",
            "--edit",
            edit.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(saved["version"], 1, "{saved}");
    poll(
        "the server using the saved version",
        Duration::from_secs(5),
        || {
            let models = api_json(&address, "/api/models");
            (models[0]["version"] == 1).then_some(())
        },
    );
    assert_cli_is_api(
        &db,
        &address,
        &["models", "list", "--format", "json"],
        "/api/models",
    );

    // A watch made on the API is the terminal's, and the other way round.
    let accounts = api_json(&address, "/api/accounts");
    let first = accounts[0]["id"].as_str().unwrap().to_string();
    let (status, body) = http_send(
        &address,
        "PUT",
        &format!("/api/accounts/{first}/watch"),
        Some(r#"{"minPriority": "critical"}"#),
    );
    assert_eq!(status, 200, "{body}");
    let second = accounts[1]["externalId"].as_str().unwrap().to_string();
    let watched = rapport(
        &db,
        &[
            "--as",
            "admin",
            "alerts",
            "watch",
            &second,
            "--min-priority",
            "high",
        ],
    );
    assert_eq!(watched.status.code(), Some(0), "{}", text(&watched.stderr));
    assert_cli_is_api(
        &db,
        &address,
        &["--as", "admin", "alerts", "watches", "--format", "json"],
        "/api/me/watches",
    );
    let watches = api_json(&address, "/api/me/watches");
    assert_eq!(watches.as_array().unwrap().len(), 2, "{watches}");
    let refused = rapport(
        &db,
        &[
            "--as",
            "admin",
            "alerts",
            "watch",
            &second,
            "--min-priority",
            "urgent",
        ],
    );
    assert_ne!(refused.status.code(), Some(0));
    assert!(
        text(&refused.stderr).contains("--min-priority"),
        "{}",
        text(&refused.stderr)
    );
}
