//! The CSV files of the import contract: accounts, contacts, features, outcomes.
//! Columns are found by header name (any order, surrounding spaces ignored,
//! case-insensitive); required columns missing from the header, or a column
//! named twice, reject the file. Cells are read as bytes and checked for UTF-8
//! here, so a bad cell is reported by line, column and byte.

use std::collections::HashMap;
use std::io::Read;

use rapport_core::time::parse_date;
use rapport_core::{
    Account, AccountStatus, Contact, ContactRole, DomainError, Email, ExternalId, Feature,
    FeatureImportance, FeatureKey, Outcome, OutcomeKind, Tier, parse_non_negative,
};

use crate::{FileError, Parsed, ReadError, RecordError, invalid_utf8_at};

/// Which CSV file of the contract a table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Accounts,
    Contacts,
    Features,
    Outcomes,
    /// Rapport's own goals.csv (docs/goals-csv.md).
    Goals,
}

/// goals.csv's columns, in the documented order.
pub const GOAL_COLUMNS: &[&str] = &[
    "account",
    "goal",
    "goal_id",
    "description",
    "owner",
    "start_date",
    "target_date",
    "weight",
    "checkpoints",
    "metric",
    "metric_id",
    "category",
    "metric_description",
    "baseline",
    "target",
    "unit",
    "direction",
    "data_source",
    "frequency",
    "current",
    "measured_at",
    "note",
    "value_kind",
    "value_amount",
    "hours_per_month",
    "hourly_rate",
    "tools_retired",
    "confidence",
    "value_label",
];

impl TableKind {
    /// Columns without which the file is refused.
    pub fn required_columns(self) -> &'static [&'static str] {
        match self {
            TableKind::Accounts => &["id", "name", "tier"],
            TableKind::Contacts => &["account", "email"],
            TableKind::Features => &["key"],
            TableKind::Outcomes => &["account", "date", "outcome"],
            TableKind::Goals => &["account", "goal"],
        }
    }

    /// Every column the contract defines; other columns are ignored.
    pub fn known_columns(self) -> &'static [&'static str] {
        match self {
            TableKind::Accounts => &[
                "id",
                "name",
                "tier",
                "arr",
                "seats",
                "csm",
                "status",
                "contract_start",
                "renewal_date",
                "industry",
                "manager",
                "at_risk_override",
            ],
            TableKind::Contacts => &["account", "email", "name", "role", "department", "title"],
            TableKind::Features => &["key", "name", "importance"],
            TableKind::Outcomes => &["account", "date", "outcome", "arr_change"],
            TableKind::Goals => GOAL_COLUMNS,
        }
    }
}

/// A CSV file of the contract, read record by record.
pub struct CsvTable<R: Read> {
    reader: csv::Reader<R>,
    /// The header cells as written, to name a column in a reason.
    headers: csv::StringRecord,
    /// Wanted columns by their lowercased name, to their position.
    columns: HashMap<String, usize>,
    record: csv::StringRecord,
    /// The last line read, for a read error that has no position.
    last_line: u64,
    /// Whether a report's footer ends the file (see [`Self::with_report_footer`]).
    report_footer: bool,
}

/// The most rows a report's footer may have: Salesforce's has about seven.
const MOST_FOOTER_ROWS: usize = 20;

impl<R: Read> CsvTable<R> {
    pub fn new(kind: TableKind, input: R) -> Result<Self, FileError> {
        let table = Self::with_columns(kind.known_columns(), input)?;
        let missing: Vec<&str> = kind
            .required_columns()
            .iter()
            .copied()
            .filter(|column| !table.has_column(column))
            .collect();
        if !missing.is_empty() {
            return Err(FileError::BadHeader(format!(
                "missing column{} {} (expected {})",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                kind.known_columns().join(",")
            )));
        }
        Ok(table)
    }

