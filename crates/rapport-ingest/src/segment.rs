//! Segment's HTTP Tracking API (`docs/tracking.md`): the bodies of
//! `/v1/batch`, `/v1/identify`, `/v1/track`, `/v1/page`, `/v1/screen`,
//! `/v1/group` and `/v1/alias` as Segment's specification describes them,
//! read into [`SegmentEvent`]s (limits, the batch's `context` and
//! `integrations` merged into each event, a `messageId` for an event without
//! one, clock-skew correction) and then mapped by an [`EventMapping`] to the
//! calls the store applies ([`rapport_store::tracking::TrackedCall`]).
//!
//! Pure: no IO and no clock. The instant the request was received and the
//! source of fresh message ids are parameters. Bad input is data: a body that
//! is not a Segment call at all, or breaks a size limit, is a [`BodyError`]
//! (the API answers 400); otherwise every event yields a call or an
//! [`EventError`] naming its index and field, and the good ones are kept.

mod mapping;
#[cfg(test)]
mod tests;

pub use mapping::{EventMapping, MappedActivity, MappedCall, MappingRule};

use rapport_core::Timestamp;
use rapport_core::time::{FIRST_YEAR, LAST_YEAR, TimeError};
use rapport_store::tracking::TrackedCall;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Segment's limit on one event (a single call's body, or one event of a batch).
pub const MAX_EVENT_BYTES: usize = 32 * 1024;
/// Segment's limit on a batch request's body.
pub const MAX_BATCH_BYTES: usize = 500 * 1024;
/// The longest `messageId` kept (Segment's own are UUIDs, 36 characters).
pub const MAX_MESSAGE_ID_CHARS: usize = 256;

/// The six calls of the specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallType {
    Identify,
    Track,
    Page,
    Screen,
    Group,
    Alias,
}

impl CallType {
    pub const ALL: [CallType; 6] = [
        CallType::Identify,
        CallType::Track,
        CallType::Page,
        CallType::Screen,
        CallType::Group,
        CallType::Alias,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallType::Identify => "identify",
            CallType::Track => "track",
            CallType::Page => "page",
            CallType::Screen => "screen",
            CallType::Group => "group",
            CallType::Alias => "alias",
        }
    }

    pub fn parse(text: &str) -> Option<CallType> {
        CallType::ALL
            .into_iter()
            .find(|call| call.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

/// Which endpoint a body came to: `/v1/batch`, or one call's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Batch,
    Call(CallType),
}

impl Endpoint {
    /// The largest body the endpoint takes.
    pub fn limit(self) -> usize {
        match self {
            Endpoint::Batch => MAX_BATCH_BYTES,
            Endpoint::Call(_) => MAX_EVENT_BYTES,
        }
    }
}

/// A body refused whole (the API's 400): nothing of it is kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the request body is {size} bytes: the limit is {limit} per {what}")]
    TooLarge {
        size: usize,
        limit: &'static str,
        what: &'static str,
    },
    #[error("batch[{index}] is {size} bytes: the limit is 32 KB per event")]
    EventTooLarge { index: usize, size: usize },
    #[error("the request body is not JSON: {0}")]
    NotJson(String),
    #[error("{0}")]
    NotACall(String),
}

/// One event of a body refused (the others are kept): its index in the
/// batch (0 for a single call), its `messageId` when it had one, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    pub index: usize,
    pub message_id: Option<String>,
    pub reason: String,
}

/// One event as the specification reads it, before Rapport's mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentEvent {
    pub call: CallType,
    pub message_id: String,
    /// The client sent no `messageId`; Rapport gave it `message_id`.
    pub message_id_generated: bool,
    pub user_id: Option<String>,
    pub anonymous_id: Option<String>,
    /// `track`'s event name.
    pub event: Option<String>,
    /// `page`'s and `screen`'s name.
    pub name: Option<String>,
    pub group_id: Option<String>,
    pub previous_id: Option<String>,
    pub properties: Map<String, Value>,
    pub traits: Map<String, Value>,
    /// The event's own context over the batch's.
    pub context: Map<String, Value>,
    /// The event's own integrations over the batch's.
    pub integrations: Map<String, Value>,
    /// When it happened: `timestamp` corrected for the client's clock skew.
    pub timestamp: Timestamp,
}

impl SegmentEvent {
    /// The user the event is about: `userId`, else `anonymousId`.
    pub fn user(&self) -> &str {
        self.user_id
            .as_deref()
            .or(self.anonymous_id.as_deref())
            .unwrap_or_default()
    }

