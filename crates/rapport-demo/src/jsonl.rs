//! Writing activities as JSON lines by hand into a reused byte buffer: the
//! hot path of the generator, so no allocation per line and no formatter
//! machinery. Strings are escaped as JSON requires.

use chrono::{Datelike, Days, NaiveDate};

use crate::catalogue::FEATURES;
use crate::event::{Event, Kind};
use crate::portfolio::AccountPlan;
use crate::words::{INBOUND_SUBJECTS, OUTBOUND_SUBJECTS, TICKET_TAGS, UNCATALOGUED_FEATURES};

pub(crate) fn push_u64(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut position = digits.len();
    loop {
        position -= 1;
        digits[position] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[position..]);
}

/// `value` in decimal, left-padded with zeros to at least `width` digits.
pub(crate) fn push_padded(out: &mut Vec<u8>, value: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut position = digits.len();
    let mut rest = value;
    loop {
        position -= 1;
        digits[position] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for _ in (digits.len() - position)..width {
        out.push(b'0');
    }
    out.extend_from_slice(&digits[position..]);
}

/// A JSON string literal, escaped.
pub(crate) fn push_json_str(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    push_json_escaped(out, text);
    out.push(b'"');
}

/// The inside of a JSON string literal: `text` with the characters JSON
/// forbids escaped.
fn push_json_escaped(out: &mut Vec<u8>, text: &str) {
    for &byte in text.as_bytes() {
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f => {
                out.extend_from_slice(b"\\u00");
                out.push(b"0123456789abcdef"[usize::from(byte >> 4)]);
                out.push(b"0123456789abcdef"[usize::from(byte & 0xf)]);
            }
            _ => out.push(byte),
        }
    }
}

pub(crate) fn push_date(out: &mut Vec<u8>, date: NaiveDate) {
    push_padded(out, date.year() as u64, 4);
    out.push(b'-');
    push_padded(out, u64::from(date.month()), 2);
    out.push(b'-');
    push_padded(out, u64::from(date.day()), 2);
}

/// The dates of the generated window, pre-rendered, so a timestamp costs a
/// table look-up and six digits.
pub(crate) struct Calendar {
    first_day: i64,
    dates: Vec<[u8; 10]>,
}

impl Calendar {
    pub(crate) fn new(start: NaiveDate, days: u32) -> Calendar {
        let first_day = (start - epoch()).num_days();
        let dates = (0..days)
            .map(|offset| {
                let mut text = Vec::with_capacity(10);
                push_date(&mut text, start + Days::new(u64::from(offset)));
                text.try_into().expect("a date renders as ten bytes")
            })
            .collect();
        Calendar { first_day, dates }
    }

    /// `at` (seconds since the Unix epoch, inside the window) as RFC 3339 UTC.
    pub(crate) fn push_timestamp(&self, out: &mut Vec<u8>, at: i64) {
        let day = at.div_euclid(86_400);
        let second_of_day = at.rem_euclid(86_400) as u64;
        out.push(b'"');
        out.extend_from_slice(&self.dates[(day - self.first_day) as usize]);
        out.push(b'T');
        push_padded(out, second_of_day / 3600, 2);
        out.push(b':');
        push_padded(out, second_of_day / 60 % 60, 2);
        out.push(b':');
        push_padded(out, second_of_day % 60, 2);
        out.extend_from_slice(b"Z\"");
    }
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch is a date")
}

