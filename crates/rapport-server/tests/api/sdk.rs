//! The official tracking libraries, unmodified, pointed at Rapport: Segment's
//! Python (`segment-analytics-python`) and Node (`@segment/analytics-node`)
//! libraries and RudderStack's Python SDK (`rudder-sdk-python`, which gzips
//! its bodies) each send identify, group and track to a server on a loopback
//! port, flush, and what they sent is visible through the API. The libraries
//! come from their registries through `scripts/sdk-setup` (run by
//! `scripts/test`); a test fails, never skips, when they are missing.

use std::path::PathBuf;
use std::process::Command;

use rapport_core::scoring::model::Model;
use rapport_core::{ExternalId, Timestamp};

use super::support::{Served, get, serve_portfolio};

fn sdk_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/sdk")
}

fn python() -> PathBuf {
    let python = sdk_dir().join("venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run scripts/sdk-setup (scripts/test does)",
        python.display()
    );
    python
}

fn node_modules() -> PathBuf {
    let modules = sdk_dir().join("node/node_modules");
    assert!(
        modules
            .join("@segment/analytics-node/package.json")
            .is_file(),
        "@segment/analytics-node is missing under {}: run scripts/sdk-setup (scripts/test does)",
        modules.display()
    );
    modules
}

/// Runs `program script` with the server's address, a write key and the
/// ids to send as environment variables; fails on a non-zero exit.
fn run(
    program: &PathBuf,
    extension: &str,
    script: &str,
    served: &Served,
    key: &str,
    user: &str,
    group: &str,
) {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join(format!("client.{extension}"));
    std::fs::write(&path, script).unwrap();
    let mut command = Command::new(program);
    command
        .arg(&path)
        .env("RAPPORT_HOST", &served.base)
        .env("RAPPORT_KEY", key)
        .env("RAPPORT_USER", user)
        .env("RAPPORT_GROUP", group);
    if extension == "js" {
        command.env("NODE_PATH", node_modules());
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{} {}: {}\n{}\n{}",
        program.display(),
        path.display(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// What every SDK sent is visible: the account its group call made, the
/// contact its identify call made, the login and feature use it tracked.
async fn assert_visible(served: &Served, group: &str, email: &str, name: &str) {
    let (status, account) = get(served, &format!("/api/accounts/{group}")).await;
    assert_eq!(status, 200, "{account}");
    assert_eq!(account["name"], name, "{account}");
    assert_eq!(account["tier"], "growth", "{account}");
    let contacts = account["contacts"].as_array().unwrap();
    assert!(
        contacts
            .iter()
            .any(|contact| contact["email"] == email && contact["role"] == "champion"),
        "{account}"
    );
    let activities = served
        .app
        .store()
        .account_activities(&ExternalId::parse(group).unwrap())
        .unwrap();
    let kinds: Vec<&str> = activities
        .iter()
        .map(|activity| activity.detail.kind().as_str())
        .collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert!(
        kinds.contains(&"login") && kinds.contains(&"feature_used"),
        "{kinds:?}"
    );
    let (status, engagement) = get(served, &format!("/api/intelligence/engagement/{group}")).await;
    assert_eq!(status, 200, "{engagement}");
}

async fn served_with_key() -> (Served, String) {
    let served = serve_portfolio(2, 30, Model::prd070()).await;
    let now = Timestamp::from_millis(chrono::Utc::now().timestamp_millis());
    let key = served
        .app
        .create_write_key(&rapport_core::access::Person::operator(), "sdk tests", now)
        .unwrap()
        .key;
    (served, key)
}

const SEGMENT_PYTHON: &str = r#"
import os, sys
import segment.analytics as analytics

failures = []
analytics.write_key = os.environ["RAPPORT_KEY"]
analytics.host = os.environ["RAPPORT_HOST"]
analytics.max_retries = 2
analytics.on_error = lambda error, items: failures.append(repr(error))
user, group = os.environ["RAPPORT_USER"], os.environ["RAPPORT_GROUP"]
analytics.identify(user, {"email": user + "@python.test", "name": "Py Thon", "role": "champion"})
analytics.group(user, group, {"name": "Segment Python Co", "tier": "growth"})
analytics.track(user, "Signed In")
analytics.track(user, "Feature Used", {"feature": "reports"})
analytics.flush()
analytics.shutdown()
if failures:
    print("\n".join(failures))
    sys.exit(3)
"#;

const RUDDER_PYTHON: &str = r#"
import os, sys
import rudderstack.analytics as rudder_analytics

failures = []
rudder_analytics.write_key = os.environ["RAPPORT_KEY"]
rudder_analytics.dataPlaneUrl = os.environ["RAPPORT_HOST"]
rudder_analytics.on_error = lambda error, items: failures.append(repr(error))
user, group = os.environ["RAPPORT_USER"], os.environ["RAPPORT_GROUP"]
rudder_analytics.identify(user, {"email": user + "@rudder.test", "name": "Rudder Stack", "role": "champion"})
rudder_analytics.group(user, group, {"name": "RudderStack Python Co", "tier": "growth"})
rudder_analytics.track(user, "Signed In")
rudder_analytics.track(user, "Feature Used", {"feature": "reports"})
rudder_analytics.flush()
rudder_analytics.shutdown()
if failures:
    print("\n".join(failures))
    sys.exit(3)
"#;

const SEGMENT_NODE: &str = r#"
const { Analytics } = require('@segment/analytics-node')
const failures = []
const analytics = new Analytics({
  writeKey: process.env.RAPPORT_KEY,
  host: process.env.RAPPORT_HOST,
  maxRetries: 2,
})
analytics.on('error', (error) => failures.push(String(error && (error.reason || error.message || error.code))))
analytics.on('http_request_done', ({ response }) => {
  if (response.status !== 200) failures.push('HTTP ' + response.status)
})
const user = process.env.RAPPORT_USER
const group = process.env.RAPPORT_GROUP
analytics.identify({ userId: user, traits: { email: user + '@node.test', name: 'No De', role: 'champion' } })
analytics.group({ userId: user, groupId: group, traits: { name: 'Segment Node Co', tier: 'growth' } })
analytics.track({ userId: user, event: 'Signed In' })
analytics.track({ userId: user, event: 'Feature Used', properties: { feature: 'reports' } })
analytics.closeAndFlush({ timeout: 10000 }).then(() => {
  if (failures.length) { console.log(failures.join('\n')); process.exit(3) }
})
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segment_python_library() {
    let (served, key) = served_with_key().await;
    let python = python();
    let served = tokio::task::spawn_blocking(move || {
        run(
            &python,
            "py",
            SEGMENT_PYTHON,
            &served,
            &key,
            "py-user",
            "py-group",
        );
        served
    })
    .await
    .unwrap();
    assert_visible(
        &served,
        "py-group",
        "py-user@python.test",
        "Segment Python Co",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rudderstack_python_sdk_with_gzip_bodies() {
    let (served, key) = served_with_key().await;
    let python = python();
    let served = tokio::task::spawn_blocking(move || {
        run(
            &python,
            "py",
            RUDDER_PYTHON,
            &served,
            &key,
            "rs-user",
            "rs-group",
        );
        served
    })
    .await
    .unwrap();
    assert_visible(
        &served,
        "rs-group",
        "rs-user@rudder.test",
        "RudderStack Python Co",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segment_node_library() {
    let (served, key) = served_with_key().await;
    node_modules();
    let node = PathBuf::from("node");
    let served = tokio::task::spawn_blocking(move || {
        run(
            &node,
            "js",
            SEGMENT_NODE,
            &served,
            &key,
            "js-user",
            "js-group",
        );
        served
    })
    .await
    .unwrap();
    assert_visible(&served, "js-group", "js-user@node.test", "Segment Node Co").await;
}
