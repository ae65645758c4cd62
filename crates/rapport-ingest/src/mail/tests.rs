//! Tests of the mail import over hand-written messages shaped as Gmail,
//! Outlook and an mbox export write them (`tests/fixtures/mail/`), into a
//! store as well as read alone.

use std::path::{Path, PathBuf};

use rapport_core::activity::Direction;
use rapport_core::{Activity, ActivityDetail, Contact, ContactRole, Email, ExternalId, Timestamp};

use super::threads::subject_thread;
use super::*;
use crate::{ContractFile, NoProgress};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mail")
        .join(name)
}

fn contact(account: &str, email: &str) -> Contact {
    Contact {
        account: ExternalId::parse(account).unwrap(),
        email: Email::parse(email).unwrap(),
        name: String::new(),
        role: ContactRole::User,
        department: String::new(),
        title: String::new(),
    }
}

fn directory() -> ContactDirectory {
    ContactDirectory::new(&[
        contact("acme", "sarah.chen@acme.com"),
        contact("acme", "tom@acme.com"),
        contact("globex", "it@globex.com"),
    ])
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

fn options() -> MailOptions {
    MailOptions {
        team_domains: vec!["ourco.com".into()],
        now: at("2026-12-01T00:00:00Z"),
    }
}

/// Reads fixture files with nothing stored.
fn read(names: &[&str]) -> MailActivities {
    let directory = directory();
    let mut reader = MailReader::new(&directory, options());
    for name in names {
        let bytes = std::fs::read(fixture(name)).unwrap();
        reader.read_file(Path::new(name), bytes.as_slice());
    }
    reader.finish(|_| Vec::new())
}

/// An e-mail's fields, for comparing in one line.
#[derive(Debug, PartialEq)]
struct Seen {
    id: String,
    account: String,
    at: String,
    direction: Direction,
    thread: String,
    from: String,
    to: Vec<String>,
    subject: Option<String>,
}

fn seen(activity: &Activity) -> Seen {
    let ActivityDetail::Email {
        direction,
        thread,
        from,
        to,
        subject,
    } = &activity.detail
    else {
        panic!("not an e-mail: {activity:?}");
    };
    Seen {
        id: activity.source_id.clone().unwrap(),
        account: activity.account.as_str().to_string(),
        at: activity.at.to_rfc3339(),
        direction: *direction,
        thread: thread.clone(),
        from: from.as_str().to_string(),
        to: to.iter().map(|email| email.as_str().to_string()).collect(),
        subject: subject.clone(),
    }
}

fn thread_of<'a>(read: &'a MailActivities, id: &str) -> &'a str {
    read.emails
        .iter()
        .find(|(_, activity)| activity.source_id.as_deref() == Some(id))
        .map(|(_, activity)| match &activity.detail {
            ActivityDetail::Email { thread, .. } => thread.as_str(),
            _ => unreachable!(),
        })
        .unwrap_or_else(|| panic!("no e-mail {id}"))
}

#[test]
fn gmail_multipart_alternative_with_quoted_printable_and_utf8_encoded_words() {
    let read = read(&["gmail_multipart_qp.eml"]);
    assert_eq!(
        (read.messages, read.rejected.len(), read.unmatched.len()),
        (1, 0, 0)
    );
    let (place, activity) = &read.emails[0];
    assert_eq!((place.index, place.in_mbox), (1, false));
    assert_eq!(
        seen(activity),
        Seen {
            id: "CAAcme+reply1@mail.gmail.com".into(),
            account: "acme".into(),
            at: "2026-11-03T14:41:02Z".into(),
            direction: Direction::Inbound,
            // Its parent, the thread's first message, was never imported.
            thread: "CAOurco+root1@mail.gmail.com".into(),
            // Matched as a contact whatever the case it was written in.
            from: "sarah.chen@acme.com".into(),
            to: vec![
                "diego.wright@ourco.com".into(),
                "tom@acme.com".into(),
                "juergen@acme.com".into()
            ],
            subject: Some("Re: Renewal plan — next steps".into()),
        }
    );
}

