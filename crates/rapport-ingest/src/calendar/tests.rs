//! Tests of the calendar import over hand-written files shaped as Google
//! Calendar and Outlook export them (`tests/fixtures/calendar/`).

use rapport_core::activity::{MeetingKind, MeetingStatus, Party};
use rapport_core::{Activity, ActivityDetail, Contact, ContactRole, Email, ExternalId, Timestamp};

use super::*;

const GOOGLE: &str = include_str!("../../tests/fixtures/calendar/google_weekly.ics");
const OUTLOOK: &str = include_str!("../../tests/fixtures/calendar/outlook_windows_zones.ics");
const SERIES: &str = "4s1vq0b2m5c0tqj8o3kq3hd1bs@google.com";

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
        contact("acme", "ceo@acme.com"),
        contact("globex", "it@globex.com"),
        // A public mail domain never tells an account.
        contact("globex", "globex.admin@gmail.com"),
    ])
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

fn options(now: &str) -> CalendarOptions {
    CalendarOptions {
        team_domains: vec!["ourco.com".into()],
        now: at(now),
        until: None,
    }
}

fn read(text: &str, now: &str) -> CalendarMeetings {
    read_meetings(text.as_bytes(), &directory(), &options(now), |_| {})
}

struct Seen {
    at: String,
    status: MeetingStatus,
    cancelled_by: Option<Party>,
    attendees: Vec<String>,
    kind: MeetingKind,
    minutes: Option<f64>,
    occurrence: String,
}

fn seen(activity: &Activity) -> Seen {
    let ActivityDetail::Meeting {
        status,
        cancelled_by,
        attendees,
        kind,
        duration_min,
        occurrence,
        ..
    } = &activity.detail
    else {
        panic!("not a meeting: {activity:?}");
    };
    Seen {
        at: activity.at.to_rfc3339(),
        status: *status,
        cancelled_by: *cancelled_by,
        attendees: attendees.iter().map(|a| a.as_str().to_string()).collect(),
        kind: *kind,
        minutes: *duration_min,
        occurrence: occurrence.clone().unwrap_or_default(),
    }
}

fn of_uid<'a>(meetings: &'a CalendarMeetings, uid: &str) -> Vec<&'a Activity> {
    let mut found: Vec<&Activity> = meetings
        .meetings
        .iter()
        .map(|parsed| &parsed.record)
        .filter(|activity| seen(activity).occurrence.starts_with(uid))
        .collect();
    found.sort_by_key(|activity| activity.at);
    found
}

#[test]
fn calendar_weekly_series_across_daylight_saving_with_exdate_moved_and_cancelled_instances() {
    let read = read(GOOGLE, "2026-04-01T00:00:00Z");
    assert!(read.rejected.is_empty(), "{:?}", read.rejected);
    let series: Vec<Seen> = of_uid(&read, SERIES).into_iter().map(seen).collect();
    let table: Vec<(&str, MeetingStatus, Option<Party>, &str)> = series
        .iter()
        .map(|s| {
            (
                s.at.as_str(),
                s.status,
                s.cancelled_by,
                s.occurrence.as_str(),
            )
        })
        .collect();
    let key = |start: &str| format!("{SERIES}_{start}");
    // 10:00 in Berlin is 09:00Z in winter time and 08:00Z from 29 March on;
    // the 16 March instance is excluded; the 23 March one moved to Tuesday
    // 14:00 (13:00Z) and keeps its original start as its identity; the
    // 6 April one is cancelled by its organiser, one of us; 13 April is
    // after now, so scheduled, and is the last (UNTIL, inclusive).
    assert_eq!(
        table,
        vec![
            (
                "2026-03-02T09:00:00Z",
                MeetingStatus::Attended,
                None,
                key("20260302T090000Z").as_str()
            ),
            (
                "2026-03-09T09:00:00Z",
                MeetingStatus::Attended,
                None,
                key("20260309T090000Z").as_str()
            ),
            (
                "2026-03-24T13:00:00Z",
                MeetingStatus::Attended,
                None,
                key("20260323T090000Z").as_str()
            ),
            (
                "2026-03-30T08:00:00Z",
                MeetingStatus::Attended,
                None,
                key("20260330T080000Z").as_str()
            ),
            (
                "2026-04-06T08:00:00Z",
                MeetingStatus::Cancelled,
                Some(Party::Us),
                key("20260406T080000Z").as_str()
            ),
            (
                "2026-04-13T08:00:00Z",
                MeetingStatus::Scheduled,
                None,
                key("20260413T080000Z").as_str()
            ),
        ]
    );
    for meeting in &series {
        assert_eq!(meeting.kind, MeetingKind::CheckIn);
        assert_eq!(meeting.minutes, Some(30.0));
    }
    // Tom declined the series (not attending) but accepted the moved one;
    // our own people and the room are not attendees.
    assert_eq!(series[0].attendees, vec!["sarah.chen@acme.com"]);
    assert_eq!(
        series[2].attendees,
        vec!["sarah.chen@acme.com", "tom@acme.com"]
    );
    let first = of_uid(&read, SERIES)[0];
    assert_eq!(first.account.as_str(), "acme");
    let ActivityDetail::Meeting { initiated_by, .. } = &first.detail else {
        unreachable!()
    };
    assert_eq!(*initiated_by, Some(Party::Us));
}

