//! Time zones of a calendar: what a `TZID` names, and local wall-clock times
//! turned into UTC. A `TZID` is looked up as an IANA name (`Europe/Berlin`,
//! also inside a longer path such as `/citadel.org/…/Europe/Berlin`), then as
//! a Windows zone name (Outlook's `W. Europe Standard Time`) through the CLDR
//! mapping of the common ones, and otherwise the file's own `VTIMEZONE` of
//! that `TZID` is used (its STANDARD and DAYLIGHT offsets and onsets). A
//! `TZID` none of these explain makes the events that use it rejected.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDateTime, Offset, TimeZone, Utc};

use super::parse::{Observance, TimezoneDefinition, WrittenTime};

/// A zone local times are read in.
#[derive(Debug, Clone)]
pub enum Zone {
    Utc,
    Iana(chrono_tz::Tz),
    /// The file's own VTIMEZONE: every onset until [`LAST_ONSET_YEAR`] in UTC
    /// (milliseconds) with the offset (seconds) from then on, and the offset
    /// before the first.
    Defined {
        onsets: Vec<(i64, i32)>,
        before_first: i32,
    },
}

/// Onsets of a file's VTIMEZONE are worked out up to this year.
const LAST_ONSET_YEAR: i32 = 2199;

impl Zone {
    /// The UTC offset, in seconds, at an instant.
    fn offset_at(&self, utc: NaiveDateTime) -> i32 {
        match self {
            Zone::Utc => 0,
            Zone::Iana(zone) => zone.offset_from_utc_datetime(&utc).fix().local_minus_utc(),
            Zone::Defined {
                onsets,
                before_first,
            } => {
                let millis = utc.and_utc().timestamp_millis();
                let index = onsets.partition_point(|(at, _)| *at <= millis);
                index
                    .checked_sub(1)
                    .map_or(*before_first, |last| onsets[last].1)
            }
        }
    }

    /// The instant a local wall-clock time stands for. RFC 5545 §3.3.5: a
    /// time that occurs twice (clocks going back) is the first; one that does
    /// not exist (clocks going forward) is read with the offset before the gap.
    pub fn to_utc(&self, local: NaiveDateTime) -> NaiveDateTime {
        let candidates: Vec<i32> = match self {
            Zone::Utc => vec![0],
            Zone::Iana(zone) => {
                return match zone.from_local_datetime(&local) {
                    chrono::LocalResult::Single(at) => at.naive_utc(),
                    chrono::LocalResult::Ambiguous(first, _) => first.naive_utc(),
                    chrono::LocalResult::None => {
                        local - chrono::Duration::seconds(i64::from(self.offset_before(local)))
                    }
                };
            }
            Zone::Defined {
                onsets,
                before_first,
            } => {
                let mut offsets: Vec<i32> = onsets.iter().map(|(_, offset)| *offset).collect();
                offsets.push(*before_first);
                offsets.sort_unstable();
                offsets.dedup();
                offsets
            }
        };
        let earliest = candidates
            .iter()
            .map(|offset| local - chrono::Duration::seconds(i64::from(*offset)))
            .filter(|utc| self.offset_at(*utc) == (local - *utc).num_seconds() as i32)
            .min();
        earliest.unwrap_or_else(|| {
            local - chrono::Duration::seconds(i64::from(self.offset_before(local)))
        })
    }

    /// The wall-clock time at an instant.
    pub fn to_local(&self, utc: NaiveDateTime) -> NaiveDateTime {
        utc + chrono::Duration::seconds(i64::from(self.offset_at(utc)))
    }

    /// The offset in force a day before `local` (read as if it were UTC): the
    /// offset before a gap, which is never a day long.
    fn offset_before(&self, local: NaiveDateTime) -> i32 {
        self.offset_at(local - chrono::Duration::days(1))
    }
}

/// The zones a file's `TZID`s name, each looked up once.
pub struct Zones {
    definitions: HashMap<String, TimezoneDefinition>,
    resolved: HashMap<String, Result<Zone, String>>,
    /// For floating times: `X-WR-TIMEZONE` when it names a zone, else UTC.
    floating: Zone,
}

