//! Calendar meetings over HTTP: a calendar imported into a small generated
//! portfolio, the account's meetings listed with their ids, a no-show
//! recorded (and the precise refusals), then the calendar imported again,
//! unchanged and changed, without undoing the no-show.

use std::io::Write;

use rapport_core::Timestamp;
use rapport_core::scoring::model::Model;
use rapport_ingest::NoProgress;
use rapport_ingest::calendar::CalendarOptions;
use reqwest::Method;
use serde_json::json;

use super::support::{get, send, serve_portfolio};

fn wall_clock() -> Timestamp {
    Timestamp::from_millis(chrono::Utc::now().timestamp_millis())
}

/// A held weekly review and one three weeks ahead, both with `contact`.
fn calendar(contact: &str, ahead: &str, title: &str) -> String {
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
        "BEGIN:VEVENT",
        "UID:held-review@google.com",
        "DTSTART:20260120T150000Z",
        "DTEND:20260120T160000Z",
        "ORGANIZER:mailto:csm@ourco.example",
        &format!("ATTENDEE;PARTSTAT=ACCEPTED:mailto:{contact}"),
        &format!("SUMMARY:{title}"),
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:next-review@google.com",
        &format!("DTSTART:{ahead}"),
        "DURATION:PT1H",
        "ORGANIZER:mailto:csm@ourco.example",
        &format!("ATTENDEE;PARTSTAT=ACCEPTED:mailto:{contact}"),
        "SUMMARY:Quarterly business review",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    .join("\r\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_show_is_recorded_over_http_and_a_calendar_reimport_keeps_it() {
    let served = serve_portfolio(3, 30, Model::prd070()).await;
    let account = rapport_core::ExternalId::parse("acc-0001").unwrap();
    let contacts = served.app.store().account_contacts(&account).unwrap();
    let contact = contacts[0].email.as_str().to_string();
    let ahead = (chrono::Utc::now() + chrono::Duration::days(21))
        .format("%Y%m%dT150000Z")
        .to_string();
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("calendar.ics");
    let import = |text: String| {
        std::fs::File::create(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let options = CalendarOptions {
            team_domains: vec!["ourco.example".into()],
            now: wall_clock(),
            until: None,
        };
        served
            .app
            .import_calendar(&path, &options, &NoProgress)
            .unwrap()
    };
    let report = import(calendar(&contact, &ahead, "Weekly business review"));
    assert_eq!((report.file.inserted, report.file.rejected.len()), (2, 0));

    let (status, listed) = get(&served, "/api/accounts/acc-0001/meetings").await;
    assert_eq!(status, 200, "{listed}");
    let held = "held-review@google.com";
    assert_eq!(listed["meetings"][0]["id"], held);
    assert_eq!(listed["meetings"][0]["status"], "attended");
    assert_eq!(listed["meetings"][0]["kind"], "qbr");
    assert_eq!(listed["meetings"][1]["status"], "scheduled");
    let next = listed["meetings"][1]["id"].as_str().unwrap().to_string();

    let no_show = format!("/api/accounts/acc-0001/meetings/{held}/no-show");
    let (status, recorded) = send(&served, Method::POST, &no_show, Some(json!({}))).await;
    assert_eq!(status, 201, "{recorded}");
    assert_eq!(recorded["meeting"]["status"], "no_show");
    assert_eq!(recorded["recordedBy"], "test admin");
    let (status, again) = send(&served, Method::POST, &no_show, Some(json!({}))).await;
    assert_eq!(
        (status, &again["recorded"]),
        (200, &json!(false)),
        "{again}"
    );

    // The refusals name what is wrong.
    let (status, error) = send(
        &served,
        Method::POST,
        &no_show,
        Some(json!({"who": "Dana"})),
    )
    .await;
    assert_eq!(status, 400, "{error}");
    assert!(error.to_string().contains("who"), "{error}");
    let (status, error) = send(&served, Method::POST, &no_show, Some(json!({"by": " "}))).await;
    assert_eq!(status, 400, "{error}");
    assert!(error.to_string().contains("by"), "{error}");
    let ahead_path = format!("/api/accounts/acc-0001/meetings/{next}/no-show");
    let (status, error) = send(&served, Method::POST, &ahead_path, Some(json!({}))).await;
    assert_eq!(status, 409, "{error}");
    assert!(
        error.to_string().contains("has not taken place yet"),
        "{error}"
    );
    let unknown = "/api/accounts/acc-0001/meetings/nope@google.com/no-show";
    let (status, error) = send(&served, Method::POST, unknown, Some(json!({}))).await;
    assert_eq!(status, 404, "{error}");

    // The same file again: nothing new. A file that says something new of
    // the occurrence (retitled: a sync now, not a review) writes a record,
    // and the no-show stands.
    let report = import(calendar(&contact, &ahead, "Weekly business review"));
    assert_eq!((report.file.inserted, report.file.unchanged), (0, 2));
    let report = import(calendar(&contact, &ahead, "Weekly sync (agenda inside)"));
    assert_eq!((report.file.inserted, report.file.unchanged), (1, 1));
    let (_, listed) = get(&served, "/api/accounts/acc-0001/meetings").await;
    assert_eq!(listed["meetings"][0]["id"], held);
    assert_eq!(listed["meetings"][0]["status"], "no_show");
    assert_eq!(listed["meetings"].as_array().unwrap().len(), 2);

    // Recorded by mistake: taken back (attended after all), then no-show again.
    let attended = format!("/api/accounts/acc-0001/meetings/{held}/attended");
    let (status, taken_back) = send(&served, Method::POST, &attended, Some(json!({}))).await;
    assert_eq!(status, 201, "{taken_back}");
    assert_eq!(taken_back["meeting"]["status"], "attended");
    let (status, again) = send(&served, Method::POST, &attended, Some(json!({}))).await;
    assert_eq!(
        (status, &again["recorded"]),
        (200, &json!(false)),
        "{again}"
    );
    let (_, listed) = get(&served, "/api/accounts/acc-0001/meetings").await;
    assert_eq!(listed["meetings"][0]["status"], "attended");
    let (status, recorded) = send(&served, Method::POST, &no_show, Some(json!({}))).await;
    assert_eq!(status, 201, "{recorded}");
    assert_eq!(recorded["meeting"]["status"], "no_show");
    // A meeting without a no-show is left as it stands.
    let (status, untouched) = send(
        &served,
        Method::POST,
        &format!("/api/accounts/acc-0001/meetings/{next}/attended"),
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (status, &untouched["recorded"]),
        (200, &json!(false)),
        "{untouched}"
    );
}
