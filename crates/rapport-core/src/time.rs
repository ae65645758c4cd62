//! Instants and periods. A [`Timestamp`] is milliseconds since the Unix epoch in
//! UTC; a [`Period`] is a whole number of days. Parsing happens here, at the edge
//! of the core, so the engine only ever sees validated values.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub const MILLIS_PER_SECOND: i64 = 1_000;
pub const MILLIS_PER_HOUR: i64 = 3_600 * MILLIS_PER_SECOND;
pub const MILLIS_PER_DAY: i64 = 24 * MILLIS_PER_HOUR;

/// An instant in UTC with millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("`{0}` is not an RFC 3339 timestamp (expected e.g. 2026-01-31T09:30:00Z)")]
    BadTimestamp(String),
    #[error("`{0}` is not a date (expected YYYY-MM-DD)")]
    BadDate(String),
    #[error(
        "`{0}` is not a period (expected a whole number of days or months, e.g. 7d, 30d, 90d, 6m)"
    )]
    BadPeriod(String),
    #[error("`{0}` is outside the years {FIRST_YEAR} to {LAST_YEAR} that Rapport accepts")]
    OutOfRange(String),
}

/// The years an instant or a date may fall in: wide enough for any customer
/// history and contract, narrow enough that no date arithmetic can overflow
/// (an `asOf` of year −262143 once panicked the breakdown).
pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2199;

fn in_range(date: NaiveDate) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&chrono::Datelike::year(&date))
}

impl Timestamp {
    pub const fn from_millis(millis: i64) -> Self {
        Timestamp(millis)
    }

    pub const fn millis(self) -> i64 {
        self.0
    }

    /// Parses an RFC 3339 timestamp with any offset; the result is in UTC.
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimeError> {
        let parsed = DateTime::parse_from_rfc3339(text.trim())
            .map_err(|_| TimeError::BadTimestamp(text.to_string()))?;
        if !in_range(parsed.with_timezone(&Utc).date_naive()) {
            return Err(TimeError::OutOfRange(text.to_string()));
        }
        Ok(Timestamp(parsed.timestamp_millis()))
    }

    /// Accepts either an RFC 3339 timestamp or a bare date (taken as its first
    /// instant, 00:00:00 UTC). Used for `--as-of` style inputs.
    pub fn parse_lenient(text: &str) -> Result<Self, TimeError> {
        let trimmed = text.trim();
        match Self::parse_rfc3339(trimmed) {
            Ok(timestamp) => return Ok(timestamp),
            Err(TimeError::OutOfRange(_)) => return Err(TimeError::OutOfRange(text.to_string())),
            Err(_) => {}
        }
        let date = NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
            .map_err(|_| TimeError::BadTimestamp(text.to_string()))?;
        if !in_range(date) {
            return Err(TimeError::OutOfRange(text.to_string()));
        }
        Ok(Self::start_of_day(date))
    }

    pub fn start_of_day(date: NaiveDate) -> Self {
        let midnight = date.and_hms_opt(0, 0, 0).expect("midnight always exists");
        Timestamp(midnight.and_utc().timestamp_millis())
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    pub fn date(self) -> NaiveDate {
        self.to_datetime().date_naive()
    }

    /// RFC 3339 in UTC with a `Z`, with milliseconds only when they are not zero.
    pub fn to_rfc3339(self) -> String {
        let datetime = self.to_datetime();
        let format = if self.0 % MILLIS_PER_SECOND == 0 {
            SecondsFormat::Secs
        } else {
            SecondsFormat::Millis
        };
        datetime.to_rfc3339_opts(format, true)
    }

    pub fn minus_days(self, days: u32) -> Self {
        Timestamp(self.0 - i64::from(days) * MILLIS_PER_DAY)
    }

    pub fn plus_days(self, days: u32) -> Self {
        Timestamp(self.0 + i64::from(days) * MILLIS_PER_DAY)
    }

    /// Real-valued hours from `self` to `later` (negative when `later` is earlier).
    pub fn hours_until(self, later: Timestamp) -> f64 {
        (later.0 - self.0) as f64 / MILLIS_PER_HOUR as f64
    }

    /// Real-valued days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Timestamp) -> f64 {
        (later.0 - self.0) as f64 / MILLIS_PER_DAY as f64
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.to_rfc3339())
    }
}

