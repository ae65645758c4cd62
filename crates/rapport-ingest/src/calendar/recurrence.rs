//! Occurrences: every event of a file as the instants it takes place at.
//! A recurring series (`RRULE`, `RDATE`) is expanded in its own local time
//! (RFC 5545: a weekly 09:00 meeting in Berlin stays at 09:00 across a
//! daylight-saving change, so its UTC time moves), by the `rrule` crate over
//! wall-clock times with UTC standing in for the zone, each instance then
//! turned into UTC by [`Zone::to_utc`]. `EXDATE`s remove instances; a
//! `VEVENT` with the same `UID` and a `RECURRENCE-ID` replaces the one
//! instance it names (moved, retitled, cancelled).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDateTime, TimeZone, Utc};

use super::parse::{CalendarEvent, WrittenTime};
use super::zones::{Zone, Zones};
use crate::RecordError;

/// At most this many instances of one series are expanded.
pub const MAX_INSTANCES: u16 = 5_000;

/// One occurrence of an event.
#[derive(Debug, Clone)]
pub struct Occurrence<'a> {
    /// The `VEVENT` that describes it: the series, or the instance's own.
    pub event: &'a CalendarEvent,
    /// The series it belongs to, when the file has it (for an instance
    /// exported without its invitees, as Google writes a cancelled one).
    pub series: Option<&'a CalendarEvent>,
    /// The event does not recur: its one occurrence is the event itself,
    /// whatever its start (a rescheduled one-off meeting stays one meeting).
    pub single: bool,
    /// When the series placed it (its `RECURRENCE-ID`), in UTC: with the
    /// `UID`, what identifies it for good, however it is moved.
    pub original_start: NaiveDateTime,
    /// When it takes place, in UTC.
    pub start: NaiveDateTime,
    pub minutes: Option<f64>,
}

/// The occurrences before the end of the range, and what was left out.
#[derive(Debug, Default)]
pub struct Expanded<'a> {
    pub occurrences: Vec<Occurrence<'a>>,
    pub rejected: Vec<RecordError>,
    /// All-day events (`VALUE=DATE`), which are not meetings.
    pub all_day: Vec<&'a CalendarEvent>,
    /// Occurrences at or after the end of the range.
    pub beyond_range: u64,
}