fn push_field(out: &mut Vec<u8>, name: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

fn push_str_field(out: &mut Vec<u8>, name: &str, value: &str) {
    push_field(out, name);
    push_json_str(out, value);
}

fn push_contact(out: &mut Vec<u8>, plan: &AccountPlan, name: &str, contact: u16) {
    push_str_field(out, name, &plan.contacts[usize::from(contact)].email);
}

fn push_contact_list(out: &mut Vec<u8>, plan: &AccountPlan, name: &str, mask: u32) {
    push_field(out, name);
    out.push(b'[');
    let mut first = true;
    for (position, contact) in plan.contacts.iter().enumerate() {
        if mask & (1 << position) != 0 {
            if !first {
                out.push(b',');
            }
            first = false;
            push_json_str(out, &contact.email);
        }
    }
    out.push(b']');
}

/// An id made of a prefix, the account number and a counter, all unique.
fn push_id(out: &mut Vec<u8>, prefix: &str, account: usize, number: u64, width: usize) {
    out.push(b'"');
    out.extend_from_slice(prefix.as_bytes());
    push_padded(out, account as u64 + 1, 6);
    out.push(b'-');
    push_padded(out, number, width);
    out.push(b'"');
}

/// Appends one activity line (with its newline) for `event`, the `sequence`-th
/// activity of the account.
pub(crate) fn push_event(
    out: &mut Vec<u8>,
    plan: &AccountPlan,
    csm_email: &str,
    calendar: &Calendar,
    event: &Event,
    sequence: u64,
) {
    out.extend_from_slice(b"{\"id\":");
    push_id(out, "a-", plan.index, sequence, 6);
    push_field(out, "type");
    push_json_str(out, event.kind.type_name());
    push_str_field(out, "account", &plan.id);
    push_field(out, "at");
    calendar.push_timestamp(out, event.at);
    match event.kind {
        Kind::Email {
            outbound,
            thread,
            subject,
            opened_by_customer,
            reply,
            contact,
            recipients,
        } => {
            push_str_field(
                out,
                "direction",
                if outbound { "outbound" } else { "inbound" },
            );
            push_field(out, "thread");
            push_id(out, "t-", plan.index, u64::from(thread), 5);
            if outbound {
                push_str_field(out, "from", csm_email);
                push_contact_list(out, plan, "to", recipients);
            } else {
                push_contact(out, plan, "from", contact);
                push_field(out, "to");
                out.push(b'[');
                push_json_str(out, csm_email);
                out.push(b']');
            }
            push_field(out, "subject");
            out.push(b'"');
            if reply {
                out.extend_from_slice(b"Re: ");
            }
            let subjects = if opened_by_customer {
                INBOUND_SUBJECTS
            } else {
                OUTBOUND_SUBJECTS
            };
            push_json_escaped(out, subjects[usize::from(subject)]);
            out.push(b'"');
        }
        Kind::Meeting {
            status,
            initiated_by_customer,
            attendees,
            kind,
            duration_min,
        } => {
            push_str_field(out, "status", status.as_str());
            if let Some(by) = status.cancelled_by() {
                push_str_field(out, "cancelled_by", by);
            }
            push_str_field(
                out,
                "initiated_by",
                if initiated_by_customer {
                    "customer"
                } else {
                    "us"
                },
            );
            push_contact_list(out, plan, "attendees", attendees);
            push_str_field(out, "kind", kind.as_str());
            push_field(out, "duration_min");
            push_u64(out, u64::from(duration_min));
        }
        Kind::Call {
            outbound,
            contact,
            duration_min,
            connected,
        } => {
            push_str_field(
                out,
                "direction",
                if outbound { "outbound" } else { "inbound" },
            );
            push_contact(out, plan, "contact", contact);
            push_field(out, "duration_min");
            push_u64(out, u64::from(duration_min));
            push_field(out, "connected");
            out.extend_from_slice(if connected { b"true" } else { b"false" });
        }
        Kind::Ticket {
            number,
            status,
            severity,
            tags,
            sentiment,
            contact,
        } => {
            push_field(out, "ticket");
            push_id(out, "T-", plan.index, u64::from(number), 5);
            push_str_field(out, "status", status.as_str());
            push_str_field(out, "severity", severity.as_str());
            push_field(out, "tags");
            out.push(b'[');
            let mut first = true;
            for (position, tag) in TICKET_TAGS.iter().enumerate() {
                if tags & (1 << position) != 0 {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    push_json_str(out, tag);
                }
            }
            out.push(b']');
            push_str_field(out, "sentiment", sentiment.as_str());
            push_contact(out, plan, "contact", contact);
        }
        Kind::Login { user } => push_user(out, plan, user),
        Kind::Session { user, duration_min } => {
            push_user(out, plan, user);
            push_field(out, "duration_min");
            push_u64(out, u64::from(duration_min));
        }
        Kind::FeatureUsed { user, feature } => {
            push_user(out, plan, user);
            let feature = usize::from(feature);
            let key = match FEATURES.get(feature) {
                Some(catalogued) => catalogued.key,
                None => UNCATALOGUED_FEATURES[feature - FEATURES.len()],
            };
            push_str_field(out, "feature", key);
        }
        Kind::Training { contact, attended } => {
            push_contact(out, plan, "contact", contact);
            push_str_field(out, "status", if attended { "attended" } else { "no_show" });
        }
        Kind::Nps { contact, score } | Kind::Csat { contact, score } => {
            push_contact(out, plan, "contact", contact);
            push_field(out, "score");
            push_u64(out, u64::from(score));
        }
        Kind::Payment {
            invoice,
            amount,
            due,
            status,
        } => {
            push_field(out, "invoice");
            push_id(out, "INV-", plan.index, u64::from(invoice), 4);
            push_field(out, "amount");
            push_u64(out, amount);
            push_field(out, "due");
            out.push(b'"');
            push_date(out, due);
            out.push(b'"');
            push_str_field(out, "status", status.as_str());
        }
        Kind::Community { contact, action } => {
            push_contact(out, plan, "contact", contact);
            push_str_field(out, "action", action.as_str());
        }
    }
    out.extend_from_slice(b"}\n");
}

fn push_user(out: &mut Vec<u8>, plan: &AccountPlan, user: u32) {
    push_field(out, "user");
    out.push(b'"');
    plan.write_user(user, out);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(write: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        write(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_render_in_decimal() {
        assert_eq!(rendered(|o| push_u64(o, 0)), "0");
        assert_eq!(rendered(|o| push_u64(o, 1_234_567)), "1234567");
        assert_eq!(rendered(|o| push_padded(o, 45, 6)), "000045");
        assert_eq!(rendered(|o| push_padded(o, 1_234_567, 6)), "1234567");
    }

    #[test]
    fn strings_are_escaped() {
        let text = rendered(|o| push_json_str(o, "a\"b\\c\nd\u{1}é"));
        assert_eq!(text, r#""a\"b\\c\nd\u0001é""#);
        let parsed: String = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, "a\"b\\c\nd\u{1}é");
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let start = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let calendar = Calendar::new(start, 10);
        let at = start.and_hms_opt(15, 22, 11).unwrap().and_utc().timestamp() + 3 * 86_400;
        assert_eq!(
            rendered(|o| calendar.push_timestamp(o, at)),
            "\"2026-03-04T15:22:11Z\""
        );
    }
}