    /// Whether the event's `integrations` let it reach Rapport: `"Rapport":
    /// false` keeps it away, and so does `"All": false` unless `"Rapport"` is
    /// enabled (Segment's rule for destinations).
    pub fn for_rapport(&self) -> bool {
        match self.integrations.get("Rapport") {
            Some(Value::Bool(enabled)) => *enabled,
            Some(Value::Null) | None => {
                !matches!(self.integrations.get("All"), Some(Value::Bool(false)))
            }
            Some(_) => true,
        }
    }
}

/// A body read: the write key it carried, and each event or its error, in
/// the body's order.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedBody<T> {
    pub write_key: Option<String>,
    pub events: Vec<Result<T, EventError>>,
}

/// What a request states: when it arrived, and where fresh message ids come
/// from (a UUID generator in the server; a counter in tests).
pub struct Received<'a> {
    pub at: Timestamp,
    pub new_message_id: &'a mut dyn FnMut() -> String,
}

/// The fields of a batch body besides its events.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBatch<'a> {
    #[serde(borrow, default)]
    batch: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    context: Option<Value>,
    #[serde(default)]
    integrations: Option<Value>,
    #[serde(default)]
    sent_at: Option<Value>,
    #[serde(default)]
    write_key: Option<Value>,
}

/// Every field of an event Rapport reads; the rest is ignored. Values are
/// taken loosely and checked by hand, so an error names the field.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawEvent {
    #[serde(rename = "type", default)]
    call: Option<Value>,
    #[serde(default)]
    message_id: Option<Value>,
    #[serde(default)]
    user_id: Option<Value>,
    #[serde(default)]
    anonymous_id: Option<Value>,
    #[serde(default)]
    event: Option<Value>,
    #[serde(default)]
    name: Option<Value>,
    #[serde(default)]
    group_id: Option<Value>,
    #[serde(default)]
    previous_id: Option<Value>,
    #[serde(default)]
    properties: Option<Value>,
    #[serde(default)]
    traits: Option<Value>,
    #[serde(default)]
    context: Option<Value>,
    #[serde(default)]
    integrations: Option<Value>,
    #[serde(default)]
    timestamp: Option<Value>,
    #[serde(default)]
    original_timestamp: Option<Value>,
    #[serde(default)]
    sent_at: Option<Value>,
    #[serde(default)]
    write_key: Option<Value>,
}

/// What a batch gives every event: its context, integrations and `sentAt`.
#[derive(Default)]
struct BatchCommon {
    context: Map<String, Value>,
    integrations: Map<String, Value>,
    sent_at: Option<Timestamp>,
}

/// Reads a body sent to `endpoint` into events (see the module doc).
pub fn parse_body(
    endpoint: Endpoint,
    body: &[u8],
    received: &mut Received<'_>,
) -> Result<ParsedBody<SegmentEvent>, BodyError> {
    if body.len() > endpoint.limit() {
        return Err(match endpoint {
            Endpoint::Batch => BodyError::TooLarge {
                size: body.len(),
                limit: "500 KB",
                what: "batch",
            },
            Endpoint::Call(_) => BodyError::TooLarge {
                size: body.len(),
                limit: "32 KB",
                what: "event",
            },
        });
    }
    let text = std::str::from_utf8(body).map_err(|error| {
        BodyError::NotJson(format!(
            "it is not UTF-8 ({})",
            crate::invalid_utf8_at(body, error.valid_up_to())
        ))
    })?;
    match endpoint {
        Endpoint::Batch => parse_batch(text, received),
        Endpoint::Call(call) => {
            let raw: RawEvent = parse_object(text)?;
            let write_key = key_text(raw.write_key.as_ref())?;
            let event = read_event(raw, Some(call), &BatchCommon::default(), received, 0);
            Ok(ParsedBody {
                write_key,
                events: vec![event],
            })
        }
    }
}

fn parse_object<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, BodyError> {
    if !text.trim_start().starts_with('{') {
        return Err(BodyError::NotACall(
            "the request body is not a JSON object `{...}`".into(),
        ));
    }
    serde_json::from_str(text).map_err(|error| {
        if error.is_data() {
            BodyError::NotACall(format!(
                "the request body is not a Segment call: {}",
                strip_position(&error.to_string())
            ))
        } else {
            BodyError::NotJson(error.to_string())
        }
    })
}

