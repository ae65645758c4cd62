//! `kill -9` of a server while Segment's Python library sends to it without
//! pause: after a restart on the same address the library's retries land,
//! and the store holds every event it sent exactly once. An event
//! acknowledged before the kill was durably stored (synchronous = FULL); an
//! event whose acknowledgement the kill cut off is sent again and recognised
//! by its `messageId`, so it is not counted twice.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rapport_core::ExternalId;

use super::{Running, rapport, serving_address, text};

const EVENTS: usize = 3_000;

/// Sends EVENTS track calls with ids `crash-0…`, 100 at a time with a pause,
/// printing how many it has handed to the library; exits 3 when the library
/// gave up on any batch.
const SENDER: &str = r#"
import os, sys, time
import segment.analytics as analytics

failures = []
analytics.write_key = os.environ["RAPPORT_KEY"]
analytics.host = os.environ["RAPPORT_HOST"]
analytics.max_retries = 12
analytics.on_error = lambda error, items: failures.append(repr(error))
events = int(os.environ["RAPPORT_EVENTS"])
analytics.group("crash-user", "crash-co", {"name": "Crash Test Co"})
for i in range(events):
    analytics.track("crash-user", "Feature Used" if i % 2 else "Signed In",
                    {"feature": "reports"}, context={"groupId": "crash-co"},
                    message_id="crash-%d" % i)
    if i % 100 == 99:
        print("handed", i + 1, flush=True)
        time.sleep(0.05)
analytics.flush()
analytics.shutdown()
if failures:
    print("\n".join(failures), flush=True)
    sys.exit(3)
print("flushed", flush=True)
"#;

fn python() -> PathBuf {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/sdk/venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run scripts/sdk-setup (scripts/test does)",
        python.display()
    );
    python
}

fn serve_on(db: &std::path::Path, address: &str) -> Running {
    Running(
        Command::new(env!("CARGO_BIN_EXE_rapport"))
            .arg("--db")
            .arg(format!("sqlite://{}", db.display()))
            .args(["serve", "--addr", address])
            .env_remove("RAPPORT_DATABASE_URL")
            .env("RAPPORT_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

#[test]
fn kill_9_during_sdk_ingestion_loses_no_acknowledged_event_and_doubles_none() {
    let work = tempfile::tempdir().unwrap();
    let db = work.path().join("rapport.db");
    let created = rapport(&db, &["keys", "create", "crash test", "--format", "json"]);
    assert!(created.status.success(), "{}", text(&created.stderr));
    let key: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    let key = key["key"].as_str().unwrap().to_string();

    let mut server = serve_on(&db, "127.0.0.1:0");
    let address = serving_address(&mut server);
    let script = work.path().join("sender.py");
    std::fs::write(&script, SENDER).unwrap();
    let mut sender = Running(
        Command::new(python())
            .arg(&script)
            .env("RAPPORT_HOST", format!("http://{address}"))
            .env("RAPPORT_KEY", &key)
            .env("RAPPORT_EVENTS", EVENTS.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(sender.0.stdout.take().unwrap()).lines();

    // Kill the server a third of the way in, while the library is sending.
    let mut handed = 0;
    while handed < EVENTS / 3 {
        let line = lines.next().expect("the sender exited early").unwrap();
        if let Some(count) = line.strip_prefix("handed ") {
            handed = count.parse().unwrap();
        }
    }
    let stored_before_kill = stored(&db).len();
    server.0.kill().unwrap(); // SIGKILL: no shutdown, no checkpoint
    server.0.wait().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let mut restarted = serve_on(&db, &address);
    assert_eq!(serving_address(&mut restarted), address);

    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = sender.0.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(sender.0.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(
        status.success() && rest.last().map(String::as_str) == Some("flushed"),
        "the library gave up: {status}\n{}\n{stderr}",
        rest.join("\n")
    );
    assert!(
        stored_before_kill < EVENTS,
        "the server was killed after everything was stored ({stored_before_kill})"
    );

    // Every event once: ids crash-0 … crash-(EVENTS-1), no other, none twice.
    let deadline = Instant::now() + Duration::from_secs(5);
    let ids = loop {
        let ids = stored(&db);
        if ids.len() >= EVENTS || Instant::now() > deadline {
            break ids;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let doubled: Vec<_> = ids.iter().filter(|(_, count)| **count > 1).collect();
    assert!(doubled.is_empty(), "stored twice: {doubled:?}");
    let missing: Vec<usize> = (0..EVENTS)
        .filter(|index| !ids.contains_key(&format!("segment:crash-{index}")))
        .collect();
    assert!(
        missing.is_empty(),
        "{} events lost, the first {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    assert_eq!(ids.len(), EVENTS, "other activities: {ids:?}");

    // The restarted server serves them.
    let (status, body) = super::http_get(&address, "/api/accounts/crash-co");
    assert_eq!(status, 200, "{body}");
}

/// The stored activities of crash-co by source id, with how often each is stored.
fn stored(db: &std::path::Path) -> BTreeMap<String, usize> {
    let store = rapport_store::open(&format!("sqlite://{}", db.display())).unwrap();
    let mut ids = BTreeMap::new();
    let Ok(activities) = store.account_activities(&ExternalId::parse("crash-co").unwrap()) else {
        return ids;
    };
    for activity in activities {
        *ids.entry(activity.source_id.unwrap_or_default())
            .or_insert(0) += 1;
    }
    ids
}
