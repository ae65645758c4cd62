//! Help-desk ticket import (a Zendesk export: the ticket CSV, or the API's
//! JSON, `{"tickets":[…]}` with side-loaded `users` and `organizations`, a
//! bare array, or JSON Lines): every ticket becomes `ticket` activities of
//! the account its requester (or organisation) belongs to.
//! `docs/helpdesk.md` maps each field to the contract; in short:
//!
//! - the engine reads a ticket record as the ticket's state at its instant,
//!   so a ticket gives a record at `created_at` (status `open`, id
//!   `zendesk:ID:created`) and, when it has moved on since (a later
//!   `updated_at`, or a status other than open), one at `updated_at` with
//!   its status now (id `zendesk:ID:UPDATED_AT`). Re-importing an export is
//!   unchanged; a later export adds a record for each ticket that changed;
//! - status new/open → open, pending/hold → pending, solved, closed; severity
//!   from the priority (normal when none); sentiment from the satisfaction
//!   rating (good → positive, bad → negative), on the latest record only, so
//!   a rating counts once;
//! - the account: the requester's address through [`crate::directory`]
//!   (contact, then a domain of one account); else the organisation: its
//!   external id, its name (the account-reference rule's exact name), its
//!   domain names. No match is listed with the reason, never guessed;
//! - a malformed ticket is rejected naming its line and field, the others
//!   are kept ([`csv_export`] and [`json_export`] read the two shapes).

pub mod csv_export;
pub mod json_export;

#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use rapport_core::activity::{Sentiment, Severity, TicketStatus};
use rapport_core::{
    Account, AccountMatch, Activity, ActivityDetail, CustomerId, Email, ExternalId, Timestamp,
    match_name,
};

use crate::directory::{ContactDirectory, NoAccount};
use crate::{Parsed, RecordError};

/// The prefix of every ticket record's id.
pub const ID_PREFIX: &str = "zendesk";

/// The two shapes of a Zendesk export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketFormat {
    /// The ticket CSV export (headers by name).
    Csv,
    /// The API's JSON: a document, a bare array, or JSON Lines.
    Json,
}

impl TicketFormat {
    /// By extension (`.csv`; `.json`, `.jsonl`, `.ndjson`), else by content:
    /// a file whose first character (past a byte-order mark and white space)
    /// is `{` or `[` is JSON.
    pub fn of(path: &Path, start: &[u8]) -> TicketFormat {
        let extension = path
            .extension()
            .map(|extension| extension.to_string_lossy().to_ascii_lowercase());
        match extension.as_deref() {
            Some("csv") => return TicketFormat::Csv,
            Some("json" | "jsonl" | "ndjson") => return TicketFormat::Json,
            _ => {}
        }
        let start = start.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(start);
        match start.iter().find(|byte| !byte.is_ascii_whitespace()) {
            Some(b'{' | b'[') => TicketFormat::Json,
            _ => TicketFormat::Csv,
        }
    }
}

/// The fields a diagnostic names, spelled as each format spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Id,
    CreatedAt,
    UpdatedAt,
    Status,
    Priority,
    Satisfaction,
}

impl Field {
    pub fn name(self, format: TicketFormat) -> &'static str {
        match (self, format) {
            (Field::Id, TicketFormat::Csv) => "Id",
            (Field::CreatedAt, TicketFormat::Csv) => "Created at",
            (Field::UpdatedAt, TicketFormat::Csv) => "Updated at",
            (Field::Status, TicketFormat::Csv) => "Status",
            (Field::Priority, TicketFormat::Csv) => "Priority",
            (Field::Satisfaction, TicketFormat::Csv) => "Satisfaction Score",
            (Field::Id, TicketFormat::Json) => "id",
            (Field::CreatedAt, TicketFormat::Json) => "created_at",
            (Field::UpdatedAt, TicketFormat::Json) => "updated_at",
            (Field::Status, TicketFormat::Json) => "status",
            (Field::Priority, TicketFormat::Json) => "priority",
            (Field::Satisfaction, TicketFormat::Json) => "satisfaction_rating",
        }
    }
}

/// A Zendesk organisation, as side-loaded or named in the CSV.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Organization {
    pub name: Option<String>,
    pub external_id: Option<String>,
    /// Lowercase.
    pub domain_names: Vec<String>,
}

