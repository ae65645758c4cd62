//! Calendar import (RFC 5545 `.ics`, as Outlook, Google Calendar or Apple
//! Calendar export it): every occurrence of every event in the imported range
//! becomes a `meeting` activity of the account its attendees belong to.
//! `docs/calendar.md` is the mapping, field by field; in short:
//!
//! - the range runs from the earliest `DTSTART` in the file to `until`
//!   (`--until`, else the import's now + 90 days); recurring series are
//!   expanded over it ([`recurrence`]), in their own time zone ([`zones`]);
//! - all-day events (`VALUE=DATE`) are not meetings: counted and skipped;
//! - the account: the attendees' (and organiser's) addresses among the
//!   stored contacts, else their domains when a domain belongs to exactly one
//!   account; no match, or several, is counted and listed, never guessed;
//! - the status: `cancelled` (by us when the organiser is on one of our
//!   domains, else by the customer) for `STATUS:CANCELLED` or when every
//!   customer invitee declined; `attended` when it started before now;
//!   `scheduled` otherwise. Who did not show up is recorded afterwards
//!   (`rapport meetings no-show`), and a re-import never undoes it;
//! - each record names its occurrence (`UID_original-start-in-UTC`, or the
//!   `UID` alone for an event that does not recur) and its
//!   id adds a digest of what it says, so a re-import of the same file is
//!   unchanged, and one that finds the occurrence moved, cancelled or held
//!   stores a new record that replaces the old in the engine.

mod parse;
mod recurrence;
mod zones;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::io::BufRead;

use chrono::NaiveDateTime;
use rapport_core::activity::{MeetingKind, MeetingStatus, Party};
use rapport_core::{Activity, ActivityDetail, Email, ExternalId, Timestamp};

pub use parse::parse_duration;
pub use zones::WINDOWS_ZONES;

pub use crate::directory::ContactDirectory;

use crate::directory::{NoAccount, domain_of, list};
use crate::{FileError, Parsed, RecordError};

/// How far past the import's now a calendar is read when no end is given.
pub const DEFAULT_DAYS_AHEAD: u32 = 90;

/// What a calendar import needs besides the file.
#[derive(Debug, Clone)]
pub struct CalendarOptions {
    /// Our team's e-mail domains (lowercase): an address on one is one of us.
    pub team_domains: Vec<String>,
    /// The import's now: occurrences before it took place.
    pub now: Timestamp,
    /// The end of the range (exclusive); `now` + [`DEFAULT_DAYS_AHEAD`] days when `None`.
    pub until: Option<Timestamp>,
}

impl CalendarOptions {
    pub fn range_end(&self) -> Timestamp {
        self.until
            .unwrap_or_else(|| self.now.plus_days(DEFAULT_DAYS_AHEAD))
    }
}

/// The account an event's customer-side `addresses` belong to (the shared
/// rule of [`crate::directory`]), the reason worded for a calendar.
fn account_of(directory: &ContactDirectory, addresses: &[&str]) -> Result<ExternalId, String> {
    directory
        .account_of(addresses)
        .map_err(|no_account| match no_account {
            NoAccount::Nothing => "no attendee outside our team".to_string(),
            NoAccount::Unknown { .. } | NoAccount::SharedDomain { .. } => {
                format!("no account has {} as a contact or domain", list(addresses))
            }
            NoAccount::Several { by, accounts } => format!(
                "the attendees are {} of several accounts ({}); not guessed",
                by.as_str(),
                NoAccount::accounts_listed(&accounts)
            ),
        })
}

/// An event none of whose occurrences could be given an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    pub line: u64,
    pub summary: String,
    pub occurrences: u64,
    pub reason: String,
}