    /// A CSV whose columns of interest are `wanted`, found by header name
    /// (surrounding spaces ignored, case-insensitive; other columns are
    /// ignored). A wanted column named twice refuses the file, named as
    /// `wanted` spells it. Rows address cells by [`column_key`] of a name.
    pub(crate) fn with_columns<S: AsRef<str>>(wanted: &[S], input: R) -> Result<Self, FileError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(input);
        let header_bytes = match reader.byte_headers() {
            Ok(headers) => headers.clone(),
            Err(error) => return Err(csv_file_error(error)),
        };
        let line = header_bytes.position().map_or(1, csv::Position::line);
        let headers = text_record(header_bytes).map_err(|problem| FileError::HeaderNotUtf8 {
            line,
            problem: problem.describe(None),
        })?;
        let mut columns = HashMap::new();
        for (index, header) in headers.iter().enumerate() {
            let key = column_key(header);
            let Some(known) = wanted
                .iter()
                .find(|known| column_key(known.as_ref()) == key)
            else {
                continue;
            };
            if let Some(first) = columns.insert(key, index) {
                return Err(FileError::DuplicateColumn {
                    column: known.as_ref().to_string(),
                    first: first + 1,
                    second: index + 1,
                });
            }
        }
        Ok(CsvTable {
            reader,
            headers,
            columns,
            record: csv::StringRecord::new(),
            last_line: line,
            report_footer: false,
        })
    }

    /// A CRM report's export may end with a footer: an empty row, then only
    /// rows of at most one cell to the end of the file (Salesforce Classic's
    /// `"Copyright (c) 2000-2026 salesforce.com, inc. …"`, `"Confidential
    /// Information - Do Not Distribute"`, `"Generated By: …"`). Such rows
    /// are skipped, not rejected; rows of that shape followed by a row of
    /// data are read as rows (the empty row rejected as any other).
    pub(crate) fn with_report_footer(mut self) -> Self {
        self.report_footer = true;
        self
    }

    /// Whether the header has the column `name` (compared by [`column_key`]).
    pub(crate) fn has_column(&self, name: &str) -> bool {
        self.columns.contains_key(&column_key(name))
    }

    /// The header's cells as written (without a byte-order mark), for a
    /// reason that lists them.
    pub(crate) fn header_names(&self) -> impl Iterator<Item = &str> {
        self.headers
            .iter()
            .map(|header| header.trim_start_matches('\u{feff}').trim())
    }

    /// The next row as raw fields by column name, a record error for an
    /// unreadable row, or a file error when the file cannot be read further.
    /// `None` at the end of the file.
    fn next_row(&mut self) -> Option<Result<Row<'_>, ReadError>> {
        // The previous row's buffer is reused for the next one.
        let mut bytes = std::mem::take(&mut self.record).into_byte_record();
        match self.reader.read_byte_record(&mut bytes) {
            Ok(false) => return None,
            Ok(true) => {}
            Err(error) => {
                let error = match into_io_error(error) {
                    Ok(source) => {
                        let line = self.last_line;
                        return Some(Err(FileError::ReadStopped { line, source }.into()));
                    }
                    Err(error) => error,
                };
                let line = error
                    .position()
                    .map_or(self.last_line + 1, csv::Position::line);
                return Some(Err(RecordError {
                    line,
                    reason: format!("unreadable row: {error}"),
                }
                .into()));
            }
        }
        let line = bytes.position().map_or(0, csv::Position::line);
        self.last_line = line;
        match text_record(bytes) {
            Ok(record) => {
                self.record = record;
                Some(Ok(Row {
                    line,
                    record: &self.record,
                    columns: &self.columns,
                }))
            }
            Err(problem) => {
                let column = self
                    .headers
                    .get(problem.field)
                    .filter(|name| !name.is_empty());
                Some(Err(RecordError {
                    line,
                    reason: format!("the row is not valid UTF-8 ({})", problem.describe(column)),
                }
                .into()))
            }
        }
    }

    /// Reads every row with `convert`, yielding the good records and the
    /// errors; after a [`ReadError::File`] nothing more comes.
    pub fn rows<T>(
        mut self,
        mut convert: impl FnMut(&Row<'_>) -> Result<T, String>,
    ) -> impl Iterator<Item = Result<Parsed<T>, ReadError>> {
        let mut finished = false;
        // Rows held to tell a report's footer from data, to be given in order.
        let mut pending: std::collections::VecDeque<Result<Parsed<T>, ReadError>> =
            std::collections::VecDeque::new();
        std::iter::from_fn(move || {
            if let Some(item) = pending.pop_front() {
                return Some(item);
            }
            if finished {
                return None;
            }
            let row = match self.next_row()? {
                Ok(row) => row,
                Err(error) => {
                    // A read error ends the file; a malformed row does not.
                    finished = matches!(error, ReadError::File(_));
                    return Some(Err(error));
                }
            };
            if !row.is_blank() {
                return Some(converted(&row, &mut convert));
            }
            let blank: ReadError = RecordError {
                line: row.line,
                reason: "empty row".into(),
            }
            .into();
            if !self.report_footer {
                return Some(Err(blank));
            }
            // Perhaps a footer: the rows of at most one cell after the empty
            // one are held until the end of the file (a footer, skipped) or
            // a row of another shape (they were rows after all).
            let mut held: Vec<(u64, csv::StringRecord)> = Vec::new();
            let columns = self.columns.clone();
            let last = loop {
                match self.next_row() {
                    None => {
                        finished = true;
                        return None;
                    }
                    Some(Ok(next)) if next.filled_cells() <= 1 && held.len() < MOST_FOOTER_ROWS => {
                        held.push((next.line, next.record.clone()));
                    }
                    Some(Ok(next)) => break Ok((next.line, next.record.clone())),
                    Some(Err(error)) => {
                        finished = matches!(error, ReadError::File(_));
                        break Err(error);
                    }
                }
            };
            pending.push_back(Err(blank));
            for (line, record) in held.into_iter().chain(last.as_ref().ok().cloned()) {
                let row = Row::new(line, &record, &columns);
                pending.push_back(if row.is_blank() {
                    Err(RecordError {
                        line,
                        reason: "empty row".into(),
                    }
                    .into())
                } else {
                    converted(&row, &mut convert)
                });
            }
            if let Err(error) = last {
                pending.push_back(Err(error));
            }
            pending.pop_front()
        })
    }
}

