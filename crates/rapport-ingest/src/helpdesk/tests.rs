//! Tests of the help-desk import over exports shaped as Zendesk writes them:
//! the ticket CSV, the API's JSON with side-loads, a bare array, JSON Lines.

use proptest::prelude::*;
use rapport_core::activity::{Sentiment, Severity, TicketStatus};
use rapport_core::{Activity, ActivityDetail, ExternalId};

use super::*;
use crate::{ContractFile, NoProgress};

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

/// A fresh in-memory store: Acme Corp (acme), Globex (globex), two Initech
/// accounts sharing initech.com, and their contacts.
fn store() -> std::sync::Arc<dyn rapport_store::Store> {
    let store = rapport_store::open("sqlite::memory:").unwrap();
    let folder = tempfile::tempdir().unwrap();
    let accounts = folder.path().join("accounts.csv");
    std::fs::write(
        &accounts,
        "id,name,tier\nacme,Acme Corp,core\nglobex,Globex,growth\n\
         initech-us,Initech US,core\ninitech-eu,Initech EU,core\n",
    )
    .unwrap();
    let contacts = folder.path().join("contacts.csv");
    std::fs::write(
        &contacts,
        "account,email\nacme,sarah.chen@acme.com\nacme,tom@acme.com\nglobex,it@globex.com\n\
         globex,globex.admin@gmail.com\ninitech-us,ann@initech.com\ninitech-eu,bob@initech.com\n",
    )
    .unwrap();
    for (kind, path) in [
        (ContractFile::Accounts, accounts),
        (ContractFile::Contacts, contacts),
    ] {
        let report = crate::import_file(
            &*store,
            kind,
            &path,
            at("2026-12-01T00:00:00Z"),
            &NoProgress,
        );
        assert_eq!(report.fatal, None);
    }
    store
}

fn read(text: &str, format: TicketFormat, jsonl: bool) -> TicketActivities {
    let store = store();
    let directory = ContactDirectory::new(&store.contacts().unwrap());
    read_tickets(
        text.as_bytes(),
        format,
        jsonl,
        &store.accounts().unwrap(),
        &directory,
    )
}

/// (id, account, at, ticket, status, severity, tags, sentiment, contact) of a record.
type Seen = (
    String,
    String,
    String,
    String,
    TicketStatus,
    Severity,
    Vec<String>,
    Option<Sentiment>,
    Option<String>,
);

fn seen(activity: &Activity) -> Seen {
    let ActivityDetail::Ticket {
        ticket,
        status,
        severity,
        tags,
        sentiment,
        contact,
    } = &activity.detail
    else {
        panic!("not a ticket: {activity:?}");
    };
    (
        activity.source_id.clone().unwrap(),
        activity.account.as_str().to_string(),
        activity.at.to_rfc3339(),
        ticket.clone(),
        *status,
        *severity,
        tags.clone(),
        *sentiment,
        contact.as_ref().map(|contact| contact.as_str().to_string()),
    )
}

fn records(read: &TicketActivities) -> Vec<Seen> {
    read.activities
        .iter()
        .map(|parsed| seen(&parsed.record))
        .collect()
}

fn reasons(errors: &[RecordError]) -> Vec<String> {
    errors.iter().map(ToString::to_string).collect()
}

const CSV: &str = "\u{feff}Id,Requester,Requester email,Organization,Subject,Status,Priority,\
Tags,Created at,Updated at,Satisfaction Score,Group,Assignee\n\
101,Sarah Chen,Sarah.Chen@acme.com,Acme Corp,SSO broken,Solved,High,billing feature_request,\
2026-11-02 09:15:00,2026-11-04 16:40:00,Good,Support,Dana\n\
102,Tom,tom@acme.com,,Question,New,-,,2026-11-05 10:00:00,2026-11-05 10:00:00,Unoffered,,\n\
103,New Person,new.person@globex.com,,Export fails,Hold,Urgent,escalated,\
2026-11-06T08:00:00+01:00,2026-11-07T12:00:00Z,Bad,,\n\
104,Ann,ann@initech.com,,Invoice copy,Closed,Low,,2026-10-01,2026-10-03,Not Offered,,\n\
105,Someone,someone@gmail.com,,Trial question,Open,Normal,,\
2026-11-08 09:00:00,2026-11-09 09:00:00,Offered,,\n";

