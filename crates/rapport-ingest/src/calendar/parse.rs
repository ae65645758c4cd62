//! Reading an iCalendar file (RFC 5545) into its events and time-zone
//! definitions. The file is cut into components by their `BEGIN`/`END` lines
//! (after unfolding), and each `VEVENT` or `VTIMEZONE` is parsed on its own
//! through the `icalendar` crate's parser, so a malformed event is one
//! diagnostic, naming the line it starts on, and the rest of the file is read.

use std::io::BufRead;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use icalendar::parser::{Component, Property};

use crate::{FileError, RecordError};

/// A date or date-time value as written, before any time zone is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WrittenTime {
    /// `VALUE=DATE`: an all-day value.
    Date(NaiveDate),
    /// `…Z`: in UTC.
    Utc(NaiveDateTime),
    /// A local time, in the zone `TZID` names, or floating (no zone) when `None`.
    Local(NaiveDateTime, Option<String>),
}

impl WrittenTime {
    pub fn is_date(&self) -> bool {
        matches!(self, WrittenTime::Date(_))
    }
}

/// One invitee, as the `ATTENDEE` property gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    /// The address, lowercased, without `mailto:`.
    pub address: String,
    /// `PARTSTAT=DECLINED`.
    pub declined: bool,
}

/// A `VEVENT`: a single event, a recurring series (with `RRULE`/`RDATE`), or
/// one modified instance of a series (with `RECURRENCE-ID`).
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarEvent {
    /// The 1-based line its `BEGIN:VEVENT` is on.
    pub line: u64,
    pub uid: String,
    pub recurrence_id: Option<WrittenTime>,
    pub start: WrittenTime,
    pub end: Option<WrittenTime>,
    pub duration: Option<Duration>,
    pub summary: String,
    /// `STATUS:CANCELLED`.
    pub cancelled: bool,
    /// The organiser's address, lowercased, when it has one.
    pub organizer: Option<String>,
    /// Invitees that are people (rooms and other resources are left out).
    pub attendees: Vec<Attendee>,
    pub rrules: Vec<String>,
    pub rdates: Vec<WrittenTime>,
    pub exdates: Vec<WrittenTime>,
}

/// One observance of a `VTIMEZONE` (`STANDARD` or `DAYLIGHT`): from its onset
/// (local time, recurring by `RRULE` or listed by `RDATE`), clocks read
/// `offset_to` seconds ahead of UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observance {
    pub onset: NaiveDateTime,
    pub offset_from: i32,
    pub offset_to: i32,
    pub rrule: Option<String>,
    pub rdates: Vec<NaiveDateTime>,
}

/// A `VTIMEZONE` as the file defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimezoneDefinition {
    pub tzid: String,
    pub observances: Vec<Observance>,
}

/// Everything read from one file.
#[derive(Debug, Default)]
pub struct CalendarFile {
    pub events: Vec<CalendarEvent>,
    pub timezones: Vec<TimezoneDefinition>,
    /// `X-WR-TIMEZONE` (Google's calendar-wide zone), for floating times.
    pub calendar_zone: Option<String>,
    pub rejected: Vec<RecordError>,
    /// The file stopped being readable (what came before it was read).
    pub fatal: Option<FileError>,
}

/// A logical (unfolded) content line and the physical line it starts on.
struct ContentLine {
    line: u64,
    text: String,
}

/// Reads a whole calendar; `on_line` is told each physical line's byte count
/// (for a progress bar).
pub fn read_calendar(mut reader: impl BufRead, mut on_bytes: impl FnMut(u64)) -> CalendarFile {
    let mut file = CalendarFile::default();
    let mut lines: Vec<ContentLine> = Vec::new();
    let mut buffer = Vec::new();
    let mut number = 0u64;
    // A line that is not UTF-8 spoils the component it is in: the component's
    // first line is remembered with the reason, and reported once.
    let mut bad_lines: Vec<(u64, String)> = Vec::new();
    loop {
        buffer.clear();
        match reader.read_until(b'\n', &mut buffer) {
            Ok(0) => break,
            Ok(read) => on_bytes(read as u64),
            Err(error) => {
                file.fatal = Some(FileError::ReadStopped {
                    line: number,
                    source: error,
                });
                break;
            }
        }
        number += 1;
        let mut bytes = buffer.as_slice();
        if number == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
            bytes = &bytes[3..];
        }
        while let [rest @ .., b'\n' | b'\r'] = bytes {
            bytes = rest;
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(error) => {
                bad_lines.push((
                    number,
                    format!(
                        "line {number} is not valid UTF-8 ({})",
                        crate::invalid_utf8_at(bytes, error.valid_up_to())
                    ),
                ));
                String::from_utf8_lossy(bytes).into_owned()
            }
        };
        match (text.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(continued), Some(last)) => last.text.push_str(continued),
            _ if text.trim().is_empty() => {}
            _ => lines.push(ContentLine { line: number, text }),
        }
    }
    split_components(&lines, &bad_lines, &mut file);
    file
}