#[test]
fn outlook_latin1_base64_subject_names_and_an_attachment() {
    let read = read(&["outlook_latin1_attachment.eml"]);
    assert_eq!(
        (read.messages, read.rejected.len()),
        (1, 0),
        "{:?}",
        read.rejected
    );
    let seen = seen(&read.emails[0].1);
    assert_eq!(
        seen,
        Seen {
            id: "AM0PR02MB5555A1B2C3D4E5F6@AM0PR02MB5555.eurprd02.prod.outlook.com".into(),
            // it@globex.com is a contact; juergen.mueller@ only on its domain.
            account: "globex".into(),
            at: "2026-11-04T14:02:31Z".into(),
            direction: Direction::Outbound,
            thread: "AM0PR02MB5555A1B2C3D4E5F6@AM0PR02MB5555.eurprd02.prod.outlook.com".into(),
            from: "rene.dupre@ourco.com".into(),
            to: vec![
                "juergen.mueller@globex.com".into(),
                "it@globex.com".into(),
                "rene.dupre@ourco.com".into()
            ],
            subject: Some("Réunion trimestrielle à Zürich".into()),
        }
    );
}

#[test]
fn an_mbox_keeps_from_quoted_lines_inside_their_message() {
    let read = read(&["acme_part1.mbox"]);
    // `>From ` in the first body did not start a message.
    assert_eq!(read.messages, 2);
    let places: Vec<(u64, u64)> = read
        .emails
        .iter()
        .map(|(place, _)| (place.index, place.line))
        .collect();
    assert_eq!(places, [(1, 1), (2, 21)]);
    assert_eq!(
        thread_of(&read, "root-1@mail.ourco.com"),
        "root-1@mail.ourco.com"
    );
    assert_eq!(thread_of(&read, "r1@acme.com"), "root-1@mail.ourco.com");
}

#[test]
fn threads_from_references_in_reply_to_and_the_subject_within_one_import() {
    let read = read(&["acme_part2.mbox"]);
    // The thread's first message is not in this import: References name it.
    for id in [
        "r2@mail.ourco.com",
        "r3@acme.com",
        "r4@mail.ourco.com",
        "r5@acme.com",
    ] {
        assert_eq!(thread_of(&read, id), "root-1@mail.ourco.com", "{id}");
    }
    // Neither header and a subject never seen: the subject's thread.
    let acme = ExternalId::parse("acme").unwrap();
    assert_eq!(
        thread_of(&read, "lunch-2@acme.com"),
        subject_thread(&acme, "lunch on friday?")
    );
    // Messages that start a thread name it.
    assert_eq!(thread_of(&read, "esc-1@globex.com"), "esc-1@globex.com");
}

#[test]
fn broken_dates_fall_back_to_received_then_the_mbox_from_line_else_reject() {
    let read = read(&["acme_part2.mbox", "no_usable_date.eml"]);
    let dated: Vec<(&str, String)> = read
        .emails
        .iter()
        .filter(|(_, activity)| activity.account.as_str() == "globex")
        .map(|(_, activity)| {
            (
                activity.source_id.as_deref().unwrap(),
                activity.at.to_rfc3339(),
            )
        })
        .collect();
    assert_eq!(
        dated,
        [
            ("esc-1@globex.com", "2026-11-05T09:30:00Z".to_string()),
            ("esc-2@globex.com", "2026-11-05T17:45:00Z".to_string()),
        ]
    );
    let notes: Vec<String> = read.redated.iter().map(ToString::to_string).collect();
    assert_eq!(
        notes,
        [
            "acme_part2.mbox:6 (line 78) <esc-1@globex.com>: the Date `sometime next week` is \
             not a date; dated 2026-11-05T09:30:00Z from its Received header",
            "acme_part2.mbox:7 (line 90) <esc-2@globex.com>: the Date `Thu, 31 Foo 2026 \
             99:00:00 +0000` is not a date; dated 2026-11-05T17:45:00Z from its mbox From line",
        ]
    );
    let rejected: Vec<String> = read.rejected.iter().map(ToString::to_string).collect();
    assert_eq!(
        rejected,
        [
            "acme_part2.mbox:10 (line 118) <bounce-1@mx.ourco.com>: no From address (nor Sender)",
            "no_usable_date.eml:1 <no-date-1@acme.com>: the Date `sometime on Tuesday` is not \
             a date, and no Received header or mbox From line gives a date; the message has no \
             instant",
        ]
    );
}