/// A one-off meeting rescheduled in the calendar app keeps its UID and gets a
/// new DTSTART: it is the same meeting, moved.
#[test]
fn calendar_a_rescheduled_one_off_event_is_the_same_meeting() {
    let first = read(GOOGLE, "2026-04-01T00:00:00Z");
    let moved = GOOGLE.replace(
        "DTSTART;TZID=Europe/Berlin:20260325T130000",
        "DTSTART;TZID=Europe/Berlin:20260326T090000",
    );
    let moved = read(&moved, "2026-04-01T00:00:00Z");
    let uid = "2c3d4e5f6g7h8i9j0k1l2m3n4o@google.com";
    let (before, after) = (of_uid(&first, uid)[0], of_uid(&moved, uid)[0]);
    assert_eq!(seen(before).occurrence, uid);
    assert_eq!(seen(after).occurrence, uid);
    assert_eq!(after.at, at("2026-03-26T08:00:00Z"));
    assert_ne!(
        before.source_id, after.source_id,
        "a new record of the same meeting"
    );
}

#[test]
fn calendar_all_day_events_are_counted_not_imported() {
    let read = read(GOOGLE, "2026-04-01T00:00:00Z");
    let all_day: Vec<(u64, &str)> = read
        .all_day
        .iter()
        .map(|parsed| (parsed.line, parsed.record.as_str()))
        .collect();
    assert_eq!(all_day, vec![(88, "Acme offsite (Hamburg)")]);
    assert!(of_uid(&read, "0q3c9ldb0ld4j0s3f1aqkp3hvd@google.com").is_empty());
}

#[test]
fn calendar_cancelled_by_the_customer_when_the_organiser_is_theirs() {
    let read = read(GOOGLE, "2026-04-01T00:00:00Z");
    let review = of_uid(&read, "040000008200E00074C5B7101A82E008");
    assert_eq!(review.len(), 1);
    let review = seen(review[0]);
    assert_eq!(review.status, MeetingStatus::Cancelled);
    assert_eq!(review.cancelled_by, Some(Party::Customer));
    assert_eq!(review.kind, MeetingKind::Qbr);
    assert_eq!(review.minutes, Some(60.0));
    // A folded UID is read whole; an event that does not recur is its UID.
    assert!(
        review.occurrence.ends_with("0D3E5B1A22"),
        "{}",
        review.occurrence
    );
}

#[test]
fn calendar_every_customer_invitee_declining_is_a_cancellation_by_the_customer() {
    let read = read(GOOGLE, "2026-04-01T00:00:00Z");
    let declined = of_uid(&read, "9z8y7x6w5v4u3t2s1r0q9p8o7n@google.com");
    let declined = seen(declined[0]);
    assert_eq!(
        (declined.status, declined.cancelled_by, declined.kind),
        (
            MeetingStatus::Cancelled,
            Some(Party::Customer),
            MeetingKind::Exec
        )
    );
    assert!(declined.attendees.is_empty());
}

#[test]
fn calendar_events_without_an_account_are_listed_not_guessed() {
    let read = read(GOOGLE, "2026-04-01T00:00:00Z");
    let unmatched: Vec<(&str, &str)> = read
        .unmatched
        .iter()
        .map(|unmatched| (unmatched.summary.as_str(), unmatched.reason.as_str()))
        .collect();
    assert_eq!(
        unmatched,
        vec![
            ("Dentist", "no attendee outside our team"),
            (
                "Intro call",
                "no account has lee@initech.example as a contact or domain"
            ),
        ]
    );
    // A new address on a domain that is one account's is that account's.
    let onboarding = of_uid(&read, "2c3d4e5f6g7h8i9j0k1l2m3n4o@google.com");
    assert_eq!(onboarding[0].account.as_str(), "globex");
    assert_eq!(seen(onboarding[0]).kind, MeetingKind::Training);
    assert_eq!(seen(onboarding[0]).minutes, Some(120.0));
}