/// A ticket as either format gives it, before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawTicket {
    pub id: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    pub tags: Vec<String>,
    /// The satisfaction score (`good`, `bad`, `offered`…).
    pub satisfaction: Option<String>,
    pub requester_email: Option<String>,
    pub organization: Option<Organization>,
    pub subject: Option<String>,
}

/// A ticket read, with where it is: its line, and for a ticket inside a
/// JSON document its place there (`tickets[3]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketPlace {
    pub line: u64,
    pub path: Option<String>,
}

/// What a reader gives: the tickets, the records it could not read, and
/// why the file could not be read (to its end).
#[derive(Debug, Default)]
pub struct RawTickets {
    pub tickets: Vec<(TicketPlace, RawTicket)>,
    pub rejected: Vec<RecordError>,
    pub fatal: Option<String>,
}

/// What reading an export gave: the records and everything left out.
#[derive(Debug, Default)]
pub struct TicketActivities {
    /// Tickets read, whatever became of them.
    pub tickets: u64,
    /// One or two records a ticket, with its line.
    pub activities: Vec<Parsed<Activity>>,
    pub rejected: Vec<RecordError>,
    /// Tickets no account could be given, with the reason.
    pub unmatched: Vec<RecordError>,
    /// Tickets whose status is `deleted` (an incremental export lists them).
    pub deleted: u64,
    pub fatal: Option<String>,
}

/// Reads an export and makes the records of each ticket.
pub fn read_tickets(
    reader: impl BufRead,
    format: TicketFormat,
    jsonl: bool,
    accounts: &[Account],
    directory: &ContactDirectory,
) -> TicketActivities {
    let raw = match format {
        TicketFormat::Csv => csv_export::read(reader),
        TicketFormat::Json => json_export::read(reader, jsonl),
    };
    let mut read = TicketActivities {
        tickets: raw.tickets.len() as u64 + raw.rejected.len() as u64,
        rejected: raw.rejected,
        fatal: raw.fatal,
        ..TicketActivities::default()
    };
    for (place, ticket) in &raw.tickets {
        let label = |reason: String| {
            let mut text = String::new();
            if let Some(path) = &place.path {
                text.push_str(path);
                text.push_str(": ");
            }
            if let Some(id) = ticket.id.as_deref().filter(|id| !id.trim().is_empty()) {
                text.push_str(&format!("ticket {}: ", id.trim()));
            }
            text.push_str(&reason);
            RecordError {
                line: place.line,
                reason: text,
            }
        };
        match ticket_records(ticket, format, accounts, directory) {
            Ok(records) => read
                .activities
                .extend(records.into_iter().map(|record| Parsed {
                    line: place.line,
                    record,
                })),
            Err(Left::Rejected(reason)) => read.rejected.push(label(reason)),
            Err(Left::Unmatched(reason)) => read.unmatched.push(label(reason)),
            Err(Left::Deleted) => read.deleted += 1,
        }
    }
    read.rejected.sort_by_key(|rejected| rejected.line);
    read
}

enum Left {
    Rejected(String),
    Unmatched(String),
    Deleted,
}

