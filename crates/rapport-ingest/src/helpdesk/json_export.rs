//! Zendesk's JSON: the API's page `{"tickets":[…], "users":[…],
//! "organizations":[…]}` (users and organisations side-loaded, as
//! `?include=users,organizations` gives them), a bare array of tickets, or
//! JSON Lines (one ticket, or one page, a line, as incremental exports are
//! often saved). A file is read as JSON Lines when its extension says so
//! (`.jsonl`, `.ndjson`) or its first line is a whole JSON value; otherwise
//! as one document, which must then be valid JSON as a whole. Every ticket
//! keeps the line it starts on (found through `serde_json`'s raw values), and
//! a ticket inside a document its place there (`tickets[3]`).
//!
//! The requester's address: the embedded `requester.email`, else the
//! side-loaded user of `requester_id`, else `via.source.from.address` (a
//! ticket opened by e-mail). The organisation: the side-loaded one of
//! `organization_id`, else an embedded `organization` object.

use std::collections::HashMap;
use std::io::BufRead;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::{Organization, RawTicket, RawTickets, TicketPlace};
use crate::RecordError;

/// Consumes a UTF-8 byte-order mark at the start of `reader`, if there is one.
pub(crate) fn skip_byte_order_mark(reader: &mut impl BufRead) -> std::io::Result<()> {
    const MARK: &[u8] = b"\xEF\xBB\xBF";
    if reader.fill_buf()?.starts_with(MARK) {
        reader.consume(MARK.len());
    }
    Ok(())
}

/// A ticket's raw JSON with where it is, before side-loads are known.
struct Found<'a> {
    place: TicketPlace,
    raw: &'a RawValue,
}

/// Side-loaded users (id → address) and organisations (id → organisation).
#[derive(Default)]
struct SideLoads {
    users: HashMap<String, String>,
    organizations: HashMap<String, Organization>,
}

/// Reads the tickets of a JSON export; `lines` forces JSON Lines.
pub fn read(mut reader: impl BufRead, lines: bool) -> RawTickets {
    let mut result = RawTickets::default();
    let mut bytes = Vec::new();
    if let Err(error) =
        skip_byte_order_mark(&mut reader).and_then(|()| reader.read_to_end(&mut bytes))
    {
        result.fatal = Some(format!("cannot read: {error}"));
        return result;
    }
    let first_line_whole = bytes
        .split(|byte| *byte == b'\n')
        .find(|line| !line.trim_ascii().is_empty())
        .is_some_and(|line| serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok());
    let mut side_loads = SideLoads::default();
    let mut found: Vec<Found<'_>> = Vec::new();
    if lines || first_line_whole {
        for (index, line) in bytes.split(|byte| *byte == b'\n').enumerate() {
            let number = index as u64 + 1;
            if line.trim_ascii().is_empty() {
                continue;
            }
            let text = match std::str::from_utf8(line) {
                Ok(text) => text,
                Err(error) => {
                    result.rejected.push(RecordError {
                        line: number,
                        reason: format!(
                            "the line is not valid UTF-8 ({})",
                            crate::invalid_utf8_at(line, error.valid_up_to())
                        ),
                    });
                    continue;
                }
            };
            match serde_json::from_str::<&RawValue>(text) {
                Ok(value) => {
                    if let Err(reason) =
                        gather(value, text, number, false, &mut found, &mut side_loads)
                    {
                        result.rejected.push(RecordError {
                            line: number,
                            reason,
                        });
                    }
                }
                Err(error) => result.rejected.push(RecordError {
                    line: number,
                    reason: format!("not JSON: {error}"),
                }),
            }
        }
    } else {
        let text = match std::str::from_utf8(&bytes) {
            Ok(text) => text,
            Err(error) => {
                let line = bytes[..error.valid_up_to()]
                    .iter()
                    .filter(|byte| **byte == b'\n')
                    .count()
                    + 1;
                result.fatal = Some(format!(
                    "line {line} is not valid UTF-8 ({}); nothing of the file was imported",
                    crate::invalid_utf8_at(&bytes, error.valid_up_to())
                ));
                return result;
            }
        };
        match serde_json::from_str::<&RawValue>(text) {
            Ok(value) => {
                if let Err(reason) = gather(value, text, 1, true, &mut found, &mut side_loads) {
                    result.fatal = Some(reason);
                    return result;
                }
            }
            Err(error) => {
                result.fatal = Some(format!(
                    "not JSON ({error}); a JSON export must be valid as a whole, nothing of it \
                     was imported (JSON Lines, one ticket a line, keeps the good lines)"
                ));
                return result;
            }
        }
    }
    for Found { place, raw } in found {
        match ticket(raw, &side_loads) {
            Ok(ticket) => result.tickets.push((place, ticket)),
            Err(reason) => result.rejected.push(RecordError {
                line: place.line,
                reason: match &place.path {
                    Some(path) => format!("{path}: {reason}"),
                    None => reason,
                },
            }),
        }
    }
    result
}