impl FromStr for Timestamp {
    type Err = TimeError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse_rfc3339(text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Timestamp::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

/// An instant in the API: RFC 3339 in UTC (`2024-06-30T12:00:00Z`, with
/// milliseconds when it has them).
impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .description(Some("An instant, RFC 3339 in UTC"))
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}

/// Parses a calendar date `YYYY-MM-DD`; an RFC 3339 timestamp is accepted too and
/// reduced to its UTC date, since exports often carry midnight timestamps.
pub fn parse_date(text: &str) -> Result<NaiveDate, TimeError> {
    let trimmed = text.trim();
    let date = NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
        .or_else(|_| Timestamp::parse_rfc3339(trimmed).map(Timestamp::date))
        .map_err(|_| TimeError::BadDate(text.to_string()))?;
    if !in_range(date) {
        return Err(TimeError::OutOfRange(text.to_string()));
    }
    Ok(date)
}

/// A window length: a whole number of days. `6m` means 180 days (months are 30 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    days: u32,
}

impl Period {
    pub const DEFAULT: Period = Period { days: 30 };

    pub fn from_days(days: u32) -> Option<Self> {
        (days > 0).then_some(Period { days })
    }

    pub const fn days(self) -> u32 {
        self.days
    }

    pub fn millis(self) -> i64 {
        i64::from(self.days) * MILLIS_PER_DAY
    }
}

impl Default for Period {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl FromStr for Period {
    type Err = TimeError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let bad = || TimeError::BadPeriod(text.to_string());
        let split = trimmed.len().checked_sub(1).ok_or_else(bad)?;
        if !trimmed.is_char_boundary(split) {
            return Err(bad());
        }
        let (number, unit) = trimmed.split_at(split);
        let count: u32 = number.parse().map_err(|_| bad())?;
        let days = match unit {
            "d" | "D" => Some(count),
            "w" | "W" => count.checked_mul(7),
            "m" | "M" => count.checked_mul(30),
            _ => None,
        }
        .filter(|days| *days > 0 && *days <= 3_660)
        .ok_or_else(bad)?;
        Ok(Period { days })
    }
}

impl fmt::Display for Period {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}d", self.days)
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A window length in the API: whole days, written `30d`.
impl utoipa::PartialSchema for Period {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9]+d$"))
            .description(Some("A window length in days, e.g. `30d`"))
            .into()
    }
}

impl utoipa::ToSchema for Period {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_periods() {
        let cases = [
            ("7d", 7),
            ("30d", 30),
            ("90d", 90),
            ("6m", 180),
            ("2w", 14),
            (" 1d ", 1),
        ];
        for (text, days) in cases {
            assert_eq!(text.parse::<Period>().unwrap().days(), days, "{text}");
        }
        for bad in ["", "d", "0d", "30", "30x", "-3d", "1.5d", "é", "99999m"] {
            assert!(bad.parse::<Period>().is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn timestamps_round_trip_in_utc() {
        let parsed = Timestamp::parse_rfc3339("2026-01-31T10:00:00+02:00").unwrap();
        assert_eq!(parsed.to_rfc3339(), "2026-01-31T08:00:00Z");
        let fractional = Timestamp::parse_rfc3339("2026-01-31T08:00:00.250Z").unwrap();
        assert_eq!(fractional.to_rfc3339(), "2026-01-31T08:00:00.250Z");
        assert!(Timestamp::parse_rfc3339("2026-01-31").is_err());
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
        assert_eq!(
            Timestamp::parse_lenient("2026-01-31").unwrap().to_rfc3339(),
            "2026-01-31T00:00:00Z"
        );
    }

    #[test]
    fn real_valued_durations() {
        let start = Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
        let later = Timestamp::parse_rfc3339("2026-01-02T12:00:00Z").unwrap();
        assert_eq!(start.hours_until(later), 36.0);
        assert_eq!(start.days_until(later), 1.5);
    }
}

#[cfg(test)]
mod range_tests {
    use super::*;

    #[test]
    fn instants_and_dates_outside_the_accepted_years_are_refused() {
        for text in [
            "-262143-01-01",
            "1899-12-31",
            "2200-01-01",
            "2500-06-01T00:00:00Z",
        ] {
            assert!(
                matches!(
                    Timestamp::parse_lenient(text),
                    Err(TimeError::OutOfRange(_))
                ),
                "{text}"
            );
        }
        assert!(matches!(
            parse_date("0001-01-01"),
            Err(TimeError::OutOfRange(_))
        ));
        assert!(Timestamp::parse_lenient("1900-01-01").is_ok());
        assert!(Timestamp::parse_lenient("2199-12-31T23:59:59Z").is_ok());
        assert!(Timestamp::parse_lenient("yesterday").is_err());
    }
}
