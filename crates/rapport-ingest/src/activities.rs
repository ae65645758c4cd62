//! activities.jsonl: one JSON object a line (`definitions.md` §2). Each line
//! becomes an [`Activity`] or a [`RecordError`] naming the field at fault.

use std::borrow::Cow;
use std::io::BufRead;

use rapport_core::activity::{
    CommunityAction, Direction, MeetingKind, MeetingStatus, Party, PaymentStatus, Sentiment,
    Severity, TicketStatus, TrainingStatus,
};
use rapport_core::time::parse_date;
use rapport_core::{
    Activity, ActivityDetail, ActivityKind, DomainError, Email, ExternalId, FeatureKey, Timestamp,
    UserId,
};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::{FileError, Parsed, ReadError, RecordError, invalid_utf8_at};

/// Every field any activity type may carry. Strings borrow from the line when
/// they hold no escapes, so parsing ten million lines allocates little.
#[derive(Deserialize, Default)]
struct RawActivity<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    /// As written: a number's digits must survive beyond what u64 and f64
    /// hold, or two ids above 2^64 would read as one.
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    account: Option<Cow<'a, str>>,
    #[serde(borrow)]
    at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    direction: Option<Cow<'a, str>>,
    #[serde(borrow)]
    thread: Option<Cow<'a, str>>,
    #[serde(borrow)]
    from: Option<Cow<'a, str>>,
    #[serde(borrow)]
    to: Option<Vec<Cow<'a, str>>>,
    subject: Option<String>,
    #[serde(borrow)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow)]
    cancelled_by: Option<Cow<'a, str>>,
    #[serde(borrow)]
    initiated_by: Option<Cow<'a, str>>,
    #[serde(borrow)]
    attendees: Option<Vec<Cow<'a, str>>>,
    #[serde(rename = "kind", borrow)]
    meeting_kind: Option<Cow<'a, str>>,
    duration_min: Option<f64>,
    #[serde(borrow)]
    contact: Option<Cow<'a, str>>,
    connected: Option<bool>,
    #[serde(borrow)]
    ticket: Option<Cow<'a, str>>,
    #[serde(borrow)]
    severity: Option<Cow<'a, str>>,
    #[serde(borrow)]
    tags: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    sentiment: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user: Option<Cow<'a, str>>,
    #[serde(borrow)]
    feature: Option<Cow<'a, str>>,
    score: Option<f64>,
    #[serde(borrow)]
    invoice: Option<Cow<'a, str>>,
    amount: Option<f64>,
    #[serde(borrow)]
    due: Option<Cow<'a, str>>,
    #[serde(borrow)]
    action: Option<Cow<'a, str>>,
}

/// Reads activities.jsonl line by line. Blank lines are skipped; every other
/// line yields one record or one [`ReadError::Record`]. A file that cannot be
/// read (a directory, a failing disk) yields one [`ReadError::File`] and ends.
pub struct ActivityLines<R: BufRead> {
    reader: R,
    buffer: Vec<u8>,
    line: u64,
    finished: bool,
}

impl<R: BufRead> ActivityLines<R> {
    pub fn new(reader: R) -> Self {
        ActivityLines {
            reader,
            buffer: Vec::with_capacity(512),
            line: 0,
            finished: false,
        }
    }
}

impl<R: BufRead> Iterator for ActivityLines<R> {
    type Item = Result<Parsed<Activity>, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.finished {
            self.buffer.clear();
            self.line += 1;
            let line = self.line;
            match self.reader.read_until(b'\n', &mut self.buffer) {
                Ok(0) => self.finished = true,
                Ok(_) => {
                    if self.buffer.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Some(
                        parse_activity_line(&self.buffer)
                            .map(|record| Parsed { line, record })
                            .map_err(|reason| RecordError { line, reason }.into()),
                    );
                }
                Err(source) => {
                    self.finished = true;
                    let error = match line - 1 {
                        0 => FileError::Io(source),
                        read => FileError::ReadStopped { line: read, source },
                    };
                    return Some(Err(error.into()));
                }
            }
        }
        None
    }
}