#[test]
fn the_csv_export_gives_a_record_at_creation_and_one_for_the_state_now() {
    let read = read(CSV, TicketFormat::Csv, false);
    assert_eq!(reasons(&read.rejected), Vec::<String>::new());
    assert_eq!(read.tickets, 5);
    let tags = |tags: &[&str]| tags.iter().map(|tag| tag.to_string()).collect::<Vec<_>>();
    let sarah = Some("sarah.chen@acme.com".to_string());
    assert_eq!(
        records(&read),
        [
            (
                "zendesk:101:created".into(),
                "acme".into(),
                "2026-11-02T09:15:00Z".into(),
                "101".into(),
                TicketStatus::Open,
                Severity::High,
                tags(&["billing", "feature_request"]),
                None,
                sarah.clone()
            ),
            (
                "zendesk:101:2026-11-04T16:40:00Z".into(),
                "acme".into(),
                "2026-11-04T16:40:00Z".into(),
                "101".into(),
                TicketStatus::Solved,
                Severity::High,
                tags(&["billing", "feature_request"]),
                Some(Sentiment::Positive),
                sarah
            ),
            // New, not updated since: one record; no priority is normal.
            (
                "zendesk:102:created".into(),
                "acme".into(),
                "2026-11-05T10:00:00Z".into(),
                "102".into(),
                TicketStatus::Open,
                Severity::Normal,
                vec![],
                None,
                Some("tom@acme.com".into())
            ),
            // On hold is pending; the account by the requester's domain.
            (
                "zendesk:103:created".into(),
                "globex".into(),
                "2026-11-06T07:00:00Z".into(),
                "103".into(),
                TicketStatus::Open,
                Severity::Urgent,
                tags(&["escalated"]),
                None,
                Some("new.person@globex.com".into())
            ),
            (
                "zendesk:103:2026-11-07T12:00:00Z".into(),
                "globex".into(),
                "2026-11-07T12:00:00Z".into(),
                "103".into(),
                TicketStatus::Pending,
                Severity::Urgent,
                tags(&["escalated"]),
                Some(Sentiment::Negative),
                Some("new.person@globex.com".into())
            ),
            // A contact is exact even on a domain two accounts share.
            (
                "zendesk:104:created".into(),
                "initech-us".into(),
                "2026-10-01T00:00:00Z".into(),
                "104".into(),
                TicketStatus::Open,
                Severity::Low,
                vec![],
                None,
                Some("ann@initech.com".into())
            ),
            (
                "zendesk:104:2026-10-03T00:00:00Z".into(),
                "initech-us".into(),
                "2026-10-03T00:00:00Z".into(),
                "104".into(),
                TicketStatus::Closed,
                Severity::Low,
                vec![],
                None,
                Some("ann@initech.com".into())
            ),
        ]
    );
    // A requester on a public mail domain is nobody's, even though a contact
    // of Globex is on gmail.com.
    assert_eq!(
        reasons(&read.unmatched),
        [
            "6: ticket 105: requester: no account has someone@gmail.com as a contact or a \
          contact's domain; no organization"
        ]
    );
}

#[test]
fn bad_tickets_are_rejected_naming_line_and_field_and_the_rest_kept() {
    let csv = "id,status,created at,updated at,priority,satisfaction score,requester email\n\
               1,open,2026-11-01 10:00:00,,,,tom@acme.com\n\
               2,open,2026-13-01,,,,tom@acme.com\n\
               3,escalated,2026-11-01,,,,tom@acme.com\n\
               ,open,2026-11-01,,,,tom@acme.com\n\
               5,solved,2026-11-02,2026-11-01,,,tom@acme.com\n\
               6,solved,2026-11-02,,,,tom@acme.com\n\
               7,open,2026-11-02,,critical,,tom@acme.com\n\
               8,solved,2026-11-02,2026-11-03,,great,tom@acme.com\n\
               9,open,2026-11-02 09:00:00,2026-11-02 09:30:00,,,not-an-address\n\
               10,open,2026-11-02,,,,tom@acme.com\n";
    let read = read(csv, TicketFormat::Csv, false);
    assert_eq!(
        reasons(&read.rejected),
        [
            "3: ticket 2: Created at: `2026-13-01` is not a date (RFC 3339, YYYY-MM-DD \
             HH:MM:SS in UTC, or YYYY-MM-DD)",
            "4: ticket 3: Status: `escalated` is not a Zendesk status (new, open, pending, \
             hold, solved, closed)",
            "5: Id: missing",
            "6: ticket 5: Updated at: 2026-11-01T00:00:00Z is before Created at \
             2026-11-02T00:00:00Z",
            "7: ticket 6: Updated at: missing, and the ticket is solved: its status needs the \
             instant it was reached",
            "8: ticket 7: Priority: `critical` is not a Zendesk priority (low, normal, high, \
             urgent)",
            "9: ticket 8: Satisfaction Score: `great` is not a satisfaction score (good, bad, \
             offered, unoffered, not offered)",
        ]
    );
    // A requester that is no address is no contact and tells no account.
    assert_eq!(
        reasons(&read.unmatched),
        ["10: ticket 9: requester `not-an-address` is not an address; no organization"]
    );
    let kept: Vec<String> = records(&read).into_iter().map(|seen| seen.0).collect();
    assert_eq!(kept, ["zendesk:1:created", "zendesk:10:created"]);
}

