//! One message's header block, read through mail-parser (RFC 5322 with RFC
//! 2047 encoded words decoded, in any charset it knows) into what the import
//! keeps: ids, addresses, subject and an instant. Only the header block is
//! parsed: bodies and attachments, however they are encoded, are never
//! decoded nor kept.

use mail_parser::{Address, DateTime, HeaderName, HeaderValue, MessageParser};
use rapport_core::{Email, Timestamp};

/// How far past the import's now a `Date` may lie before it is taken for a
/// sender's broken clock: a day covers every time zone's "now".
const FUTURE_TOLERANCE_DAYS: u32 = 1;

/// The headers the import reads, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageHeaders {
    /// `Message-ID` without its angle brackets.
    pub message_id: Option<String>,
    /// The first id of `In-Reply-To`.
    pub in_reply_to: Option<String>,
    /// `References`, oldest first.
    pub references: Vec<String>,
    /// `Subject`, decoded, with runs of white space made one space.
    pub subject: Option<String>,
    /// `From`, else `Sender`.
    pub from: Email,
    /// `To` then `Cc`, each address once; addresses that are not addresses
    /// (an empty group such as `undisclosed-recipients:;`) are left out.
    pub recipients: Vec<Email>,
    pub at: Timestamp,
    /// Set when `Date` could not be used: why, and what dated the message.
    pub date_note: Option<String>,
}

/// The parser of the headers the import reads; every other header is skipped
/// unparsed.
pub fn header_parser() -> MessageParser {
    MessageParser::new()
        .header_id(HeaderName::MessageId)
        .header_id(HeaderName::InReplyTo)
        .header_id(HeaderName::References)
        .header_text(HeaderName::Subject)
        .header_address(HeaderName::From)
        .header_address(HeaderName::Sender)
        .header_address(HeaderName::To)
        .header_address(HeaderName::Cc)
        .header_date(HeaderName::Date)
        // Read only when `Date` fails, so kept raw until then.
        .header_raw(HeaderName::Received)
        .default_header_ignore()
}

/// Reads a message's headers; `Err` is why the message cannot be an activity.
/// `envelope_date` is its mbox `From ` line's date; `now` the import's instant.
pub fn read_headers(
    parser: &MessageParser,
    bytes: &[u8],
    envelope_date: Option<i64>,
    now: Timestamp,
) -> Result<MessageHeaders, String> {
    let Some(message) = parser.parse_headers(bytes) else {
        return Err("no header could be read; not an RFC 5322 message".into());
    };
    let mut message_id = None;
    let mut in_reply_to = None;
    let mut references = Vec::new();
    let mut subject = None;
    let mut from = None;
    let mut sender = None;
    let mut recipients: Vec<Email> = Vec::new();
    let mut date = None;
    let mut date_raw = None;
    let mut first_received = None;
    for header in message.headers() {
        let value = &header.value;
        match &header.name {
            HeaderName::MessageId => {
                message_id = ids(value).into_iter().next();
            }
            HeaderName::InReplyTo => {
                in_reply_to = ids(value).into_iter().next();
            }
            HeaderName::References => {
                references = ids(value);
            }
            HeaderName::Subject => {
                subject = value
                    .as_text()
                    .map(one_line)
                    .filter(|text| !text.is_empty());
            }
            HeaderName::From => from = value.as_address(),
            HeaderName::Sender => sender = value.as_address(),
            HeaderName::To | HeaderName::Cc => {
                if let Some(addresses) = value.as_address() {
                    for address in addresses.iter().filter_map(|addr| addr.address()) {
                        if let Ok(email) = Email::parse(address)
                            && !recipients.contains(&email)
                        {
                            recipients.push(email);
                        }
                    }
                }
            }
            HeaderName::Date => {
                date = value.as_datetime().copied();
                date_raw = Some(raw_value(bytes, header.offset_start, header.offset_end));
            }
            // The topmost is the last hop: when the message arrived.
            HeaderName::Received if first_received.is_none() => {
                first_received = value.as_text().map(str::to_string);
            }
            _ => {}
        }
    }
    let from = sender_address(from, sender)?;
    let (at, date_note) = dated(
        date,
        date_raw,
        first_received.as_deref(),
        envelope_date,
        now,
    )?;
    Ok(MessageHeaders {
        message_id,
        in_reply_to,
        references,
        subject,
        from,
        recipients,
        at,
        date_note,
    })
}