#[test]
fn calendar_attendees_of_two_accounts_are_not_guessed() {
    let text = GOOGLE.replace(
        "mailto:new.hire@globex.com",
        "mailto:it@globex.com\r\nATTENDEE:mailto:tom@acme.com",
    );
    let read = read(&text, "2026-04-01T00:00:00Z");
    let onboarding = read
        .unmatched
        .iter()
        .find(|unmatched| unmatched.summary == "Globex admin onboarding")
        .unwrap();
    assert_eq!(
        onboarding.reason,
        "the attendees are contacts of several accounts (acme, globex); not guessed"
    );
}

#[test]
fn calendar_reading_the_same_file_again_gives_the_same_records() {
    let first = read(GOOGLE, "2026-04-01T00:00:00Z");
    let again = read(GOOGLE, "2026-04-01T00:00:00Z");
    let ids = |read: &CalendarMeetings| {
        read.meetings
            .iter()
            .map(|parsed| parsed.record.source_id.clone().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&first), ids(&again));
    // A week later the 13 April occurrence was held: a new record for the
    // same occurrence; the others say what they said.
    let later = read(GOOGLE, "2026-04-20T00:00:00Z");
    let changed: Vec<String> = ids(&later)
        .into_iter()
        .filter(|id| !ids(&first).contains(id))
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(changed[0].starts_with(&format!("ics:{SERIES}_20260413T080000Z:")));
}

#[test]
fn calendar_range_ends_at_until_or_ninety_days_after_now() {
    let mut until = options("2026-03-01T00:00:00Z");
    until.until = Some(at("2026-03-10T00:00:00Z"));
    let bounded = read_meetings(GOOGLE.as_bytes(), &directory(), &until, |_| {});
    let series = of_uid(&bounded, SERIES);
    assert_eq!(series.len(), 2, "2 and 9 March");
    assert!(bounded.beyond_range > 0);
    assert_eq!(
        bounded.range,
        Some((at("2026-03-02T09:00:00Z"), at("2026-03-10T00:00:00Z")))
    );
    // Without --until: now + 90 days.
    let read = read(GOOGLE, "2026-01-01T00:00:00Z");
    assert_eq!(read.range.unwrap().1, at("2026-04-01T00:00:00Z"));
    assert!(
        of_uid(&read, SERIES)
            .iter()
            .all(|m| m.at < at("2026-04-01T00:00:00Z"))
    );
    assert!(
        of_uid(&read, SERIES)
            .iter()
            .all(|m| seen(m).status != MeetingStatus::Attended),
        "nothing had happened on 1 January"
    );
}

#[test]
fn calendar_windows_zone_names_and_the_files_own_vtimezone() {
    let read = read(OUTLOOK, "2026-04-01T00:00:00Z");
    let training = of_uid(&read, "040000008200E00074C5B7101A82E008000000004D2F");
    let times: Vec<(String, MeetingStatus)> = training
        .iter()
        .map(|m| (seen(m).at, seen(m).status))
        .collect();
    // W. Europe Standard Time is Europe/Berlin: 11:00 is 10:00Z, then 09:00Z.
    assert_eq!(
        times,
        vec![
            ("2026-03-05T10:00:00Z".to_string(), MeetingStatus::Attended),
            ("2026-03-12T10:00:00Z".to_string(), MeetingStatus::Attended),
            ("2026-03-19T10:00:00Z".to_string(), MeetingStatus::Attended),
            ("2026-03-26T10:00:00Z".to_string(), MeetingStatus::Attended),
            ("2026-04-02T09:00:00Z".to_string(), MeetingStatus::Scheduled),
            ("2026-04-09T09:00:00Z".to_string(), MeetingStatus::Scheduled),
        ]
    );
    assert_eq!(seen(training[0]).kind, MeetingKind::Training);
    // The room is no attendee.
    assert_eq!(seen(training[0]).attendees, vec!["sarah.chen@acme.com"]);
    // "Customized Time Zone" is no name anyone knows: the file's VTIMEZONE
    // (Berlin's rules) says 14:00 on 30 March is 12:00Z.
    let workshop = of_uid(&read, "040000008200E00074C5B7101A82E00800000000AA11");
    assert_eq!(seen(workshop[0]).at, "2026-03-30T12:00:00Z");
    assert_eq!(seen(workshop[0]).kind, MeetingKind::Workshop);
    // A zone nobody defines rejects its event, naming it.
    assert_eq!(read.rejected.len(), 1, "{:?}", read.rejected);
    assert_eq!(read.rejected[0].line, 63);
    assert_eq!(
        read.rejected[0].reason,
        "DTSTART: time zone `Mars Standard Time` is neither an IANA name, a known Windows zone \
         nor defined by a VTIMEZONE in the file"
    );
}