#[test]
fn a_date_far_in_the_future_is_a_broken_clock() {
    let message = "From: tom@acme.com\nTo: diego.wright@ourco.com\nSubject: x\n\
                   Date: Fri, 1 Jan 2038 00:00:00 +0000\nMessage-ID: <future@acme.com>\n\
                   Received: from a by b; Tue, 3 Nov 2026 08:00:00 +0000\n\nbody\n";
    let directory = directory();
    let mut reader = MailReader::new(&directory, options());
    reader.read_file(Path::new("future.eml"), message.as_bytes());
    let read = reader.finish(|_| Vec::new());
    assert_eq!(read.emails[0].1.at.to_rfc3339(), "2026-11-03T08:00:00Z");
    assert!(
        read.redated[0]
            .reason
            .starts_with("the Date `Fri, 1 Jan 2038 00:00:00 +0000` is in the future"),
        "{}",
        read.redated[0]
    );
}

#[test]
fn messages_of_no_account_are_listed_and_internal_ones_counted() {
    let read = read(&["acme_part2.mbox"]);
    let unmatched: Vec<String> = read.unmatched.iter().map(ToString::to_string).collect();
    assert_eq!(
        unmatched,
        [
            "acme_part2.mbox:8 (line 99) <weekly-45@vendor-news.example>: no account has \
          news@vendor-news.example as a contact or a contact's domain"
        ]
    );
    assert_eq!(read.internal, 1);
    assert_eq!(read.messages, 10);
    assert_eq!(read.emails.len(), 7);
}

#[test]
fn two_digit_years_and_long_subjects() {
    let long = "x".repeat(300);
    let message = format!(
        "From: tom@acme.com\nTo: diego.wright@ourco.com\nSubject: {long}\n\
         Date: Tue, 3 Nov 26 08:00:00 GMT\n\nbody\n"
    );
    let directory = directory();
    let mut reader = MailReader::new(&directory, options());
    reader.read_file(Path::new("old.eml"), message.as_bytes());
    let read = reader.finish(|_| Vec::new());
    let seen = seen(&read.emails[0].1);
    assert_eq!(seen.at, "2026-11-03T08:00:00Z");
    let subject = seen.subject.unwrap();
    assert_eq!(subject.chars().count(), SUBJECT_MAX_CHARS);
    assert!(subject.ends_with('…'));
    // No Message-ID: an id made of what the message says, the same every time.
    assert!(seen.id.starts_with("mail:"), "{}", seen.id);
    let mut again = MailReader::new(&directory, options());
    again.read_file(Path::new("old.eml"), message.as_bytes());
    assert_eq!(
        again.finish(|_| Vec::new()).emails[0]
            .1
            .source_id
            .as_deref(),
        Some(seen.id.as_str())
    );
}

#[test]
fn garbage_is_a_rejected_message_not_a_failed_import() {
    let directory = directory();
    let mut reader = MailReader::new(&directory, options());
    reader.read_file(
        Path::new("junk.eml"),
        &b"\x00\xff\xfe not a message at all"[..],
    );
    reader.read_file(
        Path::new("junk.mbox"),
        &b"From x Tue Nov  3 10:00:00 2026\n\xff\xfe\n\nFrom y Tue Nov  3 10:00:00 2026\n"[..],
    );
    let read = reader.finish(|_| Vec::new());
    assert_eq!(read.messages, 3);
    assert!(read.emails.is_empty());
    assert_eq!(read.rejected.len(), 3, "{:?}", read.rejected);
}

// ---------------------------------------------------------------------------
// Into a store
// ---------------------------------------------------------------------------

fn now() -> Timestamp {
    at("2026-12-01T00:00:00Z")
}

/// A fresh in-memory store with accounts acme and globex and their contacts.
fn store() -> std::sync::Arc<dyn rapport_store::Store> {
    let store = rapport_store::open("sqlite::memory:").unwrap();
    let folder = tempfile::tempdir().unwrap();
    let accounts = folder.path().join("accounts.csv");
    std::fs::write(
        &accounts,
        "id,name,tier\nacme,Acme,core\nglobex,Globex,growth\n",
    )
    .unwrap();
    let contacts = folder.path().join("contacts.csv");
    std::fs::write(
        &contacts,
        "account,email\nacme,sarah.chen@acme.com\nacme,tom@acme.com\nglobex,it@globex.com\n",
    )
    .unwrap();
    for (kind, path) in [
        (ContractFile::Accounts, accounts),
        (ContractFile::Contacts, contacts),
    ] {
        let report = crate::import_file(&*store, kind, &path, now(), &NoProgress);
        assert_eq!(report.fatal, None);
    }
    store
}