/// Parses one line of activities.jsonl.
pub fn parse_activity_line(bytes: &[u8]) -> Result<Activity, String> {
    let text = std::str::from_utf8(bytes).map_err(|error| {
        format!(
            "the line is not valid UTF-8 ({})",
            invalid_utf8_at(bytes, error.valid_up_to())
        )
    })?;
    let text = text.trim();
    if !text.starts_with('{') {
        return Err(if text.starts_with('[') || text.starts_with('"') {
            "not an activity object: expected a JSON object `{...}`".to_string()
        } else {
            "not a JSON object: the line does not start with `{`".to_string()
        });
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let raw: RawActivity<'_> =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let path = error.path().to_string();
            let inner = error.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                format!("not a JSON object: {inner}")
            } else if path == "." {
                format!("not an activity object: {inner}")
            } else {
                format!("field `{path}`: {}", strip_position(&inner.to_string()))
            }
        })?;
    deserializer
        .end()
        .map_err(|error| format!("not a JSON object: {error}"))?;
    raw.into_activity()
}

/// serde_json appends "at line 1 column 40"; the line is already named.
fn strip_position(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

/// An activity's `id` as its source wrote it: a string, trimmed; a whole
/// number, its exact digits however long; `null`, none. A number with a
/// fraction or an exponent is read as before raw ids were kept (its shortest
/// decimal text, `123.0`), so ids stored from such files stay the same.
fn source_id(raw: &RawValue) -> Result<Option<String>, String> {
    let text = raw.get();
    let is_whole_number = {
        let digits = text.strip_prefix('-').unwrap_or(text);
        !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit())
    };
    if is_whole_number {
        return Ok(Some(text.to_string()));
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|error| format!("field `id`: {error}"))?;
    match value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(text) if !text.trim().is_empty() => {
            Ok(Some(text.trim().to_string()))
        }
        serde_json::Value::Number(number) => Ok(Some(number.to_string())),
        other => Err(format!("field `id`: {other} is not a string id")),
    }
}

fn domain<T>(field: &str, result: Result<T, DomainError>) -> Result<T, String> {
    result.map_err(|error| format!("field `{field}`: {error}"))
}

fn present<'v, T: ?Sized>(
    field: &str,
    kind: ActivityKind,
    value: Option<&'v T>,
) -> Result<&'v T, String> {
    value.ok_or_else(|| format!("missing field `{field}` (required for {kind})"))
}

fn parse_required<T: std::str::FromStr<Err = DomainError>>(
    field: &str,
    kind: ActivityKind,
    value: &Option<Cow<'_, str>>,
) -> Result<T, String> {
    domain(field, present(field, kind, value.as_deref())?.parse())
}

fn parse_optional<T: std::str::FromStr<Err = DomainError>>(
    field: &str,
    value: &Option<Cow<'_, str>>,
) -> Result<Option<T>, String> {
    value
        .as_deref()
        .filter(|text| !text.trim().is_empty())
        .map(|text| domain(field, text.parse()))
        .transpose()
}

fn optional_email(field: &str, value: &Option<Cow<'_, str>>) -> Result<Option<Email>, String> {
    value
        .as_deref()
        .filter(|text| !text.trim().is_empty())
        .map(|text| domain(field, Email::parse(text)))
        .transpose()
}

fn email_list(field: &str, values: &Option<Vec<Cow<'_, str>>>) -> Result<Vec<Email>, String> {
    values
        .iter()
        .flatten()
        .enumerate()
        .map(|(index, text)| domain(&format!("{field}[{index}]"), Email::parse(text)))
        .collect()
}

fn non_empty_text(
    field: &str,
    kind: ActivityKind,
    value: &Option<Cow<'_, str>>,
) -> Result<String, String> {
    let text = present(field, kind, value.as_deref())?.trim();
    if text.is_empty() {
        return Err(format!("field `{field}` is empty"));
    }
    Ok(text.to_string())
}

fn duration(field: &str, value: Option<f64>) -> Result<Option<f64>, String> {
    match value {
        Some(minutes) if !minutes.is_finite() || minutes < 0.0 => Err(format!(
            "field `{field}`: {minutes} is not a duration (expected minutes ≥ 0)"
        )),
        other => Ok(other),
    }
}