#[test]
fn a_csv_without_a_required_column_or_with_one_twice_is_refused() {
    let missing = read("Id,Subject\n1,Hello\n", TicketFormat::Csv, false);
    assert_eq!(
        missing
            .fatal
            .as_deref()
            .map(|fatal| fatal.split(" (").next().unwrap()),
        Some("bad header: missing columns Status, Created at")
    );
    let twice = read(
        "Id,Status,Created at,status\n1,open,2026-11-01,open\n",
        TicketFormat::Csv,
        false,
    );
    assert_eq!(
        twice.fatal.as_deref(),
        Some(
            "bad header: column `Status` appears twice (columns 2 and 4); remove one, nothing \
             of the file was imported"
        )
    );
    assert!(twice.activities.is_empty());
    let latin1 = read(
        "Id,Status,Created at,Requester email\n1,open,2026-11-01,caf\u{e9}@acme.com\n",
        TicketFormat::Csv,
        false,
    );
    assert!(latin1.rejected.is_empty());
    let mut bytes = b"Id,Status,Created at,Subject\n1,open,2026-11-01,Caf".to_vec();
    bytes.extend_from_slice(b"\xe9\n2,open,2026-11-01,ok\n");
    let store = store();
    let not_utf8 = read_tickets(
        bytes.as_slice(),
        TicketFormat::Csv,
        false,
        &store.accounts().unwrap(),
        &ContactDirectory::new(&store.contacts().unwrap()),
    );
    assert_eq!(
        reasons(&not_utf8.rejected),
        [
            "2: the row is not valid UTF-8 (column `Subject`: byte 0xe9 after `Caf`; save the \
          file as UTF-8)"
        ]
    );
    assert_eq!(not_utf8.unmatched.len(), 1, "ticket 2 has no requester");
}

const API_PAGE: &str = r#"{
  "tickets": [
    {
      "id": 35436,
      "created_at": "2026-11-10T09:00:00Z",
      "updated_at": "2026-11-12T15:30:00Z",
      "status": "solved",
      "priority": "urgent",
      "tags": ["outage", "sso"],
      "satisfaction_rating": {"id": 1, "score": "bad", "comment": "slow"},
      "requester_id": 20978392,
      "organization_id": 57542,
      "subject": "Cannot log in"
    },
    {
      "id": 35437,
      "created_at": "2026-11-11T10:00:00Z",
      "updated_at": "2026-11-11T10:00:00Z",
      "status": "new",
      "priority": null,
      "tags": [],
      "satisfaction_rating": null,
      "requester_id": 555,
      "organization_id": 57543
    },
    {
      "id": 35438,
      "created_at": "2026-11-11T11:00:00Z",
      "status": "open",
      "requester": {"name": "Gwen", "email": "gwen@gmail.com"},
      "organization_id": 57544
    },
    {
      "id": 35439,
      "created_at": "2026-11-11T12:00:00Z",
      "status": "open",
      "via": {"channel": "email", "source": {"from": {"address": "Tom@Acme.com", "name": "Tom"}}}
    },
    {
      "id": 35440,
      "created_at": "2026-11-11T13:00:00Z",
      "status": "open",
      "requester_id": 556,
      "organization_id": 57545
    },
    {
      "id": 35441,
      "created_at": "2026-11-11T14:00:00Z",
      "status": "open",
      "tags": "billing"
    }
  ],
  "users": [
    {"id": 20978392, "name": "Sarah Chen", "email": "sarah.chen@acme.com"},
    {"id": 555, "name": "Pat", "email": "pat@yahoo.com"},
    {"id": 556, "name": "Ivan", "email": "ivan@initech.com"}
  ],
  "organizations": [
    {"id": 57542, "name": "Acme", "external_id": null, "domain_names": ["acme.com"]},
    {"id": 57543, "name": "Whatever Inc", "external_id": "globex", "domain_names": []},
    {"id": 57544, "name": "ACME CORP", "domain_names": []},
    {"id": 57545, "name": "Initech", "domain_names": ["initech.com"]}
  ]
}"#;