fn import(store: &dyn rapport_store::Store, name: &str) -> MailReport {
    import_mail(store, &fixture(name), &options(), &NoProgress)
}

fn stored_threads(store: &dyn rapport_store::Store, account: &str) -> Vec<(String, String)> {
    let mut threads: Vec<(String, String)> = store
        .account_activities(&ExternalId::parse(account).unwrap())
        .unwrap()
        .iter()
        .filter_map(StoredEmail::of)
        .map(|email| (email.id.unwrap(), email.thread))
        .collect();
    threads.sort();
    threads
}

#[test]
fn a_thread_spanning_two_imports_is_one_thread_and_reimport_changes_nothing() {
    let store = store();
    let first = import(&*store, "acme_part1.mbox");
    assert_eq!((first.inserted, first.fatal.as_deref()), (2, None));
    let second = import(&*store, "acme_part2.mbox");
    assert_eq!((second.inserted, second.unchanged), (7, 0));
    assert_eq!(second.fatal, None);
    let acme = ExternalId::parse("acme").unwrap();
    let root = "root-1@mail.ourco.com".to_string();
    assert_eq!(
        stored_threads(&*store, "acme"),
        [
            (
                "lunch-2@acme.com".to_string(),
                subject_thread(&acme, "lunch on friday?")
            ),
            ("r1@acme.com".into(), root.clone()),
            ("r2@mail.ourco.com".into(), root.clone()),
            ("r3@acme.com".into(), root.clone()),
            ("r4@mail.ourco.com".into(), root.clone()),
            ("r5@acme.com".into(), root.clone()),
            ("root-1@mail.ourco.com".into(), root.clone()),
        ]
    );
    let again = import(&*store, "acme_part2.mbox");
    assert_eq!((again.inserted, again.unchanged), (0, 7));
}

/// A headerless reply (`Re:` and nothing else) imported after the thread it
/// answers joins it through the stored subject.
#[test]
fn a_headerless_reply_in_a_later_import_joins_the_stored_thread_by_subject() {
    let store = store();
    import(&*store, "acme_part1.mbox");
    let folder = tempfile::tempdir().unwrap();
    let reply = folder.path().join("reply.eml");
    std::fs::write(
        &reply,
        "From: Sarah Chen <sarah.chen@acme.com>\nTo: diego.wright@ourco.com\n\
         Subject: Re: Re: renewal plan FOR 2027\nDate: Mon, 9 Nov 2026 10:00:00 +0000\n\
         Message-ID: <late@acme.com>\n\nok\n",
    )
    .unwrap();
    let report = import_mail(&*store, &reply, &options(), &NoProgress);
    assert_eq!(report.inserted, 1);
    assert!(
        stored_threads(&*store, "acme")
            .contains(&("late@acme.com".into(), "root-1@mail.ourco.com".into()))
    );
}

/// A reply with only `In-Reply-To`, to a message of an earlier import that
/// is not the thread's first, joins the thread through the store.
#[test]
fn a_reply_with_only_in_reply_to_joins_a_stored_thread() {
    let store = store();
    import(&*store, "acme_part1.mbox");
    let folder = tempfile::tempdir().unwrap();
    let reply = folder.path().join("reply.eml");
    std::fs::write(
        &reply,
        "From: diego.wright@ourco.com\nTo: sarah.chen@acme.com\nSubject: Re: Renewal plan\n\
         Date: Mon, 9 Nov 2026 10:00:00 +0000\nMessage-ID: <only-irt@mail.ourco.com>\n\
         In-Reply-To: <r1@acme.com>\n\nok\n",
    )
    .unwrap();
    assert_eq!(
        import_mail(&*store, &reply, &options(), &NoProgress).inserted,
        1
    );
    assert!(stored_threads(&*store, "acme").contains(&(
        "only-irt@mail.ourco.com".into(),
        "root-1@mail.ourco.com".into()
    )));
}