/// A row through `convert`: its record, or a record error on its line.
fn converted<T>(
    row: &Row<'_>,
    convert: &mut impl FnMut(&Row<'_>) -> Result<T, String>,
) -> Result<Parsed<T>, ReadError> {
    let line = row.line;
    convert(row)
        .map(|record| Parsed { line, record })
        .map_err(|reason| RecordError { line, reason }.into())
}

/// How a header cell and a wanted column's name are compared: without a
/// byte-order mark and surrounding spaces, ignoring case.
pub(crate) fn column_key(name: &str) -> String {
    name.trim_start_matches('\u{feff}').trim().to_lowercase()
}

/// A CSV record's cells as text, trimmed of Unicode white space (the reader
/// trims only ASCII white space from bytes), or where it is not UTF-8.
fn text_record(bytes: csv::ByteRecord) -> Result<csv::StringRecord, NotUtf8> {
    match csv::StringRecord::from_byte_record(bytes) {
        Ok(mut record) => {
            record.trim();
            Ok(record)
        }
        Err(error) => {
            let (field, valid_up_to) =
                (error.utf8_error().field(), error.utf8_error().valid_up_to());
            let bytes = error.into_byte_record();
            Err(NotUtf8 {
                field,
                at: invalid_utf8_at(bytes.get(field).unwrap_or_default(), valid_up_to),
            })
        }
    }
}

/// The first cell of a record that is not UTF-8: its 0-based index and where
/// in it the bad byte is.
struct NotUtf8 {
    field: usize,
    at: String,
}

impl NotUtf8 {
    /// "column 2 (`name`): byte 0xe9 after `Caf`; …", the column 1-based.
    fn describe(&self, column_name: Option<&str>) -> String {
        match column_name {
            Some(name) => format!("column {} (`{name}`): {}", self.field + 1, self.at),
            None => format!("column {}: {}", self.field + 1, self.at),
        }
    }
}

fn csv_file_error(error: csv::Error) -> FileError {
    match into_io_error(error) {
        Ok(io) => FileError::Io(io),
        Err(error) => FileError::BadHeader(format!("the header cannot be read: {error}")),
    }
}

/// The IO error a csv error wraps, or the csv error when it wraps none.
fn into_io_error(error: csv::Error) -> Result<std::io::Error, csv::Error> {
    if !error.is_io_error() {
        return Err(error);
    }
    Ok(match error.into_kind() {
        csv::ErrorKind::Io(io) => io,
        _ => std::io::Error::other("the CSV reader failed"),
    })
}

/// One CSV row, addressed by column name.
pub struct Row<'a> {
    line: u64,
    record: &'a csv::StringRecord,
    columns: &'a HashMap<String, usize>,
}