/// A ticket's records: at `created_at`, open; and at `updated_at`, as it now
/// stands, when it has moved on.
fn ticket_records(
    ticket: &RawTicket,
    format: TicketFormat,
    accounts: &[Account],
    directory: &ContactDirectory,
) -> Result<Vec<Activity>, Left> {
    let field = |field: Field| field.name(format);
    let rejected =
        |field: Field, reason: String| Left::Rejected(format!("{}: {reason}", field.name(format)));
    let id = present(ticket.id.as_deref())
        .ok_or_else(|| rejected(Field::Id, "missing".into()))?
        .to_string();
    let status_text = present(ticket.status.as_deref())
        .ok_or_else(|| rejected(Field::Status, "missing".into()))?;
    if status_text.eq_ignore_ascii_case("deleted") {
        return Err(Left::Deleted);
    }
    let status = ticket_status(status_text).ok_or_else(|| {
        rejected(
            Field::Status,
            format!(
                "`{status_text}` is not a Zendesk status (new, open, pending, hold, solved, closed)"
            ),
        )
    })?;
    let created_text = present(ticket.created_at.as_deref())
        .ok_or_else(|| rejected(Field::CreatedAt, "missing".into()))?;
    let created =
        parse_instant(created_text).map_err(|reason| rejected(Field::CreatedAt, reason))?;
    let updated = match present(ticket.updated_at.as_deref()) {
        Some(text) => {
            Some(parse_instant(text).map_err(|reason| rejected(Field::UpdatedAt, reason))?)
        }
        None => None,
    };
    if let Some(updated) = updated
        && updated < created
    {
        return Err(rejected(
            Field::UpdatedAt,
            format!(
                "{} is before {} {}",
                updated.to_rfc3339(),
                field(Field::CreatedAt),
                created.to_rfc3339()
            ),
        ));
    }
    let severity = match present(ticket.priority.as_deref()) {
        None => Severity::Normal,
        Some(text) => severity(text).ok_or_else(|| {
            rejected(
                Field::Priority,
                format!("`{text}` is not a Zendesk priority (low, normal, high, urgent)"),
            )
        })?,
    };
    let sentiment = match present(ticket.satisfaction.as_deref()) {
        None => None,
        Some(text) => sentiment(text).ok_or_else(|| {
            rejected(
                Field::Satisfaction,
                format!(
                    "`{text}` is not a satisfaction score (good, bad, offered, unoffered, not offered)"
                ),
            )
        })?,
    };
    // The state now needs its instant: without `updated_at` only an open
    // ticket can be told (its creation is its state).
    let moved_on = status != TicketStatus::Open || updated.is_some_and(|updated| updated > created);
    let updated = match updated {
        Some(updated) => updated,
        None if moved_on => {
            return Err(rejected(
                Field::UpdatedAt,
                format!(
                    "missing, and the ticket is {status_text}: its status needs the instant it was reached"
                ),
            ));
        }
        None => created,
    };
    let requester = present(ticket.requester_email.as_deref());
    let contact = requester.and_then(|address| Email::parse(address).ok());
    let account = account_of(
        contact.as_ref(),
        requester,
        ticket.organization.as_ref(),
        accounts,
        directory,
    )
    .map_err(Left::Unmatched)?;
    let tags: Vec<String> = ticket
        .tags
        .iter()
        .map(|tag| tag.trim().to_string())
        .filter(|tag| !tag.is_empty())
        .collect();
    let record = |at: Timestamp,
                  status: TicketStatus,
                  sentiment: Option<Sentiment>,
                  source_id: String| Activity {
        source_id: Some(source_id),
        account: account.clone(),
        at,
        detail: ActivityDetail::Ticket {
            ticket: id.clone(),
            status,
            severity,
            tags: tags.clone(),
            sentiment,
            contact: contact.clone(),
        },
    };
    let created_id = format!("{ID_PREFIX}:{id}:created");
    if !moved_on {
        return Ok(vec![record(
            created,
            TicketStatus::Open,
            sentiment,
            created_id,
        )]);
    }
    Ok(vec![
        record(created, TicketStatus::Open, None, created_id),
        record(
            updated,
            status,
            sentiment,
            format!("{ID_PREFIX}:{id}:{}", updated.to_rfc3339()),
        ),
    ])
}

fn present(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|text| !text.is_empty())
}

/// new/open → open, pending/hold → pending, solved, closed (any case).
pub fn ticket_status(text: &str) -> Option<TicketStatus> {
    match text.trim().to_ascii_lowercase().as_str() {
        "new" | "open" => Some(TicketStatus::Open),
        "pending" | "hold" | "on-hold" | "on hold" => Some(TicketStatus::Pending),
        "solved" => Some(TicketStatus::Solved),
        "closed" => Some(TicketStatus::Closed),
        _ => None,
    }
}

/// Zendesk's priorities are the contract's severities (any case); `-`, as
/// the CSV writes no priority, is none.
fn severity(text: &str) -> Option<Severity> {
    match text.trim().to_ascii_lowercase().as_str() {
        "-" => Some(Severity::Normal),
        "low" => Some(Severity::Low),
        "normal" => Some(Severity::Normal),
        "high" => Some(Severity::High),
        "urgent" => Some(Severity::Urgent),
        _ => None,
    }
}