/// What reading a calendar gave: the meetings, and everything left out.
#[derive(Debug, Default)]
pub struct CalendarMeetings {
    /// One activity per occurrence, with the line of the `VEVENT` it comes from.
    pub meetings: Vec<Parsed<Activity>>,
    pub rejected: Vec<RecordError>,
    /// All-day events skipped (they are not meetings), by the line they start on.
    pub all_day: Vec<Parsed<String>>,
    /// Events with no account, each once with how many occurrences it had.
    pub unmatched: Vec<Unmatched>,
    /// Occurrences at or after the end of the range.
    pub beyond_range: u64,
    /// The range read: from the earliest start in the file to its end.
    pub range: Option<(Timestamp, Timestamp)>,
    pub fatal: Option<FileError>,
}

/// Reads a calendar and makes a meeting of each occurrence in the range.
/// `on_bytes` is told how many bytes each line had (for a progress bar).
pub fn read_meetings(
    reader: impl BufRead,
    directory: &ContactDirectory,
    options: &CalendarOptions,
    on_bytes: impl FnMut(u64),
) -> CalendarMeetings {
    let file = parse::read_calendar(reader, on_bytes);
    let mut result = CalendarMeetings {
        rejected: file.rejected,
        fatal: file.fatal,
        ..CalendarMeetings::default()
    };
    let mut zones = zones::Zones::new(&file.timezones, file.calendar_zone.as_deref());
    let until = options.range_end().to_datetime().naive_utc();
    let expanded = recurrence::expand(&file.events, &mut zones, until);
    result.rejected.extend(expanded.rejected);
    result.beyond_range = expanded.beyond_range;
    result.all_day = expanded
        .all_day
        .iter()
        .map(|event| Parsed {
            line: event.line,
            record: event.summary.clone(),
        })
        .collect();
    let earliest = file
        .events
        .iter()
        .filter(|event| !event.start.is_date())
        .filter_map(|event| zones.instant(&event.start).ok())
        .min();
    result.range = earliest
        .and_then(|earliest| timestamp(earliest).ok())
        .map(|earliest| (earliest, options.range_end()));
    let mut unmatched: Vec<Unmatched> = Vec::new();
    let mut unmatched_at: HashMap<(u64, String), usize> = HashMap::new();
    for occurrence in &expanded.occurrences {
        match meeting(occurrence, directory, options) {
            Ok(activity) => result.meetings.push(Parsed {
                line: occurrence.event.line,
                record: activity,
            }),
            Err(Left::Rejected(reason)) => result.rejected.push(RecordError {
                line: occurrence.event.line,
                reason,
            }),
            Err(Left::Unmatched(reason)) => {
                let key = (occurrence.event.line, reason.clone());
                match unmatched_at.get(&key) {
                    Some(index) => unmatched[*index].occurrences += 1,
                    None => {
                        unmatched_at.insert(key, unmatched.len());
                        unmatched.push(Unmatched {
                            line: occurrence.event.line,
                            summary: occurrence.event.summary.clone(),
                            occurrences: 1,
                            reason,
                        });
                    }
                }
            }
        }
    }
    result.unmatched = unmatched;
    result.rejected.sort_by_key(|rejected| rejected.line);
    result
}

enum Left {
    Rejected(String),
    Unmatched(String),
}

fn timestamp(utc: NaiveDateTime) -> Result<Timestamp, String> {
    Timestamp::parse_rfc3339(&utc.and_utc().to_rfc3339())
        .map_err(|error| format!("DTSTART: {error}"))
}

/// The occurrence's id: for an occurrence of a recurring event, its `UID`
/// and original start in UTC, like Google's instance ids
/// (`UID_20260105T080000Z`); for an event that does not recur, its `UID`.
pub fn occurrence_key(uid: &str, original_start: Option<NaiveDateTime>) -> String {
    match original_start {
        Some(start) => format!("{uid}_{}", start.format("%Y%m%dT%H%M%SZ")),
        None => uid.to_string(),
    }
}