#[test]
fn the_api_page_with_side_loaded_users_and_organizations() {
    let read = read(API_PAGE, TicketFormat::Json, false);
    /// (id, account, at, status, sentiment, contact).
    type Summary = (
        String,
        String,
        String,
        TicketStatus,
        Option<Sentiment>,
        Option<String>,
    );
    let summary: Vec<Summary> = records(&read)
        .into_iter()
        .map(|seen| (seen.0, seen.1, seen.2, seen.4, seen.7, seen.8))
        .collect();
    assert_eq!(
        summary,
        [
            // The side-loaded requester is a contact.
            (
                "zendesk:35436:created".into(),
                "acme".into(),
                "2026-11-10T09:00:00Z".into(),
                TicketStatus::Open,
                None,
                Some("sarah.chen@acme.com".into())
            ),
            (
                "zendesk:35436:2026-11-12T15:30:00Z".into(),
                "acme".into(),
                "2026-11-12T15:30:00Z".into(),
                TicketStatus::Solved,
                Some(Sentiment::Negative),
                Some("sarah.chen@acme.com".into())
            ),
            // A public-domain requester: the organisation's external id.
            (
                "zendesk:35437:created".into(),
                "globex".into(),
                "2026-11-11T10:00:00Z".into(),
                TicketStatus::Open,
                None,
                Some("pat@yahoo.com".into())
            ),
            // The embedded requester; the organisation's name, ignoring case.
            (
                "zendesk:35438:created".into(),
                "acme".into(),
                "2026-11-11T11:00:00Z".into(),
                TicketStatus::Open,
                None,
                Some("gwen@gmail.com".into())
            ),
            // A ticket that came in by e-mail: via.source.from, lowercased.
            (
                "zendesk:35439:created".into(),
                "acme".into(),
                "2026-11-11T12:00:00Z".into(),
                TicketStatus::Open,
                None,
                Some("tom@acme.com".into())
            ),
        ]
    );
    let urgent = &read.activities[0].record;
    assert!(matches!(
        &urgent.detail,
        ActivityDetail::Ticket { severity: Severity::Urgent, tags, .. } if tags == &["outage", "sso"]
    ));
    assert_eq!(
        reasons(&read.rejected),
        ["46: tickets[5]: tags: expected an array, found a string"]
    );
    // initech.com is two accounts' domain: neither the requester's address
    // nor the organisation's domain names tell which.
    assert_eq!(
        reasons(&read.unmatched),
        [
            "39: tickets[4]: ticket 35440: requester: no contact has ivan@initech.com, and the \
          domain initech.com is several accounts'; not guessed; organization `Initech`: no \
          account has its name (close: Initech EU, Initech US; not guessed), and its domain initech.com is several accounts'; not guessed"
        ]
    );
}

#[test]
fn an_organization_is_found_by_its_domain_names_and_customer_id() {
    let acme_uuid = rapport_core::CustomerId::for_external_id(&ExternalId::parse("acme").unwrap());
    let text = format!(
        r#"[{{"id": 1, "created_at": "2026-11-01T00:00:00Z", "status": "open",
            "organization": {{"name": "Globex Holdings", "domain_names": ["Globex.com"]}}}},
           {{"id": 2, "created_at": "2026-11-01T00:00:00Z", "status": "open",
            "organization": {{"name": "Other", "external_id": "{acme_uuid}"}}}},
           {{"id": 3, "created_at": "2026-11-01T00:00:00Z", "status": "open",
            "organization": {{"name": "Acme"}}}}]"#
    );
    let read = read(&text, TicketFormat::Json, false);
    let accounts: Vec<(String, String)> = records(&read)
        .into_iter()
        .map(|seen| (seen.3, seen.1))
        .collect();
    assert_eq!(
        accounts,
        [
            ("1".to_string(), "globex".to_string()),
            ("2".into(), "acme".into())
        ]
    );
    // "Acme" is part of "Acme Corp": a candidate, never a match.
    assert_eq!(
        reasons(&read.unmatched),
        [
            "5: [2]: ticket 3: no requester address; organization `Acme`: no account has its \
          name (close: Acme Corp; not guessed)"
        ]
    );
}