#[test]
fn calendar_a_malformed_event_is_one_diagnostic_and_the_rest_is_read() {
    let text = GOOGLE.replacen(
        "SUMMARY:Dentist",
        "SUMMARY:Dentist\r\nthis line is not a content line",
        1,
    );
    let read = read(&text, "2026-04-01T00:00:00Z");
    assert_eq!(read.rejected.len(), 1, "{:?}", read.rejected);
    assert_eq!(read.rejected[0].line, 113);
    assert!(
        read.rejected[0]
            .reason
            .starts_with("the VEVENT could not be read"),
        "{}",
        read.rejected[0].reason
    );
    assert_eq!(of_uid(&read, SERIES).len(), 6);
    let no_uid = GOOGLE.replacen("UID:9z8y7x6w5v4u3t2s1r0q9p8o7n@google.com\r\n", "", 1);
    let without_uid = super::tests::read(&no_uid, "2026-04-01T00:00:00Z");
    assert_eq!(
        without_uid
            .rejected
            .iter()
            .map(|rejected| rejected.reason.as_str())
            .collect::<Vec<_>>(),
        vec!["the event has no UID, so it cannot be told apart from others on a re-import"]
    );
}

#[test]
fn calendar_kind_from_title_follows_the_documented_rules() {
    let table = [
        ("Acme QBR", MeetingKind::Qbr),
        ("Q3 Business Review – Acme", MeetingKind::Qbr),
        ("Executive Business Review", MeetingKind::Qbr),
        ("Exec sponsor call", MeetingKind::Exec),
        ("Executive alignment", MeetingKind::Exec),
        ("Execution planning", MeetingKind::Other),
        ("Admin onboarding", MeetingKind::Training),
        ("Reporting training", MeetingKind::Training),
        ("Data workshop", MeetingKind::Workshop),
        ("Weekly check-in", MeetingKind::CheckIn),
        ("Acme/OurCo sync", MeetingKind::CheckIn),
        ("Synchronise exports", MeetingKind::Other),
        ("Lunch", MeetingKind::Other),
        ("", MeetingKind::Other),
    ];
    for (title, kind) in table {
        assert_eq!(kind_from_title(title), kind, "{title}");
    }
}

#[test]
fn calendar_durations_are_read_as_rfc_5545_writes_them() {
    let minutes = |text: &str| parse_duration(text).map(|d| d.num_minutes());
    assert_eq!(minutes("PT1H30M"), Some(90));
    assert_eq!(minutes("P1D"), Some(1440));
    assert_eq!(minutes("P1W"), Some(10080));
    assert_eq!(minutes("-PT15M"), Some(-15));
    assert_eq!(minutes("PT"), None);
    assert_eq!(minutes("1H"), None);
    assert_eq!(minutes("P1H"), None);
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Whatever the bytes, reading never panics, and a line of junk
        /// inserted anywhere costs at most the one event it lands in.
        #[test]
        fn calendar_junk_costs_at_most_one_event(
            junk in "[ -~]{0,40}",
            position in 0usize..150,
        ) {
            let mut lines: Vec<&str> = GOOGLE.split("\r\n").collect();
            let position = position.min(lines.len());
            lines.insert(position, &junk);
            let text = lines.join("\r\n");
            let read = read(&text, "2026-04-01T00:00:00Z");
            let clean = super::read(GOOGLE, "2026-04-01T00:00:00Z");
            // The biggest event is the series' six occurrences.
            prop_assert!(read.meetings.len() + 6 >= clean.meetings.len());
        }

        #[test]
        fn calendar_any_text_is_read_without_panicking(text in "(?s).{0,400}") {
            let _ = read(&text, "2026-04-01T00:00:00Z");
        }
    }
}
