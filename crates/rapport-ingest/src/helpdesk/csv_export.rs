//! Zendesk's ticket CSV export: columns found by header name (surrounding
//! spaces and case ignored, any order, other columns ignored), one ticket a
//! row. `Id`, `Status` and `Created at` are required; a column Rapport reads
//! named twice refuses the file (which of the two holds the values is anyone's
//! guess). A row that is not UTF-8 is rejected naming its column.

use std::collections::HashMap;
use std::io::BufRead;

use super::{Organization, RawTicket, RawTickets, TicketPlace};
use crate::RecordError;

/// The columns read, as Zendesk's export spells them.
pub const COLUMNS: &[&str] = &[
    "Id",
    "Requester email",
    "Organization",
    "Subject",
    "Status",
    "Priority",
    "Tags",
    "Created at",
    "Updated at",
    "Satisfaction Score",
];

/// The columns without which no ticket can be read.
pub const REQUIRED: &[&str] = &["Id", "Status", "Created at"];

fn key(name: &str) -> String {
    name.trim_start_matches('\u{feff}').trim().to_lowercase()
}

/// Reads the export's rows into tickets.
pub fn read(mut reader: impl BufRead) -> RawTickets {
    let mut result = RawTickets::default();
    if let Err(error) = super::json_export::skip_byte_order_mark(&mut reader) {
        result.fatal = Some(format!("cannot read: {error}"));
        return result;
    }
    let mut csv = ::csv::ReaderBuilder::new()
        .flexible(true)
        .trim(::csv::Trim::All)
        .from_reader(reader);
    let header = match csv.byte_headers() {
        Ok(header) => header.clone(),
        Err(error) => {
            result.fatal = Some(format!("cannot read the header: {error}"));
            return result;
        }
    };
    let mut columns: HashMap<&'static str, usize> = HashMap::new();
    for (index, cell) in header.iter().enumerate() {
        let Ok(cell) = std::str::from_utf8(cell) else {
            continue;
        };
        let Some(column) = COLUMNS.iter().find(|column| key(column) == key(cell)) else {
            continue;
        };
        if let Some(first) = columns.insert(column, index) {
            result.fatal = Some(format!(
                "bad header: column `{column}` appears twice (columns {} and {}); remove one, \
                 nothing of the file was imported",
                first + 1,
                index + 1
            ));
            return result;
        }
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|column| !columns.contains_key(column))
        .collect();
    if !missing.is_empty() {
        result.fatal = Some(format!(
            "bad header: missing column{} {} (a Zendesk ticket export has {})",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            COLUMNS.join(", ")
        ));
        return result;
    }
    let mut record = ::csv::ByteRecord::new();
    let mut last_line = 1;
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                result.fatal = Some(format!("cannot read past line {last_line}: {error}"));
                break;
            }
        }
        let line = record
            .position()
            .map_or(last_line + 1, ::csv::Position::line);
        last_line = line;
        if record.iter().all(<[u8]>::is_empty) {
            continue;
        }
        match ticket(&record, &columns) {
            Ok(ticket) => result
                .tickets
                .push((TicketPlace { line, path: None }, ticket)),
            Err(reason) => result.rejected.push(RecordError { line, reason }),
        }
    }
    result
}

fn ticket(
    record: &::csv::ByteRecord,
    columns: &HashMap<&'static str, usize>,
) -> Result<RawTicket, String> {
    let cell = |column: &'static str| -> Result<Option<String>, String> {
        let Some(bytes) = columns.get(column).and_then(|index| record.get(*index)) else {
            return Ok(None);
        };
        let text = std::str::from_utf8(bytes).map_err(|error| {
            format!(
                "the row is not valid UTF-8 (column `{column}`: {})",
                crate::invalid_utf8_at(bytes, error.valid_up_to())
            )
        })?;
        Ok(Some(text.trim().to_string()).filter(|text| !text.is_empty()))
    };
    let organization = cell("Organization")?.map(|name| Organization {
        name: Some(name),
        ..Organization::default()
    });
    Ok(RawTicket {
        id: cell("Id")?,
        created_at: cell("Created at")?,
        updated_at: cell("Updated at")?,
        status: cell("Status")?,
        priority: cell("Priority")?,
        // Zendesk tags hold neither spaces nor commas; the export separates
        // them with spaces (some tools with commas).
        tags: cell("Tags")?
            .map(|tags| {
                tags.split(|c: char| c.is_whitespace() || c == ',')
                    .filter(|tag| !tag.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        satisfaction: cell("Satisfaction Score")?,
        requester_email: cell("Requester email")?,
        organization,
        subject: cell("Subject")?,
    })
}