/// The sender: the first address of `From`, else of `Sender`.
fn sender_address(
    from: Option<&Address<'_>>,
    sender: Option<&Address<'_>>,
) -> Result<Email, String> {
    let first = |address: Option<&Address<'_>>| {
        address.and_then(|address| {
            address
                .iter()
                .find_map(|addr| addr.address().map(str::to_string))
        })
    };
    match first(from).or_else(|| first(sender)) {
        Some(address) => Email::parse(&address)
            .map_err(|_| format!("the From address `{address}` is not an e-mail address")),
        None => Err("no From address (nor Sender)".into()),
    }
}

/// The ids of a `Message-ID`, `In-Reply-To` or `References` value.
fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let clean = |id: &str| {
        let id = id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        (!id.is_empty()).then(|| id.to_string())
    };
    match value {
        HeaderValue::Text(id) => clean(id).into_iter().collect(),
        HeaderValue::TextList(list) => list.iter().filter_map(|id| clean(id)).collect(),
        _ => Vec::new(),
    }
}

/// Text on one line: every run of white space (folding included) one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn raw_value(bytes: &[u8], start: u32, end: u32) -> String {
    let raw = bytes
        .get(start as usize..end as usize)
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    one_line(&raw)
}

/// The message's instant: `Date`, else the topmost `Received` header's date
/// (when the message arrived), else the mbox `From ` line's. A date that is
/// not a date, outside the years Rapport accepts, or more than a day after
/// the import's now (a sender's clock) is not used. With none left the
/// message is rejected.
fn dated(
    date: Option<DateTime>,
    date_raw: Option<String>,
    received: Option<&str>,
    envelope_date: Option<i64>,
    now: Timestamp,
) -> Result<(Timestamp, Option<String>), String> {
    let latest = now.plus_days(FUTURE_TOLERANCE_DAYS);
    let usable = |instant: Option<Timestamp>| instant.filter(|at| *at <= latest);
    let from_date = date.as_ref().and_then(instant);
    if let Some(at) = usable(from_date) {
        return Ok((at, None));
    }
    let why = match (&date_raw, from_date) {
        (None, _) => "no Date header".to_string(),
        (Some(raw), Some(_)) => format!("the Date `{raw}` is in the future"),
        (Some(raw), None) => format!("the Date `{raw}` is not a date"),
    };
    if let Some(at) = usable(received.and_then(received_date)) {
        return Ok((
            at,
            Some(format!(
                "{why}; dated {} from its Received header",
                at.to_rfc3339()
            )),
        ));
    }
    let envelope = envelope_date.and_then(|seconds| {
        let instant = chrono::DateTime::from_timestamp(seconds, 0)?;
        Timestamp::parse_rfc3339(&instant.to_rfc3339()).ok()
    });
    if let Some(at) = usable(envelope) {
        return Ok((
            at,
            Some(format!(
                "{why}; dated {} from its mbox From line",
                at.to_rfc3339()
            )),
        ));
    }
    Err(format!(
        "{why}, and no Received header or mbox From line gives a date; the message has no instant"
    ))
}

/// A parsed date as an instant; two-digit years as RFC 5322 §4.3 reads them
/// (00–49 are 2000–2049, 50–99 are 1950–1999).
fn instant(date: &DateTime) -> Option<Timestamp> {
    let mut date = *date;
    if date.year < 50 {
        date.year += 2000;
    } else if date.year < 100 {
        date.year += 1900;
    }
    if !date.is_valid() {
        return None;
    }
    let seconds = date.to_timestamp();
    let instant = chrono::DateTime::from_timestamp(seconds, 0)?;
    // Timestamp's own parser holds the years Rapport accepts.
    Timestamp::parse_rfc3339(&instant.to_rfc3339()).ok()
}

/// The date after the last `;` of a `Received` value.
fn received_date(received: &str) -> Option<Timestamp> {
    let (_, when) = received.rsplit_once(';')?;
    let header = format!("Date: {}\n\n", when.trim());
    let parser = MessageParser::new()
        .header_date(HeaderName::Date)
        .default_header_ignore();
    let message = parser.parse_headers(header.as_bytes())?;
    instant(message.date()?)
}