impl Zones {
    pub fn new(definitions: &[TimezoneDefinition], calendar_zone: Option<&str>) -> Self {
        let mut zones = Zones {
            definitions: definitions
                .iter()
                .map(|definition| (definition.tzid.clone(), definition.clone()))
                .collect(),
            resolved: HashMap::new(),
            floating: Zone::Utc,
        };
        if let Some(Ok(zone)) = calendar_zone.map(|name| zones.zone(name)) {
            zones.floating = zone;
        }
        zones
    }

    /// The zone a `TZID` names, or why it names none.
    pub fn zone(&mut self, tzid: &str) -> Result<Zone, String> {
        if let Some(known) = self.resolved.get(tzid) {
            return known.clone();
        }
        let zone = iana(tzid)
            .or_else(|| windows(tzid))
            .map(Zone::Iana)
            .or_else(|| self.definitions.get(tzid).map(defined))
            .ok_or_else(|| {
                format!(
                    "time zone `{tzid}` is neither an IANA name, a known Windows zone nor \
                     defined by a VTIMEZONE in the file"
                )
            });
        self.resolved.insert(tzid.to_string(), zone.clone());
        zone
    }

    /// The zone a written time is in (`Date` values are read as floating).
    pub fn zone_of(&mut self, time: &WrittenTime) -> Result<Zone, String> {
        match time {
            WrittenTime::Utc(_) => Ok(Zone::Utc),
            WrittenTime::Local(_, Some(tzid)) => self.zone(tzid),
            WrittenTime::Local(_, None) | WrittenTime::Date(_) => Ok(self.floating.clone()),
        }
    }

    /// The instant a written time stands for (a date: its first instant).
    pub fn instant(&mut self, time: &WrittenTime) -> Result<NaiveDateTime, String> {
        let zone = self.zone_of(time)?;
        Ok(match time {
            WrittenTime::Utc(utc) => *utc,
            WrittenTime::Local(local, _) => zone.to_utc(*local),
            WrittenTime::Date(date) => zone.to_utc(date.and_time(chrono::NaiveTime::MIN)),
        })
    }
}

fn iana(tzid: &str) -> Option<chrono_tz::Tz> {
    let tzid = tzid.trim();
    if let Ok(zone) = tzid.parse() {
        return Some(zone);
    }
    // Some producers prefix the name with a path of their own
    // (`/mozilla.org/20070129_1/Europe/Berlin`): the last two or three parts.
    let parts: Vec<&str> = tzid.split('/').filter(|part| !part.is_empty()).collect();
    (2..=3)
        .filter(|take| parts.len() > *take)
        .find_map(|take| parts[parts.len() - take..].join("/").parse().ok())
}