fn parse_batch(
    text: &str,
    received: &mut Received<'_>,
) -> Result<ParsedBody<SegmentEvent>, BodyError> {
    let raw: RawBatch<'_> = parse_object(text)?;
    let Some(batch) = raw.batch else {
        return Err(BodyError::NotACall(
            "field `batch`: missing (a batch body is `{\"batch\": [...]}`)".into(),
        ));
    };
    if let Some((index, event)) = batch
        .iter()
        .enumerate()
        .find(|(_, event)| event.get().len() > MAX_EVENT_BYTES)
    {
        return Err(BodyError::EventTooLarge {
            index,
            size: event.get().len(),
        });
    }
    let common = BatchCommon {
        context: object("context", raw.context).map_err(BodyError::NotACall)?,
        integrations: object("integrations", raw.integrations).map_err(BodyError::NotACall)?,
        sent_at: instant("sentAt", raw.sent_at.as_ref()).map_err(BodyError::NotACall)?,
    };
    let write_key = key_text(raw.write_key.as_ref())?;
    let events = batch
        .into_iter()
        .enumerate()
        .map(
            |(index, event)| match serde_json::from_str::<RawEvent>(event.get()) {
                Ok(raw) => read_event(raw, None, &common, received, index),
                Err(error) => Err(EventError {
                    index,
                    message_id: None,
                    reason: format!("not a Segment call: {}", strip_position(&error.to_string())),
                }),
            },
        )
        .collect();
    Ok(ParsedBody { write_key, events })
}

fn key_text(value: Option<&Value>) -> Result<Option<String>, BodyError> {
    text("writeKey", value).map_err(BodyError::NotACall)
}

/// serde_json appends "at line 1 column 40"; the index or field is named.
fn strip_position(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

/// An identifier or name: a string (trimmed, non-empty) or a number (its
/// decimal text); `null` or absent is none.
fn text(field: &str, value: Option<&Value>) -> Result<Option<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => {
            let trimmed = text.trim();
            Ok((!trimmed.is_empty()).then(|| trimmed.to_string()))
        }
        Some(Value::Number(number)) => Ok(Some(number.to_string())),
        Some(other) => Err(format!(
            "field `{field}`: expected a string, not {}",
            kind_of(other)
        )),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn object(field: &str, value: Option<Value>) -> Result<Map<String, Value>, String> {
    match value {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map),
        Some(other) => Err(format!(
            "field `{field}`: expected an object, not {}",
            kind_of(&other)
        )),
    }
}

/// An ISO 8601 instant: RFC 3339 with any offset, or a date and time without
/// one (taken as UTC: some libraries send `datetime.utcnow().isoformat()`).
pub fn parse_instant(text: &str) -> Result<Timestamp, TimeError> {
    match Timestamp::parse_rfc3339(text) {
        Ok(instant) => return Ok(instant),
        Err(TimeError::OutOfRange(text)) => return Err(TimeError::OutOfRange(text)),
        Err(_) => {}
    }
    let trimmed = text.trim();
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| chrono::NaiveDateTime::parse_from_str(trimmed, format).ok())
        .ok_or_else(|| TimeError::BadTimestamp(text.to_string()))?;
    checked(naive.and_utc().timestamp_millis(), text)
}

/// `millis` as an instant, refused outside the years Rapport accepts.
fn checked(millis: i64, text: &str) -> Result<Timestamp, TimeError> {
    let instant = Timestamp::from_millis(millis);
    let year = chrono::Datelike::year(&instant.date());
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return Err(TimeError::OutOfRange(text.to_string()));
    }
    Ok(instant)
}

fn instant(field: &str, value: Option<&Value>) -> Result<Option<Timestamp>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => parse_instant(text)
            .map(Some)
            .map_err(|error| format!("field `{field}`: {error}")),
        Some(other) => Err(format!(
            "field `{field}`: expected an ISO 8601 date string, not {}",
            kind_of(other)
        )),
    }
}

/// `base` with `over`'s keys put over it (one level: a key the event sets
/// replaces the batch's).
fn merged(base: &Map<String, Value>, over: Map<String, Value>) -> Map<String, Value> {
    if base.is_empty() {
        return over;
    }
    let mut result = base.clone();
    result.extend(over);
    result
}

/// When the event happened: `receivedAt − (sentAt − timestamp)` when the
/// client said when it sent it (its clock's error cancels out), else its
/// `timestamp` as given, else the instant it was received.
pub fn corrected_instant(
    received_at: Timestamp,
    sent_at: Option<Timestamp>,
    timestamp: Option<Timestamp>,
) -> Timestamp {
    match (timestamp, sent_at) {
        (Some(timestamp), Some(sent_at)) => Timestamp::from_millis(
            received_at
                .millis()
                .saturating_sub(sent_at.millis().saturating_sub(timestamp.millis())),
        ),
        (Some(timestamp), None) => timestamp,
        (None, _) => received_at,
    }
}