impl<'a> Row<'a> {
    /// A row of `record`'s cells, each column's at the position `columns`
    /// gives for its [`column_key`]: how a translated row (a CRM export's,
    /// docs/crm.md) goes through the contract's own field parsing.
    pub(crate) fn new(
        line: u64,
        record: &'a csv::StringRecord,
        columns: &'a HashMap<String, usize>,
    ) -> Self {
        Row {
            line,
            record,
            columns,
        }
    }
}

impl Row<'_> {
    /// The trimmed value of a column; empty when the column or the cell is absent.
    pub fn get(&self, column: &str) -> &str {
        self.columns
            .get(column)
            .and_then(|index| self.record.get(*index))
            .unwrap_or("")
    }

    /// The cell of a column, `None` when empty.
    pub fn optional(&self, column: &str) -> Option<&str> {
        Some(self.get(column)).filter(|value| !value.is_empty())
    }

    /// The 1-based line the row starts on.
    pub fn line(&self) -> u64 {
        self.line
    }

    fn is_blank(&self) -> bool {
        self.record.iter().all(str::is_empty)
    }

    /// How many of the row's cells are not empty.
    fn filled_cells(&self) -> usize {
        self.record.iter().filter(|cell| !cell.is_empty()).count()
    }
}

fn field<T>(column: &str, result: Result<T, DomainError>) -> Result<T, String> {
    result.map_err(|error| format!("field `{column}`: {error}"))
}

fn required<'a>(row: &'a Row<'_>, column: &str) -> Result<&'a str, String> {
    row.optional(column)
        .ok_or_else(|| format!("missing field `{column}`"))
}

/// A name-like cell (a name, a title, a person), at most
/// [`MAX_NAME_CHARS`](rapport_core::validation::MAX_NAME_CHARS) characters.
fn name_cell(column: &str, text: &str) -> Result<String, String> {
    rapport_core::validation::text_at_most(column, text, rapport_core::validation::MAX_NAME_CHARS)
        .map_err(|error| format!("field `{column}`: {}", error.reason))?;
    Ok(text.to_string())
}

fn parse_enum<T: std::str::FromStr<Err = DomainError>>(
    row: &Row<'_>,
    column: &str,
    default: Option<T>,
) -> Result<T, String> {
    match (row.optional(column), default) {
        (Some(text), _) => field(column, text.parse()),
        (None, Some(default)) => Ok(default),
        (None, None) => Err(format!("missing field `{column}`")),
    }
}

fn optional_date(row: &Row<'_>, column: &str) -> Result<Option<chrono::NaiveDate>, String> {
    row.optional(column)
        .map(|text| parse_date(text).map_err(|error| format!("field `{column}`: {error}")))
        .transpose()
}