/// The line of `raw` within `text`, which starts on line `first_line`.
fn line_of(raw: &RawValue, text: &str, first_line: u64) -> u64 {
    let offset = (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    let before = text.get(..offset.min(text.len())).unwrap_or("");
    first_line + before.bytes().filter(|byte| *byte == b'\n').count() as u64
}

/// Sorts one top-level value into tickets and side-loads: a page (an object
/// with `tickets`), an array of tickets, or one ticket.
fn gather<'a>(
    value: &'a RawValue,
    text: &'a str,
    first_line: u64,
    document: bool,
    found: &mut Vec<Found<'a>>,
    side_loads: &mut SideLoads,
) -> Result<(), String> {
    let start = value.get().trim_start();
    let place = |raw: &RawValue, path: Option<String>| TicketPlace {
        line: line_of(raw, text, first_line),
        path,
    };
    if start.starts_with('[') {
        let tickets: Vec<&RawValue> = serde_json::from_str(value.get())
            .map_err(|error| format!("not an array of tickets: {error}"))?;
        for (index, raw) in tickets.into_iter().enumerate() {
            let path = document.then(|| format!("[{index}]"));
            found.push(Found {
                place: place(raw, path),
                raw,
            });
        }
        return Ok(());
    }
    let fields: HashMap<String, &RawValue> = serde_json::from_str(value.get()).map_err(|_| {
        "a ticket must be a JSON object, a page {\"tickets\":[…]} or an array".to_string()
    })?;
    let Some(tickets) = fields.get("tickets") else {
        found.push(Found {
            place: place(value, None),
            raw: value,
        });
        return Ok(());
    };
    let tickets: Vec<&RawValue> = serde_json::from_str(tickets.get())
        .map_err(|_| "tickets: expected an array of tickets".to_string())?;
    for (index, raw) in tickets.into_iter().enumerate() {
        found.push(Found {
            place: place(raw, Some(format!("tickets[{index}]"))),
            raw,
        });
    }
    // Side-loads are read leniently: an entry without an id or an address
    // tells nothing, and is no ticket to reject.
    if let Some(users) = fields.get("users")
        && let Ok(users) = serde_json::from_str::<Vec<Value>>(users.get())
    {
        for user in users {
            if let (Some(id), Some(email)) = (id_text(user.get("id")), string_of(user.get("email")))
            {
                side_loads.users.insert(id, email);
            }
        }
    }
    if let Some(organizations) = fields.get("organizations")
        && let Ok(organizations) = serde_json::from_str::<Vec<Value>>(organizations.get())
    {
        for organization in organizations {
            if let Some(id) = id_text(organization.get("id")) {
                side_loads
                    .organizations
                    .insert(id, organization_of(&organization));
            }
        }
    }
    Ok(())
}

/// A number's digits or a string's trimmed text; `None` for anything else.
fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Number(number) => Some(number.to_string()),
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_string()),
        _ => None,
    }
}

fn string_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_string()),
        _ => None,
    }
}

fn organization_of(value: &Value) -> Organization {
    Organization {
        name: string_of(value.get("name")),
        external_id: id_text(value.get("external_id")),
        domain_names: value
            .get("domain_names")
            .and_then(Value::as_array)
            .map(|domains| {
                domains
                    .iter()
                    .filter_map(|domain| string_of(Some(domain)))
                    .map(|domain| domain.to_lowercase())
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// One ticket object; `Err` names the field of the wrong type.
fn ticket(raw: &RawValue, side_loads: &SideLoads) -> Result<RawTicket, String> {
    let object: Map<String, Value> = serde_json::from_str(raw.get())
        .map_err(|_| "a ticket must be a JSON object".to_string())?;
    let string = |field: &str| -> Result<Option<String>, String> {
        match object.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(format!("{field}: expected a string, found {}", kind(other))),
        }
    };
    let identifier = |field: &str| -> Result<Option<String>, String> {
        match object.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(number)) => Ok(Some(number.to_string())),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(format!(
                "{field}: expected a number or a string, found {}",
                kind(other)
            )),
        }
    };
    let tags = match object.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(tags)) => tags
            .iter()
            .map(|tag| match tag {
                Value::String(tag) => Ok(tag.clone()),
                other => Err(format!("tags: expected strings, found {}", kind(other))),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(format!("tags: expected an array, found {}", kind(other))),
    };
    let satisfaction = match object.get("satisfaction_rating") {
        None | Some(Value::Null) => None,
        Some(Value::String(score)) => Some(score.clone()),
        Some(Value::Object(rating)) => match rating.get("score") {
            None | Some(Value::Null) => None,
            Some(Value::String(score)) => Some(score.clone()),
            Some(other) => {
                return Err(format!(
                    "satisfaction_rating.score: expected a string, found {}",
                    kind(other)
                ));
            }
        },
        Some(other) => {
            return Err(format!(
                "satisfaction_rating: expected an object, found {}",
                kind(other)
            ));
        }
    };
    let requester_id = identifier("requester_id")?;
    let requester_email = object
        .get("requester")
        .and_then(|requester| string_of(requester.get("email")))
        .or_else(|| {
            requester_id
                .as_ref()
                .and_then(|id| side_loads.users.get(id).cloned())
        })
        .or_else(|| {
            let from = object.get("via")?.get("source")?.get("from")?;
            string_of(from.get("address")).or_else(|| string_of(from.get("email")))
        });
    let organization = identifier("organization_id")?
        .and_then(|id| side_loads.organizations.get(&id).cloned())
        .or_else(|| {
            object
                .get("organization")
                .filter(|organization| organization.is_object())
                .map(organization_of)
        });
    Ok(RawTicket {
        id: identifier("id")?,
        created_at: string("created_at")?,
        updated_at: string("updated_at")?,
        status: string("status")?,
        priority: string("priority")?,
        tags,
        satisfaction,
        requester_email,
        organization,
        subject: string("subject")?,
    })
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