fn meeting(
    occurrence: &recurrence::Occurrence<'_>,
    directory: &ContactDirectory,
    options: &CalendarOptions,
) -> Result<Activity, Left> {
    let event = occurrence.event;
    // An instance that lists no invitee of its own (Google exports a
    // cancelled one so) has the series' invitees and organiser.
    let people = match occurrence.series {
        Some(series) if event.attendees.is_empty() && event.organizer.is_none() => series,
        Some(series) if event.attendees.is_empty() => &parse::CalendarEvent {
            organizer: event.organizer.clone(),
            attendees: series.attendees.clone(),
            ..series.clone()
        },
        _ => event,
    };
    let ours = |address: &str| {
        domain_of(address)
            .is_some_and(|domain| options.team_domains.iter().any(|own| own == domain))
    };
    let organizer_is_ours = people.organizer.as_deref().map(ours);
    // The customer's people: invitees and organiser outside our domains.
    let mut customer: Vec<(&str, bool)> = Vec::new();
    if let Some(organizer) = people.organizer.as_deref()
        && !ours(organizer)
    {
        customer.push((organizer, false));
    }
    for attendee in &people.attendees {
        if ours(&attendee.address) {
            continue;
        }
        match customer
            .iter_mut()
            .find(|(address, _)| *address == attendee.address)
        {
            Some(seen) => seen.1 |= attendee.declined,
            None => customer.push((&attendee.address, attendee.declined)),
        }
    }
    let addresses: Vec<&str> = customer.iter().map(|(address, _)| *address).collect();
    let account = account_of(directory, &addresses).map_err(Left::Unmatched)?;
    let attending: Vec<Email> = customer
        .iter()
        .filter(|(_, declined)| !declined)
        .filter_map(|(address, _)| Email::parse(address).ok())
        .collect();
    let at = timestamp(occurrence.start).map_err(Left::Rejected)?;
    let everyone_declined = attending.is_empty();
    let (status, cancelled_by) = if event.cancelled {
        // No organiser: the calendar's owner made it, one of us.
        let by = if organizer_is_ours.unwrap_or(true) {
            Party::Us
        } else {
            Party::Customer
        };
        (MeetingStatus::Cancelled, Some(by))
    } else if everyone_declined {
        (MeetingStatus::Cancelled, Some(Party::Customer))
    } else if at < options.now {
        (MeetingStatus::Attended, None)
    } else {
        (MeetingStatus::Scheduled, None)
    };
    let key = occurrence_key(
        &event.uid,
        (!occurrence.single).then_some(occurrence.original_start),
    );
    let detail = ActivityDetail::Meeting {
        status,
        cancelled_by,
        initiated_by: organizer_is_ours.map(|ours| if ours { Party::Us } else { Party::Customer }),
        attendees: attending,
        kind: kind_from_title(&event.summary),
        duration_min: occurrence.minutes,
        occurrence: Some(key.clone()),
        recorded_by: None,
    };
    // The id says what the record says: the same file imported again is
    // unchanged; a moved, cancelled or held occurrence is a new record.
    let mut digest = sha1_smol::Sha1::new();
    digest.update(account.as_str().as_bytes());
    digest.update(&at.millis().to_le_bytes());
    digest.update(
        serde_json::to_string(&detail)
            .unwrap_or_default()
            .as_bytes(),
    );
    let version = digest.digest().to_string();
    Ok(Activity {
        source_id: Some(format!("ics:{key}:{}", &version[..12])),
        account,
        at,
        detail,
    })
}

/// A meeting's kind from its title: the first rule whose word or phrase the
/// title holds (ignoring case and punctuation: "Check-in" is "check in").
pub const KIND_RULES: &[(MeetingKind, &[&str])] = &[
    (
        MeetingKind::Qbr,
        &["qbr", "ebr", "business review", "quarterly review"],
    ),
    (
        MeetingKind::Exec,
        &["exec", "executive", "steering committee", "steerco"],
    ),
    (
        MeetingKind::Training,
        &["training", "onboarding", "enablement"],
    ),
    (MeetingKind::Workshop, &["workshop"]),
    (
        MeetingKind::CheckIn,
        &[
            "check in",
            "checkin",
            "sync",
            "catch up",
            "catchup",
            "touch base",
            "status call",
        ],
    ),
];