/// Thousands commas in a number cell are read only where they group the
/// whole part's digits in threes (`1,234,567.50`, after any sign, `$` or
/// before a `%`). Any other comma (`1,2,3`, a decimal comma `1,5`, `1234,5`)
/// has no one meaning, so the cell is refused naming `column` rather than
/// read with its commas dropped (as 123 or 15).
pub(crate) fn check_thousands_commas(column: &str, text: &str) -> Result<(), String> {
    if !text.contains(',') {
        return Ok(());
    }
    let body = text
        .trim()
        .trim_start_matches(['-', '+', '$', ' '])
        .trim_end_matches(['%', ' ']);
    let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
    let mut groups = whole.split(',');
    let first_group_ok = groups
        .next()
        .is_some_and(|group| (1..=3).contains(&group.len()) && is_digits(group));
    if first_group_ok
        && groups.all(|group| group.len() == 3 && is_digits(group))
        && !fraction.contains(',')
    {
        return Ok(());
    }
    Err(format!(
        "field `{column}`: `{text}` is not a number: a comma may only separate thousands \
         (1,234,567.50); a decimal comma or other grouping is not read"
    ))
}

fn is_digits(text: &str) -> bool {
    text.bytes().all(|byte| byte.is_ascii_digit())
}

fn parse_bool(column: &str, text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "no" | "0" | "n" => Ok(false),
        "true" | "yes" | "1" | "y" => Ok(true),
        _ => Err(format!("field `{column}`: `{text}` is not true or false")),
    }
}

/// accounts.csv → [`Account`]. Empty `arr` is 0, empty `seats` means "not set",
/// empty `status` is active.
pub fn account_row(row: &Row<'_>) -> Result<Account, String> {
    let external_id = field("id", ExternalId::parse(row.get("id")))?;
    let name = name_cell("name", required(row, "name")?)?;
    let tier: Tier = parse_enum(row, "tier", None)?;
    let arr = match row.optional("arr") {
        Some(text) => {
            check_thousands_commas("arr", text)?;
            field("arr", parse_non_negative("arr", text))?
        }
        None => 0.0,
    };
    let seats = match row.optional("seats") {
        Some(text) => {
            check_thousands_commas("seats", text)?;
            let value = field("seats", parse_non_negative("seats", text))?;
            if value.fract() != 0.0 || value > f64::from(u32::MAX) {
                return Err(format!("field `seats`: `{text}` is not a whole number"));
            }
            Some(value as u32)
        }
        None => None,
    };
    let status: AccountStatus = parse_enum(row, "status", Some(AccountStatus::Active))?;
    Ok(Account {
        external_id,
        name,
        tier,
        arr,
        seats,
        csm: name_cell("csm", row.get("csm"))?,
        status,
        contract_start: optional_date(row, "contract_start")?,
        renewal_date: optional_date(row, "renewal_date")?,
        industry: name_cell("industry", row.get("industry"))?,
        manager: row
            .optional("manager")
            .map(|manager| name_cell("manager", manager))
            .transpose()?,
        at_risk_override: parse_bool("at_risk_override", row.get("at_risk_override"))?,
    })
}

/// contacts.csv → [`Contact`]. An empty `role` is `user`.
pub fn contact_row(row: &Row<'_>) -> Result<Contact, String> {
    Ok(Contact {
        account: field("account", ExternalId::parse(row.get("account")))?,
        email: field("email", Email::parse(required(row, "email")?))?,
        name: name_cell("name", row.get("name"))?,
        role: parse_enum(row, "role", Some(ContactRole::User))?,
        department: name_cell("department", row.get("department"))?,
        title: name_cell("title", row.get("title"))?,
    })
}

/// features.csv → [`Feature`]. An empty `importance` is basic; an empty name is the key.
pub fn feature_row(row: &Row<'_>) -> Result<Feature, String> {
    let key = field("key", FeatureKey::parse(row.get("key")))?;
    let name = name_cell("name", row.optional("name").unwrap_or(key.as_str()))?;
    Ok(Feature {
        key,
        name,
        importance: parse_enum(row, "importance", Some(FeatureImportance::Basic))?,
    })
}