/// Finds each `VEVENT` and `VTIMEZONE` (at any depth below `VCALENDAR`) and
/// the calendar's own properties, and reads them.
fn split_components(lines: &[ContentLine], bad_lines: &[(u64, String)], file: &mut CalendarFile) {
    let mut depth = 0usize;
    let mut start: Option<(usize, String)> = None;
    for (index, content) in lines.iter().enumerate() {
        let (name, value) = content.text.split_once(':').unwrap_or((&content.text, ""));
        let value = value.trim();
        if name.eq_ignore_ascii_case("BEGIN") {
            depth += 1;
            let wanted =
                value.eq_ignore_ascii_case("VEVENT") || value.eq_ignore_ascii_case("VTIMEZONE");
            if start.is_none() && wanted {
                start = Some((index, value.to_ascii_uppercase()));
            }
        } else if name.eq_ignore_ascii_case("END") {
            depth = depth.saturating_sub(1);
            if let Some((first, kind)) = &start
                && value.eq_ignore_ascii_case(kind)
            {
                let chunk = &lines[*first..=index];
                let first_line = chunk[0].line;
                let last_line = content.line;
                match bad_lines
                    .iter()
                    .find(|(line, _)| (first_line..=last_line).contains(line))
                {
                    Some((_, reason)) => file.rejected.push(RecordError {
                        line: first_line,
                        reason: reason.clone(),
                    }),
                    None => read_component(kind, chunk, file),
                }
                start = None;
            }
        } else if depth == 1
            && start.is_none()
            && name.eq_ignore_ascii_case("X-WR-TIMEZONE")
            && !value.is_empty()
        {
            file.calendar_zone = Some(value.to_string());
        }
    }
    if let Some((first, kind)) = start {
        file.rejected.push(RecordError {
            line: lines[first].line,
            reason: format!("BEGIN:{kind} without END:{kind}; the file is cut short"),
        });
    }
}

fn read_component(kind: &str, chunk: &[ContentLine], file: &mut CalendarFile) {
    let line = chunk[0].line;
    let mut text = String::new();
    for content in chunk {
        text.push_str(&content.text);
        text.push('\n');
    }
    let parsed = icalendar::parser::read_components(&text);
    let component = match parsed {
        Ok(mut components) if components.len() == 1 => components.remove(0),
        Ok(_) => {
            return file.rejected.push(RecordError {
                line,
                reason: format!("the {kind} could not be read"),
            });
        }
        Err(error) => {
            return file.rejected.push(RecordError {
                line,
                reason: format!(
                    "the {kind} could not be read: {}",
                    parse_problem(&error, chunk)
                ),
            });
        }
    };
    let result = if kind == "VEVENT" {
        event(&component, line).map(|event| file.events.push(event))
    } else {
        timezone(&component).map(|zone| file.timezones.push(zone))
    };
    if let Err(reason) = result {
        file.rejected.push(RecordError { line, reason });
    }
}

/// The parser's complaint, shortened to the content line it stopped at (its
/// messages quote the unfolded text, with line numbers of their own).
fn parse_problem(error: &str, chunk: &[ContentLine]) -> String {
    let at_line = error
        .lines()
        .find_map(|line| line.trim().strip_prefix("at line "))
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse::<usize>().ok());
    match at_line.and_then(|index| chunk.get(index.checked_sub(1)?)) {
        Some(content) => format!(
            "line {} is not a content line (NAME;PARAMS:VALUE): `{}`",
            content.line,
            shorten(&content.text)
        ),
        None => "it is not made of content lines (NAME;PARAMS:VALUE)".to_string(),
    }
}

fn shorten(text: &str) -> String {
    let mut shown: String = text.chars().take(60).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    shown
}

fn properties<'a>(
    component: &'a Component<'a>,
    name: &'a str,
) -> impl Iterator<Item = &'a Property<'a>> + 'a {
    component
        .properties
        .iter()
        .filter(move |property| property.name.as_str().eq_ignore_ascii_case(name))
}