/// good → positive, bad → negative; a survey offered or not offered says
/// nothing. `None` for a score Zendesk does not write; `Some(None)` for no
/// sentiment.
pub fn sentiment(text: &str) -> Option<Option<Sentiment>> {
    let normalised = text.trim().to_ascii_lowercase().replace(['_', '-'], " ");
    match normalised.as_str() {
        "good" | "good with comment" => Some(Some(Sentiment::Positive)),
        "bad" | "bad with comment" => Some(Some(Sentiment::Negative)),
        "offered" | "unoffered" | "not offered" | "-" => Some(None),
        _ => None,
    }
}

/// RFC 3339, `YYYY-MM-DD HH:MM:SS` (UTC, as the CSV export writes it), or
/// `YYYY-MM-DD` (its first instant, UTC).
pub fn parse_instant(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    let bad =
        || format!("`{text}` is not a date (RFC 3339, YYYY-MM-DD HH:MM:SS in UTC, or YYYY-MM-DD)");
    let out_of_range = |_: rapport_core::time::TimeError| {
        format!(
            "`{text}` is outside the years {}–{}",
            rapport_core::time::FIRST_YEAR,
            rapport_core::time::LAST_YEAR
        )
    };
    if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S") {
        return Timestamp::parse_rfc3339(&naive.and_utc().to_rfc3339()).map_err(out_of_range);
    }
    match Timestamp::parse_lenient(text) {
        Ok(instant) => Ok(instant),
        Err(error @ rapport_core::time::TimeError::OutOfRange(_)) => Err(out_of_range(error)),
        Err(_) => Err(bad()),
    }
}

/// The account of a ticket: the requester's address, else the organisation
/// (external id, name, domains). `Err` says why none.
fn account_of(
    contact: Option<&Email>,
    requester: Option<&str>,
    organization: Option<&Organization>,
    accounts: &[Account],
    directory: &ContactDirectory,
) -> Result<ExternalId, String> {
    let mut why = Vec::new();
    match (contact, requester) {
        (Some(contact), _) => match directory.account_of(&[contact.as_str()]) {
            Ok(account) => return Ok(account),
            Err(no_account) => why.push(format!("requester: {no_account}")),
        },
        (None, Some(requester)) => why.push(format!("requester `{requester}` is not an address")),
        (None, None) => why.push("no requester address".to_string()),
    }
    match organization {
        None => why.push("no organization".to_string()),
        Some(organization) => match organization_account(organization, accounts, directory) {
            Ok(account) => return Ok(account),
            Err(reason) => why.push(reason),
        },
    }
    Err(why.join("; "))
}

fn organization_account(
    organization: &Organization,
    accounts: &[Account],
    directory: &ContactDirectory,
) -> Result<ExternalId, String> {
    let name = present(organization.name.as_deref());
    let external_id = present(organization.external_id.as_deref());
    let mut named = match (name, external_id) {
        (Some(name), Some(id)) => format!("organization `{name}` (external id `{id}`)"),
        (Some(name), None) => format!("organization `{name}`"),
        (None, Some(id)) => format!("organization with external id `{id}`"),
        (None, None) => "organization".to_string(),
    };
    let mut tried = Vec::new();
    if let Some(id) = external_id {
        // An account's external id, or its customerId (Rapport's UUID).
        let customer_id = CustomerId::parse(id);
        if let Some(account) = accounts.iter().find(|account| {
            account.external_id.as_str() == id || Some(account.customer_id()) == customer_id
        }) {
            return Ok(account.external_id.clone());
        }
        tried.push("external id");
    }
    let mut close = Vec::new();
    if let Some(name) = name {
        match match_name(accounts.iter(), name) {
            AccountMatch::Found(account) => return Ok(account.external_id.clone()),
            AccountMatch::Candidates(candidates) => close = candidates,
            AccountMatch::NotFound => {}
        }
        tried.push("name");
    }
    let domains: Vec<&str> = organization
        .domain_names
        .iter()
        .map(String::as_str)
        .collect();
    let by_domain = if domains.is_empty() {
        None
    } else {
        match directory.account_of_domains(&domains) {
            Ok(account) => return Ok(account),
            Err(no_account) => Some(no_account),
        }
    };
    if tried.is_empty() && by_domain.is_none() {
        named.push_str(" has no name, external id or domain");
        return Err(named);
    }
    if !tried.is_empty() {
        named.push_str(&format!(": no account has its {}", tried.join(" or ")));
        if !close.is_empty() {
            let names: Vec<&str> = close
                .iter()
                .take(3)
                .map(|account| account.name.as_str())
                .collect();
            named.push_str(&format!(" (close: {}; not guessed)", names.join(", ")));
        }
    }
    if let Some(no_account) = by_domain {
        let domains = match no_account {
            NoAccount::Unknown { shown } => {
                format!("no account has a contact on {shown}")
            }
            NoAccount::SharedDomain { domain, .. } => {
                format!("its domain {domain} is several accounts'; not guessed")
            }
            NoAccount::Several { accounts, .. } => format!(
                "its domains are several accounts' ({}); not guessed",
                NoAccount::accounts_listed(&accounts)
            ),
            NoAccount::Nothing => String::new(),
        };
        named.push_str(if tried.is_empty() { ": " } else { ", and " });
        named.push_str(&domains);
    }
    Err(named)
}