#[test]
fn json_lines_keep_the_good_lines() {
    let text = "{\"id\": 1, \"created_at\": \"2026-11-01T00:00:00Z\", \"status\": \"open\", \"requester\": {\"email\": \"tom@acme.com\"}}\n\
                {\"id\": 2, \"created_at\": \"2026-11-01T00:00:00Z\", \"status\": \"open\"\n\
                \n\
                {\"id\": 3, \"created_at\": \"yesterday\", \"status\": \"open\"}\n\
                {\"id\": \"4\", \"created_at\": \"2026-11-01T00:00:00Z\", \"updated_at\": \"2026-11-03T00:00:00Z\", \"status\": \"pending\", \"requester\": {\"email\": \"it@globex.com\"}}\n\
                [1, 2]\n";
    let read = read(text, TicketFormat::Json, false);
    let reasons = reasons(&read.rejected);
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(
        reasons[0].starts_with("2: not JSON: EOF while parsing"),
        "{reasons:?}"
    );
    assert_eq!(
        reasons[1],
        "4: ticket 3: created_at: `yesterday` is not a date (RFC 3339, YYYY-MM-DD HH:MM:SS in \
         UTC, or YYYY-MM-DD)"
    );
    assert_eq!(reasons[2], "6: a ticket must be a JSON object");
    assert_eq!(reasons[3], "6: a ticket must be a JSON object");
    let kept: Vec<(String, String)> = records(&read)
        .into_iter()
        .map(|seen| (seen.0, seen.1))
        .collect();
    assert_eq!(
        kept,
        [
            ("zendesk:1:created".to_string(), "acme".to_string()),
            ("zendesk:4:created".into(), "globex".into()),
            ("zendesk:4:2026-11-03T00:00:00Z".into(), "globex".into()),
        ]
    );
}

#[test]
fn a_broken_json_document_is_refused_whole() {
    let read = read(
        "{\n  \"tickets\": [\n    {\"id\": 1,\n",
        TicketFormat::Json,
        false,
    );
    assert!(
        read.fatal
            .as_deref()
            .is_some_and(|fatal| fatal.starts_with("not JSON (EOF while parsing")),
        "{:?}",
        read.fatal
    );
    assert!(read.activities.is_empty());
}

#[test]
fn the_format_is_told_by_extension_else_by_content() {
    let of = |name: &str, start: &str| TicketFormat::of(Path::new(name), start.as_bytes());
    assert_eq!(of("export.csv", "{"), TicketFormat::Csv);
    assert_eq!(of("export.json", "Id,Status"), TicketFormat::Json);
    assert_eq!(of("export.jsonl", ""), TicketFormat::Json);
    assert_eq!(of("export", "\u{feff}  \n[{}]"), TicketFormat::Json);
    assert_eq!(of("export.txt", "{\"tickets\":[]}"), TicketFormat::Json);
    assert_eq!(of("export", "Id,Subject"), TicketFormat::Csv);
}

#[test]
fn zendesk_dates_statuses_and_scores() {
    for (text, expected) in [
        ("2026-11-02T09:15:00Z", "2026-11-02T09:15:00Z"),
        ("2026-11-02T09:15:00-05:00", "2026-11-02T14:15:00Z"),
        ("2026-11-02 09:15:00", "2026-11-02T09:15:00Z"),
        ("2026-11-02", "2026-11-02T00:00:00Z"),
    ] {
        assert_eq!(
            parse_instant(text).unwrap().to_rfc3339(),
            expected,
            "{text}"
        );
    }
    for text in ["02/11/2026", "2026-11-02 25:00:00", "", "1850-01-01"] {
        assert!(parse_instant(text).is_err(), "{text}");
    }
    assert_eq!(
        parse_instant("1850-01-01").unwrap_err(),
        "`1850-01-01` is outside the years 1900–2199"
    );
    for (text, status) in [
        ("new", TicketStatus::Open),
        ("Open", TicketStatus::Open),
        ("pending", TicketStatus::Pending),
        ("hold", TicketStatus::Pending),
        ("SOLVED", TicketStatus::Solved),
        ("closed", TicketStatus::Closed),
    ] {
        assert_eq!(ticket_status(text), Some(status), "{text}");
    }
    for (text, expected) in [
        ("Good", Some(Some(Sentiment::Positive))),
        ("bad_with_comment", Some(Some(Sentiment::Negative))),
        ("Offered", Some(None)),
        ("Not Offered", Some(None)),
        ("unoffered", Some(None)),
        ("meh", None),
    ] {
        assert_eq!(sentiment(text), expected, "{text}");
    }
}