fn property<'a>(component: &'a Component<'a>, name: &'a str) -> Option<&'a Property<'a>> {
    properties(component, name).next()
}

fn parameter<'a>(property: &'a Property<'a>, key: &str) -> Option<&'a str> {
    property
        .params
        .iter()
        .find(|parameter| parameter.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|parameter| parameter.val.as_ref())
        .map(|value| value.as_str().trim_matches('"'))
}

fn event(component: &Component<'_>, line: u64) -> Result<CalendarEvent, String> {
    let uid = property(component, "UID")
        .map(|uid| uid.val.as_str().trim().to_string())
        .filter(|uid| !uid.is_empty())
        .ok_or_else(|| {
            "the event has no UID, so it cannot be told apart from others on a re-import"
                .to_string()
        })?;
    let start = property(component, "DTSTART")
        .ok_or_else(|| "the event has no DTSTART".to_string())
        .and_then(|start| written_times(start, "DTSTART").map(|mut times| times.remove(0)))?;
    let end = property(component, "DTEND")
        .map(|end| written_times(end, "DTEND").map(|mut times| times.remove(0)))
        .transpose()?;
    let duration = property(component, "DURATION")
        .map(|duration| {
            parse_duration(duration.val.as_str())
                .ok_or_else(|| format!("DURATION `{}` is not a duration", duration.val.as_str()))
        })
        .transpose()?;
    let recurrence_id = property(component, "RECURRENCE-ID")
        .map(|id| written_times(id, "RECURRENCE-ID").map(|mut times| times.remove(0)))
        .transpose()?;
    let summary = property(component, "SUMMARY")
        .map(|summary| {
            summary
                .val
                .clone()
                .unescape_text()
                .as_str()
                .trim()
                .to_string()
        })
        .unwrap_or_default();
    let cancelled = property(component, "STATUS")
        .is_some_and(|status| status.val.as_str().trim().eq_ignore_ascii_case("CANCELLED"));
    let organizer = property(component, "ORGANIZER").and_then(|organizer| address(organizer));
    let attendees = properties(component, "ATTENDEE")
        .filter(|attendee| {
            // Rooms and equipment are invited too (Outlook, Google): not people.
            !parameter(attendee, "CUTYPE").is_some_and(|kind| {
                ["ROOM", "RESOURCE"]
                    .iter()
                    .any(|resource| kind.eq_ignore_ascii_case(resource))
            })
        })
        .filter_map(|attendee| {
            Some(Attendee {
                address: address(attendee)?,
                declined: parameter(attendee, "PARTSTAT")
                    .is_some_and(|status| status.eq_ignore_ascii_case("DECLINED")),
            })
        })
        .collect();
    let rrules = properties(component, "RRULE")
        .map(|rule| rule.val.as_str().trim().to_string())
        .collect();
    let mut rdates = Vec::new();
    for rdate in properties(component, "RDATE") {
        rdates.extend(written_times(rdate, "RDATE")?);
    }
    let mut exdates = Vec::new();
    for exdate in properties(component, "EXDATE") {
        exdates.extend(written_times(exdate, "EXDATE")?);
    }
    Ok(CalendarEvent {
        line,
        uid,
        recurrence_id,
        start,
        end,
        duration,
        summary,
        cancelled,
        organizer,
        attendees,
        rrules,
        rdates,
        exdates,
    })
}

/// The e-mail address of an `ORGANIZER` or `ATTENDEE` (`mailto:` value, or
/// the `EMAIL` parameter some producers add), lowercased.
fn address(property: &Property<'_>) -> Option<String> {
    let value = property.val.as_str().trim();
    let from_value = value
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("mailto:"))
        .map(|_| &value[7..]);
    let address = from_value
        .or_else(|| parameter(property, "EMAIL"))
        .map(|address| address.trim().to_ascii_lowercase())?;
    rapport_core::Email::parse(&address).ok()?;
    Some(address)
}