fn score_in(
    field: &str,
    kind: ActivityKind,
    value: Option<f64>,
    low: u8,
    high: u8,
) -> Result<u8, String> {
    let score = *present(field, kind, value.as_ref())?;
    if score.fract() != 0.0 || score < f64::from(low) || score > f64::from(high) {
        return Err(format!(
            "field `{field}`: {score} is out of range (expected a whole number from {low} to {high})"
        ));
    }
    Ok(score as u8)
}

impl RawActivity<'_> {
    fn into_activity(self) -> Result<Activity, String> {
        let kind_text = self.kind.as_deref().ok_or("missing field `type`")?;
        let kind: ActivityKind = kind_text.parse().map_err(|_| {
            format!(
                "unknown activity type `{kind_text}` (expected one of {})",
                ActivityKind::ALL
                    .iter()
                    .map(|kind| kind.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        let account = domain(
            "account",
            ExternalId::parse(self.account.as_deref().ok_or("missing field `account`")?),
        )?;
        let at_text = self.at.as_deref().ok_or("missing field `at`")?;
        let at =
            Timestamp::parse_rfc3339(at_text).map_err(|error| format!("field `at`: {error}"))?;
        let source_id = self.id.map(source_id).transpose()?.flatten();
        let detail = self.detail(kind)?;
        Ok(Activity {
            source_id,
            account,
            at,
            detail,
        })
    }

    fn detail(&self, kind: ActivityKind) -> Result<ActivityDetail, String> {
        Ok(match kind {
            ActivityKind::Email => ActivityDetail::Email {
                direction: parse_required::<Direction>("direction", kind, &self.direction)?,
                thread: non_empty_text("thread", kind, &self.thread)?,
                from: domain(
                    "from",
                    Email::parse(present("from", kind, self.from.as_deref())?),
                )?,
                to: email_list("to", &self.to)?,
                subject: self.subject.clone(),
            },
            ActivityKind::Meeting => {
                let status: MeetingStatus = parse_required("status", kind, &self.status)?;
                let cancelled_by: Option<Party> =
                    parse_optional("cancelled_by", &self.cancelled_by)?;
                if status == MeetingStatus::Cancelled && cancelled_by.is_none() {
                    return Err(
                        "missing field `cancelled_by` (required for a cancelled meeting)".into(),
                    );
                }
                ActivityDetail::Meeting {
                    status,
                    cancelled_by,
                    initiated_by: parse_optional("initiated_by", &self.initiated_by)?,
                    attendees: email_list("attendees", &self.attendees)?,
                    kind: parse_optional::<MeetingKind>("kind", &self.meeting_kind)?
                        .unwrap_or(MeetingKind::Other),
                    duration_min: duration("duration_min", self.duration_min)?,
                    occurrence: None,
                    recorded_by: None,
                }
            }
            ActivityKind::Call => ActivityDetail::Call {
                direction: parse_required("direction", kind, &self.direction)?,
                contact: optional_email("contact", &self.contact)?,
                duration_min: duration("duration_min", self.duration_min)?,
                connected: self.connected.unwrap_or(false),
            },
            ActivityKind::Ticket => ActivityDetail::Ticket {
                ticket: non_empty_text("ticket", kind, &self.ticket)?,
                status: parse_required::<TicketStatus>("status", kind, &self.status)?,
                severity: parse_optional::<Severity>("severity", &self.severity)?
                    .unwrap_or(Severity::Normal),
                tags: self
                    .tags
                    .iter()
                    .flatten()
                    .map(|tag| tag.trim().to_string())
                    .filter(|tag| !tag.is_empty())
                    .collect(),
                sentiment: parse_optional::<Sentiment>("sentiment", &self.sentiment)?,
                contact: optional_email("contact", &self.contact)?,
            },
            ActivityKind::Login => ActivityDetail::Login {
                user: domain(
                    "user",
                    UserId::parse(present("user", kind, self.user.as_deref())?),
                )?,
            },
            ActivityKind::Session => ActivityDetail::Session {
                user: domain(
                    "user",
                    UserId::parse(present("user", kind, self.user.as_deref())?),
                )?,
                duration_min: duration("duration_min", self.duration_min)?
                    .ok_or("missing field `duration_min` (required for session)")?,
            },
            ActivityKind::FeatureUsed => ActivityDetail::FeatureUsed {
                user: domain(
                    "user",
                    UserId::parse(present("user", kind, self.user.as_deref())?),
                )?,
                feature: domain(
                    "feature",
                    FeatureKey::parse(present("feature", kind, self.feature.as_deref())?),
                )?,
            },
            ActivityKind::Training => {
                let contact = optional_email("contact", &self.contact)?;
                let user = self
                    .user
                    .as_deref()
                    .filter(|text| !text.trim().is_empty())
                    .map(|text| domain("user", UserId::parse(text)))
                    .transpose()?;
                if contact.is_none() && user.is_none() {
                    return Err(
                        "missing field `contact` or `user` (one is required for training)".into(),
                    );
                }
                ActivityDetail::Training {
                    contact,
                    user,
                    status: parse_required::<TrainingStatus>("status", kind, &self.status)?,
                }
            }
            ActivityKind::Nps => ActivityDetail::Nps {
                contact: optional_email("contact", &self.contact)?,
                score: score_in("score", kind, self.score, 0, 10)?,
            },
            ActivityKind::Csat => ActivityDetail::Csat {
                contact: optional_email("contact", &self.contact)?,
                score: score_in("score", kind, self.score, 1, 5)?,
            },
            ActivityKind::Payment => ActivityDetail::Payment {
                invoice: non_empty_text("invoice", kind, &self.invoice)?,
                amount: self
                    .amount
                    .filter(|amount| amount.is_finite())
                    .ok_or("missing field `amount` (required for payment)")?,
                due: self
                    .due
                    .as_deref()
                    .filter(|text| !text.trim().is_empty())
                    .map(|text| parse_date(text).map_err(|error| format!("field `due`: {error}")))
                    .transpose()?,
                status: parse_required::<PaymentStatus>("status", kind, &self.status)?,
            },
            ActivityKind::Community => ActivityDetail::Community {
                contact: domain(
                    "contact",
                    Email::parse(present("contact", kind, self.contact.as_deref())?),
                )?,
                action: parse_required::<CommunityAction>("action", kind, &self.action)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Activity, String> {
        parse_activity_line(line.as_bytes())
    }

    #[test]
    fn every_type_of_the_contract_parses() {
        let lines = [
            r#"{"type":"email","account":"a1","at":"2026-01-05T10:00:00Z","direction":"outbound","thread":"t1","from":"csm@us.example","to":["Sarah@Acme.com"],"subject":"Hi"}"#,
            r#"{"type":"meeting","account":"a1","at":"2026-01-05T10:00:00Z","status":"cancelled","cancelled_by":"customer","initiated_by":"us","attendees":[],"kind":"qbr","duration_min":60}"#,
            r#"{"type":"call","account":"a1","at":"2026-01-05T10:00:00Z","direction":"inbound","contact":"s@acme.com","duration_min":12.5,"connected":true}"#,
            r#"{"type":"ticket","account":"a1","at":"2026-01-05T10:00:00Z","ticket":"T-1","status":"open","severity":"high","tags":["feature_request"],"sentiment":"negative","contact":"s@acme.com"}"#,
            r#"{"type":"login","account":"a1","at":"2026-01-05T10:00:00Z","user":"u1"}"#,
            r#"{"type":"session","account":"a1","at":"2026-01-05T10:00:00Z","user":"u1","duration_min":14}"#,
            r#"{"type":"feature_used","account":"a1","at":"2026-01-05T10:00:00Z","user":"u1","feature":"reports"}"#,
            r#"{"type":"training","account":"a1","at":"2026-01-05T10:00:00Z","contact":"s@acme.com","status":"no_show"}"#,
            r#"{"type":"nps","account":"a1","at":"2026-01-05T10:00:00Z","contact":"s@acme.com","score":9}"#,
            r#"{"type":"csat","account":"a1","at":"2026-01-05T10:00:00Z","contact":"s@acme.com","score":4}"#,
            r#"{"type":"payment","account":"a1","at":"2026-01-05T10:00:00Z","invoice":"INV-1","amount":1200.5,"due":"2026-01-31","status":"paid_late"}"#,
            r#"{"type":"community","account":"a1","at":"2026-01-05T10:00:00Z","contact":"s@acme.com","action":"post"}"#,
        ];
        for (line, kind) in lines.iter().zip(ActivityKind::ALL) {
            let activity = parse(line).unwrap_or_else(|error| panic!("{line}: {error}"));
            assert_eq!(activity.detail.kind(), *kind);
        }
        let email = parse(lines[0]).unwrap();
        let ActivityDetail::Email { to, .. } = &email.detail else {
            unreachable!()
        };
        assert_eq!(to[0].as_str(), "sarah@acme.com");
    }

    #[test]
    fn bad_lines_name_the_field_and_reason() {
        let cases = [
            ("{not json", "not a JSON object"),
            (r#"[1,2]"#, "not an activity object"),
            (
                r#"{"type":"teleport","account":"a1","at":"2026-01-05T10:00:00Z"}"#,
                "unknown activity type `teleport`",
            ),
            (
                r#"{"account":"a1","at":"2026-01-05T10:00:00Z"}"#,
                "missing field `type`",
            ),
            (
                r#"{"type":"login","at":"2026-01-05T10:00:00Z","user":"u"}"#,
                "missing field `account`",
            ),
            (
                r#"{"type":"login","account":"a1","at":"last tuesday","user":"u"}"#,
                "field `at`: `last tuesday` is not an RFC 3339 timestamp",
            ),
            (
                r#"{"type":"login","account":"a1","at":"2026-01-05T10:00:00Z"}"#,
                "missing field `user` (required for login)",
            ),
            (
                r#"{"type":"login","account":"a1","at":"2026-01-05T10:00:00Z","user":42}"#,
                "field `user`: invalid type: integer `42`",
            ),
            (
                r#"{"type":"nps","account":"a1","at":"2026-01-05T10:00:00Z","score":11}"#,
                "field `score`: 11 is out of range",
            ),
            (
                r#"{"type":"session","account":"a1","at":"2026-01-05T10:00:00Z","user":"u","duration_min":-3}"#,
                "field `duration_min`: -3 is not a duration",
            ),
            (
                r#"{"type":"email","account":"a1","at":"2026-01-05T10:00:00Z","direction":"sideways","thread":"t","from":"a@b.c"}"#,
                "field `direction`: direction `sideways` is not one of inbound | outbound",
            ),
            (
                r#"{"type":"email","account":"a1","at":"2026-01-05T10:00:00Z","direction":"inbound","thread":"t","from":"not-an-email"}"#,
                "field `from`: `not-an-email` is not an e-mail address",
            ),
            (
                r#"{"type":"meeting","account":"a1","at":"2026-01-05T10:00:00Z","status":"cancelled","kind":"qbr"}"#,
                "missing field `cancelled_by`",
            ),
            (
                r#"{"type":"meeting","account":"a1","at":"2026-01-05T10:00:00Z","status":"attended","attendees":["ok@x.y","bad"]}"#,
                "field `attendees[1]`",
            ),
        ];
        for (line, expected) in cases {
            let error = parse(line).expect_err(line);
            assert!(
                error.contains(expected),
                "{line}\n  got: {error}\n  expected: {expected}"
            );
        }
    }

    #[test]
    fn lines_are_numbered_and_blank_lines_skipped() {
        let input = "\n{\"type\":\"login\",\"account\":\"a\",\"at\":\"2026-01-05T10:00:00Z\",\"user\":\"u\"}\n  \nbroken\n";
        let results: Vec<_> = ActivityLines::new(input.as_bytes()).collect();
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].as_ref().unwrap().line, 2);
        assert!(
            matches!(
                &results[1],
                Err(ReadError::Record(RecordError { line: 4, .. }))
            ),
            "{results:?}"
        );
    }

    /// Issue 20, item 16: ids above 2^64 went through f64, so
    /// 18446744073709551616 and …617 were one id and the second record was
    /// "unchanged". A whole number keeps its exact digits.
    #[test]
    fn numeric_ids_keep_every_digit() {
        let with_id = |id: &str| {
            parse(&format!(
                r#"{{"type":"login","account":"a1","at":"2026-01-05T10:00:00Z","user":"u","id":{id}}}"#
            ))
            .map(|activity| activity.source_id)
        };
        let cases: [(&str, Result<Option<&str>, &str>); 10] = [
            ("18446744073709551616", Ok(Some("18446744073709551616"))),
            ("18446744073709551617", Ok(Some("18446744073709551617"))),
            (
                "-123456789012345678901234567890",
                Ok(Some("-123456789012345678901234567890")),
            ),
            ("42", Ok(Some("42"))),
            ("123.0", Ok(Some("123.0"))),
            (r#"" ev-1 ""#, Ok(Some("ev-1"))),
            (
                r#""18446744073709551617""#,
                Ok(Some("18446744073709551617")),
            ),
            ("null", Ok(None)),
            ("true", Err("field `id`: true is not a string id")),
            (r#""""#, Err(r#"field `id`: "" is not a string id"#)),
        ];
        for (id, expected) in cases {
            let expected = expected
                .map(|id| id.map(str::to_string))
                .map_err(str::to_string);
            assert_eq!(with_id(id), expected, "{id}");
        }
        let without =
            parse(r#"{"type":"login","account":"a1","at":"2026-01-05T10:00:00Z","user":"u"}"#);
        assert_eq!(without.unwrap().source_id, None);
    }

    #[test]
    fn a_line_that_is_not_utf8_is_rejected_and_the_rest_kept() {
        let good = br#"{"type":"login","account":"a","at":"2026-01-05T10:00:00Z","user":"u"}"#;
        let mut input = good.to_vec();
        input.extend(b"\n{\"type\":\"login\",\"account\":\"caf\xe9\"}\n");
        input.extend(good);
        let results: Vec<_> = ActivityLines::new(&input[..]).collect();
        assert_eq!(results.len(), 3);
        assert!(results[0].is_ok() && results[2].is_ok());
        assert_eq!(
            results[1].as_ref().unwrap_err().to_string(),
            "2: the line is not valid UTF-8 (byte 0xe9 after `…ogin\",\"account\":\"caf`; save the file as UTF-8)"
        );
    }

    /// Gives `bytes`, then fails as a directory or a failing disk does.
    struct FailingAfter<'a> {
        bytes: &'a [u8],
    }

    impl std::io::Read for FailingAfter<'_> {
        fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
            if self.bytes.is_empty() {
                return Err(std::io::Error::other("Is a directory"));
            }
            let count = buffer.len().min(self.bytes.len());
            buffer[..count].copy_from_slice(&self.bytes[..count]);
            self.bytes = &self.bytes[count..];
            Ok(count)
        }
    }

    /// Issue 20, item 16: an unreadable file was a rejected line 1 ("cannot
    /// read the rest of the file"), so the import exited 1 as if one record
    /// were bad. It is a file error, and the lines before it are kept.
    #[test]
    fn an_unreadable_file_is_a_file_error_not_a_bad_line() {
        let nothing = FailingAfter { bytes: b"" };
        let results: Vec<_> = ActivityLines::new(std::io::BufReader::new(nothing)).collect();
        match &results[..] {
            [Err(ReadError::File(FileError::Io(_)))] => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(
            results[0].as_ref().unwrap_err().to_string(),
            "cannot read: Is a directory"
        );

        let two_lines = FailingAfter {
            bytes: b"{\"type\":\"login\",\"account\":\"a\",\"at\":\"2026-01-05T10:00:00Z\",\"user\":\"u\"}\nbroken\n",
        };
        let results: Vec<_> = ActivityLines::new(std::io::BufReader::new(two_lines)).collect();
        assert_eq!(results.len(), 3, "{results:?}");
        assert!(results[0].is_ok());
        assert!(matches!(
            &results[1],
            Err(ReadError::Record(RecordError { line: 2, .. }))
        ));
        assert_eq!(
            results[2].as_ref().unwrap_err().to_string(),
            "cannot read past line 2: Is a directory"
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = parse_activity_line(&bytes);
        }

        #[test]
        fn arbitrary_user_strings_round_trip(user in "[a-zA-Z0-9@._-]{1,30}") {
            let line = serde_json::json!({"type":"login","account":"a","at":"2026-01-05T10:00:00Z","user":user}).to_string();
            let activity = parse_activity_line(line.as_bytes()).unwrap();
            let ActivityDetail::Login { user: parsed } = activity.detail else { unreachable!() };
            proptest::prop_assert_eq!(parsed.as_str(), user.as_str());
        }
    }
}