fn read_event(
    raw: RawEvent,
    endpoint_call: Option<CallType>,
    common: &BatchCommon,
    received: &mut Received<'_>,
    index: usize,
) -> Result<SegmentEvent, EventError> {
    let given_id = text("messageId", raw.message_id.as_ref());
    let message_id = given_id.clone().ok().flatten();
    let error = |reason: String| EventError {
        index,
        message_id: message_id.clone(),
        reason,
    };
    let given_id = given_id.map_err(error)?;
    if let Some(id) = &given_id
        && id.chars().count() > MAX_MESSAGE_ID_CHARS
    {
        return Err(error(format!(
            "field `messageId`: longer than {MAX_MESSAGE_ID_CHARS} characters"
        )));
    }
    let call = match endpoint_call {
        Some(call) => call,
        None => {
            let named = text("type", raw.call.as_ref())
                .map_err(error)?
                .ok_or_else(|| error("missing field `type`".into()))?;
            CallType::parse(&named).ok_or_else(|| {
                error(format!(
                    "field `type`: `{named}` is not one of identify | track | page | screen | group | alias"
                ))
            })?
        }
    };
    let user_id = text("userId", raw.user_id.as_ref()).map_err(error)?;
    let anonymous_id = text("anonymousId", raw.anonymous_id.as_ref()).map_err(error)?;
    if user_id.is_none() && anonymous_id.is_none() {
        return Err(error(
            "missing field `userId` (every call needs a `userId` or an `anonymousId`)".into(),
        ));
    }
    let event = text("event", raw.event.as_ref()).map_err(error)?;
    if call == CallType::Track && event.is_none() {
        return Err(error(
            "missing field `event` (a track call names its event)".into(),
        ));
    }
    let group_id = text("groupId", raw.group_id.as_ref()).map_err(error)?;
    if call == CallType::Group && group_id.is_none() {
        return Err(error(
            "missing field `groupId` (a group call names the account)".into(),
        ));
    }
    let previous_id = text("previousId", raw.previous_id.as_ref()).map_err(error)?;
    if call == CallType::Alias && (previous_id.is_none() || user_id.is_none()) {
        return Err(error(format!(
            "missing field `{}` (an alias call names the `previousId` and the `userId`)",
            if previous_id.is_none() {
                "previousId"
            } else {
                "userId"
            }
        )));
    }
    let device_time = match instant("timestamp", raw.timestamp.as_ref()).map_err(error)? {
        Some(timestamp) => Some(timestamp),
        None => instant("originalTimestamp", raw.original_timestamp.as_ref()).map_err(error)?,
    };
    let sent_at = instant("sentAt", raw.sent_at.as_ref())
        .map_err(error)?
        .or(common.sent_at);
    let timestamp = corrected_instant(received.at, sent_at, device_time);
    checked(timestamp.millis(), "the corrected timestamp").map_err(|_| {
        error("field `timestamp`: corrected for the client's clock, it falls outside the years 1900 to 2199".into())
    })?;
    let message_id_generated = given_id.is_none();
    let message_id = given_id.unwrap_or_else(|| (received.new_message_id)());
    Ok(SegmentEvent {
        call,
        message_id,
        message_id_generated,
        user_id,
        anonymous_id,
        event,
        name: text("name", raw.name.as_ref()).map_err(error)?,
        group_id,
        previous_id,
        properties: object("properties", raw.properties).map_err(error)?,
        traits: object("traits", raw.traits).map_err(error)?,
        context: merged(
            &common.context,
            object("context", raw.context).map_err(error)?,
        ),
        integrations: merged(
            &common.integrations,
            object("integrations", raw.integrations).map_err(error)?,
        ),
        timestamp,
    })
}

/// Reads a body and maps each good event: what the tracking use case writes.
pub fn parse_and_map(
    endpoint: Endpoint,
    body: &[u8],
    received: &mut Received<'_>,
    mapping: &EventMapping,
) -> Result<ParsedBody<TrackedCall>, BodyError> {
    let parsed = parse_body(endpoint, body, received)?;
    let events = parsed
        .events
        .into_iter()
        .enumerate()
        .map(|(index, event)| {
            let event = event?;
            mapping.map(&event).map_err(|reason| EventError {
                index,
                message_id: (!event.message_id_generated).then(|| event.message_id.clone()),
                reason,
            })
        })
        .collect();
    Ok(ParsedBody {
        write_key: parsed.write_key,
        events,
    })
}