// ---------------------------------------------------------------------------
// Into the store
// ---------------------------------------------------------------------------

/// What importing one export did.
#[derive(Debug, Clone, Default)]
pub struct TicketReport {
    pub path: PathBuf,
    /// Tickets read, whatever became of them.
    pub tickets: u64,
    /// Ticket records written, and those already stored (same id).
    pub inserted: u64,
    pub unchanged: u64,
    pub rejected: Vec<RecordError>,
    pub unmatched: Vec<RecordError>,
    pub deleted: u64,
    /// Why nothing (more) could be read, or the write failed (then nothing
    /// was written).
    pub fatal: Option<String>,
}

impl TicketReport {
    /// Records the import wrote or found stored.
    pub fn imported_or_unchanged(&self) -> u64 {
        self.inserted + self.unchanged
    }
}

/// Imports a Zendesk export (CSV or JSON, [`TicketFormat::of`]): its records
/// go to the store in one transaction; a re-import stores nothing twice.
pub fn import_tickets(
    store: &dyn rapport_store::Store,
    path: &Path,
    progress: &dyn crate::ImportProgress,
) -> TicketReport {
    let mut report = TicketReport {
        path: path.to_path_buf(),
        ..TicketReport::default()
    };
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) => {
            report.fatal = Some(format!("cannot read: {error}"));
            return report;
        }
    };
    let (accounts, contacts) = match (store.accounts(), store.contacts()) {
        (Ok(accounts), Ok(contacts)) => (accounts, contacts),
        (Err(error), _) | (_, Err(error)) => {
            report.fatal = Some(format!(
                "cannot read the stored accounts and contacts: {error}"
            ));
            return report;
        }
    };
    let directory = ContactDirectory::new(&contacts);
    let total_bytes = file.metadata().map(|metadata| metadata.len()).unwrap_or(0);
    progress.start(path, total_bytes);
    let bytes_read = Cell::new(0u64);
    let counting = crate::mail::mailbox::CountingReader {
        inner: file,
        on_bytes: |bytes| {
            bytes_read.set(bytes_read.get() + bytes);
            progress.advance_to(bytes_read.get());
        },
    };
    let mut reader = std::io::BufReader::with_capacity(256 * 1024, counting);
    let format = match reader.fill_buf() {
        Ok(start) => TicketFormat::of(path, start),
        Err(error) => {
            progress.finish();
            report.fatal = Some(format!("cannot read: {error}"));
            return report;
        }
    };
    let jsonl = path.extension().is_some_and(|extension| {
        extension.eq_ignore_ascii_case("jsonl") || extension.eq_ignore_ascii_case("ndjson")
    });
    let read = read_tickets(reader, format, jsonl, &accounts, &directory);
    progress.finish();
    report.tickets = read.tickets;
    report.rejected = read.rejected;
    report.unmatched = read.unmatched;
    report.deleted = read.deleted;
    report.fatal = read.fatal;
    let records: Vec<Activity> = read
        .activities
        .into_iter()
        .map(|parsed| parsed.record)
        .collect();
    if !records.is_empty() {
        match crate::import::insert_counting(store, &records) {
            Ok((inserted, unchanged)) => {
                report.inserted += inserted;
                report.unchanged += unchanged;
            }
            Err(error) => {
                report.fatal = Some(format!(
                    "the store refused the tickets, nothing of them was written: {error}"
                ));
            }
        }
    }
    report
}