/// The kind [`KIND_RULES`] give a title; `other` when none matches.
pub fn kind_from_title(title: &str) -> MeetingKind {
    let words: Vec<String> = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect();
    let holds = |phrase: &str| {
        let phrase: Vec<&str> = phrase.split(' ').collect();
        words.windows(phrase.len()).any(|window| {
            window
                .iter()
                .zip(&phrase)
                .all(|(word, wanted)| word == wanted)
        })
    };
    KIND_RULES
        .iter()
        .find(|(_, phrases)| phrases.iter().any(|phrase| holds(phrase)))
        .map_or(MeetingKind::Other, |(kind, _)| *kind)
}

// ---------------------------------------------------------------------------
// Into the store
// ---------------------------------------------------------------------------

/// What importing one calendar file did.
#[derive(Debug, Clone, Default)]
pub struct CalendarReport {
    /// Meetings written (`inserted`), already stored (`unchanged`), events
    /// rejected (by the line they start on), or why nothing could be done.
    pub file: crate::FileReport,
    /// All-day events skipped, by the line they start on.
    pub all_day: Vec<Parsed<String>>,
    pub unmatched: Vec<Unmatched>,
    /// Occurrences at or after the end of the range.
    pub beyond_range: u64,
    pub range: Option<(Timestamp, Timestamp)>,
}

/// Imports a calendar file: its meetings go to the store in one transaction
/// (a re-import writes only what changed: see the module's doc).
pub fn import_calendar(
    store: &dyn rapport_store::Store,
    path: &std::path::Path,
    options: &CalendarOptions,
    progress: &dyn crate::ImportProgress,
) -> CalendarReport {
    let mut report = CalendarReport {
        file: crate::FileReport {
            path: path.to_path_buf(),
            ..crate::FileReport::default()
        },
        ..CalendarReport::default()
    };
    if options.team_domains.is_empty() {
        report.file.fatal = Some(
            "no team domains are set (team_domains in rapport.toml, or RAPPORT_TEAM_DOMAINS): \
             without them our people cannot be told from the customer's, nor our \
             cancellations from theirs"
                .into(),
        );
        return report;
    }
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) => {
            report.file.fatal = Some(format!("cannot read: {error}"));
            return report;
        }
    };
    let contacts = match store.contacts() {
        Ok(contacts) => contacts,
        Err(error) => {
            report.file.fatal = Some(format!("cannot read the stored contacts: {error}"));
            return report;
        }
    };
    let directory = ContactDirectory::new(&contacts);
    progress.start(
        path,
        file.metadata().map(|metadata| metadata.len()).unwrap_or(0),
    );
    let mut bytes_read = 0;
    let read = read_meetings(
        std::io::BufReader::new(file),
        &directory,
        options,
        |bytes| {
            bytes_read += bytes;
            progress.advance_to(bytes_read);
        },
    );
    progress.finish();
    report.file.rejected = read.rejected;
    report.all_day = read.all_day;
    report.unmatched = read.unmatched;
    report.beyond_range = read.beyond_range;
    report.range = read.range;
    if let Some(error) = read.fatal {
        report.file.fatal = Some(error.to_string());
    }
    let meetings: Vec<Activity> = read
        .meetings
        .into_iter()
        .map(|parsed| parsed.record)
        .collect();
    if !meetings.is_empty() {
        match store.insert_activities(&meetings) {
            Ok(outcomes) => report.file.count(&outcomes),
            Err(error) => {
                report.file.fatal = Some(format!(
                    "the store refused the meetings, nothing of them was written: {error}"
                ));
            }
        }
    }
    report
}