#[test]
fn deleted_tickets_are_counted_not_imported() {
    let read = read(
        "[{\"id\": 9, \"created_at\": \"2026-11-01T00:00:00Z\", \"status\": \"deleted\"}]",
        TicketFormat::Json,
        false,
    );
    assert_eq!((read.tickets, read.deleted), (1, 1));
    assert!(read.activities.is_empty() && read.rejected.is_empty());
}

#[test]
fn a_reimport_is_unchanged_and_a_later_export_adds_the_new_state() {
    let store = store();
    let folder = tempfile::tempdir().unwrap();
    let first = folder.path().join("tickets.csv");
    std::fs::write(&first, CSV).unwrap();
    let report = import_tickets(&*store, &first, &NoProgress);
    assert_eq!(
        (
            report.tickets,
            report.inserted,
            report.unchanged,
            report.unmatched.len()
        ),
        (5, 7, 0, 1)
    );
    assert_eq!(report.fatal, None);
    let again = import_tickets(&*store, &first, &NoProgress);
    assert_eq!((again.inserted, again.unchanged), (0, 7));
    // A week later ticket 102 was solved; nothing else moved.
    let later = folder.path().join("later.csv");
    std::fs::write(
        &later,
        CSV.replace(
            "102,Tom,tom@acme.com,,Question,New,-,,2026-11-05 10:00:00,2026-11-05 10:00:00,Unoffered",
            "102,Tom,tom@acme.com,,Question,Solved,-,,2026-11-05 10:00:00,2026-11-12 10:00:00,Good",
        ),
    )
    .unwrap();
    let next = import_tickets(&*store, &later, &NoProgress);
    assert_eq!((next.inserted, next.unchanged), (1, 7));
    let acme: Vec<String> = store
        .account_activities(&ExternalId::parse("acme").unwrap())
        .unwrap()
        .iter()
        .filter_map(|activity| activity.source_id.clone())
        .collect();
    assert!(
        acme.contains(&"zendesk:102:2026-11-12T10:00:00Z".to_string()),
        "{acme:?}"
    );
    let missing = import_tickets(&*store, &folder.path().join("nope.csv"), &NoProgress);
    assert!(
        missing
            .fatal
            .as_deref()
            .is_some_and(|fatal| fatal.starts_with("cannot read: ")),
        "{:?}",
        missing.fatal
    );
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let directory = ContactDirectory::default();
        for (format, jsonl) in [
            (TicketFormat::Csv, false),
            (TicketFormat::Json, false),
            (TicketFormat::Json, true),
        ] {
            let read = read_tickets(bytes.as_slice(), format, jsonl, &[], &directory);
            prop_assert!(read.activities.is_empty());
        }
    }

    #[test]
    fn any_well_formed_csv_ticket_gives_one_or_two_records(
        id in 1u64..1_000_000,
        status in prop::sample::select(vec!["new", "open", "pending", "hold", "solved", "closed"]),
        created in 0i64..1_000_000,
        later in 0i64..100_000,
    ) {
        let created_at = Timestamp::from_millis(1_700_000_000_000 + created * 1000);
        let updated_at = Timestamp::from_millis(created_at.millis() + later * 1000);
        let csv = format!(
            "Id,Status,Created at,Updated at,Requester email\n{id},{status},{},{},tom@acme.com\n",
            created_at.to_rfc3339(),
            updated_at.to_rfc3339()
        );
        let directory = ContactDirectory::new(&[rapport_core::Contact {
            account: ExternalId::parse("acme").unwrap(),
            email: rapport_core::Email::parse("tom@acme.com").unwrap(),
            name: String::new(),
            role: rapport_core::ContactRole::User,
            department: String::new(),
            title: String::new(),
        }]);
        let read = read_tickets(csv.as_bytes(), TicketFormat::Csv, false, &[], &directory);
        prop_assert!(read.rejected.is_empty(), "{:?}", read.rejected);
        let moved_on = later > 0 || !matches!(status, "new" | "open");
        prop_assert_eq!(read.activities.len(), if moved_on { 2 } else { 1 });
        let ids: Vec<String> = records(&read).into_iter().map(|seen| seen.0).collect();
        prop_assert_eq!(&ids[0], &format!("zendesk:{id}:created"));
        let last = &read.activities[read.activities.len() - 1].record;
        prop_assert_eq!(last.at, if moved_on { updated_at } else { created_at });
    }
}