/// Expands `events` into occurrences starting before `until` (UTC).
pub fn expand<'a>(
    events: &'a [CalendarEvent],
    zones: &mut Zones,
    until: NaiveDateTime,
) -> Expanded<'a> {
    let mut expanded = Expanded::default();
    // Series and their modified instances, by UID, in file order.
    let mut series: BTreeMap<&str, (Option<&CalendarEvent>, Vec<&CalendarEvent>)> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for event in events {
        if event.start.is_date() {
            expanded.all_day.push(event);
            continue;
        }
        let entry = series.entry(event.uid.as_str()).or_insert_with(|| {
            order.push(event.uid.as_str());
            (None, Vec::new())
        });
        match (&event.recurrence_id, entry.0) {
            (Some(_), _) => entry.1.push(event),
            (None, None) => entry.0 = Some(event),
            (None, Some(first)) => expanded.rejected.push(RecordError {
                line: event.line,
                reason: format!(
                    "UID `{}` is already the event on line {}; this one is left out",
                    event.uid, first.line
                ),
            }),
        }
    }
    for uid in order {
        let (master, instances) = &series[uid];
        let emit = |occurrence: Occurrence<'a>, expanded: &mut Expanded<'a>| {
            if occurrence.start < until {
                expanded.occurrences.push(occurrence);
            } else {
                expanded.beyond_range += 1;
            }
        };
        // Modified instances by the instant they replace.
        let mut replacing: HashMap<NaiveDateTime, &CalendarEvent> = HashMap::new();
        for instance in instances {
            let Some(id) = &instance.recurrence_id else {
                continue;
            };
            match zones.instant(id) {
                Ok(original) => {
                    replacing.insert(original, instance);
                }
                Err(reason) => expanded.rejected.push(RecordError {
                    line: instance.line,
                    reason: format!("RECURRENCE-ID: {reason}"),
                }),
            }
        }
        let mut used: HashSet<NaiveDateTime> = HashSet::new();
        let mut series_minutes = None;
        if let Some(master) = master {
            match series_instants(master, zones, until) {
                Ok((instants, minutes)) => {
                    series_minutes = minutes;
                    for instant in instants {
                        let occurrence = match replacing.get(&instant) {
                            Some(instance) => {
                                used.insert(instant);
                                match instance_occurrence(instance, instant, minutes, zones) {
                                    Ok(occurrence) => Occurrence {
                                        series: Some(master),
                                        ..occurrence
                                    },
                                    Err(rejected) => {
                                        expanded.rejected.push(rejected);
                                        continue;
                                    }
                                }
                            }
                            None => Occurrence {
                                event: master,
                                series: Some(master),
                                single: master.rrules.is_empty() && master.rdates.is_empty(),
                                original_start: instant,
                                start: instant,
                                minutes,
                            },
                        };
                        emit(occurrence, &mut expanded);
                    }
                }
                Err(reason) => expanded.rejected.push(RecordError {
                    line: master.line,
                    reason,
                }),
            }
        }
        // Modified instances the series did not produce (no series in the
        // file, or an instance moved from a date the rule no longer makes):
        // each still takes place, as it says.
        let mut rest: Vec<(&NaiveDateTime, &&CalendarEvent)> = replacing
            .iter()
            .filter(|(instant, _)| !used.contains(*instant))
            .collect();
        rest.sort_by_key(|(instant, event)| (**instant, event.line));
        for (instant, instance) in rest {
            match instance_occurrence(instance, *instant, series_minutes, zones) {
                Ok(occurrence) => emit(
                    Occurrence {
                        series: *master,
                        ..occurrence
                    },
                    &mut expanded,
                ),
                Err(rejected) => expanded.rejected.push(rejected),
            }
        }
    }
    expanded
}

/// A modified instance replacing the series' instance at `original`.
fn instance_occurrence<'a>(
    instance: &'a CalendarEvent,
    original: NaiveDateTime,
    series_minutes: Option<f64>,
    zones: &mut Zones,
) -> Result<Occurrence<'a>, RecordError> {
    let start = zones
        .instant(&instance.start)
        .map_err(|reason| RecordError {
            line: instance.line,
            reason: format!("DTSTART: {reason}"),
        })?;
    let minutes = minutes(instance, start, zones)
        .map_err(|reason| RecordError {
            line: instance.line,
            reason,
        })?
        .or(series_minutes);
    Ok(Occurrence {
        event: instance,
        series: None,
        single: false,
        original_start: original,
        start,
        minutes,
    })
}

/// How long an event lasts, in minutes: `DTEND − DTSTART`, or `DURATION`.
fn minutes(
    event: &CalendarEvent,
    start: NaiveDateTime,
    zones: &mut Zones,
) -> Result<Option<f64>, String> {
    let length = match (&event.end, event.duration) {
        (Some(end), _) => Some(
            zones
                .instant(end)
                .map_err(|reason| format!("DTEND: {reason}"))?
                - start,
        ),
        (None, Some(duration)) => Some(duration),
        (None, None) => None,
    };
    Ok(length
        .map(|length| length.num_seconds() as f64 / 60.0)
        .filter(|minutes| *minutes >= 0.0))
}