/// A date or date-time property's values (`EXDATE` and `RDATE` may list
/// several, comma-separated).
fn written_times(property: &Property<'_>, name: &str) -> Result<Vec<WrittenTime>, String> {
    let is_date =
        parameter(property, "VALUE").is_some_and(|value| value.eq_ignore_ascii_case("DATE"));
    let zone = parameter(property, "TZID").map(str::to_string);
    let value = property.val.as_str();
    let mut times = Vec::new();
    for written in value
        .split(',')
        .map(str::trim)
        .filter(|text| !text.is_empty())
    {
        let time = if is_date || (written.len() == 8 && !written.contains('T')) {
            NaiveDate::parse_from_str(written, "%Y%m%d")
                .ok()
                .map(WrittenTime::Date)
        } else if let Some(utc) = written.strip_suffix(['Z', 'z']) {
            NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
                .ok()
                .map(WrittenTime::Utc)
        } else {
            NaiveDateTime::parse_from_str(written, "%Y%m%dT%H%M%S")
                .ok()
                .map(|local| WrittenTime::Local(local, zone.clone()))
        };
        times.push(time.ok_or_else(|| {
            format!("{name} `{written}` is not a date (YYYYMMDD) or date-time (YYYYMMDDTHHMMSS[Z])")
        })?);
    }
    if times.is_empty() {
        return Err(format!("{name} has no value"));
    }
    Ok(times)
}

/// An RFC 5545 duration: `[+-]P[nW]` or `[+-]P[nD][T[nH][nM][nS]]`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (negative, text) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let mut rest = text.strip_prefix(['P', 'p'])?;
    let mut seconds: i64 = 0;
    let mut in_time = false;
    let mut any = false;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(['T', 't']) {
            in_time = true;
            rest = after;
            continue;
        }
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        let number: i64 = rest[..digits].parse().ok()?;
        let unit = rest[digits..].chars().next()?.to_ascii_uppercase();
        let scale = match (unit, in_time) {
            ('W', false) => 7 * 86_400,
            ('D', false) => 86_400,
            ('H', true) => 3_600,
            ('M', true) => 60,
            ('S', true) => 1,
            _ => return None,
        };
        seconds = seconds.checked_add(number.checked_mul(scale)?)?;
        any = true;
        rest = &rest[digits + 1..];
    }
    if !any {
        return None;
    }
    Duration::try_seconds(if negative { -seconds } else { seconds })
}

/// A UTC offset as `TZOFFSETFROM`/`TZOFFSETTO` write it: `+0100`, `-0530`, `+013000`.
fn parse_offset(text: &str) -> Option<i32> {
    let text = text.trim();
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = &text[1..];
    if !(digits.len() == 4 || digits.len() == 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[0..2].parse().ok()?;
    let minutes: i32 = digits[2..4].parse().ok()?;
    let seconds: i32 = digits.get(4..6).map_or(Some(0), |s| s.parse().ok())?;
    Some(sign * (hours * 3_600 + minutes * 60 + seconds))
}

fn timezone(component: &Component<'_>) -> Result<TimezoneDefinition, String> {
    let tzid = property(component, "TZID")
        .map(|tzid| tzid.val.as_str().trim().to_string())
        .filter(|tzid| !tzid.is_empty())
        .ok_or("the VTIMEZONE has no TZID")?;
    let mut observances = Vec::new();
    for observance in &component.components {
        let name = observance.name.as_str();
        if !(name.eq_ignore_ascii_case("STANDARD") || name.eq_ignore_ascii_case("DAYLIGHT")) {
            continue;
        }
        let offset = |key: &str| {
            property(observance, key)
                .and_then(|offset| parse_offset(offset.val.as_str()))
                .ok_or_else(|| format!("VTIMEZONE {tzid}: a {name} without a valid {key}"))
        };
        let local = |property: &Property<'_>, key: &str| -> Result<Vec<NaiveDateTime>, String> {
            written_times(property, key)?
                .into_iter()
                .map(|time| match time {
                    WrittenTime::Local(local, _) | WrittenTime::Utc(local) => Ok(local),
                    WrittenTime::Date(date) => Ok(date.and_time(chrono::NaiveTime::MIN)),
                })
                .collect()
        };
        let onset = property(observance, "DTSTART")
            .ok_or_else(|| format!("VTIMEZONE {tzid}: a {name} without DTSTART"))
            .and_then(|start| local(start, "DTSTART"))?
            .remove(0);
        let mut rdates = Vec::new();
        for rdate in properties(observance, "RDATE") {
            rdates.extend(local(rdate, "RDATE")?);
        }
        observances.push(Observance {
            onset,
            offset_from: offset("TZOFFSETFROM")?,
            offset_to: offset("TZOFFSETTO")?,
            rrule: property(observance, "RRULE").map(|rule| rule.val.as_str().trim().to_string()),
            rdates,
        });
    }
    if observances.is_empty() {
        return Err(format!("VTIMEZONE {tzid} has no STANDARD or DAYLIGHT part"));
    }
    Ok(TimezoneDefinition { tzid, observances })
}