/// outcomes.csv → [`Outcome`]. An empty `arr_change` is 0.
pub fn outcome_row(row: &Row<'_>) -> Result<Outcome, String> {
    let date_text = required(row, "date")?;
    let arr_change = match row.optional("arr_change") {
        Some(text) => {
            check_thousands_commas("arr_change", text)?;
            // `-$1,200` as accountants write it, and `$-1,200`.
            let (sign, magnitude) = text
                .strip_prefix('-')
                .map_or(("", text), |rest| ("-", rest));
            let cleaned = format!(
                "{sign}{}",
                magnitude.trim_start_matches('$').replace(',', "")
            );
            cleaned
                .parse::<f64>()
                .ok()
                .filter(|value| value.is_finite())
                .ok_or_else(|| format!("field `arr_change`: `{text}` is not a number"))?
        }
        None => 0.0,
    };
    Ok(Outcome {
        account: field("account", ExternalId::parse(row.get("account")))?,
        date: parse_date(date_text).map_err(|error| format!("field `date`: {error}"))?,
        outcome: parse_enum::<OutcomeKind>(row, "outcome", None)?,
        arr_change,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_accounts(text: &str) -> Vec<Result<Parsed<Account>, ReadError>> {
        parse_account_bytes(text.as_bytes())
    }

    fn parse_account_bytes(bytes: &[u8]) -> Vec<Result<Parsed<Account>, ReadError>> {
        CsvTable::new(TableKind::Accounts, bytes)
            .unwrap()
            .rows(account_row)
            .collect()
    }

    /// `N ok` for a good row, `N: reason` for a rejected one.
    fn summary<T>(rows: &[Result<Parsed<T>, ReadError>]) -> Vec<String> {
        rows.iter()
            .map(|row| match row {
                Ok(parsed) => format!("{} ok", parsed.line),
                Err(error) => error.to_string(),
            })
            .collect()
    }

    /// Gives `bytes`, then fails as a disk or a network share can.
    struct FailingAfter<'a> {
        bytes: &'a [u8],
    }

    impl Read for FailingAfter<'_> {
        fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
            if self.bytes.is_empty() {
                return Err(std::io::Error::other("device gone"));
            }
            let count = buffer.len().min(self.bytes.len());
            buffer[..count].copy_from_slice(&self.bytes[..count]);
            self.bytes = &self.bytes[count..];
            Ok(count)
        }
    }

    #[test]
    fn accounts_by_header_name_with_defaults() {
        let rows = parse_accounts(
            "name,id,tier,arr,seats,csm,status,contract_start,renewal_date,industry\n\
             Acme Corp,acc-1,strategic,\"150,000\",,Dana,,2025-01-15,2026-01-15T00:00:00Z,Software\n",
        );
        let account = &rows[0].as_ref().unwrap().record;
        assert_eq!(account.name, "Acme Corp");
        assert_eq!(account.arr, 150_000.0);
        assert_eq!(account.seats, None);
        assert_eq!(account.status, AccountStatus::Active);
        assert_eq!(account.renewal_date.unwrap().to_string(), "2026-01-15");
    }

    #[test]
    fn bad_rows_are_reported_with_their_line_and_the_rest_kept() {
        let rows = parse_accounts(
            "id,name,tier,arr,seats\n\
             a1,Good,core,100,5\n\
             a2,Bad tier,gold,100,5\n\
             a3,Bad arr,core,lots,5\n\
             ,No id,core,1,1\n\
             a5,Half seat,core,1,2.5\n\
             a6,Good too,growth,1,1\n",
        );
        assert_eq!(
            summary(&rows),
            [
                "2 ok",
                "3: field `tier`: tier `gold` is not one of strategic | growth | core | nurture",
                "4: field `arr`: arr `lots` is not a number",
                "5: field `id`: account id is empty",
                "6: field `seats`: `2.5` is not a whole number",
                "7 ok",
            ]
        );
    }

    #[test]
    fn missing_required_column_rejects_the_file() {
        let error = CsvTable::new(TableKind::Contacts, "account,name\n".as_bytes())
            .err()
            .unwrap();
        assert_eq!(
            error.to_string(),
            "bad header: missing column email (expected account,email,name,role,department,title)"
        );
    }

    #[test]
    fn outcomes_and_features() {
        let outcomes: Vec<_> = CsvTable::new(
            TableKind::Outcomes,
            "account,date,outcome,arr_change\na1,2025-06-30,expanded,-1200.5\na1,someday,renewed,0\n".as_bytes(),
        )
        .unwrap()
        .rows(outcome_row)
        .collect();
        assert_eq!(outcomes[0].as_ref().unwrap().record.arr_change, -1200.5);
        assert!(
            outcomes[1]
                .as_ref()
                .unwrap_err()
                .to_string()
                .starts_with("3: field `date`")
        );
        let features: Vec<_> = CsvTable::new(
            TableKind::Features,
            "key,name,importance\nreports,,\nexport,Export,premium\n".as_bytes(),
        )
        .unwrap()
        .rows(feature_row)
        .collect();
        let reports = &features[0].as_ref().unwrap().record;
        assert_eq!(
            (reports.name.as_str(), reports.importance),
            ("reports", FeatureImportance::Basic)
        );
        assert!(features[1].is_err());
    }
    /// Issue 20, item 16: `1,2,3` was read as 123. Commas are read only as
    /// thousands separators in groups of three; any other is refused naming
    /// the column.
    #[test]
    fn commas_in_numbers_must_separate_thousands() {
        let rows = parse_accounts(
            "id,name,tier,arr,seats\n\
             a1,Grouped,core,\"$1,234,567.50\",\"1,200\"\n\
             a2,Not thousands,core,\"1,2,3\",\n\
             a3,Decimal comma,core,\"1,5\",\n\
             a4,Wide group,core,\"1234,567\",\n\
             a5,Seats,core,1,\"1,0\"\n",
        );
        assert_eq!(
            summary(&rows),
            [
                "2 ok",
                "3: field `arr`: `1,2,3` is not a number: a comma may only separate thousands \
                 (1,234,567.50); a decimal comma or other grouping is not read",
                "4: field `arr`: `1,5` is not a number: a comma may only separate thousands \
                 (1,234,567.50); a decimal comma or other grouping is not read",
                "5: field `arr`: `1234,567` is not a number: a comma may only separate thousands \
                 (1,234,567.50); a decimal comma or other grouping is not read",
                "6: field `seats`: `1,0` is not a number: a comma may only separate thousands \
                 (1,234,567.50); a decimal comma or other grouping is not read",
            ]
        );
        let grouped = &rows[0].as_ref().unwrap().record;
        assert_eq!((grouped.arr, grouped.seats), (1_234_567.5, Some(1200)));

        let outcomes: Vec<_> = CsvTable::new(
            TableKind::Outcomes,
            "account,date,outcome,arr_change\n\
             a1,2025-06-30,contracted,\"-$1,200\"\n\
             a1,2025-07-31,expanded,\"1,2,3\"\n"
                .as_bytes(),
        )
        .unwrap()
        .rows(outcome_row)
        .collect();
        assert_eq!(outcomes[0].as_ref().unwrap().record.arr_change, -1200.0);
        assert!(
            outcomes[1]
                .as_ref()
                .unwrap_err()
                .to_string()
                .starts_with("3: field `arr_change`: `1,2,3` is not a number"),
            "{:?}",
            outcomes[1]
        );
    }

    #[test]
    fn thousands_commas_are_checked_group_by_group() {
        for good in [
            "1,234",
            "12,345",
            "123,456",
            "1,234,567",
            "-1,234",
            "$1,234",
            "-$1,234.5",
            "$-1,234",
            "12,345%",
            "1,234.567",
            "100",
            "",
        ] {
            assert_eq!(check_thousands_commas("x", good), Ok(()), "{good}");
        }
        for bad in [
            "1,2,3",
            "1,5",
            ",123",
            "1,,234",
            "1234,567",
            "1,2345",
            "1,234.5,6",
            "12,34",
            "1,234,",
            "$,123",
            "1,23a",
        ] {
            assert!(check_thousands_commas("x", bad).is_err(), "{bad}");
        }
    }

    /// Issue 20, item 16: a column named twice was read from its first cell
    /// in silence. Every CSV of the contract refuses it, naming the column.
    #[test]
    fn a_column_named_twice_refuses_the_file() {
        for kind in [
            TableKind::Accounts,
            TableKind::Contacts,
            TableKind::Features,
            TableKind::Outcomes,
            TableKind::Goals,
        ] {
            let required = kind.required_columns();
            let twice = required[required.len() - 1];
            let header = format!("{}, {}\n", required.join(","), twice.to_ascii_uppercase());
            let error = CsvTable::new(kind, header.as_bytes()).err().unwrap();
            assert_eq!(
                error.to_string(),
                format!(
                    "bad header: column `{twice}` appears twice (columns {} and {}); \
                     remove one, nothing of the file was imported",
                    required.len(),
                    required.len() + 1
                ),
                "{kind:?}"
            );
        }
        // An ignored column may repeat: nothing is read from it.
        assert!(CsvTable::new(TableKind::Features, "key,notes,notes\n".as_bytes()).is_ok());
    }

    /// Issue 20, item 16: a header that is not UTF-8 was reported as a debug
    /// dump (`Utf8 { pos: Some(Position { .. }) .. }`).
    #[test]
    fn a_header_that_is_not_utf8_names_its_line_column_and_byte() {
        let error = CsvTable::new(TableKind::Accounts, &b"id,na\xffme,tier\na1,A,core\n"[..])
            .err()
            .unwrap();
        assert_eq!(
            error.to_string(),
            "bad header: line 1 is not valid UTF-8 (column 2: byte 0xff after `na`; save the file as UTF-8)"
        );
        let FileError::HeaderNotUtf8 { line, .. } = error else {
            panic!("{error:?}")
        };
        assert_eq!(line, 1);
    }

    #[test]
    fn a_row_that_is_not_utf8_is_rejected_and_the_rest_kept() {
        let rows = parse_account_bytes(
            b"id,name,tier\n\
              a1,Caf\xe9 Bleu,core\n\
              a2,Good,core\n\
              \xff,Bad id,core\n",
        );
        assert_eq!(
            summary(&rows),
            [
                "2: the row is not valid UTF-8 (column 2 (`name`): byte 0xe9 after `Caf`; save the file as UTF-8)",
                "3 ok",
                "4: the row is not valid UTF-8 (column 1 (`id`): byte 0xff at the start; save the file as UTF-8)",
            ]
        );
    }

    /// A file that stops being readable ends with a file error after the
    /// rows read so far, not with a rejected line.
    #[test]
    fn a_read_failure_ends_the_table_with_a_file_error() {
        let input = FailingAfter {
            bytes: b"id,name,tier\na1,A,core\na2,B,core\n",
        };
        let rows: Vec<_> = CsvTable::new(TableKind::Accounts, input)
            .unwrap()
            .rows(account_row)
            .collect();
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert!(rows[0].is_ok() && rows[1].is_ok());
        match &rows[2] {
            Err(ReadError::File(FileError::ReadStopped { line: 3, .. })) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(
            rows[2].as_ref().unwrap_err().to_string(),
            "cannot read past line 3: device gone"
        );
        let error = CsvTable::new(TableKind::Accounts, FailingAfter { bytes: b"" })
            .err()
            .unwrap();
        assert_eq!(error.to_string(), "cannot read: device gone");
    }
    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let mut input = b"id,name,tier,arr,seats\n".to_vec();
            input.extend(&bytes);
            for table in [&bytes[..], &input[..]] {
                if let Ok(table) = CsvTable::new(TableKind::Accounts, table) {
                    for row in table.rows(account_row) {
                        let _ = row.map_err(|error| error.to_string());
                    }
                }
            }
        }
    }
}