/// The store is read only for accounts with a message whose thread may be
/// there: no `References`, and a parent or subject this import lacks.
#[test]
fn stored_e_mails_are_read_only_when_a_thread_may_be_there() {
    let asked = |names: &[&str]| {
        let directory = directory();
        let mut reader = MailReader::new(&directory, options());
        for name in names {
            let bytes = std::fs::read(fixture(name)).unwrap();
            reader.read_file(Path::new(name), bytes.as_slice());
        }
        let mut asked: Vec<String> = Vec::new();
        reader.finish(|account| {
            asked.push(account.as_str().to_string());
            Vec::new()
        });
        asked
    };
    // A thread's first message and a reply carrying References.
    assert_eq!(asked(&["acme_part1.mbox"]), Vec::<String>::new());
    // Headerless replies (Acme's) need the stored subjects, once per account.
    assert_eq!(asked(&["acme_part2.mbox"]), ["acme"]);
}

#[test]
fn a_folder_of_eml_files_is_read_in_name_order() {
    let store = store();
    let report = import_mail(&*store, &fixture(""), &options(), &NoProgress);
    assert_eq!(report.files, 3);
    assert_eq!((report.messages, report.inserted), (3, 2));
    assert_eq!(report.rejected.len(), 1);
    assert!(
        report.rejected[0]
            .place
            .file
            .ends_with("no_usable_date.eml")
    );
}

#[test]
fn without_team_domains_nothing_is_done() {
    let store = store();
    let options = MailOptions {
        team_domains: Vec::new(),
        now: now(),
    };
    let report = import_mail(&*store, &fixture("acme_part1.mbox"), &options, &NoProgress);
    assert!(report.fatal.unwrap().starts_with("no team domains are set"));
    assert_eq!(report.messages, 0);
}

#[test]
fn a_missing_file_is_a_fatal_error() {
    let store = store();
    let report = import(&*store, "missing.mbox");
    assert!(report.fatal.unwrap().starts_with("cannot read"),);
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

mod properties {
    use proptest::prelude::*;

    use super::*;

    fn body_line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("From the top".to_string()),
            Just(">From quoted once".to_string()),
            Just(">>From quoted twice".to_string()),
            Just("plain text".to_string()),
            Just(String::new()),
            "[ -~]{0,20}",
        ]
    }

    proptest! {
        /// mboxrd quoting (`>` before any `>*From ` line) written and read
        /// back gives every message's body, whatever its lines.
        #[test]
        fn mbox_quoting_round_trips(bodies in prop::collection::vec(prop::collection::vec(body_line(), 0..6), 1..5)) {
            let mut mbox = String::new();
            for (index, body) in bodies.iter().enumerate() {
                mbox.push_str(&format!("From a@acme.com Tue Nov  3 10:00:0{} 2026\n", index % 10));
                mbox.push_str(&format!("Subject: m{index}\n\n"));
                for line in body {
                    if line.trim_start_matches('>').starts_with("From ") {
                        mbox.push('>');
                    }
                    mbox.push_str(line);
                    mbox.push('\n');
                }
            }
            let messages: Vec<_> = mailbox::Messages::new(mbox.as_bytes())
                .unwrap()
                .map(Result::unwrap)
                .collect();
            prop_assert_eq!(messages.len(), bodies.len());
            for (message, body) in messages.iter().zip(&bodies) {
                let mut expected = String::from("Subject: m");
                expected.push_str(&format!("{}\n\n", message.index - 1));
                for line in body {
                    expected.push_str(line);
                    expected.push('\n');
                }
                prop_assert_eq!(String::from_utf8_lossy(&message.bytes), expected);
            }
        }

        /// Any bytes are read without a panic: a message, or a reason.
        #[test]
        fn any_bytes_are_a_message_or_a_reason(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let parser = headers::header_parser();
            let _ = headers::read_headers(&parser, &bytes, None, now());
        }

        /// Headers made of arbitrary text never panic either, and a subject
        /// normalises to a fixed point.
        #[test]
        fn arbitrary_headers_and_subjects(subject in "\\PC{0,60}", date in "[ -~]{0,40}") {
            let message = format!("From: a@acme.com\nSubject: {subject}\nDate: {date}\n\nx\n");
            let parser = headers::header_parser();
            let _ = headers::read_headers(&parser, message.as_bytes(), None, now());
            let (once, _) = normalised_subject(&subject);
            prop_assert_eq!(normalised_subject(&once).0, once);
        }
    }
}
