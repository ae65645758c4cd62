//! End-to-end tests of the `rapport` command: import, re-import, bad records,
//! exit statuses, generation, and the served demo; and the CLI beside a
//! running `rapport serve` on the same database: every report's JSON is the
//! API's body, a CLI import is served within a second, concurrent writers
//! from both never fail and the override trail chains.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

#[path = "cli/audit.rs"]
mod audit;
#[path = "cli/crash.rs"]
mod crash;
#[path = "cli/models.rs"]
mod models;
#[path = "cli/tasks.rs"]
mod tasks;

fn rapport(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rapport"))
        .arg("--db")
        .arg(format!("sqlite://{}", db.display()))
        .args(args)
        .env_remove("RAPPORT_DATABASE_URL")
        .env("RAPPORT_LOG", "warn")
        .output()
        .expect("the rapport binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn generate(dir: &Path, accounts: &str, days: &str) {
    let output = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args([
            "generate",
            "--accounts",
            accounts,
            "--days",
            days,
            "--seed",
            "7",
            "--end",
            "2026-06-01",
            "--out",
        ])
        .arg(dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
}

fn count_lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .count()
}

/// Distinct (account, goal) pairs of a generated goals.csv (whose cells hold no
/// commas or quotes).
fn count_goals(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let mut goals: Vec<(&str, &str)> = text
        .lines()
        .skip(1)
        .filter_map(|line| {
            assert!(!line.contains('"'), "a quoted cell: {line}");
            let mut cells = line.split(',');
            Some((cells.next()?, cells.next()?))
        })
        .collect();
    goals.sort_unstable();
    goals.dedup();
    goals.len()
}

#[test]
fn generated_portfolio_imports_completely_and_reimport_changes_nothing() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let db = work.path().join("rapport.db");
    generate(&data, "25", "45");
    let activities = count_lines(&data.join("activities.jsonl"));
    let accounts = count_lines(&data.join("accounts.csv")) - 1;
    let contacts = count_lines(&data.join("contacts.csv")) - 1;
    let features = count_lines(&data.join("features.csv")) - 1;
    let outcomes = count_lines(&data.join("outcomes.csv")) - 1;
    let goals = count_goals(&data.join("goals.csv"));
    assert!(goals > 0, "the demo has goals");
    let total = activities + accounts + contacts + features + outcomes + goals;

    let first = rapport(&db, &["import", data.to_str().unwrap()]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert_eq!(
        text(&first.stdout).trim(),
        format!("imported {total}, unchanged 0, rejected 0")
    );
    assert!(text(&first.stderr).contains(&format!(
        "store now holds {accounts} accounts, {contacts} contacts, {features} features, {activities} activities, {outcomes} outcomes"
    )));

    let second = rapport(&db, &["import", data.to_str().unwrap()]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    assert_eq!(
        text(&second.stdout).trim(),
        format!("imported 0, unchanged {total}, rejected 0")
    );

    let listed = rapport(&db, &["accounts", "--format", "json"]);
    let listing: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let listing = listing.as_array().unwrap();
    assert_eq!(listing.len(), accounts);
    assert!(listing.iter().any(|account| account["name"] == "Acme Corp"));
}

#[test]
fn changed_account_rows_update_and_are_counted_as_imported() {
    let work = tempfile::tempdir().unwrap();
    let db = work.path().join("rapport.db");
    let file = work.path().join("accounts.csv");
    std::fs::write(&file, "id,name,tier,arr,seats,csm,status,contract_start,renewal_date,industry\na1,Acme Corp,strategic,150000,100,Dana,active,2025-01-01,2027-01-01,Software\n").unwrap();
    assert_eq!(
        rapport(&db, &["import", "accounts", file.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    std::fs::write(&file, "id,name,tier,arr,seats,csm,status,contract_start,renewal_date,industry\na1,Acme Corp,strategic,175000,100,Dana,active,2025-01-01,2027-01-01,Software\n").unwrap();
    let output = rapport(&db, &["import", "accounts", file.to_str().unwrap()]);
    assert_eq!(
        text(&output.stdout).trim(),
        "imported 1, unchanged 0, rejected 0"
    );
    assert!(text(&output.stderr).contains("(0 new, 1 updated)"));
    let listed: serde_json::Value =
        serde_json::from_slice(&rapport(&db, &["accounts", "--format", "json"]).stdout).unwrap();
    assert_eq!(listed[0]["arr"], 175000.0);
}

#[test]
fn bad_records_are_reported_with_file_and_line_and_the_rest_kept() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let db = work.path().join("rapport.db");
    std::fs::write(
        data.join("accounts.csv"),
        "id,name,tier,arr,seats,csm,status,contract_start,renewal_date,industry\n\
         a1,Acme Corp,strategic,150000,100,Dana,active,2025-01-01,2027-01-01,Software\n\
         a2,Bad Tier Inc,platinum,1,1,Dana,active,,,\n",
    )
    .unwrap();
    std::fs::write(
        data.join("contacts.csv"),
        "account,email,name,role,department,title\na1,sarah@acme.com,Sarah,champion,Ops,VP\nghost,x@y.z,X,user,,\n",
    )
    .unwrap();
    let good =
        r#"{"id":"ok-1","type":"login","account":"a1","at":"2026-01-05T10:00:00Z","user":"u1"}"#;
    let lines = [
        good,                                                                                        // 1
        r#"{"id":"b-1","type":"login","account":"nobody","at":"2026-01-05T10:00:00Z","user":"u1"}"#, // 2 unknown account
        r#"{"id":"b-2","type":"login","account":"a1","at":"05/01/2026","user":"u1"}"#, // 3 bad timestamp
        r#"{"id":"b-3","type":"login","account":"a1","at":"2026-01-05T10:00:00Z"}"#, // 4 missing field
        r#"{"id":"b-4","type":"fax","account":"a1","at":"2026-01-05T10:00:00Z"}"#, // 5 unknown type
        r#"{"id":"b-5","type":"nps","account":"a1","at":"2026-01-05T10:00:00Z","score":"ten"}"#, // 6 wrong type
        r#"{"id":"b-6","type":"nps","account":"a1","at":"2026-01-05T10:00:00Z","score":14}"#, // 7 out of range
        "this is not json", // 8 not JSON
        r#"{"id":"b-8","type":"email","account":"a1","at":"2026-01-05T10:00:00Z","direction":"up","thread":"t","from":"a@b.c"}"#, // 9 bad enum
        r#"{"id":"b-9","type":"email","account":"a1","at":"2026-01-05T10:00:00Z","direction":"inbound","thread":"t","from":"nobody"}"#, // 10 bad email
        r#"{"id":"b-10","type":"session","account":"a1","at":"2026-01-05T10:00:00Z","user":"u1","duration_min":-5}"#, // 11 negative duration
        r#"{"id":"b-11","type":"meeting","account":"a1","at":"2026-01-05T10:00:00Z","status":"cancelled","kind":"qbr"}"#, // 12 cancelled without cancelled_by
        r#"{"type":"login","at":"2026-01-05T10:00:00Z","user":"u1"}"#, // 13 missing account
        r#"{"id":"ok-2","type":"feature_used","account":"a1","at":"2026-01-06T10:00:00Z","user":"u1","feature":"reports"}"#, // 14
    ];
    std::fs::write(data.join("activities.jsonl"), lines.join("\n") + "\n").unwrap();

    let output = rapport(&db, &["import", data.to_str().unwrap()]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let activities = data.join("activities.jsonl").display().to_string();
    let expected = [
        format!("{}:3: field `tier`", data.join("accounts.csv").display()),
        format!(
            "{}:3: unknown account `ghost`",
            data.join("contacts.csv").display()
        ),
        format!("{activities}:2: unknown account `nobody`"),
        format!("{activities}:3: field `at`: `05/01/2026` is not an RFC 3339 timestamp"),
        format!("{activities}:4: missing field `user` (required for login)"),
        format!("{activities}:5: unknown activity type `fax`"),
        format!("{activities}:6: field `score`: invalid type: string \"ten\""),
        format!("{activities}:7: field `score`: 14 is out of range"),
        format!("{activities}:8: not a JSON object"),
        format!(
            "{activities}:9: field `direction`: direction `up` is not one of inbound | outbound"
        ),
        format!("{activities}:10: field `from`: `nobody` is not an e-mail address"),
        format!("{activities}:11: field `duration_min`: -5 is not a duration"),
        format!("{activities}:12: missing field `cancelled_by`"),
        format!("{activities}:13: missing field `account`"),
    ];
    for line in &expected {
        assert!(
            stderr.contains(line.as_str()),
            "missing `{line}` in:\n{stderr}"
        );
    }
    assert_eq!(
        text(&output.stdout).trim(),
        "imported 4, unchanged 0, rejected 14"
    );
    assert!(
        stderr.contains(
            "store now holds 1 accounts, 1 contacts, 0 features, 2 activities, 0 outcomes"
        ),
        "{stderr}"
    );

    // Importing again: the good records are unchanged, the bad still reported, nothing lost.
    let again = rapport(&db, &["import", data.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        text(&again.stdout).trim(),
        "imported 0, unchanged 4, rejected 14"
    );
}

#[test]
fn nothing_done_exits_2_with_a_reason() {
    let work = tempfile::tempdir().unwrap();
    let db = work.path().join("rapport.db");
    let bad_header = work.path().join("accounts.csv");
    std::fs::write(&bad_header, "identifier,title\nx,y\n").unwrap();
    let output = rapport(&db, &["import", "accounts", bad_header.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("bad header: missing columns id, name, tier"),
        "{}",
        text(&output.stderr)
    );

    let missing = rapport(
        &db,
        &[
            "import",
            "activities",
            work.path().join("nope.jsonl").to_str().unwrap(),
        ],
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("nope.jsonl: cannot read"),
        "{}",
        text(&missing.stderr)
    );

    let empty_dir = work.path().join("empty");
    std::fs::create_dir_all(&empty_dir).unwrap();
    let output = rapport(&db, &["import", empty_dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("holds none of accounts.csv"));
}

#[test]
fn generation_is_deterministic_for_a_seed_and_end_date() {
    let work = tempfile::tempdir().unwrap();
    generate(&work.path().join("one"), "12", "20");
    generate(&work.path().join("two"), "12", "20");
    for file in [
        "accounts.csv",
        "contacts.csv",
        "features.csv",
        "activities.jsonl",
        "outcomes.csv",
    ] {
        let one = std::fs::read(work.path().join("one").join(file)).unwrap();
        let two = std::fs::read(work.path().join("two").join(file)).unwrap();
        assert!(!one.is_empty(), "{file} is empty");
        assert!(
            one == two,
            "{file} differs between two runs with the same seed"
        );
    }
}

/// Kills the child when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The address a starting `rapport serve` or `rapport demo` prints once it
/// listens (its stdout must be piped).
fn serving_address(running: &mut Running) -> String {
    let mut stdout = BufReader::new(running.0.stdout.take().unwrap());
    let mut line = String::new();
    let mut sign_in_link = None;
    loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the server exited before serving"
        );
        if let Some(at) = line.find("/sign-in?token=") {
            sign_in_link = Some(line[at..].trim().to_string());
        }
        if let Some(rest) = line.trim().strip_prefix("Rapport is serving on http://") {
            let address = rest.split('/').next().unwrap().to_string();
            if let Some(link) = sign_in_link {
                sign_in(&address, &link);
            }
            return address;
        }
    }
}

/// The session cookie and CSRF token of each server's first admin, by
/// address: every request the tests send signs in as them.
static SESSIONS: std::sync::Mutex<Vec<(String, String, String)>> =
    std::sync::Mutex::new(Vec::new());

/// Follows the one-time sign-in link a new store's server prints, as a
/// browser would: a session cookie, then the session's CSRF token.
fn sign_in(address: &str, link: &str) {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {link} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 303"), "{response}");
    let cookie = response
        .lines()
        .find_map(|line| line.strip_prefix("set-cookie: "))
        .unwrap_or_else(|| panic!("no session cookie: {response}"));
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().unwrap().to_string();
    let mut sessions = SESSIONS.lock().unwrap();
    sessions.retain(|(known, _, _)| known != address);
    sessions.push((address.to_string(), cookie, String::new()));
    drop(sessions);
    let (status, body) = http_get(address, "/api/session");
    assert_eq!(status, 200, "{body}");
    let session: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(session["role"], "admin");
    let csrf = session["csrfToken"].as_str().unwrap().to_string();
    let mut sessions = SESSIONS.lock().unwrap();
    if let Some(entry) = sessions.iter_mut().find(|(known, _, _)| known == address) {
        entry.2 = csrf;
    }
}

fn http_get(address: &str, path: &str) -> (u16, String) {
    http_send(address, "GET", path, None)
}

/// One HTTP/1.1 request on its own connection; the status and the body.
fn http_send(address: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    let body = body.unwrap_or("");
    let signed_in = SESSIONS
        .lock()
        .unwrap()
        .iter()
        .find(|(known, _, _)| known == address)
        .map(|(_, cookie, csrf)| format!("Cookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n{signed_in}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "a chunked response this helper does not decode: {head}"
    );
    (status, body.to_string())
}

#[test]
fn demo_generates_imports_and_serves() {
    let work = tempfile::tempdir().unwrap();
    let db = work.path().join("demo.db");
    let child = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .arg("--db")
        .arg(format!("sqlite://{}", db.display()))
        .args([
            "demo",
            "--accounts",
            "15",
            "--days",
            "30",
            "--addr",
            "127.0.0.1:0",
        ])
        .env("RAPPORT_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let address = serving_address(&mut running);
    let (status, body) = http_get(&address, "/healthz");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"ok\""), "{body}");
    let (status, body) = http_get(&address, "/api/accounts");
    assert_eq!(status, 200);
    assert!(body.contains("Acme Corp"), "{body}");
    let (status, body) = http_get(&address, "/");
    assert_eq!(status, 200);
    assert!(body.contains("Acme Corp"));

    let (status, body) = http_get(
        &address,
        "/api/intelligence/engagement/acc-0001?period=30d&asOf=2026-01-31T00:00:00Z",
    );
    assert_eq!(status, 200, "{body}");
    let breakdown: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(breakdown["accountName"], "Acme Corp");
    assert_eq!(breakdown["period"]["days"], 30);
    assert_eq!(breakdown["factors"].as_array().unwrap().len(), 11);
    assert_eq!(breakdown["history"].as_array().unwrap().len(), 6);
    let (status, body) = http_get(
        &address,
        "/api/intelligence/engagement/acc-0001?period=thirty",
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("\"parameter\":\"period\""), "{body}");
    let (status, body) = http_get(
        &address,
        "/api/intelligence/engagement/acc-0001?asOf=yesterday",
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("asOf"), "{body}");
    let (status, body) = http_get(&address, "/api/intelligence/engagement/no-such-account");
    assert_eq!(status, 404, "{body}");
}

#[test]
fn engagement_json_is_the_api_body_and_close_names_list_candidates() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let db = work.path().join("rapport.db");
    generate(&data, "12", "60");
    assert_eq!(
        rapport(&db, &["import", data.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let output = rapport(
        &db,
        &[
            "engagement",
            "acc-0001",
            "--as-of",
            "2026-05-31",
            "--format",
            "json",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let breakdown: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(breakdown["accountName"], "Acme Corp");
    assert_eq!(breakdown["asOf"], "2026-05-31T00:00:00Z");
    let by_name = rapport(
        &db,
        &[
            "engagement",
            "Acme Corp",
            "--as-of",
            "2026-05-31",
            "--format",
            "json",
        ],
    );
    assert_eq!(by_name.stdout, output.stdout);
    let markdown = rapport(&db, &["engagement", "acme corp", "--as-of", "2026-05-31"]);
    assert!(text(&markdown.stdout).starts_with("## Engagement Score Breakdown: Acme Corp"));
    let close = rapport(&db, &["engagement", "Acme", "--as-of", "2026-05-31"]);
    assert_eq!(close.status.code(), Some(2));
    assert!(
        text(&close.stderr).contains("did you mean:\n  Acme Corp (acc-0001)"),
        "{}",
        text(&close.stderr)
    );

    // A model of one's own: the shipped one with product weighted more.
    let shipped = rapport_core::scoring::model::PRD070_ENGAGEMENT;
    let custom = shipped
        .replacen("name = \"prd070-engagement\"", "name = \"our-model\"", 1)
        .replacen("weight = 15\ntarget = 3", "weight = 40\ntarget = 3", 1);
    assert_ne!(custom, shipped);
    let model_file = work.path().join("our-model.toml");
    std::fs::write(&model_file, &custom).unwrap();
    let ours = rapport(
        &db,
        &[
            "engagement",
            "acc-0001",
            "--as-of",
            "2026-05-31",
            "--format",
            "json",
            "--model",
            model_file.to_str().unwrap(),
        ],
    );
    assert!(ours.status.success(), "{}", text(&ours.stderr));
    let ours: serde_json::Value = serde_json::from_slice(&ours.stdout).unwrap();
    assert_eq!(ours["model"], "our-model");
    let login = ours["factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|factor| factor["key"] == "login_frequency")
        .unwrap();
    assert_eq!(login["weight"], 40.0);

    // An invalid model is refused at load, naming the key.
    std::fs::write(
        &model_file,
        shipped.replacen("weight = 15\n", "weight = -2\n", 1),
    )
    .unwrap();
    let refused = rapport(
        &db,
        &[
            "engagement",
            "acc-0001",
            "--model",
            model_file.to_str().unwrap(),
        ],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("factors[0].weight (Email Response Rate)"),
        "{}",
        text(&refused.stderr)
    );
}

#[test]
fn goals_from_a_terminal_add_update_list_delete() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let db = work.path().join("rapport.db");
    generate(&data, "5", "30");
    // Acme Corp's demo goals are left out: this test starts from no goals.
    std::fs::remove_file(data.join("goals.csv")).unwrap();
    assert_eq!(
        rapport(&db, &["import", data.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    add_user(&db, "dana", "leader");
    let goal_file = work.path().join("goal.json");
    std::fs::write(
        &goal_file,
        r#"{"title": "Enable self-service", "targetDate": "2026-12-31", "startDate": "2026-01-01",
            "metrics": [{"category": "adoption", "name": "Self-serve share", "baseline": 40,
                         "target": 90, "unit": "%", "direction": "higher_is_better"}]}"#,
    )
    .unwrap();
    let added = rapport(
        &db,
        &[
            "--as",
            "dana",
            "goals",
            "add",
            "Acme Corp",
            "--file",
            goal_file.to_str().unwrap(),
        ],
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    assert!(
        text(&added.stdout).contains("goal-1"),
        "{}",
        text(&added.stdout)
    );
    let updated = rapport(
        &db,
        &[
            "--as",
            "dana",
            "goals",
            "update",
            "acc-0001",
            "goal-1-m1",
            "65",
            "--at",
            "2026-06-01",
        ],
    );
    assert!(updated.status.success(), "{}", text(&updated.stderr));
    let listed = rapport(&db, &["goals", "list", "Acme Corp", "--format", "json"]);
    let goals: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(goals[0]["metrics"][0]["history"][0]["value"], 65.0);
    assert_eq!(
        goals[0]["metrics"][0]["history"][0]["at"],
        "2026-06-01T00:00:00Z"
    );

    let success = rapport(
        &db,
        &[
            "success",
            "Acme Corp",
            "--as-of",
            "2026-06-02",
            "--format",
            "json",
        ],
    );
    assert!(success.status.success(), "{}", text(&success.stderr));
    let report: serde_json::Value = serde_json::from_slice(&success.stdout).unwrap();
    // 40 → 90, now 65: half way.
    assert_eq!(report["goals"][0]["metrics"][0]["progress"], 50.0);
    let earlier = rapport(
        &db,
        &[
            "--as",
            "dana",
            "goals",
            "update",
            "Acme Corp",
            "goal-1-m1",
            "50",
            "--at",
            "2026-03-01",
        ],
    );
    assert!(earlier.status.success(), "{}", text(&earlier.stderr));
    let html = rapport(
        &db,
        &[
            "export",
            "value-report",
            "Acme Corp",
            "--format",
            "html",
            "--as-of",
            "2026-06-02",
        ],
    );
    assert!(html.status.success(), "{}", text(&html.stderr));
    let html = text(&html.stdout);
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(html.contains("Value Report: Acme Corp"));
    assert!(html.contains("<polyline"), "a trend chart: {html}");
    for internal in ["Peer", "percentile", "Root Cause", "Recommended"] {
        assert!(
            !html.contains(internal),
            "{internal} must not reach the customer"
        );
    }
    let md = rapport(
        &db,
        &[
            "export",
            "value-report",
            "Acme Corp",
            "--format",
            "md",
            "--as-of",
            "2026-06-02",
        ],
    );
    assert!(
        text(&md.stdout).contains("| Self-serve share | 40% | 90% | 65% | 50% |"),
        "{}",
        text(&md.stdout)
    );
    let markdown = rapport(&db, &["success", "Acme Corp", "--as-of", "2026-06-02"]);
    assert!(
        text(&markdown.stdout).starts_with("## Account Success Metrics: Acme Corp"),
        "{}",
        text(&markdown.stdout)
    );

    std::fs::write(&goal_file, r#"{"title": "x", "targetDate": "soon"}"#).unwrap();
    let refused = rapport(
        &db,
        &[
            "--as",
            "dana",
            "goals",
            "add",
            "Acme Corp",
            "--file",
            goal_file.to_str().unwrap(),
        ],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("targetDate"),
        "{}",
        text(&refused.stderr)
    );
    let missing = rapport(
        &db,
        &["--as", "dana", "goals", "update", "Acme Corp", "nope", "1"],
    );
    assert_eq!(missing.status.code(), Some(2));

    let deleted = rapport(
        &db,
        &["--as", "dana", "goals", "delete", "Acme Corp", "goal-1"],
    );
    assert!(deleted.status.success(), "{}", text(&deleted.stderr));
    let listed = rapport(&db, &["goals", "list", "Acme Corp"]);
    assert!(text(&listed.stdout).contains("No success goals defined."));
}

#[test]
fn goals_import_from_csv_reports_bad_rows_and_reimport_changes_nothing() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let db = work.path().join("rapport.db");
    generate(&data, "5", "30");
    std::fs::remove_file(data.join("goals.csv")).unwrap();
    assert_eq!(
        rapport(&db, &["import", data.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let file = work.path().join("goals.csv");
    std::fs::write(
        &file,
        "account,goal,start_date,target_date,metric,category,baseline,target,unit,direction,current,measured_at,value_kind,value_amount,confidence\n\
         acc-0002,Cut ticket backlog,2026-01-01,2026-12-31,Open tickets,operational,120,40,,lower_is_better,80,2026-04-30,cost_reduction,\"$30,000\",high\n\
         acc-0002,Cut ticket backlog,,,Open tickets,,,,,,60,2026-05-31,,,\n\
         acc-0002,Cut ticket backlog,,,Open tickets,,,,,,many,2026-05-31,,,\n\
         nobody,Grow,2026-01-01,2026-12-31,,,,,,,,,,,\n",
    )
    .unwrap();
    let first = rapport(&db, &["import", "goals", file.to_str().unwrap()]);
    assert_eq!(first.status.code(), Some(1), "{}", text(&first.stderr));
    let stderr = text(&first.stderr);
    let path = file.display().to_string();
    assert!(
        stderr.contains(&format!(
            "{path}:4: field `current`: `many` is not a number"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{path}:5: unknown account `nobody`")),
        "{stderr}"
    );
    assert!(
        text(&first.stdout).contains("imported 1, unchanged 0, rejected 2"),
        "{}",
        text(&first.stdout)
    );
    let again = rapport(&db, &["import", "goals", file.to_str().unwrap()]);
    assert!(
        text(&again.stdout).contains("imported 0, unchanged 1, rejected 2"),
        "{}",
        text(&again.stdout)
    );

    let report = rapport(
        &db,
        &[
            "success",
            "acc-0002",
            "--as-of",
            "2026-06-02",
            "--format",
            "json",
        ],
    );
    assert!(report.status.success(), "{}", text(&report.stderr));
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let goal = &report["goals"][0];
    assert_eq!(goal["title"], "Cut ticket backlog");
    // 120 → 40, now 60: 75 % of the way.
    assert_eq!(goal["metrics"][0]["progress"], 75.0);
    assert_eq!(goal["metrics"][0]["current"], 60.0);
    // The goal's id lets the file update a goal; a new value is added to its history.
    let id = goal["id"].as_str().unwrap().to_string();
    std::fs::write(
        &file,
        format!(
            "account,goal_id,goal,target_date,metric,current,measured_at\n\
             acc-0002,{id},Cut the ticket backlog,2026-12-31,Open tickets,50,2026-06-30\n"
        ),
    )
    .unwrap();
    let update = rapport(&db, &["import", "goals", file.to_str().unwrap()]);
    assert_eq!(update.status.code(), Some(0), "{}", text(&update.stderr));
    let listed = rapport(&db, &["goals", "list", "acc-0002", "--format", "json"]);
    let goals: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(goals.as_array().unwrap().len(), 1);
    assert_eq!(goals[0]["title"], "Cut the ticket backlog");
    let values: Vec<f64> = goals[0]["metrics"][0]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|measurement| measurement["value"].as_f64().unwrap())
        .collect();
    assert_eq!(values, [80.0, 60.0, 50.0]);
}

#[test]
fn overrides_from_a_terminal_set_replace_list_remove_with_an_audit_trail() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let db = work.path().join("rapport.db");
    generate(&data, "4", "20");
    assert_eq!(
        rapport(&db, &["import", data.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    add_user(&db, "dana", "leader");
    add_user(&db, "lee", "leader");
    let set = rapport(
        &db,
        &[
            "override",
            "set",
            "Acme Corp",
            "--model",
            "health",
            "--value",
            "72",
            "--reason",
            "Exec sponsor confirmed renewal",
            "--as",
            "dana",
            "--expires",
            "2099-12-31",
        ],
    );
    assert!(set.status.success(), "{}", text(&set.stderr));
    assert!(
        text(&set.stdout).contains("health overridden to 72 by dana"),
        "{}",
        text(&set.stdout)
    );
    let replaced = rapport(
        &db,
        &[
            "override",
            "set",
            "acc-0001",
            "--model",
            "health",
            "--value",
            "64.5",
            "--reason",
            "Usage dropped",
            "--as",
            "lee",
        ],
    );
    assert!(replaced.status.success(), "{}", text(&replaced.stderr));
    assert!(
        text(&replaced.stdout).contains("overridden to 64.5 (was 72) by lee"),
        "{}",
        text(&replaced.stdout)
    );

    let listed = rapport(&db, &["override", "list", "Acme Corp", "--format", "json"]);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let view: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    // The API's body: GET /api/intelligence/overrides/{customerId}.
    for key in [
        "customerId",
        "externalId",
        "accountName",
        "asOf",
        "overrides",
        "expired",
        "history",
    ] {
        assert!(view.get(key).is_some(), "the listing lacks {key}");
    }
    assert_eq!(view["overrides"][0]["model"], "health");
    assert_eq!(view["overrides"][0]["value"], 64.5);
    assert_eq!(view["overrides"][0]["author"], "lee");
    let history = view["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["expiresAt"], "2099-12-31T00:00:00Z");
    assert_eq!(
        (history[1]["old"].as_f64(), history[1]["new"].as_f64()),
        (Some(72.0), Some(64.5))
    );
    let replaced_at = history[1]["at"].as_str().unwrap().to_string();
    let markdown = rapport(&db, &["override", "list", "acc-0001"]);
    assert!(
        text(&markdown.stdout).contains("| health | 64.5 | lee |"),
        "{}",
        text(&markdown.stdout)
    );

    // Refusals name the flag and exit 2; nothing is written.
    for (flag, args) in [
        ("--value", ["--model", "health", "--value", "120"]),
        ("--model", ["--model", "nps", "--value", "50"]),
    ] {
        let mut command = vec!["override", "set", "acc-0001"];
        command.extend(args);
        command.extend(["--reason", "why", "--as", "dana"]);
        let refused = rapport(&db, &command);
        assert_eq!(refused.status.code(), Some(2));
        assert!(
            text(&refused.stderr).contains(&format!("{flag}: ")),
            "{}",
            text(&refused.stderr)
        );
    }
    let refused = rapport(
        &db,
        &[
            "override", "set", "acc-0001", "--model", "health", "--value", "50", "--reason", " ",
            "--as", "dana",
        ],
    );
    assert!(text(&refused.stderr).contains("--reason: must not be empty"));

    let removed = rapport(
        &db,
        &[
            "override",
            "remove",
            "Acme Corp",
            "--model",
            "health",
            "--as",
            "dana",
            "--reason",
            "Renewal signed",
        ],
    );
    assert!(removed.status.success(), "{}", text(&removed.stderr));
    let again = rapport(
        &db,
        &[
            "override",
            "remove",
            "Acme Corp",
            "--model",
            "health",
            "--as",
            "dana",
        ],
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("no override of `health` in force"));

    let after: serde_json::Value = serde_json::from_slice(
        &rapport(&db, &["override", "list", "acc-0001", "--format", "json"]).stdout,
    )
    .unwrap();
    assert_eq!(after["overrides"], serde_json::json!([]));
    assert_eq!(after["history"].as_array().unwrap().len(), 3);
    assert_eq!(after["history"][2]["action"], "removed");
    assert_eq!(after["history"][2]["old"], 64.5);
    // Just after the replacement, before the removal: 64.5 was in force.
    let replaced_at = rapport_core::Timestamp::parse_rfc3339(&replaced_at).unwrap();
    let just_after = rapport_core::Timestamp::from_millis(replaced_at.millis() + 1).to_rfc3339();
    let past: serde_json::Value = serde_json::from_slice(
        &rapport(
            &db,
            &[
                "override",
                "list",
                "acc-0001",
                "--as-of",
                &just_after,
                "--format",
                "json",
            ],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(past["overrides"][0]["value"], 64.5);
    assert_eq!(past["history"].as_array().unwrap().len(), 2);
}

#[test]
fn health_report_and_daily_snapshots_from_a_terminal() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let db = work.path().join("rapport.db");
    generate(&data, "5", "60");
    assert_eq!(
        rapport(&db, &["import", data.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let health = rapport(
        &db,
        &[
            "health",
            "Acme Corp",
            "--as-of",
            "2026-06-01",
            "--format",
            "json",
        ],
    );
    assert!(health.status.success(), "{}", text(&health.stderr));
    let report: serde_json::Value = serde_json::from_slice(&health.stdout).unwrap();
    assert_eq!(report["model"], "health");
    assert_eq!(report["components"].as_array().unwrap().len(), 5);
    assert_eq!(report["scoreOverride"]["computed"], report["score"]);
    assert!(report["signals"].is_array() && report["playbooks"].is_array());
    let markdown = rapport(&db, &["health", "acc-0001", "--as-of", "2026-06-01"]);
    assert!(
        text(&markdown.stdout).starts_with("## Customer Health: Acme Corp"),
        "{}",
        text(&markdown.stdout)
    );

    let first = rapport(&db, &["snapshot", "--day", "2026-05-31", "--days", "2"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(
        text(&first.stdout).trim(),
        "snapshots written 4, unchanged 0"
    );
    let again = rapport(&db, &["snapshot", "--day", "2026-05-31", "--days", "2"]);
    assert_eq!(
        text(&again.stdout).trim(),
        "snapshots written 0, unchanged 4"
    );
    let future = rapport(&db, &["snapshot", "--day", "2199-12-31"]);
    assert_eq!(future.status.code(), Some(2));
    assert!(
        text(&future.stderr).contains("is not over yet"),
        "{}",
        text(&future.stderr)
    );
    let beyond = rapport(&db, &["snapshot", "--day", "2999-01-01"]);
    assert_eq!(beyond.status.code(), Some(2));
    assert!(
        text(&beyond.stderr).contains("outside the years 1900 to 2199"),
        "{}",
        text(&beyond.stderr)
    );
}

#[test]
fn a_tier_can_be_scored_with_its_own_engagement_model() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let db = work.path().join("rapport.db");
    generate(&data, "5", "30");
    assert_eq!(
        rapport(&db, &["import", data.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let settings = work.path().join("rapport.toml");
    std::fs::write(
        &settings,
        "[tier_models]\nstrategic = \"framework-engagement\"\n",
    )
    .unwrap();
    let config = settings.to_str().unwrap();
    let model_of = |extra: &[&str]| {
        let mut args = vec![
            "--config",
            config,
            "engagement",
            "Acme Corp",
            "--as-of",
            "2026-06-01",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let output = rapport(&db, &args);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let body: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        body["model"].as_str().unwrap().to_string()
    };
    // Acme Corp is a strategic account.
    assert_eq!(model_of(&[]), "framework-engagement");
    assert_eq!(
        model_of(&["--model", "prd070-engagement"]),
        "prd070-engagement"
    );
    std::fs::write(&settings, "[tier_models]\nplatinum = \"health\"\n").unwrap();
    let refused = rapport(&db, &["--config", config, "engagement", "Acme Corp"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("platinum"),
        "{}",
        text(&refused.stderr)
    );
}

#[test]
fn portfolio_overview_from_a_terminal() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let db = work.path().join("rapport.db");
    generate(&data, "12", "60");
    assert_eq!(
        rapport(&db, &["import", data.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let json = rapport(
        &db,
        &["portfolio", "--as-of", "2026-06-01", "--format", "json"],
    );
    assert!(json.status.success(), "{}", text(&json.stderr));
    let view: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(view["current"]["accounts"].as_u64().unwrap() > 0);
    let markdown = rapport(
        &db,
        &["portfolio", "--as-of", "2026-06-01", "--tier", "growth"],
    );
    assert!(
        text(&markdown.stdout).starts_with("## Portfolio Engagement Overview"),
        "{}",
        text(&markdown.stdout)
    );
    assert!(text(&markdown.stdout).contains("Tier: Growth"));
    let refused = rapport(&db, &["portfolio", "--tier", "gold"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("--tier"),
        "{}",
        text(&refused.stderr)
    );
}

#[test]
fn alerts_from_a_terminal_evaluate_list_acknowledge_resolve() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let db = work.path().join("rapport.db");
    generate(&data, "6", "30");
    assert_eq!(
        rapport(&db, &["import", data.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    add_user(&db, "dana", "leader");
    let first = rapport(&db, &["alerts", "evaluate"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        text(&first.stdout).starts_with("alerts opened "),
        "{}",
        text(&first.stdout)
    );
    let again = rapport(&db, &["alerts", "evaluate"]);
    assert!(
        text(&again.stdout).starts_with("alerts opened 0,"),
        "{}",
        text(&again.stdout)
    );
    let listed = rapport(&db, &["alerts", "list", "--format", "json"]);
    let alerts: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let id = alerts[0]["id"].as_i64().unwrap().to_string();
    let ack = rapport(&db, &["alerts", "ack", &id, "--as", "dana"]);
    assert!(
        text(&ack.stdout).contains("Acknowledged"),
        "{}",
        text(&ack.stdout)
    );
    let resolved = rapport(
        &db,
        &["alerts", "resolve", &id, "--as", "dana", "--note", "done"],
    );
    assert!(
        text(&resolved.stdout).contains("Resolved"),
        "{}",
        text(&resolved.stdout)
    );
    let twice = rapport(&db, &["alerts", "resolve", &id, "--as", "dana"]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(
        text(&twice.stderr).contains("already resolved"),
        "{}",
        text(&twice.stderr)
    );
}

// ---------------------------------------------------------------------------
// The CLI beside a running server on the same database: the same JSON, writes
// from one surface visible on the other, concurrent writers.
// ---------------------------------------------------------------------------

/// `rapport serve` on `db`, on a free loopback port: the guard and the address.
fn serve(db: &Path) -> (Running, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .arg("--db")
        .arg(format!("sqlite://{}", db.display()))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env_remove("RAPPORT_DATABASE_URL")
        .env("RAPPORT_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let address = serving_address(&mut running);
    (running, address)
}

/// The default demo's first 5 accounts over 30 days to 2026-12-01 (the
/// portfolio the source samples were made against), generated into
/// `work/data` and imported into `work/rapport.db`, which is returned.
fn small_demo(work: &Path) -> std::path::PathBuf {
    let data = work.join("data");
    let db = work.join("rapport.db");
    let generated = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args([
            "generate",
            "--accounts",
            "5",
            "--days",
            "30",
            "--end",
            "2026-12-01",
            "--out",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(generated.status.success(), "{}", text(&generated.stderr));
    let imported = rapport(&db, &["import", data.to_str().unwrap()]);
    assert_eq!(
        imported.status.code(),
        Some(0),
        "{}",
        text(&imported.stderr)
    );
    db
}

/// Generates `accounts` accounts over `days` days into `work/data` and imports
/// them into `work/rapport.db`.
/// Adds a Rapport user, whom `--as` then names.
fn add_user(db: &Path, name: &str, role: &str) {
    let added = rapport(db, &["users", "add", name, "--role", role]);
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
}

fn imported_portfolio(work: &Path, accounts: &str, days: &str) -> std::path::PathBuf {
    let data = work.join("data");
    let db = work.join("rapport.db");
    generate(&data, accounts, days);
    let imported = rapport(&db, &["import", data.to_str().unwrap()]);
    assert_eq!(
        imported.status.code(),
        Some(0),
        "{}",
        text(&imported.stderr)
    );
    db
}

/// A CLI command's `--format json` output, after checking it exited 0.
fn cli_json(db: &Path, args: &[&str]) -> serde_json::Value {
    let output = rapport(db, args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "rapport {}: {}",
        args.join(" "),
        text(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("rapport {}: not JSON ({error})", args.join(" ")))
}

/// An API body, after checking the answer was 200.
fn api_json(address: &str, path: &str) -> serde_json::Value {
    let (status, body) = http_get(address, path);
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|error| panic!("GET {path}: not JSON ({error})"))
}

/// Calls `probe` until it returns something, and returns it with how long that
/// took; panics naming `what` when `limit` passes first.
fn poll<T>(what: &str, limit: Duration, mut probe: impl FnMut() -> Option<T>) -> (T, Duration) {
    let started = Instant::now();
    loop {
        if let Some(found) = probe() {
            return (found, started.elapsed());
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Where two JSON values first differ (a JSON pointer and both sides), if they do.
fn first_difference(
    left: &serde_json::Value,
    right: &serde_json::Value,
    at: &str,
) -> Option<String> {
    use serde_json::Value;
    match (left, right) {
        (Value::Object(left), Value::Object(right)) => {
            let mut keys: Vec<&String> = left.keys().chain(right.keys()).collect();
            keys.sort_unstable();
            keys.dedup();
            keys.into_iter().find_map(|key| {
                let at = format!("{at}/{key}");
                match (left.get(key), right.get(key)) {
                    (Some(left), Some(right)) => first_difference(left, right, &at),
                    (left, right) => Some(format!(
                        "{at}: {}  vs  {}",
                        left.map_or("(absent)".into(), Value::to_string),
                        right.map_or("(absent)".into(), Value::to_string)
                    )),
                }
            })
        }
        (Value::Array(left_items), Value::Array(right_items))
            if left_items.len() == right_items.len() =>
        {
            left_items
                .iter()
                .zip(right_items)
                .enumerate()
                .find_map(|(index, (left, right))| {
                    first_difference(left, right, &format!("{at}/{index}"))
                })
        }
        _ if left == right => None,
        _ => {
            let shorten = |value: &Value| value.to_string().chars().take(300).collect::<String>();
            Some(format!("{at}: {}  vs  {}", shorten(left), shorten(right)))
        }
    }
}

/// Asserts the CLI's JSON for `args` is the API's body for `path`. The API is
/// read before and after the CLI; a pair is compared only when the server's
/// answer did not move in between (its follower may still be evaluating the
/// alerts of a write), retried until a deadline.
fn assert_cli_is_api(db: &Path, address: &str, args: &[&str], path: &str) {
    let (difference, _) = poll(
        &format!("a stable API answer to GET {path}"),
        Duration::from_secs(10),
        || {
            let before = api_json(address, path);
            let cli = cli_json(db, args);
            let after = api_json(address, path);
            if before != after {
                println!("GET {path} moved while the CLI read; reading again");
            }
            (before == after).then(|| first_difference(&cli, &after, ""))
        },
    );
    if let Some(difference) = difference {
        panic!(
            "`rapport {}` and GET {path} differ (CLI vs API) at {difference}",
            args.join(" ")
        );
    }
}

/// The wall clock as the store stamps it, in milliseconds.
fn wall_clock_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

const GOAL_JSON: &str = r#"{"title": "Enable self-service", "targetDate": "2026-12-31", "startDate": "2026-01-01",
    "metrics": [{"category": "adoption", "name": "Self-serve share", "baseline": 40,
                 "target": 90, "unit": "%", "direction": "higher_is_better"}]}"#;

/// The report pairs compared at `as_of` for account `id` (`acc-0001`): the CLI's
/// arguments and the API's path.
fn reports_at(id: &str, as_of: &str) -> Vec<(Vec<String>, String)> {
    let mut pairs = Vec::new();
    for (command, route) in [
        ("engagement", "engagement"),
        ("health", "health"),
        ("success", "success-metrics"),
        ("override list", "overrides"),
    ] {
        let mut args: Vec<String> = command.split(' ').map(str::to_string).collect();
        args.push("acc-0001".into());
        pairs.push((args, format!("/api/intelligence/{route}/{id}?asOf={as_of}")));
    }
    pairs.push((
        vec!["portfolio".into()],
        format!("/api/intelligence/engagement-overview?asOf={as_of}"),
    ));
    pairs.push((
        vec!["report".into(), "weekly".into()],
        format!("/api/reports/weekly?format=json&asOf={as_of}"),
    ));
    for (args, _) in &mut pairs {
        args.extend(["--as-of", as_of, "--format", "json"].map(str::to_string));
    }
    pairs
}

#[test]
fn every_report_json_from_the_cli_is_the_api_body() {
    let work = tempfile::tempdir().unwrap();
    let db = imported_portfolio(work.path(), "12", "60");
    let (_server, address) = serve(&db);
    add_user(&db, "lee", "leader");
    let accounts = api_json(&address, "/api/accounts");
    let id = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|account| account["externalId"] == "acc-0001")
        .map(|account| account["id"].as_str().unwrap().to_string())
        .unwrap();
    // The data's last day, and an instant after every write below (the writes
    // take about a second; two minutes leave room for a loaded machine).
    let later_millis = wall_clock_millis() + 120_000;
    let later = rapport_core::Timestamp::from_millis(later_millis).to_rfc3339();
    let as_ofs = ["2026-06-01T00:00:00Z", later.as_str()];
    let account_paths = [
        format!("/api/intelligence/success-metrics/{id}/goals"),
        "/api/alerts?status=all".to_string(),
        "/api/accounts".to_string(),
    ];
    // Every report is asked for once before the writes, so the server's
    // caches hold what the writes must invalidate.
    for as_of in as_ofs {
        for (_, path) in reports_at(&id, as_of) {
            api_json(&address, &path);
        }
    }
    for path in &account_paths {
        api_json(&address, path);
    }
    let engagement_model = api_json(
        &address,
        &format!("/api/intelligence/engagement/{id}?asOf={later}"),
    )["model"]
        .as_str()
        .unwrap()
        .to_string();

    // Writes through both surfaces.
    let goal_file = work.path().join("goal.json");
    std::fs::write(&goal_file, GOAL_JSON).unwrap();
    let added = rapport(
        &db,
        &[
            "--as",
            "lee",
            "goals",
            "add",
            "acc-0001",
            "--file",
            goal_file.to_str().unwrap(),
        ],
    );
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    let (status, body) = http_send(
        &address,
        "PUT",
        &format!("/api/intelligence/overrides/{id}/health"),
        Some(r#"{"value": 72, "reason": "Exec sponsor confirmed renewal"}"#),
    );
    assert_eq!(status, 201, "{body}");
    let overridden = rapport(
        &db,
        &[
            "override",
            "set",
            "acc-0001",
            "--model",
            &engagement_model,
            "--value",
            "41",
            "--reason",
            "QBR went well",
            "--as",
            "lee",
        ],
    );
    assert_eq!(
        overridden.status.code(),
        Some(0),
        "{}",
        text(&overridden.stderr)
    );
    let evaluated = rapport(&db, &["alerts", "evaluate"]);
    assert_eq!(
        evaluated.status.code(),
        Some(0),
        "{}",
        text(&evaluated.stderr)
    );
    let alerts = api_json(&address, "/api/alerts");
    let alert = alerts[0]["id"]
        .as_i64()
        .expect("the evaluated portfolio has an unresolved alert");
    let (status, body) = http_send(
        &address,
        "POST",
        &format!("/api/alerts/{alert}/acknowledge"),
        Some("{}"),
    );
    assert_eq!(status, 200, "{body}");
    assert!(
        wall_clock_millis() < later_millis,
        "the writes took longer than the room left before {later}"
    );

    // The server has followed the CLI's goal and override into its engine
    // and its caches.
    let (_, followed) = poll(
        "the server shows the goal and the override the CLI wrote",
        Duration::from_secs(5),
        || {
            let success = api_json(
                &address,
                &format!("/api/intelligence/success-metrics/{id}?asOf={later}"),
            );
            let engagement = api_json(
                &address,
                &format!("/api/intelligence/engagement/{id}?asOf={later}"),
            );
            let goal_shown = success["goals"]
                .as_array()
                .unwrap()
                .iter()
                .any(|goal| goal["title"] == "Enable self-service");
            let override_shown = engagement["scoreOverride"]["override"]["value"] == 41.0;
            (goal_shown && override_shown).then_some(())
        },
    );
    println!("the server showed the CLI's writes {followed:?} after the writes ended");
    let health = api_json(
        &address,
        &format!("/api/intelligence/health/{id}?asOf={later}"),
    );
    assert_eq!(
        health["scoreOverride"]["override"]["value"], 72.0,
        "{health}"
    );
    let listed = api_json(&address, "/api/alerts?status=acknowledged");
    assert_eq!(listed[0]["id"], alert, "{listed}");

    for as_of in as_ofs {
        for (args, path) in reports_at(&id, as_of) {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            assert_cli_is_api(&db, &address, &args, &path);
        }
    }
    let [goals, alerts, accounts] = &account_paths;
    assert_cli_is_api(
        &db,
        &address,
        &["goals", "list", "acc-0001", "--format", "json"],
        goals,
    );
    assert_cli_is_api(
        &db,
        &address,
        &["alerts", "list", "--status", "all", "--format", "json"],
        alerts,
    );
    assert_cli_is_api(&db, &address, &["accounts", "--format", "json"], accounts);

    // The Markdown too: the API's `format=md` is the CLI's document, from the
    // same template over the same structure.
    let as_of = as_ofs[0];
    for (command, path) in [
        ("engagement", format!("/api/intelligence/engagement/{id}")),
        ("health", format!("/api/intelligence/health/{id}")),
        ("success", format!("/api/intelligence/success-metrics/{id}")),
        (
            "portfolio",
            "/api/intelligence/engagement-overview".to_string(),
        ),
    ] {
        let mut args = vec![command];
        if command != "portfolio" {
            args.push("acc-0001");
        }
        args.extend(["--as-of", as_of]);
        let cli = rapport(&db, &args);
        assert_eq!(cli.status.code(), Some(0), "{}", text(&cli.stderr));
        let (status, api) = http_get(&address, &format!("{path}?asOf={as_of}&format=md"));
        assert_eq!(status, 200, "{path}: {api}");
        assert_eq!(
            text(&cli.stdout),
            api,
            "`rapport {}` and {path}?format=md",
            args.join(" ")
        );
    }
}

#[test]
fn a_running_server_sees_a_cli_import_within_a_second() {
    let work = tempfile::tempdir().unwrap();
    let db = imported_portfolio(work.path(), "4", "20");
    let (_server, address) = serve(&db);
    let engagement = "/api/intelligence/engagement/late-1?asOf=2026-06-01T00:00:00Z";
    let (status, body) = http_get(&address, engagement);
    assert_eq!(status, 404, "{body}");

    let header = std::fs::read_to_string(work.path().join("data").join("accounts.csv"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let accounts = work.path().join("late-accounts.csv");
    std::fs::write(
        &accounts,
        format!(
            "{header}\nlate-1,Latecomer Ltd,growth,42000,25,Dana Reyes,active,2025-06-01,2027-06-01,Software,Joseph Wilson,false\n"
        ),
    )
    .unwrap();
    let imported = rapport(&db, &["import", "accounts", accounts.to_str().unwrap()]);
    let exited = Instant::now();
    assert_eq!(
        imported.status.code(),
        Some(0),
        "{}",
        text(&imported.stderr)
    );
    let (before, _) = poll(
        "the imported account's engagement",
        Duration::from_secs(5),
        || {
            let (status, body) = http_get(&address, engagement);
            assert!(status == 200 || status == 404, "{status} {body}");
            (status == 200).then(|| serde_json::from_str::<serde_json::Value>(&body).unwrap())
        },
    );
    let account_delay = exited.elapsed();
    println!("a CLI-imported account was served {account_delay:?} after the import exited");
    assert_eq!(before["accountName"], "Latecomer Ltd");
    assert!(
        account_delay < Duration::from_secs(1),
        "the new account took {account_delay:?}"
    );

    let mut lines = Vec::new();
    for day in 1..=20 {
        let at = format!("2026-05-{day:02}T10:00:00Z");
        lines.push(format!(
            r#"{{"id":"late-login-{day}","type":"login","account":"late-1","at":"{at}","user":"u{}@latecomer.example"}}"#,
            day % 4
        ));
        lines.push(format!(
            r#"{{"id":"late-mail-{day}","type":"email","account":"late-1","at":"{at}","direction":"inbound","thread":"t-late-{day}","from":"ops@latecomer.example","to":["dana.reyes@rapport-cs.example"],"subject":"Rollout"}}"#
        ));
    }
    let activities = work.path().join("late-activities.jsonl");
    std::fs::write(&activities, lines.join("\n") + "\n").unwrap();
    let imported = rapport(&db, &["import", "activities", activities.to_str().unwrap()]);
    let exited = Instant::now();
    assert_eq!(
        imported.status.code(),
        Some(0),
        "{}",
        text(&imported.stderr)
    );
    assert_eq!(
        text(&imported.stdout).trim(),
        "imported 40, unchanged 0, rejected 0"
    );
    let (after, _) = poll(
        "the imported activities in the account's facts",
        Duration::from_secs(5),
        || {
            let after = api_json(&address, engagement);
            (after["factors"] != before["factors"]).then_some(after)
        },
    );
    let activity_delay = exited.elapsed();
    println!("CLI-imported activities were scored {activity_delay:?} after the import exited");
    assert!(
        activity_delay < Duration::from_secs(1),
        "the new activities took {activity_delay:?}"
    );
    let login = after["factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|factor| factor["key"] == "login_frequency")
        .unwrap();
    assert!(login["current"].as_f64().unwrap() > 0.0, "{login}");
    // And what the server shows is what the CLI computes.
    assert_eq!(
        cli_json(
            &db,
            &[
                "engagement",
                "late-1",
                "--as-of",
                "2026-06-01T00:00:00Z",
                "--format",
                "json"
            ]
        ),
        after
    );
}

#[test]
fn concurrent_writers_never_fail_and_the_override_trail_chains() {
    const ROUNDS: usize = 15;
    let work = tempfile::tempdir().unwrap();
    let db = imported_portfolio(work.path(), "4", "20");
    let (_server, address) = serve(&db);
    add_user(&db, "cli", "leader");
    let id = api_json(&address, "/api/accounts")
        .as_array()
        .unwrap()
        .iter()
        .find(|account| account["externalId"] == "acc-0002")
        .map(|account| account["id"].as_str().unwrap().to_string())
        .unwrap();
    let goals_path = format!("/api/intelligence/success-metrics/{id}/goals");
    let goals_before = api_json(&address, &goals_path).as_array().unwrap().len();
    let goal_file = work.path().join("goal.json");
    std::fs::write(
        &goal_file,
        GOAL_JSON.replace("Enable self-service", "CLI goal"),
    )
    .unwrap();

    let started = Instant::now();
    // Each writer reports its statuses, the goal ids it was given and how many
    // override sets it made.
    let api_writer = {
        let address = address.clone();
        let id = id.clone();
        std::thread::spawn(move || {
            let (mut statuses, mut goal_ids, mut sets) = (Vec::new(), Vec::new(), 0);
            for round in 0..ROUNDS {
                let (status, body) = http_send(
                    &address,
                    "PUT",
                    &format!("/api/intelligence/overrides/{id}/health"),
                    Some(&format!(
                        r#"{{"value": {}, "reason": "API round {round}"}}"#,
                        10 + round
                    )),
                );
                if status == 200 || status == 201 {
                    sets += 1;
                }
                statuses.push((status, body));
                let goal = GOAL_JSON.replace("Enable self-service", &format!("API goal {round}"));
                let (status, body) = http_send(
                    &address,
                    "POST",
                    &format!("/api/intelligence/success-metrics/{id}/goals"),
                    Some(&goal),
                );
                if status == 201 {
                    let goal: serde_json::Value = serde_json::from_str(&body).unwrap();
                    goal_ids.push(goal["id"].as_str().unwrap().to_string());
                }
                statuses.push((status, body));
            }
            (statuses, goal_ids, sets)
        })
    };
    let cli_overrides = {
        let db = db.clone();
        std::thread::spawn(move || {
            let mut failures = Vec::new();
            let mut sets = 0;
            for round in 0..ROUNDS {
                let value = (60 + round).to_string();
                let reason = format!("CLI round {round}");
                let output = rapport(
                    &db,
                    &[
                        "override", "set", "acc-0002", "--model", "health", "--value", &value,
                        "--reason", &reason, "--as", "cli",
                    ],
                );
                if output.status.code() == Some(0) {
                    sets += 1;
                } else {
                    failures.push(text(&output.stderr));
                }
            }
            (failures, sets)
        })
    };
    let cli_goals = {
        let db = db.clone();
        let goal_file = goal_file.clone();
        std::thread::spawn(move || {
            let (mut failures, mut goal_ids) = (Vec::new(), Vec::new());
            for _ in 0..ROUNDS {
                let output = rapport(
                    &db,
                    &[
                        "--as",
                        "cli",
                        "goals",
                        "add",
                        "acc-0002",
                        "--file",
                        goal_file.to_str().unwrap(),
                    ],
                );
                if output.status.code() == Some(0) {
                    // "added goal-N (CLI goal) with metrics goal-N-m1"
                    let stdout = text(&output.stdout);
                    goal_ids.push(stdout.split_whitespace().nth(1).unwrap().to_string());
                } else {
                    failures.push(text(&output.stderr));
                }
            }
            (failures, goal_ids)
        })
    };
    let (api_statuses, api_goal_ids, api_sets) = api_writer.join().unwrap();
    let (override_failures, cli_sets) = cli_overrides.join().unwrap();
    let (goal_failures, cli_goal_ids) = cli_goals.join().unwrap();
    println!(
        "{} API requests and {} CLI processes wrote in {:?}",
        api_statuses.len(),
        2 * ROUNDS,
        started.elapsed()
    );

    let server_errors: Vec<_> = api_statuses
        .iter()
        .filter(|(status, _)| *status >= 500)
        .collect();
    assert!(server_errors.is_empty(), "5xx answers: {server_errors:?}");
    let refused: Vec<_> = api_statuses
        .iter()
        .filter(|(status, _)| !(200..300).contains(status))
        .collect();
    assert!(refused.is_empty(), "API writes refused: {refused:?}");
    assert!(override_failures.is_empty(), "{override_failures:?}");
    assert!(goal_failures.is_empty(), "{goal_failures:?}");
    assert_eq!((api_sets, cli_sets), (ROUNDS, ROUNDS));
    assert_eq!((api_goal_ids.len(), cli_goal_ids.len()), (ROUNDS, ROUNDS));

    // Every goal the writers were given is stored, once, under its own id.
    let goals = api_json(&address, &goals_path);
    let goals = goals.as_array().unwrap();
    assert_eq!(goals.len(), goals_before + 2 * ROUNDS);
    let mut stored: Vec<&str> = goals
        .iter()
        .map(|goal| goal["id"].as_str().unwrap())
        .collect();
    stored.sort_unstable();
    stored.dedup();
    assert_eq!(stored.len(), goals.len(), "a goal id given twice");
    for given in api_goal_ids.iter().chain(&cli_goal_ids) {
        assert!(stored.contains(&given.as_str()), "{given} is not stored");
    }

    // The audit trail holds every set, and chains in time order.
    let trail = api_json(
        &address,
        &format!("/api/intelligence/overrides/{id}?asOf=2100-01-01"),
    );
    let history = trail["history"].as_array().unwrap();
    assert_eq!(history.len(), api_sets + cli_sets);
    // The server's writes are the signed-in admin's, the command line's `--as cli`.
    for author in ["admin", "cli"] {
        assert_eq!(
            history
                .iter()
                .filter(|event| event["author"] == author)
                .count(),
            ROUNDS,
            "{author}'s events"
        );
    }
    assert_eq!(
        history[0]["old"],
        serde_json::Value::Null,
        "{:?}",
        history[0]
    );
    let switches = history
        .windows(2)
        .filter(|pair| pair[0]["author"] != pair[1]["author"])
        .count();
    println!(
        "the trail of {} events switches writer {switches} times",
        history.len()
    );
    let mut previous: Option<&serde_json::Value> = None;
    for event in history {
        if let Some(previous) = previous {
            assert_eq!(event["old"], previous["new"], "{previous} then {event}");
            let at = |event: &serde_json::Value| {
                rapport_core::Timestamp::parse_rfc3339(event["at"].as_str().unwrap()).unwrap()
            };
            assert!(at(previous) <= at(event), "{previous} then {event}");
        }
        previous = Some(event);
    }
    assert_eq!(
        trail["overrides"][0]["value"],
        history.last().unwrap()["new"]
    );
}

/// Every percentile rank the reports print is an English ordinal ("1st",
/// "22nd", "83rd", "112th"), never "1th" (issue 20, item 18).
#[test]
fn percentile_ranks_are_written_as_ordinals() {
    let work = tempfile::tempdir().unwrap();
    let db = imported_portfolio(work.path(), "24", "60");
    let accounts = cli_json(&db, &["accounts", "--format", "json"]);
    let mut ranks = 0;
    for account in accounts.as_array().unwrap() {
        let id = account["externalId"].as_str().unwrap();
        for command in ["engagement", "success"] {
            let output = rapport(&db, &[command, id, "--as-of", "2026-05-31"]);
            assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
            let page = text(&output.stdout);
            for word in page.split(|c: char| !c.is_ascii_alphanumeric()) {
                let Some(number) = ["st", "nd", "rd", "th"]
                    .iter()
                    .find_map(|suffix| word.strip_suffix(suffix))
                    .filter(|number| {
                        !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())
                    })
                else {
                    continue;
                };
                ranks += 1;
                let value: u64 = number.parse().unwrap();
                let expected = match (value % 10, value % 100) {
                    (_, 11..=13) => "th",
                    (1, _) => "st",
                    (2, _) => "nd",
                    (3, _) => "rd",
                    _ => "th",
                };
                assert_eq!(
                    &word[number.len()..],
                    expected,
                    "`{word}` in `rapport {command} {id}`"
                );
            }
        }
    }
    assert!(ranks > 20, "only {ranks} ranks printed");
}

/// No report's JSON carries a negative zero (`-0.0`): a figure that rounds to
/// nothing has no sign (issue 20, item 17; the API writes through the same
/// JSON writer).
#[test]
fn report_json_never_carries_a_negative_zero() {
    let work = tempfile::tempdir().unwrap();
    let db = imported_portfolio(work.path(), "24", "60");
    let accounts = cli_json(&db, &["accounts", "--format", "json"]);
    for account in accounts.as_array().unwrap() {
        let id = account["externalId"].as_str().unwrap();
        for command in ["engagement", "success", "health"] {
            let output = rapport(
                &db,
                &[command, id, "--as-of", "2026-05-31", "--format", "json"],
            );
            assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
            let body = text(&output.stdout);
            assert!(
                !body.contains("-0.0,") && !body.contains("-0.0\n") && !body.contains("-0.0]"),
                "`rapport {command} {id}` writes a negative zero"
            );
        }
    }
}

/// Only the commands meant to create a store create one: any other names a
/// missing store as an error, exit 2, and creates nothing (issue 20, item 13).
#[test]
fn a_missing_store_is_an_error_not_a_new_empty_one() {
    let work = tempfile::tempdir().unwrap();
    let missing = work.path().join("nonexistent/dir/x.db");
    for args in [
        &["accounts"][..],
        &["engagement", "acc-0001"],
        &["alerts", "list"],
        &["override", "list", "acc-0001"],
    ] {
        let output = rapport(&missing, args);
        assert_eq!(output.status.code(), Some(2), "rapport {}", args.join(" "));
        assert!(
            text(&output.stderr).contains("does not exist"),
            "rapport {}: {}",
            args.join(" "),
            text(&output.stderr)
        );
    }
    assert!(
        !work.path().join("nonexistent").exists(),
        "a folder was created"
    );
    // `import` is meant to create one.
    let data = work.path().join("data");
    generate(&data, "3", "10");
    let created = work.path().join("new/rapport.db");
    let imported = rapport(&created, &["import", data.to_str().unwrap()]);
    assert_eq!(
        imported.status.code(),
        Some(0),
        "{}",
        text(&imported.stderr)
    );
    assert_eq!(rapport(&created, &["accounts"]).status.code(), Some(0));
}

/// A misspelt account gets its close names as candidates, and an unknown CSM
/// is refused naming `--csm` rather than printing an empty report (issue 20,
/// item 15).
#[test]
fn misspelt_accounts_and_unknown_csms_get_suggestions() {
    let work = tempfile::tempdir().unwrap();
    let db = imported_portfolio(work.path(), "6", "30");
    let typo = rapport(&db, &["engagement", "Acme Crop", "--as-of", "2026-05-31"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        text(&typo.stderr).contains("did you mean:\n  Acme Corp (acc-0001)"),
        "{}",
        text(&typo.stderr)
    );
    let accounts = cli_json(&db, &["accounts", "--format", "json"]);
    let csm = accounts[0]["csm"].as_str().unwrap().to_string();
    for args in [
        &[
            "portfolio",
            "--csm",
            "Nobody At All",
            "--as-of",
            "2026-05-31",
        ][..],
        &["report", "weekly", "--csm", "Nobody At All"],
        &["alerts", "list", "--csm", "Nobody At All"],
    ] {
        let output = rapport(&db, args);
        assert_eq!(output.status.code(), Some(2), "rapport {}", args.join(" "));
        assert!(
            text(&output.stderr).contains("--csm: no account has the CSM `Nobody At All`"),
            "{}",
            text(&output.stderr)
        );
    }
    let close = format!("{}x", &csm[..csm.len() - 1]);
    let output = rapport(
        &db,
        &["portfolio", "--csm", &close, "--as-of", "2026-05-31"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains(&format!("did you mean {csm}")),
        "{}",
        text(&output.stderr)
    );
    let known = rapport(
        &db,
        &[
            "portfolio",
            "--csm",
            &csm.to_uppercase(),
            "--as-of",
            "2026-05-31",
        ],
    );
    assert_eq!(known.status.code(), Some(0), "{}", text(&known.stderr));
}

/// Files that start with a UTF-8 byte-order mark (as spreadsheets and Windows
/// tools write them) import like any other (issue 20, item 16, first part).
#[test]
fn files_with_a_byte_order_mark_import_whole() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    generate(&data, "3", "10");
    for file in ["accounts.csv", "contacts.csv", "activities.jsonl"] {
        let path = data.join(file);
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(std::fs::read(&path).unwrap());
        std::fs::write(&path, bytes).unwrap();
    }
    let db = work.path().join("rapport.db");
    let imported = rapport(&db, &["import", data.to_str().unwrap()]);
    assert_eq!(
        imported.status.code(),
        Some(0),
        "{}",
        text(&imported.stderr)
    );
    assert!(
        text(&imported.stderr).contains("rejected 0"),
        "{}",
        text(&imported.stderr)
    );
}

/// A reader that stops early (`rapport accounts | head -1`) closes the pipe:
/// the command ends quietly with status 0, as `cat` would, instead of
/// panicking with "Broken pipe" and status 101 (issue 20, item 11).
#[test]
fn a_closed_output_pipe_ends_the_command_quietly() {
    let work = tempfile::tempdir().unwrap();
    let db = imported_portfolio(work.path(), "6", "30");
    for args in [
        &["accounts"][..],
        &["report", "weekly"],
        &["report", "weekly", "--format", "html"],
        &["alerts", "list"],
        &["portfolio", "--format", "json"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rapport"))
            .arg("--db")
            .arg(format!("sqlite://{}", db.display()))
            .args(args)
            .env_remove("RAPPORT_DATABASE_URL")
            .env("RAPPORT_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Closed before the command has opened its store, so its first write fails.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

/// `rapport` with our team's domains set, as the calendar import needs.
fn rapport_with_team(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rapport"))
        .arg("--db")
        .arg(format!("sqlite://{}", db.display()))
        .args(args)
        .env_remove("RAPPORT_DATABASE_URL")
        .env("RAPPORT_TEAM_DOMAINS", "ourco.example")
        .env("RAPPORT_LOG", "warn")
        .output()
        .expect("the rapport binary runs")
}

/// Issue 21 (calendar): the demo's sample calendar, whose attendees are the
/// default demo's contacts, imported into a generated demo changes the
/// meeting facts of `rapport engagement`; a no-show recorded from the
/// terminal changes them again, and a re-import of the calendar changes
/// nothing, the no-show included; taken back, the facts are as before.
#[test]
fn a_calendar_import_and_a_no_show_change_the_meeting_facts() {
    let work = tempfile::tempdir().unwrap();
    let db = small_demo(work.path());
    // The CSM of acc-0001 records the no-show: their own account.
    add_user(&db, "Diego Wright", "csm");
    let facts = |db: &Path| {
        let breakdown = cli_json(
            db,
            &[
                "engagement",
                "acc-0001",
                "--as-of",
                "2026-12-01",
                "--format",
                "json",
            ],
        );
        let facts = &breakdown["facts"];
        (
            facts["meetingsCounted"].as_u64().unwrap(),
            facts["meetingsAttended"].as_u64().unwrap(),
        )
    };
    let (counted, attended) = facts(&db);

    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../rapport-demo/samples/calendar/ourco-csm-calendar.ics");
    let sample = sample.to_str().unwrap();
    let without_team = rapport(&db, &["import", "calendar", sample]);
    assert_eq!(without_team.status.code(), Some(2));
    assert!(text(&without_team.stderr).contains("no team domains are set"));

    let first = rapport_with_team(
        &db,
        &["import", "calendar", sample, "--until", "2027-01-01"],
    );
    let stderr = text(&first.stderr);
    assert_eq!(first.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("no account for \"Intro: Northwind Traders\" (1 occurrence)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "all-day event skipped (not a meeting): \"Acme Corp at OurCo Summit (Boston)\""
        ),
        "{stderr}"
    );
    // The range ends on 1 January whenever the test runs: 16 meetings (12
    // weekly syncs, the workshop, the QBR, Harborside's two). In the 30 days
    // to 1 December: three weekly syncs (one moved to the Monday), the
    // workshop and the QBR, all held.
    assert_eq!(facts(&db), (counted + 5, attended + 5));

    let listed = cli_json(&db, &["meetings", "list", "acc-0001", "--format", "json"]);
    let qbr = listed["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|meeting| meeting["kind"] == "qbr")
        .unwrap();
    let qbr_id = qbr["id"].as_str().unwrap().to_string();
    assert_eq!(qbr_id, "6h2j4k8l0m1n3p5q7r9s2t4u6v@google.com");
    let no_show = rapport(
        &db,
        &[
            "meetings",
            "no-show",
            "acc-0001",
            "--meeting",
            &qbr_id,
            "--as",
            "Diego Wright",
        ],
    );
    assert_eq!(no_show.status.code(), Some(0), "{}", text(&no_show.stderr));
    assert!(text(&no_show.stdout).starts_with("No-show recorded for 6h2j4k8l"));
    assert_eq!(facts(&db), (counted + 5, attended + 4));

    let again = rapport_with_team(
        &db,
        &["import", "calendar", sample, "--until", "2027-01-01"],
    );
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(text(&again.stdout).starts_with("imported 0, unchanged 16, rejected 0"));
    assert_eq!(facts(&db), (counted + 5, attended + 4));
    let missed = cli_json(
        &db,
        &[
            "engagement",
            "acc-0001",
            "--as-of",
            "2026-12-01",
            "--format",
            "json",
        ],
    );
    assert!(
        missed["rootCauses"]
            .to_string()
            .contains("\"status\":\"no_show\""),
        "the no-show is evidence of the attendance factor"
    );

    // Taken back: the customer attended after all; the facts are as before.
    let taken_back = rapport(
        &db,
        &[
            "meetings",
            "attended",
            "acc-0001",
            "--meeting",
            &qbr_id,
            "--as",
            "Diego Wright",
        ],
    );
    assert_eq!(
        taken_back.status.code(),
        Some(0),
        "{}",
        text(&taken_back.stderr)
    );
    assert!(text(&taken_back.stdout).starts_with("No-show taken back for 6h2j4k8l"));
    assert_eq!(facts(&db), (counted + 5, attended + 5));
}

/// Issue 21 (mail): the demo's sample mailbox, whose addresses are the
/// default demo's contacts, imported into a generated demo changes Acme
/// Corp's e-mail facts: three e-mails of ours, two of them answered (one
/// answer joins its thread through `References` alone), two threads the
/// customer opened (one from an address that is no contact, on Acme's
/// domain). The newsletter is listed without an account, the message with a
/// broken `Date` is dated from its mbox `From ` line, and a re-import stores
/// nothing twice.
#[test]
fn a_mailbox_import_changes_the_email_facts() {
    let work = tempfile::tempdir().unwrap();
    let db = small_demo(work.path());
    let facts = |db: &Path| {
        let breakdown = cli_json(
            db,
            &[
                "engagement",
                "acc-0001",
                "--as-of",
                "2026-12-01",
                "--format",
                "json",
            ],
        );
        let facts = &breakdown["facts"];
        [
            "outboundEmails",
            "respondedEmails",
            "customerInitiatedContacts",
            "touchpoints",
        ]
        .map(|name| facts[name].as_u64().unwrap())
    };
    let before = facts(&db);

    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../rapport-demo/samples/mail/ourco-csm-mailbox.mbox");
    let sample = sample.to_str().unwrap();
    let without_team = rapport(&db, &["import", "mail", sample]);
    assert_eq!(without_team.status.code(), Some(2));
    assert!(text(&without_team.stderr).contains("no team domains are set"));

    let first = rapport_with_team(&db, &["import", "mail", sample]);
    let stderr = text(&first.stderr);
    assert_eq!(first.status.code(), Some(0), "{stderr}");
    assert_eq!(
        text(&first.stdout),
        "imported 10, unchanged 0, rejected 0, without an account 1\n"
    );
    assert!(
        stderr.contains(
            "ourco-csm-mailbox.mbox:9 (line 213) <weekly-2026-47@saas-weekly.example>: \
             no account has news@saas-weekly.example as a contact or a contact's domain"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "the Date `Fri, 20 Nov 2026 25:61:00 -0500` is not a date; \
             dated 2026-11-20T14:03:00Z from its mbox From line"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("12 messages in 1 file"), "{stderr}");
    assert!(stderr.contains("internal 1"), "{stderr}");
    let after = facts(&db);
    assert_eq!(
        after,
        [before[0] + 3, before[1] + 2, before[2] + 2, before[3] + 7],
        "outbound, responded, customer-initiated, touchpoints: {before:?} → {after:?}"
    );

    let again = rapport_with_team(&db, &["import", "mail", sample]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(text(&again.stdout).starts_with("imported 0, unchanged 10, rejected 0"));
    assert_eq!(facts(&db), after);
}

/// The CRM samples (crates/rapport-demo/samples/crm).
fn crm_sample(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../rapport-demo/samples/crm")
        .join(name)
}

/// Issue 21, part 5: a Salesforce-shaped accounts and contacts export through
/// the `salesforce` preset; a re-import changes nothing, a changed row is one
/// update; a custom mapping reads the org's own tier, ARR and US dates; bad
/// rows and unusable mappings are reported with the documented statuses.
#[test]
fn crm_exports_import_through_a_mapping_idempotently() {
    let work = tempfile::tempdir().unwrap();
    let db = work.path().join("rapport.db");
    let accounts = work.path().join("Accounts.csv");
    std::fs::copy(crm_sample("salesforce-accounts.csv"), &accounts).unwrap();
    let contacts = crm_sample("salesforce-contacts.csv");
    let accounts_arg = accounts.to_str().unwrap();
    let contacts_arg = contacts.to_str().unwrap();
    let import = |kind: &str, file: &str, mapping: &str| {
        let output = rapport(&db, &["import", kind, file, "--mapping", mapping]);
        (
            output.status.code(),
            text(&output.stdout).trim().to_string(),
            text(&output.stderr),
        )
    };

    let (code, stdout, stderr) = import("crm-accounts", accounts_arg, "salesforce");
    assert_eq!(
        (code, stdout.as_str()),
        (Some(0), "imported 5, unchanged 0, rejected 0"),
        "{stderr}"
    );
    let listed = cli_json(&db, &["accounts", "--format", "json"]);
    let mut shown: Vec<(String, String, String, String)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|account| {
            let field = |name: &str| account[name].as_str().unwrap().to_string();
            (
                field("externalId"),
                field("name"),
                field("tier"),
                field("csm"),
            )
        })
        .collect();
    shown.sort();
    let row = |id: &str, name: &str, csm: &str| {
        (
            id.to_string(),
            name.to_string(),
            "core".to_string(),
            csm.to_string(),
        )
    };
    assert_eq!(
        shown,
        [
            row("0015g00000NrTqAAAR", "Northwind Traders", "Dana Whitfield"),
            row("0015g00000NrTqBAAR", "Globex, Inc.", "Marco Ruiz"),
            row("0015g00000NrTqCAAR", "Initech", "Dana Whitfield"),
            row("0015g00000NrTqDAAR", "Umbrella Health", "Priya Natarajan"),
            row("0015g00000NrTqEAAR", "Vandelay Industries", "Marco Ruiz"),
        ]
    );
    // Annual Revenue is not ARR.
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|account| account["arr"] == 0.0)
    );

    let (code, stdout, stderr) = import("crm-contacts", contacts_arg, "salesforce");
    assert_eq!(
        (code, stdout.as_str()),
        (Some(0), "imported 7, unchanged 0, rejected 0"),
        "{stderr}"
    );
    assert!(
        stderr.contains("store now holds 5 accounts, 7 contacts"),
        "{stderr}"
    );

    // The same exports again: everything unchanged.
    let (code, stdout, _) = import("crm-accounts", accounts_arg, "salesforce");
    assert_eq!(
        (code, stdout.as_str()),
        (Some(0), "imported 0, unchanged 5, rejected 0")
    );
    let (code, stdout, _) = import("crm-contacts", contacts_arg, "salesforce");
    assert_eq!(
        (code, stdout.as_str()),
        (Some(0), "imported 0, unchanged 7, rejected 0")
    );

    // One row changed in the CRM: one update.
    let changed = std::fs::read_to_string(&accounts)
        .unwrap()
        .replace("\"Initech\",", "\"Initech Global\",");
    std::fs::write(&accounts, changed).unwrap();
    let (code, stdout, stderr) = import("crm-accounts", accounts_arg, "salesforce");
    assert_eq!(
        (code, stdout.as_str()),
        (Some(0), "imported 1, unchanged 4, rejected 0")
    );
    assert!(stderr.contains("(0 new, 1 updated)"), "{stderr}");
    let listed = cli_json(&db, &["accounts", "--format", "json"]);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|account| account["name"] == "Initech Global"),
        "{listed}"
    );

    // The org's own fields through a copy of the preset.
    let mapping = work.path().join("our-salesforce.toml");
    std::fs::write(
        &mapping,
        r#"[accounts]
id = "Account ID"
name = "Account Name"
tier = { column = "Customer Tier", values = { "Enterprise" = "strategic", "Mid-Market" = "growth", "SMB" = "core" }, default = "core" }
arr = "ARR"
renewal_date = { column = "Renewal Date", format = "%m/%d/%Y" }
csm = "Account Owner"
"#,
    )
    .unwrap();
    let (code, stdout, stderr) = import("crm-accounts", accounts_arg, mapping.to_str().unwrap());
    assert_eq!(
        (code, stdout.as_str()),
        (Some(0), "imported 5, unchanged 0, rejected 0"),
        "{stderr}"
    );
    let listed = cli_json(&db, &["accounts", "--format", "json"]);
    let northwind = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|account| account["externalId"] == "0015g00000NrTqAAAR")
        .unwrap();
    assert_eq!(
        (
            &northwind["tier"],
            &northwind["arr"],
            &northwind["renewalDate"]
        ),
        (
            &serde_json::json!("strategic"),
            &serde_json::json!(1_200_000.0),
            &serde_json::json!("2026-03-31")
        )
    );

    // A contact of an account the store does not hold is rejected naming
    // it; the others are kept (unchanged): exit 1.
    let with_unknown = work.path().join("Contacts.csv");
    let mut text_of_contacts = std::fs::read_to_string(&contacts).unwrap();
    // Before the export's Salesforce footer (which is skipped).
    let footer = text_of_contacts.find("\n\"\"\n").unwrap() + 1;
    text_of_contacts.insert_str(
        footer,
        "\"0035g00000Kx1aZAAR\",\"0015g00000ZZZZZAAR\",\"Gone Co\",\"Ida\",\"Ng\",\"CFO\",\"ida@gone.example\",\"\",\"\",\"\"\n",
    );
    std::fs::write(&with_unknown, text_of_contacts).unwrap();
    let (code, stdout, stderr) =
        import("crm-contacts", with_unknown.to_str().unwrap(), "salesforce");
    assert_eq!(
        (code, stdout.as_str()),
        (Some(1), "imported 0, unchanged 7, rejected 1")
    );
    assert!(
        stderr.contains(&format!(
            "{}:9: field `account` (column `Account ID`): unknown account `0015g00000ZZZZZAAR`",
            with_unknown.display()
        )),
        "{stderr}"
    );

    // The HubSpot preset on a Salesforce export: the file is refused naming
    // the columns it lacks, nothing imported: exit 2.
    let (code, _, stderr) = import("crm-accounts", accounts_arg, "hubspot");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("bad header: no column `Record ID` (read for `id`)"),
        "{stderr}"
    );

    // Mappings that cannot be used, and --mapping where it means nothing.
    let (code, _, stderr) = import("crm-accounts", accounts_arg, "pipedrive");
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains(
            "mapping `pipedrive` is neither a preset (salesforce, hubspot) nor a readable file"
        ),
        "{stderr}"
    );
    let (code, _, stderr) = import("crm-contacts", contacts_arg, mapping.to_str().unwrap());
    assert_eq!(code, Some(2));
    assert!(stderr.contains("has no [contacts] section"), "{stderr}");
    let output = rapport(&db, &["import", "crm-accounts", accounts_arg]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("needs --mapping"),
        "{}",
        text(&output.stderr)
    );
    let (code, _, stderr) = import("accounts", accounts_arg, "salesforce");
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("--mapping is for `rapport import crm-accounts|crm-contacts FILE.csv`"),
        "{stderr}"
    );
}

/// Issue 21 (help desk): the demo's Zendesk samples, whose requesters are the
/// default demo's contacts, imported into a generated demo change Acme Corp's
/// ticket facts: four more tickets, and of the two rated ones the bad rating
/// counts once (on the ticket's latest record). Tickets of no account are
/// listed, a re-import stores nothing twice, a bad ticket is rejected by line
/// and field (exit 1) and a CSV without a required column imports nothing
/// (exit 2).
#[test]
fn helpdesk_a_ticket_export_changes_the_ticket_facts() {
    let work = tempfile::tempdir().unwrap();
    let db = small_demo(work.path());
    let facts = |db: &Path, account: &str| {
        let breakdown = cli_json(
            db,
            &[
                "engagement",
                account,
                "--as-of",
                "2026-12-01",
                "--format",
                "json",
            ],
        );
        let facts = &breakdown["facts"];
        (
            facts["supportInteractions"].as_f64().unwrap(),
            facts["ticketSentiment"].as_f64(),
            facts["negativeInteractions"].as_u64().unwrap(),
        )
    };
    let before = facts(&db, "acc-0001");

    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rapport-demo/samples/helpdesk");
    let csv = samples.join("zendesk-tickets.csv");
    let csv = csv.to_str().unwrap();
    let first = rapport(&db, &["import", "tickets", csv]);
    let stderr = text(&first.stderr);
    assert_eq!(first.status.code(), Some(0), "{stderr}");
    assert_eq!(
        text(&first.stdout),
        "imported 18, unchanged 0, rejected 0, without an account 2\n"
    );
    assert!(
        stderr.contains(&format!(
            "{csv}:12: ticket 4811: requester: no account has jo.public@gmail.com as a contact \
             or a contact's domain; no organization"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("12 tickets: records imported 18, unchanged 0; tickets rejected 0"),
        "{stderr}"
    );
    let after = facts(&db, "acc-0001");
    assert_eq!(after.0, before.0 + 4.0, "{before:?} → {after:?}");
    assert_eq!(after.2, before.2 + 1, "{before:?} → {after:?}");
    // The demo's three rated tickets (two not negative), then 4801 bad and
    // 4803 good: three of five.
    assert_eq!(before.1, Some(200.0 / 3.0));
    assert_eq!(after.1, Some(60.0));

    let again = rapport(&db, &["import", "tickets", csv]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert_eq!(
        text(&again.stdout),
        "imported 0, unchanged 18, rejected 0, without an account 2\n"
    );
    assert_eq!(facts(&db, "acc-0001"), after);

    // The API's JSON with side-loads: Copperpath by its organization's
    // domain, the gmail.com requester not guessed.
    let copperpath = facts(&db, "acc-0005");
    let json = samples.join("zendesk-tickets.json");
    let from_api = rapport(&db, &["import", "tickets", json.to_str().unwrap()]);
    assert_eq!(
        from_api.status.code(),
        Some(0),
        "{}",
        text(&from_api.stderr)
    );
    assert_eq!(
        text(&from_api.stdout),
        "imported 7, unchanged 0, rejected 0, without an account 1\n"
    );
    let copperpath_after = facts(&db, "acc-0005");
    assert_eq!(copperpath_after.0, copperpath.0 + 1.0);
    assert_eq!(copperpath_after.2, copperpath.2 + 1);

    // A bad ticket is rejected, naming its line and field; the rest is kept.
    let bad = work.path().join("bad.csv");
    std::fs::write(
        &bad,
        "Id,Requester email,Status,Created at,Updated at\n\
         9001,sarah.chen@acme-corp.example,open,2026-11-20 10:00:00,\n\
         9002,sarah.chen@acme-corp.example,escalated,2026-11-20 10:00:00,\n",
    )
    .unwrap();
    let rejected = rapport(&db, &["import", "tickets", bad.to_str().unwrap()]);
    assert_eq!(rejected.status.code(), Some(1));
    assert_eq!(
        text(&rejected.stdout),
        "imported 1, unchanged 0, rejected 1, without an account 0\n"
    );
    assert!(
        text(&rejected.stderr).contains(&format!(
            "{}:3: ticket 9002: Status: `escalated` is not a Zendesk status",
            bad.display()
        )),
        "{}",
        text(&rejected.stderr)
    );

    // No `Created at` column: nothing can be read.
    let headless = work.path().join("headless.csv");
    std::fs::write(&headless, "Id,Status\n1,open\n").unwrap();
    let refused = rapport(&db, &["import", "tickets", headless.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("bad header: missing column Created at"),
        "{}",
        text(&refused.stderr)
    );
    let unknown = rapport(&db, &["import", "zendesk", csv]);
    assert!(
        text(&unknown.stderr).contains("goals, tickets, calendar"),
        "{}",
        text(&unknown.stderr)
    );
}

/// The files `generate` writes under samples/, with the source tree's copy of
/// each (crates/rapport-demo/samples).
const GENERATED_SAMPLES: [&str; 10] = [
    "README.md",
    "calendar/ourco-csm-calendar.ics",
    "mail/ourco-csm-mailbox.mbox",
    "helpdesk/zendesk-tickets.csv",
    "helpdesk/zendesk-tickets.json",
    "crm/salesforce-accounts.csv",
    "crm/salesforce-contacts.csv",
    "crm/hubspot-companies.csv",
    "crm/hubspot-contacts.csv",
    "segment/batch.json",
];

/// The files under `dir`, as `/`-separated paths relative to it, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap();
                let parts: Vec<_> = relative
                    .components()
                    .map(|part| part.as_os_str().to_str().unwrap().to_owned())
                    .collect();
                found.push(parts.join("/"));
            }
        }
    }
    found.sort();
    found
}

/// Issue 21 (item 6): `rapport generate` writes every sample of the other
/// sources under samples/ (the source tree's bytes, from the binary), and
/// `rapport import DIR` of the generated folder reads only the contract files.
/// Then the commands samples/README.md gives, run as written from the
/// generated folder, import each file into the generated portfolio (exit 0:
/// the records that find no account are meant not to), with the counts the
/// README quotes; and the Segment batch, posted to `rapport serve` under a key
/// of `rapport keys create`, is recorded, then answered as duplicates.
#[test]
fn generated_samples_import_into_the_generated_portfolio() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let generated = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args([
            "generate",
            "--accounts",
            "5",
            "--days",
            "30",
            "--end",
            "2026-12-01",
            "--out",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(generated.status.success(), "{}", text(&generated.stderr));
    assert!(
        text(&generated.stderr).contains("wrote 10 sample files of other sources"),
        "{}",
        text(&generated.stderr)
    );
    let samples = data.join("samples");
    assert_eq!(files_under(&samples), {
        let mut expected = GENERATED_SAMPLES.map(String::from).to_vec();
        expected.sort();
        expected
    });
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rapport-demo/samples");
    for sample in GENERATED_SAMPLES {
        assert!(
            std::fs::read(samples.join(sample)).unwrap()
                == std::fs::read(source.join(sample)).unwrap(),
            "samples/{sample} is not the source tree's"
        );
    }

    // The generated folder imports exactly as its contract files alone do.
    let contract = work.path().join("contract");
    std::fs::create_dir(&contract).unwrap();
    for file in [
        "accounts.csv",
        "contacts.csv",
        "features.csv",
        "activities.jsonl",
        "outcomes.csv",
        "goals.csv",
    ] {
        std::fs::copy(data.join(file), contract.join(file)).unwrap();
    }
    let db = data.join("rapport.db");
    let imported = rapport(&db, &["import", data.to_str().unwrap()]);
    assert_eq!(
        imported.status.code(),
        Some(0),
        "{}",
        text(&imported.stderr)
    );
    assert!(
        !text(&imported.stderr).contains("samples"),
        "{}",
        text(&imported.stderr)
    );
    let alone = rapport(
        &work.path().join("contract.db"),
        &["import", contract.to_str().unwrap()],
    );
    assert_eq!(alone.status.code(), Some(0), "{}", text(&alone.stderr));
    assert_eq!(text(&imported.stdout), text(&alone.stdout));

    // Each command of samples/README.md, as written, in the generated folder.
    let readme = std::fs::read_to_string(samples.join("README.md")).unwrap();
    let mut in_block = false;
    let mut commands = Vec::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_block = line == "```sh";
            continue;
        }
        let command = line.split(" #").next().unwrap().trim();
        if in_block && !command.is_empty() {
            commands.push(command.to_owned());
        }
    }
    let run = |command: &str| {
        let (team_domains, command) = match command.strip_prefix("RAPPORT_TEAM_DOMAINS=") {
            Some(rest) => {
                let (domains, command) = rest.split_once(' ').unwrap();
                (Some(domains), command)
            }
            None => (None, command),
        };
        let args: Vec<&str> = command.split_whitespace().collect();
        assert_eq!(args[0], "rapport", "{command}");
        let mut process = Command::new(env!("CARGO_BIN_EXE_rapport"));
        process
            .current_dir(&data)
            .args(&args[1..])
            .env_remove("RAPPORT_DATABASE_URL")
            .env_remove("RAPPORT_TEAM_DOMAINS")
            .env("RAPPORT_LOG", "warn");
        if let Some(domains) = team_domains {
            process.env("RAPPORT_TEAM_DOMAINS", domains);
        }
        process.output().unwrap()
    };
    let imports: Vec<&String> = commands
        .iter()
        .filter(|command| command.contains("rapport import "))
        .collect();
    assert_eq!(imports.len(), 8, "{commands:?}");
    let mut stdouts = Vec::new();
    let mut last_stderr = String::new();
    for command in imports {
        let output = run(command);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{command}: {}",
            text(&output.stderr)
        );
        let stdout = text(&output.stdout);
        assert!(stdout.contains(", rejected 0"), "{command}: {stdout}");
        stdouts.push(stdout);
        last_stderr = text(&output.stderr);
    }
    // Mail, then the two ticket exports: the counts the README quotes.
    for (stdout, quoted) in stdouts[1..4].iter().zip([
        "imported 10, unchanged 0, rejected 0, without an account 1",
        "imported 18, unchanged 0, rejected 0, without an account 2",
        "imported 7, unchanged 0, rejected 0, without an account 1",
    ]) {
        assert_eq!(stdout.lines().next(), Some(quoted));
        assert!(readme.contains(quoted), "samples/README.md lost `{quoted}`");
    }
    // The CRM samples' nine accounts are new ones.
    assert!(
        last_stderr.contains("store now holds 14 accounts"),
        "{last_stderr}"
    );

    // The tracking API: a key, the server on the same database, the batch.
    let keys = commands
        .iter()
        .find(|command| command.starts_with("rapport keys create"))
        .expect("the README creates a key");
    let created = run(keys);
    assert_eq!(created.status.code(), Some(0), "{}", text(&created.stderr));
    let created = text(&created.stdout);
    let key = created
        .lines()
        .find(|line| line.starts_with("rk_"))
        .unwrap_or_else(|| panic!("no key in {created}"));
    let curl = commands
        .iter()
        .find(|command| command.starts_with("curl"))
        .expect("the README posts the batch");
    assert!(
        curl.contains("--data @samples/segment/batch.json")
            && curl.ends_with("http://127.0.0.1:8080/v1/batch"),
        "{curl}"
    );
    let batch = std::fs::read_to_string(samples.join("segment/batch.json")).unwrap();
    let as_of = (chrono::Utc::now() + chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let logins = |account: &str| {
        cli_json(
            &db,
            &["engagement", account, "--as-of", &as_of, "--format", "json"],
        )["facts"]["logins"]
            .as_u64()
            .unwrap()
    };
    let before = (logins("acc-0001"), logins("acc-0002"));
    let (_server, address) = serve(&db);
    let post = || {
        let mut stream = TcpStream::connect(&address).unwrap();
        write!(
            stream,
            "POST /v1/batch HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
             Authorization: Bearer {key}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{batch}",
            batch.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{response}");
        serde_json::from_str::<serde_json::Value>(body).unwrap()
    };
    assert_eq!(
        post(),
        serde_json::json!({"success": true, "recorded": 14, "held": 0, "ignored": 2,
                           "duplicates": 0, "errors": []})
    );
    assert!(readme.contains(
        r#"`{"success":true,"recorded":14,"held":0,"ignored":2,"duplicates":0,"errors":[]}`"#
    ));
    assert_eq!(post()["duplicates"], 16);
    // Stamped when received, less their age when sent: they count now.
    assert_eq!(
        (logins("acc-0001"), logins("acc-0002")),
        (before.0 + 2, before.1 + 1)
    );
}

/// `rapport webhooks`: a URL pointing where a webhook must not is refused
/// naming `--url`; the signing secret, read from a file or standard input,
/// is never printed (add, list, list as JSON) and is not in the database's
/// files in plain text; removing says what became of waiting deliveries.
#[test]
fn webhooks_from_a_terminal_never_show_their_secret() {
    let work = tempfile::tempdir().unwrap();
    let db = small_demo(work.path());
    let secret = "terminal-signing-secret-0001";
    let refused = rapport(
        &db,
        &[
            "webhooks",
            "add",
            "--url",
            "http://169.254.169.254/latest/meta-data/",
            "--secret",
            secret,
        ],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    let reason = text(&refused.stderr);
    assert!(
        reason.contains("--url") && reason.contains("link-local"),
        "{reason}"
    );
    assert!(!reason.contains(secret), "{reason}");

    let secret_file = work.path().join("secret.txt");
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
    let added = rapport(
        &db,
        &[
            "webhooks",
            "add",
            "--url",
            "https://Hooks.Example.com/rapport",
            "--secret-file",
            secret_file.to_str().unwrap(),
        ],
    );
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    let printed = text(&added.stdout);
    assert!(
        printed.contains("https://hooks.example.com/rapport") && printed.contains("secret set"),
        "{printed}"
    );
    let mut from_stdin = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .arg("--db")
        .arg(format!("sqlite://{}", db.display()))
        .args([
            "webhooks",
            "add",
            "--url",
            "https://hooks.example.com/second",
            "--secret-file",
            "-",
        ])
        .env_remove("RAPPORT_DATABASE_URL")
        .env("RAPPORT_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    from_stdin
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{secret}-2\n").as_bytes())
        .unwrap();
    let second = from_stdin.wait_with_output().unwrap();
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));

    let listed = rapport(&db, &["webhooks", "list"]);
    let listed = text(&listed.stdout);
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(
        listed.lines().all(|line| line.contains("secret=set")),
        "{listed}"
    );
    let json = cli_json(&db, &["webhooks", "list", "--format", "json"]);
    assert_eq!(json[0]["secret"], "set");
    for output in [printed, listed, json.to_string(), text(&second.stdout)] {
        assert!(!output.contains(secret), "{output}");
    }
    for file in std::fs::read_dir(work.path()).unwrap() {
        let path = file.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("rapport.db")
        {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes
                    .windows(secret.len())
                    .any(|window| window == secret.as_bytes()),
                "{} holds the secret",
                path.display()
            );
        }
    }
    assert!(work.path().join("rapport.db.key").is_file());

    let id = json[0]["id"].as_i64().unwrap().to_string();
    let removed = rapport(&db, &["webhooks", "remove", &id]);
    assert_eq!(removed.status.code(), Some(0), "{}", text(&removed.stderr));
    assert!(text(&removed.stdout).contains("deliveries still waiting are dropped"));
}

#[test]
fn csv_exports_are_the_api_downloads_and_a_piped_password_signs_in() {
    let work = tempfile::tempdir().unwrap();
    let db = imported_portfolio(work.path(), "6", "30");
    let (_server, address) = serve(&db);

    // The CSV exports are exactly the API's downloads.
    let listed = rapport(&db, &["accounts", "--format", "csv"]);
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));
    let (status, body) = http_get(&address, "/api/accounts?format=csv");
    assert_eq!(status, 200, "{body}");
    assert_eq!(text(&listed.stdout), body);
    assert!(body.starts_with("customerId,externalId,name,"), "{body}");
    let engagement = rapport(
        &db,
        &[
            "engagement",
            "acc-0001",
            "--as-of",
            "2026-06-01T00:00:00Z",
            "--format",
            "csv",
        ],
    );
    assert_eq!(
        engagement.status.code(),
        Some(0),
        "{}",
        text(&engagement.stderr)
    );
    let accounts = api_json(&address, "/api/accounts");
    let id = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|account| account["externalId"] == "acc-0001")
        .map(|account| account["id"].as_str().unwrap().to_string())
        .unwrap();
    let (status, body) = http_get(
        &address,
        &format!("/api/intelligence/engagement/{id}?asOf=2026-06-01T00:00:00Z&format=csv"),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(text(&engagement.stdout), body);

    // A password piped in (never an argument), then a sign-in with it.
    add_user(&db, "pat", "viewer");
    let set = |password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rapport"))
            .arg("--db")
            .arg(format!("sqlite://{}", db.display()))
            .args(["users", "set-password", "pat"])
            .env_remove("RAPPORT_DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let short = set("short");
    assert_ne!(short.status.code(), Some(0));
    assert!(
        text(&short.stderr).contains("12 characters"),
        "{}",
        text(&short.stderr)
    );
    let set_output = set("a long passphrase for pat");
    assert_eq!(
        set_output.status.code(),
        Some(0),
        "{}",
        text(&set_output.stderr)
    );
    assert!(text(&set_output.stdout).contains("password set"));
    let (status, body) = http_send(
        &address,
        "POST",
        "/api/session",
        Some(r#"{"name": "pat", "password": "a long passphrase for pat"}"#),
    );
    assert_eq!(status, 201, "{body}");
    assert!(body.contains("\"role\":\"viewer\""), "{body}");
    let (status, _) = http_send(
        &address,
        "POST",
        "/api/session",
        Some(r#"{"name": "pat", "password": "a wrong passphrase for pat"}"#),
    );
    assert_eq!(status, 401);
}