/// Every instant of a series (one for an event that does not recur) before
/// `until`, in UTC and in order, with the series' length in minutes.
fn series_instants(
    master: &CalendarEvent,
    zones: &mut Zones,
    until: NaiveDateTime,
) -> Result<(Vec<NaiveDateTime>, Option<f64>), String> {
    let zone = zones
        .zone_of(&master.start)
        .map_err(|reason| format!("DTSTART: {reason}"))?;
    let start = zones
        .instant(&master.start)
        .map_err(|reason| format!("DTSTART: {reason}"))?;
    let length = minutes(master, start, zones)?;
    let mut instants: Vec<NaiveDateTime> = vec![start];
    if !master.rrules.is_empty() {
        let local_start = match &master.start {
            WrittenTime::Local(local, _) => *local,
            _ => zone.to_local(start),
        };
        instants.extend(rule_instants(&master.rrules, local_start, &zone, until)?);
    }
    for rdate in &master.rdates {
        instants.push(
            zones
                .instant(rdate)
                .map_err(|reason| format!("RDATE: {reason}"))?,
        );
    }
    let mut excluded_instants = HashSet::new();
    let mut excluded_dates = HashSet::new();
    for exdate in &master.exdates {
        match exdate {
            WrittenTime::Date(date) => {
                excluded_dates.insert(*date);
            }
            written => {
                excluded_instants.insert(
                    zones
                        .instant(written)
                        .map_err(|reason| format!("EXDATE: {reason}"))?,
                );
            }
        }
    }
    instants.sort_unstable();
    instants.dedup();
    instants.retain(|instant| {
        !excluded_instants.contains(instant)
            && !excluded_dates.contains(&zone.to_local(*instant).date())
    });
    Ok((instants, length))
}

/// The instances the `RRULE`s make, from `local_start` (wall-clock time in
/// `zone`) up to `until` (UTC), in UTC.
fn rule_instants(
    rules: &[String],
    local_start: NaiveDateTime,
    zone: &Zone,
    until: NaiveDateTime,
) -> Result<Vec<NaiveDateTime>, String> {
    let carrier =
        |local: NaiveDateTime| Utc.from_utc_datetime(&local).with_timezone(&rrule::Tz::UTC);
    let mut instants = Vec::new();
    for written in rules {
        let (rule_text, rule_until) = without_until(written, zone)?;
        let mut rule: rrule::RRule<rrule::Unvalidated> = rule_text
            .parse()
            .map_err(|error| format!("RRULE `{written}` is not a recurrence rule: {error}"))?;
        if let Some(local_until) = rule_until {
            rule = rule.until(carrier(local_until));
        }
        let set = rule
            .build(carrier(local_start))
            .map_err(|error| format!("RRULE `{written}` is not a recurrence rule: {error}"))?;
        // A day past the end in local time, whatever the zone's offset.
        let last = zone.to_local(until) + chrono::Duration::days(1);
        let result = set.before(carrier(last)).all(MAX_INSTANCES);
        if result.limited && result.dates.len() >= usize::from(MAX_INSTANCES) {
            return Err(format!(
                "RRULE `{written}` makes more than {MAX_INSTANCES} occurrences before the end of \
                 the range; import a shorter range (--until)"
            ));
        }
        instants.extend(
            result
                .dates
                .iter()
                .map(|date| zone.to_utc(date.naive_utc())),
        );
    }
    Ok(instants)
}

/// The rule without its `UNTIL`, and that `UNTIL` as wall-clock time in the
/// series' zone: RFC 5545 writes it in UTC (`…Z`) for a zoned start, and the
/// rule is expanded in local time.
fn without_until(rule: &str, zone: &Zone) -> Result<(String, Option<NaiveDateTime>), String> {
    let mut parts = Vec::new();
    let mut until = None;
    for part in rule.split(';').filter(|part| !part.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            parts.push(part);
            continue;
        };
        if !key.trim().eq_ignore_ascii_case("UNTIL") {
            parts.push(part);
            continue;
        }
        let value = value.trim();
        let local = if let Some(utc) = value.strip_suffix(['Z', 'z']) {
            NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
                .ok()
                .map(|utc| zone.to_local(utc))
        } else if value.len() == 8 {
            chrono::NaiveDate::parse_from_str(value, "%Y%m%d")
                .ok()
                .and_then(|date| date.and_hms_opt(23, 59, 59))
        } else {
            NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").ok()
        };
        until = Some(
            local.ok_or_else(|| format!("RRULE `{rule}`: UNTIL `{value}` is not a date-time"))?,
        );
    }
    Ok((parts.join(";"), until))
}