/// Windows zone names (Outlook, Exchange) to IANA, from CLDR's
/// `windowsZones.xml` (the territory "001" entries of the common zones).
pub const WINDOWS_ZONES: &[(&str, &str)] = &[
    ("Dateline Standard Time", "Etc/GMT+12"),
    ("UTC-11", "Etc/GMT+11"),
    ("Hawaiian Standard Time", "Pacific/Honolulu"),
    ("Alaskan Standard Time", "America/Anchorage"),
    ("Pacific Standard Time (Mexico)", "America/Tijuana"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("US Mountain Standard Time", "America/Phoenix"),
    ("Mountain Standard Time (Mexico)", "America/Mazatlan"),
    ("Mountain Standard Time", "America/Denver"),
    ("Central America Standard Time", "America/Guatemala"),
    ("Central Standard Time (Mexico)", "America/Mexico_City"),
    ("Central Standard Time", "America/Chicago"),
    ("Canada Central Standard Time", "America/Regina"),
    ("SA Pacific Standard Time", "America/Bogota"),
    ("Eastern Standard Time (Mexico)", "America/Cancun"),
    ("Eastern Standard Time", "America/New_York"),
    ("US Eastern Standard Time", "America/Indiana/Indianapolis"),
    ("Venezuela Standard Time", "America/Caracas"),
    ("Atlantic Standard Time", "America/Halifax"),
    ("SA Western Standard Time", "America/La_Paz"),
    ("Pacific SA Standard Time", "America/Santiago"),
    ("Newfoundland Standard Time", "America/St_Johns"),
    ("E. South America Standard Time", "America/Sao_Paulo"),
    ("Argentina Standard Time", "America/Argentina/Buenos_Aires"),
    ("SA Eastern Standard Time", "America/Cayenne"),
    ("Greenland Standard Time", "America/Nuuk"),
    ("Montevideo Standard Time", "America/Montevideo"),
    ("UTC-02", "Etc/GMT+2"),
    ("Azores Standard Time", "Atlantic/Azores"),
    ("Cape Verde Standard Time", "Atlantic/Cape_Verde"),
    ("UTC", "Etc/UTC"),
    ("GMT Standard Time", "Europe/London"),
    ("Greenwich Standard Time", "Atlantic/Reykjavik"),
    ("Morocco Standard Time", "Africa/Casablanca"),
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("Central Europe Standard Time", "Europe/Budapest"),
    ("Romance Standard Time", "Europe/Paris"),
    ("Central European Standard Time", "Europe/Warsaw"),
    ("W. Central Africa Standard Time", "Africa/Lagos"),
    ("GTB Standard Time", "Europe/Bucharest"),
    ("E. Europe Standard Time", "Europe/Chisinau"),
    ("FLE Standard Time", "Europe/Kyiv"),
    ("Israel Standard Time", "Asia/Jerusalem"),
    ("Egypt Standard Time", "Africa/Cairo"),
    ("South Africa Standard Time", "Africa/Johannesburg"),
    ("Jordan Standard Time", "Asia/Amman"),
    ("Middle East Standard Time", "Asia/Beirut"),
    ("Turkey Standard Time", "Europe/Istanbul"),
    ("Belarus Standard Time", "Europe/Minsk"),
    ("Arab Standard Time", "Asia/Riyadh"),
    ("Arabic Standard Time", "Asia/Baghdad"),
    ("Russian Standard Time", "Europe/Moscow"),
    ("E. Africa Standard Time", "Africa/Nairobi"),
    ("Iran Standard Time", "Asia/Tehran"),
    ("Arabian Standard Time", "Asia/Dubai"),
    ("Georgian Standard Time", "Asia/Tbilisi"),
    ("Caucasus Standard Time", "Asia/Yerevan"),
    ("Ekaterinburg Standard Time", "Asia/Yekaterinburg"),
    ("West Asia Standard Time", "Asia/Tashkent"),
    ("Pakistan Standard Time", "Asia/Karachi"),
    ("India Standard Time", "Asia/Kolkata"),
    ("Sri Lanka Standard Time", "Asia/Colombo"),
    ("Nepal Standard Time", "Asia/Kathmandu"),
    ("Central Asia Standard Time", "Asia/Almaty"),
    ("Bangladesh Standard Time", "Asia/Dhaka"),
    ("Myanmar Standard Time", "Asia/Yangon"),
    ("SE Asia Standard Time", "Asia/Bangkok"),
    ("N. Central Asia Standard Time", "Asia/Novosibirsk"),
    ("North Asia Standard Time", "Asia/Krasnoyarsk"),
    ("China Standard Time", "Asia/Shanghai"),
    ("North Asia East Standard Time", "Asia/Irkutsk"),
    ("Singapore Standard Time", "Asia/Singapore"),
    ("W. Australia Standard Time", "Australia/Perth"),
    ("Taipei Standard Time", "Asia/Taipei"),
    ("Tokyo Standard Time", "Asia/Tokyo"),
    ("Korea Standard Time", "Asia/Seoul"),
    ("Yakutsk Standard Time", "Asia/Yakutsk"),
    ("Cen. Australia Standard Time", "Australia/Adelaide"),
    ("AUS Central Standard Time", "Australia/Darwin"),
    ("E. Australia Standard Time", "Australia/Brisbane"),
    ("AUS Eastern Standard Time", "Australia/Sydney"),
    ("West Pacific Standard Time", "Pacific/Port_Moresby"),
    ("Tasmania Standard Time", "Australia/Hobart"),
    ("Vladivostok Standard Time", "Asia/Vladivostok"),
    ("New Zealand Standard Time", "Pacific/Auckland"),
    ("Fiji Standard Time", "Pacific/Fiji"),
    ("Tonga Standard Time", "Pacific/Tongatapu"),
];

fn windows(tzid: &str) -> Option<chrono_tz::Tz> {
    let tzid = tzid.trim();
    WINDOWS_ZONES
        .iter()
        .find(|(windows, _)| windows.eq_ignore_ascii_case(tzid))
        .and_then(|(_, iana)| iana.parse().ok())
}

/// A file's VTIMEZONE as onsets: each observance's onsets (its `DTSTART`,
/// its `RRULE`'s, its `RDATE`s), in local time before the change, so in UTC
/// at `local − TZOFFSETFROM`.
fn defined(definition: &TimezoneDefinition) -> Zone {
    let mut onsets: Vec<(i64, i32)> = Vec::new();
    for observance in &definition.observances {
        for local in observance_onsets(observance) {
            let utc = local - chrono::Duration::seconds(i64::from(observance.offset_from));
            onsets.push((utc.and_utc().timestamp_millis(), observance.offset_to));
        }
    }
    onsets.sort_unstable();
    onsets.dedup_by_key(|(at, _)| *at);
    let before_first = definition
        .observances
        .iter()
        .min_by_key(|observance| observance.onset)
        .map_or(0, |first| first.offset_from);
    Zone::Defined {
        onsets,
        before_first,
    }
}

fn observance_onsets(observance: &Observance) -> Vec<NaiveDateTime> {
    let mut onsets = vec![observance.onset];
    onsets.extend(observance.rdates.iter().copied());
    if let Some(rule) = &observance.rrule {
        // Onsets recur in local time: expanded with UTC standing in for it.
        let start = Utc
            .from_utc_datetime(&observance.onset)
            .with_timezone(&rrule::Tz::UTC);
        let last = Utc
            .with_ymd_and_hms(LAST_ONSET_YEAR, 12, 31, 23, 59, 59)
            .single()
            .map(|last| last.with_timezone(&rrule::Tz::UTC));
        if let (Ok(parsed), Some(last)) = (rule.parse::<rrule::RRule<rrule::Unvalidated>>(), last)
            && let Ok(set) = parsed.build(start)
        {
            let years = (LAST_ONSET_YEAR - observance.onset.year()).max(1) as u16;
            onsets.extend(
                set.before(last)
                    .all(years.saturating_mul(2))
                    .dates
                    .iter()
                    .map(|date: &DateTime<rrule::Tz>| date.naive_utc()),
            );
        }
    }
    onsets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").unwrap()
    }

    /// Berlin's rules as Outlook writes its VTIMEZONE.
    fn berlin_as_defined() -> Zone {
        let observance = |onset: &str, from: i32, to: i32, month: u32| Observance {
            onset: local(onset),
            offset_from: from,
            offset_to: to,
            rrule: Some(format!("FREQ=YEARLY;BYDAY=-1SU;BYMONTH={month}")),
            rdates: Vec::new(),
        };
        defined(&TimezoneDefinition {
            tzid: "Customized Time Zone".into(),
            observances: vec![
                observance("1601-10-28T03:00", 7_200, 3_600, 10),
                observance("1601-03-25T02:00", 3_600, 7_200, 3),
            ],
        })
    }

    /// RFC 5545 §3.3.5: a time in the spring gap is read with the offset
    /// before it; a time that occurs twice in autumn is the first. The
    /// file's own VTIMEZONE gives what chrono-tz gives.
    #[test]
    fn gaps_and_repeated_hours_follow_rfc_5545_in_both_kinds_of_zone() {
        let iana = Zone::Iana(chrono_tz::Europe::Berlin);
        for zone in [&iana, &berlin_as_defined()] {
            for (wall, utc) in [
                ("2026-01-15T10:00", "2026-01-15T09:00"),
                ("2026-03-29T02:30", "2026-03-29T01:30"),
                ("2026-03-29T03:30", "2026-03-29T01:30"),
                ("2026-07-01T10:00", "2026-07-01T08:00"),
                ("2026-10-25T02:30", "2026-10-25T00:30"),
                ("2026-10-25T03:30", "2026-10-25T02:30"),
            ] {
                assert_eq!(zone.to_utc(local(wall)), local(utc), "{zone:?} {wall}");
            }
            assert_eq!(
                zone.to_local(local("2026-07-01T08:00")),
                local("2026-07-01T10:00")
            );
        }
    }

    #[test]
    fn every_windows_zone_maps_to_a_zone_chrono_tz_knows() {
        for (windows, iana) in WINDOWS_ZONES {
            assert!(iana.parse::<chrono_tz::Tz>().is_ok(), "{windows} → {iana}");
        }
    }
}
